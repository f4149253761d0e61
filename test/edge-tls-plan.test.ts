/**
 * Certificates of the entry point: one per host, one wildcard per preview domain with DNS-01,
 * issuers per host or domain, and the Let's Encrypt rate-limit warning.
 */
import { issuerFor, planTls, previewDomainOf, registeredDomain } from '../charts/edge-tls-plan';
import { edge } from '../config/schema/edge';
import { allDocs, buildEdge, named, ofKind, schemaFindings } from './edge-fixtures';

const tls = (over: object = {}) => edge.parse({ tls: over }).tls;
const dns01 = { cloudflare: { apiToken: { secret: 'cloudflare-token', key: 'api-token' } } };
const previewHosts = (n: number) => Array.from({ length: n }, (_, i) => `b${i}.preview.example.org`);

describe('planTls', () => {
  test('one certificate per host, sorted, from the default issuer', () => {
    const plan = planTls({ hosts: ['www.example.org', 'example.org', 'example.org'], previewDomains: [], tls: tls() });
    expect(plan.certificates).toEqual([
      { hostname: 'example.org', secretName: 'example.org-tls', issuer: 'letsencrypt-production', wildcard: false, preview: false },
      { hostname: 'www.example.org', secretName: 'www.example.org-tls', issuer: 'letsencrypt-production', wildcard: false, preview: false },
    ]);
  });

  test('with DNS-01, the previews of a domain share one wildcard certificate', () => {
    const plan = planTls({ hosts: ['example.org', ...previewHosts(3)], previewDomains: ['preview.example.org'], tls: tls({ dns01 }) });
    expect(plan.certificates.map((c) => [c.hostname, c.secretName, c.wildcard])).toEqual([
      ['*.preview.example.org', 'wildcard.preview.example.org-tls', true],
      ['example.org', 'example.org-tls', false],
    ]);
  });

  test('without DNS-01, every preview gets its own certificate', () => {
    const plan = planTls({ hosts: previewHosts(2), previewDomains: ['preview.example.org'], tls: tls() });
    expect(plan.certificates.map((c) => [c.hostname, c.preview])).toEqual([
      ['b0.preview.example.org', true],
      ['b1.preview.example.org', true],
    ]);
  });

  test('issuer overrides: the most specific host or domain wins', () => {
    const t = tls({ issuer: 'letsencrypt-staging', issuerOverrides: { 'example.org': 'letsencrypt-production', 'preview.example.org': 'self-signed' } });
    expect(issuerFor('example.org', t)).toBe('letsencrypt-production');
    expect(issuerFor('www.example.org', t)).toBe('letsencrypt-production');
    expect(issuerFor('b0.preview.example.org', t)).toBe('self-signed');
    expect(issuerFor('*.preview.example.org', t)).toBe('self-signed');
    expect(issuerFor('other.net', t)).toBe('letsencrypt-staging');
    expect(issuerFor('notexample.org', t)).toBe('letsencrypt-staging');
  });

  test('preview domains and registered domains', () => {
    expect(previewDomainOf('b0.preview.example.org', ['preview.example.org'])).toBe('preview.example.org');
    expect(previewDomainOf('a.b0.preview.example.org', ['preview.example.org'])).toBeUndefined();
    expect(previewDomainOf('preview.example.org', ['preview.example.org'])).toBeUndefined();
    expect(registeredDomain('*.preview.ocf.berkeley.edu')).toBe('berkeley.edu');
  });

  describe("the Let's Encrypt rate-limit warning", () => {
    test('warns (stable id) when a rebuild plus a new set of previews could pass 50 certificates in a week', () => {
      // 1 + 25 certificates, and 25 replaced previews: 51.
      const plan = planTls({ hosts: ['example.org', ...previewHosts(25)], previewDomains: ['preview.example.org'], tls: tls() });
      expect(plan.warnings).toEqual([
        {
          id: 'platform:edge:letsEncryptRateLimit',
          message:
            "26 Let's Encrypt certificates for example.org (25 of them for previews) could become 51 requests in one week (a rebuild plus a new set of preview branches), " +
            "above Let's Encrypt's 50 per registered domain per week; configure edge.tls.dns01 so that previews share one wildcard certificate, or put previews on the internal CA (edge.tls.issuerOverrides)",
        },
      ]);
    });

    test('stays quiet at the limit, with DNS-01, with previews on the internal CA, or on the staging CA', () => {
      const hosts = ['example.org', ...previewHosts(25)];
      const domains = ['preview.example.org'];
      expect(planTls({ hosts: ['example.org', ...previewHosts(24)], previewDomains: domains, tls: tls() }).warnings).toEqual([]);
      expect(planTls({ hosts, previewDomains: domains, tls: tls({ dns01 }) }).warnings).toEqual([]);
      expect(planTls({ hosts, previewDomains: domains, tls: tls({ issuerOverrides: { 'preview.example.org': 'self-signed' } }) }).warnings).toEqual([]);
      expect(planTls({ hosts, previewDomains: domains, tls: tls({ issuer: 'letsencrypt-staging' }) }).warnings).toEqual([]);
    });
  });
});

describe('EdgeTier with a DNS-01 solver', () => {
  const build = buildEdge((c) => (c.edge.tls.dns01 = dns01));
  const docs = allDocs(build);

  test('previews share one wildcard listener and certificate; other hosts keep their own', () => {
    const listeners = named(docs, 'Gateway', 'platform', 'envoy-gateway-system').spec.listeners.map((l: any) => [l.name, l.hostname ?? null]);
    expect(listeners).toEqual([
      ['http', null],
      ['https-wildcard.preview.berkeleytime.com', '*.preview.berkeleytime.com'],
      ['https-berkeleytime.com', 'berkeleytime.com'],
      ['https-staging.berkeleytime.com', 'staging.berkeleytime.com'],
    ]);
    expect(named(docs, 'Certificate', 'wildcard.preview.berkeleytime.com-tls', 'envoy-gateway-system').spec.dnsNames).toEqual(['*.preview.berkeleytime.com']);
    // Each preview's HTTPRoute names its own host; the wildcard listener admits it.
    const previewRoutes = ofKind(docs, 'HTTPRoute').filter((r) => r.metadata.namespace.includes('-preview-'));
    expect(previewRoutes.map((r) => r.spec.hostnames[0])).toEqual([
      'feature-new-catalog.preview.berkeleytime.com',
      'fix-enrollment-sync.preview.berkeleytime.com',
    ]);
  });

  test('the ACME issuers solve the preview zones with DNS-01 and everything else with HTTP-01', () => {
    const solvers = named(docs, 'ClusterIssuer', 'letsencrypt-production').spec.acme.solvers;
    expect(solvers[0]).toEqual({
      selector: { dnsZones: ['preview.berkeleytime.com'] },
      dns01: { cloudflare: { apiTokenSecretRef: { name: 'cloudflare-token', key: 'api-token' } } },
    });
    expect(Object.keys(solvers[1])).toEqual(['http01']);
    expect(build.edge.externalSecrets).toEqual(['cert-manager/cloudflare-token', 'logging/kibana-basic-auth']);
  });

  test.each([
    [
      'rfc2136',
      { rfc2136: { nameserver: 'ns1.example.org:53', tsigKeyName: 'acme', tsigSecret: { secret: 'tsig', key: 'secret' } } },
      { rfc2136: { nameserver: 'ns1.example.org:53', tsigKeyName: 'acme', tsigAlgorithm: 'HMACSHA256', tsigSecretSecretRef: { name: 'tsig', key: 'secret' } } },
    ],
    [
      'route53',
      { route53: { region: 'us-west-2', hostedZoneID: 'Z123', accessKeyID: 'AKIA1', secretAccessKey: { secret: 'aws', key: 'secret-access-key' } } },
      { route53: { region: 'us-west-2', hostedZoneID: 'Z123', accessKeyID: 'AKIA1', secretAccessKeySecretRef: { name: 'aws', key: 'secret-access-key' } } },
    ],
  ])('the %s provider', (_name, config, solver) => {
    const d = allDocs(buildEdge((c) => (c.edge.tls.dns01 = config)));
    expect(named(d, 'ClusterIssuer', 'letsencrypt-staging').spec.acme.solvers[0].dns01).toEqual(solver);
    expect(schemaFindings(d)).toEqual([]);
  });

  test('validates with zero findings', () => {
    expect(schemaFindings(docs)).toEqual([]);
  });
});

describe('EdgeTier issuers per host', () => {
  test("previews on the internal CA, production on Let's Encrypt", () => {
    const docs = allDocs(buildEdge((c) => (c.edge.tls.issuerOverrides = { 'preview.berkeleytime.com': 'self-signed' })));
    const issuer = (host: string) => named(docs, 'Certificate', `${host}-tls`, 'envoy-gateway-system').spec.issuerRef.name;
    expect(issuer('berkeleytime.com')).toBe('letsencrypt-production');
    expect(issuer('feature-new-catalog.preview.berkeleytime.com')).toBe('self-signed');
  });

  test('more hosts than a Gateway has listeners is an error that names the fix', () => {
    expect(() => buildEdge((c) => (c.apps.berkeleytime.environments.previews.branches = Array.from({ length: 62 }, (_, i) => `branch-${i}`)))).toThrow(
      /^edge: 64 HTTPS hosts need 65 Gateway listeners, more than the 64 a Gateway allows; configure edge\.tls\.dns01/,
    );
  });

  test('many previews without DNS-01 warn about the rate limit', () => {
    const build = buildEdge((c) => (c.apps.berkeleytime.environments.previews.branches = Array.from({ length: 30 }, (_, i) => `branch-${i}`)));
    expect(build.warnings.map((w) => w.id)).toEqual(['platform:edge:letsEncryptRateLimit']);
  });
});
