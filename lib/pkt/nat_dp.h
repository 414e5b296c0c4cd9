/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_NAT_DP_H
#define NG_NAT_DP_H

/**
 * @file
 * NAT rewrites with incremental checksum updates (RFC 1624).
 *
 * IPv4 (ng_nat4): the IPv4 header checksum, and the TCP/UDP checksum over the
 * pseudo-header and ports. A UDP checksum of 0 (none) stays 0; a computed 0
 * is sent as 0xffff.
 *
 * IPv6 (ng_nat6): no header checksum; the TCP/UDP checksum over the IPv6
 * pseudo-header (two 128-bit addresses) and ports. A UDP checksum of 0 is
 * invalid over IPv6 (RFC 8200 8.1): the stages drop such packets before NAT
 * (ng_l4_check6(), NG_DROP_UDP6_NO_CKSUM), so ng_nat6() never sees one; a
 * computed 0 is sent as 0xffff.
 */

#include <stddef.h>

#include <rte_common.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "pkt_dp.h"
#include "pkt6_dp.h"

/** Pointer to the L4 checksum field of a TCP or UDP header. */
static inline uint16_t *
ng_l4_cksum_ptr(void *l4, uint8_t proto)
{
	return (uint16_t *)((uint8_t *)l4 + (proto == IPPROTO_TCP ?
			offsetof(struct rte_tcp_hdr, cksum) : offsetof(struct rte_udp_hdr, dgram_cksum)));
}

/* One's complement sum of the 16-bit halves of ~old and new: what replacing
 * old by new adds to a checksum's complement (RFC 1624, eqn. 3). */
static __rte_always_inline uint32_t
ng_cksum_delta32(uint32_t old, uint32_t new_)
{
	old = ~old;
	return (old >> 16) + (old & 0xffff) + (new_ >> 16) + (new_ & 0xffff);
}

static __rte_always_inline uint16_t
ng_cksum_apply(uint16_t cksum, uint32_t delta)
{
	uint32_t s = (uint16_t)~cksum + delta;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/**
 * Rewrite addresses and ports (all network order) of an IPv4 TCP/UDP packet.
 * l4 points at the TCP/UDP header; its first two 16-bit words are the ports.
 * Both checksums are patched with one summed difference each.
 */
static __rte_always_inline void
ng_nat4(struct rte_ipv4_hdr *ip, void *l4, uint8_t proto, uint32_t src, uint16_t sport,
		uint32_t dst, uint16_t dport)
{
	uint16_t *ports = l4;
	uint16_t *ck = ng_l4_cksum_ptr(l4, proto);
	uint32_t d3 = 0, d4;

	if (ip->src_addr != src)
		d3 += ng_cksum_delta32(ip->src_addr, src);
	if (ip->dst_addr != dst)
		d3 += ng_cksum_delta32(ip->dst_addr, dst);
	d4 = d3;
	if (ports[0] != sport)
		d4 += (uint16_t)~ports[0] + (uint32_t)sport;
	if (ports[1] != dport)
		d4 += (uint16_t)~ports[1] + (uint32_t)dport;
	/* A zero sum leaves a checksum as it is (an unchanged field adds nothing). */
	ip->hdr_checksum = ng_cksum_apply(ip->hdr_checksum, d3);
	ip->src_addr = src;
	ip->dst_addr = dst;
	ports[0] = sport;
	ports[1] = dport;
	if (proto == IPPROTO_TCP || *ck != 0) {
		uint16_t c = ng_cksum_apply(*ck, d4);

		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		*ck = c;
	}
}

/*
 * What replacing a 128-bit field old by new_ adds to a checksum's complement
 * (the same value modulo 0xffff as ng_cksum_delta32() of its four 32-bit
 * words): the eight 32-bit halves of ~old's and new_'s two 64-bit words
 * summed in 64 bits (no carry lost: 8 * (2^32 - 1) < 2^35), folded to 32 bits
 * and then to 17 (2^32 and 2^16 are 1 modulo 0xffff). Two 64-bit loads of
 * each address and half the additions of a sum of 16-bit halves. At most
 * 0x1ffff, so several such sums still fit 32 bits for ng_cksum_apply().
 */
static __rte_always_inline uint32_t
ng_cksum_delta128(const uint8_t old[16], const uint8_t new_[16])
{
	uint64_t o[2], n[2], s;

	memcpy(o, old, sizeof(o));
	memcpy(n, new_, sizeof(n));
	o[0] = ~o[0];
	o[1] = ~o[1];
	s = (o[0] & 0xffffffff) + (o[0] >> 32) + (o[1] & 0xffffffff) + (o[1] >> 32) +
			(n[0] & 0xffffffff) + (n[0] >> 32) + (n[1] & 0xffffffff) + (n[1] >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)((s & 0xffff) + (s >> 16));
}

/**
 * Rewrite addresses and ports (ports in network order) of an IPv6 TCP/UDP
 * packet. l4 points at the TCP/UDP header (after any extension headers); its
 * first two 16-bit words are the ports. The L4 checksum is patched with one
 * summed difference; unchanged fields add nothing, so a rewrite to the same
 * values leaves the packet as it was. The caller dropped UDP with checksum 0
 * (ng_l4_check6()). src and dst may point into the packet's own header.
 */
static __rte_always_inline void
ng_nat6(struct rte_ipv6_hdr *ip, void *l4, uint8_t proto, const uint8_t src[16],
		uint16_t sport, const uint8_t dst[16], uint16_t dport)
{
	uint16_t *ports = l4;
	uint16_t *ck = ng_l4_cksum_ptr(l4, proto);
	uint8_t s[16], t[16];
	uint32_t d = 0;
	uint16_t c;

	/* copies first: src or dst may be the packet's other address (a swap) */
	memcpy(s, src, sizeof(s));
	memcpy(t, dst, sizeof(t));
	if (!ng_ip6_addr_eq(ip->src_addr, s))
		d += ng_cksum_delta128(ip->src_addr, s);
	if (!ng_ip6_addr_eq(ip->dst_addr, t))
		d += ng_cksum_delta128(ip->dst_addr, t);
	if (ports[0] != sport)
		d += (uint16_t)~ports[0] + (uint32_t)sport;
	if (ports[1] != dport)
		d += (uint16_t)~ports[1] + (uint32_t)dport;
	memcpy(ip->src_addr, s, sizeof(s));
	memcpy(ip->dst_addr, t, sizeof(t));
	ports[0] = sport;
	ports[1] = dport;
	c = ng_cksum_apply(*ck, d);
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	*ck = c;
}

#endif
