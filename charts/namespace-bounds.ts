/**
 * Every app namespace is bounded: a LimitRange gives a container without requests or a memory
 * limit (a `kubectl run`, a `kubectl debug`) modest defaults, and a ResourceQuota caps what the
 * namespace may request in all, so a preview or a runaway job cannot starve production on a
 * shared host. The quota is sized from the namespace's own peak demand (lib/namespace-demand.ts),
 * so it never blocks the platform's own rollout.
 * @see https://kubernetes.io/docs/concepts/policy/resource-quotas/
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { cpuQuantity, Demand, memoryQuantity } from '../lib/namespace-demand';

export interface NamespaceBoundsProps {
  readonly namespace: string;
  /** The namespace's quota on requests and memory limits. */
  readonly quota: Demand;
}

/** What a container without its own resources gets (the Berkeleytime seed's LimitRange did this). */
export const CONTAINER_DEFAULTS = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } } as const;

export class NamespaceBounds extends Construct {
  constructor(scope: Construct, id: string, props: NamespaceBoundsProps) {
    super(scope, id);
    new k8s.KubeLimitRange(this, 'Limits', {
      metadata: { name: 'container-defaults', namespace: props.namespace },
      spec: {
        limits: [
          {
            type: 'Container',
            defaultRequest: {
              cpu: k8s.Quantity.fromString(CONTAINER_DEFAULTS.requests.cpu),
              memory: k8s.Quantity.fromString(CONTAINER_DEFAULTS.requests.memory),
            },
            // No CPU limit by default: throttling hurts latency more than sharing idle cores costs.
            default: { memory: k8s.Quantity.fromString(CONTAINER_DEFAULTS.limits.memory) },
          },
        ],
      },
    });
    new k8s.KubeResourceQuota(this, 'Quota', {
      metadata: { name: 'namespace-quota', namespace: props.namespace },
      spec: {
        hard: {
          'requests.cpu': k8s.Quantity.fromString(cpuQuantity(props.quota.cpuMilli)),
          'requests.memory': k8s.Quantity.fromString(memoryQuantity(props.quota.memoryBytes)),
          'limits.memory': k8s.Quantity.fromString(memoryQuantity(props.quota.memoryLimitBytes)),
        },
      },
    });
  }
}
