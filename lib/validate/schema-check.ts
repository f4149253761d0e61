/**
 * Strict schema validation, as an API server with `fieldValidation=Strict` would do it: each document is matched by
 * apiVersion and kind to a Kubernetes definition (checked against every Kubernetes version in the store) or to a
 * served CRD version, and unknown fields, wrong types, bad quantities and invalid names are findings.
 */
import type Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { childPath, finding, Finding, groupVersion, SourceDocument } from './document';
import { SchemaStore } from './schema-store';
import { reachableSchema, SchemaDefinitions } from './schema-shape';
import { cachedValidator, digest, RUNTIME_MODULE } from './validator-cache';
import {
  FORMATS,
  goRegExp,
  OBJECT_META,
  QUANTITY_PATTERN,
  shareRepeatedSubschemas,
  strictBuiltinSchema,
  strictCrdSchema,
  strictDefinitions,
  STRICT_REPLACEMENTS,
  TRANSFORM_SOURCE,
} from './schema-transform';

/**
 * Our ajv options (besides formats and the regexp engine, which TRANSFORM_SOURCE covers). Without the
 * optimiser and with references compiled as functions instead of inlined, the one compilation of a
 * validator is about a quarter faster; the code is larger, but loading it is cheap. The schemas are not checked
 * against JSON Schema's meta-schema (a tenth of a cold run): they are the pinned Kubernetes and CRD schemas the
 * API servers themselves serve, transformed by schema-transform.ts, whose tests compile them.
 */
const AJV_OPTIONS = { inlineRefs: false, allErrors: true, strict: false, validateSchema: false } as const;
const AJV_CODE_OPTIONS = { source: true, optimize: false } as const;
/** Part of every cached validator's key: changing an option compiles afresh. */
const AJV_OPTIONS_TAG = JSON.stringify([AJV_OPTIONS, AJV_CODE_OPTIONS]);

/**
 * Compiles lazily, per (Kubernetes version, kind), only the kinds that documents actually use, and
 * keeps each compiled validator on disk (validator-cache.ts): warm runs load instead of compiling.
 */
class Validators {
  private readonly ajvs = new Map<string, Ajv>();
  private readonly digests = new Map<string, string>();
  private readonly kindIndexes = new Map<string, Map<string, string>>();
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly resolvable = new Map<string, SchemaDefinitions>();
  private readonly byInstances = new WeakMap<readonly unknown[], Map<string, ValidateFunction | undefined>>();
  readonly versions: string[];

  constructor(private readonly store: SchemaStore) {
    this.versions = [...store.kubernetes.keys()];
  }

  /**
   * The validator of a built-in kind in one Kubernetes version for these documents of that kind
   * (schema-shape.ts); undefined if that version does not serve the kind.
   */
  builtin(version: string, gvk: string, instances: readonly unknown[]): ValidateFunction | undefined {
    return this.forInstances(instances, `${version} ${gvk}`, () => this.makeBuiltin(version, gvk, instances));
  }

  private makeBuiltin(version: string, gvk: string, instances: readonly unknown[]): ValidateFunction | undefined {
    const definition = this.kindIndex(version).get(gvk);
    if (!definition) return undefined;
    return this.compile(version, cutBuiltinSchema(definition, instances, this.definitions(version)));
  }

  /** The validator of a CRD kind; its `metadata` is checked as the newest Kubernetes version's ObjectMeta. */
  crd(gvk: string, instances: readonly unknown[]): ValidateFunction | undefined {
    return this.forInstances(instances, `crd ${gvk}`, () => this.makeCrd(gvk, instances));
  }

  private makeCrd(gvk: string, instances: readonly unknown[]): ValidateFunction | undefined {
    const crd = this.store.crds.get(gvk);
    if (!crd) return undefined;
    const newest = this.versions[this.versions.length - 1];
    return this.compile(newest, cutCrdSchema(crd.schema, instances, this.definitions(newest)));
  }

  /**
   * The validator of a strict schema, from the disk cache when it is there. A schema that refers to
   * a version's definitions (only where a definition holds itself) is keyed by them too; the others
   * are self-contained, and the same validator serves every version whose cut is the same.
   */
  private compile(version: string, schema: any): ValidateFunction {
    const text = JSON.stringify(schema);
    const refersToDefinitions = text.includes(`"${version}#/definitions/`);
    const key = refersToDefinitions ? digest(this.rawDigest(version), text) : digest(text);
    return this.memo(key, () =>
      cachedValidator(
        () => this.ajv(refersToDefinitions ? version : undefined),
        AJV_OPTIONS_TAG,
        key,
        (ajv) => ajv.compile(schema),
      ),
    );
  }

  private definitions(version: string): SchemaDefinitions {
    let value = this.resolvable.get(version);
    if (!value) this.resolvable.set(version, (value = strictDefinitionsOf(this.store, version)));
    return value;
  }

  /** Each document of a group asks for its kind's validator: the group's schema is cut once. */
  private forInstances(instances: readonly unknown[], key: string, make: () => ValidateFunction | undefined): ValidateFunction | undefined {
    let byKey = this.byInstances.get(instances);
    if (!byKey) this.byInstances.set(instances, (byKey = new Map()));
    if (!byKey.has(key)) byKey.set(key, make());
    return byKey.get(key);
  }

  private memo(key: string, make: () => ValidateFunction): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) this.compiled.set(key, (validate = make()));
    return validate;
  }

  /** A cached validator's key part for a Kubernetes version: its definitions as published and our transformation of them. */
  private rawDigest(version: string): string {
    let value = this.digests.get(version);
    if (value === undefined) {
      value = digest(version, TRANSFORM_SOURCE, JSON.stringify(this.store.kubernetes.get(version)));
      this.digests.set(version, value);
    }
    return value;
  }

  /** An Ajv instance; with a version, one that holds that version's strict definitions for references into them. */
  private ajv(version: string | undefined): Ajv {
    const tag = version ?? '';
    let ajv = this.ajvs.get(tag);
    if (!ajv) {
      // Loaded only to compile: a run whose validators all come from the cache never loads ajv's compiler (65 modules).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { default: AjvClass, _ } = require('ajv') as typeof import('ajv');
      // `source` keeps the generated code for the disk cache; formats come from the runtime module by name.
      const code = { ...AJV_CODE_OPTIONS, regExp: goRegExp, formats: _`require(${RUNTIME_MODULE}).FORMATS` };
      ajv = new AjvClass({ ...AJV_OPTIONS, formats: FORMATS, code });
      if (version) ajv.addSchema({ $id: version, definitions: strictDefinitions(this.store.kubernetes.get(version)!) });
      this.ajvs.set(tag, ajv);
    }
    return ajv;
  }

  /** `group/version/Kind` → definition name, from `x-kubernetes-group-version-kind`. */
  private kindIndex(version: string): Map<string, string> {
    let index = this.kindIndexes.get(version);
    if (!index) {
      index = new Map();
      for (const [name, definition] of Object.entries(this.store.kubernetes.get(version)!)) {
        for (const gvk of definition['x-kubernetes-group-version-kind'] ?? []) {
          index.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
        }
      }
      this.kindIndexes.set(version, index);
    }
    return index;
  }
}

/** A version's strict definitions as cuts resolve them, each made strict when a cut first reaches it. */
export function strictDefinitionsOf(store: SchemaStore, version: string): SchemaDefinitions {
  const raw = store.kubernetes.get(version)!;
  const strict = new Map<string, unknown>();
  const definition = (name: string): unknown => {
    if (!strict.has(name)) strict.set(name, STRICT_REPLACEMENTS[name] ?? (name in raw ? strictBuiltinSchema(raw[name]) : undefined));
    return strict.get(name);
  };
  return { definition, refBase: `${version}#/definitions/` };
}

/** The strict schema of a built-in definition, cut to these documents. */
export function cutBuiltinSchema(definition: string, instances: readonly unknown[], definitions: SchemaDefinitions): any {
  return reachableSchema({ $ref: `#/definitions/${definition}` }, instances, definitions);
}

/** The strict schema of a CRD version, cut to these documents: its own schema, then the ObjectMeta references strictness adds. */
export function cutCrdSchema(schema: unknown, instances: readonly unknown[], definitions: SchemaDefinitions): any {
  const strict = strictCrdSchema(reachableSchema(schema, instances), `#/definitions/${OBJECT_META}`);
  return shareRepeatedSubschemas(reachableSchema(strict, instances, definitions));
}

const validatorsByStore = new WeakMap<SchemaStore, Validators>();

export function checkSchemas(docs: readonly SourceDocument[], store: SchemaStore): Finding[] {
  let validators = validatorsByStore.get(store);
  if (!validators) validatorsByStore.set(store, (validators = new Validators(store)));
  const byKind = new Map<string, unknown[]>();
  for (const doc of docs) {
    const key = `${doc.object.apiVersion}\0${doc.object.kind}`;
    const group = byKind.get(key) ?? [];
    group.push(doc.object);
    byKind.set(key, group);
  }
  return docs.flatMap((doc) => [
    ...checkDocument(doc, validators!, store.location, byKind.get(`${doc.object.apiVersion}\0${doc.object.kind}`)!),
    ...checkNames(doc),
  ]);
}

/**
 * Built-in kinds the synthesized tree uses although the manifests' API level (1.28) predates them,
 * with the first release that serves them; the config accepts no older cluster (1.31 is its floor).
 */
const NEWER_KINDS: Readonly<Record<string, string>> = {
  // admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy is GA since 1.30 (KEP-3488).
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': 'v1.30.0',
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': 'v1.30.0',
};

function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, '').split('.').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

function checkDocument(doc: SourceDocument, validators: Validators, location: string, sameKind: readonly unknown[]): Finding[] {
  const { apiVersion, kind } = doc.object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [finding(doc, '', 'apiVersion and kind must be set')];
  const { group, version } = groupVersion(apiVersion);
  const gvk = `${group}/${version}/${kind}`;

  const crd = validators.crd(gvk, sameKind);
  if (crd) return problems(crd, doc.object).map((p) => finding(doc, p.path, p.message));

  // What a chart renders targets the cluster's release, not the API level of our own manifests;
  // so do the few kinds of ours that are newer than that level (NEWER_KINDS names the first release).
  const since = NEWER_KINDS[gvk];
  const versions = doc.clusterReleaseOnly
    ? validators.versions.slice(-1)
    : since
      ? validators.versions.filter((v) => compareVersions(v, since) >= 0)
      : validators.versions;
  const served = versions.filter((v) => validators.builtin(v, gvk, sameKind));
  if (served.length === 0) {
    return [
      finding(doc, '', `unknown apiVersion/kind "${apiVersion}" ${kind}: not in Kubernetes ${versions.join(', ')} nor in a served CRD version in ${location}`),
    ];
  }
  const findings = versions.filter((v) => !served.includes(v)).map((v) => finding(doc, 'apiVersion', `${apiVersion} ${kind} is not served by Kubernetes ${v}`));
  // The same problem usually shows in every version; name the versions only when it does not.
  const byProblem = new Map<string, { path: string; message: string; versions: string[] }>();
  for (const v of served) {
    for (const p of problems(validators.builtin(v, gvk, sameKind)!, doc.object)) {
      const key = `${p.path}\0${p.message}`;
      const entry = byProblem.get(key) ?? { ...p, versions: [] };
      entry.versions.push(v);
      byProblem.set(key, entry);
    }
  }
  for (const p of byProblem.values()) {
    const suffix = p.versions.length < served.length ? ` (Kubernetes ${p.versions.join(', ')})` : '';
    findings.push(finding(doc, p.path, p.message + suffix));
  }
  return findings;
}

interface Problem {
  path: string;
  message: string;
}

function problems(validate: ValidateFunction, object: unknown): Problem[] {
  validate(object);
  const unique = new Map<string, Problem>();
  for (const error of validate.errors ?? []) {
    // A failed anyOf/oneOf also reports why each branch failed; its own error says enough.
    if (/\/(anyOf|oneOf)\/\d+\//.test(error.schemaPath)) continue;
    const problem = describe(error, object);
    unique.set(`${problem.path}\0${problem.message}`, problem);
  }
  return [...unique.values()];
}

function describe(error: ErrorObject, object: unknown): Problem {
  const { path, value } = locate(error.instancePath, object);
  const got = show(value);
  switch (error.keyword) {
    case 'additionalProperties':
      return { path: childPath(path, error.params.additionalProperty), message: `unknown field "${error.params.additionalProperty}"` };
    case 'required':
      return { path: childPath(path, error.params.missingProperty), message: 'required field is missing' };
    case 'type': {
      const types = String(error.params.type)
        .split(',')
        .filter((t) => t !== 'null');
      return { path, message: `must be ${types.join(' or ')}, got ${got}` };
    }
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).filter((v) => v !== null).map((v) => JSON.stringify(v));
      return { path, message: `must be one of ${allowed.join(', ')}, got ${got}` };
    }
    case 'pattern':
      return error.params.pattern === QUANTITY_PATTERN
        ? { path, message: `${got} is not a valid quantity (such as 500m, 2, 1.5Gi, 10G)` }
        : { path, message: `${got} does not match the pattern ${error.params.pattern}` };
    case 'format':
      return { path, message: `${got} is not a valid ${FORMAT_NAMES[error.params.format] ?? error.params.format}` };
    case 'anyOf':
    case 'oneOf':
      return { path, message: `matches ${error.keyword === 'oneOf' ? 'not exactly one' : 'none'} of the allowed forms (${error.keyword})` };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}

/** JSON pointer → dotted path and the value there; whether a segment is an index is read from the document. */
function locate(pointer: string, object: unknown): { path: string; value: unknown } {
  let path = '';
  let value: any = object;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = Array.isArray(value) ? childPath(path, Number(key)) : childPath(path, key);
    value = value?.[key];
  }
  return { path, value };
}

const FORMAT_NAMES: Record<string, string> = {
  int32: '32-bit integer',
  int64: '64-bit integer',
  byte: 'base64 string',
  'date-time': 'RFC 3339 date-time',
  ipv4: 'IPv4 address',
  ipv6: 'IPv6 address',
};

function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_RULE = 'a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)';
const SUBDOMAIN_RULE = 'a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters)';

/** The API server's name rule per kind: most objects use subdomains, a few use labels, RBAC allows any path segment. */
function nameRule(kind: string): { valid(name: string): boolean; rule: string } {
  if (kind === 'Service' || kind === 'Namespace') return { valid: (n) => n.length <= 63 && DNS1123_LABEL.test(n), rule: LABEL_RULE };
  if (['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].includes(kind)) {
    // e.g. `system:controller:foo`; path segments only exclude "/", "%", "." and "..".
    return { valid: (n) => n !== '.' && n !== '..' && !/[/%]/.test(n), rule: 'a path segment (no "/" or "%", not "." or "..")' };
  }
  return { valid: (n) => n.length <= 253 && DNS1123_SUBDOMAIN.test(n), rule: SUBDOMAIN_RULE };
}

function checkNames(doc: SourceDocument): Finding[] {
  const { kind, metadata } = doc.object;
  const name = metadata?.name;
  const findings: Finding[] = [];
  if (typeof name !== 'string' || name === '') {
    findings.push(finding(doc, 'metadata.name', 'required field is missing'));
  } else {
    const { valid, rule } = nameRule(String(kind));
    if (!valid(name)) findings.push(finding(doc, 'metadata.name', `"${name}" is not ${rule}`));
  }
  const namespace = metadata?.namespace;
  if (typeof namespace === 'string' && !(namespace.length <= 63 && DNS1123_LABEL.test(namespace))) {
    findings.push(finding(doc, 'metadata.namespace', `"${namespace}" is not ${LABEL_RULE}`));
  }
  return findings;
}
