/** The entry of `npm run seal`: see app/seal-command.ts. */
import { ConfigError } from '../config/load';
import { systemErrorLine } from '../lib/system-errors';
import { main } from './seal-command';

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  const line = err instanceof ConfigError ? err.message : systemErrorLine(err);
  if (line === undefined) throw err; // a bug: keep its stack
  console.error(line);
  process.exitCode = 1;
}
