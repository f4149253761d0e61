/** Schema of `edge`: the single entry point, TLS and route policy. */
import { z } from 'zod';
import { dnsLabel, email, hostname, integer, port, quantity } from './primitives';

export const edge = z.strictObject({
  /** `envoy-gateway` (Gateway API, default) or the retired `ingress-nginx` (compatibility). */
  controller: z.enum(['envoy-gateway', 'ingress-nginx']).default('envoy-gateway'),
  nodePorts: z.strictObject({ http: port().default(30080), https: port().default(30443) }).default({ http: 30080, https: 30443 }),
  /** The control-plane TCP proxy sends the PROXY protocol, so client addresses survive. */
  proxyProtocol: z.boolean().default(true),
  /** Host that carries platform services (/kibana, /git); default: the first app's production host. */
  platformHost: hostname().optional(),
  tls: z
    .strictObject({
      issuer: z.enum(['letsencrypt-production', 'letsencrypt-staging', 'self-signed']).default('letsencrypt-production'),
      acmeEmail: email().optional(),
    })
    .default({ issuer: 'letsencrypt-production' }),
  hstsMaxAgeSeconds: integer({ min: 0 }).default(31536000),
  maxRequestBodySize: quantity().default('10Mi'),
  /** Basic-auth Secret (htpasswd in key `.htpasswd`) guarding /kibana; never synthesized. */
  kibanaAuthSecret: dnsLabel().default('kibana-basic-auth'),
});

export type EdgeConfig = z.infer<typeof edge>;
