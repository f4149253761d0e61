/** The hand-written TypeScript example (examples/by-hand/) synthesizes into manifests that validate. */
import { clubData } from '../examples/by-hand/club-data';
import { clubPlatform } from '../examples/by-hand/club-platform';
import { validateDocuments } from '../lib/validate/index';
import { drainWarnings, requiredSecretsOf, warningsOf } from '../lib/warnings';

test('examples/by-hand/club-data.ts synthesizes and validates with 0 findings (its Secret and StorageClass declared)', () => {
  const app = clubData();
  const docs = app.charts.flatMap((c) => c.toJson()).map((object, index) => ({ file: 'club-data', index, object }));
  expect(docs.map((d) => d.object.kind)).toEqual(expect.arrayContaining(['Namespace', 'StatefulSet', 'Deployment', 'CronJob', 'NetworkPolicy']));
  const findings = validateDocuments(docs, { declared: { secrets: ['club/postgres-credentials'], storageClasses: ['ceph-block-retain'] } });
  expect(findings.map((f) => `${f.document}: ${f.path}: ${f.message}`)).toEqual([]);
  expect(drainWarnings().map((w) => w.id)).toEqual(['platform:data:backupsOnCluster']);
});

test('examples/by-hand/club-platform.ts: storage, the entry point, logging, the data tier and the app composed by hand validate with 0 findings', () => {
  const app = clubPlatform();
  const docs = app.charts.flatMap((c) => c.toJson()).map((object, index) => ({ file: 'club-platform', index, object }));
  expect(docs.map((d) => d.object.kind)).toEqual(
    expect.arrayContaining([
      'CephCluster',
      'StorageClass',
      'Gateway',
      'Certificate',
      'StatefulSet',
      'Deployment',
      'HTTPRoute',
      'Job',
      'Elasticsearch',
      'Kibana',
    ]),
  );
  expect(requiredSecretsOf(app)).toEqual(['club/api-secrets', 'club/postgres-credentials', 'logging/kibana-basic-auth']);
  const findings = validateDocuments(docs, { declared: { secrets: requiredSecretsOf(app) } });
  expect(findings.map((f) => `${f.document}: ${f.path}: ${f.message}`)).toEqual([]);
  expect(warningsOf(app).map((w) => w.id)).toEqual(['platform:data:backupsOnCluster', 'platform:storage:singleReplica']);
  drainWarnings();
});
