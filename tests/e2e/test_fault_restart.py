#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fault test: kill -9 nodegw under traffic and start it again.

usage: test_fault_restart.py NODEGW

The topology of tests/e2e/fault_topo.py. After 30 short connections to steady
(so that the held one below does not have the first FullNAT source port
towards its backend, which a restarted nodegw hands out first again), the
client holds two idle TCP connections, one through steady (FullNAT) and one through dnat (DNAT
mode), each having exchanged a line, and a UDP stream (a datagram every 10 ms
from one source port) to steady-udp runs throughout. The test sends SIGKILL to
nodegw, starts it again on the same config at once, and measures:

  start -> ready        "MAIN: ready" in the new log
  start -> forwarding   the first datagram of the stream sent after the start
                        that was echoed

Then each held connection sends again. doc/operations.md ("What a restart
does to connections") says what must happen, and the test checks it:

  fullnat    reset: the connection is picked up with a new FullNAT source
             port, which the backend answers with a RST
  dnat       continues: picked up mid-stream, to the same backend, which
             answers on the same connection

and that new connections to steady work afterwards (20, every one answered),
that the stream is answered again without a loss after forwarding resumed
(but for what waited for the first ARP replies, when they are slow: dropped
and counted within the first second),
and that the first nodegw's file prefix did not stop the second (no leftover
from the kill is in the way).

Figures: the two times, the datagrams lost, what each held connection saw.

Needs root (exits 77 otherwise). Every wait is bounded; the topology and every
process are removed at the end, failure included.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_topo as ft  # noqa: E402
import ngproc  # noqa: E402
from fault_topo import CLI_PORT, Fail, check  # noqa: E402


class Inner(ft.FaultInner):
    checks = ("kill9",)
    timeout = 300

    def t_kill9(self):
        # Connections first, so that the held FullNAT one does not have the first
        # source port towards its backend: a restarted nodegw hands that port out
        # first again (the cursor starts at the same place), which would let the
        # connection go on by chance (issue 17's defect 5, a random cursor).
        w = self.client("warm", "connect", "%s:80" % ft.VIP_TCP, "--count", 30,
                        "--parallel", 4).result()
        check(w["ok"] == 30, "30 connections before the test", w)
        ready, go = os.path.join(self.tmp, "held"), os.path.join(self.tmp, "go")
        held = self.client("hold", "hold", "%s:80" % ft.VIP_TCP, "%s:80" % ft.VIP_DNAT,
                           "--ready-file", ready, "--go-file", go, "--timeout", 5,
                           "--wait", 120)
        stop, sready = os.path.join(self.tmp, "stop"), os.path.join(self.tmp, "sready")
        s = self.client("stream", "stream", "--udp", "%s:53" % ft.VIP_UDP, "--sport", 40053,
                        "--interval", 0.01, "--duration", 100, "--stop-file", stop,
                        "--ready-file", sready, "--timeout", 2)
        try:
            ft.wait_file(ready, "the held connections")
            ft.wait_file(sready, "first echo of the stream")
            time.sleep(1.0)
            t_kill = time.monotonic()
            self.kill_gw()
            gw2 = ngproc.Nodegw(self.exe, self.tmp, "gw2", stem="nodegw-" + self.prefix,
                                error=Fail, quiet=True)
            self.gw = gw2
            gw2.start(self.conf_text, port=CLI_PORT, lcores=self.lcores())
            t_start, t_ready = gw2.t_start, time.monotonic()  # start() polls the log
            # Forwarding is back once a datagram sent after the start is echoed.
            time.sleep(3.0)
            open(go, "w").close()
            h = held.result()
            time.sleep(1.0)
            open(stop, "w").close()
            r = s.result()
        finally:
            held.kill()
            s.kill()
        conns = {c["target"].split(":")[0]: c for c in h["conns"]}
        fn, dn = conns[ft.VIP_TCP], conns[ft.VIP_DNAT]
        first = ft.first_echo_after(r, t_start)
        check(first is not None, "a datagram sent after the start was echoed",
              {k: r[k] for k in ("sent", "echoed", "send_errors")})
        # The restarted nodegw learns its neighbours again: the first packets wait
        # for ARP (arp.pending_max each), and when ARP is slow (a loaded machine)
        # what does not fit is dropped and counted. That is the only loss allowed
        # once the first datagram was echoed, and only in the second after it.
        lost_after = ft.lost_between(r, first, 1e18)
        arp_dropped = self.cli_json("show neighbours")["queued_dropped"]
        check(len(lost_after) <= arp_dropped and all(t < first + 1.0 for t in lost_after),
              "nothing lost once forwarding resumed but what waited for ARP in its first "
              "second (counted: show neighbours queued_dropped)",
              "%d lost, %s s after the start; queued_dropped %d; echoed by %s" % (
                  len(lost_after), [round(t - t_start, 3) for t in lost_after[:10]],
                  arp_dropped, r["backends"]))
        # (a datagram sent just before the kill may still have been on its way)
        early = ft.lost_between(r, 0, t_kill - 0.2)
        check(not early, "nothing lost up to 0.2 s before the kill",
              [round(t - t_kill, 3) for t in early][:20])
        check(h["go_seen"] and fn["first"].startswith("b") and dn["first"].startswith("b"),
              "both connections answered before the kill", h)
        check(fn["then"] == "reset",
              "FullNAT connection after the restart: reset (doc/operations.md)", fn)
        check(dn["then"] == "ok " + dn["first"],
              "DNAT connection after the restart: continues, same backend (doc/operations.md)",
              dn)
        c = self.client("connect", "connect", "%s:80" % ft.VIP_TCP, "--count", 20,
                        "--parallel", 4).result()
        check(c["ok"] == 20 and c["failed"] == 0, "20 new connections after the restart", c)
        down = ft.lost_between(r, t_kill, first)
        self.figure("kill -9 and restart: start -> ready %.0f ms (MAIN: ready in the log, "
                    "polled every 50 ms), start -> forwarding %.0f ms (the first echoed "
                    "datagram sent after the start); %d datagrams lost from the kill on "
                    "(%.2f s of the stream), %d after that while ARP resolved; held FullNAT "
                    "connection: %s; held DNAT connection: %s; new connections: %d/20" % (
                        (t_ready - t_start) * 1e3, (first - t_start) * 1e3, len(down),
                        len(down) * 0.01, len(lost_after), fn["then"], dn["then"], c["ok"]))


if __name__ == "__main__":
    sys.exit(ft.main(__file__, __doc__, Inner))
