/**
 * Writes synthesized charts to disk: one folder per chart (named in apply order), one file
 * per object, into a temporary sibling of the output directory that replaces it only after
 * everything succeeded. A failure leaves the previous output untouched.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, Yaml } from 'cdk8s';
import { IConstruct } from 'constructs';

/** One output directory (an environment, or `cluster`) and the cdk8s App that fills it. */
export interface SynthUnit {
  readonly dir: string;
  readonly app: App;
}

/** A non-manifest file, such as host user-data or a restore runbook. */
export interface ExtraFile {
  readonly path: string;
  readonly content: string;
  /** @default 0o644 */
  readonly mode?: number;
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

function validationErrors(app: App): string[] {
  return app.node.findAll().flatMap((c: IConstruct) => c.node.validate().map((e) => `[${c.node.path}] ${e}`));
}

/** Renders every unit to `relative path → YAML` without touching the disk. */
/** The index synthesis writes beside the tree: each manifest's file → the path of the construct that made it. */
export const CONSTRUCT_INDEX = 'constructs.json';

export function render(units: readonly SynthUnit[]): { files: Map<string, string>; summaries: UnitSummary[]; objects: any[]; index: Record<string, string> } {
  const problems = units.flatMap((u) => validationErrors(u.app));
  if (problems.length) throw new SynthError(problems);
  const files = new Map<string, string>();
  const summaries: UnitSummary[] = [];
  const all: any[] = [];
  const index: Record<string, string> = {};
  for (const unit of units) {
    const kinds: Record<string, number> = {};
    let count = 0;
    for (const chart of unit.app.charts as Chart[]) {
      if (!CHART_ID.test(chart.node.id)) throw new SynthError([`chart id "${chart.node.id}" must look like "20-app" so folders sort in apply order`]);
      const objects = chart.toJson();
      all.push(...objects);
      // Which construct made each object: kind, namespace and name are unique within a chart's folder.
      const pathOf = new Map(
        chart.node
          .findAll()
          .filter(ApiObject.isApiObject)
          .map((o) => [`${o.kind}/${o.metadata.namespace ?? chart.namespace ?? ''}/${o.metadata.name}`, o.node.path]),
      );
      // A chart spanning several namespaces gets a subfolder per namespace, so equal names never collide.
      const spansNamespaces = new Set(objects.map((o) => o.metadata.namespace).filter(Boolean)).size > 1;
      for (const obj of objects) {
        const folder = spansNamespaces && obj.metadata.namespace ? path.posix.join(chart.node.id, obj.metadata.namespace) : chart.node.id;
        const file = path.posix.join(unit.dir, folder, `${obj.kind}.${obj.metadata.name}.k8s.yaml`.replace(/[^0-9a-zA-Z-_.]/g, ''));
        if (files.has(file)) {
          throw new SynthError([`two objects would be written to ${file} (${obj.kind} "${obj.metadata.name}"); give them distinct names or charts`]);
        }
        files.set(file, Yaml.stringify(obj));
        const made = pathOf.get(`${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
        if (made) index[file] = made;
        kinds[obj.kind] = (kinds[obj.kind] ?? 0) + 1;
        count++;
      }
    }
    summaries.push({ dir: unit.dir, files: count, kinds });
  }
  return { files, summaries, objects: all, index };
}

/**
 * Writes files into `<outdir>.tmp-<pid>` and swaps it into place. The swap is two renames
 * on one filesystem; the old tree is removed only after the new one is in place.
 */
export function writeAtomically(outdir: string, files: ReadonlyMap<string, string>, extra: readonly ExtraFile[] = []): void {
  const parent = path.dirname(path.resolve(outdir));
  const base = path.basename(outdir);
  const tmp = path.join(parent, `.${base}.tmp-${process.pid}`);
  const old = path.join(parent, `.${base}.old-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    const all = [...[...files].map(([p, content]) => ({ path: p, content, mode: 0o644 })), ...extra.map((e) => ({ ...e, mode: e.mode ?? 0o644 }))];
    for (const f of all.sort((a, b) => a.path.localeCompare(b.path))) {
      const target = path.join(tmp, f.path);
      // Owner-only folders for owner-only files (host bootstrap material).
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: f.mode & 0o077 ? 0o755 : 0o700 });
      fs.writeFileSync(target, f.content, { mode: f.mode });
      fs.chmodSync(target, f.mode);
    }
    fs.mkdirSync(tmp, { recursive: true });
    if (fs.existsSync(outdir)) fs.renameSync(outdir, old);
    fs.renameSync(tmp, outdir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(outdir) && fs.existsSync(old)) fs.renameSync(old, outdir);
    throw err;
  }
  fs.rmSync(old, { recursive: true, force: true });
}
