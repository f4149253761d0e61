/** Turns zod issues into `path: expected …, found …` lines a person can act on. */
import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';

type Issue = z.core.$ZodIssue & { input?: unknown };
type AnySchema = z.core.$ZodType;

// Shared with the rules in lib/ that report config problems themselves (lib/storage-rules.ts).
import { describeValue, formatPath } from '../lib/format';

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
  map: 'a mapping',
  bigint: 'an integer',
  date: 'a date',
};

/** Follows a path through wrappers, objects, records, arrays and unions to the schema there. */
function schemaAt(schema: AnySchema, path: readonly PropertyKey[]): AnySchema[] {
  let current: AnySchema[] = [schema];
  const unwrap = (s: AnySchema): AnySchema[] => {
    const def = s._zod.def as any;
    switch (def.type) {
      case 'optional':
      case 'default':
      case 'nullable':
      case 'prefault':
      case 'readonly':
      case 'catch':
        return unwrap(def.innerType);
      case 'pipe':
        return unwrap(def.in);
      case 'union':
        return def.options.flatMap(unwrap);
      default:
        return [s];
    }
  };
  current = current.flatMap(unwrap);
  for (const seg of path) {
    current = current.flatMap((s) => {
      const def = s._zod.def as any;
      if (def.type === 'object') return def.shape[seg as string] ? unwrap(def.shape[seg as string]) : [];
      if (def.type === 'record') return unwrap(def.valueType);
      if (def.type === 'array') return unwrap(def.element);
      return [];
    });
  }
  return current;
}

function knownKeys(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  return schemaAt(schema, path).flatMap((s) => ((s._zod.def as any).type === 'object' ? Object.keys((s._zod.def as any).shape) : []));
}

function expectedText(issue: Issue): string {
  if (issue.message.startsWith('expected')) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${ARTICLE[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `expected at least ${issue.minimum} item(s)`
        : issue.origin === 'string'
          ? `expected at least ${issue.minimum} character(s)`
          : `expected a number >= ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `expected at most ${issue.maximum} item(s)`
        : issue.origin === 'string'
          ? `expected at most ${issue.maximum} character(s)`
          : `expected a number <= ${issue.maximum}`;
    case 'invalid_union':
      return 'expected one of the allowed forms';
    // A record key that fails its own schema: report that schema's expectation.
    case 'invalid_key':
      return issue.issues[0] ? expectedText(issue.issues[0] as Issue) : 'expected a valid key';
    default:
      return `expected a valid value (${issue.message})`;
  }
}

/** One line per problem; unknown keys get one line each, with a "did you mean" hint. */
/**
 * `describe` says what was found; the secrets file passes one that never shows a string's text,
 * which may be key material.
 */
export function formatIssues(schema: AnySchema, issues: readonly Issue[], describe: (value: unknown) => string = describeValue): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, issue.path);
      for (const key of issue.keys) {
        const guess = known.length ? closest(key, known) : undefined;
        const hint = guess && distance(key, guess) <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${guess}"?)` : '';
        const expected = known.length ? `expected one of ${known.join(', ')}` : 'expected no such key';
        lines.push(`${formatPath([...issue.path, key])}: unknown key${hint}; ${expected}`);
      }
      continue;
    }
    // Cross-section checks may already say what they found.
    const found = 'input' in issue && !/, found .+$/.test(issue.message) ? `, found ${describe(issue.input)}` : '';
    lines.push(`${formatPath(issue.path)}: ${expectedText(issue)}${found}`);
  }
  return lines;
}
