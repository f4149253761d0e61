/**
 * The committed sealed inputs of a cluster, `sealed/<cluster>/`: the sealing certificate (public),
 * one SealedSecret per file at `<namespace>/<name>.yaml` (strict scope), and per-app preview
 * templates at `previews/<app>/<name>.yaml` (cluster-wide scope, copied into every preview
 * namespace of that app). Sealing is randomized, so these are inputs that synthesis copies, never
 * output it regenerates.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { certificateFingerprint, scopeOf, SEALED_WITH_ANNOTATION, SealingScope } from './sealed-secrets';

export const SEALING_CERTIFICATE = 'sealing-certificate.pem';
export const PREVIEW_TEMPLATES = 'previews';

export interface SealedFile {
  /** Path relative to the cluster's sealed folder. */
  readonly file: string;
  readonly namespace: string;
  readonly name: string;
  readonly scope: SealingScope;
  /** The keys it holds, sorted. */
  readonly keys: readonly string[];
  readonly object: Record<string, any>;
}

export interface SealedTree {
  readonly dir: string;
  /** PEM, when the cluster seals its Secrets in git. */
  readonly certificate?: string;
  /** Strict-scope SealedSecrets, by `namespace/name`. */
  readonly secrets: readonly SealedFile[];
  /** Cluster-wide templates for previews, by app. */
  readonly previewTemplates: ReadonlyMap<string, readonly SealedFile[]>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class SealedFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
  }
}

export const sealedDirFor = (root: string, cluster: string) => path.join(root, cluster);

function readSealed(dir: string, rel: string, namespace: string, expected: SealingScope, certificate: string | undefined): SealedFile {
  const file = path.join(dir, rel);
  const name = path.basename(rel, '.yaml');
  let object: any;
  try {
    object = yaml.load(fs.readFileSync(file, 'utf8'), { schema: yaml.CORE_SCHEMA });
  } catch {
    throw new SealedFileError(file, ['expected one YAML document (a SealedSecret)']);
  }
  const problems: string[] = [];
  if (object?.apiVersion !== 'bitnami.com/v1alpha1' || object?.kind !== 'SealedSecret')
    problems.push('expected a bitnami.com/v1alpha1 SealedSecret (write it with `npm run seal`)');
  if (object?.metadata?.name !== name) problems.push(`metadata.name: expected "${name}", the file's name`);
  if (expected !== 'cluster-wide' && object?.metadata?.namespace !== namespace) problems.push(`metadata.namespace: expected "${namespace}", the folder's name`);
  const scope = scopeOf(object ?? {});
  if (scope !== expected) problems.push(`expected a value sealed in ${expected} scope, found ${scope} (reseal it with \`npm run seal\`)`);
  const sealedWith = object?.metadata?.annotations?.[SEALED_WITH_ANNOTATION];
  // Values sealed for another key pair (the example's, a rotated one) would never decrypt here.
  if (certificate && sealedWith !== certificateFingerprint(certificate))
    problems.push(
      `expected values sealed with ${SEALING_CERTIFICATE} (${certificateFingerprint(certificate)}), found ${sealedWith ? `ones sealed with ${sealedWith}` : 'no record of the certificate'}: seal them again (npm run seal -- --values <file>)`,
    );
  const data = object?.spec?.encryptedData;
  if (!data || typeof data !== 'object' || !Object.keys(data).length || Object.values(data).some((v) => typeof v !== 'string'))
    problems.push('spec.encryptedData: expected at least one sealed value');
  if (problems.length) throw new SealedFileError(file, problems);
  return { file: rel, namespace, name, scope, keys: Object.keys(data).sort(), object };
}

const yamlFiles = (dir: string) =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
        .map((e) => e.name)
        .sort()
    : [];

/** Reads and checks the cluster's sealed folder; an absent folder is an empty tree (no certificate). */
export function readSealedTree(dir: string): SealedTree {
  const certFile = path.join(dir, SEALING_CERTIFICATE);
  const certificate = fs.existsSync(certFile) ? fs.readFileSync(certFile, 'utf8') : undefined;
  const secrets: SealedFile[] = [];
  const previewTemplates = new Map<string, SealedFile[]>();
  const folders = fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()
    : [];
  for (const folder of folders) {
    if (folder === PREVIEW_TEMPLATES) {
      for (const app of fs
        .readdirSync(path.join(dir, folder), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()) {
        previewTemplates.set(
          app,
          yamlFiles(path.join(dir, folder, app)).map((f) => readSealed(dir, path.join(folder, app, f), '', 'cluster-wide', certificate)),
        );
      }
      continue;
    }
    if (!DNS_LABEL.test(folder)) throw new SealedFileError(path.join(dir, folder), ['expected a folder named after a namespace']);
    for (const f of yamlFiles(path.join(dir, folder))) {
      if (!SECRET_NAME.test(path.basename(f, '.yaml'))) throw new SealedFileError(path.join(dir, folder, f), ['expected a file named after its Secret']);
      secrets.push(readSealed(dir, path.join(folder, f), folder, 'strict', certificate));
    }
  }
  if ((secrets.length || previewTemplates.size) && !certificate)
    throw new SealedFileError(certFile, [
      'expected the sealing certificate beside the SealedSecrets sealed with it (`npm run secrets -- --sealing-key` writes it)',
    ]);
  return { dir, ...(certificate ? { certificate } : {}), secrets, previewTemplates };
}

/** Writes one SealedSecret file atomically (temp file, then rename). */
export function writeSealedFile(dir: string, rel: string, object: Record<string, unknown>): void {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, yaml.dump(object, { lineWidth: -1, noRefs: true, sortKeys: false }));
  fs.renameSync(temp, file);
}
