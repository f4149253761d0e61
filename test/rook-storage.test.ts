import * as fs from 'fs';
import * as path from 'path';
import { declaredStorageClasses, tolerationsFor } from '../charts/rook-storage';
import { parseConfig } from '../config/load';
import { validateDocuments } from '../lib/validate';
import { parsedConfig } from './helpers';
import { build, haInventory, inventory, singleHost, storageConfig, synth, threeHosts, versions } from './rook-fixtures';

const PROTECTED = 'Prune=false,Delete=false,SkipDryRunOnMissingResource=true';
const CONTROL_PLANE_TOLERATION = { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' };

describe('RookStorage on one host (the default platform, config/platform.yaml)', () => {
  const platform = parsedConfig();
  const out = synth(platform.cluster.hosts, platform.storage, platform.monitoring.enabled);
  const cluster = out.one('CephCluster');

  test('the CephCluster uses exactly the inventory disk, nothing else', () => {
    expect(cluster.metadata).toMatchObject({ name: 'rook-ceph', namespace: 'rook-ceph' });
    expect(cluster.spec.storage).toEqual({
      useAllNodes: false,
      useAllDevices: false,
      nodes: [{ name: 'hozer-55', devices: [{ name: 'vdb' }] }],
    });
    expect(cluster.spec.dataDirHostPath).toBe('/var/lib/rook');
    expect(cluster.spec.cephVersion).toEqual({ image: versions.images.ceph });
  });

  test('one mon and one mgr', () => {
    expect(cluster.spec.mon).toEqual({ count: 1, allowMultiplePerNode: false });
    expect(cluster.spec.mgr).toEqual({ count: 1, allowMultiplePerNode: false });
  });

  test('Ceph defaults that let a size-1 layout become healthy, as Rook cluster-test.yaml sets them', () => {
    expect(cluster.spec.cephConfig).toEqual({ global: { osd_pool_default_size: '1', mon_warn_on_pool_no_redundancy: 'false' } });
    expect(out.one('CephBlockPool', 'builtin-mgr').spec).toEqual({
      name: '.mgr',
      failureDomain: 'osd',
      enableCrushUpdates: true,
      replicated: { size: 1, requireSafeReplicaSize: false },
    });
  });

  test('the pool keeps one copy, spread over OSDs, and may change its CRUSH rule when hosts are added', () => {
    expect(out.one('CephBlockPool', 'replicapool').spec).toEqual({
      failureDomain: 'osd',
      enableCrushUpdates: true,
      replicated: { size: 1, requireSafeReplicaSize: false },
    });
  });

  test('warns, with a stable id, that the layout has no redundancy', () => {
    expect(out.warnings).toEqual([
      {
        id: 'platform:storage:singleReplica',
        message:
          'Ceph pool(s) replicapool keep one copy of each object (one storage host ("hozer-55")): a failed disk or host loses every volume on it. ' +
          'Add hosts with cephDisks (three for three copies on different hosts) and keep backups off the cluster.',
      },
    ]);
  });

  test('Ceph may run on the control-plane host, and only on storage hosts', () => {
    expect(cluster.spec.placement.all.tolerations).toEqual([CONTROL_PLANE_TOLERATION]);
    expect(cluster.spec.placement.all.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['hozer-55'] }] },
    ]);
  });

  test('dashboard on; monitoring follows the monitoring stack', () => {
    expect(cluster.spec.dashboard).toEqual({ enabled: true, ssl: true });
    expect(cluster.spec.monitoring).toEqual({ enabled: true });
    expect(synth(singleHost(), storageConfig(), false).one('CephCluster').spec.monitoring).toEqual({ enabled: false });
  });

  test('validates against the Kubernetes and Rook CRD schemas with zero findings', () => {
    const docs = out.docs.map((object, index) => ({ file: `${index}.yaml`, index: 0, object }));
    expect(validateDocuments(docs)).toEqual([]);
  });

  test('snapshot', () => {
    expect(out.docs).toMatchSnapshot();
  });
});

describe('RookStorage on three hosts', () => {
  const out = synth(threeHosts());
  const cluster = out.one('CephCluster');

  test('one nodes entry per storage host, listing exactly its devices', () => {
    expect(cluster.spec.storage.nodes).toEqual([
      { name: 'node-a', devices: [{ name: 'vdb' }] },
      { name: 'node-b', devices: [{ name: 'vdb' }] },
      { name: 'node-c', devices: [{ name: 'vdb' }, { name: '/dev/disk/by-id/wwn-0x5000c500a1b2c3d4' }] },
    ]);
  });

  test('three mons, two mgrs, Ceph defaults back to three copies', () => {
    expect(cluster.spec.mon.count).toBe(3);
    expect(cluster.spec.mgr.count).toBe(2);
    expect(cluster.spec.cephConfig).toEqual({ global: { osd_pool_default_size: '3', mon_warn_on_pool_no_redundancy: 'true' } });
  });

  test('pools keep three copies on different hosts, and no warning', () => {
    for (const name of ['builtin-mgr', 'replicapool']) {
      expect(out.one('CephBlockPool', name).spec).toMatchObject({ failureDomain: 'host', replicated: { size: 3 } });
      expect(out.one('CephBlockPool', name).spec.replicated.requireSafeReplicaSize).toBeUndefined();
    }
    expect(out.warnings).toEqual([]);
  });

  test('validates with zero findings', () => {
    expect(validateDocuments(out.docs.map((object, index) => ({ file: `${index}.yaml`, index: 0, object })))).toEqual([]);
  });

  test('snapshot', () => {
    expect(out.docs).toMatchSnapshot();
  });
});

describe('layout by number of storage hosts', () => {
  const two = () =>
    inventory([
      { name: 'a', cephDisks: ['/dev/vdb'] },
      { name: 'b', cephDisks: ['/dev/vdb'] },
    ]);

  test('two hosts: one mon (never more mons than hosts), two mgrs, two copies on different hosts', () => {
    const out = synth(two());
    expect(out.one('CephCluster').spec.mon.count).toBe(1);
    expect(out.one('CephCluster').spec.mgr.count).toBe(2);
    expect(out.one('CephCluster').spec.cephConfig).toEqual({ global: { osd_pool_default_size: '2', mon_warn_on_pool_no_redundancy: 'true' } });
    expect(out.one('CephBlockPool', 'replicapool').spec).toMatchObject({ failureDomain: 'host', replicated: { size: 2 } });
  });

  test('two hosts with allowMultipleMonsPerNode: three mons', () => {
    const out = synth(two(), storageConfig({ allowMultipleMonsPerNode: true }));
    expect(out.one('CephCluster').spec.mon).toEqual({ count: 3, allowMultiplePerNode: true });
  });

  test('six hosts (three control-plane, three workers): three mons, three copies, control-plane taint tolerated', () => {
    const out = synth(haInventory());
    const spec = out.one('CephCluster').spec;
    expect(spec.mon.count).toBe(3);
    expect(spec.storage.nodes.map((n: any) => n.name)).toEqual(['cp-1', 'cp-2', 'cp-3', 'worker-1', 'worker-2', 'worker-3']);
    expect(spec.placement.all.tolerations).toEqual([CONTROL_PLANE_TOLERATION]);
    expect(out.one('CephBlockPool', 'replicapool').spec.replicated.size).toBe(3);
  });

  test('hosts without cephDisks carry no Ceph daemons', () => {
    const hosts = inventory([
      { name: 'cp', roles: ['control-plane'] },
      { name: 'w1', cephDisks: ['/dev/vdb'] },
      { name: 'w2', cephDisks: ['/dev/vdb'] },
      { name: 'w3', cephDisks: ['/dev/vdb'] },
    ]);
    const spec = synth(hosts).one('CephCluster').spec;
    expect(spec.storage.nodes.map((n: any) => n.name)).toEqual(['w1', 'w2', 'w3']);
    expect(spec.placement.all.tolerations).toBeUndefined();
  });

  test("storage hosts' own taints are tolerated", () => {
    const hosts = inventory([
      {
        name: 'a',
        cephDisks: ['/dev/vdb'],
        taints: [
          { key: 'storage', value: 'ceph', effect: 'NoSchedule' },
          { key: 'dedicated', effect: 'NoExecute' },
        ],
      },
    ]);
    expect(tolerationsFor(hosts)).toEqual([
      { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' },
      { key: 'storage', operator: 'Equal', value: 'ceph', effect: 'NoSchedule' },
    ]);
  });
});

describe('StorageClasses', () => {
  const out = synth(singleHost());

  test('a general class (cluster default, Delete) and a Retain class for databases', () => {
    expect(out.chart.storageClasses).toEqual({
      general: { name: 'ceph-block', reclaimPolicy: 'Delete' },
      retained: { name: 'ceph-block-retain', reclaimPolicy: 'Retain' },
    });
    const general = out.one('StorageClass', 'ceph-block');
    const retained = out.one('StorageClass', 'ceph-block-retain');
    expect(general.reclaimPolicy).toBe('Delete');
    expect(general.metadata.annotations).toEqual({ 'storageclass.kubernetes.io/is-default-class': 'true' });
    expect(retained.reclaimPolicy).toBe('Retain');
    expect(retained.metadata.annotations).toBeUndefined();
  });

  test('RBD parameters: driver, clusterID, pool, CSI secrets, ext4, expansion; no dependency on a running cluster', () => {
    const sc = out.one('StorageClass', 'ceph-block-retain');
    expect(sc.provisioner).toBe('rook-ceph.rbd.csi.ceph.com');
    expect(sc.allowVolumeExpansion).toBe(true);
    expect(sc.metadata.namespace).toBeUndefined();
    expect(sc.parameters).toEqual({
      clusterID: 'rook-ceph',
      pool: 'replicapool',
      imageFormat: '2',
      imageFeatures: 'layering',
      'csi.storage.k8s.io/provisioner-secret-name': 'rook-csi-rbd-provisioner',
      'csi.storage.k8s.io/provisioner-secret-namespace': 'rook-ceph',
      'csi.storage.k8s.io/controller-expand-secret-name': 'rook-csi-rbd-provisioner',
      'csi.storage.k8s.io/controller-expand-secret-namespace': 'rook-ceph',
      'csi.storage.k8s.io/node-stage-secret-name': 'rook-csi-rbd-node',
      'csi.storage.k8s.io/node-stage-secret-namespace': 'rook-ceph',
      'csi.storage.k8s.io/fstype': 'ext4',
    });
    expect(sc.metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBeUndefined();
  });

  test('configured names and pools', () => {
    const config = storageConfig({
      pools: { replicapool: {}, databases: {} },
      classes: { general: { name: 'block' }, retained: { name: 'block-keep', pool: 'databases' } },
    });
    const custom = synth(threeHosts(), config);
    expect(custom.chart.storageClasses.retained).toEqual({ name: 'block-keep', reclaimPolicy: 'Retain' });
    expect(custom.one('StorageClass', 'block-keep').parameters.pool).toBe('databases');
    expect(custom.one('CephBlockPool', 'databases').spec.replicated.size).toBe(3);
  });

  test('a VolumeSnapshotClass for RBD', () => {
    expect(out.one('VolumeSnapshotClass')).toMatchObject({
      apiVersion: 'snapshot.storage.k8s.io/v1',
      metadata: { name: 'ceph-block-snapshot' },
      driver: 'rook-ceph.rbd.csi.ceph.com',
      deletionPolicy: 'Delete',
      parameters: { clusterID: 'rook-ceph', 'csi.storage.k8s.io/snapshotter-secret-name': 'rook-csi-rbd-provisioner' },
    });
  });

  test('declaredStorageClasses: the two Rook classes, or the external ones when Rook is off', () => {
    expect(declaredStorageClasses(storageConfig())).toEqual([
      { name: 'ceph-block', reclaimPolicy: 'Delete', isDefault: true },
      { name: 'ceph-block-retain', reclaimPolicy: 'Retain', isDefault: false },
    ]);
    expect(declaredStorageClasses(storageConfig({ rook: false, external: [{ name: 'local-path', reclaimPolicy: 'Delete', default: true }] }))).toEqual([
      { name: 'local-path', reclaimPolicy: 'Delete', isDefault: true },
    ]);
  });
});

describe('ordering and safety', () => {
  const out = synth(singleHost());
  const wave = (d: any) => Number(d.metadata.annotations['argocd.argoproj.io/sync-wave']);

  test('the namespace allows what Rook needs, says why, and is never pruned', () => {
    const ns = out.one('Namespace', 'rook-ceph');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(ns.metadata.annotations['platform.campus/pod-security-reason']).toMatch(/^Ceph OSDs run privileged on raw block devices/);
    expect(ns.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
  });

  test('CephCluster and pools: after the operator, never pruned or deleted, applied before their CRDs exist', () => {
    const operator = out.one('Application', 'rook-ceph');
    for (const d of [out.one('CephCluster'), ...out.all('CephBlockPool')]) {
      expect(d.metadata.annotations['argocd.argoproj.io/sync-options']).toBe(PROTECTED);
      expect(wave(d)).toBeGreaterThan(wave(operator));
      expect(wave(d)).toBeGreaterThan(wave(out.one('Application', 'ceph-csi-drivers')));
    }
  });

  test('no cleanup-policy confirmation is ever synthesized', () => {
    expect(JSON.stringify(out.docs)).not.toContain('yes-really-destroy-data');
    expect(out.one('CephCluster').spec.cleanupPolicy).toBeUndefined();
  });

  test('the operator: pinned rook-ceph chart with its CSI operator, never uninstalled by a commit', () => {
    const app = out.one('Application', 'rook-ceph');
    expect(app.metadata.namespace).toBe('argocd');
    expect(app.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    expect(app.spec.destination.namespace).toBe('rook-ceph');
    expect(app.spec.source).toMatchObject({
      repoURL: 'https://charts.rook.io/release',
      chart: 'rook-ceph',
      targetRevision: versions.charts['rook-ceph'].version,
    });
    expect(app.spec.source.helm.valuesObject).toMatchObject({ crds: { enabled: true }, csi: { installCsiOperator: true }, monitoring: { enabled: true } });
  });

  test("the CSI drivers: pinned ceph-csi-drivers chart with Rook's values, RBD only, snapshots on", () => {
    const app = out.one('Application', 'ceph-csi-drivers');
    expect(app.spec.source).toMatchObject({
      repoURL: 'https://ceph.github.io/ceph-csi-operator',
      chart: 'ceph-csi-drivers',
      targetRevision: versions.charts['ceph-csi-drivers'].version,
    });
    const values = app.spec.source.helm.valuesObject;
    expect(values.operatorConfig).toMatchObject({
      namespace: 'rook-ceph',
      driverSpecDefaults: { imageSet: { name: 'rook-csi-operator-image-set-configmap' } },
    });
    expect(values.drivers.rbd).toMatchObject({ enabled: true, name: 'rook-ceph.rbd.csi.ceph.com', snapshotPolicy: 'volumeSnapshot' });
    expect(values.drivers.rbd.nodePlugin.tolerations).toEqual([CONTROL_PLANE_TOLERATION]);
    expect([values.drivers.cephfs.enabled, values.drivers.nfs.enabled, values.drivers.nvmeof.enabled]).toEqual([false, false, false]);
  });

  test('the snapshot CRDs and controller come from a pinned chart, no later than the VolumeSnapshotClass', () => {
    const app = out.one('Application', 'snapshot-controller');
    expect(app.spec.source).toMatchObject({ chart: 'snapshot-controller', targetRevision: versions.charts['snapshot-controller'].version });
    expect(app.spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
    const wave = (o: any) => Number(o.metadata.annotations['argocd.argoproj.io/sync-wave']);
    expect(wave(app)).toBeLessThan(wave(out.one('VolumeSnapshotClass', 'ceph-block-snapshot')));
  });
});

describe('validation', () => {
  test('construct validations report inventory errors with field paths', () => {
    const hosts = inventory([{ name: 'a', cephDisks: ['vdb'] }, { name: 'b' }]);
    const { chart } = build(hosts, storageConfig({ hosts: ['a', 'b'], pools: { replicapool: { replicaSize: 3 } } }));
    expect(chart.node.validate()).toEqual([
      'cluster.hosts[0].cephDisks[0]: expected an absolute device path under /dev such as "/dev/vdb", found "vdb"',
      'storage.hosts[1]: expected a storage host with a disk, found "b" without cephDisks (add e.g. cephDisks: [/dev/vdb] to its cluster.hosts entry)',
      'storage.pools.replicapool.replicaSize: expected at most 2 (one copy per failure domain: 2 storage hosts, failure domain "host"), found 3',
    ]);
  });

  test('construct validations repeat the section rules for a config built in code', () => {
    const config = {
      ...storageConfig(),
      monCount: 2,
      classes: { general: { name: 'ceph-block', pool: 'replicapool' }, retained: { name: 'ceph-block-retain', pool: 'databases' } },
    };
    expect(build(threeHosts(), config).chart.node.validate()).toEqual([
      'storage.classes.retained.pool: expected a pool declared under storage.pools (replicapool), found "databases"',
      'storage.monCount: expected an odd number (monitors need a majority to form a quorum), found 2',
    ]);
  });

  test('a valid inventory has no validation errors', () => {
    expect(synth(threeHosts()).chart.node.validate()).toEqual([]);
  });
});

const haExample = path.join(__dirname, '..', 'examples', 'ha-cluster.yaml');
(fs.existsSync(haExample) ? test : test.skip)('examples/ha-cluster.yaml synthesizes and validates with zero findings', () => {
  const config = parseConfig(fs.readFileSync(haExample, 'utf8'), 'examples/ha-cluster.yaml');
  const out = synth(config.cluster.hosts, config.storage, config.monitoring.enabled);
  expect(out.chart.node.validate()).toEqual([]);
  expect(out.one('CephCluster').spec.mon.count).toBe(3);
  expect(validateDocuments(out.docs.map((object, index) => ({ file: `${index}.yaml`, index: 0, object })))).toEqual([]);
});
