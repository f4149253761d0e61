/**
 * Redis (or Valkey) as a pure cache: nothing persisted, bounded memory with an eviction policy.
 * Losing the pod loses only cached values, so a Deployment and no volume.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { Chart } from 'cdk8s';
import { parseImage } from '../lib/image';
import { withDefaults } from '../lib/defaults';
import { pinnedImage } from '../lib/pins';
import { REDIS_DEFAULTS } from '../lib/tier-defaults';
import { serviceFqdn } from '../lib/kube';
import { objectLabels, selectorLabels } from '../lib/labels';
import { Server } from '../lib/network-policy';
import { restrictedPodSpec } from '../lib/pod-security';
import { disruptionBudget, isolate, Resources, resourcesFrom, scratch, spreadOverNodes } from './data-tier-parts';

/** uid and gid of the `redis`/`valkey` user in the official Debian images. */
export const REDIS_UID = 999;
export const REDIS_PORT = 6379;

const UNITS: Record<string, number> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** Bytes of a Redis size (`256mb`) or a Kubernetes memory quantity (`512Mi`); undefined if unparsable. */
export function bytes(size: string): number | undefined {
  const m = /^([0-9]+)(kb|mb|gb|k|M|G|Ki|Mi|Gi)?$/.exec(size);
  return m ? Number(m[1]) * (m[2] ? UNITS[m[2]] : 1) : undefined;
}

/** How the cache behaves: flat, each with a default. */
export interface RedisOptions {
  /** Cache size (`maxmemory`); the memory limit must leave room above it. @default '256mb' */
  readonly maxMemory?: string;
  /** What goes when the cache is full. @default 'allkeys-lru' */
  readonly evictionPolicy?: 'allkeys-lru' | 'allkeys-lfu' | 'volatile-lru' | 'volatile-lfu' | 'allkeys-random' | 'volatile-ttl';
  /** @default - requests 50m CPU and maxMemory plus 64Mi, memory limit 1.5 × maxMemory plus 64Mi */
  readonly resources?: Resources;
}

export interface RedisProps extends RedisOptions {
  /** App the cache belongs to (`app.kubernetes.io/part-of`). @default 'redis' */
  readonly app?: string;
  /** @default - the namespace of the enclosing chart, else 'default' */
  readonly namespace?: string;
  /** `docker.io/library/valkey:…` or `docker.io/library/redis:…`. @default - the pin `redis` of config/versions.yaml */
  readonly image?: string;
  /**
   * Independent cache instances behind one Service; each client connection lands on one of them,
   * so only for caches that tolerate misses and stale reads between instances.
   * @default 1
   */
  readonly replicas?: number;
  /** Cluster DNS domain, for the FQDN clients connect to. @default 'cluster.local' */
  readonly clusterDomain?: string;
}

export class Redis extends Construct {
  public readonly server: Server;
  public readonly serviceName: string;
  public readonly host: string;

  constructor(scope: Construct, id: string, props: RedisProps = {}) {
    super(scope, id);
    const namespace = props.namespace ?? Chart.of(this).namespace ?? 'default';
    const config = withDefaults(REDIS_DEFAULTS, props);
    const image = props.image ?? pinnedImage('redis');
    const name = 'redis';
    const replicas = props.replicas ?? 1;
    const selector = selectorLabels(namespace, name);
    const labels = objectLabels(namespace, name, props.app ?? name, 'cache');
    this.server = { name, namespace, selector, ports: [{ port: REDIS_PORT }] };
    this.serviceName = name;
    this.host = serviceFqdn(name, namespace, props.clusterDomain);

    const resources = resourcesFrom(config.resources, {
      requests: { cpu: '50m', memory: defaultMemory(config.maxMemory) },
      limits: { memory: defaultMemory(config.maxMemory, 1.5) },
    });
    checkMemoryLimit(namespace, config, resources);

    // Valkey ships `valkey-server`/`valkey-cli`, Redis `redis-server`/`redis-cli`; both take the same flags.
    const flavour = (parseImage(image) as { repository: string }).repository.endsWith('valkey') ? 'valkey' : 'redis';
    const ping: k8s.ExecAction = { command: [`${flavour}-cli`, '-p', String(REDIS_PORT), 'ping'] };
    const data = scratch('data', '/data', '64Mi');

    new k8s.KubeDeployment(this, 'Resource', {
      metadata: { name, namespace, labels },
      spec: {
        replicas,
        selector: { matchLabels: { ...selector } },
        template: {
          metadata: { labels: { ...labels } },
          spec: restrictedPodSpec(
            {
              enableServiceLinks: false,
              ...spreadOverNodes(selector, replicas),
              containers: [
                {
                  name,
                  image,
                  imagePullPolicy: 'IfNotPresent',
                  command: [`${flavour}-server`],
                  args: [
                    '--port',
                    String(REDIS_PORT),
                    // A cache: no RDB snapshots, no append-only file.
                    '--save',
                    '',
                    '--appendonly',
                    'no',
                    '--maxmemory',
                    config.maxMemory,
                    '--maxmemory-policy',
                    config.evictionPolicy,
                    // Reached only through the NetworkPolicies below, from the pods that declared it.
                    '--protected-mode',
                    'no',
                  ],
                  ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
                  resources,
                  readinessProbe: { exec: ping, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
                  livenessProbe: { exec: ping, initialDelaySeconds: 10, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
                  // The image's working directory; nothing is saved there, but it must be writable.
                  volumeMounts: [data.mount],
                },
              ],
              volumes: [data.volume],
            },
            { runAsUser: REDIS_UID },
          ),
        },
      },
    });

    new k8s.KubeService(this, 'Service', {
      metadata: { name: this.serviceName, namespace, labels },
      spec: {
        type: 'ClusterIP',
        selector: { ...selector },
        ports: [{ name: 'redis', port: REDIS_PORT, targetPort: k8s.IntOrString.fromString('redis'), protocol: 'TCP' }],
      },
    });
    disruptionBudget(this, this.server, labels);
    isolate(this, this.server, labels);
  }
}

/** A memory quantity `factor` times the cache size plus 64Mi for the server itself. */
function defaultMemory(maxMemory: string, factor = 1): string {
  return `${Math.ceil(((bytes(maxMemory) ?? 256 * 1024 ** 2) * factor) / 1024 ** 2) + 64}Mi`;
}

/** A limit at or below maxmemory gets the cache OOM-killed before it ever evicts. */
function checkMemoryLimit(namespace: string, config: { readonly maxMemory: string }, resources: k8s.ResourceRequirements): void {
  const limit = resources.limits?.memory?.value;
  const limitBytes = typeof limit === 'string' ? bytes(limit) : undefined;
  const cache = bytes(config.maxMemory);
  if (limitBytes !== undefined && cache !== undefined && limitBytes <= cache) {
    throw new Error(
      `DataTier ${namespace}: redis.resources.limits.memory (${limit}) must be above maxMemory (${config.maxMemory}) ` +
        'plus room for the server, or the cache is OOM-killed before it evicts; raise the limit or lower maxMemory',
    );
  }
}
