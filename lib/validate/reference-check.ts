/**
 * Cross-document references, treating all documents as one cluster: the links that schema validation cannot see
 * and that otherwise fail only at runtime (a Service without endpoints, a route to a missing port, a pod stuck in
 * CreateContainerConfigError, a PVC that stays Pending, a NetworkPolicy that protects nothing).
 */
import { childPath, DeclaredObjects, finding, Finding, namespaceOf, SourceDocument } from './document';
import { operatorPodTemplates, operatorSecrets, operatorServices } from './operator-objects';
import { containersOf, isEmptySelector, isKind, matchesMap, matchesSelector, PodTemplate, podTemplates } from './workloads';

export function checkReferences(docs: readonly SourceDocument[], declared: DeclaredObjects = {}): Finding[] {
  const templates = podTemplates(docs);
  // Pods an operator will run (ECK) can be selected, but their partial templates hold no references to check.
  const selectable = [...templates, ...operatorPodTemplates(docs)];
  return [
    ...checkServiceSelectors(docs, selectable),
    ...checkRouteBackends(docs),
    ...checkStorageClasses(docs, declared.storageClasses ?? []),
    ...checkConfigReferences(docs, templates, declared),
    ...checkNetworkPolicies(docs, selectable),
  ];
}

const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function showLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** `80 "http", 9090` from container ports (`containerPort`) or Service ports (`port`). */
function showPorts(ports: any[], numberKey: 'containerPort' | 'port'): string {
  return ports.map((p) => (p.name ? `${p[numberKey]} "${p.name}"` : String(p[numberKey]))).join(', ') || 'none';
}

function checkServiceSelectors(docs: readonly SourceDocument[], templates: PodTemplate[]): Finding[] {
  const findings: Finding[] = [];
  for (const doc of docs.filter((d) => isKind(d, '', 'Service'))) {
    const spec = doc.object.spec ?? {};
    const selector: Record<string, string> = spec.selector ?? {};
    // Without a selector the endpoints are managed by hand or by a controller; ExternalName has no pods.
    if (spec.type === 'ExternalName' || Object.keys(selector).length === 0) continue;
    const namespace = namespaceOf(doc.object);
    const selected = templates.filter((t) => t.namespace === namespace && matchesMap(selector, t.labels));
    if (selected.length === 0) {
      findings.push(finding(doc, 'spec.selector', `selects no pods: no workload in namespace "${namespace}" has labels ${showLabels(selector)}`));
      continue;
    }
    const declared = selected.flatMap((t) => containersOf(t).flatMap((c) => c.container.ports ?? []));
    (spec.ports ?? []).forEach((port: any, i: number) => {
      const target = port.targetPort ?? port.port;
      if (typeof target !== 'number' && typeof target !== 'string') return; // a schema finding already
      const found = declared.some((p) => (typeof target === 'number' ? p.containerPort === target : p.name === target));
      if (!found) {
        const path = childPath(childPath(childPath('spec', 'ports'), i), port.targetPort === undefined ? 'port' : 'targetPort');
        findings.push(
          finding(
            doc,
            path,
            `targetPort ${JSON.stringify(target)} is not a port of the selected containers (they declare: ${showPorts(declared, 'containerPort')})`,
          ),
        );
      }
    });
  }
  return findings;
}

/** Why a backend reference is broken, or undefined when the Service and port exist. */
function serviceProblem(services: Map<string, any>, namespace: string, name: string, port: { number?: number; name?: string }): string | undefined {
  const service = services.get(key(namespace, name));
  if (!service) return `Service "${key(namespace, name)}" is not in the documents`;
  const ports: any[] = service.spec?.ports ?? [];
  const found = ports.some((p) => (port.number !== undefined ? p.port === port.number : p.name === port.name));
  if (found) return undefined;
  return `Service "${key(namespace, name)}" has no port ${port.number ?? JSON.stringify(port.name)} (it has: ${showPorts(ports, 'port')})`;
}

function checkRouteBackends(docs: readonly SourceDocument[]): Finding[] {
  const services = new Map([
    ...operatorServices(docs),
    ...docs.filter((d) => isKind(d, '', 'Service')).map((d): [string, any] => [key(namespaceOf(d.object), d.object.metadata?.name), d.object]),
  ]);
  const findings: Finding[] = [];
  const report = (doc: SourceDocument, path: string, problem: string | undefined) => {
    if (problem) findings.push(finding(doc, path, problem));
  };

  for (const doc of docs.filter((d) => isKind(d, 'networking.k8s.io', 'Ingress'))) {
    const namespace = namespaceOf(doc.object);
    const backends: [string, any][] = [['spec.defaultBackend', doc.object.spec?.defaultBackend]];
    (doc.object.spec?.rules ?? []).forEach((rule: any, i: number) => {
      (rule.http?.paths ?? []).forEach((p: any, j: number) => backends.push([`spec.rules[${i}].http.paths[${j}].backend`, p.backend]));
    });
    for (const [path, backend] of backends) {
      const service = backend?.service; // `resource` backends point at other kinds
      if (service) report(doc, `${path}.service`, serviceProblem(services, namespace, service.name, service.port ?? {}));
    }
  }

  const routes = docs.filter((d) => isKind(d, 'gateway.networking.k8s.io', 'HTTPRoute') || isKind(d, 'gateway.networking.k8s.io', 'GRPCRoute'));
  for (const doc of routes) {
    (doc.object.spec?.rules ?? []).forEach((rule: any, i: number) => {
      (rule.backendRefs ?? []).forEach((ref: any, j: number) => {
        if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') return;
        const path = `spec.rules[${i}].backendRefs[${j}]`;
        // The CRD requires the port through a CEL rule, which the schema check cannot evaluate.
        const problem =
          ref.port === undefined
            ? 'port is required when the backend is a Service'
            : serviceProblem(services, ref.namespace ?? namespaceOf(doc.object), ref.name, { number: ref.port });
        report(doc, ref.port === undefined ? `${path}.port` : path, problem);
      });
    });
  }
  return findings;
}

function checkStorageClasses(docs: readonly SourceDocument[], declared: readonly string[]): Finding[] {
  const classDocs = docs.filter((d) => isKind(d, 'storage.k8s.io', 'StorageClass'));
  const names = new Set([...classDocs.map((d) => d.object.metadata?.name), ...declared.map((n) => n.replace(/:default$/, ''))]);
  const hasDefault =
    classDocs.some((d) => d.object.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true') || declared.some((n) => n.endsWith(':default'));

  const claims: [SourceDocument, string, any][] = [];
  for (const doc of docs) {
    if (isKind(doc, '', 'PersistentVolumeClaim')) claims.push([doc, 'spec', doc.object.spec]);
    if (isKind(doc, 'apps', 'StatefulSet')) {
      (doc.object.spec?.volumeClaimTemplates ?? []).forEach((t: any, i: number) => claims.push([doc, `spec.volumeClaimTemplates[${i}].spec`, t?.spec]));
    }
  }
  const findings: Finding[] = [];
  for (const [doc, path, spec] of claims) {
    const name = spec?.storageClassName;
    // "" asks for no class at all (a pre-provisioned volume); only a missing name falls back to the default class.
    if (name === '') continue;
    if (name === undefined || name === null) {
      if (!hasDefault)
        findings.push(
          finding(doc, `${path}.storageClassName`, `not set, and no StorageClass is marked default (annotation ${DEFAULT_CLASS_ANNOTATION}: "true")`),
        );
    } else if (!names.has(name)) {
      findings.push(finding(doc, `${path}.storageClassName`, `StorageClass "${name}" is not in the documents and not declared`));
    }
  }
  return findings;
}

interface ObjectRef {
  readonly kind: 'ConfigMap' | 'Secret';
  readonly name: string;
  readonly optional?: boolean;
  readonly path: string;
}

/** Every ConfigMap and Secret a pod needs before its containers can start. */
function podReferences(template: PodTemplate): ObjectRef[] {
  const refs: ObjectRef[] = [];
  const add = (kind: ObjectRef['kind'], source: any, path: string, nameKey = 'name') => {
    if (source?.[nameKey]) refs.push({ kind, name: source[nameKey], optional: source.optional, path: childPath(path, nameKey) });
  };
  for (const { container, path } of containersOf(template)) {
    (container.env ?? []).forEach((env: any, i: number) => {
      const from = `${path}.env[${i}].valueFrom`;
      add('ConfigMap', env.valueFrom?.configMapKeyRef, `${from}.configMapKeyRef`);
      add('Secret', env.valueFrom?.secretKeyRef, `${from}.secretKeyRef`);
    });
    (container.envFrom ?? []).forEach((env: any, i: number) => {
      add('ConfigMap', env.configMapRef, `${path}.envFrom[${i}].configMapRef`);
      add('Secret', env.secretRef, `${path}.envFrom[${i}].secretRef`);
    });
  }
  const spec = template.spec;
  (spec.volumes ?? []).forEach((volume: any, i: number) => {
    const path = `${template.specPath}.volumes[${i}]`;
    add('ConfigMap', volume.configMap, `${path}.configMap`);
    add('Secret', volume.secret, `${path}.secret`, 'secretName');
    (volume.projected?.sources ?? []).forEach((source: any, j: number) => {
      add('ConfigMap', source.configMap, `${path}.projected.sources[${j}].configMap`);
      add('Secret', source.secret, `${path}.projected.sources[${j}].secret`);
    });
  });
  (spec.imagePullSecrets ?? []).forEach((ref: any, i: number) => add('Secret', ref, `${template.specPath}.imagePullSecrets[${i}]`));
  return refs;
}

/** `namespace/name` of the Secrets the documents create, directly or through a controller that writes them. */
function producedSecrets(docs: readonly SourceDocument[]): string[] {
  return docs.flatMap((doc) => {
    const namespace = namespaceOf(doc.object);
    if (isKind(doc, '', 'Secret')) return [key(namespace, doc.object.metadata?.name)];
    if (isKind(doc, 'bitnami.com', 'SealedSecret')) return [key(namespace, doc.object.spec?.template?.metadata?.name ?? doc.object.metadata?.name)];
    if (isKind(doc, 'cert-manager.io', 'Certificate') && doc.object.spec?.secretName) return [key(namespace, doc.object.spec.secretName)];
    return operatorSecrets(doc).map((name) => key(namespace, name));
  });
}

function checkConfigReferences(docs: readonly SourceDocument[], templates: PodTemplate[], declared: DeclaredObjects): Finding[] {
  const existing = {
    ConfigMap: new Set([
      ...docs.filter((d) => isKind(d, '', 'ConfigMap')).map((d) => key(namespaceOf(d.object), d.object.metadata?.name)),
      ...(declared.configMaps ?? []),
    ]),
    Secret: new Set([...producedSecrets(docs), ...(declared.secrets ?? [])]),
  };
  const findings: Finding[] = [];
  for (const template of templates) {
    for (const ref of podReferences(template)) {
      const id = key(template.namespace, ref.name);
      if (ref.optional === true || existing[ref.kind].has(id)) continue;
      findings.push(finding(template.doc, ref.path, `${ref.kind} "${id}" is not in the documents and not declared external`));
    }
  }
  return findings;
}

function checkNetworkPolicies(docs: readonly SourceDocument[], templates: PodTemplate[]): Finding[] {
  return docs
    .filter((d) => isKind(d, 'networking.k8s.io', 'NetworkPolicy'))
    .flatMap((doc) => {
      const selector = doc.object.spec?.podSelector;
      const namespace = namespaceOf(doc.object);
      // An empty selector is the namespace-wide default policy: it applies even before any pod exists.
      if (isEmptySelector(selector) || templates.some((t) => t.namespace === namespace && matchesSelector(selector, t.labels))) return [];
      return [finding(doc, 'spec.podSelector', `selects no pods: no workload in namespace "${namespace}" matches ${JSON.stringify(selector)}`)];
    });
}
