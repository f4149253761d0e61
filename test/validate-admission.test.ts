/**
 * The admission check (lib/validate/admission-check.ts): the tree's ValidatingAdmissionPolicies
 * evaluated on every pod template in the namespace it lands in, and namespaces no policy covers.
 * Hermetic: small documents built here, the policy expressions from charts/registry-policy.ts.
 */
import { Testing } from 'cdk8s';
import { namespaceImagePolicy, RegistryAllowlistPolicy } from '../charts/registry-policy';
import { checkAdmission } from '../lib/validate/admission-check';
import { SourceDocument } from '../lib/validate/document';

const doc = (object: any, file = 'tree.yaml'): SourceDocument => ({ file, index: 0, object });
const policies = () =>
  Testing.synth(
    new RegistryAllowlistPolicy(Testing.app(), '12-admission', {
      allowedRegistries: ['registry.example.org'],
      namespaces: [{ namespace: 'tools', images: ['quay.io/jetstack'] }],
    }),
  ).map((o) => doc(o, 'policies.yaml'));
const namespace = (name: string, labels: Record<string, string> = {}) => doc({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const deployment = (ns: string, image: string, name = 'web') =>
  doc({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } } },
  });
const messages = (docs: SourceDocument[]) => checkAdmission(docs).map((f) => `${f.document}: ${f.path}: ${f.message}`);
const tree = (...extra: SourceDocument[]) => [
  ...policies(),
  namespace('app-production', { 'platform.campus/environment': 'production' }),
  namespace('tools'),
  ...extra,
];

test('pods whose images the bound policy admits pass, in app namespaces (by label) and platform namespaces (by name)', () => {
  expect(
    messages(tree(deployment('app-production', 'registry.example.org/app/web:1'), deployment('tools', 'quay.io/jetstack/cert-manager-controller:v1'))),
  ).toEqual([]);
});

test("a pod the policy denies is a finding with the policy's own message, where the pod template is", () => {
  expect(messages(tree(deployment('tools', 'docker.io/library/busybox:1')))).toEqual([
    `Deployment/tools/web: spec.template.spec: admission: ValidatingAdmissionPolicy ${namespaceImagePolicy('tools')} denies this pod in namespace tools: container image docker.io/library/busybox:1 is not from an allowed registry (allowed in namespace tools: quay.io/jetstack)`,
  ]);
  // The app policy does not apply in tools, nor the tools policy in the app namespace.
  expect(messages(tree(deployment('app-production', 'quay.io/jetstack/x:1')))).toEqual([
    expect.stringContaining('platform-allowed-registries denies this pod in namespace app-production'),
  ]);
});

test('a namespace no policy covers is a finding once the tree restricts pods at all; a tree without policies is not judged', () => {
  expect(messages(tree(namespace('forgotten')))).toEqual([
    'Namespace/forgotten: metadata.labels: admission: no ValidatingAdmissionPolicy restricts the images of pods in namespace forgotten, while the tree restricts others: its pods may pull anything',
  ]);
  expect(messages([namespace('forgotten'), deployment('forgotten', 'docker.io/library/busybox:1')])).toEqual([]);
});

test('a Warn-only binding does not deny, and a policy that is not about pods is ignored', () => {
  const warnOnly = policies().map((d) =>
    d.object.kind === 'ValidatingAdmissionPolicyBinding' ? doc({ ...d.object, spec: { ...d.object.spec, validationActions: ['Warn'] } }) : d,
  );
  expect(messages([...warnOnly, namespace('tools'), deployment('tools', 'docker.io/library/busybox:1')])).toEqual([]);
  const services = policies().map((d) =>
    d.object.kind === 'ValidatingAdmissionPolicy'
      ? doc({
          ...d.object,
          spec: {
            ...d.object.spec,
            matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['services'] }] },
          },
        })
      : d,
  );
  expect(messages([...services, namespace('tools'), deployment('tools', 'docker.io/library/busybox:1')])).toEqual([]);
});
