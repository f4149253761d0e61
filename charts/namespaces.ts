import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { PRUNE_PROTECTION } from '../lib/argocd';
import { ANNOTATION } from '../lib/labels';
import { PlatformChart } from '../lib/platform-chart';
import { namespacePodSecurity, PodSecurityLevel } from '../lib/pod-security';

export interface NamespaceOptions {
  /** Pod Security level the API server enforces. @default PodSecurityLevel.RESTRICTED */
  readonly podSecurity?: PodSecurityLevel;
  /** Why the namespace needs a level below restricted; required then. @default - none */
  readonly podSecurityReason?: string;
  /** Extra labels (e.g. the Gateway's admission label). @default - none */
  readonly labels?: Record<string, string>;
  /**
   * Why NetworkPolicies govern none (or only some) of the namespace's pods, e.g. host-network
   * pods, which no policy applies to; recorded as an annotation the validator reads.
   * @default - none: the namespace's policies govern every pod in it
   */
  readonly networkPolicyException?: string;
  /** Keep Argo CD from ever pruning or deleting it (namespaces that hold data). @default false */
  readonly protect?: boolean;
}

/**
 * The `00-namespaces` chart of an output directory: applied first, so every later object
 * lands in a namespace that already enforces its Pod Security level.
 */
export class Namespaces extends PlatformChart {
  private readonly names = new Set<string>();

  constructor(scope: Construct, id = '00-namespaces') {
    super(scope, id);
  }

  /** Whether the namespace is declared here. */
  public has(name: string): boolean {
    return this.names.has(name);
  }

  /** Adds a namespace; adding one twice is a programming error. */
  public add(name: string, opts: NamespaceOptions = {}): string {
    if (this.names.has(name)) throw new Error(`namespace "${name}" is declared twice`);
    this.names.add(name);
    const security = namespacePodSecurity(opts.podSecurity ?? PodSecurityLevel.RESTRICTED, opts.podSecurityReason);
    if (opts.networkPolicyException !== undefined && !opts.networkPolicyException.trim())
      throw new Error(`namespace "${name}": networkPolicyException must say which pods no policy governs and why`);
    const annotations = {
      ...security.annotations,
      ...(opts.networkPolicyException ? { [ANNOTATION.networkPolicyException]: opts.networkPolicyException } : {}),
      ...(opts.protect ? PRUNE_PROTECTION : {}),
    };
    new k8s.KubeNamespace(this, name, {
      metadata: {
        name,
        labels: { ...security.labels, ...opts.labels },
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
    });
    return name;
  }
}
