/**
 * `npm run validate`'s namespace isolation rule on small trees (consumer side: only the documents),
 * and the Namespaces option that writes the exception it reads.
 */
import { Testing } from 'cdk8s';
import { Namespaces } from '../charts/namespaces';
import { SourceDocument } from '../lib/validate';
import { checkNamespaceIsolation } from '../lib/validate/network-isolation';
import { check, editing, is, SynthesizedTree, synthTree } from './assembly-fixtures';
import { describeWithCharts } from './chart-cache';
import { DEFAULT_CONFIG_FILE } from './helpers';

const EXCEPTION = 'platform.campus/network-policy-exception';
const doc = (object: any, index = 0): SourceDocument => ({ file: 'tree.yaml', index, object });
const namespace = (name: string, annotations?: Record<string, string>) =>
  doc({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(annotations ? { annotations } : {}) } });
const denyAll = (ns: string) =>
  doc({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny', namespace: ns },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  });
const daemonSet = (ns: string, hostNetwork: boolean) =>
  doc({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: ns },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { hostNetwork, containers: [{ name: 'agent', image: 'agent:1' }] } },
    },
  });

describe('every namespace of the tree is isolated or says why not', () => {
  test('a namespace without a NetworkPolicy or an exception is a finding', () => {
    const findings = checkNamespaceIsolation([namespace('shop'), denyAll('other')]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ file: 'tree.yaml', document: 'Namespace/shop', path: '' });
    expect(findings[0].message).toMatch(/^namespace "shop" has no NetworkPolicy, so its pods accept and open any connection: add a default-deny/);
  });

  test('one NetworkPolicy in the namespace, or a written exception, passes', () => {
    expect(checkNamespaceIsolation([namespace('shop'), denyAll('shop')])).toEqual([]);
    expect(checkNamespaceIsolation([namespace('agents', { [EXCEPTION]: 'the agent runs in the host network' })])).toEqual([]);
  });

  test('an empty exception is a finding at the annotation', () => {
    const [f] = checkNamespaceIsolation([namespace('agents', { [EXCEPTION]: '  ' }), denyAll('agents')]);
    expect(f).toMatchObject({ document: 'Namespace/agents', path: `metadata.annotations.${EXCEPTION}` });
    expect(f.message).toMatch(/^is empty/);
  });

  test('host-network pods need the exception even where policies govern the other pods', () => {
    const tree = [namespace('agents'), denyAll('agents'), daemonSet('agents', true)];
    const [f] = checkNamespaceIsolation(tree);
    expect(f).toMatchObject({ document: 'Namespace/agents', path: `metadata.annotations.${EXCEPTION}` });
    expect(f.message).toBe(
      'is missing: DaemonSet/agent runs in the host network, which NetworkPolicies do not govern; say so (and what its clients use instead)',
    );
    expect(checkNamespaceIsolation([namespace('agents'), denyAll('agents'), daemonSet('agents', false)])).toEqual([]);
    expect(checkNamespaceIsolation([namespace('agents', { [EXCEPTION]: 'the agent reads the host' }), daemonSet('agents', true)])).toEqual([]);
  });
});

describe('Namespaces: networkPolicyException', () => {
  test('is written as the annotation the validator reads', () => {
    const app = Testing.app();
    const namespaces = new Namespaces(app);
    namespaces.add('agents', { networkPolicyException: 'the agent runs in the host network' });
    const [ns] = Testing.synth(namespaces);
    expect(ns.metadata.annotations[EXCEPTION]).toBe('the agent runs in the host network');
    expect(checkNamespaceIsolation([doc(ns)])).toEqual([]);
  });

  test('refuses an empty reason', () => {
    const namespaces = new Namespaces(Testing.app());
    expect(() => namespaces.add('agents', { networkPolicyException: ' ' })).toThrow(
      'namespace "agents": networkPolicyException must say which pods no policy governs and why',
    );
  });
});

describeWithCharts('the add-on policies against the rendered charts', () => {
  let tree: SynthesizedTree;
  beforeAll(() => (tree = synthTree(DEFAULT_CONFIG_FILE)));

  test('every add-on namespace of the default platform is isolated, and every policy selects a rendered pod', () => {
    expect(check(tree).messages).toEqual([]);
  });

  test('a typo in a chart label selects nothing, and is a finding', () => {
    const typo = editing(tree.docs, is('NetworkPolicy', 'ingress-webhook-from-kube-apiserver'), (p) => {
      p.spec.podSelector.matchLabels['app.kubernetes.io/name'] = 'webhooks';
    });
    expect(check(tree, typo).messages.filter((m) => m.includes('selects no pods'))).toEqual([
      expect.stringContaining('NetworkPolicy/cert-manager/ingress-webhook-from-kube-apiserver: spec.podSelector: selects no pods'),
    ]);
  });

  test("node-exporter's namespace without its exception is a finding, from the rendered DaemonSet", () => {
    const bare = editing(tree.docs, is('Namespace', 'monitoring-node-exporter'), (ns) => {
      delete ns.metadata.annotations[EXCEPTION];
    });
    expect(check(tree, bare).messages).toEqual([
      expect.stringMatching(
        /Namespace\/monitoring-node-exporter: metadata.annotations.platform.campus\/network-policy-exception: is missing: DaemonSet\/kube-prometheus-stack-prometheus-node-exporter runs in the host network/,
      ),
    ]);
  });
});
