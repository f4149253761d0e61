/** GitOps: the Argo CD objects that tie dist/ to the cluster. */
import { Testing } from 'cdk8s';
import { GitOps } from '../charts/gitops';
import { loadVersions } from '../config/versions';

const versions = loadVersions();
function synth() {
  const chart = new GitOps(Testing.app(), '10-gitops', {
    repo: { repoURL: 'https://git.example.org/platform.git', revision: 'main' },
    charts: Object.values(versions.charts),
    environments: [{ name: 'production' }, { name: 'preview-fix-login', ephemeral: true }],
  });
  const objects = Testing.synth(chart);
  return (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
}

describe('GitOps', () => {
  const find = synth();

  test('one Application per environment folder, syncing dist/<environment> after the add-ons', () => {
    const app = find('Application', 'env-production');
    expect(app.spec.source).toEqual({
      repoURL: 'https://git.example.org/platform.git',
      targetRevision: 'main',
      path: 'dist/production',
      directory: { recurse: true },
    });
    expect(Number(app.metadata.annotations['argocd.argoproj.io/sync-wave'])).toBeGreaterThan(5);
  });

  test('only ephemeral environments (previews) delete their objects when they leave the config', () => {
    expect(find('Application', 'env-production').metadata.finalizers).toBeUndefined();
    expect(find('Application', 'env-preview-fix-login').metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
  });

  test('the project admits the platform repository and exactly the pinned chart repositories', () => {
    const project = find('AppProject', 'platform');
    expect(project.spec.sourceRepos[0]).toBe('https://git.example.org/platform.git');
    for (const chart of Object.values(versions.charts)) {
      expect(project.spec.sourceRepos).toContain(chart.repoURL.startsWith('oci://') ? `${chart.repoURL}/${chart.chart}` : chart.repoURL);
    }
  });

  test('Argo CD reads Application health, so sync waves between Applications wait', () => {
    const cm = find('ConfigMap', 'argocd-cm');
    expect(cm.metadata.namespace).toBe('argocd');
    expect(cm.data['resource.customizations.health.argoproj.io_Application']).toContain('obj.status.health.status');
  });
});
