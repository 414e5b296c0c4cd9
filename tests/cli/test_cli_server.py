#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Socket-level tests of lib/cli against tests/cli/cli_test_server.

usage: test_cli_server.py SERVER {line|telnet|load}

  line    a raw socket like nc: commands, abbreviations, ?, errors, long
          lines, line ends, half-close; no escape or telnet bytes after the
          initial negotiation.
  telnet  a client answering the negotiation: Tab, ?, history, Ctrl-C,
          editing, Ctrl-D.
  load    50 sessions measured while others spew junk, send 1 MiB lines,
          reset the connection, never read, or overflow their output.

127.0.0.1 only; every wait is bounded; the server is stopped at the end
(stdin closed) and must exit 0 with no sanitizer report.
"""
import random
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
ECHO, SGA, TTYPE, NAWS = 1, 3, 24, 31
NEGO = bytes([IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, SGA])
PROMPT = b"nodegw> "
BANNER = b"nodegw CLI; type help or ?\r\n" + PROMPT
SERVICES = (b"service web 198.18.0.1:80\r\nservice db 198.18.0.2:80\r\n"
            b"service dns 198.18.0.3:80\r\nend of services\r\n")


def check(cond, what, got=None):
    if not cond:
        raise AssertionError(what if got is None else "%s; got %r" % (what, got))


class Server:
    def __init__(self, path):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err)
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        check(ready, "server did not print its port within 20 s")
        line = self.proc.stdout.readline().decode()
        check(line.startswith("PORT "), "server's first line is PORT n", line)
        self.port = int(line.split()[1])

    def stop(self):
        """Close stdin, wait; return (exit code, stderr)."""
        try:
            self.proc.stdin.close()
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(timeout=10)
        self.err.seek(0)
        return rc, self.err.read().decode(errors="replace")


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.log = b""  # everything received

    def recv_until(self, marker, timeout=5.0):
        """Bytes up to and including marker; the rest stays buffered."""
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            left = deadline - time.monotonic()
            check(left > 0, "timeout waiting for %r" % marker, self.buf[-300:])
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            check(data, "connection closed waiting for %r" % marker, self.buf[-300:])
            self.buf += data
            self.log += data
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def recv_eof(self, timeout=5.0, limit=64 << 20):
        """Read until the server closes; return the bytes (a reset counts as closed)."""
        deadline = time.monotonic() + timeout
        out = self.buf
        self.buf = b""
        while len(out) < limit:
            left = deadline - time.monotonic()
            check(left > 0, "timeout waiting for the server to close", out[-300:])
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            out += data
        self.log += out
        return out

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, line, end=b"\n"):
        """Line mode: send a line, return the output up to the next prompt."""
        self.send(line + end)
        return self.recv_until(PROMPT)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def banner(c):
    data = c.recv_until(PROMPT)
    check(data == NEGO + BANNER, "negotiation + banner + prompt", data)


# ---------------------------------------------------------------- line mode

def test_line(srv):
    c = Client(srv.port)
    try:
        banner(c)
        out = c.cmd(b"help")
        for want in (b"show services [NAME] [json]  List services", b"quit", b"exit",
                     b"help [WORD...]"):
            check(want in out, "help lists %r" % want, out)
        check(c.cmd(b"sh services") == SERVICES + PROMPT, "abbreviated show services")
        check(c.cmd(b"sh st") == b"stats: rx 0 tx 0\r\n" + PROMPT, "abbreviated show stats")
        out = c.cmd(b"ser r web")
        check(out == b"restarting web\r\n" + PROMPT, "abbreviated service restart", out)
        check(c.cmd(b"show services web") == b"service web 198.18.0.1:80\r\nend of services\r\n"
              + PROMPT, "argument")
        out = c.cmd(b"show service web")
        check(out == b"one service web\r\n" + PROMPT, "exact 'service' beats 'services'", out)
        out = c.cmd(b"sh servi web")
        check(out == b"service web 198.18.0.1:80\r\nend of services\r\n" + PROMPT,
              "a prefix of a word and its plural means the plural", out)
        out = c.cmd(b"sh s web")
        check(out.startswith(b'% ambiguous command "show s": service, services, stats\r\n'),
              "ambiguous second word", out)
        out = c.cmd(b"s")
        check(out == b'% ambiguous command "s": service, show\r\n' + PROMPT,
              "ambiguous first word", out)
        out = c.cmd(b"shw")
        check(out == b'% unknown command "shw"; try help\r\n' + PROMPT, "unknown", out)
        out = c.cmd(b"show xyz")
        check(out == b'% unknown command "show xyz"; try "show ?"\r\n' + PROMPT,
              "unknown second word", out)
        out = c.cmd(b"sh")
        check(out == b'% incomplete command "show"; try "show ?"\r\n' + PROMPT,
              "incomplete", out)
        out = c.cmd(b"?")
        for w in (b"  big ", b"  echo ", b"  exit ", b"  help ", b"  quit ", b"  service ",
                  b"  show "):
            check(w in out, "? lists %r" % w, out)
        out = c.cmd(b"show ?")
        check(b"  service   Show one service\r\n" in out and
              b"  services  List services\r\n" in out and
              b"  stats     Show counters\r\n" in out, "show ? lists the next words", out)
        out = c.cmd(b"sh?")
        check(out == b"  show  (4 commands)\r\n" + PROMPT, "sh? completes the word", out)
        out = c.cmd(b"sh services ?")
        check(b"  web\r\n" in out and b"  dns\r\n" in out and
              b"  show services [NAME] [json]  List services\r\n" in out,
              "argument help with candidates and usage", out)
        out = c.cmd(b"show services d?")
        check(b"  db\r\n" in out and b"  dns\r\n" in out and b"web" not in out,
              "argument candidates filtered by prefix", out)
        out = c.cmd(b'echo "a b"  c ""')
        check(out == b"[a b][c][]\r\n" + PROMPT, "quotes group words", out)
        out = c.cmd(b'echo "what?"')
        check(out == b"[what?]\r\n" + PROMPT, "? inside quotes is a character", out)
        out = c.cmd(b'echo "open')
        check(out == b'% unterminated quote in "echo"\r\n' + PROMPT, "unterminated quote", out)
        out = c.cmd(b"show services json")
        check(out == b'{"services": ["web", "db", "dns"]}\r\n' + PROMPT, "json", out)
        out = c.cmd(b"fail")
        check(out == b"% fail: this command always fails\r\n" + PROMPT, "handler error", out)
        check(c.cmd(b"") == PROMPT, "empty line reprompts")
        check(c.cmd(b"   \t ") == PROMPT, "blank line reprompts")
        out = c.cmd(b"x" * 5000)
        check(out == b"% line too long (max 4096)\r\n" + PROMPT, "long line", out)
        out = c.cmd(b"echo " + b"a" * 4091)  # exactly 4096 bytes
        check(out == b"[" + b"a" * 4091 + b"]\r\n" + PROMPT, "4096-byte line accepted")
        check(c.cmd(b"show stats") == b"stats: rx 0 tx 0\r\n" + PROMPT, "alive after long line")
        for end in (b"\r\n", b"\r\0", b"\n"):
            out = c.cmd(b"show stats", end)
            check(out == b"stats: rx 0 tx 0\r\n" + PROMPT, "line end %r" % end, out)
            time.sleep(0.05)
            check(c.buf == b"", "line end %r runs the line once" % end, c.buf)
        c.send(b"show stats\nshow stats\n")  # two lines in one segment
        c.recv_until(PROMPT)
        check(c.recv_until(PROMPT) == b"stats: rx 0 tx 0\r\n" + PROMPT, "pipelined lines")
        out = c.cmd(b"big")
        check(len(out) == 1000 * 101 + len(b"end of big\r\n") + len(PROMPT),
              "100 KB output complete", len(out))
        check(out.count(b"\r\n") == 1001 and out.endswith(b"end of big\r\n" + PROMPT),
              "100 KB output lines")
        c.send(b"quit\n")
        rest = c.recv_eof()
        check(rest == b"", "quit closes without more output", rest)
        after = c.log[len(NEGO):]
        check(b"\x1b" not in after, "no ESC byte in line mode")
        check(b"\xff" not in after, "no IAC byte in line mode")
    finally:
        c.close()

    # a script: commands, then half-close; the last line has no line end
    c = Client(srv.port)
    try:
        banner(c)
        c.send(b"show stats\nexit now\necho last")
        c.sock.shutdown(socket.SHUT_WR)
        out = c.recv_eof()
        check(out == b"stats: rx 0 tx 0\r\n" + PROMPT + b"% exit: takes no arguments\r\n" +
              PROMPT + b"[last]\r\n", "half-closed script", out)
    finally:
        c.close()

    # commands after quit are not run, and the output before it is not lost
    c = Client(srv.port)
    try:
        banner(c)
        c.send(b"echo one\nquit\necho two\n" + b"junk\n" * 1000)
        out = c.recv_eof()
        check(out == b"[one]\r\n" + PROMPT, "quit ends the session", out)
    finally:
        c.close()
    print("line mode: ok")


# ---------------------------------------------------------------- telnet mode

def test_telnet(srv):
    c = Client(srv.port)
    try:
        banner(c)
        # answer like a telnet client, and offer options the server must refuse
        c.send(bytes([IAC, DO, ECHO, IAC, DO, SGA, IAC, WILL, SGA, IAC, WILL, TTYPE,
                      IAC, WILL, NAWS, IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE, IAC, DO, 99]))
        c.recv_until(bytes([IAC, WONT, 99]))
        check(bytes([IAC, DONT, TTYPE]) in c.log and bytes([IAC, DONT, NAWS]) in c.log,
              "refuses TTYPE and NAWS", c.log)
        # no answers to the answers of our own requests
        check(bytes([IAC, WILL, ECHO]) not in c.log[len(NEGO):], "no loop on ECHO", c.log)
        c.send(bytes([IAC, DO, ECHO]))  # repeated: no answer
        c.send(b"sh\t")
        out = c.recv_until(b"show ")
        check(out == b"show ", "Tab completes sh -> show", out)
        c.send(b"serv\t")
        out = c.recv_until(b"ice")
        check(out == b"service", "Tab extends to the common prefix", out)
        c.send(b"\t")
        out = c.recv_until(PROMPT + b"show service")
        check(b"service   services\r\n" in out, "second Tab lists candidates", out)
        c.send(b"s ?")
        out = c.recv_until(PROMPT + b"show services ")
        check(b"  web\r\n" in out and b"  show services [NAME] [json]  List services\r\n" in out,
              "? lists arguments and redraws", out)
        c.send(b"\x15")  # Ctrl-U
        c.send(b"?")
        out = c.recv_until(PROMPT)
        check(b"  show     (4 commands)\r\n" in out and b"  quit " in out, "? at start", out)
        c.send(b"show stats\r\n")
        out = c.recv_until(PROMPT)
        check(out == b"show stats\r\nstats: rx 0 tx 0\r\n" + PROMPT, "echo and run", out)
        # rdline redraws the line in place: to the start of the line (ESC M ESC E),
        # prompt, line, erase what was right of it (ESC [ 0 K)
        c.send(b"\x1b[A")
        out = c.recv_until(b"show stats\x1b[0K")
        check(out == b"\x1bM\x1bE" + PROMPT + b"show stats\x1b[0K", "ESC [ A recalls history",
              out)
        c.send(b"\r\0")
        out = c.recv_until(PROMPT)
        check(out == b"\r\nstats: rx 0 tx 0\r\n" + PROMPT, "recalled line runs", out)
        c.send(b"echo one\r\n")
        c.recv_until(PROMPT)
        c.send(b"\x1bOA\x1bOA")
        c.recv_until(b"show stats")
        c.send(b"\x1b[B")  # back down to "echo one"
        c.send(b"\r\n")
        out = c.recv_until(b"[one]\r\n" + PROMPT)  # each redraw shows the prompt too
        check(out.endswith(PROMPT + b"echo one\x1b[0K\r\n[one]\r\n" + PROMPT),
              "ESC O A / ESC [ B browse history", out)
        c.send(b"show stats\x03")
        out = c.recv_until(PROMPT)
        check(out == b"show stats^C\r\n" + PROMPT, "Ctrl-C cancels", out)
        c.send(b"\r\n")
        check(c.recv_until(PROMPT) == b"\r\n" + PROMPT, "nothing left after Ctrl-C")
        c.send(b"echo ac\x1b[Db\r\n")  # left arrow, insert
        out = c.recv_until(PROMPT)
        check(out.endswith(b"[abc]\r\n" + PROMPT), "insert after left arrow", out)
        c.send(b"fooo\x7f\x08x\r\n")  # DEL and Backspace
        out = c.recv_until(PROMPT)
        check(b'% unknown command "fox"; try help\r\n' in out, "backspace edits", out)
        c.send(b'echo "a?b"\r\n')
        out = c.recv_until(PROMPT)
        check(out.endswith(b"[a?b]\r\n" + PROMPT), "? inside quotes is typed", out)
        # character mode: rdline's line holds 512 bytes (line mode: 4096)
        c.send(b"x" * 5000 + b"\r\n")
        out = c.recv_until(PROMPT)
        check(out.endswith(b"% line too long (max 512)\r\n" + PROMPT), "long line", out[-80:])
        check(out.startswith(b"x" * 512 + b"\r\n"), "typing stops echoing at the limit", out[:600])
        c.send(b"\x04")  # Ctrl-D on an empty line
        c.recv_eof()
    finally:
        c.close()
    print("telnet mode: ok")


# ---------------------------------------------------------------- load

def junk_spewer(port, stop, stats, junk, limit=32 << 20, seconds=30):
    """Send junk over and over, as fast as the server takes it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    sent = 0
    deadline = time.monotonic() + seconds
    try:
        while not stop.is_set() and sent < limit and time.monotonic() < deadline:
            r, w, _ = select.select([s], [s], [], 0.1)
            if r:
                try:
                    if not s.recv(65536):
                        stats["closed"] = True
                        break
                except (BlockingIOError, ConnectionResetError):
                    pass
            if w:
                off = sent % len(junk)
                try:
                    sent += s.send(junk[off:off + 65536])
                    stats["progress"] = sent
                except BlockingIOError:
                    pass
    finally:
        stats["sent"] = sent
        s.close()


def long_liner(port, stats):
    """A 1 MiB line, then a command: the error, then the answer."""
    c = Client(port)
    try:
        banner(c)
        c.send(b"A" * (1 << 20) + b"\nshow stats\n")
        stats["out"] = c.recv_until(PROMPT, 30) + c.recv_until(PROMPT, 30)
    except Exception as e:  # reported by the main thread
        stats["error"] = repr(e)
    finally:
        c.close()


def measure_round(clients, samples):
    t0 = {}
    got = {c: b"" for c in clients}
    want = SERVICES + PROMPT
    for c in clients:
        t0[c] = time.monotonic()
        c.sock.sendall(b"show services\n")
    pending = {c.sock: c for c in clients}
    deadline = time.monotonic() + 5
    while pending:
        left = deadline - time.monotonic()
        check(left > 0, "%d sessions did not answer within 5 s" % len(pending))
        ready, _, _ = select.select(list(pending), [], [], left)
        now = time.monotonic()
        for s in ready:
            c = pending[s]
            data = s.recv(65536)
            check(data, "a measured session was closed")
            got[c] += data
            if len(got[c]) >= len(want):
                check(got[c] == want, "complete answer", got[c])
                samples.append((now - t0[c]) * 1000)
                del pending[s]


def test_load(srv):
    port = srv.port
    clients, extra, threads = [], [], []
    stop = threading.Event()
    junk_stats, long_stats = {}, {}
    try:
        for _ in range(50):
            c = Client(port)
            clients.append(c)
        for c in clients:
            banner(c)
            c.sock.setblocking(False)

        # never reads, while 100 x 100 KB are produced: back-pressure, not a stall
        nonreader = Client(port)
        extra.append(nonreader)
        nonreader.send(b"big\n" * 100)
        # more than a session may have unsent (NG_CLI_OUT_MAX) at once: closed by
        # the server, nothing of it sent (before measuring: this command itself
        # takes the server a while under ASan)
        huge = Client(port)
        extra.append(huge)
        huge.send(b"huge\n")
        out = huge.recv_eof(timeout=30)
        check(len(out) < 64 << 10, "output over NG_CLI_OUT_MAX not delivered", len(out))

        # random bytes, 0xff included, no line end
        junk = random.Random(1234).randbytes(1 << 20).translate(None, b"\r\n")
        check(b"\xff" in junk, "junk holds IAC bytes")
        threads.append(threading.Thread(target=junk_spewer, args=(port, stop, junk_stats, junk)))
        threads.append(threading.Thread(target=long_liner, args=(port, long_stats)))
        for t in threads:
            t.start()

        # measure while the junk flows: at least 20 rounds, and until 1 MiB of
        # junk and the 1 MiB line went through (bounded: 500 rounds, 20 s)
        samples = []
        round_max = []
        deadline = time.monotonic() + 20
        r = 0
        while r < 20 or (junk_stats.get("progress", 0) < 1 << 20 or
                         not ("out" in long_stats or "error" in long_stats)):
            check(r < 500 and time.monotonic() < deadline, "junk and long line within 20 s",
                  (junk_stats, long_stats.keys()))
            n = len(samples)
            measure_round(clients, samples)
            round_max.append(max(samples[n:]))
            r += 1
            if r == 5:  # abrupt disconnect in the middle of a command
                rst = Client(port)
                rst.send(b"show ser")
                rst.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                rst.close()
            if r == 10:  # half-open: connects and never says anything
                extra.append(Client(port))
        junk_during = junk_stats.get("progress", 0)
        print("max per round (ms): " + " ".join("%.1f" % m for m in round_max))
        samples.sort()
        p50 = samples[len(samples) // 2]
        p99 = samples[int(len(samples) * 0.99)]
        print("latency of 'show services' over %d samples (50 sessions x %d rounds, while "
              "%d bytes of junk, a 1 MiB line, a non-reader of 100 x 100 KB and a RST): "
              "p50 %.2f ms, p99 %.2f ms, max %.2f ms"
              % (len(samples), r, junk_during, p50, p99, samples[-1]))
        stop.set()
        for t in threads:
            t.join(timeout=40)
            check(not t.is_alive(), "helper thread finished")
        check(junk_stats.get("sent", 0) >= 1 << 20, "at least 1 MiB of junk sent", junk_stats)
        check("error" not in long_stats, "1 MiB line client", long_stats.get("error"))
        check(long_stats["out"] == b"% line too long (max 4096)\r\n" + PROMPT +
              b"stats: rx 0 tx 0\r\n" + PROMPT, "1 MiB line: error, then served",
              long_stats["out"])
        check(samples[-1] < 100, "every answer within 100 ms", samples[-1])

        # the non-reader was only paused: it gets all of its output now
        nonreader.sock.setblocking(True)
        data = b""
        deadline = time.monotonic() + 30
        while data.count(b"end of big\r\n") < 100:
            check(time.monotonic() < deadline, "non-reader output within 30 s",
                  data.count(b"end of big"))
            nonreader.sock.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = nonreader.sock.recv(1 << 20)
            check(chunk, "non-reader session closed")
            data += chunk
        check(len(data) >= 100 * (1000 * 101 + 12), "non-reader got 100 x 100 KB", len(data))

        # at least 64 sessions at once (here 50 + 64 more)
        more = []
        try:
            for _ in range(64):
                more.append(Client(port))
            for c in more:
                banner(c)
        finally:
            for c in more:
                c.close()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=40)
        for c in clients + extra:
            c.close()
    print("load: ok")


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("line", "telnet", "load"):
        print(__doc__)
        return 2
    srv = Server(sys.argv[1])
    ok = False
    try:
        {"line": test_line, "telnet": test_telnet, "load": test_load}[sys.argv[2]](srv)
        ok = True
    finally:
        rc, err = srv.stop()
        if err:
            sys.stdout.write("server stderr:\n" + err)
    check(rc == 0, "server exit code 0", rc)
    for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error"):
        check(bad not in err, "no sanitizer report (%s)" % bad)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
