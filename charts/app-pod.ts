/**
 * The pod spec a component runs with, shared by its Deployments, its migration Job and the
 * CronJobs that borrow its image, env and secrets. Security settings are applied by callers
 * through lib/pod-security.ts.
 */
import { k8s } from 'cdk8s-plus-28';
import { ResolvedComponent } from './app-spec';
import { quantities } from '../lib/kube';

export interface PodTemplateOptions {
  readonly spec: ResolvedComponent;
  /** ConfigMap with the component's plain env. */
  readonly configMap: string;
  readonly connectionEnv: readonly k8s.EnvVar[];
  readonly resources: { requests: Record<string, string>; limits: Record<string, string> };
  /** @default - no statsd sidecar */
  readonly statsdExporterImage?: string;
}

/** The statsd-exporter sidecar: the app sends statsd to localhost on `statsdPort`, Prometheus scrapes `metricsPort`. */
export { STATSD_EXPORTER } from '../lib/tier-defaults';
import { STATSD_EXPORTER } from '../lib/tier-defaults';
/** Name of the container port of a component's own metrics endpoint, when it is not its `http` port. */
export const APP_METRICS_PORT_NAME = 'http-metrics';

/** Secret env: one `secretKeyRef` per declared key, so values never pass through the repo. */
export function secretEnv(spec: ResolvedComponent): k8s.EnvVar[] {
  return spec.secretEnv.flatMap((s) => s.keys.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: s.secret, key } } })));
}

/** emptyDir volumes for the paths a component writes to (its root filesystem is read-only). */
export function writableVolumes(spec: ResolvedComponent): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
  const named = spec.writablePaths.map((mountPath, i) => ({ name: `writable-${i}`, mountPath }));
  return {
    volumes: named.map(({ name }) => ({ name, emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } })),
    mounts: named.map(({ name, mountPath }) => ({ name, mountPath })),
  };
}

function probes(spec: ResolvedComponent): Pick<k8s.Container, 'readinessProbe' | 'livenessProbe' | 'startupProbe'> {
  if (!spec.probes) return {};
  const httpGet = { path: spec.probes.path, port: k8s.IntOrString.fromString('http') };
  return {
    readinessProbe: { httpGet, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    // Liveness is lenient: restarting a slow-but-alive server under load makes outages worse.
    livenessProbe: { httpGet, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
    ...(spec.probes.startupSeconds > 0
      ? { startupProbe: { httpGet, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: Math.ceil(spec.probes.startupSeconds / 10) } }
      : {}),
  };
}

/** The component's main container (and sidecars), volumes and init containers. */
export function podTemplateFor(opts: PodTemplateOptions): k8s.PodSpec {
  const { spec } = opts;
  const writable = writableVolumes(spec);
  const env = [...opts.connectionEnv, ...secretEnv(spec)];
  const main: k8s.Container = {
    name: spec.name,
    image: spec.image,
    imagePullPolicy: 'IfNotPresent',
    ...(spec.command ? { command: spec.command } : {}),
    ...(spec.args ? { args: spec.args } : {}),
    ports: [
      { name: 'http', containerPort: spec.port, protocol: 'TCP' },
      // Prometheus discovers pod targets by declared ports.
      ...(spec.metrics && spec.metrics.port !== spec.port ? [{ name: APP_METRICS_PORT_NAME, containerPort: spec.metrics.port, protocol: 'TCP' }] : []),
    ],
    envFrom: [{ configMapRef: { name: opts.configMap } }],
    ...(env.length ? { env } : {}),
    resources: { requests: quantities(opts.resources.requests), limits: quantities(opts.resources.limits) },
    ...probes(spec),
    ...(writable.mounts.length ? { volumeMounts: writable.mounts } : {}),
  };
  const containers = [main];
  if (spec.statsd) {
    if (spec.metrics && ([STATSD_EXPORTER.statsdPort, STATSD_EXPORTER.metricsPort] as number[]).includes(spec.metrics.port)) {
      throw new Error(
        `component "${spec.name}": metrics.port ${spec.metrics.port} is taken by the statsd-exporter sidecar (statsd: true); serve the app's metrics on another port`,
      );
    }
    if (!opts.statsdExporterImage) throw new Error(`component "${spec.name}" sets statsd but no statsd-exporter image is pinned`);
    containers.push({
      name: 'statsd-exporter',
      image: opts.statsdExporterImage,
      imagePullPolicy: 'IfNotPresent',
      args: [`--statsd.listen-udp=:${STATSD_EXPORTER.statsdPort}`, '--statsd.listen-tcp=', `--web.listen-address=:${STATSD_EXPORTER.metricsPort}`],
      ports: [
        { name: 'statsd', containerPort: STATSD_EXPORTER.statsdPort, protocol: 'UDP' },
        { name: STATSD_EXPORTER.metricsPortName, containerPort: STATSD_EXPORTER.metricsPort, protocol: 'TCP' },
      ],
      resources: { requests: quantities({ cpu: '10m', memory: '32Mi' }), limits: quantities({ memory: '64Mi' }) },
    });
  }
  const initContainers = spec.migrations?.mode === 'initContainer' ? [oneShot(main, 'migrate', spec.migrations.command)] : undefined;
  return {
    // Service links would inject e.g. REDIS_PORT=tcp://… into every pod, breaking apps that read REDIS_PORT.
    enableServiceLinks: false,
    containers,
    ...(initContainers ? { initContainers } : {}),
    ...(writable.volumes.length ? { volumes: writable.volumes } : {}),
  };
}

/** Strips what only a long-running server needs, for one-shot containers (jobs, migrations). */
export function oneShot(container: k8s.Container, name: string, command: readonly string[]): k8s.Container {
  const copy: k8s.Container = { ...container, name, command: [...command] };
  for (const key of ['ports', 'readinessProbe', 'livenessProbe', 'startupProbe', 'args'] as const) delete (copy as any)[key];
  return copy;
}
