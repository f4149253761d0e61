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
 * The platform's own namespaces get one policy each, `platform-allowed-images-<namespace>`, which
 * admits exactly the repositories the constructs recorded for it (lib/image-allowlist.ts): the
 * `images` of the charts installed there (config/versions.yaml) and those of the pods their
 * operators start (Ceph, Elasticsearch, Envoy). `npm run validate` evaluates every policy on every
 * pod template of the tree and of the rendered charts, so a chart bump that pulls from a new
 * repository fails review rather than the cluster.
 *
 * @see https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { LABEL } from '../lib/labels';
import { NamespaceImages } from '../lib/image-allowlist';
import { PlatformChart } from '../lib/platform-chart';

export const REGISTRY_POLICY = 'platform-allowed-registries';
/**
 * Namespaces that get no image policy, with the reason. kube-system runs what kubeadm and the
 * bootstrap install from their own pins (control-plane static pods, CoreDNS, kube-proxy, the CNI)
 * beside two add-on objects (the snapshot controller, a metrics Service); a policy that missed one of
 * them would keep the cluster's own components from starting, and only cluster admins write there.
 */
export const UNRESTRICTED_NAMESPACES: Readonly<Record<string, string>> = {
  'kube-system':
    "Kubernetes' own components (static pods, CoreDNS, kube-proxy, the CNI) come from kubeadm's and the bootstrap's pins; a policy that missed one would keep the cluster from starting",
};

/** The policy and binding of one platform namespace. */
export const namespaceImagePolicy = (namespace: string): string => `platform-allowed-images-${namespace}`;

export interface RegistryAllowlistPolicyProps {
  /** Image prefixes (`registry` or `registry/path`) Pods may use. */
  readonly allowedRegistries: readonly string[];
  /**
   * Namespaces it applies to, by label.
   * @default - every namespace with the `platform.campus/environment` label (the app namespaces)
   */
  readonly namespaceLabel?: string;
  /** The platform's own namespaces and the image repositories each may run (those in UNRESTRICTED_NAMESPACES get no policy). @default - none */
  readonly namespaces?: readonly NamespaceImages[];
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
  // A prefix that names a whole repository (`docker.io/curlimages/curl`) is followed by its tag or digest.
  return `${list}.exists(p, ${image} == p || ${image}.startsWith(p + '/') || ${image}.startsWith(p + ':') || ${image}.startsWith(p + '@'))`;
}

/** The policy's validations, one per container list (exported for the tests, which evaluate them). */
export function registryValidations(
  allowed: readonly string[],
  source = 'platform.allowedRegistries',
): { expression: string; messageExpression: string; reason: string }[] {
  const prefixes = allowed.join(', ');
  return FIELDS.map(({ field, what }) => {
    const ok = allowedImageExpression(allowed, 'c.image');
    const list = `object.spec.${field}`;
    return {
      expression: `!has(${list}) || ${list}.all(c, ${ok})`,
      // Names the first offending image: the expression above passed unless one exists.
      messageExpression: `'${what} image ' + ${list}.filter(c, !(${ok}))[0].image + ' is not from an allowed registry (${source}: ${prefixes.replace(/'/g, "\\'")})'`,
      reason: 'Forbidden',
    };
  });
}

export class RegistryAllowlistPolicy extends PlatformChart {
  constructor(scope: Construct, id: string, props: RegistryAllowlistPolicyProps) {
    super(scope, id);
    if (props.allowedRegistries.length === 0) throw new Error('RegistryAllowlistPolicy: expected at least one allowed registry');
    this.policy(REGISTRY_POLICY, registryValidations(props.allowedRegistries), {
      namespaceSelector: { matchExpressions: [{ key: props.namespaceLabel ?? LABEL.environment, operator: 'Exists' }] },
    });
    for (const { namespace, images } of (props.namespaces ?? []).filter((n) => !(n.namespace in UNRESTRICTED_NAMESPACES))) {
      if (images.length === 0) throw new Error(`RegistryAllowlistPolicy: namespace ${namespace}: expected at least one image repository`);
      // The API server labels every namespace with its name, so this binds the namespace whoever created it.
      this.policy(namespaceImagePolicy(namespace), registryValidations(images, `allowed in namespace ${namespace}`), {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
      });
    }
  }

  private policy(name: string, validations: ReturnType<typeof registryValidations>, matchResources: Record<string, unknown>): void {
    new ApiObject(this, `${name}-policy`, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'pods/ephemeralcontainers'] }],
        },
        validations,
      },
    });
    new ApiObject(this, `${name}-binding`, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name },
      spec: { policyName: name, validationActions: ['Deny'], matchResources },
    });
  }
}
