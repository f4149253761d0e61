import { Construct } from 'constructs';
import { Dns01Solver, TlsIssuer } from '../lib/edge-vocabulary';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
  ClusterIssuer,
  ClusterIssuerSpecAcmeSolvers,
  ClusterIssuerSpecAcmeSolversDns01,
  ClusterIssuerSpecAcmeSolversHttp01,
} from '../imports/cert-manager.io';
import { ARGO_ANNOTATION, SYNC_OPTION } from '../lib/argocd';
import { AddonApplication } from './addon-application';
import { requireSecrets } from '../lib/warnings';
import { ChartPin } from '../lib/contracts';
import { pinnedChart } from '../lib/pins';

export const CERT_MANAGER_NAMESPACE = 'cert-manager';

const ACME_SERVERS: Record<Exclude<TlsIssuer, 'self-signed'>, string> = {
  'letsencrypt-production': 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
};

/** The Gateway listener that serves ACME HTTP-01 challenges. */
export interface GatewayListenerRef {
  readonly name: string;
  readonly namespace: string;
  readonly sectionName: string;
}

export interface EdgeCertManagerProps {
  /** @default - the pin `cert-manager` of config/versions.yaml */
  readonly chart?: ChartPin;
  /** Where HTTP-01 challenge routes attach: a Gateway listener, or an IngressClass name. */
  readonly http01: { readonly gateway: GatewayListenerRef } | { readonly ingressClassName: string };
  /** Let cert-manager manage Gateway API objects (needs the Gateway API CRDs). */
  readonly gatewayApi: boolean;
  /** ACME account email (expiry notices, account recovery). @default - no email */
  readonly acmeEmail?: string;
  /** DNS-01 solver for `dns01Zones` (the wildcard preview certificates). @default - HTTP-01 only */
  readonly dns01?: Dns01Solver;
  /** Zones the DNS-01 solver answers for; every other name uses HTTP-01. @default [] */
  readonly dns01Zones?: readonly string[];
  /** Name shown in the internal CA's subject. */
  readonly caCommonName: string;
  readonly syncWave: number;
  /** Wave of the issuers, after the chart's CRDs exist. */
  readonly resourceWave: number;
}

/**
 * cert-manager delivered as a pinned chart, with the ClusterIssuers the edge uses: Let's Encrypt
 * production and staging (ACME HTTP-01 through the entry point, DNS-01 for wildcard zones) and an
 * internal CA (`self-signed`) for environments that must not use public certificates.
 * @see https://cert-manager.io/docs/installation/helm/
 * @see https://cert-manager.io/docs/configuration/acme/http01/#configuring-the-http-01-gateway-api-solver
 */
export class EdgeCertManager extends Construct {
  public readonly addon: AddonApplication;
  /** Secrets the issuers read but the repository never holds (`namespace/name`). */
  public readonly externalSecrets: readonly string[];

  constructor(scope: Construct, id: string, props: EdgeCertManagerProps) {
    super(scope, id);
    this.addon = new AddonApplication(this, 'Chart', {
      name: 'cert-manager',
      chart: props.chart ?? pinnedChart('cert-manager'),
      namespace: CERT_MANAGER_NAMESPACE,
      syncWave: props.syncWave,
      serverSideApply: true,
      values: {
        // `keep` leaves the CRDs (and so every Certificate) in place if the chart is ever removed.
        crds: { enabled: true, keep: true },
        // Leader election in kube-system by default; keep cert-manager's Role inside its own namespace.
        global: { leaderElection: { namespace: CERT_MANAGER_NAMESPACE } },
        config: {
          apiVersion: 'controller.config.cert-manager.io/v1alpha1',
          kind: 'ControllerConfiguration',
          // `enableGatewayAPI` is deprecated since v1.20 (values.yaml of chart v1.21.1).
          gatewayAPI: { enabled: props.gatewayApi },
        },
      },
    });

    const meta = (name: string, namespace?: string) => ({
      name,
      ...(namespace ? { namespace } : {}),
      annotations: { [ARGO_ANNOTATION.syncWave]: String(props.resourceWave), [ARGO_ANNOTATION.syncOptions]: SYNC_OPTION.skipDryRunOnMissingResource },
    });

    const dns = props.dns01 ? dns01Solver(props.dns01) : undefined;
    const zones = [...(props.dns01Zones ?? [])].sort();
    const http01: ClusterIssuerSpecAcmeSolversHttp01 =
      'gateway' in props.http01
        ? { gatewayHttpRoute: { parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', ...props.http01.gateway }] } }
        : { ingress: { ingressClassName: props.http01.ingressClassName } };
    const solvers: ClusterIssuerSpecAcmeSolvers[] = [...(dns && zones.length ? [{ selector: { dnsZones: zones }, dns01: dns.solver }] : []), { http01 }];
    for (const [issuer, server] of Object.entries(ACME_SERVERS)) {
      new ClusterIssuer(this, issuer, {
        metadata: meta(issuer),
        spec: {
          acme: {
            server,
            ...(props.acmeEmail ? { email: props.acmeEmail } : {}),
            privateKeySecretRef: { name: `${issuer}-account-key` },
            solvers,
          },
        },
      });
    }

    // The internal CA: a self-signed root whose key never leaves the cluster, then a CA issuer.
    new ClusterIssuer(this, 'SelfSignedRoot', { metadata: meta('self-signed-root'), spec: { selfSigned: {} } });
    new Certificate(this, 'CaCertificate', {
      metadata: meta('platform-ca', CERT_MANAGER_NAMESPACE),
      spec: {
        isCa: true,
        commonName: props.caCommonName,
        secretName: 'platform-ca',
        // Clients that trust this CA keep working for ten years; the leaf certificates rotate as usual.
        duration: '87600h',
        renewBefore: '720h',
        privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA, size: 256, rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS },
        issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'self-signed-root' },
      },
    });
    const selfSigned: TlsIssuer = 'self-signed';
    new ClusterIssuer(this, 'Ca', { metadata: meta(selfSigned), spec: { ca: { secretName: 'platform-ca' } } });

    this.externalSecrets = (dns?.secrets ?? []).map((s) => `${CERT_MANAGER_NAMESPACE}/${s}`).sort();
    requireSecrets(this, this.externalSecrets);
  }
}

/** cert-manager's DNS-01 provider block from the config, and the Secrets it reads. */
function dns01Solver(cfg: Dns01Solver): { solver: ClusterIssuerSpecAcmeSolversDns01; secrets: string[] } {
  if (cfg.cloudflare) {
    return {
      solver: { cloudflare: { apiTokenSecretRef: { name: cfg.cloudflare.apiToken.secret, key: cfg.cloudflare.apiToken.key } } },
      secrets: [cfg.cloudflare.apiToken.secret],
    };
  }
  if (cfg.rfc2136) {
    const r = cfg.rfc2136;
    return {
      solver: {
        rfc2136: {
          nameserver: r.nameserver,
          tsigKeyName: r.tsigKeyName,
          tsigAlgorithm: r.tsigAlgorithm,
          tsigSecretSecretRef: { name: r.tsigSecret.secret, key: r.tsigSecret.key },
        },
      },
      secrets: [r.tsigSecret.secret],
    };
  }
  const r = cfg.route53!;
  return {
    solver: {
      route53: {
        region: r.region,
        ...(r.hostedZoneID ? { hostedZoneId: r.hostedZoneID } : {}),
        ...(r.accessKeyID ? { accessKeyId: r.accessKeyID } : {}),
        ...(r.secretAccessKey ? { secretAccessKeySecretRef: { name: r.secretAccessKey.secret, key: r.secretAccessKey.key } } : {}),
      },
    },
    secrets: r.secretAccessKey ? [r.secretAccessKey.secret] : [],
  };
}
