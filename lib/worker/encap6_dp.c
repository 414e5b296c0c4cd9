/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ip6ip6-encap stage: direct server return over IPv6. The lb6 stage
 * hands it the client's packet of a DSR connection, unchanged, with the
 * outer addresses in the graph's slot its word names (encap6_dp.h); the
 * stage puts an IPv6 header in front of the packet's own (IPv6-in-IPv6,
 * next header 41, RFC 2473) from the gateway's address toward the backend to
 * the backend, and hands it to ip6-forward. The backend's ip6tnl device takes
 * the header off, finds the VIP on its loopback and answers the client
 * directly, as with IPv4-in-IPv4 (encap_dp.c).
 *
 * The outer header: traffic class copied from the inner one (DSCP and ECN,
 * RFC 2473 6.5, RFC 6040's normal mode), the flow label from the flow's hash
 * (RFC 6438: every packet of a flow gets one label, flows spread over ECMP
 * paths), hop limit 64 (ip6-forward takes one off). No extension header (no
 * tunnel encapsulation limit option: the backend is the tunnel's exit). The
 * inner packet is untouched: its hop limit and checksums are the client's.
 *
 * The outer header costs 40 bytes of MTU and IPv6 routers never fragment: a
 * packet that no longer fits the egress port's MTU goes to the reply stage
 * (ENCAP6_MTU), which answers the client with "packet too big" and the MTU
 * less those 40 bytes, so its path MTU discovery accounts for the tunnel.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "encap6_dp.h"
#include "reply_dp.h"
#include "route_dp.h"
#include "worker_dp.h"

static inline bool
addr6_unspec(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

void
ng_encap6_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	const struct ng_fib_dp *fib = ng_fib_dp(w->dp->fib);
	const struct ng_encap6_slot *slots = w->graph->encap6;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct ng_encap6_slot *s = &slots[aux[i].u];
		const struct rte_ipv6_hdr *in = rte_pktmbuf_mtod_offset(m,
				const struct rte_ipv6_hdr *, m->l2_len);
		uint32_t len = (uint32_t)sizeof(*in) + rte_be_to_cpu_16(in->payload_len);
		const struct ng_nexthop *nh = ng_fib_lookup6_dp(fib, s->dst);
		struct rte_ipv6_hdr *out;
		rte_be32_t tc;

		if (unlikely(addr6_unspec(s->src))) {
			ng_w_next(next[NG_ENCAP6_NEXT_DROP], m, NG_DROP_ENCAP6_NO_SOURCE);
			continue;
		}
		if (unlikely(nh != NULL &&
				len + NG_ENCAP6_OVERHEAD > ng_port_dp[nh->port].mtu)) {
			ng_w_next(next[NG_ENCAP6_NEXT_REPLY], m, ng_reply_word(NG_DROP_ENCAP6_MTU,
					(uint16_t)(ng_port_dp[nh->port].mtu - NG_ENCAP6_OVERHEAD)));
			continue;
		}
		/* the traffic class, read before the move */
		tc = in->vtc_flow & rte_cpu_to_be_32(RTE_IPV6_HDR_TC_MASK);
		out = ng_w_push_l3(m, NG_ENCAP6_OVERHEAD);
		if (unlikely(out == NULL)) {
			ng_w_next(next[NG_ENCAP6_NEXT_DROP], m, NG_DROP_ENCAP6_HEADROOM);
			continue;
		}
		out->vtc_flow = rte_cpu_to_be_32(6u << 28 | s->flow) | tc;
		out->payload_len = rte_cpu_to_be_16((uint16_t)len);
		out->proto = IPPROTO_IPV6;
		out->hop_limits = NG_ENCAP6_HOPS;
		memcpy(out->src_addr, s->src, 16);
		memcpy(out->dst_addr, s->dst, 16);
		ng_w_next_nh(next[NG_ENCAP6_NEXT_FORWARD], m, nh);
	}
}
