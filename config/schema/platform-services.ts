/** Schemas of the smaller platform-wide sections: monitoring and GitOps. */
import { z } from 'zod';
import { dnsLabel, integer, quantity } from './primitives';

/** Schema of `monitoring`: Prometheus, Grafana and Alertmanager (the MonitoringStack, charts/monitoring-stack.ts). */
export const monitoring = z.strictObject({
  /** Turning monitoring off stops synthesizing the stack (and Rook's ServiceMonitors); see docs/monitoring.md. */
  enabled: z.boolean().default(true),
  /** Metrics older than this many days are deleted; older data also goes when the volume is 85% full. */
  retentionDays: integer({ min: 1, max: 3650 }).default(15),
  /** Size of Prometheus's volume, on the platform's general block StorageClass. */
  storage: quantity().default('20Gi'),
  /**
   * Secret in the `monitoring` namespace with Grafana's admin login under keys `admin-user` and
   * `admin-password`. Declared, never synthesized.
   */
  grafanaAdminSecret: dnsLabel().default('grafana-admin'),
  /** Serve Grafana at `/grafana` on the platform host through the edge. */
  grafanaRoute: z.boolean().default(true),
  /** Run Alertmanager. Off by default: without receivers (docs/monitoring.md) it delivers nothing. */
  alertmanager: z.boolean().default(false),
});

export const gitops = z.strictObject({
  /** Git repository Argo CD syncs dist/ from. */
  repoURL: z.string().regex(/^(https:\/\/|ssh:\/\/|git@)/, { error: 'expected a git URL (https://, ssh:// or git@)' }),
  revision: z.string().min(1).default('main'),
});

export type MonitoringConfig = z.infer<typeof monitoring>;
export type GitopsConfig = z.infer<typeof gitops>;
