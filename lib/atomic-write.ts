/**
 * Replacing a whole output folder so that a reader, a crash or a kill never sees it half written:
 * dist/ (app/synth.ts) and the validator's schema bundle (`npm run schemas`).
 */
import * as fs from 'fs';
import * as path from 'path';

/** A non-manifest file, such as host user-data or a restore runbook. */
export interface ExtraFile {
  readonly path: string;
  readonly content: string;
  /** @default 0o644 */
  readonly mode?: number;
}

/**
 * Writes files into `.<outdir>-tmp-<pid>` beside the output folder and swaps it into place. The
 * swap is two renames on one filesystem; the previous tree is removed only after the new one is in
 * place. Both temporary names match the `.dist-*` pattern of `.gitignore`, and a run that was killed leaves
 * nothing the next run does not clean up or recover (see {@link recoverInterrupted}).
 *
 * A file whose content and mode equal the previous tree's is hard-linked from it instead of
 * written: creating thousands of files is most of a large synthesis on a slow disk, and a link
 * costs a fraction of a create. The previous tree is never modified, so a failure still leaves it
 * whole; where links are not supported, the file is written.
 */
export function writeAtomically(outdir: string, files: ReadonlyMap<string, string>, extra: readonly ExtraFile[] = []): void {
  const { tmp, old } = workNames(outdir, process.pid);
  recoverInterrupted(outdir);
  fs.rmSync(tmp, { recursive: true, force: true });
  const previous = fs.existsSync(outdir) ? outdir : undefined;
  try {
    const all = [...[...files].map(([p, content]) => ({ path: p, content, mode: 0o644 })), ...extra.map((e) => ({ ...e, mode: e.mode ?? 0o644 }))];
    const made = new Set<string>();
    // Ordinal order (never the locale's), so the same input writes the same way everywhere.
    for (const f of all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
      const target = path.join(tmp, f.path);
      const folder = path.dirname(target);
      // Owner-only folders for owner-only files (host bootstrap material); each folder made once.
      if (!made.has(folder)) fs.mkdirSync(folder, { recursive: true, mode: f.mode & 0o077 ? 0o755 : 0o700 });
      made.add(folder);
      if (previous && linkUnchanged(path.join(previous, f.path), target, f.content, f.mode)) continue;
      fs.writeFileSync(target, f.content, { mode: f.mode });
      fs.chmodSync(target, f.mode);
    }
    fs.mkdirSync(tmp, { recursive: true });
    if (fs.existsSync(outdir)) fs.renameSync(outdir, old);
    fs.renameSync(tmp, outdir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(outdir) && fs.existsSync(old)) fs.renameSync(old, outdir);
    throw err;
  }
  // The new tree is in place: the run has succeeded. The previous one goes now if it can, else on the
  // next run (a folder we may not delete must not turn a complete synthesis into a failure).
  removeQuietly(old);
}

function removeQuietly(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // swept by recoverInterrupted() on the next run
  }
}

/** The temporary names of a run: `.dist-tmp-<pid>` (being written) and `.dist-old-<pid>` (being replaced). */
function workNames(outdir: string, pid: number | string): { tmp: string; old: string } {
  const parent = path.dirname(path.resolve(outdir));
  const base = path.basename(outdir);
  return { tmp: path.join(parent, `.${base}-tmp-${pid}`), old: path.join(parent, `.${base}-old-${pid}`) };
}

/**
 * Cleans up after runs that were killed (their pid is gone): a kill between the two renames of the
 * swap leaves no `outdir` but the complete previous tree in `.<outdir>-old-<pid>`, which is put
 * back; any other leftover is removed. Runs that are still alive are left alone.
 */
export function recoverInterrupted(outdir: string): void {
  const parent = path.dirname(path.resolve(outdir));
  const base = path.basename(outdir);
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  const stale = names
    .map((name) => {
      for (const kind of ['tmp', 'old'] as const) {
        const pid = name.startsWith(`.${base}-${kind}-`) ? name.slice(base.length + kind.length + 3) : '';
        if (/^\d+$/.test(pid) && !alive(Number(pid))) return { name, kind };
      }
      return undefined;
    })
    .filter((entry) => entry !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { name, kind } of stale) {
    const leftover = path.join(parent, name);
    if (kind === 'old' && !fs.existsSync(outdir)) fs.renameSync(leftover, outdir);
    else removeQuietly(leftover);
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Hard-links `previous` to `target` when it is a regular file with exactly `content` and `mode`.
 * The file compared is the one linked: its inode is checked after the link, so a tree that another
 * run swapped in meanwhile can never lend a file with other content.
 */
function linkUnchanged(previous: string, target: string, content: string, mode: number): boolean {
  let inode: number;
  try {
    const fd = fs.openSync(previous, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile() || (stat.mode & 0o777) !== mode || stat.size !== Buffer.byteLength(content)) return false;
      if (fs.readFileSync(fd, 'utf8') !== content) return false;
      inode = stat.ino;
    } finally {
      fs.closeSync(fd);
    }
    fs.linkSync(previous, target);
  } catch {
    return false;
  }
  if (fs.lstatSync(target).ino === inode) return true;
  fs.unlinkSync(target); // another file took that path meanwhile: write ours instead
  return false;
}
