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

/** Where a repository URL connects: host and port, and whether it is ssh (`ssh://…` or scp-like `user@host:path`). */
export function gitEndpoint(url: string): { host: string; port: number; ssh: boolean } | undefined {
  const scp = /^[A-Za-z0-9._-]+@([^:/]+):/.exec(url);
  if (scp) return { host: scp[1], port: 22, ssh: true };
  const ssh = /^ssh:\/\/(?:[^@/]+@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?\//.exec(url);
  if (ssh) return { host: ssh[1], port: ssh[2] ? Number(ssh[2]) : 22, ssh: true };
  if (!/^https:\/\//.test(url)) return undefined;
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : 443, ssh: false };
}

/** The host of an ssh URL as known_hosts names it (`[host]:port` off port 22); undefined for https. */
export function sshHost(url: string): string | undefined {
  const e = gitEndpoint(url);
  if (!e?.ssh) return undefined;
  return e.port === 22 ? e.host : `[${e.host}]:${e.port}`;
}

export const isSshUrl = (url: string): boolean => sshHost(url) !== undefined;
