/** The cluster's addresses as policies name them (lib/cluster-peers.ts). */
import { clusterAddresses } from '../lib/cluster-peers';
import { CONTROL_PLANE_BLOCKS, HA_ADDRESSES, HOST_BLOCKS, POD_CIDR } from './network-fixtures';

test('API calls land on each control plane at 6443 (after DNAT), or on the VIP at its haproxy port', () => {
  expect(HA_ADDRESSES.apiServer).toEqual([...CONTROL_PLANE_BLOCKS.map((cidr) => ({ cidr, port: 6443 })), { cidr: '198.51.100.10/32', port: 8443 }]);
});

test("webhook calls come from the control planes or, across nodes, Calico's tunnel addresses in the pod CIDR", () => {
  expect(HA_ADDRESSES.controlPlaneSources).toEqual([...CONTROL_PLANE_BLOCKS, POD_CIDR]);
  expect(HA_ADDRESSES.hostSources).toEqual([...HOST_BLOCKS, POD_CIDR]);
  expect(HA_ADDRESSES.hosts).toEqual(HOST_BLOCKS);
  expect(HA_ADDRESSES.entry).toEqual([...CONTROL_PLANE_BLOCKS, '198.51.100.10/32']);
});

test('one host with an apiServerAddress: the address counts when it is an IP, not when it is a name', () => {
  const one = (apiServerAddress?: string) =>
    clusterAddresses({ hosts: [{ name: 'one', address: '192.0.2.55', roles: ['control-plane', 'worker'] }], apiServerAddress });
  expect(one().apiServer).toEqual([{ cidr: '192.0.2.55/32', port: 6443 }]);
  expect(one('192.0.2.56').apiServer).toEqual([
    { cidr: '192.0.2.55/32', port: 6443 },
    { cidr: '192.0.2.56/32', port: 6443 },
  ]);
  expect(one('api.example.org').apiServer).toEqual([{ cidr: '192.0.2.55/32', port: 6443 }]);
  // The same address twice is named once; the pod CIDR defaults to Calico's pool, as in the config.
  expect(one('192.0.2.55').apiServer).toEqual([{ cidr: '192.0.2.55/32', port: 6443 }]);
  expect(one().hostSources).toEqual(['192.0.2.55/32', '192.168.0.0/16']);
});
