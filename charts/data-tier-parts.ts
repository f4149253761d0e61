/**
 * Small pieces shared by the data tier's constructs (Postgres, its backups, Redis): resources,
 * disruption budgets, spreading and network isolation of pods that should talk to nobody.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { PodGroup } from '../lib/network-policy';
import { quantities } from '../lib/kube';

/** Requests and limits as quantities (`{ requests: { cpu: '250m' } }`), each field optional. */
export interface Resources {
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

/** Requested resources over defaults, per field. */
export function resourcesFrom(config: Resources | undefined, defaults: Resources): k8s.ResourceRequirements {
  return {
    requests: quantities({ ...defaults.requests, ...config?.requests }),
    limits: quantities({ ...defaults.limits, ...config?.limits }),
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
