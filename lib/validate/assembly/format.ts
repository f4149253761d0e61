/** The assembly plan as text: one block per step, indented by nesting (root, its Applications, theirs). */
import { describe, PlanObject } from './plan-object';
import { AssemblyPlan, PlanStep } from './simulate';

export interface FormatOptions {
  /** Only the steps of these syncs (and the root steps that create them). @default - every step */
  readonly syncs?: readonly string[];
}

export function formatPlan(plan: AssemblyPlan, opts: FormatOptions = {}): string {
  const steps = opts.syncs ? plan.steps.filter((s) => s.depth === 0 || opts.syncs!.includes(s.sync)) : plan.steps;
  const lines = steps.flatMap(formatStep);
  lines.push('', plan.assembles ? 'assembles: every sync finishes and everything becomes healthy' : `does not assemble: ${plan.findings.length} finding(s)`);
  return lines.join('\n');
}

function formatStep(step: PlanStep): string[] {
  const pad = '  '.repeat(step.depth);
  const phase = step.phase === 'Sync' ? '' : `${step.phase} `;
  const head = `${String(step.index).padStart(3)}. ${pad}${step.sync} ${phase}wave ${step.wave} (${step.description})`;
  const more = `${' '.repeat(5)}${pad}`;
  const out = [head, `${more}applies: ${byKind(step.objects)}`];
  if (step.crds.length) out.push(`${more}makes available: ${groupKinds(step.crds)}`);
  const last = step.depth > 0 ? 'nothing (last wave; the Application is healthy once these are)' : 'nothing (last wave)';
  out.push(`${more}waits for: ${step.last ? last : step.waitsFor.length ? waiting(step.waitsFor) : 'nothing (healthy once applied)'}`);
  return out;
}

function byKind(objects: readonly PlanObject[]): string {
  const counts = new Map<string, number>();
  for (const o of objects) {
    const label = o.kind === 'Application' ? `Application ${o.name}` : o.kind;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => (n > 1 ? `${k} ${n}` : k)).join(', ');
}

/** `gateway.networking.k8s.io: Gateway, HTTPRoute; …` */
function groupKinds(gks: readonly string[]): string {
  const byGroup = new Map<string, string[]>();
  for (const gk of gks) {
    const slash = gk.lastIndexOf('/');
    const [group, kind] = [gk.slice(0, slash), gk.slice(slash + 1)];
    byGroup.set(group, [...(byGroup.get(group) ?? []), kind]);
  }
  return [...byGroup].map(([g, kinds]) => `${g}: ${kinds.join(', ')}`).join('; ');
}

function waiting(objects: readonly PlanObject[]): string {
  const shown = objects.slice(0, 6).map((o) => describe(o));
  return shown.join(', ') + (objects.length > shown.length ? ` and ${objects.length - shown.length} more` : '') + ' healthy';
}
