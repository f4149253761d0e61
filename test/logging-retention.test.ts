/** Log retention (charts/logging-retention.ts): the lifecycle policy and the Job that applies it. */
import { LOG_ILM_POLICY, retentionPolicy } from '../charts/logging-retention';
import { synthLogging } from './logging-fixtures';

describe('LoggingRetention', () => {
  const s = synthLogging({ config: { retentionDays: 30 } });
  const job = s.one('Job', 'logging-retention-policy');
  const pod = job.spec.template.spec;

  test('the policy deletes log indices N days (from the config) after their daily rollover', () => {
    const policy = JSON.parse(s.one('ConfigMap', 'logging-retention-policy').data['policy.json']);
    expect(policy.policy.phases).toEqual({
      hot: { min_age: '0ms', actions: { rollover: { max_age: '1d', max_primary_shard_size: '50gb' } } },
      delete: { min_age: '30d', actions: { delete: {} } },
    });
    expect(JSON.parse(synthLogging().one('ConfigMap', 'logging-retention-policy').data['policy.json']).policy.phases.delete.min_age).toBe('14d');
  });

  test("governs the policy Filebeat's data streams use", () => {
    expect(LOG_ILM_POLICY).toBe('filebeat');
    expect(pod.containers[0].args.at(-1)).toBe('https://logging-es-http.logging.svc:9200/_ilm/policy/filebeat');
    expect(s.one('Beat').spec.config['setup.ilm.policy_name']).toBe(LOG_ILM_POLICY);
  });

  test('runs in its own wave of every Argo CD sync, replacing the previous run', () => {
    expect(job.metadata.annotations).toEqual({
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      'argocd.argoproj.io/sync-wave': '5',
    });
  });

  test('PUTs the policy with curl in argv form, credentials and CA from the Secrets ECK creates', () => {
    const container = pod.containers[0];
    expect(container.image).toMatch(/^docker\.io\/curlimages\/curl:/);
    expect(container.command).toEqual(['curl']);
    expect(container.args).toEqual(
      expect.arrayContaining(['--request', 'PUT', '--data-binary', '@/etc/retention/policy.json', '--cacert', '/etc/elasticsearch/ca/ca.crt']),
    );
    // The password never appears in argv or env: curl reads it from the mounted Secret.
    expect(container.args).toEqual(
      expect.arrayContaining(['--variable', 'password@/etc/elasticsearch/user/elastic', '--expand-user', 'elastic:{{password:trim}}']),
    );
    expect(container.env).toBeUndefined();
    expect(pod.volumes).toEqual([
      { name: 'policy', configMap: { name: 'logging-retention-policy' } },
      { name: 'elastic-user', secret: { secretName: 'logging-es-elastic-user', items: [{ key: 'elastic', path: 'elastic' }] } },
      { name: 'http-ca', secret: { secretName: 'logging-es-http-certs-public', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 100 });
  });

  test('refuses a retention that is not a whole number of days', () => {
    expect(() => retentionPolicy(0)).toThrow('logging.retentionDays must be a whole number of days >= 1, got 0');
  });
});
