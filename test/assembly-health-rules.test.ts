/**
 * HEALTH_RULES: what each kind's Argo CD health waits on. The shared facts of every rule, then, for
 * each rule that waits on something, the arrangement where that something comes too late (a finding
 * that names it) and the same arrangement in the right order (it assembles).
 * Hermetic: small PlanObjects built in code, no helm, no files.
 */
import { calledServices, HEALTH_RULES, healthRule, TEMPORARY_CERTIFICATE } from '../lib/validate/assembly/health-rules';
import { AssemblyPlan } from '../lib/validate/assembly/simulate';
import { annotated, application, at, expectAssembles, findingsFor, k, lastWave, Manifest, obj, planner, sync } from './assembly-scenarios';

// ---------------------------------------------------------------------------------------------
// Helpers

/** The custom resources these tests use are served before the root sync: only their health matters here. */
const { declared: DECLARED, plan } = planner(
  [
    '/Namespace',
    '/Pod',
    '/Service',
    '/Secret',
    '/ConfigMap',
    '/ServiceAccount',
    '/PersistentVolumeClaim',
    'apps/Deployment',
    'apps/StatefulSet',
    'apps/DaemonSet',
    'apps/ReplicaSet',
    'batch/Job',
    'batch/CronJob',
    'storage.k8s.io/StorageClass',
    'apiextensions.k8s.io/CustomResourceDefinition',
    'apiregistration.k8s.io/APIService',
  ],
  [
    'ceph.rook.io/CephCluster',
    'ceph.rook.io/CephBlockPool',
    'cert-manager.io/Certificate',
    'cert-manager.io/ClusterIssuer',
    'cert-manager.io/Issuer',
    'gateway.networking.k8s.io/GatewayClass',
    'gateway.networking.k8s.io/Gateway',
    'gateway.networking.k8s.io/HTTPRoute',
    'monitoring.coreos.com/Prometheus',
    'elasticsearch.k8s.elastic.co/Elasticsearch',
    'beat.k8s.elastic.co/Beat',
    'snapshot.storage.k8s.io/VolumeSnapshot',
  ],
  ['rook-ceph', 'cert-manager'],
);

function expectStall(p: AssemblyPlan, document: string, ...parts: (string | RegExp)[]): void {
  expect(p.assembles).toBe(false);
  const messages = findingsFor(p, document);
  expect(messages).toHaveLength(1);
  expect(messages[0]).toContain('stalls the sync of');
  for (const part of parts) {
    if (typeof part === 'string') expect(messages[0]).toContain(part);
    else expect(messages[0]).toMatch(part);
  }
}

const podSpec = (name: string, extra: Manifest = {}) => ({ containers: [{ name, image: 'registry.example/app:1' }], ...extra });
const template = (name: string, extra: Manifest = {}) => ({ metadata: { labels: { app: name } }, spec: podSpec(name, extra) });
const workload = (kind: string, name: string, extra: Manifest = {}, namespace?: string) =>
  k('apps/v1', kind, name, { spec: { selector: { matchLabels: { app: name } }, template: template(name, extra) } }, namespace);
const deployment = (name: string, extra: Manifest = {}, namespace?: string) => workload('Deployment', name, extra, namespace);
const job = (name: string, extra: Manifest = {}) =>
  k('batch/v1', 'Job', name, { spec: { template: { spec: podSpec(name, { restartPolicy: 'Never', ...extra }) } } });
const secret = (name: string, namespace?: string) => k('v1', 'Secret', name, {}, namespace);
const configMap = (name: string) => k('v1', 'ConfigMap', name);
const serviceAccount = (name: string) => k('v1', 'ServiceAccount', name);
const service = (name: string, selector: Record<string, string> = { app: name }, namespace?: string) =>
  k('v1', 'Service', name, { spec: { selector, ports: [{ port: 80 }] } }, namespace);
const pvc = (name: string, storageClassName?: string) =>
  k('v1', 'PersistentVolumeClaim', name, {
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(storageClassName ? { storageClassName } : {}) },
  });
const storageClass = (name: string, provisioner = 'example.com/local', parameters: Record<string, string> = {}) =>
  k('storage.k8s.io/v1', 'StorageClass', name, { provisioner, parameters });
const cephBlock = () => storageClass('ceph-block', 'rook-ceph.rbd.csi.ceph.com', { clusterID: 'rook-ceph', pool: 'replicapool' });
const cephCluster = () => k('ceph.rook.io/v1', 'CephCluster', 'rook-ceph', { spec: {} }, 'rook-ceph');
const cephPool = () => k('ceph.rook.io/v1', 'CephBlockPool', 'replicapool', { spec: {} }, 'rook-ceph');
const clusterIssuer = (name: string, spec: Manifest = { selfSigned: {} }) => k('cert-manager.io/v1', 'ClusterIssuer', name, { spec });
const issuer = (name: string, spec: Manifest) => k('cert-manager.io/v1', 'Issuer', name, { spec });
const certificate = (name: string, secretName: string, issuerRef: Manifest) =>
  k('cert-manager.io/v1', 'Certificate', name, { spec: { secretName, dnsNames: [`${name}.example.com`], issuerRef } });
const gatewayClass = () =>
  k('gateway.networking.k8s.io/v1', 'GatewayClass', 'eg', { spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' } });
const gateway = (name: string, listeners: Manifest[] = [{ name: 'http', protocol: 'HTTP', port: 80 }]) =>
  k('gateway.networking.k8s.io/v1', 'Gateway', name, { spec: { gatewayClassName: 'eg', listeners } });
const httpsListener = (secretName: string) => ({ name: 'https', protocol: 'HTTPS', port: 443, tls: { certificateRefs: [{ name: secretName }] } });
const httpRoute = (name: string, gatewayName: string, backend: string) =>
  k('gateway.networking.k8s.io/v1', 'HTTPRoute', name, {
    spec: { parentRefs: [{ name: gatewayName }], rules: [{ backendRefs: [{ name: backend, port: 80 }] }] },
  });
const elasticsearch = (name: string, nodeSet: Manifest = {}) =>
  k('elasticsearch.k8s.elastic.co/v1', 'Elasticsearch', name, { spec: { version: '8.15.0', nodeSets: [{ name: 'default', count: 1, ...nodeSet }] } });

// ---------------------------------------------------------------------------------------------
// Shared facts of every rule

const GO_FILE = /^gitops-engine\/pkg\/health\/health_[a-z]+\.go$/;

describe('every health rule', () => {
  test.each(HEALTH_RULES.map((r) => [`${r.group}/${r.kind}`, r] as const))('%s names its upstream source and when it is healthy', (_gk, rule) => {
    const lua = `resource_customizations/${rule.group}/${rule.kind}/health.lua`;
    // Either a built-in Go check, its own Lua script, or a sentence saying why there is no file.
    const none = new RegExp(`^(none in Argo CD v3\\.5\\.1|argocd-cm resource\\.customizations\\.health\\.${rule.group}_${rule.kind}) \\(.+\\)$`);
    expect([GO_FILE.test(rule.source), rule.source === lua, none.test(rule.source)]).toContain(true);
    if (GO_FILE.test(rule.source)) expect(['', 'apps', 'batch', 'apiregistration.k8s.io']).toContain(rule.group);
    expect(rule.healthyWhen.trim()).not.toBe('');
    // The lookup finds this very rule (no two rules for one kind).
    expect(healthRule(rule.group, rule.kind)).toBe(rule);
    // It reads a bare object of its kind (no spec) without throwing; an instant kind waits on nothing.
    const bare = obj('root', k(rule.group ? `${rule.group}/v1` : 'v1', rule.kind, 'bare'));
    const prereqs = rule.waitsOn(bare);
    expect(Array.isArray(prereqs)).toBe(true);
    if (rule.instant) expect(prereqs).toEqual([]);
  });

  test('a kind without a rule is healthy once applied', () => {
    expect(healthRule('', 'ConfigMap')).toBeUndefined();
    const p = plan([at(0, k('example.com/v1', 'Widget', 'w')), lastWave(1)], { declared: { crds: [...DECLARED.crds, 'example.com/Widget'] } });
    expectAssembles(p);
  });
});

/** Rules whose waitsOn can return something, each with a describe block below. */
const BEHAVIOURAL = [
  'apps/Deployment',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'apps/ReplicaSet',
  'batch/Job',
  '/Pod',
  '/PersistentVolumeClaim',
  'apiregistration.k8s.io/APIService',
  'argoproj.io/Application',
  'cert-manager.io/Certificate',
  'cert-manager.io/ClusterIssuer',
  'cert-manager.io/Issuer',
  'gateway.networking.k8s.io/Gateway',
  'gateway.networking.k8s.io/HTTPRoute',
  'monitoring.coreos.com/Prometheus',
  'elasticsearch.k8s.elastic.co/Elasticsearch',
  'beat.k8s.elastic.co/Beat',
  'snapshot.storage.k8s.io/VolumeSnapshot',
];

test('every rule that can wait on something has a behavioural test here', () => {
  const waiting = HEALTH_RULES.filter((r) => r.waitsOn.toString().replace(/\s+/g, '') !== '()=>[]').map((r) => `${r.group}/${r.kind}`);
  expect(waiting.length).toBeGreaterThan(10);
  for (const gk of waiting) expect(BEHAVIOURAL).toContain(gk);
});

// ---------------------------------------------------------------------------------------------
// Behaviour, rule by rule

describe('apps/Deployment', () => {
  const withSecretEnv = () =>
    deployment('app', { containers: [{ name: 'app', env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }] }] });
  const withConfigVolume = () => deployment('app', { volumes: [{ name: 'config', configMap: { name: 'settings' } }] });

  test('stalls on a Secret that nothing creates', () => {
    const p = plan([at(0, withSecretEnv()), lastWave(1)]);
    expectStall(p, 'Deployment/default/app', 'root at Sync wave 0', 'Secret default/creds (pod template container app env PASSWORD), which nothing creates');
  });

  test('assembles once the Secret is declared as created outside the manifests', () => {
    expectAssembles(plan([at(0, withSecretEnv()), lastWave(1)], { declared: { secrets: ['default/creds'] } }));
  });

  test('assembles with the Secret in the same wave', () => {
    expectAssembles(plan([at(0, withSecretEnv()), at(0, secret('creds')), lastWave(1)]));
  });

  test('an optional Secret is not waited on', () => {
    const optional = deployment('app', { volumes: [{ name: 'creds', secret: { secretName: 'creds', optional: true } }] });
    expectAssembles(plan([at(0, optional), lastWave(1)]));
  });

  test('stalls on a ConfigMap that comes in a later wave', () => {
    const p = plan([at(0, withConfigVolume()), at(1, configMap('settings'))]);
    expectStall(p, 'Deployment/default/app', 'ConfigMap default/settings (pod template volume config), which comes with root (wave 1, never applied)');
  });

  test('assembles with the ConfigMap in an earlier wave', () => {
    expectAssembles(plan([at(0, configMap('settings')), at(1, withConfigVolume()), lastWave(2)]));
  });

  test('in the last wave nothing waits on it, but it never becomes healthy, and the plan says so', () => {
    const p = plan([at(0, configMap('other')), at(1, withSecretEnv())]);
    expect(findingsFor(p, 'Deployment/default/app')).toEqual([expect.stringContaining('assembly: never becomes healthy: it waits on Secret default/creds')]);
    expect(p.assembles).toBe(false);
  });
});

describe('apps/StatefulSet', () => {
  const db = () => {
    const s = workload('StatefulSet', 'db');
    s.spec.volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { storageClassName: 'fast', accessModes: ['ReadWriteOnce'] } }];
    return s;
  };

  test('stalls on the StorageClass of its claim template when that comes later', () => {
    const p = plan([at(0, db()), at(1, storageClass('fast'))]);
    expectStall(p, 'StatefulSet/default/db', 'StorageClass fast (StatefulSet claim template data), which comes with root (wave 1, never applied)');
  });

  test('assembles with the StorageClass first', () => {
    expectAssembles(plan([at(0, storageClass('fast')), at(1, db()), lastWave(2)]));
  });

  test('stalls on the Ceph backend of its claim template class', () => {
    const s = db();
    s.spec.volumeClaimTemplates[0].spec.storageClassName = 'ceph-block';
    const p = plan([at(0, cephBlock()), at(0, s), at(1, cephCluster()), at(1, cephPool())]);
    expectStall(p, 'StatefulSet/default/db', 'CephCluster rook-ceph/rook-ceph healthy, the backend of StorageClass ceph-block');
  });
});

describe('apps/DaemonSet', () => {
  const agent = () => workload('DaemonSet', 'agent', { volumes: [{ name: 'certs', projected: { sources: [{ secret: { name: 'agent-certs' } }] } }] });

  test('stalls on a Secret of a projected volume that comes later', () => {
    const p = plan([at(0, agent()), at(1, secret('agent-certs'))]);
    expectStall(p, 'DaemonSet/default/agent', 'Secret default/agent-certs (pod template volume certs), which comes with root (wave 1, never applied)');
  });

  test('assembles with the Secret first', () => {
    expectAssembles(plan([at(0, secret('agent-certs')), at(1, agent()), lastWave(2)]));
  });
});

describe('apps/ReplicaSet', () => {
  const rs = () => workload('ReplicaSet', 'web', { containers: [{ name: 'web', envFrom: [{ configMapRef: { name: 'web-env' } }] }] });

  test('stalls on an envFrom ConfigMap that comes later', () => {
    const p = plan([at(0, rs()), at(1, configMap('web-env'))]);
    expectStall(p, 'ReplicaSet/default/web', 'ConfigMap default/web-env (pod template container web envFrom)');
  });

  test('assembles with the ConfigMap in the same wave', () => {
    expectAssembles(plan([at(0, rs()), at(0, configMap('web-env')), lastWave(1)]));
  });
});

describe('/Pod', () => {
  const runner = () => k('v1', 'Pod', 'runner', { spec: podSpec('runner', { serviceAccountName: 'runner' }) });

  test('stalls on its ServiceAccount when that comes later', () => {
    const p = plan([at(0, runner()), at(1, serviceAccount('runner'))]);
    expectStall(p, 'Pod/default/runner', 'ServiceAccount default/runner (pod serviceAccountName), which comes with root (wave 1, never applied)');
  });

  test('assembles with the ServiceAccount in the same wave; the default account is never waited on', () => {
    expectAssembles(plan([at(0, runner()), at(0, serviceAccount('runner')), lastWave(1)]));
    expectAssembles(plan([at(0, k('v1', 'Pod', 'p', { spec: podSpec('p', { serviceAccountName: 'default' }) })), lastWave(1)]));
  });
});

describe('batch/Job', () => {
  const migrate = () =>
    job('migrate', { containers: [{ name: 'migrate', image: 'registry.example/migrate:1', env: [{ name: 'API', value: 'http://api.default.svc:8080/v1' }] }] });

  test('stalls when the Deployment behind a Service it calls comes later', () => {
    const p = plan([at(0, service('api')), at(0, migrate()), at(1, deployment('api'))]);
    expectStall(
      p,
      'Job/default/migrate',
      'Deployment default/api ready, behind Service api (container migrate calls api.default.svc), which comes with root (wave 1, never applied)',
    );
  });

  test('stalls when the Service itself comes later', () => {
    const p = plan([at(0, migrate()), at(1, service('api')), at(1, deployment('api'))]);
    expectStall(p, 'Job/default/migrate', 'Service default/api (container migrate calls api.default.svc), which comes with root (wave 1, never applied)');
  });

  test('stalls when the Deployment behind the Service comes in the same wave: its pods may fail first, and a failed Job stays failed', () => {
    const p = plan([at(0, service('api')), at(0, deployment('api')), at(0, migrate()), lastWave(1)]);
    expectStall(
      p,
      'Job/default/migrate',
      'Deployment default/api ready, behind Service api (container migrate calls api.default.svc) in an earlier wave than this Job; it comes in the same one',
    );
  });

  test('assembles with the Service and its Deployment in an earlier wave', () => {
    expectAssembles(plan([at(0, service('api')), at(0, deployment('api')), at(1, migrate()), lastWave(2)]));
  });

  test('a Service outside the manifests (the API server) is not waited on', () => {
    const calls = job('probe', { containers: [{ name: 'probe', env: [{ name: 'K8S', value: 'https://kubernetes.default.svc' }] }] });
    expectAssembles(plan([at(0, calls), lastWave(1)]));
  });

  test('services are found in env values and in URLs of arguments, not in bare argument names', () => {
    const spec = {
      containers: [{ name: 'c', env: [{ name: 'A', value: 'a.one.svc.cluster.local:80' }], args: ['--url=http://b.two.svc/x', '--san=c.three.svc'] }],
    };
    expect(calledServices(spec).map((p) => (p.type === 'serviceReady' ? `${p.namespace}/${p.name}` : p.type))).toEqual(['one/a', 'two/b']);
  });
});

describe('/PersistentVolumeClaim', () => {
  const app = () => deployment('app', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] });

  test('stalls when the CephCluster behind its StorageClass is applied only in a later wave', () => {
    const p = plan([at(0, app()), at(0, pvc('data', 'ceph-block')), at(0, cephBlock()), at(1, cephCluster()), at(1, cephPool())]);
    expectStall(
      p,
      'PersistentVolumeClaim/default/data',
      'root at Sync wave 0',
      "CephCluster rook-ceph/rook-ceph healthy, the backend of StorageClass ceph-block's provisioner rook-ceph.rbd.csi.ceph.com (spec.storageClassName), which comes with root (wave 1, never applied)",
    );
    // The Deployment waits on the claim.
    expectStall(p, 'Deployment/default/app', 'PersistentVolumeClaim default/data healthy (pod template volume data)');
  });

  test('stalls when the Ceph pool is missing', () => {
    const p = plan([at(0, cephCluster()), at(1, cephBlock()), at(1, pvc('data', 'ceph-block')), lastWave(2)]);
    expectStall(p, 'PersistentVolumeClaim/default/data', 'CephBlockPool rook-ceph/replicapool healthy', 'which nothing in the tree');
  });

  test('assembles with the Ceph cluster and pool in an earlier wave', () => {
    expectAssembles(plan([at(0, cephCluster()), at(0, cephPool()), at(1, cephBlock()), at(1, pvc('data', 'ceph-block')), at(1, app()), lastWave(2)]));
  });

  test('stalls without a storageClassName when there is no default class', () => {
    const p = plan([at(0, pvc('data')), lastWave(1)]);
    expectStall(p, 'PersistentVolumeClaim/default/data', 'a default StorageClass (spec.storageClassName), and there is none');
  });

  test('an empty storageClassName binds a PersistentVolume statically: no class, no default is asked for', () => {
    const claim = pvc('data');
    claim.spec.storageClassName = '';
    expect(
      findingsFor(plan([at(0, claim), lastWave(1)], { declared: { storageClasses: ['local-path:default'] } }), 'PersistentVolumeClaim/default/data'),
    ).toEqual([]);
  });

  test('uses the declared default class', () => {
    expectAssembles(plan([at(0, pvc('data')), lastWave(1)], { declared: { storageClasses: ['local-path:default'] } }));
  });

  test('uses the class annotated as the default, with its backend', () => {
    const byDefault = annotated({ 'storageclass.kubernetes.io/is-default-class': 'true' }, cephBlock());
    const p = plan([at(0, byDefault), at(0, pvc('data')), at(1, cephCluster()), at(1, cephPool())]);
    expectStall(p, 'PersistentVolumeClaim/default/data', 'CephCluster rook-ceph/rook-ceph healthy, the backend of StorageClass ceph-block');
  });
});

describe('apiregistration.k8s.io/APIService', () => {
  const api = () =>
    k('apiregistration.k8s.io/v1', 'APIService', 'v1beta1.metrics.k8s.io', {
      spec: { service: { namespace: 'default', name: 'metrics' }, group: 'metrics.k8s.io', version: 'v1beta1' },
    });

  test('stalls when the pods behind its Service come later', () => {
    const p = plan([at(0, api()), at(0, service('metrics')), at(1, deployment('metrics'))]);
    expectStall(
      p,
      'APIService/v1beta1.metrics.k8s.io',
      'Deployment default/metrics ready, behind Service metrics (spec.service), which comes with root (wave 1, never applied)',
    );
  });

  test('assembles with the Service and Deployment in an earlier wave', () => {
    expectAssembles(plan([at(0, service('metrics')), at(0, deployment('metrics')), at(1, api()), lastWave(2)]));
  });
});

describe('argoproj.io/Application', () => {
  const stuck = () => deployment('app', { imagePullSecrets: [{ name: 'registry' }] });

  test("stalls its parent with a chain message when an object of the child's sync never becomes healthy", () => {
    const p = plan([at(0, application('addon')), lastWave(1)], { children: [sync('addon', [stuck()])] });
    expectStall(
      p,
      'Application/argocd/addon',
      'stalls the sync of root at Sync wave 0',
      'Deployment default/app (addon), which waits on Secret default/registry (pod template imagePullSecrets), which nothing creates',
    );
    // The child's last wave is not waited on, so the child itself reports nothing.
    expect(findingsFor(p, 'Deployment/default/app')).toEqual([]);
  });

  test('a stuck wave inside the child is reported by the child, not the parent', () => {
    const p = plan([at(0, application('addon')), lastWave(1)], { children: [sync('addon', [at(0, stuck()), lastWave(1)])] });
    expect(findingsFor(p, 'Application/argocd/addon')).toEqual([]);
    expectStall(p, 'Deployment/default/app', 'stalls the sync of addon at Sync wave 0', 'Secret default/registry');
  });

  test('an object annotated ignore-healthcheck is left out of the Application health', () => {
    const ignored = annotated({ 'argocd.argoproj.io/ignore-healthcheck': 'true' }, stuck());
    const p = plan([at(0, application('addon')), lastWave(1)], { children: [sync('addon', [ignored])] });
    expect(findingsFor(p, 'Application/argocd/addon')).toEqual([]);
    expect(p.assembles).toBe(false); // the Deployment itself still never becomes healthy
  });

  test('assembles when the child sync finishes healthy', () => {
    const p = plan([at(0, application('addon')), lastWave(1)], { children: [sync('addon', [stuck(), secret('registry')])] });
    expectAssembles(p);
    expect(p.steps.map((s) => `${s.sync} ${s.wave}`)).toEqual(['root 0', 'addon 0', 'root 1']);
  });
});

describe('cert-manager.io/Certificate', () => {
  const cert = () => certificate('web', 'web-tls', { name: 'internal', kind: 'ClusterIssuer' });

  test('stalls when its ClusterIssuer comes later', () => {
    const p = plan([at(0, cert()), at(1, clusterIssuer('internal'))]);
    expectStall(p, 'Certificate/default/web', 'ClusterIssuer internal healthy (spec.issuerRef), which comes with root (wave 1, never applied)');
  });

  test('stalls on a namespaced Issuer (the default kind) in its own namespace', () => {
    const p = plan([at(0, certificate('web', 'web-tls', { name: 'local' })), at(1, issuer('local', { selfSigned: {} }))]);
    expectStall(p, 'Certificate/default/web', 'Issuer default/local healthy (spec.issuerRef)');
  });

  test('assembles with the issuer first', () => {
    expectAssembles(plan([at(0, clusterIssuer('internal')), at(1, cert()), lastWave(2)]));
  });
});

describe('cert-manager.io/ClusterIssuer', () => {
  const ca = () => clusterIssuer('ca', { ca: { secretName: 'root-ca' } });

  test('stalls on its CA Secret in the cert-manager namespace when that comes later', () => {
    const p = plan([at(0, ca()), at(1, secret('root-ca', 'cert-manager'))]);
    expectStall(p, 'ClusterIssuer/ca', 'Secret cert-manager/root-ca (spec.ca.secretName), which comes with root (wave 1, never applied)');
  });

  test('assembles with the CA Secret first', () => {
    expectAssembles(plan([at(0, secret('root-ca', 'cert-manager')), at(1, ca()), lastWave(2)]));
  });
});

describe('cert-manager.io/Issuer', () => {
  const ca = () => issuer('ca', { ca: { secretName: 'ca-key' } });

  test('stalls on its CA Secret, written by a Certificate only once issued, when that Certificate cannot be issued yet', () => {
    const p = plan([at(0, ca()), at(0, certificate('ca', 'ca-key', { name: 'root', kind: 'ClusterIssuer' })), at(1, clusterIssuer('root'))]);
    expectStall(p, 'Issuer/default/ca', 'Secret default/ca-key (spec.ca.secretName), written by Certificate default/ca only once issued');
  });

  test('assembles when the Certificate that writes the CA Secret can be issued', () => {
    expectAssembles(
      plan([at(0, clusterIssuer('root')), at(1, certificate('ca', 'ca-key', { name: 'root', kind: 'ClusterIssuer' })), at(1, ca()), lastWave(2)]),
    );
  });
});

describe('gateway.networking.k8s.io/Gateway', () => {
  // The Certificate cannot be issued before wave 1 (its issuer comes then): does the Gateway's listener Secret exist before?
  const arrangement = (cert: Manifest) => [
    at(0, gatewayClass()),
    at(0, gateway('web', [httpsListener('web-tls')])),
    at(0, cert),
    at(1, clusterIssuer('internal')),
  ];
  const cert = () => certificate('web', 'web-tls', { name: 'internal', kind: 'ClusterIssuer' });

  test('stalls on a certificate Secret written only once the Certificate is issued', () => {
    const p = plan(arrangement(cert()));
    expectStall(p, 'Gateway/default/web', 'Secret default/web-tls (listener https certificateRefs), written by Certificate default/web only once issued');
  });

  test('does not wait for issuance when the Certificate asks for a temporary certificate', () => {
    const p = plan(arrangement(annotated({ [TEMPORARY_CERTIFICATE]: 'true' }, cert())));
    expect(findingsFor(p, 'Gateway/default/web')).toEqual([]);
    // The Certificate itself still waits for its issuer.
    expectStall(p, 'Certificate/default/web', 'ClusterIssuer internal healthy');
  });

  test('stalls on its GatewayClass when that comes later', () => {
    const p = plan([at(0, gateway('web')), at(1, gatewayClass())]);
    expectStall(p, 'Gateway/default/web', 'GatewayClass eg healthy (spec.gatewayClassName), which comes with root (wave 1, never applied)');
  });

  test('assembles with the class, the issuer and the Certificate first', () => {
    expectAssembles(
      plan([at(0, gatewayClass()), at(0, clusterIssuer('internal')), at(1, cert()), at(2, gateway('web', [httpsListener('web-tls')])), lastWave(3)]),
    );
  });
});

describe('gateway.networking.k8s.io/HTTPRoute', () => {
  const route = () => httpRoute('app', 'web', 'app');

  test('stalls when its parent Gateway comes later', () => {
    const p = plan([at(0, service('app')), at(0, route()), at(1, gatewayClass()), at(1, gateway('web'))]);
    expectStall(p, 'HTTPRoute/default/app', 'Gateway default/web healthy (spec.parentRefs), which comes with root (wave 1, never applied)');
  });

  test('stalls when its backend Service is missing', () => {
    const p = plan([at(0, gatewayClass()), at(0, gateway('web')), at(1, route()), lastWave(2)]);
    expectStall(
      p,
      'HTTPRoute/default/app',
      'Service default/app (spec.rules.backendRefs), which nothing in the tree, the rendered charts or the bootstrap creates',
    );
  });

  test('assembles with its Gateway and backend first', () => {
    expectAssembles(plan([at(0, gatewayClass()), at(0, gateway('web')), at(0, service('app')), at(1, route()), lastWave(2)]));
  });
});

describe('monitoring.coreos.com/Prometheus', () => {
  const prometheus = () =>
    k('monitoring.coreos.com/v1', 'Prometheus', 'k8s', {
      spec: { storage: { volumeClaimTemplate: { spec: { storageClassName: 'ceph-block', resources: { requests: { storage: '10Gi' } } } } } },
    });

  test('stalls when its storage class comes later', () => {
    const p = plan([at(0, prometheus()), at(1, cephBlock())]);
    expectStall(p, 'Prometheus/default/k8s', 'StorageClass ceph-block (spec.storage.volumeClaimTemplate), which comes with root (wave 1, never applied)');
  });

  test('assembles with the class and its backend first', () => {
    expectAssembles(plan([at(0, cephCluster()), at(0, cephPool()), at(0, cephBlock()), at(1, prometheus()), lastWave(2)]));
  });
});

describe('elasticsearch.k8s.elastic.co/Elasticsearch', () => {
  test('stalls on the default StorageClass of its implicit data claim when there is none', () => {
    const p = plan([at(0, elasticsearch('logs')), lastWave(1)]);
    expectStall(p, 'Elasticsearch/default/logs', 'a default StorageClass (nodeSet default claim template elasticsearch-data), and there is none');
  });

  test('stalls on the StorageClass of its claim template when that comes later', () => {
    const es = elasticsearch('logs', { volumeClaimTemplates: [{ metadata: { name: 'elasticsearch-data' }, spec: { storageClassName: 'fast' } }] });
    const p = plan([at(0, es), at(1, storageClass('fast'))]);
    expectStall(p, 'Elasticsearch/default/logs', 'StorageClass fast (nodeSet default claim template elasticsearch-data), which comes with root (wave 1');
  });

  test('stalls on a Secret its pod template mounts, but not on its ServiceAccount', () => {
    const es = elasticsearch('logs', {
      podTemplate: { spec: { serviceAccountName: 'es', volumes: [{ name: 'keystore', secret: { secretName: 'keystore' } }] } },
    });
    const p = plan([at(0, es), lastWave(1)], { declared: { storageClasses: ['local-path:default'] } });
    expectStall(p, 'Elasticsearch/default/logs', 'Secret default/keystore (nodeSet default volume keystore)');
    expectAssembles(plan([at(0, es), lastWave(1)], { declared: { storageClasses: ['local-path:default'], secrets: ['default/keystore'] } }));
  });

  test('assembles with a default class', () => {
    expectAssembles(plan([at(0, elasticsearch('logs')), lastWave(1)], { declared: { storageClasses: ['local-path:default'] } }));
  });
});

describe('beat.k8s.elastic.co/Beat', () => {
  const beat = () => k('beat.k8s.elastic.co/v1beta1', 'Beat', 'filebeat', { spec: { type: 'filebeat', elasticsearchRef: { name: 'logs' } } });
  const declared = { storageClasses: ['local-path:default'] };

  test('stalls when its Elasticsearch comes later', () => {
    const p = plan([at(0, beat()), at(1, elasticsearch('logs'))], { declared });
    expectStall(p, 'Beat/default/filebeat', 'Elasticsearch default/logs healthy (spec.elasticsearchRef), which comes with root (wave 1, never applied)');
  });

  test('assembles with its Elasticsearch first', () => {
    expectAssembles(plan([at(0, elasticsearch('logs')), at(1, beat()), lastWave(2)], { declared }));
  });
});

describe('snapshot.storage.k8s.io/VolumeSnapshot', () => {
  const snapshot = () => k('snapshot.storage.k8s.io/v1', 'VolumeSnapshot', 'data-snap', { spec: { source: { persistentVolumeClaimName: 'data' } } });
  const declared = { storageClasses: ['local-path:default'] };

  test('stalls when its claim comes later', () => {
    const p = plan([at(0, snapshot()), at(1, pvc('data'))], { declared });
    expectStall(
      p,
      'VolumeSnapshot/default/data-snap',
      'PersistentVolumeClaim default/data healthy (spec.source.persistentVolumeClaimName), which comes with root (wave 1, never applied)',
    );
  });

  test('stalls while its claim cannot bind', () => {
    const p = plan([at(0, pvc('data', 'fast')), at(0, snapshot()), at(1, storageClass('fast'))], { declared });
    expectStall(p, 'VolumeSnapshot/default/data-snap', 'PersistentVolumeClaim default/data healthy', 'which comes with root (wave 0, step 1)');
  });

  test('assembles with its claim first', () => {
    expectAssembles(plan([at(0, pvc('data')), at(1, snapshot()), lastWave(2)], { declared }));
  });
});
