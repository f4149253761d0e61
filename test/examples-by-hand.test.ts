/** The hand-written TypeScript example (examples/by-hand/) synthesizes into manifests that validate. */
import { clubData } from '../examples/by-hand/club-data';
import * as yaml from 'js-yaml';
import { Testing } from 'cdk8s';
import { HAPROXY_CONFIG } from '../bootstrap/haproxy';
import { validateKubeadmConfig } from '../bootstrap/kubeadm-schema';
import { ClusterBootstrap, EdgeTier } from '../index';
import { generateBootstrapSecrets } from '../bootstrap/secrets';
import { clubPlatform } from '../examples/by-hand/club-platform';
import { validateDocuments } from '../lib/validate/index';
import { drainWarnings, requiredSecretsOf, warningsOf } from '../lib/warnings';

test('examples/by-hand/club-data.ts synthesizes and validates with 0 findings (its Secret and StorageClass declared)', () => {
  const app = clubData();
  const docs = app.charts.flatMap((c) => c.toJson()).map((object, index) => ({ file: 'club-data', index, object }));
  expect(docs.map((d) => d.object.kind)).toEqual(expect.arrayContaining(['Namespace', 'StatefulSet', 'Deployment', 'CronJob', 'NetworkPolicy']));
  const findings = validateDocuments(docs, { declared: { secrets: ['club/postgres-credentials'], storageClasses: ['ceph-block-retain'] } });
  expect(findings.map((f) => `${f.document}: ${f.path}: ${f.message}`)).toEqual([]);
  expect(drainWarnings().map((w) => w.id)).toEqual(['platform:data:backupsOnCluster']);
});

test('examples/by-hand/club-platform.ts: storage, the entry point, logging, the data tier and the app composed by hand validate with 0 findings', () => {
  const { app } = clubPlatform();
  const docs = app.charts.flatMap((c) => c.toJson()).map((object, index) => ({ file: 'club-platform', index, object }));
  expect(docs.map((d) => d.object.kind)).toEqual(
    expect.arrayContaining([
      'CephCluster',
      'StorageClass',
      'Gateway',
      'Certificate',
      'StatefulSet',
      'Deployment',
      'HTTPRoute',
      'Job',
      'Elasticsearch',
      'Kibana',
      'Application',
    ]),
  );
  expect(requiredSecretsOf(app)).toEqual(['club/api-secrets', 'club/postgres-credentials', 'logging/kibana-basic-auth']);
  const findings = validateDocuments(docs, { declared: { secrets: requiredSecretsOf(app) } });
  expect(findings.map((f) => `${f.document}: ${f.path}: ${f.message}`)).toEqual([]);
  expect(warningsOf(app).map((w) => w.id)).toEqual(['platform:data:backupsOnCluster', 'platform:storage:singleReplica']);
  // The add-on namespaces reach the API server at the one host's address, not at any address on 6443.
  const toApiServer = docs.filter((d) => d.object.kind === 'NetworkPolicy' && d.object.metadata.name.endsWith('-to-kube-apiserver'));
  expect(toApiServer.length).toBeGreaterThan(5);
  for (const d of toApiServer)
    expect(d.object.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '10.20.0.10/32' } }], ports: [{ port: 6443, protocol: 'TCP' }] }]);
  drainWarnings();
});

test('examples/by-hand/club-platform.ts: the host boot files are what kubeadm and cloud-init read, wired to the edge and the secrets', () => {
  const secrets = generateBootstrapSecrets();
  const { app, hosts } = clubPlatform(secrets);
  const files = hosts.files();
  expect(files.map((f) => [f.path, f.mode])).toEqual([
    ['hosts/radio-1/meta-data', 0o600],
    ['hosts/radio-1/user-data', 0o600],
  ]);
  const userData = files[1].content;
  expect(userData.startsWith('#cloud-config\n')).toBe(true);
  const config = yaml.load(userData) as { write_files: { path: string; content: string }[]; runcmd: unknown[] };
  const file = (p: string) => config.write_files.find((w) => w.path === p)?.content;
  const kubeadm = file('/etc/kubernetes/bootstrap/kubeadm.yaml')!;
  expect(validateKubeadmConfig(kubeadm)).toEqual([]);
  // The first control-plane host initialises the cluster with the secrets handed in.
  expect(yaml.loadAll(kubeadm).map((d) => (d as { kind: string }).kind)).toContain('InitConfiguration');
  expect(kubeadm).toContain(secrets.bootstrapToken);
  // The host proxy forwards to the EdgeTier's NodePorts (the reference, not a copy of a number).
  const haproxy = file(HAPROXY_CONFIG)!;
  const edge = app.node.findChild('30-edge') as EdgeTier;
  expect(haproxy).toContain(`:${edge.forwarding.nodePorts.https}`);
  // Elasticsearch runs on it, so the host raises vm.max_map_count.
  expect(userData).toContain('vm.max_map_count');
  drainWarnings();
});

test("a ClusterBootstrap written by hand gets the config file's rules: a bad host address names the field", () => {
  const make = (address: string) =>
    new ClusterBootstrap(Testing.app(), 'hosts', {
      cluster: { name: 'radio', hosts: [{ name: 'radio-1', address, roles: ['control-plane', 'worker'] }] },
      edge: { nodePorts: { http: 30080, https: 30443 }, proxyProtocol: true },
      gitopsManifests: [],
      secrets: generateBootstrapSecrets(),
    });
  expect(() => make('10.20.0.300')).toThrow(
    'ClusterBootstrap hosts: props.cluster: hosts[0].address: expected an IPv4 address such as "192.0.2.10", found "10.20.0.300"',
  );
  // The same props with a valid address default the rest as the config file does.
  expect(make('10.20.0.10').inventory.cluster).toMatchObject({ cni: 'calico', network: { podCidr: '192.168.0.0/16' }, kubeProxyMode: 'iptables' });
  drainWarnings();
});
