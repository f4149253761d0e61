/**
 * Refreshing a manifest pin of config/versions.yaml after its URL's tag changed (a dependency bot
 * bumps the tag; the SHA-256 and the image list must follow). The new bytes are verified, not
 * trusted: they must be Kubernetes objects, and every image they pull must come from a repository
 * the pin already records, since a new one changes the admission allowlist and the hosts' egress
 * and needs a person to review it.
 */
import { createHash } from 'crypto';
import * as yaml from 'js-yaml';
import { byOrdinal } from '../lib/order';

/** `registry/path` of an image reference, without its tag or digest. */
export const imageRepositoryOf = (image: string): string => image.replace(/@sha256:[0-9a-f]+$/, '').replace(/:[^:/]+$/, '');

/** Every container image the manifest's objects run (containers, init and ephemeral containers), sorted. */
export function manifestImages(objects: readonly unknown[]): string[] {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (['containers', 'initContainers', 'ephemeralContainers'].includes(key) && Array.isArray(value))
        for (const c of value) if (typeof c?.image === 'string') found.add(c.image);
      walk(value);
    }
  };
  walk(objects);
  return [...found].sort(byOrdinal);
}

export interface RefreshedPin {
  /** The versions file with the entry's sha256 and images replaced (comments kept). */
  readonly text: string;
  readonly sha256: string;
  readonly images: readonly string[];
  readonly changed: boolean;
  /** Why the new bytes were refused; the text is unchanged when there are any. */
  readonly problems: readonly string[];
}

/** The versions file text with manifest `name` pinned to `manifest` (the downloaded bytes). */
export function refreshManifestPin(versionsText: string, name: string, manifest: string): RefreshedPin {
  const sha256 = createHash('sha256').update(manifest).digest('hex');
  const problems: string[] = [];
  let objects: unknown[] = [];
  try {
    objects = yaml.loadAll(manifest).filter(Boolean);
  } catch (err) {
    problems.push(`manifests.${name}: the downloaded file is not YAML (${(err as Error).message.split('\n')[0]})`);
  }
  for (const [i, o] of objects.entries())
    if (!(o as any)?.apiVersion || !(o as any)?.kind) problems.push(`manifests.${name}: document ${i + 1} is not a Kubernetes object (no apiVersion or kind)`);
  if (!objects.length && !problems.length) problems.push(`manifests.${name}: the downloaded file holds no objects`);
  const block = new RegExp(`(\\n  ${name}:\\n(?:    #.*\\n)*    url: \\S+\\n    sha256: )([0-9a-f]{64})(\\n    images: \\[)([^\\]]*)(\\])`);
  const match = block.exec(versionsText);
  if (!match)
    return {
      text: versionsText,
      sha256,
      images: [],
      changed: false,
      problems: [...problems, `manifests.${name}: no url/sha256/images entry found in the versions file`],
    };
  const recorded = match[4]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const images = manifestImages(objects);
  const known = new Set(recorded.map(imageRepositoryOf));
  for (const image of images)
    if (!known.has(imageRepositoryOf(image)))
      problems.push(
        `manifests.${name}: the new manifest pulls ${image}, from a repository the pin does not record (${[...known].join(', ')}): review and add it by hand`,
      );
  if (!images.length && recorded.length) problems.push(`manifests.${name}: the new manifest runs no images, the pin records ${recorded.join(', ')}`);
  if (problems.length) return { text: versionsText, sha256, images, changed: false, problems };
  const text = versionsText.replace(block, (_all, head, _sha, open, _list, close) => `${head}${sha256}${open}${images.join(', ')}${close}`);
  return { text, sha256, images, changed: text !== versionsText, problems };
}
