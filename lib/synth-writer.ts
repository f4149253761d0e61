/**
 * Writes synthesized charts to disk: one folder per chart (named in apply order), one file
 * per object, into a temporary sibling of the output directory that replaces it only after
 * everything succeeded. A failure leaves the previous output untouched.
 */
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { boundedName } from './names';
import { manifestYaml } from './yaml-emit';
import { renderedJson, withRenderSession } from './render-once';

/** One output directory (an environment, or `cluster`) and the cdk8s App that fills it. */
export interface SynthUnit {
  readonly dir: string;
  readonly app: App;
}

export interface UnitSummary {
  readonly dir: string;
  readonly files: number;
  readonly kinds: Readonly<Record<string, number>>;
}

/** Construct validations that failed, with construct paths; nothing was written. */
export class SynthError extends Error {
  constructor(public readonly problems: string[]) {
    super(`synthesis failed, dist/ left unchanged:\n  ${problems.join('\n  ')}`);
    this.name = 'SynthError';
  }
}

const CHART_ID = /^[0-9]{2}-[a-z0-9-]+$/;
/** Longest object name kept whole in a file name (longer ones are cut, with a digest). */
const MAX_FILE_NAME_PART = 120;

function validationErrors(app: App): string[] {
  return app.node.findAll().flatMap((c: IConstruct) => c.node.validate().map((e) => `[${c.node.path}] ${e}`));
}

/**
 * The objects a chart renders: its own, not those of a nested chart, in construct order. Not
 * `chart.toJson()`: cdk8s validates the whole App again for every chart rendered that way, so
 * synthesis grew with the square of the charts; render() validates once, before any chart.
 * (File contents do not depend on the order; each object is its own file.)
 */
function chartObjects(chart: Chart): ApiObject[] {
  return chart.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c) && Chart.of(c) === chart);
}

/** Renders every unit to `relative path → YAML` without touching the disk. */
/** The index synthesis writes beside the tree: each manifest's file → the path of the construct that made it. */
export const CONSTRUCT_INDEX = 'constructs.json';

interface Rendered {
  readonly files: Map<string, string>;
  readonly summaries: UnitSummary[];
  readonly objects: any[];
  readonly index: Record<string, string>;
  /** Each unit's objects, by its folder (the pictures of dist/ are drawn from them). */
  readonly byUnit: Map<string, any[]>;
}

/**
 * Where an object goes inside its unit's folder (kubectl mode: its phase folder, lib/kubectl-phases.ts), or null
 * to leave it out of the tree (kubectl mode: the Argo CD objects). The default is the chart's folder.
 */
export type PlaceObject = (unitDir: string, chart: Chart, object: any) => string | null;

export interface RenderOptions {
  /** @default - one folder per chart, a subfolder per namespace when the chart spans several */
  readonly place?: PlaceObject;
}

export function render(units: readonly SynthUnit[], opts: RenderOptions = {}): Rendered {
  // Validations and the files share one rendering of each object.
  return withRenderSession(() => renderUnits(units, opts));
}

function renderUnits(units: readonly SynthUnit[], opts: RenderOptions): Rendered {
  const problems = units.flatMap((u) => validationErrors(u.app));
  if (problems.length) throw new SynthError(problems);
  const files = new Map<string, string>();
  const summaries: UnitSummary[] = [];
  const all: any[] = [];
  const index: Record<string, string> = {};
  const byUnit = new Map<string, any[]>();
  for (const unit of units) {
    const kinds: Record<string, number> = {};
    const unitObjects: any[] = [];
    byUnit.set(unit.dir, unitObjects);
    let count = 0;
    for (const chart of unit.app.charts as Chart[]) {
      if (!CHART_ID.test(chart.node.id)) throw new SynthError([`chart id "${chart.node.id}" must look like "20-app" so folders sort in apply order`]);
      const apiObjects = chartObjects(chart);
      const rendered = apiObjects.map(renderedJson);
      const objects = opts.place ? rendered.filter((o) => opts.place!(unit.dir, chart, o) !== null) : rendered;
      all.push(...objects);
      unitObjects.push(...objects);
      // Which construct made each object: kind, namespace and name are unique within a chart's folder.
      const pathOf = new Map(apiObjects.map((o) => [`${o.kind}/${o.metadata.namespace ?? chart.namespace ?? ''}/${o.metadata.name}`, o.node.path]));
      // A chart spanning several namespaces gets a subfolder per namespace, so equal names never collide.
      const spansNamespaces = new Set(objects.map((o) => o.metadata.namespace).filter(Boolean)).size > 1;
      for (const obj of objects) {
        const folder = opts.place
          ? opts.place(unit.dir, chart, obj)!
          : spansNamespaces && obj.metadata.namespace
            ? path.posix.join(chart.node.id, obj.metadata.namespace)
            : chart.node.id;
        // Short and readable whatever the object's name: file systems refuse names over 255 bytes.
        const file = objectFile(path.posix.join(unit.dir, folder), obj);
        if (files.has(file)) {
          throw new SynthError([`two objects would be written to ${file} (${obj.kind} "${obj.metadata.name}"); give them distinct names or charts`]);
        }
        files.set(file, manifestYaml(obj));
        const made = pathOf.get(`${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
        if (made) index[file] = made;
        kinds[obj.kind] = (kinds[obj.kind] ?? 0) + 1;
        count++;
      }
    }
    summaries.push({ dir: unit.dir, files: count, kinds });
  }
  return { files, summaries, objects: all, index, byUnit };
}

/** The file name of an object inside its folder: `<Kind>.<name>.k8s.yaml`, short and safe whatever the name. */
export function objectFile(folder: string, obj: any): string {
  return path.posix.join(folder, `${obj.kind}.${boundedName(obj.metadata.name, MAX_FILE_NAME_PART)}.k8s.yaml`.replace(/[^0-9a-zA-Z-_.]/g, ''));
}
