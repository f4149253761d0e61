/**
 * Kubernetes quantities (`10Gi`, `9000Mi`, `1.5G`, `500m`, `2`) as exact fractions, so that they
 * compare without rounding: the one home for quantity arithmetic (the config's request-vs-limit
 * rule, the validator's, the upgrade check's volume sizes).
 */

/** Decimal and binary suffixes of k8s.io/apimachinery pkg/api/resource/suffix.go, as powers of 10 and of 2. */
const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([KMGTPE]i)|([numkMGTPE]?)|[eE]([+-]?\d+))$/;

/** A quantity as an exact fraction `num / den`, so that `10Gi` and `9000Mi` compare without rounding. */
export function parseQuantity(value: unknown): { num: bigint; den: bigint } | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const match = QUANTITY.exec(text.trim());
  if (!match) return undefined;
  const [, sign, number, binary, decimal, exponent] = match;
  const [whole, fraction = ''] = number.split('.');
  const power10 = (binary ? 0 : exponent !== undefined ? Number(exponent) : DECIMAL_SUFFIXES[decimal ?? '']) - fraction.length;
  if (Math.abs(power10) > 100) return undefined; // beyond anything apimachinery represents
  const digits = BigInt(`${whole}${fraction}` || '0') * (binary ? 2n ** BigInt(BINARY_SUFFIXES[binary]) : 1n);
  const num = (sign === '-' ? -digits : digits) * 10n ** BigInt(Math.max(power10, 0));
  return { num, den: 10n ** BigInt(Math.max(-power10, 0)) };
}

/**
 * Compares two Kubernetes quantities (`10Gi`, `9000Mi`, `1.5G`, `500m`, `2`): negative, zero or positive like a sort
 * comparator, or undefined when either is not a quantity.
 */
export function compareQuantities(a: unknown, b: unknown): number | undefined {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  if (!x || !y) return undefined;
  const difference = x.num * y.den - y.num * x.den;
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}
