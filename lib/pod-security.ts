/**
 * The one place where the Pod Security "restricted" profile is applied to pod specs.
 * cdk8s-plus-28 sets neither a seccomp profile nor `drop: [ALL]`; the restricted profile
 * requires both, so every workload we synthesize goes through these helpers.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
import { k8s } from 'cdk8s-plus-28';

export enum PodSecurityLevel {
  RESTRICTED = 'restricted',
  BASELINE = 'baseline',
  PRIVILEGED = 'privileged',
}

/** Container settings the restricted profile requires. */
export const RESTRICTED_CONTAINER: k8s.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  privileged: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

export interface RestrictedPodOptions {
  /** Numeric uid the image runs as (restricted pods must not run as root). */
  readonly runAsUser: number;
  /** @default - same as runAsUser */
  readonly runAsGroup?: number;
  /** Group that owns mounted volumes; needed for writable PVCs. @default - none */
  readonly fsGroup?: number;
}

/** Pod-level security context for the restricted profile. */
export function restrictedPodSecurityContext(opts: RestrictedPodOptions): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: opts.runAsUser,
    runAsGroup: opts.runAsGroup ?? opts.runAsUser,
    ...(opts.fsGroup !== undefined ? { fsGroup: opts.fsGroup, fsGroupChangePolicy: 'OnRootMismatch' } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** A container with the restricted security context merged over its own. */
export function restrictedContainer(container: k8s.Container): k8s.Container {
  return { ...container, securityContext: { ...container.securityContext, ...RESTRICTED_CONTAINER } };
}

/**
 * A complete restricted pod spec: pod and container security contexts, no service account
 * token unless asked for (workloads that do not talk to the API server should not hold one).
 */
export function restrictedPodSpec(spec: k8s.PodSpec, opts: RestrictedPodOptions): k8s.PodSpec {
  return {
    automountServiceAccountToken: false,
    ...spec,
    securityContext: { ...restrictedPodSecurityContext(opts), ...spec.securityContext },
    containers: spec.containers.map(restrictedContainer),
    ...(spec.initContainers ? { initContainers: spec.initContainers.map(restrictedContainer) } : {}),
  };
}

/** Namespace labels that make the API server enforce a level, and the reason when it is not restricted. */
export function namespacePodSecurity(level: PodSecurityLevel, reason?: string): { labels: Record<string, string>; annotations: Record<string, string> } {
  if (level !== PodSecurityLevel.RESTRICTED && !reason) {
    throw new Error(`a namespace at Pod Security level "${level}" needs a reason (why its workloads cannot run restricted)`);
  }
  return {
    labels: {
      'pod-security.kubernetes.io/enforce': level,
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'pod-security.kubernetes.io/warn': level,
      'pod-security.kubernetes.io/audit': level,
    },
    annotations: reason ? { 'platform.campus/pod-security-reason': reason } : {},
  };
}
