/**
 * Schema of `storage`: Rook-Ceph block storage on the hosts' `cephDisks`, the StorageClasses
 * it provides, and the classes that exist without it. Also the Ceph layout derived from the
 * inventory and the checks that need both `cluster.hosts` and `storage` (called from the root
 * schema and again by the RookStorage construct).
 */
import { z } from 'zod';
import type { StorageClassRef } from '../../lib/contracts';
import { describeValue, formatPath } from '../format-issues';
import type { HostConfig } from './cluster';

/** What the storage rules read of a host. */
export type StorageHostInput = Pick<HostConfig, 'name' | 'cephDisks'>;
import { dnsLabel, integer } from './primitives';

/** StorageClass names are DNS subdomains. */
const className = () =>
  z.string({ error: 'expected a string' }).regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    error: 'expected a StorageClass name (lowercase letters, digits, "-" and ".")',
  });

export const DEFAULT_POOL = 'replicapool';
/** CephBlockPool object name of Ceph's own `.mgr` pool; not available for a configured pool. */
export const MGR_POOL_OBJECT = 'builtin-mgr';

const rbdClass = (name: string) =>
  z.strictObject({ name: className().default(name), pool: dnsLabel().default(DEFAULT_POOL) }).default({ name, pool: DEFAULT_POOL });

const pool = z.strictObject({
  /** Copies of each object. @default - min(3, storage hosts); 1 on a single host */
  replicaSize: integer({ min: 1, max: 7 }).optional(),
});

const externalClass = z.strictObject({
  name: className(),
  reclaimPolicy: z.enum(['Retain', 'Delete'], { error: 'expected "Retain" or "Delete"' }),
  /** Whether it is the cluster's default StorageClass. */
  default: z.boolean().default(false),
});

const sectionFields = z.strictObject({
  /** Rook-Ceph on the hosts' `cephDisks`. */
  rook: z.boolean().default(true),
  /** Hosts whose `cephDisks` Ceph uses. @default - every host that lists cephDisks */
  hosts: z.array(dnsLabel()).optional(),
  /** Ceph monitors. @default - 1 on one or two storage hosts, 3 on three or more */
  monCount: integer({ min: 1, max: 9 }).optional(),
  /** Let several monitors share a host (survives daemon crashes, not host loss). */
  allowMultipleMonsPerNode: z.boolean().default(false),
  /** Replicated RBD pools by name. */
  pools: z.record(dnsLabel(), pool).default({ [DEFAULT_POOL]: {} }),
  /** The two RBD StorageClasses: `general` (cluster default, Delete) and `retained` (Retain, for databases). */
  classes: z
    .strictObject({ general: rbdClass('ceph-block'), retained: rbdClass('ceph-block-retain') })
    .default({ general: { name: 'ceph-block', pool: DEFAULT_POOL }, retained: { name: 'ceph-block-retain', pool: DEFAULT_POOL } }),
  /** StorageClasses that exist in the cluster without Rook (only with `rook: false`). */
  external: z.array(externalClass).default([]),
});

export const storage = sectionFields.superRefine((s, ctx) => {
  for (const i of sectionIssues(s)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message, input: i.input });
});

/** Rules within the section; paths relative to `storage`. Shared by the schema and the construct. */
function sectionIssues(s: z.output<typeof sectionFields>): (StorageIssue & { input: unknown })[] {
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

export type StorageConfig = z.infer<typeof storage>;

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
export function storageHosts(hosts: readonly StorageHostInput[], storage: StorageConfig): StorageHost[] {
  const selected = hosts.map((h, index) => ({ h, index })).filter(({ h }) => (storage.hosts ? storage.hosts.includes(h.name) : h.cephDisks.length > 0));
  return selected.map(({ h, index }) => ({ name: h.name, index, disks: h.cephDisks, devices: h.cephDisks.map(deviceName) }));
}

/** Mon, mgr and replica counts from the number of storage hosts, overridden by the config. */
export function cephLayout(hosts: readonly StorageHostInput[], storage: StorageConfig): CephLayout {
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
      .sort(([a], [b]) => a.localeCompare(b))
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
export function storageHostIssues(hosts: readonly StorageHostInput[], storage: StorageConfig, opts: { section?: boolean } = {}): StorageIssue[] {
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
export function storageInventoryIssues(cluster: { readonly hosts: readonly HostConfig[] }, storage: StorageConfig): StorageIssue[] {
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
export function declaredStorageClasses(storage: StorageConfig): DeclaredStorageClass[] {
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
