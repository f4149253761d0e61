/**
 * The bad-input corpus (test/bad-inputs/*.yaml): each case changes the test fixture, or replaces
 * the whole file, and names what the error must say. Every case must be refused with the file and
 * that message, without a stack trace, and leave dist/ and secrets/ byte for byte as they were.
 *
 * A case is `{ name, error }` plus one of:
 *   set:    { "<path>": value, … }   paths like apps.x.components.backend.replicas, hosts[0], data["a.b"]
 *   delete: ["<path>", …]
 *   text:   the whole file's text
 *   file:   a path to use as the config (e.g. /dev/zero), or "<huge>" for a file over the size limit
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { synthesize } from '../app/synth';
import { initBootstrapSecrets, secretsFileFor } from '../bootstrap/secrets';
import { DEFAULT_CONFIG_FILE, readTree, scratchDirs, tmpDir } from './helpers';

interface Case {
  readonly name: string;
  readonly error: string;
  readonly set?: Record<string, unknown>;
  readonly delete?: string[];
  readonly text?: string;
  readonly file?: string;
}

const CORPUS = path.join(__dirname, 'bad-inputs');
const cases: [string, Case][] = fs
  .readdirSync(CORPUS)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((f) => (yaml.load(fs.readFileSync(path.join(CORPUS, f), 'utf8')) as Case[]).map((c): [string, Case] => [`${f}: ${c.name}`, c]));

/** `a.b[0]["c.d"]` → ['a', 'b', 0, 'c.d']. */
function segments(p: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of p.matchAll(/\["([^"]*)"\]|\[(\d+)\]|([^.[\]]+)/g)) out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]));
  return out;
}

function apply(config: any, c: Case): any {
  for (const [p, value] of Object.entries(c.set ?? {})) {
    const keys = segments(p);
    const parent = keys.slice(0, -1).reduce((node, k) => (node[k] ??= typeof k === 'number' ? [] : {}), config);
    parent[keys[keys.length - 1]] = value;
  }
  for (const p of c.delete ?? []) {
    const keys = segments(p);
    const parent = keys.slice(0, -1).reduce((node, k) => node?.[k], config);
    if (Array.isArray(parent)) parent.splice(keys[keys.length - 1] as number, 1);
    else if (parent) delete parent[keys[keys.length - 1]];
  }
  return config;
}

const root = tmpDir('bad-inputs-');
const dirs = scratchDirs(root);
const cluster = (yaml.load(fs.readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as any).cluster.name;
let before: { dist: Map<string, string>; secrets: Map<string, string> };

beforeAll(() => {
  initBootstrapSecrets(secretsFileFor(cluster, dirs.secretsDir), { log: () => undefined });
  synthesize({ configFile: DEFAULT_CONFIG_FILE, ...dirs });
  before = { dist: readTree(dirs.outdir), secrets: readTree(dirs.secretsDir) };
});

test('the corpus holds at least 150 cases, each named once', () => {
  expect(cases.length).toBeGreaterThanOrEqual(150);
  expect(new Set(cases.map(([name]) => name)).size).toBe(cases.length);
});

test.each(cases)('%s', (_name, c) => {
  let file: string;
  if (c.file === '<huge>') {
    file = path.join(tmpDir(), 'huge.yaml');
    fs.writeFileSync(file, `# padding\n${'#'.repeat(100)}\n`.repeat(12_000));
  } else if (c.file) {
    file = c.file;
  } else {
    file = path.join(tmpDir(), 'platform.yaml');
    const text = c.text ?? yaml.dump(apply(yaml.load(fs.readFileSync(DEFAULT_CONFIG_FILE, 'utf8')), c), { noRefs: true });
    fs.writeFileSync(file, text);
  }
  let message = '';
  try {
    synthesize({ configFile: file, ...dirs });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).not.toBe(''); // refused
  expect(message).toContain(c.error);
  expect(message.startsWith(`${file}: `) || message.startsWith('synthesis failed')).toBe(true);
  expect(message).not.toMatch(/\n\s+at /); // no stack trace
  expect(readTree(dirs.outdir)).toEqual(before.dist);
  expect(readTree(dirs.secretsDir)).toEqual(before.secrets);
});
