/**
 * `npm run secrets -- [--init] [--rotate-token] [--config config/platform.yaml | --file secrets/<cluster>.yaml]`
 *
 * Without flags, checks the cluster's secrets file (and that it matches the committed fingerprint).
 * `--init` creates the secrets file of a new cluster and its fingerprint, `fingerprints/<cluster>.yaml`,
 * for the team to commit; it never replaces either. `--rotate-token` replaces only the join token
 * (it expires 24 hours after `kubeadm init`), for adding hosts later.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_CONFIG, loadConfig } from '../config/load';
import { fingerprintFileFor, fingerprintOf, readClusterSecrets, readFingerprint, renderFingerprint } from './fingerprint';
import { initBootstrapSecrets, newBootstrapToken, SecretsExistError, secretsFileFor, writeBootstrapSecrets } from './secrets';

const USAGE = 'usage: npm run secrets -- [--init] [--rotate-token] [--config <platform.yaml>] [--file <secrets file>] [--fingerprint <file>]';

export function main(argv: string[]): number {
  let file: string | undefined;
  let fingerprintFile: string | undefined;
  let config = DEFAULT_CONFIG;
  let init = false;
  let rotate = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--file' && argv[i + 1]) file = path.resolve(argv[++i]);
    else if (argv[i] === '--fingerprint' && argv[i + 1]) fingerprintFile = path.resolve(argv[++i]);
    else if (argv[i] === '--config' && argv[i + 1]) config = argv[++i];
    else if (argv[i] === '--init') init = true;
    else if (argv[i] === '--rotate-token') rotate = true;
    else {
      console.error(`${USAGE}  (unknown argument "${argv[i]}")`);
      return 2;
    }
  }
  // The config is read first: a bad config creates nothing.
  const cluster = loadConfig(config).cluster.name;
  file ??= secretsFileFor(cluster);
  fingerprintFile ??= fingerprintFileFor(cluster);

  if (init) {
    // Only the fingerprint decides: a damaged secrets file is still one that must not be replaced.
    if (readFingerprint(fingerprintFile)) {
      console.error(
        `${fingerprintFile} records cluster ${cluster}'s secrets: it exists already. Restore its secrets file (${file}) from your backup; a new one could not join it.`,
      );
      return 1;
    }
    try {
      const secrets = initBootstrapSecrets(file, { log: (line) => console.log(line) });
      fs.mkdirSync(path.dirname(fingerprintFile), { recursive: true });
      fs.writeFileSync(fingerprintFile, renderFingerprint(fingerprintOf(cluster, secrets)), { flag: 'wx' });
      console.log(`Fingerprint written to ${fingerprintFile} (digests only): commit it, so that no other secrets file is ever used for ${cluster}.`);
      return 0;
    } catch (err) {
      if (err instanceof SecretsExistError) {
        console.error(`${file} exists already; it is never replaced (the CAs must stay the same). Without --init, this command checks it.`);
        return 1;
      }
      throw err;
    }
  }

  const { secrets, recorded, mismatches } = readClusterSecrets(cluster, file, fingerprintFile);
  if (!secrets) {
    console.error(
      recorded
        ? `no ${file}: cluster ${cluster} exists (${fingerprintFile}); restore its secrets file from your off-host backup.`
        : `no ${file}: create the secrets of a new cluster with \`npm run secrets -- --init\`.`,
    );
    return 1;
  }
  if (mismatches.length) {
    console.error(`${file} is not the secrets file of cluster ${cluster} (${fingerprintFile}):\n  ${mismatches.join('\n  ')}`);
    return 1;
  }
  if (rotate) {
    const token = newBootstrapToken();
    writeBootstrapSecrets(file, { ...secrets, bootstrapToken: token }, { replace: true });
    console.log(`New join token written to ${file}. Register it on a control-plane host before booting new hosts:`);
    console.log(`  kubeadm token create ${token} --ttl 24h`);
    console.log('Then run `npm run synth` and use the new dist/hosts/<host>/user-data.');
  } else {
    console.log(
      `${file} is valid${recorded ? ` and matches ${fingerprintFile}` : ` (no fingerprint at ${fingerprintFile}: \`--init\` writes one for new clusters)`}; nothing to do.`,
    );
  }
  if (fs.statSync(file).mode & 0o077) console.warn(`warning: ${file} is readable by others; run chmod 600 ${file}`);
  return 0;
}
