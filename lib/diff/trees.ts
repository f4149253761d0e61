/**
 * The two trees `npm run diff` compares: a synthesized folder on disk, and `dist/` as committed at a git ref, each
 * with its files relative to the tree's root (`production/berkeleytime/…`), so that both sides name a file alike.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Finding } from '../validate/document';
import { loadTreeAtRef } from '../validate/git-tree';
import { loadTree } from '../validate/index';
import { TreeDocument } from './model';

export interface DiffTree {
  readonly docs: TreeDocument[];
  /** Files that are not YAML: their objects are missing from the comparison. */
  readonly parseErrors: readonly Finding[];
}

/** `dist/hosts/` holds boot files (git-ignored), not manifests. */
const isManifest = (relative: string) => relative.includes('/') && !relative.startsWith('hosts/');

/** Every manifest below `dir`, a synthesized tree. */
export function treeOnDisk(dir: string): DiffTree {
  const folders = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'hosts')
    .map((e) => path.join(dir, e.name))
    .sort();
  const tree = loadTree(folders);
  const relative = (file: string) => path.relative(dir, file).split(path.sep).join('/');
  return { docs: tree.docs.map((d) => ({ ...d, file: relative(d.file) })).filter((d) => isManifest(d.file)), parseErrors: tree.parseErrors };
}

/** The manifests of `<folder>/` (repository-relative, default `dist`) as committed at `ref`. */
export function treeAtRef(ref: string, cwd: string, folder = 'dist'): DiffTree {
  const tree = loadTreeAtRef(ref, [folder], cwd);
  const prefix = `${ref}:${folder}/`;
  const docs = tree.docs.filter((d) => d.file.startsWith(prefix)).map((d) => ({ ...d, file: d.file.slice(prefix.length) }));
  return { docs: docs.filter((d) => isManifest(d.file)), parseErrors: tree.parseErrors };
}

export interface DefaultRef {
  /** What to pass to git. */
  readonly ref: string;
  /** Why this ref, for the report's heading: `main (merge base 1a2b3c4)`, `HEAD (uncommitted changes)`. */
  readonly description: string;
}

/** What the work tree's uncommitted changes in these folders would alter in a synthesis. */
const INPUTS = ['config', 'dist', 'sealed', 'charts', 'lib', 'app', 'bootstrap'];

/**
 * The ref to compare with when none is given: HEAD when the work tree has uncommitted changes to what synthesis
 * reads or writes (the change under review is not committed yet), else the merge base of HEAD with the main branch
 * (`origin/main` when the remote is known, else `main`): what a merge request would change. Without a main branch,
 * HEAD.
 */
export function defaultRef(cwd: string): DefaultRef {
  const dirty = git(['status', '--porcelain', '--', ...INPUTS], cwd).trim() !== '';
  if (dirty) return { ref: 'HEAD', description: 'HEAD (the uncommitted changes)' };
  for (const main of ['origin/main', 'main']) {
    if (!tryGit(['rev-parse', '--verify', '--quiet', `${main}^{commit}`], cwd)) continue;
    const base = tryGit(['merge-base', 'HEAD', main], cwd)?.trim();
    if (base) return { ref: base, description: `${main} (merge base ${base.slice(0, 12)})` };
  }
  return { ref: 'HEAD', description: 'HEAD (no main branch found)' };
}

/** `ref (1a2b3c4d5e6f)`, naming the commit a ref stood for when the diff was made. */
export function describeRef(ref: string, cwd: string): string {
  const commit = tryGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], cwd)?.trim();
  return commit && commit !== ref ? `${ref} (${commit.slice(0, 12)})` : ref;
}

function git(args: readonly string[], cwd: string): string {
  return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
}

function tryGit(args: readonly string[], cwd: string): string | undefined {
  try {
    return git(args, cwd);
  } catch {
    return undefined;
  }
}
