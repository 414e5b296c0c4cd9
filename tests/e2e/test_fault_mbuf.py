#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fault test: bursts larger than the mbuf pool can hold in flight.

usage: test_fault_mbuf.py NODEGW

The topology of tests/e2e/fault_topo.py, nodegw with a pool of POOL mbufs
(mempool.mbufs) and NEIGH_WAIT_S of ARP resolution (arp.retry_ms x retries).
A UDP stream (a datagram every 10 ms from one source port) to steady-udp runs
through each round.

  unresolved  the client sends BURST datagrams to ADDRS addresses of the pods
              subnet that nobody holds: each is routed to a neighbour that
              never resolves, and waits there (arp.pending_max per address:
              more than the pool in all). The packets waiting for neighbours
              may take a share of the pool, never all of it: the stream goes
              on (lost datagrams during the burst: at most those the burst's
              own queue drops took), what did not fit is counted as dropped
              (show neighbours queued_dropped, show stats neigh_queue), and
              once the neighbours failed the mbufs in use are back where they
              were.

  stalled     nodegw again with two workers and a pool of STALL_POOL mbufs:
              the worker that owns the client's flows (nodegw hashes the
              client address) spins STALL_MS ms (debug worker stall) while the
              client sends BURST datagrams to steady-udp from SOCKETS source
              ports, the burst over before the stall is: the flows af_packet's
              fanout puts on the other worker's queue go to the stalled
              owner's redirect ring (2,047 slots, more than the pool), and the
              pool runs out. Checks: the
              exhaustion is counted and timed (show memory: events, time) and
              over once the worker resumed, the stream is forwarded again at
              once (nothing lost from RECOVER_S after the resume on), and the
              mbufs in use are back where they were. (What did not fit stays
              in the kernel's af_packet rings and is dropped there: af_packet
              counts none of it, so the figure shows nodegw's own drops only.)

Figures: per round, the mbufs in use at the most, the stream's datagrams lost
and its longest gap, and what was counted; for the stalled round, how long
the pool was exhausted and when the stream was answered again.

Needs root (exits 77 otherwise). Every wait is bounded; the topology and every
process are removed at the end, failure included.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_topo as ft  # noqa: E402
from fault_topo import check  # noqa: E402

POOL = 2048
STALL_POOL = 1024   # the least mempool.mbufs allows; a redirect ring holds 2,047
ADDRS = 200          # x arp.pending_max (16): 3,200 packets would wait
BURST = 20000
RETRY_MS, RETRIES = 1000, 3
NEIGH_WAIT_S = RETRY_MS * RETRIES / 1000.0
STALL_MS = 5000     # the burst (client start-up included) ends within it on a loaded VM
SOCKETS = 64
RECOVER_S = 1.0


class Inner(ft.FaultInner):
    checks = ("unresolved", "stalled")
    timeout = 300
    pool = POOL

    def conf_extra(self):
        return ("mempool = { mbufs = %d; cache = 32; };\n"
                "arp = { retry_ms = %d; retries = %d; };\n" % (self.pool, RETRY_MS, RETRIES))

    def stream(self, tag):
        stop, ready = os.path.join(self.tmp, "stop-" + tag), os.path.join(self.tmp, "ready-" + tag)
        s = self.client(tag, "stream", "--udp", "%s:53" % ft.VIP_UDP, "--sport", 40053,
                        "--interval", 0.01, "--duration", 100, "--stop-file", stop,
                        "--ready-file", ready, "--timeout", 2)
        ft.wait_file(ready, "first echo of the stream")
        return s, stop

    def t_unresolved(self):
        mem0 = self.memory()
        n0 = self.cli_json("show neighbours")
        s, stop = self.stream("unresolved")
        try:
            time.sleep(1.0)
            t_burst = time.monotonic()
            b = self.client("burst", "burst", "--to", *["198.18.1.%d" % (50 + i)
                                                        for i in range(ADDRS)],
                            "--port", 9, "--count", BURST).result()
            t_end = time.monotonic()
            peak = self.memory()["mbufs_max_in_use"]
            # The neighbours fail after NEIGH_WAIT_S; their queues are freed then.
            time.sleep(NEIGH_WAIT_S + 1.5)
            open(stop, "w").close()
            r = s.result()
        finally:
            s.kill()
        n1 = self.cli_json("show neighbours")
        mem1 = self.memory()
        drops = self.cli_json("show stats")["drops_by_reason"]
        lost = ft.lost_between(r, t_burst - 0.05, 1e18)
        gap, at = ft.longest_gap(r)
        self.figure("unresolved: %d datagrams to %d unresolved addresses in %.2f s through a "
                    "pool of %d: mbufs in use at most %d; stream lost %d (longest gap %.0f ms); "
                    "queued_dropped %+d, neigh_queue drops %d, pool exhausted %d times" % (
                        b["sent"], ADDRS, b["seconds"], POOL, peak, len(lost), gap * 1e3,
                        n1["queued_dropped"] - n0["queued_dropped"],
                        drops.get("neigh_queue", 0), mem1["mbufs_exhausted_events"]))
        check(b["sent"] >= BURST * 0.9, "the client sent the burst", b)
        check(mem1["mbufs_exhausted_events"] == mem0["mbufs_exhausted_events"],
              "packets waiting for neighbours never took the whole pool",
              (mem0["mbufs_exhausted_events"], mem1["mbufs_exhausted_events"], peak))
        check(gap < 0.5, "the stream went on through the burst (longest gap under 0.5 s)",
              "%d lost, longest gap %.3f s from %.3f s after the burst began" % (
                  len(lost), gap, (at or t_burst) - t_burst))
        check(n1["queued_dropped"] > n0["queued_dropped"],
              "what did not fit the queues was counted", (n0, n1))
        check(mem1["mbufs_in_use"] <= mem0["mbufs_in_use"] + 64,
              "mbufs in use back where they were once the neighbours failed",
              (mem0["mbufs_in_use"], mem1["mbufs_in_use"]))

    def t_stalled(self):
        self.gw.stop()
        self.workers, self.pool = 2, STALL_POOL
        self.start_gw("gw-stalled")
        s, stop = self.stream("stalled")
        try:
            time.sleep(1.0)
            w = self.owner(40053)
            mem0 = self.memory()
            d0 = self.cli_json("show stats")["drops_by_reason"]
            stall0 = self.cli_json("show workers")[w]["stalls"]
            cli = ft.BatchCli()
            t_stall = time.monotonic()
            ok, out = cli.run("debug worker stall %d %d" % (w, STALL_MS))
            check(ok, "debug worker stall", out)
            b = self.client("burst2", "burst", "--to", ft.VIP_UDP, "--port", 53, "--count",
                            BURST, "--sockets", SOCKETS).result()
            t_burst_end = time.monotonic()
            # Until the worker resumed: the stall as show workers tells it.
            ft.wait_for(lambda: (lambda x: x["stalls"] > stall0 and not x["stalled"])(
                self.cli_json("show workers")[w]), "worker %d resumed" % w, STALL_MS / 1e3 + 20)
            stall_ms = self.cli_json("show workers")[w]["stall_last_ms"]
            resumed = t_stall + stall_ms / 1e3
            cli.close()
            time.sleep(2.0)
            open(stop, "w").close()
            r = s.result()
        finally:
            s.kill()
        ft.wait_for(lambda: self.memory()["mbufs_in_use"] <= mem0["mbufs_in_use"] + 64,
                    "mbufs in use back where they were", 10)
        mem1 = self.memory()
        d1 = self.cli_json("show stats")["drops_by_reason"]
        drops = {k: v - d0.get(k, 0) for k, v in d1.items() if v != d0.get(k, 0)}
        lost_after = ft.lost_between(r, resumed + RECOVER_S, 1e18)
        first = ft.first_echo_after(r, resumed)
        gap, _ = ft.longest_gap(r)
        self.figure("stalled: worker %d stalled %d ms, %d datagrams from %d ports in %.2f s "
                    "through a pool of %d: mbufs in use at most %d, pool exhausted %d times "
                    "for %.0f ms in all; drops %s; stream lost %d (longest gap %.0f ms), "
                    "answered again %.0f ms after the resume, %d lost after %.1f s; mbufs in "
                    "use %d -> %d" % (
                        w, stall_ms, b["sent"], SOCKETS, b["seconds"], STALL_POOL,
                        mem1["mbufs_max_in_use"],
                        mem1["mbufs_exhausted_events"] - mem0["mbufs_exhausted_events"],
                        (mem1["mbufs_exhausted_ms"] - mem0["mbufs_exhausted_ms"]), drops,
                        len(ft.lost_between(r, 0, 1e18)), gap * 1e3,
                        ((first - resumed) * 1e3) if first else -1, len(lost_after),
                        RECOVER_S, mem0["mbufs_in_use"], mem1["mbufs_in_use"]))
        check(b["sent"] >= BURST * 0.9 and t_burst_end < resumed,
              "the client sent the burst while the worker was stalled",
              (b, t_burst_end - t_stall, resumed - t_stall))
        check(mem1["mbufs_exhausted_events"] > mem0["mbufs_exhausted_events"] and
              mem1["mbufs_exhausted_ms"] > mem0["mbufs_exhausted_ms"] and
              not mem1["mbufs_exhausted"],
              "the pool ran out, was counted and timed, and is no longer out",
              {k: (mem0[k], mem1[k]) for k in mem0 if k.startswith("mbufs")})
        check(first is not None and first - resumed < 1.0 and not lost_after,
              "the stream is forwarded again at once (nothing lost from %.1f s after the "
              "resume)" % RECOVER_S, (first, resumed, lost_after[:5]))
        check(mem1["mbufs_in_use"] <= mem0["mbufs_in_use"] + 64,
              "mbufs in use back where they were", (mem0["mbufs_in_use"], mem1["mbufs_in_use"]))


if __name__ == "__main__":
    sys.exit(ft.main(__file__, __doc__, Inner))
