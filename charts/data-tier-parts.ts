/**
 * Small pieces shared by the data tier's constructs (Postgres, its backups, Redis): resources,
 * disruption budgets, spreading and network isolation of pods that should talk to nobody.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { PodGroup } from '../lib/network-policy';
import type { ResourceQuantities } from '../lib/contracts';
export { disruptionBudget, resourcesFrom } from '../lib/kube';

/** Requests and limits (lib/contracts.ts `ResourceQuantities`), as the data tier's props take them. */
export type Resources = ResourceQuantities;

/** Spreads replicas over nodes when there is more than one; a single pod needs no rule. */
export function spreadOverNodes(selector: Readonly<Record<string, string>>, replicas: number): Pick<k8s.PodSpec, 'affinity'> {
  if (replicas <= 1) return {};
  return {
    affinity: {
      podAntiAffinity: {
        // Preferred, not required: on a one-node cluster the second replica must still schedule.
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { ...selector } } } },
        ],
      },
    },
  };
}

/**
 * Isolates pods in both directions. Other policies then add the allowed flows; this one makes the
 * pods closed even in a namespace without a default-deny, and keeps servers that never dial out
 * (Postgres, Redis, the restore drill) from reaching anything, DNS included.
 */
export function isolate(scope: Construct, pods: PodGroup, labels: Record<string, string>): void {
  new k8s.KubeNetworkPolicy(scope, 'Isolate', {
    metadata: { name: `isolate-${pods.name}`, namespace: pods.namespace, labels },
    spec: { podSelector: { matchLabels: { ...pods.selector } }, policyTypes: ['Ingress', 'Egress'] },
  });
}

/** An emptyDir volume and its mount, for the paths a read-only root filesystem must still write. */
export function scratch(name: string, mountPath: string, sizeLimit: string, medium?: 'Memory'): { volume: k8s.Volume; mount: k8s.VolumeMount } {
  return {
    volume: { name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit), ...(medium ? { medium } : {}) } },
    mount: { name, mountPath },
  };
}
