/**
 * Helm values of kube-prometheus-stack, built from the typed `monitoring` config. Kept apart
 * from the chart so the choices below can be read (and tested) as one value.
 * @see https://github.com/prometheus-community/helm-charts/blob/main/charts/kube-prometheus-stack/values.yaml
 */
import { StorageClassRef } from '../lib/contracts';
import { memoryBytes } from '../lib/kube';
import { MONITORING_DEFAULTS } from '../lib/tier-defaults';

/** The stack's settings with every default applied. */
export type MonitoringSettings = {
  readonly [K in keyof typeof MONITORING_DEFAULTS]: (typeof MONITORING_DEFAULTS)[K] extends boolean
    ? boolean
    : (typeof MONITORING_DEFAULTS)[K] extends number
      ? number
      : string;
};

export interface MonitoringValuesOptions {
  readonly config: MonitoringSettings;
  /** Class of Prometheus's volume. */
  readonly storageClass: StorageClassRef;
  /** Namespace of node-exporter (privileged), apart from the rest of the stack. */
  readonly nodeExporterNamespace: string;
  /** Where users reach Grafana (`https://host/grafana/`), when it is routed. @default - not routed */
  readonly grafanaUrl?: string;
}

/** Prometheus deletes old blocks once they fill this share of the volume, before the disk fills up. */
const RETENTION_SHARE = 0.85;

/**
 * Prometheus's `retentionSize` for a volume of `storage` (a Kubernetes quantity): 85% of it, in
 * Prometheus's binary megabytes (`MB` = 2^20 bytes).
 */
export function retentionSize(storage: string): string {
  let bytes = 0;
  try {
    bytes = memoryBytes(storage);
  } catch {
    // Not a quantity: refused below as too small, with the fix.
  }
  if (bytes < 2 * 2 ** 30) {
    throw new Error(`monitoring.storage "${storage}" is too small for Prometheus's volume; give at least "2Gi" (e.g. "20Gi")`);
  }
  return `${Math.floor((bytes * RETENTION_SHARE) / 2 ** 20)}MB`;
}

/**
 * kubeadm binds etcd's metrics, kube-controller-manager, kube-scheduler and kube-proxy's metrics
 * to 127.0.0.1 on the hosts, where Prometheus cannot reach them: their scrape jobs, and the alerts
 * that would fire forever because those targets are absent, are turned off.
 */
const KUBEADM_LOCALHOST_COMPONENTS = ['kubeEtcd', 'kubeControllerManager', 'kubeScheduler', 'kubeProxy'] as const;
const KUBEADM_LOCALHOST_RULES = ['etcd', 'kubeControllerManager', 'kubeSchedulerAlerting', 'kubeSchedulerRecording', 'kubeProxy'] as const;

export function kubePrometheusStackValues(opts: MonitoringValuesOptions): Record<string, unknown> {
  const { config, grafanaUrl } = opts;
  const off = (keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, false]));
  return {
    crds: { enabled: true },
    defaultRules: { rules: { ...off(KUBEADM_LOCALHOST_RULES), windows: false } },
    ...Object.fromEntries(KUBEADM_LOCALHOST_COMPONENTS.map((k) => [k, { enabled: false }])),
    alertmanager: { enabled: config.alertmanager },
    prometheusOperator: {
      // The chart's own policy admits the API server (host network, no selectable pod) to the
      // operator's admission webhook on 10250; the namespace is otherwise closed to ingress.
      networkPolicy: { enabled: true },
    },
    prometheus: {
      prometheusSpec: {
        retention: `${config.retentionDays}d`,
        retentionSize: retentionSize(config.storage),
        storageSpec: {
          volumeClaimTemplate: {
            spec: {
              storageClassName: opts.storageClass.name,
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: config.storage } },
            },
          },
        },
        // Select every PodMonitor, ServiceMonitor, PrometheusRule and Probe in every namespace, not
        // only the chart's own (release label): apps' PodMonitors and Rook's ServiceMonitors included.
        podMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        probeSelectorNilUsesHelmValues: false,
      },
    },
    // Host network, host PID and the host's root filesystem: only this DaemonSet gets the privileged namespace.
    'prometheus-node-exporter': { namespaceOverride: opts.nodeExporterNamespace },
    grafana: {
      enabled: true,
      // Never the chart's default password, never a generated one: a Secret the team creates.
      admin: { existingSecret: config.grafanaAdminSecret, userKey: 'admin-user', passwordKey: 'admin-password' },
      'grafana.ini': {
        ...(grafanaUrl ? { server: { root_url: grafanaUrl, serve_from_sub_path: true } } : {}),
        analytics: { reporting_enabled: false, check_for_updates: false, check_for_plugin_updates: false },
      },
      sidecar: { datasources: { alertmanager: { enabled: config.alertmanager } } },
      // `helm test` pods are not part of a sync.
      testFramework: { enabled: false },
    },
  };
}
