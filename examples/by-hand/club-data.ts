/**
 * A team's own cdk8s app, written in TypeScript against the package entry with no YAML config: the
 * club's database and cache in their own namespace (club-platform.ts composes the whole platform).
 * `test/examples-by-hand.test.ts` synthesizes and validates it.
 */
import { App } from 'cdk8s';
import { DataTier, Namespaces, PostgresEngine } from '../../index';

export function clubData(): App {
  const app = new App();
  new Namespaces(app).add('club', { protect: true });
  new DataTier(app, '10-club-data', {
    app: 'club',
    namespace: 'club',
    // Everything else defaults: Postgres 17 (the pinned image), 10Gi on ceph-block-retain, Secret
    // postgres-credentials, nightly dumps kept on the cluster; a 256mb LRU cache.
    postgres: { engine: PostgresEngine.STATEFULSET, database: 'club', backups: { restoreDrill: { enabled: true } } },
    redis: {},
  });
  return app;
}
