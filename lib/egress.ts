/**
 * The outbound connections a platform needs, derived from what it pins: apt repositories, the
 * boot manifests and the images they pull, every image of the synthesized tree and of the add-on
 * charts, the chart repositories, the GitOps repository and the ACME server. A registry usually
 * serves its layers from other hosts (a CDN it redirects to); those come from one table,
 * each entry with the source that documents it.
 */
import { gitEndpoint } from './git-url';

/** `postgres`: the database pods (CloudNativePG instances and restore drills) writing to and reading from their object store. */
export type EgressClient = 'hosts' | 'argo-cd' | 'cert-manager' | 'postgres';

export interface EgressRule {
  /** A host name, or a pattern with `*` where the provider names its hosts per region or bucket. */
  readonly host: string;
  readonly port: number;
  /** Who connects: the hosts (apt, containerd pulls, boot downloads) or a pod of the platform. */
  readonly from: EgressClient;
  /** Why, in a few words (each distinct reason once). */
  readonly why: readonly string[];
}

interface RegistryHosts {
  readonly hosts: readonly string[];
  readonly source: string;
}

/** The hosts a registry's pulls reach besides its own name (blob redirects, token service). */
const REGISTRY_HOSTS: Readonly<Record<string, RegistryHosts>> = {
  'docker.io': {
    hosts: [
      'registry-1.docker.io',
      'auth.docker.io',
      'production.cloudflare.docker.com',
      'docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com',
    ],
    source: 'docs.docker.com desktop/setup/allow-list (docker/docs#25122)',
  },
  'quay.io': { hosts: ['quay.io', 'cdn.quay.io', 'cdn01.quay.io', 'cdn02.quay.io', 'cdn03.quay.io'], source: 'access.redhat.com/node/7001746' },
  'ghcr.io': { hosts: ['ghcr.io', 'pkg-containers.githubusercontent.com'], source: "GitHub's Meta API, `packages`" },
  'registry.k8s.io': {
    // registry.k8s.io redirects to the nearest mirror of the day; its maintainers ask not to pin those.
    hosts: ['registry.k8s.io', '*.pkg.dev', 'prod-registry-k8s-io-*.s3.dualstack.*.amazonaws.com'],
    source: 'kubernetes/registry.k8s.io README, Stability: no stable list of backends, mirror for a strict firewall (#237)',
  },
};

/** The registry host of an image reference; a reference without one is Docker Hub's, as containerd reads it. */
export function imageRegistry(image: string): string {
  const first = image.split('/')[0];
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

/** The hosts pulling from `registry` reaches. */
export function registryHosts(registry: string): readonly string[] {
  return REGISTRY_HOSTS[registry]?.hosts ?? [registry];
}

const hostOf = (url: string) => new URL(url).hostname;

/** Hosts an apt repository's URL leads to (pkgs.k8s.io redirects its downloads to a CDN). */
const APT_REDIRECTS: Readonly<Record<string, readonly string[]>> = {
  // pkgs.k8s.io redirects to the CDN in front of the openSUSE build service (kubernetes/k8s.io#5518).
  'pkgs.k8s.io': ['pkgs.k8s.io', 'prod-cdn.packages.k8s.io'],
};

/** Where a GitHub release asset download leads (github.com redirects to its asset storage). */
const GITHUB_RELEASE_HOSTS = ['github.com', 'objects.githubusercontent.com', 'release-assets.githubusercontent.com'];

/** The distribution's own mirrors as its cloud images configure them (HTTP on stock images, HTTPS where a team switched). */
const DISTRIBUTION_MIRRORS: Readonly<Record<'debian' | 'ubuntu', readonly string[]>> = {
  debian: ['deb.debian.org', 'security.debian.org'],
  ubuntu: ['archive.ubuntu.com', 'security.ubuntu.com'],
};

export interface EgressInputs {
  readonly distribution: 'debian' | 'ubuntu';
  /** Source URLs of the apt repositories the hosts add. */
  readonly aptRepositories: readonly string[];
  /** Files the first control plane downloads at boot. */
  readonly downloads: readonly string[];
  /** Every image the hosts pull: host pins, the boot manifests', the tree's and the charts'. */
  readonly images: ReadonlyMap<string, readonly string[]>;
  /** Chart repositories (https:// or oci://) Argo CD's repo server fetches from. */
  readonly chartRepositories: readonly string[];
  /** Undefined in kubectl mode: no Argo CD in the cluster fetches it. */
  readonly gitRepository?: string;
  /** The ACME directory URLs cert-manager's issuers use. */
  readonly acmeServers: readonly string[];
  /** S3 endpoints (`https://host[:port]`) the Postgres object stores name, with the namespaces that use each. @default - none */
  readonly objectStores?: ReadonlyMap<string, readonly string[]>;
}

/** Every rule, sorted by client, then host; each host and port once per client. */
export function egressRules(inputs: EgressInputs): EgressRule[] {
  const rules = new Map<string, { host: string; port: number; from: EgressClient; why: Set<string> }>();
  const add = (from: EgressClient, host: string, port: number, why: string) => {
    const key = `${from} ${host} ${port}`;
    const rule = rules.get(key) ?? { host, port, from, why: new Set<string>() };
    rule.why.add(why);
    rules.set(key, rule);
  };
  for (const host of DISTRIBUTION_MIRRORS[inputs.distribution]) for (const port of [80, 443]) add('hosts', host, port, `${inputs.distribution} packages`);
  for (const url of inputs.aptRepositories) {
    const host = hostOf(url);
    for (const h of APT_REDIRECTS[host] ?? [host]) add('hosts', h, 443, `apt repository ${host}`);
  }
  for (const url of inputs.downloads) add('hosts', hostOf(url), 443, 'boot manifests');
  for (const [registry, users] of inputs.images) for (const host of registryHosts(registry)) add('hosts', host, 443, `images: ${users.join(', ')}`);
  for (const repo of inputs.chartRepositories) {
    const host = hostOf(repo.replace(/^oci:/, 'https:'));
    for (const h of repo.startsWith('oci://') ? registryHosts(host === 'registry-1.docker.io' ? 'docker.io' : host) : [host])
      add('argo-cd', h, 443, 'Helm charts');
    // A GitHub Pages chart index (chart-releaser's layout) points at packages on GitHub Releases.
    if (host.endsWith('.github.io')) for (const h of GITHUB_RELEASE_HOSTS) add('argo-cd', h, 443, 'Helm charts (GitHub Releases)');
  }
  const git = inputs.gitRepository === undefined ? undefined : gitEndpoint(inputs.gitRepository);
  if (git) add('argo-cd', git.host, git.port, 'the GitOps repository');
  for (const url of inputs.acmeServers) add('cert-manager', hostOf(url), 443, 'ACME (TLS certificates)');
  for (const [endpoint, namespaces] of inputs.objectStores ?? []) {
    const url = new URL(endpoint);
    add(
      'postgres',
      url.hostname.replace(/^\[|\]$/g, ''),
      Number(url.port || (url.protocol === 'http:' ? 80 : 443)),
      `WAL archive and base backups: ${namespaces.join(', ')}`,
    );
  }
  const order: EgressClient[] = ['hosts', 'argo-cd', 'cert-manager', 'postgres'];
  return [...rules.values()]
    .map((r) => ({ host: r.host, port: r.port, from: r.from, why: [...r.why].sort() }))
    .sort((a, b) => order.indexOf(a.from) - order.indexOf(b.from) || (a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port));
}

/** The rules as a Markdown table (README, `dist/egress.md`). */
export function egressTable(rules: readonly EgressRule[]): string {
  const sources = Object.entries(REGISTRY_HOSTS).map(([registry, r]) => `${registry}: ${r.source}`);
  return [
    '| from | host | port | for |',
    '| --- | --- | --- | --- |',
    ...rules.map((r) => `| ${r.from} | \`${r.host}\` | ${r.port} | ${r.why.join('; ')} |`),
    '',
    `Registry redirect hosts: ${sources.join('; ')}.`,
    '',
  ].join('\n');
}
