#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fault test: 100 reloads a second for 10 s under traffic.

usage: test_fault_reload.py NODEGW

The topology of tests/e2e/fault_topo.py. The config file alternates between
two versions that differ only in services nobody sends to: in A, "flip"
(198.19.0.40 tcp/80) goes to b1 and b2, "flip-udp" (198.19.0.41 udp/53) to
b1; in B, flip goes to b2 and b3, flip-udp to b3, and "extra" (198.19.0.42
tcp/80) exists. The untouched services (steady, steady-udp, dnat) are the same
in both. A CLI session in batch mode writes the next version (rename into
place) and runs `reload`, RATE times a second for SECONDS s, on a fixed
schedule, while a UDP stream (a datagram every 5 ms from one source port) to
steady-udp and a TCP request/response connection to steady run. Checks:

  reloads    every reload accepted ("reloaded ..."), RATE x SECONDS of them,
             sent within SECONDS + 0.1 s (the schedule is fixed; a loaded
             machine makes the last ones late by a few slots)
  udp        every datagram of the untouched flow echoed, by one backend
  tcp        every request of the untouched connection answered, no error,
             one backend
  applied    after the last reload, show services has the version last
             written (flip's backends, extra present or not)
  memory     DPDK heap and ruleset bytes back within one ruleset of where
             they were before the reloads, mbufs in use back within a burst
             per worker; nodegw alive

Figures: reloads per second, reload time (p50, p99, max, as the CLI client
measured it), datagrams and requests of the untouched flows.

Needs root (exits 77 otherwise). Every wait is bounded; the topology and every
process are removed at the end, failure included.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_topo as ft  # noqa: E402
from fault_topo import BIP, check  # noqa: E402

RATE = 100
SECONDS = 10
FLIP, FLIP_UDP, EXTRA = "198.19.0.40", "198.19.0.41", "198.19.0.42"


def svc(name, proto, vip, port, backends, bport):
    return """,
	{{ name = "{n}"; protocol = "{p}"; port = {port}; vips = ["{v}"];
		backends = ({b}); }}""".format(n=name, p=proto, port=port, v=vip, b=", ".join(
        '{ address = "%s"; port = %d; }' % (BIP[b], bport) for b in backends))


class Inner(ft.FaultInner):
    checks = ("reloads",)
    timeout = 300
    version = "A"

    def services_extra(self):
        if self.version == "A":
            return (svc("flip", "tcp", FLIP, 80, ["b1", "b2"], ft.TCP_PORT) +
                    svc("flip-udp", "udp", FLIP_UDP, 53, ["b1"], ft.UDP_PORT))
        return (svc("flip", "tcp", FLIP, 80, ["b2", "b3"], ft.TCP_PORT) +
                svc("flip-udp", "udp", FLIP_UDP, 53, ["b3"], ft.UDP_PORT) +
                svc("extra", "tcp", EXTRA, 80, ["b1"], ft.TCP_PORT))

    def write_version(self, v):
        self.version = v
        tmp = self.gw.conf_path + ".new"
        with open(tmp, "w") as f:
            f.write(self.conf_text(self.gw.conf_port))
        os.replace(tmp, self.gw.conf_path)

    def settled_memory(self):
        """show memory once nothing waits for a commit or a grace period."""
        ft.wait_for(lambda: (lambda r: not r["dirty"] and r["pending_free"] == 0)(
            self.cli_json("show ruleset")), "ruleset settled", 10)
        return self.memory(), self.cli_json("show ruleset")

    def t_reloads(self):
        cli = ft.BatchCli()
        self.write_version("A")
        ok, out = cli.run("reload")
        check(ok and "reloaded" in out, "a first reload", out)
        mem0, rs0 = self.settled_memory()
        stop, ready = os.path.join(self.tmp, "stop"), os.path.join(self.tmp, "ready")
        s = self.client("stream", "stream", "--udp", "%s:53" % ft.VIP_UDP, "--sport", 40053,
                        "--tcp", "%s:80" % ft.VIP_TCP, "--interval", 0.005,
                        "--tcp-interval", 0.01, "--duration", SECONDS + 30,
                        "--stop-file", stop, "--ready-file", ready, "--timeout", 3)
        times, refused = [], []
        try:
            ft.wait_file(ready, "first echo of the stream")
            time.sleep(0.5)
            t0 = time.monotonic()
            i = 0
            while i < RATE * SECONDS:
                delay = t0 + i / RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                # Behind schedule (a loaded machine): the reloads due go pipelined.
                due = max(1, min(RATE * SECONDS - i, int((time.monotonic() - t0) * RATE) + 1 - i))
                t = time.monotonic()
                for k in range(due):
                    self.write_version("B" if (i + k) % 2 == 0 else "A")
                    cli.send("reload")
                t_last = time.monotonic()
                for k in range(due):
                    ok, out = cli.reply("reload")
                    times.append((time.monotonic() - t) / due)
                    if not (ok and "reloaded" in out) and len(refused) < 5:
                        refused.append(out)
                i += due
            # The last reload is due at SECONDS - 1/RATE: sent by SECONDS, the run kept
            # RATE a second.
            elapsed = max(float(SECONDS), t_last - t0)
            time.sleep(0.5)
            open(stop, "w").close()
            r = s.result()
        finally:
            s.kill()
        n = len(times)
        rate = n / elapsed
        times.sort()
        t = r["tcp"]
        pct = lambda p: times[min(n - 1, int(n * p))] * 1e3  # noqa: E731
        self.figure("reloads: %d in %.2f s = %.0f/s; reload p50 %.2f ms, p99 %.2f ms, max "
                    "%.1f ms (CLI round trip); untouched flows: UDP %d/%d echoed, TCP %d/%d "
                    "answered (%s retransmissions)" % (
                        n, elapsed, rate, pct(0.5), pct(0.99), times[-1] * 1e3, r["echoed"],
                        r["sent"], t["answered"], t["requests"], t["retransmits"]))
        check(not refused, "every reload accepted", refused)
        # The schedule is fixed; a loaded machine may send the last ones late by a
        # few of their 10 ms slots, which is scheduling, not a slower reload.
        check(n == RATE * SECONDS and elapsed <= SECONDS + 0.1,
              "%d reloads in %d s (0.1 s of scheduling lateness allowed)" % (
                  RATE * SECONDS, SECONDS),
              "%d in %.2f s = %.1f/s" % (n, elapsed, rate))
        lost = r["sent"] - r["echoed"]
        check(r["sent"] > 0 and lost == 0 and len(r["backends"]) == 1 and not r["bad"],
              "untouched UDP flow: every datagram echoed, one backend",
              {k: r[k] for k in ("sent", "echoed", "send_errors", "backends", "bad")})
        check(t["error"] is None and t["requests"] > 0 and t["answered"] == t["requests"] and
              len(t["backends"]) == 1, "untouched TCP connection: every request answered", t)

        svcs = {x["name"]: x for x in self.cli_json("show services")}
        last = "B" if (n - 1) % 2 == 0 else "A"
        want_flip = {BIP[b] for b in (["b2", "b3"] if last == "B" else ["b1", "b2"])}
        got_flip = {b["address"] for b in svcs["flip"]["backends"]}
        check(got_flip == want_flip and ("extra" in svcs) == (last == "B"),
              "show services: version %s, the last one written" % last,
              (sorted(got_flip), sorted(svcs)))
        cli.close()

        mem1, rs1 = self.settled_memory()
        one = rs0["bytes"]
        check(abs(mem1["heap_allocated"] - mem0["heap_allocated"]) <= one and
              abs(rs1["bytes"] - rs0["bytes"]) <= one,
              "DPDK heap and ruleset back within one ruleset (%d bytes)" % one,
              ((mem0["heap_allocated"], mem1["heap_allocated"]), (rs0["bytes"], rs1["bytes"])))
        check(mem1["mbufs_in_use"] <= mem0["mbufs_in_use"] + 32 * self.workers,
              "mbufs in use back where they were", (mem0["mbufs_in_use"], mem1["mbufs_in_use"]))
        check(self.gw.proc.poll() is None, "nodegw alive")
        self.figure("reloads: heap %+d bytes, ruleset %+d bytes, RSS %+d bytes after them" % (
            mem1["heap_allocated"] - mem0["heap_allocated"], rs1["bytes"] - rs0["bytes"],
            mem1["rss"] - mem0["rss"]))


if __name__ == "__main__":
    sys.exit(ft.main(__file__, __doc__, Inner))
