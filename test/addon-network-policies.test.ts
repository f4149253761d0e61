/**
 * The add-on namespaces' policies per construct, with a three-control-plane fixture's addresses:
 * the edge (Envoy Gateway or ingress-nginx, and cert-manager), Rook and the Sealed Secrets
 * controller. Each namespace is default-deny; these check the allows its pods need.
 */
import { App, Testing } from 'cdk8s';
import { EdgeTier } from '../charts/edge-tier';
import { Namespaces } from '../charts/namespaces';
import { RookStorage } from '../charts/rook-storage';
import { rookStorageOptions } from '../app/platform';
import { SealedSecretsController } from '../charts/sealed-secrets';
import { edgeHosts, versions } from './edge-fixtures';
import { parsedConfig } from './helpers';
import { inventory, storageConfig } from './rook-fixtures';
import { cidrsOf, CONTROL_PLANE_BLOCKS, exceptionOf, HA_ADDRESSES, HOST_BLOCKS, POD_CIDR, policiesIn } from './network-fixtures';

const WEBHOOK_SOURCES = [...CONTROL_PLANE_BLOCKS, POD_CIDR];
const portsOf = (rule: any) => (rule.ports ?? []).map((p: any) => (p.endPort ? `${p.port}-${p.endPort}` : `${p.port}/${p.protocol}`));
const apiServerRules = (spec: any) => spec.egress.map((r: any) => [cidrsOf(r), portsOf(r)]);
const API_SERVER = [
  [CONTROL_PLANE_BLOCKS, ['6443/TCP']],
  [['198.51.100.10/32'], ['8443/TCP']],
];

function edgeDocs(mutate: (cfg: any) => void = () => {}) {
  const config = parsedConfig(mutate);
  const app: App = Testing.app();
  const namespaces = new Namespaces(app);
  const edge = new EdgeTier(app, '30-edge', { ...config.edge, namespaces, ...edgeHosts(config), clusterAddresses: HA_ADDRESSES });
  return { docs: Testing.synth(edge), namespaces };
}

describe('envoy-gateway-system', () => {
  const p = policiesIn(edgeDocs().docs, 'envoy-gateway-system');
  const proxy = { 'app.kubernetes.io/name': 'envoy', 'app.kubernetes.io/component': 'proxy' };

  test('is default-deny, DNS excepted', () => {
    expect(p['default-deny']).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(p['allow-dns'].egress[0].ports).toHaveLength(2);
  });

  test('the proxies accept anyone on the listener ports Envoy Gateway maps 80/443 to', () => {
    expect(p['ingress-proxy-from-anywhere'].podSelector.matchLabels).toMatchObject(proxy);
    expect(p['ingress-proxy-from-anywhere'].ingress).toEqual([
      {
        ports: [
          { port: 10080, protocol: 'TCP' },
          { port: 10443, protocol: 'TCP' },
        ],
      },
    ]);
  });

  test('the proxies reach the controller over xDS, the backend namespaces and the ACME solver, nothing else', () => {
    expect(portsOf(p['egress-proxy-to-controller-xds'].egress[0])).toEqual(['18000/TCP']);
    expect(portsOf(p['ingress-controller-xds-from-proxy'].ingress[0])).toEqual(['18000/TCP']);
    expect(p['egress-proxy-to-backends'].egress).toEqual([{ to: [{ namespaceSelector: { matchLabels: { 'platform.campus/gateway-access': 'true' } } }] }]);
    expect(p['ingress-acme-http01-solver-from-proxy'].podSelector.matchLabels).toEqual({ 'acme.cert-manager.io/http01-solver': 'true' });
    expect(portsOf(p['egress-proxy-to-acme-http01-solver'].egress[0])).toEqual(['8089/TCP']);
    const proxyEgress = Object.entries(p).filter(
      ([, s]) => s.policyTypes.includes('Egress') && s.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'envoy',
    );
    expect(proxyEgress.map(([name]) => name).sort()).toEqual([
      'egress-proxy-to-acme-http01-solver',
      'egress-proxy-to-backends',
      'egress-proxy-to-controller-xds',
    ]);
  });

  test('the controller and certgen call the API server at the control planes and the VIP; the API server reaches the webhook', () => {
    expect(apiServerRules(p['egress-controller-to-kube-apiserver'])).toEqual(API_SERVER);
    expect(p['egress-certgen-to-kube-apiserver'].podSelector.matchLabels).toEqual({ app: 'certgen' });
    const webhook = p['ingress-controller-webhook-from-kube-apiserver'].ingress[0];
    expect([cidrsOf(webhook), portsOf(webhook)]).toEqual([WEBHOOK_SOURCES, ['9443/TCP']]);
  });
});

describe('cert-manager', () => {
  test('every pod calls the API server; the API server calls the webhook on 10250', () => {
    const p = policiesIn(edgeDocs().docs, 'cert-manager');
    expect(p['egress-cert-manager-to-kube-apiserver'].podSelector).toEqual({ matchLabels: {} });
    expect(apiServerRules(p['egress-cert-manager-to-kube-apiserver'])).toEqual(API_SERVER);
    const webhook = p['ingress-webhook-from-kube-apiserver'];
    expect(webhook.podSelector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'webhook',
      'app.kubernetes.io/instance': 'cert-manager',
      'app.kubernetes.io/component': 'webhook',
    });
    expect([cidrsOf(webhook.ingress[0]), portsOf(webhook.ingress[0])]).toEqual([WEBHOOK_SOURCES, ['10250/TCP']]);
  });

  test('only the controller leaves the cluster: ACME and provider APIs, name servers, and the HTTP-01 self check', () => {
    const p = policiesIn(edgeDocs().docs, 'cert-manager');
    const internet = p['egress-controller-to-internet'];
    expect(internet.podSelector.matchLabels['app.kubernetes.io/component']).toBe('controller');
    expect(internet.egress[0].to[0].ipBlock.cidr).toBe('0.0.0.0/0');
    expect(internet.egress[0].to[0].ipBlock.except).toContain('10.0.0.0/8');
    expect(portsOf(internet.egress[0])).toEqual(['443/TCP', '80/TCP', '53/UDP', '53/TCP']);
    // A campus name resolving to the front proxy: the VIP and the control planes on port 80.
    const entry = p['egress-controller-to-cluster-entry'].egress;
    expect(entry).toHaveLength(1);
    expect([cidrsOf(entry[0]), portsOf(entry[0])]).toEqual([[...CONTROL_PLANE_BLOCKS, '198.51.100.10/32'], ['80/TCP']]);
  });

  test('an RFC 2136 name server at a private address is allowed on its port', () => {
    const { docs } = edgeDocs((c) => {
      c.edge.tls = {
        ...c.edge.tls,
        dns01: { rfc2136: { nameserver: '10.0.0.53:5353', tsigKeyName: 'k', tsigAlgorithm: 'HMACSHA256', tsigSecret: { secret: 'tsig', key: 'k' } } },
      };
    });
    const rules = policiesIn(docs, 'cert-manager')['egress-controller-to-cluster-entry'].egress;
    expect(rules.map((r: any) => [cidrsOf(r), portsOf(r)])).toContainEqual([['10.0.0.53/32'], ['5353/UDP', '5353/TCP']]);
  });
});

describe('ingress-nginx (compatibility)', () => {
  const p = policiesIn(edgeDocs((c) => (c.edge.controller = 'ingress-nginx')).docs, 'ingress-nginx');

  test('the controller accepts anyone on 80/443 and the API server on its admission webhook', () => {
    expect(p['default-deny']).toBeDefined();
    expect(portsOf(p['ingress-controller-from-anywhere'].ingress[0])).toEqual(['80/TCP', '443/TCP']);
    const webhook = p['ingress-controller-webhook-from-kube-apiserver'].ingress[0];
    expect([cidrsOf(webhook), portsOf(webhook)]).toEqual([WEBHOOK_SOURCES, ['8443/TCP']]);
  });

  test('the controller and the admission Jobs call the API server; the controller reaches the backend namespaces', () => {
    expect(apiServerRules(p['egress-controller-to-kube-apiserver'])).toEqual(API_SERVER);
    expect(p['egress-admission-jobs-to-kube-apiserver'].podSelector.matchLabels['app.kubernetes.io/component']).toBe('admission-webhook');
    expect(p['egress-controller-to-backends'].egress[0].to).toEqual([{ namespaceSelector: { matchLabels: { 'platform.campus/gateway-access': 'true' } } }]);
  });
});

describe('rook-ceph', () => {
  function rook() {
    const app = Testing.app();
    const namespaces = new Namespaces(app);
    const hosts = inventory([
      { name: 'a', cephDisks: ['/dev/vdb'] },
      { name: 'b', cephDisks: ['/dev/vdb'] },
      { name: 'c', cephDisks: ['/dev/vdb'] },
    ]);
    const chart = new RookStorage(app, '20-storage', {
      ...rookStorageOptions(storageConfig()),
      hosts,
      namespaces,
      monitoring: true,
      cephImage: versions.images.ceph,
      clusterAddresses: HA_ADDRESSES,
    });
    return { chart, namespaces };
  }

  test('Ceph talks within the namespace; the hosts (kernel RBD clients, the host-network CSI node plugin) reach the mons and OSDs', () => {
    const { chart } = rook();
    const p = policiesIn(Testing.synth(chart), 'rook-ceph');
    expect(p['default-deny']).toBeDefined();
    expect(p['allow-within-namespace'].ingress).toEqual([{ from: [{ podSelector: {} }] }]);
    const hosts = p['ingress-ceph-from-hosts'].ingress[0];
    expect([cidrsOf(hosts), portsOf(hosts)]).toEqual([
      [...HOST_BLOCKS, POD_CIDR],
      ['3300/TCP', '6789/TCP', '6800-7300'],
    ]);
    expect(apiServerRules(p['egress-rook-to-kube-apiserver'])).toEqual(API_SERVER);
    // Not scraped until a scraper is admitted.
    expect(p).not.toHaveProperty('ingress-ceph-mgr-metrics-from-prometheus');
  });

  test('a scraper is admitted to the mgr and exporter metrics ports only', () => {
    const { chart } = rook();
    chart.allowMetricsScraping({
      name: 'prometheus',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
      podLabels: { 'app.kubernetes.io/name': 'prometheus' },
    });
    const p = policiesIn(Testing.synth(chart), 'rook-ceph');
    expect(p['ingress-ceph-mgr-metrics-from-prometheus'].podSelector.matchLabels).toEqual({ app: 'rook-ceph-mgr' });
    expect(portsOf(p['ingress-ceph-mgr-metrics-from-prometheus'].ingress[0])).toEqual(['9283/TCP']);
    expect(portsOf(p['ingress-ceph-exporter-metrics-from-prometheus'].ingress[0])).toEqual(['9926/TCP']);
  });

  test('the namespace names the host-network pods no policy governs', () => {
    expect(exceptionOf(rook().namespaces, 'rook-ceph')).toMatch(/CSI node plugin .* host network/);
  });
});

describe('sealed-secrets', () => {
  test('the controller only calls the API server, at its addresses', () => {
    const app = Testing.app();
    const chart = new SealedSecretsController(app, '15-sealed-secrets', { namespaces: new Namespaces(app), clusterAddresses: HA_ADDRESSES });
    const p = policiesIn(Testing.synth(chart), 'sealed-secrets');
    expect(Object.keys(p).sort()).toEqual(['allow-dns', 'default-deny', 'egress-controller-to-kube-apiserver']);
    expect(apiServerRules(p['egress-controller-to-kube-apiserver'])).toEqual(API_SERVER);
  });

  test('composed by hand, without the addresses, the rule names the port alone', () => {
    const app = Testing.app();
    const chart = new SealedSecretsController(app, '15-sealed-secrets', { namespaces: new Namespaces(app) });
    expect(policiesIn(Testing.synth(chart), 'sealed-secrets')['egress-controller-to-kube-apiserver'].egress).toEqual([
      { ports: [{ port: 6443, protocol: 'TCP' }] },
    ]);
  });
});
