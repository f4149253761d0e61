/**
 * The assembly plan's sync semantics (lib/validate/assembly/simulate.ts), one small scenario each:
 * when a kind is served, which waves are waited on, namespaces, oversized CRDs, self-managed
 * Applications, the bootstrap's health check, the printed plan and its determinism.
 * Hermetic: small PlanObjects built in code, no helm, no files.
 */
import { formatPlan } from '../lib/validate/assembly/format';
import { phaseAndWave } from '../lib/validate/assembly/plan-object';
import { planAssembly } from '../lib/validate/assembly/simulate';
import { annotated, application, at, expectAssembles, findingsFor, k, lastWave, Manifest, planner, sync } from './assembly-scenarios';

// ---------------------------------------------------------------------------------------------
// Helpers

/** cert-manager's kinds are served before the root sync; example.com and Gateway API kinds come with their CRDs in the tests. */
const { input, plan } = planner(
  [
    '/Namespace',
    '/Service',
    '/Secret',
    '/ConfigMap',
    '/ServiceAccount',
    '/PersistentVolumeClaim',
    'apps/Deployment',
    'batch/Job',
    'storage.k8s.io/StorageClass',
    'apiextensions.k8s.io/CustomResourceDefinition',
  ],
  ['cert-manager.io/Certificate', 'cert-manager.io/ClusterIssuer'],
);

const postSync = (m: Manifest) => annotated({ 'argocd.argoproj.io/hook': 'PostSync' }, m);

const crd = (group: string, kind: string, plural: string, extra: Manifest = {}) =>
  k('apiextensions.k8s.io/v1', 'CustomResourceDefinition', `${plural}.${group}`, {
    spec: {
      group,
      names: { kind, plural },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', ...extra } } }],
    },
  });
const widgetCrd = (extra: Manifest = {}) => crd('example.com', 'Widget', 'widgets', extra);
const widget = (name = 'w') => k('example.com/v1', 'Widget', name, { spec: {} });
const namespace = (name: string) => k('v1', 'Namespace', name);
const configMap = (name: string, ns?: string) => k('v1', 'ConfigMap', name, {}, ns);
const deployment = (name: string, podExtra: Manifest = {}, ns?: string) =>
  k(
    'apps/v1',
    'Deployment',
    name,
    {
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'registry.example/app:1' }], ...podExtra } },
      },
    },
    ns,
  );
/** A Deployment that never becomes healthy: it pulls with a Secret nothing creates. */
const stuckDeployment = (name = 'stuck', ns?: string) => deployment(name, { imagePullSecrets: [{ name: 'missing' }] }, ns);
const job = (name: string, podExtra: Manifest = {}) =>
  k('batch/v1', 'Job', name, {
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name, image: 'registry.example/job:1' }], ...podExtra } } },
  });
const acmeIssuer = () =>
  k('cert-manager.io/v1', 'ClusterIssuer', 'letsencrypt', {
    spec: {
      acme: { server: 'https://acme-v02.api.letsencrypt.org/directory', privateKeySecretRef: { name: 'letsencrypt-account' }, solvers: [{ http01: {} }] },
    },
  });
const acmeCertificate = () =>
  k('cert-manager.io/v1', 'Certificate', 'web', {
    spec: { secretName: 'web-tls', dnsNames: ['web.example.com'], issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } },
  });

// ---------------------------------------------------------------------------------------------
// (a) When a custom resource's kind is served

describe('a custom resource needs its CRD established before the step that applies it', () => {
  test('a CRD that comes with a child Application in a later wave is not served yet', () => {
    const p = plan([at(0, widget()), at(1, application('widgets'))], { children: [sync('widgets', [widgetCrd()])] });
    expect(p.assembles).toBe(false);
    expect(findingsFor(p, 'Widget/default/w')).toEqual([
      expect.stringContaining(
        'example.com/Widget is not served yet: its CustomResourceDefinition comes with widgets (wave 0, never applied), not before this step',
      ),
    ]);
    expect(findingsFor(p, 'Widget/default/w')[0]).toContain('SkipDryRunOnMissingResource only skips the dry run; the apply still fails');
    // The failed wave stops the root: its Application is never applied.
    expect(p.steps.map((s) => s.sync)).toEqual(['root']);
  });

  test('a CRD with no source at all says so', () => {
    const p = plan([at(0, widget()), lastWave(1)]);
    expect(findingsFor(p, 'Widget/default/w')).toEqual([
      expect.stringContaining('its CustomResourceDefinition comes nowhere in the synthesized tree, the rendered charts or the bootstrap'),
    ]);
  });

  test('a CRD in the same sync and wave is applied first', () => {
    const p = plan([at(0, widget()), at(0, widgetCrd()), lastWave(1)]);
    expectAssembles(p);
    expect(p.steps[0].objects.map((o) => o.kind)).toEqual(['CustomResourceDefinition', 'Widget']);
    expect(p.steps[0].crds).toEqual(['example.com/Widget']);
  });

  test('a CRD in a later wave of the same sync is not served yet', () => {
    const p = plan([at(0, widget()), at(1, widgetCrd())]);
    expect(findingsFor(p, 'Widget/default/w')).toEqual([
      expect.stringContaining('is not served yet: its CustomResourceDefinition comes with root (wave 1, never applied)'),
    ]);
  });

  test.each([
    ['the CRD sibling first', 'a-crds', 'b-widgets'],
    ['the CRD sibling second', 'b-crds', 'a-widgets'],
  ])('a CRD from a sibling Application in the same wave is not served yet (%s)', (_order, crds, widgets) => {
    const p = plan([at(0, application(crds)), at(0, application(widgets)), lastWave(1)], {
      children: [sync(crds, [widgetCrd()]), sync(widgets, [widget()])],
    });
    expect(p.assembles).toBe(false);
    expect(findingsFor(p, 'Widget/default/w')).toEqual([
      expect.stringContaining(`is not served yet: its CustomResourceDefinition comes with ${crds} (wave 0, `),
    ]);
  });

  test('a CRD from an Application in an earlier wave of the root is served', () => {
    const p = plan([at(0, application('widgets')), at(1, widget()), lastWave(2)], { children: [sync('widgets', [widgetCrd()])] });
    expectAssembles(p);
  });

  test('a custom resource with a health check waits for the Application that runs its controller', () => {
    const gatewayClass = k('gateway.networking.k8s.io/v1', 'GatewayClass', 'eg', { spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' } });
    const operator = (controller: Manifest) => sync('envoy', [at(0, crd('gateway.networking.k8s.io', 'GatewayClass', 'gatewayclasses')), at(1, controller)]);
    const edge = sync('edge', [at(0, configMap('first')), at(1, gatewayClass), lastWave(2)]);
    const root = [at(0, application('envoy')), at(0, application('edge')), lastWave(1)];

    const stuck = plan(root, { children: [operator(stuckDeployment('envoy-gateway')), edge] });
    expect(findingsFor(stuck, 'GatewayClass/eg')).toEqual([
      'assembly: stalls the sync of edge at Sync wave 1: it waits on its controller, Application argocd/envoy, which comes with root (wave 0, step 1)',
    ]);
    expectAssembles(plan(root, { children: [operator(deployment('envoy-gateway')), edge] }));
  });
});

// ---------------------------------------------------------------------------------------------
// (b) Which waves are waited on

describe('the last wave is not waited on, unless it holds a hook', () => {
  test('an object that never becomes healthy stalls a wave that is not the last', () => {
    const p = plan([at(0, stuckDeployment()), lastWave(1)]);
    expect(findingsFor(p, 'Deployment/default/stuck')).toEqual([
      expect.stringContaining('stalls the sync of root at Sync wave 0: it waits on Secret default/missing'),
    ]);
    expect(p.steps.map((s) => s.wave)).toEqual([0]);
  });

  test('in the last wave it stalls nothing, though it never becomes healthy and the plan does not assemble', () => {
    const p = plan([at(0, configMap('first')), at(1, stuckDeployment())]);
    expect(p.findings.map((f) => f.message)).toEqual([expect.stringMatching(/^assembly: never becomes healthy: it waits on Secret default\/missing/)]);
    expect(p.assembles).toBe(false);
    expect(p.steps.map((s) => [s.wave, s.last, s.waitsFor.length])).toEqual([
      [0, false, 0],
      [1, true, 0],
    ]);
  });

  test('a hook in the last phase is waited on', () => {
    const p = plan([at(0, configMap('first')), postSync(job('notify', { imagePullSecrets: [{ name: 'missing' }] }))]);
    expect(findingsFor(p, 'Job/default/notify')).toEqual([
      expect.stringContaining('stalls the sync of root at PostSync wave 0: it waits on Secret default/missing'),
    ]);
    expect(p.steps.map((s) => [s.phase, s.last, s.waitsFor.map((o) => o.name)])).toEqual([
      ['Sync', false, []],
      ['PostSync', false, ['notify']],
    ]);
  });

  test('PreSync hooks come before every Sync wave, PostSync after', () => {
    const preSync = annotated({ 'argocd.argoproj.io/hook': 'PreSync' }, job('migrate'));
    const p = plan([at(-5, configMap('early')), postSync(job('notify')), preSync, at(3, configMap('late'))]);
    expectAssembles(p);
    expect(p.steps.map((s) => `${s.phase} ${s.wave}`)).toEqual(['PreSync 0', 'Sync -5', 'Sync 3', 'PostSync 0']);
  });

  test('Helm hooks map to phases with their weight as the wave; test hooks are not synced', () => {
    expect(phaseAndWave(annotated({ 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-weight': '-2' }, job('certgen')))).toEqual({
      phase: 'PreSync',
      wave: -2,
      hook: true,
    });
    expect(phaseAndWave(annotated({ 'helm.sh/hook': 'post-install' }, job('seed')))).toEqual({ phase: 'PostSync', wave: 0, hook: true });
    expect(phaseAndWave(annotated({ 'helm.sh/hook': 'test' }, job('smoke')))).toBeUndefined();
    expect(phaseAndWave(annotated({ 'argocd.argoproj.io/hook': 'SyncFail' }, job('cleanup')))).toBeUndefined();
  });

  describe('an ACME Certificate', () => {
    const issuer = () => at(0, acmeIssuer());

    test('in a wave that is waited on is a finding: move it to the last wave', () => {
      const p = plan([issuer(), at(1, acmeCertificate()), lastWave(2)]);
      const messages = findingsFor(p, 'Certificate/default/web');
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain('an ACME certificate is issued only when DNS for web.example.com reaches the entry point');
      expect(messages[0]).toMatch(/root waits on it at Sync wave 1, so one failure stops that sync for this revision: move it to the last wave$/);
    });

    test('in the last wave is fine', () => {
      expectAssembles(plan([issuer(), at(1, acmeCertificate())]));
    });

    test('in the last wave of a sync that also has a PostSync hook is waited on', () => {
      const p = plan([issuer(), at(1, acmeCertificate()), postSync(job('notify'))]);
      expect(findingsFor(p, 'Certificate/default/web')).toEqual([expect.stringContaining('ACME')]);
      expect(findingsFor(p, 'Certificate/default/web')[0]).toContain('move it to the last wave');
    });

    test("in the last wave of a child whose Application is waited on is a finding, unless left out of the Application's health", () => {
      const root = [issuer(), at(1, application('edge')), lastWave(2)];
      const waited = plan(root, { children: [sync('edge', [acmeCertificate()])] });
      expect(findingsFor(waited, 'Certificate/default/web')).toEqual([expect.stringContaining('move it to the last wave')]);
      const ignored = annotated({ 'argocd.argoproj.io/ignore-healthcheck': 'true' }, acmeCertificate());
      expectAssembles(plan(root, { children: [sync('edge', [ignored])] }));
    });

    test("in a child's last wave, the finding names the parent sync and wave that wait on it", () => {
      const p = plan([issuer(), at(1, application('edge')), lastWave(2)], { children: [sync('edge', [acmeCertificate()])] });
      expect(findingsFor(p, 'Certificate/default/web')).toEqual([expect.stringContaining('root waits on it at Sync wave 1')]);
    });

    test('issued by a non-ACME issuer may sit in any wave', () => {
      const ca = k('cert-manager.io/v1', 'ClusterIssuer', 'letsencrypt', { spec: { selfSigned: {} } });
      expectAssembles(plan([at(0, ca), at(1, acmeCertificate()), lastWave(2)]));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// (c) Namespaces

describe('an object needs its namespace when its step applies it', () => {
  test('a Namespace in a later wave does not exist yet', () => {
    const p = plan([at(0, configMap('settings', 'apps')), at(1, namespace('apps'))]);
    expect(p.assembles).toBe(false);
    expect(findingsFor(p, 'ConfigMap/apps/settings')).toEqual([
      'assembly: namespace "apps" does not exist when this step applies it, which comes with root (wave 1, never applied)',
    ]);
  });

  test('a Namespace that nothing creates is named as such', () => {
    const p = plan([at(0, configMap('settings', 'apps')), lastWave(1)]);
    expect(findingsFor(p, 'ConfigMap/apps/settings')).toEqual([
      expect.stringContaining('which nothing in the tree, the rendered charts or the bootstrap creates'),
    ]);
  });

  test('a Namespace in the same wave is created first', () => {
    expectAssembles(plan([at(0, configMap('settings', 'apps')), at(0, namespace('apps')), lastWave(1)]));
  });

  test('CreateNamespace=true creates the destination namespace', () => {
    expectAssembles(plan(sync('root', [at(0, configMap('settings', 'apps')), at(1, namespace('apps'))], { createsNamespace: 'apps' })));
  });

  test.each([
    ['a-ns', 'b-app'],
    ['b-ns', 'a-app'],
  ])('a Namespace from a sibling Application (%s) is not there yet for %s, whatever their names', (ns, app) => {
    const p = plan([at(0, application(ns)), at(0, application(app)), lastWave(1)], {
      children: [sync(ns, [namespace('apps')]), sync(app, [configMap('settings', 'apps')])],
    });
    expect(findingsFor(p, 'ConfigMap/apps/settings')).toEqual([expect.stringContaining('namespace "apps" does not exist when this step applies it')]);
  });

  test('a namespace declared before the root sync exists', () => {
    expectAssembles(plan([at(0, configMap('settings', 'apps'))], { declared: { namespaces: ['argocd', 'apps'] } }));
  });
});

// ---------------------------------------------------------------------------------------------
// (d) Oversized CRDs

describe('a CRD over 256 KiB', () => {
  const big = () => widgetCrd({ description: 'x'.repeat(270_000) });
  const tooLong = 'assembly: is larger than 256 KiB, so a client-side apply fails (metadata.annotations: Too long); sync it with ServerSideApply=true';

  test('fails a client-side apply', () => {
    const p = plan([at(0, big())]);
    expect(p.assembles).toBe(false);
    expect(findingsFor(p, 'CustomResourceDefinition/widgets.example.com')).toEqual([tooLong]);
  });

  test('applies with a server-side apply sync', () => {
    expectAssembles(plan(sync('root', [at(0, big())], { serverSideApply: true })));
  });

  test('applies with ServerSideApply=true or Replace=true on the object itself', () => {
    for (const option of ['ServerSideApply=true', 'Prune=false,Replace=true']) {
      expectAssembles(plan([annotated({ 'argocd.argoproj.io/sync-options': option }, big())]));
    }
  });

  test('counts bytes, not characters', () => {
    const wide = widgetCrd({ description: '\u00e9'.repeat(140_000) });
    expect(findingsFor(plan([at(0, wide)]), 'CustomResourceDefinition/widgets.example.com')).toEqual([tooLong]);
  });

  test('a CRD just under the limit applies client-side', () => {
    expectAssembles(plan([widgetCrd({ description: 'x'.repeat(250_000) })]));
  });
});

// ---------------------------------------------------------------------------------------------
// (e) Self-managed Applications

describe('a root that holds its own Application', () => {
  test('stalls when that Application is in a wave that is waited on', () => {
    const p = plan([at(0, application('root')), lastWave(1)]);
    expect(findingsFor(p, 'Application/argocd/root')).toEqual([
      'assembly: stalls the sync of root at Sync wave 0: it waits on its own sync (root holds itself), which waits for this wave: put it in its last wave',
    ]);
  });

  test('is fine with that Application in the last wave', () => {
    expectAssembles(plan([at(0, configMap('first')), at(1, application('root'))]));
  });
});

// ---------------------------------------------------------------------------------------------
// (f) What the bootstrap must install

describe('an Application that holds itself, or appears twice', () => {
  test('a child holding its own Application is one sync, not a runaway', () => {
    const p = plan([at(0, application('x')), lastWave(1)], { children: [sync('x', [application('x'), configMap('c')])] });
    expect(p.steps.filter((s) => s.sync === 'x')).toHaveLength(1);
    expect(p.steps.length).toBeLessThan(10);
  });

  test('an Application declared in two syncs runs its sync once', () => {
    const p = plan([at(0, application('x')), at(0, application('y')), lastWave(1)], {
      children: [sync('x', [application('y')]), sync('y', [configMap('c')])],
    });
    expect(p.steps.filter((s) => s.sync === 'y')).toHaveLength(1);
  });
});

describe('the Application health check', () => {
  test('missing from the bootstrap is a finding on the root Application', () => {
    const p = plan([at(0, configMap('first'))], { declared: { healthChecks: [] } });
    expect(p.findings).toEqual([
      expect.objectContaining({
        document: 'Application/root',
        path: 'data["resource.customizations.health.argoproj.io_Application"]',
        message: expect.stringContaining(
          'the Application health check must be installed by the bootstrap before the root sync: without it every Application is healthy at once',
        ),
      }),
    ]);
  });

  test('installed only by the root sync itself is a finding on argocd-cm', () => {
    const cm = k('v1', 'ConfigMap', 'argocd-cm', { data: { 'resource.customizations.health.argoproj.io_Application': 'hs = {}' } }, 'argocd');
    const p = plan([at(0, cm)], { declared: { healthChecks: ['cert-manager.io_Certificate'] } });
    expect(findingsFor(p, 'ConfigMap/argocd/argocd-cm')).toEqual([
      expect.stringContaining('installed by the bootstrap before the root sync, not by the root sync that relies on it'),
    ]);
  });
});

describe('pruning', () => {
  test('a sync without automated pruning is a finding on its Application', () => {
    const p = plan([at(0, application('addon'))], { children: [sync('addon', [configMap('x')], { prunes: false })] });
    expect(p.findings).toEqual([
      expect.objectContaining({
        file: 'addon.yaml',
        document: 'Application/argocd/addon',
        message: expect.stringContaining('addon syncs test addon without pruning'),
      }),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// (g) The printed plan

describe('formatPlan', () => {
  const scenario = () =>
    plan(
      sync('root', [at(0, namespace('apps')), at(0, widgetCrd()), at(0, deployment('app', {}, 'apps')), at(1, application('addon')), lastWave(2)], {
        description: 'dist/cluster',
      }),
      {
        children: [
          sync('addon', [at(0, configMap('settings', 'apps')), at(1, deployment('worker', {}, 'apps'))], { description: 'chart addon v1.0.0 → apps' }),
        ],
      },
    );

  test('prints each step with what it applies, makes available and waits for', () => {
    const p = scenario();
    expect(p.assembles).toBe(true);
    const lines = formatPlan(p).split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '  1. root wave 0 (dist/cluster)',
      '     applies: Namespace, CustomResourceDefinition, Deployment',
      '     makes available: example.com: Widget',
      '     waits for: Deployment apps/app healthy',
    ]);
    expect(lines).toContain('     waits for: Application argocd/addon healthy');
    // A child's steps are indented; its non-last wave of instant objects and its last wave.
    expect(lines).toContain('  3.   addon wave 0 (chart addon v1.0.0 → apps)');
    expect(lines).toContain('       waits for: nothing (healthy once applied)');
    expect(lines).toContain('       waits for: nothing (last wave; the Application is healthy once these are)');
    // The root's last step, and the verdict.
    expect(lines.slice(-5)).toEqual([
      '  5. root wave 2 (dist/cluster)',
      '     applies: ConfigMap',
      '     waits for: nothing (last wave)',
      '',
      'assembles: every sync finishes and everything becomes healthy',
    ]);
    expect(lines.filter((l) => l.includes('makes available:'))).toHaveLength(1);
  });

  test('only the chosen syncs, with the root steps', () => {
    const text = formatPlan(scenario(), { syncs: ['addon'] });
    expect(text).toContain('addon wave 1');
    expect(formatPlan(scenario(), { syncs: ['other'] })).not.toContain('addon wave');
  });

  test('says how many findings keep it from assembling', () => {
    expect(formatPlan(plan([at(0, stuckDeployment()), lastWave(1)]))).toMatch(/\ndoes not assemble: 1 finding\(s\)$/);
  });
});

// ---------------------------------------------------------------------------------------------
// (h) Determinism

describe('the plan is deterministic', () => {
  const build = (reverse = false) => {
    const order = <T>(xs: T[]) => (reverse ? [...xs].reverse() : xs);
    return input(
      order([
        at(0, namespace('apps')),
        at(0, widgetCrd()),
        at(0, application('b-addon')),
        at(0, application('a-addon')),
        at(0, stuckDeployment('s', 'apps')),
        at(1, widget('w1')),
        at(1, widget('w2')),
        at(1, acmeIssuer()),
        at(1, acmeCertificate()),
        lastWave(2),
      ]),
      {
        children: order([
          sync('a-addon', order([at(0, configMap('one', 'apps')), at(1, deployment('worker', {}, 'apps'))])),
          sync('b-addon', order([at(-1, crd('example.com', 'Gadget', 'gadgets')), k('example.com/v1', 'Gadget', 'g')])),
        ]),
      },
    );
  };

  test('the same input twice gives deep-equal results', () => {
    const i = build();
    const first = planAssembly(i);
    const second = planAssembly(i);
    expect(second).toEqual(first);
    expect(formatPlan(second)).toBe(formatPlan(first));
    expect(first.findings.length).toBeGreaterThan(0);
  });

  test('the order of the objects in the input does not change the plan', () => {
    const forward = planAssembly(build());
    const backward = planAssembly(build(true));
    expect(formatPlan(backward)).toBe(formatPlan(forward));
    expect(backward.findings).toEqual(forward.findings);
    expect(backward.steps.map((s) => s.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`))).toEqual(
      forward.steps.map((s) => s.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`)),
    );
  });
});
