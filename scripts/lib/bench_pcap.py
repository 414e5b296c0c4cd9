#!/usr/bin/env python3
"""Write the benchmark's pcap files (python3 stdlib only).

Every frame is 60 bytes before the FCS (64 on the wire): Ethernet, IPv4
(valid header checksum), and a TCP or UDP header with a valid checksum and a
few bytes of payload; SYNs carry none and end in 6 bytes of Ethernet padding.  Frames go from the generator's MAC to the gateway's
memif MAC, to one VIP; flows differ in their client address and port.

With --family 6 the same traffic is IPv6: the same TCP and UDP headers and
payloads behind a 40-byte IPv6 header (no extension headers), so frames are
80 bytes (a SYN: 74 and 6 bytes of padding); --vip and --punt-to are then IPv6.

    bench_pcap.py OUT.pcap KIND FLOWS [options]

KIND:
  udp      one UDP datagram per flow (flows to VIP:UDP_PORT)
  tcp      one TCP ACK segment per flow (mid-stream: an established conn)
  est      half TCP ACK, half UDP (flow i is TCP when i is even)
  syn      one TCP SYN per flow: FLOWS distinct 5-tuples, each once
  mixed    FLOWS packets; every 10th is a SYN with a fresh 5-tuple, the others
           TCP ACKs cycling over --est-flows established flows (90/10)
  punt     as est, but every 10th frame is a UDP datagram to --punt-to
           (ADDR:PORT, the gateway's own address and a port nobody serves:
           nodegw punts it to the port's kernel twin)
  frag     one 48-byte UDP datagram per flow (8 bytes of header, 40 of data)
           in 2 IPv4 fragments of 24 bytes each, first fragment first; FLOWS
           datagrams, 2 * FLOWS frames (the reassembly scenario)

Client address of flow i: 198.18.64.0 + (i mod 16384) (a /18), client port
1024 + (i div 16384); so up to 16384 * 64512 distinct flows. IPv6:
2001:db8:64::1:0 + (i mod 16384), the same ports.
"""
import argparse
import socket
import struct
import sys

PCAP_HDR = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
FRAME = 60
FRAME6 = 80
FRAG_DATA = 24      # IPv4 payload bytes per fragment (kind frag): a multiple of 8
N_ADDR = 16384


def mac(s):
    b = bytes(int(x, 16) for x in s.split(":"))
    if len(b) != 6:
        raise ValueError("bad MAC " + s)
    return b


def ip4(s):
    p = [int(x) for x in s.split(".")]
    return (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]


def ip6(s):
    """An IPv6 address as an integer (socket.inet_pton does the parsing)."""
    return int.from_bytes(socket.inet_pton(socket.AF_INET6, s), "big")


def csum_fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def sum16(b):
    if len(b) % 2:
        b += b"\0"
    return sum(struct.unpack("!%dH" % (len(b) // 2), b))


def l4_template(proto, flags, dport, l4len):
    """A TCP (flags, window 65535, ack 1 with ACK) or UDP header to dport, ports and
    checksum 0, and zero payload up to l4len bytes: both families' frames carry it."""
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", 0, dport, 0, 1 if flags & 0x10 else 0,
                         5 << 4, flags, 65535, 0, 0)
        return l4 + bytes(l4len - 20)
    return struct.pack("!HHHH", 0, dport, l4len, 0) + bytes(l4len - 8)


class Builder:
    """Frames from per-kind templates; only the varying fields are written, and
    the checksums are the template's sum plus the varying 16-bit words."""

    # from the IPv4 identification to the source address
    IP = struct.Struct("!HHBBHI")       # ident, DF, ttl, proto, checksum, src
    TCP = struct.Struct("!HHIIBBHH")    # sport, dport, seq, ack, offset, flags, window, checksum
    UDP = struct.Struct("!HHHH")        # sport, dport, length, checksum

    frame_len = FRAME

    def __init__(self, src_mac, dst_mac, vip, tcp_port, udp_port):
        self.eth = mac(dst_mac) + mac(src_mac) + b"\x08\x00"
        self.vip = ip4(vip)
        self.tcp_port = tcp_port
        self.udp_port = udp_port
        self.client_base = ip4("198.18.64.0")
        self.tmpl = {}

    def client(self, i):
        if i >= N_ADDR * 64512:
            raise ValueError("too many flows")
        return self.client_base + (i % N_ADDR), 1024 + i // N_ADDR

    def template(self, proto, flags, to=None):
        """(frame with varying fields 0, IP sum, L4 sum) for proto and TCP flags, to
        (address, port): by default the VIP and the protocol's port."""
        key = (proto, flags, to)
        if key in self.tmpl:
            return self.tmpl[key]
        dst, dport = to or (self.vip, self.tcp_port if proto == 6 else self.udp_port)
        # a SYN carries no data: 54 bytes, padded to 60 after the IP packet
        l4len = 20 if proto == 6 and flags & 0x02 else FRAME - 14 - 20
        pad = bytes(FRAME - 14 - 20 - l4len)
        iph = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + l4len, 0, 0x4000, 64, proto, 0, 0,
                          dst)
        pseudo = struct.pack("!IIBBH", 0, dst, 0, proto, l4len)
        l4 = l4_template(proto, flags, dport, l4len)
        t = (self.eth + iph + l4 + pad, sum16(iph), sum16(pseudo) + sum16(l4))
        assert len(t[0]) == FRAME
        self.tmpl[key] = t
        return t

    def put(self, buf, off, proto, src, sport, flags=0x10, seq=1, ident=0, to=None):
        """Write one frame at buf[off:off + FRAME] (to: see template())."""
        fr, ipsum, l4sum = self.template(proto, flags, to)
        buf[off:off + FRAME] = fr
        dport = struct.unpack_from("!H", fr, 36)[0]
        ident &= 0xFFFF
        s_hi, s_lo = src >> 16, src & 0xFFFF
        ipc = 0xFFFF - csum_fold(ipsum + ident + s_hi + s_lo)
        self.IP.pack_into(buf, off + 18, ident, 0x4000, 64, proto, ipc, src)
        if proto == 6:
            c = 0xFFFF - csum_fold(l4sum + s_hi + s_lo + sport + (seq >> 16) + (seq & 0xFFFF))
            self.TCP.pack_into(buf, off + 34, sport, dport, seq, 1 if flags & 0x10 else 0,
                               5 << 4, flags, 65535, c)
        else:
            c = 0xFFFF - csum_fold(l4sum + s_hi + s_lo + sport)
            self.UDP.pack_into(buf, off + 34, sport, dport, FRAME - 14 - 20, c or 0xFFFF)

    def put_frag(self, buf, off, src, sport, ident, second):
        """Write fragment 1 or 2 (second) of flow (src, sport)'s UDP datagram to
        the VIP: 24 bytes of IPv4 payload each, padded to FRAME."""
        dl = 2 * FRAG_DATA
        payload = bytes(dl - 8)
        pseudo = struct.pack("!IIBBH", src, self.vip, 0, 17, dl)
        udp = struct.pack("!HHHH", sport, self.udp_port, dl, 0)
        c = 0xFFFF - csum_fold(sum16(pseudo) + sum16(udp) + sum16(payload))
        data = struct.pack("!HHHH", sport, self.udp_port, dl, c or 0xFFFF) + payload
        part = data[FRAG_DATA:] if second else data[:FRAG_DATA]
        fo = (FRAG_DATA // 8) if second else 0x2000          # offset 3 units, or MF
        iph = bytearray(struct.pack("!BBHHHBBHII", 0x45, 0, 20 + FRAG_DATA, ident & 0xFFFF,
                                    fo, 64, 17, 0, src, self.vip))
        struct.pack_into("!H", iph, 10, 0xFFFF - csum_fold(sum16(bytes(iph))))
        fr = self.eth + bytes(iph) + part
        buf[off:off + FRAME] = fr + bytes(FRAME - len(fr))

    def frame(self, proto, src, sport, flags=0x10, seq=1, ident=0, to=None):
        buf = bytearray(self.frame_len)
        self.put(buf, 0, proto, src, sport, flags, seq, ident, to)
        return bytes(buf)


class Builder6(Builder):
    """The same frames over IPv6: Builder's TCP and UDP headers and payloads
    behind a fixed IPv6 header (hop limit 64, no extension headers); the L4
    checksum covers the IPv6 pseudo-header (RFC 8200 8.1)."""

    frame_len = FRAME6
    TCP_OFF = 14 + 40

    def __init__(self, src_mac, dst_mac, vip, tcp_port, udp_port):
        super().__init__(src_mac, dst_mac, "0.0.0.0", tcp_port, udp_port)
        self.eth = self.eth[:12] + b"\x86\xdd"
        self.vip = ip6(vip)
        self.client_base = ip6("2001:db8:64::1:0")

    def template(self, proto, flags, to=None):
        """(frame with source and varying L4 fields 0, None, L4 sum without the source)."""
        key = (proto, flags, to)
        if key in self.tmpl:
            return self.tmpl[key]
        dst, dport = to or (self.vip, self.tcp_port if proto == 6 else self.udp_port)
        l4len = 20 if proto == 6 and flags & 0x02 else FRAME6 - 14 - 40
        pad = bytes(FRAME6 - 14 - 40 - l4len)
        dstb = dst.to_bytes(16, "big")
        iph = struct.pack("!IHBB", 0x60000000, l4len, proto, 64) + bytes(16) + dstb
        pseudo = dstb + struct.pack("!IxxxB", l4len, proto)
        l4 = l4_template(proto, flags, dport, l4len)
        t = (self.eth + iph + l4 + pad, None, sum16(pseudo) + sum16(l4))
        assert len(t[0]) == FRAME6
        self.tmpl[key] = t
        return t

    def put(self, buf, off, proto, src, sport, flags=0x10, seq=1, ident=0, to=None):
        """Write one frame at buf[off:off + FRAME6] (ident: IPv6 has none)."""
        fr, _, l4sum = self.template(proto, flags, to)
        buf[off:off + FRAME6] = fr
        o = off + self.TCP_OFF
        dport = struct.unpack_from("!H", fr, self.TCP_OFF + 2)[0]
        srcb = src.to_bytes(16, "big")
        buf[off + 22:off + 38] = srcb
        ssum = sum16(srcb)
        if proto == 6:
            c = 0xFFFF - csum_fold(l4sum + ssum + sport + (seq >> 16) + (seq & 0xFFFF))
            self.TCP.pack_into(buf, o, sport, dport, seq, 1 if flags & 0x10 else 0,
                               5 << 4, flags, 65535, c)
        else:
            c = 0xFFFF - csum_fold(l4sum + ssum + sport)
            self.UDP.pack_into(buf, o, sport, dport, FRAME6 - 14 - 40, c or 0xFFFF)


def write(path, b, items):
    """items: iterable of (proto, src, sport, flags, seq, ident[, to])."""
    n = 0
    fl = b.frame_len
    rec = struct.pack("<IIII", 0, 0, fl, fl)
    step = 16 + fl
    chunk = 8192
    with open(path, "wb") as f:
        f.write(PCAP_HDR)
        buf = bytearray((rec + bytes(fl)) * chunk)
        k = 0
        for it in items:
            if it[0] == "frag":
                b.put_frag(buf, k * step + 16, *it[1:])
            else:
                b.put(buf, k * step + 16, *it)
            k += 1
            n += 1
            if k == chunk:
                f.write(buf)
                k = 0
        f.write(memoryview(buf)[:k * step])
    return n


def gen(b, kind, flows, est_flows, punt_to=None):
    """(proto, src, sport, flags, seq, ident[, to]) per frame; frag: ("frag", src,
    sport, ident, second)."""
    if kind == "frag":
        for i in range(flows):
            s, p = b.client(i)
            yield "frag", s, p, i, False
            yield "frag", s, p, i, True
        return
    if kind == "punt":
        for i in range(flows):
            s, p = b.client(i)
            if i % 10 == 9:
                yield 17, s, p, 0, 0, i, punt_to
            elif i % 2:
                yield 17, s, p, 0, 0, i
            else:
                yield 6, s, p, 0x10, 1, i
        return
    if kind in ("udp", "tcp", "est", "syn"):
        for i in range(flows):
            s, p = b.client(i)
            if kind == "udp" or (kind == "est" and i % 2):
                yield 17, s, p, 0, 0, i
            elif kind == "syn":
                yield 6, s, p, 0x02, i, i
            else:
                yield 6, s, p, 0x10, 1, i
    elif kind == "mixed":
        # established flows use indices 0..est_flows-1; new ones start above them
        nxt = est_flows
        for i in range(flows):
            if i % 10 == 9:
                s, p = b.client(nxt)
                nxt += 1
                yield 6, s, p, 0x02, i, i
            else:
                s, p = b.client(i % est_flows)
                yield 6, s, p, 0x10, 1, i
    else:
        raise ValueError("unknown kind " + kind)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("kind", choices=["udp", "tcp", "est", "syn", "mixed", "punt", "frag"])
    ap.add_argument("flows", type=int)
    ap.add_argument("--src-mac", default="02:00:00:00:00:02")
    ap.add_argument("--dst-mac", default="02:00:00:00:00:01")
    ap.add_argument("--family", type=int, choices=[4, 6], default=4)
    ap.add_argument("--vip", help="default 198.19.0.10; IPv6: 2001:db8:100::10")
    ap.add_argument("--tcp-port", type=int, default=80)
    ap.add_argument("--udp-port", type=int, default=53)
    ap.add_argument("--est-flows", type=int, default=1000)
    ap.add_argument("--punt-to", help="punt: ADDR:PORT (IPv6: [ADDR]:PORT); default "
                    "198.18.0.1:9999, IPv6 [2001:db8::1]:9999")
    a = ap.parse_args()
    if a.flows < 1:
        sys.exit("flows must be >= 1")
    v6 = a.family == 6
    vip = a.vip or ("2001:db8:100::10" if v6 else "198.19.0.10")
    punt_to = a.punt_to or ("[2001:db8::1]:9999" if v6 else "198.18.0.1:9999")
    b = (Builder6 if v6 else Builder)(a.src_mac, a.dst_mac, vip, a.tcp_port, a.udp_port)
    addr, port = punt_to.rsplit(":", 1)
    addr = ip6(addr.strip("[]")) if v6 else ip4(addr)
    n = write(a.out, b, gen(b, a.kind, a.flows, a.est_flows, (addr, int(port))))
    print("%s: %d frames (%s, IPv%d)" % (a.out, n, a.kind, a.family))


if __name__ == "__main__":
    main()
