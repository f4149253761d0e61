/** Sync waves and options (lib/argocd.ts) put on cdk8s objects. */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ARGO_ANNOTATION } from './argocd';

/** Adds sync options to an object, keeping the ones it has. */
export function addSyncOptions(object: ApiObject, ...options: string[]): void {
  const existing = object.metadata.toJson().annotations?.[ARGO_ANNOTATION.syncOptions];
  const all = [...(existing ? existing.split(',') : []), ...options];
  object.metadata.addAnnotation(ARGO_ANNOTATION.syncOptions, [...new Set(all)].join(','));
}

/** Puts every object below `scope` that has no wave yet (and, with `kinds`, only those kinds) into `wave`. */
export function assignSyncWave(scope: IConstruct, wave: number, kinds?: readonly string[]): void {
  for (const child of scope.node.findAll()) {
    if (!(child instanceof ApiObject)) continue;
    if (kinds && !kinds.includes(child.kind)) continue;
    if (child.metadata.toJson().annotations?.[ARGO_ANNOTATION.syncWave] === undefined) child.metadata.addAnnotation(ARGO_ANNOTATION.syncWave, String(wave));
  }
}
