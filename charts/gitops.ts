import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { GitopsConfig } from '../config/schema/platform-services';
import { Versions } from '../config/versions';
import { Application, AppProject } from '../imports/argoproj.io';
import { ANNOTATION } from '../lib/labels';
import { PlatformChart } from '../lib/platform-chart';
import { ARGOCD_NAMESPACE } from './addon-application';

/** Lua health check: an Application is as healthy as its own status says. */
const APPLICATION_HEALTH = `hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil and obj.status.health ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    hs.message = obj.status.health.message
  end
end
return hs
`;

export interface GitOpsEnvironment {
  /** Output folder under dist/, e.g. `production`. */
  readonly name: string;
  /**
   * Remove the environment's objects when it leaves the config (preview branches). Never set
   * for environments with data: their Applications are deleted without touching the workloads.
   * @default false
   */
  readonly ephemeral?: boolean;
}

export interface GitOpsProps {
  readonly repo: GitopsConfig;
  readonly environments: readonly GitOpsEnvironment[];
  readonly versions: Versions;
}

/**
 * The Argo CD side of the repository: an AppProject that limits where platform
 * Applications may pull from, and one Application per environment folder of dist/.
 * The bootstrap's root Application syncs dist/cluster/, which holds these.
 */
export class GitOps extends PlatformChart {
  constructor(scope: Construct, id: string, props: GitOpsProps) {
    super(scope, id);
    const chartRepos = [...new Set(Object.values(props.versions.charts).map((c) => (c.repoURL.startsWith('oci://') ? `${c.repoURL}/${c.chart}` : c.repoURL)))].sort();
    new AppProject(this, 'Project', {
      metadata: { name: 'platform', namespace: ARGOCD_NAMESPACE },
      spec: {
        description: 'The platform synthesized into dist/ and its pinned add-on charts',
        sourceRepos: [props.repo.repoURL, ...chartRepos],
        destinations: [{ server: 'https://kubernetes.default.svc', namespace: '*' }],
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    });
    // Argo CD reports an Application healthy as soon as it exists unless told to read its status;
    // without this, sync waves between Applications (operators before the resources that need
    // their CRDs, add-ons before environments) do not wait for anything.
    // @see https://argo-cd.readthedocs.io/en/stable/operator-manual/upgrading/1.7-1.8/#health-assessment-of-argoprojioapplication-crd-has-been-removed
    new k8s.KubeConfigMap(this, 'ArgoCdConfig', {
      metadata: {
        name: 'argocd-cm',
        namespace: ARGOCD_NAMESPACE,
        labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' },
      },
      data: { 'resource.customizations.health.argoproj.io_Application': APPLICATION_HEALTH },
    });
    for (const env of props.environments) {
      new Application(this, env.name, {
        metadata: {
          name: `env-${env.name}`,
          namespace: ARGOCD_NAMESPACE,
          // Environments sync after the cluster's add-ons (storage classes, gateway, CRDs).
          annotations: { [ANNOTATION.argoSyncWave]: '10' },
          ...(env.ephemeral ? { finalizers: ['resources-finalizer.argocd.argoproj.io'] } : {}),
        },
        spec: {
          project: 'platform',
          source: { repoUrl: props.repo.repoURL, targetRevision: props.repo.revision, path: `dist/${env.name}`, directory: { recurse: true } },
          destination: { server: 'https://kubernetes.default.svc' },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
          },
        },
      });
    }
  }
}
