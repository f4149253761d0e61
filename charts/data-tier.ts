/**
 * The data tier of one environment (chart `10-<app>-data`): Postgres as the source of truth (on
 * CloudNativePG, or the StatefulSet engine of earlier platforms), its backups and restore drill, and a
 * Redis cache, reachable only from the pods that declared them.
 */
import { Construct } from 'constructs';
import { ClusterAddresses } from '../lib/cluster-peers';
import { DataService, NamespacePeer, PodGroup, StorageClassRef } from '../lib/contracts';
import { ProtectedService } from '../lib/exposure';
import { guardExposure } from '../lib/exposure-guard';
import { allowEgress, allowIngress } from '../lib/network-policy';
import { PlatformChart } from '../lib/platform-chart';
import { requireSecrets, warn } from '../lib/warnings';
import { DataTierPostgres, tierPostgres } from './data-tier-postgres';
import { DEFAULT_STORAGE_CLASS } from './postgres';
import { IPostgresOperator } from './postgres-operator';
import { Redis, REDIS_PORT, RedisOptions } from './redis';

export type { DataTierPostgres } from './data-tier-postgres';
export { PostgresEngine } from '../lib/contracts';
export { checkPostgresStorageClass } from '../lib/storage-rules';

export interface DataTierProps {
  /** App the tier belongs to, e.g. `berkeleytime`. */
  readonly app: string;
  /** Namespace of the tier (created, with prune protection, by the Namespaces chart). */
  readonly namespace: string;
  /** @default - no Postgres */
  readonly postgres?: DataTierPostgres;
  /** @default - no Redis */
  readonly redis?: RedisOptions;
  /** Class of the database volume; a class with reclaimPolicy Delete is refused. @default - ceph-block-retain (Retain) */
  readonly storageClass?: StorageClassRef;
  /** Class of the backup volume. @default - the database's class */
  readonly backupStorageClass?: StorageClassRef;
  /**
   * Namespaces (e.g. the app's previews) whose pods may also connect; their pods still need an
   * egress allow in their own namespace (`allowClient(…, { ingress: false })`).
   * @default - none
   */
  readonly extraClients?: NamespacePeer;
  /** The StatefulSet engine's image (and an import's source). @default - the pin `postgres-<majorVersion>` of config/versions.yaml */
  readonly postgresImage?: string;
  /** CloudNativePG's operand image. @default - none: required with engine cloudnative-pg (the pin `cnpg-postgres-<majorVersion>`) */
  readonly postgresClusterImage?: string;
  /** The CloudNativePG operator (required with engine cloudnative-pg). @default - none */
  readonly postgresOperator?: IPostgresOperator;
  /** Namespace of the restore drill's throw-away Cluster (cloudnative-pg). @default - none: required with a drill */
  readonly restoreDrillNamespace?: string;
  /** Class of the drill's throw-away volume (deleted with it). @default - the database's class */
  readonly restoreDrillStorageClass?: StorageClassRef;
  /** Image with kubectl, for the restore drill (cloudnative-pg). @default - none: required with a drill */
  readonly kubectlImage?: string;
  /** Who scrapes the database's metrics, and whether the drill alerts. @default - no PodMonitor, no alert */
  readonly prometheus?: NamespacePeer;
  /** The cluster's host addresses, for the API server allows. @default - the API server's port on any address */
  readonly clusterAddresses?: ClusterAddresses;
  /** @default - the pin `redis` of config/versions.yaml */
  readonly redisImage?: string;
  /** Image with curl, for the off-cluster copy of the backups. @default - the pin `curl` of config/versions.yaml */
  readonly curlImage?: string;
  /** Cluster DNS domain (`cluster.network.dnsDomain`), for the FQDNs clients connect to. @default 'cluster.local' */
  readonly clusterDomain?: string;
}

export interface AllowClientOptions {
  /**
   * Write the ingress side here. Pass false for a client whose namespace `extraClients` already
   * admits (a preview), so this tier's output does not change with every preview branch.
   * @default true
   */
  readonly ingress?: boolean;
}

/** Why a StorageClass may not hold a database, or undefined when it may. */
function deleteClassProblem(storageClass: StorageClassRef, retained: readonly StorageClassRef[]): string | undefined {
  if (storageClass.reclaimPolicy !== 'Delete') return undefined;
  const suggestion = retained.find((c) => c.reclaimPolicy === 'Retain');
  return (
    `postgres volume would use StorageClass "${storageClass.name}" (reclaimPolicy Delete): a deleted claim would delete the database; ` +
    `use a Retain class${suggestion ? ` such as "${suggestion.name}"` : ''}`
  );
}

/**
 * The class of the database volume: the configured `storageClass`, else the first class with
 * reclaimPolicy Retain (Rook's `retained` class). Run checkPostgresStorageClass first.
 */
export function postgresStorageClass(postgres: { readonly storageClass?: string }, classes: readonly StorageClassRef[]): StorageClassRef {
  const chosen =
    postgres.storageClass !== undefined ? classes.find((c) => c.name === postgres.storageClass) : classes.find((c) => c.reclaimPolicy === 'Retain');
  if (!chosen) {
    throw new Error(
      postgres.storageClass !== undefined
        ? `postgres.storageClass "${postgres.storageClass}" is not a StorageClass of the platform (${classes.map((c) => c.name).join(', ')})`
        : 'no StorageClass with reclaimPolicy Retain for the database volume; declare one (storage.external) or enable Rook',
    );
  }
  return { name: chosen.name, reclaimPolicy: chosen.reclaimPolicy };
}

/**
 * The data tier of one environment. Staging has its own by default; previews use staging's,
 * admitted through `extraClients`. It assumes the namespace's default-deny baseline
 * (lib/network-policy.ts `defaultDeny`, created by the AppStack in the same namespace) for the
 * backup job's DNS; the database and cache pods are isolated here regardless.
 */
export class DataTier extends PlatformChart {
  /** Staging uses production's data tier (`shareProductionData`): warns, and returns production's tier. */
  public static sharedWithStaging(production: DataTier, stagingNamespace: string): DataTier {
    warn(
      'platform:data:sharedStaging',
      `apps.${production.app}.environments.staging.shareProductionData: staging (${stagingNamespace}) uses production's database and cache ` +
        `in ${production.namespace}, so staging migrations, jobs and tests change production data; remove the key to give staging its own data tier`,
      production,
    );
    return production;
  }

  public readonly app: string;
  public readonly postgres?: DataService;
  public readonly redis?: DataService;
  /** Identities of the data services, for lib/exposure.ts checkExposure(). */
  public readonly protectedServices: ProtectedService[] = [];
  /** Secrets (`namespace/name`) this tier's own pods reference; never synthesized, declare them. */
  public readonly externalSecrets: string[] = [];
  private readonly admitted = new Set<string>();

  constructor(scope: Construct, id: string, props: DataTierProps) {
    super(scope, id, { namespace: props.namespace });
    const { app, namespace } = props;
    this.app = app;

    if (props.postgres) {
      const storageClass = props.storageClass ?? DEFAULT_STORAGE_CLASS;
      const backupStorageClass = props.backupStorageClass ?? storageClass;
      const problem = deleteClassProblem(storageClass, [backupStorageClass]);
      if (problem) throw new Error(`DataTier ${namespace}: ${problem}`);
      const pg = tierPostgres(this, props.postgres, {
        app,
        namespace,
        storageClass,
        backupStorageClass,
        statefulSetImage: props.postgresImage,
        clusterImage: props.postgresClusterImage,
        curlImage: props.curlImage,
        kubectlImage: props.kubectlImage,
        operator: props.postgresOperator,
        restoreDrillNamespace: props.restoreDrillNamespace,
        // The drill's objects live in their own namespace, so in a chart of their own beside this one (`<id>-drill`).
        drillScope: () => new PlatformChart(scope, `${id}-drill`, { namespace: props.restoreDrillNamespace }),
        restoreDrillStorageClass: props.restoreDrillStorageClass,
        prometheus: props.prometheus,
        clusterAddresses: props.clusterAddresses,
        clusterDomain: props.clusterDomain,
      });
      this.postgres = pg.service;
      this.protectedServices.push(...pg.protectedServices);
      this.externalSecrets.push(...pg.externalSecrets);
    }

    if (props.redis) {
      const cache = new Redis(this, 'Redis', {
        app,
        namespace,
        ...props.redis,
        image: props.redisImage,
        clusterDomain: props.clusterDomain,
      });
      this.redis = { ...cache.server, connectionEnv: [{ name: 'REDIS_URL', value: `redis://${cache.host}:${REDIS_PORT}/0` }], secretNames: [] };
      this.protectedServices.push({ namespace, name: cache.serviceName, selector: cache.server.selector });
    }

    if (props.extraClients) {
      for (const service of [this.postgres, this.redis]) if (service) allowIngress(this, props.extraClients, service);
    }
    this.externalSecrets.sort();
    requireSecrets(this, this.externalSecrets);
    guardExposure(this, this.protectedServices);
  }

  /**
   * Admits `client` (pods in this or another namespace) to `service`: the ingress policy here,
   * the egress policy in `clientScope`. Admitting the same client twice is harmless.
   */
  public allowClient(clientScope: Construct, client: PodGroup, service: DataService, opts: AllowClientOptions = {}): void {
    if (service !== this.postgres && service !== this.redis) {
      throw new Error(
        `DataTier ${this.namespace}: allowClient(${client.name}) was given ${service.namespace}/${service.name}, which is not a service of this tier`,
      );
    }
    const key = `${client.namespace}/${client.name}>${service.name}`;
    if (this.admitted.has(key)) return;
    this.admitted.add(key);
    if (opts.ingress ?? true) {
      // Policy names must stay unique when a client of another namespace has a local client's name.
      const from = client.namespace === service.namespace ? client : { ...client, name: `${client.name}-${client.namespace}` };
      allowIngress(this, from, service);
    }
    allowEgress(clientScope, client, service);
  }
}
