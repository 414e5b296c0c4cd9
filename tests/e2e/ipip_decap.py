#!/usr/bin/env python3
"""A DSR backend's IPv4-in-IPv4 decapsulation, in user space, for kernels
built without the ipip module (where `ip link add ... type ipip` fails).

  ipip_decap.py TUN_NAME --lifetime S --ready-file PATH

Opens a TUN device TUN_NAME (no packet information), brings it up, and for
every IPv4 packet of protocol 4 the host receives (a raw socket sees them
all) writes the inner packet into the TUN device: the kernel then receives
the client's packet to the VIP as if Linux's ipip device had taken the outer
header off. The backend needs what it needs with the ipip device: the VIP on
its loopback and rp_filter off for TUN_NAME. Standard library only; exits
after --lifetime seconds.
"""

import argparse
import fcntl
import os
import select
import socket
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IPPROTO_IPIP = 4


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("--lifetime", type=float, default=300)
    p.add_argument("--ready-file", required=True)
    a = p.parse_args()
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", a.name.encode(), IFF_TUN | IFF_NO_PI))
    subprocess.run(["ip", "link", "set", "dev", a.name, "up"], check=True)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPIP)
    open(a.ready_file, "w").close()
    end = time.monotonic() + a.lifetime
    n = bad = 0
    while time.monotonic() < end:
        r, _, _ = select.select([raw], [], [], 0.5)
        if not r:
            continue
        pkt = raw.recv(65535)
        ihl = (pkt[0] & 0x0F) * 4
        inner = pkt[ihl:]
        if len(inner) < 20 or inner[0] >> 4 != 4:
            bad += 1
            continue
        os.write(fd, inner)
        n += 1
    print("decapsulated %d packets, %d not IPv4 inside" % (n, bad), file=sys.stderr)


if __name__ == "__main__":
    main()
