/**
 * The objects a cluster gets from a set of add-on charts when nothing but kubectl applies them: each chart
 * rendered as Argo CD would (`helm template --include-crds`, the cluster's Kubernetes version), with as API
 * versions those of the CRDs the charts bring (what the cluster serves once the CRD phase ran), Helm's install
 * hooks kept as ordinary objects, and namespaced objects put in the release's namespace. One home for the
 * kubectl-mode tree (app/kubectl-tree.ts) and for `npm run diff` of a mode switch, which must see the same objects.
 */
import { Scopes } from '../kube-scope';
import { byOrdinal } from '../order';
import { RenderResult } from './render';

export interface AddonObjects<T> {
  readonly item: T;
  readonly result: RenderResult;
  /** The rendered objects kubectl creates, each with its namespace set, and the template it came from. */
  readonly objects: readonly { readonly object: any; readonly template: string }[];
}

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/**
 * Renders the chart of every item: `render` is renderChart with the item's request and the cluster's Kubernetes
 * version (wrapped as the caller needs, e.g. to turn a missing chart into a user error), `namespaceOf` its release's
 * namespace.
 */
export function renderAddonObjects<T>(
  items: readonly T[],
  render: (item: T, apiVersions: readonly string[]) => RenderResult,
  namespaceOf: (item: T) => string,
): AddonObjects<T>[] {
  // The CRDs every chart brings (they render the same whatever the API versions), then the real renders.
  const scopes = new Scopes();
  const served = new Set<string>();
  for (const item of items) {
    for (const { object } of render(item, []).objects) {
      if (object?.kind !== 'CustomResourceDefinition') continue;
      scopes.addCrd(object);
      for (const v of object.spec?.versions ?? []) {
        if (v.served === false) continue;
        served.add(`${object.spec.group}/${v.name}`);
        served.add(`${object.spec.group}/${v.name}/${object.spec.names.kind}`);
      }
    }
  }
  const apiVersions = [...served].sort(byOrdinal);
  return items.map((item) => {
    const result = render(item, apiVersions);
    const objects = result.objects
      .filter(({ object }) => object && typeof object === 'object' && typeof object.apiVersion === 'string' && runsOnInstall(object))
      .map(({ object, template }) => ({
        object: scopes.isClusterScoped(groupOf(object.apiVersion), object.kind)
          ? object
          : { ...object, metadata: { ...object.metadata, namespace: object.metadata?.namespace ?? namespaceOf(item) } },
        template,
      }));
    return { item, result, objects };
  });
}

/**
 * Whether `kubectl apply` should create a rendered object: Helm's install hooks are ordinary objects to kubectl
 * (as Argo CD runs them in its sync); test, rollback and delete hooks never run on an install.
 */
function runsOnInstall(object: any): boolean {
  const hook: string | undefined = object.metadata?.annotations?.['helm.sh/hook'];
  if (!hook) return true;
  return hook.split(',').some((h) => ['pre-install', 'post-install'].includes(h.trim()));
}
