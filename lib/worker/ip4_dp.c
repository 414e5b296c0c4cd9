/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "pkt_dp.h"
#include "worker_dp.h"

/* Token bucket: at most icmp_rate errors per second, bursts of the same size. */
bool
ng_w_icmp_allowed(struct ng_worker *w)
{
	uint64_t now = rte_rdtsc(), rate = w->dp->icmp_rate, hz = w->dp->tsc_hz;
	uint64_t add;

	if (rate == 0)
		return false;
	add = (now - w->icmp_last_tsc) * rate / hz;
	if (add > 0) {
		w->icmp_tokens = RTE_MIN(w->icmp_tokens + add, rate);
		w->icmp_last_tsc = now;
	}
	if (w->icmp_tokens == 0)
		return false;
	w->icmp_tokens--;
	return true;
}

void
ng_ip4_ttl_expired(struct ng_worker *w, struct rte_mbuf *m)
{
	const struct ng_port_dp *pd = &ng_port_dp[m->port];
	struct rte_mbuf *e;

	if (!ng_w_icmp_allowed(w)) {
		ng_w_drop(w, m, NG_DROP_ICMP_RATELIMIT);
		return;
	}
	e = ng_pkt_icmp4_error(w->dp->pool, m, NG_ICMP_TIME_EXCEEDED, 0, pd->ip4);
	if (e == NULL) {
		ng_w_drop(w, m, NG_DROP_NO_MBUF);
		return;
	}
	rte_ether_addr_copy(&pd->mac,
			&rte_pktmbuf_mtod(e, struct rte_ether_hdr *)->src_addr);
	ng_w_tx(w, e, m->port);
	ng_w_drop(w, m, NG_DROP_TTL_EXPIRED);
}

/* Remove the 802.1Q tag: egress ports are untagged. */
static inline void
strip_vlan(struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	memmove(p + RTE_VLAN_HLEN, p, 2 * RTE_ETHER_ADDR_LEN);
	rte_pktmbuf_adj(m, RTE_VLAN_HLEN);
	m->l2_len = sizeof(struct rte_ether_hdr);
}

void
ng_ip4_forward_process(struct ng_worker *w, struct rte_mbuf **pkts,
		const struct ng_nexthop **nhs, uint16_t n)
{
	const struct ng_neigh_dp *neigh = ng_neigh_dp(w->dp->neigh);
	uint64_t t0 = ng_w_stage_begin(w);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct ng_nexthop *nh = nhs[i];
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
				m->l2_len);
		struct rte_ether_hdr *eth;
		uint32_t via;
		uint64_t word;

		if (unlikely(nh == NULL)) {
			ng_w_drop(w, m, NG_DROP_NO_ROUTE);
			continue;
		}
		if (unlikely(ip->time_to_live <= 1)) {
			ng_ip4_ttl_expired(w, m);
			continue;
		}
		if (unlikely(rte_be_to_cpu_16(ip->total_length) > ng_port_dp[nh->port].mtu)) {
			ng_w_drop(w, m, NG_DROP_MTU);
			continue;
		}
		ng_ip4_ttl_dec(ip);
		if (unlikely(m->l2_len != sizeof(struct rte_ether_hdr)))
			strip_vlan(m);
		eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		eth->src_addr = ng_port_dp[nh->port].mac;
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

		via = nh->type == NG_NH_GATEWAY ? nh->gw4 : ip->dst_addr;
		word = ng_neigh_lookup4_dp(neigh, nh->port, via);
		if (likely(word & NG_NEIGH_F_VALID)) {
			ng_neigh_word_to_mac(word, &eth->dst_addr);
			ng_w_tx(w, m, nh->port);
			continue;
		}
		if (word & NG_NEIGH_F_FAILED) {
			ng_w_drop(w, m, NG_DROP_NEIGH_FAILED);
			continue;
		}
		{
			struct ng_mbuf_priv *pv = ng_mbuf_priv(m);

			memset(&pv->nexthop, 0, sizeof(pv->nexthop));
			pv->nexthop.family = AF_INET;
			pv->nexthop.v4 = via;
			pv->out_port = nh->port;
			pv->in_port = m->port;
			ng_w_to_ctl(w, m, NG_CTL_RESOLVE, NG_DROP_NEIGH_QUEUE);
		}
	}
	ng_w_stage_end(w, NG_STAGE_FORWARD, n, t0);
}
