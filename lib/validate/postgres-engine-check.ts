/**
 * Upgrade rules of the Postgres engines (CloudNativePG's Cluster and the StatefulSet engine before it):
 *
 * - A namespace whose Postgres ran as a StatefulSet and now gets a new CloudNativePG `Cluster` that
 *   bootstraps empty (no `bootstrap.initdb.import`, no `bootstrap.recovery`): the apps would switch to an
 *   empty database. The migration path is an import from the old server, which stays running meanwhile.
 * - A Cluster whose operand image moves to another Postgres major without the annotation that asks for
 *   CloudNativePG's offline in-place upgrade (pg_upgrade): a major change must be chosen, never a pin bump.
 */
import { ANNOTATION } from '../labels';
import { namespaceOf, SourceDocument } from './document';
import { containersOf, isKind, podTemplates } from './workloads';

/** What upgrade-check.ts reports, without importing it (it imports this file). */
export interface EngineRisk {
  readonly kind: 'refused' | 'data-loss';
  readonly doc: SourceDocument;
  readonly path: string;
  readonly message: string;
}

const POSTGRES_IMAGE = /(^|\/)(postgres|postgresql|postgis|timescaledb)(:|@|$)/;
const isCluster = (d: SourceDocument) => isKind(d, 'postgresql.cnpg.io', 'Cluster');
const key = (d: SourceDocument) => `${namespaceOf(d.object)}/${d.object.metadata?.name}`;

/** The Postgres major of an image tag (`…/postgresql:17.6-system-trixie` → 17), when it names one. */
export function imageMajor(image: unknown): number | undefined {
  if (typeof image !== 'string') return undefined;
  const tag = /:([0-9]+)(\.|-|$)[^/]*$/.exec(image.split('@')[0]);
  return tag ? Number(tag[1]) : undefined;
}

export function postgresEngineRisks(before: readonly SourceDocument[], after: readonly SourceDocument[]): EngineRisk[] {
  return [...emptyClusterReplacingStatefulSet(before, after), ...majorChanges(before, after)];
}

function emptyClusterReplacingStatefulSet(before: readonly SourceDocument[], after: readonly SourceDocument[]): EngineRisk[] {
  const oldClusters = new Set(before.filter(isCluster).map(key));
  const servers = podTemplates(before).filter(
    (t) =>
      isKind(t.doc, 'apps', 'StatefulSet') &&
      (t.doc.object.spec?.volumeClaimTemplates ?? []).length > 0 &&
      containersOf(t).some(({ container }) => typeof container.image === 'string' && POSTGRES_IMAGE.test(container.image.split('@')[0])),
  );
  const risks: EngineRisk[] = [];
  for (const cluster of after.filter((d) => isCluster(d) && !oldClusters.has(key(d)))) {
    const namespace = namespaceOf(cluster.object);
    const server = servers.find((t) => t.namespace === namespace);
    const bootstrap = cluster.object.spec?.bootstrap ?? {};
    if (!server || bootstrap.initdb?.import || bootstrap.recovery || bootstrap.pg_basebackup) continue;
    const old = `StatefulSet ${namespace}/${server.doc.object.metadata?.name}`;
    risks.push({
      kind: 'data-loss',
      doc: cluster,
      path: 'spec.bootstrap',
      message:
        `Postgres moves from ${old} to the CloudNativePG Cluster ${key(cluster)}, which starts with an empty database: the apps would switch to it and the data stays behind; ` +
        `import it: set apps.<app>.data.postgres.importFromStatefulSet { user } (the Cluster bootstraps with bootstrap.initdb.import from the StatefulSet's Service, ` +
        `which keeps running; docs/restore.md "From the StatefulSet engine"), or keep engine: statefulset`,
    });
  }
  return risks;
}

function majorChanges(before: readonly SourceDocument[], after: readonly SourceDocument[]): EngineRisk[] {
  const old = new Map(before.filter(isCluster).map((d) => [key(d), d]));
  const risks: EngineRisk[] = [];
  for (const next of after.filter(isCluster)) {
    const prev = old.get(key(next));
    const [from, to] = [imageMajor(prev?.object.spec?.imageName), imageMajor(next.object.spec?.imageName)];
    if (from === undefined || to === undefined || from === to) continue;
    const declared = next.object.metadata?.annotations?.[ANNOTATION.postgresMajorUpgradeFrom];
    if (to > from && declared === String(from)) continue;
    risks.push({
      kind: 'refused',
      doc: next,
      path: 'spec.imageName',
      message:
        to < from
          ? `spec.imageName moves Cluster ${key(next)} from Postgres ${from} down to ${to}: no Postgres reads the data files of a newer major; keep majorVersion ${from}, or import into a new Cluster`
          : `spec.imageName moves Cluster ${key(next)} from Postgres ${from} to ${to} without an upgrade path: set apps.<app>.data.postgres.majorUpgradeFrom: ${from} ` +
            `(CloudNativePG then upgrades in place with pg_upgrade, offline; take a base backup first, docs/restore.md "Major upgrades"), or keep majorVersion ${from}`,
    });
  }
  return risks;
}
