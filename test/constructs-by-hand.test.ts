/**
 * Constructs composed by hand, as a team would in its own cdk8s app: flat props, every optional one
 * defaulted (settings from lib/tier-defaults.ts, pins from config/versions.yaml), no config types.
 * `npm run typecheck` compiles these exact calls.
 */
import { PostgresEngine } from '../lib/contracts';
import { Testing } from 'cdk8s';
import { AppStack } from '../charts/app-stack';
import { DataTier } from '../charts/data-tier';
import { EdgeTier } from '../charts/edge-tier';
import { environments } from '../config/model';
import { parsedConfig } from './helpers';
import { Postgres } from '../charts/postgres';
import { PostgresBackup } from '../charts/postgres-backup';
import { PostgresRestoreDrill } from '../charts/postgres-restore-drill';
import { Redis } from '../charts/redis';
import { RookStorage } from '../charts/rook-storage';
import { LoggingTier } from '../charts/logging-tier';
import { MonitoringStack } from '../charts/monitoring-stack';
import { GitLab } from '../charts/gitlab';
import { Namespaces } from '../charts/namespaces';
import { FakeRouteRegistry } from './logging-fixtures';
import { loadVersions } from '../config/versions';
import { PlatformChart } from '../lib/platform-chart';
import { drainWarnings, requiredSecretsOf, warningsOf } from '../lib/warnings';

const versions = loadVersions();
const of = (docs: any[], kind: string) => docs.filter((d) => d.kind === kind);

describe('Postgres by hand', () => {
  test("new Postgres(scope, 'db', { database: 'x' }) gets the pinned image, a retained 10Gi volume and the credentials Secret", () => {
    const chart = Testing.chart();
    const db = new Postgres(chart, 'db', { database: 'x' });
    const [sts] = of(Testing.synth(chart), 'StatefulSet');
    expect(sts.metadata.namespace).toBe('default');
    expect(sts.spec.template.spec.containers[0].image).toBe(versions.images['postgres-17']);
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'ceph-block-retain', resources: { requests: { storage: '10Gi' } } });
    expect(sts.spec.template.spec.containers[0].env).toContainEqual({ name: 'POSTGRES_DB', value: 'x' });
    expect(db.credentialsSecret).toBe('postgres-credentials');
    expect(db.host).toBe('postgres.default.svc.cluster.local');
  });

  test("takes the enclosing chart's namespace, and another major's pin", () => {
    const chart = new PlatformChart(Testing.app(), '10-shop', { namespace: 'shop' });
    new Postgres(chart, 'db', { database: 'orders', majorVersion: 18 });
    const [sts] = of(chart.toJson(), 'StatefulSet');
    expect(sts.metadata.namespace).toBe('shop');
    expect(sts.spec.template.spec.containers[0].image).toBe(versions.images['postgres-18']);
  });

  test('refuses a StorageClass that deletes volumes, with the fix', () => {
    expect(() => new Postgres(Testing.chart(), 'db', { database: 'x', storageClass: { name: 'fast', reclaimPolicy: 'Delete' } })).toThrow(
      'Postgres default: StorageClass "fast" has reclaimPolicy Delete, so a deleted claim would delete the database; use a Retain class',
    );
  });

  test('backups and a restore drill follow the database by reference', () => {
    const chart = Testing.chart();
    const db = new Postgres(chart, 'db', { database: 'x' });
    const backup = new PostgresBackup(chart, 'backup', { postgres: db });
    new PostgresRestoreDrill(chart, 'drill', { postgres: db, backup });
    const cron = of(Testing.synth(chart), 'CronJob');
    expect(cron.map((c) => [c.metadata.name, c.spec.schedule, c.spec.timeZone])).toEqual([
      ['postgres-backup', '30 3 * * *', 'Etc/UTC'],
      ['postgres-restore-drill', '0 5 * * 0', 'Etc/UTC'],
    ]);
    expect(cron[0].spec.jobTemplate.spec.template.spec.containers.map((c: any) => c.image)).toContain(db.image);
  });
});

describe('Redis and DataTier by hand', () => {
  test("new Redis(scope, 'cache') is a 256mb LRU cache of the pinned image", () => {
    const chart = Testing.chart();
    new Redis(chart, 'cache');
    const [deployment] = of(Testing.synth(chart), 'Deployment');
    const container = deployment.spec.template.spec.containers[0];
    expect(container.image).toBe(versions.images.redis);
    expect(container.args).toEqual(expect.arrayContaining(['--maxmemory', '256mb', '--maxmemory-policy', 'allkeys-lru']));
  });

  test('a DataTier from the database name alone: Postgres, nightly backups, no drill, the on-cluster warning', () => {
    drainWarnings();
    const app = Testing.app();
    const tier = new DataTier(app, '10-club-data', {
      app: 'club',
      namespace: 'club',
      postgres: { engine: PostgresEngine.STATEFULSET, database: 'club' },
      redis: {},
    });
    const docs = tier.toJson();
    expect(of(docs, 'StatefulSet')).toHaveLength(1);
    expect(of(docs, 'CronJob').map((c) => c.metadata.name)).toEqual(['postgres-backup']);
    expect(tier.postgres?.connectionEnv).toContainEqual({ name: 'POSTGRES_DB', value: 'club' });
    expect(drainWarnings().map((w) => w.id)).toEqual(['platform:data:backupsOnCluster']);
    // Recorded on the construct tree too, for an app that never runs the platform's CLI.
    expect(warningsOf(app).map((w) => w.id)).toEqual(['platform:data:backupsOnCluster']);
    expect(requiredSecretsOf(app)).toEqual(['club/postgres-credentials']);
  });
});

describe('MonitoringStack by hand', () => {
  test('with only what it connects to: 15 days on 20Gi, Grafana routed, no Alertmanager, the pinned chart', () => {
    const app = Testing.app();
    const edge = new FakeRouteRegistry();
    const stack = new MonitoringStack(app, '50-monitoring', {
      namespaces: new Namespaces(app),
      edge,
      grafanaHost: 'club.example.org',
      storageClass: { name: 'ceph-block', reclaimPolicy: 'Delete' },
    });
    const [application] = of(stack.toJson(), 'Application');
    expect(application.spec.source.targetRevision).toBe(versions.charts['kube-prometheus-stack'].version);
    const values = application.spec.source.helm.valuesObject;
    expect(values.prometheus.prometheusSpec.retention).toBe('15d');
    expect(values.alertmanager).toEqual({ enabled: false });
    expect(edge.calls.map((c) => c.routes.backends[0].path)).toEqual(['/grafana']);
    expect(requiredSecretsOf(app)).toEqual(['monitoring/grafana-admin']);
  });
});

describe('GitLab by hand', () => {
  test('with only what it connects to: the pinned images, the retained class, /git routed with unlimited bodies, nightly backups', () => {
    const app = Testing.app();
    const edge = new FakeRouteRegistry();
    const gitlab = new GitLab(app, '60-gitlab', { namespaces: new Namespaces(app), edge, host: 'club.example.org', podCidrs: ['10.244.0.0/16'] });
    const docs = gitlab.toJson();
    const [sts] = of(docs, 'StatefulSet');
    expect(sts.spec.template.spec.containers[0].image).toBe(versions.images.gitlab);
    expect(sts.spec.volumeClaimTemplates.map((c: any) => c.spec.storageClassName)).toEqual(Array(4).fill('ceph-block-retain'));
    expect(of(docs, 'CronJob')[0].spec.jobTemplate.spec.template.spec.containers[0].image).toBe(versions.images.kubectl);
    expect(edge.calls.map((c) => [c.routes.host, c.routes.backends[0].path, c.routes.maxRequestBodySize])).toEqual([['club.example.org', '/git', '0']]);
    expect(gitlab.url).toBe('https://club.example.org/git');
    expect(requiredSecretsOf(app)).toEqual(['gitlab/gitlab-root-password']);
  });
});

describe('LoggingTier by hand', () => {
  test('with only what it connects to: 14 days, 30Gi nodes with a 1 GiB heap, Kibana behind kibana-basic-auth, the pinned operator', () => {
    const app = Testing.app();
    const edge = new FakeRouteRegistry();
    const tier = new LoggingTier(app, '40-logging', {
      namespaces: new Namespaces(app),
      edge,
      kibanaHost: 'club.example.org',
      storageClass: { name: 'ceph-block-retain', reclaimPolicy: 'Retain' },
      nodeCount: 1,
      hostsManaged: true,
    });
    const docs = tier.toJson();
    expect(of(docs, 'Application')[0].spec.source.targetRevision).toBe(versions.charts['eck-operator'].version);
    const [es] = of(docs, 'Elasticsearch');
    expect(es.spec.version).toBe(versions.images.elasticsearch);
    expect(es.spec.nodeSets[0].volumeClaimTemplates[0].spec.resources.requests.storage).toBe('30Gi');
    expect(edge.calls.map((c) => c.routes.auth?.secretName)).toEqual(['kibana-basic-auth']);
    expect(requiredSecretsOf(app)).toEqual(['logging/kibana-basic-auth']);
  });
});

describe('AppStack on its own', () => {
  test('one environment of an app wired to a data tier by reference, without edge or monitoring', () => {
    const [production] = environments(parsedConfig()).find((e) => e.name === 'production')!.apps;
    const app = Testing.app();
    const data = new DataTier(app, '10-berkeleytime-data', {
      app: 'berkeleytime',
      namespace: production.namespace,
      postgres: { engine: PostgresEngine.STATEFULSET, database: 'berkeleytime' },
      redis: {},
    });
    const stack = new AppStack(app, '20-berkeleytime', { environment: production, data });
    const docs = stack.toJson();
    // The connection is two-sided: egress here, ingress on the data tier.
    expect(of(docs, 'NetworkPolicy').map((p) => p.metadata.name)).toContain('egress-backend-to-postgres');
    expect(of(data.toJson(), 'NetworkPolicy').map((p) => p.metadata.name)).toContain('ingress-postgres-from-backend');
    expect(
      of(docs, 'Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['backend', 'frontend']);
    expect(of(docs, 'Role').map((r) => r.metadata.name)).toEqual(['deployer']);
    expect(of(docs, 'NetworkPolicy').map((p) => p.metadata.name)).toEqual(expect.arrayContaining(['default-deny', 'allow-dns']));
    // Nothing is routed without an edge; the Secrets the workloads read are recorded on the tree.
    expect(of(docs, 'HTTPRoute')).toEqual([]);
    expect(requiredSecretsOf(stack)).toEqual(['berkeleytime-production/backend-secrets', 'berkeleytime-production/postgres-credentials']);
    expect(stack.routes.backends.map((b) => b.path).sort()).toEqual(['/', '/api']);
  });
});

describe('EdgeTier by hand', () => {
  test('with only its hosts: Envoy Gateway on node ports 30080/30443, a Let’s Encrypt certificate per host, the pinned charts', () => {
    const app = Testing.app();
    const edge = new EdgeTier(app, '30-edge', { namespaces: new Namespaces(app), hosts: ['club.example.org'], previewDomains: [] });
    const docs = edge.toJson();
    expect(of(docs, 'Application').map((a) => [a.metadata.name, a.spec.source.targetRevision])).toEqual([
      ['envoy-gateway', versions.charts['envoy-gateway'].version],
      ['cert-manager', versions.charts['cert-manager'].version],
    ]);
    const [proxy] = of(docs, 'EnvoyProxy');
    expect(proxy.spec.provider.kubernetes.envoyService.patch.value.spec.ports.map((p: any) => p.nodePort)).toEqual([30080, 30443]);
    expect(of(docs, 'Certificate').find((c) => c.spec.dnsNames?.[0] === 'club.example.org')?.spec.issuerRef.name).toBe('letsencrypt-production');
  });
});

describe('RookStorage by hand', () => {
  test('one host with one disk: one mon, one copy per object (with the warning), the two block classes, the pinned charts and image', () => {
    const app = Testing.app();
    const storage = new RookStorage(app, '20-storage', {
      namespaces: new Namespaces(app),
      hosts: [{ name: 'radio-1', roles: ['control-plane', 'worker'], cephDisks: ['/dev/vdb'] }],
    });
    const docs = storage.toJson();
    const [cluster] = of(docs, 'CephCluster');
    expect(cluster.spec.cephVersion.image).toBe(versions.images.ceph);
    expect(cluster.spec.mon.count).toBe(1);
    expect(cluster.spec.storage.nodes).toEqual([{ name: 'radio-1', devices: [{ name: 'vdb' }] }]);
    expect(
      of(docs, 'StorageClass')
        .map((c) => c.metadata.name)
        .sort(),
    ).toEqual(['ceph-block', 'ceph-block-retain']);
    expect(storage.storageClasses.retained).toEqual({ name: 'ceph-block-retain', reclaimPolicy: 'Retain' });
    expect(warningsOf(app).map((w) => w.id)).toEqual(['platform:storage:singleReplica']);
  });
});

describe('AppStack by hand', () => {
  test('components as plain values: a routed web frontend and an API on Postgres, wired to the data tier by reference', () => {
    const app = Testing.app();
    const data = new DataTier(app, '10-club-data', { app: 'club', namespace: 'club', postgres: { engine: PostgresEngine.STATEFULSET, database: 'club' } });
    const stack = new AppStack(app, '20-club', {
      environment: {
        app: 'club',
        environment: 'production',
        namespace: 'club',
        host: 'radio-club.example',
        components: [
          { name: 'web', image: 'registry.radio-club.example/radio/web:1.4.0', port: 3000, paths: ['/'] },
          {
            name: 'api',
            image: 'registry.radio-club.example/radio/api:1.4.0',
            port: 8000,
            paths: ['/api'],
            uses: ['postgres'],
            migrations: { command: ['node', 'migrate.js'] },
          },
        ],
      },
      data,
    });
    const docs = stack.toJson();
    const web = of(docs, 'Deployment').find((d) => d.metadata.name === 'web');
    expect(web.spec.replicas).toBe(1);
    expect(web.spec.template.spec.securityContext).toMatchObject({ runAsUser: 10001, runAsNonRoot: true });
    expect(of(docs, 'Job').map((j) => j.metadata.name)).toEqual(['api-migrate-1-4-0']);
    expect(stack.routes.backends.map((b) => [b.path, b.serviceName])).toEqual([
      ['/', 'web'],
      ['/api', 'api'],
    ]);
    expect(requiredSecretsOf(app)).toEqual(['club/postgres-credentials']);
  });

  test('a cron job of a component the app does not have is refused, naming it', () => {
    const environment = {
      app: 'club',
      environment: 'production',
      namespace: 'club',
      host: 'radio-club.example',
      components: [],
      cronJobs: [{ name: 'nightly', component: 'api', schedule: '0 2 * * *', timeZone: 'Etc/UTC', steps: [['true']] }],
    };
    expect(() => new AppStack(Testing.app(), '20-club', { environment })).toThrow('club: cron job nightly runs component "api", which the app does not have');
  });
});
