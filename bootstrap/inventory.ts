/** Facts derived from the cluster inventory that several bootstrap parts need. */
import type { ClusterConfig, HostConfig } from '../config/schema/cluster';
import { API_SERVER_PORT, kubernetesMinor } from '../lib/kube';

/** Port every kube-apiserver binds on its own host (one home in lib/kube.ts; the network policies use it too). */
export { API_SERVER_PORT };
export const CRI_SOCKET = 'unix:///run/containerd/containerd.sock';

export const isControlPlane = (h: HostConfig) => h.roles.includes('control-plane');
export const isWorker = (h: HostConfig) => h.roles.includes('worker');

export interface Inventory {
  readonly cluster: ClusterConfig;
  readonly hosts: readonly HostConfig[];
  readonly controlPlanes: readonly HostConfig[];
  readonly workers: readonly HostConfig[];
  /** The control-plane host that runs `kubeadm init`: the first listed. */
  readonly initHost: HostConfig;
  /** `host:port` every kubelet and join uses (kubeadm's controlPlaneEndpoint): the VIP (haproxy), or `apiServerAddress` / the first control plane on 6443. */
  readonly apiEndpoint: string;
  /** `1.36.2`. */
  readonly kubernetesVersion: string;
  /** `1.36`. */
  readonly kubernetesMinor: string;
}

export function inventory(cluster: ClusterConfig): Inventory {
  const controlPlanes = cluster.hosts.filter(isControlPlane);
  const initHost = controlPlanes[0];
  if (!initHost) throw new Error('cluster.hosts: expected a control-plane host (the config schema checks this)');
  const endpoint = cluster.controlPlaneEndpoint;
  return {
    cluster,
    hosts: cluster.hosts,
    controlPlanes,
    workers: cluster.hosts.filter(isWorker),
    initHost,
    apiEndpoint: endpoint ? `${endpoint.vip}:${endpoint.port}` : `${cluster.apiServerAddress ?? initHost.address}:${API_SERVER_PORT}`,
    kubernetesVersion: cluster.kubernetesVersion,
    kubernetesMinor: kubernetesMinor(cluster.kubernetesVersion),
  };
}
