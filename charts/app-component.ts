import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ResolvedComponent } from './app-spec';
import { LABEL, objectLabels, selectorLabels } from '../lib/labels';
import { ENV_WAVE, syncAnnotations } from '../lib/argocd';
import { PodGroup, Server } from '../lib/network-policy';
import { restrictedPodSpec } from '../lib/pod-security';
import { oneShot, podTemplateFor } from './app-pod';
import { disruptionBudget } from '../lib/kube';

/** Requests without limits on CPU (throttling hurts latency), a memory limit against leaks. */
const DEFAULT_RESOURCES = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } };

export interface AppComponentProps {
  /** The component as resolved for this environment (image, replicas). */
  readonly spec: ResolvedComponent;
  readonly app: string;
  readonly namespace: string;
  /** Extra environment (data-service connection env). @default - none */
  readonly connectionEnv?: readonly k8s.EnvVar[];
  /**
   * Names of the databases behind the connection env (DataService `jobSuffix`): the migration Job's name ends with
   * them, so pointing it at another database makes a new Job (a Job's template is immutable). @default - none
   */
  readonly dataSuffixes?: readonly string[];
  /** Pinned statsd-exporter image, required when the component sets `statsd`. @default - none */
  readonly statsdExporterImage?: string;
}

/**
 * One component of an app: ConfigMap of env, Deployment (plus a canary Deployment when
 * configured), Service, and where it applies a migration Job, PodDisruptionBudget and HPA.
 * Names are the component's name, so they are stable across construct renames.
 */
export class AppComponent extends Construct {
  /** The pods of the stable and canary tracks, as one group (what the Service selects). */
  public readonly pods: Server;
  /** The migration Job's pods, which need the same data access as the component. */
  public readonly migrationPods?: PodGroup;
  public readonly serviceName: string;
  public readonly port: number;
  /** The component's pod spec, before security settings: CronJobs borrow its image, env and secrets. */
  public readonly podTemplate: k8s.PodSpec;

  constructor(scope: Construct, id: string, props: AppComponentProps) {
    super(scope, id);
    const { spec, app, namespace } = props;
    const instance = namespace;
    const selector = selectorLabels(instance, spec.name);
    this.serviceName = spec.name;
    this.port = spec.port;
    this.pods = { name: spec.name, namespace, selector, ports: [{ port: spec.port }] };

    const configMap = `${spec.name}-env`;
    new k8s.KubeConfigMap(this, 'Env', {
      metadata: { name: configMap, namespace, labels: objectLabels(instance, spec.name, app) },
      data: { ...spec.env },
    });

    const template = (this.podTemplate = podTemplateFor({
      spec,
      configMap,
      connectionEnv: props.connectionEnv ?? [],
      resources: {
        requests: { ...DEFAULT_RESOURCES.requests, ...spec.resources?.requests },
        limits: { ...DEFAULT_RESOURCES.limits, ...spec.resources?.limits },
      },
      statsdExporterImage: props.statsdExporterImage,
    }));

    this.deployment('Deployment', spec.name, 'stable', spec.image, spec.autoscaling ? undefined : spec.replicas, template, props);
    if (spec.canary) {
      this.deployment('Canary', `${spec.name}-canary`, 'canary', spec.canary.image, spec.canary.replicas, template, props);
    }

    new k8s.KubeService(this, 'Service', {
      metadata: { name: spec.name, namespace, labels: objectLabels(instance, spec.name, app) },
      spec: {
        type: 'ClusterIP',
        // Both tracks: traffic splits between stable and canary by replica ratio.
        selector: { ...selector },
        ports: [{ name: 'http', port: spec.port, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }],
      },
    });

    if (spec.replicas > 1 || spec.autoscaling) {
      disruptionBudget(this, { name: spec.name, namespace, selector }, objectLabels(instance, spec.name, app));
    }

    if (spec.autoscaling) {
      new k8s.KubeHorizontalPodAutoscalerV2(this, 'Hpa', {
        metadata: { name: spec.name, namespace, labels: objectLabels(instance, spec.name, app) },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: spec.name },
          minReplicas: spec.autoscaling.minReplicas,
          maxReplicas: spec.autoscaling.maxReplicas,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.autoscaling.targetCpuPercent } } }],
        },
      });
    }

    if (spec.migrations?.mode === 'job') {
      const name = `${spec.name}-migrate`;
      this.migrationPods = { name, namespace, selector: selectorLabels(instance, name) };
      const tag = (spec.imageRef.tag ?? spec.imageRef.digest!.slice('sha256:'.length, 'sha256:'.length + 12)).toLowerCase().replace(/[^a-z0-9-]+/g, '-');
      new k8s.KubeJob(this, 'Migrate', {
        metadata: {
          // A new image tag is a new Job: migrations run once per release.
          name: [name, tag, ...(props.dataSuffixes ?? [])].join('-').slice(0, 63).replace(/-+$/, ''),
          namespace,
          labels: objectLabels(instance, name, app, 'migration'),
          // Argo CD finishes this wave (the Job completes) before the Deployment rolls out.
          annotations: syncAnnotations(ENV_WAVE.migrations),
        },
        spec: {
          backoffLimit: 2,
          template: {
            metadata: { labels: { ...this.migrationPods.selector } },
            spec: restrictedPodSpec(
              {
                restartPolicy: 'Never',
                containers: [oneShot(template.containers[0], 'migrate', spec.migrations.command)],
                volumes: template.volumes,
              },
              { runAsUser: spec.runAsUser },
            ),
          },
        },
      });
    }
  }

  private deployment(id: string, name: string, track: string, image: string, replicas: number | undefined, template: k8s.PodSpec, props: AppComponentProps) {
    const { spec, app, namespace } = props;
    const instance = namespace;
    const podLabels = { ...selectorLabels(instance, spec.name), [LABEL.track]: track };
    const containers = template.containers.map((c, i) => (i === 0 ? { ...c, image } : c));
    new k8s.KubeDeployment(this, id, {
      metadata: { name, namespace, labels: { ...objectLabels(instance, spec.name, app), [LABEL.track]: track } },
      spec: {
        replicas,
        revisionHistoryLimit: 5,
        // The track is part of the (immutable) selector from the first release, so adding a canary never changes it.
        selector: { matchLabels: podLabels },
        // Never below the desired replicas during a rollout.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels: { ...podLabels, [LABEL.partOf]: app } },
          spec: restrictedPodSpec(
            {
              ...template,
              containers,
              ...(replicas !== 1
                ? {
                    topologySpreadConstraints: [
                      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: podLabels } },
                    ],
                  }
                : {}),
            },
            { runAsUser: spec.runAsUser },
          ),
        },
      },
    });
  }
}
