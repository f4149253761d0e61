/** Schema of `apps.<name>`: components, CronJobs, data services and environments. */
import { z } from 'zod';
import { isCronSchedule } from '../../lib/cron';
import { parseImage } from '../../lib/image';
import { compareQuantities } from '../../lib/quantity';
import { PostgresEngine } from '../../lib/contracts';
import { absolutePath, argv, dnsLabel, envName, hostname, httpPathPrefix, integer, port, quantity, timeZone } from './primitives';
import { COMPONENT_DEFAULTS, CRON_JOB_DEFAULTS, POSTGRES_BACKUP_DEFAULTS, POSTGRES_CLUSTER_DEFAULTS, REDIS_DEFAULTS } from '../../lib/tier-defaults';

/** An image reference; `latest`, untagged and registry-less references are refused. */
export const image = () =>
  z.string({ error: 'expected an image reference "registry/repository:tag"' }).superRefine((ref, ctx) => {
    const parsed = parseImage(ref);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed, input: ref });
  });

/** A five-field cron schedule, as CronJob `schedule` takes it. */
export const cronSchedule = () =>
  z.string({ error: 'expected a cron schedule such as "0 2 * * *"' }).superRefine((expr, ctx) => {
    if (!isCronSchedule(expr))
      ctx.addIssue({
        code: 'custom',
        message: 'expected a five-field cron schedule "minute hour day-of-month month day-of-week" such as "0 2 * * *"',
        input: expr,
      });
  });

const resourceList = z.strictObject({ cpu: quantity().optional(), memory: quantity().optional() });
/** Requests and limits; a request above its limit is refused, as the API server refuses the pod. */
export const resources = z.strictObject({ requests: resourceList.optional(), limits: resourceList.optional() }).superRefine((r, ctx) => {
  for (const key of ['cpu', 'memory'] as const) {
    const [request, limit] = [r.requests?.[key], r.limits?.[key]];
    if (request !== undefined && limit !== undefined && (compareQuantities(request, limit) ?? 0) > 0) {
      ctx.addIssue({ code: 'custom', path: ['requests', key], message: `expected a request no larger than limits.${key} (${limit}), found ${request}` });
    }
  }
});

const probes = z.strictObject({
  /** HTTP path for readiness and liveness. */
  path: z.string().startsWith('/', { error: 'expected an HTTP path starting with "/"' }),
  /** Seconds a slow starter may take before liveness applies (adds a startup probe). */
  startupSeconds: integer({ min: 0, max: 3600 }).default(0),
});

const secretEnv = z.strictObject({
  /** Name of a Secret that exists in each environment's namespace (never synthesized). */
  secret: dnsLabel(),
  /** Keys of that Secret exposed as environment variables of the same name. */
  keys: z.array(envName()).min(1, { error: 'expected at least one key' }),
});

const component = z.strictObject({
  image: image(),
  command: argv().optional(),
  args: z.array(z.string()).optional(),
  port: port(),
  /** Path prefixes routed to this component on the environment's host. */
  paths: z.array(httpPathPrefix()).default([]),
  replicas: integer({ min: 1, max: 100 }).default(COMPONENT_DEFAULTS.replicas),
  resources: resources.optional(),
  probes: probes.optional(),
  env: z.record(envName(), z.string({ error: 'expected a string (quote numbers and booleans)' })).default({}),
  secretEnv: z.array(secretEnv).default([]),
  /**
   * Names under `env` whose values are not secret although they look so (a public key, a long
   * public identifier): synthesis refuses secret-looking env values otherwise (README "Secrets").
   */
  notSecret: z.array(envName()).default([]),
  /** Paths that get a writable emptyDir; the root filesystem is read-only. */
  writablePaths: z.array(absolutePath()).default([]),
  /** Other components of this app it calls inside the cluster (e.g. a server-rendering frontend calling the API). */
  calls: z.array(dnsLabel()).default([]),
  /** Data services of this app the component connects to. */
  uses: z.array(z.enum(['postgres', 'redis'], { error: 'expected "postgres" or "redis"' })).default([]),
  migrations: z
    .strictObject({
      /** `job`: a Job per release, named after the image tag; `initContainer`: before every pod start. */
      mode: z.enum(['job', 'initContainer']).default(COMPONENT_DEFAULTS.migrationMode),
      command: argv(),
    })
    .optional(),
  canary: z.strictObject({ image: image(), replicas: integer({ min: 1, max: 100 }).default(COMPONENT_DEFAULTS.canaryReplicas) }).optional(),
  autoscaling: z
    .strictObject({
      minReplicas: integer({ min: 1 }),
      maxReplicas: integer({ min: 1 }),
      targetCpuPercent: integer({ min: 1, max: 100 }).default(COMPONENT_DEFAULTS.targetCpuPercent),
    })
    .optional(),
  metrics: z.strictObject({ port: port(), path: z.string().startsWith('/').default(COMPONENT_DEFAULTS.metricsPath) }).optional(),
  /** Add a statsd-exporter sidecar: the app sends statsd to localhost:9125, Prometheus scrapes :9102. */
  statsd: z.boolean().default(COMPONENT_DEFAULTS.statsd),
  /** Numeric uid (and gid) the image runs as; restricted pods never run as root. */
  runAsUser: integer({ min: 1 }).default(COMPONENT_DEFAULTS.runAsUser),
  /** Allow HTTPS (443) to addresses outside the cluster and private ranges, e.g. a third-party API. */
  internetEgress: z.boolean().default(COMPONENT_DEFAULTS.internetEgress),
});

const cronJob = z.strictObject({
  /** Component whose image, env and secrets the job uses. */
  component: dnsLabel(),
  schedule: cronSchedule(),
  timeZone: timeZone(),
  /** Commands run in order; the first failure stops the run. */
  steps: z.array(argv()).min(1, { error: 'expected at least one step' }),
  deadlineSeconds: integer({ min: 60 }).default(CRON_JOB_DEFAULTS.deadlineSeconds),
  /** Environments the job runs in. Previews never run jobs against the shared staging data. */
  environments: z.array(z.enum(['production', 'staging'])).default(['production']),
});

/** S3 bucket names: 3-63 lowercase letters, digits, "." and "-". */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** An S3-compatible bucket that gets a copy of every backup. */
export const s3Target = z.strictObject({
  endpoint: z.url({ protocol: /^https$/, error: 'expected an https:// URL such as "https://s3.example.org"' }),
  bucket: z.string().regex(BUCKET, { error: 'expected an S3 bucket name (3-63 lowercase letters, digits, "." and "-")' }),
  /** SigV4 signing region; S3-compatible servers such as MinIO and Ceph RGW accept the default. */
  region: z
    .string()
    .regex(/^[a-z0-9-]+$/, { error: 'expected a region name such as "us-east-1"' })
    .default('us-east-1'),
  /** Secret (in the namespace of what is backed up) with keys `accessKeyId` and `secretAccessKey`. */
  credentialsSecret: dnsLabel(),
});

const backups = z.strictObject({
  /** When `pg_dump` runs (CronJob schedule). @default nightly at 03:30 */
  schedule: cronSchedule().default(POSTGRES_BACKUP_DEFAULTS.schedule),
  timeZone: timeZone().default(POSTGRES_BACKUP_DEFAULTS.timeZone),
  /** Number of dumps kept on the backup volume (older ones are deleted after each successful dump). */
  keep: integer({ min: 1, max: 365 }).default(POSTGRES_BACKUP_DEFAULTS.keep),
  /** Size of the backup volume; it must hold `keep` dumps plus one in progress. */
  storage: quantity().default(POSTGRES_BACKUP_DEFAULTS.storage),
  /**
   * Off-cluster copy of every dump to an S3-compatible endpoint (path-style `<endpoint>/<bucket>/<namespace>/<file>`).
   * Retention there is the bucket's lifecycle rule. Without it, backups share the cluster's storage with the database.
   */
  s3: s3Target.optional(),
  /**
   * Weekly proof that the newest backup restores. statefulset engine: pg_restore of the newest dump into a
   * throwaway server in the job's own pod; cloudnative-pg: a throw-away Cluster recovered from the object
   * store in the scratch namespace `<namespace>-drill`, a check query, then deleted.
   */
  restoreDrill: z
    .strictObject({
      enabled: z.boolean().default(false),
      schedule: cronSchedule().default(POSTGRES_BACKUP_DEFAULTS.restoreDrillSchedule),
      /** cloudnative-pg: SQL run in the restored app database; an error fails the drill. @default - fails when schema public has no table */
      checkQuery: z.string().min(1).optional(),
    })
    .prefault({}),
});

/** Where a CloudNativePG cluster archives WAL and base backups: an S3-compatible bucket off the cluster. */
const objectStore = z.strictObject({
  endpoint: z.url({ protocol: /^https$/, error: 'expected an https:// URL such as "https://s3.example.org"' }),
  bucket: z.string().regex(BUCKET, { error: 'expected an S3 bucket name (3-63 lowercase letters, digits, "." and "-")' }),
  /** Prefix inside the bucket; each cluster writes below `<path>/<cluster>/`. @default - the namespace */
  path: z
    .string()
    .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { error: 'expected an object key prefix such as "berkeleytime/production"' })
    .optional(),
  /** Secret (in the database's namespace and its restore drill's) with keys `accessKeyId` and `secretAccessKey`. */
  credentialsSecret: dnsLabel(),
  /**
   * The store's region, where it needs one (AWS; MinIO and Ceph RGW do not): the plugin reads it from a key of
   * the credentials Secret (`s3Credentials.region`), e.g. `region`. @default - none: the client's default region
   */
  regionKey: z
    .string()
    .regex(/^[-._a-zA-Z0-9]+$/, { error: 'expected a Secret key such as "region"' })
    .optional(),
});

const postgres = z
  .strictObject({
    /**
     * `cloudnative-pg`: a CloudNativePG Cluster with continuous WAL archiving (the default); `statefulset`: one
     * Postgres StatefulSet with nightly dumps, as platforms synthesized before CloudNativePG ran it.
     */
    engine: z.enum(PostgresEngine).default(PostgresEngine.CLOUDNATIVE_PG),
    /**
     * Postgres major version. The image is the pin `postgres-<majorVersion>` (statefulset) or `cnpg-postgres-<majorVersion>`
     * (cloudnative-pg) in config/versions.yaml, whose tag must have this major. Changing it on an existing database needs an
     * upgrade path (docs/restore.md): `majorUpgradeFrom` (cloudnative-pg), pg_upgrade or a dump and restore.
     */
    majorVersion: integer({ min: 13, max: 18 }),
    database: dnsLabel(),
    /** Size of the data volume (each instance's). */
    storage: quantity(),
    /** StorageClass of the data volume; it must have reclaimPolicy Retain. @default - the platform's retained block class */
    storageClass: z
      .string({ error: 'expected a string' })
      .regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
        error: 'expected a StorageClass name (lowercase letters, digits, "-" and ".")',
      })
      .optional(),
    /**
     * Secret with keys `username` and `password`: the statefulset engine's database owner (in each namespace that uses
     * the database), and what `importFromStatefulSet` logs in with. cloudnative-pg generates its own (`pg-app`).
     */
    credentialsSecret: dnsLabel().optional(),
    resources: resources.optional(),
    backups: backups.prefault({}),
    /** cloudnative-pg: WAL archive and base backups (Barman Cloud plugin). Required unless `acceptNoObjectStore`. */
    objectStore: objectStore.optional(),
    /** cloudnative-pg without an object store: only the nightly dumps on the cluster's own storage (up to a day of writes lost). */
    acceptNoObjectStore: z.boolean().default(false),
    /** Recovery window the object store keeps: `30d`, `8w`, `6m` (plugin retentionPolicy). */
    retentionPolicy: z
      .string()
      .regex(/^[1-9][0-9]*[dwm]$/, { error: 'expected a recovery window such as "30d", "8w" or "6m"' })
      .default(POSTGRES_CLUSTER_DEFAULTS.retentionPolicy),
    /** Postgres `archive_timeout`: a WAL segment is archived at least this often, bounding the writes a lost primary takes. */
    archiveTimeout: z
      .string()
      .regex(/^[1-9][0-9]*(s|min|h)$/, { error: 'expected a duration such as "5min", "60s" or "1h"' })
      .default(POSTGRES_CLUSTER_DEFAULTS.archiveTimeout),
    /**
     * cloudnative-pg, once: the new Cluster imports the StatefulSet engine's database (`bootstrap.initdb.import`, microservice)
     * from its Service `postgres`, which stays running (and Prune=false) until a later change removes this key (docs/restore.md).
     */
    importFromStatefulSet: z
      .strictObject({
        /** The StatefulSet's superuser: the `username` of `credentialsSecret` (connection parameters take no Secret reference). */
        user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, { error: 'expected a Postgres role name' }),
      })
      .optional(),
    /**
     * cloudnative-pg point-in-time recovery: a new Cluster `pg-pitr-<yyyymmdd>-<hhmm>` is created from `fromCluster`'s archive,
     * replayed up to `targetTime`, and the app switches to it; the old Cluster is left running, unmanaged (docs/restore.md).
     */
    recovery: z
      .strictObject({
        targetTime: z.iso.datetime({ offset: true, error: 'expected an RFC 3339 time such as "2026-12-01T17:55:00Z"' }),
        fromCluster: dnsLabel().default(POSTGRES_CLUSTER_DEFAULTS.name),
      })
      .optional(),
    /** cloudnative-pg: the major the data is on when `majorVersion` is raised; the operator runs pg_upgrade in place. */
    majorUpgradeFrom: integer({ min: 13, max: 18 }).optional(),
  })
  .superRefine((pg, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (pg.engine === PostgresEngine.STATEFULSET) {
      if (!pg.credentialsSecret)
        issue(['credentialsSecret'], "expected a Secret name (the statefulset engine reads the owner's username and password from it), found nothing");
      for (const key of ['objectStore', 'importFromStatefulSet', 'recovery', 'majorUpgradeFrom'] as const)
        if (pg[key] !== undefined) issue([key], 'expected no such key with engine "statefulset" (it is a cloudnative-pg setting)');
      return;
    }
    if (!pg.objectStore && !pg.acceptNoObjectStore) {
      issue(
        ['objectStore'],
        'expected an object store for the WAL archive and base backups (engine cloudnative-pg), found nothing; without one, production keeps only nightly dumps on the cluster itself (up to a day of writes lost). Set objectStore, or acceptNoObjectStore: true to accept that',
      );
    }
    if (pg.importFromStatefulSet && !pg.credentialsSecret)
      issue(['credentialsSecret'], "expected the StatefulSet engine's Secret (importFromStatefulSet logs in with its password), found nothing");
    if (pg.importFromStatefulSet && pg.recovery) issue(['recovery'], 'expected either importFromStatefulSet or recovery: a Cluster bootstraps once');
    if (pg.recovery && !pg.objectStore) issue(['recovery'], 'expected an objectStore to recover from, found none');
    if (pg.majorUpgradeFrom !== undefined && pg.majorUpgradeFrom >= pg.majorVersion)
      issue(['majorUpgradeFrom'], `expected a major below majorVersion (${pg.majorVersion}), found ${pg.majorUpgradeFrom}`);
    if (pg.backups.s3 && pg.objectStore) issue(['backups', 's3'], 'expected no dump copy when objectStore is set (the WAL archive replaces the nightly dumps)');
  });

const redis = z.strictObject({
  /** Cache size (`maxmemory`); the container's memory limit must leave room above it. */
  maxMemory: z
    .string()
    .regex(/^[0-9]+(kb|mb|gb)$/, { error: 'expected a Redis memory size such as "256mb"' })
    .default(REDIS_DEFAULTS.maxMemory),
  evictionPolicy: z
    .enum(['allkeys-lru', 'allkeys-lfu', 'volatile-lru', 'volatile-lfu', 'allkeys-random', 'volatile-ttl'])
    .default(REDIS_DEFAULTS.evictionPolicy),
  resources: resources.optional(),
});

const componentOverride = z.strictObject({
  replicas: integer({ min: 1, max: 100 }).optional(),
  /** Image tag for this environment (same repository as the component's image). */
  tag: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { error: 'expected an image tag' })
    .refine((t) => t !== 'latest', { error: 'expected a pinned tag, not "latest"' })
    .optional(),
});

const environment = z.strictObject({
  host: hostname(),
  components: z.record(dnsLabel(), componentOverride).default({}),
});

const previewBranch = z.union([
  z.string().min(1),
  z.strictObject({
    branch: z.string().min(1),
    tag: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { error: 'expected an image tag' })
      .refine((t) => t !== 'latest', { error: 'expected a pinned tag, not "latest"' })
      .optional(),
  }),
]);

export const app = z.strictObject({
  components: z.record(dnsLabel(), component).refine((c) => Object.keys(c).length > 0, { error: 'expected at least one component' }),
  cronJobs: z.record(dnsLabel(), cronJob).default({}),
  data: z.strictObject({ postgres: postgres.optional(), redis: redis.optional() }).default({}),
  environments: z.strictObject({
    production: environment,
    /** A staging environment on its own host; previews need it (they share its data tier). */
    staging: environment
      .extend({
        /** Share production's data tier instead of running its own (the seeds did; not recommended). */
        shareProductionData: z.boolean().default(false),
      })
      .optional(),
    previews: z
      .strictObject({
        /** Preview hosts are `<branch>.<domain>`. */
        domain: hostname(),
        branches: z.array(previewBranch).default([]),
        /**
         * Each preview namespace's ResourceQuota on requests, so previews cannot starve production
         * on a shared host; it must hold the preview's own peak (rollout surge included).
         * @default - the preview's peak demand plus a quarter
         */
        quota: z.strictObject({ cpu: quantity(), memory: quantity() }).optional(),
      })
      .optional(),
  }),
});

export type AppConfig = z.infer<typeof app>;
export type ComponentConfig = z.infer<typeof component>;
export type CronJobConfig = z.infer<typeof cronJob>;
export type PostgresConfig = z.infer<typeof postgres>;
export type RedisConfig = z.infer<typeof redis>;
