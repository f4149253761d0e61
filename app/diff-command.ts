/**
 * `npm run diff [-- --against REF] [--format terminal|markdown] [--fail-on CATEGORIES] [--config FILE]`: synthesizes
 * the work tree's platform into a temporary folder (dist/ is never touched) and compares it, object by object, with
 * dist/ as committed at a git ref (lib/diff/). Exit code 0; 1 when a flag of a `--fail-on` category is raised; 2 on
 * bad usage, a ref that is not a commit, or a config that does not synthesize.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from '../config/load';
import { ChartUnavailable } from '../lib/charts/chart-archive';
import { ToolUnavailable } from '../lib/charts/helm-binary';
import { withChartObjectsOfModeSwitch } from '../lib/diff/chart-objects';
import { TreeDocument } from '../lib/diff/model';
import { formatMarkdown } from '../lib/diff/format-markdown';
import { formatTerminal } from '../lib/diff/format-terminal';
import { diffTrees } from '../lib/diff/model';
import { CATEGORIES, RiskCategory } from '../lib/diff/risks';
import { defaultRef, describeRef, treeAtRef, treeOnDisk } from '../lib/diff/trees';
import { repoRoot } from '../lib/repo-root';
import { SynthError } from '../lib/synth-writer';
import { systemErrorLine } from '../lib/system-errors';
import { synthesize, SynthOptions } from './synth';

const USAGE = `usage: diff [--against GIT-REF] [--format terminal|markdown] [--fail-on CATEGORY[,CATEGORY...]] [--config FILE]
  categories: ${CATEGORIES.join(', ')}`;

export interface DiffCommandOptions {
  /** The repository whose committed dist/ is compared. @default - the project's root */
  readonly cwd?: string;
  /** Where synthesis finds the cluster's secrets, fingerprints and sealed inputs. @default - the repository's */
  readonly synth?: Omit<SynthOptions, 'configFile' | 'outdir'>;
}

interface Flags {
  against?: string;
  format: 'terminal' | 'markdown';
  failOn: RiskCategory[];
  config?: string;
}

function parseFlags(argv: readonly string[]): Flags | string {
  const flags: Flags = { format: 'terminal', failOn: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!['--against', '--format', '--fail-on', '--config'].includes(flag)) return `unknown argument "${flag}"`;
    if (value === undefined || value.startsWith('--')) return `${flag} needs a value`;
    i++;
    if (flag === '--against') flags.against = value;
    else if (flag === '--config') flags.config = value;
    else if (flag === '--format') {
      if (value !== 'terminal' && value !== 'markdown') return `--format ${value}: expected terminal or markdown`;
      flags.format = value;
    } else {
      const wanted = value.split(',').map((c) => c.trim());
      const unknown = wanted.filter((c) => !(CATEGORIES as readonly string[]).includes(c));
      if (unknown.length) return `--fail-on: unknown categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}; expected ${CATEGORIES.join(', ')}`;
      flags.failOn.push(...(wanted as RiskCategory[]));
    }
  }
  return flags;
}

export function main(argv: readonly string[], opts: DiffCommandOptions = {}): number {
  const flags = parseFlags(argv);
  if (typeof flags === 'string') {
    console.error(`diff: ${flags}\n${USAGE}`);
    return 2;
  }
  const cwd = opts.cwd ?? repoRoot();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-diff-'));
  try {
    const base = flags.against ? { ref: flags.against, description: describeRef(flags.against, cwd) } : defaultRef(cwd);
    let before;
    try {
      before = treeAtRef(base.ref, cwd);
    } catch (err) {
      console.error(`diff: ${(err as Error).message}`);
      return 2;
    }
    const outdir = path.join(scratch, 'dist');
    const configFile = flags.config ?? process.env.PLATFORM_CONFIG ?? path.join(cwd, DEFAULT_CONFIG);
    const sealed = process.env.PLATFORM_SEALED_DIR ? { sealedDir: process.env.PLATFORM_SEALED_DIR } : {};
    synthesize({ ...sealed, ...opts.synth, configFile, outdir });
    const after = treeOnDisk(outdir);
    for (const error of [...before.parseErrors, ...after.parseErrors]) console.error(`diff: left out ${error.file}: ${error.message}`);
    const compared = modeSwitchCompared(before.docs, after.docs, loadConfig(configFile).cluster.kubernetesVersion);
    const report = diffTrees(compared.before, compared.after);
    const against = base.description;
    const text = flags.format === 'markdown' ? formatMarkdown(report, { against }) : formatTerminal(report, { against });
    console.log(text.replace(/\n$/, ''));
    const failing = report.flags.filter((f) => flags.failOn.includes(f.category));
    if (failing.length) {
      console.error(
        `diff: ${failing.length} flag(s) of --fail-on ${[...new Set(flags.failOn)].join(',')}: ${[...new Set(failing.map((f) => f.id))].join(', ')}`,
      );
      return 1;
    }
    return 0;
  } catch (err) {
    const line = err instanceof ConfigError || err instanceof SynthError ? err.message : systemErrorLine(err);
    if (line === undefined) throw err; // a bug: keep its stack
    console.error(`diff: ${line}`);
    return 2;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Both trees, the Argo CD one completed with its charts' objects when the change switches gitops.mode (so the diff
 * shows what the cluster gets, lib/diff/chart-objects.ts); without the chart cache, the trees as they are, said so.
 */
function modeSwitchCompared(before: readonly TreeDocument[], after: readonly TreeDocument[], kubeVersion: string) {
  try {
    return withChartObjectsOfModeSwitch(before, after, kubeVersion);
  } catch (err) {
    if (!(err instanceof ChartUnavailable || err instanceof ToolUnavailable)) throw err;
    console.error(
      `diff: gitops.mode changes, and the charts cannot be rendered to compare what they create (${err.message}); their objects are listed as added or removed`,
    );
    return { before, after };
  }
}
