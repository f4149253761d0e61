/**
 * `npm run validate [-- path ...]`: validates synthesized manifests as one cluster, renders the add-on charts
 * and plans the assembly, and exits 1 on any finding.
 * Downloads the pinned schemas on first use when no local schema location is configured.
 */
import * as fs from 'fs';
import * as path from 'path';
import { recoverInterrupted } from '../atomic-write';
import { findExternals } from '../externals';
import { repoRoot } from '../repo-root';
import { assemble, AssemblyResult } from './assemble';
import { ChartUnavailable, locateChart } from '../charts/chart-archive';
import { chartApplications } from './charts/applications';
import { archiveAppVersion, schemaPinProblems } from './schema-pins';
import { ToolUnavailable } from '../charts/helm-binary';
import { compareFindings, Finding, finding, ValidateOptions } from './document';
import { loadTreeAtRef } from './git-tree';
import { formatFinding, loadTree, validateDocumentsWithReport } from './index';
import { formatCelSummary } from './cel-check';
import { ensureSchemaLocation, loadSchemaStore, pinnedSources } from './schema-store';
import { checkUpgrade } from './upgrade-check';

const USAGE =
  'usage: validate [dir|file ...] [--schemas DIR] [--skip-charts] [--against GIT-REF] [--declare-secret ns/name] [--declare-configmap ns/name] [--declare-storageclass name[:default]]';

const DECLARE_FLAGS = {
  '--declare-secret': 'secrets',
  '--declare-configmap': 'configMaps',
  '--declare-storageclass': 'storageClasses',
} as const;

export interface CliOptions extends ValidateOptions {
  /** The cluster's Kubernetes release, for rendering the charts. @default - the newest schema version */
  readonly kubeVersion?: string;
}

/**
 * Runs the validator and returns the exit code: 0 when clean, 1 on findings, 2 on bad usage or when the
 * charts cannot be rendered. `base` lets a caller add objects it knows exist (Secrets declared in the config).
 */
export async function main(argv: readonly string[], base: CliOptions = {}): Promise<number> {
  const paths: string[] = [];
  let schemas = base.schemaLocation;
  let skipCharts = false;
  let against: string | undefined;
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
    if (arg === '--skip-charts') {
      skipCharts = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined || !(arg === '--schemas' || arg === '--against' || arg in DECLARE_FLAGS)) {
      console.error(USAGE);
      return 2;
    }
    if (arg === '--schemas') schemas = value;
    else if (arg === '--against') against = value;
    else declared[DECLARE_FLAGS[arg as keyof typeof DECLARE_FLAGS]].push(value);
  }
  const targets = paths.length ? paths : defaultPaths();
  const missing = targets.filter((p) => !fs.existsSync(p));
  if (missing.length) {
    console.error(`validate: no such file or folder: ${missing.join(', ')} (run \`npm run synth\` first?)`);
    return 2;
  }
  // What a synthesized tree declares beside it: `dist/externals.json`.
  const externals = findExternals(targets)?.externals;
  declared.secrets.push(...(externals?.secrets ?? []));
  declared.storageClasses.push(...(externals?.storageClasses ?? []));

  const location = await ensureSchemaLocation(schemas);
  const store = loadSchemaStore(location);
  const tree = loadTree(targets);
  let assembly: AssemblyResult | undefined;
  if (!skipCharts) {
    try {
      assembly = assemble(tree.docs, {
        store,
        repoRoot: repoRoot(),
        kubeVersion: base.kubeVersion ?? externals?.kubernetesRelease ?? [...store.kubernetes.keys()].pop()!.slice(1),
        declaredSecrets: declared.secrets,
        declaredStorageClasses: declared.storageClasses,
      });
    } catch (err) {
      if (err instanceof ChartUnavailable || err instanceof ToolUnavailable) {
        console.error(`validate: cannot render the add-on charts: ${err.message}\n(--skip-charts checks the documents alone, without the assembly)`);
        return 2;
      }
      throw err;
    }
  }
  const upgrade = against
    ? checkUpgrade(
        loadTreeAtRef(
          against,
          targets.map((t) => path.relative(repoRoot(), path.resolve(t))),
        ).docs,
        tree.docs,
      )
    : [];
  const documents = validateDocumentsWithReport([...tree.docs, ...(assembly?.rendered ?? [])], { schemaLocation: location, declared });
  const findings = [
    ...tree.parseErrors,
    ...documents.findings,
    ...(assembly?.findings ?? []),
    ...upgrade,
    ...(assembly ? schemaPinFindings(tree.docs) : []),
  ].sort(compareFindings);
  for (const f of findings) console.log(formatFinding(f));

  const schemaSummary = `Kubernetes ${[...store.kubernetes.keys()].join(', ')} and ${store.crds.size} CRD versions from ${location}`;
  const charts = assembly
    ? `, ${assembly.rendered.length} objects rendered from the charts${assembly.plan ? `, assembly planned in ${assembly.plan.steps.length} steps` : ''}`
    : '';
  console.log(
    `validate: ${tree.docs.length} documents in ${tree.files.length} files${charts}${against ? `, upgrade from ${against}` : ''} checked against ${schemaSummary}: ${findings.length} finding(s)`,
  );
  console.log(formatCelSummary(documents.cel));
  if (tree.docs.length === 0) {
    // A validator that passes because it found nothing would hide a broken synth.
    console.error(`validate: no manifests found in ${paths.length ? paths.join(', ') : 'dist/'}`);
    return 1;
  }
  return findings.length ? 1 : 0;
}

/** Each chart Application whose chart installs other CRDs than those the schemas were made from (lib/validate/schema-pins.ts). */
function schemaPinFindings(docs: Parameters<typeof chartApplications>[0]): Finding[] {
  const urls = pinnedSources().flatMap((s) => s.urls);
  return chartApplications(docs).flatMap((app) => {
    const { chart, version } = app.request.chart;
    return schemaPinProblems([{ chart, version, appVersion: archiveAppVersion(locateChart(app.request.chart).path) }], urls).map((message) =>
      finding(app.doc, 'spec.source.targetRevision', message),
    );
  });
}

/** The folders of `dist/` except `dist/hosts`, which holds per-host cloud-init files, not manifests. */
function defaultPaths(): string[] {
  const dist = path.relative(process.cwd(), path.join(repoRoot(), 'dist')) || '.';
  recoverInterrupted(dist); // a synthesis killed mid-swap leaves the previous tree aside: put it back
  if (!fs.existsSync(dist)) return [dist];
  return fs
    .readdirSync(dist, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'hosts')
    .map((e) => path.join(dist, e.name))
    .sort();
}
