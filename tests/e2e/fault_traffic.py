#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Client traffic for the nodegw fault tests and the soak (stdlib only).

Runs in the client namespace against the echo backends of churn_echo.py
(TCP line echo, UDP echo "NAME P"). Every subcommand prints one JSON object on
stdout; times are time.monotonic(), which the test reads in another namespace
(one clock for the whole machine).

  stream --udp ADDR:PORT --sport PORT [--tcp ADDR:PORT] [--interval S]
         [--tcp-interval S] [--tcp-timeout S] [--duration S] [--stop-file F]
         [--timeout S] [--ready-file F]
      A UDP datagram "seq N" every --interval s (default 0.01) from one
      socket bound to --sport, on a fixed schedule (never bursting to catch
      up), until --duration s (at most a day) or --stop-file appears; then it
      waits --timeout s (default 2) for late echoes. Sends never block: a send
      error (a full send buffer, a link down) is counted and the schedule goes
      on.
      With --tcp, one TCP connection doing request/response alongside (as
      churn_echo.py flows; an answer may take --tcp-timeout s). --ready-file
      is created once a first echo came.
      Output: sent, echoed, send_errors, backends, t0, interval, and "trace":
      one [t_sent - t0, rtt or null] per datagram, in ms; "tcp" when asked.

  hold ADDR:PORT... --ready-file F --go-file G [--timeout S] [--wait S]
      One TCP connection to each target, one exchange on each, then the
      ready file; once the go file appears (at most --wait s, default 60),
      one more exchange on each. Output per target: "first" (the backend
      that answered), "then": "ok BACKEND", "reset", "timeout", "closed" or
      "error: ...".

  burst --to ADDR... --port PORT --count N [--size B] [--sockets K]
      N UDP datagrams of B bytes (default 64), round-robin over the
      addresses and over K sockets (default 1; each its own source port, so
      K flows that RSS or af_packet's fanout spread over queues), as fast as
      the sockets take them. Output: sent, errors, seconds.

  connect ADDR:PORT --count N [--parallel P] [--timeout S]
      N short TCP connections (one exchange each), P at a time (default 8).
      Output: ok, failed, errors (the first ten), backends, seconds.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from churn_echo import Deadline, TcpFlow, hostport  # noqa: E402

DURATION_MAX = 86400.0  # a day: the soak


class UdpStream:
    """One UDP socket, a datagram every interval, every echo timed."""

    def __init__(self, addr, sport, interval, timeout):
        self.addr, self.interval, self.timeout = addr, interval, timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind(("", sport))
        # A full send buffer (the kernel holding datagrams while it resolves the
        # gateway, or with the link down) must not hold up the schedule.
        self.tx = socket.socket(fileno=os.dup(self.sock.fileno()))
        self.tx.setblocking(False)
        self.sock.settimeout(0.1)
        self.t_sent, self.rtt = [], {}
        self.send_errors, self.bad, self.backends = 0, [], {}
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.first = threading.Event()
        self.t0 = None

    def receiver(self):
        stop_at = None
        while True:
            if self.done.is_set():
                stop_at = stop_at or time.monotonic() + self.timeout
                with self.lock:
                    if len(self.rtt) == len(self.t_sent) or time.monotonic() >= stop_at:
                        return
            try:
                data, _ = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError as e:
                self.bad.append("recv: %s" % e)
                continue
            now = time.monotonic()
            parts = data.split(b" ")
            try:
                n = int(parts[2]) if len(parts) == 3 and parts[1] == b"seq" else -1
            except ValueError:
                n = -1
            with self.lock:
                if not 0 <= n < len(self.t_sent) or n in self.rtt:
                    if len(self.bad) < 10:
                        self.bad.append(repr(data[:60]))
                    continue
                self.rtt[n] = now - self.t_sent[n]
            b = parts[0].decode(errors="replace")
            self.backends[b] = self.backends.get(b, 0) + 1
            self.first.set()

    def sender(self, deadline):
        self.t0 = t_next = time.monotonic()
        n = 0
        while not deadline.passed(t_next):
            now = time.monotonic()
            if t_next > now:
                time.sleep(t_next - now)
            with self.lock:
                self.t_sent.append(time.monotonic())
            try:
                self.tx.sendto(b"seq %d" % n, self.addr)
            except OSError:
                self.send_errors += 1
            n += 1
            t_next = max(t_next + self.interval, time.monotonic())
        self.done.set()

    def result(self):
        with self.lock:
            trace = [[round((t - self.t0) * 1e3, 2),
                      round(self.rtt[i] * 1e3, 2) if i in self.rtt else None]
                     for i, t in enumerate(self.t_sent)]
        return {"sent": len(trace), "echoed": sum(1 for _, r in trace if r is not None),
                "send_errors": self.send_errors, "bad": self.bad, "backends": self.backends,
                "t0": self.t0, "interval_ms": self.interval * 1e3, "trace": trace}


def cmd_stream(a):
    if not 0 < a.duration <= DURATION_MAX:
        sys.stderr.write("--duration must be in (0, %g]\n" % DURATION_MAX)
        return 2
    start = time.monotonic()
    deadline = Deadline(start + a.duration, a.stop_file, 0)
    udp = UdpStream(hostport(a.udp), a.sport, a.interval, a.timeout)
    threads = [threading.Thread(target=udp.receiver, daemon=True),
               threading.Thread(target=udp.sender, args=(deadline,), daemon=True)]
    tcp = None
    if a.tcp:
        tcp = TcpFlow(hostport(a.tcp), a.tcp_interval, a.tcp_timeout or a.timeout, deadline)
        threads.append(threading.Thread(target=tcp.run, daemon=True))
    for t in threads:
        t.start()
    if udp.first.wait(a.timeout + 5) and (tcp is None or tcp.first.wait(a.timeout)):
        if a.ready_file:
            with open(a.ready_file, "w") as f:
                f.write("%.6f\n" % time.monotonic())
    for t in threads:
        t.join(a.duration + 2 * a.timeout + 5)
    res = udp.result()
    if tcp is not None:
        res["tcp"] = tcp.result()
    print(json.dumps(res), flush=True)
    return 0


def exchange(s, line, timeout):
    """Send line, read one answer line: (backend, None) or (None, what failed)."""
    s.settimeout(timeout)
    try:
        s.sendall(line + b"\n")
        buf = b""
        while b"\n" not in buf:
            d = s.recv(4096)
            if not d:
                return None, "closed"
            buf += d
    except ConnectionResetError:
        return None, "reset"
    except socket.timeout:
        return None, "timeout"
    except OSError as e:
        return None, "error: %s" % e
    name, _, rest = buf.split(b"\n", 1)[0].decode(errors="replace").partition(" ")
    return (name, None) if rest == line.decode() else (None, "error: answer %r" % rest[:60])


def cmd_hold(a):
    conns = []
    for t in a.targets:
        try:
            s = socket.create_connection(hostport(t), timeout=a.timeout)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as e:
            conns.append({"target": t, "sock": None, "first": "error: connect: %s" % e})
            continue
        b, err = exchange(s, b"first", a.timeout)
        conns.append({"target": t, "sock": s, "first": b or err})
    with open(a.ready_file, "w") as f:
        f.write("%.6f\n" % time.monotonic())
    deadline = time.monotonic() + a.wait
    while not os.path.exists(a.go_file) and time.monotonic() < deadline:
        time.sleep(0.02)
    out = []
    for c in conns:
        s = c.pop("sock")
        if s is None:
            c["then"] = "not connected"
        else:
            b, err = exchange(s, b"then", a.timeout)
            c["then"] = "ok " + b if b else err
            s.close()
        out.append(c)
    print(json.dumps({"go_seen": os.path.exists(a.go_file), "conns": out}), flush=True)
    return 0


def cmd_burst(a):
    socks = []
    for _ in range(a.sockets):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        s.setblocking(False)
        socks.append(s)
    payload = b"b" * a.size
    dsts = [(addr, a.port) for addr in a.to]
    sent = errors = 0
    t0 = time.monotonic()
    for i in range(a.count):
        try:
            socks[i % len(socks)].sendto(payload, dsts[i % len(dsts)])
            sent += 1
        except BlockingIOError:
            time.sleep(0.0005)
            errors += 1
        except OSError:
            errors += 1
    print(json.dumps({"sent": sent, "errors": errors, "t0": t0,
                      "seconds": round(time.monotonic() - t0, 3)}), flush=True)
    return 0


def cmd_connect(a):
    lock = threading.Lock()
    res = {"ok": 0, "failed": 0, "errors": [], "backends": {}}
    todo = list(range(a.count))

    def one():
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            try:
                with socket.create_connection(hostport(a.target), timeout=a.timeout) as s:
                    b, err = exchange(s, b"hello", a.timeout)
            except OSError as e:
                b, err = None, "connect: %s" % e
            with lock:
                if b:
                    res["ok"] += 1
                    res["backends"][b] = res["backends"].get(b, 0) + 1
                else:
                    res["failed"] += 1
                    if len(res["errors"]) < 10:
                        res["errors"].append(err)

    t0 = time.monotonic()
    threads = [threading.Thread(target=one, daemon=True) for _ in range(a.parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(a.count * a.timeout + 10)
    res["seconds"] = round(time.monotonic() - t0, 3)
    print(json.dumps(res), flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("stream")
    p.add_argument("--udp", required=True)
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--tcp")
    p.add_argument("--interval", type=float, default=0.01)
    p.add_argument("--tcp-interval", type=float, default=0.01)
    p.add_argument("--tcp-timeout", type=float, help="default: --timeout")
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--stop-file")
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--ready-file")
    p.set_defaults(fn=cmd_stream)
    p = sub.add_parser("hold")
    p.add_argument("targets", nargs="+")
    p.add_argument("--ready-file", required=True)
    p.add_argument("--go-file", required=True)
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--wait", type=float, default=60.0)
    p.set_defaults(fn=cmd_hold)
    p = sub.add_parser("burst")
    p.add_argument("--to", nargs="+", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--sockets", type=int, default=1)
    p.set_defaults(fn=cmd_burst)
    p = sub.add_parser("connect")
    p.add_argument("target")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--parallel", type=int, default=8)
    p.add_argument("--timeout", type=float, default=3.0)
    p.set_defaults(fn=cmd_connect)
    a = ap.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
