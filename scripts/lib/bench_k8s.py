#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Kubernetes scale run: S services x E endpoints through the watcher.

usage: bench_k8s.py NODEGW OUTDIR [--services 10000] [--endpoints 10]
                    [--changes 1000] [--gap-ms 25] [--check]

A fake API server (tests/k8s/fake_apiserver.py --scale SxE: every 5th service
has a second port, so 10,000 services make 12,000 nodegw services) serves the
objects over TLS on 127.0.0.1; nodegw runs on net_null ports that receive
nothing (no-rx=1) with --no-huge, its own --file-prefix and a free CLI port.

It reports:
  - the initial sync: from the watcher's start to both lists applied to the
    control API (nodegw's own figure, show k8s initial_sync_ms), and until
    the ruleset holding every service is published (polled every 20 ms);
  - memory: RSS and DPDK heap of nodegw with the objects, against the same
    nodegw without a kubernetes section, and the ruleset's bytes;
  - the event-to-data-path latency over CHANGES single-endpoint changes (one
    EndpointSlice MODIFIED event each, GAP ms apart so that each is its own
    commit): from the arrival of the event's bytes at nodegw to the end of
    the grace period after the ruleset carrying it was published, when every
    worker uses it (show ruleset after clear ruleset), p50 and p99.

Writes OUTDIR/k8s_scale.json and prints a markdown table. --check asserts only
that every step completed and the numbers are well-formed (used by
scripts/test.sh with small sizes), never a speed. Loopback only; every wait is
bounded; both processes are stopped at the end, failure included.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "k8s"))
import k8s_admin  # noqa: E402
import k8s_objects as ko  # noqa: E402
import ngproc  # noqa: E402
from ngproc import cli, cli_json  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


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
routes = ( {{ prefix = "198.18.128.0/17"; via = "198.18.1.254"; }} );
""".format(cli=cli_port)
    if k8s:
        text += """kubernetes = {{
	server = "https://127.0.0.1:{api}";
	token_file = "{tmp}/token";
	ca_file = "{tmp}/certs/ca.crt";
	node_name = "node-00";
	page_size = 500;
}};
""".format(api=api_port, tmp=tmp)
    return text


def start_gw(exe, tmp, tag, conf_fn):
    """A nodegw (scripts/lib/ngproc.py) on conf_fn(cli_port), ready."""
    return ngproc.Nodegw(exe, tmp, tag, stem="ngbk", mem=1024, quiet=True).start(
        conf_fn, lcores="0@0,1@%d" % (1 if os.cpu_count() > 1 else 0), timeout=120)


def percentile(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else None


def run(a, tmp):
    certs = os.path.join(tmp, "certs")
    subprocess.run(["bash", os.path.join(REPO, "tests", "k8s", "gen_certs.sh"), certs],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    with open(os.path.join(tmp, "token"), "w") as f:
        f.write("bench-token\n")
    res = {"services": a.services, "endpoints_per_service": a.endpoints, "changes": a.changes}

    # Baseline memory: the same gateway without the watcher.
    g0 = start_gw(a.nodegw, tmp, "base", lambda p: conf_text(tmp, p, 0, False))
    try:
        time.sleep(0.5)
        res["baseline_rss_kib"] = rss_kib(g0.proc.pid)
        res["baseline_heap_bytes"] = cli_json(g0.port, "show memory").get("heap_allocated")
    finally:
        g0.stop()

    t = time.monotonic()
    api, api_port, admin_port = k8s_admin.start_server(
        ["--port", "0", "--admin-port", "0", "--tls-cert", os.path.join(certs, "server.crt"),
         "--tls-key", os.path.join(certs, "server.key"), "--token-file",
         os.path.join(tmp, "token"), "--scale", "%dx%d" % (a.services, a.endpoints),
         "--chunking", "line", "--bookmark-interval", "30", "--quiet"],
        stderr=open(os.path.join(tmp, "api.log"), "w"), timeout=300)
    res["fake_api_start_s"] = round(time.monotonic() - t, 2)
    admin = k8s_admin.Admin(admin_port, timeout=60)
    gw = None
    try:
        gw = start_gw(a.nodegw, tmp, "k8s", lambda p: conf_text(tmp, p, api_port, True))
        k = wait(lambda: (lambda j: j if j.get("initial_sync_ms", -1) >= 0 else None)(
            cli_json(gw.port, "show k8s")), "initial sync", 600)
        res["initial_sync_ms"] = round(k["initial_sync_ms"], 1)
        want = k["nodegw_services"]
        res["nodegw_services"] = want
        rs = wait(lambda: (lambda j: j if j["services"] >= want and not j["dirty"] else None)(
            cli_json(gw.port, "show ruleset")), "ruleset with every service", 120)
        res["published_after_start_s"] = round(time.monotonic() - gw.t_start, 2)
        res["ruleset_bytes"] = rs["bytes"]
        res["ruleset_build_us"] = rs["build_us"]
        mem = cli_json(gw.port, "show memory")
        res["rss_kib"] = rss_kib(gw.proc.pid)
        res["heap_bytes"] = mem.get("heap_allocated")
        res["rss_delta_kib"] = res["rss_kib"] - res["baseline_rss_kib"]
        res["rss_per_endpoint_bytes"] = round(res["rss_delta_kib"] * 1024 /
                                              (a.services * a.endpoints), 1)

        # Single-endpoint changes: rewrite one endpoint address of one slice.
        slices = [o for o in ko.scale_objects(a.services, a.endpoints, managed_fields=False)
                  if o["kind"] == "EndpointSlice"]
        rnd = random.Random(7)
        cli(gw.port, "clear ruleset")
        ev0 = k["endpointslices"]["events"]
        t0 = time.monotonic()
        for i in range(a.changes):
            sl = slices[rnd.randrange(len(slices))]
            ep = sl["endpoints"][rnd.randrange(len(sl["endpoints"]))]
            n = 1 + i % 250
            ep["addresses"] = ["198.18.%d.%d" % (100 + (i // 250) % 20, n)]
            admin.apply(sl)
            time.sleep(a.gap_ms / 1000.0)
        res["changes_wall_s"] = round(time.monotonic() - t0, 2)
        k2 = wait(lambda: (lambda j: j if j["endpointslices"]["events"] - ev0 >= a.changes
                           else None)(cli_json(gw.port, "show k8s")), "all change events", 60)
        time.sleep(0.5)
        rs = cli_json(gw.port, "show ruleset")
        res["latency_samples"] = rs["latency_samples"]
        res["latency_p50_us"] = round(rs["latency_p50_us"], 1)
        res["latency_p99_us"] = round(rs["latency_p99_us"], 1)
        res["latency_max_us"] = round(rs["latency_max_us"], 1)
        res["events_received"] = k2["endpointslices"]["events"] - ev0
        res["watcher_errors"] = k2["services"]["errors"] + k2["endpointslices"]["errors"]
        res["cpu"] = cpu_model()
    finally:
        if gw is not None:
            gw.stop()
        k8s_admin.stop_server(api)
    return res


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def table(r):
    rows = [
        ("services x endpoints", "%d x %d (%d nodegw services)" % (r["services"],
                                                                r["endpoints_per_service"],
                                                                r["nodegw_services"])),
        ("initial sync (watcher start to applied)", "%.0f ms" % r["initial_sync_ms"]),
        ("nodegw start to ruleset published", "%.2f s" % r["published_after_start_s"]),
        ("RSS with the objects / without the watcher", "%d MiB / %d MiB (+%d MiB, %.0f B per "
         "endpoint)" % (r["rss_kib"] // 1024, r["baseline_rss_kib"] // 1024,
                        r["rss_delta_kib"] // 1024, r["rss_per_endpoint_bytes"])),
        ("ruleset", "%.1f MiB, last build %.0f us" % (r["ruleset_bytes"] / 1048576.0,
                                                      r["ruleset_build_us"])),
        ("event to data path, %d single-endpoint changes" % r["latency_samples"],
         "p50 %.2f ms, p99 %.2f ms, max %.2f ms" % (r["latency_p50_us"] / 1e3,
                                                     r["latency_p99_us"] / 1e3,
                                                     r["latency_max_us"] / 1e3)),
        ("CPU", r["cpu"]),
    ]
    out = "| Kubernetes scale run | |\n|---|---|\n"
    for k, v in rows:
        out += "| %s | %s |\n" % (k, v)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("nodegw")
    ap.add_argument("outdir")
    ap.add_argument("--services", type=int, default=10000)
    ap.add_argument("--endpoints", type=int, default=10)
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--gap-ms", type=float, default=25)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="nodegw-bench-k8s.")
    try:
        r = run(a, tmp)
    except Exception as e:  # noqa: BLE001
        print("bench_k8s: FAILED: %s" % e)
        for name in ("k8s.log", "base.log"):
            p = os.path.join(tmp, name)
            if os.path.exists(p):
                print("---- %s (tail) ----\n%s" % (name, open(p).read()[-3000:]))
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(a.outdir, "k8s_scale.json"), "w") as f:
        json.dump(r, f, indent=1)
    print(table(r))
    if a.check:
        bad = [k for k in ("initial_sync_ms", "latency_p50_us", "latency_p99_us", "rss_kib")
               if not isinstance(r.get(k), (int, float)) or r[k] < 0]
        if r["events_received"] < a.changes:
            bad.append("events_received %d < %d" % (r["events_received"], a.changes))
        if r["latency_samples"] < 1:
            bad.append("no latency samples")
        if r["nodegw_services"] < a.services:
            bad.append("nodegw_services %d < %d" % (r["nodegw_services"], a.services))
        if bad:
            print("bench_k8s: --check failed: %s" % ", ".join(bad))
            return 1
        print("bench_k8s: --check passed (completion and well-formed numbers only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
