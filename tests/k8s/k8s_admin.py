#!/usr/bin/env python3
"""Helpers for driving tests/k8s/fake_apiserver.py (Python 3 stdlib only).

From Python:
    proc, api_port, admin_port = start_server(["--plain", "--token-file", tok])
    adm = Admin(admin_port)
    adm.apply(k8s_objects.service("default", "web", "198.19.0.10", ports=[("http", "TCP", 80)]))
    adm.fault(kind="drop", resource="services")
    adm.stats()["requests"]["services"]["list"]
    stop_server(proc)

From a shell (admin port from --admin-port or $NODEGW_FAKE_ADMIN_PORT):
    k8s_admin.py --admin-port P apply FILE.json   # object, list, {"objects":[...]} or List
    k8s_admin.py --admin-port P delete services NS NAME
    k8s_admin.py --admin-port P fault '{"kind":"drop","count":1}'
    k8s_admin.py --admin-port P stats | reset FILE.json | compact | health | objects
    k8s_admin.py --admin-port P config '{"chunking":"line"}'
"""

import argparse
import json
import os
import selectors
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "fake_apiserver.py")


class AdminError(Exception):
    def __init__(self, code, body):
        super().__init__("admin call failed: HTTP %s: %s" % (code, body))
        self.code, self.body = code, body


class Admin:
    """Client for the fake API server's plain-HTTP admin interface."""

    def __init__(self, port, host="127.0.0.1", timeout=10):
        self.base = "http://%s:%d" % (host, port)
        self.timeout = timeout

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            raise AdminError(e.code, e.read().decode(errors="replace")) from None

    def health(self):
        return self.call("GET", "/health")

    def apply(self, obj):
        """Create or replace one object (or several: a list / {"objects": [...]})."""
        return self.call("POST", "/objects", obj)

    def delete(self, kind, ns, name):
        """kind: services | endpointslices (singular and Kind names work too)."""
        return self.call("DELETE", "/objects/%s/%s/%s" % (kind, ns, name))

    def objects(self):
        return self.call("GET", "/objects")

    def reset(self, objs):
        return self.call("POST", "/reset", {"objects": list(objs)})

    def fault(self, spec=None, **kw):
        """fault(kind="drop", count=1, resource="services", verb="watch", now=False)."""
        body = dict(spec or {})
        body.update(kw)
        return self.call("POST", "/fault", body)

    def clear_faults(self):
        return self.call("DELETE", "/fault")

    def stats(self, log=None):
        return self.call("GET", "/stats" + ("" if log is None else "?log=%d" % log))

    def reset_stats(self):
        return self.call("POST", "/stats/reset", {})

    def compact(self):
        return self.call("POST", "/compact", {})

    def expire_continue(self):
        return self.call("POST", "/expire-continue", {})

    def config(self, **kw):
        return self.call("POST", "/config", kw) if kw else self.call("GET", "/config")

    def wait(self, predicate, timeout=10, interval=0.05):
        """Poll stats until predicate(stats) is true; returns the stats.
        Raises TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.stats(log=0)
            if predicate(st):
                return st
            if time.monotonic() >= deadline:
                raise TimeoutError("condition not met within %ss" % timeout)
            time.sleep(interval)


def _die_with_parent():
    """Child side of Popen: get SIGTERM when the parent thread dies (Linux)."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def start_server(args, cwd=None, timeout=30, stderr=None, python=None, wait=True,
                 die_with_parent=False):
    """Start fake_apiserver.py with `args`; wait (at most `timeout` s) for its
    READY line.  Returns (proc, api_port, admin_port).  stderr: where the
    server's log goes (a file object, subprocess.DEVNULL, or None to inherit);
    never a pipe nobody reads.  With wait=False, returns just the process;
    call wait_ready(proc, timeout) later for the ports.  die_with_parent: the
    server gets SIGTERM if the thread that started it exits (so a killed test
    leaves no server behind); only for callers that start it from a thread
    that outlives it, e.g. the main thread."""
    proc = subprocess.Popen([python or sys.executable, SERVER] + list(args), cwd=cwd,
                            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL,
                            preexec_fn=_die_with_parent if die_with_parent else None)
    if not wait:
        return proc
    return (proc,) + wait_ready(proc, timeout)


def wait_ready(proc, timeout=30):
    """Wait at most `timeout` s for the READY line; returns (api_port,
    admin_port).  Stops the server and raises if it does not come."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buf = b""
    try:
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("fake_apiserver did not print READY within %ss" % timeout)
            if not sel.select(left):
                continue
            data = os.read(proc.stdout.fileno(), 4096)
            if not data:
                raise RuntimeError("fake_apiserver exited early (status %s)" % proc.wait(5))
            buf += data
        line = buf.split(b"\n", 1)[0].decode()
        if not line.startswith("READY "):
            raise RuntimeError("unexpected first line from fake_apiserver: %r" % line)
        fields = dict(f.split("=", 1) for f in line.split()[1:])
        return int(fields["api"]), int(fields["admin"])
    except BaseException:
        stop_server(proc)
        raise
    finally:
        sel.close()


def stop_server(proc, timeout=5):
    """SIGTERM, then SIGKILL after `timeout` s.  Returns the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    if proc.stdout:
        proc.stdout.close()
    return proc.returncode


def _load(path):
    with (sys.stdin if path == "-" else open(path)) as f:
        return json.load(f)


def main(argv=None):
    p = argparse.ArgumentParser(description="Drive the fake Kubernetes API server's admin port.")
    p.add_argument("--admin-port", type=int,
                   default=int(os.environ.get("NODEGW_FAKE_ADMIN_PORT", "0")) or None)
    p.add_argument("--host", default="127.0.0.1")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("apply").add_argument("file", help="JSON file ('-' = stdin)")
    d = sub.add_parser("delete")
    d.add_argument("kind")
    d.add_argument("namespace")
    d.add_argument("name")
    sub.add_parser("fault").add_argument("json", help='e.g. {"kind":"drop","count":1}')
    sub.add_parser("reset").add_argument("file", help="JSON file ('-' = stdin)")
    sub.add_parser("config").add_argument("json", nargs="?", help='e.g. {"chunking":"line"}')
    for name in ("stats", "compact", "health", "objects", "clear-faults", "expire-continue"):
        sub.add_parser(name)
    a = p.parse_args(argv)
    if not a.admin_port:
        p.error("--admin-port (or NODEGW_FAKE_ADMIN_PORT) is required")
    adm = Admin(a.admin_port, a.host)
    try:
        if a.cmd == "apply":
            out = adm.apply(_load(a.file))
        elif a.cmd == "delete":
            out = adm.delete(a.kind, a.namespace, a.name)
        elif a.cmd == "fault":
            out = adm.fault(json.loads(a.json))
        elif a.cmd == "reset":
            body = _load(a.file)
            out = adm.call("POST", "/reset", body if isinstance(body, dict) else {"objects": body})
        elif a.cmd == "config":
            out = adm.call("POST", "/config", json.loads(a.json)) if a.json else adm.config()
        elif a.cmd == "stats":
            out = adm.stats()
        elif a.cmd == "compact":
            out = adm.compact()
        elif a.cmd == "health":
            out = adm.health()
        elif a.cmd == "objects":
            out = adm.objects()
        elif a.cmd == "clear-faults":
            out = adm.clear_faults()
        else:
            out = adm.expire_continue()
    except AdminError as e:
        print(e, file=sys.stderr)
        return 1
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
