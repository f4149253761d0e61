/**
 * kubeadm's leaf certificates (API server serving, its clients of etcd, the kubelets and the front
 * proxy, the kubeconfigs of admin, controller-manager and scheduler, etcd's own) last one year and
 * are renewed only by `kubeadm certs renew` or a control-plane upgrade. A systemd timer on every
 * control-plane host runs a small plan of the boot runner (platform-boot.py) with `--fresh`, so
 * every step runs each time and stops at the first failure: renew, restart the static pods that
 * read the certificates, record `kubeadm certs check-expiration` in the journal. docs/certificates.md
 * says what expires when and how to follow it.
 *
 * kubeadm's docs say the control-plane Pods must be restarted after a renewal, since "dynamic
 * certificate reload is currently not supported for all components and certificates", by moving
 * each manifest out of /etc/kubernetes/manifests and back, the kubelet acting within its
 * `fileCheckFrequency` (20 s): https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/
 * ("Manual certificate renewal"). The kubelet's own client and serving certificates are not
 * kubeadm's: they rotate by themselves (`rotateCertificates`, `serverTLSBootstrap`, kubeadm-config.ts).
 *
 * @see https://kubernetes.io/docs/reference/setup-tools/kubeadm/generated/kubeadm_certs/kubeadm_certs_renew_all
 */
import { ADMIN_KUBECONFIG } from './cluster-addons';
import { BOOT_UNIT, bootPlan, BootStep, RETRY, RUNNER_PATH } from './boot-steps';
import type { Argv, WriteFile } from './cloud-init-types';

export const CERT_RENEWAL_PLAN_PATH = '/etc/platform-boot/renew-certificates.json';
export const CERT_RENEWAL_STATE_DIR = '/var/lib/platform-boot/renew-certificates';
export const CERT_RENEWAL_UNIT = 'kubeadm-certs-renew.service';
export const CERT_RENEWAL_TIMER = 'kubeadm-certs-renew.timer';
/** Once a month: a failed renewal has eleven months to be noticed and fixed before anything expires. */
export const CERT_RENEWAL_ON_CALENDAR = 'monthly';
const UNIT_DIR = '/etc/systemd/system';
const MANIFEST_DIR = '/etc/kubernetes/manifests';
/** A drop-in of the kubelet package's unit: runs before every kubelet start. */
const KUBELET_DROP_IN = `${UNIT_DIR}/kubelet.service.d/20-put-back-manifests.conf`;

/**
 * The order of the restarts, one at a time, each running again before the next (platform-boot.py):
 * - etcd first, since the API server depends on it. etcd ≥ 3.2 reads its serving and peer
 *   certificates again for every new connection (etcd-io/etcd#7784), so it would serve the
 *   renewed ones without a restart; kubeadm still names it among the components to restart
 *   (kubernetes/kubernetes#95134; the PR dropping that advice, #131298, was closed unmerged), and a
 *   restart now proves the renewed files load while the timer's run is being watched, not at some
 *   later reconnection.
 * - kube-apiserver: its serving certificate and its client certificates for etcd, the kubelets
 *   and the front proxy; it comes back after etcd, so it restarts once.
 * - kube-controller-manager and kube-scheduler last: their kubeconfigs' client certificates are
 *   read at start, and they reconnect to an API server that is already back.
 */
export const RESTARTED_STATIC_PODS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
/**
 * How long each wait (container stopped, container running again) may take: the kubelet's 20 s
 * fileCheckFrequency, the pod's 30 s termination grace period, image already present.
 */
export const RESTART_WAIT_SECONDS = 180;

export interface CertRenewalOptions {
  /** systemd OnCalendar expression. @default 'monthly' */
  readonly onCalendar?: string;
  /** Host name recorded in the plan. @default 'control plane' */
  readonly host?: string;
}

const runnerArgs = ['--plan', CERT_RENEWAL_PLAN_PATH, '--state', CERT_RENEWAL_STATE_DIR];

export function certRenewalSteps(): BootStep[] {
  return [
    {
      name: 'renew',
      description: 'kubeadm certs renew all (every leaf certificate and kubeconfig kubeadm made, for one more year)',
      actions: [{ run: ['kubeadm', 'certs', 'renew', 'all'] }],
      // Local files signed with the local CA: it works, or a person looks (the certificates are as before).
      ...RETRY.once,
    },
    {
      name: 'restart-control-plane',
      description: `${RESTARTED_STATIC_PODS.join(', ')} restarted one at a time, to load the renewed certificates`,
      actions: [{ restartStaticPods: { names: RESTARTED_STATIC_PODS, manifestDir: MANIFEST_DIR, waitSeconds: RESTART_WAIT_SECONDS } }],
      // Never retried: a component that did not come back needs a person, not another restart.
      ...RETRY.once,
    },
    {
      name: 'check',
      description: 'kubeadm certs check-expiration, into the journal',
      actions: [{ run: ['kubeadm', 'certs', 'check-expiration'] }],
      ...RETRY.once,
    },
  ];
}

/** The plan file; `rerun` is what the runner tells a person to run after fixing a failure. */
export function certRenewalPlan(host: string): string {
  const plan = JSON.parse(bootPlan(host, certRenewalSteps())) as Record<string, unknown>;
  return `${JSON.stringify({ ...plan, rerun: `systemctl start ${CERT_RENEWAL_UNIT}` }, null, 2)}\n`;
}

export function certRenewalFiles(opts: CertRenewalOptions = {}): WriteFile[] {
  const onCalendar = opts.onCalendar ?? CERT_RENEWAL_ON_CALENDAR;
  if (!onCalendar.trim() || /[\n\r]/.test(onCalendar))
    throw new Error(`certificate renewal: expected an OnCalendar expression, found ${JSON.stringify(onCalendar)}`);
  const service = [
    '# Generated by the platform bootstrap (bootstrap/cert-renewal.ts).',
    '[Unit]',
    `Description=Renew kubeadm's certificates and restart the control plane (progress: platform-boot status ${runnerArgs.join(' ')})`,
    `Documentation=file://${CERT_RENEWAL_PLAN_PATH}`,
    `Documentation=https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/`,
    // A control plane only, and never while the host's own boot is still making it one.
    `ConditionPathExists=${ADMIN_KUBECONFIG}`,
    `After=${BOOT_UNIT} containerd.service kubelet.service`,
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${RUNNER_PATH} run --fresh ${runnerArgs.join(' ')}`,
    // Four restarts, each with two waits of at most 3 minutes, bounded all the same.
    'TimeoutStartSec=1h',
  ];
  const timer = [
    '# Generated by the platform bootstrap (bootstrap/cert-renewal.ts).',
    '[Unit]',
    "Description=Scheduled renewal of kubeadm's certificates",
    '',
    '[Timer]',
    `OnCalendar=${onCalendar}`,
    // A host that was off at the time renews when it is back.
    'Persistent=true',
    // Each control plane draws its own delay, so they do not restart their API server and etcd at
    // the same moment: a run takes minutes, so two hosts rarely overlap within 6 hours.
    'RandomizedDelaySec=6h',
    '',
    '[Install]',
    'WantedBy=timers.target',
  ];
  // A SIGKILL or power loss between the two moves leaves a manifest aside; the next run puts it
  // back first, and so does this, before the kubelet starts after a reboot. "-": never keeps the
  // kubelet from starting.
  const kubeletDropIn = [
    '# Generated by the platform bootstrap (bootstrap/cert-renewal.ts).',
    '[Service]',
    `ExecStartPre=-${RUNNER_PATH} recover ${runnerArgs.join(' ')}`,
  ];
  return [
    { path: `${UNIT_DIR}/${CERT_RENEWAL_UNIT}`, content: `${service.join('\n')}\n`, owner: 'root:root', permissions: '0644' },
    { path: `${UNIT_DIR}/${CERT_RENEWAL_TIMER}`, content: `${timer.join('\n')}\n`, owner: 'root:root', permissions: '0644' },
    { path: CERT_RENEWAL_PLAN_PATH, content: certRenewalPlan(opts.host ?? 'control plane'), owner: 'root:root', permissions: '0600' },
    { path: KUBELET_DROP_IN, content: `${kubeletDropIn.join('\n')}\n`, owner: 'root:root', permissions: '0644' },
  ];
}

/** The boot step's commands on a control plane (`enable` reloads systemd first). */
export const enableCertRenewal: readonly Argv[] = [['systemctl', 'enable', '--now', CERT_RENEWAL_TIMER]];
