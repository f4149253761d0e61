/**
 * Log shipping: an ECK-managed Filebeat DaemonSet that reads every container's stdout/stderr
 * from the node's log files and sends it, with Kubernetes metadata, to Elasticsearch. ECK
 * provides the Elasticsearch credentials and CA.
 * @see https://www.elastic.co/docs/deploy-manage/deploy/cloud-on-k8s/configuration-beats
 * @see https://www.elastic.co/docs/reference/beats/filebeat/add-kubernetes-metadata
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { Beat } from '../imports/beat.k8s.elastic.co';
import { objectLabels } from '../lib/labels';
import { ARGO_ANNOTATION, SYNC_OPTION } from '../lib/argocd';
import { PodGroup } from '../lib/network-policy';
import { RESTRICTED_CONTAINER } from '../lib/pod-security';
import { quantities, withOverrides } from '../lib/kube';
import { ECK_IMAGES, ElasticsearchCluster, ResourceQuantities } from './elasticsearch-cluster';
import { Toleration } from '../lib/contracts';
import { allowImages } from '../lib/image-allowlist';

/** Where the kubelet links each container's log file (`<pod>_<namespace>_<container>-<id>.log`). */
export const CONTAINER_LOG_DIR = '/var/log/containers';
/** Where the links point: the runtime's per-pod log directories. */
export const POD_LOG_DIR = '/var/log/pods';

export interface LoggingShipperProps {
  /** Name of the Beat resource (and of its ServiceAccount and RBAC objects). */
  readonly name: string;
  /** The shipper's own namespace, whose Pod Security level allows host paths. */
  readonly namespace: string;
  /** Elastic Stack version; must match the cluster's. */
  readonly version: string;
  readonly elasticsearch: ElasticsearchCluster;
  /** Lifecycle policy Filebeat installs if it starts before the retention Job (same document). */
  readonly ilmPolicy: { readonly name: string; readonly document: unknown };
  /** Replicas per log index: 0 on a single node, where a replica could never be allocated. */
  readonly indexReplicas: number;
  /** Taints to tolerate, so the shipper runs on every node (control-plane nodes too). */
  readonly tolerations: readonly Toleration[];
  /** @default - requests 100m CPU and 200Mi, memory limit 400Mi */
  readonly resources?: ResourceQuantities;
  /** Argo CD sync wave, after the operator that installs the CRD. */
  readonly syncWave: number;
}

export class LoggingShipper extends Construct {
  /** The shipper's pods (they connect to Elasticsearch and to the API server). */
  public readonly pods: PodGroup;
  public readonly resource: Beat;

  constructor(scope: Construct, id: string, props: LoggingShipperProps) {
    super(scope, id);
    allowImages(this, props.namespace, [ECK_IMAGES.filebeat]);
    const { name, namespace, elasticsearch: es } = props;
    if (props.version !== es.version) {
      throw new Error(
        `Filebeat version ${props.version} differs from Elasticsearch ${es.version}: pin config/versions.yaml images.filebeat and images.elasticsearch to the same release`,
      );
    }
    const labels = objectLabels(name, 'filebeat', 'logging', 'log-shipper');
    this.pods = { name: 'filebeat', namespace, selector: { 'beat.k8s.elastic.co/name': name } };

    // add_kubernetes_metadata looks up the pod, its namespace and node, and the owning controllers.
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name, namespace, labels }, automountServiceAccountToken: false });
    const roleName = `logging-${name}`;
    new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name: roleName, labels },
      rules: [
        { apiGroups: [''], resources: ['namespaces', 'nodes', 'pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: roleName, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });
    const policyConfigMap = `${name}-ilm-policy`;
    new k8s.KubeConfigMap(this, 'IlmPolicy', {
      metadata: { name: policyConfigMap, namespace, labels },
      data: { 'policy.json': `${JSON.stringify(props.ilmPolicy.document, null, 2)}\n` },
    });

    const resources = {
      requests: withOverrides({ cpu: '100m', memory: '200Mi' }, props.resources?.requests),
      limits: withOverrides({ memory: '400Mi' }, props.resources?.limits),
    };
    const podTemplate: k8s.PodTemplateSpec = {
      metadata: { labels },
      spec: {
        serviceAccountName: name,
        automountServiceAccountToken: true,
        terminationGracePeriodSeconds: 30,
        // Root, to read the runtime's log files (root-owned, mode 0640); every capability dropped.
        securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } },
        tolerations: props.tolerations.map(toToleration),
        containers: [
          {
            name: 'filebeat',
            env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            resources: { requests: quantities(resources.requests), limits: quantities(resources.limits) },
            securityContext: { ...RESTRICTED_CONTAINER, runAsNonRoot: false, runAsUser: 0 },
            volumeMounts: [
              { name: 'varlogcontainers', mountPath: CONTAINER_LOG_DIR, readOnly: true },
              // The files in /var/log/containers are symlinks into /var/log/pods.
              { name: 'varlogpods', mountPath: POD_LOG_DIR, readOnly: true },
              { name: 'ilm-policy', mountPath: '/etc/filebeat-ilm', readOnly: true },
            ],
          },
        ],
        volumes: [
          { name: 'varlogcontainers', hostPath: { path: CONTAINER_LOG_DIR, type: 'Directory' } },
          { name: 'varlogpods', hostPath: { path: POD_LOG_DIR, type: 'Directory' } },
          { name: 'ilm-policy', configMap: { name: policyConfigMap } },
        ],
      },
    };

    this.resource = new Beat(this, 'Resource', {
      metadata: {
        name,
        namespace,
        labels,
        annotations: { [ARGO_ANNOTATION.syncWave]: String(props.syncWave), [ARGO_ANNOTATION.syncOptions]: SYNC_OPTION.skipDryRunOnMissingResource },
      },
      spec: {
        type: 'filebeat',
        version: props.version,
        elasticsearchRef: { name: es.name, namespace: es.namespace },
        config: {
          'filebeat.inputs': [
            {
              type: 'filestream',
              id: 'kubernetes-container-logs',
              paths: [`${CONTAINER_LOG_DIR}/*.log`],
              'prospector.scanner.symlinks': true,
              // CRI log lines (`<time> <stdout|stderr> <P|F> <message>`): splits off the stream, joins partial lines.
              parsers: [{ container: {} }],
              processors: [{ add_kubernetes_metadata: { host: '${NODE_NAME}', matchers: [{ logs_path: { logs_path: `${CONTAINER_LOG_DIR}/` } }] } }],
            },
          ],
          // Filebeat installs this policy only if none of that name exists, so it never undoes the retention Job.
          'setup.ilm.enabled': true,
          'setup.ilm.policy_name': props.ilmPolicy.name,
          'setup.ilm.policy_file': '/etc/filebeat-ilm/policy.json',
          'setup.ilm.overwrite': false,
          'setup.template.settings.index.number_of_replicas': props.indexReplicas,
        },
        daemonSet: { podTemplate: k8s.toJson_PodTemplateSpec(podTemplate) },
      },
    });
  }
}

function toToleration(t: Toleration): k8s.Toleration {
  return {
    ...(t.key ? { key: t.key } : {}),
    operator: t.operator,
    ...(t.value !== undefined ? { value: t.value } : {}),
    ...(t.effect ? { effect: t.effect } : {}),
  };
}
