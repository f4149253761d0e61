/**
 * The one extension point for kube-apiserver flags: each extension contributes flags, host
 * volumes and the host files those volumes carry, and `combineApiServerExtensions` checks
 * that no two extensions claim the same flag, volume or file.
 *
 * @see https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/
 * @see https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/
 */
import type { WriteFile } from './cloud-init-types';
import type { Arg, HostPathMount } from './kubeadm-types';
import { toYaml } from './serialize';

export interface ApiServerExtension {
  /** Shown in conflict errors. */
  readonly name: string;
  readonly extraArgs: readonly Arg[];
  readonly extraVolumes: readonly HostPathMount[];
  /** Written on every control-plane host before kubeadm runs. */
  readonly files: readonly WriteFile[];
}

const AUDIT_DIR = '/etc/kubernetes/audit';
const AUDIT_LOG_DIR = '/var/log/kubernetes/audit';
const ENCRYPTION_DIR = '/etc/kubernetes/encryption';

/** Audit log on the host: metadata for everything, request bodies for writes, never Secret payloads. */
export function auditLogging(opts: { maxAgeDays?: number } = {}): ApiServerExtension {
  const policy = {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: [
      // High-volume, low-value traffic first, so it never reaches the broader rules.
      { level: 'None', nonResourceURLs: ['/healthz*', '/livez*', '/readyz*', '/version', '/metrics'] },
      { level: 'None', resources: [{ group: 'coordination.k8s.io', resources: ['leases'] }] },
      {
        level: 'None',
        resources: [
          { group: '', resources: ['events'] },
          { group: 'events.k8s.io', resources: ['events'] },
        ],
      },
      {
        level: 'None',
        users: ['system:kube-proxy'],
        verbs: ['watch'],
        resources: [
          { group: '', resources: ['endpoints', 'services', 'services/status'] },
          { group: 'discovery.k8s.io', resources: ['endpointslices'] },
        ],
      },
      // Bodies of these hold secret material: who and when only.
      {
        level: 'Metadata',
        resources: [
          { group: '', resources: ['secrets', 'configmaps', 'serviceaccounts/token'] },
          { group: 'authentication.k8s.io', resources: ['tokenreviews'] },
        ],
      },
      { level: 'Request', verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
      { level: 'Metadata' },
    ],
  };
  return {
    name: 'audit logging',
    extraArgs: [
      { name: 'audit-policy-file', value: `${AUDIT_DIR}/policy.yaml` },
      { name: 'audit-log-path', value: `${AUDIT_LOG_DIR}/audit.log` },
      { name: 'audit-log-maxage', value: String(opts.maxAgeDays ?? 30) },
      { name: 'audit-log-maxbackup', value: '10' },
      { name: 'audit-log-maxsize', value: '100' },
    ],
    extraVolumes: [
      { name: 'audit-policy', hostPath: AUDIT_DIR, mountPath: AUDIT_DIR, readOnly: true, pathType: 'DirectoryOrCreate' },
      { name: 'audit-log', hostPath: AUDIT_LOG_DIR, mountPath: AUDIT_LOG_DIR, readOnly: false, pathType: 'DirectoryOrCreate' },
    ],
    files: [{ path: `${AUDIT_DIR}/policy.yaml`, content: toYaml(policy), owner: 'root:root', permissions: '0600' }],
  };
}

/** Secrets encrypted in etcd with secretbox (XSalsa20-Poly1305, 32-byte key); identity reads data written before. */
export function secretEncryption(base64Key: string): ApiServerExtension {
  const config = {
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{ resources: ['secrets'], providers: [{ secretbox: { keys: [{ name: 'key1', secret: base64Key }] } }, { identity: {} }] }],
  };
  return {
    name: 'secret encryption at rest',
    extraArgs: [{ name: 'encryption-provider-config', value: `${ENCRYPTION_DIR}/config.yaml` }],
    extraVolumes: [{ name: 'encryption-config', hostPath: ENCRYPTION_DIR, mountPath: ENCRYPTION_DIR, readOnly: true, pathType: 'DirectoryOrCreate' }],
    files: [{ path: `${ENCRYPTION_DIR}/config.yaml`, content: toYaml(config), owner: 'root:root', permissions: '0600' }],
  };
}

/** Merges extensions in order; a flag, volume, mount path or file claimed twice is an error naming both. */
export function combineApiServerExtensions(extensions: readonly ApiServerExtension[]): { extraArgs: Arg[]; extraVolumes: HostPathMount[]; files: WriteFile[] } {
  const owners = new Map<string, string>();
  const claim = (key: string, by: string) => {
    const previous = owners.get(key);
    if (previous) throw new Error(`API server extensions "${previous}" and "${by}" both set ${key}; combine them into one extension`);
    owners.set(key, by);
  };
  for (const ext of extensions) {
    ext.extraArgs.forEach((a) => claim(`flag --${a.name}`, ext.name));
    ext.extraVolumes.forEach((v) => {
      claim(`volume "${v.name}"`, ext.name);
      claim(`mount path ${v.mountPath}`, ext.name);
    });
    ext.files.forEach((f) => claim(`file ${f.path}`, ext.name));
  }
  return {
    extraArgs: extensions.flatMap((e) => e.extraArgs),
    extraVolumes: extensions.flatMap((e) => e.extraVolumes),
    files: extensions.flatMap((e) => e.files),
  };
}
