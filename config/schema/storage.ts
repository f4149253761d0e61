/**
 * Schema of `storage`: Rook-Ceph block storage on the hosts' `cephDisks`, the StorageClasses
 * it provides, and the classes that exist without it. The Ceph layout derived from the inventory,
 * and the checks that need both `cluster.hosts` and `storage`, live in lib/storage-rules.ts: the
 * root schema and the RookStorage construct both call them.
 */
import { z } from 'zod';
import { DEFAULT_POOL, sectionIssues } from '../../lib/storage-rules';
import { STORAGE_DEFAULTS } from '../../lib/tier-defaults';
import { dnsLabel, integer } from './primitives';

/** StorageClass names are DNS subdomains. */
const className = () =>
  z.string({ error: 'expected a string' }).regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    error: 'expected a StorageClass name (lowercase letters, digits, "-" and ".")',
  });

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
  allowMultipleMonsPerNode: z.boolean().default(STORAGE_DEFAULTS.allowMultipleMonsPerNode),
  /** Replicated RBD pools by name. */
  pools: z.record(dnsLabel(), pool).default({ ...STORAGE_DEFAULTS.pools }),
  /** The two RBD StorageClasses: `general` (cluster default, Delete) and `retained` (Retain, for databases). */
  classes: z
    .strictObject({ general: rbdClass(STORAGE_DEFAULTS.classes.general.name), retained: rbdClass(STORAGE_DEFAULTS.classes.retained.name) })
    .default({ general: { ...STORAGE_DEFAULTS.classes.general }, retained: { ...STORAGE_DEFAULTS.classes.retained } }),
  /** StorageClasses that exist in the cluster without Rook (only with `rook: false`). */
  external: z.array(externalClass).default([]),
});

export const storage = sectionFields.superRefine((s, ctx) => {
  for (const i of sectionIssues(s)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message, input: i.input });
});

export type StorageConfig = z.infer<typeof storage>;
