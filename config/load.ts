/** Loads and validates a platform config file: the only place raw input enters. */
import './zod-setup';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { checkExpandedSize, readInputFile } from './bounded-input';
import { ConfigError } from './errors';
import { formatIssues } from './format-issues';
import { PlatformConfig, schema } from './schema';
import type { ClusterSpec } from '../lib/cluster-spec';
import { cluster, ClusterConfig, usePinnedKubernetesRelease } from './schema/cluster';
import { loadVersions } from './versions';

// Its own module, so that the pin file's loader (config/versions.ts) can throw it without a cycle.
export { ConfigError };

export const DEFAULT_CONFIG = path.join('config', 'platform.yaml');

/** Parses YAML text and validates it; `file` is used only in messages. */
export function parseConfig(text: string, file: string, kubernetesRelease: string = loadVersions().kubernetes.release): PlatformConfig {
  usePinnedKubernetesRelease(kubernetesRelease);
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: file, schema: yaml.CORE_SCHEMA });
  } catch (err) {
    const e = err as yaml.YAMLException;
    const where = e.mark ? `line ${e.mark.line + 1}, column ${e.mark.column + 1}` : 'YAML';
    throw new ConfigError(file, [`${where}: expected valid YAML, found a syntax error (${e.reason})`]);
  }
  checkExpandedSize(raw, file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [
      `(top level): expected a mapping with platform, cluster, apps, …, found ${raw === undefined || raw === null ? 'an empty document' : typeof raw}`,
    ]);
  }
  const result = schema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(file, formatIssues(schema, result.error.issues));
  return result.data;
}

/** Reads and validates a config file. */
export function loadConfig(file: string = DEFAULT_CONFIG): PlatformConfig {
  return parseConfig(readInputFile(file), file);
}

/**
 * Checks a `cluster` section given in code (the host bootstrap written by hand) by the same rules
 * and defaults as the config file; `source` names it in the error. Paths are relative to `cluster`.
 */
export function resolveCluster(input: ClusterSpec, source: string, kubernetesRelease: string = loadVersions().kubernetes.release): ClusterConfig {
  usePinnedKubernetesRelease(kubernetesRelease);
  const result = cluster.safeParse(input, { reportInput: true });
  if (!result.success) throw new ConfigError(source, formatIssues(cluster, result.error.issues));
  return result.data;
}
