/**
 * The test fixture platform (test/fixtures/berkeleytime.yaml) with its Postgres on CloudNativePG:
 * an object store off the cluster, the weekly restore drill, and the store's keys declared external.
 * Synthesized once per test file that asks for it.
 */
import * as path from 'path';
import { mutatedConfigText, synthesizeWithSecrets, tmpDir, treeObjects, writeConfig } from './helpers';

export const OBJECT_STORE = { endpoint: 'https://s3.backups.example.org:9000', bucket: 'berkeleytime-postgres', credentialsSecret: 'postgres-backup-s3' };

/** The fixture with `engine: cloudnative-pg` (the default, so the key is dropped) and `mutate` applied. */
export function cnpgConfigText(mutate: (cfg: any) => void = () => {}): string {
  return mutatedConfigText((cfg) => {
    const pg = cfg.apps.berkeleytime.data.postgres;
    delete pg.engine;
    delete pg.credentialsSecret;
    pg.objectStore = { ...OBJECT_STORE };
    pg.backups = { restoreDrill: { enabled: true } };
    const reason = 'keys of the off-site bucket (test)';
    cfg.secrets = {
      external: ['berkeleytime-production', 'berkeleytime-production-drill', 'berkeleytime-staging', 'berkeleytime-staging-drill'].map((ns) => ({
        secret: `${ns}/postgres-backup-s3`,
        reason,
      })),
    };
    mutate(cfg);
  });
}

export interface CnpgTree {
  readonly dist: string;
  readonly configFile: string;
  readonly objects: any[];
  readonly externalSecrets: readonly string[];
}

let cached: CnpgTree | undefined;

/** The CloudNativePG fixture synthesized (once per test file). */
export function cnpgTree(): CnpgTree {
  if (cached) return cached;
  const configFile = writeConfig(cnpgConfigText());
  const dist = path.join(tmpDir(), 'dist');
  const result = synthesizeWithSecrets({ configFile, outdir: dist });
  cached = { dist, configFile, objects: treeObjects(dist), externalSecrets: result.externalSecrets };
  return cached;
}
