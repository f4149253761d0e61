/** The entry of `npm run plan`: see lib/validate/plan-command.ts. */
import { main } from './plan-command';

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    console.error(`plan: ${err.stack ?? err.message}`);
    process.exitCode = 2;
  },
);
