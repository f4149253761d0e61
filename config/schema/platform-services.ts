/** Schemas of the smaller platform-wide sections: monitoring and GitOps. */
import { z } from 'zod';
import { dnsLabel, integer, quantity } from './primitives';
import { MONITORING_DEFAULTS } from '../../lib/tier-defaults';

/** Schema of `monitoring`: Prometheus, Grafana and Alertmanager (the MonitoringStack, charts/monitoring-stack.ts). */
export const monitoring = z.strictObject({
  /** Turning monitoring off stops synthesizing the stack (and Rook's ServiceMonitors); see docs/monitoring.md. */
  enabled: z.boolean().default(true),
  /** Metrics older than this many days are deleted; older data also goes when the volume is 85% full. */
  retentionDays: integer({ min: 1, max: 3650 }).default(MONITORING_DEFAULTS.retentionDays),
  /** Size of Prometheus's volume, on the platform's general block StorageClass. */
  storage: quantity().default(MONITORING_DEFAULTS.storage),
  /**
   * Secret in the `monitoring` namespace with Grafana's admin login under keys `admin-user` and
   * `admin-password`. Declared, never synthesized.
   */
  grafanaAdminSecret: dnsLabel().default(MONITORING_DEFAULTS.grafanaAdminSecret),
  /** Serve Grafana at `/grafana` on the platform host through the edge. */
  grafanaRoute: z.boolean().default(MONITORING_DEFAULTS.grafanaRoute),
  /** Run Alertmanager. Off by default: without receivers (docs/monitoring.md) it delivers nothing. */
  alertmanager: z.boolean().default(MONITORING_DEFAULTS.alertmanager),
});

export const gitops = z.strictObject({
  /** Git repository Argo CD syncs dist/ from. */
  repoURL: z.string().regex(/^(https:\/\/|ssh:\/\/|git@)/, { error: 'expected a git URL (https://, ssh:// or git@)' }),
  revision: z.string().min(1).default('main'),
});
