/**
 * Synthesis and validation benchmark: whole-process wall time (what a user waits for), median of
 * several runs, for the default platform, the same platform with 10 and 100 preview branches, the
 * default platform through stock cdk8s's ts-node command, and `npm run validate` with and without
 * rendering the charts and planning the assembly.
 *
 *   npm run bench                 print the table
 *   npm run bench -- --write      also record it in bench/README.md
 *   npm run bench -- --runs 9     more runs per case (default 5; ts-node gets 3)
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { repoRoot } from '../lib/repo-root';

const root = repoRoot();
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));

/** The default config with `n` preview branches on its first app. */
function withPreviews(n: number): string {
  const config = yaml.load(fs.readFileSync(path.join(root, 'config/platform.yaml'), 'utf8')) as any;
  const app = Object.values(config.apps)[0] as any;
  app.environments.previews.branches = Array.from({ length: n }, (_, i) => `feature/bench-${i}`);
  // Many previews need a wildcard certificate (a Gateway has at most 64 listeners, and Let's
  // Encrypt issues 50 certificates per domain and week): configure DNS-01 as such a user would.
  config.edge.tls.dns01 = { rfc2136: { nameserver: 'ns1.berkeleytime.com:53', tsigKeyName: 'cert-manager', tsigSecret: { secret: 'tsig', key: 'secret' } } };
  const file = path.join(tmp, `previews-${n}.yaml`);
  fs.writeFileSync(file, yaml.dump(config));
  return file;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall time in seconds of a command run from the repo root. */
function time(cmd: string, cmdArgs: string[], n: number, env: Record<string, string> = {}): number {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    execFileSync(cmd, cmdArgs, { cwd: root, stdio: 'ignore', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...env } });
    samples.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return median(samples);
}

const out = (name: string) => path.join(tmp, `dist-${name}`);
const fast = (config: string, name: string) => time(process.execPath, ['scripts/run.js', 'main.ts', '--config', config, '--outdir', out(name)], runs);

const cases: { name: string; seconds: number; target: string }[] = [];
const base = fast('config/platform.yaml', 'default');
cases.push({ name: 'default platform (node scripts/run.js main.ts)', seconds: base, target: '<= 1.0 s' });
cases.push({ name: 'default + 10 preview branches', seconds: fast(withPreviews(10), 'p10'), target: '' });
cases.push({ name: 'default + 100 preview branches', seconds: fast(withPreviews(100), 'p100'), target: '<= 5 s' });
const tsNode = time(path.join(root, 'node_modules/.bin/ts-node'), ['main.ts', '--outdir', out('ts-node')], Math.min(runs, 3));
cases.push({ name: 'default platform, stock cdk8s runner (npx ts-node main.ts)', seconds: tsNode, target: '' });

// Validation of the committed dist/: documents alone, then with every chart rendered and the assembly
// planned (warm render cache, as on every run after the first), then once with an empty cache.
execFileSync(process.execPath, ['scripts/run.js', 'main.ts'], { cwd: root, stdio: 'ignore' });
const validate = ['scripts/run.js', 'lib/validate/platform-cli.ts'];
const documentsOnly = time(process.execPath, [...validate, '--skip-charts'], runs);
const assembled = time(process.execPath, validate, runs);
const cold = time(process.execPath, validate, 1, { XDG_CACHE_HOME: fs.mkdtempSync(path.join(tmp, 'cache-')) });
cases.push({ name: 'npm run validate -- --skip-charts (documents only)', seconds: documentsOnly, target: '' });
cases.push({ name: 'npm run validate (charts rendered, assembly planned; warm render cache)', seconds: assembled, target: '' });
cases.push({ name: '  added by rendering and planning (warm)', seconds: assembled - documentsOnly, target: '<= 3 s' });
cases.push({ name: 'npm run validate, empty render cache (one run; includes unpacking helm)', seconds: cold, target: '' });

// The test suite as `npm test` runs it (jest only: the cloud-init install of `pretest` is a one-off), once.
const tests = time(process.execPath, [path.join(root, 'node_modules/jest/bin/jest.js'), '--silent'], 1);
cases.push({ name: 'npm test (jest, one run)', seconds: tests, target: '<= 45 s' });

const rows = cases.map((c) => `| ${c.name} | ${c.seconds.toFixed(2)} s | ${(c.seconds / base).toFixed(2)}x | ${c.target} |`);
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}, median of ${runs} runs (ts-node: ${Math.min(runs, 3)}).`,
  '',
  '| case | wall time | ratio to default | target |',
  '| --- | --- | --- | --- |',
  ...rows,
  '',
  `ts-node / fast runner: **${(tsNode / base).toFixed(1)}x** (target: at least 5x)`,
].join('\n');
console.log(table);

if (args.includes('--write')) {
  const readme = path.join(root, 'bench/README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  fs.writeFileSync(readme, `${text.slice(0, text.indexOf(start) + start.length)}\n${table}\n${text.slice(text.indexOf(end))}`);
  console.log(`\nrecorded in ${path.relative(root, readme)}`);
}
fs.rmSync(tmp, { recursive: true, force: true });
