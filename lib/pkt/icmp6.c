/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMPv6 errors and echo replies, and the TCP RST over IPv6: the replies a
 * worker builds for local traffic and refusals.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_tcp.h>

#include "nat_dp.h"
#include "pkt6.h"

/* Version 6, traffic class and flow label 0. */
#define VTC_FLOW_V6 RTE_BE32(6u << 28)

/* The IPv6 header of m at m->l2_len, or NULL when m holds none. */
static const struct rte_ipv6_hdr *
ip6_of(const struct rte_mbuf *m)
{
	const struct rte_ipv6_hdr *ip;

	if (rte_pktmbuf_data_len(m) < m->l2_len + sizeof(*ip))
		return NULL;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, m->l2_len);
	return (*(const uint8_t *)ip >> 4) == 6 ? ip : NULL;
}

/* Bytes of m's IPv6 packet present: the fixed header and payload, at most what m holds. */
static uint32_t
ip6_avail(const struct rte_mbuf *m, const struct rte_ipv6_hdr *ip)
{
	uint32_t have = rte_pktmbuf_data_len(m) - m->l2_len;
	uint32_t want = sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);

	return RTE_MIN(have, want);
}

/* Is orig an ICMPv6 error or redirect? A chain that cannot be walked is not. */
static bool
is_icmp6_error(const struct rte_mbuf *orig, const struct rte_ipv6_hdr *ip)
{
	uint32_t avail = ip6_avail(orig, ip);
	struct ng_ip6_info info;
	uint8_t type;

	if (ng_ip6_ext_walk(ip, (uint16_t)(avail - sizeof(*ip)), &info) != NG_DROP_NONE ||
			info.proto != IPPROTO_ICMPV6 || (info.flags & NG_IP6_F_LATER) ||
			info.l4_len == 0)
		return false;
	type = ((const uint8_t *)ip)[info.l3_len];
	return type < NG_ICMP6_ECHO_REQUEST || type == NG_ICMP6_REDIRECT;
}

bool
ng_icmp6_error_allowed(const struct rte_mbuf *orig, uint8_t type, uint8_t code)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(orig, const struct rte_ether_hdr *);
	const struct rte_ipv6_hdr *ip = ip6_of(orig);
	bool mcast_ok = type == NG_ICMP6_PKT_TOO_BIG ||
			(type == NG_ICMP6_PARAM_PROB && code == NG_ICMP6_PP_OPTION);

	if (ip == NULL)
		return false;
	if (ng_ip6_is_unspec(ip->src_addr) || ng_ip6_is_mcast(ip->src_addr))
		return false;
	if (!mcast_ok && (ng_ip6_is_mcast(ip->dst_addr) ||
			rte_is_multicast_ether_addr(&eth->dst_addr)))
		return false;
	return !is_icmp6_error(orig, ip);
}

/* Write an IPv6 fixed header (version 6, class and label 0). */
static void
ip6_hdr_fill(struct rte_ipv6_hdr *ip, uint16_t plen, uint8_t proto, uint8_t hops,
		const uint8_t src[16], const uint8_t dst[16])
{
	ip->vtc_flow = VTC_FLOW_V6;
	ip->payload_len = rte_cpu_to_be_16(plen);
	ip->proto = proto;
	ip->hop_limits = hops;
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
}

struct rte_mbuf *
ng_pkt_icmp6_error(struct rte_mempool *mp, struct rte_mbuf *orig, uint8_t type, uint8_t code,
		uint32_t word, const uint8_t src[16], const struct rte_ether_addr *smac)
{
	const struct rte_ether_hdr *oeth = rte_pktmbuf_mtod(orig, const struct rte_ether_hdr *);
	const struct rte_ipv6_hdr *oip = ip6_of(orig);
	uint16_t l2 = orig->l2_len, quote;
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip;
	struct rte_mbuf *m;
	uint8_t *icmp;

	if (oip == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (!ng_icmp6_error_allowed(orig, type, code)) {
		rte_errno = EPERM;
		return NULL;
	}
	quote = (uint16_t)RTE_MIN(ip6_avail(orig, oip), (uint32_t)NG_ICMP6_QUOTE_MAX);
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL) {
		rte_errno = ENOBUFS;
		return NULL;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(l2 + sizeof(*ip) + 8 +
			quote));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		rte_errno = ENOBUFS;
		return NULL;
	}
	/* Ethernet (and VLAN) header of the original, back to its source. */
	memcpy(eth, oeth, l2);
	rte_ether_addr_copy(&oeth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(smac, &eth->src_addr);
	ip = (struct rte_ipv6_hdr *)((uint8_t *)eth + l2);
	ip6_hdr_fill(ip, (uint16_t)(8 + quote), IPPROTO_ICMPV6, NG_IP6_HOP_LIMIT, src,
			oip->src_addr);
	icmp = (uint8_t *)(ip + 1);
	icmp[0] = type;
	icmp[1] = code;
	icmp[2] = 0;
	icmp[3] = 0;
	word = rte_cpu_to_be_32(word);
	memcpy(icmp + 4, &word, sizeof(word));
	memcpy(icmp + 8, oip, quote);
	*(unaligned_uint16_t *)(icmp + 2) = ng_ip6_l4_cksum(ip, icmp, 8u + quote,
			IPPROTO_ICMPV6);
	m->l2_len = l2;
	m->l3_len = sizeof(*ip);
	m->port = orig->port;
	return m;
}

/* Make the upper-layer message of m (len bytes at l4) follow the fixed header
 * at ip and end the frame there. */
static void
drop_ext_hdrs(struct rte_mbuf *m, struct rte_ipv6_hdr *ip, uint8_t *l4, uint16_t len)
{
	if (l4 != (uint8_t *)(ip + 1))
		memmove(ip + 1, l4, len);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - m->l2_len - sizeof(*ip) -
			len));
	m->l3_len = sizeof(*ip);
}

/* Ethernet header of a reply in place: back to the frame's source, from smac. */
static void
eth_reply(struct rte_mbuf *m, const struct rte_ether_addr *smac)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	eth->dst_addr = eth->src_addr;
	eth->src_addr = *smac;
}

enum ng_drop_reason
ng_icmp6_echo_reply(struct rte_mbuf *m, const struct ng_ip6_info *info, const uint8_t src[16],
		const struct rte_ether_addr *smac)
{
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, m->l2_len);
	uint8_t *icmp = (uint8_t *)ip + info->l3_len;
	uint16_t len = info->l4_len, ck, old, new_;
	uint8_t s[16], d[16];
	uint32_t delta;

	if (info->proto != IPPROTO_ICMPV6 || ng_ip6_is_fragment(info) || len < 8)
		return NG_DROP_ICMP_MALFORMED;
	if (icmp[0] != NG_ICMP6_ECHO_REQUEST || icmp[1] != 0)
		return NG_DROP_ICMP_UNHANDLED;
	if (!ng_ip6_l4_cksum_ok(ip, icmp, len, IPPROTO_ICMPV6))
		return NG_DROP_ICMP6_CKSUM;
	if (ng_ip6_is_unspec(ip->src_addr) || ng_ip6_is_mcast(ip->src_addr))
		return NG_DROP_IP_SRC;
	memcpy(s, src != NULL ? src : ip->dst_addr, sizeof(s));
	memcpy(d, ip->src_addr, sizeof(d));
	/* The pseudo-header loses the old destination and gains s (the old
	 * source stays, as the new destination); the type word changes. */
	memcpy(&old, icmp, sizeof(old));
	icmp[0] = NG_ICMP6_ECHO_REPLY;
	memcpy(&new_, icmp, sizeof(new_));
	delta = (uint16_t)~old + (uint32_t)new_;
	if (!ng_ip6_addr_eq(ip->dst_addr, s))
		delta += ng_cksum_delta128(ip->dst_addr, s);
	memcpy(&ck, icmp + 2, sizeof(ck));
	ck = ng_cksum_apply(ck, delta);
	memcpy(icmp + 2, &ck, sizeof(ck));
	drop_ext_hdrs(m, ip, icmp, len);
	ip6_hdr_fill(ip, len, IPPROTO_ICMPV6, NG_IP6_HOP_LIMIT, s, d);
	eth_reply(m, smac);
	return NG_DROP_NONE;
}

int
ng_pkt_tcp6_rst(struct rte_mbuf *m, const struct ng_ip6_info *info,
		const struct rte_ether_addr *smac)
{
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, m->l2_len);
	struct rte_tcp_hdr t, *th;
	uint8_t s[16], d[16];
	uint32_t doff;

	if (info->proto != IPPROTO_TCP || ng_ip6_is_fragment(info) || info->l4_len < sizeof(t))
		return -EINVAL;
	memcpy(&t, (uint8_t *)ip + info->l3_len, sizeof(t));
	doff = (uint32_t)(t.data_off >> 4) * 4;
	if ((t.tcp_flags & RTE_TCP_RST_FLAG) || doff < sizeof(t) || doff > info->l4_len ||
			ng_ip6_is_unspec(ip->src_addr) || ng_ip6_is_mcast(ip->src_addr))
		return -EINVAL;
	memcpy(s, ip->dst_addr, sizeof(s));
	memcpy(d, ip->src_addr, sizeof(d));
	th = (struct rte_tcp_hdr *)(ip + 1);
	ng_tcp_rst_hdr(th, &t, ng_tcp_seg_len(&t, info->l4_len));
	drop_ext_hdrs(m, ip, (uint8_t *)th, sizeof(*th));
	ip6_hdr_fill(ip, sizeof(*th), IPPROTO_TCP, NG_IP6_HOP_LIMIT, s, d);
	th->cksum = ng_ip6_l4_cksum(ip, th, sizeof(*th), IPPROTO_TCP);
	eth_reply(m, smac);
	return 0;
}
