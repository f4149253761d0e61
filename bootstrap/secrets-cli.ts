/** The entry of `npm run secrets`: see bootstrap/secrets-command.ts. */
import { ConfigError } from '../config/load';
import { main } from './secrets-command';

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exitCode = 1;
  } else throw err;
}
