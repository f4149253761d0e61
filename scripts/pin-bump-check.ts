/**
 * `npm run pins:bump-check [-- <chart>]`: proves that a pin bump needs no hand edit of a test. In a
 * scratch clone of the committed tree it raises one chart's patch version in config/versions.yaml
 * (default kube-prometheus-stack), regenerates dist/ as Renovate's post-upgrade task would, and runs
 * the whole jest suite with `--ci` (snapshots are compared, never written). Offline: the bumped
 * chart is the pinned archive under its new name (CHART_LOCATION), since only the number changed.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chartVersion, loadVersions } from '../config/versions';
import { archiveName, locateChart } from '../lib/charts/chart-archive';
import { repoRoot } from '../lib/repo-root';

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) => execFileSync(cmd, args, { cwd, env, stdio: 'inherit' });

function main(args: string[]): number {
  const name = args[0] ?? 'kube-prometheus-stack';
  const root = repoRoot();
  const pin = chartVersion(loadVersions(), name);
  const bumped = pin.version.replace(/([0-9]+)$/, (patch) => String(Number(patch) + 1));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pin-bump-'));
  const clone = path.join(scratch, 'repo');
  run('git', ['clone', '--quiet', '--no-hardlinks', root, clone], scratch);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(clone, 'node_modules'));

  const file = path.join(clone, 'config', 'versions.yaml');
  const text = fs.readFileSync(file, 'utf8');
  const line = `    chart: ${pin.chart}\n    version: '${pin.version}'`;
  if (!text.includes(line)) throw new Error(`config/versions.yaml: no "${line}" for charts.${name}`);
  fs.writeFileSync(file, text.replace(line, `    chart: ${pin.chart}\n    version: '${bumped}'`));
  console.log(`pins:bump-check: charts.${name} ${pin.version} → ${bumped} in ${clone}`);

  const charts = path.join(scratch, 'charts');
  fs.mkdirSync(charts);
  for (const p of Object.values(loadVersions().charts)) fs.copyFileSync(locateChart(p).path, path.join(charts, archiveName(p)));
  fs.copyFileSync(locateChart(pin).path, path.join(charts, archiveName({ ...pin, version: bumped })));
  const env = { ...process.env, CHART_LOCATION: charts };

  run('npm', ['run', '-s', 'synth'], clone, env);
  const changed = execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' });
  console.log(`pins:bump-check: regenerated, changed:\n${changed}`);
  run('npx', ['jest', '--ci', '--silent'], clone, env);
  fs.rmSync(scratch, { recursive: true, force: true });
  console.log(`pins:bump-check: the suite passes with charts.${name} at ${bumped}, no test edited`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
