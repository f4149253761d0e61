#!/usr/bin/env node
// Fast TypeScript runner: esbuild bundles our own sources (node_modules stay external)
// into .build/ and runs the result in this process. About 10x faster than ts-node,
// which type-checks on every run; type-checking is `npm run typecheck`'s job.
'use strict';
const path = require('path');
const esbuild = require('esbuild');

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run.js <entry.ts> [args...]');
  process.exit(2);
}
const root = path.resolve(__dirname, '..');
const relative = path.relative(root, path.resolve(entry));
// Entries outside the repo are bundled into .build/ too, so node_modules resolve from here.
const outfile = path.join(root, '.build', (relative.startsWith('..') ? path.basename(entry) : relative).replace(/\.ts$/, '.js'));
esbuild.buildSync({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
process.argv = [process.argv[0], outfile, ...args];
require(outfile);
