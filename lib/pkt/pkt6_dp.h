/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_PKT6_DP_H
#define NG_PKT6_DP_H

/**
 * @file
 * IPv6 data-path parsing and checksum helpers, inlined into worker stages.
 * Nothing here allocates, locks or logs.
 *
 * ng_ip6_parse() checks the fixed header and walks the extension headers a
 * router or load balancer has to see through: hop-by-hop options (only
 * right after the fixed header), routing, destination options and fragment.
 * Every other next-header value ends the walk and is the packet's upper-layer
 * protocol: TCP, UDP, ICMPv6, but also AH, ESP and "no next header" (AH's
 * contents are authenticated and ESP's encrypted, so nothing past them may be
 * rewritten anyway). The walk is bounded: at most NG_IP6_EXT_MAX extension
 * headers, all within the first NG_IP6_L3_MAX bytes of the IPv6 packet (so
 * the header chain's length fits the mbuf's 9-bit l3_len).
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "ng_stats.h"

/** Most extension headers walked before the packet is dropped. */
#define NG_IP6_EXT_MAX 8
/** Longest header chain (fixed header and extension headers) accepted:
 * extension headers are multiples of 8 bytes, 40 + 8k <= 511 (mbuf l3_len). */
#define NG_IP6_L3_MAX 504
/** IPv6 minimum link MTU (RFC 8200 5): no ICMPv6 error is longer. */
#define NG_IP6_MIN_MTU 1280

/* ICMPv6 types and codes (RFC 4443, RFC 4861). */
#define NG_ICMP6_DST_UNREACH 1
#define NG_ICMP6_UNREACH_NO_ROUTE 0
#define NG_ICMP6_UNREACH_ADMIN 1
#define NG_ICMP6_UNREACH_ADDR 3
#define NG_ICMP6_UNREACH_PORT 4
#define NG_ICMP6_PKT_TOO_BIG 2
#define NG_ICMP6_TIME_EXCEEDED 3
#define NG_ICMP6_TIME_HOP_LIMIT 0
#define NG_ICMP6_PARAM_PROB 4
#define NG_ICMP6_PP_HEADER 0     /**< erroneous header field */
#define NG_ICMP6_PP_NEXT_HDR 1   /**< unrecognized next header */
#define NG_ICMP6_PP_OPTION 2     /**< unrecognized IPv6 option */
#define NG_ICMP6_PP_CHAIN 3      /**< first fragment without the whole header chain (RFC 7112) */
#define NG_ICMP6_ECHO_REQUEST 128
#define NG_ICMP6_ECHO_REPLY 129
#define NG_ICMP6_ND_NS 135
#define NG_ICMP6_ND_NA 136
#define NG_ICMP6_REDIRECT 137

/** No parameter problem to report (struct ng_ip6_info pp_code). */
#define NG_IP6_PP_NONE 0xff

#define NG_IP6_F_FRAG  0x01 /**< a fragment header was walked */
#define NG_IP6_F_MF    0x02 /**< ...with the M (more fragments) flag */
#define NG_IP6_F_LATER 0x04 /**< ...with a non-zero offset: no upper-layer header */
#define NG_IP6_F_RH    0x08 /**< a routing header with segments left > 0 */

/** What ng_ip6_parse() learnt about a packet. Offsets are from the IPv6 header. */
struct ng_ip6_info {
	uint16_t l3_len;     /**< fixed header and extension headers, up to the upper layer */
	uint16_t l4_len;     /**< bytes after l3_len up to the end of the payload */
	uint8_t proto;       /**< upper-layer protocol; of a later fragment: the fragment
	                          header's next header */
	uint8_t flags;       /**< NG_IP6_F_* */
	uint8_t n_ext;       /**< extension headers walked */
	/** On a drop by the extension-header walk: the ICMPv6 parameter problem code
	 * (RFC 8200 4, RFC 7112) that answers it, else NG_IP6_PP_NONE. */
	uint8_t pp_code;
	uint16_t pp_ptr;     /**< ...and its pointer: the offending field's offset */
	uint16_t frag_off;   /**< NG_IP6_F_FRAG: fragment offset in bytes */
	uint16_t unfrag_len; /**< NG_IP6_F_FRAG: headers before the fragment header */
	uint16_t rh_off;     /**< NG_IP6_F_RH: offset of that routing header */
	uint32_t frag_id;    /**< NG_IP6_F_FRAG: identification, network order */
};

/** Is nh one of the extension headers the parser walks? */
static inline bool
ng_ip6_is_ext(uint8_t nh)
{
	const uint64_t ext = 1ull << IPPROTO_HOPOPTS | 1ull << IPPROTO_ROUTING |
			1ull << IPPROTO_FRAGMENT | 1ull << IPPROTO_DSTOPTS;

	return nh < 64 && ((ext >> nh) & 1) != 0;
}

/**
 * Walk the extension headers of an IPv6 packet whose fixed header and plen
 * payload bytes (its payload length) are readable at ip. Fills info; on a
 * drop, info->pp_code and pp_ptr tell which parameter problem answers it.
 * Out of line: only packets with extension headers come here.
 * @return NG_DROP_NONE, NG_DROP_IP6_EXT (a header past the payload, hop-by-hop
 *   options not first, a second fragment header), NG_DROP_IP6_EXT_LIMIT,
 *   NG_DROP_IP6_FRAG (RFC 8200 4.5: an M fragment whose payload is not a
 *   multiple of 8, or one that would reassemble past 65,535 bytes) or
 *   NG_DROP_IP6_FRAG_CHAIN (a first fragment without its upper-layer header).
 */
enum ng_drop_reason ng_ip6_ext_walk(const struct rte_ipv6_hdr *ip, uint16_t plen,
		struct ng_ip6_info *info);

/**
 * ng_ip6_parse() of a chain (out of line): exactly its length, the header
 * chain walked within the first segment, 20 bytes of it past the chain.
 */
enum ng_drop_reason ng_ip6_parse_chain(struct rte_mbuf *m, const struct rte_ipv6_hdr *ip,
		uint32_t plen, struct ng_ip6_info *info);

/**
 * Parse the IPv6 header of a frame whose Ethernet header ng_pkt_parse()
 * measured (m->l2_len; it reports IPv6 as NG_L3_IPV6). Bounds-checked against
 * the single segment's data length, or, for a chain (a datagram reassembled
 * on this gateway, lib/worker/reass_dp.c), exactly its length with the header
 * chain and 20 bytes past it in the first segment. On success m->l3_len is
 * info->l3_len and Ethernet padding past the payload length is trimmed.
 * @return NG_DROP_NONE, NG_DROP_TRUNCATED (the frame ends before the fixed
 *   header or the payload), NG_DROP_IP6_HEADER (version is not 6), or a
 *   reason from ng_ip6_ext_walk(). A jumbogram (payload length 0 and a
 *   hop-by-hop header) fails the walk: jumbograms are not supported.
 */
static inline enum ng_drop_reason
ng_ip6_parse(struct rte_mbuf *m, struct ng_ip6_info *info)
{
	const struct rte_ipv6_hdr *ip;
	uint32_t l2 = m->l2_len, len = rte_pktmbuf_data_len(m), plen;

	info->pp_code = NG_IP6_PP_NONE;
	if (unlikely(len < l2 + sizeof(*ip)))
		return NG_DROP_TRUNCATED;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, l2);
	if (unlikely((*(const uint8_t *)ip >> 4) != 6))
		return NG_DROP_IP6_HEADER;
	plen = rte_be_to_cpu_16(ip->payload_len);
	if (unlikely(m->nb_segs != 1))
		return ng_ip6_parse_chain(m, ip, plen, info);
	if (unlikely(len < l2 + sizeof(*ip) + plen))
		return NG_DROP_TRUNCATED;
	if (likely(!ng_ip6_is_ext(ip->proto))) {
		info->l3_len = sizeof(*ip);
		info->l4_len = (uint16_t)plen;
		info->proto = ip->proto;
		info->flags = 0;
		info->n_ext = 0;
	} else {
		enum ng_drop_reason r = ng_ip6_ext_walk(ip, (uint16_t)plen, info);

		if (unlikely(r != NG_DROP_NONE))
			return r;
	}
	if (len > l2 + sizeof(*ip) + plen)
		rte_pktmbuf_trim(m, (uint16_t)(len - l2 - sizeof(*ip) - plen));
	m->tx_offload = rte_mbuf_tx_offload(l2, info->l3_len, 0, 0, 0, 0, 0);
	return NG_DROP_NONE;
}

/** Is the packet a fragment (not an atomic fragment, RFC 6946)? */
static inline bool
ng_ip6_is_fragment(const struct ng_ip6_info *info)
{
	return (info->flags & (NG_IP6_F_MF | NG_IP6_F_LATER)) != 0;
}

/**
 * Is the TCP or UDP header of a parsed, unfragmented IPv6 packet complete and
 * self-consistent: TCP data offset 5..15 words within the payload, UDP length
 * 8..l4_len, and a UDP checksum (a UDP checksum of 0 is invalid over IPv6,
 * RFC 8200 8.1: receivers discard it, and so does nodegw before any NAT)?
 * @return NG_DROP_NONE, NG_DROP_L4_HEADER or NG_DROP_UDP6_NO_CKSUM.
 */
static inline enum ng_drop_reason
ng_l4_check6(const struct rte_ipv6_hdr *ip, const struct ng_ip6_info *info)
{
	const uint8_t *l4 = (const uint8_t *)ip + info->l3_len;

	if (info->proto == IPPROTO_TCP) {
		uint16_t doff;

		if (info->l4_len < 20)
			return NG_DROP_L4_HEADER;
		doff = (uint16_t)((l4[12] >> 4) * 4);
		return doff >= 20 && doff <= info->l4_len ? NG_DROP_NONE : NG_DROP_L4_HEADER;
	}
	if (info->proto == IPPROTO_UDP) {
		uint16_t ulen;

		if (info->l4_len < 8)
			return NG_DROP_L4_HEADER;
		ulen = (uint16_t)((l4[4] << 8) | l4[5]);
		if (ulen < 8 || ulen > info->l4_len)
			return NG_DROP_L4_HEADER;
		return (l4[6] | l4[7]) != 0 ? NG_DROP_NONE : NG_DROP_UDP6_NO_CKSUM;
	}
	return NG_DROP_NONE;
}

/**
 * One's complement sum (not folded, not inverted) of the IPv6 pseudo-header
 * (RFC 8200 8.1) of an upper-layer message of len bytes. The destination is
 * the final one: for a packet with a routing header whose segments left is
 * not 0 that is the routing header's last address, which the caller passes.
 */
static inline uint32_t
ng_ip6_phdr_sum(const uint8_t src[16], const uint8_t dst[16], uint32_t len, uint8_t proto)
{
	uint32_t tail[2] = {rte_cpu_to_be_32(len), rte_cpu_to_be_32(proto)};
	uint32_t s = __rte_raw_cksum(src, 16, 0);

	s = __rte_raw_cksum(dst, 16, s);
	return __rte_raw_cksum(tail, sizeof(tail), s);
}

/**
 * The checksum to store in a TCP, UDP or ICMPv6 message of len bytes at l4
 * (its checksum field zero), under ip's pseudo-header. For UDP a computed 0
 * is returned as 0xffff (0 means "no checksum", invalid over IPv6).
 */
static inline uint16_t
ng_ip6_l4_cksum(const struct rte_ipv6_hdr *ip, const void *l4, uint32_t len, uint8_t proto)
{
	uint32_t s = ng_ip6_phdr_sum(ip->src_addr, ip->dst_addr, len, proto);
	uint16_t c = (uint16_t)~__rte_raw_cksum_reduce(__rte_raw_cksum(l4, len, s));

	return c == 0 && proto == IPPROTO_UDP ? 0xffff : c;
}

/** Is the checksum of the upper-layer message of len bytes at l4 right? */
static inline bool
ng_ip6_l4_cksum_ok(const struct rte_ipv6_hdr *ip, const void *l4, uint32_t len, uint8_t proto)
{
	uint32_t s = ng_ip6_phdr_sum(ip->src_addr, ip->dst_addr, len, proto);

	return __rte_raw_cksum_reduce(__rte_raw_cksum(l4, len, s)) == 0xffff;
}

/** Are two IPv6 addresses equal (two 64-bit compares)? */
static inline bool
ng_ip6_addr_eq(const uint8_t a[16], const uint8_t b[16])
{
	uint64_t x[2], y[2];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/** Is a an IPv6 multicast address (ff00::/8)? */
static inline bool
ng_ip6_is_mcast(const uint8_t a[16])
{
	return a[0] == 0xff;
}

/** Is a link-local (fe80::/10)? */
static inline bool
ng_ip6_is_link_local(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/** Is a the unspecified address (::)? */
static inline bool
ng_ip6_is_unspec(const uint8_t a[16])
{
	uint64_t w[2];

	memcpy(w, a, sizeof(w));
	return (w[0] | w[1]) == 0;
}

/** The solicited-node multicast address of a (ff02::1:ffXX:XXXX, RFC 4291 2.7.1). */
static inline void
ng_ip6_solicited_node(const uint8_t a[16], uint8_t out[16])
{
	static const uint8_t pfx[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};

	memcpy(out, pfx, sizeof(pfx));
	memcpy(out + 13, a + 13, 3);
}

/** Is a a solicited-node multicast address (ff02::1:ff00:0/104)? */
static inline bool
ng_ip6_is_solicited_node(const uint8_t a[16])
{
	uint8_t sn[16];

	ng_ip6_solicited_node(a, sn);
	return memcmp(sn, a, 13) == 0;
}

/** The Ethernet address of IPv6 multicast group a: 33:33 and its last 32 bits (RFC 2464 7). */
static inline void
ng_ip6_mcast_mac(const uint8_t a[16], struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(&mac->addr_bytes[2], a + 12, 4);
}

#endif
