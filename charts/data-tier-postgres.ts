/**
 * The Postgres of a data tier, on either engine: CloudNativePG (a Cluster with WAL archiving, base
 * backups and a restore drill in a scratch namespace) or the StatefulSet engine of earlier platforms
 * (one server, nightly dumps). Both give clients the same DataService; what differs is recorded here.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ClusterAddresses } from '../lib/cluster-peers';
import { DataService, NamespacePeer, PostgresEngine, StorageClassRef } from '../lib/contracts';
import { ProtectedService } from '../lib/exposure';
import { allowImages, imageRepository } from '../lib/image-allowlist';
import { warn } from '../lib/warnings';
import { Postgres, POSTGRES_PORT, PostgresOptions, PostgresServer } from './postgres';
import { PostgresBackup, PostgresBackupOptions } from './postgres-backup';
import { PostgresCluster } from './postgres-cluster';
import { PostgresClusterDrill } from './postgres-cluster-drill';
import { ObjectStoreTarget } from './postgres-object-store';
import { IPostgresOperator } from './postgres-operator';
import { PostgresRestoreDrill } from './postgres-restore-drill';

/** Postgres of a data tier: the database, its backups and an optional restore drill. */
export interface DataTierPostgres extends PostgresOptions {
  /** @default PostgresEngine.CLOUDNATIVE_PG */
  readonly engine?: PostgresEngine;
  /** @default - nightly dumps kept on the cluster (PostgresBackupOptions' defaults), no restore drill */
  readonly backups?: PostgresBackupOptions & {
    /** Weekly proof that the newest backup restores. @default - off */
    readonly restoreDrill?: { readonly enabled?: boolean; readonly schedule?: string; readonly checkQuery?: string };
  };
  /** cloudnative-pg: instances (1, or 3 spread over hosts). @default 1 */
  readonly instances?: number;
  /** cloudnative-pg: WAL archive and base backups. @default - none: nightly dumps (acceptNoObjectStore) */
  readonly objectStore?: ObjectStoreTarget;
  /** @default '30d' */
  readonly retentionPolicy?: string;
  /** @default '5min' */
  readonly archiveTimeout?: string;
  /** cloudnative-pg: import the StatefulSet engine's database once, keeping that server while it runs. @default - none */
  readonly importFromStatefulSet?: { readonly user: string };
  /** cloudnative-pg: point-in-time recovery into a new Cluster. @default - none */
  readonly recovery?: { readonly targetTime: string; readonly fromCluster?: string };
  /** cloudnative-pg: the major the data is on, when `majorVersion` is raised in place. @default - none */
  readonly majorUpgradeFrom?: number;
}

export interface TierPostgresContext {
  readonly app: string;
  readonly namespace: string;
  readonly storageClass: StorageClassRef;
  readonly backupStorageClass: StorageClassRef;
  /** The StatefulSet engine's image (`postgres-<major>`), for it and for an import's source. */
  readonly statefulSetImage?: string;
  /** The CloudNativePG operand image (`cnpg-postgres-<major>`). */
  readonly clusterImage?: string;
  readonly curlImage?: string;
  readonly kubectlImage?: string;
  readonly operator?: IPostgresOperator;
  readonly restoreDrillNamespace?: string;
  /** Where the drill's objects go (a chart for its namespace). @default - the tier's scope */
  readonly drillScope?: () => Construct;
  readonly restoreDrillStorageClass?: StorageClassRef;
  readonly prometheus?: NamespacePeer;
  readonly clusterAddresses?: ClusterAddresses;
  readonly clusterDomain?: string;
}

/** What a tier's Postgres gives the tier. */
export interface TierPostgres {
  readonly service: DataService;
  readonly protectedServices: ProtectedService[];
  /** Secrets (`namespace/name`) that someone must create. */
  readonly externalSecrets: string[];
}

/** The name of a point-in-time recovery's Cluster: `pg-pitr-20261201-1755`. */
export function recoveryClusterName(base: string, targetTime: string): string {
  const t = new Date(targetTime).toISOString();
  return `${base}-pitr-${t.slice(0, 10).replace(/-/g, '')}-${t.slice(11, 16).replace(':', '')}`;
}

/** A host under a domain reserved for examples (RFC 2606, RFC 6761): a placeholder someone must replace. */
export function isPlaceholderHost(host: string): boolean {
  return /(^|\.)(example\.(org|com|net)|example|invalid|test)$/i.test(host);
}

export function tierPostgres(scope: Construct, pg: DataTierPostgres, ctx: TierPostgresContext): TierPostgres {
  return (pg.engine ?? PostgresEngine.CLOUDNATIVE_PG) === PostgresEngine.STATEFULSET ? statefulSetEngine(scope, pg, ctx) : cloudNativePg(scope, pg, ctx);
}

function statefulSetEngine(scope: Construct, pg: DataTierPostgres, ctx: TierPostgresContext): TierPostgres {
  const server = statefulSet(scope, pg, ctx);
  const backups = pg.backups ?? {};
  const backup = dumps(scope, server, pg, ctx);
  if (backups.restoreDrill?.enabled) new PostgresRestoreDrill(scope, 'RestoreDrill', { postgres: server, backup, schedule: backups.restoreDrill.schedule });
  return {
    service: { ...server.server, connectionEnv: connectionEnv(server, pg.database), secretNames: [server.credentialsSecret] },
    protectedServices: [
      { namespace: ctx.namespace, name: server.serviceName, selector: server.server.selector },
      { namespace: ctx.namespace, name: server.headlessServiceName, selector: server.server.selector },
    ],
    externalSecrets: [server.credentialsSecret, ...backup.extraSecrets].map((s) => `${ctx.namespace}/${s}`),
  };
}

function cloudNativePg(scope: Construct, pg: DataTierPostgres, ctx: TierPostgresContext): TierPostgres {
  const { namespace } = ctx;
  if (!ctx.operator || !ctx.clusterImage) {
    throw new Error(`DataTier ${namespace}: engine cloudnative-pg needs the operator (PostgresOperator) and the operand image (pin cnpg-postgres-<major>)`);
  }
  const externalSecrets: string[] = [];
  // The StatefulSet being imported keeps running (and keeps its Prune=false volume) until a later change drops it.
  const source = pg.importFromStatefulSet ? statefulSet(scope, pg, ctx) : undefined;
  if (source) {
    externalSecrets.push(`${namespace}/${source.credentialsSecret}`);
    // The user is a plain string of the Cluster (externalClusters[].connectionParameters), the password a Secret
    // reference: only the config can say who the StatefulSet's superuser is, and a wrong name fails the import.
    warn(
      'platform:data:importing',
      `DataTier ${namespace}: the CloudNativePG Cluster imports the StatefulSet's database as user "${pg.importFromStatefulSet!.user}" with the password of Secret ${source.credentialsSecret}; ` +
        `that must be the Secret's username (kubectl -n ${namespace} get secret ${source.credentialsSecret} -o jsonpath='{.data.username}' | base64 -d), ` +
        `and writes to the old server after the import's dump are not copied: stop the app's writers for the import (docs/restore.md "From the StatefulSet engine")`,
      scope,
    );
  }
  if (pg.objectStore && isPlaceholderHost(new URL(pg.objectStore.endpoint).hostname)) {
    warn(
      'platform:data:objectStorePlaceholder',
      `DataTier ${namespace}: apps.${ctx.app}.data.postgres.objectStore.endpoint ${pg.objectStore.endpoint} is a placeholder (a reserved example domain): ` +
        `the WAL archive goes nowhere until it names your S3-compatible store off this cluster`,
      scope,
    );
  }
  const base = 'pg';
  const cluster = new PostgresCluster(scope, 'Cluster', {
    name: pg.recovery ? recoveryClusterName(base, pg.recovery.targetTime) : base,
    namespace,
    app: ctx.app,
    database: pg.database,
    image: ctx.clusterImage,
    majorVersion: pg.majorVersion ?? 17,
    majorUpgradeFrom: pg.majorUpgradeFrom,
    operator: ctx.operator,
    instances: pg.instances,
    storage: pg.storage,
    storageClass: ctx.storageClass,
    resources: pg.resources,
    objectStore: pg.objectStore,
    retentionPolicy: pg.retentionPolicy,
    archiveTimeout: pg.archiveTimeout,
    backupSchedule: pg.backups?.schedule,
    importFrom: source ? { host: source.host, user: pg.importFromStatefulSet!.user, passwordSecret: source.credentialsSecret, pods: source.server } : undefined,
    recovery: pg.recovery ? { sourceCluster: pg.recovery.fromCluster ?? base, targetTime: pg.recovery.targetTime } : undefined,
    prometheus: ctx.prometheus,
    clusterAddresses: ctx.clusterAddresses,
    clusterDomain: ctx.clusterDomain,
  });
  // The operator starts the instances (and the plugin's sidecar in them) from its own registry.
  allowImages(scope, namespace, ['ghcr.io/cloudnative-pg']);
  if (cluster.objectStore) externalSecrets.push(`${namespace}/${cluster.objectStore.credentialsSecret}`);
  const drill = pg.backups?.restoreDrill;
  if (cluster.objectStore) {
    if (drill?.enabled) {
      if (!ctx.restoreDrillNamespace || !ctx.kubectlImage)
        throw new Error(`DataTier ${namespace}: the restore drill needs restoreDrillNamespace and kubectlImage`);
      const drillScope = ctx.drillScope?.() ?? scope;
      const d = new PostgresClusterDrill(drillScope, 'RestoreDrill', {
        cluster,
        operator: ctx.operator,
        namespace: ctx.restoreDrillNamespace,
        kubectlImage: ctx.kubectlImage,
        schedule: drill.schedule,
        timeZone: pg.backups?.timeZone,
        checkQuery: drill.checkQuery,
        storageClass: ctx.restoreDrillStorageClass,
        alerts: ctx.prometheus !== undefined,
        clusterAddresses: ctx.clusterAddresses,
      });
      allowImages(drillScope, ctx.restoreDrillNamespace, ['ghcr.io/cloudnative-pg', imageRepository(ctx.kubectlImage)]);
      externalSecrets.push(...d.externalSecrets);
    }
  } else {
    warn(
      'platform:data:noWalArchive',
      `DataTier ${namespace}: Postgres has no object store (acceptNoObjectStore): no WAL archive and no point-in-time recovery; ` +
        `a lost volume loses up to a day of writes (the nightly dump's age); set apps.${ctx.app}.data.postgres.objectStore`,
      scope,
    );
    const backup = dumps(scope, cluster, pg, ctx);
    externalSecrets.push(...backup.extraSecrets.map((s) => `${namespace}/${s}`));
    if (drill?.enabled) new PostgresRestoreDrill(scope, 'RestoreDrill', { postgres: cluster, backup, schedule: drill.schedule });
  }
  const protectedServices: ProtectedService[] = ['rw', 'ro', 'r'].map((suffix) => ({
    namespace,
    name: `${cluster.name}-${suffix}`,
    selector: { 'cnpg.io/cluster': cluster.name },
  }));
  if (source) {
    protectedServices.push(
      { namespace, name: source.serviceName, selector: source.server.selector },
      { namespace, name: source.headlessServiceName, selector: source.server.selector },
    );
  }
  return {
    service: {
      ...cluster.server,
      connectionEnv: connectionEnv(cluster, pg.database),
      secretNames: [cluster.credentialsSecret],
      generatedSecrets: [cluster.credentialsSecret],
      jobSuffix: cluster.name,
    },
    protectedServices,
    externalSecrets,
  };
}

function statefulSet(scope: Construct, pg: DataTierPostgres, ctx: TierPostgresContext): Postgres {
  return new Postgres(scope, 'Postgres', {
    app: ctx.app,
    namespace: ctx.namespace,
    database: pg.database,
    majorVersion: pg.majorVersion,
    storage: pg.storage,
    credentialsSecret: pg.credentialsSecret,
    resources: pg.resources,
    storageClass: ctx.storageClass,
    image: ctx.statefulSetImage,
    clusterDomain: ctx.clusterDomain,
  });
}

function dumps(scope: Construct, server: PostgresServer, pg: DataTierPostgres, ctx: TierPostgresContext): PostgresBackup {
  const backups = pg.backups ?? {};
  const backup = new PostgresBackup(scope, 'Backup', {
    postgres: server,
    schedule: backups.schedule,
    timeZone: backups.timeZone,
    keep: backups.keep,
    storage: backups.storage,
    s3: backups.s3,
    storageClass: ctx.backupStorageClass,
    uploadImage: ctx.curlImage,
  });
  if (!backups.s3) {
    warn(
      'platform:data:backupsOnCluster',
      `DataTier ${ctx.namespace}: postgres backups live only on the cluster's own storage (PVC ${backup.claimName}, StorageClass "${ctx.backupStorageClass.name}"); ` +
        `a lost storage cluster takes the database and its backups together; set apps.${ctx.app}.data.postgres.backups.s3 for an off-cluster copy`,
      scope,
    );
  }
  return backup;
}

function connectionEnv(server: PostgresServer, database: string): k8s.EnvVar[] {
  const secretRef = (key: string): k8s.EnvVarSource => ({ secretKeyRef: { name: server.credentialsSecret, key } });
  return [
    { name: 'POSTGRES_HOST', value: server.host },
    { name: 'POSTGRES_PORT', value: String(POSTGRES_PORT) },
    { name: 'POSTGRES_DB', value: database },
    { name: 'POSTGRES_USER', valueFrom: secretRef('username') },
    { name: 'POSTGRES_PASSWORD', valueFrom: secretRef('password') },
  ];
}
