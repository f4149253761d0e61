/**
 * Every emitted user-data passes `cloud-init schema --config-file`: every host of the test fixture,
 * of the HA example and of the hand-written TypeScript example. A missing cloud-init fails the
 * test: it never skips.
 */
import { ArgoCdBootstrap } from '../charts/gitops';
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { loadConfig } from '../config/load';
import { ClusterBootstrap } from '../bootstrap/cluster-bootstrap';
import { generateBootstrapSecrets } from '../bootstrap/secrets';
import { repoRoot } from '../lib/repo-root';
import { clubPlatform } from '../examples/by-hand/club-platform';

const secrets = generateBootstrapSecrets();

function userData(configFile: string): [string, string][] {
  const config = loadConfig(path.join(repoRoot(), configFile));
  const bootstrap = new ClusterBootstrap(Testing.chart(), 'Bootstrap', {
    cluster: config.cluster,
    edge: config.edge,
    gitopsManifests: new ArgoCdBootstrap(Testing.app(), '00-argocd', { repo: config.gitops }).toJson(),
    secrets,
    elasticsearch: config.logging.enabled,
  });
  return bootstrap
    .files()
    .filter((f) => f.path.endsWith('/user-data'))
    .map((f) => [`${configFile} ${f.path}`, f.content]);
}

function cloudInit(): string {
  const found = spawnSync('cloud-init', ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) {
    throw new Error('cloud-init is not installed, so user-data cannot be checked: install it (Debian/Ubuntu: apt-get update && apt-get install -y cloud-init)');
  }
  return 'cloud-init';
}

// The hand-written TypeScript example builds its host files without a config file.
const byHand = clubPlatform(secrets)
  .hosts.files()
  .filter((f) => f.path.endsWith('/user-data'))
  .map((f): [string, string] => [`examples/by-hand/club-platform.ts ${f.path}`, f.content]);
const cases = [...userData('test/fixtures/berkeleytime.yaml'), ...userData('examples/ha-cluster.yaml'), ...byHand];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'user-data-'));

test('every platform produces user-data for every host', () => {
  expect(cases.map(([name]) => name.split(' ')[1])).toEqual([
    'hosts/hozer-55/user-data',
    ...['autocrat', 'coup', 'deadlock', 'worker-1', 'worker-2', 'worker-3'].map((h) => `hosts/${h}/user-data`),
    'hosts/radio-1/user-data',
  ]);
});

/** `cloud-init schema` of each case, all started at once: each is a Python start-up of about half a second. */
const results = new Map<string, Promise<{ ok: boolean; output: string }>>();
beforeAll(() => {
  const bin = cloudInit();
  for (const [name, content] of cases) {
    const file = path.join(dir, name.replace(/[^A-Za-z0-9.-]+/g, '_'));
    fs.writeFileSync(file, content, { mode: 0o600 });
    results.set(
      name,
      new Promise((resolve) =>
        execFile(bin, ['schema', '--config-file', file], { encoding: 'utf8' }, (error, stdout, stderr) =>
          resolve({ ok: !error, output: `${stdout ?? ''}${stderr ?? ''}` }),
        ),
      ),
    );
  }
});

/**
 * The checks run side by side, so on a loaded machine (CI, or jest's other worker) the last may finish
 * well after jest's 5 s default; what is tested is the verdict, not the time.
 */
const SUBPROCESS_TIMEOUT_MS = 60_000;

test.each(cases)(
  '%s passes cloud-init schema --config-file',
  async (name) => {
    const { ok, output } = await results.get(name)!;
    if (!ok) throw new Error(`cloud-init schema rejected ${name}:\n${output}`);
    expect(output).toContain('Valid cloud-config');
  },
  SUBPROCESS_TIMEOUT_MS,
);
