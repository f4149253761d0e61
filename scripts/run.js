#!/usr/bin/env node
// Fast TypeScript runner: esbuild bundles our own sources (node_modules stay external)
// into .build/ and runs the result in this process, far faster than ts-node, which
// type-checks on every run (type-checking is `npm run typecheck`'s job). The bundle of an
// entry is reused while that entry and none of its input files changed since it was written.
'use strict';
const fs = require('fs');
const path = require('path');

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run.js <entry.ts> [args...]');
  process.exit(2);
}
const root = path.resolve(__dirname, '..');
const absolute = path.resolve(entry);
const relative = path.relative(root, absolute);
// One bundle per entry file: an entry outside the repo gets a folder named by a hash of its full
// path, so another `main.ts` can never be run in place of this one (nor this one in its place).
const external = relative.startsWith('..') || path.isAbsolute(relative);
const key = require('crypto').createHash('sha256').update(absolute).digest('hex').slice(0, 16);
const outfile = path.join(root, '.build', external ? `external-${key}` : '', (external ? path.basename(entry) : relative).replace(/\.ts$/, '.js'));
const inputsFile = `${outfile}.inputs.json`;

/** Size and mtime of a file, as the fingerprint of an input. */
function stamp(file) {
  const s = fs.statSync(path.join(root, file));
  return `${s.size}:${s.mtimeMs}`;
}

/** True when the bundle was built from this very entry and every input is unchanged since. */
function upToDate() {
  try {
    const recorded = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
    if (recorded.entry !== absolute) return false;
    if (recorded.bundle !== stamp(path.relative(root, outfile))) return false;
    return Object.entries(recorded.inputs).every(([file, fingerprint]) => stamp(file) === fingerprint);
  } catch {
    return false;
  }
}

/** Writes through a temporary file and a rename: a killed run never leaves a half-written bundle. */
function writeAtomically(file, content) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

if (!upToDate()) {
  const result = require('esbuild').buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    // esbuild keeps names, so stack traces stay readable without a (10 MB) source map.
    keepNames: true,
    metafile: true,
    write: false,
    absWorkingDir: root,
    logLevel: 'warning',
  });
  writeAtomically(outfile, result.outputFiles[0].contents);
  const inputs = Object.fromEntries(Object.keys(result.metafile.inputs).map((file) => [file, stamp(file)]));
  writeAtomically(inputsFile, JSON.stringify({ entry: absolute, bundle: stamp(path.relative(root, outfile)), inputs }));
}
process.argv = [process.argv[0], outfile, ...args];
/**
 * What a V8 code cache was made under: V8 rejects a cache made by another version or under other flags (node's
 * options, NODE_OPTIONS: the tests run with a larger young generation), so each keeps caches of its own instead of
 * replacing the other's on every switch. lib/validate/validator-cache.ts names its caches the same way.
 */
const V8_TAG = `${process.versions.v8}-${require('crypto')
  .createHash('sha256')
  .update(JSON.stringify([process.execArgv, process.env.NODE_OPTIONS ?? '']))
  .digest('hex')
  .slice(0, 8)}`;
const Module = require('module');
const vm = require('vm');
/** Code caches to write at exit (compileCached). */
const pendingCaches = [];
process.once('exit', () => {
  for (const { script, cacheFile } of pendingCaches) {
    try {
      writeAtomically(cacheFile, script.createCachedData());
    } catch {
      // a cache that cannot be written only costs time on the next run
    }
  }
});
cacheDependencyCompiles(path.join(root, '.build', `node_modules.v8-${V8_TAG}`));
runWithCodeCache(outfile);

/**
 * Compiles the dependencies the bundle requires (cdk8s, zod, ajv, …: node_modules stay outside the bundle) through
 * V8's code cache too, one file per module in `dir` named by a digest of its path and source; compiling them from
 * source was the largest single cost of a short run (about 55 ms of the default synthesis). Node 22 does this itself
 * (module.enableCompileCache); Node 20 does not, so CommonJS compilation is routed through vm.Script for files
 * under node_modules/ only, with the same wrapper and arguments Node gives a module.
 */
function cacheDependencyCompiles(dir) {
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename, format) {
    // ES modules (require of ESM, Node 20.19+) and anything else keep Node's own path.
    if (format === 'module' || !filename.includes(`${path.sep}node_modules${path.sep}`)) return compile.apply(this, arguments);
    const key = require('crypto').createHash('sha256').update(filename).update('\0').update(content).digest('hex').slice(0, 32);
    let script;
    try {
      script = compileCached(content, filename, path.join(dir, key));
    } catch (err) {
      // ESM syntax in a .js file Node detects as a module: its loader decides, and reports real syntax errors.
      if (err instanceof SyntaxError) return compile.apply(this, arguments);
      throw err;
    }
    const localRequire = (id) => this.require(id);
    localRequire.resolve = (request, options) => Module._resolveFilename(request, this, false, options);
    localRequire.resolve.paths = (request) => Module._resolveLookupPaths(request, this);
    localRequire.main = process.mainModule;
    localRequire.extensions = Module._extensions;
    localRequire.cache = Module._cache;
    return script.runInThisContext({ displayErrors: true }).call(this.exports, this.exports, localRequire, this, filename, path.dirname(filename));
  };
}

/**
 * Runs the bundle as a CommonJS module compiled through V8's code cache (`<bundle>.v8-<V8_TAG>-<digest>`,
 * beside it in .build/; see compileCached): compiling the 1.6 MB bundle from source is a large part of a short run.
 */
function runWithCodeCache(file) {
  const source = fs.readFileSync(file, 'utf8');
  // Keyed by the bundle's content: V8 checks only a cache's source length, so a rebuilt bundle of
  // the same length would run stale code from a cache named after the file alone.
  const digest = require('crypto').createHash('sha256').update(source).digest('hex').slice(0, 16);
  const cacheFile = `${file}.v8-${V8_TAG}-${digest}`;
  if (!fs.existsSync(cacheFile)) {
    // Caches of earlier bundles of this entry are never read again.
    const prefix = `${path.basename(file)}.v8-${V8_TAG}-`;
    for (const old of fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith(prefix))) fs.rmSync(path.join(path.dirname(file), old), { force: true });
  }
  const script = compileCached(source, file, cacheFile);
  const module = new Module(file, null);
  module.filename = file;
  module.paths = Module._nodeModulePaths(path.dirname(file));
  module.loaded = true;
  require.cache[file] = module;
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, path.dirname(file));
}

/**
 * CommonJS `source`, wrapped as Node wraps a module, compiled with V8's code cache in `cacheFile`. A missing cache, or
 * one V8 rejects (made from other source or under other flags), is made again at exit, after the run compiled the
 * functions it called, so it holds them too.
 */
function compileCached(source, filename, cacheFile) {
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename, cachedData });
  if (!cachedData || script.cachedDataRejected) pendingCaches.push({ script, cacheFile });
  return script;
}
