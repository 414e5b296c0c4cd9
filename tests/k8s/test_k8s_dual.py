#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End to end: a dual-stack Service through the Kubernetes watcher.

usage: test_k8s_dual.py NODEGW

tests/k8s/e2e_topo.py's topology with IPv6 too (NG_LB_V6=1: client
2001:db8::2, backends 2001:db8:1::11..13, each serving both families), the
gateway's ports with an IPv4 and an IPv6 address, and the fake API server
with one Service of two clusterIPs (198.19.0.10, 2001:db8:100::10) and two
EndpointSlices (addressType IPv4 and IPv6) for the same pods:

  both_families  nodegw makes default/web:http (IPv4 endpoints) and
                 default/web:http/v6 (IPv6 endpoints); curl to either
                 clusterIP reaches the pods through FullNAT from the
                 gateway's address of that family
  v6_endpoint_gone  a pod left out of the IPv6 slice only: the IPv6 half
                 stops using it, the IPv4 half keeps it

Needs root (exits 77 otherwise). Prints "N passed, M failed".
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_topo  # noqa: E402
import k8s_objects as ko  # noqa: E402
from e2e_topo import BIP, GW_CLIENT_IP, GW_PODS_IP, k8s_services, wait_for  # noqa: E402
from ngproc import check  # noqa: E402

P = os.environ.get("NG_K8S_PREFIX", "ngk")
NODE = "ngk-node"
BIP6 = {"b1": "2001:db8:1::11", "b2": "2001:db8:1::12", "b3": "2001:db8:1::13"}
GW_CLIENT_IP6, GW_PODS_IP6 = "2001:db8::1", "2001:db8:1::1"
VIP4, VIP6 = "198.19.0.10", "2001:db8:100::10"


def backend_dual(name, lifetime):
    """backend.py answering on the pod's IPv4 and IPv6 addresses."""
    return [sys.executable, e2e_topo.BACKEND_PY, "serve", name, "--bind", BIP[name],
            "--bind", BIP6[name], "--lifetime", str(lifetime)]


def objs(v6_backends):
    svc = ko.service("default", "web", [VIP4, VIP6], ports=[("http", "TCP", 80, None, 8080)])
    eps = [dict(ip=BIP[b], node=NODE) for b in ("b1", "b2", "b3")]
    eps6 = [dict(ip=BIP6[b], node=NODE) for b in v6_backends]
    return [svc,
            ko.endpointslice("default", "web-v4", "web", endpoints=eps,
                             ports=[("http", "TCP", 8080)]),
            ko.endpointslice("default", "web-v6", "web", endpoints=eps6,
                             ports=[("http", "TCP", 8080)], address_type="IPv6")]


class Inner(e2e_topo.Inner):
    node = NODE

    def conf_text(self, cli_port):
        text = super().conf_text(cli_port)
        text = text.replace('"%s/24"' % GW_CLIENT_IP, '"%s/24", "%s/64"' % (GW_CLIENT_IP,
                                                                         GW_CLIENT_IP6))
        return text.replace('"%s/24"' % GW_PODS_IP, '"%s/24", "%s/64"' % (GW_PODS_IP,
                                                                       GW_PODS_IP6))

    def t_both_families(self):
        self.admin.apply(objs(["b1", "b2", "b3"]))
        wait_for(lambda: len(k8s_services().get("default/web:http", ())) == 3 and
                 k8s_services().get("default/web:http/v6") ==
                 {(BIP6[b], 8080) for b in BIP6}, "default/web:http and /v6, 3 backends each")
        check(k8s_services()["default/web:http"] == {(BIP[b], 8080) for b in BIP},
              "the IPv4 half has IPv4 endpoints only")
        for url, src in (("http://%s/" % VIP4, GW_PODS_IP), ("http://[%s]/" % VIP6, GW_PODS_IP6)):
            seen = e2e_topo.hits(P, url, 24)
            check(len({b for b, _ in seen}) >= 2, "%s: 24 requests reached only %s" %
                  (url, {b for b, _ in seen}))
            check(all(c == src for _, c in seen), "%s: backends saw %s, want %s" %
                  (url, {c for _, c in seen}, src))

    def t_v6_endpoint_gone(self):
        self.admin.apply(objs(["b1", "b2"]))
        wait_for(lambda: k8s_services().get("default/web:http/v6") ==
                 {(BIP6["b1"], 8080), (BIP6["b2"], 8080)}, "b3 out of default/web:http/v6")
        check("b3" not in {b for b, _ in e2e_topo.hits(P, "http://[%s]/" % VIP6, 24)},
              "b3 still answered over IPv6")
        check(len(k8s_services()["default/web:http"]) == 3, "the IPv4 half lost a backend")

    def main(self):
        return super().main(("both_families", "v6_endpoint_gone"))


if __name__ == "__main__":
    os.environ["NG_LB_V6"] = "1"
    if len(sys.argv) == 2:
        sys.exit(e2e_topo.outer(__file__, os.path.abspath(sys.argv[1]), P,
                                backend=backend_dual))
    sys.exit(e2e_topo.main(__file__, __doc__, Inner, P))
