/** Schemas of the smaller platform-wide sections: monitoring and GitOps. */
import { z } from 'zod';
import { ARGOCD_KNOWN_SSH_HOSTS, sshHost } from '../../lib/git-url';
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

export const gitops = z
  .strictObject({
    /**
     * Git repository Argo CD syncs dist/ from. A private one needs read access from the first boot:
     * an ssh URL and a deploy key (`npm run secrets -- --deploy-key`), or an https URL and a token
     * (`npm run secrets -- --repo-token`); see bootstrap/README.md.
     */
    repoURL: z.string().regex(/^(https:\/\/|ssh:\/\/|[A-Za-z0-9._-]+@[^:/]+:)/, { error: 'expected a git URL (https://, ssh:// or git@host:path)' }),
    revision: z.string().min(1).default('main'),
    /**
     * How `dist/` reaches the cluster. `argocd`: Argo CD (installed by the first control plane) syncs the
     * committed tree, add-ons as Applications of their pinned charts. `kubectl`: synthesis renders every
     * add-on chart itself (`helm template` of the pin, with the values its Application would carry) into
     * plain objects in phase folders, emits no Application or AppProject, and the hosts install no Argo CD;
     * `npm run plan -- --kubectl` prints the commands that apply the tree.
     * @default 'argocd'
     */
    mode: z.enum(['argocd', 'kubectl']).default('argocd'),
    /**
     * The ssh server's host keys, as `ssh-keyscan <host>` prints them (`<host> <type> <key>`), for an
     * ssh repoURL on a host Argo CD does not know by default (its list: github.com, gitlab.com,
     * bitbucket.org, Azure DevOps). Given, they replace Argo CD's default list.
     * @default []
     */
    sshKnownHosts: z
      .array(
        z.string().regex(/^\S+ (ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+=*$/, {
          error: 'expected a known_hosts line "<host> <key type> <base64 key>" (ssh-keyscan prints them)',
        }),
      )
      .default([]),
  })
  .superRefine((g, ctx) => {
    const host = sshHost(g.repoURL);
    if (!host || g.sshKnownHosts.length || ARGOCD_KNOWN_SSH_HOSTS.includes(host)) return;
    ctx.addIssue({
      code: 'custom',
      path: ['sshKnownHosts'],
      message: `expected the ssh host keys of ${host} (\`ssh-keyscan ${host.replace(/^\[(.*)\]:(\d+)$/, '-p $2 $1')}\` prints them; check them against the server's own): Argo CD refuses to connect to an unknown host`,
      input: undefined,
    });
  });

/**
 * Schema of `secrets`: every Secret the workloads need is sealed in git (`npm run seal`,
 * sealed/<cluster>/) or declared here as made outside the repository, with the reason.
 */
export const secrets = z.strictObject({
  external: z
    .array(
      z.strictObject({
        /** `namespace/name`. */
        secret: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { error: 'expected "namespace/name"' }),
        /** Why it is not sealed in git (who makes it, where it comes from). */
        reason: z.string().min(10, { error: 'expected a reason of a few words: who makes this Secret, and why it is not sealed in git' }),
      }),
    )
    .default([]),
});
