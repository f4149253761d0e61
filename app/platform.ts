/**
 * The composition root of the platform: one cdk8s App per output folder (`bootstrap`, `cluster`
 * and each environment), tiers wired by object reference, and the host bootstrap. The only module
 * where constructs (charts/) and host boot files (bootstrap/) meet. Everything here is data-driven.
 */
import { ApiObject, App } from 'cdk8s';
import { ClusterBootstrap } from '../bootstrap/cluster-bootstrap';
import type { BootstrapSecrets } from '../bootstrap/secrets';
import { AppEnvironment, environments, EnvironmentModel, networkAddresses, platformHost } from '../config/model';
import { PlatformConfig } from '../config/schema';
import { StorageConfig } from '../config/schema/storage';
import { declaredStorageClasses, storageHosts } from '../lib/storage-rules';
import { chartVersion, imageVersion, manifestPin, Versions } from '../config/versions';
import { ENV_WAVE, WAVE } from '../lib/argocd';
import { assignSyncWave } from '../lib/argocd-constructs';
import { PostgresEngine, StorageClassRef } from '../lib/contracts';
import { pauseImageKey } from '../lib/pins';
import { ProtectedService } from '../lib/exposure';
import { LABEL } from '../lib/labels';
import { ExtraFile } from '../lib/atomic-write';
import { SynthUnit } from '../lib/synth-writer';
import { requiredSecretsOf } from '../lib/warnings';
import { AppStack } from '../charts/app-stack';
import { DataTier, postgresStorageClass } from '../charts/data-tier';
import { postgresImage } from '../charts/postgres';
import { IPostgresOperator, PostgresOperator } from '../charts/postgres-operator';
import { NamespacePeer } from '../lib/network-policy';
import { EdgeTier } from '../charts/edge-tier';
import { GitLab } from '../charts/gitlab';
import { ArgoCdBootstrap, GitOps } from '../charts/gitops';
import { addonsOf, ARGOCD_NAMESPACE } from '../charts/addon-application';
import { previewNamespacePattern } from '../lib/names';
import { LoggingTier } from '../charts/logging-tier';
import { MonitoringStack } from '../charts/monitoring-stack';
import { Namespaces } from '../charts/namespaces';
import { RegistryAllowlistPolicy } from '../charts/registry-policy';
import { allowImages, imageAllowlistsOf, imageRepository } from '../lib/image-allowlist';
import { SealedSecretsController } from '../charts/sealed-secrets';
import { boundNamespaces } from './namespace-quotas';
import { renderedTree } from '../lib/render-once';
import { SealedTree } from '../lib/sealed-files';
import { PlatformChart } from '../lib/platform-chart';
import { RookStorage, RookStorageOptions } from '../charts/rook-storage';

export interface PlatformBuild {
  readonly units: SynthUnit[];
  readonly extraFiles: ExtraFile[];
  /** Secrets the workloads reference but the repo never holds (`namespace/name`). */
  readonly externalSecrets: string[];
  /** StorageClasses that exist without being synthesized (`name` or `name:default`). */
  readonly externalStorageClasses: string[];
  /** Data services that must never be exposed (lib/exposure.ts). */
  readonly protectedServices: ProtectedService[];
}

export interface BuildOptions {
  /** Bootstrap secrets; without them no host files are built (validation needs none). @default - no host files */
  readonly secrets?: BootstrapSecrets;
  /** The cluster's committed SealedSecrets (sealed/<cluster>/), copied into their namespaces. @default - none */
  readonly sealed?: SealedTree;
}

/** Builds every unit of the platform; nothing is written here. */
export function buildPlatform(config: PlatformConfig, versions: Versions, opts: BuildOptions = {}): PlatformBuild {
  const envs: EnvironmentModel[] = environments(config);
  const appEnvs = envs.flatMap((e) => e.apps);
  const protectedServices: ProtectedService[] = [];
  // The hosts' addresses, for the add-on namespaces' policies to the API server and the hosts.
  const clusterAddresses = networkAddresses(config);
  // kubectl mode: no Argo CD, so none of its objects (the add-ons' charts are rendered at synthesis, app/kubectl-tree.ts).
  const argoCd = config.gitops.mode === 'argocd';

  // Cluster-wide: namespaces, GitOps, storage, the entry point, logging, monitoring.
  const cluster = new App();
  const namespaces = new Namespaces(cluster);
  const storage = config.storage.rook
    ? new RookStorage(cluster, '20-storage', {
        ...rookStorageOptions(config.storage),
        hosts: config.cluster.hosts,
        namespaces,
        monitoring: config.monitoring.enabled,
        cephImage: imageVersion(versions, 'ceph'),
        rookChart: chartVersion(versions, 'rook-ceph'),
        csiDriversChart: chartVersion(versions, 'ceph-csi-drivers'),
        snapshotControllerChart: chartVersion(versions, 'snapshot-controller'),
        clusterAddresses,
      })
    : undefined;
  const classes = declaredStorageClasses(config.storage);
  const retained: StorageClassRef = storage?.storageClasses.retained ?? classes.find((c) => c.reclaimPolicy === 'Retain') ?? classes[0];
  const edge = new EdgeTier(cluster, '30-edge', {
    ...config.edge,
    namespaces,
    hosts: [...new Set([...appEnvs.map((a) => a.host), platformHost(config)])].sort(),
    previewDomains: [...new Set(Object.values(config.apps).flatMap((a) => (a.environments.previews ? [a.environments.previews.domain] : [])))].sort(),
    platformHost: platformHost(config),
    envoyGatewayChart: chartVersion(versions, 'envoy-gateway'),
    certManagerChart: chartVersion(versions, 'cert-manager'),
    ingressNginxChart: chartVersion(versions, 'ingress-nginx'),
    clusterAddresses,
  });
  if (config.logging.enabled) {
    const logging = new LoggingTier(cluster, '40-logging', {
      ...config.logging,
      namespaces,
      edge,
      kibanaHost: platformHost(config),
      storageClass: retained,
      nodeCount: config.cluster.hosts.filter((h) => h.roles.includes('worker')).length,
      hostsManaged: config.cluster.hostsManaged,
      operatorChart: chartVersion(versions, 'eck-operator'),
      elasticsearchVersion: imageVersion(versions, 'elasticsearch'),
      kibanaVersion: imageVersion(versions, 'kibana'),
      filebeatVersion: imageVersion(versions, 'filebeat'),
      curlImage: imageVersion(versions, 'curl'),
      clusterAddresses,
    });
    protectedServices.push(...logging.protectedServices);
  }
  new SealedSecretsController(cluster, '15-sealed-secrets', { namespaces, chart: chartVersion(versions, 'sealed-secrets'), clusterAddresses });
  const monitoring = config.monitoring.enabled
    ? new MonitoringStack(cluster, '50-monitoring', {
        ...config.monitoring,
        namespaces,
        edge,
        grafanaHost: platformHost(config),
        storageClass: storage?.storageClasses.general ?? classes.find((c) => c.isDefault) ?? classes[0],
        chart: chartVersion(versions, 'kube-prometheus-stack'),
        clusterAddresses,
      })
    : undefined;
  if (storage && monitoring) storage.allowMetricsScraping(monitoring.prometheus);
  // CloudNativePG runs the databases of every app on that engine (one operator, cluster-wide).
  const postgresOperator = Object.values(config.apps).some((a) => a.data.postgres?.engine === PostgresEngine.CLOUDNATIVE_PG)
    ? new PostgresOperator(cluster, '25-postgres', {
        namespaces,
        operatorChart: chartVersion(versions, 'cloudnative-pg'),
        pluginChart: chartVersion(versions, 'plugin-barman-cloud'),
        clusterAddresses,
      })
    : undefined;
  // A CloudNativePG Cluster of 3 instances on separate hosts where there are three storage hosts, else one.
  const databaseHosts = config.storage.rook
    ? storageHosts(config.cluster.hosts, config.storage).length
    : config.cluster.hosts.filter((h) => h.roles.includes('worker')).length;

  if (config.gitlab.enabled) {
    const { enabled: _enabled, ...gitlab } = config.gitlab;
    new GitLab(cluster, '60-gitlab', {
      ...gitlab,
      namespaces,
      edge,
      host: platformHost(config),
      podCidrs: [config.cluster.network.podCidr],
      storageClass: retained,
      prometheus: monitoring?.prometheus,
      image: imageVersion(versions, 'gitlab'),
      kubectlImage: imageVersion(versions, 'kubectl'),
    });
  }

  // SealedSecrets of the cluster's own namespaces (Kibana's and Grafana's logins), once the controller runs.
  const envNamespaceNames = new Set(appEnvs.map((a) => a.namespace));
  const clusterSealed = (opts.sealed?.secrets ?? []).filter((f) => !envNamespaceNames.has(f.namespace));
  for (const f of clusterSealed)
    if (!namespaces.has(f.namespace))
      throw new Error(`sealed/${config.cluster.name}/${f.file}: namespace ${f.namespace} is not part of this platform; move or delete the file`);
  if (clusterSealed.length)
    assignSyncWave(
      sealedSecretsChart(
        cluster,
        clusterSealed.map((f) => f.object),
      ),
      WAVE.platform,
    );

  // What the first control-plane host applies once Argo CD runs: its settings and the root Application.
  const bootstrap = new App();
  const argocd = argoCd ? new ArgoCdBootstrap(bootstrap, '00-argocd', { repo: config.gitops }) : undefined;

  // Environments: each app's namespace, data tier (where it owns one) and stack.
  const units: SynthUnit[] = [...(argoCd ? [{ dir: 'bootstrap', app: bootstrap }] : []), { dir: 'cluster', app: cluster }];
  const dataTiers = new Map<string, DataTier>();
  const deployers = new Map<string, Set<string>>();
  const bounded: { app: App; namespaces: Namespaces; appEnv: AppEnvironment }[] = [];
  // One folder and one Argo CD Application per app environment (dist/<environment>/<app>/), each in its app's project.
  for (const env of envs) {
    for (const appEnv of env.apps) {
      const app = new App();
      const envNamespaces = new Namespaces(app);
      envNamespaces.add(appEnv.namespace, {
        protect: appEnv.ownsData,
        labels: {
          [LABEL.partOf]: appEnv.app,
          [LABEL.environment]: appEnv.environment,
          ...edge.entryPoint.namespaceLabels,
          ...(appEnv.kind === 'preview' ? { [LABEL.previewOf]: appEnv.app } : {}),
        },
      });
      const drillNamespace = restoreDrillNamespace(appEnv);
      if (drillNamespace) {
        envNamespaces.add(drillNamespace, {
          labels: { [LABEL.partOf]: appEnv.app, [LABEL.environment]: appEnv.environment },
        });
      }
      const data = dataTierFor(app, appEnv, dataTiers, {
        versions,
        classes,
        retained,
        general: storage?.storageClasses.general,
        clusterDomain: config.cluster.network.dnsDomain,
        appEnvs,
        operator: postgresOperator,
        prometheus: monitoring?.prometheus,
        clusterAddresses,
        instances: databaseHosts >= 3 ? 3 : 1,
        drillNamespace,
      });
      if (data && appEnv.ownsData) {
        protectedServices.push(...data.protectedServices);
        assignSyncWave(data, ENV_WAVE.prerequisites);
      }
      const stack = new AppStack(app, `20-${appEnv.app}`, {
        environment: appEnv,
        data,
        // Previews are admitted by the staging tier through their namespace label.
        dataClientIngress: appEnv.kind !== 'preview',
        edge,
        monitoring,
        statsdExporterImage: imageVersion(versions, 'statsd-exporter'),
      });
      // A migration needs its policies, configuration and database in place: all in the first wave.
      assignSyncWave(stack, ENV_WAVE.prerequisites, ENV_PREREQUISITE_KINDS);
      deployers.set(appEnv.app, (deployers.get(appEnv.app) ?? new Set()).add(stack.deployerGroup));
      bounded.push({ app, namespaces: envNamespaces, appEnv });
      const envSealed = sealedFor(appEnv, opts.sealed);
      // Decrypted before the migration Job and the workloads that read them.
      if (envSealed.length) assignSyncWave(sealedSecretsChart(app, envSealed), ENV_WAVE.prerequisites);
      units.push({ dir: appEnvironmentDir(appEnv), app });
    }
  }
  // Argo CD runs in its namespace from the images of its pinned install manifest (the bootstrap applies it).
  if (argoCd) allowImages(cluster, ARGOCD_NAMESPACE, (manifestPin(versions, 'argo-cd').images ?? []).map(imageRepository));
  // Images only from platform.allowedRegistries in the app namespaces (and what the platform itself runs
  // there: the ingress-nginx variant's ACME solvers), and from exactly their recorded repositories in the
  // platform's own namespaces; enforced by the API server.
  const envAllowlists = imageAllowlistsOf(...units.filter((u) => u.app !== cluster && u.app !== bootstrap).map((u) => u.app));
  new RegistryAllowlistPolicy(cluster, '12-admission', {
    allowedRegistries: [...new Set([...config.platform.allowedRegistries, ...envAllowlists.flatMap((a) => a.images)])],
    namespaces: imageAllowlistsOf(cluster),
  });
  if (argoCd)
    new GitOps(cluster, '10-gitops', {
      repo: config.gitops,
      projects: Object.keys(config.apps)
        .sort()
        .map((name) => ({
          name,
          // The previews as a pattern: one that leaves the config stays permitted while Argo CD deletes it.
          namespaces: [
            ...appEnvs
              .filter((a) => a.app === name && a.kind !== 'preview')
              .flatMap((a) => [a.namespace, ...(restoreDrillNamespace(a) ? [restoreDrillNamespace(a)!] : [])]),
            ...(config.apps[name].environments.previews ? [previewNamespacePattern(name)] : []),
          ],
          deployerGroups: [...(deployers.get(name) ?? [])].sort(),
        })),
      applications: appEnvs.map((a) => ({
        name: `${a.app}-${a.environment}`,
        path: `dist/${appEnvironmentDir(a)}`,
        project: a.app,
        ephemeral: a.kind === 'preview',
      })),
      addons: addonsOf(cluster),
    });

  // The quotas last, sized from the finished workloads: within synthesis's render session the
  // workloads are rendered once for this and for the writer (lib/render-once.ts).
  for (const { app, namespaces, appEnv } of bounded) {
    boundNamespaces(app, namespaces, [appEnv]);
    assignSyncWave(namespaces, ENV_WAVE.prerequisites);
  }

  // Host bootstrap: cloud-init user-data per host, with the join token and CA keys (dist/hosts/, git-ignored).
  const hostFiles = opts.secrets
    ? new ClusterBootstrap(new App(), 'Bootstrap', {
        cluster: config.cluster,
        kubernetesRelease: versions.kubernetes.release,
        edge: { nodePorts: config.edge.nodePorts, proxyProtocol: config.edge.proxyProtocol },
        ...(argocd ? { gitopsManifests: renderedTree(argocd) } : {}), // the same objects dist/bootstrap/ holds, rendered once
        repository: { repoURL: config.gitops.repoURL, sshKnownHosts: config.gitops.sshKnownHosts },
        pins: {
          etcdImage: imageVersion(versions, 'etcd'),
          haproxyImage: imageVersion(versions, 'haproxy'),
          csrApproverImage: imageVersion(versions, 'kubelet-csr-approver'),
          pauseImage: imageVersion(versions, pauseImageKey(config.cluster.kubernetesVersion)),
          containerdVersion: imageVersion(versions, 'containerd-package'),
          cniManifest: manifestPin(versions, config.cluster.cni),
          argoCdManifest: manifestPin(versions, 'argo-cd'),
        },
        secrets: opts.secrets,
        elasticsearch: config.logging.enabled,
      }).files()
    : [];

  const synthesized = new Set(storage ? [storage.storageClasses.general.name, storage.storageClasses.retained.name] : []);
  return {
    units,
    extraFiles: hostFiles,
    // Each construct records the Secrets it needs on the tree, so a hand-composed app finds them the same way.
    externalSecrets: requiredSecretsOf(...units.map((u) => u.app)),
    externalStorageClasses: classes.filter((c) => !synthesized.has(c.name)).map((c) => (c.isDefault ? `${c.name}:default` : c.name)),
    protectedServices,
  };
}

/** The folder of dist/ that one app environment synthesizes into, and its Application syncs. */
export const appEnvironmentDir = (appEnv: AppEnvironment): string => `${appEnv.environment}/${appEnv.app}`;

/** Objects of an app stack that its migration Job needs before it runs. */
const ENV_PREREQUISITE_KINDS = ['NetworkPolicy', 'ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding'];

/** The `storage` section as RookStorage's options (the model's mapping: config field names → construct props). */
export function rookStorageOptions(storage: StorageConfig): RookStorageOptions {
  const { hosts: storageHosts, monCount, allowMultipleMonsPerNode, pools, classes } = storage;
  return { storageHosts, monCount, allowMultipleMonsPerNode, pools, classes };
}

interface DataTierContext {
  readonly versions: Versions;
  readonly classes: readonly StorageClassRef[];
  readonly retained: StorageClassRef;
  /** The platform's Delete class, for throw-away volumes (the restore drill's). */
  readonly general?: StorageClassRef;
  readonly clusterDomain: string;
  readonly appEnvs: readonly AppEnvironment[];
  readonly operator?: IPostgresOperator;
  readonly prometheus?: NamespacePeer;
  readonly clusterAddresses: ReturnType<typeof networkAddresses>;
  readonly instances: number;
  readonly drillNamespace?: string;
}

/** The scratch namespace of an environment's CloudNativePG restore drill (`<namespace>-drill`), when it has one. */
export function restoreDrillNamespace(env: AppEnvironment): string | undefined {
  const pg = env.config.data.postgres;
  if (!env.ownsData || !pg || pg.engine !== PostgresEngine.CLOUDNATIVE_PG || !pg.objectStore || !pg.backups.restoreDrill.enabled) return undefined;
  return `${env.namespace}-drill`;
}

/** The environment's own data tier, or the one it shares (staging's for previews). */
function dataTierFor(app: App, env: AppEnvironment, tiers: Map<string, DataTier>, ctx: DataTierContext): DataTier | undefined {
  const { postgres, redis } = env.config.data;
  if (!postgres && !redis) return undefined;
  if (!env.ownsData) {
    const shared = tiers.get(env.dataNamespace)!;
    return env.kind === 'preview' ? shared : DataTier.sharedWithStaging(shared, env.namespace);
  }
  const tier = new DataTier(app, `10-${env.app}-data`, {
    app: env.app,
    namespace: env.namespace,
    postgres: postgres ? { ...postgres, instances: ctx.instances } : undefined,
    redis,
    storageClass: postgres ? postgresStorageClass(postgres, ctx.classes) : ctx.retained,
    backupStorageClass: ctx.retained,
    // Previews that use this tier are admitted by their namespace label, so adding a branch never changes it.
    extraClients: ctx.appEnvs.some((e) => e.kind === 'preview' && e.dataNamespace === env.namespace)
      ? { name: 'previews', namespaceLabels: { [LABEL.previewOf]: env.app } }
      : undefined,
    // The pins, resolved here once: constructs take them as plain props.
    postgresImage:
      postgres && (postgres.engine === PostgresEngine.STATEFULSET || postgres.importFromStatefulSet)
        ? postgresImage(ctx.versions, postgres.majorVersion)
        : undefined,
    postgresClusterImage: postgres?.engine === PostgresEngine.CLOUDNATIVE_PG ? postgresImage(ctx.versions, postgres.majorVersion, 'cnpg-postgres') : undefined,
    postgresOperator: ctx.operator,
    restoreDrillNamespace: ctx.drillNamespace,
    restoreDrillStorageClass: ctx.general,
    kubectlImage: imageVersion(ctx.versions, 'kubectl'),
    prometheus: ctx.prometheus,
    clusterAddresses: ctx.clusterAddresses,
    redisImage: imageVersion(ctx.versions, 'redis'),
    curlImage: imageVersion(ctx.versions, 'curl'),
    clusterDomain: ctx.clusterDomain,
  });
  tiers.set(env.namespace, tier);
  return tier;
}

/** The SealedSecrets of one app environment: its own, or (a preview) the app's preview templates placed in its namespace. */
function sealedFor(appEnv: AppEnvironment, sealed: SealedTree | undefined): Record<string, any>[] {
  if (!sealed) return [];
  const own = sealed.secrets.filter((f) => f.namespace === appEnv.namespace).map((f) => f.object);
  if (appEnv.kind !== 'preview') return own;
  const templates = (sealed.previewTemplates.get(appEnv.app) ?? []).filter((t) => !own.some((o) => o.metadata.name === t.name));
  return [...own, ...templates.map((t) => ({ ...t.object, metadata: { ...t.object.metadata, namespace: appEnv.namespace } }))];
}

/** A `05-sealed-secrets` chart holding the objects as committed. */
function sealedSecretsChart(app: App, objects: readonly Record<string, any>[]): PlatformChart {
  const chart = new PlatformChart(app, '05-sealed-secrets');
  for (const o of objects) new ApiObject(chart, `${o.metadata.namespace}-${o.metadata.name}`, o as any);
  return chart;
}
