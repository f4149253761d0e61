/**
 * The bounds of each app namespace, sized from the workloads the composition root built there: a
 * LimitRange for containers without resources and a ResourceQuota over the namespace's peak demand.
 */
import { ApiObject, App } from 'cdk8s';
import { CONTAINER_DEFAULTS, NamespaceBounds } from '../charts/namespace-bounds';
import { Namespaces } from '../charts/namespaces';
import { AppEnvironment } from '../config/model';
import { amount, cpuQuantity, Demand, memoryQuantity, namespaceDemand } from '../lib/namespace-demand';
import { renderedJson } from '../lib/render-once';

/** Headroom of a namespace's quota over its peak demand: a restart, a manual Job or a debug pod fits. */
const QUOTA_HEADROOM = { owned: 2, preview: 1.25 } as const;
// `Cluster`: CloudNativePG's instances (lib/namespace-demand.ts).
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'Job', 'CronJob', 'HorizontalPodAutoscaler', 'Cluster']);

/** A LimitRange and a ResourceQuota for each app namespace of an environment, sized from its workloads. */
export function boundNamespaces(app: App, namespaces: Namespaces, appEnvs: readonly AppEnvironment[]): void {
  const objects = app.node
    .findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject && WORKLOAD_KINDS.has(c.kind))
    .map(renderedJson);
  const demand = namespaceDemand(objects, CONTAINER_DEFAULTS);
  for (const appEnv of appEnvs) {
    const peak = demand.get(appEnv.namespace) ?? { cpuMilli: 0, memoryBytes: 0, memoryLimitBytes: 0 };
    const scaled = (factor: number): Demand => ({
      cpuMilli: peak.cpuMilli * factor,
      memoryBytes: peak.memoryBytes * factor,
      memoryLimitBytes: peak.memoryLimitBytes * factor,
    });
    let quota = scaled(appEnv.kind === 'preview' ? QUOTA_HEADROOM.preview : QUOTA_HEADROOM.owned);
    const configured = appEnv.kind === 'preview' ? appEnv.config.environments.previews?.quota : undefined;
    if (configured) {
      const cpuMilli = amount(configured.cpu, 1000);
      const memoryBytes = amount(configured.memory, 1);
      const field = `apps.${appEnv.app}.environments.previews.quota`;
      if (cpuMilli < peak.cpuMilli)
        throw new Error(
          `${field}.cpu: expected at least ${cpuQuantity(peak.cpuMilli)}, what ${appEnv.namespace} requests at its peak (rollout surge included), found ${configured.cpu}`,
        );
      if (memoryBytes < peak.memoryBytes)
        throw new Error(
          `${field}.memory: expected at least ${memoryQuantity(peak.memoryBytes)}, what ${appEnv.namespace} requests at its peak (rollout surge included), found ${configured.memory}`,
        );
      // Memory limits get the same headroom over the workloads' own limits as the requests have.
      quota = {
        cpuMilli,
        memoryBytes,
        memoryLimitBytes: Math.max(peak.memoryLimitBytes, peak.memoryLimitBytes * (memoryBytes / Math.max(peak.memoryBytes, 1))),
      };
    }
    new NamespaceBounds(namespaces, `Bounds-${appEnv.namespace}`, { namespace: appEnv.namespace, quota });
  }
}
