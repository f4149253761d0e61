/**
 * Where a pinned chart's archive (`helm package` output, `<chart>-<version>.tgz`) comes from: a folder named by
 * `CHART_LOCATION`, the `../shared/charts` folder beside the repository (CI has it), or the pull cache that
 * `npm run charts:pull` fills. Rendering never goes to the network; only {@link pullChart} does.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from '../repo-root';
import { cacheRoot } from '../user-cache';
import { helmEnv, withHelmHome } from './helm-binary';

/** A chart pin, as in config/versions.yaml `charts:`. */
export interface ChartRef {
  /** `https://…` (a chart repository with an index.yaml) or `oci://registry/path`. */
  readonly repoURL: string;
  readonly chart: string;
  /** Exactly as pinned (`v1.9.0` and `1.9.0` are different archives). */
  readonly version: string;
}

export interface LocatedChart {
  readonly path: string;
  readonly sha256: string;
  /** Which search folder held it: `CHART_LOCATION`, `../shared/charts` or `pull cache`. */
  readonly source: string;
}

export interface ChartFolder {
  readonly source: string;
  readonly folder: string;
}

const FILL_HINT =
  'Fill it with `npm run charts:pull` (needs network access to the chart repositories), ' +
  'or set CHART_LOCATION=<folder of helm package archives named <chart>-<version>.tgz>';

/** A pinned chart is in none of the search folders; the message names them and how to fill one. */
export class ChartUnavailable extends Error {
  constructor(
    readonly ref: ChartRef,
    readonly searched: readonly ChartFolder[],
  ) {
    const lines = searched.map(({ source, folder }) => `  ${source}: ${folder}${fs.existsSync(folder) ? '' : ' (no such folder)'}`);
    super(
      `chart ${ref.chart} ${ref.version} (${ref.repoURL}) is not available offline; looked for ${archiveName(ref)} in:\n` + `${lines.join('\n')}\n${FILL_HINT}`,
    );
    this.name = 'ChartUnavailable';
  }
}

/** `<chart>-<version>.tgz`, the name `helm package` gives an archive. */
export function archiveName(ref: ChartRef): string {
  // The name becomes a path: refuse anything that could leave the folder.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(ref.chart) || !/^[A-Za-z0-9][A-Za-z0-9.+_-]*$/.test(ref.version)) {
    throw new Error(
      `chart ${JSON.stringify(ref.chart)} version ${JSON.stringify(ref.version)}: expected a plain chart name and version (letters, digits, . _ - +)`,
    );
  }
  return `${ref.chart}-${ref.version}.tgz`;
}

/** The folder `npm run charts:pull` fills. */
function pullCacheDir(): string {
  return path.join(cacheRoot(), 'charts');
}

/** The folders searched, first match wins. Read on every call so env changes (in tests) apply. */
export function chartFolders(): ChartFolder[] {
  const folders: ChartFolder[] = [];
  const configured = process.env.CHART_LOCATION;
  if (configured) folders.push({ source: 'CHART_LOCATION', folder: path.resolve(configured) });
  folders.push({ source: '../shared/charts', folder: path.resolve(repoRoot(), '..', 'shared', 'charts') });
  folders.push({ source: 'pull cache', folder: pullCacheDir() });
  return folders;
}

/** The archive of a pinned chart and its sha256 (part of every render cache key), or {@link ChartUnavailable}. */
export function locateChart(ref: ChartRef): LocatedChart {
  const name = archiveName(ref);
  const folders = chartFolders();
  for (const { source, folder } of folders) {
    const file = path.join(folder, name);
    if (fs.existsSync(file)) return { path: file, sha256: sha256File(file), source };
  }
  throw new ChartUnavailable(ref, folders);
}

/**
 * Downloads a chart into the pull cache with `helm pull`. It pulls into a scratch folder inside the cache (same file
 * system) and renames the archive into place, so an interrupted pull never leaves a partial archive that
 * {@link locateChart} would take for the chart. helm's homes are empty temp dirs: no user repositories or logins.
 */
export function pullChart(ref: ChartRef, helm: string): LocatedChart {
  const target = path.join(pullCacheDir(), archiveName(ref));
  const args = ref.repoURL.startsWith('oci://')
    ? ['pull', `${ref.repoURL.replace(/\/+$/, '')}/${ref.chart}`, '--version', ref.version]
    : ['pull', ref.chart, '--repo', ref.repoURL, '--version', ref.version];
  withHelmHome(
    (home) => {
      const out = path.join(home, 'out');
      fs.mkdirSync(out);
      try {
        execFileSync(helm, [...args, '--destination', out], {
          env: helmEnv(home),
          stdio: ['ignore', 'pipe', 'pipe'],
          encoding: 'utf8',
          timeout: 5 * 60_000,
        });
      } catch (error) {
        const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
        throw new Error(
          `helm pull of chart ${ref.chart} ${ref.version} from ${ref.repoURL} failed: ${stderr || (error as Error).message}\n` +
            `Check the pin in config/versions.yaml and network access to the repository, or set CHART_LOCATION=<folder of helm package archives>`,
          { cause: error },
        );
      }
      const archives = fs.readdirSync(out).filter((file) => file.endsWith('.tgz'));
      if (archives.length !== 1) {
        throw new Error(
          `helm pull of chart ${ref.chart} ${ref.version} from ${ref.repoURL} produced ${archives.length} archives (${archives.join(', ') || 'none'}), expected one`,
        );
      }
      // Stored under the pinned name even if helm's differs (it names the file from Chart.yaml).
      fs.renameSync(path.join(out, archives[0]), target);
    },
    path.join(pullCacheDir(), '.pulls'),
  );
  return { path: target, sha256: sha256File(target), source: 'pull cache' };
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
