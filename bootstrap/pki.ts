/**
 * The cluster's certificate authorities, made once (the Cluster API model): ECDSA P-256 keys
 * from Node's crypto, certificates encoded with PeculiarVentures' X.509 ASN.1 schema and
 * signed synchronously, so the secrets loader needs no async chain. kubeadm finds the CA
 * files already in /etc/kubernetes/pki and signs every leaf certificate with them.
 */
import * as crypto from 'crypto';
import { createRequire } from 'module';
import type * as Asn1Schema from '@peculiar/asn1-schema';
import type * as Asn1X509 from '@peculiar/asn1-x509';

const requireHere = createRequire(__filename);

/**
 * The ASN.1 libraries, loaded when a CA is made (once, when a cluster's secrets file is created)
 * instead of on every synthesis, where loading them was a twentieth of the run (issue 18).
 */
function asn1(): typeof Asn1Schema & typeof Asn1X509 {
  return { ...(requireHere('@peculiar/asn1-schema') as typeof Asn1Schema), ...(requireHere('@peculiar/asn1-x509') as typeof Asn1X509) };
}

/** A certificate and its private key, PEM-encoded (PKCS#8 key). */
export interface CertificateAuthority {
  readonly cert: string;
  readonly key: string;
}

/** The service-account token signing key pair (PKCS#8 private, SPKI public). */
export interface KeyPair {
  readonly publicKey: string;
  readonly privateKey: string;
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';
const CA_YEARS = 10;

function pem(label: string, der: ArrayBuffer | Buffer): string {
  const lines =
    Buffer.from(der as ArrayBuffer)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const newEcKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** A self-signed CA certificate (`CN=<commonName>`), valid for ten years from `now`. */
export function createCertificateAuthority(commonName: string, now: Date = new Date()): CertificateAuthority {
  return selfSigned({ commonName, keys: newEcKey(), ca: true, now });
}

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
/** The RSA size the Sealed Secrets controller generates its own keys with (`--key-size` default). */
const SEALING_KEY_BITS = 4096;

/**
 * The Sealed Secrets controller's sealing key pair: RSA (its hybrid scheme wraps each session key
 * with RSA-OAEP) and a self-signed certificate that carries the public key to whoever seals, like
 * the one the controller makes itself (`CN=sealed-secret`, ten years).
 * @see https://github.com/bitnami-labs/sealed-secrets/blob/v0.36.6/docs/bring-your-own-certificates.md
 */
export function createSealingKey(now: Date = new Date()): CertificateAuthority {
  return selfSigned({ commonName: 'sealed-secret', keys: crypto.generateKeyPairSync('rsa', { modulusLength: SEALING_KEY_BITS }), ca: false, now });
}

interface SelfSignedOptions {
  readonly commonName: string;
  readonly keys: crypto.KeyPairKeyObjectResult;
  /** A CA (keyCertSign, basicConstraints CA:TRUE), or a key for encryption (keyEncipherment). */
  readonly ca: boolean;
  readonly now: Date;
}

function selfSigned(opts: SelfSignedOptions): CertificateAuthority {
  const {
    AlgorithmIdentifier,
    AsnConvert,
    AttributeTypeAndValue,
    AttributeValue,
    BasicConstraints,
    Certificate,
    Extension,
    Extensions,
    id_ce_basicConstraints,
    id_ce_keyUsage,
    id_ce_subjectKeyIdentifier,
    KeyUsage,
    KeyUsageFlags,
    Name,
    OctetString,
    RelativeDistinguishedName,
    SubjectKeyIdentifier,
    SubjectPublicKeyInfo,
    TBSCertificate,
    Validity,
    Version,
  } = asn1();
  const extension = (extnID: string, value: object) =>
    new Extension({ extnID, critical: extnID !== id_ce_subjectKeyIdentifier, extnValue: new OctetString(AsnConvert.serialize(value)) });
  const { publicKey, privateKey } = opts.keys;
  const rsa = publicKey.asymmetricKeyType === 'rsa';
  const spki = AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
  const name = new Name([
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type: COMMON_NAME, value: new AttributeValue({ utf8String: opts.commonName }) })]),
  ]);
  const serial = crypto.randomBytes(16);
  serial[0] &= 0x7f; // positive INTEGER
  serial[0] |= 0x01; // no leading zero byte to strip
  const notBefore = new Date(Math.floor(opts.now.getTime() / 1000) * 1000 - 5 * 60 * 1000); // tolerate small clock skew
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
  // RSA signature algorithms carry explicit NULL parameters (RFC 4055); ECDSA ones carry none.
  const algorithm = rsa ? new AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: null }) : new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
  const usage = opts.ca
    ? KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign
    : KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment;
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array(serial).buffer,
    signature: algorithm,
    issuer: name,
    validity: new Validity({ notBefore, notAfter }),
    subject: name,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions([
      extension(id_ce_keyUsage, new KeyUsage(usage)),
      extension(id_ce_basicConstraints, new BasicConstraints({ cA: opts.ca })),
      extension(id_ce_subjectKeyIdentifier, new SubjectKeyIdentifier(crypto.createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest())),
    ]),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  // Node's ECDSA signatures are DER ECDSA-Sig-Value and its RSA ones PKCS#1 v1.5, exactly what X.509 carries.
  const signature = crypto.sign('sha256', tbsDer, privateKey);
  const certificate = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: new Uint8Array(signature).buffer });
  return { cert: pem('CERTIFICATE', AsnConvert.serialize(certificate)), key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** The key pair kube-apiserver signs service-account tokens with (`sa.key`/`sa.pub`). */
export function createServiceAccountKeyPair(): KeyPair {
  const { publicKey, privateKey } = newEcKey();
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * The discovery pin kubeadm join checks: `sha256:` and the hex SHA-256 of the CA's DER
 * SubjectPublicKeyInfo (what `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum` prints).
 */
export function caCertHash(certPem: string): string {
  const spki = new crypto.X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${crypto.createHash('sha256').update(spki).digest('hex')}`;
}

/** Whether `key` is the private key of `cert` (a swapped file in the secrets is caught here). */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  const certKey = new crypto.X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  const derived = crypto.createPublicKey(crypto.createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  return Buffer.compare(certKey, derived) === 0;
}
