/**
 * The LoggingTier as the composition uses it: what it synthesizes, how it is wired to the edge
 * and the namespaces, what survives disabling it, and that the result validates.
 */
import { EdgeTier } from '../charts/edge-tier';
import { edge as edgeSchema } from '../config/schema/edge';
import { ARGO_ANNOTATION, WAVE } from '../lib/argocd';
import { FakeRouteRegistry, synthLogging, SynthesizedLogging, validationFindings, versions } from './logging-fixtures';
import { cidrsOf, CONTROL_PLANE_BLOCKS, HA_ADDRESSES, POD_CIDR } from './network-fixtures';

const PROTECTED = 'Prune=false,Delete=false';
const syncOptions = (doc: any): string => doc.metadata.annotations?.[ARGO_ANNOTATION.syncOptions] ?? '';

describe('LoggingTier', () => {
  const platform = synthLogging();

  test('synthesizes the operator Application, Elasticsearch, Kibana, the shipper and the retention policy', () => {
    const operator = platform.one('Application', 'eck-operator');
    expect(operator.spec.source).toMatchObject({
      repoURL: 'https://helm.elastic.co',
      chart: 'eck-operator',
      targetRevision: versions.charts['eck-operator'].version,
    });
    expect(operator.spec.destination.namespace).toBe('elastic-system');
    expect(platform.one('Elasticsearch').metadata).toMatchObject({ name: 'logging', namespace: 'logging' });
    expect(platform.one('Kibana').metadata).toMatchObject({ name: 'kibana', namespace: 'logging' });
    expect(platform.one('Beat').spec).toMatchObject({ type: 'filebeat', daemonSet: expect.any(Object) });
    expect(platform.one('Job', 'logging-retention-policy').metadata.annotations['argocd.argoproj.io/hook']).toBe('Sync');
    expect(platform.warnings).toEqual([]);
  });

  test.each([
    [1, 1],
    [2, 1],
    [3, 3],
    [6, 3],
  ])('%i host(s) that can run Elasticsearch get %i node(s), never an even number', (hosts, nodes) => {
    const s = synthLogging({ nodeCount: hosts });
    expect(s.one('Elasticsearch').spec.nodeSets).toHaveLength(1);
    expect(s.one('Elasticsearch').spec.nodeSets[0].count).toBe(nodes);
    // A replica per log index only where a second node can hold it.
    expect(s.one('Beat').spec.config['setup.template.settings.index.number_of_replicas']).toBe(nodes > 1 ? 1 : 0);
    expect(s.warnings.map((w) => w.id)).toEqual(hosts === 2 ? ['platform:logging:singleNode'] : []);
  });

  test('adds its namespaces: operator and stack restricted, the shipper privileged with the reason recorded', () => {
    const ns = (name: string) => platform.one('Namespace', name).metadata;
    expect(ns('elastic-system').labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(ns('logging').labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    // The Gateway admits routes only from labelled namespaces.
    expect(ns('logging').labels['platform.campus/gateway-access']).toBe('true');
    expect(ns('logging-shipper').labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(ns('logging-shipper').annotations['platform.campus/pod-security-reason']).toMatch(/hostPath volumes \(\/var\/log\/containers, \/var\/log\/pods\)/);
  });

  test('routes /kibana through the edge, behind the configured authentication Secret', () => {
    const s = synthLogging({ config: { kibana: { authSecret: 'kibana-htpasswd' } } });
    const registry = s.edge as FakeRouteRegistry;
    expect(registry.calls).toHaveLength(1);
    expect(registry.calls[0].scope).toBe(s.tier);
    expect(registry.calls[0].routes).toEqual({
      owner: 'logging/kibana',
      syncWave: WAVE.edge,
      host: 'berkeleytime.com',
      namespace: 'logging',
      backends: [{ path: '/kibana', serviceName: 'kibana-kb-http', port: 5601, pods: s.tier.kibana.server }],
      auth: { secretName: 'kibana-htpasswd' },
    });
    expect(s.tier.externalSecrets).toContain('logging/kibana-htpasswd');
  });

  test('the three namespaces are default-deny, with one allow per flow', () => {
    const policies = platform.all('NetworkPolicy').map((p) => {
      const port = (rules: any[] | undefined) => rules?.[0]?.ports?.map((x: any) => x.port).join(',');
      return `${p.metadata.namespace}/${p.metadata.name} ${port(p.spec.ingress) ?? port(p.spec.egress) ?? ''}`.trim();
    });
    expect(policies.sort()).toEqual([
      'elastic-system/allow-dns 53,53',
      'elastic-system/default-deny',
      'elastic-system/egress-eck-operator-to-elasticsearch 9200',
      'elastic-system/egress-eck-operator-to-kibana 5601',
      'elastic-system/egress-eck-operator-to-kube-apiserver 6443',
      'elastic-system/ingress-eck-operator-from-kube-apiserver 9443',
      'logging-shipper/allow-dns 53,53',
      'logging-shipper/default-deny',
      'logging-shipper/egress-filebeat-to-elasticsearch 9200',
      'logging-shipper/egress-filebeat-to-kube-apiserver 6443',
      'logging/allow-dns 53,53',
      'logging/default-deny',
      'logging/egress-elasticsearch-to-elasticsearch-transport 9300',
      'logging/egress-kibana-to-elasticsearch 9200',
      'logging/egress-retention-policy-to-elasticsearch 9200',
      'logging/ingress-elasticsearch-from-eck-operator 9200',
      'logging/ingress-elasticsearch-from-filebeat 9200',
      'logging/ingress-elasticsearch-from-kibana 9200',
      'logging/ingress-elasticsearch-from-retention-policy 9200',
      'logging/ingress-elasticsearch-transport-from-elasticsearch 9300',
      'logging/ingress-kibana-from-eck-operator 5601',
    ]);
    expect(platform.one('NetworkPolicy', 'ingress-elasticsearch-from-eck-operator').spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'elastic-system' } } },
    ]);
    expect(platform.one('NetworkPolicy', 'ingress-elasticsearch-from-filebeat').spec.ingress[0].from).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'logging-shipper' } },
        podSelector: { matchLabels: { 'beat.k8s.elastic.co/name': 'filebeat' } },
      },
    ]);
    // The operator is elastic-system's only workload: its policies select the whole namespace.
    expect(platform.one('NetworkPolicy', 'egress-eck-operator-to-elasticsearch').spec).toEqual({
      podSelector: { matchLabels: {} },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'logging' } },
              podSelector: { matchLabels: { 'elasticsearch.k8s.elastic.co/cluster-name': 'logging' } },
            },
          ],
          ports: [{ port: 9200, protocol: 'TCP' }],
        },
      ],
    });
  });

  test('with the cluster addresses, the operator and Filebeat call the API server there, and the webhook admits the control planes', () => {
    const ha = synthLogging({ nodeCount: 1, hostsManaged: true, clusterAddresses: HA_ADDRESSES });
    const webhook = ha.one('NetworkPolicy', 'ingress-eck-operator-from-kube-apiserver').spec.ingress[0];
    expect(cidrsOf(webhook)).toEqual([...CONTROL_PLANE_BLOCKS, POD_CIDR]);
    expect(webhook.ports).toEqual([{ port: 9443, protocol: 'TCP' }]);
    for (const name of ['egress-eck-operator-to-kube-apiserver', 'egress-filebeat-to-kube-apiserver']) {
      expect(cidrsOf(ha.one('NetworkPolicy', name).spec.egress[0])).toEqual(CONTROL_PLANE_BLOCKS);
    }
  });

  describe('disabling logging never deletes the logs', () => {
    test('what holds or guards the data carries Prune=false,Delete=false', () => {
      const es = platform.one('Elasticsearch');
      expect(syncOptions(es)).toBe(`${PROTECTED},SkipDryRunOnMissingResource=true`);
      expect(es.spec.nodeSets[0].volumeClaimTemplates[0].metadata.annotations[ARGO_ANNOTATION.syncOptions]).toBe(PROTECTED);
      expect(es.spec.volumeClaimDeletePolicy).toBe('DeleteOnScaledownOnly');
      // Pruning the operator would remove ECK's CRDs and with them the Elasticsearch resource.
      expect(syncOptions(platform.one('Application', 'eck-operator'))).toBe(PROTECTED);
      expect(syncOptions(platform.one('Namespace', 'logging'))).toBe(PROTECTED);
      expect(syncOptions(platform.one('Namespace', 'elastic-system'))).toBe(PROTECTED);
    });

    test('the policies that keep Elasticsearch closed and clustered stay; the rest may be pruned', () => {
      const kept = platform
        .all('NetworkPolicy')
        .filter((p) => syncOptions(p) === PROTECTED)
        .map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
      expect(kept.sort()).toEqual([
        'logging/allow-dns',
        'logging/default-deny',
        'logging/egress-elasticsearch-to-elasticsearch-transport',
        'logging/ingress-elasticsearch-from-eck-operator',
        'logging/ingress-elasticsearch-transport-from-elasticsearch',
      ]);
      for (const kind of ['Kibana', 'Beat', 'Job']) expect(syncOptions(platform.one(kind))).not.toContain('Prune=false');
      expect(syncOptions(platform.one('Namespace', 'logging-shipper'))).toBe('');
    });
  });

  test('declares the Secret a person must create (ECK makes its own) and keeps Elasticsearch out of any route', () => {
    expect(platform.tier.externalSecrets).toEqual(['logging/kibana-basic-auth']);
    expect(platform.tier.protectedServices).toEqual([
      { namespace: 'logging', name: 'logging-es-http', selector: { 'elasticsearch.k8s.elastic.co/cluster-name': 'logging' } },
    ]);
  });

  describe('validation (Kubernetes 1.28 and 1.36 schemas, the ECK CRDs, references, Pod Security)', () => {
    test.each([
      ['the default platform (one host)', {}],
      ['three unmanaged hosts with every option set', { nodeCount: 3, hostsManaged: false, config: fullConfig() }],
    ])('%s: zero findings', (_name, opts) => {
      expect(validationFindings(synthLogging(opts))).toEqual([]);
    });
  });

  test('snapshot: the default platform, one host', () => {
    expect(platform.docs).toMatchSnapshot();
  });

  test('snapshot: three unmanaged hosts, every option set', () => {
    expect(synthLogging({ nodeCount: 3, hostsManaged: false, config: fullConfig() }).docs).toMatchSnapshot();
  });
});

describe('LoggingTier with the real EdgeTier', () => {
  const withEdge = (controller: 'envoy-gateway' | 'ingress-nginx'): SynthesizedLogging =>
    synthLogging({
      edge: (app, namespaces) =>
        new EdgeTier(app, '30-edge', {
          ...edgeSchema.parse({ controller, tls: { acmeEmail: 'ops@berkeleytime.com' } }),
          namespaces,
          hosts: ['berkeleytime.com'],
          previewDomains: [],
        }),
    });

  test('envoy-gateway: an HTTPRoute for /kibana with a basic-auth SecurityPolicy on it', () => {
    const s = withEdge('envoy-gateway');
    const route = s.one('HTTPRoute');
    expect(route.metadata.namespace).toBe('logging');
    expect(route.spec.hostnames).toEqual(['berkeleytime.com']);
    expect(route.spec.rules[0].matches).toEqual([{ path: { type: 'PathPrefix', value: '/kibana' } }]);
    expect(route.spec.rules[0].backendRefs).toEqual([expect.objectContaining({ kind: 'Service', name: 'kibana-kb-http', port: 5601 })]);
    const auth = s.one('SecurityPolicy');
    expect(auth.spec.basicAuth.users).toMatchObject({ kind: 'Secret', name: 'kibana-basic-auth' });
    expect(auth.spec.targetRefs).toEqual([expect.objectContaining({ kind: 'HTTPRoute', name: route.metadata.name })]);
    expectEntryPointAdmitted(s);
  });

  test('ingress-nginx: an Ingress for /kibana with basic-auth annotations', () => {
    const s = withEdge('ingress-nginx');
    const ingress = s.one('Ingress');
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/auth-type': 'basic',
      'nginx.ingress.kubernetes.io/auth-secret': 'kibana-basic-auth',
    });
    expect(ingress.spec.rules[0].host).toBe('berkeleytime.com');
    expect(ingress.spec.rules[0].http.paths[0]).toMatchObject({ path: '/kibana', backend: { service: { name: 'kibana-kb-http', port: { number: 5601 } } } });
    expectEntryPointAdmitted(s);
  });

  test('validates with the routes in place', () => {
    expect(validationFindings(withEdge('envoy-gateway'))).toEqual([]);
  });
});

/** The entry point (and nothing else routed) may open connections to Kibana on 5601. */
function expectEntryPointAdmitted(s: SynthesizedLogging): void {
  const fromEdge = s
    .all('NetworkPolicy')
    .filter((p) => p.metadata.name.startsWith('ingress-kibana-from-') && p.metadata.name !== 'ingress-kibana-from-eck-operator');
  expect(fromEdge).toHaveLength(1);
  expect(fromEdge[0].spec.podSelector).toEqual({ matchLabels: { 'kibana.k8s.elastic.co/name': 'kibana' } });
  expect(fromEdge[0].spec.ingress[0].ports).toEqual([{ port: 5601, protocol: 'TCP' }]);
}

function fullConfig() {
  return {
    retentionDays: 30,
    elasticsearch: { storage: '100Gi', heapMiB: 2048, resources: { requests: { cpu: '1' }, limits: { memory: '6Gi' } } },
    kibana: { authSecret: 'kibana-htpasswd', resources: { requests: { cpu: '200m', memory: '1Gi' }, limits: { memory: '1536Mi' } } },
    shipper: {
      resources: { requests: { cpu: '50m' }, limits: { memory: '512Mi' } },
      tolerations: [
        { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
        { key: 'dedicated', operator: 'Equal', value: 'ceph', effect: 'NoExecute' },
      ],
    },
  };
}
