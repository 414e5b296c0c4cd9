"""Builders for Kubernetes Service and EndpointSlice objects (Python 3 stdlib only).

Where the shapes come from
--------------------------
The field names, nesting and omission rules follow the Kubernetes API reference
for core/v1 Service and discovery.k8s.io/v1 EndpointSlice, together with the way
kube-apiserver (v1.28 and later) serialises those Go types on the wire: what
`kubectl get --raw /api/v1/services` and `kubectl get -w -o json` print.  The
points a client has to cope with are:

* Keys appear in Go struct field order (kubectl's pretty printer sorts them;
  the raw wire does not).  Map-typed fields (labels, annotations, selector) are
  sorted by key, because that is how Go's encoding/json writes maps.
* Fields tagged `omitempty` are left out when unset: ServicePort.name when "",
  nodePort when 0, selector when empty, sessionAffinityConfig unless set,
  externalTrafficPolicy unless the Service is NodePort/LoadBalancer, ...
* EndpointSlice.endpoints and .ports have no `omitempty`: an empty list is
  written as null.  Endpoint.conditions is a struct (never omitted, `{}` when
  all three pointers are nil); each condition is a *bool and is left out when
  nil.  EndpointPort.name is a *string: the endpointslice controller sets it to
  "" for unnamed ports, so `"name":""` appears in real output.
* Objects inside a List carry no kind/apiVersion; objects in single GETs and in
  watch events do.  The server (fake_apiserver.py) adds/strips those and fills
  metadata.uid / resourceVersion / creationTimestamp.

All builders return plain dicts with kind and apiVersion set.  Any keyword set
to None means "field omitted (nil)".
"""

import datetime
import ipaddress
import json
import uuid

SERVICE_PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name"
HEADLESS_LABEL = "service.kubernetes.io/headless"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY_CONTROLLER = "endpointslice-controller.k8s.io"
TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time"

# The label selector nodegw (like kube-proxy) puts on both informers.
NODEGW_SELECTOR = "!" + SERVICE_PROXY_NAME_LABEL + ",!" + HEADLESS_LABEL

# Fixed namespace so that default uids are stable: the EndpointSlice builder
# can then point its ownerReference at the Service's uid without being told it.
_UID_NAMESPACE = uuid.UUID("5b1f3c2e-8d0a-4c57-9a43-6f0e2b7d9c11")

# Only the benchmarking range may appear in test objects (see DESIGN.md).
TEST_NET_V4 = ipaddress.ip_network("198.18.0.0/15")
TEST_NET_V6 = ipaddress.ip_network("2001:db8::/32")


def default_uid(kind, namespace, name):
    """A deterministic uid for kind/namespace/name."""
    return str(uuid.uuid5(_UID_NAMESPACE, "%s/%s/%s" % (kind, namespace, name)))


def timestamp(when=None):
    """RFC 3339 UTC timestamp with second precision, as metav1.Time writes it."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sorted_map(m):
    return {k: m[k] for k in sorted(m)} if m else None


def _family(ip):
    return "IPv6" if ":" in ip else "IPv4"


def _put(d, key, value):
    """Set d[key] unless value is None (the omitempty rule)."""
    if value is not None:
        d[key] = value


def _fields_key(d):
    """A structured-merge-diff list key, e.g. k:{"port":80,"protocol":"TCP"}."""
    return "k:" + json.dumps(d, separators=(",", ":"), sort_keys=True)


def _service_managed_fields(spec, labels):
    """A plausible managedFields entry: nested objects whose keys contain
    escaped quotes, which a client's JSON scanner must skip correctly."""
    f_spec = {}
    for key in spec:
        if key == "ports":
            f_ports = {".": {}}
            for p in spec["ports"]:
                f_ports[_fields_key({"port": p["port"], "protocol": p.get("protocol", "TCP")})] = {
                    ".": {}, **{"f:" + k: {} for k in sorted(p)}}
            f_spec["f:ports"] = f_ports
        elif key not in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            f_spec["f:" + key] = {}
    fields = {}
    if labels:
        fields["f:metadata"] = {"f:labels": {".": {}, **{"f:" + k: {} for k in sorted(labels)}}}
    fields["f:spec"] = {k: f_spec[k] for k in sorted(f_spec)}
    return [{"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1",
             "time": timestamp(), "fieldsType": "FieldsV1", "fieldsV1": fields}]


def _slice_managed_fields(owner_uid):
    f_meta = {"f:annotations": {".": {}, "f:" + TRIGGER_TIME_ANNOTATION: {}},
              "f:generateName": {},
              "f:labels": {".": {}, "f:" + MANAGED_BY_LABEL: {}, "f:" + SERVICE_NAME_LABEL: {}},
              "f:ownerReferences": {".": {}, _fields_key({"uid": owner_uid}): {}}}
    return [{"manager": "kube-controller-manager", "operation": "Update",
             "apiVersion": "discovery.k8s.io/v1", "time": timestamp(),
             "fieldsType": "FieldsV1",
             "fieldsV1": {"f:addressType": {}, "f:endpoints": {}, "f:metadata": f_meta,
                          "f:ports": {}}}]


_SELECTOR_DEFAULT = object()


def service(ns, name, cluster_ips=None, ports=(), type="ClusterIP", external_ips=(),
            lb_ips=(), etp="Cluster", itp="Cluster", affinity_timeout=None, labels=None,
            headless=False, external_name=None, selector=_SELECTOR_DEFAULT,
            annotations=None, uid=None, lb_ip_mode=None, health_check_node_port=None,
            allocate_lb_node_ports=True, publish_not_ready=False, managed_fields=False,
            creation_timestamp=None, source_ranges=None, traffic_distribution=None):
    """Build a v1 Service.

    cluster_ips: one address or a list (dual stack: first is the primary).
    ports: tuples (name, proto, port[, node_port[, target_port]]).  name None or
        "" is omitted; node_port None/0 is omitted; target_port defaults to port
        (an int) and may be a string (named port).
    type: ClusterIP | NodePort | LoadBalancer | ExternalName.
    external_ips, lb_ips: spec.externalIPs, status.loadBalancer.ingress[].ip
        (lb_ip_mode, e.g. "VIP" or "Proxy", is written as ingress[].ipMode).
    etp / itp: externalTrafficPolicy (only written for NodePort/LoadBalancer)
        and internalTrafficPolicy (not written for ExternalName); None omits.
    affinity_timeout: None = sessionAffinity None; an int = ClientIP with that
        sessionAffinityConfig.clientIP.timeoutSeconds.
    headless: clusterIP "None".  external_name: the ExternalName target.
    selector: default {"app": name}; None or {} omits it.
    source_ranges: spec.loadBalancerSourceRanges (a list of CIDRs).
    traffic_distribution: spec.trafficDistribution ("PreferClose", ...).
    """
    if type == "ExternalName" and external_name is None:
        raise ValueError("ExternalName service needs external_name")
    if selector is _SELECTOR_DEFAULT:
        selector = {"app": name}
    if isinstance(cluster_ips, str):
        cluster_ips = [cluster_ips]
    cluster_ips = list(cluster_ips or [])
    if headless:
        cluster_ips = ["None"]
    if type != "ExternalName" and not cluster_ips:
        raise ValueError("service %s/%s needs cluster_ips (or headless=True)" % (ns, name))

    spec_ports = []
    for p in ports:
        pname, proto, port = p[0], p[1], p[2]
        node_port = p[3] if len(p) > 3 else None
        target = p[4] if len(p) > 4 else port
        sp = {}
        if pname:
            sp["name"] = pname
        _put(sp, "protocol", proto)
        sp["port"] = port
        _put(sp, "targetPort", target)
        if node_port:
            sp["nodePort"] = node_port
        spec_ports.append(sp)

    # Go struct order of ServiceSpec.
    spec = {}
    if spec_ports:
        spec["ports"] = spec_ports
    if selector:
        spec["selector"] = _sorted_map(selector)
    if type != "ExternalName":
        spec["clusterIP"] = cluster_ips[0]
        spec["clusterIPs"] = cluster_ips
    spec["type"] = type
    if external_ips:
        spec["externalIPs"] = list(external_ips)
    spec["sessionAffinity"] = "ClientIP" if affinity_timeout is not None else "None"
    if source_ranges:
        spec["loadBalancerSourceRanges"] = list(source_ranges)
    if type == "ExternalName":
        spec["externalName"] = external_name
    if type in ("NodePort", "LoadBalancer"):
        _put(spec, "externalTrafficPolicy", etp)
        if type == "LoadBalancer" and etp == "Local" and health_check_node_port:
            spec["healthCheckNodePort"] = health_check_node_port
    if publish_not_ready:
        spec["publishNotReadyAddresses"] = True
    if affinity_timeout is not None:
        spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": affinity_timeout}}
    if type != "ExternalName":
        fams = [_family(ip) for ip in cluster_ips] if not headless else ["IPv4"]
        spec["ipFamilies"] = fams
        spec["ipFamilyPolicy"] = "SingleStack" if len(fams) == 1 else "PreferDualStack"
    if type == "LoadBalancer":
        spec["allocateLoadBalancerNodePorts"] = allocate_lb_node_ports
    if type != "ExternalName":
        _put(spec, "internalTrafficPolicy", itp)
    _put(spec, "trafficDistribution", traffic_distribution)

    lb = {}
    if lb_ips:
        ingress = []
        for ip in lb_ips:
            ing = {"ip": ip}
            _put(ing, "ipMode", lb_ip_mode)
            ingress.append(ing)
        lb["ingress"] = ingress

    meta = {"name": name, "namespace": ns, "uid": uid or default_uid("Service", ns, name)}
    _put(meta, "creationTimestamp", creation_timestamp)
    _put(meta, "labels", _sorted_map(labels))
    _put(meta, "annotations", _sorted_map(annotations))
    if isinstance(managed_fields, list):
        meta["managedFields"] = managed_fields
    elif managed_fields:
        meta["managedFields"] = _service_managed_fields(spec, labels)
    return {"kind": "Service", "apiVersion": "v1", "metadata": meta, "spec": spec,
            "status": {"loadBalancer": lb}}


def endpointslice(ns, name, service, endpoints=(), ports=(), address_type="IPv4",
                  labels=None, headless=False, annotations=None, uid=None,
                  service_uid=None, managed_fields=False, creation_timestamp=None,
                  trigger_time=True):
    """Build a discovery.k8s.io/v1 EndpointSlice owned by Service `service`.

    endpoints: dicts with keys
        ip (or addresses=[...]),
        ready / serving / terminating: True|False|None (None omits the field;
            absent keys default to ready=True, serving=True, terminating=False,
            which is what the endpointslice controller writes),
        node: nodeName (None omits), zone, hostname,
        zone_hints / node_hints: names for hints.forZones / hints.forNodes,
        pod: targetRef pod name (default "<service>-<index>"; False omits targetRef),
        pod_uid: targetRef uid (default derived from the pod name).
    ports: tuples (name, proto, port[, app_protocol]); None in a position omits
        that field; the controller writes "" for unnamed ports.
    Empty endpoints or ports are written as null, as the API server does.
    labels: extra labels (the service's labels are usually copied here);
        headless=True adds service.kubernetes.io/headless.
    """
    eps = []
    for i, e in enumerate(endpoints):
        addrs = list(e["addresses"]) if "addresses" in e else [e["ip"]]
        cond = {}
        for key, default in (("ready", True), ("serving", True), ("terminating", False)):
            _put(cond, key, e.get(key, default))
        ep = {"addresses": addrs, "conditions": cond}
        _put(ep, "hostname", e.get("hostname"))
        pod = e.get("pod", "%s-%d" % (service, i))
        if pod is not False and pod is not None:
            ep["targetRef"] = {"kind": "Pod", "namespace": ns, "name": pod,
                               "uid": e.get("pod_uid") or default_uid("Pod", ns, pod)}
        _put(ep, "nodeName", e.get("node"))
        _put(ep, "zone", e.get("zone"))
        hints = {}
        if e.get("zone_hints"):
            hints["forZones"] = [{"name": z} for z in e["zone_hints"]]
        if e.get("node_hints"):
            hints["forNodes"] = [{"name": n} for n in e["node_hints"]]
        _put(ep, "hints", hints or None)
        eps.append(ep)

    eports = []
    for p in ports or ():
        ep = {}
        _put(ep, "name", p[0])
        _put(ep, "protocol", p[1])
        _put(ep, "port", p[2])
        if len(p) > 3:
            _put(ep, "appProtocol", p[3])
        eports.append(ep)

    all_labels = dict(labels or {})
    all_labels[SERVICE_NAME_LABEL] = service
    all_labels[MANAGED_BY_LABEL] = MANAGED_BY_CONTROLLER
    if headless:
        all_labels[HEADLESS_LABEL] = ""
    all_annotations = dict(annotations or {})
    if trigger_time:
        all_annotations.setdefault(TRIGGER_TIME_ANNOTATION,
                                   trigger_time if isinstance(trigger_time, str) else timestamp())

    meta = {"name": name, "generateName": service + "-", "namespace": ns,
            "uid": uid or default_uid("EndpointSlice", ns, name)}
    meta["generation"] = 1
    _put(meta, "creationTimestamp", creation_timestamp)
    meta["labels"] = _sorted_map(all_labels)
    _put(meta, "annotations", _sorted_map(all_annotations))
    owner_uid = service_uid or default_uid("Service", ns, service)
    meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Service", "name": service,
                                "uid": owner_uid, "controller": True, "blockOwnerDeletion": True}]
    if isinstance(managed_fields, list):
        meta["managedFields"] = managed_fields
    elif managed_fields:
        meta["managedFields"] = _slice_managed_fields(owner_uid)
    return {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1", "metadata": meta,
            "addressType": address_type, "endpoints": eps or None, "ports": eports or None}


ZONE_LABEL = "topology.kubernetes.io/zone"
TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler"


def node(name, zone=None, taints=(), labels=None, deleting=False, uid=None):
    """Build a core/v1 Node (cluster-scoped: no namespace).

    zone: the topology.kubernetes.io/zone label (None omits it).
    taints: keys, or dicts {key, value, effect}; a bare key gets NoSchedule.
        TO_BE_DELETED_TAINT is the cluster autoscaler's.
    deleting: set metadata.deletionTimestamp.
    """
    all_labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
    all_labels.update(labels or {})
    if zone is not None:
        all_labels[ZONE_LABEL] = zone
    meta = {"name": name, "uid": uid or default_uid("Node", "", name)}
    if deleting:
        meta["deletionTimestamp"] = timestamp()
    meta["labels"] = _sorted_map(all_labels)
    spec = {}
    if taints:
        spec["taints"] = [t if isinstance(t, dict) else {"key": t, "effect": "NoSchedule"}
                          for t in taints]
    return {"kind": "Node", "apiVersion": "v1", "metadata": meta, "spec": spec,
            "status": {"conditions": [{"type": "Ready", "status": "True",
                                       "reason": "KubeletReady"}]}}


# --- scale data -------------------------------------------------------------

# ClusterIPs: one per service, unique, first from 198.19.0.0/16, then from
# hosts .1-.254 of 198.18.2-95.x and 198.18.128-191.x (so 100,000 services
# fit); endpoint addresses from 198.18.192.0/18.  198.18.0-1.x stay for the
# gateway's ports and 198.18.96.0/19 for endpoints that tests add
# (bench_k8s.py's changes).  Everything is inside 198.18.0.0/15.
SCALE_CLUSTER_NET = ipaddress.ip_network("198.19.0.0/16")
SCALE_CLUSTER_EXTRA = ((2, 95), (128, 191))    # third octets of 198.18.x.1-254
SCALE_POD_NET = ipaddress.ip_network("198.18.192.0/18")
SCALE_CHANGE_NET = ipaddress.ip_network("198.18.96.0/19")
SCALE_MAX_SERVICES = SCALE_CLUSTER_NET.num_addresses - 2 + \
    sum(hi - lo + 1 for lo, hi in SCALE_CLUSTER_EXTRA) * 254
SCALE_NAMESPACES = 10
SCALE_NODES = 50


def _ip4(n):
    return "%d.%d.%d.%d" % (n >> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255)


def _scale_uid(tag, n):
    """Cheap, unique, UUID-shaped ids for generated objects (uuid5 is slow)."""
    return "%08x-0000-5000-8000-%012x" % (tag, n)


def scale_cluster_ip(i):
    """The ClusterIP of scale service i (see SCALE_CLUSTER_EXTRA)."""
    first = SCALE_CLUSTER_NET.num_addresses - 2
    if i < first:
        return _ip4(int(SCALE_CLUSTER_NET.network_address) + i + 1)
    i -= first
    for lo, hi in SCALE_CLUSTER_EXTRA:
        if i < (hi - lo + 1) * 254:
            return "198.18.%d.%d" % (lo + i // 254, 1 + i % 254)
        i -= (hi - lo + 1) * 254
    raise ValueError("at most %d services" % SCALE_MAX_SERVICES)


def scale_pair(i, n_endpoints, managed_fields=True, created=None, _mf_cache=None):
    """Scale service i and its EndpointSlice, as scale_objects() makes them
    (so a benchmark can rebuild a few of them without building all)."""
    created = created or timestamp()
    ns = "scale-%d" % (i % SCALE_NAMESPACES)
    name = "svc-%05d" % i
    svc_uid = _scale_uid(1, i)
    sports = [("http", "TCP", 80, None, 8080)]
    eports = [("http", "TCP", 8080)]
    if i % 5 == 0:
        sports.append(("https", "TCP", 443, None, 8443))
        eports.append(("https", "TCP", 8443))
    labels = {"app": name, "tier": "scale"}
    mf = False
    if managed_fields:
        # identical per port layout: built once per cache
        mf = None if _mf_cache is None else _mf_cache.get(len(sports))
        if mf is None:
            mf = service(ns, name, "198.19.0.1", ports=sports, labels=labels,
                         managed_fields=True)["metadata"]["managedFields"]
            if _mf_cache is not None:
                _mf_cache[len(sports)] = mf
    svc = service(ns, name, scale_cluster_ip(i), ports=sports, labels=labels,
                  uid=svc_uid, managed_fields=mf, creation_timestamp=created)
    pod_base = int(SCALE_POD_NET.network_address)
    pod_span = SCALE_POD_NET.num_addresses - 2
    eps = []
    for j in range(n_endpoints):
        g = i * n_endpoints + j
        term = g % 25 == 24
        eps.append({"ip": _ip4(pod_base + 1 + g % pod_span), "ready": not term,
                    "serving": True, "terminating": term,
                    "node": "node-%02d" % (g % SCALE_NODES), "pod": "%s-%d" % (name, j),
                    "pod_uid": _scale_uid(3, g)})
    sl = endpointslice(ns, "%s-%05x" % (name, (i * 7919) % 0xfffff), name,
                       endpoints=eps, ports=eports, labels=labels,
                       uid=_scale_uid(2, i), service_uid=svc_uid,
                       managed_fields=_slice_managed_fields(svc_uid) if managed_fields
                       else False,
                       creation_timestamp=created, trigger_time=created)
    return svc, sl


def scale_objects(n_services, n_endpoints, managed_fields=True, first=0):
    """Yield n_services Services (from index first), each followed by one
    EndpointSlice with n_endpoints endpoints.  Deterministic.  Service i is
    scale-<i%10>/svc-<i>, ClusterIP scale_cluster_ip(i), port 80/TCP "http" ->
    8080 (every 5th service also 443/TCP "https" -> 8443).  Endpoint addresses
    walk 198.18.192.1 .. 198.18.255.254 and wrap around once the /18 is used
    up (so with more than ~16k endpoints in total, addresses repeat across
    services).  Every 25th endpoint is terminating (ready false, serving
    true, terminating true)."""
    if first + n_services > SCALE_MAX_SERVICES:
        raise ValueError("at most %d services" % SCALE_MAX_SERVICES)
    created = timestamp()
    mf_cache = {}
    for i in range(first, first + n_services):
        svc, sl = scale_pair(i, n_endpoints, managed_fields, created, mf_cache)
        yield svc
        yield sl
