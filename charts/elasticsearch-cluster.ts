/**
 * The Elasticsearch cluster that stores the platform's logs, as an ECK `Elasticsearch`
 * resource: one node set sized by the inventory, data on the retained block StorageClass.
 * @see https://www.elastic.co/docs/deploy-manage/deploy/cloud-on-k8s/elasticsearch-configuration
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import {
  Elasticsearch,
  ElasticsearchSpecNodeSetsVolumeClaimTemplatesSpecResourcesRequests,
  ElasticsearchSpecVolumeClaimDeletePolicy,
} from '../imports/elasticsearch.k8s.elastic.co';
import { StorageClassRef } from '../lib/contracts';
import { memoryBytes, quantities, withOverrides } from '../lib/kube';
import { objectLabels } from '../lib/labels';
import { PRUNE_PROTECTION, SYNC_OPTION, syncAnnotations } from '../lib/argocd';
import { PodGroup, Server } from '../lib/network-policy';
import { RESTRICTED_CONTAINER, restrictedPodSecurityContext } from '../lib/pod-security';
import { warn } from '../lib/warnings';

// One shape of requests and limits for every tier (lib/contracts.ts).
export type { ResourceQuantities } from '../lib/contracts';
import type { ResourceQuantities } from '../lib/contracts';
import { allowImages } from '../lib/image-allowlist';

/** uid/gid the official Elasticsearch and Kibana images run as. */
export const ELASTIC_UID = 1000;

/**
 * The repositories ECK runs the Elastic Stack from when a resource names only its `version` (ours
 * do): the admission allowlist of the namespaces they run in.
 * @see https://www.elastic.co/docs/deploy-manage/deploy/cloud-on-k8s/custom-images
 */
export const ECK_IMAGES = {
  elasticsearch: 'docker.elastic.co/elasticsearch/elasticsearch',
  kibana: 'docker.elastic.co/kibana/kibana',
  filebeat: 'docker.elastic.co/beats/filebeat',
} as const;

/** Pod label ECK puts on every Elasticsearch pod of a cluster. */
const CLUSTER_NAME_LABEL = 'elasticsearch.k8s.elastic.co/cluster-name';

export interface ElasticsearchClusterProps {
  /** Name of the Elasticsearch resource; ECK derives Services and Secrets from it. */
  readonly name: string;
  readonly namespace: string;
  /** Elastic Stack version, e.g. `9.4.3`. */
  readonly version: string;
  /** Hosts that can run an Elasticsearch node; the node count is derived (see {@link ElasticsearchCluster.nodeCountFor}). */
  readonly hostCount: number;
  /** Block storage for the data volumes; it should retain volumes (reclaimPolicy Retain). */
  readonly storageClass: StorageClassRef;
  /** Data volume size per node, e.g. `30Gi`. */
  readonly storage: string;
  /** JVM heap per node. */
  readonly heapMiB: number;
  /** @default - requests 500m CPU and twice the heap in memory; memory limit twice the heap */
  readonly resources?: ResourceQuantities;
  /**
   * The hosts' bootstrap sets `vm.max_map_count`; when false, Elasticsearch does without mmap
   * instead of needing a privileged init container to set the sysctl.
   */
  readonly hostsManaged: boolean;
  /** Argo CD sync wave, after the operator that installs the CRD. */
  readonly syncWave: number;
}

/**
 * An ECK-managed Elasticsearch cluster. Elasticsearch answers on HTTPS 9200 with a CA that
 * ECK keeps in `<name>-es-http-certs-public`; the `elastic` superuser's password is in
 * `<name>-es-elastic-user`.
 */
export class ElasticsearchCluster extends Construct {
  /**
   * Master-eligible nodes must be an odd number to keep a quorum: one node below three hosts,
   * three from three hosts on (more hosts add resilience to host loss, not to quorum).
   */
  public static nodeCountFor(hostCount: number): number {
    if (!Number.isInteger(hostCount) || hostCount < 1) {
      throw new Error(`Elasticsearch needs at least one host to run on, got hostCount ${hostCount}: give the LoggingTier the number of worker hosts`);
    }
    return hostCount >= 3 ? 3 : 1;
  }

  public readonly name: string;
  public readonly namespace: string;
  /** Elastic Stack version the cluster runs. */
  public readonly version: string;
  public readonly nodeCount: number;
  /** The HTTP API (clients, Kibana, the shipper, the operator). */
  public readonly http: Server;
  /** Node-to-node transport. */
  public readonly transport: Server;
  /** Service that load-balances the HTTP API. */
  public readonly serviceName: string;
  /** `https://<service>.<namespace>.svc:9200` */
  public readonly url: string;
  /** Secret (created by ECK) with key `elastic`: the superuser's password. */
  public readonly elasticUserSecret: string;
  /** Secret (created by ECK) with key `ca.crt`: the CA of the HTTP certificate. */
  public readonly httpCaSecret: string;
  public readonly resource: Elasticsearch;

  constructor(scope: Construct, id: string, props: ElasticsearchClusterProps) {
    super(scope, id);
    // ECK runs the nodes (and their init containers) from Elastic's image of the version given.
    allowImages(this, props.namespace, [ECK_IMAGES.elasticsearch]);
    const { name, namespace } = props;
    this.name = name;
    this.namespace = namespace;
    this.version = props.version;
    this.nodeCount = ElasticsearchCluster.nodeCountFor(props.hostCount);
    if (props.hostCount === 2) {
      warn(
        'platform:logging:singleNode',
        `two hosts can run Elasticsearch: it runs one node (an even number of master-eligible nodes cannot keep a quorum when either host fails); logs are unavailable while that host is down`,
        this,
      );
    }
    if (props.storageClass.reclaimPolicy !== 'Retain') {
      warn(
        'platform:logging:volumesNotRetained',
        `Elasticsearch volumes use StorageClass "${props.storageClass.name}" with reclaimPolicy ${props.storageClass.reclaimPolicy}: deleting a volume claim deletes the logs; prefer a class that retains volumes`,
        this,
      );
    }

    const selector = { [CLUSTER_NAME_LABEL]: name };
    this.http = { name: 'elasticsearch', namespace, selector, ports: [{ port: 9200 }] };
    this.transport = { name: 'elasticsearch-transport', namespace, selector, ports: [{ port: 9300 }] };
    this.serviceName = `${name}-es-http`;
    this.url = `https://${this.serviceName}.${namespace}.svc:9200`;
    this.elasticUserSecret = `${name}-es-elastic-user`;
    this.httpCaSecret = `${name}-es-http-certs-public`;

    const resources = this.resources(props);
    const config: Record<string, unknown> = {
      // The GeoIP downloader calls the internet, which the logging namespace's policies refuse.
      'ingest.geoip.downloader.enabled': false,
      ...(props.hostsManaged ? {} : { 'node.store.allow_mmap': false }),
    };

    const podTemplate: k8s.PodTemplateSpec = {
      metadata: { labels: objectLabels(name, 'elasticsearch', 'logging', 'log-store') },
      spec: {
        automountServiceAccountToken: false,
        securityContext: restrictedPodSecurityContext({ runAsUser: ELASTIC_UID, fsGroup: ELASTIC_UID }),
        // One node per host: two nodes on one host would lose the quorum together.
        ...(this.nodeCount > 1
          ? {
              affinity: {
                podAntiAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: selector }, topologyKey: 'kubernetes.io/hostname' }],
                },
              },
            }
          : {}),
        containers: [
          {
            name: 'elasticsearch',
            env: [{ name: 'ES_JAVA_OPTS', value: `-Xms${props.heapMiB}m -Xmx${props.heapMiB}m` }],
            resources: {
              requests: quantities(resources.requests),
              limits: quantities(resources.limits),
            },
            securityContext: RESTRICTED_CONTAINER,
          },
        ],
      },
    };

    this.resource = new Elasticsearch(this, 'Resource', {
      metadata: {
        name,
        namespace,
        labels: objectLabels(name, 'elasticsearch', 'logging', 'log-store'),
        // The logs live here: never pruned or deleted by Argo CD, and applied before ECK's CRD exists.
        annotations: syncAnnotations(props.syncWave, SYNC_OPTION.noPrune, SYNC_OPTION.noDelete, SYNC_OPTION.skipDryRunOnMissingResource),
      },
      spec: {
        version: props.version,
        // Volumes outlive the resource: deleting the Elasticsearch object keeps its claims.
        volumeClaimDeletePolicy: ElasticsearchSpecVolumeClaimDeletePolicy.DELETE_ON_SCALEDOWN_ONLY,
        nodeSets: [
          {
            name: 'default',
            count: this.nodeCount,
            config,
            podTemplate: k8s.toJson_PodTemplateSpec(podTemplate),
            volumeClaimTemplates: [
              {
                // ECK mounts the claim named `elasticsearch-data` as the data directory.
                metadata: { name: 'elasticsearch-data', annotations: { ...PRUNE_PROTECTION } },
                spec: {
                  accessModes: ['ReadWriteOnce'],
                  storageClassName: props.storageClass.name,
                  resources: { requests: { storage: ElasticsearchSpecNodeSetsVolumeClaimTemplatesSpecResourcesRequests.fromString(props.storage) } },
                },
              },
            ],
          },
        ],
      },
    });
  }

  /** The pods, for connections from clients that need no particular port. */
  public get pods(): PodGroup {
    return { name: this.http.name, namespace: this.namespace, selector: this.http.selector };
  }

  private resources(props: ElasticsearchClusterProps): { requests: Record<string, string>; limits: Record<string, string> } {
    const memory = `${props.heapMiB * 2}Mi`;
    const requests = withOverrides({ cpu: '500m', memory }, props.resources?.requests);
    const limits = withOverrides({ memory }, props.resources?.limits);
    const limit = limits.memory ?? requests.memory;
    const heapBytes = props.heapMiB * 2 ** 20;
    if (heapBytes >= memoryBytes(limit)) {
      throw new Error(
        `logging.elasticsearch.heapMiB (${props.heapMiB}) does not fit in the memory limit (${limit}): the JVM heap must stay below the container's memory, ideally at most half of it; lower heapMiB or raise logging.elasticsearch.resources.limits.memory`,
      );
    }
    if (heapBytes > memoryBytes(limit) / 2) {
      warn(
        'platform:logging:heapAboveHalfMemory',
        `logging.elasticsearch.heapMiB (${props.heapMiB}) is more than half the memory limit (${limit}): Elasticsearch also needs memory outside the heap for the filesystem cache`,
        this,
      );
    }
    return { requests, limits };
  }
}
