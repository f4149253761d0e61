/**
 * Kibana for the platform's logs, as an ECK `Kibana` resource served under a path prefix of
 * the platform host (the seeds' `/kibana`).
 * @see https://www.elastic.co/docs/deploy-manage/deploy/cloud-on-k8s/kibana-configuration
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { Kibana } from '../imports/kibana.k8s.elastic.co';
import { objectLabels } from '../lib/labels';
import { ARGO_ANNOTATION, SYNC_OPTION } from '../lib/argocd';
import { Server } from '../lib/network-policy';
import { RESTRICTED_CONTAINER, restrictedPodSecurityContext } from '../lib/pod-security';
import { quantities, withOverrides } from '../lib/kube';
import { ECK_IMAGES, ELASTIC_UID, ElasticsearchCluster, ResourceQuantities } from './elasticsearch-cluster';
import { allowImages } from '../lib/image-allowlist';

/** Kibana's HTTP port (ECK's `<name>-kb-http` Service and the pods). */
export const KIBANA_PORT = 5601;

export interface LoggingKibanaProps {
  /** Name of the Kibana resource; ECK names the Service `<name>-kb-http`. */
  readonly name: string;
  readonly namespace: string;
  /** Elastic Stack version; must match the cluster's. */
  readonly version: string;
  /** The cluster Kibana reads from (ECK creates Kibana's user and trusts the cluster's CA). */
  readonly elasticsearch: ElasticsearchCluster;
  /** Host users reach Kibana on, e.g. `berkeleytime.com`. */
  readonly host: string;
  /** Path prefix Kibana is served under. @default '/kibana' */
  readonly basePath?: string;
  /** @default - ECK's default (1Gi of memory) */
  readonly resources?: ResourceQuantities;
  /** Argo CD sync wave, after the operator that installs the CRD. */
  readonly syncWave: number;
}

/**
 * One Kibana instance. It serves plain HTTP inside the cluster: the entry point terminates TLS
 * for every routed backend, and only the entry point may connect (see the LoggingTier's policies).
 */
export class LoggingKibana extends Construct {
  public readonly name: string;
  /** Kibana's pods and port, for NetworkPolicies and the route's backend. */
  public readonly server: Server;
  public readonly serviceName: string;
  public readonly basePath: string;
  /** `server.publicBaseUrl`: where users reach Kibana. */
  public readonly publicBaseUrl: string;
  public readonly resource: Kibana;

  constructor(scope: Construct, id: string, props: LoggingKibanaProps) {
    super(scope, id);
    allowImages(this, props.namespace, [ECK_IMAGES.kibana]);
    const basePath = props.basePath ?? '/kibana';
    if (!/^\/[a-z0-9][-a-z0-9/]*[a-z0-9]$/.test(basePath) || basePath.includes('//')) {
      throw new Error(`Kibana basePath "${basePath}" must start with "/" and not end with "/" (Kibana rejects a trailing slash), e.g. "/kibana"`);
    }
    if (props.version !== props.elasticsearch.version) {
      throw new Error(
        `Kibana version ${props.version} differs from Elasticsearch ${props.elasticsearch.version}: pin config/versions.yaml images.kibana and images.elasticsearch to the same release`,
      );
    }
    this.name = props.name;
    this.basePath = basePath;
    this.publicBaseUrl = `https://${props.host}${basePath}`;
    this.serviceName = `${props.name}-kb-http`;
    this.server = { name: 'kibana', namespace: props.namespace, selector: { 'kibana.k8s.elastic.co/name': props.name }, ports: [{ port: KIBANA_PORT }] };

    const podTemplate: k8s.PodTemplateSpec = {
      metadata: { labels: objectLabels(props.name, 'kibana', 'logging', 'log-ui') },
      spec: {
        automountServiceAccountToken: false,
        securityContext: restrictedPodSecurityContext({ runAsUser: ELASTIC_UID, fsGroup: ELASTIC_UID }),
        containers: [
          {
            name: 'kibana',
            securityContext: RESTRICTED_CONTAINER,
            ...(props.resources
              ? {
                  resources: {
                    requests: quantities(withOverrides({}, props.resources.requests)),
                    limits: quantities(withOverrides({}, props.resources.limits)),
                  },
                }
              : {}),
          },
        ],
      },
    };

    this.resource = new Kibana(this, 'Resource', {
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels: objectLabels(props.name, 'kibana', 'logging', 'log-ui'),
        annotations: { [ARGO_ANNOTATION.syncWave]: String(props.syncWave), [ARGO_ANNOTATION.syncOptions]: SYNC_OPTION.skipDryRunOnMissingResource },
      },
      spec: {
        version: props.version,
        count: 1,
        elasticsearchRef: { name: props.elasticsearch.name, namespace: props.elasticsearch.namespace },
        http: { tls: { selfSignedCertificate: { disabled: true } } },
        config: {
          // ECK reads these two to point its readiness probe at `<basePath>/login`.
          'server.basePath': basePath,
          'server.rewriteBasePath': true,
          'server.publicBaseUrl': this.publicBaseUrl,
          // Kibana's calls home would be refused by the namespace's egress policy anyway.
          'telemetry.optIn': false,
          'telemetry.allowChangingOptInStatus': false,
          'newsfeed.enabled': false,
        },
        podTemplate: k8s.toJson_PodTemplateSpec(podTemplate),
      },
    });
  }
}
