/** Log shipping (charts/logging-shipper.ts): Filebeat on every node, reading the container log files read-only. */
import { synthLogging } from './logging-fixtures';

describe('LoggingShipper', () => {
  const s = synthLogging();
  const beat = s.one('Beat');
  const pod = beat.spec.daemonSet.podTemplate.spec;
  const container = pod.containers[0];

  test('mounts /var/log/containers and /var/log/pods (the targets of its symlinks) read-only from the host', () => {
    expect(container.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'varlogcontainers', mountPath: '/var/log/containers', readOnly: true },
        { name: 'varlogpods', mountPath: '/var/log/pods', readOnly: true },
      ]),
    );
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'varlogcontainers', hostPath: { path: '/var/log/containers', type: 'Directory' } },
        { name: 'varlogpods', hostPath: { path: '/var/log/pods', type: 'Directory' } },
      ]),
    );
    expect(beat.spec.config['filebeat.inputs'][0]).toMatchObject({
      type: 'filestream',
      paths: ['/var/log/containers/*.log'],
      'prospector.scanner.symlinks': true,
      parsers: [{ container: {} }],
    });
  });

  test('tolerates the control-plane taint by default, so control-plane nodes ship their logs too', () => {
    expect(pod.tolerations).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  test('tolerations and resources come from the config', () => {
    const custom = synthLogging({
      config: { shipper: { tolerations: [{ operator: 'Exists' }], resources: { requests: { cpu: '50m' }, limits: { memory: '1Gi' } } } },
    }).one('Beat').spec.daemonSet.podTemplate.spec;
    expect(custom.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(custom.containers[0].resources).toEqual({ requests: { cpu: '50m', memory: '200Mi' }, limits: { memory: '1Gi' } });
  });

  test('adds Kubernetes metadata (namespace, pod, container, labels) looked up for its own node', () => {
    expect(beat.spec.config['filebeat.inputs'][0].processors).toEqual([
      { add_kubernetes_metadata: { host: '${NODE_NAME}', matchers: [{ logs_path: { logs_path: '/var/log/containers/' } }] } },
    ]);
    expect(container.env).toEqual([{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
    expect(pod.serviceAccountName).toBe('filebeat');
    expect(s.one('ClusterRole', 'logging-filebeat').rules[0]).toEqual({
      apiGroups: [''],
      resources: ['namespaces', 'nodes', 'pods'],
      verbs: ['get', 'list', 'watch'],
    });
    expect(s.one('ClusterRoleBinding', 'logging-filebeat').subjects).toEqual([{ kind: 'ServiceAccount', name: 'filebeat', namespace: 'logging-shipper' }]);
  });

  test('ECK handles credentials and TLS: the Beat only names the cluster', () => {
    expect(beat.spec.elasticsearchRef).toEqual({ name: 'logging', namespace: 'logging' });
    expect(JSON.stringify(beat.spec.config)).not.toMatch(/password|ssl|hosts/);
  });

  test('runs as root only to read root-owned files: no capabilities, no privilege escalation, read-only root', () => {
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: false,
      runAsUser: 0,
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test('writes under the lifecycle policy the retention Job manages, never overwriting it', () => {
    expect(beat.spec.config).toMatchObject({
      'setup.ilm.enabled': true,
      'setup.ilm.policy_name': 'filebeat',
      'setup.ilm.overwrite': false,
      'setup.ilm.policy_file': '/etc/filebeat-ilm/policy.json',
    });
    expect(s.one('ConfigMap', 'filebeat-ilm-policy').data['policy.json']).toBe(s.one('ConfigMap', 'logging-retention-policy').data['policy.json']);
  });
});
