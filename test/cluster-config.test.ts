/** The `cluster` inventory: defaults, and the exact text of each inventory error. */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { ConfigError, loadConfig, parseConfig } from '../config/load';
import { loadVersions } from '../config/versions';
import { resolveSchemaLocation } from '../lib/validate/schema-store';
import { repoRoot } from '../lib/repo-root';

const FILE = 'test/fixtures/berkeleytime.yaml';
const base = yaml.load(fs.readFileSync(path.join(repoRoot(), FILE), 'utf8'), { schema: yaml.CORE_SCHEMA }) as Record<string, any>;

/** The default platform with `cluster` changed by `edit`; returns the error lines (none when valid). */
function problems(edit: (cluster: Record<string, any>) => void): string[] {
  const config = structuredClone(base);
  edit(config.cluster);
  try {
    parseConfig(yaml.dump(config), FILE);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
}

const cp = (name: string, address: string) => ({ name, address, roles: ['control-plane'], cephDisks: ['/dev/vdb'] });
const worker = (name: string, address: string) => ({ name, address, roles: ['worker'], cephDisks: ['/dev/vdb'] });
const threeControlPlanes = (c: Record<string, any>) => {
  c.hosts = [cp('cp-1', '192.0.2.11'), cp('cp-2', '192.0.2.12'), cp('cp-3', '192.0.2.13'), worker('w-1', '192.0.2.21')];
  c.controlPlaneEndpoint = { vip: '192.0.2.10', interface: 'eth0' };
};

describe('cluster inventory defaults', () => {
  test("the default platform is the seeds' single host with Ceph on /dev/vdb", () => {
    const { cluster } = loadConfig(path.join(repoRoot(), FILE));
    expect(cluster.hosts).toEqual([
      { name: 'hozer-55', address: '192.0.2.55', roles: ['control-plane', 'worker'], cephDisks: ['/dev/vdb'], labels: {}, taints: [] },
    ]);
    expect(cluster.cni).toBe('calico');
    expect(cluster.kubeProxyMode).toBe('iptables');
    expect(cluster.network).toEqual({ podCidr: '192.168.0.0/16', serviceCidr: '10.96.0.0/12', dnsDomain: 'cluster.local' });
  });

  test('the Kubernetes version defaults to config/versions.yaml kubernetes.release', () => {
    expect(loadConfig(path.join(repoRoot(), FILE)).cluster.kubernetesVersion).toBe(loadVersions().kubernetes.release);
  });

  test('kubernetes.release is the newest minor we hold a Kubernetes schema for', () => {
    const dir = path.join(resolveSchemaLocation(), 'kubernetes');
    const minors = fs
      .readdirSync(dir)
      .flatMap((f) => /^v1\.([0-9]+)\.[0-9]+-definitions\.json$/.exec(f)?.[1] ?? [])
      .map(Number);
    const newest = Math.max(...minors);
    expect(loadVersions().kubernetes.release).toMatch(new RegExp(`^1\\.${newest}\\.[0-9]+$`));
  });

  test('the HA example is a complete, valid platform with three control-plane hosts behind a VIP', () => {
    const { cluster } = loadConfig(path.join(repoRoot(), 'examples', 'ha-cluster.yaml'));
    expect(cluster.hosts.filter((h) => h.roles.includes('control-plane'))).toHaveLength(3);
    expect(cluster.hosts.filter((h) => h.roles.includes('worker'))).toHaveLength(3);
    expect(cluster.hosts.every((h) => h.cephDisks.join() === '/dev/vdb')).toBe(true);
    expect(cluster.controlPlaneEndpoint).toEqual({ vip: '192.0.2.10', port: 8443 });
    expect(cluster.hosts.filter((h) => h.roles.includes('control-plane')).map((h) => h.interface)).toEqual(['ens3', 'ens3', 'ens3']);
  });

  test('a configured release within support is accepted', () => {
    expect(problems((c) => (c.kubernetesVersion = '1.31.0'))).toEqual([]);
  });
});

describe('cluster inventory errors', () => {
  test.each<[string, (c: Record<string, any>) => void, string]>([
    [
      'a release out of support',
      (c) => (c.kubernetesVersion = '1.30.14'),
      'test/fixtures/berkeleytime.yaml: cluster.kubernetesVersion: expected a supported Kubernetes release (1.31 to 1.36): 1.30 is out of upstream support and gets no security fixes; the manifests still use the 1.28 API level, which newer clusters accept, found "1.30.14"',
    ],
    [
      'a release newer than the newest schema',
      (c) => (c.kubernetesVersion = '1.37.0'),
      'test/fixtures/berkeleytime.yaml: cluster.kubernetesVersion: expected a Kubernetes release up to 1.36, the newest this project holds a schema for (raise kubernetes.release in config/versions.yaml together with a schema refresh first), found "1.37.0"',
    ],
    [
      'a version that is not an exact patch release',
      (c) => (c.kubernetesVersion = '1.36'),
      'test/fixtures/berkeleytime.yaml: cluster.kubernetesVersion: expected an exact Kubernetes release such as "1.36.2", found "1.36"',
    ],
    [
      'an even number of control-plane hosts',
      (c) => {
        threeControlPlanes(c);
        c.hosts.push(cp('cp-4', '192.0.2.14'));
      },
      'test/fixtures/berkeleytime.yaml: cluster.hosts: expected an odd number of control-plane hosts (1, 3 or 5): etcd needs a quorum of ⌊N/2⌋+1 members, so 4 members tolerate 1 failure(s), the same as 3 members; the extra member gains nothing and is one more machine whose loss counts against quorum (cp-1, cp-2, cp-3, cp-4), found 4',
    ],
    [
      'several control-plane hosts without an endpoint',
      (c) => {
        threeControlPlanes(c);
        delete c.controlPlaneEndpoint;
      },
      'test/fixtures/berkeleytime.yaml: cluster.controlPlaneEndpoint: expected { vip, interface } with more than one control-plane host (3 here): kubelets and clients need one stable address in front of all API servers (a cluster that grew from one control plane sets apiServerAddress to the address it was initialised with instead), found nothing (the field is required)',
    ],
    [
      'no worker',
      (c) => (c.hosts[0].roles = ['control-plane']),
      'test/fixtures/berkeleytime.yaml: cluster.hosts: expected at least one host with the "worker" role (control-plane-only hosts are tainted NoSchedule, so nothing else could run), found 0',
    ],
    [
      'a duplicate host name',
      (c) => {
        threeControlPlanes(c);
        c.hosts[3].name = 'cp-2';
      },
      'test/fixtures/berkeleytime.yaml: cluster.hosts[3].name: expected a host name unique in cluster.hosts (hosts[1] has it too), found "cp-2"',
    ],
    [
      'a duplicate address',
      (c) => {
        threeControlPlanes(c);
        c.hosts[2].address = '192.0.2.11';
      },
      'test/fixtures/berkeleytime.yaml: cluster.hosts[2].address: expected an address unique in cluster.hosts (hosts[0] has it too), found "192.0.2.11"',
    ],
    [
      'a host address that is not IPv4',
      (c) => (c.hosts[0].address = '192.0.2.300'),
      'test/fixtures/berkeleytime.yaml: cluster.hosts[0].address: expected an IPv4 address such as "192.0.2.10", found "192.0.2.300"',
    ],
    [
      'overlapping pod and service networks',
      (c) => (c.network.serviceCidr = '192.168.128.0/20'),
      'test/fixtures/berkeleytime.yaml: cluster.network.serviceCidr: expected a service CIDR that does not overlap the pod CIDR 192.168.0.0/16, found "192.168.128.0/20"',
    ],
    [
      'a host inside the pod network',
      (c) => (c.hosts[0].address = '192.168.10.5'),
      'test/fixtures/berkeleytime.yaml: cluster.hosts[0].address: expected an address outside the pod CIDR 192.168.0.0/16 (pod routes would shadow it), found "192.168.10.5"',
    ],
    [
      'a host network overlapping the service network',
      (c) => (c.network.hostCidr = '10.100.0.0/16'),
      'test/fixtures/berkeleytime.yaml: cluster.network.hostCidr: expected a host network that does not overlap the service CIDR 10.96.0.0/12, found "10.100.0.0/16"',
    ],
    [
      'a CIDR with host bits set',
      (c) => (c.network.podCidr = '192.168.1.0/16'),
      'test/fixtures/berkeleytime.yaml: cluster.network.podCidr: expected a network address with the host bits zero ("192.168.0.0/16"), found "192.168.1.0/16"',
    ],
    [
      'a VIP equal to a host address',
      (c) => {
        threeControlPlanes(c);
        c.controlPlaneEndpoint.vip = '192.0.2.12';
      },
      'test/fixtures/berkeleytime.yaml: cluster.controlPlaneEndpoint.vip: expected a free address for the virtual IP, not the address of hosts[1] (cp-2): keepalived moves the VIP between hosts, found "192.0.2.12"',
    ],
    [
      'the API server port as the VIP port',
      (c) => {
        threeControlPlanes(c);
        c.controlPlaneEndpoint.port = 6443;
      },
      'test/fixtures/berkeleytime.yaml: cluster.controlPlaneEndpoint.port: expected a port not already used on the control-plane hosts: 6443 is the kube-apiserver on every control-plane host (haproxy listens on this port and forwards to the API servers on 6443; 8443 is the usual choice), found 6443',
    ],
    [
      'a Ceph disk outside /dev',
      (c) => (c.hosts[0].cephDisks = ['vdb']),
      'test/fixtures/berkeleytime.yaml: cluster.hosts[0].cephDisks[0]: expected a block device path under /dev/ such as "/dev/vdb", found "vdb"',
    ],
    [
      'a Ceph disk listed twice',
      (c) => (c.hosts[0].cephDisks = ['/dev/vdb', '/dev/vdb']),
      'test/fixtures/berkeleytime.yaml: cluster.hosts[0].cephDisks[1]: expected each Ceph disk once per host, found "/dev/vdb"',
    ],
    [
      'flannel on a pod network its manifest does not use',
      (c) => (c.cni = 'flannel'),
      'test/fixtures/berkeleytime.yaml: cluster.network.podCidr: expected 10.244.0.0/16 with cni "flannel": the pinned upstream kube-flannel manifest hard-codes that network, found "192.168.0.0/16"',
    ],
    [
      'a node-role label the kubelet may not set',
      (c) => (c.hosts[0].labels = { 'node-role.kubernetes.io/storage': '' }),
      'test/fixtures/berkeleytime.yaml: cluster.hosts[0].labels.node-role.kubernetes.io/storage: expected a label the kubelet may set on its own Node: under kubernetes.io and k8s.io only kubelet.kubernetes.io/, node.kubernetes.io/ and kubernetes.io/hostname, kubernetes.io/arch, kubernetes.io/os, node.kubernetes.io/instance-type, topology.kubernetes.io/region, topology.kubernetes.io/zone pass the NodeRestriction admission plugin (roles come from "roles"), found "node-role.kubernetes.io/storage"',
    ],
    [
      'fewer than two kept etcd snapshots',
      (c) => (c.etcdSnapshots = { keep: 1 }),
      'test/fixtures/berkeleytime.yaml: cluster.etcdSnapshots.keep: expected an integer from 2 to 100, found 1',
    ],
  ])('%s', (_what, edit, expected) => {
    expect(problems(edit)).toContain(expected);
  });

  test('every problem is reported at once, each at its own field', () => {
    const lines = problems((c) => {
      threeControlPlanes(c);
      c.hosts[3].name = 'cp-1';
      c.controlPlaneEndpoint.vip = '192.0.2.13';
      c.network.serviceCidr = '192.168.0.0/24';
    });
    expect(lines.map((l) => l.split(': ')[1])).toEqual(
      expect.arrayContaining(['cluster.hosts[3].name', 'cluster.network.serviceCidr', 'cluster.controlPlaneEndpoint.vip']),
    );
  });
});
