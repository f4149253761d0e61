import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { Application } from '../imports/argoproj.io';
import { ARGO_ANNOTATION, syncAnnotations, WAVE } from '../lib/argocd';
import { GitRepository } from '../lib/contracts';
import { PlatformChart } from '../lib/platform-chart';
import { ADDON_PROJECT, ARGOCD_NAMESPACE } from './addon-application';
import { AppProjectFor, IN_CLUSTER, PlatformProject, PlatformProjectProps } from './app-projects';

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

export interface GitOpsApplication {
  /** Application name, e.g. `berkeleytime-production`. */
  readonly name: string;
  /** Folder of the repository it syncs, e.g. `dist/production/berkeleytime`. */
  readonly path: string;
  /** The AppProject it belongs to (one of `projects`). */
  readonly project: string;
  /**
   * Remove its objects when it leaves the config (preview branches). Never set for environments
   * with data: their Applications are deleted without touching the workloads.
   * @default false
   */
  readonly ephemeral?: boolean;
}

export interface GitOpsProject {
  /** Project name: the app's name. */
  readonly name: string;
  /** Namespaces its Applications write to; nothing else is a destination. */
  readonly namespaces: readonly string[];
  /** Groups (from Argo CD's SSO) that may sync, but not change, its Applications. @default - none */
  readonly deployerGroups?: readonly string[];
}

export interface GitOpsProps {
  readonly repo: GitRepository;
  /** One per app: the projects of the `applications`. */
  readonly projects: readonly GitOpsProject[];
  /** One per app environment, each a folder of dist/. */
  readonly applications: readonly GitOpsApplication[];
  /** The add-on charts: their repositories and the namespaces they install into make the `platform` project. */
  readonly addons: PlatformProjectProps;
}

/**
 * The Argo CD side of the repository. Each app has an AppProject whose destinations are exactly
 * its namespaces, whose only source is the GitOps repository and whose only cluster-scoped objects
 * are those namespaces, so one app's Application (or a compromised deploy identity) cannot write
 * into another app or the platform; the add-on charts have the `platform` project, which admits
 * exactly their chart repositories and namespaces. One Application per app environment, and the
 * root Application and Argo CD settings again, so the root sync keeps what the bootstrap installed.
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/projects/
 */
export class GitOps extends PlatformChart {
  constructor(scope: Construct, id: string, props: GitOpsProps) {
    super(scope, id);
    const projects = new Set(props.projects.map((p) => p.name));
    if (projects.has(ADDON_PROJECT)) throw new Error(`GitOps: project name "${ADDON_PROJECT}" is the add-ons' own; rename the app`);
    new PlatformProject(this, 'Project', props.addons);
    for (const project of props.projects) new AppProjectFor(this, `Project-${project.name}`, { ...project, repo: props.repo });
    new ArgoCdSettings(this, 'ArgoCdConfig');
    new RootApplication(this, 'Root', { repo: props.repo });
    for (const app of props.applications) {
      if (!projects.has(app.project)) throw new Error(`GitOps: Application ${app.name} names project "${app.project}", which is not among the projects`);
      new Application(this, app.name, {
        metadata: {
          name: app.name,
          namespace: ARGOCD_NAMESPACE,
          // After the cluster's add-ons; previews last, once staging (whose database they use) is healthy.
          annotations: { [ARGO_ANNOTATION.syncWave]: String(app.ephemeral ? WAVE.edge : WAVE.environments) },
          ...(app.ephemeral ? { finalizers: ['resources-finalizer.argocd.argoproj.io'] } : {}),
        },
        spec: {
          project: app.project,
          source: { repoUrl: props.repo.repoURL, targetRevision: props.repo.revision ?? 'main', path: app.path, directory: { recurse: true } },
          destination: { server: IN_CLUSTER },
          syncPolicy: { automated: { prune: true, selfHeal: true }, retry: RETRY },
        },
      });
    }
  }
}
