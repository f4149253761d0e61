/**
 * The edge's vocabulary, shared by the config schema (config/schema/edge.ts) and the constructs
 * (charts/edge-*.ts): the certificate issuers the edge provides, and an ACME DNS-01 solver in
 * cert-manager's field names.
 */

/** Certificate issuers the edge tier provides as ClusterIssuers (charts/edge-cert-manager.ts). */
export const TLS_ISSUERS = ['letsencrypt-production', 'letsencrypt-staging', 'self-signed'] as const;
export type TlsIssuer = (typeof TLS_ISSUERS)[number];

/** A key of a Secret in the cert-manager namespace (ClusterIssuers read their Secrets there). */
export interface SecretKeyRef {
  readonly secret: string;
  readonly key: string;
}

/**
 * An ACME DNS-01 solver: exactly one provider. With one, every preview domain gets one wildcard
 * certificate instead of one certificate per preview host.
 * @see https://cert-manager.io/docs/configuration/acme/dns01/
 */
export interface Dns01Solver {
  readonly cloudflare?: { readonly apiToken: SecretKeyRef };
  readonly rfc2136?: { readonly nameserver: string; readonly tsigKeyName: string; readonly tsigAlgorithm?: string; readonly tsigSecret: SecretKeyRef };
  readonly route53?: { readonly region: string; readonly hostedZoneID?: string; readonly accessKeyID?: string; readonly secretAccessKey?: SecretKeyRef };
}

/** TLS of the entry point: the default issuer, overrides per host or domain, the ACME account, DNS-01. */
export interface TlsOptions {
  /** @default 'letsencrypt-production' */
  readonly issuer?: TlsIssuer;
  /** Issuers for particular hosts or domains (a domain covers its subdomains). @default - none */
  readonly issuerOverrides?: Readonly<Record<string, TlsIssuer>>;
  /** @default - no contact address on the ACME account */
  readonly acmeEmail?: string;
  /** @default - HTTP-01 through the entry point */
  readonly dns01?: Dns01Solver;
}
