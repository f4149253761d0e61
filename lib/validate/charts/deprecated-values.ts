/**
 * Values the pinned charts deprecate. Helm renders them without a word, and a later chart release
 * drops them just as silently, so a feature switches off on an upgrade. Each entry names where the
 * chart says so.
 */
import { finding, Finding } from '../document';
import type { ChartApplication } from './applications';

interface DeprecatedValue {
  readonly chart: string;
  readonly path: readonly string[];
  readonly use: string;
  readonly source: string;
}

const DEPRECATED: readonly DeprecatedValue[] = [
  {
    chart: 'cert-manager',
    path: ['config', 'enableGatewayAPI'],
    use: 'config.gatewayAPI.enabled',
    source: 'cert-manager chart v1.21.1 values.yaml (`config.gatewayAPI.enabled`; `enableGatewayAPI` is deprecated since v1.20)',
  },
];

export function deprecatedValues(app: ChartApplication): Finding[] {
  return DEPRECATED.filter((d) => d.chart === app.request.chart.chart && has(app.request.values, d.path)).map((d) =>
    finding(app.doc, `spec.source.helm.valuesObject.${d.path.join('.')}`, `deprecated by the chart: use ${d.use} (${d.source})`),
  );
}

function has(values: unknown, path: readonly string[]): boolean {
  let node: any = values;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !(key in node)) return false;
    node = node[key];
  }
  return true;
}
