/** Shared test fixtures: the default config, mutated copies of it, and synthesized trees. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { parseConfig } from '../config/load';
import { PlatformConfig } from '../config/schema';
import { repoRoot } from '../lib/repo-root';

export const ROOT = repoRoot(__dirname);
/**
 * The platform the tests synthesize: the Berkeleytime system, as a fixture of the tests' own, so that a
 * team replacing config/platform.yaml with its own platform keeps a green suite
 * (test/your-platform.test.ts checks whatever config/platform.yaml holds).
 */
export const DEFAULT_CONFIG_FILE = path.join(ROOT, 'test', 'fixtures', 'berkeleytime.yaml');

/** The fixture platform config as plain data (a fresh copy each call). */
export function defaultConfigData(): any {
  return yaml.load(fs.readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
}

/** The default config with `mutate` applied, as YAML text. */
export function mutatedConfigText(mutate: (cfg: any) => void): string {
  const cfg = defaultConfigData();
  mutate(cfg);
  return yaml.dump(cfg);
}

/** Parses a mutated default config; returns the error message (or throws if it parsed). */
export function configError(mutate: (cfg: any) => void): string {
  try {
    parseConfig(mutatedConfigText(mutate), 'config/platform.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

export function parsedConfig(mutate: (cfg: any) => void = () => {}): PlatformConfig {
  return parseConfig(mutatedConfigText(mutate), 'config/platform.yaml');
}

export function tmpDir(prefix = 'platform-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Bootstrap secrets for this test file's syntheses (tests never touch the repo's secrets/). */
export const TEST_SECRETS = tmpDir('platform-secrets-');

/** The manifest folders of a synthesized dist/ (dist/hosts holds boot files, dist/pictures SVGs, not manifests). */
export function manifestFolders(dist: string): string[] {
  return fs
    .readdirSync(dist, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'hosts' && e.name !== 'pictures')
    .map((e) => path.join(dist, e.name));
}

/** Fingerprints of the tests' clusters: a scratch folder, never the repository's `fingerprints/`. */
export const TEST_FINGERPRINTS = tmpDir('platform-fingerprints-');
/** The folders of a scratch repository below `root`: its own dist/, secrets/, fingerprints/ and sealed/. */
export function scratchDirs(root: string) {
  return {
    outdir: path.join(root, 'dist'),
    secretsDir: path.join(root, 'secrets'),
    fingerprintsDir: path.join(root, 'fingerprints'),
    sealedDir: path.join(root, 'sealed'),
  };
}

/** An empty sealed folder: the product's tests never read the example cluster's sealed/ inputs. */
export const TEST_SEALED = tmpDir('platform-sealed-');

/**
 * synthesize() as a team runs it after `npm run secrets -- --init`: the cluster's secrets are made
 * once in `secretsDir` (TEST_SECRETS unless given), and fingerprints live in a scratch folder.
 */
export function synthesizeWithSecrets(opts: import('../app/synth').SynthOptions): import('../app/synth').SynthResult {
  // Loaded lazily: most suites that import the helpers never synthesize.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { synthesize } = require('../app/synth') as typeof import('../app/synth');
  const { loadOrCreateBootstrapSecrets, secretsFileFor } = require('../bootstrap/secrets') as typeof import('../bootstrap/secrets');
  const { loadConfig } = require('../config/load') as typeof import('../config/load');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const secretsDir = opts.secretsDir ?? TEST_SECRETS;
  loadOrCreateBootstrapSecrets(secretsFileFor(loadConfig(opts.configFile).cluster.name, secretsDir), { log: () => undefined });
  return synthesize({ fingerprintsDir: TEST_FINGERPRINTS, sealedDir: TEST_SEALED, ...opts, secretsDir });
}

/** Synthesizes the test fixture platform into `<root>/dist` (the shared tree of test/global-setup.ts). */
export function synthesizeFixture(root: string, secretsDir: string): void {
  synthesizeWithSecrets({ configFile: DEFAULT_CONFIG_FILE, outdir: path.join(root, 'dist'), secretsDir });
}

/** Environment variable naming the shared fixture tree (set by test/global-setup.ts). */
export const FIXTURE_TREE_ENV = 'PLATFORM_TEST_FIXTURE_TREE';

/** Makes every folder and file below `dir` writable by its owner, or read-only. */
export function setWritable(dir: string, writable: boolean): void {
  const walk = (p: string) => {
    const stat = fs.lstatSync(p);
    if (stat.isDirectory()) {
      // A folder is opened for writing before its entries, and closed after them.
      if (writable) fs.chmodSync(p, stat.mode | 0o200);
      for (const e of fs.readdirSync(p)) walk(path.join(p, e));
      if (!writable) fs.chmodSync(p, stat.mode & ~0o222);
    } else if (stat.isFile()) {
      fs.chmodSync(p, writable ? stat.mode | 0o200 : stat.mode & ~0o222);
    }
  };
  walk(dir);
}

export interface FixtureTree {
  /** Stands for the repository: holds `dist/`. */
  readonly root: string;
  readonly dist: string;
  /** From dist/externals.json: the Secrets and StorageClasses the manifests need but do not hold. */
  readonly secrets: readonly string[];
  readonly storageClasses: readonly string[];
}

let fixture: FixtureTree | undefined;
/**
 * The test fixture platform (DEFAULT_CONFIG_FILE) synthesized once for the whole run, read-only:
 * copy it before changing anything. Synthesized here when the global setup did not run.
 */
export function fixtureTree(): FixtureTree {
  if (fixture) return fixture;
  let root = process.env[FIXTURE_TREE_ENV];
  if (!root) {
    root = tmpDir('platform-fixture-');
    synthesizeFixture(root, TEST_SECRETS);
  }
  const dist = path.join(root, 'dist');
  const externals = JSON.parse(fs.readFileSync(path.join(dist, 'externals.json'), 'utf8')) as { secrets: string[]; storageClasses: string[] };
  fixture = { root, dist, secrets: externals.secrets, storageClasses: externals.storageClasses };
  return fixture;
}

/** Runs a CLI `main(args)` with console output captured: its exit code and every printed line. */
export async function runCli(main: (args: string[]) => Promise<number>, args: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  const error = jest.spyOn(console, 'error').mockImplementation((line: string) => void out.push(line));
  try {
    return { code: await main(args), out };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** Writes a config file into a temp dir and returns its path. */
export function writeConfig(text: string, dir: string = tmpDir()): string {
  const file = path.join(dir, 'platform.yaml');
  fs.writeFileSync(file, text);
  return file;
}

/** Every file below `dir` as `relative path → content`, sorted. */
export function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

/** All YAML documents below `dir` (manifests only: dist/hosts is not a manifest tree). */
export function readManifests(dir: string): { file: string; object: any }[] {
  return [...readTree(dir)]
    .filter(([file]) => file.endsWith('.yaml') && !file.startsWith('hosts'))
    .flatMap(([file, text]) =>
      yaml
        .loadAll(text)
        .filter(Boolean)
        .map((object) => ({ file, object })),
    );
}

/**
 * Random values for every Secret the fixture platform's workloads read, as a values file of
 * `npm run seal` (generated per run: no plaintext is ever committed).
 */
export function fixtureSecretValues(): Record<string, Record<string, string>> {
  /* eslint-disable-next-line @typescript-eslint/no-require-imports */
  const { randomBytes } = require('crypto') as typeof import('crypto');
  const value = () => randomBytes(18).toString('base64url');
  const backend = () => ({ DJANGO_SECRET_KEY: value(), SIS_CLASS_APP_KEY: value(), SIS_COURSE_APP_KEY: value() });
  const postgres = () => ({ username: 'berkeleytime', password: value() });
  return {
    'berkeleytime-production/backend-secrets': backend(),
    'berkeleytime-production/postgres-credentials': postgres(),
    'berkeleytime-staging/backend-secrets': backend(),
    'berkeleytime-staging/postgres-credentials': postgres(),
    'previews/berkeleytime/backend-secrets': backend(),
    'previews/berkeleytime/postgres-credentials': postgres(),
    'logging/kibana-basic-auth': (() => {
      const htpasswd = `admin:{SHA}${value()}`;
      return { '.htpasswd': htpasswd, auth: htpasswd };
    })(),
    'monitoring/grafana-admin': { 'admin-user': 'admin', 'admin-password': value() },
  };
}

/** Every object of every YAML file under `dist` (the host boot files left out), in folder order. */
export function treeObjects(dist: string): any[] {
  const out: any[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.yaml')) out.push(...(yaml.loadAll(fs.readFileSync(p, 'utf8')) as any[]).filter(Boolean));
    }
  };
  for (const sub of fs.readdirSync(dist, { withFileTypes: true })) if (sub.isDirectory() && sub.name !== 'hosts') walk(path.join(dist, sub.name));
  return out;
}
