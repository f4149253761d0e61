import { Construct } from 'constructs';
import { ChartPin, EntryPoint, NamespacePeer, RouteRegistry, RouteSet, Server } from '../lib/contracts';
import { withDefaults } from '../lib/defaults';
import { TlsIssuer, TlsOptions } from '../lib/edge-vocabulary';
import { pinnedChart } from '../lib/pins';
import { EDGE_DEFAULTS, GITLAB_REQUEST_TIMEOUT_SECONDS } from '../lib/tier-defaults';
import { WAVE } from '../lib/argocd';
import { LABEL } from '../lib/labels';
import { allowIngress } from '../lib/network-policy';
import { PlatformChart } from '../lib/platform-chart';
import { PodSecurityLevel } from '../lib/pod-security';
import { requireSecrets, warn } from '../lib/warnings';
import { ACME_SOLVER, ACME_SOLVER_IMAGE, CERT_MANAGER_NAMESPACE, EdgeCertManager } from './edge-cert-manager';
import { ENVOY_GATEWAY_NAMESPACE, EdgeGateway, GATEWAY_NAME, ProxyWorkload } from './edge-gateway';
import { EdgeIngressNginx, INGRESS_CLASS, INGRESS_NGINX_NAMESPACE } from './edge-ingress-nginx';
import { PlannedCertificate, planTls, previewDomainOf, TlsPlan } from './edge-tls-plan';
import { HttpRoutes } from './http-routes';
import { IngressRoutes } from './ingress-routes';
import { Namespaces } from './namespaces';
import { tlsSecretName } from '../lib/names';
import { allowImages } from '../lib/image-allowlist';
import { ClusterAddresses } from '../lib/cluster-peers';

/** Where the edge sits in the assembly (lib/argocd.ts): controllers, then our resources, the Gateway and routes last. */
const EDGE_WAVES = { syncWave: WAVE.operators, resourceWave: WAVE.platform, lastWave: WAVE.edge } as const;

/** How the entry point behaves: each setting optional, with a default (lib/tier-defaults.ts `EDGE_DEFAULTS`). */
export interface EdgeOptions {
  /** `envoy-gateway` (Gateway API), or the retired `ingress-nginx` (compatibility, warns). @default 'envoy-gateway' */
  readonly controller?: 'envoy-gateway' | 'ingress-nginx';
  /** Fixed node ports of the one NodePort Service. @default - 30080 and 30443 */
  readonly nodePorts?: { readonly http?: number; readonly https?: number };
  /** Require the PROXY protocol from the control-plane TCP proxy. @default true */
  readonly proxyProtocol?: boolean;
  /** @default - a DaemonSet: one proxy per worker */
  readonly proxy?: { readonly workload?: 'DaemonSet' | 'Deployment'; readonly replicas?: number };
  /** @default - Let's Encrypt (production) over HTTP-01, no overrides */
  readonly tls?: TlsOptions;
  /** `Strict-Transport-Security`; `maxAgeSeconds: 0` turns it off. @default - one year, without subdomains */
  readonly hsts?: { readonly maxAgeSeconds?: number; readonly includeSubDomains?: boolean };
  /** Largest request body the entry point forwards; '0' is unlimited. @default '10Mi' */
  readonly maxRequestBodySize?: string;
  /** `/git` to a GitLab Omnibus serving under /git. @default - off */
  readonly gitlab?: {
    readonly enabled?: boolean;
    readonly service?: { readonly namespace?: string; readonly name?: string; readonly port?: number };
    readonly maxRequestBodySize?: string;
  };
}

export interface EdgeTierProps extends EdgeOptions {
  /** The cluster's `00-namespaces` chart: the edge adds its controllers' namespaces there. */
  readonly namespaces: Namespaces;
  /** Every host name that needs an HTTPS listener (all environments' hosts and the platform host). */
  readonly hosts: readonly string[];
  /** Domains of preview hosts (`<branch>.<domain>`): one wildcard certificate each when DNS-01 is configured. */
  readonly previewDomains: readonly string[];
  /** Host carrying platform services; needed for `/git`. @default - none */
  readonly platformHost?: string;
  /** @default - the pins `envoy-gateway`, `cert-manager`, `ingress-nginx` of config/versions.yaml */
  readonly envoyGatewayChart?: ChartPin;
  readonly certManagerChart?: ChartPin;
  readonly ingressNginxChart?: ChartPin;
  /** The cluster's addresses, for the API server allows of the edge's namespaces. @default - the API server's port on any address */
  readonly clusterAddresses?: ClusterAddresses;
}

/** The edge's settings with every default applied. */
type EdgeSettings = ReturnType<typeof edgeSettings>;

function edgeSettings(props: EdgeOptions) {
  const d = EDGE_DEFAULTS;
  const gitlab = props.gitlab ?? {};
  return {
    controller: props.controller ?? d.controller,
    nodePorts: withDefaults(d.nodePorts, props.nodePorts ?? {}),
    proxyProtocol: props.proxyProtocol ?? d.proxyProtocol,
    proxy: withDefaults({ workload: d.proxy.workload as 'DaemonSet' | 'Deployment', replicas: undefined as number | undefined }, props.proxy ?? {}),
    tls: withDefaults({ issuer: d.tls.issuer as TlsIssuer, issuerOverrides: {} as Readonly<Record<string, TlsIssuer>> }, props.tls ?? {}),
    hsts: withDefaults(d.hsts, props.hsts ?? {}),
    maxRequestBodySize: props.maxRequestBodySize ?? d.maxRequestBodySize,
    gitlab: {
      enabled: gitlab.enabled ?? d.gitlab.enabled,
      service: withDefaults(d.gitlab.service, gitlab.service ?? {}),
      maxRequestBodySize: gitlab.maxRequestBodySize ?? d.gitlab.maxRequestBodySize,
    },
  };
}

/** How one route set becomes objects for the configured controller. */
type Renderer = (scope: Construct, routes: RouteSet, name: string, cert: PlannedCertificate, maxRequestBodySize: string) => void;

/**
 * The single way into the platform (the OCF design): one NodePort Service, fronted by the
 * control-plane TCP proxy, in front of Envoy Gateway (default) or the retired ingress-nginx.
 * Routes from every environment and platform service come through `addRoutes`, which renders
 * them for the configured controller, admits the entry point (and only it) to the backends' pods,
 * and refuses two owners claiming the same host and path.
 */
export class EdgeTier extends PlatformChart implements RouteRegistry {
  public readonly entryPoint: EntryPoint;
  /** What the hosts' TCP proxy forwards 80/443 to: the entry point's NodePorts, and whether it speaks the PROXY protocol. */
  public readonly forwarding: { readonly nodePorts: { readonly http: number; readonly https: number }; readonly proxyProtocol: boolean };
  /** The certificates the entry point serves. */
  public readonly tls: TlsPlan;
  private readonly config: EdgeSettings;
  private readonly renderer: Renderer;
  private readonly certManager: EdgeCertManager;
  /** `host path` → who claimed it, for the duplicate check. */
  private readonly claims = new Map<string, string>();
  /** `namespace/name` of rendered routes → owner. */
  private readonly routeNames = new Map<string, string>();
  /** Policies already rendered into a scope (several route sets may share one). */
  private readonly admitted = new WeakMap<Construct, Set<string>>();
  private readonly authSecrets = new Set<string>();

  constructor(scope: Construct, id: string, props: EdgeTierProps) {
    super(scope, id);
    const { namespaces } = props;
    const config = (this.config = edgeSettings(props));
    this.forwarding = { nodePorts: { ...config.nodePorts }, proxyProtocol: config.proxyProtocol };
    this.tls = planTls({ hosts: props.hosts, previewDomains: props.previewDomains, tls: config.tls });
    for (const w of this.tls.warnings) warn(w.id, w.message, this);
    const workload = config.proxy.workload === 'DaemonSet' ? ProxyWorkload.DAEMON_SET : ProxyWorkload.DEPLOYMENT;
    const common = { nodePorts: config.nodePorts, proxyProtocol: config.proxyProtocol, workload, replicas: config.proxy.replicas };
    const waves = EDGE_WAVES;
    const hsts =
      config.hsts.maxAgeSeconds > 0 ? `max-age=${config.hsts.maxAgeSeconds}${config.hsts.includeSubDomains ? '; includeSubDomains' : ''}` : undefined;
    const bodyLimit = (size: string) => (size === '0' ? undefined : size);
    let peer: NamespacePeer;

    if (config.controller === 'envoy-gateway') {
      namespaces.add(ENVOY_GATEWAY_NAMESPACE, {
        podSecurity: PodSecurityLevel.RESTRICTED,
        podSecurityReason:
          'restricted is enough: Envoy runs as uid 65532 and listens on unprivileged container ports (80/443 become 10080/10443), exposed through a NodePort Service rather than host ports',
      });
      const gateway = new EdgeGateway(this, 'EnvoyGateway', {
        ...common,
        ...waves,
        certificates: this.tls.certificates,
        routeNamespaceLabels: this.namespaceLabels(),
        chart: props.envoyGatewayChart,
        clusterAddresses: props.clusterAddresses,
      });
      peer = gateway.peer;
      // The Gateway's Certificates, and so their HTTP-01 solvers, live in its namespace.
      if (this.tls.certificates.some((c) => !c.wildcard)) allowImages(this, ENVOY_GATEWAY_NAMESPACE, [ACME_SOLVER_IMAGE]);
      this.certManager = this.addCertManager(props, { gateway: gateway.http01Listener }, true);
      this.renderer = (s, routes, name, _cert, size) =>
        new HttpRoutes(s, `EdgeRoutes-${routes.namespace}-${name}`, {
          routes,
          name,
          gateway: { name: GATEWAY_NAME, namespace: ENVOY_GATEWAY_NAMESPACE },
          hsts,
          maxRequestBodySize: bodyLimit(size),
          syncWave: routes.syncWave,
        });
    } else {
      const pin = props.ingressNginxChart ?? pinnedChart('ingress-nginx');
      warn(
        'platform:edge:ingressNginxRetired',
        `edge.controller is ingress-nginx, which the Kubernetes project retired in March 2026 (no security fixes since); its final chart ${pin.version} is pinned for compatibility only: switch to envoy-gateway, the default`,
        this,
      );
      namespaces.add(INGRESS_NGINX_NAMESPACE, {
        podSecurity: PodSecurityLevel.RESTRICTED,
        // Checked on the rendered chart by `npm run validate`.
        podSecurityReason:
          'restricted is enough: chart 4.15.1 runs the controller non-root with allowPrivilegeEscalation false, all capabilities dropped but NET_BIND_SERVICE, and seccomp RuntimeDefault',
      });
      const nginx = new EdgeIngressNginx(this, 'IngressNginx', {
        ...common,
        ...waves,
        hstsMaxAgeSeconds: config.hsts.maxAgeSeconds,
        hstsIncludeSubDomains: config.hsts.includeSubDomains,
        wildcards: this.tls.certificates.filter((c) => c.wildcard),
        chart: pin,
        backendNamespaceLabels: this.namespaceLabels(),
        clusterAddresses: props.clusterAddresses,
      });
      peer = nginx.peer;
      this.certManager = this.addCertManager(props, { ingressClassName: INGRESS_CLASS }, false);
      this.renderer = (s, routes, name, cert, size) => {
        new IngressRoutes(s, `EdgeRoutes-${routes.namespace}-${name}`, {
          routes,
          name,
          ingressClassName: INGRESS_CLASS,
          maxRequestBodySize: bodyLimit(size),
          syncWave: routes.syncWave,
          tls: cert.wildcard ? 'default-certificate' : { secretName: tlsSecretName(routes.host), clusterIssuer: cert.issuer },
        });
        // ingress-shim solves HTTP-01 in the route's namespace: the controller must reach the solver pod there.
        if (!cert.wildcard && cert.issuer !== 'self-signed') {
          this.admit(s, { ...ACME_SOLVER, namespace: routes.namespace });
          allowImages(s, routes.namespace, [ACME_SOLVER_IMAGE]);
        }
      };
    }
    this.entryPoint = { peer, namespaceLabels: this.namespaceLabels() };

    if (config.gitlab.enabled) this.addGitlabRoute(props.platformHost);
  }

  /** Secrets the edge references but never synthesizes (`namespace/name`): DNS provider credentials, basic-auth files. */
  public get externalSecrets(): string[] {
    return [...new Set([...this.certManager.externalSecrets, ...this.authSecrets])].sort();
  }

  public addRoutes(scope: Construct, routes: RouteSet): void {
    this.render(scope, routes, routes.maxRequestBodySize ?? this.config.maxRequestBodySize, true);
  }

  private render(scope: Construct, routes: RouteSet, maxRequestBodySize: string, admitEntryPoint: boolean): void {
    const cert = this.certificateFor(routes.host);
    if (!cert) {
      throw new Error(
        `edge: ${routes.owner} routes host "${routes.host}", which has no HTTPS listener; add it to EdgeTierProps.hosts (hosts: ${this.tls.certificates.map((c) => c.hostname).join(', ')})`,
      );
    }
    if (routes.backends.length === 0) throw new Error(`edge: ${routes.owner} adds a route set for "${routes.host}" without backends`);
    for (const b of routes.backends) {
      if (!b.path.startsWith('/')) throw new Error(`edge: ${routes.owner} routes path "${b.path}" on ${routes.host}; paths start with "/"`);
      if (b.pods.namespace !== routes.namespace) {
        throw new Error(
          `edge: ${routes.owner} routes ${b.path} to pods in namespace ${b.pods.namespace}, outside its route namespace ${routes.namespace}; a route and its Service share a namespace`,
        );
      }
    }
    this.claim(routes);

    const name = routeName(routes.owner);
    const key = `${routes.namespace}/${name}`;
    const previous = this.routeNames.get(key);
    if (previous) throw new Error(`edge: ${routes.owner} and ${previous} both become route ${key}; give them distinct owners`);
    this.routeNames.set(key, routes.owner);
    if (routes.auth) {
      this.authSecrets.add(`${routes.namespace}/${routes.auth.secretName}`);
      requireSecrets(scope, [`${routes.namespace}/${routes.auth.secretName}`]);
    }

    this.renderer(scope, routes, name, cert, maxRequestBodySize);
    if (admitEntryPoint) for (const b of routes.backends) this.admit(scope, b.pods);
  }

  /** Records every host+path of `routes`, refusing one that another owner (or backend) claimed first. */
  private claim(routes: RouteSet): void {
    const pending = new Map<string, string>();
    for (const b of routes.backends) {
      const path = b.path.replace(/\/+$/, '') || '/';
      const key = `${routes.host}${path}`;
      const claimant = `${routes.owner} (service ${b.serviceName})`;
      const first = this.claims.get(key) ?? pending.get(key);
      if (first) {
        throw new Error(`edge: ${key} is claimed by both ${first} and ${claimant}; two routes cannot share a host and path: change one of them`);
      }
      pending.set(key, claimant);
    }
    for (const [key, claimant] of pending) this.claims.set(key, claimant);
  }

  /** The entry point's NetworkPolicy to `pods` on their ports, once per scope. */
  private admit(scope: Construct, pods: Server): void {
    const done = this.admitted.get(scope) ?? new Set<string>();
    this.admitted.set(scope, done);
    const key = `${pods.namespace}/${pods.name}`;
    if (done.has(key)) return;
    done.add(key);
    // A plain Construct keeps construct ids unique when pod groups of the same name live in several namespaces.
    allowIngress(new Construct(scope, `EdgeEntry-${pods.namespace}-${pods.name}`), this.entryPoint.peer, pods);
  }

  private certificateFor(host: string): PlannedCertificate | undefined {
    return (
      this.tls.certificates.find((c) => !c.wildcard && c.hostname === host) ??
      this.tls.certificates.find((c) => c.wildcard && previewDomainOf(host, [c.hostname.slice(2)]) !== undefined)
    );
  }

  private namespaceLabels(): Record<string, string> {
    return { [LABEL.gatewayAccess]: 'true' };
  }

  private addCertManager(
    props: EdgeTierProps,
    http01: { gateway: { name: string; namespace: string; sectionName: string } } | { ingressClassName: string },
    gatewayApi: boolean,
  ) {
    props.namespaces.add(CERT_MANAGER_NAMESPACE, {
      podSecurity: PodSecurityLevel.RESTRICTED,
      podSecurityReason: 'restricted: the cert-manager chart runs every pod non-root with seccomp RuntimeDefault and no capabilities',
    });
    return new EdgeCertManager(this, 'CertManager', {
      chart: props.certManagerChart,
      http01,
      gatewayApi,
      acmeEmail: this.config.tls.acmeEmail,
      dns01: this.config.tls.dns01,
      dns01Zones: this.tls.certificates.filter((c) => c.wildcard).map((c) => c.hostname.slice(2)),
      caCommonName: 'platform internal CA',
      // cert-manager's Gateway API support needs the Gateway API CRDs, which the Envoy Gateway chart brings.
      syncWave: WAVE.dependentOperators,
      resourceWave: WAVE.platform,
      clusterAddresses: props.clusterAddresses,
    });
  }

  /** `/git` to an existing GitLab: no NetworkPolicy, since one would isolate GitLab's pods in a namespace we do not manage. */
  private addGitlabRoute(host: string | undefined): void {
    const { service, maxRequestBodySize } = this.config.gitlab;
    if (!host) throw new Error('edge.gitlab: routing /git needs the platform host; set edge.platformHost (or pass EdgeTierProps.platformHost)');
    if (this.config.controller === 'envoy-gateway') {
      warn(
        'platform:edge:gitlabNamespaceLabel',
        `edge.gitlab routes /git into namespace ${service.namespace}, which this project does not create: label it ${LABEL.gatewayAccess}=true so the Gateway admits the route`,
        this,
      );
    }
    const pods: Server = { name: 'gitlab', namespace: service.namespace, selector: {}, ports: [{ port: service.port }] };
    this.render(
      this,
      {
        owner: 'gitlab',
        host,
        namespace: service.namespace,
        backends: [{ path: '/git', serviceName: service.name, port: service.port, pods }],
        requestTimeoutSeconds: GITLAB_REQUEST_TIMEOUT_SECONDS,
        syncWave: WAVE.edge,
      },
      maxRequestBodySize,
      false,
    );
  }
}

/** `berkeleytime/preview-x` → `berkeleytime-preview-x`: a DNS label, short enough for the policy-name suffixes. */
function routeName(owner: string): string {
  return (
    owner
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .slice(0, 50)
      .replace(/^-+|-+$/g, '') || 'routes'
  );
}
