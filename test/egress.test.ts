/**
 * The egress allowlist (dist/egress.md) is derived from the pins and the tree: every image of the
 * synthesized tree, of the boot manifests and of the host pins has its registry's hosts listed, a
 * new registry in the config shows up, and (with the chart cache) every image an add-on chart
 * renders comes from a registry its pin records.
 */
import * as fs from 'fs';
import * as path from 'path';
import { platformEgress } from '../app/egress';
import { loadConfig } from '../config/load';
import { loadVersions } from '../config/versions';
import { egressRules, imageRegistry, registryHosts } from '../lib/egress';
import { chartApplications } from '../lib/validate/charts/applications';
import { renderChart } from '../lib/charts/render';
import { parseYaml, SourceDocument } from '../lib/validate/document';
import { underImagePrefix } from '../lib/image';
import { describeWithCharts } from './chart-cache';
import { cnpgTree, OBJECT_STORE } from './cnpg-fixtures';
import { DEFAULT_CONFIG_FILE, fixtureTree, treeObjects } from './helpers';

const versions = loadVersions();

function imagesIn(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => imagesIn(v, out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (k === 'image' && typeof v === 'string') out.add(v);
      else imagesIn(v, out);
    }
  return out;
}

const hostsAllowed = (rules: ReturnType<typeof egressRules>) => new Set(rules.filter((r) => r.from === 'hosts' && r.port === 443).map((r) => r.host));

test('image references name their registry as containerd reads them', () => {
  expect(imageRegistry('quay.io/ceph/ceph:v19.2.3')).toBe('quay.io');
  expect(imageRegistry('envoyproxy/envoy:v1.36')).toBe('docker.io');
  expect(imageRegistry('postgres:17')).toBe('docker.io');
  expect(imageRegistry('localhost:5000/app:1')).toBe('localhost:5000');
  expect(registryHosts('docker.io')).toEqual(expect.arrayContaining(['registry-1.docker.io', 'auth.docker.io', 'production.cloudflare.docker.com']));
  expect(registryHosts('registry.example.org')).toEqual(['registry.example.org']);
});

test("every image of the fixture's tree, boot manifests and host pins is pulled from a listed host", () => {
  const config = loadConfig(DEFAULT_CONFIG_FILE);
  const objects = treeObjects(fixtureTree().dist);
  const allowed = hostsAllowed(platformEgress(config, versions, objects));
  const images = [
    ...imagesIn(objects.map((o) => o.spec)),
    ...versions.manifests[config.cluster.cni].images,
    ...versions.manifests['argo-cd'].images,
    versions.images.etcd,
    versions.images.haproxy,
    versions.images['kubelet-csr-approver'],
  ];
  expect(images.length).toBeGreaterThan(10);
  const missing = images.filter((i) => !registryHosts(imageRegistry(i)).every((h) => allowed.has(h)));
  expect(missing).toEqual([]);
});

test('the repositories, boot downloads, GitOps repository and ACME servers are listed with their client', () => {
  const config = loadConfig(DEFAULT_CONFIG_FILE);
  // The fixture runs the StatefulSet engine; the CloudNativePG variant installs the operator and plugin charts.
  const rules = platformEgress(config, versions, [...treeObjects(fixtureTree().dist), ...cnpgTree().objects]);
  const has = (from: string, host: string, port = 443) => rules.some((r) => r.from === from && r.host === host && r.port === port);
  expect(has('hosts', 'pkgs.k8s.io')).toBe(true);
  expect(has('hosts', 'prod-cdn.packages.k8s.io')).toBe(true);
  expect(has('hosts', 'download.docker.com')).toBe(true);
  expect(has('hosts', new URL(versions.manifests['argo-cd'].url).hostname)).toBe(true);
  expect(has('argo-cd', new URL(config.gitops.repoURL).hostname)).toBe(true);
  for (const chart of Object.values(versions.charts).filter((c) => c.chart !== 'ingress-nginx'))
    expect([chart.chart, has('argo-cd', new URL(chart.repoURL.replace(/^oci:/, 'https:')).hostname)]).toEqual([chart.chart, true]);
  expect(has('cert-manager', 'acme-v02.api.letsencrypt.org')).toBe(true);
  // Each host and port once per client, sorted.
  const keys = rules.map((r) => `${r.from} ${r.host} ${r.port}`);
  expect(new Set(keys).size).toBe(keys.length);
});

test('a workload from a new registry adds that registry; an ssh repository adds port 22; an unpinned chart is refused', () => {
  const config = loadConfig(DEFAULT_CONFIG_FILE);
  const objects = treeObjects(fixtureTree().dist);
  const extra = { kind: 'Deployment', spec: { template: { spec: { containers: [{ name: 'x', image: 'harbor.example.org/team/app:1.0' }] } } } };
  expect(hostsAllowed(platformEgress(config, versions, [...objects, extra])).has('harbor.example.org')).toBe(true);
  const ssh = platformEgress({ ...config, gitops: { ...config.gitops, repoURL: 'git@git.example.org:team/platform.git' } }, versions, objects);
  expect(ssh).toContainEqual({ host: 'git.example.org', port: 22, from: 'argo-cd', why: ['the GitOps repository'] });
  const unpinned = {
    kind: 'Application',
    metadata: { name: 'mine' },
    spec: { source: { repoURL: 'https://charts.example.org', chart: 'thing', targetRevision: '1.0.0' } },
  };
  expect(() => platformEgress(config, versions, [...objects, unpinned])).toThrow(
    /chart thing from https:\/\/charts\.example\.org is not in config\/versions\.yaml/,
  );
});

describeWithCharts('chart images (the chart cache)', () => {
  test('every image a pinned chart renders with our values comes from a repository its pin records', () => {
    const docs: SourceDocument[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.yaml')) {
          const parsed = parseYaml(p, fs.readFileSync(p, 'utf8'));
          if ('docs' in parsed) docs.push(...parsed.docs);
        }
      }
    };
    walk(path.join(fixtureTree().dist, 'cluster'));
    const apps = chartApplications(docs);
    expect(apps.length).toBeGreaterThan(5);
    for (const app of apps) {
      const pin = Object.values(versions.charts).find((c) => c.chart === app.request.chart.chart && c.repoURL === app.request.chart.repoURL)!;
      const rendered = renderChart({ ...app.request, kubeVersion: versions.kubernetes.release, apiVersions: [] });
      const unrecorded = [...imagesIn(rendered.objects.map((o) => o.object))].filter((image) => !pin.images.some((p) => underImagePrefix(image, p)));
      expect([app.name, unrecorded]).toEqual([app.name, []]);
    }
  });
});

test("the Postgres object store's host and port are listed, for the namespaces that archive to it", () => {
  const config = loadConfig(DEFAULT_CONFIG_FILE);
  const rules = platformEgress(config, versions, cnpgTree().objects).filter((r) => r.from === 'postgres');
  expect(rules).toEqual([
    {
      from: 'postgres',
      host: new URL(OBJECT_STORE.endpoint).hostname,
      port: 9000,
      why: ['WAL archive and base backups: berkeleytime-production, berkeleytime-production-drill, berkeleytime-staging, berkeleytime-staging-drill'],
    },
  ]);
  // The StatefulSet engine archives nothing.
  expect(platformEgress(config, versions, treeObjects(fixtureTree().dist)).filter((r) => r.from === 'postgres')).toEqual([]);
});
