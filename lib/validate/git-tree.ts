/**
 * The manifests as committed at a git ref, for `npm run validate -- --against <ref>`: the same documents `loadTree`
 * reads from disk, read from git's object store instead of a checkout, so the work tree is never touched.
 *
 * Three git processes whatever the number of files: `rev-parse` (is the ref a commit?), `ls-tree` (which YAML files,
 * with their blob ids) and one `cat-file --batch` that streams every blob. Git is run with an argument vector, never
 * through a shell, so a ref or a path is never interpreted as shell syntax.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Finding, parseYaml, SourceDocument } from './document';

export interface TreeAtRef {
  /** `<ref>:<path>` of every YAML file read, sorted by path; the same labels as `SourceDocument.file`. */
  readonly files: string[];
  /** Every non-empty document of the files that parsed. */
  readonly docs: SourceDocument[];
  /** One per file that is not valid YAML; its documents are left out. */
  readonly parseErrors: Finding[];
}

/**
 * Reads every `*.yaml`/`*.yml` under `paths` (relative to the repository root, whatever `cwd` is inside it) as
 * committed at `ref`. A path that did not exist at `ref` gives no documents; a ref that is not a commit is an Error.
 */
export function loadTreeAtRef(ref: string, paths: readonly string[], cwd: string = process.cwd()): TreeAtRef {
  const commit = resolveCommit(ref, cwd);
  const blobs = listYamlBlobs(commit, paths, cwd);
  const contents = readBlobs([...new Set(blobs.map((b) => b.id))], cwd);
  const files: string[] = [];
  const docs: SourceDocument[] = [];
  const parseErrors: Finding[] = [];
  for (const blob of blobs) {
    const file = `${ref}:${blob.path}`;
    files.push(file);
    const parsed = parseYaml(file, contents.get(blob.id)!.toString('utf8'));
    if ('error' in parsed) parseErrors.push(parsed.error);
    else docs.push(...parsed.docs);
  }
  return { files, docs, parseErrors };
}

/** The commit id `ref` names, so that every later read sees one snapshot even if the ref moves meanwhile. */
function resolveCommit(ref: string, cwd: string): string {
  const notACommit = new Error(`--against ${ref}: not a commit in this repository`);
  // A leading dash would be read as an option of rev-parse.
  if (ref === '' || ref.startsWith('-')) throw notACommit;
  try {
    git(['rev-parse', '--git-dir'], cwd);
  } catch (error) {
    throw new Error(`--against ${ref}: ${cwd} is not inside a git repository (${(error as Error).message})`, { cause: error });
  }
  try {
    return git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], cwd)
      .toString('utf8')
      .trim();
  } catch {
    throw notACommit;
  }
}

interface Blob {
  readonly path: string;
  readonly id: string;
}

/**
 * `ls-tree -r -z --full-tree` lists blobs with repository-root paths (NUL-separated, so any file name is safe);
 * `--literal-pathspecs` keeps `*` or `:` in a path from being read as a pattern. Symlinks (mode 120000) are blobs
 * that hold a target path, not YAML, and submodules are commits: both are skipped.
 */
function listYamlBlobs(commit: string, paths: readonly string[], cwd: string): Blob[] {
  const output = git(['--literal-pathspecs', 'ls-tree', '-r', '-z', '--full-tree', commit, '--', ...paths], cwd).toString('utf8');
  const blobs: Blob[] = [];
  for (const entry of output.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const [mode, type, id] = entry.slice(0, tab).split(' ');
    const path = entry.slice(tab + 1);
    if (type === 'blob' && mode !== '120000' && /\.ya?ml$/.test(path)) blobs.push({ path, id });
  }
  return blobs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * One `cat-file --batch` for all blobs: it answers each id line with `<id> <type> <size>\n<content>\n`. Sizes are
 * in bytes, so the answer is cut as a Buffer before any decoding.
 */
function readBlobs(ids: readonly string[], cwd: string): Map<string, Buffer> {
  const contents = new Map<string, Buffer>();
  if (ids.length === 0) return contents;
  const output = git(['cat-file', '--batch'], cwd, ids.map((id) => `${id}\n`).join(''));
  let offset = 0;
  for (const id of ids) {
    const newline = output.indexOf(0x0a, offset);
    const header = output.toString('utf8', offset, newline).split(' ');
    if (header[0] !== id || header.length !== 3) throw new Error(`git cat-file: unexpected answer for ${id}: ${header.join(' ')}`);
    const size = Number(header[2]);
    contents.set(id, output.subarray(newline + 1, newline + 1 + size));
    offset = newline + 1 + size + 1;
  }
  return contents;
}

/** Runs git and returns its stdout; a failure becomes an Error that says which git command failed and why. */
function git(args: readonly string[], cwd: string, input?: string): Buffer {
  if (!fs.existsSync(cwd)) throw new Error(`no such folder: ${cwd}`);
  try {
    // No size limit: `cat-file` returns every manifest at once.
    return execFileSync('git', args, { cwd, input, maxBuffer: Infinity, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('git is not installed (or not on PATH): --against needs it to read the old manifests', { cause: error });
    throw new Error(`git ${args.filter((a) => a.startsWith('--') === false)[0]}: ${firstLine(error)}`, { cause: error });
  }
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8').trim();
  return (stderr || (error as Error).message || String(error)).split('\n')[0];
}
