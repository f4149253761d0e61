/**
 * The picture of a synthesized unit as a graph: workloads grouped by namespace, the routes of the
 * entry point to them, and the connections their NetworkPolicies allow. Read from the objects
 * synthesis renders (what Argo CD applies), so the picture can never disagree with dist/.
 */
import { byOrdinal } from '../lib/order';

export type NodeShape = 'box' | 'cylinder' | 'note' | 'ellipse' | 'house' | 'component' | 'box3d' | 'folder';

export interface PictureNode {
  readonly id: string;
  readonly label: string;
  readonly shape: NodeShape;
  /** The namespace cluster it sits in. @default - outside every namespace */
  readonly namespace?: string;
  /** Drawn grey: not synthesized here (a chart's pods, another namespace's). @default false */
  readonly external?: boolean;
}

export interface PictureEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly kind: 'route' | 'connection' | 'sync';
}

export interface Picture {
  readonly title: string;
  readonly nodes: Map<string, PictureNode>;
  readonly edges: Map<string, PictureEdge>;
  /** Namespaces synthesized in this picture (drawn solid; the others dashed). */
  readonly ownNamespaces: Set<string>;
  /** Labels of the clusters that are not namespaces (the hosts). */
  readonly groupLabels: Map<string, string>;
  readonly notes: string[];
}

type Labels = Readonly<Record<string, string>>;
interface PodGroup {
  readonly node: PictureNode;
  readonly labels: Labels;
}

const WORKLOADS: Record<string, (o: any) => Labels | undefined> = {
  Deployment: (o) => o.spec?.template?.metadata?.labels,
  StatefulSet: (o) => o.spec?.template?.metadata?.labels,
  DaemonSet: (o) => o.spec?.template?.metadata?.labels,
  Job: (o) => o.spec?.template?.metadata?.labels,
  CronJob: (o) => o.spec?.jobTemplate?.spec?.template?.metadata?.labels,
};
const BATCH = new Set(['Job', 'CronJob']);

const matches = (selector: Labels | undefined, labels: Labels): boolean => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
const sortedLabels = (l: Labels): string =>
  Object.keys(l)
    .sort(byOrdinal)
    .map((k) => `${k}=${l[k]}`)
    .join(',');

/** Builds a picture from rendered objects; `dataServices` are `namespace/name` of the Services that hold data. */
export class PictureBuilder {
  private readonly nodes = new Map<string, PictureNode>();
  private readonly edges = new Map<string, PictureEdge>();
  private readonly groups: PodGroup[] = [];
  private readonly namespaceLabels = new Map<string, Labels>();
  private readonly services = new Map<string, any>();
  private readonly ownNamespaces = new Set<string>();
  private readonly notes = new Set<string>();
  private readonly groupLabels = new Map<string, string>();
  private readonly dataOf = new Map<string, string[]>();

  constructor(
    private readonly title: string,
    private readonly objects: readonly any[],
    dataServices: ReadonlySet<string>,
  ) {
    for (const o of objects) {
      const ns: string | undefined = o.metadata?.namespace;
      if (o.kind === 'Namespace') {
        this.namespaceLabels.set(o.metadata.name, { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name });
        this.ownNamespaces.add(o.metadata.name);
      }
      if (o.kind === 'Service' && ns) this.services.set(`${ns}/${o.metadata.name}`, o);
      const labelsOf = WORKLOADS[o.kind];
      const labels = labelsOf?.(o);
      if (!labels || !ns) continue;
      this.ownNamespaces.add(ns);
      const node = this.add({
        id: `w:${ns}/${o.kind}/${o.metadata.name}`,
        label: `${o.metadata.name}\n${o.kind}`,
        shape: BATCH.has(o.kind) ? 'note' : 'box',
        namespace: ns,
      });
      this.groups.push({ node, labels });
    }
    // Data services are drawn as databases, whatever runs them (a StatefulSet, or an operator's pods).
    for (const key of [...dataServices].sort(byOrdinal)) {
      const svc = this.services.get(key);
      if (!svc) continue;
      const [ns] = key.split('/');
      const selected = this.groups.filter((g) => g.node.namespace === ns && matches(svc.spec?.selector, g.labels));
      for (const g of selected) {
        const current = this.nodes.get(g.node.id)!;
        const services = [...(this.dataOf.get(g.node.id) ?? []), svc.metadata.name];
        this.dataOf.set(g.node.id, services);
        this.nodes.set(g.node.id, { ...current, shape: 'cylinder', label: `${g.node.label}\ndata: Service ${services.join(', ')}` });
      }
      if (!selected.length) {
        const node = this.add({ id: `d:${key}`, label: `${svc.metadata.name}\ndata service`, shape: 'cylinder', namespace: ns });
        this.groups.push({ node, labels: svc.spec?.selector ?? {} });
      }
    }
  }

  /** The entry point's routes (HTTPRoute, or Ingress for ingress-nginx) to the pods behind each Service. */
  routes(): this {
    for (const o of this.objects) {
      if (o.kind === 'HTTPRoute') {
        const parent = (o.spec?.parentRefs ?? [])[0];
        const entry = this.entry(`Gateway ${parent?.namespace ?? o.metadata.namespace}/${parent?.name ?? '?'}`);
        for (const host of o.spec?.hostnames ?? ['*'])
          for (const rule of o.spec?.rules ?? [])
            for (const m of rule.matches ?? [{ path: { value: '/' } }])
              for (const b of rule.backendRefs ?? []) this.route(entry, host, m.path?.value ?? '/', o.metadata.namespace, b.name, b.port);
      }
      if (o.kind === 'Ingress') {
        const entry = this.entry(`ingress-nginx (class ${o.spec?.ingressClassName ?? 'default'})`);
        for (const rule of o.spec?.rules ?? [])
          for (const p of rule.http?.paths ?? [])
            this.route(
              entry,
              rule.host ?? '*',
              p.path ?? '/',
              o.metadata.namespace,
              p.backend?.service?.name,
              p.backend?.service?.port?.number ?? p.backend?.service?.port?.name,
            );
      }
    }
    return this;
  }

  /** The connections every NetworkPolicy allows, one edge per pair of pod groups, ports merged. */
  connections(): this {
    for (const np of this.objects.filter((o) => o.kind === 'NetworkPolicy')) {
      const ns: string = np.metadata.namespace;
      const selected = this.select(ns, np.spec?.podSelector?.matchLabels ?? {});
      for (const rule of np.spec?.ingress ?? [])
        for (const peer of rule.from ?? []) for (const from of this.peer(ns, peer, rule.ports)) for (const to of selected) this.connect(from, to, rule.ports);
      for (const rule of np.spec?.egress ?? [])
        for (const peer of rule.to ?? []) for (const to of this.peer(ns, peer, rule.ports)) for (const from of selected) this.connect(from, to, rule.ports);
    }
    return this;
  }

  /** A node of its own (hosts, add-ons): for the cluster picture. */
  node(n: PictureNode): this {
    this.add(n);
    return this;
  }

  edge(e: PictureEdge): this {
    this.edges.set(`${e.from}->${e.to}`, e);
    return this;
  }

  /** A cluster that is not a namespace: its nodes give it as their `namespace`. */
  group(id: string, label: string): this {
    this.groupLabels.set(id, label);
    this.ownNamespaces.add(id);
    return this;
  }

  note(text: string): this {
    this.notes.add(text);
    return this;
  }

  build(): Picture {
    return {
      title: this.title,
      nodes: this.nodes,
      edges: this.edges,
      ownNamespaces: this.ownNamespaces,
      groupLabels: this.groupLabels,
      notes: [...this.notes].sort(byOrdinal),
    };
  }

  private add(n: PictureNode): PictureNode {
    if (!this.nodes.has(n.id)) this.nodes.set(n.id, n);
    return this.nodes.get(n.id)!;
  }

  private entry(label: string): string {
    return this.add({ id: `e:${label}`, label: `entry point\n${label}`, shape: 'box' }).id;
  }

  private route(entry: string, host: string, path: string, ns: string, service: string | undefined, port: unknown): void {
    if (!service) return;
    const route = this.add({ id: `r:${host}${path}`, label: `${host}${path}`, shape: 'ellipse' }).id;
    this.edge({ from: entry, to: route, label: '', kind: 'route' });
    const svc = this.services.get(`${ns}/${service}`);
    const targets = svc
      ? this.select(ns, svc.spec?.selector ?? {})
      : [this.add({ id: `s:${ns}/${service}`, label: `Service ${service}`, shape: 'box', namespace: ns, external: true })];
    for (const t of targets) this.edge({ from: route, to: t.id, label: `Service ${service}:${port}`, kind: 'route' });
  }

  /** Pod groups in `ns` the selector picks, or one node standing for the pods it names (a chart's, another unit's). */
  private select(ns: string, selector: Labels): PictureNode[] {
    const found = this.groups.filter((g) => g.node.namespace === ns && matches(selector, g.labels)).map((g) => g.node);
    if (found.length) return found;
    // A label whose value says nothing alone (`acme.cert-manager.io/http01-solver: "true"`) is named by its key.
    const [firstKey, firstValue] = Object.entries(selector)[0] ?? [];
    const fallback = firstKey === undefined ? 'all pods' : /^(true|false|[0-9]+)$/.test(firstValue) ? firstKey.replace(/^.*\//, '') : firstValue;
    const name = selector['app.kubernetes.io/name'] ?? selector['app'] ?? selector['k8s-app'] ?? fallback;
    const extra = [selector['app.kubernetes.io/component']].filter((c) => c && c !== name);
    return [this.add({ id: `p:${ns}/${sortedLabels(selector)}`, label: [name, ...extra].join(' '), shape: 'box', namespace: ns, external: true })];
  }

  private peer(ns: string, peer: any, ports: any[] | undefined): PictureNode[] {
    if (peer.ipBlock) {
      const internet = peer.ipBlock.cidr === '0.0.0.0/0' || peer.ipBlock.cidr === '::/0';
      return [
        this.add({ id: `i:${internet ? 'internet' : peer.ipBlock.cidr}`, label: internet ? 'internet' : peer.ipBlock.cidr, shape: 'ellipse', external: true }),
      ];
    }
    const pods: Labels = peer.podSelector?.matchLabels ?? {};
    if (!peer.namespaceSelector) return this.select(ns, pods);
    const nsSelector: Labels = peer.namespaceSelector.matchLabels ?? {};
    const named = nsSelector['kubernetes.io/metadata.name'];
    // DNS is open to every pod (allow-dns): drawn once as a note, not as an edge from each.
    if (named === 'kube-system' && (ports ?? []).some((p) => p.port === 53)) {
      this.note('every pod may resolve names at kube-dns (kube-system, port 53)');
      return [];
    }
    if (named) return this.select(named, pods);
    const own = [...this.namespaceLabels].filter(([, l]) => matches(nsSelector, l)).map(([n]) => n);
    if (own.length) return own.flatMap((n) => this.select(n, pods));
    // Namespaces picked by label that this picture does not hold (previews admitted by staging's data).
    const label = `namespaces ${sortedLabels(nsSelector)}`;
    return [this.add({ id: `n:${sortedLabels(nsSelector)}/${sortedLabels(pods)}`, label, shape: 'box3d', external: true })];
  }

  private connect(from: PictureNode, to: PictureNode, ports: any[] | undefined): void {
    const key = `${from.id}->${to.id}`;
    const previous = this.edges.get(key);
    const merged = new Set([
      ...(previous?.label ? previous.label.split(', ') : []),
      ...(ports?.length ? ports.map((p) => `${p.protocol ?? 'TCP'} ${p.port}`) : ['all ports']),
    ]);
    this.edges.set(key, { from: from.id, to: to.id, label: [...merged].sort(byOrdinal).join(', '), kind: 'connection' });
  }
}
