/**
 * GitLab CE in the cluster at /git (charts/gitlab.ts): the Omnibus StatefulSet on retained claims,
 * its configuration under the relative URL, the route that keeps the prefix, probes, Pod Security,
 * backups, metrics, policies, and the config rules around it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { GitLab, GITLAB_POD_SECURITY_REASON } from '../charts/gitlab';
import { EdgeTier } from '../charts/edge-tier';
import { Namespaces } from '../charts/namespaces';
import { buildPlatform } from '../app/platform';
import { loadVersions } from '../config/versions';
import { checkPodSecurity } from '../lib/validate/pod-security';
import { formatFinding, validateTree } from '../lib/validate/index';
import { drainWarnings } from '../lib/warnings';
import { configError, manifestFolders, mutatedConfigText, parsedConfig, synthesizeWithSecrets, TEST_SECRETS, tmpDir } from './helpers';
import { buildGitLab, gitlabContainer, omnibusOf, PLATFORM_HOST, POD_CIDR, PROMETHEUS } from './gitlab-fixtures';

const versions = loadVersions();
const PROTECTED = 'Prune=false,Delete=false';

describe('the StatefulSet', () => {
  test('one replica of the pinned Omnibus image on four retained, prune-protected claims that outlive it', () => {
    const build = buildGitLab();
    const sts = build.one('StatefulSet', 'gitlab');
    expect(sts.spec.replicas).toBe(1);
    expect(gitlabContainer(build).image).toBe(versions.images.gitlab);
    expect(versions.images.gitlab).toMatch(/^docker\.io\/gitlab\/gitlab-ce:[0-9]+\.[0-9]+\.[0-9]+-ce\.0$/);
    expect(sts.metadata.annotations['argocd.argoproj.io/sync-options']).toBe(PROTECTED);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    const claims = sts.spec.volumeClaimTemplates.map((c: any) => [
      c.metadata.name,
      c.spec.storageClassName,
      c.spec.resources.requests.storage,
      c.metadata.annotations['argocd.argoproj.io/sync-options'],
    ]);
    expect(claims).toEqual([
      ['config', 'block-retain', '1Gi', PROTECTED],
      ['data', 'block-retain', '50Gi', PROTECTED],
      ['logs', 'block-retain', '10Gi', PROTECTED],
      ['backups', 'block-retain', '100Gi', PROTECTED],
    ]);
    expect(gitlabContainer(build).volumeMounts.map((m: any) => [m.name, m.mountPath])).toEqual([
      ['config', '/etc/gitlab'],
      ['data', '/var/opt/gitlab'],
      ['logs', '/var/log/gitlab'],
      ['backups', '/var/opt/gitlab/backups'],
      ['shm', '/dev/shm'],
    ]);
    // It needs a healthy StorageClass; nothing here waits on the Gateway (the route is last).
    expect(sts.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('4');
  });

  test('sizes and resources follow the props; the defaults are GitLab’s documented minimums', () => {
    expect(gitlabContainer(buildGitLab()).resources).toEqual({ requests: { cpu: '2', memory: '8Gi' }, limits: { memory: '16Gi' } });
    const build = buildGitLab({ storage: { data: '200Gi' }, resources: { requests: { cpu: '4' } } });
    expect(build.one('StatefulSet').spec.volumeClaimTemplates[1].spec.resources.requests.storage).toBe('200Gi');
    expect(gitlabContainer(build).resources.requests).toEqual({ cpu: '4', memory: '8Gi' });
  });

  test('refuses a StorageClass that deletes volumes, and a missing platform host, each with the fix', () => {
    expect(() => buildGitLab({ storageClass: { name: 'fast', reclaimPolicy: 'Delete' } })).toThrow(
      'GitLab: StorageClass "fast" has reclaimPolicy Delete, so a deleted claim would delete the repositories; use a Retain class',
    );
    const app = Testing.app();
    const namespaces = new Namespaces(app);
    const edge = new EdgeTier(app, 'edge', { namespaces, hosts: [PLATFORM_HOST], previewDomains: [] });
    expect(() => new GitLab(app, 'gitlab', { namespaces, edge, podCidrs: [POD_CIDR] })).toThrow(
      'GitLab: serving GitLab at /git needs the platform host; set edge.platformHost (or pass GitLabProps.host)',
    );
  });
});

describe('the Omnibus configuration', () => {
  test('external_url under /git, plain HTTP behind the Gateway, proxies trusted, registry and bundled monitoring off', () => {
    const rb = omnibusOf(buildGitLab());
    expect(rb.split('\n')[0]).toBe(`external_url 'https://${PLATFORM_HOST}/git'`);
    for (const line of [
      "gitlab_rails['nginx']['listen_port'] = 80",
      "gitlab_rails['nginx']['listen_https'] = false",
      `gitlab_rails['nginx']['real_ip_trusted_addresses'] = ['${POD_CIDR}']`,
      `gitlab_rails['trusted_proxies'] = ['${POD_CIDR}']`,
      "letsencrypt['enable'] = false",
      "registry['enable'] = false",
      "gitlab_rails['registry_enabled'] = false",
      "prometheus['enable'] = false",
      "alertmanager['enable'] = false",
      "package['modify_kernel_parameters'] = false",
      "gitlab_rails['monitoring_whitelist'] = ['127.0.0.0/8', '::1/128']",
      "gitlab_rails['backup_keep_time'] = 604800",
    ]) {
      expect(rb.split('\n')).toContain(line);
    }
  });

  test('SSH is off; the root password comes from the declared Secret, never as a value', () => {
    const build = buildGitLab();
    const env = gitlabContainer(build).env;
    expect(env).toContainEqual({ name: 'GITLAB_DISABLE_OPENSSH', value: 'true' });
    expect(env).toContainEqual({ name: 'GITLAB_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: 'gitlab-root-password', key: 'password' } } });
    expect(omnibusOf(build)).toContain("gitlab_rails['initial_root_password'] = ENV['GITLAB_ROOT_PASSWORD']");
    expect(gitlabContainer(build).ports.map((p: any) => p.containerPort)).not.toContain(22);
    expect(build.secrets).toEqual(['gitlab/gitlab-root-password']);
  });
});

describe('the route', () => {
  test('/git on the platform host to the gitlab Service, prefix kept (no rewrite), bodies unlimited, the entry point admitted on port 80', () => {
    const build = buildGitLab();
    const route = build.one('HTTPRoute', 'gitlab');
    expect(route.spec.hostnames).toEqual([PLATFORM_HOST]);
    expect(route.spec.rules).toHaveLength(1);
    const [rule] = route.spec.rules;
    expect(rule.matches).toEqual([{ path: { type: 'PathPrefix', value: '/git' } }]);
    expect(rule.backendRefs).toEqual([{ group: '', kind: 'Service', name: 'gitlab', port: 80 }]);
    // Envoy Gateway would end a long clone after 15s.
    expect(rule.timeouts).toEqual({ request: '3600s' });
    expect((rule.filters ?? []).map((f: any) => f.type)).not.toContain('URLRewrite');
    expect(build.all('BackendTrafficPolicy')).toEqual([]);
    const service = build.one('Service', 'gitlab');
    expect(build.one('StatefulSet', 'gitlab').spec.template.metadata.labels).toMatchObject(service.spec.selector);
    const admit = build.one('NetworkPolicy', 'ingress-gitlab-from-edge');
    expect(admit.spec.ingress[0].ports).toEqual([{ port: 80, protocol: 'TCP' }]);
  });

  test('a configured body limit becomes the route’s own policy', () => {
    const policy = buildGitLab({ maxRequestBodySize: '2Gi' }).one('BackendTrafficPolicy');
    expect(policy.spec.requestBuffer.limit).toBe('2Gi');
  });

  test('behind ingress-nginx: a Prefix path /git without rewrite-target, bodies unlimited', () => {
    const ingress = buildGitLab({}, 'ingress-nginx').one('Ingress', 'gitlab');
    expect(ingress.spec.rules[0].http.paths.map((p: any) => [p.path, p.pathType])).toEqual([['/git', 'Prefix']]);
    expect(Object.keys(ingress.metadata.annotations).filter((k) => k.includes('rewrite'))).toEqual([]);
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('0');
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('3600');
  });
});

describe('probes and Pod Security', () => {
  test('startup, readiness and liveness check /git/-/readiness and /git/-/liveness from inside the pod; startup allows 30 minutes', () => {
    const c = gitlabContainer(buildGitLab());
    const url = (probe: any) => probe.exec.command[probe.exec.command.length - 1];
    expect(url(c.startupProbe)).toBe('http://127.0.0.1:80/git/-/readiness');
    expect(url(c.readinessProbe)).toBe('http://127.0.0.1:80/git/-/readiness');
    expect(url(c.livenessProbe)).toBe('http://127.0.0.1:80/git/-/liveness');
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBe(1800);
    expect(c.livenessProbe.exec.command).toContain('--fail');
  });

  test('the namespace is baseline with its reason, protected, and every pod meets the level', () => {
    const build = buildGitLab();
    const ns = build.all('Namespace').find((n) => n.metadata.name === 'gitlab');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(ns.metadata.annotations['platform.campus/pod-security-reason']).toBe(GITLAB_POD_SECURITY_REASON);
    expect(GITLAB_POD_SECURITY_REASON).toMatch(/runs as root/);
    expect(ns.metadata.annotations['argocd.argoproj.io/sync-options']).toBe(PROTECTED);
    expect(ns.metadata.labels['platform.campus/gateway-access']).toBe('true');
    const findings = checkPodSecurity(build.docs.map((object, index) => ({ file: 'gitlab', index, object })));
    expect(findings).toEqual([]);
    const security = gitlabContainer(build).securityContext;
    expect(security).toEqual({ privileged: false, capabilities: { drop: ['NET_RAW'] }, seccompProfile: { type: 'RuntimeDefault' } });
  });
});

describe('backups', () => {
  test('gitlab-backup create nightly, by a restricted job that may only exec into gitlab-0', () => {
    const build = buildGitLab();
    const cron = build.one('CronJob', 'gitlab-backup');
    expect([cron.spec.schedule, cron.spec.timeZone, cron.spec.concurrencyPolicy]).toEqual(['0 4 * * *', 'Etc/UTC', 'Forbid']);
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.containers[0].image).toBe(versions.images.kubectl);
    expect(pod.containers[0].command).toEqual([
      'kubectl',
      'exec',
      '--namespace=gitlab',
      'gitlab-0',
      '--container=gitlab',
      '--',
      'gitlab-backup',
      'create',
      'CRON=1',
    ]);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.serviceAccountName).toBe('gitlab-backup');
    expect(build.one('Role', 'gitlab-backup').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], resourceNames: ['gitlab-0'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/exec'], resourceNames: ['gitlab-0'], verbs: ['create'] },
    ]);
    expect(cron.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('5');
  });

  test('schedule and keep time from the props; S3 only when configured, its keys from the declared Secret', () => {
    const plain = buildGitLab({ backups: { schedule: '15 1 * * *', keepDays: 14 } });
    expect(plain.one('CronJob').spec.schedule).toBe('15 1 * * *');
    expect(omnibusOf(plain)).toContain("gitlab_rails['backup_keep_time'] = 1209600");
    expect(omnibusOf(plain)).not.toContain('backup_upload_connection');
    expect(plain.all('NetworkPolicy').map((p) => p.metadata.name)).not.toContain('egress-gitlab-to-s3');

    const s3 = { endpoint: 'https://10.0.0.5:9000', bucket: 'gitlab-backups', credentialsSecret: 'gitlab-s3' };
    const build = buildGitLab({ backups: { s3 } });
    const rb = omnibusOf(build);
    expect(rb).toContain("'endpoint' => 'https://10.0.0.5:9000',");
    expect(rb).toContain("'aws_access_key_id' => ENV['GITLAB_BACKUP_S3_ACCESS_KEY_ID'],");
    expect(rb).toContain("gitlab_rails['backup_upload_remote_directory'] = 'gitlab-backups'");
    expect(gitlabContainer(build).env).toContainEqual({
      name: 'GITLAB_BACKUP_S3_SECRET_ACCESS_KEY',
      valueFrom: { secretKeyRef: { name: 'gitlab-s3', key: 'secretAccessKey' } },
    });
    expect(build.secrets).toEqual(['gitlab/gitlab-root-password', 'gitlab/gitlab-s3']);
    // A bucket on the campus network is a private address: allowed on its own address and port only.
    expect(build.one('NetworkPolicy', 'egress-gitlab-to-s3').spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '10.0.0.5/32' } }], ports: [{ port: 9000, protocol: 'TCP' }] },
    ]);
  });
});

describe('metrics and network policies', () => {
  test('a PodMonitor for the exporters only with monitoring, and Prometheus admitted to their ports alone', () => {
    const without = buildGitLab();
    expect(without.all('PodMonitor')).toEqual([]);
    expect(without.all('NetworkPolicy').map((p) => p.metadata.name)).not.toContain('ingress-gitlab-metrics-from-prometheus');

    const build = buildGitLab({ prometheus: PROMETHEUS });
    const monitor = build.one('PodMonitor', 'gitlab');
    expect(monitor.spec.podMetricsEndpoints.map((e: any) => e.port)).toEqual([
      'puma-metrics',
      'sidekiq-metrics',
      'workhorse',
      'gitlab-exporter',
      'redis-exporter',
      'pg-exporter',
    ]);
    expect(monitor.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('5');
    const policy = build.one('NetworkPolicy', 'ingress-gitlab-metrics-from-prometheus');
    const ports = policy.spec.ingress[0].ports.map((p: any) => p.port);
    expect(ports).toEqual([8083, 8082, 9229, 9168, 9121, 9187]);
    expect(ports).not.toContain(80);
    const containerPorts = gitlabContainer(build).ports.map((p: any) => p.name);
    for (const e of monitor.spec.podMetricsEndpoints) expect(containerPorts).toContain(e.port);
  });

  test('default-deny with DNS; internet egress on 443, 80 and 22 only, private ranges closed; the backup job reaches only the API server port', () => {
    const build = buildGitLab();
    const names = build
      .all('NetworkPolicy')
      .map((p) => p.metadata.name)
      .sort();
    expect(names).toEqual(['allow-dns', 'default-deny', 'egress-gitlab-backup-to-kube-apiserver', 'egress-gitlab-to-internet', 'ingress-gitlab-from-edge']);
    const internet = build.one('NetworkPolicy', 'egress-gitlab-to-internet').spec.egress[0];
    expect(internet.to[0].ipBlock.except).toEqual(expect.arrayContaining(['10.0.0.0/8', '192.168.0.0/16']));
    expect(internet.ports.map((p: any) => p.port)).toEqual([443, 80, 22]);
    expect(build.one('NetworkPolicy', 'egress-gitlab-backup-to-kube-apiserver').spec.egress).toEqual([{ ports: [{ port: 6443, protocol: 'TCP' }] }]);
  });
});

describe('config', () => {
  test('defaults: off, nightly backups kept a week, no S3', () => {
    expect(parsedConfig().gitlab).toEqual({
      enabled: false,
      rootPasswordSecret: 'gitlab-root-password',
      storage: { config: '1Gi', data: '50Gi', logs: '10Gi', backups: '100Gi' },
      maxRequestBodySize: '0',
      backups: { schedule: '0 4 * * *', timeZone: 'Etc/UTC', keepDays: 7 },
    });
  });

  test('in-cluster GitLab and /git to an existing one at the same time is an error naming both fields', () => {
    expect(
      configError((c) => {
        c.gitlab = { enabled: true };
        c.edge.gitlab = { enabled: true };
      }),
    ).toBe(
      'config/platform.yaml: gitlab.enabled: expected either gitlab.enabled (GitLab in the cluster) or edge.gitlab.enabled (/git to an existing GitLab), not both: both claim /git on the platform host, found true',
    );
  });

  test('a bad schedule and an unknown key are reported with their paths', () => {
    expect(configError((c) => (c.gitlab = { enabled: true, backups: { schedule: 'nightly' } }))).toMatch(
      /^config\/platform\.yaml: gitlab\.backups\.schedule: expected a five-field cron schedule/,
    );
    expect(configError((c) => (c.gitlab = { enabeld: true }))).toMatch(/^config\/platform\.yaml: gitlab\.enabeld: unknown key \(did you mean "enabled"\?\)/);
  });
});

describe('on the platform', () => {
  const enabled = (c: any) => (c.gitlab = { enabled: true });

  test('the fixture platform with GitLab on holds a /git route to an in-cluster GitLab, and its monitoring scrapes it', () => {
    drainWarnings();
    const build = buildPlatform(parsedConfig(enabled), versions);
    drainWarnings();
    const docs = build.units.flatMap((u) => u.app.charts.flatMap((c) => c.toJson()));
    const route = docs.find((d) => d.kind === 'HTTPRoute' && d.spec.rules.some((r: any) => (r.matches ?? []).some((m: any) => m.path?.value === '/git')));
    expect(route.spec.hostnames).toEqual(['berkeleytime.com']);
    const backend = route.spec.rules[0].backendRefs[0];
    const service = docs.find((d) => d.kind === 'Service' && d.metadata.name === backend.name && d.metadata.namespace === route.metadata.namespace);
    const workload = docs.find(
      (d) =>
        d.kind === 'StatefulSet' &&
        d.metadata.namespace === service.metadata.namespace &&
        Object.entries(service.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
    );
    expect(workload.spec.template.spec.containers[0].image).toBe(versions.images.gitlab);
    expect(docs.filter((d) => d.kind === 'PodMonitor' && d.metadata.namespace === 'gitlab')).toHaveLength(1);
    expect(build.externalSecrets).toContain('gitlab/gitlab-root-password');
  });

  test('synthesizes and validates with no finding', () => {
    const root = tmpDir();
    const configFile = path.join(root, 'platform.yaml');
    fs.writeFileSync(configFile, mutatedConfigText(enabled));
    const outdir = path.join(root, 'dist');
    const result = synthesizeWithSecrets({ configFile, outdir, secretsDir: TEST_SECRETS });
    drainWarnings();
    expect(fs.existsSync(path.join(outdir, 'cluster', '60-gitlab', 'StatefulSet.gitlab.k8s.yaml'))).toBe(true);
    const findings = validateTree(manifestFolders(outdir), { declared: { secrets: result.externalSecrets, storageClasses: result.externalStorageClasses } });
    expect(findings.map(formatFinding)).toEqual([]);
  });
});
