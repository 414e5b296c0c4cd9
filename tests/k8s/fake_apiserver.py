#!/usr/bin/env python3
"""A fake Kubernetes API server for testing nodegw's watcher (Python 3 stdlib only).

It serves the two resources the watcher reads -- core/v1 Services and
discovery.k8s.io/v1 EndpointSlices -- over HTTPS (or plain HTTP with --plain),
with bearer-token and optional client-certificate authentication, paged lists,
chunked watch streams with bookmarks, an etcd-like global resourceVersion with
a bounded event history, and fault injection.  A second, plain-HTTP listener
on 127.0.0.1 (the "admin" port) lets a test change the state, inject faults
and read statistics.  See README.md next to this file for the admin API.

Wire format
-----------
Lists and watch streams are modelled on what kube-apiserver v1.28+ sends for
`kubectl get --raw '/api/v1/services?limit=500'` and for a raw watch
(`...?watch=1&allowWatchBookmarks=true`):

* A list is `{"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":
  "N"[,"continue":"T","remainingItemCount":R]},"items":[...]}`; the items carry
  no kind/apiVersion.  Items are ordered by namespace/name (the etcd key order).
  Bodies over 2 KiB are sent chunked and bodies over 128 KiB are gzipped when
  the client offers gzip, as Go's net/http and the apiserver do.
* A watch is a chunked 200 response whose body is a sequence of
  `{"type":T,"object":{...}}` documents, each followed by a newline; objects in
  events do carry kind/apiVersion.  Errors after the headers are sent as an
  ERROR event whose object is a metav1.Status.  A real server sends one event
  per chunk; this one can cut events at arbitrary byte offsets (--chunking).
* Error responses are metav1.Status objects with the fields in Go struct order
  (kind, apiVersion, metadata, status, message, reason, details, code).
* Bookmarks are empty objects of the watched kind with only
  metadata.resourceVersion set; Go writes the zero creationTimestamp as null and
  keeps non-omitempty fields (spec/status, addressType/endpoints/ports).

resourceVersion semantics follow the API concepts document: a watch from RV
X delivers every change with RV > X, or an ERROR 410 "Expired" when X is older
than the retained history; a watch with RV "" or "0" first sends synthetic
ADDED events for the current state.  A list with resourceVersion=0 is served
in one piece (the watch cache ignores limit), other lists are consistent
snapshots that continue tokens page through.
"""

import argparse
import base64
import bisect
import collections
import gzip
import hmac
import http.server
import itertools
import json
import os
import random
import re
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k8s_objects  # noqa: E402  (sibling module)


# --- resources ----------------------------------------------------------------

class Resource:
    def __init__(self, plural, kind, group_version, list_kind, bookmark_body,
                 cluster_scoped=False):
        self.plural = plural
        self.cluster_scoped = cluster_scoped  # no namespace: its key is "/NAME"
        self.kind = kind
        self.api_version = group_version
        self.group = group_version.split("/")[0] if "/" in group_version else ""
        self.list_kind = list_kind
        self.bookmark_body = bookmark_body  # fields after metadata in a bookmark
        # Prefix spliced in front of a stored item to make a full object.
        self.kind_prefix = ('{"kind":"%s","apiVersion":"%s",' % (kind, group_version)).encode()


RESOURCES = {
    "services": Resource("services", "Service", "v1", "ServiceList",
                         ',"spec":{},"status":{"loadBalancer":{}}'),
    "endpointslices": Resource("endpointslices", "EndpointSlice", "discovery.k8s.io/v1",
                               "EndpointSliceList",
                               ',"addressType":"","endpoints":null,"ports":null'),
    "nodes": Resource("nodes", "Node", "v1", "NodeList", ',"spec":{},"status":{}',
                      cluster_scoped=True),
}
KIND_TO_RESOURCE = {r.kind: r.plural for r in RESOURCES.values()}
RESOURCE_ALIASES = {"services": "services", "service": "services", "svc": "services",
                    "endpointslices": "endpointslices", "endpointslice": "endpointslices",
                    "Service": "services", "EndpointSlice": "endpointslices",
                    "nodes": "nodes", "node": "nodes", "Node": "nodes"}

# ObjectMeta fields in Go struct order; unknown keys keep their order after these.
META_ORDER = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
              "generation", "creationTimestamp", "deletionTimestamp",
              "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
              "finalizers", "managedFields")

EXPIRED_CONTINUE_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, or use the continue token "
    "in this response to retrieve the remainder of the results. Continuing with the "
    "provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may "
    "show up in the list.")

RV_EPOCH = 1704067200     # 2024-01-01T00:00:00Z, the base of the default --initial-rv
GZIP_MIN = 128 * 1024     # apiserver compresses responses larger than this
CHUNKED_MIN = 2048        # Go's net/http switches to chunked above its buffer
LIST_CHUNK = 32 * 1024    # chunk size for chunked list bodies


def dumps(obj):
    """Compact JSON as Go's encoding/json writes it: UTF-8, no spaces, and
    <, >, &, U+2028, U+2029 escaped."""
    s = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    if any(c in s for c in "<>&\u2028\u2029"):
        s = (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
             .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return s


def status_obj(code, reason, message, details=None, metadata=None):
    st = {"kind": "Status", "apiVersion": "v1", "metadata": metadata or {},
          "status": "Failure", "message": message, "reason": reason}
    if details is not None:
        st["details"] = details
    st["code"] = code
    return st


def http_fault_status(code, resource):
    """The Status a real server would send for an injected HTTP error."""
    res = resource or "services"
    table = {
        401: ("Unauthorized", "Unauthorized", None),
        403: ("Forbidden",
              '%s is forbidden: User "system:serviceaccount:kube-system:nodegw" cannot list '
              'resource "%s" in API group "%s" at the cluster scope'
              % (res, res, RESOURCES[res].group if res in RESOURCES else ""),
              {"kind": res}),
        404: ("NotFound", "the server could not find the requested resource", {}),
        429: ("TooManyRequests", "Too many requests, please try again later.",
              {"retryAfterSeconds": 1}),
        500: ("InternalError", "Internal error occurred: injected fault",
              {"causes": [{"message": "injected fault"}]}),
        503: ("ServiceUnavailable", "the server is currently unable to handle the request",
              {"retryAfterSeconds": 1}),
        504: ("Timeout", "the server was unable to return a response in the time allotted, "
              "but may still be processing the request", {}),
    }
    reason, message, details = table[code]
    return status_obj(code, reason, message, details)


def expired_status(requested, oldest):
    return status_obj(410, "Expired", "too old resource version: %d (%d)" % (requested, oldest))


# --- label and field selectors ------------------------------------------------

_LABEL_TOKEN = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_SET_TERM = re.compile(r"^(\S+)\s+(in|notin)\s*\((.*)\)$")


def _split_top_level(s):
    """Split on commas that are not inside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def parse_label_selector(s):
    """Parse a label selector into a list of (op, key, values) requirements.

    Supported: `key`, `!key`, `key=v`, `key==v`, `key!=v`, `key in (a,b)`,
    `key notin (a,b)`, comma-separated (all must hold).  Raises ValueError."""
    reqs = []
    if not s or not s.strip():
        return reqs
    for term in _split_top_level(s):
        term = term.strip()
        if not term:
            raise ValueError("empty requirement in %r" % s)
        m = _SET_TERM.match(term)
        if m:
            key, op = m.group(1), m.group(2)
            vals = {v.strip() for v in m.group(3).split(",")}
        elif term.startswith("!"):
            key, op, vals = term[1:].strip(), "!", None
        elif "!=" in term:
            key, _, v = term.partition("!=")
            op, vals = "!=", {v.strip()}
        elif "==" in term:
            key, _, v = term.partition("==")
            op, vals = "=", {v.strip()}
        elif "=" in term:
            key, _, v = term.partition("=")
            op, vals = "=", {v.strip()}
        else:
            key, op, vals = term, "exists", None
        key = key.strip()
        if not _LABEL_TOKEN.match(key) or any(not _LABEL_VALUE.match(v) for v in vals or ()):
            raise ValueError("unable to parse requirement: %r" % term)
        reqs.append((op, key, vals))
    return reqs


def labels_match(reqs, labels):
    for op, key, vals in reqs:
        has = key in labels
        if op == "exists" and not has:
            return False
        if op == "!" and has:
            return False
        if op in ("=", "in") and (not has or labels[key] not in vals):
            return False
        # != and notin also match objects without the key (as in Kubernetes).
        if op in ("!=", "notin") and has and labels[key] in vals:
            return False
    return True


def selected(e, ns, fsel, lsel):
    """Does object e pass a request's namespace, field selector (parsed:
    (key, value, negated)) and label selector (parsed requirements)?"""
    if ns is not None and e.ns != ns:
        return False
    for key, val, neg in fsel:
        have = e.name if key == "metadata.name" else e.ns
        if (have == val) == neg:
            return False
    return labels_match(lsel, e.labels)


def parse_field_selector(s):
    """Only metadata.name and metadata.namespace with =, ==, != are supported."""
    reqs = []
    if not s:
        return reqs
    for term in s.split(","):
        neg = "!=" in term
        key, _, val = term.partition("!=" if neg else ("==" if "==" in term else "="))
        key = key.strip()
        if key not in ("metadata.name", "metadata.namespace"):
            raise ValueError('field label not supported: %s' % key)
        reqs.append((key, val.strip(), neg))
    return reqs


# --- store ------------------------------------------------------------------------

class Entry:
    """One stored object version.  item_json is the serialised object without
    kind/apiVersion (the List item form); body decodes it again when asked
    (rarely: an update or delete of the object), so that 100,000 stored
    objects cost their JSON and not a tree of Python dicts as well."""
    __slots__ = ("resource", "ns", "name", "key", "labels", "rv", "item_json")

    def __init__(self, resource, body, rv):
        meta = body["metadata"]
        self.resource = resource
        self.ns = meta.get("namespace", "")
        self.name = meta["name"]
        self.key = self.ns + "/" + self.name
        self.labels = meta.get("labels") or {}
        self.rv = rv
        self.item_json = dumps(body).encode()

    @property
    def body(self):
        return json.loads(self.item_json)

    def object_json(self):
        """Full object (with kind/apiVersion) as bytes."""
        return RESOURCES[self.resource].kind_prefix + self.item_json[1:]

    def with_rv(self, rv):
        """A copy carrying another resourceVersion (for DELETED events)."""
        body = self.body
        body["metadata"]["resourceVersion"] = str(rv)
        return Entry(self.resource, body, rv)


class Event:
    __slots__ = ("rv", "resource", "type", "new", "old", "_line")

    def __init__(self, rv, resource, type_, new, old):
        self.rv, self.resource, self.type, self.new, self.old = rv, resource, type_, new, old
        self._line = None

    def line(self):
        if self._line is None:
            self._line = event_line(self.type, self.new)
        return self._line


def event_line(type_, entry):
    return b'{"type":"' + type_.encode() + b'","object":' + entry.object_json() + b"}\n"


class Snapshot:
    """The sorted contents of one resource at one resourceVersion, kept so
    that continue tokens page through a consistent list."""
    __slots__ = ("resource", "rv", "entries", "keys", "created")

    def __init__(self, resource, rv, entries, keys):
        self.resource, self.rv, self.entries, self.keys = resource, rv, entries, keys
        self.created = time.monotonic()


class Store:
    MAX_SNAPSHOTS = 64
    LIVE_SLACK = 4096

    def __init__(self, initial_rv, history_limit):
        self.cond = threading.Condition()
        self.rv = initial_rv
        self.objects = {r: {} for r in RESOURCES}     # resource -> key -> Entry
        self.sorted = {r: None for r in RESOURCES}    # cached (entries, keys)
        # Event history: self.events[self.ev_off:] are kept.  A new watch from
        # RV >= history_start_rv can be served (the last history_limit events);
        # an open watch that falls below live_start_rv has lost events.
        self.events = []
        self.ev_off = 0
        self.history_limit = history_limit
        self.history_start_rv = initial_rv
        self.live_start_rv = initial_rv
        self.snapshots = collections.OrderedDict()    # (resource, rv) -> Snapshot
        self.epoch = 0                                # bumped by reset()

    # -- helpers (caller holds self.cond) --

    def _normalize(self, obj, rv, old):
        kind = obj.get("kind")
        resource = KIND_TO_RESOURCE.get(kind)
        if resource is None:
            raise ValueError("unsupported kind %r (want Service, EndpointSlice or Node)" % kind)
        meta_in = obj.get("metadata") or {}
        if not meta_in.get("name"):
            raise ValueError("metadata.name is required")
        fields = dict(meta_in)
        if RESOURCES[resource].cluster_scoped:
            fields.pop("namespace", None)
        else:
            fields.setdefault("namespace", "default")
        # Like an update on a real server: uid and creationTimestamp persist.
        if old is not None:
            old_meta = old.body["metadata"]
            fields["uid"] = old_meta["uid"]
            fields["creationTimestamp"] = old_meta["creationTimestamp"]
            if resource == "endpointslices":
                fields["generation"] = old_meta.get("generation", 1) + 1
        fields.setdefault("uid", str(uuid.uuid4()))
        fields.setdefault("creationTimestamp", k8s_objects.timestamp())
        fields["resourceVersion"] = str(rv)
        for m in ("labels", "annotations"):
            if fields.get(m):
                fields[m] = {k: str(fields[m][k]) for k in sorted(fields[m])}
            else:
                fields.pop(m, None)
        meta = {k: fields[k] for k in META_ORDER if k in fields}
        meta.update((k, v) for k, v in fields.items() if k not in meta)
        body = {"metadata": meta}
        body.update((k, v) for k, v in obj.items() if k not in ("kind", "apiVersion", "metadata"))
        return resource, body

    def _changed(self, resource):
        self.sorted[resource] = None

    def _record(self, ev):
        self.events.append(ev)
        self._trim()
        self.cond.notify_all()

    def _trim(self):
        retained = len(self.events) - self.ev_off
        if retained > self.history_limit:
            # The newest event a new watch can no longer start before.
            forgotten = self.events[len(self.events) - self.history_limit - 1]
            self.history_start_rv = max(self.history_start_rv, forgotten.rv)
        # Open watches read from the same list, so it physically keeps
        # LIVE_SLACK more events than new watches may ask for.
        excess = retained - (self.history_limit + self.LIVE_SLACK)
        if excess > 0:
            self.ev_off += excess
            self.live_start_rv = self.events[self.ev_off - 1].rv
            if self.ev_off > 1024 and self.ev_off * 2 > len(self.events):
                del self.events[:self.ev_off]
                self.ev_off = 0

    def _sorted(self, resource):
        if self.sorted[resource] is None:
            entries = sorted(self.objects[resource].values(), key=lambda e: e.key)
            self.sorted[resource] = (entries, [e.key for e in entries])
        return self.sorted[resource]

    # -- public API (takes the lock) --

    def load(self, objs):
        """Initial state: each object gets its own RV, no events are recorded."""
        with self.cond:
            for obj in objs:
                self.rv += 1
                resource, body = self._normalize(obj, self.rv, None)
                e = Entry(resource, body, self.rv)
                self.objects[resource][e.key] = e
            for r in RESOURCES:
                self._changed(r)
            self.history_start_rv = self.live_start_rv = self.rv

    def apply(self, obj):
        with self.cond:
            resource = KIND_TO_RESOURCE.get(obj.get("kind"))
            meta = obj.get("metadata") or {}
            ns = "" if RESOURCES[resource].cluster_scoped else meta.get("namespace") or "default"
            key = "%s/%s" % (ns, meta.get("name"))
            old = self.objects.get(resource, {}).get(key)
            resource, body = self._normalize(obj, self.rv + 1, old)
            self.rv += 1
            e = Entry(resource, body, self.rv)
            self.objects[resource][e.key] = e
            self._changed(resource)
            type_ = "MODIFIED" if old is not None else "ADDED"
            self._record(Event(self.rv, resource, type_, e, old))
            return type_, self.rv

    def delete(self, resource, ns, name):
        with self.cond:
            old = self.objects[resource].pop(ns + "/" + name, None)
            if old is None:
                return None
            self.rv += 1
            self._changed(resource)
            self._record(Event(self.rv, resource, "DELETED", old.with_rv(self.rv), old))
            return self.rv

    def reset(self, objs):
        """Replace everything without events, as if the server had been
        restored from another state; older RVs can no longer be watched."""
        with self.cond:
            new = {r: {} for r in RESOURCES}
            rv = self.rv + 1
            for obj in objs:       # build first: a bad object changes nothing
                rv += 1
                resource, body = self._normalize(obj, rv, None)
                e = Entry(resource, body, rv)
                new[resource][e.key] = e
            self.rv = rv
            self.objects = new
            for r in RESOURCES:
                self._changed(r)
            self._compact()
            self.epoch += 1
            self.cond.notify_all()
            return self.rv

    @staticmethod
    def validate(obj):
        if not isinstance(obj, dict) or obj.get("kind") not in KIND_TO_RESOURCE:
            raise ValueError("unsupported object (want kind Service, EndpointSlice or Node): "
                             "%.80r" % (obj,))
        if not (obj.get("metadata") or {}).get("name"):
            raise ValueError("metadata.name is required")

    def _compact(self):
        self.events = []
        self.ev_off = 0
        self.history_start_rv = self.live_start_rv = self.rv
        self.snapshots.clear()

    def compact(self):
        with self.cond:
            self._compact()
            self.cond.notify_all()
            return self.rv

    def expire_snapshots(self):
        with self.cond:
            n = len(self.snapshots)
            self.snapshots.clear()
            return n

    def set_history_limit(self, n):
        with self.cond:
            self.history_limit = n
            self._trim()

    def snapshot(self, resource, register):
        """Current sorted contents; registered snapshots back continue tokens."""
        with self.cond:
            entries, keys = self._sorted(resource)
            snap = self.snapshots.get((resource, self.rv))
            if snap is None:
                snap = Snapshot(resource, self.rv, entries, keys)
                if register:
                    self.snapshots[(resource, self.rv)] = snap
                    while len(self.snapshots) > self.MAX_SNAPSHOTS:
                        self.snapshots.popitem(last=False)
            return snap

    def find_snapshot(self, resource, rv):
        with self.cond:
            return self.snapshots.get((resource, rv))

    def get(self, resource, ns, name):
        with self.cond:
            return self.objects[resource].get(ns + "/" + name)

    def all_objects(self):
        with self.cond:
            return self.rv, [e for r in RESOURCES for e in self._sorted(r)[0]]

    def counts(self):
        with self.cond:
            return {r: len(self.objects[r]) for r in RESOURCES}

    def events_after(self, rv):
        """Retained events with RV > rv (caller holds the lock)."""
        i = bisect.bisect_right(self.events, rv, lo=self.ev_off, key=lambda ev: ev.rv)
        return self.events[i:]


def encode_continue(rv, start):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start},
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_continue(tok):
    try:
        raw = base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4))
        d = json.loads(raw)
        if d.get("v") != "meta.k8s.io/v1" or not isinstance(d["rv"], int) \
                or not isinstance(d["start"], str):
            raise ValueError
        return d["rv"], d["start"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("continue key is not valid: incorrect encoded start resourceVersion "
                         "(version meta.k8s.io/v1)")


# --- faults -------------------------------------------------------------------------

HTTP_FAULTS = {"401": 401, "403": 403, "404": 404, "429": 429, "500": 500, "503": 503,
               "504": 504}
WATCH_ACTIONS = ("drop", "stall", "gone410", "end")
FAULT_KINDS = set(HTTP_FAULTS) | {"drop", "stall", "gone410", "end", "expire-continue", "slow"}


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.pending = []
        self.fired = collections.Counter()
        self.ids = itertools.count(1)

    @staticmethod
    def validate(spec):
        if not isinstance(spec, dict):
            raise ValueError("fault must be a JSON object")
        kind = str(spec.get("kind"))
        if kind not in FAULT_KINDS:
            raise ValueError("unknown fault kind %r (one of %s)" % (kind, sorted(FAULT_KINDS)))
        resource = spec.get("resource", "any")
        if resource != "any":
            resource = RESOURCE_ALIASES.get(resource)
            if resource is None:
                raise ValueError("resource must be services, endpointslices, nodes or any")
        default_verb = {"stall": "watch", "gone410": "watch", "end": "watch",
                        "expire-continue": "list"}.get(kind, "any")
        verb = spec.get("verb", default_verb)
        if verb not in ("list", "watch", "get", "any"):
            raise ValueError("verb must be list, watch, get or any")
        now = bool(spec.get("now", False))
        if now and kind not in WATCH_ACTIONS:
            raise ValueError('"now" only applies to %s' % (WATCH_ACTIONS,))
        count = int(spec.get("count", 0 if now else 1))
        f = {"kind": kind, "count": count, "resource": resource, "verb": verb, "now": now}
        if kind == "slow":
            f["seconds"] = float(spec.get("seconds", 1.0))
        if kind == "drop":
            f["rst"] = bool(spec.get("rst", False))
        return f

    def add(self, f):
        with self.lock:
            f = dict(f, id=next(self.ids))
            if f["count"] > 0:
                self.pending.append(f)
            return f

    def take(self, resource, verb, has_continue):
        with self.lock:
            for f in self.pending:
                if f["resource"] not in ("any", resource):
                    continue
                if f["verb"] not in ("any", verb):
                    continue
                if f["kind"] == "expire-continue" and not has_continue:
                    continue
                if f["kind"] in ("stall", "gone410", "end") and verb != "watch" \
                        and not (f["kind"] == "stall" and f["verb"] == "list"):
                    continue
                f["count"] -= 1
                if f["count"] <= 0:
                    self.pending.remove(f)
                self.fired[f["kind"]] += 1
                return dict(f)
        return None

    def note_fired(self, kind, n=1):
        with self.lock:
            self.fired[kind] += n

    def clear(self):
        with self.lock:
            n = len(self.pending)
            self.pending = []
            return n

    def snapshot(self):
        with self.lock:
            return [dict(f) for f in self.pending], dict(self.fired)


# --- statistics ---------------------------------------------------------------------

class Stats:
    LOG_MAX = 1000

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.seq = itertools.count(1)
            self.requests = {r: collections.Counter() for r in RESOURCES}
            self.other = 0
            self.total = 0
            self.codes = collections.Counter()
            self.unauthorized = 0
            self.continue_requests = collections.Counter()
            self.watches_started = 0
            self.watch_end = collections.Counter()
            self.events_sent = 0
            self.bookmarks_sent = 0
            self.error_events_sent = 0
            self.tls_failures = 0
            self.last = {r: {} for r in RESOURCES}
            self.log = collections.deque(maxlen=self.LOG_MAX)

    def begin(self, handler, resource, ns, verb, url, query, auth):
        headers = {}
        for k, v in handler.headers.items():
            if k.lower() == "authorization":
                # Never record the credential itself, only whether it matched.
                v = {"ok": "Bearer [matched]", "mismatch": "Bearer [mismatched]",
                     "bad-scheme": "[not a bearer token]"}.get(auth, "[present]")
            headers[k] = v
        now = time.time()
        req = {"seq": None, "time": now, "monotonic": time.monotonic(), "method": handler.command,
               "path": url.path, "resource": resource, "namespace": ns, "verb": verb,
               "query": query, "raw_query": url.query, "headers": headers, "auth": auth,
               "status": None, "fault": None,
               "client": "%s:%s" % handler.client_address[:2]}
        with self.lock:
            req["seq"] = next(self.seq)
            self.total += 1
            if resource in RESOURCES:
                self.requests[resource][verb] += 1
                self.last[resource][verb] = req
                if "continue" in query:
                    self.continue_requests[resource] += 1
            else:
                self.other += 1
            self.log.append(req)
        return req

    def status(self, req, code):
        with self.lock:
            self.codes[str(code)] += 1
            if code == 401:
                self.unauthorized += 1
            if req is not None:
                req["status"] = code

    def add(self, **kw):
        with self.lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)

    def watch_ended(self, req, reason, events, started):
        with self.lock:
            self.watch_end[reason] += 1
            if req is not None:
                req["watch_end"] = reason
                req["watch_events"] = events
                req["watch_seconds"] = round(time.monotonic() - started, 3)

    def to_json(self, app, log_n=100):
        pending, fired = app.faults.snapshot()
        with app.store.cond:
            rv, hstart, epoch = app.store.rv, app.store.history_start_rv, app.store.epoch
        counts = app.store.counts()
        watches = app.open_watches()
        with self.lock:
            out = {
                "resource_version": rv,
                "history_start_rv": hstart,
                "reset_epoch": epoch,
                "objects": counts,
                "requests_total": self.total,
                "requests": {r: {v: self.requests[r].get(v, 0) for v in ("list", "watch", "get")}
                             for r in RESOURCES},
                "requests_other": self.other,
                "status_codes": dict(self.codes),
                "unauthorized": self.unauthorized,
                "continue_requests": {r: self.continue_requests.get(r, 0) for r in RESOURCES},
                "open_watches": len(watches),
                "open_watches_by_resource": {r: sum(1 for w in watches if w.resource == r)
                                             for r in RESOURCES},
                "open_watch_requests": [w.req for w in watches],
                "watches_started": self.watches_started,
                "watches_ended": dict(self.watch_end),
                "events_sent": self.events_sent,
                "bookmarks_sent": self.bookmarks_sent,
                "error_events_sent": self.error_events_sent,
                "tls_handshake_failures": self.tls_failures,
                "list_pages": app.pages.stats(),
                "faults_pending": pending,
                "faults_fired": fired,
                "last": self.last,
                "log": list(self.log)[-log_n:] if log_n > 0 else [],
            }
            return json.dumps(out, indent=1, default=str).encode()


# --- the application ------------------------------------------------------------------

class Watch:
    def __init__(self, wid, resource, req):
        self.id, self.resource, self.req = wid, resource, req
        self.action = None      # set by the admin thread: drop|stall|gone410|end


class App:
    def __init__(self, args):
        self.args = args
        self.store = Store(args.initial_rv, args.history)
        self.faults = Faults()
        self.stats = Stats()
        self.cfg_lock = threading.Lock()
        self.cfg = {
            "chunking": args.chunking,
            "chunk_delay": args.chunk_delay,
            "bookmark_interval": args.bookmark_interval,
            "page_expire": args.page_expire,
            "history": args.history,
            "max_watch_timeout": args.max_watch_timeout,
            "default_watch_timeout": args.default_watch_timeout,
            "gzip": args.gzip,
            "quiet": args.quiet,
        }
        self.token_file = args.token_file
        self.cert_auth = bool(args.client_ca)
        self.watches = {}
        self.watch_ids = itertools.count(1)
        self.watch_lock = threading.Lock()
        self.stopping = threading.Event()
        self.rng_seed = args.seed
        self.pages = PageCache()

    def conf(self, key):
        with self.cfg_lock:
            return self.cfg[key]

    def set_conf(self, changes):
        known = {"chunking": str, "chunk_delay": float, "bookmark_interval": float,
                 "page_expire": float, "history": int, "max_watch_timeout": float,
                 "default_watch_timeout": float, "gzip": str, "quiet": bool}
        for k, v in changes.items():
            if k not in known:
                raise ValueError("unknown setting %r (known: %s)" % (k, sorted(known)))
            v = known[k](v)
            if k == "chunking" and v not in ("line", "split", "random"):
                raise ValueError("chunking must be line, split or random")
            if k == "gzip" and v not in ("auto", "never"):
                raise ValueError("gzip must be auto or never")
            with self.cfg_lock:
                self.cfg[k] = v
            if k == "history":
                self.store.set_history_limit(v)
        with self.cfg_lock:
            return dict(self.cfg)

    def log(self, msg):
        if not self.conf("quiet"):
            sys.stderr.write("fake-apiserver: %s\n" % msg)
            sys.stderr.flush()

    def register_watch(self, resource, req):
        with self.watch_lock:
            w = Watch(next(self.watch_ids), resource, req)
            self.watches[w.id] = w
        self.stats.add(watches_started=1)
        return w

    def unregister_watch(self, w):
        with self.watch_lock:
            self.watches.pop(w.id, None)

    def open_watches(self):
        with self.watch_lock:
            return list(self.watches.values())

    def act_on_watches(self, action, resource):
        """Apply a fault to the currently open watches; returns how many."""
        n = 0
        for w in self.open_watches():
            if resource in ("any", w.resource) and w.action is None:
                w.action = action
                n += 1
        with self.store.cond:
            self.store.cond.notify_all()
        return n


# --- chunking ------------------------------------------------------------------------------

def plan_chunks(mode, lines, rng):
    """Cut a batch of serialised events into chunk payloads.

    line:   one event per chunk (what kube-apiserver does).
    split:  every event is cut in 2-3 pieces at random offsets; a piece may
            also carry the head of the next event, so chunks both split and
            join objects.  One of the cuts is often placed right after a quote
            or backslash, i.e. inside a string or an escape sequence.
    random: chunk sizes drawn at random (1 byte up to twice an event)
            regardless of event boundaries.
    The last chunk always ends at the end of the batch, so nothing is held back.
    """
    if mode == "line" or not lines:
        return list(lines)
    buf = b"".join(lines)
    cuts = set()
    if mode == "split":
        pos = 0
        for ln in lines:
            n = len(ln)
            if n >= 4:
                k = rng.choice((1, 2))
                offs = set(rng.sample(range(1, n), k))
                if rng.random() < 0.5:
                    # Right after a quote or backslash: inside a string/escape.
                    specials = [m.start() + 1 for m in re.finditer(rb'["\\]', ln)
                                if 0 < m.start() + 1 < n]
                    if specials:
                        offs.pop()
                        offs.add(rng.choice(specials))
                cuts.update(pos + o for o in offs)
            pos += n
    else:
        avg = max(2, len(buf) // len(lines))
        pos = 0
        while True:
            size = rng.randint(1, 8) if rng.random() < 0.15 else rng.randint(1, 2 * avg)
            pos += size
            if pos >= len(buf):
                break
            cuts.add(pos)
    bounds = [0] + sorted(cuts) + [len(buf)]
    return [buf[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


# --- list pages ----------------------------------------------------------------------------

def gzip_body(body, client_gzip):
    """(bytes, gzipped?): body gzipped when it is large enough and the client
    takes gzip, as the apiserver does (GZIP_MIN)."""
    if client_gzip and len(body) > GZIP_MIN:
        return gzip.compress(body, compresslevel=1), True
    return body, False


def list_page(snap, start, limit, ns, lsel, fsel):
    """(body, next start key or None) of one list page of snapshot snap from
    key start on."""
    r = RESOURCES[snap.resource]
    n = len(snap.keys)
    i = bisect.bisect_left(snap.keys, start)
    items = []
    while i < n and (limit == 0 or len(items) < limit):
        e = snap.entries[i]
        if selected(e, ns, fsel, lsel):
            items.append(e.item_json)
        i += 1
    meta = {"resourceVersion": str(snap.rv)}
    next_start = None
    if i < n and limit:
        next_start = snap.keys[i - 1] + "\x00"
        meta["continue"] = encode_continue(snap.rv, next_start)
        # Like the real server: no count when a label/field selector is used.
        if not lsel and not fsel:
            meta["remainingItemCount"] = n - i if ns is None else \
                sum(1 for e in snap.entries[i:] if e.ns == ns)
    return b"".join([
        b'{"kind":"', r.list_kind.encode(), b'","apiVersion":"', r.api_version.encode(),
        b'","metadata":', dumps(meta).encode(), b',"items":[', b",".join(items),
        b"]}\n"]), next_start


class PageCache:
    """List pages as sent (gzipped or not), kept per snapshot, start key,
    limit and selectors.  A snapshot never changes, so neither does a page of
    it: at 100,000 objects, building and compressing pages while the client
    waits would make this server, not the client, the slow side of a list.
    prepare() builds a whole paged list ahead (--prepare-lists).  The oldest
    pages go once the cache holds more than max_bytes."""

    def __init__(self, max_bytes=512 << 20):
        self.lock = threading.Lock()
        self.pages = collections.OrderedDict()
        self.bytes = 0
        self.max_bytes = max_bytes
        self.hits = self.misses = 0

    @staticmethod
    def _key(snap, start, limit, ns, lsel, fsel, gz):
        # Every change moves the resourceVersion: (resource, rv) names the content.
        return (snap.resource, snap.rv, start, limit, ns, repr(lsel), repr(fsel), gz)

    def page(self, snap, start, limit, ns, lsel, fsel, gz):
        """(body, gzipped?, next start key or None) of a page, built and kept
        on a miss."""
        key = self._key(snap, start, limit, ns, lsel, fsel, gz)
        with self.lock:
            hit = self.pages.get(key)
            if hit is not None:
                self.hits += 1
                return hit
            self.misses += 1
        body, next_start = list_page(snap, start, limit, ns, lsel, fsel)
        out = gzip_body(body, gz) + (next_start,)
        with self.lock:
            if key not in self.pages:
                self.pages[key] = out
                self.bytes += len(out[0])
            while self.bytes > self.max_bytes and len(self.pages) > 1:
                _, old = self.pages.popitem(last=False)
                self.bytes -= len(old[0])
        return out

    def prepare(self, store, resource, limit, lsel, gz):
        """Build every page of a paged list of resource now; returns the
        number of pages."""
        snap = store.snapshot(resource, register=True)
        start, n = "", 0
        while start is not None:
            start = self.page(snap, start, limit, None, lsel, [], gz)[2]
            n += 1
        return n

    def stats(self):
        with self.lock:
            return {"pages": len(self.pages), "bytes": self.bytes, "hits": self.hits,
                    "misses": self.misses}


# --- HTTP plumbing -------------------------------------------------------------------------

class ClientGone(Exception):
    """The watch client disconnected (or a write to it failed)."""


class BaseHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send_response(self, code, message=None):
        # Like Go's net/http: Date, but no Server header.
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def log_message(self, fmt, *args):
        self.server.app.log("%s %s" % (self.address_string(), fmt % args))

    def reply(self, code, body, ctype="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


class APIHandler(BaseHandler):
    # Idle keep-alive connections (and stuck writes) give up after this long.
    timeout = 120

    def setup(self):
        super().setup()
        self.req = None

    def send_response(self, code, message=None):
        super().send_response(code, message)
        self.server.app.stats.status(self.req, code)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.server.app.log('%s "%s" %d auth=%s' % (
            self.address_string(), self.requestline, code,
            self.req["auth"] if self.req else "-"))

    def log_request(self, code="-", size="-"):
        pass  # logged in send_response

    def send_status(self, st, headers=()):
        self.reply(st["code"], (dumps(st) + "\n").encode(), headers=headers)

    # -- routing --

    _PATHS = [
        (re.compile(r"^/api/v1/(services)/?$"), False),
        (re.compile(r"^/api/v1/(nodes)(?:/([^/]+))?/?$"), None),
        (re.compile(r"^/api/v1/namespaces/([^/]+)/(services)(?:/([^/]+))?/?$"), True),
        (re.compile(r"^/apis/discovery\.k8s\.io/v1/(endpointslices)/?$"), False),
        (re.compile(r"^/apis/discovery\.k8s\.io/v1/namespaces/([^/]+)/(endpointslices)"
                    r"(?:/([^/]+))?/?$"), True),
    ]

    @classmethod
    def route(cls, path):
        for rx, namespaced in cls._PATHS:
            m = rx.match(path)
            if m:
                if namespaced is None:    # cluster-scoped: namespace ""
                    return m.group(1), "", \
                        urllib.parse.unquote(m.group(2)) if m.group(2) else None
                if namespaced:
                    return m.group(2), urllib.parse.unquote(m.group(1)), \
                        urllib.parse.unquote(m.group(3)) if m.group(3) else None
                return m.group(1), None, None
        return None

    def authenticate(self):
        """ok | cert | anonymous (accepted) or missing | mismatch | bad-scheme."""
        app = self.server.app
        cert_ok = False
        if app.cert_auth and isinstance(self.connection, ssl.SSLSocket):
            cert_ok = bool(self.connection.getpeercert())
        if app.token_file is None:
            return "cert" if cert_ok else "anonymous"
        try:
            with open(app.token_file, "r") as f:
                expected = f.read().strip()   # re-read on every request: rotation
        except OSError:
            expected = ""
        hdr = self.headers.get("Authorization")
        if hdr is None:
            return "cert" if cert_ok else "missing"
        scheme, _, value = hdr.strip().partition(" ")
        if scheme.lower() != "bearer":
            return "cert" if cert_ok else "bad-scheme"
        if expected and hmac.compare_digest(value.strip().encode(), expected.encode()):
            return "ok"
        return "cert" if cert_ok else "mismatch"

    def do_GET(self):
        app = self.server.app
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in
                 urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        if url.path in ("/healthz", "/livez", "/readyz"):
            return self.reply(200, b"ok", ctype="text/plain; charset=utf-8")
        if url.path == "/version":
            return self.reply(200, (dumps({
                "major": "1", "minor": "29", "gitVersion": "v1.29.0-nodegw-fake",
                "gitCommit": "0" * 40, "gitTreeState": "clean",
                "buildDate": "2024-01-01T00:00:00Z", "goVersion": "go1.21.5",
                "compiler": "gc", "platform": "linux/amd64"}) + "\n").encode())
        route = self.route(url.path)
        resource, ns, name = route if route else (None, None, None)
        watch = query.get("watch", "").lower() in ("1", "true")
        verb = "watch" if watch else ("get" if name else "list")
        auth = self.authenticate()
        self.req = app.stats.begin(self, resource, ns, verb if resource else None, url, query, auth)
        if auth not in ("ok", "cert", "anonymous"):
            return self.send_status(status_obj(401, "Unauthorized", "Unauthorized"))
        if route is None:
            return self.send_status(status_obj(
                404, "NotFound", "the server could not find the requested resource", {}))
        fault = app.faults.take(resource, verb, "continue" in query)
        if fault:
            self.req["fault"] = fault["kind"]
            app.log("injecting fault %s into %s %s" % (fault["kind"], verb, resource))
            kind = fault["kind"]
            if kind == "drop":
                return self.drop(fault.get("rst", False))
            if kind in HTTP_FAULTS:
                code = HTTP_FAULTS[kind]
                headers = [("Retry-After", "1")] if code in (429, 503) else []
                return self.send_status(http_fault_status(code, resource), headers)
            if kind == "slow":
                time.sleep(fault["seconds"])
            if kind == "stall" and verb != "watch":
                return self.stall(headers_sent=False)
        try:
            fsel = parse_field_selector(query.get("fieldSelector", ""))
            lsel = parse_label_selector(query.get("labelSelector", ""))
        except ValueError as e:
            return self.send_status(status_obj(400, "BadRequest", str(e)))
        if verb == "get":
            return self.serve_get(resource, ns, name)
        if verb == "list":
            return self.serve_list(resource, ns, lsel, fsel, query, fault)
        return self.serve_watch(resource, ns, lsel, fsel, query, fault)

    def _refuse(self):
        st = status_obj(405, "MethodNotAllowed",
                        "the server does not allow this method on the requested resource", {})
        self.close_connection = True
        self.send_status(st)

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

    # -- faults --

    def drop(self, rst=False):
        """Close the connection with no (further) response bytes."""
        self.close_connection = True
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()
        except OSError:
            pass

    def client_gone(self):
        """True if the peer closed the connection (checked without blocking)."""
        sock = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return True
        if not readable:
            return False
        old = sock.gettimeout()
        try:
            sock.settimeout(0)
            if isinstance(sock, ssl.SSLSocket):
                data = sock.recv(1)        # a TLS record: close_notify -> b""
            else:
                data = sock.recv(1, socket.MSG_PEEK)
            return data == b""             # unexpected request bytes: ignore
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except (OSError, ssl.SSLError):
            return True
        finally:
            try:
                sock.settimeout(old)
            except OSError:
                pass

    def stall(self, headers_sent):
        """Send nothing more until the client disconnects (or we stop)."""
        app = self.server.app
        self.close_connection = True
        if not headers_sent:
            app.log("stalling %s without a response" % self.requestline)
        while not app.stopping.is_set():
            if self.client_gone():
                return "client"
            time.sleep(0.1)
        return "shutdown"

    # -- single GET and LIST --

    def serve_get(self, resource, ns, name):
        e = self.server.app.store.get(resource, ns, name)
        if e is None:
            r = RESOURCES[resource]
            details = {"name": name, "kind": resource}
            if r.group:
                details = {"name": name, "group": r.group, "kind": resource}
            label = resource if not r.group else resource + "." + r.group
            return self.send_status(status_obj(404, "NotFound", '%s "%s" not found'
                                               % (label, name), details))
        self.reply(200, e.object_json() + b"\n")

    def serve_list(self, resource, ns, lsel, fsel, query, fault):
        app = self.server.app
        store = app.store
        r = RESOURCES[resource]
        try:
            limit = int(query.get("limit") or 0)
            if limit < 0:
                raise ValueError
        except ValueError:
            return self.send_status(status_obj(400, "BadRequest", "invalid limit"))
        rv_param = query.get("resourceVersion", "")
        token = query.get("continue", "")
        if token:
            try:
                tok_rv, start = decode_continue(token)
            except ValueError as e:
                return self.send_status(status_obj(400, "BadRequest", str(e)))
            if tok_rv == -1:  # the inconsistent-continuation token of a 410
                snap = store.snapshot(resource, register=False)
            else:
                snap = store.find_snapshot(resource, tok_rv)
                expire = app.conf("page_expire")
                if snap is not None and expire > 0 and time.monotonic() - snap.created > expire:
                    snap = None
                if fault and fault["kind"] == "expire-continue":
                    snap = None
            if snap is None:
                st = status_obj(410, "Expired", EXPIRED_CONTINUE_MESSAGE,
                                metadata={"continue": encode_continue(-1, start)})
                return self.send_status(st)
        else:
            start = ""
            if rv_param not in ("", "0"):
                try:
                    want = int(rv_param)
                except ValueError:
                    return self.send_status(status_obj(400, "BadRequest",
                                                       "invalid resourceVersion %r" % rv_param))
                if want > store.rv:
                    return self.send_status(too_large_status(want, store.rv))
            if rv_param == "0":
                limit = 0   # served from the watch cache, which ignores limit
            snap = store.snapshot(resource, register=limit > 0)
            snap.created = time.monotonic()   # --page-expire counts from the first page

        gz = app.conf("gzip") == "auto" and "gzip" in self.headers.get("Accept-Encoding", "")
        self.send_body(*app.pages.page(snap, start, limit, ns, lsel, fsel, gz)[:2])

    def send_body(self, body, gz):
        """A 200 JSON body (gzip_body()'s output: gz says whether it is
        gzipped), framed the way Go's net/http would frame it."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if gz:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        if len(body) <= CHUNKED_MIN:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for off in range(0, len(body), LIST_CHUNK):
            self.write_chunk(body[off:off + LIST_CHUNK])
        self.wfile.write(b"0\r\n\r\n")

    # -- WATCH --

    def write_chunk(self, data):
        if data:  # an empty chunk would end the stream
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def write_events(self, lines, rng, mode=None):
        """Write serialised events using the configured chunking."""
        if not lines:
            return
        app = self.server.app
        chunks = plan_chunks(mode or app.conf("chunking"), lines, rng)
        # Pause between pieces of small batches so that the pieces reach the
        # client in separate reads; big backlogs are written back to back.
        delay = app.conf("chunk_delay") if len(lines) <= 8 and len(chunks) > 1 else 0
        try:
            for i, c in enumerate(chunks):
                if i and delay:
                    time.sleep(delay)
                self.write_chunk(c)
        except (OSError, ssl.SSLError, ValueError) as e:
            raise ClientGone(str(e))

    def serve_watch(self, resource, ns, lsel, fsel, query, fault):
        app = self.server.app
        store = app.store
        r = RESOURCES[resource]
        rv_param = query.get("resourceVersion", "")
        bookmarks = query.get("allowWatchBookmarks", "").lower() in ("1", "true")
        initial = query.get("sendInitialEvents", "").lower() == "true"
        try:
            timeout = float(query.get("timeoutSeconds") or 0)
        except ValueError:
            return self.send_status(status_obj(400, "BadRequest", "invalid timeoutSeconds"))
        if timeout <= 0:
            timeout = app.conf("default_watch_timeout")
        cap = app.conf("max_watch_timeout")
        if cap > 0:
            timeout = min(timeout, cap)
        started = time.monotonic()
        deadline = started + timeout

        filtered = ns is not None or lsel or fsel

        def match(e):
            return e is not None and selected(e, ns, fsel, lsel)

        def convert(ev):
            """Event as this watcher sees it (selectors turn a MODIFIED into
            ADDED/DELETED when an object starts or stops matching)."""
            if ev.resource != resource:
                return None
            if not filtered:
                return ev.line()
            if ev.type == "ADDED":
                return ev.line() if match(ev.new) else None
            if ev.type == "DELETED":
                return ev.line() if match(ev.old) else None
            now_m, was_m = match(ev.new), match(ev.old)
            if now_m and was_m:
                return ev.line()
            if now_m:
                return event_line("ADDED", ev.new)
            if was_m:
                return event_line("DELETED", ev.old.with_rv(ev.rv))
            return None

        too_old = None
        with store.cond:
            epoch = store.epoch
            if rv_param in ("", "0") or initial:
                synth = [e for e in store._sorted(resource)[0] if not filtered or match(e)]
                last_rv = store.rv
            else:
                try:
                    last_rv = int(rv_param)
                except ValueError:
                    return self.send_status(status_obj(
                        400, "BadRequest", "invalid resourceVersion %r" % rv_param))
                if last_rv > store.rv:
                    return self.send_status(too_large_status(last_rv, store.rv))
                if last_rv < store.history_start_rv:
                    too_old = expired_status(last_rv, store.history_start_rv)
                synth = []

        w = app.register_watch(resource, self.req)
        rng = random.Random(None if self.server.app.rng_seed is None
                            else self.server.app.rng_seed * 1000003 + w.id)
        end = "error"
        sent = 0
        counted = False   # watch_ended() already called
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

            if fault and fault["kind"] == "stall":
                end = "stall-" + self.stall(headers_sent=True)
                return

            def bookmark(rv, annotations=None):
                meta = {"resourceVersion": str(rv), "creationTimestamp": None}
                if annotations:
                    meta["annotations"] = annotations
                obj = r.kind_prefix + b'"metadata":' + dumps(meta).encode() + \
                    r.bookmark_body.encode() + b"}"
                app.stats.add(bookmarks_sent=1)
                return b'{"type":"BOOKMARK","object":' + obj + b"}\n"

            def error_event(st):
                app.stats.add(error_events_sent=1)
                return b'{"type":"ERROR","object":' + dumps(st).encode() + b"}\n"

            if too_old is not None:
                self.write_events([error_event(too_old)], rng)
                end = "expired"
                app.stats.watch_ended(self.req, end, sent, started)
                counted = True
                self.wfile.write(b"0\r\n\r\n")
                return

            lines = [event_line("ADDED", e) for e in synth]
            if initial and bookmarks:
                lines.append(bookmark(last_rv, {"k8s.io/initial-events-end": "true"}))
            self.write_events(lines, rng)
            sent += len(synth)
            app.stats.add(events_sent=len(synth))

            pending_action = None
            if fault and fault["kind"] in ("gone410", "end"):
                pending_action = fault["kind"]   # after the replay below
            interval = app.conf("bookmark_interval")
            next_bookmark = time.monotonic() + interval
            while True:
                batch = []
                # Come out of the wait now and then to notice a vanished client.
                check_client_at = time.monotonic() + 0.5
                with store.cond:
                    while True:
                        action = pending_action or w.action
                        if action is None and app.stopping.is_set():
                            action = "shutdown"
                        if action is None and store.epoch != epoch:
                            action = "reset"
                        if action is None and last_rv < store.live_start_rv:
                            action = "behind"     # compacted before we caught up
                        if action in ("reset", "behind"):
                            break
                        # Every RV step but a reset records an event, so this
                        # batch holds every change up to store.rv.
                        batch = store.events_after(last_rv)
                        last_rv = store.rv
                        if action or batch:
                            break
                        now = time.monotonic()
                        if now >= deadline or (bookmarks and now >= next_bookmark) \
                                or now >= check_client_at:
                            break
                        wake = min(deadline, next_bookmark if bookmarks else deadline,
                                   check_client_at)
                        store.cond.wait(max(0.0, wake - now))
                lines = [ln for ln in (convert(ev) for ev in batch) if ln]

                if action == "drop":
                    # Cut the stream in the middle of an object, then close.
                    victim = lines[0] if lines else bookmark(last_rv)
                    try:
                        self.write_chunk(victim[:max(1, len(victim) // 2)])
                    except (OSError, ssl.SSLError, ValueError):
                        pass
                    self.drop()
                    end = "fault-drop"
                    return
                if action == "stall":
                    end = "stall-" + self.stall(headers_sent=True)
                    return
                self.write_events(lines, rng)
                sent += len(lines)
                app.stats.add(events_sent=len(lines))
                if action == "gone410":
                    # Events so far are delivered, then the watch "expires".
                    self.write_events([error_event(expired_status(
                        last_rv, max(store.history_start_rv, last_rv + 1)))], rng)
                if action is not None:   # gone410 | end | reset | behind | shutdown
                    end = "fault-gone410" if action == "gone410" else action
                    # counted before the client can see the end (tests read stats then)
                    app.stats.watch_ended(self.req, end, sent, started)
                    counted = True
                    self.wfile.write(b"0\r\n\r\n")
                    return

                now = time.monotonic()
                if bookmarks and now >= next_bookmark:
                    self.write_events([bookmark(last_rv)], rng)
                    next_bookmark = now + interval
                if now >= deadline:
                    end = "timeout"
                    app.stats.watch_ended(self.req, end, sent, started)
                    counted = True
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if self.client_gone():
                    raise ClientGone("peer closed")
        except ClientGone:
            end = "client"
            self.close_connection = True
        except (OSError, ssl.SSLError, ValueError):
            end = "client"
            self.close_connection = True
        finally:
            app.unregister_watch(w)
            if not counted:
                app.stats.watch_ended(self.req, end, sent, started)
            app.log("watch %s #%d ended: %s after %.1fs, %d events"
                    % (resource, w.id, end, time.monotonic() - started, sent))
            if end not in ("timeout", "expired", "end", "reset", "fault-gone410", "behind",
                           "shutdown"):
                self.close_connection = True


def too_large_status(want, have):
    return status_obj(504, "Timeout", "Too large resource version: %d, current: %d" % (want, have),
                      {"causes": [{"reason": "ResourceVersionTooLarge",
                                   "message": "Too large resource version"}],
                       "retryAfterSeconds": 1})


class AdminHandler(BaseHandler):
    timeout = 30

    def json_reply(self, code, obj):
        body = obj if isinstance(obj, bytes) else (json.dumps(obj) + "\n").encode()
        self.reply(code, body)
        if self.path.split("?")[0] not in ("/stats", "/health"):   # polled often
            self.server.app.log("admin %s %s -> %d" % (self.command, self.path, code))

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw.strip() else {}

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        app = self.server.app
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        try:
            body = self.body() if method == "POST" else {}
            result = self.handle_admin(app, method, path, body)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            return self.json_reply(400, {"error": str(e)})
        if result is None:
            return self.json_reply(404, {"error": "no such admin call: %s %s" % (method, path)})
        code, obj = result
        self.json_reply(code, obj)

    def handle_admin(self, app, method, path, body):
        store = app.store
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/health":
            return 200, {"ok": True, "resource_version": store.rv}
        if method == "GET" and path == "/stats":
            return 200, app.stats.to_json(app, int(self.query.get("log", 100)))
        if method == "POST" and path == "/stats/reset":
            app.stats.reset()
            return 200, {"ok": True}
        if method == "GET" and path == "/objects":
            rv, entries = store.all_objects()
            objs = [json.loads(e.object_json()) for e in entries]
            return 200, {"resourceVersion": str(rv), "objects": objs}
        if method == "POST" and path == "/objects":
            objs = objects_from(body)
            for obj in objs:
                store.validate(obj)
            results = []
            for obj in objs:
                type_, rv = store.apply(obj)
                results.append({"type": type_, "resourceVersion": str(rv)})
            return 200, results[0] if len(results) == 1 else {"results": results}
        if method == "DELETE" and len(parts) in (3, 4) and parts[0] == "objects":
            resource = RESOURCE_ALIASES.get(parts[1])
            if resource is None:
                raise ValueError("unknown resource %r" % parts[1])
            if len(parts) == 3 and not RESOURCES[resource].cluster_scoped:
                raise ValueError("%s are namespaced: DELETE /objects/%s/NS/NAME"
                                 % (resource, resource))
            rv = store.delete(resource, urllib.parse.unquote(parts[2]) if len(parts) == 4 else "",
                              urllib.parse.unquote(parts[-1]))
            if rv is None:
                return 404, {"error": "not found"}
            return 200, {"type": "DELETED", "resourceVersion": str(rv)}
        if method == "POST" and path == "/reset":
            objs = objects_from(body)
            rv = store.reset(objs)   # also ends the open watches cleanly
            return 200, {"resourceVersion": str(rv), "objects": len(objs)}
        if method == "POST" and path == "/fault":
            f = Faults.validate(body)
            applied = 0
            if f["now"]:
                applied = app.act_on_watches(f["kind"], f["resource"])
                app.faults.note_fired(f["kind"], applied)
            f = app.faults.add(f)
            return 200, {"fault": f, "applied_to_open_watches": applied}
        if method == "GET" and path == "/fault":
            return 200, {"pending": app.faults.snapshot()[0]}
        if method == "DELETE" and path == "/fault":
            return 200, {"cleared": app.faults.clear()}
        if method == "POST" and path == "/compact":
            return 200, {"history_start_rv": store.compact()}
        if method == "POST" and path == "/expire-continue":
            return 200, {"expired_snapshots": store.expire_snapshots()}
        if method == "GET" and path == "/config":
            with app.cfg_lock:
                return 200, dict(app.cfg)
        if method == "POST" and path == "/config":
            return 200, app.set_conf(body)
        if method == "POST" and path == "/chunking":
            return 200, app.set_conf({"chunking": body.get("mode")})
        return None


def objects_from(body):
    """Accept an object, a list of objects, {"objects":[...]} or a k8s List."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        if "objects" in body:
            return list(body["objects"])
        if "items" in body:
            kind = body.get("kind", "")
            return [dict(it, kind=it.get("kind") or kind[:-4] or None,
                         apiVersion=it.get("apiVersion") or body.get("apiVersion"))
                    for it in body["items"]]
        if "kind" in body:
            return [body]
    raise ValueError("expected an object, a list, {\"objects\": [...]} or a List")


# --- servers -------------------------------------------------------------------------------

class APIServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, app, ssl_ctx):
        self.app = app
        self.ssl_ctx = ssl_ctx
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        super().__init__(addr, APIHandler)

    def get_request(self):
        sock, addr = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the per-connection thread, so a slow
        # or broken client cannot block the accept loop.
        if self.ssl_ctx is None:
            return super().finish_request(request, client_address)
        request.settimeout(10)
        try:
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.app.stats.add(tls_failures=1)
            self.app.log("TLS handshake with %s failed: %s" % (client_address[0], e))
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout)):
            return
        super().handle_error(request, client_address)


class AdminServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, app):
        self.app = app
        super().__init__(addr, AdminHandler)


def parse_scale(s):
    m = re.match(r"^(\d+)[xX](\d+)$", s)
    if not m:
        raise argparse.ArgumentTypeError("--scale wants SxE, e.g. 10000x10")
    return int(m.group(1)), int(m.group(2))


def build_parser():
    p = argparse.ArgumentParser(description="Fake Kubernetes API server for nodegw tests.")
    p.add_argument("--bind", default="127.0.0.1", help="API listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="API port (0 = pick a free one)")
    p.add_argument("--admin-port", type=int, default=0,
                   help="admin port on 127.0.0.1 (0 = pick a free one)")
    p.add_argument("--tls-cert", help="server certificate (PEM)")
    p.add_argument("--tls-key", help="server private key (PEM)")
    p.add_argument("--client-ca", help="require client certificates signed by this CA; a "
                   "valid certificate also authenticates requests without a token")
    p.add_argument("--plain", action="store_true", help="serve plain HTTP instead of TLS")
    p.add_argument("--token-file", help="require 'Authorization: Bearer <contents>' "
                   "(file re-read on every request)")
    p.add_argument("--state", help='JSON file {"objects":[...]} to preload')
    p.add_argument("--scale", type=parse_scale, help="synthesise S services x E endpoints (SxE)")
    p.add_argument("--initial-rv", type=int, default=None,
                   help="resourceVersion counter start (default: milliseconds since "
                   "2024-01-01, so a restarted server continues above the RVs of the "
                   "previous run, like an apiserver restarted on the same etcd; a client "
                   "watching from an old RV then gets 410 and relists)")
    p.add_argument("--history", type=int, default=10000,
                   help="events kept for watches from an old RV (default 10000)")
    p.add_argument("--page-expire", type=float, default=0,
                   help="continue tokens expire after this many seconds (0 = never)")
    p.add_argument("--chunking", choices=("line", "split", "random"), default="split",
                   help="how watch events map to HTTP chunks (default split)")
    p.add_argument("--chunk-delay", type=float, default=0.005,
                   help="pause between the chunks of a small batch (default 0.005 s)")
    p.add_argument("--bookmark-interval", type=float, default=1.0,
                   help="seconds between bookmarks (default 1)")
    p.add_argument("--default-watch-timeout", type=float, default=1800,
                   help="watch length when the client sends no timeoutSeconds")
    p.add_argument("--max-watch-timeout", type=float, default=0,
                   help="cap on a watch's timeoutSeconds (0 = no cap)")
    p.add_argument("--gzip", choices=("auto", "never"), default="auto",
                   help="gzip list bodies > 128 KiB when the client accepts gzip")
    p.add_argument("--prepare-lists", type=int, metavar="LIMIT",
                   help="build the gzipped pages of a limit=LIMIT list of each resource "
                   "with nodegw's label selector before reporting READY (scale runs)")
    p.add_argument("--seed", type=int, help="random seed for chunking (reproducible runs)")
    p.add_argument("--pid-file", help="write the process id here (removed on exit)")
    p.add_argument("--quiet", action="store_true", help="no request log on stderr")
    return p


def load_state_file(path):
    with open(path) as f:
        return objects_from(json.load(f))


def main(argv=None):
    args = build_parser().parse_args(argv)
    if not args.plain and not (args.tls_cert and args.tls_key):
        sys.exit("fake_apiserver: --tls-cert and --tls-key are required (or --plain)")
    if args.plain and args.client_ca:
        sys.exit("fake_apiserver: --client-ca needs TLS")

    if args.initial_rv is None:
        args.initial_rv = int((time.time() - RV_EPOCH) * 1000)
    app = App(args)
    t0 = time.monotonic()
    n = 0
    if args.state:
        objs = load_state_file(args.state)
        app.store.load(objs)
        n += len(objs)
        del objs
    if args.scale:
        # streamed: the objects' dicts never all exist at once
        app.store.load(k8s_objects.scale_objects(*args.scale))
        n += 2 * args.scale[0]
    if n:
        app.log("generated and loaded %d objects in %.2fs, resourceVersion %d"
                % (n, time.monotonic() - t0, app.store.rv))
    if args.prepare_lists:
        t0 = time.monotonic()
        lsel = parse_label_selector(k8s_objects.NODEGW_SELECTOR)
        n = sum(app.pages.prepare(app.store, r, args.prepare_lists, lsel, args.gzip == "auto")
                for r in ("services", "endpointslices"))
        app.log("prepared %d list pages (%d bytes) in %.2fs"
                % (n, app.pages.stats()["bytes"], time.monotonic() - t0))

    ctx = None
    if not args.plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED

    api = APIServer((args.bind, args.port), app, ctx)
    admin = AdminServer(("127.0.0.1", args.admin_port), app)
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2},
                                daemon=True) for s in (api, admin)]
    for t in threads:
        t.start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    sys.stdout.write("READY api=%d admin=%d\n" % (api.server_address[1], admin.server_address[1]))
    sys.stdout.flush()

    while not stop.wait(0.5):
        pass

    app.log("shutting down")
    app.stopping.set()
    with app.store.cond:
        app.store.cond.notify_all()
    api.shutdown()
    admin.shutdown()
    api.server_close()
    admin.server_close()
    deadline = time.monotonic() + 2
    while app.open_watches() and time.monotonic() < deadline:
        time.sleep(0.05)
    if args.pid_file:
        try:
            os.unlink(args.pid_file)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
