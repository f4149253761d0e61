/**
 * What each kind's health waits on, as data. Argo CD (v3.5.1) decides health with built-in Go checks
 * (`gitops-engine/pkg/health/health_*.go`) and Lua scripts (`resource_customizations/<group>/<Kind>/health.lua`);
 * a kind with neither is healthy as soon as it is applied. A sync wave that holds an object which is not
 * yet healthy waits; an object that turns Degraded fails the sync (gitops-engine `pkg/sync/sync_context.go`).
 * Each rule names its upstream file, says when Argo CD calls the kind Healthy, and lists what that needs
 * from other objects, so the plan can place everything after what it waits on.
 */
import { PlanObject } from './plan-object';

export interface Ref {
  readonly group: string;
  readonly kind: string;
  /** '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
}

export type Prereq =
  /** The object must be healthy. */
  | { readonly type: 'healthy'; readonly ref: Ref; readonly why: string }
  /** The object must exist (be applied). */
  | { readonly type: 'exists'; readonly ref: Ref; readonly why: string }
  /** A Secret must exist: applied, declared as created outside the manifests, or produced by an operator. */
  | { readonly type: 'secret'; readonly namespace: string; readonly name: string; readonly why: string }
  /** A StorageClass (the default one when `name` is undefined) must exist and its provisioner's backend be healthy. */
  | { readonly type: 'storageClass'; readonly name: string | undefined; readonly why: string }
  /** The pods behind a Service must be ready (a run-to-completion pod that calls it fails otherwise). */
  | { readonly type: 'serviceReady'; readonly namespace: string; readonly name: string; readonly why: string };

export interface HealthRule {
  readonly group: string;
  readonly kind: string;
  /** The Argo CD v3.5.1 file that decides this kind's health. */
  readonly source: string;
  readonly healthyWhen: string;
  readonly waitsOn: (o: PlanObject) => Prereq[];
  /** Healthy as soon as it exists, as the platform uses it (no LoadBalancer Services, no failed CronJob runs yet). @default false */
  readonly instant?: boolean;
}

const GO = 'gitops-engine/pkg/health/';
const LUA = (gk: string) => `resource_customizations/${gk}/health.lua`;

const ref = (group: string, kind: string, namespace: string, name: string): Ref => ({ group, kind, namespace, name });

/** What a pod spec needs before its containers can start: claims, Secrets, ConfigMaps, its ServiceAccount. */
function podSpecPrereqs(spec: any, namespace: string, what: string): Prereq[] {
  if (!spec) return [];
  const out: Prereq[] = [];
  const secret = (name: unknown, field: string) => {
    if (typeof name === 'string' && name) out.push({ type: 'secret', namespace, name, why: `${what} ${field}` });
  };
  const configMap = (name: unknown, field: string) => {
    if (typeof name === 'string' && name) out.push({ type: 'exists', ref: ref('', 'ConfigMap', namespace, name), why: `${what} ${field}` });
  };
  for (const volume of spec.volumes ?? []) {
    if (volume.persistentVolumeClaim?.claimName) {
      out.push({
        type: 'healthy',
        ref: ref('', 'PersistentVolumeClaim', namespace, volume.persistentVolumeClaim.claimName),
        why: `${what} volume ${volume.name}`,
      });
    }
    if (volume.secret && !volume.secret.optional) secret(volume.secret.secretName, `volume ${volume.name}`);
    if (volume.configMap && !volume.configMap.optional) configMap(volume.configMap.name, `volume ${volume.name}`);
    for (const source of volume.projected?.sources ?? []) {
      if (source.secret && !source.secret.optional) secret(source.secret.name, `volume ${volume.name}`);
      if (source.configMap && !source.configMap.optional) configMap(source.configMap.name, `volume ${volume.name}`);
    }
  }
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const env of container.env ?? []) {
      const s = env.valueFrom?.secretKeyRef;
      if (s && !s.optional) secret(s.name, `container ${container.name} env ${env.name}`);
      const c = env.valueFrom?.configMapKeyRef;
      if (c && !c.optional) configMap(c.name, `container ${container.name} env ${env.name}`);
    }
    for (const from of container.envFrom ?? []) {
      if (from.secretRef && !from.secretRef.optional) secret(from.secretRef.name, `container ${container.name} envFrom`);
      if (from.configMapRef && !from.configMapRef.optional) configMap(from.configMapRef.name, `container ${container.name} envFrom`);
    }
  }
  for (const pull of spec.imagePullSecrets ?? []) secret(pull.name, 'imagePullSecrets');
  const account = spec.serviceAccountName ?? spec.serviceAccount;
  if (typeof account === 'string' && account && account !== 'default') {
    out.push({ type: 'exists', ref: ref('', 'ServiceAccount', namespace, account), why: `${what} serviceAccountName` });
  }
  return out;
}

/**
 * Services a pod calls: `name.namespace.svc[.cluster-domain]` host names in its env values, and in URLs
 * (`scheme://host`) of its command and arguments. A bare name in an argument is often something else
 * (a certificate's subject names), so only URLs count there.
 */
export function calledServices(spec: any): Prereq[] {
  const found = new Map<string, Prereq>();
  const host = /\b([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc\b/g;
  const url = /[a-z][a-z0-9+.-]*:\/\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc\b/g;
  for (const container of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    const add = (m: RegExpMatchArray) => {
      const [name, ns] = [m[1], m[3]];
      found.set(`${ns}/${name}`, { type: 'serviceReady', namespace: ns, name, why: `container ${container.name} calls ${name}.${ns}.svc` });
    };
    for (const env of container.env ?? []) if (typeof env.value === 'string') for (const m of env.value.matchAll(host)) add(m);
    for (const arg of [...(container.command ?? []), ...(container.args ?? [])]) if (typeof arg === 'string') for (const m of arg.matchAll(url)) add(m);
  }
  return [...found.values()];
}

const podTemplate = (o: PlanObject) => podSpecPrereqs(o.object.spec?.template?.spec, o.namespace, 'pod template');

/** StatefulSets create one claim per template; each needs its StorageClass's provisioner. */
function claimTemplates(templates: any[] | undefined, what: string): Prereq[] {
  return (templates ?? []).map(
    (t: any) => ({ type: 'storageClass', name: t?.spec?.storageClassName, why: `${what} claim template ${t?.metadata?.name}` }) as Prereq,
  );
}

/** cert-manager issues a temporary certificate into the Secret at once when asked to, before ACME completes. */
export const TEMPORARY_CERTIFICATE = 'cert-manager.io/issue-temporary-certificate';

export const HEALTH_RULES: readonly HealthRule[] = [
  {
    group: 'apps',
    kind: 'Deployment',
    source: `${GO}health_deployment.go`,
    healthyWhen: 'the rollout is complete and the updated replicas are available',
    waitsOn: podTemplate,
  },
  {
    group: 'apps',
    kind: 'StatefulSet',
    source: `${GO}health_statefulset.go`,
    healthyWhen: 'every replica is ready at the current revision',
    waitsOn: (o) => [...podTemplate(o), ...claimTemplates(o.object.spec?.volumeClaimTemplates, 'StatefulSet')],
  },
  {
    group: 'apps',
    kind: 'DaemonSet',
    source: `${GO}health_daemonset.go`,
    healthyWhen: 'every scheduled pod is updated and available',
    waitsOn: podTemplate,
  },
  {
    group: 'apps',
    kind: 'ReplicaSet',
    source: `${GO}health_replicaset.go`,
    healthyWhen: 'the available replicas reach the desired count',
    waitsOn: podTemplate,
  },
  {
    group: 'batch',
    kind: 'Job',
    source: `${GO}health_job.go`,
    healthyWhen: 'the Job completed (a failed Job is Degraded)',
    // A run-to-completion pod fails when a service it calls is not up yet, and a failed Job stays failed.
    waitsOn: (o) => [...podTemplate(o), ...calledServices(o.object.spec?.template?.spec)],
  },
  {
    group: '',
    kind: 'Pod',
    source: `${GO}health_pod.go`,
    healthyWhen: 'the pod is running and ready (or succeeded)',
    waitsOn: (o) => podSpecPrereqs(o.object.spec, o.namespace, 'pod'),
  },
  {
    group: '',
    kind: 'PersistentVolumeClaim',
    source: `${GO}health_pvc.go`,
    healthyWhen: 'the claim is Bound (Pending is Progressing, Lost is Degraded)',
    waitsOn: (o) => [{ type: 'storageClass', name: o.object.spec?.storageClassName, why: 'spec.storageClassName' }],
  },
  {
    group: '',
    kind: 'Service',
    source: `${GO}health_service.go`,
    healthyWhen: 'at once, except a LoadBalancer, which waits for an ingress address',
    waitsOn: () => [],
    instant: true,
  },
  {
    group: 'apiregistration.k8s.io',
    kind: 'APIService',
    source: `${GO}health_apiservice.go`,
    healthyWhen: 'the Available condition is True',
    waitsOn: (o) => {
      const svc = o.object.spec?.service;
      return svc ? [{ type: 'serviceReady', namespace: svc.namespace, name: svc.name, why: 'spec.service' }] : [];
    },
  },
  {
    group: 'argoproj.io',
    kind: 'Application',
    source: 'argocd-cm resource.customizations.health.argoproj.io_Application (removed from the built-ins in Argo CD 1.8)',
    healthyWhen: 'its own sync finished and every resource it manages is healthy (resources annotated argocd.argoproj.io/ignore-healthcheck are left out)',
    waitsOn: () => [], // the plan follows the Application's own sync
  },
  {
    group: 'bitnami.com',
    kind: 'SealedSecret',
    source: LUA('bitnami.com/SealedSecret'),
    healthyWhen: 'the Sealed Secrets controller decrypted it into its Secret (Synced is True; no status yet is Progressing, Synced=False is Degraded)',
    // The controller's Application (the operators wave) is healthy before any later wave starts.
    waitsOn: () => [],
  },
  {
    group: 'batch',
    kind: 'CronJob',
    source: LUA('batch/CronJob'),
    healthyWhen: 'at once until a scheduled run fails',
    waitsOn: () => [],
    instant: true,
  },
  {
    group: 'cert-manager.io',
    kind: 'Certificate',
    source: LUA('cert-manager.io/Certificate'),
    healthyWhen: 'the Ready condition is True (Issuing is Progressing, Ready=False is Degraded)',
    waitsOn: (o) => {
      const issuer = o.object.spec?.issuerRef ?? {};
      const kind = issuer.kind ?? 'Issuer';
      return [
        { type: 'healthy', ref: ref(issuer.group ?? 'cert-manager.io', kind, kind === 'ClusterIssuer' ? '' : o.namespace, issuer.name), why: 'spec.issuerRef' },
      ];
    },
  },
  {
    group: 'cert-manager.io',
    kind: 'ClusterIssuer',
    source: LUA('cert-manager.io/ClusterIssuer'),
    healthyWhen: 'the Ready condition is True (an ACME issuer registers its account first)',
    waitsOn: (o) => issuerPrereqs(o, 'cert-manager'),
  },
  {
    group: 'cert-manager.io',
    kind: 'Issuer',
    source: LUA('cert-manager.io/Issuer'),
    healthyWhen: 'the Ready condition is True',
    waitsOn: (o) => issuerPrereqs(o, o.namespace),
  },
  {
    group: 'gateway.networking.k8s.io',
    kind: 'GatewayClass',
    source: LUA('gateway.networking.k8s.io/GatewayClass'),
    healthyWhen: 'its controller set Accepted=True',
    waitsOn: () => [],
  },
  {
    group: 'gateway.networking.k8s.io',
    kind: 'Gateway',
    source: LUA('gateway.networking.k8s.io/Gateway'),
    healthyWhen: 'Accepted and Programmed, and every listener ResolvedRefs=True (a listener whose certificate Secret is missing is Degraded)',
    waitsOn: (o) => {
      const spec = o.object.spec ?? {};
      const out: Prereq[] = [
        { type: 'healthy', ref: ref('gateway.networking.k8s.io', 'GatewayClass', '', spec.gatewayClassName), why: 'spec.gatewayClassName' },
      ];
      (spec.listeners ?? []).forEach((l: any) => {
        for (const cert of l.tls?.certificateRefs ?? []) {
          if ((cert.kind ?? 'Secret') === 'Secret')
            out.push({ type: 'secret', namespace: cert.namespace ?? o.namespace, name: cert.name, why: `listener ${l.name} certificateRefs` });
        }
      });
      const infra = spec.infrastructure?.parametersRef;
      if (infra) out.push({ type: 'exists', ref: ref(infra.group, infra.kind, o.namespace, infra.name), why: 'spec.infrastructure.parametersRef' });
      return out;
    },
  },
  {
    group: 'gateway.networking.k8s.io',
    kind: 'HTTPRoute',
    source: LUA('gateway.networking.k8s.io/HTTPRoute'),
    healthyWhen: 'every parent Gateway accepted it with ResolvedRefs=True (a missing backend Service is Degraded)',
    waitsOn: (o) => {
      const spec = o.object.spec ?? {};
      const out: Prereq[] = (spec.parentRefs ?? []).map(
        (p: any) =>
          ({
            type: 'healthy',
            ref: ref(p.group ?? 'gateway.networking.k8s.io', p.kind ?? 'Gateway', p.namespace ?? o.namespace, p.name),
            why: 'spec.parentRefs',
          }) as Prereq,
      );
      for (const rule of spec.rules ?? []) {
        for (const backend of rule.backendRefs ?? []) {
          if ((backend.kind ?? 'Service') === 'Service' && (backend.group ?? '') === '') {
            out.push({ type: 'exists', ref: ref('', 'Service', backend.namespace ?? o.namespace, backend.name), why: 'spec.rules.backendRefs' });
          }
        }
      }
      return out;
    },
  },
  {
    group: 'ceph.rook.io',
    kind: 'CephCluster',
    source: LUA('ceph.rook.io/CephCluster'),
    healthyWhen: 'Ceph reports HEALTH_OK and the cluster is Created (HEALTH_WARN is Degraded)',
    waitsOn: () => [],
  },
  {
    group: 'monitoring.coreos.com',
    kind: 'Prometheus',
    source: LUA('monitoring.coreos.com/Prometheus'),
    healthyWhen: 'the Available condition is True',
    waitsOn: (o) => {
      const template = o.object.spec?.storage?.volumeClaimTemplate;
      return template ? [{ type: 'storageClass', name: template.spec?.storageClassName, why: 'spec.storage.volumeClaimTemplate' }] : [];
    },
  },
  {
    group: 'monitoring.coreos.com',
    kind: 'Alertmanager',
    source: 'none in Argo CD v3.5.1 (healthy once applied)',
    healthyWhen: 'at once',
    waitsOn: () => [],
    instant: true,
  },
  {
    group: 'elasticsearch.k8s.elastic.co',
    kind: 'Elasticsearch',
    source: LUA('elasticsearch.k8s.elastic.co/Elasticsearch'),
    healthyWhen: 'every node is available and the cluster is green (yellow is Progressing)',
    waitsOn: (o) =>
      (o.object.spec?.nodeSets ?? []).flatMap((set: any) => [
        ...claimTemplates(
          set.volumeClaimTemplates?.length ? set.volumeClaimTemplates : [{ metadata: { name: 'elasticsearch-data' }, spec: {} }],
          `nodeSet ${set.name}`,
        ),
        ...podSpecPrereqs(set.podTemplate?.spec, o.namespace, `nodeSet ${set.name}`).filter((p) => p.type !== 'exists' || p.ref.kind !== 'ServiceAccount'),
      ]),
  },
  {
    group: 'kibana.k8s.elastic.co',
    kind: 'Kibana',
    source: 'none in Argo CD v3.5.1 (healthy once applied)',
    healthyWhen: 'at once',
    waitsOn: () => [],
    instant: true,
  },
  {
    group: 'beat.k8s.elastic.co',
    kind: 'Beat',
    source: LUA('beat.k8s.elastic.co/Beat'),
    healthyWhen: 'the Beat reports green health',
    waitsOn: (o) => {
      const es = o.object.spec?.elasticsearchRef;
      return es?.name
        ? [{ type: 'healthy', ref: ref('elasticsearch.k8s.elastic.co', 'Elasticsearch', es.namespace ?? o.namespace, es.name), why: 'spec.elasticsearchRef' }]
        : [];
    },
  },
  {
    group: 'snapshot.storage.k8s.io',
    kind: 'VolumeSnapshot',
    source: LUA('snapshot.storage.k8s.io/VolumeSnapshot'),
    healthyWhen: 'readyToUse is true',
    waitsOn: (o) => {
      const pvc = o.object.spec?.source?.persistentVolumeClaimName;
      return pvc ? [{ type: 'healthy', ref: ref('', 'PersistentVolumeClaim', o.namespace, pvc), why: 'spec.source.persistentVolumeClaimName' }] : [];
    },
  },
];

function issuerPrereqs(o: PlanObject, secretNamespace: string): Prereq[] {
  const spec = o.object.spec ?? {};
  if (spec.ca?.secretName) return [{ type: 'secret', namespace: secretNamespace, name: spec.ca.secretName, why: 'spec.ca.secretName' }];
  return [];
}

const BY_KIND = new Map(HEALTH_RULES.map((r) => [`${r.group}/${r.kind}`, r]));

/** The rule for a kind; undefined means Argo CD has no health check for it, so it is healthy once applied. */
export function healthRule(group: string, kind: string): HealthRule | undefined {
  return BY_KIND.get(`${group}/${kind}`);
}
