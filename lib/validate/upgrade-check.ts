/**
 * Upgrade safety: compares the manifests of a git ref (`before`) with the ones synthesized now (`after`) and reports
 * what a sync would break that a check of `after` alone cannot see:
 *
 * - updates the API server refuses because a field is immutable (Argo CD then stays OutOfSync with a failed sync), and
 * - objects that hold data and are gone from `after`, which Argo CD deletes when pruning is on, and
 * - a Postgres that would start empty or change major without an upgrade path (postgres-engine-check.ts).
 *
 * Only what is in the manifests is compared: fields the server fills in (a Job's generated selector, defaulted
 * claim fields, status) are absent on both sides. Objects are matched by API group (not version), kind, namespace
 * and name, because that is what identifies one object in the cluster across API versions.
 */
import { childPath, compareFindings, Finding, finding, groupVersion, namespaceOf, SourceDocument } from './document';
import { compareQuantities } from '../quantity';
import { postgresEngineRisks } from './postgres-engine-check';

export function checkUpgrade(before: readonly SourceDocument[], after: readonly SourceDocument[]): Finding[] {
  return upgradeRisks(before, after)
    .map((risk) => finding(risk.doc, risk.path, risk.message))
    .sort(compareFindings);
}

/** Which of the two harms an upgrade risk is: an apply the API server refuses, or data a prune deletes. */
export type UpgradeRiskKind = 'refused' | 'data-loss';

/** One upgrade risk, structured for other readers than the validator (`npm run diff` flags the same ones). */
export interface UpgradeRisk {
  readonly kind: UpgradeRiskKind;
  /** The document at fault: the new one for a refused update, the old one for an object that is gone. */
  readonly doc: SourceDocument;
  readonly path: string;
  readonly message: string;
}

/** The rules of `checkUpgrade`, unsorted and with their kind. */
export function upgradeRisks(before: readonly SourceDocument[], after: readonly SourceDocument[]): UpgradeRisk[] {
  const old = indexObjects(before);
  const now = indexObjects(after);
  const context: UpgradeContext = { defaultStorageClass: defaultStorageClass(before) };
  const risks: UpgradeRisk[] = [];
  for (const [key, next] of now) {
    const prev = old.get(key);
    if (prev) risks.push(...checkImmutableFields(prev, next, context));
  }
  risks.push(...checkServedVersions(before, after));
  risks.push(...checkPrunedData(old, now));
  risks.push(...postgresEngineRisks(before, after));
  return risks;
}

// ---------------------------------------------------------------------------------------------------------------
// Object identity

/** What one rule needs to know beyond the two versions of one object. */
interface UpgradeContext {
  /** The default StorageClass declared in `before`, which the API server wrote into claims that named none. */
  readonly defaultStorageClass?: string;
}

/** `group/Kind`, e.g. `apps/StatefulSet`, or `/PersistentVolumeClaim` for the core group. */
export function groupKind(object: any): string {
  return `${groupVersion(object.apiVersion).group}/${object.kind}`;
}

/** `group/Kind/namespace/name`, or undefined for documents that are not objects (those are schema findings). */
export function objectKey(object: any): string | undefined {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return undefined;
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || typeof object.metadata?.name !== 'string') return undefined;
  return `${groupKind(object)}/${namespaceOf(object)}/${object.metadata.name}`;
}

/** The first document of each object; a duplicate is a finding of the reference check, not of this one. */
function indexObjects(docs: readonly SourceDocument[]): Map<string, SourceDocument> {
  const index = new Map<string, SourceDocument>();
  for (const doc of docs) {
    const key = objectKey(doc.object);
    if (key !== undefined && !index.has(key)) index.set(key, doc);
  }
  return index;
}

/** `namespace/name` for namespaced objects, `name` for cluster-scoped ones (as in the messages of kubectl). */
function objectLabel(object: any): string {
  const namespace = object.metadata?.namespace;
  return typeof namespace === 'string' ? `${namespace}/${object.metadata.name}` : object.metadata.name;
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing values the way the API server does

/** One field that differs; `refusal` and `advice` replace the usual wording for rules that are not plain immutability. */
interface Change {
  readonly path: string;
  readonly from: unknown;
  readonly to: unknown;
  /** Why the server says no, in brackets after "refuses this update"; default `immutable`. */
  readonly refusal?: string;
  /** How to make the change anyway; default the kind's way to recreate the object. */
  readonly advice?: string;
}

/** Unset, null, `[]` and `{}` are one value to apimachinery's semantic equality (nil and empty are equal). */
function isAbsent(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isMapping(value) && Object.keys(value).length === 0;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resource amounts compare by value: `10Gi` and `10240Mi` are the same request. */
function sameLeaf(path: string, from: unknown, to: unknown): boolean {
  if (from === to || (isAbsent(from) && isAbsent(to))) return true;
  if (/\.resources\.(requests|limits)\./.test(path)) return compareQuantities(from, to) === 0;
  return JSON.stringify(from) === JSON.stringify(to);
}

/**
 * The leaves that differ between two values, each with its dotted path. Mappings are compared key by key and lists
 * of equal length item by item; a list whose length changed is one change of the whole list.
 */
function changes(from: unknown, to: unknown, path: string): Change[] {
  if (isMapping(from) && isMapping(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((key) => changes(from[key], to[key], childPath(path, key)));
  }
  if (Array.isArray(from) && Array.isArray(to) && from.length === to.length) {
    return from.flatMap((item, i) => changes(item, to[i], childPath(path, i)));
  }
  return sameLeaf(path, from, to) ? [] : [{ path, from, to }];
}

/** One change of the whole value at `path` (for small values such as a list of access modes). */
function valueChange(from: unknown, to: unknown, path: string): Change[] {
  return sameLeaf(path, from, to) ? [] : [{ path, from, to }];
}

/** A value for a message: strings bare, lists of named items by their names, the rest as JSON, long values cut. */
function show(value: unknown): string {
  if (value === undefined || value === null) return '(unset)';
  const names = Array.isArray(value) ? value.map(itemName) : [];
  if (names.length && names.every((name) => name !== undefined)) return `[${names.join(', ')}]`;
  const text = typeof value === 'string' && value !== '' ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `name` of a container, port or env var, `metadata.name` of a claim template. */
function itemName(item: unknown): string | undefined {
  if (!isMapping(item)) return undefined;
  const name = item.name ?? (item.metadata as any)?.name;
  return typeof name === 'string' ? name : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Quantities

// ---------------------------------------------------------------------------------------------------------------
// Immutable fields

type ImmutableRule = (prev: any, next: any, context: UpgradeContext) => Change[];

/** The rules per `group/Kind`, and how to get past each one when the change is wanted. */
const IMMUTABLE_RULES: Record<string, { readonly rules: readonly ImmutableRule[]; readonly recreate: string }> = {
  'apps/Deployment': { rules: [workloadSelector], recreate: 'delete the Deployment and let Argo CD recreate it (its pods restart)' },
  'apps/ReplicaSet': { rules: [workloadSelector], recreate: 'delete the ReplicaSet and let Argo CD recreate it (its pods restart)' },
  'apps/DaemonSet': { rules: [workloadSelector], recreate: 'delete the DaemonSet and let Argo CD recreate it (its pods restart)' },
  'apps/StatefulSet': {
    rules: [statefulSetSelector, statefulSetFields, statefulSetClaimTemplates],
    recreate: 'delete the StatefulSet with `kubectl delete statefulset --cascade=orphan` (its pods and claims stay) and let Argo CD recreate it',
  },
  'batch/Job': { rules: [jobSelector, jobTemplate], recreate: 'delete the Job and let Argo CD recreate it (or give the Job a new name)' },
  '/PersistentVolumeClaim': {
    rules: [claimStorageClass, claimAccessModes, claimShrink],
    recreate: 'back up the volume, then delete and recreate the PersistentVolumeClaim',
  },
  '/Service': { rules: [serviceClusterIP], recreate: 'delete and recreate the Service (clients get the new IP from DNS)' },
};

function checkImmutableFields(prev: SourceDocument, next: SourceDocument, context: UpgradeContext): UpgradeRisk[] {
  const entry = IMMUTABLE_RULES[groupKind(next.object)];
  if (!entry || isRecreatedHook(next.object)) return [];
  return entry.rules.flatMap((rule) =>
    rule(prev.object, next.object, context).map((change) => {
      const message = `${change.path} changes from ${show(change.from)} to ${show(change.to)}: the API server refuses this update (${change.refusal ?? 'immutable'}); ${change.advice ?? entry.recreate}, or keep the old value`;
      return { kind: 'refused' as const, doc: next, path: change.path, message };
    }),
  );
}

/**
 * Argo CD never updates a hook in place: with the default `BeforeHookCreation` (or `HookSucceeded`) delete policy it
 * creates a new object each sync, and `Skip` is never applied (argoproj/gitops-engine pkg/sync/hook).
 */
function isRecreatedHook(object: any): boolean {
  const annotations = object.metadata?.annotations ?? {};
  const hook = annotations['argocd.argoproj.io/hook'];
  if (typeof hook !== 'string') return false;
  const policies = csv(annotations['argocd.argoproj.io/hook-delete-policy']);
  return csv(hook).includes('Skip') || policies.length === 0 || policies.includes('BeforeHookCreation') || policies.includes('HookSucceeded');
}

function csv(value: unknown): string[] {
  return typeof value === 'string'
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
    : [];
}

/**
 * `spec.selector` of Deployments, ReplicaSets, DaemonSets and StatefulSets cannot change in apps/v1: the registry
 * strategies reject it on update (k8s.io/kubernetes pkg/registry/apps/{deployment,replicaset,daemonset}/strategy.go
 * `ValidateUpdate`, and pkg/apis/apps/validation `ValidateStatefulSetUpdate`), because a new selector would orphan
 * the running pods.
 */
function workloadSelector(prev: any, next: any): Change[] {
  return changes(prev.spec?.selector, next.spec?.selector, 'spec.selector');
}

/** The StatefulSet's selector (see `workloadSelector`): a recreated StatefulSet cannot adopt pods it no longer selects. */
function statefulSetSelector(prev: any, next: any): Change[] {
  const advice = 'delete the StatefulSet with `kubectl delete statefulset --cascade=orphan` (its claims stay), then its old pods, and let Argo CD recreate it';
  return workloadSelector(prev, next).map((change) => ({ ...change, advice }));
}

/**
 * A StatefulSet update may only touch replicas, ordinals, template, updateStrategy, revisionHistoryLimit,
 * persistentVolumeClaimRetentionPolicy and minReadySeconds (k8s.io/kubernetes pkg/apis/apps/validation
 * `ValidateStatefulSetUpdate`: "updates to statefulset spec for fields other than ... are forbidden").
 */
function statefulSetFields(prev: any, next: any): Change[] {
  // Unset values are the server's defaults, so writing the default out is not a change.
  const policy = (spec: any) => spec?.podManagementPolicy ?? 'OrderedReady';
  return [
    ...valueChange(prev.spec?.serviceName ?? '', next.spec?.serviceName ?? '', 'spec.serviceName'),
    ...valueChange(policy(prev.spec), policy(next.spec), 'spec.podManagementPolicy'),
  ];
}

/**
 * `spec.volumeClaimTemplates` falls under the same rule: the list is compared whole (order included), but only over
 * what the manifests say; the fields the server defaults in each template (kind, volumeMode, status) are filled in
 * on both sides first.
 */
function statefulSetClaimTemplates(prev: any, next: any): Change[] {
  const templates = (spec: any) =>
    Array.isArray(spec?.volumeClaimTemplates) ? spec.volumeClaimTemplates.map(normalizeClaimTemplate) : spec?.volumeClaimTemplates;
  return changes(templates(prev.spec), templates(next.spec), 'spec.volumeClaimTemplates').map((change) =>
    // Existing claims never follow their template, so a bigger volume also needs each claim resized by hand.
    change.path.endsWith('.resources.requests.storage') && (compareQuantities(change.to, change.from) ?? 0) > 0
      ? {
          ...change,
          advice:
            'resize each existing claim (`kubectl patch pvc`), then delete the StatefulSet with `kubectl delete statefulset --cascade=orphan` (its pods and claims stay) and let Argo CD recreate it',
        }
      : change,
  );
}

/** The defaults of k8s.io/kubernetes pkg/apis/core/v1 `SetDefaults_PersistentVolumeClaimSpec`, minus the status. */
function normalizeClaimTemplate(template: any): any {
  if (!isMapping(template)) return template;
  const { status: _status, ...rest } = template as any;
  const spec = isMapping(rest.spec) ? { volumeMode: 'Filesystem', ...rest.spec } : rest.spec;
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...rest, spec };
}

/**
 * A Job's `spec.selector` is immutable (k8s.io/kubernetes pkg/apis/batch/validation `ValidateJobSpecUpdate`). Jobs
 * normally leave it out and the server generates one; unset on both sides is then no change.
 */
function jobSelector(prev: any, next: any): Change[] {
  return changes(prev.spec?.selector, next.spec?.selector, 'spec.selector');
}

/**
 * A Job's pod template is immutable once created (k8s.io/kubernetes pkg/apis/batch/validation
 * `validatePodTemplateUpdate`; only the scheduling fields of a suspended Job that never started may change). A
 * CronJob's `jobTemplate` is not: it only shapes future Jobs.
 */
function jobTemplate(prev: any, next: any): Change[] {
  return changes(prev.spec?.template, next.spec?.template, 'spec.template');
}

/**
 * A claim's spec is immutable except `resources.requests` (k8s.io/kubernetes pkg/apis/core/validation
 * `ValidatePersistentVolumeClaimUpdate`: "spec is immutable after creation except resources.requests ..."). A claim
 * that named no class got the default class from the DefaultStorageClass admission plugin, so naming that class
 * later is no change; naming another one is. Without a known default class an unset value is not judged.
 */
function claimStorageClass(prev: any, next: any, context: UpgradeContext): Change[] {
  const from = prev.spec?.storageClassName;
  const to = next.spec?.storageClassName;
  if (from === undefined || from === null) {
    const live = context.defaultStorageClass;
    if (live === undefined || to === undefined || to === null || to === live) return [];
    return [{ path: 'spec.storageClassName', from: `(unset: the default class ${live})`, to }];
  }
  return valueChange(from, to, 'spec.storageClassName');
}

/** `spec.accessModes` falls under the same rule as the class (see `claimStorageClass`). */
function claimAccessModes(prev: any, next: any): Change[] {
  return valueChange(prev.spec?.accessModes, next.spec?.accessModes, 'spec.accessModes');
}

/**
 * `spec.resources.requests.storage` of a claim may grow (when the class allows expansion) but never shrink: "field can
 * not be less than previous value" (k8s.io/kubernetes pkg/apis/core/validation `ValidatePersistentVolumeClaimUpdate`).
 */
function claimShrink(prev: any, next: any): Change[] {
  const from = prev.spec?.resources?.requests?.storage;
  const to = next.spec?.resources?.requests?.storage;
  if ((compareQuantities(to, from) ?? 0) >= 0) return [];
  const refusal = 'a volume claim can only grow';
  return [{ path: 'spec.resources.requests.storage', from, to, refusal, advice: 'back up the volume, then delete and recreate the PersistentVolumeClaim' }];
}

/**
 * `spec.clusterIP` is immutable once allocated (k8s.io/kubernetes pkg/apis/core/validation `ValidateServiceUpdate`).
 * Leaving it out is fine: the registry keeps the allocated IP (pkg/registry/core/service/storage
 * `patchAllocatedValues`). Naming an IP where there was none is judged only for `None`: the live Service has an
 * allocated IP, so turning it headless always differs, while a named IP may happen to be the allocated one.
 */
function serviceClusterIP(prev: any, next: any): Change[] {
  // ExternalName Services have no cluster IP; switching to or from that type is allowed.
  if (prev.spec?.type === 'ExternalName' || next.spec?.type === 'ExternalName') return [];
  const from = prev.spec?.clusterIP;
  const to = next.spec?.clusterIP;
  if (to === undefined || to === null || to === '' || from === to) return [];
  if (from === undefined || from === null || from === '') {
    return to === 'None' ? [{ path: 'spec.clusterIP', from: '(unset: an allocated IP)', to }] : [];
  }
  return [{ path: 'spec.clusterIP', from, to }];
}

// ---------------------------------------------------------------------------------------------------------------
// CustomResourceDefinition versions

/**
 * The API server only handles the versions a CRD marks `served` (k8s.io/apiextensions-apiserver
 * pkg/apiserver/customresource_handler.go answers any other version with 404, and kubectl reports "no matches for
 * kind"), so an object still written in a version the new CRD stops serving cannot be applied.
 */
function checkServedVersions(before: readonly SourceDocument[], after: readonly SourceDocument[]): UpgradeRisk[] {
  const oldCrds = new Map(crdDocs(before).map((doc) => [doc.object.metadata?.name, doc.object]));
  const findings: UpgradeRisk[] = [];
  for (const { object: crd } of crdDocs(after)) {
    const prev = oldCrds.get(crd.metadata?.name);
    if (!prev) continue;
    const served = servedVersions(crd);
    const dropped = servedVersions(prev).filter((version) => !served.includes(version));
    for (const version of dropped) {
      const apiVersion = `${crd.spec?.group}/${version}`;
      const users = after.filter((doc) => doc.object?.apiVersion === apiVersion && doc.object?.kind === crd.spec?.names?.kind);
      const now = served.length ? `now serves ${served.join(', ')}` : 'serves no version any more';
      const target = served.length ? `move it to apiVersion ${crd.spec.group}/${preferredVersion(crd, served)}` : 'serve a version';
      for (const doc of users) {
        const message = `apiVersion ${apiVersion} is no longer served: CustomResourceDefinition ${crd.metadata.name} ${now}, so the API server refuses this ${doc.object.kind}; ${target}, or keep ${version} served`;
        findings.push({ kind: 'refused', doc, path: 'apiVersion', message });
      }
    }
  }
  return findings;
}

function crdDocs(docs: readonly SourceDocument[]): SourceDocument[] {
  return docs.filter((doc) => objectKey(doc.object) !== undefined && groupKind(doc.object) === 'apiextensions.k8s.io/CustomResourceDefinition');
}

/** The storage version when it is served (objects are kept in it anyway), else the last served one. */
function preferredVersion(crd: any, served: readonly string[]): string {
  const storage = crd.spec.versions.find((v: any) => v?.storage === true && served.includes(v.name));
  return storage?.name ?? served[served.length - 1];
}

function servedVersions(crd: any): string[] {
  const versions = Array.isArray(crd.spec?.versions) ? crd.spec.versions : [];
  return versions.filter((v: any) => v?.served === true && typeof v.name === 'string').map((v: any) => v.name);
}

// ---------------------------------------------------------------------------------------------------------------
// Data destroyed by pruning

/**
 * Kinds whose deletion deletes data: a claim's volume goes with it under the `Delete` reclaim policy, a StatefulSet
 * with claim templates is a database, and the operators tear down the storage their resource stands for (Rook's
 * cluster, pools, filesystems and object stores, ECK's Elasticsearch, CloudNativePG's Cluster and its claims).
 */
const DATA_KINDS: Record<string, (object: any) => boolean> = {
  '/PersistentVolumeClaim': () => true,
  'apps/StatefulSet': (object) => Array.isArray(object.spec?.volumeClaimTemplates) && object.spec.volumeClaimTemplates.length > 0,
  'ceph.rook.io/CephCluster': () => true,
  'ceph.rook.io/CephBlockPool': () => true,
  'ceph.rook.io/CephFilesystem': () => true,
  'ceph.rook.io/CephObjectStore': () => true,
  'elasticsearch.k8s.elastic.co/Elasticsearch': () => true,
  'postgresql.cnpg.io/Cluster': () => true,
};

function holdsData(object: any): boolean {
  return DATA_KINDS[groupKind(object)]?.(object) ?? false;
}

/** Argo CD leaves an object alone when pruning if its sync options say `Prune=false` (Argo CD docs, sync-options). */
function isPruneProtected(object: any): boolean {
  return csv(object.metadata?.annotations?.['argocd.argoproj.io/sync-options']).includes('Prune=false');
}

/**
 * Objects of `before` that hold data and are missing from `after`. Deleting a Namespace deletes everything in it,
 * whatever the sync options of its contents, so a Namespace that holds data is protected only by its own
 * `Prune=false`.
 */
function checkPrunedData(old: Map<string, SourceDocument>, now: Map<string, SourceDocument>): UpgradeRisk[] {
  return removedData(old, now)
    .filter((removed) => !removed.pruneProtected)
    .map((removed) => pruneFinding(removed.doc, removed.holds ? ` (it holds ${removed.holds})` : ''));
}

/** An object that holds data (or a Namespace holding such objects) and is gone from the new manifests. */
export interface RemovedData {
  readonly doc: SourceDocument;
  /** Marked `Prune=false`: Argo CD leaves it, and its data, in the cluster, no longer managed. */
  readonly pruneProtected: boolean;
  /** For a Namespace: the data objects in it, e.g. `StatefulSet shop/db`. */
  readonly holds?: string;
}

/** Every data object `after` no longer has, pruned or kept by `Prune=false` (for `npm run diff`, which flags both). */
export function removedDataObjects(before: readonly SourceDocument[], after: readonly SourceDocument[]): RemovedData[] {
  return removedData(indexObjects(before), indexObjects(after));
}

function removedData(old: Map<string, SourceDocument>, now: Map<string, SourceDocument>): RemovedData[] {
  const removed: RemovedData[] = [];
  for (const [key, doc] of old) {
    if (now.has(key)) continue;
    const pruneProtected = isPruneProtected(doc.object);
    if (holdsData(doc.object)) {
      removed.push({ doc, pruneProtected });
    } else if (groupKind(doc.object) === '/Namespace') {
      const contents = [...old.values()].filter((d) => holdsData(d.object) && namespaceOf(d.object) === doc.object.metadata.name);
      if (contents.length) removed.push({ doc, pruneProtected, holds: contents.map((d) => `${d.object.kind} ${objectLabel(d.object)}`).join(', ') });
    }
  }
  return removed;
}

function pruneFinding(doc: SourceDocument, detail: string): UpgradeRisk {
  const { object } = doc;
  const message = `removed while Argo CD prunes: ${object.kind} ${objectLabel(object)} and its data would be deleted${detail}; keep it, or mark it Prune=false first and remove it by hand after a backup`;
  return { kind: 'data-loss', doc, path: '', message };
}

// ---------------------------------------------------------------------------------------------------------------

/** The class the DefaultStorageClass admission plugin assigns, when `before` declares exactly one default. */
function defaultStorageClass(docs: readonly SourceDocument[]): string | undefined {
  const defaults = docs
    .filter((doc) => objectKey(doc.object) !== undefined && groupKind(doc.object) === 'storage.k8s.io/StorageClass')
    .filter((doc) => doc.object.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true')
    .map((doc) => doc.object.metadata.name as string);
  return defaults.length === 1 ? defaults[0] : undefined;
}
