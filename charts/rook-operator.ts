import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ChartPin } from '../lib/contracts';
import { pinnedChart } from '../lib/pins';
import { SYNC_OPTION, WAVE } from '../lib/argocd';
import { addSyncOptions } from '../lib/argocd-constructs';
import { AddonApplication } from './addon-application';

/** The operator's namespace: Rook prefixes the CSI driver names with it. */
export const ROOK_NAMESPACE = 'rook-ceph';
/** RBD CSI driver (and StorageClass provisioner) name: `<operator namespace>.rbd.csi.ceph.com`. */
export const RBD_DRIVER = `${ROOK_NAMESPACE}.rbd.csi.ceph.com`;

export interface RookOperatorProps {
  /** Pinned charts `rook-ceph` and `ceph-csi-drivers`. */
  /** @default - the pins `rook-ceph`, `ceph-csi-drivers`, `snapshot-controller` of config/versions.yaml */
  readonly rookChart?: ChartPin;
  readonly csiDriversChart?: ChartPin;
  readonly snapshotControllerChart?: ChartPin;
  /** Let the operator create ServiceMonitors (the monitoring stack's CRDs must exist). */
  readonly monitoring: boolean;
  /** Taints the operators and the CSI controller tolerate (those of the storage hosts). */
  readonly tolerations: readonly k8s.Toleration[];
  /** Taints the CSI node plugin tolerates: it must run wherever a pod may mount a volume. */
  readonly nodePluginTolerations: readonly k8s.Toleration[];
  /** CSI controller (provisioner) replicas. @default 1 */
  readonly controllerReplicas?: number;
}

/**
 * The Rook operator and what Rook v1.20 needs for RBD volumes: the `rook-ceph` chart (operator,
 * Rook CRDs, and the ceph-csi-operator subchart with the `csi.ceph.io` CRDs), then the
 * `ceph-csi-drivers` chart, whose OperatorConfig and RBD Driver objects the ceph-csi-operator
 * turns into the provisioner Deployment and the node-plugin DaemonSet. Rook itself creates the
 * CephConnection and ClientProfile (named after the cluster namespace: the StorageClass clusterID).
 * @see https://rook.io/docs/rook/v1.20/Helm-Charts/csi-drivers-chart/
 */
export class RookOperator extends Construct {
  public readonly operator: AddonApplication;
  public readonly csiDrivers: AddonApplication;
  /** The volume-snapshot CRDs and controller, which no Kubernetes distribution of kubeadm ships. */
  public readonly snapshotController: AddonApplication;

  constructor(scope: Construct, id: string, props: RookOperatorProps) {
    super(scope, id);
    const tolerations = [...props.tolerations];
    const tolerate = tolerations.length ? { tolerations } : {};

    this.operator = new AddonApplication(this, 'Operator', {
      name: 'rook-ceph',
      chart: props.rookChart ?? pinnedChart('rook-ceph'),
      namespace: ROOK_NAMESPACE,
      syncWave: WAVE.operators,
      // The csi.ceph.io CRDs come with the subchart; server-side apply has no annotation size limit.
      serverSideApply: true,
      values: {
        // Turning CRD management off later lets Helm delete the CRDs, and with them the cluster.
        crds: { enabled: true },
        csi: { installCsiOperator: true },
        monitoring: { enabled: props.monitoring },
        ...tolerate,
        ...(tolerations.length ? { 'ceph-csi-operator': { controllerManager: { tolerations } } } : {}),
      },
    });
    // Removing the Application from Git must not uninstall the operator of a cluster holding data.
    addSyncOptions(this.operator.application, SYNC_OPTION.noPrune, SYNC_OPTION.noDelete);

    const replicas = props.controllerReplicas ?? 1;
    const nodePlugin = { priorityClassName: 'system-node-critical', tolerations: [...props.nodePluginTolerations] };
    const controllerPlugin = { priorityClassName: 'system-cluster-critical', replicas, tolerations };
    const disabled = (kind: string) => ({ enabled: false, name: `${ROOK_NAMESPACE}.${kind}.csi.ceph.com` });
    this.csiDrivers = new AddonApplication(this, 'CsiDrivers', {
      name: 'ceph-csi-drivers',
      chart: props.csiDriversChart ?? pinnedChart('ceph-csi-drivers'),
      namespace: ROOK_NAMESPACE,
      // The drivers are csi.ceph.io resources, whose CRDs come with the rook-ceph chart.
      syncWave: WAVE.dependentOperators,
      // Rook's recommended values (deploy/charts/ceph-csi-drivers/values.yaml): the drivers fail with the chart defaults.
      values: {
        operatorConfig: {
          namespace: ROOK_NAMESPACE,
          driverSpecDefaults: {
            // Images as pinned by the rook-ceph chart, so CSI moves in lockstep with Rook.
            imageSet: { name: 'rook-csi-operator-image-set-configmap' },
            nodePlugin,
            controllerPlugin,
          },
        },
        drivers: {
          rbd: {
            enabled: true,
            name: RBD_DRIVER,
            // Without it the csi-snapshotter sidecar is missing and the VolumeSnapshotClass does nothing.
            snapshotPolicy: 'volumeSnapshot',
            nodePlugin,
            controllerPlugin,
          },
          // Only block storage is synthesized; each driver left on would run privileged pods on every node.
          cephfs: disabled('cephfs'),
          nfs: disabled('nfs'),
          nvmeof: disabled('nvmeof'),
        },
      },
    });

    // Without the snapshot.storage.k8s.io CRDs and their controller the VolumeSnapshotClass
    // cannot be applied and snapshots are never taken; upstream publishes no chart, so this is
    // the Piraeus project's chart of the upstream controller (kubeadm clusters ship neither).
    this.snapshotController = new AddonApplication(this, 'SnapshotController', {
      name: 'snapshot-controller',
      chart: props.snapshotControllerChart ?? pinnedChart('snapshot-controller'),
      namespace: 'kube-system',
      syncWave: WAVE.operators,
      serverSideApply: true,
      // The chart's default webhook certificate is generated at render time (its `lookup` finds nothing
      // under Argo CD), so every render differs and the Application is OutOfSync forever. The webhook
      // only validates VolumeSnapshot objects, which the API server's CEL rules check as well.
      values: { webhook: { enabled: false, tls: { autogenerate: false } } },
    });
  }
}
