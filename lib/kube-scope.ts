/**
 * Which kinds are cluster-scoped: the built-in ones, then what the CRDs seen so far say. Shared by synthesis
 * (kubectl mode puts a chart's namespaced objects into its release namespace, as Argo CD and helm do) and the
 * assembly planner.
 */

/** Cluster-scoped built-in kinds (`group/Kind`); CRDs say their own scope. */
const CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/VolumeAttachment',
  'scheduling.k8s.io/PriorityClass',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'apiregistration.k8s.io/APIService',
  'networking.k8s.io/IngressClass',
  'node.k8s.io/RuntimeClass',
  'certificates.k8s.io/CertificateSigningRequest',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
]);

/** Scope lookup: built-in list, then the CRDs the plan has seen. */
export class Scopes {
  private readonly crdScopes = new Map<string, string>();

  addCrd(crd: any): void {
    const { group, names, scope } = crd?.spec ?? {};
    if (group && names?.kind) this.crdScopes.set(`${group}/${names.kind}`, scope ?? 'Namespaced');
  }

  isClusterScoped(group: string, kind: string): boolean {
    const gk = `${group}/${kind}`;
    return CLUSTER_SCOPED.has(gk) || this.crdScopes.get(gk) === 'Cluster';
  }
}
