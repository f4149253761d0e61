/**
 * renovate.json finds every pin (offline: its regex managers run here against the pin file and
 * cdk8s.yaml the way Renovate runs them). A pin it cannot see would never be bumped; one that must
 * not be bumped automatically is named in a rule of its own.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadVersions } from '../config/versions';
import { pinnedSources } from '../lib/validate/schema-store';
import { ROOT } from './helpers';

const renovate = JSON.parse(fs.readFileSync(path.join(ROOT, 'renovate.json'), 'utf8'));
const versions = loadVersions();

interface Match {
  readonly manager: string;
  readonly groups: Record<string, string>;
}

/** Every match of the managers whose file pattern covers `file`. */
function matchesIn(file: string): Match[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return renovate.customManagers
    .filter((m: any) => m.managerFilePatterns.some((p: string) => new RegExp(p.slice(1, -1)).test(file)))
    .flatMap((m: any) =>
      m.matchStrings.flatMap((s: string) =>
        [...text.matchAll(new RegExp(s, 'g'))].map((r) => ({
          manager: m.description,
          groups: { depName: m.depNameTemplate, ...r.groups } as Record<string, string>,
        })),
      ),
    );
}

const disabled = (depName: string): boolean =>
  renovate.packageRules.some(
    (r: any) =>
      r.enabled === false &&
      !r.matchUpdateTypes &&
      (r.matchDepNames ?? []).some((n: string) => (n.startsWith('/') ? new RegExp(n.slice(1, -1)).test(depName) : n === depName)),
  );

describe('renovate.json', () => {
  const found = matchesIn('config/versions.yaml');
  const byDep = (name: string) => found.filter((m) => m.groups.depName === name);

  test('finds every chart, with its repository, at its pinned version', () => {
    for (const [name, pin] of Object.entries(versions.charts)) {
      const [m] = byDep(name);
      expect([name, m?.groups.currentValue]).toEqual([name, pin.version]);
      if (pin.repoURL.startsWith('oci://')) expect(`oci://${m.groups.registry}`).toBe(pin.repoURL);
      else expect([m.groups.repo, m.groups.packageName]).toEqual([pin.repoURL, pin.chart]);
    }
  });

  test('finds every image pin as image and tag; the rest are versions of their own managers or said not to be images', () => {
    for (const [key, value] of Object.entries(versions.images)) {
      const [m] = byDep(key);
      if (key === 'containerd-package') {
        // A Debian package of Docker's apt repository: no Renovate datasource serves it (README: Pins and Renovate).
        expect(m).toBeUndefined();
        continue;
      }
      expect([key, m?.groups.currentValue]).toEqual([key, value.includes(':') ? value.slice(value.lastIndexOf(':') + 1) : value]);
      if (m.groups.packageName) expect(`${m.groups.packageName}:${m.groups.currentValue}`).toBe(value);
    }
  });

  test('finds the Kubernetes release and every manifest URL’s tag', () => {
    expect(byDep('kubernetes').map((m) => m.groups.currentValue)).toEqual([versions.kubernetes.release]);
    const tags = found.filter((m) => m.groups.depName?.includes('/')).map((m) => m.groups.currentValue);
    for (const pin of Object.values(versions.manifests)) expect(tags.some((t) => pin.url.includes(`/${t}/`))).toBe(true);
  });

  test('finds the tag of every CRD import URL in cdk8s.yaml', () => {
    const tags = matchesIn('cdk8s.yaml').map((m) => `${m.groups.depName}/${m.groups.currentValue}`);
    for (const url of pinnedSources()
      .flatMap((s) => s.urls)
      .filter((u) => !u.includes('cdk8s-team/cdk8s')))
      expect([url, tags.some((t) => url.includes(`/${t}/`) || url.includes(t.replace(/\/(v[^/]+)$/, '/releases/download/$1')))]).toEqual([url, true]);
  });

  test('pins that follow another pin are not bumped on their own', () => {
    for (const key of ['etcd', 'pause-1.36']) expect([key, disabled(key)]).toEqual([key, true]);
    expect(disabled('postgres-17')).toBe(false);
  });

  test('a chart and its CRD sources are one group, and CRD sources regenerate schemas/ and imports/', () => {
    const groupOf = (dep: string) => renovate.packageRules.find((r: any) => r.groupName && (r.matchDepNames ?? []).includes(dep))?.groupName;
    for (const [chart, crds] of [
      ['envoy-gateway', 'envoyproxy/gateway'],
      ['cert-manager', 'cert-manager/cert-manager'],
      ['rook-ceph', 'rook/rook'],
      ['kube-prometheus-stack', 'prometheus-operator/prometheus-operator'],
    ])
      expect(groupOf(chart)).toBe(groupOf(crds));
    const crdTasks = renovate.packageRules.find((r: any) => (r.matchFileNames ?? []).includes('cdk8s.yaml')).postUpgradeTasks.commands;
    expect(crdTasks).toEqual(expect.arrayContaining(['npm run schemas', 'npm run import', 'npm run synth']));
  });
});
