/** Fixtures for the edge tests: the edge tier of a config, with the route sets the environments and Kibana add. */
import { App, Chart, Testing } from 'cdk8s';
import { environments, platformHost } from '../config/model';
import { PlatformConfig } from '../config/schema';
import { loadVersions, Versions } from '../config/versions';
import { EdgeTier } from '../charts/edge-tier';
import { Namespaces } from '../charts/namespaces';
import { RouteSet } from '../lib/contracts';
import { selectorLabels } from '../lib/labels';
import { checkSchemas } from '../lib/validate/schema-check';
import { loadSchemaStore, resolveSchemaLocation } from '../lib/validate/schema-store';
import { drainWarnings, Warning } from '../lib/warnings';
import { parsedConfig } from './helpers';

export const versions: Versions = loadVersions();

/** The route set an app environment registers (what AppStack derives from the components' paths). */
export function environmentRoutes(config: PlatformConfig): RouteSet[] {
  return environments(config).flatMap((env) =>
    env.apps.map((a) => ({
      owner: `${a.app}/${a.environment}`,
      host: a.host,
      namespace: a.namespace,
      backends: a.components.flatMap((c) =>
        c.paths.map((path) => ({
          path,
          serviceName: c.name,
          port: c.port,
          pods: { name: c.name, namespace: a.namespace, selector: selectorLabels(a.app, c.name), ports: [{ port: c.port }] },
        })),
      ),
    })),
  );
}

export function kibanaRoutes(config: PlatformConfig): RouteSet {
  return {
    owner: 'logging/kibana',
    host: platformHost(config),
    namespace: 'logging',
    auth: { secretName: config.logging.kibana.authSecret },
    backends: [
      {
        path: '/kibana',
        serviceName: 'kibana-kb-http',
        port: 5601,
        pods: { name: 'kibana', namespace: 'logging', selector: { 'kibana.k8s.elastic.co/name': 'kibana' }, ports: [{ port: 5601 }] },
      },
    ],
  };
}

/** Hosts and preview domains as the composition passes them. */
export function edgeHosts(config: PlatformConfig): { hosts: string[]; previewDomains: string[] } {
  const hosts = new Set<string>([platformHost(config)]);
  for (const env of environments(config)) for (const a of env.apps) hosts.add(a.host);
  const previewDomains = Object.values(config.apps).flatMap((a) => (a.environments.previews ? [a.environments.previews.domain] : []));
  return { hosts: [...hosts].sort(), previewDomains: [...new Set(previewDomains)].sort() };
}

export interface EdgeBuild {
  readonly config: PlatformConfig;
  readonly namespaces: Namespaces;
  readonly edge: EdgeTier;
  /** One chart per route set (environments, then Kibana), as the environment units and the logging tier hold them. */
  readonly routeCharts: Chart[];
  readonly warnings: Warning[];
}

/** The edge tier of the default config (mutated), with every environment's routes and Kibana's. */
export function buildEdge(mutate: (cfg: any) => void = () => {}): EdgeBuild {
  drainWarnings();
  const config = parsedConfig(mutate);
  const app: App = Testing.app();
  const namespaces = new Namespaces(app);
  const edge = new EdgeTier(app, '30-edge', { ...config.edge, namespaces, ...edgeHosts(config) });
  const routeCharts = [...environmentRoutes(config), kibanaRoutes(config)].map((routes) => {
    const chart = new Chart(app, `routes-${routes.owner.replace('/', '-')}`);
    edge.addRoutes(chart, routes);
    return chart;
  });
  return { config, namespaces, edge, routeCharts, warnings: drainWarnings() };
}

/** Every synthesized object of a build: namespaces, the edge chart, then the route charts. */
export function allDocs(build: EdgeBuild): any[] {
  return [build.namespaces, build.edge, ...build.routeCharts].flatMap((c) => Testing.synth(c));
}

export const ofKind = (docs: any[], kind: string) => docs.filter((d) => d.kind === kind);
export const named = (docs: any[], kind: string, name: string, namespace?: string) =>
  docs.find((d) => d.kind === kind && d.metadata.name === name && (namespace === undefined || d.metadata.namespace === namespace));

/** Strict schema findings (Kubernetes 1.28 and 1.36, and the CRD schemas in shared/schemas). */
export function schemaFindings(docs: any[]): string[] {
  const store = loadSchemaStore(resolveSchemaLocation());
  return checkSchemas(
    docs.map((object, index) => ({ file: 'edge', index, object })),
    store,
  ).map((f) => `${f.document} ${f.path}: ${f.message}`);
}
