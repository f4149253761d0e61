/** Cluster addresses for the add-on namespaces' policy tests: three control planes behind a VIP, one worker. */
import { clusterAddresses, ClusterAddresses } from '../lib/cluster-peers';
import { Namespaces } from '../charts/namespaces';

export const POD_CIDR = '10.244.0.0/16';
export const HA_ADDRESSES: ClusterAddresses = clusterAddresses({
  hosts: [
    { name: 'cp-1', address: '198.51.100.11', roles: ['control-plane'] },
    { name: 'cp-2', address: '198.51.100.12', addressV6: '2001:db8::12', roles: ['control-plane'] },
    { name: 'cp-3', address: '198.51.100.13', roles: ['control-plane', 'worker'] },
    { name: 'worker-1', address: '198.51.100.21', roles: ['worker'] },
  ],
  controlPlaneEndpoint: { vip: '198.51.100.10' },
  network: { podCidr: POD_CIDR },
});
export const CONTROL_PLANE_BLOCKS = ['198.51.100.11/32', '198.51.100.12/32', '2001:db8::12/128', '198.51.100.13/32'];
export const HOST_BLOCKS = [...CONTROL_PLANE_BLOCKS, '198.51.100.21/32'];

/** `name → spec` of the NetworkPolicies among synthesized documents, in one namespace. */
export function policiesIn(docs: readonly any[], namespace: string): Record<string, any> {
  return Object.fromEntries(docs.filter((d) => d.kind === 'NetworkPolicy' && d.metadata.namespace === namespace).map((p) => [p.metadata.name, p.spec]));
}

/** The CIDRs of a policy rule's peers. */
export const cidrsOf = (rule: any): string[] => (rule.to ?? rule.from ?? []).map((p: any) => p.ipBlock?.cidr);

/** The network-policy exception of a namespace of the chart, if any. */
export function exceptionOf(namespaces: Namespaces, name: string): string | undefined {
  const ns = namespaces.node.findAll().find((c: any) => c.kind === 'Namespace' && c.name === name) as any;
  return ns?.toJson().metadata.annotations?.['platform.campus/network-policy-exception'];
}
