/**
 * The platform model: validated config resolved into what each environment runs.
 * Environments differ only in this data; constructs never branch on environment names.
 */
import { formatImage, parseImage, ImageRef } from '../lib/image';
import { namespaceFor, sanitizeBranch } from '../lib/names';
import { AppConfig, ComponentConfig, CronJobConfig } from './schema/app';
import { PlatformConfig } from './schema';
import { byOrdinal } from '../lib/order';
import { clusterAddresses, ClusterAddresses } from '../lib/cluster-peers';

export type EnvironmentKind = 'production' | 'staging' | 'preview';

export interface ComponentSpec extends Omit<ComponentConfig, 'image' | 'replicas'> {
  readonly name: string;
  /** Resolved image for this environment (tag overridden per environment). */
  readonly image: string;
  readonly imageRef: ImageRef;
  readonly replicas: number;
}

export interface AppEnvironment {
  readonly app: string;
  /** `production`, `staging` or `preview-<branch>`. */
  readonly environment: string;
  readonly kind: EnvironmentKind;
  readonly namespace: string;
  readonly host: string;
  readonly components: readonly ComponentSpec[];
  readonly cronJobs: readonly (CronJobConfig & { readonly name: string })[];
  /** Namespace whose data tier this environment uses (its own, or another's). */
  readonly dataNamespace: string;
  readonly ownsData: boolean;
  readonly config: AppConfig;
}

export interface EnvironmentModel {
  readonly name: string;
  readonly apps: readonly AppEnvironment[];
}

function resolveComponents(
  cfg: AppConfig,
  overrides: Record<string, { replicas?: number; tag?: string }>,
  fixed?: { replicas: number; tag: string },
): ComponentSpec[] {
  return Object.entries(cfg.components).map(([name, c]) => {
    const base = parseImage(c.image) as ImageRef; // validated at load
    const tag = fixed?.tag ?? overrides[name]?.tag;
    const image = tag ? formatImage(base, tag) : c.image;
    return { ...c, name, image, imageRef: parseImage(image) as ImageRef, replicas: fixed?.replicas ?? overrides[name]?.replicas ?? c.replicas };
  });
}

function appEnvironments(app: string, cfg: AppConfig): AppEnvironment[] {
  const cron = (env: 'production' | 'staging') =>
    Object.entries(cfg.cronJobs)
      .filter(([, j]) => j.environments.includes(env))
      .map(([name, j]) => ({ ...j, name }));
  const production = namespaceFor(app, 'production');
  const staging = cfg.environments.staging;
  const envs: AppEnvironment[] = [
    {
      app,
      environment: 'production',
      kind: 'production',
      namespace: production,
      host: cfg.environments.production.host,
      components: resolveComponents(cfg, cfg.environments.production.components),
      cronJobs: cron('production'),
      dataNamespace: production,
      ownsData: true,
      config: cfg,
    },
  ];
  if (staging) {
    const namespace = namespaceFor(app, 'staging');
    envs.push({
      app,
      environment: 'staging',
      kind: 'staging',
      namespace,
      host: staging.host,
      components: resolveComponents(cfg, staging.components),
      cronJobs: cron('staging'),
      dataNamespace: staging.shareProductionData ? production : namespace,
      ownsData: !staging.shareProductionData,
      config: cfg,
    });
  }
  const previews = cfg.environments.previews;
  for (const entry of previews?.branches ?? []) {
    const branch = typeof entry === 'string' ? entry : entry.branch;
    const slug = sanitizeBranch(branch, app);
    const environment = `preview-${slug}`;
    const tag = (typeof entry === 'string' ? undefined : entry.tag) ?? slug;
    envs.push({
      app,
      environment,
      kind: 'preview',
      namespace: namespaceFor(app, environment),
      host: `${slug}.${previews!.domain}`,
      // Previews run one replica of the branch's image and share staging's data tier.
      components: resolveComponents(cfg, {}, { replicas: 1, tag }),
      cronJobs: [],
      dataNamespace: envs[1].dataNamespace,
      ownsData: false,
      config: cfg, // envs[1] is staging: required with previews
    });
  }
  return envs;
}

/** Environments in a stable order: production, staging, then previews by name. */
export function environments(config: PlatformConfig): EnvironmentModel[] {
  const byName = new Map<string, AppEnvironment[]>();
  for (const [app, cfg] of Object.entries(config.apps)) {
    for (const env of appEnvironments(app, cfg)) byName.set(env.environment, [...(byName.get(env.environment) ?? []), env]);
  }
  const rank = (n: string) => (n === 'production' ? 0 : n === 'staging' ? 1 : 2);
  return [...byName.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || byOrdinal(a, b))
    .map(([name, apps]) => ({ name, apps: apps.sort((a, b) => byOrdinal(a.app, b.app)) }));
}

/** Host that carries platform services such as /kibana and /git. */
export function platformHost(config: PlatformConfig): string {
  return config.edge.platformHost ?? Object.values(config.apps)[0].environments.production.host;
}

/** The cluster's addresses as NetworkPolicies name them (API server, webhook callers, hosts). */
export function networkAddresses(config: PlatformConfig): ClusterAddresses {
  return clusterAddresses(config.cluster);
}
