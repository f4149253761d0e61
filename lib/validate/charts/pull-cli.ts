/**
 * `npm run charts:pull`: puts every chart pinned in config/versions.yaml where rendering finds it offline, pulling
 * only the ones no search folder has yet. One line per chart; stops at the first failure with exit code 1.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { repoRoot } from '../../repo-root';
import { ChartRef, ChartUnavailable, locateChart, pullChart } from '../../charts/chart-archive';
import { helmBinary } from '../../charts/helm-binary';

/** The pins as data (the validator reads files, never the config code that checks them). */
function pinnedCharts(): Record<string, ChartRef> {
  const file = path.join(repoRoot(), 'config', 'versions.yaml');
  const charts = (yaml.load(fs.readFileSync(file, 'utf8'), { schema: yaml.CORE_SCHEMA }) as { charts?: Record<string, ChartRef> })?.charts;
  if (!charts) throw new Error(`${file}: no charts section`);
  return charts;
}

function run(): number {
  const charts = pinnedCharts();
  let helm: string | undefined;
  for (const [name, pin] of Object.entries(charts)) {
    const label = `${name}: ${pin.chart} ${pin.version}`;
    try {
      const found = locateChart(pin);
      console.log(`${label}: already in ${found.source} (${found.path})`);
      continue;
    } catch (error) {
      if (!(error instanceof ChartUnavailable)) throw error;
    }
    helm ??= helmBinary(); // only needed (and extracted) when something is missing
    const pulled = pullChart(pin, helm);
    console.log(`${label}: pulled from ${pin.repoURL} into ${pulled.path}`);
  }
  return 0;
}

try {
  process.exitCode = run();
} catch (error) {
  console.error(`charts:pull: ${(error as Error).message}`);
  process.exitCode = 1;
}
