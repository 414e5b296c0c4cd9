#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The watcher at scale, small enough for scripts/test.sh.

usage: test_k8s_scale.py NODEGW

A fake API server with 10,000 Services x 2 endpoints (tests/k8s/fake_apiserver.py
--scale, pages prepared) and a nodegw (no root: --no-huge, its own --file-prefix,
net_null ports; the config of scripts/lib/bench_k8s.py) listing them with pages of
500. Checks:

  - the first sync is applied in slices (doc/architecture.md, "The Kubernetes
    watcher"): `show k8s` counts turns of the control loop that stopped with
    groups left (sync_slices >= 1), and the CLI answered while groups were
    still waiting; in the end every service is applied and published;
  - `show ruleset` says "syncing" until the sync is applied and "synced" once
    every service is published (the commit slices of lib/svc); meanwhile
    `show health` says /healthz answers 503, then 200.

Loopback only; every wait is bounded; both processes are stopped at the end.
Exits 77 (skipped) without the openssl CLI. NODEGW_KEEP_TMP=1 keeps the
directory (logs) when something failed.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "lib"))
import bench_k8s  # noqa: E402
import ngproc  # noqa: E402
from k8s_admin import start_server, stop_server  # noqa: E402
from ngproc import check, cli_json  # noqa: E402

SERVICES = 10000
ENDPOINTS = 2


class Ctx:
    def __init__(self, exe, tmp):
        self.exe, self.tmp = exe, tmp
        self.api = self.api_log = self.gw = None
        self.api_port = None


def setup(x):
    certs = os.path.join(x.tmp, "certs")
    subprocess.run(["sh", os.path.join(HERE, "gen_certs.sh"), certs], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    with open(os.path.join(x.tmp, "token"), "w") as f:
        f.write("scale-token\n")
    x.api_log = open(os.path.join(x.tmp, "api.log"), "w")
    x.api, x.api_port, _ = start_server(
        ["--port", "0", "--admin-port", "0", "--tls-cert", os.path.join(certs, "server.crt"),
         "--tls-key", os.path.join(certs, "server.key"), "--token-file",
         os.path.join(x.tmp, "token"), "--scale", "%dx%d" % (SERVICES, ENDPOINTS),
         "--prepare-lists", str(bench_k8s.PAGE_SIZE), "--quiet"],
        stderr=x.api_log, timeout=300)


def t_sliced_sync(x):
    x.gw = bench_k8s.start_gw(x.exe, x.tmp, "k8s",
                              lambda p: bench_k8s.conf_text(x.tmp, p, x.api_port, True),
                              SERVICES)
    pending_seen = 0
    states = set()
    health = set()
    deadline = time.monotonic() + 600
    while True:
        # show ruleset and show health first: when show k8s then says the sync
        # is not applied yet, they were answered during it (the other order
        # raced with the end of the sync between the commands).
        rs_state = cli_json(x.gw.port, "show ruleset")["state"]
        h = cli_json(x.gw.port, "show health")
        k = cli_json(x.gw.port, "show k8s")
        if k["initial_sync_ms"] >= 0:
            break
        pending_seen = max(pending_seen, k["pending_groups"])
        states.add(rs_state)
        health.add((h["syncing"], h["healthz"]))
        check(time.monotonic() < deadline, "initial sync within 600 s", k)
        time.sleep(0.005)
    want = SERVICES + SERVICES // 5
    check(k["nodegw_services"] == want and k["pending_groups"] == 0,
          "every service applied, none pending", k)
    check(k["sync_slices"] >= 1,
          "the sync of %d services took more than one turn of the loop" % SERVICES, k)
    print("     sync in %.0f ms over %d slices; the CLI saw up to %d services pending"
          % (k["initial_sync_ms"], k["sync_slices"], pending_seen), flush=True)
    check(pending_seen > 0, "the CLI answered while services waited to be applied", k)
    pages = 2 * -(-SERVICES // bench_k8s.PAGE_SIZE) + 1  # services, slices, this Node
    check(k["list_pages"] == pages, "the lists came in %d pages" % pages, k)
    print("     the watcher's longest turn: %.1f ms (%.1f ms of CPU); %d of %d pages decoded "
          "over more than one turn" % (k["longest_poll_ms"], k["longest_poll_cpu_ms"],
                                       k["list_page_slices"], k["list_pages"]), flush=True)
    check(states == {"syncing"}, "show ruleset said syncing until the sync was applied",
          sorted(states))
    check(health == {(True, 503)}, "/healthz 503 while syncing",
          sorted(health))
    rs = bench_k8s.wait(lambda: (lambda j: j if j["services"] >= want and not j["dirty"]
                                 else None)(cli_json(x.gw.port, "show ruleset")),
                        "the ruleset with every service", 300)
    check(rs["services"] == want, "published: %d services" % want, rs)
    rs = bench_k8s.wait(lambda: (lambda j: j if j["state"] == "synced" else None)(
        cli_json(x.gw.port, "show ruleset")), "show ruleset synced", 60)
    check(rs["services"] == want, "synced with every service", rs)
    h = cli_json(x.gw.port, "show health")
    check(not h["syncing"] and h["healthz"] == 200, "/healthz 200 once synced", h)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if shutil.which("openssl") is None:
        print("SKIP: no openssl CLI (needed by gen_certs.sh)")
        return 77
    res = ngproc.Results()
    tmp = tempfile.mkdtemp(prefix="nodegw-k8ss-")
    x = Ctx(os.path.abspath(sys.argv[1]), tmp)
    try:
        if res.run("setup: certificates, fake API server with %d services" % SERVICES,
                   setup, x):
            res.run("the first sync is applied in slices, the CLI answers meanwhile",
                    t_sliced_sync, x)
            if x.gw is not None:
                rc = x.gw.stop()
                log = x.gw.log()
                res.run("nodegw exits 0, no sanitizer report", lambda: check(
                    rc == 0 and "AddressSanitizer" not in log and "runtime error:" not in log,
                    "exit 0, no sanitizer report", (rc, log[-3000:])))
    finally:
        if x.gw is not None:
            x.gw.stop()
        if x.api is not None:
            stop_server(x.api)
            x.api_log.close()
    return res.finish(tmp)


if __name__ == "__main__":
    sys.exit(main())
