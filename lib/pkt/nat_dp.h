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

/**
 * Rewrite addresses and ports (all network order) of an IPv4 TCP/UDP packet.
 * l4 points at the TCP/UDP header; its first two 16-bit words are the ports.
 */
static inline void
ng_nat4(struct rte_ipv4_hdr *ip, void *l4, uint8_t proto, uint32_t src, uint16_t sport,
		uint32_t dst, uint16_t dport)
{
	uint16_t *ports = l4;
	uint16_t *ck = ng_l4_cksum_ptr(l4, proto);
	bool l4ck = proto == IPPROTO_TCP || *ck != 0;
	uint16_t c = *ck;

	if (ip->src_addr != src) {
		ip->hdr_checksum = ng_cksum_update32(ip->hdr_checksum, ip->src_addr, src);
		if (l4ck)
			c = ng_cksum_update32(c, ip->src_addr, src);
		ip->src_addr = src;
	}
	if (ip->dst_addr != dst) {
		ip->hdr_checksum = ng_cksum_update32(ip->hdr_checksum, ip->dst_addr, dst);
		if (l4ck)
			c = ng_cksum_update32(c, ip->dst_addr, dst);
		ip->dst_addr = dst;
	}
	if (ports[0] != sport) {
		if (l4ck)
			c = ng_cksum_update16(c, ports[0], sport);
		ports[0] = sport;
	}
	if (ports[1] != dport) {
		if (l4ck)
			c = ng_cksum_update16(c, ports[1], dport);
		ports[1] = dport;
	}
	if (l4ck) {
		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		*ck = c;
	}
}

#endif
