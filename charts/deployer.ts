import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';

export interface DeployerProps {
  readonly namespace: string;
  readonly app: string;
  /**
   * Group (from the cluster's authenticator) whose members may deploy here.
   * @default `platform:<app>:deployers`
   */
  readonly group?: string;
}

/**
 * RBAC from day one (Wikimedia): a deploy-only identity per namespace. Deployers roll out
 * and restart workloads, run a CronJob by hand and read logs; they cannot read Secrets or
 * change policies, RBAC or anything outside the namespace.
 */
export class Deployer extends Construct {
  public readonly group: string;

  constructor(scope: Construct, id: string, props: DeployerProps) {
    super(scope, id);
    this.group = props.group ?? `platform:${props.app}:deployers`;
    const metadata = { name: 'deployer', namespace: props.namespace };
    new k8s.KubeRole(this, 'Role', {
      metadata,
      rules: [
        { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'replicasets'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
        { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch', 'update'] },
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
        { apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['pods', 'pods/log', 'services', 'configmaps', 'events'], verbs: ['get', 'list', 'watch'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'Binding', {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: this.group }],
    });
  }
}
