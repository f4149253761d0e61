/** Argo CD's access to a private GitOps repository from the first boot: deploy key or token, host keys, and the order it is applied in. */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as yaml from 'js-yaml';
import { ArgoCdBootstrap } from '../charts/gitops';
import { loadConfig } from '../config/load';
import { ClusterBootstrap } from '../bootstrap/cluster-bootstrap';
import { credentialsProblem, deployKeyPublicLine, newDeployKey, RepositoryCredentials } from '../bootstrap/repository-credentials';
import { BootstrapSecrets, generateBootstrapSecrets } from '../bootstrap/secrets';
import { sshHost } from '../lib/git-url';
import { repoRoot } from '../lib/repo-root';

const base = generateBootstrapSecrets();
const config = loadConfig(path.join(repoRoot(), 'examples/ha-cluster.yaml'));
const KNOWN = 'gitlab.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

function userData(repoURL: string, gitopsRepository: RepositoryCredentials | undefined, sshKnownHosts: string[] = []) {
  const secrets: BootstrapSecrets = { ...base, ...(gitopsRepository ? { gitopsRepository } : {}) };
  const files = new ClusterBootstrap(Testing.chart(), 'Bootstrap', {
    cluster: config.cluster,
    edge: config.edge,
    gitopsManifests: new ArgoCdBootstrap(Testing.app(), '00-argocd', { repo: { repoURL, revision: 'main' } }).toJson(),
    repository: { repoURL, sshKnownHosts },
    secrets,
  }).files();
  const host = (name: string) =>
    yaml.load(files.find((f) => f.path === `hosts/${name}/user-data`)!.content) as { write_files: { path: string; content: string; permissions: string }[] };
  const file = (name: string, p: string) => host(name).write_files.find((f) => f.path === p);
  const steps = (name: string) => (JSON.parse(file(name, '/etc/platform-boot/steps.json')!.content).steps as { name: string }[]).map((s) => s.name);
  return { file, steps };
}

test('ssh and scp-like URLs name their host as known_hosts does; https is not ssh', () => {
  expect(sshHost('ssh://git@gitlab.example.org/platform.git')).toBe('gitlab.example.org');
  expect(sshHost('ssh://git@gitlab.example.org:2222/platform.git')).toBe('[gitlab.example.org]:2222');
  expect(sshHost('ssh://git@gitlab.example.org:22/platform.git')).toBe('gitlab.example.org');
  expect(sshHost('git@github.com:org/platform.git')).toBe('github.com');
  expect(sshHost('https://gitlab.example.org/platform.git')).toBeUndefined();
});

test('the deploy key is ed25519 and its public line is one ssh-keygen reads, with the same fingerprint', () => {
  const key = newDeployKey() as { sshPrivateKey: string };
  expect(key.sshPrivateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  const line = deployKeyPublicLine(key.sshPrivateKey, 'argocd@ocf');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-key-'));
  try {
    fs.writeFileSync(path.join(dir, 'key.pub'), `${line}\n`);
    const keygen = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(dir, 'key.pub')], { encoding: 'utf8' });
    if (keygen.error) throw new Error('ssh-keygen is needed (apt-get install openssh-client)');
    const blob = Buffer.from(line.split(' ')[1], 'base64');
    const expected = `SHA256:${crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
    expect(keygen.stdout.trim()).toBe(`256 ${expected} argocd@ocf (ED25519)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an ssh URL without a deploy key is refused with what to run; https with a deploy key too', () => {
  expect(() => userData('ssh://git@gitlab.example.org/platform.git', undefined, [KNOWN])).toThrow(
    /is an ssh URL, and the secrets file holds no deploy key for it: run `npm run secrets -- --deploy-key`/,
  );
  expect(credentialsProblem('https://gitlab.example.org/platform.git', newDeployKey())).toMatch(
    /is an https URL, but the secrets file holds an ssh deploy key/,
  );
  expect(credentialsProblem('https://gitlab.example.org/platform.git', undefined)).toBeUndefined();
});

test('with a deploy key, the first control plane gives Argo CD the repository and host keys before the root Application', () => {
  const key = newDeployKey() as { sshPrivateKey: string };
  const url = 'ssh://git@gitlab.example.org/platform.git';
  const { file, steps } = userData(url, key, [KNOWN]);
  const repo = file('deadlock', '/etc/kubernetes/bootstrap/repository.yaml')!;
  expect(repo.permissions).toBe('0600');
  const [secret, knownHosts] = yaml.loadAll(repo.content) as any[];
  expect(secret).toEqual({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo-platform', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
    type: 'Opaque',
    stringData: { type: 'git', url, sshPrivateKey: key.sshPrivateKey },
  });
  expect(knownHosts.metadata.name).toBe('argocd-ssh-known-hosts-cm');
  expect(knownHosts.data.ssh_known_hosts).toBe(`${KNOWN}\n`);
  const order = steps('deadlock');
  expect(order.indexOf('argo-cd')).toBeLessThan(order.indexOf('repository-credentials'));
  expect(order.indexOf('repository-credentials')).toBe(order.indexOf('root-application') - 1);
  // Only the host that applies the Application carries the key.
  expect(file('coup', '/etc/kubernetes/bootstrap/repository.yaml')).toBeUndefined();
  expect(file('worker-1', '/etc/kubernetes/bootstrap/repository.yaml')).toBeUndefined();
});

test('an https token becomes username and password; a public https repository gets no Secret', () => {
  const url = 'https://gitlab.example.org/platform.git';
  const { file } = userData(url, { username: 'argocd', password: 'glpat-example' });
  const [secret] = yaml.loadAll(file('deadlock', '/etc/kubernetes/bootstrap/repository.yaml')!.content) as any[];
  expect(secret.stringData).toEqual({ type: 'git', url, username: 'argocd', password: 'glpat-example' });
  const open = userData(url, undefined);
  expect(open.file('deadlock', '/etc/kubernetes/bootstrap/repository.yaml')).toBeUndefined();
  expect(open.steps('deadlock')).not.toContain('repository-credentials');
});
