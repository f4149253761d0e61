import { Construct } from 'constructs';
import { Certificate, CertificateSpecPrivateKeyAlgorithm, CertificateSpecPrivateKeyRotationPolicy } from '../imports/cert-manager.io';
import {
  ClientTrafficPolicy,
  EnvoyProxy,
  EnvoyProxySpecProviderKubernetes,
  EnvoyProxySpecProviderKubernetesEnvoyServiceExternalTrafficPolicy,
  EnvoyProxySpecProviderKubernetesEnvoyServiceType,
  EnvoyProxySpecProviderType,
} from '../imports/gateway.envoyproxy.io';
import {
  Gateway,
  GatewayClass,
  GatewaySpecListeners,
  GatewaySpecListenersAllowedRoutesNamespacesFrom,
  GatewaySpecListenersTlsMode,
  HttpRoute,
  HttpRouteSpecRulesFiltersRequestRedirectScheme,
  HttpRouteSpecRulesFiltersRequestRedirectStatusCode,
  HttpRouteSpecRulesFiltersType,
} from '../imports/gateway.networking.k8s.io';
import { NamespacePeer } from '../lib/contracts';
import { ANNOTATION, LABEL } from '../lib/labels';
import { SYNC_OPTION, syncAnnotations } from '../lib/argocd';
import { ADDON_CLUSTER_KINDS, AddonApplication } from './addon-application';
import { ACME_SOLVER, GatewayListenerRef } from './edge-cert-manager';
import { PlannedCertificate } from './edge-tls-plan';
import { ChartPin } from '../lib/contracts';
import { pinnedChart } from '../lib/pins';
import { allowFromApiServer, allowToApiServer, ClusterAddresses } from '../lib/cluster-peers';
import { allowEgress, allowFromAnywhere, allowTraffic, defaultDeny, PodGroup, Server } from '../lib/network-policy';

export const ENVOY_GATEWAY_NAMESPACE = 'envoy-gateway-system';
/** The controller name Envoy Gateway watches GatewayClasses for (its chart's default, set explicitly). */
export const ENVOY_GATEWAY_CONTROLLER = 'gateway.envoyproxy.io/gatewayclass-controller';
/** The one shared Gateway (and its GatewayClass). */
export const GATEWAY_NAME = 'platform';
const GATEWAY_GROUP = 'gateway.networking.k8s.io';
/** Gateway API allows at most 64 listeners per Gateway; one is the HTTP listener. */
const MAX_LISTENERS = 64;

export enum ProxyWorkload {
  /** One Envoy on every schedulable worker: each node's NodePort answers locally. */
  DAEMON_SET = 'DaemonSet',
  /** A fixed number of Envoys; nodes without one drop NodePort traffic (`externalTrafficPolicy: Local`). */
  DEPLOYMENT = 'Deployment',
}

export interface EdgeGatewayProps {
  /** @default - the pin `envoy-gateway` of config/versions.yaml */
  readonly chart?: ChartPin;
  /** Fixed node ports of the Envoy Service; the control-plane TCP proxy forwards to them. */
  readonly nodePorts: { readonly http: number; readonly https: number };
  /** Require the PROXY protocol on every connection (the front proxy sends it). */
  readonly proxyProtocol: boolean;
  readonly workload: ProxyWorkload;
  /** Proxies when `workload` is a Deployment. @default 2 */
  readonly replicas?: number;
  /** One HTTPS listener (and Certificate) per entry. */
  readonly certificates: readonly PlannedCertificate[];
  /** Namespaces with these labels may attach routes to the HTTPS listeners. */
  readonly routeNamespaceLabels: Readonly<Record<string, string>>;
  readonly syncWave: number;
  /** Wave of the GatewayClass, EnvoyProxy and policies, after the chart's CRDs exist. */
  readonly resourceWave: number;
  /**
   * Wave of the Gateway, its Certificates and the HTTPS redirect: the root Application's last, because
   * an ACME certificate may wait on DNS for hours and the Gateway on its certificates.
   */
  readonly lastWave: number;
  /** The cluster's addresses, for the API server allows. @default - the API server's port on any address */
  readonly clusterAddresses?: ClusterAddresses;
}

/**
 * The gateway-helm chart's controller (release `envoy-gateway`) and its ports: xDS for the proxies
 * and the topology-injector webhook (chart v1.9.0). The certgen Job runs as a Helm hook.
 */
const CONTROLLER = {
  selector: { 'control-plane': 'envoy-gateway', [LABEL.name]: 'gateway-helm', [LABEL.instance]: 'envoy-gateway' },
  xds: { port: 18000 },
  webhook: { port: 9443 },
};
const CERTGEN_SELECTOR = { app: 'certgen' };
/** Envoy Gateway maps the Gateway's privileged listener ports to unprivileged ones (port + 10000). */
const PROXY_LISTENER_PORTS = [{ port: 10080 }, { port: 10443 }];

/**
 * Envoy Gateway as the single entry point: the controller chart, a GatewayClass whose EnvoyProxy
 * runs Envoy behind the only NodePort Service (fixed ports, `externalTrafficPolicy: Local` so client
 * addresses survive), the PROXY protocol from the control-plane TCP proxy, and one shared Gateway
 * with an HTTP listener that only redirects (and serves ACME challenges) and an HTTPS listener per host.
 * @see https://gateway.envoyproxy.io/docs/tasks/operations/customize-envoyproxy/
 * @see https://gateway-api.sigs.k8s.io/reference/spec/#gateway
 */
export class EdgeGateway extends Construct {
  public readonly addon: AddonApplication;
  public readonly gateway: Gateway;
  /** Where ACME HTTP-01 challenge routes attach. */
  public readonly http01Listener: GatewayListenerRef;
  /** The Envoy proxy pods, as NetworkPolicies select them. */
  public readonly peer: NamespacePeer;

  constructor(scope: Construct, id: string, props: EdgeGatewayProps) {
    super(scope, id);
    const namespace = ENVOY_GATEWAY_NAMESPACE;
    if (props.certificates.length + 1 > MAX_LISTENERS) {
      throw new Error(
        `edge: ${props.certificates.length} HTTPS hosts need ${props.certificates.length + 1} Gateway listeners, more than the ${MAX_LISTENERS} a Gateway allows; ` +
          'configure edge.tls.dns01 so that preview hosts share one wildcard listener, or use fewer preview branches',
      );
    }
    this.addon = new AddonApplication(this, 'Chart', {
      name: 'envoy-gateway',
      chart: props.chart ?? pinnedChart('envoy-gateway'),
      namespace,
      syncWave: props.syncWave,
      // The chart carries the Gateway API and Envoy Gateway CRDs; EnvoyProxy and SecurityPolicy exceed the client-side limit.
      serverSideApply: true,
      // Beside CRDs, RBAC and webhooks, the chart ships an admission policy for its own CRDs.
      clusterKinds: [
        ...ADDON_CLUSTER_KINDS,
        { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicy' },
        { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicyBinding' },
      ],
      values: { config: { envoyGateway: { gateway: { controllerName: ENVOY_GATEWAY_CONTROLLER } } } },
    });

    const annotations = syncAnnotations(props.resourceWave, SYNC_OPTION.skipDryRunOnMissingResource);
    const meta = (name: string) => ({ name, namespace, annotations });
    const gatewayMeta = (name: string, extra: Record<string, string> = {}) => ({
      name,
      namespace,
      annotations: { ...syncAnnotations(props.lastWave, SYNC_OPTION.skipDryRunOnMissingResource), ...extra },
    });

    const proxyName = `${GATEWAY_NAME}-proxy`;
    const workload: EnvoyProxySpecProviderKubernetes =
      props.workload === ProxyWorkload.DAEMON_SET ? { envoyDaemonSet: {} } : { envoyDeployment: { replicas: props.replicas ?? 2 } };
    new EnvoyProxy(this, 'Proxy', {
      metadata: meta(proxyName),
      spec: {
        provider: {
          type: EnvoyProxySpecProviderType.KUBERNETES,
          kubernetes: {
            ...workload,
            envoyService: {
              name: `envoy-${GATEWAY_NAME}`,
              type: EnvoyProxySpecProviderKubernetesEnvoyServiceType.NODE_PORT,
              externalTrafficPolicy: EnvoyProxySpecProviderKubernetesEnvoyServiceExternalTrafficPolicy.LOCAL,
              // Service ports are the listener ports; the patch pins their node ports (merge key: port).
              patch: {
                type: 'StrategicMerge',
                value: {
                  spec: {
                    ports: [
                      { port: 80, nodePort: props.nodePorts.http },
                      { port: 443, nodePort: props.nodePorts.https },
                    ],
                  },
                },
              },
            },
          },
        },
      },
    });

    new GatewayClass(this, 'Class', {
      metadata: { name: GATEWAY_NAME, annotations },
      spec: {
        controllerName: ENVOY_GATEWAY_CONTROLLER,
        parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: proxyName, namespace },
      },
    });

    const https: GatewaySpecListeners[] = props.certificates.map((cert) => ({
      name: `https-${cert.hostname.replace(/^\*\./, 'wildcard.')}`,
      hostname: cert.hostname,
      port: 443,
      protocol: 'HTTPS',
      tls: { mode: GatewaySpecListenersTlsMode.TERMINATE, certificateRefs: [{ group: '', kind: 'Secret', name: cert.secretName }] },
      allowedRoutes: {
        namespaces: { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SELECTOR, selector: { matchLabels: { ...props.routeNamespaceLabels } } },
        kinds: [{ group: GATEWAY_GROUP, kind: 'HTTPRoute' }],
      },
    }));
    this.gateway = new Gateway(this, 'Gateway', {
      metadata: gatewayMeta(GATEWAY_NAME),
      spec: {
        gatewayClassName: GATEWAY_NAME,
        listeners: [
          // Only routes of this namespace: the HTTPS redirect and cert-manager's challenge routes.
          { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME } } },
          ...https,
        ],
      },
    });
    this.http01Listener = { name: GATEWAY_NAME, namespace, sectionName: 'http' };

    // ACME challenges are Exact path matches, which take precedence over this catch-all redirect.
    new HttpRoute(this, 'HttpsRedirect', {
      metadata: gatewayMeta('https-redirect'),
      spec: {
        parentRefs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: GATEWAY_NAME, sectionName: 'http' }],
        rules: [
          {
            filters: [
              {
                type: HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
                requestRedirect: {
                  scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS,
                  statusCode: HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301,
                },
              },
            ],
          },
        ],
      },
    });

    if (props.proxyProtocol) {
      new ClientTrafficPolicy(this, 'ProxyProtocol', {
        metadata: meta(`${GATEWAY_NAME}-proxy-protocol`),
        // Required, not optional: a connection without the header could forge its client address.
        spec: { targetRefs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: GATEWAY_NAME }], proxyProtocol: {} },
      });
    }

    for (const cert of props.certificates) {
      new Certificate(this, `Certificate-${cert.hostname}`, {
        // A temporary self-signed certificate fills the Secret at once, so the HTTPS listener resolves
        // (and the Gateway is healthy) while the real one is still being issued.
        metadata: gatewayMeta(cert.secretName, { [ANNOTATION.issueTemporaryCertificate]: 'true' }),
        spec: {
          secretName: cert.secretName,
          dnsNames: [cert.hostname],
          privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA, size: 256, rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS },
          issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: cert.issuer },
        },
      });
    }

    // Labels Envoy Gateway puts on the proxy pods of a Gateway (internal/infrastructure/kubernetes/proxy).
    this.peer = {
      name: 'edge',
      namespaceLabels: { 'kubernetes.io/metadata.name': namespace },
      podLabels: {
        [LABEL.name]: 'envoy',
        [LABEL.component]: 'proxy',
        'gateway.envoyproxy.io/owning-gateway-name': GATEWAY_NAME,
        'gateway.envoyproxy.io/owning-gateway-namespace': namespace,
      },
    };
    this.networkPolicies(props);
  }

  /**
   * The proxies accept anyone on their listener ports (clients arrive through the NodePort, from
   * the front proxy or directly), take their configuration from the controller over xDS, and call
   * the backends in the namespaces routes may attach from (whose own policies admit the proxies)
   * and cert-manager's solver during an HTTP-01 challenge. The controller and the certgen Job call
   * the API server, which calls the controller's webhook.
   * @see https://gateway.envoyproxy.io/docs/tasks/operations/deployment-mode/
   */
  private networkPolicies(props: EdgeGatewayProps): void {
    const namespace = ENVOY_GATEWAY_NAMESPACE;
    const addresses = props.clusterAddresses;
    const proxies: Server = {
      name: 'proxy',
      namespace,
      selector: { ...this.peer.podLabels },
      ports: PROXY_LISTENER_PORTS,
    };
    const controller: PodGroup = { name: 'controller', namespace, selector: CONTROLLER.selector };
    defaultDeny(this, namespace);
    allowFromAnywhere(this, proxies);
    allowTraffic(this, proxies, this, { ...controller, name: 'controller-xds', ports: [CONTROLLER.xds] });
    allowFromApiServer(this, { ...controller, name: 'controller-webhook', ports: [CONTROLLER.webhook] }, addresses);
    allowToApiServer(this, controller, addresses);
    allowToApiServer(this, { name: 'certgen', namespace, selector: CERTGEN_SELECTOR }, addresses);
    allowEgress(this, proxies, { name: 'backends', namespaceLabels: props.routeNamespaceLabels, ports: [] });
    // cert-manager starts the HTTP-01 solver in the Certificate's namespace: this one.
    allowTraffic(this, proxies, this, { ...ACME_SOLVER, namespace });
  }
}
