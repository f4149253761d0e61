import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { CephLayout, MGR_POOL_OBJECT } from '../lib/storage-rules';
import { CephBlockPool, CephBlockPoolSpecName, CephCluster } from '../imports/ceph.rook.io';
import { SYNC_OPTION, syncAnnotations } from '../lib/argocd';
import { allowImages, imageRepository } from '../lib/image-allowlist';

/** Where Ceph keeps mon data and daemon config on each host. */
export const DATA_DIR_HOST_PATH = '/var/lib/rook';

/**
 * Objects that hold data: Argo CD never prunes or deletes them, and syncs them only after the
 * operator whose CRDs they need (SkipDryRun: the CRDs do not exist before the operator's wave).
 */
export function protectedCephMetadata(wave: number): Record<string, string> {
  return syncAnnotations(wave, SYNC_OPTION.noPrune, SYNC_OPTION.noDelete, SYNC_OPTION.skipDryRunOnMissingResource);
}

export interface CephStorageClusterProps {
  /** Namespace of the operator and the cluster (also the CSI clusterID). */
  readonly namespace: string;
  /** Mon/mgr counts, storage hosts and their devices, pool sizes. */
  readonly layout: CephLayout;
  /** Pinned Ceph image, e.g. `quay.io/ceph/ceph:v19.2.3`. */
  readonly cephImage: string;
  /** Ceph exports metrics and Rook creates ServiceMonitors. */
  readonly monitoring: boolean;
  /** Let several mons share a host. */
  readonly allowMultipleMonsPerNode: boolean;
  /** Taints of the storage hosts (a single-node cluster's control-plane taint among them). */
  readonly tolerations: readonly k8s.Toleration[];
  /** Sync wave after the operator's. */
  readonly syncWave: number;
}

/**
 * The CephCluster restricted to the inventory (one `nodes` entry per storage host, exactly its
 * disks) and its replicated pools, sized for the number of failure domains. No cleanup policy
 * is ever set: destroying the data takes a deliberate edit on the live object, never a commit.
 * @see https://rook.io/docs/rook/v1.20/CRDs/Cluster/ceph-cluster-crd/
 */
export class CephStorageCluster extends Construct {
  public readonly cluster: CephCluster;
  /** The configured pools by name (the CephBlockPool name is the Ceph pool name). */
  public readonly pools: ReadonlyMap<string, CephBlockPool>;

  constructor(scope: Construct, id: string, props: CephStorageClusterProps) {
    super(scope, id);
    // Rook runs every Ceph daemon from this image in the cluster's namespace.
    allowImages(this, props.namespace, [imageRepository(props.cephImage)]);
    const { layout, namespace } = props;
    const metadata = (name: string) => ({ name, namespace, annotations: protectedCephMetadata(props.syncWave) });

    // A size-1 layout is only healthy when Ceph's own defaults agree (Rook's cluster-test.yaml).
    // Always set, never omitted: Rook does not unset a removed key, so a grown cluster would keep size 1.
    const global = {
      osd_pool_default_size: String(layout.defaultReplicaSize),
      mon_warn_on_pool_no_redundancy: String(layout.defaultReplicaSize > 1),
    };

    this.cluster = new CephCluster(this, 'Resource', {
      metadata: metadata(namespace),
      spec: {
        cephVersion: { image: props.cephImage },
        dataDirHostPath: DATA_DIR_HOST_PATH,
        mon: { count: layout.monCount, allowMultiplePerNode: props.allowMultipleMonsPerNode },
        mgr: { count: layout.mgrCount, allowMultiplePerNode: false },
        dashboard: { enabled: true, ssl: true },
        monitoring: { enabled: props.monitoring },
        cephConfig: { global },
        storage: {
          useAllNodes: false,
          useAllDevices: false,
          nodes: layout.hosts.map((h) => ({ name: h.name, devices: h.devices.map((name) => ({ name })) })),
        },
        placement: { all: this.placement(layout, props.tolerations) },
        priorityClassNames: { mon: 'system-node-critical', osd: 'system-node-critical', mgr: 'system-cluster-critical' },
        disruptionManagement: { managePodBudgets: true },
      },
    });

    const replicated = (size: number) => ({ size, ...(size === 1 ? { requireSafeReplicaSize: false } : {}) });
    const failureDomain = layout.failureDomain;
    // Without it Rook keeps a pool's first CRUSH rule, so a cluster grown from one host would
    // keep placing every copy on that host's disks (failure domain osd) forever.
    const enableCrushUpdates = true;
    new CephBlockPool(this, 'MgrPool', {
      metadata: metadata(MGR_POOL_OBJECT),
      spec: { name: CephBlockPoolSpecName.VALUE_PERIOD_MGR, failureDomain, enableCrushUpdates, replicated: replicated(layout.defaultReplicaSize) },
    });
    const pools = new Map<string, CephBlockPool>();
    const poolScope = new Construct(this, 'Pools');
    for (const pool of layout.pools) {
      pools.set(
        pool.name,
        new CephBlockPool(poolScope, pool.name, {
          metadata: metadata(pool.name),
          spec: { failureDomain, enableCrushUpdates, replicated: replicated(pool.replicaSize) },
        }),
      );
    }
    this.pools = pools;
  }

  /** Every Ceph daemon on the storage hosts, tolerating their taints. */
  private placement(layout: CephLayout, tolerations: readonly k8s.Toleration[]) {
    const hosts = layout.hosts.map((h) => h.name);
    return {
      ...(hosts.length
        ? {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: hosts }] }],
              },
            },
          }
        : {}),
      ...(tolerations.length ? { tolerations: [...tolerations] } : {}),
    };
  }
}
