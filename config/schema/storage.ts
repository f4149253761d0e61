/** Schema of `storage`: Rook-Ceph block storage and the StorageClasses volumes may name. */
import { z } from 'zod';

export const storage = z.strictObject({
  /** Rook-Ceph on the hosts' `cephDisks`. */
  rook: z.boolean().default(true),
});

export type StorageConfig = z.infer<typeof storage>;
