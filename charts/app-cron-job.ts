import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { resolveCronJob } from './app-spec';
import { objectLabels, selectorLabels } from '../lib/labels';
import { PodGroup } from '../lib/network-policy';
import { restrictedPodSpec } from '../lib/pod-security';
import { oneShot } from './app-pod';

export interface AppCronJobProps {
  readonly name: string;
  readonly app: string;
  readonly namespace: string;
  readonly job: ReturnType<typeof resolveCronJob>;
  /** The pod spec of the component the job borrows image, env and secrets from. */
  readonly template: k8s.PodSpec;
  readonly runAsUser: number;
}

/**
 * A scheduled job of an app (the seeds' 2 AM data refresh). Steps run as init containers,
 * which Kubernetes runs in order and stops at the first failure; the last step is the main
 * container. That sequences argv commands without a shell script.
 */
export class AppCronJob extends Construct {
  public readonly pods: PodGroup;

  constructor(scope: Construct, id: string, props: AppCronJobProps) {
    super(scope, id);
    const { job, namespace, name } = props;
    const selector = selectorLabels(namespace, name);
    this.pods = { name, namespace, selector };
    const base = props.template.containers[0];
    const steps = job.steps.map((command, i) => oneShot(base, `step-${i + 1}`, command));
    new k8s.KubeCronJob(this, 'Resource', {
      metadata: { name, namespace, labels: objectLabels(namespace, name, props.app, 'cronjob') },
      spec: {
        schedule: job.schedule,
        timeZone: job.timeZone,
        // A slow run must never overlap the next one (two refreshes writing the same tables).
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            activeDeadlineSeconds: job.deadlineSeconds,
            // A failed refresh is reported, not retried half-way through its steps.
            backoffLimit: 0,
            template: {
              metadata: { labels: { ...selector } },
              spec: restrictedPodSpec(
                {
                  restartPolicy: 'Never',
                  ...(steps.length > 1 ? { initContainers: steps.slice(0, -1) } : {}),
                  containers: [steps[steps.length - 1]],
                  ...(props.template.volumes ? { volumes: props.template.volumes } : {}),
                },
                { runAsUser: props.runAsUser },
              ),
            },
          },
        },
      },
    });
  }
}
