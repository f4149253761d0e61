/**
 * `npm run validate` on trees that carry what the seed projects actually shipped: each defect is
 * reported with its document, field path and why; the sound version of each is not.
 */
import { checkDataSafety } from '../lib/validate/data-safety';
import { SourceDocument } from '../lib/validate/document';
import { checkWorkloadRules } from '../lib/validate/workload-rules';

const doc = (object: any, file = 'seed.yaml', index = 0): SourceDocument => ({ file, index, object });
const labels = { app: 'db' };
const statefulSet = (container: any, extra: any = {}) =>
  doc({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'app' },
    spec: {
      selector: { matchLabels: labels },
      serviceName: 'db',
      template: { metadata: { labels }, spec: { containers: [container], ...(extra.podSpec ?? {}) } },
      ...(extra.spec ?? {}),
    },
  });
const claimTemplate = (storageClassName: string) => ({
  metadata: { name: 'data' },
  spec: { storageClassName, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
});
const messages = (findings: { document: string; path: string; message: string }[]) => findings.map((f) => `${f.document} ${f.path}: ${f.message}`);

describe('data safety', () => {
  test('Postgres with its volume mounted outside PGDATA, or PGDATA on an emptyDir, loses its data', () => {
    const outside = statefulSet(
      {
        name: 'postgres',
        image: 'postgres:16.4',
        env: [{ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
      { spec: { volumeClaimTemplates: [claimTemplate('retain')] } },
    );
    const emptyDir = statefulSet(
      { name: 'postgres', image: 'postgres:16.4', volumeMounts: [{ name: 'scratch', mountPath: '/var/lib/postgresql/data' }] },
      { podSpec: { volumes: [{ name: 'scratch', emptyDir: {} }] } },
    );
    expect(messages(checkDataSafety([outside]))).toEqual([
      expect.stringMatching(
        /^StatefulSet\/app\/db spec\.template\.spec\.containers\[0\]\.volumeMounts: Postgres keeps its data in \/var\/lib\/postgresql\/data\/pgdata \(PGDATA\), but no volume is mounted at or above it/,
      ),
    ]);
    expect(messages(checkDataSafety([emptyDir]))).toEqual([
      expect.stringContaining('but /var/lib/postgresql/data is an emptyDir: the database is lost when the pod is replaced'),
    ]);
    const sound = statefulSet(
      {
        name: 'postgres',
        image: 'postgres:16.4',
        env: [{ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' }],
        volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
      },
      { spec: { volumeClaimTemplates: [claimTemplate('retain')] } },
    );
    expect(checkDataSafety([sound])).toEqual([]);
    // A CronJob running pg_dump with the postgres image is a client, not the server.
    const dump = doc({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'dump', namespace: 'app' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'd', image: 'postgres:16.4', command: ['pg_dump'] }] } } } } },
    });
    expect(checkDataSafety([dump])).toEqual([]);
  });

  test('a database volume on a StorageClass that deletes it', () => {
    const deleting = doc({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'x', reclaimPolicy: 'Delete' });
    const db = statefulSet(
      { name: 'postgres', image: 'postgres:16.4', volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }] },
      { spec: { volumeClaimTemplates: [claimTemplate('fast')] } },
    );
    expect(messages(checkDataSafety([deleting, db]))).toEqual([
      expect.stringMatching(
        /^StatefulSet\/app\/db spec\.volumeClaimTemplates\[0\]\.spec\.storageClassName: database volume on StorageClass "fast", whose reclaimPolicy Delete/,
      ),
    ]);
  });

  test('a NodePort or a route to a database', () => {
    const db = statefulSet({ name: 'redis', image: 'redis:7.4' });
    const nodePort = doc({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'redis-public', namespace: 'app' },
      spec: { type: 'NodePort', selector: labels, ports: [{ port: 6379 }] },
    });
    const route = doc({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r', namespace: 'app' },
      spec: { rules: [{ backendRefs: [{ name: 'redis-public', port: 6379 }] }] },
    });
    expect(messages(checkDataSafety([db, nodePort, route]))).toEqual([
      'Service/app/redis-public : Service app/redis-public exposes data service app/redis-public as NodePort; databases are reachable only inside their namespace',
      'HTTPRoute/app/r : HTTPRoute app/r routes to data service app/redis-public; databases are never exposed through the entry point',
    ]);
  });

  test('a Ceph pool that wants more copies than there are hosts', () => {
    const cluster = doc({
      apiVersion: 'ceph.rook.io/v1',
      kind: 'CephCluster',
      metadata: { name: 'c', namespace: 'rook-ceph' },
      spec: { storage: { useAllNodes: false, nodes: [{ name: 'h1' }] } },
    });
    const pool = (size: number) =>
      doc({
        apiVersion: 'ceph.rook.io/v1',
        kind: 'CephBlockPool',
        metadata: { name: 'p', namespace: 'rook-ceph' },
        spec: { failureDomain: 'host', replicated: { size } },
      });
    expect(messages(checkDataSafety([cluster, pool(2)]))).toEqual([
      expect.stringMatching(/^CephBlockPool\/rook-ceph\/p spec\.replicated\.size: 2 copies on distinct hosts, but the CephCluster stores data on 1 host/),
    ]);
    expect(checkDataSafety([cluster, pool(1)])).toEqual([]);
  });
});

describe('workload rules', () => {
  const deployment = (spec: any, name = 'web') =>
    doc({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'app' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec }, ...{} },
    });

  test('a selector that does not select its own template', () => {
    const d = doc({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'app' },
      spec: {
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } },
      },
    });
    expect(messages(checkWorkloadRules([d]))).toEqual([
      expect.stringMatching(/^Deployment\/app\/web spec\.selector: does not select the pod template's own labels/),
    ]);
  });

  test('the same object defined twice, differently (the same document twice is fine)', () => {
    const a = deployment({ containers: [{ name: 'c', image: 'x:1' }] });
    const b = { ...deployment({ containers: [{ name: 'c', image: 'x:2' }] }), file: 'other.yaml' };
    expect(messages(checkWorkloadRules([a, b]))).toEqual([
      'Deployment/app/web metadata.name: the same object is also defined, differently, in seed.yaml; one of them silently replaces the other on apply',
    ]);
    expect(checkWorkloadRules([a, { ...a, file: 'copy.yaml' }])).toEqual([]);
  });

  test('duplicate container ports and port names, unpinned images, a request above its limit', () => {
    const d = deployment({
      containers: [
        {
          name: 'a',
          image: 'registry.example.org/a',
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } },
        },
        { name: 'b', image: 'b:latest', ports: [{ name: 'http', containerPort: 8080 }] },
      ],
    });
    expect(messages(checkWorkloadRules([d]))).toEqual([
      'Deployment/app/web spec.template.spec.containers[0].image: "registry.example.org/a" is not pinned (no tag, or "latest"): pin a version tag or a digest',
      'Deployment/app/web spec.template.spec.containers[0].resources.requests.memory: request 2Gi is above the limit 1Gi; the API server refuses the pod',
      'Deployment/app/web spec.template.spec.containers[1].image: "b:latest" is not pinned (no tag, or "latest"): pin a version tag or a digest',
      'Deployment/app/web spec.template.spec.containers[1].ports[0].containerPort: 8080/TCP is also declared at spec.template.spec.containers[0].ports[0]; two containers of a pod cannot listen on one port',
      'Deployment/app/web spec.template.spec.containers[1].ports[0].name: port name "http" is also used at spec.template.spec.containers[0].ports[0]; port names must be unique in a pod',
    ]);
  });

  test('a CronJob schedule or time zone that does not parse', () => {
    const cron = (schedule: string, timeZone?: string) =>
      doc({
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'j', namespace: 'app' },
        spec: { schedule, timeZone, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'x:1' }] } } } } },
      });
    expect(messages(checkWorkloadRules([cron('61 * * * *')]))).toEqual([
      'CronJob/app/j spec.schedule: "61 * * * *" is not a five-field cron schedule (minute hour day-of-month month day-of-week)',
    ]);
    expect(messages(checkWorkloadRules([cron('0 2 * * *', 'PST')]))).toEqual([
      expect.stringMatching(/^CronJob\/app\/j spec\.timeZone: "PST" is not a time zone of the tz database/),
    ]);
    expect(messages(checkWorkloadRules([cron('0 2 * * *', 'utc')]))).toHaveLength(1);
    expect(
      checkWorkloadRules(
        [cron('@daily', 'America/Los_Angeles'), { ...cron('0 2 * * *', 'Etc/UTC'), file: 'b.yaml' }].map((d, i) => ({
          ...d,
          object: { ...d.object, metadata: { ...d.object.metadata, name: `j${i}` } },
        })),
      ),
    ).toEqual([]);
  });

  test('two Services on one NodePort', () => {
    const svc = (name: string) =>
      doc({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'app' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] } });
    expect(messages(checkWorkloadRules([svc('a'), svc('b')]))).toEqual([
      'Service/app/b spec.ports[0].nodePort: NodePort 30080/TCP is also taken by Service app/a; the API server refuses the second',
    ]);
  });
});
