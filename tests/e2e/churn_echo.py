#!/usr/bin/env python3
"""Echo backends and long-lived client flows for the nodegw churn e2e test.

Standard library only. Subcommands:

  serve NAME [--bind ADDR] [--tcp-port 8080] [--udp-port 5353] [--lifetime S]
      TCP line echo: every line "X\\n" is answered with "NAME X\\n", on the
      same connection, for as long as the client keeps it open.
      UDP echo: every datagram P is answered with "NAME P".
      Exits by itself after --lifetime seconds (default 300).

  flows --tcp ADDR:PORT --udp ADDR:PORT --sport PORT [--duration S]
        [--stop-file F [--tail S]] [--udp-interval S] [--tcp-interval S]
        [--timeout S] [--ready-file F]
      Two flows for --duration seconds (default 12, at most 60), or, with
      --stop-file, until --tail s (default 1) after that file appears (and
      at most --duration s):
        - one TCP connection doing request/response: "seq N\\n" and it waits
          for "<backend> seq N\\n" (at most --timeout s) before the next
          request, --tcp-interval s apart (default 0.002);
        - one UDP socket bound to --sport sending "seq N" every
          --udp-interval s (default 0.005) on a fixed schedule; a receiver
          thread records every echo. After the last datagram it waits
          --timeout s for late echoes.
      Writes "READY" (and creates --ready-file) once both flows have had a
      first answer, then prints one JSON object with the results on stdout
      (start/end are time.monotonic(), comparable with the churn driver's).
      Exit status 0 when both flows ran clean, 1 otherwise (details in the
      JSON).

  probe ADDR:PORT... [--timeout S]
      One TCP connection to each: sends "probe" and wants "<backend> probe".
      Prints "ADDR:PORT ok BACKEND" or "ADDR:PORT FAIL reason" per target;
      exit status 0 when every one answered.
"""

import argparse
import json
import os
import socket
import socketserver
import sys
import threading
import time

DURATION_MAX = 60.0


# ---- backends -----------------------------------------------------------------------

class LineEcho(socketserver.StreamRequestHandler):
    def handle(self):
        name = self.server.backend_name.encode()
        try:
            for line in self.rfile:
                self.wfile.write(name + b" " + line.rstrip(b"\r\n") + b"\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, name):
        self.backend_name = name
        super().__init__(addr, LineEcho)


def udp_echo(sock, name):
    prefix = name.encode() + b" "
    while True:
        try:
            data, peer = sock.recvfrom(2048)
        except OSError:
            return
        try:
            sock.sendto(prefix + data, peer)
        except OSError as e:
            sys.stderr.write("udp sendto %s: %s\n" % (peer, e))


def cmd_serve(a):
    srv = TCPServer((a.bind, a.tcp_port), a.name)
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    us.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    us.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    us.bind((a.bind, a.udp_port))
    threading.Thread(target=udp_echo, args=(us, a.name), daemon=True).start()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    sys.stderr.write("echo backend %s: tcp %s:%d udp %s:%d, up to %d s\n" % (
        a.name, a.bind, a.tcp_port, a.bind, a.udp_port, a.lifetime))
    sys.stderr.flush()
    time.sleep(a.lifetime)
    srv.shutdown()
    return 0


# ---- client flows -------------------------------------------------------------------

def tcp_total_retrans(s):
    """tcpi_total_retrans of struct tcp_info (Linux): segments this
    connection retransmitted; None when unavailable."""
    try:
        info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    except OSError:
        return None
    if len(info) < 104:
        return None
    # 8 bytes of u8 fields, then u32s; tcpi_total_retrans is the 24th.
    return int.from_bytes(info[100:104], sys.byteorder)


def hostport(s):
    host, _, port = s.rpartition(":")
    return host, int(port)


class Deadline:
    """When the flows stop: a fixed limit, brought forward once a stop file
    appears (polled by a thread)."""

    def __init__(self, limit, stop_file, tail):
        self.t = limit
        self.stop_file = stop_file
        self.tail = tail
        self.stopped_at = None
        if stop_file:
            threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self):
        while time.monotonic() < self.t:
            if os.path.exists(self.stop_file):
                self.stopped_at = time.monotonic()
                self.t = min(self.t, self.stopped_at + self.tail)
                return
            time.sleep(0.01)

    def passed(self, now=None):
        return (time.monotonic() if now is None else now) >= self.t


class TcpFlow:
    def __init__(self, addr, interval, timeout, deadline):
        self.addr = addr
        self.interval = interval
        self.timeout = timeout
        self.deadline = deadline
        self.sent = 0
        self.answered = 0
        self.error = None
        self.backends = {}
        self.rtt_max = 0.0
        self.rtt_sum = 0.0
        self.first = threading.Event()
        self.retrans = None

    def run(self):
        try:
            s = socket.create_connection(self.addr, timeout=self.timeout)
        except OSError as e:
            self.error = "connect %s:%d: %s" % (self.addr[0], self.addr[1], e)
            self.first.set()
            return
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(self.timeout)
        buf = b""
        n = 0
        try:
            while not self.deadline.passed():
                req = b"seq %d" % n
                t0 = time.monotonic()
                s.sendall(req + b"\n")
                self.sent += 1
                while b"\n" not in buf:
                    chunk = s.recv(4096)
                    if not chunk:
                        raise ConnectionError("connection closed by peer after %d answers"
                                              % self.answered)
                    buf += chunk
                line, buf = buf.split(b"\n", 1)
                rtt = time.monotonic() - t0
                parts = line.split(b" ", 1)
                if len(parts) != 2 or parts[1] != req:
                    raise ValueError("request %d: answer %r (want '<backend> %s')"
                                     % (n, line[:80], req.decode()))
                if buf:
                    raise ValueError("request %d: unexpected extra data %r" % (n, buf[:80]))
                b = parts[0].decode(errors="replace")
                self.backends[b] = self.backends.get(b, 0) + 1
                self.answered += 1
                self.rtt_max = max(self.rtt_max, rtt)
                self.rtt_sum += rtt
                self.first.set()
                n += 1
                time.sleep(self.interval)
        except socket.timeout:
            self.error = "request %d: no answer within %.1f s" % (n, self.timeout)
        except (OSError, ConnectionError, ValueError) as e:
            self.error = "request %d: %s" % (n, e)
        finally:
            self.retrans = tcp_total_retrans(s)
            self.first.set()
            s.close()

    def result(self):
        return {
            "requests": self.sent, "answered": self.answered, "error": self.error,
            "backends": self.backends, "rtt_max_ms": round(self.rtt_max * 1e3, 2),
            "retransmits": self.retrans,
            "rtt_avg_ms": round(self.rtt_sum * 1e3 / self.answered, 3) if self.answered else None,
        }


class UdpFlow:
    def __init__(self, addr, sport, interval, timeout, deadline):
        self.addr = addr
        self.interval = interval
        self.timeout = timeout
        self.deadline = deadline
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind(("", sport))
        self.sock.settimeout(0.2)
        self.sent_at = {}
        self.got = {}
        self.dups = 0
        self.bad = []
        self.backends = {}
        self.send_error = None
        self.sent = 0
        self.done_sending = threading.Event()
        self.first = threading.Event()
        self.lock = threading.Lock()

    def receiver(self):
        stop_at = None
        while True:
            if self.done_sending.is_set():
                if stop_at is None:
                    stop_at = time.monotonic() + self.timeout
                with self.lock:
                    if len(self.got) == self.sent:
                        return
                if time.monotonic() >= stop_at:
                    return
            try:
                data, _peer = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError as e:
                self.bad.append("recv: %s" % e)
                return
            now = time.monotonic()
            parts = data.split(b" ")
            try:
                if len(parts) != 3 or parts[1] != b"seq":
                    raise ValueError
                n = int(parts[2])
            except ValueError:
                if len(self.bad) < 10:
                    self.bad.append(repr(data[:80]))
                continue
            with self.lock:
                t0 = self.sent_at.get(n)
                if t0 is None:
                    if len(self.bad) < 10:
                        self.bad.append("echo of a datagram never sent: %r" % data[:80])
                    continue
                if n in self.got:
                    self.dups += 1
                    continue
                self.got[n] = now - t0
            b = parts[0].decode(errors="replace")
            self.backends[b] = self.backends.get(b, 0) + 1
            self.first.set()

    def sender(self):
        t_next = time.monotonic()
        n = 0
        try:
            while not self.deadline.passed(t_next):
                now = time.monotonic()
                if t_next > now:
                    time.sleep(t_next - now)
                with self.lock:
                    self.sent_at[n] = time.monotonic()
                    self.sent = n + 1
                self.sock.sendto(b"seq %d" % n, self.addr)
                n += 1
                t_next += self.interval
                # Never burst to catch up after a stall: keep the spacing.
                t_next = max(t_next, time.monotonic())
        except OSError as e:
            self.send_error = "send %d: %s" % (n, e)
        finally:
            self.done_sending.set()

    def result(self):
        with self.lock:
            missing = sorted(set(range(self.sent)) - set(self.got))
            rtts = sorted(self.got.values())
        runs = []
        for m in missing:
            if runs and runs[-1][1] == m - 1:
                runs[-1][1] = m
            else:
                runs.append([m, m])
        return {
            "sent": self.sent, "echoed": len(self.got), "lost": len(missing),
            "lost_ranges": [("%d" % a) if a == b else "%d-%d" % (a, b) for a, b in runs[:20]],
            "duplicates": self.dups, "bad": self.bad, "send_error": self.send_error,
            "backends": self.backends,
            "rtt_max_ms": round(rtts[-1] * 1e3, 2) if rtts else None,
            "rtt_p50_ms": round(rtts[(len(rtts) - 1) // 2] * 1e3, 3) if rtts else None,
            "rtt_p99_ms": round(rtts[int((len(rtts) - 1) * 0.99)] * 1e3, 3) if rtts else None,
        }


def cmd_flows(a):
    if not 0 < a.duration <= DURATION_MAX:
        sys.stderr.write("--duration must be in (0, %g]\n" % DURATION_MAX)
        return 2
    start = time.monotonic()
    deadline = Deadline(start + a.duration, a.stop_file, a.tail)
    tcp = TcpFlow(hostport(a.tcp), a.tcp_interval, a.timeout, deadline)
    udp = UdpFlow(hostport(a.udp), a.sport, a.udp_interval, a.timeout, deadline)
    threads = [threading.Thread(target=tcp.run, daemon=True),
               threading.Thread(target=udp.receiver, daemon=True),
               threading.Thread(target=udp.sender, daemon=True)]
    for t in threads:
        t.start()
    ready = (tcp.first.wait(a.timeout + 1) and udp.first.wait(a.timeout + 1) and
             tcp.error is None and tcp.answered > 0)
    if ready:
        print("READY %.3f" % (time.monotonic() - start), flush=True)
        if a.ready_file:
            with open(a.ready_file, "w") as f:
                f.write("%.6f\n" % time.monotonic())
    for t in threads:
        t.join(a.duration + 3 * a.timeout + 5)
    end = time.monotonic()
    res = {"start": start, "end": end, "ready": bool(ready), "stop_seen": deadline.stopped_at,
           "tcp": tcp.result(), "udp": udp.result()}
    print(json.dumps(res, sort_keys=True), flush=True)
    t, u = res["tcp"], res["udp"]
    clean = (ready and t["error"] is None and t["answered"] == t["requests"] and
             u["lost"] == 0 and u["sent"] > 0 and not u["bad"] and u["send_error"] is None and
             not any(th.is_alive() for th in threads))
    return 0 if clean else 1


def cmd_probe(a):
    bad = 0
    for t in a.targets:
        try:
            with socket.create_connection(hostport(t), timeout=a.timeout) as s:
                s.settimeout(a.timeout)
                s.sendall(b"probe\n")
                buf = b""
                while b"\n" not in buf:
                    chunk = s.recv(4096)
                    if not chunk:
                        raise ConnectionError("closed without an answer")
                    buf += chunk
            line = buf.split(b"\n", 1)[0].decode(errors="replace")
            name, _, rest = line.partition(" ")
            if rest != "probe":
                raise ValueError("answer %r" % line[:80])
            print("%s ok %s" % (t, name))
        except (OSError, ConnectionError, ValueError) as e:
            bad += 1
            print("%s FAIL %s" % (t, e))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("serve")
    p.add_argument("name")
    p.add_argument("--bind", default="0.0.0.0")
    p.add_argument("--tcp-port", type=int, default=8080)
    p.add_argument("--udp-port", type=int, default=5353)
    p.add_argument("--lifetime", type=int, default=300)
    p.set_defaults(fn=cmd_serve)

    p = sub.add_parser("flows")
    p.add_argument("--tcp", required=True, help="ADDR:PORT")
    p.add_argument("--udp", required=True, help="ADDR:PORT")
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--duration", type=float, default=12.0)
    p.add_argument("--stop-file")
    p.add_argument("--tail", type=float, default=1.0)
    p.add_argument("--udp-interval", type=float, default=0.005)
    p.add_argument("--tcp-interval", type=float, default=0.002)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--ready-file")
    p.set_defaults(fn=cmd_flows)

    p = sub.add_parser("probe")
    p.add_argument("targets", nargs="+", help="ADDR:PORT")
    p.add_argument("--timeout", type=float, default=2.0)
    p.set_defaults(fn=cmd_probe)

    a = ap.parse_args()
    try:
        return a.fn(a)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
