/**
 * The CI templates a team copies (ci/gitlab-ci.yml, ci/github-actions.yml): valid YAML of the shape each CI system
 * reads, running the README's commands (tests, a stale-dist/ check, validation with a cached chart folder, the
 * diff posted to the merge request and its --fail-on gate), with every npm script they name defined here.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { CATEGORIES } from '../lib/diff/risks';
import { ROOT } from './helpers';

const load = (file: string): any => yaml.load(fs.readFileSync(path.join(ROOT, 'ci', file), 'utf8'));
const SCRIPTS = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts);

/** What every template must run, in the README's words. */
const REQUIRED = [
  'npm ci',
  'npm run typecheck',
  'npm run lint',
  'npm test',
  'npm run synth',
  'git diff --exit-code -- dist/',
  "git status --porcelain -- dist ':!dist/hosts'",
  'npm run charts:pull',
  'npm run validate',
  '--format markdown > diff.md',
  '--fail-on data-loss,refused',
];

function checkCommands(shell: string): void {
  for (const command of REQUIRED) expect(shell).toContain(command);
  // Every `npm run X` names a script of this repository.
  const named = [...shell.matchAll(/npm run (?:-s )?([\w:-]+)/g)].map((m) => m[1]);
  expect(named.filter((s) => !SCRIPTS.includes(s))).toEqual([]);
  // --fail-on names categories the diff knows (an unknown one is a usage error, exit 2).
  for (const [, list] of shell.matchAll(/--fail-on ([\w,-]+)/g))
    expect(list.split(',').filter((c) => !(CATEGORIES as readonly string[]).includes(c))).toEqual([]);
}

describe('GitHub Actions workflow', () => {
  const workflow = load('github-actions.yml');
  const jobs: [string, any][] = Object.entries(workflow.jobs);
  const steps = jobs.flatMap(([, job]) => job.steps as any[]);

  test('runs on pull requests and pushes to main; jobs have a runner and steps', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(jobs.map(([name]) => name)).toEqual(['test', 'diff']);
    for (const [, job] of jobs) {
      expect(job['runs-on']).toMatch(/^ubuntu-\d+\.\d+$/);
      expect(Array.isArray(job.steps) && job.steps.length).toBeTruthy();
    }
    // Each step either uses an action or runs a command, never both.
    for (const step of steps) expect(['uses' in step, 'run' in step].filter(Boolean)).toHaveLength(1);
  });

  test('actions are pinned by full release tag; no expression is expanded inside a shell script', () => {
    const uses = steps.filter((s) => s.uses).map((s) => s.uses as string);
    expect(uses.length).toBeGreaterThanOrEqual(5);
    for (const action of uses) expect(action).toMatch(/^actions\/[a-z-]+@v\d+\.\d+\.\d+$/);
    // Values reach scripts through env (a branch name in ${{ }} would be shell syntax).
    for (const step of steps.filter((s) => s.run)) expect(step.run).not.toContain('${{');
  });

  test("runs the README's commands; the diff job may comment, and reads the history", () => {
    checkCommands(steps.map((s) => s.run ?? '').join('\n'));
    const diff = workflow.jobs.diff;
    expect(diff.if).toBe("github.event_name == 'pull_request'");
    expect(diff.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(diff.steps[0].with['fetch-depth']).toBe(0);
    expect(diff.steps.map((s: any) => s.run ?? '').join('\n')).toContain('gh pr comment "$PR_NUMBER" --body-file diff.md');
    const cache = workflow.jobs.test.steps.find((s: any) => s.uses?.startsWith('actions/cache@'));
    expect(cache.with.path).toBe('~/.cache/campus-platform');
  });
});

describe('GitLab CI', () => {
  const pipeline = load('gitlab-ci.yml');
  const RESERVED = ['workflow', 'default', 'variables', 'stages'];
  const jobs: [string, any][] = Object.entries(pipeline).filter(([name]) => !RESERVED.includes(name) && !name.startsWith('.'));
  /** A job's script with the template it extends. */
  const shell = (job: any): string[] => [...(job.extends ? pipeline[job.extends].before_script : []), ...job.script];

  test('every job has a declared stage and a script; the clone has the history the diff reads', () => {
    expect(jobs.map(([name]) => name)).toEqual(['test', 'validate', 'diff']);
    for (const [, job] of jobs) {
      expect(pipeline.stages).toContain(job.stage);
      expect(job.script.every((line: unknown) => typeof line === 'string')).toBe(true);
    }
    expect(pipeline.variables.GIT_DEPTH).toBe('0');
  });

  test("runs the README's commands; the chart cache is cached; the diff is posted in merge requests only", () => {
    checkCommands(jobs.flatMap(([, job]) => shell(job)).join('\n'));
    expect(pipeline.variables.XDG_CACHE_HOME).toBe('$CI_PROJECT_DIR/.cache');
    expect(pipeline.validate.cache.flatMap((c: any) => c.paths)).toContain('.cache/campus-platform/');
    expect(pipeline.diff.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
    const diff = shell(pipeline.diff).join('\n');
    expect(diff).toContain('--against "$CI_MERGE_REQUEST_DIFF_BASE_SHA"');
    expect(diff).toContain('${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/merge_requests/${CI_MERGE_REQUEST_IID}/notes');
    expect(pipeline.diff.artifacts.paths).toEqual(['diff.md']);
  });
});
