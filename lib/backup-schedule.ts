/**
 * How the platform's scheduled backups run (Postgres dumps, GitLab's backups): never two at once, a
 * run missed while the CronJob controller was down still happens within the hour, and the last
 * three runs of each outcome stay for inspection.
 */
export const BACKUP_CRON_POLICY = {
  concurrencyPolicy: 'Forbid',
  startingDeadlineSeconds: 3600,
  successfulJobsHistoryLimit: 3,
  failedJobsHistoryLimit: 3,
} as const;
