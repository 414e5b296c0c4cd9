/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_WORKER_DP_H
#define NG_WORKER_DP_H

/* Private to the worker data path: TX buffering, drop and stage accounting. */

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "pkt.h"
#include "port.h"
#include "route_dp.h"
#include "worker.h"

static inline void
ng_w_drop(struct ng_worker *w, struct rte_mbuf *m, enum ng_drop_reason r)
{
	w->stats.port[ng_port_dp[m->port].idx].drop[r]++;
	rte_pktmbuf_free(m);
}

void ng_w_tx_flush_port(struct ng_worker *w, uint8_t pidx);

/** Queue m for transmission on DPDK port out. */
static inline void
ng_w_tx(struct ng_worker *w, struct rte_mbuf *m, uint16_t out)
{
	uint8_t pidx = ng_port_dp[out].idx;

	if (unlikely(w->tx[pidx].n == NG_TX_BUF))
		ng_w_tx_flush_port(w, pidx);
	w->tx[pidx].pkts[w->tx[pidx].n++] = m;
}

/*
 * Stage accounting. Stages of a burst run back to back, so the end of one is
 * the start of the next: w->stage_tsc holds the TSC at the end of the last
 * stage, and each stage costs one rdtsc (none when runtime cycles are off:
 * w->rt_cycles, dp->runtime_stats as read at the start of the loop).
 * Whoever starts a burst (the RX poll, a ring drain, a test calling
 * ng_worker_process()) sets it with ng_w_burst_start().
 */
static inline void
ng_w_burst_start(struct ng_worker *w)
{
	if (w->rt_cycles)
		w->stage_tsc = rte_rdtsc();
}

static inline uint64_t
ng_w_stage_begin(const struct ng_worker *w)
{
	return w->stage_tsc;
}

static inline void
ng_w_stage_end(struct ng_worker *w, enum ng_stage s, uint16_t pkts, uint64_t t0)
{
	struct ng_stage_stats *st = &w->stats.stage[s];

	if (pkts == 0)
		return;
	st->calls++;
	st->pkts += pkts;
	if (w->rt_cycles) {
		uint64_t now = rte_rdtsc();

		st->cycles += now - t0;
		w->stage_tsc = now;
	}
}

/**
 * Take a packet's cost from a token bucket (struct ng_tb) at TSC now; the
 * bucket holds at most depth. A bucket never used starts full.
 * @return false when the credit does not cover cost (the packet is over the rate).
 */
static inline bool
ng_tb_take(struct ng_tb *tb, uint64_t now, uint64_t cost, uint64_t depth)
{
	uint64_t c = now - tb->last >= depth ? depth : tb->credit + (now - tb->last);

	tb->last = now;
	if (c > depth)
		c = depth;
	if (c < cost) {
		tb->credit = c;
		return false;
	}
	tb->credit = c - cost;
	return true;
}

/**
 * Stage: packets for the gateway's own addresses (ARP, ICMP echo); on a port
 * with a kernel twin, what it does not consume goes on to the punt stage.
 */
void ng_local_process(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n);

/**
 * Stage: frames for the ingress port's kernel twin, through the worker's
 * token bucket of that port onto its punt ring. Consumes every packet.
 */
void ng_punt_process(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n);

/**
 * Stage: IPv4 forwarding. nhs[i] is pkts[i]'s next hop from the parse
 * stage's lookup, or NULL when no route matched.
 */
void ng_ip4_forward_process(struct ng_worker *w, struct rte_mbuf **pkts,
		const struct ng_nexthop **nhs, uint16_t n);

/**
 * Stage: TCP/UDP that may belong to a service or a tracked connection.
 * nhs[i] is the FIB result for pkts[i]'s destination.
 */
void ng_lb_process(struct ng_worker *w, const struct ng_ruleset *rs, struct rte_mbuf **pkts,
		const struct ng_nexthop **nhs, uint16_t n);

/**
 * Refuse a TCP/UDP packet as a host with no listener does: a TCP RST, or an
 * ICMP port unreachable (rate-limited). Consumes m; counts reason.
 */
void ng_lb_refuse(struct ng_worker *w, struct rte_mbuf *m, enum ng_drop_reason reason);

/** Answer a packet whose TTL ran out with ICMP time exceeded; consumes m. */
void ng_ip4_ttl_expired(struct ng_worker *w, struct rte_mbuf *m);

/** ICMP error token bucket (icmp.rate_pps per worker). */
bool ng_w_icmp_allowed(struct ng_worker *w);

/** Hand a packet to the control core; drops it when the ring is full. */
static inline void
ng_w_to_ctl(struct ng_worker *w, struct rte_mbuf *m, enum ng_ctl_kind kind,
		enum ng_drop_reason full_reason)
{
	ng_mbuf_priv(m)->kind = (uint8_t)kind;
	if (unlikely(rte_ring_mp_enqueue(w->dp->ctl_ring, m) != 0))
		ng_w_drop(w, m, full_reason);
}

#endif
