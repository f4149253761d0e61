/**
 * The signing keys of the two apt repositories the hosts install from, embedded in user-data
 * (cloud-init's `key`), so a boot fetches no key from a keyserver or anywhere else. Each file in
 * apt-keys/ is checked against its fingerprint whenever it is read: a swapped or corrupted key
 * stops synthesis instead of a boot.
 *
 * An embedded key does not pick up an expiry that upstream extends later: refresh the file
 * (from `source`, then check `gpg --show-keys`) before `expires`; `npm run synth` warns 60 days
 * ahead. pkgs.k8s.io's key has been extended before (kubernetes/kubernetes#128609).
 */
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from '../lib/repo-root';
import { publicKeyFacts, PublicKeyFacts } from './openpgp';

interface AptKeyPin {
  readonly file: string;
  readonly fingerprint: string;
  /** Where upstream publishes it (for a refresh by hand; never fetched by a host). */
  readonly source: string;
}

export const APT_KEYS = {
  kubernetes: {
    file: 'kubernetes.asc',
    fingerprint: 'DE15B14486CD377B9E876E1A234654DA9A296436',
    source: 'https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key',
  },
  docker: {
    file: 'docker.asc',
    fingerprint: '9DC858229FC7DD38854AE2D88D81803C0EBFCD88',
    source: 'https://download.docker.com/linux/debian/gpg',
  },
} as const satisfies Record<string, AptKeyPin>;

export type AptKeyName = keyof typeof APT_KEYS;

export interface AptKey extends PublicKeyFacts {
  readonly name: AptKeyName;
  readonly armored: string;
  readonly path: string;
}

const cache = new Map<AptKeyName, AptKey>();

/** The embedded key `name`, checked against its pinned fingerprint. */
export function aptKey(name: AptKeyName): AptKey {
  const known = cache.get(name);
  if (known) return known;
  const pin: AptKeyPin = APT_KEYS[name];
  const file = path.join(repoRoot(), 'bootstrap', 'apt-keys', pin.file);
  const armored = fs.readFileSync(file, 'utf8');
  const facts = publicKeyFacts(armored);
  if (facts.fingerprint !== pin.fingerprint)
    throw new Error(`${path.relative(repoRoot(), file)}: expected the key with fingerprint ${pin.fingerprint}, found ${facts.fingerprint}`);
  const key = { name, armored, path: path.relative(repoRoot(), file), ...facts };
  cache.set(name, key);
  return key;
}

/** One line per embedded key that expires within `days` of `now` (or has expired). */
export function aptKeyExpiryWarnings(now: Date, days = 60): string[] {
  return (Object.keys(APT_KEYS) as AptKeyName[]).flatMap((name) => {
    const key = aptKey(name);
    if (!key.expires) return [];
    const left = Math.floor((key.expires.getTime() - now.getTime()) / 86_400_000);
    if (left > days) return [];
    const when = key.expires.toISOString().slice(0, 10);
    const state = left < 0 ? `expired on ${when}` : `expires on ${when} (in ${left} days)`;
    return [
      `the ${name} apt signing key embedded in ${key.path} ${state}: hosts installed after that cannot verify the repository. Fetch the current key from ${APT_KEYS[name].source}, check its fingerprint with \`gpg --show-keys\`, replace the file and synthesize again.`,
    ];
  });
}
