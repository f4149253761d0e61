/**
 * Synthesis as a whole: deterministic output, atomic replacement of dist/, the CLI's exit
 * codes, and the summary table.
 */
import { PICTURES_DIR } from '../app/pictures';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { Namespaces } from '../charts/namespaces';
import { writeAtomically } from '../lib/atomic-write';
import { render, SynthError } from '../lib/synth-writer';
import { DEFAULT_CONFIG_FILE, mutatedConfigText, readTree, ROOT, tmpDir, writeConfig, TEST_SECRETS, synthesizeWithSecrets } from './helpers';

const RUN = [path.join(ROOT, 'scripts/run.js'), 'main.ts'];
const cli = (args: string[]) => spawnSync(process.execPath, [...RUN, ...args], { cwd: ROOT, encoding: 'utf8' });

describe('synthesis', () => {
  const first = path.join(tmpDir(), 'dist');
  const second = path.join(tmpDir(), 'dist');
  beforeAll(() => {
    synthesizeWithSecrets({ configFile: DEFAULT_CONFIG_FILE, outdir: first, secretsDir: TEST_SECRETS });
    synthesizeWithSecrets({ configFile: DEFAULT_CONFIG_FILE, outdir: second, secretsDir: TEST_SECRETS });
  });

  test('two runs are byte-identical', () => {
    const a = readTree(first);
    const b = readTree(second);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [file, content] of a) expect(b.get(file)).toBe(content);
  });

  test('one folder per environment plus cluster, chart folders in apply order, one object per file', () => {
    const dirs = fs
      .readdirSync(first, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    // Beside the folders, only what the manifests refer to but never create (read by the validator).
    expect(
      fs
        .readdirSync(first, { withFileTypes: true })
        .filter((e) => !e.isDirectory())
        .map((e) => e.name),
    ).toEqual(['constructs.json', 'egress.md', 'externals.json']);
    expect(dirs).toEqual(expect.arrayContaining(['cluster', 'production', 'staging', 'preview-feature-new-catalog', 'preview-fix-enrollment-sync']));
    expect(fs.readdirSync(path.join(first, 'bootstrap'))).toEqual(['00-argocd']);
    // The pictures of each environment and the cluster, beside the synced folders (app/pictures.ts).
    expect(fs.readdirSync(path.join(first, PICTURES_DIR))).toEqual(expect.arrayContaining(['cluster.svg', 'production.svg', 'staging.svg']));
    // dist/cluster holds the charts; each environment one folder per app, which holds the charts.
    const chartFolders = dirs
      .filter((d) => d !== 'hosts' && d !== 'bootstrap' && d !== PICTURES_DIR)
      .flatMap((d) => (d === 'cluster' ? [d] : fs.readdirSync(path.join(first, d)).map((app) => path.join(d, app))));
    expect(chartFolders).toEqual(expect.arrayContaining([path.join('production', 'berkeleytime'), path.join('preview-fix-enrollment-sync', 'berkeleytime')]));
    for (const unit of chartFolders) {
      const charts = fs.readdirSync(path.join(first, unit));
      expect(charts[0]).toBe('00-namespaces');
      for (const chart of charts) {
        expect(chart).toMatch(/^[0-9]{2}-[a-z0-9-]+$/);
        for (const file of fs.readdirSync(path.join(first, unit, chart)).filter((f) => f.endsWith('.k8s.yaml'))) {
          const text = fs.readFileSync(path.join(first, unit, chart, file), 'utf8');
          expect(text.match(/^kind: /gm)).toHaveLength(1);
          // Readable names: Kind.name, never a construct-path hash.
          expect(file).toMatch(/^[A-Za-z]+\.[a-z0-9.-]+\.k8s\.yaml$/);
          expect(text).not.toMatch(/cdk8s\.io\/metadata\.addr|-c8[0-9a-f]{6}\b/);
        }
      }
    }
  });

  test('every manifest leads to the construct that made it, in one hop (constructs.json)', () => {
    const index = JSON.parse(fs.readFileSync(path.join(first, 'constructs.json'), 'utf8'));
    const manifests = [...readTree(first).keys()].filter((f) => f.endsWith('.k8s.yaml') && !f.startsWith(`hosts${path.sep}`));
    expect(Object.keys(index).sort()).toEqual(manifests.map((f) => f.split(path.sep).join('/')).sort());
    expect(index['cluster/30-edge/envoy-gateway-system/Gateway.platform.k8s.yaml']).toBe('30-edge/EnvoyGateway/Gateway');
    expect(index['production/berkeleytime/10-berkeleytime-data/StatefulSet.postgres.k8s.yaml']).toBe('10-berkeleytime-data/Postgres/Resource');
  });
});

describe('output does not depend on the machine', () => {
  test('the same input gives the same bytes under another locale and time zone (names a Danish collation reorders)', () => {
    // Danish sorts "aa" after "z" and "y" with "ü": a localeCompare anywhere would reorder listeners, routes or files.
    const config = writeConfig(
      mutatedConfigText((c) => {
        c.apps.berkeleytime.environments.previews.branches = ['aa-feature', 'y-fix', 'z-last', 'ab', 'Aa-upper'];
        c.apps.berkeleytime.components.backend.paths = ['/api', '/aa', '/yy', '/z'];
        c.edge.tls.dns01 = { rfc2136: { nameserver: 'ns1.example.org:53', tsigKeyName: 'k', tsigSecret: { secret: 'tsig', key: 'secret' } } };
      }),
    );
    const trees = [
      { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TZ: 'UTC' },
      { LANG: 'da_DK.UTF-8', LC_ALL: 'da_DK.UTF-8', TZ: 'Pacific/Chatham' },
    ].map((env) => {
      const out = path.join(tmpDir(), 'dist');
      const result = spawnSync(process.execPath, [...RUN, '--config', config, '--outdir', out, '--force'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      expect(result.status).toBe(0);
      return readTree(out);
    });
    expect([...trees[1].keys()]).toEqual([...trees[0].keys()]);
    for (const [file, content] of trees[0]) expect({ file, content: trees[1].get(file) }).toEqual({ file, content });
  });
});

describe('atomic output', () => {
  test('a failing construct validation leaves the previous output byte-identical', () => {
    const out = path.join(tmpDir(), 'dist');
    synthesizeWithSecrets({ configFile: DEFAULT_CONFIG_FILE, outdir: out, secretsDir: TEST_SECRETS });
    const before = readTree(out);

    const app = new App();
    const chart = new Namespaces(app);
    chart.add('some-namespace');
    chart.node.addValidation({ validate: () => ['a deliberately broken invariant'] });
    expect(() => writeAtomically(out, render([{ dir: 'cluster', app }]).files)).toThrow(SynthError);
    expect(() => render([{ dir: 'cluster', app }])).toThrow('[00-namespaces] a deliberately broken invariant');

    expect(readTree(out)).toEqual(before);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['dist']);
  });

  test('a bad config exits 1, says why, and leaves dist/ untouched (CLI)', () => {
    const out = path.join(tmpDir(), 'dist');
    expect(cli(['--outdir', out, '--force']).status).toBe(0);
    const before = readTree(out);
    const bad = writeConfig(mutatedConfigText((c) => (c.apps.berkeleytime.components.backend.replicas = -2)));
    const result = cli(['--config', bad, '--outdir', out, '--force']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${bad}: apps.berkeleytime.components.backend.replicas: expected an integer from 1 to 100, found -2`);
    expect(result.stderr).toContain('nothing written');
    expect(readTree(out)).toEqual(before);
  });

  test('an unknown flag is a usage error, and nothing is synthesized', () => {
    const out = path.join(tmpDir(), 'dist');
    const result = cli(['--confg', DEFAULT_CONFIG_FILE, '--outdir', out]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('synth: unknown argument "--confg"');
    expect(fs.existsSync(out)).toBe(false);
  });

  test('under `cdk8s synth` the manifests also land in the CLI folder (no host files), the report on stderr', () => {
    const root = tmpDir();
    const [out, cliOut] = [path.join(root, 'dist'), path.join(root, '.cdk8s.out')];
    const result = spawnSync(process.execPath, [...RUN, '--config', DEFAULT_CONFIG_FILE, '--outdir', out, '--force'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK8S_OUTDIR: cliOut },
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^folder +files +objects by kind$/m);
    expect(result.stderr).toContain('Secrets to create in the cluster (never in git): ');
    const copied = [...readTree(cliOut).keys()];
    expect(copied).toEqual([...readTree(out).keys()].filter((f) => !f.startsWith(`hosts${path.sep}`)));
    expect(copied.some((f) => f.startsWith('cluster'))).toBe(true);
  });

  test('the CLI prints a summary table per environment', () => {
    const out = path.join(tmpDir(), 'dist');
    const stdout = execFileSync(process.execPath, [...RUN, '--outdir', out, '--force'], { cwd: ROOT, encoding: 'utf8' });
    expect(stdout).toMatch(/^folder +files +objects by kind$/m);
    expect(stdout).toMatch(/^production\/berkeleytime +[0-9]+ +.*Deployment [0-9]+/m);
    expect(stdout).toMatch(/^cluster +[0-9]+ +.*Application [0-9]+/m);
  });
});
