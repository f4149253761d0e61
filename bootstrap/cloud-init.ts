/**
 * The cloud-init document of one host, built from named sections (apt, packages, files, boot
 * steps) like Cluster API's templates; serialize.ts renders it. The order cloud-init runs them
 * in does the rest: write_files (init stage) before apt and packages, and runcmd last, whose one
 * command starts the host's boot steps (boot-steps.ts) under systemd.
 *
 * @see https://cloudinit.readthedocs.io/en/latest/reference/modules.html
 */
import type { HostConfig } from '../config/schema/cluster';
import { aptKey } from './apt-keys';
import { certRenewalFiles, enableCertRenewal } from './cert-renewal';
import { combineApiServerExtensions, ApiServerExtension } from './api-server-extensions';
import type { ManifestPin } from '../config/versions';
import type { AptSource, Argv, CloudConfig, WriteFile } from './cloud-init-types';
import { BootAction, bootFiles, BootStep, RETRY, startBoot } from './boot-steps';
import { ADMIN_KUBECONFIG, addonFiles, addonSteps, BOOTSTRAP_DIR, KUBELET_KUBECONFIG } from './cluster-addons';
import { enableEtcdSnapshots, etcdSnapshotFiles } from './etcd-snapshots';
import { EdgeForwarding, haproxyFiles } from './haproxy';
import { hostFiles, kernelModules } from './host-files';
import { Inventory, isControlPlane } from './inventory';
import { CERTIFICATES_DIR, kubeadmDocuments, runsInit } from './kubeadm-config';
import { keepalivedFiles } from './keepalived';
import { caCertHash } from './pki';
import type { BootstrapSecrets } from './secrets';
import { renderKubeadmConfig } from './serialize';

export const KUBEADM_CONFIG = `${BOOTSTRAP_DIR}/kubeadm.yaml`;

/** pkgs.k8s.io package revision of every release build. */
const KUBERNETES_DEB_REVISION = '1.1';
/** The exact version of kubelet, kubeadm and kubectl the hosts install (`1.36.2-1.1`). */
const kubernetesPackageVersion = (inv: Inventory) => `${inv.kubernetesVersion}-${KUBERNETES_DEB_REVISION}`;

/** Pinned versions and images the host files name. */
export interface HostVersions {
  readonly etcdImage: string;
  readonly haproxyImage: string;
  readonly csrApproverImage: string;
  readonly pauseImage: string;
  readonly containerdVersion: string;
  readonly cniManifest: ManifestPin;
  readonly argoCdManifest: ManifestPin;
}

export interface GitRepository {
  readonly repoURL: string;
  /** known_hosts lines of an ssh server Argo CD does not know by default. */
  readonly sshKnownHosts?: readonly string[];
}

export interface UserDataInputs {
  readonly inventory: Inventory;
  readonly secrets: BootstrapSecrets;
  readonly edge: EdgeForwarding;
  /** Argo CD's settings and root Application; undefined: no Argo CD (kubectl mode). */
  readonly gitopsManifests?: readonly object[];
  readonly versions: HostVersions;
  readonly apiServerExtensions: readonly ApiServerExtension[];
  /** The GitOps repository, for Argo CD's credentials (from the secrets file) and the ssh host keys. */
  readonly repository?: GitRepository;
  /** Set vm.max_map_count on workers (Elasticsearch runs and the hosts are managed here). */
  readonly elasticsearchSysctl: boolean;
}

function aptSources(inv: Inventory): Record<string, AptSource> {
  return {
    kubernetes: {
      source: `deb [signed-by=$KEY_FILE] https://pkgs.k8s.io/core:/stable:/v${inv.kubernetesMinor}/deb/ /`,
      key: aptKey('kubernetes').armored,
    },
    docker: {
      source: `deb [signed-by=$KEY_FILE] https://download.docker.com/linux/${inv.cluster.distribution} $RELEASE stable`,
      key: aptKey('docker').armored,
    },
  };
}

/** keepalived holds the VIP on control-plane hosts of an HA cluster: the distribution's package, run by systemd. */
const runsKeepalived = (host: HostConfig, inv: Inventory) => isControlPlane(host) && inv.cluster.controlPlaneEndpoint !== undefined;

function packages(host: HostConfig, inv: Inventory): CloudConfig['packages'] {
  const version = kubernetesPackageVersion(inv);
  return [
    ['kubelet', version],
    ['kubeadm', version],
    ['kubectl', version],
    'containerd.io',
    ...(host.cephDisks.length ? ['lvm2'] : []),
    ...(runsKeepalived(host, inv) ? ['keepalived'] : []),
  ];
}

/** Held at their versions (apt upgrades never move them); the boot stops when one is missing or another version. */
function heldPackages(inv: Inventory, containerdVersion: string): Record<string, string> {
  const kubernetes = kubernetesPackageVersion(inv);
  return { kubelet: kubernetes, kubeadm: kubernetes, kubectl: kubernetes, 'containerd.io': containerdVersion };
}

const secretFile = (path: string, content: string): WriteFile => ({ path, content, owner: 'root:root', permissions: '0600' });
const publicFile = (path: string, content: string): WriteFile => ({ path, content, owner: 'root:root', permissions: '0644' });

/** The shared CA material kubeadm expects on every control-plane host (no --upload-certs). */
function pkiFiles(secrets: BootstrapSecrets): WriteFile[] {
  const dir = CERTIFICATES_DIR;
  return [
    publicFile(`${dir}/ca.crt`, secrets.clusterCa.cert),
    secretFile(`${dir}/ca.key`, secrets.clusterCa.key),
    publicFile(`${dir}/front-proxy-ca.crt`, secrets.frontProxyCa.cert),
    secretFile(`${dir}/front-proxy-ca.key`, secrets.frontProxyCa.key),
    publicFile(`${dir}/etcd/ca.crt`, secrets.etcdCa.cert),
    secretFile(`${dir}/etcd/ca.key`, secrets.etcdCa.key),
    publicFile(`${dir}/sa.pub`, secrets.serviceAccount.publicKey),
    secretFile(`${dir}/sa.key`, secrets.serviceAccount.privateKey),
  ];
}

export function hostCloudConfig(host: HostConfig, inputs: UserDataInputs): CloudConfig {
  const { inventory: inv, secrets, versions } = inputs;
  const cluster = inv.cluster;
  const controlPlane = isControlPlane(host);
  const init = runsInit(host, inv);
  const keepalived = runsKeepalived(host, inv);
  const apiServer = combineApiServerExtensions(inputs.apiServerExtensions);
  const kubeadm = kubeadmDocuments(host, {
    inventory: inv,
    bootstrapToken: secrets.bootstrapToken,
    caCertHash: caCertHash(secrets.clusterCa.cert),
    apiServer: { extraArgs: apiServer.extraArgs, extraVolumes: apiServer.extraVolumes },
  });
  const addons = {
    inventory: inv,
    ...(inputs.gitopsManifests ? { gitopsManifests: inputs.gitopsManifests } : {}),
    cniManifest: versions.cniManifest,
    argoCdManifest: versions.argoCdManifest,
    approverImage: versions.csrApproverImage,
    ...(secrets.sealingKey ? { sealingKey: secrets.sealingKey } : {}),
    ...(inputs.gitopsManifests && inputs.repository && secrets.gitopsRepository
      ? { repository: { url: inputs.repository.repoURL, credentials: secrets.gitopsRepository, knownHosts: inputs.repository.sshKnownHosts ?? [] } }
      : {}),
  };

  const files: WriteFile[] = [
    ...hostFiles(host, {
      kubeProxyMode: cluster.kubeProxyMode,
      elasticsearchSysctl: inputs.elasticsearchSysctl,
      pauseImage: versions.pauseImage,
      containerdVersion: versions.containerdVersion,
    }),
    secretFile(KUBEADM_CONFIG, renderKubeadmConfig(kubeadm)),
    ...(controlPlane
      ? [
          ...pkiFiles(secrets),
          ...apiServer.files,
          ...haproxyFiles(inv, inputs.edge, versions.haproxyImage),
          ...(keepalived ? keepalivedFiles(host, inv, secrets.keepalivedPassword) : []),
          ...etcdSnapshotFiles({ image: versions.etcdImage, onCalendar: cluster.etcdSnapshots.onCalendar, keep: cluster.etcdSnapshots.keep }),
          ...certRenewalFiles({ host: host.name }),
        ]
      : []),
    ...(init ? addonFiles(addons) : []),
  ];

  const steps: BootStep[] = [
    {
      name: 'prepare-host',
      description: 'swap off, kernel modules and sysctls, containerd restarted, packages held',
      actions: [
        // The kubelet refuses to run with swap on; masking swap.target keeps fstab swap off after reboots.
        { run: ['systemctl', 'mask', 'swap.target'] },
        { run: ['swapoff', '-a'] },
        ...kernelModules(host, cluster).map((m): BootAction => ({ run: ['modprobe', m] })),
        // Before kubeadm: protectKernelDefaults makes the kubelet refuse other values.
        { run: ['sysctl', '--system'] },
        { run: ['systemctl', 'restart', 'containerd'] },
        // A package apt could not install at its pinned version stops the boot here, not at kubeadm.
        { packages: heldPackages(inv, versions.containerdVersion) },
        { run: ['apt-mark', 'hold', ...Object.keys(heldPackages(inv, versions.containerdVersion))] },
        ...(keepalived ? [{ run: ['systemctl', 'enable', '--now', 'keepalived.service'] } as BootAction] : []),
      ],
      ...RETRY.once,
    },
    ...(init
      ? ([
          {
            name: 'pull-images',
            description: "the control plane's images, pulled before kubeadm init waits on them",
            actions: [{ run: ['kubeadm', 'config', 'images', 'pull', '--config', KUBEADM_CONFIG] }],
            ...RETRY.network,
          },
          {
            name: 'kubeadm-init',
            description: 'kubeadm init (never repeated on a host that has a cluster)',
            actions: [{ run: ['kubeadm', 'init', '--config', KUBEADM_CONFIG] }],
            // admin.conf is written by init: a host that has it is (or was) a control plane; never init it again.
            skipIf: ADMIN_KUBECONFIG,
            ...RETRY.once,
          },
        ] satisfies BootStep[])
      : ([
          {
            name: 'kubeadm-join',
            description: `kubeadm join ${inv.apiEndpoint}${controlPlane ? ' as a control plane' : ''}`,
            actions: [{ run: ['kubeadm', 'join', '--config', KUBEADM_CONFIG] }],
            // A worker that has joined has kubelet.conf; a worker's partial join is undone before another try.
            // Control planes are not reset: that would delete the CA files this user-data put in place.
            ...(controlPlane ? {} : { skipIf: KUBELET_KUBECONFIG, beforeRetry: [['kubeadm', 'reset', '--force'] as Argv] }),
            ...RETRY.join,
          },
        ] satisfies BootStep[])),
    ...(controlPlane
      ? ([
          { name: 'etcd-snapshots', description: 'the nightly etcd snapshot timer', actions: enableEtcdSnapshots.map((run) => ({ run })), ...RETRY.once },
          {
            name: 'cert-renewal',
            description: "the monthly renewal timer of kubeadm's certificates",
            actions: enableCertRenewal.map((run) => ({ run })),
            ...RETRY.once,
          },
        ] satisfies BootStep[])
      : []),
    ...(init ? addonSteps(addons) : []),
  ];
  files.push(...bootFiles(host.name, steps));

  return {
    hostname: host.name,
    manage_etc_hosts: true,
    apt: { sources: aptSources(inv) },
    package_update: true,
    package_upgrade: false,
    packages: packages(host, inv),
    write_files: files,
    runcmd: startBoot,
  };
}
