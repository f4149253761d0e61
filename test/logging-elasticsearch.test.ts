/** The Elasticsearch cluster of the logging tier (charts/elasticsearch-cluster.ts). */
import { Testing } from 'cdk8s';
import { ElasticsearchCluster, ElasticsearchClusterProps } from '../charts/elasticsearch-cluster';
import { memoryBytes } from '../lib/kube';
import { drainWarnings } from '../lib/warnings';
import { ELASTICSEARCH_PROPS as base } from './logging-fixtures';

function synth(props: Partial<ElasticsearchClusterProps> = {}) {
  drainWarnings();
  const chart = Testing.chart();
  const cluster = new ElasticsearchCluster(chart, 'Elasticsearch', { ...base, ...props });
  const [resource] = Testing.synth(chart);
  const nodeSet = resource.spec.nodeSets[0];
  return { cluster, resource, nodeSet, pod: nodeSet.podTemplate.spec, warnings: drainWarnings() };
}

describe('ElasticsearchCluster', () => {
  test.each([
    [1, 1],
    [2, 1],
    [3, 3],
    [4, 3],
    [7, 3],
  ])('nodeCountFor(%i hosts) is %i', (hosts, nodes) => {
    expect(ElasticsearchCluster.nodeCountFor(hosts)).toBe(nodes);
  });

  test('refuses an inventory without a host for it', () => {
    expect(() => ElasticsearchCluster.nodeCountFor(0)).toThrow(
      'Elasticsearch needs at least one host to run on, got hostCount 0: give the LoggingTier the number of worker hosts',
    );
  });

  test('several nodes are spread one per host; a single node has no anti-affinity to satisfy', () => {
    expect(synth({ hostCount: 3 }).pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: { 'elasticsearch.k8s.elastic.co/cluster-name': 'logging' } }, topologyKey: 'kubernetes.io/hostname' },
    ]);
    expect(synth().pod.affinity).toBeUndefined();
  });

  test('data lives in a claim template on the block StorageClass, sized from the config', () => {
    const { nodeSet, resource } = synth({ storage: '100Gi' });
    expect(nodeSet.volumeClaimTemplates).toEqual([
      {
        metadata: { name: 'elasticsearch-data', annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'ceph-block', resources: { requests: { storage: '100Gi' } } },
      },
    ]);
    expect(resource.spec.volumeClaimDeletePolicy).toBe('DeleteOnScaledownOnly');
  });

  test('warns when the StorageClass deletes volumes with their claims', () => {
    expect(synth({ storageClass: { name: 'local-path', reclaimPolicy: 'Delete' } }).warnings).toEqual([
      {
        id: 'platform:logging:volumesNotRetained',
        message:
          'Elasticsearch volumes use StorageClass "local-path" with reclaimPolicy Delete: deleting a volume claim deletes the logs; prefer a class that retains volumes',
      },
    ]);
  });

  describe('memory maps follow the hosts', () => {
    test('managed hosts (the bootstrap sets vm.max_map_count) keep mmap on', () => {
      expect(synth({ hostsManaged: true }).nodeSet.config).toEqual({ 'ingest.geoip.downloader.enabled': false });
    });

    test('unmanaged hosts run without mmap instead of a privileged sysctl init container', () => {
      const { nodeSet, pod } = synth({ hostsManaged: false });
      expect(nodeSet.config['node.store.allow_mmap']).toBe(false);
      expect(pod.initContainers).toBeUndefined();
    });
  });

  describe('heap and resources', () => {
    test('default: memory request and limit twice the heap', () => {
      const main = synth({ heapMiB: 1536 }).pod.containers[0];
      expect(main.env).toEqual([{ name: 'ES_JAVA_OPTS', value: '-Xms1536m -Xmx1536m' }]);
      expect(main.resources).toEqual({ requests: { cpu: '500m', memory: '3072Mi' }, limits: { memory: '3072Mi' } });
    });

    test('configured values override the derived ones key by key', () => {
      const main = synth({ resources: { requests: { cpu: '2' }, limits: { memory: '8Gi' } } }).pod.containers[0];
      expect(main.resources).toEqual({ requests: { cpu: '2', memory: '2048Mi' }, limits: { memory: '8Gi' } });
    });

    test('a heap that does not fit in the memory limit is refused', () => {
      expect(() => synth({ heapMiB: 4096, resources: { limits: { memory: '4Gi' } } })).toThrow(
        "logging.elasticsearch.heapMiB (4096) does not fit in the memory limit (4Gi): the JVM heap must stay below the container's memory, ideally at most half of it; lower heapMiB or raise logging.elasticsearch.resources.limits.memory",
      );
    });

    test('a heap above half the memory limit is a warning', () => {
      expect(synth({ heapMiB: 3072, resources: { limits: { memory: '4Gi' } } }).warnings.map((w) => w.id)).toEqual(['platform:logging:heapAboveHalfMemory']);
    });
  });

  test('pods meet the restricted Pod Security level', () => {
    const { pod } = synth();
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  test("exposes what clients need: the HTTPS URL, ECK's Secrets and the pod selector", () => {
    const { cluster } = synth();
    expect(cluster.url).toBe('https://logging-es-http.logging.svc:9200');
    expect([cluster.elasticUserSecret, cluster.httpCaSecret]).toEqual(['logging-es-elastic-user', 'logging-es-http-certs-public']);
    expect(cluster.http).toEqual({
      name: 'elasticsearch',
      namespace: 'logging',
      selector: { 'elasticsearch.k8s.elastic.co/cluster-name': 'logging' },
      ports: [{ port: 9200 }],
    });
    expect(cluster.transport.ports).toEqual([{ port: 9300 }]);
  });

  test.each([
    ['2Gi', 2 * 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['1G', 1e9],
    ['1e3', 1000],
  ])('memoryBytes(%s) = %d', (q, bytes) => {
    expect(memoryBytes(q)).toBe(bytes);
  });
});
