/**
 * Renders an Argo CD Application's Helm chart the way Argo CD does (`helm template … --include-crds` with the
 * cluster's version and API versions), offline, into parsed objects for the validator. Renders are cached by
 * content (chart archive digest, helm version, request), so only a changed chart, value or helm renders again.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import * as yaml from 'js-yaml';
import { CACHE_BOUNDS, cacheRoot, touchCacheEntry, trimCacheAtExit, writeFileAtomic } from '../user-cache';
import { ChartRef, locateChart } from './chart-archive';
import { helmBinary, helmEnv, helmVersion, withHelmHome } from './helm-binary';

export interface RenderRequest {
  readonly chart: ChartRef;
  readonly releaseName: string;
  readonly namespace: string;
  /** The Application's `helm.valuesObject`. */
  readonly values: Record<string, unknown>;
  /** The cluster's Kubernetes version, e.g. "1.36.2" (`.Capabilities.KubeVersion`). */
  readonly kubeVersion: string;
  /** Extra `.Capabilities.APIVersions`: "group/version" or "group/version/Kind", e.g. "monitoring.coreos.com/v1". */
  readonly apiVersions: readonly string[];
}

export interface RenderedObject {
  readonly object: any;
  /** The `# Source:` path helm printed for it (e.g. "chart/templates/x.yaml", "chart/crds/y.yaml"); '' if none. */
  readonly template: string;
}

export interface RenderResult {
  /** The non-empty documents, in helm's output order. */
  readonly objects: readonly RenderedObject[];
  /**
   * False when two renders of the same request differ: the chart generates certificates or passwords at render
   * time, so Argo CD (which renders on every refresh) would see the Application OutOfSync forever.
   */
  readonly deterministic: boolean;
  /** The templates whose objects differed between the two renders (empty when deterministic). */
  readonly unstableTemplates: readonly string[];
  readonly chartSha256: string;
  /** True when the result came from the render cache and helm did not run. */
  readonly cached: boolean;
}

/** Bump when the stored shape or the way objects are derived changes, so old cache entries are not reused. */
const RENDER_FORMAT = 2;
/** Big charts (kube-prometheus-stack) render to several MB; leave ample room. */
const MAX_OUTPUT = 512 * 1024 * 1024;
/** What helm accepts as a release name (a DNS subdomain of at most 53 characters); never read as a flag. */
const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A namespace: an RFC 1123 label of at most 63 characters. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

type StoredRender = Omit<RenderResult, 'cached'> & { readonly format: number };

const inProcess = new Map<string, RenderResult>();

export function renderChart(req: RenderRequest): RenderResult {
  const checks = [
    ['releaseName', req.releaseName, RELEASE_NAME, 53, 'a helm release name (a-z, 0-9, - and ., at most 53 characters)'],
    ['namespace', req.namespace, NAMESPACE, 63, 'a namespace name (a-z, 0-9 and -, at most 63 characters)'],
  ] as const;
  for (const [field, value, pattern, max, expected] of checks) {
    if (!pattern.test(value) || value.length > max) {
      throw new Error(`rendering chart ${req.chart.chart} ${req.chart.version}: ${field}: expected ${expected}, found ${JSON.stringify(value)}`);
    }
  }
  const chart = locateChart(req.chart);
  const helm = helmBinary();
  const file = path.join(cacheRoot(), 'renders', `${renderKey(chart.sha256, helmVersion(helm), req)}.v8`);
  // Within one process a render is parsed once and shared (callers treat it as read-only), so the
  // validator compiles the schemas of a chart's CRDs once however often the tree is checked.
  const seen = inProcess.get(file);
  if (seen) return seen;
  const hit = readCachedRender(file);
  if (hit) {
    touchCacheEntry(file);
    const result = { ...hit, cached: true };
    inProcess.set(file, result);
    return result;
  }

  // Rendering twice is the only way to see render-time randomness (genCA, randAlphaNum, …) without reading templates.
  const first = parseRendered(helmTemplate(helm, chart.path, req), req.chart);
  const second = parseRendered(helmTemplate(helm, chart.path, req), req.chart);
  const unstableTemplates = changedTemplates(first, second);
  const stored: StoredRender = {
    format: RENDER_FORMAT,
    objects: first,
    deterministic: unstableTemplates.length === 0,
    unstableTemplates,
    chartSha256: chart.sha256,
  };
  // Stored in V8's serialization of its JSON form: read back about twice as fast as JSON text (renders with CRDs are
  // megabytes, read on every validation), with the same values JSON would give (dates as strings, no undefined).
  const bytes = v8.serialize(JSON.parse(JSON.stringify(stored)));
  writeFileAtomic(file, bytes);
  trimCacheAtExit(path.dirname(file), CACHE_BOUNDS.renders);
  // Returned from the stored bytes, so a fresh render and a cached one are equal to the last value.
  const { format: _format, ...result } = v8.deserialize(bytes) as StoredRender;
  return { ...result, cached: false };
}

/** sha256 of everything that decides the output; the request as canonical JSON so key order does not matter. */
function renderKey(chartSha256: string, helmVersionText: string, req: RenderRequest): string {
  return createHash('sha256')
    .update(canonicalJson([RENDER_FORMAT, chartSha256, helmVersionText, req]))
    .digest('hex');
}

/** JSON with every object's keys sorted (arrays keep their order: it can matter to helm). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

/** A stored render, or undefined when there is none or it is unreadable or of another format (then render anew). */
function readCachedRender(file: string): StoredRender | undefined {
  let stored: StoredRender;
  try {
    stored = v8.deserialize(fs.readFileSync(file));
  } catch {
    return undefined;
  }
  if (stored?.format !== RENDER_FORMAT || !Array.isArray(stored.objects)) return undefined;
  const { format: _format, ...result } = stored;
  return result as StoredRender;
}

function helmTemplate(helm: string, archive: string, req: RenderRequest): string {
  return withHelmHome((home) => {
    const valuesFile = path.join(home, 'values.json'); // JSON is YAML: no re-serialisation surprises
    fs.writeFileSync(valuesFile, JSON.stringify(req.values));
    const args = [
      'template',
      req.releaseName,
      archive,
      '--namespace',
      req.namespace,
      '--include-crds',
      '--kube-version',
      req.kubeVersion,
      ...req.apiVersions.flatMap((apiVersion) => ['--api-versions', apiVersion]),
      '--values',
      valuesFile,
    ];
    try {
      return execFileSync(helm, args, { env: helmEnv(home), encoding: 'utf8', maxBuffer: MAX_OUTPUT, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
      throw new Error(
        `helm template of chart ${req.chart.chart} ${req.chart.version} (${archive}) as release ${req.releaseName} in namespace ${req.namespace} failed:\n` +
          `${stderr || (error as Error).message}\nCheck the Application's values against the chart's values.yaml, and kubeVersion ${req.kubeVersion} against the chart's kubeVersion`,
        { cause: error },
      );
    }
  });
}

/**
 * helm's output as objects. helm starts each template's output with `---` and `# Source: <path>`; a CRD file may hold
 * several documents under one such header, so the header applies until the next one. Parsed like the validator's
 * loadTree (CORE_SCHEMA: dates and the like stay strings, as Kubernetes reads them); empty documents are dropped.
 */
function parseRendered(output: string, chart: ChartRef): RenderedObject[] {
  const sections: { template: string; firstLine: number; lines: string[] }[] = [{ template: '', firstLine: 1, lines: [] }];
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const source = /^---\s*$/.test(lines[i]) ? /^# Source: (.+?)\s*$/.exec(lines[i + 1] ?? '') : null;
    if (source) {
      sections.push({ template: source[1], firstLine: i + 3, lines: [] });
      i++;
    } else {
      sections[sections.length - 1].lines.push(lines[i]);
    }
  }
  const objects: RenderedObject[] = [];
  for (const { template, firstLine, lines: body } of sections) {
    let docs: unknown[];
    try {
      docs = yaml.loadAll(body.join('\n'), undefined, { schema: yaml.CORE_SCHEMA });
    } catch (error) {
      const mark = (error as yaml.YAMLException).mark;
      const where = mark ? ` at line ${firstLine + mark.line} of helm's output` : '';
      throw new Error(
        `chart ${chart.chart} ${chart.version}: ${template || 'helm output'} renders to invalid YAML${where}: ${(error as yaml.YAMLException).reason ?? error}`,
        { cause: error },
      );
    }
    for (const object of docs) if (object !== null && object !== undefined) objects.push({ object, template });
  }
  return objects;
}

/** The templates whose rendered objects differ between two renders, sorted. */
function changedTemplates(a: readonly RenderedObject[], b: readonly RenderedObject[]): string[] {
  const byTemplate = (objects: readonly RenderedObject[]) => {
    const map = new Map<string, string[]>();
    for (const { template, object } of objects) {
      const list = map.get(template) ?? [];
      list.push(JSON.stringify(object));
      map.set(template, list);
    }
    return map;
  };
  const left = byTemplate(a);
  const right = byTemplate(b);
  return [...new Set([...left.keys(), ...right.keys()])]
    .filter((template) => JSON.stringify(left.get(template)) !== JSON.stringify(right.get(template)))
    .sort();
}
