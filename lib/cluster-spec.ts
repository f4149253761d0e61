/**
 * The cluster as a team describes it: the vocabulary of `ClusterBootstrapProps.cluster` and of
 * the config's `cluster` section (config/schema/cluster.ts holds the rules and asserts at compile
 * time that both describe the same thing). Every field with a default may be left out.
 */

/** A machine of the cluster. */
export interface HostSpec {
  /** Host name (a DNS label); also the node name. */
  readonly name: string;
  readonly address: string;
  readonly addressV6?: string;
  /** `['control-plane']`, `['worker']`, or both. */
  readonly roles: readonly ('control-plane' | 'worker')[];
  /** Raw block devices handed to Ceph whole. @default [] */
  readonly cephDisks?: readonly string[];
  /** Node labels. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly taints?: readonly { readonly key: string; readonly value?: string; readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  /** Interface of `address`; carries the VIP on control planes of an HA cluster. @default - `controlPlaneEndpoint.interface` */
  readonly interface?: string;
}

/** The API endpoint of several control planes: a keepalived VIP in front of haproxy. */
export interface ControlPlaneEndpointSpec {
  readonly vip: string;
  /** Port haproxy listens on; never 6443, which the local API server binds. @default 8443 */
  readonly port?: number;
  /** Interface that carries the VIP on control planes without their own `interface`. @default - none: each control plane names its own */
  readonly interface?: string;
  /** VRRP router id, unique on the VIP's segment. @default - derived from the cluster name */
  readonly virtualRouterId?: number;
}

/** The pod network when `network.podCidr` is not set (Calico's default IP pool). */
export const DEFAULT_POD_CIDR = '192.168.0.0/16';

export interface ClusterSpec {
  /** Cluster name (a DNS label). */
  readonly name: string;
  /** Exact Kubernetes patch release. @default - `kubernetes.release` of config/versions.yaml */
  readonly kubernetesVersion?: string;
  readonly hosts: readonly HostSpec[];
  /** @default - pods 192.168.0.0/16, services 10.96.0.0/12, domain cluster.local */
  readonly network?: { readonly podCidr?: string; readonly serviceCidr?: string; readonly dnsDomain?: string; readonly hostCidr?: string };
  /** @default 'calico' (flannel enforces no NetworkPolicy) */
  readonly cni?: 'calico' | 'flannel';
  /** @default 'iptables' */
  readonly kubeProxyMode?: 'iptables' | 'ipvs' | 'nftables';
  /** Required with more than one control-plane host. @default - none (one control plane) */
  readonly controlPlaneEndpoint?: ControlPlaneEndpointSpec;
  /** Without a VIP: the DNS name or address of the API (port 6443); keep it when the cluster grows. @default - the first control plane's address */
  readonly apiServerAddress?: string;
  /** Host OS family, for the containerd apt repository. @default 'debian' */
  readonly distribution?: 'debian' | 'ubuntu';
  /** Whether this project's bootstrap manages the hosts' sysctls. @default true */
  readonly hostsManaged?: boolean;
  /** @default - daily at 01:00, 7 kept */
  readonly etcdSnapshots?: { readonly onCalendar?: string; readonly keep?: number };
}
