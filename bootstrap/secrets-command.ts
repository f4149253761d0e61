/**
 * `npm run secrets -- [--init] [--rotate-token] [--deploy-key] [--repo-token --repo-username <name>] [--config config/platform.yaml | --file secrets/<cluster>.yaml]`
 *
 * Without flags, checks the cluster's secrets file (and that it matches the committed fingerprint).
 * `--init` creates the secrets file of a new cluster and its fingerprint, `fingerprints/<cluster>.yaml`,
 * for the team to commit; it never replaces either (with an ssh `gitops.repoURL` it adds a deploy
 * key). `--rotate-token` replaces only the join token (it expires 24 hours after `kubeadm init`),
 * for adding hosts later. `--deploy-key` adds (or replaces) Argo CD's ssh deploy key and prints its
 * public half; `--repo-token` stores an https token read from standard input.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_CONFIG, loadConfig } from '../config/load';
import { fingerprintFileFor, fingerprintOf, readClusterSecrets, readFingerprint, renderFingerprint } from './fingerprint';
import { isSshUrl } from '../lib/git-url';
import { repoRoot } from '../lib/repo-root';
import { SEALING_CERTIFICATE } from '../lib/sealed-files';
import { sealingKeyManifest } from './cluster-addons';
import { createSealingKey } from './pki';
import { credentialsProblem, deployKeyPublicLine, newDeployKey } from './repository-credentials';
import { initBootstrapSecrets, newBootstrapToken, SecretsExistError, secretsFileFor, writeBootstrapSecrets } from './secrets';

const USAGE =
  'usage: npm run secrets -- [--init] [--rotate-token] [--deploy-key] [--repo-token --repo-username <name> (token on stdin)] [--sealing-key | --rotate-sealing-key | --sealing-key-manifest] [--config <platform.yaml>] [--file <secrets file>] [--fingerprint <file>] [--sealed <folder>]';

/** `stdin` reads standard input (a test hands in its own). */
export function main(argv: string[], stdin: () => string = () => fs.readFileSync(0, 'utf8')): number {
  let file: string | undefined;
  let fingerprintFile: string | undefined;
  let config = DEFAULT_CONFIG;
  let init = false;
  let rotate = false;
  let deployKey = false;
  let repoToken = false;
  let repoUsername: string | undefined;
  let sealingKey: 'add' | 'rotate' | 'manifest' | undefined;
  let sealedRoot = path.join(repoRoot(), 'sealed');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--file' && argv[i + 1]) file = path.resolve(argv[++i]);
    else if (argv[i] === '--fingerprint' && argv[i + 1]) fingerprintFile = path.resolve(argv[++i]);
    else if (argv[i] === '--config' && argv[i + 1]) config = argv[++i];
    else if (argv[i] === '--init') init = true;
    else if (argv[i] === '--rotate-token') rotate = true;
    else if (argv[i] === '--deploy-key') deployKey = true;
    else if (argv[i] === '--repo-token') repoToken = true;
    else if (argv[i] === '--repo-username' && argv[i + 1]) repoUsername = argv[++i];
    else if (argv[i] === '--sealing-key') sealingKey = 'add';
    else if (argv[i] === '--rotate-sealing-key') sealingKey = 'rotate';
    else if (argv[i] === '--sealing-key-manifest') sealingKey = 'manifest';
    else if (argv[i] === '--sealed' && argv[i + 1]) sealedRoot = path.resolve(argv[++i]);
    else {
      console.error(`${USAGE}  (unknown argument "${argv[i]}")`);
      return 2;
    }
  }
  if (repoToken && !repoUsername) {
    console.error(`${USAGE}  (--repo-token needs --repo-username: the token's user, e.g. a GitLab deploy token's name)`);
    return 2;
  }
  // The config is read first: a bad config creates nothing.
  const platform = loadConfig(config);
  const cluster = platform.cluster.name;
  const repoURL = platform.gitops.repoURL;
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
      let secrets = initBootstrapSecrets(file, { log: (line) => console.log(line), sealingKey: true });
      if (isSshUrl(repoURL)) {
        secrets = { ...secrets, gitopsRepository: newDeployKey() };
        writeBootstrapSecrets(file, secrets, { replace: true });
        const { sshPrivateKey } = secrets.gitopsRepository as { sshPrivateKey: string };
        console.log(`Argo CD reads ${repoURL} with a new deploy key; add its public half to the repository, read-only:`);
        console.log(`  ${deployKeyPublicLine(sshPrivateKey, `argocd@${cluster}`)}`);
      }
      fs.mkdirSync(path.dirname(fingerprintFile), { recursive: true });
      fs.writeFileSync(fingerprintFile, renderFingerprint(fingerprintOf(cluster, secrets)), { flag: 'wx' });
      writeSealingCertificate(sealedRoot, cluster, secrets.sealingKey!.cert);
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
  if (sealingKey === 'manifest') {
    // For a cluster that runs already: the key Secret the first control plane would apply, for kubectl.
    if (!secrets.sealingKey) {
      console.error(`${file} has no sealing key: add one with \`npm run secrets -- --sealing-key\``);
      return 1;
    }
    if (process.stdout.isTTY) {
      console.error('--sealing-key-manifest prints a private key: pipe it into `kubectl apply -f -`, never onto a screen');
      return 2;
    }
    process.stdout.write(sealingKeyManifest(secrets.sealingKey));
  } else if (sealingKey) {
    if (sealingKey === 'add' && secrets.sealingKey) {
      console.error(`${file} has a sealing key already; \`--rotate-sealing-key\` replaces it (then every SealedSecret must be sealed again).`);
      return 1;
    }
    const key = createSealingKey();
    writeBootstrapSecrets(file, { ...secrets, sealingKey: key }, { replace: true });
    const cert = writeSealingCertificate(sealedRoot, cluster, key.cert);
    console.log(`Sealing key written to ${file}, its certificate to ${cert}: commit the certificate (it is public).`);
    if (sealingKey === 'rotate' || secrets.sealingKey) {
      console.log('Seal every value again with the new certificate: npm run seal -- --values <your values file>');
      console.log(
        `A running cluster also needs the new key installed beside the old one (bootstrap/README.md, "Sealed Secrets"); hosts booted from now on install it themselves.`,
      );
    } else {
      console.log('A running cluster needs it installed once (bootstrap/README.md, "Sealed Secrets"); hosts booted from now on install it themselves.');
    }
  } else if (deployKey || repoToken) {
    const token = repoToken ? readToken(stdin) : undefined;
    if (repoToken && !token) {
      console.error('--repo-token reads the token from standard input (never the command line, which shell history keeps): found none');
      return 2;
    }
    const credentials = token ? { username: repoUsername!, password: token } : newDeployKey();
    const problem = credentialsProblem(repoURL, credentials);
    if (problem) {
      console.error(problem);
      return 1;
    }
    writeBootstrapSecrets(file, { ...secrets, gitopsRepository: credentials }, { replace: true });
    console.log(`${secrets.gitopsRepository ? 'Replaced' : 'Wrote'} Argo CD's credentials for ${repoURL} in ${file}.`);
    if ('sshPrivateKey' in credentials) {
      console.log('Add this public key to the repository as a read-only deploy key:');
      console.log(`  ${deployKeyPublicLine(credentials.sshPrivateKey, `argocd@${cluster}`)}`);
    }
    console.log('Then run `npm run synth`: the first control plane gives Argo CD the credentials before it syncs.');
  } else if (rotate) {
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

/** The token from standard input (first line), so it never appears in argv or shell history. */
function readToken(stdin: () => string): string | undefined {
  let text: string;
  try {
    text = stdin();
  } catch {
    return undefined;
  }
  const token = text.split('\n')[0].trim();
  return token || undefined;
}

/** The sealing certificate, committed beside the SealedSecrets it seals (`sealed/<cluster>/`). */
function writeSealingCertificate(root: string, cluster: string, cert: string): string {
  const file = path.join(root, cluster, SEALING_CERTIFICATE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, cert);
  return file;
}
