/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_NAT_DP_H
#define NG_NAT_DP_H

/**
 * @file
 * IPv4 NAT rewrites with incremental checksum updates (RFC 1624): the IPv4
 * header checksum, and the TCP/UDP checksum over the pseudo-header and ports.
 * A UDP checksum of 0 (none) stays 0; a computed 0 is sent as 0xffff.
 */

#include <stddef.h>

#include <rte_common.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "pkt_dp.h"

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

#endif
