/**
 * GitLab CE in the cluster at `/git` (the Berkeleytime seed), from the Omnibus image: the GitLab
 * Helm chart cannot serve under a sub-path (gitlab-org/charts/gitlab#6121). One pod runs every
 * GitLab service under runit, on retained volumes, behind the single entry point, with its own
 * scheduled backups. See docs/gitlab.md.
 */
import { isIP } from 'net';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { PodMonitor } from '../imports/monitoring.coreos.com';
import { NamespacePeer, ResourceQuantities, RouteRegistry, Server, StorageClassRef } from '../lib/contracts';
import { withDefaults } from '../lib/defaults';
import { pinnedImage } from '../lib/pins';
import { allowImages, imageRepository } from '../lib/image-allowlist';
import { GITLAB_DEFAULTS, GITLAB_REQUEST_TIMEOUT_SECONDS, STORAGE_DEFAULTS } from '../lib/tier-defaults';
import { ARGO_ANNOTATION, SYNC_OPTION, WAVE } from '../lib/argocd';
import { assignSyncWave } from '../lib/argocd-constructs';
import { objectLabels, selectorLabels } from '../lib/labels';
import { allowIngress, defaultDeny } from '../lib/network-policy';
import { PlatformChart } from '../lib/platform-chart';
import { PodSecurityLevel } from '../lib/pod-security';
import { requireSecrets } from '../lib/warnings';
import { GitLabBackup } from './gitlab-backup';
import { GITLAB_ENV, GITLAB_HTTP_PORT, GITLAB_METRICS, GITLAB_PATH, omnibusConfig } from './gitlab-omnibus-config';
import { gitlabStatefulSet } from './gitlab-stateful-set';
import { Namespaces } from './namespaces';

export const GITLAB_NAMESPACE = 'gitlab';

/**
 * Omnibus starts as root: runit supervises a dozen services and drops each to its own user
 * (git, gitlab-psql, gitlab-redis…), and its first start chowns the volumes. Restricted forbids
 * root; baseline allows it with the runtime's default capabilities, which is all it needs.
 */
export const GITLAB_POD_SECURITY_REASON =
  'the GitLab Omnibus image runs as root: runit starts its services and switches each to its own user (git, gitlab-psql, gitlab-redis), and reconfigure chowns its volumes, which needs the default CHOWN, DAC_OVERRIDE, FOWNER, SETUID and SETGID capabilities; it needs nothing baseline forbids (no privileged mode, no added capabilities, no host namespaces, ports or paths)';

/** An S3-compatible bucket for GitLab's backups (GitLab's `backup_upload_connection`). */
export interface GitLabS3Target {
  /** `https://…` */
  readonly endpoint: string;
  readonly bucket: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Secret in the GitLab namespace with keys `accessKeyId` and `secretAccessKey`. */
  readonly credentialsSecret: string;
}

/** How GitLab runs: flat, each with a default (lib/tier-defaults.ts `GITLAB_DEFAULTS`). */
export interface GitLabOptions {
  /** Secret with the initial root password under key `password` (read on the first start only). @default 'gitlab-root-password' */
  readonly rootPasswordSecret?: string;
  /** Volume sizes. @default - config 1Gi, data 50Gi, logs 10Gi, backups 100Gi */
  readonly storage?: { readonly config?: string; readonly data?: string; readonly logs?: string; readonly backups?: string };
  /** @default - requests 2 CPUs and 8Gi, memory limit 16Gi (GitLab's documented minimums) */
  readonly resources?: ResourceQuantities;
  /** Largest push or upload the entry point forwards; '0' is unlimited. @default '0' */
  readonly maxRequestBodySize?: string;
  /** @default - nightly at 04:00 UTC, kept 7 days, no S3 upload */
  readonly backups?: { readonly schedule?: string; readonly timeZone?: string; readonly keepDays?: number; readonly s3?: GitLabS3Target };
}

export interface GitLabProps extends GitLabOptions {
  /** The cluster's `00-namespaces` chart: GitLab's namespace is added there (protected, Pod Security baseline). */
  readonly namespaces: Namespaces;
  /** The edge: the `/git` route, and the entry point admitted to GitLab's HTTP port. */
  readonly edge: RouteRegistry;
  /** The platform host GitLab is served on (`https://<host>/git`). @default - none: an error */
  readonly host?: string;
  /** Address ranges of the pod network, where the Gateway's proxies run (their X-Forwarded-For is trusted). */
  readonly podCidrs: readonly string[];
  /** Class of the four volumes; it must retain volumes. @default - ceph-block-retain (reclaimPolicy Retain) */
  readonly storageClass?: StorageClassRef;
  /** Who scrapes the exporters; with it, a PodMonitor. @default - no monitoring */
  readonly prometheus?: NamespacePeer;
  /** @default - the pins `gitlab` and `kubectl` of config/versions.yaml */
  readonly image?: string;
  readonly kubectlImage?: string;
}

export class GitLab extends PlatformChart {
  /** GitLab's pod and its HTTP port. */
  public readonly server: Server;
  public readonly serviceName: string;
  /** `https://<host>/git` */
  public readonly url: string;
  /** `namespace/name` of the Secrets GitLab reads and nothing synthesizes. */
  public readonly requiredSecrets: string[];

  constructor(scope: Construct, id: string, props: GitLabProps) {
    super(scope, id);
    const d = GITLAB_DEFAULTS;
    const namespace = GITLAB_NAMESPACE;
    const backups = withDefaults(d.backups, props.backups ?? {});
    const config = {
      rootPasswordSecret: props.rootPasswordSecret ?? d.rootPasswordSecret,
      storage: withDefaults(d.storage, props.storage ?? {}),
      maxRequestBodySize: props.maxRequestBodySize ?? d.maxRequestBodySize,
      backups: { ...backups, s3: props.backups?.s3 },
    };
    if (!props.host) throw new Error('GitLab: serving GitLab at /git needs the platform host; set edge.platformHost (or pass GitLabProps.host)');
    const storageClass = props.storageClass ?? { name: STORAGE_DEFAULTS.classes.retained.name, reclaimPolicy: 'Retain' };
    if (storageClass.reclaimPolicy === 'Delete') {
      throw new Error(
        `GitLab: StorageClass "${storageClass.name}" has reclaimPolicy Delete, so a deleted claim would delete the repositories; use a Retain class`,
      );
    }
    if (props.podCidrs.length === 0) throw new Error('GitLab: podCidrs is empty; pass the pod network ranges (cluster.network.podCidr)');

    props.namespaces.add(namespace, {
      protect: true,
      podSecurity: PodSecurityLevel.BASELINE,
      podSecurityReason: GITLAB_POD_SECURITY_REASON,
      labels: { ...props.edge.entryPoint.namespaceLabels },
    });
    const image = props.image ?? pinnedImage('gitlab');
    const kubectlImage = props.kubectlImage ?? pinnedImage('kubectl');
    // GitLab itself and the backup job's kubectl: nothing else runs in its namespace.
    allowImages(this, namespace, [imageRepository(image), imageRepository(kubectlImage)]);

    const name = 'gitlab';
    const selector = selectorLabels(namespace, name);
    const labels = objectLabels(namespace, name, 'gitlab', 'git');
    this.server = { name, namespace, selector, ports: [{ port: GITLAB_HTTP_PORT }] };
    this.serviceName = name;
    this.url = `https://${props.host}${GITLAB_PATH}`;
    const s3 = config.backups.s3;
    this.requiredSecrets = [`${namespace}/${config.rootPasswordSecret}`, ...(s3 ? [`${namespace}/${s3.credentialsSecret}`] : [])];
    requireSecrets(this, this.requiredSecrets);

    const omnibus = omnibusConfig({
      host: props.host,
      trustedProxyCidrs: props.podCidrs,
      backupKeepDays: config.backups.keepDays,
      s3: s3 ? { endpoint: s3.endpoint, bucket: s3.bucket, region: s3.region ?? 'us-east-1' } : undefined,
    });
    const secretEnv = (envName: string, secret: string, key: string): k8s.EnvVar => ({ name: envName, valueFrom: { secretKeyRef: { name: secret, key } } });
    const stateful = gitlabStatefulSet(this, {
      name,
      namespace,
      labels,
      selector,
      image,
      env: [
        { name: 'GITLAB_OMNIBUS_CONFIG', value: omnibus },
        // The image's OpenSSH is off: Git runs over HTTPS through the single entry point (docs/gitlab.md).
        { name: 'GITLAB_DISABLE_OPENSSH', value: 'true' },
        secretEnv(GITLAB_ENV.rootPassword, config.rootPasswordSecret, 'password'),
        ...(s3
          ? [
              secretEnv(GITLAB_ENV.s3AccessKeyId, s3.credentialsSecret, 'accessKeyId'),
              secretEnv(GITLAB_ENV.s3SecretAccessKey, s3.credentialsSecret, 'secretAccessKey'),
            ]
          : []),
      ],
      storage: config.storage,
      storageClass,
      resources: props.resources,
    });
    this.addRoute(props, config.maxRequestBodySize);

    const backup = new GitLabBackup(this, 'Backup', {
      namespace,
      podName: stateful.podName,
      containerName: stateful.containerName,
      schedule: config.backups.schedule,
      timeZone: config.backups.timeZone,
      kubectlImage,
    });
    // After GitLab is up: the job's first run must find the pod.
    assignSyncWave(backup, WAVE.platformJobs);

    defaultDeny(this, namespace);
    this.allowInternet(s3?.endpoint);
    if (props.prometheus) this.addMonitoring(props.prometheus);
    // Its volumes need a healthy StorageClass; the route (WAVE.edge) and the jobs have their own waves.
    assignSyncWave(this, WAVE.storageConsumers);
  }

  /** `/git` on the platform host, path kept (GitLab serves under it); the edge admits its proxies to port 80. */
  private addRoute(props: GitLabProps, maxRequestBodySize: string): void {
    props.edge.addRoutes(this, {
      owner: 'gitlab',
      host: props.host!,
      namespace: this.server.namespace,
      backends: [{ path: GITLAB_PATH, serviceName: this.serviceName, port: GITLAB_HTTP_PORT, pods: this.server }],
      maxRequestBodySize,
      requestTimeoutSeconds: GITLAB_REQUEST_TIMEOUT_SECONDS,
      syncWave: WAVE.edge,
    });
  }

  /**
   * Webhooks, repository mirrors and imports (HTTP(S), and SSH for mirrors) go to the internet;
   * private ranges stay closed. An S3 endpoint given by address is allowed on its own port.
   */
  private allowInternet(s3Endpoint: string | undefined): void {
    const { namespace, selector } = this.server;
    const port = (p: number) => ({ port: k8s.IntOrString.fromNumber(p), protocol: 'TCP' });
    const privateV4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10'];
    new k8s.KubeNetworkPolicy(this, 'EgressInternet', {
      metadata: { name: 'egress-gitlab-to-internet', namespace },
      spec: {
        podSelector: { matchLabels: { ...selector } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: privateV4 } }], ports: [443, 80, 22].map(port) }],
      },
    });
    if (!s3Endpoint) return;
    const url = new URL(s3Endpoint);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const family = isIP(host);
    // A named endpoint on 443 is covered above; an address (a bucket on the campus network) or another port is not.
    if (family === 0 && (url.port === '' || url.port === '443')) return;
    const cidrs = family === 4 ? [`${host}/32`] : family === 6 ? [`${host}/128`] : ['0.0.0.0/0', '::/0'];
    new k8s.KubeNetworkPolicy(this, 'EgressS3', {
      metadata: { name: 'egress-gitlab-to-s3', namespace },
      spec: {
        podSelector: { matchLabels: { ...selector } },
        policyTypes: ['Egress'],
        egress: [{ to: cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [port(Number(url.port || 443))] }],
      },
    });
  }

  /** A PodMonitor for the exporters, and Prometheus admitted to their ports (and only those). */
  private addMonitoring(prometheus: NamespacePeer): void {
    const { namespace, selector } = this.server;
    const monitor = new PodMonitor(this, 'PodMonitor', {
      metadata: {
        name: 'gitlab',
        namespace,
        labels: objectLabels(namespace, 'gitlab', 'gitlab'),
        // The monitoring stack installs the CRD in an earlier wave; the dry run may still precede it.
        annotations: { [ARGO_ANNOTATION.syncOptions]: SYNC_OPTION.skipDryRunOnMissingResource },
      },
      spec: {
        selector: { matchLabels: { ...selector } },
        podMetricsEndpoints: GITLAB_METRICS.map((m) => ({ port: m.portName, path: '/metrics' })),
      },
    });
    // After the monitoring stack (WAVE.storageConsumers), which brings the PodMonitor CRD.
    assignSyncWave(monitor, WAVE.platformJobs);
    allowIngress(this, prometheus, { name: 'gitlab-metrics', namespace, selector, ports: GITLAB_METRICS.map((m) => ({ port: m.port })) });
  }
}
