/** How a config problem names a field and a value, in every message: `path: expected …, found …`. */

/** `apps.catalog.components.backend.replicas`, `cluster.hosts[0].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), '');
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is required)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list (${JSON.stringify(value).slice(0, 60)})`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
