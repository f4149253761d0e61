/**
 * The default platform assembles on a fresh cluster, and each stall the assembly review found stays
 * fixed: every test rebuilds the broken arrangement in memory and sees the check fail with its message.
 * Renders the real pinned charts (skipped, with a note, where the chart cache is empty).
 */
import * as path from 'path';
import { WAVE } from '../lib/argocd';
import { PlanStep } from '../lib/validate/assembly/simulate';
import { describeWithCharts } from './chart-cache';
import { check, Checked, editing, is, setWave, SynthesizedTree, synthTree } from './assembly-fixtures';
import * as fs from 'fs';
import { DEFAULT_CONFIG_FILE, mutatedConfigText, ROOT, writeConfig } from './helpers';

const stepOf = (steps: readonly PlanStep[], test: (s: PlanStep) => boolean) => steps.find(test)?.index ?? Infinity;
const applies = (kind: string) => (s: PlanStep) => s.objects.some((o) => o.kind === kind);
const provides = (gk: string) => (s: PlanStep) => s.crds.includes(gk);

describeWithCharts('assembly of the default platform', () => {
  // Set up in beforeAll, so that a skipped suite (no chart cache) renders nothing.
  let tree: SynthesizedTree;
  let clean: Checked;
  beforeAll(() => {
    tree = synthTree(DEFAULT_CONFIG_FILE);
    clean = check(tree);
  });

  test('renders every chart, validates what it creates and plans the sync with no finding', () => {
    expect(clean.messages).toEqual([]);
    expect(clean.assembly.plan?.assembles).toBe(true);
    expect(clean.assembly.rendered.length).toBeGreaterThan(100);
  });

  test('the Gateway API and Envoy CRDs come before any route or policy, Ceph before its volumes, issuers before certificates', () => {
    const steps = clean.assembly.plan!.steps;
    const routes = Math.min(stepOf(steps, applies('HTTPRoute')), stepOf(steps, applies('BackendTrafficPolicy')), stepOf(steps, applies('SecurityPolicy')));
    expect(stepOf(steps, provides('gateway.networking.k8s.io/HTTPRoute'))).toBeLessThan(routes);
    expect(stepOf(steps, provides('gateway.envoyproxy.io/BackendTrafficPolicy'))).toBeLessThan(routes);
    const ceph = stepOf(steps, applies('CephCluster'));
    const consumers = Math.min(stepOf(steps, applies('PersistentVolumeClaim')), stepOf(steps, applies('Prometheus')), stepOf(steps, applies('Elasticsearch')));
    expect(ceph).toBeLessThan(consumers);
    // A step waits for its health before the next one: the Ceph step does.
    expect(steps[ceph - 1].waitsFor.some((o) => o.kind === 'CephCluster')).toBe(true);
    const certificates = steps
      .filter(applies('Certificate'))
      .filter((s) => s.objects.some((o) => o.kind === 'Certificate' && o.object.spec?.issuerRef?.name?.startsWith('letsencrypt')));
    expect(stepOf(steps, applies('ClusterIssuer'))).toBeLessThan(certificates[0].index);
  });

  test('1: routes and policies in wave 0, before the Envoy Gateway chart brings their CRDs', () => {
    const docs = editing(tree.docs, is('HTTPRoute', 'logging-kibana'), (o) => setWave(o, undefined));
    const found = check(tree, docs).messages.filter((m) => m.includes('HTTPRoute/logging/logging-kibana'));
    expect(found).toEqual([
      expect.stringContaining('assembly: gateway.networking.k8s.io/HTTPRoute is not served yet: its CustomResourceDefinition comes with envoy-gateway'),
    ]);
    expect(found[0]).toContain('SkipDryRunOnMissingResource only skips the dry run');
  });

  test('2: the monitoring stack asks for a Ceph volume before the Ceph cluster exists', () => {
    const docs = editing(tree.docs, is('Application', 'kube-prometheus-stack'), (o) => setWave(o, WAVE.dependentOperators));
    const { messages } = check(tree, docs);
    expect(messages).toEqual([
      expect.stringMatching(
        /Prometheus\/monitoring\/kube-prometheus-stack-prometheus: assembly: stalls the sync of kube-prometheus-stack at Sync wave 0: it waits on CephCluster rook-ceph\/rook-ceph healthy, the backend of StorageClass ceph-block's provisioner .*, which comes with platform \(wave 3, never applied\)/,
      ),
    ]);
  });

  test('3: the Gateway and its ACME certificates in a wave that others wait on', () => {
    const gatewayAndCerts = (o: any) =>
      (o?.kind === 'Gateway' && o.metadata.name === 'platform') || (o?.kind === 'Certificate' && o.metadata.namespace === 'envoy-gateway-system');
    const docs = editing(tree.docs, gatewayAndCerts, (o) => {
      setWave(o, WAVE.platform);
      delete o.metadata.annotations['cert-manager.io/issue-temporary-certificate'];
    });
    const { messages } = check(tree, docs);
    expect(messages).toContainEqual(
      expect.stringMatching(
        /Certificate\/envoy-gateway-system\/berkeleytime\.com-tls: assembly: an ACME certificate is issued only when DNS for berkeleytime\.com reaches the entry point .*move it to the last wave/,
      ),
    );
  });

  test('4: a root Application that never prunes keeps removed previews forever', () => {
    const docs = editing(
      tree.docs,
      (o) => is('Application', 'platform')(o),
      (o) => (o.spec.syncPolicy.automated.prune = false),
    );
    const { messages } = check(tree, docs);
    expect(messages).toContainEqual(
      expect.stringMatching(
        /bootstrap.*Application\/argocd\/platform: spec\.syncPolicy\.automated\.prune: assembly: platform syncs dist\/cluster without pruning/,
      ),
    );
  });

  test('5: snapshot-controller with its default values renders a new webhook certificate each time', () => {
    const docs = editing(tree.docs, is('Application', 'snapshot-controller'), (o) => delete o.spec.source.helm.valuesObject);
    const { messages } = check(tree, docs);
    expect(messages).toContainEqual(
      expect.stringMatching(
        /Application\/argocd\/snapshot-controller: spec\.source\.helm\.valuesObject: chart snapshot-controller 5\.0\.4 renders differently every time \(.*crds\.yaml.*\): Argo CD renders on every refresh, so the Application would be OutOfSync forever/,
      ),
    );
  });

  test('7: cert-manager gets gatewayAPI.enabled, and the deprecated enableGatewayAPI is refused', () => {
    const controllerConfig = clean.assembly.rendered.find((d) => d.object.kind === 'ConfigMap' && d.object.metadata.name === 'cert-manager');
    expect(controllerConfig?.object.data['config.yaml']).toMatch(/gatewayAPI:\n\s+enabled: true/);
    const docs = editing(tree.docs, is('Application', 'cert-manager'), (o) => (o.spec.source.helm.valuesObject.config = { enableGatewayAPI: true }));
    expect(check(tree, docs).messages).toContainEqual(
      expect.stringContaining('spec.source.helm.valuesObject.config.enableGatewayAPI: deprecated by the chart: use config.gatewayAPI.enabled'),
    );
  });

  test('9: the Application health check arrives only with the root sync that relies on it', () => {
    const docs = tree.docs.filter((d) => !(d.object.kind === 'ConfigMap' && d.file.includes(`${path.sep}bootstrap${path.sep}`)));
    expect(check(tree, docs).messages).toContainEqual(
      expect.stringContaining('the Application health check must be installed by the bootstrap before the root sync, not by the root sync that relies on it'),
    );
  });

  test("a chart that writes outside the add-ons' project (the CoreDNS metrics Service in kube-system) fails on the rendered object", () => {
    const docs = editing(tree.docs, is('AppProject', 'platform'), (o) => {
      o.spec.destinations = o.spec.destinations.filter((d: any) => d.namespace !== 'kube-system');
    });
    const found = check(tree, docs).messages.filter((m) => m.includes('project:'));
    expect(found).toContainEqual(
      expect.stringMatching(
        /Service\/kube-system\/kube-prometheus-stack-coredns: metadata\.namespace: project: Application kube-prometheus-stack would apply it in namespace kube-system/,
      ),
    );
    expect(found.every((m) => m.includes('namespace kube-system'))).toBe(true);
  });

  test("a chart image outside its namespace's allowlist (a pin without the operator's repository) is denied on the rendered Deployment", () => {
    const docs = editing(tree.docs, is('ValidatingAdmissionPolicy', 'platform-allowed-images-rook-ceph'), (o) => {
      o.spec.validations = o.spec.validations.map((v: any) => ({
        ...v,
        expression: v.expression.replace("'docker.io/rook', ", ''),
        messageExpression: v.messageExpression.replace("'docker.io/rook', ", ''),
      }));
    });
    const found = check(tree, docs).messages.filter((m) => m.includes('admission:'));
    expect(found).toEqual([
      expect.stringMatching(
        /^rook-ceph chart: .*Deployment\/rook-ceph\/rook-ceph-operator: spec\.template\.spec: admission: ValidatingAdmissionPolicy platform-allowed-images-rook-ceph denies this pod in namespace rook-ceph: container image docker\.io\/rook\/ceph:v[0-9.]+ is not from an allowed registry/,
      ),
    ]);
  });

  test('an environment whose migration (wave -1) runs before its namespace, policies and database (wave 0), as first synthesized', () => {
    const data = (o: any) => (o?.metadata?.namespace === 'berkeleytime-production' || o?.metadata?.name === 'berkeleytime-production') && o.kind !== 'Job';
    const docs = editing(tree.docs, data, (o) => setWave(o, undefined));
    const { messages } = check(tree, docs);
    expect(messages).toEqual([
      expect.stringMatching(
        /Job\/berkeleytime-production\/backend-migrate-2-4-1: assembly: namespace "berkeleytime-production" does not exist when this step applies it, which comes with berkeleytime-production \(wave 0, never applied\)/,
      ),
    ]);
    // With the namespace first, the Job still waits on what comes after it.
    const late = editing(docs, is('Namespace', 'berkeleytime-production'), (o) => setWave(o, -2));
    expect(check(tree, late).messages).toContainEqual(
      expect.stringMatching(
        /backend-migrate-2-4-1: assembly: stalls the sync of berkeleytime-production at Sync wave -1: it waits on ConfigMap berkeleytime-production\/backend-env/,
      ),
    );
  });
});

describeWithCharts('assembly of the ingress-nginx variant (8: its controller runs under restricted Pod Security)', () => {
  let tree: SynthesizedTree;
  beforeAll(() => (tree = synthTree(writeConfig(mutatedConfigText((c) => (c.edge.controller = 'ingress-nginx'))))));

  test('renders the final ingress-nginx chart and assembles with no finding', () => {
    const { messages, assembly } = check(tree);
    expect(messages).toEqual([]);
    expect(assembly.rendered.some((d) => ['Deployment', 'DaemonSet'].includes(d.object.kind) && d.object.metadata.name === 'ingress-nginx-controller')).toBe(
      true,
    );
  });

  test('a controller that allows privilege escalation is refused by the restricted namespace', () => {
    const docs = editing(
      tree.docs,
      is('Application', 'ingress-nginx'),
      (o) => (o.spec.source.helm.valuesObject.controller.image = { allowPrivilegeEscalation: true }),
    );
    expect(check(tree, docs).messages).toContainEqual(
      expect.stringMatching(
        /ingress-nginx chart: .*(Deployment|DaemonSet)\/ingress-nginx\/ingress-nginx-controller: .*allowPrivilegeEscalation: violates Pod Security "restricted" of namespace "ingress-nginx": must be false/,
      ),
    );
  });
});

describeWithCharts('assembly of every example platform', () => {
  const examples = fs
    .readdirSync(path.join(ROOT, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  test.each(examples)('examples/%s renders its charts and assembles with no finding', (file) => {
    const { messages, assembly } = check(synthTree(path.join(ROOT, 'examples', file)));
    expect(messages).toEqual([]);
    expect(assembly.plan?.assembles).toBe(true);
  });
});
