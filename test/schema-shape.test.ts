/**
 * Schemas cut to the documents they judge (lib/validate/schema-shape.ts): for those documents, a
 * validator compiled from the cut schema reports exactly the errors the whole schema reports —
 * unknown fields at every depth, wrong types, nulls, bad quantities, missing required fields, map
 * values, recursion (a CRD's own schema) — while compiling a fraction of it.
 */
import Ajv, { ErrorObject } from 'ajv';
import { cutBuiltinSchema, cutCrdSchema, strictDefinitionsOf } from '../lib/validate/schema-check';
import { reachableSchema } from '../lib/validate/schema-shape';
import { loadSchemaStore, resolveSchemaLocation } from '../lib/validate/schema-store';
import { FORMATS, goRegExp, OBJECT_META, shareRepeatedSubschemas, strictCrdSchema, strictDefinitions } from '../lib/validate/schema-transform';

const store = loadSchemaStore(resolveSchemaLocation());
const versions = [...store.kubernetes.keys()];
const newest = versions[versions.length - 1];

function ajvFor(version: string): Ajv {
  const ajv = new Ajv({ inlineRefs: false, allErrors: true, strict: false, formats: FORMATS, code: { regExp: goRegExp } });
  ajv.addSchema({ $id: version, definitions: strictDefinitions(store.kubernetes.get(version)!) });
  return ajv;
}
const ajvs = new Map(versions.map((v) => [v, ajvFor(v)]));

function definitionOf(version: string, gvk: string): string {
  const [group, apiVersion, kind] = gvk.split('/');
  const entry = Object.entries(store.kubernetes.get(version)!).find(([, d]: [string, any]) =>
    (d['x-kubernetes-group-version-kind'] ?? []).some((g: any) => g.group === group && g.version === apiVersion && g.kind === kind),
  );
  if (!entry) throw new Error(`no definition for ${gvk} in ${version}`);
  return entry[0];
}

/** Every error of every document, by where it is and what it says (the schema path differs by construction). */
function errors(validate: (data: unknown) => boolean, docs: readonly unknown[]): string[] {
  const seen: string[] = [];
  docs.forEach((doc, i) => {
    validate(doc);
    for (const e of ((validate as any).errors ?? []) as ErrorObject[]) seen.push(`${i} ${e.instancePath} ${e.keyword} ${JSON.stringify(e.params)}`);
  });
  return seen.sort();
}

function compareBuiltin(version: string, gvk: string, docs: readonly unknown[]): { whole: string[]; cut: string[]; cutSize: number } {
  const ajv = ajvs.get(version)!;
  const definition = definitionOf(version, gvk);
  const whole = ajv.compile({ $ref: `${version}#/definitions/${definition}` });
  const schema = cutBuiltinSchema(definition, docs, strictDefinitionsOf(store, version));
  const cut = ajv.compile(schema);
  return {
    whole: errors(whole, docs),
    cut: errors(cut, docs),
    cutSize: JSON.stringify(schema).length,
  };
}

/** The documents are broken in at least `atLeast` ways, and the cut schema finds each of them. */
function expectSameErrors({ whole, cut }: { whole: string[]; cut: string[] }, atLeast: number): void {
  expect(whole.length).toBeGreaterThanOrEqual(atLeast);
  expect(cut).toEqual(whole);
}

function compareCrd(gvk: string, docs: readonly unknown[]): { whole: string[]; cut: string[] } {
  const crd = store.crds.get(gvk)!;
  const ajv = ajvs.get(newest)!;
  const whole = ajv.compile(shareRepeatedSubschemas(strictCrdSchema(crd.schema, `${newest}#/definitions/${OBJECT_META}`)));
  const cut = ajv.compile(cutCrdSchema(crd.schema, docs, strictDefinitionsOf(store, newest)));
  return { whole: errors(whole, docs), cut: errors(cut, docs) };
}

const container = (extra: Record<string, unknown> = {}) => ({
  name: 'web',
  image: 'registry.example.org/web:1',
  ports: [{ containerPort: 8080, name: 'http' }],
  env: [
    { name: 'A', value: 'b' },
    { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
  ],
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
  securityContext: { runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
  ...extra,
});

const deployments = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container()] } } },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'bad', labels: { app: 1 }, annotation: {} },
    spec: {
      replica: 3,
      replicas: '2',
      selector: {},
      template: {
        spec: {
          containers: [
            container({
              resources: { requests: { cpu: 'lots' } },
              ports: [{ containerPort: 'http' }],
              envFrom: 'x',
              livenessProbe: { httpGet: { port: null, pth: '/' } },
            }),
            { image: 'x', securityContext: { capabilities: { drop: 'ALL' } } },
          ],
          volumes: [
            { name: 'v', emptyDir: { sizeLimit: '1Gi', medium: 3 } },
            { name: 'w', nfs: {} },
          ],
          nodeSelector: { a: null, b: 2 },
          bogus: true,
        },
      },
    },
  },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: null, spec: { template: { spec: { containers: 'x' } } } },
];

test.each(versions)('a cut Deployment schema reports what the whole one does (Kubernetes %s)', (version) => {
  expectSameErrors(compareBuiltin(version, 'apps/v1/Deployment', deployments), 16); // broken in many ways
});

test('maps, lists and recursion: a CustomResourceDefinition object (its schema holds itself) and a StatefulSet', () => {
  const crds = [
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.org' },
      spec: {
        group: 'example.org',
        names: { kind: 'Widget', plural: 'widgets' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', properties: { size: { type: 'integer', maximum: 'ten' }, deep: { items: { properties: { x: { typo: 1 } } } } } },
                },
              },
            },
          },
        ],
      },
    },
  ];
  const crd = compareBuiltin(newest, 'apiextensions.k8s.io/v1/CustomResourceDefinition', crds);
  expectSameErrors(crd, 1);

  const statefulSets = [
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { spec: { containers: [container()] } },
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { accessModes: 'ReadWriteOnce', resources: { requests: { storage: '10Q' } }, storageClass: 'x' } },
        ],
      },
    },
  ];
  const sts = compareBuiltin(newest, 'apps/v1/StatefulSet', statefulSets);
  expectSameErrors(sts, 3);
  expect(sts.cutSize).toBeLessThan(20_000);
});

test('CRD kinds: unknown and mistyped fields deep in a Prometheus and an Application are found by the cut schema too', () => {
  const prometheus = compareCrd('monitoring.coreos.com/v1/Prometheus', [
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'Prometheus',
      metadata: { name: 'p', labels: { a: 'b' }, bogus: 1 },
      spec: {
        replicas: 'one',
        retention: '10d',
        resources: { requests: { memory: 'much' } },
        storage: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '20Gi' } }, typo: true } } },
        containers: [{ name: 'x', securityContext: { runAsUser: 'root' } }],
        serviceMonitorSelector: {},
        unknownField: [],
      },
    },
  ]);
  expectSameErrors(prometheus, 5);

  const application = compareCrd('argoproj.io/v1alpha1/Application', [
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'a', namespace: 'argocd' },
      spec: {
        project: 'p',
        destination: { server: 'https://kubernetes.default.svc', namespace: 1 },
        source: { repoURL: 'https://x', chart: 'c', targetRevision: '1', helm: { valuesObject: { any: { thing: true } }, releaseName: 2 } },
        syncPolicy: { automated: { prune: 'yes' }, syncOptions: ['A=true'], retry: { limit: 5, backoff: { duration: 5 } } },
      },
    },
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'b' }, spec: { destination: {} } },
  ]);
  expectSameErrors(application, 5);
});

test('what a cut leaves out and keeps', () => {
  const schema = {
    type: 'object',
    required: ['a', 'missing'],
    properties: { a: { type: 'string' }, unused: { type: 'object', properties: { deep: { type: 'string' } } } },
    patternProperties: { '^x-': { $ref: '#/definitions/Thing' } },
    additionalProperties: { type: 'integer' },
  };
  const cut = reachableSchema(schema, [{ a: 'x', 'x-b': {} }], { definition: () => ({ type: 'object' }), refBase: 'v#/definitions/' });
  // A field no document sets is left out; `required` still asks for what is missing.
  expect(cut.properties).toEqual({ a: { type: 'string' } });
  expect(cut.required).toEqual(['a', 'missing']);
  // Parts whose reach is not followed are kept whole, their references pointing into the version.
  expect(cut.patternProperties).toEqual({ '^x-': { $ref: 'v#/definitions/Thing' } });
  expect(cut.additionalProperties).toEqual({ type: 'integer' });
  // A definition the cut is already inside stays a reference.
  const recursive = { $ref: '#/definitions/Node' };
  const node = { type: 'object', properties: { child: { $ref: '#/definitions/Node' } } };
  const cutNode = reachableSchema(recursive, [{ child: { child: {} } }], { definition: () => node, refBase: 'v#/definitions/' });
  expect(cutNode).toEqual({ type: 'object', properties: { child: { $ref: 'v#/definitions/Node' } } });
});
