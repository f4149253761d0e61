/**
 * Reusable config field types. Each carries an `expected …` message so that errors read
 * `file: path: expected …, found …` (see ../format-issues.ts).
 */
import { z } from 'zod';

/** An integer within bounds. */
export function integer(opts: { min?: number; max?: number } = {}) {
  const { min, max } = opts;
  const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` >= ${min}` : max !== undefined ? ` <= ${max}` : '';
  const error = `expected an integer${range}`;
  let s = z.int({ error });
  if (min !== undefined) s = s.min(min, { error });
  if (max !== undefined) s = s.max(max, { error });
  return s;
}

/** A TCP port number. */
export const port = () => integer({ min: 1, max: 65535 });

/** RFC 1123 DNS label: what Kubernetes accepts for namespaces, Services and host names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const dnsLabel = () =>
  z.string({ error: 'expected a string' }).regex(DNS_LABEL, {
    error: 'expected a DNS label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)',
  });

/** A fully qualified host name such as `staging.example.org`. */
export const hostname = () =>
  z.string({ error: 'expected a string' }).regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/, {
    error: 'expected a lowercase DNS host name such as "www.example.org"',
  });

/** A Kubernetes resource quantity (`500m`, `256Mi`, `1.5`). */
export const quantity = () =>
  z
    .string({ error: 'expected a Kubernetes quantity string such as "500m" or "256Mi"' })
    .regex(/^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|[KMGTPE]i|[mkMGTPE])?$/, {
      error: 'expected a Kubernetes quantity such as "500m", "1" or "256Mi"',
    });

/** Environment variable name. */
export const envName = () => z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name (letters, digits, "_")' });

/** An absolute path inside a container or on a host. */
export const absolutePath = () => z.string({ error: 'expected a string' }).regex(/^\/[^\0]*$/, { error: 'expected an absolute path starting with "/"' });

/** A command in argv form: never a shell string. */
export const argv = () =>
  z
    .array(z.string({ error: 'expected a string' }), { error: 'expected a list of arguments (argv form), not a shell string' })
    .min(1, { error: 'expected at least one argument' });

/** An email address (for ACME registration and the like). */
export const email = () => z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { error: 'expected an email address' });

/** IANA time zone name, checked against the runtime's tz database. */
export const timeZone = () =>
  z.string({ error: 'expected a string' }).refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return tz !== 'Local';
      } catch {
        return false;
      }
    },
    { error: 'expected an IANA time zone such as "America/Los_Angeles" or "Etc/UTC"' },
  );
