# 384 MB: the mbuf pool grows by the fragments the reassembly tables may hold
#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""deploy/kubernetes: the manifests, and the ClusterRole against the code.

usage: test_deploy.py NODEGW SOURCE_ROOT

  1 every deploy/kubernetes/*.yaml parses (python3-yaml) and together they
    hold a ServiceAccount, a ClusterRole, a ClusterRoleBinding tying them, a
    ConfigMap and a DaemonSet;
  2 every NODE.conf of the ConfigMap passes nodegw --check;
  3 the DaemonSet: the ServiceAccount, gateway nodes only (node selector and a
    toleration), hostNetwork, not privileged with named capabilities,
    hugepages requested and mounted, the ConfigMap mounted where -c looks,
    NODE_NAME from the downward API, liveness and readiness probes on the
    configs' CLI port on 127.0.0.1;
  4 the ClusterRole's rules are, rule by rule, what `nodegw --print-rbac`
    prints (built from the table the watcher's requests come from);
  5 the requests a running nodegw makes to a fake API server
    (tests/k8s/fake_apiserver.py, plain HTTP on 127.0.0.1), as (API group,
    resource, verb), are exactly those the rules grant: none missing, none more.

Prints "N passed, M failed"; exits 1 when anything failed.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

try:
    import yaml
except ImportError:
    print("python3-yaml missing: apt-get install python3-yaml")
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "k8s"))
import ngproc  # noqa: E402
from ngproc import Fail, check  # noqa: E402
from k8s_admin import Admin, start_server, stop_server  # noqa: E402

VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


class X:
    def __init__(self, exe, src):
        self.exe, self.src = exe, src
        self.tmp = tempfile.mkdtemp(prefix="nodegw-deploy-")
        self.objs = []

    def one(self, kind):
        found = [o for o in self.objs if o.get("kind") == kind]
        check(len(found) == 1, "deploy/kubernetes: one %s expected" % kind,
              [o.get("metadata", {}).get("name") for o in found])
        return found[0]


def t_parse(x):
    files = sorted(glob.glob(os.path.join(x.src, "deploy", "kubernetes", "*.yaml")))
    check(files, "no deploy/kubernetes/*.yaml")
    for f in files:
        try:
            with open(f) as fh:
                docs = [d for d in yaml.safe_load_all(fh) if d is not None]
        except yaml.YAMLError as e:
            raise Fail("%s does not parse: %s" % (f, e))
        for d in docs:
            check(isinstance(d, dict) and d.get("apiVersion") and d.get("kind") and
                  d.get("metadata", {}).get("name"),
                  "%s: every document has apiVersion, kind and metadata.name" % f, d)
        x.objs += docs
    sa, role = x.one("ServiceAccount"), x.one("ClusterRole")
    b = x.one("ClusterRoleBinding")
    x.one("ConfigMap")
    x.one("DaemonSet")
    check(b["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                           "name": role["metadata"]["name"]},
          "the ClusterRoleBinding refers to the ClusterRole", b["roleRef"])
    check({"kind": "ServiceAccount", "name": sa["metadata"]["name"],
           "namespace": sa["metadata"]["namespace"]} in b["subjects"],
          "the ClusterRoleBinding binds the ServiceAccount", b["subjects"])


def configs(x):
    data = x.one("ConfigMap").get("data", {})
    confs = {k: v for k, v in data.items() if k.endswith(".conf")}
    check(confs, "the ConfigMap has no NODE.conf key", list(data))
    return confs


def t_configmap(x):
    for k, text in configs(x).items():
        path = os.path.join(x.tmp, k)
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run([x.exe, "--check", "-c", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        check(r.returncode == 0, "ConfigMap key %s: nodegw --check failed" % k, r.stdout)


def cli_ports(x):
    """The CLI port of every ConfigMap config (8023 where not set)."""
    ports = set()
    for text in configs(x).values():
        m = re.search(r"cli\s*[=:]\s*\{[^}]*\bport\s*[=:]\s*(\d+)", text)
        ports.add(int(m.group(1)) if m else 8023)
    return ports


def t_daemonset(x):
    ds, sa = x.one("DaemonSet"), x.one("ServiceAccount")
    check(ds["metadata"].get("namespace") == sa["metadata"].get("namespace"),
          "the DaemonSet and the ServiceAccount share a namespace")
    pod = ds["spec"]["template"]["spec"]
    check(pod.get("serviceAccountName") == sa["metadata"]["name"],
          "the DaemonSet runs as the ServiceAccount", pod.get("serviceAccountName"))
    check(pod.get("hostNetwork") is True, "hostNetwork: true")
    sel = pod.get("nodeSelector", {})
    check(sel, "a nodeSelector keeps nodegw on gateway nodes")
    check(any(t.get("key") in sel and t.get("effect") == "NoSchedule"
              for t in pod.get("tolerations", [])),
          "a NoSchedule toleration for the gateway nodes' taint", pod.get("tolerations"))
    check(len(pod["containers"]) == 1, "one container")
    c = pod["containers"][0]
    sc = c.get("securityContext", {})
    check(sc.get("privileged") is not True, "the container is not privileged")
    check(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation: false")
    caps = sc.get("capabilities", {})
    check(caps.get("drop") == ["ALL"], "capabilities: drop ALL", caps)
    check(set(caps.get("add", [])) == {"IPC_LOCK", "NET_ADMIN", "NET_RAW"},
          "capabilities added: IPC_LOCK, NET_ADMIN, NET_RAW (doc/operations.md says why)",
          caps.get("add"))
    env = {e["name"]: e for e in c.get("env", [])}
    check(env.get("NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {})
          .get("fieldPath") == "spec.nodeName", "NODE_NAME from the downward API",
          env.get("NODE_NAME"))
    res = c.get("resources", {})
    huge = {k: v for k, v in res.get("limits", {}).items() if k.startswith("hugepages-")}
    check(huge, "hugepages in the limits", res)
    check(all(res.get("requests", {}).get(k) == v for k, v in huge.items()),
          "hugepages requests equal limits", res)
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
    hp = [n for n, v in vols.items()
          if str(v.get("emptyDir", {}).get("medium", "")).startswith("HugePages")]
    check(hp and all(n in mounts for n in hp), "a HugePages emptyDir, mounted", vols)
    cm = [n for n, v in vols.items()
          if v.get("configMap", {}).get("name") == x.one("ConfigMap")["metadata"]["name"]]
    check(len(cm) == 1 and cm[0] in mounts, "the ConfigMap as a volume, mounted", vols)
    args = c.get("args", [])
    check("-c" in args and args.index("-c") > args.index("--"),
          "nodegw's -c after EAL's --", args)
    conf = args[args.index("-c") + 1]
    check(os.path.dirname(conf) == mounts[cm[0]]["mountPath"] and
          os.path.basename(conf) == "$(NODE_NAME).conf",
          "-c names NODE_NAME.conf in the ConfigMap's mount", conf)
    ports = cli_ports(x)
    check(len(ports) == 1, "every config has the same CLI port (the probes')", ports)
    for p in ("livenessProbe", "readinessProbe"):
        pr = c.get(p, {}).get("tcpSocket", {})
        check(pr.get("port") in ports and pr.get("host") == "127.0.0.1",
              "%s: TCP on 127.0.0.1, the CLI port %s" % (p, sorted(ports)), c.get(p))


def rule_key(r):
    return (tuple(sorted(r.get("apiGroups", []))), tuple(sorted(r.get("resources", []))),
            tuple(sorted(r.get("verbs", []))))


def triples(rules):
    return {(g, res, v) for r in rules for g in r.get("apiGroups", [])
            for res in r.get("resources", []) for v in r.get("verbs", [])}


def print_rbac(x):
    r = subprocess.run([x.exe, "--print-rbac"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=10)
    check(r.returncode == 0, "nodegw --print-rbac: status %d" % r.returncode, r.stderr)
    rules = json.loads(r.stdout)
    check(isinstance(rules, list) and rules, "nodegw --print-rbac: a list of rules", r.stdout)
    return rules


def t_rbac_rules(x):
    code = print_rbac(x)
    role = x.one("ClusterRole").get("rules", [])
    missing, extra = triples(code) - triples(role), triples(role) - triples(code)
    check(not missing and not extra, "ClusterRole vs nodegw --print-rbac: missing %s, "
          "granted but unused %s" % (sorted(missing), sorted(extra)))
    check(sorted(map(rule_key, role)) == sorted(map(rule_key, code)),
          "ClusterRole rules differ, rule by rule, from nodegw --print-rbac",
          {"role": role, "code": code})


def request_triple(req):
    """(API group, resource, verb) of one request the fake logged."""
    parts = [p for p in req["path"].split("/") if p]
    if parts[:1] == ["api"]:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"]:
        group, rest = parts[1], parts[3:]
    else:
        return None  # /healthz, /version: not resources
    if rest[:1] == ["namespaces"] and len(rest) > 2:
        rest = rest[2:]
    q = urllib.parse.parse_qs(req.get("raw_query", ""))
    if req["method"] == "GET":
        if q.get("watch", [""])[0] in ("1", "true"):
            verb = "watch"
        else:
            verb = "get" if len(rest) > 1 else "list"
    else:
        verb = VERBS.get(req["method"], req["method"].lower())
    return (group, rest[0] if rest else "", verb)


def t_rbac_observed(x):
    want = triples(print_rbac(x))
    log = open(os.path.join(x.tmp, "fake.log"), "w")
    proc, api, admin = start_server(["--plain", "--port", "0", "--admin-port", "0",
                                     "--quiet"], stderr=log, die_with_parent=True)
    g = ngproc.Nodegw(x.exe, x.tmp, "rbac", stem="nodegw-deploy", mem=384, error=Fail)
    try:
        a = Admin(admin)
        g.start(lambda p: '''workers = { idle_sleep_us = 100; };
cli = { address = "127.0.0.1"; port = %d; };
ports = ( { name = "a"; devargs = "net_null0"; addresses = ["198.18.0.1/24"]; } );
kubernetes = { server = "http://127.0.0.1:%d"; insecure_skip_tls_verify = true;
	node_name = "gw-1"; watch_timeout_s = 2; };
''' % (p, api))
        seen = set()
        deadline = time.monotonic() + 20
        while not want <= seen and time.monotonic() < deadline:
            time.sleep(0.2)
            seen = {t for t in map(request_triple, a.stats(log=1000)["log"]) if t}
        time.sleep(2.5)  # a watch ends (timeoutSeconds 2..4) and reopens meanwhile
        seen = {t for t in map(request_triple, a.stats(log=1000)["log"]) if t}
    finally:
        g.stop()
        stop_server(proc)
        log.close()
    check(want <= seen, "nodegw never made these requests the rules grant: %s"
          % sorted(want - seen), sorted(seen))
    check(seen <= want, "nodegw made requests the rules do not grant: %s"
          % sorted(seen - want), sorted(want))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    x = X(sys.argv[1], sys.argv[2])
    res = ngproc.Results()
    if res.run("1 deploy/kubernetes parses: SA, ClusterRole, binding, ConfigMap, "
               "DaemonSet", t_parse, x):
        res.run("2 every ConfigMap config passes nodegw --check", t_configmap, x)
        res.run("3 the DaemonSet has what a gateway needs", t_daemonset, x)
        res.run("4 the ClusterRole is nodegw --print-rbac, rule by rule", t_rbac_rules, x)
    res.run("5 the requests nodegw makes are exactly what the rules grant",
            t_rbac_observed, x)
    return res.finish(x.tmp)


if __name__ == "__main__":
    sys.exit(main())
