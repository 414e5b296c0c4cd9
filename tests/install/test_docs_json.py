# 384 MB: the mbuf pool grows by the fragments the reassembly tables may hold
#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every key a `... json` command prints is in doc/json.md.

usage: test_docs_json.py NODEGW SOURCE_ROOT

  1 live: a nodegw (no root: net_null ports, --no-huge) with config services, a
    static route and neighbour, and the watcher on a fake API server
    (tests/k8s/fake_apiserver.py, one Service and its EndpointSlice). Every
    command `help` lists with a `[json]` argument is run with `json`; each key
    of its output (at any depth) must appear as `key` in the doc's section for
    that command (## `show ports`, ...), or in a section it links to; the keys
    of `drops_by_reason` are drop reasons and must be in the drop reasons table;
  2 static: every key the source passes to cJSON_Add*ToObject as a literal
    (those of commands with nothing to show here, e.g. `show conn` without
    connections) appears somewhere in the doc, and every drop reason of
    lib/ (NG_DROP_REASONS) is in the table.

Prints "N passed, M failed"; exits 1 when anything failed.
"""
import glob
import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "k8s"))
import ngproc  # noqa: E402
from ngproc import Fail, check  # noqa: E402
import k8s_objects as ko  # noqa: E402
from k8s_admin import Admin, start_server, stop_server  # noqa: E402

# Arguments for commands that need some; the others run as "CMD json".
ARGS = {
    "show service": "s1",
    "lookup": "tcp 198.18.0.7:5555 198.19.0.10:80",
}
DROPS = "Drop reasons"


def anchor(title):
    return re.sub(r"[^a-z0-9 _-]", "", title.lower()).strip().replace(" ", "-")


def sections(doc):
    """{title: text}: a ## section runs to the next ##, a ### one to the next
    heading; and {anchor: title}."""
    out, anchors, cur = {}, {}, {}
    for line in doc.splitlines():
        m = re.match(r"(#{2,3}) (.*)", line)
        if m:
            title = m.group(2).replace("`", "").strip()
            anchors[anchor(title)] = title
            out[title] = ""
            if m.group(1) == "##":
                cur = {"##": title}
            else:
                cur["###"] = title
        for t in set(cur.values()):
            out[t] += line + "\n"
    return out, anchors


def section_text(secs, anchors, title):
    """The section's text and that of the sections it links to (#anchor)."""
    text = secs.get(title)
    if text is None:
        return None
    for a in re.findall(r"\]\(#([a-z0-9_-]+)\)", text):
        if a in anchors and anchors[a] != title:
            text += secs.get(anchors[a], "")
    return text


def documented(text, key):
    return ("`%s`" % key) in text


def walk(v, keys, drops, parent=None):
    if isinstance(v, dict):
        for k, x in v.items():
            (drops if parent == "drops_by_reason" else keys).add(k)
            walk(x, keys, drops, k)
    elif isinstance(v, list):
        for x in v:
            walk(x, keys, drops, parent)


def json_commands(help_text):
    """The command words of every help line with a [json] argument."""
    cmds = []
    for line in help_text.splitlines():
        if "[json]" not in line:
            continue
        words = []
        for tok in line.split():
            if tok.startswith("nodegw>"):
                continue
            if not re.fullmatch(r"[a-z][a-z0-9-]*", tok):
                break
            words.append(tok)
        if words:
            cmds.append(" ".join(words))
    return cmds


def conf_text(cli_port, api_port):
    return '''workers = { idle_sleep_us = 100; };
cli = { address = "127.0.0.1"; port = %d; };
ports = ( { name = "a"; devargs = "net_null0"; addresses = ["198.18.0.1/24"]; },
          { name = "b"; devargs = "net_null1"; addresses = ["198.18.1.1/24"]; } );
routes = ( { prefix = "198.20.0.0/16"; via = "198.18.1.254"; } );
neighbours = ( { address = "198.18.1.254"; mac = "02:00:00:00:00:01"; } );
services = ( { name = "s1"; protocol = "tcp"; port = 80; vips = ["198.19.0.10"];
	node_port = 30080; affinity = "client-ip";
	backends = ( { address = "198.18.1.10"; port = 8080; },
		{ address = "198.20.0.5"; weight = 0; } ); } );
kubernetes = { server = "http://127.0.0.1:%d"; insecure_skip_tls_verify = true;
	node_name = "n1"; };
''' % (cli_port, api_port)


def t_live(x):
    secs, anchors = sections(x.doc)
    log = open(os.path.join(x.tmp, "fake.log"), "w")
    proc, api, admin = start_server(["--plain", "--port", "0", "--admin-port", "0",
                                     "--quiet"], stderr=log, die_with_parent=True)
    g = ngproc.Nodegw(x.exe, x.tmp, "docs", stem="nodegw-docs", mem=384, error=Fail)
    missing = []
    try:
        a = Admin(admin)
        a.apply(ko.service("default", "web", "198.19.0.50", ports=[("http", "TCP", 80)]))
        a.apply(ko.endpointslice("default", "web-x", "web", endpoints=[{"ip": "198.18.1.20"}],
                                 ports=[("http", "TCP", 8080)]))
        g.start(lambda p: conf_text(p, api))
        deadline = time.monotonic() + 20
        while ngproc.cli_json(g.port, "show k8s").get("initial_sync_ms", -1) < 0:
            check(time.monotonic() < deadline, "the watcher did not sync within 20 s",
                  g.log()[-2000:])
            time.sleep(0.1)
        cmds = json_commands(ngproc.cli(g.port, "help"))
        check(len(cmds) >= 10, "help lists the json commands", cmds)
        drops_doc = secs.get(DROPS, "")
        for cmd in cmds:
            line = " ".join(w for w in (cmd, ARGS.get(cmd, "")) if w)
            out = ngproc.cli_json(g.port, line)
            keys, drops = set(), set()
            walk(out, keys, drops)
            text = section_text(secs, anchors, cmd)
            if text is None:
                missing.append("%s: no section \"## `%s`\"" % (cmd, cmd))
                continue
            missing += ["%s: key `%s`" % (cmd, k) for k in sorted(keys)
                        if not documented(text, k)]
            missing += ["%s: drop reason `%s`" % (cmd, k) for k in sorted(drops)
                        if not documented(drops_doc, k)]
        print("     %d commands: %s" % (len(cmds), ", ".join(cmds)))
    finally:
        g.stop()
        stop_server(proc)
        log.close()
    check(not missing, "doc/json.md lacks %d: %s" % (len(missing), "; ".join(missing)))


def t_static(x):
    keys = set()
    for f in glob.glob(os.path.join(x.src, "lib", "**", "*.c"), recursive=True) + \
            glob.glob(os.path.join(x.src, "app", "**", "*.c"), recursive=True):
        with open(f) as fh:
            keys.update(re.findall(r'cJSON_Add\w*ToObject\w*\(\s*[^,]+,\s*"([A-Za-z0-9_]+)"',
                                   fh.read()))
    check(len(keys) > 50, "keys found in the source", sorted(keys))
    missing = sorted(k for k in keys if not documented(x.doc, k))
    check(not missing, "doc/json.md lacks keys the source prints: %s" % missing)
    m = None
    for f in glob.glob(os.path.join(x.src, "lib", "**", "*.h"), recursive=True):
        with open(f) as fh:
            m = m or re.search(r"#define NG_DROP_REASONS\(X\)((?:.*\\\n)*.*)", fh.read())
    check(m is not None, "#define NG_DROP_REASONS(X) in a lib/ header")
    ids = [i.lower() for i in re.findall(r"\bX\(([A-Z0-9_]+),", m.group(1))]
    secs, _ = sections(x.doc)
    check(len(ids) > 20, "drop reasons found in NG_DROP_REASONS", ids)
    missing = [i for i in ids if not documented(secs.get(DROPS, ""), i)]
    check(not missing, "doc/json.md's drop reasons lack: %s" % missing)


class X:
    def __init__(self, exe, src):
        self.exe, self.src = exe, src
        self.tmp = tempfile.mkdtemp(prefix="nodegw-docs-")
        with open(os.path.join(src, "doc", "json.md")) as f:
            self.doc = f.read()


def main():
    try:
        exe, src = sys.argv[1:]
    except ValueError:
        print(__doc__)
        return 2
    x = X(exe, src)
    res = ngproc.Results()
    res.run("1 every key of every json command is in its doc/json.md section", t_live, x)
    res.run("2 every key in the source, every drop reason, is in doc/json.md", t_static, x)
    return res.finish(x.tmp)


if __name__ == "__main__":
    sys.exit(main())
