/**
 * `npm run validate [-- DIR ...] [--config FILE]`: the validator CLI with the objects the
 * platform config declares as existing outside the manifests (Secrets the repo never holds,
 * StorageClasses of the cluster), so references to them are not findings.
 */
import { buildPlatform } from '../../charts/platform';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from '../../config/load';
import { loadVersions } from '../../config/versions';
import { drainWarnings } from '../warnings';
import { main } from './cli';

async function run(argv: string[]): Promise<number> {
  const i = argv.indexOf('--config');
  const configFile = i >= 0 ? argv[i + 1] : DEFAULT_CONFIG;
  const rest = i >= 0 ? [...argv.slice(0, i), ...argv.slice(i + 2)] : argv;
  let build;
  try {
    build = buildPlatform(loadConfig(configFile), loadVersions());
    drainWarnings(); // synthesis already showed them
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  return main(rest, { declared: { secrets: build.externalSecrets, storageClasses: build.externalStorageClasses } });
}

run(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    console.error(`validate: ${err.stack ?? err.message}`);
    process.exitCode = 2;
  },
);
