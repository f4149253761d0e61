/**
 * Prometheus scraping for one app component: a PodMonitor for its metrics endpoints (the
 * statsd-exporter sidecar's and/or the app's own) and the policy admitting Prometheus to them,
 * since app namespaces are default-deny.
 * @see https://prometheus-operator.dev/docs/developer/getting-started/#using-podmonitors
 */
import { Construct } from 'constructs';
import { ResolvedComponent } from './app-spec';
import { PodMonitor } from '../imports/monitoring.coreos.com';
import { objectLabels } from '../lib/labels';
import { ARGO_ANNOTATION, SYNC_OPTION } from '../lib/argocd';
import { allowIngress, NamespacePeer, PodGroup } from '../lib/network-policy';
import { APP_METRICS_PORT_NAME, STATSD_EXPORTER } from './app-pod';

/** One scrape endpoint: a named container port and its path. */
export interface MetricsEndpoint {
  readonly portName: string;
  readonly port: number;
  readonly path: string;
}

/** A component's metrics endpoints, from its `statsd` and `metrics` settings (none when it sets neither). */
export function metricsEndpoints(spec: ResolvedComponent): MetricsEndpoint[] {
  return [
    ...(spec.statsd ? [{ portName: STATSD_EXPORTER.metricsPortName, port: STATSD_EXPORTER.metricsPort, path: '/metrics' }] : []),
    ...(spec.metrics ? [{ portName: spec.metrics.port === spec.port ? 'http' : APP_METRICS_PORT_NAME, port: spec.metrics.port, path: spec.metrics.path }] : []),
  ];
}

export interface AppMetricsProps {
  /** The component (its name, port, `statsd` and `metrics`). */
  readonly spec: ResolvedComponent;
  readonly app: string;
  /** The component's pods (both tracks), as its Service selects them. */
  readonly pods: PodGroup;
  /** Who scrapes: the monitoring stack's Prometheus pods. */
  readonly prometheus: NamespacePeer;
}

export class AppMetrics extends Construct {
  public readonly podMonitor: PodMonitor;
  public readonly endpoints: readonly MetricsEndpoint[];

  constructor(scope: Construct, id: string, props: AppMetricsProps) {
    super(scope, id);
    const { spec, pods } = props;
    this.endpoints = metricsEndpoints(spec);
    if (this.endpoints.length === 0) {
      throw new Error(`AppMetrics: component "${spec.name}" sets neither statsd nor metrics; there is nothing to scrape`);
    }
    this.podMonitor = new PodMonitor(this, 'PodMonitor', {
      metadata: {
        name: spec.name,
        namespace: pods.namespace,
        labels: objectLabels(pods.namespace, spec.name, props.app),
        // Environment charts may sync before the monitoring stack has installed the CRD on a fresh cluster.
        annotations: { [ARGO_ANNOTATION.syncOptions]: SYNC_OPTION.skipDryRunOnMissingResource },
      },
      spec: {
        selector: { matchLabels: { ...pods.selector } },
        podMetricsEndpoints: this.endpoints.map((e) => ({ port: e.portName, path: e.path })),
      },
    });
    allowIngress(this, props.prometheus, {
      name: `${spec.name}-metrics`,
      namespace: pods.namespace,
      selector: pods.selector,
      ports: [...new Set(this.endpoints.map((e) => e.port))].map((port) => ({ port })),
    });
  }
}
