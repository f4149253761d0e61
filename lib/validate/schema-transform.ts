/**
 * Rewrites Kubernetes and CRD schemas into plain JSON Schema (draft-07) that ajv validates the way an API server
 * with `fieldValidation=Strict` would: unknown fields are errors, and the `x-kubernetes-*` extensions become
 * ordinary keywords. Descriptions and other annotations are dropped to keep the compiled validators small.
 */
import { isIPv4, isIPv6 } from 'net';

/** apimachinery's quantity grammar, as controller-gen writes it into CRDs. */
export const QUANTITY_PATTERN = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** The formats the schemas use that the API server enforces; any other `format` is dropped (it would be advisory). */
export const FORMATS = {
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 },
  int64: { type: 'number', validate: (n: number) => Number.isSafeInteger(n) },
  double: { type: 'number', validate: () => true },
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  ipv4: { type: 'string', validate: (s: string) => isIPv4(s) },
  ipv6: { type: 'string', validate: (s: string) => isIPv6(s) },
} as const;

/** Keys that only document or drive server-side behaviour (defaulting, CEL, merge strategy); not checked here. */
function isAnnotation(key: string): boolean {
  return key === 'description' || key === 'default' || key === 'example' || key === 'nullable' || key.startsWith('x-kubernetes-');
}

/**
 * Copies the keywords of a node, rewriting sub-schemas with `child` and dropping annotations and unknown formats.
 * `structural` is false inside combinators: their branches only constrain values, and any field they mention is
 * also declared in the `properties` beside them, so they must not reject fields the branch does not list.
 */
function copyNode(node: any, structural: boolean, child: (sub: any, structural: boolean) => any): any {
  const out: any = {};
  for (const [key, value] of Object.entries(node)) {
    if (isAnnotation(key)) continue;
    if (key === 'format' && !(typeof value === 'string' && value in FORMATS)) continue;
    if (key === 'properties' || key === 'patternProperties') {
      out[key] = Object.fromEntries(Object.entries(value as object).map(([name, sub]) => [name, child(sub, structural)]));
    } else if ((key === 'items' || key === 'additionalProperties') && typeof value === 'object') {
      out[key] = child(value, structural);
    } else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
      out[key] = (value as any[]).map((sub) => child(sub, false));
    } else if (key === 'not') {
      out[key] = child(value, false);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * The Kubernetes `definitions` map made strict. Built-in types are Go structs: any field not declared is unknown,
 * and `null` decodes as "unset", so it is accepted wherever a value is.
 */
export function strictDefinitions(definitions: Record<string, any>): Record<string, any> {
  return { ...Object.fromEntries(Object.entries(definitions).map(([name, node]) => [name, strictBuiltinSchema(node)])), ...STRICT_REPLACEMENTS };
}

/** A built-in type's schema (or part of one) made strict; see {@link strictDefinitions}. */
export function strictBuiltinSchema(node: any): any {
  const out = copyNode(node, true, strictBuiltinSchema);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  if (typeof out.type === 'string' && !out.enum) out.type = [out.type, 'null'];
  return out;
}

/**
 * Definitions replaced rather than transformed, already strict: both are `oneOf` upstream, which
 * reports every branch; a type list gives one clear error instead.
 */
export const STRICT_REPLACEMENTS: Readonly<Record<string, unknown>> = {
  [INT_OR_STRING]: { type: ['string', 'integer', 'null'] },
  [QUANTITY]: { type: ['string', 'number', 'null'], pattern: QUANTITY_PATTERN },
};

/**
 * A CRD version's `openAPIV3Schema` made strict, following the structural-schema rules of the API server:
 * objects accept only declared fields unless `x-kubernetes-preserve-unknown-fields` is set; `metadata` at the root
 * and in embedded resources is validated as ObjectMeta (`metadataRef`).
 */
export function strictCrdSchema(schema: any, metadataRef: string): any {
  const objectFields = (declared: Record<string, any> = {}) => ({
    ...declared,
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { $ref: metadataRef },
  });
  const crdNode = (node: any, structural: boolean): any => {
    const out = copyNode(node, structural, crdNode);
    if (node['x-kubernetes-int-or-string'] === true || node.format === 'int-or-string') {
      out.type = ['integer', 'string'];
      // controller-gen also writes `anyOf: [{type: integer}, {type: string}]`, which the type list now says.
      if (out.anyOf?.every((branch: any) => Object.keys(branch).join() === 'type')) delete out.anyOf;
    }
    if (node['x-kubernetes-embedded-resource'] === true) {
      out.properties = objectFields(out.properties);
      out.required = [...new Set([...(out.required ?? []), 'apiVersion', 'kind'])];
    }
    const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
    if (structural && out.type === 'object' && out.additionalProperties === undefined && !preserve) {
      out.additionalProperties = false;
    }
    if (node.nullable === true) {
      // `nullable` without `type` (rook's CephObjectStoreUser quotas) already accepts null.
      if (out.type) out.type = [...new Set([...[out.type].flat(), 'null'])];
      if (out.enum) out.enum = [...out.enum, null];
    }
    return out;
  };
  const root = crdNode(schema, true);
  root.properties = objectFields(root.properties);
  return root;
}

/** Sub-schemas smaller than this (as JSON) are cheaper to compile in place than to call. */
const MIN_SHARED_SIZE = 200;

/**
 * Moves sub-schemas that occur more than once into `definitions`, so ajv compiles each one once. Generated CRDs
 * repeat whole subtrees (Argo CD's ApplicationSet holds the Application source schema dozens of times), and
 * compiling them in place takes seconds.
 */
export function shareRepeatedSubschemas(root: any): any {
  // Structural keys, built bottom-up: a node's key names its sub-schemas by id, so each node is serialised once.
  const ids = new Map<string, number>();
  const info = new Map<any, { id: number; size: number }>();
  const counts: number[] = [];
  const visit = (node: any): void => {
    let size = 0;
    const key = JSON.stringify(
      mapSubschemas(node, (sub) => {
        visit(sub);
        size += info.get(sub)!.size;
        return info.get(sub)!.id;
      }),
    );
    size += key.length;
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    info.set(node, { id, size });
    if (size >= MIN_SHARED_SIZE) counts[id] = (counts[id] ?? 0) + 1;
  };
  visit(root);
  const definitions: Record<string, any> = {};
  const share = (node: any): any => {
    const { id } = info.get(node)!;
    if ((counts[id] ?? 0) < 2) return mapSubschemas(node, share);
    const name = `shared${id}`;
    if (!definitions[name]) definitions[name] = mapSubschemas(node, share);
    return { $ref: `#/definitions/${name}` };
  };
  return { ...mapSubschemas(root, share), definitions };
}

/** The node with each direct sub-schema replaced by `visit(sub)`. */
function mapSubschemas(node: any, visit: (sub: any) => any): any {
  const out = { ...node };
  for (const key of ['properties', 'patternProperties']) {
    if (node[key]) out[key] = Object.fromEntries(Object.entries(node[key]).map(([name, sub]) => [name, visit(sub)]));
  }
  for (const key of ['items', 'additionalProperties', 'not']) {
    if (node[key] && typeof node[key] === 'object') out[key] = visit(node[key]);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    if (node[key]) out[key] = node[key].map(visit);
  }
  return out;
}

/**
 * ajv's regular-expression engine for Go (RE2) patterns. RE2's inline `(?i)` has no JavaScript equivalent
 * (prometheus-operator uses it), so it becomes a whole-pattern `i` flag, slightly more lenient than Go.
 * A pattern JavaScript still cannot compile is skipped instead of failing the whole kind.
 */
export function goRegExp(pattern: string, flags: string): { test(input: string): boolean } {
  const caseless = pattern.includes('(?i)');
  const source = caseless ? pattern.split('(?i)').join('') : pattern;
  for (const candidate of [flags, flags.replace('u', '')]) {
    try {
      return new RegExp(source, candidate + (caseless ? 'i' : ''));
    } catch {
      // try the next flag set
    }
  }
  return { test: () => true };
}
// How ajv's standalone code (the validator cache, validator-cache.ts) refers to this function.
goRegExp.code = 'require("campus-platform/validator-runtime").goRegExp';

/**
 * Everything in this module that shapes a compiled validator, as text: with the raw schema, it is
 * the key of a cached validator (validator-cache.ts), so a warm run need not transform the schemas
 * to find their validators, and any change here compiles afresh. test/validator-cache.test.ts
 * checks that every declaration of this module is listed.
 */
export const TRANSFORM_SOURCE: string = [
  QUANTITY_PATTERN,
  INT_OR_STRING,
  QUANTITY,
  OBJECT_META,
  MIN_SHARED_SIZE,
  ...Object.entries(FORMATS).map(([name, format]) => `${name}: ${format instanceof RegExp ? String(format) : `${format.type} ${String(format.validate)}`}`),
  isAnnotation,
  copyNode,
  strictDefinitions,
  strictBuiltinSchema,
  JSON.stringify(STRICT_REPLACEMENTS),
  strictCrdSchema,
  shareRepeatedSubschemas,
  mapSubschemas,
  goRegExp,
  goRegExp.code,
]
  .map(String)
  .join('\n');
