/** Small Kubernetes vocabulary shared by tiers and the bootstrap: quantities, resource overrides, disruption budgets. */
import { withDefaults } from './defaults';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ResourceQuantities } from './contracts';
import type { PodGroup } from './network-policy';

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

/** `1.36` of `1.36.2`. */
export const kubernetesMinor = (release: string): string => release.split('.').slice(0, 2).join('.');

/** Defaults with the given values laid over them (unset keys keep the default). */
export function withOverrides(defaults: Readonly<Record<string, string>>, overrides?: { readonly [key: string]: string | undefined }): Record<string, string> {
  return withDefaults(defaults, overrides ?? {}) as Record<string, string>;
}

/** Requested resources over defaults, per field, as Kubernetes quantities. */
export function resourcesFrom(overrides: ResourceQuantities | undefined, defaults: ResourceQuantities): k8s.ResourceRequirements {
  return {
    requests: quantities(withOverrides(defaults.requests ?? {}, overrides?.requests)),
    limits: quantities(withOverrides(defaults.limits ?? {}, overrides?.limits)),
  };
}

/**
 * A budget that never blocks a node drain or a cluster upgrade: one pod may always go, and a
 * pod that is not ready may always be evicted (the default would wedge drains on a crash loop).
 */
export function disruptionBudget(scope: Construct, pods: PodGroup, labels: Record<string, string>): void {
  new k8s.KubePodDisruptionBudget(scope, 'Pdb', {
    metadata: { name: pods.name, namespace: pods.namespace, labels },
    spec: {
      maxUnavailable: k8s.IntOrString.fromNumber(1),
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
      selector: { matchLabels: { ...pods.selector } },
    },
  });
}

/** Kubernetes memory quantity in bytes (`2Gi`, `512Mi`, `1G`, `1e9`). */
export function memoryBytes(quantity: string): number {
  const m = /^([0-9.]+(?:[eE][-+]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$/.exec(quantity);
  if (!m) throw new Error(`"${quantity}" is not a Kubernetes memory quantity`);
  const factor: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    m: 1e-3,
  };
  return Number(m[1]) * (m[2] ? factor[m[2]] : 1);
}
