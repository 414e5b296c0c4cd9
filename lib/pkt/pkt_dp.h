/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_PKT_DP_H
#define NG_PKT_DP_H

/**
 * @file
 * Data-path packet parsing and checksum helpers, inlined into worker stages.
 * Nothing here allocates, locks or logs.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "ng_stats.h"

enum ng_l3 {
	NG_L3_ARP = 1,
	NG_L3_IPV4,
	NG_L3_IPV6,
};

/**
 * One's complement sum (folded, not inverted) of an IPv4 header of ihl bytes:
 * 0xffff when its checksum is right. The common 20-byte header is summed as
 * five 32-bit words.
 */
static inline uint16_t
ng_ip4_hdr_sum(const struct rte_ipv4_hdr *ip, uint16_t ihl)
{
	uint32_t w[5];
	uint64_t s;

	if (unlikely(ihl != sizeof(w)))
		return rte_raw_cksum(ip, ihl);
	memcpy(w, ip, sizeof(w));
	s = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/**
 * Parse Ethernet (and at most one 802.1Q tag) and the network header.
 *
 * On success m->l2_len holds the L2 header length (14 or 18), *l3 the
 * network protocol, and for IPv4 m->l3_len the IPv4 header length. An IPv4
 * frame longer than the IP total length (Ethernet padding) is trimmed. An
 * IPv6 frame gets m->l2_len and *l3 = NG_L3_IPV6 and is reported as
 * NG_DROP_IPV6, so that IPv4's path never tests for it: the parse stage
 * hands it to ip6-parse, where ng_ip6_parse() (pkt6_dp.h) parses the rest.
 *
 * @param verify_cksum check the IPv4 header checksum in software unless the
 *   PMD already flagged it good or bad
 * @return NG_DROP_NONE, or why the packet must be dropped.
 */
static inline enum ng_drop_reason
ng_pkt_parse(struct rte_mbuf *m, enum ng_l3 *l3, bool verify_cksum)
{
	const struct rte_ether_hdr *eth;
	uint16_t len = rte_pktmbuf_data_len(m);
	uint16_t l2 = sizeof(struct rte_ether_hdr);
	uint16_t type;

	if (unlikely(len < sizeof(*eth)))
		return NG_DROP_TRUNCATED;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	type = eth->ether_type;
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
		const struct rte_vlan_hdr *vh;

		if (unlikely(len < l2 + sizeof(*vh)))
			return NG_DROP_TRUNCATED;
		vh = (const struct rte_vlan_hdr *)(eth + 1);
		type = vh->eth_proto;
		l2 += sizeof(*vh);
		if (unlikely(type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) ||
				type == rte_cpu_to_be_16(RTE_ETHER_TYPE_QINQ)))
			return NG_DROP_VLAN_NESTED;
	}
	if (likely(type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))) {
		const struct rte_ipv4_hdr *ip;
		uint16_t ihl, tot;

		if (unlikely(len < l2 + sizeof(*ip)))
			return NG_DROP_TRUNCATED;
		ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l2);
		ihl = (uint16_t)((ip->version_ihl & 0x0f) * 4);
		tot = rte_be_to_cpu_16(ip->total_length);
		if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || tot < ihl))
			return NG_DROP_IP_HEADER;
		/* a chain is a datagram reassembled on this gateway (reass_dp.c):
		 * exactly its length, its IPv4 and L4 headers in the first segment */
		if (unlikely(m->nb_segs != 1)) {
			if (m->pkt_len != l2 + tot || len < l2 + ihl + sizeof(struct rte_tcp_hdr))
				return NG_DROP_TRUNCATED;
		} else if (unlikely(len < l2 + tot)) {
			return NG_DROP_TRUNCATED;
		}
		if (verify_cksum) {
			uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

			if (unlikely(f == RTE_MBUF_F_RX_IP_CKSUM_BAD))
				return NG_DROP_IP_CKSUM;
			if (f != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
					unlikely(ng_ip4_hdr_sum(ip, ihl) != 0xffff))
				return NG_DROP_IP_CKSUM;
		}
		if (len > l2 + tot)
			rte_pktmbuf_trim(m, (uint16_t)(len - l2 - tot));
		/* l2_len and l3_len in one store (no TX offloads are used), not two
		 * read-modify-writes of the mbuf's second cache line */
		m->tx_offload = rte_mbuf_tx_offload(l2, ihl, 0, 0, 0, 0, 0);
		*l3 = NG_L3_IPV4;
		return NG_DROP_NONE;
	}
	m->l2_len = l2;
	/* IPv6 (ng_ip6_parse() checks a chain: a datagram reassembled here) */
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		*l3 = NG_L3_IPV6;
		return NG_DROP_IPV6;
	}
	if (unlikely(m->nb_segs != 1))
		return NG_DROP_TRUNCATED;
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		if (unlikely(len < l2 + sizeof(struct rte_arp_hdr)))
			return NG_DROP_TRUNCATED;
		*l3 = NG_L3_ARP;
		return NG_DROP_NONE;
	}
	return NG_DROP_ETHERTYPE;
}

/**
 * Is the TCP or UDP header of an IPv4 packet (header length ihl, total length
 * tot) complete and self-consistent: TCP data offset 5..15 words within the
 * packet, UDP length 8..(tot - ihl)?
 */
static inline bool
ng_l4_valid(const struct rte_ipv4_hdr *ip, uint16_t ihl, uint16_t tot)
{
	const uint8_t *l4 = (const uint8_t *)ip + ihl;

	if (ip->next_proto_id == IPPROTO_TCP) {
		uint16_t doff;

		if (tot < ihl + 20)
			return false;
		doff = (uint16_t)((l4[12] >> 4) * 4);
		return doff >= 20 && doff <= tot - ihl;
	}
	if (ip->next_proto_id == IPPROTO_UDP) {
		uint16_t ulen;

		if (tot < ihl + 8)
			return false;
		ulen = (uint16_t)((l4[4] << 8) | l4[5]);
		return ulen >= 8 && ulen <= tot - ihl;
	}
	return true;
}

/**
 * RFC 1624 incremental update of a 16-bit one's complement checksum when a
 * 16-bit field changes from old to new (all in network byte order).
 */
static inline uint16_t
ng_cksum_update16(uint16_t cksum, uint16_t old, uint16_t new_)
{
	uint32_t s = (uint16_t)~cksum + (uint16_t)~old + (uint32_t)new_;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/** Same as ng_cksum_update16() for a 32-bit field (an IPv4 address). */
static inline uint16_t
ng_cksum_update32(uint16_t cksum, uint32_t old, uint32_t new_)
{
	cksum = ng_cksum_update16(cksum, (uint16_t)(old >> 16), (uint16_t)(new_ >> 16));
	return ng_cksum_update16(cksum, (uint16_t)old, (uint16_t)new_);
}

/**
 * Decrement the TTL and patch the header checksum incrementally.
 * The caller checked ttl > 1.
 */
static inline void
ng_ip4_ttl_dec(struct rte_ipv4_hdr *ip)
{
	uint16_t old, new_;

	/* ttl and protocol as one 16-bit word, changed in a register: a byte
	 * store read back as a word would stall on store forwarding */
	memcpy(&old, &ip->time_to_live, sizeof(old));
	new_ = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(old) - 0x100));
	memcpy(&ip->time_to_live, &new_, sizeof(new_));
	ip->hdr_checksum = ng_cksum_update16(ip->hdr_checksum, old, new_);
}

/**
 * Sequence space of a TCP segment: its data, plus one for SYN and for FIN.
 * @param l4_len bytes from the TCP header to the end of the segment
 */
static inline uint32_t
ng_tcp_seg_len(const struct rte_tcp_hdr *t, uint32_t l4_len)
{
	return l4_len - (uint32_t)(t->data_off >> 4) * 4 + !!(t->tcp_flags & RTE_TCP_SYN_FLAG) +
			!!(t->tcp_flags & RTE_TCP_FIN_FLAG);
}

/**
 * Write into th the 20-byte header of the RST that answers segment t (RFC
 * 9293 3.10.7.1): ports swapped; a segment with ACK gets RST with its ack
 * number as sequence, one without gets RST|ACK acknowledging seg_len
 * (ng_tcp_seg_len()). The checksum is left 0. th and t may not overlap.
 */
static inline void
ng_tcp_rst_hdr(struct rte_tcp_hdr *th, const struct rte_tcp_hdr *t, uint32_t seg_len)
{
	memset(th, 0, sizeof(*th));
	th->src_port = t->dst_port;
	th->dst_port = t->src_port;
	if (t->tcp_flags & RTE_TCP_ACK_FLAG) {
		th->sent_seq = t->recv_ack;
		th->tcp_flags = RTE_TCP_RST_FLAG;
	} else {
		th->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(t->sent_seq) + seg_len);
		th->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	th->data_off = (sizeof(*th) / 4) << 4;
}

#endif
