/**
 * What tiers hand each other. Tiers are wired by these objects (service names, ports,
 * selectors, secret names), never by retyping another tier's names or labels.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { NamespacePeer, PodGroup, Server } from './network-policy';

/** A pod toleration, in Kubernetes' own field names. */
export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** Requests and limits as quantities (`{ requests: { cpu: '250m' } }`), each field optional. */
export interface ResourceQuantities {
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

/** A Helm chart pinned exactly: `repoURL` is `https://…` or `oci://registry/path` (config/versions.yaml `charts:`). */
export interface ChartPin {
  readonly repoURL: string;
  readonly chart: string;
  /** An exact version, never a range. */
  readonly version: string;
  /**
   * Image repository prefixes (`registry/path`) its pods pull from: the admission allowlist of the
   * namespaces it installs into.
   * @default - none recorded: those namespaces admit only what other constructs allow there
   */
  readonly images?: readonly string[];
}

/** The git repository and revision Argo CD syncs `dist/` from. */
export interface GitRepository {
  readonly repoURL: string;
  /** @default 'main' */
  readonly revision?: string;
}

/** A StorageClass that volumes may name. */
export interface StorageClassRef {
  readonly name: string;
  readonly reclaimPolicy: 'Retain' | 'Delete';
}

/** Which engine runs a data tier's Postgres (config `apps.<app>.data.postgres.engine`). */
export enum PostgresEngine {
  /** A CloudNativePG Cluster: WAL archived continuously, point-in-time recovery, failover between instances. */
  CLOUDNATIVE_PG = 'cloudnative-pg',
  /** One StatefulSet with nightly dumps: platforms synthesized before CloudNativePG ran their database. */
  STATEFULSET = 'statefulset',
}

/** A data service (Postgres, Redis) as its clients see it. */
export interface DataService extends Server {
  /** Environment variables that connect a client container (values or Secret refs, never secret values). */
  readonly connectionEnv: readonly k8s.EnvVar[];
  /** Secrets (in the service's namespace) that clients reference via connectionEnv. */
  readonly secretNames: readonly string[];
  /**
   * Those of `secretNames` an operator creates in the service's own namespace (CloudNativePG's `<cluster>-app`):
   * nobody declares them there; clients in other namespaces still need a copy.
   * @default - none
   */
  readonly generatedSecrets?: readonly string[];
  /**
   * Names the database behind the service where it is not the first one of its kind (CloudNativePG's Cluster): Jobs
   * that use it end their name with it, so a switch of database is a new Job, not a refused update. @default - none
   */
  readonly jobSuffix?: string;
}

/** One HTTP backend behind a path prefix. */
export interface RouteBackend {
  /** Path prefix, e.g. `/api` or `/`. */
  readonly path: string;
  readonly serviceName: string;
  readonly port: number;
  /** Pods behind the Service (for the entry point's NetworkPolicy allow). */
  readonly pods: Server;
}

/** Basic authentication in front of a route; the Secret is declared, never synthesized. */
export interface RouteAuth {
  /** Secret holding an htpasswd file under key `.htpasswd` (Envoy) / `auth` (ingress-nginx). */
  readonly secretName: string;
}

/** Routes that one owner (an app environment, a platform service) claims on one host. */
export interface RouteSet {
  /** Who claims the routes, used in error messages: `berkeleytime/production`, `logging/kibana`. */
  readonly owner: string;
  readonly host: string;
  readonly namespace: string;
  readonly backends: readonly RouteBackend[];
  readonly auth?: RouteAuth;
  /** Largest request body forwarded to these backends (`0`: unlimited), e.g. git pushes. @default - the edge's `maxRequestBodySize` */
  readonly maxRequestBodySize?: string;
  /**
   * Longest a request to these backends may take, e.g. a clone of a large repository.
   * @default - the controller's: Envoy Gateway ends a request after 15s, ingress-nginx after 60s without data
   */
  readonly requestTimeoutSeconds?: number;
  /**
   * Argo CD sync wave of the route objects. Cluster-wide routes go last (lib/argocd.ts `WAVE.edge`):
   * a route is healthy only once its Gateway and certificate are, and nothing may wait on that.
   * @default - the wave of the scope's other objects
   */
  readonly syncWave?: number;
}

/** The entry point: who routed traffic comes from, so NetworkPolicies admit it and only it. */
export interface EntryPoint {
  readonly peer: NamespacePeer;
  /** Namespace label that lets a namespace's Services be routed to by the shared Gateway. */
  readonly namespaceLabels: Readonly<Record<string, string>>;
}

export type { NamespacePeer, PodGroup, Server };

/** The edge tier as other tiers use it: who routed traffic comes from, and a way to add routes. */
export interface RouteRegistry {
  readonly entryPoint: EntryPoint;
  /** Renders `routes` into `scope` plus the policy admitting the entry point; throws on a duplicate host+path. */
  addRoutes(scope: Construct, routes: RouteSet): void;
}
