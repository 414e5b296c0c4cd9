# SPDX-License-Identifier: BSD-3-Clause
"""What the fault tests (tests/e2e/test_fault_*.py) and the soak share.

The load-balancing topology of scripts/lib/netns.sh (prefix $NG_E2E_PREFIX,
default "ngt", so they queue behind the other e2e tests on its lock): a client
namespace, nodegw in PREFIX-gw on net_af_packet, three echo backends b1..b3
(tests/e2e/churn_echo.py: TCP line echo :8080, UDP echo :5353). Built by
tests/k8s/e2e_topo.py's outer half, which re-executes the test inside
PREFIX-gw; there FaultInner starts the fake API server (empty unless a test
gives objects), nodegw with the services below and the watcher, and runs the
checks. Client traffic is tests/e2e/fault_traffic.py in PREFIX-client.

Services of every fault config (FullNAT unless named):
  steady      198.19.0.30 tcp/80 -> b1..b3:8080
  steady-udp  198.19.0.31 udp/53 -> b1..b3:5353
  dnat        198.19.0.32 tcp/80 -> b1..b3:8080 (mode dnat)

  main(script, doc, cls)     a test script's entry (both halves)
  FaultInner                 a test's inner half; subclasses set checks, workers,
                             conf_extra() and t_NAME() methods
  Client                     a fault_traffic.py run in the client namespace
  BatchCli                   a CLI session in batch mode
  lost_between(stream, a, b) datagrams sent in [a, b) (monotonic s) not echoed
  first_echo_after(stream, t) send time of the first echoed datagram sent at or after t
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "k8s"))
sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
import e2e_topo  # noqa: E402
import ngproc  # noqa: E402
from e2e_topo import BIP, CLI_PORT, GW_CLIENT_IP, GW_PODS_IP, wait_for  # noqa: E402,F401
from ngproc import Fail, check  # noqa: E402,F401

PREFIX = os.environ.get("NG_E2E_PREFIX", "ngt")
ECHO_PY = os.path.join(HERE, "churn_echo.py")
TRAFFIC_PY = os.path.join(HERE, "fault_traffic.py")
VIP_TCP, VIP_UDP, VIP_DNAT = "198.19.0.30", "198.19.0.31", "198.19.0.32"
TCP_PORT, UDP_PORT = 8080, 5353


def echo_backend(name, lifetime):
    return [sys.executable, ECHO_PY, "serve", name, "--lifetime", str(lifetime)]


def main(script, doc, cls):
    """`SCRIPT NODEGW` (outer half) or `SCRIPT --inner NODEGW TMP`."""
    if len(sys.argv) == 4 and sys.argv[1] == "--inner":
        return cls(os.path.abspath(sys.argv[2]), sys.argv[3], PREFIX).main(cls.checks)
    if len(sys.argv) != 2:
        print(doc)
        return 2
    return e2e_topo.outer(script, os.path.abspath(sys.argv[1]), PREFIX, timeout=cls.timeout,
                          tools=("ip", "ethtool", "openssl", "ss"), backend=echo_backend)


def backend_list(port):
    return ",\n\t\t\t".join('{ address = "%s"; port = %d; }' % (BIP[b], port)
                            for b in sorted(BIP))


def services_text(extra=""):
    """The services section: the three above, then extra (more entries)."""
    return """services = (
	{{ name = "steady"; protocol = "tcp"; port = 80; vips = ["{t}"];
		backends = ({tb}); }},
	{{ name = "steady-udp"; protocol = "udp"; port = 53; vips = ["{u}"];
		backends = ({ub}); }},
	{{ name = "dnat"; protocol = "tcp"; port = 80; vips = ["{d}"]; mode = "dnat";
		backends = ({tb}); }}{extra}
);
""".format(t=VIP_TCP, u=VIP_UDP, d=VIP_DNAT, tb=backend_list(TCP_PORT),
           ub=backend_list(UDP_PORT), extra=extra)


class BatchCli:
    """A CLI session in batch mode (doc/cli.md): run(line) -> (ok, output)."""

    def __init__(self, port=CLI_PORT, timeout=30.0):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.run("@batch")

    def run(self, line):
        self.send(line)
        return self.reply(line)

    def send(self, line):
        """Send a line without waiting: replies come in order (reply())."""
        self.s.sendall(line.encode() + b"\n")

    def reply(self, line="?"):
        """The next reply: (ok, output)."""
        while True:
            i = self.buf.find(b"\0")
            if i >= 0 and self.buf.find(b"\n", i) > i:
                j = self.buf.index(b"\n", i)
                out, status = self.buf[:i], self.buf[i + 1:j]
                self.buf = self.buf[j + 1:]
                return status == b"0", out.decode(errors="replace")
            d = self.s.recv(65536)
            if not d:
                raise Fail("CLI closed the session during %r" % line)
            self.buf += d

    def close(self):
        self.s.close()


class Client:
    """fault_traffic.py ARGS in the client namespace; result() is its JSON."""

    def __init__(self, inner, tag, args, timeout=180):
        self.tag, self.timeout = tag, timeout
        self.out_path = os.path.join(inner.tmp, "client-%s.out" % tag)
        self.err_path = os.path.join(inner.tmp, "client-%s.err" % tag)
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", "%s-client" % inner.prefix, sys.executable, TRAFFIC_PY] +
                [str(a) for a in args], stdout=out, stderr=err, stdin=subprocess.DEVNULL)

    def result(self):
        try:
            self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Fail("client %s did not finish within %d s" % (self.tag, self.timeout))
        with open(self.out_path) as f:
            text = f.read()
        try:
            return json.loads(text.strip().splitlines()[-1])
        except (ValueError, IndexError):
            with open(self.err_path) as f:
                raise Fail("client %s: exit %s, no result: %s %s" % (
                    self.tag, self.proc.returncode, text[-500:], f.read()[-1500:]))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_file(path, what, timeout=20.0):
    wait_for(lambda: os.path.exists(path), what, timeout)


class OperWatch:
    """Watch interface IFNAME (in namespace NS, or this one) from inside NS, every
    5 ms: start it while the link is down; up_at() is time.monotonic() when the
    kernel first reported it operationally up."""

    CODE = """import sys, time
path, end = "/sys/class/net/%s/operstate" % sys.argv[1], time.monotonic() + float(sys.argv[2])
print("watching", flush=True)
while time.monotonic() < end:
    if open(path).read().strip() == "up":
        print(time.monotonic(), flush=True)
        sys.exit(0)
    time.sleep(0.005)
sys.exit(1)
"""

    def __init__(self, ns, ifname, timeout=15.0):
        self.what = "%s in %s" % (ifname, ns or "this namespace")
        self.timeout = timeout
        argv = ([] if ns is None else ["ip", "netns", "exec", ns]) + \
            [sys.executable, "-c", self.CODE, ifname, str(timeout)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "watching":
            raise Fail("watching %s: %r %s" % (self.what, line, self.proc.stderr.read()[-300:]))

    def up_at(self):
        try:
            out, err = self.proc.communicate(timeout=self.timeout + 10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            out, err = "", "no answer"
        if self.proc.returncode != 0:
            raise Fail("%s not up within %.0f s: %s" % (self.what, self.timeout, err[-300:]))
        return float(out)


def sent_times(stream):
    """Absolute send time and rtt (s, or None) of every datagram of a stream."""
    t0 = stream["t0"]
    return [(t0 + ts / 1e3, None if r is None else r / 1e3) for ts, r in stream["trace"]]


def lost_between(stream, a, b):
    return [t for t, r in sent_times(stream) if a <= t < b and r is None]


def first_echo_after(stream, t):
    for ts, r in sent_times(stream):
        if ts >= t and r is not None:
            return ts
    return None


def longest_gap(stream):
    """(seconds, start) of the longest run of unanswered datagrams."""
    best, start, run_start = 0.0, None, None
    prev = None
    for ts, r in sent_times(stream):
        if r is None:
            run_start = ts if run_start is None else run_start
            prev = ts
        elif run_start is not None:
            if ts - run_start > best:
                best, start = ts - run_start, run_start
            run_start = None
    if run_start is not None and prev - run_start > best:
        best, start = prev - run_start, run_start
    return best, start


class FaultInner(e2e_topo.Inner):
    """The inner half of a fault test (inside PREFIX-gw)."""

    checks = ()
    timeout = 300   # the whole test, outer half included
    workers = 1
    node = "ngf-node"

    def __init__(self, exe, tmp, prefix):
        super().__init__(exe, tmp, prefix)
        self.figures = []

    # ---- nodegw ----

    def lcores(self):
        """Control core on CPU 0, workers on the other CPU(s) (churn's layout)."""
        ncpu = os.cpu_count() or 1
        return ",".join(["0@0"] + ["%d@%d" % (i, 1 + (i - 1) % (ncpu - 1) if ncpu > 1 else 0)
                                   for i in range(1, self.workers + 1)])

    def conf_extra(self):
        """Config text after the ports, services and kubernetes sections."""
        return ""

    def services_extra(self):
        """More service entries (text starting with ",")."""
        return ""

    def conf_text(self, cli_port):
        q = self.workers
        return """# generated by {script}
log_level = "info";
forwarding = true;
workers = {{ lcores = [{lc}]; idle_sleep_us = 100; idle_polls = 64; }};
cli = {{ port = {cli}; }};
ports = (
	{{ name = "client"; devargs = "net_af_packet0,iface={p}-gc,qpairs={q}";
		addresses = ["{gc}/24"]; rx_queues = {q}; }},
	{{ name = "pods"; devargs = "net_af_packet1,iface={p}-gs,qpairs={q}";
		addresses = ["{gs}/24"]; rx_queues = {q}; }}
);
""".format(script=os.path.basename(sys.argv[0]), cli=cli_port, p=self.prefix, q=q,
           lc=", ".join(str(i) for i in range(1, self.workers + 1)), gc=GW_CLIENT_IP,
           gs=GW_PODS_IP) + e2e_topo.kubernetes_conf(self.tmp, self.node) + \
            services_text(self.services_extra()) + self.conf_extra()

    def start_gw(self, tag="gw"):
        self.gw = ngproc.Nodegw(self.exe, self.tmp, tag, stem="nodegw-" + self.prefix,
                                error=Fail, quiet=True)
        self.gw.start(self.conf_text, port=CLI_PORT, lcores=self.lcores())
        self.warm_up()

    def warm_up(self):
        """Backends listening, and every neighbour resolved, before a test measures."""
        for b in sorted(BIP):
            wait_for(lambda b=b: subprocess.run(
                ["ip", "netns", "exec", "%s-%s" % (self.prefix, b), "ss", "-Hltn",
                 "sport = :%d" % TCP_PORT], capture_output=True, text=True).stdout.strip(),
                "backend %s listening" % b, 20)
        for ns, addr in [("client", GW_CLIENT_IP)] + [(b, GW_PODS_IP) for b in sorted(BIP)]:
            subprocess.run(["ip", "netns", "exec", "%s-%s" % (self.prefix, ns), "ping", "-n",
                            "-c", "2", "-i", "0.2", "-W", "1", addr],
                           capture_output=True, timeout=10)
        for b in sorted(BIP):
            subprocess.run(["ip", "netns", "exec", "%s-client" % self.prefix, "ping", "-n",
                            "-c", "1", "-W", "2", BIP[b]], capture_output=True, timeout=10)

    def cli(self, cmd, timeout=30.0):
        return ngproc.cli(CLI_PORT, cmd, timeout)

    def cli_json(self, cmd, timeout=30.0):
        return ngproc.cli_json(CLI_PORT, cmd, timeout)

    def memory(self):
        return self.cli_json("show memory")

    def owner(self, sport, proto="udp"):
        """The worker that owns the client's flow from source port sport (show conn)."""
        c = self.cli_json("show conn port %d proto %s" % (sport, proto))
        ws = {x["worker"] for x in c["conns"] if x["client"].endswith(":%d" % sport)}
        check(len(ws) == 1, "one worker owns the flow from port %d" % sport, c)
        return ws.pop()

    def metrics(self):
        """/metrics (probes' default 127.0.0.1:10249), as text."""
        with urllib.request.urlopen("http://127.0.0.1:10249/metrics", timeout=10) as r:
            return r.read().decode()

    def client(self, tag, *args, timeout=180):
        return Client(self, tag, args, timeout)

    def figure(self, what):
        """A measured figure: printed now and again in the summary."""
        self.figures.append(what)
        print("  figure: " + what, flush=True)

    def run(self, name, fn):
        failed = self.failed
        super().run(name, fn)
        if self.failed > failed and self.gw is not None and self.gw.proc is not None:
            try:
                st = self.cli_json("show stats")
                print("    drops: %s" % json.dumps({p["name"]: p["drops_by_reason"]
                                                  for p in st["ports"]}))
                print("    neighbours: %s" % json.dumps(self.cli_json("show neighbours")))
            except (OSError, ValueError, KeyError) as e:
                print("    (no counters: %s)" % e)

    def main(self, names, objs=(), after=None):
        rc = super().main(names, objs, after)
        if self.figures:
            print("---- figures ----")
            for f in self.figures:
                print(f)
        return rc

    def kill_gw(self):
        """SIGKILL nodegw (its whole session) and reap it; returns when it is gone."""
        os.killpg(self.gw.proc.pid, signal.SIGKILL)
        self.gw.stop()
