/**
 * `dist/externals.json`: what the synthesized manifests refer to but do not create (Secrets the
 * repository never holds, StorageClasses of the cluster) and the Kubernetes release the hosts run.
 * Synthesis writes it beside the tree; the validator and the plan read it as a consumer would,
 * without rebuilding the platform.
 */
import * as fs from 'fs';
import * as path from 'path';

export const EXTERNALS_FILE = 'externals.json';

export interface Externals {
  /** `namespace/name` of Secrets created outside the manifests. */
  readonly secrets: readonly string[];
  /** StorageClasses that exist without being synthesized (`name` or `name:default`). */
  readonly storageClasses: readonly string[];
  /** The Kubernetes release the cluster runs (`.Capabilities.KubeVersion` of the chart renders). */
  readonly kubernetesRelease: string;
}

export function externalsJson(e: Externals): string {
  const doc = {
    about: 'Written by the synthesis: what these manifests refer to but never create. Read by `npm run validate` and `npm run plan`.',
    kubernetesRelease: e.kubernetesRelease,
    secrets: [...e.secrets].sort(),
    storageClasses: [...e.storageClasses].sort(),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The externals file of a synthesized tree: in a target folder or in its parent (`dist/` for `dist/production`). */
export function findExternals(targets: readonly string[]): { file: string; externals: Externals } | undefined {
  for (const target of targets) {
    for (const dir of [target, path.dirname(target)]) {
      const file = path.join(dir, EXTERNALS_FILE);
      if (fs.existsSync(file)) return { file, externals: JSON.parse(fs.readFileSync(file, 'utf8')) };
    }
  }
  return undefined;
}
