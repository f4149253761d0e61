/** GitOps: the Argo CD objects that tie dist/ to the cluster, and the projects that bound them. */
import { Testing } from 'cdk8s';
import { GitOps, GitOpsProps } from '../charts/gitops';
import { loadVersions } from '../config/versions';

const versions = loadVersions();
const charts = [versions.charts['cert-manager'], versions.charts['envoy-gateway']];
const PROPS: GitOpsProps = {
  repo: { repoURL: 'https://git.example.org/platform.git', revision: 'main' },
  projects: [
    { name: 'radio', namespaces: ['radio-production', 'radio-preview-*'], deployerGroups: ['club:radio:deployers'] },
    { name: 'wiki', namespaces: ['wiki-production'] },
  ],
  applications: [
    { name: 'radio-production', path: 'dist/production/radio', project: 'radio' },
    { name: 'radio-preview-fix-login', path: 'dist/preview-fix-login/radio', project: 'radio', ephemeral: true },
    { name: 'wiki-production', path: 'dist/production/wiki', project: 'wiki' },
  ],
  addons: { charts, namespaces: ['cert-manager', 'envoy-gateway-system'], clusterKinds: [{ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' }] },
};

function synth(props: GitOpsProps = PROPS) {
  const objects = Testing.synth(new GitOps(Testing.app(), '10-gitops', props));
  return (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
}

describe('GitOps', () => {
  const find = synth();

  test('one Application per app environment, syncing its folder dist/<environment>/<app> in its app project after the add-ons', () => {
    const app = find('Application', 'radio-production');
    expect(app.spec.project).toBe('radio');
    expect(app.spec.source).toEqual({
      repoURL: 'https://git.example.org/platform.git',
      targetRevision: 'main',
      path: 'dist/production/radio',
      directory: { recurse: true },
    });
    expect(find('Application', 'wiki-production').spec.project).toBe('wiki');
    expect(Number(app.metadata.annotations['argocd.argoproj.io/sync-wave'])).toBeGreaterThan(5);
  });

  test('only ephemeral environments (previews) delete their objects when they leave the config', () => {
    expect(find('Application', 'radio-production').metadata.finalizers).toBeUndefined();
    expect(find('Application', 'radio-preview-fix-login').metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
  });

  test("an app's project admits the GitOps repository, exactly its namespaces, and no cluster-scoped kind but those namespaces", () => {
    const radio = find('AppProject', 'radio').spec;
    expect(radio.sourceRepos).toEqual(['https://git.example.org/platform.git']);
    expect(radio.destinations.map((d: any) => d.namespace)).toEqual(['radio-preview-*', 'radio-production']);
    expect(radio.destinations.every((d: any) => d.server === 'https://kubernetes.default.svc')).toBe(true);
    expect(radio.clusterResourceWhitelist).toEqual([
      { group: '', kind: 'Namespace', name: 'radio-preview-*' },
      { group: '', kind: 'Namespace', name: 'radio-production' },
    ]);
    expect(find('AppProject', 'wiki').spec.destinations.map((d: any) => d.namespace)).toEqual(['wiki-production']);
  });

  test('the deployers may see and sync their own Applications, not change them', () => {
    const [role] = find('AppProject', 'radio').spec.roles;
    expect(role.groups).toEqual(['club:radio:deployers']);
    expect(role.policies).toEqual(['p, proj:radio:deployer, applications, get, radio/*, allow', 'p, proj:radio:deployer, applications, sync, radio/*, allow']);
    expect(find('AppProject', 'wiki').spec.roles).toBeUndefined();
  });

  test("the add-ons' project admits exactly their chart repositories and namespaces", () => {
    const project = find('AppProject', 'platform').spec;
    expect(project.sourceRepos).toEqual(['oci://quay.io/jetstack/charts/cert-manager', 'oci://registry-1.docker.io/envoyproxy/gateway-helm'].sort());
    expect(project.destinations.map((d: any) => d.namespace)).toEqual(['cert-manager', 'envoy-gateway-system']);
    expect(project.clusterResourceWhitelist).toEqual([{ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' }]);
  });

  test('an Application outside the projects, or an app project named like the add-ons, is refused', () => {
    expect(() => synth({ ...PROPS, applications: [{ name: 'x-production', path: 'dist/production/x', project: 'x' }] })).toThrow(
      /Application x-production names project "x", which is not among the projects/,
    );
    expect(() => synth({ ...PROPS, projects: [...PROPS.projects, { name: 'platform', namespaces: [] }] })).toThrow(/"platform" is the add-ons' own/);
  });

  test('Argo CD reads Application health, so sync waves between Applications wait', () => {
    const cm = find('ConfigMap', 'argocd-cm');
    expect(cm.metadata.namespace).toBe('argocd');
    expect(cm.data['resource.customizations.health.argoproj.io_Application']).toContain('obj.status.health.status');
  });
});
