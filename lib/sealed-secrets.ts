/**
 * Sealing a value for the Sealed Secrets controller, offline, with the cluster's public
 * certificate: the controller's hybrid scheme, rebuilt on node:crypto.
 *
 * Per value: a random 32-byte AES-256-GCM session key encrypts the value with a zero nonce (the
 * key is used once), and RSA-OAEP with SHA-256 encrypts the session key with the scope label as
 * the OAEP label: `<namespace>/<name>` in strict scope, `<namespace>` namespace-wide, empty
 * cluster-wide. The result is the RSA ciphertext's length (2 bytes, big-endian), the RSA
 * ciphertext, then the GCM ciphertext with its tag; base64 in `spec.encryptedData`. A value sealed
 * for one namespace and name cannot be unsealed under another: the label is part of the OAEP check.
 *
 * @see https://github.com/bitnami-labs/sealed-secrets/blob/v0.36.6/pkg/crypto/crypto.go (HybridEncrypt)
 * @see https://github.com/bitnami-labs/sealed-secrets/blob/v0.36.6/pkg/apis/sealedsecrets/v1alpha1/sealedsecret_expansion.go (EncryptionLabel)
 * @see https://github.com/bitnami-labs/sealed-secrets/blob/v0.36.6/docs/developer/crypto.md
 */
import * as crypto from 'crypto';

export type SealingScope = 'strict' | 'namespace-wide' | 'cluster-wide';

const SESSION_KEY_BYTES = 32;
/** Annotations the controller reads the scope from (no annotation: strict). */
export const SCOPE_ANNOTATION: Readonly<Record<Exclude<SealingScope, 'strict'>, string>> = {
  'namespace-wide': 'sealedsecrets.bitnami.com/namespace-wide',
  'cluster-wide': 'sealedsecrets.bitnami.com/cluster-wide',
};

/** The OAEP label of a scope (upstream EncryptionLabel). */
export function sealingLabel(namespace: string, name: string, scope: SealingScope): Buffer {
  return Buffer.from(scope === 'cluster-wide' ? '' : scope === 'namespace-wide' ? namespace : `${namespace}/${name}`);
}

/** One sealed value, base64, for `spec.encryptedData.<key>`. */
export function sealValue(certificatePem: string, label: Buffer, plaintext: Buffer): string {
  const publicKey = new crypto.X509Certificate(certificatePem).publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') throw new Error('expected the RSA certificate of a Sealed Secrets controller');
  const sessionKey = crypto.randomBytes(SESSION_KEY_BYTES);
  const wrapped = crypto.publicEncrypt({ key: publicKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label }, sessionKey);
  const cipher = crypto.createCipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(wrapped.length);
  return Buffer.concat([length, wrapped, sealed]).toString('base64');
}

/** Which certificate sealed a SealedSecret (its short fingerprint): values sealed for another key pair are refused. */
export const SEALED_WITH_ANNOTATION = 'platform.campus/sealed-with';

/** The short SHA-256 fingerprint of a certificate, as the annotation and the key Secret's name carry it. */
export function certificateFingerprint(certificatePem: string): string {
  return crypto.createHash('sha256').update(certificatePem.trim()).digest('hex').slice(0, 12);
}

export interface SealedSecretSpec {
  /** The certificate the values were sealed with (recorded as a fingerprint). */
  readonly certificate: string;
  readonly namespace: string;
  readonly name: string;
  readonly scope: SealingScope;
  /** Key → sealed value (base64), sorted when written. */
  readonly encryptedData: Readonly<Record<string, string>>;
  /** Secret type. @default 'Opaque' */
  readonly type?: string;
}

/** The SealedSecret object (bitnami.com/v1alpha1); its Secret gets the same name and namespace. */
export function sealedSecretObject(spec: SealedSecretSpec): Record<string, unknown> {
  const annotations = spec.scope === 'strict' ? undefined : { [SCOPE_ANNOTATION[spec.scope]]: 'true' };
  const data = Object.fromEntries(
    Object.keys(spec.encryptedData)
      .sort()
      .map((k) => [k, spec.encryptedData[k]]),
  );
  return {
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      annotations: { ...annotations, [SEALED_WITH_ANNOTATION]: certificateFingerprint(spec.certificate) },
    },
    spec: {
      encryptedData: data,
      // A cluster-wide value may be placed in any namespace (a preview's): its template names none.
      template: {
        metadata: { name: spec.name, ...(spec.scope === 'cluster-wide' ? {} : { namespace: spec.namespace }), ...(annotations ? { annotations } : {}) },
        type: spec.type ?? 'Opaque',
      },
    },
  };
}

/** The scope a SealedSecret object was sealed in, from its annotations. */
export function scopeOf(object: { metadata?: { annotations?: Record<string, string> } }): SealingScope {
  const a = object.metadata?.annotations ?? {};
  if (a[SCOPE_ANNOTATION['cluster-wide']] === 'true') return 'cluster-wide';
  if (a[SCOPE_ANNOTATION['namespace-wide']] === 'true') return 'namespace-wide';
  return 'strict';
}

/** Namespace of the Sealed Secrets controller and its sealing keys (kubeseal's default is kube-system; ours is its own). */
export const SEALED_SECRETS_NAMESPACE = 'sealed-secrets';
/** Service name kubeseal looks for (`--controller-name`). */
export const SEALED_SECRETS_CONTROLLER = 'sealed-secrets-controller';
/** The label the controller finds its keys by; `active` keys decrypt, the newest seals. */
export const SEALING_KEY_LABEL = 'sealedsecrets.bitnami.com/sealed-secrets-key';
/**
 * The Secret a sealing key pair is installed as: named after its certificate, so a rotated key is
 * added beside the old one (which keeps decrypting what was sealed with it), never over it.
 */
export function sealingKeySecretName(certificatePem: string): string {
  return `sealing-key-${certificateFingerprint(certificatePem)}`;
}
