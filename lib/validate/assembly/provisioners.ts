/**
 * What a StorageClass's provisioner needs before it can bind a claim: the objects behind it. A PVC of
 * a Rook-Ceph RBD class stays Pending (Progressing in Argo CD) until the CephCluster named by the
 * class's `clusterID` is healthy and its pool exists.
 * @see https://rook.io/docs/rook/latest-release/Storage-Configuration/Block-Storage-RBD/block-storage/
 */
import type { Ref } from './health-rules';

interface Backend {
  readonly provisioner: RegExp;
  readonly needs: (parameters: Record<string, string>) => Ref[];
}

const BACKENDS: readonly Backend[] = [
  {
    // `<operator namespace>.rbd.csi.ceph.com` and `.cephfs.csi.ceph.com`: the CSI driver talks to the CephCluster in `clusterID`.
    provisioner: /\.(rbd|cephfs)\.csi\.ceph\.com$/,
    needs: (p) => [
      { group: 'ceph.rook.io', kind: 'CephCluster', namespace: p.clusterID, name: p.clusterID },
      ...(p.pool ? [{ group: 'ceph.rook.io', kind: 'CephBlockPool', namespace: p.clusterID, name: p.pool }] : []),
    ],
  },
];

/** Objects that must be healthy before the class can provision; none for provisioners we do not know. */
export function provisionerBackend(storageClass: any): Ref[] {
  const backend = BACKENDS.find((b) => b.provisioner.test(storageClass?.provisioner ?? ''));
  return backend ? backend.needs(storageClass.parameters ?? {}) : [];
}
