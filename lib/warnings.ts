/**
 * Synthesis warnings with stable ids (`platform:<area>:<name>`), so tests and users can
 * match them. cdk8s has no Annotations API; this is the one place warnings go through.
 */
export interface Warning {
  readonly id: string;
  readonly message: string;
}

const pending: Warning[] = [];

export function warn(id: string, message: string): void {
  if (!/^platform:[a-z-]+:[A-Za-z]+$/.test(id)) throw new Error(`warning id "${id}" must look like platform:<area>:<name>`);
  if (!pending.some((w) => w.id === id && w.message === message)) pending.push({ id, message });
}

/** Returns the warnings recorded since the last call, sorted, and forgets them. */
export function drainWarnings(): Warning[] {
  const out = [...pending].sort((a, b) => a.id.localeCompare(b.id) || a.message.localeCompare(b.message));
  pending.length = 0;
  return out;
}
