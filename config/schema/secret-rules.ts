/**
 * No secret value in the config: everything in it is synthesized into the committed dist/. Env
 * values, commands, arguments, migration commands, CronJob steps and the GitOps URL are checked
 * with lib/secret-values.ts; a message says where and why, never the value.
 */
import { secretInNamedValue, secretInValue, secretsInArgv } from '../../lib/secret-values';

type Path = (string | number)[];
export interface SecretIssue {
  readonly path: Path;
  readonly message: string;
}

const USE_SECRET_ENV = 'put it in a Secret in the cluster and reference it with secretEnv';

/** The parts of the parsed config these rules read. */
interface Shape {
  readonly apps: Record<
    string,
    {
      readonly components: Record<
        string,
        { command?: string[]; args?: string[]; env: Record<string, string>; notSecret: string[]; migrations?: { command: string[] } }
      >;
      readonly cronJobs: Record<string, { steps: string[][] }>;
    }
  >;
  readonly gitops: { readonly repoURL: string };
}

export function secretIssues(cfg: Shape): SecretIssue[] {
  const issues: SecretIssue[] = [];
  const argv = (path: Path, args: readonly string[] | undefined) => {
    for (const { index, reason } of secretsInArgv(args ?? [])) {
      issues.push({
        path: [...path, index],
        message: `expected no secret in a command (dist/ is committed), found ${reason}; ${USE_SECRET_ENV} and read it from the environment`,
      });
    }
  };
  for (const [app, a] of Object.entries(cfg.apps)) {
    for (const [name, c] of Object.entries(a.components)) {
      const base = ['apps', app, 'components', name];
      for (const [key, value] of Object.entries(c.env)) {
        if (c.notSecret.includes(key)) continue;
        const reason = secretInNamedValue(key, value);
        if (reason) {
          issues.push({
            path: [...base, 'env', key],
            message: `expected no secret value (dist/ is committed), found ${reason}; ${USE_SECRET_ENV}, or list "${key}" under notSecret if it is not one`,
          });
        }
      }
      argv([...base, 'command'], c.command);
      argv([...base, 'args'], c.args);
      argv([...base, 'migrations', 'command'], c.migrations?.command);
    }
    for (const [job, j] of Object.entries(a.cronJobs)) j.steps.forEach((step, i) => argv(['apps', app, 'cronJobs', job, 'steps', i], step));
  }
  const repo = secretInValue(cfg.gitops.repoURL);
  if (repo) {
    issues.push({
      path: ['gitops', 'repoURL'],
      message: `expected a repository URL without credentials (it is committed in dist/ and shown by Argo CD), found ${repo}; give Argo CD the credentials as a repository Secret instead`,
    });
  }
  return issues;
}
