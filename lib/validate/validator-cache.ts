/**
 * Compiled schema validators, kept on disk between runs. Compiling the Kubernetes and CRD schemas
 * with ajv was a third of `npm run validate` and of every schema-checking test suite (issue 18); a
 * validator is compiled once per schema, written as ajv's standalone code
 * (https://ajv.js.org/standalone.html) and later only loaded.
 *
 * The key is the digest of everything the generated code depends on: ajv's version, our ajv options
 * and the exact schema compiled (after our strict transformation), so a changed pin, transformation
 * or ajv release compiles afresh and never reuses a stale validator. The formats and the Go regexp
 * adapter are not baked in: the code asks for them by name and gets the live functions.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import * as vm from 'vm';
import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { CACHE_BOUNDS, cacheRoot, touchCacheEntry, trimCacheAtExit, writeFileAtomic } from '../user-cache';
import { FORMATS, goRegExp } from './schema-transform';

/** The module name the generated code requires our formats and regexp adapter from. */
export const RUNTIME_MODULE = 'campus-platform/validator-runtime';
const requireHere = createRequire(__filename);
const AJV_VERSION: string = requireHere('ajv/package.json').version;

/** Set `VALIDATOR_CACHE=off` to compile in memory only (no reads, no writes). */
function cacheDir(): string | undefined {
  return process.env.VALIDATOR_CACHE === 'off' ? undefined : path.join(cacheRoot(), 'validators');
}

/** sha256 over the parts, each length-prefixed so that no two part lists hash alike. */
export function digest(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part.length}:`).update(part);
  return hash.digest('hex');
}

/**
 * The validator `compile()` makes with the Ajv instance `ajv()` returns, loaded from the cache under `key` when it is there
 * (`key` must name the schema and everything it refers to; see {@link digest}).
 */
export function cachedValidator(ajv: () => Ajv, optionsTag: string, key: string, compile: (ajv: Ajv) => ValidateFunction): ValidateFunction {
  const dir = cacheDir();
  if (!dir) return compile(ajv());
  const file = path.join(dir, `${digest(AJV_VERSION, optionsTag, key)}.js`);
  const cached = load(file);
  if (cached) return cached;
  const instance = ajv();
  const validate = compile(instance);
  // Only on a miss: warm runs never load the code generator.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone')).default;
  // Not flushed (see writeFileAtomic): a copy cut short by a crash lacks the last line and is compiled again.
  writeFileAtomic(file, standaloneCode(instance, validate) + COMPLETE, 0o644, { durable: false });
  trimCacheAtExit(dir, CACHE_BOUNDS.validators);
  return validate;
}

/**
 * The V8 version and a digest of the flags a code cache is made under: V8 rejects a cache of another version or other
 * flags (node's options, NODE_OPTIONS: the tests run with a larger young generation), so each keeps its own rather
 * than replacing the other's on every switch. scripts/run.js names its caches the same way.
 */
function v8Tag(): string {
  const flags = createHash('sha256')
    .update(JSON.stringify([process.execArgv, process.env.NODE_OPTIONS ?? '']))
    .digest('hex');
  return `${process.versions.v8}-${flags.slice(0, 8)}`;
}

/**
 * Loads a cached validator through V8's code cache (`<key>.js` beside `<key>.v8-<version>-<flags>`, see v8Tag):
 * evaluating the generated code from source costs about five times as much as from the cache.
 */
function load(file: string): ValidateFunction | undefined {
  let code: string;
  try {
    code = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (!code.endsWith(COMPLETE)) return undefined;
  const codeCache = `${file.replace(/\.js$/, '')}.v8-${v8Tag()}`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(codeCache);
  } catch {
    cachedData = undefined;
  }
  const module = { exports: {} as any };
  try {
    const script = new vm.Script(`(function (module, exports, require) {${code}\n})`, { filename: file, cachedData });
    script.runInThisContext()(module, module.exports, runtimeRequire);
    if (!cachedData || script.cachedDataRejected) writeCodeCacheAtExit(script, codeCache);
    else touchCacheEntry(codeCache);
    touchCacheEntry(file);
  } catch {
    return undefined; // unreadable (e.g. truncated by a full disk): compile again and overwrite it
  }
  return typeof module.exports === 'function' ? module.exports : undefined;
}

/** The last line of every cached validator: a file without it was cut short. */
const COMPLETE = '\n// complete\n';

const pendingCodeCaches = new Map<string, vm.Script>();

/**
 * V8 compiles a function when it first runs, and the code cache holds only what was compiled when
 * it is made; so it is made at exit, after the validators ran, or it would hold almost nothing.
 */
function writeCodeCacheAtExit(script: vm.Script, file: string): void {
  if (pendingCodeCaches.size === 0) {
    process.once('exit', () => {
      for (const [target, pending] of pendingCodeCaches) {
        try {
          writeFileAtomic(target, pending.createCachedData(), 0o644, { durable: false }); // V8 rejects a damaged code cache
        } catch {
          // a cache that cannot be written only costs time on the next run
        }
      }
    });
  }
  pendingCodeCaches.set(file, script);
}

/** What generated code may require: ajv's runtime helpers, and our formats and regexp adapter. */
function runtimeRequire(id: string): unknown {
  if (id === RUNTIME_MODULE) return { FORMATS, goRegExp };
  if (id.startsWith('ajv/dist/runtime/')) return requireHere(id);
  throw new Error(`cached validator requires "${id}"`);
}
