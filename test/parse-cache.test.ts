/**
 * The parsed-tree cache of `npm run validate` (lib/validate/parse-cache.ts): an unchanged tree is read back equal to
 * a fresh parse, any edited file is parsed again, a damaged entry is parsed again, and parse errors keep their finding.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadTree } from '../lib/validate';
import { tmpDir } from './helpers';

const saved = process.env.XDG_CACHE_HOME;
beforeEach(() => {
  process.env.XDG_CACHE_HOME = tmpDir('parse-cache-home-');
});
afterAll(() => {
  if (saved === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = saved;
});

const entries = () => {
  const dir = path.join(process.env.XDG_CACHE_HOME!, 'campus-platform', 'parsed');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.v8')) : [];
};

function tree(files: Record<string, string>): string {
  const dir = tmpDir('parse-cache-tree-');
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const CONFIG_MAP =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  when: 2026-12-02\n---\n---\napiVersion: v1\nkind: List\nitems: [.nan, -.inf, 0x1f, ~]\n';

test('an unchanged tree is read back from one entry, equal to a fresh parse (values the core schema yields included)', () => {
  const dir = tree({ 'a.yaml': CONFIG_MAP, 'b.yml': 'kind: Namespace\n' });
  const first = loadTree([dir]);
  expect(entries()).toHaveLength(1);
  const mode = fs.statSync(path.join(process.env.XDG_CACHE_HOME!, 'campus-platform', 'parsed', entries()[0])).mode & 0o777;
  expect(mode).toBe(0o600); // only its owner reads what the tree held
  const fresh = (() => {
    process.env.VALIDATOR_CACHE = 'off';
    try {
      return loadTree([dir]);
    } finally {
      delete process.env.VALIDATOR_CACHE;
    }
  })();
  const again = loadTree([dir]);
  expect(again).toEqual(fresh);
  expect(first).toEqual(fresh);
  expect(again.docs.map((d) => d.index)).toEqual([0, 2, 0]); // the empty document between keeps its place
  expect(again.docs[0].object.data.when).toBe('2026-12-02'); // a string, as Kubernetes reads it
  expect(again.docs[1].object.items).toEqual([NaN, -Infinity, 31, null]);
  expect(entries()).toHaveLength(1);
});

test('an edited file is parsed again, never taken from the entry of the tree before', () => {
  const dir = tree({ 'a.yaml': CONFIG_MAP });
  loadTree([dir]);
  fs.writeFileSync(path.join(dir, 'a.yaml'), CONFIG_MAP.replace('name: a', 'name: b'));
  expect(loadTree([dir]).docs[0].object.metadata.name).toBe('b');
  expect(entries()).toHaveLength(2);
});

test('a damaged entry is parsed again and rewritten; a file that is not YAML keeps its finding through the cache', () => {
  const dir = tree({ 'a.yaml': CONFIG_MAP, 'bad.yaml': 'a: [1,\n' });
  const first = loadTree([dir]);
  expect(first.parseErrors.map((e) => e.file)).toEqual([path.join(dir, 'bad.yaml')]);
  const entry = path.join(process.env.XDG_CACHE_HOME!, 'campus-platform', 'parsed', entries()[0]);
  fs.writeFileSync(entry, 'not a serialization');
  expect(loadTree([dir])).toEqual(first);
  expect(fs.readFileSync(entry, 'utf8')).not.toBe('not a serialization');
  expect(loadTree([dir])).toEqual(first);
});
