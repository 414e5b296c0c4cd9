#!/usr/bin/env python3
"""Clients of the scale-out e2e test (tests/e2e/test_scaleout.sh).

Standard library only. The backends are tests/e2e/churn_echo.py servers: a
line "X\\n" is answered with "NAME X\\n" on the same connection.

  spread ADDR:PORT --bind IP --sport-base B --count N [--timeout S]
      N TCP connections from IP:B .. IP:B+N-1, a few at a time: each sends
      "hello", reads "NAME hello" and closes. Prints one JSON object:
      {"results": [[sport, backend or null, error or null], ...], "ok": K}.

  hold ADDR:PORT --bind IP --sport-base B --count N [--interval 0.1]
       [--timeout S] [--ready-file F] [--stop-file F] [--duration S]
      N long-lived TCP connections from IP:B.., each sending "seq K" every
      --interval s and waiting for "NAME seq K" (at most --timeout s) before
      the next. A connection that is reset, closed, answers wrongly or not
      in time is broken (and stays closed). Creates --ready-file once every
      connection had an answer; runs until --stop-file exists (then one more
      second) or --duration s (at most 120). Prints one JSON object:
      {"conns": [{"sport", "backends" (every NAME seen, in order), "ok",
      "broken" (why, or null), "broken_at" (s since start)}], "broken": K,
      "ok": total answers}.
"""

import argparse
import json
import os
import selectors
import socket
import sys
import time


def addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def connect(bind, sport, dst, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind, sport))
    s.settimeout(timeout)
    s.connect(dst)
    return s


def read_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(4096)
        if not d:
            raise ConnectionError("closed by the peer")
        buf += d
    return buf.decode(errors="replace").strip()


def cmd_spread(a):
    dst = addr(a.target)
    results, ok = [], 0
    for i in range(a.count):
        sport = a.sport_base + i
        try:
            s = connect(a.bind, sport, dst, a.timeout)
            try:
                s.sendall(b"hello\n")
                line = read_line(s)
            finally:
                s.close()
            name, _, rest = line.partition(" ")
            if rest != "hello":
                raise ValueError("unexpected answer %r" % line)
            results.append([sport, name, None])
            ok += 1
        except (OSError, ValueError) as e:
            results.append([sport, None, str(e)])
    print(json.dumps({"results": results, "ok": ok}))
    return 0 if ok == a.count else 1


class Conn:
    def __init__(self, sport, sock):
        self.sport, self.sock = sport, sock
        self.seq, self.ok, self.backends = 0, 0, []
        self.waiting_since = None
        self.next_at = 0.0
        self.buf = b""
        self.broken, self.broken_at = None, None


def hold_step(conns, sel, a, t0):
    now = time.monotonic()
    for c in conns:
        if c.broken:
            continue
        if c.waiting_since is not None and now - c.waiting_since > a.timeout:
            fail(c, sel, "no answer within %.1f s" % a.timeout, now - t0)
        elif c.waiting_since is None and now >= c.next_at:
            c.seq += 1
            try:
                c.sock.sendall(b"seq %d\n" % c.seq)
                c.waiting_since = now
            except OSError as e:
                fail(c, sel, "send: %s" % e, now - t0)
    for key, _ in sel.select(timeout=0.01):
        c = key.data
        try:
            d = c.sock.recv(4096)
        except OSError as e:
            fail(c, sel, "recv: %s" % e, time.monotonic() - t0)
            continue
        if not d:
            fail(c, sel, "closed by the peer", time.monotonic() - t0)
            continue
        c.buf += d
        while b"\n" in c.buf and not c.broken:
            line, c.buf = c.buf.split(b"\n", 1)
            name, _, rest = line.decode(errors="replace").partition(" ")
            if rest != "seq %d" % c.seq:
                fail(c, sel, "wrong answer %r" % line[:60], time.monotonic() - t0)
                break
            if not c.backends or c.backends[-1] != name:
                c.backends.append(name)
            c.ok += 1
            c.waiting_since = None
            c.next_at = time.monotonic() + a.interval


def fail(c, sel, why, at):
    c.broken, c.broken_at = why, round(at, 3)
    try:
        sel.unregister(c.sock)
    except (KeyError, ValueError):
        pass
    c.sock.close()


def cmd_hold(a):
    dst = addr(a.target)
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(a.count):
        s = connect(a.bind, a.sport_base + i, dst, a.timeout)
        s.setblocking(False)
        c = Conn(a.sport_base + i, s)
        sel.register(s, selectors.EVENT_READ, c)
        conns.append(c)
    t0 = time.monotonic()
    ready = False
    stop_at = t0 + min(a.duration, 120)
    while time.monotonic() < stop_at:
        hold_step(conns, sel, a, t0)
        if not ready and all(c.ok > 0 or c.broken for c in conns):
            ready = True
            if a.ready_file:
                open(a.ready_file, "w").close()
        if a.stop_file and os.path.exists(a.stop_file):
            stop_at = min(stop_at, time.monotonic() + 1.0)
            a.stop_file = None
    for c in conns:
        if not c.broken:
            c.sock.close()
    out = {"conns": [{"sport": c.sport, "backends": c.backends, "ok": c.ok,
                      "broken": c.broken, "broken_at": c.broken_at} for c in conns],
           "broken": sum(1 for c in conns if c.broken),
           "ok": sum(c.ok for c in conns)}
    print(json.dumps(out))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("spread", "hold"):
        q = sub.add_parser(name)
        q.add_argument("target")
        q.add_argument("--bind", required=True)
        q.add_argument("--sport-base", type=int, required=True)
        q.add_argument("--count", type=int, required=True)
        q.add_argument("--timeout", type=float, default=2.0)
        if name == "hold":
            q.add_argument("--interval", type=float, default=0.1)
            q.add_argument("--ready-file")
            q.add_argument("--stop-file")
            q.add_argument("--duration", type=float, default=60)
    a = p.parse_args()
    return cmd_spread(a) if a.cmd == "spread" else cmd_hold(a)


if __name__ == "__main__":
    sys.exit(main())
