/**
 * The rules of block storage on the inventory: which hosts carry Ceph, the layout that follows
 * from them (monitors, managers, copies per object), the checks that need the hosts and the
 * storage settings together, and the StorageClasses volumes may name. Pure functions over plain
 * data, shared by the config schema (config/schema/storage.ts) and the RookStorage construct.
 */
import type { StorageClassRef } from './contracts';
import { describeValue, formatPath } from './format';
import { byOrdinal } from './order';

export const DEFAULT_POOL = 'replicapool';
/** CephBlockPool object name of Ceph's own `.mgr` pool; not available for a configured pool. */
export const MGR_POOL_OBJECT = 'builtin-mgr';

/** What the storage rules read of a host. */
export interface StorageHostInput {
  readonly name: string;
  readonly cephDisks: readonly string[];
}

/** The storage settings the rules read (config `storage`, or a RookStorage's props with their defaults). */
export interface StorageSection {
  readonly rook: boolean;
  readonly hosts?: readonly string[];
  readonly monCount?: number;
  readonly allowMultipleMonsPerNode: boolean;
  readonly pools: Readonly<Record<string, { readonly replicaSize?: number }>>;
  readonly classes: { readonly general: { readonly name: string; readonly pool: string }; readonly retained: { readonly name: string; readonly pool: string } };
  readonly external: readonly { readonly name: string; readonly reclaimPolicy: 'Retain' | 'Delete'; readonly default: boolean }[];
}

/** Rules within the section; paths relative to `storage`. Shared by the schema and the construct. */
export function sectionIssues(s: StorageSection): (StorageIssue & { input: unknown })[] {
  const out: (StorageIssue & { input: unknown })[] = [];
  const issue = (path: (string | number)[], message: string, input: unknown) => out.push({ path, message, input });
  const pools = Object.keys(s.pools);
  if (s.rook) {
    if (pools.length === 0) issue(['pools'], 'expected at least one pool', s.pools);
    if (pools.includes(MGR_POOL_OBJECT))
      issue(['pools', MGR_POOL_OBJECT], `expected another pool name ("${MGR_POOL_OBJECT}" holds Ceph's .mgr pool)`, MGR_POOL_OBJECT);
    for (const key of ['general', 'retained'] as const) {
      const ref = s.classes[key].pool;
      if (!pools.includes(ref)) issue(['classes', key, 'pool'], `expected a pool declared under storage.pools (${pools.join(', ') || 'none'})`, ref);
    }
    if (s.classes.general.name === s.classes.retained.name)
      issue(['classes', 'retained', 'name'], 'expected a name different from classes.general.name', s.classes.retained.name);
    if (s.monCount !== undefined && s.monCount % 2 === 0) issue(['monCount'], 'expected an odd number (monitors need a majority to form a quorum)', s.monCount);
    if (s.external.length)
      issue(
        ['external'],
        'expected no external StorageClasses while storage.rook is true (Rook provides the classes)',
        s.external.map((c) => c.name),
      );
  } else if (s.external.filter((c) => c.default).length > 1) {
    issue(
      ['external'],
      'expected at most one external StorageClass with default: true',
      s.external.filter((c) => c.default).map((c) => c.name),
    );
  }
  return out;
}

/** A host Ceph runs OSDs on, with the device names Rook expects (`vdb` for `/dev/vdb`). */
export interface StorageHost {
  readonly name: string;
  /** Index in `cluster.hosts`, for error paths. */
  readonly index: number;
  readonly disks: readonly string[];
  readonly devices: readonly string[];
}

export interface CephLayout {
  readonly hosts: readonly StorageHost[];
  readonly monCount: number;
  readonly mgrCount: number;
  /** `host` with two or more storage hosts, else `osd` (copies on different disks of the one host). */
  readonly failureDomain: 'host' | 'osd';
  /** How many failure domains exist: hosts, or the disks (OSDs) of the single host. */
  readonly failureDomains: number;
  /** Replica size of Ceph's own pools and the default of configured pools. */
  readonly defaultReplicaSize: number;
  readonly pools: readonly { readonly name: string; readonly replicaSize: number }[];
}

/** `/dev/vdb` → `vdb`; deeper paths (`/dev/disk/by-id/…`) stay whole, which Rook also accepts. */
export function deviceName(disk: string): string {
  return /^\/dev\/[^/]+$/.test(disk) ? disk.slice('/dev/'.length) : disk;
}

/** The storage hosts: those listed in `storage.hosts`, else every host with a Ceph disk. */
export function storageHosts(hosts: readonly StorageHostInput[], storage: StorageSection): StorageHost[] {
  const selected = hosts.map((h, index) => ({ h, index })).filter(({ h }) => (storage.hosts ? storage.hosts.includes(h.name) : h.cephDisks.length > 0));
  return selected.map(({ h, index }) => ({ name: h.name, index, disks: h.cephDisks, devices: h.cephDisks.map(deviceName) }));
}

/** Mon, mgr and replica counts from the number of storage hosts, overridden by the config. */
export function cephLayout(hosts: readonly StorageHostInput[], storage: StorageSection): CephLayout {
  const selected = storageHosts(hosts, storage);
  const n = selected.length;
  const failureDomain = n >= 2 ? 'host' : 'osd';
  const failureDomains = n >= 2 ? n : (selected[0]?.disks.length ?? 0);
  const defaultReplicaSize = n >= 2 ? Math.min(3, n) : 1;
  const monCount = storage.monCount ?? (n >= 3 || (n === 2 && storage.allowMultipleMonsPerNode) ? 3 : 1);
  return {
    hosts: selected,
    monCount,
    mgrCount: n >= 2 ? 2 : 1,
    failureDomain,
    failureDomains,
    defaultReplicaSize,
    pools: Object.entries(storage.pools)
      .sort(([a], [b]) => byOrdinal(a, b))
      .map(([name, p]) => ({ name, replicaSize: p.replicaSize ?? defaultReplicaSize })),
  };
}

/** A problem in the config, at a field path such as `['cluster', 'hosts', 0, 'cephDisks', 0]`. */
export interface StorageIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

const DEVICE_PATH = /^\/dev(\/[A-Za-z0-9._:+@-]+)+$/;
const isDevicePath = (disk: string) => DEVICE_PATH.test(disk) && !disk.split('/').some((seg) => seg === '.' || seg === '..');

/**
 * Checks that need the inventory and the storage section together. Each message says what
 * was expected and what was found, for `ctx.addIssue({ code: 'custom', path, message })`.
 */
export function storageHostIssues(hosts: readonly StorageHostInput[], storage: StorageSection, opts: { section?: boolean } = {}): StorageIssue[] {
  // The section's own checks: already reported by the schema for loaded configs, so the root
  // schema leaves them out; repeated for sections built in code.
  const issues: StorageIssue[] =
    opts.section === false
      ? []
      : sectionIssues(storage).map((i) => ({ path: ['storage', ...i.path], message: `${i.message}, found ${describeValue(i.input)}` }));
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  hosts.forEach((h, i) => {
    const seen = new Set<string>();
    h.cephDisks.forEach((disk, k) => {
      const path = ['cluster', 'hosts', i, 'cephDisks', k];
      if (!isDevicePath(disk)) add(path, `expected an absolute device path under /dev such as "/dev/vdb", found ${JSON.stringify(disk)}`);
      else if (seen.has(disk)) add(path, `expected each disk once per host, found ${JSON.stringify(disk)} twice on "${h.name}"`);
      seen.add(disk);
    });
  });
  if (!storage.rook) return issues;

  const names = hosts.map((h) => h.name);
  (storage.hosts ?? []).forEach((name, j) => {
    const host = hosts.find((h) => h.name === name);
    if (!host) add(['storage', 'hosts', j], `expected a host from cluster.hosts (${names.join(', ')}), found "${name}"`);
    else if (host.cephDisks.length === 0) {
      add(
        ['storage', 'hosts', j],
        `expected a storage host with a disk, found "${name}" without cephDisks (add e.g. cephDisks: [/dev/vdb] to its cluster.hosts entry)`,
      );
    }
  });
  const layout = cephLayout(hosts, storage);
  const n = layout.hosts.length;
  if (n === 0) {
    add(['cluster', 'hosts'], 'expected at least one host with cephDisks such as ["/dev/vdb"] while storage.rook is true, found none');
    return issues;
  }
  if (storage.monCount !== undefined && storage.monCount > n && !storage.allowMultipleMonsPerNode) {
    add(
      ['storage', 'monCount'],
      `expected at most ${n} (one monitor per storage host; set storage.allowMultipleMonsPerNode: true to run more), found ${storage.monCount}`,
    );
  }
  const domains = n >= 2 ? `${n} storage hosts, failure domain "host"` : `1 storage host with ${layout.failureDomains} disk(s), failure domain "osd"`;
  for (const p of layout.pools) {
    if (p.replicaSize > layout.failureDomains && storage.pools[p.name]?.replicaSize !== undefined) {
      add(
        ['storage', 'pools', p.name, 'replicaSize'],
        `expected at most ${layout.failureDomains} (one copy per failure domain: ${domains}), found ${p.replicaSize}`,
      );
    }
  }
  return issues;
}

/** The same checks for the root schema's superRefine: `(cluster, storage) => issues`. */
export function storageInventoryIssues(cluster: { readonly hosts: readonly StorageHostInput[] }, storage: StorageSection): StorageIssue[] {
  return storageHostIssues(cluster.hosts, storage, { section: false });
}

/** Issues as `path: message` lines, as config errors print them. */
export function formatStorageIssues(issues: readonly StorageIssue[]): string[] {
  return issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

/** A StorageClass that exists in the cluster, and whether it is the default one. */
export interface DeclaredStorageClass extends StorageClassRef {
  readonly isDefault: boolean;
}

/**
 * The classes volumes may name: Rook's two when `rook` is on (the general one is the default),
 * else the external classes the config declares.
 */
export function declaredStorageClasses(storage: StorageSection): DeclaredStorageClass[] {
  if (storage.rook) {
    return [
      { name: storage.classes.general.name, reclaimPolicy: 'Delete', isDefault: true },
      { name: storage.classes.retained.name, reclaimPolicy: 'Retain', isDefault: false },
    ];
  }
  return storage.external.map((c) => ({ name: c.name, reclaimPolicy: c.reclaimPolicy, isDefault: c.default }));
}

/**
 * Config check of `apps.<app>.data.postgres.storageClass` against the platform's StorageClasses,
 * as a zod issue message (`expected …`; the caller adds the path and `found`). Pure.
 */
export function checkPostgresStorageClass(postgres: { readonly storageClass?: string }, classes: readonly StorageClassRef[]): string | undefined {
  if (postgres.storageClass === undefined) return undefined;
  const chosen = classes.find((c) => c.name === postgres.storageClass);
  const retained = classes.filter((c) => c.reclaimPolicy === 'Retain').map((c) => `"${c.name}"`);
  const choice = retained.length ? `: ${retained.join(', ')}` : ' (the platform defines none)';
  if (!chosen) return `expected a StorageClass of the platform with reclaimPolicy Retain${choice}`;
  if (chosen.reclaimPolicy === 'Delete') {
    return `expected a StorageClass with reclaimPolicy Retain${choice} (with "${chosen.name}", reclaimPolicy Delete, a deleted claim would delete the database)`;
  }
  return undefined;
}
