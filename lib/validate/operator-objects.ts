/**
 * Objects that operators create from our documents and that other documents refer to: the pods
 * and Services ECK makes for Elasticsearch, Kibana and Beats, cert-manager's HTTP-01 solvers, and
 * the objects of add-on Helm charts that Argo CD installs (Grafana). Without them, a
 * NetworkPolicy guarding Elasticsearch, or a route to Kibana or Grafana, would look like a dangling
 * reference. Used for reference checks only: the pod templates inside these resources are
 * partial (ECK fills in the rest), so Pod Security is judged by the operator's namespace level.
 * @see https://www.elastic.co/docs/deploy-manage/deploy/cloud-on-k8s/
 */
import * as yaml from 'js-yaml';
import { chartSource } from '../chart-source';
import { namespaceOf, SourceDocument } from './document';
import { isKind, PodTemplate } from './workloads';
import { ADDON_CHART_PODS, CERT_MANAGER_CERTIFICATE, ENVOY_GATEWAY_PROXIES, OperatorPods, ROOK_CEPH_CLUSTER } from './addon-operator-pods';

const ECK: Record<string, OperatorPods> = {
  'elasticsearch.k8s.elastic.co/Elasticsearch': {
    pods: (doc) =>
      (doc.object.spec?.nodeSets ?? []).map((set: any, i: number) => ({
        labels: {
          ...set.podTemplate?.metadata?.labels,
          'common.k8s.elastic.co/type': 'elasticsearch',
          'elasticsearch.k8s.elastic.co/cluster-name': doc.object.metadata.name,
          'elasticsearch.k8s.elastic.co/statefulset-name': `${doc.object.metadata.name}-es-${set.name}`,
        },
        spec: {
          containers: [
            {
              name: 'elasticsearch',
              ports: [
                { name: 'https', containerPort: 9200 },
                { name: 'transport', containerPort: 9300 },
              ],
            },
          ],
        },
        specPath: `spec.nodeSets[${i}].podTemplate.spec`,
      })),
    // The `elastic` user's password and the HTTP CA, which clients of the cluster mount.
    secrets: (name) => [`${name}-es-elastic-user`, `${name}-es-http-certs-public`],
    services: (name) => [
      { name: `${name}-es-http`, ports: [9200] },
      { name: `${name}-es-internal-http`, ports: [9200] },
      { name: `${name}-es-transport`, ports: [9300] },
    ],
  },
  'kibana.k8s.elastic.co/Kibana': {
    pods: (doc) => [
      {
        labels: {
          ...doc.object.spec?.podTemplate?.metadata?.labels,
          'common.k8s.elastic.co/type': 'kibana',
          'kibana.k8s.elastic.co/name': doc.object.metadata.name,
        },
        spec: { containers: [{ name: 'kibana', ports: [{ name: 'http', containerPort: 5601 }] }] },
        specPath: 'spec.podTemplate.spec',
      },
    ],
    services: (name) => [{ name: `${name}-kb-http`, ports: [5601] }],
  },
  'beat.k8s.elastic.co/Beat': {
    pods: (doc) => {
      const workload = doc.object.spec?.daemonSet ?? doc.object.spec?.deployment;
      const path = doc.object.spec?.daemonSet ? 'spec.daemonSet.podTemplate.spec' : 'spec.deployment.podTemplate.spec';
      return [
        {
          labels: { ...workload?.podTemplate?.metadata?.labels, 'common.k8s.elastic.co/type': 'beat', 'beat.k8s.elastic.co/name': doc.object.metadata.name },
          spec: { containers: [] },
          specPath: path,
        },
      ];
    },
    services: () => [],
  },
};

/**
 * cert-manager's ingress-shim: an Ingress annotated with an issuer gets a Certificate, whose ACME
 * HTTP-01 challenges run solver pods in the Ingress's namespace while they last.
 * @see https://cert-manager.io/docs/usage/ingress/
 */
const CERT_MANAGER_INGRESS: OperatorPods = {
  pods: (doc) => {
    const annotations = doc.object.metadata?.annotations ?? {};
    if (!annotations['cert-manager.io/cluster-issuer'] && !annotations['cert-manager.io/issuer']) return [];
    return [
      {
        labels: { 'acme.cert-manager.io/http01-solver': 'true' },
        spec: { containers: [{ name: 'acmesolver', ports: [{ name: 'http', containerPort: 8089 }] }] },
        specPath: '',
      },
    ];
  },
  services: () => [],
};

/** The Grafana of a kube-prometheus-stack release, named as the grafana chart's helpers name it; none when disabled. */
function kubePrometheusStackGrafana(doc: SourceDocument) {
  const source = doc.object.spec?.source ?? {};
  const release: string = source.helm?.releaseName ?? doc.object.metadata?.name ?? '';
  const values = source.helm?.valuesObject?.grafana ?? {};
  if (values.enabled === false) return undefined;
  const name: string = values.nameOverride || 'grafana';
  return {
    namespace: (values.namespaceOverride || doc.object.spec?.destination?.namespace || 'default') as string,
    labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': release },
    service: (values.fullnameOverride || (release.includes(name) ? release : `${release}-${name}`)) as string,
    port: (values.service?.port ?? 80) as number,
  };
}

/**
 * Add-ons installed as Argo CD Applications of pinned Helm charts, by chart name: the charts'
 * objects are not in the documents, but routes and policies may name some of them.
 */
const HELM_CHARTS = new Map<string, OperatorPods>([
  [
    'kube-prometheus-stack',
    {
      pods: (doc) => {
        const grafana = kubePrometheusStackGrafana(doc);
        if (!grafana) return [];
        return [
          {
            namespace: grafana.namespace,
            labels: grafana.labels,
            spec: { containers: [{ name: 'grafana', ports: [{ name: 'grafana', containerPort: 3000 }] }] },
            specPath: '',
          },
        ];
      },
      services: (_name, doc) => {
        const grafana = kubePrometheusStackGrafana(doc);
        return grafana ? [{ name: grafana.service, namespace: grafana.namespace, ports: [grafana.port] }] : [];
      },
    },
  ],
]);

const helmChartOf = (doc: SourceDocument): OperatorPods | undefined => HELM_CHARTS.get(doc.object.spec?.source?.chart);

/** The pods of an add-on chart that policies select (addon-operator-pods.ts), in the Application's destination namespace. */
function addonChartPods(doc: SourceDocument): ReturnType<OperatorPods['pods']> {
  const source = doc.object.spec?.source ?? {};
  // OCI charts (cert-manager, Envoy Gateway) carry their name at the end of repoURL.
  const pods = ADDON_CHART_PODS.get(chartSource(source)?.chart ?? '');
  const release: string = source.helm?.releaseName ?? doc.object.metadata?.name ?? '';
  return pods ? pods(release, doc.object.spec?.destination?.namespace ?? 'default', doc) : [];
}

const ARGO_APPLICATION: OperatorPods = {
  pods: (doc) => helmChartOf(doc)?.pods(doc) ?? [],
  services: (name, doc) => helmChartOf(doc)?.services(name, doc) ?? [],
};

/**
 * The Prometheus Operator's StatefulSets for Prometheus and Alertmanager, with the labels its
 * Services select (prometheus-operator pkg/prometheus/statefulset.go, pkg/alertmanager/statefulset.go).
 */
const PROMETHEUS_OPERATOR: Record<string, OperatorPods> = {
  'monitoring.coreos.com/Prometheus': {
    pods: (doc) => [
      {
        labels: {
          'app.kubernetes.io/name': 'prometheus',
          'app.kubernetes.io/instance': doc.object.metadata?.name,
          'operator.prometheus.io/name': doc.object.metadata?.name,
          prometheus: doc.object.metadata?.name,
        },
        spec: {
          containers: [
            { name: 'prometheus', ports: [{ name: 'web', containerPort: 9090 }] },
            { name: 'config-reloader', ports: [{ name: 'reloader-web', containerPort: 8080 }] },
          ],
        },
        specPath: 'spec',
      },
    ],
    services: () => [],
  },
  'monitoring.coreos.com/Alertmanager': {
    pods: (doc) => [
      {
        labels: { 'app.kubernetes.io/name': 'alertmanager', 'app.kubernetes.io/instance': doc.object.metadata?.name, alertmanager: doc.object.metadata?.name },
        spec: {
          containers: [
            { name: 'alertmanager', ports: [{ name: 'http-web', containerPort: 9093 }] },
            { name: 'config-reloader', ports: [{ name: 'reloader-web', containerPort: 8080 }] },
          ],
        },
        specPath: 'spec',
      },
    ],
    services: () => [],
  },
};

/**
 * Jobs of add-on charts that write Secrets at install time (webhook and control-plane certificates),
 * so no manifest holds them:
 * - kube-webhook-certgen `create --namespace=N --secret-name=S` (kube-prometheus-stack, ingress-nginx);
 * - Envoy Gateway's `envoy-gateway certgen`, which writes the control plane's certificates
 *   (envoyproxy/gateway site/content/en/latest/tasks/operations/custom-cert.md).
 */
const CERTIFICATE_JOBS: OperatorPods = {
  pods: () => [],
  services: () => [],
  secrets: (_name, doc) => {
    const containers: any[] = doc?.object.spec?.template?.spec?.containers ?? [];
    return containers.flatMap((c) => {
      const argv: string[] = [...(c.command ?? []), ...(c.args ?? [])];
      if (/\/kube-webhook-certgen:/.test(c.image ?? '') && argv.includes('create')) {
        return argv.filter((a) => a.startsWith('--secret-name=')).map((a) => a.slice('--secret-name='.length));
      }
      if (/envoyproxy\/gateway:/.test(c.image ?? '') && argv.includes('certgen')) return ['envoy-gateway', 'envoy', 'envoy-rate-limit', 'envoy-oidc-hmac'];
      return [];
    });
  },
};

/**
 * CloudNativePG's objects for a Cluster: its pods (instances and bootstrap Jobs, all labelled
 * `cnpg.io/cluster`), the Services `-rw`, `-ro`, `-r`, and the Secrets it generates: the app owner's
 * `-app` (username, password, host, uri …), and the certificates (cloudnative-pg docs/src at v1.30.0:
 * labels_annotations.md, service_management.md, applications.md, certificates.md).
 */
const CLOUDNATIVE_PG_CLUSTER: OperatorPods = {
  pods: (doc) => [
    {
      labels: { 'cnpg.io/cluster': doc.object.metadata?.name, 'cnpg.io/podRole': 'instance', 'cnpg.io/instanceRole': 'primary' },
      spec: {
        containers: [
          {
            name: 'postgres',
            image: doc.object.spec?.imageName,
            ports: [
              { name: 'postgresql', containerPort: 5432 },
              { name: 'status', containerPort: 8000 },
              { name: 'metrics', containerPort: 9187 },
            ],
          },
        ],
      },
      specPath: '',
    },
  ],
  services: (name) => ['rw', 'ro', 'r'].map((suffix) => ({ name: `${name}-${suffix}`, ports: [5432] })),
  secrets: (name) => [`${name}-app`, `${name}-ca`, `${name}-replication`, `${name}-server`],
};

/**
 * A ConfigMap of manifests that a Job of ours applies later (annotation `platform.campus/embedded-manifests`,
 * e.g. the restore drill's throw-away Cluster): what their operators will run counts as pods to come.
 */
const EMBEDDED_MANIFESTS: OperatorPods = {
  pods: (doc) =>
    embeddedDocuments(doc).flatMap((inner) =>
      (operatorOf(inner)?.pods(inner) ?? []).map((p) => ({ ...p, namespace: p.namespace ?? namespaceOf(inner.object) })),
    ),
  services: () => [],
};

/** The objects inside a ConfigMap's annotated keys, as documents of the ConfigMap's file. */
export function embeddedDocuments(doc: SourceDocument): SourceDocument[] {
  const keys = String(doc.object.metadata?.annotations?.['platform.campus/embedded-manifests'] ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  return keys.flatMap((k) => {
    let objects: unknown[];
    try {
      objects = yaml.loadAll(String(doc.object.data?.[k] ?? ''));
    } catch {
      return [];
    }
    return objects
      .filter((o): o is Record<string, any> => typeof o === 'object' && o !== null)
      .map((object) => ({ ...doc, object: { ...object, metadata: { namespace: namespaceOf(doc.object), ...object.metadata } } }));
  });
}

const OPERATORS: Record<string, OperatorPods> = {
  ...ECK,
  'postgresql.cnpg.io/Cluster': CLOUDNATIVE_PG_CLUSTER,
  '/ConfigMap': EMBEDDED_MANIFESTS,
  ...PROMETHEUS_OPERATOR,
  'networking.k8s.io/Ingress': CERT_MANAGER_INGRESS,
  'argoproj.io/Application': ARGO_APPLICATION,
  'batch/Job': CERTIFICATE_JOBS,
  'ceph.rook.io/CephCluster': ROOK_CEPH_CLUSTER,
  'gateway.networking.k8s.io/Gateway': ENVOY_GATEWAY_PROXIES,
  'cert-manager.io/Certificate': CERT_MANAGER_CERTIFICATE,
};

/** Pods that kubeadm runs without a manifest of ours: CoreDNS, which add-ons scrape and select. */
const KUBEADM_PODS: PodTemplate[] = [
  {
    doc: { file: '(kubeadm)', index: 0, object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'coredns', namespace: 'kube-system' } } },
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
    spec: {
      containers: [
        {
          name: 'coredns',
          ports: [
            { name: 'dns', containerPort: 53 },
            { name: 'dns-tcp', containerPort: 53 },
            { name: 'metrics', containerPort: 9153 },
          ],
        },
      ],
    },
    specPath: 'spec',
  },
];

function operatorOf(doc: SourceDocument): OperatorPods | undefined {
  return Object.entries(OPERATORS).find(([id]) => {
    const [group, kind] = id.split('/');
    return isKind(doc, group, kind);
  })?.[1];
}

/** Pods that operators will run for the custom resources in `docs`. */
export function operatorPodTemplates(docs: readonly SourceDocument[]): PodTemplate[] {
  // With the charts rendered, their real pods are among the documents: a policy is checked against those alone.
  const rendered = docs.some((d) => d.clusterReleaseOnly);
  const chartPods = rendered
    ? []
    : docs.filter((d) => isKind(d, 'argoproj.io', 'Application')).flatMap((doc) => addonChartPods(doc).map((p) => ({ doc, ...p })));
  return [
    ...docs.flatMap((doc) => (operatorOf(doc)?.pods(doc) ?? []).map((p) => ({ doc, namespace: namespaceOf(doc.object), ...p }))),
    ...chartPods.map((p) => ({ ...p, namespace: p.namespace ?? namespaceOf(p.doc.object) })),
    ...KUBEADM_PODS,
  ];
}

/** Names of the Secrets an operator will create for a document (in its namespace). */
export function operatorSecrets(doc: SourceDocument): string[] {
  return operatorOf(doc)?.secrets?.(doc.object.metadata?.name, doc) ?? [];
}

/** Services that operators will create, as minimal Service objects keyed `namespace/name`. */
export function operatorServices(docs: readonly SourceDocument[]): [string, any][] {
  return docs.flatMap((doc) =>
    (operatorOf(doc)?.services(doc.object.metadata?.name, doc) ?? []).map((s): [string, any] => {
      const namespace = s.namespace ?? namespaceOf(doc.object);
      return [`${namespace}/${s.name}`, { kind: 'Service', metadata: { name: s.name, namespace }, spec: { ports: s.ports.map((port) => ({ port })) } }];
    }),
  );
}
