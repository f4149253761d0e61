/** The embedded apt signing keys: read by fingerprint, refused when swapped, warned about before they expire. */
import * as fs from 'fs';
import * as path from 'path';
import { APT_KEYS, aptKey, aptKeyExpiryWarnings } from '../bootstrap/apt-keys';
import { publicKeyFacts } from '../bootstrap/openpgp';
import { repoRoot } from '../lib/repo-root';

const armored = (name: string) => fs.readFileSync(path.join(repoRoot(), 'bootstrap', 'apt-keys', name), 'utf8');

test('each embedded key has the fingerprint it is pinned by (as gpg --show-keys prints it)', () => {
  for (const [name, pin] of Object.entries(APT_KEYS)) expect([name, publicKeyFacts(armored(pin.file)).fingerprint]).toEqual([name, pin.fingerprint]);
  // Dates as `gpg --show-keys` shows them for these files.
  expect(aptKey('kubernetes').created.toISOString().slice(0, 10)).toBe('2022-08-25');
  expect(aptKey('docker').created.toISOString().slice(0, 10)).toBe('2017-02-22');
  expect(aptKey('docker').expires).toBeUndefined();
});

test('a key whose bytes were changed has another fingerprint', () => {
  const text = armored('docker.asc');
  const lines = text.split('\n');
  // Flip one character of the key material (the first base64 line after the armor header).
  const at = lines.findIndex((l) => l === '') + 1;
  lines[at] = lines[at].slice(0, 10) + (lines[at][10] === 'A' ? 'B' : 'A') + lines[at].slice(11);
  expect(publicKeyFacts(lines.join('\n')).fingerprint).not.toBe(APT_KEYS.docker.fingerprint);
});

test('a key that expires soon, or has expired, is named with its date and how to refresh it', () => {
  const expires = aptKey('kubernetes').expires!;
  const day = 86_400_000;
  expect(aptKeyExpiryWarnings(new Date(expires.getTime() - 61 * day))).toEqual([]);
  const [soon] = aptKeyExpiryWarnings(new Date(expires.getTime() - 30 * day));
  expect(soon).toContain(
    `the kubernetes apt signing key embedded in bootstrap/apt-keys/kubernetes.asc expires on ${expires.toISOString().slice(0, 10)} (in 30 days)`,
  );
  expect(soon).toContain(APT_KEYS.kubernetes.source);
  expect(aptKeyExpiryWarnings(new Date(expires.getTime() + day))[0]).toContain('expired on');
});

test('armor that is not a public key block is refused', () => {
  expect(() => publicKeyFacts('-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n')).toThrow(
    'expected an ASCII-armored OpenPGP public key block',
  );
});
