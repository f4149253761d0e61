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
