#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""nodegw-setup on a fake node: every step printed, and idempotent.

usage: test_setup.py NODEGW_SETUP

The script runs with NODEGW_SETUP_ROOT pointing at a fake /sys, /proc/mounts
and /dev in a temporary directory, and with fake `modprobe`, `mount` and
`dpdk-devbind.py` first on PATH: each records its call and changes the fake
tree as the real one would change the node (vfio-pci appears, a hugetlbfs mount
appears in /proc/mounts, the device's driver link moves to vfio-pci).

  1 shellcheck finds nothing;
  2 a first run reserves the hugepages, mounts hugetlbfs, loads vfio-pci and
    binds the NIC (named by its interface), printing each step;
  3 a second run finds everything done: no command runs, nothing is written;
  4 --dry-run on a fresh node prints the same steps and changes nothing;
  5 fewer pages than wanted are raised, more are left alone, a given NUMA node
    is the one written;
  6 without IOMMU groups it refuses, naming the kernel parameters; with
    --noiommu it turns on vfio's no-IOMMU mode, once;
  7 bad input: an unknown device, an interface on no PCI device, a
    non-number, an unknown page size, no action at all: a message naming it
    and a non-zero status;
  8 an interface whose device is a child of the PCI device (virtio-net's
    virtioN) is bound through that PCI device.

Prints "N passed, M failed"; exits 1 when anything failed.
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "lib"))
import ngproc  # noqa: E402
from ngproc import check  # noqa: E402

PCI = "0000:00:08.0"
IFACE = "eth9"
VPCI = "0000:00:03.0"      # a virtio-net NIC: eth7 -> virtio3 -> this PCI device
VIFACE = "eth7"

# The fakes: "$ROOT" is the fake root, CALLS the log of commands run.
FAKES = {
    "modprobe": '''echo "modprobe $*" >>"$CALLS"
[ "$1" = vfio-pci ] || exit 1
mkdir -p "$ROOT/sys/bus/pci/drivers/vfio-pci" "$ROOT/sys/module/vfio/parameters"
[ -f "$ROOT/sys/module/vfio/parameters/enable_unsafe_noiommu_mode" ] ||
	echo N >"$ROOT/sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
''',
    "mount": '''echo "mount $*" >>"$CALLS"
# mount -t hugetlbfs -o pagesize=S nodev DIR
echo "nodev ${6#"$ROOT"} hugetlbfs rw,relatime,${4} 0 0" >>"$ROOT/proc/mounts"
''',
    "dpdk-devbind.py": '''echo "dpdk-devbind.py $*" >>"$CALLS"
[ "$1" = -b ] || exit 1
dev=$ROOT/sys/bus/pci/devices/${*: -1}
[ -d "$dev" ] || exit 1
rm -f "$dev/driver"
ln -s "$ROOT/sys/bus/pci/drivers/$2" "$dev/driver"
''',
}


class Node:
    """A fake node: ROOT with /sys, /proc/mounts; BIN with the fakes."""

    def __init__(self, tmp, name, iommu=True, pages=0, mounted=False):
        self.root = os.path.join(tmp, name, "root")
        self.bin = os.path.join(tmp, name, "bin")
        self.calls = os.path.join(tmp, name, "calls")
        r = self.root
        for kb in (2048, 1048576):
            self.write("sys/kernel/mm/hugepages/hugepages-%dkB/nr_hugepages" % kb, "%d" % pages)
            for n in (0, 1):
                self.write("sys/devices/system/node/node%d/hugepages/hugepages-%dkB/"
                           "nr_hugepages" % (n, kb), "0")
        self.write("proc/mounts", "sysfs /sys sysfs rw 0 0\n" +
                   ("hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n"
                    if mounted else ""))
        os.makedirs(os.path.join(r, "sys/bus/pci/drivers/virtio-pci"))
        os.makedirs(os.path.join(r, "sys/bus/pci/devices", PCI))
        os.symlink("../../drivers/virtio-pci", os.path.join(r, "sys/bus/pci/devices", PCI,
                                                            "driver"))
        os.makedirs(os.path.join(r, "sys/class/net", IFACE))
        os.symlink("../../../bus/pci/devices/" + PCI, os.path.join(r, "sys/class/net", IFACE,
                                                                   "device"))
        # A virtio-net interface: its device is virtio3, whose parent is the PCI device.
        vdir = os.path.join(r, "sys/devices/pci0000:00", VPCI)
        os.makedirs(os.path.join(vdir, "virtio3"))
        os.symlink(os.path.join(r, "sys/bus/pci/drivers/virtio-pci"),
                   os.path.join(vdir, "driver"))
        os.symlink("../../../devices/pci0000:00/" + VPCI,
                   os.path.join(r, "sys/bus/pci/devices", VPCI))
        os.makedirs(os.path.join(r, "sys/class/net", VIFACE))
        os.symlink("../../../devices/pci0000:00/%s/virtio3" % VPCI,
                   os.path.join(r, "sys/class/net", VIFACE, "device"))
        # A veth: a device, but on no PCI device.
        os.makedirs(os.path.join(r, "sys/devices/virtual/net/veth0"))
        os.makedirs(os.path.join(r, "sys/class/net/veth0"))
        os.symlink("../../../devices/virtual/net/veth0",
                   os.path.join(r, "sys/class/net/veth0/device"))
        os.makedirs(os.path.join(r, "sys/kernel/iommu_groups"))
        if iommu:
            os.makedirs(os.path.join(r, "sys/kernel/iommu_groups/7"))
        os.makedirs(os.path.join(r, "dev"))
        os.makedirs(self.bin)
        for name_, body in FAKES.items():
            p = os.path.join(self.bin, name_)
            with open(p, "w") as f:
                f.write("#!/bin/bash\n" + body)
            os.chmod(p, stat.S_IRWXU)
        open(self.calls, "w").close()

    def write(self, rel, text):
        p = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text + ("" if text.endswith("\n") else "\n"))

    def read(self, rel):
        with open(os.path.join(self.root, rel)) as f:
            return f.read().strip()

    def driver(self):
        return os.path.basename(os.readlink(os.path.join(self.root, "sys/bus/pci/devices", PCI,
                                                         "driver")))

    def run(self, *args):
        env = dict(os.environ, NODEGW_SETUP_ROOT=self.root, ROOT=self.root, CALLS=self.calls,
                   PATH=self.bin + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
        r = subprocess.run([SETUP] + list(args), env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        with open(self.calls) as f:
            calls = f.read().splitlines()
        open(self.calls, "w").close()
        return r.returncode, r.stdout, calls

    def snapshot(self):
        """Every file and link under the fake root, with its content."""
        out = {}
        for d, dirs, files in os.walk(self.root):
            for n in files + dirs:
                p = os.path.join(d, n)
                out[p] = os.readlink(p) if os.path.islink(p) else \
                    (open(p).read() if os.path.isfile(p) else "dir")
        return out


def t_shellcheck():
    sc = shutil.which("shellcheck")
    check(sc is not None, "shellcheck missing: apt-get install shellcheck")
    r = subprocess.run([sc, SETUP], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    check(r.returncode == 0, "shellcheck deploy/nodegw-setup", r.stdout)


FULL = ("--hugepages", "512", "--bind", IFACE)


def t_first_run(tmp):
    n = Node(tmp, "first")
    rc, out, calls = n.run(*FULL)
    check(rc == 0, "first run: status %d" % rc, out)
    check(n.read("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") == "512",
          "first run: 512 pages reserved", out)
    check(n.driver() == "vfio-pci", "first run: the NIC is bound to vfio-pci", out)
    check(calls == ["mount -t hugetlbfs -o pagesize=2M nodev %s/dev/hugepages" % n.root,
                    "modprobe vfio-pci", "dpdk-devbind.py -b vfio-pci %s" % PCI],
          "first run: mount, modprobe, dpdk-devbind.py, in that order", calls)
    for step in ("hugepages: 512 x 2M", "write: 512 > /sys/kernel/mm/hugepages/",
                 "hugetlbfs: a mount for 2M pages", "run: mount -t hugetlbfs",
                 "vfio-pci: the driver and an IOMMU", "run: modprobe vfio-pci", "IOMMU on",
                 "bind: %s (%s) to vfio-pci" % (IFACE, PCI), "now bound to virtio-pci",
                 "bound", "done"):
        check(step in out, "first run prints \"%s\"" % step, out)


def t_second_run(tmp):
    n = Node(tmp, "second")
    rc, out, _ = n.run(*FULL)
    check(rc == 0, "first run: status %d" % rc, out)
    before = n.snapshot()
    rc, out, calls = n.run(*FULL)
    check(rc == 0, "second run: status %d" % rc, out)
    check(calls == [], "second run: no command should run", calls)
    check(n.snapshot() == before, "second run changed the node", out)
    for step in ("already 512 reserved: nothing to do", "already mounted on /dev/hugepages",
                 "driver already loaded", "already bound: nothing to do"):
        check(step in out, "second run prints \"%s\"" % step, out)
    check("write:" not in out and "run:" not in out, "second run: nothing written or run", out)


def t_dry_run(tmp):
    n = Node(tmp, "dry")
    before = n.snapshot()
    rc, out, calls = n.run("--dry-run", *FULL)
    check(rc == 0, "--dry-run: status %d" % rc, out)
    check(calls == [] and n.snapshot() == before, "--dry-run changed the node", (calls, out))
    for step in ("dry run", "write: 512 >", "run: mount", "run: modprobe vfio-pci",
                 "run: dpdk-devbind.py -b vfio-pci %s" % PCI):
        check(step in out, "--dry-run prints \"%s\"" % step, out)


def t_counts(tmp):
    n = Node(tmp, "counts", pages=1024, mounted=True)
    rc, out, calls = n.run("--hugepages", "512")
    check(rc == 0 and calls == [], "1024 reserved, 512 wanted: status 0, no command",
          (rc, calls, out))
    check(n.read("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") == "1024",
          "1024 reserved, 512 wanted: left at 1024 (never lowered)", out)
    rc, out, _ = n.run("--hugepages", "2048")
    check(rc == 0 and n.read("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") ==
          "2048", "1024 reserved, 2048 wanted: raised to 2048", out)
    check("reserved 2048 (were 1024)" in out, "prints what it had and has", out)
    rc, out, calls = n.run("--hugepages", "4", "--hugepage-size", "1G", "--numa-node", "1")
    check(rc == 0, "1G pages on node 1: status %d" % rc, out)
    check(n.read("sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages")
          == "4" and n.read("sys/devices/system/node/node0/hugepages/"
                            "hugepages-1048576kB/nr_hugepages") == "0",
          "1G pages on node 1: node 1 written, node 0 not", out)
    check(calls == ["mount -t hugetlbfs -o pagesize=1G nodev %s/dev/hugepages-1G" % n.root],
          "1G pages: a hugetlbfs mount of their own", calls)


def t_noiommu(tmp):
    n = Node(tmp, "noiommu", iommu=False)
    rc, out, calls = n.run("--bind", PCI)
    check(rc == 1 and "intel_iommu=on" in out and "--noiommu" in out,
          "no IOMMU: refused, naming the kernel parameters and --noiommu", (rc, out))
    check(n.driver() == "virtio-pci", "no IOMMU: the NIC stays where it was")
    rc, out, calls = n.run("--bind", PCI, "--noiommu")
    check(rc == 0 and n.read("sys/module/vfio/parameters/enable_unsafe_noiommu_mode") == "Y",
          "--noiommu: no-IOMMU mode on", (rc, out))
    check(n.driver() == "vfio-pci", "--noiommu: bound", out)
    rc, out, calls = n.run("--bind", PCI, "--noiommu")
    check(rc == 0 and calls == [] and "unsafe no-IOMMU mode already on" in out,
          "--noiommu again: nothing to do", (rc, calls, out))


def t_virtio(tmp):
    n = Node(tmp, "virtio")
    rc, out, calls = n.run("--bind", VIFACE)
    check(rc == 0 and "bind: %s (%s) to vfio-pci" % (VIFACE, VPCI) in out and
          calls[-1:] == ["dpdk-devbind.py -b vfio-pci %s" % VPCI],
          "a virtio-net interface is bound by its PCI parent %s" % VPCI, (rc, calls, out))


def t_bad_input(tmp):
    n = Node(tmp, "bad")
    for args, rc_want, says in (
            (("--bind", "0000:09:00.0"), 1, "no PCI device 0000:09:00.0"),
            (("--bind", "nosuch0"), 1, "\"nosuch0\" is neither a PCI address"),
            (("--bind", "veth0"), 1, "interface \"veth0\" is not on a PCI device"),
            (("--hugepages", "lots"), 2, "--hugepages \"lots\" is not a number"),
            (("--hugepages", "8", "--hugepage-size", "4M"), 2, "\"4M\" is not 2M or 1G"),
            (("--hugepages", "8", "--numa-node", "7"), 1, "no NUMA node 7"),
            ((), 2, "nothing to do"),
            (("--frobnicate",), 2, "unknown argument \"--frobnicate\"")):
        rc, out, calls = n.run(*args)
        check(rc == rc_want and says in out and calls == [],
              "nodegw-setup %s: status %d and \"%s\"" % (" ".join(args), rc_want, says),
              (rc, calls, out))


SETUP = None


def main():
    global SETUP
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    SETUP = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="nodegw-setup-")
    res = ngproc.Results()
    res.run("1 shellcheck", t_shellcheck)
    res.run("2 first run: every step done and printed", t_first_run, tmp)
    res.run("3 second run: nothing to do, nothing changed", t_second_run, tmp)
    res.run("4 --dry-run: prints the steps, changes nothing", t_dry_run, tmp)
    res.run("5 hugepage counts: raised, never lowered; size and NUMA node", t_counts, tmp)
    res.run("6 no IOMMU: refused, or --noiommu", t_noiommu, tmp)
    res.run("7 bad input: named, non-zero status", t_bad_input, tmp)
    res.run("8 an interface whose device is not the PCI one (virtio-net)", t_virtio, tmp)
    return res.finish(tmp)


if __name__ == "__main__":
    sys.exit(main())
