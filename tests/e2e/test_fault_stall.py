#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fault test: a worker stalled under traffic.

usage: test_fault_stall.py NODEGW

The topology of tests/e2e/fault_topo.py with two workers and the watcher on
the fake API server, which holds one Service, default/stall (ClusterIP
198.19.3.1:80, endpoints b1..b3). A UDP stream (a datagram every 10 ms from
one source port) to steady-udp and a TCP request/response connection to
steady run throughout. The test makes the worker that owns them spin
STALL_MS ms (`debug worker stall`: online, neither receiving nor reporting
quiescence) and, at once, changes the Service's EndpointSlice (b1, b2) and a
backend weight of "spare" on the CLI. Until the worker resumes it asks, on
one CLI session, show service default/stall:http, show workers and show
ruleset, again and again. Checks:

  cli        answered throughout: the slowest answer well under the stall
             (under STALL_MS / 2), and answers came while show workers said
             the worker was stalled
  watcher    the EndpointSlice change was applied (2 backends) while the
             worker was still stalled
  reported   show workers said stalled (stalled_ms growing) while it lasted;
             afterwards 1 stall, stall_last_ms about STALL_MS; the warning
             and the "resumed" line in the log; /metrics
             nodegw_worker_stalls_total{worker=W} 1
  rulesets   the commits of both changes were published during the stall
             (generation moved) and their old rulesets waited (pending_free
             > 0); all freed within 2 s of the resume
  traffic    the stream's datagrams lost only around the stall (the
             af_packet rings and the redirect ring hold what arrives for the
             worker meanwhile, so most are only late), forwarded again within
             1 s of the resume; the TCP connection answered every request, no
             error

Figures: the CLI's answers during the stall (count, slowest), when the
watcher's change was seen, the stall as reported, pending rulesets and the
time to free them, datagrams lost and the first echo after the resume.

Needs root (exits 77 otherwise). Every wait is bounded; the topology and every
process are removed at the end, failure included.
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_topo as ft  # noqa: E402
import k8s_objects as ko  # noqa: E402
from fault_topo import BIP, check  # noqa: E402

STALL_MS = 1500
K8S_NAME = "default/stall:http"
SPARE_VIP = "198.19.0.50"


def k8s_objs(backends):
    return [ko.service("default", "stall", ["198.19.3.1"],
                       ports=[("http", "TCP", 80, None, ft.TCP_PORT)]),
            ko.endpointslice("default", "stall-x", "stall",
                             endpoints=[dict(ip=BIP[b], node="n-" + b) for b in backends],
                             ports=[("http", "TCP", ft.TCP_PORT)])]


class Inner(ft.FaultInner):
    checks = ("stall",)
    timeout = 240
    workers = 2

    def services_extra(self):
        return """,
	{{ name = "spare"; protocol = "tcp"; port = 80; vips = ["{v}"];
		backends = ({b}); }}""".format(v=SPARE_VIP, b=ft.backend_list(ft.TCP_PORT))

    def main(self, names, objs=(), after=None):
        return super().main(names, k8s_objs(sorted(BIP)), after)

    def watch(self, cli, w, t_end):
        """Ask until the worker resumed (or t_end): one sample per round."""
        samples = []
        while time.monotonic() < t_end:
            t = time.monotonic()
            for cmd in ("show service %s json" % K8S_NAME, "show workers json",
                        "show ruleset json"):
                cli.send(cmd)
            got = [cli.reply(c) for c in ("service", "workers", "ruleset")]
            rtt = time.monotonic() - t
            check(all(ok for ok, _ in got), "the CLI answers during the stall", got)
            svc, wk, rs = (json.loads(out) for _, out in got)
            samples.append(dict(t=t, rtt=rtt / 3, backends=len(svc["backends"]), w=wk[w],
                                gen=rs["generation"], pending=rs["pending_free"],
                                dirty=rs["dirty"]))
            if samples[-1]["w"]["stalls"] >= 1 and not samples[-1]["w"]["stalled"]:
                break
            time.sleep(0.02)
        return samples

    def t_stall(self):
        ft.wait_for(lambda: len(self.cli_json("show service %s" % K8S_NAME)["backends"]) == 3,
                    "the watcher's service with 3 backends", 30)
        stop, ready = os.path.join(self.tmp, "stop"), os.path.join(self.tmp, "ready")
        s = self.client("stream", "stream", "--udp", "%s:53" % ft.VIP_UDP, "--sport", 40053,
                        "--tcp", "%s:80" % ft.VIP_TCP, "--interval", 0.01, "--tcp-interval",
                        0.05, "--tcp-timeout", 10, "--duration", 60, "--stop-file", stop,
                        "--ready-file", ready, "--timeout", 3)
        cli = ft.BatchCli()
        try:
            ft.wait_file(ready, "first echo of the stream")
            time.sleep(1.0)
            w = self.owner(40053)
            rs0 = self.cli_json("show ruleset")
            t_stall = time.monotonic()  # the stall begins after this, never before
            ok, out = cli.run("debug worker stall %d %d" % (w, STALL_MS))
            t_told = time.monotonic()
            check(ok, "debug worker stall", out)
            # The API server's admin call took 0.5 s at times on a loaded machine: it
            # runs beside the CLI's questions.
            api_done = []
            k8s = threading.Thread(target=lambda: api_done.append(
                (self.admin.apply(k8s_objs(["b1", "b2"])[1]), time.monotonic())))
            k8s.start()
            ok, out = cli.run("backend weight spare %s:%d 3" % (BIP["b2"], ft.TCP_PORT))
            t_changed = time.monotonic()
            check(ok, "a CLI change during the stall", out)
            samples = self.watch(cli, w, t_stall + STALL_MS / 1e3 + 20)
            k8s.join(30)
            check(api_done, "the EndpointSlice change reached the API server")
            t_applied = api_done[0][1]
            t_resumed = samples[-1]["t"]
            ft.wait_for(lambda: self.cli_json("show ruleset")["pending_free"] == 0,
                        "old rulesets freed after the resume", 10)
            t_freed = time.monotonic()
            wk = self.cli_json("show workers")
            metrics = self.metrics()
            time.sleep(1.5)
            open(stop, "w").close()
            r = s.result()
        finally:
            cli.close()
            s.kill()
        during = [x for x in samples if x["w"]["stalled"]]
        applied = [x for x in during if x["backends"] == 2]
        slowest = max(x["rtt"] for x in samples)
        last = wk[w]
        gap, at = ft.longest_gap(r)
        resumed_at = t_stall + last["stall_last_ms"] / 1e3
        lost = ft.lost_between(r, 0, 1e18)
        lost_outside = [t for t in lost if not t_stall - 0.2 <= t <= resumed_at + 0.5]
        first = ft.first_echo_after(r, resumed_at)
        pending_max = max(x["pending"] for x in samples)
        rtt_max = max([rt for _, rt in ft.sent_times(r) if rt is not None] or [0])
        ms = lambda t: (t - t_stall) * 1e3  # noqa: E731
        self.figure("stall: worker %d spun %d ms (the command took %.0f ms); EndpointSlice "
                    "applied to the API server %.0f ms and the CLI change made %.0f ms into "
                    "it; CLI answered %d rounds "
                    "of 3 commands while the worker was reported stalled (from %.0f ms in), "
                    "slowest command %.0f ms; watcher's change seen %s; reported: 1 stall of "
                    "%d ms; rulesets pending during it at most %d, all freed %.0f ms after "
                    "the resume was seen; UDP lost %d (longest gap %.0f ms, the slowest "
                    "echo %.0f ms), first echo %.0f ms after the resume; TCP %d/%d answered" % (
                        w, STALL_MS, ms(t_told), ms(t_applied), ms(t_changed), len(during),
                        ms(during[0]["t"]) if during else -1, slowest * 1e3,
                        ("%.0f ms into the stall" % ms(applied[0]["t"]))
                        if applied else "only after it",
                        last["stall_last_ms"], pending_max, (t_freed - t_resumed) * 1e3,
                        len(lost), gap * 1e3, rtt_max * 1e3,
                        ((first - resumed_at) * 1e3) if first else -1,
                        r["tcp"]["answered"], r["tcp"]["requests"]))
        check(len(during) >= 2 and slowest < STALL_MS / 2e3,
              "the CLI answered during the stall, each command in under %d ms" % (
                  STALL_MS / 2), (len(during), slowest))
        check(applied, "the watcher applied the EndpointSlice change while the worker was "
              "stalled", [(round(x["t"] - t_stall, 3), x["backends"], x["w"]["stalled"])
                          for x in samples])
        check(any(x["backends"] == 2 and not x["dirty"] and x["gen"] > rs0["generation"] and
                  x["pending"] >= 1 for x in during),
              "the changes were published during the stall and the old rulesets waited",
              (rs0["generation"], [(x["gen"], x["dirty"], x["pending"]) for x in during]))
        check(not last["stalled"] and last["stalls"] == 1 and
              STALL_MS * 0.9 <= last["stall_last_ms"] < STALL_MS + 3000,
              "show workers: one stall of about %d ms" % STALL_MS, last)
        check(t_freed - t_resumed < 2.0, "old rulesets freed within 2 s of the resume",
              t_freed - t_resumed)
        log = self.gw.log()
        check("worker %d (lcore" % w in log and "stalled: no loop for" in log and
              "resumed after a stall of" in log, "the stall and its end are logged",
              log[-1500:])
        check('nodegw_worker_stalls_total{worker="%d"} 1\n' % w in metrics,
              "/metrics counts the stall",
              [l for l in metrics.splitlines() if "stall" in l])
        check(not lost_outside, "datagrams lost only around the stall",
              (len(lost_outside), lost_outside[:5], t_stall, resumed_at))
        check(first is not None and first - resumed_at < 1.0,
              "the stream is forwarded again within 1 s of the resume",
              (first, resumed_at))
        t = r["tcp"]
        check(t["error"] is None and t["requests"] > 0 and t["answered"] == t["requests"],
              "the TCP connection answered every request", t)


if __name__ == "__main__":
    sys.exit(ft.main(__file__, __doc__, Inner))
