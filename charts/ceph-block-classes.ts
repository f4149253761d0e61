import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { VolumeSnapshotClass, VolumeSnapshotClassDeletionPolicy } from '../imports/snapshot.storage.k8s.io';
import { StorageClassRef } from '../lib/contracts';
import { ARGO_ANNOTATION, SYNC_OPTION } from '../lib/argocd';

/** Secrets Rook creates in the cluster namespace for the RBD CSI driver. */
const PROVISIONER_SECRET = 'rook-csi-rbd-provisioner';
const NODE_SECRET = 'rook-csi-rbd-node';

export interface RbdClassOptions {
  readonly name: string;
  /** Ceph pool the volumes' RBD images live in. */
  readonly pool: string;
}

export interface CephBlockClassesProps {
  /** RBD CSI driver name (`<operator namespace>.rbd.csi.ceph.com`). */
  readonly driver: string;
  /** Namespace of the CephCluster: the CSI clusterID and where Rook puts the CSI secrets. */
  readonly clusterNamespace: string;
  /** The cluster's default class; reclaim `Delete`. */
  readonly general: RbdClassOptions;
  /** The class for data that must outlive its claim (databases); reclaim `Retain`. */
  readonly retained: RbdClassOptions;
  /** Sync wave of the VolumeSnapshotClass (after the snapshot CRDs' provider). */
  readonly snapshotSyncWave: number;
}

/**
 * RBD StorageClasses and the VolumeSnapshotClass. They only name the driver, the cluster and a
 * pool, so they apply before Ceph runs; provisioning waits for the pool. StorageClass parameters
 * are immutable: renaming a pool means a new class.
 * @see https://rook.io/docs/rook/v1.20/Storage-Configuration/Block-Storage-RBD/block-storage/
 */
export class CephBlockClasses extends Construct {
  public readonly general: StorageClassRef;
  public readonly retained: StorageClassRef;
  public readonly snapshotClassName: string;

  constructor(scope: Construct, id: string, props: CephBlockClassesProps) {
    super(scope, id);
    this.general = this.storageClass('General', props, props.general, 'Delete', true);
    this.retained = this.storageClass('Retained', props, props.retained, 'Retain', false);

    this.snapshotClassName = 'ceph-block-snapshot';
    new VolumeSnapshotClass(this, 'Snapshots', {
      metadata: {
        name: this.snapshotClassName,
        annotations: {
          [ARGO_ANNOTATION.syncWave]: String(props.snapshotSyncWave),
          // The snapshot.storage.k8s.io CRDs come from the snapshot controller, not from Rook.
          [ARGO_ANNOTATION.syncOptions]: SYNC_OPTION.skipDryRunOnMissingResource,
        },
      },
      driver: props.driver,
      deletionPolicy: VolumeSnapshotClassDeletionPolicy.DELETE,
      parameters: {
        clusterID: props.clusterNamespace,
        'csi.storage.k8s.io/snapshotter-secret-name': PROVISIONER_SECRET,
        'csi.storage.k8s.io/snapshotter-secret-namespace': props.clusterNamespace,
      },
    });
  }

  private storageClass(
    id: string,
    props: CephBlockClassesProps,
    opts: RbdClassOptions,
    reclaimPolicy: 'Delete' | 'Retain',
    isDefault: boolean,
  ): StorageClassRef {
    const ns = props.clusterNamespace;
    new k8s.KubeStorageClass(this, id, {
      metadata: {
        name: opts.name,
        ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}),
      },
      provisioner: props.driver,
      reclaimPolicy,
      allowVolumeExpansion: true,
      parameters: {
        clusterID: ns,
        pool: opts.pool,
        imageFormat: '2',
        // layering alone maps on every kernel krbd supports; the richer feature set needs 5.4+.
        imageFeatures: 'layering',
        'csi.storage.k8s.io/provisioner-secret-name': PROVISIONER_SECRET,
        'csi.storage.k8s.io/provisioner-secret-namespace': ns,
        'csi.storage.k8s.io/controller-expand-secret-name': PROVISIONER_SECRET,
        'csi.storage.k8s.io/controller-expand-secret-namespace': ns,
        'csi.storage.k8s.io/node-stage-secret-name': NODE_SECRET,
        'csi.storage.k8s.io/node-stage-secret-namespace': ns,
        'csi.storage.k8s.io/fstype': 'ext4',
      },
    });
    return { name: opts.name, reclaimPolicy };
  }
}
