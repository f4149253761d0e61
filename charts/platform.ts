/**
 * The composition root of the platform: one cdk8s App per output folder (`cluster` and
 * each environment), tiers wired by object reference. Everything here is data-driven.
 */
import { App } from 'cdk8s';
import { environments, EnvironmentModel } from '../config/model';
import { PlatformConfig } from '../config/schema';
import { Versions } from '../config/versions';
import { ProtectedService } from '../lib/exposure';
import { LABEL } from '../lib/labels';
import { ExtraFile, SynthUnit } from '../lib/synth-writer';
import { AppStack } from './app-stack';
import { GitOps } from './gitops';
import { Namespaces } from './namespaces';

export interface PlatformBuild {
  readonly units: SynthUnit[];
  readonly extraFiles: ExtraFile[];
  /** Secrets and ConfigMaps the workloads reference but the repo never holds (`namespace/name`). */
  readonly externalSecrets: string[];
  /** Data services that must never be exposed (lib/exposure.ts). */
  readonly protectedServices: ProtectedService[];
}

/** Builds every unit of the platform; nothing is written here. */
export function buildPlatform(config: PlatformConfig, versions: Versions): PlatformBuild {
  const envs: EnvironmentModel[] = environments(config);

  const cluster = new App();
  new Namespaces(cluster);
  new GitOps(cluster, '10-gitops', {
    repo: config.gitops,
    versions,
    environments: envs.map((e) => ({ name: e.name, ephemeral: e.apps.every((a) => a.kind === 'preview') })),
  });

  const units: SynthUnit[] = [{ dir: 'cluster', app: cluster }];
  const externalSecrets: string[] = [];
  for (const env of envs) {
    const app = new App();
    const namespaces = new Namespaces(app);
    for (const appEnv of env.apps) {
      namespaces.add(appEnv.namespace, {
        protect: appEnv.ownsData,
        labels: {
          [LABEL.partOf]: appEnv.app,
          [LABEL.environment]: appEnv.environment,
          ...(appEnv.kind === 'preview' ? { [LABEL.previewOf]: appEnv.app } : {}),
        },
      });
      const stack = new AppStack(app, `20-${appEnv.app}`, { environment: appEnv, versions });
      externalSecrets.push(...stack.externalSecrets);
    }
    units.push({ dir: env.name, app });
  }
  return { units, extraFiles: [], externalSecrets: externalSecrets.sort(), protectedServices: [] };
}
