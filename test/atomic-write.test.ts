/**
 * lib/atomic-write.ts: unchanged files are linked from the previous tree, the previous tree is never
 * modified, and a writer killed at any moment leaves the old or the new complete tree, with every
 * leftover swept (or put back) by the next run.
 */
import { spawn } from 'child_process';
import { buildSync } from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';
import { recoverInterrupted, writeAtomically } from '../lib/atomic-write';
import { tmpDir } from './helpers';

const tree = (version: string, count = 40) =>
  new Map(Array.from({ length: count }, (_, i) => [`env-${i % 4}/chart/Thing.${i}.k8s.yaml`, `kind: Thing\nversion: ${version}\nindex: ${i}\n`]));

function read(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

test('an unchanged file is linked from the previous tree; a changed content or mode is written anew', () => {
  const out = path.join(tmpDir('atomic-'), 'dist');
  const first = tree('1', 4);
  writeAtomically(out, first, [{ path: 'hosts/a/user-data', content: 'secret', mode: 0o600 }]);
  const inode = (file: string) => fs.statSync(path.join(out, file)).ino;
  const before = { same: inode('env-0/chart/Thing.0.k8s.yaml'), changed: inode('env-1/chart/Thing.1.k8s.yaml'), host: inode('hosts/a/user-data') };

  const second = new Map(first);
  second.set('env-1/chart/Thing.1.k8s.yaml', 'kind: Thing\nversion: 2\n');
  writeAtomically(out, second, [{ path: 'hosts/a/user-data', content: 'secret', mode: 0o640 }]);
  expect(inode('env-0/chart/Thing.0.k8s.yaml')).toBe(before.same);
  expect(inode('env-1/chart/Thing.1.k8s.yaml')).not.toBe(before.changed);
  expect(inode('hosts/a/user-data')).not.toBe(before.host);
  expect(fs.statSync(path.join(out, 'hosts/a/user-data')).mode & 0o777).toBe(0o640);
  expect(read(out)['env-1/chart/Thing.1.k8s.yaml']).toBe('kind: Thing\nversion: 2\n');
  expect(fs.readdirSync(path.dirname(out))).toEqual(['dist']);
});

test('a kill between the two renames leaves the previous tree, which the next run puts back', () => {
  const parent = tmpDir('atomic-');
  const out = path.join(parent, 'dist');
  writeAtomically(out, tree('1'));
  const previous = read(out);
  // What a run killed after its first rename leaves: no dist/, the old tree and the new one under a dead pid.
  const dead = 2 ** 22 + 12345; // above the default pid_max of 2^22, so no such process
  fs.renameSync(out, path.join(parent, `.dist-old-${dead}`));
  fs.mkdirSync(path.join(parent, `.dist-tmp-${dead}`));
  recoverInterrupted(out);
  expect(read(out)).toEqual(previous);
  expect(fs.readdirSync(parent)).toEqual(['dist']);
});

test('the leftovers of a live run are not touched', () => {
  const parent = tmpDir('atomic-');
  const out = path.join(parent, 'dist');
  writeAtomically(out, tree('1'));
  const live = path.join(parent, `.dist-tmp-${process.ppid}`);
  fs.mkdirSync(live);
  writeAtomically(out, tree('2'));
  expect(fs.existsSync(live)).toBe(true);
});

/** The module under test, bundled to plain JavaScript so that each writer process starts in milliseconds. */
function writerBundle(): string {
  const bundle = path.join(tmpDir('atomic-bundle-'), 'atomic-write.js');
  buildSync({
    entryPoints: [path.resolve(__dirname, '../lib/atomic-write.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'error',
  });
  return bundle;
}

/** A writer that replaces `out` with tree `version` of `count` files in a loop, until killed. */
const WRITER = `
  const { writeAtomically } = require(process.env.ATOMIC_WRITE);
  const [out, count] = process.argv.slice(1);
  for (let round = 0; ; round++) {
    const version = String(round % 2);
    const files = new Map(Array.from({ length: Number(count) }, (_, i) => ['env-' + (i % 4) + '/Thing.' + i + '.k8s.yaml', 'version: ' + version + '\\nindex: ' + i + '\\n' + (round % 3 ? 'x'.repeat(i) : '')]));
    writeAtomically(out, files);
    if (round === 0) process.stdout.write('ready\\n');
  }`;

test('killed at random moments, the writer always leaves one complete tree and nothing else after the next run', async () => {
  const parent = tmpDir('atomic-kill-');
  const out = path.join(parent, 'dist');
  const count = 200;
  const bundle = writerBundle();
  const start = (stdout: 'pipe' | 'ignore') =>
    spawn(process.execPath, ['-e', WRITER, out, String(count)], { env: { ...process.env, ATOMIC_WRITE: bundle }, stdio: ['ignore', stdout, 'inherit'] });
  const child = start('pipe');
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  const kills = 15;
  let writer = child;
  for (let k = 0; k < kills; k++) {
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 40)));
    writer.kill('SIGKILL');
    await new Promise((resolve) => writer.once('exit', resolve));
    recoverInterrupted(out);
    const files = read(out);
    expect(Object.keys(files)).toHaveLength(count);
    const versions = new Set(Object.values(files).map((text) => text.split('\n')[0]));
    expect(versions.size).toBe(1); // one whole tree, never a mix
    expect(fs.readdirSync(parent)).toEqual(['dist']);
    if (k < kills - 1) {
      writer = start('ignore');
      await new Promise((resolve) => setTimeout(resolve, 100)); // start-up, then writing
    }
  }
}, 30_000);

test('writers running at once: each one that succeeds leaves a whole tree, the others fail cleanly, and nothing is left over', async () => {
  const parent = tmpDir('atomic-concurrent-');
  const out = path.join(parent, 'dist');
  writeAtomically(out, tree('seed', 200));
  const bundle = writerBundle();
  const ONE_WRITE = `
    const { writeAtomically } = require(process.env.ATOMIC_WRITE);
    const [out, version] = process.argv.slice(1);
    for (let round = 0; round < 5; round++) {
      const files = new Map(Array.from({ length: 200 }, (_, i) => ['env-' + (i % 4) + '/Thing.' + i + '.k8s.yaml', 'version: ' + version + '-' + round + '\\n']));
      try { writeAtomically(out, files); } catch (err) { process.exitCode = 1; }
    }`;
  const runs = ['a', 'b', 'c', 'd'].map(
    (version) =>
      new Promise<number>((resolve) =>
        spawn(process.execPath, ['-e', ONE_WRITE, out, version], { env: { ...process.env, ATOMIC_WRITE: bundle }, stdio: 'ignore' }).once('exit', (code) =>
          resolve(code ?? 1),
        ),
      ),
  );
  await Promise.all(runs);
  recoverInterrupted(out);
  const files = read(out);
  expect(Object.keys(files)).toHaveLength(200);
  expect(new Set(Object.values(files)).size).toBe(1); // one writer's whole tree, never a mix
  expect(fs.readdirSync(parent)).toEqual(['dist']);
}, 30_000);
