/** Bootstrap secrets and PKI: made once, owner-only, checked on load, pins computed like kubeadm does. */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, id_ce_basicConstraints, id_ce_keyUsage, KeyUsage } from '@peculiar/asn1-x509';
import { ConfigError } from '../config/load';
import { caCertHash, createCertificateAuthority } from '../bootstrap/pki';
import { generateBootstrapSecrets, loadOrCreateBootstrapSecrets, parseBootstrapSecrets, renderBootstrapSecrets } from '../bootstrap/secrets';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bootstrap-secrets-'));

describe('certificate authorities', () => {
  const ca = createCertificateAuthority('kubernetes', new Date('2026-11-21T12:00:00Z'));
  const cert = new crypto.X509Certificate(ca.cert);

  test('are self-signed ECDSA P-256 CA certificates valid for ten years', () => {
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=kubernetes');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    expect(new Date(cert.validTo).getUTCFullYear() - new Date(cert.validFrom).getUTCFullYear()).toBe(10);
  });

  test('may sign certificates (critical keyUsage keyCertSign, critical basicConstraints CA)', () => {
    const extensions = AsnConvert.parse(cert.raw, Certificate).tbsCertificate.extensions ?? [];
    const keyUsage = extensions.find((e) => e.extnID === id_ce_keyUsage);
    const basic = extensions.find((e) => e.extnID === id_ce_basicConstraints);
    expect(keyUsage?.critical).toBe(true);
    expect(AsnConvert.parse(keyUsage!.extnValue, KeyUsage).toJSON()).toEqual(expect.arrayContaining(['keyCertSign', 'crlSign']));
    expect(basic?.critical).toBe(true);
    expect(AsnConvert.parse(basic!.extnValue, BasicConstraints).cA).toBe(true);
  });

  test('carry the private key of their certificate', () => {
    const derived = crypto.createPublicKey(crypto.createPrivateKey(ca.key)).export({ type: 'spki', format: 'der' });
    expect(derived.equals(cert.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
  });

  test('caCertHash is sha256 of the DER SubjectPublicKeyInfo, as kubeadm pins it', () => {
    const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
    expect(caCertHash(ca.cert)).toBe(`sha256:${crypto.createHash('sha256').update(spki).digest('hex')}`);
    expect(caCertHash(ca.cert)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('secrets file', () => {
  test('is created once, owner-only, with a notice saying where and to keep it safe', () => {
    const dir = tmp();
    const file = path.join(dir, 'secrets', 'bootstrap.yaml');
    const notices: string[] = [];
    const first = loadOrCreateBootstrapSecrets(file, { log: (l) => notices.push(l) });
    expect(first.created).toBe(true);
    expect(notices).toEqual([expect.stringContaining(file)]);
    expect(notices[0]).toMatch(/keep this file safe and back it up/i);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);

    const second = loadOrCreateBootstrapSecrets(file, { log: (l) => notices.push(l) });
    expect(second.created).toBe(false);
    expect(second.secrets).toEqual(first.secrets);
    expect(notices).toHaveLength(1);
  });

  test('holds a kubeadm token, an 8-character VRRP password and a 32-byte encryption key', () => {
    const s = generateBootstrapSecrets();
    expect(s.bootstrapToken).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(s.keepalivedPassword).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(Buffer.from(s.encryptionKey, 'base64')).toHaveLength(32);
    expect(new crypto.X509Certificate(s.etcdCa.cert).subject).toBe('CN=etcd-ca');
    expect(new crypto.X509Certificate(s.frontProxyCa.cert).subject).toBe('CN=front-proxy-ca');
    expect(crypto.createPublicKey(s.serviceAccount.publicKey).asymmetricKeyType).toBe('ec');
  });

  test('round-trips through its YAML form', () => {
    const s = generateBootstrapSecrets();
    expect(parseBootstrapSecrets(renderBootstrapSecrets(s), 'secrets/bootstrap.yaml')).toEqual(s);
  });

  test('a swapped CA key and a bad token are reported with their field paths', () => {
    const s = generateBootstrapSecrets();
    const broken = renderBootstrapSecrets({ ...s, bootstrapToken: 'not-a-token', etcdCa: { cert: s.etcdCa.cert, key: s.clusterCa.key } });
    let error: unknown;
    try {
      parseBootstrapSecrets(broken, 'secrets/bootstrap.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'bootstrapToken: expected a kubeadm token "[a-z0-9]{6}.[a-z0-9]{16}", found a string of 11 characters (not shown)',
      "etcdCa.key: expected the private key of this entry's cert, found another or unreadable key",
    ]);
  });
});
