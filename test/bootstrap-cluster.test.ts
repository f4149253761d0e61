/** ClusterBootstrap: per-host cloud-init and kubeadm documents for the default platform and the HA example. */
import { ArgoCdBootstrap } from '../charts/gitops';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as yaml from 'js-yaml';
import { loadConfig } from '../config/load';
import { loadVersions } from '../config/versions';
import { combineApiServerExtensions, auditLogging } from '../bootstrap/api-server-extensions';
import { ClusterBootstrap, ClusterBootstrapProps } from '../bootstrap/cluster-bootstrap';
import { validateKubeadmConfig } from '../bootstrap/kubeadm-schema';
import { caCertHash } from '../bootstrap/pki';
import { BootstrapSecrets, generateBootstrapSecrets } from '../bootstrap/secrets';
import { drainWarnings } from '../lib/warnings';
import { repoRoot } from '../lib/repo-root';
import { checkNamespaceIsolation } from '../lib/validate/network-isolation';

const secrets: BootstrapSecrets = generateBootstrapSecrets();
const versions = loadVersions();

function props(configFile: string, edit: (p: ClusterBootstrapProps) => ClusterBootstrapProps = (p) => p): ClusterBootstrapProps {
  const config = loadConfig(path.join(repoRoot(), configFile));
  return edit({
    cluster: config.cluster,
    edge: config.edge,
    gitopsManifests: new ArgoCdBootstrap(Testing.app(), '00-argocd', { repo: config.gitops }).toJson(),
    secrets,
    elasticsearch: config.logging.enabled,
  });
}

function synth(p: ClusterBootstrapProps) {
  return new ClusterBootstrap(Testing.chart(), 'Bootstrap', p).files();
}

interface UserData {
  hostname: string;
  packages: (string | string[])[];
  apt: { sources: Record<string, { source: string; key: string }> };
  write_files: { path: string; content: string; permissions: string }[];
  runcmd: unknown[];
}

/** Parsed user-data per host, with its kubeadm documents. */
function hosts(p: ClusterBootstrapProps) {
  const out = new Map<string, { userData: UserData; raw: string; kubeadm: any[]; file: (p: string) => string | undefined }>();
  for (const f of synth(p).filter((x) => x.path.endsWith('/user-data'))) {
    const userData = yaml.load(f.content) as UserData;
    const file = (filePath: string) => userData.write_files.find((w) => w.path === filePath)?.content;
    out.set(f.path.split('/')[1], { userData, raw: f.content, kubeadm: yaml.loadAll(file('/etc/kubernetes/bootstrap/kubeadm.yaml') ?? '') as any[], file });
  }
  return out;
}

const single = hosts(props('test/fixtures/berkeleytime.yaml'));
const ha = hosts(props('examples/ha-cluster.yaml'));

interface Step {
  name: string;
  actions: ({ run: string[] } | { fetch: { url: string; sha256: string; dest: string } } | { packages: Record<string, string> })[];
}
/** The host's boot steps (the plan platform-boot runs; test/bootstrap-boot-steps.test.ts runs it). */
const steps = (h: { file: (p: string) => string | undefined }): Step[] => JSON.parse(h.file('/etc/platform-boot/steps.json')!).steps;
/** Every command of the boot, in order. */
const commands = (h: { file: (p: string) => string | undefined }): string[][] => steps(h).flatMap((s) => s.actions.flatMap((a) => ('run' in a ? [a.run] : [])));
const fetches = (h: { file: (p: string) => string | undefined }) => steps(h).flatMap((s) => s.actions.flatMap((a) => ('fetch' in a ? [a.fetch] : [])));
const kubeadmCommand = (h: { file: (p: string) => string | undefined }) => commands(h).find((c) => c[0] === 'kubeadm' && ['init', 'join'].includes(c[1]));

describe('files', () => {
  test('one user-data and meta-data per host under hosts/, owner-only, sorted', () => {
    const files = synth(props('examples/ha-cluster.yaml'));
    expect(files.map((f) => f.path)).toEqual(
      ['autocrat', 'coup', 'deadlock', 'worker-1', 'worker-2', 'worker-3'].flatMap((h) => [`hosts/${h}/meta-data`, `hosts/${h}/user-data`]),
    );
    expect(files.every((f) => f.mode === 0o600)).toBe(true);
    expect(files.find((f) => f.path === 'hosts/coup/user-data')?.content.startsWith('#cloud-config\n')).toBe(true);
  });

  test('the same secrets give byte-identical output', () => {
    const a = synth(props('examples/ha-cluster.yaml'));
    const b = synth(props('examples/ha-cluster.yaml'));
    expect(b).toEqual(a);
    const other = synth(props('examples/ha-cluster.yaml', (p) => ({ ...p, secrets: generateBootstrapSecrets() })));
    expect(other.find((f) => f.path === 'hosts/coup/user-data')?.content).not.toEqual(a.find((f) => f.path === 'hosts/coup/user-data')?.content);
  });
});

describe('kubeadm', () => {
  test('the first control-plane host runs kubeadm init with Init, Cluster, Kubelet and KubeProxy configuration', () => {
    const first = ha.get('deadlock')!;
    expect(kubeadmCommand(first)).toEqual(['kubeadm', 'init', '--config', '/etc/kubernetes/bootstrap/kubeadm.yaml']);
    expect(first.kubeadm.map((d) => `${d.apiVersion} ${d.kind}`)).toEqual([
      'kubeadm.k8s.io/v1beta4 InitConfiguration',
      'kubeadm.k8s.io/v1beta4 ClusterConfiguration',
      'kubelet.config.k8s.io/v1beta1 KubeletConfiguration',
      'kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration',
    ]);
    expect(first.kubeadm[0].bootstrapTokens[0].token).toBe(secrets.bootstrapToken);
    expect(first.kubeadm[0].localAPIEndpoint).toEqual({ advertiseAddress: '192.0.2.11', bindPort: 6443 });
  });

  test('other control-plane hosts join as control planes, pinned to the CA by hash, without uploaded certs', () => {
    for (const [name, address] of [
      ['coup', '192.0.2.12'],
      ['autocrat', '192.0.2.13'],
    ]) {
      const host = ha.get(name)!;
      expect(kubeadmCommand(host)).toEqual(['kubeadm', 'join', '--config', '/etc/kubernetes/bootstrap/kubeadm.yaml']);
      const [join] = host.kubeadm;
      expect(host.kubeadm).toHaveLength(1);
      expect(join.kind).toBe('JoinConfiguration');
      expect(join.discovery).toEqual({
        bootstrapToken: { token: secrets.bootstrapToken, apiServerEndpoint: '192.0.2.10:8443', caCertHashes: [caCertHash(secrets.clusterCa.cert)] },
      });
      // No certificateKey: the CA files are on the host already.
      expect(join.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: address, bindPort: 6443 } });
      expect(join.nodeRegistration.taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    }
  });

  test('workers join as workers through the VIP', () => {
    const [join] = ha.get('worker-2')!.kubeadm;
    expect(join.controlPlane).toBeUndefined();
    expect(join.discovery.bootstrapToken.apiServerEndpoint).toBe('192.0.2.10:8443');
    expect(join.nodeRegistration).toMatchObject({
      name: 'worker-2',
      taints: [],
      kubeletExtraArgs: [
        { name: 'node-ip', value: '192.0.2.22' },
        { name: 'node-labels', value: 'topology.kubernetes.io/zone=rack-b' },
      ],
    });
  });

  test('no document skips CA verification', () => {
    for (const host of [...single.values(), ...ha.values()]) {
      expect(host.file('/etc/kubernetes/bootstrap/kubeadm.yaml')).not.toContain('unsafeSkipCAVerification');
      for (const doc of host.kubeadm.filter((d) => d.kind === 'JoinConfiguration')) expect(doc.discovery.bootstrapToken.caCertHashes).toHaveLength(1);
    }
  });

  test('the cluster configuration carries the VIP endpoint, SANs, networks and API server extensions', () => {
    const cluster = ha.get('deadlock')!.kubeadm[1];
    expect(cluster).toMatchObject({
      clusterName: 'ocf',
      kubernetesVersion: `v${versions.kubernetes.release}`,
      controlPlaneEndpoint: '192.0.2.10:8443',
      networking: { podSubnet: '192.168.0.0/16', serviceSubnet: '10.96.0.0/12', dnsDomain: 'cluster.local' },
      encryptionAlgorithm: 'ECDSA-P256',
    });
    expect(cluster.apiServer.certSANs).toEqual(['192.0.2.10', 'deadlock', '192.0.2.11', 'coup', '192.0.2.12', 'autocrat', '192.0.2.13']);
    expect(cluster.apiServer.extraArgs.map((a: { name: string }) => a.name)).toEqual(
      expect.arrayContaining(['audit-policy-file', 'audit-log-path', 'encryption-provider-config']),
    );
    expect(cluster.apiServer.extraArgs.map((a: { name: string }) => a.name)).not.toContain('anonymous-auth');
  });

  test('a single host has no VIP, keeps workloads schedulable, and has a controlPlaneEndpoint so it can grow', () => {
    const [init, cluster] = single.get('hozer-55')!.kubeadm;
    expect(cluster.controlPlaneEndpoint).toBe('192.0.2.55:6443');
    expect(cluster.apiServer.certSANs).toEqual(['hozer-55', '192.0.2.55']);
    expect(init.nodeRegistration.taints).toEqual([]);
  });

  test('the kubelet is hardened: systemd cgroups, serving certificates, kernel defaults protected, no read-only port or anonymous access', () => {
    expect(single.get('hozer-55')!.kubeadm[2]).toMatchObject({
      cgroupDriver: 'systemd',
      serverTLSBootstrap: true,
      protectKernelDefaults: true,
      readOnlyPort: 0,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true } },
      authorization: { mode: 'Webhook' },
    });
    expect(single.get('hozer-55')!.kubeadm[3]).toMatchObject({ mode: 'iptables', clusterCIDR: '192.168.0.0/16' });
  });

  test('every kubeadm document passes the strict v1beta4 / kubelet v1beta1 / kube-proxy v1alpha1 schemas', () => {
    for (const host of [...single.values(), ...ha.values()]) expect(validateKubeadmConfig(host.file('/etc/kubernetes/bootstrap/kubeadm.yaml')!)).toEqual([]);
  });

  test('the strict schemas refuse unknown fields', () => {
    const text =
      'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    token: abcdef.0123456789abcdef\n    caCertHash: sha256:00\n';
    expect(validateKubeadmConfig(text)).toEqual(['document 1 JoinConfiguration /discovery/bootstrapToken: must NOT have additional properties "caCertHash"']);
    expect(validateKubeadmConfig('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDrivr: systemd\n')).toEqual([
      'document 1 KubeletConfiguration /: must NOT have additional properties "cgroupDrivr"',
    ]);
  });
});

describe('cloud-init', () => {
  test('no command is a string: runcmd and every boot step are argv lists without a shell', () => {
    for (const host of [...single.values(), ...ha.values()]) {
      for (const cmd of [...host.userData.runcmd, ...commands(host)]) {
        expect(Array.isArray(cmd)).toBe(true);
        expect((cmd as string[]).every((a) => typeof a === 'string')).toBe(true);
        expect(['sh', 'bash', '/bin/sh', '/bin/bash']).not.toContain((cmd as string[])[0]);
      }
    }
  });

  test('kernel settings are applied before kubeadm, and nothing formats or wipes a disk', () => {
    const { userData, raw } = single.get('hozer-55')!;
    const order = commands(single.get('hozer-55')!).map((c) => c.slice(0, 2).join(' '));
    expect(order.indexOf('sysctl --system')).toBeLessThan(order.indexOf('kubeadm init'));
    expect(order.indexOf('modprobe br_netfilter')).toBeLessThan(order.indexOf('sysctl --system'));
    expect(order).toContain('modprobe rbd');
    const sysctl = single.get('hozer-55')!.file('/etc/sysctl.d/90-kubernetes.conf')!;
    for (const line of [
      'vm.overcommit_memory = 1',
      'vm.panic_on_oom = 0',
      'kernel.panic = 10',
      'kernel.panic_on_oops = 1',
      'kernel.keys.root_maxkeys = 1000000',
      'kernel.keys.root_maxbytes = 25000000',
      'net.ipv4.ip_forward = 1',
      'net.bridge.bridge-nf-call-iptables = 1',
      'vm.max_map_count = 262144',
    ]) {
      expect(sysctl).toContain(line);
    }
    expect(Object.keys(userData)).not.toEqual(expect.arrayContaining(['disk_setup']));
    expect(Object.keys(userData)).not.toEqual(expect.arrayContaining(['fs_setup']));
    expect(raw).not.toMatch(/mkfs|wipefs|sgdisk|dd if=/);
  });

  test('the pinned Kubernetes repository and exact package versions are installed', () => {
    const { userData } = single.get('hozer-55')!;
    const minor = versions.kubernetes.release.split('.').slice(0, 2).join('.');
    expect(userData.apt.sources.kubernetes.source).toBe(`deb [signed-by=$KEY_FILE] https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ /`);
    // The signing keys travel in the user-data: no keyserver, nothing fetched to trust the repositories.
    for (const source of Object.values(userData.apt.sources)) {
      expect(source.key).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----\n[\s\S]+-----END PGP PUBLIC KEY BLOCK-----\n$/);
      expect(Object.keys(source).sort()).toEqual(['key', 'source']);
    }
    const pinned = `${versions.kubernetes.release}-1.1`;
    expect(userData.packages).toEqual([['kubelet', pinned], ['kubeadm', pinned], ['kubectl', pinned], 'containerd.io', 'lvm2']);
    // containerd.io is held by an apt pin, and the boot stops when apt installed any other version.
    const check = steps(single.get('hozer-55')!)[0].actions.find((a) => 'packages' in a) as { packages: Record<string, string> };
    expect(check.packages).toEqual({ kubelet: pinned, kubeadm: pinned, kubectl: pinned, 'containerd.io': versions.images['containerd-package'] });
    expect(single.get('hozer-55')!.file('/etc/apt/preferences.d/containerd')).toContain(`Pin: version ${versions.images['containerd-package']}*`);
    expect(single.get('hozer-55')!.file('/etc/containerd/config.toml')).toContain('SystemdCgroup = true');
  });

  test('workers get no control-plane files: no CA keys, haproxy, keepalived, encryption key or etcd units', () => {
    for (const name of ['worker-1', 'worker-2', 'worker-3']) {
      const host = ha.get(name)!;
      const paths = host.userData.write_files.map((f) => f.path);
      expect(
        paths.filter(
          (p) =>
            p.startsWith('/etc/kubernetes/pki') ||
            p.startsWith('/etc/kubernetes/manifests') ||
            p.includes('keepalived') ||
            p.includes('haproxy') ||
            p.includes('encryption') ||
            p.includes('etcd'),
        ),
      ).toEqual([]);
      expect(host.raw).not.toContain('PRIVATE KEY');
      expect(host.raw).not.toContain(secrets.keepalivedPassword);
      expect(host.raw).not.toContain(secrets.encryptionKey);
    }
  });

  test('control-plane hosts get the shared CAs (owner-only keys), haproxy, keepalived and etcd snapshot units', () => {
    for (const name of ['deadlock', 'coup', 'autocrat']) {
      const host = ha.get(name)!;
      const mode = (p: string) => host.userData.write_files.find((f) => f.path === p)?.permissions;
      expect(host.file('/etc/kubernetes/pki/ca.key')).toBe(secrets.clusterCa.key);
      expect(mode('/etc/kubernetes/pki/ca.key')).toBe('0600');
      expect(mode('/etc/kubernetes/pki/etcd/ca.key')).toBe('0600');
      expect(mode('/etc/kubernetes/pki/sa.key')).toBe('0600');
      expect(mode('/etc/kubernetes/pki/ca.crt')).toBe('0644');
      expect(host.file('/etc/kubernetes/manifests/haproxy.yaml')).toBeDefined();
      // keepalived is Debian's package under systemd (restarted on exit), not a pod that shares the host's PIDs.
      expect(host.file('/etc/kubernetes/manifests/keepalived.yaml')).toBeUndefined();
      expect(host.userData.packages).toContain('keepalived');
      expect(host.file('/etc/systemd/system/keepalived.service.d/platform.conf')).toContain('Restart=always');
      expect(host.raw).not.toContain('hostPID');
      expect(host.file('/etc/systemd/system/etcd-snapshot.timer')).toContain('OnCalendar=*-*-* 01:00:00');
      expect(host.file('/etc/kubernetes/encryption/config.yaml')).toContain(secrets.encryptionKey);
    }
    // The add-ons are applied once, from the host that ran kubeadm init.
    expect(ha.get('coup')!.file('/etc/kubernetes/bootstrap/gitops.yaml')).toBeUndefined();
  });

  test('haproxy forwards 80/443 to every worker with the PROXY protocol, and the VIP port to every API server', () => {
    const cfg = ha.get('coup')!.file('/etc/haproxy/haproxy.cfg')!;
    expect(cfg).toContain('bind :8443');
    for (const [name, address] of [
      ['deadlock', '192.0.2.11'],
      ['coup', '192.0.2.12'],
      ['autocrat', '192.0.2.13'],
    ])
      expect(cfg).toContain(`server ${name} ${address}:6443`);
    expect(cfg).toContain('http-check send meth GET uri /readyz');
    for (const [name, address] of [
      ['worker-1', '192.0.2.21'],
      ['worker-2', '192.0.2.22'],
      ['worker-3', '192.0.2.23'],
    ]) {
      expect(cfg).toContain(`server ${name} ${address}:30080`);
      expect(cfg).toContain(`server ${name} ${address}:30443`);
    }
    expect(cfg).toContain('default-server inter 5s fall 3 rise 2 check send-proxy-v2');
    expect(cfg).not.toContain('192.0.2.11:30080');
  });

  test('a single host forwards to itself and runs no keepalived', () => {
    const host = single.get('hozer-55')!;
    expect(host.file('/etc/haproxy/haproxy.cfg')).toContain('server hozer-55 192.0.2.55:30443');
    expect(host.file('/etc/haproxy/haproxy.cfg')).not.toContain('kube-apiserver');
    expect(host.file('/etc/keepalived/keepalived.conf')).toBeUndefined();
  });

  test('without the PROXY protocol haproxy forwards plain TCP', () => {
    const host = hosts(props('test/fixtures/berkeleytime.yaml', (p) => ({ ...p, edge: { ...p.edge, proxyProtocol: false } }))).get('hozer-55')!;
    expect(host.file('/etc/haproxy/haproxy.cfg')).not.toContain('send-proxy');
  });

  test('keepalived holds the VIP with unicast peers and the password from the secrets', () => {
    const conf = ha.get('coup')!.file('/etc/keepalived/keepalived.conf')!;
    expect(conf).toContain('unicast_src_ip 192.0.2.12');
    expect(conf).toMatch(/unicast_peer \{\n\s+192\.0\.2\.11\n\s+192\.0\.2\.13\n/);
    expect(conf).toContain(`auth_pass ${secrets.keepalivedPassword}`);
    expect(conf).toMatch(/virtual_ipaddress \{\n\s+192\.0\.2\.10\n/);
    expect(ha.get('deadlock')!.file('/etc/keepalived/keepalived.conf')).toContain('state MASTER');
    expect(conf).toContain('state BACKUP');
  });

  test("the argocd namespace it creates says that Argo CD's install manifest brings the namespace's NetworkPolicies", () => {
    const host = single.get('hozer-55')!;
    const namespace = yaml.load(host.file('/etc/kubernetes/bootstrap/argocd-namespace.yaml')!) as any;
    expect(namespace.metadata.annotations['platform.campus/network-policy-exception']).toMatch(
      /install manifest .* ships one ingress NetworkPolicy per component/,
    );
    const doc = { file: 'argocd-namespace.yaml', index: 0, object: namespace };
    expect(checkNamespaceIsolation([doc])).toEqual([]);
    expect(checkNamespaceIsolation([{ ...doc, object: { ...namespace, metadata: { name: 'argocd' } } }])).toHaveLength(1);
  });

  test('the first control-plane host applies the CNI, the CSR approver, Argo CD and the root Application', () => {
    const host = ha.get('deadlock')!;
    const kubectl = commands(host).filter((c) => c[0] === 'kubectl');
    // Downloads by pinned URL, kept only with the pinned SHA-256 (the runner checks it).
    expect(fetches(host)).toEqual([
      { url: versions.manifests.calico.url, sha256: versions.manifests.calico.sha256, dest: '/var/lib/platform-boot/downloads/calico.yaml' },
      { url: versions.manifests['argo-cd'].url, sha256: versions.manifests['argo-cd'].sha256, dest: '/var/lib/platform-boot/downloads/argo-cd.yaml' },
    ]);
    expect(kubectl.map((c) => c.slice(3))).toEqual([
      ['get', '--raw', '/readyz', '--request-timeout', '10s'],
      ['apply', '-f', '/var/lib/platform-boot/downloads/calico.yaml'],
      ['apply', '-f', '/etc/kubernetes/bootstrap/kubelet-csr-approver.yaml'],
      ['apply', '-f', '/etc/kubernetes/bootstrap/argocd-namespace.yaml'],
      ['apply', '--server-side', '--force-conflicts', '--namespace', 'argocd', '-f', '/var/lib/platform-boot/downloads/argo-cd.yaml'],
      ['wait', '--for', 'condition=Established', '--timeout', '300s', 'crd/applications.argoproj.io'],
      ['apply', '--server-side', '--force-conflicts', '-f', '/etc/kubernetes/bootstrap/gitops.yaml'],
    ]);
    expect(kubectl.every((c) => c[1] === '--kubeconfig' && c[2] === '/etc/kubernetes/admin.conf')).toBe(true);
    // Argo CD's settings first (the Application health check every wave relies on), then the root.
    const [settings, root] = yaml.loadAll(host.file('/etc/kubernetes/bootstrap/gitops.yaml')!) as any[];
    expect(settings.metadata).toMatchObject({ name: 'argocd-cm', namespace: 'argocd' });
    expect(Object.keys(settings.data)).toEqual(['resource.customizations.health.argoproj.io_Application']);
    expect(root).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      // The root keeps itself in dist/cluster too, in the last wave (a wave that held it would wait on itself).
      metadata: { name: 'platform', namespace: 'argocd', annotations: { 'argocd.argoproj.io/sync-wave': '7' } },
      spec: {
        project: 'default',
        source: {
          repoURL: 'https://gitlab.berkeleytime.com/berkeleytime/platform.git',
          targetRevision: 'main',
          path: 'dist/cluster',
          directory: { recurse: true },
        },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'argocd' },
        // Pruning on: what leaves dist/cluster (a preview) leaves the cluster; data objects are Prune=false.
        syncPolicy: { automated: { prune: true, selfHeal: true }, retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } } },
      },
    });
    // With network.hostCidr any host of that network gets a serving certificate, so hosts added later need nothing re-applied.
    expect(host.file('/etc/kubernetes/bootstrap/kubelet-csr-approver.yaml')).toMatch(/name: PROVIDER_IP_PREFIXES\n\s+value: 192\.0\.2\.0\/24\n/);
    // Without it, exactly the hosts listed.
    const approver = single.get('hozer-55')!.file('/etc/kubernetes/bootstrap/kubelet-csr-approver.yaml')!;
    expect(approver).toContain('value: ^(hozer-55)$');
    expect(approver).toMatch(/value: 192\.0\.2\.55\/32\n/);
  });

  test('etcd snapshots run etcdctl from the pinned etcd image through systemd, keeping the configured number', () => {
    const service = ha.get('autocrat')!.file('/etc/systemd/system/etcd-snapshot.service')!;
    expect(service).toContain(`ExecStart=/usr/bin/ctr --namespace k8s.io run --rm --net-host`);
    expect(service).toContain(`${versions.images.etcd} etcd-snapshot etcdctl`);
    expect(service).toContain('ExecStartPost=/usr/bin/savelog -l -c 7 /var/backups/etcd/etcd-snapshot.db');
    expect(commands(ha.get('autocrat')!)).toContainEqual(['systemctl', 'enable', '--now', 'etcd-snapshot.timer']);
  });

  test('flannel is allowed with a warning that NetworkPolicies are not enforced', () => {
    drainWarnings();
    const p = props('test/fixtures/berkeleytime.yaml', (x) => ({
      ...x,
      cluster: { ...x.cluster, cni: 'flannel', network: { ...x.cluster.network, podCidr: '10.244.0.0/16' } },
    }));
    const host = hosts(p).get('hozer-55')!;
    expect(drainWarnings().map((w) => w.id)).toContain('platform:bootstrap:flannelNoPolicies');
    expect(fetches(host)[0]).toEqual({
      url: versions.manifests.flannel.url,
      sha256: versions.manifests.flannel.sha256,
      dest: '/var/lib/platform-boot/downloads/flannel.yaml',
    });
    expect(commands(host)).toContainEqual([
      'kubectl',
      '--kubeconfig',
      '/etc/kubernetes/admin.conf',
      'apply',
      '-f',
      '/var/lib/platform-boot/downloads/flannel.yaml',
    ]);
  });
});

describe('a cluster that grows', () => {
  // One control plane today; later two more join, with the same secrets file and apiServerAddress
  // set to the endpoint the cluster was initialised with (what the config error asks for).
  const grown = (p: ClusterBootstrapProps): ClusterBootstrapProps => ({
    ...p,
    cluster: {
      ...p.cluster,
      apiServerAddress: '192.0.2.55',
      network: { ...p.cluster.network, hostCidr: '192.0.2.0/24' },
      hosts: [
        ...p.cluster.hosts,
        { name: 'hozer-56', address: '192.0.2.56', roles: ['control-plane', 'worker'], cephDisks: ['/dev/vdb'] },
        { name: 'hozer-57', address: '192.0.2.57', roles: ['control-plane', 'worker'], cephDisks: ['/dev/vdb'] },
      ],
    },
  });
  const after = hosts(props('test/fixtures/berkeleytime.yaml', grown));

  test('the new control planes join the endpoint the first one was initialised with, pinned to the same CA', () => {
    const [, initial] = single.get('hozer-55')!.kubeadm;
    for (const [name, address] of [
      ['hozer-56', '192.0.2.56'],
      ['hozer-57', '192.0.2.57'],
    ]) {
      const host = after.get(name)!;
      expect(kubeadmCommand(host)).toEqual(['kubeadm', 'join', '--config', '/etc/kubernetes/bootstrap/kubeadm.yaml']);
      const [join] = host.kubeadm;
      expect(join.discovery.bootstrapToken).toEqual({
        token: secrets.bootstrapToken,
        apiServerEndpoint: initial.controlPlaneEndpoint,
        caCertHashes: [caCertHash(secrets.clusterCa.cert)],
      });
      expect(join.controlPlane.localAPIEndpoint).toEqual({ advertiseAddress: address, bindPort: 6443 });
      // The CA files they need are the same ones the first control plane has.
      expect(host.file('/etc/kubernetes/pki/ca.key')).toBe(single.get('hozer-55')!.file('/etc/kubernetes/pki/ca.key'));
      expect(host.file('/etc/kubernetes/pki/etcd/ca.crt')).toBe(single.get('hozer-55')!.file('/etc/kubernetes/pki/etcd/ca.crt'));
    }
  });

  test('the first host is not re-initialised: its kubeadm init and endpoint are unchanged, and a boot skips init where admin.conf exists', () => {
    const [, before] = single.get('hozer-55')!.kubeadm;
    const [, now] = after.get('hozer-55')!.kubeadm;
    expect(now.controlPlaneEndpoint).toBe(before.controlPlaneEndpoint);
    expect(steps(after.get('hozer-55')!).find((s) => s.name === 'kubeadm-init')).toMatchObject({ skipIf: '/etc/kubernetes/admin.conf' });
  });

  test('without apiServerAddress the grown inventory is a config error that says what to set', () => {
    const p = props('test/fixtures/berkeleytime.yaml', (x) => {
      const g = grown(x);
      return { ...g, cluster: { ...g.cluster, apiServerAddress: undefined } };
    });
    expect(() => synth(p)).toThrow(/controlPlaneEndpoint: expected \{ vip, interface \}.*sets apiServerAddress to the address it was initialised with/);
  });
});

describe('snapshots (secret values masked)', () => {
  const mask = (text: string) =>
    text
      .split(secrets.bootstrapToken)
      .join('<bootstrap-token>')
      .split(caCertHash(secrets.clusterCa.cert))
      .join('sha256:<cluster-ca-hash>')
      .split(secrets.keepalivedPassword)
      .join('<keepalived-password>')
      .split(secrets.encryptionKey)
      .join('<encryption-key>')
      .replace(/(-----BEGIN ([A-Z ]+)-----\n)[\s\S]*?(\n\s*-----END \2-----)/g, '$1      <$2>$3')
      // The runner is the project's own file, the same on every host (bootstrap/platform-boot.py).
      .replace(/#!\/usr\/bin\/python3\n[\s\S]*?\n\s+main\(\)\n/, '<bootstrap/platform-boot.py>\n');
  test.each([
    ['test/fixtures/berkeleytime.yaml', 'hozer-55'],
    ['examples/ha-cluster.yaml', 'coup'],
    ['examples/ha-cluster.yaml', 'worker-1'],
  ])('%s %s user-data', (configFile, host) => {
    const file = synth(props(configFile)).find((f) => f.path === `hosts/${host}/user-data`)!;
    expect(mask(file.content)).toMatchSnapshot();
  });
});

describe('API server extensions', () => {
  test('two extensions claiming the same flag are refused', () => {
    expect(() => combineApiServerExtensions([auditLogging(), { ...auditLogging(), name: 'another audit' }])).toThrow(
      'API server extensions "audit logging" and "another audit" both set flag --audit-policy-file; combine them into one extension',
    );
  });
});

describe('committed dist/', () => {
  test('the construct only writes below hosts/ (git-ignored)', () => {
    expect(synth(props('examples/ha-cluster.yaml')).every((f) => f.path.startsWith('hosts/'))).toBe(true);
    expect(fs.readFileSync(path.join(repoRoot(), '.gitignore'), 'utf8')).toMatch(/^dist\/hosts\/$/m);
  });

  test('no secret value appears in dist/ outside dist/hosts', () => {
    const dist = path.join(repoRoot(), 'dist');
    const local = path.join(repoRoot(), 'secrets', 'bootstrap.yaml');
    const values: string[] = [];
    if (fs.existsSync(local)) {
      const s = yaml.load(fs.readFileSync(local, 'utf8')) as BootstrapSecrets;
      values.push(
        s.bootstrapToken,
        s.keepalivedPassword,
        s.encryptionKey,
        ...[s.clusterCa, s.etcdCa, s.frontProxyCa].map((c) => c.key.split('\n')[1]),
        s.serviceAccount.privateKey.split('\n')[1],
      );
    }
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (full !== path.join(dist, 'hosts')) walk(full);
          continue;
        }
        const text = fs.readFileSync(full, 'utf8');
        if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) || /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/.test(text) || values.some((v) => v && text.includes(v)))
          offenders.push(path.relative(repoRoot(), full));
      }
    };
    walk(dist);
    expect(offenders).toEqual([]);
  });
});
