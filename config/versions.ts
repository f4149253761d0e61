/** The pinned versions (config/versions.yaml), validated like the platform config. */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { z } from 'zod';
import './zod-setup';
import { repoRoot } from '../lib/repo-root';
import { formatIssues } from './format-issues';
import { ConfigError } from './errors';

const chart = z.strictObject({
  repoURL: z.string().regex(/^(https:\/\/|oci:\/\/)/, { error: 'expected an https:// or oci:// chart repository' }),
  chart: z.string().min(1),
  /** Exact chart version: ranges would make the rendered cluster change without a commit. */
  version: z.string().regex(/^v?[0-9]+\.[0-9]+\.[0-9]+$/, { error: 'expected an exact chart version such as "1.2.3"' }),
  /**
   * Image repositories (`registry/path` prefixes) the chart's pods, and the pods its operator starts
   * in the chart's namespaces, pull from with our values: the admission allowlist of those namespaces
   * (charts/registry-policy.ts) and, by host, the egress list. The assembly check fails on a rendered
   * image outside them.
   */
  images: z
    .array(z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+$/, { error: 'expected an image repository prefix such as "quay.io/jetstack"' }))
    .min(1),
});

/** A manifest applied at bootstrap: fetched by URL, applied only when its bytes have this SHA-256. */
const manifest = z.strictObject({
  url: z.url({ protocol: /^https$/, error: 'expected an https:// URL' }),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected the SHA-256 of the file (64 lowercase hex digits; sha256sum prints it)' }),
  /** The images the pinned bytes pull (the egress allowlist). */
  images: z.array(z.string().min(1)).default([]),
});

const versionsSchema = z.strictObject({
  kubernetes: z.strictObject({
    release: z.string().regex(/^1\.[0-9]+\.[0-9]+$/, { error: 'expected an exact release such as "1.36.2"' }),
    apiLevel: z.string(),
  }),
  charts: z.record(z.string(), chart),
  images: z.record(z.string(), z.string().min(1)),
  manifests: z.record(z.string(), manifest),
});

export type Versions = z.infer<typeof versionsSchema>;
export type ChartVersion = z.infer<typeof chart>;
/** What the bootstrap needs of a manifest pin (images only feed the egress allowlist). */
export interface ManifestPin {
  readonly url: string;
  readonly sha256: string;
  readonly images?: readonly string[];
}

export function loadVersions(file: string = path.join(repoRoot(), 'config', 'versions.yaml')): Versions {
  const result = versionsSchema.safeParse(yaml.load(fs.readFileSync(file, 'utf8'), { schema: yaml.CORE_SCHEMA }), { reportInput: true });
  if (!result.success) throw new ConfigError(file, formatIssues(versionsSchema, result.error.issues));
  return result.data;
}

/** A chart pin by name; a missing pin is a programming error, so it throws. */
export function chartVersion(versions: Versions, name: string): ChartVersion {
  const pin = versions.charts[name];
  if (!pin) throw new Error(`config/versions.yaml: charts.${name}: expected a pinned chart, found nothing`);
  return pin;
}

export function imageVersion(versions: Versions, name: string): string {
  const pin = versions.images[name];
  if (!pin) throw new Error(`config/versions.yaml: images.${name}: expected a pinned image, found nothing`);
  return pin;
}

export function manifestPin(versions: Versions, name: string): ManifestPin {
  const pin = versions.manifests[name];
  if (!pin) throw new Error(`config/versions.yaml: manifests.${name}: expected a pinned manifest { url, sha256 }, found nothing`);
  return pin;
}
