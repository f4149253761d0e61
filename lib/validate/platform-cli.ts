/**
 * `npm run validate [-- DIR ...] [--config FILE] [--skip-charts] [--against REF]`: the validator CLI with
 * the objects the platform config declares as existing outside the manifests (Secrets the repo never
 * holds, StorageClasses of the cluster) and the cluster's Kubernetes release for rendering the charts.
 */
import { DEFAULT_CONFIG } from '../../config/load';
import { main } from './cli';
import { platformFactsOrReport } from './platform-declared';

async function run(argv: string[]): Promise<number> {
  const i = argv.indexOf('--config');
  const configFile = i >= 0 ? argv[i + 1] : DEFAULT_CONFIG;
  const rest = i >= 0 ? [...argv.slice(0, i), ...argv.slice(i + 2)] : argv;
  const facts = platformFactsOrReport(configFile);
  if (!facts) return 1;
  return main(rest, { declared: { secrets: facts.secrets, storageClasses: facts.storageClasses }, kubeVersion: facts.kubeVersion });
}

run(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    console.error(`validate: ${err.stack ?? err.message}`);
    process.exitCode = 2;
  },
);
