/**
 * One rendering of each object per synthesis. A validation that reads the whole App (the exposure
 * check) and the writer after it would otherwise render every object twice; within a render session
 * (the writer's, which validates first and writes after, changing nothing in between) both read the
 * same JSON. Nothing may change an object once it was rendered in a session. Outside a session, every call renders afresh. Callers must not modify what they get.
 */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

let session: WeakMap<ApiObject, any> | undefined;

/**
 * Runs `fn` with one shared rendering per object. Within a session already open, `fn` joins it:
 * synthesis opens one around the last construction step (the quotas, sized from the finished
 * workloads) and the writer, so what the quotas rendered is written as it is.
 */
export function withRenderSession<T>(fn: () => T): T {
  if (session) return fn();
  session = new WeakMap();
  try {
    return fn();
  } finally {
    session = undefined;
  }
}

/** `object.toJson()`, once per session. */
export function renderedJson(object: ApiObject): any {
  if (!session) return object.toJson();
  let json = session.get(object);
  if (json === undefined) {
    json = object.toJson();
    session.set(object, json);
  }
  return json;
}

/**
 * The objects under `scope` in construct-tree order, each {@link renderedJson}: what `chart.toJson()`
 * returns for a chart whose objects declare no dependencies, without rendering them a second time.
 */
export function renderedTree(scope: IConstruct): any[] {
  return scope.node
    .findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject)
    .map(renderedJson);
}
