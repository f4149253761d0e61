#!/usr/bin/env node
// Fast TypeScript runner: esbuild bundles our own sources (node_modules stay external)
// into .build/ and runs the result in this process, far faster than ts-node, which
// type-checks on every run (type-checking is `npm run typecheck`'s job). The bundle is
// reused while none of its input files changed since it was written.
'use strict';
const fs = require('fs');
const path = require('path');

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run.js <entry.ts> [args...]');
  process.exit(2);
}
const root = path.resolve(__dirname, '..');
const relative = path.relative(root, path.resolve(entry));
// Entries outside the repo are bundled into .build/ too, so node_modules resolve from here.
const outfile = path.join(root, '.build', (relative.startsWith('..') ? path.basename(entry) : relative).replace(/\.ts$/, '.js'));
const inputsFile = `${outfile}.inputs.json`;

/** True when the bundle exists and is newer than every file it was built from. */
function upToDate() {
  try {
    const built = fs.statSync(outfile).mtimeMs;
    const inputs = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
    return inputs.every((file) => fs.statSync(path.join(root, file)).mtimeMs <= built);
  } catch {
    return false;
  }
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
    absWorkingDir: root,
    logLevel: 'warning',
  });
  fs.writeFileSync(inputsFile, JSON.stringify(Object.keys(result.metafile.inputs)));
}
process.argv = [process.argv[0], outfile, ...args];
require(outfile);
