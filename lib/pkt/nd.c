/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour discovery (RFC 4861): validating solicitations and
 * advertisements, and building them.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>

#include "pkt6.h"

/* Fixed part of NS and NA: type, code, checksum, flags/reserved, target. */
#define ND_HDR_LEN 24
/* A link-layer address option for Ethernet: type, length 1, MAC. */
#define ND_OPT_LL_LEN 8

static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};

/*
 * Walk the options of an ND message (len bytes at p, options from
 * ND_HDR_LEN): every option has a non-zero length within the message; the
 * first option of type ll_type, which must have length 1, gives the MAC.
 */
static bool
nd_options(const uint8_t *p, uint32_t len, uint8_t ll_type, struct ng_nd_msg *msg)
{
	uint32_t off = ND_HDR_LEN;

	msg->has_lladdr = false;
	while (off < len) {
		uint32_t olen;

		if (off + 2 > len || p[off + 1] == 0)
			return false;
		olen = (uint32_t)p[off + 1] * 8;
		if (off + olen > len)
			return false;
		if (p[off] == ll_type) {
			if (olen != ND_OPT_LL_LEN)
				return false;
			if (!msg->has_lladdr) {
				memcpy(&msg->lladdr, p + off + 2, RTE_ETHER_ADDR_LEN);
				msg->has_lladdr = true;
			}
		}
		off += olen;
	}
	return true;
}

enum ng_drop_reason
ng_nd_parse(const struct rte_mbuf *m, const struct ng_ip6_info *info, struct ng_nd_msg *msg)
{
	const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *,
			m->l2_len);
	const uint8_t *p = (const uint8_t *)ip + info->l3_len;
	uint32_t len = info->l4_len;

	if (info->proto != IPPROTO_ICMPV6 || (info->flags & NG_IP6_F_FRAG) ||
			ip->hop_limits != NG_ND_HOP_LIMIT || len < ND_HDR_LEN ||
			(p[0] != NG_ICMP6_ND_NS && p[0] != NG_ICMP6_ND_NA) || p[1] != 0)
		return NG_DROP_ND_INVALID;
	if (!ng_ip6_l4_cksum_ok(ip, p, len, IPPROTO_ICMPV6))
		return NG_DROP_ICMP6_CKSUM;
	msg->type = p[0];
	msg->flags = p[0] == NG_ICMP6_ND_NA ? p[4] & (NG_ND_NA_ROUTER | NG_ND_NA_SOLICITED |
			NG_ND_NA_OVERRIDE) : 0;
	memcpy(msg->target, p + 8, sizeof(msg->target));
	memcpy(msg->src, ip->src_addr, sizeof(msg->src));
	memcpy(msg->dst, ip->dst_addr, sizeof(msg->dst));
	if (ng_ip6_is_mcast(msg->target) || ng_ip6_is_mcast(msg->src) || !nd_options(p, len,
			p[0] == NG_ICMP6_ND_NS ? NG_ND_OPT_SLLA : NG_ND_OPT_TLLA, msg))
		return NG_DROP_ND_INVALID;
	if (msg->type == NG_ICMP6_ND_NS && ng_ip6_is_unspec(msg->src) &&
			(!ng_ip6_is_solicited_node(msg->dst) || msg->has_lladdr))
		return NG_DROP_ND_INVALID;
	if (msg->type == NG_ICMP6_ND_NA && (ng_ip6_is_unspec(msg->src) ||
			(ng_ip6_is_mcast(msg->dst) && (msg->flags & NG_ND_NA_SOLICITED))))
		return NG_DROP_ND_INVALID;
	return NG_DROP_NONE;
}

/*
 * Write at ip an IPv6 header and an ND message (type, flags, target) with a
 * link-layer address option (opt, mac) unless opt is 0, checksummed.
 * @return the bytes written.
 */
static uint16_t
nd_fill(struct rte_ipv6_hdr *ip, const uint8_t src[16], const uint8_t dst[16], uint8_t type,
		uint8_t flags, const uint8_t target[16], uint8_t opt,
		const struct rte_ether_addr *mac)
{
	uint8_t *p = (uint8_t *)(ip + 1);
	uint16_t len = opt != 0 ? ND_HDR_LEN + ND_OPT_LL_LEN : ND_HDR_LEN;
	uint16_t ck;

	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(len);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = NG_ND_HOP_LIMIT;
	memmove(ip->src_addr, src, 16);
	memmove(ip->dst_addr, dst, 16);
	memset(p, 0, ND_HDR_LEN);
	p[0] = type;
	p[4] = flags;
	memcpy(p + 8, target, 16);
	if (opt != 0) {
		p[ND_HDR_LEN] = opt;
		p[ND_HDR_LEN + 1] = 1;
		memcpy(p + ND_HDR_LEN + 2, mac, RTE_ETHER_ADDR_LEN);
	}
	ck = ng_ip6_l4_cksum(ip, p, len, IPPROTO_ICMPV6);
	memcpy(p + 2, &ck, sizeof(ck));
	return (uint16_t)(sizeof(*ip) + len);
}

int
ng_nd_na_reply(struct rte_mbuf *m, const struct ng_nd_msg *ns, uint8_t flags,
		const struct rte_ether_addr *mac)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t want = m->l2_len + sizeof(struct rte_ipv6_hdr) + ND_HDR_LEN + ND_OPT_LL_LEN;
	uint32_t have = rte_pktmbuf_data_len(m);
	struct rte_ether_addr dmac;
	const uint8_t *dst;
	uint8_t target[16];

	if (have < want && rte_pktmbuf_append(m, (uint16_t)(want - have)) == NULL)
		return -ENOSPC;
	if (have > want)
		rte_pktmbuf_trim(m, (uint16_t)(have - want));
	flags &= NG_ND_NA_ROUTER | NG_ND_NA_OVERRIDE;
	if (ng_ip6_is_unspec(ns->src)) {
		dst = all_nodes;
		ng_ip6_mcast_mac(all_nodes, &dmac);
	} else {
		dst = ns->src;
		dmac = ns->has_lladdr ? ns->lladdr : eth->src_addr;
		flags |= NG_ND_NA_SOLICITED;
	}
	memcpy(target, ns->target, sizeof(target));
	eth->dst_addr = dmac;
	eth->src_addr = *mac;
	nd_fill(rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, m->l2_len), target, dst,
			NG_ICMP6_ND_NA, flags, target, NG_ND_OPT_TLLA, mac);
	m->l3_len = sizeof(struct rte_ipv6_hdr);
	return 0;
}

/* A new frame: Ethernet (no VLAN) from smac to dmac and an ND message. */
static struct rte_mbuf *
nd_new(struct rte_mempool *mp, const struct rte_ether_addr *smac,
		const struct rte_ether_addr *dmac, const uint8_t src[16], const uint8_t dst[16],
		uint8_t type, uint8_t flags, const uint8_t target[16], uint8_t opt)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth;
	uint16_t len = sizeof(*eth) + sizeof(struct rte_ipv6_hdr) + ND_HDR_LEN +
			(opt != 0 ? ND_OPT_LL_LEN : 0);

	if (m == NULL || (eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len)) == NULL) {
		rte_pktmbuf_free(m);
		rte_errno = ENOBUFS;
		return NULL;
	}
	eth->dst_addr = *dmac;
	eth->src_addr = *smac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	nd_fill((struct rte_ipv6_hdr *)(eth + 1), src, dst, type, flags, target, opt, smac);
	m->l2_len = sizeof(*eth);
	m->l3_len = sizeof(struct rte_ipv6_hdr);
	return m;
}

struct rte_mbuf *
ng_nd_na_build(struct rte_mempool *mp, const struct rte_ether_addr *smac, const uint8_t src[16],
		const uint8_t target[16], uint8_t flags, const uint8_t dst[16],
		const struct rte_ether_addr *dmac)
{
	struct rte_ether_addr mc;

	if ((dst != NULL && dmac == NULL) || ng_ip6_is_mcast(target)) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (dst == NULL) {
		dst = all_nodes;
		ng_ip6_mcast_mac(all_nodes, &mc);
		dmac = &mc;
	}
	return nd_new(mp, smac, dmac, src, dst, NG_ICMP6_ND_NA, flags, target, NG_ND_OPT_TLLA);
}

struct rte_mbuf *
ng_nd_ns_build(struct rte_mempool *mp, const struct rte_ether_addr *smac, const uint8_t src[16],
		const uint8_t target[16], const struct rte_ether_addr *dmac)
{
	struct rte_ether_addr mc;
	uint8_t dst[16];

	if (ng_ip6_is_mcast(target)) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (dmac == NULL) {
		ng_ip6_solicited_node(target, dst);
		ng_ip6_mcast_mac(dst, &mc);
		dmac = &mc;
	} else {
		memcpy(dst, target, sizeof(dst));
	}
	return nd_new(mp, smac, dmac, src, dst, NG_ICMP6_ND_NS, 0, target,
			ng_ip6_is_unspec(src) ? 0 : NG_ND_OPT_SLLA);
}
