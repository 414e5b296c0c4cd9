#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Kubernetes watcher's protocol behaviour against the fake API server.

usage: test_k8s_watch.py NODEGW

Starts tests/k8s/fake_apiserver.py (TLS, bearer token, 7 Services and 7
EndpointSlices preloaded) and a nodegw (no root: --no-huge, --no-pci, its own
--file-prefix, net_null ports) whose `kubernetes` section points at it with
page_size 3, watch_timeout_s 3, backoff 200..1600 ms. Then, one check per rule
of doc/kubernetes.md "What it does on the wire", each read from the fake's
/stats (the requests it got, with their query and arrival time), from nodegw's
log and from its CLI (`show k8s json`, `show services json`):

  initial paged list with the label selector; watch parameters; ADDED/MODIFIED/
  DELETED events cut across chunks; bookmarks advance the RV; a 410 ERROR event
  relists at once; a relist deletes what vanished; an expired continue token
  restarts the list; a dropped connection backs off and relists with the data
  path unchanged; a 401 re-reads the token file (and the token is never shown);
  429/500 back off with jitter in [d, 1.25 d], doubling, capped; a stalled watch
  is detected after timeoutSeconds + 2 s; the CLI answers while the server
  stalls; an undecodable object keeps its last good copy; TLS is verified (a
  second and third nodegw with another CA, without and with
  insecure_skip_tls_verify); with no server set, the in-cluster environment
  (KUBERNETES_SERVICE_HOST/PORT) names it, and a client certificate
  authenticates to a second fake server that requires one.

Everything runs on 127.0.0.1 in a temporary directory; every wait is bounded;
every process is stopped in the end. Prints "N passed, M failed"; exits 1 when
anything failed, 77 (skipped) without the openssl CLI. NODEGW_KEEP_TMP=1 keeps the
directory (logs of nodegw and the fake) when something failed.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "lib"))
import ngproc  # noqa: E402
from ngproc import Fail, check  # noqa: E402
import k8s_objects as ko  # noqa: E402
from k8s_admin import Admin, start_server, stop_server  # noqa: E402

SELECTOR = "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless"
SVC_RES = ("services", "endpointslices")
NODE = "n1"                 # node_name in the config: the Node reflector's fieldSelector
PAGE = 3
T = 3                       # watch_timeout_s
BACKOFF, BACKOFF_MAX = 200, 1600
PROMPT = b"nodegw> "
START_TIMEOUT = 60.0
CMD_TIMEOUT = 10.0
CLI_P95_S = 0.2             # while the server stalls, 95% of CLI commands answer within this
CLI_MAX_S = 1.0             # and every one within this (a blocking watcher: the whole stall)


def wait(fn, what, timeout=5.0, interval=0.05, got=None):
    """Poll fn() until it returns something true; return it. Fail after timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise Fail("%s (within %.1f s)\n        got: %s" % (
                what, timeout, (got() if got else repr(v))[-2500:]))
        time.sleep(interval)


# ---------------------------------------------------------------- objects

def svc_obj(i, cip=None, port=80, pname="http", ext=()):
    return ko.service("default", "svc%d" % i, cip or "198.19.0.%d" % (10 + i),
                      ports=[(pname, "TCP", port)], external_ips=ext)


def slice_obj(i, ips, pname="http", svc=None):
    svc = svc or "svc%d" % i
    return ko.endpointslice("default", svc + "-x1", svc, endpoints=[{"ip": ip} for ip in ips],
                            ports=[(pname, "TCP", 8080)])


def initial_objects():
    objs = []
    for i in range(7):
        pname = "" if i == 5 else "http"        # unnamed: named by its number
        ext = ["198.19.1.6"] if i == 6 else ()  # externalIPs: a second /ext service
        objs.append(svc_obj(i, pname=pname, ext=ext))
        objs.append(slice_obj(i, ["198.18.1.%d" % (10 + i)], pname=pname))
    return objs


def key(o):
    return (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])


def expected_view(model):
    """What `show services json` must hold for these objects (names, frontends,
    backends), for the simple shapes this test builds."""
    out = {}
    slices = [o for o in model.values() if o["kind"] == "EndpointSlice"]
    for o in model.values():
        if o["kind"] != "Service":
            continue
        ns, name = o["metadata"]["namespace"], o["metadata"]["name"]
        for p in o["spec"]["ports"]:
            pname = p.get("name", "")
            be = set()
            for s in slices:
                if s["metadata"]["namespace"] != ns or \
                        s["metadata"]["labels"][ko.SERVICE_NAME_LABEL] != name:
                    continue
                for sp in s["ports"] or ():
                    if sp.get("name", "") == pname and sp.get("protocol", "TCP") == p["protocol"]:
                        for e in s["endpoints"] or ():
                            be.update((a, sp["port"]) for a in e["addresses"])
            be = tuple(sorted(be))
            base = "%s/%s:%s" % (ns, name, pname or p["port"])
            out[base] = (tuple(sorted("%s:%d/tcp" % (ip, p["port"])
                                      for ip in o["spec"]["clusterIPs"])), be)
            if o["spec"].get("externalIPs"):
                out[base + "/ext"] = (tuple(sorted("%s:%d/tcp" % (ip, p["port"])
                                                   for ip in o["spec"]["externalIPs"])), be)
    return out


# ---------------------------------------------------------------- nodegw

def conf_text(cli_port, api_port, token_file, ca_file, insecure=False):
    return """log_level = "info";
workers = { idle_sleep_us = 100; };
cli = { address = "127.0.0.1"; port = %d; };
ports = (
	{ name = "a"; devargs = "net_null0"; addresses = ["198.18.0.1/24"]; },
	{ name = "b"; devargs = "net_null1"; addresses = ["198.18.1.1/24"]; }
);
kubernetes = {
	server = "https://127.0.0.1:%d";
	token_file = "%s";
	ca_file = "%s";
	node_name = "n1";
	watch_timeout_s = %d;
	page_size = %d;
	backoff_ms = %d;
	backoff_max_ms = %d;
	token_reread_s = 3600;
	insecure_skip_tls_verify = %s;
};
""" % (cli_port, api_port, token_file, ca_file, T, PAGE, BACKOFF, BACKOFF_MAX,
       "true" if insecure else "false")


class Nodegw(ngproc.Nodegw):
    """One nodegw of this test (scripts/lib/ngproc.py): start(conf_fn, env)."""

    def __init__(self, exe, tmp, tag):
        super().__init__(exe, tmp, tag, stem="nodegw-k8sw", mem=384, error=Fail)

    def start(self, conf_fn, env=None):
        return super().start(conf_fn, env=env, timeout=START_TIMEOUT)


class Client:
    """A line-mode CLI client; every reply is kept in `transcript`."""
    transcript = []

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=CMD_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.recv_prompt()

    def recv_prompt(self):
        deadline = time.monotonic() + CMD_TIMEOUT
        while PROMPT not in self.buf:
            left = deadline - time.monotonic()
            check(left > 0, "CLI reply within %.0f s" % CMD_TIMEOUT, self.buf[-300:])
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            check(data, "CLI connection open", self.buf[-300:])
            self.buf += data
        i = self.buf.index(PROMPT)
        out, self.buf = self.buf[:i], self.buf[i + len(PROMPT):]
        text = out.decode(errors="replace").replace("\r\n", "\n")
        Client.transcript.append(text)
        return text

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\n")
        return self.recv_prompt()

    def json(self, line):
        out = self.cmd(line)
        try:
            return json.loads(out)
        except ValueError:
            raise Fail("%r: not JSON: %r" % (line, out[:500]))

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- the test context

class Ctx:
    def __init__(self, exe, tmp):
        self.exe, self.tmp = exe, tmp
        self.fake = None
        self.adm = None
        self.gw = None
        self.c = None
        self.model = {}
        self.tokens = []
        self.others = []

    # nodegw state
    def k8s(self):
        return self.c.json("show k8s json")

    def view(self):
        return {s["name"]: (tuple(sorted(s["frontends"])),
                            tuple(sorted((b["address"], b["port"]) for b in s["backends"])))
                for s in self.c.json("show services json")}

    def view_is(self, want):
        return lambda: self.view() == want

    def synced(self):
        k = self.k8s()
        return all(k[r]["synced"] and k[r]["state"] == "watching"
                   for r in ("services", "endpointslices")) and k

    # fake state
    def stats(self, log=1000):
        return self.adm.stats(log=log)

    def requests(self, since_seq=0, resource=None, verb=None):
        return [r for r in self.stats()["log"] if r["seq"] > since_seq and
                (resource is None or r["resource"] == resource) and
                (verb is None or r["verb"] == verb)]

    def last_seq(self):
        log = self.stats(log=1)["log"]
        return log[-1]["seq"] if log else 0

    def fault_now(self, kind, resource):
        """Apply a fault to the open watch of resource ("any": of each); waits until the
        fake holds that watch (nodegw may still be connecting) and checks it was hit."""
        for res in (("services", "endpointslices") if resource == "any" else (resource,)):
            for _ in range(3):
                wait(lambda: self.stats(log=0)["open_watches_by_resource"][res] >= 1,
                     "%s: a watch open at the fake" % res, timeout=5,
                     got=lambda: json.dumps(self.stats(log=0)["open_watch_requests"]))
                t = time.monotonic()
                if self.adm.fault(kind=kind, resource=res, now=True)[
                        "applied_to_open_watches"] >= 1:
                    break
            else:
                raise Fail("%s: fault %s not applied to an open watch" % (res, kind))
        return t

    # changes
    def apply(self, *objs):
        rv = None
        for o in objs:
            self.model[key(o)] = o
            rv = int(self.adm.apply(o)["resourceVersion"])
        return rv

    def delete(self, o):
        del self.model[key(o)]
        kind = "services" if o["kind"] == "Service" else "endpointslices"
        return int(self.adm.delete(kind, o["metadata"]["namespace"],
                                   o["metadata"]["name"])["resourceVersion"])

    def expect(self):
        return expected_view(self.model)

    def log_mark(self):
        return len(self.gw.log())

    def log_since(self, mark):
        return self.gw.log()[mark:]


def retry_delays(text, res):
    return [int(m) for m in re.findall(r"K8S: %s: retrying in (\d+) ms" % res, text)]


# ---------------------------------------------------------------- the checks

def t_initial_list(x):
    k = wait(x.synced, "both resources listed and watching", timeout=20,
             got=lambda: json.dumps(x.k8s()))
    want = x.expect()
    wait(x.view_is(want), "all 7 Services as nodegw services (with /ext and the "
         "unnamed port by number)", got=lambda: repr(x.view()))
    check(sorted(want) == sorted(["default/svc%d:http" % i for i in (0, 1, 2, 3, 4, 6)] +
                                 ["default/svc5:80", "default/svc6:http/ext"]),
          "the expected names", sorted(want))
    k = x.k8s()
    check(k["services"]["objects"] == 7 and k["endpointslices"]["objects"] == 7 and
          k["nodegw_services"] == 8, "7 + 7 objects, 8 nodegw services", json.dumps(k))
    st = x.stats()
    for res in ("services", "endpointslices"):
        lists = [r for r in st["log"] if r["resource"] == res and r["verb"] == "list"]
        check(len(lists) == 3, "%s: listed in 3 pages of %d (7 objects)" % (res, PAGE),
              [r["raw_query"] for r in lists])
        for r in lists:
            check(r["query"].get("labelSelector") == SELECTOR and
                  r["query"].get("limit") == str(PAGE),
                  "%s list: labelSelector exactly %r and limit=%d" % (res, SELECTOR, PAGE),
                  r["raw_query"])
            check(r["status"] == 200 and r["auth"] == "ok", "list answered 200 with the token",
                  r)
        check("continue" not in lists[0]["query"] and
              all("continue" in r["query"] for r in lists[1:]),
              "%s: the first page without continue, the next two with it" % res,
              [r["raw_query"] for r in lists])
        check(st["continue_requests"][res] == 2, "%s: the fake saw 2 continue requests" % res,
              st["continue_requests"])
        check(k[res]["resource_version"] == str(x.rv0), "%s: rv is the list's %d" %
              (res, x.rv0), k[res])
        check(k[res]["lists"] == 1 and k[res]["relists"] == 0, "%s: 1 list, 0 relists" % res,
              k[res])


def t_watch_params(x):
    st = x.stats()
    for res in ("services", "endpointslices"):
        w = [r for r in st["log"] if r["resource"] == res and r["verb"] == "watch"]
        check(w, "%s: a watch request" % res)
        q = w[0]["query"]
        check(q.get("watch") == "1" and q.get("allowWatchBookmarks") == "true" and
              q.get("resourceVersion") == str(x.rv0) and q.get("labelSelector") == SELECTOR,
              "%s watch: watch=1, resourceVersion=%d (the list's), allowWatchBookmarks=true, "
              "the label selector" % (res, x.rv0), w[0]["raw_query"])
        check_timeouts(w)


def check_timeouts(watches):
    for r in watches:
        t = int(r["query"].get("timeoutSeconds", "-1"))
        check(T <= t < 2 * T, "timeoutSeconds in [%d, %d)" % (T, 2 * T), r["raw_query"])


def t_events(x):
    cfg = x.adm.config()
    check(cfg["chunking"] == "split", "the fake cuts every event across chunks", cfg)
    k0 = x.k8s()
    new_svc = ko.service("default", "svcnew", "198.19.0.30", ports=[("http", "TCP", 80)])
    new_sl = slice_obj(0, ["198.18.1.30", "198.18.1.31"], svc="svcnew")
    x.apply(new_svc, new_sl)
    wait(x.view_is(x.expect()), "ADDED: default/svcnew:http with 2 backends",
         got=lambda: repr(x.view().get("default/svcnew:http")))
    check(x.view()["default/svcnew:http"][1] == (("198.18.1.30", 8080), ("198.18.1.31", 8080)),
          "the two backends", x.view().get("default/svcnew:http"))
    x.apply(slice_obj(0, ["198.18.1.32"], svc="svcnew"))
    wait(x.view_is(x.expect()), "MODIFIED slice: the backends change",
         got=lambda: repr(x.view().get("default/svcnew:http")))
    x.apply(ko.service("default", "svcnew", "198.19.0.31", ports=[("http", "TCP", 80)]))
    wait(x.view_is(x.expect()), "MODIFIED service: the frontend moves",
         got=lambda: repr(x.view().get("default/svcnew:http")))
    x.delete(new_svc)
    wait(x.view_is(x.expect()), "DELETED: the service disappears",
         got=lambda: repr(sorted(x.view())))
    x.delete(new_sl)
    k = wait(lambda: (lambda k: k["endpointslices"]["objects"] == 7 and k)(x.k8s()),
             "DELETED slice: 7 slices again", got=lambda: json.dumps(x.k8s()))
    for res in ("services", "endpointslices"):
        check(k[res]["errors"] == k0[res]["errors"] and k[res]["decode_errors"] == 0 and
              k[res]["relists"] == k0[res]["relists"],
              "%s: events split across chunks decoded without error or relist" % res, k[res])
    check(k["services"]["events"] - k["services"]["bookmarks"] -
          (k0["services"]["events"] - k0["services"]["bookmarks"]) == 3 and
          k["endpointslices"]["events"] - k["endpointslices"]["bookmarks"] -
          (k0["endpointslices"]["events"] - k0["endpointslices"]["bookmarks"]) == 3,
          "3 service and 3 slice events counted", json.dumps(k))


def t_bookmarks(x):
    k0 = x.k8s()
    v0 = x.view()
    # A change to an EndpointSlice of no Service moves the global RV only.
    rv = x.apply(slice_obj(0, ["198.18.1.99"], svc="nosuchsvc"))
    k = wait(lambda: (lambda k: k["services"]["resource_version"] == str(rv) and k)(x.k8s()),
             "services rv advances to %d by bookmarks" % rv, timeout=4,
             got=lambda: json.dumps(x.k8s()["services"]))
    check(k["services"]["bookmarks"] > k0["services"]["bookmarks"], "a bookmark arrived",
          (k0["services"], k["services"]))
    check(k["services"]["events"] - k["services"]["bookmarks"] ==
          k0["services"]["events"] - k0["services"]["bookmarks"],
          "no other services event", (k0["services"], k["services"]))
    check(x.view() == v0, "nodegw services unchanged")
    x.delete(x.model[("EndpointSlice", "default", "nosuchsvc-x1")])


def t_gone410(x):
    k0 = x.k8s()
    mark, seq = x.log_mark(), x.last_seq()
    x.fault_now("gone410", "services")
    # A change made while the services relist: it must arrive all the same.
    x.apply(svc_obj(3, port=83))
    wait(lambda: x.k8s()["services"]["relists"] == k0["services"]["relists"] + 1,
         "services relisted after the 410 ERROR event", got=lambda: json.dumps(x.k8s()))
    wait(x.synced, "watching again")
    wait(x.view_is(x.expect()), "the change made meanwhile is applied",
         got=lambda: repr(x.view().get("default/svc3:http")))
    lists = x.requests(seq, "services", "list")
    check(lists and "continue" not in lists[0]["query"], "the fake saw a new list", lists)
    log = x.log_since(mark)
    check(re.search(r"K8S: services: watch: .*\(410 Expired\); relisting", log),
          "the 410 is logged", log)
    check(not retry_delays(log, "services"), "a 410 relists at once, without back-off", log)
    k = x.k8s()
    check(k["services"]["errors"] == k0["services"]["errors"], "a 410 is not an error",
          (k0["services"], k["services"]))
    check(k["endpointslices"]["relists"] == k0["endpointslices"]["relists"],
          "endpointslices untouched", k["endpointslices"])
    check(x.view() == x.expect(), "state right")


def t_relist_deletes(x):
    k0 = x.k8s()
    svc4 = x.model.pop(("Service", "default", "svc4"))
    sl4 = x.model.pop(("EndpointSlice", "default", "svc4-x1"))
    x.adm.reset(list(x.model.values()))   # no events; the open watches end, 410 on re-watch
    try:
        try:
            wait(lambda: "default/svc4:http" not in x.view(), "default/svc4:http removed "
                 "by the relist", timeout=2)
        except Fail:
            x.fault_now("gone410", "any")
            wait(lambda: "default/svc4:http" not in x.view(), "default/svc4:http removed by "
                 "the relist after a 410", got=lambda: repr(sorted(x.view())))
        wait(x.synced, "watching again")
        k = x.k8s()
        check(k["services"]["relists"] > k0["services"]["relists"] and
              k["endpointslices"]["relists"] > k0["endpointslices"]["relists"],
              "both resources relisted", json.dumps(k))
        check(k["services"]["objects"] == 6 and k["endpointslices"]["objects"] == 6,
              "6 + 6 objects", json.dumps(k))
        check(x.view() == x.expect(), "the other services unchanged", x.view())
    finally:
        x.apply(svc4, sl4)   # back by events (also when the check failed)
    wait(x.view_is(x.expect()), "svc4 back by events", got=lambda: repr(sorted(x.view())))


def t_expire_continue(x):
    k0 = x.k8s()
    mark, seq = x.log_mark(), x.last_seq()
    x.adm.fault(kind="expire-continue", resource="services", count=1)
    x.fault_now("gone410", "services")
    wait(lambda: x.k8s()["services"]["lists"] == k0["services"]["lists"] + 1,
         "the services list completes", got=lambda: json.dumps(x.k8s()["services"]))
    wait(x.synced, "watching again")
    lists = x.requests(seq, "services", "list")
    shape = [("continue" in r["query"], r["status"]) for r in lists]
    check(shape == [(False, 200), (True, 410), (False, 200), (True, 200), (True, 200)],
          "list, expired continue (410), then the list again from the start (7 objects in "
          "pages of 3)", shape)
    log = x.log_since(mark)
    check("K8S: services: the continue token expired (410); listing again" in log,
          "logged", log)
    check(not retry_delays(log, "services"), "restarted at once, without back-off", log)
    k = x.k8s()
    check(k["services"]["objects"] == 7 and x.view() == x.expect(), "state right",
          json.dumps(k["services"]))


def t_drop(x):
    k0 = x.k8s()
    v0 = x.view()
    g0 = x.c.json("show ruleset json")
    mark = x.log_mark()
    x.fault_now("drop", "any")
    seen = set()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3 and len(seen) < 2:
        k = x.k8s()
        for res in ("services", "endpointslices"):
            if k[res]["state"] == "backing-off" and res not in seen:
                seen.add(res)
                check(x.view() == v0, "%s backing off: nodegw services unchanged" % res,
                      x.view())
        time.sleep(0.01)
    check(len(seen) == 2, "both resources backed off", seen)
    wait(lambda: (lambda k: k["services"]["relists"] > k0["services"]["relists"] and
                  k["endpointslices"]["relists"] > k0["endpointslices"]["relists"])(x.k8s()),
         "both relisted", got=lambda: json.dumps(x.k8s()))
    wait(x.synced, "watching again")
    log = x.log_since(mark)
    for res in ("services", "endpointslices"):
        d = retry_delays(log, res)
        check(len(d) == 1 and BACKOFF <= d[0] <= BACKOFF * 1.25,
              "%s: one back-off of %d..%d ms" % (res, BACKOFF, BACKOFF * 1.25), log)
    check(x.view() == v0, "nodegw services unchanged", x.view())
    g = x.c.json("show ruleset json")
    check(g["generation"] == g0["generation"] and g["commits"] == g0["commits"],
          "the relist of unchanged objects publishes no ruleset", (g0, g))


def t_token(x):
    k0 = x.k8s()
    st0 = x.stats(log=0)
    mark = x.log_mark()
    new = "rotated-%s" % os.urandom(12).hex()
    x.tokens.append(new)
    write_file(x.api_token, new)              # the server's side only
    try:
        x.fault_now("drop", "any")
        wait(lambda: x.stats(log=0)["unauthorized"] >= st0["unauthorized"] + 3,
             "the fake answered 401 (repeatedly: nodegw retries)", timeout=6,
             got=lambda: json.dumps(x.stats(log=0)["status_codes"]))
        k = x.k8s()
        check("401" in k["services"]["last_error"] or
              "401" in k["endpointslices"]["last_error"], "last_error names the 401",
              json.dumps(k))
        check(k["token_reads"] > k0["token_reads"], "each 401 re-reads the token file",
              (k0["token_reads"], k["token_reads"]))
        check(x.view() == x.expect(), "nodegw services kept while unauthorized")
        n_reads = k["token_reads"]
    finally:
        write_file(x.gw_token, new)            # the rotated token reaches nodegw's file
    wait(x.synced, "recovers with the new token", timeout=8, got=lambda: json.dumps(x.k8s()))
    k = x.k8s()
    check(k["token_reads"] > n_reads, "re-read after a later 401", (n_reads, k["token_reads"]))
    log = x.log_since(mark)
    check("K8S: token in %s changed" % x.gw_token in log, "the change is logged", log)
    check("HTTP 401" in log, "the 401 is logged", log)
    check(x.view() == x.expect(), "state right")


def write_file(path, text):
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.replace(tmp, path)


def t_backoff(x):
    k0 = x.k8s()
    mark, seq = x.log_mark(), x.last_seq()
    x.adm.fault(kind="429", resource="services", verb="list", count=2)
    x.adm.fault(kind="500", resource="services", verb="list", count=2)
    t_drop = x.fault_now("drop", "services")
    wait(lambda: x.k8s()["services"]["lists"] > k0["services"]["lists"],
         "services listed after 2 x 429 and 2 x 500", timeout=10,
         got=lambda: json.dumps(x.k8s()["services"]))
    wait(x.synced, "watching again")
    log = x.log_since(mark)
    d = retry_delays(log, "services")
    bases = [min(BACKOFF << i, BACKOFF_MAX) for i in range(5)]
    check(len(d) == 5, "5 back-offs (drop, 429, 429, 500, 500)", log)
    for dd, b in zip(d, bases):
        check(b <= dd <= b * 1.25,
              "delays in [d, 1.25 d], d = %d ms doubling to at most %d ms: %s" % (BACKOFF, BACKOFF_MAX,
                                                                          d), log)
    check(any(dd > b for dd, b in zip(d[:3], bases)), "the delays are jittered", d)
    lists = x.requests(seq, "services", "list")
    check([r["fault"] for r in lists[:5]] == ["429", "429", "500", "500", None],
          "the fake answered 429, 429, 500, 500, then the list", [r["fault"] for r in lists])
    times = [t_drop] + [r["monotonic"] for r in lists[:5]]
    gaps = [round((b - a) * 1000) for a, b in zip(times, times[1:])]
    for g, dd in zip(gaps, d):
        check(dd - 5 <= g <= dd + 1500, "request spacing at the fake %s ms follows the delays "
              "%s ms" % (gaps, d))
    print("     back-off delays %s ms; spacing at the fake %s ms" % (d, gaps), flush=True)
    check("HTTP 429" in log and "HTTP 500" in log, "both errors logged", log)
    check(not retry_delays(log, "endpointslices") and
          x.k8s()["endpointslices"]["relists"] == k0["endpointslices"]["relists"],
          "endpointslices untouched", log)
    check(x.view() == x.expect(), "state right")


def t_stall(x):
    """Both watches stall; each is detected timeoutSeconds + 2 s after its last byte.
    Meanwhile the CLI keeps answering (CLI_P95_S, CLI_MAX_S)."""
    k0 = x.k8s()
    for _ in range(20):   # do not stall a watch that is about to end by itself
        st = x.stats(log=0)
        ws = {w["resource"]: w for w in st["open_watch_requests"] if w["resource"] in SVC_RES}
        now = time.monotonic()
        if len(ws) == 2 and all(min(int(w["query"]["timeoutSeconds"]), 5) -
                                (now - w["monotonic"]) > 1.0 for w in ws.values()):
            break
        time.sleep(0.25)
    else:
        raise Fail("two open watches with time left", st["open_watch_requests"])
    t_stall0 = time.monotonic()
    for res in SVC_RES:   # not the Node watch: it is not part of this check
        r = x.adm.fault(kind="stall", resource=res, now=True)
        check(r["applied_to_open_watches"] == 1, "the fake stalls the %s watch" % res, r)
    ws2 = {w["resource"]: w["seq"] for w in x.stats(log=0)["open_watch_requests"]
           if w["resource"] in SVC_RES}
    check(ws2 == {k: w["seq"] for k, w in ws.items()}, "the same two watches", (ws, ws2))
    detected, lat = {}, []
    v0 = x.view()
    while len(detected) < 2 and time.monotonic() - t_stall0 < 2 * T + 4:
        t0 = time.monotonic()
        k = x.k8s()
        lat.append(time.monotonic() - t0)
        t0 = time.monotonic()
        v = x.view()
        lat.append(time.monotonic() - t0)
        check(v == v0, "nodegw services unchanged during the stall", v)
        for res in ("services", "endpointslices"):
            if res not in detected and k[res]["stalls"] > k0[res]["stalls"]:
                detected[res] = time.monotonic() - t_stall0
        time.sleep(0.05)
    check(len(detected) == 2, "both stalls detected", json.dumps(x.k8s()))
    for res, dt in detected.items():
        tw = int(ws[res]["query"]["timeoutSeconds"])
        # The last byte (a bookmark, every 1 s) came at most ~1 s before the stall.
        check(tw + 2 - 1.3 <= dt <= tw + 2 + 0.6, "%s: stall detected %.2f s after it began, "
              "about timeoutSeconds (%d) + 2 s" % (res, dt, tw))
    lat.sort()
    p50, p95, worst = lat[len(lat) // 2], lat[len(lat) * 95 // 100], lat[-1]
    print("     stalls detected after %s s; CLI during the stall: %d commands, p50 %.1f ms, "
          "p95 %.1f ms, max %.1f ms" % ({r: round(v, 2) for r, v in detected.items()},
                                         len(lat), p50 * 1e3, p95 * 1e3, worst * 1e3),
          flush=True)
    check(p95 < CLI_P95_S and worst < CLI_MAX_S, "the CLI answers while the server stalls: "
          "p95 under %.0f ms, every command under %.0f ms" % (CLI_P95_S * 1e3, CLI_MAX_S * 1e3),
          (p50, p95, worst))
    wait(x.synced, "the watcher recovers", timeout=5, got=lambda: json.dumps(x.k8s()))
    k = x.k8s()
    check("no bytes for" in k["services"]["last_error"], "the stall is the last error",
          k["services"])
    check(x.view() == x.expect(), "state right")


def t_decode_error(x):
    k0 = x.k8s()
    mark = x.log_mark()
    v0 = x.view()
    bad = svc_obj(1, cip="1.2.3")
    x.adm.apply(bad)   # not in the model: the last good copy must stay
    wait(lambda: x.k8s()["services"]["decode_errors"] == k0["services"]["decode_errors"] + 1,
         "decode_errors + 1", got=lambda: json.dumps(x.k8s()["services"]))
    bad2 = svc_obj(2)
    bad2["spec"]["ports"][0]["port"] = "80"
    x.adm.apply(bad2)
    wait(lambda: x.k8s()["services"]["decode_errors"] == k0["services"]["decode_errors"] + 2,
         "decode_errors + 2", got=lambda: json.dumps(x.k8s()["services"]))
    log = x.log_since(mark)
    for name, what in (("default/svc1", "spec.clusterIP"), ("default/svc2", "port")):
        check(re.search(r"K8S: services: .*%s.*%s.*keeping its last good state" %
                        (re.escape(name), re.escape(what)), log),
              "the error names %s and %s" % (name, what), log)
    check(x.view() == v0, "the last good copies stay applied", x.view())
    # A relist that meets the bad objects keeps them too.
    x.fault_now("gone410", "services")
    wait(lambda: x.k8s()["services"]["relists"] > k0["services"]["relists"], "relisted")
    wait(x.synced, "watching again")
    k = x.k8s()
    check(k["services"]["decode_errors"] == k0["services"]["decode_errors"] + 4,
          "both bad again in the list", k["services"])
    check(k["services"]["objects"] == 7 and x.view() == v0,
          "the relist keeps the last good copies", x.view())
    # A good copy applies again.
    x.apply(svc_obj(1, port=81), svc_obj(2))
    wait(x.view_is(x.expect()), "the fixed services apply",
         got=lambda: repr(x.view().get("default/svc1:http")))


def selects(r):
    """kube-proxy's label selector on Services and EndpointSlices; this node's
    name (and no label selector) on Nodes."""
    q = r["query"]
    if r["resource"] == "nodes":
        return q.get("fieldSelector") == "metadata.name=" + NODE and "labelSelector" not in q
    return q.get("labelSelector") == SELECTOR and "fieldSelector" not in q


def t_final(x):
    """Every watch request seen, the token never shown, no apply errors."""
    st = x.stats()
    watches = [r for r in st["log"] if r["verb"] == "watch"]
    check(len(watches) >= 10, "many watches", len(watches))
    check_timeouts(watches)
    for r in watches:
        check(r["query"].get("allowWatchBookmarks") == "true" and selects(r),
              "every watch's parameters", r["raw_query"])
    for r in st["log"]:
        if r["verb"] == "list":
            check(selects(r) and r["query"].get("limit") == str(PAGE),
                  "every list's parameters", r["raw_query"])
    rc = x.c.cmd("show running-config")
    check(x.gw_token in rc, "running-config names the token file", rc)
    x.c.cmd("show k8s")
    k = x.k8s()
    check(k["apply_errors"] == 0, "no apply errors", json.dumps(k))
    check(k["token"] is True and k["tls_verify"] is True, "token set, TLS verified", k)
    logs = x.gw.log() + "".join(o.log() for o in x.others)
    cli = "".join(Client.transcript)
    for t in x.tokens:
        check(t not in logs, "the token is not in nodegw's log")
        check(t not in cli, "the token is not in any CLI output")


def t_tls(x):
    """nodegw b: a CA the server's certificate does not chain to; nodegw c: the same
    CA with insecure_skip_tls_verify. Both run at once."""
    st0 = x.stats(log=0)
    other_ca = os.path.join(x.tmp, "other", "ca.crt")
    b = Nodegw(x.exe, x.tmp, "b")
    x.others.append(b)
    b.start(lambda p: conf_text(p, x.api_port, x.gw_token, other_ca))
    c = Nodegw(x.exe, x.tmp, "c")
    x.others.append(c)
    c.start(lambda p: conf_text(p, x.api_port, x.gw_token, other_ca, insecure=True))
    cb, cc = Client(b.port), Client(c.port)
    try:
        def both_failed():
            k = cb.json("show k8s json")
            return all(k[r]["errors"] >= 2 for r in ("services", "endpointslices")) and k
        k = wait(both_failed, "b: both resources failed twice", timeout=10,
                 got=lambda: cb.cmd("show k8s json"))
        for res in ("services", "endpointslices"):
            check(not k[res]["synced"] and re.search(r"SSL|certificate|TLS", k[res]["last_error"],
                                                     re.I),
                  "b: %s never syncs; last_error is a TLS/certificate error" % res, k[res])
        check(k["tls_verify"] is True and k["nodegw_services"] == 0, "b: verifying, nothing "
              "applied", k)
        check(cb.json("show services json") == [], "b: no services")
        check(x.stats(log=0)["tls_handshake_failures"] > st0["tls_handshake_failures"],
              "the fake saw failed TLS handshakes")

        def c_synced():
            k = cc.json("show k8s json")
            return all(k[r]["synced"] for r in ("services", "endpointslices")) and k
        k = wait(c_synced, "c: synced without verification", timeout=10,
                 got=lambda: cc.cmd("show k8s json"))
        check(k["tls_verify"] is False, "c: tls_verify false", k)
        want = x.expect()
        wait(lambda: {s["name"] for s in cc.json("show services json")} == set(want),
             "c: the same services", got=lambda: cc.cmd("show services"))
        check(re.search(r"K8S: TLS verification of https://127.0.0.1:%d is OFF" % x.api_port,
                        c.log()), "c: a warning in the log", c.log()[-3000:])
        check("is OFF" not in b.log(), "b: no such warning")
    finally:
        cb.close()
        cc.close()
        for n in (b, c):
            rc = n.stop()
            check(rc == 0, "nodegw %s exits 0 on SIGTERM" % n.tag, (rc, n.log()[-1500:]))


def t_client_cert_incluster(x):
    """A second fake server that wants client certificates (and checks no token). nodegw d
    finds it through KUBERNETES_SERVICE_HOST/PORT (no server set: in-cluster) and
    authenticates with client_cert/client_key; nodegw e, without them, is
    refused."""
    certs = os.path.join(x.tmp, "certs")
    state = os.path.join(x.tmp, "state.json")
    log = open(os.path.join(x.tmp, "fake2.log"), "wb")
    fake2, port2, _ = start_server(
        ["--tls-cert", os.path.join(certs, "server.crt"), "--tls-key",
         os.path.join(certs, "server.key"), "--client-ca", os.path.join(certs, "ca.crt"),
         "--state", state], stderr=log)
    env = dict(os.environ, KUBERNETES_SERVICE_HOST="127.0.0.1",
               KUBERNETES_SERVICE_PORT=str(port2))

    def conf(p, cert):
        text = conf_text(p, 0, x.gw_token, os.path.join(certs, "ca.crt"))
        text = re.sub(r'\tserver = .*\n', "", text)
        if cert:
            text = text.replace("\tca_file", '\tclient_cert = "%s";\n\tclient_key = "%s";\n\tca_file'
                                % (os.path.join(certs, "client.crt"),
                                   os.path.join(certs, "client.key")))
        return text

    d, e = Nodegw(x.exe, x.tmp, "d"), Nodegw(x.exe, x.tmp, "e")
    x.others += [d, e]
    try:
        d.start(lambda p: conf(p, True), env=env)
        e.start(lambda p: conf(p, False), env=env)
        cd, ce = Client(d.port), Client(e.port)
        try:
            k = wait(lambda: (lambda j: j if j["services"]["synced"] and
                              j["endpointslices"]["synced"] else None)(cd.json("show k8s json")),
                     "d: synced with a client certificate", timeout=10,
                     got=lambda: cd.cmd("show k8s"))
            check(k["server"] == "https://127.0.0.1:%d" % port2 and k["nodegw_services"] > 0,
                  "d: the in-cluster server, services", k)
            k = wait(lambda: (lambda j: j if j["services"]["errors"] >= 2 else None)(
                ce.json("show k8s json")), "e: refused without a certificate", timeout=10,
                got=lambda: ce.cmd("show k8s"))
            check(not k["services"]["synced"] and k["nodegw_services"] == 0,
                  "e: never synced", k)
        finally:
            cd.close()
            ce.close()
    finally:
        for n in (d, e):
            rc = n.stop()
            check(rc == 0, "nodegw %s exits 0 on SIGTERM" % n.tag, (rc, n.log()[-1500:]))
        stop_server(fake2)
        log.close()


# ---------------------------------------------------------------- main

def setup(x):
    for d in ("certs", "other"):
        subprocess.run(["sh", os.path.join(HERE, "gen_certs.sh"), os.path.join(x.tmp, d)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)
    tok = "tok-%s" % os.urandom(12).hex()
    x.tokens.append(tok)
    x.api_token = os.path.join(x.tmp, "api-token")
    x.gw_token = os.path.join(x.tmp, "gw-token")
    write_file(x.api_token, tok)
    write_file(x.gw_token, tok)
    for o in initial_objects():
        x.model[key(o)] = o
    state = os.path.join(x.tmp, "state.json")
    with open(state, "w") as f:
        json.dump({"objects": list(x.model.values())}, f)
    certs = os.path.join(x.tmp, "certs")
    x.fake_log = open(os.path.join(x.tmp, "fake.log"), "wb")
    x.fake, x.api_port, admin_port = start_server(
        ["--tls-cert", os.path.join(certs, "server.crt"), "--tls-key",
         os.path.join(certs, "server.key"), "--token-file", x.api_token, "--state", state,
         "--max-watch-timeout", "5"], stderr=x.fake_log)
    x.adm = Admin(admin_port)
    x.rv0 = x.adm.stats(log=0)["resource_version"]
    x.gw = Nodegw(x.exe, x.tmp, "a").start(
        lambda p: conf_text(p, x.api_port, x.gw_token, os.path.join(certs, "ca.crt")))
    x.c = Client(x.gw.port)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if shutil.which("openssl") is None:
        print("SKIP: no openssl CLI (needed by gen_certs.sh)")
        return 77
    exe = os.path.abspath(sys.argv[1])
    res = ngproc.Results()
    tmp = tempfile.mkdtemp(prefix="nodegw-k8sw-")
    x = Ctx(exe, tmp)
    t_start = time.monotonic()
    try:
        if res.run("setup: certificates, fake API server, nodegw", setup, x):
            tests = [
                ("1 initial list: label selector, pages of %d, continue; all services" % PAGE,
                 t_initial_list),
                ("2 watch parameters: watch=1, the list's RV, bookmarks, timeoutSeconds",
                 t_watch_params),
                ("3 ADDED/MODIFIED/DELETED cut across chunks reach nodegw", t_events),
                ("4 bookmarks advance the RV without changes", t_bookmarks),
                ("5 a 410 ERROR event relists at once", t_gone410),
                ("6 a relist deletes what vanished", t_relist_deletes),
                ("7 an expired continue token restarts the list", t_expire_continue),
                ("8 a dropped connection backs off and relists; services kept", t_drop),
                ("9 a 401 re-reads the token file", t_token),
                ("10 429 and 500 back off: jitter, doubling, cap", t_backoff),
                ("11+14 a stalled watch is detected; the CLI answers meanwhile", t_stall),
                ("13 an undecodable object keeps its last good copy", t_decode_error),
                ("final: every request's parameters; the token never shown", t_final),
            ]
            for name, fn in tests:
                res.run(name, fn, x)
            rc = x.gw.stop()
            res.run("nodegw a exits 0 on SIGTERM", lambda: check(
                rc == 0 and "nodegw: stopped" in x.gw.log(), "exit 0, 'stopped'",
                (rc, x.gw.log()[-1500:])))
            res.run("12 TLS is verified; insecure_skip_tls_verify syncs with a warning",
                    t_tls, x)
            res.run("15 in-cluster server from the environment; client certificate auth",
                    t_client_cert_incluster, x)
            for n in [x.gw] + x.others:
                log = n.log()
                res.run("nodegw %s: no sanitizer report" % n.tag, lambda: check(
                    "AddressSanitizer" not in log and "runtime error:" not in log and
                    "LeakSanitizer" not in log, "no sanitizer report", log[-4000:]))
    finally:
        if x.c is not None:
            x.c.close()
        for n in [x.gw] + x.others:
            if n is not None:
                try:
                    n.stop()
                except Exception:
                    traceback.print_exc()
        if x.fake is not None:
            stop_server(x.fake)
            x.fake_log.close()
        if res.failed and os.environ.get("NODEGW_KEEP_TMP"):
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed (%.1f s)" % (res.passed, len(res.failed),
                                             time.monotonic() - t_start))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
