/**
 * Config validation: every bad input names the file, the field path, what was expected and
 * what was found; unknown keys are errors with a "did you mean" hint.
 */
import { ConfigError, loadConfig, parseConfig } from '../config/load';
import { configError, DEFAULT_CONFIG_FILE, parsedConfig } from './helpers';

const F = 'config/platform.yaml';
const backend = (cfg: any) => cfg.apps.berkeleytime.components.backend;

describe('the default config', () => {
  test('loads, with defaults filled in', () => {
    const cfg = loadConfig(DEFAULT_CONFIG_FILE);
    expect(cfg.apps.berkeleytime.components.backend.replicas).toBe(2);
    expect(cfg.edge.nodePorts).toEqual({ http: 30080, https: 30443 });
    expect(cfg.cluster.hosts[0].cephDisks).toEqual(['/dev/vdb']);
    expect(cfg.apps.berkeleytime.environments.previews?.branches).toHaveLength(2);
  });
});

describe('bad configs are rejected with the file, field path, expectation and value', () => {
  const cases: [string, (cfg: any) => void, string][] = [
    [
      'a negative replica count',
      (c) => (backend(c).replicas = -2),
      `${F}: apps.berkeleytime.components.backend.replicas: expected an integer from 1 to 100, found -2`,
    ],
    [
      'a replica count that is not a number',
      (c) => (backend(c).replicas = 'two'),
      `${F}: apps.berkeleytime.components.backend.replicas: expected an integer from 1 to 100, found "two"`,
    ],
    [
      'a misspelt key',
      (c) => (backend(c).replcas = 3),
      `${F}: apps.berkeleytime.components.backend.replcas: unknown key (did you mean "replicas"?); expected one of image, command, args, port, paths, replicas, resources, probes, env, secretEnv, notSecret, writablePaths, calls, uses, migrations, canary, autoscaling, metrics, statsd, runAsUser, internetEgress`,
    ],
    [
      'a misspelt top-level section',
      (c) => ((c.edgee = c.edge), delete c.edge),
      `${F}: edgee: unknown key (did you mean "edge"?); expected one of platform, cluster, apps, edge, storage, logging, gitlab, monitoring, gitops, secrets`,
    ],
    [
      'an image tagged latest',
      (c) => (backend(c).image = 'registry.berkeleytime.com/berkeleytime/backend:latest'),
      `${F}: apps.berkeleytime.components.backend.image: expected a pinned tag or digest, not "latest" (it changes under you and cannot be rolled back), found "registry.berkeleytime.com/berkeleytime/backend:latest"`,
    ],
    [
      'an image from a registry outside the allowlist',
      (c) => (backend(c).image = 'docker.io/bitnami/django:5.1'),
      `${F}: apps.berkeleytime.components.backend.image: expected an image from an allowed registry (platform.allowedRegistries: registry.berkeleytime.com, docker.io/library, docker.io/curlimages, quay.io/prometheus, docker.elastic.co), found "docker.io/bitnami/django:5.1"`,
    ],
    [
      'a bad cron schedule',
      (c) => (c.apps.berkeleytime.cronJobs['data-refresh'].schedule = '0 25 * * *'),
      `${F}: apps.berkeleytime.cronJobs.data-refresh.schedule: expected a five-field cron schedule "minute hour day-of-month month day-of-week" such as "0 2 * * *", found "0 25 * * *"`,
    ],
    [
      'an unknown time zone',
      (c) => (c.apps.berkeleytime.cronJobs['data-refresh'].timeZone = 'Pacific Time'),
      `${F}: apps.berkeleytime.cronJobs.data-refresh.timeZone: expected an IANA time zone such as "America/Los_Angeles" or "Etc/UTC", found "Pacific Time"`,
    ],
    ['an unsupported CNI', (c) => (c.cluster.cni = 'weave'), `${F}: cluster.cni: expected one of "calico", "flannel", found "weave"`],
    [
      'a CronJob of a component that does not exist',
      (c) => (c.apps.berkeleytime.cronJobs['data-refresh'].component = 'worker'),
      `${F}: apps.berkeleytime.cronJobs.data-refresh.component: expected one of this app's components (backend, frontend), found "worker"`,
    ],
    [
      'a call to a component that does not exist',
      (c) => (c.apps.berkeleytime.components.frontend.calls = ['api']),
      `${F}: apps.berkeleytime.components.frontend.calls[0]: expected another component of this app (backend), found "api"`,
    ],
    [
      'a dependency on a data service that is not declared',
      (c) => delete c.apps.berkeleytime.data.redis,
      `${F}: apps.berkeleytime.components.backend.uses[1]: expected a data service declared under apps.berkeleytime.data (add a "redis" block there), found "redis"`,
    ],
    [
      'two preview branches that sanitise to the same name',
      (c) => (c.apps.berkeleytime.environments.previews.branches = ['feature/new-ui', 'Feature_New-UI']),
      `${F}: apps.berkeleytime.environments.previews.branches[1]: expected branch names that stay distinct as DNS labels: "Feature_New-UI" and "feature/new-ui" both become "preview-feature-new-ui", found "Feature_New-UI"`,
    ],
    [
      'a port out of range',
      (c) => (backend(c).port = 70000),
      `${F}: apps.berkeleytime.components.backend.port: expected an integer from 1 to 65535, found 70000`,
    ],
    [
      'a missing required field',
      (c) => delete c.apps.berkeleytime.environments.production.host,
      `${F}: apps.berkeleytime.environments.production.host: expected a string, found nothing (the field is required)`,
    ],
    [
      'an unquoted number as env value',
      (c) => (backend(c).env.GUNICORN_WORKERS = 3),
      `${F}: apps.berkeleytime.components.backend.env.GUNICORN_WORKERS: expected a string (quote numbers and booleans), found 3`,
    ],
    [
      'an app name that is not a DNS label',
      (c) => ((c.apps.Berkeley_Time = c.apps.berkeleytime), delete c.apps.berkeleytime),
      `${F}: apps.Berkeley_Time: expected a DNS label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), found "Berkeley_Time"`,
    ],
  ];

  test.each(cases)('%s', (_name, mutate, expected) => {
    expect(configError(mutate)).toBe(expected);
  });

  test('every problem in a file is reported at once, one per line', () => {
    const message = configError((c) => {
      backend(c).replicas = 0;
      c.cluster.cni = 'weave';
    });
    expect(message.split('\n')).toEqual([
      `${F}: cluster.cni: expected one of "calico", "flannel", found "weave"`,
      `${F}: apps.berkeleytime.components.backend.replicas: expected an integer from 1 to 100, found 0`,
    ]);
  });

  test('YAML syntax errors name the line', () => {
    expect(() => parseConfig('platform:\n  name: [unclosed\n', F)).toThrow(ConfigError);
    expect(() => parseConfig('platform:\n  name: [unclosed\n', F)).toThrow(
      /^config\/platform.yaml: line 3, column 1: expected valid YAML, found a syntax error/,
    );
  });

  test('an empty file is rejected', () => {
    expect(() => parseConfig('', F)).toThrow(`${F}: (top level): expected a mapping with platform, cluster, apps, …, found an empty document`);
  });

  test('a missing file is rejected with its name', () => {
    expect(() => loadConfig('no/such/platform.yaml')).toThrow('no/such/platform.yaml: (file): expected a readable YAML file, found ENOENT');
  });
});

describe('valid variations', () => {
  test('image digests are accepted and preview tags default to the branch slug', () => {
    const cfg = parsedConfig((c) => (backend(c).image = `registry.berkeleytime.com/berkeleytime/backend@sha256:${'a'.repeat(64)}`));
    expect(cfg.apps.berkeleytime.components.backend.image).toContain('@sha256:');
  });
});

describe('cross-section rules', () => {
  test('a database on a StorageClass that deletes its volume is refused, saying why', () => {
    expect(configError((c) => (c.apps.berkeleytime.data.postgres.storageClass = 'ceph-block'))).toBe(
      `${F}: apps.berkeleytime.data.postgres.storageClass: expected a StorageClass with reclaimPolicy Retain: "ceph-block-retain" (with "ceph-block", reclaimPolicy Delete, a deleted claim would delete the database), found "ceph-block"`,
    );
  });

  test('a Ceph disk that is not a /dev path is refused', () => {
    const message = configError((c) => (c.cluster.hosts[0].cephDisks = ['vdb']));
    expect(message).toMatch(/^config\/platform.yaml: cluster\.hosts\[0\]\.cephDisks\[0\]: expected .*\/dev\/.*, found "vdb"$/m);
  });
});
