/**
 * Traffic as connections. Each namespace starts default-deny (ingress and egress, DNS
 * excepted); every allowed flow is declared once as `allowTraffic(from, to)` and becomes an
 * ingress policy on the server side and an egress policy on the client side. No tier spells
 * another tier's labels: it passes the `PodGroup` that the other tier exposes.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';

/** Pods of one workload, as another construct may refer to them. */
export interface PodGroup {
  /** Short, stable name used in policy names, e.g. `backend`. */
  readonly name: string;
  readonly namespace: string;
  readonly selector: Readonly<Record<string, string>>;
}

/** A port that a server accepts connections on. */
export interface ServerPort {
  readonly port: number;
  /** Last port of a range that starts at `port` (Ceph's OSDs use 6800-7300). @default - `port` alone */
  readonly endPort?: number;
  /** @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP';
}

/** Pods that accept connections on known ports. */
export interface Server extends PodGroup {
  readonly ports: readonly ServerPort[];
}

/**
 * Clients in other namespaces, selected by namespace labels (and optionally pod labels),
 * e.g. the gateway's proxies or every preview namespace of an app.
 */
export interface NamespacePeer {
  readonly name: string;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  readonly podLabels?: Readonly<Record<string, string>>;
}

type Peer = PodGroup | NamespacePeer;

const isPodGroup = (p: Peer): p is PodGroup => 'namespace' in p;

function peerSpec(peer: Peer, localNamespace: string): k8s.NetworkPolicyPeer {
  if (isPodGroup(peer)) {
    return {
      podSelector: { matchLabels: { ...peer.selector } },
      ...(peer.namespace !== localNamespace ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peer.namespace } } } : {}),
    };
  }
  return {
    namespaceSelector: { matchLabels: { ...peer.namespaceLabels } },
    ...(peer.podLabels ? { podSelector: { matchLabels: { ...peer.podLabels } } } : {}),
  };
}

export const policyPorts = (server: { readonly ports: readonly ServerPort[] }): k8s.NetworkPolicyPort[] =>
  server.ports.map((p) => ({ port: k8s.IntOrString.fromNumber(p.port), ...(p.endPort ? { endPort: p.endPort } : {}), protocol: p.protocol ?? 'TCP' }));

/** Every pod of a namespace, for policies that hold for all of them. */
export const allPods = (namespace: string, name = 'all'): PodGroup => ({ name, namespace, selector: {} });

/**
 * Default-deny for a namespace: no ingress, and egress only to the cluster DNS.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policy
 */
export function defaultDeny(scope: Construct, namespace: string): void {
  new k8s.KubeNetworkPolicy(scope, `DefaultDeny-${namespace}`, {
    metadata: { name: 'default-deny', namespace },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  });
  new k8s.KubeNetworkPolicy(scope, `AllowDns-${namespace}`, {
    metadata: { name: 'allow-dns', namespace },
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
          ],
          ports: [
            { port: k8s.IntOrString.fromNumber(53), protocol: 'UDP' },
            { port: k8s.IntOrString.fromNumber(53), protocol: 'TCP' },
          ],
        },
      ],
    },
  });
}

/** Lets `to` accept connections from `from` (ingress side only, in `to`'s namespace). */
export function allowIngress(scope: Construct, from: Peer, to: Server): void {
  new k8s.KubeNetworkPolicy(scope, `Ingress-${from.name}-to-${to.name}`, {
    metadata: { name: `ingress-${to.name}-from-${from.name}`, namespace: to.namespace },
    spec: {
      podSelector: { matchLabels: { ...to.selector } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [peerSpec(from, to.namespace)], ports: policyPorts(to) }],
    },
  });
}

/** Lets `from` open connections to `to` (egress side only, in `from`'s namespace). */
export function allowEgress(scope: Construct, from: PodGroup, to: Server | (NamespacePeer & { ports: readonly ServerPort[] })): void {
  new k8s.KubeNetworkPolicy(scope, `Egress-${from.name}-to-${to.name}`, {
    metadata: { name: `egress-${from.name}-to-${to.name}`, namespace: from.namespace },
    spec: {
      podSelector: { matchLabels: { ...from.selector } },
      policyTypes: ['Egress'],
      // No ports: every port (the servers' own policies name theirs).
      egress: [{ to: [peerSpec(to, from.namespace)], ...(to.ports.length ? { ports: policyPorts(to) } : {}) }],
    },
  });
}

/**
 * Both sides of a flow between pod groups. When both live in one chart's scope, pass the
 * same scope twice; across environments pass each side's own scope.
 */
export function allowTraffic(fromScope: Construct, from: PodGroup, toScope: Construct, to: Server): void {
  allowIngress(toScope, from, to);
  allowEgress(fromScope, from, to);
}

/**
 * Pods that talk among themselves on ports no policy could list (Ceph's daemons, a Helm release's
 * components), both directions, inside one namespace only.
 */
export function allowWithinNamespace(scope: Construct, namespace: string): void {
  new k8s.KubeNetworkPolicy(scope, `WithinNamespace-${namespace}`, {
    metadata: { name: 'allow-within-namespace', namespace },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: {} }] }],
      egress: [{ to: [{ podSelector: {} }] }],
    },
  });
}

/** Lets anyone reach `to` on its ports: an entry point's listeners, which clients reach through a NodePort. */
export function allowFromAnywhere(scope: Construct, to: Server): void {
  new k8s.KubeNetworkPolicy(scope, `Ingress-anywhere-to-${to.name}`, {
    metadata: { name: `ingress-${to.name}-from-anywhere`, namespace: to.namespace },
    spec: { podSelector: { matchLabels: { ...to.selector } }, policyTypes: ['Ingress'], ingress: [{ ports: policyPorts(to) }] },
  });
}
