/**
 * The manifest validator against the real schemas in ../shared/schemas. Every check is shown passing on a clean
 * platform slice (`clean()`) and failing on one deliberate break of it, with the exact finding.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { Finding, formatFinding, SourceDocument, validateDocuments, validateTree, ValidateOptions } from '../lib/validate';
import { main } from '../lib/validate/cli';
import { runCli } from './helpers';
import { loadSchemaStore, pinnedSources, resolveSchemaLocation } from '../lib/validate/schema-store';
import { withoutDescriptions } from '../lib/validate/schema-bundle';

const FILE = 'shop.yaml';

/** One app namespace that passes every check: restricted pods, wired Service/routes/policy, config and storage. */
const CLEAN = `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: { pod-security.kubernetes.io/enforce: restricted }
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ceph-block
  annotations: { storageclass.kubernetes.io/is-default-class: "true" }
provisioner: rook-ceph.rbd.csi.ceph.com
reclaimPolicy: Retain
---
apiVersion: v1
kind: ConfigMap
metadata: { name: web-config, namespace: shop }
data: { LOG_LEVEL: info }
---
apiVersion: v1
kind: Secret
metadata: { name: web-db, namespace: shop }
type: Opaque
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: "25%" } }
  template:
    metadata: { labels: { app: web } }
    spec:
      securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: web
          image: registry.campus.example/web:1.0.0
          ports: [{ name: http, containerPort: 8080 }]
          envFrom: [{ configMapRef: { name: web-config } }]
          env: [{ name: DB_PASSWORD, valueFrom: { secretKeyRef: { name: web-db, key: password } } }]
          resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { cpu: 1, memory: 256Mi } }
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
          volumeMounts: [{ name: cache, mountPath: /cache }]
      volumes: [{ name: cache, emptyDir: {} }]
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: http }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web, namespace: shop }
spec:
  podSelector: { matchLabels: { app: web } }
  policyTypes: [Ingress]
  ingress: [{ ports: [{ port: 8080 }] }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny, namespace: shop }
spec: { podSelector: {}, policyTypes: [Ingress, Egress] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: shop }
spec:
  parentRefs: [{ name: edge, namespace: edge }]
  rules: [{ backendRefs: [{ name: web, port: 80 }] }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: web, namespace: shop }
spec:
  rules:
    - host: shop.campus.example
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { name: http } } } }] }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: shop }
spec:
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      securityContext: { runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: postgres
          image: postgres:17
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
          volumeMounts: [{ name: data, mountPath: /var/lib/postgresql/data }]
  volumeClaimTemplates:
    - metadata: { name: data }
      spec: { accessModes: [ReadWriteOnce], storageClassName: ceph-block, resources: { requests: { storage: 10Gi } } }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: uploads, namespace: shop }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
`;

function parse(text: string, file = FILE): SourceDocument[] {
  return yaml
    .loadAll(text, undefined, { schema: yaml.CORE_SCHEMA })
    .map((object, index) => ({ file, index, object }))
    .filter((doc) => doc.object);
}

/** A fresh copy of the clean slice, with `edit` applied to the named objects (`Kind/name`). */
function clean(edits: Record<string, (object: any) => void> = {}): SourceDocument[] {
  const docs = parse(CLEAN);
  for (const [id, edit] of Object.entries(edits)) {
    const doc = docs.find((d) => `${d.object.kind}/${d.object.metadata.name}` === id);
    if (!doc) throw new Error(`no ${id} in the clean slice`);
    edit(doc.object);
  }
  return docs;
}

function check(docs: SourceDocument[], opts?: ValidateOptions): Finding[] {
  return validateDocuments(docs, opts);
}

function found(document: string, path: string, message: string, file = FILE): Finding {
  return { file, document, path, message };
}

const pod = (d: any) => d.spec.template.spec;
const web = (d: any) => pod(d).containers[0];
const WEB = 'spec.template.spec.containers[0]';

test('the clean slice has no findings', () => {
  expect(check(clean())).toEqual([]);
});

test('uses the committed schema bundle by default: Kubernetes 1.28.0 and 1.36.0 plus the CRDs of the kinds we emit', () => {
  const configured = process.env.SCHEMA_LOCATION;
  delete process.env.SCHEMA_LOCATION;
  const location = resolveSchemaLocation();
  if (configured !== undefined) process.env.SCHEMA_LOCATION = configured;
  expect(location).toBe(path.resolve(__dirname, '../schemas'));
  const store = loadSchemaStore(location);
  expect([...store.kubernetes.keys()]).toEqual(['v1.28.0', 'v1.36.0']);
  expect(store.crds.has('argoproj.io/v1alpha1/Application')).toBe(true);
  expect(store.crds.has('elasticsearch.k8s.elastic.co/v1alpha1/Elasticsearch')).toBe(false); // not served
});

test('the bundle drops the description keyword, never a property named description', () => {
  const schema = {
    type: 'object',
    description: 'a thing',
    properties: { description: { type: 'string', description: 'the text' }, items: { type: 'array', items: { type: 'string', description: 'x' } } },
  };
  expect(withoutDescriptions(schema)).toEqual({
    type: 'object',
    properties: { description: { type: 'string' }, items: { type: 'array', items: { type: 'string' } } },
  });
});

test('the download fallback pins the cdk8s definitions and maps cdk8s.yaml imports to schema files', () => {
  const sources = pinnedSources('imports:\n  - https://raw.githubusercontent.com/rook/rook/v1.20.6/deploy/examples/crds.yaml\n  - /tmp/local.yaml\n');
  expect(sources.map((s) => s.file)).toEqual(['kubernetes/v1.28.0-definitions.json', 'kubernetes/v1.36.0-definitions.json', 'crds/rook-ceph.yaml']);
  expect(sources[0].urls[0]).toMatch(
    /^https:\/\/raw\.githubusercontent\.com\/cdk8s-team\/cdk8s\/[0-9a-f]{40}\/kubernetes-schemas\/v1\.28\.0\/_definitions\.json$/,
  );
});

describe('strict schemas', () => {
  test('unknown fields, at the top level and nested', () => {
    expect(
      check(
        clean({
          'Deployment/web': (d) => {
            d.spec.replica = 3;
            web(d).imagePullPolicyy = 'Always';
          },
        }),
      ),
    ).toEqual([
      found('Deployment/shop/web', 'spec.replica', 'unknown field "replica"'),
      found('Deployment/shop/web', `${WEB}.imagePullPolicyy`, 'unknown field "imagePullPolicyy"'),
    ]);
    expect(
      check(
        clean({
          'ConfigMap/web-config': (d) => {
            d.spec = {};
          },
        }),
      ),
    ).toEqual([found('ConfigMap/shop/web-config', 'spec', 'unknown field "spec"')]);
  });

  test('wrong types and missing required fields', () => {
    expect(
      check(
        clean({
          'Deployment/web': (d) => {
            d.spec.replicas = '2';
            delete web(d).name;
          },
        }),
      ),
    ).toEqual([
      found('Deployment/shop/web', 'spec.replicas', 'must be integer, got "2"'),
      found('Deployment/shop/web', `${WEB}.name`, 'required field is missing'),
    ]);
    expect(
      check(
        clean({
          'Secret/web-db': (d) => {
            d.data = { password: 'secret!' };
          },
        }),
      ),
    ).toEqual([
      found('Secret/shop/web-db', 'data', expect.stringMatching(/^a Secret with values in the tree \(password\); keep secret values out of git/)),
      found('Secret/shop/web-db', 'data.password', '"secret!" is not a valid base64 string'),
    ]);
  });

  test('int-or-string fields take a number or a name, nothing else', () => {
    const docs = clean({
      'Service/web': (d) => {
        d.spec.ports.push({ name: 'metrics', port: 9090, targetPort: 8080 });
      },
    });
    expect(check(docs)).toEqual([]);
    expect(
      check(
        clean({
          'Service/web': (d) => {
            d.spec.ports[0].targetPort = true;
          },
        }),
      ),
    ).toEqual([found('Service/shop/web', 'spec.ports[0].targetPort', 'must be string or integer, got true')]);
  });

  test('quantities follow the Kubernetes grammar', () => {
    expect(
      check(
        clean({
          'Deployment/web': (d) => {
            web(d).resources.limits.memory = '256MB';
          },
        }),
      ),
    ).toEqual([found('Deployment/shop/web', `${WEB}.resources.limits.memory`, '"256MB" is not a valid quantity (such as 500m, 2, 1.5Gi, 10G)')]);
  });

  test('unknown apiVersion/kind, and kinds only some Kubernetes versions serve', () => {
    const docs = parse(
      'apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: { name: old }\n---\napiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata: { name: gpu }\nspec: {}\n',
    );
    const [unknown, newer] = check(docs);
    expect(unknown).toMatchObject({ document: 'Deployment/old', path: '' });
    expect(unknown.message).toMatch(/^unknown apiVersion\/kind "apps\/v1beta1" Deployment: not in Kubernetes v1\.28\.0, v1\.36\.0 nor in a served CRD version/);
    expect(newer).toEqual(found('DeviceClass/gpu', 'apiVersion', 'resource.k8s.io/v1 DeviceClass is not served by Kubernetes v1.28.0'));
  });

  test('a problem found in only one Kubernetes version names it', () => {
    expect(
      check(
        clean({
          'Service/web': (d) => {
            d.spec.trafficDistribution = 'PreferClose';
          },
        }),
      ),
    ).toEqual([found('Service/shop/web', 'spec.trafficDistribution', 'unknown field "trafficDistribution" (Kubernetes v1.28.0)')]);
  });

  test('names must be DNS-1123 subdomains, labels for Services and Namespaces', () => {
    const docs = parse(`
apiVersion: v1
kind: ConfigMap
metadata: { name: Web_Config, namespace: shop }
---
apiVersion: v1
kind: Service
metadata: { name: web.v1, namespace: shop }
---
apiVersion: v1
kind: ConfigMap
metadata: { namespace: shop }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "campus:deployer" }
`);
    expect(check(docs).map((f) => [f.document, f.path, f.message.split(' (')[0]])).toEqual([
      ['ConfigMap/shop/(document 3)', 'metadata.name', 'required field is missing'],
      ['ConfigMap/shop/Web_Config', 'metadata.name', '"Web_Config" is not a DNS-1123 subdomain'],
      ['Service/shop/web.v1', 'metadata.name', '"web.v1" is not a DNS-1123 label'],
    ]);
  });
});

describe('CRD schemas', () => {
  const issuer = (solver: string) => `
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: { name: letsencrypt }
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    privateKeySecretRef: { name: letsencrypt-account }
    solvers: [{ ${solver}: { gatewayHTTPRoute: { parentRefs: [{ name: edge, namespace: edge }] } } }]
`;

  test('unknown fields in a custom resource', () => {
    expect(check(parse(issuer('http01')))).toEqual([]);
    expect(check(parse(issuer('http-01')))).toEqual([found('ClusterIssuer/letsencrypt', 'spec.acme.solvers[0].http-01', 'unknown field "http-01"')]);
  });

  test('x-kubernetes-preserve-unknown-fields allows free-form values, and only there', () => {
    const app = (values: string) =>
      parse(`
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: cert-manager, namespace: argocd }
spec:
  project: platform
  destination: { server: https://kubernetes.default.svc, namespace: cert-manager }
  source:
    repoURL: oci://quay.io/jetstack/charts
    chart: cert-manager
    targetRevision: v1.21.1
    helm: { ${values}: { crds: { enabled: true }, anything: [1, 2] } }
`);
    expect(check(app('valuesObject'))).toEqual([]);
    expect(check(app('valuesObjectt'))).toEqual([found('Application/argocd/cert-manager', 'spec.source.helm.valuesObjectt', 'unknown field "valuesObjectt"')]);
  });

  test('metadata of a custom resource is checked as ObjectMeta', () => {
    const docs = parse('apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: { name: ca, label: { a: b } }\nspec: { selfSigned: {} }\n');
    expect(check(docs)).toEqual([found('ClusterIssuer/ca', 'metadata.label', 'unknown field "label"')]);
  });

  test('Go-only regular expressions are applied, case-insensitively (prometheus-operator (?i) patterns)', () => {
    const rule = (strategy: string) =>
      parse(`
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: { name: web, namespace: shop }
spec: { groups: [{ name: web, partial_response_strategy: ${strategy}, rules: [{ alert: Down, expr: up == 0 }] }] }
`);
    expect(check(rule('WARN'))).toEqual([]);
    expect(check(rule('sometimes'))).toEqual([
      found('PrometheusRule/shop/web', 'spec.groups[0].partial_response_strategy', '"sometimes" does not match the pattern ^(?i)(abort|warn)?$'),
    ]);
  });

  test('nullable int-or-string without a type (rook quotas.maxSize)', () => {
    const user = (maxSize: string) =>
      parse(
        `apiVersion: ceph.rook.io/v1\nkind: CephObjectStoreUser\nmetadata: { name: u, namespace: rook-ceph }\nspec: { store: s3, quotas: { maxSize: ${maxSize} } }\n`,
      );
    expect(check(user('null'))).toEqual([]);
    expect(check(user('10Gi'))).toEqual([]);
    expect(check(user('[1]'))).toEqual([found('CephObjectStoreUser/rook-ceph/u', 'spec.quotas.maxSize', 'must be integer or string, got an array')]);
  });
});

describe('structural-schema extensions, through a custom schema location', () => {
  const CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.test.campus }
spec:
  group: test.campus
  names: { kind: Widget, plural: widgets }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                port: { type: string, format: int-or-string }
                note: { type: string, nullable: true }
                marker: { type: object }
                template:
                  type: object
                  x-kubernetes-embedded-resource: true
                  properties: { spec: { type: object, x-kubernetes-preserve-unknown-fields: true } }
    - { name: v1beta1, served: false, storage: false }
`;
  let location: string;
  beforeAll(() => {
    location = fs.mkdtempSync(path.join(os.tmpdir(), 'schemas-'));
    fs.mkdirSync(path.join(location, 'kubernetes'));
    fs.mkdirSync(path.join(location, 'crds'));
    fs.symlinkSync(path.join(resolveSchemaLocation(), 'kubernetes/v1.36.0-definitions.json'), path.join(location, 'kubernetes/v1.36.0-definitions.json'));
    fs.writeFileSync(path.join(location, 'crds/widgets.yaml'), `# leading empty document, as in rook-ceph.yaml\n---\n${CRD}`);
  });
  afterAll(() => fs.rmSync(location, { recursive: true, force: true }));

  const widget = (spec: string, apiVersion = 'test.campus/v1') =>
    parse(`apiVersion: ${apiVersion}\nkind: Widget\nmetadata: { name: w, namespace: shop }\nspec: ${spec}\n`);

  test('int-or-string format, nullable, embedded resources and empty objects', () => {
    const good = widget('{ port: 80, note: null, marker: {}, template: { apiVersion: v1, kind: Pod, metadata: { name: p }, spec: { any: 1 } } }');
    expect(check(good, { schemaLocation: location })).toEqual([]);
    expect(check(widget('{ port: http }'), { schemaLocation: location })).toEqual([]);
    const bad = widget('{ port: true, marker: { x: 1 }, template: { apiVersion: v1, metadata: { nam: p } } }');
    expect(check(bad, { schemaLocation: location })).toEqual([
      found('Widget/shop/w', 'spec.marker.x', 'unknown field "x"'),
      found('Widget/shop/w', 'spec.port', 'must be integer or string, got true'),
      found('Widget/shop/w', 'spec.template.kind', 'required field is missing'),
      found('Widget/shop/w', 'spec.template.metadata.nam', 'unknown field "nam"'),
    ]);
  });

  test('versions that are not served are unknown; SCHEMA_LOCATION selects the location', () => {
    process.env.SCHEMA_LOCATION = location;
    try {
      expect(check(widget('{}', 'test.campus/v1beta1'))).toEqual([
        found(
          'Widget/shop/w',
          '',
          `unknown apiVersion/kind "test.campus/v1beta1" Widget: not in Kubernetes v1.36.0 nor in a served CRD version in ${location}`,
        ),
      ]);
    } finally {
      delete process.env.SCHEMA_LOCATION;
    }
  });
});

describe('references', () => {
  test('a Service must select the pods of a workload in its namespace', () => {
    expect(
      check(
        clean({
          'Service/web': (d) => {
            d.spec.selector = { app: 'webb' };
          },
        }),
      ),
    ).toEqual([found('Service/shop/web', 'spec.selector', 'selects no pods: no workload in namespace "shop" has labels app=webb')]);
  });

  test('a Service targetPort must be a port the selected containers declare', () => {
    expect(
      check(
        clean({
          'Service/web': (d) => {
            d.spec.ports[0].targetPort = 9090;
          },
        }),
      ),
    ).toEqual([found('Service/shop/web', 'spec.ports[0].targetPort', 'targetPort 9090 is not a port of the selected containers (they declare: 8080 "http")')]);
    expect(
      check(
        clean({
          'Service/web': (d) => {
            d.spec.ports[0].targetPort = 8080;
          },
        }),
      ),
    ).toEqual([]);
  });

  test('Ingress backends must name an existing Service and one of its ports', () => {
    const backend = (d: any) => d.spec.rules[0].http.paths[0].backend.service;
    const path = 'spec.rules[0].http.paths[0].backend.service';
    expect(
      check(
        clean({
          'Ingress/web': (d) => {
            backend(d).name = 'api';
          },
        }),
      ),
    ).toEqual([found('Ingress/shop/web', path, 'Service "shop/api" is not in the documents')]);
    expect(
      check(
        clean({
          'Ingress/web': (d) => {
            backend(d).port = { number: 8080 };
          },
        }),
      ),
    ).toEqual([found('Ingress/shop/web', path, 'Service "shop/web" has no port 8080 (it has: 80 "http")')]);
  });

  test('HTTPRoute backendRefs must name an existing Service, in the route namespace unless set, and its port', () => {
    const ref = (d: any) => d.spec.rules[0].backendRefs[0];
    expect(
      check(
        clean({
          'HTTPRoute/web': (d) => {
            ref(d).port = 8080;
          },
        }),
      ),
    ).toEqual([found('HTTPRoute/shop/web', 'spec.rules[0].backendRefs[0]', 'Service "shop/web" has no port 8080 (it has: 80 "http")')]);
    expect(
      check(
        clean({
          'HTTPRoute/web': (d) => {
            ref(d).namespace = 'edge';
          },
        }),
      ),
    ).toEqual([found('HTTPRoute/shop/web', 'spec.rules[0].backendRefs[0]', 'Service "edge/web" is not in the documents')]);
    expect(
      check(
        clean({
          'HTTPRoute/web': (d) => {
            delete ref(d).port;
          },
        }),
      ),
    ).toEqual([
      // The Gateway API CRD's own CEL rule, as the API server reports it, and the reference check's.
      found('HTTPRoute/shop/web', 'spec.rules[0].backendRefs[0]', 'Must have port for Service reference (x-kubernetes-validations)'),
      found('HTTPRoute/shop/web', 'spec.rules[0].backendRefs[0].port', 'port is required when the backend is a Service'),
    ]);
  });

  test('PVCs must name an existing or declared StorageClass, or rely on a default one', () => {
    expect(
      check(
        clean({
          'StatefulSet/db': (d) => {
            d.spec.volumeClaimTemplates[0].spec.storageClassName = 'fast';
          },
        }),
      ),
    ).toEqual([
      found('StatefulSet/shop/db', 'spec.volumeClaimTemplates[0].spec.storageClassName', 'StorageClass "fast" is not in the documents and not declared'),
    ]);
    const noDefault = () =>
      clean({
        'StorageClass/ceph-block': (d) => {
          delete d.metadata.annotations;
        },
      });
    expect(check(noDefault())).toEqual([
      found(
        'PersistentVolumeClaim/shop/uploads',
        'spec.storageClassName',
        'not set, and no StorageClass is marked default (annotation storageclass.kubernetes.io/is-default-class: "true")',
      ),
    ]);
    expect(check(noDefault(), { declared: { storageClasses: ['local-path:default'] } })).toEqual([]);
    const declaredClass = clean({
      'PersistentVolumeClaim/uploads': (d) => {
        d.spec.storageClassName = 'nfs';
      },
    });
    expect(check(declaredClass, { declared: { storageClasses: ['nfs'] } })).toEqual([]);
  });

  test('ConfigMaps and Secrets used by pods must be in the documents or declared external', () => {
    const withoutSecret = () => clean().filter((d) => d.object.kind !== 'Secret');
    expect(check(withoutSecret())).toEqual([
      found('Deployment/shop/web', `${WEB}.env[0].valueFrom.secretKeyRef.name`, 'Secret "shop/web-db" is not in the documents and not declared external'),
    ]);
    expect(check(withoutSecret(), { declared: { secrets: ['shop/web-db'] } })).toEqual([]);
    // cert-manager writes a Certificate's secretName, so a pod may mount it.
    const certificate = parse(
      'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: { name: web, namespace: shop }\nspec: { secretName: web-db, dnsNames: [shop.campus.example], issuerRef: { name: letsencrypt, kind: ClusterIssuer } }\n',
    );
    expect(check([...withoutSecret(), ...certificate])).toEqual([]);

    const more = clean({
      'Deployment/web': (d) => {
        pod(d).imagePullSecrets = [{ name: 'registry' }];
        pod(d).volumes.push({ name: 'certs', projected: { sources: [{ secret: { name: 'tls' } }, { configMap: { name: 'ca', optional: true } }] } });
        web(d).envFrom.push({ configMapRef: { name: 'flags', optional: true } });
      },
    });
    expect(check(more).map((f) => f.path)).toEqual([
      'spec.template.spec.imagePullSecrets[0].name',
      'spec.template.spec.volumes[1].projected.sources[0].secret.name',
    ]);
  });

  test('a NetworkPolicy podSelector must select some pods; an empty one is the namespace default', () => {
    expect(
      check(
        clean({
          'NetworkPolicy/web': (d) => {
            d.spec.podSelector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] };
          },
        }),
      ),
    ).toEqual([
      found(
        'NetworkPolicy/shop/web',
        'spec.podSelector',
        'selects no pods: no workload in namespace "shop" matches {"matchExpressions":[{"key":"app","operator":"In","values":["api"]}]}',
      ),
    ]);
  });
});

describe('objects an operator creates (ECK)', () => {
  const ECK = `
apiVersion: elasticsearch.k8s.elastic.co/v1
kind: Elasticsearch
metadata: { name: logs, namespace: shop }
spec:
  version: 9.4.3
  nodeSets: [{ name: default, count: 1 }]
---
apiVersion: kibana.k8s.elastic.co/v1
kind: Kibana
metadata: { name: kibana, namespace: shop }
spec: { version: 9.4.3, count: 1, elasticsearchRef: { name: logs } }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: elasticsearch, namespace: shop }
spec:
  podSelector: { matchLabels: { elasticsearch.k8s.elastic.co/cluster-name: logs } }
  policyTypes: [Ingress]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: kibana, namespace: shop }
spec:
  rules: [{ backendRefs: [{ name: kibana-kb-http, port: 5601 }] }]
`;
  test('policies may select the pods ECK runs and routes may name the Services it creates', () => {
    expect(check([...clean(), ...parse(ECK, 'eck.yaml')])).toEqual([]);
  });

  test('a selector or route that matches nothing ECK creates is still a finding', () => {
    const broken = ECK.replace('cluster-name: logs', 'cluster-name: other').replace('port: 5601', 'port: 80');
    expect(check([...clean(), ...parse(broken, 'eck.yaml')])).toEqual([
      found('HTTPRoute/shop/kibana', 'spec.rules[0].backendRefs[0]', 'Service "shop/kibana-kb-http" has no port 80 (it has: 5601)', 'eck.yaml'),
      found(
        'NetworkPolicy/shop/elasticsearch',
        'spec.podSelector',
        'selects no pods: no workload in namespace "shop" matches {"matchLabels":{"elasticsearch.k8s.elastic.co/cluster-name":"other"}}',
        'eck.yaml',
      ),
    ]);
  });
});

describe('pod security', () => {
  const violation = (path: string, message: string, level = 'restricted', document = 'Deployment/shop/web') =>
    found(document, path, `violates Pod Security "${level}" of namespace "shop": ${message}`);

  test('every Namespace chooses a level, and a weaker level than restricted gives its reason', () => {
    expect(
      check(
        clean({
          'Namespace/shop': (d) => {
            delete d.metadata.labels;
          },
        }),
      ),
    ).toEqual([
      found(
        'Namespace/shop',
        'metadata.labels["pod-security.kubernetes.io/enforce"]',
        'required: choose the Pod Security level (privileged, baseline, restricted)',
      ),
    ]);
    const privileged = (annotations?: object) =>
      clean({
        'Namespace/shop': (d) => {
          d.metadata.labels['pod-security.kubernetes.io/enforce'] = 'privileged';
          d.metadata.annotations = annotations;
        },
      });
    expect(check(privileged())).toEqual([
      found(
        'Namespace/shop',
        'metadata.annotations["platform.campus/pod-security-reason"]',
        'required when the level is "privileged": say why the namespace cannot be restricted',
      ),
    ]);
    expect(check(privileged({ 'platform.campus/pod-security-reason': 'Ceph OSDs need raw block devices' }))).toEqual([]);
  });

  test('restricted: privilege escalation, root, capabilities and seccomp', () => {
    const docs = clean({
      'Deployment/web': (d) => {
        delete pod(d).securityContext;
        web(d).securityContext = { capabilities: { add: ['NET_BIND_SERVICE', 'CHOWN'] } };
      },
    });
    const sc = `${WEB}.securityContext`;
    expect(check(docs)).toEqual([
      violation(`${sc}.allowPrivilegeEscalation`, 'must be false'),
      violation(`${sc}.capabilities.add`, 'may not add CHOWN (allowed: NET_BIND_SERVICE)'),
      violation(`${sc}.capabilities.drop`, 'must include ALL'),
      violation(`${sc}.runAsNonRoot`, 'must be true (here or in the pod securityContext)'),
      violation(`${sc}.seccompProfile.type`, 'must be RuntimeDefault or Localhost (here or in the pod securityContext)'),
    ]);
  });

  test('restricted: host access and volume types', () => {
    const docs = clean({
      'Deployment/web': (d) => {
        pod(d).hostNetwork = true;
        pod(d).volumes.push({ name: 'logs', hostPath: { path: '/var/log' } }, { name: 'share', nfs: { server: 'nas', path: '/' } });
        web(d).ports[0].hostPort = 80;
        web(d).securityContext.privileged = true;
      },
    });
    expect(check(docs)).toEqual([
      violation(`${WEB}.ports[0].hostPort`, 'host ports are not allowed'),
      violation(`${WEB}.securityContext.privileged`, 'privileged containers are not allowed'),
      violation('spec.template.spec.hostNetwork', 'sharing host namespaces is not allowed'),
      violation('spec.template.spec.volumes[1].hostPath', 'hostPath volumes are not allowed'),
      violation(
        'spec.template.spec.volumes[2].nfs',
        'volume type "nfs" is not allowed (allowed: configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret)',
      ),
      // A host-network pod also escapes the namespace's NetworkPolicies, which the namespace must say.
      found(
        'Namespace/shop',
        'metadata.annotations.platform.campus/network-policy-exception',
        'is missing: Deployment/web runs in the host network, which NetworkPolicies do not govern; say so (and what its clients use instead)',
      ),
    ]);
  });

  test('baseline: the defaults pass, privilege and extra capabilities do not', () => {
    const baseline = (edit: (d: any) => void) =>
      clean({
        'Namespace/shop': (d) => {
          d.metadata.labels['pod-security.kubernetes.io/enforce'] = 'baseline';
          d.metadata.annotations = { 'platform.campus/pod-security-reason': 'vendor image runs as root' };
        },
        'Deployment/web': (d) => {
          delete pod(d).securityContext;
          delete web(d).securityContext;
          edit(d);
        },
      });
    expect(check(baseline(() => undefined))).toEqual([]);
    expect(
      check(
        baseline((d) => {
          web(d).securityContext = { privileged: true, capabilities: { add: ['CHOWN', 'NET_ADMIN'] } };
        }),
      ),
    ).toEqual([
      violation(
        `${WEB}.securityContext.capabilities.add`,
        'may not add NET_ADMIN (allowed: AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT)',
        'baseline',
      ),
      violation(`${WEB}.securityContext.privileged`, 'privileged containers are not allowed', 'baseline'),
    ]);
  });

  test('CronJob pod templates are checked; namespaces outside the documents are skipped', () => {
    const cronJob = (namespace: string) =>
      parse(
        `
apiVersion: batch/v1
kind: CronJob
metadata: { name: refresh, namespace: ${namespace} }
spec:
  schedule: "0 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
          containers: [{ name: refresh, image: registry.campus.example/web:1.0.0, securityContext: { capabilities: { drop: [ALL] } } }]
`,
        'cron.yaml',
      );
    expect(check([...clean(), ...cronJob('shop')])).toEqual([
      {
        ...violation(
          'spec.jobTemplate.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation',
          'must be false',
          'restricted',
          'CronJob/shop/refresh',
        ),
        file: 'cron.yaml',
      },
    ]);
    expect(check([...clean(), ...cronJob('elsewhere')])).toEqual([]);
  });
});

describe('validateTree and the CLI', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(file: string, text: string): string {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
    return path.join(dir, file);
  }

  const run = (argv: string[]) => runCli(main, argv);

  test('reads every YAML file below the folders, skips empty documents, reports parse errors', () => {
    write('10-shop/shop.yaml', `---\n${CLEAN}\n---\n`);
    write('10-shop/notes.txt', 'not a manifest');
    const broken = write('20-broken/broken.yml', 'kind: [unclosed\n');
    const findings = validateTree([dir]);
    expect(findings).toEqual([{ file: broken, document: '', path: '', message: expect.stringMatching(/^not valid YAML at line 2, column 1: /) }]);
    expect(formatFinding(findings[0])).toMatch(/broken\.yml: not valid YAML at line 2/);
  });

  test('exits 1 and prints each finding on a broken tree, 0 on a clean one', async () => {
    write('shop.yaml', CLEAN.replace('replicas: 2', 'replicas: 2\n  replica: 3'));
    const failed = await run([dir]);
    expect(failed.code).toBe(1);
    expect(failed.out[0]).toBe(`${path.join(dir, 'shop.yaml')}: Deployment/shop/web: spec.replica: unknown field "replica"`);
    expect(failed.out[1]).toMatch(
      /^validate: 12 documents in 1 files, 0 objects rendered from the charts checked against Kubernetes v1\.28\.0, v1\.36\.0 and \d+ CRD versions from .*: 1 finding\(s\)$/,
    );

    write('shop.yaml', CLEAN);
    expect(await run([dir])).toEqual({
      code: 0,
      out: [expect.stringMatching(/: 0 finding\(s\)$/), expect.stringMatching(/^CEL rules of the CRDs: \d+ evaluated, \d+ skipped/)],
    });
  });

  test('declared objects come from flags; bad flags are a usage error', async () => {
    write(
      'shop.yaml',
      parse(CLEAN)
        .filter((d) => d.object.kind !== 'Secret')
        .map((d) => yaml.dump(d.object))
        .join('---\n'),
    );
    expect((await run([dir])).code).toBe(1);
    expect((await run([dir, '--declare-secret', 'shop/web-db'])).code).toBe(0);
    expect((await run([dir, '--declare-secrets', 'shop/web-db'])).code).toBe(2);
  });
});
