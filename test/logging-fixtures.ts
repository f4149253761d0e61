/** Shared fixtures for the logging tests: a recording route registry and a synth helper for the LoggingTier. */
import { ClusterAddresses } from '../lib/cluster-peers';
import { App, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { ElasticsearchClusterProps } from '../charts/elasticsearch-cluster';
import { LoggingTier, LoggingTierProps } from '../charts/logging-tier';
import { Namespaces } from '../charts/namespaces';
import { logging, LoggingConfig } from '../config/schema/logging';
import { loadVersions } from '../config/versions';
import { EntryPoint, RouteRegistry, RouteSet, StorageClassRef } from '../lib/contracts';
import { Finding, SourceDocument, validateDocuments } from '../lib/validate';
import { drainWarnings, Warning } from '../lib/warnings';

export const versions = loadVersions();

/** The `logging` config section, defaults filled in as the schema does. */
export const loggingConfig = (raw: unknown = {}): LoggingConfig => logging.parse(raw);

export const RETAINED_BLOCK: StorageClassRef = { name: 'ceph-block', reclaimPolicy: 'Retain' };

/** A one-node Elasticsearch cluster as the logging tier makes it, for the tests of its parts. */
export const ELASTICSEARCH_PROPS: ElasticsearchClusterProps = {
  name: 'logging',
  namespace: 'logging',
  version: '9.4.3',
  hostCount: 1,
  storageClass: RETAINED_BLOCK,
  storage: '30Gi',
  heapMiB: 1024,
  hostsManaged: true,
  syncWave: 5,
};

/** A RouteRegistry that records what it is asked to route and renders nothing. */
export class FakeRouteRegistry implements RouteRegistry {
  public readonly entryPoint: EntryPoint = {
    peer: { name: 'edge', namespaceLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } },
    namespaceLabels: { 'platform.campus/gateway-access': 'true' },
  };
  public readonly calls: { scope: Construct; routes: RouteSet }[] = [];

  public addRoutes(scope: Construct, routes: RouteSet): void {
    this.calls.push({ scope, routes });
  }
}

export interface SynthOptions {
  /** Raw `logging` section. @default {} */
  readonly config?: unknown;
  /** @default 1 */
  readonly nodeCount?: number;
  /** @default true */
  readonly hostsManaged?: boolean;
  /** @default RETAINED_BLOCK */
  readonly storageClass?: StorageClassRef;
  /** Builds the edge in the same app (for the real EdgeTier). @default - a FakeRouteRegistry */
  readonly edge?: (app: App, namespaces: Namespaces) => RouteRegistry;
  /** @default - none: the API server by port alone */
  readonly clusterAddresses?: ClusterAddresses;
}

export interface SynthesizedLogging {
  readonly tier: LoggingTier;
  readonly edge: RouteRegistry;
  /** The tier's namespaces (from the 00-namespaces chart) followed by the tier chart's documents. */
  readonly docs: any[];
  readonly warnings: Warning[];
  /** The only document of a kind (and name); throws when there is none or several. */
  one(kind: string, name?: string): any;
  all(kind: string): any[];
}

export const LOGGING_NAMESPACES = ['elastic-system', 'logging', 'logging-shipper'];

export function synthLogging(opts: SynthOptions = {}): SynthesizedLogging {
  drainWarnings();
  const app = new App();
  const namespaces = new Namespaces(app);
  const edge = opts.edge ? opts.edge(app, namespaces) : new FakeRouteRegistry();
  const props: LoggingTierProps = {
    ...loggingConfig(opts.config ?? {}),
    namespaces,
    edge,
    kibanaHost: 'berkeleytime.com',
    storageClass: opts.storageClass ?? RETAINED_BLOCK,
    nodeCount: opts.nodeCount ?? 1,
    hostsManaged: opts.hostsManaged ?? true,
    operatorChart: versions.charts['eck-operator'],
    clusterAddresses: opts.clusterAddresses,
  };
  const tier = new LoggingTier(app, '40-logging', props);
  const docs = [...Testing.synth(namespaces).filter((d: any) => LOGGING_NAMESPACES.includes(d.metadata.name)), ...Testing.synth(tier)];
  const warnings = drainWarnings();
  const all = (kind: string) => docs.filter((d) => d.kind === kind);
  const one = (kind: string, name?: string) => {
    const found = all(kind).filter((d) => name === undefined || d.metadata.name === name);
    if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` "${name}"` : ''}, found ${found.length}`);
    return found[0];
  };
  return { tier, edge, docs, warnings, one, all };
}

/** Services ECK creates for the resources it manages: `<name>-es-http`, `<name>-kb-http`. */
const ECK_SERVICE = /^Service "[a-z0-9-]+\/[a-z0-9-]+-(es|kb)-http" is not in the documents/;

/**
 * Every validator finding over the tier's documents, minus two known gaps: the validator does
 * not yet know that ECK turns Elasticsearch/Kibana/Beat resources into pods carrying ECK's labels
 * (so policies selecting those labels look like they select nothing) and into Services (so a
 * route to Kibana's Service looks dangling).
 */
export function validationFindings(s: SynthesizedLogging, storageClasses: string[] = [RETAINED_BLOCK.name]): Finding[] {
  const docs: SourceDocument[] = s.docs.map((object, index) => ({ file: '40-logging', index, object }));
  const findings = validateDocuments(docs, { declared: { secrets: s.tier.externalSecrets, storageClasses } });
  const eckPods = (f: Finding) => f.path === 'spec.podSelector' && /selects no pods/.test(f.message) && /\.k8s\.elastic\.co\/(cluster-)?name/.test(f.message);
  return findings.filter((f) => !eckPods(f) && !ECK_SERVICE.test(f.message));
}
