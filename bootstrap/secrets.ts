/**
 * Bootstrap secrets: the join token, keepalived password, Secret encryption key and the
 * cluster CAs, generated once into a git-ignored, owner-only file and read by every synthesis
 * (the same file always gives the same host files). Losing the file means losing the ability
 * to add control-plane hosts and to decrypt the Secrets in etcd backups, hence the notice on creation.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { z } from 'zod';
import { formatIssues } from '../config/format-issues';
import { describeValue } from '../lib/format';
import { readInputFile } from '../config/bounded-input';
import { ConfigError } from '../config/load';
import { repoRoot } from '../lib/repo-root';
import type { RepositoryCredentials } from './repository-credentials';
import { CertificateAuthority, createCertificateAuthority, createSealingKey, createServiceAccountKeyPair, KeyPair, keyMatchesCertificate } from './pki';

export interface BootstrapSecrets {
  /** kubeadm bootstrap token `[a-z0-9]{6}.[a-z0-9]{16}`: joins hosts while it is valid (24h after init). */
  readonly bootstrapToken: string;
  /** keepalived VRRP `auth_pass` (VRRP uses at most 8 characters). */
  readonly keepalivedPassword: string;
  /** 32 random bytes, base64: the secretbox key that encrypts Secrets in etcd. */
  readonly encryptionKey: string;
  readonly clusterCa: CertificateAuthority;
  readonly etcdCa: CertificateAuthority;
  readonly frontProxyCa: CertificateAuthority;
  readonly serviceAccount: KeyPair;
  /**
   * The Sealed Secrets controller's key pair (RSA, self-signed certificate): the first control plane
   * installs it, and its certificate (committed under sealed/<cluster>/) seals values offline.
   * @default - none (the cluster's Secrets are not sealed in git)
   */
  readonly sealingKey?: CertificateAuthority;
  /** Argo CD's read access to the GitOps repository: an ssh deploy key or an https token. @default - none (a public https repository) */
  readonly gitopsRepository?: RepositoryCredentials;
}

/**
 * The secrets file of one cluster: `secrets/<cluster>.yaml` below the repository. One file per
 * cluster name, so two platforms (an example and the real one) never share CAs or tokens.
 */
export function secretsFileFor(clusterName: string, dir: string = path.join(repoRoot(), 'secrets')): string {
  return path.join(dir, `${clusterName}.yaml`);
}

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

function randomString(alphabet: string, length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of crypto.randomBytes(length)) {
      // Rejection sampling keeps every character equally likely.
      if (byte < 256 - (256 % alphabet.length) && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

export const newBootstrapToken = () => `${randomString(TOKEN_ALPHABET, 6)}.${randomString(TOKEN_ALPHABET, 16)}`;

export function generateBootstrapSecrets(now: Date = new Date()): BootstrapSecrets {
  return {
    bootstrapToken: newBootstrapToken(),
    keepalivedPassword: randomString(PASSWORD_ALPHABET, 8),
    encryptionKey: crypto.randomBytes(32).toString('base64'),
    clusterCa: createCertificateAuthority('kubernetes', now),
    etcdCa: createCertificateAuthority('etcd-ca', now),
    frontProxyCa: createCertificateAuthority('front-proxy-ca', now),
    serviceAccount: createServiceAccountKeyPair(),
  };
}

const pemBlock = (label: string) =>
  z
    .string({ error: `expected a PEM ${label}` })
    .regex(new RegExp(`^-----BEGIN ${label}-----\\n[A-Za-z0-9+/=\\n]+-----END ${label}-----\\n?$`), { error: `expected a PEM "${label}" block` });

const authority = z.strictObject({ cert: pemBlock('CERTIFICATE'), key: pemBlock('PRIVATE KEY') }).superRefine((ca, ctx) => {
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(ca.cert);
  } catch {
    ctx.addIssue({ code: 'custom', path: ['cert'], message: 'expected a readable X.509 certificate, found unreadable data' });
    return;
  }
  if (!cert.ca)
    ctx.addIssue({
      code: 'custom',
      path: ['cert'],
      message: `expected a CA certificate (basicConstraints CA:TRUE), found one for ${JSON.stringify(cert.subject)}`,
    });
  let matches = false;
  try {
    matches = keyMatchesCertificate(ca.cert, ca.key);
  } catch {
    /* reported below */
  }
  if (!matches) ctx.addIssue({ code: 'custom', path: ['key'], message: "expected the private key of this entry's cert, found another or unreadable key" });
});

const secretsSchema = z.strictObject({
  bootstrapToken: z.string().regex(/^[a-z0-9]{6}\.[a-z0-9]{16}$/, { error: 'expected a kubeadm token "[a-z0-9]{6}.[a-z0-9]{16}"' }),
  keepalivedPassword: z.string().regex(/^[A-Za-z0-9]{8}$/, { error: 'expected 8 letters or digits (VRRP ignores more)' }),
  encryptionKey: z.base64({ error: 'expected base64' }).refine((k) => Buffer.from(k, 'base64').length === 32, { error: 'expected 32 bytes, base64-encoded' }),
  clusterCa: authority,
  etcdCa: authority,
  frontProxyCa: authority,
  serviceAccount: z.strictObject({ publicKey: pemBlock('PUBLIC KEY'), privateKey: pemBlock('PRIVATE KEY') }),
  sealingKey: z
    .strictObject({ cert: pemBlock('CERTIFICATE'), key: pemBlock('PRIVATE KEY') })
    .superRefine((pair, ctx) => {
      try {
        if (new crypto.X509Certificate(pair.cert).publicKey.asymmetricKeyType !== 'rsa')
          ctx.addIssue({ code: 'custom', path: ['cert'], message: 'expected an RSA certificate (the controller seals with RSA-OAEP)' });
        else if (!keyMatchesCertificate(pair.cert, pair.key))
          ctx.addIssue({ code: 'custom', path: ['key'], message: "expected the private key of this entry's cert, found another" });
      } catch {
        ctx.addIssue({ code: 'custom', path: ['cert'], message: 'expected a readable X.509 certificate and key, found unreadable data' });
      }
    })
    .optional(),
  gitopsRepository: z
    .union([
      z.strictObject({ sshPrivateKey: pemBlock('PRIVATE KEY') }),
      z.strictObject({ username: z.string().min(1), password: z.string().min(1, { error: 'expected the token' }) }),
    ])
    .optional(),
});

/** Parses and checks a secrets file's text; problems are reported like config errors. */
export function parseBootstrapSecrets(text: string, file: string): BootstrapSecrets {
  let raw: unknown;
  try {
    raw = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (err) {
    // js-yaml's message quotes the offending line, which may be key material: only the position is shown.
    const mark = (err as { mark?: { line: number; column: number } }).mark;
    const where = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '';
    throw new ConfigError(file, [`(file): expected valid YAML, found a syntax error${where}`]);
  }
  const result = secretsSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(file, formatIssues(secretsSchema, result.error.issues, redacted));
  return result.data;
}

/** What was found, without ever showing a string: every string in this file may be key material. */
function redacted(value: unknown): string {
  return typeof value === 'string' ? `a string of ${value.length} characters (not shown)` : describeValue(value);
}

const HEADER = [
  '# Bootstrap secrets of this platform: cluster CAs, service-account key, join token,',
  '# keepalived password, the key that encrypts Secrets in etcd and the sealing key of Sealed Secrets. Generated once by',
  '# `npm run secrets -- --init`; synthesis copies them into dist/hosts/ (git-ignored, mode 0600).',
  '# KEEP THIS FILE SAFE AND BACKED UP OFF-HOST: without it no control-plane host can be',
  '# added and the Secrets in etcd backups cannot be decrypted. Never commit it.',
  '# See bootstrap/README.md.',
];

export function renderBootstrapSecrets(secrets: BootstrapSecrets): string {
  return `${HEADER.join('\n')}\n${yaml.dump(secrets, { lineWidth: -1, noRefs: true })}`;
}

/** Writes the file owner-only (0600) in an owner-only directory (0700); never replaces another file by accident. */
export function writeBootstrapSecrets(file: string, secrets: BootstrapSecrets, options: { replace?: boolean } = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(file), 0o700);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, renderBootstrapSecrets(secrets), { mode: 0o600, flag: 'wx' });
  if (options.replace) {
    fs.renameSync(temp, file);
    return;
  }
  // link() fails if the file appeared meanwhile: two concurrent first runs never overwrite each other's CAs.
  try {
    fs.linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SecretsExistError(file);
    throw err;
  } finally {
    fs.unlinkSync(temp);
  }
}

/** Creating a secrets file that already exists: the existing one wins. */
export class SecretsExistError extends Error {
  constructor(public readonly file: string) {
    super(`${file} already exists; refusing to overwrite bootstrap secrets`);
  }
}

export function secretsNotice(file: string): string {
  return `Created bootstrap secrets in ${file} (cluster CAs, join token, encryption key). Keep this file safe and back it up off-host; it is git-ignored and must never be committed.`;
}

/** A secrets file is about 5 KiB. */
const MAX_SECRETS_BYTES = 256 * 1024;

export interface LoadSecretsOptions {
  /** Where the creation notice goes. @default - standard error */
  readonly log?: (line: string) => void;
}

/** The secrets in `file`, or undefined when there is none. Synthesis only ever reads them. */
export function loadBootstrapSecrets(file: string): BootstrapSecrets | undefined {
  if (!fs.existsSync(file)) return undefined;
  return parseBootstrapSecrets(readInputFile(file, MAX_SECRETS_BYTES), file);
}

/** Creates the secrets file; {@link SecretsExistError} when there is one (it is never replaced). */
export function initBootstrapSecrets(file: string, options: LoadSecretsOptions & { readonly sealingKey?: boolean } = {}): BootstrapSecrets {
  // The sealing key is RSA-4096 (over a second to make): only a cluster that seals Secrets in git asks for it.
  const secrets = { ...generateBootstrapSecrets(), ...(options.sealingKey ? { sealingKey: createSealingKey() } : {}) };
  writeBootstrapSecrets(file, secrets);
  (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(secretsNotice(file));
  return secrets;
}

/**
 * Reads the secrets file, or generates it when there is none (and says so): for platforms built by
 * hand (examples/by-hand). The synthesis CLI never creates secrets; `npm run secrets -- --init` does.
 */
export function loadOrCreateBootstrapSecrets(file: string, options: LoadSecretsOptions = {}): { secrets: BootstrapSecrets; created: boolean } {
  const existing = loadBootstrapSecrets(file);
  if (existing) return { secrets: existing, created: false };
  try {
    return { secrets: initBootstrapSecrets(file, options), created: true };
  } catch (err) {
    // Another run created it first: use that one.
    if (err instanceof SecretsExistError) return { secrets: parseBootstrapSecrets(fs.readFileSync(file, 'utf8'), file), created: false };
    throw err;
  }
}
