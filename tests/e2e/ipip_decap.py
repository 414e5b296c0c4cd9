#!/usr/bin/env python3
"""A DSR backend's IPv4-in-IPv4 and IPv6-in-IPv6 decapsulation, in user
space, for kernels built without the ipip and ip6_tunnel modules (where `ip
link add ... type ipip` or `type ip6tnl` fails).

  ipip_decap.py TUN_NAME --lifetime S --ready-file PATH [--ipv6]

Opens a TUN device TUN_NAME (no packet information), brings it up, and for
every IPv4 packet of protocol 4 the host receives (a raw socket sees them
all) writes the inner packet into the TUN device: the kernel then receives
the client's packet to the VIP as if Linux's ipip device had taken the outer
header off. With --ipv6 it does the same for IPv6 packets of next header 41
(RFC 2473; an IPv6 raw socket hands over what follows the outer header, the
inner IPv6 packet), and enables IPv6 on TUN_NAME. The backend needs what it
needs with the tunnel device: the VIP on its loopback and (IPv4) rp_filter
off for TUN_NAME. Standard library only; exits after --lifetime seconds.
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
IPPROTO_IPV6 = 41


def inner_of(sock, pkt):
    """The inner packet of what the raw socket sock received, and its IP version."""
    if sock.family == socket.AF_INET6:
        return pkt, 6  # the outer IPv6 header is not part of what recv returns
    return pkt[(pkt[0] & 0x0F) * 4:], 4


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("--lifetime", type=float, default=300)
    p.add_argument("--ready-file", required=True)
    p.add_argument("--ipv6", action="store_true", help="IPv6-in-IPv6 (next header 41) too")
    a = p.parse_args()
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", a.name.encode(), IFF_TUN | IFF_NO_PI))
    socks = [socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPIP)]
    if a.ipv6:
        # IPv6 may be off on new devices in this namespace: the kernel would
        # drop what the TUN device hands it
        with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % a.name, "w") as f:
            f.write("0")
        socks.append(socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_IPV6))
    subprocess.run(["ip", "link", "set", "dev", a.name, "up"], check=True)
    open(a.ready_file, "w").close()
    end = time.monotonic() + a.lifetime
    n = {4: 0, 6: 0}
    bad = 0
    while time.monotonic() < end:
        r, _, _ = select.select(socks, [], [], 0.5)
        for s in r:
            inner, version = inner_of(s, s.recv(65535))
            if len(inner) < (20 if version == 4 else 40) or inner[0] >> 4 != version:
                bad += 1
                continue
            os.write(fd, inner)
            n[version] += 1
    print("decapsulated %d IPv4-in-IPv4 and %d IPv6-in-IPv6 packets, %d with another "
          "family inside" % (n[4], n[6], bad), file=sys.stderr)


if __name__ == "__main__":
    main()
