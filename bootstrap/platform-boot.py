#!/usr/bin/python3
# The host's boot steps, run in order by platform-boot.service (bootstrap/boot-steps.ts writes
# the plan). Each step stops the boot when it fails for good, retries with back-off where the
# plan says so, and leaves a marker when it succeeded, so a re-run (after a reboot, a fix, a
# kill) skips what is done and resumes at the step that failed. Commands are argv lists run
# without a shell; downloads are kept only when their SHA-256 matches the plan.
#
# Why a runner and not one systemd unit per step: a oneshot unit with Restart=on-failure fails
# every unit that Requires= it on its first failed attempt (systemd/systemd#18856), so retries
# inside systemd's job graph do not compose. The runner keeps ordering, retries and state in
# one place, and `platform-boot status` shows them.
#
#   platform-boot run      run the pending steps (what the unit does); --fresh reruns every step
#                          (periodic plans such as bootstrap/cert-renewal.ts's)
#   platform-boot status   one line per step; the failed step's log tail; exit 0 when all are done
#   platform-boot recover  put back static pod manifests a killed restartStaticPods left aside
#
# Options for tests: --root DIR (prefix of every path the runner itself reads or writes),
# --backoff-scale F (multiplies every back-off sleep; 0 in tests).
import argparse
import fcntl
import glob
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

PLAN = "/etc/platform-boot/steps.json"
STATE = "/var/lib/platform-boot"
MANIFESTS = "/etc/kubernetes/manifests"
# The kubelet rescans its manifest directory every fileCheckFrequency (20 s by default), so a poll
# every 2 s notices a stopped or started container soon enough.
POLL_SECONDS = 2
STATIC_POD = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


def under(root, path):
    return os.path.join(root, path.lstrip("/")) if root != "/" else path


def write_atomically(path, data, mode=0o600):
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dirfd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


class Runner:
    def __init__(self, args):
        self.root = args.root
        self.scale = args.backoff_scale
        with open(under(self.root, args.plan), encoding="utf-8") as f:
            self.plan = json.load(f)
        self.state = under(self.root, args.state)

    def marker(self, step):
        return os.path.join(self.state, step["name"] + ".done")

    def log_path(self, step):
        return os.path.join(self.state, step["name"] + ".log")

    def say(self, log, message):
        line = "platform-boot: " + message
        print(line, flush=True)
        if log is not None:
            log.write(line + "\n")
            log.flush()

    def command(self, log, argv, timeout):
        self.say(log, "$ " + " ".join(argv))
        try:
            done = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, check=False)
        except FileNotFoundError:
            self.say(log, "not found: " + argv[0])
            return 127
        except subprocess.TimeoutExpired:
            self.say(log, "timed out after %ds: %s" % (timeout, argv[0]))
            return 124
        if done.returncode != 0:
            self.say(log, "exit %d: %s" % (done.returncode, argv[0]))
        return done.returncode

    def fetch(self, log, spec):
        dest = under(self.root, spec["dest"])
        if os.path.exists(dest) and self.digest(dest) == spec["sha256"]:
            self.say(log, "verified earlier: " + spec["dest"])
            return 0
        self.say(log, "fetch " + spec["url"])
        try:
            with urllib.request.urlopen(spec["url"], timeout=60) as response:
                data = response.read()
        except Exception as error:  # any network or HTTP error is a failed attempt
            self.say(log, "fetch failed: %s" % error)
            return 1
        found = hashlib.sha256(data).hexdigest()
        if found != spec["sha256"]:
            self.say(log, "refused %s: SHA-256 %s, expected %s (config/versions.yaml)" % (spec["url"], found, spec["sha256"]))
            return 1
        write_atomically(dest, data)
        self.say(log, "verified %s -> %s" % (found, spec["dest"]))
        return 0

    def packages(self, log, wanted):
        # An apt pin that matches no package lets apt install another version without a word:
        # the installed version must be the pinned one (Docker's packages add "~debian.12~bookworm").
        for name, version in sorted(wanted.items()):
            found = subprocess.run(["dpkg-query", "--show", "--showformat", "${Version}", name], capture_output=True, text=True, check=False)
            installed = found.stdout.strip() if found.returncode == 0 else ""
            if installed != version and not installed.startswith(version + "~"):
                self.say(log, "package %s: expected version %s, found %s" % (name, version, installed or "nothing installed"))
                return 1
            self.say(log, "package %s %s" % (name, installed))
        return 0

    # kubeadm's control-plane components are static pods: kubectl cannot restart them, and they
    # keep the certificates they started with. kubeadm's procedure (kubernetes.io/docs/tasks/
    # administer-cluster/kubeadm/kubeadm-certs/, "Manual certificate renewal"): move the manifest out
    # of /etc/kubernetes/manifests, the kubelet stops the pod within fileCheckFrequency (20 s);
    # move it back, the kubelet starts it again. One component at a time, each back before the next.
    def held_paths(self, spec):
        manifests = under(self.root, spec.get("manifestDir", MANIFESTS))
        # Outside the manifest directory (the kubelet reads every file there), on the same file
        # system (os.replace is atomic), named so that put_back() finds what a killed run left.
        return manifests, os.path.dirname(manifests.rstrip("/"))

    def put_back(self, log, spec):
        manifests, holding = self.held_paths(spec)
        code = 0
        for held in sorted(glob.glob(os.path.join(holding, "*.yaml.restarting"))):
            manifest = os.path.join(manifests, os.path.basename(held)[: -len(".restarting")])
            if os.path.exists(manifest):
                # Someone put a manifest back already: which copy is right is a person's call.
                self.say(log, "both %s and %s exist: keep the right one, delete the other" % (manifest, held))
                code = 1
            else:
                os.replace(held, manifest)
                self.say(log, "put back %s (left aside by an interrupted restart)" % manifest)
        return code

    def container_running(self, log, name):
        argv = ["crictl", "ps", "--name", "^%s$" % name, "--quiet"]
        try:
            found = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        except (FileNotFoundError, subprocess.TimeoutExpired) as error:
            self.say(log, "crictl: %s" % error)
            return None
        if found.returncode != 0:
            self.say(log, "crictl: exit %d: %s" % (found.returncode, found.stderr.strip()))
            return None
        return bool(found.stdout.strip())

    def wait_until(self, log, name, running, seconds):
        deadline = time.monotonic() + seconds
        while True:
            if self.container_running(log, name) is running:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)

    def restart_static_pods(self, log, spec):
        if self.put_back(log, spec) != 0:
            return 1
        manifests, holding = self.held_paths(spec)
        names, wait = spec["names"], spec.get("waitSeconds", 180)
        for name in names:
            if not STATIC_POD.match(name):
                self.say(log, "restartStaticPods: %r is not a static pod name" % name)
                return 1
            if not os.path.exists(os.path.join(manifests, name + ".yaml")):
                # Checked for all before any restart: this host is not the control plane the plan expects.
                self.say(log, "restartStaticPods: no manifest %s; nothing was restarted" % os.path.join(manifests, name + ".yaml"))
                return 1
        for name in names:
            manifest = os.path.join(manifests, name + ".yaml")
            held = os.path.join(holding, name + ".yaml.restarting")
            # systemd stops a unit with SIGTERM: exit through the finally below, not past it. A
            # SIGKILL or power loss is repaired by put_back() (next run, or the kubelet's ExecStartPre).
            previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
            try:
                os.replace(manifest, held)
                try:
                    self.say(log, "%s: manifest moved to %s, waiting for its container to stop" % (name, held))
                    stopped = self.wait_until(log, name, False, wait)
                finally:
                    os.replace(held, manifest)
            finally:
                signal.signal(signal.SIGTERM, previous)
            if not stopped:
                self.say(log, "%s: container still running after %ds (is the kubelet running?); manifest put back" % (name, wait))
                return 1
            self.say(log, "%s: stopped; manifest put back, waiting for its container to start" % name)
            if not self.wait_until(log, name, True, wait):
                self.say(log, "%s: no running container %ds after its manifest came back (crictl ps -a --name %s; journalctl -u kubelet)" % (name, wait, name))
                return 1
            self.say(log, "%s: running again" % name)
        return 0

    def restart_specs(self):
        return [a["restartStaticPods"] for s in self.plan["steps"] for a in s["actions"] if "restartStaticPods" in a]

    @staticmethod
    def digest(path):
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def attempt(self, log, step):
        for action in step["actions"]:
            if "fetch" in action:
                code = self.fetch(log, action["fetch"])
            elif "packages" in action:
                code = self.packages(log, action["packages"])
            elif "restartStaticPods" in action:
                code = self.restart_static_pods(log, action["restartStaticPods"])
            else:
                code = self.command(log, action["run"], action.get("timeoutSeconds", 1800))
            if code != 0:
                return code
        return 0

    def run_step(self, step):
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        with open(self.log_path(step), "a", encoding="utf-8") as log:
            skip = step.get("skipIf")
            if skip and os.path.exists(under(self.root, skip)):
                self.say(log, "%s: skipped, %s exists" % (step["name"], skip))
                write_atomically(self.marker(step), ("skipped: %s exists\n" % skip).encode())
                return True
            attempts = step["attempts"]
            initial, ceiling = step["backoffSeconds"]
            for n in range(1, attempts + 1):
                if n > 1:
                    for argv in step.get("beforeRetry", []):
                        self.command(log, argv, 600)
                self.say(log, "%s: attempt %d of %d" % (step["name"], n, attempts))
                code = self.attempt(log, step)
                if code == 0:
                    write_atomically(self.marker(step), ("done after %d attempt(s)\n" % n).encode())
                    self.say(log, "%s: done" % step["name"])
                    return True
                if n < attempts:
                    delay = min(initial * 2 ** (n - 1), ceiling) * self.scale
                    self.say(log, "%s: retrying in %gs" % (step["name"], delay))
                    time.sleep(delay)
            failure = {"step": step["name"], "attempts": attempts, "exitCode": code, "log": self.log_path(step)}
            write_atomically(os.path.join(self.state, "failed.json"), json.dumps(failure).encode())
            if "rerun" in self.plan:
                self.say(log, "%s: failed after %d attempt(s); the run stops here. Fix the cause, then: %s" % (step["name"], attempts, self.plan["rerun"]))
            else:
                self.say(log, "%s: failed after %d attempt(s); the boot stops here. Fix the cause, then: systemctl restart platform-boot" % (step["name"], attempts))
            return False

    def run(self, fresh=False):
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        with open(os.path.join(self.state, "lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            failed = os.path.join(self.state, "failed.json")
            if os.path.exists(failed):
                os.unlink(failed)
            # Before any step: a later step failing must not leave a control plane without a manifest.
            for spec in self.restart_specs():
                self.put_back(None, spec)
            if fresh:
                # Last run's markers go, so status shows this run's progress, not last month's.
                for step in self.plan["steps"]:
                    if os.path.exists(self.marker(step)):
                        os.unlink(self.marker(step))
            for step in self.plan["steps"]:
                if os.path.exists(self.marker(step)):
                    print("platform-boot: %s: done earlier" % step["name"], flush=True)
                    continue
                if not self.run_step(step):
                    return 1
        print("platform-boot: all %d steps done" % len(self.plan["steps"]), flush=True)
        return 0

    def recover(self):
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        with open(os.path.join(self.state, "lock"), "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                # A run is under way: it puts back what it moves, and what it finds at its start.
                print("platform-boot: a run holds %s; nothing to recover" % self.state, flush=True)
                return 0
            return max([self.put_back(None, spec) for spec in self.restart_specs()] + [0])

    def status(self):
        failed = None
        path = os.path.join(self.state, "failed.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                failed = json.load(f)
        pending = 0
        for step in self.plan["steps"]:
            if os.path.exists(self.marker(step)):
                state = "done"
            elif failed and failed["step"] == step["name"]:
                state = "FAILED"
            else:
                state = "pending"
                pending += 1
            print("%-8s %-24s %s" % (state, step["name"], step["description"]))
        if failed:
            print("\n%s failed after %d attempt(s) (exit %d). Last lines of %s:" % (failed["step"], failed["attempts"], failed["exitCode"], failed["log"]))
            with open(failed["log"], encoding="utf-8", errors="replace") as f:
                for line in f.readlines()[-20:]:
                    print("  " + line.rstrip("\n"))
            return 1
        return 2 if pending else 0


def main():
    parser = argparse.ArgumentParser(prog="platform-boot")
    parser.add_argument("command", choices=["run", "status", "recover"])
    parser.add_argument("--plan", default=PLAN)
    parser.add_argument("--state", default=STATE)
    parser.add_argument("--root", default="/")
    parser.add_argument("--backoff-scale", type=float, default=1.0)
    parser.add_argument("--fresh", action="store_true", help="run: rerun every step, done or not")
    args = parser.parse_args()
    if args.fresh and args.command != "run":
        parser.error("--fresh goes with run")
    runner = Runner(args)
    if args.command == "run":
        sys.exit(runner.run(fresh=args.fresh))
    sys.exit(runner.recover() if args.command == "recover" else runner.status())


if __name__ == "__main__":
    main()
