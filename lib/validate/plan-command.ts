/**
 * `npm run plan [-- --env NAME ...] [DIR ...]`: how Argo CD would assemble a fresh
 * cluster from the synthesized tree, step by step (what each step applies, the CRDs it makes
 * available, what it waits for), and where it would stall. Exits 1 when it would.
 * `npm run plan -- --kubectl [DIR]`: the apply plan of a kubectl-mode tree (`gitops.mode: kubectl`), the exact
 * commands in order, checked the same way (lib/validate/kubectl/plan.ts). An argocd-mode tree has no such plan:
 * it says so and how to synthesize the kubectl tree of the same config.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXTERNALS_FILE, findExternals } from '../externals';
import { repoRoot } from '../repo-root';
import { assemble } from './assemble';
import { formatPlan } from './assembly/format';
import { ChartUnavailable } from '../charts/chart-archive';
import { ToolUnavailable } from '../charts/helm-binary';
import { formatFinding, loadTree } from './index';
import { SourceDocument } from './document';
import { ensureSchemaLocation, isBuiltinKind, loadSchemaStore, SchemaStore } from './schema-store';
import { writeFileAtomic } from '../user-cache';
import { APPLYSETS_FILE } from '../kubectl-phases';
import { planKubectl } from './kubectl/plan';
import { formatKubectlPlan } from './kubectl/format';

const USAGE = 'usage: plan [--env NAME ...] [--kubectl] [--update-readme FILE] [DIR ...]';
const START = '<!-- plan:start -->';
const END = '<!-- plan:end -->';
const KUBECTL_START = '<!-- kubectl-plan:start -->';
const KUBECTL_END = '<!-- kubectl-plan:end -->';

/** `npm run plan` with `argv`: prints the plan and returns the exit code (lib/validate/plan-cli.ts runs it). */
export async function main(argv: string[]): Promise<number> {
  const envs: string[] = [];
  const dirs: string[] = [];
  let readme: string | undefined;
  let kubectl = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--kubectl') {
      kubectl = true;
    } else if (arg === '--env' || arg === '--update-readme') {
      const value = argv[++i];
      if (value === undefined) return usage();
      if (arg === '--env') envs.push(value);
      else readme = value;
    } else if (arg.startsWith('--')) {
      return usage();
    } else {
      dirs.push(arg);
    }
  }
  const dist = path.join(repoRoot(), 'dist');
  const targets = dirs.length
    ? dirs
    : fs.existsSync(dist)
      ? fs
          .readdirSync(dist, { withFileTypes: true })
          .filter((e) => e.isDirectory() && e.name !== 'hosts')
          .map((e) => path.join(dist, e.name))
          .sort()
      : [];
  const found = findExternals(dirs.length ? dirs : [dist]);
  if (!found) {
    console.error(`plan: no ${EXTERNALS_FILE} beside the tree (run \`npm run synth\` first)`);
    return 2;
  }
  const facts = found.externals;
  const tree = loadTree(targets);
  const store = loadSchemaStore(await ensureSchemaLocation());
  if (kubectl) {
    if (envs.length) return usage();
    return kubectlPlan(dirs.length ? dirs : [dist], tree.docs, store, facts, readme);
  }
  let result;
  try {
    result = assemble(tree.docs, {
      store,
      repoRoot: repoRoot(),
      kubeVersion: facts.kubernetesRelease,
      declaredSecrets: facts.secrets,
      declaredStorageClasses: facts.storageClasses,
    });
  } catch (err) {
    if (err instanceof ChartUnavailable || err instanceof ToolUnavailable) {
      console.error(`plan: cannot render the add-on charts: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (!result.plan) {
    console.error('plan: no root Application in dist/bootstrap/ (run `npm run synth` first)');
    return 2;
  }
  // An environment's syncs: the Applications of its folder, dist/<environment>/<app>.
  const envOf = (sync: string) => environmentFolders(tree.docs).get(sync);
  const syncs = [...new Set(result.plan.steps.map((s) => s.sync))];
  const unknown = envs.filter((e) => !syncs.some((s) => envOf(s) === e));
  if (unknown.length) {
    console.error(`plan: no environment ${unknown.join(', ')} in the tree (environments: ${[...new Set(syncs.map(envOf).filter(Boolean))].join(', ')})`);
    return 2;
  }
  const text = formatPlan(result.plan, envs.length ? { syncs: syncs.filter((s) => envs.includes(envOf(s) ?? '')) } : {});
  console.log(text);
  for (const f of result.findings) console.log(formatFinding(f));
  // The README shows the plan as this command prints it, never a hand-written copy.
  if (readme && !updateReadme(readme, START, END, `$ npm run plan\n${text}`)) return 2;
  return result.findings.length ? 1 : 0;

  function usage(): number {
    console.error(USAGE);
    return 2;
  }
}

/** `--kubectl`: the apply plan of the kubectl-mode tree in `dirs[0]` (its `applysets.json` marks the mode). */
function kubectlPlan(
  dirs: readonly string[],
  docs: readonly SourceDocument[],
  store: SchemaStore,
  facts: { secrets: readonly string[]; storageClasses: readonly string[] },
  readme: string | undefined,
): number {
  const distDir = path.resolve(dirs[0]);
  const listFile = path.join(distDir, APPLYSETS_FILE);
  if (dirs.length !== 1 || !fs.existsSync(listFile)) {
    console.error(
      `plan: --kubectl plans a kubectl-mode tree (gitops.mode: kubectl) and ${dirs.join(' ')} is not one (no ${APPLYSETS_FILE}). ` +
        'Synthesize the kubectl tree of your config beside the committed one: copy the config with `gitops: { mode: kubectl }`, ' +
        '`npm run synth -- --config <copy> --outdir <dir> --force`, then `npm run plan -- --kubectl <dir>` (the commands name it dist/)',
    );
    return 2;
  }
  const plan = planKubectl({
    docs,
    distDir,
    isBuiltin: isBuiltinKind(store),
    declaredSecrets: facts.secrets,
    declaredStorageClasses: facts.storageClasses,
    applySets: JSON.parse(fs.readFileSync(listFile, 'utf8')),
  });
  const text = formatKubectlPlan(plan);
  // Standard output stays a script a person can run (`… | bash -e`); the findings go to standard error.
  console.log(text);
  for (const f of plan.findings) console.error(formatFinding(f));
  if (readme && !updateReadme(readme, KUBECTL_START, KUBECTL_END, `$ npm run plan -- --kubectl\n${text}`)) return 2;
  return plan.findings.length ? 1 : 0;
}

/**
 * Replaces the code block between `start` and `end` in `readme` with `text`, through a temp file and a rename so that
 * a kill never leaves a cut README; false (said on stderr) when the markers are missing.
 */
function updateReadme(readme: string, start: string, end: string, text: string): boolean {
  const current = fs.readFileSync(readme, 'utf8');
  if (!current.includes(start) || !current.includes(end)) {
    console.error(`plan: ${readme} has no ${start} … ${end} block to replace`);
    return false;
  }
  writeFileAtomic(readme, current.slice(0, current.indexOf(start)) + `${start}\n\`\`\`\n${text}\n\`\`\`\n` + current.slice(current.indexOf(end)));
  return true;
}

/** Application name → the environment whose folder it syncs (`dist/<environment>/...`), for directory Applications outside dist/cluster. */
function environmentFolders(docs: readonly SourceDocument[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of docs) {
    const source = d.object?.kind === 'Application' ? String(d.object.spec?.source?.path ?? '') : '';
    const env = /^dist\/([^/]+)(\/|$)/.exec(source)?.[1];
    if (env && env !== 'cluster' && env !== 'bootstrap') out.set(String(d.object.metadata?.name), env);
  }
  return out;
}
