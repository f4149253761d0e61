/**
 * The CEL rules of CRD schemas (`x-kubernetes-validations`), evaluated as the API server does on
 * create: each rule of a schema node runs with `self` bound to the value there, only where that
 * value is present; a false result is a finding with the rule's message and field path. The
 * evaluator is @marcbachmann/cel-js (standard CEL with its macros); of the Kubernetes CEL
 * libraries (https://kubernetes.io/docs/reference/using-api/cel/) the string functions
 * lowerAscii, upperAscii, trim, replace and split and the url and ip checks are added here, and
 * `has()` on a field of an indexed value is rewritten into a form the evaluator takes. A rule
 * that needs anything else (quantity, cidr, format, semver, authorizer) is reported as skipped,
 * never as passed; transition rules (`oldSelf`) apply only to updates and are not run.
 */
import { isIP } from 'net';
import { Environment } from '@marcbachmann/cel-js';
import { childPath, finding, Finding, groupVersion, SourceDocument } from './document';
import { SchemaStore } from './schema-store';

export interface CelReport {
  readonly findings: Finding[];
  /** Rules evaluated (each rule once per value it applies to). */
  readonly evaluated: number;
  /** Rules not evaluated, by reason. */
  readonly skipped: ReadonlyMap<string, number>;
  /** Transition rules (oldSelf): they apply to updates only. */
  readonly transitionRules: number;
}

interface Rule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
}

function environment(): Environment {
  const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
  // Registered only where the evaluator has no function of that name already.
  const str = (name: string, fn: (...args: string[]) => unknown, signature: string) => {
    try {
      env.registerFunction(signature.replace('NAME', name), fn as never);
    } catch {
      // the evaluator provides it
    }
  };
  str('lowerAscii', (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase()), 'string.NAME(): string');
  str('upperAscii', (s) => s.replace(/[a-z]/g, (c) => c.toUpperCase()), 'string.NAME(): string');
  str('trim', (s) => s.trim(), 'string.NAME(): string');
  str('replace', (s, a, b) => s.split(a).join(b), 'string.NAME(string, string): string');
  str('split', (s, sep) => s.split(sep), 'string.NAME(string): list<string>');
  str('isURL', (s) => absoluteUrl(s), 'NAME(string): bool');
  str('isIP', (s) => isIP(s) !== 0, 'NAME(string): bool');
  return env;
}

function absoluteUrl(s: string): boolean {
  try {
    return new URL(s).protocol.length > 1;
  } catch {
    return false;
  }
}

/** The schema of a mapping's field `key`: its property, else the schema of additional properties. */
function childSchema(schema: any, key: string): any {
  return schema?.properties?.[key] ?? (typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined);
}

/**
 * The value as the API server validates it: schema defaults filled in first (it defaults while
 * decoding, before any rule runs, so rules read defaulted fields without has()).
 */
function defaulted(value: unknown, schema: any): unknown {
  if (!schema || typeof schema !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => defaulted(v, schema.items));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = defaulted(v, childSchema(schema, k));
    for (const [k, sub] of Object.entries<any>(schema.properties ?? {})) {
      if (out[k] === undefined && sub?.default !== undefined) out[k] = defaulted(structuredClone(sub.default), sub);
    }
    return out;
  }
  return value;
}

/** Converts a JSON value to CEL's: integers (as the schema types them) become BigInt. */
function toCel(value: unknown, schema: any): unknown {
  if (typeof value === 'number') return schema?.type === 'integer' || (Number.isInteger(value) && schema?.type !== 'number') ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v, childSchema(schema, k))]));
  }
  return value;
}

/** Evaluates the CEL rules of every document whose kind is a served CRD version of `store`. */
export function checkCelRules(docs: readonly SourceDocument[], store: SchemaStore): CelReport {
  const env = environment();
  const compiled = new Map<string, ((ctx: object) => unknown) | { skip: string }>();
  const findings: Finding[] = [];
  const skipped = new Map<string, number>();
  let evaluated = 0;
  let transitionRules = 0;

  const program = (rule: string) => {
    let p = compiled.get(rule);
    if (!p) {
      try {
        const first = env.parse(rule);
        const rewritten = withBoundHasOperands(rule, first.ast);
        const parsed = rewritten === rule ? first : env.parse(rewritten);
        p = (ctx: object) => parsed(ctx);
      } catch (err) {
        p = { skip: unsupported(err) };
      }
      compiled.set(rule, p);
    }
    return p;
  };

  const visit = (doc: SourceDocument, schema: any, value: unknown, path: string) => {
    if (value === undefined || value === null || !schema || typeof schema !== 'object') return;
    for (const r of (schema['x-kubernetes-validations'] ?? []) as Rule[]) {
      if (/\boldSelf\b/.test(r.rule)) {
        transitionRules++;
        continue;
      }
      const p = program(r.rule);
      if (typeof p !== 'function') {
        skipped.set(p.skip, (skipped.get(p.skip) ?? 0) + 1);
        continue;
      }
      let result: unknown;
      try {
        result = p({ self: toCel(value, schema) });
      } catch (err) {
        const reason = unsupported(err);
        skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
        continue;
      }
      evaluated++;
      if (result !== true) {
        const where = r.fieldPath ? `${path}${r.fieldPath.startsWith('.') || r.fieldPath.startsWith('[') ? '' : '.'}${r.fieldPath}`.replace(/^\./, '') : path;
        findings.push(finding(doc, where, `${r.message ?? `failed the CRD's rule ${r.rule}`} (x-kubernetes-validations)`));
      }
    }
    if (Array.isArray(value)) value.forEach((item, i) => visit(doc, schema.items, item, childPath(path, i)));
    else if (typeof value === 'object') {
      for (const [key, child] of Object.entries(value as object)) {
        const sub = childSchema(schema, key);
        visit(doc, sub, child, childPath(path, key));
      }
    }
    for (const combinator of ['allOf', 'anyOf', 'oneOf'] as const) for (const sub of schema[combinator] ?? []) visit(doc, sub, value, path);
  };

  for (const doc of docs) {
    const { apiVersion, kind } = doc.object ?? {};
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') continue;
    const { group, version } = groupVersion(apiVersion);
    const crd = store.crds.get(`${group}/${version}/${kind}`);
    if (crd) visit(doc, crd.schema, defaulted(doc.object, crd.schema), '');
  }
  return { findings, evaluated, skipped, transitionRules };
}

interface AstNode {
  readonly op: string;
  readonly args: unknown;
  readonly start: number;
  readonly end: number;
}

const isNode = (x: unknown): x is AstNode => typeof x === 'object' && x !== null && typeof (x as AstNode).op === 'string';

/**
 * The evaluator refuses `has()` on a field of an indexed value (`has(self.matches[0].path)`, as
 * Gateway API's rules write it). Standard CEL reads that as: evaluate `self.matches[0]`, then test
 * its field; `cel.bind(__h0, self.matches[0], has(__h0.path))` says exactly that in a form the
 * evaluator takes. The rule's text is rewritten at those calls only (by the parser's positions).
 */
function withBoundHasOperands(rule: string, ast: unknown): string {
  const sites: { start: number; end: number; operand: AstNode; field: string }[] = [];
  // Operands are a node, or a list of nodes and names (unary operators hold a single node).
  const children = (node: AstNode): unknown[] => (Array.isArray(node.args) ? node.args : isNode(node.args) ? [node.args] : []);
  const indexed = (node: unknown): boolean => isNode(node) && (node.op === '[]' || children(node).some(indexed));
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isNode(node)) return;
    const args = node.args as unknown[];
    if (node.op === 'call' && args[0] === 'has' && Array.isArray(args[1]) && args[1].length === 1) {
      const arg = args[1][0];
      if (isNode(arg) && arg.op === '.' && Array.isArray(arg.args) && indexed(arg.args[0]) && typeof arg.args[1] === 'string') {
        sites.push({ start: node.start, end: node.end, operand: arg.args[0] as AstNode, field: arg.args[1] });
        return;
      }
    }
    children(node).forEach(walk);
  };
  walk(ast);
  let text = rule;
  sites
    .sort((a, b) => b.start - a.start)
    .forEach((site, i) => {
      const name = `__has${i}`;
      text = `${text.slice(0, site.start)}cel.bind(${name}, ${rule.slice(site.operand.start, site.operand.end)}, has(${name}.${site.field}))${text.slice(site.end)}`;
    });
  return text;
}

/** Why a rule could not be run: the function it needs, or the evaluator's own words. */
function unsupported(err: unknown): string {
  const message = (err as Error).message ?? String(err);
  const overload = /no matching overload for '([^'(]+)/.exec(message) ?? /[Uu]nknown (?:function|method)[^']*'([^']+)'/.exec(message);
  return overload ? `needs ${overload[1]}()` : `not supported by the evaluator (${message.split('\n')[0]})`;
}

/** `CEL rules: 123 evaluated, 4 skipped (needs quantity(): 3, …), 5 transition rules (updates only)`. */
export function formatCelSummary(report: CelReport): string {
  const skipped = [...report.skipped].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const total = skipped.reduce((n, [, c]) => n + c, 0);
  const details = skipped.length ? ` (${skipped.map(([reason, n]) => `${reason}: ${n}`).join('; ')})` : '';
  return `CEL rules of the CRDs: ${report.evaluated} evaluated, ${total} skipped${details}, ${report.transitionRules} transition rules (updates only)`;
}
