import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { Application, AppProject } from '../imports/argoproj.io';
import { ARGO_ANNOTATION, syncAnnotations, WAVE } from '../lib/argocd';
import { ChartPin, GitRepository } from '../lib/contracts';
import { pinnedCharts } from '../lib/pins';
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

/** Name of the root Application, which syncs `dist/cluster/`. */
export const ROOT_APPLICATION = 'platform';
const IN_CLUSTER = 'https://kubernetes.default.svc';
const RETRY = { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } };

/**
 * Argo CD's `argocd-cm` with the Application health check. Argo CD reports an Application healthy as
 * soon as it exists unless told to read its status; without this, sync waves between Applications
 * (operators before the resources that need their CRDs, add-ons before environments) wait for nothing.
 * The bootstrap installs it before the root sync, which then keeps it as committed.
 * @see https://argo-cd.readthedocs.io/en/stable/operator-manual/upgrading/1.7-1.8/#health-assessment-of-argoprojioapplication-crd-has-been-removed
 */
export class ArgoCdSettings extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new k8s.KubeConfigMap(this, 'Resource', {
      metadata: {
        name: 'argocd-cm',
        namespace: ARGOCD_NAMESPACE,
        labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' },
      },
      data: { 'resource.customizations.health.argoproj.io_Application': APPLICATION_HEALTH },
    });
  }
}

export interface RootApplicationProps {
  readonly repo: GitRepository;
}

/**
 * The root of the GitOps tree: syncs `dist/cluster/` (which holds this Application too, so later
 * changes to it apply themselves). It prunes, so what leaves the tree leaves the cluster (preview
 * environments); objects that hold data carry Prune=false,Delete=false and are never pruned.
 */
export class RootApplication extends Construct {
  constructor(scope: Construct, id: string, props: RootApplicationProps) {
    super(scope, id);
    new Application(this, 'Resource', {
      // In its own tree, it must sit in the last wave: a wave that held it would wait on itself.
      metadata: { name: ROOT_APPLICATION, namespace: ARGOCD_NAMESPACE, annotations: syncAnnotations(WAVE.edge) },
      spec: {
        project: 'default',
        source: { repoUrl: props.repo.repoURL, targetRevision: props.repo.revision ?? 'main', path: 'dist/cluster', directory: { recurse: true } },
        destination: { server: IN_CLUSTER, namespace: ARGOCD_NAMESPACE },
        syncPolicy: { automated: { prune: true, selfHeal: true }, retry: RETRY },
      },
    });
  }
}

/**
 * What the first control-plane host applies right after installing Argo CD (`dist/bootstrap/`): the
 * settings the assembly relies on, then the root Application.
 */
export class ArgoCdBootstrap extends PlatformChart {
  constructor(scope: Construct, id: string, props: RootApplicationProps) {
    super(scope, id);
    new ArgoCdSettings(this, 'Settings');
    new RootApplication(this, 'Root', props);
  }
}

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
  readonly repo: GitRepository;
  readonly environments: readonly GitOpsEnvironment[];
  /** Chart repositories the platform's Applications may pull from (the AppProject's sources). @default - every chart pinned in config/versions.yaml */
  readonly charts?: readonly ChartPin[];
}

/**
 * The Argo CD side of the repository: an AppProject that limits where platform Applications may pull
 * from, one Application per environment folder of dist/, and the root Application and Argo CD
 * settings again, so the root sync keeps what the bootstrap installed as committed.
 */
export class GitOps extends PlatformChart {
  constructor(scope: Construct, id: string, props: GitOpsProps) {
    super(scope, id);
    const charts = props.charts ?? Object.values(pinnedCharts());
    const chartRepos = [...new Set(charts.map((c) => (c.repoURL.startsWith('oci://') ? `${c.repoURL}/${c.chart}` : c.repoURL)))].sort();
    new AppProject(this, 'Project', {
      metadata: { name: 'platform', namespace: ARGOCD_NAMESPACE },
      spec: {
        description: 'The platform synthesized into dist/ and its pinned add-on charts',
        sourceRepos: [props.repo.repoURL, ...chartRepos],
        destinations: [{ server: IN_CLUSTER, namespace: '*' }],
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    });
    new ArgoCdSettings(this, 'ArgoCdConfig');
    new RootApplication(this, 'Root', { repo: props.repo });
    for (const env of props.environments) {
      new Application(this, env.name, {
        metadata: {
          name: `env-${env.name}`,
          namespace: ARGOCD_NAMESPACE,
          // After the cluster's add-ons; previews last, once staging (whose database they use) is healthy.
          annotations: { [ARGO_ANNOTATION.syncWave]: String(env.ephemeral ? WAVE.edge : WAVE.environments) },
          ...(env.ephemeral ? { finalizers: ['resources-finalizer.argocd.argoproj.io'] } : {}),
        },
        spec: {
          project: 'platform',
          source: { repoUrl: props.repo.repoURL, targetRevision: props.repo.revision ?? 'main', path: `dist/${env.name}`, directory: { recurse: true } },
          destination: { server: IN_CLUSTER },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            retry: RETRY,
          },
        },
      });
    }
  }
}
