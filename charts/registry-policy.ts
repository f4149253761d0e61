/**
 * The image-registry allowlist (Wikimedia's practice) enforced by the API server, not only at
 * synthesis: a ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, GA in Kubernetes
 * 1.30) denies a Pod in an app namespace when one of its containers, init containers or
 * ephemeral containers names an image outside `platform.allowedRegistries`, so neither
 * `kubectl run --image=docker.io/anything` nor a hand-applied Deployment gets past it. The
 * message names the image and the allowed prefixes.
 *
 * A prefix matches the image's whole path segments, as the config check does (lib/image.ts
 * isAllowedImage): `docker.io/library` admits `docker.io/library/postgres:17`, not
 * `docker.io/library-x/...`; an image without a registry host is denied (containerd would read it
 * as Docker Hub's).
 *
 * @see https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { LABEL } from '../lib/labels';
import { PlatformChart } from '../lib/platform-chart';

export const REGISTRY_POLICY = 'platform-allowed-registries';

export interface RegistryAllowlistPolicyProps {
  /** Image prefixes (`registry` or `registry/path`) Pods may use. */
  readonly allowedRegistries: readonly string[];
  /**
   * Namespaces it applies to, by label.
   * @default - every namespace with the `platform.campus/environment` label (the app namespaces)
   */
  readonly namespaceLabel?: string;
}

const FIELDS = [
  { field: 'containers', what: 'container' },
  { field: 'initContainers', what: 'init container' },
  { field: 'ephemeralContainers', what: 'ephemeral container' },
] as const;

const cel = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The CEL test that an image string starts with one of the prefixes, on whole path segments. */
export function allowedImageExpression(prefixes: readonly string[], image: string): string {
  const list = `[${prefixes.map((p) => cel(p.replace(/\/$/, ''))).join(', ')}]`;
  return `${list}.exists(p, ${image} == p || ${image}.startsWith(p + '/'))`;
}

/** The policy's validations, one per container list (exported for the tests, which evaluate them). */
export function registryValidations(allowed: readonly string[]): { expression: string; messageExpression: string; reason: string }[] {
  const prefixes = allowed.join(', ');
  return FIELDS.map(({ field, what }) => {
    const ok = allowedImageExpression(allowed, 'c.image');
    const list = `object.spec.${field}`;
    return {
      expression: `!has(${list}) || ${list}.all(c, ${ok})`,
      // Names the first offending image: the expression above passed unless one exists.
      messageExpression: `'${what} image ' + ${list}.filter(c, !(${ok}))[0].image + ' is not from an allowed registry (platform.allowedRegistries: ${prefixes.replace(/'/g, "\\'")})'`,
      reason: 'Forbidden',
    };
  });
}

export class RegistryAllowlistPolicy extends PlatformChart {
  constructor(scope: Construct, id: string, props: RegistryAllowlistPolicyProps) {
    super(scope, id);
    if (props.allowedRegistries.length === 0) throw new Error('RegistryAllowlistPolicy: expected at least one allowed registry');
    new ApiObject(this, 'Policy', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: REGISTRY_POLICY },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'pods/ephemeralcontainers'] }],
        },
        validations: registryValidations(props.allowedRegistries),
      },
    });
    new ApiObject(this, 'Binding', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: REGISTRY_POLICY },
      spec: {
        policyName: REGISTRY_POLICY,
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchExpressions: [{ key: props.namespaceLabel ?? LABEL.environment, operator: 'Exists' }] } },
      },
    });
  }
}
