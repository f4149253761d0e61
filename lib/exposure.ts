/**
 * Platform-wide exposure rules, checked over every synthesized object before anything is
 * written: the entry point is the only way in (the OCF design: one NodePort service,
 * fronted by the control-plane proxy), and nothing routes to a data service.
 */

/** A data service's identity, as the data tier registers it. */
export interface ProtectedService {
  readonly namespace: string;
  readonly name: string;
  readonly selector: Readonly<Record<string, string>>;
}

export interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: any;
}

const selects = (selector: Record<string, string> | undefined, labels: Readonly<Record<string, string>>) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

function routedServices(obj: Obj): { namespace: string; name: string }[] {
  const ns = obj.metadata.namespace ?? 'default';
  if (obj.kind === 'Ingress') {
    const backends = [obj.spec?.defaultBackend, ...(obj.spec?.rules ?? []).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => p.backend))];
    return backends.filter((b) => b?.service).map((b) => ({ namespace: ns, name: b.service.name }));
  }
  if (obj.kind === 'HTTPRoute' || obj.kind === 'GRPCRoute' || obj.kind === 'TCPRoute' || obj.kind === 'TLSRoute') {
    return (obj.spec?.rules ?? [])
      .flatMap((r: any) => r.backendRefs ?? [])
      .filter((b: any) => (b.kind ?? 'Service') === 'Service')
      .map((b: any) => ({ namespace: b.namespace ?? ns, name: b.name }));
  }
  return [];
}

/** One violation, and the object that causes it. */
export interface Exposure<T extends Obj = Obj> {
  readonly object: T;
  /** True when a data service is exposed; false for any other NodePort or LoadBalancer. */
  readonly dataService: boolean;
  readonly message: string;
}

/** Every violation with its object; checkExposure() and dataServiceExposure() are views of it. */
export function exposures<T extends Obj>(objects: readonly T[], dataServices: readonly ProtectedService[]): Exposure<T>[] {
  const found: Exposure<T>[] = [];
  const where = (o: Obj) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  for (const obj of objects) {
    if (obj.kind === 'Service' && ['NodePort', 'LoadBalancer'].includes(obj.spec?.type)) {
      const target = dataServices.find((d) => d.namespace === obj.metadata.namespace && selects(obj.spec?.selector, d.selector));
      found.push(
        target
          ? {
              object: obj,
              dataService: true,
              message: `${where(obj)} exposes data service ${target.namespace}/${target.name} as ${obj.spec.type}; databases are reachable only inside their namespace`,
            }
          : {
              object: obj,
              dataService: false,
              message: `${where(obj)} is of type ${obj.spec.type}; only the edge entry point may be exposed outside the cluster (route HTTP through the Gateway instead)`,
            },
      );
    }
    for (const backend of routedServices(obj)) {
      const target = dataServices.find((d) => d.namespace === backend.namespace && d.name === backend.name);
      if (target) {
        found.push({
          object: obj,
          dataService: true,
          message: `${where(obj)} routes to data service ${target.namespace}/${target.name}; databases are never exposed through the entry point`,
        });
      }
    }
  }
  return found;
}

/** Returns one message per violation; an empty list means the rules hold. */
export function checkExposure(objects: readonly Obj[], dataServices: readonly ProtectedService[]): string[] {
  return exposures(objects, dataServices).map((e) => e.message);
}

/** Only the violations that expose a data service (not the edge's own NodePort), with their objects. */
export function dataServiceExposure<T extends Obj>(objects: readonly T[], dataServices: readonly ProtectedService[]): Exposure<T>[] {
  return exposures(objects, dataServices).filter((e) => e.dataService);
}
