/**
 * Pod Security Standards, checked before the admission controller would reject the pods at runtime. Every
 * Namespace must choose a level; anything weaker than `restricted` must say why; and the pod templates in a
 * `baseline` or `restricted` namespace must meet that level.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 *
 * Not covered: AppArmor, SELinux options, sysctls and the Windows exemptions.
 */
import { childPath, finding, Finding, SourceDocument } from './document';
import { containersOf, isKind, PodTemplate, podTemplates } from './workloads';

const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
const REASON_ANNOTATION = 'platform.campus/pod-security-reason';
const LEVELS = ['privileged', 'baseline', 'restricted'];

/** Capabilities a baseline pod may add (the container runtime defaults minus NET_RAW). */
const BASELINE_CAPABILITIES = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];
const RESTRICTED_CAPABILITIES = ['NET_BIND_SERVICE'];
const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
const CONFINED_SECCOMP = ['RuntimeDefault', 'Localhost'];

type Level = 'baseline' | 'restricted';

interface Violation {
  readonly path: string;
  readonly message: string;
}

export function checkPodSecurity(docs: readonly SourceDocument[]): Finding[] {
  const findings: Finding[] = [];
  const levels = new Map<string, string>();
  for (const doc of docs.filter((d) => isKind(d, '', 'Namespace'))) {
    const { name, labels = {}, annotations = {} } = doc.object.metadata ?? {};
    const level = labels[ENFORCE_LABEL];
    const labelPath = childPath('metadata.labels', ENFORCE_LABEL);
    if (level === undefined) {
      findings.push(finding(doc, labelPath, `required: choose the Pod Security level (${LEVELS.join(', ')})`));
    } else if (!LEVELS.includes(level)) {
      findings.push(finding(doc, labelPath, `must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(level)}`));
    } else {
      levels.set(name, level);
      const reason = annotations[REASON_ANNOTATION];
      if (level !== 'restricted' && !(typeof reason === 'string' && reason.trim())) {
        findings.push(
          finding(
            doc,
            childPath('metadata.annotations', REASON_ANNOTATION),
            `required when the level is "${level}": say why the namespace cannot be restricted`,
          ),
        );
      }
    }
  }
  // Namespaces outside the documents (kube-system, or created by an operator) are not ours to judge.
  for (const template of podTemplates(docs)) {
    const level = levels.get(template.namespace);
    if (level !== 'baseline' && level !== 'restricted') continue;
    for (const v of violations(template, level)) {
      findings.push(finding(template.doc, v.path, `violates Pod Security "${level}" of namespace "${template.namespace}": ${v.message}`));
    }
  }
  return findings;
}

function violations(template: PodTemplate, level: Level): Violation[] {
  const restricted = level === 'restricted';
  const { spec, specPath } = template;
  const found: Violation[] = [];
  const flag = (path: string, message: string) => found.push({ path, message });

  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[field] === true) flag(`${specPath}.${field}`, 'sharing host namespaces is not allowed');
  }
  (spec.volumes ?? []).forEach((volume: any, i: number) => {
    const type = Object.keys(volume).find((k) => k !== 'name') ?? '';
    if (type === 'hostPath') flag(`${specPath}.volumes[${i}].hostPath`, 'hostPath volumes are not allowed');
    else if (restricted && !RESTRICTED_VOLUMES.includes(type))
      flag(`${specPath}.volumes[${i}].${type}`, `volume type "${type}" is not allowed (allowed: ${RESTRICTED_VOLUMES.join(', ')})`);
  });

  const pod = spec.securityContext ?? {};
  const podPath = `${specPath}.securityContext`;
  checkCommon(pod, podPath, flag);
  if (restricted && pod.runAsUser === 0) flag(`${podPath}.runAsUser`, 'running as user 0 (root) is not allowed');

  for (const { container, path } of containersOf(template)) {
    const sc = container.securityContext ?? {};
    const scPath = `${path}.securityContext`;
    checkCommon(sc, scPath, flag);
    if (sc.privileged === true) flag(`${scPath}.privileged`, 'privileged containers are not allowed');
    (container.ports ?? []).forEach((port: any, j: number) => {
      if (port.hostPort) flag(`${path}.ports[${j}].hostPort`, 'host ports are not allowed');
    });
    if (sc.procMount !== undefined && sc.procMount !== 'Default') flag(`${scPath}.procMount`, 'must be Default');

    const allowedCaps = restricted ? RESTRICTED_CAPABILITIES : BASELINE_CAPABILITIES;
    const added: string[] = (sc.capabilities?.add ?? []).filter((cap: string) => !allowedCaps.includes(cap));
    if (added.length) flag(`${scPath}.capabilities.add`, `may not add ${added.join(', ')} (allowed: ${allowedCaps.join(', ')})`);
    if (!restricted) continue;

    if (sc.allowPrivilegeEscalation !== false) flag(`${scPath}.allowPrivilegeEscalation`, 'must be false');
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) flag(`${scPath}.capabilities.drop`, 'must include ALL');
    // These two may be set once for the pod instead of on every container.
    if (sc.runAsNonRoot === false || (sc.runAsNonRoot !== true && pod.runAsNonRoot !== true)) {
      flag(`${scPath}.runAsNonRoot`, 'must be true (here or in the pod securityContext)');
    }
    if (sc.runAsUser === 0) flag(`${scPath}.runAsUser`, 'running as user 0 (root) is not allowed');
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (sc.seccompProfile?.type !== 'Unconfined' && !CONFINED_SECCOMP.includes(seccomp)) {
      flag(`${scPath}.seccompProfile.type`, `must be ${CONFINED_SECCOMP.join(' or ')} (here or in the pod securityContext)`);
    }
  }
  return found;
}

/** Rules that apply to both the pod and each container's securityContext, at every level. */
function checkCommon(sc: any, path: string, flag: (path: string, message: string) => void): void {
  if (sc.windowsOptions?.hostProcess === true) flag(`${path}.windowsOptions.hostProcess`, 'Windows host processes are not allowed');
  if (sc.seccompProfile?.type === 'Unconfined') flag(`${path}.seccompProfile.type`, 'Unconfined is not allowed');
}
