/**
 * Host bootstrap of the whole cluster: for every host of the inventory a cloud-init user-data
 * file (`hosts/<host>/user-data`) that installs the pinned Kubernetes release, prepares the
 * kernel and runs `kubeadm init` (first control-plane host) or `kubeadm join` (the others),
 * plus a NoCloud `meta-data`. The files hold the join token and, on control-plane hosts, the CA
 * keys: the writer puts them under dist/hosts/ (git-ignored) with mode 0600.
 */
import { Construct } from 'constructs';
import { resolveCluster } from '../config/load';
import type { ClusterSpec } from '../lib/cluster-spec';
import { pauseImageKey, pinnedImage, pinnedManifest } from '../lib/pins';
import { warn } from '../lib/warnings';
import { ApiServerExtension, auditLogging, secretEncryption } from './api-server-extensions';
import { GitRepository, hostCloudConfig, HostVersions, UserDataInputs } from './cloud-init';
import { credentialsProblem } from './repository-credentials';
import type { EdgeForwarding } from './haproxy';
import { inventory, Inventory } from './inventory';
import type { BootstrapSecrets } from './secrets';
import { renderCloudConfig } from './serialize';

export interface ClusterBootstrapProps {
  /**
   * The cluster as the config's `cluster` section describes it: name and hosts, and optionally
   * networks, CNI, the control-plane endpoint (VIP), etcd snapshots. Checked by the same rules and
   * filled with the same defaults as config/platform.yaml (config/schema/cluster.ts; README "Configuration").
   */
  readonly cluster: ClusterSpec;
  /** The Kubernetes release defaulted to and the newest allowed. @default - `kubernetes.release` of config/versions.yaml */
  readonly kubernetesRelease?: string;
  /** Edge NodePorts haproxy forwards 80/443 to, and whether it sends the PROXY protocol. */
  readonly edge: EdgeForwarding;
  /**
   * Applied by the first control-plane host once Argo CD runs: its settings and the root Application (`dist/bootstrap/`).
   * Without them the hosts install no Argo CD at all (`gitops.mode: kubectl`: the tree is applied with the
   * commands `npm run plan -- --kubectl` prints).
   * @default - no Argo CD
   */
  readonly gitopsManifests?: readonly object[];
  /**
   * The GitOps repository: with credentials in the secrets file (`gitopsRepository`), the first
   * control plane gives Argo CD read access before the root Application. An ssh URL needs a deploy key.
   * @default - no repository Secret (a public https repository)
   */
  readonly repository?: GitRepository;
  /** The hosts' pinned images, host package and manifests. @default - config/versions.yaml's `images` and `manifests` */
  readonly pins?: Partial<HostVersions>;
  /** The cluster's bootstrap secrets (`loadBootstrapSecrets()`, or `loadOrCreateBootstrapSecrets()` by hand). */
  readonly secrets: BootstrapSecrets;
  /**
   * Elasticsearch runs on the cluster (logging enabled): workers get vm.max_map_count=262144
   * when `cluster.hostsManaged`.
   * @default false
   */
  readonly elasticsearch?: boolean;
  /**
   * API server extensions added after audit logging and Secret encryption.
   * @default - none
   */
  readonly apiServerExtensions?: readonly ApiServerExtension[];
}

/** One file below dist/: `path` is relative to dist/ (`hosts/<host>/user-data`). */
export interface BootstrapFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

export class ClusterBootstrap extends Construct {
  /** The derived inventory (control-plane hosts, workers, API endpoint). */
  public readonly inventory: Inventory;
  private readonly inputs: UserDataInputs;
  private rendered?: BootstrapFile[];

  constructor(scope: Construct, id: string, props: ClusterBootstrapProps) {
    super(scope, id);
    const cluster = resolveCluster(props.cluster, `ClusterBootstrap ${this.node.path}: props.cluster`, props.kubernetesRelease);
    this.inventory = inventory(cluster);
    if (cluster.cni === 'flannel') {
      warn(
        'platform:bootstrap:flannelNoPolicies',
        'cluster.cni is "flannel": flannel does not enforce NetworkPolicies, so the default-deny and allow policies in dist/ have no effect. Use "calico" to enforce them.',
        this,
      );
    }
    const pins = props.pins ?? {};
    const hostVersions: HostVersions = {
      etcdImage: pins.etcdImage ?? pinnedImage('etcd'),
      haproxyImage: pins.haproxyImage ?? pinnedImage('haproxy'),
      csrApproverImage: pins.csrApproverImage ?? pinnedImage('kubelet-csr-approver'),
      pauseImage: pins.pauseImage ?? pinnedImage(pauseImageKey(cluster.kubernetesVersion)),
      containerdVersion: pins.containerdVersion ?? pinnedImage('containerd-package'),
      cniManifest: pins.cniManifest ?? pinnedManifest(cluster.cni),
      argoCdManifest: pins.argoCdManifest ?? pinnedManifest('argo-cd'),
    };
    const problem = props.repository && credentialsProblem(props.repository.repoURL, props.secrets.gitopsRepository);
    if (problem) throw new Error(problem);
    this.inputs = {
      ...(props.repository ? { repository: props.repository } : {}),
      inventory: this.inventory,
      secrets: props.secrets,
      edge: { nodePorts: props.edge.nodePorts, proxyProtocol: props.edge.proxyProtocol },
      ...(props.gitopsManifests ? { gitopsManifests: props.gitopsManifests } : {}),
      versions: hostVersions,
      apiServerExtensions: [auditLogging(), secretEncryption(props.secrets.encryptionKey), ...(props.apiServerExtensions ?? [])],
      elasticsearchSysctl: (props.elasticsearch ?? false) && cluster.hostsManaged,
    };
  }

  /** Every host's files, sorted by path; the same inputs always give the same bytes. */
  public files(): BootstrapFile[] {
    this.rendered ??= this.inventory.hosts
      .flatMap((host): BootstrapFile[] => [
        { path: `hosts/${host.name}/user-data`, content: renderCloudConfig(hostCloudConfig(host, this.inputs)), mode: 0o600 },
        {
          path: `hosts/${host.name}/meta-data`,
          content: `instance-id: ${this.inventory.cluster.name}-${host.name}\nlocal-hostname: ${host.name}\n`,
          mode: 0o600,
        },
      ])
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return this.rendered.map((f) => ({ ...f }));
  }
}
