/**
 * Pods that the storage and edge operators start from our custom resources, for the reference
 * checks: a NetworkPolicy that selects the Ceph daemons, the Envoy proxies or an ACME solver must
 * find them, or it would look as if it selected nothing. Labels and ports as the operators set them.
 */
import { SourceDocument } from './document';

/** What an operator (or an add-on chart) creates for one of our documents, by the document's kind. */
export interface OperatorPods {
  /** The resource's pod templates (`metadata.labels` + `spec`), with the labels the operator adds. */
  readonly pods: (
    doc: SourceDocument,
  ) => { labels: Record<string, string>; spec: any; specPath: string; /** @default - the resource's */ namespace?: string }[];
  /** Services the operator creates: name, ports and (when not the resource's) namespace. */
  readonly services: (name: string, doc: SourceDocument) => { name: string; ports: number[]; namespace?: string }[];
  /** Secrets the operator creates (credentials, CA certificates). @default - none */
  readonly secrets?: (name: string, doc?: SourceDocument) => string[];
}

const pod = (labels: Record<string, string>, ports: number[], namespace?: string) => ({
  labels,
  spec: { containers: [{ name: 'main', ports: ports.map((containerPort) => ({ containerPort })) }] },
  specPath: '',
  ...(namespace ? { namespace } : {}),
});

/**
 * Rook's daemons of a CephCluster, each with its `app` label (rook pkg/operator/ceph/cluster/{mon,mgr,osd},
 * pkg/operator/ceph/cluster/nodedaemon for the crash collector and ceph-exporter).
 * @see https://rook.io/docs/rook/v1.20/Storage-Configuration/Monitoring/ceph-monitoring/
 */
export const ROOK_CEPH_CLUSTER: OperatorPods = {
  pods: () => [
    pod({ app: 'rook-ceph-mon' }, [3300, 6789]),
    pod({ app: 'rook-ceph-mgr' }, [6800, 9283]),
    pod({ app: 'rook-ceph-osd' }, []),
    pod({ app: 'rook-ceph-exporter' }, [9926]),
    pod({ app: 'rook-ceph-crashcollector' }, []),
  ],
  services: () => [],
};

/**
 * Envoy Gateway's proxies for a Gateway, in the controller's namespace (the default deployment
 * mode), listener ports moved above 1024 (port + 10000).
 * @see https://gateway.envoyproxy.io/docs/tasks/operations/deployment-mode/
 */
export const ENVOY_GATEWAY_PROXIES: OperatorPods = {
  pods: (doc) => [
    pod(
      {
        'app.kubernetes.io/name': 'envoy',
        'app.kubernetes.io/component': 'proxy',
        'app.kubernetes.io/managed-by': 'envoy-gateway',
        'gateway.envoyproxy.io/owning-gateway-name': doc.object.metadata?.name,
        'gateway.envoyproxy.io/owning-gateway-namespace': doc.object.metadata?.namespace ?? 'default',
      },
      [...new Set<number>((doc.object.spec?.listeners ?? []).map((l: any) => (l.port < 1024 ? l.port + 10000 : l.port)))],
    ),
  ],
  services: () => [],
};

/**
 * An ACME Certificate's HTTP-01 challenges run solver pods in its namespace while they last. Any
 * Certificate counts: which issuer solves by HTTP-01 is the ClusterIssuer's business, outside this document.
 * @see https://cert-manager.io/docs/configuration/acme/http01/
 */
export const CERT_MANAGER_CERTIFICATE: OperatorPods = {
  pods: () => [pod({ 'acme.cert-manager.io/http01-solver': 'true' }, [8089])],
  services: () => [],
};

type ChartPod = ReturnType<OperatorPods['pods']>[number];

/**
 * Pods of the add-on charts that our policies select, by chart name, with the labels and ports of
 * the pinned releases (release name = Application name): without rendering the charts, a policy
 * on them would look as if it selected nothing. Rendering checks the same policies against the
 * real charts (`npm run validate`).
 */
export const ADDON_CHART_PODS = new Map<string, (release: string, namespace: string, doc: SourceDocument) => ChartPod[]>([
  [
    'cert-manager',
    (release, namespace) =>
      ['controller', 'webhook', 'cainjector'].map((component) =>
        pod(
          {
            'app.kubernetes.io/name': component === 'controller' ? 'cert-manager' : component,
            'app.kubernetes.io/instance': release,
            'app.kubernetes.io/component': component,
          },
          component === 'webhook' ? [10250] : [9402],
          namespace,
        ),
      ),
  ],
  [
    'gateway-helm',
    (release, namespace) => [
      pod(
        { 'control-plane': 'envoy-gateway', 'app.kubernetes.io/name': 'gateway-helm', 'app.kubernetes.io/instance': release },
        [18000, 18001, 18002, 19001, 9443],
        namespace,
      ),
      pod({ app: 'certgen' }, [], namespace),
    ],
  ],
  [
    'ingress-nginx',
    (release, namespace) => [
      pod(
        { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': release, 'app.kubernetes.io/component': 'controller' },
        [80, 443, 8443],
        namespace,
      ),
      pod(
        { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': release, 'app.kubernetes.io/component': 'admission-webhook' },
        [],
        namespace,
      ),
    ],
  ],
  [
    // The CloudNativePG operator (chart cloudnative-pg 0.29.0 selector labels; webhook 9443, metrics 8080).
    'cloudnative-pg',
    (release, namespace) => [pod({ 'app.kubernetes.io/name': 'cloudnative-pg', 'app.kubernetes.io/instance': release }, [9443, 8080], namespace)],
  ],
  [
    // The Barman Cloud plugin (chart plugin-barman-cloud 0.7.0 selector labels; gRPC 9090).
    'plugin-barman-cloud',
    (release, namespace) => [pod({ 'app.kubernetes.io/name': 'plugin-barman-cloud', 'app.kubernetes.io/instance': release }, [9090], namespace)],
  ],
  [
    'kube-prometheus-stack',
    (release, namespace) => [
      pod({ 'app.kubernetes.io/name': 'kube-state-metrics', 'app.kubernetes.io/instance': release }, [8080], namespace),
      // The chart's Prometheus resource, whose pods the Prometheus Operator labels by name.
      pod({ 'app.kubernetes.io/name': 'prometheus', 'operator.prometheus.io/name': `${release}-prometheus` }, [9090], namespace),
    ],
  ],
]);
