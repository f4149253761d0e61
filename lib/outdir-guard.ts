/**
 * Where the synthesis CLI may write its tree. The writer replaces the whole output folder, so a
 * mistyped `--outdir` must never name the repository, its history, its config or secrets, a
 * folder of someone else's files, or a place outside the project, unless the user says `--force`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXTERNALS_FILE } from './externals';

/** Folders of the repository that hold inputs; synthesis never replaces them or writes inside them. */
const PROTECTED = ['.git', 'config', 'secrets', 'fingerprints', 'node_modules'];

/** Whether `dir` is a tree synthesis wrote (its externals file says so). */
export function isSynthesizedTree(dir: string): boolean {
  try {
    const about = JSON.parse(fs.readFileSync(path.join(dir, EXTERNALS_FILE), 'utf8')).about;
    return typeof about === 'string' && about.startsWith('Written by the synthesis');
  } catch {
    return false;
  }
}

/** Why synthesis must not replace `outdir` (relative to the project `root`), or undefined when it may. */
export function outdirProblem(outdir: string, root: string, force = false): string | undefined {
  if (force) return undefined;
  const target = path.resolve(outdir);
  const rel = path.relative(root, target);
  if (rel === '') return `${outdir} is the repository itself; synthesis replaces its output folder whole (use dist)`;
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    if (root.startsWith(`${target}${path.sep}`)) return `${outdir} contains the repository; synthesis replaces its output folder whole`;
    return `${outdir} is outside the project (${root}); pass --force to write there`;
  }
  const top = rel.split(path.sep)[0];
  if (PROTECTED.includes(top))
    return `${outdir} is inside ${top}/, which holds the project's ${top === '.git' ? 'history' : 'inputs'}; synthesis never writes there`;
  let entries: string[];
  try {
    entries = fs.readdirSync(target);
  } catch {
    return undefined; // a new folder
  }
  if (entries.length > 0 && !isSynthesizedTree(target)) {
    return `${outdir} holds files synthesis did not write (no ${EXTERNALS_FILE} of a synthesized tree); choose a new or empty folder, or pass --force to replace it`;
  }
  return undefined;
}
