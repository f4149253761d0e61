/** The entry of `npm run seal`: see app/seal-command.ts. */
import { runCli } from '../config/run-cli';
import { main } from './seal-command';

runCli(main);
