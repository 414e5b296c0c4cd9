#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End to end: the Kubernetes watcher drives the real gateway.

usage: test_k8s_e2e.py NODEGW

The load-balancing topology of scripts/lib/netns.sh (prefix "ngk"): a client
namespace, nodegw in ngk-gw on net_af_packet, three backends (b1..b3,
198.18.1.11..13) running tests/e2e/backend.py, whose HTTP answer names the
backend and the client address it saw. The fake API server
(tests/k8s/fake_apiserver.py, TLS from a CA made here, bearer token) runs on
127.0.0.1 inside ngk-gw, next to nodegw, so nothing leaves the namespaces.

The test runs in two halves: the outer one (root namespace) builds the
topology and starts the backends; the inner one (re-executed inside ngk-gw)
runs the API server and nodegw and makes the checks, with curl in ngk-client:

  clusterip      a Service + EndpointSlice make curl to the ClusterIP reach
                 the pods, FullNAT (backends see the gateway's address)
  endpoint_gone  an endpoint removed from the slice gets no more requests
  etp_local      externalTrafficPolicy Local: only this node's endpoint, and
                 the client address kept (external IP and NodePort)
  refused        a Service without endpoints: "Connection refused"
  local_remote   Local policy with endpoints only on other nodes: dropped
  headless       a headless Service makes no nodegw service
  api_killed     SIGKILL the API server: forwarding goes on
  api_restarted  a restarted API server with changed state is picked up
                 after the relist: new service works, removed one goes,
                 changed endpoints apply

Needs root (exits 77 otherwise). Every wait is bounded; the topology and
every process are removed at the end, failure included. Prints
"N passed, M failed"; exits 1 when anything failed.
"""
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
import k8s_admin  # noqa: E402
import k8s_objects as ko  # noqa: E402
import ngproc  # noqa: E402
from ngproc import Fail, check  # noqa: E402

P = os.environ.get("NG_K8S_PREFIX", "ngk")
NETNS_SH = os.path.join(REPO, "scripts", "lib", "netns.sh")
BACKEND_PY = os.path.join(REPO, "tests", "e2e", "backend.py")
BIP = {"b1": "198.18.1.11", "b2": "198.18.1.12", "b3": "198.18.1.13"}
CLIENT_IP = "198.18.0.2"
GW_PODS_IP = "198.18.1.1"
GW_CLIENT_IP = "198.18.0.1"
NODE = "ngk-node"
API_PORT, ADMIN_PORT, CLI_PORT = 16443, 16444, 18023
TOKEN = "e2e-token-7f3c9a"


def sh(script, check=True, timeout=120):
    """Run bash with netns.sh sourced."""
    return subprocess.run(["bash", "-c", "source %s; %s" % (NETNS_SH, script)],
                          check=check, timeout=timeout)


# ---- outer half: topology and backends ----

def outer(exe):
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces, af_packet)")
        return 77
    for tool in ("ip", "curl", "ethtool", "openssl"):
        if shutil.which(tool) is None:
            print("SKIP: %s not installed" % tool)
            return 77
    os.makedirs("/run/lock", exist_ok=True)
    lock = open("/run/lock/nodegw-e2e-%s.lock" % P, "w")
    deadline = time.monotonic() + 150
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                print("FAIL: another run holds the %s lock" % P)
                return 1
            time.sleep(0.5)
    tmp = tempfile.mkdtemp(prefix="nodegw-k8s-e2e.")
    inner_proc = None
    try:
        sh("topo_lb_create %s" % P)
        for b in BIP:
            subprocess.Popen(["ip", "netns", "exec", "%s-%s" % (P, b), sys.executable,
                              BACKEND_PY, "serve", b, "--lifetime", "600"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL)
        inner_proc = subprocess.Popen(["ip", "netns", "exec", "%s-gw" % P, sys.executable,
                                       os.path.abspath(__file__), "--inner", exe, tmp])
        return inner_proc.wait(timeout=400)
    except subprocess.TimeoutExpired:
        print("FAIL: the inner half did not finish in 400 s")
        return 1
    finally:
        if inner_proc is not None and inner_proc.poll() is None:
            inner_proc.kill()
            inner_proc.wait()
        sh("topo_destroy %s" % P, check=False)
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        stale = [l.split()[0] for l in left.splitlines() if l.startswith(P + "-")]
        if stale:
            print("WARNING: namespaces left behind: %s" % " ".join(stale))
        shutil.rmtree(tmp, ignore_errors=True)


# ---- inner half: inside ngk-gw ----

def k8s_services():
    """nodegw services from Kubernetes: name -> set of (addr, port) backends."""
    out = {}
    data = ngproc.cli_json(CLI_PORT, "show services")
    for s in (data if isinstance(data, list) else data.get("services", [])):
        if "/" in s["name"]:
            out[s["name"]] = {(b["address"], b["port"]) for b in s.get("backends", [])}
    return out


def wait_for(pred, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
            if last:
                return last
        except (OSError, ValueError, KeyError) as e:
            last = e
        time.sleep(0.1)
    raise Fail("%s: not within %.0f s (last: %r)" % (what, timeout, last))


def curl(url, connect_timeout=2, max_time=4, verbose=False):
    """curl from the client namespace: (exit code, body, stderr). verbose: curl
    7.88 says "Couldn't connect to server" for every connect failure; only its
    verbose lines carry the errno text ("Connection refused")."""
    r = subprocess.run(["ip", "netns", "exec", "%s-client" % P, "curl", "-sS"] +
                       (["-v"] if verbose else []) +
                       ["--connect-timeout", str(connect_timeout), "-m", str(max_time), url],
                       capture_output=True, text=True, timeout=max_time + 10)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def hits(url, n):
    """n requests: list of (backend, client) seen; failures raise."""
    seen = []
    for _ in range(n):
        rc, body, err = curl(url)
        check(rc == 0, "curl %s: exit %d %s" % (url, rc, err))
        m = re.match(r"backend=(\S+) client=(\S+)", body)
        check(m is not None, "curl %s: unexpected body %r" % (url, body))
        seen.append((m.group(1), m.group(2)))
    return seen


def web_objs(backends):
    svc = ko.service("default", "web", ["198.19.0.10"], ports=[("http", "TCP", 80, None, 8080)])
    sl = ko.endpointslice("default", "web-x1", "web",
                          endpoints=[dict(ip=BIP[b], node=NODE if b == "b1" else "node-" + b)
                                     for b in backends],
                          ports=[("http", "TCP", 8080)])
    return [svc, sl]


def local_objs():
    svc = ko.service("default", "local", ["198.19.0.21"], ports=[("http", "TCP", 80, 30080, 8080)],
                     type="LoadBalancer", external_ips=["198.19.0.20"], etp="Local")
    sl = ko.endpointslice("default", "local-x1", "local",
                          endpoints=[dict(ip=BIP["b1"], node=NODE), dict(ip=BIP["b2"], node="other")],
                          ports=[("http", "TCP", 8080)])
    return [svc, sl]


def remote_objs():
    svc = ko.service("default", "remote", ["198.19.0.32"], ports=[("http", "TCP", 80, None, 8080)],
                     type="LoadBalancer", external_ips=["198.19.0.31"], etp="Local")
    sl = ko.endpointslice("default", "remote-x1", "remote",
                          endpoints=[dict(ip=BIP["b2"], node="other")],
                          ports=[("http", "TCP", 8080)])
    return [svc, sl]


def conf_text(cli_port, tmp):
    return """# generated by tests/k8s/test_k8s_e2e.py
log_level = "info";
workers = {{ idle_sleep_us = 100; idle_polls = 64; }};
cli = {{ port = {cli}; }};
ports = (
	{{ name = "client"; devargs = "net_af_packet0,iface={p}-gc"; addresses = ["{gc}/24"]; }},
	{{ name = "pods"; devargs = "net_af_packet1,iface={p}-gs"; addresses = ["{gs}/24"]; }}
);
kubernetes = {{
	server = "https://127.0.0.1:{api}";
	token_file = "{tmp}/token";
	ca_file = "{tmp}/certs/ca.crt";
	node_name = "{node}";
	backoff_ms = 200;
	backoff_max_ms = 2000;
}};
""".format(cli=cli_port, p=P, gc=GW_CLIENT_IP, gs=GW_PODS_IP, api=API_PORT, tmp=tmp,
           node=NODE)


class Inner:
    def __init__(self, exe, tmp):
        self.exe, self.tmp = exe, tmp
        self.api = None
        self.gw = None
        self.admin = k8s_admin.Admin(ADMIN_PORT)
        self.passed, self.failed = 0, 0

    def start_api(self, objs):
        state = os.path.join(self.tmp, "state.json")
        with open(state, "w") as f:
            json.dump({"objects": objs}, f)
        self.api_log = open(os.path.join(self.tmp, "api.log"), "a")
        self.api, _, _ = k8s_admin.start_server(
            ["--port", str(API_PORT), "--admin-port", str(ADMIN_PORT),
             "--tls-cert", os.path.join(self.tmp, "certs", "server.crt"),
             "--tls-key", os.path.join(self.tmp, "certs", "server.key"),
             "--token-file", os.path.join(self.tmp, "token"), "--state", state,
             "--quiet"], stderr=self.api_log)

    def start_gw(self):
        self.gw = ngproc.Nodegw(self.exe, self.tmp, "gw", stem="nodegw-" + P, error=Fail,
                                quiet=True)
        self.gw.start(lambda port: conf_text(port, self.tmp), port=CLI_PORT)

    def run(self, name, fn):
        t0 = time.monotonic()
        try:
            fn()
            self.passed += 1
            print("PASS: %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self.failed += 1
            print("FAIL: %s: %s" % (name, e), flush=True)
            if not isinstance(e, Fail):
                traceback.print_exc()
            tail = self.gw.log().splitlines()[-15:]
            for l in tail:
                print("    log| " + l)

    # -- the checks --

    def t_clusterip(self):
        self.admin.apply(web_objs(["b1", "b2", "b3"]))
        wait_for(lambda: len(k8s_services().get("default/web:http", ())) == 3,
                 "default/web:http with 3 backends")
        seen = hits("http://198.19.0.10/", 24)
        backends = {b for b, _ in seen}
        check(len(backends) >= 2, "24 requests reached only %s" % backends)
        check(all(c == GW_PODS_IP for _, c in seen),
              "FullNAT: backends saw %s" % {c for _, c in seen})

    def t_endpoint_gone(self):
        self.admin.apply(web_objs(["b1", "b2"]))
        wait_for(lambda: k8s_services().get("default/web:http") ==
                 {(BIP["b1"], 8080), (BIP["b2"], 8080)}, "b3 out of default/web:http")
        seen = hits("http://198.19.0.10/", 24)
        check("b3" not in {b for b, _ in seen}, "b3 still answered")

    def t_etp_local(self):
        self.admin.apply(local_objs())
        wait_for(lambda: "default/local:http/ext" in k8s_services(), "default/local:http/ext")
        for url in ("http://198.19.0.20/", "http://%s:30080/" % GW_CLIENT_IP):
            seen = hits(url, 10)
            check({b for b, _ in seen} == {"b1"}, "%s: reached %s, want only b1 (local)" %
                  (url, {b for b, _ in seen}))
            check({c for _, c in seen} == {CLIENT_IP}, "%s: backends saw %s, want the client "
                  "%s" % (url, {c for _, c in seen}, CLIENT_IP))
        # The ClusterIP of the same Service keeps Cluster policy: both, FullNAT.
        seen = hits("http://198.19.0.21/", 20)
        check({c for _, c in seen} == {GW_PODS_IP}, "ClusterIP saw %s" % {c for _, c in seen})

    def t_refused(self):
        self.admin.apply(ko.service("default", "empty", ["198.19.0.30"],
                                    ports=[("http", "TCP", 80, None, 8080)]))
        wait_for(lambda: "default/empty:http" in k8s_services(), "default/empty:http")
        for _ in range(3):
            t0 = time.monotonic()
            rc, _, err = curl("http://198.19.0.30/", verbose=True)
            ms = (time.monotonic() - t0) * 1000
            check(rc == 7 and "Connection refused" in err and ms < 1000,
                  "curl: exit %d after %.0f ms %r" % (rc, ms, err[-300:]))

    def t_local_remote(self):
        self.admin.apply(remote_objs())
        wait_for(lambda: "default/remote:http/ext" in k8s_services(), "default/remote:http/ext")
        rc, _, err = curl("http://198.19.0.31/", connect_timeout=2, max_time=3)
        check(rc == 28, "curl to a Local service with remote endpoints only: exit %d %r, "
              "want 28 (timeout: dropped)" % (rc, err))

    def t_headless(self):
        self.admin.apply(ko.service("default", "hl", None, ports=[("http", "TCP", 80)],
                                    headless=True))
        self.admin.apply(ko.service("default", "marker", ["198.19.0.33"],
                                    ports=[("http", "TCP", 80)]))
        names = wait_for(lambda: (lambda s: s if "default/marker:http" in s else None)(
            k8s_services()), "default/marker:http")
        check(not any(n.startswith("default/hl:") for n in names), "headless: %s" % names)

    def t_api_killed(self):
        self.api.kill()
        self.api.wait()
        time.sleep(1.5)
        seen = hits("http://198.19.0.10/", 12)
        check({b for b, _ in seen} <= {"b1", "b2"}, "web reached %s" % {b for b, _ in seen})
        k = ngproc.cli_json(CLI_PORT, "show k8s")
        check(k["services"]["last_error"] != "", "show k8s has no error after the kill")
        check(len(hits("http://198.19.0.20/", 4)) == 4, "local service")

    def t_api_restarted(self):
        # Changed state: web now only on b2, "later" is new, empty/local/remote are gone.
        objs = web_objs(["b2"])
        objs += [ko.service("default", "later", ["198.19.0.40"],
                            ports=[("http", "TCP", 80, None, 8080)]),
                 ko.endpointslice("default", "later-x1", "later",
                                  endpoints=[dict(ip=BIP["b3"], node=NODE)],
                                  ports=[("http", "TCP", 8080)])]
        relists0 = ngproc.cli_json(CLI_PORT, "show k8s")["services"]["relists"]
        self.start_api(objs)
        wait_for(lambda: (lambda s: "default/later:http" in s and
                          "default/empty:http" not in s and
                          s.get("default/web:http") == {(BIP["b2"], 8080)})(k8s_services()),
                 "the restarted API server's state", 20)
        k = ngproc.cli_json(CLI_PORT, "show k8s")
        check(k["services"]["relists"] > relists0, "no relist counted")
        check(k["services"]["state"] == "watching", "services: %s" % k["services"]["state"])
        check({b for b, _ in hits("http://198.19.0.40/", 6)} == {"b3"}, "later")
        check({b for b, _ in hits("http://198.19.0.10/", 12)} == {"b2"}, "web after restart")
        rc, _, err = curl("http://198.19.0.30/")
        check(rc != 0, "the deleted service still answers")

    def main(self):
        certs = os.path.join(self.tmp, "certs")
        subprocess.run(["bash", os.path.join(HERE, "gen_certs.sh"), certs], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        with open(os.path.join(self.tmp, "token"), "w") as f:
            f.write(TOKEN + "\n")
        try:
            self.start_api([])
            self.start_gw()
            for name in ("clusterip", "endpoint_gone", "etp_local", "refused", "local_remote",
                         "headless", "api_killed", "api_restarted"):
                self.run(name, getattr(self, "t_" + name))
            log = self.gw.log()
            self.run("token_not_logged", lambda: check(
                TOKEN not in log and TOKEN not in ngproc.cli(CLI_PORT, "show k8s") +
                ngproc.cli(CLI_PORT, "show running-config"), "the token appears"))
        finally:
            if self.gw is not None:
                self.gw.stop()
            if self.api is not None:
                k8s_admin.stop_server(self.api)
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--inner":
        return Inner(os.path.abspath(sys.argv[2]), sys.argv[3]).main()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    return outer(os.path.abspath(sys.argv[1]))


if __name__ == "__main__":
    sys.exit(main())
