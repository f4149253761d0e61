/**
 * The logging tier (the seeds' "logs to Elasticsearch via Kubernetes container logs on STDOUT,
 * STDERR" and "Kibana … at /kibana (protected)"): the Elastic operator (ECK) as an add-on, an
 * Elasticsearch cluster sized by the inventory, Kibana behind the edge's authentication, a
 * Filebeat DaemonSet on every node and a retention policy the platform applies itself.
 *
 * Disabling logging removes these objects from dist/, but what holds the logs stays: the
 * Elasticsearch resource, its volumes, its namespace, the operator and the policies that keep
 * Elasticsearch closed carry Argo CD's Prune=false,Delete=false (docs/logging.md).
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ChartPin, ResourceQuantities, RouteRegistry, StorageClassRef, Toleration } from '../lib/contracts';
import { withDefaults } from '../lib/defaults';
import { pinnedChart, pinnedImage } from '../lib/pins';
import { LOGGING_DEFAULTS } from '../lib/tier-defaults';
import { ProtectedService } from '../lib/exposure';
import { LABEL } from '../lib/labels';
import { SYNC_OPTION, WAVE } from '../lib/argocd';
import { addSyncOptions } from '../lib/argocd-constructs';
import { allowFromApiServer, allowToApiServer, ClusterAddresses } from '../lib/cluster-peers';
import { allowEgress, allowIngress, allPods, allowTraffic, defaultDeny, NamespacePeer, Server } from '../lib/network-policy';
import { PlatformChart } from '../lib/platform-chart';
import { PodSecurityLevel } from '../lib/pod-security';
import { AddonApplication } from './addon-application';
import { ElasticsearchCluster } from './elasticsearch-cluster';
import { KIBANA_PORT, LoggingKibana } from './logging-kibana';
import { LOG_ILM_POLICY, LoggingRetention, retentionPolicy } from './logging-retention';
import { LoggingShipper } from './logging-shipper';
import { Namespaces } from './namespaces';
import { requireSecrets } from '../lib/warnings';

/** Elasticsearch, Kibana and the retention Job (Pod Security restricted). */
export const LOGGING_NAMESPACE = 'logging';
/** The log shipper, which needs host paths (Pod Security privileged). */
export const LOG_SHIPPER_NAMESPACE = 'logging-shipper';
/** The Elastic operator. */
export const ECK_NAMESPACE = 'elastic-system';

/** How the tier behaves: each setting optional, with a default (lib/tier-defaults.ts). */
export interface LoggingOptions {
  /** Log documents older than this many days are deleted. @default 14 */
  readonly retentionDays?: number;
  /** @default - 30Gi and a 1024 MiB heap per node, requests and limits twice the heap */
  readonly elasticsearch?: { readonly storage?: string; readonly heapMiB?: number; readonly resources?: ResourceQuantities };
  /** @default - auth Secret `kibana-basic-auth`, the chart's resources */
  readonly kibana?: { readonly authSecret?: string; readonly resources?: ResourceQuantities };
  /** @default - tolerates the control-plane taint, the construct's resources */
  readonly shipper?: { readonly tolerations?: readonly Toleration[]; readonly resources?: ResourceQuantities };
}

export interface LoggingTierProps extends LoggingOptions {
  /** The cluster's `00-namespaces` chart; the tier adds its three namespaces there. */
  readonly namespaces: Namespaces;
  /** The edge tier: Kibana's route and the entry point that may reach it. */
  readonly edge: RouteRegistry;
  /** Platform host Kibana is served on, under `/kibana`, e.g. `berkeleytime.com`. */
  readonly kibanaHost: string;
  /** Block storage for the Elasticsearch volumes (a class that retains volumes). */
  readonly storageClass: StorageClassRef;
  /** Hosts that can run Elasticsearch (workers; a single control-plane+worker host counts). */
  readonly nodeCount: number;
  /** The bootstrap manages the hosts and sets `vm.max_map_count`; otherwise Elasticsearch runs without mmap. */
  readonly hostsManaged: boolean;
  /** @default - the pin `eck-operator` of config/versions.yaml */
  readonly operatorChart?: ChartPin;
  /** Elastic Stack versions (ECK picks the images; keep the three equal). @default - the pins `elasticsearch`, `kibana`, `filebeat` */
  readonly elasticsearchVersion?: string;
  readonly kibanaVersion?: string;
  readonly filebeatVersion?: string;
  /** Image with curl, for the retention Job. @default - the pin `curl` */
  readonly curlImage?: string;
  /** The cluster's host addresses, for the API server allows. @default - the API server's port on any address */
  readonly clusterAddresses?: ClusterAddresses;
}

/** The operator, the namespace's only workload (so every pod in it), and its webhook's container port (eck-operator chart 3.5.0). */
const ECK_OPERATOR: Server = { ...allPods(ECK_NAMESPACE, 'eck-operator'), ports: [{ port: 9443 }] };

export class LoggingTier extends PlatformChart {
  public readonly elasticsearch: ElasticsearchCluster;
  public readonly kibana: LoggingKibana;
  public readonly shipper: LoggingShipper;
  public readonly retention: LoggingRetention;
  public readonly operator: AddonApplication;
  /** `namespace/name` of Secrets someone must create: Kibana's auth Secret (ECK creates its own). */
  public readonly externalSecrets: string[];
  /** Elasticsearch's API is never routed or exposed outside the cluster. */
  public readonly protectedServices: ProtectedService[];

  constructor(scope: Construct, id: string, props: LoggingTierProps) {
    super(scope, id);
    const config = {
      retentionDays: props.retentionDays ?? LOGGING_DEFAULTS.retentionDays,
      elasticsearch: withDefaults(LOGGING_DEFAULTS.elasticsearch, props.elasticsearch ?? {}),
      kibana: withDefaults(LOGGING_DEFAULTS.kibana, props.kibana ?? {}),
      shipper: withDefaults(LOGGING_DEFAULTS.shipper, props.shipper ?? {}),
    };
    const partOf = { [LABEL.partOf]: 'logging' };
    props.namespaces.add(ECK_NAMESPACE, { protect: true, labels: partOf });
    props.namespaces.add(LOGGING_NAMESPACE, { protect: true, labels: { ...partOf, ...props.edge.entryPoint.namespaceLabels } });
    props.namespaces.add(LOG_SHIPPER_NAMESPACE, {
      podSecurity: PodSecurityLevel.PRIVILEGED,
      podSecurityReason:
        "Filebeat reads every node's container log files through read-only hostPath volumes (/var/log/containers, /var/log/pods) as root, and keeps its read positions in a hostPath directory; Pod Security baseline forbids hostPath volumes",
      labels: partOf,
    });

    this.operator = new AddonApplication(this, 'Operator', {
      name: 'eck-operator',
      chart: props.operatorChart ?? pinnedChart('eck-operator'),
      namespace: ECK_NAMESPACE,
      syncWave: WAVE.operators,
      values: {
        // The operator only watches the tier's namespaces.
        managedNamespaces: [LOGGING_NAMESPACE, LOG_SHIPPER_NAMESPACE],
        installCRDs: true,
        telemetry: { disabled: true },
        podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
        },
      },
    });
    // Removing the operator would take ECK's CRDs, and with them the Elasticsearch resource.
    addSyncOptions(this.operator.application, SYNC_OPTION.noPrune, SYNC_OPTION.noDelete);

    this.elasticsearch = new ElasticsearchCluster(this, 'Elasticsearch', {
      name: 'logging',
      namespace: LOGGING_NAMESPACE,
      version: props.elasticsearchVersion ?? pinnedImage('elasticsearch'),
      hostCount: props.nodeCount,
      storageClass: props.storageClass,
      storage: config.elasticsearch.storage,
      heapMiB: config.elasticsearch.heapMiB,
      resources: config.elasticsearch.resources,
      hostsManaged: props.hostsManaged,
      syncWave: WAVE.storageConsumers,
    });
    const es = this.elasticsearch;

    this.kibana = new LoggingKibana(this, 'Kibana', {
      name: 'kibana',
      namespace: LOGGING_NAMESPACE,
      version: props.kibanaVersion ?? pinnedImage('kibana'),
      elasticsearch: es,
      host: props.kibanaHost,
      resources: config.kibana.resources,
      syncWave: WAVE.storageConsumers,
    });

    this.retention = new LoggingRetention(this, 'Retention', {
      namespace: LOGGING_NAMESPACE,
      elasticsearch: es,
      retentionDays: config.retentionDays,
      curlImage: props.curlImage ?? pinnedImage('curl'),
      syncWave: WAVE.platformJobs,
    });

    this.shipper = new LoggingShipper(this, 'Shipper', {
      name: 'filebeat',
      namespace: LOG_SHIPPER_NAMESPACE,
      version: props.filebeatVersion ?? pinnedImage('filebeat'),
      elasticsearch: es,
      ilmPolicy: { name: LOG_ILM_POLICY, document: retentionPolicy(config.retentionDays) },
      indexReplicas: es.nodeCount > 1 ? 1 : 0,
      tolerations: config.shipper.tolerations,
      resources: config.shipper.resources,
      syncWave: WAVE.storageConsumers,
    });

    props.edge.addRoutes(this, {
      owner: 'logging/kibana',
      syncWave: WAVE.edge,
      host: props.kibanaHost,
      namespace: LOGGING_NAMESPACE,
      backends: [{ path: this.kibana.basePath, serviceName: this.kibana.serviceName, port: KIBANA_PORT, pods: this.kibana.server }],
      auth: { secretName: config.kibana.authSecret },
    });

    this.networkPolicies(props.clusterAddresses);

    this.externalSecrets = [`${LOGGING_NAMESPACE}/${config.kibana.authSecret}`];
    requireSecrets(this, this.externalSecrets);
    this.protectedServices = [{ namespace: es.namespace, name: es.serviceName, selector: es.http.selector }];
  }

  /**
   * Both namespaces are default-deny; every flow the tier needs is allowed here. The policies that
   * keep Elasticsearch closed and its nodes talking stay when logging is disabled (Prune=false).
   */
  private networkPolicies(addresses: ClusterAddresses | undefined): void {
    const es = this.elasticsearch;
    const kibana = this.kibana.server;
    const operator: NamespacePeer = { name: 'eck-operator', namespaceLabels: { 'kubernetes.io/metadata.name': ECK_NAMESPACE } };

    const kept = new Construct(this, 'KeptPolicies');
    defaultDeny(kept, LOGGING_NAMESPACE);
    allowTraffic(kept, es.pods, kept, es.transport);
    allowIngress(kept, operator, es.http);
    for (const policy of kept.node.findAll()) {
      if (policy instanceof k8s.KubeNetworkPolicy) addSyncOptions(policy, SYNC_OPTION.noPrune, SYNC_OPTION.noDelete);
    }

    defaultDeny(this, LOG_SHIPPER_NAMESPACE);
    allowTraffic(this, { name: kibana.name, namespace: kibana.namespace, selector: kibana.selector }, this, es.http);
    allowTraffic(this, this.shipper.pods, this, es.http);
    allowTraffic(this, this.retention.pods, this, es.http);
    allowIngress(this, operator, kibana);

    // add_kubernetes_metadata watches the API server.
    allowToApiServer(this, this.shipper.pods, addresses);

    // The operator: the API server calls its validating webhook, it watches the API server and it
    // manages Elasticsearch and Kibana through their HTTP APIs (the ingress sides are above).
    defaultDeny(this, ECK_NAMESPACE);
    allowFromApiServer(this, ECK_OPERATOR, addresses);
    allowToApiServer(this, ECK_OPERATOR, addresses);
    allowEgress(this, ECK_OPERATOR, es.http);
    allowEgress(this, ECK_OPERATOR, kibana);
  }
}
