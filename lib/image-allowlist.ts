/**
 * Which image repositories each platform namespace may run, recorded on the construct tree by the
 * constructs that put pods there (directly, through a chart, or through an operator that starts them),
 * and read once by the composition root into the namespaces' admission policies
 * (charts/registry-policy.ts). Recorded like required Secrets (lib/warnings.ts), so a hand-composed
 * app collects them the same way.
 */
import { IConstruct } from 'constructs';
import { parseImage } from './image';

const ALLOWED_IMAGES = 'platform:allowedImages';

export interface NamespaceImages {
  readonly namespace: string;
  /** Image repository prefixes (`registry/path`), sorted. */
  readonly images: readonly string[];
}

/** Records that pods in `namespace` pull from these repository prefixes (`quay.io/jetstack`). */
export function allowImages(scope: IConstruct, namespace: string, prefixes: readonly string[]): void {
  scope.node.addMetadata(ALLOWED_IMAGES, { namespace, prefixes: [...prefixes] });
}

/** The repository of a pinned image (`quay.io/ceph/ceph:v19.2.3` → `quay.io/ceph/ceph`), as an allowlist prefix. */
export function imageRepository(image: string): string {
  const ref = parseImage(image);
  if (typeof ref === 'string') throw new Error(`image "${image}": ${ref}`);
  return `${ref.registry}/${ref.repository}`;
}

/** Every namespace's recorded prefixes below `roots`, merged, by namespace name. */
export function imageAllowlistsOf(...roots: IConstruct[]): NamespaceImages[] {
  const byNamespace = new Map<string, Set<string>>();
  for (const root of roots)
    for (const c of root.node.findAll())
      for (const m of c.node.metadata)
        if (m.type === ALLOWED_IMAGES) {
          const { namespace, prefixes } = m.data as { namespace: string; prefixes: string[] };
          const set = byNamespace.get(namespace) ?? new Set<string>();
          for (const p of prefixes) set.add(p.replace(/\/$/, ''));
          byNamespace.set(namespace, set);
        }
  return [...byNamespace.keys()].sort().map((namespace) => ({ namespace, images: [...byNamespace.get(namespace)!].sort() }));
}
