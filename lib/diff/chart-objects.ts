/**
 * A switch of `gitops.mode` changes how the add-on charts reach the cluster, not what they create: Argo CD renders
 * each Application's chart in the cluster, kubectl mode commits the same render. For `npm run diff` to show what
 * a switch changes in the cluster (and not thousands of chart objects as new, each with its RBAC flag), the side
 * that holds the Applications gets the objects their charts render, as kubectl mode would write them
 * (lib/charts/addon-objects.ts); the Applications themselves stay, and are reported removed or added.
 */
import * as path from 'path';
import * as yaml from 'js-yaml';
import { applicationRender, ApplicationRender } from '../chart-source';
import { renderAddonObjects } from '../charts/addon-objects';
import { renderChart } from '../charts/render';
import { TreeDocument } from './model';

const isApplication = (d: TreeDocument) => d.object?.kind === 'Application' && String(d.object?.apiVersion).startsWith('argoproj.io/');

interface ChartApplication {
  readonly doc: TreeDocument;
  readonly request: ApplicationRender;
}

/**
 * `before` and `after`, the side with chart Applications completed with their charts' objects when the other side
 * has no Application at all (a kubectl-mode tree); both unchanged otherwise. Throws ChartUnavailable or
 * ToolUnavailable when a chart or helm cannot be had.
 */
export function withChartObjectsOfModeSwitch(
  before: readonly TreeDocument[],
  after: readonly TreeDocument[],
  kubeVersion: string,
): { before: readonly TreeDocument[]; after: readonly TreeDocument[]; expanded: number } {
  const argoBefore = before.some(isApplication);
  const argoAfter = after.some(isApplication);
  if (argoBefore === argoAfter) return { before, after, expanded: 0 };
  const side = argoBefore ? before : after;
  const applications: ChartApplication[] = side.filter(isApplication).flatMap((doc) => {
    const request = applicationRender(doc.object, (text) => yaml.load(text));
    return request ? [{ doc, request }] : [];
  });
  const rendered = renderAddonObjects(
    applications,
    (a, apiVersions) => renderChart({ ...a.request, kubeVersion, apiVersions }),
    (a) => a.request.namespace,
  ).flatMap(({ item, objects }) =>
    objects.map(({ object }, index) => ({
      // Beside the Application, in a folder named like kubectl mode's (`chart-<release>`).
      file: path.posix.join(path.posix.dirname(item.doc.file), `chart-${item.request.releaseName}`, `${object.kind}.${object.metadata?.name}.yaml`),
      index,
      object,
    })),
  );
  const completed = [...side, ...rendered];
  return argoBefore ? { before: completed, after, expanded: applications.length } : { before, after: completed, expanded: applications.length };
}
