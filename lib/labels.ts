/**
 * The label vocabulary. Constructs never spell these keys themselves: they receive a
 * `PodSelector` from the construct that owns the pods (see lib/network-policy.ts).
 */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  version: 'app.kubernetes.io/version',
  /** Canary releases: `stable` or `canary` (Wikimedia's two Deployments behind one Service). */
  track: 'platform.campus/track',
  /** Namespaces of an app's preview environments, admitted by the staging data tier. */
  previewOf: 'platform.campus/preview-of',
  /** Namespaces whose Services the shared Gateway may route to. */
  gatewayAccess: 'platform.campus/gateway-access',
  environment: 'platform.campus/environment',
} as const;

export const ANNOTATION = {
  /** Why a namespace runs below the restricted Pod Security level (checked by `npm run validate`). */
  podSecurityReason: 'platform.campus/pod-security-reason',
  /** Which pods of a namespace no NetworkPolicy governs (host network) and why (checked by `npm run validate`). */
  networkPolicyException: 'platform.campus/network-policy-exception',
  /** On a CloudNativePG Cluster: the Postgres major its data is upgraded from in place (the upgrade check requires it for a major change). */
  postgresMajorUpgradeFrom: 'platform.campus/postgres-major-upgrade-from',
  /** On a ConfigMap: comma-separated data keys holding manifests a Job of ours applies (the validator reads them as objects to come). */
  embeddedManifests: 'platform.campus/embedded-manifests',
  /** cert-manager fills a Certificate's Secret with a temporary certificate until the real one is issued. */
  issueTemporaryCertificate: 'cert-manager.io/issue-temporary-certificate',
} as const;

/** Stable, minimal labels that select one workload's pods. */
export function selectorLabels(instance: string, name: string): Record<string, string> {
  return { [LABEL.instance]: instance, [LABEL.name]: name };
}

/** Recommended labels for every object of a workload (selector labels plus descriptive ones). */
export function objectLabels(instance: string, name: string, partOf: string, component?: string): Record<string, string> {
  return {
    ...selectorLabels(instance, name),
    [LABEL.partOf]: partOf,
    ...(component ? { [LABEL.component]: component } : {}),
    [LABEL.managedBy]: 'cdk8s',
  };
}
