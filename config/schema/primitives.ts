/**
 * Reusable config field types. Each carries an `expected …` message so that errors read
 * `file: path: expected …, found …` (see ../format-issues.ts).
 */
import { z } from 'zod';
import { checkTimeZone } from '../../lib/time-zone';

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

/**
 * An IANA time zone name ("Area/Location", or UTC), exactly as the tz database spells it: the API
 * server loads a CronJob's zone by that name, case-sensitively. The runtime's tz data checks that
 * it exists; abbreviations (PST, EST) and wrong case (utc, america/los_angeles), which it would
 * accept, are refused with the canonical name.
 */
export const timeZone = () =>
  z.string({ error: 'expected a string' }).superRefine((tz, ctx) => {
    const { valid, canonical } = checkTimeZone(tz);
    if (valid) return;
    const hint = canonical && canonical !== tz ? ` (did you mean "${canonical}"?)` : '';
    ctx.addIssue({ code: 'custom', message: `expected an IANA time zone such as "America/Los_Angeles" or "Etc/UTC"${hint}`, input: tz });
  });

/**
 * A path prefix a Gateway API HTTPRoute accepts (its CEL rules): "/" and then URL path characters
 * or %-escapes only; no spaces, query, fragment, "//", "/./" or "/../".
 */
export const httpPathPrefix = () =>
  z
    .string({ error: 'expected an HTTP path starting with "/"' })
    .regex(/^\/(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})*$/, {
      error: 'expected an HTTP path starting with "/" of URL path characters only (no spaces, "?" or "#"), such as "/api"',
    })
    .refine((p) => !/\/\/|\/\.\.?(\/|$)|%2f|%2F/.test(p), { error: 'expected a normalised path (no "//", "/./", "/../" or "%2F")' })
    .refine((p) => p.length <= 1024, { error: 'expected a path of at most 1024 characters' });
