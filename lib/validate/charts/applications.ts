/**
 * The Helm render Argo CD's repo server performs for an Application: chart, version, release name,
 * namespace and values exactly as the Application says.
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/helm/
 */
import * as yaml from 'js-yaml';
import { applicationRender } from '../../chart-source';
import { SourceDocument } from '../document';
import type { RenderRequest } from '../../charts/render';

export interface ChartApplication {
  readonly doc: SourceDocument;
  readonly name: string;
  readonly request: Omit<RenderRequest, 'kubeVersion' | 'apiVersions'>;
  /** `gateway-helm v1.9.0 → envoy-gateway-system`, for the plan. */
  readonly description: string;
}

/** Applications in the documents whose source is a Helm chart (HTTP repository or OCI). */
export function chartApplications(docs: readonly SourceDocument[]): ChartApplication[] {
  const out: ChartApplication[] = [];
  for (const doc of docs) {
    const app = doc.object;
    if (app?.kind !== 'Application' || !String(app.apiVersion).startsWith('argoproj.io/')) continue;
    const request = applicationRender(app, (text) => yaml.load(text));
    if (!request) continue;
    const { chart, namespace } = request;
    const name = String(app.metadata?.name);
    out.push({
      doc,
      name,
      request,
      description: `chart ${chart.chart} ${chart.version} → ${namespace}`,
    });
  }
  return out;
}
