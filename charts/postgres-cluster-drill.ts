/**
 * Proof that a CloudNativePG cluster's backups restore, on a schedule: a Job in a scratch namespace
 * creates a throw-away `Cluster` bootstrapped from the newest base backup and the WAL after it (recovery
 * through the Barman Cloud plugin), waits until it is ready, runs a check query in it, and deletes it.
 * The result is the Job's: kube-state-metrics exports it, and a PrometheusRule alerts when the newest
 * run did not succeed. A failed drill leaves its Cluster for inspection; the next run deletes it first.
 * The Job may touch nothing but the scratch namespace (a Role there), and reads no database credential:
 * the check runs as `postgres` over the instance's local socket (`kubectl exec`).
 * @see https://cloudnative-pg.io/plugin-barman-cloud/docs/usage/#restoring-a-cluster
 */
import * as yaml from 'js-yaml';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../imports/monitoring.coreos.com';
import { ARGO_ANNOTATION, SYNC_OPTION } from '../lib/argocd';
import { allowToApiServer, ClusterAddresses } from '../lib/cluster-peers';
import { StorageClassRef } from '../lib/contracts';
import { resourcesFrom } from '../lib/kube';
import { ANNOTATION, objectLabels, selectorLabels } from '../lib/labels';
import { allowIngress, defaultDeny, PodGroup } from '../lib/network-policy';
import { restrictedPodSpec } from '../lib/pod-security';
import { POSTGRES_BACKUP_DEFAULTS, POSTGRES_CLUSTER_DEFAULTS } from '../lib/tier-defaults';
import { POSTGRES_PORT } from './postgres';
import { PostgresCluster } from './postgres-cluster';
import { PostgresObjectStore } from './postgres-object-store';
import { CNPG_CLUSTER_LABEL, CNPG_STATUS_PORT, IPostgresOperator } from './postgres-operator';

/** uid of the kubectl image's job: any unprivileged uid works, it only talks to the API server. */
const KUBECTL_UID = 65532;
const DRILL_CLUSTER = 'drill';
const CLUSTER_RESOURCE = 'clusters.postgresql.cnpg.io';

export interface PostgresClusterDrillProps {
  /** The cluster whose backups are restored (it must archive to an object store). */
  readonly cluster: PostgresCluster;
  readonly operator: IPostgresOperator;
  /** Namespace the throw-away cluster runs in (created elsewhere, e.g. by the Namespaces chart). */
  readonly namespace: string;
  /** Image with kubectl. */
  readonly kubectlImage: string;
  /** CronJob schedule. @default '0 5 * * 0' (Sundays at 05:00) */
  readonly schedule?: string;
  /** @default 'Etc/UTC' */
  readonly timeZone?: string;
  /**
   * SQL whose failure fails the drill, run in the restored app database.
   * @default - divides by the number of tables in schema public: an empty restore fails
   */
  readonly checkQuery?: string;
  /** Class of the throw-away volume (it is deleted with the drill). @default - the cluster's class */
  readonly storageClass?: StorageClassRef;
  /** Alert when the newest drill did not succeed. @default - no alert (no monitoring stack) */
  readonly alerts?: boolean;
  readonly clusterAddresses?: ClusterAddresses;
}

export class PostgresClusterDrill extends Construct {
  public readonly pods: PodGroup;
  /** Secrets someone must create in the scratch namespace (`namespace/name`): the object store's keys. */
  public readonly externalSecrets: readonly string[];

  constructor(scope: Construct, id: string, props: PostgresClusterDrillProps) {
    super(scope, id);
    const { cluster, namespace } = props;
    const source = cluster.objectStore;
    if (!source) throw new Error(`PostgresClusterDrill ${cluster.namespace}/${cluster.name}: the cluster has no object store to restore from`);
    const name = 'restore-drill';
    const labels = objectLabels(namespace, name, cluster.app, 'backup');
    this.pods = { name, namespace, selector: selectorLabels(namespace, name) };
    this.externalSecrets = [`${namespace}/${source.credentialsSecret}`];

    defaultDeny(this, namespace);
    // The throw-away cluster's pods, its recovery Job's included (it reads the store first).
    const drillPods: PodGroup = { name: DRILL_CLUSTER, namespace, selector: { [CNPG_CLUSTER_LABEL]: DRILL_CLUSTER } };
    // A read-only twin of the source's store: the plugin reads an ObjectStore of the Cluster's own namespace.
    const store = new PostgresObjectStore(this, 'ObjectStore', {
      name: source.name,
      namespace,
      target: { ...source.target, path: source.target.path ?? cluster.namespace },
      clients: drillPods,
      labels,
      protect: false,
    });

    const manifest = {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: DRILL_CLUSTER, namespace, labels },
      spec: {
        instances: 1,
        imageName: cluster.image,
        storage: { size: cluster.storage, storageClass: (props.storageClass ?? cluster.storageClass).name },
        // No `plugins`: the drill never archives, so it can never write into the source's archive.
        bootstrap: { recovery: { source: 'origin', database: cluster.database, owner: cluster.database } },
        externalClusters: [
          { name: 'origin', plugin: { name: props.operator.backupPlugin, parameters: { barmanObjectName: store.name, serverName: cluster.name } } },
        ],
      },
    };
    new k8s.KubeConfigMap(this, 'Manifest', {
      // The validator reads the Cluster in it as the objects the Job creates (their pods, for the policies here).
      metadata: { name, namespace, labels, annotations: { [ANNOTATION.embeddedManifests]: 'cluster.yaml' } },
      data: { 'cluster.yaml': yaml.dump(manifest, { lineWidth: -1, noRefs: true, sortKeys: true }) },
    });

    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name, namespace, labels }, automountServiceAccountToken: false });
    new k8s.KubeRole(this, 'Role', {
      metadata: { name, namespace, labels },
      rules: [
        // Create, wait for and delete the throw-away Cluster (kubectl apply reads, then patches or creates).
        { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
        // The check query: kubectl exec into its one instance.
        { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods/exec'], resourceNames: [`${DRILL_CLUSTER}-1`], verbs: ['create'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });

    const deadlineSeconds = 6 * 3600;
    const kubectl = (stepName: string, args: string[]): k8s.Container => ({
      name: stepName,
      image: props.kubectlImage,
      imagePullPolicy: 'IfNotPresent',
      command: ['kubectl', `--namespace=${namespace}`, ...args],
      // kubectl writes its discovery cache below $HOME; the root filesystem is read-only.
      env: [{ name: 'HOME', value: '/tmp' }],
      resources: resourcesFrom(undefined, { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } }),
      volumeMounts: [
        { name: 'tmp', mountPath: '/tmp' },
        { name: 'manifest', mountPath: '/drill', readOnly: true },
      ],
    });
    const query = props.checkQuery ?? POSTGRES_CLUSTER_DEFAULTS.drillCheckQuery;
    const steps = [
      // What a failed run left behind.
      kubectl('clean', ['delete', CLUSTER_RESOURCE, DRILL_CLUSTER, '--ignore-not-found', '--wait=true', '--timeout=30m']),
      kubectl('create', ['create', '--filename=/drill/cluster.yaml']),
      // Ready once the newest base backup is restored and the archived WAL replayed.
      kubectl('wait', ['wait', `${CLUSTER_RESOURCE}/${DRILL_CLUSTER}`, '--for=condition=Ready', `--timeout=${deadlineSeconds - 3600}s`]),
      kubectl('check', [
        'exec',
        `${DRILL_CLUSTER}-1`,
        '--container=postgres',
        '--',
        'psql',
        `--dbname=${cluster.database}`,
        '--no-psqlrc',
        '--set=ON_ERROR_STOP=1',
        `--command=${query}`,
      ]),
      // The throw-away cluster goes, and its claim with it (the operator owns the claim).
      kubectl('delete', ['delete', CLUSTER_RESOURCE, DRILL_CLUSTER, '--wait=true', '--timeout=30m']),
    ];

    new k8s.KubeCronJob(this, 'Resource', {
      metadata: { name, namespace, labels },
      spec: {
        schedule: props.schedule ?? POSTGRES_BACKUP_DEFAULTS.restoreDrillSchedule,
        timeZone: props.timeZone ?? POSTGRES_BACKUP_DEFAULTS.timeZone,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            activeDeadlineSeconds: deadlineSeconds,
            // A failed drill is the signal; retrying would only hide it.
            backoffLimit: 0,
            template: {
              metadata: { labels: { ...labels } },
              spec: restrictedPodSpec(
                {
                  restartPolicy: 'Never',
                  enableServiceLinks: false,
                  serviceAccountName: name,
                  automountServiceAccountToken: true,
                  initContainers: steps.slice(0, -1),
                  containers: steps.slice(-1),
                  volumes: [
                    { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
                    { name: 'manifest', configMap: { name } },
                  ],
                },
                { runAsUser: KUBECTL_UID },
              ),
            },
          },
        },
      },
    });

    allowToApiServer(this, this.pods, props.clusterAddresses);
    // The throw-away instance: the operator in, the API server out (the store's egress is above).
    allowIngress(this, props.operator.operatorPeer, { ...drillPods, ports: [{ port: CNPG_STATUS_PORT }, { port: POSTGRES_PORT }] });
    allowToApiServer(this, drillPods, props.clusterAddresses);

    if (props.alerts) {
      const job = `namespace="${namespace}", cronjob="${name}"`;
      new PrometheusRule(this, 'Alerts', {
        metadata: { name, namespace, labels, annotations: { [ARGO_ANNOTATION.syncOptions]: SYNC_OPTION.skipDryRunOnMissingResource } },
        spec: {
          groups: [
            {
              name: 'postgres-restore-drill',
              rules: [
                {
                  alert: 'PostgresRestoreDrillFailed',
                  // The newest scheduled run has not succeeded within its deadline (kube-state-metrics' CronJob metrics).
                  expr: PrometheusRuleSpecGroupsRulesExpr.fromString(
                    `(kube_cronjob_status_last_schedule_time{${job}} - kube_cronjob_status_last_successful_time{${job}}) > ${deadlineSeconds}`,
                  ),
                  labels: { severity: 'critical' },
                  annotations: {
                    summary: `The restore drill of ${cluster.namespace}/${cluster.name} did not succeed`,
                    description: `kubectl -n ${namespace} logs job/<newest restore-drill job> --all-containers; the backups of ${cluster.namespace}/${cluster.name} may not restore (docs/restore.md).`,
                  },
                },
                {
                  alert: 'PostgresRestoreDrillJobFailed',
                  expr: PrometheusRuleSpecGroupsRulesExpr.fromString(`kube_job_status_failed{namespace="${namespace}", job_name=~"${name}-.*"} > 0`),
                  labels: { severity: 'warning' },
                  annotations: { summary: `A restore drill Job of ${cluster.namespace}/${cluster.name} failed (kept for inspection)` },
                },
              ],
            },
          ],
        },
      });
    }
  }
}
