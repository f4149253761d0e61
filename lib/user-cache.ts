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
