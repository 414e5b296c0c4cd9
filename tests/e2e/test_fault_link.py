#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fault test: a port's link goes down and comes back up under traffic.

usage: test_fault_link.py NODEGW

The topology of tests/e2e/fault_topo.py. A UDP stream (a datagram every
10 ms from one source port) to steady-udp and a TCP request/response
connection to steady run through nodegw while the test takes the veth under
an af_packet port down and up again: the client port (PREFIX-gc) for 2 s, the
pods port (PREFIX-gs) for 2 s, then the client port for 5 s. The config has
arp.reachable_s = 1, so that in the 5 s outage nodegw's entry for the client
is probed and fails, which a link up must undo: the round checks that it
failed. "Link up" is when the kernel reports both ends of the veth
operationally up (it delays a carrier change by up to a second), watched from
inside their namespaces. Checks, per round:

  counted    show ports: the port's link_changes went up by 2 (down, up) and
             the other port's did not move; the log says "link down" and
             "link up"; /metrics' nodegw_port_link_changes_total agrees
  resumes    the first datagram sent at or after link up that got its echo
             was sent within 1 s of link up (the issue's bound), and none sent
             from then on was lost; the TCP connection is still the same one
             and answered every request (it waits for its retransmissions)
  steady     nothing was lost before the link went down; the mbufs in use are
             back to where they were

and after the rounds, nodegw's neighbour entries for the client and the
backends are valid.

Figures: per round, link up after the command, forwarding after link up, and
the datagrams lost while the link was down.

Needs root (exits 77 otherwise). Every wait is bounded; the topology and every
process are removed at the end, failure included.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_topo as ft  # noqa: E402
from fault_topo import check  # noqa: E402

DOWN_S = 2.0
LONG_DOWN_S = 5.0  # longer than reachable_s + retries x retry_ms: the entry fails
RESUME_S = 1.0     # the bound, from link up to forwarding
INTERVAL = 0.01
# port -> (nodegw's interface, (namespace, interface) of the veth's other end)
IFACES = {"client": ("%s-gc", ("%s-client", "%s-c")), "pods": ("%s-gs", ("%s-lan", "%s-lg"))}


def link_changes(inner):
    return {p["name"]: (p["link_up"], p["link_changes"]) for p in inner.cli_json("show ports")}


class Inner(ft.FaultInner):
    checks = ("client_port", "pods_port", "client_long", "after")
    timeout = 300

    def conf_extra(self):
        return "arp = { reachable_s = 1; };\n"

    def flap(self, port, down_s):
        """Link of port down for down_s s under traffic, up again; every check."""
        ifname = IFACES[port][0] % self.prefix
        peer = tuple(x % self.prefix for x in IFACES[port][1])
        before = link_changes(self)
        check(before[port][0], "port %s up before the test" % port, before)
        mem0 = self.memory()
        stop = os.path.join(self.tmp, "stop-%s-%g" % (port, down_s))
        ready = os.path.join(self.tmp, "ready-%s-%g" % (port, down_s))
        s = self.client("%s-%g" % (port, down_s), "stream", "--udp", "%s:53" % ft.VIP_UDP,
                        "--sport", 40053, "--tcp", "%s:80" % ft.VIP_TCP, "--interval", INTERVAL,
                        "--tcp-interval", 0.02, "--tcp-timeout", 15, "--duration", 60,
                        "--stop-file", stop, "--ready-file", ready, "--timeout", 2)
        try:
            ft.wait_file(ready, "first echo of the stream")
            time.sleep(1.0)
            t_down = time.monotonic()
            subprocess.run(["ip", "link", "set", ifname, "down"], check=True, timeout=10)
            watch = [ft.OperWatch(None, ifname), ft.OperWatch(*peer)]
            time.sleep(max(0.0, t_down + down_s - time.monotonic()))
            t_cmd = time.monotonic()
            subprocess.run(["ip", "link", "set", ifname, "up"], check=True, timeout=10)
            t_up = max(w.up_at() for w in watch)
            # nodegw looks at links every 100 ms; a loaded machine may take longer.
            after = ft.wait_for(lambda: (lambda c: c if c[port][1] >= before[port][1] + 2 and
                                         c[port][0] else None)(link_changes(self)),
                                "show ports: link of %s down and up again" % port, 10)
            time.sleep(3.0)
            open(stop, "w").close()
            r = s.result()
        finally:
            s.kill()
        check(after[port][1] == before[port][1] + 2,
              "link_changes of %s went up by 2 (down, up)" % port, (before, after))
        check(all(after[p] == before[p] for p in after if p != port),
              "the other port saw no change", (before, after))
        log = self.gw.log()
        check("port %s: link down" % port in log and "port %s: link up" % port in log,
              "log: link down and link up of %s" % port, log[-1500:])
        metrics = self.metrics()
        want = 'nodegw_port_link_changes_total{port="%s"} %d' % (port, after[port][1])
        check(want in metrics, "/metrics: " + want,
              [l for l in metrics.splitlines() if "link_changes" in l])

        check(not ft.lost_between(r, 0, t_down), "no datagram lost before the link went down",
              len(ft.lost_between(r, 0, t_down)))
        around_up = "sent around link up (s after it, rtt ms): %s" % (
            [(round(t - t_up, 3), rtt and round(rtt * 1e3)) for t, rtt in
             ft.sent_times(r) if t >= t_up - 0.1][:150:3])
        first = ft.first_echo_after(r, t_up)
        check(first is not None, "a datagram sent after link up got its echo", around_up)
        check(first - t_up <= RESUME_S,
              "forwarding resumed within %.1f s of link up" % RESUME_S,
              "first echoed datagram sent %.3f s after link up (link up %.3f s after the "
              "command); %s" % (first - t_up, t_up - t_cmd, around_up))
        lost_after = ft.lost_between(r, first, 1e18)
        check(not lost_after, "nothing lost once forwarding resumed",
              "%d lost, the first %.3f s after link up; %s" % (
                  len(lost_after), (lost_after or [0])[0] - t_up, around_up))
        t = r["tcp"]
        check(t["error"] is None and t["answered"] == t["requests"] and len(t["backends"]) == 1,
              "the TCP connection survived: every request answered, one backend", t)
        check(r["bad"] == [], "no stray datagram", r["bad"])
        mem1 = self.memory()
        check(mem1["mbufs_in_use"] <= mem0["mbufs_in_use"] + 2 * 32,
              "mbufs in use back to where they were (within a burst per worker)",
              (mem0["mbufs_in_use"], mem1["mbufs_in_use"]))
        self.figure("link %s down %.0f s: up %.0f ms after the command (kernel); forwarding "
                    "%.0f ms after link up; %d of %d datagrams lost while down; TCP %d/%d "
                    "answered, rtt max %.0f ms" % (
                        port, down_s, (t_up - t_cmd) * 1e3, (first - t_up) * 1e3,
                        len(ft.lost_between(r, t_down, first)), r["sent"], t["answered"],
                        t["requests"], t["rtt_max_ms"]))

    def t_client_port(self):
        self.flap("client", DOWN_S)

    def t_pods_port(self):
        self.flap("pods", DOWN_S)

    def t_client_long(self):
        mark = len(self.gw.log())
        self.flap("client", LONG_DOWN_S)
        log = self.gw.log()[mark:]
        check("198.18.0.2 on port 0: no ARP reply" in log,
              "nodegw's entry for the client failed while the link was down (what this "
              "round is for)", log[-1500:])
        check("neighbour entries asked again" in log,
              "log: the port's neighbours asked again at link up", log[-1500:])

    def t_after(self):
        n = {e["address"]: e for e in self.cli_json("show neighbours")["neighbours"]}
        for addr in ["198.18.0.2"] + [ft.BIP[b] for b in sorted(ft.BIP)]:
            check(addr in n and n[addr]["state"] in ("reachable", "probe") and n[addr]["mac"],
                  "neighbour %s valid after the flaps" % addr, n.get(addr, sorted(n)))


if __name__ == "__main__":
    sys.exit(ft.main(__file__, __doc__, Inner))
