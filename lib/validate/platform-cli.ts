/**
 * `npm run validate [-- DIR ...] [--skip-charts] [--against REF]`: the validator CLI, with what the
 * synthesized tree declares beside it (`dist/externals.json`: Secrets the repo never holds, the
 * cluster's StorageClasses, the Kubernetes release for rendering the charts), read as a consumer.
 */
import { systemErrorLine } from '../system-errors';
import { main } from './cli';

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    // A full disk or a missing permission is one line; anything else is a bug and keeps its stack.
    console.error(`validate: ${systemErrorLine(err) ?? err.stack ?? err.message}`);
    process.exitCode = 2;
  },
);
