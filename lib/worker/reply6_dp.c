/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reply stage's answers to IPv6 packets (reply_dp.c hands them here):
 *   NG_DROP_TTL_EXPIRED  ICMPv6 time exceeded (hop limit) from the ingress
 *                        port's first IPv6 address;
 *   NG_DROP_MTU, NG_DROP_ENCAP6_MTU
 *                        ICMPv6 packet too big with the egress MTU (the word's
 *                        high half, reply_dp.h; for DSR the MTU less the
 *                        tunnel's 40 bytes), from the same address, and
 *                        translated for a connection the packet belongs to
 *                        (ng_icmp_err_xlate6(): it quotes what that end sent);
 *   anything else        a refusal: TCP gets a RST built in place, the rest
 *                        ICMPv6 port unreachable from the address it was
 *                        sent to.
 * ICMPv6 errors share the IPv4 errors' token bucket (icmp.rate_pps per
 * worker); what RFC 4443 2.4(e) forbids (errors about errors, to or from
 * multicast...) is never sent and costs no token. A port without an IPv6
 * address sends no time exceeded or packet too big (there is no source).
 */
#include <string.h>

#include <rte_tcp.h>

#include "icmp_err_dp.h"
#include "pkt6.h"
#include "reply_dp.h"
#include "trace_dp.h"
#include "worker_dp.h"

static enum ng_trace_reply
icmp6_error(struct ng_worker *w, struct rte_mbuf *m, uint8_t type, uint8_t code, uint32_t word,
		const uint8_t src[16], enum ng_drop_reason reason, enum ng_drop_reason limited,
		struct ng_vec *const *next)
{
	static const uint8_t unspec[16];
	struct rte_mbuf *e;

	if (memcmp(src, unspec, 16) == 0 || !ng_icmp6_error_allowed(m, type, code)) {
		ng_w_next(next[NG_REPLY_NEXT_DROP], m, reason);
		return NG_TRACE_REPLY_NOT_ALLOWED;
	}
	if (!ng_w_icmp_allowed(w)) {
		ng_w_next(next[NG_REPLY_NEXT_DROP], m, limited);
		return NG_TRACE_REPLY_RATE_LIMITED;
	}
	e = ng_pkt_icmp6_error(w->dp->pool, m, type, code, word, src, &ng_port_dp[m->port].mac);
	if (e == NULL) {
		ng_w_next(next[NG_REPLY_NEXT_DROP], m,
				reason == NG_DROP_TTL_EXPIRED || reason == NG_DROP_MTU ||
				reason == NG_DROP_ENCAP6_MTU ? NG_DROP_NO_MBUF : reason);
		return NG_TRACE_REPLY_NO_MBUF;
	}
	/* about a packet the service stage rewrote: what its sender knows */
	if (type == NG_ICMP6_PKT_TOO_BIG)
		ng_icmp_err_xlate6(w, e);
	ng_w_next_out(next[NG_REPLY_NEXT_OUTPUT], e, m->port);
	ng_w_next(next[NG_REPLY_NEXT_DROP], m, reason);
	return type == NG_ICMP6_TIME_EXCEEDED ? NG_TRACE_REPLY_TIME_EXCEEDED :
			type == NG_ICMP6_PKT_TOO_BIG ? NG_TRACE_REPLY_TOO_BIG :
			NG_TRACE_REPLY_PORT_UNREACH;
}

/* Refuse a TCP segment with a RST built in place; not a RST. */
static enum ng_trace_reply
tcp6_rst(struct ng_worker *w, struct rte_mbuf *m, const struct ng_ip6_info *info,
		enum ng_drop_reason reason, struct ng_vec *const *next)
{
	if (ng_pkt_tcp6_rst(m, info, &ng_port_dp[m->port].mac) < 0) {
		ng_w_next(next[NG_REPLY_NEXT_DROP], m, reason);
		return NG_TRACE_REPLY_NOT_TO_RST;
	}
	/* Refused, and answered: counted here, as the packet itself leaves. */
	w->stats.port[ng_port_dp[m->port].idx].drop[reason]++;
	ng_w_next_out(next[NG_REPLY_NEXT_OUTPUT], m, m->port);
	return NG_TRACE_REPLY_RST;
}

enum ng_trace_reply
ng_w_reply6(struct ng_worker *w, struct rte_mbuf *m, uint64_t word, struct ng_vec *const *next)
{
	enum ng_drop_reason reason = ng_reply_reason(word);
	const uint8_t *src = ng_port_dp[m->port].ip6;
	const struct rte_ipv6_hdr *ip;
	struct ng_ip6_info info;

	if (reason == NG_DROP_TTL_EXPIRED)
		return icmp6_error(w, m, NG_ICMP6_TIME_EXCEEDED, NG_ICMP6_TIME_HOP_LIMIT, 0, src,
				reason, NG_DROP_ICMP_RATELIMIT, next);
	if (reason == NG_DROP_MTU || reason == NG_DROP_ENCAP6_MTU)
		return icmp6_error(w, m, NG_ICMP6_PKT_TOO_BIG, 0, ng_reply_mtu(word), src,
				reason, NG_DROP_ICMP_RATELIMIT, next);
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, m->l2_len);
	if (ng_ip6_parse(m, &info) == NG_DROP_NONE && info.proto == IPPROTO_TCP)
		return tcp6_rst(w, m, &info, reason, next);
	return icmp6_error(w, m, NG_ICMP6_DST_UNREACH, NG_ICMP6_UNREACH_PORT, 0, ip->dst_addr,
			reason, reason, next);
}
