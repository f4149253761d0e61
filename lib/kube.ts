/** Small Kubernetes vocabulary shared by tiers and the bootstrap. */
import { k8s } from 'cdk8s-plus-28';

/** Taint kubeadm puts on control-plane nodes (and label key of their role). */
export const CONTROL_PLANE_TAINT_KEY = 'node-role.kubernetes.io/control-plane';

/** Tolerates the control-plane taint: for workloads that must also run on a single control-plane host. */
export const CONTROL_PLANE_TOLERATION = { key: CONTROL_PLANE_TAINT_KEY, operator: 'Exists', effect: 'NoSchedule' } as const;

/** `{cpu: '100m'}` → Quantity values; unset keys are left out. */
export function quantities(r: Readonly<Record<string, string | undefined>>): Record<string, k8s.Quantity> {
  return Object.fromEntries(Object.entries(r).flatMap(([k, v]) => (v === undefined ? [] : [[k, k8s.Quantity.fromString(v)]])));
}

/** The cluster DNS name of a Service, for clients in other namespaces. */
export function serviceFqdn(name: string, namespace: string, clusterDomain = 'cluster.local'): string {
  return `${name}.${namespace}.svc.${clusterDomain}`;
}

/** The kube-apiserver's port on every control-plane host (kubeadm's default bind port). */
export const API_SERVER_PORT = 6443;
