/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "ng_log.h"
#include "pkt_dp.h"
#include "svc_dp.h"
#include "worker_dp.h"

#define MAX_BURST 256

void
ng_w_tx_flush_port(struct ng_worker *w, uint8_t pidx)
{
	uint16_t n = w->tx[pidx].n, sent, port = w->dp->port_ids[pidx];
	struct ng_port_stats *ps = &w->stats.port[pidx];

	if (n == 0)
		return;
	sent = rte_eth_tx_burst(port, w->txq, w->tx[pidx].pkts, n);
	for (uint16_t i = 0; i < sent; i++)
		ps->tx_bytes += rte_pktmbuf_pkt_len(w->tx[pidx].pkts[i]);
	ps->tx += sent;
	if (unlikely(sent < n)) {
		ps->drop[NG_DROP_TX_FULL] += n - sent;
		rte_pktmbuf_free_bulk(&w->tx[pidx].pkts[sent], n - sent);
	}
	w->tx[pidx].n = 0;
}

void
ng_worker_flush(struct ng_worker *w)
{
	uint64_t t0 = ng_w_stage_begin(w);
	uint16_t n = 0;

	for (uint16_t i = 0; i < w->dp->n_ports; i++) {
		n += w->tx[i].n;
		ng_w_tx_flush_port(w, (uint8_t)i);
	}
	ng_w_stage_end(w, NG_STAGE_TX, n, t0);
}

/*
 * A frame the parse stage would drop (IPv6, another ethertype, multicast or
 * broadcast IPv4) on a port with a kernel twin: the kernel's, when it is
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

/*
 * Parse and classify: each packet leaves for the local stage (ARP, and IPv4
 * whose destination is a LOCAL route), the service stage, the forward stage,
 * the punt stage (on a port with a kernel twin: what nodegw does not parse),
 * or a drop.
 */
static void
process_burst(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *local[MAX_BURST], *fwd[MAX_BURST], *lb[MAX_BURST], *punt[MAX_BURST];
	const struct ng_nexthop *nhs[MAX_BURST], *lb_nhs[MAX_BURST];
	const struct ng_fib_dp *fib = ng_fib_dp(w->dp->fib);
	const struct ng_ruleset *rs = __atomic_load_n(&w->dp->rs, __ATOMIC_ACQUIRE);
	/* The service stage runs when there are services or tracked connections. */
	bool lb_on = rs != NULL && (rs->n_fe > 0 || w->ct->n_used > 0);
	uint16_t nl = 0, nf = 0, nlb = 0, np = 0;
	uint64_t t0 = ng_w_stage_begin(w);

	w->now = w->rt_cycles ? t0 : rte_rdtsc();

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth;
		const struct ng_port_dp *pd = &ng_port_dp[m->port];
		enum ng_drop_reason r;
		enum ng_l3 l3;

		if (i + 3 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 3], void *));
		r = ng_pkt_parse(m, &l3, true);
		if (unlikely(r != NG_DROP_NONE)) {
			if (pd->twin && for_twin(m, pd, r))
				punt[np++] = m;
			else
				ng_w_drop(w, m, r);
			continue;
		}
		eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		/* Broadcast is for ARP only: a router never forwards a link-layer
		 * broadcast (RFC 1812 5.3.4). */
		if (unlikely(!rte_is_same_ether_addr(&eth->dst_addr, &pd->mac) &&
				(l3 != NG_L3_ARP || !rte_is_broadcast_ether_addr(&eth->dst_addr)))) {
			if (pd->twin && for_twin(m, pd, NG_DROP_NOT_FOR_US))
				punt[np++] = m;
			else
				ng_w_drop(w, m, NG_DROP_NOT_FOR_US);
			continue;
		}
		if (l3 == NG_L3_ARP) {
			local[nl++] = m;
			continue;
		}
		/* IPv4 */
		{
			const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
					const struct rte_ipv4_hdr *, m->l2_len);
			const struct ng_nexthop *nh = ng_fib_lookup4_dp(fib, ip->dst_addr);

			if (lb_on && (ip->next_proto_id == IPPROTO_TCP ||
					ip->next_proto_id == IPPROTO_UDP)) {
				lb_nhs[nlb] = nh;
				lb[nlb++] = m;
				continue;
			}
			if (nh != NULL && (nh->type == NG_NH_LOCAL || nh->type == NG_NH_VIP)) {
				local[nl++] = m;
				continue;
			}
			if (unlikely(!w->dp->forwarding)) {
				ng_w_drop(w, m, NG_DROP_FWD_DISABLED);
				continue;
			}
			nhs[nf] = nh;
			fwd[nf++] = m;
		}
	}
	ng_w_stage_end(w, NG_STAGE_PARSE, n, t0);

	if (nl > 0)
		ng_local_process(w, local, nl);
	if (nlb > 0)
		ng_lb_process(w, rs, lb, lb_nhs, nlb);
	if (nf > 0)
		ng_ip4_forward_process(w, fwd, nhs, nf);
	if (unlikely(np > 0))
		ng_punt_process(w, punt, np);
}

void
ng_worker_process(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	w->rt_cycles = __atomic_load_n(&w->dp->runtime_stats, __ATOMIC_RELAXED);
	ng_w_burst_start(w);
	process_burst(w, pkts, n);
}

static void
drain_inject(struct ng_worker *w)
{
	struct rte_mbuf *pkts[32];
	unsigned int n;
	uint64_t t0;

	if (likely(rte_ring_empty(w->inject)))
		return;
	ng_w_burst_start(w);
	t0 = ng_w_stage_begin(w);
	n = rte_ring_sc_dequeue_burst(w->inject, (void **)pkts, RTE_DIM(pkts), NULL);
	for (unsigned int i = 0; i < n; i++)
		ng_w_tx(w, pkts[i], ng_mbuf_priv(pkts[i])->out_port);
	ng_w_stage_end(w, NG_STAGE_INJECT, (uint16_t)n, t0);
}

static void
drain_redirect(struct ng_worker *w)
{
	struct rte_mbuf *pkts[32];
	uint64_t t0;
	unsigned int n;

	for (unsigned int i = 0; i < w->dp->n_workers; i++) {
		struct rte_ring *r = w->redir_in[i];

		if (r == NULL || likely(rte_ring_empty(r)))
			continue;
		ng_w_burst_start(w);
		t0 = ng_w_stage_begin(w);
		n = rte_ring_sc_dequeue_burst(r, (void **)pkts, RTE_DIM(pkts), NULL);
		ng_w_stage_end(w, NG_STAGE_REDIRECT, (uint16_t)n, t0);
		w->stats.redirect_rx += n;
		w->in_redirect = true;
		process_burst(w, pkts, (uint16_t)n);
		w->in_redirect = false;
	}
}

/*
 * Connection expiry. An idle loop scans ct_expire_budget entries; a busy one
 * only every expire_ivl cycles (so the table is swept about once a second,
 * and at least EXPIRE_MIN_RATE entries a second). A full table needs no
 * faster sweep: ng_ct_alloc() itself takes the first expired entry its
 * cursor meets (scanning every loop there cost a SYN flood 6%).
 */
#define EXPIRE_SWEEP_S 1
#define EXPIRE_MIN_RATE 262144

static inline void
expire(struct ng_worker *w, bool busy)
{
	struct ng_ct *ct = w->ct;
	uint64_t now;

	if (ct->n_used == 0)
		return;
	now = rte_rdtsc();
	if (busy && now < w->expire_tsc)
		return;
	ng_ct_expire(ct, now, w->dp->ct_expire_budget);
	w->expire_tsc = now + w->expire_ivl;
}

int
ng_worker_main(void *arg)
{
	struct ng_worker *w = arg;
	struct ng_dp *dp = w->dp;
	struct rte_mbuf *pkts[MAX_BURST];
	uint16_t burst = (uint16_t)RTE_MIN(dp->burst, (uint32_t)MAX_BURST);
	uint64_t rate = RTE_MAX((uint64_t)w->ct->cap / EXPIRE_SWEEP_S, (uint64_t)EXPIRE_MIN_RATE);

	w->expire_ivl = dp->tsc_hz * dp->ct_expire_budget / rate;

	rte_rcu_qsbr_thread_register(dp->qsbr, w->id);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
	NG_LOG(INFO, WORKER, "worker %u on lcore %u: %u rx queues", w->id, w->lcore, w->n_rxq);

	while (!__atomic_load_n(&dp->stop, __ATOMIC_RELAXED)) {
		unsigned int got = 0;

		w->rt_cycles = __atomic_load_n(&dp->runtime_stats, __ATOMIC_RELAXED);
		if (unlikely(__atomic_load_n(&w->stall_ms, __ATOMIC_RELAXED) != 0))
			ng_worker_stall_now(w); /* debug worker stall */

		for (unsigned int q = 0; q < w->n_rxq; q++) {
			const struct ng_rxq_ref *rq = &w->rxq[q];
			struct ng_port_stats *ps = &w->stats.port[rq->port_idx];
			uint64_t t0 = w->rt_cycles ? rte_rdtsc() : 0;
			uint16_t n = rte_eth_rx_burst(rq->port_id, rq->queue, pkts, burst);

			if (n == 0)
				continue;
			ng_w_stage_end(w, NG_STAGE_RX, n, t0);
			ps->rx += n;
			ps->rxq[rq->queue] += n;
			for (uint16_t i = 0; i < n; i++)
				ps->rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
			got += n;
			process_burst(w, pkts, n);
		}
		if (dp->n_workers > 1)
			drain_redirect(w);
		drain_inject(w);
		ng_worker_flush(w);
		expire(w, got > 0);
		rte_rcu_qsbr_quiescent(dp->qsbr, w->id);
		w->stats.loops++;

		if (got > 0) {
			w->idle_count = 0;
			continue;
		}
		w->stats.idle_loops++;
		if (dp->idle_sleep_us > 0 && ++w->idle_count >= dp->idle_polls) {
			/* Opt-in back-off for shared machines: offline while asleep. */
			rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
			rte_delay_us_sleep(dp->idle_sleep_us);
			rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
			w->stats.sleeps++;
		}
	}
	ng_worker_flush(w);
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, w->id);
	return 0;
}
