/**
 * Synthesis warnings with stable ids (`platform:<area>:<name>`), so tests and users can match them,
 * and the Secrets a construct needs but never synthesizes. Both are recorded on the construct tree
 * (node metadata), so a hand-composed app reads them with `warningsOf(app)` and
 * `requiredSecretsOf(app)`; warnings also go to a process-wide list the CLI prints. cdk8s has no
 * Annotations API; this is the one place warnings go through.
 */
import { IConstruct } from 'constructs';
import { byOrdinal } from './order';

export interface Warning {
  readonly id: string;
  readonly message: string;
}

const WARNING = 'platform:warning';
const REQUIRED_SECRET = 'platform:requiredSecret';
const pending: Warning[] = [];

/** Records a warning; on `scope`'s node too, when given. */
export function warn(id: string, message: string, scope?: IConstruct): void {
  if (!/^platform:[a-z-]+:[A-Za-z]+$/.test(id)) throw new Error(`warning id "${id}" must look like platform:<area>:<name>`);
  if (!pending.some((w) => w.id === id && w.message === message)) pending.push({ id, message });
  scope?.node.addMetadata(WARNING, { id, message });
}

/** Returns the warnings recorded since the last call, sorted, and forgets them. */
export function drainWarnings(): Warning[] {
  const out = sortWarnings(pending);
  pending.length = 0;
  return out;
}

/** Every warning recorded on the constructs below `roots`, sorted, each once. */
export function warningsOf(...roots: IConstruct[]): Warning[] {
  const found = metadataOf(roots, WARNING) as Warning[];
  return sortWarnings(found.filter((w, i) => found.findIndex((x) => x.id === w.id && x.message === w.message) === i));
}

/** Records that `scope` needs these Secrets (`namespace/name`) to exist; nothing ever synthesizes them. */
export function requireSecrets(scope: IConstruct, secrets: readonly string[]): void {
  for (const secret of secrets) scope.node.addMetadata(REQUIRED_SECRET, secret);
}

/** Every Secret the constructs below `roots` need, sorted, each once. */
export function requiredSecretsOf(...roots: IConstruct[]): string[] {
  return [...new Set(metadataOf(roots, REQUIRED_SECRET) as string[])].sort();
}

function metadataOf(roots: IConstruct[], type: string): unknown[] {
  return roots.flatMap((root) => root.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === type).map((m) => m.data)));
}

function sortWarnings(warnings: readonly Warning[]): Warning[] {
  return [...warnings].sort((a, b) => byOrdinal(a.id, b.id) || byOrdinal(a.message, b.message));
}
