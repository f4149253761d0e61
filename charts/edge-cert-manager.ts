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
import { allowFromApiServer, allowToApiServer, ClusterAddresses, ipBlocks } from '../lib/cluster-peers';
import { LABEL } from '../lib/labels';
import { allPods, defaultDeny, PodGroup, policyPorts, Server } from '../lib/network-policy';
import { InternetEgress } from './internet-egress';
import { k8s } from 'cdk8s-plus-28';

export const CERT_MANAGER_NAMESPACE = 'cert-manager';

const ACME_SERVERS: Record<Exclude<TlsIssuer, 'self-signed'>, string> = {
  'letsencrypt-production': 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
};

/** cert-manager's HTTP-01 solver pods (label and port), reached by the entry point during a challenge. */
export const ACME_SOLVER: Omit<Server, 'namespace'> = {
  name: 'acme-http01-solver',
  selector: { 'acme.cert-manager.io/http01-solver': 'true' },
  ports: [{ port: 8089 }],
};
/**
 * The solver's image: the chart's `acmesolver.image` (quay.io/jetstack + its `name`), which the
 * controller starts in the namespace of the Certificate being solved.
 */
export const ACME_SOLVER_IMAGE = 'quay.io/jetstack/cert-manager-acmesolver';

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
  /** The cluster's addresses, for the API server and front-proxy allows. @default - the ports alone, on any address */
  readonly clusterAddresses?: ClusterAddresses;
}

/** The cert-manager chart's pod labels (release `cert-manager`) and the webhook's container port (chart v1.21.1). */
const CONTROLLER: PodGroup = {
  name: 'controller',
  namespace: CERT_MANAGER_NAMESPACE,
  selector: { [LABEL.name]: 'cert-manager', [LABEL.instance]: 'cert-manager', [LABEL.component]: 'controller' },
};
const WEBHOOK: Server = {
  name: 'webhook',
  namespace: CERT_MANAGER_NAMESPACE,
  selector: { [LABEL.name]: 'webhook', [LABEL.instance]: 'cert-manager', [LABEL.component]: 'webhook' },
  ports: [{ port: 10250 }],
};
const DNS_PORTS = [
  { port: 53, protocol: 'UDP' as const },
  { port: 53, protocol: 'TCP' as const },
];

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

    this.networkPolicies(props);
    this.externalSecrets = (dns?.secrets ?? []).map((s) => `${CERT_MANAGER_NAMESPACE}/${s}`).sort();
    requireSecrets(this, this.externalSecrets);
  }

  /**
   * Every cert-manager pod calls the API server, which calls the webhook. The controller alone
   * leaves the cluster: the ACME servers and DNS-01 provider APIs (HTTPS), the zones'
   * authoritative name servers, which it asks before presenting a DNS-01 challenge, and the HTTP-01
   * self check, a GET of the challenge URL through the front proxy (a public address, or the
   * VIP and control-plane hosts where the name resolves inside the campus).
   * @see https://cert-manager.io/docs/configuration/acme/dns01/#setting-nameservers-for-dns01-self-check
   */
  private networkPolicies(props: EdgeCertManagerProps): void {
    const addresses = props.clusterAddresses;
    defaultDeny(this, CERT_MANAGER_NAMESPACE);
    allowToApiServer(this, allPods(CERT_MANAGER_NAMESPACE, 'cert-manager'), addresses);
    allowFromApiServer(this, WEBHOOK, addresses);
    new InternetEgress(this, 'Internet', { pods: [CONTROLLER], ports: [{ port: 443 }, { port: 80 }, ...DNS_PORTS] });
    const nameserver = props.dns01?.rfc2136 ? rfc2136Address(props.dns01.rfc2136.nameserver) : undefined;
    const egress: k8s.NetworkPolicyEgressRule[] = [
      ...(addresses ? [{ to: ipBlocks(addresses.entry), ports: policyPorts({ ports: [{ port: 80 }] }) }] : []),
      // A campus name server (RFC 2136) usually has a private address, which the internet rule leaves out.
      ...(nameserver ? [{ to: ipBlocks([nameserver.cidr]), ports: policyPorts({ ports: DNS_PORTS.map((p) => ({ ...p, port: nameserver.port })) }) }] : []),
    ];
    if (egress.length) {
      new k8s.KubeNetworkPolicy(this, 'Egress-controller-to-cluster-entry', {
        metadata: { name: 'egress-controller-to-cluster-entry', namespace: CERT_MANAGER_NAMESPACE },
        spec: { podSelector: { matchLabels: { ...CONTROLLER.selector } }, policyTypes: ['Egress'], egress },
      });
    }
  }
}

/** `10.0.0.53:5353` → its address block and port; undefined for a name (the internet rule covers public ones). */
function rfc2136Address(nameserver: string): { cidr: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|(\d{1,3}(?:\.\d{1,3}){3}))(?::(\d+))?$/.exec(nameserver);
  if (!m) return undefined;
  return { cidr: m[1] ? `${m[1]}/128` : `${m[2]}/32`, port: m[3] ? Number(m[3]) : 53 };
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
