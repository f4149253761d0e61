/**
 * The kubectl-mode tree (`gitops.mode: kubectl`): the platform's own objects in phase folders
 * (lib/kubectl-phases.ts), the Argo CD objects left out, and every add-on rendered from its pinned chart with
 * exactly the values its Application carries (the Application object is the one source of both modes), in the
 * phase of the Application's wave. Nothing here writes: synthesis adds the files to the tree it swaps in.
 */
import * as path from 'path';
import { Chart } from 'cdk8s';
import * as yaml from 'js-yaml';
import { AddonApplication } from '../charts/addon-application';
import { ARGO_ANNOTATION, SYNC_OPTION } from '../lib/argocd';
import { applicationRender } from '../lib/chart-source';
import { ChartUnavailable } from '../lib/charts/chart-archive';
import { ToolUnavailable } from '../lib/charts/helm-binary';
import { renderAddonObjects } from '../lib/charts/addon-objects';
import { renderChart, RenderResult } from '../lib/charts/render';
import { APPLYSETS_FILE, applySetParent, chartSource, placementFolder, PRUNED } from '../lib/kubectl-phases';
import { byOrdinal } from '../lib/order';
import { objectFile, PlaceObject, SynthError, SynthUnit, UnitSummary } from '../lib/synth-writer';
import { manifestYaml } from '../lib/yaml-emit';

/** Argo CD's own kinds: kubectl mode has no Argo CD to read them. */
const ARGO_CD_GROUP = 'argoproj.io';

const waveOf = (object: any): number => Number(object?.metadata?.annotations?.[ARGO_ANNOTATION.syncWave] ?? 0) || 0;
const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/** Where synthesis puts one of our own objects in kubectl mode; null for Argo CD's objects. */
export const kubectlPlacement: PlaceObject = (unitDir: string, chart: Chart, object: any) => {
  if (groupOf(String(object.apiVersion)) === ARGO_CD_GROUP) return null;
  try {
    return placementFolder(object, { unitDir, wave: waveOf(object), source: chart.node.id, namespace: object.metadata?.namespace ?? '' });
  } catch (err) {
    throw new SynthError([`[${chart.node.path}] ${(err as Error).message}`]);
  }
};

/** The Application of every AddonApplication in the units, as argocd mode would write it (kubectl mode does not). */
export function addonApplications(units: readonly SynthUnit[]): any[] {
  return units.flatMap((unit) =>
    unit.app.node
      .findAll()
      .filter((c): c is AddonApplication => c instanceof AddonApplication)
      .map((addon) => addon.application.toJson()),
  );
}

export interface AddonFiles {
  readonly files: Map<string, string>;
  /** file → `<construct path> chart <template>`, for constructs.json. */
  readonly index: Record<string, string>;
  readonly summaries: UnitSummary[];
}

interface AddonRender {
  readonly unitDir: string;
  readonly addon: AddonApplication;
  readonly application: any;
  readonly request: NonNullable<ReturnType<typeof applicationRender>>;
}

/**
 * Renders the chart of every AddonApplication in the units into files of the kubectl-mode tree. Charts are
 * rendered as Argo CD would (`helm template --include-crds`, the cluster's Kubernetes version) with, as API
 * versions, those of the CRDs the charts bring: what the cluster serves once the CRD phase ran.
 * Throws SynthError when a chart is missing from the chart cache, helm is missing, or a chart renders
 * differently every time (it would change the cluster on every apply).
 */
export function addonChartFiles(units: readonly SynthUnit[], kubeVersion: string, taken: ReadonlySet<string>): AddonFiles {
  const addons: AddonRender[] = units.flatMap((unit) =>
    unit.app.node
      .findAll()
      .filter((c): c is AddonApplication => c instanceof AddonApplication)
      .map((addon) => {
        const application = addon.application.toJson();
        const request = applicationRender(application, (text) => yaml.load(text))!;
        return { unitDir: unit.dir, addon, application, request };
      }),
  );
  const render = (a: AddonRender, apiVersions: readonly string[]): RenderResult => {
    try {
      return renderChart({ ...a.request, kubeVersion, apiVersions });
    } catch (err) {
      if (err instanceof ChartUnavailable || err instanceof ToolUnavailable) {
        throw new SynthError([`gitops.mode is kubectl, so synthesis renders add-on ${a.request.releaseName}'s chart itself, and cannot: ${err.message}`]);
      }
      throw err;
    }
  };
  const files = new Map<string, string>();
  const index: Record<string, string> = {};
  const kinds = new Map<string, Record<string, number>>();
  const problems: string[] = [];
  for (const { item: a, result, objects } of renderAddonObjects(addons, render, (a) => a.request.namespace)) {
    const name = a.request.releaseName;
    if (!result.deterministic) {
      problems.push(
        `[${a.addon.node.path}] chart ${a.request.chart.chart} ${a.request.chart.version} renders differently every time (${result.unstableTemplates.join(', ')}): ` +
          'every kubectl apply would change those objects; set the chart values that make it generate no certificates or passwords at render time',
      );
      continue;
    }
    const keep = String(a.application.metadata?.annotations?.[ARGO_ANNOTATION.syncOptions] ?? '')
      .split(',')
      .includes(SYNC_OPTION.noPrune);
    for (const { object: placed, template } of objects) {
      // In kubectl mode the chart's output is committed: a Secret with values would put them in git.
      if (
        placed.kind === 'Secret' &&
        groupOf(placed.apiVersion) === '' &&
        (Object.keys(placed.data ?? {}).length || Object.keys(placed.stringData ?? {}).length)
      ) {
        problems.push(
          `[${a.addon.node.path}] chart ${a.request.chart.chart} ${a.request.chart.version} renders Secret ${placed.metadata?.name} with values (${template}): kubectl mode would commit them to git; set the chart values that make it reference an existing Secret instead`,
        );
        continue;
      }
      const folder = placementFolder(placed, {
        unitDir: a.unitDir,
        wave: waveOf(a.application),
        source: chartSource(name),
        namespace: placed.metadata.namespace ?? '',
        keep,
      });
      const file = objectFile(path.posix.join(a.unitDir, folder), placed);
      if (files.has(file) || taken.has(file)) {
        problems.push(`[${a.addon.node.path}] two objects would be written to ${file} (${placed.kind} "${placed.metadata.name}")`);
        continue;
      }
      files.set(file, manifestYaml(placed));
      index[file] = `${a.addon.node.path} chart ${template || '(no template)'}`;
      const unitKinds = kinds.get(a.unitDir) ?? {};
      unitKinds[placed.kind] = (unitKinds[placed.kind] ?? 0) + 1;
      kinds.set(a.unitDir, unitKinds);
    }
  }
  if (problems.length) throw new SynthError(problems);
  const summaries = [...kinds].map(([dir, k]) => ({ dir: `${dir} (charts)`, files: Object.values(k).reduce((x, y) => x + y, 0), kinds: k }));
  return { files, index, summaries };
}

/** One pruned folder of the tree and the ApplySet parent that tracks it. */
export interface ApplySetEntry {
  /** `cluster/11-operators/pruned/rook-ceph`, relative to dist/. */
  readonly folder: string;
  readonly applyset: string;
  readonly namespace: string;
  readonly id: string;
}

/** The ApplySet of every `<unit>/<phase>/pruned/<namespace>` folder holding files, as `dist/applysets.json` lists them. */
export function applySets(files: Iterable<string>, unitDirs: readonly string[]): ApplySetEntry[] {
  const folders = new Set<string>();
  for (const file of files) {
    const unit = unitDirs.find((u) => file.startsWith(`${u}/`));
    if (!unit) continue;
    const [phase, pruning, namespace] = file.slice(unit.length + 1).split('/');
    if (phase && namespace && pruning === PRUNED) folders.add(`${unit}\0${phase}\0${namespace}`);
  }
  return [...folders].sort(byOrdinal).map((key) => {
    const [unit, phase, namespace] = key.split('\0');
    const parent = applySetParent(unit, phase, namespace);
    return { folder: `${unit}/${phase}/${PRUNED}/${namespace}`, applyset: parent.flag, namespace: parent.namespace, id: parent.id };
  });
}

export function applySetsJson(entries: readonly ApplySetEntry[]): { path: string; content: string } {
  return { path: APPLYSETS_FILE, content: `${JSON.stringify(entries, null, 2)}\n` };
}
