/**
 * One object as Argo CD syncs it: which Application owns it, in which phase and wave, and how it is
 * identified. Waves and phases follow gitops-engine (`pkg/sync/syncwaves`, `pkg/sync/hook`): the
 * `argocd.argoproj.io/sync-wave` annotation (default 0), Argo CD hooks, and Helm hooks mapped to
 * PreSync/PostSync with `helm.sh/hook-weight` as the wave.
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/helm/#helm-hooks
 */
import { groupVersion } from '../document';
import { Scopes } from '../../kube-scope';

export { Scopes };

export type Phase = 'PreSync' | 'Sync' | 'PostSync';
export const PHASES: readonly Phase[] = ['PreSync', 'Sync', 'PostSync'];

export interface PlanObject {
  readonly object: any;
  /** Where it comes from: a dist/ file, or `<Application> chart: <template>`. */
  readonly file: string;
  /** The Application whose sync applies it. */
  readonly sync: string;
  readonly phase: Phase;
  readonly wave: number;
  /** Hooks always block their wave until they complete, even the last one. */
  readonly hook: boolean;
  readonly group: string;
  readonly kind: string;
  /** '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
}

/** Kinds a `kubectl apply` or Argo CD creates first within one wave (gitops-engine `kindOrder`, from Helm's install order). */
const KIND_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

export function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

export function objectKey(group: string, kind: string, namespace: string, name: string): string {
  return `${group}/${kind}/${namespace}/${name}`;
}

export function keyOf(o: Pick<PlanObject, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return objectKey(o.group, o.kind, o.namespace, o.name);
}

/** `Kind ns/name` (or `Kind name`) for messages. */
export function describe(o: Pick<PlanObject, 'kind' | 'namespace' | 'name'>): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

const HELM_HOOK_PHASES: Record<string, Phase | undefined> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
};

/** Phase and wave of an object, or undefined when Argo CD does not apply it in a sync (test and delete hooks). */
export function phaseAndWave(object: any): { phase: Phase; wave: number; hook: boolean } | undefined {
  const annotations = object?.metadata?.annotations ?? {};
  const argoHook: string | undefined = annotations['argocd.argoproj.io/hook'];
  const helmHook: string | undefined = annotations['helm.sh/hook'];
  const wave = Number(annotations['argocd.argoproj.io/sync-wave'] ?? annotations['helm.sh/hook-weight'] ?? 0) || 0;
  if (argoHook) {
    const phase = argoHook
      .split(',')
      .map((h) => h.trim())
      .find((h): h is Phase => (PHASES as readonly string[]).includes(h));
    // Skip and SyncFail hooks, PreDelete/PostDelete: not part of a successful sync.
    return phase ? { phase, wave, hook: true } : undefined;
  }
  if (helmHook) {
    // Argo CD maps Helm's install/upgrade hooks; test, rollback and delete hooks never run in a sync.
    const phases = helmHook
      .split(',')
      .map((h) => HELM_HOOK_PHASES[h.trim()])
      .filter((p): p is Phase => p !== undefined);
    return phases.length ? { phase: phases[0], wave, hook: true } : undefined;
  }
  return { phase: 'Sync', wave, hook: false };
}

export function planObject(object: any, file: string, sync: string, defaultNamespace: string, scopes: Scopes): PlanObject | undefined {
  const timing = phaseAndWave(object);
  if (!timing || typeof object?.apiVersion !== 'string' || typeof object?.kind !== 'string') return undefined;
  const group = groupVersion(object.apiVersion).group;
  const namespace = scopes.isClusterScoped(group, object.kind) ? '' : (object.metadata?.namespace ?? defaultNamespace);
  return { object, file, sync, ...timing, group, kind: object.kind, namespace, name: String(object.metadata?.name ?? '') };
}

export function annotation(o: PlanObject, key: string): string | undefined {
  return o.object.metadata?.annotations?.[key];
}

/** `argocd.argoproj.io/sync-options` of the object contains `option` (e.g. `Prune=false`). */
export function hasSyncOption(o: PlanObject, option: string): boolean {
  return (annotation(o, 'argocd.argoproj.io/sync-options') ?? '')
    .split(',')
    .map((s) => s.trim())
    .includes(option);
}
