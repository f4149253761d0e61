/**
 * The cloud-init document of one host, built from named sections (apt, packages, files,
 * commands) like Cluster API's templates; serialize.ts renders it. The order cloud-init runs
 * them in does the rest: write_files (init stage) before apt and packages, runcmd last.
 *
 * @see https://cloudinit.readthedocs.io/en/latest/reference/modules.html
 */
import type { HostConfig } from '../config/schema/cluster';
import { combineApiServerExtensions, ApiServerExtension } from './api-server-extensions';
import type { AptSource, Argv, CloudConfig, WriteFile } from './cloud-init-types';
import { addonCommands, addonFiles, BOOTSTRAP_DIR } from './cluster-addons';
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

/**
 * Signing keys of the two apt repositories, by full fingerprint (fetched from the keyserver, so
 * an extended expiry date is picked up). pkgs.k8s.io: the isv:kubernetes OBS key, see
 * https://github.com/kubernetes/kubernetes/issues/128609; Docker: https://docs.docker.com/engine/install/debian/
 */
const KUBERNETES_APT_KEY = 'DE15B14486CD377B9E876E1A234654DA9A296436';
const DOCKER_APT_KEY = '9DC858229FC7DD38854AE2D88D81803C0EBFCD88';
const KEYSERVER = 'keyserver.ubuntu.com';
/** pkgs.k8s.io package revision of every release build. */
const KUBERNETES_DEB_REVISION = '1.1';

/** Pinned versions and images the host files name. */
export interface HostVersions {
  readonly etcdImage: string;
  readonly haproxyImage: string;
  readonly keepalivedImage: string;
  readonly csrApproverImage: string;
  readonly pauseImage: string;
  readonly containerdVersion: string;
  readonly cniManifest: string;
  readonly argoCdManifest: string;
}

export interface UserDataInputs {
  readonly inventory: Inventory;
  readonly secrets: BootstrapSecrets;
  readonly edge: EdgeForwarding;
  readonly gitopsManifests: readonly object[];
  readonly versions: HostVersions;
  readonly apiServerExtensions: readonly ApiServerExtension[];
  /** Set vm.max_map_count on workers (Elasticsearch runs and the hosts are managed here). */
  readonly elasticsearchSysctl: boolean;
}

function aptSources(inv: Inventory): Record<string, AptSource> {
  return {
    kubernetes: {
      source: `deb [signed-by=$KEY_FILE] https://pkgs.k8s.io/core:/stable:/v${inv.kubernetesMinor}/deb/ /`,
      keyid: KUBERNETES_APT_KEY,
      keyserver: KEYSERVER,
    },
    docker: {
      source: `deb [signed-by=$KEY_FILE] https://download.docker.com/linux/${inv.cluster.distribution} $RELEASE stable`,
      keyid: DOCKER_APT_KEY,
      keyserver: KEYSERVER,
    },
  };
}

function packages(host: HostConfig, inv: Inventory): CloudConfig['packages'] {
  const version = `${inv.kubernetesVersion}-${KUBERNETES_DEB_REVISION}`;
  return [['kubelet', version], ['kubeadm', version], ['kubectl', version], 'containerd.io', ...(host.cephDisks.length ? ['lvm2'] : [])];
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
  const apiServer = combineApiServerExtensions(inputs.apiServerExtensions);
  const kubeadm = kubeadmDocuments(host, {
    inventory: inv,
    bootstrapToken: secrets.bootstrapToken,
    caCertHash: caCertHash(secrets.clusterCa.cert),
    apiServer: { extraArgs: apiServer.extraArgs, extraVolumes: apiServer.extraVolumes },
  });
  const addons = {
    inventory: inv,
    gitopsManifests: inputs.gitopsManifests,
    cniManifest: versions.cniManifest,
    argoCdManifest: versions.argoCdManifest,
    approverImage: versions.csrApproverImage,
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
          ...(cluster.controlPlaneEndpoint ? keepalivedFiles(host, inv, secrets.keepalivedPassword, versions.keepalivedImage) : []),
          ...etcdSnapshotFiles({ image: versions.etcdImage, onCalendar: cluster.etcdSnapshots.onCalendar, keep: cluster.etcdSnapshots.keep }),
        ]
      : []),
    ...(init ? addonFiles(addons) : []),
  ];

  const runcmd: Argv[] = [
    // The kubelet refuses to run with swap on; masking swap.target keeps fstab swap off after reboots.
    ['systemctl', 'mask', 'swap.target'],
    ['swapoff', '-a'],
    ...kernelModules(host, cluster).map((m): Argv => ['modprobe', m]),
    // Before kubeadm: protectKernelDefaults makes the kubelet refuse other values.
    ['sysctl', '--system'],
    ['systemctl', 'restart', 'containerd'],
    ['apt-mark', 'hold', 'kubelet', 'kubeadm', 'kubectl', 'containerd.io'],
    ['kubeadm', init ? 'init' : 'join', '--config', KUBEADM_CONFIG],
    ...(controlPlane ? enableEtcdSnapshots : []),
    ...(init ? addonCommands(addons) : []),
  ];

  return {
    hostname: host.name,
    manage_etc_hosts: true,
    apt: { sources: aptSources(inv) },
    package_update: true,
    package_upgrade: false,
    packages: packages(host, inv),
    write_files: files,
    runcmd,
  };
}
