/** Which Helm chart an Argo CD Application source installs, and the source that names a chart: the one reading of it the constructs, the validator and the egress list share. */

export interface ChartSource {
  readonly repoURL: string;
  readonly chart: string;
  readonly version: string;
}

/** The `repoURL` an Application's source names for a chart: an OCI chart is a repository of its own (`oci://<registry>/<repo>/<chart>`). */
export function sourceRepoURL(chart: { readonly repoURL: string; readonly chart: string }): string {
  return chart.repoURL.startsWith('oci://') ? `${chart.repoURL}/${chart.chart}` : chart.repoURL;
}

/** `chart` with an HTTP `repoURL`, or an OCI `repoURL` ending in the chart name with `path: .` (Argo CD 3.1+). */
export function chartSource(source: any): ChartSource | undefined {
  if (!source?.repoURL || !source.targetRevision) return undefined;
  if (source.chart) return { repoURL: source.repoURL, chart: source.chart, version: source.targetRevision };
  const url = String(source.repoURL);
  if (url.startsWith('oci://') && (source.path === '.' || source.path === undefined)) {
    const slash = url.lastIndexOf('/');
    return { repoURL: url.slice(0, slash), chart: url.slice(slash + 1), version: source.targetRevision };
  }
  return undefined;
}

/** What Argo CD's repo server renders for a chart Application: the one reading synthesis (kubectl mode) and the validator share. */
export interface ApplicationRender {
  readonly chart: ChartSource;
  readonly releaseName: string;
  readonly namespace: string;
  /** `helm.values` (a YAML string) merged under `helm.valuesObject`, as Argo CD does. */
  readonly values: Record<string, unknown>;
}

/** The render an Application's Helm source asks for, or undefined when its source is not a chart. */
export function applicationRender(app: any, parseValues: (text: string) => unknown): ApplicationRender | undefined {
  const source = app?.spec?.source;
  const chart = chartSource(source);
  if (!chart) return undefined;
  const helm = source.helm ?? {};
  const values = { ...(helm.values ? (parseValues(helm.values) as object) : {}), ...(helm.valuesObject ?? {}) };
  const name = String(app.metadata?.name);
  return { chart, releaseName: helm.releaseName ?? name, namespace: app.spec?.destination?.namespace ?? 'default', values };
}
