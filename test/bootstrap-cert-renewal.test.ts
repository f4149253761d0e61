/**
 * The certificate renewal of control-plane hosts, run for real: the runner (bootstrap/platform-boot.py)
 * with the plan and the command line of kubeadm-certs-renew.service exactly as certRenewalFiles()
 * writes them, in a scratch root with stub kubeadm and crictl (a container "runs" while its manifest
 * is in the scratch root's /etc/kubernetes/manifests). Proves: renew before any restart, each
 * manifest moved out and back in order, `--fresh` reruns every step, a failed renewal restarts
 * nothing, a kill or SIGTERM between the two moves never leaves a manifest aside, a missing
 * manifest fails before any restart. Also: `systemd-analyze verify` accepts the units.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RETRY, runnerSource } from '../bootstrap/boot-steps';
import {
  CERT_RENEWAL_PLAN_PATH,
  CERT_RENEWAL_STATE_DIR,
  certRenewalFiles,
  enableCertRenewal,
  RESTART_WAIT_SECONDS,
  RESTARTED_STATIC_PODS,
} from '../bootstrap/cert-renewal';

/** The Python interpreter itself (not a version manager's shim, which costs ~0.1 s per stub call). */
const PYTHON = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim() || 'python3';

// kubeadm and crictl: log the call (crictl with what it answered), obey the scenario's rules.
const STUB = `#!${PYTHON} -S
import json, os, sys, time
root = os.environ["STUB_ROOT"]
line = " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:])
rules_file = os.path.join(root, "rules.json")
rules = json.load(open(rules_file)) if os.path.exists(rules_file) else {}
def log(text):
    with open(os.path.join(root, "calls.log"), "a") as f:
        f.write(text + "\\n")
for rule in rules.get("fail", []):
    if rule["match"] in line:
        log(line + " -> fail")
        print("stub: failing " + line)
        sys.exit(1)
out = ""
if line.startswith("crictl ps --name "):
    name = sys.argv[3].strip("^$")
    running = name in rules.get("stuck", []) or os.path.exists(os.path.join(root, "etc/kubernetes/manifests", name + ".yaml"))
    out = "c0ffee" + name if running else ""
    log(line + (" -> running" if running else " -> none"))
else:
    log(line)
for rule in rules.get("sleep", []):
    if rule["match"] in line:
        parent, end = os.getppid(), time.time() + rule["seconds"]
        while time.time() < end and os.getppid() == parent:
            time.sleep(0.02)
print(out)
`;

interface Rules {
  fail?: { match: string }[];
  sleep?: { match: string; seconds: number }[];
  /** Containers that keep running without their manifest (a kubelet that does not act). */
  stuck?: string[];
}

const files = certRenewalFiles();
const file = (suffix: string) => files.find((f) => f.path.endsWith(suffix))!;
const service = file('/kubeadm-certs-renew.service');
const timer = file('/kubeadm-certs-renew.timer');
const dropIn = file('/kubelet.service.d/20-put-back-manifests.conf');
/** A unit's command line (the first `key=`), without systemd's `-` prefix. */
const unitCommand = (content: string, key: string) =>
  content
    .split('\n')
    .find((l) => l.startsWith(`${key}=`))!
    .slice(key.length + 1)
    .replace(/^-/, '')
    .split(' ');

const manifest = (name: string) => `/etc/kubernetes/manifests/${name}.yaml`;
const held = (name: string) => `/etc/kubernetes/${name}.yaml.restarting`;

class Host {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'cert-renewal-'));
  readonly bin = path.join(this.root, 'stub-bin');

  constructor(rules: Rules = {}) {
    for (const f of files) this.write(f.path, f.content);
    this.write('/usr/local/sbin/platform-boot', runnerSource());
    this.write('/etc/kubernetes/admin.conf', '');
    for (const name of RESTARTED_STATIC_PODS) this.write(manifest(name), `kind: Pod\nmetadata: {name: ${name}}\n`);
    fs.mkdirSync(this.bin);
    for (const c of ['kubeadm', 'crictl']) fs.writeFileSync(path.join(this.bin, c), STUB, { mode: 0o755 });
    this.rules(rules);
  }

  write(p: string, content: string): void {
    const full = path.join(this.root, p);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }

  read(p: string): string {
    return fs.readFileSync(path.join(this.root, p), 'utf8');
  }

  exists(p: string): boolean {
    return fs.existsSync(path.join(this.root, p));
  }

  rules(rules: Rules): void {
    fs.writeFileSync(path.join(this.root, 'rules.json'), JSON.stringify(rules));
  }

  /** Changes the plan on this host only (e.g. a shorter wait). */
  patchPlan(change: (plan: any) => void): void {
    const plan = JSON.parse(this.read(CERT_RENEWAL_PLAN_PATH));
    change(plan);
    this.write(CERT_RENEWAL_PLAN_PATH, JSON.stringify(plan));
  }

  /** A command line of the units, the runner taken from the scratch root, every path under it. */
  private args(argv: string[]): string[] {
    expect(argv[0]).toBe('/usr/local/sbin/platform-boot');
    return [path.join(this.root, argv[0]), ...argv.slice(1), '--root', this.root, '--backoff-scale', '0'];
  }

  private get env() {
    return { ...process.env, PATH: `${this.bin}:${process.env.PATH}`, STUB_ROOT: this.root };
  }

  /** What the service runs (`run --fresh`), or another runner command on the same plan. */
  run(argv: string[] = unitCommand(service.content, 'ExecStart')): { status: number | null; stdout: string } {
    const r = spawnSync(PYTHON, this.args(argv), { env: this.env, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout + r.stderr };
  }

  status(): { status: number | null; stdout: string } {
    return this.run(['/usr/local/sbin/platform-boot', 'status', '--plan', CERT_RENEWAL_PLAN_PATH, '--state', CERT_RENEWAL_STATE_DIR]);
  }

  start(): ChildProcess {
    return spawn(PYTHON, this.args(unitCommand(service.content, 'ExecStart')), { env: this.env, stdio: 'ignore' });
  }

  calls(): string[] {
    const log = path.join(this.root, 'calls.log');
    return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
  }

  async waitForCall(part: string): Promise<void> {
    for (let i = 0; i < 400 && !this.calls().some((c) => c.includes(part)); i++) await new Promise((r) => setTimeout(r, 25));
    expect(this.calls().some((c) => c.includes(part))).toBe(true);
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

const hosts: Host[] = [];
const host = (rules?: Rules) => {
  const h = new Host(rules);
  hosts.push(h);
  return h;
};
afterAll(() => hosts.forEach((h) => h.cleanup()));

/** Each component: its container gone while the manifest is out, running once it is back. */
const restartCalls = (names: readonly string[]) =>
  names.flatMap((n) => [`crictl ps --name ^${n}$ --quiet -> none`, `crictl ps --name ^${n}$ --quiet -> running`]);
const FULL_RUN = ['kubeadm certs renew all', ...restartCalls(RESTARTED_STATIC_PODS), 'kubeadm certs check-expiration'];

const exit = (child: ChildProcess) => new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));

describe('the files', () => {
  test('a monthly, persistent, randomised timer; the service runs the plan fresh, on control planes only', () => {
    expect(timer.content).toMatch(/^OnCalendar=monthly$/m);
    expect(timer.content).toMatch(/^Persistent=true$/m);
    expect(timer.content).toMatch(/^RandomizedDelaySec=\S+$/m);
    expect(certRenewalFiles({ onCalendar: '*-*-01 03:00' })[1].content).toMatch(/^OnCalendar=\*-\*-01 03:00$/m);
    expect(() => certRenewalFiles({ onCalendar: 'monthly\nOnCalendar=hourly' })).toThrow(/OnCalendar/);
    expect(service.content).toMatch(/^Type=oneshot$/m);
    expect(service.content).toMatch(/^ConditionPathExists=\/etc\/kubernetes\/admin\.conf$/m);
    expect(service.content).toMatch(/^After=platform-boot\.service\b/m);
    expect(unitCommand(service.content, 'ExecStart')).toEqual([
      '/usr/local/sbin/platform-boot',
      'run',
      '--fresh',
      '--plan',
      '/etc/platform-boot/renew-certificates.json',
      '--state',
      '/var/lib/platform-boot/renew-certificates',
    ]);
    expect(enableCertRenewal).toEqual([['systemctl', 'enable', '--now', 'kubeadm-certs-renew.timer']]);
  });

  test('the plan: renew, restart the control plane (etcd first), check; none retried', () => {
    const plan = JSON.parse(file(CERT_RENEWAL_PLAN_PATH).content);
    expect(plan.steps.map((s: any) => s.name)).toEqual(['renew', 'restart-control-plane', 'check']);
    expect(plan.steps[1].actions).toEqual([
      {
        restartStaticPods: {
          names: ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'],
          manifestDir: '/etc/kubernetes/manifests',
          waitSeconds: RESTART_WAIT_SECONDS,
        },
      },
    ]);
    for (const s of plan.steps) expect([s.attempts, s.backoffSeconds]).toEqual([RETRY.once.attempts, RETRY.once.backoffSeconds]);
    expect(file(CERT_RENEWAL_PLAN_PATH).permissions).toBe('0600');
  });
});

describe('a renewal run', () => {
  test('renews, restarts each component one at a time (out, gone, back, running), then checks', () => {
    const h = host();
    const run = h.run();
    expect([run.status, run.stdout]).toEqual([0, expect.stringContaining('all 3 steps done')]);
    expect(h.calls()).toEqual(FULL_RUN);
    for (const name of RESTARTED_STATIC_PODS) {
      expect(h.read(manifest(name))).toBe(`kind: Pod\nmetadata: {name: ${name}}\n`);
      expect(h.exists(held(name))).toBe(false);
    }
    // Where the manifest waits: outside the manifest directory, which the kubelet reads whole.
    expect(run.stdout).toContain(`etcd: manifest moved to ${path.join(h.root, held('etcd'))}`);
    const status = h.status();
    expect(status.status).toBe(0);
    expect(status.stdout.split('\n').filter((l) => l.startsWith('done'))).toHaveLength(3);
  });

  test('--fresh reruns every step next time; a plain run (the default) skips the finished ones', () => {
    const h = host();
    expect(h.run().status).toBe(0);
    expect(h.run().status).toBe(0);
    expect(h.calls()).toEqual([...FULL_RUN, ...FULL_RUN]);
    const plain = unitCommand(service.content, 'ExecStart').filter((a) => a !== '--fresh');
    const r = h.run(plain);
    expect([r.status, r.stdout]).toEqual([0, expect.stringContaining('renew: done earlier')]);
    expect(h.calls()).toHaveLength(2 * FULL_RUN.length);
  });

  test('a failed renewal stops the run before any restart, and status shows this run, not the last', () => {
    const h = host();
    expect(h.run().status).toBe(0);
    h.rules({ fail: [{ match: 'kubeadm certs renew' }] });
    const before = h.calls().length;
    const run = h.run();
    expect(run.status).toBe(1);
    expect(h.calls().slice(before)).toEqual(['kubeadm certs renew all -> fail']);
    for (const name of RESTARTED_STATIC_PODS) expect(h.exists(manifest(name))).toBe(true);
    expect(run.stdout).toContain('renew: failed after 1 attempt(s); the run stops here. Fix the cause, then: systemctl start kubeadm-certs-renew.service');
    const status = h.status();
    expect(status.status).toBe(1);
    expect(status.stdout).toMatch(/^FAILED\s+renew\b/m);
    // Last month's markers went with the fresh run.
    expect(status.stdout).toMatch(/^pending\s+restart-control-plane\b/m);
    expect(status.stdout).toContain('stub: failing kubeadm certs renew all');
  });

  test('a missing manifest fails clearly, before any component is restarted', () => {
    const h = host();
    fs.unlinkSync(path.join(h.root, manifest('kube-scheduler')));
    expect(h.run().status).toBe(1);
    expect(h.calls()).toEqual(['kubeadm certs renew all']);
    for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager']) expect(h.exists(manifest(name))).toBe(true);
    const status = h.status();
    expect(status.stdout).toMatch(/^FAILED\s+restart-control-plane\b/m);
    expect(status.stdout).toContain(`no manifest ${path.join(h.root, manifest('kube-scheduler'))}; nothing was restarted`);
  });

  test('a container that does not stop: its manifest is put back and the run stops there', () => {
    const h = host({ stuck: ['kube-apiserver'] });
    h.patchPlan((plan) => (plan.steps[1].actions[0].restartStaticPods.waitSeconds = 0));
    expect(h.run().status).toBe(1);
    expect(h.calls()).toEqual(['kubeadm certs renew all', ...restartCalls(['etcd']), 'crictl ps --name ^kube-apiserver$ --quiet -> running']);
    expect(h.exists(manifest('kube-apiserver'))).toBe(true);
    expect(h.exists(held('kube-apiserver'))).toBe(false);
    expect(h.status().stdout).toContain('kube-apiserver: container still running after 0s (is the kubelet running?); manifest put back');
  });
});

describe('interrupted between the two moves', () => {
  /** A run killed while kube-apiserver's manifest is out. */
  async function killedWithManifestOut(): Promise<Host> {
    const h = host({ sleep: [{ match: 'crictl ps --name ^kube-apiserver$', seconds: 30 }] });
    const child = h.start();
    const exited = exit(child);
    await h.waitForCall('^kube-apiserver$');
    child.kill('SIGKILL');
    await exited;
    expect(h.exists(manifest('kube-apiserver'))).toBe(false);
    expect(h.exists(held('kube-apiserver'))).toBe(true);
    return h;
  }

  test('killed: the next run puts the manifest back first, even when its renewal then fails', async () => {
    const h = await killedWithManifestOut();
    h.rules({ fail: [{ match: 'kubeadm certs renew' }] });
    const run = h.run();
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`put back ${path.join(h.root, manifest('kube-apiserver'))} (left aside by an interrupted restart)`);
    expect(h.exists(manifest('kube-apiserver'))).toBe(true);
    expect(h.exists(held('kube-apiserver'))).toBe(false);

    h.rules({});
    const before = h.calls().length;
    expect(h.run().status).toBe(0);
    expect(h.calls().slice(before)).toEqual(FULL_RUN);
  });

  test("killed: the kubelet's ExecStartPre (platform-boot recover) puts it back before the kubelet starts", async () => {
    const h = await killedWithManifestOut();
    const recover = unitCommand(dropIn.content, 'ExecStartPre');
    expect(recover.slice(1, 2)).toEqual(['recover']);
    const r = h.run(recover);
    expect(r.status).toBe(0);
    expect(h.read(manifest('kube-apiserver'))).toBe('kind: Pod\nmetadata: {name: kube-apiserver}\n');
    expect(h.exists(held('kube-apiserver'))).toBe(false);
    // Nothing aside: nothing to do.
    expect(h.run(recover)).toEqual({ status: 0, stdout: '' });
  });

  test('killed, and someone put a manifest back by hand: both are left for a person, the restart refuses', async () => {
    const h = await killedWithManifestOut();
    h.write(manifest('kube-apiserver'), 'kind: Pod\n# edited\n');
    h.rules({});
    const r = h.run(unitCommand(dropIn.content, 'ExecStartPre'));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('both');
    expect(h.exists(held('kube-apiserver'))).toBe(true);
    const before = h.calls().length;
    expect(h.run().status).toBe(1);
    expect(h.calls().slice(before)).toEqual(['kubeadm certs renew all']);
    expect(h.read(manifest('kube-apiserver'))).toBe('kind: Pod\n# edited\n');
    expect(h.status().stdout).toMatch(/^FAILED\s+restart-control-plane\b/m);
  });

  test('stopped by systemd (SIGTERM): the runner puts the manifest back itself before it exits', async () => {
    const h = host({ sleep: [{ match: 'crictl ps --name ^kube-apiserver$', seconds: 30 }] });
    const child = h.start();
    const exited = exit(child);
    await h.waitForCall('^kube-apiserver$');
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(h.exists(manifest('kube-apiserver'))).toBe(true);
    expect(h.exists(held('kube-apiserver'))).toBe(false);
  });
});

describe('systemd', () => {
  test('systemd-analyze verify accepts the service, the timer and the kubelet drop-in', () => {
    const found = spawnSync('systemd-analyze', ['--version']);
    if (found.status !== 0) throw new Error('systemd-analyze is needed (apt-get install systemd; npm test installs it as root)');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'units-'));
    try {
      fs.cpSync('/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true, dereference: false, verbatimSymlinks: true });
      const put = (p: string, content: string, mode: number) => {
        fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
        fs.writeFileSync(path.join(root, p), content, { mode });
      };
      for (const f of files) put(f.path, f.content, parseInt(f.permissions, 8));
      put('/usr/local/sbin/platform-boot', runnerSource(), 0o755);
      // As on a host whose boot did not name kubelet.service: the service is only ordered after it.
      const units = verify(root, [service.path, timer.path]);
      expect(units).toEqual([0, '']);
      // What the kubelet package installs, with the drop-in applied.
      put('/usr/bin/kubelet', '#!/bin/sh\n', 0o755);
      put('/usr/lib/systemd/system/kubelet.service', '[Service]\nExecStart=/usr/bin/kubelet\n', 0o644);
      expect(verify(root, ['/usr/lib/systemd/system/kubelet.service'])).toEqual([0, '']);
      // The drop-in is read: a broken one is reported.
      put(dropIn.path, '[Service]\nExecStartPre=relative/path\n', 0o644);
      expect(verify(root, ['/usr/lib/systemd/system/kubelet.service'])[1]).toContain('20-put-back-manifests.conf');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

function verify(root: string, units: string[]): [number | null, string] {
  const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, ...units], { encoding: 'utf8' });
  return [r.status, r.stderr];
}
