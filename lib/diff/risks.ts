/**
 * Risk flags of a diff: what a reviewer must read before merging, each with a stable id and a one-line reason.
 *
 * - data-loss and refused come from the validator's upgrade check (lib/validate/upgrade-check.ts), so that
 *   `npm run diff` and `npm run validate -- --against` never disagree on what the API server refuses or what a
 *   prune destroys;
 * - exposure (risks-exposure.ts) and security (risks-security.ts) compare each object's two versions;
 * - versions: image and chart changes.
 */
import { SourceDocument } from '../validate/document';
import { objectKey, removedDataObjects, upgradeRisks } from '../validate/upgrade-check';
import { containersByName, hostnamesOf, ObjectPair, ObjectRule, podSpecOf, Risk, TreeFacts } from './objects';
import { exposureRisks } from './risks-exposure';
import { securityRisks } from './risks-security';

export const CATEGORIES = ['data-loss', 'refused', 'exposure', 'security', 'versions'] as const;
export type RiskCategory = (typeof CATEGORIES)[number];

export interface RiskFlag {
  readonly category: RiskCategory;
  /** Stable, e.g. `data-loss:pruned` or `exposure:node-port`. */
  readonly id: string;
  readonly section: string;
  readonly unit: string;
  /** `Kind namespace/name` of the object the flag is about. */
  readonly object: string;
  readonly reason: string;
}

const OBJECT_RULES: readonly ObjectRule[] = [...exposureRisks, ...securityRisks, imageVersions, chartVersions];

export function riskFlags(
  before: readonly SourceDocument[],
  after: readonly SourceDocument[],
  sectionOf: (doc: SourceDocument) => { section: string; unit: string },
): RiskFlag[] {
  const flags: RiskFlag[] = [];
  const place = (doc: SourceDocument, category: RiskCategory, id: string, reason: string) =>
    flags.push({ category, id, ...sectionOf(doc), object: label(doc.object), reason });
  // One flag per object and rule: a selector with four labels is one refused update, not four.
  const refused = new Map<string, { doc: SourceDocument; id: string; messages: string[] }>();
  for (const risk of upgradeRisks(before, after)) {
    if (risk.kind === 'data-loss') {
      place(risk.doc, 'data-loss', 'data-loss:pruned', risk.message);
      continue;
    }
    const id = risk.path === 'apiVersion' ? 'refused:api-version' : 'refused:immutable';
    const key = `${objectKey(risk.doc.object)} ${id}`;
    if (!refused.has(key)) refused.set(key, { doc: risk.doc, id, messages: [] });
    refused.get(key)!.messages.push(risk.message);
  }
  for (const { doc, id, messages } of refused.values()) {
    const more = messages.length > 1 ? `; and ${messages.length - 1} more field${messages.length > 2 ? 's' : ''}` : '';
    place(doc, 'refused', id, `${messages.sort()[0]}${more}`);
  }
  for (const removed of removedDataObjects(before, after).filter((r) => r.pruneProtected)) {
    const holds = removed.holds ? ` (it holds ${removed.holds})` : claimsOf(removed.doc.object);
    const reason = `removed from the manifests${holds}: Prune=false keeps it and its data in the cluster, no longer managed by Argo CD; back it up and delete it by hand, or keep it in the config`;
    place(removed.doc, 'data-loss', 'data-loss:removed-kept', reason);
  }
  const pairs = new Map<string, { prev?: SourceDocument; next?: SourceDocument }>();
  for (const doc of before) {
    const key = objectKey(doc.object);
    if (key !== undefined && !pairs.has(key)) pairs.set(key, { prev: doc });
  }
  for (const doc of after) {
    const key = objectKey(doc.object);
    if (key === undefined || pairs.get(key)?.next) continue;
    pairs.set(key, { ...pairs.get(key), next: doc });
  }
  const trees: TreeFacts = {
    oldHostnames: new Set(before.flatMap((d) => hostnamesOf(d.object))),
    newNamespaces: namespaces(after),
    oldNamespaces: namespaces(before),
    oldIsolation: isolation(before),
  };
  for (const { prev, next } of pairs.values()) {
    for (const rule of OBJECT_RULES) {
      for (const risk of rule({ prev: prev?.object, next: next?.object, trees })) {
        place((next ?? prev)!, risk.id.split(':')[0] as RiskCategory, risk.id, risk.reason);
      }
    }
  }
  const order = (f: RiskFlag) => CATEGORIES.indexOf(f.category);
  return flags.sort((a, b) => order(a) - order(b) || cmp(a.section, b.section) || cmp(a.object, b.object) || cmp(a.id, b.id) || cmp(a.reason, b.reason));
}

/** ` (claims data)` for a StatefulSet's claim templates. */
function claimsOf(object: any): string {
  const names = (object?.spec?.volumeClaimTemplates ?? []).map((t: any) => t?.metadata?.name).filter(Boolean);
  return names.length ? ` (claims ${names.join(', ')})` : '';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function label(object: any): string {
  const namespace = object?.metadata?.namespace;
  return `${object?.kind} ${typeof namespace === 'string' ? `${namespace}/` : ''}${object?.metadata?.name}`;
}

/** The directions a policy isolates: its policyTypes, or Ingress (and Egress with egress rules) when unset, as the API defaults them. */
function policyDirections(policy: any): string[] {
  const types = policy?.spec?.policyTypes;
  if (Array.isArray(types)) return types;
  return ['Ingress', ...(policy?.spec?.egress ? ['Egress'] : [])];
}

function isolation(docs: readonly SourceDocument[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const d of docs) {
    if (d.object?.kind !== 'NetworkPolicy') continue;
    const ns = d.object.metadata?.namespace;
    out.set(ns, new Set([...(out.get(ns) ?? []), ...policyDirections(d.object)]));
  }
  return out;
}

function namespaces(docs: readonly SourceDocument[]): Set<string> {
  return new Set(docs.map((d) => d.object?.metadata?.namespace ?? (d.object?.kind === 'Namespace' ? d.object.metadata?.name : undefined)).filter(Boolean));
}

/** Changed images of containers that exist on both sides, one flag per object (a new container is in the field diff). */
function imageVersions({ prev, next }: ObjectPair): Risk[] {
  if (!prev || !next) return [];
  const old = containersByName(podSpecOf(prev));
  const moves = new Map<string, string[]>();
  for (const [name, container] of containersByName(podSpecOf(next))) {
    const from = old.get(name)?.image;
    if (from === undefined || from === container.image) continue;
    const move = imageMove(String(from), String(container.image));
    moves.set(move, [...(moves.get(move) ?? []), name]);
  }
  return [...moves].map(([move, names]) => ({ id: 'versions:image', reason: `${names.length > 1 ? 'containers' : 'container'} ${names.join(', ')}: ${move}` }));
}

/** `repo:1.0 → 1.1` when only the tag or digest changes, else both images whole. */
function imageMove(from: string, to: string): string {
  const split = (image: string) => {
    const at = image.search(/[@]|:[^/:]*$/);
    return at < 0 ? [image, ''] : [image.slice(0, at), image.slice(at)];
  };
  const [repo, tag] = split(from);
  const [repo2, tag2] = split(to);
  return repo === repo2 && tag && tag2 ? `${repo}${tag} → ${tag2.slice(1)}` : `${from} → ${to}`;
}

/** An Argo CD Application's chart version or repository (spec.source, or each of spec.sources, by chart name). */
function chartVersions({ prev, next }: ObjectPair): Risk[] {
  if (!prev || !next || next.kind !== 'Application' || !String(next.apiVersion).startsWith('argoproj.io/')) return [];
  const charts = (app: any) =>
    new Map<string, any>([app.spec?.source, ...(app.spec?.sources ?? [])].filter((s: any) => typeof s?.chart === 'string').map((s: any) => [s.chart, s]));
  const old = charts(prev);
  const risks: Risk[] = [];
  for (const [chart, source] of charts(next)) {
    const was = old.get(chart);
    if (was && (was.targetRevision !== source.targetRevision || was.repoURL !== source.repoURL)) {
      const repo = was.repoURL !== source.repoURL ? ` from ${source.repoURL} (was ${was.repoURL})` : '';
      risks.push({ id: 'versions:chart', reason: `chart ${chart} ${was.targetRevision} → ${source.targetRevision}${repo}: read the chart's upgrade notes` });
    }
  }
  return risks;
}
