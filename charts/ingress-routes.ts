import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { routeAnnotations } from '../lib/argocd';
import { RouteSet } from '../lib/contracts';
import { ANNOTATION } from '../lib/labels';
import { byOrdinal } from '../lib/order';

export interface IngressRoutesProps {
  readonly routes: RouteSet;
  /** Name of the Ingress. */
  readonly name: string;
  readonly ingressClassName: string;
  /**
   * TLS for the host: a Secret that cert-manager fills from `clusterIssuer` (ingress-shim), or
   * neither, when the controller's default (wildcard) certificate serves the host.
   */
  readonly tls: { readonly secretName: string; readonly clusterIssuer: string } | 'default-certificate';
  /** Largest request body, as a quantity (`10Mi`). @default - unlimited */
  readonly maxRequestBodySize?: string;
  /** Argo CD sync wave of the Ingress. @default - none (wave 0) */
  readonly syncWave?: number;
}

/** `10Mi` → `10m`: nginx sizes use binary k/m/g suffixes. */
export function nginxSize(quantity: string): string {
  const m = /^([0-9]+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!m) throw new Error(`edge: "${quantity}" is not a byte size such as "10Mi" that nginx can express`);
  return `${m[1]}${{ Ki: 'k', Mi: 'm', Gi: 'g' }[m[2] as 'Ki' | 'Mi' | 'Gi'] ?? ''}`;
}

/**
 * One route set as a classic `networking.k8s.io/v1` Ingress for the retired ingress-nginx controller:
 * the same host, paths (Prefix) and backends as the HTTPRoute form, with cert-manager's annotation
 * for TLS and nginx annotations for basic auth and the body limit.
 * @see https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/
 * @see https://cert-manager.io/docs/usage/ingress/
 */
export class IngressRoutes extends Construct {
  public readonly ingress: k8s.KubeIngress;

  constructor(scope: Construct, id: string, props: IngressRoutesProps) {
    super(scope, id);
    const { routes } = props;
    const annotations: Record<string, string> = {
      ...routeAnnotations(props.syncWave),
      // 0 switches nginx's default 1m limit off.
      'nginx.ingress.kubernetes.io/proxy-body-size': props.maxRequestBodySize ? nginxSize(props.maxRequestBodySize) : '0',
      // nginx's timeouts count between two reads or writes (60s by default), not the whole request.
      ...(routes.requestTimeoutSeconds !== undefined
        ? {
            'nginx.ingress.kubernetes.io/proxy-read-timeout': String(routes.requestTimeoutSeconds),
            'nginx.ingress.kubernetes.io/proxy-send-timeout': String(routes.requestTimeoutSeconds),
          }
        : {}),
      // ingress-shim makes the Certificate; a temporary one serves HTTPS until it is issued.
      ...(props.tls !== 'default-certificate'
        ? { 'cert-manager.io/cluster-issuer': props.tls.clusterIssuer, [ANNOTATION.issueTemporaryCertificate]: 'true' }
        : {}),
      ...(routes.auth
        ? {
            'nginx.ingress.kubernetes.io/auth-type': 'basic',
            'nginx.ingress.kubernetes.io/auth-secret': routes.auth.secretName,
            'nginx.ingress.kubernetes.io/auth-secret-type': 'auth-file',
            'nginx.ingress.kubernetes.io/auth-realm': 'Authentication required',
          }
        : {}),
    };
    this.ingress = new k8s.KubeIngress(this, 'Resource', {
      metadata: { name: props.name, namespace: routes.namespace, annotations },
      spec: {
        ingressClassName: props.ingressClassName,
        tls: [{ hosts: [routes.host], ...(props.tls !== 'default-certificate' ? { secretName: props.tls.secretName } : {}) }],
        rules: [
          {
            host: routes.host,
            http: {
              paths: [...routes.backends]
                .sort((a, b) => byOrdinal(a.path, b.path))
                .map((b) => ({
                  path: b.path,
                  pathType: 'Prefix',
                  backend: { service: { name: b.serviceName, port: { number: b.port } } },
                })),
            },
          },
        ],
      },
    });
  }
}
