/**
 * The object-level diff of two synthesized trees (`npm run diff`): which objects a change adds, removes or changes,
 * grouped the way Argo CD syncs them (a top folder of dist/: cluster, bootstrap, each environment; and within it a
 * folder per app or chart), with the fields that differ and the risk flags a reviewer should read first.
 *
 * Objects are matched by API group, kind, namespace and name (the upgrade check's identity: one object in the
 * cluster across API versions and files), so a file that moves is no change unless its content does.
 */
import { SourceDocument } from '../validate/document';
import { objectKey } from '../validate/upgrade-check';
import { FieldChange, fieldChanges } from './field-diff';
import { riskFlags, RiskFlag } from './risks';

export type ObjectStatus = 'added' | 'changed' | 'removed';

export interface ObjectChange {
  readonly status: ObjectStatus;
  /** `Kind namespace/name`, or `Kind name` for cluster-scoped objects. */
  readonly label: string;
  /** The file below the tree's root (`production/berkeleytime/20-berkeleytime/Deployment.backend.k8s.yaml`). */
  readonly file: string;
  readonly section: string;
  /** The folder below the section: an app of an environment, a chart folder of `cluster`. */
  readonly unit: string;
  /** For changed objects, every field that differs. */
  readonly fields: readonly FieldChange[];
}

export interface SectionDiff {
  readonly section: string;
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
  readonly objects: readonly ObjectChange[];
  readonly flags: readonly RiskFlag[];
}

export interface DiffReport {
  /** Sections with at least one change, sorted by name. */
  readonly sections: readonly SectionDiff[];
  /** Every flag, most severe category first. */
  readonly flags: readonly RiskFlag[];
  readonly unchanged: number;
}

/** A document of a tree, its file given relative to the tree's root (the folder that holds `production/`, …). */
export interface TreeDocument extends SourceDocument {
  readonly file: string;
}

export function diffTrees(before: readonly TreeDocument[], after: readonly TreeDocument[]): DiffReport {
  const old = index(before);
  const now = index(after);
  const changes: ObjectChange[] = [];
  let unchanged = 0;
  for (const [key, doc] of now) {
    const prev = old.get(key);
    if (!prev) changes.push(change('added', doc, []));
    else {
      const fields = fieldChanges(prev.object, doc.object);
      if (fields.length) changes.push(change('changed', doc, fields));
      else unchanged++;
    }
  }
  for (const [key, doc] of old) if (!now.has(key)) changes.push(change('removed', doc, []));
  const flags = riskFlags(before, after, (doc) => sectionOf(doc.file));
  const names = [...new Set([...changes.map((c) => c.section), ...flags.map((f) => f.section)])].sort(byText);
  const sections = names.map((section) => {
    const objects = changes.filter((c) => c.section === section).sort(compareChanges);
    const count = (status: ObjectStatus) => objects.filter((c) => c.status === status).length;
    return { section, added: count('added'), changed: count('changed'), removed: count('removed'), objects, flags: flags.filter((f) => f.section === section) };
  });
  return { sections, flags, unchanged };
}

/** `Kind namespace/name` or `Kind name`, as a reviewer reads it. */
export function objectLabel(object: any): string {
  const namespace = object?.metadata?.namespace;
  return `${object?.kind} ${typeof namespace === 'string' ? `${namespace}/` : ''}${object?.metadata?.name}`;
}

/** The top folder of a file (its section) and the folder below it (its unit); `.` for files at the root. */
export function sectionOf(file: string): { section: string; unit: string } {
  const parts = file.split('/');
  return { section: parts.length > 1 ? parts[0] : '.', unit: parts.length > 2 ? parts[1] : '.' };
}

function change(status: ObjectStatus, doc: TreeDocument, fields: FieldChange[]): ObjectChange {
  return { status, label: objectLabel(doc.object), file: doc.file, ...sectionOf(doc.file), fields };
}

/**
 * The first document of each object per section (a duplicate within one is the validator's finding). The key
 * includes the section because one object may be committed twice on purpose: Argo CD's settings and the root
 * Application live in `bootstrap/` (applied by the first host) and in `cluster/` (kept by the root sync).
 */
function index(docs: readonly TreeDocument[]): Map<string, TreeDocument> {
  const map = new Map<string, TreeDocument>();
  for (const doc of docs) {
    const object = objectKey(doc.object);
    const key = object === undefined ? undefined : `${sectionOf(doc.file).section} ${object}`;
    if (key !== undefined && !map.has(key)) map.set(key, doc);
  }
  return map;
}

const STATUS_ORDER: Record<ObjectStatus, number> = { removed: 0, changed: 1, added: 2 };

function compareChanges(a: ObjectChange, b: ObjectChange): number {
  return byText(a.unit, b.unit) || STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || byText(a.label, b.label);
}

/** Ordinal order, whatever the locale. */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
