/** What the risk rules share: the two versions of one object, and facts of whole trees. */

/** What an object rule finds, before the flag is placed in its section. */
export interface Risk {
  readonly id: string;
  readonly reason: string;
}

/** Both versions of one object (either may be missing) and what a rule may need to know about the trees. */
export interface ObjectPair {
  readonly prev?: any;
  readonly next?: any;
  readonly trees: TreeFacts;
}

export interface TreeFacts {
  /** Every hostname the old tree serves (routes, Ingresses, Gateway listeners). */
  readonly oldHostnames: ReadonlySet<string>;
  /** Namespaces that hold an object in the new tree. */
  readonly newNamespaces: ReadonlySet<string>;
  /** Namespaces that held an object in the old tree. */
  readonly oldNamespaces: ReadonlySet<string>;
  /**
   * Per namespace, the directions (Ingress, Egress) some NetworkPolicy of the old tree isolated:
   * only in an isolated direction does a new policy's allow widen anything.
   */
  readonly oldIsolation: ReadonlyMap<string, ReadonlySet<string>>;
}

export type ObjectRule = (pair: ObjectPair) => Risk[];

/** The hostnames an object serves: Gateway API routes and listeners, Ingress rules. */
export function hostnamesOf(object: any): string[] {
  const spec = object?.spec ?? {};
  const list = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  if (/Route$/.test(object?.kind ?? '') && String(object?.apiVersion).startsWith('gateway.networking.k8s.io/')) return list(spec.hostnames);
  if (object?.kind === 'Gateway') return list((spec.listeners ?? []).map((l: any) => l?.hostname));
  if (object?.kind === 'Ingress') return list([...(spec.rules ?? []).map((r: any) => r?.host), ...(spec.tls ?? []).flatMap((t: any) => t?.hosts ?? [])]);
  return [];
}

/** The pod spec of a workload, a CronJob's job template or a Pod. */
export function podSpecOf(object: any): any | undefined {
  const spec = object?.spec;
  if (object?.kind === 'Pod') return spec;
  if (object?.kind === 'CronJob') return spec?.jobTemplate?.spec?.template?.spec;
  return spec?.template?.spec && typeof spec.template.spec === 'object' && Array.isArray(spec.template.spec.containers) ? spec.template.spec : undefined;
}

export function containersByName(podSpec: any): Map<string, any> {
  const all = [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])];
  return new Map(all.filter((c) => typeof c?.name === 'string').map((c) => [c.name, c]));
}
