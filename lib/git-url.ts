/** Git repository URLs as Argo CD reads them: which are ssh, and which host they reach. */

/** Hosts in Argo CD v3.5's default `argocd-ssh-known-hosts-cm` (argoproj/argo-cd manifests/install.yaml). */
export const ARGOCD_KNOWN_SSH_HOSTS: readonly string[] = [
  '[ssh.github.com]:443',
  'bitbucket.org',
  'github.com',
  'gitlab.com',
  'ssh.dev.azure.com',
  'vs-ssh.visualstudio.com',
];

/** The host of an `ssh://[user@]host[:port]/path` or scp-like `user@host:path` URL, as known_hosts names it (`[host]:port` off port 22). */
export function sshHost(url: string): string | undefined {
  const ssh = /^ssh:\/\/(?:[^@/]+@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?\//.exec(url);
  if (ssh) return ssh[2] && ssh[2] !== '22' ? `[${ssh[1]}]:${ssh[2]}` : ssh[1];
  return /^[A-Za-z0-9._-]+@([^:/]+):/.exec(url)?.[1];
}

export const isSshUrl = (url: string): boolean => sshHost(url) !== undefined;
