/**
 * Entry point: `npm run synth [-- --config path] [--outdir dir] [--force]` (also `cdk8s synth`).
 * Loads the platform config, synthesizes every environment into dist/, prints a summary.
 */
import * as fs from 'fs';
import * as path from 'path';
import { closest, distance } from 'fastest-levenshtein';
import { ConfigError, DEFAULT_CONFIG } from './config/load';
import { formatSummary, pinExpiryWarnings, synthesize } from './app/synth';
import { outdirProblem } from './lib/outdir-guard';
import { repoRoot } from './lib/repo-root';
import { SynthError } from './lib/synth-writer';
import { systemErrorLine } from './lib/system-errors';

const USAGE = 'usage: synth [--config FILE] [--outdir DIR] [--force]';
const VALUE_FLAGS = ['--config', '--outdir'] as const;
const SWITCHES = ['--force'] as const;

interface Flags {
  config?: string;
  outdir?: string;
  force: boolean;
}

/** Flags and their values; anything else is a usage error, so a typo never synthesizes the wrong thing. */
function parseFlags(args: string[]): Flags | string {
  const flags: Flags = { force: false };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if ((SWITCHES as readonly string[]).includes(flag)) {
      flags.force = true;
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) {
      const guess = flag.startsWith('-') ? closest(flag, [...VALUE_FLAGS, ...SWITCHES]) : undefined;
      return `unknown argument "${flag}"${guess && distance(flag, guess) <= 3 ? ` (did you mean "${guess}"?)` : ''}`;
    }
    const value = args[++i];
    if (value === undefined || value.startsWith('--')) return `${flag} needs a value`;
    flags[flag === '--config' ? 'config' : 'outdir'] = value;
  }
  return flags;
}

function main(args: string[]): number {
  const flags = parseFlags(args);
  if (typeof flags === 'string') {
    console.error(`synth: ${flags}\n${USAGE}`);
    return 2;
  }
  const configFile = flags.config ?? process.env.PLATFORM_CONFIG ?? DEFAULT_CONFIG;
  const outdir = flags.outdir ?? 'dist';
  const refused = outdirProblem(outdir, repoRoot(), flags.force);
  if (refused) {
    console.error(`synth: ${refused}\nnothing written`);
    return 2;
  }
  // Under `cdk8s synth` the CLI reads our stdout (and with --stdout prints only manifests): report on stderr.
  const cdk8sOutdir = process.env.CDK8S_OUTDIR;
  const report = cdk8sOutdir ? console.error : console.log;
  try {
    // PLATFORM_SEALED_DIR: another folder of sealed inputs than the repository's sealed/ (the tests use an empty one).
    const result = synthesize({ configFile, outdir, ...(process.env.PLATFORM_SEALED_DIR ? { sealedDir: process.env.PLATFORM_SEALED_DIR } : {}) });
    for (const w of result.warnings) console.warn(`warning [${w.id}]: ${w.message}`);
    // Read against today's date here, at the edge: synthesis itself never reads the clock.
    for (const line of pinExpiryWarnings(new Date())) console.warn(`warning [platform:bootstrap:aptKeyExpiring]: ${line}`);
    report(formatSummary(result.summaries));
    report(`\n${outdir}/ written from ${configFile}`);
    report(`Outbound connections the platform needs: ${outdir}/egress.md (${result.egressRules} hosts and ports)`);
    if (result.hostFilesSkipped) console.warn(`note: ${result.hostFilesSkipped}`);
    else
      console.warn(
        `note: ${outdir}/hosts/*/user-data hold the cluster's CA and encryption keys: boot each host from a NoCloud seed attached as a CD-ROM (bootstrap/README.md), never through a metadata service its pods can read.`,
      );
    if (result.deployKey) report(`Argo CD reads the GitOps repository with this deploy key (add it there, read-only): ${result.deployKey}`);
    // What the cluster needs before the workloads can start, and the repo must never hold.
    if (result.sealsSecrets) report(`Secrets not sealed in git, to create in the cluster: ${result.unsealedSecrets.join(', ') || 'none'}`);
    else
      report(
        `Secrets to create in the cluster (never in git): ${result.externalSecrets.join(', ') || 'none'} (or seal them in git: npm run secrets -- --sealing-key, then npm run seal; docs/secrets.md)`,
      );
    if (cdk8sOutdir) copyManifests(outdir, cdk8sOutdir);
    return 0;
  } catch (err) {
    const line = err instanceof ConfigError || err instanceof SynthError ? err.message : systemErrorLine(err);
    if (line === undefined) throw err; // a bug: keep its stack
    console.error(line);
    console.error(`\nnothing written; ${outdir}/ is unchanged`);
    return 1;
  }
}

/**
 * `cdk8s synth` empties its output folder before running us and then lists (or, with --stdout,
 * prints) the manifests it finds there; dist/ is written atomically by us, so the CLI gets a copy of
 * the manifests, without the host files (they hold bootstrap secrets).
 */
function copyManifests(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  fs.cpSync(from, to, { recursive: true, filter: (src) => path.relative(from, src).split(path.sep)[0] !== 'hosts' });
}

process.exitCode = main(process.argv.slice(2));
