/**
 * What the platform config says exists outside the manifests (Secrets the repo never holds, the
 * cluster's own StorageClasses) and the Kubernetes release the cluster runs, for the validator CLIs.
 */
import { buildPlatform } from '../../charts/platform';
import { ConfigError, loadConfig } from '../../config/load';
import { loadVersions } from '../../config/versions';
import { drainWarnings } from '../warnings';

export interface PlatformFacts {
  readonly secrets: string[];
  readonly storageClasses: string[];
  readonly kubeVersion: string;
}

/** Throws ConfigError on a bad config. */
export function platformFacts(configFile: string): PlatformFacts {
  const versions = loadVersions();
  const build = buildPlatform(loadConfig(configFile), versions);
  drainWarnings(); // synthesis already showed them
  return { secrets: build.externalSecrets, storageClasses: build.externalStorageClasses, kubeVersion: versions.kubernetes.release };
}

/** The facts, or undefined after printing the config error (the CLIs then exit 1). */
export function platformFactsOrReport(configFile: string): PlatformFacts | undefined {
  try {
    return platformFacts(configFile);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    return undefined;
  }
}
