# SPDX-License-Identifier: BSD-3-Clause
"""What the Kubernetes end-to-end tests share (stdlib only).

The load-balancing topology of scripts/lib/netns.sh: a client namespace,
nodegw in PREFIX-gw on net_af_packet, three backends (b1..b3, 198.18.1.11..13)
running tests/e2e/backend.py, whose HTTP answer names the backend and the
client address it saw. The fake API server (TLS from a CA made here, bearer
token) runs on 127.0.0.1 inside PREFIX-gw, next to nodegw, so nothing leaves
the namespaces.

A test runs in two halves: outer() (root namespace) builds the topology,
starts the backends and re-executes the test script inside PREFIX-gw as
`SCRIPT --inner EXE TMP`; there an Inner subclass starts the API server and
nodegw and runs its checks, with curl in PREFIX-client.

  main(script, doc, cls, prefix)  a test script's entry point (both halves)
  outer(script, exe, prefix)   the outer half; returns the exit status
  Inner(exe, tmp, prefix)      start_api(objs), start_gw(), run(name, fn),
                               main(names) -> exit status; subclasses give
                               conf_extra() and t_NAME() methods
  curl(prefix, url, ...)       curl from PREFIX-client
  hits(prefix, url, n)         n requests: [(backend, client)]
  wait_for(pred, what, timeout)
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
import ngproc  # noqa: E402
from ngproc import Fail, check  # noqa: E402

NETNS_SH = os.path.join(REPO, "scripts", "lib", "netns.sh")
BACKEND_PY = os.path.join(REPO, "tests", "e2e", "backend.py")
BIP = {"b1": "198.18.1.11", "b2": "198.18.1.12", "b3": "198.18.1.13"}
CLIENT_IP = "198.18.0.2"
GW_PODS_IP = "198.18.1.1"
GW_CLIENT_IP = "198.18.0.1"
API_PORT, ADMIN_PORT, CLI_PORT = 16443, 16444, 18023
TOKEN = "e2e-token-7f3c9a"


def sh(script, check=True, timeout=120):
    """Run bash with netns.sh sourced."""
    return subprocess.run(["bash", "-c", "source %s; %s" % (NETNS_SH, script)],
                          check=check, timeout=timeout)


def backend_http(name, lifetime):
    """tests/e2e/backend.py's HTTP and UDP backend NAME (outer()'s default)."""
    return [sys.executable, BACKEND_PY, "serve", name, "--lifetime", str(lifetime)]


def outer(script, exe, prefix, timeout=400, tools=("ip", "curl", "ethtool", "openssl"),
          backend=backend_http):
    """Topology and backends (backend(name, lifetime) -> argv, run in PREFIX-NAME),
    then `script --inner exe tmp` inside PREFIX-gw. Exit 77 unless root and
    every tool is installed."""
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces, af_packet)")
        return 77
    for tool in tools:
        if shutil.which(tool) is None:
            print("SKIP: %s not installed" % tool)
            return 77
    os.makedirs("/run/lock", exist_ok=True)
    lock = open("/run/lock/nodegw-e2e-%s.lock" % prefix, "w")
    deadline = time.monotonic() + 150
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                print("FAIL: another run holds the %s lock" % prefix)
                return 1
            time.sleep(0.5)
    tmp = tempfile.mkdtemp(prefix="nodegw-k8s-e2e.")
    inner_proc = None
    try:
        sh("topo_lb_create %s" % prefix)
        for b in BIP:
            subprocess.Popen(["ip", "netns", "exec", "%s-%s" % (prefix, b)] +
                             backend(b, timeout + 200),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL)
        inner_proc = subprocess.Popen(["ip", "netns", "exec", "%s-gw" % prefix, sys.executable,
                                       os.path.abspath(script), "--inner", exe, tmp])
        return inner_proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        print("FAIL: the inner half did not finish in %d s" % timeout)
        return 1
    finally:
        if inner_proc is not None and inner_proc.poll() is None:
            inner_proc.kill()
            inner_proc.wait()
        sh("topo_destroy %s" % prefix, check=False)
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        stale = [l.split()[0] for l in left.splitlines() if l.startswith(prefix + "-")]
        if stale:
            print("WARNING: namespaces left behind: %s" % " ".join(stale))
        shutil.rmtree(tmp, ignore_errors=True)


def main(script, doc, inner_cls, prefix):
    """A test script's entry: `SCRIPT NODEGW` (outer half) or `SCRIPT --inner NODEGW TMP`."""
    if len(sys.argv) == 4 and sys.argv[1] == "--inner":
        return inner_cls(os.path.abspath(sys.argv[2]), sys.argv[3], prefix).main()
    if len(sys.argv) != 2:
        print(doc)
        return 2
    return outer(script, os.path.abspath(sys.argv[1]), prefix)


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


def curl(prefix, url, connect_timeout=2, max_time=4, verbose=False, source=None):
    """curl from the client namespace: (exit code, body, stderr). verbose: curl
    7.88 says "Couldn't connect to server" for every connect failure; only its
    verbose lines carry the errno text ("Connection refused"). source: the
    client address to connect from (one of the namespace's)."""
    r = subprocess.run(["ip", "netns", "exec", "%s-client" % prefix, "curl", "-sS"] +
                       (["-v"] if verbose else []) +
                       (["--interface", source] if source else []) +
                       ["--connect-timeout", str(connect_timeout), "-m", str(max_time), url],
                       capture_output=True, text=True, timeout=max_time + 10)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def hits(prefix, url, n):
    """n requests: list of (backend, client) seen; failures raise."""
    seen = []
    for _ in range(n):
        rc, body, err = curl(prefix, url)
        check(rc == 0, "curl %s: exit %d %s" % (url, rc, err))
        m = re.match(r"backend=(\S+) client=(\S+)", body)
        check(m is not None, "curl %s: unexpected body %r" % (url, body))
        seen.append((m.group(1), m.group(2)))
    return seen


def k8s_services():
    """nodegw services from Kubernetes: name -> set of (addr, port) backends."""
    out = {}
    data = ngproc.cli_json(CLI_PORT, "show services")
    for s in (data if isinstance(data, list) else data.get("services", [])):
        if "/" in s["name"]:
            out[s["name"]] = {(b["address"], b["port"]) for b in s.get("backends", [])}
    return out


def kubernetes_conf(tmp, node):
    """The kubernetes section: the fake API server of start_api(), TMP's token and CA."""
    return """kubernetes = {{
	server = "https://127.0.0.1:{api}";
	token_file = "{tmp}/token";
	ca_file = "{tmp}/certs/ca.crt";
	node_name = "{node}";
	backoff_ms = 200;
	backoff_max_ms = 2000;
}};
""".format(api=API_PORT, tmp=tmp, node=node)


class Inner:
    """The inner half: API server and nodegw in PREFIX-gw, the checks."""

    node = "ngk-node"

    def __init__(self, exe, tmp, prefix):
        self.exe, self.tmp, self.prefix = exe, tmp, prefix
        self.api = None
        self.gw = None
        self.admin = k8s_admin.Admin(ADMIN_PORT)
        self.passed, self.failed = 0, 0

    def conf_extra(self):
        """Config text after the kubernetes section."""
        return ""

    def conf_text(self, cli_port):
        return """# generated by {script}
log_level = "info";
workers = {{ idle_sleep_us = 100; idle_polls = 64; }};
cli = {{ port = {cli}; }};
ports = (
	{{ name = "client"; devargs = "net_af_packet0,iface={p}-gc"; addresses = ["{gc}/24"]; }},
	{{ name = "pods"; devargs = "net_af_packet1,iface={p}-gs"; addresses = ["{gs}/24"]; }}
);
""".format(script=os.path.basename(sys.argv[0]), cli=cli_port, p=self.prefix,
           gc=GW_CLIENT_IP, gs=GW_PODS_IP) + kubernetes_conf(self.tmp, self.node) + \
            self.conf_extra()

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
        self.gw = ngproc.Nodegw(self.exe, self.tmp, "gw", stem="nodegw-" + self.prefix,
                                error=Fail, quiet=True)
        self.gw.start(self.conf_text, port=CLI_PORT)

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
            tail = self.gw.log().splitlines()[-15:] if self.gw is not None else []
            for l in tail:
                print("    log| " + l)

    def main(self, names, objs=(), after=None):
        """Certificates and token, the API server (with objs) and nodegw, then
        t_NAME for each name and after() (extra checks) before stopping."""
        certs = os.path.join(self.tmp, "certs")
        subprocess.run(["bash", os.path.join(HERE, "gen_certs.sh"), certs], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        with open(os.path.join(self.tmp, "token"), "w") as f:
            f.write(TOKEN + "\n")
        try:
            self.start_api(list(objs))
            self.start_gw()
            for name in names:
                self.run(name, getattr(self, "t_" + name))
            if after is not None:
                after()
        finally:
            if self.gw is not None:
                self.gw.stop()
            if self.api is not None:
                k8s_admin.stop_server(self.api)
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0
