/**
 * `npm run seal`: seals values offline with the cluster's committed certificate into
 * sealed/<cluster>/, the SealedSecrets synthesis copies into the tree. Values come from standard
 * input or a values file, never from the command line (shell history keeps it); the plaintext is
 * written nowhere.
 *
 *   printf %s VALUE | npm run seal -- <namespace>/<name> <key>        one key of a strict-scope SealedSecret
 *   printf %s VALUE | npm run seal -- --preview <app>/<name> <key>    one key of an app's preview template
 *   npm run seal -- --values secrets/<cluster>-values.yaml           every SealedSecret of the file, replaced whole
 *
 * A values file maps `<namespace>/<name>` or `previews/<app>/<name>` to `{ <key>: <value> }`; keep
 * it out of git (secrets/ is ignored) and off-host like the secrets file. Preview templates are
 * sealed cluster-wide, so every preview namespace of the app can decrypt them (docs/secrets.md).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { DEFAULT_CONFIG, loadConfig } from '../config/load';
import { ConfigError } from '../config/errors';
import { readInputFile } from '../config/bounded-input';
import { repoRoot } from '../lib/repo-root';
import { PREVIEW_TEMPLATES, readSealedTree, SEALING_CERTIFICATE, sealedDirFor, writeSealedFile } from '../lib/sealed-files';
import { sealedSecretObject, sealingLabel, SealingScope, sealValue } from '../lib/sealed-secrets';

const USAGE = [
  'usage: printf %s VALUE | npm run seal -- <namespace>/<name> <key>',
  '       printf %s VALUE | npm run seal -- --preview <app>/<name> <key>',
  '       npm run seal -- --values <values file>',
  '       options: --config <platform.yaml> --sealed <folder>',
].join('\n');

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const KEY = /^[-._a-zA-Z0-9]+$/;

interface Target {
  /** File below the cluster's sealed folder. */
  readonly file: string;
  readonly namespace: string;
  readonly name: string;
  readonly scope: SealingScope;
}

function target(ref: string, preview: boolean, apps: readonly string[]): Target | string {
  const [first, name, extra] = ref.split('/');
  if (extra !== undefined || !first || !name) return `expected ${preview ? '<app>/<name>' : '<namespace>/<name>'}, found "${ref}"`;
  if (!LABEL.test(first) || !NAME.test(name)) return `expected DNS names in "${ref}"`;
  if (preview) {
    if (!apps.includes(first)) return `expected an app with previews (${apps.join(', ') || 'none'}), found "${first}"`;
    return { file: path.join(PREVIEW_TEMPLATES, first, `${name}.yaml`), namespace: '', name, scope: 'cluster-wide' };
  }
  return { file: path.join(first, `${name}.yaml`), namespace: first, name, scope: 'strict' };
}

export function main(argv: string[], stdin: () => Buffer = () => fs.readFileSync(0)): number {
  let config = DEFAULT_CONFIG;
  let sealedRoot = path.join(repoRoot(), 'sealed');
  let valuesFile: string | undefined;
  let preview = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config' && argv[i + 1]) config = argv[++i];
    else if (argv[i] === '--sealed' && argv[i + 1]) sealedRoot = path.resolve(argv[++i]);
    else if (argv[i] === '--values' && argv[i + 1]) valuesFile = argv[++i];
    else if (argv[i] === '--preview') preview = true;
    else if (argv[i].startsWith('--')) return fail(`unknown option "${argv[i]}"`);
    else rest.push(argv[i]);
  }
  const platform = loadConfig(config);
  const dir = sealedDirFor(sealedRoot, platform.cluster.name);
  const certFile = path.join(dir, SEALING_CERTIFICATE);
  if (!fs.existsSync(certFile))
    return fail(
      `no ${certFile}: this cluster has no sealing key yet (npm run secrets -- --init for a new cluster, npm run secrets -- --sealing-key for one that runs)`,
    );
  const certificate = fs.readFileSync(certFile, 'utf8');
  const previewApps = Object.entries(platform.apps)
    .filter(([, a]) => a.environments.previews)
    .map(([n]) => n)
    .sort();

  if (valuesFile) {
    if (rest.length || preview) return fail('--values takes no other arguments');
    const entries = readValues(valuesFile);
    const written: string[] = [];
    for (const [ref, values] of entries) {
      const isPreview = ref.startsWith(`${PREVIEW_TEMPLATES}/`);
      const t = target(isPreview ? ref.slice(PREVIEW_TEMPLATES.length + 1) : ref, isPreview, previewApps);
      if (typeof t === 'string') return fail(`${valuesFile}: ${ref}: ${t}`);
      const encryptedData = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, seal(certificate, t, Buffer.from(v, 'utf8'))]));
      writeSealedFile(dir, t.file, sealedSecretObject({ certificate, namespace: t.namespace, name: t.name, scope: t.scope, encryptedData }));
      written.push(t.file);
    }
    console.log(
      `Sealed ${written.length} SealedSecret(s) into ${path.relative(process.cwd(), dir) || dir}/: ${written.join(', ')}. Commit them; keep ${valuesFile} out of git.`,
    );
    return 0;
  }

  if (rest.length !== 2) return fail('expected a target and a key');
  const t = target(rest[0], preview, previewApps);
  if (typeof t === 'string') return fail(t);
  const key = rest[1];
  if (!KEY.test(key)) return fail(`expected a Secret key of letters, digits, "-", "_" or ".", found "${key}"`);
  const value = stdin();
  if (!value.length) return fail('expected the value on standard input (printf %s VALUE | npm run seal -- …), found nothing');
  // Keep the other keys of the Secret as they were sealed.
  const existing = readSealedTree(dir);
  const current = [...existing.secrets, ...[...existing.previewTemplates.values()].flat()].find((f) => f.file === t.file);
  const encryptedData = { ...(current?.object.spec.encryptedData ?? {}), [key]: seal(certificate, t, value) };
  writeSealedFile(dir, t.file, sealedSecretObject({ certificate, namespace: t.namespace, name: t.name, scope: t.scope, encryptedData }));
  console.log(
    `Sealed key ${key} into ${path.join(path.relative(process.cwd(), dir) || dir, t.file)}${value[value.length - 1] === 0x0a ? ' (the value ends with a newline; printf %s avoids that)' : ''}. Commit it.`,
  );
  return 0;
}

function seal(certificate: string, t: Target, value: Buffer): string {
  return sealValue(certificate, sealingLabel(t.namespace, t.name, t.scope), value);
}

function readValues(file: string): [string, Record<string, string>][] {
  const doc = yaml.load(readInputFile(file, 1024 * 1024), { schema: yaml.CORE_SCHEMA });
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(file, ['(file): expected a mapping of "<namespace>/<name>" to { <key>: <value> }']);
  const problems: string[] = [];
  const out: [string, Record<string, string>][] = [];
  for (const [ref, values] of Object.entries(doc as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!values || typeof values !== 'object' || Array.isArray(values) || !Object.keys(values).length) {
      problems.push(`${ref}: expected a mapping of keys to values`);
      continue;
    }
    for (const [k, v] of Object.entries(values)) {
      // Never repeat a value in a message.
      if (typeof v !== 'string') problems.push(`${ref}.${k}: expected a string (quote numbers and booleans)`);
      else if (!KEY.test(k)) problems.push(`${ref}.${k}: expected a Secret key of letters, digits, "-", "_" or "."`);
    }
    out.push([ref, values as Record<string, string>]);
  }
  if (problems.length) throw new ConfigError(file, problems);
  return out;
}

function fail(message: string): number {
  console.error(`seal: ${message}\n${USAGE}`);
  return 2;
}
