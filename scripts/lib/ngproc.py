# SPDX-License-Identifier: BSD-3-Clause
"""A nodegw process and its CLI, for the tests and benchmarks (stdlib only).

Used by tests/ctl/test_nodegw_cli.py, tests/k8s/test_k8s_watch.py,
tests/k8s/test_k8s_e2e.py and scripts/lib/bench_k8s.py:

  free_port()          a TCP port free on 127.0.0.1 now (it may be taken later:
                       Nodegw.start tries again on a clash)
  Nodegw(exe, tmp, tag, stem="nodegw", mem=512, error=RuntimeError, quiet=False,
         huge=False)
                       one nodegw without root (--no-huge -m MEM, --no-pci,
                       --no-shconf, --file-prefix STEM-PID-TAG), or with
                       huge=True on hugepages (--in-memory, root);
                       TMP/TAG.conf and TMP/TAG.log
    .start(conf_fn, env=None, lcores="0@0,1@1", timeout=60, port=None)
                       conf_fn(cli_port) -> config text; waits for "MAIN: ready"
    .log()             the log so far, as text
    .stop()            SIGTERM, SIGKILL after 10 s; the exit status
  cli(port, cmd)       one CLI command as a line-mode client: its output
  cli_json(port, cmd)  the same with " json" appended, decoded
  Fail                 a failed check (the tests' own exception)
  check(cond, what, got=None)
                       raise Fail(what) unless cond, with got (shortened to
                       its first and last 1,250 characters) appended
  Results()            named checks run one by one: .run(name, fn, *args),
                       .summary() -> exit status, .finish(tmp) the same after
                       removing tmp (kept where NODEGW_KEEP_TMP=1 and a check failed)
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import traceback


class Fail(Exception):
    pass


def check(cond, what, got=None):
    if cond:
        return
    if got is None:
        raise Fail(what)
    g = got if isinstance(got, str) else repr(got)
    if len(g) > 2500:
        g = g[:1250] + " ... " + g[-1250:]
    raise Fail("%s\n        got: %s" % (what, g))


def free_port():
    """A TCP port that is free on 127.0.0.1 at the time of the call."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Nodegw:
    """One nodegw process: TMP/TAG.conf, TMP/TAG.log and its CLI port.

    Attributes: proc (the Popen while it runs), port (the CLI port), conf_port
    (the port written into the config), rc (the exit status once stopped),
    t_start (time.monotonic() at the start), prefix (the --file-prefix).
    A failed start raises `error` (a test passes its own failure class).
    """

    def __init__(self, exe, tmp, tag, stem="nodegw", mem=512, error=RuntimeError, quiet=False,
                 huge=False):
        self.exe, self.tmp, self.tag = exe, tmp, tag
        self.mem, self.error, self.quiet, self.huge = mem, error, quiet, huge
        self.conf_path = os.path.join(tmp, tag + ".conf")
        self.log_path = os.path.join(tmp, tag + ".log")
        self.prefix = "%s-%d-%s" % (stem, os.getpid(), tag)
        self.proc = self.logf = self.rc = self.port = self.conf_port = self.stop_s = None
        self.t_start = None

    def start(self, conf_fn, env=None, lcores="0@0,1@1", timeout=60.0, port=None, tries=5):
        """Write conf_fn(cli_port) to TAG.conf, start nodegw on it and wait for
        "MAIN: ready" in its log. cli_port is `port` where given, else a free
        one; where nodegw exits during start-up because that port was taken
        meanwhile ("... port N for the CLI: ..."), it starts again on another,
        up to `tries` times. A nodegw that exits or is not ready within
        `timeout` s is stopped and `error` raised. Returns self."""
        for attempt in range(tries):
            self.conf_port = self.port = free_port() if port is None else port
            text = conf_fn(self.port)
            with open(self.conf_path, "w") as f:
                f.write(text)
            self.logf = open(self.log_path, "wb")
            self.t_start = time.monotonic()
            self.proc = subprocess.Popen(
                [self.exe] + self.eal_memory() + ["--no-pci",
                 "--file-prefix", self.prefix, "--lcores", lcores, "--", "-c", self.conf_path],
                stdin=subprocess.DEVNULL, stdout=self.logf, stderr=subprocess.STDOUT,
                start_new_session=True, env=env)
            try:
                if self.wait_ready(timeout):
                    return self
            except BaseException:
                self.stop()
                raise
            self.stop()
            if (port is None and attempt + 1 < tries and
                    "port %d for the CLI" % self.conf_port in self.log()):
                continue  # taken since free_port(): another one
            raise self.error("%s: nodegw exited with %s during start-up:\n%s" %
                             (self.tag, self.rc, self.log()[-3000:]))

    def eal_memory(self):
        """EAL memory options: hugepages as deployed (--in-memory: no files
        left behind; no -m, so the DPDK heap grows as nodegw asks and
        hugepages it never uses stay free), else -m MEM of ordinary memory."""
        if self.huge:
            return ["--in-memory"]
        return ["--no-huge", "-m", str(self.mem), "--no-shconf"]

    def wait_ready(self, timeout):
        """True once "MAIN: ready" is logged (after ready()), False where
        nodegw exits first; raises `error` after timeout s."""
        deadline = self.t_start + timeout
        while True:
            log = self.log()
            if "MAIN: ready" in log:
                self.ready(log)
                if not self.quiet:
                    print("     nodegw %s ready in %.2f s (CLI port %s)" %
                          (self.tag, time.monotonic() - self.t_start, self.port), flush=True)
                return True
            if self.proc.poll() is not None:
                return False
            if time.monotonic() > deadline:
                raise self.error("%s: nodegw not ready within %.0f s:\n%s" %
                                 (self.tag, timeout, log[-3000:]))
            time.sleep(0.05)

    def ready(self, log):
        """Hook: called with the log once "MAIN: ready" is in it."""

    def log(self):
        """The log so far ("" before the start)."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        """SIGTERM, then SIGKILL (to its session) after 10 s; removes the EAL
        runtime directory. Returns the exit status (again on a second call);
        stop_s is how long it took from SIGTERM to exit (None when nodegw had
        already exited)."""
        if self.proc is None:
            return self.rc
        if self.proc.poll() is None:
            t0 = time.monotonic()
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
                self.stop_s = time.monotonic() - t0
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self.rc = self.proc.returncode
        self.proc = None
        self.logf.close()
        self.remove_runtime_dir()
        return self.rc

    def remove_runtime_dir(self):
        """EAL makes a runtime directory named after --file-prefix even with
        --no-shconf; remove ours (only ours) once the process is gone."""
        bases = ["/var/run/dpdk", "/tmp/dpdk"]
        if os.environ.get("XDG_RUNTIME_DIR"):
            bases.append(os.path.join(os.environ["XDG_RUNTIME_DIR"], "dpdk"))
        for b in bases:
            d = os.path.join(b, self.prefix)
            if os.path.isdir(d):
                shutil.rmtree(d, ignore_errors=True)


def wait(fn, what, timeout=10.0, interval=0.1):
    """Poll fn() until it returns something true; return that. Fail(what)
    after timeout seconds, with fn()'s last answer."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise Fail("%s (within %.1f s)\n        got: %s" % (what, timeout, repr(v)[-2500:]))
        time.sleep(interval)


def cli(port, cmd, timeout=30.0):
    """Send CMD and quit to the CLI on 127.0.0.1:PORT as a line-mode client;
    return all it wrote until it closed (banner and prompts included)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall((cmd + "\nquit\n").encode())
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            d = s.recv(1 << 20)
            if not d:
                break
            out += d
    finally:
        s.close()
    return out.decode(errors="replace")


def cli_json(port, cmd, timeout=30.0):
    """cli(port, CMD + " json"), its JSON object or array decoded; ValueError
    where the reply holds none."""
    text = cli(port, cmd + " json", timeout)
    a, b = text.find("{"), text.rfind("}")
    if 0 <= text.find("[") < a or a < 0:
        a, b = text.find("["), text.rfind("]")
    if a < 0 or b < a:
        raise ValueError("%s json: no JSON in %r" % (cmd, text[:300]))
    return json.loads(text[a:b + 1])


class Results:
    """Runs named checks: `run(name, fn, *args)` prints "ok NAME (T s)" or
    "FAIL NAME: why" (a Fail's message, or the traceback of anything else)
    and counts; `summary()` prints "N passed, M failed" and returns the exit
    status (0, or 1 when something failed)."""

    def __init__(self):
        self.passed, self.failed = 0, []
        self.t0 = time.monotonic()

    def run(self, name, fn, *args):
        t0 = time.monotonic()
        try:
            fn(*args)
        except Fail as e:
            self.failed.append(name)
            print("FAIL %s: %s" % (name, e), flush=True)
            return False
        except Exception:
            self.failed.append(name)
            print("FAIL %s: exception:\n%s" % (name, traceback.format_exc()), flush=True)
            return False
        self.passed += 1
        print("ok   %s (%.2f s)" % (name, time.monotonic() - t0), flush=True)
        return True

    def summary(self):
        print("%d passed, %d failed (%.1f s)%s" % (
            self.passed, len(self.failed), time.monotonic() - self.t0,
            ": " + ", ".join(self.failed) if self.failed else ""), flush=True)
        return 1 if self.failed else 0

    def finish(self, tmp):
        """Remove the directory tmp (keep it, and say so, when a check failed
        and NODEGW_KEEP_TMP is set); then summary()."""
        if self.failed and os.environ.get("NODEGW_KEEP_TMP"):
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        return self.summary()
