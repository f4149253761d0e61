/**
 * A picture as Graphviz DOT: left to right (entry point, routes, components, data), one cluster
 * per namespace, everything in ordinal order so the same picture always gives the same text.
 * Attributes: https://graphviz.org/doc/info/attrs.html
 */
import { byOrdinal } from '../lib/order';
import { Picture, PictureEdge, PictureNode } from './picture-graph';

const escape = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const quote = (s: string): string => `"${escape(s)}"`;
/** Left-aligned lines (Graphviz's `\l` ends a line flush left). */
const leftLines = (lines: readonly string[]): string => `"${lines.map((l) => `${escape(l)}\\l`).join('')}"`;

const FONT = 'Helvetica';
const OWN = { color: '#1f4e79', fill: '#dbe8f5' };
const EXTERNAL = { color: '#7f7f7f', fill: '#f2f2f2' };
const EDGE_STYLE: Record<PictureEdge['kind'], string> = {
  route: 'color="#c55a11", penwidth=1.6',
  connection: 'color="#1f4e79"',
  sync: 'color="#548235", style=dashed',
};

const LEGEND = [
  "orange: the entry point's routes (host + path) to the pods behind each Service",
  'blue: connections the NetworkPolicies allow (ports on the arrow)',
  'green dashed: what Argo CD syncs, with its sync wave',
  "grey dashed: not synthesized in this folder (a chart's pods, another namespace)",
  'cylinders: data services',
];

function nodeLine(n: PictureNode): string {
  const c = n.external ? EXTERNAL : n.shape === 'cylinder' ? { color: '#7b3f00', fill: '#fbe5d6' } : OWN;
  return `${quote(n.id)} [label=${quote(n.label)}, shape=${n.shape}, color=${quote(c.color)}, fillcolor=${quote(c.fill)}${n.external ? ', style="filled,dashed"' : ''}];`;
}

export function pictureDot(p: Picture): string {
  const nodes = [...p.nodes.values()].sort((a, b) => byOrdinal(a.id, b.id));
  const byNamespace = new Map<string, PictureNode[]>();
  const loose: PictureNode[] = [];
  for (const n of nodes) {
    if (n.namespace === undefined) loose.push(n);
    else byNamespace.set(n.namespace, [...(byNamespace.get(n.namespace) ?? []), n]);
  }
  const lines = [
    `digraph ${quote(p.title)} {`,
    `  graph [rankdir=LR, fontname=${FONT}, fontsize=16, labelloc=t, nodesep=0.25, ranksep=0.9, label=${quote(p.title)}];`,
    `  node [fontname=${FONT}, fontsize=11, style=filled, penwidth=1.2];`,
    `  edge [fontname=${FONT}, fontsize=9, arrowsize=0.7];`,
    `  legend [shape=note, fontsize=10, color="#7f7f7f", fillcolor=white, label=${leftLines([...LEGEND, ...p.notes])}];`,
    ...loose.map((n) => `  ${nodeLine(n)}`),
  ];
  for (const ns of [...byNamespace.keys()].sort(byOrdinal)) {
    const own = p.ownNamespaces.has(ns);
    lines.push(
      `  subgraph ${quote(`cluster_${ns}`)} {`,
      `    graph [label=${quote(p.groupLabels.get(ns) ?? `namespace ${ns}`)}, style=${own ? 'rounded' : '"rounded,dashed"'}, color=${quote(own ? OWN.color : EXTERNAL.color)}, fontsize=12];`,
      ...byNamespace.get(ns)!.map((n) => `    ${nodeLine(n)}`),
      '  }',
    );
  }
  const edges = [...p.edges.entries()].sort(([a], [b]) => byOrdinal(a, b)).map(([, e]) => e);
  for (const e of edges) lines.push(`  ${quote(e.from)} -> ${quote(e.to)} [${EDGE_STYLE[e.kind]}${e.label ? `, label=${quote(e.label)}` : ''}];`);
  lines.push('}', '');
  return lines.join('\n');
}
