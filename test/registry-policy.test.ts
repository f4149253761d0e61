/**
 * The registry allowlist the API server enforces: the policy's CEL expressions, evaluated with the
 * CEL library the validator uses for CRD rules, admit every Pod the fixture platform runs in its
 * app namespaces and deny foreign images in containers, init containers and ephemeral containers,
 * naming the image and the allowed prefixes.
 */
import { PICTURES_DIR } from '../app/pictures';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { Environment } from '@marcbachmann/cel-js';
import { namespaceImagePolicy, REGISTRY_POLICY, registryValidations } from '../charts/registry-policy';
import { underImagePrefix } from '../lib/image';
import { loadConfig } from '../config/load';
import { DEFAULT_CONFIG_FILE, fixtureTree, readTree } from './helpers';

const allowed = loadConfig(DEFAULT_CONFIG_FILE).platform.allowedRegistries;
const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });

/** What the API server does with the policy: the first failing validation's message, or undefined when admitted. */
function admit(pod: object, registries: readonly string[] = allowed): string | undefined {
  for (const v of registryValidations(registries)) {
    if (env.parse(v.expression)({ object: pod }) !== true) return String(env.parse(v.messageExpression)({ object: pod }));
  }
  return undefined;
}

const pod = (spec: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'berkeleytime-production' }, spec });
const container = (image: string) => ({ name: 'c', image });

test('the policy and its binding are in the tree: Pods and ephemeral containers of the app namespaces, denied on failure', () => {
  const docs = [...readTree(path.join(fixtureTree().dist, 'cluster'))].flatMap(([, t]) => yaml.loadAll(t) as any[]);
  const policy = docs.find((d) => d?.kind === 'ValidatingAdmissionPolicy' && d.metadata.name === REGISTRY_POLICY);
  const binding = docs.find((d) => d?.kind === 'ValidatingAdmissionPolicyBinding' && d.metadata.name === REGISTRY_POLICY);
  expect(policy.spec.failurePolicy).toBe('Fail');
  expect(policy.spec.matchConstraints.resourceRules[0].resources).toEqual(['pods', 'pods/ephemeralcontainers']);
  expect(binding.spec).toEqual({
    policyName: policy.metadata.name,
    validationActions: ['Deny'],
    matchResources: { namespaceSelector: { matchExpressions: [{ key: 'platform.campus/environment', operator: 'Exists' }] } },
  });
  // The app namespaces carry the label the binding selects.
  const envNamespaces = fs
    .readdirSync(fixtureTree().dist)
    .filter((d) => !['cluster', 'bootstrap', 'hosts', PICTURES_DIR].includes(d) && fs.statSync(path.join(fixtureTree().dist, d)).isDirectory());
  for (const dir of envNamespaces) {
    const ns = [...readTree(path.join(fixtureTree().dist, dir))].flatMap(([, t]) => yaml.loadAll(t) as any[]).filter((d) => d?.kind === 'Namespace');
    for (const n of ns) expect([n.metadata.name, n.metadata.labels['platform.campus/environment']]).toEqual([n.metadata.name, expect.any(String)]);
  }
});

test('every Pod the fixture platform runs in its app namespaces is admitted', () => {
  const templates: { where: string; spec: any }[] = [];
  for (const dir of fs.readdirSync(fixtureTree().dist)) {
    if (['cluster', 'bootstrap', 'hosts', PICTURES_DIR].includes(dir) || !fs.statSync(path.join(fixtureTree().dist, dir)).isDirectory()) continue;
    for (const [file, text] of readTree(path.join(fixtureTree().dist, dir)))
      for (const o of yaml.loadAll(text) as any[]) {
        const spec = o?.spec?.template?.spec ?? o?.spec?.jobTemplate?.spec?.template?.spec;
        if (spec) templates.push({ where: `${dir}/${file}`, spec });
      }
  }
  expect(templates.length).toBeGreaterThan(10);
  for (const t of templates) expect([t.where, admit(pod(t.spec))]).toEqual([t.where, undefined]);
});

test('a foreign image is denied in any container list, with the image and the allowed prefixes named', () => {
  const ok = container('registry.berkeleytime.com/berkeleytime/backend:2.4.1');
  expect(admit(pod({ containers: [ok, container('docker.io/evil/miner:latest')] }))).toBe(
    `container image docker.io/evil/miner:latest is not from an allowed registry (platform.allowedRegistries: ${allowed.join(', ')})`,
  );
  expect(admit(pod({ containers: [ok], initContainers: [container('ghcr.io/someone/init:1')] }))).toMatch(
    /^init container image ghcr\.io\/someone\/init:1 is not/,
  );
  expect(admit(pod({ containers: [ok], ephemeralContainers: [container('busybox')] }))).toMatch(/^ephemeral container image busybox is not/);
  expect(admit(pod({ containers: [ok] }))).toBeUndefined();
});

test('a prefix matches whole path segments, and a registry-less image is denied', () => {
  const registries = ['docker.io/library', 'registry.example.org/'];
  expect(admit(pod({ containers: [container('docker.io/library/postgres:17')] }), registries)).toBeUndefined();
  expect(admit(pod({ containers: [container('registry.example.org/team/app:1')] }), registries)).toBeUndefined();
  expect(admit(pod({ containers: [container('docker.io/library-x/postgres:17')] }), registries)).toMatch(/is not from an allowed registry/);
  expect(admit(pod({ containers: [container('docker.io/libraryfake:1')] }), registries)).toMatch(/is not from an allowed registry/);
  expect(admit(pod({ containers: [container('postgres:17')] }), registries)).toMatch(/is not from an allowed registry/);
  expect(admit(pod({ containers: [container('registry.example.org.evil.com/x:1')] }), registries)).toMatch(/is not from an allowed registry/);
});

test('a prefix that names a whole repository admits its tags and digests, not a longer name', () => {
  const registries = ['docker.io/curlimages/curl'];
  expect(admit(pod({ containers: [container('docker.io/curlimages/curl:8.16.0')] }), registries)).toBeUndefined();
  expect(admit(pod({ containers: [container(`docker.io/curlimages/curl@sha256:${'a'.repeat(64)}`)] }), registries)).toBeUndefined();
  expect(admit(pod({ containers: [container('docker.io/curlimages/curl-evil:1')] }), registries)).toMatch(/is not from an allowed registry/);
});

describe("the platform's own namespaces", () => {
  const cluster = () => [...readTree(path.join(fixtureTree().dist, 'cluster'))].flatMap(([, t]) => yaml.loadAll(t) as any[]);
  const namespaces = () =>
    cluster()
      .filter((d) => d?.kind === 'Namespace')
      .map((d) => d.metadata.name as string);

  test('each namespace of dist/cluster, and argocd, has its own policy bound by name; kube-system has none', () => {
    const docs = cluster();
    for (const ns of [...namespaces(), 'argocd']) {
      const binding = docs.find((d) => d?.kind === 'ValidatingAdmissionPolicyBinding' && d.metadata.name === namespaceImagePolicy(ns));
      expect([ns, binding?.spec]).toEqual([
        ns,
        {
          policyName: namespaceImagePolicy(ns),
          validationActions: ['Deny'],
          matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } },
        },
      ]);
    }
    expect(docs.some((d) => d?.metadata?.name === namespaceImagePolicy('kube-system'))).toBe(false);
  });

  test("a namespace admits exactly its repositories: the charts' (config/versions.yaml) and those of the pods operators start there", () => {
    const policy = (ns: string) => cluster().find((d) => d?.kind === 'ValidatingAdmissionPolicy' && d.metadata.name === namespaceImagePolicy(ns));
    const admitted = (ns: string, image: string) => {
      for (const v of policy(ns).spec.validations) if (env.parse(v.expression)({ object: pod({ containers: [container(image)] }) }) !== true) return false;
      return true;
    };
    // Rook's operator, Ceph itself, and the CSI drivers Rook starts.
    expect(admitted('rook-ceph', 'docker.io/rook/ceph:v1.20.6')).toBe(true);
    expect(admitted('rook-ceph', 'quay.io/ceph/ceph:v19.2.3')).toBe(true);
    expect(admitted('rook-ceph', 'registry.k8s.io/sig-storage/csi-provisioner:v6.0.0')).toBe(true);
    expect(admitted('rook-ceph', 'docker.elastic.co/elasticsearch/elasticsearch:9.4.3')).toBe(false);
    // ECK's Elasticsearch runs in logging, not in the operator's namespace.
    expect(admitted('logging', 'docker.elastic.co/elasticsearch/elasticsearch:9.4.3')).toBe(true);
    expect(admitted('elastic-system', 'docker.elastic.co/elasticsearch/elasticsearch:9.4.3')).toBe(false);
    // The Gateway's certificates are solved in its namespace.
    expect(admitted('envoy-gateway-system', 'quay.io/jetstack/cert-manager-acmesolver:v1.21.1')).toBe(true);
    expect(admitted('envoy-gateway-system', 'quay.io/jetstack/cert-manager-controller:v1.21.1')).toBe(false);
    expect(admitted('argocd', 'quay.io/argoproj/argocd:v3.5.1')).toBe(true);
    expect(admitted('monitoring', 'docker.io/library/busybox:1')).toBe(false);
  });
});

test('the policy and the validator judge an image against a prefix the same way (lib/image.ts underImagePrefix)', () => {
  const prefixes = ['docker.io/library', 'docker.io/curlimages/curl', 'registry.example.org/'];
  const images = [
    'docker.io/library/postgres:17',
    'docker.io/library-x/postgres:17',
    'docker.io/curlimages/curl:8.16.0',
    `docker.io/curlimages/curl@sha256:${'b'.repeat(64)}`,
    'docker.io/curlimages/curl-evil:1',
    'registry.example.org/team/app:1',
    'registry.example.org.evil.com/x:1',
    'postgres:17',
  ];
  for (const image of images)
    for (const prefix of prefixes)
      expect([image, prefix, admit(pod({ containers: [container(image)] }), [prefix]) === undefined]).toEqual([image, prefix, underImagePrefix(image, prefix)]);
});
