#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End to end: probes, metrics, healthCheckNodePort and topology hints.

usage: test_k8s_health_e2e.py NODEGW

The topology of tests/k8s/e2e_topo.py (prefix $NG_E2E_PREFIX + "h", default
"ngh"): client, nodegw in PREFIX-gw fed by the fake API server, backends
b1..b3. The probe servers keep kube-proxy's defaults (healthz 0.0.0.0:10256,
metrics 127.0.0.1:10249), reached from inside PREFIX-gw.

  healthz          /healthz and /livez answer 200 with kube-proxy's JSON body
  taint            the Node tainted ToBeDeletedByClusterAutoscaler: /healthz
                   503 within 5 s, /livez stays 200; untainted: 200 again
  hcnp             a LoadBalancer Service, externalTrafficPolicy Local,
                   healthCheckNodePort: 200 with 2 local endpoints, 503 within
                   1 s after they go, 200 when one returns
  prefer_same_zone trafficDistribution PreferSameZone with every endpoint
                   hinted: 100 of 100 requests to this zone; one endpoint
                   without hints: every endpoint is used
  src_ranges       a LoadBalancer Service with loadBalancerSourceRanges
                   198.18.0.2/32: the client answered from the LB IP; from a
                   second address of the client namespace (198.18.0.3) the
                   connect times out (2 s), the drop is counted (show stats
                   src_range, the service's source_range_drops, /metrics),
                   and the same address still reaches the ClusterIP
  metrics          /metrics passes `promtool check metrics`; after 100
                   requests a service's packet counter in /metrics equals
                   `show services json`
  abuse            200 concurrent connections, a slow client and a 1 MB
                   header against /healthz while the data path keeps
                   forwarding and `show services` keeps answering (p99
                   measured before and during)

Needs root (exits 77 otherwise). Prints "N passed, M failed"; exits 1 when
anything failed.
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_topo  # noqa: E402
import k8s_objects as ko  # noqa: E402
import ngproc  # noqa: E402
from e2e_topo import BIP, CLI_PORT, CLIENT_IP, wait_for  # noqa: E402
from ngproc import Fail, check  # noqa: E402

_E2E = os.environ.get("NG_E2E_PREFIX")
P = os.environ.get("NG_K8S_HEALTH_PREFIX") or (_E2E + "h" if _E2E else "ngh")
NODE = "ngh-node"
HEALTHZ, METRICS, HC_PORT = 10256, 10249, 31256
OUTSIDE = "198.18.0.3"  # a second client address, outside lbr's source ranges

# GET URL N times from the client namespace, a new connection each: the backends.
MANY = r"""
import sys, urllib.request
url, n, out = sys.argv[1], int(sys.argv[2]), []
for _ in range(n):
    try:
        out.append(urllib.request.urlopen(url, timeout=3).read().decode().split()[0][8:])
    except Exception as e:
        out.append("error:%s" % type(e).__name__)
print(" ".join(out))
"""


def many(url, n):
    r = subprocess.run(["ip", "netns", "exec", "%s-client" % P, sys.executable, "-c", MANY,
                        url, str(n)], capture_output=True, text=True, timeout=60 + n)
    check(r.returncode == 0, "requests from the client: %s" % r.stderr[-500:])
    return r.stdout.split()


def get(port, path="/", timeout=3.0):
    """GET 127.0.0.1:port/path: (status, headers, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    finally:
        c.close()


def until(pred, what, timeout, step=0.01):
    """Poll pred until true: seconds it took; Fail after timeout."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        try:
            last = pred()
            if last:
                return time.monotonic() - t0
        except OSError as e:
            last = e
        time.sleep(step)
    raise Fail("%s: not within %.1f s (last: %r)" % (what, timeout, last))


def status(port, path="/healthz"):
    return get(port, path)[0]


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


def lb_objs(local):
    """LoadBalancer "lbl", Local policy: the endpoints in `local` on this node, b3 elsewhere."""
    svc = ko.service("default", "lbl", ["198.19.0.61"], ports=[("http", "TCP", 80, 30061, 8080)],
                     type="LoadBalancer", lb_ips=["198.19.0.60"], etp="Local",
                     health_check_node_port=HC_PORT)
    eps = [dict(ip=BIP[b], node=NODE) for b in local] + [dict(ip=BIP["b3"], node="other")]
    return [svc, ko.endpointslice("default", "lbl-x1", "lbl", endpoints=eps,
                                  ports=[("http", "TCP", 8080)])]


def zoned_objs(hinted_b2):
    """ClusterIP "zoned", PreferSameZone: b1, b3 in zone-a (ours), b2 in zone-b."""
    svc = ko.service("default", "zoned", ["198.19.0.50"], ports=[("http", "TCP", 80, None, 8080)],
                     traffic_distribution="PreferSameZone")
    eps = [dict(ip=BIP["b1"], node="n1", zone="zone-a", zone_hints=["zone-a"]),
           dict(ip=BIP["b2"], node="n2", zone="zone-b",
                zone_hints=["zone-b"] if hinted_b2 else None),
           dict(ip=BIP["b3"], node="n3", zone="zone-a", zone_hints=["zone-a"])]
    return [svc, ko.endpointslice("default", "zoned-x1", "zoned", endpoints=eps,
                                  ports=[("http", "TCP", 8080)])]


def lbr_objs():
    """LoadBalancer "lbr", only from the client's first address (OUTSIDE is not in it)."""
    svc = ko.service("default", "lbr", ["198.19.0.71"], ports=[("http", "TCP", 80, 30071, 8080)],
                     type="LoadBalancer", lb_ips=["198.19.0.70"],
                     source_ranges=[CLIENT_IP + "/32"])
    return [svc, ko.endpointslice("default", "lbr-x1", "lbr",
                                  endpoints=[dict(ip=BIP[b], node="n-" + b) for b in BIP],
                                  ports=[("http", "TCP", 8080)])]


def web_objs():
    svc = ko.service("default", "web", ["198.19.0.10"], ports=[("http", "TCP", 80, None, 8080)])
    return [svc, ko.endpointslice("default", "web-x1", "web",
                                  endpoints=[dict(ip=BIP[b], node="n-" + b) for b in BIP],
                                  ports=[("http", "TCP", 8080)])]


class Inner(e2e_topo.Inner):
    node = NODE

    def t_healthz(self):
        wait_for(lambda: ngproc.cli_json(CLI_PORT, "show k8s")["services"]["synced"],
                 "the watcher's first sync")
        until(lambda: status(HEALTHZ) == 200, "/healthz 200", 10, 0.1)
        for path in ("/healthz", "/livez"):
            code, hdr, body = get(HEALTHZ, path)
            b = json.loads(body)
            check(code == 200 and set(b) == {"lastUpdated", "currentTime", "nodeEligible"} and
                  b["nodeEligible"] is True, "%s: kube-proxy's body" % path, (code, body))
            check(hdr.get("content-type") == "application/json" and
                  hdr.get("x-content-type-options") == "nosniff", "%s headers" % path, hdr)
        check(status(HEALTHZ, "/metrics") == 404, "other paths: 404")

    def t_taint(self):
        self.admin.apply(ko.node(NODE, zone="zone-a", taints=[ko.TO_BE_DELETED_TAINT]))
        s = until(lambda: status(HEALTHZ) == 503, "/healthz 503 after the taint", 5)
        code, _, body = get(HEALTHZ, "/healthz")
        check(json.loads(body)["nodeEligible"] is False, "nodeEligible false", body)
        check(status(HEALTHZ, "/livez") == 200, "/livez stays 200 on a tainted node")
        print("     /healthz 503 %.0f ms after the taint" % (s * 1000))
        self.admin.apply(ko.node(NODE, zone="zone-a"))
        until(lambda: status(HEALTHZ) == 200, "/healthz 200 after the taint went", 5)

    def hc(self):
        code, hdr, body = get(HC_PORT, "/healthz")
        return code, hdr.get("x-load-balancing-endpoint-weight"), json.loads(body)

    def t_hcnp(self):
        self.admin.apply(lb_objs(["b1", "b2"]))
        until(lambda: self.hc()[0] == 200, "healthCheckNodePort 200", 10, 0.05)
        code, weight, b = self.hc()
        check(b == {"service": {"namespace": "default", "name": "lbl"}, "localEndpoints": 2,
                    "serviceProxyHealthy": True} and weight == "2",
              "kube-proxy's body with 2 local endpoints", (code, weight, b))
        self.admin.apply(lb_objs([]))
        s = until(lambda: self.hc()[0] == 503, "503 once the local endpoints went", 1.0)
        check(self.hc()[2]["localEndpoints"] == 0, "localEndpoints 0")
        print("     healthCheckNodePort 503 %.0f ms after the local endpoints went" % (s * 1000))
        self.admin.apply(lb_objs(["b1"]))
        s = until(lambda: self.hc()[0] == 200, "200 when one local endpoint returns", 1.0)
        check(self.hc()[2]["localEndpoints"] == 1, "localEndpoints 1")
        print("     healthCheckNodePort 200 %.0f ms after b1 came back" % (s * 1000))
        # The LB IP reaches only the local endpoint (Local policy).
        check(set(many("http://198.19.0.60/", 10)) == {"b1"}, "the LB IP: b1 only")

    def t_prefer_same_zone(self):
        self.admin.apply(zoned_objs(hinted_b2=True))
        wait_for(lambda: e2e_topo.k8s_services().get("default/zoned:http") ==
                 {(BIP["b1"], 8080), (BIP["b3"], 8080)}, "zoned: the zone-a endpoints")
        seen = many("http://198.19.0.50/", 100)
        check(len(seen) == 100 and set(seen) <= {"b1", "b3"},
              "all 100 requests to zone-a (b1, b3)", {b: seen.count(b) for b in set(seen)})
        print("     hinted: %s" % {b: seen.count(b) for b in sorted(set(seen))})
        self.admin.apply(zoned_objs(hinted_b2=False))
        wait_for(lambda: len(e2e_topo.k8s_services().get("default/zoned:http", ())) == 3,
                 "zoned: every endpoint once b2 has no hint")
        seen = many("http://198.19.0.50/", 100)
        check(set(seen) == {"b1", "b2", "b3"}, "every endpoint used",
              {b: seen.count(b) for b in set(seen)})
        print("     one unhinted: %s" % {b: seen.count(b) for b in sorted(set(seen))})

    def src_drops(self):
        """(show stats src_range drops, lbr's LB-ingress service source_range_drops)."""
        st = ngproc.cli_json(CLI_PORT, "show stats")
        svcs = {s["name"]: s for s in st["services"]}
        return (st["drops_by_reason"].get("src_range", 0),
                svcs["default/lbr:http/lb"]["source_range_drops"])

    def t_src_ranges(self):
        self.admin.apply(lbr_objs())
        wait_for(lambda: len(e2e_topo.k8s_services().get("default/lbr:http/lb", ())) == 3,
                 "default/lbr:http/lb with 3 backends")
        svc = ngproc.cli_json(CLI_PORT, "show service default/lbr:http/lb")
        check(svc.get("source_ranges") == [CLIENT_IP + "/32"], "the ranges compiled",
              svc.get("source_ranges"))
        ns = ["ip", "netns", "exec", "%s-client" % P]
        subprocess.run(ns + ["ip", "addr", "add", OUTSIDE + "/24", "dev", "%s-c" % P],
                       check=True, timeout=10)
        try:
            rc, body, err = e2e_topo.curl(P, "http://198.19.0.70/")
            check(rc == 0 and body.startswith("backend="), "inside: an answer from the LB IP",
                  (rc, body, err))
            before = self.src_drops()
            check(before[1] == 0, "no drops before", before)
            t0 = time.monotonic()
            rc, body, err = e2e_topo.curl(P, "http://198.19.0.70/", connect_timeout=2,
                                          max_time=3, source=OUTSIDE)
            took = time.monotonic() - t0
            # 28: timed out. A RST (7, refused) would mean an answer: there must be none.
            check(rc == 28 and body == "", "outside: the connect times out", (rc, body, err))
            check(took < 6, "outside: given up within the bounded wait", took)
            after = wait_for(lambda: (lambda a: a if a[1] > before[1] else None)(
                self.src_drops()), "the drop counted")
            check(after[0] > before[0], "show stats src_range moved", (before, after))
            prom = self.metric("nodegw_service_source_range_drops_total",
                               'service="default/lbr:http/lb"')
            check(prom >= after[1], "/metrics has the service's drops", (prom, after))
            print("     outside: timed out after %.1f s; src_range drops %d -> %d, "
                  "service %d -> %d" % (took, before[0], after[0], before[1], after[1]))
            # The same address reaches the ClusterIP (a service without ranges).
            rc, body, err = e2e_topo.curl(P, "http://198.19.0.71/", source=OUTSIDE)
            check(rc == 0 and body.startswith("backend="), "outside: the ClusterIP answers",
                  (rc, body, err))
            rc, body, err = e2e_topo.curl(P, "http://198.19.0.70/")
            check(rc == 0, "inside: still answered", (rc, body, err))
        finally:
            subprocess.run(ns + ["ip", "addr", "del", OUTSIDE + "/24", "dev", "%s-c" % P],
                           timeout=10)

    def metric(self, name, labels=""):
        """One sample of /metrics: name{labels} (or a bare name)."""
        _, _, text = get(METRICS, "/metrics")
        want = name + ("{" + labels + "}" if labels else "") + " "
        for line in text.splitlines():
            if line.startswith(want):
                return float(line.split()[-1])
        raise Fail("%s not in /metrics" % want)

    def t_metrics(self):
        self.admin.apply(web_objs())
        wait_for(lambda: len(e2e_topo.k8s_services().get("default/web:http", ())) == 3,
                 "default/web:http")
        code, hdr, text = get(METRICS, "/metrics")
        check(code == 200 and hdr.get("content-type", "").startswith("text/plain; version=0.0.4"),
              "/metrics 200 text format", (code, hdr))
        path = os.path.join(self.tmp, "metrics.txt")
        with open(path, "w") as f:
            f.write(text)
        check(shutil.which("promtool") is not None, "promtool (Debian package prometheus)")
        with open(path) as f:
            r = subprocess.run(["promtool", "check", "metrics"], stdin=f, capture_output=True,
                               text=True, timeout=60)
        check(r.returncode == 0, "promtool check metrics", r.stdout + r.stderr)
        seen = many("http://198.19.0.10/", 100)
        check(len(seen) == 100 and not any(b.startswith("error") for b in seen),
              "100 requests answered", seen)
        time.sleep(1.0)  # the last FIN/ACKs
        cli = {s["name"]: s for s in ngproc.cli_json(CLI_PORT, "show services")}
        pkts = cli["default/web:http"]["pkts"]
        prom = self.metric("nodegw_service_packets_total", 'service="default/web:http"')
        check(pkts > 0 and prom == pkts, "packets: /metrics %s, show services %s" % (prom, pkts))
        print("     default/web:http: %d packets in both" % pkts)
        for name in ("kubeproxy_sync_proxy_rules_duration_seconds_count",
                     "kubeproxy_network_programming_duration_seconds_count", "nodegw_k8s_synced"):
            check(self.metric(name) > 0, "%s above 0" % name)

    def cli_latency(self, n):
        t = []
        for _ in range(n):
            t0 = time.monotonic()
            out = ngproc.cli(CLI_PORT, "show services")
            t.append(time.monotonic() - t0)
            check("services" in out, "show services answered", out[-200:])
        return t

    def t_abuse(self):
        base = self.cli_latency(30)
        res = {"concurrent_200": 0, "concurrent_other": [], "slow_closed_s": None,
               "trickled_s": None, "big": None, "probe_after": None}

        def concurrent():
            barrier = threading.Barrier(200)

            def one():
                try:
                    s = socket.create_connection(("127.0.0.1", HEALTHZ), timeout=15)
                    barrier.wait(timeout=15)
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
                    with s.makefile("rb") as f:
                        data = f.read()   # to the server's close
                    s.close()
                    if data.startswith(b"HTTP/1.1 200"):
                        res["concurrent_200"] += 1
                    else:
                        res["concurrent_other"].append(data[:40])
                except (OSError, threading.BrokenBarrierError) as e:
                    res["concurrent_other"].append(repr(e))
            ts = [threading.Thread(target=one) for _ in range(200)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(30)

        def slow():
            # A byte every 0.5 s (slowloris) holds a connection while it trickles.
            s = socket.create_connection(("127.0.0.1", HEALTHZ), timeout=2)
            t0 = time.monotonic()
            req = b"GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Slow: " + b"a" * 200
            try:
                for ch in req:
                    s.sendall(bytes([ch]))
                    time.sleep(0.5)
                    if time.monotonic() - t0 > 12:
                        break
                res["trickled_s"] = time.monotonic() - t0
            except OSError as e:
                res["slow_error"] = repr(e)
            s.close()

        def idle():
            # Half a request, then nothing: the idle timeout (10 s) closes it.
            s = socket.create_connection(("127.0.0.1", HEALTHZ), timeout=20)
            t0 = time.monotonic()
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHo")
                if s.recv(100) == b"":
                    res["slow_closed_s"] = time.monotonic() - t0
            except OSError as e:
                res["idle_error"] = repr(e)
            s.close()

        def big():
            s = socket.create_connection(("127.0.0.1", HEALTHZ), timeout=10)
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Big: " + b"b" * (1 << 20) +
                          b"\r\n\r\n")
            except OSError:
                pass
            try:
                res["big"] = s.recv(200)[:40]
            except OSError as e:
                res["big"] = repr(e)
            s.close()

        threads = [threading.Thread(target=f) for f in (slow, idle, big, concurrent)]
        for t in threads:
            t.start()
        during = self.cli_latency(60)
        seen = many("http://198.19.0.10/", 30)
        res["probe_after"] = status(HEALTHZ)  # while the slow ones still hold theirs
        while threads[0].is_alive():          # the CLI, all the time the slow ones run
            during += self.cli_latency(10)
        for t in threads:
            t.join(60)
        print("     show services p50/p99: before %.1f/%.1f ms, during %.1f/%.1f ms" %
              (pct(base, .5) * 1e3, pct(base, .99) * 1e3, pct(during, .5) * 1e3,
               pct(during, .99) * 1e3))
        print("     200 concurrent: %d answered 200; a client trickling for %s s; an idle one "
              "closed after %s s; 1 MB header: %r" % (res["concurrent_200"],
              "%.1f" % res["trickled_s"] if res["trickled_s"] else "-",
              "%.1f" % res["slow_closed_s"] if res["slow_closed_s"] else "-", res["big"]))
        check(self.gw.proc is not None and self.gw.proc.poll() is None, "nodegw still runs")
        check(res["concurrent_200"] == 200, "200 concurrent connections all answered 200",
              res["concurrent_other"][:5])
        check(res["slow_closed_s"] is not None and 9 < res["slow_closed_s"] < 25,
              "the idle client is cut off after 10 s", res)
        check(res["big"] is not None and not res["big"].startswith(b"HTTP/1.1 200")
              if isinstance(res["big"], bytes) else True, "1 MB header refused", res["big"])
        check(res["probe_after"] == 200 and status(HEALTHZ) == 200, "/healthz answers after")
        check(len(seen) == 30 and not any(b.startswith("error") for b in seen),
              "the data path kept forwarding", seen)
        check(pct(during, .99) < 1.0, "show services p99 during the abuse under 1 s",
              pct(during, .99))

    def main(self):
        names = ("healthz", "taint", "hcnp", "prefer_same_zone", "src_ranges", "metrics",
                 "abuse")
        rc = super().main(names, objs=[ko.node(NODE, zone="zone-a")])
        # An ASan/UBSan build reports at exit: nodegw has stopped by now.
        log = self.gw.log() if self.gw is not None else ""
        if "Sanitizer" in log or "runtime error:" in log:
            print("FAIL: sanitizer report in nodegw's log:\n" + log[-4000:])
            return 1
        print("PASS: nodegw stopped without a sanitizer report (exit %s)" % self.gw.rc)
        return rc


if __name__ == "__main__":
    sys.exit(e2e_topo.main(__file__, __doc__, Inner, P))
