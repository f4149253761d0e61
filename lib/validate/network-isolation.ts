/**
 * Every namespace isolated: each Namespace of the tree holds at least one NetworkPolicy (a
 * default-deny and its allows, ours or a chart's), or says in its
 * `platform.campus/network-policy-exception` annotation which pods no policy governs and why
 * (pods on the host network, which NetworkPolicies do not apply to). A namespace that runs
 * host-network pods says so even when it has policies for its other pods.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies
 */
import { finding, Finding, namespaceOf, SourceDocument } from './document';
import { isKind, podTemplates } from './workloads';
import { ANNOTATION } from '../labels';

export const NETWORK_POLICY_EXCEPTION = ANNOTATION.networkPolicyException;

export function checkNamespaceIsolation(docs: readonly SourceDocument[]): Finding[] {
  const governed = new Set(docs.filter((d) => isKind(d, 'networking.k8s.io', 'NetworkPolicy')).map((d) => namespaceOf(d.object)));
  const hostNetwork = new Map<string, string>();
  for (const t of podTemplates(docs)) {
    if (t.spec?.hostNetwork === true && !hostNetwork.has(t.namespace)) hostNetwork.set(t.namespace, `${t.doc.object.kind}/${t.doc.object.metadata?.name}`);
  }
  const path = `metadata.annotations.${NETWORK_POLICY_EXCEPTION}`;
  return docs
    .filter((d) => isKind(d, '', 'Namespace'))
    .flatMap((doc) => {
      const name = String(doc.object.metadata?.name);
      const exception: unknown = doc.object.metadata?.annotations?.[NETWORK_POLICY_EXCEPTION];
      if (exception !== undefined && (typeof exception !== 'string' || !exception.trim())) {
        return [finding(doc, path, 'is empty: say which pods no NetworkPolicy governs and why (e.g. they use the host network)')];
      }
      if (exception) return [];
      const host = hostNetwork.get(name);
      if (host) {
        return [
          finding(doc, path, `is missing: ${host} runs in the host network, which NetworkPolicies do not govern; say so (and what its clients use instead)`),
        ];
      }
      if (governed.has(name)) return [];
      return [
        finding(
          doc,
          '',
          `namespace "${name}" has no NetworkPolicy, so its pods accept and open any connection: add a default-deny with the allows its pods need (lib/network-policy.ts), or the ${NETWORK_POLICY_EXCEPTION} annotation saying why no policy applies`,
        ),
      ];
    });
}
