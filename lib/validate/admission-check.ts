/**
 * The tree's ValidatingAdmissionPolicies, evaluated as the API server would on every pod the tree and
 * the rendered charts create: each pod template, in the namespace it lands in, against each policy
 * whose binding selects that namespace. A pod a policy would deny never starts on the cluster (its
 * Deployment just stays unavailable, and the sync waits on it), so here it is a finding with the
 * policy's own message. When the tree restricts pods at all, a namespace of the tree that no policy
 * covers is a finding too: an image allowlist with a gap admits anything there.
 *
 * Pods that operators start (Elasticsearch, Ceph, Envoy) are not in the tree; their repositories are
 * recorded by the constructs that create their resources, from the operators' documented defaults.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
 */
import { Environment } from '@marcbachmann/cel-js';
import { documentId, Finding, SourceDocument } from './document';
import { isKind, matchesSelector, podTemplates } from './workloads';

interface Policy {
  readonly name: string;
  readonly validations: readonly { expression: string; message?: string; messageExpression?: string }[];
  readonly matchConditions: readonly { name: string; expression: string }[];
}

interface Binding {
  readonly policy: Policy;
  readonly doc: SourceDocument;
  readonly namespaceSelector: any;
  readonly objectSelector: any;
  readonly denies: boolean;
}

const ADMISSION = 'admissionregistration.k8s.io';
const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });

/** Whether a policy's rules match creating a Pod. */
function matchesPodCreate(spec: any): boolean {
  return (spec?.matchConstraints?.resourceRules ?? []).some(
    (r: any) =>
      (r.apiGroups ?? []).some((g: string) => g === '' || g === '*') &&
      (r.resources ?? []).some((x: string) => x === 'pods' || x === '*') &&
      (r.operations ?? []).some((o: string) => o === 'CREATE' || o === '*'),
  );
}

function policiesOf(objects: readonly SourceDocument[]): Binding[] {
  const policies = new Map<string, Policy>();
  for (const d of objects)
    if (isKind(d, ADMISSION, 'ValidatingAdmissionPolicy') && matchesPodCreate(d.object.spec))
      policies.set(d.object.metadata?.name, {
        name: d.object.metadata?.name,
        validations: d.object.spec?.validations ?? [],
        matchConditions: d.object.spec?.matchConditions ?? [],
      });
  return objects
    .filter((d) => isKind(d, ADMISSION, 'ValidatingAdmissionPolicyBinding') && policies.has(d.object.spec?.policyName))
    .map((d) => ({
      policy: policies.get(d.object.spec.policyName)!,
      doc: d,
      namespaceSelector: d.object.spec?.matchResources?.namespaceSelector ?? {},
      objectSelector: d.object.spec?.matchResources?.objectSelector ?? {},
      denies: (d.object.spec?.validationActions ?? []).includes('Deny'),
    }));
}

/** A namespace's labels as the API server sees them: its own, and its name under `kubernetes.io/metadata.name`. */
function namespaceLabels(objects: readonly SourceDocument[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const d of objects)
    if (isKind(d, '', 'Namespace')) out.set(d.object.metadata?.name, { ...d.object.metadata?.labels, 'kubernetes.io/metadata.name': d.object.metadata?.name });
  return out;
}

const parsed = new Map<string, ReturnType<typeof env.parse>>();
/** Each expression is parsed once: every policy is evaluated on every pod template. */
function evaluate(expression: string, vars: Record<string, unknown>): unknown {
  let program = parsed.get(expression);
  if (!program) parsed.set(expression, (program = env.parse(expression)));
  return program(vars);
}

export function checkAdmission(objects: readonly SourceDocument[]): Finding[] {
  const bindings = policiesOf(objects);
  if (bindings.length === 0) return [];
  const labels = namespaceLabels(objects);
  const labelsOf = (ns: string) => labels.get(ns) ?? { 'kubernetes.io/metadata.name': ns };
  const findings: Finding[] = [];

  for (const t of podTemplates(objects)) {
    // Plain JSON values, whatever realm the documents were built in: the evaluator accepts only those.
    const pod = JSON.parse(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: t.namespace, labels: t.labels }, spec: t.spec }));
    const vars = { object: pod, oldObject: null, params: null, request: { operation: 'CREATE', namespace: t.namespace } };
    for (const b of bindings) {
      if (!b.denies || !matchesSelector(b.namespaceSelector, labelsOf(t.namespace)) || !matchesSelector(b.objectSelector, t.labels)) continue;
      const at = (message: string) => findings.push({ file: t.doc.file, document: documentId(t.doc), path: t.specPath, message });
      try {
        if (!b.policy.matchConditions.every((c) => evaluate(c.expression, vars) === true)) continue;
        const failed = b.policy.validations.find((v) => evaluate(v.expression, vars) !== true);
        if (!failed) continue;
        const message = failed.messageExpression ? String(evaluate(failed.messageExpression, vars)) : (failed.message ?? failed.expression);
        at(`admission: ValidatingAdmissionPolicy ${b.policy.name} denies this pod in namespace ${t.namespace}: ${message}`);
      } catch (err) {
        at(
          `admission: ValidatingAdmissionPolicy ${b.policy.name} could not be evaluated on this pod (${(err as Error).message}); the API server would apply its failurePolicy`,
        );
      }
    }
  }

  for (const [name] of labels) {
    if (bindings.some((b) => matchesSelector(b.namespaceSelector, labelsOf(name)))) continue;
    const doc = objects.find((d) => isKind(d, '', 'Namespace') && d.object.metadata?.name === name)!;
    findings.push({
      file: doc.file,
      document: documentId(doc),
      path: 'metadata.labels',
      message: `admission: no ValidatingAdmissionPolicy restricts the images of pods in namespace ${name}, while the tree restricts others: its pods may pull anything`,
    });
  }
  return findings;
}
