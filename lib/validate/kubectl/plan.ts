/**
 * The apply plan of a kubectl-mode tree (`gitops.mode: kubectl`, layout in lib/kubectl-phases.ts): the steps a
 * person runs, in order, with the exact commands, checked by the assembly planner that checks the Argo CD order.
 *
 * Each step is one phase folder of one unit. The order mirrors the Argo CD waves: the cluster's phases up to the
 * platform jobs, then the environments that own data (Argo CD's `environments` wave), then the previews (they use
 * staging's database), and last the cluster's edge phase, which nothing waits on (an ACME certificate can wait
 * hours on DNS). The planner simulates the steps as one Argo CD sync with one wave per step: every step is applied
 * only when its CRDs, namespaces, StorageClasses, Secrets and what its objects' health waits on are there, and its
 * waits are the objects of that step whose health is not immediate. Objects annotated
 * `argocd.argoproj.io/ignore-healthcheck` (routes) are applied in their step but never waited on.
 */
import * as path from 'path';
import { byOrdinal } from '../../order';
import {
  applySetParent,
  CLUSTER_SCOPED_FOLDER,
  CLUSTER_UNIT,
  CRD_PHASE,
  holdsData,
  KEPT,
  NAMESPACE_PHASE,
  PRUNED,
  waveFolderNames,
} from '../../kubectl-phases';
import { WAVE } from '../../argocd';
import { Finding, SourceDocument } from '../document';
import { describe, planObject, PlanObject, Scopes } from '../assembly/plan-object';
import { planAssembly } from '../assembly/simulate';
import { waitForm } from './waits';

/** Every apply uses one field manager, so a later apply of the same object (from another folder) owns what this one set. */
export const FIELD_MANAGER = 'platform';

export interface KubectlStep {
  readonly index: number;
  /** `cluster`, `production/berkeleytime`. */
  readonly unit: string;
  /** `00-crds`, `13-platform`. */
  readonly phase: string;
  readonly objects: readonly PlanObject[];
  /** argv of each command, in order: the applies, then the waits. */
  readonly commands: readonly (readonly string[])[];
  /** What the step waits on before the next one (empty for the last). */
  readonly waitsFor: readonly PlanObject[];
}

export interface KubectlPlan {
  readonly steps: readonly KubectlStep[];
  readonly findings: readonly Finding[];
  readonly assembles: boolean;
}

export interface KubectlPlanInput {
  /** The tree's documents, files under `distDir`. */
  readonly docs: readonly SourceDocument[];
  /** The folder the tree is in; commands name it as `dist/` (they run from the repository root). */
  readonly distDir: string;
  readonly isBuiltin: (group: string, kind: string) => boolean;
  readonly declaredSecrets: readonly string[];
  readonly declaredStorageClasses: readonly string[];
  /** `dist/applysets.json` as written by synthesis, checked against the folders. */
  readonly applySets?: readonly { folder: string; applyset: string; namespace: string; id: string }[];
}

interface Located {
  readonly doc: SourceDocument;
  readonly unit: string;
  readonly phase: string;
  readonly pruning: string;
  readonly namespaceFolder: string;
}

/** Where a file sits in the layout; undefined for a file outside it. */
function locate(doc: SourceDocument, distDir: string): Located | undefined {
  const rel = path.relative(distDir, doc.file).split(path.sep);
  const unitLength = rel[0] === CLUSTER_UNIT ? 1 : 2;
  const [phase, pruning, namespaceFolder] = rel.slice(unitLength);
  if (!phase || (pruning !== KEPT && pruning !== PRUNED) || !namespaceFolder) return undefined;
  return { doc, unit: rel.slice(0, unitLength).join('/'), phase, pruning, namespaceFolder };
}

const isPreview = (unit: string) => unit.startsWith('preview-');

/** The step order: cluster up to its platform jobs, owning environments, previews, then the cluster's last phases. */
function stepOrder(keys: readonly { unit: string; phase: string }[]): { unit: string; phase: string }[] {
  const late = new Set(waveFolderNames(CLUSTER_UNIT).slice(Object.values(WAVE).filter((w) => w < WAVE.environments).length));
  const rank = ({ unit, phase }: { unit: string; phase: string }) =>
    unit === CLUSTER_UNIT ? (late.has(phase) ? 3 : 0) : isPreview(unit.split('/')[0]) ? 2 : 1;
  return [...keys].sort((a, b) => rank(a) - rank(b) || byOrdinal(a.unit, b.unit) || byOrdinal(a.phase, b.phase));
}

const rel = (_distDir: string, ...parts: string[]) => ['dist', ...parts].join('/').replace(/\/+$/, '');

export function planKubectl(input: KubectlPlanInput): KubectlPlan {
  const findings: Finding[] = [];
  const located = input.docs.map((d) => locate(d, input.distDir)).filter((l): l is Located => l !== undefined);
  const scopes = new Scopes();
  for (const l of located) if (l.doc.object?.kind === 'CustomResourceDefinition') scopes.addCrd(l.doc.object);

  const keys = new Map<string, { unit: string; phase: string }>();
  for (const l of located) keys.set(`${l.unit}\0${l.phase}`, { unit: l.unit, phase: l.phase });
  const order = stepOrder([...keys.values()]);

  // One wave per step for the simulator; ignore-healthcheck objects in the last one, which nothing waits on (a wave
  // after it would make the last step a waited one).
  const unwaited = order.length - 1;
  const objectsOf = new Map<number, PlanObject[]>();
  const all: PlanObject[] = [];
  order.forEach(({ unit, phase }, i) => {
    for (const l of located.filter((x) => x.unit === unit && x.phase === phase)) {
      const base = planObject(l.doc.object, l.doc.file, 'kubectl', 'default', scopes);
      if (!base) continue;
      const ignored = l.doc.object?.metadata?.annotations?.['argocd.argoproj.io/ignore-healthcheck'] === 'true';
      const o: PlanObject = { ...base, phase: 'Sync', wave: ignored ? unwaited : i, hook: false };
      all.push(o);
      objectsOf.set(i, [...(objectsOf.get(i) ?? []), o]);
      findings.push(...layoutFindings(l, o, scopes));
    }
  });
  findings.push(...sameStepFindings(objectsOf, scopes));

  const simulated = planAssembly({
    root: { name: 'kubectl', description: 'dist', objects: all, serverSideApply: true, prunes: true, applicationFile: 'dist' },
    children: new Map(),
    isBuiltin: input.isBuiltin,
    declared: {
      crds: [],
      namespaces: [],
      secrets: input.declaredSecrets,
      storageClasses: input.declaredStorageClasses,
      // The Argo CD Application health check matters only to Argo CD.
      healthChecks: ['argoproj.io_Application'],
    },
  });
  findings.push(...simulated.findings.map((f) => ({ ...f, message: f.message.replace(/ at Sync wave (\d+)/g, (_m, w) => ` at step ${Number(w) + 1}`) })));
  const waitsByWave = new Map(simulated.steps.map((s) => [s.wave, s.waitsFor.filter((o) => o.wave !== unwaited)]));

  const steps: KubectlStep[] = order.map(({ unit, phase }, i) => {
    const here = located.filter((l) => l.unit === unit && l.phase === phase);
    const waitsFor = i === order.length - 1 ? [] : (waitsByWave.get(i) ?? []);
    const { commands, problems } = stepCommands(input.distDir, unit, phase, here, waitsFor);
    findings.push(...problems);
    return { index: i + 1, unit, phase, objects: objectsOf.get(i) ?? [], commands, waitsFor };
  });
  findings.push(...applySetFindings(located, input.applySets));
  return { steps, findings, assembles: findings.length === 0 && simulated.assembles };
}

function stepCommands(
  distDir: string,
  unit: string,
  phase: string,
  here: readonly Located[],
  waitsFor: readonly PlanObject[],
): { commands: string[][]; problems: Finding[] } {
  const commands: string[][] = [];
  const problems: Finding[] = [];
  // Server-side everywhere: the CRDs reach 1.3 MB, far past the 256 KiB of client-side apply's annotation, and one
  // field manager across every folder is what lets an object change folders without a conflict.
  const apply = ['kubectl', 'apply', '--server-side', `--field-manager=${FIELD_MANAGER}`];
  commands.push(...hookJobDeletes(here));
  if (here.some((l) => l.pruning === KEPT)) commands.push([...apply, '-R', '-f', rel(distDir, unit, phase, KEPT)]);
  const namespaceFolders = [...new Set(here.filter((l) => l.pruning === PRUNED).map((l) => l.namespaceFolder))].sort((a, b) =>
    a === CLUSTER_SCOPED_FOLDER ? -1 : b === CLUSTER_SCOPED_FOLDER ? 1 : byOrdinal(a, b),
  );
  for (const ns of namespaceFolders) {
    const parent = applySetParent(unit, phase, ns);
    commands.push([...apply, '--prune', `--applyset=${parent.flag}`, '-n', parent.namespace, '-R', '-f', rel(distDir, unit, phase, PRUNED, ns)]);
  }
  // Batched `kubectl wait` per namespace, resource and condition; one `rollout status` per object.
  const batches = new Map<string, string[]>();
  // A CRD is healthy to Argo CD at once, but kubectl refuses its custom resources until it is Established.
  const crds = here.filter((l) => l.doc.object?.kind === 'CustomResourceDefinition').map((l) => String(l.doc.object.metadata?.name));
  if (crds.length) {
    const form = waitForm('apiextensions.k8s.io', 'CustomResourceDefinition')!;
    batches.set(
      JSON.stringify([`--for=${form.for}`, `--timeout=${form.timeout}`]),
      crds.sort(byOrdinal).map((n) => `${form.resource}/${n}`),
    );
  }
  for (const o of waitsFor) {
    const form = waitForm(o.group, o.kind);
    if (!form) {
      problems.push({
        file: o.file,
        document: `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`,
        path: '',
        message: `kubectl plan: step ${unit} ${phase} must wait for ${describe(o)} before the next step, and lib/validate/kubectl/waits.ts has no kubectl wait for ${o.group || 'core'}/${o.kind}; add one`,
      });
      continue;
    }
    const ns = o.namespace ? ['-n', o.namespace] : [];
    if (form.verb === 'rollout') {
      commands.push(['kubectl', ...ns, 'rollout', 'status', `${form.resource}/${o.name}`, `--timeout=${form.timeout}`]);
    } else {
      const key = JSON.stringify([...ns, `--for=${form.for}`, `--timeout=${form.timeout}`]);
      batches.set(key, [...(batches.get(key) ?? []), `${form.resource}/${o.name}`]);
    }
  }
  for (const [key, names] of batches)
    commands.push(['kubectl', ...(JSON.parse(key) as string[]).slice(0, -2), 'wait', ...(JSON.parse(key) as string[]).slice(-2), ...names]);
  return { commands, problems };
}

/**
 * A chart's install/upgrade hook Jobs, rendered as plain Jobs, are deleted before each apply of their step: Helm
 * deletes a hook's previous Job before it creates it again (`before-hook-creation`, also its default policy), and a
 * Job's pod template is immutable, so a chart bump that changes one would otherwise fail the apply. The Job then
 * runs again on every apply, as a `pre-upgrade` hook runs on every upgrade; these hooks (webhook certificates, an
 * API check) are made to be re-run.
 * @see https://helm.sh/docs/topics/charts_hooks/#hook-deletion-policies
 */
function hookJobDeletes(here: readonly Located[]): string[][] {
  return here
    .filter((l) => l.doc.object?.kind === 'Job' && l.doc.object?.metadata?.annotations?.[HELM_HOOK])
    .map((l) => [
      'kubectl',
      '-n',
      String(l.doc.object.metadata.namespace ?? l.namespaceFolder),
      'delete',
      'job',
      String(l.doc.object.metadata.name),
      '--ignore-not-found',
    ])
    .sort((a, b) => byOrdinal(a.join(' '), b.join(' ')));
}

const HELM_HOOK = 'helm.sh/hook';

/** Objects in folders the layout does not allow: data in an ApplySet, a CRD or Namespace outside its phase. */
function layoutFindings(l: Located, o: PlanObject, scopes: Scopes): Finding[] {
  const out: Finding[] = [];
  const at = (message: string): Finding => ({ file: l.doc.file, document: `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`, path: '', message });
  if (l.pruning === PRUNED && holdsData(o.object))
    out.push(at(`kubectl plan: holds data but sits in a pruned folder (an ApplySet): move it to ${l.phase}/${KEPT}/`));
  if (o.kind === 'CustomResourceDefinition' && l.phase !== CRD_PHASE)
    out.push(at(`kubectl plan: a CRD outside ${CRD_PHASE}/ is applied with its own custom resources`));
  if (o.kind === 'Namespace' && o.group === '' && l.phase !== NAMESPACE_PHASE) out.push(at(`kubectl plan: a Namespace outside ${NAMESPACE_PHASE}/`));
  const expected = scopes.isClusterScoped(o.group, o.kind) ? CLUSTER_SCOPED_FOLDER : o.namespace;
  if (l.namespaceFolder !== expected) out.push(at(`kubectl plan: in folder ${l.namespaceFolder}/, expected ${expected}/ (the -n of its apply)`));
  return out;
}

/**
 * What kubectl refuses within one `kubectl apply` and Argo CD does not: a custom resource applied together with its
 * CRD, an object together with its Namespace (kubectl sends them in file order, without Argo CD's kind ordering).
 */
function sameStepFindings(objectsOf: ReadonlyMap<number, PlanObject[]>, scopes: Scopes): Finding[] {
  const out: Finding[] = [];
  for (const objects of objectsOf.values()) {
    const crds = new Set(objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => `${o.object.spec?.group}/${o.object.spec?.names?.kind}`));
    const namespaces = new Set(objects.filter((o) => o.kind === 'Namespace' && o.group === '').map((o) => o.name));
    for (const o of objects) {
      const problem = crds.has(`${o.group}/${o.kind}`)
        ? `its CRD is applied in the same step; kubectl fails on it until the CRD is Established`
        : o.namespace && namespaces.has(o.namespace) && !scopes.isClusterScoped(o.group, o.kind)
          ? `its Namespace is applied in the same step`
          : undefined;
      if (problem) out.push({ file: o.file, document: `${o.kind}/${o.namespace}/${o.name}`, path: '', message: `kubectl plan: ${problem}` });
    }
  }
  return out;
}

/** `dist/applysets.json` must list exactly the parents the plan uses, so a reviewer sees the real identities. */
function applySetFindings(located: readonly Located[], listed: KubectlPlanInput['applySets']): Finding[] {
  const expected = new Map<string, ReturnType<typeof applySetParent>>();
  for (const l of located) {
    if (l.pruning === PRUNED) expected.set(`${l.unit}/${l.phase}/${PRUNED}/${l.namespaceFolder}`, applySetParent(l.unit, l.phase, l.namespaceFolder));
  }
  const have = new Map((listed ?? []).map((e) => [e.folder, e]));
  const out: Finding[] = [];
  for (const [folder, parent] of expected) {
    const entry = have.get(folder);
    if (!entry || entry.applyset !== parent.flag || entry.namespace !== parent.namespace || entry.id !== parent.id) {
      out.push({
        file: 'applysets.json',
        document: '',
        path: folder,
        message: `kubectl plan: expected ApplySet ${parent.flag} in ${parent.namespace} (id ${parent.id}); synthesize again`,
      });
    }
  }
  for (const folder of have.keys()) {
    if (!expected.has(folder))
      out.push({ file: 'applysets.json', document: '', path: folder, message: 'kubectl plan: lists a folder the tree does not have; synthesize again' });
  }
  return out;
}

/** The argv of a command as one shell line (every argument here is shell-safe but `{`, `}` and `=`, quoted when present). */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
