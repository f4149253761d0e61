/**
 * Assembly test fixtures: a platform synthesized into a temporary `<root>/dist`, its documents, and the
 * assembly check (chart renders, plan, validation of what the charts create) over them, with a way to
 * rebuild a broken arrangement by editing documents in memory.
 */
import * as path from 'path';
import { loadVersions } from '../config/versions';
import { assemble, AssemblyResult } from '../lib/validate/assemble';
import { Finding, SourceDocument } from '../lib/validate/document';
import { formatFinding, loadTree, validateDocuments } from '../lib/validate/index';
import { loadSchemaStore, resolveSchemaLocation } from '../lib/validate/schema-store';
import { drainWarnings } from '../lib/warnings';
import { DEFAULT_CONFIG_FILE, fixtureTree, manifestFolders, TEST_SECRETS, tmpDir, synthesizeWithSecrets } from './helpers';

export interface SynthesizedTree {
  readonly root: string;
  readonly docs: readonly SourceDocument[];
  readonly secrets: readonly string[];
  readonly storageClasses: readonly string[];
}

/** The platform of `configFile` synthesized and loaded; the test fixture comes from the run's shared tree. */
export function synthTree(configFile: string): SynthesizedTree {
  if (configFile === DEFAULT_CONFIG_FILE) {
    const { root, dist, secrets, storageClasses } = fixtureTree();
    return { root, docs: loadTree(manifestFolders(dist)).docs, secrets, storageClasses };
  }
  const root = tmpDir('platform-assembly-');
  const result = synthesizeWithSecrets({ configFile, outdir: path.join(root, 'dist'), secretsDir: TEST_SECRETS });
  drainWarnings();
  return {
    root,
    docs: loadTree(manifestFolders(path.join(root, 'dist'))).docs,
    secrets: result.externalSecrets,
    storageClasses: result.externalStorageClasses,
  };
}

export interface Checked {
  readonly assembly: AssemblyResult;
  /** Every finding: assembly, and schemas/references/Pod Security of the tree with what the charts create. */
  readonly findings: readonly Finding[];
  readonly messages: readonly string[];
}

export function check(tree: SynthesizedTree, docs: readonly SourceDocument[] = tree.docs): Checked {
  const location = resolveSchemaLocation();
  const assembly = assemble(docs, {
    store: loadSchemaStore(location),
    repoRoot: tree.root,
    kubeVersion: loadVersions().kubernetes.release,
    declaredSecrets: tree.secrets,
    declaredStorageClasses: tree.storageClasses,
  });
  const findings = [
    ...assembly.findings,
    ...validateDocuments([...docs, ...assembly.rendered], {
      schemaLocation: location,
      declared: { secrets: tree.secrets, storageClasses: tree.storageClasses },
    }),
  ];
  return { assembly, findings, messages: findings.map(formatFinding) };
}

/** The documents with `edit` applied to a deep copy of every object that `match` selects (at least one). */
export function editing(docs: readonly SourceDocument[], match: (o: any) => boolean, edit: (o: any) => void): SourceDocument[] {
  let hits = 0;
  const out = docs.map((d) => {
    if (!match(d.object)) return d;
    hits++;
    const object = structuredClone(d.object);
    edit(object);
    return { ...d, object };
  });
  if (hits === 0) throw new Error('editing: no document matched');
  return out;
}

export const is = (kind: string, name: string) => (o: any) => o?.kind === kind && o?.metadata?.name === name;

export function setWave(o: any, wave: number | undefined): void {
  o.metadata.annotations = { ...o.metadata.annotations };
  if (wave === undefined) delete o.metadata.annotations['argocd.argoproj.io/sync-wave'];
  else o.metadata.annotations['argocd.argoproj.io/sync-wave'] = String(wave);
}
