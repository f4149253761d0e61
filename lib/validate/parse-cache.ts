/**
 * The parsed YAML of a whole tree, kept in the per-user cache (`parsed/`) under the digest of the js-yaml version and
 * every file's path and text: `npm run validate` of an unchanged tree reads one V8-serialized file instead of parsing
 * a few hundred manifests (js-yaml was about 40 ms of a 0.5 s warm run). Any change to any file is another key, so a
 * stale parse is never used; an unreadable entry is parsed again. V8's serialization round-trips exactly what the
 * core schema yields (strings, numbers including NaN and infinities, booleans, null, arrays, objects).
 * Set `VALIDATOR_CACHE=off` to parse in memory only, as for the compiled validators.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import * as v8 from 'v8';
import { parseYaml } from './document';
import { CACHE_BOUNDS, cacheRoot, touchCacheEntry, trimCacheAtExit, writeFileAtomic } from '../user-cache';

/** One file's parse, as parseYaml gives it: its documents, or why it is not YAML. */
export type ParsedFile = ReturnType<typeof parseYaml>;

/** Bump when what is stored changes, so entries of another shape are never read. */
const FORMAT = 2;
const YAML_VERSION: string = createRequire(__filename)('js-yaml/package.json').version;

/** `parse(i)` for each of `files` (with their `texts`), or all of them at once from the cache. */
export function parsedFiles(files: readonly string[], texts: readonly string[], parse: (i: number) => ParsedFile): ParsedFile[] {
  const dir = process.env.VALIDATOR_CACHE === 'off' ? undefined : path.join(cacheRoot(), 'parsed');
  if (!dir || files.length === 0) return files.map((_, i) => parse(i));
  const hash = createHash('sha256').update(`${FORMAT}\0${YAML_VERSION}\0`);
  files.forEach((file, i) => hash.update(`${file.length}:${file}${texts[i].length}:`).update(texts[i]));
  const entry = path.join(dir, `${hash.digest('hex')}.v8`);
  try {
    const cached = v8.deserialize(fs.readFileSync(entry));
    if (Array.isArray(cached) && cached.length === files.length) {
      touchCacheEntry(entry);
      return cached as ParsedFile[];
    }
  } catch {
    // none yet, or unreadable: parsed below and written again
  }
  const parsed = files.map((_, i) => parse(i));
  try {
    // 0600: a tree may hold what a team wrote beside it, a plaintext Secret the validator is about to flag included.
    writeFileAtomic(entry, v8.serialize(parsed), 0o600, { durable: false });
    trimCacheAtExit(dir, CACHE_BOUNDS.parsed);
  } catch {
    // a cache that cannot be written only costs time on the next run
  }
  return parsed;
}
