/**
 * The `GITLAB_OMNIBUS_CONFIG` of the GitLab container: Ruby that the image evaluates before
 * /etc/gitlab/gitlab.rb on every start (omnibus-gitlab docker/assets/gitlab.rb), so the
 * configuration lives in git and a restart applies it. It holds no secret: those arrive as
 * environment variables from Secrets and are read here with `ENV[...]`.
 * Setting names: omnibus-gitlab files/gitlab-config-template/gitlab.rb.template.
 */

/** Where nginx serves GitLab inside the pod: plain HTTP, TLS ends at the Gateway. */
export const GITLAB_HTTP_PORT = 80;
/** Under this path on the platform host (`external_url` with a relative URL; the route keeps the prefix). */
export const GITLAB_PATH = '/git';
/** GitLab's backup directory (Omnibus' default `backup_path`), the backup volume's mount point. */
export const GITLAB_BACKUP_PATH = '/var/opt/gitlab/backups';

/**
 * Exporters the platform's Prometheus scrapes, each on its own port: none of them is behind the
 * route, so the public `/git` never serves metrics. Ports are Omnibus' defaults (the template).
 */
export const GITLAB_METRICS = [
  { portName: 'puma-metrics', port: 8083 },
  { portName: 'sidekiq-metrics', port: 8082 },
  { portName: 'workhorse', port: 9229 },
  { portName: 'gitlab-exporter', port: 9168 },
  { portName: 'redis-exporter', port: 9121 },
  { portName: 'pg-exporter', port: 9187 },
] as const;

/** Environment variables the configuration reads (values from Secrets, never in the manifest). */
export const GITLAB_ENV = {
  rootPassword: 'GITLAB_ROOT_PASSWORD',
  s3AccessKeyId: 'GITLAB_BACKUP_S3_ACCESS_KEY_ID',
  s3SecretAccessKey: 'GITLAB_BACKUP_S3_SECRET_ACCESS_KEY',
} as const;

export interface OmnibusConfigInput {
  /** The platform host: `external_url 'https://<host>/git'`. */
  readonly host: string;
  /** Addresses of the Gateway's proxies (the pod network): their X-Forwarded-For is trusted. */
  readonly trustedProxyCidrs: readonly string[];
  readonly backupKeepDays: number;
  readonly s3?: { readonly endpoint: string; readonly bucket: string; readonly region: string };
}

/** A Ruby single-quoted string literal. */
const rb = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const rbList = (values: readonly string[]): string => `[${values.map(rb).join(', ')}]`;

export function omnibusConfig(input: OmnibusConfigInput): string {
  const exporterPort = (name: string) => GITLAB_METRICS.find((m) => m.portName === name)!.port;
  const lines = [
    `external_url ${rb(`https://${input.host}${GITLAB_PATH}`)}`,
    // TLS ends at the Gateway (docs.gitlab.com/omnibus/settings/ssl/#configure-a-reverse-proxy-or-load-balancer-ssl-termination).
    // GitLab's own nginx settings live under gitlab_rails['nginx'] since 19.2 (omnibus-gitlab fb2e89f52;
    // the older nginx['…'] form is translated with a deprecation notice). With an https external_url,
    // nginx tells GitLab the request was HTTPS by itself (nginx.rb parse_proxy_headers).
    `gitlab_rails['nginx']['listen_port'] = ${GITLAB_HTTP_PORT}`,
    `gitlab_rails['nginx']['listen_https'] = false`,
    // Client addresses (logs, rate limits, audit events) come from the Gateway's X-Forwarded-For.
    `gitlab_rails['nginx']['real_ip_trusted_addresses'] = ${rbList(input.trustedProxyCidrs)}`,
    `gitlab_rails['nginx']['real_ip_header'] = 'X-Forwarded-For'`,
    `gitlab_rails['nginx']['real_ip_recursive'] = 'on'`,
    `gitlab_rails['trusted_proxies'] = ${rbList(input.trustedProxyCidrs)}`,
    `letsencrypt['enable'] = false`,
    // The container registry is off by default (it would need its own host or port and storage).
    `registry['enable'] = false`,
    `gitlab_rails['registry_enabled'] = false`,
    // The agent server for Kubernetes is not routed here; it would only take memory.
    `gitlab_kas['enable'] = false`,
    // The platform's Prometheus scrapes GitLab: no bundled Prometheus or Alertmanager.
    `prometheus['enable'] = false`,
    `alertmanager['enable'] = false`,
    // Health and metrics endpoints answer loopback only: the probes run inside the pod, and the
    // exporters below have ports of their own, so nothing under the public /git reveals them.
    `gitlab_rails['monitoring_whitelist'] = ['127.0.0.0/8', '::1/128']`,
    `puma['exporter_enabled'] = true`,
    `puma['exporter_address'] = '0.0.0.0'`,
    `puma['exporter_port'] = ${exporterPort('puma-metrics')}`,
    `sidekiq['listen_address'] = '0.0.0.0'`,
    `sidekiq['listen_port'] = ${exporterPort('sidekiq-metrics')}`,
    `gitlab_workhorse['prometheus_listen_addr'] = '0.0.0.0:${exporterPort('workhorse')}'`,
    `gitlab_exporter['listen_address'] = '0.0.0.0'`,
    `gitlab_exporter['listen_port'] = '${exporterPort('gitlab-exporter')}'`,
    `redis_exporter['listen_address'] = '0.0.0.0:${exporterPort('redis-exporter')}'`,
    `postgres_exporter['listen_address'] = '0.0.0.0:${exporterPort('pg-exporter')}'`,
    // A container may not change the host's kernel parameters (the image sets this too).
    `package['modify_kernel_parameters'] = false`,
    // SSH is off (GITLAB_DISABLE_OPENSSH): clone and push over HTTPS through the one entry point.
    `gitlab_sshd['enable'] = false`,
    // Read on the first start only, when GitLab seeds its database; never written to /etc/gitlab.
    `gitlab_rails['initial_root_password'] = ENV[${rb(GITLAB_ENV.rootPassword)}]`,
    `gitlab_rails['store_initial_root_password'] = false`,
    `gitlab_rails['backup_path'] = ${rb(GITLAB_BACKUP_PATH)}`,
    `gitlab_rails['backup_keep_time'] = ${input.backupKeepDays * 86400}`,
  ];
  if (input.s3) {
    lines.push(
      `gitlab_rails['backup_upload_connection'] = {`,
      `  'provider' => 'AWS',`,
      `  'region' => ${rb(input.s3.region)},`,
      `  'endpoint' => ${rb(input.s3.endpoint.replace(/\/+$/, ''))},`,
      `  'path_style' => true,`,
      `  'aws_access_key_id' => ENV[${rb(GITLAB_ENV.s3AccessKeyId)}],`,
      `  'aws_secret_access_key' => ENV[${rb(GITLAB_ENV.s3SecretAccessKey)}]`,
      `}`,
      `gitlab_rails['backup_upload_remote_directory'] = ${rb(input.s3.bucket)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
