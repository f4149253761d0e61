/** The platform config schema: the single place raw input is checked. */
import { z } from 'zod';
import { isAllowedImage, parseImage, ImageRef } from '../../lib/image';
import { sanitizeBranch } from '../../lib/names';
import { app } from './app';
import { cluster } from './cluster';
import { dnsLabel } from './primitives';
import { edge } from './edge';
import { gitlab } from './gitlab';
import { logging } from './logging';
import { gitops, monitoring, secrets } from './platform-services';
import { checkPostgresStorageClass, declaredStorageClasses, storageInventoryIssues } from '../../lib/storage-rules';
import { appIssues } from './app-rules';
import { secretIssues } from './secret-rules';
import { storage } from './storage';

const platformSchema = z
  .strictObject({
    platform: z.strictObject({
      name: dnsLabel(),
      /** Image prefixes (`registry` or `registry/path`) workloads may pull from. */
      allowedRegistries: z.array(z.string().min(1)).min(1, { error: 'expected at least one registry' }),
    }),
    cluster,
    apps: z.record(dnsLabel(), app).refine((a) => Object.keys(a).length > 0, { error: 'expected at least one app' }),
    edge: edge.default(edge.parse({})),
    storage: storage.default(storage.parse({})),
    logging: logging.default(logging.parse({})),
    gitlab: gitlab.default(gitlab.parse({})),
    monitoring: monitoring.default(monitoring.parse({})),
    gitops,
    secrets: secrets.default({ external: [] }),
  })
  .superRefine((cfg, ctx) => {
    const issue = (path: (string | number)[], message: string, input?: unknown) => ctx.addIssue({ code: 'custom', path, message, input });
    const checkImage = (path: (string | number)[], ref: string) => {
      const image = parseImage(ref);
      if (typeof image !== 'string' && !isAllowedImage(image as ImageRef, cfg.platform.allowedRegistries)) {
        issue(path, `expected an image from an allowed registry (platform.allowedRegistries: ${cfg.platform.allowedRegistries.join(', ')})`, ref);
      }
    };
    // Storage and secret messages already end in "found …" (secret ones never repeat the value).
    for (const i of storageInventoryIssues(cfg.cluster, cfg.storage)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    for (const i of secretIssues(cfg)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    for (const [name, a] of Object.entries(cfg.apps)) for (const i of appIssues(name, a)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    if (cfg.gitlab.enabled && cfg.edge.gitlab.enabled) {
      issue(
        ['gitlab', 'enabled'],
        'expected either gitlab.enabled (GitLab in the cluster) or edge.gitlab.enabled (/git to an existing GitLab), not both: both claim /git on the platform host',
        true,
      );
    }
    const classes = declaredStorageClasses(cfg.storage);
    // Each app's Argo CD project admits `<app>-preview-*`: another app's namespaces must not fall under it.
    for (const name of Object.keys(cfg.apps)) {
      const owner = Object.keys(cfg.apps).find((other) => other !== name && cfg.apps[other].environments.previews && name.startsWith(`${other}-preview`));
      if (owner && (name === `${owner}-preview` || name.startsWith(`${owner}-preview-`)))
        issue(['apps', name], `expected an app name whose namespaces are not app ${owner}'s preview namespaces (${owner}-preview-<branch>); rename it`, name);
    }
    for (const [name, a] of Object.entries(cfg.apps)) {
      const base = ['apps', name];
      const pg = a.data.postgres;
      const classProblem = pg && checkPostgresStorageClass(pg, classes);
      if (classProblem) issue([...base, 'data', 'postgres', 'storageClass'], classProblem, pg.storageClass);
      const components = Object.keys(a.components);
      for (const [cname, c] of Object.entries(a.components)) {
        checkImage([...base, 'components', cname, 'image'], c.image);
        if (c.canary) checkImage([...base, 'components', cname, 'canary', 'image'], c.canary.image);
        c.calls.forEach((callee, i) => {
          if (!components.includes(callee) || callee === cname) {
            issue(
              [...base, 'components', cname, 'calls', i],
              `expected another component of this app (${components.filter((n) => n !== cname).join(', ')})`,
              callee,
            );
          }
        });
        c.uses.forEach((dep, i) => {
          if (!a.data[dep])
            issue([...base, 'components', cname, 'uses', i], `expected a data service declared under apps.${name}.data (add a "${dep}" block there)`, dep);
        });
        if (c.autoscaling && c.autoscaling.maxReplicas < c.autoscaling.minReplicas) {
          issue(
            [...base, 'components', cname, 'autoscaling', 'maxReplicas'],
            `expected an integer >= minReplicas (${c.autoscaling.minReplicas})`,
            c.autoscaling.maxReplicas,
          );
        }
      }
      for (const [jname, job] of Object.entries(a.cronJobs)) {
        if (!components.includes(job.component)) {
          issue([...base, 'cronJobs', jname, 'component'], `expected one of this app's components (${components.join(', ')})`, job.component);
        }
      }
      if (a.environments.previews?.branches.length && !a.environments.staging) {
        issue([...base, 'environments', 'previews'], 'expected a staging environment as well (previews share its data tier)', undefined);
      }
      for (const env of ['production', 'staging'] as const) {
        for (const cname of Object.keys(a.environments[env]?.components ?? {})) {
          if (!components.includes(cname)) {
            issue([...base, 'environments', env, 'components', cname], `expected one of this app's components (${components.join(', ')})`, cname);
          }
        }
      }
      const seen = new Map<string, string>();
      (a.environments.previews?.branches ?? []).forEach((b, i) => {
        const branch = typeof b === 'string' ? b : b.branch;
        const slug = sanitizeBranch(branch, name);
        const path = [...base, 'environments', 'previews', 'branches', i];
        if (!slug) issue(path, 'expected a branch name with at least one letter or digit', branch);
        else if (seen.has(slug)) {
          issue(path, `expected branch names that stay distinct as DNS labels: "${branch}" and "${seen.get(slug)}" both become "preview-${slug}"`, branch);
        } else seen.set(slug, branch);
      });
    }
  });

export const schema = platformSchema;
export type PlatformConfig = z.infer<typeof platformSchema>;
