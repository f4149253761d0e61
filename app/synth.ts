/**
 * Synthesis from a config file to an output directory: load and validate, build, check the
 * platform-wide rules, render, then swap the result into place. Shared by main.ts, the tests
 * and the benchmark, so they all exercise the same path.
 */
import { loadConfig } from '../config/load';
import { loadVersions } from '../config/versions';
import { loadOrCreateBootstrapSecrets, secretsFileFor } from '../bootstrap/secrets';
import { buildPlatform } from './platform';
import { checkExposure } from '../lib/exposure';
import { EXTERNALS_FILE, externalsJson } from '../lib/externals';
import { writeAtomically } from '../lib/atomic-write';
import { CONSTRUCT_INDEX, render, SynthError, UnitSummary } from '../lib/synth-writer';
import { drainWarnings, Warning } from '../lib/warnings';

export interface SynthOptions {
  readonly configFile: string;
  /** @default 'dist' */
  readonly outdir?: string;
  /** Folder of the per-cluster bootstrap secrets files (git-ignored). @default '<repo>/secrets' */
  readonly secretsDir?: string;
}

export interface SynthResult {
  readonly summaries: UnitSummary[];
  readonly warnings: Warning[];
  readonly externalSecrets: string[];
  readonly externalStorageClasses: string[];
}

/** Throws ConfigError or SynthError (nothing written) on bad input. */
export function synthesize(opts: SynthOptions): SynthResult {
  drainWarnings();
  const config = loadConfig(opts.configFile);
  const versions = loadVersions();
  const { secrets } = loadOrCreateBootstrapSecrets(secretsFileFor(config.cluster.name, opts.secretsDir));
  let build;
  try {
    build = buildPlatform(config, versions, { secrets });
  } catch (err) {
    // Constructs refuse impossible input eagerly with a plain Error that says what to change;
    // show it like a failed validation. Anything else (a TypeError) is a bug: keep its stack.
    if (err instanceof Error && err.constructor === Error) throw new SynthError([err.message]);
    throw err;
  }
  const { files, summaries, objects, index } = render(build.units);
  const exposure = checkExposure(objects, build.protectedServices);
  if (exposure.length) throw new SynthError(exposure);
  const externals = {
    path: EXTERNALS_FILE,
    content: externalsJson({
      secrets: build.externalSecrets,
      storageClasses: build.externalStorageClasses,
      kubernetesRelease: config.cluster.kubernetesVersion,
    }),
  };
  // Every manifest leads to the construct that made it in one hop.
  const constructs = { path: CONSTRUCT_INDEX, content: `${JSON.stringify(sortedKeys(index), null, 2)}\n` };
  writeAtomically(opts.outdir ?? 'dist', files, [...build.extraFiles, externals, constructs]);
  return { summaries, warnings: drainWarnings(), externalSecrets: build.externalSecrets, externalStorageClasses: build.externalStorageClasses };
}

/** The table printed after a successful synthesis: folder, files, objects by kind. */
export function formatSummary(summaries: readonly UnitSummary[]): string {
  const rows = summaries.map((s) => [
    s.dir,
    String(s.files),
    Object.entries(s.kinds)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${n}`)
      .join(', '),
  ]);
  const header = ['environment', 'files', 'objects by kind'];
  const widths = [0, 1].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])}  ${r[2]}`;
  return [line(header), ...rows.map(line)].join('\n');
}

function sortedKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
