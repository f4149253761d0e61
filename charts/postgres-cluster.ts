/**
 * Postgres on CloudNativePG: a `Cluster` (postgresql.cnpg.io/v1) that archives its WAL continuously
 * through the Barman Cloud plugin, a `ScheduledBackup` of base backups, a PodMonitor, and the
 * policies that keep it closed to everyone but its clients, the operator and itself. The operator
 * makes the app owner's credentials (Secret `<name>-app`, keys `username`, `password`, `host`,
 * `uri` …) and the Services `<name>-rw` (the primary), `-ro` and `-r`.
 * @see https://cloudnative-pg.io/documentation/1.30/
 */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Cluster,
  ClusterSpec,
  ClusterSpecBootstrap,
  ClusterSpecBootstrapInitdbImportType,
  ClusterSpecExternalClusters,
  ClusterSpecResourcesLimits,
  ClusterSpecResourcesRequests,
  ScheduledBackup,
  ScheduledBackupSpecBackupOwnerReference,
  ScheduledBackupSpecMethod,
} from '../imports/postgresql.cnpg.io';
import { PodMonitor } from '../imports/monitoring.coreos.com';
import { ARGO_ANNOTATION, PRUNE_PROTECTION, SYNC_OPTION } from '../lib/argocd';
import { allowToApiServer, ClusterAddresses } from '../lib/cluster-peers';
import { StorageClassRef } from '../lib/contracts';
import { serviceFqdn } from '../lib/kube';
import { ANNOTATION, LABEL, objectLabels } from '../lib/labels';
import { allowIngress, allowTraffic, NamespacePeer, PodGroup, Server } from '../lib/network-policy';
import { POSTGRES_CLUSTER_DEFAULTS } from '../lib/tier-defaults';
import { isolate, Resources } from './data-tier-parts';
import { DEFAULT_STORAGE_CLASS, POSTGRES_PORT, PostgresServer } from './postgres';
import { ObjectStoreTarget, PostgresObjectStore } from './postgres-object-store';
import { CNPG_CLUSTER_LABEL, CNPG_METRICS_PORT, CNPG_STATUS_PORT, IPostgresOperator } from './postgres-operator';

/** A database to copy in once, when the Cluster is created (`bootstrap.initdb.import`, microservice type). */
export interface PostgresImportSource {
  /** Host of the running server, e.g. the StatefulSet engine's `postgres.<namespace>.svc.cluster.local`. */
  readonly host: string;
  /** A user that may `pg_dump` the database (the StatefulSet engine's superuser: the `username` of its Secret). */
  readonly user: string;
  /** Secret (in this namespace) whose key `password` is that user's password. */
  readonly passwordSecret: string;
  /** The source's pods, admitted to accept the import's connection. @default - none: the source admits it itself */
  readonly pods?: Server;
}

/** Point-in-time recovery: the Cluster is created from another cluster's base backup and WAL. */
export interface PostgresRecovery {
  /** Name of the cluster whose archive is read (its `serverName` in the object store). */
  readonly sourceCluster: string;
  /** RFC 3339 time to stop replaying at, e.g. `2026-12-01T17:55:00Z`. @default - the end of the archive */
  readonly targetTime?: string;
}

export interface PostgresClusterProps {
  /** Database created for the app; its owner has the same name. */
  readonly database: string;
  /** Operand image with the pinned major (`ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie`). */
  readonly image: string;
  /** Major of `image`: recorded so that a change of major is reviewed (lib/validate/upgrade-check.ts). */
  readonly majorVersion: number;
  /** The operator: who may reach the instances, and the backup plugin's name. */
  readonly operator: IPostgresOperator;
  /** @default 'pg' */
  readonly name?: string;
  /** @default - the namespace of the enclosing chart */
  readonly namespace?: string;
  /** @default - the database name */
  readonly app?: string;
  /**
   * Instances: 1 primary and `instances - 1` streaming replicas, spread over hosts with required
   * anti-affinity when more than one. @default 1
   */
  readonly instances?: number;
  /** Size of each instance's volume. @default '10Gi' */
  readonly storage?: string;
  /** Class of the volumes; it must retain volumes. @default - ceph-block-retain (Retain) */
  readonly storageClass?: StorageClassRef;
  /** @default - requests 250m CPU and 512Mi, memory limit 1Gi */
  readonly resources?: Resources;
  /** Where WAL and base backups go. @default - none: no WAL archive, no point-in-time recovery */
  readonly objectStore?: ObjectStoreTarget;
  /** Recovery window kept in the object store. @default '30d' */
  readonly retentionPolicy?: string;
  /** `archive_timeout`: the longest a WAL segment stays open, so the most writes a lost primary takes with it. @default '5min' */
  readonly archiveTimeout?: string;
  /** Base backup schedule, five-field cron in UTC (the operator's six-field form is derived). @default '30 3 * * *' */
  readonly backupSchedule?: string;
  /** Copy an existing database in when the Cluster is created. @default - an empty database */
  readonly importFrom?: PostgresImportSource;
  /** Create the Cluster from a backup instead. @default - an empty database */
  readonly recovery?: PostgresRecovery;
  /** The major the data is on, when `majorVersion` is higher: the operator runs pg_upgrade in place. @default - no upgrade */
  readonly majorUpgradeFrom?: number;
  /** Who scrapes the instances' metrics (the monitoring stack's Prometheus). @default - no PodMonitor */
  readonly prometheus?: NamespacePeer;
  /** The cluster's host addresses, for the API server allow. @default - the API server's port on any address */
  readonly clusterAddresses?: ClusterAddresses;
  /** Cluster DNS domain, for the FQDN clients connect to. @default 'cluster.local' */
  readonly clusterDomain?: string;
}

/** A five-field cron schedule as CloudNativePG's six-field one (seconds first). */
export const cnpgSchedule = (fiveField: string): string => `0 ${fiveField}`;

/** The Cluster and what it needs around it. */
export class PostgresCluster extends Construct implements PostgresServer {
  public readonly name: string;
  public readonly namespace: string;
  public readonly app: string;
  public readonly database: string;
  public readonly image: string;
  /** Every instance pod: clients are admitted to all of them, since the primary moves on failover. */
  public readonly server: Server;
  /** The read-write Service (the primary). */
  public readonly serviceName: string;
  /** `<name>-rw.<namespace>.svc.<domain>`: previews connect from other namespaces. */
  public readonly host: string;
  /** The app owner's credentials, made by the operator (`username`, `password`). */
  public readonly credentialsSecret: string;
  public readonly storageClass: StorageClassRef;
  public readonly storage: string;
  public readonly resources?: Resources;
  public readonly objectStore?: PostgresObjectStore;
  public readonly instances: number;
  public readonly resource: Cluster;
  /** The operand images' `postgres` user (CloudNativePG `DefaultPostgresUID`, api/v1/cluster_types.go). */
  public readonly uid = 26;

  constructor(scope: Construct, id: string, props: PostgresClusterProps) {
    super(scope, id);
    const d = POSTGRES_CLUSTER_DEFAULTS;
    this.name = props.name ?? d.name;
    this.namespace = props.namespace ?? Chart.of(this).namespace ?? 'default';
    this.app = props.app ?? props.database;
    this.database = props.database;
    this.image = props.image;
    this.instances = props.instances ?? 1;
    this.storage = props.storage ?? '10Gi';
    this.storageClass = props.storageClass ?? DEFAULT_STORAGE_CLASS;
    this.resources = props.resources;
    this.serviceName = `${this.name}-rw`;
    this.host = serviceFqdn(this.serviceName, this.namespace, props.clusterDomain);
    this.credentialsSecret = `${this.name}-app`;
    const { name, namespace } = this;
    if (this.storageClass.reclaimPolicy === 'Delete') {
      throw new Error(
        `PostgresCluster ${namespace}/${name}: StorageClass "${this.storageClass.name}" has reclaimPolicy Delete, so a deleted claim would delete the database; use a Retain class`,
      );
    }
    if (props.importFrom && props.recovery)
      throw new Error(`PostgresCluster ${namespace}/${name}: importFrom and recovery exclude each other; a Cluster bootstraps once`);
    if (props.majorUpgradeFrom !== undefined && props.majorUpgradeFrom >= props.majorVersion) {
      throw new Error(`PostgresCluster ${namespace}/${name}: majorUpgradeFrom (${props.majorUpgradeFrom}) must be below majorVersion (${props.majorVersion})`);
    }
    const labels = objectLabels(namespace, name, this.app, 'database');
    // Every pod of the cluster: the instances, and the Jobs that initdb, import or recover before them (those lack cnpg.io/podRole).
    const selector = { [CNPG_CLUSTER_LABEL]: name };
    this.server = { name, namespace, selector, ports: [{ port: POSTGRES_PORT }] };
    const instancePods: PodGroup = { name: `${name}-instances`, namespace, selector };

    if (props.objectStore) {
      this.objectStore = new PostgresObjectStore(this, 'ObjectStore', {
        name: `${name}-backups`,
        namespace,
        target: props.objectStore,
        retentionPolicy: props.retentionPolicy ?? d.retentionPolicy,
        clients: instancePods,
        labels,
      });
    }
    const plugin = props.operator.backupPlugin;

    const resources = { ...d.resources, ...props.resources };
    const spec: ClusterSpec = {
      instances: this.instances,
      imageName: props.image,
      // Pods, claims and Services the operator makes: labelled, and never pruned should Argo CD ever track them.
      inheritedMetadata: { labels: { [LABEL.partOf]: this.app }, annotations: { ...PRUNE_PROTECTION } },
      storage: { size: this.storage, storageClass: this.storageClass.name },
      resources: {
        requests: Object.fromEntries(Object.entries(resources.requests ?? {}).map(([k, v]) => [k, ClusterSpecResourcesRequests.fromString(String(v))])),
        limits: Object.fromEntries(Object.entries(resources.limits ?? {}).map(([k, v]) => [k, ClusterSpecResourcesLimits.fromString(String(v))])),
      },
      // Required anti-affinity: two instances on one host would fail together.
      affinity: { enablePodAntiAffinity: true, topologyKey: 'kubernetes.io/hostname', podAntiAffinityType: this.instances > 1 ? 'required' : 'preferred' },
      postgresql: { parameters: { archive_timeout: props.archiveTimeout ?? d.archiveTimeout } },
      bootstrap: this.bootstrap(props),
      ...(this.objectStore ? { plugins: [{ name: plugin, isWalArchiver: true, parameters: { barmanObjectName: this.objectStore.name } }] } : {}),
      ...(this.externalClusters(props).length ? { externalClusters: this.externalClusters(props) } : {}),
    };
    this.resource = new Cluster(this, 'Resource', {
      metadata: {
        name,
        namespace,
        labels,
        annotations: {
          // Deleting the Cluster deletes its claims: Argo CD must never prune or delete it.
          ...PRUNE_PROTECTION,
          ...(props.majorUpgradeFrom !== undefined ? { [ANNOTATION.postgresMajorUpgradeFrom]: String(props.majorUpgradeFrom) } : {}),
        },
      },
      spec,
    });

    if (this.objectStore) {
      new ScheduledBackup(this, 'ScheduledBackup', {
        metadata: { name, namespace, labels },
        spec: {
          cluster: { name },
          schedule: cnpgSchedule(props.backupSchedule ?? d.backupSchedule),
          method: ScheduledBackupSpecMethod.PLUGIN,
          pluginConfiguration: { name: plugin },
          // The first base backup right away: until it exists, WAL alone restores nothing.
          immediate: true,
          backupOwnerReference: ScheduledBackupSpecBackupOwnerReference.SELF,
        },
      });
    }

    if (props.prometheus) {
      new PodMonitor(this, 'PodMonitor', {
        metadata: {
          name,
          namespace,
          labels,
          annotations: { [ARGO_ANNOTATION.syncOptions]: SYNC_OPTION.skipDryRunOnMissingResource },
        },
        spec: { selector: { matchLabels: { [CNPG_CLUSTER_LABEL]: name } }, podMetricsEndpoints: [{ port: 'metrics' }] },
      });
      allowIngress(this, props.prometheus, { name: `${name}-metrics`, namespace, selector, ports: [{ port: CNPG_METRICS_PORT }] });
    }

    // Closed both ways, then: the operator in; the instances among themselves (replication, status);
    // the API server (the instance manager watches its Cluster); an import's source; the store.
    isolate(this, { ...instancePods, name }, labels);
    allowIngress(this, props.operator.operatorPeer, { name, namespace, selector, ports: [{ port: CNPG_STATUS_PORT }, { port: POSTGRES_PORT }] });
    allowTraffic(this, instancePods, this, { ...instancePods, ports: [{ port: POSTGRES_PORT }, { port: CNPG_STATUS_PORT }] });
    allowToApiServer(this, instancePods, props.clusterAddresses);
    if (props.importFrom?.pods) allowTraffic(this, instancePods, this, props.importFrom.pods);
  }

  private bootstrap(props: PostgresClusterProps): ClusterSpecBootstrap {
    const owner = props.database;
    if (props.recovery) {
      return {
        recovery: {
          source: 'origin',
          database: props.database,
          owner,
          ...(props.recovery.targetTime ? { recoveryTarget: { targetTime: props.recovery.targetTime } } : {}),
        },
      };
    }
    return {
      initdb: {
        database: props.database,
        owner,
        ...(props.importFrom
          ? {
              import: {
                type: ClusterSpecBootstrapInitdbImportType.MICROSERVICE,
                databases: [props.database],
                source: { externalCluster: 'import-source' },
              },
            }
          : {}),
      },
    };
  }

  private externalClusters(props: PostgresClusterProps): ClusterSpecExternalClusters[] {
    if (props.importFrom) {
      const source = props.importFrom;
      return [
        {
          name: 'import-source',
          connectionParameters: { host: source.host, port: String(POSTGRES_PORT), user: source.user, dbname: props.database },
          password: { name: source.passwordSecret, key: 'password' },
        },
      ];
    }
    if (props.recovery) {
      if (!this.objectStore) throw new Error(`PostgresCluster ${this.namespace}/${this.name}: recovery reads the object store; set objectStore`);
      return [
        {
          name: 'origin',
          plugin: {
            name: props.operator.backupPlugin,
            parameters: { barmanObjectName: this.objectStore.name, serverName: props.recovery.sourceCluster },
          },
        },
      ];
    }
    return [];
  }
}
