/**
 * Log retention: an index lifecycle policy that deletes log indices after N days, put through
 * the Elasticsearch API by an idempotent Job that Argo CD runs after every sync (PostSync hook).
 * @see https://www.elastic.co/docs/manage-data/lifecycle/index-lifecycle-management
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { syncAnnotations } from '../lib/argocd';
import { objectLabels, selectorLabels } from '../lib/labels';
import { PodGroup } from '../lib/network-policy';
import { restrictedPodSpec } from '../lib/pod-security';
import { quantities } from '../lib/kube';
import { ElasticsearchCluster } from './elasticsearch-cluster';
import { allowImages, imageRepository } from '../lib/image-allowlist';

/**
 * The lifecycle policy that governs the shipper's data streams. Filebeat 8/9 writes to the
 * `filebeat-<version>` data stream whose index template names `setup.ilm.policy_name`, and that
 * setting is set to this name (charts/logging-shipper.ts); `filebeat` is also Filebeat's default.
 */
export const LOG_ILM_POLICY = 'filebeat';

/** uid/gid of `curl_user` in the curlimages/curl image. */
const CURL_UID = 100;
const CURL_GID = 101;

/**
 * The policy document (the body of `PUT _ilm/policy/<name>`, also Filebeat's `setup.ilm.policy_file`).
 * Backing indices roll over daily, so a document is deleted at most a day after it is `days` old
 * (the delete phase counts from rollover).
 */
export function retentionPolicy(days: number): { policy: Record<string, unknown> } {
  if (!Number.isInteger(days) || days < 1) throw new Error(`logging.retentionDays must be a whole number of days >= 1, got ${days}`);
  return {
    policy: {
      _meta: { description: `Log retention: delete after ${days} days`, managed_by: 'the platform (config/platform.yaml logging.retentionDays)' },
      phases: {
        hot: { min_age: '0ms', actions: { rollover: { max_age: '1d', max_primary_shard_size: '50gb' } } },
        delete: { min_age: `${days}d`, actions: { delete: {} } },
      },
    },
  };
}

export interface LoggingRetentionProps {
  readonly namespace: string;
  readonly elasticsearch: ElasticsearchCluster;
  /** Delete log documents older than this many days. */
  readonly retentionDays: number;
  /** Pinned curl image (config/versions.yaml `images.curl`). */
  readonly curlImage: string;
  /** Argo CD sync wave of the Job: after Elasticsearch is healthy, since a Job that cannot reach it fails. */
  readonly syncWave: number;
}

/** The retention policy and the Job that applies it with the operator-managed `elastic` credentials. */
export class LoggingRetention extends Construct {
  /** The Job's pods (they connect to Elasticsearch). */
  public readonly pods: PodGroup;
  public readonly policyName = LOG_ILM_POLICY;
  public readonly configMap: k8s.KubeConfigMap;
  public readonly job: k8s.KubeJob;

  constructor(scope: Construct, id: string, props: LoggingRetentionProps) {
    super(scope, id);
    allowImages(this, props.namespace, [imageRepository(props.curlImage)]);
    const { namespace, elasticsearch: es } = props;
    const name = 'logging-retention-policy';
    const labels = objectLabels('logging', 'retention-policy', 'logging', 'log-retention');
    this.pods = { name: 'retention-policy', namespace, selector: selectorLabels('logging', 'retention-policy') };

    this.configMap = new k8s.KubeConfigMap(this, 'Policy', {
      metadata: { name, namespace, labels },
      data: { 'policy.json': `${JSON.stringify(retentionPolicy(props.retentionDays), null, 2)}\n` },
    });

    const mounts = { policy: '/etc/retention', user: '/etc/elasticsearch/user', ca: '/etc/elasticsearch/ca' };
    const spec = restrictedPodSpec(
      {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'put-policy',
            image: props.curlImage,
            imagePullPolicy: 'IfNotPresent',
            // argv, no shell: the password is read by curl from the mounted Secret, never placed in argv or env.
            command: ['curl'],
            args: [
              '--fail-with-body',
              '--silent',
              '--show-error',
              // Elasticsearch may still be starting (or not yet created) when the hook runs.
              '--retry',
              '60',
              '--retry-delay',
              '15',
              '--retry-all-errors',
              '--retry-max-time',
              '1200',
              '--cacert',
              `${mounts.ca}/ca.crt`,
              '--variable',
              `password@${mounts.user}/elastic`,
              '--expand-user',
              'elastic:{{password:trim}}',
              '--request',
              'PUT',
              '--header',
              'Content-Type: application/json',
              '--data-binary',
              `@${mounts.policy}/policy.json`,
              `${es.url}/_ilm/policy/${LOG_ILM_POLICY}`,
            ],
            resources: { requests: quantities({ cpu: '10m', memory: '16Mi' }), limits: quantities({ memory: '64Mi' }) },
            volumeMounts: [
              { name: 'policy', mountPath: mounts.policy, readOnly: true },
              { name: 'elastic-user', mountPath: mounts.user, readOnly: true },
              { name: 'http-ca', mountPath: mounts.ca, readOnly: true },
            ],
          },
        ],
        volumes: [
          { name: 'policy', configMap: { name } },
          { name: 'elastic-user', secret: { secretName: es.elasticUserSecret, items: [{ key: 'elastic', path: 'elastic' }] } },
          { name: 'http-ca', secret: { secretName: es.httpCaSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        ],
      },
      { runAsUser: CURL_UID, runAsGroup: CURL_GID },
    );

    this.job = new k8s.KubeJob(this, 'Job', {
      metadata: {
        name,
        namespace,
        labels,
        annotations: {
          // A Sync hook in its own wave runs again on every sync (the PUT replaces the policy, so that is
          // harmless); a PostSync hook would make the root's last wave, where nothing may wait, a waited one.
          'argocd.argoproj.io/hook': 'Sync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
          ...syncAnnotations(props.syncWave),
        },
      },
      spec: {
        backoffLimit: 3,
        template: { metadata: { labels: { ...labels, ...this.pods.selector } }, spec },
      },
    });
  }
}
