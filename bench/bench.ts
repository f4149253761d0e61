/**
 * The benchmark: whole-process wall time (what a user waits for) and peak memory, side by side in
 * one run and as ratios to the floor, `node -e "require('cdk8s'); require('cdk8s-plus-28')"`.
 *
 *   npm run bench                 print the table
 *   npm run bench -- --write      also record it in bench/README.md
 *   npm run bench -- --rounds 9   more rounds (default 5)
 *
 * Each round runs every timed case once, in turn, after the floor; a row is the median over the
 * rounds of its time and of its ratio to that round's floor, so a machine whose load drifts during
 * the run still gives comparable ratios. Growth in apps and previews is fitted by least squares.
 * Nothing here is asserted: targets are printed beside the measurements.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { repoRoot } from '../lib/repo-root';

const root = repoRoot();
const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 5;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
const PEAK = path.join(root, 'bench/peak-memory.js');

interface Run {
  readonly seconds: number;
  /** Peak resident memory of the measured Node process, MiB. */
  readonly mib?: number;
}

/** Runs `node <args>` from the repo root; its peak memory comes from bench/peak-memory.js. */
function node(nodeArgs: readonly string[], env: Record<string, string> = {}): Run {
  const rssFile = path.join(tmp, 'rss');
  fs.rmSync(rssFile, { force: true });
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, ['-r', PEAK, ...nodeArgs], {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', BENCH_PEAK_FILE: rssFile, ...env },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const kib = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, 'utf8')) : NaN;
  return { seconds, mib: Number.isFinite(kib) ? kib / 1024 : undefined };
}

const baseConfig = () => yaml.load(fs.readFileSync(path.join(root, 'config/platform.yaml'), 'utf8')) as any;
/** Many hosts need one wildcard certificate per domain (a Gateway has at most 64 listeners): DNS-01, as such a user would. */
const DNS01 = { rfc2136: { nameserver: 'ns1.example.org:53', tsigKeyName: 'cert-manager', tsigSecret: { secret: 'tsig', key: 'secret' } } };

function writeConfig(name: string, config: any): string {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, yaml.dump(config));
  return file;
}

/** The default config with `n` copies of its first app (own hosts each), DNS-01 for the wildcard certificates. */
function withApps(n: number): string {
  const config = baseConfig();
  const [name, app] = Object.entries(config.apps)[0] as [string, any];
  config.apps = {};
  for (let i = 0; i < n; i++) {
    const copy = JSON.parse(JSON.stringify(app));
    const domain = i === 0 ? undefined : `app${i}.example.org`;
    if (domain) {
      copy.environments.production.host = domain;
      copy.environments.staging.host = `staging.${domain}`;
      copy.environments.previews.domain = `preview.${domain}`;
    }
    config.apps[i === 0 ? name : `app${i}`] = copy;
  }
  config.edge.tls.dns01 = DNS01;
  return writeConfig(`apps-${n}`, config);
}

/** The default config with `n` preview branches on its first app, DNS-01 for the wildcard certificate. */
function withPreviews(n: number): string {
  const config = baseConfig();
  (Object.values(config.apps)[0] as any).environments.previews.branches = Array.from({ length: n }, (_, i) => `feature/bench-${i}`);
  config.edge.tls.dns01 = DNS01;
  return writeConfig(`previews-${n}`, config);
}

/**
 * The scaled copies of the default platform have Secrets nobody sealed (app copies, the DNS-01
 * key): they synthesize with an empty sealed folder, as a cluster that does not seal its Secrets
 * yet. The default platform reads its committed sealed/ inputs.
 */
const UNSEALED = fs.mkdtempSync(path.join(tmp, 'sealed-'));
const synth =
  (config: string, name: string, sealed = false) =>
  () =>
    node(
      ['scripts/run.js', 'main.ts', '--config', config, '--outdir', path.join(tmp, `dist-${name}`), '--force'],
      sealed ? {} : { PLATFORM_SEALED_DIR: UNSEALED },
    );
const validate =
  (env: Record<string, string> = {}) =>
  () =>
    node(['scripts/run.js', 'lib/validate/platform-cli.ts'], env);

const APPS = [1, 5, 10, 20];
const PREVIEWS = [0, 100, 300];

interface Case {
  readonly name: string;
  readonly run: () => Run;
  readonly target?: string;
}

const floor: Case = {
  name: "floor: node -e \"require('cdk8s'); require('cdk8s-plus-28')\"",
  run: () => node(['-e', "require('cdk8s'); require('cdk8s-plus-28')"]),
};
const cases: Case[] = [
  { name: 'default platform (npm run synth)', run: synth(path.join(root, 'config/platform.yaml'), 'default', true), target: '<= 3x floor' },
  ...APPS.map((n) => ({
    name: `${n} app${n > 1 ? 's' : ''}`,
    run: synth(withApps(n), `apps-${n}`),
    target: n === 20 ? '<= 8x default, <= 250 MiB' : undefined,
  })),
  ...PREVIEWS.map((n) => ({ name: `${n} previews`, run: synth(withPreviews(n), `previews-${n}`), target: n === 300 ? '<= 5x default' : undefined })),
  { name: 'npm run validate (warm caches, charts rendered from cache)', run: validate(), target: '<= 4x floor' },
];

// The committed dist/ is what validate checks; make sure it matches the sources, and warm the caches once.
execFileSync(process.execPath, ['scripts/run.js', 'main.ts'], { cwd: root, stdio: 'ignore' });
validate()();
for (const c of cases) c.run(); // every bundle built and every cache warm before the first timed round

const samples = new Map<string, { seconds: number[]; ratios: number[]; mib: number[] }>();
const record = (name: string, run: Run, floorSeconds: number) => {
  const entry = samples.get(name) ?? { seconds: [], ratios: [], mib: [] };
  entry.seconds.push(run.seconds);
  entry.ratios.push(run.seconds / floorSeconds);
  if (run.mib !== undefined) entry.mib.push(run.mib);
  samples.set(name, entry);
};
for (let round = 0; round < rounds; round++) {
  const f = floor.run();
  record(floor.name, f, f.seconds);
  for (const c of cases) record(c.name, c.run(), f.seconds);
}

// One-off rows: an empty validator cache (charts still rendered from cache), an empty cache of every kind, the tests.
const floorOnce = () => floor.run().seconds;
const coldValidators = (() => {
  const cache = fs.mkdtempSync(path.join(tmp, 'cache-'));
  const warm = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'campus-platform');
  for (const part of ['renders', 'helm', 'charts']) {
    if (fs.existsSync(path.join(warm, part))) fs.cpSync(path.join(warm, part), path.join(cache, 'campus-platform', part), { recursive: true });
  }
  const f = floorOnce();
  return { run: validate({ XDG_CACHE_HOME: cache })(), floor: f };
})();
const coldAll = (() => {
  const f = floorOnce();
  return { run: validate({ XDG_CACHE_HOME: fs.mkdtempSync(path.join(tmp, 'cache-')) })(), floor: f };
})();
const tests = (() => {
  const f = floorOnce();
  return { run: node([path.join(root, 'node_modules/jest/bin/jest.js'), '--silent']), floor: f };
})();

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stat = (name: string) => {
  const s = samples.get(name)!;
  return { seconds: median(s.seconds), ratio: median(s.ratios), mib: s.mib.length ? Math.max(...s.mib) : undefined };
};

/** Least-squares line through (x, y): slope, intercept, and R² (1 = perfectly linear). */
function fit(points: readonly [number, number][]): { slope: number; intercept: number; r2: number } {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const ssr = points.reduce((a, [x, y]) => a + (y - (intercept + slope * x)) ** 2, 0);
  const sst = points.reduce((a, [, y]) => a + (y - my) ** 2, 0);
  return { slope, intercept, r2: sst === 0 ? 1 : 1 - ssr / sst };
}

const base = stat(cases[0].name);
const mib = (m?: number) => (m === undefined ? 'n/a' : `${m.toFixed(0)} MiB`);
const row = (name: string, seconds: number, ratio: number, m: number | undefined, target = '') =>
  `| ${name} | ${seconds.toFixed(2)} s | ${ratio.toFixed(2)}x | ${(seconds / base.seconds).toFixed(2)}x | ${mib(m)} | ${target} |`;
const rows = [floor, ...cases].map((c) => {
  const s = stat(c.name);
  return row(c.name, s.seconds, s.ratio, s.mib, c.target);
});
rows.push(
  row(
    'npm run validate, empty validator cache (charts from cache; one run)',
    coldValidators.run.seconds,
    coldValidators.run.seconds / coldValidators.floor,
    coldValidators.run.mib,
    '<= 8x floor',
  ),
  row(
    'npm run validate, every cache empty (unpacks helm, renders each chart twice; one run)',
    coldAll.run.seconds,
    coldAll.run.seconds / coldAll.floor,
    coldAll.run.mib,
  ),
  row('npm test (jest, one run; memory of the parent only)', tests.run.seconds, tests.run.seconds / tests.floor, undefined, '<= 45 s'),
);

const appsFit = fit(APPS.map((n) => [n, stat(`${n} app${n > 1 ? 's' : ''}`).seconds]));
const previewsFit = fit(PREVIEWS.map((n) => [n, stat(`${n} previews`).seconds]));
const growth = (label: string, unit: string, f: ReturnType<typeof fit>, points: number[], name: (n: number) => string) => {
  const segments = points.slice(1).map((n, i) => {
    const a = stat(name(points[i])).seconds;
    const b = stat(name(n)).seconds;
    return `${(((b - a) / (n - points[i])) * 1000).toFixed(0)} ms`;
  });
  return `- ${label}: **${(f.slope * 1000).toFixed(0)} ms per ${unit}** (fit ${f.intercept.toFixed(2)} s + ${(f.slope * 1000).toFixed(0)} ms·N, R² ${f.r2.toFixed(4)}); per ${unit} between the measured sizes: ${segments.join(', ')}`;
};

const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${cpu}), Node ${process.version}; median of ${rounds} rounds, each case once per round after the floor.`,
  '',
  '| case | wall time | ratio to floor | ratio to default | peak memory | target |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows,
  '',
  'Growth (least squares over the rows above):',
  '',
  growth('apps', 'app', appsFit, APPS, (n) => `${n} app${n > 1 ? 's' : ''}`),
  growth('previews', 'preview', previewsFit, PREVIEWS, (n) => `${n} previews`),
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
