#!/usr/bin/env python3
"""Short-lived HTTP/1.0 connections for tests/e2e/test_fullnat.sh (stdlib only).

  conns ADDR PORT --count N [--parallel P] [--timeout S]
      N connections, P at a time, each: connect, "GET / HTTP/1.0", read to
      the end (the backend closes first, so the TIME_WAIT is the backend's).
      Prints one summary line:
        ok=N timeouts=N errors=N backends=b1:N,b2:N ms_max=N
      A connection that gets no answer within S seconds (connect and read
      together; default 3, past the kernel's first SYN retransmission at
      1 s) counts as a timeout; a refused or reset one as an error.
"""

import argparse
import concurrent.futures
import socket
import sys
import time


def one(addr, port, timeout):
    t0 = time.monotonic()
    try:
        with socket.create_connection((addr, port), timeout=timeout) as s:
            s.settimeout(max(0.1, timeout - (time.monotonic() - t0)))
            s.sendall(b"GET / HTTP/1.0\r\nHost: nodegw\r\n\r\n")
            data = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                data += d
    except socket.timeout:
        return "timeout", None, time.monotonic() - t0
    except OSError as e:
        return "error:%s" % e.__class__.__name__, None, time.monotonic() - t0
    body = data.decode(errors="replace")
    name = None
    for tok in body.split():
        if tok.startswith("backend="):
            name = tok[len("backend="):]
    return ("ok" if name else "error:nobody"), name, time.monotonic() - t0


def cmd_conns(a):
    res = {"ok": 0, "timeouts": 0, "errors": 0}
    backends = {}
    ms_max = 0.0
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.parallel) as ex:
        futs = [ex.submit(one, a.addr, a.port, a.timeout) for _ in range(a.count)]
        for f in futs:
            kind, name, dt = f.result()
            ms_max = max(ms_max, dt * 1000)
            if kind == "ok":
                res["ok"] += 1
                backends[name] = backends.get(name, 0) + 1
            elif kind == "timeout":
                res["timeouts"] += 1
            else:
                res["errors"] += 1
    print("ok=%d timeouts=%d errors=%d backends=%s ms_max=%d" % (
        res["ok"], res["timeouts"], res["errors"],
        ",".join("%s:%d" % kv for kv in sorted(backends.items())) or "-", ms_max))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("conns")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--parallel", type=int, default=8)
    p.add_argument("--timeout", type=float, default=3.0)
    a = ap.parse_args()
    return cmd_conns(a)


if __name__ == "__main__":
    sys.exit(main())
