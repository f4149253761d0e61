/**
 * Checks rendered kubeadm config files against the strict JSON schemas in bootstrap/schemas/
 * (kubeadm v1beta4, kubelet v1beta1, kube-proxy v1alpha1): an unknown or misspelt field is an
 * error here, where kubeadm would only print a warning on the host.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import * as yaml from 'js-yaml';
import { repoRoot } from '../lib/repo-root';

const SCHEMAS: Readonly<Record<string, string>> = {
  'kubeadm.k8s.io/v1beta4': 'kubeadm-v1beta4.json',
  'kubelet.config.k8s.io/v1beta1': 'kubelet-v1beta1.json',
  'kubeproxy.config.k8s.io/v1alpha1': 'kube-proxy-v1alpha1.json',
};

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
  const file = SCHEMAS[apiVersion];
  if (!file) return undefined;
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    for (const name of Object.values(SCHEMAS)) ajv.addSchema(JSON.parse(fs.readFileSync(path.join(repoRoot(), 'bootstrap', 'schemas', name), 'utf8')), name);
  }
  const key = `${file}#/definitions/${kind}`;
  let fn = compiled.get(key);
  if (!fn) {
    const found = ajv.getSchema(key);
    if (!found) return undefined;
    fn = found;
    compiled.set(key, fn);
  }
  return fn;
}

/** Every problem of a kubeadm config stream, as `<n> <Kind> <path>: <message>` (n counts from 1). */
export function validateKubeadmConfig(text: string): string[] {
  const problems: string[] = [];
  yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA }).forEach((doc, i) => {
    const where = `document ${i + 1}`;
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      problems.push(`${where}: expected a mapping`);
      return;
    }
    const { apiVersion, kind } = doc as { apiVersion?: unknown; kind?: unknown };
    const validate = typeof apiVersion === 'string' && typeof kind === 'string' ? validatorFor(apiVersion, kind) : undefined;
    if (!validate) {
      problems.push(`${where}: expected a known apiVersion/kind (${Object.keys(SCHEMAS).join(', ')}), found ${String(apiVersion)} ${String(kind)}`);
      return;
    }
    if (!validate(doc)) {
      for (const e of validate.errors ?? []) {
        const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
        problems.push(`${where} ${kind} ${e.instancePath || '/'}: ${e.message}${extra}`);
      }
    }
  });
  return problems;
}
