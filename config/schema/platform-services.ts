/** Schemas of the smaller platform-wide sections: monitoring and GitOps. */
import { z } from 'zod';

export const monitoring = z.strictObject({ enabled: z.boolean().default(true) });

export const gitops = z.strictObject({
  /** Git repository Argo CD syncs dist/ from. */
  repoURL: z.string().regex(/^(https:\/\/|ssh:\/\/|git@)/, { error: 'expected a git URL (https://, ssh:// or git@)' }),
  revision: z.string().min(1).default('main'),
});

export type MonitoringConfig = z.infer<typeof monitoring>;
export type GitopsConfig = z.infer<typeof gitops>;
