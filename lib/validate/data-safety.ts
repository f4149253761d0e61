/**
 * Data that is lost or exposed, found in any tree, as the seed projects shipped it: a Postgres
 * whose data directory is not on a persistent volume, a database volume on a StorageClass that
 * deletes it with its claim, a database reachable from outside its namespace (a NodePort, a
 * LoadBalancer, a route), and a Ceph pool that wants more copies than it has failure domains.
 */
import { dataServiceExposure } from '../exposure';
import { childPath, finding, Finding, namespaceOf, SourceDocument } from './document';
import { containersOf, isKind, PodTemplate, podTemplates } from './workloads';

/** Images of databases: the official ones and their common repackagings. */
const DATABASE_IMAGE = /(^|\/)(postgres|postgresql|postgis|timescaledb|mysql|mariadb|mongo|mongodb|redis|valkey|elasticsearch)(:|@|$)/;
const POSTGRES_IMAGE = /(^|\/)(postgres|postgresql|postgis|timescaledb)(:|@|$)/;
/** The official image's data directory when PGDATA is unset (the image's default before 18; 18 moved it under /var/lib/postgresql). */
const DEFAULT_PGDATA = (image: string) => (/:(1[89]|[2-9]\d)(\.|-|$)/.test(image) ? '/var/lib/postgresql' : '/var/lib/postgresql/data');

/** Servers run in long-lived workloads; a Job's postgres image is a client (pg_dump, psql). */
const SERVER_KINDS = ['StatefulSet', 'Deployment', 'DaemonSet', 'ReplicaSet', 'Pod'];
const runsServer = (container: any) =>
  !Array.isArray(container.command) ||
  ['postgres', 'docker-entrypoint.sh', 'redis-server', 'mysqld', 'mongod'].includes(String(container.command[0]).split('/').pop()!);

export function checkDataSafety(docs: readonly SourceDocument[]): Finding[] {
  const templates = podTemplates(docs).filter((t) => SERVER_KINDS.includes(t.doc.object.kind));
  return [...postgresDataDirectories(templates), ...deleteClassVolumes(docs, templates), ...exposedDatabases(docs, templates), ...cephPoolSizes(docs)];
}

const isDatabase = (container: any) => typeof container?.image === 'string' && DATABASE_IMAGE.test(container.image.split('@')[0]) && runsServer(container);

/** Volume name → `pvc` (a claim), `emptyDir`, or another source, for one pod template. */
function volumeKinds(template: PodTemplate): Map<string, string> {
  const kinds = new Map<string, string>();
  for (const v of template.spec.volumes ?? [])
    kinds.set(v.name, v.persistentVolumeClaim ? 'pvc' : v.emptyDir ? 'emptyDir' : v.ephemeral ? 'ephemeral' : 'other');
  for (const claim of template.doc.object.spec?.volumeClaimTemplates ?? []) kinds.set(claim.metadata?.name, 'pvc');
  return kinds;
}

function postgresDataDirectories(templates: readonly PodTemplate[]): Finding[] {
  const findings: Finding[] = [];
  for (const template of templates) {
    const kinds = volumeKinds(template);
    for (const { container, path } of containersOf(template)) {
      if (typeof container.image !== 'string' || !POSTGRES_IMAGE.test(container.image) || !runsServer(container)) continue;
      const pgdata = (container.env ?? []).find((e: any) => e?.name === 'PGDATA')?.value ?? DEFAULT_PGDATA(container.image);
      // The mount that holds the data directory: the longest mount path that is a prefix of it.
      const mount = (container.volumeMounts ?? [])
        .filter((m: any) => typeof m?.mountPath === 'string' && (pgdata === m.mountPath || pgdata.startsWith(`${m.mountPath.replace(/\/$/, '')}/`)))
        .sort((a: any, b: any) => b.mountPath.length - a.mountPath.length)[0];
      const kind = mount ? kinds.get(mount.name) : undefined;
      if (kind !== 'pvc') {
        const where = mount
          ? `${mount.mountPath} is a${kind === 'emptyDir' ? 'n emptyDir' : ` ${kind ?? 'missing'} volume`}`
          : `no volume is mounted at or above it`;
        findings.push(
          finding(
            template.doc,
            childPath(path, 'volumeMounts'),
            `Postgres keeps its data in ${pgdata} (PGDATA), but ${where}: the database is lost when the pod is replaced; mount a PersistentVolumeClaim there`,
          ),
        );
      }
    }
  }
  return findings;
}

function deleteClassVolumes(docs: readonly SourceDocument[], templates: readonly PodTemplate[]): Finding[] {
  const deleting = new Set(
    docs.filter((d) => isKind(d, 'storage.k8s.io', 'StorageClass') && (d.object.reclaimPolicy ?? 'Delete') === 'Delete').map((d) => d.object.metadata?.name),
  );
  const claims = new Map(docs.filter((d) => isKind(d, '', 'PersistentVolumeClaim')).map((d) => [`${namespaceOf(d.object)}/${d.object.metadata?.name}`, d]));
  const findings: Finding[] = [];
  for (const template of templates) {
    if (!containersOf(template).some(({ container }) => isDatabase(container))) continue;
    (template.doc.object.spec?.volumeClaimTemplates ?? []).forEach((claim: any, i: number) => {
      const cls = claim.spec?.storageClassName;
      if (deleting.has(cls)) {
        findings.push(
          finding(
            template.doc,
            childPath(childPath(childPath('spec.volumeClaimTemplates', i), 'spec'), 'storageClassName'),
            `database volume on StorageClass "${cls}", whose reclaimPolicy Delete destroys the data with the claim; use a class with reclaimPolicy Retain`,
          ),
        );
      }
    });
    for (const volume of template.spec.volumes ?? []) {
      const claim = volume.persistentVolumeClaim && claims.get(`${template.namespace}/${volume.persistentVolumeClaim.claimName}`);
      const cls = claim?.object.spec?.storageClassName;
      if (claim && deleting.has(cls)) {
        findings.push(
          finding(
            claim,
            'spec.storageClassName',
            `database volume (used by ${template.doc.object.kind} ${template.doc.object.metadata?.name}) on StorageClass "${cls}", whose reclaimPolicy Delete destroys the data with the claim; use a class with reclaimPolicy Retain`,
          ),
        );
      }
    }
  }
  return findings;
}

/** The exposure rules of lib/exposure.ts, with every database pod's Services as the protected ones. */
function exposedDatabases(docs: readonly SourceDocument[], templates: readonly PodTemplate[]): Finding[] {
  const databasePods = templates.filter((t) => containersOf(t).some(({ container }) => isDatabase(container)));
  const services = docs.filter((d) => isKind(d, '', 'Service') && d.object.spec?.selector && Object.keys(d.object.spec.selector).length);
  const protectedServices = services
    .filter((s) =>
      databasePods.some((t) => t.namespace === namespaceOf(s.object) && Object.entries(s.object.spec.selector).every(([k, v]) => t.labels[k] === v)),
    )
    .map((s) => ({ namespace: namespaceOf(s.object), name: s.object.metadata?.name, selector: s.object.spec.selector }));
  if (!protectedServices.length) return [];
  const byObject = new Map(docs.map((d) => [d.object, d]));
  return dataServiceExposure(
    docs.map((d) => d.object),
    protectedServices,
  ).map((e) => finding(byObject.get(e.object)!, '', e.message));
}

/** A replicated pool wants `size` copies on distinct failure domains; with fewer, Ceph never gets healthy. */
function cephPoolSizes(docs: readonly SourceDocument[]): Finding[] {
  const clusters = docs.filter((d) => isKind(d, 'ceph.rook.io', 'CephCluster'));
  const findings: Finding[] = [];
  for (const pool of docs.filter((d) => isKind(d, 'ceph.rook.io', 'CephBlockPool'))) {
    const size = pool.object.spec?.replicated?.size;
    const domain = pool.object.spec?.failureDomain ?? 'host';
    const cluster = clusters.find((c) => namespaceOf(c.object) === namespaceOf(pool.object));
    const nodes = cluster?.object.spec?.storage?.useAllNodes === false ? (cluster.object.spec.storage.nodes ?? []) : undefined;
    if (typeof size !== 'number' || domain !== 'host' || nodes === undefined) continue;
    if (size > nodes.length) {
      findings.push(
        finding(
          pool,
          'spec.replicated.size',
          `${size} copies on distinct hosts, but the CephCluster stores data on ${nodes.length} host(s): the pool never becomes healthy and writes block; use size ${nodes.length || 1} or add storage hosts`,
        ),
      );
    }
  }
  return findings;
}
