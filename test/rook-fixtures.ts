/** Shared fixtures for the RookStorage tests: inventories, a synth helper, documents by kind. */
import { Testing } from 'cdk8s';
import { Namespaces } from '../charts/namespaces';
import { RookStorage } from '../charts/rook-storage';
import type { HostConfig } from '../config/schema/cluster';
import { storage, StorageConfig } from '../config/schema/storage';
import { loadVersions } from '../config/versions';
import { drainWarnings, Warning } from '../lib/warnings';
import { rookStorageOptions } from '../app/platform';

export const versions = loadVersions();

export interface HostOptions {
  readonly roles?: ('control-plane' | 'worker')[];
  readonly cephDisks?: string[];
  readonly taints?: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
}

/**
 * Hosts as the cluster schema yields them (defaults filled in), built directly: the storage
 * checks must also hold for inventories the cluster schema would reject (a bad disk path).
 */
export function inventory(hosts: ({ name: string } & HostOptions)[]): HostConfig[] {
  return hosts.map((h, i) => ({
    name: h.name,
    address: `192.0.2.${10 + i}`,
    roles: h.roles ?? ['worker'],
    cephDisks: h.cephDisks ?? [],
    labels: {},
    taints: h.taints ?? [],
  }));
}

/** The default platform's single host: control plane and worker, Ceph on /dev/vdb. */
export const singleHost = (): HostConfig[] => inventory([{ name: 'hozer-55', roles: ['control-plane', 'worker'], cephDisks: ['/dev/vdb'] }]);

/** Three hosts, each with a Ceph disk (the first also runs the control plane). */
export const threeHosts = (): HostConfig[] =>
  inventory([
    { name: 'node-a', roles: ['control-plane', 'worker'], cephDisks: ['/dev/vdb'] },
    { name: 'node-b', cephDisks: ['/dev/vdb'] },
    { name: 'node-c', cephDisks: ['/dev/vdb', '/dev/disk/by-id/wwn-0x5000c500a1b2c3d4'] },
  ]);

/** examples/ha-cluster.yaml's shape: three control-plane hosts and three workers, each with /dev/vdb. */
export const haInventory = (): HostConfig[] =>
  inventory([
    ...['cp-1', 'cp-2', 'cp-3'].map((name) => ({ name, roles: ['control-plane' as const], cephDisks: ['/dev/vdb'] })),
    ...['worker-1', 'worker-2', 'worker-3'].map((name) => ({ name, cephDisks: ['/dev/vdb'] })),
  ]);

export const storageConfig = (raw: unknown = {}): StorageConfig => storage.parse(raw);

export interface Synthesized {
  readonly chart: RookStorage;
  readonly namespaces: Namespaces;
  /** Namespace chart documents followed by the storage chart's. */
  readonly docs: any[];
  readonly warnings: Warning[];
  /** The first document of a kind (and name, when given). */
  one(kind: string, name?: string): any;
  all(kind: string): any[];
}

/** The charts, not synthesized (synthesis runs the construct validations and throws on errors). */
export function build(hosts: HostConfig[], config: StorageConfig = storageConfig(), monitoring = true): { chart: RookStorage; namespaces: Namespaces } {
  const app = Testing.app();
  const namespaces = new Namespaces(app);
  const chart = new RookStorage(app, '20-storage', { ...rookStorageOptions(config), hosts, namespaces, monitoring, cephImage: versions.images.ceph });
  return { chart, namespaces };
}

export function synth(hosts: HostConfig[], config: StorageConfig = storageConfig(), monitoring = true): Synthesized {
  drainWarnings();
  const { chart, namespaces } = build(hosts, config, monitoring);
  const docs = [...Testing.synth(namespaces), ...Testing.synth(chart)];
  const warnings = drainWarnings();
  const all = (kind: string) => docs.filter((d) => d.kind === kind);
  const one = (kind: string, name?: string) => {
    const found = all(kind).find((d) => name === undefined || d.metadata.name === name);
    if (!found) throw new Error(`no ${kind}${name ? ` named ${name}` : ''} synthesized`);
    return found;
  };
  return { chart, namespaces, docs, warnings, one, all };
}
