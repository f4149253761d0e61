/**
 * `gitops.mode: kubectl` end to end on the fixture platform: the tree it synthesizes (no Argo CD objects, every
 * add-on from its pinned chart, 0 validator findings, deterministic), and the apply plan `npm run plan -- --kubectl`
 * prints, run as printed against a recording stand-in for kubectl (test/fake-kubectl/) that fails where a real API
 * server would. Needs the chart cache (skipped with one warning without it: test/chart-cache.ts).
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { format } from 'util';
import * as yaml from 'js-yaml';
import { describeWithCharts } from './chart-cache';
import {
  DEFAULT_CONFIG_FILE,
  fixtureTree,
  manifestFolders,
  mutatedConfigText,
  readManifests,
  readTree,
  ROOT,
  synthesizeWithSecrets,
  tmpDir,
  writeConfig,
} from './helpers';
import { holdsData } from '../lib/kubectl-phases';
import { renderChart } from '../lib/charts/render';
import { applicationRender } from '../lib/chart-source';
import { validateTree } from '../lib/validate';
import * as chartArchive from '../lib/charts/chart-archive';
import { SynthError } from '../lib/synth-writer';
import { synthesize } from '../app/synth';
import { loadConfig } from '../config/load';
import { withChartObjectsOfModeSwitch } from '../lib/diff/chart-objects';
import { diffTrees } from '../lib/diff/model';
import { treeOnDisk } from '../lib/diff/trees';
import { main as planCommand } from '../lib/validate/plan-command';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { serve } = require('./fake-kubectl/stand-in');

const FAKE_KUBECTL = path.join(ROOT, 'test', 'fake-kubectl');
const kubectlConfig = () =>
  writeConfig(
    mutatedConfigText((cfg) => {
      cfg.gitops = { ...cfg.gitops, mode: 'kubectl' };
    }),
  );

function synthKubectl(configFile: string) {
  const outdir = path.join(tmpDir('platform-kubectl-'), 'dist');
  const result = synthesizeWithSecrets({ configFile, outdir });
  return { outdir, result };
}

/** The printed plan of a tree: `npm run plan -- --kubectl DIR` run as a command. */
function printedPlanOfCommand(dist: string): { code: number; text: string; stderr: string } {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'run.js'), 'lib/validate/plan-cli.ts', '--kubectl', dist], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: run.status ?? -1, text: run.stdout, stderr: run.stderr };
}

/** The same, run in this process (the command's own main; the first plan of the suite goes through the command). */
async function printedPlan(dist: string): Promise<{ code: number; text: string; stderr: string }> {
  let text = '';
  let stderr = '';
  const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void (text += `${format(...parts)}\n`));
  const error = jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void (stderr += `${format(...parts)}\n`));
  try {
    return { code: await planCommand(['--kubectl', dist]), text, stderr };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

interface Recorded {
  readonly argv: string[];
  readonly applyset: string | null;
}

/** The stand-in's port while this file's tests run (test/fake-kubectl/stand-in.js, served in this process). */
let standIn: { port: number; close: () => Promise<void> };
beforeAll(async () => {
  standIn = await serve();
});
afterAll(() => standIn.close());

/** Runs a printed plan as a person would (one `bash -e`, from a folder whose dist/ is the tree) against the stand-in. */
async function runPlan(text: string, dist: string, state = path.join(tmpDir('fake-kubectl-'), 'state.json')) {
  const root = tmpDir('kubectl-root-');
  fs.symlinkSync(dist, path.join(root, 'dist'));
  const log = path.join(root, 'log.jsonl');
  const env = {
    ...process.env,
    PATH: `${FAKE_KUBECTL}${path.delimiter}${process.env.PATH}`,
    FAKE_KUBECTL_PORT: String(standIn.port),
    FAKE_KUBECTL_LOG: log,
    FAKE_KUBECTL_STATE: state,
  };
  // Asynchronous: the stand-in answers from this process while bash runs.
  const child = spawn('bash', ['-e', '-c', text], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const recorded: Recorded[] = fs.existsSync(log)
    ? fs
        .readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
    : [];
  return { code, stderr, recorded, state: JSON.parse(fs.readFileSync(state, 'utf8')), stateFile: state };
}

const folderOf = (r: Recorded) => r.argv[r.argv.indexOf('-f') + 1];
const isApply = (r: Recorded) => r.argv[0] === 'apply';

describeWithCharts('gitops.mode: kubectl', () => {
  let outdir: string;
  let result: ReturnType<typeof synthesizeWithSecrets>;
  let plan: ReturnType<typeof printedPlanOfCommand>;
  let run: Awaited<ReturnType<typeof runPlan>>;
  /** The tree's objects, parsed once (18 MB of YAML; read only). */
  let parsed: ReturnType<typeof readManifests> | undefined;
  const manifests = () => (parsed ??= readManifests(outdir));

  beforeAll(async () => {
    ({ outdir, result } = synthKubectl(kubectlConfig()));
    plan = printedPlanOfCommand(outdir);
    run = await runPlan(plan.text, outdir);
  }, 300_000);

  describe('the tree', () => {
    test('holds no Argo CD object, and a CRD phase first', () => {
      const objects = manifests();
      expect(objects.filter((o) => String(o.object.apiVersion).startsWith('argoproj.io/')).map((o) => o.file)).toEqual([]);
      expect(objects.filter((o) => o.object.kind === 'CustomResourceDefinition').every((o) => o.file.split('/')[1] === '00-crds')).toBe(true);
      expect(fs.existsSync(path.join(outdir, 'bootstrap'))).toBe(false);
    });

    test("every add-on's objects are its pinned chart's render with its Application's values", () => {
      const argocd = readManifests(fixtureTree().dist).filter((o) => o.object.kind === 'Application');
      const tree = manifests();
      const crds = tree.filter((o) => o.object.kind === 'CustomResourceDefinition').map((o) => o.object);
      const apiVersions = crds.flatMap((c) =>
        c.spec.versions
          .filter((v: any) => v.served !== false)
          .flatMap((v: any) => [`${c.spec.group}/${v.name}`, `${c.spec.group}/${v.name}/${c.spec.names.kind}`]),
      );
      let compared = 0;
      for (const { object: app } of argocd) {
        const request = applicationRender(app, (t) => yaml.load(t));
        if (!request) continue;
        const inTree = tree.filter((o) => o.file.split('/').includes(`chart-${request.releaseName}`));
        expect(inTree.length).toBeGreaterThan(0);
        const rendered = renderChart({ ...request, kubeVersion: String(parseKubeVersion(outdir)), apiVersions: [...new Set(apiVersions)].sort() })
          .objects.map((r) => r.object)
          .filter((o) => o && !/test/.test(String(o.metadata?.annotations?.['helm.sh/hook'] ?? '')));
        const key = (o: any) => `${o.kind}/${o.metadata.name}`;
        expect(inTree.map((o) => key(o.object)).sort()).toEqual(rendered.map(key).sort());
        for (const { object } of inTree) {
          const source = rendered.find((r) => key(r) === key(object));
          // The tree adds only the namespace Argo CD would have applied it to.
          expect({ ...object, metadata: { ...object.metadata, namespace: source.metadata.namespace ?? object.metadata.namespace } }).toEqual({
            ...source,
            metadata: { ...source.metadata, namespace: source.metadata.namespace ?? object.metadata.namespace },
          });
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(100);
    });

    test('dist/egress.md names no Argo CD connection, and still the registries of the charts it rendered', () => {
      const egress = fs.readFileSync(path.join(outdir, 'egress.md'), 'utf8');
      expect(egress).not.toMatch(/\| argo-cd \|/);
      expect(egress).not.toMatch(/images: argo-cd/);
      expect(egress).toMatch(/chart rook-ceph/);
    });

    test('validates with 0 findings', () => {
      const findings = validateTree(manifestFolders(outdir), { declared: { secrets: result.externalSecrets, storageClasses: result.externalStorageClasses } });
      expect(findings).toEqual([]);
    });

    test('is deterministic: a second synthesis is byte-identical', () => {
      const again = synthKubectl(kubectlConfig()).outdir;
      expect(readTree(again)).toEqual(readTree(outdir));
    });

    test('without the chart cache, fails naming what is missing and how to get it, and writes nothing', () => {
      const spy = jest.spyOn(chartArchive, 'locateChart').mockImplementation((ref) => {
        throw new chartArchive.ChartUnavailable(ref, [{ source: 'CHART_LOCATION', folder: '/nonexistent' }]);
      });
      const target = path.join(tmpDir('platform-kubectl-'), 'dist');
      try {
        expect(() => synthesizeWithSecrets({ configFile: kubectlConfig(), outdir: target })).toThrow(SynthError);
        try {
          synthesizeWithSecrets({ configFile: kubectlConfig(), outdir: target });
        } catch (err) {
          expect((err as Error).message).toMatch(/gitops.mode is kubectl.*charts:pull/s);
        }
      } finally {
        spy.mockRestore();
      }
      expect(fs.existsSync(target)).toBe(false);
    });
  });

  describe('the printed apply plan, run against a recording kubectl', () => {
    test('is clean and runs to the end', () => {
      expect(plan.stderr).toBe('');
      expect(plan.code).toBe(0);
      expect(plan.text).toMatch(/^export KUBECTL_APPLYSET=true$/m);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.recorded.length).toBeGreaterThan(20);
    });

    test('applies server-side with one field manager; CRDs first and waited Established; Namespaces before what is in them', () => {
      const applies = run.recorded.filter(isApply);
      expect(applies.every((r) => r.argv.includes('--server-side') && r.argv.includes('--field-manager=platform'))).toBe(true);
      expect(folderOf(applies[0])).toBe('dist/cluster/00-crds/kept');
      const crdWait = run.recorded[1];
      expect(crdWait.argv.slice(0, 2)).toEqual(['wait', '--for=condition=Established']);
      const crdNames = manifests()
        .filter((o) => o.object.kind === 'CustomResourceDefinition')
        .map((o) => `customresourcedefinition/${o.object.metadata.name}`);
      expect(crdWait.argv.filter((a) => a.startsWith('customresourcedefinition/')).sort()).toEqual(crdNames.sort());
      expect(folderOf(applies[1])).toBe('dist/cluster/01-namespaces/kept');
    });

    test('operators are waited on before their custom resources are applied', () => {
      // Not kube-prometheus-stack: its chart brings the operator and its Prometheus in one step, as in argocd mode.
      const OPERATOR_OF: Record<string, string> = {
        'ceph.rook.io': 'deployment/rook-ceph-operator',
        'cert-manager.io': 'deployment/cert-manager-webhook',
        'elasticsearch.k8s.elastic.co': 'statefulset/elastic-operator',
        'bitnami.com': 'deployment/sealed-secrets-controller',
      };
      const objects = manifests();
      let checked = 0;
      for (const [group, operator] of Object.entries(OPERATOR_OF)) {
        const waited = run.recorded.findIndex((r) => !isApply(r) && r.argv.includes(operator));
        expect(waited).toBeGreaterThan(-1);
        const folders = new Set(
          objects
            .filter((o) => String(o.object.apiVersion).startsWith(`${group}/`) && o.object.kind !== 'PrometheusRule' && o.object.kind !== 'ServiceMonitor')
            .map((o) => o.file),
        );
        const firstApply = run.recorded.findIndex((r) => isApply(r) && [...folders].some((f) => `dist/${f}`.startsWith(`${folderOf(r)}/`)));
        if (firstApply < 0) continue;
        expect(firstApply).toBeGreaterThan(waited);
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(3);
    });

    test('Ceph is waited healthy before the storage consumers', () => {
      const ceph = run.recorded.findIndex((r) => r.argv.includes('--for=jsonpath={.status.ceph.health}=HEALTH_OK'));
      const consumers = run.recorded.findIndex((r) => isApply(r) && folderOf(r).startsWith('dist/cluster/14-storage-consumers'));
      expect(ceph).toBeGreaterThan(-1);
      expect(consumers).toBeGreaterThan(ceph);
    });

    test('pruned folders are ApplySets with the parents dist/applysets.json names; kept folders are never pruned', () => {
      const listed: { folder: string; applyset: string; namespace: string; id: string }[] = JSON.parse(
        fs.readFileSync(path.join(outdir, 'applysets.json'), 'utf8'),
      );
      for (const r of run.recorded.filter(isApply)) {
        const folder = folderOf(r);
        if (folder.includes('/kept')) {
          expect(r.argv).not.toContain('--prune');
          expect(r.argv.some((a) => a.startsWith('--applyset'))).toBe(false);
          continue;
        }
        const entry = listed.find((e) => `dist/${e.folder}` === folder)!;
        expect(entry).toBeDefined();
        expect(r.argv).toEqual(expect.arrayContaining(['--prune', `--applyset=${entry.applyset}`, '-n', entry.namespace]));
        expect(r.applyset).toBe('true');
        const parent = run.state.parents[`${entry.namespace}/${entry.applyset}`];
        expect(parent.labels['applyset.kubernetes.io/id']).toBe(entry.id);
        // Every member sits in the parent's namespace or is cluster-scoped: no additional-namespaces to track.
        expect(parent.annotations['applyset.kubernetes.io/additional-namespaces']).toBeUndefined();
      }
      expect(
        run.recorded
          .filter(isApply)
          .map(folderOf)
          .filter((f) => f.includes('/pruned/')).length,
      ).toBe(listed.length);
    });

    test('a second apply prunes what the tree no longer holds and never an object that holds data', async () => {
      const copy = path.join(tmpDir('platform-kubectl-next-'), 'dist');
      fs.cpSync(outdir, copy, { recursive: true });
      const victim = [...readTree(copy).keys()].find((f) => f.includes('/pruned/') && f.endsWith('.k8s.yaml') && f.includes('ConfigMap.'))!;
      fs.rmSync(path.join(copy, victim));
      const data = manifests().filter((o) => holdsData(o.object));
      // Also delete every data object from the next tree: kubectl must still not delete them.
      for (const d of data) fs.rmSync(path.join(copy, d.file), { force: true });
      const again = await runPlan((await printedPlan(copy)).text, copy, run.stateFile);
      expect(again.code).toBe(0);
      const victimObject = yaml.load(fs.readFileSync(path.join(outdir, victim), 'utf8')) as any;
      expect(again.state.pruned.some((k: string) => k.endsWith(`/ConfigMap/${victimObject.metadata.namespace}/${victimObject.metadata.name}`))).toBe(true);
      expect(data.length).toBeGreaterThan(3);
      for (const d of data)
        expect(
          again.state.pruned.filter((k: string) => k.endsWith(`/${d.object.kind}/${d.object.metadata.namespace ?? ''}/${d.object.metadata.name}`)),
        ).toEqual([]);
    });

    test("a chart bump that changes a hook Job applies again: the plan deletes the chart's hook Jobs first, as Helm would", async () => {
      const copy = path.join(tmpDir('platform-kubectl-bump-'), 'dist');
      fs.cpSync(outdir, copy, { recursive: true });
      const hooks = readManifests(copy).filter((m) => m.object.kind === 'Job' && m.object.metadata?.annotations?.['helm.sh/hook']);
      expect(hooks.length).toBeGreaterThan(0);
      // What a new chart version does: another image or argument in the Job's pod template.
      for (const h of hooks) {
        h.object.spec.template.metadata = { ...h.object.spec.template.metadata, labels: { ...h.object.spec.template.metadata?.labels, bumped: 'true' } };
        fs.writeFileSync(path.join(copy, h.file), yaml.dump(h.object));
      }
      const next = (await printedPlan(copy)).text;
      const state = path.join(tmpDir('fake-kubectl-bump-'), 'state.json');
      // The cluster as the first apply left it, with no delete recorded yet.
      const applied = () => fs.writeFileSync(state, JSON.stringify({ ...JSON.parse(fs.readFileSync(run.stateFile, 'utf8')), deleted: [] }));
      applied();
      const again = await runPlan(next, copy, state);
      expect(again.code).toBe(0);
      expect([...again.state.deleted].sort()).toEqual(hooks.map((h) => `batch/Job/${h.object.metadata.namespace}/${h.object.metadata.name}`).sort());
      // Without those deletes the API server refuses the changed Job.
      applied();
      const withoutDeletes = await runPlan(
        next
          .split('\n')
          .filter((l) => !l.includes(' delete job '))
          .join('\n'),
        copy,
        state,
      );
      expect(withoutDeletes.code).not.toBe(0);
      expect(withoutDeletes.stderr).toMatch(/field is immutable/);
    });

    test("switching modes, the diff shows only Argo CD's objects going: every chart object is what the Applications deployed", () => {
      const argocd = treeOnDisk(fixtureTree().dist);
      const kubectl = treeOnDisk(outdir);
      const kubeVersion = loadConfig(DEFAULT_CONFIG_FILE).cluster.kubernetesVersion;
      const compared = withChartObjectsOfModeSwitch(argocd.docs, kubectl.docs, kubeVersion);
      expect(compared.expanded).toBeGreaterThan(5);
      const report = diffTrees(compared.before, compared.after);
      const changes = report.sections.flatMap((s) => s.objects);
      expect(report.flags).toEqual([]);
      expect(changes.filter((c) => c.status !== 'removed')).toEqual([]);
      // What goes is Argo CD's: its kinds, its namespace, its image policy.
      const notArgo = changes.filter((c) => !/^(Application|AppProject) /.test(c.label) && !/ argocd\//.test(c.label) && !/argocd/.test(c.label));
      expect(notArgo.map((c) => c.label)).toEqual([]);
      expect(report.unchanged).toBeGreaterThan(500);
      // The same in the other direction (kubectl back to Argo CD).
      const back = withChartObjectsOfModeSwitch(kubectl.docs, argocd.docs, kubeVersion);
      expect(diffTrees(back.before, back.after).flags).toEqual([]);
      // Without the completion the chart objects would be hundreds of added objects.
      expect(
        diffTrees(argocd.docs, kubectl.docs)
          .sections.flatMap((s) => s.objects)
          .filter((c) => c.status === 'added').length,
      ).toBeGreaterThan(100);
    });

    test('of an argocd-mode tree: refused, saying how to get the kubectl tree', async () => {
      const argocd = await printedPlan(fixtureTree().dist);
      expect(argocd.code).toBe(2);
      expect(argocd.text).toBe('');
      expect(argocd.stderr).toMatch(/gitops.mode: kubectl.*--outdir.*npm run plan -- --kubectl/s);
    });

    test('the stand-in fails a plan out of order (CRDs not applied first)', async () => {
      const broken = plan.text
        .split('\n')
        .filter((l) => !l.includes('00-crds/kept') && !l.includes('--for=condition=Established'))
        .join('\n');
      const bad = await runPlan(broken, outdir);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/ensure CRDs are installed first/);
    });
  });
});

function parseKubeVersion(dist: string): string {
  return JSON.parse(fs.readFileSync(path.join(dist, 'externals.json'), 'utf8')).kubernetesRelease;
}

describeWithCharts("the README's kubectl path", () => {
  test('is the plan printed for config/platform.yaml in kubectl mode (`npm run plan -- --kubectl DIR --update-readme README.md`)', async () => {
    const config = yaml.load(fs.readFileSync(path.join(ROOT, 'config', 'platform.yaml'), 'utf8')) as any;
    config.gitops = { ...config.gitops, mode: 'kubectl' };
    // As `npm run synth` reads it: the repository's sealed inputs and fingerprints, no secrets file (read only).
    const outdir = path.join(tmpDir('platform-kubectl-readme-'), 'dist');
    synthesize({ configFile: writeConfig(yaml.dump(config)), outdir, secretsDir: tmpDir('no-secrets-') });
    const { text } = await printedPlan(outdir);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = readme.slice(readme.indexOf('<!-- kubectl-plan:start -->'), readme.indexOf('<!-- kubectl-plan:end -->'));
    expect(block).toBe(`<!-- kubectl-plan:start -->\n\`\`\`\n$ npm run plan -- --kubectl\n${text.replace(/\n$/, '')}\n\`\`\`\n`);
  }, 120_000);
});
