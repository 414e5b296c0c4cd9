#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end tests of the nodegw CLI against a real nodegw on net_null ports.

usage: test_nodegw_cli.py NODEGW

Starts nodegw itself (no root: --no-huge, --no-pci, its own --file-prefix), with
two net_null ports, a static route, a static neighbour and three services, reads
the CLI port from its log ("MAIN: CLI on 127.0.0.1 port N") and drives the CLI as
a plain line-mode client (no telnet answers): every command, the json forms,
abbreviations, `?`, help, errors, changes through the CLI, lookup, reload, quit,
and the running-config round trip into a second nodegw. A third nodegw reads a
pcap of TCP SYNs and UDP queries on its client port, so that `show conn` has
connections to filter, and their backends are compared with `lookup`.

Everything runs on 127.0.0.1 and in a temporary directory; the test addresses are
198.18.0.0/15 and are never sent to. Every wait is bounded; every nodegw is
stopped (SIGTERM, SIGKILL after 10 s) and the directory removed at the end.
Prints "N passed, M failed"; exits 1 when anything failed.
"""
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "scripts", "lib"))
import ngproc  # noqa: E402
from ngproc import Fail, check  # noqa: E402

IAC, DONT, DO, WONT, WILL = 255, 254, 253, 252, 251
NEGO = bytes([IAC, WILL, 1, IAC, WILL, 3, IAC, DO, 3])
PROMPT = b"nodegw> "
BANNER = b"nodegw CLI; type help or ?\r\n"
START_TIMEOUT = 60.0   # ASan builds start slowly
CMD_TIMEOUT = 15.0

WEB = "default/web:http"
DNS = "kube-system/dns:dns"
API = "default/api:https"
WEB_BACKENDS = {("198.18.1.2", 8080), ("198.18.1.3", 8080)}
DNS_BACKENDS = {("198.18.1.10", 53), ("198.18.1.11", 53)}
PCAP_MAC = "02:70:63:61:70:00"  # net_pcap's MAC for its first port, DPDK 22.11

EXPECTED_SERVICES = {
    WEB: {"protocol": "tcp", "scheduler": "maglev", "mode": "fullnat",
          "affinity": "client-ip", "affinity_timeout": 600,
          "frontends": ["198.19.0.10:80/tcp", "nodeport:30080/tcp"],
          "backends": [("198.18.1.2", 8080, 1), ("198.18.1.3", 8080, 2)]},
    DNS: {"protocol": "udp", "scheduler": "maglev", "mode": "dnat", "affinity": "none",
          "frontends": ["198.19.0.53:53/udp"],
          "backends": [("198.18.1.10", 53, 1), ("198.18.1.11", 53, 1)]},
    API: {"protocol": "tcp", "scheduler": "wrr", "mode": "fullnat", "affinity": "none",
          "frontends": ["198.19.0.20:443/tcp", "198.19.0.21:443/tcp"],
          "backends": [("198.18.130.5", 8443, 3), ("198.18.131.7", 8443, 0)]},
}

# Every command the CLI registers (lib/cli built-ins, lib/worker, lib/svc,
# lib/route, app/nodegw).
ALL_COMMANDS = [
    "help", "quit", "exit",
    "show version", "show ports", "show workers", "show stats", "show runtime",
    "clear runtime", "clear stats", "show conn",
    "show services", "show service", "show ruleset", "service add", "service set",
    "service del", "service frontend add", "service frontend del", "backend add",
    "backend del", "backend weight", "commit", "lookup",
    "show routes", "show neighbours", "route add", "route del", "neighbour add",
    "neighbour del",
    "show memory", "reload", "log level", "show running-config", "show startup",
    "show k8s", "clear ruleset", "runtime cycles", "show cli", "show health", "show http",
    "show bgp", "drain", "undrain",
    "trace add", "show trace", "clear trace", "debug worker stall",
]

SVC_COUNTERS = ("conns", "pkts", "bytes", "refused", "source_range_drops")


def conf_text(cli_port, client_dev="net_null0", pods_dev="net_null1", log="notice",
              extra_services=""):
    return """# nodegw CLI test configuration (tests/ctl)
log_level = "%(log)s";
workers = { idle_sleep_us = 100; };
cli = { address = "127.0.0.1"; port = %(cli)d; };
ports = (
	{ name = "client"; devargs = "%(cdev)s"; addresses = ["198.18.0.1/24"]; },
	{ name = "pods"; devargs = "%(pdev)s"; addresses = ["198.18.1.1/24"]; }
);
routes = (
	{ prefix = "198.18.128.0/17"; via = "198.18.1.254"; }
);
neighbours = (
	{ address = "198.18.1.254"; mac = "02:00:00:00:01:fe"; port = "pods"; }
);
services = (
	{
		name = "default/web:http"; protocol = "tcp"; port = 80;
		vips = ["198.19.0.10"]; node_port = 30080;
		scheduler = "maglev"; mode = "fullnat";
		affinity = "client-ip"; affinity_timeout = 600;
		backends = (
			{ address = "198.18.1.2"; port = 8080; },
			{ address = "198.18.1.3"; port = 8080; weight = 2; }
		);
	},
	{
		name = "kube-system/dns:dns"; protocol = "udp"; port = 53;
		vips = ["198.19.0.53"]; mode = "dnat";
		backends = (
			{ address = "198.18.1.10"; },
			{ address = "198.18.1.11"; port = 53; }
		);
	},
	{
		name = "default/api:https"; protocol = "tcp"; port = 443;
		vips = ["198.19.0.20", "198.19.0.21"]; scheduler = "wrr";
		timeouts = { tcp_established = 3600; };
		backends = (
			{ address = "198.18.130.5"; port = 8443; weight = 3; },
			{ address = "198.18.131.7"; port = 8443; weight = 0; }
		);
	}%(extra)s
);
""" % {"log": log, "cli": cli_port, "cdev": client_dev, "pdev": pods_dev,
       "extra": extra_services}


# ---------------------------------------------------------------- nodegw process

class Nodegw(ngproc.Nodegw):
    """One nodegw of this test (scripts/lib/ngproc.py). Its CLI port is the one
    it logs ("MAIN: CLI on ADDR port N"), so that cli.port = 0 can be probed;
    None where it logs "CLI off"."""

    def __init__(self, exe, tmp, tag):
        super().__init__(exe, tmp, tag, stem="nodegw-ctl", error=Fail)
        self.cli_off = False

    def ready(self, log):
        m = re.search(r"MAIN: CLI on (\S+) port (\d+)", log)
        self.port = int(m.group(2)) if m else None
        self.cli_off = "CLI off" in log
        check(self.port is not None or self.cli_off,
              "%s: 'MAIN: ready' logged without 'MAIN: CLI on ... port N'" %
              self.tag, log[-2000:])

    def start(self, conf_fn, port=None):
        return super().start(conf_fn, timeout=START_TIMEOUT, port=port)

    def client(self):
        return Client(self.port)


def start_nodegw(exe, tmp, tag, conf_fn, res):
    """Start with cli.port = 0. Where that gives an ephemeral port, use it. Where
    nodegw documents and logs port 0 as "CLI off" (doc/configuration.md), check
    that it says so, and start again on a free port chosen here."""
    if not res.port0_noted:  # known after the first start: don't start twice
        n = Nodegw(exe, tmp, tag).start(conf_fn, port=0)
        if n.port is not None:
            return n
        n.stop()
        check(n.cli_off and "MAIN: CLI off (cli.port = 0)" in n.log(),
              "%s: cli.port = 0 either listens on an ephemeral port or logs 'CLI off'" %
              tag, n.log()[-1500:])
        res.port0_noted = True
        print("note: cli.port = 0 turns the CLI off in this nodegw (logged 'MAIN: CLI off "
              "(cli.port = 0)'); using a free port picked by the test instead", flush=True)
    n = Nodegw(exe, tmp, tag).start(conf_fn)  # a free port, another on a clash
    p = n.conf_port
    check(n.port == p, "%s: CLI on the configured port %d" % (tag, p), n.log()[-1500:])
    n.fallback_port = p
    return n


# ---------------------------------------------------------------- line-mode client

class Client:
    """A plain line-mode client (like nc): never answers telnet negotiation."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=CMD_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        data = self.recv_until(PROMPT)
        check(data == NEGO + BANNER + PROMPT,
              "on connect: the 9 negotiation bytes, the banner and the prompt", data)

    def recv_until(self, marker, timeout=CMD_TIMEOUT):
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            left = deadline - time.monotonic()
            check(left > 0, "timeout (%.0f s) waiting for %r" % (timeout, marker),
                  self.buf[-500:])
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            check(data, "connection closed while waiting for %r" % marker, self.buf[-500:])
            self.buf += data
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def recv_eof(self, timeout=CMD_TIMEOUT):
        deadline = time.monotonic() + timeout
        out, self.buf = self.buf, b""
        while True:
            left = deadline - time.monotonic()
            check(left > 0, "timeout waiting for the server to close", out[-500:])
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                continue
            if not data:
                break
            out += data
        return out

    def send(self, data):
        self.sock.sendall(data)

    def raw(self, line):
        """Send one line; return the raw bytes up to and including the next prompt."""
        self.send(line.encode() + b"\n")
        return self.recv_until(PROMPT)

    def cmd(self, line):
        """Send one line; return its output as text (CR LF -> LF, prompt removed)."""
        return clean(self.raw(line), line)

    def ok(self, line):
        """A command that must succeed silently or with output but no error."""
        out = self.cmd(line)
        check(not any(l.startswith("%") for l in out.split("\n")), "%r: no error" % line,
              out)
        return out

    def silent(self, line):
        out = self.cmd(line)
        check(out == "", "%r prints nothing on success" % line, out)
        return out

    def json(self, line):
        out = self.cmd(line)
        check(out.endswith("\n") and out.count("\n") == 1,
              "%r prints one line of JSON" % line, out)
        try:
            return json.loads(out)
        except ValueError as e:
            raise Fail("%r: output is not JSON (%s)\n        got: %r" % (line, e, out[:800]))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def clean(raw, line):
    """Check the bytes of a reply and turn them into text.

    After the initial negotiation a line-mode client must get only text: no telnet
    byte (0xff), no escape sequence (0x1b), nothing outside printable ASCII except
    TAB, and every line ending in CR LF.
    """
    check(raw.endswith(PROMPT), "%r: reply ends with the prompt" % line, raw[-200:])
    body = raw[:-len(PROMPT)]
    bad = [b for b in body if not (0x20 <= b < 0x7f or b in (9, 10, 13))]
    check(not bad, "%r: only printable ASCII, TAB, CR, LF in a line-mode reply; found "
          "bytes %s" % (line, sorted(set(hex(b) for b in bad))), body[:400])
    check(body.count(b"\n") == body.count(b"\r\n") and body.count(b"\r") ==
          body.count(b"\r\n"), "%r: every line ends in CR LF, no bare CR or LF" % line,
          body[:400])
    check(body == b"" or body.endswith(b"\r\n"),
          "%r: output ends with a line end before the prompt" % line, body[-200:])
    return body.decode("ascii").replace("\r\n", "\n")


# ---------------------------------------------------------------- helpers

def lines(text):
    return [l for l in text.split("\n") if l != ""]


def svc_by_name(arr):
    return {s["name"]: s for s in arr}


def config_view(services):
    """Services json without run-time counters, frontends sorted."""
    out = {}
    for s in services:
        d = {k: v for k, v in s.items() if k not in SVC_COUNTERS}
        d["frontends"] = sorted(d["frontends"])
        d["backends"] = [{k: v for k, v in b.items() if k not in SVC_COUNTERS}
                         for b in d["backends"]]
        out[s["name"]] = d
    return out


def static_neighbours(nj):
    return sorted((n["address"], n["port"], n["mac"].lower(), n["state"])
                  for n in nj["neighbours"] if n["state"] == "static")


def static_routes(rj):
    return sorted((r["prefix"], r.get("via"), r["port"], r["source"])
                  for r in rj if r["origin"] == "static")


def all_routes(rj):
    return sorted(tuple(sorted(r.items())) for r in rj)


def parse_lookup(text):
    """'service NAME (sched): backend A:P, slot S of T' -> (NAME, A, P, S)."""
    m = re.match(r"service (\S+) \((\w+)\): backend ([\d.]+):(\d+), slot (\d+) of (\d+)",
                 text)
    check(m is not None, "lookup names the service and the backend", text)
    return m.group(1), m.group(3), int(m.group(4)), int(m.group(5))


def error_line(out, cmd_words, token):
    """One error line that starts with '% ', names the command and the bad token."""
    ls = lines(out)
    check(len(ls) == 1 and ls[0].startswith("% "),
          "error for %r is one line starting with '%% '" % cmd_words, out)
    check(ls[0].startswith("% " + cmd_words) or ("\"%s" % cmd_words) in ls[0],
          "error names the command %r" % cmd_words, out)
    check(token in ls[0], "error names the bad token %r" % token, out)
    return ls[0]


# ---------------------------------------------------------------- pcap fixture

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ip4(a):
    return socket.inet_aton(a)


def packet(proto, src, sport, dst, dport):
    if proto == "tcp":
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, 0x02, 65535, 0, 0)
        pnum = 6
    else:
        l4 = struct.pack("!HHHH", sport, dport, 8 + 4, 0) + b"ctl?"
        pnum = 17
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, pnum, len(l4))
    c = csum(pseudo + l4)
    if proto == "tcp":
        l4 = l4[:16] + struct.pack("!H", c) + l4[18:]
    else:
        l4 = l4[:6] + struct.pack("!H", c or 0xffff) + l4[8:]
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0x4000, 64, pnum, 0,
                      ip4(src), ip4(dst))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    eth = bytes.fromhex(PCAP_MAC.replace(":", "")) + bytes.fromhex("020000000099") + \
        b"\x08\x00"
    return eth + iph + l4


PCAP_FLOWS = (
    [("tcp", "198.18.0.%d" % (100 + i), 40000 + i, "198.19.0.10", 80) for i in range(6)] +
    [("tcp", "198.18.0.%d" % (110 + i), 41000 + i, "198.18.0.1", 30080) for i in range(2)] +
    [("udp", "198.18.0.%d" % (120 + i), 42000 + i, "198.19.0.53", 53) for i in range(3)])


def write_pcap(path):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fl in enumerate(PCAP_FLOWS):
            p = packet(*fl)
            f.write(struct.pack("<IIII", 1700000000, i, len(p), len(p)))
            f.write(p)


# ---------------------------------------------------------------- the tests

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = []
        self.port0_noted = False

    def summary(self):
        """Print "N passed, M failed" (and which); return the exit status."""
        print("%d passed, %d failed" % (self.passed, len(self.failed)))
        if self.failed:
            print("failed: " + "; ".join(self.failed))
        return 1 if self.failed else 0

    def record_fail(self, name, msg):
        self.failed.append(name)
        print("FAIL %s: %s" % (name, msg), flush=True)

    def run(self, name, fn, *args):
        t0 = time.monotonic()
        try:
            fn(*args)
        except Fail as e:
            self.record_fail(name, e)
            return False
        except Exception:
            self.record_fail(name, "exception:\n" + traceback.format_exc())
            return False
        self.passed += 1
        print("ok   %s (%.2f s)" % (name, time.monotonic() - t0), flush=True)
        return True


class Ctx:
    def __init__(self, exe, tmp, res):
        self.exe, self.tmp, self.res = exe, tmp, res
        self.a = None
        self._c = None
        self.version = self.git = self.vline = None
        self.procs = []

    @property
    def c(self):
        if self._c is None:
            self._c = self.a.client()
        return self._c

    def reset_client(self):
        if self._c is not None:
            self._c.close()
        self._c = None


def t_connect(x):
    c = x.c  # a silent client: negotiation, banner, prompt (checked in Client())
    out = c.raw("")
    check(out == PROMPT, "an empty line just shows the prompt again", out)


def t_connect_script(x):
    """A client that speaks first (a script) gets no telnet byte at all."""
    s = socket.create_connection(("127.0.0.1", x.a.port), timeout=CMD_TIMEOUT)
    try:
        s.sendall(b"show version\nlog level\n")
        s.shutdown(socket.SHUT_WR)
        data = b""
        deadline = time.monotonic() + CMD_TIMEOUT
        while time.monotonic() < deadline:
            d = s.recv(65536)
            if not d:
                break
            data += d
    finally:
        s.close()
    check(data.startswith(BANNER + PROMPT + x.vline.encode() + b"\r\n"),
          "a script that speaks first gets the banner, no negotiation bytes, then output",
          data)
    check(b"\xff" not in data and b"\x1b" not in data and
          re.search(rb"\r\nnodegw> log level \w+\r\nnodegw> $", data) is not None,
          "no telnet or escape bytes; a prompt after each line that ends in a line end",
          data)


def t_show_version(x):
    c = x.c
    out = c.ok("show version")
    ls = lines(out)
    check(len(ls) == 3, "show version: three lines", out)
    check(ls[0] == x.vline, "first line '%s'" % x.vline, out)
    check(ls[1].startswith("DPDK 22.11"), "second line names DPDK 22.11", out)
    check(re.fullmatch(r"TSC \d+\.\d{3} GHz", ls[2]) is not None, "TSC line", out)
    j = c.json("show version json")
    check(set(j) == {"version", "git", "dpdk", "tsc_hz"}, "show version json keys", j)
    check(j["version"] == x.version and j["git"] == x.git and j["dpdk"] == ls[1] and
          j["tsc_hz"] > 0,
          "show version json values agree with the text", j)


def t_show_startup(x):
    c = x.c
    j = c.json("show startup json")
    now = time.monotonic()
    check(j.get("clock") == "monotonic", "show startup json: clock monotonic", j)
    names = [p["name"] for p in j["pieces"]]
    check(names[:3] == ["config", "EAL", "workers"] and "mempool" in names and
          names[-1] == "kubernetes", "the pieces in order: config, EAL, the init steps", names)
    check(all(p["wall_ms"] >= 0 and p["cpu_ms"] >= 0 for p in j["pieces"]),
          "no negative time", j)
    check(x.a.t_start <= j["main_s"] <= j["ready_s"] <= now,
          "main() and ready between this test's start of nodegw and now (one clock)",
          (x.a.t_start, j, now))
    walls = sum(p["wall_ms"] for p in j["pieces"]) / 1e3
    check(abs(walls - (j["ready_s"] - j["main_s"])) < 0.005,
          "the pieces add up to main() -> ready", (walls, j))
    check(j["synced_s"] is not None and j["ready_s"] <= j["synced_s"] <= now,
          "the config's services published: synced_s from ready to now", j)
    out = c.ok("show startup")
    check("mempool" in out and "EAL" in out and
          "first complete ruleset published after" in out, "show startup text", out)


def t_show_ports(x):
    c = x.c
    out = c.ok("show ports")
    ls = lines(out)
    check(ls[0].split()[:4] == ["port", "id", "driver", "mac"], "show ports header", out)
    check(re.match(r"client\s+0\s+net_null\s+([0-9A-F]{2}:){5}[0-9A-F]{2}\s+1500\s+1\s+1\s+up",
                   ls[1]) is not None, "client port line", out)
    check(ls[2].strip() == "address 198.18.0.1/24", "client address line", out)
    fullnat = re.compile(r"fullnat sources \(the route's address\): 1 x (\d+) ports, (\d+) new "
                         r"connections/s per backend \(TIME_WAIT (\d+) s\)")
    src = [fullnat.fullmatch(ls[i].strip()) for i in (3, 6)]
    check(all(m is not None for m in src), "fullnat sources lines (no pool: the route's)", out)
    check(ls[4].startswith("pods ") and " 1 " in ls[4], "pods port line", out)
    check(ls[5].strip() == "address 198.18.1.1/24", "pods address line", out)
    j = c.json("show ports json")
    keys = {"name", "port_id", "devargs", "driver", "mac", "mtu", "rx_queues", "tx_queues",
            "rss", "link_up", "link_speed_mbps", "link_changes", "addresses", "rx", "tx",
            "rx_bytes", "tx_bytes", "drops", "nic_imissed", "nic_ierrors", "nic_rx_nombuf",
            "fullnat", "kernel"}
    check(isinstance(j, list) and len(j) == 2, "two ports", j)
    check(all(p["kernel"] is None for p in j), "show ports json: no kernel twin", j)
    for p in j:
        check(set(p) == keys, "show ports json keys", sorted(p))
    check([(p["fullnat"]["addresses"], p["fullnat"]["source_addresses"],
            p["fullnat"]["source_ports"], p["fullnat"]["conns_per_s_per_backend"],
            p["fullnat"]["time_wait_s"]) for p in j]
          == [([], 1, int(m.group(1)), int(m.group(2)), int(m.group(3))) for m in src],
          "show ports json: fullnat agrees with the text", j)
    check([(p["name"], p["port_id"], p["devargs"], p["driver"], p["addresses"], p["mtu"])
           for p in j] == [("client", 0, "net_null0", "net_null", ["198.18.0.1/24"], 1500),
                           ("pods", 1, "net_null1", "net_null", ["198.18.1.1/24"], 1500)],
          "show ports json: names, ids, devargs, drivers, addresses, MTU", j)
    check(all(p["rx"] > 0 for p in j), "net_null ports receive packets", j)
    check(all(p["link_up"] and p["link_changes"] == 0 for p in j),
          "net_null links up since the start, no change", j)


def t_show_workers(x):
    c = x.c
    out = c.ok("show workers")
    ls = lines(out)
    check(ls[0].split()[:3] == ["worker", "lcore", "rx"] and len(ls) == 2,
          "show workers: header and one worker", out)
    check(ls[1].split()[:3] == ["0", "1", "client/0,pods/0"],
          "worker 0 on lcore 1 polls client/0 and pods/0", out)
    j = c.json("show workers json")
    keys = {"id", "lcore", "rx_queues", "rx", "tx", "loops", "idle_loops", "sleeps", "conns",
            "conn_capacity", "redirect_out", "redirect_in", "stalled", "stalled_ms", "stalls",
            "stall_last_ms", "stall_max_ms"}
    check(len(j) == 1 and set(j[0]) == keys, "show workers json: one worker, keys", j)
    check(j[0]["id"] == 0 and j[0]["lcore"] == 1 and j[0]["rx_queues"] == "client/0,pods/0"
          and j[0]["loops"] > 0 and j[0]["conn_capacity"] > 0,
          "show workers json values", j)
    check(not j[0]["stalled"] and j[0]["stalls"] == 0, "a running worker is not stalled", j)


def t_debug_stall(x):
    """debug worker stall: refused arguments, then a 400 ms stall seen while it
    lasts (show workers), counted and timed once it ended, and logged."""
    c = x.c
    for line, token in (("debug worker stall 1 100", "1"),
                        ("debug worker stall 0 0", "0 "),
                        ("debug worker stall 0 10001", "10001"),
                        ("debug worker stall x 100", "x"),
                        ("debug worker stall 0", "WORKER MS")):
        error_line(c.cmd(line), "debug worker stall", token.strip())
    out = c.ok("debug worker stall 0 400")
    check(out == "worker 0 stalls for 400 ms\n", "debug worker stall says what it did", out)
    out = c.cmd("debug worker stall 0 400")
    error_line(out, "debug worker stall", "still in the last stall")
    seen = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        w = c.json("show workers json")[0]
        if w["stalled"]:
            seen = seen or w
        elif w["stalls"] == 1:
            break
        time.sleep(0.02)
    check(seen is not None and seen["stalled_ms"] >= 100 and seen["stalls"] == 1,
          "show workers says stalled while it lasts (after 100 ms without a loop)", seen)
    check(not w["stalled"] and w["stalls"] == 1 and 300 <= w["stall_last_ms"] < 5000 and
          w["stall_max_ms"] == w["stall_last_ms"],
          "the ended stall is counted once and timed (about 400 ms: 300 ms unseen at most)", w)
    out = c.ok("show workers")
    check("worker 0: 1 stalls; the last %d ms" % w["stall_last_ms"] in out,
          "show workers lists the stall under the table", out)
    log = x.a.log()
    check("worker 0 (lcore 1) stalled: no loop for" in log and
          "worker 0 (lcore 1) resumed after a stall of" in log,
          "the stall and its end are logged", log[-1500:])


STATS_KEYS = {"rx", "tx", "punted", "drops", "drops_by_reason", "ports", "workers", "services",
              "reassembly"}


def t_show_stats(x):
    c = x.c
    out = c.ok("show stats")
    check(re.match(r"total: rx \d+  tx \d+  drops \d+  punted \d+\n", out) is not None,
          "total line", out)
    for w in ("\nports:\n", "\n  client ", "\n  pods ", "\nworkers:\n", "\n  worker 0 ",
              "\nservices:\n", "  %s " % WEB, "  %s " % DNS, "  %s " % API):
        check(w in out, "show stats has %r" % w, out)
    j = c.json("show stats json")
    check(set(j) == STATS_KEYS, "show stats json keys", sorted(j))
    check([p["name"] for p in j["ports"]] == ["client", "pods"], "ports in show stats json", j)
    check(set(j["ports"][0]) == {"name", "rx", "tx", "rx_bytes", "tx_bytes", "punted",
                                 "rx_per_queue", "drops_by_reason"}, "port keys", j["ports"][0])
    check(len(j["workers"]) == 1 and {"id", "rx", "tx", "conns", "conns_created",
          "conns_expired", "conns_evicted", "conns_reused_expired", "conns_early_dropped",
          "conns_evicted_closed", "redirect_out",
          "redirect_in", "drops_by_reason"} == set(j["workers"][0]), "worker keys",
          j["workers"])
    check(sorted(s["name"] for s in j["services"]) == sorted([WEB, DNS, API]),
          "services in show stats json", j["services"])
    check(set(j["services"][0]) == {"name", "conns", "pkts", "bytes", "refused",
                                    "no_source_port", "source_range_drops"}, "service keys",
          j["services"][0])
    check(j["rx"] > 0 and j["drops"] > 0 and j["drops"] == sum(j["drops_by_reason"].values()),
          "net_null traffic is received and dropped, drops = sum by reason", j)


def t_clear_stats(x):
    c = x.c
    s1 = c.json("show stats json")
    t1 = time.monotonic()
    time.sleep(0.5)
    s2 = c.json("show stats json")
    t2 = time.monotonic()
    rate = (s2["rx"] - s1["rx"]) / (t2 - t1)
    time.sleep(1.0)  # "before" covers at least 1.5 s of counting
    before = c.json("show stats json")
    t0 = time.monotonic()
    c.send(b"clear stats\nshow stats json\nshow ports json\nshow workers json\n")
    out = clean(c.recv_until(PROMPT), "clear stats")
    check(out == "", "clear stats prints nothing", out)
    after = json.loads(clean(c.recv_until(PROMPT), "show stats json"))
    ports = json.loads(clean(c.recv_until(PROMPT), "show ports json"))
    workers = json.loads(clean(c.recv_until(PROMPT), "show workers json"))
    dt = time.monotonic() - t0
    # Counted since the clear: what arrived while the commands ran (milliseconds), a
    # small part of what was counted before (over 1.5 s).
    bound = before["rx"] / 4
    check(after["rx"] <= bound, "show stats json rx restarts near 0 after clear stats "
          "(before %d, dt %.3f s, rate %.0f/s)" % (before["rx"], dt, rate), after["rx"])
    check(after["drops"] <= before["drops"] / 4,
          "drops restart near 0 after clear stats", (before["drops"], after["drops"]))
    check(sum(p["rx"] for p in ports) <= bound * 2, "show ports rx restarts after clear stats",
          ([p["rx"] for p in ports], before["rx"]))
    check(workers[0]["rx"] <= bound * 2, "show workers rx restarts after clear stats",
          (workers, before["rx"]))
    deadline = time.monotonic() + 10  # the worker may be starved of CPU for a while
    while True:
        later = c.json("show stats json")
        if later["rx"] > after["rx"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    check(later["rx"] > after["rx"], "counters keep counting after the clear",
          (after["rx"], later["rx"]))


RUNTIME_STAGES = ["rx", "parse", "ip4-reass", "ip6-parse", "ip6-reass", "lb", "lb6",
                  "icmp-err", "ipip-encap", "ip6ip6-encap", "local", "ip6-local", "ip4-forward",
                  "ip6-forward", "reply", "punt", "output", "redirect-out", "to-control", "drop",
                  "redirect-in", "ctrl-inject", "tx"]


def runtime_loops(text):
    m = re.search(r"worker 0 \(lcore 1\): loops (\d+), idle (\d+)", text)
    check(m is not None, "show runtime: 'worker 0 (lcore 1): loops N, idle M'", text)
    return int(m.group(1))


def t_show_runtime(x):
    c = x.c
    out = c.ok("show runtime")
    check(re.match(r"cycles counted: (on|off); TSC [\d.]+ GHz\n", out) is not None,
          "show runtime first line", out)
    runtime_loops(out)
    for st in RUNTIME_STAGES:
        check(re.search(r"\n  %s\s+\d+\s+\d+\s+\d+" % re.escape(st), out) is not None,
              "stage %s listed" % st, out)
    check("nodegw total" in out, "nodegw total line", out)
    j = c.json("show runtime json")
    check(len(j) == 1 and set(j[0]) == {"worker", "stages", "nodegw_cycles_per_packet"},
          "show runtime json: one worker, keys", j)
    check([s["stage"] for s in j[0]["stages"]] == RUNTIME_STAGES, "stages in order", j)
    for s in j[0]["stages"]:
        check(set(s) == {"stage", "calls", "packets", "cycles", "cycles_per_packet",
                         "packets_per_call"}, "stage keys", s)
    check(j[0]["stages"][0]["calls"] > 0 and j[0]["stages"][0]["packets"] > 0,
          "rx stage counts calls and packets", j[0]["stages"][0])


def t_clear_runtime(x):
    c = x.c
    l1 = runtime_loops(c.ok("show runtime"))
    t1 = time.monotonic()
    time.sleep(0.5)
    l2 = runtime_loops(c.ok("show runtime"))
    rate = (l2 - l1) / (time.monotonic() - t1)
    time.sleep(1.0)
    l2 = runtime_loops(c.ok("show runtime"))
    rx_before = c.json("show runtime json")[0]["stages"][0]["calls"]
    t0 = time.monotonic()
    c.send(b"clear runtime\nshow runtime\nshow runtime json\n")
    out = clean(c.recv_until(PROMPT), "clear runtime")
    check(out == "", "clear runtime prints nothing", out)
    l3 = runtime_loops(clean(c.recv_until(PROMPT), "show runtime"))
    j = json.loads(clean(c.recv_until(PROMPT), "show runtime json"))
    dt = time.monotonic() - t0
    check(l3 <= l2 / 4, "loops restart near 0 after clear runtime (before %d, dt %.3f s, "
          "rate %.0f/s)" % (l2, dt, rate), l3)
    check(j[0]["stages"][0]["calls"] <= rx_before / 4,
          "rx stage calls restart after clear runtime", (rx_before, j[0]["stages"][0]))
    st = c.json("show stats json")
    check(st["rx"] > j[0]["stages"][0]["packets"],
          "clear runtime leaves show stats alone", (st["rx"], j[0]["stages"][0]))


def check_expected_service(s, name):
    e = EXPECTED_SERVICES[name]
    for k in ("protocol", "scheduler", "mode", "affinity"):
        check(s[k] == e[k], "%s: %s is %r" % (name, k, e[k]), s)
    if "affinity_timeout" in e:
        check(s.get("affinity_timeout") == e["affinity_timeout"],
              "%s: affinity_timeout" % name, s)
    check(sorted(s["frontends"]) == e["frontends"], "%s: frontends" % name, s["frontends"])
    check([(b["address"], b["port"], b["weight"]) for b in s["backends"]] == e["backends"],
          "%s: backends with ports and weights, in config order" % name, s["backends"])


SERVICES_KEYS = {"name", "protocol", "scheduler", "mode", "affinity", "origin", "when_empty",
                 "frontends", "backends", "conns", "pkts", "bytes", "refused",
                 "source_range_drops"}


def t_show_services(x):
    c = x.c
    out = c.ok("show services")
    ls = lines(out)
    check(ls[0].split() == ["name", "proto", "sched", "mode", "frontends", "backends", "conns",
                            "pkts"], "show services header", out)
    check(ls[-1] == "3 services", "show services ends with '3 services'", out)
    rows = {l.split()[0]: l.split() for l in ls[1:-1]}
    check(set(rows) == {WEB, DNS, API}, "one row per service", out)
    check(rows[WEB][1:5] == ["tcp", "maglev", "fullnat", "198.19.0.10:80/tcp"] and
          rows[WEB][5] == "+1" and rows[WEB][6] == "2/2", "web row", rows[WEB])
    check(rows[DNS][1:6] == ["udp", "maglev", "dnat", "198.19.0.53:53/udp", "2/2"],
          "dns row", rows[DNS])
    check(rows[API][1:4] == ["tcp", "wrr", "fullnat"] and "1/2" in rows[API],
          "api row: 1 of 2 backends usable (one has weight 0)", rows[API])
    j = c.json("show services json")
    check(isinstance(j, list) and len(j) == 3, "show services json: 3 services", j)
    for s in j:
        want = SERVICES_KEYS | ({"affinity_timeout"} if s["affinity"] != "none" else set())
        check(set(s) == want, "show services json keys of %s" % s["name"], sorted(s))
        check_expected_service(s, s["name"])
        for b in s["backends"]:
            check(set(b) == {"address", "port", "weight"}, "backend keys", b)


def t_show_services_filter(x):
    c = x.c
    out = c.ok("show services " + WEB)
    ls = lines(out)
    check(len(ls) == 3 and ls[1].startswith(WEB + " ") and ls[2] == "1 services",
          "show services NAME lists only that service", out)
    out = c.ok("show services 198.19.0.53")
    ls = lines(out)
    check(len(ls) == 3 and ls[1].startswith(DNS + " ") and ls[2] == "1 services",
          "show services VIP lists the service with that VIP", out)
    out = c.ok("show services 198.19.0.21")
    check(lines(out)[1].startswith(API + " "), "second VIP of api finds api", out)
    j = c.json("show services %s json" % API)
    check([s["name"] for s in j] == [API], "show services NAME json", j)
    j = c.json("show services 198.19.0.10 json")
    check([s["name"] for s in j] == [WEB], "show services VIP json", j)
    j = c.json('show services "%s" json' % DNS)
    check([s["name"] for s in j] == [DNS], "a quoted service name", j)
    out = c.cmd("show services nosuch")
    check(out == '% show services: no service named or with VIP "nosuch"\n',
          "show services with an unknown name is an error naming it", out)
    out = c.cmd("show services 198.19.9.9")
    check(out == '% show services: no service named or with VIP "198.19.9.9"\n',
          "show services with an unknown VIP is an error naming it", out)
    out = c.cmd("show services %s extra" % WEB)
    check(out == '% show services: unexpected argument "extra"\n', "extra argument", out)


def t_show_service(x):
    c = x.c
    out = c.ok("show service " + WEB)
    ls = lines(out)
    check(ls[0] == "service " + WEB, "first line names the service", out)
    check(ls[1] == "  protocol tcp, scheduler maglev, mode fullnat, affinity client-ip (600 s)",
          "protocol/scheduler/mode/affinity line", out)
    check(ls[2] == "  from the config/CLI; with no usable backend, new connections are refused",
          "origin and empty-service line", out)
    check(re.fullmatch(r"  conns \d+, packets \d+, bytes \d+, refused \d+", ls[3]) is not None,
          "counters line", out)
    check(re.fullmatch(r"  table \d+ slots, 2 of 2 backends usable", ls[4]) is not None,
          "table line", out)
    i = ls.index("  frontends:")
    check(sorted(l.strip() for l in ls[i + 1:i + 3]) == ["198.19.0.10:80/tcp",
                                                         "nodeport:30080/tcp"],
          "frontends listed", out)
    i = ls.index("  backends:")
    check(ls[i + 1].split() == ["address", "weight", "conns", "packets"], "backends header",
          out)
    be = [l.split() for l in ls[i + 2:]]
    check([b[:2] for b in be] == [["198.18.1.2:8080", "1"], ["198.18.1.3:8080", "2"]],
          "backends with weights", out)
    out = c.ok("show service " + API)
    check("    198.18.131.7:8443" in out and "(draining)" in out and
          "1 of 2 backends usable" in out, "a weight 0 backend shows as draining", out)
    j = c.json("show service %s json" % WEB)
    check(set(j) == SERVICES_KEYS | {"affinity_timeout", "table_size", "usable_backends"},
          "show service json keys", sorted(j))
    check_expected_service(j, WEB)
    check(all(set(b) == {"address", "port", "weight", "conns", "pkts"} for b in j["backends"]),
          "show service json backends have conns and pkts", j["backends"])
    check(j["usable_backends"] == 2 and j["table_size"] > 2, "table size, usable backends", j)
    out = c.cmd("show service nosuch")
    check(out == '% show service: no service "nosuch"\n', "unknown service", out)
    check(c.ok("show service") == c.ok("show services"),
          "show service without a name lists the services, as show services does")
    check(c.json("show service json") == c.json("show services json"),
          "show service json without a name is show services json")
    out = c.cmd("show service %s extra" % WEB)
    check(out == '% show service: unexpected argument "extra"\n', "extra argument", out)


def t_show_ruleset(x):
    c = x.c
    out = c.ok("show ruleset")
    check(re.match(r"generation \d+\n services 3, frontends \d+, \d+ bytes\n"
                   r" frontend index \d+ bytes; the last commit copied \d+ bytes \(\d+ chunks\);"
                   r" resized \d+ times\n last build", out)
          is not None, "show ruleset text", out)
    j = c.json("show ruleset json")
    keys = {"generation", "services", "frontends", "bytes", "index_bytes", "copied_bytes",
            "copied_chunks", "index_rebuilds", "build_us", "publish_us",
            "grace_us", "commits", "pending_free", "dirty", "state", "latency_samples",
            "latency_p50_us", "latency_p99_us", "latency_max_us", "longest_slice_ms",
            "longest_slice_cpu_ms"}
    check(set(j) == keys, "show ruleset json keys", sorted(j))
    check(j["longest_slice_ms"] >= 0 and j["longest_slice_cpu_ms"] >= 0,
          "the longest commit slice is a duration", j)
    # web: 1 VIP + node port on 2 addresses; dns 1; api 2.
    check(j["generation"] >= 1 and j["services"] == 3 and j["frontends"] == 6 and
          j["bytes"] > 0 and j["dirty"] is False and j["state"] == "synced",
          "show ruleset json values", j)
    # Three services fit one chunk: a commit copies at most the directory and it.
    check(0 < j["index_bytes"] < j["bytes"] and 0 < j["copied_bytes"] <= j["index_bytes"],
          "show ruleset json index figures", j)


def t_show_memory(x):
    c = x.c
    out = c.ok("show memory")
    check(re.match(r"DPDK heap: \d+ of \d+ bytes allocated \(\d+ allocations\)\nRSS: \d+ bytes\n"
                   r"malloc: \d+ bytes in use\nruleset and service objects: \d+ bytes\n"
                   r"connection tables: \d+ bytes \(\d+ per connection\)\n"
                   r"reassembly tables: \d+ bytes \(0 datagrams waiting, 0 fragments held\)\n"
                   r"mbufs: \d+ of \d+ in use \(at most \d+\); "
                   r"exhausted 0 times, 0\.0 ms in all\n$",
                   out) is not None,
          "show memory text", out)
    j = c.json("show memory json")
    check(set(j) == {"heap_total", "heap_allocated", "heap_allocations", "rss", "malloc_in_use",
                     "ruleset_bytes", "conntrack_bytes", "bytes_per_connection", "mbufs",
                     "mbufs_in_use", "mbufs_max_in_use", "mbufs_exhausted",
                     "mbufs_exhausted_events", "mbufs_exhausted_ms", "reassembly_bytes",
                     "reassembly_datagrams", "reassembly_fragments_held"},
          "show memory json keys", sorted(j))
    check(0 < j["heap_allocated"] <= j["heap_total"] and j["rss"] > 0 and
          j["ruleset_bytes"] > 0 and j["conntrack_bytes"] > 0 and
          j["bytes_per_connection"] > 0 and 0 < j["malloc_in_use"] < j["rss"],
          "show memory json values", j)
    check(j["mbufs"] >= 1024 and 0 <= j["mbufs_in_use"] <= j["mbufs_max_in_use"] <= j["mbufs"]
          and j["mbufs_exhausted"] is False and j["mbufs_exhausted_events"] == 0,
          "show memory json: the pool, in use, never exhausted", j)


def t_bgp_off(x):
    """Without a bgp section: show bgp says nothing is announced; drain refuses."""
    c = x.c
    out = c.ok("show bgp")
    check(out == "bgp: off (the config has no bgp section): nothing is announced\n",
          "show bgp text", out)
    check(c.json("show bgp json") == {"enabled": False}, "show bgp json", out)
    for cmd in ("drain", "undrain"):
        out = c.cmd(cmd)
        check(out == "%% %s: the config has no bgp section: nothing is announced\n" % cmd,
              "%s refuses" % cmd, out)
    error_line(c.cmd("drain now"), "drain", "now")


def t_show_routes(x):
    c = x.c
    out = c.ok("show routes")
    ls = lines(out)
    check(ls[0].split() == ["prefix", "origin", "via", "port", "source"], "header", out)
    rows = [l.split() for l in ls[1:-1]]
    check(ls[-1] == "%d routes" % len(rows), "'N routes' counts the rows", out)
    for want in (["198.18.0.0/24", "connected", "-", "client", "198.18.0.1"],
                 ["198.18.0.1/32", "local", "-", "client", "198.18.0.1"],
                 ["198.18.1.0/24", "connected", "-", "pods", "198.18.1.1"],
                 ["198.18.128.0/17", "static", "198.18.1.254", "pods", "198.18.1.1"]):
        check(want in rows, "route %s listed" % want, out)
    j = c.json("show routes json")
    check(len(j) == len(rows), "show routes json has as many routes as the text", j)
    for r in j:
        want = {"prefix", "origin", "port", "source"} | ({"via"} if r["origin"] == "static"
                                                          else set())
        check(set(r) == want, "route keys", r)
    check(static_routes(j) == [("198.18.128.0/17", "198.18.1.254", "pods", "198.18.1.1")],
          "one static route, from the config", j)


def t_show_neighbours(x):
    c = x.c
    out = c.ok("show neighbours")
    ls = lines(out)
    check(ls[0].split() == ["address", "port", "mac", "state", "age", "queued"], "header", out)
    check(any(l.split()[:4] == ["198.18.1.254", "pods", "02:00:00:00:01:FE", "static"]
              for l in ls[1:-2]), "the static neighbour", out)
    check(re.fullmatch(r"%d neighbours; ARP requests \d+, replies \d+, failed \d+, queued "
                       r"packets dropped \d+" % (len(ls) - 3), ls[-2]) is not None,
          "summary line counts the rows", out)
    check(re.fullmatch(r"packets waiting \d+ of \d+ at most \(all entries\), dropped for "
                       r"want of room \d+", ls[-1]) is not None, "waiting packets line", out)
    j = c.json("show neighbours json")
    check(set(j) == {"neighbours", "arp_requests", "arp_replies", "resolved", "failed",
                     "queued_dropped", "queued", "queued_max", "queued_dropped_all_full"},
          "show neighbours json keys", sorted(j))
    m = c.json("show memory json")
    check(j["queued_max"] == m["mbufs"] // 8 and j["queued"] == 0,
          "at most an eighth of the pool waits for neighbours", (j, m["mbufs"]))
    for n in j["neighbours"]:
        check(set(n) == {"address", "port", "mac", "state", "age_ms", "pending"},
              "neighbour keys", n)
    check(static_neighbours(j) == [("198.18.1.254", "pods", "02:00:00:00:01:fe", "static")],
          "show neighbours json: the static neighbour", j)


def t_show_conn_empty(x):
    c = x.c
    out = c.ok("show conn")
    ls = lines(out)
    check(ls[0].split() == ["wrk", "proto", "client", "frontend", "source", "backend", "state",
                            "expires", "packets"] and ls[-1] ==
          "0 of 0 matching connections shown", "show conn on an idle gateway", out)
    j = c.json("show conn client 198.18.0.5 proto tcp state SYN_SENT limit 5 json")
    check(j == {"matched": 0, "shown": 0, "conns": []}, "show conn json with filters", j)
    for line, token in (("show conn limit 0", '"0"'), ("show conn client 1.2.3", '"1.2.3"'),
                        ("show conn state BOGUS", '"BOGUS"'), ("show conn bogus 1", '"bogus"'),
                        ("show conn proto sctp", '"sctp"'), ("show conn port 70000", '"70000"'),
                        ("show conn proto", '"proto"')):
        error_line(c.cmd(line), "show conn", token)


def t_abbreviations(x):
    c = x.c
    check(c.ok("sh ver") == c.ok("show version"), "'sh ver' is show version")
    check(c.ok("sh rout") == c.ok("show routes"), "'sh rout' is show routes")
    a = c.json("sh neigh json")
    b = c.json("show neighbours json")
    for j in (a, b):
        for n in j["neighbours"]:
            n.pop("age_ms")
    check(a == b, "'sh neigh json' is show neighbours json", (a, b))
    out = c.ok("sh neigh")
    check(lines(out)[0].split()[:3] == ["address", "port", "mac"], "'sh neigh' text", out)
    out = c.cmd("sh run")
    check(out == '% ambiguous command "show run": running-config, runtime\n',
          "'sh run' is ambiguous and names both candidates", out)
    check(c.ok("sh runn").startswith("# nodegw "), "'sh runn' is show running-config")
    check(c.ok("sh runt").startswith("cycles counted:"), "'sh runt' is show runtime")
    # A prefix of a word and its plural means the plural (lib/cli/cli_cmd.c).
    check(c.ok("sh serv") == c.ok("show services"), "'sh serv' is show services")
    check(c.json("sh serv %s json" % WEB) == c.json("show services %s json" % WEB),
          "'sh serv NAME json' is show services NAME json")
    out = c.cmd("sh r")
    check(out == '% ambiguous command "show r": routes, ruleset, running-config, '
          'runtime\n', "'sh r' is ambiguous and lists the candidates", out)
    out = c.cmd("show service " + WEB)
    check(out.startswith("service " + WEB + "\n"), "exact 'service' beats 'services'", out)
    out = c.cmd("s")
    check(out == '% ambiguous command "s": service, show\n', "'s' is ambiguous", out)
    j = c.json("sh stat json")
    check(set(j) == STATS_KEYS, "'sh stat json'", sorted(j))
    out = c.ok("b w %s 198.18.1.3:8080 2" % WEB)
    check(out == "", "'b w' is backend weight", out)
    out = c.ok("log l")
    check(out.startswith("log level "), "'log l' is log level", out)
    out = c.cmd("lo l")
    check(out == '% ambiguous command "lo": log, lookup\n', "'lo l' is ambiguous", out)


def t_help(x):
    c = x.c
    out = c.ok("help")
    ls = lines(out)
    for l in ls:
        check(l.startswith("  "), "help lines are indented", l)
    for p in ALL_COMMANDS:
        m = [l for l in ls if re.match(r"  %s( |$)" % re.escape(p), l)]
        check(len(m) == 1, "help lists %r once" % p, out)
    check(len(ls) == len(ALL_COMMANDS),
          "help lists %d commands, no others (update ALL_COMMANDS when adding one)" %
          len(ALL_COMMANDS), out)
    check("  show services [NAME|VIP] [json]" in out and "  lookup tcp|udp CLIENT:PORT "
          "FRONTEND:PORT [json]" in out, "help shows argument synopses", out)
    out = c.ok("help show")
    shows = sorted(p for p in ALL_COMMANDS if p.startswith("show "))
    got = sorted(" ".join(l.split()[:2]) for l in lines(out))
    check(got == shows, "help show lists the show commands", out)
    out = c.ok("help sh ser")
    check(sorted(l.split()[1] for l in lines(out)) == ["service", "services"],
          "help sh ser: show service, show services", out)
    out = c.cmd("help zzz")
    check(out == '% help: no command starts with "zzz"\n', "help zzz is an error", out)


def t_question(x):
    c = x.c
    shows = sorted(p.split()[1] for p in ALL_COMMANDS if p.startswith("show "))
    out = c.ok("show ?")
    got = [l.split()[0] for l in lines(out)]
    check(got == shows, "'show ?' lists the words after show", out)
    check(all(len(l.split()) > 1 for l in lines(out)), "'show ?' gives help for each word", out)
    out = c.ok("sh?")
    check(out == "  show  (%d commands)\n" % len(shows), "'sh?' completes the word", out)
    out = c.ok("sh r?")
    check([l.split()[0] for l in lines(out)] == ["routes", "ruleset", "running-config",
                                                 "runtime"], "'sh r?'", out)
    out = c.ok("show services ?")
    ls = lines(out)
    check([l.strip() for l in ls[:-1]] == [WEB, DNS, API] or
          sorted(l.strip() for l in ls[:-1]) == sorted([WEB, DNS, API]),
          "'show services ?' lists the service names", out)
    check(ls[-1].startswith("  show services [NAME|VIP] [json]"), "and the usage line", out)
    out = c.ok("log level ?")
    check([l.strip() for l in lines(out)[:-1]] == ["debug", "error", "info", "notice",
                                                   "warning"] and
          lines(out)[-1].startswith("  log level [error|warning|notice|info|debug]"),
          "'log level ?' lists the levels", out)
    out = c.ok("backend ?")
    check([l.split()[0] for l in lines(out)] == ["add", "del", "weight"], "'backend ?'", out)
    out = c.cmd("xyz ?")
    check(out == '% unknown command "xyz"; try help\n', "'xyz ?' is an unknown command", out)
    # A line ending in ? is help, not run.
    out = c.ok("service del %s ?" % WEB)
    check(lines(out)[-1].startswith("  service del NAME"), "usage of service del", out)
    j = c.json("show services %s json" % WEB)
    check(len(j) == 1, "a line ending in ? does not run the command", j)


def t_errors(x):
    c = x.c
    before = (c.json("show services json"), c.json("show routes json"),
              static_neighbours(c.json("show neighbours json")),
              c.json("show ruleset json")["generation"])
    cases = [
        ("shw", '% unknown command "shw"; try help'),
        ("show xyz", '% unknown command "show xyz"; try "show ?"'),
        ("show", '% incomplete command "show"; try "show ?"'),
        ("service frontend", '% incomplete command "service frontend"; '
                             'try "service frontend ?"'),
        ("backend add %s 1.2.3:80" % WEB, '% backend add: "1.2.3" is not an IP address'),
        ("backend add %s 198.18.1.9:0" % WEB,
         '% backend add: port "0" is not a number in 1..65535'),
        ("backend add %s 198.18.1.9" % WEB,
         '% backend add: "198.18.1.9" is not ADDRESS:PORT'),
        ("route add 10.0.0.0/33 via 198.18.1.9",
         '% route add: "10.0.0.0/33" is not a prefix A.B.C.D/LEN or X:X::X/LEN'),
        ("route add 198.18.64.0/18 via 198.18.1.300",
         '% route add: next hop "198.18.1.300" is not an IPv4 or IPv6 address'),
        ("route add 2001:db8:9::/48 via 198.18.1.9",
         '% route add: the next hop is not an IPv6 address like the prefix'),
        ("route add 198.18.64.0/18 via 198.18.9.9",
         '% route add: 198.18.9.9 is not on a connected prefix'),
        ("route add 198.18.64.0/18 via 198.18.1.9 port nosuch",
         '% route add: no port "nosuch"'),
        ("route del 198.18.0.0/24",
         '% route del: 198.18.0.0/24 is a connected route; only static routes can be deleted'),
        ("route del 198.18.96.0/20", '% route del: no route 198.18.96.0/20'),
        ("service add x sctp", '% service add: protocol "sctp": tcp or udp'),
        ("service add x tcp scheduler fastest",
         '% service add: scheduler "fastest": maglev, wrr or random'),
        ("service add x tcp mode bridge", '% service add: mode "bridge": fullnat, dnat or dsr'),
        ("service add x tcp colour red",
         '% service add: unknown option "colour" (scheduler, mode, affinity, '
         'affinity-timeout, source-ranges, tcp-syn-timeout, tcp-established-timeout, '
         'tcp-fin-timeout, tcp-time-wait-timeout, tcp-close-timeout, udp-timeout, '
         'udp-unreplied-timeout)'),
        ("service set %s source-ranges 198.51.100.0/24,10.0.0.0/33" % WEB,
         '% service set: source range "10.0.0.0/33" is not a prefix A.B.C.D/N or X:X::X/N'),
        ("service set %s source-ranges 198.51.100.0/24,,10.0.0.0/8" % WEB,
         '% service set: source-ranges "198.51.100.0/24,,10.0.0.0/8": give PREFIX[,PREFIX...] '
         'or none'),
        ("service set %s affinity-timeout 0" % WEB,
         '% service set: affinity-timeout "0" is not a number in 1..86400'),
        ("service set nosuch scheduler wrr", '% service set: no service "nosuch"'),
        ("backend weight %s 198.18.1.2:8080 99999" % WEB,
         '% backend weight: weight "99999" is not a number in 0..10000'),
        ("backend weight %s 198.18.1.99:8080 1" % WEB,
         '%% backend weight: service "%s" has no backend 198.18.1.99:8080' % WEB),
        ("neighbour add 198.18.1.77 ff:ff:ff:ff:ff:ff",
         '% neighbour add: "ff:ff:ff:ff:ff:ff" is not a unicast MAC aa:bb:cc:dd:ee:ff'),
        ("neighbour add 198.18.9.77 02:00:00:00:00:01",
         '% neighbour add: 198.18.9.77 is not on a connected prefix'),
        ("neighbour del 198.18.1.99", '% neighbour del: no neighbour 198.18.1.99 on port pods'),
        ("lookup sctp 198.18.0.5:1000 198.19.0.10:80", '% lookup: protocol "sctp": tcp or udp'),
        ("lookup tcp 198.18.0.5 198.19.0.10:80", '% lookup: "198.18.0.5" is not ADDRESS:PORT'),
        ("lookup tcp 198.18.0.5:1000", '% lookup: give tcp|udp CLIENT:PORT FRONTEND:PORT'),
        ("show version extra", '% show version: unexpected argument "extra"'),
        ("show running-config extra", '% show running-config: unexpected argument "extra"'),
        ("clear stats now", '% clear stats: unexpected argument "now"'),
        ("commit now", '% commit: unexpected argument "now"'),
        ("reload now", '% reload: unexpected argument "now"'),
        ("log level loud",
         '% log level: "loud" is not one of error, warning, notice, info, debug'),
        ('show service "abc', '% unterminated quote in "show"'),
        ("quit now", '% quit: takes no arguments'),
    ]
    bad = []
    for line, want in cases:
        out = c.cmd(line)
        if out != want + "\n":
            bad.append("%r -> %r (expected %r)" % (line, out, want))
    check(not bad, "error messages:\n          " + "\n          ".join(bad))
    after = (c.json("show services json"), c.json("show routes json"),
             static_neighbours(c.json("show neighbours json")),
             c.json("show ruleset json")["generation"])
    check(config_view(before[0]) == config_view(after[0]) and before[1:] == after[1:],
          "bad commands leave services, routes, neighbours and the ruleset unchanged")


def t_errors_unknown_service(x):
    """Errors from the service API must name the command too (doc/cli.md: '% CMD: ...')."""
    c = x.c
    bad = []
    for line, cmd, token in (
            ("backend add nosuch 198.18.1.5:80", "backend add", "nosuch"),
            ("backend del nosuch 198.18.1.5:80", "backend del", "nosuch"),
            ("backend weight nosuch 198.18.1.5:80 3", "backend weight", "nosuch"),
            ("service del nosuch", "service del", "nosuch"),
            ("service frontend add nosuch 198.19.0.99:80", "service frontend add", "nosuch"),
            ("service frontend del nosuch nodeport 30999", "service frontend del", "nosuch"),
            ("service add %s tcp" % WEB, "service add", WEB),
            ("backend add %s 198.19.200.5:80" % WEB, "backend add", "198.19.200.5"),
            ("backend del %s 198.18.1.77:8080" % WEB, "backend del", "198.18.1.77"),
            ("service frontend add %s 198.18.0.1:80" % WEB, "service frontend add",
             "198.18.0.1"),
            ("service frontend add %s 198.19.0.53:80" % DNS, "service frontend add", "80")):
        out = c.cmd(line)
        try:
            error_line(out, cmd, token)
        except Fail:
            bad.append("%r -> %r" % (line, out))
    check(not bad, "errors start with '% CMD: ' and name the bad token:\n          " +
          "\n          ".join(bad))


def t_errors_extra_word(x):
    c = x.c
    out = c.cmd("log level info extra")
    error_line(out, "log level", "extra")
    out = c.ok("log level")
    check(out == "log level notice\n", "a refused log level leaves the level as it was", out)


def t_service_name_check(x):
    """A name the config file cannot hold must be refused, else show running-config
    writes a file nodegw rejects."""
    c = x.c
    out = c.cmd('service add "bad name" tcp')
    try:
        check(out != "", "'service add \"bad name\" tcp' is refused; it is accepted, and "
              "show running-config would then write name = \"bad name\"; which nodegw "
              "--check rejects (names are 1..127 of A-Z a-z 0-9 _ . : / -)")
        error_line(out, "service add", "bad name")
    finally:
        if "% " not in out:
            c.cmd('service del "bad name"')
            c.cmd("commit")


def lookup_map(c, proto, vip, n=60, base="198.18.0."):
    m = {}
    for i in range(n):
        cl = "%s%d:%d" % (base, 10 + i, 20000 + 7 * i)
        name, a, p, slot = parse_lookup(c.ok("lookup %s %s %s" % (proto, cl, vip)))
        m[cl] = (name, a, p)
    return m


def t_lookup(x):
    c = x.c
    out = c.ok("lookup tcp 198.18.0.5:40000 198.19.0.10:80")
    name, a, p, slot = parse_lookup(out)
    check(name == WEB and (a, p) in WEB_BACKENDS, "lookup names web and one of its backends",
          out)
    check("client-ip affinity" in out, "lookup mentions the affinity of web", out)
    for _ in range(3):
        check(c.ok("lookup tcp 198.18.0.5:40000 198.19.0.10:80") == out,
              "the same flow gets the same answer")
    j = c.json("lookup tcp 198.18.0.5:40000 198.19.0.10:80 json")
    check(set(j) == {"service", "scheduler", "verdict", "backend", "port", "slot"} and
          j["service"] == WEB and j["verdict"] == "backend" and
          (j["backend"], j["port"]) == (a, p) and j["slot"] == slot and
          j["scheduler"] == "maglev", "lookup json agrees with the text", j)
    m = lookup_map(c, "tcp", "198.19.0.10:80", 150)
    got = [v[1:] for v in m.values()]
    check(set(got) == WEB_BACKENDS, "flows spread over both web backends", set(got))
    n2 = sum(1 for v in got if v == ("198.18.1.2", 8080))
    n3 = sum(1 for v in got if v == ("198.18.1.3", 8080))
    check(n3 > n2, "weight 2 gets more flows than weight 1 (%d vs %d)" % (n3, n2))
    check(lookup_map(c, "tcp", "198.19.0.10:80", 150) == m, "lookups are stable")
    x.web_map = m
    for vip in ("198.18.0.1:30080", "198.18.1.1:30080"):
        name, a, p, _ = parse_lookup(c.ok("lookup tcp 198.18.0.7:1234 " + vip))
        check(name == WEB and (a, p) in WEB_BACKENDS, "node port %s is web" % vip)
    dm = lookup_map(c, "udp", "198.19.0.53:53", 40)
    check({v[0] for v in dm.values()} == {DNS} and
          {v[1:] for v in dm.values()} == DNS_BACKENDS, "udp lookups go to dns backends", dm)
    out = c.ok("lookup tcp 198.18.0.5:1000 198.19.0.53:53")
    check(out == "no service has frontend 198.19.0.53:53/tcp: refused if it is a VIP, else "
          "routed\n", "tcp to the udp VIP: no frontend", out)
    j = c.json("lookup udp 198.18.0.5:1000 198.19.0.10:80 json")
    check(j == {"verdict": "no frontend"}, "udp to the tcp VIP: no frontend (json)", j)
    name, a, p, _ = parse_lookup(c.ok("lookup tcp 198.18.0.5:1000 198.19.0.21:443"))
    check(name == API and (a, p) == ("198.18.130.5", 8443),
          "wrr: the only usable backend of api", (name, a, p))


def t_backend_weight_lookup(x):
    c = x.c
    g0 = c.json("show ruleset json")["generation"]
    c.silent("backend weight %s 198.18.1.2:8080 0" % WEB)
    c.silent("commit")
    g1 = c.json("show ruleset json")
    check(g1["generation"] > g0 and not g1["dirty"], "commit publishes a new ruleset",
          (g0, g1))
    m = lookup_map(c, "tcp", "198.19.0.10:80", 150)
    check({v[1:] for v in m.values()} == {("198.18.1.3", 8080)},
          "weight 0 (draining): no new flow goes to 198.18.1.2", m)
    out = c.ok("show service " + WEB)
    check(re.search(r"198\.18\.1\.2:8080\s+0\s+\d+\s+\d+  \(draining\)", out) is not None,
          "show service marks it draining", out)
    c.silent("backend weight %s 198.18.1.2:8080 1" % WEB)
    c.silent("commit")
    check(lookup_map(c, "tcp", "198.19.0.10:80", 150) == x.web_map,
          "restoring the weight restores the same Maglev mapping")


def t_service_lifecycle(x):
    c = x.c
    n = "cli/test"
    c.silent("service add %s tcp scheduler wrr affinity client-ip affinity-timeout 120" % n)
    j = c.json("show service %s json" % n)
    check(j["protocol"] == "tcp" and j["scheduler"] == "wrr" and j["affinity"] == "client-ip"
          and j["affinity_timeout"] == 120 and j["frontends"] == [] and j["backends"] == [],
          "service add: a new empty service", j)
    check(len(c.json("show services json")) == 4, "show services lists it")
    c.silent("service frontend add %s 198.19.0.77:8080" % n)
    c.silent("service frontend add %s 198.19.0.78:8080" % n)
    c.silent("service frontend add %s nodeport 30777" % n)
    c.silent("backend add %s 198.18.1.50:9000 weight 3" % n)
    c.silent("backend add %s 198.18.1.51:9000" % n)
    c.silent("backend add %s 198.18.129.4:9000 weight 2" % n)  # via the static route
    c.silent("commit")
    j = c.json("show service %s json" % n)
    check(sorted(j["frontends"]) == ["198.19.0.77:8080/tcp", "198.19.0.78:8080/tcp",
                                     "nodeport:30777/tcp"], "frontends added", j)
    check([(b["address"], b["port"], b["weight"]) for b in j["backends"]] ==
          [("198.18.1.50", 9000, 3), ("198.18.1.51", 9000, 1), ("198.18.129.4", 9000, 2)],
          "backends added with weights", j)
    out = c.ok("show service " + n)
    check("    198.19.0.77:8080/tcp" in out and "    nodeport:30777/tcp" in out and
          re.search(r"198\.18\.1\.50:9000\s+3 ", out) is not None,
          "show service text shows frontends and weights", out)
    name, a, p, _ = parse_lookup(c.ok("lookup tcp 198.18.0.9:1234 198.19.0.78:8080"))
    check(name == n and p == 9000, "lookup finds the new service on its VIP", (name, a, p))
    name, a, p, _ = parse_lookup(c.ok("lookup tcp 198.18.0.9:1234 198.18.1.1:30777"))
    check(name == n, "and on its node port", name)
    c.silent("service set %s scheduler maglev mode dnat affinity none" % n)
    c.silent("commit")
    j = c.json("show service %s json" % n)
    check(j["scheduler"] == "maglev" and j["mode"] == "dnat" and j["affinity"] == "none" and
          "affinity_timeout" not in j, "service set changes options", j)
    c.silent("service set %s mode dsr" % n)
    c.silent("commit")
    j = c.json("show service %s json" % n)
    check(j["mode"] == "dsr", "service set ... mode dsr", j)
    check(re.search(r"mode = \"dsr\"", c.ok("show running-config")) is not None,
          "show running-config writes mode dsr", c.ok("show running-config"))
    c.silent("service set %s mode dnat" % n)
    c.silent("commit")
    c.silent("backend weight %s 198.18.1.51:9000 0" % n)
    c.silent("backend del %s 198.18.1.50:9000" % n)
    c.silent("service frontend del %s nodeport 30777" % n)
    c.silent("service frontend del %s 198.19.0.77:8080" % n)
    c.silent("commit")
    j = c.json("show service %s json" % n)
    check(j["frontends"] == ["198.19.0.78:8080/tcp"] and
          [(b["address"], b["weight"]) for b in j["backends"]] ==
          [("198.18.1.51", 0), ("198.18.129.4", 2)],
          "frontend del, backend del, backend weight", j)
    m = lookup_map(c, "tcp", "198.19.0.78:8080", 40)
    check({v[1:] for v in m.values()} == {("198.18.129.4", 9000)},
          "lookups avoid the weight-0 backend", m)
    out = c.ok("lookup tcp 198.18.0.9:1234 198.18.1.1:30777")
    check(out.startswith("no service has frontend"), "the node port is gone", out)
    c.silent("service del " + n)
    c.silent("commit")
    out = c.cmd("show service " + n)
    check(out == '%% show service: no service "%s"\n' % n, "service del removes it", out)
    check(sorted(s["name"] for s in c.json("show services json")) == sorted([WEB, DNS, API]),
          "back to the three configured services")
    out = c.ok("lookup tcp 198.18.0.9:1234 198.19.0.78:8080")
    check(out.startswith("no service has frontend"), "its VIP is gone", out)
    j = c.json("show ruleset json")
    check(j["services"] == 3 and j["frontends"] == 6, "ruleset back to 3 services", j)


def t_route_neigh_cli(x):
    c = x.c
    c.silent("route add 198.18.64.0/18 via 198.18.1.250")
    c.silent("route add 198.18.32.0/19 via 198.18.0.250 port client")
    rows = static_routes(c.json("show routes json"))
    check(("198.18.64.0/18", "198.18.1.250", "pods", "198.18.1.1") in rows and
          ("198.18.32.0/19", "198.18.0.250", "client", "198.18.0.1") in rows,
          "route add: static routes with port and source", rows)
    out = c.ok("show routes")
    check(re.search(r"198\.18\.64\.0/18\s+static\s+198\.18\.1\.250\s+pods\s+198\.18\.1\.1",
                    out) is not None, "show routes text shows the new route", out)
    c.silent("route add 198.18.64.0/18 via 198.18.1.251")
    check(("198.18.64.0/18", "198.18.1.251", "pods", "198.18.1.1") in
          static_routes(c.json("show routes json")), "route add replaces a route")
    c.silent("route del 198.18.64.0/18")
    c.silent("route del 198.18.32.0/19")
    check(static_routes(c.json("show routes json")) ==
          [("198.18.128.0/17", "198.18.1.254", "pods", "198.18.1.1")], "route del")
    c.silent("neighbour add 198.18.1.249 02:00:00:00:01:F9")
    c.silent("neighbour add 198.18.0.249 02:00:00:00:00:f9 port client")
    nb = static_neighbours(c.json("show neighbours json"))
    check(("198.18.1.249", "pods", "02:00:00:00:01:f9", "static") in nb and
          ("198.18.0.249", "client", "02:00:00:00:00:f9", "static") in nb,
          "neighbour add: static entries", nb)
    c.silent("neighbour del 198.18.1.249")
    c.silent("neighbour del 198.18.0.249 port client")
    check(static_neighbours(c.json("show neighbours json")) ==
          [("198.18.1.254", "pods", "02:00:00:00:01:fe", "static")], "neighbour del")


def t_log_level(x):
    c = x.c
    check(c.ok("log level") == "log level notice\n", "log level shows the configured level")
    c.silent("log level info")
    check(c.ok("log level") == "log level info\n", "log level info")
    check('log_level = "info";' in c.ok("show running-config"),
          "running-config shows the new level")
    c.silent("log level NOTICE")
    check(c.ok("log level") == "log level notice\n", "level names in any case")


RC_SERVICE_WEB = '''	{
		name = "default/web:http";
		protocol = "tcp";
		port = 80;
		vips = ["198.19.0.10"];
		node_port = 30080;
		scheduler = "maglev";
		mode = "fullnat";
		affinity = "client-ip";
		affinity_timeout = 600;
		backends = (
			{ address = "198.18.1.2"; port = 8080; weight = 1; },
			{ address = "198.18.1.3"; port = 8080; weight = 2; }
		);
	}'''


def t_running_config(x):
    c = x.c
    out = c.ok("show running-config")
    check(out.startswith("# nodegw %s running configuration\n" % x.version), "header", out)
    for want in ('log_level = "notice";', 'idle_sleep_us = 100;',
                 'cli = { address = "127.0.0.1"; port = %d; idle_timeout_s = 600; };' %
                 x.a_cli_conf_port,
                 'devargs = "net_null0";', 'addresses = ["198.18.1.1/24"];',
                 '{ prefix = "198.18.128.0/17"; via = "198.18.1.254"; port = "pods"; }',
                 '{ address = "198.18.1.254"; mac = "02:00:00:00:01:fe"; port = "pods"; }',
                 RC_SERVICE_WEB, 'vips = ["198.19.0.20", "198.19.0.21"];',
                 'tcp_established = 3600;',
                 '{ address = "198.18.131.7"; port = 8443; weight = 0; }'):
        check(want in out, "running-config has %r" % want, out)
    # The json form carries the same text.
    js = json.loads(c.ok("show running-config json"))
    check(set(js) == {"config"} and js["config"] == out, "show running-config json", js)


def start_from_running_config(x, tag):
    """Write A's running-config, --check it, start a second nodegw from it."""
    c = x.c
    rc_text = c.ok("show running-config")
    checked = []

    def conf(port):
        text = rc_text
        if getattr(x.a, "fallback_port", None):
            # Only where cli.port = 0 turns the CLI off: another fixed port.
            text = text.replace("port = %d; idle" % x.a.fallback_port, "port = %d; idle" % port)
        path = os.path.join(x.tmp, tag + ".conf")
        with open(path, "w") as f:
            f.write(text)
        chk = subprocess.run([x.exe, "--check", "-c", path], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=30)
        msg = chk.stdout.decode(errors="replace")
        check(chk.returncode == 0, "nodegw --check accepts show running-config (exit 0)",
              msg + "\n----- file:\n" + text)
        checked.append(msg)
        return text
    b = Nodegw(x.exe, x.tmp, tag)
    x.procs.append(b)
    b.start(conf)  # again on another port where the CLI's was taken
    check(b.port is not None, "second nodegw: CLI on", b.log()[-1500:])
    return rc_text, checked[-1], b


def compare_instances(x, b, rc_a):
    ca, cb = x.c, b.client()
    try:
        sa, sb = ca.json("show services json"), cb.json("show services json")
        va = {k: v for k, v in config_view(sa).items() if v["frontends"]}
        check(va == config_view(sb), "show services json equal on both (counters aside)",
              (va, config_view(sb)))
        ra, rb = ca.json("show routes json"), cb.json("show routes json")
        check(static_routes(ra) == static_routes(rb), "static routes equal",
              (static_routes(ra), static_routes(rb)))
        check(all_routes(ra) == all_routes(rb), "all routes equal", (ra, rb))
        na = static_neighbours(ca.json("show neighbours json"))
        nb = static_neighbours(cb.json("show neighbours json"))
        check(na == nb, "static neighbours equal", (na, nb))
        rc_b = cb.ok("show running-config")
        if getattr(x.a, "fallback_port", None):
            rc_b = re.sub(r"(cli = \{ address = \"127.0.0.1\"; port = )\d+", r"\g<1>X", rc_b)
            rc_a = re.sub(r"(cli = \{ address = \"127.0.0.1\"; port = )\d+", r"\g<1>X", rc_a)
        check(sorted(rc_a.split("\n")) == sorted(rc_b.split("\n")),
              "show running-config of the second nodegw has the same lines (a fixed point)",
              "\n".join(l for l in rc_b.split("\n") if l not in rc_a.split("\n")))
        for s in va.values():
            proto = s["protocol"]
            for fe in s["frontends"]:
                if fe.startswith("nodeport:"):
                    dst = "198.18.0.1:" + fe.split(":")[1].split("/")[0]
                else:
                    dst = fe.split("/")[0]
                for i in range(8):
                    line = "lookup %s 198.18.0.%d:%d %s json" % (proto, 30 + i, 5000 + i, dst)
                    ja, jb = ca.json(line), cb.json(line)
                    if s["scheduler"] != "maglev":
                        ja.pop("slot", None), jb.pop("slot", None)
                        if ja.get("verdict") == "backend":
                            ja.pop("backend"), jb.pop("backend", None)
                            ja.pop("port"), jb.pop("port", None)
                    check(ja == jb, "%r: same answer on both" % line, (ja, jb))
    finally:
        cb.close()


def t_roundtrip(x):
    rc_a, msg, b = start_from_running_config(x, "b1")
    try:
        check(re.search(r": OK \(2 ports, 1 routes, 1 neighbours\)", msg) is not None,
              "--check counts 2 ports, 1 route, 1 neighbour", msg)
        compare_instances(x, b, rc_a)
    finally:
        rc = b.stop()
        check(rc == 0, "second nodegw exits 0 on SIGTERM", b.log()[-1500:])


def t_cli_changes(x):
    c = x.c
    n = "cli/added"
    c.silent("service add %s udp scheduler maglev mode dnat" % n)
    c.silent("service frontend add %s 198.19.0.99:5353" % n)
    c.silent("service frontend add %s 198.19.0.98:5353" % n)
    c.silent("service frontend add %s nodeport 30553" % n)
    c.silent("backend add %s 198.18.1.60:5353 weight 5" % n)
    c.silent("backend add %s 198.18.200.7:5353" % n)
    c.silent("service add cli/empty tcp")
    c.silent("service frontend add cli/empty 198.19.0.97:443")
    c.silent("service set cli/empty source-ranges 198.51.100.7/24,203.0.113.0/25")
    c.silent("service add cli/nofe tcp affinity client-ip")
    c.silent("backend weight %s 198.18.1.3:8080 7" % WEB)
    c.silent("service set %s affinity-timeout 900" % WEB)
    c.silent("backend del %s 198.18.1.11:53" % DNS)
    c.silent("route add 198.18.64.0/18 via 198.18.1.253")
    c.silent("route add 198.18.32.0/19 via 198.18.0.254 port client")
    c.silent("neighbour add 198.18.1.253 02:00:00:00:01:FD")
    c.silent("neighbour add 198.18.0.254 02:00:00:00:00:fe port client")
    c.silent("neighbour del 198.18.1.254")
    c.silent("log level info")
    c.silent("commit")
    out = c.ok("show running-config")
    for want in ('name = "cli/added";', 'protocol = "udp";', 'port = 5353;',
                 'vips = ["198.19.0.99", "198.19.0.98"];', 'node_port = 30553;',
                 '{ address = "198.18.1.60"; port = 5353; weight = 5; }',
                 '{ address = "198.18.200.7"; port = 5353; weight = 1; }',
                 'name = "cli/empty";', 'vips = ["198.19.0.97"];',
                 'source_ranges = ["198.51.100.0/24", "203.0.113.0/25"];',
                 '# service "cli/nofe" has no frontend yet',
                 '{ address = "198.18.1.3"; port = 8080; weight = 7; }',
                 'affinity_timeout = 900;',
                 '{ prefix = "198.18.64.0/18"; via = "198.18.1.253"; port = "pods"; }',
                 '{ prefix = "198.18.32.0/19"; via = "198.18.0.254"; port = "client"; }',
                 '{ address = "198.18.1.253"; mac = "02:00:00:00:01:fd"; port = "pods"; }',
                 '{ address = "198.18.0.254"; mac = "02:00:00:00:00:fe"; port = "client"; }',
                 'log_level = "info";'):
        check(want in out, "running-config reflects the CLI change %r" % want, out)
    for gone in ('"198.18.1.11"', 'address = "198.18.1.254"'):
        check(gone not in out, "running-config no longer has %s" % gone, out)
    c.silent("service del cli/nofe")
    c.silent("commit")


def t_roundtrip_after_changes(x):
    rc_a, msg, b = start_from_running_config(x, "b2")
    try:
        check(re.search(r": OK \(2 ports, 3 routes, 2 neighbours\)", msg) is not None,
              "--check counts 3 routes and 2 neighbours", msg)
        compare_instances(x, b, rc_a)
        cb = b.client()
        try:
            check(cb.ok("log level") == "log level info\n", "the log level carried over")
            j = svc_by_name(cb.json("show services json"))
            check(set(j) == {WEB, DNS, API, "cli/added", "cli/empty"},
                  "the second nodegw has the CLI-added services", sorted(j))
        finally:
            cb.close()
    finally:
        rc = b.stop()
        check(rc == 0, "second nodegw exits 0 on SIGTERM", b.log()[-1500:])


def t_reload(x):
    c = x.c
    out = c.ok("reload")
    check(out == "reloaded %s\n" % x.a.conf_path, "reload names the file", out)
    sv = c.json("show services json")
    check(sorted(s["name"] for s in sv) == sorted([WEB, DNS, API]),
          "reload: services are the file's again (CLI-added ones gone)", sv)
    for s in sv:
        check_expected_service(s, s["name"])


def t_reload_routes(x):
    c = x.c
    rj = c.json("show routes json")
    check(static_routes(rj) == [("198.18.128.0/17", "198.18.1.254", "pods", "198.18.1.1")],
          "after reload the static routes are the file's (CLI-added routes removed, like "
          "CLI-added services)", static_routes(rj))


def t_reload_neighbours(x):
    c = x.c
    nb = static_neighbours(c.json("show neighbours json"))
    check(nb == [("198.18.1.254", "pods", "02:00:00:00:01:fe", "static")],
          "after reload the static neighbours are the file's (CLI-added ones removed)", nb)


def t_reload_changes(x):
    c = x.c
    good = conf_text(x.a_cli_conf_port, extra_services=''',
	{
		name = "reload/new"; protocol = "tcp"; port = 8081; vips = ["198.19.0.120"];
		backends = ( { address = "198.18.1.70"; } );
	}''')
    try:
        reload_changes(x, c, good)
    finally:
        with open(x.a.conf_path, "w") as f:
            f.write(conf_text(x.a_cli_conf_port))
        out = c.cmd("reload")
    check(out == "reloaded %s\n" % x.a.conf_path, "reload the original", out)
    check(sorted(s["name"] for s in c.json("show services json")) == sorted([WEB, DNS, API]),
          "back to the original services")


def reload_changes(x, c, good):
    # A setting a reload does not apply (icmp.rate_pps) keeps its running value,
    # and show running-config shows that value, not the file's.
    good = good.replace("workers = { idle_sleep_us = 100; };",
                        "workers = { idle_sleep_us = 100; };\nicmp = { rate_pps = 7; };", 1)
    with open(x.a.conf_path, "w") as f:
        f.write(good)
    check(c.ok("reload") == "reloaded %s\n" % x.a.conf_path, "reload")
    rc = c.ok("show running-config")
    check("icmp = { rate_pps = 100; fragment = true; };" in rc,
          "reload keeps settings it does not apply, and running-config says so", rc)
    name, a, p, _ = parse_lookup(c.ok("lookup tcp 198.18.0.5:1000 198.19.0.120:8081"))
    check((name, a, p) == ("reload/new", "198.18.1.70", 8081),
          "a service added to the file is served after reload", (name, a, p))
    before = config_view(c.json("show services json"))
    with open(x.a.conf_path, "w") as f:
        f.write(good.replace('port = 8081;', 'port = = 8081;'))  # syntax error
    out = c.cmd("reload")
    check(re.fullmatch(r"%% reload refused, running state kept: %s:\d+: .+\n" %
                       re.escape(x.a.conf_path), out) is not None,
          "a broken file: reload refused with FILE:LINE", out)
    check(config_view(c.json("show services json")) == before, "state kept", None)
    with open(x.a.conf_path, "w") as f:
        f.write(good.replace('"198.18.1.70"', '"198.19.200.5"'))  # unroutable backend
    out = c.cmd("reload")
    check(out.startswith("% reload refused, running state kept: ") and "198.19.200.5" in out,
          "an unroutable backend: reload refused naming it", out)
    check(config_view(c.json("show services json")) == before,
          "state kept after a refused reload", config_view(c.json("show services json")))
    name, a, p, _ = parse_lookup(c.ok("lookup tcp 198.18.0.5:1000 198.19.0.120:8081"))
    check((name, a, p) == ("reload/new", "198.18.1.70", 8081), "and still served")
    # A valid file whose route needs an address the running port does not have
    # (addresses change only at restart): refused before anything changes.
    routes = static_routes(c.json("show routes json"))
    with open(x.a.conf_path, "w") as f:
        f.write(good.replace('addresses = ["198.18.1.1/24"]',
                             'addresses = ["198.18.1.1/24", "198.18.5.1/24"]')
                .replace('via = "198.18.1.254"', 'via = "198.18.5.254"'))
    out = c.cmd("reload")
    check(re.fullmatch(r"%% reload refused, running state kept: %s:\d+: 198\.18\.5\.254 is not "
                       r"on a connected prefix of port pods\n" % re.escape(x.a.conf_path), out)
          is not None, "a route off the running ports' prefixes: reload refused with "
          "FILE:LINE naming the next hop", out)
    check(static_routes(c.json("show routes json")) == routes and
          config_view(c.json("show services json")) == before,
          "routes and services kept after that refused reload",
          static_routes(c.json("show routes json")))


def t_sessions(x):
    a, b = x.a.client(), x.a.client()
    try:
        nsvc = len(a.json("show services json"))
        ja = a.json("show version json")
        jb = b.json("show version json")
        check(ja == jb, "two sessions at once")
        a.send(b"show version\n")
        b.send(b"show ruleset json\n")
        check(clean(b.recv_until(PROMPT), "b").startswith('{"generation"'), "b answers")
        check(clean(a.recv_until(PROMPT), "a").startswith("nodegw "), "a answers")
        # Several lines at once run in order, each followed by the prompt.
        a.send(b"show version json\r\nlog level\rshow ruleset json\n")
        o1 = clean(a.recv_until(PROMPT), "1")
        o2 = clean(a.recv_until(PROMPT), "2")
        o3 = clean(a.recv_until(PROMPT), "3")
        check(json.loads(o1)["version"] == x.version and o2.startswith("log level ") and
              json.loads(o3)["services"] == nsvc, "pipelined lines (CR LF, CR, LF ends)",
              (o1, o2, o3))
    finally:
        a.close()
        b.close()


def t_quit(x):
    c = x.a.client()
    c.send(b"quit\nshow version\n")
    out = c.recv_eof()
    check(out == b"", "quit: the server closes the connection without running later lines "
          "or printing a prompt", out)
    c.close()
    c = x.a.client()
    c.send(b"exit\n")
    check(c.recv_eof() == b"", "exit closes the connection")
    c.close()
    # Half-close: the last line without a line end is run, then the server closes.
    c = x.a.client()
    level = c.ok("log level").encode().replace(b"\n", b"\r\n")
    version = c.ok("show version json").encode().replace(b"\n", b"\r\n")
    c.send(b"show version json\nlog level")
    c.sock.shutdown(socket.SHUT_WR)
    out = c.recv_eof()
    c.close()
    check(out == version + PROMPT + level,
          "half-close: both lines run, no prompt after the last", out)
    # The gateway is still fine.
    c = x.a.client()
    check(c.ok("show version").startswith("nodegw "), "new session after quit")
    c.close()


def t_trace(x):
    """trace add on the null port's frames (all zero: no ethertype nodegw
    handles): each recorded with its one step, parse -> drop, and the reason
    show stats counts; then the errors, and clear trace."""
    c = x.c
    c.ok("clear trace")
    out = c.ok("trace add 3 port client")
    check(out == "tracing the next 3 packets each of 1 worker(s) receives on client\n",
          "trace add says what it does", out)
    deadline = time.monotonic() + 10
    while True:
        j = c.json("show trace json")
        if len(j["packets"]) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    check(len(j["packets"]) == 3 and j["workers"][0]["recorded"] == 3 and
          j["workers"][0]["left"] == 0, "3 packets recorded, none left to trace", j)
    drops = c.json("show stats json")["drops_by_reason"]
    for p in j["packets"]:
        check(p["port"] == "client" and p["queue"] == 0 and
              p["steps"] == [{"stage": "parse", "edge": "drop"}] and p["verdict"] == "drop" and
              p.get("reason") in drops, "a null frame: parse drops it, counted in show stats",
              (p, drops))
    text = c.ok("show trace")
    check("Packet 3: worker 0, client queue 0, " in text and "  parse        -> drop\n" in text
          and "  verdict   dropped: " in text, "show trace in words", text)
    for line, err in (("trace add 0", '% trace add: N "0" is not a number from 1 to 512'),
                      ("trace add 5 port nope", '% trace add: no port "nope" (see show ports)'),
                      ("trace add 5 client", "% trace add: N [port P]")):
        out = c.cmd(line)
        check(out == err + "\n", line, out)
    c.ok("clear trace")
    j = c.json("show trace json")
    check(j["packets"] == [], "clear trace forgets the packets", j)


def t_show_json_all(x):
    """Every show command whose help says [json] prints one JSON document."""
    c = x.c
    out = c.ok("help show")
    for l in lines(out):
        m = re.match(r"  (show \S+)( \S.*?)?  ", l + "  ")
        check(m is not None, "help line", l)
        path, args = m.group(1), (m.group(2) or "")
        if "[json]" not in args:
            check(path == "show running-config", "only show running-config has no json "
                  "form", l)
            continue
        line = path + (" " + WEB if "NAME [json]" in args and "[NAME" not in args else "")
        c.json(line + " json")


# ---------------------------------------------------------------- CLI vs config rules

V6_CONF = """# nodegw CLI test configuration, IPv6 (tests/ctl)
log_level = "notice";
workers = { idle_sleep_us = 100; };
cli = { address = "127.0.0.1"; port = %(cli)d; };
ports = (
	{ name = "client"; devargs = "net_null0,no-rx=1";
	  addresses = ["198.18.0.1/24", "2001:db8::1/64"]; },
	{ name = "pods"; devargs = "net_null1,no-rx=1"; addresses = ["2001:db8:1::1/64"];
	  fullnat_addresses = ["2001:db8:1::50", "2001:db8:1::51"]; }
);
routes = (
	{ prefix = "2001:db8:80::/48"; via = "2001:db8:1::fe"; },
	{ prefix = "::/0"; via = "2001:db8::fe"; port = "client"; }
);
neighbours = (
	{ address = "2001:db8:1::fe"; mac = "02:00:00:00:01:fe"; }
);
"""


def t_ipv6_routes(x):
    """IPv6 port addresses, static routes and neighbours: from the config, the
    CLI, in show routes/neighbours, and round trip through show running-config."""
    n = start_nodegw(x.exe, x.tmp, "v6", lambda p: V6_CONF % {"cli": p}, x.res)
    x.procs.append(n)
    c = n.client()
    try:
        rj = c.json("show routes json")
        byp = {r["prefix"]: r for r in rj}
        for pfx, origin in (("2001:db8::/64", "connected"), ("2001:db8::1/128", "local"),
                            ("2001:db8:1::/64", "connected"), ("2001:db8:1::1/128", "local"),
                            ("198.18.0.0/24", "connected"), ("2001:db8:1::50/128", "local")):
            check(pfx in byp and byp[pfx]["origin"] == origin, "%s is a %s route" %
                  (pfx, origin), rj)
        check(static_routes(rj) == [("2001:db8:80::/48", "2001:db8:1::fe", "pods",
                                     "2001:db8:1::1"),
                                    ("::/0", "2001:db8::fe", "client", "2001:db8::1")],
              "the config's IPv6 routes, port and source", static_routes(rj))
        fj = {p["name"]: p["fullnat"] for p in c.json("show ports json")}["pods"]
        check(fj["addresses"] == ["2001:db8:1::50", "2001:db8:1::51"] and
              fj["ipv6"]["source_addresses"] == 2 and fj["source_addresses"] == 1,
              "show ports: the IPv6 FullNAT pool (2 sources for IPv6 backends)", fj)
        c.silent("route add 2001:db8:90::/48 via 2001:db8::fd")
        c.silent("neighbour add 2001:db8::fd 02:00:00:00:00:FD")
        check(("2001:db8:90::/48", "2001:db8::fd", "client", "2001:db8::1") in
              static_routes(c.json("show routes json")), "route add over IPv6")
        nb = static_neighbours(c.json("show neighbours json"))
        check(nb == [("2001:db8:1::fe", "pods", "02:00:00:00:01:fe", "static"),
                     ("2001:db8::fd", "client", "02:00:00:00:00:fd", "static")],
              "neighbour add over IPv6", nb)
        for line, token in (("route add 2001:db8:91::/48 via 2001:db8:7::1", "2001:db8:7::1"),
                            ("route add 2001:db8:91::/48 via 2001:db8::1", "2001:db8::1"),
                            ("route add 2001:db8:91::/129 via 2001:db8::9", "/129"),
                            ("neighbour add 2001:db8:1::1 02:00:00:00:00:01", "2001:db8:1::1"),
                            ("route del 2001:db8:1::/64", "2001:db8:1::/64")):
            error_line(c.cmd(line), line.split()[0] + " " + line.split()[1], token)
        # an IPv6 service: frontends and backends in brackets, one family
        c.silent("service add v6/web tcp source-ranges 2001:db8:7::/48")
        c.silent("service frontend add v6/web [2001:db8:100::10]:80")
        c.silent("service frontend add v6/web nodeport 30080")
        c.silent("backend add v6/web [2001:db8:1::10]:8080")
        # node ports are per family: an IPv4 service takes 30080 too, a second
        # IPv6 one may not; source ranges are of the service's family
        c.silent("service add v4/web tcp")
        c.silent("service frontend add v4/web 198.19.0.40:80")
        c.silent("service frontend add v4/web nodeport 30080")
        c.silent("backend add v4/web 198.18.0.5:8080")
        c.silent("service add v6/np tcp")
        error_line(c.cmd("service frontend add v6/np nodeport 30080 ipv6"), "service frontend",
                   'nodeport6:30080/tcp belongs to service "v6/web"')
        error_line(c.cmd("service frontend add v6/np nodeport 30080 ipv5"), "service frontend",
                   "give ipv4 or ipv6")
        error_line(c.cmd("service set v6/web source-ranges 198.51.100.0/24"), "service set",
                   "source ranges are IPv4 prefixes and the service is IPv6")
        c.silent("service del v6/np")
        fes = c.json("show service v6/web json")["frontends"]
        check(sorted(fes) == ["[2001:db8:100::10]:80/tcp", "nodeport6:30080/tcp"],
              "show service: the IPv6 node port", fes)
        for line, token in (("backend add v6/web 198.18.0.5:8080", "is IPv4, the service is IPv6"),
                            ("backend add v6/web 2001:db8:1::11:8080", "in brackets"),
                            ("service frontend add v6/web [fe80::1]:80", "fe80::1")):
            error_line(c.cmd(line), line.split()[0] + " " + line.split()[1], token)
        c.silent("commit")
        vr = [r for r in c.json("show routes json") if r["origin"] == "vip"]
        check(sorted(r["prefix"] for r in vr) == ["198.19.0.40/32", "2001:db8:100::10/128"],
              "the VIP's /128 route (and v4/web's /32)", vr)
        out = c.ok("show service v6/web")
        check("[2001:db8:100::10]:80/tcp" in out and "[2001:db8:1::10]:8080" in out,
              "show service prints IPv6 frontends and backends in brackets", out)
        # lookup over IPv6: the data path's hash, the backend in brackets
        out = c.ok("lookup tcp [2001:db8::2]:40000 [2001:db8:100::10]:80")
        check(re.match(r"service v6/web \(maglev\): backend \[2001:db8:1::10\]:8080, slot \d+ "
                       r"of \d+", out), "lookup answers an IPv6 flow", out)
        lj = c.json("lookup tcp [2001:db8::2]:40000 [2001:db8:100::10]:80 json")
        check(lj.get("backend") == "2001:db8:1::10" and lj.get("port") == 8080,
              "lookup json over IPv6", lj)
        error_line(c.cmd("lookup tcp 198.18.0.2:40000 [2001:db8:100::10]:80"), "lookup",
                   "not one family")
        text = c.ok("show running-config")
        for want in ('vips = ["2001:db8:100::10"];', 'node_port = 30080;',
                     'source_ranges = ["2001:db8:7::/48"];', 'vips = ["198.19.0.40"];',
                     'fullnat_addresses = ["2001:db8:1::50", "2001:db8:1::51"];',
                     '{ address = "2001:db8:1::10"; port = 8080; weight = 1; }',
                     'addresses = ["198.18.0.1/24", "2001:db8::1/64"];',
                     '{ prefix = "2001:db8:90::/48"; via = "2001:db8::fd"; port = "client"; }',
                     '{ prefix = "::/0"; via = "2001:db8::fe"; port = "client"; }',
                     '{ address = "2001:db8::fd"; mac = "02:00:00:00:00:fd"; port = "client"; }'):
            check(want in text, "running-config has " + want, text)
        path = os.path.join(x.tmp, "v6-running.conf")
        with open(path, "w") as f:
            f.write(text)
        chk = subprocess.run([x.exe, "--check", "-c", path], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=30)
        msg = chk.stdout.decode(errors="replace")
        check(chk.returncode == 0 and re.search(r"OK \(2 ports, 3 routes, 2 neighbours\)", msg),
              "nodegw --check accepts the IPv6 running-config", msg + "\n" + text)
        c.silent("route del 2001:db8:90::/48")
        c.silent("neighbour del 2001:db8::fd")
        check(len(static_routes(c.json("show routes json"))) == 2, "route del over IPv6")
    finally:
        c.close()
        n.stop()


CONN6_CONF = """# nodegw CLI test configuration, IPv6 connections (tests/ctl)
log_level = "notice";
workers = { idle_sleep_us = 100; };
cli = { address = "127.0.0.1"; port = %(cli)d; };
ports = (
	{ name = "client"; devargs = "%(cdev)s"; addresses = ["2001:db8::1/64"]; },
	{ name = "pods"; devargs = "net_null1,no-rx=1"; addresses = ["2001:db8:1::1/64"]; }
);
services = (
	{ name = "web6"; protocol = "tcp"; port = 80; vips = ["2001:db8:100::10"];
	  backends = ( { address = "2001:db8:1::10"; port = 8080; },
	               { address = "2001:db8:1::11"; port = 8080; } ); }
);
"""
CONN6_FLOWS = [("2001:db8::%x" % (0x20 + i), 40100 + i) for i in range(4)]


def syn6(src, sport, dst, dport):
    """An Ethernet frame with a TCP SYN over IPv6 (checksum over the pseudo-header)."""
    s6, d6 = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    l4 = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, 0x02, 65535, 0, 0)
    c = csum(s6 + d6 + struct.pack("!IxxxB", len(l4), 6) + l4)
    l4 = l4[:16] + struct.pack("!H", c) + l4[18:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(l4), 6, 64) + s6 + d6
    return bytes.fromhex(PCAP_MAC.replace(":", "")) + bytes.fromhex("020000000099") + \
        b"\x86\xdd" + ip6 + l4


def t_conn6(x):
    """show conn over IPv6: addresses in brackets, client/vip/backend filters of
    IPv6 addresses, the backend lookup names."""
    pcap = os.path.join(x.tmp, "in6.pcap")
    with open(pcap, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, (src, sport) in enumerate(CONN6_FLOWS):
            p = syn6(src, sport, "2001:db8:100::10", 80)
            f.write(struct.pack("<IIII", 1700000000, i, len(p), len(p)))
            f.write(p)
    n = start_nodegw(x.exe, x.tmp, "c6", lambda p: CONN6_CONF % {
        "cli": p, "cdev": "net_pcap0,rx_pcap=%s" % pcap}, x.res)
    x.procs.append(n)
    c = n.client()
    try:
        want = len(CONN6_FLOWS)
        deadline = time.monotonic() + 15
        while True:
            j = c.json("show conn json")
            if j["matched"] >= want or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check(j["matched"] == want, "the %d IPv6 flows are tracked" % want,
              (j, c.ok("show stats")))
        by_client = {cn["client"]: cn for cn in j["conns"]}
        for src, sport in CONN6_FLOWS:
            cn = by_client.get("[%s]:%d" % (src, sport))
            check(cn is not None, "conn of [%s]:%d" % (src, sport), j["conns"])
            lk = c.json("lookup tcp [%s]:%d [2001:db8:100::10]:80 json" % (src, sport))
            check(cn["frontend"] == "[2001:db8:100::10]:80" and
                  cn["backend"] == "[%s]:%d" % (lk["backend"], lk["port"]) and
                  cn["source"].startswith("[2001:db8:1::1]:") and cn["state"] == "SYN_SENT",
                  "an IPv6 conn: frontend, the backend lookup names, FullNAT source", (cn, lk))
        src0 = CONN6_FLOWS[0][0]
        one = c.json("show conn client %s json" % src0)
        check(one["matched"] == 1 and one["conns"][0]["client"].startswith("[%s]:" % src0),
              "show conn client IPV6", one)
        check(c.json("show conn vip 2001:db8:100::10 json")["matched"] == want,
              "show conn vip IPV6", c.ok("show conn"))
        nb = sum(c.json("show conn backend %s json" % b)["matched"]
                 for b in ("2001:db8:1::10", "2001:db8:1::11"))
        check(nb == want, "show conn backend IPV6: every conn on one of the two", nb)
        check(c.json("show conn client 198.18.0.2 json")["matched"] == 0,
              "an IPv4 filter matches no IPv6 conn", c.ok("show conn"))
    finally:
        c.close()
        n.stop()


def t_parity(x):
    """What the config loader refuses, the CLI must refuse too (else show
    running-config writes a file nodegw rejects), and route add/del must never
    replace or remove a connected, local or VIP route. Run on a nodegw of its own:
    a failure here can break its FIB."""
    n = start_nodegw(x.exe, x.tmp, "d", lambda p: conf_text(
        p, client_dev="net_null0,no-rx=1", pods_dev="net_null1,no-rx=1"), x.res)
    x.procs.append(n)
    c = n.client()
    bad = []
    try:
        def refused(line, cmd, token):
            out = c.cmd(line)
            try:
                error_line(out, cmd, token)
            except Fail:
                bad.append("%r -> %r (expected '%% %s: ...%s...')" % (line, out, cmd, token))
        c.silent("service add p tcp")
        c.silent("service frontend add p 198.19.0.60:80")
        c.silent("backend add p 198.18.1.9:80")
        for vip in ("224.0.0.5", "255.255.255.255", "0.0.0.0"):
            refused("service frontend add p %s:80" % vip, "service frontend add", vip)
            c.cmd("service frontend del p %s:80" % vip)
        refused("backend add p 198.18.1.1:80", "backend add", "198.18.1.1")
        c.cmd("backend del p 198.18.1.1:80")
        refused("route add 198.18.64.0/18 via 198.18.1.1", "route add", "198.18.1.1")
        c.cmd("route del 198.18.64.0/18")
        refused("neighbour add 198.18.1.1 02:00:00:00:00:01", "neighbour add", "198.18.1.1")
        c.cmd("neighbour del 198.18.1.1")
        c.silent("commit")
        text = c.ok("show running-config")
        path = os.path.join(x.tmp, "d-running.conf")
        with open(path, "w") as f:
            f.write(text)
        chk = subprocess.run([x.exe, "--check", "-c", path], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=30)
        if chk.returncode != 0:
            bad.append("show running-config after these commands fails nodegw --check: " +
                       chk.stdout.decode(errors="replace").strip())
        for pfx, origin, via in (("198.18.1.0/24", "connected", "198.18.1.5"),
                                 ("198.18.1.1/32", "local", "198.18.1.5"),
                                 ("198.19.0.10/32", "vip", "198.18.1.5")):
            a = c.cmd("route add %s via %s" % (pfx, via))
            d = c.cmd("route del " + pfx)
            r = [r for r in c.json("show routes json") if r["prefix"] == pfx]
            if [x_["origin"] for x_ in r] != [origin]:
                bad.append("'route add %s via %s' -> %r, then 'route del %s' -> %r: the %s "
                           "route %s is now %s" % (pfx, via, a, pfx, d, origin, pfx,
                                                   r or "gone"))
        out = c.cmd("backend add p 198.18.1.10:80")
        if out != "":
            bad.append("after that, 'backend add p 198.18.1.10:80' -> %r" % out)
    finally:
        c.close()
        n.stop()
    check(not bad, "CLI and config agree:\n          " + "\n          ".join(bad))


# ---------------------------------------------------------------- show conn (pcap)

def t_conn(x):
    pcap = os.path.join(x.tmp, "in.pcap")
    write_pcap(pcap)
    cdev = "net_pcap0,rx_pcap=%s" % pcap
    n = start_nodegw(x.exe, x.tmp, "c", lambda p: conf_text(p, client_dev=cdev,
                                                           pods_dev="net_null1,no-rx=1"),
                     x.res)
    x.procs.append(n)
    c = n.client()
    try:
        want = len(PCAP_FLOWS)
        deadline = time.monotonic() + 15
        while True:
            j = c.json("show conn json")
            if j["matched"] >= want or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check(j["matched"] == want and j["shown"] == want and len(j["conns"]) == want,
              "the %d flows of the pcap are tracked" % want,
              (j, c.ok("show stats")))
        conns = j["conns"]
        keys = {"worker", "proto", "client", "frontend", "source", "backend", "state",
                "expires_s", "packets", "bytes"}
        for cn in conns:
            check(set(cn) == keys, "show conn json keys", cn)
        by_client = {cn["client"]: cn for cn in conns}
        for proto, src, sport, dst, dport in PCAP_FLOWS:
            cn = by_client.get("%s:%d" % (src, sport))
            check(cn is not None, "conn of %s:%d" % (src, sport), conns)
            check(cn["proto"] == proto and cn["frontend"] == "%s:%d" % (dst, dport) and
                  cn["packets"] >= 1 and cn["expires_s"] > 0, "conn fields", cn)
            lk = c.json("lookup %s %s:%d %s:%d json" % (proto, src, sport, dst, dport))
            check(cn["backend"] == "%s:%d" % (lk["backend"], lk["port"]),
                  "the conn's backend is the one lookup names", (cn, lk))
            if proto == "tcp":
                check(cn["state"] == "SYN_SENT" and cn["source"].startswith("198.18.1.1:"),
                      "web: SYN_SENT, FullNAT source on the pods address", cn)
                check(tuple(cn["backend"].rsplit(":", 1)) in
                      {(a, str(p)) for a, p in WEB_BACKENDS}, "a web backend", cn)
            else:
                check(cn["state"] == "UDP" and cn["source"] == cn["client"],
                      "dns: UDP, dnat keeps the client source", cn)
        n_tcp = sum(1 for f in PCAP_FLOWS if f[0] == "tcp")

        def q(filt, expect):
            jj = c.json("show conn %s json" % filt)
            got = sorted(cn["client"] for cn in jj["conns"])
            exp = sorted(cn["client"] for cn in conns if expect(cn))
            check(jj["matched"] == len(exp) and got == exp,
                  "show conn %s: %d matching" % (filt, len(exp)), jj)
            return jj
        q("proto udp", lambda cn: cn["proto"] == "udp")
        q("proto tcp", lambda cn: cn["proto"] == "tcp")
        q("vip 198.19.0.10", lambda cn: cn["frontend"].startswith("198.19.0.10:"))
        q("vip 198.18.0.1", lambda cn: cn["frontend"].startswith("198.18.0.1:"))
        q("client 198.18.0.101", lambda cn: cn["client"].startswith("198.18.0.101:"))
        q("port 53", lambda cn: cn["frontend"].endswith(":53"))
        q("port 30080", lambda cn: cn["frontend"].endswith(":30080"))
        q("state UDP", lambda cn: cn["state"] == "UDP")
        q("state syn_sent", lambda cn: cn["state"] == "SYN_SENT")
        q("backend 198.18.1.2", lambda cn: cn["backend"].startswith("198.18.1.2:"))
        q("proto tcp vip 198.19.0.10 backend 198.18.1.3",
          lambda cn: cn["frontend"].startswith("198.19.0.10:") and
          cn["backend"].startswith("198.18.1.3:"))
        jj = c.json("show conn proto tcp limit 3 json")
        check(jj["matched"] == n_tcp and jj["shown"] == 3 and len(jj["conns"]) == 3,
              "limit 3: 3 shown of all matching", jj)
        out = c.ok("show conn limit 4")
        ls = lines(out)
        check(len(ls) == 6 and ls[-1] == "4 of %d matching connections shown" % want,
              "show conn limit 4 (text)", out)
        out = c.ok("show conn client 198.18.0.120")
        ls = lines(out)
        check(len(ls) == 3 and ls[1].split()[:6] == ["0", "udp", "198.18.0.120:42000",
                                                     "198.19.0.53:53", "198.18.0.120:42000",
                                                     by_client["198.18.0.120:42000"]
                                                     ["backend"]] and
              ls[1].split()[6] == "UDP", "show conn text row", out)
        # Counters agree with the conns.
        sj = c.json("show service %s json" % WEB)
        web = [cn for cn in conns if cn["proto"] == "tcp"]
        check(sj["conns"] == len(web) and sj["pkts"] >= len(web), "web counts its conns", sj)
        for b in sj["backends"]:
            nb = sum(1 for cn in web if cn["backend"] == "%s:%d" % (b["address"], b["port"]))
            check(b["conns"] == nb, "per-backend conns of %s" % b["address"], (b, nb))
        st = svc_by_name(c.json("show stats json")["services"])
        check(st[WEB]["conns"] == len(web) and st[DNS]["conns"] == want - len(web),
              "show stats json per-service conns", st)
        w = c.json("show workers json")
        check(w[0]["conns"] >= want, "show workers counts the conns", w)
    finally:
        c.close()
        n.stop()


# ---------------------------------------------------------------- main

def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    exe = os.path.abspath(sys.argv[1])
    res = Results()
    tmp = tempfile.mkdtemp(prefix="nodegw-ctl-")
    x = Ctx(exe, tmp, res)
    try:
        v = subprocess.run([exe, "--version"], stdout=subprocess.PIPE, timeout=30)
        m = re.fullmatch(r"nodegw (\S+) \(git (\S+)\)\n", v.stdout.decode())
        if m is None:
            print("FAIL: nodegw --version: want 'nodegw VERSION (git REV)', got %r" % v.stdout)
            return 1
        x.version, x.git = m.group(1), m.group(2)
        x.vline = "nodegw %s (git %s)" % (x.version, x.git)
        x.a = start_nodegw(exe, tmp, "a", conf_text, res)
        x.procs.append(x.a)
        x.a_cli_conf_port = getattr(x.a, "fallback_port", None) or 0
        tests = [
            ("connect: negotiation, banner, prompt", t_connect),
            ("connect: a script speaking first gets no telnet bytes", t_connect_script),
            ("show version", t_show_version),
            ("show startup", t_show_startup),
            ("show ports", t_show_ports),
            ("show workers", t_show_workers),
            ("debug worker stall", t_debug_stall),
            ("show stats", t_show_stats),
            ("clear stats", t_clear_stats),
            ("show runtime", t_show_runtime),
            ("clear runtime", t_clear_runtime),
            ("show services", t_show_services),
            ("show services NAME|VIP", t_show_services_filter),
            ("show service NAME", t_show_service),
            ("show ruleset", t_show_ruleset),
            ("show memory", t_show_memory),
            ("show bgp, drain, undrain without a bgp section", t_bgp_off),
            ("show routes", t_show_routes),
            ("show neighbours", t_show_neighbours),
            ("show conn (idle) and its filter errors", t_show_conn_empty),
            ("every show command's json form", t_show_json_all),
            ("trace add, show trace, clear trace", t_trace),
            ("abbreviations", t_abbreviations),
            ("help", t_help),
            ("? help", t_question),
            ("errors", t_errors),
            ("errors from the service API name the command", t_errors_unknown_service),
            ("error names the extra word (log level)", t_errors_extra_word),
            ("service add refuses a name the config cannot hold", t_service_name_check),
            ("lookup", t_lookup),
            ("backend weight and lookup", t_backend_weight_lookup),
            ("service add/set/del, frontends, backends, commit", t_service_lifecycle),
            ("route add/del, neighbour add/del", t_route_neigh_cli),
            ("log level", t_log_level),
            ("show running-config", t_running_config),
            ("running-config round trip", t_roundtrip),
            ("CLI changes show in running-config", t_cli_changes),
            ("running-config round trip after CLI changes", t_roundtrip_after_changes),
            ("reload: services", t_reload),
            ("reload: static routes", t_reload_routes),
            ("reload: static neighbours", t_reload_neighbours),
            ("reload: new, broken and refused files", t_reload_changes),
            ("sessions and pipelined lines", t_sessions),
            ("quit, exit, half-close", t_quit),
            ("show conn with connections (pcap)", t_conn),
            ("show conn with IPv6 connections (pcap)", t_conn6),
            ("the CLI refuses what the config refuses; route add/del keep system routes",
             t_parity),
            ("IPv6 addresses, routes and neighbours; running-config round trip",
             t_ipv6_routes),
        ]
        for name, fn in tests:
            if not res.run(name, fn, x):
                x.reset_client()  # a failed case may leave a reply unread
        x.reset_client()
        for n in x.procs:
            if n.proc is not None:
                rc = n.stop()
                res.run("nodegw %s exits 0 on SIGTERM" % n.tag, lambda: check(
                    rc == 0 and "nodegw: stopped" in n.log(), "exit status 0, 'stopped'",
                    (rc, n.log()[-1500:])))
        for n in x.procs:
            log = n.log()
            res.run("nodegw %s: no sanitizer report" % n.tag, lambda: check(
                "AddressSanitizer" not in log and "runtime error:" not in log and
                "LeakSanitizer" not in log, "no sanitizer report in the log", log[-4000:]))
    except Fail as e:
        res.record_fail("setup", e)
    except Exception:
        res.record_fail("setup", traceback.format_exc())
    finally:
        if x._c is not None:
            x._c.close()
        for n in x.procs:
            try:
                n.stop()
            except Exception:
                pass
        if x.a is not None and x.a not in x.procs:
            x.a.stop()
        if os.environ.get("NODEGW_CTL_KEEP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return res.summary()


if __name__ == "__main__":
    sys.exit(main())
