/**
 * The one home of the kubectl-mode layout (`gitops.mode: kubectl`): which phase folder an object goes to, which
 * phases are pruned, and the ApplySet parent that tracks each pruned folder. Synthesis writes the tree by these
 * rules and `npm run plan -- --kubectl` reads it back by the same ones, so the two cannot disagree.
 *
 * A unit (`dist/cluster`, `dist/<environment>/<app>`) is laid out as
 *   `<phase>/<kept | pruned>/<namespace | cluster-scoped>/<source>/<Kind>.<name>.k8s.yaml`
 * - `00-crds`: every CustomResourceDefinition, applied first and waited on until Established: a custom
 *   resource applied in the same `kubectl apply` as its CRD fails ("no matches for kind").
 * - `01-namespaces`: every Namespace, before anything is created inside one.
 * - one folder per Argo CD sync wave (`lib/argocd.ts` WAVE for the cluster, ENV_WAVE for an environment),
 *   named after it (`11-operators`), so the folders sort in apply order.
 * `<source>` is the construct chart that made the object (`20-storage`) or `chart-<release>` for the objects
 * of an add-on's pinned chart. Every folder sorts in apply order, `kept/` before `pruned/`.
 *
 * Pruning: each `pruned/<namespace>` folder is one ApplySet (KEP-3659) whose parent is a ConfigMap (cluster-scoped
 * objects: in kube-system). `kept/` is applied without `--prune`: CRDs (deleting one deletes every custom resource
 * of its kind), Namespaces (deleting one deletes everything in it) and the objects that hold data ({@link holdsData}).
 * It goes first, so an object that moves from `pruned/` to `kept/` leaves its ApplySet (the same field manager
 * drops the ApplySet label) before that ApplySet prunes.
 * @see https://kubernetes.io/docs/tasks/manage-kubernetes-objects/declarative-config/#alternative-kubectl-apply-f-directory-prune
 */
import { createHash } from 'crypto';
import { ARGO_ANNOTATION, ENV_WAVE, SYNC_OPTION, WAVE } from './argocd';

export const CRD_PHASE = '00-crds';
export const NAMESPACE_PHASE = '01-namespaces';
export const KEPT = 'kept';
export const PRUNED = 'pruned';
/** The folder of cluster-scoped objects inside a phase. */
export const CLUSTER_SCOPED_FOLDER = 'cluster-scoped';
/** Where the ApplySet parents of cluster-scoped folders live: a namespace every cluster has. */
export const CLUSTER_PARENT_NAMESPACE = 'kube-system';
/** The unit folder whose waves are the cluster's (WAVE); every other unit is an environment (ENV_WAVE). */
export const CLUSTER_UNIT = 'cluster';
/** `<source>` folder of an add-on chart's objects: `chart-<release>`. */
export const CHART_SOURCE_PREFIX = 'chart-';
/** The file beside the tree that lists every phase's ApplySet parent, for review and for the plan. */
export const APPLYSETS_FILE = 'applysets.json';

/**
 * Kinds that hold data whatever their annotations say: never pruned. Our own data objects also carry Argo CD's
 * `Prune=false` (lib/argocd.ts PRUNE_PROTECTION), which {@link holdsData} honours for any kind.
 */
export const DATA_KINDS: readonly string[] = [
  '/PersistentVolumeClaim',
  'ceph.rook.io/CephCluster',
  'ceph.rook.io/CephBlockPool',
  'ceph.rook.io/CephFilesystem',
  'ceph.rook.io/CephObjectStore',
  'elasticsearch.k8s.elastic.co/Elasticsearch',
  'postgresql.cnpg.io/Cluster',
];

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Wave → folder name for one wave table: `10-foundation`, `11-operators`, … in wave order. */
function waveFolders(waves: Record<string, number>): Map<number, string> {
  const sorted = Object.entries(waves).sort(([, a], [, b]) => a - b);
  return new Map(sorted.map(([name, wave], i) => [wave, `${10 + i}-${kebab(name)}`]));
}

const CLUSTER_FOLDERS = waveFolders(WAVE);
const ENV_FOLDERS = waveFolders(ENV_WAVE);

/** The wave folders of a unit, in apply order. */
export function waveFolderNames(unitDir: string): string[] {
  return [...(unitDir === CLUSTER_UNIT ? CLUSTER_FOLDERS : ENV_FOLDERS).values()];
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

function syncOptions(object: any): string[] {
  return String(object?.metadata?.annotations?.[ARGO_ANNOTATION.syncOptions] ?? '')
    .split(',')
    .map((s) => s.trim());
}

/** An object whose deletion loses data: a data kind, or one we protect from Argo CD's prune (`Prune=false`). */
export function holdsData(object: any): boolean {
  return DATA_KINDS.includes(`${groupOf(String(object?.apiVersion ?? ''))}/${object?.kind}`) || syncOptions(object).includes(SYNC_OPTION.noPrune);
}

export interface Placement {
  /** The unit's folder (`cluster`, `production/berkeleytime`). */
  readonly unitDir: string;
  /** The Argo CD sync wave the object (or its add-on's Application) has in argocd mode. */
  readonly wave: number;
  /** `20-storage` or `chart-rook-ceph`. */
  readonly source: string;
  /** The object's namespace, '' when cluster-scoped. */
  readonly namespace: string;
  /** Kept (never pruned) even if the object itself does not hold data: its add-on's Application is `Prune=false`. */
  readonly keep?: boolean;
}

/** The phase folder of an object (`00-crds`, `13-platform`), or an Error naming the wave no phase exists for. */
export function phaseOf(object: any, p: Placement): string {
  if (object?.kind === 'CustomResourceDefinition') return CRD_PHASE;
  if (object?.kind === 'Namespace' && groupOf(String(object.apiVersion)) === '') return NAMESPACE_PHASE;
  const folders = p.unitDir === CLUSTER_UNIT ? CLUSTER_FOLDERS : ENV_FOLDERS;
  const folder = folders.get(p.wave);
  if (!folder) {
    throw new Error(
      `${object?.kind} ${object?.metadata?.name} in dist/${p.unitDir}: sync wave ${p.wave} is none of lib/argocd.ts ${p.unitDir === CLUSTER_UNIT ? 'WAVE' : 'ENV_WAVE'} (${[...folders.keys()].join(', ')}), so kubectl mode has no phase for it`,
    );
  }
  return folder;
}

/** `kept` (applied without --prune) or `pruned` (an ApplySet). */
export function pruningOf(object: any, p: Pick<Placement, 'keep'>): typeof KEPT | typeof PRUNED {
  const kind = object?.kind;
  return p.keep || kind === 'CustomResourceDefinition' || kind === 'Namespace' || holdsData(object) ? KEPT : PRUNED;
}

/** The folder of an object inside its unit: `<phase>/<kept | pruned>/<namespace | cluster-scoped>/<source>`. */
export function placementFolder(object: any, p: Placement): string {
  return [phaseOf(object, p), pruningOf(object, p), p.namespace || CLUSTER_SCOPED_FOLDER, p.source].join('/');
}

/** `chart-<release>`: the folder of an add-on's rendered objects inside a phase. */
export function chartSource(release: string): string {
  return `${CHART_SOURCE_PREFIX}${release}`;
}

/**
 * A file of the kubectl-mode tree that an add-on's chart rendered (`…/<phase>/<namespace>/chart-<release>/…`): the
 * validator checks it as it checks the chart renders of argocd mode (the cluster's release, not our API level).
 */
export function isChartOutput(file: string): boolean {
  return /(^|[/\\])[0-9]{2}-[a-z0-9-]+[/\\](kept|pruned)[/\\][^/\\]+[/\\]chart-[^/\\]+[/\\][^/\\]+$/.test(file);
}

export interface ApplySetParent {
  /** `configmaps/<name>`, as `kubectl apply --applyset=` takes it. */
  readonly flag: string;
  readonly name: string;
  readonly namespace: string;
  /** The value kubectl puts in `applyset.kubernetes.io/id` on the parent and `applyset.kubernetes.io/part-of` on every member. */
  readonly id: string;
}

/** The parent ConfigMap of one `<phase>/pruned/<namespace>` folder: named after unit and phase, in the folder's namespace (kube-system for cluster-scoped). */
export function applySetParent(unitDir: string, phase: string, namespaceFolder: string): ApplySetParent {
  // The cluster-scoped folder's parent shares kube-system with that phase's kube-system folder: its own name.
  const clusterScoped = namespaceFolder === CLUSTER_SCOPED_FOLDER;
  const name = `applyset-${unitDir.replace(/\//g, '-')}-${phase}${clusterScoped ? `-${CLUSTER_SCOPED_FOLDER}` : ''}`;
  const namespace = clusterScoped ? CLUSTER_PARENT_NAMESPACE : namespaceFolder;
  return { flag: `configmaps/${name}`, name, namespace, id: applySetId({ name, namespace, kind: 'ConfigMap', group: '' }) };
}

/**
 * KEP-3659's ApplySet id: `applyset-<base64url(sha256(<name>.<namespace>.<kind>.<group>))>-v1`, unpadded
 * (kubectl `pkg/cmd/apply/applyset.go` ID()).
 */
export function applySetId(parent: { name: string; namespace: string; kind: string; group: string }): string {
  const digest = createHash('sha256').update([parent.name, parent.namespace, parent.kind, parent.group].join('.')).digest('base64url');
  return `applyset-${digest}-v1`;
}
