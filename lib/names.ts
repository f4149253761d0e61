/** Naming rules shared by config validation and constructs. */

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
