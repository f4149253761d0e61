/**
 * GitLab's one pod: a StatefulSet of one replica on four retained claims, a headless Service for
 * its stable name (`gitlab-0`, which the backup job execs into) and a ClusterIP Service the route
 * points at. One replica by design: Omnibus bundles Postgres, Redis and Gitaly in the pod, so a
 * second replica would be a second, diverging GitLab. No PodDisruptionBudget either: with one
 * replica it protects nothing, and any budget that holds would only block draining the node.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ResourceQuantities, StorageClassRef } from '../lib/contracts';
import { GITLAB_DEFAULTS } from '../lib/tier-defaults';
import { PRUNE_PROTECTION } from '../lib/argocd';
import { resourcesFrom } from '../lib/kube';
import { GITLAB_BACKUP_PATH, GITLAB_HTTP_PORT, GITLAB_METRICS, GITLAB_PATH } from './gitlab-omnibus-config';

/** Where each claim is mounted: the image's three volumes, and the backup directory inside the data one. */
const MOUNTS = { config: '/etc/gitlab', data: '/var/opt/gitlab', logs: '/var/log/gitlab', backups: GITLAB_BACKUP_PATH } as const;

export interface GitLabStatefulSetInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly image: string;
  readonly env: readonly k8s.EnvVar[];
  readonly storage: { readonly [K in keyof typeof MOUNTS]: string };
  readonly storageClass: StorageClassRef;
  readonly resources?: ResourceQuantities;
}

/**
 * An HTTP check run inside the container: GitLab answers its health endpoints to loopback only
 * (monitoring_whitelist), so the public route never reveals them, and the kubelet needs no
 * address in that list. The image's own HEALTHCHECK checks the same way.
 * @see https://docs.gitlab.com/administration/monitoring/health_check/
 */
function healthCheck(endpoint: 'readiness' | 'liveness'): k8s.ExecAction {
  const url = `http://127.0.0.1:${GITLAB_HTTP_PORT}${GITLAB_PATH}/-/${endpoint}`;
  return { command: ['/opt/gitlab/embedded/bin/curl', '--fail', '--silent', '--show-error', '--max-time', '9', '--output', '/dev/null', url] };
}

export function gitlabStatefulSet(scope: Construct, input: GitLabStatefulSetInput): { podName: string; containerName: string } {
  const { name, namespace, labels, selector } = input;
  const headless = `${name}-headless`;
  const claims = Object.keys(MOUNTS) as (keyof typeof MOUNTS)[];
  new k8s.KubeStatefulSet(scope, 'Resource', {
    // Removing it from Git must not take GitLab down: Argo CD leaves it (its claims are Retain anyway).
    metadata: { name, namespace, labels, annotations: { ...PRUNE_PROTECTION } },
    spec: {
      serviceName: headless,
      replicas: 1,
      selector: { matchLabels: { ...selector } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      updateStrategy: { type: 'RollingUpdate' },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          // gitlab-ctl stops every service in order on SIGTERM (the image's init-container).
          terminationGracePeriodSeconds: 300,
          // Service links would add GITLAB_* variables of our own Service to GitLab's environment.
          enableServiceLinks: false,
          automountServiceAccountToken: false,
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name,
              image: input.image,
              imagePullPolicy: 'IfNotPresent',
              ports: [
                { name: 'http', containerPort: GITLAB_HTTP_PORT, protocol: 'TCP' },
                ...GITLAB_METRICS.map((m) => ({ name: m.portName, containerPort: m.port, protocol: 'TCP' })),
              ],
              env: [...input.env],
              resources: resourcesFrom(input.resources, GITLAB_DEFAULTS.resources),
              // Baseline, as tight as Omnibus allows: root with the runtime's default capabilities
              // minus NET_RAW (nothing here sends raw packets), never privileged, seccomp confined.
              securityContext: {
                privileged: false,
                capabilities: { drop: ['NET_RAW'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              // The first start runs reconfigure and every database migration (and an upgrade runs
              // its migrations): up to 30 minutes before liveness may restart it mid-migration.
              startupProbe: { exec: healthCheck('readiness'), periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 180 },
              readinessProbe: { exec: healthCheck('readiness'), periodSeconds: 15, timeoutSeconds: 10, failureThreshold: 3 },
              livenessProbe: { exec: healthCheck('liveness'), periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 6 },
              volumeMounts: [
                ...claims.map((c) => ({ name: c, mountPath: MOUNTS[c] })),
                // The bundled Postgres uses POSIX shared memory; GitLab's Docker guide asks for 256m.
                { name: 'shm', mountPath: '/dev/shm' },
              ],
            },
          ],
          volumes: [{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('256Mi') } }],
        },
      },
      volumeClaimTemplates: claims.map((c) => ({
        // Argo CD must never prune or delete the claims (they also outlive the StatefulSet, above).
        metadata: { name: c, labels: { ...labels }, annotations: { ...PRUNE_PROTECTION } },
        spec: {
          storageClassName: input.storageClass.name,
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: k8s.Quantity.fromString(input.storage[c]) } },
        },
      })),
    },
  });

  const ports = [{ name: 'http', port: GITLAB_HTTP_PORT, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }];
  new k8s.KubeService(scope, 'Headless', {
    metadata: { name: headless, namespace, labels },
    spec: { clusterIp: 'None', selector: { ...selector }, ports },
  });
  new k8s.KubeService(scope, 'Service', {
    metadata: { name, namespace, labels },
    spec: { type: 'ClusterIP', selector: { ...selector }, ports },
  });
  return { podName: `${name}-0`, containerName: name };
}
