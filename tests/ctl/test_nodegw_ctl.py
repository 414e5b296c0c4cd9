#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of nodegw-ctl, the one-shot CLI client, and of the CLI's defences
against a full session table, against a real nodegw on net_null ports.

usage: test_nodegw_ctl.py NODEGW NODEGW-CTL

Starts nodegw as tests/ctl/test_nodegw_cli.py does (no root: --no-huge,
--no-pci, its own --file-prefix; same configuration) and checks that:

- nodegw-ctl prints exactly what the interactive CLI prints for the same
  command, minus prompts (line ends LF), exit status 0; a failing command's
  error goes to stderr with exit status 1; commands from stdin run in order;
- nodegw not running: a "Connection refused" message and exit status 3; a
  server that never answers: exit status 3 after -t seconds; bad options: 2;
- 128 connections held idle (the whole session table) do not keep nodegw-ctl
  out (issue 17, defect 3), and `show cli` counts the session closed for it;
- with cli.idle_timeout_s = 1 a silent session is told so and closed, and
  `show cli` shows the timeout;
- every nodegw exits 0 within 2 s of SIGTERM (6 s for a sanitizer build).

127.0.0.1 only; every wait is bounded; every nodegw is stopped at the end.
Prints "N passed, M failed"; exits 1 when anything failed.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_nodegw_cli as tc  # noqa: E402
from ngproc import Fail, check  # noqa: E402

MAX_SESSIONS = 128  # NG_CLI_MAX_SESS
TIMEOUT = 30.0


class Ctx:
    def __init__(self, exe, ctl, tmp, res):
        self.exe, self.ctl, self.tmp, self.res = exe, ctl, tmp, res
        self.a = None
        self.procs = []

    def run_ctl(self, args, stdin=None, timeout=TIMEOUT, server=None):
        """nodegw-ctl -s 127.0.0.1:PORT ARGS: (exit status, stdout, stderr) as text."""
        srv = server if server is not None else "127.0.0.1:%d" % self.a.port
        p = subprocess.run([self.ctl, "-s", srv] + args, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def line_mode(self, line):
        """The same command in an interactive line-mode session: its output, LF ends."""
        c = self.a.client()
        try:
            return tc.clean(c.raw(line), line)
        finally:
            c.close()


def recv_all(s):
    """Everything the peer sends until it closes (its timeout bounds each wait)."""
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            return data
        data += d


SAME = [
    ["show", "version"], ["show", "services"], ["show", "service", tc.WEB],
    ["show", "services", "json"], ["show", "routes"], ["show", "running-config"],
    ["help"], ["show", "?"], ["sh", "serv"], ["log", "level"],
    ["lookup", "tcp", "198.18.0.77:4321", "198.19.0.10:80"],
]


def t_same_output(x):
    for args in SAME:
        want = x.line_mode(" ".join(args))
        rc, out, err = x.run_ctl(args)
        check(rc == 0 and err == "", "%r: exit status 0, nothing on stderr" % args,
              (rc, err))
        check(out == want, "%r: nodegw-ctl prints what the CLI prints, minus the prompt"
              % args, (out, want))
        check(b"\r" not in out.encode() and "nodegw> " not in out, "%r: no CR, no prompt"
              % args, out)


def t_failure(x):
    want = x.line_mode("show nothing")
    check(want == '% unknown command "show nothing"; try "show ?"\n', "the CLI's error", want)
    rc, out, err = x.run_ctl(["show", "nothing"])
    check(rc == 1 and out == "" and err == want,
          "a failing command: exit status 1, its error on stderr, nothing on stdout",
          (rc, out, err))
    # a word with a blank goes as one argument, in quotes
    want = x.line_mode('show services "x y"')
    rc, out, err = x.run_ctl(["show", "services", "x y"])
    check(rc == 1 and err == want and '"x y"' in err, "an argument with a blank is one word",
          (rc, out, err, want))
    # a line too long is the CLI's error too
    rc, out, err = x.run_ctl(["echo", "z" * 5000])
    check(rc == 1 and err == "% line too long (max 4096)\n", "a line too long", (rc, err))


def t_stdin(x):
    v, s, bad = (x.line_mode("show version"), x.line_mode("show services"),
                 x.line_mode("show nothing"))
    rc, out, err = x.run_ctl([], stdin=b"show version\r\nshow services\n\nsh serv")
    check(rc == 0 and out == v + s + s and err == "",
          "stdin: every line in order (CR LF, LF, an empty line, no final line end)",
          (rc, out, err))
    rc, out, err = x.run_ctl([], stdin=b"show version\nshow nothing\nshow services\n")
    check(rc == 1 and out == v + s and err == bad,
          "stdin: a failing line is reported, the others still run, exit status 1",
          (rc, out, err))
    rc, out, err = x.run_ctl([], stdin=b"show version\nquit\nshow services\n")
    check(rc == 3 and out == v and "closed the connection" in err,
          "stdin: after quit the connection is closed: exit status 3", (rc, out, err))


def t_not_running(x):
    port = tc.ngproc.free_port()
    t0 = time.monotonic()
    rc, out, err = x.run_ctl(["show", "version"], server="127.0.0.1:%d" % port)
    check(rc == 3 and out == "" and
          err == "nodegw-ctl: cannot connect to 127.0.0.1:%d: Connection refused (is nodegw "
          "running, with its CLI on?)\n" % port, "nodegw not running: exit status 3 and why",
          (rc, out, err))
    check(time.monotonic() - t0 < 5, "refused at once")
    # a server that accepts and never answers: -t bounds the wait
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        t0 = time.monotonic()
        rc, out, err = x.run_ctl(["-t", "1", "show", "version"],
                                 server="127.0.0.1:%d" % s.getsockname()[1])
        took = time.monotonic() - t0
    finally:
        s.close()
    check(rc == 3 and "no answer within 1 s" in err and 0.9 < took < 5,
          "no answer: exit status 3 after -t 1", (rc, err, took))


def t_usage(x):
    for args, what in ((["-s", "a:b:c", "x"], "write an IPv6 address as [ADDRESS]:PORT"),
                       (["-s", "127.0.0.1:99999", "x"], "not a number in 1..65535"),
                       (["-t", "soon", "x"], "expected seconds"),
                       (["-q"], "usage: nodegw-ctl")):
        p = subprocess.run([x.ctl] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
        check(p.returncode == 2 and what in p.stderr.decode(), "%r: exit status 2" % args,
              (p.returncode, p.stderr))
    p = subprocess.run([x.ctl, "-h"], stdout=subprocess.PIPE, timeout=TIMEOUT)
    check(p.returncode == 0 and b"-s HOST:PORT" in p.stdout and b"Exit status" in p.stdout,
          "-h prints the usage", p.stdout)


def t_lockout(x):
    """Issue 17, defect 3: the session table full of idle connections."""
    held = []
    try:
        for _ in range(MAX_SESSIONS):
            held.append(socket.create_connection(("127.0.0.1", x.a.port), timeout=TIMEOUT))
        for s in held:  # each is a session once it got its greeting
            data = b""
            while tc.PROMPT not in data:
                d = s.recv(65536)
                check(d, "a held connection gets its greeting", data)
                data += d
        rc, out, err = x.run_ctl(["show", "version"])
        check(rc == 0 and out.startswith("nodegw "),
              "with %d idle sessions held, nodegw-ctl still gets a session" % MAX_SESSIONS,
              (rc, out, err))
        j = json.loads(x.run_ctl(["show", "cli", "json"])[1])
        check(j["closed_for_room"] >= 1 and j["refused"] == 0 and
              j["max_sessions"] == MAX_SESSIONS,
              "show cli counts the sessions closed for room, none refused", j)
        # the oldest held session was the one closed, and told why
        data = recv_all(held[0])
        check(data == b"\r\n% CLI full: closing this session, idle longest without typing "
              b"anything\r\n", "the session idle longest is told why it is closed", data)
    finally:
        for s in held:
            s.close()


def t_idle_timeout(x):
    def conf(port):
        return tc.conf_text(port).replace("port = %d; };" % port,
                                          "port = %d; idle_timeout_s = 1; };" % port)
    n = tc.Nodegw(x.exe, x.tmp, "idle").start(conf)
    x.procs.append(n)
    s = socket.create_connection(("127.0.0.1", n.port), timeout=TIMEOUT)
    try:
        t0 = time.monotonic()
        data = recv_all(s)
        took = time.monotonic() - t0
    finally:
        s.close()
    check(data.endswith(b"\r\n% idle for 1 s (cli.idle_timeout_s): closing the session\r\n")
          and 0.9 < took < 5, "a silent session is told and closed after 1 s", (data, took))
    rc, out, err = x.run_ctl(["show", "cli"], server="127.0.0.1:%d" % n.port)
    check(rc == 0 and "idle timeout 1 s;" in out and "timed out 1" in out,
          "show cli: the timeout and the session timed out", (rc, out, err))
    check("idle_timeout_s = 1;" in tc.ngproc.cli(n.port, "show running-config"),
          "show running-config keeps cli.idle_timeout_s")
    n.stop()


def stop_bound(exe):
    """Seconds a gateway with nothing to drain may take from SIGTERM to exit: it
    took 0.24 s on a 2-core VM at a load average of 21 (1 to 4 s before its
    DPDK tables were left to rte_eal_cleanup, lib/common/ng_exit.h); a sanitizer
    build gets more (LeakSanitizer's scan at exit)."""
    with open(exe, "rb") as f:
        asan = b"__asan_init" in f.read()
    return 6.0 if asan else 2.0


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    exe, ctl = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    res = tc.Results()
    tmp = tempfile.mkdtemp(prefix="nodegw-ctl2-")
    x = Ctx(exe, ctl, tmp, res)
    try:
        x.a = tc.start_nodegw(exe, tmp, "a", tc.conf_text, res)
        x.procs.append(x.a)
        for name, fn in (("same output as the interactive CLI", t_same_output),
                         ("a failing command", t_failure),
                         ("commands from stdin", t_stdin),
                         ("nodegw not running, or not answering", t_not_running),
                         ("usage errors", t_usage),
                         ("a full table of idle sessions", t_lockout),
                         ("cli.idle_timeout_s", t_idle_timeout)):
            res.run(name, fn, x)
        bound = stop_bound(exe)
        for n in x.procs:
            rc = n.stop()
            log = n.log()
            res.run("nodegw %s exits 0, no sanitizer report" % n.tag, lambda: check(
                rc == 0 and "AddressSanitizer" not in log and "runtime error:" not in log and
                "LeakSanitizer" not in log, "exit 0, clean log", (rc, log[-3000:])))
            res.run("nodegw %s stops within %.0f s of SIGTERM" % (n.tag, bound), lambda: check(
                n.stop_s is not None and n.stop_s <= bound, "a prompt stop",
                "%s s" % n.stop_s))
            if n.stop_s is not None:
                print("nodegw %s: stopped %.2f s after SIGTERM" % (n.tag, n.stop_s))
    except Fail as e:
        res.record_fail("setup", e)
    except Exception:
        res.record_fail("setup", traceback.format_exc())
    finally:
        for n in x.procs:
            try:
                n.stop()
            except Exception:
                pass
        shutil.rmtree(tmp, ignore_errors=True)
    return res.summary()


if __name__ == "__main__":
    sys.exit(main())
