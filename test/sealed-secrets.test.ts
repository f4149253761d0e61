/**
 * Secrets in git, sealed: values sealed by `npm run seal` with a cluster's certificate end up as
 * SealedSecrets in every environment of the tree, decrypt with the cluster's private key under an
 * independent implementation of the controller's decryption (written here, not the sealing code),
 * are bound to their namespace and name, and never appear in plaintext. Required Secrets are a
 * contract, and the first control plane installs the sealing key.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as yaml from 'js-yaml';
import { main as sealCommand } from '../app/seal-command';
import { synthesize } from '../app/synth';
import { ArgoCdBootstrap } from '../charts/gitops';
import { ClusterBootstrap } from '../bootstrap/cluster-bootstrap';
import { generateBootstrapSecrets, secretsFileFor, writeBootstrapSecrets } from '../bootstrap/secrets';
import { loadConfig } from '../config/load';
import { SynthError } from '../lib/synth-writer';
import { repoRoot } from '../lib/repo-root';
import { DEFAULT_CONFIG_FILE, fixtureSecretValues, readTree, tmpDir, TEST_FINGERPRINTS, synthesizeWithSecrets } from './helpers';
import { testSealingKey } from './sealing-keys';

const CLUSTER = loadConfig(DEFAULT_CONFIG_FILE).cluster.name;
const key = testSealingKey('own');
/** Another cluster's sealing key. */
const anotherSealingKey = () => testSealingKey('other');
/** The cluster's secrets file, holding this sealing key (as `npm run secrets -- --init` makes it). */
const SECRETS_DIR = tmpDir('sealed-secrets-');
writeBootstrapSecrets(secretsFileFor(CLUSTER, SECRETS_DIR), { ...generateBootstrapSecrets(), sealingKey: key });

/**
 * The controller's decryption (bitnami-labs/sealed-secrets pkg/crypto singleDecrypt), written
 * independently of lib/sealed-secrets.ts: length prefix, RSA-OAEP(SHA-256, label) session key,
 * AES-256-GCM with a zero nonce and the tag at the end.
 */
function unseal(privateKeyPem: string, sealed: string, label: string): string {
  const data = Buffer.from(sealed, 'base64');
  const rsaLength = data.readUInt16BE(0);
  const sessionKey = crypto.privateDecrypt(
    { key: privateKeyPem, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(label) },
    data.subarray(2, 2 + rsaLength),
  );
  const rest = data.subarray(2 + rsaLength);
  const decipher = crypto.createDecipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  decipher.setAuthTag(rest.subarray(rest.length - 16));
  return Buffer.concat([decipher.update(rest.subarray(0, rest.length - 16)), decipher.final()]).toString('utf8');
}

interface Scratch {
  readonly sealedRoot: string;
  readonly valuesFile: string;
  readonly values: Record<string, Record<string, string>>;
  readonly seal: (args: string[], input?: string) => { code: number; out: string };
}

function scratch(): Scratch {
  const root = tmpDir('sealed-');
  const sealedRoot = path.join(root, 'sealed');
  fs.mkdirSync(path.join(sealedRoot, CLUSTER), { recursive: true });
  fs.writeFileSync(path.join(sealedRoot, CLUSTER, 'sealing-certificate.pem'), key.cert);
  const values = fixtureSecretValues();
  const valuesFile = path.join(root, 'values.yaml');
  fs.writeFileSync(valuesFile, yaml.dump(values), { mode: 0o600 });
  const seal = (args: string[], input = '') => {
    const lines: string[] = [];
    const spies = (['log', 'error', 'warn'] as const).map((m) => jest.spyOn(console, m).mockImplementation((...p) => void lines.push(p.join(' '))));
    try {
      return { code: sealCommand(['--config', DEFAULT_CONFIG_FILE, '--sealed', sealedRoot, ...args], () => Buffer.from(input)), out: lines.join('\n') };
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
  };
  return { sealedRoot, valuesFile, values, seal };
}

const sealedObjects = (dist: string) =>
  [...readTree(dist)]
    .filter(([f]) => !f.startsWith('hosts/') && f.endsWith('.yaml'))
    .flatMap(([, text]) => (yaml.loadAll(text) as any[]).filter((o) => o?.kind === 'SealedSecret'));

describe('a platform whose Secrets are sealed in git', () => {
  const s = scratch();
  expect(s.seal(['--values', s.valuesFile]).code).toBe(0);
  const outdir = path.join(tmpDir('sealed-dist-'), 'dist');
  const result = synthesizeWithSecrets({ configFile: DEFAULT_CONFIG_FILE, outdir, sealedDir: s.sealedRoot, secretsDir: SECRETS_DIR });
  const objects = sealedObjects(outdir);

  test('every required Secret of every environment is a SealedSecret in the tree, none to create by hand', () => {
    expect(result.sealsSecrets).toBe(true);
    expect(result.unsealedSecrets).toEqual([]);
    const inTree = objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort();
    expect(inTree).toEqual([...result.externalSecrets].sort());
  });

  test('each value decrypts with the private key to what was sealed; previews get the app template in their namespace', () => {
    for (const o of objects) {
      const id = `${o.metadata.namespace}/${o.metadata.name}`;
      const preview = o.metadata.annotations?.['sealedsecrets.bitnami.com/cluster-wide'] === 'true';
      const expected = s.values[preview ? `previews/berkeleytime/${o.metadata.name}` : id];
      expect([id, Object.keys(o.spec.encryptedData).sort()]).toEqual([id, Object.keys(expected).sort()]);
      for (const [k, v] of Object.entries(o.spec.encryptedData as Record<string, string>)) {
        expect(unseal(key.key, v, preview ? '' : id)).toBe(expected[k]);
      }
    }
    expect(objects.filter((o) => o.metadata.namespace.includes('-preview-')).length).toBe(4);
  });

  test('a value moved to another namespace or name does not decrypt (the scope label binds it)', () => {
    const production = objects.find((o) => o.metadata.namespace === 'berkeleytime-production' && o.metadata.name === 'backend-secrets')!;
    const value = production.spec.encryptedData.DJANGO_SECRET_KEY;
    expect(() => unseal(key.key, value, 'berkeleytime-staging/backend-secrets')).toThrow();
    expect(() => unseal(key.key, value, 'berkeleytime-production/postgres-credentials')).toThrow();
    expect(() => unseal(anotherSealingKey().key, value, 'berkeleytime-production/backend-secrets')).toThrow();
  });

  test('no plaintext value appears in dist/, in the sealed folder or anywhere in the repository', () => {
    const secrets = Object.values(s.values).flatMap((v) => Object.values(v).filter((x) => x.length > 12));
    expect(secrets.length).toBeGreaterThan(8);
    const trees = [readTree(outdir), readTree(s.sealedRoot)];
    for (const tree of trees) for (const [file, text] of tree) for (const v of secrets) expect([file, text.includes(v)]).toEqual([file, false]);
    const repo = [...readTree(path.join(repoRoot(), 'sealed')), ...readTree(path.join(repoRoot(), 'dist'))].filter(([f]) => !f.startsWith('hosts/'));
    for (const [file, text] of repo) for (const v of secrets) expect([file, text.includes(v)]).toEqual([file, false]);
  });

  test('the SealedSecrets wait in the environments’ first wave, before the migration and workloads', () => {
    for (const o of objects)
      expect(o.metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBe(['logging', 'monitoring'].includes(o.metadata.namespace) ? '3' : '-2');
  });
});

describe('the seal command', () => {
  test('one value from standard input adds a key and keeps the others; it needs a value, a known preview app and a certificate', () => {
    const s = scratch();
    expect(s.seal(['berkeleytime-production/backend-secrets', 'DJANGO_SECRET_KEY'], 'first').code).toBe(0);
    expect(s.seal(['berkeleytime-production/backend-secrets', 'SIS_CLASS_APP_KEY'], 'second').code).toBe(0);
    const file = path.join(s.sealedRoot, CLUSTER, 'berkeleytime-production', 'backend-secrets.yaml');
    const o = yaml.load(fs.readFileSync(file, 'utf8')) as any;
    expect(unseal(key.key, o.spec.encryptedData.DJANGO_SECRET_KEY, 'berkeleytime-production/backend-secrets')).toBe('first');
    expect(unseal(key.key, o.spec.encryptedData.SIS_CLASS_APP_KEY, 'berkeleytime-production/backend-secrets')).toBe('second');
    expect(fs.readFileSync(file, 'utf8')).not.toContain('first');

    expect(s.seal(['berkeleytime-production/backend-secrets', 'X'], '').out).toContain('expected the value on standard input');
    expect(s.seal(['--preview', 'nosuchapp/backend-secrets', 'X'], 'v').out).toContain('expected an app with previews (berkeleytime), found "nosuchapp"');
    expect(s.seal(['berkeleytime-production/backend-secrets', 'bad key'], 'v').out).toContain('expected a Secret key');
    fs.rmSync(path.join(s.sealedRoot, CLUSTER, 'sealing-certificate.pem'));
    expect(s.seal(['berkeleytime-production/backend-secrets', 'X'], 'v').out).toContain('this cluster has no sealing key yet');
  });
});

describe('the contract', () => {
  const synth = (s: Scratch, edit: (c: any) => void = () => undefined) => {
    const text = yaml.load(fs.readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as any;
    edit(text);
    const file = path.join(tmpDir('sealed-config-'), 'platform.yaml');
    fs.writeFileSync(file, yaml.dump(text));
    return () =>
      synthesize({
        configFile: file,
        outdir: path.join(tmpDir('sealed-out-'), 'dist'),
        sealedDir: s.sealedRoot,
        secretsDir: SECRETS_DIR,
        fingerprintsDir: TEST_FINGERPRINTS,
      });
  };
  const errorOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      if (err instanceof SynthError) return err.message;
      throw err;
    }
    throw new Error('expected synthesis to fail');
  };

  test('an unsealed production Secret stops synthesis and says what to run; staging only warns; secrets.external with a reason lifts it', () => {
    const s = scratch();
    expect(s.seal(['--values', s.valuesFile]).code).toBe(0);
    fs.rmSync(path.join(s.sealedRoot, CLUSTER, 'berkeleytime-production', 'backend-secrets.yaml'));
    fs.rmSync(path.join(s.sealedRoot, CLUSTER, 'berkeleytime-staging', 'backend-secrets.yaml'));
    const message = errorOf(synth(s));
    expect(message).toContain(
      'Secret berkeleytime-production/backend-secrets is needed by the workloads and not sealed in sealed/hozer/: seal it (printf %s VALUE | npm run seal -- berkeleytime-production/backend-secrets <key>)',
    );
    expect(message).not.toContain('berkeleytime-staging');
    const result = synth(
      s,
      (c) => (c.secrets = { external: [{ secret: 'berkeleytime-production/backend-secrets', reason: 'made by the campus vault operator' }] }),
    )();
    expect(result.unsealedSecrets).toEqual(['berkeleytime-staging/backend-secrets']);
    expect(result.warnings.map((w) => w.id)).toContain('platform:secrets:notSealed');
  });

  test('a secrets file whose sealing key is not the committed certificate’s stops synthesis', () => {
    const s = scratch();
    fs.writeFileSync(path.join(s.sealedRoot, CLUSTER, 'sealing-certificate.pem'), anotherSealingKey().cert);
    expect(() => synth(s)()).toThrow(/sealing-certificate\.pem: expected the certificate of the sealing key in secrets\/hozer\.yaml, found another/);
  });

  test('SealedSecrets sealed for another certificate (the example’s, before a rotation) are refused with what to run', () => {
    const s = scratch();
    expect(s.seal(['--values', s.valuesFile]).code).toBe(0);
    fs.writeFileSync(path.join(s.sealedRoot, CLUSTER, 'sealing-certificate.pem'), anotherSealingKey().cert);
    expect(() => synth(s)()).toThrow(
      /backend-secrets\.yaml: expected values sealed with sealing-certificate\.pem \([0-9a-f]{12}\), found ones sealed with [0-9a-f]{12}: seal them again/,
    );
  });

  test('a sealed Secret that lacks a key the workloads read stops synthesis', () => {
    const s = scratch();
    const values = { ...s.values, 'berkeleytime-production/backend-secrets': { DJANGO_SECRET_KEY: 'x'.repeat(20) } };
    fs.writeFileSync(s.valuesFile, yaml.dump(values));
    expect(s.seal(['--values', s.valuesFile]).code).toBe(0);
    expect(errorOf(synth(s))).toContain(
      'sealed/hozer/berkeleytime-production/backend-secrets.yaml: expected the key(s) SIS_CLASS_APP_KEY, SIS_COURSE_APP_KEY, which the workloads of berkeleytime-production read',
    );
  });

  test('a SealedSecret for a namespace the platform does not have, or sealed in another scope, is refused', () => {
    const s = scratch();
    expect(s.seal(['nowhere/thing', 'k'], 'value-1').code).toBe(0);
    expect(errorOf(synth(s))).toContain('sealed/hozer/nowhere/thing.yaml: namespace nowhere is not part of this platform');
    fs.rmSync(path.join(s.sealedRoot, CLUSTER, 'nowhere'), { recursive: true });
    expect(s.seal(['--preview', 'berkeleytime/backend-secrets', 'k'], 'value-2').code).toBe(0);
    const moved = path.join(s.sealedRoot, CLUSTER, 'berkeleytime-staging');
    fs.mkdirSync(moved, { recursive: true });
    fs.copyFileSync(path.join(s.sealedRoot, CLUSTER, 'previews', 'berkeleytime', 'backend-secrets.yaml'), path.join(moved, 'backend-secrets.yaml'));
    expect(() => synth(s)()).toThrow(/expected a value sealed in strict scope, found cluster-wide/);
  });
});

describe('the sealing key born with the cluster', () => {
  const config = loadConfig(DEFAULT_CONFIG_FILE);
  const files = new ClusterBootstrap(Testing.chart(), 'Bootstrap', {
    cluster: config.cluster,
    edge: config.edge,
    gitopsManifests: new ArgoCdBootstrap(Testing.app(), '00-argocd', { repo: config.gitops }).toJson(),
    secrets: { ...generateBootstrapSecrets(), sealingKey: key },
  }).files();
  const userData = yaml.load(files.find((f) => f.path.endsWith('/user-data'))!.content) as {
    write_files: { path: string; content: string; permissions: string }[];
  };
  const file = (p: string) => userData.write_files.find((f) => f.path === p);

  test('the first control plane installs it as the controller’s active key before the root Application', () => {
    const manifest = file('/etc/kubernetes/bootstrap/sealing-key.yaml')!;
    expect(manifest.permissions).toBe('0600');
    const [namespace, secret] = yaml.loadAll(manifest.content) as any[];
    expect(namespace).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sealed-secrets' } });
    expect(secret).toMatchObject({
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { namespace: 'sealed-secrets', labels: { 'sealedsecrets.bitnami.com/sealed-secrets-key': 'active' } },
      stringData: { 'tls.crt': key.cert, 'tls.key': key.key },
    });
    const steps = (JSON.parse(file('/etc/platform-boot/steps.json')!.content).steps as { name: string }[]).map((st) => st.name);
    expect(steps.indexOf('sealing-key')).toBeGreaterThan(steps.indexOf('argo-cd'));
    expect(steps.indexOf('sealing-key')).toBeLessThan(steps.indexOf('root-application'));
  });

  test('the certificate is RSA, self-signed, for encryption, and matches its key', () => {
    const cert = new crypto.X509Certificate(key.cert);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkPrivateKey(crypto.createPrivateKey(key.key))).toBe(true);
  });
});
