/**
 * The assembly check of a synthesized tree: render every chart Application as Argo CD would, validate
 * what the charts create together with the tree, and plan the sync from the root Application.
 */
import { finding, Finding, groupVersion, SourceDocument } from './document';
import { chartApplications } from './charts/applications';
import { deprecatedValues } from './charts/deprecated-values';
import { renderChart } from '../charts/render';
import { AssemblyPlan, planAssembly } from './assembly/simulate';
import { Scopes } from './assembly/plan-object';
import { buildSyncTree, RenderedApplication } from './assembly/syncs';
import { checkProjects } from './assembly/projects';
import { isBuiltinKind, SchemaStore } from './schema-store';

export interface AssemblyOptions {
  readonly store: SchemaStore;
  /** Repository root, against which Application paths (`dist/cluster`) resolve. */
  readonly repoRoot: string;
  /** Kubernetes release the cluster runs (`.Capabilities.KubeVersion` of every render). */
  readonly kubeVersion: string;
  readonly declaredSecrets: readonly string[];
  readonly declaredStorageClasses: readonly string[];
}

export interface AssemblyResult {
  /** The rendered chart objects, as documents (file: `<Application> chart: <template>`). */
  readonly rendered: readonly SourceDocument[];
  readonly findings: readonly Finding[];
  /** Undefined when the tree has no root Application (`dist/bootstrap/`). */
  readonly plan?: AssemblyPlan;
}

/** Throws ChartUnavailable or ToolUnavailable when a chart or helm cannot be had. */
export function assemble(docs: readonly SourceDocument[], opts: AssemblyOptions): AssemblyResult {
  const findings: Finding[] = [];
  const rendered: SourceDocument[] = [];
  const renders = new Map<string, RenderedApplication>();
  const apiVersions = capabilities(opts.store);
  const results = chartApplications(docs).map((app) => ({ app, result: renderChart({ ...app.request, kubeVersion: opts.kubeVersion, apiVersions }) }));
  const scopes = new Scopes();
  for (const d of docs) if (d.object?.kind === 'CustomResourceDefinition') scopes.addCrd(d.object);
  for (const { result } of results) for (const r of result.objects) if (r.object?.kind === 'CustomResourceDefinition') scopes.addCrd(r.object);
  for (const { app, result } of results) {
    findings.push(...deprecatedValues(app));
    if (!result.deterministic) {
      findings.push(
        finding(
          app.doc,
          'spec.source.helm.valuesObject',
          `chart ${app.request.chart.chart} ${app.request.chart.version} renders differently every time (${result.unstableTemplates.join(', ')}): ` +
            'Argo CD renders on every refresh, so the Application would be OutOfSync forever; set values so that the chart generates no certificates or passwords',
        ),
      );
    }
    const objects = result.objects.map((r) => ({ object: withNamespace(r.object, app.request.namespace, scopes), template: r.template }));
    renders.set(app.name, { objects, description: app.description });
    objects.forEach((o, index) =>
      rendered.push({ file: `${app.name} chart: ${o.template || '(no template)'}`, index, object: o.object, clusterReleaseOnly: true }),
    );
  }
  const tree = buildSyncTree({ docs: [...docs, ...rendered], repoRoot: opts.repoRoot, renders, scopes });
  if (!tree) return { rendered, findings };
  const plan = planAssembly({
    root: tree.root,
    children: tree.children,
    isBuiltin: isBuiltinKind(opts.store),
    declared: { ...tree.bootstrap, secrets: opts.declaredSecrets, storageClasses: opts.declaredStorageClasses },
  });
  return { rendered, findings: [...findings, ...checkProjects(docs, tree.children), ...plan.findings], plan };
}

/** `.Capabilities.APIVersions` beyond the built-ins: every served CRD version we hold a schema for. */
function capabilities(store: SchemaStore): string[] {
  return [...new Set([...store.crds.values()].flatMap((c) => [`${c.group}/${c.version}`, `${c.group}/${c.version}/${c.kind}`]))].sort();
}

/** Argo CD applies namespaced objects without a namespace into the Application's destination namespace. */
function withNamespace(object: any, namespace: string, scopes: Scopes): any {
  if (!object || typeof object !== 'object' || object.metadata?.namespace || typeof object.apiVersion !== 'string') return object;
  if (scopes.isClusterScoped(groupVersion(object.apiVersion).group, object.kind)) return object;
  return { ...object, metadata: { ...object.metadata, namespace } };
}
