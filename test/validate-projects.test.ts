/**
 * The project check (lib/validate/assembly/projects.ts): Argo CD refuses to sync an object outside its
 * Application's project, so the validator fails first. Hermetic: directory Applications of a
 * synthesized two-app platform (no chart rendering) and small hand-made projects.
 */
import { checkProjects, globMatch } from '../lib/validate/assembly/projects';
import { buildSyncTree } from '../lib/validate/assembly/syncs';
import { Scopes } from '../lib/validate/assembly/plan-object';
import { SourceDocument } from '../lib/validate/document';
import { editing, is, SynthesizedTree, synthTree } from './assembly-fixtures';
import { configError, mutatedConfigText, writeConfig } from './helpers';

/** The fixture platform with a second app, `radio`, which has no previews. */
const twoApps = mutatedConfigText((c) => {
  const [name, app] = Object.entries<any>(c.apps)[0];
  c.apps.radio = { ...structuredClone(app), environments: { production: { host: 'radio.example.org' } } };
  delete c.apps.radio.cronJobs;
  for (const component of Object.values<any>(c.apps.radio.components)) component.image = component.image.replace(`/${name}/`, '/radio/');
});

let tree: SynthesizedTree;
beforeAll(() => (tree = synthTree(writeConfig(twoApps))));

function projectFindings(docs: readonly SourceDocument[]): string[] {
  const scopes = new Scopes();
  const sync = buildSyncTree({ docs, repoRoot: tree.root, renders: new Map(), scopes })!;
  return checkProjects(docs, sync.children).map((f) => `${f.document}: ${f.path}: ${f.message}`);
}

describe('AppProjects of the synthesized platform', () => {
  test('every Application of a two-app platform stays inside its project', () => {
    expect(projectFindings(tree.docs)).toEqual([]);
    const projects = tree.docs.filter((d) => d.object.kind === 'AppProject').map((d) => d.object.metadata.name);
    expect(projects.sort()).toEqual(['berkeleytime', 'platform', 'radio']);
  });

  test("an object moved into another app's namespace fails: the destination is not the project's", () => {
    const docs = editing(tree.docs, is('ConfigMap', 'backend-env'), (o) => {
      if (o.metadata.namespace === 'radio-production') o.metadata.namespace = 'berkeleytime-production';
    });
    const found = projectFindings(docs);
    expect(found).toContainEqual(
      expect.stringMatching(
        /^ConfigMap\/berkeleytime-production\/backend-env: metadata\.namespace: project: Application radio-production would apply it in namespace berkeleytime-production, which is not a destination of project "radio" \(radio-production\); Argo CD refuses the sync$/,
      ),
    );
  });

  test('a cluster-scoped object in an app tree fails unless the project lists it', () => {
    const docs = editing(tree.docs, is('Namespace', 'radio-production'), (o) => (o.metadata.name = 'kube-public'));
    expect(projectFindings(docs)).toEqual([
      expect.stringContaining('Namespace/kube-public: kind: project: project "radio" does not permit the cluster-scoped Namespace "kube-public"'),
    ]);
    const role = editing(tree.docs, is('Namespace', 'radio-production'), (o) => {
      o.apiVersion = 'rbac.authorization.k8s.io/v1';
      o.kind = 'ClusterRole';
    });
    expect(projectFindings(role)).toEqual([
      expect.stringContaining('does not permit the cluster-scoped rbac.authorization.k8s.io/ClusterRole "radio-production"'),
    ]);
  });

  test('a source outside sourceRepos and a project that does not exist fail on the Application', () => {
    const repo = editing(tree.docs, is('Application', 'radio-production'), (o) => (o.spec.source.repoURL = 'https://github.com/someone/else.git'));
    expect(projectFindings(repo)).toContainEqual(
      expect.stringContaining('spec.source.repoURL: project: https://github.com/someone/else.git is not among the sourceRepos'),
    );
    const missing = editing(tree.docs, is('Application', 'radio-production'), (o) => (o.spec.project = 'ghost'));
    expect(projectFindings(missing)).toContainEqual(expect.stringContaining('spec.project: project: AppProject "ghost" is not in the tree'));
  });

  test("an app named like another app's previews is a config error, since its namespaces would fall under that project", () => {
    const clash = configError((c) => {
      const [name, app] = Object.entries<any>(c.apps)[0];
      c.apps[`${name}-preview`] = { ...structuredClone(app), environments: { production: { host: 'clash.example.org' } } };
    });
    expect(clash).toMatch(/apps\.berkeleytime-preview: expected an app name whose namespaces are not app berkeleytime's preview namespaces/);
  });
});

describe("Argo CD's matching", () => {
  test('globs match whole values; a leading ! denies', () => {
    expect(globMatch('radio-preview-*', 'radio-preview-fix-login')).toBe(true);
    expect(globMatch('radio-preview-*', 'radio-production')).toBe(false);
    expect(globMatch('radio-?', 'radio-a')).toBe(true);
    expect(globMatch('a.b', 'axb')).toBe(false);
    const doc = (object: any): SourceDocument => ({ file: 'f.yaml', index: 0, object });
    const project = doc({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'p' },
      spec: {
        sourceRepos: ['*', '!https://evil.example/*'],
        destinations: [
          { server: '*', namespace: '*' },
          { server: '*', namespace: '!kube-system' },
        ],
      },
    });
    const app = (repo: string, namespace: string) =>
      doc({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'a' },
        spec: { project: 'p', source: { repoURL: repo }, destination: { namespace } },
      });
    expect(checkProjects([project, app('https://good.example/x.git', 'apps')], new Map())).toEqual([]);
    expect(checkProjects([project, app('https://evil.example/x.git', 'kube-system')], new Map()).map((f) => f.path)).toEqual([
      'spec.source.repoURL',
      'spec.destination.namespace',
    ]);
  });
});
