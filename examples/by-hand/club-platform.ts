/**
 * A team's own cdk8s app, written in TypeScript against the package entry with no YAML config: the
 * cluster's storage and entry point, and the club's database and cache. Every tier here takes flat
 * props with defaults and is wired to the others by reference (the namespaces chart, the storage
 * classes). `test/examples-by-hand.test.ts` synthesizes and validates it.
 */
import { App } from 'cdk8s';
import { DataTier, EdgeTier, Namespaces, RookStorage } from '../../index';

export function clubPlatform(): App {
  const app = new App();
  const namespaces = new Namespaces(app);
  // Ceph on the one machine's spare disk: one monitor, one copy of each object (it warns about that).
  const storage = new RookStorage(app, '20-storage', {
    namespaces,
    hosts: [{ name: 'radio-1', roles: ['control-plane', 'worker'], cephDisks: ['/dev/vdb'] }],
  });
  // Envoy Gateway behind the node ports, a Let's Encrypt certificate for the club's host.
  new EdgeTier(app, '30-edge', {
    namespaces,
    hosts: ['radio-club.example'],
    previewDomains: [],
    tls: { acmeEmail: 'webmaster@radio-club.example' },
  });
  namespaces.add('club', { protect: true });
  new DataTier(app, '10-club-data', {
    app: 'club',
    namespace: 'club',
    storageClass: storage.storageClasses.retained,
    postgres: { database: 'club', storage: '5Gi', backups: { restoreDrill: { enabled: true } } },
    redis: { maxMemory: '128mb' },
  });
  return app;
}
