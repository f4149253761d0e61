/**
 * Read access to the GitOps repository for Argo CD from the first boot: a private repository (a
 * self-hosted GitLab usually is) otherwise leaves the root Application failing and nothing syncs.
 *
 * - ssh (`ssh://…` or `git@host:path`): an ed25519 deploy key made by `npm run secrets --
 *   --deploy-key`; its public half is printed by every synthesis, to add as a read-only deploy
 *   key. Argo CD also needs the server's host key (`gitops.sshKnownHosts`) unless the host is one
 *   Argo CD knows already.
 * - https: an optional username and token (`npm run secrets -- --repo-token`); a public
 *   repository needs none.
 *
 * The first control plane creates Argo CD's repository Secret from the host files (0600, never
 * in git) before it applies the root Application.
 *
 * The key is PKCS #8 PEM ("PRIVATE KEY"), which Argo CD's ssh library reads as such
 * (golang.org/x/crypto/ssh keys.go ParseRawPrivateKey → x509.ParsePKCS8PrivateKey, ed25519 included).
 *
 * @see https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#repositories
 */
import * as crypto from 'crypto';
import { isSshUrl } from '../lib/git-url';
import type { WriteFile } from './cloud-init-types';
import { toYamlStream } from './serialize';

export type RepositoryCredentials = { readonly sshPrivateKey: string } | { readonly username: string; readonly password: string };

export function newDeployKey(): RepositoryCredentials {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  return { sshPrivateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

/** The OpenSSH public key line of an ed25519 deploy key (what a Git server's "deploy keys" page takes). */
export function deployKeyPublicLine(sshPrivateKey: string, comment: string): string {
  const jwk = crypto.createPublicKey(sshPrivateKey).export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw new Error('expected an ed25519 deploy key');
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(Buffer.from(jwk.x, 'base64url'))]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

/** Why the credentials cannot reach `url`, or undefined when they can. */
export function credentialsProblem(url: string, credentials: RepositoryCredentials | undefined): string | undefined {
  if (isSshUrl(url)) {
    if (!credentials || !('sshPrivateKey' in credentials))
      return `gitops.repoURL ${url} is an ssh URL, and the secrets file holds no deploy key for it: run \`npm run secrets -- --deploy-key\`, add the printed public key to the repository as a read-only deploy key, and synthesize again (or use the https:// URL)`;
  } else if (credentials && 'sshPrivateKey' in credentials) {
    return `gitops.repoURL ${url} is an https URL, but the secrets file holds an ssh deploy key: use the repository's ssh URL, or replace the key with a token (\`npm run secrets -- --repo-token\`)`;
  }
  return undefined;
}

const SECRET_NAME = 'repo-platform';

/** Argo CD's repository Secret (and the server's host keys for ssh), applied by the first control plane. */
export function repositoryManifest(url: string, credentials: RepositoryCredentials, knownHosts: readonly string[]): string {
  const objects: object[] = [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: SECRET_NAME, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
      type: 'Opaque',
      stringData: { type: 'git', url, ...credentials },
    },
  ];
  if (knownHosts.length) {
    // Replaces Argo CD's default list: keep only what this platform reaches over ssh.
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'argocd-ssh-known-hosts-cm',
        namespace: 'argocd',
        labels: { 'app.kubernetes.io/name': 'argocd-ssh-known-hosts-cm', 'app.kubernetes.io/part-of': 'argocd' },
      },
      data: { ssh_known_hosts: `${knownHosts.join('\n')}\n` },
    });
  }
  return toYamlStream(objects);
}

export const REPOSITORY_FILE = 'repository.yaml';

export function repositoryFile(dir: string, url: string, credentials: RepositoryCredentials, knownHosts: readonly string[]): WriteFile {
  return { path: `${dir}/${REPOSITORY_FILE}`, content: repositoryManifest(url, credentials, knownHosts), owner: 'root:root', permissions: '0600' };
}
