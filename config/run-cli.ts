/**
 * The entry of a project command: runs `main` with the process's arguments and shows a bad config
 * or a system error (a missing file, a full disk) as one line; anything else is a bug and keeps
 * its stack. Shared by `npm run secrets` and `npm run seal`.
 */
import { systemErrorLine } from '../lib/system-errors';
import { ConfigError } from './errors';

export function runCli(main: (argv: string[]) => number): void {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    const line = err instanceof ConfigError ? err.message : systemErrorLine(err);
    if (line === undefined) throw err; // a bug: keep its stack
    console.error(line);
    process.exitCode = 1;
  }
}
