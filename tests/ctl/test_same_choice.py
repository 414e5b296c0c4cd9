#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two gateways, the same services: the same backend for every flow.

usage: test_same_choice.py NODEGW

Behind ECMP a flow may reach any gateway, and when the gateway set changes a
connection's packets move to another gateway mid-stream: both must pick the
backend the first one picked. This starts two nodegw processes (no root:
net_null ports, --no-huge) that hold the same services but got them
differently - A from its config file in one order, with one worker; B with
two workers, its services listed in the other order, backends shuffled, and
one service built by CLI commands, a backend removed and added again on the
way - and asks both, with `lookup`, which backend 1,000 TCP and UDP flows
get, before and after a backend leaves both. Every answer must agree.
Prints "N passed, M failed".
"""
import os
import random
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "lib"))
import ngproc  # noqa: E402
from ngproc import Fail, check  # noqa: E402

FLOWS = 1000
# name, protocol, VIP, port, backends (address, port, weight)
SERVICES = [
    ("web", "tcp", "198.19.0.10", 80,
     [("198.18.1.%d" % i, 8080, w) for i, w in zip(range(11, 18), (1, 2, 1, 3, 1, 1, 5))]),
    ("dns", "udp", "198.19.0.11", 53, [("198.18.1.%d" % i, 5353, 1) for i in range(21, 26)]),
    ("api", "tcp", "198.19.0.12", 443, [("198.18.1.%d" % i, 8443, 1) for i in range(31, 34)]),
]
PORT = ('ports = ( { name = "p0"; devargs = "net_null0"; addresses = ["198.18.1.1/24"]; } );\n'
        'workers = { idle_sleep_us = 1000; };\n')


def svc_conf(name, proto, vip, port, backends):
    bes = ", ".join('{ address = "%s"; port = %d; weight = %d; }' % b for b in backends)
    return ('{ name = "%s"; protocol = "%s"; port = %d; vips = ["%s"]; backends = ( %s ); }'
            % (name, proto, port, vip, bes))


def conf_a(cli_port):
    return (PORT + "cli = { port = %d; };\nservices = (\n%s\n);\n" %
            (cli_port, ",\n".join(svc_conf(*s) for s in SERVICES)))


def conf_b(cli_port):
    rng = random.Random(7)
    svcs = []
    for name, proto, vip, port, bes in reversed(SERVICES):
        if name == "api":
            continue  # B gets it over the CLI
        bes = list(bes)
        rng.shuffle(bes)
        svcs.append(svc_conf(name, proto, vip, port, bes))
    return PORT + "cli = { port = %d; };\nservices = (\n%s\n);\n" % (cli_port, ",\n".join(svcs))


def cli_ok(gw, cmds):
    out = ngproc.cli(gw.port, "\n".join(cmds))
    check(not any(l.lstrip("> ").startswith("%") for l in out.splitlines()),
          "CLI commands succeed on %s" % gw.tag, out)


def build_api_on_b(b):
    name, proto, vip, port, bes = SERVICES[2]
    cmds = ["service add %s %s" % (name, proto), "service frontend add %s %s:%d" % (name, vip, port)]
    for addr, p, w in reversed(bes):
        cmds.append("backend add %s %s:%d weight %d" % (name, addr, p, w))
    # A history A never had: one backend out and back in.
    cmds += ["commit", "backend del %s %s:%d" % (name, bes[0][0], bes[0][1]), "commit",
             "backend add %s %s:%d weight %d" % (name, bes[0][0], bes[0][1], bes[0][2]),
             "commit"]
    cli_ok(b, cmds)


def flows(seed):
    rng = random.Random(seed)
    out = []
    for i in range(FLOWS):
        _, proto, vip, port, _ = SERVICES[i % len(SERVICES)]
        client = "198.18.%d.%d" % (rng.randrange(2, 250), rng.randrange(1, 255))
        out.append("lookup %s %s:%d %s:%d json" % (proto, client, rng.randrange(1024, 65536),
                                                   vip, port))
    return out


def lookups(gw, cmds):
    """The backend of each lookup, in order."""
    res = []
    for k in range(0, len(cmds), 250):  # a few CLI sessions, not one per flow
        out = ngproc.cli(gw.port, "\n".join(cmds[k:k + 250]), timeout=60)
        for line in out.splitlines():
            a = line.find("{")
            if a < 0:
                continue
            j = ngproc.json.loads(line[a:])
            check(j.get("verdict") == "backend", "lookup gives a backend on %s" % gw.tag, line)
            res.append((j["backend"], j["port"]))
    check(len(res) == len(cmds), "%s answered every lookup (%d)" % (gw.tag, len(cmds)), len(res))
    return res


def compare(a, b, seed):
    cmds = flows(seed)
    ra, rb = lookups(a, cmds), lookups(b, cmds)
    diff = [(c, x, y) for c, x, y in zip(cmds, ra, rb) if x != y]
    check(not diff, "A and B agree on all %d flows" % len(cmds), diff[:5])
    used = {}
    for x in ra:
        used[x] = used.get(x, 0) + 1
    total = sum(len(s[4]) for s in SERVICES)
    check(len(used) == total, "every backend gets flows (%d of %d)" % (len(used), total), used)
    print("     %d flows, %d backends, 100%% agreement" % (len(cmds), len(used)), flush=True)


def t_agree(a, b):
    compare(a, b, 1)


def t_agree_after_change(a, b):
    name, _, _, _, bes = SERVICES[0]
    for gw in (a, b):
        cli_ok(gw, ["backend del %s %s:%d" % (name, bes[3][0], bes[3][1]), "commit"])
    SERVICES[0] = (SERVICES[0][0], SERVICES[0][1], SERVICES[0][2], SERVICES[0][3],
                   bes[:3] + bes[4:])
    compare(a, b, 2)


def main():
    if len(sys.argv) != 2:
        print("usage: %s NODEGW" % sys.argv[0], file=sys.stderr)
        return 2
    exe = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="nodegw-same-choice.")
    res = ngproc.Results()
    a = ngproc.Nodegw(exe, tmp, "a", stem="ngsame", error=Fail)
    b = ngproc.Nodegw(exe, tmp, "b", stem="ngsame", error=Fail)
    try:
        a.start(conf_a, lcores="0@0,1@1")
        b.start(conf_b, lcores="0@0,1@1,2@0")
        res.run("B builds api over the CLI", build_api_on_b, b)
        res.run("two processes, same services: the same backend for every flow", t_agree, a, b)
        res.run("after a backend leaves both: still the same", t_agree_after_change, a, b)
    finally:
        for gw in (a, b):
            if gw.proc is not None:
                gw.stop()
    return res.finish(tmp)


if __name__ == "__main__":
    sys.exit(main())
