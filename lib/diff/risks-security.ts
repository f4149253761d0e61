/**
 * Weakened security: a namespace's Pod Security level lowered (or a new namespace below restricted), a container
 * or pod that gains privileges, and RBAC that grants more. For a new workload only the outright dangerous settings
 * are flagged (privileged, added capabilities, host namespaces and paths): the rest of a new object is read in its
 * file, while for a changed one any step back from what it had is flagged.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
import { PodSecurityLevel } from '../pod-security';
import { containersByName, ObjectPair, ObjectRule, podSpecOf, Risk } from './objects';

const ENFORCE = 'pod-security.kubernetes.io/enforce';
/** Unlabelled namespaces get the cluster's default, which is privileged unless an admission config says otherwise. */
const LEVELS: readonly string[] = [PodSecurityLevel.PRIVILEGED, PodSecurityLevel.BASELINE, PodSecurityLevel.RESTRICTED];
const level = (ns: any) => {
  const value = ns?.metadata?.labels?.[ENFORCE];
  return typeof value === 'string' && LEVELS.includes(value) ? value : `${PodSecurityLevel.PRIVILEGED} (unlabelled)`;
};
const rank = (value: string) => LEVELS.indexOf(value.split(' ')[0]);

function podSecurityLevel({ prev, next }: ObjectPair): Risk[] {
  if (next?.kind !== 'Namespace' || next.apiVersion !== 'v1') return [];
  const now = level(next);
  if (prev) {
    const was = level(prev);
    return rank(now) < rank(was) ? [{ id: 'security:pod-security', reason: `Pod Security enforce level lowered: ${was} → ${now}` }] : [];
  }
  return rank(now) < rank(PodSecurityLevel.RESTRICTED)
    ? [{ id: 'security:pod-security', reason: `a new namespace at Pod Security level ${now}, below restricted` }]
    : [];
}

/** The settings of one container (with its pod's) that weaken it, each as a short phrase. */
function weaknesses(container: any, pod: any, strongOnly: boolean): Set<string> {
  const sc = container?.securityContext ?? {};
  const podSc = pod?.securityContext ?? {};
  const out = new Set<string>();
  if (sc.privileged === true) out.add('privileged');
  for (const cap of sc.capabilities?.add ?? []) out.add(`capability ${cap}`);
  if (strongOnly) return out;
  if (sc.allowPrivilegeEscalation !== false) out.add('privilege escalation allowed');
  if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) out.add('may run as root');
  if (sc.readOnlyRootFilesystem !== true) out.add('writable root filesystem');
  const drop: unknown[] = sc.capabilities?.drop ?? [];
  if (!drop.includes('ALL')) out.add('keeps the default capabilities');
  const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
  if (seccomp === undefined || seccomp === 'Unconfined') out.add('no seccomp profile');
  return out;
}

function podWeaknesses(pod: any, strongOnly: boolean): Set<string> {
  const out = new Set<string>();
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (pod?.[field] === true) out.add(field);
  for (const volume of pod?.volumes ?? []) if (volume?.hostPath) out.add(`hostPath volume ${volume.hostPath.path}`);
  if (!strongOnly && pod?.automountServiceAccountToken !== false) out.add('mounts a service account token');
  return out;
}

function workloadPrivileges({ prev, next }: ObjectPair): Risk[] {
  const pod = podSpecOf(next);
  if (!pod) return [];
  const old = prev ? podSpecOf(prev) : undefined;
  const strongOnly = old === undefined;
  const gained: string[] = [];
  const oldPod = old ? podWeaknesses(old, false) : new Set<string>();
  for (const w of podWeaknesses(pod, strongOnly)) if (!oldPod.has(w)) gained.push(`pod: ${w}`);
  const oldContainers = containersByName(old);
  for (const [name, container] of containersByName(pod)) {
    const before = oldContainers.get(name);
    // A container new to a changed workload is judged like a new workload's: what it adds outright.
    const had = before ? weaknesses(before, old, false) : new Set<string>();
    for (const w of weaknesses(container, pod, strongOnly || !before)) if (!had.has(w)) gained.push(`${name}: ${w}`);
  }
  return gained.length ? [{ id: 'security:privileges', reason: `${prev ? 'gains' : 'runs with'} ${gained.join('; ')}` }] : [];
}

const isRbac = (object: any) => String(object?.apiVersion).startsWith('rbac.authorization.k8s.io/');

/** Every permission of a Role or ClusterRole as `verb group/resource` (names and URLs included). */
function permissions(role: any): Set<string> {
  const out = new Set<string>();
  for (const rule of role?.rules ?? []) {
    const names = rule?.resourceNames?.length ? ` (${rule.resourceNames.join(',')})` : '';
    const targets = [
      ...(rule?.resources ?? []).flatMap((r: string) => (rule?.apiGroups?.length ? rule.apiGroups : ['']).map((g: string) => `${g || 'core'}/${r}${names}`)),
      ...(rule?.nonResourceURLs ?? []),
    ];
    for (const verb of rule?.verbs ?? []) for (const target of targets) out.add(`${verb} ${target}`);
  }
  return out;
}

function rbac({ prev, next }: ObjectPair): Risk[] {
  if (!next || !isRbac(next)) return [];
  if (next.kind === 'Role' || next.kind === 'ClusterRole') {
    const old = prev ? permissions(prev) : new Set<string>();
    const fresh = [...permissions(next)].filter((p) => !old.has(p));
    const wildcard = fresh.filter((p) => p.includes('*'));
    // A new namespaced Role is read in its file unless it grants wildcards; a cluster-wide one always counts.
    if (!fresh.length || (!prev && next.kind === 'Role' && !wildcard.length)) return [];
    const shown = fresh.length > 6 ? `${fresh.slice(0, 6).join(', ')} and ${fresh.length - 6} more` : fresh.join(', ');
    return [{ id: 'security:rbac', reason: `${prev ? 'grants more' : `a new ${next.kind} grants`}: ${shown}` }];
  }
  if (next.kind === 'RoleBinding' || next.kind === 'ClusterRoleBinding') {
    const subject = (s: any) => `${s?.kind} ${s?.namespace ? `${s.namespace}/` : ''}${s?.name}`;
    const old = new Set((prev?.subjects ?? []).map(subject));
    const fresh = (next.subjects ?? []).map(subject).filter((s: string) => !old.has(s));
    const role = `${next.roleRef?.kind} ${next.roleRef?.name}`;
    if (prev && JSON.stringify(prev.roleRef) !== JSON.stringify(next.roleRef))
      return [{ id: 'security:rbac', reason: `now binds ${role} (was ${prev.roleRef?.kind} ${prev.roleRef?.name})` }];
    if (!fresh.length || (!prev && next.kind === 'RoleBinding')) return [];
    return [{ id: 'security:rbac', reason: `binds ${role}${next.kind === 'ClusterRoleBinding' ? ' cluster-wide' : ''} to ${fresh.join(', ')}` }];
  }
  return [];
}

export const securityRisks: readonly ObjectRule[] = [podSecurityLevel, workloadPrivileges, rbac];
