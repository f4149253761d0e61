/**
 * CloudNativePG, the operator that runs the platform's Postgres clusters (chart `cloudnative-pg`,
 * operator 1.30.0), and its Barman Cloud plugin (chart `plugin-barman-cloud`, plugin v0.13.0),
 * which archives WAL and base backups to object storage. The plugin is the method CloudNativePG
 * 1.30 recommends: the in-tree `spec.backup.barmanObjectStore` is "deprecated from 1.26 in favor of
 * the Barman Cloud Plugin" (cloudnative-pg docs/src/backup.md at v1.30.0). The plugin installs
 * into the operator's namespace (plugin-barman-cloud web/docs/usage.md at v0.13.0) and its chart
 * makes an Issuer and two Certificates, so it syncs after cert-manager: the plan shows cert-manager and
 * this operator (dependent operators), then the plugin (platform), and every `Cluster` only in the
 * environments' wave.
 */
import { Construct } from 'constructs';
import { SYNC_OPTION, WAVE } from '../lib/argocd';
import { addSyncOptions } from '../lib/argocd-constructs';
import { allowFromApiServer, allowToApiServer, ClusterAddresses } from '../lib/cluster-peers';
import { ChartPin } from '../lib/contracts';
import { LABEL } from '../lib/labels';
import { allowEgress, allowTraffic, defaultDeny, NamespacePeer, Server } from '../lib/network-policy';
import { pinnedChart } from '../lib/pins';
import { PlatformChart } from '../lib/platform-chart';
import { AddonApplication } from './addon-application';
import { Namespaces } from './namespaces';

/** Namespace of the operator and of the plugin (the plugin must run beside the operator). */
export const CNPG_NAMESPACE = 'cnpg-system';
/** Name the plugin registers with the operator: `Cluster.spec.plugins[].name`, `ScheduledBackup.spec.pluginConfiguration.name`. */
export const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';
/** Every pod of a Cluster (instances and their bootstrap Jobs) carries `cnpg.io/cluster: <name>` (docs/src/labels_annotations.md). */
export const CNPG_CLUSTER_LABEL = 'cnpg.io/cluster';
/** Instance pods of every Cluster carry this label (cloudnative-pg docs/src/labels_annotations.md). */
export const CNPG_INSTANCE_LABELS = { 'cnpg.io/podRole': 'instance' } as const;
/** The instance manager's status endpoint, which the operator calls (pkg/management/url/url.go `StatusPort`). */
export const CNPG_STATUS_PORT = 8000;
/** The instance manager's Prometheus exporter (`metrics` port). */
export const CNPG_METRICS_PORT = 9187;

const OPERATOR_RELEASE = 'cloudnative-pg';
const PLUGIN_RELEASE = 'plugin-barman-cloud';

/** The operator's pods as the chart labels them (cloudnative-pg chart 0.29.0 `_helpers.tpl` selector labels), with its webhook port. */
const OPERATOR: Server = {
  name: 'cnpg-operator',
  namespace: CNPG_NAMESPACE,
  selector: { [LABEL.name]: 'cloudnative-pg', [LABEL.instance]: OPERATOR_RELEASE },
  ports: [{ port: 9443 }],
};
/** The plugin's pods, and its gRPC port the operator calls (chart 0.7.0 `service.port`). */
const PLUGIN: Server = {
  name: 'barman-cloud-plugin',
  namespace: CNPG_NAMESPACE,
  selector: { [LABEL.name]: 'plugin-barman-cloud', [LABEL.instance]: PLUGIN_RELEASE },
  ports: [{ port: 9090 }],
};

export interface PostgresOperatorProps {
  /** The cluster's `00-namespaces` chart; the operator's namespace is added there. */
  readonly namespaces: Namespaces;
  /** @default - the pin `cloudnative-pg` of config/versions.yaml */
  readonly operatorChart?: ChartPin;
  /** @default - the pin `plugin-barman-cloud` of config/versions.yaml */
  readonly pluginChart?: ChartPin;
  /** The cluster's host addresses, for the API server allows. @default - the API server's port on any address */
  readonly clusterAddresses?: ClusterAddresses;
}

/** What a database namespace needs to know of the operator: who may reach its instances. */
export interface IPostgresOperator {
  /** The operator's pods, as a peer of the instance pods' policies (ports 8000 and 5432). */
  readonly operatorPeer: NamespacePeer;
  /** `Cluster.spec.plugins[].name` of the Barman Cloud plugin. */
  readonly backupPlugin: string;
}

/** The operator and the plugin as add-on Applications, and the policies of their namespace. */
export class PostgresOperator extends PlatformChart implements IPostgresOperator {
  public readonly operator: AddonApplication;
  public readonly plugin: AddonApplication;
  public readonly operatorPeer: NamespacePeer = {
    name: 'cnpg-operator',
    namespaceLabels: { 'kubernetes.io/metadata.name': CNPG_NAMESPACE },
    podLabels: OPERATOR.selector,
  };
  public readonly backupPlugin = BARMAN_CLOUD_PLUGIN;

  constructor(scope: Construct, id: string, props: PostgresOperatorProps) {
    super(scope, id);
    // Holds the CRDs' controller: never pruned with the tree.
    props.namespaces.add(CNPG_NAMESPACE, { protect: true, labels: { [LABEL.partOf]: 'cloudnative-pg' } });
    this.operator = new AddonApplication(this, 'Operator', {
      name: OPERATOR_RELEASE,
      chart: props.operatorChart ?? pinnedChart('cloudnative-pg'),
      namespace: CNPG_NAMESPACE,
      // Beside cert-manager: the operator needs nothing of it, but the plan then reads cert-manager, the
      // operator, the plugin (which needs both), in that order, before any Cluster.
      syncWave: WAVE.dependentOperators,
      // The Cluster and Pooler CRDs exceed the 256 KiB client-side apply annotation (shared/schemas/SOURCES.md).
      serverSideApply: true,
      values: {
        crds: { create: true },
        // One operator for every database namespace of the platform.
        config: { clusterWide: true },
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      },
    });
    this.plugin = new AddonApplication(this, 'BackupPlugin', {
      name: PLUGIN_RELEASE,
      chart: props.pluginChart ?? pinnedChart('plugin-barman-cloud'),
      namespace: CNPG_NAMESPACE,
      // After cert-manager (its Issuer and Certificates) and the operator (the plugin registers with it).
      syncWave: WAVE.platform,
      values: {
        resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } },
      },
    });
    // Removing either would remove the CRDs, and with them every Cluster, backup and ObjectStore.
    for (const app of [this.operator, this.plugin]) addSyncOptions(app.application, SYNC_OPTION.noPrune, SYNC_OPTION.noDelete);

    // The API server calls the operator's webhooks; both watch it; the operator calls the plugin and
    // every instance pod (status on 8000, Postgres on 5432: cloudnative-pg docs/src/networking.md).
    defaultDeny(this, CNPG_NAMESPACE);
    allowFromApiServer(this, OPERATOR, props.clusterAddresses);
    allowToApiServer(this, OPERATOR, props.clusterAddresses);
    allowToApiServer(this, PLUGIN, props.clusterAddresses);
    allowTraffic(this, OPERATOR, this, PLUGIN);
    allowEgress(this, OPERATOR, {
      name: 'postgres-instances',
      namespaceLabels: {},
      podLabels: CNPG_INSTANCE_LABELS,
      ports: [{ port: CNPG_STATUS_PORT }, { port: 5432 }],
    });
    // Nothing else reaches this namespace: the plugin's gRPC server is for the operator alone (mutual TLS).
  }
}
