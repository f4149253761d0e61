/**
 * Proof that the backups restore, on a schedule: one pod initdb's a throwaway server in its own
 * scratch space, runs it as a sidecar, and pg_restores the newest dump into it. A dump that does
 * not restore fails the Job (and its alert), instead of being discovered on the day it is needed.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { objectLabels, selectorLabels } from '../lib/labels';
import { PodGroup } from '../lib/network-policy';
import { restrictedPodSpec } from '../lib/pod-security';
import { POSTGRES_BACKUP_DEFAULTS } from '../lib/tier-defaults';
import { isolate, resourcesFrom, scratch } from './data-tier-parts';
import { BACKUP_DIR, LATEST_DUMP, PostgresBackup } from './postgres-backup';
import { POSTGRES_SOCKET_DIR, PostgresServer } from './postgres';

const SCRATCH_DIR = '/scratch';
const PGDATA = `${SCRATCH_DIR}/pgdata`;

export interface PostgresRestoreDrillProps {
  /** The database whose dumps are restored: its image (the production major and locales), size and resources. */
  readonly postgres: PostgresServer;
  /** The backups to restore from (their volume is mounted read-only). */
  readonly backup: PostgresBackup;
  /** CronJob schedule, in the backups' time zone. @default '0 5 * * 0' (Sundays at 05:00) */
  readonly schedule?: string;
}

export class PostgresRestoreDrill extends Construct {
  public readonly pods: PodGroup;

  constructor(scope: Construct, id: string, props: PostgresRestoreDrillProps) {
    super(scope, id);
    const { postgres, backup } = props;
    const namespace = postgres.server.namespace;
    const name = 'postgres-restore-drill';
    const selector = selectorLabels(namespace, name);
    const labels = objectLabels(namespace, name, postgres.app, 'backup');
    this.pods = { name, namespace, selector };

    // The restored database lives here: as large as the real one, gone with the pod.
    const data = scratch('scratch', SCRATCH_DIR, postgres.storage);
    const run = scratch('run', POSTGRES_SOCKET_DIR, '16Mi');
    const tmp = scratch('tmp', '/tmp', '256Mi');
    const mounts = [data.mount, run.mount, tmp.mount, { name: 'backups', mountPath: BACKUP_DIR, readOnly: true }];
    const local = { name: 'PGHOST', value: POSTGRES_SOCKET_DIR };
    const container = (containerName: string, command: string[], extra: Partial<k8s.Container> = {}): k8s.Container => ({
      name: containerName,
      image: postgres.image,
      imagePullPolicy: 'IfNotPresent',
      command,
      env: [local, { name: 'PGUSER', value: 'postgres' }],
      resources: resourcesFrom(postgres.resources, { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } }),
      volumeMounts: mounts,
      ...extra,
    });
    const isReady: k8s.ExecAction = { command: ['pg_isready', `--host=${POSTGRES_SOCKET_DIR}`] };

    new k8s.KubeCronJob(this, 'Resource', {
      metadata: { name, namespace, labels },
      spec: {
        schedule: props.schedule ?? POSTGRES_BACKUP_DEFAULTS.restoreDrillSchedule,
        timeZone: backup.timeZone,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            activeDeadlineSeconds: 6 * 3600,
            // A failed drill is the signal; retrying would only hide it.
            backoffLimit: 0,
            template: {
              metadata: { labels: { ...labels } },
              spec: restrictedPodSpec(
                {
                  restartPolicy: 'Never',
                  enableServiceLinks: false,
                  initContainers: [
                    // Local trust only: the server listens on no TCP address and the pod is isolated.
                    container('initdb', ['initdb', `--pgdata=${PGDATA}`, '--username=postgres', '--auth=trust', '--no-sync']),
                    // A native sidecar: the restore starts once it reports ready, and it stops with the restore.
                    container(
                      'server',
                      ['postgres', '-D', PGDATA, '-c', 'listen_addresses=', '-c', `unix_socket_directories=${POSTGRES_SOCKET_DIR}`, '-c', 'fsync=off'],
                      {
                        restartPolicy: 'Always',
                        startupProbe: { exec: isReady, periodSeconds: 2, failureThreshold: 150 },
                      },
                    ),
                  ],
                  containers: [
                    // Into initdb's own `postgres` database (no --create, which would clash with a dump of a
                    // database of that name). Roles are not in a pg_dump, hence no owners or grants;
                    // --exit-on-error turns the first failed statement into a failed Job.
                    container('restore', ['pg_restore', '--exit-on-error', '--no-owner', '--no-privileges', '--dbname=postgres', LATEST_DUMP]),
                  ],
                  volumes: [data.volume, run.volume, tmp.volume, { name: 'backups', persistentVolumeClaim: { claimName: backup.claimName, readOnly: true } }],
                },
                { runAsUser: postgres.uid, fsGroup: postgres.uid },
              ),
            },
          },
        },
      },
    });
    isolate(this, this.pods, labels);
  }
}
