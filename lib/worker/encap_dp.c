/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ipip-encap stage: direct server return. The lb stage hands it the
 * client's packet of a DSR connection, unchanged, with the outer addresses
 * (encap_dp.h); the stage puts an IPv4 header in front of the packet's own
 * (IPv4-in-IPv4, protocol 4, RFC 2003) from the gateway's address to the
 * backend, and hands it to ip4-forward towards the backend. The backend's
 * ipip device takes the header off, finds the VIP on its loopback and
 * answers the client directly: no reply ever crosses a gateway, so the
 * connection has no reply key and NAT nothing.
 *
 * The outer header: DSCP and ECN copied from the inner one (RFC 6040's
 * normal mode), DF copied (a client that allows fragments allows them of the
 * whole), identification copied, TTL 64 (ip4-forward takes one off), its
 * checksum computed. The inner packet is untouched: its TTL and checksums
 * are what the client sent.
 *
 * The outer header costs 20 bytes of MTU. A packet with DF that no longer
 * fits the egress port's MTU goes to the reply stage (ENCAP_MTU), which
 * answers the client with "fragmentation needed" and the MTU less those 20
 * bytes, so its path MTU discovery accounts for the tunnel; one without DF is
 * encapsulated without DF, and ip4-forward fragments the outer packet (the
 * backend reassembles it before it decapsulates).
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "encap_dp.h"
#include "reply_dp.h"
#include "route_dp.h"
#include "worker_dp.h"

#define IPIP_TTL 64

void
ng_encap_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	const struct ng_fib_dp *fib = ng_fib_dp(w->dp->fib);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t src = ng_encap_src(aux[i].u), dst = ng_encap_dst(aux[i].u);
		const struct rte_ipv4_hdr *in = rte_pktmbuf_mtod_offset(m,
				const struct rte_ipv4_hdr *, m->l2_len);
		uint16_t len = rte_be_to_cpu_16(in->total_length);
		const struct ng_nexthop *nh = ng_fib_lookup4_dp(fib, dst);
		struct rte_ipv4_hdr *out;
		uint8_t tos;
		rte_be16_t id, df;

		if (unlikely(src == 0)) {
			ng_w_next(next[NG_ENCAP_NEXT_DROP], m, NG_DROP_ENCAP_NO_SOURCE);
			continue;
		}
		/* the fields the outer header copies, read before the move */
		tos = in->type_of_service;
		id = in->packet_id;
		df = in->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		if (unlikely(nh != NULL && df != 0 &&
				len + NG_ENCAP_OVERHEAD > ng_port_dp[nh->port].mtu)) {
			ng_w_next(next[NG_ENCAP_NEXT_REPLY], m, ng_reply_word(NG_DROP_ENCAP_MTU,
					(uint16_t)(ng_port_dp[nh->port].mtu - NG_ENCAP_OVERHEAD)));
			continue;
		}

		out = ng_w_push_l3(m, NG_ENCAP_OVERHEAD);
		if (unlikely(out == NULL)) {
			ng_w_next(next[NG_ENCAP_NEXT_DROP], m, NG_DROP_ENCAP_HEADROOM);
			continue;
		}
		out->version_ihl = RTE_IPV4_VHL_DEF;
		out->type_of_service = tos;
		out->total_length = rte_cpu_to_be_16((uint16_t)(len + NG_ENCAP_OVERHEAD));
		out->packet_id = id;
		out->fragment_offset = df;
		out->time_to_live = IPIP_TTL;
		out->next_proto_id = IPPROTO_IPIP;
		out->src_addr = src;
		out->dst_addr = dst;
		out->hdr_checksum = 0;
		out->hdr_checksum = rte_ipv4_cksum(out);
		ng_w_next_nh(next[NG_ENCAP_NEXT_FORWARD], m, nh);
	}
}
