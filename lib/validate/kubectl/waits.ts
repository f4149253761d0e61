/**
 * What `kubectl` waits with for an object the plan must see healthy before the next step: the kubectl form of each
 * health rule of lib/validate/assembly/health-rules.ts (same meaning: the condition or status field Argo CD's check
 * reads). Kinds the rules call healthy at once are never waited on.
 * @see https://kubernetes.io/docs/reference/kubectl/generated/kubectl_wait/
 * @see https://kubernetes.io/docs/reference/kubectl/generated/kubectl_rollout/kubectl_rollout_status/
 */
export interface WaitForm {
  /** `rollout`: `kubectl rollout status` (one object per command); `wait`: `kubectl wait --for=<for>` (batched). */
  readonly verb: 'rollout' | 'wait';
  /** `condition=Established`, `jsonpath={.status.phase}=Bound`. */
  readonly for?: string;
  /** kubectl's `--timeout`. */
  readonly timeout: string;
  /** The resource name kubectl takes (`deployment`, `cephcluster.ceph.rook.io`). */
  readonly resource: string;
}

const wait = (resource: string, forWhat: string, timeout: string): WaitForm => ({ verb: 'wait', for: forWhat, timeout, resource });
const rollout = (resource: string, timeout: string): WaitForm => ({ verb: 'rollout', timeout, resource });

/** By `group/Kind`. */
const FORMS: Record<string, WaitForm> = {
  'apiextensions.k8s.io/CustomResourceDefinition': wait('customresourcedefinition', 'condition=Established', '2m'),
  // Deployments report Available; StatefulSets and DaemonSets have no condition to wait for, only their rollout.
  'apps/Deployment': wait('deployment', 'condition=Available', '10m'),
  'apps/StatefulSet': rollout('statefulset', '15m'),
  'apps/DaemonSet': rollout('daemonset', '10m'),
  'batch/Job': wait('job', 'condition=Complete', '30m'),
  '/Pod': wait('pod', 'condition=Ready', '10m'),
  '/PersistentVolumeClaim': wait('persistentvolumeclaim', 'jsonpath={.status.phase}=Bound', '10m'),
  'apiregistration.k8s.io/APIService': wait('apiservice', 'condition=Available', '5m'),
  'bitnami.com/SealedSecret': wait('sealedsecret.bitnami.com', 'condition=Synced', '5m'),
  'cert-manager.io/Certificate': wait('certificate.cert-manager.io', 'condition=Ready', '10m'),
  'cert-manager.io/ClusterIssuer': wait('clusterissuer.cert-manager.io', 'condition=Ready', '5m'),
  'cert-manager.io/Issuer': wait('issuer.cert-manager.io', 'condition=Ready', '5m'),
  'gateway.networking.k8s.io/GatewayClass': wait('gatewayclass.gateway.networking.k8s.io', 'condition=Accepted', '5m'),
  'gateway.networking.k8s.io/Gateway': wait('gateway.gateway.networking.k8s.io', 'condition=Programmed', '10m'),
  // Rook's own health summary; the Argo CD check (and so the plan) calls HEALTH_WARN degraded too.
  'ceph.rook.io/CephCluster': wait('cephcluster.ceph.rook.io', 'jsonpath={.status.ceph.health}=HEALTH_OK', '30m'),
  'monitoring.coreos.com/Prometheus': wait('prometheus.monitoring.coreos.com', 'condition=Available', '15m'),
  'elasticsearch.k8s.elastic.co/Elasticsearch': wait('elasticsearch.elasticsearch.k8s.elastic.co', 'jsonpath={.status.health}=green', '30m'),
  'beat.k8s.elastic.co/Beat': wait('beat.beat.k8s.elastic.co', 'jsonpath={.status.health}=green', '15m'),
  'snapshot.storage.k8s.io/VolumeSnapshot': wait('volumesnapshot.snapshot.storage.k8s.io', 'jsonpath={.status.readyToUse}=true', '10m'),
};

export function waitForm(group: string, kind: string): WaitForm | undefined {
  return FORMS[`${group}/${kind}`];
}
