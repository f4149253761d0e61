/**
 * Defaults for the pins a construct takes as plain props (`image`, `chart`): the entries of
 * config/versions.yaml, read once as data. The platform's model passes every pin explicitly; these
 * defaults serve a construct composed by hand.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import type { ChartPin } from './contracts';
import { kubernetesMinor } from './kube';
import { repoRoot } from './repo-root';

interface PinFile {
  readonly images?: Record<string, string>;
  readonly manifests?: Record<string, { readonly url: string; readonly sha256: string }>;
  readonly charts?: Record<string, ChartPin>;
}

let pins: PinFile | undefined;

function pinFile(): PinFile {
  pins ??= (yaml.load(fs.readFileSync(path.join(repoRoot(), 'config', 'versions.yaml'), 'utf8'), { schema: yaml.CORE_SCHEMA }) as PinFile) ?? {};
  return pins;
}

/** The pinned image `key` of config/versions.yaml (`images.<key>`). */
export function pinnedImage(key: string): string {
  const image = pinFile().images?.[key];
  if (typeof image !== 'string') throw new Error(`config/versions.yaml: images.${key}: expected a pinned image, found nothing; pass the image explicitly`);
  return image;
}

/** The key of the pause image kubeadm expects for a release (`pause-1.36`): one pin per Kubernetes minor. */
export const pauseImageKey = (release: string): string => `pause-${kubernetesMinor(release)}`;

/** The pinned chart `key` of config/versions.yaml (`charts.<key>`). */
export function pinnedChart(key: string): ChartPin {
  const chart = pinFile().charts?.[key];
  if (!chart) throw new Error(`config/versions.yaml: charts.${key}: expected a pinned chart, found nothing; pass the chart explicitly`);
  return chart;
}

/** Every pinned chart, by key. */
export function pinnedCharts(): Readonly<Record<string, ChartPin>> {
  return pinFile().charts ?? {};
}

/** The pinned manifest `key` of config/versions.yaml (`manifests.<key>`): URL and SHA-256. */
export function pinnedManifest(key: string): { readonly url: string; readonly sha256: string } {
  const pin = pinFile().manifests?.[key];
  if (typeof pin?.url !== 'string' || typeof pin.sha256 !== 'string')
    throw new Error(`config/versions.yaml: manifests.${key}: expected a pinned manifest { url, sha256 }, found nothing; pass it explicitly`);
  return pin;
}
