/**
 * The boot step graph, run for real: the runner (bootstrap/platform-boot.py) and the plan exactly
 * as a host's user-data carries them, in a scratch root with stub binaries for systemctl, kubeadm,
 * kubectl and the rest. Proves ordering, stop-on-failure, retry with the cleanup between attempts,
 * verified downloads, resumption after a failure or a kill, and that a host with a cluster is
 * never initialised again. Also: cloud-init's own rendering of runcmd fails when the boot fails,
 * and `systemd-analyze verify` accepts every unit the hosts get.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as yaml from 'js-yaml';
import { ArgoCdBootstrap } from '../charts/gitops';
import { loadConfig } from '../config/load';
import { RETRY } from '../bootstrap/boot-steps';
import { ClusterBootstrap } from '../bootstrap/cluster-bootstrap';
import { generateBootstrapSecrets } from '../bootstrap/secrets';
import { repoRoot } from '../lib/repo-root';

interface WriteFile {
  path: string;
  content: string;
  permissions: string;
}
interface UserData {
  runcmd: string[][];
  write_files: WriteFile[];
}

const secrets = generateBootstrapSecrets();
function userData(configFile: string): Map<string, UserData> {
  const config = loadConfig(path.join(repoRoot(), configFile));
  const files = new ClusterBootstrap(Testing.chart(), 'Bootstrap', {
    cluster: config.cluster,
    edge: config.edge,
    gitopsManifests: new ArgoCdBootstrap(Testing.app(), '00-argocd', { repo: config.gitops }).toJson(),
    secrets,
  }).files();
  return new Map(files.filter((f) => f.path.endsWith('/user-data')).map((f) => [f.path.split('/')[1], yaml.load(f.content) as UserData]));
}
const ha = userData('examples/ha-cluster.yaml');

/** The Python interpreter itself (not a version manager's shim, which costs ~0.1 s per start). */
const PYTHON = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim() || 'python3';

/**
 * Every command the plans run, as one POSIX sh stub (a few ms per call, where a Python one costs
 * ~20): it logs its argv and obeys the scenario's rule files (rules() writes them).
 * - fail/<n>: a substring of the command line, then how many more calls fail (-1: all);
 * - sleep/<n>: a substring, then seconds to sleep first;
 * - packages/<name>: the version dpkg-query reports (none: not installed).
 * `kubeadm init` and `kubeadm join` leave the files the real ones write.
 */
const STUB = `#!/bin/sh
name=\${0##*/}
line="$name $*"
printf '%s\\n' "$line" >> "$STUB_ROOT/calls.log"
if [ "$name" = dpkg-query ]; then
  for last; do :; done
  [ -f "$STUB_ROOT/packages/$last" ] || exit 1
  cat "$STUB_ROOT/packages/$last"
  exit 0
fi
for rule in "$STUB_ROOT"/fail/*; do
  [ -f "$rule" ] || continue
  { IFS= read -r match; read -r times; } < "$rule"
  case "$line" in *"$match"*)
    if [ "$times" != 0 ]; then
      [ "$times" -gt 0 ] && printf '%s\\n%s\\n' "$match" "$((times - 1))" > "$rule"
      echo "stub: failing $line"
      exit 1
    fi ;;
  esac
done
for rule in "$STUB_ROOT"/sleep/*; do
  [ -f "$rule" ] || continue
  { IFS= read -r match; read -r seconds; } < "$rule"
  case "$line" in *"$match"*) sleep "$seconds" ;; esac
done
case "$line" in
  "kubeadm init"*) mkdir -p "$STUB_ROOT/etc/kubernetes" && : > "$STUB_ROOT/etc/kubernetes/admin.conf" ;;
  "kubeadm join"*) mkdir -p "$STUB_ROOT/etc/kubernetes" && : > "$STUB_ROOT/etc/kubernetes/kubelet.conf" ;;
esac
exit 0
`;
const COMMANDS = ['systemctl', 'swapoff', 'modprobe', 'sysctl', 'apt-mark', 'dpkg-query', 'kubeadm', 'kubectl'];

interface Rules {
  fail?: { match: string; times: number }[];
  sleep?: { match: string; seconds: number }[];
  packages?: Record<string, string>;
}

class Host {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-boot-'));
  readonly bin = path.join(this.root, 'stub-bin');

  constructor(
    readonly data: UserData,
    rules: Rules = {},
    /** Download contents by file name; the plan's URLs are pointed at them. */
    downloads: Record<string, string> = { 'calico.yaml': 'kind: List\n', 'argo-cd.yaml': 'kind: List\n' },
  ) {
    for (const f of data.write_files) this.write(f.path, f.content);
    fs.mkdirSync(this.bin);
    for (const c of COMMANDS) fs.writeFileSync(path.join(this.bin, c), STUB, { mode: 0o755 });
    // Downloads come from local files: point each fetch at one, with the digest of the pinned bytes
    // kept unless a scenario serves other bytes (then the runner must refuse them).
    const planFile = path.join(this.root, 'etc/platform-boot/steps.json');
    const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
    for (const step of plan.steps)
      for (const a of step.actions) {
        if (!a.fetch) continue;
        const name = path.basename(a.fetch.dest);
        const served = path.join(this.root, 'served', name);
        this.write(`/served/${name}`, downloads[name] ?? '');
        a.fetch.url = `file://${served}`;
        a.fetch.sha256 = crypto
          .createHash('sha256')
          .update(downloads[`pinned:${name}`] ?? downloads[name] ?? '')
          .digest('hex');
      }
    fs.writeFileSync(planFile, JSON.stringify(plan));
    this.rules({ packages: this.installedPackages(), ...rules });
  }

  /** The versions the plan expects, as dpkg would report Docker's and pkgs.k8s.io's packages. */
  installedPackages(): Record<string, string> {
    const plan = this.plan();
    const wanted = plan.steps.flatMap((s: any) => s.actions.filter((a: any) => a.packages).map((a: any) => a.packages))[0] ?? {};
    return Object.fromEntries(Object.entries(wanted as Record<string, string>).map(([k, v]) => [k, k === 'containerd.io' ? `${v}~debian.12~bookworm` : v]));
  }

  plan(): { steps: { name: string; attempts: number }[] } {
    return JSON.parse(fs.readFileSync(path.join(this.root, 'etc/platform-boot/steps.json'), 'utf8'));
  }

  write(p: string, content: string): void {
    const full = path.join(this.root, p);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }

  rules(rules: Rules): void {
    for (const dir of ['fail', 'sleep', 'packages']) {
      fs.rmSync(path.join(this.root, dir), { recursive: true, force: true });
      fs.mkdirSync(path.join(this.root, dir));
    }
    (rules.fail ?? []).forEach((r, i) => fs.writeFileSync(path.join(this.root, 'fail', String(i)), `${r.match}\n${r.times}\n`));
    (rules.sleep ?? []).forEach((r, i) => fs.writeFileSync(path.join(this.root, 'sleep', String(i)), `${r.match}\n${r.seconds}\n`));
    for (const [name, version] of Object.entries(rules.packages ?? {})) fs.writeFileSync(path.join(this.root, 'packages', name), version);
  }

  private args(command: string): string[] {
    return [path.join(this.root, 'usr/local/sbin/platform-boot'), command, '--root', this.root, '--backoff-scale', '0'];
  }

  private get env() {
    return { ...process.env, PATH: `${this.bin}:${process.env.PATH}`, STUB_ROOT: this.root };
  }

  run(command: 'run' | 'status' = 'run'): { status: number | null; stdout: string } {
    const r = spawnSync(PYTHON, this.args(command), { env: this.env, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout + r.stderr };
  }

  start(): ChildProcess {
    return spawn(PYTHON, this.args('run'), { env: this.env, stdio: 'ignore' });
  }

  /** The stubbed commands called so far, one line each. */
  calls(): string[] {
    const log = path.join(this.root, 'calls.log');
    return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
  }

  /** kubeadm and kubectl calls, shortened to what tells the steps apart. */
  clusterCalls(): string[] {
    return this.calls()
      .filter((c) => /^kube(adm|ctl) /.test(c))
      .map((c) =>
        c
          .replace(' --kubeconfig /etc/kubernetes/admin.conf', '')
          .replace(/ --config \S+/, '')
          .replace(/ -f \S+\/([^/ ]+)/, ' -f $1'),
      );
  }

  exists(p: string): boolean {
    return fs.existsSync(path.join(this.root, p));
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

const hosts: Host[] = [];
const host = (data: UserData, rules?: Rules, downloads?: Record<string, string>) => {
  const h = new Host(data, rules, downloads);
  hosts.push(h);
  return h;
};
afterAll(() => hosts.forEach((h) => h.cleanup()));

const INIT_SEQUENCE = [
  'kubeadm config images pull',
  'kubeadm init',
  'kubectl get --raw /readyz --request-timeout 10s',
  'kubectl apply -f calico.yaml',
  'kubectl apply -f kubelet-csr-approver.yaml',
  'kubectl apply -f argocd-namespace.yaml',
  'kubectl apply --server-side --force-conflicts --namespace argocd -f argo-cd.yaml',
  'kubectl wait --for condition=Established --timeout 300s crd/applications.argoproj.io',
  'kubectl apply --server-side --force-conflicts -f gitops.yaml',
];

describe('the first control plane', () => {
  test('runs every step once, in order, and reports all done', () => {
    const h = host(ha.get('deadlock')!);
    const run = h.run();
    expect(run.status).toBe(0);
    expect(h.clusterCalls()).toEqual(INIT_SEQUENCE);
    // The host is prepared before kubeadm runs, keepalived enabled with it.
    const calls = h.calls();
    expect(calls.indexOf('systemctl enable --now keepalived.service')).toBeLessThan(calls.findIndex((c) => c.startsWith('kubeadm')));
    expect(calls.indexOf('sysctl --system')).toBeLessThan(calls.findIndex((c) => c.startsWith('kubeadm')));
    const status = h.run('status');
    expect(status.status).toBe(0);
    expect(status.stdout.split('\n').filter((l) => l.startsWith('done')).length).toBe(h.plan().steps.length);
  });

  test('a re-run after success (a reboot) runs nothing again', () => {
    const h = host(ha.get('deadlock')!);
    expect(h.run().status).toBe(0);
    const before = h.calls().length;
    expect(h.run().status).toBe(0);
    expect(h.calls().length).toBe(before);
  });

  test('a network step that fails twice is retried and the boot goes on', () => {
    const h = host(ha.get('deadlock')!, { fail: [{ match: 'get --raw /readyz', times: 2 }] });
    expect(h.run().status).toBe(0);
    expect(h.clusterCalls().filter((c) => c.includes('/readyz'))).toHaveLength(3);
    expect(h.clusterCalls().at(-1)).toContain('gitops.yaml');
  });

  test('a step that keeps failing stops the boot there, status names it, and a re-run resumes at it', () => {
    const h = host(ha.get('deadlock')!, { fail: [{ match: 'apply -f /var/lib/platform-boot/downloads/calico.yaml', times: -1 }] });
    const run = h.run();
    expect(run.status).toBe(1);
    expect(h.clusterCalls().filter((c) => c === 'kubectl apply -f calico.yaml')).toHaveLength(RETRY.network.attempts);
    // Nothing after the CNI ran: no Argo CD without a pod network.
    expect(h.clusterCalls().some((c) => c.includes('argo'))).toBe(false);
    const status = h.run('status');
    expect(status.status).toBe(1);
    expect(status.stdout).toMatch(/^FAILED\s+cni\b/m);
    expect(status.stdout).toContain('stub: failing kubectl');

    h.rules({ packages: h.installedPackages() });
    const before = h.calls().length;
    expect(h.run().status).toBe(0);
    const resumed = h.calls().slice(before);
    expect(resumed.some((c) => c.startsWith('kubeadm') || c.startsWith('swapoff'))).toBe(false);
    expect(resumed.filter((c) => /^kube(adm|ctl) /.test(c))[0]).toMatch(/apply -f \S+calico\.yaml$/);
  });

  test('a host that already has a cluster (admin.conf) is never initialised again, even without its boot state', () => {
    const h = host(ha.get('deadlock')!);
    h.write('/etc/kubernetes/admin.conf', '');
    expect(h.run().status).toBe(0);
    expect(h.clusterCalls()).not.toContain('kubeadm init');
    expect(h.run('status').stdout).toMatch(/^done\s+kubeadm-init/m);
  });

  test('a failed kubeadm init is not retried: the boot stops for a person', () => {
    const h = host(ha.get('deadlock')!, { fail: [{ match: 'kubeadm init', times: -1 }] });
    expect(h.run().status).toBe(1);
    expect(h.clusterCalls().filter((c) => c === 'kubeadm init')).toHaveLength(1);
    expect(h.clusterCalls().some((c) => c.startsWith('kubectl'))).toBe(false);
  });

  test('a download whose bytes differ from the pinned SHA-256 is refused and never applied', () => {
    const h = host(ha.get('deadlock')!, {}, { 'calico.yaml': 'kind: Tampered\n', 'pinned:calico.yaml': 'kind: List\n', 'argo-cd.yaml': 'kind: List\n' });
    expect(h.run().status).toBe(1);
    expect(h.clusterCalls().some((c) => c.includes('calico'))).toBe(false);
    expect(h.exists('/var/lib/platform-boot/downloads/calico.yaml')).toBe(false);
    expect(h.run('status').stdout).toMatch(/refused file:\S+calico\.yaml: SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
  });

  test('a package apt installed at another version stops the boot before kubeadm', () => {
    const h = host(ha.get('deadlock')!);
    h.rules({ packages: { ...h.installedPackages(), 'containerd.io': '2.3.6-1~debian.13~trixie' } });
    expect(h.run().status).toBe(1);
    expect(h.clusterCalls()).toEqual([]);
    expect(h.run('status').stdout).toMatch(/package containerd\.io: expected version \S+, found 2\.3\.6-1~debian\.13~trixie/);
  });

  test('killed in the middle of a step, the next run resumes at that step and skips the finished ones', async () => {
    const h = host(ha.get('deadlock')!, { sleep: [{ match: 'kubelet-csr-approver.yaml', seconds: 60 }] });
    const child = h.start();
    const exited = new Promise((resolve) => child.on('exit', resolve));
    for (let i = 0; i < 200 && !h.calls().some((c) => c.includes('kubelet-csr-approver.yaml')); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    expect(h.exists('/var/lib/platform-boot/kubelet-csr-approver.done')).toBe(false);
    h.rules({ packages: h.installedPackages() });
    const before = h.calls().length;
    expect(h.run().status).toBe(0);
    expect(
      h
        .calls()
        .slice(before)
        .filter((c) => c.startsWith('kube'))[0],
    ).toContain('kubelet-csr-approver.yaml');
    expect(h.calls().filter((c) => c.includes('calico.yaml'))).toHaveLength(1);
  });
});

describe('joining hosts', () => {
  test('a worker whose join fails is reset before every retry, then joins', () => {
    const h = host(ha.get('worker-1')!, { fail: [{ match: 'kubeadm join', times: 2 }] });
    expect(h.run().status).toBe(0);
    expect(h.clusterCalls()).toEqual(['kubeadm join', 'kubeadm reset --force', 'kubeadm join', 'kubeadm reset --force', 'kubeadm join']);
  });

  test('a control plane whose join fails is retried but never reset (reset would delete its CA files)', () => {
    const h = host(ha.get('coup')!, { fail: [{ match: 'kubeadm join', times: 1 }] });
    expect(h.run().status).toBe(0);
    expect(h.clusterCalls()).toEqual(['kubeadm join', 'kubeadm join']);
    expect(h.calls()).toContain('systemctl enable --now etcd-snapshot.timer');
  });

  test('a join that never succeeds stops the boot after its budget', () => {
    const h = host(ha.get('worker-2')!, { fail: [{ match: 'kubeadm join', times: -1 }] });
    expect(h.run().status).toBe(1);
    expect(h.clusterCalls().filter((c) => c === 'kubeadm join')).toHaveLength(RETRY.join.attempts);
    expect(h.run('status').stdout).toMatch(/^FAILED\s+kubeadm-join/m);
  });
});

describe('cloud-init and systemd', () => {
  test('runcmd is the one command that starts the boot, so cloud-init reports an error when a step failed', () => {
    for (const [name, data] of ha) expect([name, data.runcmd]).toEqual([name, [['systemctl', 'enable', '--now', 'platform-boot.service']]]);
    // cloud-init's own rendering of runcmd (cc_runcmd → util.shellify), run with a failing systemctl.
    const script = spawnSync('/usr/bin/python3', ['-c', 'import json,sys; from cloudinit import util; print(util.shellify(json.load(sys.stdin)), end="")'], {
      input: JSON.stringify(ha.get('deadlock')!.runcmd),
      encoding: 'utf8',
    });
    if (script.status !== 0) throw new Error(`cloud-init's Python package is needed (apt-get install cloud-init): ${script.stderr}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runcmd-'));
    try {
      fs.writeFileSync(path.join(dir, 'runcmd'), script.stdout, { mode: 0o755 });
      fs.writeFileSync(path.join(dir, 'systemctl'), '#!/bin/sh\necho "$@" > "$(dirname "$0")/called"\nexit 1\n', { mode: 0o755 });
      const run = spawnSync(path.join(dir, 'runcmd'), { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
      expect(fs.readFileSync(path.join(dir, 'called'), 'utf8')).toBe('enable --now platform-boot.service\n');
      expect(run.status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('systemd-analyze verify accepts every unit of every host', () => {
    const found = spawnSync('systemd-analyze', ['--version']);
    if (found.status !== 0) throw new Error('systemd-analyze is needed (apt-get install systemd; npm test installs it as root)');
    for (const [name, data] of ha) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'units-'));
      try {
        // The host's own units (the targets they are ordered against) and what the units name.
        fs.cpSync('/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true, dereference: false, verbatimSymlinks: true });
        const units: string[] = [];
        for (const f of data.write_files) {
          const full = path.join(root, f.path);
          fs.mkdirSync(path.dirname(full), { recursive: true });
          fs.writeFileSync(full, f.content, { mode: parseInt(f.permissions, 8) });
          if (/^\/etc\/systemd\/system\/[^/]+\.(service|timer)$/.test(f.path)) units.push(f.path);
        }
        const stub = (p: string, content = '#!/bin/sh\n', mode = 0o755) => {
          fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
          fs.writeFileSync(path.join(root, p), content, { mode });
        };
        for (const b of ['/usr/bin/ctr', '/usr/bin/savelog', '/usr/bin/install', '/usr/bin/containerd', '/usr/sbin/keepalived']) stub(b);
        // What the packages install: containerd.io's and Debian keepalived's units.
        stub('/usr/lib/systemd/system/containerd.service', '[Service]\nExecStart=/usr/bin/containerd\n', 0o644);
        stub('/usr/lib/systemd/system/keepalived.service', '[Service]\nExecStart=/usr/sbin/keepalived --dont-fork\n', 0o644);
        if (data.write_files.some((f) => f.path.startsWith('/etc/systemd/system/keepalived.service.d/')))
          units.push('/usr/lib/systemd/system/keepalived.service');
        expect(units.length).toBeGreaterThan(0);
        const verify = spawnSync('systemd-analyze', ['verify', `--root=${root}`, ...units], { encoding: 'utf8' });
        expect([name, verify.status, verify.stderr]).toEqual([name, 0, '']);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
  });
});
