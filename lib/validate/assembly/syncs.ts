/**
 * From a synthesized tree to the syncs Argo CD would run: the root Application that the bootstrap
 * installs (`dist/bootstrap/`), the directory Applications it finds in the tree, and the chart
 * Applications with the objects their charts render.
 */
import * as path from 'path';
import { SourceDocument } from '../document';
import { DeclaredBeforeSync, SyncSource } from './simulate';
import { planObject, PlanObject, Scopes } from './plan-object';

/** What a chart Application's chart renders to (from lib/validate/charts). */
export interface RenderedApplication {
  readonly objects: readonly { readonly object: any; readonly template: string }[];
  readonly description: string;
}

export interface SyncTreeInput {
  /** Every document of the synthesized tree, including the bootstrap folder. */
  readonly docs: readonly SourceDocument[];
  /** Repository root: Application paths (`dist/production`) are relative to it. */
  readonly repoRoot: string;
  /** Rendered charts by Application name. */
  readonly renders: ReadonlyMap<string, RenderedApplication>;
  /** Which kinds are cluster-scoped: the CRDs of the tree and of the rendered charts. */
  readonly scopes: Scopes;
}

/** Argo CD's own CRDs, installed with Argo CD by the first control-plane host. */
export const ARGO_CD_KINDS = ['argoproj.io/Application', 'argoproj.io/AppProject', 'argoproj.io/ApplicationSet'];
const HEALTH_KEY = /^resource\.customizations\.health\.(.+)$/;

export interface SyncTree {
  readonly root: SyncSource;
  readonly children: Map<string, SyncSource>;
  /** What the bootstrap puts in place before the root sync. */
  readonly bootstrap: Pick<DeclaredBeforeSync, 'crds' | 'namespaces' | 'healthChecks'>;
}

/** The root Application is the one the bootstrap folder holds; undefined when the tree has none. */
export function buildSyncTree(input: SyncTreeInput): SyncTree | undefined {
  const rel = (doc: SourceDocument) => path.relative(input.repoRoot, path.resolve(doc.file)).split(path.sep).join('/');
  const isApplication = (d: SourceDocument) => d.object?.kind === 'Application' && String(d.object?.apiVersion).startsWith('argoproj.io/');
  const bootstrapDocs = input.docs.filter((d) => /(^|\/)bootstrap\//.test(rel(d)) && rel(d).startsWith('dist/'));
  const rootDoc = bootstrapDocs.find((d) => isApplication(d) && d.object.spec?.source?.path);
  if (!rootDoc) return undefined;

  const { scopes } = input;

  const directory = (app: any, name: string, file: string): SyncSource => {
    const source = app.spec?.source ?? {};
    const dir = String(source.path).replace(/\/+$/, '');
    const recurse = source.directory?.recurse === true;
    const ns = app.spec?.destination?.namespace ?? 'default';
    const objects = input.docs
      .filter((d) => {
        const r = rel(d);
        return r.startsWith(`${dir}/`) && (recurse || !r.slice(dir.length + 1).includes('/'));
      })
      .map((d) => planObject(d.object, d.file, name, ns, scopes))
      .filter((o): o is PlanObject => o !== undefined);
    return { name, description: dir, objects, ...syncOptions(app), applicationFile: file };
  };

  const rootName = String(rootDoc.object.metadata?.name);
  const children = new Map<string, SyncSource>();
  for (const d of input.docs.filter(isApplication)) {
    // The root also keeps itself (dist/cluster holds it); that copy is the same sync, not a child.
    if (String(d.object.metadata?.name) === rootName) continue;
    const app = d.object;
    const name = String(app.metadata?.name);
    const rendered = input.renders.get(name);
    if (rendered) {
      const ns = app.spec?.destination?.namespace ?? 'default';
      const objects = rendered.objects
        .map((r) => planObject(r.object, `${name} chart: ${r.template || '(no template)'}`, name, ns, scopes))
        .filter((o): o is PlanObject => o !== undefined);
      children.set(name, { name, description: rendered.description, objects, ...syncOptions(app), applicationFile: d.file });
    } else if (app.spec?.source?.path && !app.spec.source.chart && !String(app.spec.source.repoURL ?? '').startsWith('oci://')) {
      children.set(name, directory(app, name, d.file));
    }
  }

  const root = directory(rootDoc.object, rootName, rootDoc.file);
  const healthChecks = bootstrapDocs
    .filter((d) => d.object?.kind === 'ConfigMap' && d.object.metadata?.name === 'argocd-cm')
    .flatMap((d) =>
      Object.keys(d.object.data ?? {})
        .map((k) => HEALTH_KEY.exec(k)?.[1])
        .filter((k): k is string => k !== undefined),
    );
  const namespaces = bootstrapDocs.filter((d) => d.object?.kind === 'Namespace').map((d) => String(d.object.metadata?.name));
  return { root, children, bootstrap: { crds: ARGO_CD_KINDS, namespaces: [...new Set(['argocd', ...namespaces])], healthChecks } };
}

function syncOptions(app: any): Pick<SyncSource, 'serverSideApply' | 'createsNamespace' | 'prunes'> {
  const options: string[] = app.spec?.syncPolicy?.syncOptions ?? [];
  return {
    serverSideApply: options.includes('ServerSideApply=true'),
    prunes: app.spec?.syncPolicy?.automated?.prune === true,
    ...(options.includes('CreateNamespace=true') && app.spec?.destination?.namespace ? { createsNamespace: app.spec.destination.namespace } : {}),
  };
}
