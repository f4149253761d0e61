/**
 * Test helper: whether the charts pinned in config/versions.yaml can be rendered offline here (a helm, and every
 * chart archive), and a `describe` that skips with one clear warning when they cannot, instead of failing on a
 * machine that has never pulled them.
 */
import { loadVersions } from '../config/versions';
import { archiveName, chartFolders, ChartUnavailable, locateChart } from '../lib/charts/chart-archive';
import { helmBinary, ToolUnavailable } from '../lib/charts/helm-binary';

type ChartsAvailability = { ok: true } | { ok: false; reason: string };

const HOW_TO_FILL =
  'Fill the chart cache with `npm run charts:pull` (needs network access), or set CHART_LOCATION=<folder of helm package archives>; ' +
  'CI has them in ../shared/charts';

/** Only "not there" skips; any other error (a tampered helm, a broken versions.yaml) propagates and fails the run. */
function chartsAvailable(): ChartsAvailability {
  try {
    helmBinary();
  } catch (error) {
    if (error instanceof ToolUnavailable) return { ok: false, reason: error.message };
    throw error;
  }
  const missing: string[] = [];
  for (const pin of Object.values(loadVersions().charts)) {
    try {
      locateChart(pin);
    } catch (error) {
      if (!(error instanceof ChartUnavailable)) throw error;
      missing.push(archiveName(pin));
    }
  }
  if (missing.length === 0) return { ok: true };
  const folders = chartFolders().map(({ source, folder }) => `${source} (${folder})`);
  return { ok: false, reason: `charts not available offline: ${missing.join(', ')}; looked in ${folders.join(', ')}. ${HOW_TO_FILL}` };
}

let warned = false;

/** `describe` when every pinned chart can be rendered, else `describe.skip` and a single warning saying why. */
export function describeWithCharts(name: string, fn: () => void): void {
  const availability = chartsAvailable();
  if (availability.ok) {
    describe(name, fn);
    return;
  }
  if (!warned) {
    warned = true;
    console.warn(`skipping chart-rendering tests ("${name}"): ${availability.reason}`);
  }
  describe.skip(name, fn);
}
