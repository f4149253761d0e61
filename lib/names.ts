/** Naming rules shared by config validation and constructs. */
import { createHash } from 'crypto';

/** Namespaces are `<app>-<environment>`, a DNS label of at most 63 characters. */
export const MAX_DNS_LABEL = 63;

/**
 * Turns a git branch name into a DNS label (`feature/New_UI` → `feature-new-ui`),
 * short enough that `<app>-preview-<branch>` still fits in a namespace name.
 */
export function sanitizeBranch(branch: string, app: string): string {
  const budget = MAX_DNS_LABEL - `${app}-preview-`.length;
  return branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, budget)
    .replace(/^-+|-+$/g, '');
}

export function namespaceFor(app: string, environment: string): string {
  return `${app}-${environment}`;
}

/**
 * Every preview namespace an app can have, as an Argo CD glob: its project admits the pattern, not the
 * current branches, so a preview that leaves the config is still permitted while Argo CD deletes it
 * (the controller never deletes objects outside the project).
 */
export function previewNamespacePattern(app: string): string {
  return namespaceFor(app, 'preview-*');
}

/** Kubernetes object names (DNS subdomains) are at most 253 characters. */
export const MAX_OBJECT_NAME = 253;

/**
 * `name` if it fits in `max` characters, else its start and a short digest of the whole: stable,
 * distinct for distinct names, and still a DNS subdomain when `name` is one.
 */
export function boundedName(name: string, max: number = MAX_OBJECT_NAME): string {
  if (name.length <= max) return name;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - digest.length - 1).replace(/[.-]+$/, '')}-${digest}`;
}

/** The Secret (and Certificate) holding a host's TLS certificate: `<host>-tls`, bounded. */
export function tlsSecretName(host: string): string {
  return boundedName(`${host}-tls`);
}
