import { PRUNE_PROTECTION } from '../lib/argocd';
import { drainWarnings } from '../lib/warnings';
import { containers, dataConfig, find, NAMESPACE, POSTGRES, synthDataTier } from './data-tier-fixtures';

const S3 = { endpoint: 'https://s3.example.org', bucket: 'berkeleytime-backups', credentialsSecret: 'backup-s3' };
const withBackups = (backups: Record<string, unknown>) => dataConfig({ postgres: { ...POSTGRES, backups } }).postgres;
const backupJob = (docs: any[]) => find(docs, 'CronJob', 'postgres-backup');
const podSpec = (cronJob: any) => cronJob.spec.jobTemplate.spec.template.spec;
const step = (cronJob: any, name: string) => containers(podSpec(cronJob)).find((c) => c.name === name);

beforeEach(() => drainWarnings());

describe('PostgresBackup', () => {
  test('runs nightly by default, never overlapping', () => {
    const job = backupJob(synthDataTier().docs);
    expect(job.spec).toMatchObject({ schedule: '30 3 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' });
  });

  test('schedule and time zone come from config', () => {
    const job = backupJob(synthDataTier({ postgres: withBackups({ schedule: '15 1 * * *', timeZone: 'America/Los_Angeles' }) }).docs);
    expect(job.spec).toMatchObject({ schedule: '15 1 * * *', timeZone: 'America/Los_Angeles' });
  });

  test('pg_dump in custom format to the backup volume, then published under its final name', () => {
    const job = backupJob(synthDataTier().docs);
    expect(containers(podSpec(job)).map((c) => c.name)).toEqual([
      'clean',
      'dump',
      'publish',
      'link-latest',
      'prune-list',
      'prune-sort',
      'prune-select',
      'prune-delete',
    ]);
    const dump = step(job, 'dump');
    expect(dump.command).toEqual(['pg_dump', '--format=custom', '--no-password', '--file=/backups/$(JOB_NAME).dump.partial']);
    expect(dump.env).toEqual(
      expect.arrayContaining([
        { name: 'PGHOST', value: `postgres.${NAMESPACE}.svc.cluster.local` },
        { name: 'PGDATABASE', value: 'berkeleytime' },
        { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-credentials', key: 'password' } } },
        { name: 'JOB_NAME', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } },
      ]),
    );
    expect(step(job, 'publish').command).toEqual(['mv', '--no-target-directory', '/backups/$(JOB_NAME).dump.partial', '/backups/$(JOB_NAME).dump']);
    expect(step(job, 'link-latest').command).toEqual(['ln', '--force', '--no-target-directory', '/backups/$(JOB_NAME).dump', '/backups/latest.dump']);
    // argv only: no container runs a shell.
    for (const c of containers(podSpec(job))) expect(['sh', 'bash', '/bin/sh', '/bin/bash']).not.toContain(c.command[0]);
  });

  test('the dump image is the server image (pg_dump must not be older than the server)', () => {
    const { docs } = synthDataTier();
    expect(step(backupJob(docs), 'dump').image).toBe(find(docs, 'StatefulSet', 'postgres').spec.template.spec.containers[0].image);
  });

  test('writes to a dedicated, prune-protected backup claim sized from config', () => {
    const { docs } = synthDataTier({ postgres: withBackups({ storage: '50Gi' }) });
    const pvc = find(docs, 'PersistentVolumeClaim', 'postgres-backups');
    expect(pvc.metadata.annotations).toEqual(PRUNE_PROTECTION);
    expect(pvc.spec).toMatchObject({ storageClassName: 'ceph-block-retain', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } });
    const spec = podSpec(backupJob(docs));
    expect(spec.volumes).toContainEqual({ name: 'backups', persistentVolumeClaim: { claimName: 'postgres-backups' } });
    expect(step(backupJob(docs), 'dump').volumeMounts).toContainEqual({ name: 'backups', mountPath: '/backups' });
    expect(spec.securityContext).toMatchObject({ runAsUser: 999, fsGroup: 999 });
  });

  test.each([
    [7, '8,$s/^[^ ]* //w /work/expired'],
    [3, '4,$s/^[^ ]* //w /work/expired'],
  ])('keeps the newest %i dumps', (keep, sedProgram) => {
    const job = backupJob(synthDataTier({ postgres: withBackups({ keep }) }).docs);
    expect(step(job, 'prune-list').command).toEqual([
      'find',
      '/backups',
      '-maxdepth',
      '1',
      '-name',
      '*.dump',
      '!',
      '-name',
      'latest.dump',
      '-fprintf',
      '/work/dumps',
      '%T@ %p\\n',
    ]);
    expect(step(job, 'prune-sort').command).toEqual(['sort', '--numeric-sort', '--reverse', '--output=/work/dumps', '/work/dumps']);
    expect(step(job, 'prune-select').command).toEqual(['sed', '--quiet', `--expression=${sedProgram}`, '/work/dumps']);
    expect(step(job, 'prune-delete').command).toEqual(['xargs', '--arg-file=/work/expired', '--delimiter=\\n', '--no-run-if-empty', 'rm', '--force', '--']);
    // The last step is the main container; everything before it runs in order, stopping at the first failure.
    expect(podSpec(job).containers.map((c: any) => c.name)).toEqual(['prune-delete']);
  });

  test('uploads each dump to S3 with the declared credentials, before pruning', () => {
    const { docs, tier } = synthDataTier({ postgres: withBackups({ s3: S3 }) });
    const job = backupJob(docs);
    const names = containers(podSpec(job)).map((c) => c.name);
    expect(names.indexOf('upload')).toBe(names.indexOf('link-latest') + 1);
    const upload = step(job, 'upload');
    expect(upload.command).toEqual(expect.arrayContaining(['--aws-sigv4', 'aws:amz:us-east-1:s3', '--upload-file', '/backups/$(JOB_NAME).dump']));
    expect(upload.command[upload.command.length - 1]).toBe(`https://s3.example.org/berkeleytime-backups/${NAMESPACE}/$(JOB_NAME).dump`);
    expect(upload.env).toContainEqual({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'backup-s3', key: 'secretAccessKey' } } });
    expect(tier.externalSecrets).toEqual([`${NAMESPACE}/backup-s3`, `${NAMESPACE}/postgres-credentials`]);
    const egress = find(docs, 'NetworkPolicy', 'egress-postgres-backup-to-s3');
    expect(egress.spec.egress[0].ports).toEqual([{ port: 443, protocol: 'TCP' }]);
  });

  test('warns (platform:data:backupsOnCluster) when backups only live on the cluster', () => {
    synthDataTier();
    expect(drainWarnings()).toEqual([
      {
        id: 'platform:data:backupsOnCluster',
        message:
          `DataTier ${NAMESPACE}: postgres backups live only on the cluster's own storage (PVC postgres-backups, StorageClass "ceph-block-retain"); ` +
          'a lost storage cluster takes the database and its backups together; set apps.berkeleytime.data.postgres.backups.s3 for an off-cluster copy',
      },
    ]);
    synthDataTier({ postgres: withBackups({ s3: S3 }) });
    expect(drainWarnings()).toEqual([]);
  });
});

describe('PostgresRestoreDrill', () => {
  test('is off by default', () => {
    expect(synthDataTier().docs.some((d) => d.metadata.name === 'postgres-restore-drill')).toBe(false);
  });

  test('weekly when enabled: initdb, a throwaway server as a sidecar, pg_restore of the newest dump', () => {
    const { docs } = synthDataTier({ postgres: withBackups({ restoreDrill: { enabled: true } }) });
    const drill = find(docs, 'CronJob', 'postgres-restore-drill');
    expect(drill.spec.schedule).toBe('0 5 * * 0');
    expect(drill.spec.jobTemplate.spec.backoffLimit).toBe(0);
    const spec = podSpec(drill);
    const [initdb, server] = spec.initContainers;
    expect(initdb.command).toEqual(['initdb', '--pgdata=/scratch/pgdata', '--username=postgres', '--auth=trust', '--no-sync']);
    expect(server.restartPolicy).toBe('Always');
    expect(server.command.slice(0, 3)).toEqual(['postgres', '-D', '/scratch/pgdata']);
    expect(server.startupProbe.exec.command[0]).toBe('pg_isready');
    expect(spec.containers[0].command).toEqual(['pg_restore', '--exit-on-error', '--no-owner', '--no-privileges', '--dbname=postgres', '/backups/latest.dump']);
    // Scratch space is an emptyDir in the pod; the backups are mounted read-only.
    expect(spec.volumes).toContainEqual({ name: 'scratch', emptyDir: { sizeLimit: '20Gi' } });
    expect(spec.volumes).toContainEqual({ name: 'backups', persistentVolumeClaim: { claimName: 'postgres-backups', readOnly: true } });
    // The drill talks to nobody.
    expect(find(docs, 'NetworkPolicy', 'isolate-postgres-restore-drill').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/instance': NAMESPACE, 'app.kubernetes.io/name': 'postgres-restore-drill' } },
      policyTypes: ['Ingress', 'Egress'],
    });
  });
});
