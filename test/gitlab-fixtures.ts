/** Fixtures for the GitLab tests: GitLab composed with a real EdgeTier (or ingress-nginx), as the platform places it. */
import { App, Testing } from 'cdk8s';
import { EdgeTier } from '../charts/edge-tier';
import { GitLab, GitLabProps } from '../charts/gitlab';
import { Namespaces } from '../charts/namespaces';
import { NamespacePeer } from '../lib/contracts';
import { drainWarnings, requiredSecretsOf, Warning } from '../lib/warnings';

export const PLATFORM_HOST = 'code.example.org';
export const POD_CIDR = '10.244.0.0/16';
export const RETAINED = { name: 'block-retain', reclaimPolicy: 'Retain' } as const;
export const PROMETHEUS: NamespacePeer = {
  name: 'prometheus',
  namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
  podLabels: { 'app.kubernetes.io/name': 'prometheus' },
};

export interface GitLabBuild {
  readonly gitlab: GitLab;
  /** Namespaces, then the edge's and GitLab's documents. */
  readonly docs: any[];
  readonly secrets: string[];
  readonly warnings: Warning[];
  one(kind: string, name?: string): any;
  all(kind: string): any[];
}

/** GitLab with its props over the fixture's (host, pod CIDR, retained class), behind an edge of `controller`. */
export function buildGitLab(
  props: Partial<Omit<GitLabProps, 'namespaces' | 'edge'>> = {},
  controller: 'envoy-gateway' | 'ingress-nginx' = 'envoy-gateway',
): GitLabBuild {
  drainWarnings();
  const app: App = Testing.app();
  const namespaces = new Namespaces(app);
  const edge = new EdgeTier(app, '30-edge', { controller, namespaces, hosts: [PLATFORM_HOST], previewDomains: [], platformHost: PLATFORM_HOST });
  const gitlab = new GitLab(app, '60-gitlab', { host: PLATFORM_HOST, podCidrs: [POD_CIDR], storageClass: RETAINED, ...props, namespaces, edge });
  const docs = [namespaces, edge, gitlab].flatMap((c) => Testing.synth(c));
  const all = (kind: string) => docs.filter((d) => d.kind === kind && (d.metadata.namespace === 'gitlab' || kind === 'Namespace'));
  const one = (kind: string, name?: string) => {
    const found = all(kind).filter((d) => name === undefined || d.metadata.name === name);
    if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''} in gitlab, found ${found.length}`);
    return found[0];
  };
  return { gitlab, docs, secrets: requiredSecretsOf(app), warnings: drainWarnings(), one, all };
}

/** The GitLab container of the StatefulSet. */
export const gitlabContainer = (build: GitLabBuild) => build.one('StatefulSet', 'gitlab').spec.template.spec.containers[0];

/** The value of GITLAB_OMNIBUS_CONFIG. */
export const omnibusOf = (build: GitLabBuild): string => gitlabContainer(build).env.find((e: any) => e.name === 'GITLAB_OMNIBUS_CONFIG').value;
