#!/usr/bin/env python3
"""Rule-churn driver for the nodegw churn e2e test: one CLI connection.

Standard library only. Run it where the CLI listens (inside the gateway's
network namespace):

  churn_driver.py --cli 127.0.0.1:8023 --backends 198.18.1.11:8080,...
      [--services 100] [--vip-prefix 198.19.1] [--port 80] [--duration 10]
      [--setup-done-file F --go-file G] [--churn-done-file D]
      [--reclaim-wait 0.2]

1. Creates --services TCP services churn0..N-1, VIP PREFIX.(i+1):PORT, each
   with every --backends endpoint (weight 1); commits.
2. Waits until nothing is pending (no uncommitted change, no ruleset waiting
   for a grace period), waits --reclaim-wait s, and measures "before":
   show memory json, show ruleset json, show services json.
3. Creates --setup-done-file and waits (at most --go-timeout s) for --go-file.
4. For --duration s applies changes, always in whole cycles that end where
   they started, to one service after the other:
      backend del S B1; backend add S B1; backend weight S B2 5;
      backend weight S B2 1; service del S; service add S tcp;
      service frontend add S VIP:PORT; backend add S B  (for every backend)
   Commands are pipelined (--batch cycles per write); every reply is read and
   any "% " error line is recorded. Creates --churn-done-file, then
   show ruleset json (latency figures of the churn).
5. commit, waits as in 2, measures "after" and checks that the services are
   exactly those of "before" (names, frontends, backends and weights).
6. show version.

Prints one JSON object on stdout; progress on stderr. Exit status 0 when it
could run all of that (the test judges the figures), 1 otherwise.
"""

import argparse
import json
import os
import socket
import sys
import time

PROMPT = b"nodegw> "
IAC = 0xFF


class CliError(Exception):
    pass


class Cli:
    def __init__(self, host, port, timeout=10.0):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s.settimeout(timeout)
        self.buf = b""
        self.negotiation = b""
        # The server's telnet negotiation (IAC x y, three times) comes first,
        # then the banner and the first prompt.
        self._fill()
        while self.buf[:1] == bytes([IAC]):
            while len(self.buf) < 3:
                self._fill()
            self.negotiation += self.buf[:3]
            self.buf = self.buf[3:]
            if not self.buf:
                self._fill()
        self.banner = self.read_replies(1)[0]

    def _fill(self):
        data = self.s.recv(65536)
        if not data:
            raise CliError("CLI closed the connection")
        self.buf += data

    def read_replies(self, n):
        """The output of the next n commands (each ends at a prompt)."""
        out = []
        while len(out) < n:
            i = self.buf.find(PROMPT)
            if i < 0:
                self._fill()
                continue
            out.append(self.buf[:i].replace(b"\r", b"").decode(errors="replace"))
            self.buf = self.buf[i + len(PROMPT):]
        return out

    def send(self, lines):
        self.s.sendall("".join(l + "\n" for l in lines).encode())

    def run(self, lines):
        self.send(lines)
        return self.read_replies(len(lines))

    def one(self, line):
        return self.run([line])[0]

    def json(self, line):
        out = self.one(line)
        try:
            return json.loads(out)
        except ValueError:
            raise CliError("%s: not JSON: %r" % (line, out[:300]))

    def close(self):
        try:
            self.s.sendall(b"quit\n")
        except OSError:
            pass
        self.s.close()


def errors_in(replies, cmds, sink, limit=20):
    n = 0
    for cmd, r in zip(cmds, replies):
        for line in r.splitlines():
            if line.startswith("%"):
                n += 1
                if len(sink) < limit:
                    sink.append("%s -> %s" % (cmd, line))
    return n


def settle(cli, timeout=5.0):
    """Commit, then wait until nothing is dirty or waiting for a grace period."""
    t0 = time.monotonic()
    r = cli.one("commit")
    if "%" in r:
        raise CliError("commit: %s" % r.strip())
    while True:
        rs = cli.json("show ruleset json")
        if not rs.get("dirty") and rs.get("pending_free") == 0:
            return rs, time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise CliError("ruleset still dirty or waiting for reclaim after %.1f s: %s"
                           % (timeout, json.dumps(rs)))
        time.sleep(0.01)


def service_set(svcs):
    """What must be equal before and after: configuration, not counters."""
    out = {}
    for s in svcs:
        out[s["name"]] = {
            "protocol": s.get("protocol"), "scheduler": s.get("scheduler"),
            "mode": s.get("mode"), "affinity": s.get("affinity"),
            "frontends": sorted(s.get("frontends", [])),
            "backends": sorted((b["address"], b["port"], b["weight"])
                               for b in s.get("backends", [])),
        }
    return out


def measure(cli, wait):
    rs, settle_s = settle(cli)
    time.sleep(wait)
    rs2 = cli.json("show ruleset json")
    mem = cli.json("show memory json")
    svcs = cli.json("show services json")
    if rs2.get("dirty") or rs2.get("pending_free") != 0 or rs2["generation"] != rs["generation"]:
        raise CliError("the ruleset changed while measuring: %s then %s"
                       % (json.dumps(rs), json.dumps(rs2)))
    return {"ruleset": rs2, "memory": mem, "services": service_set(svcs),
            "settle_s": round(settle_s, 4)}


def log(msg):
    sys.stderr.write("[churn] %s\n" % msg)
    sys.stderr.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", default="127.0.0.1:8023")
    ap.add_argument("--backends", required=True, help="ADDR:PORT,ADDR:PORT,...")
    ap.add_argument("--services", type=int, default=100)
    ap.add_argument("--vip-prefix", default="198.19.1")
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=10, help="cycles per write")
    ap.add_argument("--setup-done-file")
    ap.add_argument("--go-file")
    ap.add_argument("--go-timeout", type=float, default=20.0)
    ap.add_argument("--churn-done-file")
    ap.add_argument("--reclaim-wait", type=float, default=0.2)
    a = ap.parse_args()

    if not 1 <= a.services <= 254 or not 0 < a.duration <= 60 or a.batch < 1:
        log("--services must be 1..254, --duration in (0, 60], --batch >= 1")
        return 2
    backends = a.backends.split(",")
    if len(backends) < 2:
        log("need at least two backends")
        return 2
    host, _, port = a.cli.rpartition(":")
    names = ["churn%d" % i for i in range(a.services)]
    vips = ["%s.%d:%d" % (a.vip_prefix, i + 1, a.port) for i in range(a.services)]
    res = {"errors": [], "error_count": 0}
    cli = None
    try:
        cli = Cli(host, int(port))
        res["negotiation"] = cli.negotiation.hex()

        # 1. the services to churn
        cmds = []
        for n, v in zip(names, vips):
            cmds += ["service add %s tcp" % n, "service frontend add %s %s" % (n, v)]
            cmds += ["backend add %s %s" % (n, b) for b in backends]
        t0 = time.monotonic()
        replies = []
        for i in range(0, len(cmds), 100):
            replies += cli.run(cmds[i:i + 100])
        res["setup_errors"] = errors_in(replies, cmds, res["errors"])
        res["setup_commands"] = len(cmds)
        res["setup_s"] = round(time.monotonic() - t0, 4)

        # 2. before
        res["before"] = measure(cli, a.reclaim_wait)
        log("setup: %d commands in %.3f s, %d errors; ruleset %d bytes, heap %d bytes" % (
            len(cmds), res["setup_s"], res["setup_errors"], res["before"]["ruleset"]["bytes"],
            res["before"]["memory"]["heap_allocated"]))

        # 3. wait for the flows
        if a.setup_done_file:
            with open(a.setup_done_file, "w") as f:
                f.write("%.6f\n" % time.monotonic())
        if a.go_file:
            t0 = time.monotonic()
            while not os.path.exists(a.go_file):
                if time.monotonic() - t0 > a.go_timeout:
                    raise CliError("no go file %s after %.0f s" % (a.go_file, a.go_timeout))
                time.sleep(0.01)

        # 4. churn
        b1, b2 = backends[0], backends[1]
        rs0 = cli.json("show ruleset json")
        changes = 0
        cycles = 0
        per_kind = {}
        churn_errors = 0
        start = time.monotonic()
        end_by = start + a.duration
        k = 0
        while time.monotonic() < end_by:
            cmds = []
            for _ in range(a.batch):
                n, v = names[k % a.services], vips[k % a.services]
                k += 1
                cyc = [
                    ("backend del", "backend del %s %s" % (n, b1)),
                    ("backend add", "backend add %s %s" % (n, b1)),
                    ("backend weight", "backend weight %s %s 5" % (n, b2)),
                    ("backend weight", "backend weight %s %s 1" % (n, b2)),
                    ("service del", "service del %s" % n),
                    ("service add", "service add %s tcp" % n),
                    ("frontend add", "service frontend add %s %s" % (n, v)),
                ] + [("backend add", "backend add %s %s" % (n, b)) for b in backends]
                for kind, c in cyc:
                    per_kind[kind] = per_kind.get(kind, 0) + 1
                cmds += [c for _, c in cyc]
                cycles += 1
            replies = cli.run(cmds)
            churn_errors += errors_in(replies, cmds, res["errors"])
            changes += len(cmds)
        end = time.monotonic()
        if a.churn_done_file:
            with open(a.churn_done_file, "w") as f:
                f.write("%.6f\n" % end)
        rs1 = cli.json("show ruleset json")
        elapsed = end - start
        res["churn"] = {
            "start": start, "end": end, "seconds": round(elapsed, 4),
            "changes": changes, "cycles": cycles, "per_kind": per_kind,
            "changes_per_s": round(changes / elapsed, 1), "errors": churn_errors,
            "commits": rs1["commits"] - rs0["commits"],
            "generations": rs1["generation"] - rs0["generation"],
            "latency_samples": rs1["latency_samples"],
            "latency_p50_us": rs1["latency_p50_us"],
            "latency_p99_us": rs1["latency_p99_us"],
            "latency_max_us": rs1["latency_max_us"],
            "build_us_last": rs1["build_us"], "grace_us_last": rs1["grace_us"],
        }
        log("churn: %d changes in %.3f s = %.0f/s, %d commits, %d errors; latency p50 %.1f us "
            "p99 %.1f us" % (changes, elapsed, changes / elapsed, res["churn"]["commits"],
                             churn_errors, rs1["latency_p50_us"], rs1["latency_p99_us"]))

        # 5. after
        res["after"] = measure(cli, a.reclaim_wait)
        res["same_services"] = res["after"]["services"] == res["before"]["services"]
        if not res["same_services"]:
            bs, as_ = res["before"]["services"], res["after"]["services"]
            diff = sorted(set(bs) ^ set(as_)) + sorted(
                n for n in set(bs) & set(as_) if bs[n] != as_[n])
            res["services_differ"] = diff[:20]
        res["error_count"] = res["setup_errors"] + churn_errors

        # 6. still answering
        res["version"] = cli.one("show version").strip()
        cli.close()
    except (OSError, CliError, ValueError, KeyError) as e:
        res["fatal"] = "%s: %s" % (type(e).__name__, e)
        log("fatal: %s" % res["fatal"])
        print(json.dumps(res, sort_keys=True, default=str))
        return 1
    # Services are compared, then dropped from the output (large).
    for k in ("before", "after"):
        res[k]["n_services"] = len(res[k].pop("services"))
    print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
