import { CONTROL_PLANE_TOLERATION } from './kube';
import { DEFAULT_POOL } from './storage-rules';

/**
 * The one home of the tiers' default settings: the config schema (config/schema/) defaults each key
 * of the platform file to these values, and the constructs default each prop to the same ones, so a
 * hand-composed tier and a configured one are the same tier.
 */

/** MonitoringStack (config `monitoring`). */
export const MONITORING_DEFAULTS = {
  /** Metrics older than this many days are deleted. */
  retentionDays: 15,
  /** Size of Prometheus's volume. */
  storage: '20Gi',
  /** Secret in `monitoring` with Grafana's admin login (`admin-user`, `admin-password`). */
  grafanaAdminSecret: 'grafana-admin',
  /** Serve Grafana at `/grafana` on the platform host. */
  grafanaRoute: true,
  /** Without receivers Alertmanager delivers nothing, so it is off until configured. */
  alertmanager: false,
} as const;

/** LoggingTier (config `logging`). */
export const LOGGING_DEFAULTS = {
  /** Log documents older than this many days are deleted by the index lifecycle policy. */
  retentionDays: 14,
  /** Volume size and JVM heap of each Elasticsearch node (memory request and limit: twice the heap). */
  elasticsearch: { storage: '30Gi', heapMiB: 1024 },
  /** Secret in `logging` with the htpasswd file that guards /kibana. */
  kibana: { authSecret: 'kibana-basic-auth' },
  /** The shipper runs on control-plane hosts too, to read their containers' logs. */
  shipper: { tolerations: [CONTROL_PLANE_TOLERATION] },
} as const;

/** EdgeTier (config `edge`). */
export const EDGE_DEFAULTS = {
  controller: 'envoy-gateway',
  /** Fixed node ports of the one NodePort Service; the control-plane TCP proxy forwards to them. */
  nodePorts: { http: 30080, https: 30443 },
  /** The control-plane TCP proxy sends the PROXY protocol, so client addresses survive. */
  proxyProtocol: true,
  /** One Envoy per worker: every NodePort answers locally. */
  proxy: { workload: 'DaemonSet' },
  tls: { issuer: 'letsencrypt-production', issuerOverrides: {} },
  hsts: { maxAgeSeconds: 31536000, includeSubDomains: false },
  /** Largest request body the entry point forwards (413 above it). */
  maxRequestBodySize: '10Mi',
  /** `/git` off; when on, to GitLab Omnibus serving under /git, with unlimited bodies (pushes, LFS). */
  gitlab: { enabled: false, service: { namespace: 'gitlab', name: 'gitlab', port: 80 }, maxRequestBodySize: '0' },
} as const;

/**
 * GitLab (config `gitlab`): the Omnibus image in the cluster at `/git`. Resources from GitLab's
 * installation requirements (https://docs.gitlab.com/install/requirements/): 8 GB of memory is the
 * floor it names ("in some cases … at least 8 GB"), 16 GB what it recommends up to 1,000 users or
 * 20 requests per second; 2 CPUs the memory-constrained guide's minimum
 * (https://docs.gitlab.com/omnibus/settings/memory_constrained_envs/), 8 vCPU its recommendation.
 */
export const GITLAB_DEFAULTS = {
  enabled: false,
  /** Secret in `gitlab` with the initial root password under key `password`. */
  rootPasswordSecret: 'gitlab-root-password',
  /** Volume sizes: /etc/gitlab, /var/opt/gitlab (repositories, database), /var/log/gitlab, backups. */
  storage: { config: '1Gi', data: '50Gi', logs: '10Gi', backups: '100Gi' },
  resources: { requests: { cpu: '2', memory: '8Gi' }, limits: { memory: '16Gi' } },
  /** Git pushes and LFS uploads are large: `0` leaves them unlimited. */
  maxRequestBodySize: '0',
  /** `gitlab-backup create` nightly at 04:00 (after the Postgres dumps), kept 7 days on the backup volume. */
  backups: { schedule: '0 4 * * *', timeZone: 'Etc/UTC', keepDays: 7 },
} as const;

/**
 * How long a request to GitLab may take through the entry point (both modes): clones and pushes of
 * large repositories outlast the proxies' defaults (Envoy Gateway: 15s). An hour is what GitLab's
 * own nginx allows its backend (proxy_read_timeout 3600, omnibus-gitlab nginx_helper.rb).
 */
export const GITLAB_REQUEST_TIMEOUT_SECONDS = 3600;

/** PostgresBackup (config `apps.<app>.data.postgres.backups`). */
export const POSTGRES_BACKUP_DEFAULTS = {
  /** Nightly at 03:30, in UTC. */
  schedule: '30 3 * * *',
  timeZone: 'Etc/UTC',
  /** Dumps kept on the backup volume. */
  keep: 7,
  /** The backup volume: `keep` dumps plus one in progress. */
  storage: '20Gi',
  /** The restore drill: weekly, Sundays at 05:00. */
  restoreDrillSchedule: '0 5 * * 0',
} as const;

/** Postgres on CloudNativePG (config `apps.<app>.data.postgres` with `engine: cloudnative-pg`). */
export const POSTGRES_CLUSTER_DEFAULTS = {
  /** The Cluster's name: Services `pg-rw`, `pg-ro`, `pg-r`, the owner's Secret `pg-app`. */
  name: 'pg',
  /** Recovery window the object store keeps (plugin `retentionPolicy`). */
  retentionPolicy: '30d',
  /** CloudNativePG's own default (docs/src/wal_archiving.md): the most writes a lost primary can take with it. */
  archiveTimeout: '5min',
  /** Base backups nightly at 03:30 UTC (the dumps' schedule). */
  backupSchedule: '30 3 * * *',
  resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } },
  /** Fails (division by zero) when the restored database has no table in schema public. */
  drillCheckQuery: "SELECT 1 / count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'",
} as const;

/** Redis (config `apps.<app>.data.redis`). */
export const REDIS_DEFAULTS = {
  maxMemory: '256mb',
  evictionPolicy: 'allkeys-lru',
} as const;

/** RookStorage (config `storage`). */
export const STORAGE_DEFAULTS = {
  /** One replicated RBD pool. */
  pools: { [DEFAULT_POOL]: {} },
  /** `general`: the cluster default (reclaim Delete); `retained`: for databases (reclaim Retain). */
  classes: { general: { name: 'ceph-block', pool: DEFAULT_POOL }, retained: { name: 'ceph-block-retain', pool: DEFAULT_POOL } },
  /** Monitors on separate hosts: losing one host loses at most one monitor. */
  allowMultipleMonsPerNode: false,
} as const;

/** An AppStack component (config `apps.<app>.components.<name>`). */
export const COMPONENT_DEFAULTS = {
  replicas: 1,
  /** Numeric uid (and gid) the image runs as; restricted pods never run as root. */
  runAsUser: 10001,
  statsd: false,
  internetEgress: false,
  migrationMode: 'job',
  canaryReplicas: 1,
  targetCpuPercent: 75,
  metricsPath: '/metrics',
} as const;

/** An app's CronJob (config `apps.<app>.cronJobs.<name>`). */
export const CRON_JOB_DEFAULTS = {
  /** A run that takes longer is stopped. */
  deadlineSeconds: 3600,
} as const;

/** The statsd-exporter sidecar's ports (statsd in over UDP, Prometheus metrics out); an app may not use them. */
export const STATSD_EXPORTER = { statsdPort: 9125, metricsPort: 9102, metricsPortName: 'metrics' } as const;

/** Rules one Gateway API HTTPRoute may hold (its CRD's maxItems): each routed path is one rule. */
export const HTTP_ROUTE_MAX_RULES = 16;
