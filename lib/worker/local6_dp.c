/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ip6-local stage: IPv6 for the gateway's own addresses and VIPs, and
 * neighbour discovery. It answers, in place:
 *   - neighbour solicitations for a gateway address or a VIP (RFC 4861
 *     7.2.4: a solicited advertisement, router and override flags, the
 *     port's MAC);
 *   - ICMPv6 echo requests to a gateway address or a VIP;
 * and hands neighbour advertisements to the control core (the neighbour
 * table, as ARP replies). On a port with a kernel twin, what nodegw does not
 * consume goes to the punt stage (TCP and UDP to a gateway address, other
 * ICMPv6, fragments, other protocols, ND for addresses nodegw does not own),
 * and ND for a gateway address is copied there too, as ARP is, so the
 * kernel's neighbour cache stays right. Elsewhere TCP and UDP are refused
 * (the reply stage) and the rest dropped.
 */
#include <rte_ip.h>

#include "pkt6.h"
#include "worker_dp.h"

/* Is addr a gateway address (LOCAL) or a VIP of ours? *local: which. */
static inline bool
ours6(const struct ng_worker *w, const uint8_t addr[16], bool *local)
{
	const struct ng_nexthop *nh = ng_fib_lookup6_dp(ng_fib_dp(w->dp->fib), addr);

	*local = nh != NULL && nh->type == NG_NH_LOCAL;
	return nh != NULL && (nh->type == NG_NH_LOCAL || nh->type == NG_NH_VIP);
}

/*
 * A solicitation: answered when its target is ours; an advertisement: to the
 * control core. ND about a gateway address is also copied to the kernel
 * twin; ND about addresses nodegw does not own is the kernel's (twin) or
 * dropped.
 */
static void
local_nd(struct ng_worker *w, struct rte_mbuf *m, const struct ng_ip6_info *info,
		struct ng_vec *const *next)
{
	const struct ng_port_dp *pd = &ng_port_dp[m->port];
	enum ng_drop_reason r;
	struct ng_nd_msg nd;
	bool local;

	r = ng_nd_parse(m, info, &nd);
	if (r != NG_DROP_NONE) {
		ng_w_next(next[NG_IP6_LOCAL_NEXT_DROP], m, r);
		return;
	}
	if (nd.type == NG_ICMP6_ND_NA) {
		if (pd->twin)
			ng_w_punt_copy(w, m, next[NG_IP6_LOCAL_NEXT_PUNT]);
		ng_w_next(next[NG_IP6_LOCAL_NEXT_CONTROL], m, NG_CTL_ND);
		return;
	}
	if (!ours6(w, nd.target, &local)) {
		if (pd->twin)
			ng_w_next(next[NG_IP6_LOCAL_NEXT_PUNT], m, 0);
		else
			ng_w_next(next[NG_IP6_LOCAL_NEXT_DROP], m, NG_DROP_ND_NOT_OURS);
		return;
	}
	if (pd->twin && local)
		ng_w_punt_copy(w, m, next[NG_IP6_LOCAL_NEXT_PUNT]);
	if (ng_nd_na_reply(m, &nd, NG_ND_NA_ROUTER | NG_ND_NA_OVERRIDE, &pd->mac) < 0) {
		ng_w_next(next[NG_IP6_LOCAL_NEXT_DROP], m, NG_DROP_ND_INVALID);
		return;
	}
	ng_w_next_out(next[NG_IP6_LOCAL_NEXT_OUTPUT], m, m->port);
}

/*
 * ICMPv6 to us: ND, echo requests (answered), the rest (echo replies to the
 * kernel's pings, errors about its connections, router discovery, MLD) the
 * kernel's or dropped.
 */
static void
local_icmp6(struct ng_worker *w, struct rte_mbuf *m, const struct rte_ipv6_hdr *ip,
		const struct ng_ip6_info *info, bool to_kernel, struct ng_vec *const *next)
{
	const uint8_t *icmp = rte_pktmbuf_mtod_offset(m, const uint8_t *,
			m->l2_len + info->l3_len);
	enum ng_drop_reason r;

	if (info->l4_len < 8 || ng_ip6_is_fragment(info)) {
		ng_w_next(next[NG_IP6_LOCAL_NEXT_DROP], m, NG_DROP_ICMP_MALFORMED);
		return;
	}
	if (icmp[0] == NG_ICMP6_ND_NS || icmp[0] == NG_ICMP6_ND_NA) {
		local_nd(w, m, info, next);
		return;
	}
	if (icmp[0] == NG_ICMP6_ECHO_REQUEST && !ng_ip6_is_mcast(ip->dst_addr)) {
		r = ng_icmp6_echo_reply(m, info, NULL, &ng_port_dp[m->port].mac);
		if (r == NG_DROP_NONE) {
			ng_w_next_out(next[NG_IP6_LOCAL_NEXT_OUTPUT], m, m->port);
			return;
		}
		if (r != NG_DROP_ICMP_UNHANDLED) {
			ng_w_next(next[NG_IP6_LOCAL_NEXT_DROP], m, r);
			return;
		}
	}
	if (to_kernel)
		ng_w_next(next[NG_IP6_LOCAL_NEXT_PUNT], m, 0);
	else
		ng_w_next(next[NG_IP6_LOCAL_NEXT_DROP], m, NG_DROP_ICMP_UNHANDLED);
}

void
ng_ip6_local_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	(void)aux;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m,
				const struct rte_ipv6_hdr *, m->l2_len);
		struct ng_ip6_info info;
		bool local = false, to_kernel, l4;

		/* ip6-parse parsed it: this only reads the chain's result again */
		if (ng_ip6_parse(m, &info) != NG_DROP_NONE) {
			ng_w_next(next[NG_IP6_LOCAL_NEXT_DROP], m, NG_DROP_IP6_HEADER);
			continue;
		}
		/* The kernel's: what a port with a twin does not consume for a gateway
		 * address, and anything multicast (never a VIP's). */
		to_kernel = ng_port_dp[m->port].twin && (ng_ip6_is_mcast(ip->dst_addr) ||
				(ours6(w, ip->dst_addr, &local) && local));
		if (info.proto == IPPROTO_ICMPV6) {
			local_icmp6(w, m, ip, &info, to_kernel, next);
			continue;
		}
		l4 = info.proto == IPPROTO_TCP || info.proto == IPPROTO_UDP;
		if (to_kernel) {
			ng_w_next(next[NG_IP6_LOCAL_NEXT_PUNT], m, 0);
		} else if (ng_ip6_is_fragment(&info)) {
			ng_w_next(next[NG_IP6_LOCAL_NEXT_DROP], m, NG_DROP_IP6_LOCAL_FRAG);
		} else if (!l4) {
			ng_w_next(next[NG_IP6_LOCAL_NEXT_DROP], m, NG_DROP_LOCAL_PROTO);
		} else {
			/* no listener: refused (a RST, ICMPv6 port unreachable) if well formed */
			enum ng_drop_reason r = ng_l4_check6(ip, &info);

			if (r != NG_DROP_NONE)
				ng_w_next(next[NG_IP6_LOCAL_NEXT_DROP], m, r);
			else
				ng_w_next(next[NG_IP6_LOCAL_NEXT_REPLY], m, NG_DROP_LOCAL_PROTO);
		}
	}
}
