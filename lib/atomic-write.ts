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
 * Writes files into `<outdir>.tmp-<pid>` and swaps it into place. The swap is two renames
 * on one filesystem; the old tree is removed only after the new one is in place.
 */
export function writeAtomically(outdir: string, files: ReadonlyMap<string, string>, extra: readonly ExtraFile[] = []): void {
  const parent = path.dirname(path.resolve(outdir));
  const base = path.basename(outdir);
  const tmp = path.join(parent, `.${base}.tmp-${process.pid}`);
  const old = path.join(parent, `.${base}.old-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    const all = [...[...files].map(([p, content]) => ({ path: p, content, mode: 0o644 })), ...extra.map((e) => ({ ...e, mode: e.mode ?? 0o644 }))];
    for (const f of all.sort((a, b) => a.path.localeCompare(b.path))) {
      const target = path.join(tmp, f.path);
      // Owner-only folders for owner-only files (host bootstrap material).
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: f.mode & 0o077 ? 0o755 : 0o700 });
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
  fs.rmSync(old, { recursive: true, force: true });
}
