/** Shared fixtures of the data tier tests: config as the loader returns it, and a synth helper. */
import { postgresImage } from '../charts/postgres';
import { App, Testing } from 'cdk8s';
import { DataTier, DataTierProps } from '../charts/data-tier';
import { app as appSchema, PostgresConfig, RedisConfig } from '../config/schema/app';
import { loadVersions } from '../config/versions';
import { PostgresEngine, StorageClassRef } from '../lib/contracts';

export const versions = loadVersions();
export const RETAIN: StorageClassRef = { name: 'ceph-block-retain', reclaimPolicy: 'Retain' };
export const DELETE: StorageClassRef = { name: 'ceph-block', reclaimPolicy: 'Delete' };
export const NAMESPACE = 'berkeleytime-production';

/** The `data` section as the config loader would return it (defaults applied). */
export function dataConfig(data: { postgres?: Record<string, unknown>; redis?: Record<string, unknown> }): { postgres?: PostgresConfig; redis?: RedisConfig } {
  return appSchema.parse({
    components: { backend: { image: 'registry.example.org/app/backend:1.0.0', port: 8000 } },
    environments: { production: { host: 'app.example.org' }, staging: { host: 'staging.example.org' } },
    data,
  }).data;
}

export const POSTGRES = {
  engine: PostgresEngine.STATEFULSET,
  majorVersion: 17,
  database: 'berkeleytime',
  storage: '20Gi',
  credentialsSecret: 'postgres-credentials',
};

export const requiredProps = (overrides: Partial<DataTierProps> = {}): DataTierProps => ({
  app: 'berkeleytime',
  namespace: NAMESPACE,
  ...dataConfig({ postgres: POSTGRES, redis: {} }),
  storageClass: RETAIN,
  backupStorageClass: RETAIN,
  postgresImage: postgresImage(versions, POSTGRES.majorVersion),
  redisImage: versions.images.redis,
  curlImage: versions.images.curl,
  ...overrides,
});

export function synthDataTier(overrides: Partial<DataTierProps> = {}, app: App = Testing.app()): { app: App; tier: DataTier; docs: any[] } {
  const tier = new DataTier(app, '10-berkeleytime-data', requiredProps(overrides));
  return { app, tier, docs: tier.toJson() };
}

export const find = (docs: any[], kind: string, name: string): any => {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name} in ${docs.map((d) => `${d.kind}/${d.metadata.name}`).join(', ')}`);
  return doc;
};

/** Containers of a pod spec in run order: init containers, then the main ones. */
export const containers = (podSpec: any): any[] => [...(podSpec.initContainers ?? []), ...podSpec.containers];
