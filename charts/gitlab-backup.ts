/**
 * GitLab's own backup (`gitlab-backup create`) on a schedule. The command must run inside the
 * GitLab container: it reads the bundled database and the repositories through Gitaly there, and
 * writes the tarball to the backup volume (and uploads it to S3 when configured). A CronJob
 * therefore runs `kubectl exec` into the one pod, as a ServiceAccount whose Role allows nothing
 * but `get` of that pod and `create` of its `exec` subresource: the job holds no data, no GitLab
 * credential and no right over any other object, and its own pod stays Pod Security restricted.
 * @see https://docs.gitlab.com/administration/backup_restore/backup_gitlab/
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { API_SERVER_PORT, resourcesFrom } from '../lib/kube';
import { objectLabels, selectorLabels } from '../lib/labels';
import { PodGroup } from '../lib/network-policy';
import { restrictedPodSpec } from '../lib/pod-security';
import { BACKUP_CRON_POLICY } from '../lib/backup-schedule';

/** uid of the kubectl image's job: any unprivileged uid works, it only talks to the API server. */
const KUBECTL_UID = 65532;

export interface GitLabBackupProps {
  readonly namespace: string;
  /** The GitLab pod and container the command runs in. */
  readonly podName: string;
  readonly containerName: string;
  /** CronJob schedule and its time zone. */
  readonly schedule: string;
  readonly timeZone: string;
  /** Image with kubectl. */
  readonly kubectlImage: string;
}

export class GitLabBackup extends Construct {
  public readonly pods: PodGroup;

  constructor(scope: Construct, id: string, props: GitLabBackupProps) {
    super(scope, id);
    const { namespace } = props;
    const name = 'gitlab-backup';
    const labels = objectLabels(namespace, name, 'gitlab', 'backup');
    this.pods = { name, namespace, selector: selectorLabels(namespace, name) };

    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name, namespace, labels }, automountServiceAccountToken: false });
    new k8s.KubeRole(this, 'Role', {
      metadata: { name, namespace, labels },
      rules: [
        // kubectl exec reads the pod first, then opens the exec stream (create, since Kubernetes 1.31's websocket exec).
        { apiGroups: [''], resources: ['pods'], resourceNames: [props.podName], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods/exec'], resourceNames: [props.podName], verbs: ['create'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });

    new k8s.KubeCronJob(this, 'Resource', {
      metadata: { name, namespace, labels },
      spec: {
        schedule: props.schedule,
        timeZone: props.timeZone,
        ...BACKUP_CRON_POLICY,
        jobTemplate: {
          metadata: { labels },
          spec: {
            activeDeadlineSeconds: 6 * 3600,
            // A failed backup is retried once; GitLab removes the partial tarball itself.
            backoffLimit: 1,
            template: {
              metadata: { labels: { ...labels } },
              spec: restrictedPodSpec(
                {
                  restartPolicy: 'Never',
                  enableServiceLinks: false,
                  serviceAccountName: name,
                  // The only pod here that talks to the API server.
                  automountServiceAccountToken: true,
                  containers: [
                    {
                      name: 'backup',
                      image: props.kubectlImage,
                      imagePullPolicy: 'IfNotPresent',
                      // CRON=1 keeps the output to errors; the tarball's name is GitLab's (timestamp and version).
                      command: [
                        'kubectl',
                        'exec',
                        `--namespace=${namespace}`,
                        props.podName,
                        `--container=${props.containerName}`,
                        '--',
                        'gitlab-backup',
                        'create',
                        'CRON=1',
                      ],
                      // kubectl writes its discovery cache below $HOME; the root filesystem is read-only.
                      env: [{ name: 'HOME', value: '/tmp' }],
                      resources: resourcesFrom(undefined, { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } }),
                      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
                    },
                  ],
                  volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } }],
                },
                { runAsUser: KUBECTL_UID },
              ),
            },
          },
        },
      },
    });

    // The exec stream goes through the API server (it reaches the kubelet): the job needs no path to GitLab itself.
    // The API server listens on the control-plane hosts' own addresses, so the port is all a policy can name.
    new k8s.KubeNetworkPolicy(this, 'EgressApiServer', {
      metadata: { name: `egress-${name}-to-kube-apiserver`, namespace, labels },
      spec: {
        podSelector: { matchLabels: { ...this.pods.selector } },
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: k8s.IntOrString.fromNumber(API_SERVER_PORT), protocol: 'TCP' }] }],
      },
    });
  }
}
