#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A gateway built at every service limit through the CLI round-trips its
running-config (issue 17, defect 2: limits disagree).

usage: test_limits.py NODEGW [SRCDIR]

Starts nodegw A on two net_null ports (no root: --no-huge, --no-pci, its own
--file-prefix) and, through its CLI, builds services at every limit of
lib/common/ng_limits.h (read from SRCDIR, default the tree this file is in):

  - a service name of NG_SVC_NAME_MAX - 1 characters (every allowed character);
  - NG_MAX_SVC_VIPS VIPs and a node port on one service, on the highest port;
  - NG_MAX_SVC_BACKENDS backends on one service, weights 0..NG_WEIGHT_MAX;
  - per-service timeouts at NG_TIMEOUT_MIN and NG_TIMEOUT_MAX, affinity
    timeouts at NG_AFFINITY_TIMEOUT_MIN and _MAX, ports 1 and 65535;
  - NG_MAX_SVC_SRC_RANGES source ranges on one service;
  - NG_MAX_SERVICES services in all.

One step past each limit must be refused with an error naming the command.
(The totals of all services, NG_MAX_FRONTENDS and NG_MAX_BACKENDS, are tested
on the control API and the loader in tests/unit: here they would take some
800,000 CLI lines.)
Then `show running-config` of A must pass `nodegw --check`, start nodegw B,
and B's running-config and `show services json` must equal A's.

Everything runs on 127.0.0.1 in a temporary directory; the test addresses
(198.18.0.0/15) are never sent to. Every wait is bounded. Prints one line per
step and "N passed, M failed"; exits 1 when a step failed.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "lib"))
import ngproc  # noqa: E402
from ngproc import Fail, check  # noqa: E402

START_TIMEOUT = 120.0  # a gateway loading NG_MAX_SERVICES services (ASan: slower)
BATCH_TIMEOUT = 300.0
SVC_COUNTERS = ("conns", "pkts", "bytes", "refused", "source_range_drops")


def limits(srcdir):
    """The #defines of ng_limits.h that are plain integers."""
    with open(os.path.join(srcdir, "lib", "common", "ng_limits.h")) as f:
        return {m.group(1): int(m.group(2)) for m in
                re.finditer(r"^#define (NG_\w+) (\d+)\b", f.read(), re.M)}


def conf_text(port):
    return """# nodegw limits round-trip test, gateway A (tests/ctl/test_limits.py)
log_level = "notice";
workers = { idle_sleep_us = 100; };
cli = { address = "127.0.0.1"; port = %d; };
ports = (
	{ name = "client"; devargs = "net_null0,no-rx=1"; addresses = ["198.18.0.1/24"]; },
	{ name = "pods"; devargs = "net_null1,no-rx=1"; addresses = ["198.18.1.1/24"]; }
);
""" % port


def batch(port, lines, timeout=BATCH_TIMEOUT):
    """Send many CLI lines on one line-mode session (a thread writes while this
    one reads, so neither side's buffer can stall the other) and return the
    error lines ("% ...") of the output."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = ("\n".join(lines) + "\nquit\n").encode()
    sent = []

    def writer():
        try:
            s.sendall(data)
            sent.append(True)
        except OSError as e:
            sent.append(e)
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    out = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            d = s.recv(1 << 20)
            if not d:
                break
            out.append(d)
    finally:
        s.close()
        t.join(10)
    text = b"".join(out).decode(errors="replace").replace("\r\n", "\n")
    check(sent == [True], "the CLI read all %d lines" % len(lines), sent)
    check(text.count("nodegw> ") >= len(lines), "a prompt after each of %d lines "
          "(the session ended early or timed out)" % len(lines), text[-500:])
    return [l[l.index("% "):] for l in text.split("\n") if "% " in l]


class Limits:
    """The services at every limit, and the commands that build them."""

    def __init__(self, L):
        self.L = L
        chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/-"
        n = L["NG_SVC_NAME_MAX"] - 1
        self.long_name = (chars * (n // len(chars) + 1))[:n]
        self.vips_svc = "limits/vips"
        self.bes_svc = "limits/backends"
        self.n_many = L["NG_MAX_SERVICES"] - 3  # with the three above

    def vip(self, i):
        return "198.19.%d.%d" % (i // 256, i % 256)

    def backend(self, i):
        # One address, NG_MAX_SVC_BACKENDS ports: distinct (address, port) pairs.
        return "198.18.1.%d:%d" % (2 + i // 60000, 1 + i % 60000)

    def src_ranges(self, n):
        return ",".join("10.%d.%d.0/24" % (i // 256, i % 256) for i in range(n))

    def weight(self, i):
        return [0, 1, self.L["NG_WEIGHT_MAX"]][i % 3]

    def many(self, i):
        """Service i of the many small ones: one of two VIPs, a port of its own."""
        return "many/%05d" % i, "198.19.128.%d" % (i // 32768), 1 + i % 32768

    def build(self):
        L, tmax, tmin = self.L, self.L["NG_TIMEOUT_MAX"], self.L["NG_TIMEOUT_MIN"]
        cmds = [
            # The longest name, every option at a limit.
            "service add %s tcp scheduler wrr mode dnat affinity client-ip "
            "affinity-timeout %d tcp-syn-timeout %d tcp-established-timeout %d "
            "tcp-fin-timeout %d tcp-time-wait-timeout %d tcp-close-timeout %d "
            "source-ranges %s" %
            (self.long_name, L["NG_AFFINITY_TIMEOUT_MAX"], tmin, tmax, tmax, tmin, tmax,
             self.src_ranges(L["NG_MAX_SVC_SRC_RANGES"])),
            "service frontend add %s 198.19.255.1:1" % self.long_name,
            "backend add %s 198.18.1.2:65535 weight %d" % (self.long_name, L["NG_WEIGHT_MAX"]),
            # Every VIP a service can have, on the highest port, and a node port.
            "service add %s udp affinity client-ip affinity-timeout %d udp-timeout %d" %
            (self.vips_svc, L["NG_AFFINITY_TIMEOUT_MIN"], tmax),
            "service frontend add %s nodeport %d" % (self.vips_svc, L["NG_L4_PORT_MAX"]),
        ]
        cmds += ["service frontend add %s %s:%d" % (self.vips_svc, self.vip(i),
                                                    L["NG_L4_PORT_MAX"])
                 for i in range(L["NG_MAX_SVC_VIPS"])]
        cmds += ["service add %s tcp" % self.bes_svc,
                 "service frontend add %s nodeport %d" % (self.bes_svc, L["NG_L4_PORT_MIN"])]
        cmds += ["backend add %s %s weight %d" % (self.bes_svc, self.backend(i), self.weight(i))
                 for i in range(L["NG_MAX_SVC_BACKENDS"])]
        for i in range(self.n_many):
            name, vip, port = self.many(i)
            cmds += ["service add %s tcp" % name,
                     "service frontend add %s %s:%d" % (name, vip, port)]
        return cmds

    def past(self):
        """(command, words the refusal must name): one step past each limit."""
        L = self.L
        return [
            ("service add %sx tcp" % self.long_name, "service add"),
            ("service frontend add %s %s:%d" % (self.vips_svc, self.vip(L["NG_MAX_SVC_VIPS"]),
                                                L["NG_L4_PORT_MAX"]),
             "%d VIPs" % L["NG_MAX_SVC_VIPS"]),
            ("backend add %s %s" % (self.bes_svc, self.backend(L["NG_MAX_SVC_BACKENDS"])),
             "%d backends" % L["NG_MAX_SVC_BACKENDS"]),
            ("service add one/more tcp", "%d services" % L["NG_MAX_SERVICES"]),
            ("backend weight %s %s %d" % (self.bes_svc, self.backend(0), L["NG_WEIGHT_MAX"] + 1),
             "0..%d" % L["NG_WEIGHT_MAX"]),
            ("service set %s affinity-timeout %d" % (self.vips_svc,
                                                     L["NG_AFFINITY_TIMEOUT_MAX"] + 1),
             "%d..%d" % (L["NG_AFFINITY_TIMEOUT_MIN"], L["NG_AFFINITY_TIMEOUT_MAX"])),
            ("service set %s udp-timeout %d" % (self.vips_svc, L["NG_TIMEOUT_MAX"] + 1),
             "0..%d" % L["NG_TIMEOUT_MAX"]),
            ("service set %s tcp-syn-timeout 30" % self.vips_svc, "does not apply"),
            ("service set %s source-ranges %s" % (self.vips_svc,
                                                  self.src_ranges(L["NG_MAX_SVC_SRC_RANGES"] + 1)),
             "%d source ranges" % L["NG_MAX_SVC_SRC_RANGES"]),
            ("service frontend add %s 198.19.255.2:%d" % (self.long_name, L["NG_L4_PORT_MAX"] + 1),
             "port"),
        ]


def without_counters(services):
    out = {}
    for s in services:
        d = {k: v for k, v in s.items() if k not in SVC_COUNTERS}
        d["frontends"] = sorted(d["frontends"])
        d["backends"] = sorted((b["address"], b["port"], b["weight"]) for b in d["backends"])
        out[s["name"]] = d
    return out


def cli_line_free(text):
    """running-config without the CLI's port (A and B listen on different ones)."""
    return sorted(re.sub(r"(cli = \{ address = \"127.0.0.1\"; port = )\d+", r"\1X",
                         text).split("\n"))


class Run:
    def __init__(self, exe, srcdir, tmp):
        self.exe, self.tmp = exe, tmp
        self.lim = Limits(limits(srcdir))
        self.a = self.b = None
        self.rc_a = None
        self.passed, self.failed = 0, []

    def step(self, name, fn):
        t0 = time.monotonic()
        try:
            fn()
        except Fail as e:
            self.failed.append(name)
            print("FAIL %s: %s" % (name, e), flush=True)
            return
        except Exception:
            self.failed.append(name)
            print("FAIL %s: %s" % (name, traceback.format_exc()), flush=True)
            return
        self.passed += 1
        print("ok   %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)

    def gateway(self, tag, conf_fn):
        g = ngproc.Nodegw(self.exe, self.tmp, tag, stem="nodegw-limits", mem=1024,
                          error=Fail, quiet=True)
        return g.start(conf_fn, timeout=START_TIMEOUT)

    def build(self):
        cmds = self.lim.build()
        errors = batch(self.a.port, cmds + ["commit"])
        check(errors == [], "all %d commands at the limits accepted" % (len(cmds) + 1),
              errors[:20])

    def past_limits(self):
        bad = []
        for cmd, words in self.lim.past():
            out = ngproc.cli(self.a.port, cmd)
            err = [l for l in out.replace("\r\n", "\n").split("\n") if "% " in l]
            verb = " ".join(cmd.split()[:3 if cmd.startswith("service frontend") else 2])
            if len(err) != 1 or verb not in err[0] or words not in err[0]:
                bad.append("%r -> %r (want one error naming %r and %r)" %
                           (cmd, err, verb, words))
        check(not bad, "one step past each limit is refused:\n        " +
              "\n        ".join(bad))

    def shown(self):
        L, lim = self.lim.L, self.lim
        sv = {s["name"]: s for s in ngproc.cli_json(self.a.port, "show services")}
        check(len(sv) == L["NG_MAX_SERVICES"], "%d services" % L["NG_MAX_SERVICES"], len(sv))
        check(len(sv[lim.vips_svc]["frontends"]) == L["NG_MAX_SVC_VIPS"] + 1,
              "%s: every VIP and a node port" % lim.vips_svc, len(sv[lim.vips_svc]["frontends"]))
        check(len(sv[lim.bes_svc]["backends"]) == L["NG_MAX_SVC_BACKENDS"],
              "%s: every backend" % lim.bes_svc, len(sv[lim.bes_svc]["backends"]))
        d = ngproc.cli_json(self.a.port, "show service " + lim.long_name)
        check(d.get("timeouts") == {"tcp_syn": L["NG_TIMEOUT_MIN"],
                                    "tcp_established": L["NG_TIMEOUT_MAX"],
                                    "tcp_fin": L["NG_TIMEOUT_MAX"],
                                    "tcp_time_wait": L["NG_TIMEOUT_MIN"],
                                    "tcp_close": L["NG_TIMEOUT_MAX"]},
              "the long-named service has its own timeouts", d)
        check(d.get("source_ranges") == lim.src_ranges(L["NG_MAX_SVC_SRC_RANGES"]).split(","),
              "the long-named service has every source range", d.get("source_ranges"))

    def name_lookup(self):
        """show services NAME finds the service by its name (a lookup), so at
        NG_MAX_SERVICES services it costs about what show ruleset (which visits
        no service) costs; the scan of every service it was took ~10 ms more."""
        name = self.lim.many(self.lim.n_many - 1)[0]
        t_name, t_rs = [], []
        for _ in range(21):
            for cmd, acc in (("show services " + name, t_name), ("show ruleset", t_rs)):
                t0 = time.monotonic()
                out = ngproc.cli(self.a.port, cmd)
                acc.append(time.monotonic() - t0)
                check("% " not in out, cmd, out[-300:])
        rows = ngproc.cli_json(self.a.port, "show services " + name)
        check([r["name"] for r in rows] == [name], "show services NAME json: that service",
              rows[:3])
        med_name, med_rs = sorted(t_name)[10], sorted(t_rs)[10]
        check(med_name <= 2 * med_rs + 0.002, "show services NAME (median %.2f ms) within "
              "2x + 2 ms of show ruleset (median %.2f ms)" % (med_name * 1e3, med_rs * 1e3))

    def check_config(self):
        self.rc_a = ngproc.cli(self.a.port, "show running-config", timeout=120)
        text = self.rc_a.replace("\r\n", "\n")
        i, j = text.find("# nodegw "), text.rfind("\nnodegw> ")
        check(i >= 0 and j > i, "show running-config output", text[:300])
        self.rc_a = text[i:j + 1]
        path = os.path.join(self.tmp, "a-running.conf")
        with open(path, "w") as f:
            f.write(self.rc_a)
        chk = subprocess.run([self.exe, "--check", "-c", path], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=120)
        check(chk.returncode == 0, "nodegw --check accepts the running-config (exit 0)",
              chk.stdout.decode(errors="replace"))

    def second(self):
        def conf(port):
            return re.sub(r"(cli = \{ address = \"127.0.0.1\"; port = )\d+",
                          r"\g<1>%d" % port, self.rc_a)
        self.b = self.gateway("b", conf)
        rc_b = ngproc.cli(self.b.port, "show running-config", timeout=120)
        rc_b = rc_b.replace("\r\n", "\n")
        rc_b = rc_b[rc_b.find("# nodegw "):rc_b.rfind("\nnodegw> ") + 1]
        a, b = cli_line_free(self.rc_a), cli_line_free(rc_b)
        check(a == b, "B's running-config has A's lines",
              "\n".join(sorted(set(a) ^ set(b))[:20]))
        sa = without_counters(ngproc.cli_json(self.a.port, "show services", timeout=120))
        sb = without_counters(ngproc.cli_json(self.b.port, "show services", timeout=120))
        check(sa == sb, "show services json equal on A and B (counters aside)",
              [k for k in set(sa) | set(sb) if sa.get(k) != sb.get(k)][:10])

    def stop(self):
        for g in (self.a, self.b):
            if g is None or g.proc is None:
                continue
            rc = g.stop()
            log = g.log()
            self.step("nodegw %s exits 0, no sanitizer report" % g.tag, lambda: check(
                rc == 0 and "AddressSanitizer" not in log and "runtime error:" not in log,
                "exit status 0 and a clean log", (rc, log[-3000:])))


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    exe = os.path.abspath(sys.argv[1])
    srcdir = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.dirname(HERE))
    tmp = tempfile.mkdtemp(prefix="nodegw-limits-")
    r = Run(exe, srcdir, tmp)
    t0 = time.monotonic()
    try:
        r.a = r.gateway("a", conf_text)
        r.step("every limit through the CLI", r.build)
        r.step("one step past each limit refused", r.past_limits)
        r.step("show services at the limits", r.shown)
        r.step("show services NAME at the limits is a lookup", r.name_lookup)
        r.step("show running-config passes nodegw --check", r.check_config)
        if "show running-config passes nodegw --check" not in r.failed:
            r.step("a second gateway from it has the same config and services", r.second)
    except Fail as e:
        r.failed.append("setup")
        print("FAIL setup: %s" % e, flush=True)
    finally:
        r.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed (%.0f s)" % (r.passed, len(r.failed), time.monotonic() - t0))
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
