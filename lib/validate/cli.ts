/**
 * `npm run validate [-- path ...]`: validates synthesized manifests as one cluster and exits 1 on any finding.
 * Downloads the pinned schemas on first use when no local schema location is configured.
 */
import * as fs from 'fs';
import * as path from 'path';
import { compareFindings, ValidateOptions } from './document';
import { formatFinding, loadTree, validateDocuments } from './index';
import { repoRoot } from '../repo-root';
import { ensureSchemaLocation, loadSchemaStore } from './schema-store';

const USAGE = 'usage: validate [dir|file ...] [--schemas DIR] [--declare-secret ns/name] [--declare-configmap ns/name] [--declare-storageclass name[:default]]';

const DECLARE_FLAGS = {
  '--declare-secret': 'secrets',
  '--declare-configmap': 'configMaps',
  '--declare-storageclass': 'storageClasses',
} as const;

/**
 * Runs the validator and returns the exit code: 0 when clean, 1 on findings, 2 on bad usage.
 * `base` lets a caller add objects it knows exist (for example Secrets declared in the platform config).
 */
export async function main(argv: readonly string[], base: ValidateOptions = {}): Promise<number> {
  const paths: string[] = [];
  let schemas = base.schemaLocation;
  const declared = {
    secrets: [...(base.declared?.secrets ?? [])],
    configMaps: [...(base.declared?.configMaps ?? [])],
    storageClasses: [...(base.declared?.storageClasses ?? [])],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      paths.push(arg);
      continue;
    }
    const value = argv[++i];
    if (value === undefined || !(arg === '--schemas' || arg in DECLARE_FLAGS)) {
      console.error(USAGE);
      return 2;
    }
    if (arg === '--schemas') schemas = value;
    else declared[DECLARE_FLAGS[arg as keyof typeof DECLARE_FLAGS]].push(value);
  }
  const targets = paths.length ? paths : defaultPaths();
  const missing = targets.filter((p) => !fs.existsSync(p));
  if (missing.length) {
    console.error(`validate: no such file or folder: ${missing.join(', ')} (run \`npm run synth\` first?)`);
    return 2;
  }

  const location = await ensureSchemaLocation(schemas);
  const tree = loadTree(targets);
  const findings = [...tree.parseErrors, ...validateDocuments(tree.docs, { schemaLocation: location, declared })].sort(compareFindings);
  for (const f of findings) console.log(formatFinding(f));

  const store = loadSchemaStore(location);
  const schemaSummary = `Kubernetes ${[...store.kubernetes.keys()].join(', ')} and ${store.crds.size} CRD versions from ${location}`;
  console.log(`validate: ${tree.docs.length} documents in ${tree.files.length} files checked against ${schemaSummary}: ${findings.length} finding(s)`);
  if (tree.docs.length === 0) {
    // A validator that passes because it found nothing would hide a broken synth.
    console.error(`validate: no manifests found in ${paths.length ? paths.join(', ') : 'dist/'}`);
    return 1;
  }
  return findings.length ? 1 : 0;
}

/** `dist/*` except `dist/hosts`, which holds per-host cloud-init files, not manifests. */
function defaultPaths(): string[] {
  const dist = path.relative(process.cwd(), path.join(repoRoot(), 'dist')) || '.';
  if (!fs.existsSync(dist)) return [dist];
  return fs.readdirSync(dist).filter((name) => name !== 'hosts').sort().map((name) => path.join(dist, name));
}
