#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""What a gateway announces for Kubernetes Services (lib/bgp on the watcher).

usage: test_k8s_bgp.py NODEGW

Starts tests/k8s/fake_apiserver.py (plain HTTP) and a nodegw (no root: net_null
ports, --no-huge) whose `kubernetes` section points at it, node "n1", with a
`bgp` section (service_cidrs 198.19.100.0/24) whose BIRD is a fake this test
plays on a unix socket: it accepts "configure" and refuses "show protocols", so
nodegw writes its routes file and asks BIRD to read it, but never brings its
anchor interface up (it fails closed) and makes no interface. Checks, from `show
bgp json` and the routes file:

  kinds          a LoadBalancer's ingress IP is announced as "loadbalancer", its
                 externalIP as "external"; its clusterIP is not listed, but the
                 aggregate that holds it is announced
  local          externalTrafficPolicy Local with endpoints only on another node:
                 withdrawn, why local_elsewhere; with one on n1: announced
  no_endpoint    a Service without endpoints: withdrawn, why no_backend
  routes_file    the file BIRD includes lists exactly the announced prefixes
  drain          drain: every prefix withdrawn (why drained), the routes file
                 empty; undrain: the same prefixes back
  metrics        /metrics (nodegw_bgp_*) says what show bgp json says: the
                 prefixes by reason, none confirmed, not in sync, BIRD's
                 refusals, the drain state
  running_config show running-config writes the bgp section as configured,
                 and nodegw --check accepts it
  reload         SIGHUP with announce = ["external"] and another timeout_ms:
                 the loadbalancer IPs go (why kind_off), the external IP and
                 the aggregate stay, the log says timeout_ms waits for a
                 restart and running-config keeps the running one; the first
                 config back on a second SIGHUP
  endpoint_gone  the last endpoint of the LoadBalancer goes: its IPs are
                 withdrawn, in show bgp and in the file; the aggregate stays
                 (other clusterIPs in it are usable), one usable VIP fewer
  fail_closed    BIRD refused "show protocols": show bgp says it and the
                 anchor interface does not exist

Everything runs on 127.0.0.1 in a temporary directory; every wait is bounded.
Prints "N passed, M failed"; exits 1 when anything failed.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "lib"))
import ngproc  # noqa: E402
from ngproc import Fail, check, wait  # noqa: E402
import k8s_objects as ko  # noqa: E402
from k8s_admin import Admin, start_server, stop_server  # noqa: E402

IFACE = "ngtk-vips"
LB, EXT, CIP = "198.19.0.20", "198.19.0.21", "198.19.100.1"
LOCAL_FAR, LOCAL_HERE, EMPTY = "198.19.0.30", "198.19.0.31", "198.19.0.40"
AGG = "198.19.100.0/24"


class FakeBird(threading.Thread):
    """BIRD's control socket: "configure" works, "show protocols" is refused."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.commands = path, []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.stop = False

    def run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        c.sendall(b"0001 BIRD 2.0.12 ready.\n")
        buf = b""
        while not self.stop:
            try:
                d = c.recv(4096)
            except OSError:
                break
            if not d:
                break
            buf += d
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                cmd = line.decode()
                self.commands.append(cmd)
                if cmd == "configure":
                    c.sendall(b"0002-Reading configuration from bird.conf\n0003 Reconfigured\n")
                else:
                    c.sendall(b"9001 syntax error, unexpected CF_SYM_UNDEFINED\n")
        c.close()


def conf_text(cli_port, api_port, tmp):
    return '''workers = { idle_sleep_us = 100; };
cli = { address = "127.0.0.1"; port = %d; };
ports = ( { name = "a"; devargs = "net_null0"; addresses = ["198.18.0.1/24"]; } );
kubernetes = { server = "http://127.0.0.1:%d"; insecure_skip_tls_verify = true;
	node_name = "n1"; };
bgp = { bird_socket = "%s/bird.ctl"; routes_file = "%s/routes.conf"; interface = "%s";
	service_cidrs = ["%s"]; timeout_ms = 500; retry_ms = 100; };
probes = { healthz_bind_address = ""; metrics_bind_address = "127.0.0.1:0"; };
''' % (cli_port, api_port, tmp, tmp, IFACE, AGG)


def objects():
    port = [("http", "TCP", 80)]
    eports = [("http", "TCP", 8080)]
    return [
        ko.service("default", "lb", CIP, ports=[("http", "TCP", 80, 30080)],
                   type="LoadBalancer", external_ips=[EXT], lb_ips=[LB]),
        ko.endpointslice("default", "lb-x", "lb", ports=eports,
                         endpoints=[{"ip": "198.18.0.20", "node": "n2"}]),
        ko.service("default", "far", "198.19.100.2", ports=[("http", "TCP", 80, 30081)],
                   type="LoadBalancer", lb_ips=[LOCAL_FAR], etp="Local"),
        ko.endpointslice("default", "far-x", "far", ports=eports,
                         endpoints=[{"ip": "198.18.0.21", "node": "n2"}]),
        ko.service("default", "here", "198.19.100.3", ports=[("http", "TCP", 80, 30082)],
                   type="LoadBalancer", lb_ips=[LOCAL_HERE], etp="Local"),
        ko.endpointslice("default", "here-x", "here", ports=eports,
                         endpoints=[{"ip": "198.18.0.22", "node": "n1"},
                                    {"ip": "198.18.0.23", "node": "n2"}]),
        ko.service("default", "empty", "198.19.100.4", ports=port, type="LoadBalancer",
                   lb_ips=[EMPTY]),
    ]


def prefixes(g):
    return {p["prefix"]: p for p in ngproc.cli_json(g.port, "show bgp")["prefixes"]}


def routes_in_file(x):
    try:
        with open(os.path.join(x.tmp, "routes.conf")) as f:
            return sorted(l.split()[1] for l in f if l.strip().startswith("route "))
    except OSError:
        return None


def t_kinds(x):
    p = wait(lambda: (lambda d: d if ("%s/32" % LB) in d and AGG in d and d[AGG]["announce"]
                      else None)(prefixes(x.g)), "show bgp lists the LoadBalancer's IPs")
    check(p["%s/32" % LB]["kind"] == ["loadbalancer"] and p["%s/32" % LB]["announce"],
          "the ingress IP: loadbalancer, announced", p["%s/32" % LB])
    check(p["%s/32" % EXT]["kind"] == ["external"] and p["%s/32" % EXT]["announce"],
          "the externalIP: external, announced", p["%s/32" % EXT])
    check("%s/32" % CIP not in p, "the clusterIP is not listed alone", sorted(p))
    check(p[AGG]["aggregate"] and p[AGG]["usable"] == 3 and p[AGG]["services"] == 4,
          "the aggregate: 3 of its 4 clusterIPs usable (empty's is not)", p[AGG])
    check(ngproc.cli_json(x.g.port, "show bgp")["cluster_ips"] == 4, "4 clusterIPs counted")


def t_local(x):
    p = prefixes(x.g)
    far, here = p["%s/32" % LOCAL_FAR], p["%s/32" % LOCAL_HERE]
    check(not far["announce"] and far["why"] == "local_elsewhere",
          "Local, endpoints only on n2: withdrawn, local_elsewhere", far)
    check(here["announce"] and here["usable_backends"] == 1,
          "Local, one endpoint on n1: announced (one usable backend, n1's)", here)


def t_no_endpoint(x):
    e = prefixes(x.g)["%s/32" % EMPTY]
    check(not e["announce"] and e["why"] == "no_backend", "no endpoints: no_backend", e)


def t_routes_file(x):
    want = sorted(k for k, v in prefixes(x.g).items() if v["announce"])
    got = wait(lambda: (lambda r: r if r == want else None)(routes_in_file(x)),
               "the routes file lists %s" % want)
    check(sorted(got) == sorted(["%s/32" % LB, "%s/32" % EXT, "%s/32" % LOCAL_HERE, AGG]),
          "the announced prefixes", got)


def t_drain(x):
    before = {k: v["announce"] for k, v in prefixes(x.g).items()}
    out = ngproc.cli(x.g.port, "drain")
    try:
        check("drain: 0 prefixes to announce now" in out, "drain answers", out)
        p = prefixes(x.g)
        check(all(not v["announce"] and v["why"] == "drained" for v in p.values()),
              "every prefix withdrawn, why drained", p)
        wait(lambda: routes_in_file(x) == [], "the routes file is empty")
        check(metric(x, 'nodegw_bgp_drain_state{state="drained"}') == 1, "metrics: drained")
        check("already drained" in ngproc.cli(x.g.port, "drain"), "a second drain is refused")
    finally:
        ngproc.cli(x.g.port, "undrain")  # the later cases need announcements
    after = wait(lambda: (lambda d: d if {k: v["announce"] for k, v in d.items()} == before
                          else None)(prefixes(x.g)), "undrain announces the same prefixes")
    check(metric(x, 'nodegw_bgp_drain_state{state="off"}') == 1, "metrics: drain off")
    wait(lambda: routes_in_file(x) == sorted(k for k, v in after.items() if v["announce"]),
         "the routes file lists them again")


def scrape(x):
    port = [h for h in ngproc.cli_json(x.g.port, "show http") if h["name"] == "metrics"][0]
    return urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port["port"],
                                  timeout=5).read().decode()


def metric(x, name):
    for line in scrape(x).splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise Fail("%s not in /metrics" % name)


def t_metrics(x):
    j = ngproc.cli_json(x.g.port, "show bgp")
    whys = {}
    for v in j["prefixes"]:
        whys[v["why"]] = whys.get(v["why"], 0) + 1
    check(whys == {"usable": 4, "local_elsewhere": 1, "no_backend": 1},
          "show bgp: 4 usable, 1 local_elsewhere, 1 no_backend", whys)
    for why in ("usable", "local_elsewhere", "no_backend", "drained", "kind_off"):
        got = metric(x, 'nodegw_bgp_prefixes{why="%s"}' % why)
        check(got == whys.get(why, 0), "nodegw_bgp_prefixes{why=%s}" % why, (got, whys))
    check(metric(x, "nodegw_bgp_enabled") == 1 and metric(x, "nodegw_bgp_in_sync") == 0 and
          metric(x, "nodegw_bgp_prefixes_confirmed") == j["confirmed"] == 0,
          "enabled, not in sync, nothing confirmed (BIRD does not include the file)")
    check(metric(x, "nodegw_bgp_bird_connected") == 1, "connected to the fake BIRD")
    if shutil.which("promtool") is None:
        print("     (promtool not installed: the exposition's format is not checked)")
    else:
        r = subprocess.run(["promtool", "check", "metrics"], input=scrape(x), text=True,
                           capture_output=True, timeout=30)
        check(r.returncode == 0, "promtool check metrics", r.stdout + r.stderr)
    refused = metric(x, 'nodegw_bgp_bird_configures_total{result="refused"}')
    check(refused >= j["configure_errors"] >= 1,
          "refusals counted (show bgp first, /metrics after: it may have grown since)",
          (refused, j["configure_errors"]))


def running_config(x):
    return ngproc.cli_json(x.g.port, "show running-config")["config"]


def t_running_config(x):
    text = running_config(x)
    i = text.find("\nbgp = {")
    check(i >= 0, "show running-config has a bgp section", text[-1500:])
    sec = text[i:text.find("};", i)]
    for want in ('bird_socket = "%s/bird.ctl";' % x.tmp, 'routes_file = "%s/routes.conf";' % x.tmp,
                 'protocol = "nodegw";', 'interface = "%s";' % IFACE,
                 'announce = ["loadbalancer", "external", "config"];',
                 'service_cidrs = ["%s"];' % AGG, "stop_wait_ms = 3000;", "timeout_ms = 500;",
                 "retry_ms = 100;"):
        check(want in sec, "the bgp section has %s" % want, sec)
    path = os.path.join(x.tmp, "running.conf")
    with open(path, "w") as f:
        f.write(text)
    r = subprocess.run([x.exe, "--check", "-c", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    check(r.returncode == 0, "nodegw --check accepts it", r.stdout.decode(errors="replace"))


def reload(x, text):
    with open(x.g.conf_path, "w") as f:
        f.write(text)
    x.g.proc.send_signal(signal.SIGHUP)


def kinds_now(x):
    return ngproc.cli_json(x.g.port, "show bgp")["announce_kinds"]


def t_reload(x):
    first = conf_text(x.g.port, x.api, x.tmp)
    changed = first.replace("timeout_ms = 500;", 'timeout_ms = 600; announce = ["external"];')
    check(changed != first, "the changed config differs")
    reload(x, changed)
    try:
        wait(lambda: kinds_now(x) == ["external"], "the reload applies announce")
        p = wait(lambda: (lambda d: d if not d["%s/32" % LB]["announce"] else None)(prefixes(x.g)),
                 "the loadbalancer IP is withdrawn")
        check(p["%s/32" % LB]["why"] == "kind_off" and p["%s/32" % LOCAL_HERE]["why"] == "kind_off",
              "the loadbalancer IPs: kind_off", p)
        check(p["%s/32" % EXT]["announce"] and p[AGG]["announce"],
              "the external IP and the aggregate stay announced", p)
        wait(lambda: "other than announce, service_cidrs and stop_wait_ms apply at restart"
             in x.g.log(), "the log says timeout_ms waits for a restart")
        sec = running_config(x)
        check('announce = ["external"];' in sec and "timeout_ms = 500;" in sec,
              "running-config: the new announce, the running timeout_ms", sec[-700:])
    finally:
        reload(x, first)
    wait(lambda: kinds_now(x) == ["loadbalancer", "external", "config"],
         "the first config back")
    wait(lambda: prefixes(x.g)["%s/32" % LB]["announce"], "the loadbalancer IP announced again")


def t_endpoint_gone(x):
    x.admin.apply(ko.endpointslice("default", "lb-x", "lb", ports=[("http", "TCP", 8080)],
                                   endpoints=[]))
    p = wait(lambda: (lambda d: d if not d["%s/32" % LB]["announce"] else None)(prefixes(x.g)),
             "the LoadBalancer's IPs are withdrawn")
    check(p["%s/32" % LB]["why"] == "no_backend" and not p["%s/32" % EXT]["announce"],
          "ingress and external IPs withdrawn, no_backend", p)
    # far's and here's clusterIPs keep their endpoints (internalTrafficPolicy
    # Cluster: any node's endpoint serves them), so the aggregate stays, with
    # one usable clusterIP fewer.
    check(p[AGG]["announce"] and p[AGG]["usable"] == 2 and p[AGG]["services"] == 4,
          "the aggregate stays, 2 of its 4 clusterIPs usable (lb's and empty's are not)",
          p[AGG])
    want = sorted(["%s/32" % LOCAL_HERE, AGG])
    wait(lambda: routes_in_file(x) == want,
         "the routes file keeps only the Local service's IP and the aggregate %s" % want)


def t_fail_closed(x):
    j = ngproc.cli_json(x.g.port, "show bgp")
    check("does its config include" in j["last_error"] and j["confirmed"] == 0,
          "show bgp says BIRD does not include the file", j["last_error"])
    check(not os.path.exists("/sys/class/net/%s" % IFACE), "no anchor interface was made")
    check("configure" in x.bird.commands, "BIRD was asked to configure", x.bird.commands)


class X:
    pass


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    x = X()
    x.tmp = tempfile.mkdtemp(prefix="nodegw-k8s-bgp-")
    res = ngproc.Results()
    log = open(os.path.join(x.tmp, "fake.log"), "w")
    x.bird = FakeBird(os.path.join(x.tmp, "bird.ctl"))
    x.bird.start()
    proc, api, admin = start_server(["--plain", "--port", "0", "--admin-port", "0", "--quiet"],
                                    stderr=log, die_with_parent=True)
    x.exe = os.path.abspath(sys.argv[1])
    x.api = api
    x.g = ngproc.Nodegw(x.exe, x.tmp, "bgp", stem="nodegw-k8s-bgp",
                        mem=384, error=Fail)
    try:
        x.admin = Admin(admin)
        x.admin.apply(objects())
        x.g.start(lambda p: conf_text(p, api, x.tmp))
        res.run("kinds: loadbalancer, external, the clusterIP only in its aggregate", t_kinds, x)
        res.run("externalTrafficPolicy Local", t_local, x)
        res.run("a Service without endpoints", t_no_endpoint, x)
        res.run("the routes file lists what is announced", t_routes_file, x)
        res.run("drain and undrain", t_drain, x)
        res.run("/metrics says what show bgp says", t_metrics, x)
        res.run("show running-config: the bgp section, --check accepts it", t_running_config, x)
        res.run("a reload: announce at once, timeout_ms at restart", t_reload, x)
        res.run("the last endpoint goes: withdrawn", t_endpoint_gone, x)
        res.run("BIRD without the include: nothing goes live", t_fail_closed, x)
    finally:
        x.g.stop()
        stop_server(proc)
        log.close()
        x.bird.stop = True
    return res.finish(x.tmp)


if __name__ == "__main__":
    sys.exit(main())
