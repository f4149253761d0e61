/** The `edge` config section: defaults, and bad values rejected with the field path and what was expected. */
import { configError, parsedConfig } from './helpers';

const F = 'config/platform.yaml';

describe('edge config', () => {
  test('defaults: Envoy Gateway, a DaemonSet, HSTS for a year, a 10Mi body limit, no DNS-01, no GitLab', () => {
    const { edge } = parsedConfig((c) => (c.edge = {}));
    expect(edge).toEqual({
      controller: 'envoy-gateway',
      nodePorts: { http: 30080, https: 30443 },
      proxyProtocol: true,
      proxy: { workload: 'DaemonSet' },
      tls: { issuer: 'letsencrypt-production', issuerOverrides: {} },
      hsts: { maxAgeSeconds: 31536000, includeSubDomains: false },
      maxRequestBodySize: '10Mi',
      gitlab: { enabled: false, service: { namespace: 'gitlab', name: 'gitlab', port: 80 }, maxRequestBodySize: '0' },
    });
  });

  test('a DNS-01 solver with its defaults', () => {
    const { edge } = parsedConfig(
      (c) => (c.edge.tls.dns01 = { rfc2136: { nameserver: '[2001:db8::53]:53', tsigKeyName: 'acme', tsigSecret: { secret: 'tsig', key: 'key' } } }),
    );
    expect(edge.tls.dns01?.rfc2136?.tsigAlgorithm).toBe('HMACSHA256');
  });

  test.each<[string, (c: any) => void, string]>([
    [
      'replicas with a DaemonSet',
      (c) => (c.edge.proxy = { replicas: 3 }),
      `${F}: edge.proxy.replicas: expected no replicas with workload DaemonSet (it runs one proxy per worker); set workload: Deployment to choose a count, found 3`,
    ],
    [
      'two DNS providers',
      (c) => (c.edge.tls.dns01 = { cloudflare: { apiToken: { secret: 'a', key: 'b' } }, route53: { region: 'x' } }),
      `${F}: edge.tls.dns01: expected exactly one DNS provider: cloudflare, rfc2136 or route53, found a mapping`,
    ],
    [
      'a misspelt DNS provider',
      (c) => (c.edge.tls.dns01 = { cloudfare: {} }),
      `${F}: edge.tls.dns01.cloudfare: unknown key (did you mean "cloudflare"?); expected one of cloudflare, rfc2136, route53`,
    ],
    [
      'a body limit nginx cannot express',
      (c) => (c.edge.maxRequestBodySize = '10MB'),
      `${F}: edge.maxRequestBodySize: expected a byte size such as "10Mi", "512Ki" or "0" (no limit), found "10MB"`,
    ],
    [
      'an unknown issuer for a host',
      (c) => (c.edge.tls.issuerOverrides = { 'preview.berkeleytime.com': 'letsencrypt' }),
      `${F}: edge.tls.issuerOverrides.preview.berkeleytime.com: expected one of "letsencrypt-production", "letsencrypt-staging", "self-signed", found "letsencrypt"`,
    ],
    [
      'an unknown controller',
      (c) => (c.edge.controller = 'traefik'),
      `${F}: edge.controller: expected one of "envoy-gateway", "ingress-nginx", found "traefik"`,
    ],
    // Defect 6 of the assembly review: /git to the GitLab chart, which cannot serve under a sub-path.
    [
      '/git to the GitLab Helm chart',
      (c) => (c.edge.gitlab = { enabled: true, service: { name: 'gitlab-webservice-default', port: 8181 } }),
      `${F}: edge.gitlab.service.name: expected the Service of a GitLab that serves under /git (Omnibus with external_url 'https://<host>/git'), not the GitLab Helm chart's webservice, which cannot serve under a sub-path (gitlab-org/charts/gitlab#6121), found "gitlab-webservice-default"`,
    ],
    [
      'the old HSTS key',
      (c) => (c.edge.hstsMaxAgeSeconds = 10),
      `${F}: edge.hstsMaxAgeSeconds: unknown key; expected one of controller, nodePorts, proxyProtocol, proxy, platformHost, tls, hsts, maxRequestBodySize, gitlab`,
    ],
  ])('%s', (_name, mutate, message) => {
    expect(configError(mutate)).toBe(message);
  });
});
