/**
 * `npm run diff`: the fixture platform synthesized before and after a change (an image bump, a new preview branch,
 * staging deleted, a Deployment's selector edited), compared through the library (lib/diff/) and once through the
 * CLI against a throwaway git repository; then each risk rule on hand-made objects, and the secret masking.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../app/diff-command';
import { formatMarkdown, MAX_CHARS } from '../lib/diff/format-markdown';
import { formatTerminal } from '../lib/diff/format-terminal';
import { DiffReport, diffTrees, TreeDocument } from '../lib/diff/model';
import { defaultRef, treeOnDisk } from '../lib/diff/trees';
import { fixtureTree, mutatedConfigText, runCli, synthesizeWithSecrets, TEST_FINGERPRINTS, TEST_SEALED, TEST_SECRETS, tmpDir, writeConfig } from './helpers';

const BEFORE = () => treeOnDisk(fixtureTree().dist).docs;

/** The fixture platform with `mutate` applied, synthesized into a scratch folder. */
function synthesized(mutate: (cfg: any) => void): TreeDocument[] {
  const dir = tmpDir('platform-diff-test-');
  synthesizeWithSecrets({ configFile: writeConfig(mutatedConfigText(mutate), dir), outdir: path.join(dir, 'dist') });
  return treeOnDisk(path.join(dir, 'dist')).docs;
}

const app = (cfg: any) => cfg.apps.berkeleytime;
/** `section: added/changed/removed` for every section that changed. */
const summary = (report: DiffReport) => Object.fromEntries(report.sections.map((s) => [s.section, `${s.added}/${s.changed}/${s.removed}`]));
const flagIds = (report: DiffReport) => [...new Set(report.flags.map((f) => f.id))].sort();
const against = { against: 'main (merge base 1a2b3c4d5e6f)' };

describe('diff of the fixture platform after a change', () => {
  test('the same config synthesized again is no change', () => {
    const report = diffTrees(
      BEFORE(),
      synthesized(() => undefined),
    );
    expect(report.sections).toEqual([]);
    expect(report.unchanged).toBeGreaterThan(200);
    expect(formatTerminal(report, against)).toContain('no object changes');
  });

  test('a backend image bump: the workloads change, the migration Job is renamed, flagged as versions only', () => {
    const report = diffTrees(
      BEFORE(),
      synthesized((cfg) => (app(cfg).components.backend.image = 'registry.berkeleytime.com/berkeleytime/backend:2.5.0')),
    );
    expect(summary(report)).toEqual({ production: '1/2/1', staging: '1/1/1' });
    const production = report.sections.find((s) => s.section === 'production')!;
    const deployment = production.objects.find((o) => o.label === 'Deployment berkeleytime-production/backend')!;
    expect(deployment.fields).toEqual([
      {
        path: 'spec.template.spec.containers[backend].image',
        from: 'registry.berkeleytime.com/berkeleytime/backend:2.4.1',
        to: 'registry.berkeleytime.com/berkeleytime/backend:2.5.0',
      },
    ]);
    expect(production.objects.filter((o) => o.status !== 'changed').map((o) => `${o.status} ${o.label}`)).toEqual([
      'removed Job berkeleytime-production/backend-migrate-2-4-1',
      'added Job berkeleytime-production/backend-migrate-2-5-0',
    ]);
    expect(flagIds(report)).toEqual(['versions:image']);
    expect(report.flags.find((f) => f.object === 'Deployment berkeleytime-production/backend')!.reason).toBe(
      'container backend: registry.berkeleytime.com/berkeleytime/backend:2.4.1 → 2.5.0',
    );
  });

  test('a new preview branch: its environment is added, the Gateway gains a listener, flagged as exposure', () => {
    const report = diffTrees(
      BEFORE(),
      synthesized((cfg) => app(cfg).environments.previews.branches.push('feature/dark-mode')),
    );
    expect(summary(report)).toEqual({ cluster: '2/1/0', 'preview-feature-dark-mode': '26/0/0' });
    expect(report.sections[0].objects.map((o) => `${o.status} ${o.label}`)).toEqual([
      'added Application argocd/berkeleytime-preview-feature-dark-mode',
      'changed Gateway envoy-gateway-system/platform',
      'added Certificate envoy-gateway-system/feature-dark-mode.preview.berkeleytime.com-tls',
    ]);
    expect(report.flags.map((f) => [f.id, f.object])).toEqual([
      ['exposure:hostname', 'Gateway envoy-gateway-system/platform'],
      ['exposure:route', 'HTTPRoute berkeleytime-preview-feature-dark-mode/berkeleytime-preview-feature-dark-mode'],
    ]);
    expect(report.flags[1].reason).toBe('a new route serves /, /api on feature-dark-mode.preview.berkeleytime.com');

    // The flags and the summary keep to 100 columns; object names and YAML paths are never broken, so their lines may not.
    const terminal = formatTerminal(report, against).split('\n');
    expect(terminal.filter((line) => line.length > 100 && !line.startsWith(' '.repeat(4)))).toEqual([]);

    // Fits a merge-request comment: the summary table, then one collapsible block per section.
    const markdown = formatMarkdown(report, against);
    expect(markdown.length).toBeLessThan(MAX_CHARS);
    expect(markdown).toContain('| where | added | changed | removed | flags |');
    expect(markdown).toContain('| preview-feature-dark-mode | 26 | 0 | 0 | 1 |');
    expect(markdown.match(/<details>/g)).toHaveLength(2);
    expect(markdown.match(/<\/details>/g)).toHaveLength(2);
    expect(markdown).toContain('- added `Namespace berkeleytime-preview-feature-dark-mode`');
  });

  test('staging deleted: its Postgres is flagged as data loss, most severe first', () => {
    const report = diffTrees(
      BEFORE(),
      synthesized((cfg) => {
        delete app(cfg).environments.staging;
        delete app(cfg).environments.previews;
      }),
    );
    expect(report.sections.find((s) => s.section === 'staging')).toMatchObject({ added: 0, changed: 0 });
    expect(report.sections.find((s) => s.section === 'staging')!.removed).toBeGreaterThan(40);
    const dataLoss = report.flags.filter((f) => f.category === 'data-loss');
    expect(dataLoss.map((f) => f.object)).toContain('StatefulSet berkeleytime-staging/postgres');
    expect(dataLoss.find((f) => f.object === 'StatefulSet berkeleytime-staging/postgres')!.reason).toMatch(
      /^removed from the manifests \(claims data\): Prune=false keeps it/,
    );
    // Flags come first, most severe first.
    expect(report.flags[0].category).toBe('data-loss');
    expect(formatTerminal(report, against).split('\n')[2]).toBe(`Risk flags: ${dataLoss.length} data-loss`);
  });

  test("a Deployment's changed selector is flagged as refused, by the validator's upgrade rule", () => {
    const before = BEFORE();
    const after = before.map((doc) =>
      doc.object.kind === 'Deployment' && doc.object.metadata.name === 'backend' && doc.object.metadata.namespace === 'berkeleytime-production'
        ? { ...doc, object: { ...doc.object, spec: { ...doc.object.spec, selector: { matchLabels: { app: 'backend-v2' } } } } }
        : doc,
    );
    const report = diffTrees(before, after);
    expect(summary(report)).toEqual({ production: '0/1/0' });
    expect(report.flags.map((f) => [f.id, f.object])).toEqual([['refused:immutable', 'Deployment berkeleytime-production/backend']]);
    // One flag per object and rule, however many labels changed.
    expect(report.flags[0].reason).toMatch(/^spec\.selector\.matchLabels.* the API server refuses this update \(immutable\).*; and 3 more fields$/);
  });
});

describe('the CLI against a git repository', () => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, stdio: 'pipe' }).toString();
  const synth = { secretsDir: TEST_SECRETS, fingerprintsDir: TEST_FINGERPRINTS, sealedDir: TEST_SEALED };
  let repo: string;
  beforeAll(() => {
    repo = tmpDir('platform-diff-repo-');
    git(repo, 'init', '-q', '-b', 'main');
    fs.cpSync(fixtureTree().dist, path.join(repo, 'dist'), { recursive: true, filter: (src) => !src.includes(`${path.sep}hosts`) });
    git(repo, 'add', 'dist');
    git(repo, 'commit', '-q', '-m', 'dist');
  });

  const run = (args: string[]) => runCli(async (argv) => main(argv, { cwd: repo, synth }), args);
  const config = (mutate: (cfg: any) => void) => writeConfig(mutatedConfigText(mutate));

  test('--fail-on data-loss exits 1 on a deleted staging, 0 without it; markdown on stdout', async () => {
    const stagingless = config((cfg) => {
      delete app(cfg).environments.staging;
      delete app(cfg).environments.previews;
    });
    const failing = await run(['--config', stagingless, '--against', 'HEAD', '--fail-on', 'data-loss,refused', '--format', 'markdown']);
    expect(failing.code).toBe(1);
    expect(failing.out.join('\n')).toContain('| data-loss | staging/berkeleytime | `StatefulSet berkeleytime-staging/postgres` |');
    expect(failing.out[failing.out.length - 1]).toMatch(/^diff: \d+ flag\(s\) of --fail-on data-loss,refused: data-loss:removed-kept$/);
    const passing = await run(['--config', stagingless, '--against', 'HEAD']);
    expect(passing.code).toBe(0);
  });

  test('an unknown --fail-on category or flag is a usage error', async () => {
    expect((await run(['--fail-on', 'data-loss,typo'])).code).toBe(2);
    expect((await run(['--fail-on', 'data-loss,typo'])).out[0].split('\n')[0]).toBe(
      'diff: --fail-on: unknown category typo; expected data-loss, refused, exposure, security, versions',
    );
    expect((await run(['--format', 'html'])).code).toBe(2);
    expect((await run(['--against'])).code).toBe(2);
    expect((await run(['--agianst', 'HEAD'])).code).toBe(2);
    expect((await run(['--against', 'no-such-ref'])).out[0]).toBe('diff: --against no-such-ref: not a commit in this repository');
  });

  test('the default ref: the merge base with main, or HEAD while config/ or dist/ has uncommitted changes', () => {
    const clone = tmpDir('platform-diff-clone-');
    git(clone, 'clone', '-q', repo, '.');
    git(clone, 'checkout', '-q', '-b', 'feature');
    fs.writeFileSync(path.join(clone, 'dist', 'note.yaml'), 'a: 1\n');
    expect(defaultRef(clone).ref).toBe('HEAD');
    git(clone, 'add', 'dist');
    git(clone, 'commit', '-q', '-m', 'feature');
    const base = git(clone, 'rev-parse', 'origin/main').trim();
    expect(defaultRef(clone)).toEqual({ ref: base, description: `origin/main (merge base ${base.slice(0, 12)})` });
  });
});
