/**
 * Where a CloudNativePG cluster archives its WAL and base backups: a Barman Cloud plugin
 * `ObjectStore` (barmancloud.cnpg.io/v1) for an S3-compatible bucket, and the egress policy that
 * lets the instance pods (whose plugin sidecar uploads) reach the store's host and port.
 * @see https://cloudnative-pg.io/plugin-barman-cloud/docs/object_stores/
 */
import { isIP } from 'net';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ObjectStore, ObjectStoreSpecConfigurationDataCompression, ObjectStoreSpecConfigurationWalCompression } from '../imports/barmancloud.cnpg.io';
import { PRUNE_PROTECTION } from '../lib/argocd';
import { PodGroup } from '../lib/network-policy';

/** An S3-compatible bucket (MinIO, Ceph RGW on another cluster, a cloud provider). */
export interface ObjectStoreTarget {
  /** `https://…` of the S3 API. */
  readonly endpoint: string;
  readonly bucket: string;
  /** Prefix inside the bucket; each cluster writes below `<path>/<cluster name>/`. @default - the namespace */
  readonly path?: string;
  /** Secret (in the database's namespace) with keys `accessKeyId` and `secretAccessKey`. */
  readonly credentialsSecret: string;
  /** Key of that Secret holding the region (AWS needs one). @default - none */
  readonly regionKey?: string;
}

export interface PostgresObjectStoreProps {
  /** @default 'backups' */
  readonly name?: string;
  readonly namespace: string;
  readonly target: ObjectStoreTarget;
  /**
   * Recovery window: base backups (and the WAL they need) no longer needed to restore to any point
   * inside it are deleted by the plugin, `30d`, `8w`, `6m` (plugin-barman-cloud web/docs/retention.md).
   * @default - none: nothing is deleted (a read-only copy, such as the restore drill's, sets none)
   */
  readonly retentionPolicy?: string;
  /** Pods that write to or read from the store (the instance pods, where the plugin's sidecar runs). */
  readonly clients: PodGroup;
  readonly labels?: Record<string, string>;
  /** Argo CD must never prune it (the recovery of the cluster reads it). @default true */
  readonly protect?: boolean;
}

/** The `ObjectStore` and the egress to its endpoint. */
export class PostgresObjectStore extends Construct {
  public readonly name: string;
  /** `host:port` of the endpoint, for the egress list. */
  public readonly endpoint: { readonly host: string; readonly port: number };
  public readonly credentialsSecret: string;
  public readonly target: ObjectStoreTarget;

  constructor(scope: Construct, id: string, props: PostgresObjectStoreProps) {
    super(scope, id);
    const { target, namespace } = props;
    this.name = props.name ?? 'backups';
    this.credentialsSecret = target.credentialsSecret;
    this.target = target;
    const url = new URL(target.endpoint);
    this.endpoint = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || (url.protocol === 'http:' ? 80 : 443)) };
    const key = (k: string) => ({ name: target.credentialsSecret, key: k });
    new ObjectStore(this, 'Resource', {
      metadata: { name: this.name, namespace, labels: props.labels, annotations: props.protect === false ? {} : { ...PRUNE_PROTECTION } },
      spec: {
        configuration: {
          destinationPath: `s3://${target.bucket}/${(target.path ?? namespace).replace(/^\/+|\/+$/g, '')}`,
          endpointUrl: target.endpoint,
          s3Credentials: {
            accessKeyId: key('accessKeyId'),
            secretAccessKey: key('secretAccessKey'),
            ...(target.regionKey ? { region: key(target.regionKey) } : {}),
          },
          wal: { compression: ObjectStoreSpecConfigurationWalCompression.GZIP, maxParallel: 2 },
          data: { compression: ObjectStoreSpecConfigurationDataCompression.GZIP },
        },
        ...(props.retentionPolicy ? { retentionPolicy: props.retentionPolicy } : {}),
      },
    });
    allowObjectStore(this, props.clients, this.endpoint);
  }
}

/** Egress from `pods` to the store's port: its address when the URL names one, else any address. */
export function allowObjectStore(scope: Construct, pods: PodGroup, endpoint: { readonly host: string; readonly port: number }): void {
  const { host, port } = endpoint;
  const blocks = isIP(host) === 4 ? [`${host}/32`] : isIP(host) === 6 ? [`${host}/128`] : ['0.0.0.0/0', '::/0'];
  new k8s.KubeNetworkPolicy(scope, `Egress-${pods.name}-to-object-store`, {
    metadata: { name: `egress-${pods.name}-to-object-store`, namespace: pods.namespace },
    spec: {
      podSelector: { matchLabels: { ...pods.selector } },
      policyTypes: ['Egress'],
      egress: [{ to: blocks.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: k8s.IntOrString.fromNumber(port), protocol: 'TCP' }] }],
    },
  });
}
