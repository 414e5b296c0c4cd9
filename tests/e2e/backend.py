#!/usr/bin/env python3
"""Backend and client helpers for the nodegw load-balancing e2e test.

Standard library only. Subcommands:

  serve NAME [--http-port 8080] [--udp-port 5353] [--bind ADDR]... [--lifetime S]
      On each --bind address (IPv4 or IPv6; give it twice for both), HTTP on
      --http-port:
        GET /             -> "backend=NAME client=PEER_IP\\n"
        GET /big?size=N[&rate=R]
                          -> N bytes of the fixed pattern (see gen-big), with
                             the header "X-Backend: NAME"; at R bytes per
                             second when rate is given (curl 7.88's
                             --limit-rate overshoots badly: not used)
      UDP echo on --udp-port: each datagram is answered with
        "backend=NAME client=PEER_IP"
      Exits by itself after --lifetime seconds (default 300).

  gen-big SIZE
      Write the /big body of SIZE bytes to stdout (to checksum it).

  udp-query ADDR PORT [--timeout S] [--tries N]      (ADDR IPv4 or IPv6)
      Send one datagram (retried up to N times), print the reply.

  udp-session ADDR PORT --sport PORT [--timeout S]
      One UDP socket bound to a fixed source port. For each line read on
      stdin it sends one datagram and prints "REPLY <ms> <text>" or
      "TIMEOUT <ms>"; it exits at end of input. Lets a test keep one socket
      (one 5-tuple) across a gateway reconfiguration.
"""

import argparse
import http.server
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

BIG_MAX = 256 * 1024 * 1024
CHUNK = 16384


def big_pattern():
    """The 64-byte line the /big body repeats: 198.18.0.0/15 test payload."""
    line = b"nodegw lb e2e payload 198.18.0.0/15 "
    line += b"0123456789abcdefghijklmnopqrstuvwxyz"[:63 - len(line)] + b"\n"
    assert len(line) == 64
    return line


def big_chunks(size, chunk=CHUNK):
    block = big_pattern() * (chunk // 64)
    left = size
    while left > 0:
        n = min(left, len(block))
        yield block[:n]
        left -= n


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "nodegw-e2e-backend"
    sys_version = ""
    protocol_version = "HTTP/1.0"  # one request per connection

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s %s\n" % (self.server.backend_name,
                                         self.client_address[0], fmt % args))

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        name = self.server.backend_name
        if url.path == "/":
            body = ("backend=%s client=%s\n" % (name, self.client_address[0])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Backend", name)
            self.end_headers()
            self.wfile.write(body)
            return
        if url.path == "/big":
            q = urllib.parse.parse_qs(url.query)
            try:
                size = int(q.get("size", ["1000000"])[0])
                rate = int(q.get("rate", ["0"])[0])
            except ValueError:
                size = rate = -1
            if size < 0 or size > BIG_MAX or rate < 0:
                self.send_error(400, "size must be 0..%d, rate >= 0" % BIG_MAX)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.send_header("X-Backend", name)
            self.send_header("X-Client", self.client_address[0])
            self.end_headers()
            t0 = time.monotonic()
            sent = 0
            try:
                for c in big_chunks(size, 4096 if rate else CHUNK):
                    if rate:
                        ahead = sent / rate - (time.monotonic() - t0)
                        if ahead > 0:
                            time.sleep(ahead)
                    self.wfile.write(c)
                    sent += len(c)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        self.send_error(404)


def family(addr):
    """The socket family of an address literal."""
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


class HTTPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, name):
        self.backend_name = name
        self.address_family = family(addr[0])
        super().__init__(addr, Handler)

    # http.server.HTTPServer.server_bind would call socket.getfqdn(): no
    # name lookups here at all.
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port


def udp_echo(sock, name):
    while True:
        try:
            data, peer = sock.recvfrom(2048)
        except OSError:
            return
        reply = ("backend=%s client=%s" % (name, peer[0])).encode()
        try:
            sock.sendto(reply, peer)
        except OSError as e:
            sys.stderr.write("udp sendto %s: %s\n" % (peer, e))


def cmd_serve(a):
    servers = []
    for addr in a.bind or ["0.0.0.0"]:
        httpd = HTTPServer((addr, a.http_port), a.name)
        us = socket.socket(family(addr), socket.SOCK_DGRAM)
        us.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        us.bind((addr, a.udp_port))
        threading.Thread(target=udp_echo, args=(us, a.name), daemon=True).start()
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        sys.stderr.write("backend %s: http %s:%d udp %s:%d, up to %d s\n" % (
            a.name, addr, a.http_port, addr, a.udp_port, a.lifetime))
    sys.stderr.flush()
    time.sleep(a.lifetime)
    for httpd in servers:
        httpd.shutdown()
    return 0


def cmd_gen_big(a):
    out = sys.stdout.buffer
    for c in big_chunks(a.size):
        out.write(c)
    out.flush()
    return 0


def cmd_udp_query(a):
    s = socket.socket(family(a.addr), socket.SOCK_DGRAM)
    s.settimeout(a.timeout)
    for _ in range(a.tries):
        s.sendto(b"query", (a.addr, a.port))
        try:
            data, _peer = s.recvfrom(2048)
        except socket.timeout:
            continue
        print(data.decode(errors="replace"))
        return 0
    print("TIMEOUT")
    return 1


def cmd_udp_session(a):
    s = socket.socket(family(a.addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", a.sport))
    for n, _line in enumerate(sys.stdin):
        # Drop late replies to earlier datagrams: only this one's counts.
        s.setblocking(False)
        try:
            while True:
                s.recvfrom(2048)
        except (BlockingIOError, OSError):
            pass
        s.setblocking(True)
        t0 = time.monotonic()
        s.sendto(b"query %d" % n, (a.addr, a.port))
        s.settimeout(a.timeout)
        try:
            data, _peer = s.recvfrom(2048)
            ms = (time.monotonic() - t0) * 1000
            print("REPLY %.1f %s" % (ms, data.decode(errors="replace")), flush=True)
        except socket.timeout:
            ms = (time.monotonic() - t0) * 1000
            print("TIMEOUT %.1f" % ms, flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("serve")
    p.add_argument("name")
    p.add_argument("--bind", action="append")
    p.add_argument("--http-port", type=int, default=8080)
    p.add_argument("--udp-port", type=int, default=5353)
    p.add_argument("--lifetime", type=int, default=300)
    p.set_defaults(fn=cmd_serve)

    p = sub.add_parser("gen-big")
    p.add_argument("size", type=int)
    p.set_defaults(fn=cmd_gen_big)

    p = sub.add_parser("udp-query")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--timeout", type=float, default=1.0)
    p.add_argument("--tries", type=int, default=3)
    p.set_defaults(fn=cmd_udp_query)

    p = sub.add_parser("udp-session")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--timeout", type=float, default=1.0)
    p.set_defaults(fn=cmd_udp_session)

    a = ap.parse_args()
    try:
        return a.fn(a)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
