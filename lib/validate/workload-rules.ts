/**
 * Mistakes in workloads and Services that the API server refuses or that break at runtime, the
 * kind the seed projects shipped: a selector that does not match its own template, the same
 * object twice, two containers of a pod on one port, an unpinned image, a request above its
 * limit, a CronJob schedule or time zone that does not parse, and two Services on one NodePort.
 */
import { isCronSchedule } from '../cron';
import { imagePinning } from '../image';
import { compareQuantities } from '../quantity';
import { checkTimeZone } from '../time-zone';
import { childPath, finding, Finding, groupVersion, namespaceOf, SourceDocument } from './document';
import { containersOf, isKind, matchesSelector, podTemplates } from './workloads';

export function checkWorkloadRules(docs: readonly SourceDocument[]): Finding[] {
  return [...duplicateObjects(docs), ...selectorsMatchTemplates(docs), ...containerRules(docs), ...cronJobs(docs), ...duplicateNodePorts(docs)];
}

/**
 * Two different documents for one object: the later apply silently replaces the earlier. The same
 * document twice is fine (the bootstrap folder repeats what the cluster tree then manages).
 */
function duplicateObjects(docs: readonly SourceDocument[]): Finding[] {
  const seen = new Map<string, SourceDocument>();
  const findings: Finding[] = [];
  for (const doc of docs) {
    const { apiVersion, kind, metadata } = doc.object;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof metadata?.name !== 'string') continue;
    const id = `${groupVersion(apiVersion).group}/${kind}/${metadata.namespace ?? ''}/${metadata.name}`;
    const first = seen.get(id);
    if (first && JSON.stringify(first.object) !== JSON.stringify(doc.object)) {
      findings.push(
        finding(doc, 'metadata.name', `the same object is also defined, differently, in ${first.file}; one of them silently replaces the other on apply`),
      );
    }
    if (!first) seen.set(id, doc);
  }
  return findings;
}

/** `selector` must select the workload's own pod template: the API server refuses it otherwise. */
function selectorsMatchTemplates(docs: readonly SourceDocument[]): Finding[] {
  const findings: Finding[] = [];
  for (const template of podTemplates(docs)) {
    const { kind, spec } = template.doc.object;
    if (!['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(kind) || !spec?.selector) continue;
    if (!matchesSelector(spec.selector, template.labels)) {
      findings.push(
        finding(
          template.doc,
          'spec.selector',
          `does not select the pod template's own labels (${JSON.stringify(template.labels)}); the API server refuses the ${kind}`,
        ),
      );
    }
  }
  return findings;
}

/** An image a registry may move under you: no tag or digest, or `latest`. */
const unpinned = (image: string) => ['untagged', 'latest'].includes(imagePinning(image) ?? '');

function containerRules(docs: readonly SourceDocument[]): Finding[] {
  const findings: Finding[] = [];
  for (const template of podTemplates(docs)) {
    const ports = new Map<string, string>();
    const names = new Map<string, string>();
    for (const { container, path } of containersOf(template)) {
      if (typeof container.image === 'string' && unpinned(container.image)) {
        findings.push(
          finding(template.doc, childPath(path, 'image'), `"${container.image}" is not pinned (no tag, or "latest"): pin a version tag or a digest`),
        );
      }
      (container.ports ?? []).forEach((port: any, i: number) => {
        const portPath = childPath(childPath(path, 'ports'), i);
        const key = `${port.containerPort}/${port.protocol ?? 'TCP'}`;
        const other = ports.get(key);
        if (other !== undefined)
          findings.push(
            finding(
              template.doc,
              childPath(portPath, 'containerPort'),
              `${key} is also declared at ${other}; two containers of a pod cannot listen on one port`,
            ),
          );
        else ports.set(key, portPath);
        if (typeof port.name === 'string') {
          const named = names.get(port.name);
          if (named !== undefined)
            findings.push(
              finding(template.doc, childPath(portPath, 'name'), `port name "${port.name}" is also used at ${named}; port names must be unique in a pod`),
            );
          else names.set(port.name, portPath);
        }
      });
      for (const resource of ['cpu', 'memory']) {
        const request = container.resources?.requests?.[resource];
        const limit = container.resources?.limits?.[resource];
        if (request !== undefined && limit !== undefined && (compareQuantities(request, limit) ?? 0) > 0) {
          findings.push(
            finding(
              template.doc,
              childPath(childPath(childPath(path, 'resources'), 'requests'), resource),
              `request ${request} is above the limit ${limit}; the API server refuses the pod`,
            ),
          );
        }
      }
    }
  }
  return findings;
}

/** A CronJob's schedule (five fields, or a macro) and time zone, as the controller reads them. */
function cronJobs(docs: readonly SourceDocument[]): Finding[] {
  const findings: Finding[] = [];
  for (const doc of docs.filter((d) => isKind(d, 'batch', 'CronJob'))) {
    const { schedule, timeZone } = doc.object.spec ?? {};
    if (typeof schedule === 'string') {
      if (!isCronSchedule(schedule, { macros: true }))
        findings.push(finding(doc, 'spec.schedule', `"${schedule}" is not a five-field cron schedule (minute hour day-of-month month day-of-week)`));
      if (/TZ=|CRON_TZ=/.test(schedule)) findings.push(finding(doc, 'spec.schedule', 'a TZ= prefix is refused by the API server; set spec.timeZone'));
    }
    if (typeof timeZone === 'string' && !checkTimeZone(timeZone).valid) {
      findings.push(
        finding(doc, 'spec.timeZone', `"${timeZone}" is not a time zone of the tz database (spelled as there, e.g. "America/Los_Angeles", "Etc/UTC")`),
      );
    }
  }
  return findings;
}

/** Two Services asking for one NodePort: the API server refuses the second. */
function duplicateNodePorts(docs: readonly SourceDocument[]): Finding[] {
  const taken = new Map<string, string>();
  const findings: Finding[] = [];
  for (const doc of docs.filter((d) => isKind(d, '', 'Service'))) {
    (doc.object.spec?.ports ?? []).forEach((port: any, i: number) => {
      if (typeof port?.nodePort !== 'number') return;
      const key = `${port.nodePort}/${port.protocol ?? 'TCP'}`;
      const owner = taken.get(key);
      const here = `Service ${namespaceOf(doc.object)}/${doc.object.metadata?.name}`;
      if (owner)
        findings.push(
          finding(doc, childPath(childPath('spec.ports', i), 'nodePort'), `NodePort ${key} is also taken by ${owner}; the API server refuses the second`),
        );
      else taken.set(key, here);
    });
  }
  return findings;
}
