/**
 * DOT to SVG with Graphviz compiled to WebAssembly (@viz-js/viz), in one child process for all
 * pictures (its API is asynchronous; synthesis is not). Each SVG records the digest of its DOT
 * and of the renderer's version, so a picture whose graph did not change is taken from the
 * previous dist/ as it is, or else from the per-user cache (lib/user-cache.ts) where any earlier
 * synthesis left it: the same input still gives the same bytes, without starting Graphviz, which
 * costs more than the rest of a synthesis of hundreds of previews.
 */
import { createHash } from 'crypto';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from '../lib/repo-root';
import { CACHE_BOUNDS, cacheRoot, touchCacheEntry, trimCacheAtExit, writeFileAtomic } from '../lib/user-cache';

export interface DotFile {
  /** Relative to the output folder. */
  readonly path: string;
  readonly dot: string;
}

const MARK = '<!-- source: ';

/** The renderer's version: a Graphviz upgrade must redraw every picture. */
function rendererVersion(): string {
  const main = require.resolve('@viz-js/viz');
  return JSON.parse(fs.readFileSync(path.join(path.dirname(main), '..', 'package.json'), 'utf8')).version;
}

const digestOf = (dot: string, version: string): string => createHash('sha256').update(`@viz-js/viz@${version}\n${dot}`).digest('hex');

/** SVG text of each DOT file, reusing `previousDir`'s copy where its recorded digest matches. */
export function renderDots(files: readonly DotFile[], previousDir?: string): { path: string; content: string }[] {
  const version = rendererVersion();
  const marks = files.map((f) => `${MARK}npm run synth (app/pictures.ts), Graphviz DOT sha256 ${digestOf(f.dot, version)} -->`);
  const reused = files.map((f, i) => {
    const previous = previousDir ? path.join(previousDir, f.path) : undefined;
    if (!previous || !fs.existsSync(previous)) return undefined;
    const text = fs.readFileSync(previous, 'utf8');
    return text.includes(marks[i]) ? text : undefined;
  });
  const cached = files.map((f, i) => reused[i] ?? readCached(digestOf(f.dot, version)));
  const missing = files.filter((_, i) => cached[i] === undefined);
  const drawn = missing.length ? renderSvgs(missing.map((f) => f.dot)) : [];
  let next = 0;
  return files.map((f, i) => {
    if (cached[i] !== undefined) return { path: f.path, content: cached[i]! };
    const content = withMark(drawn[next++], marks[i]);
    writeCached(digestOf(f.dot, version), content);
    return { path: f.path, content };
  });
}

const cacheFile = (digest: string) => path.join(cacheRoot(), 'pictures', `${digest}.svg`);

function readCached(digest: string): string | undefined {
  try {
    const svg = fs.readFileSync(cacheFile(digest), 'utf8');
    touchCacheEntry(cacheFile(digest));
    return svg;
  } catch {
    return undefined;
  }
}

function writeCached(digest: string, svg: string): void {
  try {
    writeFileAtomic(cacheFile(digest), svg);
    trimCacheAtExit(path.dirname(cacheFile(digest)), CACHE_BOUNDS.pictures);
  } catch {
    // a cache that cannot be written only costs time on the next run
  }
}

/** Renders DOT texts to SVG texts; throws with Graphviz's messages on a bad graph. */
export function renderSvgs(dots: readonly string[]): string[] {
  const out = execFileSync(process.execPath, [path.join(repoRoot(), 'scripts', 'render-dot.js')], {
    input: JSON.stringify(dots),
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return JSON.parse(out.toString('utf8')).svgs;
}

/** The digest comment goes after the XML declaration, where an SVG may hold comments. */
function withMark(svg: string, mark: string): string {
  const end = svg.indexOf('\n') + 1;
  return `${svg.slice(0, end)}${mark}\n${svg.slice(end)}`;
}
