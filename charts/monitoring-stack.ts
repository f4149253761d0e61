/**
 * The monitoring tier (Wikimedia's "Prometheus scraping pods … Grafana"): kube-prometheus-stack
 * as an add-on (the Prometheus Operator and its CRDs, Prometheus on a persistent volume,
 * kube-state-metrics, node-exporter on every node, Grafana with the stack's dashboards, and
 * Alertmanager when configured). Apps are scraped through the PodMonitors their AppStack writes,
 * admitted by the `prometheus` peer this tier exposes.
 * @see https://github.com/prometheus-community/helm-charts/tree/main/charts/kube-prometheus-stack
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { allowToApiServer, allowToHosts, ClusterAddresses } from '../lib/cluster-peers';
import { allowEgress, allowWithinNamespace, defaultDeny, PodGroup } from '../lib/network-policy';
import { ChartPin, NamespacePeer, RouteRegistry, Server, StorageClassRef } from '../lib/contracts';
import { withDefaults } from '../lib/defaults';
import { pinnedChart } from '../lib/pins';
import { MONITORING_DEFAULTS } from '../lib/tier-defaults';
import { WAVE } from '../lib/argocd';
import { LABEL } from '../lib/labels';
import { PlatformChart } from '../lib/platform-chart';
import { PodSecurityLevel } from '../lib/pod-security';
import { AddonApplication } from './addon-application';
import { kubePrometheusStackValues, MonitoringSettings } from './monitoring-values';
import { Namespaces } from './namespaces';
import { requireSecrets } from '../lib/warnings';

/** Prometheus, Grafana, Alertmanager, the operator and kube-state-metrics (Pod Security restricted). */
export const MONITORING_NAMESPACE = 'monitoring';
/** node-exporter, which reads the hosts (Pod Security privileged). */
export const NODE_EXPORTER_NAMESPACE = 'monitoring-node-exporter';

/** Helm release name: the chart derives its object names from it. */
const RELEASE = 'kube-prometheus-stack';
const GRAFANA_PATH = '/grafana';
/** Grafana's container port, and its Service's port (grafana chart defaults). */
const GRAFANA_PORT = 3000;
const GRAFANA_SERVICE_PORT = 80;

/** How the stack behaves: flat, each with a default (lib/tier-defaults.ts). */
export interface MonitoringOptions {
  /** Metrics older than this many days are deleted; older data also goes when the volume is 85% full. @default 15 */
  readonly retentionDays?: number;
  /** Size of Prometheus's volume. @default '20Gi' */
  readonly storage?: string;
  /** Secret in `monitoring` with Grafana's admin login (`admin-user`, `admin-password`). @default 'grafana-admin' */
  readonly grafanaAdminSecret?: string;
  /** Serve Grafana at `/grafana` on `grafanaHost` through the edge. @default true */
  readonly grafanaRoute?: boolean;
  /** Run Alertmanager (it delivers nothing without receivers, docs/monitoring.md). @default false */
  readonly alertmanager?: boolean;
}

export interface MonitoringStackProps extends MonitoringOptions {
  /** The cluster's `00-namespaces` chart; the tier adds its two namespaces there. */
  readonly namespaces: Namespaces;
  /** The edge tier: Grafana's route (when `config.grafanaRoute`) and the entry point that may reach it. */
  readonly edge: RouteRegistry;
  /** Platform host Grafana is served on, under `/grafana`, e.g. `berkeleytime.com`. */
  readonly grafanaHost: string;
  /** Block storage for Prometheus's volume; metrics can be rebuilt, so the general (reclaim Delete) class fits. */
  readonly storageClass: StorageClassRef;
  /** @default - the pin `kube-prometheus-stack` of config/versions.yaml */
  readonly chart?: ChartPin;
  /** The cluster's addresses: the API server, and the hosts whose kubelets and node-exporters are scraped. @default - the ports alone, on any address */
  readonly clusterAddresses?: ClusterAddresses;
}

/** Ports Prometheus scrapes on the hosts' own network: the kubelets and node-exporter (chart defaults). */
const HOST_METRICS_PORTS = [{ port: 10250 }, { port: 9100 }];

export class MonitoringStack extends PlatformChart {
  public readonly application: AddonApplication;
  /** Prometheus's pods, created by the operator: what app namespaces admit to their metrics ports. */
  public readonly prometheus: NamespacePeer;
  /** Grafana's pods and port. */
  public readonly grafana: Server;
  public readonly grafanaServiceName: string;
  /** Where users reach Grafana, when it is routed. */
  public readonly grafanaUrl?: string;
  /** `namespace/name` of Secrets the tier references but never synthesizes (Grafana's admin login). */
  public readonly externalSecrets: string[];

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id);
    const config: MonitoringSettings = withDefaults(MONITORING_DEFAULTS, {
      retentionDays: props.retentionDays,
      storage: props.storage,
      grafanaAdminSecret: props.grafanaAdminSecret,
      grafanaRoute: props.grafanaRoute,
      alertmanager: props.alertmanager,
    });
    const partOf = { [LABEL.partOf]: 'monitoring' };
    props.namespaces.add(MONITORING_NAMESPACE, {
      labels: { ...partOf, ...(config.grafanaRoute ? props.edge.entryPoint.namespaceLabels : {}) },
    });
    props.namespaces.add(NODE_EXPORTER_NAMESPACE, {
      podSecurity: PodSecurityLevel.PRIVILEGED,
      podSecurityReason:
        "node-exporter reports the host itself: it runs in the host network and PID namespaces and reads the host's root filesystem, /proc and /sys through read-only hostPath volumes, all of which Pod Security baseline forbids",
      networkPolicyException:
        "node-exporter, the only workload here, runs in the host network, which NetworkPolicies do not govern; Prometheus reaches it on the hosts' addresses (port 9100, egress-prometheus-to-hosts in monitoring)",
      labels: partOf,
    });

    this.prometheus = {
      name: 'prometheus',
      namespaceLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE },
      // The label the Prometheus Operator puts on every Prometheus pod it runs.
      podLabels: { [LABEL.name]: 'prometheus' },
    };
    // The grafana chart's selector labels, for the release below.
    this.grafana = {
      name: 'grafana',
      namespace: MONITORING_NAMESPACE,
      selector: { [LABEL.name]: 'grafana', [LABEL.instance]: RELEASE },
      ports: [{ port: GRAFANA_PORT }],
    };
    this.grafanaServiceName = `${RELEASE}-grafana`;
    this.grafanaUrl = config.grafanaRoute ? `https://${props.grafanaHost}${GRAFANA_PATH}/` : undefined;

    this.application = new AddonApplication(this, 'Stack', {
      name: RELEASE,
      chart: props.chart ?? pinnedChart('kube-prometheus-stack'),
      namespace: MONITORING_NAMESPACE,
      // Prometheus and Alertmanager claim volumes: after the StorageClass's Ceph cluster is healthy.
      syncWave: WAVE.storageConsumers,
      // The Prometheus and Alertmanager CRDs exceed the 256 KiB client-side apply annotation.
      serverSideApply: true,
      // node-exporter in its own (privileged) namespace; the CoreDNS metrics Service beside CoreDNS.
      alsoWritesTo: [NODE_EXPORTER_NAMESPACE, 'kube-system'],
      values: kubePrometheusStackValues({
        config,
        storageClass: props.storageClass,
        nodeExporterNamespace: NODE_EXPORTER_NAMESPACE,
        grafanaUrl: this.grafanaUrl,
      }),
    });

    if (config.grafanaRoute) {
      props.edge.addRoutes(this, {
        owner: 'monitoring/grafana',
        syncWave: WAVE.edge,
        host: props.grafanaHost,
        namespace: MONITORING_NAMESPACE,
        backends: [{ path: GRAFANA_PATH, serviceName: this.grafanaServiceName, port: GRAFANA_SERVICE_PORT, pods: this.grafana }],
      });
    }
    this.networkPolicies(config.alertmanager, props.clusterAddresses);
    this.externalSecrets = [`${MONITORING_NAMESPACE}/${config.grafanaAdminSecret}`];
    requireSecrets(this, this.externalSecrets);
  }

  /**
   * The namespace is default-deny; its own pods reach each other (Prometheus scraping the operator,
   * kube-state-metrics and Grafana; Grafana querying Prometheus and Alertmanager). The entry point
   * reaches Grafana (the edge's policy), the API server the operator's webhook and the operator the
   * API server (the chart's own policy, `prometheusOperator.networkPolicy`). Prometheus scrapes
   * pods in every namespace (whose policies admit the `prometheus` peer on their metrics ports),
   * the kubelets and node-exporter on the hosts, and the API server; Grafana's sidecars and
   * kube-state-metrics watch the API server; Alertmanager's receivers (mail, chat, webhooks) are
   * the team's choice, so its egress stays open. node-exporter's namespace has no policy: its pods
   * use the host network, which NetworkPolicies do not govern (the namespace's exception says so).
   */
  private networkPolicies(alertmanager: boolean, addresses: ClusterAddresses | undefined): void {
    const ns = MONITORING_NAMESPACE;
    const prometheus: PodGroup = { name: 'prometheus', namespace: ns, selector: { ...this.prometheus.podLabels } };
    defaultDeny(this, ns);
    allowWithinNamespace(this, ns);
    allowEgress(this, prometheus, { name: 'every-namespace', namespaceLabels: {}, ports: [] });
    allowToHosts(this, prometheus, HOST_METRICS_PORTS, addresses);
    allowToApiServer(this, prometheus, addresses);
    allowToApiServer(this, this.grafana, addresses);
    allowToApiServer(
      this,
      { name: 'kube-state-metrics', namespace: ns, selector: { [LABEL.name]: 'kube-state-metrics', [LABEL.instance]: RELEASE } },
      addresses,
    );
    if (alertmanager) {
      new k8s.KubeNetworkPolicy(this, 'Egress-alertmanager-to-receivers', {
        metadata: { name: 'egress-alertmanager-to-receivers', namespace: ns },
        spec: { podSelector: { matchLabels: { [LABEL.name]: 'alertmanager' } }, policyTypes: ['Egress'], egress: [{}] },
      });
    }
  }
}
