/** The entry of `npm run secrets`: see bootstrap/secrets-command.ts. */
import { runCli } from '../config/run-cli';
import { main } from './secrets-command';

runCli(main);
