/**
 * What the workloads of a namespace request at their peak: every Deployment at its replicas plus
 * its rolling-update surge (or an autoscaler's maximum), every StatefulSet, and one run of every
 * Job and CronJob at once; a pod counts the larger of its containers' sum and its largest init
 * container, as the scheduler does. A namespace's ResourceQuota is sized from it, so the quota
 * can never block the platform's own rollout.
 */
import { parseQuantity } from './quantity';

export interface Demand {
  readonly cpuMilli: number;
  readonly memoryBytes: number;
  readonly memoryLimitBytes: number;
}

const ZERO: Demand = { cpuMilli: 0, memoryBytes: 0, memoryLimitBytes: 0 };

/** A quantity in units of 1/scale, rounded up (`amount('250m', 1000)` is 250 millicores); 0 when it is none. */
export function amount(value: unknown, scale: number): number {
  const q = parseQuantity(value);
  return q ? Math.ceil((Number(q.num) * scale) / Number(q.den)) : 0;
}

function containers(list: readonly any[] | undefined): Demand {
  return (list ?? []).reduce(
    (sum: Demand, c: any) => ({
      cpuMilli: sum.cpuMilli + amount(c.resources?.requests?.cpu, 1000),
      memoryBytes: sum.memoryBytes + amount(c.resources?.requests?.memory, 1),
      memoryLimitBytes: sum.memoryLimitBytes + amount(c.resources?.limits?.memory, 1),
    }),
    ZERO,
  );
}

function pod(spec: any): Demand {
  const main = containers(spec?.containers);
  const inits = (spec?.initContainers ?? []).map((c: any) => containers([c]));
  const max = (key: keyof Demand) => Math.max(main[key], ...inits.map((d: Demand) => d[key]));
  return { cpuMilli: max('cpuMilli'), memoryBytes: max('memoryBytes'), memoryLimitBytes: max('memoryLimitBytes') };
}

const times = (d: Demand, n: number): Demand => ({ cpuMilli: d.cpuMilli * n, memoryBytes: d.memoryBytes * n, memoryLimitBytes: d.memoryLimitBytes * n });
const plus = (a: Demand, b: Demand): Demand => ({
  cpuMilli: a.cpuMilli + b.cpuMilli,
  memoryBytes: a.memoryBytes + b.memoryBytes,
  memoryLimitBytes: a.memoryLimitBytes + b.memoryLimitBytes,
});

/** Rolling-update surge pods (apps/v1 default maxSurge 25%, rounded up). */
function surge(o: any, replicas: number): number {
  const s = o.spec?.strategy;
  if (s?.type === 'Recreate') return 0;
  const max = s?.rollingUpdate?.maxSurge ?? '25%';
  return typeof max === 'number' ? max : Math.ceil((replicas * Number(String(max).replace('%', ''))) / 100);
}

/** Resources of a container in the manifest's form. */
export interface ContainerResources {
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  readonly limits?: { readonly memory?: string };
}

/**
 * Peak demand per namespace of the objects given (any kinds; only workloads count). A CloudNativePG
 * `Cluster` counts `instances` pods of its `resources`, each with the Barman Cloud plugin's sidecar
 * when it has plugins (the plugin injects it without resources: `sidecar`, the namespace's LimitRange defaults).
 */
export function namespaceDemand(objects: readonly any[], sidecar: ContainerResources = {}): Map<string, Demand> {
  const out = new Map<string, Demand>();
  const add = (ns: string, d: Demand) => out.set(ns, plus(out.get(ns) ?? ZERO, d));
  const hpaMax = new Map<string, number>();
  for (const o of objects)
    if (o?.kind === 'HorizontalPodAutoscaler') hpaMax.set(`${o.metadata.namespace}/${o.spec?.scaleTargetRef?.name}`, o.spec?.maxReplicas ?? 1);
  for (const o of objects) {
    const ns = o?.metadata?.namespace;
    if (!ns) continue;
    if (o.kind === 'Deployment') {
      const replicas = hpaMax.get(`${ns}/${o.metadata.name}`) ?? o.spec?.replicas ?? 1;
      add(ns, times(pod(o.spec?.template?.spec), replicas + surge(o, replicas)));
    } else if (o.kind === 'StatefulSet') add(ns, times(pod(o.spec?.template?.spec), o.spec?.replicas ?? 1));
    else if (o.kind === 'Job') add(ns, times(pod(o.spec?.template?.spec), o.spec?.parallelism ?? 1));
    else if (o.kind === 'CronJob') add(ns, times(pod(o.spec?.jobTemplate?.spec?.template?.spec), o.spec?.jobTemplate?.spec?.parallelism ?? 1));
    else if (o.kind === 'Cluster' && String(o.apiVersion).startsWith('postgresql.cnpg.io/')) {
      const sidecars = (o.spec?.plugins ?? []).length > 0 ? [{ resources: sidecar }] : [];
      add(ns, times(pod({ containers: [{ resources: o.spec?.resources }, ...sidecars] }), o.spec?.instances ?? 1));
    }
  }
  return out;
}

/** Millicores as a quantity (`1250m`), bytes as mebibytes rounded up (`1536Mi`). */
export const cpuQuantity = (milli: number) => `${Math.ceil(milli)}m`;
export const memoryQuantity = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)}Mi`;
