/**
 * The synthesis CLI cannot hurt the project: `--outdir` never names the repository, its inputs, a
 * folder of other files or a place outside the project without `--force`; flags are checked with a
 * suggestion; machine errors are one line; a run killed at random moments always leaves one whole
 * tree and nothing git would see.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { recoverInterrupted } from '../lib/atomic-write';
import { isSynthesizedTree, outdirProblem } from '../lib/outdir-guard';
import { systemErrorLine } from '../lib/system-errors';
import { DEFAULT_CONFIG_FILE, mutatedConfigText, readTree, ROOT, tmpDir, writeConfig } from './helpers';

const RUN = [path.join(ROOT, 'scripts/run.js'), 'main.ts'];

describe('--outdir', () => {
  const root = tmpDir('outdir-root-');
  fs.mkdirSync(path.join(root, 'config'));
  fs.writeFileSync(path.join(root, 'config', 'platform.yaml'), 'x: 1\n');
  fs.mkdirSync(path.join(root, 'docs'));
  fs.writeFileSync(path.join(root, 'docs', 'notes.md'), '# notes\n');
  fs.mkdirSync(path.join(root, 'dist'));
  fs.writeFileSync(path.join(root, 'dist', 'externals.json'), JSON.stringify({ about: 'Written by the synthesis: …' }));
  const problem = (outdir: string, force = false) => outdirProblem(path.join(root, outdir), root, force);

  test.each([
    ['.', 'is the repository itself'],
    ['..', 'contains the repository'],
    ['../elsewhere', 'is outside the project'],
    ['.git', 'is inside .git/'],
    ['config', 'is inside config/'],
    ['config/out', 'is inside config/'],
    ['secrets', 'is inside secrets/'],
    ['fingerprints', 'is inside fingerprints/'],
    ['docs', 'holds files synthesis did not write'],
  ])('%s is refused: %s', (outdir, why) => {
    expect(problem(outdir)).toContain(why);
    expect(problem(outdir, true)).toBeUndefined(); // unless forced
  });

  test.each(['dist', 'out', 'docs/new'])('%s (a synthesized tree, a new folder) is fine', (outdir) => {
    expect(problem(outdir)).toBeUndefined();
  });

  test('a synthesized tree is recognised by its externals file', () => {
    expect(isSynthesizedTree(path.join(root, 'dist'))).toBe(true);
    expect(isSynthesizedTree(path.join(root, 'docs'))).toBe(false);
  });

  test('the CLI refuses with exit 2 and writes nothing; a mistyped flag gets a suggestion', () => {
    const refused = spawnSync(process.execPath, [...RUN, '--outdir', 'config'], { cwd: ROOT, encoding: 'utf8' });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('synth: config is inside config/');
    const typo = spawnSync(process.execPath, [...RUN, '--outdri', 'x'], { cwd: ROOT, encoding: 'utf8' });
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('unknown argument "--outdri" (did you mean "--outdir"?)');
    const bare = spawnSync(process.execPath, [...RUN, '--config'], { cwd: ROOT, encoding: 'utf8' });
    expect(bare.stderr).toContain('--config needs a value');
  });
});

test('a host name of 253 characters synthesizes, with object names within 253 and file names within 255 bytes', () => {
  const host = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(57), 'org'].join('.');
  expect(host).toHaveLength(253);
  const out = path.join(tmpDir(), 'dist');
  const config = writeConfig(mutatedConfigText((c) => (c.apps.berkeleytime.environments.production.host = host)));
  const result = spawnSync(process.execPath, [...RUN, '--config', config, '--outdir', out, '--force'], { cwd: ROOT, encoding: 'utf8' });
  expect(result.status).toBe(0);
  const files = [...readTree(out).entries()];
  for (const [file, text] of files) {
    expect(Buffer.byteLength(path.basename(file))).toBeLessThanOrEqual(255);
    const name = /^ {2}name: (.+)$/m.exec(text.split('\nspec:')[0])?.[1];
    if (name && file.endsWith('.k8s.yaml')) expect(name.length).toBeLessThanOrEqual(253);
  }
  expect(files.some(([, text]) => text.includes(host))).toBe(true);
});

describe('machine errors are one line', () => {
  const error = (code: string, syscall: string, file: string) => Object.assign(new Error(`${code}: ${syscall} '${file}'`), { code, syscall, path: file });
  test.each([
    ['ENOSPC', 'the disk is full'],
    ['EROFS', 'the file system is read-only'],
    ['EACCES', 'permission denied'],
  ])('%s', (code, what) => {
    const line = systemErrorLine(error(code, 'open', '/srv/dist/x.yaml'))!;
    expect(line.startsWith(`open /srv/dist/x.yaml failed (${code}): `)).toBe(true);
    expect(line).toContain(what);
    expect(line).not.toContain('\n');
  });
  test('anything else (a bug) is not turned into a line', () => {
    expect(systemErrorLine(new TypeError('x is undefined'))).toBeUndefined();
  });

  test('a folder synthesis may not write to gives one line, exit 1, no stack trace', () => {
    if (process.getuid?.() === 0) {
      // root ignores permissions: use a path below a file instead, which fails for everyone.
      const file = path.join(tmpDir(), 'a-file');
      fs.writeFileSync(file, '');
      const result = spawnSync(process.execPath, [...RUN, '--outdir', path.join(file, 'dist'), '--force'], { cwd: ROOT, encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/failed \(ENOTDIR\): a part of the path is a file, not a folder/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      return;
    }
    const dir = tmpDir();
    fs.chmodSync(dir, 0o500);
    const result = spawnSync(process.execPath, [...RUN, '--outdir', path.join(dir, 'dist'), '--force'], { cwd: ROOT, encoding: 'utf8' });
    fs.chmodSync(dir, 0o700);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/failed \(EACCES\): permission denied/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

test('synthesis killed at random moments leaves the old or the new whole tree, and the next run leaves nothing else', async () => {
  const parent = tmpDir('synth-kill-');
  const out = path.join(parent, 'dist');
  const args = [...RUN, '--config', DEFAULT_CONFIG_FILE, '--outdir', out, '--force'];
  expect(spawnSync(process.execPath, args, { cwd: ROOT }).status).toBe(0);
  const whole = [...readTree(out).keys()];
  // A few moments per run of the suite; CI kills the real `npm run synth` 100 times (scripts/kill-synthesis.ts).
  for (let k = 0; k < 5; k++) {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Start-up takes ~0.3 s and writing ~0.2 s: land anywhere from loading to the swap (or after the end).
    await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(Math.random() * 450)));
    child.kill('SIGKILL');
    await exited;
    // The next command recovers first (what synthesis and validate do on start).
    recoverInterrupted(out);
    expect([...readTree(out).keys()]).toEqual(whole);
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  }
}, 30_000);
