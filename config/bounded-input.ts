/**
 * Reading input files so that no input can crash or exhaust the process: only regular files (not
 * `/dev/zero` or a FIFO), of a bounded size, and YAML whose aliases do not multiply it beyond a
 * bounded number of values (an "alias bomb": a few lines that expand to billions of nodes).
 */
import * as fs from 'fs';
import { ConfigError } from './errors';

/** A platform config is a few kilobytes; a megabyte is far beyond any real one. */
export const MAX_INPUT_BYTES = 1024 * 1024;
/** Values (mappings, lists, scalars) once aliases are expanded: generous for any config, tiny for an alias bomb. */
export const MAX_EXPANDED_VALUES = 200_000;

/** The text of `file`, or a ConfigError saying what is wrong with it (missing, not a regular file, too large). */
export function readInputFile(file: string, maxBytes: number = MAX_INPUT_BYTES): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new ConfigError(file, [`(file): expected a readable YAML file, found ${(err as NodeJS.ErrnoException).code ?? 'an error'}`]);
  }
  if (!stat.isFile()) {
    const kind = stat.isDirectory() ? 'a directory' : stat.isCharacterDevice() ? 'a character device' : stat.isFIFO() ? 'a pipe' : 'not a regular file';
    throw new ConfigError(file, [`(file): expected a regular YAML file, found ${kind}`]);
  }
  if (stat.size > maxBytes) throw new ConfigError(file, [`(file): expected at most ${maxBytes} bytes, found ${stat.size}`]);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`(file): expected a readable YAML file, found ${(err as NodeJS.ErrnoException).code ?? 'an error'}`]);
  }
  // The size can change between stat and read (a file being written, /proc): check what was read.
  if (Buffer.byteLength(text) > maxBytes) throw new ConfigError(file, [`(file): expected at most ${maxBytes} bytes, found more`]);
  return text;
}

/**
 * Refuses a parsed document that is larger than `limit` values once its aliases are expanded; the
 * walk stops at the limit, so it costs at most `limit` steps whatever the document.
 */
export function checkExpandedSize(value: unknown, file: string, limit: number = MAX_EXPANDED_VALUES): void {
  let seen = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const node = stack.pop();
    if (++seen > limit) {
      throw new ConfigError(file, [
        `(file): expected at most ${limit} values once YAML aliases (*name) are expanded, found more; aliases that refer to aliases multiply (an "alias bomb")`,
      ]);
    }
    // One push per child (not a spread): a list of a million items must not overflow the call stack.
    if (Array.isArray(node)) for (const child of node) stack.push(child);
    else if (node !== null && typeof node === 'object') for (const child of Object.values(node)) stack.push(child);
  }
}
