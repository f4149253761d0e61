import { formatIssues } from '../config/format-issues';
import { storage } from '../config/schema/storage';
import { cephLayout, deviceName, formatStorageIssues, storageInventoryIssues } from '../lib/storage-rules';
import { configError, parsedConfig } from './helpers';
import { inventory, singleHost, storageConfig, threeHosts } from './rook-fixtures';

/** The `storage` section's own errors, as config errors print them. */
function storageErrors(raw: unknown): string[] {
  const result = storage.safeParse(raw, { reportInput: true });
  if (result.success) throw new Error('expected the storage section to be rejected');
  return formatIssues(storage, result.error.issues);
}

const inventoryErrors = (hosts: ReturnType<typeof inventory>, raw: unknown = {}) => formatStorageIssues(storageInventoryIssues({ hosts }, storageConfig(raw)));

describe('storage config', () => {
  test('defaults: Rook on, one pool, ceph-block and ceph-block-retain on it', () => {
    expect(parsedConfig().storage).toEqual({
      rook: true,
      allowMultipleMonsPerNode: false,
      pools: { replicapool: {} },
      classes: { general: { name: 'ceph-block', pool: 'replicapool' }, retained: { name: 'ceph-block-retain', pool: 'replicapool' } },
      external: [],
    });
  });

  test('an even mon count', () => {
    expect(configError((c) => (c.storage = { monCount: 2 }))).toBe(
      'config/platform.yaml: storage.monCount: expected an odd number (monitors need a majority to form a quorum), found 2\n' +
        'config/platform.yaml: storage.monCount: expected at most 1 (one monitor per storage host; set storage.allowMultipleMonsPerNode: true to run more), found 2',
    );
  });

  test('a pool referenced by a StorageClass that does not exist', () => {
    expect(storageErrors({ classes: { retained: { pool: 'databases' } } })).toEqual([
      'classes.retained.pool: expected a pool declared under storage.pools (replicapool), found "databases"',
    ]);
  });

  test('two classes with one name, the reserved pool name, external classes next to Rook', () => {
    expect(
      storageErrors({
        pools: { 'builtin-mgr': {} },
        classes: { general: { name: 'block', pool: 'builtin-mgr' }, retained: { name: 'block', pool: 'builtin-mgr' } },
      }),
    ).toEqual([
      'pools.builtin-mgr: expected another pool name ("builtin-mgr" holds Ceph\'s .mgr pool), found "builtin-mgr"',
      'classes.retained.name: expected a name different from classes.general.name, found "block"',
    ]);
    expect(storageErrors({ external: [{ name: 'local-path', reclaimPolicy: 'Delete' }] })).toEqual([
      'external: expected no external StorageClasses while storage.rook is true (Rook provides the classes), found a list (["local-path"])',
    ]);
  });

  test('without Rook: external classes, at most one default', () => {
    expect(storage.parse({ rook: false, external: [{ name: 'local-path', reclaimPolicy: 'Delete', default: true }] }).external).toEqual([
      { name: 'local-path', reclaimPolicy: 'Delete', default: true },
    ]);
    expect(
      storageErrors({
        rook: false,
        external: [
          { name: 'a', reclaimPolicy: 'Delete', default: true },
          { name: 'b', reclaimPolicy: 'Retain', default: true },
        ],
      }),
    ).toEqual(['external: expected at most one external StorageClass with default: true, found a list (["a","b"])']);
  });
});

describe('inventory checks (storageInventoryIssues)', () => {
  test('a valid inventory has none', () => {
    expect(inventoryErrors(singleHost())).toEqual([]);
    expect(inventoryErrors(threeHosts())).toEqual([]);
  });

  test('a disk path that is not an absolute /dev path', () => {
    const hosts = inventory([{ name: 'a', roles: ['control-plane', 'worker'], cephDisks: ['vdb', '/dev/../etc/passwd', '/var/disk.img'] }]);
    expect(inventoryErrors(hosts)).toEqual([
      'cluster.hosts[0].cephDisks[0]: expected an absolute device path under /dev such as "/dev/vdb", found "vdb"',
      'cluster.hosts[0].cephDisks[1]: expected an absolute device path under /dev such as "/dev/vdb", found "/dev/../etc/passwd"',
      'cluster.hosts[0].cephDisks[2]: expected an absolute device path under /dev such as "/dev/vdb", found "/var/disk.img"',
    ]);
  });

  test('a storage host without a disk, and one that is not in the inventory', () => {
    const hosts = inventory([{ name: 'a', cephDisks: ['/dev/vdb'] }, { name: 'b' }]);
    expect(inventoryErrors(hosts, { hosts: ['a', 'b', 'c'] })).toEqual([
      'storage.hosts[1]: expected a storage host with a disk, found "b" without cephDisks (add e.g. cephDisks: [/dev/vdb] to its cluster.hosts entry)',
      'storage.hosts[2]: expected a host from cluster.hosts (a, b), found "c"',
    ]);
  });

  test('no storage host at all while Rook is on', () => {
    expect(inventoryErrors(inventory([{ name: 'a' }]))).toEqual([
      'cluster.hosts: expected at least one host with cephDisks such as ["/dev/vdb"] while storage.rook is true, found none',
    ]);
    expect(inventoryErrors(inventory([{ name: 'a' }]), { rook: false })).toEqual([]);
  });

  test('a replica size above the number of failure domains', () => {
    expect(inventoryErrors(singleHost(), { pools: { replicapool: { replicaSize: 2 } } })).toEqual([
      'storage.pools.replicapool.replicaSize: expected at most 1 (one copy per failure domain: 1 storage host with 1 disk(s), failure domain "osd"), found 2',
    ]);
    expect(inventoryErrors(threeHosts(), { pools: { replicapool: { replicaSize: 4 } } })).toEqual([
      'storage.pools.replicapool.replicaSize: expected at most 3 (one copy per failure domain: 3 storage hosts, failure domain "host"), found 4',
    ]);
  });

  test('more mons than storage hosts, unless several per host are allowed', () => {
    expect(inventoryErrors(singleHost(), { monCount: 3 })).toEqual([
      'storage.monCount: expected at most 1 (one monitor per storage host; set storage.allowMultipleMonsPerNode: true to run more), found 3',
    ]);
    expect(inventoryErrors(singleHost(), { monCount: 3, allowMultipleMonsPerNode: true })).toEqual([]);
  });
});

describe('cephLayout', () => {
  test('device names as Rook wants them', () => {
    expect(deviceName('/dev/vdb')).toBe('vdb');
    expect(deviceName('/dev/disk/by-id/wwn-0x5000c500a1b2c3d4')).toBe('/dev/disk/by-id/wwn-0x5000c500a1b2c3d4');
  });

  test('counts follow the number of storage hosts', () => {
    const summary = (hosts: ReturnType<typeof inventory>, raw: unknown = {}) => {
      const l = cephLayout(hosts, storageConfig(raw));
      return { mons: l.monCount, mgrs: l.mgrCount, domain: l.failureDomain, size: l.defaultReplicaSize };
    };
    const n = (count: number) => inventory(Array.from({ length: count }, (_, i) => ({ name: `h${i}`, cephDisks: ['/dev/vdb'] })));
    expect(summary(n(1))).toEqual({ mons: 1, mgrs: 1, domain: 'osd', size: 1 });
    expect(summary(n(2))).toEqual({ mons: 1, mgrs: 2, domain: 'host', size: 2 });
    expect(summary(n(3))).toEqual({ mons: 3, mgrs: 2, domain: 'host', size: 3 });
    expect(summary(n(5))).toEqual({ mons: 3, mgrs: 2, domain: 'host', size: 3 });
    expect(summary(n(5), { monCount: 5 })).toEqual({ mons: 5, mgrs: 2, domain: 'host', size: 3 });
    expect(summary(n(3), { hosts: ['h0'] })).toEqual({ mons: 1, mgrs: 1, domain: 'osd', size: 1 });
  });
});
