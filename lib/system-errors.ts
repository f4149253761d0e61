/**
 * Errors of the machine rather than of the input (a full disk, a read-only file system, missing
 * permissions) as one line that says what failed, where, and what to do, instead of a stack trace.
 */

const ADVICE: Record<string, string> = {
  ENOSPC: 'the disk is full; free some space and run again',
  EDQUOT: 'the disk quota is exhausted; free some space and run again',
  EROFS: 'the file system is read-only; write to a writable folder (--outdir) or remount it',
  EACCES: 'permission denied; check the owner and mode of the folder (or run as its owner)',
  EPERM: 'the operation is not permitted; check the owner and mode of the folder',
  EMFILE: 'too many open files; raise the limit (ulimit -n) and run again',
  ENAMETOOLONG: 'a file name is too long for this file system',
  EIO: 'the disk reported an input/output error; check it',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'a folder is where a file was expected',
  EEXIST: 'a file is in the way',
};

/** One line for a system error (`code` and `path` set by Node's fs), or undefined for anything else. */
export function systemErrorLine(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (!(err instanceof Error) || typeof e.code !== 'string' || !ADVICE[e.code]) return undefined;
  const where = e.path ? ` ${e.path}${e.dest ? ` -> ${e.dest}` : ''}` : '';
  return `${e.syscall ?? 'a file operation'}${where} failed (${e.code}): ${ADVICE[e.code]}`;
}
