#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of the fuzz targets: tests/fuzz/corpus/TARGET/NAME.

usage: make_seeds.py [CORPUS_DIR]     (default: corpus/ next to this file)

The seeds are committed; this script says how they were made and makes them
again after an input format changes (it rewrites only the files it names; the
entries scripts/fuzz.sh added are left alone). Each target's input format is
in the comment at the top of its tests/fuzz/fuzz_TARGET.c. Addresses are in
198.18.0.0/15 only.
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "k8s"))
import k8s_objects as ko  # noqa: E402


def conf_seeds():
    out = {}
    for name in ("example", "minimal", "services"):
        with open(os.path.join(ROOT, "config", name + ".conf"), "rb") as f:
            out[name + ".conf"] = f.read()
    minimal = out["minimal.conf"].decode()
    # the include fixtures fuzz_conf.c writes next to its input
    out["include_ok.conf"] = (minimal + '\n@include "svc.inc"\n').encode()
    out["include_ports.conf"] = b'@include "ports.inc"\nlog_level = "debug";\n'
    out["include_dir.conf"] = (minimal + '\n# refused\n@include "dir.inc"\n').encode()
    out["include_fifo.conf"] = (minimal + '\n  @include "fifo.inc"\n').encode()
    out["include_hidden.conf"] = (minimal + '/*\n@include "dir.inc"\n*/\n# @include "x"\n'
                                  'services = ( );\n').encode()
    return out


def cli_seeds():
    lines = {
        "services": [
            "service add web tcp scheduler maglev mode fullnat affinity client-ip "
            "affinity-timeout 600",
            "service frontend add web 198.19.0.10:80",
            "service frontend add web nodeport 30080",
            "backend add web 198.18.1.2:8080",
            "backend add web 198.18.1.3:8080 weight 2",
            "commit",
            "show services", "show service web json", "show ruleset",
            "lookup tcp 198.18.0.5:1000 198.19.0.10:80",
            "backend weight web 198.18.1.2:8080 0",
            "service set web scheduler wrr mode dnat",
            "backend del web 198.18.1.3:8080",
            "service frontend del web nodeport 30080",
            "service del web",
        ],
        "routes": [
            "route add 198.20.0.0/16 via 198.18.1.254",
            "route add 198.21.0.0/24 via 198.18.0.254 port client",
            "neighbour add 198.18.1.254 02:00:00:00:01:fe port pods",
            "show routes", "show routes json", "show neighbours json",
            "neighbour del 198.18.1.254 port pods",
            "route del 198.20.0.0/16",
        ],
        "show": [
            "show version", "show ports json", "show workers", "show stats json",
            "show runtime", "clear stats", "clear runtime", "runtime cycles off",
            "show conn client 198.18.0.5 port 80 proto tcp limit 5",
            "show conn state ESTABLISHED json", "show k8s", "show k8s json",
            "clear ruleset", "help", "show ?", "service ?", "quit",
        ],
        "errors": [
            "service add", "service add \"unterminated", "backend add nosuch 1.2.3.4:5",
            "service add dns udp", "service frontend add dns 198.18.0.1:53",
            "service frontend add dns nodeport 40000", "backend add dns 198.18.1.10:0",
            "lookup udp 1.2.3.4 5.6.7.8", "route add 0.0.0.0/0", "show conn limit -1",
            "x y z " * 20,
        ],
    }
    return {k: ("\n".join(v) + "\n").encode() for k, v in lines.items()}


# fuzz_svc_model.c: op (0 add, 1 update, 2 del, 3 frontend add, 4 frontend del,
# 5 backend set, 6 backend del, 7 commit) and name index, then the op's bytes:
# add/update: proto, scheduler, mode, affinity, affinity-timeout, timeouts, drop;
# frontend: nodeport (0 of 4), vip index, port index; backend: addr, port, weight.
def svc_model_seeds():
    def add(n, proto=0, sched=0, mode=0, aff=0, aff_to=0, tmo=0, drop=0):
        return [0, n, proto, sched, mode, aff, aff_to, tmo, drop]

    def fe(n, vip, port, np=False, op=3):
        return [op, n, 0 if np else 1, vip, port]

    def be(n, addr, port, weight, op=5):
        return [op, n, addr, port, weight]

    commit = [7, 0]
    seeds = {
        "basic": add(0) + fe(0, 0, 0) + fe(0, 1, 0) + be(0, 0, 0, 1) + be(0, 1, 0, 2) +
        be(0, 2, 1, 0) + commit,
        "nodeport_dnat_wrr": add(1, proto=1, sched=1, mode=1, aff=1, aff_to=1) +
        fe(1, 0, 2, np=True) + fe(1, 3, 2) + be(1, 4, 2, 3) + be(1, 5, 2, 4) + commit +
        be(1, 4, 2, 0) + commit,
        "conflicts": add(0) + add(1) + fe(0, 0, 0) + fe(1, 0, 0) + [2, 0] + fe(1, 0, 0) +
        commit + add(0, proto=1) + fe(0, 0, 0) + commit,
        "refused": add(6) + add(2, proto=2) + add(2, sched=3) + add(2, aff_to=3) + add(2) +
        fe(2, 8, 0) + fe(2, 0, 5) + fe(2, 0, 4, np=True) + be(2, 8, 0, 1) + be(2, 0, 3, 1) +
        be(2, 0, 0, 6) + commit,
        "churn": (add(3) + fe(3, 2, 1) + be(3, 1, 0, 1) + commit + [2, 3] + add(3) + commit) * 3,
    }
    return {k: bytes(v) for k, v in seeds.items()}


def k8s_objects():
    svc = ko.service("default", "web", cluster_ips="198.19.0.10",
                     ports=[("http", "TCP", 80, 30080), ("dns", "UDP", 53)],
                     type="NodePort", external_ips=["198.19.1.10"], affinity_timeout=600,
                     etp="Local")
    sl = ko.endpointslice("default", "web-abc", "web",
                          endpoints=[{"ip": "198.18.1.2", "node": "node-a"},
                                     {"ip": "198.18.1.3", "node": "node-b", "ready": False,
                                      "serving": True, "terminating": True}],
                          ports=[("http", "TCP", 8080), ("dns", "UDP", 5353)])
    sl2 = ko.endpointslice("default", "web-def", "web",
                           endpoints=[{"ip": "198.18.1.4"}], ports=[("http", "TCP", 8080)])
    return svc, sl, sl2


def event(kind, obj):
    return {"type": kind, "object": obj}


GONE = {"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                    "message": "too old resource version: 1 (2)",
                                    "reason": "Expired", "code": 410}}


def k8s_json_seeds():
    svc, sl, sl2 = k8s_objects()
    listing = {"kind": "ServiceList", "apiVersion": "v1",
               "metadata": {"resourceVersion": "100", "continue": "abc"}, "items": [svc]}
    seeds = {"service": svc, "slice": sl, "array": [svc, sl, sl2],
             "added": event("ADDED", svc), "gone": GONE, "list": listing,
             "bookmark": {"type": "BOOKMARK", "object": {"kind": "Service",
                                                        "metadata": {"resourceVersion": "7"}}}}
    return {k: json.dumps(v, separators=(",", ":")).encode() for k, v in seeds.items()}


def k8s_stream_seeds():
    svc, sl, _ = k8s_objects()
    stream = "".join(json.dumps(e) + "\n" for e in
                     [event("ADDED", svc), event("MODIFIED", sl), GONE]).encode()
    tricky = b'{"a":"}{\\"\\\\"}  \r\n{"b":[{}]}\n{"c":"\\u007d"}'
    return {
        # max (u16, +16), n_cuts, the cuts (each + 1 bytes), then the stream
        "events_whole": struct.pack("<HB", 60000, 0) + stream,
        "events_cut": struct.pack("<HB", 60000, 5) + bytes([0, 6, 63, 2, 200]) + stream,
        "small_max": struct.pack("<HB", 40, 2) + bytes([3, 9]) + stream,
        "tricky": struct.pack("<HB", 1000, 3) + bytes([0, 1, 2]) + tricky,
        "junk": struct.pack("<HB", 1000, 0) + b'{"a":1} x {"b":2}',
    }


NODES = 8  # in the result byte: the response is the Node reflector's
ONE_GROUP = 16  # in the result byte: the sync after it applies one group only


def response(res, code_idx, chunk_idx, result_idx, body):
    """fuzz_k8s_http.c: byte (resource | chunk << 1 | code << 4), byte (result
    | NODES | ONE_GROUP), u16 length, body."""
    return struct.pack("<BBH", res | chunk_idx << 1 | code_idx << 4, result_idx,
                       len(body)) + body


def k8s_http_seeds():
    svc, sl, sl2 = k8s_objects()

    def listing(kind, items, rv, cont=None):
        meta = {"resourceVersion": rv}
        if cont:
            meta["continue"] = cont
        return json.dumps({"kind": kind, "apiVersion": "v1", "metadata": meta,
                           "items": items}).encode()

    def stream(*events):
        return "".join(json.dumps(e) + "\n" for e in events).encode()

    svc2 = json.loads(json.dumps(svc))
    svc2["spec"]["ports"] = svc2["spec"]["ports"][:1]
    sync = (response(0, 0, 0, 0, listing("ServiceList", [svc], "10")) +
            response(1, 0, 0, 0, listing("EndpointSliceList", [sl, sl2], "11")))
    status = json.dumps(GONE["object"]).encode()
    node = ko.node("node-a", zone="zone-a")
    node["metadata"]["resourceVersion"] = "30"
    tainted = ko.node("node-a", zone="zone-b", taints=[ko.TO_BE_DELETED_TAINT])
    tainted["metadata"]["resourceVersion"] = "31"
    hinted = ko.endpointslice("default", "web-abc", "web",
                              endpoints=[{"ip": "198.18.1.2", "node": "node-a", "zone": "zone-a",
                                          "zone_hints": ["zone-a"]},
                                         {"ip": "198.18.1.3", "node": "node-b", "zone": "zone-b",
                                          "zone_hints": ["zone-b"]}],
                              ports=[("http", "TCP", 8080)])
    # Three services synced a group per turn: a watch event changes one that
    # waits, and one already applied; empty watch ends drain the rest.
    more = []
    for i, name in enumerate(("api", "dns")):
        m = json.loads(json.dumps(svc))
        m["metadata"]["name"] = name
        m["metadata"]["uid"] = "%08d-0000-4000-8000-000000000000" % (i + 1)
        m["spec"]["clusterIP"] = "198.19.0.%d" % (20 + i)
        m["spec"]["clusterIPs"] = [m["spec"]["clusterIP"]]
        m["spec"].pop("externalIPs", None)
        m["spec"]["type"] = "ClusterIP"
        for p in m["spec"]["ports"]:
            p.pop("nodePort", None)
        more.append(m)
    dns2 = json.loads(json.dumps(more[1]))
    dns2["spec"]["ports"] = dns2["spec"]["ports"][1:]
    return {
        "sliced_sync": response(0, 0, 0, ONE_GROUP, listing("ServiceList", [svc] + more, "40")) +
        response(1, 0, 0, ONE_GROUP, listing("EndpointSliceList", [sl, sl2], "41")) +
        response(0, 0, 4, ONE_GROUP, stream(event("MODIFIED", dns2), event("DELETED", svc))) +
        response(1, 0, 0, ONE_GROUP, b"") + response(1, 0, 0, ONE_GROUP, b"") +
        response(1, 0, 0, 0, b""),
        # This node's zone picks the hinted endpoints; a new zone re-translates
        # every service; the autoscaler's taint, then the Node's deletion.
        "node_zone": response(0, 0, 0, NODES, listing("NodeList", [node], "30")) + sync +
        response(1, 0, 0, 0, stream(event("MODIFIED", hinted))) +
        response(0, 0, 4, NODES, stream(event("MODIFIED", tainted), event("DELETED", tainted))),
        "sync_watch": sync + response(0, 0, 4, 0, stream(event("MODIFIED", svc2))) +
        response(1, 0, 3, 0, stream(event("DELETED", sl2), event("ADDED", sl))),
        "paged_list": response(0, 0, 0, 0, listing("ServiceList", [svc], "10", "c1")) +
        response(0, 0, 0, 0, listing("ServiceList", [], "12")) +
        response(1, 0, 5, 0, listing("EndpointSliceList", [sl], "13")),
        "gone": sync + response(0, 0, 0, 0, stream(GONE)) +
        response(0, 0, 0, 0, listing("ServiceList", [], "20")),
        "errors": response(0, 10, 0, 0, status) + response(1, 11, 0, 0, b"unauthorized") +
        response(0, 0, 0, 5, b"") + sync + response(0, 0, 0, 7, stream(event("ADDED", svc))[:40]),
        "expired_continue": response(0, 0, 0, 0, listing("ServiceList", [svc], "10", "c1")) +
        response(0, 8, 0, 0, status),
    }


# fuzz_datapath.c: operations, a kind byte then its arguments (see the
# comment at the top of fuzz_datapath.c). Targets: 0 web (FullNAT), 1 dweb
# (DNAT), 2 aff (FullNAT, ClientIP), 3 dns (UDP DNAT), 4 uaff (UDP FullNAT,
# ClientIP), 5 NodePort on 198.18.0.1, 6 dsr, 7 NodePort on 198.18.1.1, 8 a
# port no frontend serves, 9 dns's VIP over TCP, 10 a gateway port, 11 an
# address without service, 12 a backend (routed).
SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08


def dp_client(target, flags, client=0, cport=0, wid=0, proto=0, p1=False, payload=0,
              seq=0, mut=()):
    ctl = proto | wid << 2 | (8 if p1 else 0) | (payload // 8) << 4
    b = bytes([0, target, ctl, client | cport << 2, flags]) + struct.pack("<H", seq)
    b += bytes([len(mut)]) + b"".join(bytes([o, v]) for o, v in mut)
    return b + (b"\x01" if mut else b"")


def dp_reply(flags, which=0, wid=0, payload=0, seq=0):
    return bytes([1, which | wid << 4 | (payload // 16) << 5, flags]) + \
        struct.pack("<H", seq) + b"\x00"


def dp_raw(body, kind=0, port=0, bcast=False):
    return bytes([2, port | (2 if bcast else 0) | kind << 2, len(body)]) + body


def dp_time(n, unit=2):  # unit 0: ms, 1: 100 ms, 2: s
    return bytes([3, unit]) + struct.pack("<H", n)


def dp_control(loop_budget=False):
    return bytes([4, 1 if loop_budget else 0])


def dp_rules(what, svc, be=0, arg=0):
    return bytes([5, what, svc, be, arg])


def dp_flood(n, kind, target, client=0, base=20000, wid=0):
    return bytes([6, n - 1, kind, target, client | wid << 2]) + struct.pack("<H", base)


def dp_arp(wid=0):
    return bytes([7, wid])


def dp_frag6(hows, chunk=23, reverse=False, client=0, ident=7, extra=0):
    """A UDP datagram to the IPv6 VIP in len(hows) fragments of chunk * 8 + 8
    bytes; hows: per fragment 1 missing, 6 moved 8 bytes back, 8 on worker 1,
    0x10 twice."""
    return bytes([8, 1 if reverse else 0, client, len(hows) - 2, chunk, extra]) + \
        struct.pack("<H", ident) + bytes(hows)


def dp_conn(target, cport=0, wid=0):
    """A TCP handshake, data both ways and a close to TIME_WAIT."""
    return (dp_client(target, SYN, cport=cport, wid=wid) + dp_reply(SYN | ACK) +
            dp_client(target, ACK, cport=cport, wid=wid, seq=1) +
            dp_client(target, ACK | PSH, cport=cport, wid=wid, payload=64, seq=1) +
            dp_reply(ACK | PSH, payload=32, seq=1) +
            dp_client(target, FIN | ACK, cport=cport, wid=wid, seq=2) +
            dp_reply(FIN | ACK, seq=2) + dp_client(target, ACK, cport=cport, wid=wid, seq=3))


def datapath_seeds():
    udp = lambda t, wid=0: (dp_client(t, 1, wid=wid, payload=40) + dp_reply(1, payload=40) +
                            dp_client(t, 1, wid=wid, payload=40))
    floods = b"".join(dp_flood(32, 0, 0, client=i % 4, base=20000 + 64 * i, wid=i & 1)
                      for i in range(20))
    return {
        "tcp_fullnat": dp_conn(0) + dp_time(1) + dp_control() +
        dp_client(0, SYN) + dp_time(200) + dp_control(),
        "tcp_dnat": dp_conn(1, wid=1) + dp_time(121) + dp_control(True) + dp_client(1, SYN),
        "tcp_affinity": dp_conn(2) + dp_conn(2, cport=5) + dp_time(20000) + dp_control() +
        dp_client(2, SYN, cport=9),
        "udp_dnat": udp(3) + dp_time(400) + dp_control() + dp_client(3, 1),
        "udp_affinity": udp(4, 1) + dp_time(30) + dp_control() + udp(4),
        "nodeport": dp_conn(5) + dp_conn(7, cport=3),
        "dsr": dp_client(6, SYN) + dp_client(6, ACK, seq=1) + dp_client(6, ACK | PSH, seq=1,
                                                                        payload=100),
        "established_idle_flood": dp_client(0, SYN, cport=1) +
        dp_reply(SYN | ACK) + dp_client(0, ACK, cport=1, seq=1) +
        dp_client(0, ACK | PSH, cport=1, seq=1, payload=8) + dp_reply(ACK, seq=1) +
        dp_client(0, ACK | PSH, cport=1, seq=2, payload=8) + floods +
        dp_client(0, ACK | PSH, cport=1, seq=3, payload=8) + dp_reply(ACK, seq=3) +
        dp_control(),
        "flood_ack": b"".join(dp_flood(32, 1, 1, base=30000 + 32 * i) for i in range(20)) +
        dp_time(5) + dp_control(),
        "flood_reuse_expired": b"".join(dp_flood(32, 0, 1, client=2, base=100 + 32 * i)
                                        for i in range(14)) + dp_time(60) +
        b"".join(dp_flood(32, 0, 1, client=3, base=100 + 32 * i) for i in range(10)),
        "flood_udp": b"".join(dp_flood(32, 2, 3, client=1, base=1000 + 32 * i, wid=i & 1)
                              for i in range(10)) + dp_time(31) + dp_control(),
        "flood_nat_ports": b"".join(dp_flood(32, 0, 5, client=i % 4, base=5000 + 32 * i)
                                    for i in range(6)),
        "rules": dp_conn(0) + dp_rules(0, 0, 0, 0) + dp_client(0, SYN, cport=2) +
        dp_rules(1, 0, 1) + dp_reply(ACK) + dp_rules(2, 3) + dp_client(3, 1) +
        dp_rules(3, 3) + udp(3) + dp_rules(1, 3, 0) + dp_rules(1, 3, 1) + dp_rules(1, 3, 2) +
        dp_client(3, 1, cport=4) + dp_rules(4, 0) + dp_client(0, SYN, cport=6) +
        dp_rules(5, 1, 0, 0) + dp_client(1, SYN, cport=7) + dp_rules(6, 0, 0, 2) +
        dp_client(0, SYN, cport=8) + dp_time(4) + dp_control(),
        "unresolved_backend": dp_rules(0, 0, 4, 4) + dp_rules(0, 0, 0, 0) +
        dp_rules(0, 0, 1, 0) + dp_rules(0, 0, 2, 0) + dp_client(0, SYN) + dp_control() +
        dp_time(1, 0) + dp_arp() + dp_control() + dp_client(0, ACK, seq=1) + dp_reply(SYN | ACK),
        "refusals": b"".join(dp_client(t, SYN, cport=t) for t in (8, 9, 10, 11, 12)) +
        dp_client(0, 1, proto=3) + dp_client(3, 1, proto=2) + dp_client(0, 0) +
        dp_client(0, RST) + dp_rules(2, 0) + dp_client(0, SYN) + dp_client(3, 0, proto=3),
        "mutated": dp_client(0, SYN, mut=((14 + 8, 1),)) + dp_client(0, SYN, mut=((14, 0x46),)) +
        dp_client(3, 1, mut=((14 + 20 + 4, 0),)) + dp_client(0, SYN, mut=((14 + 6, 0x20),)),
        "frag6": dp_frag6([0, 0, 0]) + dp_frag6([0, 0, 0, 0], reverse=True, ident=8) +
        dp_frag6([0x10, 8, 0], ident=9) + dp_frag6([0, 6, 0], ident=10) +
        dp_frag6([0, 1, 0], ident=11) + dp_time(31) + dp_control() +
        dp_frag6([8, 0, 8, 0, 8, 0, 8, 0], chunk=3, ident=12),
        "raw": dp_raw(bytes(range(40))) + dp_raw(bytes([0, 1, 8, 0, 6, 4, 0, 1]) + bytes(20),
                                                   kind=1, bcast=True) +
        dp_raw(bytes([0x60]) + bytes(50), kind=2) + dp_raw(bytes([0, 5, 8, 0]) + bytes(30),
                                                        kind=3),
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    gens = {"conf": conf_seeds, "cli": cli_seeds, "svc_model": svc_model_seeds,
            "k8s_json": k8s_json_seeds, "k8s_stream": k8s_stream_seeds,
            "k8s_http": k8s_http_seeds, "datapath": datapath_seeds}
    for target, gen in gens.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for name, data in gen().items():
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)
    print("seeds written under", out)


if __name__ == "__main__":
    main()
