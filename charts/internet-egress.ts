import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { PodGroup, policyPorts, ServerPort } from '../lib/network-policy';

/** Private ranges stay closed: the cluster's own pods and services are reached through connections. */
export const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10'];

export interface InternetEgressProps {
  /** Pod groups (one namespace) that may call HTTPS endpoints on the internet. */
  readonly pods: readonly PodGroup[];
  /** Ports they may call. @default - 443/TCP */
  readonly ports?: readonly ServerPort[];
}

/** Egress to public endpoints (HTTPS by default: a third-party API such as the seeds' SIS) and nothing else. */
export class InternetEgress extends Construct {
  constructor(scope: Construct, id: string, props: InternetEgressProps) {
    super(scope, id);
    for (const pods of props.pods) {
      new k8s.KubeNetworkPolicy(this, pods.name, {
        metadata: { name: `egress-${pods.name}-to-internet`, namespace: pods.namespace },
        spec: {
          podSelector: { matchLabels: { ...pods.selector } },
          policyTypes: ['Egress'],
          egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_V4 } }], ports: policyPorts({ ports: props.ports ?? [{ port: 443 }] }) }],
        },
      });
    }
  }
}
