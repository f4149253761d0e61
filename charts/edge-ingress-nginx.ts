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

export const INGRESS_NGINX_NAMESPACE = 'ingress-nginx';
export const INGRESS_CLASS = 'nginx';
/** Serves preview hosts whose Ingress names no Secret (`--default-ssl-certificate`). */
const DEFAULT_CERTIFICATE = 'preview-wildcard-tls';

export interface EdgeIngressNginxProps {
  /** @default - the pin `ingress-nginx` of config/versions.yaml */
  readonly chart?: ChartPin;
  readonly nodePorts: { readonly http: number; readonly https: number };
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
  }
}
