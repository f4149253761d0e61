/**
 * The platform's egress allowlist from its pins and its synthesized tree (lib/egress.ts turns the
 * inputs into rules): what the hosts install and pull, what Argo CD fetches, where cert-manager
 * asks for certificates. Written to `dist/egress.md` by every synthesis, so a pull request that
 * adds a registry or a chart repository shows it.
 */
import type { PlatformConfig } from '../config/schema';
import type { Versions } from '../config/versions';
import { chartSource } from '../lib/chart-source';
import { pauseImageKey } from '../lib/pins';
import { egressRules, EgressRule, egressTable, imageRegistry } from '../lib/egress';

export const EGRESS_FILE = 'egress.md';

/** The hosts' apt repositories (bootstrap/cloud-init.ts adds them with these URLs). */
const APT_REPOSITORIES = ['https://pkgs.k8s.io/core:/stable:/deb/', 'https://download.docker.com/linux/'];
/** Host images outside config/versions.yaml: kubeadm pulls the control plane (and CoreDNS) from here. */
const KUBEADM_REGISTRY = 'registry.k8s.io';
const HOST_IMAGE_PINS = ['etcd', 'haproxy', 'kubelet-csr-approver'];

function imagesOf(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) value.forEach((v) => imagesOf(v, out));
  else if (value && typeof value === 'object')
    for (const [key, v] of Object.entries(value)) {
      if (key === 'image' && typeof v === 'string') out.add(v);
      else imagesOf(v, out);
    }
}

/**
 * In kubectl mode (`gitops.mode: kubectl`) no Argo CD runs in the cluster: no Argo CD install manifest or images,
 * no GitOps repository or chart repositories fetched from the cluster (synthesis renders the charts where it runs);
 * the add-ons' Applications, left out of the tree, still name the charts whose images the hosts pull.
 */
export function platformEgress(config: PlatformConfig, versions: Versions, objects: readonly any[], addonApplications: readonly any[] = []): EgressRule[] {
  const kubectl = config.gitops.mode === 'kubectl';
  const images = new Map<string, Set<string>>();
  const use = (registry: string, who: string) => images.set(registry, (images.get(registry) ?? new Set()).add(who));

  use(KUBEADM_REGISTRY, 'the control plane (kubeadm)');
  for (const [key, who] of [...HOST_IMAGE_PINS.map((k) => [k, k]), [pauseImageKey(config.cluster.kubernetesVersion), 'pause']]) {
    const image = versions.images[key];
    if (image) use(imageRegistry(image), who);
  }
  const manifests = [config.cluster.cni, ...(kubectl ? [] : ['argo-cd'])].map((name) => ({ name, pin: versions.manifests[name] })).filter((m) => m.pin);
  for (const { name, pin } of manifests) for (const image of pin!.images) use(imageRegistry(image), name);

  const treeImages = new Set<string>();
  for (const o of objects) imagesOf(o.spec, treeImages);
  for (const image of treeImages) use(imageRegistry(image), 'workloads of dist/');

  // Charts the tree installs: their repositories (Argo CD) and the registries their pods pull from.
  const chartRepositories = new Set<string>();
  for (const o of kubectl ? addonApplications : objects) {
    const chart = o.kind === 'Application' ? chartSource(o.spec?.source) : undefined;
    if (!chart) continue;
    if (!kubectl) chartRepositories.add(chart.repoURL);
    const pin = Object.values(versions.charts).find((c) => c.chart === chart.chart && c.repoURL === chart.repoURL);
    // A chart that is not pinned here (a team's own Application) pulls from registries nobody recorded.
    if (!pin)
      throw new Error(
        `Application ${o.metadata?.name}: chart ${chart.chart} from ${chart.repoURL} is not in config/versions.yaml, so the images it pulls are unknown; pin it there with its images`,
      );
    for (const image of pin.images) use(imageRegistry(image), `chart ${chart.chart}`);
  }

  const acmeServers = objects
    .filter((o) => o.kind === 'ClusterIssuer' || o.kind === 'Issuer')
    .flatMap((o) => (o.spec?.acme?.server ? [String(o.spec.acme.server)] : []));

  // The Barman Cloud plugin's object stores: the instances' sidecars (and the drills) upload to and read from them.
  const objectStores = new Map<string, Set<string>>();
  for (const o of objects.filter((x) => x.kind === 'ObjectStore' && String(x.apiVersion).startsWith('barmancloud.cnpg.io/'))) {
    const endpoint = o.spec?.configuration?.endpointURL;
    if (typeof endpoint === 'string') objectStores.set(endpoint, (objectStores.get(endpoint) ?? new Set()).add(o.metadata?.namespace ?? 'default'));
  }

  return egressRules({
    distribution: config.cluster.distribution,
    aptRepositories: APT_REPOSITORIES,
    downloads: manifests.map((m) => m.pin!.url),
    images: new Map([...images].map(([registry, who]) => [registry, [...who].sort()])),
    chartRepositories: [...chartRepositories].sort(),
    gitRepository: kubectl ? undefined : config.gitops.repoURL,
    acmeServers: [...new Set(acmeServers)].sort(),
    objectStores: new Map([...objectStores].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([e, ns]) => [e, [...ns].sort()])),
  });
}

export function egressMarkdown(rules: readonly EgressRule[], mode: 'argocd' | 'kubectl' = 'argocd'): string {
  const who =
    mode === 'kubectl'
      ? [
          'Every outbound connection the platform makes: the hosts (apt, image pulls, boot downloads), cert-manager (ACME)',
          'and Postgres (its object store); no Argo CD (gitops.mode: kubectl: synthesis renders the charts, kubectl applies). Entries with `*` stand for hosts a',
        ]
      : [
          'Every outbound connection the platform makes: the hosts (apt, image pulls, boot downloads), Argo CD',
          '(the GitOps repository, Helm charts), cert-manager (ACME) and Postgres (its object store). Entries with `*` stand for hosts a',
        ];
  return [
    '# Egress allowlist',
    '',
    'Generated by `npm run synth` from the platform config and config/versions.yaml (app/egress.ts); do not edit.',
    ...who,
    'provider names per region or bucket; a strict firewall needs a pull-through mirror for those instead.',
    '',
    egressTable(rules),
  ].join('\n');
}
