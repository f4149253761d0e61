/** The entry of `npm run diff`: see app/diff-command.ts. */
import { main } from './diff-command';

process.exitCode = main(process.argv.slice(2));
