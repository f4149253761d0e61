/**
 * The tooling around synthesis: the fast runner keeps one bundle per entry file (another `main.ts`
 * never runs in place of ours), and `npm run import` keeps imports/ whole when it fails.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_CONFIG_FILE, readTree, ROOT, tmpDir } from './helpers';

const node = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });

describe('scripts/run.js', () => {
  test('an entry of the same name elsewhere gets its own bundle, and never runs in place of ours', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'main.ts'), "console.log('the other app');\n");
    const ours = path.join(tmpDir(), 'dist');
    expect(node(['scripts/run.js', path.join(dir, 'main.ts')]).stdout).toBe('the other app\n');
    const result = node(['scripts/run.js', 'main.ts', '--config', DEFAULT_CONFIG_FILE, '--outdir', ours, '--force']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('written from');
    expect(node(['scripts/run.js', path.join(dir, 'main.ts')]).stdout).toBe('the other app\n');
  });

  test('the bundle runs through a code cache named by its content, so a rebuilt bundle of the same length never runs stale code', () => {
    const dir = tmpDir();
    const entry = path.join(dir, 'entry.ts');
    fs.writeFileSync(entry, "console.log('aaa');\n");
    expect(node(['scripts/run.js', entry]).stdout).toBe('aaa\n');
    // The runner's folder for an entry outside the repository: named by a digest of its path.
    const folder = path.join(ROOT, '.build', `external-${createHash('sha256').update(entry).digest('hex').slice(0, 16)}`);
    const caches = () => fs.readdirSync(folder).filter((f) => f.startsWith('entry.js.v8-'));
    expect(caches()).toHaveLength(1);
    expect(node(['scripts/run.js', entry]).stdout).toBe('aaa\n');
    // Same length, other content: a cache keyed by the file name alone would print aaa.
    fs.writeFileSync(entry, "console.log('bbb');\n");
    expect(node(['scripts/run.js', entry]).stdout).toBe('bbb\n');
    expect(caches()).toHaveLength(1);
  });

  test('dependencies compile through a code cache of their own, kept while their source is unchanged; a damaged entry is made again', () => {
    const dir = tmpDir();
    const entry = path.join(dir, 'entry.ts');
    // A CommonJS dependency (cached) and an ES module one (require of ESM: Node's own path, not cached).
    fs.writeFileSync(
      entry,
      "import * as yaml from 'js-yaml';\nimport { evaluate } from '@marcbachmann/cel-js';\nconsole.log(yaml.dump({ sum: String(evaluate('1 + 2')) }).trim());\n",
    );
    const run = () => node(['scripts/run.js', entry]).stdout;
    expect(run()).toBe("sum: '3'\n");
    // Named by the module's path and source.
    const file = require.resolve('js-yaml', { paths: [ROOT] });
    const key = createHash('sha256').update(file).update('\0').update(fs.readFileSync(file, 'utf8')).digest('hex').slice(0, 32);
    // The folder of this V8 and these flags: the child runs with no node options and this NODE_OPTIONS.
    const flags = createHash('sha256')
      .update(JSON.stringify([[], process.env.NODE_OPTIONS ?? '']))
      .digest('hex')
      .slice(0, 8);
    const cached = path.join(ROOT, '.build', `node_modules.v8-${process.versions.v8}-${flags}`, key);
    const written = fs.statSync(cached).mtimeMs;
    expect(run()).toBe("sum: '3'\n");
    expect(fs.statSync(cached).mtimeMs).toBe(written); // accepted by V8, so not written again
    fs.writeFileSync(cached, 'not a code cache');
    expect(run()).toBe("sum: '3'\n");
    expect(fs.readFileSync(cached, 'utf8')).not.toBe('not a code cache');
  });

  test('a changed input rebuilds the bundle', () => {
    const dir = tmpDir();
    const entry = path.join(dir, 'entry.ts');
    fs.writeFileSync(entry, "console.log('one');\n");
    expect(node(['scripts/run.js', entry]).stdout).toBe('one\n');
    fs.writeFileSync(entry, "console.log('two!');\n");
    expect(node(['scripts/run.js', entry]).stdout).toBe('two!\n');
  });
});

describe('npm run import', () => {
  test('a failed import leaves imports/ as it was', () => {
    const before = readTree(path.join(ROOT, 'imports'));
    const schemas = tmpDir();
    fs.mkdirSync(path.join(schemas, 'crds'));
    // An Argo CD CRD file without AppProject: the import stops there, before touching imports/.
    fs.writeFileSync(path.join(schemas, 'crds', 'argo-cd.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-a-crd\n');
    const result = node(['scripts/import-crds.js'], { SCHEMA_LOCATION: schemas });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('argo-cd.yaml: no CRD for Application, AppProject');
    expect(readTree(path.join(ROOT, 'imports'))).toEqual(before);
    // This failure comes before any staging; the check only finds a staging folder an earlier run left.
    // A failure after the first `cdk8s import` is not covered here (it needs the CLI to fail midway).
    expect(fs.readdirSync(ROOT).filter((f) => f.startsWith('.imports.'))).toEqual([]);
  });
});
