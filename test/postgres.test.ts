import { postgresImage, POSTGRES_UID } from '../charts/postgres';
import { Versions } from '../config/versions';
import { PRUNE_PROTECTION } from '../lib/argocd';
import { dataConfig, find, NAMESPACE, POSTGRES, synthDataTier, versions } from './data-tier-fixtures';

const statefulSet = () => find(synthDataTier().docs, 'StatefulSet', 'postgres');
const server = () => statefulSet().spec.template.spec.containers[0];
const env = (container: any, name: string) => container.env.find((e: any) => e.name === name);

describe('Postgres', () => {
  test('PGDATA is a subdirectory of the mounted data volume', () => {
    const sts = statefulSet();
    const claim = sts.spec.volumeClaimTemplates[0].metadata.name;
    const mount = server().volumeMounts.find((m: any) => m.name === claim);
    const pgdata: string = env(server(), 'PGDATA').value;
    expect(mount).toBeDefined();
    // Inside the volume, and not the mount point itself (lost+found would break initdb).
    expect(pgdata.startsWith(`${mount.mountPath}/`)).toBe(true);
    expect(pgdata).toBe('/var/lib/postgresql/data/pgdata');
  });

  test('the data volume is retained: storage class, claim retention policy and prune protection', () => {
    const sts = statefulSet();
    const template = sts.spec.volumeClaimTemplates[0];
    expect(template.spec.storageClassName).toBe('ceph-block-retain');
    expect(template.spec.resources.requests.storage).toBe('20Gi');
    expect(template.metadata.annotations).toEqual(PRUNE_PROTECTION);
    expect(template.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('one replica, a headless Service for the StatefulSet and a ClusterIP Service for clients', () => {
    const { docs } = synthDataTier();
    const sts = find(docs, 'StatefulSet', 'postgres');
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.serviceName).toBe('postgres-headless');
    expect(find(docs, 'Service', 'postgres-headless').spec.clusterIP).toBe('None');
    const client = find(docs, 'Service', 'postgres');
    expect(client.spec.type).toBe('ClusterIP');
    expect(client.spec.selector).toEqual(sts.spec.selector.matchLabels);
    expect(client.spec.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 'postgres', protocol: 'TCP' }]);
  });

  test('credentials come from the named Secret, never a literal', () => {
    const c = server();
    expect(env(c, 'POSTGRES_USER').valueFrom.secretKeyRef).toEqual({ name: 'postgres-credentials', key: 'username' });
    expect(env(c, 'POSTGRES_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'postgres-credentials', key: 'password' });
    expect(env(c, 'POSTGRES_PASSWORD').value).toBeUndefined();
    expect(env(c, 'POSTGRES_DB').value).toBe('berkeleytime');
  });

  test('pg_isready drives startup, readiness and liveness; the startup probe allows a long crash recovery', () => {
    const c = server();
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect(c[probe].exec.command[0]).toBe('pg_isready');
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(1800);
    expect(c.lifecycle.preStop.exec.command).toEqual(['pg_ctl', 'stop', '--mode=fast', '--pgdata=/var/lib/postgresql/data/pgdata', '--wait']);
  });

  test('restricted Pod Security: uid/gid 999 with fsGroup, read-only root and emptyDirs for the socket and /tmp', () => {
    const spec = statefulSet().spec.template.spec;
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: POSTGRES_UID, runAsGroup: POSTGRES_UID, fsGroup: POSTGRES_UID });
    expect(spec.containers[0].securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const emptyDirs = spec.volumes.filter((v: any) => v.emptyDir).map((v: any) => v.name);
    const writable = spec.containers[0].volumeMounts.filter((m: any) => emptyDirs.includes(m.name)).map((m: any) => m.mountPath);
    expect(writable).toEqual(expect.arrayContaining(['/var/run/postgresql', '/tmp']));
  });

  test('resources come from config', () => {
    const resources = { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '4Gi' } };
    const { docs } = synthDataTier({ postgres: dataConfig({ postgres: { ...POSTGRES, resources } }).postgres });
    expect(find(docs, 'StatefulSet', 'postgres').spec.template.spec.containers[0].resources).toEqual(resources);
  });

  test('a disruption budget that never blocks a drain', () => {
    const pdb = find(synthDataTier().docs, 'PodDisruptionBudget', 'postgres');
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(pdb.metadata.namespace).toBe(NAMESPACE);
  });

  describe('image', () => {
    const withPin = (key: string, image: string): Versions => ({ ...versions, images: { ...versions.images, [key]: image } });

    test('is the pin of the configured major, never latest', () => {
      expect(server().image).toBe(versions.images['postgres-17']);
      expect(server().image).toMatch(/:17\.[0-9]+/);
      expect(postgresImage(versions, 18)).toMatch(/:18\./);
    });

    test('a pin of another major is refused: majors change by pg_upgrade, not an image bump', () => {
      expect(() => postgresImage(withPin('postgres-17', 'docker.io/library/postgres:18.0-bookworm'), 17)).toThrow(
        'config/versions.yaml: images.postgres-17: expected a Postgres 17.x tag, found "docker.io/library/postgres:18.0-bookworm"; ' +
          'a major upgrade needs pg_upgrade or a dump and restore (docs/restore.md), never an image bump',
      );
    });

    test('a major without a pin is refused with the key to add', () => {
      expect(() => postgresImage(versions, 13)).toThrow(
        'config/versions.yaml: images.postgres-13: expected a pinned image for Postgres 13 (apps.<app>.data.postgres.majorVersion), found nothing',
      );
    });
  });
});
