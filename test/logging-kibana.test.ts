/** Kibana of the logging tier (charts/logging-kibana.ts): served under /kibana of the platform host. */
import { Testing } from 'cdk8s';
import { ElasticsearchCluster } from '../charts/elasticsearch-cluster';
import { LoggingKibana, LoggingKibanaProps } from '../charts/logging-kibana';
import { ELASTICSEARCH_PROPS } from './logging-fixtures';

function synth(props: Partial<Omit<LoggingKibanaProps, 'elasticsearch'>> = {}) {
  const chart = Testing.chart();
  const elasticsearch = new ElasticsearchCluster(chart, 'Elasticsearch', ELASTICSEARCH_PROPS);
  const kibana = new LoggingKibana(chart, 'Kibana', {
    name: 'kibana',
    namespace: 'logging',
    version: '9.4.3',
    elasticsearch,
    host: 'berkeleytime.com',
    syncWave: 5,
    ...props,
  });
  const resource = Testing.synth(chart).find((d: any) => d.kind === 'Kibana');
  return { kibana, resource };
}

describe('LoggingKibana', () => {
  test('is served under /kibana: base path, rewritten by Kibana itself, public URL on the production host', () => {
    const { resource, kibana } = synth();
    expect(resource.spec.config).toMatchObject({
      'server.basePath': '/kibana',
      'server.rewriteBasePath': true,
      'server.publicBaseUrl': 'https://berkeleytime.com/kibana',
    });
    expect(kibana.basePath).toBe('/kibana');
  });

  test('one instance, reading the platform cluster, speaking plain HTTP behind the entry point', () => {
    const { resource, kibana } = synth();
    expect(resource.spec).toMatchObject({ version: '9.4.3', count: 1, elasticsearchRef: { name: 'logging', namespace: 'logging' } });
    expect(resource.spec.http).toEqual({ tls: { selfSignedCertificate: { disabled: true } } });
    expect(kibana.serviceName).toBe('kibana-kb-http');
    expect(kibana.server).toEqual({ name: 'kibana', namespace: 'logging', selector: { 'kibana.k8s.elastic.co/name': 'kibana' }, ports: [{ port: 5601 }] });
  });

  test('pods meet the restricted Pod Security level; resources only when configured', () => {
    const pod = synth().resource.spec.podTemplate.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0]).toEqual({
      name: 'kibana',
      securityContext: expect.objectContaining({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }),
    });
    const sized = synth({ resources: { requests: { memory: '1Gi' }, limits: { memory: '2Gi' } } }).resource.spec.podTemplate.spec.containers[0];
    expect(sized.resources).toEqual({ requests: { memory: '1Gi' }, limits: { memory: '2Gi' } });
  });

  test('refuses a base path Kibana would reject', () => {
    expect(() => synth({ basePath: '/kibana/' })).toThrow(
      'Kibana basePath "/kibana/" must start with "/" and not end with "/" (Kibana rejects a trailing slash), e.g. "/kibana"',
    );
  });

  test("refuses a version other than the cluster's", () => {
    expect(() => synth({ version: '9.5.1' })).toThrow(
      'Kibana version 9.5.1 differs from Elasticsearch 9.4.3: pin config/versions.yaml images.kibana and images.elasticsearch to the same release',
    );
  });
});
