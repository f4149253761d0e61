import { ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { Application } from '../imports/argoproj.io';
import { ARGO_ANNOTATION, SYNC_OPTION } from '../lib/argocd';
import { sourceRepoURL } from '../lib/chart-source';
import { ChartPin } from '../lib/contracts';
import { allowImages } from '../lib/image-allowlist';

/** Namespace Argo CD runs in; Applications live there. */
export const ARGOCD_NAMESPACE = 'argocd';
/** The AppProject of every add-on Application (charts/app-projects.ts). */
export const ADDON_PROJECT = 'platform';

/** A kind by API group (`''` for the core group) and name. */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** What almost every operator chart creates cluster-wide. */
export const ADDON_CLUSTER_KINDS: readonly GroupKind[] = [
  { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
  { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
  { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
  { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration' },
  { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration' },
];

export interface AddonApplicationProps {
  /** Application name, also the Helm release name. */
  readonly name: string;
  /** Pinned chart coordinates from config/versions.yaml (never a range). */
  readonly chart: ChartPin;
  /** Namespace the chart installs into. */
  readonly namespace: string;
  /** Helm values, built from typed props by the calling construct. */
  readonly values?: Record<string, unknown>;
  /**
   * Argo CD sync wave: lower waves sync first, so operators (and their CRDs) exist before
   * the custom resources that need them.
   * @default 0
   */
  readonly syncWave?: number;
  /**
   * Apply server-side: needed for CRDs larger than the 256 KiB client-side annotation limit.
   * @default false
   */
  readonly serverSideApply?: boolean;
  /**
   * Let Argo CD create the namespace. Leave off when our own chart synthesizes the namespace
   * (with its Pod Security labels), so the two never fight over it.
   * @default false
   */
  readonly createNamespace?: boolean;
  /**
   * Other namespaces the chart writes to (a subchart's `namespaceOverride`, a Service in kube-system):
   * destinations of the add-ons' project too.
   * @default - none
   */
  readonly alsoWritesTo?: readonly string[];
  /**
   * Cluster-scoped kinds the chart creates: the add-ons' project admits these and no other, and the
   * assembly check renders the chart and fails on any kind missing here.
   * @default ADDON_CLUSTER_KINDS (CRDs, ClusterRoles and their bindings, admission webhooks)
   */
  readonly clusterKinds?: readonly GroupKind[];
  /** Extra Application metadata (labels). @default - none */
  readonly metadata?: ApiObjectMetadata;
}

/**
 * An add-on delivered as an Argo CD Application of a pinned upstream Helm chart: the only
 * way third-party software enters the platform (no upstream manifest is copied in the repo).
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/helm/
 */
export class AddonApplication extends Construct {
  public readonly application: Application;
  public readonly name: string;
  /** Every namespace its chart writes to: the destination first. */
  public readonly namespaces: readonly string[];
  public readonly chart: ChartPin;
  public readonly clusterKinds: readonly GroupKind[];

  constructor(scope: Construct, id: string, props: AddonApplicationProps) {
    super(scope, id);
    this.name = props.name;
    this.namespaces = [props.namespace, ...(props.alsoWritesTo ?? [])];
    const { chart } = props;
    this.chart = chart;
    this.clusterKinds = props.clusterKinds ?? ADDON_CLUSTER_KINDS;
    // Its pods may pull from the chart's recorded repositories in every namespace it writes to.
    if (chart.images) for (const namespace of this.namespaces) allowImages(this, namespace, chart.images);
    // A range would let the cluster change without a commit; config/versions.yaml refuses one too.
    if (!/^v?[0-9]+\.[0-9]+\.[0-9]+$/.test(chart.version)) {
      throw new Error(
        `AddonApplication ${props.name}: chart ${chart.chart} version "${chart.version}" is not an exact version; pin one such as "1.2.3" in config/versions.yaml`,
      );
    }
    const syncOptions = [...(props.createNamespace ? [SYNC_OPTION.createNamespace] : []), ...(props.serverSideApply ? [SYNC_OPTION.serverSideApply] : [])];
    const values = props.values && Object.keys(props.values).length ? { valuesObject: props.values } : {};
    // Argo CD 3.1+ reads OCI Helm charts natively from `oci://<registry>/<repo>/<chart>` with path ".".
    const helm = { releaseName: props.name, ...values };
    const source = chart.repoURL.startsWith('oci://')
      ? { repoUrl: sourceRepoURL(chart), path: '.', targetRevision: chart.version, helm }
      : { repoUrl: sourceRepoURL(chart), chart: chart.chart, targetRevision: chart.version, helm };
    this.application = new Application(this, 'Resource', {
      metadata: {
        ...props.metadata,
        name: props.name,
        namespace: ARGOCD_NAMESPACE,
        annotations: { [ARGO_ANNOTATION.syncWave]: String(props.syncWave ?? 0) },
      },
      spec: {
        project: ADDON_PROJECT,
        source,
        destination: { server: 'https://kubernetes.default.svc', namespace: props.namespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          ...(syncOptions.length ? { syncOptions } : {}),
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
        },
      },
    });
  }
}

/** The charts of every add-on Application under `scope` and the namespaces they write to: the add-ons' project. */
export function addonsOf(scope: Construct): { charts: ChartPin[]; namespaces: string[]; clusterKinds: GroupKind[] } {
  const found = scope.node.findAll().filter((c): c is AddonApplication => c instanceof AddonApplication);
  const kinds = new Map(found.flatMap((a) => a.clusterKinds).map((k) => [`${k.group}/${k.kind}`, k]));
  return {
    charts: found.map((a) => a.chart),
    namespaces: [...new Set(found.flatMap((a) => a.namespaces))].sort(),
    clusterKinds: [...kinds.keys()].sort().map((key) => ({ ...kinds.get(key)! })),
  };
}
