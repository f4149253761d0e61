/**
 * Static pods the kubelet runs from /etc/kubernetes/manifests on control-plane hosts (haproxy):
 * host-network pods whose one config file comes from the host. Never hostPID: a container's
 * processes must not see, or signal, the host's.
 */
import type { WriteFile } from './cloud-init-types';
import { toYaml } from './serialize';

export const STATIC_POD_DIR = '/etc/kubernetes/manifests';

export interface StaticPodSpec {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  /** Host file mounted at `mountPath` in the container. */
  readonly config: { readonly hostPath: string; readonly mountPath: string; readonly readOnly: boolean };
  readonly securityContext: Record<string, unknown>;
  readonly livenessProbe?: Record<string, unknown>;
}

export function staticPodFile(spec: StaticPodSpec): WriteFile {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: spec.name, namespace: 'kube-system', labels: { 'app.kubernetes.io/name': spec.name, 'app.kubernetes.io/part-of': 'platform-bootstrap' } },
    spec: {
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      containers: [
        {
          name: spec.name,
          image: spec.image,
          ...(spec.command ? { command: spec.command } : {}),
          securityContext: spec.securityContext,
          resources: { requests: { cpu: '25m', memory: '32Mi' }, limits: { memory: '256Mi' } },
          ...(spec.livenessProbe ? { livenessProbe: spec.livenessProbe } : {}),
          volumeMounts: [{ name: 'config', mountPath: spec.config.mountPath, readOnly: spec.config.readOnly }],
        },
      ],
      volumes: [{ name: 'config', hostPath: { path: spec.config.hostPath, type: 'File' } }],
    },
  };
  return { path: `${STATIC_POD_DIR}/${spec.name}.yaml`, content: toYaml(pod), owner: 'root:root', permissions: '0600' };
}
