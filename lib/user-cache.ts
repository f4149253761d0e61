/** The per-user cache (the helm binary, pulled charts, chart renders, compiled validators, drawn pictures), and writing into it safely. */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * `$XDG_CACHE_HOME/campus-platform`, else `~/.cache/campus-platform`. Read on every call, so a test that points
 * XDG_CACHE_HOME at a temp dir is honoured. A relative XDG_CACHE_HOME is ignored, as the XDG spec asks: it would
 * make the cache depend on the working directory.
 */
export function cacheRoot(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'campus-platform');
}

/**
 * Writes `file` through a temp file in the same folder and a rename, creating the folder first. Rename is atomic
 * within a file system, so readers (and concurrent jest workers) see the old file, or none, or the whole new one,
 * never a half-written one left by a killed process. The data is flushed before the rename so a crash of the machine
 * right after cannot leave an empty file under the final name either; `durable: false` skips that flush for a
 * file whose reader rejects a damaged copy and makes it again (a compiled validator: an fsync per file was a tenth
 * of a first validation).
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644, { durable = true } = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(temp, 'wx', mode);
    try {
      fs.writeFileSync(fd, data);
      fs.fchmodSync(fd, mode); // the umask applies at creation; the caller's mode (e.g. 0755 for a binary) must hold
      if (durable) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * How much each growing folder of the cache may hold. Every new schema cut, values change or picture adds an entry
 * and none is ever reused once its input is gone, so without a bound a working copy's cache only grows (70 MB of
 * validators after a day of edits). One platform's whole set is a fraction of each bound.
 */
export const CACHE_BOUNDS = { validators: 128 * 2 ** 20, renders: 256 * 2 ** 20, pictures: 32 * 2 ** 20, parsed: 64 * 2 ** 20 } as const;

/** Marks a cache entry as just used, so {@link trimCache} removes it after every entry used less recently. */
export function touchCacheEntry(file: string): void {
  try {
    const now = new Date();
    fs.utimesSync(file, now, now);
  } catch {
    // a read-only or vanished cache entry only loses its place in the order
  }
}

/**
 * Removes the least recently used files of `dir` (by modification time, which {@link touchCacheEntry} renews on
 * every use) until the rest fit in `maxBytes`. Another process may be reading an entry this removes: it then finds
 * no entry and makes it again, as on a first run.
 */
export function trimCache(dir: string, maxBytes: number): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const entries: { file: string; bytes: number; used: number }[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue; // another process's temp file, about to be renamed into place
    const file = path.join(dir, name);
    try {
      const stat = fs.statSync(file);
      if (stat.isFile()) entries.push({ file, bytes: stat.size, used: stat.mtimeMs });
    } catch {
      // removed meanwhile by another process
    }
  }
  let total = entries.reduce((sum, e) => sum + e.bytes, 0);
  if (total <= maxBytes) return;
  // Oldest first; equal times by name, so two processes trimming at once remove the same entries.
  entries.sort((a, b) => a.used - b.used || (a.file < b.file ? -1 : 1));
  for (const entry of entries) {
    if (total <= maxBytes) break;
    fs.rmSync(entry.file, { force: true });
    total -= entry.bytes;
  }
}

const trimsAtExit = new Map<string, number>();

/**
 * {@link trimCache} once, when the process exits: called after each write, so a run that only reads pays nothing and
 * a run that writes a hundred validators lists the folder once, not a hundred times.
 */
export function trimCacheAtExit(dir: string, maxBytes: number): void {
  if (trimsAtExit.size === 0) {
    process.once('exit', () => {
      for (const [folder, bound] of trimsAtExit) {
        try {
          trimCache(folder, bound);
        } catch {
          // an entry that cannot be removed only takes space
        }
      }
    });
  }
  trimsAtExit.set(dir, maxBytes);
}
