#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""deploy/prometheus and deploy/grafana against promtool and /metrics' names.

usage: test_prometheus_deploy.py REPO

  rules      `promtool check rules` accepts deploy/prometheus/nodegw-rules.yaml
  rule_tests `promtool test rules` runs nodegw-rules.test.yaml: each alert fires
             on its series and not on the others
  dashboard  every query of deploy/grafana/nodegw-dashboard.json is valid PromQL
             (promtool checks them as recording rules)
  names      every metric the rules and the dashboard use is one that
             lib/metrics/metrics.c exposes (or a recording rule)

Exits 77 without promtool (Debian package prometheus).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

METRIC = re.compile(r"\b((?:nodegw|kubeproxy)_[a-z0-9_]+)")


def promtool(*args):
    r = subprocess.run(["promtool"] + list(args), capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def exposed(repo):
    """Metric names metrics.c writes, histogram series and the stage families included."""
    with open(os.path.join(repo, "lib", "metrics", "metrics.c")) as f:
        src = f.read()
    names = set(METRIC.findall(src))
    names |= {"nodegw_worker_stage_%s_total" % k for k in ("calls", "packets", "cycles")}
    for h in re.findall(r'hist\(s->f, "([a-z_]+)"', src):
        names |= {h + "_bucket", h + "_sum", h + "_count"}
    return names


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    repo = sys.argv[1]
    if shutil.which("promtool") is None:
        print("SKIP: promtool not installed (Debian package prometheus)")
        return 77
    prom = os.path.join(repo, "deploy", "prometheus")
    rules = os.path.join(prom, "nodegw-rules.yaml")
    failed = 0

    def result(name, ok, detail=""):
        nonlocal failed
        failed += not ok
        print("%s: %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else "\n" + detail))

    rc, out = promtool("check", "rules", rules)
    result("rules", rc == 0, out)
    rc, out = promtool("test", "rules", os.path.join(prom, "nodegw-rules.test.yaml"))
    result("rule_tests", rc == 0, out)

    with open(os.path.join(repo, "deploy", "grafana", "nodegw-dashboard.json")) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as tmp:
        tmp.write("groups:\n  - name: dashboard\n    rules:\n")
        for i, e in enumerate(exprs):
            tmp.write("      - record: dashboard:query_%d\n        expr: %s\n" %
                      (i, json.dumps(e.replace("$instance", ".*"))))
    rc, out = promtool("check", "rules", tmp.name)
    os.unlink(tmp.name)
    result("dashboard (%d queries)" % len(exprs), rc == 0 and len(exprs) > 10, out)

    with open(rules) as f:
        rules_text = f.read()
    recorded = set(re.findall(r"record: ([a-z_:0-9]+)", rules_text))
    used = set(METRIC.findall(rules_text + "\n".join(exprs)))
    unknown = sorted(used - exposed(repo) - recorded)
    result("names (%d used)" % len(used), not unknown, "not exposed: %s" % unknown)
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
