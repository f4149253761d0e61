import { Construct } from 'constructs';
import { BackendTrafficPolicy, BackendTrafficPolicySpecRequestBufferLimit, SecurityPolicy } from '../imports/gateway.envoyproxy.io';
import { HttpRoute, HttpRouteSpecRulesFiltersType, HttpRouteSpecRulesMatchesPathType } from '../imports/gateway.networking.k8s.io';
import { RouteSet } from '../lib/contracts';
import { routeAnnotations } from '../lib/argocd';
import { byOrdinal } from '../lib/order';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

export interface HttpRoutesProps {
  readonly routes: RouteSet;
  /** Name of the HTTPRoute (and prefix of its policies). */
  readonly name: string;
  /** The shared Gateway the route attaches to. */
  readonly gateway: { readonly name: string; readonly namespace: string };
  /** `Strict-Transport-Security` value set on every response. @default - no header */
  readonly hsts?: string;
  /** Largest request body, as a quantity (`10Mi`); larger requests get 413. @default - unlimited */
  readonly maxRequestBodySize?: string;
  /** Argo CD sync wave of the route and its policies. @default - none (wave 0) */
  readonly syncWave?: number;
}

/**
 * One route set as Gateway API objects: an HTTPRoute for its host with a PathPrefix rule per
 * backend, and the Envoy Gateway policies that apply to it alone (basic auth, body limit).
 * @see https://gateway-api.sigs.k8s.io/api-types/httproute/
 * @see https://gateway.envoyproxy.io/docs/tasks/security/basic-auth/
 */
export class HttpRoutes extends Construct {
  public readonly route: HttpRoute;

  constructor(scope: Construct, id: string, props: HttpRoutesProps) {
    super(scope, id);
    const { routes, name } = props;
    const meta = (n: string) => ({ name: n, namespace: routes.namespace, annotations: routeAnnotations(props.syncWave) });
    const filters = props.hsts
      ? [
          {
            type: HttpRouteSpecRulesFiltersType.RESPONSE_HEADER_MODIFIER,
            responseHeaderModifier: { set: [{ name: 'Strict-Transport-Security', value: props.hsts }] },
          },
        ]
      : undefined;

    this.route = new HttpRoute(this, 'Resource', {
      metadata: meta(name),
      spec: {
        parentRefs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: props.gateway.name, namespace: props.gateway.namespace }],
        hostnames: [routes.host],
        // Longest prefix wins regardless of order; sorted only so the output is stable.
        rules: [...routes.backends]
          .sort((a, b) => byOrdinal(a.path, b.path))
          .map((b) => ({
            matches: [{ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: b.path } }],
            backendRefs: [{ group: '', kind: 'Service', name: b.serviceName, port: b.port }],
            // Envoy Gateway's default is 15s (gateway.envoyproxy.io/docs/tasks/traffic/http-timeouts/).
            ...(routes.requestTimeoutSeconds !== undefined ? { timeouts: { request: `${routes.requestTimeoutSeconds}s` } } : {}),
            ...(filters ? { filters } : {}),
          })),
      },
    });
    const targetRefs = [{ group: GATEWAY_GROUP, kind: 'HTTPRoute', name }];

    if (routes.auth) {
      new SecurityPolicy(this, 'Auth', {
        metadata: meta(`${name}-basic-auth`),
        spec: { targetRefs, basicAuth: { users: { group: '', kind: 'Secret', name: routes.auth.secretName } } },
      });
    }
    if (props.maxRequestBodySize) {
      // Buffering the whole request is Envoy's way to enforce a body limit (413 Content Too Large).
      new BackendTrafficPolicy(this, 'BodyLimit', {
        metadata: meta(`${name}-body-limit`),
        spec: { targetRefs, requestBuffer: { limit: BackendTrafficPolicySpecRequestBufferLimit.fromString(props.maxRequestBodySize) } },
      });
    }
  }
}
