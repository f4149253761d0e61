/**
 * Does each pinned chart install the CRDs the validator checks our objects against? The CRD
 * schemas come from the release tags in cdk8s.yaml's import URLs (`npm run schemas` bundles them
 * into schemas/, `npm run import` generates imports/ from them); a chart bump without them
 * would validate against another release's CRDs. Each row says which upstream repository's tag
 * must equal the chart's version, or its `appVersion` where the chart numbers itself.
 */
import * as fs from 'fs';
import * as zlib from 'zlib';

export interface SchemaPinRule {
  /** The chart's name in its repository (an Application's `chart`, or an OCI URL's last part). */
  readonly chart: string;
  /** `owner/name` of the GitHub repository whose tag the cdk8s.yaml URLs carry. */
  readonly crdRepository: string;
  /** What the tag equals: the chart's own version, or the `appVersion` its Chart.yaml records. */
  readonly compare: 'version' | 'appVersion';
  /**
   * A known difference, pinned on both sides with its reason: any bump of either ends it.
   * @default - none: the versions must agree
   */
  readonly accepted?: { readonly chartVersion: string; readonly crdTag: string; readonly reason: string };
}

export const SCHEMA_PIN_RULES: readonly SchemaPinRule[] = [
  { chart: 'gateway-helm', crdRepository: 'envoyproxy/gateway', compare: 'version' },
  { chart: 'cert-manager', crdRepository: 'cert-manager/cert-manager', compare: 'version' },
  { chart: 'rook-ceph', crdRepository: 'rook/rook', compare: 'version' },
  { chart: 'eck-operator', crdRepository: 'elastic/cloud-on-k8s', compare: 'version' },
  // The chart numbers itself; its appVersion is the operator release (shared/schemas/SOURCES.md notes).
  { chart: 'kube-prometheus-stack', crdRepository: 'prometheus-operator/prometheus-operator', compare: 'appVersion' },
  { chart: 'sealed-secrets', crdRepository: 'bitnami-labs/sealed-secrets', compare: 'appVersion' },
  {
    chart: 'snapshot-controller',
    crdRepository: 'kubernetes-csi/external-snapshotter',
    compare: 'appVersion',
    // Piraeus' chart 5.0.4 records appVersion v8.5.0; the bundle holds the v8.6.0 CRDs (shared/schemas/SOURCES.md).
    accepted: {
      chartVersion: '5.0.4',
      crdTag: 'v8.6.0',
      reason: 'chart 5.0.4 ships external-snapshotter v8.5.0, the schema bundle holds v8.6.0 (shared/schemas); to be aligned',
    },
  },
];

const plain = (v: string): string => v.replace(/^v/, '');

/** The release tag of `repository` in the import URLs (raw.githubusercontent.com/<repo>/<tag>/… or …/releases/download/<tag>/…). */
export function crdTags(urls: readonly string[], repository: string): string[] {
  const escaped = repository.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^https://(?:raw\\.githubusercontent\\.com/${escaped}/|github\\.com/${escaped}/releases/download/)([^/]+)/`);
  return [...new Set(urls.map((u) => pattern.exec(u)?.[1]).filter((t): t is string => !!t))].sort();
}

export interface PinnedChart {
  readonly chart: string;
  readonly version: string;
  /** The chart's Chart.yaml appVersion. @default - not known (a rule that needs it reports so) */
  readonly appVersion?: string;
}

/** Disagreements, one message each, naming both versions and the commands that refresh the schemas. */
export function schemaPinProblems(charts: readonly PinnedChart[], importUrls: readonly string[]): string[] {
  const problems: string[] = [];
  for (const c of charts) {
    const rule = SCHEMA_PIN_RULES.find((r) => r.chart === c.chart);
    if (!rule) continue;
    const tags = crdTags(importUrls, rule.crdRepository);
    const wanted = rule.compare === 'version' ? c.version : c.appVersion;
    const what = rule.compare === 'version' ? `chart ${c.chart} ${c.version}` : `chart ${c.chart} ${c.version} (appVersion ${c.appVersion ?? 'unknown'})`;
    if (tags.length === 0) {
      problems.push(`${what}: cdk8s.yaml imports no CRDs of ${rule.crdRepository}, so the validator holds no schema for the kinds it installs`);
      continue;
    }
    if (rule.accepted && rule.accepted.chartVersion === c.version && tags.length === 1 && tags[0] === rule.accepted.crdTag) continue;
    if (wanted === undefined) {
      problems.push(`${what}: its Chart.yaml appVersion is needed to compare with the CRD schemas of ${rule.crdRepository} ${tags.join(', ')}`);
      continue;
    }
    if (tags.length > 1 || plain(tags[0]) !== plain(wanted)) {
      problems.push(
        `${what} installs ${rule.crdRepository} ${wanted}, but the CRD schemas the validator uses are ${rule.crdRepository} ${tags.join(', ')} (cdk8s.yaml imports): ` +
          `set the tag in those URLs to ${wanted}, then run \`npm run schemas && npm run import && npm run synth\``,
      );
    }
  }
  return problems;
}

/**
 * `appVersion` of a Helm chart archive (`<chart>/Chart.yaml` in a gzipped tar). `helm package` writes
 * Chart.yaml first, so the start of the archive is inflated first (a truncated stream, flushed), and
 * the whole archive only when Chart.yaml is not in it: the largest pinned archive took 18 ms whole.
 */
export function archiveAppVersion(file: string): string | undefined {
  const archive = fs.readFileSync(file);
  const head = zlib.gunzipSync(archive.subarray(0, 64 * 1024), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return chartYamlAppVersion(head) ?? chartYamlAppVersion(zlib.gunzipSync(archive));
}

function chartYamlAppVersion(tar: Buffer): string | undefined {
  for (let offset = 0; offset + 512 <= tar.length;) {
    const name = tar.toString('utf8', offset, offset + 100).replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(
      tar
        .toString('ascii', offset + 124, offset + 136)
        .replace(/\0.*$/s, '')
        .trim() || '0',
      8,
    );
    if (/^[^/]+\/Chart\.yaml$/.test(name)) {
      if (offset + 512 + size > tar.length) return undefined;
      const text = tar.toString('utf8', offset + 512, offset + 512 + size);
      return /^appVersion:\s*["']?([^"'\s]+)/m.exec(text)?.[1];
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}
