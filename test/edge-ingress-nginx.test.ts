/**
 * `edge.controller: ingress-nginx`: the same route model as classic Ingresses for clusters that
 * still run the retired controller, and its final chart behind the same NodePort entry point.
 */
import { Testing } from 'cdk8s';
import { nginxSize } from '../charts/ingress-routes';
import { checkExposure } from '../lib/exposure';
import { allDocs, buildEdge, named, ofKind, schemaFindings, versions } from './edge-fixtures';
import { imageAllowlistsOf } from '../lib/image-allowlist';

const NGINX = (c: any) => (c.edge.controller = 'ingress-nginx');
const ingressIn = (docs: any[], namespace: string) => ofKind(docs, 'Ingress').find((i) => i.metadata.namespace === namespace);
const pathsOf = (ingress: any) =>
  ingress.spec.rules[0].http.paths.map((p: any) => [p.path, p.pathType, `${p.backend.service.name}:${p.backend.service.port.number}`]);

describe('EdgeTier (ingress-nginx)', () => {
  const build = buildEdge(NGINX);
  const docs = allDocs(build);

  test("HTTP-01 is solved in each route's namespace, so those namespaces may run cert-manager's solver image", () => {
    const solverIn = imageAllowlistsOf(...build.routeCharts)
      .filter((a) => a.images.includes('quay.io/jetstack/cert-manager-acmesolver'))
      .map((a) => a.namespace);
    expect(solverIn).toEqual(expect.arrayContaining(['berkeleytime-production', 'logging']));
    // The Gateway namespace of the default controller holds no Certificate here.
    expect(solverIn).not.toContain('envoy-gateway-system');
  });

  test('warns that the controller is retired (stable id)', () => {
    expect(build.warnings).toEqual([
      {
        id: 'platform:edge:ingressNginxRetired',
        message: `edge.controller is ingress-nginx, which the Kubernetes project retired in March 2026 (no security fixes since); its final chart ${versions.charts['ingress-nginx'].version} is pinned for compatibility only: switch to envoy-gateway, the default`,
      },
    ]);
  });

  test('installs the final ingress-nginx chart, pinned by the versions file, as the NodePort entry point', () => {
    const app = named(docs, 'Application', 'ingress-nginx', 'argocd');
    expect(app.spec.source).toMatchObject({
      repoURL: 'https://kubernetes.github.io/ingress-nginx',
      chart: 'ingress-nginx',
      targetRevision: versions.charts['ingress-nginx'].version,
    });
    const controller = app.spec.source.helm.valuesObject.controller;
    expect(controller.kind).toBe('DaemonSet');
    expect(controller.service).toEqual({ type: 'NodePort', externalTrafficPolicy: 'Local', nodePorts: { http: 30080, https: 30443 } });
    expect(controller.config).toEqual({
      'use-proxy-protocol': 'true',
      hsts: 'true',
      'hsts-max-age': '31536000',
      'hsts-include-subdomains': 'false',
      'hsts-preload': 'false',
    });
    expect(ofKind(docs, 'Gateway')).toEqual([]);
    expect(ofKind(docs, 'HTTPRoute')).toEqual([]);
    expect(named(docs, 'Application', 'cert-manager', 'argocd').spec.source.helm.valuesObject.config.gatewayAPI).toEqual({ enabled: false });
  });

  test('renders each environment as an Ingress: host, Prefix paths, backend Service and port, TLS through cert-manager', () => {
    for (const [namespace, host] of [
      ['berkeleytime-production', 'berkeleytime.com'],
      ['berkeleytime-staging', 'staging.berkeleytime.com'],
      ['berkeleytime-preview-feature-new-catalog', 'feature-new-catalog.preview.berkeleytime.com'],
      ['berkeleytime-preview-fix-enrollment-sync', 'fix-enrollment-sync.preview.berkeleytime.com'],
    ]) {
      const ingress = ingressIn(docs, namespace);
      expect(ingress.spec.ingressClassName).toBe('nginx');
      expect(ingress.spec.rules[0].host).toBe(host);
      expect(pathsOf(ingress)).toEqual([
        ['/', 'Prefix', 'frontend:3000'],
        ['/api', 'Prefix', 'backend:8000'],
      ]);
      expect(ingress.spec.tls).toEqual([{ hosts: [host], secretName: `${host}-tls` }]);
      expect(ingress.metadata.annotations).toEqual({
        'cert-manager.io/cluster-issuer': 'letsencrypt-production',
        // HTTPS works at once with a temporary certificate; the route's health never holds up its environment.
        'cert-manager.io/issue-temporary-certificate': 'true',
        'argocd.argoproj.io/ignore-healthcheck': 'true',
        'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true',
        'nginx.ingress.kubernetes.io/proxy-body-size': '10m',
      });
    }
  });

  test('/kibana carries basic auth annotations naming the declared Secret', () => {
    const ingress = ingressIn(docs, 'logging');
    expect(ingress.spec.rules[0].host).toBe('berkeleytime.com');
    expect(pathsOf(ingress)).toEqual([['/kibana', 'Prefix', 'kibana-kb-http:5601']]);
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/auth-type': 'basic',
      'nginx.ingress.kubernetes.io/auth-secret': 'kibana-basic-auth',
      'nginx.ingress.kubernetes.io/auth-secret-type': 'auth-file',
    });
  });

  test('the ACME issuers solve HTTP-01 through the nginx IngressClass, and the controller may reach the solver pods', () => {
    expect(named(docs, 'ClusterIssuer', 'letsencrypt-production').spec.acme.solvers).toEqual([{ http01: { ingress: { ingressClassName: 'nginx' } } }]);
    const solver = named(docs, 'NetworkPolicy', 'ingress-acme-http01-solver-from-edge', 'berkeleytime-staging');
    expect(solver.spec.podSelector).toEqual({ matchLabels: { 'acme.cert-manager.io/http01-solver': 'true' } });
    expect(solver.spec.ingress[0].ports).toEqual([{ port: 8089, protocol: 'TCP' }]);
  });

  test('admits the controller pods, and only them, to the backends', () => {
    const policy = named(docs, 'NetworkPolicy', 'ingress-frontend-from-edge', 'berkeleytime-production');
    expect(policy.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
            podSelector: {
              matchLabels: {
                'app.kubernetes.io/name': 'ingress-nginx',
                'app.kubernetes.io/instance': 'ingress-nginx',
                'app.kubernetes.io/component': 'controller',
              },
            },
          },
        ],
        ports: [{ port: 3000, protocol: 'TCP' }],
      },
    ]);
  });

  test('the controller namespace is restricted (the rendered chart passes it: test/assembly-defects.test.ts)', () => {
    const ns = named(docs, 'Namespace', 'ingress-nginx');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(ns.metadata.annotations['platform.campus/pod-security-reason']).toMatch(/NET_BIND_SERVICE/);
  });

  test('synthesizes no NodePort or LoadBalancer Service of its own', () => {
    expect(checkExposure(docs, [])).toEqual([]);
  });

  test('validates with zero findings', () => {
    expect(schemaFindings(docs)).toEqual([]);
  });

  test('snapshot: the cluster edge chart and the production Ingress', () => {
    expect(Testing.synth(build.edge)).toMatchSnapshot();
    expect(ingressIn(docs, 'berkeleytime-production')).toMatchSnapshot();
  });
});

describe('ingress-nginx with a DNS-01 solver', () => {
  const docs = allDocs(buildEdge((c) => (NGINX(c), (c.edge.tls.dns01 = { cloudflare: { apiToken: { secret: 'cf', key: 'token' } } }))));

  test('previews use the wildcard certificate as the controller default, without a Secret or cert-manager annotation of their own', () => {
    const cert = named(docs, 'Certificate', 'preview-wildcard-tls', 'ingress-nginx');
    expect(cert.spec).toMatchObject({ dnsNames: ['*.preview.berkeleytime.com'], issuerRef: { name: 'letsencrypt-production' } });
    expect(named(docs, 'Application', 'ingress-nginx', 'argocd').spec.source.helm.valuesObject.controller.extraArgs).toEqual({
      'default-ssl-certificate': 'ingress-nginx/preview-wildcard-tls',
    });
    const preview = ingressIn(docs, 'berkeleytime-preview-fix-enrollment-sync');
    expect(preview.spec.tls).toEqual([{ hosts: ['fix-enrollment-sync.preview.berkeleytime.com'] }]);
    expect(preview.metadata.annotations['cert-manager.io/cluster-issuer']).toBeUndefined();
    // No HTTP-01 challenge happens in a preview namespace, so no solver policy either.
    expect(named(docs, 'NetworkPolicy', 'ingress-acme-http01-solver-from-edge', 'berkeleytime-preview-fix-enrollment-sync')).toBeUndefined();
    expect(ingressIn(docs, 'berkeleytime-production').spec.tls).toEqual([{ hosts: ['berkeleytime.com'], secretName: 'berkeleytime.com-tls' }]);
  });

  test('validates with zero findings', () => {
    expect(schemaFindings(docs)).toEqual([]);
  });
});

describe('nginxSize', () => {
  test.each([
    ['10Mi', '10m'],
    ['512Ki', '512k'],
    ['1Gi', '1g'],
    ['1048576', '1048576'],
    ['0', '0'],
  ])('%s is %s', (q, size) => expect(nginxSize(q)).toBe(size));
  test('refuses what nginx cannot express', () =>
    expect(() => nginxSize('10M')).toThrow('edge: "10M" is not a byte size such as "10Mi" that nginx can express'));
});
