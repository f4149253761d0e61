/**
 * The one home of Argo CD sync waves and sync options. `npm run plan` shows the order these produce
 * and `npm run validate` proves it: every kind's CRD before its objects, everything a wave waits on
 * before that wave.
 *
 * How Argo CD v3.5 uses them (gitops-engine `pkg/sync/sync_context.go`): a sync applies one wave,
 * waits until everything in it is healthy, then applies the next; an object that turns Degraded fails
 * the sync, and an automated sync retries a few times and then gives up for that revision. Only the
 * last wave is not waited on. So the order is: what brings CRDs, what needs those CRDs, what needs
 * healthy storage, and last whatever can fail for reasons outside the cluster (DNS, Let's Encrypt).
 * Plain data, so the validator and the planners read it without loading cdk8s; lib/argocd-constructs.ts puts it
 * on constructs.
 */

/** Waves of the root Application, which syncs `dist/cluster/`. */
export const WAVE = {
  /** Namespaces, the AppProject, Argo CD's settings, NetworkPolicies of the add-on namespaces. */
  foundation: 0,
  /** Charts that bring CRDs and controllers and need nothing else (Envoy Gateway, Rook, ECK, snapshots, Sealed Secrets). */
  operators: 1,
  /** Charts that need another chart's CRDs: cert-manager (Gateway API), ceph-csi-drivers (Rook's CSI operator); the CloudNativePG operator beside cert-manager. */
  dependentOperators: 2,
  /**
   * Our custom resources of those operators: the Ceph cluster, pools, StorageClasses, issuers, GatewayClass, EnvoyProxy, the
   * platform's SealedSecrets; and the Barman Cloud plugin, whose chart makes cert-manager Certificates for CloudNativePG.
   */
  platform: 3,
  /** What needs a healthy StorageClass: the monitoring stack, Elasticsearch, Kibana, Filebeat. */
  storageConsumers: 4,
  /** Jobs that call those services (log retention). */
  platformJobs: 5,
  /** Environments that own data (production, staging): each its own Application. */
  environments: 6,
  /**
   * Last, so that nothing waits on it: the Gateway, its certificates, every route, and the preview
   * environments (they use staging's database, which is healthy by then). An ACME certificate can
   * stay unissued for hours (DNS not pointed yet, rate limits); here that holds up nothing.
   */
  edge: 7,
} as const;

/** Waves inside an environment's Application. */
export const ENV_WAVE = {
  /** Policies, configuration, SealedSecrets and the data tier: a migration needs all of them. */
  prerequisites: -2,
  /** Schema migrations: they must complete before the new version rolls out. */
  migrations: -1,
  /** The app's workloads, routes and everything else. */
  workloads: 0,
} as const;

export const SYNC_OPTION = {
  /**
   * Lets the dry run of a custom resource pass while its CRD is still missing. It does not make the
   * CRD appear: the plan puts every CRD in an earlier wave than its objects.
   */
  skipDryRunOnMissingResource: 'SkipDryRunOnMissingResource=true',
  /** Never pruned or deleted by Argo CD: objects that hold data. */
  noPrune: 'Prune=false',
  noDelete: 'Delete=false',
  /** CRDs over 256 KiB do not fit the client-side apply annotation. */
  serverSideApply: 'ServerSideApply=true',
  createNamespace: 'CreateNamespace=true',
} as const;

export const ARGO_ANNOTATION = {
  syncWave: 'argocd.argoproj.io/sync-wave',
  syncOptions: 'argocd.argoproj.io/sync-options',
  /** Left out of the owning Application's health (controller/health.go); it still shows its own. */
  ignoreHealthcheck: 'argocd.argoproj.io/ignore-healthcheck',
} as const;

/** Annotations that place an object in a wave with the given sync options. */
export function syncAnnotations(wave: number | undefined, ...options: string[]): Record<string, string> {
  return {
    ...(wave !== undefined ? { [ARGO_ANNOTATION.syncWave]: String(wave) } : {}),
    ...(options.length ? { [ARGO_ANNOTATION.syncOptions]: [...new Set(options)].join(',') } : {}),
  };
}

/**
 * Routes: their health waits on the Gateway, its certificates and DNS, which an environment's own
 * health must not (the route still shows its health in Argo CD). The dry run may run before the
 * Gateway API CRDs exist on a fresh cluster; the plan proves they exist by the time it applies.
 */
export function routeAnnotations(wave?: number): Record<string, string> {
  return { ...syncAnnotations(wave, SYNC_OPTION.skipDryRunOnMissingResource), [ARGO_ANNOTATION.ignoreHealthcheck]: 'true' };
}

/** Objects that hold data: never pruned or deleted by Argo CD. */
export const PRUNE_PROTECTION = syncAnnotations(undefined, SYNC_OPTION.noPrune, SYNC_OPTION.noDelete);
