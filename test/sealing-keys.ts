/**
 * Sealing keys for the tests that need a key of their own rather than the one `npm run secrets -- --init` makes
 * (test/sealed-secrets.test.ts): each is a 4096-bit RSA key, one to two seconds of CPU to make, so each slot is made
 * once by createSealingKey and kept in the per-user cache (0600), beside the chart renders. The file is named by the
 * digest of bootstrap/pki.ts: a change to how keys and certificates are made makes new ones, so the tests always see
 * what the current code makes. These keys seal only the tests' scratch values; no cluster ever holds them.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CertificateAuthority, createSealingKey } from '../bootstrap/pki';
import { cacheRoot, writeFileAtomic } from '../lib/user-cache';
import { ROOT } from './helpers';

export function testSealingKey(slot: 'own' | 'other'): CertificateAuthority {
  const source = createHash('sha256')
    .update(fs.readFileSync(path.join(ROOT, 'bootstrap', 'pki.ts')))
    .digest('hex')
    .slice(0, 16);
  const file = path.join(cacheRoot(), 'test-sealing-keys', `${slot}-${source}.json`);
  try {
    const kept = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof kept.cert === 'string' && typeof kept.key === 'string') return { cert: kept.cert, key: kept.key };
  } catch {
    // not made yet, or cut short: made again below
  }
  const made = createSealingKey();
  writeFileAtomic(file, JSON.stringify({ cert: made.cert, key: made.key }), 0o600);
  return made;
}
