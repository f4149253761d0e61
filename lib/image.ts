/** Container image references: `registry/repository:tag` or `registry/repository@sha256:…`. */

export interface ImageRef {
  /** Registry host, e.g. `registry.example.org` or `docker.io`. */
  readonly registry: string;
  /** Repository path within the registry, e.g. `library/postgres`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST = '[a-zA-Z0-9]+(?:[.-][a-zA-Z0-9]+)*(?::[0-9]+)?';
const REFERENCE = new RegExp(
  `^(?<name>(?:${HOST}/)?${COMPONENT}(?:/${COMPONENT})*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$`,
);

/**
 * Parses an image reference. Returns an error text (what is expected) instead of throwing,
 * so config validation can report it with the field path.
 * Registry-less references are refused: the registry allowlist needs an explicit host.
 */
export function parseImage(ref: string): ImageRef | string {
  const m = REFERENCE.exec(ref);
  if (!m?.groups) return 'expected an image reference "registry.example.org/repository:tag" (or "@sha256:<digest>")';
  const { name, tag, digest } = m.groups;
  const [first, ...rest] = name.split('/');
  if (rest.length === 0 || (!/[.:]/.test(first) && first !== 'localhost')) {
    return `expected an explicit registry host before "${name}" (for example "docker.io/${name.includes('/') ? name : `library/${name}`}")`;
  }
  if (!tag && !digest) return 'expected a pinned tag or digest (an untagged image means "latest")';
  if (tag === 'latest') return 'expected a pinned tag or digest, not "latest" (it changes under you and cannot be rolled back)';
  return { registry: first, repository: rest.join('/'), tag, digest };
}

/**
 * Whether an image reference, registry or not, is pinned: by `digest`, by a `tag`, or not at all
 * (`untagged`, or `latest`); undefined when it is no image reference. For trees of any origin,
 * where parseImage()'s rules for our own config (an explicit registry) do not apply.
 */
export function imagePinning(ref: string): 'digest' | 'tag' | 'untagged' | 'latest' | undefined {
  const groups = REFERENCE.exec(ref)?.groups;
  if (!groups) return undefined;
  if (groups.digest) return 'digest';
  if (!groups.tag) return 'untagged';
  return groups.tag === 'latest' ? 'latest' : 'tag';
}

/** Formats an image reference, with an optional replacement tag. */
export function formatImage(image: ImageRef, tag?: string): string {
  const base = `${image.registry}/${image.repository}`;
  if (tag) return `${base}:${tag}`;
  return `${base}${image.tag ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`;
}

/** True when the image lives under one of the allowed prefixes (`registry` or `registry/path`). */
/**
 * Whether an image reference string falls under a prefix on whole path segments: `quay.io/jetstack`
 * covers `quay.io/jetstack/x:1`, and a prefix naming a whole repository (`docker.io/curlimages/curl`)
 * its tags and digests; neither covers a longer name. The rule the admission policies enforce.
 */
export function underImagePrefix(image: string, prefix: string): boolean {
  const p = prefix.replace(/\/$/, '');
  return image === p || ['/', ':', '@'].some((next) => image.startsWith(p + next));
}

export function isAllowedImage(image: ImageRef, allowed: readonly string[]): boolean {
  const full = `${image.registry}/${image.repository}`;
  return allowed.some((prefix) => full === prefix || full.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
}
