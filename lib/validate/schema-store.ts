/**
 * Where the validator's schemas come from, and loading them.
 *
 * A schema location holds `kubernetes/v<X.Y.Z>-definitions.json` (cdk8s's `_definitions.json`) and `crds/*.yaml`
 * (CustomResourceDefinitions). Like kubeconform, the pinned upstream files are downloaded once into a cache when no
 * local copy is configured.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { repoRoot } from '../repo-root';

/** One served version of a CustomResourceDefinition. */
export interface CrdVersion {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly schema: any;
}

export interface SchemaStore {
  readonly location: string;
  /** Kubernetes `definitions` maps by version (`v1.28.0`), oldest first. */
  readonly kubernetes: ReadonlyMap<string, Record<string, any>>;
  /** Served CRD versions keyed by `group/version/Kind`. */
  readonly crds: ReadonlyMap<string, CrdVersion>;
}

/** The cdk8s commit that added the v1.36.0 schema; v1.28.0 is unchanged there since 2023. */
const CDK8S_COMMIT = 'd75f4ceaf07ca61d159af0800d66d18ddfbadf05';
/** sha256 of the pinned definitions, so a changed upstream file fails loudly instead of validating against it. */
const KUBERNETES_PINS: Record<string, string> = {
  'v1.28.0': '26005b7e779ea2fcbd87e4f23d76dc565eef8381c2287e149c676c03d48b0df6',
  'v1.36.0': 'a9e98cdc6ab09980f23b5e987a5f11d0ec1fc838187efb92f347ccf38ed8fd65',
};
/** Which file of a schema location an upstream CRD URL (from cdk8s.yaml `imports:`) belongs to; first match wins. */
const CRD_FILES: ReadonlyArray<[urlPart: string, file: string]> = [
  ['argoproj/argo-cd', 'argo-cd.yaml'],
  ['kubernetes-sigs/gateway-api', 'gateway-api.yaml'],
  ['envoyproxy/gateway', 'envoy-gateway.yaml'],
  ['cert-manager/cert-manager', 'cert-manager.yaml'],
  ['rook/rook', 'rook-ceph.yaml'],
  ['elastic/cloud-on-k8s', 'eck.yaml'],
  ['prometheus-operator/prometheus-operator', 'prometheus-operator.yaml'],
  ['kubernetes-csi/external-snapshotter', 'volume-snapshots.yaml'],
  ['bitnami-labs/sealed-secrets', 'sealed-secrets.yaml'],
  ['cloudnative-pg/cloudnative-pg', 'cloudnative-pg.yaml'],
  ['cloudnative-pg/plugin-barman-cloud', 'barman-cloud-plugin.yaml'],
];

/**
 * Explicit option, then `SCHEMA_LOCATION`, then the bundle committed in `schemas/` (`npm run schemas`),
 * then the download cache (which may not exist yet).
 */
export function resolveSchemaLocation(explicit?: string): string {
  const configured = explicit ?? process.env.SCHEMA_LOCATION;
  if (configured) return path.resolve(configured);
  const bundled = path.join(repoRoot(), 'schemas');
  return fs.existsSync(path.join(bundled, 'kubernetes')) ? bundled : cacheDir(pinnedSources());
}

/** Like {@link resolveSchemaLocation}, but downloads the pinned files when it falls back to an empty cache. */
export async function ensureSchemaLocation(explicit?: string): Promise<string> {
  const location = resolveSchemaLocation(explicit);
  const sources = pinnedSources();
  if (location === cacheDir(sources) && !fs.existsSync(location)) await download(sources, location);
  return location;
}

export interface PinnedFile {
  /** Path inside the schema location. */
  readonly file: string;
  /** Upstream URLs, concatenated as YAML documents in this order. */
  readonly urls: readonly string[];
  readonly sha256?: string;
}

/** The upstream files behind a schema location: the cdk8s definitions plus the CRD URLs in cdk8s.yaml. */
export function pinnedSources(cdk8sYaml = fs.readFileSync(path.join(repoRoot(), 'cdk8s.yaml'), 'utf8')): PinnedFile[] {
  const kubernetes = Object.entries(KUBERNETES_PINS).map(([version, sha256]) => ({
    file: `kubernetes/${version}-definitions.json`,
    urls: [`https://raw.githubusercontent.com/cdk8s-team/cdk8s/${CDK8S_COMMIT}/kubernetes-schemas/${version}/_definitions.json`],
    sha256,
  }));
  const imports: unknown[] = (yaml.load(cdk8sYaml) as any)?.imports ?? [];
  const byFile = new Map<string, string[]>();
  for (const url of imports) {
    if (typeof url !== 'string' || !/^https:\/\//.test(url)) continue; // local paths are not pins
    const file = CRD_FILES.find(([part]) => url.includes(part))?.[1];
    if (file) byFile.set(file, [...(byFile.get(file) ?? []), url]);
  }
  return [...kubernetes, ...[...byFile].map(([file, urls]) => ({ file: `crds/${file}`, urls }))];
}

/** One cache folder per set of pins, so changing a pin in cdk8s.yaml downloads afresh instead of reusing stale files. */
function cacheDir(sources: PinnedFile[]): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const key = createHash('sha256').update(JSON.stringify(sources)).digest('hex').slice(0, 12);
  return path.join(base, 'campus-platform', 'schemas', key);
}

/** The text of every pinned source, downloaded and checked against its pin. */
export async function downloadSources(sources: readonly PinnedFile[]): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const source of sources) {
    const text = (await Promise.all(source.urls.map(fetchText))).join('\n---\n');
    const digest = createHash('sha256').update(text).digest('hex');
    if (source.sha256 && digest !== source.sha256) {
      throw new Error(`${source.urls[0]} has sha256 ${digest}, pinned ${source.sha256}`);
    }
    texts.set(source.file, text);
  }
  return texts;
}

async function download(sources: PinnedFile[], target: string): Promise<void> {
  const staging = `${target}.partial-${process.pid}`;
  try {
    for (const [file, text] of await downloadSources(sources)) {
      fs.mkdirSync(path.dirname(path.join(staging, file)), { recursive: true });
      fs.writeFileSync(path.join(staging, file), text);
    }
    // Rename last so an interrupted download never looks like a complete cache.
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(staging, target);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`downloading schemas into ${target} failed (set SCHEMA_LOCATION to use a local copy): ${(error as Error).message}`, { cause: error });
  }
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url).catch((error: Error) => {
    throw new Error(`${url}: ${(error.cause as Error | undefined)?.message ?? error.message}`);
  });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.text();
}

const loaded = new Map<string, SchemaStore>();

/** Parses a schema location once per process (the CRD files are ~14 MB of YAML). */
export function loadSchemaStore(location: string): SchemaStore {
  const cached = loaded.get(location);
  if (cached) return cached;
  const kubernetesDir = path.join(location, 'kubernetes');
  if (!fs.existsSync(kubernetesDir)) {
    throw new Error(`no schemas at ${location}: run \`npm run validate\` once to download them, or set SCHEMA_LOCATION`);
  }
  const kubernetes = new Map<string, Record<string, any>>();
  const versions = fs
    .readdirSync(kubernetesDir)
    .map((name) => /^v(\d+)\.(\d+)\.(\d+)-definitions\.json$/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]) || Number(a[2]) - Number(b[2]) || Number(a[3]) - Number(b[3]));
  for (const match of versions) {
    const definitions = JSON.parse(fs.readFileSync(path.join(kubernetesDir, match[0]), 'utf8')).definitions;
    kubernetes.set(`v${match[1]}.${match[2]}.${match[3]}`, definitions);
  }
  if (kubernetes.size === 0) throw new Error(`no kubernetes/v<X.Y.Z>-definitions.json in ${location}`);

  const crds = new Map<string, CrdVersion>();
  const crdDir = path.join(location, 'crds');
  const crdFiles = fs.existsSync(crdDir)
    ? fs
        .readdirSync(crdDir)
        .filter((name) => /\.(ya?ml|json)$/.test(name))
        .sort()
    : [];
  for (const name of crdFiles) {
    const text = fs.readFileSync(path.join(crdDir, name), 'utf8');
    // The bundle is JSON (a list of CRDs; parsing it is several times faster than YAML). YAML with
    // CORE_SCHEMA: YAML 1.2 scalars as the Go parsers read them (bare `=` enum values stay strings).
    const docs: unknown[] = name.endsWith('.json') ? JSON.parse(text) : yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA });
    for (const doc of docs) {
      for (const crd of servedVersions(doc)) crds.set(`${crd.group}/${crd.version}/${crd.kind}`, crd);
    }
  }
  const store = { location, kubernetes, crds };
  loaded.set(location, store);
  return store;
}

/**
 * The store with the CRDs a set of objects brings (the charts' own), which take the place of the
 * schema location's: the cluster serves what the charts install.
 */
export function withCrds(store: SchemaStore, objects: readonly unknown[]): SchemaStore {
  const crdObjects = objects.filter((o: any) => o?.kind === 'CustomResourceDefinition') as object[];
  if (!crdObjects.length) return store;
  // The same CRD objects (a chart render is shared within a process) give the same store, whose
  // compiled validators are then reused instead of compiled again for every check.
  const key = crdObjects.map(objectId).join(',');
  const memo = derived.get(store) ?? new Map<string, SchemaStore>();
  derived.set(store, memo);
  const known = memo.get(key);
  if (known) return known;
  const crds = new Map(store.crds);
  for (const crd of crdObjects.flatMap(servedVersions)) crds.set(`${crd.group}/${crd.version}/${crd.kind}`, crd);
  const result = { location: store.location, kubernetes: store.kubernetes, crds };
  memo.set(key, result);
  return result;
}

const derived = new WeakMap<SchemaStore, Map<string, SchemaStore>>();
const ids = new WeakMap<object, number>();
let nextId = 0;
function objectId(o: object): number {
  if (!ids.has(o)) ids.set(o, nextId++);
  return ids.get(o)!;
}

/** The served versions of a CustomResourceDefinition object; nothing for other (or empty) documents. */
function servedVersions(doc: any): CrdVersion[] {
  if (doc?.kind !== 'CustomResourceDefinition' || !doc.spec?.names?.kind) return [];
  const { group, names } = doc.spec;
  return (doc.spec.versions ?? [])
    .filter((v: any) => v.served !== false)
    .map((v: any) => ({
      group,
      version: v.name,
      kind: names.kind,
      scope: doc.spec.scope === 'Cluster' ? 'Cluster' : 'Namespaced',
      // A served version without a schema accepts anything, as the API server does.
      schema: v.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    }));
}

/** Whether a group and kind are built into Kubernetes (the store's newest version), for the assembly planners. */
export function isBuiltinKind(store: SchemaStore): (group: string, kind: string) => boolean {
  const newest = [...store.kubernetes.values()].pop()!;
  const builtin = new Set(Object.values(newest).flatMap((d: any) => (d['x-kubernetes-group-version-kind'] ?? []).map((g: any) => `${g.group}/${g.kind}`)));
  return (group, kind) => builtin.has(`${group}/${kind}`);
}
