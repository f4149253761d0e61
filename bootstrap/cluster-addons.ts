/**
 * What the first control-plane host applies right after `kubeadm init` so the cluster
 * assembles itself, as boot steps (boot-steps.ts): the pinned CNI manifest, the kubelet
 * serving-certificate approver, Argo CD from its pinned upstream release, then Argo CD's
 * settings and the root Application that syncs dist/cluster (the objects of dist/bootstrap/,
 * handed in by the composition). Downloads are applied only when their SHA-256 matches.
 *
 * kubelet-csr-approver: the kubelet runs with serverTLSBootstrap (serving certificates signed
 * by the cluster CA instead of self-signed ones), and those CSRs stay Pending forever unless
 * something approves them; this approver only approves names and addresses of our hosts.
 *
 * @see https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/#kubelet-serving-certs
 * @see https://github.com/postfinance/kubelet-csr-approver
 */
import { CONTROL_PLANE_TOLERATION } from '../lib/kube';
import type { ManifestPin } from '../config/versions';
import { BootAction, BootStep, RETRY } from './boot-steps';
import type { Argv, WriteFile } from './cloud-init-types';
import type { Inventory } from './inventory';
import { SEALED_SECRETS_NAMESPACE, SEALING_KEY_LABEL, sealingKeySecretName } from '../lib/sealed-secrets';
import type { CertificateAuthority } from './pki';
import { REPOSITORY_FILE, repositoryFile, RepositoryCredentials } from './repository-credentials';
import { toYaml, toYamlStream } from './serialize';
import { ANNOTATION } from '../lib/labels';

export const BOOTSTRAP_DIR = '/etc/kubernetes/bootstrap';
export const ADMIN_KUBECONFIG = '/etc/kubernetes/admin.conf';
/** Written by `kubeadm join` once the kubelet's TLS bootstrap succeeded. */
export const KUBELET_KUBECONFIG = '/etc/kubernetes/kubelet.conf';
const APPROVER = 'kubelet-csr-approver';

/**
 * Which names and addresses get serving certificates. The approver is applied once, at the first
 * boot, so a host added later must already be allowed: with `network.hostCidr` any host of that
 * network is (a grown cluster needs nothing re-applied); without it only the hosts listed now,
 * and bootstrap/README.md says what to re-apply when the cluster grows.
 */
function approverScope(inv: Inventory): { names: string; prefixes: string } {
  const hostCidr = inv.cluster.network.hostCidr;
  if (hostCidr) return { names: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$', prefixes: hostCidr };
  const names = inv.hosts.map((h) => h.name.replace(/[.]/g, '\\.'));
  const prefixes = inv.hosts.flatMap((h) => [`${h.address}/32`, ...(h.addressV6 ? [`${h.addressV6}/128`] : [])]);
  return { names: `^(${names.join('|')})$`, prefixes: prefixes.join(',') };
}

export function csrApproverManifest(inv: Inventory, image: string): string {
  const scope = approverScope(inv);
  const meta = { name: APPROVER, namespace: 'kube-system', labels: { 'app.kubernetes.io/name': APPROVER, 'app.kubernetes.io/part-of': 'platform-bootstrap' } };
  const env = {
    // Only our hosts' names and addresses get serving certificates.
    PROVIDER_REGEX: scope.names,
    PROVIDER_IP_PREFIXES: scope.prefixes,
    // Host names need not be in DNS; the address allowlist above is the check that matters.
    BYPASS_DNS_RESOLUTION: 'true',
  };
  return toYamlStream([
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: APPROVER, labels: meta.labels },
      rules: [
        { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'], verbs: ['update'] },
        { apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: ['kubernetes.io/kubelet-serving'], verbs: ['approve'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: APPROVER, labels: meta.labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: APPROVER },
      subjects: [{ kind: 'ServiceAccount', name: APPROVER, namespace: 'kube-system' }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta,
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': APPROVER } },
        template: {
          metadata: { labels: meta.labels },
          spec: {
            serviceAccountName: APPROVER,
            priorityClassName: 'system-cluster-critical',
            securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            // It must run before any worker has joined.
            tolerations: [CONTROL_PLANE_TOLERATION],
            containers: [
              {
                name: APPROVER,
                image,
                args: ['-metrics-bind-address', ':8080', '-health-probe-bind-address', ':8081'],
                env: Object.entries(env).map(([name, value]) => ({ name, value })),
                livenessProbe: { httpGet: { path: '/healthz', port: 8081 } },
                resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              },
            ],
          },
        },
      },
    },
  ]);
}

export interface AddonInputs {
  readonly inventory: Inventory;
  /** Argo CD's settings and the root Application (`dist/bootstrap/`), applied once Argo CD runs; undefined: no Argo CD (kubectl mode). */
  readonly gitopsManifests?: readonly object[];
  readonly cniManifest: ManifestPin;
  readonly argoCdManifest: ManifestPin;
  readonly approverImage: string;
  /** The Sealed Secrets key pair born with the cluster, installed before Argo CD syncs anything. */
  readonly sealingKey?: CertificateAuthority;
  /** Argo CD's read access to the GitOps repository, when it needs any. */
  readonly repository?: { readonly url: string; readonly credentials: RepositoryCredentials; readonly knownHosts: readonly string[] };
}

/**
 * Argo CD brings its own policies: its install manifest (argoproj/argo-cd v3.5.1 manifests/install.yaml,
 * the file the pin's sha256 names) ships seven ingress NetworkPolicies, one per component. Egress stays open there, since the repo server
 * fetches from whatever git and chart hosts the platform names; the namespace says so.
 */
export const ARGOCD_NETWORK_POLICY_EXCEPTION =
  "Argo CD's pinned install manifest (config/versions.yaml manifests.argo-cd) ships one ingress NetworkPolicy per component; their egress stays open because the repo server fetches from every git and chart host the platform names";

const file = (name: string, content: string): WriteFile => ({ path: `${BOOTSTRAP_DIR}/${name}`, content, owner: 'root:root', permissions: '0600' });

export function addonFiles(inputs: AddonInputs): WriteFile[] {
  return [
    file('kubelet-csr-approver.yaml', csrApproverManifest(inputs.inventory, inputs.approverImage)),
    ...(inputs.gitopsManifests
      ? [
          file(
            'argocd-namespace.yaml',
            toYaml({
              apiVersion: 'v1',
              kind: 'Namespace',
              metadata: { name: 'argocd', annotations: { [ANNOTATION.networkPolicyException]: ARGOCD_NETWORK_POLICY_EXCEPTION } },
            }),
          ),
          file('gitops.yaml', toYamlStream([...inputs.gitopsManifests])),
        ]
      : []),
    ...(inputs.repository ? [repositoryFile(BOOTSTRAP_DIR, inputs.repository.url, inputs.repository.credentials, inputs.repository.knownHosts)] : []),
    ...(inputs.sealingKey ? [file(SEALING_KEY_FILE, sealingKeyManifest(inputs.sealingKey))] : []),
  ];
}

const kubectl = (...args: string[]): Argv => ['kubectl', '--kubeconfig', ADMIN_KUBECONFIG, ...args];
/** Where verified downloads are kept (the runner writes them 0600). */
export const DOWNLOAD_DIR = '/var/lib/platform-boot/downloads';
const fetched = (name: string, pin: ManifestPin): BootAction => ({ fetch: { url: pin.url, sha256: pin.sha256, dest: `${DOWNLOAD_DIR}/${name}.yaml` } });

/** The first control plane's steps after `kubeadm init`: each apply is idempotent, so a retry repeats it whole. */
export function addonSteps(inputs: AddonInputs): BootStep[] {
  const cni = inputs.inventory.cluster.cni;
  return [
    {
      name: 'wait-for-api',
      description: 'the API server answers /readyz',
      actions: [{ run: kubectl('get', '--raw', '/readyz', '--request-timeout', '10s'), timeoutSeconds: 30 }],
      ...RETRY.apiWait,
    },
    {
      name: 'cni',
      description: `${cni} from its pinned, verified manifest`,
      actions: [fetched(cni, inputs.cniManifest), { run: kubectl('apply', '-f', `${DOWNLOAD_DIR}/${cni}.yaml`) }],
      ...RETRY.network,
    },
    {
      name: 'kubelet-csr-approver',
      description: 'approves the kubelet serving certificates of our hosts',
      actions: [{ run: kubectl('apply', '-f', `${BOOTSTRAP_DIR}/kubelet-csr-approver.yaml`) }],
      ...RETRY.network,
    },
    // kubectl mode: no Argo CD; the tree is applied with the commands `npm run plan -- --kubectl` prints.
    ...(inputs.gitopsManifests ? [ARGO_CD_STEP(inputs.argoCdManifest)] : []),
    ...(inputs.repository
      ? [
          {
            name: 'repository-credentials',
            description: "Argo CD's read access to the GitOps repository",
            actions: [{ run: kubectl('apply', '--server-side', '--force-conflicts', '-f', `${BOOTSTRAP_DIR}/${REPOSITORY_FILE}`) }],
            ...RETRY.network,
          } satisfies BootStep,
        ]
      : []),
    ...(inputs.sealingKey
      ? [
          {
            name: 'sealing-key',
            description: 'the Sealed Secrets key pair, before the controller starts (it then never makes its own)',
            actions: [{ run: kubectl('apply', '--server-side', '--force-conflicts', '-f', `${BOOTSTRAP_DIR}/${SEALING_KEY_FILE}`) }],
            ...RETRY.network,
          } satisfies BootStep,
        ]
      : []),
    ...(inputs.gitopsManifests ? [ROOT_APPLICATION_STEP] : []),
  ];
}

const ARGO_CD_STEP = (manifest: ManifestPin): BootStep => ({
  name: 'argo-cd',
  description: 'Argo CD from its pinned, verified manifest',
  actions: [
    { run: kubectl('apply', '-f', `${BOOTSTRAP_DIR}/argocd-namespace.yaml`) },
    fetched('argo-cd', manifest),
    // Argo CD's CRDs exceed the client-side apply annotation limit: server-side apply.
    { run: kubectl('apply', '--server-side', '--force-conflicts', '--namespace', 'argocd', '-f', `${DOWNLOAD_DIR}/argo-cd.yaml`) },
    { run: kubectl('wait', '--for', 'condition=Established', '--timeout', '300s', 'crd/applications.argoproj.io'), timeoutSeconds: 330 },
  ],
  ...RETRY.network,
});

const ROOT_APPLICATION_STEP: BootStep = {
  name: 'root-application',
  description: 'Argo CD settings and the root Application (dist/bootstrap/)',
  // Server-side, like the install: argocd-cm already exists (the install made it) and takes our fields.
  actions: [{ run: kubectl('apply', '--server-side', '--force-conflicts', '-f', `${BOOTSTRAP_DIR}/gitops.yaml`) }],
  ...RETRY.network,
};

const SEALING_KEY_FILE = 'sealing-key.yaml';

/**
 * The controller's bring-your-own-key Secret: a TLS Secret in its namespace labeled
 * `sealedsecrets.bitnami.com/sealed-secrets-key: active`. The controller registers every such
 * key at start; finding one, it generates none of its own.
 * @see https://github.com/bitnami-labs/sealed-secrets/blob/v0.36.6/docs/bring-your-own-certificates.md
 */
export function sealingKeyManifest(key: CertificateAuthority): string {
  return toYamlStream([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SEALED_SECRETS_NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: sealingKeySecretName(key.cert), namespace: SEALED_SECRETS_NAMESPACE, labels: { [SEALING_KEY_LABEL]: 'active' } },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': key.cert, 'tls.key': key.key },
    },
  ]);
}
