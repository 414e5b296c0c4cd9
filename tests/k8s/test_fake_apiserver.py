#!/usr/bin/env python3
"""Self-test for the fake Kubernetes API server (tests/k8s/fake_apiserver.py).

Talks to it over TLS (verified against a CA generated here) with the standard
library only: http.client for requests and a hand-written reader of the raw
chunked encoding for watches, so chunk boundaries can be checked.  Every wait
is bounded; the servers are stopped and the temp dir removed even on failure.

    python3 tests/k8s/test_fake_apiserver.py [-v]
"""

import gc
import gzip
import http.client
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import k8s_objects as ko  # noqa: E402
from k8s_admin import Admin, start_server, stop_server, wait_ready  # noqa: E402

TOKEN = "test-token-0123456789abcdef"
SCALE = (10000, 10)

# Module state, set up once.
TMP = None
CTX = None
MAIN = None     # (proc, api_port, admin_port)
SCALEPROC = None
SCALESRV = None
LOGS = []


def _log_file(name):
    f = open(os.path.join(TMP, name + ".log"), "w")
    LOGS.append(f)
    return f


def setUpModule():
    global TMP, CTX, MAIN, SCALEPROC
    TMP = tempfile.mkdtemp(prefix="fake-apiserver-test-")
    try:
        subprocess.run([os.path.join(HERE, "gen_certs.sh"), os.path.join(TMP, "pki")],
                       check=True, timeout=30, stdout=subprocess.DEVNULL)
        with open(os.path.join(TMP, "token"), "w") as f:
            f.write(TOKEN + "\n")
        pki = os.path.join(TMP, "pki")
        tls = ["--tls-cert", os.path.join(pki, "server.crt"),
               "--tls-key", os.path.join(pki, "server.key")]
        # The scale server takes a few seconds to generate its objects: start
        # it first and let it work while the other tests run.
        SCALEPROC = start_server(tls + ["--port", "0", "--admin-port", "0", "--quiet",
                                        "--token-file", os.path.join(TMP, "token"),
                                        "--scale", "%dx%d" % SCALE],
                                 stderr=_log_file("scale"), wait=False,
                                 die_with_parent=True)
        MAIN = start_server(tls + ["--port", "0", "--admin-port", "0",
                                   "--token-file", os.path.join(TMP, "token"),
                                   "--bookmark-interval", "0.5",
                                   "--pid-file", os.path.join(TMP, "main.pid")],
                            timeout=20, stderr=_log_file("main"), die_with_parent=True)
        CTX = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    for proc in (MAIN and MAIN[0], SCALEPROC):
        if proc:
            stop_server(proc)
    for f in LOGS:
        f.close()
    if TMP and os.environ.get("KEEP_TMP"):
        print("logs kept in", TMP)
    elif TMP:
        shutil.rmtree(TMP, ignore_errors=True)


# --- client helpers ---------------------------------------------------------------

def request(port, path, token=TOKEN, headers=None, conn=None, ctx=None):
    """GET path; returns (status, headers, parsed JSON body or raw bytes)."""
    own = conn is None
    if own:
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx or CTX, timeout=10)
    try:
        h = {"Accept": "application/json"}
        if token is not None:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        conn.request("GET", path, headers=h)
        resp = conn.getresponse()
        body = resp.read()
        if resp.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        try:
            body = json.loads(body)
        except ValueError:
            pass
        return resp.status, resp.headers, body
    finally:
        if own:
            conn.close()


def list_all(port, path, limit, conn=None):
    """Page through a list; returns (items, pages, list RVs)."""
    items, pages, rvs, token = [], 0, set(), None
    while True:
        q = {"limit": limit}
        if token:
            q["continue"] = token
        sep = "&" if "?" in path else "?"
        status, _, body = request(port, path + sep + urllib.parse.urlencode(q), conn=conn)
        assert status == 200, (status, body)
        pages += 1
        items.extend(body["items"])
        rvs.add(body["metadata"]["resourceVersion"])
        token = body["metadata"].get("continue")
        if not token:
            return items, pages, rvs


class RawWatch:
    """A watch request over TLS whose chunked body is decoded by hand."""

    def __init__(self, port, path, token=TOKEN, timeout=5):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = CTX.wrap_socket(raw, server_hostname="127.0.0.1")
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: application/json\r\n"
               "User-Agent: fake-apiserver-selftest\r\n" % (path, port))
        if token:
            req += "Authorization: Bearer %s\r\n" % token
        self.sock.sendall((req + "\r\n").encode())
        self.buf = b""
        self.chunks = []        # chunk payloads, in order
        self.data = b""         # all payload bytes
        self.consumed = 0       # offset of the first unparsed event in data
        self.ended = False      # zero-length chunk seen
        head = self._read_until(b"\r\n\r\n", time.monotonic() + timeout)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.lower(): v.strip() for k, v in
                        (ln.split(":", 1) for ln in lines[1:] if ln)}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _more(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline passed")
        self.sock.settimeout(left)
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def _read_until(self, sep, deadline):
        while sep not in self.buf:
            self._more(deadline)
        head, self.buf = self.buf.split(sep, 1)
        return head

    def read_chunk(self, deadline):
        """Next chunk payload, or None at the terminating zero-length chunk."""
        size = int(self._read_until(b"\r\n", deadline).split(b";")[0], 16)
        if size == 0:
            self._read_until(b"\r\n", deadline)
            self.ended = True
            return None
        while len(self.buf) < size + 2:
            self._more(deadline)
        payload, tail, self.buf = self.buf[:size], self.buf[size:size + 2], self.buf[size + 2:]
        assert tail == b"\r\n", tail
        self.chunks.append(payload)
        self.data += payload
        return payload

    def next_event(self, timeout=5):
        """Next complete event, or None when the stream ended."""
        deadline = time.monotonic() + timeout
        while True:
            nl = self.data.find(b"\n", self.consumed)
            if nl >= 0:
                line = self.data[self.consumed:nl]
                self.consumed = nl + 1
                return json.loads(line)
            if self.ended or self.read_chunk(deadline) is None:
                return None

    def events_until(self, pred, timeout=5):
        """Collect events until pred(event) holds; returns the list."""
        deadline = time.monotonic() + timeout
        out = []
        while True:
            ev = self.next_event(max(0.01, deadline - time.monotonic()))
            if ev is None:
                raise AssertionError("stream ended before the expected event: %r" % out)
            out.append(ev)
            if pred(ev):
                return out

    def mid_object_chunks(self):
        """Chunks that ended somewhere other than an event boundary."""
        n, pos = 0, 0
        for c in self.chunks:
            pos += len(c)
            if self.data[pos - 1:pos] != b"\n":
                n += 1
        return n


def svc(ns, name, ip, **kw):
    kw.setdefault("ports", [("http", "TCP", 80)])
    return ko.service(ns, name, ip, **kw)


class Base(unittest.TestCase):
    def setUp(self):
        self.port = MAIN[1]
        self.adm = Admin(MAIN[2])
        self.adm.clear_faults()
        self.adm.config(page_expire=0, chunking="split")
        self.watches = []

    def tearDown(self):
        for w in self.watches:
            w.close()

    def watch(self, path, **kw):
        w = RawWatch(self.port, path, **kw)
        self.watches.append(w)
        return w

    def list_rv(self, resource="services"):
        path = "/api/v1/services" if resource == "services" else \
            "/apis/discovery.k8s.io/v1/endpointslices"
        status, _, body = request(self.port, path)
        self.assertEqual(status, 200, body)
        return int(body["metadata"]["resourceVersion"])

    def assertStatus(self, body, code, reason):
        self.assertEqual(body["kind"], "Status")
        self.assertEqual(body["apiVersion"], "v1")
        self.assertEqual(body["status"], "Failure")
        self.assertEqual(body["code"], code)
        self.assertEqual(body["reason"], reason)


class AuthTest(Base):
    def test_unauthorized(self):
        before = self.adm.stats(log=0)["unauthorized"]
        for token in (None, "wrong-token"):
            status, hdrs, body = request(self.port, "/api/v1/services", token=token)
            self.assertEqual(status, 401)
            self.assertEqual(hdrs["Content-Type"], "application/json")
            self.assertEqual(body, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                    "status": "Failure", "message": "Unauthorized",
                                    "reason": "Unauthorized", "code": 401})
        st = self.adm.stats()
        self.assertEqual(st["unauthorized"], before + 2)
        text = json.dumps(st)
        self.assertNotIn(TOKEN, text)
        self.assertNotIn("wrong-token", text)
        self.assertEqual(st["log"][-1]["auth"], "mismatch")
        self.assertEqual(st["log"][-1]["headers"]["Authorization"], "Bearer [mismatched]")

    def test_token_rotation(self):
        path = os.path.join(TMP, "token")
        try:
            tmp = path + ".new"
            with open(tmp, "w") as f:
                f.write("rotated-token\n")
            os.replace(tmp, path)
            self.assertEqual(request(self.port, "/api/v1/services")[0], 401)
            self.assertEqual(request(self.port, "/api/v1/services", token="rotated-token")[0], 200)
        finally:
            with open(path, "w") as f:
                f.write(TOKEN + "\n")
        self.assertEqual(request(self.port, "/api/v1/services")[0], 200)

    def test_client_certificate(self):
        pki = os.path.join(TMP, "pki")
        proc, port, _ = start_server(
            ["--port", "0", "--admin-port", "0", "--quiet",
             "--tls-cert", os.path.join(pki, "server.crt"),
             "--tls-key", os.path.join(pki, "server.key"),
             "--client-ca", os.path.join(pki, "ca.crt"),
             "--token-file", os.path.join(TMP, "token")], timeout=20,
            stderr=subprocess.DEVNULL)
        try:
            with_cert = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
            with_cert.load_cert_chain(os.path.join(pki, "client.crt"),
                                      os.path.join(pki, "client.key"))
            status, _, body = request(port, "/api/v1/services", token=None, ctx=with_cert)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["kind"], "ServiceList")
            with self.assertRaises((ssl.SSLError, OSError, http.client.HTTPException)):
                request(port, "/api/v1/services", ctx=CTX)
        finally:
            self.assertEqual(stop_server(proc), 0)


class ListTest(Base):
    def setUp(self):
        super().setUp()
        self.adm.reset([svc("page", "s%d" % i, "198.19.1.%d" % (i + 1)) for i in range(7)])

    def test_paged_list(self):
        s, _, p1 = request(self.port, "/api/v1/services?limit=3")
        self.assertEqual(s, 200)
        self.assertEqual((p1["kind"], p1["apiVersion"]), ("ServiceList", "v1"))
        self.assertEqual([i["metadata"]["name"] for i in p1["items"]], ["s0", "s1", "s2"])
        self.assertEqual(p1["metadata"]["remainingItemCount"], 4)
        for item in p1["items"]:
            self.assertNotIn("kind", item)
            self.assertNotIn("apiVersion", item)
        rv = p1["metadata"]["resourceVersion"]
        # A change between pages must not show up: pages are one snapshot.
        self.adm.apply(svc("page", "s6", "198.19.1.7", labels={"changed": "yes"}))
        s, _, p2 = request(self.port, "/api/v1/services?limit=3&continue="
                           + urllib.parse.quote(p1["metadata"]["continue"]))
        self.assertEqual(s, 200)
        self.assertEqual([i["metadata"]["name"] for i in p2["items"]], ["s3", "s4", "s5"])
        s, _, p3 = request(self.port, "/api/v1/services?limit=3&continue="
                           + urllib.parse.quote(p2["metadata"]["continue"]))
        self.assertEqual([i["metadata"]["name"] for i in p3["items"]], ["s6"])
        self.assertNotIn("labels", p3["items"][0]["metadata"])
        self.assertNotIn("continue", p3["metadata"])
        self.assertEqual({p["metadata"]["resourceVersion"] for p in (p1, p2, p3)}, {rv})
        items, pages, _ = list_all(self.port, "/api/v1/services", 3)
        self.assertEqual((len(items), pages), (7, 3))
        self.assertGreater(int(items[0]["metadata"]["resourceVersion"]), 0)
        st = self.adm.stats()
        self.assertGreaterEqual(st["continue_requests"]["services"], 4)

    def test_expired_continue(self):
        _, _, p1 = request(self.port, "/api/v1/services?limit=3")
        self.adm.fault(kind="expire-continue", resource="services")
        s, _, body = request(self.port, "/api/v1/services?limit=3&continue="
                             + urllib.parse.quote(p1["metadata"]["continue"]))
        self.assertEqual(s, 410)
        self.assertStatus(body, 410, "Expired")
        self.assertTrue(body["message"].startswith(
            "The provided continue parameter is too old to display a consistent list result."))
        # The inconsistent-continuation token in the 410 still works.
        s, _, p2 = request(self.port, "/api/v1/services?limit=3&continue="
                           + urllib.parse.quote(body["metadata"]["continue"]))
        self.assertEqual(s, 200)
        self.assertEqual([i["metadata"]["name"] for i in p2["items"]], ["s3", "s4", "s5"])
        # Time-based expiry (--page-expire, here through the admin config).
        self.adm.config(page_expire=0.3)
        _, _, p1 = request(self.port, "/api/v1/services?limit=3")
        time.sleep(0.5)
        s, _, body = request(self.port, "/api/v1/services?limit=3&continue="
                             + urllib.parse.quote(p1["metadata"]["continue"]))
        self.assertEqual(s, 410)
        self.assertStatus(body, 410, "Expired")

    def test_label_selector(self):
        self.adm.reset([
            svc("sel", "plain", "198.19.2.1", labels={"app": "a"}),
            svc("sel", "headless-labelled", "198.19.2.2",
                labels={ko.HEADLESS_LABEL: "", "app": "b"}),
            svc("sel", "proxied-elsewhere", "198.19.2.3",
                labels={ko.SERVICE_PROXY_NAME_LABEL: "other", "app": "a"}),
        ])

        def names(sel):
            s, _, body = request(self.port, "/api/v1/services?labelSelector="
                                 + urllib.parse.quote(sel))
            self.assertEqual(s, 200, body)
            return sorted(i["metadata"]["name"] for i in body["items"])

        self.assertEqual(names("!" + ko.HEADLESS_LABEL),
                         ["plain", "proxied-elsewhere"])
        self.assertEqual(names(ko.NODEGW_SELECTOR), ["plain"])
        self.assertEqual(names(ko.HEADLESS_LABEL), ["headless-labelled"])
        self.assertEqual(names("app=a"), ["plain", "proxied-elsewhere"])
        self.assertEqual(names("app!=a"), ["headless-labelled"])
        self.assertEqual(names("app=a,!" + ko.SERVICE_PROXY_NAME_LABEL), ["plain"])
        self.assertEqual(names("app in (b, c)"), ["headless-labelled"])
        s, _, body = request(self.port, "/api/v1/services?labelSelector=a%3D%3D%3Db")
        self.assertEqual(s, 400)
        self.assertStatus(body, 400, "BadRequest")

        # On a watch, an object that stops matching is reported as DELETED.
        rv = self.list_rv()
        w = self.watch("/api/v1/services?watch=1&resourceVersion=%d&labelSelector=%s"
                       % (rv, urllib.parse.quote(ko.NODEGW_SELECTOR)))
        self.adm.apply(svc("sel", "plain", "198.19.2.1",
                           labels={"app": "a", ko.SERVICE_PROXY_NAME_LABEL: "x"}))
        ev = w.next_event()
        self.assertEqual(ev["type"], "DELETED")
        self.assertEqual(ev["object"]["metadata"]["name"], "plain")
        self.assertEqual(int(ev["object"]["metadata"]["resourceVersion"]), rv + 1)

    def test_shapes(self):
        self.adm.reset([
            ko.service("shape", "np", "198.19.3.1", type="NodePort",
                       ports=[(None, "UDP", 53, 30053), ("web", "TCP", 80, 30080, "http")],
                       affinity_timeout=300),
            ko.service("shape", "lb", ["198.19.3.2"], type="LoadBalancer", etp="Local",
                       ports=[("http", "TCP", 80, 31000)], lb_ips=["198.18.200.1"],
                       lb_ip_mode="VIP", external_ips=["198.18.201.1"],
                       health_check_node_port=32000),
            ko.service("shape", "ext", None, type="ExternalName",
                       external_name="example.invalid"),
            ko.endpointslice("shape", "np-abcde", "np", ports=[("", "UDP", 53)], endpoints=[
                dict(ip="198.18.128.9", node="n1", zone="z1"),
                dict(ip="198.18.128.10", ready=None, serving=None, terminating=None, pod=False)]),
            ko.endpointslice("shape", "lb-abcde", "lb", endpoints=[], ports=None),
        ])
        s, _, np_ = request(self.port, "/api/v1/namespaces/shape/services/np")
        self.assertEqual(s, 200)
        self.assertEqual((np_["kind"], np_["apiVersion"]), ("Service", "v1"))
        spec = np_["spec"]
        self.assertEqual(spec["ports"][0], {"protocol": "UDP", "port": 53, "targetPort": 53,
                                            "nodePort": 30053})
        self.assertEqual(spec["ports"][1]["targetPort"], "http")
        self.assertEqual(spec["externalTrafficPolicy"], "Cluster")
        self.assertEqual(spec["sessionAffinityConfig"], {"clientIP": {"timeoutSeconds": 300}})
        self.assertEqual(np_["status"], {"loadBalancer": {}})
        meta = np_["metadata"]
        self.assertEqual(list(meta)[:5], ["name", "namespace", "uid", "resourceVersion",
                                          "creationTimestamp"])
        _, _, lb = request(self.port, "/api/v1/namespaces/shape/services/lb")
        self.assertEqual(lb["status"]["loadBalancer"]["ingress"],
                         [{"ip": "198.18.200.1", "ipMode": "VIP"}])
        self.assertEqual(lb["spec"]["healthCheckNodePort"], 32000)
        self.assertEqual(lb["spec"]["externalIPs"], ["198.18.201.1"])
        _, _, ext = request(self.port, "/api/v1/namespaces/shape/services/ext")
        self.assertNotIn("clusterIP", ext["spec"])
        self.assertEqual(ext["spec"]["externalName"], "example.invalid")
        s, _, bynm = request(self.port, "/api/v1/services?fieldSelector=metadata.name%3Dnp")
        self.assertEqual([i["metadata"]["name"] for i in bynm["items"]], ["np"])
        self.assertNotIn("externalTrafficPolicy",
                         ko.service("x", "y", "198.19.0.9")["spec"])
        _, _, sl = request(self.port, "/apis/discovery.k8s.io/v1/namespaces/shape/"
                           "endpointslices/np-abcde")
        self.assertEqual((sl["kind"], sl["apiVersion"]), ("EndpointSlice", "discovery.k8s.io/v1"))
        self.assertEqual(sl["addressType"], "IPv4")
        self.assertEqual(sl["ports"], [{"name": "", "protocol": "UDP", "port": 53}])
        e0, e1 = sl["endpoints"]
        self.assertEqual(e0["conditions"], {"ready": True, "serving": True, "terminating": False})
        self.assertEqual((e0["nodeName"], e0["zone"], e0["targetRef"]["kind"]), ("n1", "z1", "Pod"))
        self.assertEqual(e1, {"addresses": ["198.18.128.10"], "conditions": {}})
        labels = sl["metadata"]["labels"]
        self.assertEqual(labels[ko.SERVICE_NAME_LABEL], "np")
        self.assertEqual(labels[ko.MANAGED_BY_LABEL], ko.MANAGED_BY_CONTROLLER)
        self.assertEqual(sl["metadata"]["ownerReferences"][0]["uid"], np_["metadata"]["uid"])
        self.assertEqual(sl["metadata"]["generateName"], "np-")
        _, _, empty = request(self.port, "/apis/discovery.k8s.io/v1/namespaces/shape/"
                              "endpointslices/lb-abcde")
        self.assertIsNone(empty["endpoints"])
        self.assertIsNone(empty["ports"])
        s, _, nf = request(self.port, "/api/v1/namespaces/shape/services/missing")
        self.assertEqual(s, 404)
        self.assertStatus(nf, 404, "NotFound")


class WatchTest(Base):
    def setUp(self):
        super().setUp()
        self.adm.reset([svc("w", "base", "198.19.4.1"),
                        ko.endpointslice("w", "base-abcde", "base",
                                         endpoints=[dict(ip="198.18.128.20")],
                                         ports=[("http", "TCP", 8080)])])

    def test_events_split_across_chunks(self):
        rv = self.list_rv()
        w = self.watch("/api/v1/services?watch=1&resourceVersion=%d&timeoutSeconds=20" % rv)
        self.assertEqual(w.status, 200)
        self.assertEqual(w.headers["content-type"], "application/json")
        self.assertEqual(w.headers["transfer-encoding"], "chunked")
        self.adm.wait(lambda st: st["open_watches"] == 1, timeout=5)
        obj = svc("w", "new", "198.19.4.2")
        self.adm.apply(obj)
        self.adm.apply(svc("w", "new", "198.19.4.2", ports=[("http", "TCP", 81)]))
        self.adm.delete("services", "w", "new")
        evs = [w.next_event() for _ in range(3)]
        self.assertEqual([e["type"] for e in evs], ["ADDED", "MODIFIED", "DELETED"])
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in evs]
        self.assertEqual(rvs, [rv + 1, rv + 2, rv + 3])
        for e in evs:
            self.assertEqual((e["object"]["kind"], e["object"]["apiVersion"]), ("Service", "v1"))
            self.assertEqual(e["object"]["metadata"]["name"], "new")
        self.assertEqual(evs[1]["object"]["spec"]["ports"][0]["port"], 81)
        self.assertEqual(evs[0]["object"]["metadata"]["uid"], evs[2]["object"]["metadata"]["uid"])
        self.assertGreater(w.mid_object_chunks(), 0, "no chunk ended inside an object")
        self.assertGreater(len(w.chunks), 3)

        # A second watch from the same RV replays the three events.
        w2 = self.watch("/api/v1/services?watch=1&resourceVersion=%d&timeoutSeconds=20" % rv)
        self.assertEqual([w2.next_event()["type"] for _ in range(3)],
                         ["ADDED", "MODIFIED", "DELETED"])
        # A watch without RV starts with the current state as ADDED events.
        w3 = self.watch("/api/v1/services?watch=1&timeoutSeconds=20")
        ev = w3.next_event()
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "base"))

        st = self.adm.stats()
        last = st["last"]["services"]["watch"]
        self.assertEqual(last["query"]["watch"], "1")
        self.assertEqual(last["headers"]["Authorization"], "Bearer [matched]")
        self.assertEqual(st["open_watches_by_resource"]["services"], 3)

    def test_bookmarks_and_timeout(self):
        rv = self.list_rv("endpointslices")
        t0 = time.monotonic()
        w = self.watch("/apis/discovery.k8s.io/v1/endpointslices?watch=1&resourceVersion=%d"
                       "&allowWatchBookmarks=true&timeoutSeconds=2&labelSelector=%s"
                       % (rv, urllib.parse.quote(ko.NODEGW_SELECTOR)))
        evs = []
        while True:
            ev = w.next_event(timeout=5)
            if ev is None:
                break
            evs.append(ev)
        elapsed = time.monotonic() - t0
        self.assertTrue(w.ended, "no terminating chunk")
        self.assertTrue(1.9 <= elapsed < 4, elapsed)
        bms = [e for e in evs if e["type"] == "BOOKMARK"]
        self.assertGreaterEqual(len(bms), 2)
        for b in bms:
            o = b["object"]
            self.assertEqual((o["kind"], o["apiVersion"]), ("EndpointSlice", "discovery.k8s.io/v1"))
            self.assertEqual(int(o["metadata"]["resourceVersion"]), rv)
        st = self.adm.stats()
        q = st["last"]["endpointslices"]["watch"]["query"]
        self.assertEqual(q["allowWatchBookmarks"], "true")
        self.assertEqual(q["timeoutSeconds"], "2")
        self.assertEqual(st["last"]["endpointslices"]["watch"]["watch_end"], "timeout")

    def test_gone410_fault(self):
        rv = self.list_rv()
        self.adm.fault(kind="gone410", resource="services")
        w = self.watch("/api/v1/services?watch=1&resourceVersion=%d" % rv)
        ev = w.next_event()
        self.assertEqual(ev["type"], "ERROR")
        self.assertStatus(ev["object"], 410, "Expired")
        self.assertTrue(ev["object"]["message"].startswith("too old resource version: "))
        self.assertIsNone(w.next_event())
        self.assertTrue(w.ended)
        # ... and on an already open watch.
        w = self.watch("/api/v1/services?watch=1&resourceVersion=%d" % rv)
        self.adm.wait(lambda st: st["open_watches"] == 1, timeout=5)
        r = self.adm.fault(kind="gone410", now=True)
        self.assertEqual(r["applied_to_open_watches"], 1)
        ev = w.next_event()
        self.assertEqual((ev["type"], ev["object"]["code"]), ("ERROR", 410))
        self.assertIsNone(w.next_event())

    def test_compacted_rv(self):
        old = self.list_rv()
        self.adm.apply(svc("w", "other", "198.19.4.3"))
        new = self.adm.compact()["history_start_rv"]
        w = self.watch("/api/v1/services?watch=1&resourceVersion=%d" % old)
        ev = w.next_event()
        self.assertEqual(ev["type"], "ERROR")
        self.assertEqual(ev["object"], {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "too old resource version: %d (%d)" % (old, new),
            "reason": "Expired", "code": 410})
        self.assertIsNone(w.next_event())
        # The current RV is still fine.
        w = self.watch("/api/v1/services?watch=1&resourceVersion=%d&allowWatchBookmarks=1" % new)
        self.assertEqual(w.next_event()["type"], "BOOKMARK")

    def test_history_window(self):
        self.adm.config(history=2)
        try:
            rv = self.list_rv()
            for i in range(3):
                self.adm.apply(svc("w", "h%d" % i, "198.19.4.%d" % (40 + i)))
            w = self.watch("/api/v1/services?watch=1&resourceVersion=%d" % rv)
            self.assertEqual(w.next_event()["object"]["code"], 410)
            w = self.watch("/api/v1/services?watch=1&resourceVersion=%d" % (rv + 1))
            self.assertEqual([w.next_event()["object"]["metadata"]["name"] for _ in range(2)],
                             ["h1", "h2"])
        finally:
            self.adm.config(history=10000)

    def test_http_error_faults(self):
        self.adm.fault(kind="429", resource="services")
        s, h, body = request(self.port, "/api/v1/services?limit=500")
        self.assertEqual(s, 429)
        self.assertEqual(h["Retry-After"], "1")
        self.assertStatus(body, 429, "TooManyRequests")
        self.assertEqual(request(self.port, "/api/v1/services?limit=500")[0], 200)
        self.adm.fault(kind="500", resource="endpointslices", count=2)
        self.assertEqual(request(self.port, "/api/v1/services")[0], 200)   # other resource
        for _ in range(2):
            s, _, body = request(self.port, "/apis/discovery.k8s.io/v1/endpointslices")
            self.assertEqual(s, 500)
            self.assertStatus(body, 500, "InternalError")
        self.assertEqual(request(self.port, "/apis/discovery.k8s.io/v1/endpointslices")[0], 200)
        self.adm.fault(kind="401")
        s, _, body = request(self.port, "/api/v1/services")
        self.assertEqual(s, 401)
        self.assertStatus(body, 401, "Unauthorized")
        st = self.adm.stats(log=0)
        self.assertGreaterEqual(st["faults_fired"]["500"], 2)

    def test_drop(self):
        self.adm.fault(kind="drop", resource="services", verb="list")
        with self.assertRaises((http.client.HTTPException, OSError, ssl.SSLError)):
            request(self.port, "/api/v1/services")
        self.assertEqual(request(self.port, "/api/v1/services")[0], 200)
        # An open watch is cut in the middle of an object.
        w = self.watch("/api/v1/services?watch=1&resourceVersion=%d" % self.list_rv())
        self.adm.wait(lambda st: st["open_watches"] == 1, timeout=5)
        self.adm.fault(kind="drop", now=True)
        with self.assertRaises((EOFError, ssl.SSLError, OSError)):
            while w.read_chunk(time.monotonic() + 5) is not None:
                pass
        self.assertFalse(w.ended)
        self.assertTrue(w.data and not w.data.endswith(b"\n"), w.data[-40:])
        self.adm.wait(lambda st: st["open_watches"] == 0, timeout=5)

    def test_stall(self):
        self.adm.fault(kind="stall", resource="services")
        w = self.watch("/api/v1/services?watch=1&allowWatchBookmarks=true&resourceVersion=%d"
                       % self.list_rv())
        self.assertEqual(w.status, 200)
        t0 = time.monotonic()
        with self.assertRaises(socket.timeout):
            w.read_chunk(time.monotonic() + 2.2)
        self.assertGreaterEqual(time.monotonic() - t0, 2.0)
        self.assertEqual(w.buf, b"")
        self.assertEqual(self.adm.stats(log=0)["open_watches"], 1)
        w.close()
        # The server notices the disconnect.
        self.adm.wait(lambda st: st["open_watches"] == 0, timeout=5)

    def test_client_disconnect_noticed(self):
        w = self.watch("/api/v1/services?watch=1&resourceVersion=%d" % self.list_rv())
        self.adm.wait(lambda st: st["open_watches"] == 1, timeout=5)
        w.close()
        st = self.adm.wait(lambda st: st["open_watches"] == 0, timeout=5)
        self.assertGreaterEqual(st["watches_ended"].get("client", 0), 1)

    def test_reset_ends_watches(self):
        rv = self.list_rv()
        w = self.watch("/api/v1/services?watch=1&resourceVersion=%d" % rv)
        self.adm.wait(lambda st: st["open_watches"] == 1, timeout=5)
        new_rv = int(self.adm.reset([svc("w", "after", "198.19.4.9")])["resourceVersion"])
        self.assertIsNone(w.next_event())
        self.assertTrue(w.ended)
        self.assertGreater(new_rv, rv)
        w = self.watch("/api/v1/services?watch=1&resourceVersion=%d" % rv)
        self.assertEqual(w.next_event()["object"]["code"], 410)

    def test_chunking_modes(self):
        for mode in ("line", "random"):
            self.adm.call("POST", "/chunking", {"mode": mode})
            rv = self.list_rv()
            w = self.watch("/api/v1/services?watch=1&resourceVersion=%d" % rv)
            for i in range(5):
                self.adm.apply(svc("w", "c%d" % i, "198.19.4.%d" % (20 + i)))
            names = [w.next_event()["object"]["metadata"]["name"] for _ in range(5)]
            self.assertEqual(names, ["c%d" % i for i in range(5)])
            if mode == "line":
                self.assertEqual(w.mid_object_chunks(), 0)
                self.assertEqual(len(w.chunks), 5)


class CliTest(Base):
    def test_cli(self):
        f = os.path.join(TMP, "obj.json")
        with open(f, "w") as fh:
            json.dump(svc("cli", "one", "198.19.5.1"), fh)
        cli = [sys.executable, os.path.join(HERE, "k8s_admin.py"), "--admin-port", str(MAIN[2])]
        out = subprocess.run(cli + ["apply", f], check=True, capture_output=True, timeout=20)
        self.assertEqual(json.loads(out.stdout)["type"], "ADDED")
        out = subprocess.run(cli + ["fault", '{"kind":"500","count":1}'], check=True,
                             capture_output=True, timeout=20)
        self.assertEqual(json.loads(out.stdout)["fault"]["kind"], "500")
        self.assertEqual(request(self.port, "/api/v1/services")[0], 500)
        out = subprocess.run(cli + ["delete", "services", "cli", "one"], check=True,
                             capture_output=True, timeout=20)
        self.assertEqual(json.loads(out.stdout)["type"], "DELETED")
        out = subprocess.run(cli + ["stats"], check=True, capture_output=True, timeout=20)
        self.assertIn("requests", json.loads(out.stdout))


class ScaleTest(unittest.TestCase):
    def test_scale_list(self):
        global SCALESRV
        if SCALESRV is None:
            t0 = time.monotonic()
            SCALESRV = wait_ready(SCALEPROC, timeout=40)
            print("\nscale server ready after another %.1fs" % (time.monotonic() - t0),
                  file=sys.stderr, end="")
        port = SCALESRV[0]
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=CTX, timeout=30)
        # Keeping 20k parsed objects alive makes the cyclic GC rescan them
        # after every page; that would time this client, not the server.
        gc.disable()
        try:
            t0 = time.monotonic()
            svcs, sp, srvs = list_all(port, "/api/v1/services", 500, conn=conn)
            t1 = time.monotonic()
            slices, ep, erv = list_all(port, "/apis/discovery.k8s.io/v1/endpointslices", 500,
                                       conn=conn)
            t2 = time.monotonic()
            # A gzip'd page, as a client offering gzip would get it.
            s, h, body = request(port, "/api/v1/services?limit=500", conn=conn,
                                 headers={"Accept-Encoding": "gzip"})
            self.assertEqual((s, h["Content-Encoding"], len(body["items"])), (200, "gzip", 500))
        finally:
            gc.enable()
            conn.close()
        print("\nscale %dx%d: %d services in %d pages %.2fs, %d slices in %d pages %.2fs"
              % (SCALE + (len(svcs), sp, t1 - t0, len(slices), ep, t2 - t1)), file=sys.stderr)
        self.assertEqual((len(svcs), sp), (SCALE[0], SCALE[0] // 500))
        self.assertEqual((len(slices), ep), (SCALE[0], SCALE[0] // 500))
        self.assertEqual(len(srvs), 1)
        self.assertEqual(len(erv), 1)
        net = ipaddress.ip_network("198.18.0.0/15")
        cips = [s["spec"]["clusterIP"] for s in svcs]
        self.assertEqual(len(set(cips)), SCALE[0])
        self.assertTrue(all(ipaddress.ip_address(ip) in net for ip in cips))
        n_eps = 0
        for sl in slices:
            self.assertEqual(len(sl["endpoints"]), SCALE[1])
            for e in sl["endpoints"]:
                self.assertIn(ipaddress.ip_address(e["addresses"][0]), net)
                n_eps += 1
        self.assertEqual(n_eps, SCALE[0] * SCALE[1])
        self.assertLess(t2 - t0, 30)


class ScaleDataTest(unittest.TestCase):
    """The scale generator and the list page cache, without a server."""

    def test_cluster_ips_unique_to_the_max(self):
        ips = [ko.scale_cluster_ip(i) for i in range(ko.SCALE_MAX_SERVICES)]
        self.assertEqual(len(set(ips)), ko.SCALE_MAX_SERVICES)
        net = ipaddress.ip_network("198.18.0.0/15")
        reserved = [ipaddress.ip_network("198.18.0.0/23"), ko.SCALE_POD_NET,
                    ko.SCALE_CHANGE_NET]
        for ip in map(ipaddress.ip_address, ips):
            self.assertIn(ip, net)
            self.assertFalse(any(ip in r for r in reserved), str(ip))
        with self.assertRaises(ValueError):
            ko.scale_cluster_ip(ko.SCALE_MAX_SERVICES)

    def test_scale_pair_is_what_scale_objects_makes(self):
        whole = list(ko.scale_objects(12, 3))
        created = whole[0]["metadata"]["creationTimestamp"]
        for i in (0, 5, 11):
            svc, sl = ko.scale_pair(i, 3, created=created)
            for a, b in ((whole[2 * i], svc), (whole[2 * i + 1], sl)):
                # managedFields carry the time they were made: compare the rest
                a, b = dict(a), dict(b)
                a["metadata"] = {k: v for k, v in a["metadata"].items() if k != "managedFields"}
                b["metadata"] = {k: v for k, v in b["metadata"].items() if k != "managedFields"}
                self.assertEqual(a, b)
        part = list(ko.scale_objects(2, 3, first=10))
        self.assertEqual([o["metadata"]["name"] for o in part],
                         [o["metadata"]["name"] for o in whole[20:24]])

    def test_page_cache(self):
        import fake_apiserver as fa
        store = fa.Store(100, 1000)
        store.load(ko.scale_objects(120, 2))
        pages = fa.PageCache()
        lsel = fa.parse_label_selector(ko.NODEGW_SELECTOR)
        self.assertEqual(pages.prepare(store, "endpointslices", 50, lsel, True), 3)
        snap = store.snapshot("endpointslices", register=True)
        start, items = "", []
        while start is not None:
            body, gz, nxt = pages.page(snap, start, 50, None, lsel, [], True)
            built, built_next = fa.list_page(snap, start, 50, None, lsel, [])
            self.assertEqual((gzip.decompress(body) if gz else body, nxt), (built, built_next))
            items += json.loads(built)["items"]
            start = nxt
        self.assertEqual([i["metadata"]["name"] for i in items], [e.name for e in snap.entries])
        self.assertEqual(pages.stats()["hits"], 3)
        # A change makes a new snapshot: its pages are built afresh.
        store.apply(ko.scale_pair(3, 2)[1])
        snap2 = store.snapshot("endpointslices", register=True)
        pages.page(snap2, "", 50, None, lsel, [], True)
        self.assertEqual(pages.stats()["misses"], 4)


class ShutdownTest(unittest.TestCase):
    def test_plain_state_sigterm(self):
        """--plain, --state and --pid-file; SIGTERM with a watch open exits 0."""
        pid_file = os.path.join(TMP, "sd.pid")
        state = os.path.join(TMP, "state.json")
        with open(state, "w") as f:
            json.dump({"objects": [svc("st", "a", "198.19.6.1"),
                                   ko.endpointslice("st", "a-xyz12", "a")]}, f)
        proc, port, admin = start_server(
            ["--plain", "--port", "0", "--admin-port", "0", "--quiet", "--pid-file", pid_file,
             "--state", state, "--initial-rv", "5000"], timeout=20, stderr=subprocess.DEVNULL)
        w = None
        try:
            with open(pid_file) as f:
                self.assertEqual(int(f.read()), proc.pid)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/apis/discovery.k8s.io/v1/endpointslices")
            body = json.loads(conn.getresponse().read())
            conn.close()
            self.assertEqual(body["metadata"]["resourceVersion"], "5002")
            self.assertEqual(body["items"][0]["metadata"]["name"], "a-xyz12")
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            conn.sendall(b"GET /api/v1/services?watch=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            w = conn
            Admin(admin).wait(lambda st: st["open_watches"] == 1, timeout=5)
        finally:
            rc = stop_server(proc)
            if w:
                w.close()
        self.assertEqual(rc, 0)
        self.assertFalse(os.path.exists(pid_file))


if __name__ == "__main__":
    if shutil.which("openssl") is None:
        print("SKIP: the openssl CLI is needed to generate certificates", file=sys.stderr)
        sys.exit(77)
    t0 = time.monotonic()
    prog = unittest.main(exit=False, verbosity=2 if "-v" in sys.argv else 1)
    print("total %.1fs" % (time.monotonic() - t0), file=sys.stderr)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
