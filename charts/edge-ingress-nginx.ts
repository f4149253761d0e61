import { Construct } from 'constructs';
import { Certificate, CertificateSpecPrivateKeyAlgorithm, CertificateSpecPrivateKeyRotationPolicy } from '../imports/cert-manager.io';
import { NamespacePeer } from '../lib/contracts';
import { SYNC_OPTION, syncAnnotations } from '../lib/argocd';
import { ANNOTATION, LABEL } from '../lib/labels';
import { ADDON_CLUSTER_KINDS, AddonApplication } from './addon-application';
import { ProxyWorkload } from './edge-gateway';
import { PlannedCertificate } from './edge-tls-plan';
import { ChartPin } from '../lib/contracts';
import { pinnedChart } from '../lib/pins';
import { allowFromApiServer, allowToApiServer, ClusterAddresses } from '../lib/cluster-peers';
import { allowEgress, allowFromAnywhere, defaultDeny, Server } from '../lib/network-policy';

export const INGRESS_NGINX_NAMESPACE = 'ingress-nginx';
export const INGRESS_CLASS = 'nginx';
/** Serves preview hosts whose Ingress names no Secret (`--default-ssl-certificate`). */
const DEFAULT_CERTIFICATE = 'preview-wildcard-tls';

export interface EdgeIngressNginxProps {
  /** @default - the pin `ingress-nginx` of config/versions.yaml */
  readonly chart?: ChartPin;
  readonly nodePorts: { readonly http: number; readonly https: number };
  /** Namespaces of the backends the controller may call (their own policies admit it). @default - none */
  readonly backendNamespaceLabels?: Readonly<Record<string, string>>;
  /** The cluster's addresses, for the API server allows. @default - the API server's port on any address */
  readonly clusterAddresses?: ClusterAddresses;
  readonly proxyProtocol: boolean;
  readonly workload: ProxyWorkload;
  /** Controllers when `workload` is a Deployment. @default 2 */
  readonly replicas?: number;
  /** `Strict-Transport-Security` max-age; 0 turns the header off. */
  readonly hstsMaxAgeSeconds: number;
  readonly hstsIncludeSubDomains: boolean;
  /** Wildcard certificates (preview domains), served as the controller's default certificate. @default [] */
  readonly wildcards?: readonly PlannedCertificate[];
  readonly syncWave: number;
  /** Wave of the wildcard Certificate: the root Application's last, since an ACME order may wait on DNS for hours. */
  readonly lastWave: number;
}

/**
 * The retired ingress-nginx controller, for clusters that still run it: its final chart with the
 * same NodePort entry point as the Gateway (fixed ports, `externalTrafficPolicy: Local`, PROXY
 * protocol), HSTS in the controller config, and wildcard preview certificates as the default
 * certificate (Ingresses cannot reference a Secret in another namespace).
 * @see https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/configmap/
 */
export class EdgeIngressNginx extends Construct {
  public readonly addon: AddonApplication;
  /** The controller pods, as NetworkPolicies select them. */
  public readonly peer: NamespacePeer;

  constructor(scope: Construct, id: string, props: EdgeIngressNginxProps) {
    super(scope, id);
    const namespace = INGRESS_NGINX_NAMESPACE;
    const wildcards = [...(props.wildcards ?? [])];
    const issuers = [...new Set(wildcards.map((w) => w.issuer))];
    if (issuers.length > 1) {
      throw new Error(
        `edge: ingress-nginx serves all wildcard preview certificates as one default certificate, but their issuers differ (${issuers.sort().join(', ')}); ` +
          'give every preview domain the same issuer in edge.tls.issuerOverrides',
      );
    }
    const workload = props.workload === ProxyWorkload.DAEMON_SET ? { kind: 'DaemonSet' } : { kind: 'Deployment', replicaCount: props.replicas ?? 2 };
    this.addon = new AddonApplication(this, 'Chart', {
      name: 'ingress-nginx',
      chart: props.chart ?? pinnedChart('ingress-nginx'),
      namespace,
      syncWave: props.syncWave,
      clusterKinds: [...ADDON_CLUSTER_KINDS, { group: 'networking.k8s.io', kind: 'IngressClass' }],
      values: {
        controller: {
          ...workload,
          ingressClass: INGRESS_CLASS,
          ingressClassResource: { name: INGRESS_CLASS, enabled: true, default: false },
          allowSnippetAnnotations: false,
          service: {
            type: 'NodePort',
            externalTrafficPolicy: 'Local',
            nodePorts: { http: props.nodePorts.http, https: props.nodePorts.https },
          },
          // ConfigMap values are strings.
          config: {
            'use-proxy-protocol': String(props.proxyProtocol),
            hsts: String(props.hstsMaxAgeSeconds > 0),
            'hsts-max-age': String(props.hstsMaxAgeSeconds),
            'hsts-include-subdomains': String(props.hstsIncludeSubDomains),
            'hsts-preload': 'false',
          },
          ...(wildcards.length ? { extraArgs: { 'default-ssl-certificate': `${namespace}/${DEFAULT_CERTIFICATE}` } } : {}),
        },
      },
    });

    if (wildcards.length) {
      new Certificate(this, 'PreviewWildcard', {
        metadata: {
          name: DEFAULT_CERTIFICATE,
          namespace,
          annotations: { ...syncAnnotations(props.lastWave, SYNC_OPTION.skipDryRunOnMissingResource), [ANNOTATION.issueTemporaryCertificate]: 'true' },
        },
        spec: {
          secretName: DEFAULT_CERTIFICATE,
          dnsNames: wildcards.map((w) => w.hostname),
          privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA, size: 256, rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS },
          issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: issuers[0] },
        },
      });
    }

    // The chart's controller pod labels (release name = Application name).
    this.peer = {
      name: 'edge',
      namespaceLabels: { 'kubernetes.io/metadata.name': namespace },
      podLabels: { [LABEL.name]: 'ingress-nginx', [LABEL.instance]: 'ingress-nginx', [LABEL.component]: 'controller' },
    };
    this.networkPolicies(props);
  }

  /**
   * The controller's container ports and the admission Jobs' labels of chart 4.15.1: clients on
   * 80/443 from anywhere (through the NodePort), the API server on the admission webhook, and the
   * controller out to the API server and to the backends; the Jobs patch the webhook's certificate.
   */
  private networkPolicies(props: EdgeIngressNginxProps): void {
    const namespace = INGRESS_NGINX_NAMESPACE;
    const controller = { name: 'controller', namespace, selector: { ...this.peer.podLabels! } };
    const addresses = props.clusterAddresses;
    defaultDeny(this, namespace);
    allowFromAnywhere(this, { ...controller, ports: [{ port: 80 }, { port: 443 }] });
    const webhook: Server = { ...controller, name: 'controller-webhook', ports: [{ port: 8443 }] };
    allowFromApiServer(this, webhook, addresses);
    allowToApiServer(this, controller, addresses);
    const jobs = { name: 'admission-jobs', namespace, selector: { [LABEL.instance]: 'ingress-nginx', [LABEL.component]: 'admission-webhook' } };
    allowToApiServer(this, jobs, addresses);
    if (props.backendNamespaceLabels) allowEgress(this, controller, { name: 'backends', namespaceLabels: props.backendNamespaceLabels, ports: [] });
  }
}
