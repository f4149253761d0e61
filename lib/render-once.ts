/**
 * One rendering of each object per synthesis. A validation that reads the whole App (the exposure
 * check) and the writer after it would otherwise render every object twice; within a render session
 * (the writer's, which validates first and writes after, changing nothing in between) both read the
 * same JSON. Outside a session, every call renders afresh. Callers must not modify what they get.
 */
import { ApiObject } from 'cdk8s';

let session: WeakMap<ApiObject, any> | undefined;

/** Runs `fn` with one shared rendering per object. */
export function withRenderSession<T>(fn: () => T): T {
  const previous = session;
  session = new WeakMap();
  try {
    return fn();
  } finally {
    session = previous;
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
