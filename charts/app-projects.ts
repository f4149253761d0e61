/**
 * Argo CD AppProjects: what each group of Applications may pull and where it may write. Argo CD
 * refuses to sync an Application with an object outside its project's destinations or cluster-scoped
 * whitelist, so these are the deploy-only boundaries of the GitOps side (Wikimedia's practice): an
 * app's Applications reach only its own namespaces, the add-on charts only theirs.
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/projects/
 * @see https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#projects
 */
import { Construct } from 'constructs';
import { AppProject } from '../imports/argoproj.io';
import { sourceRepoURL } from '../lib/chart-source';
import { ChartPin, GitRepository } from '../lib/contracts';
import { ADDON_PROJECT, ARGOCD_NAMESPACE, GroupKind } from './addon-application';

export const IN_CLUSTER = 'https://kubernetes.default.svc';

export interface PlatformProjectProps {
  /** The add-on charts; their repositories are the project's only sources. */
  readonly charts: readonly ChartPin[];
  /** Namespaces the add-on charts install into. */
  readonly namespaces: readonly string[];
  /** Cluster-scoped kinds the charts create. */
  readonly clusterKinds: readonly GroupKind[];
}

/** The `platform` project of the add-on chart Applications. */
export class PlatformProject extends Construct {
  constructor(scope: Construct, id: string, props: PlatformProjectProps) {
    super(scope, id);
    new AppProject(this, 'Resource', {
      metadata: { name: ADDON_PROJECT, namespace: ARGOCD_NAMESPACE },
      spec: {
        description: 'The pinned add-on charts (config/versions.yaml): their chart repositories and namespaces only',
        sourceRepos: [...new Set(props.charts.map(sourceRepoURL))].sort(),
        destinations: [...new Set(props.namespaces)].sort().map((namespace) => ({ server: IN_CLUSTER, namespace })),
        clusterResourceWhitelist: props.clusterKinds.map((k) => ({ group: k.group, kind: k.kind })),
      },
    });
  }
}

export interface AppProjectForProps {
  /** Project name: the app's. */
  readonly name: string;
  readonly repo: GitRepository;
  /** The app's namespaces, one per environment: its only destinations and its only cluster-scoped objects. */
  readonly namespaces: readonly string[];
  /** Groups that may sync (not create, change or delete) the app's Applications. @default - none */
  readonly deployerGroups?: readonly string[];
}

/** One app's project: its environments' Applications, its namespaces, the GitOps repository. */
export class AppProjectFor extends Construct {
  constructor(scope: Construct, id: string, props: AppProjectForProps) {
    super(scope, id);
    const namespaces = [...new Set(props.namespaces)].sort();
    const groups = props.deployerGroups ?? [];
    const role = `proj:${props.name}:deployer`;
    new AppProject(this, 'Resource', {
      metadata: { name: props.name, namespace: ARGOCD_NAMESPACE },
      spec: {
        description: `App ${props.name}: its environments' Applications, synced from dist/ into its own namespaces only`,
        sourceRepos: [props.repo.repoURL],
        destinations: namespaces.map((namespace) => ({ server: IN_CLUSTER, namespace })),
        // An app's tree creates its namespaces and nothing else cluster-wide.
        clusterResourceWhitelist: namespaces.map((name) => ({ group: '', kind: 'Namespace', name })),
        ...(groups.length
          ? {
              roles: [
                {
                  name: 'deployer',
                  description: `Deploy-only: may see and sync ${props.name}'s Applications, not change them`,
                  groups: [...groups],
                  policies: ['get', 'sync'].map((action) => `p, ${role}, applications, ${action}, ${props.name}/*, allow`),
                },
              ],
            }
          : {}),
      },
    });
  }
}
