/**
 * What an AppStack runs, as flat props: each component and job with its optional settings, and
 * `resolveComponent`, which applies the defaults (lib/tier-defaults.ts, the values the config schema
 * defaults to as well) once, for the constructs below the stack.
 */
import { ImageRef, parseImage } from '../lib/image';
import { ResourceQuantities } from '../lib/contracts';
import { COMPONENT_DEFAULTS, CRON_JOB_DEFAULTS } from '../lib/tier-defaults';

export interface AppComponentOptions {
  /** The component's name: its Deployment, Service and pods. */
  readonly name: string;
  /** `registry/repository:tag` (or `@sha256:…`), never `latest`. */
  readonly image: string;
  readonly port: number;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  /** Path prefixes routed to this component on the environment's host. @default - none */
  readonly paths?: readonly string[];
  /** @default 1 */
  readonly replicas?: number;
  /** @default - the construct's requests */
  readonly resources?: ResourceQuantities;
  /** HTTP readiness and liveness; `startupSeconds` adds a startup probe. @default - TCP on the port */
  readonly probes?: { readonly path: string; readonly startupSeconds?: number };
  /** Plain environment (a ConfigMap). @default - none */
  readonly env?: Readonly<Record<string, string>>;
  /** Keys of named Secrets exposed as environment variables of the same name. @default - none */
  readonly secretEnv?: readonly { readonly secret: string; readonly keys: readonly string[] }[];
  /** Writable directories on the read-only root filesystem. @default - none */
  readonly writablePaths?: readonly string[];
  /** Other components it reaches in-cluster (each becomes a two-sided policy). @default - none */
  readonly calls?: readonly string[];
  /** Data services it connects to. @default - none */
  readonly uses?: readonly ('postgres' | 'redis')[];
  /** `job`: a Job per release, named after the image tag; `initContainer`: before every pod start. @default - none */
  readonly migrations?: { readonly mode?: 'job' | 'initContainer'; readonly command: readonly string[] };
  /** A canary Deployment behind the same Service (traffic by replica ratio). @default - none */
  readonly canary?: { readonly image: string; readonly replicas?: number };
  /** @default - a fixed replica count */
  readonly autoscaling?: { readonly minReplicas: number; readonly maxReplicas: number; readonly targetCpuPercent?: number };
  /** Prometheus scrapes this port and path. @default - not scraped */
  readonly metrics?: { readonly port: number; readonly path?: string };
  /** A statsd-exporter sidecar. @default false */
  readonly statsd?: boolean;
  /** @default 10001 */
  readonly runAsUser?: number;
  /** HTTPS to addresses outside the cluster. @default false */
  readonly internetEgress?: boolean;
}

/** A component with every default applied, as the stack's constructs read it. */
export interface ResolvedComponent {
  readonly name: string;
  readonly image: string;
  readonly imageRef: ImageRef;
  readonly port: number;
  readonly command?: string[];
  readonly args?: string[];
  readonly paths: string[];
  readonly replicas: number;
  readonly resources?: ResourceQuantities;
  readonly probes?: { readonly path: string; readonly startupSeconds: number };
  readonly env: Record<string, string>;
  readonly secretEnv: { readonly secret: string; readonly keys: string[] }[];
  readonly writablePaths: string[];
  readonly calls: string[];
  readonly uses: ('postgres' | 'redis')[];
  readonly migrations?: { readonly mode: 'job' | 'initContainer'; readonly command: string[] };
  readonly canary?: { readonly image: string; readonly replicas: number };
  readonly autoscaling?: { readonly minReplicas: number; readonly maxReplicas: number; readonly targetCpuPercent: number };
  readonly metrics?: { readonly port: number; readonly path: string };
  readonly statsd: boolean;
  readonly runAsUser: number;
  readonly internetEgress: boolean;
}

export interface AppCronJobOptions {
  readonly name: string;
  /** Component whose image, env and secrets the job uses. */
  readonly component: string;
  readonly schedule: string;
  readonly timeZone: string;
  /** Commands run in order; the first failure stops the run. */
  readonly steps: readonly (readonly string[])[];
  /** @default 3600 */
  readonly deadlineSeconds?: number;
}

export function resolveComponent(c: AppComponentOptions): ResolvedComponent {
  const d = COMPONENT_DEFAULTS;
  const imageRef = parseImage(c.image);
  if (typeof imageRef === 'string') throw new Error(`component ${c.name}: image "${c.image}": ${imageRef}`);
  return {
    name: c.name,
    image: c.image,
    imageRef,
    port: c.port,
    ...(c.command ? { command: [...c.command] } : {}),
    ...(c.args ? { args: [...c.args] } : {}),
    paths: [...(c.paths ?? [])],
    replicas: c.replicas ?? d.replicas,
    ...(c.resources ? { resources: c.resources } : {}),
    ...(c.probes ? { probes: { path: c.probes.path, startupSeconds: c.probes.startupSeconds ?? 0 } } : {}),
    env: { ...c.env },
    secretEnv: (c.secretEnv ?? []).map((s) => ({ secret: s.secret, keys: [...s.keys] })),
    writablePaths: [...(c.writablePaths ?? [])],
    calls: [...(c.calls ?? [])],
    uses: [...(c.uses ?? [])],
    ...(c.migrations ? { migrations: { mode: c.migrations.mode ?? d.migrationMode, command: [...c.migrations.command] } } : {}),
    ...(c.canary ? { canary: { image: c.canary.image, replicas: c.canary.replicas ?? d.canaryReplicas } } : {}),
    ...(c.autoscaling ? { autoscaling: { ...c.autoscaling, targetCpuPercent: c.autoscaling.targetCpuPercent ?? d.targetCpuPercent } } : {}),
    ...(c.metrics ? { metrics: { port: c.metrics.port, path: c.metrics.path ?? d.metricsPath } } : {}),
    statsd: c.statsd ?? d.statsd,
    runAsUser: c.runAsUser ?? d.runAsUser,
    internetEgress: c.internetEgress ?? d.internetEgress,
  };
}

export function resolveCronJob(j: AppCronJobOptions): Required<Omit<AppCronJobOptions, 'steps'>> & { readonly steps: string[][] } {
  return { ...j, steps: j.steps.map((s) => [...s]), deadlineSeconds: j.deadlineSeconds ?? CRON_JOB_DEFAULTS.deadlineSeconds };
}
