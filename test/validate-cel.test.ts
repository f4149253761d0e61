/**
 * The CRDs' CEL rules (x-kubernetes-validations) are evaluated as the API server would on create;
 * what the evaluator cannot run is counted as skipped, never as passed.
 */
import { checkCelRules, formatCelSummary } from '../lib/validate/cel-check';
import { SourceDocument } from '../lib/validate/document';
import { loadSchemaStore, resolveSchemaLocation, SchemaStore } from '../lib/validate/schema-store';

const store = loadSchemaStore(resolveSchemaLocation());
const doc = (object: any): SourceDocument => ({ file: 'route.yaml', index: 0, object });
const route = (path: string) =>
  doc({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web', namespace: 'app' },
    spec: { parentRefs: [{ name: 'gw' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }], backendRefs: [{ name: 'web', port: 80 }] }] },
  });

test('a path an HTTPRoute refuses is a finding with the rule’s message and field path', () => {
  const report = checkCelRules([route('/api ?x=1')], store);
  expect(report.findings.map((f) => `${f.path}: ${f.message}`)).toEqual([
    expect.stringMatching(/^spec\.rules\[0\]\.matches\[0\]\.path: .*\(x-kubernetes-validations\)$/),
  ]);
  expect(report.evaluated).toBeGreaterThan(5);
});

test('a sound route passes every rule it is evaluated against', () => {
  const report = checkCelRules([route('/api')], store);
  expect(report.findings).toEqual([]);
  expect(report.evaluated).toBeGreaterThan(5);
});

/** A Thing (the kind storeWith() serves) with this spec. */
const thing = (spec: object) => doc({ apiVersion: 'example.org/v1', kind: 'Thing', metadata: { name: 't' }, spec });

/** The schema of a Thing whose `spec` has these rules and properties. */
const specWith = (validations: object[], properties: object) => ({
  type: 'object',
  properties: { spec: { type: 'object', 'x-kubernetes-validations': validations, properties } },
});

/** A store that serves one CRD kind, example.org/v1 Thing, with `schema`. */
function storeWith(schema: object): SchemaStore {
  const crd = store.crds.get('gateway.networking.k8s.io/v1/HTTPRoute')!;
  return { ...store, crds: new Map([['example.org/v1/Thing', { ...crd, group: 'example.org', version: 'v1', kind: 'Thing', schema }]]) };
}

test('rules the evaluator cannot run are skipped, with the reason; transition rules are not run on create', () => {
  const schema = specWith(
    [
      { rule: 'quantity(self.size).isGreaterThan(quantity("1Gi"))', message: 'needs the quantity library' },
      { rule: 'self.size == oldSelf.size', message: 'immutable' },
      { rule: 'self.size.startsWith("1")', message: 'must start with 1' },
    ],
    { size: { type: 'string' } },
  );
  const custom = storeWith(schema);
  const report = checkCelRules([thing({ size: '2Gi' })], custom);
  expect(report.findings.map((f) => `${f.path}: ${f.message}`)).toEqual(['spec: must start with 1 (x-kubernetes-validations)']);
  expect(report.evaluated).toBe(1);
  expect(report.transitionRules).toBe(1);
  expect([...report.skipped.keys()]).toEqual(['needs quantity()']);
  expect(formatCelSummary(report)).toBe('CEL rules of the CRDs: 1 evaluated, 1 skipped (needs quantity(): 1), 1 transition rules (updates only)');
});

test('schema defaults are applied before the rules run, as the API server does', () => {
  const schema = specWith([{ rule: "self.mode == 'fast'", message: 'mode must be fast' }], { mode: { type: 'string', default: 'fast' } });
  const custom = storeWith(schema);
  expect(checkCelRules([thing({})], custom).findings).toEqual([]);
  expect(checkCelRules([thing({ mode: 'slow' })], custom).findings).toHaveLength(1);
});

test('has() on a field of an indexed value is evaluated as CEL reads it, not skipped', () => {
  const schema = specWith(
    [{ rule: 'size(self.items) == 0 || !has(self.items[0].name) || self.items[0].name != "x"', message: 'the first item may not be x' }],
    { items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } } },
  );
  const first = checkCelRules([thing({ items: [{ name: 'x' }] })], storeWith(schema));
  expect(first.findings.map((f) => f.message)).toEqual(['the first item may not be x (x-kubernetes-validations)']);
  expect(first.skipped.size).toBe(0);
  expect(checkCelRules([thing({ items: [{}] }), thing({ items: [{ name: 'y' }] }), thing({ items: [] })], storeWith(schema)).findings).toEqual([]);
});
