#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""meson install, and the installed nodegw under its systemd unit's rules.

usage: test_install.py --meson M --build DIR --bindir D --sbindir D --docdir D
                       --unitdir D --sysconfdir D --ctl yes|no

(the install paths as deploy/meson.build computes them; tests/install/meson.build
passes them). Checks, in a temporary DESTDIR:

  1 `meson install --destdir` puts nodegw and nodegw-ctl (when the build has
    it) in bindir, nodegw-setup in sbindir, the unit in unitdir, the example
    configs, nodegw.default, the docs and the manifests in docdir; it writes
    nothing under sysconfdir, and an existing SYSCONFDIR/nodegw/nodegw.conf and
    SYSCONFDIR/default/nodegw keep their bytes;
  2 the installed nodegw runs --check on each installed example config;
  3 systemd-analyze verify accepts the installed unit and prints nothing. It
    needs the binaries the unit names to exist, and they exist only under
    DESTDIR: `--root DESTDIR` would also need the rest of a system there
    (/bin/kill, sysinit.target), so the test verifies a copy whose paths under
    the prefix point into DESTDIR. verify exits 0 even on unknown keys and
    unparsable values, so any output is a failure; a copy naming a missing
    binary shows the check would see one;
  4 the unit's settings: simple service, --check before start and reload,
    SIGHUP reload, restart on failure, the config and environment file under
    sysconfdir, LimitMEMLOCK=infinity, a stop timeout;
  5 the installed nodegw, started as the unit would (but with --no-huge on
    net_null ports, busy workers) runs its config helper (nodegw-conf: a fork
    of itself, so nothing else is installed), re-reads its config on SIGHUP
    through it and stops on SIGTERM with status 0 in under a fifth of
    TimeoutStopSec.

Prints "N passed, M failed"; exits 1 when anything failed.
"""
import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "scripts", "lib"))
import ngproc  # noqa: E402
from ngproc import Fail, check  # noqa: E402

EXAMPLES = ("example.conf", "minimal.conf", "services.conf")
DOCS = ("README.md", "operations.md", "configuration.md", "kubernetes.md", "cli.md",
        "json.md", "architecture.md", "scale-out.md", "nodegw.default")
MANIFESTS = ("rbac.yaml", "configmap.yaml", "daemonset.yaml")
SENTINEL = b"# the operator's own config: an install must not touch it\n"


class X:
    """The test's state: arguments, DESTDIR, the parsed unit."""

    def __init__(self, a):
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix="nodegw-install-")
        self.dest = os.path.join(self.tmp, "dest")
        self.unit = None

    def d(self, path):
        """PATH (absolute, as installed) under DESTDIR."""
        return self.dest + path

    def nodegw(self):
        return self.d(os.path.join(self.a.bindir, "nodegw"))


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, **kw)


# ---------------------------------------------------------------- 1 install

def t_install(x):
    etc = x.d(x.a.sysconfdir)
    own = [os.path.join(etc, "nodegw", "nodegw.conf"), os.path.join(etc, "default", "nodegw")]
    for f in own:
        os.makedirs(os.path.dirname(f), exist_ok=True)
        with open(f, "wb") as fh:
            fh.write(SENTINEL)
    r = run([x.a.meson, "install", "-C", x.a.build, "--destdir", x.dest, "--no-rebuild",
             "--quiet"], timeout=150)
    check(r.returncode == 0, "meson install --destdir failed (%d)" % r.returncode, r.stdout)
    for f in own:
        with open(f, "rb") as fh:
            check(fh.read() == SENTINEL, "meson install changed %s" % f[len(x.dest):])
    written = []
    for dirpath, _, files in os.walk(etc):
        written += [os.path.join(dirpath, f)[len(x.dest):] for f in files
                    if os.path.join(dirpath, f) not in own]
    check(not written, "meson install wrote under sysconfdir %s" % x.a.sysconfdir, written)

    bins = ["nodegw"] + (["nodegw-ctl"] if x.a.ctl == "yes" else [])
    want = [os.path.join(x.a.bindir, b) for b in bins]
    want.append(os.path.join(x.a.sbindir, "nodegw-setup"))
    for p in want:
        check(os.path.isfile(x.d(p)) and os.access(x.d(p), os.X_OK),
              "%s is not installed as an executable" % p)
    want = [os.path.join(x.a.unitdir, "nodegw.service")]
    want += [os.path.join(x.a.docdir, f) for f in EXAMPLES + DOCS]
    want += [os.path.join(x.a.docdir, "kubernetes", f) for f in MANIFESTS]
    for p in want:
        check(os.path.isfile(x.d(p)), "%s is not installed" % p)
    for f in EXAMPLES:
        with open(os.path.join(SRC, "config", f), "rb") as a, \
                open(x.d(os.path.join(x.a.docdir, f)), "rb") as b:
            check(a.read() == b.read(), "the installed %s differs from config/%s" % (f, f))
    r = run([x.nodegw(), "--version"], timeout=10)
    check(r.returncode == 0 and r.stdout.startswith("nodegw "),
          "installed nodegw --version", r.stdout)


# ---------------------------------------------------------------- 2 --check

def t_check_examples(x):
    for f in EXAMPLES:
        path = x.d(os.path.join(x.a.docdir, f))
        r = run([x.nodegw(), "--check", "-c", path], timeout=30)
        check(r.returncode == 0 and ": OK (" in r.stdout,
              "installed nodegw --check -c %s: status %d" % (f, r.returncode), r.stdout)


# ---------------------------------------------------------------- 3, 4 the unit

def parse_unit(path):
    """{section: {key: [values in order]}}; an empty assignment clears a list,
    as systemd does."""
    out, sec = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                sec = out.setdefault(line[1:-1], {})
                continue
            check(sec is not None and "=" in line, "unit: a line outside a section", line)
            k, v = line.split("=", 1)
            vals = sec.setdefault(k.strip(), [])
            if v.strip() == "":
                vals.clear()
            else:
                vals.append(v.strip())
    return out


def verify_output(unit_text, tmp, name):
    """systemd-analyze verify on unit_text saved as TMP/NAME/nodegw.service:
    (status, output)."""
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "nodegw.service")
    with open(path, "w") as f:
        f.write(unit_text)
    r = run(["systemd-analyze", "verify", path], timeout=60)
    return r.returncode, r.stdout.strip()


def ensure_systemd_analyze():
    if shutil.which("systemd-analyze"):
        return
    if os.geteuid() == 0:
        r = run(["bash", "-c", "source %s && deps_install systemd" %
                 shlex.quote(os.path.join(SRC, "scripts", "lib", "deps.sh"))], timeout=600)
        check(r.returncode == 0 and shutil.which("systemd-analyze"),
              "systemd-analyze missing and installing Debian package systemd failed",
              r.stdout)
        return
    raise Fail("systemd-analyze missing: apt-get install systemd (as root)")


def t_verify(x):
    ensure_systemd_analyze()
    with open(x.d(os.path.join(x.a.unitdir, "nodegw.service"))) as f:
        text = f.read()
    for d in (x.a.bindir, x.a.sbindir):
        text = text.replace(d + "/", x.d(d) + "/")
    rc, out = verify_output(text, x.tmp, "unit")
    check(rc == 0 and out == "", "systemd-analyze verify of the installed unit (status %d) "
          "printed something" % rc, out)
    # The same check sees a unit whose binary is missing.
    bad = text.replace(x.nodegw(), x.nodegw() + "-missing")
    rc, out = verify_output(bad, x.tmp, "missing")
    check(out != "" and "nodegw-missing" in out,
          "systemd-analyze verify did not object to a missing binary", out)


def t_unit_settings(x):
    u = parse_unit(x.d(os.path.join(x.a.unitdir, "nodegw.service")))
    s = u.get("Service", {})
    nodegw = os.path.join(x.a.bindir, "nodegw")
    conf = os.path.join(x.a.sysconfdir, "nodegw", "nodegw.conf")
    envf = os.path.join(x.a.sysconfdir, "default", "nodegw")

    def one(k):
        v = s.get(k, [])
        check(len(v) == 1, "unit: [Service] %s= should be set once" % k, v)
        return v[0]

    check(one("Type") == "simple", "unit: Type=simple", one("Type"))
    check(one("Restart") == "on-failure", "unit: Restart=on-failure", one("Restart"))
    check(one("ExecStartPre") == "%s --check -c %s" % (nodegw, conf),
          "unit: ExecStartPre runs nodegw --check on the config", one("ExecStartPre"))
    start = shlex.split(one("ExecStart"))
    check(start[0] == nodegw and start[start.index("--") + 1:][:2] == ["-c", conf],
          "unit: ExecStart runs %s ... -- -c %s" % (nodegw, conf), start)
    reload_ = s.get("ExecReload", [])
    check(reload_ == ["%s --check -c %s" % (nodegw, conf), "/bin/kill -HUP $MAINPID"],
          "unit: ExecReload checks the config, then sends SIGHUP", reload_)
    check(one("EnvironmentFile") == "-" + envf,
          "unit: EnvironmentFile=-%s (optional)" % envf, one("EnvironmentFile"))
    check(one("LimitMEMLOCK") == "infinity", "unit: LimitMEMLOCK=infinity (vfio pins memory)")
    m = re.fullmatch(r"(\d+)s?", one("TimeoutStopSec"))
    check(m is not None, "unit: TimeoutStopSec in seconds", one("TimeoutStopSec"))
    x.stop_timeout = int(m.group(1))
    check(u.get("Install", {}).get("WantedBy") == ["multi-user.target"],
          "unit: WantedBy=multi-user.target")


# ---------------------------------------------------------------- 5 stop, reload

def conf_text(port, services):
    svc = "".join('''	{ name = "s%d"; protocol = "tcp"; port = 80; vips = ["198.19.0.%d"];
	  backends = ( { address = "198.18.1.10"; } ); },
''' % (i, 10 + i) for i in range(services))
    return '''workers = { idle_sleep_us = 0; };
cli = { address = "127.0.0.1"; port = %d; };
ports = ( { name = "a"; devargs = "net_null0"; addresses = ["198.18.0.1/24"]; },
          { name = "b"; devargs = "net_null1"; addresses = ["198.18.1.1/24"]; } );
services = (
%s);
''' % (port, svc.rstrip(",\n") + "\n" if svc else "")


def children(pid):
    """{pid: name} of the processes whose parent is pid."""
    out = {}
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except (OSError, ValueError):
            continue  # not a process, or it ended
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        name = st[st.index("(") + 1:st.rindex(")")]
        if int(st[st.rindex(")") + 2:].split()[1]) == pid:
            out[int(d)] = name
    return out


def t_stop_reload(x):
    check(getattr(x, "stop_timeout", None), "the unit's TimeoutStopSec is needed (check 4)")
    g = ngproc.Nodegw(x.nodegw(), x.tmp, "unit", stem="nodegw-inst", error=Fail)
    g.start(lambda p: conf_text(p, 1))
    try:
        time.sleep(1.0)  # the workers busy on net_null's endless packets
        port = g.port
        with open(g.conf_path, "w") as f:
            f.write(conf_text(port, 2))
        g.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "reloaded %s: 2 services" % g.conf_path not in g.log():
            check(time.monotonic() < deadline and g.proc.poll() is None,
                  "no \"reloaded ...: 2 services\" within 10 s of SIGHUP", g.log()[-2000:])
            time.sleep(0.05)
        # The reload went through the helper nodegw forked at start (no
        # separate program to find): it is still there, and nothing said
        # the gateway had to fork itself instead.
        kids = children(g.proc.pid)
        check(list(kids.values()).count("nodegw-conf") == 1,
              "the installed nodegw has one nodegw-conf helper", kids)
        check("no config helper" not in g.log() and
              "the config helper has stopped" not in g.log(),
              "the reload used the helper", g.log()[-2000:])
    finally:
        t0 = time.monotonic()
        rc = g.stop()
        took = time.monotonic() - t0
    print("     SIGTERM to exit: %.2f s (TimeoutStopSec %d s)" % (took, x.stop_timeout))
    check(rc == 0, "nodegw exited with %s on SIGTERM" % rc, g.log()[-2000:])
    check("nodegw: stopped" in g.log(), "no \"nodegw: stopped\" in the log", g.log()[-2000:])
    check(took * 5 < x.stop_timeout, "stop took %.2f s: more than a fifth of "
          "TimeoutStopSec=%d" % (took, x.stop_timeout))


def main():
    ap = argparse.ArgumentParser()
    for k in ("meson", "build", "bindir", "sbindir", "docdir", "unitdir", "sysconfdir"):
        ap.add_argument("--" + k, required=True)
    ap.add_argument("--ctl", choices=("yes", "no"), required=True)
    x = X(ap.parse_args())
    res = ngproc.Results()
    if res.run("1 meson install --destdir: layout, sysconfdir untouched", t_install, x):
        res.run("2 installed nodegw --check on the installed examples",
                t_check_examples, x)
        res.run("3 systemd-analyze verify accepts the installed unit", t_verify, x)
        if res.run("4 the unit's settings", t_unit_settings, x):
            res.run("5 installed nodegw: SIGHUP reloads, SIGTERM stops in time",
                    t_stop_reload, x)
    return res.finish(x.tmp)


if __name__ == "__main__":
    sys.exit(main())
