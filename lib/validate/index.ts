/**
 * The manifest validator: strict schemas, cross-object references and Pod Security, over a set of documents that
 * together describe one cluster.
 */
import * as fs from 'fs';
import * as path from 'path';
import { compareFindings, finding, Finding, parseYaml, SourceDocument, ValidateOptions } from './document';
import { isChartOutput } from '../kubectl-phases';
import { parsedFiles } from './parse-cache';
import { checkPodSecurity } from './pod-security';
import { checkReferences } from './reference-check';
import { checkSchemas } from './schema-check';
import { checkSecrets } from './secret-check';
import { CelReport, checkCelRules } from './cel-check';
import { checkDataSafety } from './data-safety';
import { checkWorkloadRules } from './workload-rules';
import { checkAdmission } from './admission-check';
import { checkNamespaceIsolation } from './network-isolation';
import { loadSchemaStore, resolveSchemaLocation, withCrds } from './schema-store';
import { embeddedDocuments } from './operator-objects';

export type { DeclaredObjects, Finding, SourceDocument, ValidateOptions } from './document';

export function validateDocuments(docs: readonly SourceDocument[], opts: ValidateOptions = {}): Finding[] {
  return validateDocumentsWithReport(docs, opts).findings;
}

/** {@link validateDocuments}, with the counts of the CEL rules evaluated and skipped. */
export function validateDocumentsWithReport(docs: readonly SourceDocument[], opts: ValidateOptions = {}): { findings: Finding[]; cel: CelReport } {
  const isMapping = (doc: SourceDocument) => typeof doc.object === 'object' && doc.object !== null && !Array.isArray(doc.object);
  const objects = docs.filter(isMapping);
  // CRDs among the documents (a chart's own) are what the cluster will serve.
  const store = withCrds(
    loadSchemaStore(resolveSchemaLocation(opts.schemaLocation)),
    objects.map((d) => d.object),
  );
  const cel = checkCelRules(objects, store);
  const findings = [
    ...docs.filter((doc) => !isMapping(doc)).map((doc) => finding(doc, '', 'a manifest must be a mapping (an object)')),
    ...checkSchemas(objects, store),
    // Manifests a Job applies later (the restore drill's throw-away Cluster) must be valid when it does.
    ...checkSchemas(objects.filter((d) => d.object.kind === 'ConfigMap').flatMap(embeddedDocuments), store),
    ...checkReferences(objects, opts.declared),
    ...checkPodSecurity(objects),
    ...checkSecrets(objects),
    ...checkWorkloadRules(objects),
    ...checkDataSafety(objects),
    ...checkAdmission(objects),
    ...checkNamespaceIsolation(objects),
    ...cel.findings,
  ].sort(compareFindings);
  return { findings, cel };
}

export interface LoadedTree {
  readonly files: readonly string[];
  /** Every non-empty document of the files that parsed. */
  readonly docs: readonly SourceDocument[];
  /** One per file that is not valid YAML; its documents are left out. */
  readonly parseErrors: readonly Finding[];
}

/** Reads every `*.yaml`/`*.yml` under the given folders (or the given files), in sorted order. */
export function loadTree(paths: readonly string[]): LoadedTree {
  const files = paths.flatMap(yamlFiles).sort();
  const texts = files.map((file) => fs.readFileSync(file, 'utf8'));
  const docs: SourceDocument[] = [];
  const parseErrors: Finding[] = [];
  parsedFiles(files, texts, (i) => parseYaml(files[i], texts[i])).forEach((parsed, i) => {
    if ('error' in parsed) parseErrors.push(parsed.error);
    // kubectl mode commits the add-on charts' output: checked like argocd mode's renders of the same charts.
    else docs.push(...(isChartOutput(files[i]) ? parsed.docs.map((d) => ({ ...d, clusterReleaseOnly: true })) : parsed.docs));
  });
  return { files, docs, parseErrors };
}

function yamlFiles(target: string): string[] {
  if (!fs.statSync(target).isDirectory()) return [target];
  return fs.readdirSync(target, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
}

export function validateTree(paths: readonly string[], opts: ValidateOptions = {}): Finding[] {
  const { docs, parseErrors } = loadTree(paths);
  return [...parseErrors, ...validateDocuments(docs, opts)].sort(compareFindings);
}

/** `file: Kind/namespace/name: path: message`, leaving out the parts a finding does not have. */
export function formatFinding(f: Finding): string {
  return [f.file, f.document, f.path, f.message].filter((part) => part !== '').join(': ');
}
