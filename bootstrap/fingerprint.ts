/**
 * A cluster's fingerprint: the digests of its certificate authorities and service-account key,
 * written by `npm run secrets -- --init` into `fingerprints/<cluster>.yaml` for a team to commit.
 * It holds nothing secret, and it lets every synthesis tell a cluster's own secrets file from a
 * restored-wrong, renamed or regenerated one: kubeadm pins the CA hash at every join, so hosts
 * booted with other CAs can never join the running cluster.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { readInputFile } from '../config/bounded-input';
import { ConfigError } from '../config/load';
import { repoRoot } from '../lib/repo-root';
import { caCertHash } from './pki';
import { BootstrapSecrets, loadBootstrapSecrets } from './secrets';

export interface ClusterFingerprint {
  readonly cluster: string;
  /** `sha256:<hex>` of each CA's public key, as `kubeadm join --discovery-token-ca-cert-hash` pins it. */
  readonly clusterCa: string;
  readonly etcdCa: string;
  readonly frontProxyCa: string;
  /** `sha256:<hex>` of the service-account public key (SPKI PEM text). */
  readonly serviceAccount: string;
}

const FIELDS = ['clusterCa', 'etcdCa', 'frontProxyCa', 'serviceAccount'] as const;

/** `fingerprints/<cluster>.yaml` below the repository (committed, unlike `secrets/`). */
export function fingerprintFileFor(clusterName: string, dir: string = path.join(repoRoot(), 'fingerprints')): string {
  return path.join(dir, `${clusterName}.yaml`);
}

export function fingerprintOf(cluster: string, secrets: BootstrapSecrets): ClusterFingerprint {
  return {
    cluster,
    clusterCa: caCertHash(secrets.clusterCa.cert),
    etcdCa: caCertHash(secrets.etcdCa.cert),
    frontProxyCa: caCertHash(secrets.frontProxyCa.cert),
    serviceAccount: `sha256:${crypto.createHash('sha256').update(secrets.serviceAccount.publicKey).digest('hex')}`,
  };
}

export function renderFingerprint(fingerprint: ClusterFingerprint): string {
  return [
    `# The fingerprint of cluster ${fingerprint.cluster}'s bootstrap secrets (digests only, nothing secret).`,
    '# Written by `npm run secrets -- --init`; commit it. Synthesis refuses a secrets file that does not match.',
    yaml.dump(fingerprint, { lineWidth: -1 }).trimEnd(),
    '',
  ].join('\n');
}

/** The fingerprint in `file`, or undefined when there is none; a damaged file is a ConfigError. */
export function readFingerprint(file: string): ClusterFingerprint | undefined {
  if (!fs.existsSync(file)) return undefined;
  const text = readInputFile(file, 64 * 1024);
  let raw: any;
  try {
    raw = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (err) {
    throw new ConfigError(file, [`(file): expected valid YAML, found a syntax error (${(err as Error).message.split('\n')[0]})`]);
  }
  const problems = [
    ...(typeof raw?.cluster === 'string' ? [] : ['cluster: expected the cluster name']),
    ...FIELDS.filter((f) => !/^sha256:[0-9a-f]{64}$/.test(String(raw?.[f]))).map(
      (f) => `${f}: expected "sha256:" and 64 hex digits, found ${JSON.stringify(raw?.[f] ?? null)}`,
    ),
  ];
  if (problems.length) throw new ConfigError(file, problems);
  return { cluster: raw.cluster, clusterCa: raw.clusterCa, etcdCa: raw.etcdCa, frontProxyCa: raw.frontProxyCa, serviceAccount: raw.serviceAccount };
}

/** What differs between a cluster's recorded fingerprint and the secrets at hand, one line each. */
export function fingerprintMismatches(recorded: ClusterFingerprint, actual: ClusterFingerprint): string[] {
  return FIELDS.filter((f) => recorded[f] !== actual[f]).map((f) => `${f}: the fingerprint records ${recorded[f]}, the secrets file has ${actual[f]}`);
}

/** A cluster's secrets file as read against its fingerprint: what synthesis and `npm run secrets` both decide on. */
export interface ClusterSecretsState {
  /** Undefined when there is no secrets file. */
  readonly secrets?: BootstrapSecrets;
  /** Undefined when the cluster has no fingerprint (a new cluster, or the example). */
  readonly recorded?: ClusterFingerprint;
  /** Where the secrets file differs from the fingerprint; empty when it matches or either is missing. */
  readonly mismatches: string[];
}

export function readClusterSecrets(cluster: string, secretsFile: string, fingerprintFile: string): ClusterSecretsState {
  const recorded = readFingerprint(fingerprintFile);
  const secrets = loadBootstrapSecrets(secretsFile);
  const mismatches = secrets && recorded ? fingerprintMismatches(recorded, fingerprintOf(cluster, secrets)) : [];
  return { secrets, recorded, mismatches };
}
