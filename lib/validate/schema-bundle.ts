/**
 * The schema bundle committed in `schemas/`, so that validation works on a fresh clone, offline: the
 * Kubernetes definitions of the releases we validate against and the CRD versions of the kinds our
 * constructs emit, without their descriptions (half the size, and validation never reads them).
 * Made by `npm run schemas` from the pinned upstream files (`pinnedSources`), like `imports/`.
 */
import { createHash } from 'crypto';
import * as path from 'path';
import { writeAtomically } from '../atomic-write';
import * as yaml from 'js-yaml';
import { PinnedFile } from './schema-store';
import { byOrdinal } from '../order';

/** `crds/<file>.yaml` of a schema location → the kinds to keep (scripts/crd-kinds.json). */
export type KindsByFile = Readonly<Record<string, readonly string[]>>;

/** Schema keywords whose value is a schema, or a map or list of schemas (JSON Schema / OpenAPI v3). */
const SCHEMA_KEYS = ['items', 'additionalProperties', 'not'];
const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf'];

/**
 * A copy of a schema without `description` keywords. Only the keyword goes: a property that is
 * itself named `description` (a key of `properties`) stays.
 */
export function withoutDescriptions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDescriptions);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description' && typeof value === 'string') continue;
    if (SCHEMA_KEYS.includes(key)) out[key] = withoutDescriptions(value);
    else if (SCHEMA_MAPS.includes(key) && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, withoutDescriptions(s)]));
    } else if (SCHEMA_LISTS.includes(key)) out[key] = withoutDescriptions(value);
    else out[key] = value;
  }
  return out;
}

/** A CRD cut to its served versions' schemas (what the validator reads), descriptions dropped. */
function trimCrd(crd: any): any {
  return {
    apiVersion: crd.apiVersion,
    kind: crd.kind,
    metadata: { name: crd.metadata?.name },
    spec: {
      group: crd.spec.group,
      names: crd.spec.names,
      scope: crd.spec.scope,
      versions: (crd.spec.versions ?? [])
        .filter((v: any) => v.served !== false)
        .map((v: any) => ({
          name: v.name,
          served: true,
          storage: v.storage,
          ...(v.schema ? { schema: { openAPIV3Schema: withoutDescriptions(v.schema.openAPIV3Schema) } } : {}),
        })),
    },
  };
}

export interface BundleFile {
  readonly file: string;
  readonly content: string;
}

/**
 * The bundle's files from the pinned sources' texts (`read` returns a source file's text).
 * Throws when a kind to keep is missing from its source.
 */
export function bundle(sources: readonly PinnedFile[], read: (source: PinnedFile) => string, kinds: KindsByFile): BundleFile[] {
  const files: BundleFile[] = [];
  const provenance: Record<string, { urls: readonly string[]; sha256: string }> = {};
  for (const source of sources) {
    const text = read(source);
    provenance[source.file] = { urls: source.urls, sha256: createHash('sha256').update(text).digest('hex') };
    if (source.file.startsWith('kubernetes/')) {
      const definitions = JSON.parse(text).definitions;
      files.push({ file: source.file, content: `${JSON.stringify(withoutDescriptions({ definitions }))}\n` });
      continue;
    }
    const name = path.basename(source.file);
    const wanted = kinds[name];
    if (!wanted) continue;
    const crds = yaml
      .loadAll(text, undefined, { schema: yaml.CORE_SCHEMA })
      .filter((d: any) => d?.kind === 'CustomResourceDefinition' && wanted.includes(d.spec?.names?.kind));
    const missing = wanted.filter((k) => !crds.some((d: any) => d.spec.names.kind === k));
    if (missing.length) throw new Error(`${source.file}: no CustomResourceDefinition for ${missing.join(', ')}`);
    const trimmed = crds.map(trimCrd).sort((a, b) => byOrdinal(a.metadata.name, b.metadata.name));
    files.push({ file: `crds/${name.replace(/\.ya?ml$/, '.json')}`, content: `${JSON.stringify(trimmed)}\n` });
  }
  files.push({ file: 'SOURCES.json', content: `${JSON.stringify(provenance, null, 2)}\n` });
  return files.sort((a, b) => byOrdinal(a.file, b.file));
}

/** Writes the bundle into `target`, swapped in only when complete (the old bundle stays if anything fails). */
export function writeBundle(target: string, files: readonly BundleFile[]): void {
  writeAtomically(target, new Map([...files.map((f): [string, string] => [f.file, f.content]), ['README.md', README]]));
}

const README = `# Generated: the validator's schema bundle

Made by \`npm run schemas\` from the pinned upstream files (the Kubernetes definitions of cdk8s and the
CRD URLs in \`cdk8s.yaml\`; \`SOURCES.json\` lists each source with its SHA-256), cut to the CRD versions
of the kinds the constructs emit (\`scripts/crd-kinds.json\`) and without descriptions. Never edit it
by hand; \`SCHEMA_LOCATION\` points the validator at another schema folder (e.g. the full upstream one).
`;
