/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The parse stage, the graph's entry: check each frame and classify it.
 * ARP and IPv4 to a local or VIP address go to local, TCP and UDP to lb
 * while there are services or tracked connections (their fragments to
 * ip4-reass first), the rest to ip4-forward;
 * malformed frames and frames not for us are dropped, except on a port with
 * a kernel twin: there, what nodegw does not parse (IPv6, other ethertypes,
 * multicast and broadcast IPv4) goes to the punt stage when it is addressed
 * to the port. One LPM lookup per
 * IPv4 packet: local addresses are /32 routes to a LOCAL next hop, VIPs to a
 * VIP one, so the same lookup decides local vs forward and yields the next
 * hop the next stage needs.
 */
#include <rte_prefetch.h>

#include "pkt_dp.h"
#include "reass_dp.h"
#include "svc_dp.h"
#include "worker_dp.h"

/*
 * A frame the parse stage would drop as r (IPv6, another ethertype, multicast
 * or broadcast IPv4) on a port with a kernel twin: the kernel's, when it is
 * addressed to the port (its MAC, or multicast and broadcast).
 */
static __rte_noinline bool
for_twin(const struct rte_mbuf *m, const struct ng_port_dp *pd, enum ng_drop_reason r)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (r != NG_DROP_IPV6 && r != NG_DROP_ETHERTYPE && r != NG_DROP_NOT_FOR_US)
		return false;
	return rte_is_multicast_ether_addr(&eth->dst_addr) ||
			rte_is_same_ether_addr(&eth->dst_addr, &pd->mac);
}

/* Drop m as r, or punt it when it is for the port's kernel twin. */
static inline void
not_ours(struct rte_mbuf *m, const struct ng_port_dp *pd, enum ng_drop_reason r,
		struct ng_vec *const *next)
{
	if (pd->twin && for_twin(m, pd, r))
		ng_w_next(next[NG_PARSE_NEXT_PUNT], m, 0);
	else
		ng_w_next(next[NG_PARSE_NEXT_DROP], m, r);
}

/*
 * A TCP or UDP fragment the service stage could need whole: to a service or
 * gateway address, or routed while a DNAT service exists (a DNAT reply).
 */
static inline bool
reass_wants(const struct ng_worker *w, const struct ng_ruleset *rs, const struct ng_nexthop *nh)
{
	return w->reass != NULL && nh != NULL && (nh->type == NG_NH_VIP ||
			nh->type == NG_NH_LOCAL || rs->n_dnat > 0);
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
		nh = ng_fib_lookup4_dp(fib, ip->dst_addr);
		if (lb_on && (ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP)) {
			if (unlikely(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG |
					RTE_IPV4_HDR_OFFSET_MASK)) && reass_wants(w, rs, nh)) {
				ng_w_next_nh(next[NG_PARSE_NEXT_REASS], m, nh);
				continue;
			}
			ng_w_next_nh(to_lb, m, nh);
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
