#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Large UDP datagrams through nodegw, fragmented by the kernel (tests/e2e/test_frag.sh).

  serve NAME --bind ADDR --tcp-port T --udp-port U [--lifetime S]
      UDP echo of whole datagrams (up to 65,507 bytes) on U; a TCP listener on
      T that accepts and closes (the topology helper waits for both).
  client --to VIP:PORT --sizes 4000,60000 --count N [--interval S] [--timeout S]
      sends N datagrams of each size (a pattern that names the datagram), waits
      for each echo and compares it byte for byte; prints one JSON line:
      {"sent": n, "ok": n, "lost": n, "bad": n, "by_size": {...}}.
  flood --src A[/N] --dst VIP --count N [--rate PPS] --max-seconds S
      N fragments that never complete (random identification, more
      fragments set, offset 0 or not) from A (or a random host of A/N: the
      last byte random) to VIP, UDP, over a raw socket; IPv4 or IPv6 by
      VIP's address; prints {"sent": n, "seconds": s}.

IPv6 addresses work wherever IPv4 ones do (the family follows the address).
Every loop is bounded in count and time; addresses come from the caller (the
test uses 198.18.0.0/15 and 2001:db8::/32 inside its own namespaces).
"""
import argparse
import json
import os
import random
import socket
import struct
import sys
import threading
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def serve(a):
    u = socket.socket(family(a.bind), socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    u.bind((a.bind, a.udp_port))
    t = socket.socket(family(a.bind), socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((a.bind, a.tcp_port))
    t.listen(16)

    def accept_loop():
        while True:
            try:
                c, _ = t.accept()
                c.close()
            except OSError:
                return

    threading.Thread(target=accept_loop, daemon=True).start()
    end = time.monotonic() + a.lifetime
    u.settimeout(0.5)
    n = 0
    while time.monotonic() < end:
        try:
            data, peer = u.recvfrom(65535)
        except socket.timeout:
            continue
        u.sendto(data, peer)
        n += 1
    print("%s: echoed %d datagrams" % (a.name, n), flush=True)


def payload(size, seq):
    head = struct.pack("!II", size, seq)
    body = bytes((seq * 31 + i) & 0xFF for i in range(min(size, 256)))
    out = head + (body * (size // len(body) + 1))
    return out[:size]


def client(a):
    host, port = a.to.rsplit(":", 1)
    sizes = [int(x) for x in a.sizes.split(",")]
    host = host.strip("[]")
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect((host, int(port)))
    s.settimeout(a.timeout)
    res = {"sent": 0, "ok": 0, "lost": 0, "bad": 0, "by_size": {}}
    end = time.monotonic() + a.max_seconds
    # the flow's first datagram, small and not counted: the gateway resolves
    # the MAC of the flow's backend and of the client on it
    s.send(payload(64, 0))
    try:
        s.recv(65535)
    except socket.timeout:
        pass
    seq = 0
    for i in range(a.count):
        for size in sizes:
            if time.monotonic() > end:
                break
            seq += 1
            want = payload(size, seq)
            st = res["by_size"].setdefault(str(size), {"sent": 0, "ok": 0})
            s.send(want)
            res["sent"] += 1
            st["sent"] += 1
            got = None
            deadline = time.monotonic() + a.timeout
            while time.monotonic() < deadline:
                try:
                    got = s.recv(65535)
                except socket.timeout:
                    got = None
                    break
                if got[:8] == want[:8]:
                    break
                got = None  # a late echo of an earlier datagram
            if got is None:
                res["lost"] += 1
            elif got != want:
                res["bad"] += 1
            else:
                res["ok"] += 1
                st["ok"] += 1
        if a.interval:
            time.sleep(a.interval)
    print(json.dumps(res), flush=True)
    return 0 if res["ok"] == res["sent"] else 1


def ip_cksum(h):
    s = sum(struct.unpack("!10H", h))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def fragment(rnd, a, net, dst, data):
    """One fragment with more to come, from net (its last byte random with /N)."""
    src = net[:-1] + bytes([rnd.randrange(1, 255)]) if "/" in a.src else net
    off = rnd.choice((0, rnd.randrange(1, 4096)))
    if len(dst) == 16:
        fh = struct.pack("!BBHI", socket.IPPROTO_UDP, 0, off << 3 | 1, rnd.getrandbits(32))
        return struct.pack("!IHBB16s16s", 0x60000000, len(fh) + len(data),
                           socket.IPPROTO_FRAGMENT, 64, src, dst) + fh + data
    flags_off = 0x2000 | off  # more fragments: never the last
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), rnd.getrandbits(16), flags_off,
                    64, socket.IPPROTO_UDP, 0, src, dst)
    return h[:10] + struct.pack("!H", ip_cksum(h)) + h[12:] + data


def flood(a):
    fam = family(a.dst)
    # IPv6's IPPROTO_RAW sockets take the whole header, as IP_HDRINCL does for IPv4
    r = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
    if fam == socket.AF_INET:
        r.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    net = socket.inet_pton(fam, a.src.split("/")[0])
    dst = socket.inet_pton(fam, a.dst)
    rnd = random.Random(os.getpid())
    data = bytes(64)
    t0 = time.monotonic()
    sent = 0
    for i in range(a.count):
        if time.monotonic() - t0 > a.max_seconds:
            break
        if a.rate and i % 100 == 0:
            ahead = t0 + i / a.rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        pkt = fragment(rnd, a, net, dst, data)
        try:
            r.sendto(pkt, (a.dst, 0))
            sent += 1
        except OSError:
            time.sleep(0.001)  # the socket buffer is full: let the kernel drain it
    print(json.dumps({"sent": sent, "seconds": round(time.monotonic() - t0, 2)}), flush=True)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sv = sub.add_parser("serve")
    sv.add_argument("name")
    sv.add_argument("--bind", required=True)
    sv.add_argument("--tcp-port", type=int, required=True)
    sv.add_argument("--udp-port", type=int, required=True)
    sv.add_argument("--lifetime", type=float, default=280)
    cl = sub.add_parser("client")
    cl.add_argument("--to", required=True)
    cl.add_argument("--sizes", default="4000,60000")
    cl.add_argument("--count", type=int, default=10)
    cl.add_argument("--interval", type=float, default=0.0)
    cl.add_argument("--timeout", type=float, default=2.0)
    cl.add_argument("--max-seconds", type=float, default=120)
    fl = sub.add_parser("flood")
    fl.add_argument("--src", required=True)
    fl.add_argument("--dst", required=True)
    fl.add_argument("--count", type=int, default=100000)
    fl.add_argument("--rate", type=float, default=20000, help="packets/s; 0: as fast as it goes")
    fl.add_argument("--max-seconds", type=float, default=60)
    a = p.parse_args()
    if a.cmd == "serve":
        serve(a)
        return 0
    if a.cmd == "client":
        return client(a)
    return flood(a)


if __name__ == "__main__":
    sys.exit(main())
