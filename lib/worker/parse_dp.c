/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The parse stage, the graph's entry: check each frame and classify it.
 * ARP and IPv4 to a local or VIP address go to local, TCP and UDP to lb
 * (their fragments to ip4-reass first) and ICMP errors to icmp-err while
 * there are services or tracked connections, the rest to ip4-forward; IPv6
 * goes on a path IPv4 never tests (the Ethernet parse reports it as a drop
 * reason, NG_DROP_IPV6): plain TCP and UDP to a routed unicast destination
 * straight to lb6 while lb is on (ip6_direct(): what ip6-parse would do with
 * it, for established flows' packets), every other IPv6 packet to ip6-parse
 * (ip6_dp.c). Malformed frames and frames not
 * for us are dropped, except on a port with a kernel twin: there, what nodegw
 * does not parse (other ethertypes, multicast and broadcast IPv4) goes to the
 * punt stage when it is addressed to the port. One LPM lookup per IPv4
 * packet, or per run of packets to one destination: local addresses are /32
 * routes to a LOCAL next hop, VIPs to a VIP one, so the same lookup decides
 * local vs forward and yields the next hop the next stage needs.
 */
#include <rte_prefetch.h>

#include "icmp_err_dp.h"
#include "pkt_dp.h"
#include "pkt6_dp.h"
#include "reass_dp.h"
#include "svc_dp.h"
#include "worker_dp.h"

__rte_noinline bool
ng_w_for_twin(const struct rte_mbuf *m, const struct ng_port_dp *pd, enum ng_drop_reason r)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (r != NG_DROP_IPV6 && r != NG_DROP_ETHERTYPE && r != NG_DROP_NOT_FOR_US)
		return false;
	return rte_is_multicast_ether_addr(&eth->dst_addr) ||
			rte_is_same_ether_addr(&eth->dst_addr, &pd->mac);
}

/* An ICMP error the icmp-err stage handles (not a fragment: no quote to read)? */
static inline bool
icmp_error(const struct rte_ipv4_hdr *ip, uint16_t ihl)
{
	uint8_t type;

	if (rte_be_to_cpu_16(ip->total_length) <= ihl || (ip->fragment_offset &
			rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return false;
	type = ((const uint8_t *)ip)[ihl];
	return type == NG_ICMP_DEST_UNREACH || type == NG_ICMP_TIME_EXCEEDED ||
			type == NG_ICMP_PARAM_PROBLEM;
}

/*
 * An IPv6 packet lb6 may take from parse: to the port's MAC, one segment,
 * TCP or UDP right after the fixed header (no extension header: no
 * fragment), hop limit over 1, from a unicast source to a unicast, global
 * destination that has a route or arrived on a port without a kernel twin.
 * That is every case in which ip6-parse hands a packet to lb6 without its
 * extension-header walk; lb6 sees the same packet (trimmed, l2_len and
 * l3_len set by ng_ip6_parse()) with the same FIB result in *nh. Anything
 * else (and a packet ng_ip6_parse() refuses) goes to ip6-parse, which
 * classifies it or drops it for its reason.
 */
static __rte_always_inline bool
ip6_direct(struct ng_worker *w, const struct ng_fib_dp *fib, struct rte_mbuf *m,
		const struct ng_port_dp *pd, const struct ng_nexthop **nh)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv6_hdr *ip;
	struct ng_ip6_info info;

	if (m->nb_segs != 1 || rte_pktmbuf_data_len(m) < m->l2_len + sizeof(*ip) ||
			!rte_is_same_ether_addr(&eth->dst_addr, &pd->mac))
		return false;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, m->l2_len);
	if ((ip->proto != IPPROTO_TCP && ip->proto != IPPROTO_UDP) || ip->hop_limits <= 1 ||
			ng_ip6_is_mcast(ip->src_addr) || ng_ip6_is_unspec(ip->src_addr) ||
			ng_ip6_is_mcast(ip->dst_addr) || ng_ip6_is_link_local(ip->dst_addr) ||
			ng_ip6_parse(m, &info) != NG_DROP_NONE)
		return false;
	*nh = ng_w_fib_lookup6(w, fib, ng_w_fib6_gen(fib), ip->dst_addr);
	return *nh != NULL || !pd->twin;
}

/* Drop m as r, or punt it when it is for the port's kernel twin. */
static inline void
not_ours(struct rte_mbuf *m, const struct ng_port_dp *pd, enum ng_drop_reason r,
		struct ng_vec *const *next)
{
	ng_w_not_ours(m, pd, r, next[NG_PARSE_NEXT_PUNT], next[NG_PARSE_NEXT_DROP]);
}

void
ng_parse_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	struct ng_vec *to_lb = next[NG_PARSE_NEXT_LB], *to_local = next[NG_PARSE_NEXT_LOCAL];
	struct ng_vec *to_fwd = next[NG_PARSE_NEXT_FORWARD], *drop = next[NG_PARSE_NEXT_DROP];
	const struct ng_fib_dp *fib = ng_fib_dp(w->dp->fib);
	const struct ng_ruleset *rs = w->rs;
	/* The service stage runs when there are services or tracked connections. */
	bool lb_on = rs != NULL && (rs->n_fe > 0 || w->ct->n_used > 0);
	/* the last IPv4 destination's route: a run of packets to one address
	 * (a VIP's, a gateway's) makes one LPM lookup (a /32's takes two
	 * dependent loads); seeded with 0.0.0.0's, so no test of "none yet" */
	uint32_t last_dst = 0;
	const struct ng_nexthop *last_nh = ng_fib_lookup4_dp(fib, 0);

	(void)aux;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth;
		const struct rte_ipv4_hdr *ip;
		const struct ng_port_dp *pd = &ng_port_dp[m->port];
		const struct ng_nexthop *nh;
		enum ng_drop_reason r;
		enum ng_l3 l3;

		if (i + 3 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 3], void *));
		r = ng_pkt_parse(m, &l3, true);
		if (unlikely(r != NG_DROP_NONE)) {
			if (r == NG_DROP_IPV6 && lb_on && ip6_direct(w, fib, m, pd, &nh))
				ng_w_next_nh(next[NG_PARSE_NEXT_LB6], m, nh);
			else if (r == NG_DROP_IPV6)
				ng_w_next(next[NG_PARSE_NEXT_IP6], m, 0);
			else
				not_ours(m, pd, r, next);
			continue;
		}
		eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		/* Broadcast is for ARP only: a router never forwards a link-layer
		 * broadcast (RFC 1812 5.3.4). */
		if (unlikely(!rte_is_same_ether_addr(&eth->dst_addr, &pd->mac) &&
				(l3 != NG_L3_ARP || !rte_is_broadcast_ether_addr(&eth->dst_addr)))) {
			not_ours(m, pd, NG_DROP_NOT_FOR_US, next);
			continue;
		}
		if (l3 == NG_L3_ARP) {
			ng_w_next(to_local, m, 0);
			continue;
		}
		ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, m->l2_len);
		if (ip->dst_addr != last_dst) {
			last_dst = ip->dst_addr;
			last_nh = ng_fib_lookup4_dp(fib, last_dst);
		}
		nh = last_nh;
		if (lb_on && (ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP)) {
			if (unlikely(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG |
					RTE_IPV4_HDR_OFFSET_MASK)) && ng_reass_wants(w, rs, nh)) {
				ng_w_next_nh(next[NG_PARSE_NEXT_REASS], m, nh);
				continue;
			}
			ng_w_next_nh(to_lb, m, nh);
			continue;
		}
		/* ICMP errors may belong to a connection (icmp_err_dp.c) */
		if (lb_on && ip->next_proto_id == IPPROTO_ICMP && icmp_error(ip, m->l3_len)) {
			ng_w_next_nh(next[NG_PARSE_NEXT_ICMP_ERR], m, nh);
			continue;
		}
		if (nh != NULL && (nh->type == NG_NH_LOCAL || nh->type == NG_NH_VIP)) {
			ng_w_next(to_local, m, 0);
			continue;
		}
		if (unlikely(!w->dp->forwarding)) {
			ng_w_next(drop, m, NG_DROP_FWD_DISABLED);
			continue;
		}
		ng_w_next_nh(to_fwd, m, nh);
	}
}
