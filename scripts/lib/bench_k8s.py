#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Kubernetes scale run: S services x E endpoints through the watcher.

usage: bench_k8s.py NODEGW OUTDIR [--sizes 10k,50k,100k | --services S]
                    [--endpoints 10] [--changes 1000] [--gap-ms 25]
                    [--probe-ms 20] [--perf] [--huge] [--check]

For each size S (--sizes, default 10k,50k,100k; --services gives one): a fake
API server (tests/k8s/fake_apiserver.py --scale SxE --prepare-lists 500: every
5th service has a second port, so 10,000 services make 12,000 nodegw
services; every list page is built and gzipped before nodegw starts, so the
server's part of a list is its writes) serves the objects over TLS on
127.0.0.1; nodegw runs on net_null ports that receive nothing (no-rx=1) with
--no-huge (or, with --huge, on 2 MiB hugepages as deployed: EAL --in-memory),
its own --file-prefix and a free CLI port. With --huge the free hugepages
(up to 2 GiB) are touched once before the first size, as a running node's
pool is: on a VM the first use of a reserved page makes the host back it.

It reports, per size:
  - the initial sync: from the watcher's start to both lists applied to the
    control API (nodegw's own figure, show k8s initial_sync_ms), and from
    nodegw's start until the ruleset holding every service is published
    (nodegw's own timestamp of that publish, show startup json; the time this
    driver's 20 ms polling saw it is kept as published_polled_s, and is the
    figure for a nodegw without show startup);
  - nodegw's start-up (show startup json): exec to main(), EAL, the init
    steps (wall, and CPU of the control thread), ready;
  - memory: RSS, hugepages mapped (with --huge; not part of the RSS) and DPDK
    heap of nodegw with the objects, against the same nodegw without a
    kubernetes section, and the ruleset's bytes;
  - the event-to-data-path latency over CHANGES single-endpoint changes (one
    EndpointSlice MODIFIED event each, GAP ms apart so that each is its own
    commit): from the arrival of the event's bytes at nodegw to the end of
    the grace period after the ruleset carrying it was published, when every
    worker uses it (show ruleset after clear ruleset), p50 and p99;
  - `show services NAME` answered (connect, command, reply, close), one probe
    every PROBE ms from a thread of its own, during the initial sync and
    during the changes: p50, p99, max; and one full `show services` at the end;
  - CPU seconds and share of the wall time of nodegw (all threads, and its
    control core alone), the fake server and this driver, per phase; and the
    load average (1 min) at the start and the end of each phase, since the
    machine may be shared; and the machine's speed: the CPU time of a fixed
    loop on the control core's CPU before the sync and after the changes
    (a VM may run everything slower for a while, with no load to show it).

With --perf, `perf record` samples nodegw's control core (DWARF call
graphs, 250 Hz) during the sync and during the changes into
OUTDIR/perf-SIZE-{sync,changes}.data (for `perf report -i`); the sampling
slows nodegw down, so such a run gives profiles, not figures.

Writes OUTDIR/k8s_scale.json ({"runs": [one object per size]}) and prints a
markdown table. --check asserts only that every step completed and the
numbers are well-formed (used by scripts/test.sh with small sizes), never a
speed. Loopback only; every wait is bounded; every process is stopped at the
end, failure included.
"""
import argparse
import json
import mmap
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "k8s"))
import k8s_admin  # noqa: E402
import k8s_objects as ko  # noqa: E402
import ngproc  # noqa: E402
from ngproc import cli, cli_json  # noqa: E402

PAGE_SIZE = 500
CLK_TCK = os.sysconf("SC_CLK_TCK")


def warm_hugepages(limit_mb=2048):
    """Touch the free 2 MiB hugepages once (up to limit_mb), as a node whose
    pool has been in use is. On a VM a page's first use after the pool was
    reserved makes the host back it (~1.5 ms per MiB on the development VM;
    a pool page is not handed back to the host after that): without this the
    first run after bench.sh's reservation would measure the host, not nodegw.
    Returns the MiB touched and the seconds it took."""
    mnt = None
    with open("/proc/mounts") as f:
        for line in f:
            p = line.split()
            if len(p) > 3 and p[2] == "hugetlbfs" and "pagesize=1024M" not in p[3]:
                mnt = p[1]
                break
    free = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                free = int(line.split()[1])
    mb = min(free * 2, limit_mb)
    if mnt is None or mb == 0:
        return 0, 0.0
    t = time.monotonic()
    path = os.path.join(mnt, "bench-k8s-warm-%d" % os.getpid())
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        os.unlink(path)
        size = mb << 20
        os.ftruncate(fd, size)
        m = mmap.mmap(fd, size)
        try:
            for off in range(0, size, 2 << 20):
                m[off] = 1
        finally:
            m.close()
    except OSError:
        return 0, round(time.monotonic() - t, 2)
    finally:
        os.close(fd)
    return mb, round(time.monotonic() - t, 2)


def cpu_speed_ms(cpu=1 if (os.cpu_count() or 1) > 1 else 0):
    """The CPU time of a fixed loop on the control core's CPU, best of three
    (ms): the development VM now and then runs everything about 1.5 times
    slower for minutes, the load average and the waits for a CPU unchanged,
    and this tells those runs apart."""
    old = os.sched_getaffinity(0)
    best = None
    try:
        os.sched_setaffinity(0, {cpu})
        for _ in range(3):
            t = time.thread_time()
            x = 0
            for i in range(1_000_000):
                x ^= i * 2654435761 & 0xffffffff
            ms = (time.thread_time() - t) * 1e3
            best = ms if best is None else min(best, ms)
    except OSError:
        return None
    finally:
        os.sched_setaffinity(0, old)
    return round(best, 1)


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def rss_kib(pid):
    return status_kib(pid, "VmRSS")


def hugetlb_kib(pid):
    """Hugepages mapped by the process (not part of its RSS)."""
    return max(status_kib(pid, "HugetlbPages"), 0)


def cpu_s(pid, tid=None):
    """User + system CPU seconds of a process (all its threads), or of one
    of its threads; None once it is gone."""
    path = "/proc/%d/stat" % pid if tid is None else "/proc/%d/task/%d/stat" % (pid, tid)
    try:
        with open(path) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime, stime


def sched_s(pid, tid):
    """(seconds on a CPU, seconds runnable but waiting for one) of a thread,
    from the scheduler's books (/proc/PID/task/TID/schedstat); None if
    unreadable."""
    try:
        with open("/proc/%d/task/%d/schedstat" % (pid, tid)) as f:
            run_ns, wait_ns = f.read().split()[:2]
    except (OSError, ValueError):
        return None
    return int(run_ns) / 1e9, int(wait_ns) / 1e9


class CpuMeter:
    """CPU seconds of the processes of a run at named marks; phase() gives
    each process's seconds and share of the wall time between two marks, and
    for a thread how its wall time split between running, waiting for a CPU
    (runnable, not scheduled: a loaded machine) and asleep (waiting for
    I/O or a timeout: nodegw's own waits)."""

    def __init__(self):
        self.procs = {}      # name -> (pid, tid)
        self.marks = {}      # mark -> (monotonic, {name: seconds})

    def watch(self, name, pid, tid=None):
        self.procs[name] = (pid, tid)

    def mark(self, mark):
        self.marks[mark] = (time.monotonic(), {n: cpu_s(*p) for n, p in self.procs.items()},
                            {n: sched_s(*p) for n, p in self.procs.items() if p[1] is not None})

    def phase(self, a, b):
        (t0, c0, s0), (t1, c1, s1) = self.marks[a], self.marks[b]
        wall = t1 - t0
        out = {"wall_s": round(wall, 2)}
        for n in self.procs:
            if c0.get(n) is not None and c1.get(n) is not None:
                out[n + "_cpu_s"] = round(c1[n] - c0[n], 2)
                out[n + "_share"] = round((c1[n] - c0[n]) / wall, 3) if wall > 0 else None
            if s0.get(n) is not None and s1.get(n) is not None:
                run, wait = s1[n][0] - s0[n][0], s1[n][1] - s0[n][1]
                out[n + "_run_s"] = round(run, 2)
                out[n + "_cpu_wait_s"] = round(wait, 2)
                out[n + "_asleep_s"] = round(max(0.0, wall - run - wait), 2)
        return out


class Prober(threading.Thread):
    """`show services NAME` every interval s, timed, tagged with the phase
    the main thread set (None: paused)."""

    def __init__(self, port, name, interval):
        super().__init__(daemon=True)
        self.port, self.name, self.interval = port, name, interval
        self.phase = None
        self.samples = {}    # phase -> [seconds]
        self.errors = {}     # phase -> count
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            ph = self.phase
            if ph is not None:
                t = time.monotonic()
                try:
                    out = cli(self.port, "show services " + self.name, timeout=10)
                    ok = "services" in out or "no service named" in out
                except OSError:
                    ok = False
                dt = time.monotonic() - t
                self.samples.setdefault(ph, []).append(dt)
                if not ok:
                    self.errors[ph] = self.errors.get(ph, 0) + 1
            self.stopping.wait(self.interval)

    def stop(self):
        self.stopping.set()
        self.join(15)

    def summary(self, ph):
        v = self.samples.get(ph, [])
        return {"probes": len(v), "errors": self.errors.get(ph, 0),
                "p50_ms": ms(percentile(v, 0.5)), "p99_ms": ms(percentile(v, 0.99)),
                "max_ms": ms(max(v) if v else None)}


def ms(s):
    return None if s is None else round(s * 1e3, 2)


def wait(pred, what, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            v = pred()
            if v:
                return v
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.02)
    raise RuntimeError("%s: not within %d s" % (what, timeout))


def conf_text(tmp, cli_port, api_port, k8s):
    text = """log_level = "notice";
workers = {{ idle_sleep_us = 100; }};
cli = {{ port = {cli}; }};
conntrack = {{ max_entries = 16384; }};
ports = (
	{{ name = "a"; devargs = "net_null0,no-rx=1"; addresses = ["198.18.0.1/24"]; }},
	{{ name = "b"; devargs = "net_null1,no-rx=1"; addresses = ["198.18.1.1/24"]; }}
);
routes = (
	{{ prefix = "{pods}"; via = "198.18.1.254"; }},
	{{ prefix = "{changes}"; via = "198.18.1.254"; }}
);
""".format(cli=cli_port, pods=ko.SCALE_POD_NET, changes=ko.SCALE_CHANGE_NET)
    if k8s:
        text += """kubernetes = {{
	server = "https://127.0.0.1:{api}";
	token_file = "{tmp}/token";
	ca_file = "{tmp}/certs/ca.crt";
	node_name = "node-00";
	page_size = {page};
}};
""".format(api=api_port, tmp=tmp, page=PAGE_SIZE)
    return text


def mem_mb(services):
    """DPDK memory (-m) for a size: the ruleset is ~5 KiB per service, and a
    commit holds two frontend indexes for a while."""
    return max(1024, services // 25)


def start_gw(exe, tmp, tag, conf_fn, services, huge=False):
    """A nodegw (scripts/lib/ngproc.py) on conf_fn(cli_port), ready; on
    hugepages where huge."""
    return ngproc.Nodegw(exe, tmp, tag, stem="ngbk", mem=mem_mb(services), quiet=True,
                         huge=huge).start(
        conf_fn, lcores="0@0,1@%d" % (1 if os.cpu_count() > 1 else 0), timeout=120)


def percentile(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else None


def load1():
    return round(os.getloadavg()[0], 2)


class Perf:
    """perf record of one thread into a file, from start() to stop()."""

    def __init__(self, enabled, outdir, tid):
        self.enabled, self.outdir, self.tid = enabled, outdir, tid
        self.proc = None

    def start(self, name):
        if self.enabled:
            self.proc = subprocess.Popen(
                ["perf", "record", "-q", "-F", "250", "--call-graph", "dwarf,16384", "-t",
                 str(self.tid), "-o", os.path.join(self.outdir, "perf-%s.data" % name)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None


def run(a, tmp, services):
    certs = os.path.join(tmp, "certs")
    if not os.path.isdir(certs):
        subprocess.run(["bash", os.path.join(REPO, "tests", "k8s", "gen_certs.sh"), certs],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)
        with open(os.path.join(tmp, "token"), "w") as f:
            f.write("bench-token\n")
    res = {"services": services, "endpoints_per_service": a.endpoints, "changes": a.changes,
           "memory": "hugepages (2 MiB)" if a.huge else "no hugepages (--no-huge)",
           "date": time.strftime("%Y-%m-%d %H:%M"), "load1": {"start": load1()}}

    # Baseline memory: the same gateway without the watcher.
    g0 = start_gw(a.nodegw, tmp, "base", lambda p: conf_text(tmp, p, 0, False), services,
                  a.huge)
    try:
        time.sleep(0.5)
        res["baseline_rss_kib"] = rss_kib(g0.proc.pid)
        res["baseline_hugetlb_kib"] = hugetlb_kib(g0.proc.pid)
        res["baseline_heap_bytes"] = cli_json(g0.port, "show memory").get("heap_allocated")
    finally:
        g0.stop()

    t = time.monotonic()
    api_log = open(os.path.join(tmp, "api.log"), "w")
    api, api_port, admin_port = k8s_admin.start_server(
        ["--port", "0", "--admin-port", "0", "--tls-cert", os.path.join(certs, "server.crt"),
         "--tls-key", os.path.join(certs, "server.key"), "--token-file",
         os.path.join(tmp, "token"), "--scale", "%dx%d" % (services, a.endpoints),
         "--prepare-lists", str(PAGE_SIZE), "--chunking", "line",
         "--bookmark-interval", "30", "--quiet"],
        stderr=api_log, timeout=1800)
    res["fake_api_start_s"] = round(time.monotonic() - t, 2)
    admin = k8s_admin.Admin(admin_port, timeout=60)
    cpu = CpuMeter()
    cpu.watch("fake_api", api.pid)
    cpu.watch("driver", os.getpid())
    gw = prober = perf = None
    try:
        res["load1"]["sync_start"] = load1()
        res["cpu_speed_ms"] = {"before": cpu_speed_ms()}
        gw = start_gw(a.nodegw, tmp, "k8s", lambda p: conf_text(tmp, p, api_port, True),
                      services, a.huge)
        cpu.watch("nodegw", gw.proc.pid)
        cpu.watch("nodegw_control", gw.proc.pid, gw.proc.pid)
        cpu.mark("ready")
        perf = Perf(a.perf, a.outdir, gw.proc.pid)
        perf.start("%d-sync" % services)
        prober = Prober(gw.port, "scale-0/svc-00000:http", a.probe_ms / 1000.0)
        prober.phase = "sync"
        prober.start()
        k = wait(lambda: (lambda j: j if j.get("initial_sync_ms", -1) >= 0 else None)(
            cli_json(gw.port, "show k8s")), "initial sync", 1800)
        res["initial_sync_ms"] = round(k["initial_sync_ms"], 1)
        want = k["nodegw_services"]
        res["nodegw_services"] = want
        rs = wait(lambda: (lambda j: j if j["services"] >= want and not j["dirty"] else None)(
            cli_json(gw.port, "show ruleset")), "ruleset with every service", 600)
        polled = time.monotonic() - gw.t_start
        cpu.mark("published")
        res["published_polled_s"] = round(polled, 2)
        res["published_after_start_s"] = round(polled, 2)
        res["startup"] = startup_times(gw)
        if res["startup"].get("published_s") is not None:
            res["published_after_start_s"] = res["startup"]["published_s"]
        prober.phase = None
        perf.stop()
        res["load1"]["sync_end"] = load1()
        res["ruleset_bytes"] = rs["bytes"]
        res["ruleset_build_us"] = rs["build_us"]
        # The longest turn of the watcher and commit slice during the sync, wall
        # and CPU (absent from a nodegw before they were measured).
        ks = cli_json(gw.port, "show k8s")
        res["longest"] = {"watcher_ms": ks.get("longest_poll_ms"),
                          "watcher_cpu_ms": ks.get("longest_poll_cpu_ms"),
                          "commit_ms": rs.get("longest_slice_ms"),
                          "commit_cpu_ms": rs.get("longest_slice_cpu_ms"),
                          "list_pages": ks.get("list_pages"),
                          "list_page_slices": ks.get("list_page_slices")}
        mem = cli_json(gw.port, "show memory")
        res["rss_kib"] = rss_kib(gw.proc.pid)
        res["hugetlb_kib"] = hugetlb_kib(gw.proc.pid)
        res["heap_bytes"] = mem.get("heap_allocated")
        res["rss_delta_kib"] = res["rss_kib"] - res["baseline_rss_kib"]
        res["rss_per_endpoint_bytes"] = round(res["rss_delta_kib"] * 1024 /
                                              (services * a.endpoints), 1)
        res["fake_api_rss_kib"] = rss_kib(api.pid)

        # Single-endpoint changes: rewrite one endpoint address of one slice
        # (to one of SCALE_CHANGE_NET, routed like the pods and used by no
        # other endpoint). Only the slices changed are built here.
        slices = {}
        change_net = ko.SCALE_CHANGE_NET
        rnd = random.Random(7)
        cli(gw.port, "clear ruleset")
        ev0 = k["endpointslices"]["events"]
        res["load1"]["changes_start"] = load1()
        cpu.mark("changes")
        prober.phase = "changes"
        perf.start("%d-changes" % services)
        t0 = time.monotonic()
        for i in range(a.changes):
            idx = rnd.randrange(services)
            if idx not in slices:
                slices[idx] = ko.scale_pair(idx, a.endpoints, managed_fields=False)[1]
            sl = slices[idx]
            ep = sl["endpoints"][rnd.randrange(len(sl["endpoints"]))]
            ep["addresses"] = [str(change_net[1 + i % (change_net.num_addresses - 2)])]
            admin.apply(sl)
            time.sleep(a.gap_ms / 1000.0)
        res["changes_wall_s"] = round(time.monotonic() - t0, 2)
        k2 = wait(lambda: (lambda j: j if j["endpointslices"]["events"] - ev0 >= a.changes
                           else None)(cli_json(gw.port, "show k8s")), "all change events", 60)
        time.sleep(0.5)
        prober.phase = None
        cpu.mark("changes_end")
        perf.stop()
        res["load1"]["changes_end"] = load1()
        res["cpu_speed_ms"]["after"] = cpu_speed_ms()
        rs = cli_json(gw.port, "show ruleset")
        res["latency_samples"] = rs["latency_samples"]
        res["latency_p50_us"] = round(rs["latency_p50_us"], 1)
        res["latency_p99_us"] = round(rs["latency_p99_us"], 1)
        res["latency_max_us"] = round(rs["latency_max_us"], 1)
        res["last_build_us"] = round(rs["build_us"], 1)
        # The frontend index and what the last (one-endpoint) commit copied of
        # it; absent from a nodegw before the chunked index.
        res["index_bytes"] = rs.get("index_bytes")
        res["copied_bytes"] = rs.get("copied_bytes")
        res["events_received"] = k2["endpointslices"]["events"] - ev0
        res["watcher_errors"] = k2["services"]["errors"] + k2["endpointslices"]["errors"]
        res["apply_errors"] = k2["apply_errors"]
        res["show_services"] = {ph: prober.summary(ph) for ph in ("sync", "changes")}
        t = time.monotonic()
        full = cli(gw.port, "show services", timeout=120)
        res["show_services_full"] = {"ms": ms(time.monotonic() - t), "bytes": len(full),
                                     "complete": "%d services" % want in full}
        res["cpu_sync"] = cpu.phase("ready", "published")
        res["cpu_changes"] = cpu.phase("changes", "changes_end")
        res["fake_api_list_pages"] = admin.stats(log=0).get("list_pages")
        res["vip_route_failures"] = gw.log().count("VIP route add")
        res["cpu"] = cpu_model()
    finally:
        if perf is not None:
            perf.stop()
        if prober is not None:
            prober.stop()
        if gw is not None:
            gw.stop()
        k8s_admin.stop_server(api)
        api_log.close()
    return res


def startup_times(gw):
    """nodegw's own start-up timeline (show startup json, CLOCK_MONOTONIC like
    time.monotonic()), against this driver's start of the process: exec to
    main(), each piece (config, EAL, init steps: wall and CPU ms), ready, and
    the publish of the first complete ruleset, so "published" is the moment
    nodegw published and not this driver's next poll. {} from a nodegw
    without the command."""
    try:
        j = cli_json(gw.port, "show startup")
    except (OSError, ValueError):
        return {}
    if not isinstance(j, dict) or "main_s" not in j:
        return {}
    out = {"exec_to_main_s": round(j["main_s"] - gw.t_start, 3),
           "ready_s": round(j["ready_s"] - gw.t_start, 3),
           "pieces": {p["name"]: [round(p["wall_ms"], 1), round(p["cpu_ms"], 1)]
                      for p in j["pieces"]}}
    if j.get("synced_s") is not None:
        out["published_s"] = round(j["synced_s"] - gw.t_start, 3)
    return out


def fmt_startup(r):
    s = r.get("startup") or {}
    if not s:
        return "(not reported)"
    p = s["pieces"]
    steps = [v for k, v in p.items() if k not in ("config", "EAL")]
    return "%.0f ms: to main() %.0f, EAL %.0f (CPU %.0f), init steps %.0f (CPU %.0f; mempool " \
        "%.0f)" % (1e3 * s["ready_s"], 1e3 * s["exec_to_main_s"],
                   p.get("EAL", [0, 0])[0], p.get("EAL", [0, 0])[1],
                   sum(v[0] for v in steps), sum(v[1] for v in steps),
                   p.get("mempool", [0, 0])[1])


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def fmt_cpu(c):
    return "nodegw %.0f%% (control core %.0f%%), fake server %.0f%%, driver %.0f%%" % (
        100 * (c.get("nodegw_share") or 0), 100 * (c.get("nodegw_control_share") or 0),
        100 * (c.get("fake_api_share") or 0), 100 * (c.get("driver_share") or 0))


def fmt_sched(c):
    if c.get("nodegw_control_run_s") is None:
        return "(no schedstat)"
    return "%.2f / %.2f / %.2f s of %.2f s" % (
        c["nodegw_control_run_s"], c["nodegw_control_cpu_wait_s"],
        c["nodegw_control_asleep_s"], c["wall_s"])


def fmt_probe(p):
    if not p["probes"]:
        return "no probe"
    return "p50 %.1f / p99 %.1f / max %.1f ms (%d probes%s)" % (
        p["p50_ms"], p["p99_ms"], p["max_ms"], p["probes"],
        ", %d failed" % p["errors"] if p["errors"] else "")


def fmt_longest(r):
    g = r.get("longest") or {}
    if g.get("watcher_ms") is None:
        return "(not reported)"
    return "%.1f ms (%.1f CPU) / %.1f ms (%.1f CPU)" % (
        g["watcher_ms"], g["watcher_cpu_ms"], g["commit_ms"] or 0, g["commit_cpu_ms"] or 0)


def table(runs):
    rows = [
        ("services x endpoints (nodegw services)", lambda r: "%d x %d (%d)" % (
            r["services"], r["endpoints_per_service"], r["nodegw_services"])),
        ("load average (1 min) at start / end of sync / end of changes", lambda r: "%s / %s / %s"
         % (r["load1"]["sync_start"], r["load1"]["sync_end"], r["load1"]["changes_end"])),
        ("the machine's speed: a fixed loop's CPU time before the sync / after the changes",
         lambda r: "%s / %s ms" % (r.get("cpu_speed_ms", {}).get("before"),
                                   r.get("cpu_speed_ms", {}).get("after"))),
        ("initial sync (watcher start to applied)", lambda r: "%.0f ms" % r["initial_sync_ms"]),
        ("nodegw start to ruleset published (nodegw's publish; this driver's poll)",
         lambda r: "%.2f s (%.2f s)" % (r["published_after_start_s"],
                                        r.get("published_polled_s", 0))),
        ("exec to ready (nodegw's timeline, wall; CPU of the control thread)", fmt_startup),
        ("CPU share during the sync", lambda r: fmt_cpu(r["cpu_sync"])),
        ("CPU seconds of nodegw's control core during the sync",
         lambda r: "%.2f s" % r["cpu_sync"].get("nodegw_control_cpu_s", -1)),
        ("control core during the sync: running / waiting for a CPU / asleep",
         lambda r: fmt_sched(r["cpu_sync"])),
        ("DPDK memory", lambda r: r.get("memory", "no hugepages (--no-huge)")),
        ("RSS with the objects / without the watcher", lambda r: "%d MiB / %d MiB (+%d MiB, "
         "%.0f B per endpoint)" % (r["rss_kib"] // 1024, r["baseline_rss_kib"] // 1024,
                                   r["rss_delta_kib"] // 1024, r["rss_per_endpoint_bytes"])),
        ("hugepages mapped (not in the RSS) with the objects / without the watcher; RSS + "
         "hugepages", lambda r: "%d MiB / %d MiB; %d MiB" % (
             r["hugetlb_kib"] // 1024, r["baseline_hugetlb_kib"] // 1024,
             (r["rss_kib"] + r["hugetlb_kib"]) // 1024) if r.get("hugetlb_kib") else "none"),
        ("ruleset", lambda r: "%.1f MiB; build of the first complete one %.0f ms, of the last "
         "%.0f us" % (r["ruleset_bytes"] / 1048576.0, r["ruleset_build_us"] / 1e3,
                      r["last_build_us"])),
        ("frontend index / copied by the last commit", lambda r: "%.2f MiB / %.1f KiB" % (
            r["index_bytes"] / 1048576.0, r["copied_bytes"] / 1024.0)
         if r.get("copied_bytes") is not None else "(not reported: the index was copied whole)"),
        ("event to data path (samples)", lambda r: "p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d)"
         % (r["latency_p50_us"] / 1e3, r["latency_p99_us"] / 1e3, r["latency_max_us"] / 1e3,
            r["latency_samples"])),
        ("CPU share during the changes", lambda r: fmt_cpu(r["cpu_changes"])),
        ("`show services NAME` during the sync", lambda r: fmt_probe(r["show_services"]["sync"])),
        ("longest turn during the sync: watcher / commit slice (wall, CPU)", fmt_longest),
        ("`show services NAME` during the changes",
         lambda r: fmt_probe(r["show_services"]["changes"])),
        ("full `show services` after the changes", lambda r: "%.0f ms (%.1f MB)" % (
            r["show_services_full"]["ms"], r["show_services_full"]["bytes"] / 1e6)
         if r["show_services_full"]["complete"] else "cut short after %.1f MB (%.0f ms)" % (
            r["show_services_full"]["bytes"] / 1e6, r["show_services_full"]["ms"])),
        ("VIP routes refused (FIB full)", lambda r: str(r["vip_route_failures"])),
        ("fake server start (generate, load, prepare pages)",
         lambda r: "%.0f s" % r["fake_api_start_s"]),
    ]
    out = "| Kubernetes scale run |" + "".join(" %d |" % r["services"] for r in runs) + "\n"
    out += "|---|" + "---|" * len(runs) + "\n"
    for name, f in rows:
        out += "| %s |" % name + "".join(" %s |" % f(r) for r in runs) + "\n"
    out += "\nCPU: %s\n" % (runs[0]["cpu"] if runs else "?")
    return out


def size(s):
    s = s.strip().lower()
    return int(float(s[:-1]) * 1000) if s.endswith("k") else int(s)


def check(a, r):
    bad = [k for k in ("initial_sync_ms", "latency_p50_us", "latency_p99_us", "rss_kib")
           if not isinstance(r.get(k), (int, float)) or r[k] < 0]
    if r["events_received"] < a.changes:
        bad.append("events_received %d < %d" % (r["events_received"], a.changes))
    if r["latency_samples"] < 1:
        bad.append("no latency samples")
    if r["apply_errors"]:
        bad.append("%d changes refused by the control API" % r["apply_errors"])
    if r["nodegw_services"] < r["services"]:
        bad.append("nodegw_services %d < %d" % (r["nodegw_services"], r["services"]))
    for ph in ("sync", "changes"):
        p = r["show_services"][ph]
        if ph == "changes" and p["probes"] < 1:
            bad.append("no show services probe during the %s" % ph)
        if p["errors"]:
            bad.append("%d show services probes failed during the %s" % (p["errors"], ph))
    for ph in ("cpu_sync", "cpu_changes"):
        if not isinstance(r[ph].get("fake_api_cpu_s"), float):
            bad.append("no CPU figure of the fake server (%s)" % ph)
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("nodegw")
    ap.add_argument("outdir")
    ap.add_argument("--sizes", default="10k,50k,100k",
                    help="comma list of service counts (10k = 10000)")
    ap.add_argument("--services", type=int, help="one size (instead of --sizes)")
    ap.add_argument("--endpoints", type=int, default=10)
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--gap-ms", type=float, default=25)
    ap.add_argument("--probe-ms", type=float, default=20,
                    help="pause between two show services probes")
    ap.add_argument("--perf", action="store_true",
                    help="perf record nodegw's control core into OUTDIR (profiles)")
    ap.add_argument("--huge", action="store_true",
                    help="run nodegw on hugepages (EAL --in-memory) as deployed; needs root "
                    "and free 2 MiB hugepages (scripts/bench.sh --k8s reserves them)")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    sizes = [a.services] if a.services else [size(s) for s in a.sizes.split(",")]
    if any(s < 1 or s > ko.SCALE_MAX_SERVICES for s in sizes):
        ap.error("sizes go from 1 to %d services" % ko.SCALE_MAX_SERVICES)
    os.makedirs(a.outdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="nodegw-bench-k8s.")
    runs = []
    rc = 0
    if a.huge:
        mb, sec = warm_hugepages()
        print("bench_k8s: hugepages: touched %d MiB of the free pool once in %.2f s" % (mb, sec),
              flush=True)
    try:
        for s in sizes:
            print("bench_k8s: %d services x %d endpoints (load average %s)"
                  % (s, a.endpoints, load1()), flush=True)
            try:
                runs.append(run(a, tmp, s))
            except Exception as e:  # noqa: BLE001
                print("bench_k8s: %d services FAILED: %s" % (s, e))
                for name in ("k8s.log", "base.log", "api.log"):
                    p = os.path.join(tmp, name)
                    if os.path.exists(p):
                        print("---- %s (tail) ----\n%s" % (name, open(p).read()[-3000:]))
                rc = 1
                break
            with open(os.path.join(a.outdir, "k8s_scale.json"), "w") as f:
                json.dump({"runs": runs}, f, indent=1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if runs:
        print(table(runs))
    if rc or not a.check:
        return rc
    bad = ["%d services: %s" % (r["services"], b) for r in runs for b in check(a, r)]
    if bad:
        print("bench_k8s: --check failed: %s" % ", ".join(bad))
        return 1
    print("bench_k8s: --check passed (completion and well-formed numbers only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
