/**
 * The risk rules of `npm run diff` (lib/diff/risks*.ts) and its field diff, each on two hand-made versions of one
 * object: the rule fires on the change it is about and stays quiet on a harmless one. Secret values never appear.
 */
import { fieldChanges, HIDDEN } from '../lib/diff/field-diff';
import { formatMarkdown } from '../lib/diff/format-markdown';
import { formatTerminal } from '../lib/diff/format-terminal';
import { diffTrees, TreeDocument } from '../lib/diff/model';

const doc = (object: any, file = 'production/shop/20-shop/x.yaml'): TreeDocument => ({ file, index: 0, object });
/** The flags of changing `prev` into `next` (either may be undefined), as `id: reason`. */
function flags(prev: any, next: any, extra: { before?: any[]; after?: any[] } = {}): string[] {
  const before = [...(prev ? [doc(prev)] : []), ...(extra.before ?? []).map((o) => doc(o))];
  const after = [...(next ? [doc(next)] : []), ...(extra.after ?? []).map((o) => doc(o))];
  return diffTrees(before, after).flags.map((f) => `${f.id}: ${f.reason}`);
}

const meta = (name: string, extra: any = {}) => ({ name, namespace: 'shop', ...extra });
const service = (spec: any) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: meta('web'),
  spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec },
});
const namespace = (enforce?: string) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'shop', labels: enforce ? { 'pod-security.kubernetes.io/enforce': enforce } : {} },
});
const RESTRICTED = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};
const deployment = (securityContext: any, pod: any = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta('web'),
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { automountServiceAccountToken: false, containers: [{ name: 'web', image: 'shop/web:1.0', securityContext }], ...pod },
    },
  },
});
const policy = (ingress: any[] | undefined, name = 'allow-web') => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: meta(name),
  spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ...(ingress ? { ingress } : {}) },
});
const fromPods = (app: string) => ({ from: [{ podSelector: { matchLabels: { app } } }] });

describe('data loss', () => {
  test('a removed claim: pruned without Prune=false, kept but unmanaged with it', () => {
    const claim = (annotations: any = {}) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta('data', { annotations }),
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    expect(flags(claim(), undefined)).toEqual([
      'data-loss:pruned: removed while Argo CD prunes: PersistentVolumeClaim shop/data and its data would be deleted; keep it, or mark it Prune=false first and remove it by hand after a backup',
    ]);
    expect(flags(claim({ 'argocd.argoproj.io/sync-options': 'Prune=false' }), undefined)).toEqual([
      'data-loss:removed-kept: removed from the manifests: Prune=false keeps it and its data in the cluster, no longer managed by Argo CD; back it up and delete it by hand, or keep it in the config',
    ]);
  });
});

describe('exposure', () => {
  test('a Service turned NodePort or LoadBalancer; a new node port', () => {
    expect(flags(service({}), service({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }))).toEqual([
      'exposure:node-port: opens node port(s) 30080 on every node',
    ]);
    expect(flags(service({}), service({ type: 'LoadBalancer' }))).toEqual([
      'exposure:load-balancer: becomes a LoadBalancer: reachable from outside the cluster',
      'exposure:node-port: opens a node port on every node',
    ]);
    expect(
      flags(
        service({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }),
        service({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }], sessionAffinity: 'ClientIP' }),
      ),
    ).toEqual([]);
  });

  test('a NetworkPolicy removed while its namespace stays, added with allows, or given a new rule', () => {
    const other = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg') };
    expect(flags(policy([fromPods('edge')]), undefined, { before: [other], after: [other] })).toEqual([
      'exposure:network-policy-removed: removed: the traffic it allows (1 ingress rule(s)) is no longer governed by it',
    ]);
    // With the namespace gone, nothing is left to protect.
    expect(flags(policy([fromPods('edge')]), undefined)).toEqual([]);
    // Where a policy already isolates the pods, a new one with allows widens what reaches them ...
    const deny = { ...policy(undefined, 'default-deny'), spec: { podSelector: {}, policyTypes: ['Ingress'] } };
    expect(flags(undefined, policy([fromPods('edge')]), { before: [other, deny], after: [other, deny] })).toEqual([
      'exposure:network-policy-added: a new policy in an existing namespace: it allows (1 ingress rule(s))',
    ]);
    // ... in a namespace without any policy, the first ones isolate its pods: less exposure, no flag;
    // so does a first egress policy where only ingress was isolated.
    expect(flags(undefined, policy([fromPods('edge')]), { before: [other], after: [other] })).toEqual([]);
    const egress = { ...policy(undefined, 'to-api'), spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 6443 }] }] } };
    expect(flags(undefined, egress, { before: [other, deny], after: [other, deny] })).toEqual([]);
    expect(flags(policy([fromPods('edge')]), policy([fromPods('edge'), {}]))).toEqual([
      'exposure:network-policy-widened: new or changed: 1 ingress rule(s) (from anywhere)',
    ]);
    expect(flags(policy([fromPods('edge')]), policy([fromPods('edge')]))).toEqual([]);
  });

  test('a hostname the old tree did not serve', () => {
    const route = (hostnames: string[], name = 'web') => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: meta(name),
      spec: { hostnames, rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }] }] },
    });
    expect(flags(route(['shop.example.org']), route(['shop.example.org', 'admin.example.org']))).toEqual([
      'exposure:hostname: serves a new hostname: admin.example.org',
    ]);
    expect(flags(undefined, route(['shop.example.org']))).toEqual(['exposure:route: a new route serves /api on shop.example.org']);
    // A route moved to another object is a new route, but serves no new hostname.
    expect(flags(route(['shop.example.org']), undefined, { after: [route(['shop.example.org'], 'web-2')] })).toEqual([
      'exposure:route: a new route serves /api on shop.example.org',
    ]);
  });
});

describe('security', () => {
  test('a lowered Pod Security level, and a new namespace below restricted', () => {
    expect(flags(namespace('restricted'), namespace('baseline'))).toEqual(['security:pod-security: Pod Security enforce level lowered: restricted → baseline']);
    expect(flags(namespace('restricted'), namespace())).toEqual([
      'security:pod-security: Pod Security enforce level lowered: restricted → privileged (unlabelled)',
    ]);
    expect(flags(undefined, namespace('baseline'))).toEqual(['security:pod-security: a new namespace at Pod Security level baseline, below restricted']);
    expect(flags(namespace('baseline'), namespace('restricted'))).toEqual([]);
  });

  test('a container that gains privileges; a new workload only for the outright dangerous ones', () => {
    expect(
      flags(deployment(RESTRICTED), deployment({ ...RESTRICTED, readOnlyRootFilesystem: false, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } })),
    ).toEqual(['security:privileges: gains web: capability NET_ADMIN; web: writable root filesystem']);
    expect(flags(deployment(RESTRICTED), deployment(RESTRICTED, { hostNetwork: true }))).toEqual(['security:privileges: gains pod: hostNetwork']);
    expect(flags(undefined, deployment({ privileged: true }))).toEqual(['security:privileges: runs with web: privileged']);
    expect(flags(undefined, deployment({}))).toEqual([]);
    expect(flags(deployment({}), deployment(RESTRICTED))).toEqual([]);
  });

  test('RBAC that grants more, a binding that changes role or gains subjects', () => {
    const role = (verbs: string[], kind = 'Role') => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind,
      metadata: kind === 'Role' ? meta('deployer') : { name: 'deployer' },
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs }],
    });
    expect(flags(role(['get']), role(['get', 'patch']))).toEqual(['security:rbac: grants more: patch apps/deployments']);
    expect(flags(undefined, role(['get']))).toEqual([]);
    expect(flags(undefined, role(['*']))).toEqual(['security:rbac: a new Role grants: * apps/deployments']);
    expect(flags(undefined, role(['get'], 'ClusterRole'))).toEqual(['security:rbac: a new ClusterRole grants: get apps/deployments']);
    const binding = (role: string, subjects: string[]) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('deployer'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
      subjects: subjects.map((name) => ({ kind: 'ServiceAccount', name, namespace: 'shop' })),
    });
    expect(flags(binding('deployer', ['ci']), binding('admin', ['ci']))).toEqual(['security:rbac: now binds Role admin (was Role deployer)']);
    expect(flags(binding('deployer', ['ci']), binding('deployer', ['ci', 'bot']))).toEqual(['security:rbac: binds Role deployer to ServiceAccount shop/bot']);
  });
});

describe('versions', () => {
  test('an image tag and a chart version', () => {
    const app = (targetRevision: string) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'cert-manager', namespace: 'argocd' },
      spec: { source: { chart: 'cert-manager', repoURL: 'https://charts.jetstack.io', targetRevision } },
    });
    expect(flags(app('v1.21.1'), app('v1.22.0'))).toEqual(["versions:chart: chart cert-manager v1.21.1 → v1.22.0: read the chart's upgrade notes"]);
    const bumped = deployment(RESTRICTED);
    bumped.spec.template.spec.containers[0].image = 'ghcr.io/shop/web:1.1';
    expect(flags(deployment(RESTRICTED), bumped)).toEqual(['versions:image: container web: shop/web:1.0 → ghcr.io/shop/web:1.1']);
  });
});

describe('field diff', () => {
  test('named lists match by name; a new item is one change', () => {
    const before = deployment(RESTRICTED);
    const after = deployment(RESTRICTED);
    after.spec.template.spec.containers = [
      { name: 'sidecar', image: 'shop/proxy:2' } as any,
      { ...after.spec.template.spec.containers[0], image: 'shop/web:1.1' },
    ];
    expect(fieldChanges(before, after)).toEqual([
      { path: 'spec.template.spec.containers[sidecar]', to: '{"name":"sidecar","image":"shop/proxy:2"}' },
      { path: 'spec.template.spec.containers[web].image', from: 'shop/web:1.0', to: 'shop/web:1.1' },
    ]);
  });

  test('a file held in a ConfigMap shows where it first differs', () => {
    const cm = (text: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg'), data: { 'nginx.conf': text } });
    expect(fieldChanges(cm('a\nb\nc\n'), cm('a\nB\nc\n'))).toEqual([{ path: 'data["nginx.conf"]', from: '4 lines; line 2: b', to: '4 lines; line 2: B' }]);
  });

  test('Secret and SealedSecret values are never shown, only which key changed', () => {
    const secret = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: meta('creds'), data });
    const sealed = (encryptedData: Record<string, string>) => ({
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: meta('creds'),
      spec: { encryptedData, template: { metadata: meta('creds') } },
    });
    const report = diffTrees(
      [doc(secret({ password: 'b2xkLXNlY3JldA==' })), doc(sealed({ token: 'AgBy8old' }), 'production/shop/05/s.yaml')],
      [doc(secret({ password: 'bmV3LXNlY3JldA==', user: 'YWRtaW4=' })), doc(sealed({ token: 'AgBy8new' }), 'production/shop/05/s.yaml')],
    );
    const fields = report.sections[0].objects.flatMap((o) => o.fields);
    expect(fields).toEqual([
      { path: 'spec.encryptedData.token', from: HIDDEN, to: HIDDEN },
      { path: 'data.password', from: HIDDEN, to: HIDDEN },
      { path: 'data.user', to: HIDDEN },
    ]);
    for (const text of [formatTerminal(report, { against: 'HEAD' }), formatMarkdown(report, { against: 'HEAD' })]) {
      for (const value of ['b2xkLXNlY3JldA==', 'bmV3LXNlY3JldA==', 'YWRtaW4=', 'AgBy8old', 'AgBy8new']) expect(text).not.toContain(value);
    }
  });
});

describe('object identity', () => {
  test('an object committed in two sections (bootstrap/ and cluster/) is compared in each', () => {
    const cm = (value: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: 'argocd' }, data: { a: value } });
    const report = diffTrees(
      [doc(cm('1'), 'bootstrap/00-argocd/cm.yaml'), doc(cm('1'), 'cluster/10-gitops/cm.yaml')],
      [doc(cm('2'), 'bootstrap/00-argocd/cm.yaml'), doc(cm('2'), 'cluster/10-gitops/cm.yaml')],
    );
    expect(report.sections.map((s) => `${s.section}: ${s.changed} changed`)).toEqual(['bootstrap: 1 changed', 'cluster: 1 changed']);
  });

  test('a file that moves within a section is no change', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg'), data: { a: '1' } };
    const report = diffTrees([doc(cm, 'production/shop/10-a/cm.yaml')], [doc(cm, 'production/shop/20-b/cm.yaml')]);
    expect(report.sections).toEqual([]);
    expect(report.unchanged).toBe(1);
  });
});

describe('markdown size', () => {
  test('a change too big for one comment is cut with a count, its tags closed', () => {
    const many = Array.from({ length: 3000 }, (_, i) =>
      doc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`cfg-${String(i).padStart(4, '0')}`), data: { a: 'x'.repeat(40) } }),
    );
    const text = formatMarkdown(diffTrees([], many), { against: 'HEAD', maxChars: 20_000 });
    expect(text.length).toBeLessThanOrEqual(20_000);
    expect(text).toMatch(/_\d+ more objects not shown: run `npm run diff` on a checkout of this branch._\n$/);
    expect(text.match(/<details>/g)!.length).toBe(text.match(/<\/details>/g)!.length);
  });
});
