/**
 * Postgres on CloudNativePG, as the platform synthesizes it (the fixture's CloudNativePG variant,
 * test/cnpg-fixtures.ts) and as a DataTier builds it by hand: instances per topology, the WAL
 * archive and its retention, Retain volumes, who may connect, the base backups, the restore drill,
 * and the config and upgrade errors that keep data from being lost.
 */
import * as yaml from 'js-yaml';
import { Testing } from 'cdk8s';
import { PostgresEngine } from '../charts/data-tier';
import { BARMAN_CLOUD_PLUGIN, IPostgresOperator } from '../charts/postgres-operator';
import { parseConfig } from '../config/load';
import { SourceDocument } from '../lib/validate/document';
import { formatFinding, validateDocuments } from '../lib/validate';
import { checkUpgrade } from '../lib/validate/upgrade-check';
import { drainWarnings } from '../lib/warnings';
import * as path from 'path';
import { cnpgConfigText, cnpgTree, OBJECT_STORE } from './cnpg-fixtures';
import { ROOT, synthesizeWithSecrets, tmpDir, treeObjects } from './helpers';
import { dataConfig, DELETE, find, NAMESPACE, RETAIN, synthDataTier, versions } from './data-tier-fixtures';
import { postgresImage } from '../charts/postgres';

const PROD = 'berkeleytime-production';
const DRILL = `${PROD}-drill`;
const OPERATOR: IPostgresOperator = {
  operatorPeer: {
    name: 'cnpg-operator',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'cnpg-system' },
    podLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' },
  },
  backupPlugin: BARMAN_CLOUD_PLUGIN,
};

const inNs = (objects: any[], namespace: string) => objects.filter((o) => o.metadata?.namespace === namespace);
const get = (objects: any[], kind: string, name: string, namespace: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata?.name === name && x.metadata?.namespace === namespace);
  if (!o) throw new Error(`no ${kind} ${namespace}/${name}`);
  return o;
};
const docs = (objects: any[]): SourceDocument[] => objects.map((object, index) => ({ file: `doc-${index}.yaml`, index: 0, object }));

/** A CloudNativePG DataTier by hand (no platform), with the cnpg postgres config given. */
function cnpgTier(postgres: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) {
  const pg = {
    majorVersion: 17,
    database: 'berkeleytime',
    storage: '20Gi',
    objectStore: { ...OBJECT_STORE },
    backups: { restoreDrill: { enabled: true } },
    ...postgres,
  };
  const { instances, ...config } = pg as any;
  const parsed = dataConfig({ postgres: config });
  return synthDataTier({
    ...parsed,
    postgres: { ...parsed.postgres!, ...(instances ? { instances } : {}) },
    postgresClusterImage: postgresImage(versions, 17, 'cnpg-postgres'),
    postgresOperator: OPERATOR,
    restoreDrillNamespace: `${NAMESPACE}-drill`,
    kubectlImage: 'registry.k8s.io/kubectl:v1.36.0',
    ...overrides,
  } as any);
}

beforeEach(() => drainWarnings());

describe('the platform on CloudNativePG', () => {
  test('production and staging each get a Cluster archiving WAL to the configured store, a ScheduledBackup and a drill', () => {
    const { objects } = cnpgTree();
    for (const ns of [PROD, 'berkeleytime-staging']) {
      const cluster = get(objects, 'Cluster', 'pg', ns);
      // One storage host in the fixture: one instance.
      expect(cluster.spec.instances).toBe(1);
      expect(cluster.spec.plugins).toEqual([{ name: BARMAN_CLOUD_PLUGIN, isWALArchiver: true, parameters: { barmanObjectName: 'pg-backups' } }]);
      expect(cluster.spec.postgresql.parameters.archive_timeout).toBe('5min');
      expect(cluster.spec.storage).toEqual({ size: '20Gi', storageClass: 'ceph-block-retain' });
      expect(cluster.spec.bootstrap.initdb).toEqual({ database: 'berkeleytime', owner: 'berkeleytime' });
      expect(cluster.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
      expect(cluster.spec.inheritedMetadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
      const store = get(objects, 'ObjectStore', 'pg-backups', ns);
      expect(store.spec).toEqual({
        configuration: {
          destinationPath: `s3://${OBJECT_STORE.bucket}/${ns}`,
          endpointURL: OBJECT_STORE.endpoint,
          s3Credentials: {
            accessKeyId: { name: 'postgres-backup-s3', key: 'accessKeyId' },
            secretAccessKey: { name: 'postgres-backup-s3', key: 'secretAccessKey' },
          },
          wal: { compression: 'gzip', maxParallel: 2 },
          data: { compression: 'gzip' },
        },
        retentionPolicy: '30d',
      });
      expect(get(objects, 'ScheduledBackup', 'pg', ns).spec).toEqual({
        cluster: { name: 'pg' },
        schedule: '0 30 3 * * *',
        method: 'plugin',
        pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN },
        immediate: true,
        backupOwnerReference: 'self',
      });
      expect(get(objects, 'CronJob', 'restore-drill', `${ns}-drill`).spec.schedule).toBe('0 5 * * 0');
      // Previews share staging's: no Cluster of their own.
    }
    expect(objects.filter((o) => o.kind === 'Cluster').map((o) => o.metadata.namespace)).toEqual(['berkeleytime-production', 'berkeleytime-staging']);
  });

  test('no credential is made by hand: the apps read the operator-generated pg-app Secret and connect to pg-rw', () => {
    const { objects, externalSecrets } = cnpgTree();
    const backend = get(objects, 'Deployment', 'backend', PROD);
    const env = backend.spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'POSTGRES_HOST').value).toBe(`pg-rw.${PROD}.svc.cluster.local`);
    expect(env.find((e: any) => e.name === 'POSTGRES_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'pg-app', key: 'password' });
    expect(objects.filter((o) => o.kind === 'Secret' || o.kind === 'SealedSecret').map((o) => o.metadata.name)).not.toContain('pg-app');
    // Someone creates the store's keys (and the app's own secrets); no database credential among them.
    expect(externalSecrets.filter((s) => s.startsWith(`${PROD}/`) && /pg|postgres/.test(s))).toEqual([`${PROD}/postgres-backup-s3`]);
  });

  test('every object validates, the drill Cluster inside its ConfigMap included, against the CloudNativePG and plugin schemas', () => {
    const { objects, externalSecrets } = cnpgTree();
    const findings = validateDocuments(docs(objects), { declared: { secrets: [...externalSecrets] } });
    expect(findings.map(formatFinding)).toEqual([]);
  });

  test('a broken drill Cluster in the ConfigMap is a schema finding', () => {
    const { objects } = cnpgTree();
    const cm = structuredClone(get(objects, 'ConfigMap', 'restore-drill', DRILL));
    const manifest: any = yaml.load(cm.data['cluster.yaml']);
    manifest.spec.bootstrap.recovery.sourceCluster = 'origin';
    cm.data['cluster.yaml'] = yaml.dump(manifest);
    const findings = validateDocuments(docs([cm])).map(formatFinding);
    expect(findings.some((f) => /sourceCluster/.test(f) && /Cluster\/.*drill/.test(f))).toBe(true);
  });

  test('clients reach the instances on 5432 from the app pods, and the operator on 8000 and 5432; nobody else', () => {
    const { objects } = cnpgTree();
    const ingress = inNs(objects, PROD).filter(
      (o) => o.kind === 'NetworkPolicy' && o.spec.podSelector.matchLabels?.['cnpg.io/cluster'] === 'pg' && o.spec.policyTypes.includes('Ingress'),
    );
    const rules = ingress.flatMap((p) =>
      (p.spec.ingress ?? []).map((r: any) => ({ policy: p.metadata.name, from: r.from, ports: r.ports.map((x: any) => x.port).sort() })),
    );
    const byPolicy = Object.fromEntries(rules.map((r) => [r.policy, r.ports]));
    expect(byPolicy).toEqual({
      'ingress-pg-from-backend': [5432],
      'ingress-pg-from-backend-migrate': [5432],
      'ingress-pg-from-data-refresh': [5432],
      'ingress-pg-from-cnpg-operator': [5432, 8000],
      'ingress-pg-instances-from-pg-instances': [5432, 8000],
      'ingress-pg-metrics-from-prometheus': [9187],
    });
    const from = (name: string) => rules.find((r) => r.policy === name)!.from;
    expect(from('ingress-pg-from-backend')).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/instance': PROD, 'app.kubernetes.io/name': 'backend' } } },
    ]);
    expect(from('ingress-pg-from-cnpg-operator')[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'cnpg-system' });
    // Staging's database also admits its previews, by their namespace label.
    const previews = get(objects, 'NetworkPolicy', 'ingress-pg-from-previews', 'berkeleytime-staging');
    expect(previews.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({ 'platform.campus/preview-of': 'berkeleytime' });
    expect(previews.spec.ingress[0].ports.map((p: any) => p.port)).toEqual([5432]);
    // The isolating policy: nothing in or out beyond the allows.
    expect(get(objects, 'NetworkPolicy', 'isolate-pg', PROD).spec.policyTypes).toEqual(['Ingress', 'Egress']);
    // The client side: the backend may go to pg's pods on 5432.
    const egress = get(objects, 'NetworkPolicy', 'egress-backend-to-pg', PROD);
    expect(egress.spec.egress[0].to[0].podSelector.matchLabels).toEqual({ 'cnpg.io/cluster': 'pg' });
    // The instances reach the object store's port only.
    expect(get(objects, 'NetworkPolicy', 'egress-pg-instances-to-object-store', PROD).spec.egress[0].ports).toEqual([{ port: 9000, protocol: 'TCP' }]);
  });

  test('the operator, then the plugin, in the cnpg-system namespace with their policies', () => {
    const { objects } = cnpgTree();
    const apps = objects.filter((o) => o.kind === 'Application' && ['cloudnative-pg', 'plugin-barman-cloud'].includes(o.metadata.name));
    expect(apps.map((a) => [a.metadata.name, a.spec.source.targetRevision, a.spec.destination.namespace])).toEqual([
      ['cloudnative-pg', versions.charts['cloudnative-pg'].version, 'cnpg-system'],
      ['plugin-barman-cloud', versions.charts['plugin-barman-cloud'].version, 'cnpg-system'],
    ]);
    const wave = (a: any) => Number(a.metadata.annotations['argocd.argoproj.io/sync-wave']);
    expect(wave(apps[0])).toBeLessThan(wave(apps[1]));
    const certManager = objects.find((o) => o.kind === 'Application' && o.metadata.name === 'cert-manager');
    expect(wave(certManager)).toBeLessThan(wave(apps[1]));
  });

  test('the restore drill: a throw-away Cluster recovered through the plugin, a check query, deleted at the end, rights only in the scratch namespace, an alert', () => {
    const { objects } = cnpgTree();
    const cm = get(objects, 'ConfigMap', 'restore-drill', DRILL);
    const cluster: any = yaml.load(cm.data['cluster.yaml']);
    expect(cluster.metadata).toMatchObject({ name: 'drill', namespace: DRILL });
    expect(cluster.spec.bootstrap).toEqual({ recovery: { source: 'origin', database: 'berkeleytime', owner: 'berkeleytime' } });
    expect(cluster.spec.externalClusters).toEqual([
      { name: 'origin', plugin: { name: BARMAN_CLOUD_PLUGIN, parameters: { barmanObjectName: 'pg-backups', serverName: 'pg' } } },
    ]);
    // It never archives into the source's archive.
    expect(cluster.spec.plugins).toBeUndefined();
    expect(get(objects, 'ObjectStore', 'pg-backups', DRILL).spec.configuration.destinationPath).toBe(`s3://${OBJECT_STORE.bucket}/${PROD}`);
    expect(get(objects, 'ObjectStore', 'pg-backups', DRILL).spec.retentionPolicy).toBeUndefined();

    const cron = get(objects, 'CronJob', 'restore-drill', DRILL);
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const steps = [...pod.initContainers, ...pod.containers].map((c: any) => [c.name, c.command.slice(2, 3)[0]]);
    expect(steps).toEqual([
      ['clean', 'delete'],
      ['create', 'create'],
      ['wait', 'wait'],
      ['check', 'exec'],
      ['delete', 'delete'],
    ]);
    const check = pod.initContainers.find((c: any) => c.name === 'check').command;
    expect(check.some((a: string) => a.startsWith('--command=') && /information_schema\.tables|pg_tables|count/i.test(a))).toBe(true);
    expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(0);
    expect(pod.containers[0].command).toEqual(expect.arrayContaining([`--namespace=${DRILL}`, 'delete', 'clusters.postgresql.cnpg.io', 'drill']));

    const role = get(objects, 'Role', 'restore-drill', DRILL);
    expect(objects.filter((o) => o.kind === 'Role' && o.metadata.name === 'restore-drill').map((r) => r.metadata.namespace)).toEqual([
      DRILL,
      'berkeleytime-staging-drill',
    ]);
    expect(objects.filter((o) => ['ClusterRole', 'ClusterRoleBinding'].includes(o.kind) && /drill/.test(o.metadata.name))).toEqual([]);
    expect(role.rules.flatMap((r: any) => r.resources)).toEqual(['clusters', 'pods', 'pods/exec']);
    expect(get(objects, 'RoleBinding', 'restore-drill', DRILL).subjects).toEqual([{ kind: 'ServiceAccount', name: 'restore-drill', namespace: DRILL }]);

    const alerts = get(objects, 'PrometheusRule', 'restore-drill', DRILL).spec.groups[0].rules.map((r: any) => r.alert);
    expect(alerts).toEqual(['PostgresRestoreDrillFailed', 'PostgresRestoreDrillJobFailed']);
  });
});

test('examples/ha-cluster.yaml, three storage hosts: three instances, required anti-affinity on the hostname', () => {
  const out = path.join(tmpDir(), 'dist');
  synthesizeWithSecrets({ configFile: path.join(ROOT, 'examples', 'ha-cluster.yaml'), outdir: out });
  drainWarnings();
  for (const ns of [PROD, 'berkeleytime-staging']) {
    const spec = get(treeObjects(out), 'Cluster', 'pg', ns).spec;
    expect([ns, spec.instances, spec.affinity.podAntiAffinityType, spec.affinity.topologyKey]).toEqual([ns, 3, 'required', 'kubernetes.io/hostname']);
  }
});

describe('a CloudNativePG DataTier by hand', () => {
  test('1 instance with preferred anti-affinity; 3 with required anti-affinity on the hostname', () => {
    const one = find(cnpgTier({ instances: 1 }).docs, 'Cluster', 'pg').spec;
    expect([one.instances, one.affinity]).toEqual([
      1,
      { enablePodAntiAffinity: true, topologyKey: 'kubernetes.io/hostname', podAntiAffinityType: 'preferred' },
    ]);
    const three = find(cnpgTier({ instances: 3 }).docs, 'Cluster', 'pg').spec;
    expect([three.instances, three.affinity]).toEqual([
      3,
      { enablePodAntiAffinity: true, topologyKey: 'kubernetes.io/hostname', podAntiAffinityType: 'required' },
    ]);
  });

  test('retention, archive_timeout and the region key come from config', () => {
    const { docs: out } = cnpgTier({ retentionPolicy: '8w', archiveTimeout: '60s', objectStore: { ...OBJECT_STORE, regionKey: 'region' } });
    expect(find(out, 'Cluster', 'pg').spec.postgresql.parameters).toEqual({ archive_timeout: '60s' });
    const store = find(out, 'ObjectStore', 'pg-backups').spec;
    expect(store.retentionPolicy).toBe('8w');
    expect(store.configuration.s3Credentials.region).toEqual({ name: 'postgres-backup-s3', key: 'region' });
  });

  test('a Delete class is refused', () => {
    expect(() => cnpgTier({}, { storageClass: DELETE })).toThrow(/reclaimPolicy Delete/);
    expect(() => cnpgTier({}, { storageClass: RETAIN })).not.toThrow();
  });

  test('without an object store (accepted): nightly dumps and a warning, no plugin', () => {
    const { docs: out } = cnpgTier({ objectStore: undefined, acceptNoObjectStore: true, backups: {} });
    expect(find(out, 'Cluster', 'pg').spec.plugins).toBeUndefined();
    expect(out.some((d) => d.kind === 'CronJob' && d.metadata.name === 'postgres-backup')).toBe(true);
    expect(drainWarnings().map((w) => w.id)).toContain('platform:data:noWalArchive');
  });

  test('point-in-time recovery: a new Cluster from the archive, stopping at the target time', () => {
    const cluster = find(cnpgTier({ recovery: { targetTime: '2026-12-01T17:55:00Z' } }).docs, 'Cluster', 'pg-pitr-20261201-1755');
    expect(cluster.spec.bootstrap.recovery).toEqual({
      source: 'origin',
      database: 'berkeleytime',
      owner: 'berkeleytime',
      recoveryTarget: { targetTime: '2026-12-01T17:55:00Z' },
    });
    // It reads pg's archive (serverName pg) and archives under its own name beside it, never over it.
    expect(cluster.spec.externalClusters[0].plugin.parameters).toEqual({ barmanObjectName: 'pg-pitr-20261201-1755-backups', serverName: 'pg' });
    expect(cluster.spec.plugins[0].parameters).toEqual({ barmanObjectName: 'pg-pitr-20261201-1755-backups' });
  });
});

describe('config errors', () => {
  const error = (mutate: (cfg: any) => void): string => {
    try {
      parseConfig(cnpgConfigText(mutate), 'config/platform.yaml');
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected the config to be rejected');
  };
  const pg = (cfg: any) => cfg.apps.berkeleytime.data.postgres;

  test('the variant parses', () => {
    expect(parseConfig(cnpgConfigText(), 'config/platform.yaml').apps.berkeleytime.data.postgres?.engine).toBe(PostgresEngine.CLOUDNATIVE_PG);
  });

  test('production without an object store, unless accepted', () => {
    expect(error((cfg) => delete pg(cfg).objectStore)).toMatch(/apps\.berkeleytime\.data\.postgres\.objectStore.*expected an object store/s);
    expect(() =>
      parseConfig(
        cnpgConfigText((cfg) => {
          delete pg(cfg).objectStore;
          pg(cfg).acceptNoObjectStore = true;
          pg(cfg).backups = {};
        }),
        'config/platform.yaml',
      ),
    ).not.toThrow();
  });

  test('a Delete class for the database', () => {
    expect(error((cfg) => (pg(cfg).storageClass = 'ceph-block'))).toMatch(/storageClass.*reclaimPolicy Retain/s);
  });

  test('a bad retention or archive timeout', () => {
    expect(error((cfg) => (pg(cfg).retentionPolicy = '30 days'))).toMatch(/retentionPolicy.*expected a recovery window/s);
  });

  test('majorUpgradeFrom not below majorVersion', () => {
    expect(error((cfg) => (pg(cfg).majorUpgradeFrom = 17))).toMatch(/majorUpgradeFrom.*expected a major below majorVersion \(17\), found 17/s);
  });
});

describe('upgrade check', () => {
  const tree = () => cnpgTree().objects.filter((o) => o.metadata?.namespace === PROD);
  const statefulSet = () => {
    const { app } = synthDataTier({}, Testing.app());
    return (app.charts[0].toJson() as any[]).filter((o) => o.metadata?.namespace === NAMESPACE);
  };

  test('a major change without majorUpgradeFrom is refused; with it, allowed', () => {
    const before = tree();
    const after = structuredClone(before);
    const cluster = after.find((o) => o.kind === 'Cluster');
    cluster.spec.imageName = postgresImage(versions, 18, 'cnpg-postgres');
    const messages = checkUpgrade(docs(before), docs(after)).map((f) => f.message);
    expect(messages.some((m) => /from Postgres 17 to 18 without an upgrade path: set apps.<app>.data.postgres.majorUpgradeFrom: 17/.test(m))).toBe(true);
    cluster.metadata.annotations['platform.campus/postgres-major-upgrade-from'] = '17';
    expect(
      checkUpgrade(docs(before), docs(after))
        .map((f) => f.message)
        .filter((m) => /Postgres 17 to 18/.test(m)),
    ).toEqual([]);
  });

  test('an empty Cluster replacing the StatefulSet is refused, naming the migration path; an importing one is not', () => {
    const before = statefulSet();
    const empty = [...before, ...tree()];
    const messages = checkUpgrade(docs(before), docs(empty)).map((f) => f.message);
    expect(messages.some((m) => /starts with an empty database.*importFromStatefulSet/s.test(m))).toBe(true);
    const importing = structuredClone(empty);
    importing.find((o) => o.kind === 'Cluster').spec.bootstrap.initdb.import = {
      type: 'microservice',
      databases: ['berkeleytime'],
      source: { externalCluster: 'import-source' },
    };
    expect(
      checkUpgrade(docs(before), docs(importing))
        .map((f) => f.message)
        .filter((m) => /empty database/.test(m)),
    ).toEqual([]);
  });
});

describe('the migration from the StatefulSet engine', () => {
  const importing = () => cnpgTier({ importFromStatefulSet: { user: 'berkeleytime' }, credentialsSecret: 'postgres-credentials' }).docs;

  test('while importing, the old server keeps running and the Cluster imports its database with its password Secret', () => {
    const out = importing();
    expect(find(out, 'StatefulSet', 'postgres')).toBeDefined();
    const cluster = find(out, 'Cluster', 'pg').spec;
    expect(cluster.bootstrap.initdb.import).toEqual({ type: 'microservice', databases: ['berkeleytime'], source: { externalCluster: 'import-source' } });
    expect(cluster.externalClusters).toEqual([
      {
        name: 'import-source',
        connectionParameters: { host: `postgres.${NAMESPACE}.svc.cluster.local`, port: '5432', user: 'berkeleytime', dbname: 'berkeleytime' },
        password: { name: 'postgres-credentials', key: 'password' },
      },
    ]);
  });

  test('the later change that drops importFromStatefulSet (and so the StatefulSet) passes the upgrade check', () => {
    // The Cluster exists by then (bootstrap runs once; the operator ignores a changed bootstrap), and the
    // StatefulSet's claim stays behind (Kubernetes keeps StatefulSet claims; the class retains the volume).
    expect(checkUpgrade(docs(importing()), docs(cnpgTier().docs)).map((f) => f.message)).toEqual([]);
  });
});

test('a placeholder object store endpoint and an import are warned about at synthesis', () => {
  cnpgTier({ objectStore: { ...OBJECT_STORE, endpoint: 'https://minio.backups.campus.edu' } });
  expect(drainWarnings().map((w) => w.id)).not.toContain('platform:data:objectStorePlaceholder');
  cnpgTier({ importFromStatefulSet: { user: 'berkeleytime' }, credentialsSecret: 'postgres-credentials' });
  expect(drainWarnings().map((w) => w.id)).toEqual(expect.arrayContaining(['platform:data:objectStorePlaceholder', 'platform:data:importing']));
});
