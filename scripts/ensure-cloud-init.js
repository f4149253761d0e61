#!/usr/bin/env node
// `npm test` checks every host's user-data with cloud-init's own schema validator, so the
// Debian package must be present. On a fresh Debian/Ubuntu machine where we are root, install
// it (saying so); anywhere else, say how and fail rather than let the test skip silently.
'use strict';
const { spawnSync } = require('child_process');

const has = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

if (has('cloud-init', ['--version'])) process.exit(0);

const howTo = 'apt-get update && apt-get install -y --no-install-recommends cloud-init';
if (process.getuid?.() === 0 && has('apt-get', ['--version'])) {
  console.error(`cloud-init is needed by the user-data schema tests; installing it: ${howTo}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', 'cloud-init'],
  ]) {
    const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
  process.exit(0);
}
console.error(`cloud-init is needed by the user-data schema tests: install it first (${howTo}, as root)`);
process.exit(1);
