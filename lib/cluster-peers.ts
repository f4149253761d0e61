/**
 * The cluster's own addresses as NetworkPolicies have to name them, in one place. The API server,
 * the kubelets, node-exporter and the hosts' kernels (RBD) live on the host network, which no pod
 * selector matches, so policies reach them by address.
 *
 * Two Calico facts decide the shape (the default CNI, config/schema/cluster.ts):
 * - Calico evaluates a pod's egress after kube-proxy's DNAT, so a call to the `kubernetes` Service
 *   is seen going to a control-plane host's address on the API server's port, never to the Service
 *   IP (only Calico's pre-DNAT host policies see the original destination:
 *   https://docs.projectcalico.org/v3.1/getting-started/bare-metal/policy/pre-dnat).
 * - A host's connection to a pod on another node leaves through Calico's tunnel (IPIP or VXLAN)
 *   with the tunnel device's address, which Calico takes from the node's block of the pod CIDR
 *   (projectcalico/calico#721, #3665). A webhook call from the API server therefore arrives from a
 *   control-plane host's address (same node) or from an address in the pod CIDR (another node);
 *   the pod CIDR is what works, and it admits other pods on that one port too, which the
 *   webhook's TLS and the API server's authentication have to carry.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ClusterSpec, DEFAULT_POD_CIDR } from './cluster-spec';
import { API_SERVER_PORT } from './kube';
import { PodGroup, policyPorts, Server, ServerPort } from './network-policy';

/** The cluster's addresses in the shape policies use (see {@link clusterAddresses}). */
export interface ClusterAddresses {
  /** Where API calls land after DNAT: each control-plane host on 6443, the VIP on its haproxy port. */
  readonly apiServer: readonly { readonly cidr: string; readonly port: number }[];
  /** Where the API server's webhook calls come from: the control-plane hosts and the pod CIDR (tunnels). */
  readonly controlPlaneSources: readonly string[];
  /** Where host-network clients' calls come from: every host and the pod CIDR (tunnels). */
  readonly hostSources: readonly string[];
  /** Every host, as a single-address CIDR: targets on the host network (kubelets, node-exporter). */
  readonly hosts: readonly string[];
  /** Where the front proxy listens on 80/443: the control-plane hosts and the VIP. */
  readonly entry: readonly string[];
}

/** The cluster description the addresses are derived from: a {@link ClusterSpec} (the config's `cluster` section). */
export type ClusterAddressInput = Pick<ClusterSpec, 'hosts' | 'controlPlaneEndpoint' | 'apiServerAddress' | 'network'>;

const single = (address: string): string => (address.includes(':') ? `${address}/128` : `${address}/32`);
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** haproxy's default port in front of several API servers (lib/cluster-spec.ts ControlPlaneEndpointSpec). */
const VIP_DEFAULT_PORT = 8443;

export function clusterAddresses(cluster: ClusterAddressInput): ClusterAddresses {
  const podCidr = cluster.network?.podCidr ?? DEFAULT_POD_CIDR;
  const addressesOf = (h: ClusterAddressInput['hosts'][number]) => [h.address, ...(h.addressV6 ? [h.addressV6] : [])].map(single);
  const controlPlanes = cluster.hosts.filter((h) => h.roles.includes('control-plane')).flatMap(addressesOf);
  const hosts = cluster.hosts.flatMap(addressesOf);
  const apiServer = [
    ...controlPlanes.map((cidr) => ({ cidr, port: API_SERVER_PORT })),
    // A pod that was handed the cluster's public API address rather than the Service reaches it here.
    ...(cluster.controlPlaneEndpoint ? [{ cidr: single(cluster.controlPlaneEndpoint.vip), port: cluster.controlPlaneEndpoint.port ?? VIP_DEFAULT_PORT }] : []),
    ...(cluster.apiServerAddress && IPV4.test(cluster.apiServerAddress) ? [{ cidr: single(cluster.apiServerAddress), port: API_SERVER_PORT }] : []),
  ];
  const unique = <T>(xs: readonly T[], key: (x: T) => string) => [...new Map(xs.map((x) => [key(x), x])).values()];
  return {
    apiServer: unique(apiServer, (e) => `${e.cidr}:${e.port}`),
    controlPlaneSources: unique([...controlPlanes, podCidr], String),
    hostSources: unique([...hosts, podCidr], String),
    hosts: unique(hosts, String),
    entry: unique([...controlPlanes, ...(cluster.controlPlaneEndpoint ? [single(cluster.controlPlaneEndpoint.vip)] : [])], String),
  };
}

const blocks = (cidrs: readonly string[]): k8s.NetworkPolicyPeer[] => cidrs.map((cidr) => ({ ipBlock: { cidr } }));

/**
 * Lets `pods` call the API server. Without the cluster's addresses (a construct composed by hand)
 * the rule names the port alone.
 */
export function allowToApiServer(scope: Construct, pods: PodGroup, addresses?: ClusterAddresses): void {
  const byPort = new Map<number, string[]>();
  for (const e of addresses?.apiServer ?? []) byPort.set(e.port, [...(byPort.get(e.port) ?? []), e.cidr]);
  const egress: k8s.NetworkPolicyEgressRule[] = addresses
    ? [...byPort.entries()].map(([port, cidrs]) => ({ to: blocks(cidrs), ports: [{ port: k8s.IntOrString.fromNumber(port), protocol: 'TCP' }] }))
    : [{ ports: [{ port: k8s.IntOrString.fromNumber(API_SERVER_PORT), protocol: 'TCP' }] }];
  new k8s.KubeNetworkPolicy(scope, `Egress-${pods.name}-to-kube-apiserver`, {
    metadata: { name: `egress-${pods.name}-to-kube-apiserver`, namespace: pods.namespace },
    spec: { podSelector: { matchLabels: { ...pods.selector } }, policyTypes: ['Egress'], egress },
  });
}

/** Lets the API server call a webhook (or an aggregated API) served by `server`. */
export function allowFromApiServer(scope: Construct, server: Server, addresses?: ClusterAddresses): void {
  fromAddresses(scope, server, 'kube-apiserver', addresses?.controlPlaneSources);
}

/** Lets host-network clients (kernels, kubelets, host-network pods) reach `server`. */
export function allowFromHosts(scope: Construct, server: Server, addresses?: ClusterAddresses): void {
  fromAddresses(scope, server, 'hosts', addresses?.hostSources);
}

/** Lets `pods` reach servers on the hosts' own network (kubelets, node-exporter) on `ports`. */
export function allowToHosts(scope: Construct, pods: PodGroup, ports: readonly ServerPort[], addresses?: ClusterAddresses): void {
  new k8s.KubeNetworkPolicy(scope, `Egress-${pods.name}-to-hosts`, {
    metadata: { name: `egress-${pods.name}-to-hosts`, namespace: pods.namespace },
    spec: {
      podSelector: { matchLabels: { ...pods.selector } },
      policyTypes: ['Egress'],
      egress: [{ ...(addresses ? { to: blocks(addresses.hosts) } : {}), ports: policyPorts({ ports }) }],
    },
  });
}

/** CIDRs as policy peers. */
export const ipBlocks = blocks;

function fromAddresses(scope: Construct, server: Server, from: string, cidrs: readonly string[] | undefined): void {
  new k8s.KubeNetworkPolicy(scope, `Ingress-${from}-to-${server.name}`, {
    metadata: { name: `ingress-${server.name}-from-${from}`, namespace: server.namespace },
    spec: {
      podSelector: { matchLabels: { ...server.selector } },
      policyTypes: ['Ingress'],
      ingress: [{ ...(cidrs ? { from: blocks(cidrs) } : {}), ports: policyPorts(server) }],
    },
  });
}
