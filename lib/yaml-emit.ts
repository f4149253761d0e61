/**
 * The YAML of one manifest, byte for byte what cdk8s's `Yaml.stringify` writes (the `yaml` package,
 * YAML 1.1, no line folding), several times faster: serialisation was half of a synthesis with
 * hundreds of previews (issue 18). The layout of maps and sequences is emitted here; every scalar
 * that is not plainly safe is serialised by the `yaml` package itself (memoised), multi-line map
 * values too (block scalars, re-indented to their key), and a manifest with anything this emitter
 * does not lay out (a multi-line sequence item, unusual keys, nested sequences) is handed to
 * `Yaml.stringify` whole.
 * test/yaml-emit.test.ts compares both on every object of the synthesized fixture and on
 * hostile scalars.
 */
import { Yaml } from 'cdk8s';

/** A string the `yaml` package writes plain in YAML 1.1: starts with a letter, `_` or `/`, no indicator or space. */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
/** Plain-looking words YAML 1.1 reads as booleans or null, which must stay quoted. */
const YAML11_WORDS = new Set(
  ['y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null'].flatMap((w) => [w, w.toUpperCase(), w[0].toUpperCase() + w.slice(1)]),
);

class Unsupported extends Error {}

const scalars = new Map<unknown, string>();

/** A scalar as the `yaml` package writes it at the top level (the same in a flow context for one line). */
function delegated(value: string | number): string {
  let text = scalars.get(value);
  if (text === undefined) {
    text = Yaml.stringify(value).replace(/\n$/, '');
    if (text.includes('\n')) throw new Unsupported();
    scalars.set(value, text);
  }
  return text;
}

function scalar(value: unknown): string {
  if (typeof value === 'string') {
    if (value.includes('\n')) throw new Unsupported();
    return PLAIN.test(value) && !YAML11_WORDS.has(value) ? value : delegated(value);
  }
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : delegated(value);
  if (typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  throw new Unsupported();
}

const blocks = new Map<string, readonly string[]>();

/**
 * A multi-line string as the value of a map key: the `yaml` package's own rendering of `x: <value>`
 * (a literal block scalar, or a quoted line), split into the part after the key and the following
 * lines relative to the key's indentation, which is how the package indents them at any depth.
 */
function blockLines(value: string): readonly string[] {
  let lines = blocks.get(value);
  if (lines === undefined) {
    const text = Yaml.stringify({ x: value }).replace(/\n$/, '');
    if (!text.startsWith('x: ')) throw new Unsupported();
    const [first, ...rest] = text.slice(3).split('\n');
    // Content lines sit two spaces in from the key; blank lines carry no indentation.
    if (rest.some((l) => l !== '' && !l.startsWith('  '))) throw new Unsupported();
    lines = [first, ...rest];
    blocks.set(value, lines);
  }
  return lines;
}

function key(name: string): string {
  if (!PLAIN.test(name) || YAML11_WORDS.has(name)) throw new Unsupported();
  return name;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function emitMap(map: Record<string, unknown>, indent: string, out: string[]): void {
  for (const [name, value] of Object.entries(map)) {
    const k = key(name);
    if (isMap(value)) {
      if (Object.keys(value).length === 0) out.push(`${indent}${k}: {}`);
      else {
        out.push(`${indent}${k}:`);
        emitMap(value, `${indent}  `, out);
      }
    } else if (Array.isArray(value)) {
      if (value.length === 0) out.push(`${indent}${k}: []`);
      else {
        out.push(`${indent}${k}:`);
        emitSeq(value, `${indent}  `, out);
      }
    } else if (typeof value === 'string' && value.includes('\n')) {
      const [first, ...rest] = blockLines(value);
      out.push(`${indent}${k}: ${first}`);
      for (const line of rest) out.push(line === '' ? '' : `${indent}${line}`);
    } else {
      out.push(`${indent}${k}: ${scalar(value)}`);
    }
  }
}

function emitSeq(items: readonly unknown[], indent: string, out: string[]): void {
  for (const item of items) {
    if (Array.isArray(item)) throw new Unsupported();
    if (isMap(item)) {
      if (Object.keys(item).length === 0) {
        out.push(`${indent}- {}`);
        continue;
      }
      const start = out.length;
      emitMap(item, `${indent}  `, out);
      out[start] = `${indent}- ${out[start].slice(indent.length + 2)}`;
    } else {
      out.push(`${indent}- ${scalar(item)}`);
    }
  }
}

/** The YAML document of `object` (a JSON value such as a rendered manifest), ending in a newline. */
export function manifestYaml(object: unknown): string {
  if (!isMap(object) || Object.keys(object).length === 0) return Yaml.stringify(object);
  try {
    const out: string[] = [];
    emitMap(object, '', out);
    return `${out.join('\n')}\n`;
  } catch (err) {
    if (err instanceof Unsupported) return Yaml.stringify(object);
    throw err;
  }
}
