/**
 * The MonitoringStack on its own (the add-on, its values, namespaces, route and policies) and as the
 * composition wires it: PodMonitors and policies for the apps' metrics ports, none without it.
 */
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { metricsEndpoints } from '../charts/app-metrics';
import { MonitoringStack } from '../charts/monitoring-stack';
import { retentionSize } from '../charts/monitoring-values';
import { Namespaces } from '../charts/namespaces';
import { WAVE } from '../lib/argocd';
import { monitoring as monitoringSchema } from '../config/schema/platform-services';
import { StorageClassRef } from '../lib/contracts';
import { formatFinding, SourceDocument, validateDocuments } from '../lib/validate';
import { configError, mutatedConfigText, parsedConfig, readManifests, TEST_SECRETS, tmpDir, writeConfig, synthesizeWithSecrets } from './helpers';
import { FakeRouteRegistry, versions } from './logging-fixtures';
import { ClusterAddresses } from '../lib/cluster-peers';
import { cidrsOf, CONTROL_PLANE_BLOCKS, HA_ADDRESSES, HOST_BLOCKS, policiesIn } from './network-fixtures';

const GENERAL_BLOCK: StorageClassRef = { name: 'ceph-block', reclaimPolicy: 'Delete' };
const MONITORING_NAMESPACES = ['monitoring', 'monitoring-node-exporter'];

function synthStack(rawConfig: unknown = {}, clusterAddresses?: ClusterAddresses) {
  const app = new App();
  const namespaces = new Namespaces(app);
  const edge = new FakeRouteRegistry();
  const stack = new MonitoringStack(app, '50-monitoring', {
    ...monitoringSchema.parse(rawConfig),
    namespaces,
    edge,
    grafanaHost: 'berkeleytime.com',
    storageClass: GENERAL_BLOCK,
    chart: versions.charts['kube-prometheus-stack'],
    clusterAddresses,
  });
  const docs: any[] = [...Testing.synth(namespaces).filter((d: any) => MONITORING_NAMESPACES.includes(d.metadata.name)), ...Testing.synth(stack)];
  const one = (kind: string, name?: string) => {
    const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
    if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` "${name}"` : ''}, found ${found.length}`);
    return found[0];
  };
  const values = () => one('Application').spec.source.helm.valuesObject;
  return { stack, edge, docs, one, values };
}

/** Synthesizes a whole platform (default config, mutated) and returns its manifests. */
function synthPlatform(mutate: (cfg: any) => void = () => {}): any[] {
  const out = path.join(tmpDir(), 'dist');
  synthesizeWithSecrets({ configFile: writeConfig(mutatedConfigText(mutate)), outdir: out, secretsDir: TEST_SECRETS });
  return readManifests(out).map((d) => d.object);
}

describe('MonitoringStack', () => {
  const s = synthStack();

  test('installs the pinned kube-prometheus-stack chart server-side, after the Ceph cluster its volumes need', () => {
    const app = s.one('Application', 'kube-prometheus-stack');
    const pin = versions.charts['kube-prometheus-stack'];
    expect(pin).toMatchObject({ repoURL: 'https://prometheus-community.github.io/helm-charts', chart: 'kube-prometheus-stack' });
    expect(app.spec.source).toMatchObject({
      repoURL: pin.repoURL,
      chart: pin.chart,
      targetRevision: pin.version,
      helm: { releaseName: 'kube-prometheus-stack' },
    });
    expect(app.spec.destination.namespace).toBe('monitoring');
    expect(app.spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
    expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe(String(WAVE.storageConsumers));
    expect(WAVE.storageConsumers).toBeGreaterThan(WAVE.platform);
  });

  test('Prometheus keeps 15 days on a 20Gi volume of the block class, and selects monitors from every namespace', () => {
    const spec = s.values().prometheus.prometheusSpec;
    expect(spec).toMatchObject({
      retention: '15d',
      retentionSize: '17408MB',
      podMonitorSelectorNilUsesHelmValues: false,
      serviceMonitorSelectorNilUsesHelmValues: false,
      ruleSelectorNilUsesHelmValues: false,
    });
    expect(spec.storageSpec.volumeClaimTemplate.spec).toEqual({
      storageClassName: 'ceph-block',
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '20Gi' } },
    });
  });

  test('Grafana logs in with the declared admin Secret, never a chart default; Alertmanager is off unless configured', () => {
    const values = s.values();
    expect(values.grafana.admin).toEqual({ existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' });
    expect(values.grafana).not.toHaveProperty('adminPassword');
    expect(values.alertmanager).toEqual({ enabled: false });
    expect(s.stack.externalSecrets).toEqual(['monitoring/grafana-admin']);
  });

  test('the config section sets retention, volume size, admin Secret and Alertmanager', () => {
    const c = synthStack({ retentionDays: 30, storage: '50Gi', grafanaAdminSecret: 'ops-grafana', alertmanager: true });
    const values = c.values();
    expect(values.prometheus.prometheusSpec).toMatchObject({ retention: '30d', retentionSize: '43520MB' });
    expect(values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage).toBe('50Gi');
    expect(values.grafana.admin.existingSecret).toBe('ops-grafana');
    expect(values.alertmanager).toEqual({ enabled: true });
    expect(values.grafana.sidecar.datasources.alertmanager).toEqual({ enabled: true });
    expect(c.stack.externalSecrets).toEqual(['monitoring/ops-grafana']);
  });

  test('kubeadm binds etcd, controller-manager, scheduler and kube-proxy metrics to localhost: no scrape jobs, no always-firing alerts', () => {
    const values = s.values();
    for (const component of ['kubeEtcd', 'kubeControllerManager', 'kubeScheduler', 'kubeProxy']) expect(values[component]).toEqual({ enabled: false });
    expect(values.defaultRules.rules).toMatchObject({ etcd: false, kubeControllerManager: false, kubeSchedulerAlerting: false, kubeProxy: false });
  });

  test('the stack stays restricted; only node-exporter gets a privileged namespace, with the reason recorded', () => {
    const ns = (name: string) => s.one('Namespace', name).metadata;
    expect(ns('monitoring').labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(ns('monitoring').labels['platform.campus/gateway-access']).toBe('true');
    expect(ns('monitoring-node-exporter').labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(ns('monitoring-node-exporter').annotations['platform.campus/pod-security-reason']).toMatch(/host network and PID namespaces/);
    expect(s.values()['prometheus-node-exporter']).toEqual({ namespaceOverride: 'monitoring-node-exporter' });
  });

  test('routes /grafana on the platform host through the edge, and Grafana serves from that sub-path', () => {
    expect(s.edge.calls).toHaveLength(1);
    expect(s.edge.calls[0].scope).toBe(s.stack);
    expect(s.edge.calls[0].routes).toEqual({
      owner: 'monitoring/grafana',
      syncWave: WAVE.edge,
      host: 'berkeleytime.com',
      namespace: 'monitoring',
      backends: [{ path: '/grafana', serviceName: 'kube-prometheus-stack-grafana', port: 80, pods: s.stack.grafana }],
    });
    expect(s.stack.grafana.selector).toEqual({ 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': 'kube-prometheus-stack' });
    expect(s.values().grafana['grafana.ini'].server).toEqual({ root_url: 'https://berkeleytime.com/grafana/', serve_from_sub_path: true });
  });

  test('without the route, Grafana is reached by port-forward only and serves from its root', () => {
    const c = synthStack({ grafanaRoute: false });
    expect(c.edge.calls).toEqual([]);
    expect(c.values().grafana['grafana.ini']).not.toHaveProperty('server');
    expect(c.one('Namespace', 'monitoring').metadata.labels).not.toHaveProperty('platform.campus/gateway-access');
    expect(c.stack.grafanaUrl).toBeUndefined();
  });

  test('the namespace is default-deny both ways; its own pods reach each other, and the chart keeps its operator policy', () => {
    const p = policiesIn(s.docs, 'monitoring');
    expect(p['default-deny']).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(p['allow-within-namespace']).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: {} }] }],
      egress: [{ to: [{ podSelector: {} }] }],
    });
    expect(s.values().prometheusOperator.networkPolicy).toEqual({ enabled: true });
    // Alertmanager is off by default, and so is its open egress.
    expect(p).not.toHaveProperty('egress-alertmanager-to-receivers');
  });

  test('Prometheus scrapes every namespace and the hosts; it, Grafana and kube-state-metrics call the API server at its addresses', () => {
    const ha = synthStack({}, HA_ADDRESSES);
    const p = policiesIn(ha.docs, 'monitoring');
    expect(p['egress-prometheus-to-every-namespace'].egress).toEqual([{ to: [{ namespaceSelector: { matchLabels: {} } }] }]);
    const hosts = p['egress-prometheus-to-hosts'];
    expect(hosts.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'prometheus' } });
    expect(cidrsOf(hosts.egress[0])).toEqual(HOST_BLOCKS);
    expect(hosts.egress[0].ports.map((x: any) => x.port)).toEqual([10250, 9100]);
    for (const who of ['prometheus', 'grafana', 'kube-state-metrics']) {
      const api = p[`egress-${who}-to-kube-apiserver`];
      expect(api.egress.map((r: any) => [cidrsOf(r), r.ports[0].port])).toEqual([
        [CONTROL_PLANE_BLOCKS, 6443],
        [['198.51.100.10/32'], 8443],
      ]);
    }
    expect(p['egress-grafana-to-kube-apiserver'].podSelector.matchLabels).toEqual(ha.stack.grafana.selector);
  });

  test('with Alertmanager, its egress to the receivers stays open', () => {
    const p = policiesIn(synthStack({ alertmanager: true }).docs, 'monitoring');
    expect(p['egress-alertmanager-to-receivers']).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'alertmanager' } },
      policyTypes: ['Egress'],
      egress: [{}],
    });
  });

  test("node-exporter's namespace has no policy, and says why", () => {
    expect(policiesIn(s.docs, 'monitoring-node-exporter')).toEqual({});
    expect(s.one('Namespace', 'monitoring-node-exporter').metadata.annotations['platform.campus/network-policy-exception']).toMatch(/host network/);
  });

  test('exposes the Prometheus pods as the peer app namespaces admit', () => {
    expect(s.stack.prometheus).toEqual({
      name: 'prometheus',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
      podLabels: { 'app.kubernetes.io/name': 'prometheus' },
    });
  });

  test('refuses a volume too small for Prometheus', () => {
    expect(() => synthStack({ storage: '1Gi' })).toThrow('monitoring.storage "1Gi" is too small for Prometheus\'s volume; give at least "2Gi" (e.g. "20Gi")');
  });

  test.each([
    ['20Gi', '17408MB'],
    ['100G', '81062MB'],
    ['1.5Ti', '1336934MB'],
  ])('retentionSize of a %s volume is %s (85%%)', (storage, size) => {
    expect(retentionSize(storage)).toBe(size);
  });

  test('the default configuration', () => {
    expect(s.docs).toMatchSnapshot();
  });
});

describe('the monitoring config section', () => {
  test('defaults: on, 15 days on 20Gi, Secret grafana-admin, routed Grafana, no Alertmanager', () => {
    expect(parsedConfig().monitoring).toEqual({
      enabled: true,
      retentionDays: 15,
      storage: '20Gi',
      grafanaAdminSecret: 'grafana-admin',
      grafanaRoute: true,
      alertmanager: false,
    });
  });

  test.each([
    [{ retentionDays: 0 }, 'monitoring.retentionDays: expected an integer from 1 to 3650, found 0'],
    [{ storage: '20 GB' }, 'monitoring.storage: expected a Kubernetes quantity such as "500m", "1" or "256Mi", found "20 GB"'],
    [
      { grafanaAdminSecret: 'Grafana_Admin' },
      'monitoring.grafanaAdminSecret: expected a DNS label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), found "Grafana_Admin"',
    ],
    [
      { alertmanagr: true },
      'monitoring.alertmanagr: unknown key (did you mean "alertmanager"?); expected one of enabled, retentionDays, storage, grafanaAdminSecret, grafanaRoute, alertmanager',
    ],
  ])('refuses %j', (section, message) => {
    expect(configError((c) => (c.monitoring = section))).toBe(`config/platform.yaml: ${message}`);
  });
});

describe('the validator knows the Grafana a kube-prometheus-stack Application runs', () => {
  const route = (port: number) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'grafana', namespace: 'monitoring' },
    spec: { rules: [{ backendRefs: [{ group: '', kind: 'Service', name: 'kube-prometheus-stack-grafana', port }] }] },
  });
  const policy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'ingress-grafana', namespace: 'monitoring' },
    spec: {
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': 'kube-prometheus-stack' } },
      policyTypes: ['Ingress'],
    },
  };
  const check = (application: any, port = 80) => {
    const docs: SourceDocument[] = [application, route(port), policy].map((object, index) => ({ file: 'monitoring.yaml', index, object }));
    return validateDocuments(docs).map(formatFinding);
  };

  test('its Service and pods exist for routes and policies', () => {
    expect(check(synthStack().one('Application'))).toEqual([]);
  });

  test('a wrong port, or Grafana turned off, is a finding', () => {
    const app = synthStack().one('Application');
    expect(check(app, 3000)).toEqual([
      'monitoring.yaml: HTTPRoute/monitoring/grafana: spec.rules[0].backendRefs[0]: Service "monitoring/kube-prometheus-stack-grafana" has no port 3000 (it has: 80)',
    ]);
    app.spec.source.helm.valuesObject.grafana.enabled = false;
    expect(check(app)).toEqual([
      'monitoring.yaml: HTTPRoute/monitoring/grafana: spec.rules[0].backendRefs[0]: Service "monitoring/kube-prometheus-stack-grafana" is not in the documents',
      'monitoring.yaml: NetworkPolicy/monitoring/ingress-grafana: spec.podSelector: selects no pods: no workload in namespace "monitoring" matches {"matchLabels":{"app.kubernetes.io/name":"grafana","app.kubernetes.io/instance":"kube-prometheus-stack"}}',
    ]);
  });
});

describe('the platform scrapes its apps', () => {
  const docs = synthPlatform();
  const inNamespace = (kind: string, namespace: string) => docs.filter((o) => o.kind === kind && o.metadata.namespace === namespace);

  test('the backend (statsd: true) gets a PodMonitor on the exporter port, and Prometheus is admitted to it', () => {
    const [monitor] = inNamespace('PodMonitor', 'berkeleytime-production');
    expect(monitor.metadata.name).toBe('backend');
    expect(monitor.spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/instance': 'berkeleytime-production', 'app.kubernetes.io/name': 'backend' } },
      podMetricsEndpoints: [{ port: 'metrics', path: '/metrics' }],
    });
    const policy = inNamespace('NetworkPolicy', 'berkeleytime-production').find((p) => p.metadata.name === 'ingress-backend-metrics-from-prometheus');
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: monitor.spec.selector.matchLabels },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
            },
          ],
          ports: [{ port: 9102, protocol: 'TCP' }],
        },
      ],
    });
  });

  test('every environment of the app is scraped; the frontend (no metrics) is not', () => {
    const monitors = docs.filter((o) => o.kind === 'PodMonitor').map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(monitors.sort()).toEqual([
      'berkeleytime-preview-feature-new-catalog/backend',
      'berkeleytime-preview-fix-enrollment-sync/backend',
      'berkeleytime-production/backend',
      'berkeleytime-staging/backend',
    ]);
  });

  test("/grafana goes to the chart's Grafana Service, and the entry point may reach Grafana's pods", () => {
    const route = docs.find((o) => o.kind === 'HTTPRoute' && o.metadata.namespace === 'monitoring');
    expect(route.spec.hostnames).toEqual(['berkeleytime.com']);
    expect(route.spec.rules.map((r: any) => [r.matches[0].path.value, r.backendRefs[0].name, r.backendRefs[0].port])).toEqual([
      ['/grafana', 'kube-prometheus-stack-grafana', 80],
    ]);
    const admit = inNamespace('NetworkPolicy', 'monitoring').find((p) => p.metadata.name === 'ingress-grafana-from-edge');
    expect(admit.spec.ingress[0].ports).toEqual([{ port: 3000, protocol: 'TCP' }]);
  });
});

describe('component metrics endpoints', () => {
  test("an app's own metrics port is declared on its container and scraped beside the exporter", () => {
    const docs = synthPlatform((c) => (c.apps.berkeleytime.components.backend.metrics = { port: 8001, path: '/internal/metrics' }));
    const monitor = docs.find((o) => o.kind === 'PodMonitor' && o.metadata.namespace === 'berkeleytime-production');
    expect(monitor.spec.podMetricsEndpoints).toEqual([
      { port: 'metrics', path: '/metrics' },
      { port: 'http-metrics', path: '/internal/metrics' },
    ]);
    const deploy = docs.find((o) => o.kind === 'Deployment' && o.metadata.namespace === 'berkeleytime-production' && o.metadata.name === 'backend');
    expect(deploy.spec.template.spec.containers[0].ports).toEqual([
      { name: 'http', containerPort: 8000, protocol: 'TCP' },
      { name: 'http-metrics', containerPort: 8001, protocol: 'TCP' },
    ]);
    const policy = docs.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'berkeleytime-production' && o.metadata.name === 'ingress-backend-metrics-from-prometheus',
    );
    expect(policy.spec.ingress[0].ports).toEqual([
      { port: 9102, protocol: 'TCP' },
      { port: 8001, protocol: 'TCP' },
    ]);
  });

  test('metrics on the http port are scraped there; a port taken by the exporter is refused', () => {
    const spec = { name: 'api', port: 8080, statsd: false, metrics: { port: 8080, path: '/metrics' } } as any;
    expect(metricsEndpoints(spec)).toEqual([{ portName: 'http', port: 8080, path: '/metrics' }]);
    expect(() => synthPlatform((c) => (c.apps.berkeleytime.components.backend.metrics = { port: 9102 }))).toThrow(
      'apps.berkeleytime.components.backend.metrics.port: expected a port other than 9125 and 9102, which the statsd-exporter sidecar (statsd: true) listens on, found 9102',
    );
  });
});

describe('with monitoring disabled', () => {
  const docs = synthPlatform((c) => (c.monitoring = { enabled: false }));

  test('nothing is scraped and no stack is installed', () => {
    expect(docs.filter((o) => o.kind === 'PodMonitor')).toEqual([]);
    expect(docs.filter((o) => o.kind === 'NetworkPolicy' && /-metrics-from-prometheus$/.test(o.metadata.name))).toEqual([]);
    expect(docs.some((o) => o.kind === 'Application' && o.metadata.name === 'kube-prometheus-stack')).toBe(false);
    expect(docs.some((o) => o.kind === 'Namespace' && o.metadata.name === 'monitoring')).toBe(false);
    // Rook then creates no ServiceMonitors, whose CRD would be missing.
    expect(docs.find((o) => o.kind === 'CephCluster').spec.monitoring).toEqual({ enabled: false });
  });
});
