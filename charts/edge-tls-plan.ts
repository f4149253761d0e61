/**
 * Which certificates the entry point serves: one per host, except that every preview domain gets
 * one wildcard certificate when a DNS-01 solver is configured (Let's Encrypt only issues wildcards
 * through DNS-01). Pure data, shared by both renderers (Gateway listeners, Ingress `tls`).
 */
import { TlsIssuer, TlsOptions } from '../lib/edge-vocabulary';
import { byOrdinal } from '../lib/order';
import { tlsSecretName } from '../lib/names';

/** Let's Encrypt's "new certificates per registered domain" limit, per rolling week. */
export const LETS_ENCRYPT_WEEKLY_LIMIT = 50;

/** A certificate the entry point terminates TLS with. */
export interface PlannedCertificate {
  /** Host name the certificate (and the Gateway listener) covers: a host, or `*.<preview domain>`. */
  readonly hostname: string;
  /** Secret the certificate is stored in; also the Certificate's name. */
  readonly secretName: string;
  /** ClusterIssuer that signs it. */
  readonly issuer: TlsIssuer;
  readonly wildcard: boolean;
  /** It serves a preview host (a new one is requested each time a preview branch appears). */
  readonly preview: boolean;
}

export interface TlsPlan {
  /** Sorted by host name. */
  readonly certificates: readonly PlannedCertificate[];
  /** Warnings (id, message) for the caller to emit. */
  readonly warnings: readonly { id: string; message: string }[];
}

/** TLS with its defaults applied. */
export type TlsSettings = Required<Pick<TlsOptions, 'issuer' | 'issuerOverrides'>> & TlsOptions;

export interface TlsPlanInput {
  /** Every host that needs HTTPS. */
  readonly hosts: readonly string[];
  /** Domains under which preview hosts live (`<branch>.<domain>`). */
  readonly previewDomains: readonly string[];
  readonly tls: TlsSettings;
}

/** The issuer of a host: the most specific `issuerOverrides` key (the host or a parent domain), else the default. */
export function issuerFor(host: string, tls: TlsSettings): TlsIssuer {
  const bare = host.replace(/^\*\./, '');
  const keys = Object.keys(tls.issuerOverrides)
    .filter((key) => bare === key || bare.endsWith(`.${key}`))
    .sort((a, b) => b.length - a.length);
  return keys.length ? tls.issuerOverrides[keys[0]] : tls.issuer;
}

/** The preview domain `host` is a direct child of, if any (`x.preview.example.org` → `preview.example.org`). */
export function previewDomainOf(host: string, previewDomains: readonly string[]): string | undefined {
  return previewDomains.find((d) => host.endsWith(`.${d}`) && !host.slice(0, -d.length - 1).includes('.'));
}

/**
 * The registered domain Let's Encrypt counts against: the last two labels. Under a two-label public
 * suffix (`example.co.uk`) this over-counts, so the warning errs on the cautious side.
 */
export function registeredDomain(host: string): string {
  return host.replace(/^\*\./, '').split('.').slice(-2).join('.');
}

export function planTls(input: TlsPlanInput): TlsPlan {
  const wildcardDomains = input.tls.dns01 ? [...new Set(input.previewDomains)].sort() : [];
  const certificates: PlannedCertificate[] = wildcardDomains.map((domain) => ({
    hostname: `*.${domain}`,
    secretName: tlsSecretName(`wildcard.${domain}`),
    issuer: issuerFor(domain, input.tls),
    wildcard: true,
    preview: true,
  }));
  for (const host of [...new Set(input.hosts)].sort()) {
    const domain = previewDomainOf(host, input.previewDomains);
    if (domain && wildcardDomains.includes(domain)) continue;
    certificates.push({ hostname: host, secretName: tlsSecretName(host), issuer: issuerFor(host, input.tls), wildcard: false, preview: domain !== undefined });
  }
  certificates.sort((a, b) => byOrdinal(a.hostname, b.hostname));
  return { certificates, warnings: rateLimitWarnings(certificates) };
}

/**
 * A cluster rebuild requests every certificate at once, and replacing each preview branch within
 * the same week requests each preview's again: if that can pass the weekly limit, say so.
 */
function rateLimitWarnings(certificates: readonly PlannedCertificate[]) {
  const byDomain = new Map<string, PlannedCertificate[]>();
  for (const cert of certificates.filter((c) => c.issuer === 'letsencrypt-production')) {
    const domain = registeredDomain(cert.hostname);
    byDomain.set(domain, [...(byDomain.get(domain) ?? []), cert]);
  }
  return [...byDomain.entries()]
    .sort(([a], [b]) => byOrdinal(a, b))
    .flatMap(([domain, certs]) => {
      const previews = certs.filter((c) => c.preview && !c.wildcard).length;
      const worstWeek = certs.length + previews;
      if (previews === 0 || worstWeek <= LETS_ENCRYPT_WEEKLY_LIMIT) return [];
      return [
        {
          id: 'platform:edge:letsEncryptRateLimit',
          message:
            `${certs.length} Let's Encrypt certificates for ${domain} (${previews} of them for previews) could become ${worstWeek} requests in one week ` +
            `(a rebuild plus a new set of preview branches), above Let's Encrypt's ${LETS_ENCRYPT_WEEKLY_LIMIT} per registered domain per week; ` +
            'configure edge.tls.dns01 so that previews share one wildcard certificate, or put previews on the internal CA (edge.tls.issuerOverrides)',
        },
      ];
    });
}
