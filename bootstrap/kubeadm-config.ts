/**
 * Builds the kubeadm documents of one host from the inventory: InitConfiguration,
 * ClusterConfiguration, KubeletConfiguration and KubeProxyConfiguration for the host that
 * runs `kubeadm init`; a JoinConfiguration (with `controlPlane` on control-plane hosts) for
 * every other host. Rendering is serialize.ts's job.
 */
import { CONTROL_PLANE_TAINT_KEY } from '../lib/kube';
import type { HostConfig } from '../config/schema/cluster';
import { API_SERVER_PORT, CRI_SOCKET, Inventory, isControlPlane, isWorker } from './inventory';
import {
  APIServer,
  Arg,
  ClusterConfiguration,
  InitConfiguration,
  JoinConfiguration,
  KUBE_PROXY_API_VERSION,
  KUBEADM_API_VERSION,
  KubeadmDocument,
  KubeletConfiguration,
  KubeProxyConfiguration,
  KUBELET_API_VERSION,
  NodeRegistrationOptions,
  Taint,
} from './kubeadm-types';

export const CERTIFICATES_DIR = '/etc/kubernetes/pki';
const CONTROL_PLANE_TAINT: Taint = { key: CONTROL_PLANE_TAINT_KEY, effect: 'NoSchedule' };
/** Our static pods (haproxy, keepalived) sit in the manifests directory before kubeadm runs. */
const STATIC_PODS_PREFLIGHT = 'DirAvailable--etc-kubernetes-manifests';
/** How long a joining host waits for the first control plane (it boots at the same time). */
const JOIN_DISCOVERY_TIMEOUT = '30m0s';

export interface KubeadmInputs {
  readonly inventory: Inventory;
  readonly bootstrapToken: string;
  /** `sha256:<hex>` of the cluster CA's public key. */
  readonly caCertHash: string;
  /** Flags and volumes of the API server extensions (audit, encryption, …). */
  readonly apiServer: Pick<APIServer, 'extraArgs' | 'extraVolumes'>;
}

function nodeRegistration(host: HostConfig): NodeRegistrationOptions {
  const controlPlane = isControlPlane(host);
  const labels = Object.keys(host.labels)
    .sort()
    .map((k) => `${k}=${host.labels[k]}`);
  const kubeletExtraArgs: Arg[] = [{ name: 'node-ip', value: host.address }];
  if (labels.length) kubeletExtraArgs.push({ name: 'node-labels', value: labels.join(',') });
  const own: Taint[] = host.taints.map((t) => (t.value === undefined ? { key: t.key, effect: t.effect } : { key: t.key, value: t.value, effect: t.effect }));
  return {
    name: host.name,
    criSocket: CRI_SOCKET,
    // A host that is also a worker must not get kubeadm's default control-plane taint.
    taints: controlPlane && !isWorker(host) ? [CONTROL_PLANE_TAINT, ...own] : own,
    kubeletExtraArgs,
    ...(controlPlane ? { ignorePreflightErrors: [STATIC_PODS_PREFLIGHT] } : {}),
    imagePullPolicy: 'IfNotPresent',
  };
}

/** API server certificate names: the VIP, then every control-plane host's name and addresses. */
export function apiServerCertSANs(inv: Inventory): string[] {
  const sans = [
    ...(inv.cluster.controlPlaneEndpoint ? [inv.cluster.controlPlaneEndpoint.vip] : []),
    ...(inv.cluster.apiServerAddress ? [inv.cluster.apiServerAddress] : []),
    ...inv.controlPlanes.flatMap((h) => [h.name, h.address, ...(h.addressV6 ? [h.addressV6] : [])]),
  ];
  return [...new Set(sans)];
}

export function clusterConfiguration(inputs: KubeadmInputs): ClusterConfiguration {
  const { inventory: inv } = inputs;
  const { cluster } = inv;
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: 'ClusterConfiguration',
    clusterName: cluster.name,
    kubernetesVersion: `v${inv.kubernetesVersion}`,
    // Always set: kubeadm refuses to join a control plane to a cluster initialised without it.
    controlPlaneEndpoint: inv.apiEndpoint,
    networking: { podSubnet: cluster.network.podCidr, serviceSubnet: cluster.network.serviceCidr, dnsDomain: cluster.network.dnsDomain },
    etcd: { local: { dataDir: '/var/lib/etcd' } },
    apiServer: { certSANs: apiServerCertSANs(inv), extraArgs: inputs.apiServer.extraArgs ?? [], extraVolumes: inputs.apiServer.extraVolumes ?? [] },
    certificatesDir: CERTIFICATES_DIR,
    encryptionAlgorithm: 'ECDSA-P256',
  };
}

export function kubeletConfiguration(): KubeletConfiguration {
  return {
    apiVersion: KUBELET_API_VERSION,
    kind: 'KubeletConfiguration',
    cgroupDriver: 'systemd',
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: `${CERTIFICATES_DIR}/ca.crt` } },
    authorization: { mode: 'Webhook' },
    readOnlyPort: 0,
    // Needs the sysctls of host-files.ts in place before the kubelet starts.
    protectKernelDefaults: true,
    // Serving certificates signed by the cluster CA; kubelet-csr-approver approves the CSRs.
    serverTLSBootstrap: true,
    rotateCertificates: true,
    tlsMinVersion: 'VersionTLS12',
    failSwapOn: true,
  };
}

export function kubeProxyConfiguration(inv: Inventory): KubeProxyConfiguration {
  return { apiVersion: KUBE_PROXY_API_VERSION, kind: 'KubeProxyConfiguration', mode: inv.cluster.kubeProxyMode, clusterCIDR: inv.cluster.network.podCidr };
}

function initConfiguration(host: HostConfig, inputs: KubeadmInputs): InitConfiguration {
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: 'InitConfiguration',
    bootstrapTokens: [
      {
        token: inputs.bootstrapToken,
        description: 'joins the hosts of dist/hosts (npm run secrets -- --rotate-token for later hosts)',
        ttl: '24h0m0s',
        usages: ['signing', 'authentication'],
        groups: ['system:bootstrappers:kubeadm:default-node-token'],
      },
    ],
    nodeRegistration: nodeRegistration(host),
    localAPIEndpoint: { advertiseAddress: host.address, bindPort: API_SERVER_PORT },
  };
}

function joinConfiguration(host: HostConfig, inputs: KubeadmInputs): JoinConfiguration {
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: 'JoinConfiguration',
    nodeRegistration: nodeRegistration(host),
    discovery: { bootstrapToken: { token: inputs.bootstrapToken, apiServerEndpoint: inputs.inventory.apiEndpoint, caCertHashes: [inputs.caCertHash] } },
    // No certificateKey: the CA files are already on the host (write_files), so no --upload-certs.
    ...(isControlPlane(host) ? { controlPlane: { localAPIEndpoint: { advertiseAddress: host.address, bindPort: API_SERVER_PORT } } } : {}),
    timeouts: { discovery: JOIN_DISCOVERY_TIMEOUT },
  };
}

/** The documents `kubeadm init|join --config` reads on `host`. */
export function kubeadmDocuments(host: HostConfig, inputs: KubeadmInputs): KubeadmDocument[] {
  if (host.name === inputs.inventory.initHost.name) {
    return [initConfiguration(host, inputs), clusterConfiguration(inputs), kubeletConfiguration(), kubeProxyConfiguration(inputs.inventory)];
  }
  return [joinConfiguration(host, inputs)];
}

/** Whether this host runs `kubeadm init` (else `kubeadm join`). */
export const runsInit = (host: HostConfig, inv: Inventory) => host.name === inv.initHost.name;
