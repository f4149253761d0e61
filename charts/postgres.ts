/**
 * Postgres as the seeds run it (one server, source of truth), with what they lacked: a retained
 * volume, credentials from a Secret, probes, restricted Pod Security and isolation.
 */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { StorageClassRef } from '../lib/contracts';
import { withDefaults } from '../lib/defaults';
import { pinnedImage } from '../lib/pins';
import { STORAGE_DEFAULTS } from '../lib/tier-defaults';
import { serviceFqdn } from '../lib/kube';
import { PRUNE_PROTECTION } from '../lib/argocd';
import { objectLabels, selectorLabels } from '../lib/labels';
import { Server } from '../lib/network-policy';
import { restrictedPodSpec } from '../lib/pod-security';
import { disruptionBudget, isolate, Resources, resourcesFrom, scratch } from './data-tier-parts';

/** uid and gid of the `postgres` user in the official image (Debian variants). */
export const POSTGRES_UID = 999;
export const POSTGRES_PORT = 5432;
/** Where the data volume is mounted. */
export const POSTGRES_VOLUME_PATH = '/var/lib/postgresql/data';
/**
 * PGDATA: a subdirectory of the volume, never the mount point itself (a fresh ext4 volume holds
 * `lost+found`, which makes initdb refuse the directory) and never the image default (the 18+
 * images default to `/var/lib/postgresql/18/docker`, outside this volume). It carries no major
 * version: a major change must fail to start on the old files, not initdb an empty directory.
 */
export const POSTGRES_PGDATA = `${POSTGRES_VOLUME_PATH}/pgdata`;
/** The server's Unix socket directory (a writable emptyDir; the root filesystem is read-only). */
export const POSTGRES_SOCKET_DIR = '/var/run/postgresql';

const DEFAULT_RESOURCES = { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } };
/** The major version new databases start on. */
export const DEFAULT_POSTGRES_MAJOR = 17;
/** The platform's retained block class (charts/ceph-block-classes.ts), where a hand-composed database lands by default. */
/** RookStorage's retained class: where a database volume goes unless told otherwise. */
export const DEFAULT_STORAGE_CLASS: StorageClassRef = { name: STORAGE_DEFAULTS.classes.retained.name, reclaimPolicy: 'Retain' };

/**
 * The pinned image of a Postgres major: `<prefix>-<major>` in config/versions.yaml (`postgres-17` for
 * the StatefulSet engine, `cnpg-postgres-17` for CloudNativePG). A pin whose tag names another major is
 * refused, because bumping the image across majors does not upgrade the data (that takes pg_upgrade
 * or a dump and restore).
 */
export function postgresImage(
  versions: { readonly images: Readonly<Record<string, string>> } | undefined,
  majorVersion: number,
  prefix: 'postgres' | 'cnpg-postgres' = 'postgres',
): string {
  const key = `${prefix}-${majorVersion}`;
  if (versions && !versions.images[key]) {
    throw new Error(
      `config/versions.yaml: images.${key}: expected a pinned image for Postgres ${majorVersion} (apps.<app>.data.postgres.majorVersion), found nothing`,
    );
  }
  const image = versions ? versions.images[key] : pinnedImage(key);
  const tag = /:([0-9]+)[^/]*$/.exec(image.split('@')[0]);
  if (tag && Number(tag[1]) !== majorVersion) {
    throw new Error(
      `config/versions.yaml: images.${key}: expected a Postgres ${majorVersion}.x tag, found "${image}"; ` +
        'a major upgrade needs pg_upgrade or a dump and restore (docs/restore.md), never an image bump',
    );
  }
  return image;
}

/** What backups and restore drills need of a database, whichever engine runs it. */
export interface PostgresServer {
  /** App the database belongs to (`app.kubernetes.io/part-of`). */
  readonly app: string;
  /** The database pods and their port. */
  readonly server: Server;
  /** Host clients connect to. */
  readonly host: string;
  readonly database: string;
  /** Secret with keys `username` and `password` of a user that may dump the database. */
  readonly credentialsSecret: string;
  /** The server's image: dumps and drills use the same major. */
  readonly image: string;
  /** uid (and gid) of the image's `postgres` user. */
  readonly uid: number;
  readonly storageClass: StorageClassRef;
  /** Size of the data volume (a restore drill needs as much scratch space). */
  readonly storage: string;
  readonly resources?: Resources;
}

/** What a database is: flat, each with a default, as a team writes it by hand. */
export interface PostgresOptions {
  /** Database created on the first start (`POSTGRES_DB`). */
  readonly database: string;
  /** Major version; the server refuses to start on the data of another major. @default 17 */
  readonly majorVersion?: number;
  /** Size of the data volume. @default '10Gi' */
  readonly storage?: string;
  /** Secret with keys `username` and `password` (never synthesized). @default 'postgres-credentials' */
  readonly credentialsSecret?: string;
  /** @default - requests 250m CPU and 512Mi, memory limit 1Gi */
  readonly resources?: Resources;
}

export interface PostgresProps extends PostgresOptions {
  /** App the database belongs to (`app.kubernetes.io/part-of`). @default - the database name */
  readonly app?: string;
  /** @default - the namespace of the enclosing chart, else 'default' */
  readonly namespace?: string;
  /** Class of the data volume; it must retain volumes. @default - ceph-block-retain (reclaimPolicy Retain) */
  readonly storageClass?: StorageClassRef;
  /** @default - the pin `postgres-<majorVersion>` of config/versions.yaml */
  readonly image?: string;
  /** Cluster DNS domain, for the FQDN clients connect to. @default 'cluster.local' */
  readonly clusterDomain?: string;
}

/**
 * A one-replica StatefulSet with a retained volume claim, a headless Service for its stable
 * identity and a ClusterIP Service for clients. One replica by design: more would be separate,
 * diverging databases behind one Service, since nothing here sets up streaming replication.
 */
export class Postgres extends Construct implements PostgresServer {
  /** The database pods and their port. */
  public readonly server: Server;
  /** ClusterIP Service clients connect to. */
  public readonly serviceName: string;
  public readonly headlessServiceName: string;
  /** `<service>.<namespace>.svc.<cluster domain>`: previews connect from other namespaces. */
  public readonly host: string;
  public readonly credentialsSecret: string;
  public readonly database: string;
  /** The server's image: backups and drills use the same major. */
  public readonly image: string;
  /** App the database belongs to (`app.kubernetes.io/part-of`). */
  public readonly app: string;
  public readonly storageClass: StorageClassRef;
  /** Size of the data volume (a restore drill needs as much scratch space). */
  public readonly storage: string;
  public readonly resources?: Resources;
  public readonly uid = POSTGRES_UID;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const namespace = props.namespace ?? Chart.of(this).namespace ?? 'default';
    const config = withDefaults({ storage: '10Gi', credentialsSecret: 'postgres-credentials' }, props);
    const image = props.image ?? postgresImage(undefined, props.majorVersion ?? DEFAULT_POSTGRES_MAJOR);
    const storageClass = props.storageClass ?? DEFAULT_STORAGE_CLASS;
    if (storageClass.reclaimPolicy === 'Delete') {
      throw new Error(
        `Postgres ${namespace}: StorageClass "${storageClass.name}" has reclaimPolicy Delete, so a deleted claim would delete the database; use a Retain class`,
      );
    }
    const name = 'postgres';
    const selector = selectorLabels(namespace, name);
    this.database = props.database;
    this.image = image;
    this.app = props.app ?? props.database;
    this.storageClass = storageClass;
    this.storage = config.storage;
    this.resources = props.resources;
    const labels = objectLabels(namespace, name, this.app, 'database');
    this.server = { name, namespace, selector, ports: [{ port: POSTGRES_PORT }] };
    this.serviceName = name;
    this.headlessServiceName = `${name}-headless`;
    this.host = serviceFqdn(name, namespace, props.clusterDomain);
    this.credentialsSecret = config.credentialsSecret;

    const secretRef = (key: 'username' | 'password'): k8s.EnvVarSource => ({ secretKeyRef: { name: config.credentialsSecret, key } });
    const run = scratch('run', POSTGRES_SOCKET_DIR, '16Mi');
    const tmp = scratch('tmp', '/tmp', '256Mi');
    // Parallel queries use POSIX shared memory; the runtime's default /dev/shm is only 64Mi.
    const shm = scratch('shm', '/dev/shm', '256Mi', 'Memory');
    // Exec probes run with the container's env: PGUSER/PGDATABASE make pg_isready's probe
    // connection a valid one instead of a failed login logged every few seconds.
    const isReady: k8s.ExecAction = { command: ['pg_isready', `--host=${POSTGRES_SOCKET_DIR}`, `--port=${POSTGRES_PORT}`] };

    new k8s.KubeStatefulSet(this, 'Resource', {
      // Removing it from Git must not take the database down: Argo CD leaves it (its claim is Retain anyway).
      metadata: { name, namespace, labels, annotations: { ...PRUNE_PROTECTION } },
      spec: {
        serviceName: this.headlessServiceName,
        replicas: 1,
        selector: { matchLabels: { ...selector } },
        // Deleting or scaling the StatefulSet never deletes the database volume.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels: { ...labels } },
          spec: restrictedPodSpec(
            {
              // Fast shutdown (below) plus a checkpoint on a busy server can take a while.
              terminationGracePeriodSeconds: 120,
              enableServiceLinks: false,
              containers: [
                {
                  name,
                  image,
                  imagePullPolicy: 'IfNotPresent',
                  ports: [{ name: 'postgres', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
                  env: [
                    { name: 'PGDATA', value: POSTGRES_PGDATA },
                    { name: 'POSTGRES_DB', value: config.database },
                    { name: 'POSTGRES_USER', valueFrom: secretRef('username') },
                    { name: 'POSTGRES_PASSWORD', valueFrom: secretRef('password') },
                    { name: 'PGUSER', valueFrom: secretRef('username') },
                    { name: 'PGDATABASE', value: config.database },
                  ],
                  resources: resourcesFrom(config.resources, DEFAULT_RESOURCES),
                  // Crash recovery replays WAL before accepting connections: give it up to 30 minutes
                  // before liveness may restart it (a restart would start the replay over).
                  startupProbe: { exec: isReady, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 180 },
                  readinessProbe: { exec: isReady, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                  livenessProbe: { exec: isReady, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
                  // Kubernetes sends SIGTERM, which is Postgres's "smart" shutdown: it waits for every
                  // client to disconnect, and pooled app connections never do. Ask for a fast one.
                  lifecycle: { preStop: { exec: { command: ['pg_ctl', 'stop', '--mode=fast', `--pgdata=${POSTGRES_PGDATA}`, '--wait'] } } },
                  volumeMounts: [{ name: 'data', mountPath: POSTGRES_VOLUME_PATH }, run.mount, tmp.mount, shm.mount],
                },
              ],
              volumes: [run.volume, tmp.volume, shm.volume],
            },
            { runAsUser: POSTGRES_UID, fsGroup: POSTGRES_UID },
          ),
        },
        volumeClaimTemplates: [
          {
            // Argo CD must never prune or delete the claims (they also outlive the StatefulSet, above).
            metadata: { name: 'data', labels: { ...labels }, annotations: { ...PRUNE_PROTECTION } },
            spec: {
              storageClassName: storageClass.name,
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: k8s.Quantity.fromString(config.storage) } },
            },
          },
        ],
      },
    });

    const ports = [{ name: 'postgres', port: POSTGRES_PORT, targetPort: k8s.IntOrString.fromString('postgres'), protocol: 'TCP' }];
    new k8s.KubeService(this, 'Headless', {
      metadata: { name: this.headlessServiceName, namespace, labels },
      spec: { clusterIp: 'None', selector: { ...selector }, ports },
    });
    new k8s.KubeService(this, 'Service', {
      metadata: { name: this.serviceName, namespace, labels },
      spec: { type: 'ClusterIP', selector: { ...selector }, ports },
    });
    disruptionBudget(this, this.server, labels);
    isolate(this, this.server, labels);
  }
}
