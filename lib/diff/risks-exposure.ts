/**
 * Exposure: what a change opens to more clients than before. A hostname the tree did not serve, a new route, a
 * Service that becomes reachable on every node (NodePort) or from outside (LoadBalancer, externalIPs), and
 * NetworkPolicies that are removed, added with allows, or whose rules change. NetworkPolicies are additive
 * (kubernetes.io/docs/concepts/services-networking/network-policies), so any rule that was not there before may
 * allow traffic that was denied; a narrowed rule is flagged too and the reviewer reads the field diff.
 */
import { hostnamesOf, ObjectPair, ObjectRule, Risk } from './objects';

const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute', 'Ingress'];

const isRoute = (object: any) => ROUTE_KINDS.includes(object?.kind);

function routes({ prev, next }: ObjectPair): Risk[] {
  if (!next || !isRoute(next)) return [];
  const paths = (object: any) => new Set(routePaths(object));
  const was = prev ? paths(prev) : new Set<string>();
  const fresh = [...paths(next)].filter((p) => !was.has(p));
  if (!fresh.length) return [];
  const hosts = hostnamesOf(next);
  const where = hosts.length ? ` on ${hosts.join(', ')}` : ' on every hostname of its Gateway';
  return [{ id: 'exposure:route', reason: `${prev ? 'routes new paths' : 'a new route serves'} ${fresh.join(', ')}${where}` }];
}

/** `/api` and the like: an HTTPRoute's path matches (`/` when a rule has none), an Ingress's paths. */
function routePaths(object: any): string[] {
  const spec = object?.spec ?? {};
  if (object.kind === 'Ingress')
    return (spec.rules ?? [])
      .flatMap((r: any) => (r?.http?.paths ?? []).map((p: any) => String(p?.path ?? '/')))
      .concat(spec.defaultBackend ? ['(default backend)'] : []);
  return (spec.rules ?? []).flatMap((rule: any) => {
    const matches = Array.isArray(rule?.matches) && rule.matches.length ? rule.matches : [{}];
    return matches.map((m: any) => String(m?.path?.value ?? '/'));
  });
}

/** A hostname no object of the old tree served (a new route's hostnames are named by its route flag). */
function hostnames({ prev, next, trees }: ObjectPair): Risk[] {
  if (!next || (!prev && isRoute(next))) return [];
  const fresh = hostnamesOf(next).filter((h) => !trees.oldHostnames.has(h));
  return fresh.length ? [{ id: 'exposure:hostname', reason: `serves a new hostname: ${[...new Set(fresh)].join(', ')}` }] : [];
}

function services({ prev, next }: ObjectPair): Risk[] {
  if (next?.kind !== 'Service' || next.apiVersion !== 'v1') return [];
  const risks: Risk[] = [];
  const type = next.spec?.type ?? 'ClusterIP';
  const was = prev?.spec?.type ?? (prev ? 'ClusterIP' : undefined);
  const nodePorts = (s: any) => (s?.spec?.ports ?? []).map((p: any) => p?.nodePort).filter((n: unknown) => typeof n === 'number');
  if (type === 'LoadBalancer' && was !== 'LoadBalancer')
    risks.push({ id: 'exposure:load-balancer', reason: 'becomes a LoadBalancer: reachable from outside the cluster' });
  if (type === 'NodePort' || type === 'LoadBalancer') {
    const old = new Set(was === 'NodePort' || was === 'LoadBalancer' ? nodePorts(prev) : []);
    const fresh = nodePorts(next).filter((n: number) => !old.has(n));
    if (was !== 'NodePort' && was !== 'LoadBalancer')
      risks.push({ id: 'exposure:node-port', reason: `opens ${fresh.length ? `node port(s) ${fresh.join(', ')}` : 'a node port'} on every node` });
    else if (fresh.length) risks.push({ id: 'exposure:node-port', reason: `opens node port(s) ${fresh.join(', ')} on every node` });
  }
  const ips = (s: any) => (Array.isArray(s?.spec?.externalIPs) ? s.spec.externalIPs : []);
  const newIps = ips(next).filter((ip: string) => !ips(prev).includes(ip));
  if (newIps.length) risks.push({ id: 'exposure:external-ip', reason: `answers on external IP(s) ${newIps.join(', ')}` });
  return risks;
}

const isPolicy = (object: any) => object?.kind === 'NetworkPolicy' && String(object.apiVersion).startsWith('networking.k8s.io/');

function networkPolicies({ prev, next, trees }: ObjectPair): Risk[] {
  const ns = (next ?? prev)?.metadata?.namespace;
  if (prev && !next && isPolicy(prev)) {
    // With its namespace gone there is nothing left for it to protect.
    return trees.newNamespaces.has(ns)
      ? [{ id: 'exposure:network-policy-removed', reason: `removed: the traffic it ${policyEffect(prev)} is no longer governed by it` }]
      : [];
  }
  if (!next || !isPolicy(next)) return [];
  if (!prev) {
    // Policies only add allows to pods some policy already isolates in that direction: elsewhere the
    // first policies isolate the pods (less exposure, not more).
    const isolated = trees.oldIsolation.get(ns) ?? new Set<string>();
    const rules = [...(isolated.has('Ingress') ? (next.spec?.ingress ?? []) : []), ...(isolated.has('Egress') ? (next.spec?.egress ?? []) : [])];
    return rules.length ? [{ id: 'exposure:network-policy-added', reason: `a new policy in an existing namespace: it ${policyEffect(next)}` }] : [];
  }
  const changed: string[] = [];
  if (JSON.stringify(prev.spec?.podSelector ?? {}) !== JSON.stringify(next.spec?.podSelector ?? {})) changed.push('its podSelector');
  for (const direction of ['ingress', 'egress'] as const) {
    const old = new Set<string>((prev.spec?.[direction] ?? []).map((r: unknown) => JSON.stringify(r)));
    const fresh = (next.spec?.[direction] ?? []).filter((r: unknown) => !old.has(JSON.stringify(r)));
    if (fresh.length) changed.push(`${fresh.length} ${direction} rule(s) (${fresh.map((r: any) => peers(r, direction)).join('; ')})`);
  }
  const types = (p: any) => (Array.isArray(p.spec?.policyTypes) ? p.spec.policyTypes : []);
  const dropped = types(prev).filter((t: string) => !types(next).includes(t));
  if (dropped.length) changed.push(`no longer isolates ${dropped.join(', ')}`);
  return changed.length ? [{ id: 'exposure:network-policy-widened', reason: `new or changed: ${changed.join(', ')}` }] : [];
}

function policyEffect(policy: any): string {
  const ingress = (policy.spec?.ingress ?? []).length;
  const egress = (policy.spec?.egress ?? []).length;
  if (!ingress && !egress) return 'isolates (denies)';
  return `allows (${[ingress ? `${ingress} ingress` : '', egress ? `${egress} egress` : ''].filter(Boolean).join(', ')} rule(s))`;
}

/** Who a rule admits, briefly: namespaces and pods by their labels, CIDRs, or everyone. */
function peers(rule: any, direction: 'ingress' | 'egress'): string {
  const list = rule?.[direction === 'ingress' ? 'from' : 'to'];
  if (!Array.isArray(list) || list.length === 0) return direction === 'ingress' ? 'from anywhere' : 'to anywhere';
  const labels = (selector: any) =>
    Object.entries(selector?.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || (selector?.matchExpressions ? 'expressions' : 'all');
  return list
    .map((peer: any) => {
      if (peer?.ipBlock) return `cidr ${peer.ipBlock.cidr}`;
      const parts = [
        peer?.namespaceSelector ? `namespaces ${labels(peer.namespaceSelector)}` : '',
        peer?.podSelector ? `pods ${labels(peer.podSelector)}` : '',
      ];
      return parts.filter(Boolean).join(' ') || 'anywhere';
    })
    .join(', ');
}

export const exposureRisks: readonly ObjectRule[] = [routes, hostnames, services, networkPolicies];
