/**
 * A cluster's bootstrap secrets never change by accident: synthesis only reads them (without a
 * file it leaves the host boot files out), `npm run secrets -- --init` creates them once with a
 * fingerprint to commit, a file that does not match the fingerprint stops everything, and no
 * message ever shows key material.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { synthesize } from '../app/synth';
import { fingerprintFileFor } from '../bootstrap/fingerprint';
import { main as secretsCommand } from '../bootstrap/secrets-command';
import { renderBootstrapSecrets, generateBootstrapSecrets, parseBootstrapSecrets, secretsFileFor } from '../bootstrap/secrets';
import { ConfigError } from '../config/load';
import { main as sealCommand } from '../app/seal-command';
import { DEFAULT_CONFIG_FILE, fixtureSecretValues, readTree, scratchDirs, tmpDir } from './helpers';

const CLUSTER = (yaml.load(fs.readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as any).cluster.name as string;

/** A scratch repository layout: secrets/, fingerprints/, sealed/ and dist/ of its own. */
function scratch() {
  const root = tmpDir('secrets-lifecycle-');
  const dirs = scratchDirs(root);
  return {
    ...dirs,
    root,
    secretsFile: secretsFileFor(CLUSTER, dirs.secretsDir),
    fingerprintFile: fingerprintFileFor(CLUSTER, dirs.fingerprintsDir),
    // As the README has a team do it: after --init, seal the Secrets the workloads need, then synthesize.
    synth: () => {
      sealOnce(dirs.sealedDir, root);
      return synthesize({ configFile: DEFAULT_CONFIG_FILE, ...dirs });
    },
    command: (...args: string[]) => commandWithInput('', ...args),
    commandWithInput,
  };
  /** `npm run secrets` on the scratch files, with `input` as its standard input. */
  function commandWithInput(input: string, ...args: string[]) {
    const files = [
      '--file',
      secretsFileFor(CLUSTER, dirs.secretsDir),
      '--fingerprint',
      fingerprintFileFor(CLUSTER, dirs.fingerprintsDir),
      '--sealed',
      dirs.sealedDir,
    ];
    return capture(() => secretsCommand(['--config', DEFAULT_CONFIG_FILE, ...files, ...args], () => input));
  }
}

/** What --init left in a scratch layout, kept for initialized(): secrets/, fingerprints/ and sealed/. */
let template: string | undefined;
const copyLayout = (from: string, to: string) => {
  for (const dir of ['secrets', 'fingerprints', 'sealed']) fs.cpSync(path.join(from, dir), path.join(to, dir), { recursive: true });
};
function keepAsTemplate(root: string): void {
  template = tmpDir('secrets-lifecycle-template-');
  copyLayout(root, template);
}

/**
 * A scratch layout as `npm run secrets -- --init` leaves it, copied from the first --init of this file (the test of
 * --init itself, or one made here): each --init makes a 4096-bit sealing key, one to two seconds.
 */
function initialized() {
  if (!template) {
    const first = scratch();
    const init = first.command('--init');
    if (init.code !== 0) throw new Error(init.out);
    keepAsTemplate(first.root);
  }
  const s = scratch();
  copyLayout(template!, s.root);
  return s;
}

/** Seals generated values once the scratch cluster has a sealing certificate and nothing is sealed yet. */
function sealOnce(sealedDir: string, root: string): void {
  const dir = path.join(sealedDir, CLUSTER);
  if (!fs.existsSync(path.join(dir, 'sealing-certificate.pem')) || fs.readdirSync(dir).length > 1) return;
  const values = path.join(root, 'values.yaml');
  fs.writeFileSync(values, yaml.dump(fixtureSecretValues()), { mode: 0o600 });
  const sealed = capture(() => sealCommand(['--config', DEFAULT_CONFIG_FILE, '--sealed', sealedDir, '--values', values]));
  if (sealed.code !== 0) throw new Error(sealed.out);
}

function capture(fn: () => number): { code: number; out: string } {
  const lines: string[] = [];
  const record = (...parts: unknown[]) => void lines.push(parts.map(String).join(' '));
  const spies = [
    jest.spyOn(console, 'log').mockImplementation(record),
    jest.spyOn(console, 'error').mockImplementation(record),
    jest.spyOn(console, 'warn').mockImplementation(record),
  ];
  try {
    return { code: fn(), out: lines.join('\n') };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('without a secrets file, synthesis writes every manifest, no host files, creates nothing, and says how to create them', () => {
  const s = scratch();
  const result = s.synth();
  expect(result.hostFilesSkipped).toMatch(/host boot files \(dist\/hosts\/\) not written.*`npm run secrets -- --init`/);
  expect(fs.existsSync(s.secretsDir)).toBe(false);
  expect(fs.existsSync(s.fingerprintsDir)).toBe(false);
  const files = [...readTree(s.outdir).keys()];
  expect(files.filter((f) => f.startsWith('hosts/'))).toEqual([]);
  expect(files.filter((f) => f.endsWith('.k8s.yaml')).length).toBeGreaterThan(100);
});

test('--init creates the secrets and their fingerprint once; then synthesis writes the host files', () => {
  const s = scratch();
  const init = s.command('--init');
  expect(init.code).toBe(0);
  keepAsTemplate(s.root);
  expect(init.out).toContain(`Fingerprint written to ${s.fingerprintFile}`);
  const fingerprint = fs.readFileSync(s.fingerprintFile, 'utf8');
  expect(fingerprint).toMatch(new RegExp(`^cluster: ${CLUSTER}$`, 'm'));
  expect(fingerprint).toMatch(/^clusterCa: sha256:[0-9a-f]{64}$/m);
  expect(fingerprint).not.toMatch(/PRIVATE KEY|BEGIN/);
  const secrets = fs.readFileSync(s.secretsFile, 'utf8');

  expect(s.command('--init')).toMatchObject({ code: 1, out: expect.stringContaining('exists already') });
  expect(fs.readFileSync(s.secretsFile, 'utf8')).toBe(secrets); // never replaced
  expect(s.command()).toMatchObject({ code: 0, out: expect.stringContaining(`matches ${s.fingerprintFile}`) });

  expect(s.synth().hostFilesSkipped).toBeUndefined();
  expect([...readTree(s.outdir).keys()].filter((f) => f.startsWith('hosts/')).length).toBeGreaterThan(0);
});

test('a deleted secrets file of a fingerprinted cluster is never re-created: restore it', () => {
  const s = initialized();
  fs.rmSync(s.secretsFile);
  expect(s.synth().hostFilesSkipped).toMatch(/restore its secrets file from your off-host backup; never create a new one/);
  expect(fs.existsSync(s.secretsFile)).toBe(false);
  expect(s.command('--init')).toMatchObject({ code: 1, out: expect.stringContaining('Restore its secrets file') });
  expect(s.command()).toMatchObject({ code: 1, out: expect.stringContaining('restore its secrets file from your off-host backup') });
  expect(fs.existsSync(s.secretsFile)).toBe(false);
});

test('a secrets file that is not the cluster’s own stops synthesis, and dist/ and secrets/ stay as they were', () => {
  const s = initialized();
  s.synth();
  const before = readTree(s.outdir);
  const other = renderBootstrapSecrets(generateBootstrapSecrets());
  fs.writeFileSync(s.secretsFile, other, { mode: 0o600 }); // e.g. another cluster's file restored by mistake
  const error = errorOf(() => s.synth());
  expect(error.message).toContain(s.secretsFile);
  expect(error.problems).toEqual([
    expect.stringMatching(/^clusterCa: the fingerprint records sha256:[0-9a-f]{64}, the secrets file has sha256:[0-9a-f]{64}$/),
    expect.stringMatching(/^etcdCa: /),
    expect.stringMatching(/^frontProxyCa: /),
    expect.stringMatching(/^serviceAccount: /),
    expect.stringMatching(/these are not the secrets of cluster .*restore the cluster's own secrets file/),
  ]);
  expect(readTree(s.outdir)).toEqual(before);
  expect(fs.readFileSync(s.secretsFile, 'utf8')).toBe(other);
  expect(s.command()).toMatchObject({ code: 1, out: expect.stringContaining('is not the secrets file of cluster') });
});

describe('no message shows key material', () => {
  const secrets = generateBootstrapSecrets();
  const text = renderBootstrapSecrets(secrets);
  const keyLines = text.split('\n').filter((l) => /[A-Za-z0-9+/]{40,}/.test(l));
  const damaged = [
    ['a character that is no base64 inside a key', text.replace(keyLines[3], `${keyLines[3].slice(0, 20)}%${keyLines[3].slice(21)}`)],
    ['a truncated file', text.slice(0, text.indexOf(keyLines[5]) + 30)],
    ['broken YAML indentation', text.replace(keyLines[2], `   ${keyLines[2]}:`)],
    ['a swapped key', renderBootstrapSecrets({ ...secrets, clusterCa: { cert: secrets.clusterCa.cert, key: secrets.etcdCa.key } })],
  ] as const;
  test.each(damaged)('%s', (_name, broken) => {
    const error = errorOf(() => parseBootstrapSecrets(broken, 'secrets/x.yaml'));
    expect(error.problems.length).toBeGreaterThan(0);
    for (const line of text.split('\n').filter((l) => /[A-Za-z0-9+/=]{16,}/.test(l))) {
      for (const part of line.trim().match(/[A-Za-z0-9+/=]{16,}/g) ?? []) expect(error.message).not.toContain(part.slice(0, 16));
    }
  });
});

test('--repo-token stores an https token read from standard input, and the first control plane hands it to Argo CD', () => {
  const s = initialized();
  expect(s.command('--repo-token').code).toBe(2);
  const none = s.commandWithInput('', '--repo-token', '--repo-username', 'argocd');
  expect(none.out).toContain('reads the token from standard input');
  const stored = s.commandWithInput('glpat-0123456789abcdefghij\n', '--repo-token', '--repo-username', 'argocd');
  expect(stored.code).toBe(0);
  expect(stored.out).not.toContain('glpat-0123456789abcdefghij');
  expect(parseBootstrapSecrets(fs.readFileSync(s.secretsFile, 'utf8'), s.secretsFile).gitopsRepository).toEqual({
    username: 'argocd',
    password: 'glpat-0123456789abcdefghij',
  });
  s.synth();
  const tree = readTree(path.join(s.outdir, 'hosts'));
  const userData = [...tree].find(([f, text]) => f.endsWith('user-data') && text.includes('repository.yaml'));
  expect(userData?.[1]).toContain('argocd.argoproj.io/secret-type: repository');
  // A deploy key for an https URL is refused: it could never be used.
  const refused = s.command('--deploy-key');
  expect(refused.code).toBe(1);
  expect(refused.out).toMatch(/is an https URL, but the secrets file holds an ssh deploy key/);
});

test('the sealing key: made by --init with its certificate beside the sealed inputs, rotated on request, printable only into a pipe', () => {
  const s = initialized();
  const certFile = path.join(s.sealedDir, CLUSTER, 'sealing-certificate.pem');
  const first = fs.readFileSync(certFile, 'utf8');
  expect(parseBootstrapSecrets(fs.readFileSync(s.secretsFile, 'utf8'), s.secretsFile).sealingKey?.cert).toBe(first);
  expect(s.command('--sealing-key')).toMatchObject({ code: 1, out: expect.stringContaining('has a sealing key already') });
  const rotated = s.command('--rotate-sealing-key');
  expect(rotated.code).toBe(0);
  expect(rotated.out).toContain('Seal every value again with the new certificate: npm run seal -- --values');
  const second = fs.readFileSync(certFile, 'utf8');
  expect(second).not.toBe(first);
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => (written.push(String(chunk)), true));
  try {
    expect(s.command('--sealing-key-manifest').code).toBe(0);
  } finally {
    spy.mockRestore();
  }
  const [, secret] = yaml.loadAll(written.join('')) as any[];
  expect(secret.metadata.labels).toEqual({ 'sealedsecrets.bitnami.com/sealed-secrets-key': 'active' });
  expect(secret.stringData['tls.crt']).toBe(second);
});
