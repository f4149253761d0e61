/**
 * The kubeadm, kubelet and kube-proxy configuration documents we emit, typed with their
 * upstream field names. Only the fields this project sets are modelled (a field we never set
 * is a field nobody reviews); bootstrap/schemas/*.json hold the full strict field lists the
 * rendered YAML is checked against.
 *
 * @see https://kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta4/
 * @see https://github.com/kubernetes/kubernetes/blob/master/cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go
 * @see https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/
 * @see https://kubernetes.io/docs/reference/config-api/kube-proxy-config.v1alpha1/
 */

export const KUBEADM_API_VERSION = 'kubeadm.k8s.io/v1beta4';
export const KUBELET_API_VERSION = 'kubelet.config.k8s.io/v1beta1';
export const KUBE_PROXY_API_VERSION = 'kubeproxy.config.k8s.io/v1alpha1';

/** A Go duration as kubeadm parses it, e.g. `24h0m0s`. */
export type Duration = string;

/** v1beta4 structured argument (v1beta3's string map could not express duplicates). */
export interface Arg {
  readonly name: string;
  readonly value: string;
}

export interface HostPathMount {
  readonly name: string;
  readonly hostPath: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
  readonly pathType?: 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File';
}

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeRegistrationOptions {
  readonly name: string;
  readonly criSocket: string;
  /** Always set: `[]` keeps kubeadm from adding its control-plane taint. */
  readonly taints: readonly Taint[];
  readonly kubeletExtraArgs?: readonly Arg[];
  readonly ignorePreflightErrors?: readonly string[];
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

export interface APIEndpoint {
  readonly advertiseAddress: string;
  readonly bindPort: number;
}

export interface BootstrapToken {
  readonly token: string;
  readonly description?: string;
  readonly ttl?: Duration;
  readonly usages?: readonly ('signing' | 'authentication')[];
  readonly groups?: readonly string[];
}

export interface Timeouts {
  readonly controlPlaneComponentHealthCheck?: Duration;
  readonly kubeletHealthCheck?: Duration;
  readonly kubernetesAPICall?: Duration;
  readonly etcdAPICall?: Duration;
  readonly tlsBootstrap?: Duration;
  readonly discovery?: Duration;
}

export interface InitConfiguration {
  readonly apiVersion: typeof KUBEADM_API_VERSION;
  readonly kind: 'InitConfiguration';
  readonly bootstrapTokens: readonly BootstrapToken[];
  readonly nodeRegistration: NodeRegistrationOptions;
  readonly localAPIEndpoint: APIEndpoint;
  readonly timeouts?: Timeouts;
}

export interface ControlPlaneComponent {
  readonly extraArgs?: readonly Arg[];
  readonly extraVolumes?: readonly HostPathMount[];
}

export interface APIServer extends ControlPlaneComponent {
  readonly certSANs?: readonly string[];
}

export type EncryptionAlgorithm = 'ECDSA-P256' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096';

export interface ClusterConfiguration {
  readonly apiVersion: typeof KUBEADM_API_VERSION;
  readonly kind: 'ClusterConfiguration';
  readonly clusterName: string;
  /** `v1.36.2`. */
  readonly kubernetesVersion: string;
  /** `host:port` of the load-balanced API; absent on a single control-plane host. */
  readonly controlPlaneEndpoint?: string;
  readonly networking: { readonly podSubnet: string; readonly serviceSubnet: string; readonly dnsDomain: string };
  readonly etcd: { readonly local: { readonly dataDir: string; readonly extraArgs?: readonly Arg[] } };
  readonly apiServer: APIServer;
  readonly controllerManager?: ControlPlaneComponent;
  readonly scheduler?: ControlPlaneComponent;
  readonly certificatesDir: string;
  /** Our CAs are ECDSA P-256; leaf certificates kubeadm makes must match. */
  readonly encryptionAlgorithm: EncryptionAlgorithm;
}

export interface BootstrapTokenDiscovery {
  readonly token: string;
  readonly apiServerEndpoint: string;
  /** `sha256:<hex>` pins of the cluster CA's SubjectPublicKeyInfo; never empty (no unsafeSkipCAVerification). */
  readonly caCertHashes: readonly string[];
}

export interface JoinConfiguration {
  readonly apiVersion: typeof KUBEADM_API_VERSION;
  readonly kind: 'JoinConfiguration';
  readonly nodeRegistration: NodeRegistrationOptions;
  readonly discovery: { readonly bootstrapToken: BootstrapTokenDiscovery };
  /** Present only on control-plane hosts. */
  readonly controlPlane?: { readonly localAPIEndpoint: APIEndpoint };
  readonly timeouts?: Timeouts;
}

export interface KubeletConfiguration {
  readonly apiVersion: typeof KUBELET_API_VERSION;
  readonly kind: 'KubeletConfiguration';
  readonly cgroupDriver: 'systemd' | 'cgroupfs';
  readonly authentication: {
    readonly anonymous: { readonly enabled: boolean };
    readonly webhook: { readonly enabled: boolean };
    readonly x509: { readonly clientCAFile: string };
  };
  readonly authorization: { readonly mode: 'Webhook' | 'AlwaysAllow' };
  readonly readOnlyPort: number;
  readonly protectKernelDefaults: boolean;
  readonly serverTLSBootstrap: boolean;
  readonly rotateCertificates: boolean;
  readonly tlsMinVersion?: string;
  readonly failSwapOn?: boolean;
}

export interface KubeProxyConfiguration {
  readonly apiVersion: typeof KUBE_PROXY_API_VERSION;
  readonly kind: 'KubeProxyConfiguration';
  readonly mode: 'iptables' | 'ipvs' | 'nftables';
  readonly clusterCIDR: string;
}

export type KubeadmDocument = InitConfiguration | ClusterConfiguration | JoinConfiguration | KubeletConfiguration | KubeProxyConfiguration;
