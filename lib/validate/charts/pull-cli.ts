/**
 * `npm run charts:pull`: puts every chart pinned in config/versions.yaml where rendering finds it offline, pulling
 * only the ones no search folder has yet. One line per chart; stops at the first failure with exit code 1.
 */
import { loadVersions } from '../../../config/versions';
import { ChartUnavailable, locateChart, pullChart } from './chart-archive';
import { helmBinary } from './helm-binary';

function run(): number {
  const { charts } = loadVersions();
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
