/** Schema of `gitlab`: GitLab CE (the Omnibus image) in the cluster at `/git` (charts/gitlab.ts, docs/gitlab.md). */
import { z } from 'zod';
import { GITLAB_DEFAULTS } from '../../lib/tier-defaults';
import { cronSchedule, resources, s3Target } from './app';
import { dnsLabel, integer, quantity, timeZone } from './primitives';

const d = GITLAB_DEFAULTS;

const backups = z.strictObject({
  /** When `gitlab-backup create` runs (CronJob schedule). @default nightly at 04:00 */
  schedule: cronSchedule().default(d.backups.schedule),
  timeZone: timeZone().default(d.backups.timeZone),
  /** Days a backup stays on the backup volume (GitLab's `backup_keep_time`); the bucket's lifecycle rule governs S3. */
  keepDays: integer({ min: 1, max: 365 }).default(d.backups.keepDays),
  /** Upload of every backup to an S3-compatible bucket (GitLab's `backup_upload_connection`). @default - none */
  s3: s3Target.optional(),
});

export const gitlab = z.strictObject({
  /** Run GitLab in the cluster, routed at `/git` on the platform host. Not together with `edge.gitlab` (an existing GitLab). */
  enabled: z.boolean().default(d.enabled),
  /** Secret in the `gitlab` namespace with the initial root password under key `password`; read on the first start only. */
  rootPasswordSecret: dnsLabel().default(d.rootPasswordSecret),
  /** Volume sizes, on the platform's retained StorageClass. */
  storage: z
    .strictObject({
      config: quantity().default(d.storage.config),
      data: quantity().default(d.storage.data),
      logs: quantity().default(d.storage.logs),
      backups: quantity().default(d.storage.backups),
    })
    .default({ ...d.storage }),
  /** @default - requests 2 CPUs and 8Gi, memory limit 16Gi (GitLab's documented minimums, docs/gitlab.md) */
  resources: resources.optional(),
  /** Largest push or upload the entry point forwards to GitLab; `0` is unlimited. */
  maxRequestBodySize: z
    .string()
    .regex(/^[0-9]+(Ki|Mi|Gi)?$/, { error: 'expected a byte size such as "10Mi", "512Ki" or "0" (no limit)' })
    .default(d.maxRequestBodySize),
  backups: backups.default({ ...d.backups }),
});

export type GitlabConfig = z.infer<typeof gitlab>;
