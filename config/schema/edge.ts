/** Schema of `edge`: the single entry point, TLS and route policy. */
import { z } from 'zod';
import { dnsLabel, email, hostname, integer, port } from './primitives';

import { TLS_ISSUERS } from '../../lib/edge-vocabulary';
import { EDGE_DEFAULTS } from '../../lib/tier-defaults';

export { TLS_ISSUERS, type TlsIssuer } from '../../lib/edge-vocabulary';

/** A request size in bytes, as both Envoy (resource quantity) and nginx (`k`/`m`/`g`) can express it. */
const byteSize = () =>
  z.string({ error: 'expected a byte size such as "10Mi", "512Ki" or "0" (no limit)' }).regex(/^[0-9]+(Ki|Mi|Gi)?$/, {
    error: 'expected a byte size such as "10Mi", "512Ki" or "0" (no limit)',
  });

/** A key of a Secret in the cert-manager namespace (ClusterIssuers read their Secrets there); never synthesized. */
const secretKey = z.strictObject({ secret: dnsLabel(), key: z.string().min(1, { error: 'expected a Secret key' }) });

/**
 * An ACME DNS-01 solver (cert-manager field names). With one, every preview domain gets one wildcard
 * certificate instead of one certificate per preview host.
 * @see https://cert-manager.io/docs/configuration/acme/dns01/
 */
const dns01 = z
  .strictObject({
    cloudflare: z.strictObject({ apiToken: secretKey }).optional(),
    /** A self-hosted authoritative server (BIND, Knot, PowerDNS) that accepts TSIG-signed updates. */
    rfc2136: z
      .strictObject({
        /** `host:port` or `[ipv6]:port` of the authoritative server. */
        nameserver: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$/, { error: 'expected "host:port" of the DNS server' }),
        tsigKeyName: z.string().min(1),
        tsigAlgorithm: z.enum(['HMACMD5', 'HMACSHA1', 'HMACSHA256', 'HMACSHA512']).default('HMACSHA256'),
        tsigSecret: secretKey,
      })
      .optional(),
    route53: z
      .strictObject({
        region: z.string().min(1),
        hostedZoneID: z.string().min(1).optional(),
        /** Static credentials; without them cert-manager uses its ambient (IRSA/instance) credentials. */
        accessKeyID: z.string().min(1).optional(),
        secretAccessKey: secretKey.optional(),
      })
      .optional(),
  })
  .refine((d) => [d.cloudflare, d.rfc2136, d.route53].filter(Boolean).length === 1, {
    error: 'expected exactly one DNS provider: cloudflare, rfc2136 or route53',
    // A misspelt provider is reported as an unknown key, not also as "no provider".
    when: (payload) => payload.issues.length === 0,
  });

const proxy = z
  .strictObject({
    /** `DaemonSet`: one Envoy per worker (every NodePort answers locally); `Deployment`: `replicas` Envoys. */
    workload: z.enum(['DaemonSet', 'Deployment']).default(EDGE_DEFAULTS.proxy.workload),
    /** Number of proxies; only for `workload: Deployment`. @default 2 */
    replicas: integer({ min: 1, max: 100 }).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.workload === 'DaemonSet' && p.replicas !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['replicas'],
        input: p.replicas,
        message: 'expected no replicas with workload DaemonSet (it runs one proxy per worker); set workload: Deployment to choose a count',
      });
    }
  });

/** The GitLab Helm chart's Service: that chart cannot serve under a sub-path such as `/git`. */
const GITLAB_CHART_SERVICE = /-webservice-default$/;

/**
 * `/git` on the platform host, routed to a GitLab installed outside this project. The route keeps the
 * path, so GitLab must serve under it: the Omnibus image does with `external_url 'https://<host>/git'`;
 * the GitLab Helm chart cannot (gitlab-org/charts/gitlab#6121, #3834). Its namespace is not ours: label
 * it with the Gateway's admission label, and admit the entry point there if it is default-deny (a
 * NetworkPolicy from us would isolate GitLab's own pods). For GitLab in the cluster, use `gitlab.enabled`
 * instead (config/schema/gitlab.ts); the two cannot be on together.
 */
const gitlab = z.strictObject({
  enabled: z.boolean().default(false),
  /** The Service of a GitLab Omnibus serving under `/git` (declared external: not synthesized here). */
  service: z
    .strictObject({
      namespace: dnsLabel().default(EDGE_DEFAULTS.gitlab.service.namespace),
      name: dnsLabel()
        .default(EDGE_DEFAULTS.gitlab.service.name)
        .superRefine((name, ctx) => {
          if (GITLAB_CHART_SERVICE.test(name)) {
            ctx.addIssue({
              code: 'custom',
              input: name,
              message: `expected the Service of a GitLab that serves under /git (Omnibus with external_url 'https://<host>/git'), not the GitLab Helm chart's webservice, which cannot serve under a sub-path (gitlab-org/charts/gitlab#6121)`,
            });
          }
        }),
      port: port().default(EDGE_DEFAULTS.gitlab.service.port),
    })
    .default({ ...EDGE_DEFAULTS.gitlab.service }),
  /** Git pushes and LFS uploads are large: `0` leaves them unlimited. */
  maxRequestBodySize: byteSize().default(EDGE_DEFAULTS.gitlab.maxRequestBodySize),
});

/** A NodePort in the API server's default range (--service-node-port-range 30000-32767). */
const nodePort = () => integer({ min: 30000, max: 32767 });

export const edge = z.strictObject({
  /** `envoy-gateway` (Gateway API, default) or the retired `ingress-nginx` (compatibility). */
  controller: z.enum(['envoy-gateway', 'ingress-nginx']).default(EDGE_DEFAULTS.controller),
  nodePorts: z
    .strictObject({ http: nodePort().default(EDGE_DEFAULTS.nodePorts.http), https: nodePort().default(EDGE_DEFAULTS.nodePorts.https) })
    .superRefine((p, ctx) => {
      if (p.http === p.https) ctx.addIssue({ code: 'custom', path: ['https'], message: `expected a NodePort other than http's, found ${p.https} for both` });
    })
    .default({ ...EDGE_DEFAULTS.nodePorts }),
  /** The control-plane TCP proxy sends the PROXY protocol, so client addresses survive. */
  proxyProtocol: z.boolean().default(EDGE_DEFAULTS.proxyProtocol),
  /** How the proxies run (they sit behind the NodePort with `externalTrafficPolicy: Local`). */
  proxy: proxy.default({ ...EDGE_DEFAULTS.proxy }),
  /** Host that carries platform services (/kibana, /git); default: the first app's production host. */
  platformHost: hostname().optional(),
  tls: z
    .strictObject({
      issuer: z.enum(TLS_ISSUERS).default(EDGE_DEFAULTS.tls.issuer),
      /**
       * Issuers for particular hosts or domains (a domain covers its subdomains), e.g. previews on the
       * internal CA: `{ preview.example.org: self-signed }`.
       */
      issuerOverrides: z.record(hostname(), z.enum(TLS_ISSUERS)).default({}),
      acmeEmail: email().optional(),
      dns01: dns01.optional(),
    })
    .default({ issuer: EDGE_DEFAULTS.tls.issuer, issuerOverrides: {} }),
  hsts: z
    .strictObject({
      /** `0` turns the Strict-Transport-Security header off. */
      maxAgeSeconds: integer({ min: 0 }).default(EDGE_DEFAULTS.hsts.maxAgeSeconds),
      /** Also pin every subdomain of each host to HTTPS. */
      includeSubDomains: z.boolean().default(EDGE_DEFAULTS.hsts.includeSubDomains),
    })
    .default({ ...EDGE_DEFAULTS.hsts }),
  /** Largest request body the entry point forwards (413 above it); `0` is unlimited. */
  maxRequestBodySize: byteSize().default(EDGE_DEFAULTS.maxRequestBodySize),
  gitlab: gitlab.default({ ...EDGE_DEFAULTS.gitlab, service: { ...EDGE_DEFAULTS.gitlab.service } }),
});
