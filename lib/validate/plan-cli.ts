/**
 * `npm run plan [-- --env NAME ...] [DIR ...]`: how Argo CD would assemble a fresh
 * cluster from the synthesized tree, step by step (what each step applies, the CRDs it makes
 * available, what it waits for), and where it would stall. Exits 1 when it would.
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
import { ensureSchemaLocation, loadSchemaStore } from './schema-store';

const USAGE = 'usage: plan [--env NAME ...] [--update-readme FILE] [DIR ...]';
const START = '<!-- plan:start -->';
const END = '<!-- plan:end -->';

async function run(argv: string[]): Promise<number> {
  const envs: string[] = [];
  const dirs: string[] = [];
  let readme: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--env' || arg === '--update-readme') {
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
  if (readme) {
    // The README shows the plan as this command prints it, never a hand-written copy.
    const current = fs.readFileSync(readme, 'utf8');
    if (!current.includes(START) || !current.includes(END)) {
      console.error(`plan: ${readme} has no ${START} … ${END} block to replace`);
      return 2;
    }
    const block = `${START}\n\`\`\`\n$ npm run plan\n${text}\n\`\`\`\n`;
    fs.writeFileSync(readme, current.slice(0, current.indexOf(START)) + block + current.slice(current.indexOf(END)));
  }
  return result.findings.length ? 1 : 0;

  function usage(): number {
    console.error(USAGE);
    return 2;
  }
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

run(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    console.error(`plan: ${err.stack ?? err.message}`);
    process.exitCode = 2;
  },
);
