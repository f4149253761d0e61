/**
 * The assembly plan: a step-by-step model of how Argo CD v3.5 brings a fresh cluster up from the root
 * Application, and the findings where it would stall.
 *
 * Modelled after gitops-engine (`pkg/sync/sync_context.go`, Argo CD v3.5.1):
 * - a sync applies its objects wave by wave (PreSync, Sync, PostSync phases; within a wave CRDs and
 *   Namespaces first); it moves to the next wave only when every object of the current one is healthy,
 *   and an object that turns Degraded fails the sync (automated sync retries, then gives up for that
 *   revision);
 * - the last wave does not wait ("successful EVEN if those objects subsequently degrade"), unless it holds hooks;
 * - an Application object starts its own sync once applied, and is healthy when that sync finished and
 *   its resources are healthy (the argocd-cm health check the bootstrap installs);
 * - applying a kind whose CRD is not yet established fails, whatever SkipDryRunOnMissingResource says;
 *   a CRD of the same sync is applied first (and the dry run skipped), a CRD of another Application
 *   only counts once that Application applied it in an earlier step.
 * The model is a fixpoint over rounds: each round every running sync applies or waits, then health
 * spreads until nothing changes. It never guesses timing: whatever is not guaranteed by the order is
 * treated as not there yet.
 */
import { Finding } from '../document';
import { healthRule, Prereq, Ref, TEMPORARY_CERTIFICATE } from './health-rules';
import { annotation, describe, hasSyncOption, keyOf, kindRank, objectKey, Phase, PHASES, PlanObject } from './plan-object';
import { operatorSecrets, operatorServices } from '../operator-objects';
import { provisionerBackend } from './provisioners';
import { byOrdinal } from '../../order';

export interface SyncSource {
  /** Application name. */
  readonly name: string;
  /** What it syncs, for the plan: `dist/cluster`, `chart gateway-helm v1.9.0 → envoy-gateway-system`. */
  readonly description: string;
  readonly objects: readonly PlanObject[];
  /** The Application syncs with ServerSideApply=true. */
  readonly serverSideApply: boolean;
  /** Destination namespace Argo CD creates first (CreateNamespace=true). */
  readonly createsNamespace?: string;
  /** Automated sync prunes what leaves the source. */
  readonly prunes: boolean;
  /** The file of the Application object, for findings. */
  readonly applicationFile: string;
}

export interface AssemblyInput {
  readonly root: SyncSource;
  /** Child syncs by Application name (chart and directory Applications found in the tree). */
  readonly children: ReadonlyMap<string, SyncSource>;
  /** Built-in kinds of the cluster release. */
  readonly isBuiltin: (group: string, kind: string) => boolean;
  readonly declared: DeclaredBeforeSync;
}

/** What exists before the root sync starts: made by the bootstrap or by hand. */
export interface DeclaredBeforeSync {
  /** `group/Kind` served before the root sync (Argo CD's own CRDs, the CNI's). */
  readonly crds: readonly string[];
  readonly namespaces: readonly string[];
  /** `namespace/name` of Secrets created outside the manifests. */
  readonly secrets: readonly string[];
  /** StorageClass names; `name:default` marks the default class. */
  readonly storageClasses: readonly string[];
  /** Argo CD health customizations in place before the root sync (`group_Kind` keys of argocd-cm). */
  readonly healthChecks: readonly string[];
}

export interface PlanStep {
  readonly index: number;
  readonly sync: string;
  readonly description: string;
  /** Nesting: 0 for the root Application, 1 for what it creates, ... */
  readonly depth: number;
  readonly phase: Phase;
  readonly wave: number;
  readonly objects: readonly PlanObject[];
  /** `group/Kind` this step's CRDs make available. */
  readonly crds: readonly string[];
  /** Objects the sync waits on before its next step; empty for a last wave. */
  readonly waitsFor: readonly PlanObject[];
  readonly last: boolean;
}

export interface AssemblyPlan {
  readonly steps: readonly PlanStep[];
  readonly findings: readonly Finding[];
  /** Whether every sync finished and everything became healthy. */
  readonly assembles: boolean;
}

interface Group {
  readonly phase: Phase;
  readonly wave: number;
  readonly objects: PlanObject[];
}

class Sync {
  index = -1;
  done = false;
  failed = false;
  readonly groups: Group[];
  constructor(
    readonly source: SyncSource,
    readonly depth: number,
    readonly parent?: PlanObject,
  ) {
    const byKey = new Map<string, Group>();
    for (const o of source.objects) {
      const k = `${PHASES.indexOf(o.phase)} ${o.wave}`;
      if (!byKey.has(k)) byKey.set(k, { phase: o.phase, wave: o.wave, objects: [] });
      byKey.get(k)!.objects.push(o);
    }
    this.groups = [...byKey.values()].sort((a, b) => PHASES.indexOf(a.phase) - PHASES.indexOf(b.phase) || a.wave - b.wave);
    for (const g of this.groups) g.objects.sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || byOrdinal(a.kind, b.kind) || byOrdinal(keyOf(a), keyOf(b)));
  }
  get current(): Group | undefined {
    return this.groups[this.index];
  }
  /** The last group does not wait for health, unless it holds hooks. */
  waits(group: Group): boolean {
    return group !== this.groups[this.groups.length - 1] || group.objects.some((o) => o.hook);
  }
}

const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** The client-side apply annotation limit: larger objects need server-side apply (or Replace). */
const LAST_APPLIED_LIMIT = 262144;

export function planAssembly(input: AssemblyInput): AssemblyPlan {
  return new Simulation(input).run();
}

class Simulation {
  private readonly findings: Finding[] = [];
  private readonly steps: PlanStep[] = [];
  private readonly syncs: Sync[] = [];
  private readonly syncOf = new Map<PlanObject, Sync>();
  private readonly childOf = new Map<PlanObject, Sync>();
  /** Round in which each object was applied / became healthy. */
  private readonly applied = new Map<PlanObject, number>();
  private readonly healthy = new Set<PlanObject>();
  private readonly index = new Map<string, PlanObject[]>();
  private readonly crdFrom = new Map<string, PlanObject>();
  private round = 0;

  constructor(private readonly input: AssemblyInput) {
    const all = [input.root, ...input.children.values()].flatMap((s) => s.objects);
    for (const o of all) {
      const k = keyOf(o);
      this.index.set(k, [...(this.index.get(k) ?? []), o]);
      if (o.kind === 'CustomResourceDefinition') {
        const { group, names } = o.object.spec ?? {};
        if (group && names?.kind) this.crdFrom.set(`${group}/${names.kind}`, o);
      }
    }
  }

  run(): AssemblyPlan {
    this.checkHealthCustomizations();
    this.checkPruning();
    this.start(this.input.root, 0);
    for (let changed = true; changed && this.round < 1000; this.round++) {
      changed = false;
      for (const sync of [...this.syncs]) changed = this.advance(sync) || changed;
      changed = this.spreadHealth() || changed;
    }
    const converges = this.syncs.every((s) => s.done) && [...this.applied.keys()].every((o) => this.healthy.has(o));
    this.reportStalls();
    this.reportNeverHealthy();
    this.reportExternalRisks();
    const findings = dedupe(this.findings);
    return { steps: this.steps, findings, assembles: converges && findings.length === 0 };
  }

  private start(source: SyncSource, depth: number, parent?: PlanObject): void {
    const sync = new Sync(source, depth, parent);
    this.syncs.push(sync);
    if (parent) this.childOf.set(parent, sync);
    for (const o of source.objects) this.syncOf.set(o, sync);
  }

  /** Applies the sync's next group when the current one may be left; true when anything happened. */
  private advance(sync: Sync): boolean {
    if (sync.done || sync.failed) return false;
    const current = sync.current;
    if (current && sync.waits(current) && !current.objects.every((o) => this.healthy.has(o))) return false;
    sync.index++;
    const group = sync.current;
    if (!group) {
      sync.done = true;
      return true;
    }
    this.apply(sync, group);
    if (!sync.failed && !sync.waits(group)) sync.done = true;
    return true;
  }

  private apply(sync: Sync, group: Group): void {
    const problems = group.objects.flatMap((o) => this.applyProblems(sync, group, o).map((message) => ({ o, message })));
    for (const { o, message } of problems) this.findings.push(this.finding(o, message));
    if (problems.length) {
      // Argo CD fails the whole wave; automated sync retries it and then gives up for this revision.
      sync.failed = true;
    } else {
      for (const o of group.objects) this.applied.set(o, this.round);
      for (const o of group.objects) {
        const child = o.kind === 'Application' && o.group === 'argoproj.io' ? this.input.children.get(o.name) : undefined;
        // One sync per Application: a copy of it elsewhere in the tree (or inside itself) is the same sync.
        if (child && o.name !== sync.source.name && !this.syncs.some((s) => s.source === child)) this.start(child, sync.depth + 1, o);
      }
    }
    const last = !sync.waits(group);
    this.steps.push({
      index: this.steps.length + 1,
      sync: sync.source.name,
      description: sync.source.description,
      depth: sync.depth,
      phase: group.phase,
      wave: group.wave,
      objects: group.objects,
      crds: group.objects
        .filter((o) => o.kind === 'CustomResourceDefinition')
        .map((o) => `${o.object.spec?.group}/${o.object.spec?.names?.kind}`)
        .sort(),
      waitsFor: last ? [] : group.objects.filter((o) => o.hook || (healthRule(o.group, o.kind) !== undefined && !healthRule(o.group, o.kind)!.instant)),
      last,
    });
  }

  /** Why applying `o` now fails: a kind without its CRD, a missing namespace, an oversized CRD. */
  private applyProblems(sync: Sync, group: Group, o: PlanObject): string[] {
    const out: string[] = [];
    if (!this.kindAvailable(sync, o)) out.push(this.missingKind(o));
    if (o.namespace && !this.namespaceExists(sync, group, o.namespace)) {
      out.push(
        `namespace "${o.namespace}" does not exist when this step applies it${this.whereIs(this.find({ group: '', kind: 'Namespace', namespace: '', name: o.namespace }))}`,
      );
    }
    if (
      o.kind === 'CustomResourceDefinition' &&
      Buffer.byteLength(JSON.stringify(o.object)) > LAST_APPLIED_LIMIT &&
      !sync.source.serverSideApply &&
      !hasSyncOption(o, 'ServerSideApply=true') &&
      !hasSyncOption(o, 'Replace=true')
    ) {
      out.push(`is larger than 256 KiB, so a client-side apply fails (metadata.annotations: Too long); sync it with ServerSideApply=true`);
    }
    return out;
  }

  private kindAvailable(sync: Sync, o: PlanObject): boolean {
    const gk = `${o.group}/${o.kind}`;
    if (this.input.isBuiltin(o.group, o.kind) || this.input.declared.crds.includes(gk)) return true;
    const crd = this.crdFrom.get(gk);
    if (!crd || (!this.applied.has(crd) && this.syncOf.get(crd) !== sync)) return false;
    // Same sync: CRDs go first within a wave, and gitops-engine skips the dry run for their kinds.
    if (this.syncOf.get(crd) === sync) return sync.groups.indexOf(sync.current!) >= sync.groups.findIndex((g) => g.objects.includes(crd));
    return this.applied.get(crd)! < this.round;
  }

  private missingKind(o: PlanObject): string {
    const gk = `${o.group}/${o.kind}`;
    const crd = this.crdFrom.get(gk);
    const where = crd ? this.located(crd) : 'nowhere in the synthesized tree, the rendered charts or the bootstrap';
    return `${gk} is not served yet: its CustomResourceDefinition comes ${where}, not before this step (SkipDryRunOnMissingResource only skips the dry run; the apply still fails)`;
  }

  private namespaceExists(sync: Sync, group: Group, namespace: string): boolean {
    if (BUILTIN_NAMESPACES.includes(namespace) || this.input.declared.namespaces.includes(namespace)) return true;
    if (sync.source.createsNamespace === namespace) return true;
    const ns = this.find({ group: '', kind: 'Namespace', namespace: '', name: namespace });
    if (!ns) return false;
    // Namespaces go first within a wave of the same sync; another sync's counts once applied in an earlier round.
    if (group.objects.includes(ns)) return true;
    return this.applied.has(ns) && (this.syncOf.get(ns) === sync || this.applied.get(ns)! < this.round);
  }

  /** Health spreads until nothing changes; true when anything became healthy. */
  private spreadHealth(): boolean {
    let any = false;
    for (let changed = true; changed;) {
      changed = false;
      for (const o of this.applied.keys()) {
        if (this.healthy.has(o) || this.unmet(o) !== undefined) continue;
        this.healthy.add(o);
        changed = any = true;
      }
    }
    return any;
  }

  /** The first thing `o` still waits on before it is healthy, with where it is; undefined when nothing. */
  private unmet(o: PlanObject): string | undefined {
    if (o.kind === 'Application' && o.group === 'argoproj.io') return this.unmetApplication(o);
    const rule = healthRule(o.group, o.kind);
    if (!rule) return undefined;
    for (const p of rule.waitsOn(o)) {
      const reason = this.unmetPrereq(p, o);
      if (reason) return reason;
    }
    // A custom resource is only reconciled once the controller of another Application is up.
    const crd = this.crdFrom.get(`${o.group}/${o.kind}`);
    const owner = crd && this.syncOf.get(crd)?.parent;
    if (owner && this.syncOf.get(crd) !== this.syncOf.get(o) && !this.healthy.has(owner)) return `its controller, ${describe(owner)}${this.whereIs(owner)}`;
    return undefined;
  }

  private unmetApplication(o: PlanObject): string | undefined {
    const own = this.syncOf.get(o);
    // A self-managed Application's health is its own sync's: waiting on it from that sync never ends.
    if (own && own.source.name === o.name)
      return own.done ? undefined : `its own sync (${o.name} holds itself), which waits for this wave: put it in its last wave`;
    const child = this.childOf.get(o);
    if (!child) return this.input.children.has(o.name) ? 'its sync, which has not started' : undefined;
    if (child.failed) return `its sync, which fails (see the findings of ${child.source.name})`;
    const waiting = child.source.objects.find(
      (c) => this.applied.has(c) && !this.healthy.has(c) && annotation(c, 'argocd.argoproj.io/ignore-healthcheck') !== 'true',
    );
    if (waiting) return `${describe(waiting)} (${child.source.name}), which waits on ${this.unmet(waiting) ?? 'its own status'}`;
    if (!child.done) return `the rest of its sync (${child.source.name} is at ${child.current?.phase} wave ${child.current?.wave})`;
    return undefined;
  }

  private unmetPrereq(p: Prereq, waiting: PlanObject): string | undefined {
    switch (p.type) {
      case 'healthy': {
        const target = this.find(p.ref);
        if (target && this.healthy.has(target)) return undefined;
        return `${describe(p.ref)} healthy (${p.why})${this.whereIs(target)}`;
      }
      case 'exists': {
        const target = this.find(p.ref) ?? this.produced(p.ref);
        if (target && this.applied.has(target)) return undefined;
        return `${describe(p.ref)} (${p.why})${this.whereIs(target)}`;
      }
      case 'secret':
        return this.unmetSecret(p.namespace, p.name, p.why);
      case 'storageClass':
        return this.unmetStorageClass(p.name, p.why);
      case 'serviceReady':
        return this.unmetService(p.namespace, p.name, p.why, waiting);
    }
  }

  private unmetSecret(namespace: string, name: string, why: string): string | undefined {
    if (this.input.declared.secrets.includes(`${namespace}/${name}`)) return undefined;
    const ref: Ref = { group: '', kind: 'Secret', namespace, name };
    const secret = this.find(ref);
    if (secret) return this.applied.has(secret) ? undefined : `Secret ${namespace}/${name} (${why})${this.whereIs(secret)}`;
    // cert-manager writes the Secret of a Certificate when it is issued, or at once with a temporary certificate.
    const cert = this.all().find(
      (c) => c.group === 'cert-manager.io' && c.kind === 'Certificate' && c.namespace === namespace && c.object.spec?.secretName === name,
    );
    if (cert) {
      const temporary = annotation(cert, TEMPORARY_CERTIFICATE) === 'true';
      if (temporary ? this.applied.has(cert) : this.healthy.has(cert)) return undefined;
      return `Secret ${namespace}/${name} (${why}), written by ${describe(cert)} ${temporary ? 'once applied' : 'only once issued'}${this.whereIs(cert)}`;
    }
    // The Sealed Secrets controller writes the Secret of a SealedSecret once it decrypted it (its health).
    const sealed = this.all().find(
      (c) =>
        c.group === 'bitnami.com' && c.kind === 'SealedSecret' && c.namespace === namespace && (c.object.spec?.template?.metadata?.name ?? c.name) === name,
    );
    if (sealed)
      return this.healthy.has(sealed)
        ? undefined
        : `Secret ${namespace}/${name} (${why}), written by ${describe(sealed)} once decrypted${this.whereIs(sealed)}`;
    const producer = this.produced(ref);
    // An operator writes its Secrets once the resource exists; a Job only once it completed.
    if (producer)
      return (producer.kind === 'Job' ? this.healthy.has(producer) : this.applied.has(producer))
        ? undefined
        : `Secret ${namespace}/${name} (${why}), made by ${describe(producer)}${this.whereIs(producer)}`;
    return `Secret ${namespace}/${name} (${why}), which nothing creates: add it to the manifests or declare it as created outside them`;
  }

  private unmetStorageClass(name: string | undefined, why: string): string | undefined {
    const declared = this.input.declared.storageClasses;
    const classes = this.all().filter((o) => o.group === 'storage.k8s.io' && o.kind === 'StorageClass');
    const chosen =
      name ??
      classes.find((c) => annotation(c, 'storageclass.kubernetes.io/is-default-class') === 'true')?.name ??
      declared.find((d) => d.endsWith(':default'))?.replace(/:default$/, '');
    // An empty class name means static binding to a PersistentVolume, which nothing here provisions.
    if (name === '') return undefined;
    if (!chosen) return `a default StorageClass (${why}), and there is none`;
    if (declared.some((d) => d.replace(/:default$/, '') === chosen)) return undefined;
    const sc = classes.find((c) => c.name === chosen);
    if (!sc || !this.applied.has(sc)) return `StorageClass ${chosen} (${why})${this.whereIs(sc)}`;
    for (const ref of provisionerBackend(sc.object)) {
      const backend = this.find(ref);
      if (!backend || !this.healthy.has(backend))
        return `${describe(ref)} healthy, the backend of StorageClass ${chosen}'s provisioner ${sc.object.provisioner} (${why})${this.whereIs(backend)}`;
    }
    return undefined;
  }

  private unmetService(namespace: string, name: string, why: string, caller: PlanObject): string | undefined {
    const ref: Ref = { group: '', kind: 'Service', namespace, name };
    const service = this.find(ref);
    if (!service) {
      const producer = this.produced(ref);
      if (producer)
        return this.healthy.has(producer)
          ? undefined
          : `${describe(producer)} healthy, whose Service ${name} ${why.replace(/^container \S+ /, '')}${this.whereIs(producer)}`;
      return undefined; // a Service outside our manifests (e.g. the API server): not ours to order
    }
    if (!this.applied.has(service)) return `Service ${namespace}/${name} (${why})${this.whereIs(service)}`;
    const selector: Record<string, string> = service.object.spec?.selector ?? {};
    const backends = this.all().filter((o) => o.namespace === namespace && healthRule(o.group, o.kind) && matches(selector, templateLabels(o)));
    // A run-to-completion pod started with its backend may fail before the backend is ready, and a
    // failed Job stays failed: the backend belongs in an earlier wave than a Job that calls it.
    const sameStep = (b: PlanObject) =>
      caller.kind === 'Job' && this.syncOf.get(b) === this.syncOf.get(caller) && b.phase === caller.phase && b.wave === caller.wave;
    const waiting = backends.find((b) => !this.healthy.has(b) || sameStep(b));
    if (!waiting) return undefined;
    const when = sameStep(waiting) ? ' in an earlier wave than this Job; it comes in the same one' : '';
    return `${describe(waiting)} ready, behind Service ${name} (${why})${when}${when ? '' : this.whereIs(waiting)}`;
  }

  /** The object whose operator makes `ref` (ECK's Services and Secrets, a chart's certificate Job). */
  private produced(ref: Ref): PlanObject | undefined {
    return this.all().find((o) => o.namespace === ref.namespace && produces(o, ref));
  }

  /** Argo CD custom health checks the plan depends on must be there before the first sync. */
  private checkHealthCustomizations(): void {
    if (this.input.declared.healthChecks.includes('argoproj.io_Application')) return;
    const cm = this.input.root.objects.find((o) => o.kind === 'ConfigMap' && o.name === 'argocd-cm');
    this.findings.push({
      file: cm?.file ?? this.input.root.name,
      document: cm ? 'ConfigMap/argocd/argocd-cm' : `Application/${this.input.root.name}`,
      path: 'data["resource.customizations.health.argoproj.io_Application"]',
      message: `assembly: the Application health check must be installed by the bootstrap before the root sync${cm ? ', not by the root sync that relies on it' : ''}: without it every Application is healthy at once and no wave waits for its add-ons`,
    });
  }

  /** Without pruning, what leaves the tree (a preview environment, a route, a chart's old objects) stays in the cluster. */
  private checkPruning(): void {
    for (const source of [this.input.root, ...this.input.children.values()]) {
      if (source.prunes) continue;
      this.findings.push({
        file: source.applicationFile,
        document: `Application/argocd/${source.name}`,
        path: 'spec.syncPolicy.automated.prune',
        message: `assembly: ${source.name} syncs ${source.description} without pruning, so objects removed from it stay in the cluster; set prune: true (objects that hold data carry Prune=false,Delete=false and are kept)`,
      });
    }
  }

  private reportStalls(): void {
    for (const sync of this.syncs) {
      const group = sync.current;
      if (sync.done || sync.failed || !group) continue;
      for (const o of group.objects) {
        if (this.healthy.has(o)) continue;
        if (o.kind === 'Application' && this.childOf.get(o) && !this.childOf.get(o)!.done) continue; // reported inside
        const reason = this.unmet(o) ?? 'its own status';
        this.findings.push(this.finding(o, `stalls the sync of ${sync.source.name} at ${group.phase} wave ${group.wave}: it waits on ${reason}`));
      }
    }
  }

  /** What a finished sync applied but that never becomes healthy (nothing waits on it, yet it never works). */
  private reportNeverHealthy(): void {
    // While a sync is stuck, what waits on its later waves is a consequence, not a cause.
    if (this.syncs.some((s) => !s.done)) return;
    for (const sync of this.syncs) {
      for (const o of sync.source.objects) {
        // Whatever a sync waits on is reported as that sync's stall.
        if (!this.applied.has(o) || this.healthy.has(o) || this.waiter(o)) continue;
        if (o.kind === 'Application' && this.childOf.get(o) && !this.childOf.get(o)!.done) continue; // reported inside
        this.findings.push(this.finding(o, `never becomes healthy: it waits on ${this.unmet(o) ?? 'its own status'}`));
      }
    }
  }

  /** Objects that can stay Degraded for reasons outside the cluster must never sit where a sync waits on them. */
  private reportExternalRisks(): void {
    for (const o of this.all()) {
      const risk = externalRisk(o, (r) => this.find(r));
      const waiter = risk ? this.waiter(o) : undefined;
      if (risk && waiter) {
        this.findings.push(
          this.finding(
            o,
            `${risk}; ${waiter.sync} waits on it at ${waiter.phase} wave ${waiter.wave}, so one failure stops that sync for this revision: move it to the last wave`,
          ),
        );
      }
    }
  }

  /** The sync and wave that wait on `o`'s health: its own (a wave that is not the last), or its Application's parent's. */
  private waiter(o: PlanObject): { sync: string; phase: Phase; wave: number } | undefined {
    const sync = this.syncOf.get(o);
    if (!sync) return undefined;
    const group = sync.groups.find((g) => g.objects.includes(o))!;
    if (sync.waits(group)) return { sync: sync.source.name, phase: group.phase, wave: group.wave };
    if (!sync.parent || annotation(o, 'argocd.argoproj.io/ignore-healthcheck') === 'true') return undefined;
    return this.waiter(sync.parent);
  }

  private all(): PlanObject[] {
    return [...this.syncOf.keys(), ...[...this.input.children.values()].flatMap((s) => s.objects).filter((o) => !this.syncOf.has(o))];
  }

  private find(ref: Ref): PlanObject | undefined {
    return this.index.get(objectKey(ref.group, ref.kind, ref.namespace, ref.name))?.[0];
  }

  /** `, which comes at <sync> wave N` / `, which nothing in the tree creates`. */
  private whereIs(o: PlanObject | undefined): string {
    return o ? `, which comes ${this.located(o)}` : ', which nothing in the tree, the rendered charts or the bootstrap creates';
  }

  private located(o: PlanObject): string {
    const sync = this.syncOf.get(o);
    const name = sync?.source.name ?? o.sync;
    const step = this.steps.find((s) => s.objects.includes(o));
    return `with ${name} (${o.phase === 'Sync' ? '' : `${o.phase} `}wave ${o.wave}${step && this.applied.has(o) ? `, step ${step.index}` : ', never applied'})`;
  }

  private finding(o: PlanObject, message: string): Finding {
    return { file: o.file, document: `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`, path: '', message: `assembly: ${message}` };
  }
}

function externalRisk(o: PlanObject, find: (r: Ref) => PlanObject | undefined): string | undefined {
  if (o.group !== 'cert-manager.io' || o.kind !== 'Certificate') return undefined;
  const issuerRef = o.object.spec?.issuerRef ?? {};
  const kind = issuerRef.kind ?? 'Issuer';
  const issuer = find({ group: 'cert-manager.io', kind, namespace: kind === 'ClusterIssuer' ? '' : o.namespace, name: issuerRef.name });
  if (!issuer?.object.spec?.acme) return undefined;
  return `an ACME certificate is issued only when DNS for ${(o.object.spec?.dnsNames ?? []).join(', ')} reaches the entry point and the CA answers, and until then it is Progressing or Degraded`;
}

/** Whether an operator (or a chart's certificate Job) makes `ref` for the object `o` (lib/validate/operator-objects.ts). */
function produces(o: PlanObject, ref: Ref): boolean {
  const doc = { file: o.file, index: 0, object: o.object };
  if (ref.kind === 'Secret') return operatorSecrets(doc).includes(ref.name);
  if (ref.kind === 'Service') return operatorServices([doc]).some(([key]) => key === `${ref.namespace}/${ref.name}`);
  return false;
}

function templateLabels(o: PlanObject): Record<string, string> {
  return o.object.spec?.template?.metadata?.labels ?? (o.kind === 'Pod' ? o.object.metadata?.labels : undefined) ?? {};
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = JSON.stringify(f);
    return !seen.has(k) && (seen.add(k), true);
  });
}
