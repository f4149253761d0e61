/**
 * The edge tier with its default controller, Envoy Gateway: add-on Applications, the Gateway and its
 * policies, cert-manager issuers and certificates, and the routes every environment and Kibana add.
 */
import { Chart, Testing } from 'cdk8s';
import { EdgeTier } from '../charts/edge-tier';
import { Namespaces } from '../charts/namespaces';
import { checkExposure } from '../lib/exposure';
import { allDocs, buildEdge, edgeHosts, named, ofKind, schemaFindings, versions } from './edge-fixtures';
import { parsedConfig } from './helpers';

const GW_NS = 'envoy-gateway-system';
const routeOf = (docs: any[], namespace: string) => ofKind(docs, 'HTTPRoute').find((r) => r.metadata.namespace === namespace);
const rulesOf = (route: any) => route.spec.rules.map((r: any) => ({ match: r.matches[0].path, backend: `${r.backendRefs[0].name}:${r.backendRefs[0].port}` }));

describe('EdgeTier (Envoy Gateway, default platform)', () => {
  const build = buildEdge();
  const docs = allDocs(build);

  test('delivers Envoy Gateway and cert-manager as Applications pinned exactly by the versions file', () => {
    const gw = named(docs, 'Application', 'envoy-gateway', 'argocd');
    expect(gw.spec.source.repoURL).toBe(`${versions.charts['envoy-gateway'].repoURL}/${versions.charts['envoy-gateway'].chart}`);
    expect(gw.spec.source.targetRevision).toBe(versions.charts['envoy-gateway'].version);
    expect(gw.spec.destination.namespace).toBe(GW_NS);
    expect(gw.spec.syncPolicy.syncOptions).toEqual(['ServerSideApply=true']);
    const cm = named(docs, 'Application', 'cert-manager', 'argocd');
    expect(cm.spec.source.targetRevision).toBe(versions.charts['cert-manager'].version);
    expect(cm.spec.source.helm.valuesObject).toMatchObject({ crds: { enabled: true, keep: true }, config: { gatewayAPI: { enabled: true } } });
    // cert-manager needs the Gateway API CRDs that the Envoy Gateway chart installs.
    const wave = (a: any) => Number(a.metadata.annotations['argocd.argoproj.io/sync-wave']);
    expect(wave(cm)).toBeGreaterThan(wave(gw));
    expect(wave(named(docs, 'Gateway', 'platform', GW_NS))).toBeGreaterThan(wave(cm));
  });

  test('runs Envoy as a DaemonSet behind the only NodePort Service, with fixed node ports and externalTrafficPolicy Local', () => {
    const proxy = named(docs, 'EnvoyProxy', 'platform-proxy', GW_NS);
    const k = proxy.spec.provider.kubernetes;
    expect(k.envoyDaemonSet).toEqual({});
    expect(k.envoyService).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Local' });
    expect(k.envoyService.patch.value.spec.ports).toEqual([
      { port: 80, nodePort: 30080 },
      { port: 443, nodePort: 30443 },
    ]);
    expect(named(docs, 'GatewayClass', 'platform').spec).toEqual({
      controllerName: 'gateway.envoyproxy.io/gatewayclass-controller',
      parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: 'platform-proxy', namespace: GW_NS },
    });
  });

  test('a Deployment of proxies and other node ports come from config', () => {
    const d = allDocs(buildEdge((c) => (c.edge = { ...c.edge, nodePorts: { http: 31080, https: 31443 }, proxy: { workload: 'Deployment', replicas: 3 } })));
    const k = named(d, 'EnvoyProxy', 'platform-proxy', GW_NS).spec.provider.kubernetes;
    expect(k.envoyDeployment).toEqual({ replicas: 3 });
    expect(k.envoyDaemonSet).toBeUndefined();
    expect(k.envoyService.patch.value.spec.ports).toEqual([
      { port: 80, nodePort: 31080 },
      { port: 443, nodePort: 31443 },
    ]);
  });

  test('accepts the PROXY protocol from the front proxy (required, so client addresses cannot be forged), and only when configured', () => {
    expect(named(docs, 'ClientTrafficPolicy', 'platform-proxy-protocol', GW_NS).spec).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'platform' }],
      proxyProtocol: {},
    });
    expect(ofKind(allDocs(buildEdge((c) => (c.edge.proxyProtocol = false))), 'ClientTrafficPolicy')).toEqual([]);
  });

  test('one Gateway: an HTTP listener for this namespace only, and an HTTPS listener with its own certificate per host', () => {
    const gw = named(docs, 'Gateway', 'platform', GW_NS);
    const [http, ...https] = gw.spec.listeners;
    expect(http).toEqual({ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } });
    const hosts = [
      'berkeleytime.com',
      'feature-new-catalog.preview.berkeleytime.com',
      'fix-enrollment-sync.preview.berkeleytime.com',
      'staging.berkeleytime.com',
    ];
    expect(https.map((l: any) => l.hostname)).toEqual(hosts);
    for (const l of https) {
      expect(l).toMatchObject({ port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: `${l.hostname}-tls` }] } });
      expect(l.allowedRoutes.namespaces).toEqual({ from: 'Selector', selector: { matchLabels: build.edge.entryPoint.namespaceLabels } });
      const cert = named(docs, 'Certificate', `${l.hostname}-tls`, GW_NS);
      expect(cert.spec).toMatchObject({
        secretName: `${l.hostname}-tls`,
        dnsNames: [l.hostname],
        issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt-production' },
      });
    }
    const redirect = named(docs, 'HTTPRoute', 'https-redirect', GW_NS);
    expect(redirect.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'platform', sectionName: 'http' }]);
    expect(redirect.spec.rules).toEqual([{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }]);
  });

  test("ClusterIssuers: Let's Encrypt production and staging solving HTTP-01 through the Gateway, and an internal CA", () => {
    for (const [name, server] of [
      ['letsencrypt-production', 'https://acme-v02.api.letsencrypt.org/directory'],
      ['letsencrypt-staging', 'https://acme-staging-v02.api.letsencrypt.org/directory'],
    ]) {
      expect(named(docs, 'ClusterIssuer', name).spec.acme).toEqual({
        server,
        email: 'ops@berkeleytime.com',
        privateKeySecretRef: { name: `${name}-account-key` },
        solvers: [
          {
            http01: {
              gatewayHTTPRoute: {
                parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'platform', namespace: GW_NS, sectionName: 'http' }],
              },
            },
          },
        ],
      });
    }
    expect(named(docs, 'ClusterIssuer', 'self-signed-root').spec).toEqual({ selfSigned: {} });
    expect(named(docs, 'Certificate', 'platform-ca', 'cert-manager').spec).toMatchObject({
      isCA: true,
      secretName: 'platform-ca',
      issuerRef: { name: 'self-signed-root' },
    });
    expect(named(docs, 'ClusterIssuer', 'self-signed').spec).toEqual({ ca: { secretName: 'platform-ca' } });
  });

  test('routes production, staging and every preview: host, PathPrefix paths, backend Service and port', () => {
    const expected = { '/': 'frontend:3000', '/api': 'backend:8000' };
    for (const [namespace, host] of [
      ['berkeleytime-production', 'berkeleytime.com'],
      ['berkeleytime-staging', 'staging.berkeleytime.com'],
      ['berkeleytime-preview-feature-new-catalog', 'feature-new-catalog.preview.berkeleytime.com'],
      ['berkeleytime-preview-fix-enrollment-sync', 'fix-enrollment-sync.preview.berkeleytime.com'],
    ]) {
      const route = routeOf(docs, namespace);
      expect(route.spec.hostnames).toEqual([host]);
      expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'platform', namespace: GW_NS }]);
      expect(rulesOf(route)).toEqual(Object.entries(expected).map(([value, backend]) => ({ match: { type: 'PathPrefix', value }, backend })));
    }
  });

  test('/kibana on the production host in its own namespace, behind basic auth from a declared Secret', () => {
    const route = routeOf(docs, 'logging');
    expect(route.spec.hostnames).toEqual(['berkeleytime.com']);
    expect(rulesOf(route)).toEqual([{ match: { type: 'PathPrefix', value: '/kibana' }, backend: 'kibana-kb-http:5601' }]);
    expect(named(docs, 'SecurityPolicy', 'logging-kibana-basic-auth', 'logging').spec).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: route.metadata.name }],
      basicAuth: { users: { group: '', kind: 'Secret', name: 'kibana-basic-auth' } },
    });
    expect(ofKind(docs, 'Secret')).toEqual([]);
    expect(build.edge.externalSecrets).toEqual(['logging/kibana-basic-auth']);
    // Application routes carry no authentication.
    expect(ofKind(docs, 'SecurityPolicy')).toHaveLength(1);
  });

  test('HSTS on every routed response and the body limit on every route, from config', () => {
    for (const route of ofKind(docs, 'HTTPRoute').filter((r) => r.metadata.namespace !== GW_NS)) {
      for (const rule of route.spec.rules) {
        expect(rule.filters).toEqual([
          { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'Strict-Transport-Security', value: 'max-age=31536000' }] } },
        ]);
      }
      const limit = named(docs, 'BackendTrafficPolicy', `${route.metadata.name}-body-limit`, route.metadata.namespace);
      expect(limit.spec).toEqual({
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: route.metadata.name }],
        requestBuffer: { limit: '10Mi' },
      });
    }
    const d = allDocs(buildEdge((c) => (c.edge = { ...c.edge, hsts: { maxAgeSeconds: 600, includeSubDomains: true }, maxRequestBodySize: '0' })));
    expect(routeOf(d, 'berkeleytime-production').spec.rules[0].filters[0].responseHeaderModifier.set[0].value).toBe('max-age=600; includeSubDomains');
    expect(ofKind(d, 'BackendTrafficPolicy')).toEqual([]);
  });

  test('admits the Envoy proxies, and only them, to each backend on its routed port', () => {
    const policy = named(docs, 'NetworkPolicy', 'ingress-backend-from-edge', 'berkeleytime-staging');
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'berkeleytime', 'app.kubernetes.io/name': 'backend' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': GW_NS } },
              podSelector: {
                matchLabels: {
                  'app.kubernetes.io/name': 'envoy',
                  'app.kubernetes.io/component': 'proxy',
                  'gateway.envoyproxy.io/owning-gateway-name': 'platform',
                  'gateway.envoyproxy.io/owning-gateway-namespace': GW_NS,
                },
              },
            },
          ],
          ports: [{ port: 8000, protocol: 'TCP' }],
        },
      ],
    });
    expect(build.edge.entryPoint.peer.podLabels).toEqual(policy.spec.ingress[0].from[0].podSelector.matchLabels);
    expect(named(docs, 'NetworkPolicy', 'ingress-kibana-from-edge', 'logging').spec.ingress[0].ports).toEqual([{ port: 5601, protocol: 'TCP' }]);
  });

  test('the controller namespaces are restricted, with the reason recorded', () => {
    for (const name of [GW_NS, 'cert-manager']) {
      const ns = named(docs, 'Namespace', name);
      expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
      expect(ns.metadata.annotations['platform.campus/pod-security-reason']).toMatch(/^restricted/);
    }
  });

  test('validates against the Kubernetes, Gateway API, Envoy Gateway, cert-manager and Argo CD schemas with zero findings', () => {
    expect(schemaFindings(docs)).toEqual([]);
  });

  test('emits no warning for the default platform', () => {
    expect(build.warnings).toEqual([]);
  });

  test('snapshot: the cluster edge chart', () => {
    expect(Testing.synth(build.edge)).toMatchSnapshot();
  });
});

describe('EdgeTier route rules', () => {
  const fresh = () => {
    const config = parsedConfig();
    const app = Testing.app();
    const edge = new EdgeTier(app, '30-edge', { ...config.edge, namespaces: new Namespaces(app), ...edgeHosts(config) });
    return { edge, chart: new Chart(app, 'routes') };
  };
  const pods = (name: string, namespace: string) => ({ name, namespace, selector: { app: name }, ports: [{ port: 8080 }] });

  test('two route sets claiming the same host and path are a config error naming both', () => {
    const { edge, chart } = fresh();
    edge.addRoutes(chart, {
      owner: 'berkeleytime/production',
      host: 'berkeleytime.com',
      namespace: 'bt',
      backends: [{ path: '/git', serviceName: 'frontend', port: 3000, pods: pods('frontend', 'bt') }],
    });
    expect(() =>
      edge.addRoutes(chart, {
        owner: 'gitlab',
        host: 'berkeleytime.com',
        namespace: 'gitlab',
        backends: [{ path: '/git/', serviceName: 'webservice', port: 8181, pods: pods('webservice', 'gitlab') }],
      }),
    ).toThrow(
      'edge: berkeleytime.com/git is claimed by both berkeleytime/production (service frontend) and gitlab (service webservice); two routes cannot share a host and path: change one of them',
    );
  });

  test('the same path on different hosts is fine', () => {
    const { edge, chart } = fresh();
    for (const [owner, host, ns] of [
      ['a/production', 'berkeleytime.com', 'a'],
      ['a/staging', 'staging.berkeleytime.com', 'b'],
    ]) {
      edge.addRoutes(chart, { owner, host, namespace: ns, backends: [{ path: '/', serviceName: 'web', port: 80, pods: pods('web', ns) }] });
    }
    expect(ofKind(Testing.synth(chart), 'HTTPRoute')).toHaveLength(2);
  });

  test('a host without an HTTPS listener is refused', () => {
    const { edge, chart } = fresh();
    expect(() =>
      edge.addRoutes(chart, {
        owner: 'x/production',
        host: 'example.org',
        namespace: 'x',
        backends: [{ path: '/', serviceName: 'web', port: 80, pods: pods('web', 'x') }],
      }),
    ).toThrow('edge: x/production routes host "example.org", which has no HTTPS listener; add it to EdgeTierProps.hosts');
  });

  test('a backend in another namespace than its route is refused', () => {
    const { edge, chart } = fresh();
    expect(() =>
      edge.addRoutes(chart, {
        owner: 'x/production',
        host: 'berkeleytime.com',
        namespace: 'x',
        backends: [{ path: '/', serviceName: 'web', port: 80, pods: pods('web', 'y') }],
      }),
    ).toThrow('edge: x/production routes / to pods in namespace y, outside its route namespace x; a route and its Service share a namespace');
  });
});

describe('exposure: the entry point is the only way in', () => {
  const docs = allDocs(buildEdge());
  const extra = (type: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'debug', namespace: 'berkeleytime-production' },
    spec: { type, selector: { app: 'backend' }, ports: [{ port: 80 }] },
  });

  test('the edge synthesizes no Service of its own (Envoy Gateway creates the one NodePort Service)', () => {
    expect(checkExposure(docs, [])).toEqual([]);
    expect(ofKind(docs, 'Service')).toEqual([]);
  });

  test.each(['NodePort', 'LoadBalancer'])('a second %s Service is rejected', (type) => {
    expect(checkExposure([...docs, extra(type)], [])).toEqual([
      `Service berkeleytime-production/debug is of type ${type}; only the edge entry point may be exposed outside the cluster (route HTTP through the Gateway instead)`,
    ]);
  });
});

describe('GitLab at /git', () => {
  test('disabled by default', () => {
    expect(ofKind(allDocs(buildEdge()), 'HTTPRoute').filter((r) => r.metadata.namespace === 'gitlab')).toEqual([]);
  });

  test('when enabled, routes /git on the platform host to the existing GitLab Service, and says the namespace needs the admission label', () => {
    const build = buildEdge((c) => (c.edge = { ...c.edge, platformHost: 'berkeleytime.com', gitlab: { enabled: true } }));
    const route = ofKind(Testing.synth(build.edge), 'HTTPRoute').find((r) => r.metadata.namespace === 'gitlab');
    expect(route.spec.hostnames).toEqual(['berkeleytime.com']);
    expect(rulesOf(route)).toEqual([{ match: { type: 'PathPrefix', value: '/git' }, backend: 'gitlab:80' }]);
    // Git pushes are unlimited by default, and GitLab's own pods are never isolated by our policy.
    expect(ofKind(Testing.synth(build.edge), 'BackendTrafficPolicy')).toEqual([]);
    expect(ofKind(Testing.synth(build.edge), 'NetworkPolicy').filter((p) => p.metadata.namespace === 'gitlab')).toEqual([]);
    expect(build.warnings.map((w) => w.id)).toEqual(['platform:edge:gitlabNamespaceLabel']);
  });

  test('keeps the /git prefix: GitLab serves under its relative URL, so the route rewrites nothing (either controller)', () => {
    const gitlab = (controller: string) => (c: any) => (c.edge = { ...c.edge, controller, platformHost: 'berkeleytime.com', gitlab: { enabled: true } });
    const route = ofKind(Testing.synth(buildEdge(gitlab('envoy-gateway')).edge), 'HTTPRoute').find((r) => r.metadata.namespace === 'gitlab');
    expect(route.spec.rules.flatMap((r: any) => (r.filters ?? []).map((f: any) => f.type))).not.toContain('URLRewrite');
    // A long clone outlasts Envoy Gateway's 15s default.
    expect(route.spec.rules[0].timeouts).toEqual({ request: '3600s' });
    const ingress = ofKind(Testing.synth(buildEdge(gitlab('ingress-nginx')).edge), 'Ingress').find((r) => r.metadata.namespace === 'gitlab');
    expect(ingress.spec.rules[0].http.paths.map((p: any) => [p.path, p.pathType])).toEqual([['/git', 'Prefix']]);
    expect(Object.keys(ingress.metadata.annotations).filter((k) => k.includes('rewrite'))).toEqual([]);
  });

  test('needs a platform host', () => {
    const config = parsedConfig((c) => (c.edge = { ...c.edge, gitlab: { enabled: true } }));
    const app = Testing.app();
    expect(() => new EdgeTier(app, '30-edge', { ...config.edge, namespaces: new Namespaces(app), ...edgeHosts(config) })).toThrow(
      'edge.gitlab: routing /git needs the platform host; set edge.platformHost (or pass EdgeTierProps.platformHost)',
    );
  });
});
