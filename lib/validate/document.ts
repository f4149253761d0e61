/** Shared types and helpers for the validator: what a document and a finding are. */
import * as yaml from 'js-yaml';

/** One problem in one document, with the dotted path of the field at fault. */
export interface Finding {
  readonly file: string;
  /** `Kind/namespace/name`, or `Kind/name` for objects without a namespace. */
  readonly document: string;
  /** Dotted field path, e.g. `spec.template.spec.containers[0].ports[0].containerPort`, or `''` for the whole document. */
  readonly path: string;
  readonly message: string;
}

/** One parsed YAML document; `index` is its position in the file (0-based). */
export interface SourceDocument {
  readonly file: string;
  readonly index: number;
  readonly object: any;
  /**
   * Checked against the cluster's Kubernetes release only (the newest schema), not also the API level
   * of our own manifests: set for objects a chart renders. @default false
   */
  readonly clusterReleaseOnly?: boolean;
}

export interface ValidateOptions {
  /**
   * Folder holding `kubernetes/v<X.Y.Z>-definitions.json` and `crds/*.yaml`.
   * @default - `SCHEMA_LOCATION`, else `../shared/schemas` beside the repository, else the download cache
   */
  readonly schemaLocation?: string;
  /** Objects that exist in the cluster but not in the documents (created by hand, by an operator or by bootstrap). */
  readonly declared?: DeclaredObjects;
}

export interface DeclaredObjects {
  /** `namespace/name` of Secrets created outside the manifests. */
  readonly secrets?: readonly string[];
  /** `namespace/name` of ConfigMaps created outside the manifests. */
  readonly configMaps?: readonly string[];
  /** StorageClass names; suffix one with `:default` when it is the cluster's default class. */
  readonly storageClasses?: readonly string[];
}

/** The document label used in findings; names are left out when absent rather than invented. */
export function documentId(doc: SourceDocument): string {
  const object = doc.object ?? {};
  const kind = typeof object.kind === 'string' ? object.kind : '(no kind)';
  const name = typeof object.metadata?.name === 'string' ? object.metadata.name : `(document ${doc.index + 1})`;
  const namespace = object.metadata?.namespace;
  return typeof namespace === 'string' ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

export function finding(doc: SourceDocument, path: string, message: string): Finding {
  return { file: doc.file, document: documentId(doc), path, message };
}

/** Namespaced objects without `metadata.namespace` land in `default` when applied with a default kubeconfig. */
export function namespaceOf(object: any): string {
  return object?.metadata?.namespace ?? 'default';
}

/** `apiVersion` split into group and version; the core group is `''`. */
export function groupVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Appends a property or array index to a dotted path; keys such as `app.kubernetes.io/name` are quoted. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!/^[A-Za-z0-9_$-]+$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

export function compareFindings(a: Finding, b: Finding): number {
  for (const key of ['file', 'document', 'path', 'message'] as const) {
    if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
  }
  return 0;
}

/**
 * The documents of one YAML file, or a finding if it is not YAML. Null documents (`---` alone) are
 * skipped; `index` is the document's position in the file. The tree loader and git-tree.ts share it,
 * so both sides of an upgrade comparison read alike.
 */
export function parseYaml(file: string, text: string): { docs: SourceDocument[] } | { error: Finding } {
  let parsed: unknown[];
  try {
    // CORE_SCHEMA: dates and the like stay strings, as Kubernetes reads them into string fields.
    parsed = yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA, filename: file });
  } catch (error) {
    const mark = (error as yaml.YAMLException).mark;
    const where = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '';
    return { error: { file, document: '', path: '', message: `not valid YAML${where}: ${(error as yaml.YAMLException).reason ?? error}` } };
  }
  const docs: SourceDocument[] = [];
  parsed.forEach((object, index) => {
    if (object !== null && object !== undefined) docs.push({ file, index, object });
  });
  return { docs };
}
