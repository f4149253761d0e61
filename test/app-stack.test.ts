/** AppStack on the synthesized YAML of the default platform and focused variants. */
import * as path from 'path';
import { fixtureTree, mutatedConfigText, readManifests, tmpDir, writeConfig, TEST_SECRETS, synthesizeWithSecrets } from './helpers';
import { repoRoot } from '../lib/repo-root';

function synthManifests(configFile: string) {
  const out = path.join(tmpDir(), 'dist');
  synthesizeWithSecrets({ configFile, outdir: out, secretsDir: TEST_SECRETS });
  return { out, docs: readManifests(out) };
}

const find = (docs: { file: string; object: any }[], kind: string, namespace: string, name?: string) =>
  docs.map((d) => d.object).filter((o) => o.kind === kind && o.metadata.namespace === namespace && (name === undefined || o.metadata.name === name));

const podSpecs = (o: any): any[] => (o.kind === 'CronJob' ? [o.spec.jobTemplate.spec.template.spec] : o.spec?.template?.spec ? [o.spec.template.spec] : []);

describe('default platform', () => {
  let docs: { file: string; object: any }[];
  beforeAll(() => (docs = readManifests(fixtureTree().dist)));

  test('the nightly data refresh: 02:00 Los Angeles time, the three commands in order, never overlapping', () => {
    const [cron] = find(docs, 'CronJob', 'berkeleytime-production', 'data-refresh');
    expect(cron.spec.schedule).toBe('0 2 * * *');
    expect(cron.spec.timeZone).toBe('America/Los_Angeles');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    // Init containers run in order and stop at the first failure; the last step is the main container.
    const steps = [...pod.initContainers, ...pod.containers].map((c: any) => c.command);
    expect(steps).toEqual([
      ['python', 'manage.py', 'course'],
      ['python', 'manage.py', 'class'],
      ['python', 'manage.py', 'playlist', '--refresh'],
    ]);
    expect(cron.spec.jobTemplate.spec.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(0);
    expect(pod.containers[0].envFrom).toEqual([{ configMapRef: { name: 'backend-env' } }]);
    expect(pod.containers[0].env.map((e: any) => e.name)).toEqual(expect.arrayContaining(['POSTGRES_HOST', 'DJANGO_SECRET_KEY']));
  });

  test('the CronJob runs in production only, never against the shared staging data from a preview', () => {
    expect(find(docs, 'CronJob', 'berkeleytime-staging', 'data-refresh')).toHaveLength(0);
    expect(find(docs, 'CronJob', 'berkeleytime-preview-feature-new-catalog')).toHaveLength(0);
  });

  test('the migration Job is named after the image tag and runs before the rollout', () => {
    const [job] = find(docs, 'Job', 'berkeleytime-production');
    expect(job.metadata.name).toBe('backend-migrate-2-4-1');
    expect(job.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-1');
    expect(job.spec.template.spec.containers[0].command).toEqual(['python', 'manage.py', 'migrate', '--noinput']);
    const [preview] = find(docs, 'Job', 'berkeleytime-preview-feature-new-catalog');
    expect(preview.metadata.name).toBe('backend-migrate-feature-new-catalog');
  });

  test('every container of every app workload meets the restricted profile', () => {
    const workloads = docs.map((d) => d.object).filter((o) => /^berkeleytime-/.test(o.metadata.namespace ?? '') && podSpecs(o).length);
    expect(workloads.length).toBeGreaterThan(10);
    for (const w of workloads) {
      for (const pod of podSpecs(w)) {
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
          expect(c.securityContext).toMatchObject({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          });
        }
      }
    }
  });

  test('preview branches get sanitised namespaces, hosts, one replica and the branch image tag', () => {
    const ns = 'berkeleytime-preview-feature-new-catalog';
    const [deploy] = find(docs, 'Deployment', ns, 'backend');
    expect(deploy.spec.replicas).toBe(1);
    expect(deploy.spec.template.spec.containers[0].image).toBe('registry.berkeleytime.com/berkeleytime/backend:feature-new-catalog');
    const routes = docs.map((d) => d.object).filter((o) => (o.kind === 'HTTPRoute' || o.kind === 'Ingress') && o.metadata.namespace === ns);
    expect(JSON.stringify(routes)).toContain('feature-new-catalog.preview.berkeleytime.com');
  });

  test('PodDisruptionBudgets exist exactly for components with more than one replica', () => {
    const components = ['backend', 'frontend'];
    const pdbs = (ns: string) =>
      find(docs, 'PodDisruptionBudget', ns)
        .map((p) => p.metadata.name)
        .filter((n) => components.includes(n))
        .sort();
    expect(pdbs('berkeleytime-production')).toEqual(['backend', 'frontend']);
    expect(pdbs('berkeleytime-staging')).toEqual([]);
    const [pdb] = find(docs, 'PodDisruptionBudget', 'berkeleytime-production', 'backend');
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
  });

  test('rollouts never drop below the desired replicas and spread across nodes', () => {
    const [deploy] = find(docs, 'Deployment', 'berkeleytime-production', 'backend');
    expect(deploy.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    expect(deploy.spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('kubernetes.io/hostname');
  });

  test('secret env comes from named Secrets, plain env from a ConfigMap', () => {
    const [cm] = find(docs, 'ConfigMap', 'berkeleytime-production', 'backend-env');
    expect(cm.data.DJANGO_SETTINGS_MODULE).toBe('berkeleytime.settings.prod');
    const [deploy] = find(docs, 'Deployment', 'berkeleytime-production', 'backend');
    const env = deploy.spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'DJANGO_SECRET_KEY').valueFrom.secretKeyRef).toEqual({ name: 'backend-secrets', key: 'DJANGO_SECRET_KEY' });
  });
});

describe('canary releases', () => {
  test('a canary yields two Deployments (distinct tracks) behind one Service selecting both', () => {
    const file = writeConfig(
      mutatedConfigText(
        (c) => (c.apps.berkeleytime.components.frontend.canary = { image: 'registry.berkeleytime.com/berkeleytime/frontend:2.5.0', replicas: 1 }),
      ),
    );
    const { docs } = synthManifests(file);
    const ns = 'berkeleytime-production';
    const deployments = find(docs, 'Deployment', ns).filter((d) => d.metadata.name.startsWith('frontend'));
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['frontend', 'frontend-canary']);
    const [stable, canary] = ['frontend', 'frontend-canary'].map((n) => deployments.find((d) => d.metadata.name === n));
    expect(canary.spec.template.spec.containers[0].image).toBe('registry.berkeleytime.com/berkeleytime/frontend:2.5.0');
    expect(stable.spec.selector.matchLabels['platform.campus/track']).toBe('stable');
    expect(canary.spec.selector.matchLabels['platform.campus/track']).toBe('canary');
    const services = find(docs, 'Service', ns, 'frontend');
    expect(services).toHaveLength(1);
    const selector = services[0].spec.selector;
    for (const d of deployments) {
      const labels = d.spec.template.metadata.labels;
      expect(Object.entries(selector).every(([k, v]) => labels[k] === v)).toBe(true);
    }
  });

  test('the HA example runs its backend with a canary: 2 stable and 1 canary replica behind one Service, every environment', () => {
    const { docs } = synthManifests(path.join(repoRoot(), 'examples/ha-cluster.yaml'));
    for (const ns of ['berkeleytime-production', 'berkeleytime-staging']) {
      const tracks = Object.fromEntries(
        find(docs, 'Deployment', ns)
          .filter((d) => ['backend', 'backend-canary'].includes(d.metadata.name))
          .map((d) => [d.spec.template.metadata.labels['platform.campus/track'], d]),
      );
      expect(Object.keys(tracks).sort()).toEqual(['canary', 'stable']);
      expect(tracks.canary.spec.template.spec.containers[0].image).toBe('registry.berkeleytime.com/berkeleytime/backend:2.5.0');
      expect(tracks.stable.spec.template.spec.containers[0].image).toBe('registry.berkeleytime.com/berkeleytime/backend:2.4.1');
      // One canary replica beside the stable ones: staging overrides the stable count to 1.
      expect([ns, tracks.stable.spec.replicas, tracks.canary.spec.replicas]).toEqual([ns, ns.endsWith('production') ? 2 : 1, 1]);
      const [service] = find(docs, 'Service', ns, 'backend');
      for (const d of Object.values(tracks) as any[])
        expect(Object.entries(service.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v)).toBe(true);
      expect(service.spec.selector['platform.campus/track']).toBeUndefined();
    }
  });

  test('a call between components opens exactly that flow, on both sides', () => {
    const file = writeConfig(mutatedConfigText((c) => (c.apps.berkeleytime.components.frontend.calls = ['backend'])));
    const { docs } = synthManifests(file);
    const ns = 'berkeleytime-production';
    const [ingress] = find(docs, 'NetworkPolicy', ns, 'ingress-backend-from-frontend');
    expect(ingress.spec.podSelector.matchLabels['app.kubernetes.io/name']).toBe('backend');
    expect(ingress.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': ns, 'app.kubernetes.io/name': 'frontend' } } }],
        ports: [{ port: 8000, protocol: 'TCP' }],
      },
    ]);
    const [egress] = find(docs, 'NetworkPolicy', ns, 'egress-frontend-to-backend');
    expect(egress.spec.egress[0].ports).toEqual([{ port: 8000, protocol: 'TCP' }]);
    // Nothing else calls the backend.
    expect(
      find(docs, 'NetworkPolicy', ns)
        .filter((p) => p.metadata.name.startsWith('ingress-backend-from-'))
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['ingress-backend-from-edge', 'ingress-backend-from-frontend']);
  });

  test('autoscaling adds an HPA and leaves replicas to it', () => {
    const file = writeConfig(
      mutatedConfigText((c) => (c.apps.berkeleytime.components.frontend.autoscaling = { minReplicas: 2, maxReplicas: 6, targetCpuPercent: 70 })),
    );
    const { docs } = synthManifests(file);
    const [hpa] = find(docs, 'HorizontalPodAutoscaler', 'berkeleytime-production', 'frontend');
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6, scaleTargetRef: { kind: 'Deployment', name: 'frontend' } });
    const [deploy] = find(docs, 'Deployment', 'berkeleytime-production', 'frontend');
    expect(deploy.spec.replicas).toBeUndefined();
  });
});
