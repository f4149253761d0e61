/**
 * The fields that differ between two versions of one object, as YAML paths with old and new values, for a reviewer.
 *
 * Lists whose items all carry a distinct `name` (containers, env, ports, volumes, claim templates) are matched by
 * name, the way a strategic merge patch matches them, so inserting a container shows as one added container rather
 * than every later index changing: `spec.template.spec.containers[backend].image`. Other lists are compared item by
 * item. Secret values are never shown: only that a key was added, changed or removed.
 */
import { childPath } from '../validate/document';

export interface FieldChange {
  readonly path: string;
  /** The old value as shown to a reviewer; undefined when the field is new. */
  readonly from?: string;
  /** The new value as shown to a reviewer; undefined when the field is gone. */
  readonly to?: string;
}

/** Values longer than this are cut: a diff is read, not applied. */
const MAX_VALUE = 80;
export const HIDDEN = '(secret value hidden)';

/** Paths below which values are secret: a Secret's data, a SealedSecret's encrypted data and its template's data. */
export function isSecretPath(object: any, path: string): boolean {
  const kind = object?.kind;
  const apiVersion = String(object?.apiVersion ?? '');
  if (kind === 'Secret' && apiVersion === 'v1') return /^(data|stringData)(\.|\[|$)/.test(path);
  if (kind === 'SealedSecret' && apiVersion.startsWith('bitnami.com/')) return /^spec\.(encryptedData|template\.data)(\.|\[|$)/.test(path);
  return false;
}

export function fieldChanges(before: any, after: any): FieldChange[] {
  const out: FieldChange[] = [];
  walk(before, after, '', (path, from, to) => {
    const secret = isSecretPath(after ?? before, path) || isSecretPath(before, path);
    if (!secret && typeof from === 'string' && typeof to === 'string' && (from.includes('\n') || to.includes('\n'))) {
      out.push(textChange(path, from, to));
      return;
    }
    out.push({
      path,
      ...(from === undefined ? {} : { from: secret ? HIDDEN : show(from) }),
      ...(to === undefined ? {} : { to: secret ? HIDDEN : show(to) }),
    });
  });
  return out;
}

/** A file held in a string (a ConfigMap key): where it first differs, and how long it is on each side. */
function textChange(path: string, from: string, to: string): FieldChange {
  const a = from.split('\n');
  const b = to.split('\n');
  let line = 0;
  while (line < a.length && line < b.length && a[line] === b[line]) line++;
  const at = (lines: string[]) => (line < lines.length ? cut(lines[line], MAX_VALUE - 30) : '(end)');
  return { path, from: `${a.length} lines; line ${line + 1}: ${at(a)}`, to: `${b.length} lines; line ${line + 1}: ${at(b)}` };
}

type Emit = (path: string, from: unknown, to: unknown) => void;

function walk(from: unknown, to: unknown, path: string, emit: Emit): void {
  if (equal(from, to)) return;
  // A mapping or list that appears or goes shows as its leaves, so that every path stays a YAML path.
  if (isMapping(from) || isMapping(to)) {
    if ((isMapping(from) || from === undefined) && (isMapping(to) || to === undefined)) {
      const a = (from ?? {}) as Record<string, unknown>;
      const b = (to ?? {}) as Record<string, unknown>;
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      for (const key of keys) walk(a[key], b[key], childPath(path, key), emit);
      return;
    }
  } else if (Array.isArray(from) || Array.isArray(to)) {
    if ((Array.isArray(from) || from === undefined) && (Array.isArray(to) || to === undefined)) {
      walkList((from ?? []) as unknown[], (to ?? []) as unknown[], path, emit);
      return;
    }
  }
  emit(path, from, to);
}

function walkList(from: unknown[], to: unknown[], path: string, emit: Emit): void {
  const a = namedItems(from);
  const b = namedItems(to);
  if (a && b) {
    const names = [...new Set([...a.keys(), ...b.keys()])];
    // In the new order, then the removed ones in their old order.
    names.sort((x, y) => rank(b, a, x) - rank(b, a, y));
    for (const name of names) item(a.get(name), b.get(name), `${path}[${name}]`, emit);
    return;
  }
  // Lists of scalars (access modes, verbs, hostnames) read best whole.
  if ([...from, ...to].every((item) => !isMapping(item) && !Array.isArray(item))) {
    emit(path, from.length ? from : undefined, to.length ? to : undefined);
    return;
  }
  for (let i = 0; i < Math.max(from.length, to.length); i++) item(from[i], to[i], childPath(path, i), emit);
}

/** A list item that comes or goes is one change (a new container is one line, not one per field). */
function item(from: unknown, to: unknown, path: string, emit: Emit): void {
  if (from === undefined || to === undefined) emit(path, from, to);
  else walk(from, to, path, emit);
}

function rank(primary: Map<string, unknown>, secondary: Map<string, unknown>, name: string): number {
  const order = [...primary.keys()].indexOf(name);
  return order >= 0 ? order : primary.size + [...secondary.keys()].indexOf(name);
}

/** The items by name when every item has a distinct one (`name`, or `metadata.name` for claim templates). */
function namedItems(list: unknown[]): Map<string, unknown> | undefined {
  if (list.length === 0) return new Map();
  const items = new Map<string, unknown>();
  for (const item of list) {
    const name = isMapping(item) ? (item.name ?? (isMapping(item.metadata) ? item.metadata.name : undefined)) : undefined;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.:/-]+$/.test(name) || items.has(name)) return undefined;
    items.set(name, item);
  }
  return items;
}

function isMapping(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function equal(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Strings bare (text of several lines by its size), other values as JSON, long values cut. */
export function show(value: unknown): string {
  if (typeof value === 'string') {
    if (value === '') return '""';
    const lines = value.split('\n').filter((line, i, all) => line !== '' || i < all.length - 1);
    if (lines.length > 1) return `(text of ${lines.length} lines) ${cut(lines[0], MAX_VALUE - 25)}`;
    return cut(value, MAX_VALUE);
  }
  return cut(JSON.stringify(value), MAX_VALUE);
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
