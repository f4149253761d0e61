/**
 * Argo CD's project rules, checked before Argo CD meets them: an Application's source must be one of
 * its project's `sourceRepos`, and every object it applies must fall under the project's
 * `destinations` (namespaced objects) or `clusterResourceWhitelist` (cluster-scoped ones). Argo CD
 * refuses such a sync ("is not permitted in project"), and retries it five times, so an object that
 * a config change moves outside its project stalls that Application on the cluster; here it is a
 * finding at review time.
 *
 * Matching follows Argo CD's `AppProject` methods (`IsSourcePermitted`, `IsDestinationPermitted`,
 * `IsGroupKindNamePermitted`): globs with `*` and `?`, a leading `!` denies, an empty
 * cluster-scoped whitelist admits nothing. The built-in `default` project admits everything unless
 * the tree defines it.
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/projects/
 * @see https://github.com/argoproj/argo-cd/blob/master/pkg/apis/application/v1alpha1/app_project_types.go
 */
import { Finding, SourceDocument, documentId } from '../document';
import { SyncSource } from './simulate';

interface ProjectSpec {
  readonly sourceRepos?: readonly string[];
  readonly destinations?: readonly { server?: string; name?: string; namespace?: string }[];
  readonly clusterResourceWhitelist?: readonly GroupKindName[];
  readonly clusterResourceBlacklist?: readonly GroupKindName[];
  readonly namespaceResourceWhitelist?: readonly GroupKindName[];
  readonly namespaceResourceBlacklist?: readonly GroupKindName[];
}

interface GroupKindName {
  readonly group?: string;
  readonly kind?: string;
  readonly name?: string;
}

const IN_CLUSTER = 'https://kubernetes.default.svc';

/** Argo CD's glob: `*` any run of characters, `?` one; everything else literal. */
export function globMatch(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

/** Patterns where `!pattern` denies: refused if any denial matches, else admitted if any other pattern does. */
function admitted(patterns: readonly string[], value: string): boolean {
  if (patterns.some((p) => p.startsWith('!') && globMatch(p.slice(1), value))) return false;
  return patterns.some((p) => !p.startsWith('!') && globMatch(p, value));
}

const gknMatches = (entry: GroupKindName, group: string, kind: string, name: string) =>
  globMatch(entry.group ?? '', group) && globMatch(entry.kind ?? '', kind) && (entry.name === undefined || entry.name === '' || globMatch(entry.name, name));

function destinationPermitted(spec: ProjectSpec, server: string, namespace: string): boolean {
  const onServer = (spec.destinations ?? []).filter((d) => globMatch(d.server ?? '*', server));
  return admitted(
    onServer.map((d) => d.namespace ?? ''),
    namespace,
  );
}

function kindPermitted(spec: ProjectSpec, group: string, kind: string, name: string, clusterScoped: boolean): boolean {
  if (clusterScoped) {
    const white = spec.clusterResourceWhitelist ?? [];
    return white.some((e) => gknMatches(e, group, kind, name)) && !(spec.clusterResourceBlacklist ?? []).some((e) => gknMatches(e, group, kind, name));
  }
  const white = spec.namespaceResourceWhitelist;
  if (white && !white.some((e) => gknMatches(e, group, kind, name))) return false;
  return !(spec.namespaceResourceBlacklist ?? []).some((e) => gknMatches(e, group, kind, name));
}

const describe = (group: string, kind: string) => (group ? `${group}/${kind}` : kind);

/** Findings for every Application of the tree whose project would refuse its source, destination or objects. */
export function checkProjects(docs: readonly SourceDocument[], syncs: ReadonlyMap<string, SyncSource>): Finding[] {
  const projects = new Map<string, ProjectSpec>();
  for (const d of docs)
    if (d.object?.kind === 'AppProject' && String(d.object.apiVersion).startsWith('argoproj.io/')) projects.set(d.object.metadata?.name, d.object.spec ?? {});
  const findings: Finding[] = [];
  for (const d of docs) {
    const app = d.object;
    if (app?.kind !== 'Application' || !String(app.apiVersion).startsWith('argoproj.io/')) continue;
    const projectName = String(app.spec?.project ?? 'default');
    const spec = projects.get(projectName);
    const at = (path: string, message: string) => findings.push({ file: d.file, document: documentId(d), path, message });
    if (!spec) {
      if (projectName !== 'default')
        at('spec.project', `project: AppProject "${projectName}" is not in the tree; Argo CD refuses to sync an Application whose project does not exist`);
      continue;
    }
    const where = `project "${projectName}"`;
    const repo = String(app.spec?.source?.repoURL ?? '');
    if (!admitted(spec.sourceRepos ?? [], repo))
      at('spec.source.repoURL', `project: ${repo} is not among the sourceRepos of ${where}, so Argo CD refuses the source`);
    const server = String(app.spec?.destination?.server ?? IN_CLUSTER);
    const destinationNamespace = app.spec?.destination?.namespace;
    if (destinationNamespace && !destinationPermitted(spec, server, destinationNamespace))
      at('spec.destination.namespace', `project: namespace ${destinationNamespace} is not a destination of ${where}`);
    const sync = syncs.get(String(app.metadata?.name));
    for (const o of sync?.objects ?? []) {
      const doc = { file: o.file, index: 0, object: o.object };
      const object = (path: string, message: string) => findings.push({ file: o.file, document: documentId(doc), path, message });
      const clusterScoped = o.namespace === '';
      if (!clusterScoped && !destinationPermitted(spec, server, o.namespace)) {
        object(
          'metadata.namespace',
          `project: Application ${sync!.name} would apply it in namespace ${o.namespace}, which is not a destination of ${where} (${(spec.destinations ?? []).map((x) => x.namespace).join(', ') || 'none'}); Argo CD refuses the sync`,
        );
      } else if (!kindPermitted(spec, o.group, o.kind, o.name, clusterScoped)) {
        object(
          'kind',
          `project: ${where} does not permit ${clusterScoped ? 'the cluster-scoped ' : ''}${describe(o.group, o.kind)} "${o.name}" that Application ${sync!.name} applies; Argo CD refuses the sync`,
        );
      }
    }
  }
  return findings;
}
