/**
 * Schema of `cluster`: the host inventory the bootstrap and storage layers are built from.
 * Field checks live on the fields; rules that span fields (quorum, overlaps, duplicates)
 * live in `checkCluster` below, each reported with the path of the field to fix.
 */
import type { ClusterSpec, HostSpec } from '../../lib/cluster-spec';
import * as ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { dnsLabel, hostname, integer, port } from './primitives';
import { DEFAULT_POD_CIDR } from '../../lib/cluster-spec';

/** Oldest Kubernetes minor still supported upstream (the newest three minors are; 1.31 is the floor we accept). */
export const MIN_KUBERNETES_MINOR = 31;

/** Ports the control-plane hosts already use, so the API endpoint port must avoid them. */
const RESERVED_CONTROL_PLANE_PORTS: Readonly<Record<number, string>> = {
  80: 'haproxy (edge HTTP)',
  443: 'haproxy (edge HTTPS)',
  2379: 'etcd clients',
  2380: 'etcd peers',
  6443: 'the kube-apiserver on every control-plane host',
  10250: 'the kubelet',
  10257: 'kube-controller-manager',
  10259: 'kube-scheduler',
};

/**
 * The pinned release (config/versions.yaml `kubernetes.release`): the default and the newest
 * release a config may ask for. The loader hands it in before parsing (config/load.ts), so the
 * schema itself reads no file.
 */
let pinnedRelease: string | undefined;
export function usePinnedKubernetesRelease(release: string): void {
  pinnedRelease = release;
}
export function pinnedKubernetesRelease(): string {
  if (!pinnedRelease)
    throw new Error('the pinned Kubernetes release is not set: parse configs with config/load.ts parseConfig(), which reads config/versions.yaml');
  return pinnedRelease;
}

const minorOf = (version: string): number => Number(version.split('.')[1]);

const ipv4 = () => z.ipv4({ error: 'expected an IPv4 address such as "192.0.2.10"' });
const cidr = () =>
  z.cidrv4({ error: 'expected an IPv4 CIDR such as "10.96.0.0/12"' }).superRefine((value, ctx) => {
    // zod runs this refinement even when the format check above failed: only a CIDR is read here.
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(value) || !ipaddr.IPv4.isValidCIDR(value)) return;
    const network = ipaddr.IPv4.networkAddressFromCIDR(value).toString();
    const [address, bits] = value.split('/');
    if (network !== address)
      ctx.addIssue({ code: 'custom', message: `expected a network address with the host bits zero ("${network}/${bits}")`, input: value });
  });

const kubernetesVersion = () =>
  z
    .string({ error: 'expected a string' })
    .regex(/^1\.[0-9]+\.[0-9]+$/, { error: 'expected an exact Kubernetes release such as "1.36.2"' })
    .superRefine((version, ctx) => {
      const newest = minorOf(pinnedKubernetesRelease());
      const minor = minorOf(version);
      if (minor < MIN_KUBERNETES_MINOR) {
        ctx.addIssue({
          code: 'custom',
          input: version,
          message: `expected a supported Kubernetes release (1.${MIN_KUBERNETES_MINOR} to 1.${newest}): 1.${minor} is out of upstream support and gets no security fixes; the manifests still use the 1.28 API level, which newer clusters accept`,
        });
      } else if (minor > newest) {
        ctx.addIssue({
          code: 'custom',
          input: version,
          message: `expected a Kubernetes release up to 1.${newest}, the newest this project holds a schema for (raise kubernetes.release in config/versions.yaml together with a schema refresh first)`,
        });
      }
    });

/** `/dev/vdb`, `/dev/disk/by-id/…`: handed to Ceph whole. */
const devicePath = () =>
  z
    .string({ error: 'expected a string' })
    .regex(/^\/dev\/[A-Za-z0-9][A-Za-z0-9._:/-]*$/, { error: 'expected a block device path under /dev/ such as "/dev/vdb"' })
    // The NoCloud seed is attached as a CD-ROM (bootstrap/README.md): it must never be handed to Ceph.
    .refine((d) => !/^\/dev\/(sr[0-9]+|cdrom)$/.test(d), {
      error:
        'expected a data disk, not the CD-ROM that carries the cloud-init seed (/dev/sr0): attach the seed as a CD-ROM and give Ceph a raw disk such as /dev/vdb',
    });

/** Labels in the kubernetes.io / k8s.io namespaces a kubelet may put on its own Node (NodeRestriction). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
]);
const KUBELET_LABEL_PREFIXES = ['kubelet.kubernetes.io/', 'node.kubernetes.io/'];
function kubeletMaySet(key: string, prefix: string | undefined): boolean {
  const reserved = prefix !== undefined && /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix);
  return !reserved || KUBELET_LABELS.has(key) || KUBELET_LABEL_PREFIXES.some((p) => key.startsWith(p));
}

/** Label keys: optional DNS-subdomain prefix, then a name of at most 63 characters. */
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const qualifiedName = (what: string) =>
  z.string({ error: 'expected a string' }).superRefine((key, ctx) => {
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    const prefixOk = prefix === undefined || (prefix.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(prefix));
    if (!prefixOk || !LABEL_NAME.test(name)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a ${what} such as "example.org/rack" (optional DNS prefix, then at most 63 letters, digits, "-", "_" or ".")`,
        input: key,
      });
    } else if (what === 'label key' && !kubeletMaySet(key, prefix)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a label the kubelet may set on its own Node: under kubernetes.io and k8s.io only ${KUBELET_LABEL_PREFIXES.join(', ')} and ${[...KUBELET_LABELS].join(', ')} pass the NodeRestriction admission plugin (roles come from "roles")`,
        input: key,
      });
    }
  });
const labelValue = () =>
  z
    .string({ error: 'expected a string (quote numbers and booleans)' })
    .regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/, { error: 'expected a label value (at most 63 letters, digits, "-", "_" or ".")' })
    .max(63, { error: 'expected at most 63 characters' });

const networkInterface = () =>
  z
    .string({ error: 'expected a network interface name such as "eth0"' })
    .regex(/^[A-Za-z0-9_.:-]{1,15}$/, { error: 'expected a network interface name such as "eth0"' });

const host = z.strictObject({
  name: dnsLabel(),
  address: ipv4(),
  addressV6: z.ipv6({ error: 'expected an IPv6 address' }).optional(),
  /** `[control-plane]`, `[worker]`, or both. */
  roles: z
    .array(z.enum(['control-plane', 'worker'], { error: 'expected "control-plane" or "worker"' }))
    .min(1, { error: 'expected at least one role' })
    .refine((roles) => new Set(roles).size === roles.length, { error: 'expected each role at most once' }),
  /** Raw block devices handed to Ceph whole (never formatted or mounted by the host config). */
  cephDisks: z.array(devicePath()).default([]),
  labels: z.record(qualifiedName('label key'), labelValue()).default({}),
  taints: z
    .array(z.strictObject({ key: qualifiedName('taint key'), value: labelValue().optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) }))
    .default([]),
  /**
   * Network interface of `address` (`ip -br addr` shows it): it carries the VIP on control-plane
   * hosts of an HA cluster. Cloud images name it `ens3`, `enp1s0` or `eth0`; keepalived refuses a
   * name the host does not have. @default - `controlPlaneEndpoint.interface`
   */
  interface: networkInterface().optional(),
});

const controlPlaneEndpoint = z.strictObject({
  /** Virtual IP held by keepalived on one control-plane host at a time. */
  vip: ipv4(),
  /**
   * Port haproxy listens on (on every control-plane host) and forwards to the API servers on 6443.
   * It cannot be 6443 itself: the local kube-apiserver already binds it on the same hosts.
   * @default 8443
   */
  port: port().default(8443),
  /** Interface that carries the VIP on control-plane hosts without their own `interface`. @default - none: each control-plane host names its own */
  interface: networkInterface().optional(),
  /** VRRP router id, unique on the VIP's network segment. @default - derived from the cluster name */
  virtualRouterId: integer({ min: 1, max: 255 }).optional(),
});

const cidrDefaults = { podCidr: DEFAULT_POD_CIDR, serviceCidr: '10.96.0.0/12', dnsDomain: 'cluster.local' };

const clusterFields = z.strictObject({
  name: dnsLabel(),
  /** Exact Kubernetes patch release the hosts install; default from config/versions.yaml. */
  kubernetesVersion: kubernetesVersion().default(() => pinnedKubernetesRelease()),
  hosts: z.array(host).min(1, { error: 'expected at least one host' }),
  network: z
    .strictObject({
      podCidr: cidr().default(cidrDefaults.podCidr),
      serviceCidr: cidr().default(cidrDefaults.serviceCidr),
      dnsDomain: hostname().default(cidrDefaults.dnsDomain),
      /** The hosts' own subnet; when given, it must not overlap the pod and service CIDRs and must hold every host address. */
      hostCidr: cidr().optional(),
    })
    .default(cidrDefaults),
  cni: z.enum(['calico', 'flannel']).default('calico'),
  kubeProxyMode: z.enum(['iptables', 'ipvs', 'nftables']).default('iptables'),
  /** Virtual IP held by keepalived on the control-plane hosts; required with more than one (unless `apiServerAddress`). */
  controlPlaneEndpoint: controlPlaneEndpoint.optional(),
  /**
   * Without a VIP: the name or address every kubelet, join and client uses for the API (port
   * 6443), kubeadm's `controlPlaneEndpoint`. kubeadm can only add control planes to a cluster
   * that was initialised with one, so every cluster gets it; a DNS name you control is the best
   * choice, since it can later point elsewhere. Keep it unchanged when the cluster grows.
   * @default - the first control-plane host's address
   */
  apiServerAddress: z.union([ipv4(), hostname()], { error: 'expected a DNS name or an IPv4 address' }).optional(),
  /** Host OS family, for the containerd apt repository path. */
  distribution: z.enum(['debian', 'ubuntu']).default('debian'),
  /** Whether this project's bootstrap manages the hosts (sysctls such as vm.max_map_count). */
  hostsManaged: z.boolean().default(true),
  etcdSnapshots: z
    .strictObject({
      /** systemd OnCalendar expression of the snapshot timer. */
      onCalendar: z
        .string()
        .regex(/^[-*0-9:., /A-Za-z~]+$/, { error: 'expected a systemd calendar expression such as "*-*-* 01:00:00"' })
        .default('*-*-* 01:00:00'),
      /** Snapshots kept on each control-plane host (savelog cycles need at least 2). */
      keep: integer({ min: 2, max: 100 }).default(7),
    })
    .default({ onCalendar: '*-*-* 01:00:00', keep: 7 }),
});

type Path = (string | number)[];
type ClusterShape = z.infer<typeof clusterFields>;

const isControlPlane = (h: { roles: readonly string[] }) => h.roles.includes('control-plane');
const isWorker = (h: { roles: readonly string[] }) => h.roles.includes('worker');

function overlaps(a: string, b: string): boolean {
  const [na, ba] = ipaddr.parseCIDR(a);
  const [nb, bb] = ipaddr.parseCIDR(b);
  return na.match(nb, bb) || nb.match(na, ba);
}
const inside = (address: string, range: string) => ipaddr.parse(address).match(ipaddr.parseCIDR(range));

/** Why no host (or VIP) can use `address`: a special range, or the network or broadcast address of `hostCidr`. */
function unusableAddress(address: string, hostCidr: string | undefined): string | undefined {
  const kind = ipaddr.parse(address).range();
  const special: Record<string, string> = {
    unspecified: 'the unspecified address',
    loopback: 'a loopback address (127.0.0.0/8 never leaves the host)',
    broadcast: 'the broadcast address',
    multicast: 'a multicast address',
    linkLocal: 'a link-local address (169.254.0.0/16)',
  };
  if (special[kind]) return special[kind];
  if (hostCidr) {
    const bits = Number(hostCidr.split('/')[1]);
    if (bits <= 30) {
      if (address === ipaddr.IPv4.networkAddressFromCIDR(hostCidr).toString()) return `the network address of ${hostCidr}`;
      if (address === ipaddr.IPv4.broadcastAddressFromCIDR(hostCidr).toString()) return `the broadcast address of ${hostCidr}`;
    }
  }
  return undefined;
}

/** Cross-field rules; every problem is reported, each at the field to change. */
function checkCluster(c: ClusterShape, issue: (path: Path, message: string, input: unknown) => void): void {
  const controlPlanes = c.hosts.filter(isControlPlane);
  const n = controlPlanes.length;
  if (n === 0) issue(['hosts'], 'expected at least one host with the "control-plane" role', 0);
  else if (n % 2 === 0) {
    issue(
      ['hosts'],
      `expected an odd number of control-plane hosts (1, 3 or 5): etcd needs a quorum of ⌊N/2⌋+1 members, so ${n} members tolerate ${n / 2 - 1} failure(s), the same as ${n - 1} members; the extra member gains nothing and is one more machine whose loss counts against quorum (${controlPlanes.map((h) => h.name).join(', ')})`,
      n,
    );
  }
  if (!c.hosts.some(isWorker))
    issue(['hosts'], 'expected at least one host with the "worker" role (control-plane-only hosts are tainted NoSchedule, so nothing else could run)', 0);
  if (n > 1 && !c.controlPlaneEndpoint && !c.apiServerAddress) {
    issue(
      ['controlPlaneEndpoint'],
      `expected { vip, interface } with more than one control-plane host (${n} here): kubelets and clients need one stable address in front of all API servers (a cluster that grew from one control plane sets apiServerAddress to the address it was initialised with instead)`,
      undefined,
    );
  }
  if (c.controlPlaneEndpoint && c.apiServerAddress)
    issue(
      ['apiServerAddress'],
      'expected either controlPlaneEndpoint (a VIP) or apiServerAddress, not both: the cluster has one API endpoint',
      c.apiServerAddress,
    );
  if (c.controlPlaneEndpoint && !c.controlPlaneEndpoint.interface) {
    c.hosts.forEach((h, i) => {
      if (isControlPlane(h) && !h.interface)
        issue(
          ['hosts', i, 'interface'],
          `expected the network interface of ${h.address} on ${h.name} (such as "ens3" or "eth0"; \`ip -br addr\` shows it): keepalived holds the VIP on it (or set controlPlaneEndpoint.interface for every control-plane host)`,
          undefined,
        );
    });
  }

  const names = new Map<string, number>();
  const addresses = new Map<string, number>();
  c.hosts.forEach((h, i) => {
    const seenName = names.get(h.name);
    if (seenName !== undefined) issue(['hosts', i, 'name'], `expected a host name unique in cluster.hosts (hosts[${seenName}] has it too)`, h.name);
    else names.set(h.name, i);
    for (const field of ['address', 'addressV6'] as const) {
      const value = h[field];
      if (value === undefined) continue;
      const key = ipaddr.parse(value).toNormalizedString();
      const seen = addresses.get(key);
      if (seen !== undefined) issue(['hosts', i, field], `expected an address unique in cluster.hosts (hosts[${seen}] has it too)`, value);
      else addresses.set(key, i);
    }
    const disks = new Set<string>();
    h.cephDisks.forEach((disk, j) => {
      if (disks.has(disk)) issue(['hosts', i, 'cephDisks', j], 'expected each Ceph disk once per host', disk);
      disks.add(disk);
    });
  });

  const { podCidr, serviceCidr, hostCidr } = c.network;
  if (overlaps(podCidr, serviceCidr)) issue(['network', 'serviceCidr'], `expected a service CIDR that does not overlap the pod CIDR ${podCidr}`, serviceCidr);
  if (ipaddr.parseCIDR(serviceCidr)[1] < 12)
    issue(['network', 'serviceCidr'], 'expected a service CIDR no larger than /12 (the kube-apiserver limit for IPv4)', serviceCidr);
  if (hostCidr) {
    if (overlaps(hostCidr, podCidr)) issue(['network', 'hostCidr'], `expected a host network that does not overlap the pod CIDR ${podCidr}`, hostCidr);
    if (overlaps(hostCidr, serviceCidr))
      issue(['network', 'hostCidr'], `expected a host network that does not overlap the service CIDR ${serviceCidr}`, hostCidr);
  }
  const checkAddress = (path: Path, address: string) => {
    const unusable = unusableAddress(address, hostCidr);
    if (unusable) issue(path, `expected an address a host can own on its network, not ${unusable}`, address);
    else if (inside(address, podCidr)) issue(path, `expected an address outside the pod CIDR ${podCidr} (pod routes would shadow it)`, address);
    else if (inside(address, serviceCidr)) issue(path, `expected an address outside the service CIDR ${serviceCidr} (kube-proxy would capture it)`, address);
    else if (hostCidr && !inside(address, hostCidr)) issue(path, `expected an address inside network.hostCidr ${hostCidr}`, address);
  };
  c.hosts.forEach((h, i) => checkAddress(['hosts', i, 'address'], h.address));

  const endpoint = c.controlPlaneEndpoint;
  if (endpoint) {
    const owner = c.hosts.findIndex((h) => h.address === endpoint.vip);
    if (owner >= 0)
      issue(
        ['controlPlaneEndpoint', 'vip'],
        `expected a free address for the virtual IP, not the address of hosts[${owner}] (${c.hosts[owner].name}): keepalived moves the VIP between hosts`,
        endpoint.vip,
      );
    else checkAddress(['controlPlaneEndpoint', 'vip'], endpoint.vip);
    const taken = RESERVED_CONTROL_PLANE_PORTS[endpoint.port];
    if (taken)
      issue(
        ['controlPlaneEndpoint', 'port'],
        `expected a port not already used on the control-plane hosts: ${endpoint.port} is ${taken} (haproxy listens on this port and forwards to the API servers on 6443; 8443 is the usual choice)`,
        endpoint.port,
      );
  }

  if (c.cni === 'flannel' && podCidr !== '10.244.0.0/16') {
    issue(['network', 'podCidr'], 'expected 10.244.0.0/16 with cni "flannel": the pinned upstream kube-flannel manifest hard-codes that network', podCidr);
  }
}

// Cross-field rules run once every field is valid (they read addresses and CIDRs as such).
export const cluster = clusterFields.superRefine(
  (c, ctx) => checkCluster(c, (path, message, input) => ctx.addIssue({ code: 'custom', path, message, input })),
  { when: (payload) => payload.issues.length === 0 },
);

export type ClusterConfig = z.infer<typeof cluster>;

// The hand-written vocabulary (lib/cluster-spec.ts) and the schema describe the same section: a
// spec is what the schema reads (up to readonly), and what it returns is again a spec. tsc fails here when they drift.
type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
type Fits<Wide, Narrow extends Wide> = Narrow;
export type SpecIsSchemaInput = Fits<DeepReadonly<z.input<typeof cluster>>, ClusterSpec>;
export type SchemaOutputIsSpec = Fits<ClusterSpec, ClusterConfig>;
// …and neither has a field the other lacks (at the top and per host).
export type SameFields = [
  Fits<keyof ClusterSpec, keyof ClusterConfig>,
  Fits<keyof ClusterConfig, keyof ClusterSpec>,
  Fits<keyof HostSpec, keyof HostConfig>,
  Fits<keyof HostConfig, keyof HostSpec>,
];
export type HostConfig = z.infer<typeof host>;
