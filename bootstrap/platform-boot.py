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
#   platform-boot run      run the pending steps (what the unit does)
#   platform-boot status   one line per step; the failed step's log tail; exit 0 when all are done
#
# Options for tests: --root DIR (prefix of every path the runner itself reads or writes),
# --backoff-scale F (multiplies every back-off sleep; 0 in tests).
import argparse
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

PLAN = "/etc/platform-boot/steps.json"
STATE = "/var/lib/platform-boot"


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
            self.say(log, "%s: failed after %d attempt(s); the boot stops here. Fix the cause, then: systemctl restart platform-boot" % (step["name"], attempts))
            return False

    def run(self):
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        with open(os.path.join(self.state, "lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            failed = os.path.join(self.state, "failed.json")
            if os.path.exists(failed):
                os.unlink(failed)
            for step in self.plan["steps"]:
                if os.path.exists(self.marker(step)):
                    print("platform-boot: %s: done earlier" % step["name"], flush=True)
                    continue
                if not self.run_step(step):
                    return 1
        print("platform-boot: all %d steps done" % len(self.plan["steps"]), flush=True)
        return 0

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
    parser.add_argument("command", choices=["run", "status"])
    parser.add_argument("--plan", default=PLAN)
    parser.add_argument("--state", default=STATE)
    parser.add_argument("--root", default="/")
    parser.add_argument("--backoff-scale", type=float, default=1.0)
    args = parser.parse_args()
    runner = Runner(args)
    sys.exit(runner.run() if args.command == "run" else runner.status())


if __name__ == "__main__":
    main()
