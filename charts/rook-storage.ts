import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { cephLayout, CephLayout, declaredStorageClasses, formatStorageIssues, StorageSection, storageHostIssues } from '../lib/storage-rules';
import { ChartPin, StorageClassRef } from '../lib/contracts';
import { withDefaults } from '../lib/defaults';
import { pinnedImage } from '../lib/pins';
import { STORAGE_DEFAULTS } from '../lib/tier-defaults';
import { CONTROL_PLANE_TAINT_KEY } from '../lib/kube';
import { PlatformChart } from '../lib/platform-chart';
import { PodSecurityLevel } from '../lib/pod-security';
import { warn } from '../lib/warnings';
import { CephBlockClasses } from './ceph-block-classes';
import { CephStorageCluster } from './ceph-storage-cluster';
import { Namespaces } from './namespaces';
import { RBD_DRIVER, ROOK_NAMESPACE, RookOperator } from './rook-operator';
import { WAVE } from '../lib/argocd';
import { byOrdinal } from '../lib/order';
import { allowFromHosts, allowToApiServer, ClusterAddresses } from '../lib/cluster-peers';
import { allowIngress, allowWithinNamespace, defaultDeny, NamespacePeer, Server } from '../lib/network-policy';

export { declaredStorageClasses };
export type { DeclaredStorageClass } from '../lib/storage-rules';

const ROOK_NETWORK_POLICY_EXCEPTION =
  "the RBD CSI node plugin (the ceph-csi operator's DaemonSet) runs in the host network, which NetworkPolicies do not govern; the namespace's policies govern every other pod: the operators, the CSI controller plugin and the Ceph daemons";

/** Ceph's ports: msgr2 and legacy msgr1 on the mons, the range OSDs and the mgr bind. @see https://docs.ceph.com/en/latest/rados/configuration/network-config-ref/ */
const CEPH_PORTS = [{ port: 3300 }, { port: 6789 }, { port: 6800, endPort: 7300 }];

const ROOK_POD_SECURITY_REASON =
  'Ceph OSDs run privileged on raw block devices and host paths (/dev, /var/lib/rook); the RBD CSI node plugin maps images into the host kernel and mounts them into the kubelet directory';

/** A host as storage sees it: its name, role, raw disks and taints. */
export interface RookHost {
  readonly name: string;
  /** Control-plane hosts carry kubeadm's taint, which Ceph's pods then tolerate. @default ['worker'] */
  readonly roles?: readonly ('control-plane' | 'worker')[];
  /** Raw block devices Ceph takes whole, e.g. `/dev/vdb`. @default - none: the host runs no OSD */
  readonly cephDisks?: readonly string[];
  /** The host's own taints, which Ceph's pods tolerate. @default - none */
  readonly taints?: readonly { readonly key: string; readonly value?: string; readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
}

/** The Ceph cluster's shape: each setting optional, with a default (lib/tier-defaults.ts `STORAGE_DEFAULTS`). */
export interface RookStorageOptions {
  /** Hosts whose `cephDisks` Ceph uses. @default - every host that lists cephDisks */
  readonly storageHosts?: readonly string[];
  /** Ceph monitors. @default - 1 on one or two storage hosts, 3 on three or more */
  readonly monCount?: number;
  /** Let several monitors share a host (survives daemon crashes, not host loss). @default false */
  readonly allowMultipleMonsPerNode?: boolean;
  /** Replicated RBD pools by name. @default - `replicapool`, copies by the number of hosts */
  readonly pools?: Readonly<Record<string, { readonly replicaSize?: number }>>;
  /** The two RBD StorageClasses. @default - `ceph-block` (cluster default, Delete) and `ceph-block-retain` (Retain), on `replicapool` */
  readonly classes?: {
    readonly general?: { readonly name?: string; readonly pool?: string };
    readonly retained?: { readonly name?: string; readonly pool?: string };
  };
}

export interface RookStorageProps extends RookStorageOptions {
  /** The cluster's hosts: Ceph runs on those that list `cephDisks`. */
  readonly hosts: readonly RookHost[];
  /** The cluster unit's `00-namespaces` chart, which gets the `rook-ceph` namespace. */
  readonly namespaces: Namespaces;
  /** Whether the monitoring stack (Prometheus Operator CRDs) is installed. @default false */
  readonly monitoring?: boolean;
  /** @default - the pin `ceph` of config/versions.yaml */
  readonly cephImage?: string;
  /** @default - the pins `rook-ceph`, `ceph-csi-drivers`, `snapshot-controller` of config/versions.yaml */
  readonly rookChart?: ChartPin;
  readonly csiDriversChart?: ChartPin;
  readonly snapshotControllerChart?: ChartPin;
  /** The cluster's addresses: the API server, and the hosts whose kernels map RBD images. @default - the ports alone, on any address */
  readonly clusterAddresses?: ClusterAddresses;
}

/** The host and storage settings with their defaults, in the shape the storage rules read. */
function storageSettings(props: RookStorageProps): { hosts: NormalizedHost[]; config: StorageSection } {
  const d = STORAGE_DEFAULTS;
  const hosts = props.hosts.map((h) => ({
    name: h.name,
    roles: [...(h.roles ?? ['worker'])],
    cephDisks: [...(h.cephDisks ?? [])],
    taints: [...(h.taints ?? [])],
  }));
  const config: StorageSection = {
    rook: true,
    hosts: props.storageHosts ? [...props.storageHosts] : undefined,
    monCount: props.monCount,
    allowMultipleMonsPerNode: props.allowMultipleMonsPerNode ?? d.allowMultipleMonsPerNode,
    pools: { ...(props.pools ?? d.pools) },
    classes: {
      general: withDefaults(d.classes.general, props.classes?.general ?? {}),
      retained: withDefaults(d.classes.retained, props.classes?.retained ?? {}),
    },
    external: [],
  };
  return { hosts, config };
}

type NormalizedHost = { name: string; roles: ('control-plane' | 'worker')[]; cephDisks: string[]; taints: NonNullable<RookHost['taints']>[number][] };

/**
 * Block storage for the cluster: Rook-Ceph on the inventory's raw disks, RBD images as
 * dynamically provisioned volumes. The layout follows the number of storage hosts (one host:
 * one mon, one copy per object; three or more: three mons, three copies on different hosts),
 * so growing the inventory grows the cluster. Nothing a commit can do destroys the data: the
 * Ceph objects and the namespace are never pruned or deleted by Argo CD, and no cleanup
 * policy is synthesized.
 * @see https://rook.io/docs/rook/v1.20/Getting-Started/intro/
 */
export class RookStorage extends PlatformChart {
  /** `general`: the cluster default (reclaim Delete); `retained`: for databases (reclaim Retain). */
  public readonly storageClasses: { readonly general: StorageClassRef; readonly retained: StorageClassRef };
  /** Namespace of the operator, the CSI drivers and the Ceph cluster. */
  public readonly rookNamespace: string;
  public readonly layout: CephLayout;

  constructor(scope: Construct, id: string, props: RookStorageProps) {
    super(scope, id);
    const { config, hosts } = storageSettings(props);
    this.addDependency(props.namespaces);
    this.node.addValidation({ validate: () => formatStorageIssues(storageHostIssues(hosts, config)) });

    this.rookNamespace = props.namespaces.add(ROOK_NAMESPACE, {
      podSecurity: PodSecurityLevel.PRIVILEGED,
      podSecurityReason: ROOK_POD_SECURITY_REASON,
      networkPolicyException: ROOK_NETWORK_POLICY_EXCEPTION,
      protect: true,
    });
    const layout = (this.layout = cephLayout(hosts, config));
    this.warnAboutRedundancy(layout);

    const storageHostConfigs = hosts.filter((h) => layout.hosts.some((s) => s.name === h.name));
    const cephTolerations = tolerationsFor(storageHostConfigs);
    new RookOperator(this, 'Operator', {
      rookChart: props.rookChart,
      csiDriversChart: props.csiDriversChart,
      snapshotControllerChart: props.snapshotControllerChart,
      monitoring: props.monitoring ?? false,
      tolerations: cephTolerations,
      nodePluginTolerations: tolerationsFor(hosts),
      controllerReplicas: hosts.length >= 2 ? 2 : 1,
    });

    new CephStorageCluster(this, 'Cluster', {
      namespace: this.rookNamespace,
      layout,
      cephImage: props.cephImage ?? pinnedImage('ceph'),
      monitoring: props.monitoring ?? false,
      allowMultipleMonsPerNode: config.allowMultipleMonsPerNode,
      tolerations: cephTolerations,
      syncWave: WAVE.platform,
    });

    const classes = new CephBlockClasses(this, 'Classes', {
      driver: RBD_DRIVER,
      clusterNamespace: this.rookNamespace,
      general: config.classes.general,
      retained: config.classes.retained,
      snapshotSyncWave: WAVE.platform,
    });
    this.storageClasses = { general: classes.general, retained: classes.retained };
    this.networkPolicies(props.clusterAddresses);
  }

  /** Lets a scraper (Prometheus) reach the mgr's and the Ceph exporter's metrics (Rook's ServiceMonitors). */
  public allowMetricsScraping(scraper: NamespacePeer): void {
    const metrics: Server[] = [
      { name: 'ceph-mgr-metrics', namespace: this.rookNamespace, selector: { app: 'rook-ceph-mgr' }, ports: [{ port: 9283 }] },
      { name: 'ceph-exporter-metrics', namespace: this.rookNamespace, selector: { app: 'rook-ceph-exporter' }, ports: [{ port: 9926 }] },
    ];
    for (const server of metrics) allowIngress(this, scraper, server);
  }

  /**
   * Ceph's daemons, the operator (which runs Ceph commands against the mons) and the CSI controller
   * talk among themselves on Ceph's port range, so the namespace allows itself. From outside, the
   * hosts reach the mons and OSDs: every kernel that maps an RBD image and the host-network node
   * plugin. Every pod here may call the API server (the operators, the mgr's Rook module, the
   * CSI controller's sidecars).
   */
  private networkPolicies(addresses: ClusterAddresses | undefined): void {
    const ns = this.rookNamespace;
    defaultDeny(this, ns);
    allowWithinNamespace(this, ns);
    allowFromHosts(this, { name: 'ceph', namespace: ns, selector: {}, ports: CEPH_PORTS }, addresses);
    allowToApiServer(this, { name: 'rook', namespace: ns, selector: {} }, addresses);
  }

  private warnAboutRedundancy(layout: CephLayout): void {
    const single = layout.pools.filter((p) => p.replicaSize === 1).map((p) => p.name);
    if (single.length === 0) return;
    const where = layout.hosts.length === 1 ? `one storage host ("${layout.hosts[0].name}")` : `replicaSize 1`;
    warn(
      'platform:storage:singleReplica',
      `Ceph pool(s) ${single.join(', ')} keep one copy of each object (${where}): a failed disk or host loses every volume on it. ` +
        'Add hosts with cephDisks (three for three copies on different hosts) and keep backups off the cluster.',
      this,
    );
  }
}

/** Tolerations for the control-plane taint (where those hosts carry Ceph) and the hosts' own taints. */
export function tolerationsFor(hosts: readonly NormalizedHost[]): k8s.Toleration[] {
  const byKey = new Map<string, k8s.Toleration>();
  const add = (t: k8s.Toleration) => byKey.set(JSON.stringify([t.key, t.operator, t.value ?? '', t.effect]), t);
  if (hosts.some((h) => h.roles.includes('control-plane'))) add({ key: CONTROL_PLANE_TAINT_KEY, operator: 'Exists', effect: 'NoSchedule' });
  for (const taint of hosts.flatMap((h) => h.taints)) {
    add(
      taint.value === undefined
        ? { key: taint.key, operator: 'Exists', effect: taint.effect }
        : { key: taint.key, operator: 'Equal', value: taint.value, effect: taint.effect },
    );
  }
  return [...byKey.entries()].sort(([a], [b]) => byOrdinal(a, b)).map(([, t]) => t);
}
