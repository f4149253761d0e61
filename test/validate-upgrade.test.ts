/**
 * Upgrade safety (`npm run validate -- --against <ref>`): every rule of checkUpgrade is shown firing on one change
 * and staying quiet on a change the API server or Argo CD accepts; loadTreeAtRef is shown on a throwaway repository.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Finding, SourceDocument } from '../lib/validate/document';
import { loadTreeAtRef } from '../lib/validate/git-tree';
import { checkUpgrade } from '../lib/validate/upgrade-check';
import { compareQuantities } from '../lib/quantity';

const docs = (file: string, objects: any[]): SourceDocument[] => objects.map((object, index) => ({ file, index, object }));

/** The findings of upgrading from `before` to `after`, as `[path, message]` pairs unless the whole finding is asked for. */
function upgrade(before: any[], after: any[]): Finding[] {
  return checkUpgrade(docs('v1.yaml', before), docs('v2.yaml', after));
}
const messages = (findings: Finding[]) => findings.map((f) => [f.path, f.message]);

const meta = (name: string, extra: any = {}) => ({ name, namespace: 'shop', ...extra });
const PRUNE_FALSE = { annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } };

function podTemplate(image = 'shop/web:1.0', labels: Record<string, string> = { app: 'web' }) {
  return { metadata: { labels }, spec: { containers: [{ name: 'web', image }] } };
}

function workload(kind: string, selector: Record<string, string>, extra: any = {}) {
  return { apiVersion: 'apps/v1', kind, metadata: meta('web'), spec: { selector: { matchLabels: selector }, template: podTemplate(), ...extra } };
}

function claimTemplate(storage = '10Gi', extra: any = {}) {
  return { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, ...extra } };
}

function statefulSet(spec: any = {}, metadata: any = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta('db', metadata),
    spec: {
      serviceName: 'db-headless',
      selector: { matchLabels: { app: 'db' } },
      template: podTemplate('postgres:16', { app: 'db' }),
      volumeClaimTemplates: [claimTemplate()],
      ...spec,
    },
  };
}

function job(spec: any = {}, metadata: any = {}) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta('migrate', metadata),
    spec: { backoffLimit: 2, template: podTemplate('shop/api:1.0'), ...spec },
  };
}

function claim(spec: any = {}, metadata: any = {}) {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta('data', metadata),
    spec: { storageClassName: 'ceph-block', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, ...spec },
  };
}

function service(spec: any = {}) {
  return { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec } };
}

const defaultClass = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'ceph-block', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: 'rook-ceph.rbd.csi.ceph.com',
};

const immutable = (path: string, from: string, to: string, recreate: string) =>
  `${path} changes from ${from} to ${to}: the API server refuses this update (immutable); ${recreate}, or keep the old value`;

describe('immutable selectors of apps/v1 workloads', () => {
  test.each(['Deployment', 'ReplicaSet', 'DaemonSet'])('a changed %s selector is refused', (kind) => {
    const findings = upgrade([workload(kind, { app: 'web' })], [workload(kind, { app: 'shop-web' })]);
    expect(findings).toEqual([
      {
        file: 'v2.yaml',
        document: `${kind}/shop/web`,
        path: 'spec.selector.matchLabels.app',
        message: immutable('spec.selector.matchLabels.app', 'web', 'shop-web', `delete the ${kind} and let Argo CD recreate it (its pods restart)`),
      },
    ]);
  });

  test('a new pod template and new labels in a Deployment are ordinary rollouts', () => {
    const before = workload('Deployment', { app: 'web' });
    const after = { ...workload('Deployment', { app: 'web' }, { template: podTemplate('shop/web:2.0', { app: 'web', tier: 'front' }) }) };
    after.metadata = { ...after.metadata, labels: { version: '2.0' } } as any;
    expect(upgrade([before], [after])).toEqual([]);
  });

  test('objects are matched by group, not version: a moved apiVersion is the same object', () => {
    const before = { ...workload('Deployment', { app: 'web' }), apiVersion: 'apps/v1beta2' };
    expect(messages(upgrade([before], [workload('Deployment', { app: 'api' })]))).toEqual([
      [
        'spec.selector.matchLabels.app',
        immutable('spec.selector.matchLabels.app', 'web', 'api', 'delete the Deployment and let Argo CD recreate it (its pods restart)'),
      ],
    ]);
  });
});

describe('StatefulSet fields outside the updatable few', () => {
  const ORPHAN = 'delete the StatefulSet with `kubectl delete statefulset --cascade=orphan` (its pods and claims stay) and let Argo CD recreate it';

  test('serviceName, podManagementPolicy and the selector are refused', () => {
    const after = statefulSet({ serviceName: 'db', podManagementPolicy: 'Parallel', selector: { matchLabels: { app: 'postgres' } } });
    expect(messages(upgrade([statefulSet()], [after]))).toEqual([
      ['spec.podManagementPolicy', immutable('spec.podManagementPolicy', 'OrderedReady', 'Parallel', ORPHAN)],
      [
        'spec.selector.matchLabels.app',
        immutable(
          'spec.selector.matchLabels.app',
          'db',
          'postgres',
          'delete the StatefulSet with `kubectl delete statefulset --cascade=orphan` (its claims stay), then its old pods, and let Argo CD recreate it',
        ),
      ],
      ['spec.serviceName', immutable('spec.serviceName', 'db-headless', 'db', ORPHAN)],
    ]);
  });

  test('replicas, template, update strategy and retention policy may change; writing out a default is no change', () => {
    const after = statefulSet({
      replicas: 3,
      template: podTemplate('postgres:17', { app: 'db' }),
      updateStrategy: { type: 'OnDelete' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
      podManagementPolicy: 'OrderedReady',
    });
    expect(upgrade([statefulSet()], [after])).toEqual([]);
  });

  test('a bigger claim template is refused, with how to resize the existing claims', () => {
    const findings = upgrade([statefulSet()], [statefulSet({ volumeClaimTemplates: [claimTemplate('20Gi')] })]);
    const path = 'spec.volumeClaimTemplates[0].spec.resources.requests.storage';
    expect(messages(findings)).toEqual([
      [
        path,
        immutable(
          path,
          '10Gi',
          '20Gi',
          'resize each existing claim (`kubectl patch pvc`), then delete the StatefulSet with `kubectl delete statefulset --cascade=orphan` (its pods and claims stay) and let Argo CD recreate it',
        ),
      ],
    ]);
  });

  test('an added claim template is a change of the whole list', () => {
    const after = statefulSet({ volumeClaimTemplates: [claimTemplate(), { ...claimTemplate('1Gi'), metadata: { name: 'wal' } }] });
    expect(messages(upgrade([statefulSet()], [after]))).toEqual([
      [
        'spec.volumeClaimTemplates',
        immutable(
          'spec.volumeClaimTemplates',
          '[data]',
          '[data, wal]',
          'delete the StatefulSet with `kubectl delete statefulset --cascade=orphan` (its pods and claims stay) and let Argo CD recreate it',
        ),
      ],
    ]);
  });

  test('claim templates compare only what the manifests say: server defaults and equal quantities are no change', () => {
    const written = {
      ...claimTemplate('10240Mi', { volumeMode: 'Filesystem' }),
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      status: { phase: 'Pending' },
    };
    expect(upgrade([statefulSet()], [statefulSet({ volumeClaimTemplates: [written] })])).toEqual([]);
  });
});

describe('Job selector and pod template', () => {
  const RECREATE = 'delete the Job and let Argo CD recreate it (or give the Job a new name)';

  test('a changed pod template is refused', () => {
    const after = job({ template: podTemplate('shop/api:1.1') });
    expect(messages(upgrade([job()], [after]))).toEqual([
      ['spec.template.spec.containers[0].image', immutable('spec.template.spec.containers[0].image', 'shop/api:1.0', 'shop/api:1.1', RECREATE)],
    ]);
  });

  test('a selector that appears in the manifest is refused (the live Job has a generated one)', () => {
    const after = job({ manualSelector: true, selector: { matchLabels: { app: 'migrate' } } });
    expect(messages(upgrade([job()], [after]))).toEqual([
      ['spec.selector', immutable('spec.selector', '(unset)', '{"matchLabels":{"app":"migrate"}}', RECREATE)],
    ]);
  });

  test('mutable Job fields, Argo CD hooks (recreated each sync) and CronJob templates may change', () => {
    expect(upgrade([job()], [job({ backoffLimit: 5, activeDeadlineSeconds: 600 })])).toEqual([]);
    const hook = { annotations: { 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' } };
    expect(upgrade([job({}, hook)], [job({ template: podTemplate('shop/api:1.1') }, hook)])).toEqual([]);
    const cronJob = (image: string) => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('refresh'),
      spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: podTemplate(image) } } },
    });
    expect(upgrade([cronJob('shop/api:1.0')], [cronJob('shop/api:1.1')])).toEqual([]);
  });

  test('a hook Argo CD keeps after success is updated in place, so it is still checked', () => {
    const hook = { annotations: { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'HookFailed' } };
    expect(upgrade([job({}, hook)], [job({ template: podTemplate('shop/api:1.1') }, hook)])).toHaveLength(1);
  });
});

describe('PersistentVolumeClaim spec', () => {
  const RECREATE = 'back up the volume, then delete and recreate the PersistentVolumeClaim';

  test('a changed storageClassName is refused', () => {
    expect(messages(upgrade([claim()], [claim({ storageClassName: 'ceph-block-retain' })]))).toEqual([
      ['spec.storageClassName', immutable('spec.storageClassName', 'ceph-block', 'ceph-block-retain', RECREATE)],
    ]);
  });

  test('naming a class other than the default a claim got at creation is refused; naming the default is not', () => {
    const unnamed = claim({ storageClassName: undefined });
    expect(messages(upgrade([defaultClass, unnamed], [defaultClass, claim({ storageClassName: 'ceph-block-retain' })]))).toEqual([
      ['spec.storageClassName', immutable('spec.storageClassName', '(unset: the default class ceph-block)', 'ceph-block-retain', RECREATE)],
    ]);
    expect(upgrade([defaultClass, unnamed], [defaultClass, claim()])).toEqual([]);
    // Without a known default, the live value cannot be told from the manifests.
    expect(upgrade([unnamed], [claim({ storageClassName: 'ceph-block-retain' })])).toEqual([]);
  });

  test('changed accessModes are refused', () => {
    expect(messages(upgrade([claim()], [claim({ accessModes: ['ReadWriteMany'] })]))).toEqual([
      ['spec.accessModes', immutable('spec.accessModes', '["ReadWriteOnce"]', '["ReadWriteMany"]', RECREATE)],
    ]);
  });

  test('a smaller storage request is refused, with quantities compared by value (10Gi > 9000Mi)', () => {
    const findings = upgrade([claim()], [claim({ resources: { requests: { storage: '9000Mi' } } })]);
    expect(findings).toEqual([
      {
        file: 'v2.yaml',
        document: 'PersistentVolumeClaim/shop/data',
        path: 'spec.resources.requests.storage',
        message:
          'spec.resources.requests.storage changes from 10Gi to 9000Mi: the API server refuses this update (a volume claim can only grow); back up the volume, then delete and recreate the PersistentVolumeClaim, or keep the old value',
      },
    ]);
  });

  test('a growing claim, the same size in other units, and new labels are allowed', () => {
    expect(upgrade([claim()], [claim({ resources: { requests: { storage: '20Gi' } } })])).toEqual([]);
    expect(upgrade([claim()], [claim({ resources: { requests: { storage: '10240Mi' } } }, { labels: { tier: 'data' } })])).toEqual([]);
  });

  test('quantities: binary, decimal, exponent and plain numbers', () => {
    expect(compareQuantities('10Gi', '9000Mi')).toBe(1);
    expect(compareQuantities('1Gi', '1G')).toBe(1);
    expect(compareQuantities('1G', '1000M')).toBe(0);
    expect(compareQuantities('1.5Gi', '1536Mi')).toBe(0);
    expect(compareQuantities('1Ki', 1024)).toBe(0);
    expect(compareQuantities('1e3', '1k')).toBe(0);
    expect(compareQuantities('500m', '0.5')).toBe(0);
    expect(compareQuantities('1Ti', '1024Gi')).toBe(0);
    expect(compareQuantities('10Gi', 'ten')).toBeUndefined();
  });
});

describe('Service clusterIP', () => {
  const RECREATE = 'delete and recreate the Service (clients get the new IP from DNS)';

  test('a set IP that changes is refused', () => {
    expect(messages(upgrade([service({ clusterIP: '10.96.0.10' })], [service({ clusterIP: '10.96.0.11' })]))).toEqual([
      ['spec.clusterIP', immutable('spec.clusterIP', '10.96.0.10', '10.96.0.11', RECREATE)],
    ]);
  });

  test('turning a Service with an allocated IP headless is refused', () => {
    expect(messages(upgrade([service()], [service({ clusterIP: 'None' })]))).toEqual([
      ['spec.clusterIP', immutable('spec.clusterIP', '(unset: an allocated IP)', 'None', RECREATE)],
    ]);
  });

  test('dropping the IP, naming one where there was none, and switching to ExternalName are allowed', () => {
    expect(upgrade([service({ clusterIP: '10.96.0.10' })], [service()])).toEqual([]);
    expect(upgrade([service()], [service({ clusterIP: '10.96.0.10' })])).toEqual([]);
    expect(upgrade([service({ clusterIP: '10.96.0.10' })], [service({ type: 'ExternalName', externalName: 'web.example.com' })])).toEqual([]);
  });
});

describe('CustomResourceDefinition versions', () => {
  function crd(versions: Array<[string, boolean]>) {
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets' },
        scope: 'Namespaced',
        versions: versions.map(([name, served]) => ({ name, served, storage: name === 'v2' })),
      },
    };
  }
  const widget = (version: string) => ({ apiVersion: `example.com/${version}`, kind: 'Widget', metadata: meta('gadget') });

  test('an object still written in a version the CRD stops serving is refused', () => {
    const findings = upgrade(
      [
        crd([
          ['v1', true],
          ['v2', true],
        ]),
        widget('v1'),
      ],
      [
        crd([
          ['v1', false],
          ['v2', true],
        ]),
        widget('v1'),
      ],
    );
    expect(findings).toEqual([
      {
        file: 'v2.yaml',
        document: 'Widget/shop/gadget',
        path: 'apiVersion',
        message:
          'apiVersion example.com/v1 is no longer served: CustomResourceDefinition widgets.example.com now serves v2, so the API server refuses this Widget; move it to apiVersion example.com/v2, or keep v1 served',
      },
    ]);
  });

  test('dropping a version nobody uses any more is allowed', () => {
    expect(
      upgrade(
        [
          crd([
            ['v1', true],
            ['v2', true],
          ]),
          widget('v1'),
        ],
        [crd([['v2', true]]), widget('v2')],
      ),
    ).toEqual([]);
  });
});

describe('data destroyed by pruning', () => {
  const pruned = (kind: string, label: string) =>
    `removed while Argo CD prunes: ${kind} ${label} and its data would be deleted; keep it, or mark it Prune=false first and remove it by hand after a backup`;

  test('a removed PersistentVolumeClaim is reported on the old document', () => {
    expect(upgrade([claim()], [])).toEqual([
      { file: 'v1.yaml', document: 'PersistentVolumeClaim/shop/data', path: '', message: pruned('PersistentVolumeClaim', 'shop/data') },
    ]);
  });

  test('a removed Prune=false claim, a removed ConfigMap and a StatefulSet without claims are not data loss', () => {
    expect(upgrade([claim({}, PRUNE_FALSE)], [])).toEqual([]);
    expect(upgrade([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('web-config'), data: { A: '1' } }], [])).toEqual([]);
    expect(upgrade([statefulSet({ volumeClaimTemplates: undefined })], [])).toEqual([]);
  });

  test('a removed StatefulSet with claim templates', () => {
    expect(messages(upgrade([statefulSet()], []))).toEqual([['', pruned('StatefulSet', 'shop/db')]]);
  });

  test.each([
    ['ceph.rook.io/v1', 'CephCluster'],
    ['ceph.rook.io/v1', 'CephBlockPool'],
    ['ceph.rook.io/v1', 'CephFilesystem'],
    ['ceph.rook.io/v1', 'CephObjectStore'],
    ['elasticsearch.k8s.elastic.co/v1', 'Elasticsearch'],
    ['postgresql.cnpg.io/v1', 'Cluster'],
  ])('a removed %s %s', (apiVersion, kind) => {
    const object = { apiVersion, kind, metadata: meta('main'), spec: {} };
    expect(messages(upgrade([object], []))).toEqual([['', pruned(kind, 'shop/main')]]);
    expect(upgrade([{ ...object, metadata: meta('main', PRUNE_FALSE) }], [])).toEqual([]);
  });

  test('a Cluster of another group (Cluster API) is not a database', () => {
    expect(upgrade([{ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', metadata: meta('main') }], [])).toEqual([]);
  });

  test('a removed Namespace deletes its claims even when they are Prune=false', () => {
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
    const findings = upgrade([namespace, claim({}, PRUNE_FALSE), statefulSet({}, PRUNE_FALSE)], [claim({}, PRUNE_FALSE), statefulSet({}, PRUNE_FALSE)]);
    expect(findings).toEqual([
      {
        file: 'v1.yaml',
        document: 'Namespace/shop',
        path: '',
        message:
          'removed while Argo CD prunes: Namespace shop and its data would be deleted (it holds PersistentVolumeClaim shop/data, StatefulSet shop/db); keep it, or mark it Prune=false first and remove it by hand after a backup',
      },
    ]);
  });

  test('a Prune=false Namespace, or one without data, may be removed', () => {
    const namespace = (extra: any = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', ...extra } });
    expect(upgrade([namespace(PRUNE_FALSE), claim({}, PRUNE_FALSE)], [claim({}, PRUNE_FALSE)])).toEqual([]);
    expect(upgrade([namespace(), service()], [])).toEqual([]);
  });

  test('a claim moved to another namespace is a removal of the old one', () => {
    expect(messages(upgrade([claim()], [claim({}, { namespace: 'shop-v2' })]))).toEqual([['', pruned('PersistentVolumeClaim', 'shop/data')]]);
  });
});

test('findings of several rules come sorted by file, document, path', () => {
  const findings = upgrade(
    [claim(), workload('Deployment', { app: 'web' }), service({ clusterIP: '10.96.0.10' })],
    [workload('Deployment', { app: 'api' }), service({ clusterIP: '10.96.0.11' })],
  );
  expect(findings.map((f) => `${f.file} ${f.document} ${f.path}`)).toEqual([
    'v1.yaml PersistentVolumeClaim/shop/data ',
    'v2.yaml Deployment/shop/web spec.selector.matchLabels.app',
    'v2.yaml Service/shop/web spec.clusterIP',
  ]);
});

describe('loadTreeAtRef', () => {
  let repo: string;
  // The repository under test, not any repository a hook may have exported.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env, stdio: 'pipe' }).toString('utf8');
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), text);
  };

  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-upgrade-'));
    git('init', '-q');
    git('config', 'user.name', 'Upgrade Test');
    git('config', 'user.email', 'upgrade-test@example.invalid');
    git('config', 'commit.gpgsign', 'false');
    write(
      'dist/shop/PersistentVolumeClaim.data.yaml',
      'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: shop}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 10Gi}}\n',
    );
    write('dist/shop/ConfigMap.web.yml', '---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: shop}\ndata: {since: 2024-01-01}\n');
    write('dist/README.md', 'not a manifest\n');
    write('other/Secret.yaml', 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    write(
      'dist/shop/PersistentVolumeClaim.data.yaml',
      'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: shop}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 5Gi}}\n',
    );
    write('dist/shop/Broken.yaml', 'kind: [unclosed\n');
    git('add', '.');
    git('commit', '-q', '-m', 'second');
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  test('reads the YAML files under the paths as committed at each ref, and compares them', () => {
    const first = loadTreeAtRef('HEAD~1', ['dist'], repo);
    expect(first.files).toEqual(['HEAD~1:dist/shop/ConfigMap.web.yml', 'HEAD~1:dist/shop/PersistentVolumeClaim.data.yaml']);
    expect(first.parseErrors).toEqual([]);
    // Empty documents are dropped but keep their position; CORE_SCHEMA leaves dates as strings.
    expect(first.docs.map((d) => [d.file, d.index, d.object.kind])).toEqual([
      ['HEAD~1:dist/shop/ConfigMap.web.yml', 1, 'ConfigMap'],
      ['HEAD~1:dist/shop/PersistentVolumeClaim.data.yaml', 0, 'PersistentVolumeClaim'],
    ]);
    expect(first.docs[0].object.data.since).toBe('2024-01-01');

    const second = loadTreeAtRef('HEAD', ['dist/'], path.join(repo, 'dist'));
    expect(second.files).toEqual(['HEAD:dist/shop/Broken.yaml', 'HEAD:dist/shop/ConfigMap.web.yml', 'HEAD:dist/shop/PersistentVolumeClaim.data.yaml']);
    expect(second.parseErrors).toEqual([
      { file: 'HEAD:dist/shop/Broken.yaml', document: '', path: '', message: expect.stringMatching(/^not valid YAML at line 2, column 1: /) },
    ]);
    expect(second.docs[1].object.spec.resources.requests.storage).toBe('5Gi');

    expect(checkUpgrade(first.docs, second.docs).map((f) => `${f.file}: ${f.path}`)).toEqual([
      'HEAD:dist/shop/PersistentVolumeClaim.data.yaml: spec.resources.requests.storage',
    ]);
  });

  test('a path that did not exist at the ref gives no documents', () => {
    expect(loadTreeAtRef('HEAD~1', ['dist/shop/Broken.yaml', 'nowhere'], repo)).toEqual({ files: [], docs: [], parseErrors: [] });
  });

  test('a ref that is not a commit is a clear error', () => {
    expect(() => loadTreeAtRef('no-such-branch', ['dist'], repo)).toThrow('--against no-such-branch: not a commit in this repository');
    expect(() => loadTreeAtRef('--output=/tmp/x', ['dist'], repo)).toThrow('--against --output=/tmp/x: not a commit in this repository');
    const blob = git('rev-parse', 'HEAD:dist/README.md').trim();
    expect(() => loadTreeAtRef(blob, ['dist'], repo)).toThrow(`--against ${blob}: not a commit in this repository`);
  });
});
