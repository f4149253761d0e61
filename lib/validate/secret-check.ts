/**
 * No secret in a committed tree: a Secret that carries data, a secret-looking ConfigMap value, and
 * literal secrets in container env, commands and arguments (the rules of lib/secret-values.ts, the
 * same that the config check applies before synthesis). What a chart renders inside the cluster is
 * not committed and is not checked here.
 */
import { childPath, finding, Finding, SourceDocument } from './document';
import { secretInNamedValue, secretInText, secretsInArgv } from '../secret-values';
import { containersOf, isKind, podTemplates } from './workloads';

const ADVICE = 'keep secret values out of git: create the Secret in the cluster or commit it sealed (a SealedSecret), and reference it';

export function checkSecrets(docs: readonly SourceDocument[]): Finding[] {
  const committed = docs.filter((d) => !d.clusterReleaseOnly);
  const findings: Finding[] = [];
  for (const doc of committed) {
    if (isKind(doc, '', 'Secret')) {
      for (const field of ['data', 'stringData'] as const) {
        const keys = Object.keys(doc.object[field] ?? {});
        if (keys.length) findings.push(finding(doc, field, `a Secret with values in the tree (${keys.sort().join(', ')}); ${ADVICE}`));
      }
    }
    if (isKind(doc, '', 'ConfigMap')) {
      for (const [key, value] of Object.entries(doc.object.data ?? {})) {
        if (typeof value !== 'string') continue;
        const reason = value.includes('\n') ? secretInText(value) : secretInNamedValue(key, value);
        if (reason) findings.push(finding(doc, childPath('data', key), `a secret-looking value: ${reason}; ${ADVICE}`));
      }
    }
  }
  for (const template of podTemplates(committed)) {
    for (const { container, path } of containersOf(template)) {
      (container.env ?? []).forEach((env: any, i: number) => {
        const reason = typeof env?.value === 'string' && typeof env?.name === 'string' ? secretInNamedValue(env.name, env.value) : undefined;
        if (reason)
          findings.push(
            finding(template.doc, childPath(childPath(childPath(path, 'env'), i), 'value'), `a literal secret in env: ${reason}; ${ADVICE} with secretKeyRef`),
          );
      });
      for (const field of ['command', 'args'] as const) {
        if (!Array.isArray(container[field])) continue;
        for (const { index, reason } of secretsInArgv(container[field].map(String))) {
          findings.push(
            finding(
              template.doc,
              childPath(childPath(path, field), index),
              `a literal secret in a command: ${reason}; ${ADVICE} and read it from the environment`,
            ),
          );
        }
      }
    }
  }
  return findings;
}
