#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A reload nothing can crash: nodegw on net_null (no root), its config broken
in the ways that used to end or grow the process.

usage: test_reload_safety.py NODEGW [REFUSED_RELOADS]

Starts one nodegw as tests/ctl/test_nodegw_cli.py does (its configuration,
its CLI client) and checks, each time against a snapshot of the running state
(services, static routes, static neighbours, running-config):

- `reload` on the CLI of a file that @includes a directory (libconfig 1.5's
  scanner called exit() on it): refused with FILE:LINE of the @include, the
  process alive, the state unchanged;
- the same by SIGHUP: the refusal logged with FILE:LINE, the process alive;
- an @include of a FIFO: refused at once, not blocked;
- `nodegw --check` on that file: FILE:LINE on stderr, exit status 1;
- RSS over REFUSED_RELOADS (default $NG_RELOAD_RSS_N, else 1,000) reloads of
  a file whose syntax error made libconfig leak the 16 KB string before it:
  the resident size may not grow by more than RSS_BOUND_KB after a warm-up;
- a good reload still works afterwards, SIGTERM ends it with status 0, and
  no sanitizer report is logged.

Prints "N passed, M failed" and the RSS figures; exits 1 when anything failed
(NODEGW_KEEP_TMP=1 keeps the temporary directory then).
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_nodegw_cli as base  # noqa: E402
import ngproc  # noqa: E402  (scripts/lib, on the path test_nodegw_cli set)
from ngproc import Fail, check  # noqa: E402

RSS_BOUND_KB = 1024  # growth allowed over the measured reloads, whatever their number
WARMUP = 50
BATCH = 25
LEAKY_STRING_KB = 16


def snapshot(c):
    """What a refused reload must leave exactly as it was."""
    return {
        "services": base.config_view(c.json("show services json")),
        "routes": base.static_routes(c.json("show routes json")),
        "neighbours": base.static_neighbours(c.json("show neighbours json")),
        "running-config": c.ok("show running-config"),
    }


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Fail("no VmRSS in /proc/%d/status" % pid)


def alive(n):
    check(n.proc is not None and n.proc.poll() is None,
          "nodegw is still running", n.log()[-2000:])


class T:
    def __init__(self, exe, tmp, n_reloads):
        self.exe, self.tmp, self.n_reloads = exe, tmp, n_reloads
        self.n = None
        self.c = None
        self.good = None
        self.before = None

    def write(self, text):
        with open(self.n.conf_path, "w") as f:
            f.write(text)

    def broken_with_include(self, target):
        """The good file with an @include of target at its end; returns the
        line of the @include."""
        text = self.good + "# refused: an @include of %s\n@include \"%s\"\n" % (
            os.path.basename(target), target)
        self.write(text)
        return text.count("\n")

    def t_cli_dir(self):
        d = os.path.join(self.tmp, "inc.d")
        os.mkdir(d)
        line = self.broken_with_include(d)
        out = self.c.cmd("reload")
        want = ("%% reload refused, running state kept: %s:%d: @include \"%s\" is a "
                "directory; include files one by one\n" % (self.n.conf_path, line, d))
        check(out == want, "reload of a directory @include: refused with FILE:LINE", out)
        alive(self.n)
        check(snapshot(self.c) == self.before, "state unchanged after the refused reload")

    def t_sighup_dir(self):
        d = os.path.join(self.tmp, "inc.d")
        line = self.broken_with_include(d)
        want = "reload refused, running state kept: %s:%d: @include \"%s\" is a directory" % (
            self.n.conf_path, line, d)
        seen = self.n.log().count(want)
        os.kill(self.n.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 15
        while self.n.log().count(want) == seen:
            check(time.monotonic() < deadline and self.n.proc.poll() is None,
                  "SIGHUP: the refusal is logged with FILE:LINE", self.n.log()[-2000:])
            time.sleep(0.05)
        alive(self.n)
        check(snapshot(self.c) == self.before, "state unchanged after SIGHUP")

    def t_fifo(self):
        fifo = os.path.join(self.tmp, "inc.fifo")
        os.mkfifo(fifo)
        line = self.broken_with_include(fifo)
        t0 = time.monotonic()
        out = self.c.cmd("reload")
        dt = time.monotonic() - t0
        want = ("%% reload refused, running state kept: %s:%d: @include \"%s\" is not a "
                "regular file\n" % (self.n.conf_path, line, fifo))
        check(out == want, "reload of a FIFO @include: refused with FILE:LINE", out)
        check(dt < 5, "refused at once, not blocked on the FIFO (%.1f s)" % dt)
        alive(self.n)
        check(snapshot(self.c) == self.before, "state unchanged")

    def t_check(self):
        d = os.path.join(self.tmp, "inc.d")
        line = self.broken_with_include(d)
        p = subprocess.run([self.exe, "--check", "-c", self.n.conf_path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        want = "%s:%d: @include \"%s\" is a directory; include files one by one\n" % (
            self.n.conf_path, line, d)
        check(p.returncode == 1 and p.stderr.decode() == want and p.stdout == b"",
              "--check: FILE:LINE on stderr, exit status 1",
              (p.returncode, p.stdout, p.stderr))

    def reloads(self, n):
        """n refused reloads over the one session, BATCH lines at a time."""
        done = 0
        while done < n:
            k = min(BATCH, n - done)
            self.c.send(b"reload\n" * k)
            for _ in range(k):
                out = base.clean(self.c.recv_until(base.PROMPT, timeout=60), "reload")
                check(out.startswith("%% reload refused, running state kept: %s:" %
                                     self.n.conf_path) and "syntax error" in out,
                      "each reload of the broken file is refused", out)
            done += k

    def t_rss(self):
        # A missing '=' before a long string: libconfig 1.5 leaked the string.
        self.write(self.good + "note \"%s\";\n" % ("x" * (LEAKY_STRING_KB * 1024)))
        self.reloads(WARMUP)
        pid = self.n.proc.pid
        r0 = rss_kb(pid)
        t0 = time.monotonic()
        self.reloads(self.n_reloads)
        dt = time.monotonic() - t0
        r1 = rss_kb(pid)
        print("     RSS %d kB before, %d kB after %d refused reloads (%+d kB; bound %d kB); "
              "%.1f ms per reload" % (r0, r1, self.n_reloads, r1 - r0, RSS_BOUND_KB,
                                      dt * 1000 / self.n_reloads), flush=True)
        alive(self.n)
        check(r1 - r0 <= RSS_BOUND_KB, "RSS flat over %d refused reloads: growth %d kB <= %d kB"
              % (self.n_reloads, r1 - r0, RSS_BOUND_KB))
        check(snapshot(self.c) == self.before, "state unchanged after the refused reloads")

    def t_good_reload(self):
        self.write(self.good)
        out = self.c.cmd("reload")
        check(out == "reloaded %s\n" % self.n.conf_path, "a good file reloads afterwards", out)
        check(snapshot(self.c) == self.before, "the same state as before (same file)")


def setup(t):
    t.n = base.Nodegw(t.exe, t.tmp, "r").start(base.conf_text)
    t.good = base.conf_text(t.n.conf_port)
    t.c = t.n.client()
    t.before = snapshot(t.c)


def cases(t, res):
    for name, fn in [
            ("reload (CLI) of a directory @include: refused, FILE:LINE, alive", t.t_cli_dir),
            ("reload (SIGHUP) of a directory @include: refused, logged, alive", t.t_sighup_dir),
            ("reload of a FIFO @include: refused at once", t.t_fifo),
            ("--check of a directory @include: FILE:LINE, exit 1", t.t_check),
            ("RSS over %d refused reloads" % t.n_reloads, t.t_rss),
            ("a good reload afterwards", t.t_good_reload)]:
        if res.run(name, fn):
            continue
        if t.n.proc is None or t.n.proc.poll() is not None:
            return  # the gateway is gone: nothing more to test
        t.c.close()  # a failed case may leave a reply unread
        t.c = t.n.client()
    t.c.close()
    t.c = None
    rc = t.n.stop()
    log = t.n.log()
    res.run("nodegw exits 0 on SIGTERM", lambda: check(
        rc == 0 and "nodegw: stopped" in log, "exit status 0, 'stopped'", (rc, log[-1500:])))
    res.run("no sanitizer report", lambda: check(
        "AddressSanitizer" not in log and "runtime error:" not in log and
        "LeakSanitizer" not in log, "no sanitizer report in the log", log[-4000:]))


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    exe = os.path.abspath(sys.argv[1])
    n_reloads = int(sys.argv[2]) if len(sys.argv) == 3 else int(
        os.environ.get("NG_RELOAD_RSS_N", "1000"))
    res = ngproc.Results()
    t = T(exe, tempfile.mkdtemp(prefix="nodegw-reload-"), n_reloads)
    try:
        if res.run("setup: nodegw on net_null, its state", setup, t):
            cases(t, res)
    finally:
        if t.c is not None:
            t.c.close()
        if t.n is not None:
            t.n.stop()
    return res.finish(t.tmp)


if __name__ == "__main__":
    sys.exit(main())
