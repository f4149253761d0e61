/**
 * Nightly `pg_dump` to a dedicated, retained volume, optionally copied off the cluster, keeping
 * the newest N dumps. Steps are argv commands run in order as init containers (Kubernetes stops
 * at the first failure), so the job needs no shell script.
 */
import { isIP } from 'net';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { StorageClassRef } from '../lib/contracts';
import { withDefaults } from '../lib/defaults';
import { pinnedImage } from '../lib/pins';
import { POSTGRES_BACKUP_DEFAULTS } from '../lib/tier-defaults';
import { PRUNE_PROTECTION } from '../lib/argocd';
import { objectLabels, selectorLabels } from '../lib/labels';
import { allowTraffic, PodGroup } from '../lib/network-policy';
import { restrictedPodSpec } from '../lib/pod-security';
import { resourcesFrom, scratch } from './data-tier-parts';
import { POSTGRES_PORT, PostgresServer } from './postgres';
import { BACKUP_CRON_POLICY } from '../lib/backup-schedule';

/** Where the backup volume is mounted in the backup and restore-drill pods. */
export const BACKUP_DIR = '/backups';
/** A hard link to the newest complete dump: what the drill and a restore by hand read. */
export const LATEST_DUMP = `${BACKUP_DIR}/latest.dump`;
/**
 * Each dump is named after its Job (`postgres-backup-<minutes since epoch>` for scheduled runs),
 * which the pod reads from its own label; Kubernetes expands `$(JOB_NAME)` in argv.
 */
const DUMP = `${BACKUP_DIR}/$(JOB_NAME).dump`;
const WORK_DIR = '/work';

/** An S3-compatible bucket that gets a copy of every dump (path-style `<endpoint>/<bucket>/<namespace>/<file>`). */
export interface S3Target {
  /** `https://…` */
  readonly endpoint: string;
  readonly bucket: string;
  /** SigV4 signing region; MinIO and Ceph RGW accept the default. @default 'us-east-1' */
  readonly region?: string;
  /** Secret (in the database's namespace) with keys `accessKeyId` and `secretAccessKey`. */
  readonly credentialsSecret: string;
}

/** When dumps are taken and how many are kept where. */
export interface PostgresBackupOptions {
  /** CronJob schedule of `pg_dump`. @default '30 3 * * *' (nightly at 03:30) */
  readonly schedule?: string;
  /** @default 'Etc/UTC' */
  readonly timeZone?: string;
  /** Dumps kept on the backup volume; older ones go after each successful dump. @default 7 */
  readonly keep?: number;
  /** Size of the backup volume: `keep` dumps plus one in progress. @default '20Gi' */
  readonly storage?: string;
  /** Off-cluster copy of every dump. @default - none: the dumps share the cluster's storage with the database */
  readonly s3?: S3Target;
}

export interface PostgresBackupProps extends PostgresBackupOptions {
  readonly postgres: PostgresServer;
  /** @default - the database's app */
  readonly app?: string;
  /** Class of the backup volume. @default - the database's class */
  readonly storageClass?: StorageClassRef;
  /** Same major as the server: pg_dump must not be older than the server it dumps. @default - the database's image */
  readonly image?: string;
  /** Image with curl, for the S3 upload. @default - the pin `curl` of config/versions.yaml */
  readonly uploadImage?: string;
}

type ResolvedBackup = Required<Omit<PostgresBackupProps, 's3'>> & { readonly s3?: S3Target };

/** The backup volume and the CronJob that fills and prunes it. */
export class PostgresBackup extends Construct {
  public readonly pods: PodGroup;
  public readonly claimName: string;
  /** Secrets the job references besides the database credentials (the S3 keys). */
  public readonly extraSecrets: readonly string[];
  /** Time zone of the schedule, which a restore drill shares. */
  public readonly timeZone: string;

  constructor(scope: Construct, id: string, props: PostgresBackupProps) {
    super(scope, id);
    const { postgres } = props;
    const config: ResolvedBackup = withDefaults(
      {
        schedule: POSTGRES_BACKUP_DEFAULTS.schedule,
        timeZone: POSTGRES_BACKUP_DEFAULTS.timeZone,
        keep: POSTGRES_BACKUP_DEFAULTS.keep,
        storage: POSTGRES_BACKUP_DEFAULTS.storage,
        app: postgres.app,
        storageClass: postgres.storageClass,
        image: postgres.image,
        uploadImage: props.uploadImage ?? pinnedImage('curl'),
      },
      props,
    );
    const namespace = postgres.server.namespace;
    const name = 'postgres-backup';
    const selector = selectorLabels(namespace, name);
    const labels = objectLabels(namespace, name, config.app, 'backup');
    this.pods = { name, namespace, selector };
    this.claimName = 'postgres-backups';
    this.timeZone = config.timeZone;
    this.extraSecrets = config.s3 ? [config.s3.credentialsSecret] : [];

    new k8s.KubePersistentVolumeClaim(this, 'Volume', {
      // The dumps are the last line of defence: Argo CD must never prune or delete them.
      metadata: { name: this.claimName, namespace, labels, annotations: { ...PRUNE_PROTECTION } },
      spec: {
        storageClassName: config.storageClass.name,
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: k8s.Quantity.fromString(config.storage) } },
      },
    });

    const jobName: k8s.EnvVar = { name: 'JOB_NAME', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } };
    const secretRef = (key: string): k8s.EnvVarSource => ({ secretKeyRef: { name: postgres.credentialsSecret, key } });
    const backups: k8s.VolumeMount = { name: 'backups', mountPath: BACKUP_DIR };
    const work = scratch('work', WORK_DIR, '16Mi');
    const small = resourcesFrom(undefined, { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } });
    const step = (stepName: string, command: string[], extra: Partial<k8s.Container> = {}): k8s.Container => ({
      name: stepName,
      image: config.image,
      imagePullPolicy: 'IfNotPresent',
      command,
      resources: small,
      volumeMounts: [backups, work.mount],
      ...extra,
    });

    const steps: k8s.Container[] = [
      // A run that failed mid-dump left a partial file; it never counts as a backup.
      step('clean', ['find', BACKUP_DIR, '-maxdepth', '1', '-name', '*.partial', '-delete']),
      step('dump', ['pg_dump', '--format=custom', '--no-password', `--file=${DUMP}.partial`], {
        env: [
          jobName,
          { name: 'PGHOST', value: postgres.host },
          { name: 'PGPORT', value: String(POSTGRES_PORT) },
          { name: 'PGDATABASE', value: postgres.database },
          { name: 'PGUSER', valueFrom: secretRef('username') },
          { name: 'PGPASSWORD', valueFrom: secretRef('password') },
        ],
        resources: resourcesFrom(undefined, { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } }),
      }),
      // Renamed only once complete, so retention, restores and the drill never see half a dump.
      step('publish', ['mv', '--no-target-directory', `${DUMP}.partial`, DUMP], { env: [jobName] }),
      step('link-latest', ['ln', '--force', '--no-target-directory', DUMP, LATEST_DUMP], { env: [jobName] }),
      ...(config.s3 ? [this.upload(config, config.s3, jobName, backups)] : []),
      // Retention by count, not age: if dumps stop succeeding, the last good ones are kept.
      // Without a shell: list "mtime path" to a file, sort newest first, keep the paths after
      // the first `keep` lines (sed's `w` writes them out), then remove those.
      step('prune-list', ['find', BACKUP_DIR, '-maxdepth', '1', '-name', '*.dump', '!', '-name', 'latest.dump', '-fprintf', `${WORK_DIR}/dumps`, '%T@ %p\\n']),
      step('prune-sort', ['sort', '--numeric-sort', '--reverse', `--output=${WORK_DIR}/dumps`, `${WORK_DIR}/dumps`]),
      step('prune-select', ['sed', '--quiet', `--expression=${config.keep + 1},$s/^[^ ]* //w ${WORK_DIR}/expired`, `${WORK_DIR}/dumps`]),
      step('prune-delete', ['xargs', `--arg-file=${WORK_DIR}/expired`, '--delimiter=\\n', '--no-run-if-empty', 'rm', '--force', '--']),
    ];

    new k8s.KubeCronJob(this, 'Resource', {
      metadata: { name, namespace, labels },
      spec: {
        schedule: config.schedule,
        timeZone: config.timeZone,
        ...BACKUP_CRON_POLICY,
        jobTemplate: {
          metadata: { labels },
          spec: {
            activeDeadlineSeconds: 4 * 3600,
            backoffLimit: 2,
            template: {
              metadata: { labels: { ...labels } },
              spec: restrictedPodSpec(
                {
                  restartPolicy: 'Never',
                  enableServiceLinks: false,
                  initContainers: steps.slice(0, -1),
                  containers: steps.slice(-1),
                  volumes: [{ name: 'backups', persistentVolumeClaim: { claimName: this.claimName } }, work.volume],
                },
                { runAsUser: postgres.uid, fsGroup: postgres.uid },
              ),
            },
          },
        },
      },
    });

    allowTraffic(this, this.pods, this, postgres.server);
    if (config.s3) this.allowS3(config.s3.endpoint, labels);
  }

  /**
   * PUT of the dump with curl's SigV4 signing. The keys reach curl as `$(VAR)` argv expansion:
   * visible only inside this container, and never written into the manifest.
   */
  private upload(props: ResolvedBackup, s3: S3Target, jobName: k8s.EnvVar, backups: k8s.VolumeMount): k8s.Container {
    const key = (envName: string, secretKey: string): k8s.EnvVar => ({
      name: envName,
      valueFrom: { secretKeyRef: { name: s3.credentialsSecret, key: secretKey } },
    });
    const endpoint = s3.endpoint.replace(/\/+$/, '');
    return {
      name: 'upload',
      image: props.uploadImage,
      imagePullPolicy: 'IfNotPresent',
      command: [
        'curl',
        '--fail-with-body',
        '--silent',
        '--show-error',
        '--retry',
        '3',
        '--aws-sigv4',
        `aws:amz:${s3.region ?? 'us-east-1'}:s3`,
        '--user',
        '$(AWS_ACCESS_KEY_ID):$(AWS_SECRET_ACCESS_KEY)',
        // Streamed, not hashed in memory first: S3 accepts an unsigned payload over TLS.
        '--header',
        'x-amz-content-sha256: UNSIGNED-PAYLOAD',
        '--upload-file',
        DUMP,
        `${endpoint}/${s3.bucket}/${props.postgres.server.namespace}/$(JOB_NAME).dump`,
      ],
      env: [jobName, key('AWS_ACCESS_KEY_ID', 'accessKeyId'), key('AWS_SECRET_ACCESS_KEY', 'secretAccessKey')],
      resources: resourcesFrom(undefined, { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } }),
      volumeMounts: [{ ...backups, readOnly: true }],
    };
  }

  /** Egress to the S3 endpoint's port: its address when the URL names one, else any address. */
  private allowS3(endpoint: string, labels: Record<string, string>): void {
    const url = new URL(endpoint);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 443);
    const blocks = isIP(host) === 4 ? [`${host}/32`] : isIP(host) === 6 ? [`${host}/128`] : ['0.0.0.0/0', '::/0'];
    new k8s.KubeNetworkPolicy(this, 'EgressS3', {
      metadata: { name: `egress-${this.pods.name}-to-s3`, namespace: this.pods.namespace, labels },
      spec: {
        podSelector: { matchLabels: { ...this.pods.selector } },
        policyTypes: ['Egress'],
        egress: [{ to: blocks.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: k8s.IntOrString.fromNumber(port), protocol: 'TCP' }] }],
      },
    });
  }
}
