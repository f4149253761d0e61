/**
 * Rules across one app's fields that the cluster would otherwise reject after synthesis: names
 * too long for the namespaces made from them, components that take a data service's or the
 * statsd sidecar's name or port, more routed paths than one HTTPRoute holds, preview hosts longer
 * than DNS allows, and preview images tagged "latest".
 */
import { MAX_DNS_LABEL, sanitizeBranch } from '../../lib/names';
import { HTTP_ROUTE_MAX_RULES, STATSD_EXPORTER } from '../../lib/tier-defaults';

type Path = (string | number)[];
export interface AppIssue {
  readonly path: Path;
  readonly message: string;
}

/** The longest environment suffix of a namespace (`<app>-production`). */
const LONGEST_SUFFIX = '-production';
export const MAX_APP_NAME = MAX_DNS_LABEL - LONGEST_SUFFIX.length;
const MAX_HOST = 253;

interface AppShape {
  readonly components: Record<string, { port: number; statsd: boolean; paths: string[]; metrics?: { port: number } }>;
  readonly data: { postgres?: unknown; redis?: unknown };
  readonly environments: { previews?: { domain: string; branches: (string | { branch: string; tag?: string })[] } };
}

export function appIssues(name: string, app: AppShape): AppIssue[] {
  const issues: AppIssue[] = [];
  const base = ['apps', name];
  if (name.length > MAX_APP_NAME) {
    issues.push({
      path: base,
      message: `expected an app name of at most ${MAX_APP_NAME} characters (its namespaces are "<app>${LONGEST_SUFFIX}" and such, at most ${MAX_DNS_LABEL}), found ${name.length} characters`,
    });
  }
  const taken = new Map<string, string>([
    ...(app.data.postgres ? (['postgres', 'postgres-headless'] as const).map((n): [string, string] => [n, 'the Postgres Service']) : []),
    ...(app.data.redis ? [['redis', 'the Redis Service'] as [string, string]] : []),
  ]);
  const claimed = new Map<string, string>();
  let routed = 0;
  for (const [component, c] of Object.entries(app.components)) {
    const path = [...base, 'components', component];
    const service = taken.get(component);
    if (service)
      issues.push({ path, message: `expected a component name that is not ${service} of this app's data tier (same namespace), found "${component}"` });
    if (c.statsd) {
      for (const [field, port] of [
        ['port', c.port],
        ['metrics', c.metrics?.port],
      ] as const) {
        if (port === STATSD_EXPORTER.statsdPort || port === STATSD_EXPORTER.metricsPort) {
          issues.push({
            path: field === 'port' ? [...path, 'port'] : [...path, 'metrics', 'port'],
            message: `expected a port other than ${STATSD_EXPORTER.statsdPort} and ${STATSD_EXPORTER.metricsPort}, which the statsd-exporter sidecar (statsd: true) listens on, found ${port}`,
          });
        }
      }
    }
    c.paths.forEach((p, i) => {
      const owner = claimed.get(p);
      if (owner) issues.push({ path: [...path, 'paths', i], message: `expected a path no other component routes, found "${p}", which ${owner} routes too` });
      else claimed.set(p, component);
    });
    routed += c.paths.length;
  }
  if (routed > HTTP_ROUTE_MAX_RULES) {
    issues.push({
      path: [...base, 'components'],
      message: `expected at most ${HTTP_ROUTE_MAX_RULES} routed paths per app (each environment's HTTPRoute holds at most ${HTTP_ROUTE_MAX_RULES} rules), found ${routed}`,
    });
  }
  const previews = app.environments.previews;
  (previews?.branches ?? []).forEach((entry, i) => {
    const branch = typeof entry === 'string' ? entry : entry.branch;
    const slug = sanitizeBranch(branch, name);
    const path = [...base, 'environments', 'previews', 'branches', i];
    if (slug && `${slug}.${previews!.domain}`.length > MAX_HOST) {
      issues.push({
        path,
        message: `expected a preview host of at most ${MAX_HOST} characters, found "${slug}.${previews!.domain}" (${slug.length + 1 + previews!.domain.length}); shorten previews.domain`,
      });
    }
    if (slug === 'latest' && (typeof entry === 'string' || entry.tag === undefined)) {
      issues.push({
        path,
        message: `expected a preview whose image tag is not "latest", found branch "${branch}", whose image tag would be "latest"; give it a pinned tag: { branch: ${branch}, tag: <tag> }`,
      });
    }
  });
  return issues;
}
