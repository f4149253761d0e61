/** Every app namespace is bounded: container defaults and a quota that holds the namespace's own peak, previews from config. */
import * as path from 'path';
import { namespaceDemand } from '../lib/namespace-demand';
import { parseQuantity } from '../lib/quantity';
import { SynthError } from '../lib/synth-writer';
import { fixtureTree, mutatedConfigText, readManifests, tmpDir, TEST_SECRETS, writeConfig, synthesizeWithSecrets } from './helpers';

const value = (q: string, scale = 1) => {
  const p = parseQuantity(q)!;
  return (Number(p.num) * scale) / Number(p.den);
};
const deployment = (name: string, replicas: number, cpu: string, memory: string, extra: object = {}) => ({
  kind: 'Deployment',
  metadata: { name, namespace: 'ns' },
  spec: { replicas, template: { spec: { containers: [{ name: 'c', resources: { requests: { cpu, memory }, limits: { memory } } }] } }, ...extra },
});

test('peak demand: replicas plus the rolling-update surge (25% rounded up), an autoscaler’s maximum, init containers by their maximum', () => {
  const d = namespaceDemand([deployment('a', 4, '100m', '100Mi')]).get('ns')!;
  expect(d.cpuMilli).toBe(500); // 4 + ceil(4 × 25%) = 5 pods
  expect(namespaceDemand([deployment('a', 4, '100m', '100Mi', { strategy: { type: 'Recreate' } })]).get('ns')!.cpuMilli).toBe(400);
  const hpa = { kind: 'HorizontalPodAutoscaler', metadata: { name: 'a', namespace: 'ns' }, spec: { scaleTargetRef: { name: 'a' }, maxReplicas: 8 } };
  expect(namespaceDemand([deployment('a', 2, '100m', '100Mi'), hpa]).get('ns')!.cpuMilli).toBe(1000); // 8 + 2 surge
  const withInit = deployment('b', 1, '100m', '100Mi');
  (withInit.spec.template.spec as any).initContainers = [{ name: 'i', resources: { requests: { cpu: '2', memory: '10Mi' } } }];
  expect(namespaceDemand([{ ...withInit, spec: { ...withInit.spec, strategy: { type: 'Recreate' } } }]).get('ns')).toEqual({
    cpuMilli: 2000,
    memoryBytes: 100 * 2 ** 20,
    memoryLimitBytes: 100 * 2 ** 20,
  });
});

test('every app namespace has container defaults and a quota in its first wave, above what its workloads request at steady state', () => {
  const docs = readManifests(fixtureTree().dist).map((d) => d.object);
  const namespaces = docs.filter((o) => o.kind === 'Namespace' && o.metadata.labels?.['platform.campus/environment']).map((o) => o.metadata.name);
  expect(namespaces.length).toBeGreaterThanOrEqual(4);
  for (const ns of namespaces) {
    const limits = docs.filter((o) => o.kind === 'LimitRange' && o.metadata.namespace === ns);
    const quotas = docs.filter((o) => o.kind === 'ResourceQuota' && o.metadata.namespace === ns);
    expect([ns, limits.length, quotas.length]).toEqual([ns, 1, 1]);
    expect(quotas[0].metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-2');
    expect(limits[0].spec.limits[0].default).toEqual({ memory: '256Mi' });
    // Independent lower bound: every pod template at its replicas, no surge, must fit.
    let cpu = 0;
    let memory = 0;
    for (const o of docs.filter((x) => x.metadata?.namespace === ns)) {
      const spec = o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;
      if (!spec || !['Deployment', 'StatefulSet', 'Job', 'CronJob'].includes(o.kind)) continue;
      const n = o.spec.replicas ?? 1;
      for (const c of spec.containers) {
        cpu += n * value(c.resources.requests.cpu, 1000);
        memory += n * value(c.resources.requests.memory);
      }
    }
    expect(cpu).toBeGreaterThan(0);
    expect(value(quotas[0].spec.hard['requests.cpu'], 1000)).toBeGreaterThanOrEqual(cpu);
    expect(value(quotas[0].spec.hard['requests.memory'])).toBeGreaterThanOrEqual(memory);
  }
});

test("a preview's quota comes from the config, and one too small for the preview itself is refused at its field", () => {
  const synth = (quota: object) => {
    const file = writeConfig(mutatedConfigText((c) => (c.apps.berkeleytime.environments.previews.quota = quota)));
    const out = path.join(tmpDir(), 'dist');
    synthesizeWithSecrets({ configFile: file, outdir: out, secretsDir: TEST_SECRETS });
    return readManifests(out).map((d) => d.object);
  };
  const docs = synth({ cpu: '3', memory: '6Gi' });
  const quota = docs.find((o) => o.kind === 'ResourceQuota' && o.metadata.namespace === 'berkeleytime-preview-feature-new-catalog');
  expect(quota.spec.hard['requests.cpu']).toBe('3000m');
  expect(quota.spec.hard['requests.memory']).toBe('6144Mi');
  expect(() => synth({ cpu: '100m', memory: '6Gi' })).toThrow(SynthError);
  expect(() => synth({ cpu: '100m', memory: '6Gi' })).toThrow(
    /apps\.berkeleytime\.environments\.previews\.quota\.cpu: expected at least \d+m, what berkeleytime-preview-[a-z-]+ requests at its peak \(rollout surge included\), found 100m/,
  );
});
