/**
 * A team's own cdk8s app, written in TypeScript against the package entry with no YAML config: the
 * machine's boot files, the cluster's storage and entry point, the club's database and cache, and
 * its website and API. Every tier takes flat props with defaults and is wired to the others by
 * reference (the namespaces chart, the storage classes, the data tier, the edge).
 * `test/examples-by-hand.test.ts` synthesizes and validates it.
 */
import { App } from 'cdk8s';
import {
  PostgresEngine,
  AppStack,
  ArgoCdBootstrap,
  BootstrapSecrets,
  ClusterBootstrap,
  clusterAddresses,
  ClusterSpec,
  DataTier,
  EdgeTier,
  generateBootstrapSecrets,
  LoggingTier,
  Namespaces,
  RookStorage,
} from '../../index';

export interface ClubPlatform {
  /** The manifests: `app.synth()` writes them, or Argo CD syncs them once committed. */
  readonly app: App;
  /** The host's cloud-init files (`hosts.files()`): they hold the join token and CA keys, so keep them out of git. */
  readonly hosts: ClusterBootstrap;
}

/**
 * @param secrets the cluster's CA keys and tokens. A real app keeps them across runs with
 *   `loadOrCreateBootstrapSecrets('secrets/radio.yaml')` (git-ignored); fresh ones here.
 */
export function clubPlatform(secrets: BootstrapSecrets = generateBootstrapSecrets()): ClubPlatform {
  const app = new App();
  // Argo CD's settings and the root Application, applied by the first host once Argo CD runs.
  const argocd = new ArgoCdBootstrap(app, '00-argocd', { repo: { repoURL: 'https://git.radio-club.example/radio/platform.git' } });
  const namespaces = new Namespaces(app);
  // One machine, both roles; every other cluster field (networks, calico, Kubernetes release) defaults.
  const cluster: ClusterSpec = {
    name: 'radio',
    hosts: [{ name: 'radio-1', address: '10.20.0.10', roles: ['control-plane', 'worker'], cephDisks: ['/dev/vdb'] }],
  };
  // The add-on namespaces' policies reach the API server (and the hosts) at these addresses.
  const addresses = clusterAddresses(cluster);
  // Ceph on the one machine's spare disk: one monitor, one copy of each object (it warns about that).
  const storage = new RookStorage(app, '20-storage', {
    namespaces,
    hosts: cluster.hosts,
    clusterAddresses: addresses,
  });
  // Envoy Gateway behind the node ports, a Let's Encrypt certificate for the club's host.
  const edge = new EdgeTier(app, '30-edge', {
    namespaces,
    hosts: ['radio-club.example'],
    previewDomains: [],
    tls: { acmeEmail: 'webmaster@radio-club.example' },
    clusterAddresses: addresses,
  });
  // Container logs to Elasticsearch, Kibana at /kibana behind basic auth.
  new LoggingTier(app, '40-logging', {
    namespaces,
    edge,
    kibanaHost: 'radio-club.example',
    storageClass: storage.storageClasses.retained,
    nodeCount: 1,
    hostsManaged: true,
    retentionDays: 7,
    clusterAddresses: addresses,
  });
  namespaces.add('club', { protect: true, labels: edge.entryPoint.namespaceLabels });
  const data = new DataTier(app, '10-club-data', {
    app: 'club',
    namespace: 'club',
    storageClass: storage.storageClasses.retained,
    postgres: { engine: PostgresEngine.STATEFULSET, database: 'club', storage: '5Gi', backups: { restoreDrill: { enabled: true } } },
    redis: { maxMemory: '128mb' },
  });
  // The website at /, the API at /api on Postgres and Redis; migrations run before each release.
  new AppStack(app, '20-club', {
    environment: {
      app: 'club',
      environment: 'production',
      namespace: 'club',
      host: 'radio-club.example',
      components: [
        { name: 'web', image: 'registry.radio-club.example/radio/web:1.4.0', port: 3000, paths: ['/'], writablePaths: ['/tmp'] },
        {
          name: 'api',
          image: 'registry.radio-club.example/radio/api:1.4.0',
          port: 8000,
          paths: ['/api'],
          uses: ['postgres', 'redis'],
          secretEnv: [{ secret: 'api-secrets', keys: ['SESSION_KEY'] }],
          migrations: { command: ['node', 'migrate.js'] },
          writablePaths: ['/tmp'],
        },
      ],
    },
    data,
    edge,
  });
  const hosts = new ClusterBootstrap(app, 'hosts', {
    cluster,
    edge: edge.forwarding,
    gitopsManifests: argocd.toJson(),
    secrets,
    elasticsearch: true,
  });
  return { app, hosts };
}
