import { Construct } from 'constructs';
import { AppComponentOptions, AppCronJobOptions, resolveComponent, resolveCronJob } from './app-spec';
import { DataService, RouteRegistry, RouteSet } from '../lib/contracts';
import { allowTraffic, defaultDeny, NamespacePeer, PodGroup } from '../lib/network-policy';
import { pinnedImage } from '../lib/pins';
import { PlatformChart } from '../lib/platform-chart';
import { AppComponent } from './app-component';
import { AppMetrics, metricsEndpoints } from './app-metrics';
import { AppCronJob } from './app-cron-job';
import { Deployer } from './deployer';
import { InternetEgress } from './internet-egress';
import { requireSecrets } from '../lib/warnings';

/** The data tier as an app sees it: its services, and a way to be admitted to them. */
export interface AppDataAccess {
  readonly postgres?: DataService;
  readonly redis?: DataService;
  /** Admits `client` to `service`: egress in `clientScope`, and ingress on the tier unless `ingress` is false. */
  allowClient(clientScope: Construct, client: PodGroup, service: DataService, opts?: { ingress?: boolean }): void;
}

/** One app in one environment: where it runs and what. */
export interface AppStackEnvironment {
  readonly app: string;
  /** `production`, `staging`, `preview-<branch>`: names the routes' owner. */
  readonly environment: string;
  readonly namespace: string;
  /** The host its components' paths are routed on. */
  readonly host: string;
  readonly components: readonly AppComponentOptions[];
  /** @default - none */
  readonly cronJobs?: readonly AppCronJobOptions[];
}

export interface AppStackProps {
  /** The app in this environment (namespace, host, components with their images and replicas). */
  readonly environment: AppStackEnvironment;
  /** Data tier the environment uses (its own, or staging's for previews). @default - no data services */
  readonly data?: AppDataAccess;
  /**
   * Write the data tier's ingress side for this stack's clients. False when the tier already
   * admits this namespace by label (previews of staging's data).
   * @default true
   */
  readonly dataClientIngress?: boolean;
  /** Entry point that routes the components' paths. @default - not routed */
  readonly edge?: RouteRegistry;
  /**
   * The monitoring stack: components with `statsd` or `metrics` get a PodMonitor and admit its
   * Prometheus to their metrics ports.
   * @default - not scraped
   */
  readonly monitoring?: AppMonitoring;
  /** Sidecar of components that speak statsd. @default - the pin `statsd-exporter` of config/versions.yaml */
  readonly statsdExporterImage?: string;
}

/** The monitoring stack as an app sees it: who scrapes. */
export interface AppMonitoring {
  readonly prometheus: NamespacePeer;
}

/**
 * One app in one environment: its components, jobs and policies in the namespace
 * `<app>-<environment>`. Connects to the data tier it is given and registers its routes
 * with the edge; it never spells another tier's names or labels.
 */
export class AppStack extends PlatformChart {
  public readonly components: Readonly<Record<string, AppComponent>>;
  /** Routes the components' paths claim on the environment's host. */
  public readonly routes: RouteSet;
  /** Secrets the workloads reference that must exist in the namespace (never synthesized). */
  public readonly externalSecrets: readonly string[];
  /** The group whose members may deploy here (and sync the app's Argo CD Applications). */
  public readonly deployerGroup: string;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    const env = props.environment;
    super(scope, id, { namespace: env.namespace });
    defaultDeny(this, env.namespace);
    this.deployerGroup = new Deployer(this, 'Deployer', { namespace: env.namespace, app: env.app }).group;

    const services = (uses: readonly string[]): DataService[] =>
      uses.map((dep) => {
        const service = props.data?.[dep as 'postgres' | 'redis'];
        if (!service) throw new Error(`${env.namespace}: a component uses "${dep}" but the environment has no ${dep} data service`);
        return service;
      });
    const ingress = props.dataClientIngress ?? true;
    const allow = (client: PodGroup, service: DataService) => props.data!.allowClient(this, client, service, { ingress });
    const secrets = new Set<string>();
    const components: Record<string, AppComponent> = {};
    const specs = env.components.map(resolveComponent);
    for (const spec of specs) {
      const deps = services(spec.uses);
      const component = new AppComponent(this, spec.name, {
        spec,
        app: env.app,
        namespace: env.namespace,
        connectionEnv: deps.flatMap((d) => d.connectionEnv),
        dataSuffixes: deps.flatMap((d) => (d.jobSuffix ? [d.jobSuffix] : [])),
        statsdExporterImage: spec.statsd ? (props.statsdExporterImage ?? pinnedImage('statsd-exporter')) : undefined,
      });
      components[spec.name] = component;
      for (const dep of deps) {
        allow(component.pods, dep);
        if (component.migrationPods) allow(component.migrationPods, dep);
        dep.secretNames.filter((s) => dep.namespace !== env.namespace || !dep.generatedSecrets?.includes(s)).forEach((s) => secrets.add(s));
      }
      spec.secretEnv.forEach((s) => secrets.add(s.secret));
      if (spec.internetEgress)
        new InternetEgress(this, `${spec.name}-internet`, { pods: [component.pods, ...(component.migrationPods ? [component.migrationPods] : [])] });
      if (props.monitoring && metricsEndpoints(spec).length) {
        new AppMetrics(this, `${spec.name}-metrics`, { spec, app: env.app, pods: component.pods, prometheus: props.monitoring.prometheus });
      }
    }
    this.components = components;
    // Calls between components: both sides, in this namespace.
    for (const spec of specs) {
      for (const callee of spec.calls) allowTraffic(this, components[spec.name].pods, this, components[callee].pods);
    }

    for (const job of (env.cronJobs ?? []).map(resolveCronJob)) {
      const owner = specs.find((c) => c.name === job.component);
      if (!owner) throw new Error(`${env.namespace}: cron job ${job.name} runs component "${job.component}", which the app does not have`);
      const cron = new AppCronJob(this, `cron-${job.name}`, {
        name: job.name,
        app: env.app,
        namespace: env.namespace,
        job,
        template: components[job.component].podTemplate,
        runAsUser: owner.runAsUser,
      });
      for (const dep of services(owner.uses)) allow(cron.pods, dep);
      if (owner.internetEgress) new InternetEgress(this, `cron-${job.name}-internet`, { pods: [cron.pods] });
    }

    this.routes = {
      owner: `${env.app}/${env.environment}`,
      host: env.host,
      namespace: env.namespace,
      backends: Object.values(components).flatMap((c) =>
        specs.find((s) => s.name === c.serviceName)!.paths.map((path) => ({ path, serviceName: c.serviceName, port: c.port, pods: c.pods })),
      ),
    };
    if (props.edge && this.routes.backends.length) props.edge.addRoutes(this, this.routes);
    this.externalSecrets = [...secrets].sort().map((s) => `${env.namespace}/${s}`);
    requireSecrets(this, this.externalSecrets);
  }
}
