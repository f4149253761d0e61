import { Testing } from 'cdk8s';
import { Redis } from '../charts/redis';
import { PlatformChart } from '../lib/platform-chart';
import { dataConfig, find, synthDataTier } from './data-tier-fixtures';

const FULL = dataConfig({ redis: { maxMemory: '512mb', evictionPolicy: 'allkeys-lfu' } });

describe('Redis', () => {
  test('a cache: no persistence, maxmemory and eviction policy from config, official image', () => {
    const { docs } = synthDataTier(FULL);
    const deployment = find(docs, 'Deployment', 'redis');
    const c = deployment.spec.template.spec.containers[0];
    expect(c.image).toMatch(/^docker\.io\/library\/(valkey|redis):/);
    expect(c.args).toEqual([
      '--port',
      '6379',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory',
      '512mb',
      '--maxmemory-policy',
      'allkeys-lfu',
      '--protected-mode',
      'no',
    ]);
    expect(c.readinessProbe.exec.command.slice(-1)).toEqual(['ping']);
    expect(deployment.spec.template.spec.volumes.every((v: any) => v.emptyDir)).toBe(true);
    expect(find(docs, 'Service', 'redis').spec.type).toBe('ClusterIP');
    expect(find(docs, 'PodDisruptionBudget', 'redis').spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
  });

  test('a memory limit at or below maxmemory is refused', () => {
    const redis = dataConfig({ redis: { maxMemory: '512mb', resources: { limits: { memory: '512Mi' } } } }).redis;
    expect(() => synthDataTier({ redis })).toThrow(
      'DataTier berkeleytime-production: redis.resources.limits.memory (512Mi) must be above maxMemory (512mb) plus room for the server, ' +
        'or the cache is OOM-killed before it evicts; raise the limit or lower maxMemory',
    );
  });

  test('replicas spread over nodes when there is more than one', () => {
    const chart = new PlatformChart(Testing.app(), '10-x');
    const single = new Redis(chart, 'One', {
      app: 'a',
      namespace: 'a-one',
      ...dataConfig({ redis: {} }).redis!,
      image: 'docker.io/library/valkey:8.1.4-bookworm',
    });
    new Redis(chart, 'Two', {
      app: 'a',
      namespace: 'a-two',
      ...dataConfig({ redis: {} }).redis!,
      image: 'docker.io/library/redis:8.2.1-bookworm',
      replicas: 2,
    });
    const deployments = chart.toJson().filter((d) => d.kind === 'Deployment');
    expect(deployments[0].spec.template.spec.affinity).toBeUndefined();
    expect(deployments[1].spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm).toEqual({
      topologyKey: 'kubernetes.io/hostname',
      labelSelector: { matchLabels: { 'app.kubernetes.io/instance': 'a-two', 'app.kubernetes.io/name': 'redis' } },
    });
    expect(deployments[1].spec.template.spec.containers[0].command).toEqual(['redis-server']);
    expect(single.server.ports).toEqual([{ port: 6379 }]);
  });
});
