#!/usr/bin/env python3
"""nodegw forwarding benchmark: the orchestrator behind scripts/bench.sh.

Per scenario it starts a device under test (nodegw, then testpmd as the
baseline) with a net_memif server port (ingress) and a net_null port (egress
sink), and a testpmd generator that replays a pcap into the memif as its
client.  It measures the DUT's transmit rate over fixed windows from the DUT's
own counters and collects nodegw's per-stage cycles, drops, connections and
memory.  Results go to OUT/results.json and a markdown table to OUT/results.md
and stdout.  See doc/benchmarks.md.

Run it through scripts/bench.sh (root, hugepages, build, cleanup).
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

DUT_MAC = "02:00:00:00:00:01"
GEN_MAC = "02:00:00:00:00:02"
VIP = "198.19.0.10"
PUNT_TO = "198.18.0.1:9999"   # the gateway's own address, a port nobody serves
# the IPv6 scenarios (2001:db8::/32): the VIP, the generator's side, the backends' prefix
VIP6 = "2001:db8:100::10"
PUNT_TO6 = "[2001:db8::1]:9999"
TWIN_IFNAME = "ngb-twin"
N_BACKENDS = 64
CHURN_SERVICES = 100
# issue 14's targets for IPv6 against IPv4, measured in the same run
FAMILY_COST_MAX = 1.15      # est-1k-v6: cycles/pkt at most 1.15 x est-1k's
FAMILY_CONNS_MIN = 0.85     # syn-v6: new connections/s at least 0.85 x syn's

# the stages a service packet goes through (show runtime names), by family
SERVICE_STAGES = ("rx", "parse", "lb", "ip4-forward", "tx")
SERVICE_STAGES6 = ("rx", "parse", "ip6-parse", "lb6", "ip6-forward", "tx")

PROCS = []          # every process we started, for cleanup
PID_FILE = None     # and their pids, for scripts/bench.sh's trap
INTERRUPTED = False  # a signal asked us to stop


def log(msg):
    print("[bench] " + msg, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------
# processes

class Proc:
    """A child process with its output in a log file."""

    def __init__(self, name, argv, logpath, stdin=None):
        self.name = name
        self.argv = argv
        self.logpath = logpath
        self.logf = open(logpath, "wb")
        self.logf.write((" ".join(argv) + "\n\n").encode())
        self.logf.flush()
        # cwd: the log directory, where a core file would land (NG_BENCH_CORE=1)
        self.p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, cwd=os.path.dirname(logpath))
        PROCS.append(self)
        if PID_FILE:
            with open(PID_FILE, "a") as f:
                f.write("%d %s\n" % (self.p.pid, " ".join(argv)))
        self.buf = bytearray()
        self.lock = threading.Condition()
        self.eof = False
        self.t = threading.Thread(target=self._reader, daemon=True)
        self.t.start()

    def _reader(self):
        fd = self.p.stdout.fileno()
        while True:
            try:
                b = os.read(fd, 65536)
            except OSError:
                b = b""
            with self.lock:
                if not b:
                    self.eof = True
                    self.lock.notify_all()
                    break
                self.buf += b
                self.lock.notify_all()
            self.logf.write(b)
            self.logf.flush()

    def alive(self):
        return self.p.poll() is None

    def wait_for(self, pattern, timeout, start=0):
        """Wait until the output (from offset start) matches pattern; return the match end."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                m = rx.search(self.buf, start)
                if m:
                    return m.end()
                if self.eof:
                    raise BenchError("%s exited (rc %s) before printing %r; see %s" %
                                     (self.name, self.p.poll(), pattern, self.logpath))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BenchError("%s: no %r within %.0f s; see %s" %
                                     (self.name, pattern, timeout, self.logpath))
                self.lock.wait(min(left, 0.5))

    def tail(self, n=15):
        with self.lock:
            lines = bytes(self.buf).decode(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def stop(self, timeout=10):
        if self.p.poll() is None:
            self._ask_to_quit()
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                log("%s did not stop in %d s; SIGTERM" % (self.name, timeout))
                self.p.terminate()
                try:
                    self.p.wait(5)
                except subprocess.TimeoutExpired:
                    log("%s: SIGKILL" % self.name)
                    self.p.kill()
                    self.p.wait()
        self.t.join(2)
        self.logf.close()
        if self in PROCS:
            PROCS.remove(self)
        return self.p.returncode

    def _ask_to_quit(self):
        self.p.terminate()


class TestPmd(Proc):
    """dpdk-testpmd in interactive mode, driven through its stdin."""

    PROMPT = b"testpmd> "

    def __init__(self, name, argv, logpath):
        super().__init__(name, argv, logpath, stdin=subprocess.PIPE)
        self.wait_for(re.escape(self.PROMPT), 60)

    def cmd(self, line, timeout=10):
        with self.lock:
            n = self.buf.count(self.PROMPT)
            start = len(self.buf)
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.buf.count(self.PROMPT) <= n:
                if self.eof:
                    raise BenchError("%s exited during %r; see %s" % (self.name, line, self.logpath))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BenchError("%s: %r timed out; see %s" % (self.name, line, self.logpath))
                self.lock.wait(min(left, 0.5))
            out = bytes(self.buf[start:]).decode(errors="replace")
        return out.rsplit("testpmd> ", 1)[0]

    def port_stats(self):
        """{port: {rx, tx, rx_missed, rx_nombuf, tx_errors}} and the time (midpoint)."""
        t0 = time.monotonic()
        out = self.cmd("show port stats all")
        t1 = time.monotonic()
        res = {}
        for blk in re.split(r"#+ NIC statistics for port ", out)[1:]:
            pid = int(re.match(r"\s*(\d+)", blk).group(1))

            def num(key):
                m = re.search(key + r":\s*(\d+)", blk)
                return int(m.group(1)) if m else 0
            res[pid] = dict(rx=num("RX-packets"), tx=num("TX-packets"),
                            rx_missed=num("RX-missed"), rx_nombuf=num("RX-nombuf"),
                            tx_errors=num("TX-errors"))
        if not res:
            raise BenchError("%s: cannot parse port stats: %r" % (self.name, out[:300]))
        return (t0 + t1) / 2, res

    def fwd_stats(self):
        """Accumulated forward stats: per-port tx-dropped, and busy cycles."""
        out = self.cmd("show fwd stats all")
        drops = {}
        for m in re.finditer(r"Forward statistics for port (\d+)(.*?)-{20,}", out, re.S):
            d = re.search(r"TX-dropped:\s*(\d+)", m.group(2))
            drops[int(m.group(1))] = int(d.group(1)) if d else 0
        cyc = re.search(r"total cycles=(\d+) / total \w+ packets=(\d+)", out)
        return dict(tx_dropped=drops, cycles=int(cyc.group(1)) if cyc else None,
                    cycles_pkts=int(cyc.group(2)) if cyc else None)

    def _ask_to_quit(self):
        try:
            self.p.stdin.write(b"stop\nquit\n")
            self.p.stdin.flush()
            self.p.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            self.p.terminate()


def connect_in_netns(netns, addr, timeout):
    """A TCP connection made from inside network namespace netns (a name under
    /run/netns): a helper thread enters it (setns acts on the calling thread
    only) and connects; the socket stays in that namespace, usable from here."""
    import ctypes
    res = {}

    def go():
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            with open("/run/netns/" + netns) as f:
                if libc.setns(f.fileno(), 0x40000000) != 0:     # CLONE_NEWNET
                    raise OSError(ctypes.get_errno(), "setns %s" % netns)
            res["s"] = socket.create_connection(addr, timeout=timeout)
        except OSError as e:
            res["e"] = e
    t = threading.Thread(target=go)
    t.start()
    t.join()
    if "e" in res:
        raise res["e"]
    return res["s"]


class Cli:
    """nodegw's CLI in line mode: one connection per batch of commands (from
    inside network namespace netns, when nodegw runs in one)."""

    def __init__(self, port, netns=None):
        self.port = port
        self.netns = netns

    def connect(self, timeout):
        if self.netns:
            return connect_in_netns(self.netns, ("127.0.0.1", self.port), timeout)
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def run(self, *cmds, timeout=10):
        s = self.connect(timeout)
        try:
            s.sendall(("\n".join(cmds) + "\n").encode())
            s.shutdown(socket.SHUT_WR)
            data = bytearray()
            while True:
                b = s.recv(1 << 20)
                if not b:
                    break
                data += b
        finally:
            s.close()
        text = data.decode(errors="replace").replace("\r", "")
        parts = text.split("nodegw> ")
        outs = [p.strip("\n") for p in parts[1:1 + len(cmds)]]
        if len(outs) != len(cmds):
            raise BenchError("CLI: expected %d outputs, got %d: %r" % (len(cmds), len(outs), text[:300]))
        for c, o in zip(cmds, outs):
            if o.startswith("%"):
                raise BenchError("CLI: %s: %s" % (c, o))
        return outs

    def json(self, *cmds):
        return [json.loads(o) for o in self.run(*cmds)]


class Churn(threading.Thread):
    """Changes to the churn services at a fixed rate over one CLI session."""

    def __init__(self, port, rate):
        super().__init__(daemon=True)
        self.port = port
        self.rate = rate
        self.stop_ev = threading.Event()
        self.sent = 0
        self.errors = 0
        self.first_error = None
        self.lines_in = 0
        self.start_t = None
        self.end_t = None

    def cmd(self, i):
        k = i % CHURN_SERVICES
        op = "add" if (i // CHURN_SERVICES) % 2 == 0 else "del"
        return "backend %s churn/%d 198.18.1.250:8080" % (op, k)

    def run(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        rest = b""
        self.start_t = time.monotonic()
        tick = 0.005
        nxt = self.start_t
        i = 0

        def drain():
            nonlocal rest
            while select.select([s], [], [], 0)[0]:
                b = s.recv(65536)
                if not b:
                    return
                rest += b
            lines = rest.split(b"\n")
            rest = lines.pop()
            for ln in lines:
                ln = ln.replace(b"\r", b"").replace(b"nodegw> ", b"")
                if ln.startswith(b"%"):
                    self.errors += 1
                    if self.first_error is None:
                        self.first_error = ln.decode(errors="replace")
        try:
            while not self.stop_ev.is_set():
                due = int((time.monotonic() - self.start_t) * self.rate) - i
                if due > 0:
                    s.sendall("".join(self.cmd(i + j) + "\n" for j in range(due)).encode())
                    i += due
                    self.sent = i
                drain()
                nxt += tick
                d = nxt - time.monotonic()
                if d > 0:
                    time.sleep(d)
            self.end_t = time.monotonic()
            s.sendall(b"quit\n")
            s.shutdown(socket.SHUT_WR)
            end = time.monotonic() + 2
            while time.monotonic() < end and select.select([s], [], [], 0.1)[0]:
                b = s.recv(65536)
                if not b:
                    break
                rest += b
            drain()
        except OSError as e:
            self.errors += 1
            self.first_error = self.first_error or "CLI session: %s" % e
        finally:
            if self.end_t is None:
                self.end_t = time.monotonic()
            s.close()


# --------------------------------------------------------------------------
# environment

def read_meminfo():
    res = {}
    with open("/proc/meminfo") as f:
        for ln in f:
            k, v = ln.split(":", 1)
            res[k] = int(v.split()[0])
    return res


CLK_TCK = os.sysconf("SC_CLK_TCK")


def worker_tid(pid):
    """The DPDK worker thread of a process (its name says worker; the busiest)."""
    best, best_t = None, -1
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                    comm = f.read().strip()
                if "worker" not in comm:
                    continue
                t = thread_cpu_ticks(pid, int(tid))
                if t is not None and t > best_t:
                    best, best_t = int(tid), t
            except OSError:
                continue
    except OSError:
        pass
    return best


def thread_cpu_ns(pid, tid):
    """CPU time of one thread in ns (schedstat; stat's ticks as a fallback)."""
    try:
        with open("/proc/%d/task/%d/schedstat" % (pid, tid)) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        t = thread_cpu_ticks(pid, tid)
        return None if t is None else t * 1_000_000_000 // CLK_TCK


def thread_cpu_ticks(pid, tid):
    try:
        with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
            st = f.read()
    except OSError:
        return None
    fields = st[st.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])      # utime + stime


def cpu_busy_ticks(cpu):
    """(busy, total) jiffies of one CPU from /proc/stat."""
    with open("/proc/stat") as f:
        for ln in f:
            if ln.startswith("cpu%d " % cpu):
                v = [int(x) for x in ln.split()[1:]]
                idle = v[3] + (v[4] if len(v) > 4 else 0)
                return sum(v[:8]) - idle, sum(v[:8])
    return 0, 0


def free_tcp_port():
    """A loopback TCP port nobody listens on now (for nodegw's CLI)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for ln in f:
            if ln.startswith("model name"):
                return ln.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def git_rev():
    try:
        return subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty",
                               "--abbrev=12"],
                              capture_output=True, text=True, timeout=5).stdout.strip()
    except Exception:
        return ""


# --------------------------------------------------------------------------
# benchmark

class Bench:
    def __init__(self, a):
        self.a = a
        self.run_dir = a.run_dir
        self.out = a.out
        self.sock = os.path.join(self.run_dir, "memif.sock")
        self.logs = os.path.join(self.out, "logs")
        os.makedirs(self.logs, exist_ok=True)
        for f in os.listdir(self.logs):      # the previous run's logs, configs, cores
            if f.endswith((".log", ".conf")) or f.startswith("core"):
                os.unlink(os.path.join(self.logs, f))
        os.makedirs(os.path.join(self.out, "pcap"), exist_ok=True)
        self.prefix = a.prefix or "ngbench%d" % os.getpid()
        self.tsc_hz = None
        self.nodegw_version = None
        self.results = []
        self.hugepages_peak_mb = 0

    # ---- EAL

    def eal(self, role, lcores, mem_mb):
        e = ["--lcores", lcores, "--no-pci", "--file-prefix", "%s-%s" % (self.prefix, role)]
        if self.a.huge:
            e += ["--in-memory", "-m", str(mem_mb)]
        else:
            e += ["--no-huge", "--no-shconf", "-m", str(mem_mb)]
        e += ["--log-level", "pmd.net.memif:warning"]
        return e

    def note_hugepages(self):
        if not self.a.huge:
            return
        mi = read_meminfo()
        used = (mi["HugePages_Total"] - mi["HugePages_Free"]) * mi["Hugepagesize"] // 1024
        self.hugepages_peak_mb = max(self.hugepages_peak_mb, used)
        return used

    # ---- pcaps

    def pcap(self, kind, flows, est_flows=1000, family=4):
        h = hashlib.sha1(open(os.path.join(HERE, "bench_pcap.py"), "rb").read()).hexdigest()[:8]
        pdir = os.path.join(self.out, "pcap")
        path = os.path.join(pdir, "%s%s-%d-%d-%s.pcap" % (kind, "-v6" if family == 6 else "",
                                                         flows, est_flows, h))
        for f in os.listdir(pdir):           # made by another version of bench_pcap.py
            if not f.endswith("-%s.pcap" % h):
                os.unlink(os.path.join(pdir, f))
        if not os.path.exists(path):
            log("generating %s" % os.path.basename(path))
            tmp = path + ".tmp"
            subprocess.run([sys.executable, os.path.join(HERE, "bench_pcap.py"), tmp, kind,
                            str(flows), "--est-flows", str(est_flows), "--dst-mac", DUT_MAC,
                            "--src-mac", GEN_MAC, "--family", str(family),
                            "--vip", VIP6 if family == 6 else VIP,
                            "--punt-to", PUNT_TO6 if family == 6 else PUNT_TO], check=True,
                           stdout=subprocess.DEVNULL)
            os.rename(tmp, path)
        return path

    # ---- processes

    def clean_sock(self):
        try:
            os.unlink(self.sock)
        except FileNotFoundError:
            pass

    def memif_args(self, role, mac, name):
        return "%s,role=%s,socket=%s,socket-abstract=no,mac=%s" % (name, role, self.sock, mac)

    def start_gen(self, sc, pcap, tag):
        infinite = sc["infinite"]
        n_pkts = sc["pcap_pkts"]
        # infinite_rx keeps every frame of the pcap in an mbuf of the pool
        mbufs = (n_pkts if infinite else 0) + 16384
        mem = max(256, mbufs * 640 // (1 << 20) + 128)
        pc = "net_pcap0,rx_pcap=%s" % pcap + (",infinite_rx=1" if infinite else "")
        argv = (["stdbuf", "-o0", "-e0", "dpdk-testpmd"] + self.eal("gen", "0@%d,1@%d" % (self.a.gen_cpu, self.a.gen_cpu), mem) +
                ["--vdev", pc, "--vdev", self.memif_args("client", GEN_MAC, "net_memif1"),
                 "--", "-i", "--nb-cores=1", "--no-flush-rx", "--mbuf-size=256",
                 "--total-num-mbufs=%d" % mbufs, "--rxd=1024", "--txd=1024"])
        g = TestPmd("generator", argv, os.path.join(self.logs, "%s-gen.log" % tag))
        # Lossless back-pressure: wait for room in the memif ring instead of
        # dropping, so the pcap advances at the DUT's rate.
        g.cmd("set fwd io retry")
        g.cmd("set burst tx delay 1 retry 1000000")
        g.cmd("start")
        return g

    def gw_conf(self, sc, cli_port):
        v6 = sc.get("family") == 6
        # an IPv6 scenario: the same services, routes and neighbours over IPv6
        # (both ports keep their IPv4 addresses too, as a dual-stack node's do)
        fam = dict(be="2001:db8:1::%x" if v6 else "198.18.1.%d", vip=VIP6 if v6 else VIP,
                   gen="2001:db8::2" if v6 else "198.18.0.2",
                   clients="2001:db8:64::/64" if v6 else "198.18.64.0/18")
        addr6_in = ', "2001:db8::1/64"' if v6 else ""
        addr6_out = ', "2001:db8:1::1/64"' if v6 else ""
        be = ",\n".join(('\t\t\t{ address = "%s"; port = 8080; }' % fam["be"]) % (10 + i)
                        for i in range(N_BACKENDS))
        nb = ",\n".join(('\t{ address = "%s"; mac = "02:00:00:00:01:%%02x"; port = "out"; }'
                         % fam["be"]) % (10 + i, i) for i in range(N_BACKENDS))
        churn = ""
        if sc.get("churn"):
            churn = "".join(
                ',\n\t{ name = "churn/%d"; protocol = "tcp"; port = 80; vips = ["198.19.2.%d"]; '
                'backends = ( { address = "198.18.1.10"; } ); }' % (k, k + 1)
                for k in range(CHURN_SERVICES))
        # The established scenarios replay TCP segments without a handshake:
        # a FullNAT service refuses those (no mid-stream pickup, issue 17), a
        # DNAT one picks them up, so their TCP service is DNAT.
        tcp_mode = "dnat" if sc["kind"] in ("est", "mixed", "punt") else "fullnat"
        timeouts = ""
        if sc.get("tcp_syn"):
            timeouts = " timeouts = { tcp_syn = %d; };" % sc["tcp_syn"]
        # the exception path: the ingress port's kernel twin, its bucket wide open
        # so that what the control core and the kernel take is what is measured
        kernel = ""
        if sc.get("twin"):
            kernel = ('\n\t  kernel = { name = "%s"; rate_pps = %d; burst = 65536; };'
                      % (TWIN_IFNAME, sc["twin_rate"]))
        return """# generated by scripts/lib/bench_run.py for scenario %(name)s
log_level = "info";
forwarding = true;
workers = { lcores = [1]; burst = 32; idle_sleep_us = 0; };
cli = { address = "127.0.0.1"; port = %(cli)d; };
conntrack = { max_entries = %(ct)d;%(timeouts)s };
ports = (
\t{ name = "in"; devargs = "%(memif)s"; addresses = ["198.18.0.1/24"%(addr6_in)s];%(kernel)s },
\t{ name = "out"; devargs = "net_null0,no-rx=1"; addresses = ["198.18.1.1/24"%(addr6_out)s]; }
);
routes = ( { prefix = "%(clients)s"; via = "%(gen)s"; } );
neighbours = (
\t{ address = "%(gen)s"; mac = "%(gen_mac)s"; port = "in"; },
%(nb)s
);
services = (
\t{ name = "bench/tcp"; protocol = "tcp"; port = 80; vips = ["%(vip)s"]; mode = "%(tcp_mode)s";
\t  backends = (
%(be)s
\t\t); },
\t{ name = "bench/udp"; protocol = "udp"; port = 53; vips = ["%(vip)s"]; backends = (
%(be)s
\t\t); }%(churn)s
);
""" % dict(name=sc["name"], cli=cli_port, ct=sc["ct"], timeouts=timeouts, kernel=kernel,
           memif=self.memif_args("server", DUT_MAC, "net_memif0"), gen_mac=GEN_MAC,
           nb=nb, vip=fam["vip"], be=be, churn=churn, tcp_mode=tcp_mode, gen=fam["gen"],
           clients=fam["clients"], addr6_in=addr6_in, addr6_out=addr6_out)

    def ctl_cpu(self, sc):
        """The control core's CPU. Under churn it works hard (a ruleset build per
        commit); where it would share the generator's CPU, it goes to the
        worker's instead, so the generator still saturates the worker and the
        worker's CPU-time cycles per packet stay meaningful."""
        if sc.get("churn") and self.a.ctl_cpu == self.a.gen_cpu:
            return self.a.dut_cpu
        return self.a.ctl_cpu

    @staticmethod
    def is_gw(dut_kind):
        """nodegw under test, the build it is compared with (--compare), or
        nodegw under test in the scenario's configuration replaying est-1k's
        traffic (punt scenarios: the service path with the exception path idle,
        measured in turn with the busy windows)."""
        return dut_kind in ("nodegw", "compare", "idle")

    def start_nodegw(self, sc, tag, exe=None):
        port = self.a.cli_port or free_tcp_port()
        conf = os.path.join(self.run_dir, "%s.conf" % tag)
        with open(conf, "w") as f:
            f.write(self.gw_conf(sc, port))
        # copy for the record
        with open(os.path.join(self.logs, "%s.conf" % tag), "w") as f:
            f.write(self.gw_conf(sc, port))
        mem = 256 + sc["ct"] * 320 // (1 << 20)
        argv = ([exe or self.a.nodegw] + self.eal("gw", "0@%d,1@%d" % (self.ctl_cpu(sc), self.a.dut_cpu), mem) +
                ["--", "-c", conf])
        netns = None
        if sc.get("twin"):
            # the kernel twin, its address and its kernel live in a namespace of
            # their own, not the host's (memif's socket is a file: it crosses)
            netns = self.twin_netns()
            argv = ["ip", "netns", "exec", netns] + argv
        self.clean_sock()
        gw = Proc("nodegw", argv, os.path.join(self.logs, "%s-nodegw.log" % tag))
        gw.wait_for(r"MAIN: ready", 60)
        gw.cli = Cli(port, netns)
        if self.tsc_hz is None:
            v = gw.cli.json("show version json")[0]
            self.tsc_hz = v["tsc_hz"]
            self.nodegw_version = v
        return gw

    def twin_netns(self):
        """The network namespace nodegw runs in for the exception-path scenario
        (made on first use, removed by cleanup() and by scripts/bench.sh)."""
        name = "%s-twin" % self.prefix
        if not os.path.exists("/run/netns/" + name):
            subprocess.run(["ip", "netns", "add", name], check=True)
            self.netns_made = name
            subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
            # a quiet kernel: no IPv6 (router solicitations, MLD) on the twin
            subprocess.run(["ip", "netns", "exec", name, "sysctl", "-qw",
                            "net.ipv6.conf.default.disable_ipv6=1"], check=False)
        return name

    def cleanup(self):
        ns = getattr(self, "netns_made", None)
        if ns:
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
            self.netns_made = None

    def start_testpmd_dut(self, sc, tag):
        argv = (["stdbuf", "-o0", "-e0", "dpdk-testpmd"] + self.eal("dut", "0@%d,1@%d" % (self.a.ctl_cpu, self.a.dut_cpu), 256) +
                ["--vdev", self.memif_args("server", DUT_MAC, "net_memif0"),
                 "--vdev", "net_null0,no-rx=1",
                 "--", "-i", "--nb-cores=1", "--forward-mode=%s" % self.a.baseline_mode,
                 "--record-core-cycles", "--rxd=1024", "--txd=1024", "--burst=32",
                 "--total-num-mbufs=32768"])
        self.clean_sock()
        t = TestPmd("testpmd-dut", argv, os.path.join(self.logs, "%s-testpmd.log" % tag))
        t.cmd("start")
        return t

    # ---- snapshots

    @staticmethod
    def gw_snap(gw):
        t0 = time.monotonic()
        st, wk, ports = gw.cli.json("show stats json", "show workers json", "show ports json")
        t1 = time.monotonic()
        w = st["workers"][0]
        twin = [p["kernel"] for p in ports if p.get("kernel")]
        return dict(t=(t0 + t1) / 2, rx=st["rx"], tx=st["tx"], drops=dict(st["drops_by_reason"]),
                    punted=st.get("punted", 0),
                    to_kernel=sum(k["to_kernel"] for k in twin),
                    from_kernel=sum(k["to_port"] for k in twin),
                    twin_drops=sum(k["drops"] for k in twin),
                    created=sum(x["conns_created"] for x in st["workers"]),
                    evicted=sum(x["conns_evicted"] for x in st["workers"]),
                    reused=sum(x.get("conns_reused_expired", 0) for x in st["workers"]),
                    expired=sum(x["conns_expired"] for x in st["workers"]),
                    conns=sum(x["conns"] for x in wk), loops=w and sum(x["loops"] for x in wk),
                    idle=sum(x["idle_loops"] for x in wk),
                    reassembled=st.get("reassembly", {}).get("reassembled", 0),
                    # fragments chained into another's datagram: received, not sent
                    absorbed=(st.get("reassembly", {}).get("fragments", 0) -
                              st.get("reassembly", {}).get("reassembled", 0)),
                    port_drops={p["name"]: dict(p["drops_by_reason"]) for p in st["ports"]})

    @staticmethod
    def pmd_snap(t):
        ts, ps = t.port_stats()
        return dict(t=ts, rx=ps.get(0, {}).get("rx", 0), tx=ps.get(1, {}).get("tx", 0),
                    rx_missed=ps.get(0, {}).get("rx_missed", 0))

    @staticmethod
    def gen_snap(g):
        ts, ps = g.port_stats()
        return dict(t=ts, offered=ps.get(0, {}).get("rx", 0), accepted=ps.get(1, {}).get("tx", 0))

    def wait_traffic(self, snap, timeout=20):
        s0 = snap()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.02)
            s = snap()
            if s["tx"] > s0["tx"]:
                return s
        raise BenchError("no traffic through the DUT within %d s" % timeout)

    # ---- one measurement run

    def measure_pairs(self, sc, kinds, partner=None):
        """Windows of each DUT kind in turn (nodegw, then the --compare build
        and/or testpmd), one session each, so that a slow spell of the machine
        slows every side of a pair (a shared VM drifts by tens of percent over
        minutes; all of one DUT then all of the other put the drift into the
        ratio). partner: a scenario (IPv6) whose nodegw windows take their turn
        after sc's nodegw windows (key "partner"). Returns {kind: (reps, extra)};
        rep i of every kind has pair i."""
        sides = [(k, sc, k) for k in kinds]
        if partner is not None:
            sides.insert(1, ("partner", partner, "nodegw"))
        out = {k: ([], {}) for k, _, _ in sides}
        for i in range(self.a.reps):
            for key, ssc, kind in sides:
                reps, extra = self.measure_safe(ssc, kind, want=1,
                                                runtime_cost=(i == self.a.reps - 1))
                acc, ex = out[key]
                for x in reps:
                    x["pair"] = i
                acc += reps
                for k, v in extra.items():
                    if k == "totals" and "totals" in ex:
                        v = {x: ex["totals"][x] + v[x] for x in v}
                    elif k == "churn" and "churn" in ex:
                        continue
                    ex[k] = v
        return out

    def measure(self, sc, dut_kind, want=None, runtime_cost=True):
        """Windows of one DUT on one scenario.

        A session is one DUT process and one generator. With an infinite pcap
        one session holds every window; a finite pcap is used up by one window,
        so each window gets a session of its own.

        Shutdown order matters: the generator stops forwarding first, then the
        DUT stops (its workers before its ports), and only then does the
        generator close its memif. DPDK 22.11's memif PMD crashes a process
        whose lcore is inside rx/tx when the peer disconnects (see
        doc/benchmarks.md), so nobody may be polling a memif that closes."""
        reps = []
        extra = {}
        budget = self.a.retries          # extra windows for this DUT and scenario
        want = want or self.a.reps
        session = 0
        while len(reps) < want:
            per_session = want - len(reps) if sc["infinite"] else 1
            got, ex, crashed = self.session(sc, dut_kind, session, per_session, budget,
                                            runtime_cost)
            session += 1
            budget -= sum(1 for x in got if x.get("attempt", 0) > 0)
            reps += got
            for k, v in ex.items():
                if k == "churn" and "churn" in extra:
                    continue
                if k == "totals" and "totals" in extra:
                    v = {x: extra["totals"][x] + v[x] for x in v}
                extra[k] = v
            if crashed:
                break
            if not got:
                break
        return reps, extra

    def session(self, sc, dut_kind, session, n_windows, budget, runtime_cost=True):
        tag = "%s-%s" % (sc["name"], dut_kind) + ("-s%d" % session if session else "")
        # interleaved sessions (measure_pairs) each start at session 0: one log each
        self.tags = getattr(self, "tags", {})
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if self.tags[tag] > 1:
            tag += "-p%d" % self.tags[tag]
        reps = []
        extra = {}
        dut = gen = churn = None
        crashed = False
        try:
            if self.is_gw(dut_kind):
                dut = self.start_nodegw(sc, tag, self.a.compare_nodegw if dut_kind == "compare"
                                        else None)
                snap = lambda: self.gw_snap(dut)
            else:
                dut = self.start_testpmd_dut(sc, tag)
                snap = lambda: self.pmd_snap(dut)
            gen = self.start_gen(sc, sc["idle_pcap_path"] if dut_kind == "idle" else
                                 sc["pcap_path"], tag)
            self.wait_traffic(snap)
            if sc["infinite"]:
                self.warm(sc, dut_kind, snap, gen)
            if sc.get("churn") and self.is_gw(dut_kind):
                churn = Churn(dut.cli.port, sc["churn"])
                churn.start()
                time.sleep(0.5)
            while len(reps) < n_windows:
                res = self.window(sc, dut_kind, dut, snap, gen, churn)
                res["attempt"] = 0
                share = res.get("worker_cpu_share", 1)
                if sc["infinite"] and share < self.a.min_cpu_share and budget > 0 and \
                        self.ctl_cpu(sc) != self.a.dut_cpu:
                    # other load took the worker's CPU: measure again while we may
                    budget -= 1
                    log("  the DUT worker had its CPU only %.0f%% of the window; measuring again"
                        % (100 * share))
                    again = self.window(sc, dut_kind, dut, snap, gen, churn)
                    again["attempt"] = 1
                    if again.get("worker_cpu_share", 1) > share:
                        res = again
                reps.append(res)
                self.note_hugepages()
                if not sc["infinite"]:
                    break
            if sc.get("runtime_cost") and dut_kind == "nodegw" and self.a.runtime_pairs > 0 and \
                    runtime_cost:
                extra["runtime_cost"] = self.runtime_cost(sc, dut, snap, gen)
            if churn is not None:
                churn.stop_ev.set()
                churn.join(10)
                extra["churn"] = dict(target_per_s=sc["churn"], sent=churn.sent, errors=churn.errors,
                                      first_error=churn.first_error,
                                      rate_per_s=churn.sent / max(1e-9, churn.end_t - churn.start_t))
            gen.cmd("stop")              # the generator stops polling its memif
            if self.is_gw(dut_kind):
                # wait for the last packets to leave the worker (it may be off its CPU)
                f = self.gw_snap(dut)
                end = time.monotonic() + 3
                while time.monotonic() < end:
                    time.sleep(0.2)
                    g = self.gw_snap(dut)
                    same = (g["rx"], g["tx"], g["drops"]) == (f["rx"], f["tx"], f["drops"])
                    f = g
                    if same and f["rx"] == f["tx"] - f["from_kernel"] + f["punted"] + \
                            sum(f["drops"].values()) + f["absorbed"]:
                        break
                # every packet received is sent, punted to a kernel twin or counted as
                # dropped (and the kernel twin's own frames are sent too)
                extra["totals"] = dict(rx=f["rx"], tx=f["tx"], drops=sum(f["drops"].values()),
                                       punted=f["punted"], from_kernel=f["from_kernel"],
                                       absorbed=f["absorbed"],
                                       unaccounted=f["rx"] - (f["tx"] - f["from_kernel"]) -
                                       f["punted"] - sum(f["drops"].values()) - f["absorbed"])
                mem, rs = dut.cli.json("show memory json", "show ruleset json")
                extra["memory"] = mem
                extra["ruleset"] = {k: rs.get(k) for k in ("generation", "commits", "latency_p50_us",
                                                           "latency_p99_us", "latency_max_us")}
                extra["rss_kb"] = self.proc_rss_kb(dut.p.pid)
        finally:
            if churn is not None:
                churn.stop_ev.set()
            if gen is not None and gen.alive():
                try:
                    gen.cmd("stop", timeout=5)
                except BenchError:
                    pass
            if dut is not None:
                rc = dut.stop(15)
                extra["exit_status"] = rc
                if rc not in (0, None):
                    crashed = True
                    how = ("signal %d" % -rc) if rc < 0 else ("status %d" % rc)
                    log("%s exited with %s; see %s" % (dut.name, how, dut.logpath))
                    extra["error"] = "%s exited with %s (log %s)" % (
                        dut.name, how, os.path.relpath(dut.logpath, ROOT))
            if gen is not None:
                gen.stop()
            self.clean_sock()
        return reps, extra, crashed

    def runtime_cost(self, sc, dut, snap, gen):
        """What `show runtime` cycle counting costs: windows with it off and on,
        alternated (off, on, off, on...) so that drifting load hits both alike;
        the cost is the median of the (on / off) pairs' ratios.
        Compared by the worker's CPU time per forwarded packet, which is only
        the worker's work while the generator saturates it."""
        on, off = [], []
        try:
            for _ in range(self.a.runtime_pairs):
                for state, into in (("off", off), ("on", on)):
                    dut.cli.run("runtime cycles %s" % state)
                    time.sleep(0.1)
                    into.append(self.window(sc, "nodegw", dut, snap, gen, None))
        finally:
            dut.cli.run("runtime cycles on")

        def pick(reps):
            return dict(mpps=[x["pps"] / 1e6 for x in reps],
                        cpu_cpp=[x.get("cpu_cpp") for x in reps],
                        nodegw_cpp=[x.get("nodegw_cpp") for x in reps],
                        worker_cpu_share=[x.get("worker_cpu_share") for x in reps],
                        idle_loop_share=[x.get("idle_loop_share") for x in reps],
                        busy_share=[x.get("busy_share") for x in reps])
        r = dict(pairs=self.a.runtime_pairs, on=pick(on), off=pick(off))
        con, coff = self.med(on, "cpu_cpp"), self.med(off, "cpu_cpp")
        pon, poff = self.med(on, "pps"), self.med(off, "pps")
        r["cpu_cpp_on"], r["cpu_cpp_off"] = con, coff
        r["mpps_on"] = pon / 1e6 if pon else None
        r["mpps_off"] = poff / 1e6 if poff else None
        # the median of the pairs' ratios: a slow spell that starts between the
        # two halves of the run would otherwise land on one side only
        pr = [a["cpu_cpp"] / b["cpu_cpp"] for a, b in zip(on, off)
              if a.get("cpu_cpp") and b.get("cpu_cpp")]
        r["cost_pairs"] = [x - 1 for x in pr]
        r["cost"] = statistics.median(pr) - 1 if pr else None
        # saturated: the worker's stages had packets nearly all the time (known
        # only while cycles are counted); otherwise idle polling is in both
        busy = self.med(on, "busy_share")
        r["busy_share_on"] = busy
        r["saturated"] = busy is not None and busy >= 0.9
        log("  runtime cycles on: %s cycles/pkt, off: %s; cost %s%s" % (
            "%.0f" % con if con else "-", "%.0f" % coff if coff else "-",
            "%+.1f%%" % (100 * r["cost"]) if r["cost"] is not None else "-",
            "" if r["saturated"] else " (the worker was not saturated: idle polls included)"))
        return r

    def measure_safe(self, sc, dut_kind, want=None, runtime_cost=True):
        """measure(), with a failure recorded instead of ending the whole run."""
        try:
            reps, extra = self.measure(sc, dut_kind, want, runtime_cost)
        except (BenchError, OSError, ValueError, KeyError) as e:
            if INTERRUPTED:     # an error while cleaning up after the signal
                raise KeyboardInterrupt("signal") from e
            log("%s %s: ERROR: %s" % (sc["name"], dut_kind, e))
            reps, extra = [], dict(error="%s: %s" % (type(e).__name__, e))
        return reps, extra

    @staticmethod
    def proc_rss_kb(pid):
        try:
            with open("/proc/%d/status" % pid) as f:
                for ln in f:
                    if ln.startswith("VmRSS:"):
                        return int(ln.split()[1])
        except OSError:
            pass
        return None

    def warm(self, sc, dut_kind, snap, gen):
        """Let new flows settle: for established flows, until every flow has its conn."""
        time.sleep(self.a.warm)
        if self.is_gw(dut_kind) and sc.get("warm_conns"):
            want = int(sc["flows"] * 0.999)
            deadline = time.monotonic() + self.a.warm_conns_timeout
            while time.monotonic() < deadline:
                s = snap()
                if s["conns"] >= want:
                    return
                time.sleep(0.2)
            log("%s: only %d of %d connections after warm-up" % (sc["name"], s["conns"], sc["flows"]))

    def window(self, sc, dut_kind, dut, snap, gen, churn):
        w = self.a.window
        g0 = self.gen_snap(gen)
        if not sc["infinite"] and g0["offered"] > 0.8 * sc["pcap_pkts"]:
            raise BenchError("%s: 80%% of the pcap (%d frames) was gone before the window began; "
                             "the DUT is too fast for it" % (sc["name"], sc["pcap_pkts"]))
        if self.is_gw(dut_kind):
            dut.cli.run("clear runtime")
            rs0 = dut.cli.json("show ruleset json")[0]
        else:
            # deltas of the accumulated forward stats ("clear fwd stats all"
            # while forwarding leaves testpmd 22.11 with negative counts)
            f0 = dut.fwd_stats()
        pid = dut.p.pid
        tid = worker_tid(pid)
        k0 = thread_cpu_ns(pid, pid)     # the main thread: nodegw's control core
        c0 = (time.monotonic(), thread_cpu_ns(pid, tid) if tid else None,
              cpu_busy_ticks(self.a.dut_cpu))
        prof = None
        if os.environ.get("NG_BENCH_PERF") and tid and not shutil.which("perf"):
            log("NG_BENCH_PERF: no perf here (Debian package linux-perf); no profile")
            os.environ.pop("NG_BENCH_PERF")
        if os.environ.get("NG_BENCH_PERF") and tid:
            # a profile of the DUT's worker thread over this window
            self.perf_seq = getattr(self, "perf_seq", 0) + 1
            pdata = os.path.join(self.logs, "perf-%s-%s-%d.data" % (sc["name"], dut_kind,
                                                                   self.perf_seq))
            prof = subprocess.Popen(["perf", "record", "-q", "-t", str(tid), "-o", pdata],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        s0 = snap()
        if sc["infinite"]:
            time.sleep(w)
        else:
            # a finite pcap: end the window before the file does
            end = time.monotonic() + w
            while time.monotonic() < end:
                time.sleep(0.05)
                if self.gen_snap(gen)["offered"] >= 0.9 * sc["pcap_pkts"]:
                    break
        s1 = snap()
        if prof is not None:
            prof.send_signal(signal.SIGINT)
            prof.wait(30)
        c1 = (time.monotonic(), thread_cpu_ns(pid, tid) if tid else None,
              cpu_busy_ticks(self.a.dut_cpu))
        k1 = thread_cpu_ns(pid, pid)
        g1 = self.gen_snap(gen)
        dt = s1["t"] - s0["t"]
        res = dict(seconds=dt, tx=s1["tx"] - s0["tx"], rx=s1["rx"] - s0["rx"])
        res["pps"] = res["tx"] / dt
        res["rx_pps"] = res["rx"] / dt
        gdt = g1["t"] - g0["t"]
        res["gen_offered_pps"] = (g1["offered"] - g0["offered"]) / gdt
        res["gen_accepted_pps"] = (g1["accepted"] - g0["accepted"]) / gdt
        cdt = c1[0] - c0[0]
        if self.is_gw(dut_kind) and k0 is not None and k1 is not None:
            res["control_cpu_share"] = (k1 - k0) / 1e9 / cdt
        if c0[1] is not None and c1[1] is not None:
            # share of wall time the worker thread ran; below ~0.97 something
            # else took its CPU (other processes on a shared machine)
            cpu_s = (c1[1] - c0[1]) / 1e9
            res["worker_cpu_share"] = cpu_s / cdt
            busy = (c1[2][0] - c0[2][0]) / CLK_TCK / cdt
            res["dut_cpu_others_share"] = max(0.0, busy - res["worker_cpu_share"])
            # TSC cycles of CPU time the worker thread used per forwarded packet:
            # unlike the in-process rdtsc counts, time other processes took from
            # the CPU is not in it (idle polling is, when the DUT was not saturated)
            if res["tx"] > 0 and self.tsc_hz:
                res["cpu_cpp"] = cpu_s * self.tsc_hz / res["tx"]
        with open("/proc/loadavg") as f:
            res["loadavg"] = float(f.read().split()[0])
        if not sc["infinite"] and g1["offered"] >= sc["pcap_pkts"] and \
                (time.sleep(0.3) or snap()["rx"] == s1["rx"]):
            # the file was read to its end and nothing arrived after the window
            res["warning"] = "the pcap ran out inside the window"
        elif dt < 0.5 * w:
            res["warning"] = "a short window (%.2f s): the pcap nearly ran out" % dt
        if self.is_gw(dut_kind):
            rt, rs1 = dut.cli.json("show runtime json", "show ruleset json")
            stages = {}
            busy = 0
            for wk in rt:
                for st in wk["stages"]:
                    e = stages.setdefault(st["stage"], dict(packets=0, cycles=0, calls=0))
                    e["packets"] += st["packets"]
                    e["cycles"] += st["cycles"]
                    e["calls"] += st["calls"]
                    busy += st["cycles"]
            rxp = stages.get("rx", {}).get("packets", 0)
            res["stages_cpp"] = {k: (v["cycles"] / v["packets"] if v["packets"] else 0.0)
                                 for k, v in stages.items()}
            # per received packet, as "nodegw total" is
            res["stages_cpp_per_rx"] = {k: (v["cycles"] / rxp if rxp else 0.0)
                                        for k, v in stages.items()}
            res["nodegw_cpp"] = sum(x.get("nodegw_cycles_per_packet", 0) for x in rt) / max(1, len(rt))
            res["all_cpp"] = busy / rxp if rxp else 0.0
            res["busy_share"] = busy / (self.tsc_hz * dt) if self.tsc_hz else None
            res["drops"] = {k: v - s0["drops"].get(k, 0) for k, v in s1["drops"].items()
                            if v - s0["drops"].get(k, 0)}
            res["loss"] = sum(res["drops"].values())
            if sc.get("twin"):
                # the exception path: frames per second the workers punted and the
                # kernel twin took, and what was dropped on the way
                res["punted_pps"] = (s1["punted"] - s0["punted"]) / dt
                res["to_kernel_pps"] = (s1["to_kernel"] - s0["to_kernel"]) / dt
                res["exception_drops_pps"] = (
                    sum(res["drops"].get(k, 0) for k in ("punt_ratelimit", "punt_full")) +
                    s1["twin_drops"] - s0["twin_drops"]) / dt
                # punted frames are not service traffic: leave them out of the loss
                res["loss"] -= sum(res["drops"].get(k, 0) for k in ("punt_ratelimit", "punt_full"))
            # the service path's stages, per packet of each (what show runtime shows)
            res["service_cpp"] = sum(res["stages_cpp"].get(k, 0.0) for k in (
                SERVICE_STAGES6 if sc.get("family") == 6 else SERVICE_STAGES))
            if sc.get("frags_per_datagram"):
                # reassembly: datagrams made whole and sent per second on the one
                # worker (a core), and every stage's cycles per datagram sent
                res["datagrams_per_s"] = (s1["reassembled"] - s0["reassembled"]) / dt
                res["cycles_per_datagram"] = busy / res["tx"] if res["tx"] else None
                res["reass_cpp"] = res["stages_cpp"].get("ip4-reass")
            res["conns_created_per_s"] = (s1["created"] - s0["created"]) / dt
            res["conns_evicted_per_s"] = (s1["evicted"] - s0["evicted"]) / dt
            res["conns_reused_expired_per_s"] = (s1["reused"] - s0["reused"]) / dt
            res["conns"] = s1["conns"]
            res["commits"] = rs1.get("commits", 0) - rs0.get("commits", 0)
            res["commits_per_s"] = res["commits"] / dt
            res["idle_loop_share"] = ((s1["idle"] - s0["idle"]) / (s1["loops"] - s0["loops"])
                                      if s1["loops"] > s0["loops"] else None)
        else:
            f1 = dut.fwd_stats()
            txd = sum(f1["tx_dropped"].values()) - sum(f0["tx_dropped"].values())
            res["drops"] = {"tx_dropped": txd} if txd else {}
            res["loss"] = txd
            if f0["cycles"] is not None and f1["cycles"] is not None:
                cyc = f1["cycles"] - f0["cycles"]
                pk = f1["cycles_pkts"] - f0["cycles_pkts"]
                res["all_cpp"] = cyc / pk if pk > 0 else None
                res["busy_share"] = cyc / (self.tsc_hz * dt) if self.tsc_hz else None
        log("  %-8s %-8s %6.3f Mpps in %.2f s (gen offered %6.3f), %s cycles/pkt, worker on CPU %s%s" % (
            sc["name"], dut_kind, res["pps"] / 1e6, dt, res["gen_offered_pps"] / 1e6,
            "%.0f" % res["cpu_cpp"] if res.get("cpu_cpp") else "-",
            "%.0f%%" % (100 * res["worker_cpu_share"]) if "worker_cpu_share" in res else "-",
            (", %.0f conns/s" % res["conns_created_per_s"]) if "conns_created_per_s" in res else ""))
        if res.get("datagrams_per_s") is not None:
            log("  %-8s %-8s %.0f datagrams/s reassembled on 1 core, %s cycles/datagram "
                "(show runtime), ip4-reass %s cycles/fragment" % (
                    sc["name"], dut_kind, res["datagrams_per_s"],
                    "%.0f" % res["cycles_per_datagram"] if res.get("cycles_per_datagram") else "-",
                    "%.0f" % res["reass_cpp"] if res.get("reass_cpp") else "-"))
        return res

    # ---- scenarios

    def scenarios(self):
        q = self.a.quick
        big = 100_000 if q else 1_000_000
        fin = 1_000_000 if q else 4_000_000
        syn_ct = 1 << 20
        all_sc = [
            dict(name="est-1k", title="1k established flows (TCP+UDP)", kind="est", flows=1000,
                 infinite=True, ct=65536, runtime_cost=True),
            # IPv6: est-1k's and syn's traffic over IPv6; with its IPv4 twin in the
            # run, its windows alternate with the twin's (twin, IPv6, twin, ...)
            dict(name="est-1k-v6", title="1k established flows (TCP+UDP) over IPv6", kind="est",
                 family=6, flows=1000, infinite=True, ct=65536, pair_of="est-1k",
                 baseline_from="est-1k"),
            dict(name="est-1m", title="%s established flows (TCP+UDP)" % ("100k" if q else "1M"),
                 kind="est", flows=big, infinite=True, ct=(1 << 18) if q else 1572864,
                 warm_conns=True),
            # syn, mixed: SYN_SENT times out after 1 s. A 1M table fills within a
            # full run's windows (the steady state of a SYN flood: evictions, and
            # FullNAT ports half used); a larger one runs out of source ports to
            # the 64 backends first (see doc/benchmarks.md)
            dict(name="syn", title="new connections (one TCP SYN per packet)", kind="syn",
                 flows=fin, infinite=False, ct=syn_ct, tcp_syn=1),
            dict(name="syn-v6", title="new connections over IPv6 (one TCP SYN per packet)",
                 kind="syn", family=6, flows=fin, infinite=False, ct=syn_ct, tcp_syn=1,
                 pair_of="syn", baseline_from="syn"),
            dict(name="mixed", title="mixed: 90% established (10k flows), 10% new (SYN)",
                 kind="mixed", flows=fin, est_flows=10000, infinite=False, ct=syn_ct, tcp_syn=1),
            dict(name="churn", title="1k established flows + %d rule changes/s via the CLI" % self.a.churn_rate,
                 kind="est", flows=1000, infinite=True, ct=65536, churn=self.a.churn_rate,
                 baseline_from="est-1k"),
            # the exception path busy: every 10th packet goes to a port of the
            # gateway's own address that no service takes, so nodegw punts it to
            # the port's kernel twin (net_tap, in a namespace of its own)
            dict(name="punt-10", title="1k flows (TCP+UDP), 10%% of packets to %s: punted to "
                 "the kernel twin" % PUNT_TO, kind="punt", flows=1000, infinite=True, ct=65536,
                 twin=True, twin_rate=self.a.punt_rate, baseline_from="est-1k"),
            # the same traffic with the twin's bucket at its default (10,000 frames/s
            # per worker): the flood is cut in the worker, the control core moves only
            # what the bucket lets through, and on a 2-CPU machine the generator (which
            # shares its CPU with the control core) saturates the worker again, so the
            # service path's cost is compared with est-1k's at the same load
            dict(name="punt-10-bucket", title="1k flows (TCP+UDP), 10%% of packets to %s: punted "
                 "to the kernel twin through its default bucket (10,000 frames/s)" % PUNT_TO,
                 kind="punt", flows=1000, infinite=True, ct=65536,
                 twin=True, twin_rate=10000, baseline_from="est-1k"),
            # reassembly: 1k UDP flows, each datagram in 2 IPv4 fragments to the
            # VIP; the gateway sends one whole datagram per 2 frames received
            dict(name="frag", title="1k UDP flows, each datagram in 2 IPv4 fragments "
                 "(reassembled per worker)", kind="frag", flows=1000, infinite=True,
                 ct=65536, frags_per_datagram=2),
        ]
        if self.a.scenarios:
            want = self.a.scenarios.split(",")
            unknown = set(want) - {s["name"] for s in all_sc}
            if unknown:
                raise BenchError("unknown scenario(s): %s" % ", ".join(sorted(unknown)))
            all_sc = [s for s in all_sc if s["name"] in want]
        for s in all_sc:
            s["pcap_pkts"] = s["flows"] * s.get("frags_per_datagram", 1)
        return all_sc

    def run(self):
        started = time.time()
        scs = self.scenarios()
        for sc in scs:
            sc["pcap_path"] = self.pcap(sc["kind"], sc["flows"], sc.get("est_flows", 1000),
                                        sc.get("family", 4))
            if sc.get("twin"):
                sc["idle_pcap_path"] = self.pcap("est", sc["flows"])
        names = {sc["name"] for sc in scs}
        # IPv6 scenarios measured with their IPv4 twin (windows in turn)
        partners = {sc["pair_of"]: sc for sc in scs if sc.get("pair_of") in names}
        baselines = {}
        for sc in scs:
            if sc.get("pair_of") in names:
                continue
            log("scenario %s: %s" % (sc["name"], sc["title"]))
            partner = partners.get(sc["name"])
            if partner is not None:
                log("  with %s: %s (windows in turn)" % (partner["name"], partner["title"]))
            r = self.new_result(sc)
            bfrom = sc.get("baseline_from")
            borrowed = bool(bfrom and bfrom in baselines)
            # punt scenarios: windows with the exception path busy and idle, in turn
            kinds = ["nodegw"] + (["idle"] if sc.get("twin") else []) + \
                (["compare"] if self.a.compare_nodegw else []) + \
                ([] if self.a.no_baseline or borrowed else ["testpmd"])
            if len(kinds) == 1 and partner is None:
                out = {"nodegw": self.measure_safe(sc, "nodegw")}
            else:
                out = self.measure_pairs(sc, kinds, partner)
            reps, extra = out["nodegw"]
            r["nodegw"] = dict(reps=reps, **extra)
            if "idle" in out:
                ireps, iextra = out["idle"]
                r["idle"] = dict(reps=ireps, **iextra)
            if "compare" in out:
                creps, cextra = out["compare"]
                r["compare"] = dict(reps=creps, label=self.a.compare_label, **cextra)
            if "testpmd" in out:
                breps, bextra = out["testpmd"]
                baselines[sc["name"]] = dict(reps=breps, mode=self.a.baseline_mode,
                                             interleaved=True, **bextra)
                r["baseline"] = baselines[sc["name"]]
            elif borrowed and not self.a.no_baseline:
                r["baseline"] = dict(baselines[bfrom], from_scenario=bfrom)
            r["errors"] = [x["error"] for x in (r["nodegw"], r.get("compare", {}),
                                                r.get("idle", {}), r.get("baseline", {}))
                           if x.get("error") and not x.get("from_scenario")]
            self.summarise(r)
            self.results.append(r)
            if partner is not None:
                self.results.append(self.partner_result(partner, out["partner"], r))
        self.compare_service_path()
        return time.time() - started

    def new_result(self, sc):
        return dict(name=sc["name"], title=sc["title"], flows=sc["flows"],
                    family=sc.get("family", 4),
                    pcap=os.path.relpath(sc["pcap_path"], ROOT), conntrack_max_entries=sc["ct"],
                    cpus=dict(generator=self.a.gen_cpu, worker=self.a.dut_cpu,
                              control=self.ctl_cpu(sc)))

    def partner_result(self, sc, measured, twin):
        """The result of an IPv6 scenario measured in turn with its IPv4 twin:
        its own summary (the twin's testpmd baseline, which forwards by MAC
        whatever the family), and its ratios to the twin, pair by pair."""
        r = self.new_result(sc)
        reps, extra = measured
        r["nodegw"] = dict(reps=reps, **extra)
        if "baseline" in twin:
            r["baseline"] = dict(twin["baseline"], from_scenario=twin["name"])
        r["errors"] = [extra["error"]] if extra.get("error") else []
        self.summarise(r)
        self.compare_family(r, twin)
        return r

    def compare_family(self, r6, r4):
        """IPv6 against IPv4, windows in turn: the medians of the pairs' ratios
        of the worker's CPU-time cycles per packet, of show runtime's cycles per
        received packet (all stages), and of new connections per second. Targets
        (issue 14): cost at most 1.15 x IPv4's, new connections at least 0.85 x."""
        s = r6["summary"]
        p4 = {x["pair"]: x for x in r4["nodegw"]["reps"] if x.get("pair") is not None}
        pairs = [(a, p4[a["pair"]]) for a in r6["nodegw"]["reps"] if a.get("pair") in p4]

        def ratios(key):
            return [a[key] / b[key] for a, b in pairs if a.get(key) and b.get(key)]
        v4 = dict(cpu_cpp=self.med(r4["nodegw"]["reps"], "cpu_cpp"),
                  all_cpp=self.med(r4["nodegw"]["reps"], "all_cpp"),
                  conns_per_s=self.med(r4["nodegw"]["reps"], "conns_created_per_s"))
        fam = dict(twin=r4["name"], v4=v4)
        for key, name in (("cpu_cpp", "cost"), ("all_cpp", "runtime_cost"),
                          ("conns_created_per_s", "conns")):
            pr = ratios(key)
            fam[name + "_pairs"] = pr
            fam[name] = statistics.median(pr) if pr else None
        if r6["name"].startswith("syn"):
            fam["target"] = "conns >= %.2f" % FAMILY_CONNS_MIN
            fam["met"] = fam["conns"] is not None and fam["conns"] >= FAMILY_CONNS_MIN
        else:
            fam["target"] = "cost <= %.2f" % FAMILY_COST_MAX
            fam["met"] = fam["cost"] is not None and fam["cost"] <= FAMILY_COST_MAX
        s["vs_v4"] = fam

    def compare_service_path(self):
        """Scenarios with the exception path busy: their service path's cycles per
        packet against est-1k's in the same run (the acceptance: at most +5%)."""
        est = next((r for r in self.results if r["name"] == "est-1k"), None)
        for r in self.results:
            s = r["summary"]
            if not r["name"].startswith("punt") or est is None:
                continue
            e = est["summary"]
            if s.get("service_cpp") and e.get("service_cpp"):
                s["service_cpp_vs_est"] = s["service_cpp"] / e["service_cpp"] - 1
            if s.get("cpu_cpp") and e.get("cpu_cpp"):
                s["cpu_cpp_vs_est"] = s["cpu_cpp"] / e["cpu_cpp"] - 1

    def compare_idle(self, r, s):
        """A punt scenario's service path against its own idle windows (the
        same configuration, est-1k's traffic, measured in turn): the median of
        the pairs' ratios, so that the machine's drift hits both alike."""
        idle = r["idle"]["reps"]
        ipair = {x["pair"]: x for x in idle if x.get("pair") is not None}
        pairs = [(a, ipair[a["pair"]]) for a in r["nodegw"]["reps"] if a.get("pair") in ipair]
        ratios = [a["service_cpp"] / b["service_cpp"] for a, b in pairs
                  if a.get("service_cpp") and b.get("service_cpp")]
        s["idle_service_cpp"] = self.med(idle, "service_cpp")
        s["idle_busy_share"] = self.med(idle, "busy_share")
        s["idle_mpps"] = None if self.med(idle, "pps") is None else self.med(idle, "pps") / 1e6
        s["service_cpp_vs_idle_pairs"] = [x - 1 for x in ratios]
        s["service_cpp_vs_idle"] = statistics.median(ratios) - 1 if ratios else None

    @staticmethod
    def med(reps, key):
        vals = [x[key] for x in reps if x.get(key) is not None]
        return statistics.median(vals) if vals else None

    def summarise(self, r):
        n = r["nodegw"]["reps"]
        med = self.med

        def mega(v):
            return None if v is None else v / 1e6
        s = dict(mpps=mega(med(n, "pps")), mpps_reps=[x["pps"] / 1e6 for x in n])
        # the repetition whose rate is the median gives the detail columns
        mid = sorted(n, key=lambda x: x["pps"])[len(n) // 2] if n else {}
        s["nodegw_cpp"] = mid.get("nodegw_cpp")
        s["all_cpp"] = mid.get("all_cpp")
        s["cpu_cpp"] = med(n, "cpu_cpp")
        s["stages_cpp_per_rx"] = mid.get("stages_cpp_per_rx")
        s["busy_share"] = mid.get("busy_share")
        s["worker_cpu_share"] = med(n, "worker_cpu_share")
        s["dut_cpu_others_share"] = med(n, "dut_cpu_others_share")
        s["control_cpu_share"] = med(n, "control_cpu_share")
        s["gen_offered_mpps"] = mega(med(n, "gen_offered_pps"))
        s["loadavg"] = max((x.get("loadavg", 0) for x in n), default=None)
        s["conns_per_s"] = med(n, "conns_created_per_s")
        s["conns_evicted_per_s"] = med(n, "conns_evicted_per_s")
        s["conns"] = mid.get("conns")
        s["loss"] = sum(x.get("loss", 0) for x in n)
        s["rx"] = sum(x["rx"] for x in n)
        drops = {}
        for x in n:
            for k, v in x.get("drops", {}).items():
                drops[k] = drops.get(k, 0) + v
        s["drops"] = drops
        s["unaccounted"] = r["nodegw"].get("totals", {}).get("unaccounted")
        s["commits_per_s"] = med(n, "commits_per_s")
        s["service_cpp"] = med(n, "service_cpp")
        for k in ("punted_pps", "to_kernel_pps", "exception_drops_pps", "datagrams_per_s",
                  "cycles_per_datagram", "reass_cpp"):
            s[k] = med(n, k)
        mem = r["nodegw"].get("memory", {})
        s["heap_mb"] = mem.get("heap_allocated", 0) / (1 << 20) if mem else None
        s["conntrack_mb"] = mem.get("conntrack_bytes", 0) / (1 << 20) if mem else None
        s["bytes_per_conn"] = mem.get("bytes_per_connection")
        s["rss_mb"] = (r["nodegw"].get("rss_kb") or 0) / 1024
        if "runtime_cost" in r["nodegw"]:
            s["runtime_cost"] = r["nodegw"]["runtime_cost"]["cost"]
        if "baseline" in r:
            b = r["baseline"]["reps"]
            s["baseline_mpps"] = mega(med(b, "pps"))
            s["baseline_cpp"] = med(b, "all_cpp")
            s["baseline_cpu_cpp"] = med(b, "cpu_cpp")
            s["baseline_busy_share"] = med(b, "busy_share")
            s["baseline_worker_cpu_share"] = med(b, "worker_cpu_share")
            # the median of the pairs' ratios (windows measured one after the
            # other); a borrowed baseline (churn) has no pairs: ratio of medians
            bpair = {x["pair"]: x["pps"] for x in b if x.get("pair") is not None and x.get("pps")}
            pr = [x["pps"] / bpair[x["pair"]] for x in n
                  if x.get("pair") in bpair and x.get("pps") is not None]
            if pr and not r["baseline"].get("from_scenario"):
                s["ratio_pairs"] = pr
                s["ratio"] = statistics.median(pr)
            elif s["mpps"] is not None and s["baseline_mpps"]:
                s["ratio"] = s["mpps"] / s["baseline_mpps"]
            if s["cpu_cpp"] and s["baseline_cpu_cpp"]:
                s["cost_ratio"] = s["cpu_cpp"] / s["baseline_cpu_cpp"]
        if "compare" in r:
            self.summarise_compare(r["compare"]["reps"], n, s)
        if "idle" in r:
            self.compare_idle(r, s)
        if s["cpu_cpp"] and self.tsc_hz:
            s["mpps_per_cpu"] = self.tsc_hz / s["cpu_cpp"] / 1e6
        warn = sorted(set(x["warning"] for x in n if x.get("warning")))
        if s["worker_cpu_share"] is not None and s["worker_cpu_share"] < 0.95:
            own = ""
            if r.get("cpus", {}).get("control") == self.a.dut_cpu and s["control_cpu_share"] is not None:
                own = ", of which nodegw's control core %.0f%%" % (100 * s["control_cpu_share"])
            warn.append("the nodegw worker had its CPU %.0f%% of the time (other load on CPU %d: %.0f%%%s): "
                        "its rate is low by about that much" % (
                            100 * s["worker_cpu_share"], self.a.dut_cpu,
                            100 * (s["dut_cpu_others_share"] or 0), own))
        cws = s.get("compare_worker_cpu_share")
        if cws is not None and cws < 0.95:
            warn.append("the --compare build's worker had its CPU %.0f%% of the time" % (100 * cws))
        bws = s.get("baseline_worker_cpu_share")
        if bws is not None and bws < 0.95:
            warn.append("the testpmd baseline had its CPU %.0f%% of the time" % (100 * bws))
        if s["busy_share"] is not None and s["worker_cpu_share"] and \
                s["busy_share"] < 0.85 * s["worker_cpu_share"]:
            warn.append("the nodegw worker was busy %.0f%% of the time while it had its CPU %.0f%%: "
                        "the generator limited it" % (100 * s["busy_share"], 100 * s["worker_cpu_share"]))
        bbs = s.get("baseline_busy_share")
        if bbs is not None and bws and bbs < 0.85 * bws:
            warn.append("testpmd was busy %.0f%% of the time while it had its CPU %.0f%%: the generator "
                        "limited the baseline, so the rate ratio flatters nodegw and testpmd's CPU-time "
                        "cycles/pkt include idle polling" % (100 * bbs, 100 * bws))
        if s["unaccounted"]:
            warn.append("%d packets received but neither sent nor counted as dropped" % s["unaccounted"])
        if warn:
            s["warnings"] = warn
        r["summary"] = s

    def summarise_compare(self, c, n, s):
        """This build against the --compare build: medians of each, and the
        median of the pairs' ratios (rate: this / that, above 1 is faster;
        cost: CPU-time cycles per packet, this / that, below 1 is cheaper)."""
        med = self.med
        s["compare_mpps"] = None if med(c, "pps") is None else med(c, "pps") / 1e6
        s["compare_cpu_cpp"] = med(c, "cpu_cpp")
        s["compare_nodegw_cpp"] = med(c, "nodegw_cpp")
        s["compare_worker_cpu_share"] = med(c, "worker_cpu_share")
        cpair = {x["pair"]: x for x in c if x.get("pair") is not None}
        pairs = [(x, cpair[x["pair"]]) for x in n if x.get("pair") in cpair]
        rate = [a["pps"] / b["pps"] for a, b in pairs if a.get("pps") and b.get("pps")]
        cost = [a["cpu_cpp"] / b["cpu_cpp"] for a, b in pairs
                if a.get("cpu_cpp") and b.get("cpu_cpp")]
        s["compare_ratio_pairs"] = rate
        s["compare_ratio"] = statistics.median(rate) if rate else None
        s["compare_cost_pairs"] = cost
        s["compare_cost_ratio"] = statistics.median(cost) if cost else None

    # ---- report

    def system(self):
        mi = read_meminfo()
        return dict(date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                    host=platform.node(), cpu=cpu_model(), cpus=os.cpu_count(),
                    tsc_hz=self.tsc_hz, kernel=platform.release(),
                    nodegw=self.nodegw_version, git=self.binary_rev(), tree_git=git_rev(),
                    memory="hugepages (2 MiB)" if self.a.huge else "no hugepages (--no-huge)",
                    hugepages_peak_mb=self.hugepages_peak_mb if self.a.huge else None,
                    mem_total_mb=mi["MemTotal"] // 1024,
                    cpus_used=dict(generator=self.a.gen_cpu, dut_worker=self.a.dut_cpu,
                                   dut_control=self.a.ctl_cpu),
                    quick=self.a.quick, window_s=self.a.window, reps=self.a.reps,
                    baseline=self.a.baseline_mode, compare=self.a.compare_label or None)

    def binary_rev(self):
        """The revision the measured nodegw was built from (show version's git;
        a binary from before it was reported says nothing: "unknown binary")."""
        return (self.nodegw_version or {}).get("git") or "unknown binary"

    def markdown(self, sysinfo, elapsed):
        def f(v, fmt="%.2f"):
            return "-" if v is None else fmt % v

        def pct(v):
            return "-" if v is None else "%.0f%%" % (100 * v)
        L = []
        L.append("nodegw benchmark, %s, %s run" % (sysinfo["date"], "quick" if self.a.quick else "full"))
        L.append("")
        L.append("- CPU: %s, %d CPUs; TSC %.3f GHz; kernel %s; host %s" % (
            sysinfo["cpu"], sysinfo["cpus"], (self.tsc_hz or 0) / 1e9, sysinfo["kernel"], sysinfo["host"]))
        L.append("- nodegw %s (git %s), %s; memory: %s%s" % (
            (self.nodegw_version or {}).get("version", "?"), sysinfo["git"],
            (self.nodegw_version or {}).get("dpdk", "?"), sysinfo["memory"],
            ", at most %d MiB of hugepages in use (all processes)" % sysinfo["hugepages_peak_mb"]
            if sysinfo.get("hugepages_peak_mb") else ""))
        if sysinfo["git"] != sysinfo["tree_git"]:
            L.append("- WARNING: the binary measured was built from %s, the source tree is at %s "
                     "(rebuild it, or give --build-dir the build of this tree)" % (
                         sysinfo["git"], sysinfo["tree_git"]))
        L.append("- DUT worker on CPU %d, DUT control core on CPU %d, generator (testpmd io: net_pcap -> "
                 "net_memif, retry) on CPU %d; egress net_null; %d x %.0f s windows, median" % (
                     self.a.dut_cpu, self.a.ctl_cpu, self.a.gen_cpu, self.a.reps, self.a.window))
        L.append("")
        L.append("| scenario | nodegw Mpps | testpmd %s Mpps | rate ratio | nodegw cycles/pkt | "
                 "testpmd cycles/pkt | cost ratio | nodegw Mpps per CPU | new conns/s | "
                 "drops in windows | heap MiB | RSS MiB | bytes/conn |" % self.a.baseline_mode)
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
        for r in self.results:
            s = r["summary"]
            drops = ", ".join("%s %d" % (k, v) for k, v in sorted(s["drops"].items())) or "0"
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["name"] + (" (FAILED)" if r.get("errors") else ""),
                f(s["mpps"], "%.3f"), f(s.get("baseline_mpps"), "%.3f"),
                f(s.get("ratio"), "%.2f"), f(s["cpu_cpp"], "%.0f"), f(s.get("baseline_cpu_cpp"), "%.0f"),
                f(s.get("cost_ratio"), "%.1f"), f(s.get("mpps_per_cpu"), "%.2f"),
                f(s["conns_per_s"], "%.0f") if s["conns_per_s"] else "0", drops,
                f(s["heap_mb"], "%.0f"), f(s["rss_mb"] or None, "%.0f"), f(s["bytes_per_conn"], "%d")))
        L.append("")
        if any("compare" in r for r in self.results):
            L += self.markdown_compare(f)
        if any("vs_v4" in r["summary"] for r in self.results):
            L += self.markdown_family(f)
        for r in self.results:
            s = r["summary"]
            if s.get("datagrams_per_s") is not None:
                L.append("%s: %s datagrams/s reassembled on one worker core (each from 2 IPv4 "
                         "fragments), %s cycles per datagram sent (every stage, show runtime), "
                         "ip4-reass %s cycles per fragment." % (
                             r["name"], f(s["datagrams_per_s"], "%.0f"),
                             f(s.get("cycles_per_datagram"), "%.0f"), f(s.get("reass_cpp"), "%.0f")))
                L.append("")
        L.append("rate ratio: nodegw and testpmd windows are measured in turn (nodegw, testpmd, "
                 "nodegw, ...), and the ratio is the median of the pairs' ratios (churn: against "
                 "est-1k's baseline). cycles/pkt: TSC cycles of CPU time the DUT's worker thread "
                 "used per forwarded packet (its rx and tx included); cost ratio = nodegw / testpmd; "
                 "Mpps per CPU = TSC rate / nodegw cycles/pkt, what one whole core would forward.")
        L.append("")
        L.append("nodegw's own per-stage counters (show runtime json), TSC cycles per received packet, "
                 "median repetition; \"nodegw total\" leaves out PMD rx and tx. These count wall time "
                 "inside each stage, so time the worker lost its CPU inflates them.")
        L.append("")
        stages = []
        for r in self.results:
            for k, v in (r["summary"].get("stages_cpp_per_rx") or {}).items():
                if k not in stages:
                    stages.append(k)
        L.append("| scenario | " + " | ".join(stages) + " | nodegw total | all stages |")
        L.append("|---|" + "---:|" * (len(stages) + 2))
        for r in self.results:
            s = r["summary"]
            st = s.get("stages_cpp_per_rx") or {}
            L.append("| %s | " % r["name"] + " | ".join(f(st.get(k), "%.0f") for k in stages) +
                     " | %s | %s |" % (f(s["nodegw_cpp"], "%.0f"), f(s["all_cpp"], "%.0f")))
        L.append("")
        L.append("Health of the measurement: share of the window the nodegw worker thread ran, the rest "
                 "of that CPU's load, nodegw's control thread, share of the window the worker's stages had "
                 "packets; the same for testpmd; the generator's rate; the load average.")
        L.append("")
        L.append("| scenario | worker on CPU | others on CPU | nodegw control core | nodegw busy | "
                 "testpmd on CPU | testpmd busy | generator Mpps | load avg | conns at end | evicted/s |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in self.results:
            s = r["summary"]
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["name"], pct(s["worker_cpu_share"]), pct(s["dut_cpu_others_share"]),
                pct(s["control_cpu_share"]) + (" (CPU %d)" % r["cpus"]["control"] if "cpus" in r else ""),
                pct(s["busy_share"]), pct(s.get("baseline_worker_cpu_share")),
                pct(s.get("baseline_busy_share")),
                f(s["gen_offered_mpps"], "%.3f"), f(s["loadavg"], "%.1f"),
                f(s["conns"], "%d"), f(s["conns_evicted_per_s"], "%.0f")))
        L.append("")
        for r in self.results:
            s = r["summary"]
            extra = []
            if "churn" in r["nodegw"]:
                c = r["nodegw"]["churn"]
                extra.append("churn: %.0f changes/s sent (target %d), %d CLI errors%s, %.0f commits/s, "
                             "change-to-data-path latency p99 %s us" % (
                                 c["rate_per_s"], c["target_per_s"], c["errors"],
                                 (" (first: %s)" % c["first_error"]) if c["first_error"] else "",
                                 s["commits_per_s"] or 0,
                                 f(r["nodegw"].get("ruleset", {}).get("latency_p99_us"), "%.0f")))
                extra.append("loss %d of %d packets received in the windows" % (s["loss"], s["rx"]))
                if r["cpus"]["control"] == r["cpus"]["worker"]:
                    extra.append("control core on the worker's CPU %d (2-CPU layout)" % r["cpus"]["worker"])
            rt = r["nodegw"].get("runtime_cost")
            if rt:
                extra.append("show runtime cycle counting: %s cycles/pkt on, %s off (medians); "
                             "cost %s (median of the pairs: %s; %d x %g s windows each, "
                             "alternated)%s" % (
                                 f(rt["cpu_cpp_on"], "%.0f"), f(rt["cpu_cpp_off"], "%.0f"),
                                 ("%+.1f%%" % (100 * rt["cost"])) if rt["cost"] is not None else "-",
                                 ", ".join("%+.1f%%" % (100 * x) for x in rt.get("cost_pairs", [])),
                                 rt["pairs"], self.a.window,
                                 "" if rt["saturated"] else
                                 "; WARNING: the worker was not saturated, so idle polling is in both"))
            if s.get("to_kernel_pps") is not None:
                extra.append("exception path: %s frames/s punted, %s frames/s into the kernel twin, "
                             "%s frames/s dropped on the way; service path (stages %s) %s cycles/pkt%s; "
                             "worker CPU per forwarded packet %s%s" % (
                                 f(s.get("punted_pps"), "%.0f"), f(s["to_kernel_pps"], "%.0f"),
                                 f(s.get("exception_drops_pps"), "%.0f"), "+".join(SERVICE_STAGES),
                                 f(s.get("service_cpp"), "%.0f"),
                                 (" (%+.1f%% against est-1k's)" % (100 * s["service_cpp_vs_est"]))
                                 if s.get("service_cpp_vs_est") is not None else " (no est-1k in this run)",
                                 f(s.get("cpu_cpp"), "%.0f"),
                                 (" (%+.1f%%)" % (100 * s["cpu_cpp_vs_est"]))
                                 if s.get("cpu_cpp_vs_est") is not None else ""))
            if s.get("service_cpp_vs_idle") is not None:
                extra.append("service path against the same gateway with the exception path idle "
                             "(est-1k's traffic, windows in turn): %s cycles/pkt idle, %+.1f%% busy "
                             "(median of the pairs: %s); busy share %s busy, %s idle; %s Mpps idle" % (
                                 f(s.get("idle_service_cpp"), "%.0f"), 100 * s["service_cpp_vs_idle"],
                                 ", ".join("%+.1f%%" % (100 * x) for x in s["service_cpp_vs_idle_pairs"]),
                                 pct(s.get("busy_share")), pct(s.get("idle_busy_share")),
                                 f(s.get("idle_mpps"))))
            if r.get("baseline", {}).get("from_scenario"):
                extra.append("baseline from %s" % r["baseline"]["from_scenario"])
            for e in r.get("errors", []):
                extra.append("ERROR: " + e)
            for w in s.get("warnings", []):
                extra.append("WARNING: " + w)
            if extra:
                L.append("- %s: %s" % (r["name"], "; ".join(extra)))
        L.append("")
        L.append("Total %.0f s. Details: %s" % (elapsed, os.path.relpath(
            os.path.join(self.out, "results.json"), ROOT)))
        return "\n".join(L) + "\n"

    def markdown_family(self, f):
        """The table of each IPv6 scenario against its IPv4 twin (issue 14's targets)."""
        L = ["IPv6 against IPv4, windows in turn (IPv4, IPv6, IPv4, ...); ratios are the medians "
             "of the pairs' ratios (IPv6 / IPv4). cycles/pkt: CPU time of the worker thread per "
             "forwarded packet; runtime cycles/pkt: show runtime, all stages per received packet. "
             "Targets: est cycles/pkt at most %.2f x IPv4's, new conns/s at least %.2f x." % (
                 FAMILY_COST_MAX, FAMILY_CONNS_MIN),
             "",
             "| scenario | IPv4 twin | cycles/pkt v6 / v4 | ratio | pairs | runtime cycles/pkt "
             "v6 / v4 | ratio | new conns/s v6 / v4 | ratio | pairs | target |",
             "|---|---|---:|---:|---|---:|---:|---:|---:|---|---|"]
        for r in self.results:
            v = r["summary"].get("vs_v4")
            if v is None:
                continue
            s = r["summary"]
            conns = r["name"].startswith("syn")
            L.append("| %s | %s | %s / %s | %s | %s | %s / %s | %s | %s / %s | %s | %s | %s: %s |" % (
                r["name"], v["twin"], f(s["cpu_cpp"], "%.0f"), f(v["v4"]["cpu_cpp"], "%.0f"),
                f(v["cost"], "%.3f"), ", ".join("%.3f" % x for x in v["cost_pairs"]) or "-",
                f(s["all_cpp"], "%.0f"), f(v["v4"]["all_cpp"], "%.0f"), f(v["runtime_cost"], "%.3f"),
                f(s["conns_per_s"], "%.0f") if conns else "-",
                f(v["v4"]["conns_per_s"], "%.0f") if conns else "-",
                f(v["conns"], "%.3f") if conns else "-",
                ", ".join("%.3f" % x for x in v["conns_pairs"]) if conns else "-",
                v["target"], "met" if v["met"] else "NOT met"))
        L.append("")
        return L

    def markdown_compare(self, f):
        """The table of this build against the --compare build."""
        L = ["This build (git %s) against %s, windows alternated (this, that, this, ...); "
             "ratios are the medians of the pairs' ratios: rate ratio above 1 and cost ratio "
             "below 1 mean this build is faster. Cycles/pkt: CPU time of the worker thread; "
             "nodegw cycles/pkt: its own stages (show runtime)." % (self.binary_rev(),
                                                                     self.a.compare_label),
             "",
             "| scenario | this Mpps | that Mpps | rate ratio | rate ratios of the pairs | "
             "this cycles/pkt | that cycles/pkt | cost ratio | this nodegw cycles/pkt | "
             "that nodegw cycles/pkt |",
             "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
        for r in self.results:
            if "compare" not in r:
                continue
            s = r["summary"]
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["name"], f(s["mpps"], "%.3f"), f(s.get("compare_mpps"), "%.3f"),
                f(s.get("compare_ratio"), "%.3f"),
                ", ".join("%.3f" % x for x in s.get("compare_ratio_pairs", [])) or "-",
                f(s["cpu_cpp"], "%.0f"), f(s.get("compare_cpu_cpp"), "%.0f"),
                f(s.get("compare_cost_ratio"), "%.3f"), f(s["nodegw_cpp"], "%.0f"),
                f(s.get("compare_nodegw_cpp"), "%.0f")))
        L.append("")
        return L

    def check(self):
        """What makes the run fail: errors, and (the --quick assertions) no traffic or
        numbers that are not well formed. Never a speed."""
        bad = []

        def ok(v):
            return isinstance(v, (int, float)) and math.isfinite(v) and v > 0
        for r in self.results:
            s = r["summary"]
            for e in r.get("errors", []):
                bad.append("%s: %s" % (r["name"], e))
            if not ok(s["mpps"]):
                bad.append("%s: nodegw forwarded nothing (%r Mpps)" % (r["name"], s["mpps"]))
            if "compare" in r and not ok(s.get("compare_mpps")):
                bad.append("%s: the --compare build forwarded nothing (%r Mpps)" % (
                    r["name"], s.get("compare_mpps")))
            if "baseline" in r and not ok(s.get("baseline_mpps")):
                bad.append("%s: testpmd baseline forwarded nothing (%r Mpps)" % (r["name"], s.get("baseline_mpps")))
            for k in ("nodegw_cpp", "all_cpp", "cpu_cpp", "bytes_per_conn", "heap_mb"):
                if not ok(s.get(k)):
                    bad.append("%s: %s is %r" % (r["name"], k, s.get(k)))
            rc = s.get("runtime_cost", 0.0)
            if not (isinstance(rc, (int, float)) and math.isfinite(rc)):
                bad.append("%s: runtime cycle counting cost is %r" % (r["name"], s.get("runtime_cost")))
            if r["name"] in ("syn", "syn-v6", "mixed") and not ok(s["conns_per_s"]):
                bad.append("%s: no connections created" % r["name"])
            if s.get("unaccounted"):
                bad.append("%s: %d packets neither sent nor counted as dropped" % (r["name"], s["unaccounted"]))
            if r["name"].startswith("punt") and not ok(s.get("to_kernel_pps")):
                bad.append("%s: nothing reached the kernel twin (%r frames/s)" % (
                    r["name"], s.get("to_kernel_pps")))
            if r["name"] == "churn":
                c = r["nodegw"].get("churn", {})
                if not c.get("sent"):
                    bad.append("churn: no changes sent")
                if c.get("errors"):
                    bad.append("churn: %d CLI errors (first: %s)" % (c["errors"], c.get("first_error")))
        return bad


def main():
    ap = argparse.ArgumentParser(description="nodegw benchmark (use scripts/bench.sh)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--nodegw", default=os.path.join(ROOT, "build/app/nodegw/nodegw"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build/bench"))
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--prefix", default="", help="EAL --file-prefix stem")
    ap.add_argument("--huge", type=int, default=1)
    ap.add_argument("--scenarios", default="")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--window", type=float)
    ap.add_argument("--warm", type=float)
    ap.add_argument("--warm-conns-timeout", type=float, default=30)
    ap.add_argument("--retries", type=int, help="extra tries of a window whose DUT worker "
                    "did not have its CPU (default 2; quick 0)")
    ap.add_argument("--min-cpu-share", type=float, default=0.9)
    ap.add_argument("--churn-rate", type=int, default=1000)
    ap.add_argument("--punt-rate", type=int, default=10000000, help="punt-10: kernel.rate_pps "
                    "of the twin (default 10M: the bucket does not cut, so the exception "
                    "path's own rate is measured)")
    ap.add_argument("--cli-port", type=int, default=0, help="nodegw's CLI port (default: a free one)")
    ap.add_argument("--gen-cpu", type=int, default=1)
    ap.add_argument("--dut-cpu", type=int, default=0)
    ap.add_argument("--ctl-cpu", type=int, default=1)
    ap.add_argument("--baseline-mode", default="macswap", choices=["macswap", "5tswap", "io", "mac"])
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--compare-nodegw", help="a second nodegw binary (another build) measured in "
                    "the same run, its windows alternated with this one's")
    ap.add_argument("--compare-label", default="", help="what --compare-nodegw is, for the report")
    ap.add_argument("--runtime-pairs", type=int, help="est-1k: pairs of windows with show runtime's "
                    "cycle counting off and on, to price it (default 3; quick 1; 0: none)")
    a = ap.parse_args()
    if a.runtime_pairs is None:
        a.runtime_pairs = 1 if a.quick else 3
    if a.reps is None:
        a.reps = 1 if a.quick else 3
    if a.retries is None:
        a.retries = 0 if a.quick else 2
    if a.window is None:
        a.window = 1.0 if a.quick else 5.0
    if a.warm is None:
        a.warm = 0.3 if a.quick else 1.0
    os.makedirs(a.out, exist_ok=True)

    def on_signal(signum, frame):
        global INTERRUPTED
        INTERRUPTED = True
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    global PID_FILE
    PID_FILE = os.path.join(a.run_dir, "pids")
    b = Bench(a)
    rc = 0
    try:
        elapsed = b.run()
        sysinfo = b.system()
        md = b.markdown(sysinfo, elapsed)
        with open(os.path.join(a.out, "results.json"), "w") as f:
            json.dump(dict(system=sysinfo, scenarios=b.results), f, indent=1)
        with open(os.path.join(a.out, "results.md"), "w") as f:
            f.write(md)
        print(md)
        bad = b.check()
        if bad:
            for x in bad:
                log("FAIL: " + x)
            rc = 1
    except BenchError as e:
        log("ERROR: %s" % e)
        rc = 1
    except KeyboardInterrupt as e:
        log("interrupted (%s)" % e)
        rc = 130
    finally:
        for p in list(PROCS):
            try:
                p.stop(5)
            except Exception as e:  # keep cleaning up the others
                log("stopping %s: %s" % (p.name, e))
        b.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
