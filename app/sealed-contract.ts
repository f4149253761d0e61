/**
 * Required Secrets are a contract once a cluster seals its Secrets in git (it has a sealing
 * certificate under sealed/<cluster>/): every Secret a workload reads is sealed for its namespace
 * (holding every key the workloads read), or declared in `secrets.external` with the reason.
 * Otherwise synthesis fails where production runs (and for the platform's own namespaces), and
 * warns for staging and previews. A cluster without a certificate keeps the list of Secrets to
 * create by hand.
 */
import type { PlatformConfig } from '../config/schema';
import type { SealedTree } from '../lib/sealed-files';

export interface ContractResult {
  readonly errors: string[];
  readonly warnings: string[];
  /** Required Secrets neither sealed nor declared external: someone creates them by hand. */
  readonly unsealed: string[];
}

/** `namespace/name` → the keys workloads read from it (`secretKeyRef`); whole-Secret references add none. */
export function secretKeysRead(objects: readonly any[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const visit = (value: unknown, namespace: string) => {
    if (Array.isArray(value)) value.forEach((v) => visit(v, namespace));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'secretKeyRef' && v && typeof v === 'object' && typeof (v as any).name === 'string' && typeof (v as any).key === 'string') {
          const id = `${namespace}/${(v as any).name}`;
          out.set(id, (out.get(id) ?? new Set()).add((v as any).key));
        } else visit(v, namespace);
      }
    }
  };
  for (const o of objects) if (o?.spec && o.metadata?.namespace) visit(o.spec, o.metadata.namespace);
  return out;
}

export interface ContractInputs {
  readonly config: PlatformConfig;
  readonly sealed: SealedTree;
  /** The Secrets the tree needs (`namespace/name`). */
  readonly required: readonly string[];
  readonly objects: readonly any[];
  /** The environment kind of each app namespace; others are the platform's own. */
  readonly kindOf: (namespace: string) => 'production' | 'staging' | 'preview' | undefined;
}

export function checkSealedContract(inputs: ContractInputs): ContractResult {
  const { config, sealed } = inputs;
  const result: ContractResult = { errors: [], warnings: [], unsealed: [] };
  if (!sealed.certificate) return { ...result, unsealed: [...inputs.required] };
  const sealedIn = new Map<string, readonly string[]>();
  for (const o of inputs.objects)
    if (o.kind === 'SealedSecret') sealedIn.set(`${o.metadata.namespace}/${o.metadata.name}`, Object.keys(o.spec?.encryptedData ?? {}));
  const external = new Map(config.secrets.external.map((e) => [e.secret, e.reason]));
  const keysRead = secretKeysRead(inputs.objects);
  const where = `sealed/${config.cluster.name}`;
  for (const id of inputs.required) {
    const [namespace, name] = id.split('/');
    const kind = inputs.kindOf(namespace);
    const keys = sealedIn.get(id);
    if (keys) {
      const missing = [...(keysRead.get(id) ?? [])].filter((k) => !keys.includes(k)).sort();
      if (missing.length)
        result.errors.push(
          `${where}/${namespace}/${name}.yaml: expected the key(s) ${missing.join(', ')}, which the workloads of ${namespace} read (npm run seal -- ${id} <key>)`,
        );
      continue;
    }
    if (external.has(id)) continue;
    result.unsealed.push(id);
    const fix =
      kind === 'preview'
        ? `seal it once for every preview of the app (npm run seal -- --preview <app>/${name} <key>) or`
        : `seal it (printf %s VALUE | npm run seal -- ${id} <key>) or`;
    const message = `Secret ${id} is needed by the workloads and not sealed in ${where}/: ${fix} declare it in secrets.external with the reason`;
    // Production and the platform's own namespaces must never wait on a person.
    if (kind === 'production' || kind === undefined) result.errors.push(message);
    else result.warnings.push(message);
  }
  for (const [id] of external) if (sealedIn.has(id)) result.warnings.push(`secrets.external lists ${id}, which is sealed in ${where}/ too: remove one of them`);
  return result;
}
