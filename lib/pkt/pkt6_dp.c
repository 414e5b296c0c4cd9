/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv6 extension-header walk (worker data path, out of line: only
 * packets with extension headers come here).
 */
#include <stddef.h>

#include "pkt6_dp.h"

/* Bytes of an upper-layer header a first fragment must hold (RFC 7112). */
static uint32_t
upper_hdr_len(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 20;
	case IPPROTO_UDP:
	case IPPROTO_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

static enum ng_drop_reason
walk_fail(struct ng_ip6_info *info, enum ng_drop_reason r, uint8_t code, uint32_t ptr)
{
	info->pp_code = code;
	info->pp_ptr = (uint16_t)ptr;
	return r;
}

static bool
first_fragment(const struct ng_ip6_info *info)
{
	return (info->flags & (NG_IP6_F_MF | NG_IP6_F_LATER)) == NG_IP6_F_MF;
}

/*
 * The fragment header at off (8 bytes, readable) of a packet whose payload
 * ends at end: record it and apply RFC 8200 4.5's checks.
 */
static enum ng_drop_reason
walk_fragment(const uint8_t *p, uint32_t off, uint32_t end, struct ng_ip6_info *info)
{
	uint16_t fo = (uint16_t)(p[off + 2] << 8 | p[off + 3]);

	if (info->flags & NG_IP6_F_FRAG)
		return walk_fail(info, NG_DROP_IP6_EXT, NG_IP6_PP_NONE, 0);
	info->flags |= NG_IP6_F_FRAG;
	info->frag_off = fo & RTE_IPV6_EHDR_FO_MASK;
	info->unfrag_len = (uint16_t)off;
	memcpy(&info->frag_id, p + off + 4, sizeof(info->frag_id));
	if (fo & RTE_IPV6_EHDR_MF_MASK) {
		info->flags |= NG_IP6_F_MF;
		/* every fragment but the last carries a multiple of 8 bytes */
		if ((end - sizeof(struct rte_ipv6_hdr)) % 8 != 0)
			return walk_fail(info, NG_DROP_IP6_FRAG, NG_ICMP6_PP_HEADER,
					offsetof(struct rte_ipv6_hdr, payload_len));
	}
	if (info->frag_off != 0)
		info->flags |= NG_IP6_F_LATER;
	/* the reassembled payload: unfragmentable headers, then offset + this data */
	if (off - sizeof(struct rte_ipv6_hdr) + info->frag_off + (end - off - 8) > UINT16_MAX)
		return walk_fail(info, NG_DROP_IP6_FRAG, NG_ICMP6_PP_HEADER, off + 2);
	return NG_DROP_NONE;
}

enum ng_drop_reason
ng_ip6_ext_walk(const struct rte_ipv6_hdr *ip, uint16_t plen, struct ng_ip6_info *info)
{
	const uint8_t *p = (const uint8_t *)ip;
	uint32_t off = sizeof(*ip), end = sizeof(*ip) + (uint32_t)plen;
	uint32_t nh_ptr = offsetof(struct rte_ipv6_hdr, proto);
	uint8_t nh = ip->proto, n = 0;

	info->flags = 0;
	info->pp_code = NG_IP6_PP_NONE;
	while (ng_ip6_is_ext(nh)) {
		uint32_t hlen;

		if (nh == IPPROTO_HOPOPTS && off != sizeof(*ip))
			return walk_fail(info, NG_DROP_IP6_EXT, NG_ICMP6_PP_NEXT_HDR, nh_ptr);
		if (n == NG_IP6_EXT_MAX)
			return NG_DROP_IP6_EXT_LIMIT;
		if (off + 8 > end) {
			/* the chain goes on past the payload */
			if (first_fragment(info))
				return walk_fail(info, NG_DROP_IP6_FRAG_CHAIN,
						NG_ICMP6_PP_CHAIN, 0);
			return NG_DROP_IP6_EXT;
		}
		hlen = nh == IPPROTO_FRAGMENT ? 8 : (uint32_t)(p[off + 1] + 1) * 8;
		if (off + hlen > NG_IP6_L3_MAX)
			return NG_DROP_IP6_EXT_LIMIT;
		if (off + hlen > end) {
			if (first_fragment(info))
				return walk_fail(info, NG_DROP_IP6_FRAG_CHAIN,
						NG_ICMP6_PP_CHAIN, 0);
			return NG_DROP_IP6_EXT;
		}
		if (nh == IPPROTO_FRAGMENT) {
			enum ng_drop_reason r = walk_fragment(p, off, end, info);

			if (r != NG_DROP_NONE)
				return r;
		} else if (nh == IPPROTO_ROUTING && p[off + 3] != 0 &&
				!(info->flags & NG_IP6_F_RH)) {
			info->flags |= NG_IP6_F_RH;
			info->rh_off = (uint16_t)off;
		}
		nh_ptr = off;
		nh = p[off];
		off += hlen;
		n++;
		if (info->flags & NG_IP6_F_LATER)
			break; /* the rest is fragment data */
	}
	if (first_fragment(info) && off + upper_hdr_len(nh) > end)
		return walk_fail(info, NG_DROP_IP6_FRAG_CHAIN, NG_ICMP6_PP_CHAIN, 0);
	info->l3_len = (uint16_t)off;
	info->l4_len = (uint16_t)(end - off);
	info->proto = nh;
	info->n_ext = n;
	return NG_DROP_NONE;
}

enum ng_drop_reason
ng_ip6_parse_chain(struct rte_mbuf *m, const struct rte_ipv6_hdr *ip, uint32_t plen,
		struct ng_ip6_info *info)
{
	uint32_t l2 = m->l2_len, first = rte_pktmbuf_data_len(m) - l2 - sizeof(*ip);
	enum ng_drop_reason r;

	if (m->pkt_len != l2 + sizeof(*ip) + plen || first > plen)
		return NG_DROP_TRUNCATED;
	if (!ng_ip6_is_ext(ip->proto)) {
		info->l3_len = sizeof(*ip);
		info->proto = ip->proto;
		info->flags = 0;
		info->n_ext = 0;
	} else {
		/* walked within the first segment: the rest is upper-layer data */
		r = ng_ip6_ext_walk(ip, (uint16_t)first, info);
		if (r != NG_DROP_NONE)
			return r;
		if (info->flags & NG_IP6_F_FRAG)
			return NG_DROP_IP6_EXT;
	}
	if (info->l3_len + 20u > first)
		return NG_DROP_TRUNCATED;
	info->l4_len = (uint16_t)(plen + sizeof(*ip) - info->l3_len);
	m->tx_offload = rte_mbuf_tx_offload(l2, info->l3_len, 0, 0, 0, 0, 0);
	return NG_DROP_NONE;
}
