/**
 * Small assembly scenarios built in code, for the plan's unit tests: manifests, syncs of them, and
 * `planAssembly` with a chosen set of built-in kinds and of what exists before the root sync.
 */
import { PlanObject, planObject, Scopes } from '../lib/validate/assembly/plan-object';
import { AssemblyInput, AssemblyPlan, DeclaredBeforeSync, planAssembly, SyncSource } from '../lib/validate/assembly/simulate';
import { ARGO_CD_KINDS } from '../lib/validate/assembly/syncs';

export type Manifest = Record<string, any>;

export interface ScenarioOptions {
  readonly children?: SyncSource[];
  readonly declared?: Partial<DeclaredBeforeSync>;
}

/** Cluster-scoped custom kinds, as their CRDs would say. */
const scopes = new Scopes();
for (const [group, kind] of [
  ['cert-manager.io', 'ClusterIssuer'],
  ['gateway.networking.k8s.io', 'GatewayClass'],
]) {
  scopes.addCrd({ spec: { group, names: { kind }, scope: 'Cluster' } });
}

export function obj(sync: string, manifest: Manifest): PlanObject {
  const o = planObject(manifest, 'test.yaml', sync, 'default', scopes);
  if (!o) throw new Error(`not a synced object: ${JSON.stringify(manifest)}`);
  return o;
}

export function sync(name: string, manifests: Manifest[], opts: Partial<SyncSource> = {}): SyncSource {
  return {
    name,
    description: `test ${name}`,
    objects: manifests.map((m) => obj(name, m)),
    serverSideApply: false,
    prunes: true,
    applicationFile: `${name}.yaml`,
    ...opts,
  };
}

/** A planner over the given built-in kinds (`group/Kind`) and extra kinds served before the root sync. */
export function planner(builtin: readonly string[], servedBefore: readonly string[] = [], namespaces: readonly string[] = []) {
  const kinds = new Set(builtin);
  const declared: DeclaredBeforeSync = {
    crds: [...ARGO_CD_KINDS, ...servedBefore],
    namespaces: ['argocd', ...namespaces],
    secrets: [],
    storageClasses: [],
    healthChecks: ['argoproj.io_Application'],
  };
  const input = (root: Manifest[] | SyncSource, opts: ScenarioOptions = {}): AssemblyInput => ({
    root: Array.isArray(root) ? sync('root', root) : root,
    children: new Map((opts.children ?? []).map((c) => [c.name, c])),
    isBuiltin: (group, kind) => kinds.has(`${group}/${kind}`),
    declared: { ...declared, ...opts.declared },
  });
  return { declared, input, plan: (root: Manifest[] | SyncSource, opts: ScenarioOptions = {}): AssemblyPlan => planAssembly(input(root, opts)) };
}

/** The messages of the findings on one document (`Kind/ns/name`). */
export function findingsFor(p: AssemblyPlan, document: string): string[] {
  return p.findings.filter((f) => f.document === document).map((f) => f.message);
}

export function expectAssembles(p: AssemblyPlan): void {
  expect(p.findings).toEqual([]);
  expect(p.assembles).toBe(true);
}

export function k(apiVersion: string, kind: string, name: string, body: Manifest = {}, namespace?: string): Manifest {
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...body };
}

export function annotated(annotations: Record<string, string>, m: Manifest): Manifest {
  return { ...m, metadata: { ...m.metadata, annotations: { ...m.metadata.annotations, ...annotations } } };
}

export const at = (wave: number, m: Manifest) => annotated({ 'argocd.argoproj.io/sync-wave': String(wave) }, m);
/** A filler in wave `n`, so that every earlier wave is waited on. */
export const lastWave = (n: number) => at(n, k('v1', 'ConfigMap', `filler-${n}`));
export const application = (name: string) => k('argoproj.io/v1alpha1', 'Application', name, { spec: { destination: { namespace: 'default' } } }, 'argocd');
