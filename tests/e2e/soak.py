#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Soak: nodegw under mixed load and faults for MINUTES; memory every minute.

usage: soak.py NODEGW   (MINUTES from $NG_SOAK_MINUTES, default 2; scripts/soak.sh)

The topology of tests/e2e/fault_topo.py with two workers and the watcher on
the fake API server, which holds K8S_SERVICES Services (ClusterIP
198.19.3.N:80, endpoints b1..b3). For MINUTES minutes, all at once:

  traffic     a UDP stream (a datagram every 20 ms, one source port) to
              steady-udp and a TCP request/response connection to steady,
              the whole time; every 2 s, 40 short TCP connections (8 at a
              time), to steady and to a Kubernetes service in turn
  rule changes  CHANGES_PER_S changes a second on a CLI session in batch
              mode: backend weight, del and add on the config's churn
              services (churn0..9, 198.19.2.1..10), in whole cycles
  reloads     `reload` on that session every 5 s, SIGHUP every 13 s
  Kubernetes  an EndpointSlice changed every second; a 410 Gone on the open
              watches every 20 s; the API server stopped and started again
              every 45 s (down for 2 s)
  CLI         a new session every 0.3 s running one show command; every
              10 s an idle one that is held 5 s and dropped

Every minute it prints RSS, the DPDK heap, malloc's bytes in use and the mbufs
in use (show memory), and what the load did. At the end it stops the load,
waits until nothing is pending, and fails when:

  - memory grew beyond the bounds below, from the first sample (after a
    warm-up of WARMUP_S, load running) to the last (load stopped, settled);
  - a change, reload or CLI command was refused, a short connection failed,
    the untouched stream lost a datagram or its TCP connection an answer;
  - nodegw died, or its watcher is not synced at the end.

Bounds (doc/reliability.md): DPDK heap +2 MiB, malloc +2 MiB, mbufs in use
+64 per worker, RSS +(32 + 8 x MINUTES) MiB (with --no-huge, RSS also counts
DPDK memory pages as they are first touched, which the heap figure does not).

Needs root (exits 77 otherwise). Every loop is bounded by the run's length.
"""
import os
import random
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_topo as ft  # noqa: E402
import k8s_admin  # noqa: E402
import k8s_objects as ko  # noqa: E402
import ngproc  # noqa: E402
from fault_topo import BIP, check  # noqa: E402

MINUTES = float(os.environ.get("NG_SOAK_MINUTES", "2"))
WARMUP_S = 15.0
CHANGES_PER_S = 100
K8S_SERVICES = 10
CHURN = 10
MIB = 1 << 20
BOUND_HEAP = 2 * MIB
BOUND_MALLOC = 2 * MIB
BOUND_MBUFS_PER_WORKER = 64
BOUND_RSS = (32 + 8 * MINUTES) * MIB


def k8s_objs(gen):
    """Services and their slices; gen picks which endpoints slice 0 has."""
    objs = []
    for i in range(K8S_SERVICES):
        name = "soak%d" % i
        objs.append(ko.service("default", name, ["198.19.3.%d" % (i + 1)],
                               ports=[("http", "TCP", 80, None, ft.TCP_PORT)]))
        bs = sorted(BIP) if i != 0 or gen % 2 == 0 else ["b1", "b2"]
        objs.append(ko.endpointslice("default", name + "-x", name,
                                     endpoints=[dict(ip=BIP[b], node="n-" + b) for b in bs],
                                     ports=[("http", "TCP", ft.TCP_PORT)]))
    return objs


class Load:
    """The load's threads and what they counted; stop() ends them."""

    def __init__(self, inner, deadline):
        self.inner, self.deadline = inner, deadline
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.n = dict(changes=0, reloads=0, sighups=0, refused=0, k8s_changes=0, gone410=0,
                      api_restarts=0, sessions=0, idle_sessions=0, conns_ok=0, conns_failed=0)
        self.errors = []
        self.threads = []

    def count(self, k, v=1):
        with self.lock:
            self.n[k] += v

    def error(self, what):
        with self.lock:
            if len(self.errors) < 20:
                self.errors.append(what)

    def running(self):
        return not self.stop_ev.is_set() and time.monotonic() < self.deadline

    def start(self):
        for fn in (self.churn, self.k8s, self.sessions, self.connections):
            t = threading.Thread(target=self.guard, args=(fn,), daemon=True)
            t.start()
            self.threads.append(t)

    def guard(self, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - reported as a failure
            self.error("%s: %r" % (fn.__name__, e))

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(60)
        return [t.name for t in self.threads if t.is_alive()]

    def churn(self):
        """CHANGES_PER_S changes a second in whole cycles; reload every 5 s."""
        cli = ft.BatchCli()
        b1, b2 = "%s:%d" % (BIP["b1"], ft.TCP_PORT), "%s:%d" % (BIP["b2"], ft.TCP_PORT)
        t0, i = time.monotonic(), 0
        next_reload, next_hup = t0 + 5, t0 + 13
        while self.running():
            s = "churn%d" % (i // 4 % CHURN)
            cmd = ["backend weight %s %s 3" % (s, b2), "backend weight %s %s 1" % (s, b2),
                   "backend del %s %s" % (s, b1), "backend add %s %s" % (s, b1)][i % 4]
            delay = t0 + i / CHANGES_PER_S - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            ok, out = cli.run(cmd)
            self.count("changes")
            if not ok:
                self.count("refused")
                self.error("%s: %s" % (cmd, out.strip()))
            i += 1
            if i % 4 == 0 and time.monotonic() >= next_reload:
                next_reload += 5
                ok, out = cli.run("reload")
                self.count("reloads")
                if not (ok and "reloaded" in out):
                    self.count("refused")
                    self.error("reload: %s" % out.strip())
            if i % 4 == 0 and time.monotonic() >= next_hup:
                next_hup += 13
                os.kill(self.inner.gw.proc.pid, signal.SIGHUP)
                self.count("sighups")
        cli.close()

    def k8s(self):
        """An EndpointSlice change a second, a 410 every 20 s, an API restart every 45 s."""
        inner = self.inner
        t0 = time.monotonic()
        gen, next_410, next_restart = 0, t0 + 20, t0 + 45
        while self.running():
            time.sleep(1.0)
            gen += 1
            inner.objs = k8s_objs(gen)
            try:
                inner.admin.apply(inner.objs[1])
                self.count("k8s_changes")
            except (OSError, k8s_admin.AdminError) as e:
                self.error("apply: %s" % e)
            now = time.monotonic()
            if now >= next_410:
                next_410 += 20
                inner.admin.fault(kind="gone410", now=True)
                self.count("gone410")
            if now >= next_restart and self.running():
                next_restart += 45
                k8s_admin.stop_server(inner.api)
                time.sleep(2.0)
                inner.start_api(inner.objs)
                self.count("api_restarts")

    def sessions(self):
        """A session every 0.3 s (one show command); an idle one every 10 s."""
        cmds = ["show services", "show memory", "show k8s", "show workers", "show stats",
                "show ruleset", "show neighbours", "show cli"]
        next_idle, k = time.monotonic() + 10, 0
        idle = None
        while self.running():
            out = ngproc.cli(ft.CLI_PORT, cmds[k % len(cmds)], timeout=20)
            self.count("sessions")
            refused = [l for l in out.replace("nodegw> ", "\n").splitlines()
                       if l.startswith("% ")]
            if refused or "nodegw>" not in out:
                self.error("%s: %s" % (cmds[k % len(cmds)], refused or out[-200:]))
            k += 1
            now = time.monotonic()
            if idle is not None and now >= idle[1]:
                idle[0].close()
                idle = None
            if idle is None and now >= next_idle:
                next_idle = now + 10
                idle = (socket.create_connection(("127.0.0.1", ft.CLI_PORT), timeout=5),
                        now + 5)
                self.count("idle_sessions")
            time.sleep(0.3)
        if idle is not None:
            idle[0].close()

    def connections(self):
        """40 short connections every 2 s, steady and a Kubernetes service in turn."""
        k = 0
        while self.running():
            target = "%s:80" % (ft.VIP_TCP if k % 2 == 0 else "198.19.3.%d" % (
                1 + k // 2 % K8S_SERVICES))
            r = self.inner.client("conn%d" % k, "connect", target, "--count", 40,
                                  "--parallel", 8, "--timeout", 5, timeout=120).result()
            k += 1
            self.count("conns_ok", r["ok"])
            self.count("conns_failed", r["failed"])
            if r["failed"]:
                self.error("connections to %s: %s" % (target, r["errors"][:3]))
            time.sleep(2.0)


class Soak(ft.FaultInner):
    checks = ("soak",)
    workers = 2
    timeout = int(MINUTES * 60) + 420
    node = "ngf-node"

    def __init__(self, exe, tmp, prefix):
        super().__init__(exe, tmp, prefix)
        self.objs = k8s_objs(0)

    def services_extra(self):
        return "".join(""",
	{{ name = "churn{i}"; protocol = "tcp"; port = 80; vips = ["198.19.2.{v}"];
		backends = ({b}); }}""".format(i=i, v=i + 1, b=ft.backend_list(ft.TCP_PORT))
                       for i in range(CHURN))

    def main(self, names, objs=(), after=None):
        return super().main(names, self.objs, after)

    def sample(self, what):
        m = self.memory()
        return {"what": what, "t": time.monotonic(), "rss": m["rss"],
                "heap": m["heap_allocated"], "malloc": m["malloc_in_use"],
                "mbufs": m["mbufs_in_use"]}

    @staticmethod
    def done(load):
        n = dict(load.n)
        return ("changes %d, reloads %d+%d SIGHUP, k8s changes %d, 410s %d, API restarts %d, "
                "CLI sessions %d (+%d idle), connections %d ok %d failed" % (
                    n["changes"], n["reloads"], n["sighups"], n["k8s_changes"], n["gone410"],
                    n["api_restarts"], n["sessions"], n["idle_sessions"], n["conns_ok"],
                    n["conns_failed"]))

    def line(self, s, load):
        return ("soak %-9s rss %7.1f MiB  DPDK heap %7.1f MiB  malloc %5.1f MiB  mbufs in use "
                "%5d  | %s" % (s["what"], s["rss"] / MIB, s["heap"] / MIB, s["malloc"] / MIB,
                               s["mbufs"], self.done(load)))

    def t_soak(self):
        t0 = time.monotonic()
        deadline = t0 + MINUTES * 60
        stop, ready = os.path.join(self.tmp, "stop"), os.path.join(self.tmp, "ready")
        s = self.client("stream", "stream", "--udp", "%s:53" % ft.VIP_UDP, "--sport", 40053,
                        "--tcp", "%s:80" % ft.VIP_TCP, "--interval", 0.02, "--tcp-interval",
                        0.05, "--duration", MINUTES * 60 + 60, "--stop-file", stop,
                        "--ready-file", ready, "--timeout", 3, timeout=MINUTES * 60 + 180)
        load = Load(self, deadline)
        samples = []
        try:
            ft.wait_file(ready, "first echo of the stream")
            load.start()
            time.sleep(WARMUP_S)
            samples.append(self.sample("start"))
            print(self.line(samples[-1], load), flush=True)
            minute = 1
            while time.monotonic() < deadline:
                time.sleep(max(0.0, min(deadline, t0 + 60 * minute) - time.monotonic()))
                if time.monotonic() >= t0 + 60 * minute - 0.5:
                    samples.append(self.sample("minute %d" % minute))
                    print(self.line(samples[-1], load), flush=True)
                    minute += 1
            stuck = load.stop()
            open(stop, "w").close()
            r = s.result()
        finally:
            load.stop()
            s.kill()
        check(not stuck, "the load's threads ended", stuck)
        check(self.gw.proc.poll() is None, "nodegw alive after the soak")
        # Settled: nothing waits for a commit or a grace period, the watcher synced.
        ft.wait_for(lambda: (lambda r: not r["dirty"] and r["pending_free"] == 0)(
            self.cli_json("show ruleset")), "ruleset settled", 20)
        ft.wait_for(lambda: (lambda k: k["pending_groups"] == 0 and all(
            k[r]["state"] == "watching" for r in ("services", "endpointslices")) and
            k["nodegw_services"] == K8S_SERVICES)(self.cli_json("show k8s")),
            "watcher watching, in sync, %d services" % K8S_SERVICES, 30)
        time.sleep(1.0)
        samples.append(self.sample("end"))
        print(self.line(samples[-1], load), flush=True)
        a, z = samples[0], samples[-1]
        growth = {k: z[k] - a[k] for k in ("rss", "heap", "malloc", "mbufs")}
        self.figure("soak %.0f min: RSS %+.1f MiB, DPDK heap %+.2f MiB, malloc %+.2f MiB, "
                    "mbufs in use %+d (from after the warm-up to the end); %s; stream %d/%d "
                    "echoed, TCP %d/%d answered" % (
                        MINUTES, growth["rss"] / MIB, growth["heap"] / MIB,
                        growth["malloc"] / MIB, growth["mbufs"], self.done(load), r["echoed"],
                        r["sent"], r["tcp"]["answered"], r["tcp"]["requests"]))
        check(not load.errors and load.n["refused"] == 0 and load.n["conns_failed"] == 0,
              "every change, reload, command and connection succeeded", load.errors)
        check(load.n["changes"] >= CHANGES_PER_S * (MINUTES * 60 - 5) * 0.9,
              "%d changes a second" % CHANGES_PER_S, load.n)
        lost = r["sent"] - r["echoed"]
        t = r["tcp"]
        check(r["sent"] > 0 and lost == 0, "untouched UDP stream: nothing lost",
              {k: r[k] for k in ("sent", "echoed", "send_errors", "backends")})
        check(t["error"] is None and t["answered"] == t["requests"],
              "untouched TCP connection: every request answered", t)
        check(growth["heap"] <= BOUND_HEAP and growth["malloc"] <= BOUND_MALLOC and
              growth["mbufs"] <= BOUND_MBUFS_PER_WORKER * self.workers and
              growth["rss"] <= BOUND_RSS,
              "memory within the bounds (heap %d, malloc %d, mbufs %d, RSS %d)" % (
                  BOUND_HEAP, BOUND_MALLOC, BOUND_MBUFS_PER_WORKER * self.workers, BOUND_RSS),
              growth)


if __name__ == "__main__":
    sys.exit(ft.main(__file__, __doc__, Soak))
