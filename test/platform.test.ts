/**
 * Whole platforms, as a user synthesizes them: the default and every example pass strict
 * validation with zero findings, and no secret value ever lands in the output.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { formatFinding, validateTree } from '../lib/validate';
import {
  DEFAULT_CONFIG_FILE,
  fixtureTree,
  manifestFolders,
  mutatedConfigText,
  readManifests,
  readTree,
  ROOT,
  tmpDir,
  writeConfig,
  TEST_SECRETS,
  synthesizeWithSecrets,
} from './helpers';

const EXAMPLES = fs
  .readdirSync(path.join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => path.join(ROOT, 'examples', f));

/** Synthesizes a config and returns the findings of `npm run validate` on it, formatted. */
function synthAndValidate(configFile: string): { out: string; findings: string[] } {
  let out: string;
  let result: { externalSecrets: readonly string[]; externalStorageClasses: readonly string[] };
  if (configFile === DEFAULT_CONFIG_FILE) {
    const fixture = fixtureTree();
    out = fixture.dist;
    result = { externalSecrets: fixture.secrets, externalStorageClasses: fixture.storageClasses };
  } else {
    out = path.join(tmpDir(), 'dist');
    result = synthesizeWithSecrets({ configFile, outdir: out, secretsDir: TEST_SECRETS });
  }
  const findings = validateTree(manifestFolders(out), { declared: { secrets: result.externalSecrets, storageClasses: result.externalStorageClasses } });
  return { out, findings: findings.map(formatFinding) };
}

describe.each([
  ['the default platform', DEFAULT_CONFIG_FILE],
  ...EXAMPLES.map((f): [string, string] => [`examples/${path.basename(f)}`, f]),
  ['the default platform with the ingress-nginx renderer', writeConfig(mutatedConfigText((c) => (c.edge.controller = 'ingress-nginx')))],
])('%s', (_name, configFile) => {
  let out: string;
  let findings: string[];
  beforeAll(() => ({ out, findings } = synthAndValidate(configFile)));

  test('validates with zero findings (schemas 1.28 and 1.36, CRDs, references, Pod Security)', () => {
    expect(findings).toEqual([]);
  });

  test('holds no Secret object and no secret-looking literal', () => {
    const docs = readManifests(out);
    expect(docs.length).toBeGreaterThan(20);
    expect(docs.filter((d) => d.object.kind === 'Secret')).toEqual([]);
    for (const [file, text] of readTree(out)) {
      if (file.startsWith('hosts')) continue;
      // A value next to a password/token/secret key, other than a reference by name.
      expect({ file, hits: text.match(/^\s*-?\s*(password|passwd|token|secret[_-]?key|api[_-]?key)\s*:\s*\S+/gim) ?? [] }).toEqual({ file, hits: [] });
      expect(text).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY/);
    }
  });
});

test('no bootstrap secret value (join token, passwords, keys) lands outside dist/hosts/', () => {
  const out = path.join(tmpDir(), 'dist');
  const secretsDir = tmpDir();
  synthesizeWithSecrets({ configFile: DEFAULT_CONFIG_FILE, outdir: out, secretsDir });
  const secrets = yaml.load(fs.readFileSync(path.join(secretsDir, 'hozer.yaml'), 'utf8')) as Record<string, unknown>;
  // Leaf values; private keys by their base64 lines, which are what a leak would contain.
  const leaves = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(leaves) : []);
  const values = leaves(secrets).flatMap((v) => (v.includes('PRIVATE KEY') ? v.split('\n').filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l)) : [v]));
  expect(values.length).toBeGreaterThan(5);
  const tree = readTree(out);
  const userData = tree.get('hosts/hozer-55/user-data')!;
  expect(userData).toContain(String(secrets.bootstrapToken)); // the scan can find what it looks for
  for (const [file, text] of tree) {
    if (file.startsWith('hosts/')) continue;
    for (const value of values) expect({ file, leaked: text.includes(value) }).toEqual({ file, leaked: false });
  }
  expect(fs.statSync(path.join(out, 'hosts/hozer-55/user-data')).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(out, 'hosts')).mode & 0o777).toBe(0o700);
});

test('the Puppylove example is its own app: one backend on 8080 with its ConfigMap, Postgres, one replica', () => {
  const out = path.join(tmpDir(), 'dist');
  synthesizeWithSecrets({ configFile: path.join(ROOT, 'examples/puppylove.yaml'), outdir: out, secretsDir: TEST_SECRETS });
  const docs = readManifests(out).map((d) => d.object);
  const deploy = docs.find((o) => o.kind === 'Deployment' && o.metadata.namespace === 'puppylove-production' && o.metadata.name === 'backend');
  expect(deploy.spec.replicas).toBe(1);
  expect(deploy.spec.template.spec.containers[0].ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
  const env = deploy.spec.template.spec.containers[0].env.map((e: any) => e.name);
  expect(env).toEqual(expect.arrayContaining(['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_DB', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'ADMIN_PASS']));
  const cm = docs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'backend-env');
  expect(cm.data).toEqual({ ADMIN_ID: 'admin1', DOMAIN: 'puppylove.pclub.in', EMAIL_ID: 'hello@iitk.ac.in', GIN_MODE: 'release' });
  expect(docs.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'postgres')).toBe(true);
  expect(docs.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)).not.toContain('puppylove-staging');
});

test('the three-host example scales storage and logging with the inventory', () => {
  const out = path.join(tmpDir(), 'dist');
  synthesizeWithSecrets({ configFile: path.join(ROOT, 'examples/ha-cluster.yaml'), outdir: out, secretsDir: TEST_SECRETS });
  const docs = readManifests(out).map((d) => d.object);
  const es = docs.find((o) => o.kind === 'Elasticsearch');
  expect(es.spec.nodeSets.reduce((n: number, s: any) => n + s.count, 0)).toBe(3);
  const ceph = docs.find((o) => o.kind === 'CephCluster');
  expect(ceph.spec.mon.count).toBe(3);
  const pool = docs.find((o) => o.kind === 'CephBlockPool' && o.metadata.name === 'replicapool');
  expect(pool.spec.replicated.size).toBe(3);
  expect(pool.spec.failureDomain).toBe('host');
  const hosts = fs.readdirSync(path.join(out, 'hosts')).sort();
  expect(hosts).toHaveLength(6);
});
