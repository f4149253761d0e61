/**
 * The by-hand form of the exposure rules: data tiers register their services here, and one
 * validation on the App's root checks them all against one rendering of the App. A check per
 * tier rendered the whole App once per tier, and cdk8s validates the whole App again for every
 * chart it renders, so synthesis grew with the cube of the number of apps (issue 18).
 */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { dataServiceExposure, ProtectedService } from './exposure';
import { renderedJson } from './render-once';

const registries = new WeakMap<IConstruct, ProtectedService[]>();

/** Adds `services` to the exposure check of the App that holds `scope`. */
export function guardExposure(scope: IConstruct, services: readonly ProtectedService[]): void {
  const root = scope.node.root;
  let registered = registries.get(root);
  if (!registered) {
    const list: ProtectedService[] = [];
    registries.set(root, list);
    root.node.addValidation({ validate: () => exposureProblems(root, list) });
    registered = list;
  }
  registered.push(...services);
}

function exposureProblems(root: IConstruct, services: readonly ProtectedService[]): string[] {
  const objects = root.node
    .findAll()
    .filter((c): c is ApiObject => ApiObject.isApiObject(c))
    .map(renderedJson);
  // Only the data services' problems are ours: the edge's own NodePort is the platform's to judge.
  return dataServiceExposure(objects, services).map((e) => e.message);
}
