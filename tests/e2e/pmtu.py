#!/usr/bin/env python3
"""Client and server helpers for the nodegw ICMP/MTU e2e test (test_icmp_mtu.sh).

Standard library only. Subcommands:

  sink --bind ADDR --port P [--lifetime S]
      TCP: read each connection to its end, answer the sha256 (hex) of what
      came, close. Exits by itself after --lifetime seconds.

  put ADDR PORT SIZE [--timeout S]
      Send SIZE bytes (a fixed pattern) and half-close; print
      "sent=SHA got=SHA" with the sink's answer ("got=none" on a timeout).

  udp-refused ADDR PORT [--timeout S]
      A connected UDP socket sends one datagram; prints "refused" when an
      ICMP port unreachable came back (ECONNREFUSED), else "timeout" or
      "reply".
"""

import argparse
import hashlib
import socket
import sys
import threading
import time


def pattern(size):
    line = b"198.18.0.0/15 nodegw pmtu test payload 0123456789abcdefghij\n"
    n = size // len(line) + 1
    return (line * n)[:size]


def handle(conn):
    h = hashlib.sha256()
    with conn:
        conn.settimeout(60)
        try:
            while True:
                b = conn.recv(65536)
                if not b:
                    break
                h.update(b)
            conn.sendall(h.hexdigest().encode() + b"\n")
        except OSError:
            pass


def cmd_sink(a):
    # IPv4 or IPv6, by the address to bind (put's create_connection takes either)
    s = socket.socket(socket.AF_INET6 if ":" in a.bind else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    s.listen(16)
    s.settimeout(1.0)
    end = time.monotonic() + a.lifetime
    while time.monotonic() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=handle, args=(c,), daemon=True).start()
    return 0


def cmd_put(a):
    data = pattern(a.size)
    want = hashlib.sha256(data).hexdigest()
    got = "none"
    try:
        with socket.create_connection((a.addr, a.port), timeout=a.timeout) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            buf = b""
            while not buf.endswith(b"\n"):
                b = s.recv(256)
                if not b:
                    break
                buf += b
            got = buf.decode().strip() or "none"
    except OSError as e:
        got = "none(%s)" % e
    print("sent=%s got=%s" % (want, got))
    return 0 if got == want else 1


def cmd_udp_refused(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(a.timeout)
    s.connect((a.addr, a.port))
    s.send(b"anyone there?")
    try:
        s.recv(2048)
        print("reply")
    except ConnectionRefusedError:
        print("refused")
    except socket.timeout:
        print("timeout")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sink")
    p.add_argument("--bind", default="0.0.0.0")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--lifetime", type=int, default=280)
    p.set_defaults(fn=cmd_sink)
    p = sub.add_parser("put")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("size", type=int)
    p.add_argument("--timeout", type=float, default=30.0)
    p.set_defaults(fn=cmd_put)
    p = sub.add_parser("udp-refused")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--timeout", type=float, default=3.0)
    p.set_defaults(fn=cmd_udp_refused)
    a = ap.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
