/**
 * The compiled-validator cache (lib/validate/validator-cache.ts): a validator loaded from disk finds
 * exactly what a freshly compiled one finds, a damaged entry is compiled again, a changed schema
 * gets its own entry, the key covers every part of the schema transformation, and a process that wrote
 * entries trims the folder to its bound when it exits.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { checkSchemas } from '../lib/validate/schema-check';
import { loadSchemaStore, resolveSchemaLocation, SchemaStore } from '../lib/validate/schema-store';
import { SourceDocument } from '../lib/validate/document';
import { CACHE_BOUNDS } from '../lib/user-cache';
import { ROOT, tmpDir } from './helpers';

const CACHE_HOME = tmpDir('validator-cache-');
const entries = () => fs.readdirSync(path.join(CACHE_HOME, 'campus-platform', 'validators')).sort();

function withCache<T>(fn: () => T, setting?: string): T {
  const saved = { xdg: process.env.XDG_CACHE_HOME, off: process.env.VALIDATOR_CACHE };
  process.env.XDG_CACHE_HOME = CACHE_HOME;
  if (setting === undefined) delete process.env.VALIDATOR_CACHE;
  else process.env.VALIDATOR_CACHE = setting;
  try {
    return fn();
  } finally {
    for (const [name, value] of [
      ['XDG_CACHE_HOME', saved.xdg],
      ['VALIDATOR_CACHE', saved.off],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** A copy of the store: compiled validators are memoised per store object, so each copy starts cold in memory. */
const freshStore = (): SchemaStore => ({ ...loadSchemaStore(resolveSchemaLocation()) });

const doc = (object: any): SourceDocument => ({ file: 'x.yaml', index: 0, object });
const broken = [
  doc({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replica: 3, selector: {}, template: { spec: { containers: 'x' } } } }),
  doc({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'p' }, spec: { destinations: [{ namespace: 1 }], bogus: true } }),
  doc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 1 } }),
];

test('a cached validator finds exactly what a freshly compiled one finds', () => {
  const compiled = withCache(() => checkSchemas(broken, freshStore()), 'off');
  expect(compiled.length).toBeGreaterThanOrEqual(4);
  expect(fs.existsSync(path.join(CACHE_HOME, 'campus-platform', 'validators'))).toBe(false); // `off` writes nothing

  const first = withCache(() => checkSchemas(broken, freshStore()));
  const written = entries();
  // One entry per schema cut to the documents (lib/validate/schema-shape.ts): Deployment and ConfigMap cut
  // the same in both Kubernetes versions and share one each; AppProject.
  expect(written.filter((f) => f.endsWith('.js'))).toHaveLength(3);
  const loaded = withCache(() => checkSchemas(broken, freshStore()));
  expect(entries()).toEqual(written); // loaded, nothing compiled anew
  expect(first).toEqual(compiled);
  expect(loaded).toEqual(compiled);
});

test('a damaged or cut-short entry is compiled again and rewritten', () => {
  withCache(() => checkSchemas(broken, freshStore()));
  const dir = path.join(CACHE_HOME, 'campus-platform', 'validators');
  const [first, ...others] = entries().filter((e) => e.endsWith('.js'));
  // Entries are written without an fsync: a crash can leave a prefix, which may even be valid code.
  const whole = fs.readFileSync(path.join(dir, first), 'utf8');
  fs.writeFileSync(path.join(dir, first), whole.slice(0, whole.lastIndexOf(';') + 1));
  for (const f of others) fs.writeFileSync(path.join(dir, f), 'module.exports = (');
  const expected = withCache(() => checkSchemas(broken, freshStore()), 'off');
  expect(withCache(() => checkSchemas(broken, freshStore()))).toEqual(expected);
  for (const f of entries().filter((e) => e.endsWith('.js')))
    expect(fs.readFileSync(path.join(dir, f), 'utf8')).toMatch(/^"use strict";[^]*\n\/\/ complete\n$/);
});

test('a changed CRD schema gets its own entry instead of the old validator', () => {
  const store = freshStore();
  const gvk = 'argoproj.io/v1alpha1/AppProject';
  const crd = store.crds.get(gvk)!;
  const narrowed = { ...crd, schema: { ...crd.schema, properties: { ...crd.schema.properties, spec: { type: 'object', properties: {} } } } };
  const changed: SchemaStore = { ...store, crds: new Map([...store.crds, [gvk, narrowed]]) };
  const before = new Set(withCache(() => (checkSchemas(broken, freshStore()), entries())));
  const findings = withCache(() => checkSchemas([broken[1]], changed));
  expect(findings.map((f) => f.path)).toContain('spec.destinations');
  expect(withCache(entries).filter((f) => !before.has(f) && f.endsWith('.js'))).toHaveLength(1);
});

test('a later process loads the validators through V8’s code cache, written when the first one exits', () => {
  // Through the project's runner (an esbuild bundle, as `npm run validate` runs), not ts-node: a third of the start-up.
  const entry = path.join(tmpDir('validator-cache-entry-'), 'check.ts');
  fs.writeFileSync(
    entry,
    `import { checkSchemas } from ${JSON.stringify(path.join(ROOT, 'lib/validate/schema-check'))};
    import { loadSchemaStore, resolveSchemaLocation } from ${JSON.stringify(path.join(ROOT, 'lib/validate/schema-store'))};
    console.log(JSON.stringify(checkSchemas(${JSON.stringify(broken)}, loadSchemaStore(resolveSchemaLocation()))));`,
  );
  const cache = tmpDir('validator-cache-process-');
  const run = () =>
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'run.js'), entry], {
      cwd: ROOT,
      env: { ...process.env, XDG_CACHE_HOME: cache, VALIDATOR_CACHE: '' },
      encoding: 'utf8',
    });
  // A stale entry bigger than the folder's bound, last used long ago: the first process writes, so at its exit the cache is trimmed.
  const dir = path.join(cache, 'campus-platform', 'validators');
  fs.mkdirSync(dir, { recursive: true });
  const stale = path.join(dir, 'stale.js');
  fs.writeFileSync(stale, '');
  fs.truncateSync(stale, CACHE_BOUNDS.validators + 1); // sparse: takes no disk
  fs.utimesSync(stale, new Date(0), new Date(0));
  const first = run();
  expect(fs.existsSync(stale)).toBe(false);
  const codeCaches = fs.readdirSync(dir).filter((f) => f.includes('.v8-'));
  expect(codeCaches).toEqual([]); // the first process compiled; nothing was loaded, so there is no code cache yet
  expect(fs.readdirSync(dir).filter((f) => f.endsWith('.js'))).toHaveLength(3); // its own entries kept
  expect(run()).toBe(first);
  expect(fs.readdirSync(dir).filter((f) => f.includes(`.v8-${process.versions.v8}`))).toHaveLength(3);
  expect(run()).toBe(first);
});

test('the key covers every declaration of the schema transformation', () => {
  const source = fs.readFileSync(path.resolve(__dirname, '../lib/validate/schema-transform.ts'), 'utf8');
  const declared = [...source.matchAll(/^(?:export )?(?:function|const) (\w+)/gm)].map((m) => m[1]).filter((name) => name !== 'TRANSFORM_SOURCE');
  const list = source.slice(source.indexOf('export const TRANSFORM_SOURCE'));
  const listed = new Set([...list.matchAll(/\b([A-Za-z_]\w*)\b/g)].map((m) => m[1]));
  expect(declared.filter((name) => !listed.has(name))).toEqual([]);
});
