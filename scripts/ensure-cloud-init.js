#!/usr/bin/env node
// `npm test` checks every host's user-data with cloud-init's own schema validator and every
// systemd unit the hosts get with `systemd-analyze verify`, so both Debian packages must be
// present. On a fresh Debian/Ubuntu machine where we are root, install what is missing (saying
// so); anywhere else, say how and fail rather than let the tests skip silently.
'use strict';
const { spawnSync } = require('child_process');

const has = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const TOOLS = [
  { command: 'cloud-init', package: 'cloud-init', why: 'the user-data schema tests' },
  { command: 'systemd-analyze', package: 'systemd', why: 'the systemd unit checks' },
];

const missing = TOOLS.filter((t) => !has(t.command, ['--version']));
if (missing.length === 0) process.exit(0);

const packages = missing.map((t) => t.package);
const howTo = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}`;
const why = missing.map((t) => `${t.command} (${t.why})`).join(' and ');
if (process.getuid?.() === 0 && has('apt-get', ['--version'])) {
  console.error(`${why} needed by npm test; installing: ${howTo}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...packages],
  ]) {
    const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
  process.exit(0);
}
console.error(`${why} needed by npm test: install first (${howTo}, as root)`);
process.exit(1);
