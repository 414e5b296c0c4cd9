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
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_topo  # noqa: E402
import k8s_objects as ko  # noqa: E402
import ngproc  # noqa: E402
from e2e_topo import BIP, CLI_PORT, CLIENT_IP, GW_CLIENT_IP, GW_PODS_IP, TOKEN  # noqa: E402
from e2e_topo import k8s_services, wait_for  # noqa: E402
from ngproc import check  # noqa: E402

P = os.environ.get("NG_K8S_PREFIX", "ngk")
NODE = "ngk-node"


def curl(url, **kw):
    return e2e_topo.curl(P, url, **kw)


def hits(url, n):
    return e2e_topo.hits(P, url, n)


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


class Inner(e2e_topo.Inner):
    node = NODE

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
        names = ("clusterip", "endpoint_gone", "etp_local", "refused", "local_remote",
                 "headless", "api_killed", "api_restarted")

        def token_not_logged():
            log = self.gw.log()
            self.run("token_not_logged", lambda: check(
                TOKEN not in log and TOKEN not in ngproc.cli(CLI_PORT, "show k8s") +
                ngproc.cli(CLI_PORT, "show running-config"), "the token appears"))
        return super().main(names, after=token_not_logged)


if __name__ == "__main__":
    sys.exit(e2e_topo.main(__file__, __doc__, Inner, P))
