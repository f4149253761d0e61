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

interface Obj {
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

/** Returns one message per violation; an empty list means the rules hold. */
export function checkExposure(objects: readonly Obj[], dataServices: readonly ProtectedService[]): string[] {
  const problems: string[] = [];
  const where = (o: Obj) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  for (const obj of objects) {
    if (obj.kind === 'Service' && ['NodePort', 'LoadBalancer'].includes(obj.spec?.type)) {
      const target = dataServices.find((d) => d.namespace === obj.metadata.namespace && selects(obj.spec?.selector, d.selector));
      problems.push(
        target
          ? `${where(obj)} exposes data service ${target.namespace}/${target.name} as ${obj.spec.type}; databases are reachable only inside their namespace`
          : `${where(obj)} is of type ${obj.spec.type}; only the edge entry point may be exposed outside the cluster (route HTTP through the Gateway instead)`,
      );
    }
    for (const backend of routedServices(obj)) {
      const target = dataServices.find((d) => d.namespace === backend.namespace && d.name === backend.name);
      if (target) problems.push(`${where(obj)} routes to data service ${target.namespace}/${target.name}; databases are never exposed through the entry point`);
    }
  }
  return problems;
}
