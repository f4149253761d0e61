/**
 * String order for everything synthesized: ordinal (by UTF-16 code unit, as `Array.prototype.sort`
 * without a comparator), never `localeCompare`, whose order depends on the machine's locale (with
 * `LANG=da_DK.UTF-8`, "aa" sorts after "z") and would make output differ between machines.
 */
export function byOrdinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
