#!/usr/bin/env python3
"""Flood generator and legitimate clients for the nodegw flood e2e test.

Standard library only; needs root (raw sockets) for `flood`. Subcommands:

  flood --kind syn|ack|udp --src ADDR --dst ADDR --dport PORT --count N
        --rate PPS [--seed S] [--sport-min P] [--sport-max P]
      Sends N packets (at most 200,000, for at most 120 s) from ADDR with
      random source ports in [sport-min, sport-max] (default 1024..32767,
      below the kernel's ephemeral ports, so that no packet hits a real
      connection's tuple): TCP SYNs, TCP ACKs (mid-stream, no connection) or
      UDP datagrams, through a raw socket (IP_HDRINCL), paced to PPS. Prints
      one JSON object: sent, seconds, pps.

  clients --tcp ADDR:PORT --udp ADDR:PORT [--active N] [--idle N]
          [--udp-flows N] [--interval S] [--new-rate R] [--timeout S]
          --phases syn,ack,udp --flood-count N --flood-rate PPS
          [--settle S] [--max-seconds S]
      The legitimate side of the test:
        - N active TCP connections (default 500), each sending "a<i> <seq>\\n"
          every --interval s (default 0.1) and waiting for its answer;
        - N idle TCP connections (default 50), each made and answered once,
          then silent until the end of each flood phase, when each sends one
          message that must be answered;
        - N UDP flows (default 50), one connected socket each, ping-pong
          every --interval s;
        - during each flood, new TCP connections (--new-rate per second,
          default 20): connect, one message, its answer, close.
      For each phase in --phases it runs `flood` (this file) for the kind (source ports apart per phase),
      against the TCP address (syn, ack) or the UDP address (udp), waits
      --settle s (default 1), then has the idle connections send. An
      exchange fails when its answer does not come within --timeout s
      (default 5) or its connection is reset or closed. Prints one JSON
      object with the figures per phase and in all. Bounded: --max-seconds
      (default 600) for the whole run.
"""

import argparse
import errno
import json
import os
import random
import selectors
import socket
import struct
import subprocess
import sys
import time

FLOOD_MAX_COUNT = 200000
# Source ports of each phase's flood: apart, so that a flood never hits the
# entries an earlier one left (all below the kernel's ephemeral ports).
PHASE_PORTS = {"syn": (1024, 11999), "ack": (12000, 22999), "udp": (23000, 32767)}
FLOOD_MAX_SECONDS = 120.0


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


# ---- flood ------------------------------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def packet(kind, src, dst, sport, dport, seq):
    s = socket.inet_aton(src)
    d = socket.inet_aton(dst)
    if kind == "udp":
        payload = b"flood %d" % seq
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        proto = socket.IPPROTO_UDP
    else:
        flags = 0x02 if kind == "syn" else 0x10
        ack = 0 if kind == "syn" else (seq * 7919) & 0xffffffff
        l4 = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack, 5 << 4, flags,
                         64240, 0, 0)
        proto = socket.IPPROTO_TCP
    pseudo = s + d + struct.pack("!BBH", 0, proto, len(l4))
    c = csum(pseudo + l4)
    if proto == socket.IPPROTO_UDP:
        l4 = l4[:6] + struct.pack("!H", c or 0xffff) + l4[8:]
    else:
        l4 = l4[:16] + struct.pack("!H", c) + l4[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), seq & 0xffff, 0, 64, proto, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + l4


def cmd_flood(a):
    count = min(a.count, FLOOD_MAX_COUNT)
    rnd = random.Random(a.seed)
    sk = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sk.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    pkts = [packet(a.kind, a.src, a.dst, rnd.randint(a.sport_min, a.sport_max), a.dport,
                   rnd.getrandbits(32)) for _ in range(count)]
    t0 = time.monotonic()
    sent = 0
    batch = max(1, a.rate // 200)
    while sent < count and time.monotonic() - t0 < FLOOD_MAX_SECONDS:
        for p in pkts[sent:sent + batch]:
            try:
                sk.sendto(p, (a.dst, 0))
            except OSError as e:
                if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
                    raise
                time.sleep(0.001)
            sent += 1
        ahead = sent / a.rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    dt = time.monotonic() - t0
    print(json.dumps({"kind": a.kind, "sent": sent, "seconds": round(dt, 3),
                      "pps": round(sent / dt) if dt > 0 else 0}))
    return 0


# ---- legitimate clients --------------------------------------------------------------

class Stats:
    def __init__(self):
        self.ok = 0
        self.failed = 0
        self.resets = 0
        self.late = []

    def fail(self, why, reset=False):
        self.failed += 1
        if reset:
            self.resets += 1
        if len(self.late) < 10:
            self.late.append(why)

    def json(self):
        return {"ok": self.ok, "failed": self.failed, "resets": self.resets,
                "first_failures": self.late}


class Peer:
    """One TCP connection or UDP socket doing request/response, one at a time."""

    def __init__(self, name, sock, udp):
        self.name = name
        self.sock = sock
        self.udp = udp
        self.seq = 0
        self.sent_at = None
        self.buf = b""
        self.dead = False
        self.next_at = 0.0

    def send(self, now):
        self.seq += 1
        msg = ("%s %d\n" % (self.name, self.seq)).encode()
        try:
            self.sock.send(msg)
        except OSError as e:
            return e
        self.sent_at = now
        return None

    def answers(self):
        """The sequence numbers answered in what arrived (None on EOF)."""
        got = []
        while True:
            try:
                d = self.sock.recv(65536)
            except BlockingIOError:
                break
            if not d:
                return None
            if self.udp:
                got.append(d)
                continue
            self.buf += d
            break
        if not self.udp:
            lines = self.buf.split(b"\n")
            self.buf = lines.pop()
            got = lines
        out = []
        for line in got:
            parts = line.split()
            if len(parts) >= 3 and parts[1].decode(errors="replace") == self.name:
                out.append(int(parts[2]))
        return out


class Clients:
    def __init__(self, a):
        self.a = a
        self.sel = selectors.DefaultSelector()
        self.tcp = hostport(a.tcp)
        self.udp = hostport(a.udp)
        self.active, self.idle, self.flows = [], [], []
        self.news = {}
        self.n_new = 0
        self.deadline = time.monotonic() + a.max_seconds

    def connect(self, name):
        s = socket.create_connection(self.tcp, timeout=self.a.timeout)
        s.setblocking(False)
        return Peer(name, s, False)

    def setup(self):
        for i in range(self.a.active):
            self.active.append(self.connect("a%d" % i))
        for i in range(self.a.idle):
            self.idle.append(self.connect("i%d" % i))
        for i in range(self.a.udp_flows):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect(self.udp)
            s.setblocking(False)
            self.flows.append(Peer("u%d" % i, s, True))
        for p in self.active + self.idle + self.flows:
            self.sel.register(p.sock, selectors.EVENT_READ, p)
        # One exchange on everything (idle connections included): every
        # connection is confirmed in nodegw before the first flood.
        st = Stats()
        self.exchange_once(self.active + self.idle + self.flows, st, "setup")
        return st

    def exchange_once(self, peers, st, what):
        now = time.monotonic()
        waiting = {}
        for p in peers:
            if p.dead:
                continue
            err = p.send(now)
            if err is not None:
                p.dead = True
                st.fail("%s %s: send: %s" % (what, p.name, err), True)
            else:
                waiting[p] = p.seq
        end = now + self.a.timeout
        while waiting and time.monotonic() < end:
            for key, _ in self.sel.select(0.05):
                self.on_readable(key.data, st, waiting)
        for p in waiting:
            st.fail("%s %s: no answer in %.1f s" % (what, p.name, self.a.timeout))
            p.sent_at = None

    def on_readable(self, p, st, waiting=None):
        if isinstance(p, NewConn):
            p.on_readable(self, st)
            return
        err = "closed by the peer"
        try:
            got = p.answers()
        except OSError as e:
            got, err = None, str(e)
        if got is None:
            if not p.dead:
                p.dead = True
                self.sel.unregister(p.sock)
                st.fail("%s: %s" % (p.name, err), True)
            return
        for seq in got:
            if seq == p.seq and p.sent_at is not None:
                st.ok += 1
                p.sent_at = None
                if waiting is not None:
                    waiting.pop(p, None)

    def run_phase(self, kind):
        a = self.a
        st, st_new, st_idle = Stats(), Stats(), Stats()
        target = self.udp if kind == "udp" else self.tcp
        cmd = [sys.executable, os.path.abspath(__file__), "flood", "--kind", kind,
               "--src", a.src, "--dst", target[0], "--dport", str(target[1]),
               "--count", str(a.flood_count), "--rate", str(a.flood_rate),
               "--seed", str(a.seed + PHASE_PORTS[kind][0]),
               "--sport-min", str(PHASE_PORTS[kind][0]), "--sport-max", str(PHASE_PORTS[kind][1])]
        flood = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t0 = time.monotonic()
        flood_end = None
        next_new = t0
        peers = self.active + self.flows
        for i, p in enumerate(peers):
            p.next_at = t0 + a.interval * i / max(1, len(peers))
        while time.monotonic() < self.deadline:
            now = time.monotonic()
            if flood_end is None and flood.poll() is not None:
                flood_end = now
            if flood_end is not None and now >= flood_end + a.settle and not self.news:
                break
            for p in peers:
                if p.dead:
                    continue
                if p.sent_at is not None and now - p.sent_at > a.timeout:
                    st.fail("%s %s: no answer in %.1f s" % (kind, p.name, a.timeout))
                    p.sent_at = None
                if p.sent_at is None and now >= p.next_at:
                    err = p.send(now)
                    if err is not None:
                        p.dead = True
                        st.fail("%s %s: send: %s" % (kind, p.name, err), True)
                    p.next_at = max(p.next_at + a.interval, now)
            if flood_end is None and now >= next_new:
                NewConn(self, st_new)
                next_new += 1.0 / a.new_rate
            for n in list(self.news.values()):
                n.check_timeout(self, st_new, now)
            for key, _ in self.sel.select(0.01):
                self.on_readable(key.data, st if not isinstance(key.data, NewConn)
                                 else st_new)
        # Answers of the last requests.
        end = time.monotonic() + a.timeout
        while any(p.sent_at is not None and not p.dead for p in peers) and \
                time.monotonic() < end:
            for key, _ in self.sel.select(0.05):
                self.on_readable(key.data, st)
        for p in peers:
            if p.sent_at is not None and not p.dead:
                st.fail("%s %s: no answer in %.1f s" % (kind, p.name, a.timeout))
                p.sent_at = None
        out, err = flood.communicate(timeout=10)
        try:
            fl = json.loads(out.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            fl = {"error": err.decode(errors="replace")[-500:], "rc": flood.returncode}
        self.exchange_once(self.idle, st_idle, kind + " idle")
        return {"kind": kind, "flood": fl, "seconds": round(time.monotonic() - t0, 2),
                "exchanges": st.json(), "idle": st_idle.json(), "new": st_new.json()}


class NewConn:
    """A new connection during a flood: connect, one message, its answer, close."""

    def __init__(self, cl, st):
        cl.n_new += 1
        self.name = "n%d" % cl.n_new
        self.started = time.monotonic()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.connected = False
        self.buf = b""
        rc = self.sock.connect_ex(cl.tcp)
        if rc not in (0, errno.EINPROGRESS):
            st.fail("%s: connect: %s" % (self.name, os.strerror(rc)), True)
            self.sock.close()
            return
        cl.news[self.name] = self
        cl.sel.register(self.sock, selectors.EVENT_WRITE | selectors.EVENT_READ, self)

    def done(self, cl):
        cl.news.pop(self.name, None)
        cl.sel.unregister(self.sock)
        self.sock.close()

    def check_timeout(self, cl, st, now):
        if now - self.started > cl.a.timeout:
            st.fail("%s: no answer in %.1f s (connected: %s)" % (self.name, cl.a.timeout,
                                                                 self.connected))
            self.done(cl)

    def on_readable(self, cl, st):
        if not self.connected:
            rc = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if rc != 0:
                st.fail("%s: connect: %s" % (self.name, os.strerror(rc)), True)
                self.done(cl)
                return
            self.connected = True
            cl.sel.modify(self.sock, selectors.EVENT_READ, self)
            try:
                self.sock.send(("%s 1\n" % self.name).encode())
            except OSError as e:
                st.fail("%s: send: %s" % (self.name, e), True)
                self.done(cl)
            return
        try:
            d = self.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError as e:
            st.fail("%s: %s" % (self.name, e), True)
            self.done(cl)
            return
        self.buf += d
        if not d or b"\n" in self.buf:
            parts = self.buf.split()
            if len(parts) >= 3 and parts[1] == self.name.encode() and parts[2] == b"1":
                st.ok += 1
            else:
                st.fail("%s: answer %r" % (self.name, self.buf[:80]), not d)
            self.done(cl)


def cmd_clients(a):
    cl = Clients(a)
    t0 = time.monotonic()
    res = {"active": a.active, "idle": a.idle, "udp_flows": a.udp_flows,
           "interval_s": a.interval, "new_rate": a.new_rate, "phases": []}
    try:
        res["setup"] = cl.setup().json()
        print("READY", flush=True)
        for kind in a.phases.split(","):
            res["phases"].append(cl.run_phase(kind))
    except OSError as e:
        res["error"] = "%s: %s" % (type(e).__name__, e)
    res["seconds"] = round(time.monotonic() - t0, 2)
    res["alive"] = {"active": sum(not p.dead for p in cl.active),
                    "idle": sum(not p.dead for p in cl.idle),
                    "udp": sum(not p.dead for p in cl.flows)}
    print(json.dumps(res))
    return 0 if "error" not in res else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("flood")
    p.add_argument("--kind", choices=("syn", "ack", "udp"), required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--dport", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--rate", type=int, default=2000)
    p.add_argument("--seed", type=int, default=17)
    p.add_argument("--sport-min", type=int, default=1024)
    p.add_argument("--sport-max", type=int, default=32767)
    p = sub.add_parser("clients")
    p.add_argument("--tcp", required=True)
    p.add_argument("--udp", required=True)
    p.add_argument("--src", default="198.18.0.2", help="the flood's source address")
    p.add_argument("--active", type=int, default=500)
    p.add_argument("--idle", type=int, default=50)
    p.add_argument("--udp-flows", type=int, default=50)
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--new-rate", type=float, default=20.0)
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--phases", default="syn,ack,udp")
    p.add_argument("--flood-count", type=int, required=True)
    p.add_argument("--flood-rate", type=int, default=2000)
    p.add_argument("--settle", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=17)
    p.add_argument("--max-seconds", type=float, default=600.0)
    a = ap.parse_args()
    return cmd_flood(a) if a.cmd == "flood" else cmd_clients(a)


if __name__ == "__main__":
    sys.exit(main())
