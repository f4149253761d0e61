/**
 * The printed form of a kubectl apply plan (`npm run plan -- --kubectl`): one block per step with the shell lines
 * a person runs, in order. The commands are the plan's own argv (lib/validate/kubectl/plan.ts), so what the test
 * runs against its stand-in kubectl and what the README shows are the same text.
 */
import { KubectlPlan, shellLine } from './plan';

/**
 * ApplySet pruning is alpha in kubectl (v1.27 on, still alpha in v1.36): kubectl refuses `--applyset` unless this
 * variable is set. @see https://kubernetes.io/docs/tasks/manage-kubernetes-objects/declarative-config/#alternative-kubectl-apply-f-directory-prune
 */
export const APPLYSET_ENV = 'KUBECTL_APPLYSET=true';

/**
 * The plan as a shell script: run from the repository root in one shell (`bash -e`), it applies the tree; every
 * line that is not a command is a `#` comment.
 */
export function formatKubectlPlan(plan: KubectlPlan): string {
  const lines: string[] = [
    `# Apply plan for kubectl (${plan.steps.length} steps): run from the repository root, in one shell, stop at the first error`,
    '',
    `export ${APPLYSET_ENV}`,
  ];
  for (const step of plan.steps) {
    const kinds = new Map<string, number>();
    for (const o of step.objects) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
    const summary = [...kinds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, n]) => `${k} ${n}`);
    lines.push('', `# step ${step.index}: ${step.unit} ${step.phase} (${step.objects.length} objects: ${summary.join(', ')})`);
    for (const c of step.commands) lines.push(shellLine(c));
  }
  lines.push('', plan.assembles ? '# The plan applies every step in order.' : '# The plan does NOT apply cleanly: see the findings below.');
  return lines.join('\n');
}
