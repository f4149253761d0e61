/**
 * Synthesis from a config file to an output directory: load and validate, build, check the
 * platform-wide rules, render, then swap the result into place. Shared by main.ts, the tests
 * and the benchmark, so they all exercise the same path.
 */
import { aptKeyExpiryWarnings } from '../bootstrap/apt-keys';
import { ConfigError, loadConfig } from '../config/load';
import { loadVersions } from '../config/versions';
import { BootstrapSecrets, secretsFileFor } from '../bootstrap/secrets';
import { fingerprintFileFor, readClusterSecrets } from '../bootstrap/fingerprint';
import { deployKeyPublicLine } from '../bootstrap/repository-credentials';
import { EGRESS_FILE, egressMarkdown, platformEgress } from './egress';
import { buildPlatform } from './platform';
import { platformPictures } from './pictures';
import { checkExposure } from '../lib/exposure';
import { EXTERNALS_FILE, externalsJson } from '../lib/externals';
import { writeAtomically } from '../lib/atomic-write';
import { CONSTRUCT_INDEX, render, SynthError, SynthUnit, UnitSummary } from '../lib/synth-writer';
import { addonApplications, addonChartFiles, applySets, applySetsJson, kubectlPlacement } from './kubectl-tree';
import { withRenderSession } from '../lib/render-once';
import { drainWarnings, warn, Warning } from '../lib/warnings';
import { environments } from '../config/model';
import { readSealedTree, SealedFileError, sealedDirFor, SealedTree } from '../lib/sealed-files';
import { checkSealedContract } from './sealed-contract';
import { repoRoot } from '../lib/repo-root';
import * as path from 'path';
import { byOrdinal } from '../lib/order';

export interface SynthOptions {
  readonly configFile: string;
  /** @default 'dist' */
  readonly outdir?: string;
  /** Folder of the per-cluster bootstrap secrets files (git-ignored). @default '<repo>/secrets' */
  readonly secretsDir?: string;
  /** Folder of the per-cluster fingerprints (committed). @default '<repo>/fingerprints' */
  readonly fingerprintsDir?: string;
  /** Folder of the per-cluster sealed inputs, `<dir>/<cluster>/` (committed). @default '<repo>/sealed' */
  readonly sealedDir?: string;
}

export interface SynthResult {
  readonly summaries: UnitSummary[];
  readonly warnings: Warning[];
  readonly externalSecrets: string[];
  /** Of those, the ones neither sealed in git nor declared external: someone creates them by hand. */
  readonly unsealedSecrets: string[];
  /** Whether the cluster seals its Secrets in git (it has a sealing certificate). */
  readonly sealsSecrets: boolean;
  readonly externalStorageClasses: string[];
  /** Why the host boot files were not written (no secrets file yet), and what to do; undefined when they were. */
  readonly hostFilesSkipped?: string;
  /** Rules in `dist/egress.md`, the outbound connections the platform needs. */
  readonly egressRules: number;
  /** The public half of Argo CD's ssh deploy key, to add to the GitOps repository (read-only). */
  readonly deployKey?: string;
}

/** Throws ConfigError or SynthError (nothing written) on bad input. */
export function synthesize(opts: SynthOptions): SynthResult {
  drainWarnings();
  const config = loadConfig(opts.configFile);
  const versions = loadVersions();
  const { secrets, hostFilesSkipped } = clusterSecrets(config.cluster.name, opts);
  const sealed = sealedTree(config.cluster.name, opts, secrets);
  // One render session for the last construction step and the writer: each object is rendered once (lib/render-once.ts).
  const kubectl = config.gitops.mode === 'kubectl';
  const { build, rendered } = withRenderSession(() => {
    let build;
    try {
      build = buildPlatform(config, versions, { secrets, sealed });
    } catch (err) {
      // Constructs refuse impossible input eagerly with a plain Error that says what to change;
      // show it like a failed validation. Anything else (a TypeError) is a bug: keep its stack.
      if (err instanceof Error && err.constructor === Error) throw new SynthError([err.message]);
      throw err;
    }
    return { build, rendered: render(build.units, kubectl ? { place: kubectlPlacement } : {}) };
  });
  const { files, summaries, objects, index, byUnit } = rendered;
  const modeFiles = kubectl ? kubectlAddons(build.units, config.cluster.kubernetesVersion, { files, summaries, index }) : [];
  const exposure = checkExposure(objects, build.protectedServices);
  if (exposure.length) throw new SynthError(exposure);
  const kinds = new Map(environments(config).flatMap((e) => e.apps.map((a) => [a.namespace, a.kind] as const)));
  const contract = checkSealedContract({ config, sealed, required: build.externalSecrets, objects, kindOf: (ns) => kinds.get(ns) });
  if (contract.errors.length) throw new SynthError(contract.errors);
  for (const w of contract.warnings) warn('platform:secrets:notSealed', w);
  const externals = {
    path: EXTERNALS_FILE,
    content: externalsJson({
      secrets: build.externalSecrets,
      storageClasses: build.externalStorageClasses,
      kubernetesRelease: config.cluster.kubernetesVersion,
    }),
  };
  // Every manifest leads to the construct that made it in one hop.
  const constructs = { path: CONSTRUCT_INDEX, content: `${JSON.stringify(sortedKeys(index), null, 2)}\n` };
  let egress;
  try {
    egress = platformEgress(config, versions, objects, kubectl ? addonApplications(build.units) : []);
  } catch (err) {
    if (err instanceof Error && err.constructor === Error) throw new SynthError([err.message]);
    throw err;
  }
  const egressFile = { path: EGRESS_FILE, content: egressMarkdown(egress, config.gitops.mode) };
  const outdir = opts.outdir ?? 'dist';
  const pictures = platformPictures(
    {
      byUnit,
      dataServices: build.protectedServices,
      clusterName: config.cluster.name,
      hosts: config.cluster.hosts,
      vip: config.cluster.controlPlaneEndpoint?.vip,
    },
    outdir,
  );
  writeAtomically(outdir, files, [...build.extraFiles, externals, constructs, egressFile, ...pictures, ...modeFiles]);
  return {
    summaries,
    warnings: drainWarnings(),
    externalSecrets: build.externalSecrets,
    unsealedSecrets: contract.unsealed,
    sealsSecrets: sealed.certificate !== undefined,
    externalStorageClasses: build.externalStorageClasses,
    hostFilesSkipped,
    egressRules: egress.length,
    ...(secrets?.gitopsRepository && 'sshPrivateKey' in secrets.gitopsRepository
      ? { deployKey: deployKeyPublicLine(secrets.gitopsRepository.sshPrivateKey, `argocd@${config.cluster.name}`) }
      : {}),
  };
}

/**
 * kubectl mode: every add-on's chart rendered into the tree beside our own objects, and the ApplySet parents of
 * the pruned folders (`dist/applysets.json`). Adds to the rendered files, summaries and construct index.
 */
function kubectlAddons(
  units: readonly SynthUnit[],
  kubeVersion: string,
  into: { files: Map<string, string>; summaries: UnitSummary[]; index: Record<string, string> },
): { path: string; content: string }[] {
  const addons = addonChartFiles(units, kubeVersion, new Set(into.files.keys()));
  for (const [file, content] of addons.files) into.files.set(file, content);
  Object.assign(into.index, addons.index);
  into.summaries.push(...addons.summaries);
  return [
    applySetsJson(
      applySets(
        into.files.keys(),
        units.map((u) => u.dir),
      ),
    ),
  ];
}

/**
 * The cluster's bootstrap secrets, checked against its committed fingerprint. Synthesis never
 * creates them: a missing file (a fresh clone, CI, a deleted or renamed file) leaves the host boot
 * files out instead of minting new CAs that the running cluster would never accept.
 */
function clusterSecrets(cluster: string, opts: SynthOptions): { secrets?: BootstrapSecrets; hostFilesSkipped?: string } {
  const file = secretsFileFor(cluster, opts.secretsDir);
  const fingerprintFile = fingerprintFileFor(cluster, opts.fingerprintsDir);
  const { secrets, recorded, mismatches } = readClusterSecrets(cluster, file, fingerprintFile);
  if (!secrets) {
    return {
      hostFilesSkipped: recorded
        ? `no ${file}: host boot files (dist/hosts/) not written. Cluster ${cluster} exists (${fingerprintFile}): restore its secrets file from your off-host backup; never create a new one, its CAs could not join the running cluster.`
        : `no ${file} yet: host boot files (dist/hosts/) not written. For a new cluster, create its secrets once with \`npm run secrets -- --init\` and synthesize again.`,
    };
  }
  if (mismatches.length) {
    throw new ConfigError(file, [
      ...mismatches,
      `these are not the secrets of cluster ${cluster} (${fingerprintFile}): restore the cluster's own secrets file from your backup; nothing was written`,
    ]);
  }
  return { secrets };
}

/** The table printed after a successful synthesis: folder, files, objects by kind. */
export function formatSummary(summaries: readonly UnitSummary[]): string {
  const rows = summaries.map((s) => [
    s.dir,
    String(s.files),
    Object.entries(s.kinds)
      .sort(([a], [b]) => byOrdinal(a, b))
      .map(([k, n]) => `${k} ${n}`)
      .join(', '),
  ]);
  const header = ['folder', 'files', 'objects by kind'];
  const widths = [0, 1].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])}  ${r[2]}`;
  return [line(header), ...rows.map(line)].join('\n');
}

function sortedKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Pins that stop working on a date (the embedded apt signing keys), read against `now`: the CLI passes today. */
export function pinExpiryWarnings(now: Date): string[] {
  return aptKeyExpiryWarnings(now);
}

/**
 * The cluster's sealed inputs, checked: readable SealedSecrets, and a certificate that is the
 * secrets file's own (values sealed for another key pair could never be decrypted here).
 */
function sealedTree(cluster: string, opts: SynthOptions, secrets: BootstrapSecrets | undefined): SealedTree {
  const dir = sealedDirFor(opts.sealedDir ?? path.join(repoRoot(), 'sealed'), cluster);
  let tree: SealedTree;
  try {
    tree = readSealedTree(dir);
  } catch (err) {
    if (err instanceof SealedFileError) throw new ConfigError(err.file, [...err.problems]);
    throw err;
  }
  if (tree.certificate && secrets?.sealingKey && tree.certificate.trim() !== secrets.sealingKey.cert.trim())
    throw new ConfigError(path.join(dir, 'sealing-certificate.pem'), [
      `expected the certificate of the sealing key in secrets/${cluster}.yaml, found another: the SealedSecrets here were sealed for a different key pair. Write this cluster's certificate (npm run secrets -- --sealing-key on a new file) and seal every value again (npm run seal -- --values <file>); nothing was written`,
    ]);
  return tree;
}
