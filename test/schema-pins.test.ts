/**
 * The pins and the CRD schemas agree (lib/validate/schema-pins.ts): every chart of
 * config/versions.yaml installs the release whose CRDs schemas/ and imports/ were made from.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { loadVersions, manifestPin } from '../config/versions';
import { locateChart } from '../lib/charts/chart-archive';
import { archiveAppVersion, crdTags, SCHEMA_PIN_RULES, schemaPinProblems } from '../lib/validate/schema-pins';
import { pinnedSources } from '../lib/validate/schema-store';
import { describeWithCharts } from './chart-cache';
import { ROOT } from './helpers';

const URLS = [
  'https://raw.githubusercontent.com/envoyproxy/gateway/v1.9.0/charts/gateway-helm/charts/crds/crds/generated/x.yaml',
  'https://github.com/cert-manager/cert-manager/releases/download/v1.21.1/cert-manager.crds.yaml',
  'https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/v0.93.1/example/a.yaml',
];

describe('schemaPinProblems', () => {
  test('reads the release tag from raw and release-download URLs', () => {
    expect(crdTags(URLS, 'envoyproxy/gateway')).toEqual(['v1.9.0']);
    expect(crdTags(URLS, 'cert-manager/cert-manager')).toEqual(['v1.21.1']);
    expect(crdTags(URLS, 'rook/rook')).toEqual([]);
  });

  test('passes when the chart installs the schemas’ release, by version or by appVersion', () => {
    expect(
      schemaPinProblems(
        [
          { chart: 'gateway-helm', version: 'v1.9.0' },
          { chart: 'cert-manager', version: 'v1.21.1' },
          { chart: 'kube-prometheus-stack', version: '88.5.3', appVersion: 'v0.93.1' },
          { chart: 'ingress-nginx', version: '4.15.1' },
        ],
        URLS,
      ),
    ).toEqual([]);
  });

  test('a bumped chart without refreshed schemas fails, naming both versions and the commands', () => {
    const [problem] = schemaPinProblems([{ chart: 'gateway-helm', version: 'v1.9.1' }], URLS);
    expect(problem).toContain('chart gateway-helm v1.9.1 installs envoyproxy/gateway v1.9.1');
    expect(problem).toContain('the CRD schemas the validator uses are envoyproxy/gateway v1.9.0');
    expect(problem).toContain('npm run schemas && npm run import && npm run synth');
    expect(schemaPinProblems([{ chart: 'kube-prometheus-stack', version: '88.6.0', appVersion: 'v0.94.0' }], URLS)[0]).toContain('appVersion v0.94.0');
  });

  test('an accepted difference holds only for the exact versions it names', () => {
    const rule = SCHEMA_PIN_RULES.find((r) => r.accepted)!;
    const urls = [`https://raw.githubusercontent.com/${rule.crdRepository}/${rule.accepted!.crdTag}/client/x.yaml`];
    expect(schemaPinProblems([{ chart: rule.chart, version: rule.accepted!.chartVersion, appVersion: 'v0.0.1' }], urls)).toEqual([]);
    expect(schemaPinProblems([{ chart: rule.chart, version: `${rule.accepted!.chartVersion}-next`, appVersion: 'v0.0.1' }], urls)).toHaveLength(1);
  });
});

describe('the repository’s pins', () => {
  const versions = loadVersions();
  const urls = pinnedSources().flatMap((s) => s.urls);

  test('schemas/ was made from the import URLs cdk8s.yaml pins now (`npm run schemas` after every change)', () => {
    const recorded = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'SOURCES.json'), 'utf8'));
    for (const source of pinnedSources()) expect([source.file, recorded[source.file]?.urls]).toEqual([source.file, source.urls]);
  });

  test('the Argo CD install manifest and the Application CRDs are one release', () => {
    const tag = /\/argo-cd\/([^/]+)\//.exec(manifestPin(versions, 'argo-cd').url)?.[1];
    expect(crdTags(urls, 'argoproj/argo-cd')).toEqual([tag]);
  });

  describeWithCharts('with the chart archives', () => {
    test('every pinned chart installs the CRD release of the schemas', () => {
      const charts = Object.values(versions.charts).map((pin) => ({
        chart: pin.chart,
        version: pin.version,
        appVersion: archiveAppVersion(locateChart(pin).path),
      }));
      expect(charts.filter((c) => SCHEMA_PIN_RULES.some((r) => r.chart === c.chart)).length).toBeGreaterThanOrEqual(6);
      expect(schemaPinProblems(charts, urls)).toEqual([]);
    });
  });
});

describe('archiveAppVersion', () => {
  /** A gzipped tar of the given entries, as `helm package` lays one out. */
  function archive(entries: [string, string | Buffer][]): string {
    const blocks: Buffer[] = [];
    for (const [name, content] of entries) {
      const body = Buffer.from(content);
      const header = Buffer.alloc(512);
      header.write(name, 0, 'utf8');
      header.write(body.length.toString(8).padStart(11, '0'), 124, 'ascii');
      blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
    blocks.push(Buffer.alloc(1024));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'archive-')), 'c.tgz');
    fs.writeFileSync(file, zlib.gzipSync(Buffer.concat(blocks)));
    return file;
  }

  test('reads Chart.yaml from the start of the archive, or from the whole when it comes after large files', () => {
    expect(archiveAppVersion(archive([['c/Chart.yaml', 'name: c\nappVersion: "v1.2.3"\n']]))).toBe('v1.2.3');
    // Random bytes do not compress: Chart.yaml lies beyond the first 64 KiB of the archive.
    const noise = randomBytes(200 * 1024);
    expect(
      archiveAppVersion(
        archive([
          ['c/templates/blob', noise],
          ['c/Chart.yaml', 'appVersion: 4.5.6\n'],
        ]),
      ),
    ).toBe('4.5.6');
    expect(archiveAppVersion(archive([['c/values.yaml', 'a: 1\n']]))).toBeUndefined();
  });
});
