/** The pod templates inside workload documents, and label-selector matching against them. */
import { childPath, groupVersion, namespaceOf, SourceDocument } from './document';

/** A pod template (or a bare Pod) found in a document. */
export interface PodTemplate {
  readonly doc: SourceDocument;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly spec: any;
  /** Dotted path of the pod spec inside the document, e.g. `spec.template.spec`. */
  readonly specPath: string;
}

/** Where each workload kind (`group/Kind`) keeps its pod template (`metadata` + `spec`). */
const TEMPLATE_PATHS: Record<string, string[]> = {
  '/Pod': [],
  'apps/Deployment': ['spec', 'template'],
  'apps/StatefulSet': ['spec', 'template'],
  'apps/DaemonSet': ['spec', 'template'],
  'apps/ReplicaSet': ['spec', 'template'],
  'batch/Job': ['spec', 'template'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template'],
};

/** Whether a document is a `group`/`kind` object, whatever the API version. */
export function isKind(doc: SourceDocument, group: string, kind: string): boolean {
  return doc.object.kind === kind && typeof doc.object.apiVersion === 'string' && groupVersion(doc.object.apiVersion).group === group;
}

export function podTemplates(docs: readonly SourceDocument[]): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const doc of docs) {
    const { kind, apiVersion } = doc.object;
    if (typeof apiVersion !== 'string') continue;
    const keys = TEMPLATE_PATHS[`${groupVersion(apiVersion).group}/${kind}`];
    if (!keys) continue;
    const template = keys.reduce((node: any, key) => node?.[key], doc.object);
    if (!template?.spec) continue;
    templates.push({
      doc,
      namespace: namespaceOf(doc.object),
      labels: template.metadata?.labels ?? {},
      spec: template.spec,
      specPath: [...keys, 'spec'].join('.'),
    });
  }
  return templates;
}

export interface ContainerRef {
  readonly container: any;
  /** Dotted path of the container, e.g. `spec.template.spec.initContainers[1]`. */
  readonly path: string;
}

/** Every container of a pod spec, init and ephemeral ones included. */
export function containersOf(template: PodTemplate): ContainerRef[] {
  const refs: ContainerRef[] = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    (template.spec[list] ?? []).forEach((container: any, i: number) => {
      refs.push({ container, path: childPath(childPath(template.specPath, list), i) });
    });
  }
  return refs;
}

/** A Service-style selector: every key/value must be present in the labels. */
export function matchesMap(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** A metav1.LabelSelector (`matchLabels` + `matchExpressions`). */
export function matchesSelector(selector: any, labels: Record<string, string>): boolean {
  if (!matchesMap(selector?.matchLabels ?? {}, labels)) return false;
  return (selector?.matchExpressions ?? []).every((expression: any) => {
    const has = Object.prototype.hasOwnProperty.call(labels, expression.key);
    const values: string[] = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
        return has && values.includes(labels[expression.key]);
      case 'NotIn':
        return !has || !values.includes(labels[expression.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

export function isEmptySelector(selector: any): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0;
}
