/** Add-on delivery: an Argo CD Application per pinned upstream chart, from the one versions file. */
import { Chart, Testing } from 'cdk8s';
import { AddonApplication } from '../charts/addon-application';
import { chartVersion, loadVersions } from '../config/versions';
import { imageAllowlistsOf } from '../lib/image-allowlist';
import { schemaFindings } from './edge-fixtures';

const versions = loadVersions();

function synthAddon(props: Partial<ConstructorParameters<typeof AddonApplication>[2]> & { chartName: string }) {
  const chart = new Chart(Testing.app(), 'test');
  const { chartName, ...rest } = props;
  new AddonApplication(chart, 'Addon', { name: chartName, chart: chartVersion(versions, chartName), namespace: 'target', ...rest });
  return Testing.synth(chart)[0];
}

describe('AddonApplication', () => {
  test('every pinned chart is an exact version and becomes the Application targetRevision unchanged', () => {
    for (const [name, pin] of Object.entries(versions.charts)) {
      expect(pin.version).toMatch(/^v?[0-9]+\.[0-9]+\.[0-9]+$/);
      expect(synthAddon({ chartName: name }).spec.source.targetRevision).toBe(pin.version);
    }
  });

  test('an HTTP chart repository: repoURL plus chart name', () => {
    const app = synthAddon({ chartName: 'ingress-nginx' });
    expect(app.spec.source).toEqual({
      repoURL: 'https://kubernetes.github.io/ingress-nginx',
      chart: 'ingress-nginx',
      targetRevision: versions.charts['ingress-nginx'].version,
      helm: { releaseName: 'ingress-nginx' },
    });
  });

  test('an OCI chart: the artifact URL with path "." (Argo CD native OCI sources)', () => {
    const app = synthAddon({ chartName: 'envoy-gateway', values: { a: { b: 1 } } });
    expect(app.spec.source).toEqual({
      repoURL: 'oci://registry-1.docker.io/envoyproxy/gateway-helm',
      path: '.',
      targetRevision: 'v1.9.0',
      helm: { releaseName: 'envoy-gateway', valuesObject: { a: { b: 1 } } },
    });
  });

  test('Application metadata, destination, sync wave and sync options', () => {
    const app = synthAddon({ chartName: 'cert-manager', syncWave: 2, serverSideApply: true, createNamespace: true });
    expect(app.metadata).toEqual({ name: 'cert-manager', namespace: 'argocd', annotations: { 'argocd.argoproj.io/sync-wave': '2' } });
    expect(app.spec.project).toBe('platform');
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'target' });
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.spec.syncPolicy.syncOptions).toEqual(['CreateNamespace=true', 'ServerSideApply=true']);
  });

  test('defaults: wave 0, no sync options, no values', () => {
    const app = synthAddon({ chartName: 'eck-operator', values: {} });
    expect(app.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '0' });
    expect(app.spec.syncPolicy.syncOptions).toBeUndefined();
    expect(app.spec.source.helm).toEqual({ releaseName: 'eck-operator' });
  });

  test('refuses a chart pin that is not an exact version', () => {
    const chart = new Chart(Testing.app(), 'test');
    expect(
      () =>
        new AddonApplication(chart, 'Addon', { name: 'x', chart: { repoURL: 'https://charts.example.org', chart: 'x', version: '^1.2.0' }, namespace: 'x' }),
    ).toThrow('AddonApplication x: chart x version "^1.2.0" is not an exact version; pin one such as "1.2.3" in config/versions.yaml');
  });

  test('validates against the Argo CD schema with zero findings', () => {
    const apps = Object.keys(versions.charts).map((name) => synthAddon({ chartName: name, syncWave: 1, serverSideApply: true, values: { x: 1 } }));
    expect(schemaFindings(apps)).toEqual([]);
  });

  test("records its chart's image repositories for every namespace it writes to, and nothing without them", () => {
    const chart = new Chart(Testing.app(), 'test');
    const pin = chartVersion(versions, 'kube-prometheus-stack');
    new AddonApplication(chart, 'Addon', { name: 'stack', chart: pin, namespace: 'monitoring', alsoWritesTo: ['monitoring-node-exporter'] });
    new AddonApplication(chart, 'Other', { name: 'bare', chart: { repoURL: pin.repoURL, chart: pin.chart, version: pin.version }, namespace: 'bare' });
    expect(imageAllowlistsOf(chart)).toEqual([
      { namespace: 'monitoring', images: [...pin.images].sort() },
      { namespace: 'monitoring-node-exporter', images: [...pin.images].sort() },
    ]);
  });
});
