/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop and the dispatcher of its packet graph.
 *
 * The dispatcher owns the graph: it runs each stage of NG_STAGES once per
 * burst, in that fixed order, on whatever the stages before it handed on by
 * their edges (lib/stats/ng_stats.h), then the sinks: output (the TX
 * buffers), redirect-out (the owner worker's ring), to-control (the control
 * core's ring) and drop (count by reason, free in bulk). punt, the last stage
 * before them, is a sink too for what it puts on its ring. Stages never call
 * each other, so each runs at most once per burst and `show runtime` counts
 * one call per stage and burst.
 */
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "ng_log.h"
#include "pkt_dp.h"
#include "svc_dp.h"
#include "reass_dp.h"
#include "trace_dp.h"
#include "worker_dp.h"

/*
 * The frames' bytes are summed before rte_eth_tx_burst(): a frame handed to
 * the PMD is its own (net_null frees it in the call, a NIC once it is sent),
 * so it is not read after; the ones the queue refused are ours again.
 */
void
ng_w_tx_flush_port(struct ng_worker *w, uint8_t pidx)
{
	uint16_t n = w->tx[pidx].n, sent, port = w->dp->port_ids[pidx];
	struct ng_port_stats *ps = &w->stats.port[pidx];
	struct rte_mbuf **pkts = w->tx[pidx].pkts;
	uint64_t bytes = 0;

	if (n == 0)
		return;
	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	sent = rte_eth_tx_burst(port, w->txq, pkts, n);
	if (unlikely(sent < n)) {
		for (uint16_t i = sent; i < n; i++)
			bytes -= rte_pktmbuf_pkt_len(pkts[i]);
		ps->drop[NG_DROP_TX_FULL] += n - sent;
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
	ps->tx_bytes += bytes;
	ps->tx += sent;
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
 * Sink: into the TX buffers of each packet's port (aux: the port's index).
 * A run of packets to one port is copied with the buffer's count in a
 * register: counting in memory, one ng_w_tx() per packet, makes a chain of
 * store-to-load forwards that costs this tight loop about 4 cycles a packet.
 */
static void
output_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	(void)next;
	for (uint16_t i = 0; i < n;) {
		uint8_t pidx = (uint8_t)aux[i].u;
		struct rte_mbuf **buf = w->tx[pidx].pkts;
		uint16_t k = w->tx[pidx].n;

		for (; i < n && (uint8_t)aux[i].u == pidx; i++) {
			if (unlikely(k == NG_TX_BUF)) {
				w->tx[pidx].n = k;
				ng_w_tx_flush_port(w, pidx);
				k = 0;
			}
			buf[k++] = pkts[i];
		}
		w->tx[pidx].n = k;
	}
}

/* Sink: to the owner worker, over the ring from this one (the trace mark in bit 0). */
static void
redirect_out_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	(void)next;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ring *r = w->dp->workers[(uint32_t)aux[i].u]->redir_in[w->id];
		void *obj = (void *)((uintptr_t)pkts[i] | (uintptr_t)(aux[i].u >> 32));

		if (unlikely(rte_ring_sp_enqueue(r, obj) != 0)) {
			ng_w_trace_sink_drop(w, pkts[i], NG_DROP_REDIRECT_FULL);
			ng_w_drop(w, pkts[i], NG_DROP_REDIRECT_FULL);
			continue;
		}
		w->stats.redirect_tx++;
	}
}

/* Sink: to the control core, with why (enum ng_ctl_kind) in the mbuf private area. */
static void
to_control_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	(void)next;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		ng_mbuf_priv(m)->kind = (uint8_t)aux[i].u;
		if (unlikely(rte_ring_mp_enqueue(w->dp->ctl_ring, m) != 0)) {
			ng_w_trace_sink_drop(w, m, NG_DROP_NEIGH_QUEUE);
			ng_w_drop(w, m, NG_DROP_NEIGH_QUEUE);
		}
	}
}

/* Sink: count each packet's drop reason on its ingress port; free them in bulk. */
static void
drop_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	(void)next;
	for (uint16_t i = 0; i < n; i++)
		w->stats.port[ng_port_dp[pkts[i]->port].idx].drop[aux[i].u]++;
	rte_pktmbuf_free_bulk(pkts, n);
}

/*
 * The graph after parse, in the order the dispatcher runs it (NG_STAGES'
 * order): a stage's edges only lead to stages after it. A new stage is its
 * edge list in ng_stats.h, its process function and a line here.
 *
 * v6: the stage is reached only through parse's two IPv6 edges (ip6 to
 * ip6-parse, lb6 for plain TCP and UDP), then IPv6 stages' edges, or a stage
 * of both families that ip6-parse feeds (icmp-err), so a burst without IPv6
 * skips it on one test of those two stages' inputs; ng_w_graph_create()
 * refuses an edge that breaks this.
 */
static const struct {
	enum ng_stage id;
	ng_stage_fn *process;
	bool v6;
} graph[] = {
	{NG_STAGE_REASS, ng_reass_process, false},
	{NG_STAGE_IP6_PARSE, ng_ip6_parse_process, true},
	{NG_STAGE_REASS6, ng_reass6_process, true},
	{NG_STAGE_LB, ng_lb_process, false},
	{NG_STAGE_LB6, ng_lb6_process, true},
	{NG_STAGE_ICMP_ERR, ng_icmp_err_process, false},
	{NG_STAGE_ENCAP, ng_encap_process, false},
	{NG_STAGE_ENCAP6, ng_encap6_process, true},
	{NG_STAGE_LOCAL, ng_local_process, false},
	{NG_STAGE_IP6_LOCAL, ng_ip6_local_process, true},
	{NG_STAGE_FORWARD, ng_ip4_forward_process, false},
	{NG_STAGE_FORWARD6, ng_ip6_forward_process, true},
	{NG_STAGE_REPLY, ng_reply_process, false},
	{NG_STAGE_PUNT, ng_punt_process, false},
	{NG_STAGE_OUTPUT, output_process, false},
	{NG_STAGE_REDIRECT_OUT, redirect_out_process, false},
	{NG_STAGE_TO_CONTROL, to_control_process, false},
	{NG_STAGE_DROP, drop_process, false},
};

/* Is stage s one of graph[]'s v6 stages? */
static bool
stage_v6(unsigned int s)
{
	for (unsigned int i = 0; i < RTE_DIM(graph); i++)
		if (graph[i].id == s)
			return graph[i].v6;
	return false;
}

/*
 * Does stage s take IPv6 packets: a v6 stage, or a stage of both families
 * that a v6 stage leads to (icmp-err: ip6-parse hands it ICMPv6 errors)?
 * Such a stage has IPv6 packets only in a burst where ip6-parse had some, and
 * hands them on only to IPv6 stages (and its IPv4 packets only to IPv4 ones).
 */
static bool
stage_takes_v6(unsigned int s)
{
	if (stage_v6(s))
		return true;
	for (unsigned int i = 0; i < RTE_DIM(graph); i++) {
		const uint8_t *to;
		unsigned int ne;

		if (!graph[i].v6)
			continue;
		ne = ng_stage_edges(graph[i].id, &to);
		for (unsigned int e = 0; e < ne; e++)
			if (to[e] == s)
				return true;
	}
	return false;
}

const char *
ng_worker_edge_refused(enum ng_stage from, enum ng_stage to)
{
	if (to <= from)
		return "leads back to";
	if (stage_v6(to) && !stage_takes_v6(from) && (from != NG_STAGE_PARSE ||
			(to != NG_STAGE_IP6_PARSE && to != NG_STAGE_LB6)))
		return "leads from outside the IPv6 stages into";
	return NULL;
}

struct ng_w_graph *
ng_w_graph_create(int socket)
{
	struct ng_w_graph *g = rte_zmalloc_socket("ng_w_graph", sizeof(*g), RTE_CACHE_LINE_SIZE,
			socket);

	if (g == NULL)
		return NULL;
	for (unsigned int s = 0; s < NG_STAGE_MAX; s++) {
		const uint8_t *to;
		unsigned int ne = ng_stage_edges((enum ng_stage)s, &to);

		for (unsigned int e = 0; e < ne; e++) {
			const char *why = ng_worker_edge_refused((enum ng_stage)s,
					(enum ng_stage)to[e]);

			if (why != NULL) {
				NG_LOG(ERR, WORKER, "graph: edge %u of %s %s %s", e,
						ng_stage_name((enum ng_stage)s), why,
						ng_stage_name((enum ng_stage)to[e]));
				rte_free(g);
				return NULL;
			}
			g->next[s][e] = &g->in[to[e]];
		}
	}
	return g;
}

/*
 * One burst through the graph: parse on the burst itself, then every stage
 * with packets waiting, in order. With trace set (a copy of this function of
 * its own), the trace records each traced packet's edge after every stage.
 * The burst's clock is now, or the TSC when now is 0: the loop passes a
 * constant 0, so the test hook (ng_worker_process_at()) costs it nothing.
 */
static __rte_always_inline void
run_graph(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n, const bool trace,
		uint64_t now)
{
	struct ng_w_graph *g = w->graph;
	uint64_t t0 = ng_w_stage_begin(w);
	bool v6, out_ran = false;

	w->now = now != 0 ? now : w->rt_cycles ? t0 : rte_rdtsc();
	w->rs = __atomic_load_n(&w->dp->rs, __ATOMIC_ACQUIRE);
	ng_parse_process(w, pkts, NULL, n, g->next[NG_STAGE_PARSE]);
	if (trace)
		ng_w_trace_stage(w, NG_STAGE_PARSE);
	ng_w_stage_end(w, NG_STAGE_PARSE, n, t0);
	v6 = (g->in[NG_STAGE_IP6_PARSE].n | g->in[NG_STAGE_LB6].n) != 0;
	/* unrolled: each stage a direct call, each empty one a test (the v6
	 * stages of a burst without IPv6: a test of a register) */
#pragma GCC unroll 16
	for (unsigned int i = 0; i < RTE_DIM(graph); i++) {
		enum ng_stage s = graph[i].id;
		struct ng_vec *in = &g->in[s];
		uint16_t k;

		if (graph[i].v6 && !v6)
			continue;
		k = in->n;
		if (k == 0)
			continue;
		if (s == NG_STAGE_OUTPUT)
			out_ran = true;
		t0 = ng_w_stage_begin(w);
		in->n = 0;
		graph[i].process(w, in->pkts, in->aux, k, g->next[s]);
		if (trace)
			ng_w_trace_stage(w, s);
		ng_w_stage_end(w, s, k, t0);
	}
	/* a stage queued output's packets itself (ng_w_out_direct()): output's
	 * one call in this burst, if it did not run as well */
	if (w->out_direct) {
		w->stats.stage[NG_STAGE_OUTPUT].calls += !out_ran;
		w->out_direct = false;
	}
	/* what reassembly gave up while the graph ran (reass_dp.h) */
	ng_reass_flush(w);
}

static __rte_noinline void
process_traced(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n, uint16_t queue,
		uint64_t now)
{
	ng_w_trace_begin(w, pkts, n, queue);
	run_graph(w, pkts, n, true, now);
	ng_w_trace_end(w);
}

/*
 * A burst of at most NG_W_BURST_MAX packets at clock now (0: the TSC); the
 * trace costs one branch when off.
 */
static __rte_always_inline void
process_burst(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n, uint16_t queue,
		uint64_t now)
{
	if (likely((w->tr.left | w->tr.n_marked) == 0))
		run_graph(w, pkts, n, false, now);
	else
		process_traced(w, pkts, n, queue, now);
}

void
ng_worker_process_at(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	ng_w_trace_poll(w);
	w->rt_cycles = __atomic_load_n(&w->dp->runtime_stats, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < n; i += NG_W_BURST_MAX) {
		ng_w_burst_start(w);
		process_burst(w, pkts + i, (uint16_t)RTE_MIN(n - i, (unsigned int)NG_W_BURST_MAX), 0,
				now);
	}
}

void
ng_worker_process(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	ng_worker_process_at(w, pkts, n, 0);
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

/* The redirect rings' packets through the stages at clock now (0: the TSC). */
static __rte_always_inline unsigned int
drain_redirect(struct ng_worker *w, uint64_t now)
{
	struct rte_mbuf *pkts[32];
	unsigned int total = 0;

	ng_w_trace_poll(w);
	for (unsigned int i = 0; i < w->dp->n_workers; i++) {
		struct rte_ring *r = w->redir_in[i];
		uintptr_t marks = 0;
		unsigned int n;
		uint64_t t0;

		if (r == NULL || likely(rte_ring_empty(r)))
			continue;
		ng_w_burst_start(w);
		t0 = ng_w_stage_begin(w);
		n = rte_ring_sc_dequeue_burst(r, (void **)pkts, RTE_DIM(pkts), NULL);
		ng_w_stage_end(w, NG_STAGE_REDIRECT, (uint16_t)n, t0);
		w->stats.redirect_rx += n;
		for (unsigned int j = 0; j < n; j++)
			marks |= (uintptr_t)pkts[j];
		if (unlikely(marks & 1))
			ng_w_trace_marked(w, pkts, (uint16_t)n, i);
		w->in_redirect = true;
		process_burst(w, pkts, (uint16_t)n, 0, now);
		w->in_redirect = false;
		total += n;
	}
	return total;
}

unsigned int
ng_worker_drain_redirect(struct ng_worker *w)
{
	return drain_redirect(w, 0);
}

unsigned int
ng_worker_drain_redirect_at(struct ng_worker *w, uint64_t now)
{
	return drain_redirect(w, now);
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

/*
 * A busy loop reads the clock of its last burst (w->now, the TSC at that
 * burst's start) instead of the TSC: one rdtsc fewer per loop.
 * @return true when it scanned (time no stage accounts for).
 */
static inline bool
expire(struct ng_worker *w, bool busy)
{
	struct ng_ct *ct = w->ct;
	uint64_t now;

	if (ct->n_used == 0)
		return false;
	now = busy ? w->now : rte_rdtsc();
	if (busy && now < w->expire_tsc)
		return false;
	ng_ct_expire(ct, now, w->dp->ct_expire_budget);
	w->expire_tsc = now + w->expire_ivl;
	return true;
}

/* Reassembly expiry: the same budget, every loop while datagrams wait; true
 * when it scanned (the loop's clock is then stale, as after expire()). */
static inline bool
expire_reass(struct ng_worker *w)
{
	if (w->reass == NULL || w->reass->n_used == 0)
		return false;
	ng_reass_expire(w, rte_rdtsc(), w->dp->ct_expire_budget);
	return true;
}

int
ng_worker_main(void *arg)
{
	struct ng_worker *w = arg;
	struct ng_dp *dp = w->dp;
	struct rte_mbuf *pkts[NG_W_BURST_MAX];
	uint16_t burst = (uint16_t)RTE_MIN(dp->burst, (uint32_t)NG_W_BURST_MAX);
	uint64_t rate = RTE_MAX((uint64_t)w->ct->cap / EXPIRE_SWEEP_S, (uint64_t)EXPIRE_MIN_RATE);
	/*
	 * w->stage_tsc is the TSC where this loop's next RX starts: the end of
	 * the busy loop before (its tail, the expiry test and the quiescent
	 * state, counts in RX) or of the empty poll of the queue before. A loop
	 * after an idle one, or after an expiry scan, reads the TSC again.
	 */
	bool chained = false;

	w->expire_ivl = dp->tsc_hz * dp->ct_expire_budget / rate;

	rte_rcu_qsbr_thread_register(dp->qsbr, w->id);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
	NG_LOG(INFO, WORKER, "worker %u on lcore %u: %u rx queues", w->id, w->lcore, w->n_rxq);

	while (!__atomic_load_n(&dp->stop, __ATOMIC_RELAXED)) {
		unsigned int got = 0;

		w->rt_cycles = __atomic_load_n(&dp->runtime_stats, __ATOMIC_RELAXED);
		chained &= w->rt_cycles;
		ng_w_trace_poll(w);
		if (unlikely(__atomic_load_n(&w->stall_ms, __ATOMIC_RELAXED) != 0)) {
			ng_worker_stall_now(w); /* debug worker stall */
			chained = false;
		}

		for (unsigned int q = 0; q < w->n_rxq; q++) {
			const struct ng_rxq_ref *rq = &w->rxq[q];
			struct ng_port_stats *ps = &w->stats.port[rq->port_idx];
			uint64_t t0 = !w->rt_cycles ? 0 : chained ? w->stage_tsc : rte_rdtsc();
			uint16_t n = rte_eth_rx_burst(rq->port_id, rq->queue, pkts, burst);

			if (n == 0) {
				/* the next queue's RX starts here (and counts this poll) */
				w->stage_tsc = t0;
				chained = w->rt_cycles;
				continue;
			}
			ng_w_stage_end(w, NG_STAGE_RX, n, t0);
			chained = w->rt_cycles;
			ps->rx += n;
			ps->rxq[rq->queue] += n;
			for (uint16_t i = 0; i < n; i++)
				ps->rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
			got += n;
			process_burst(w, pkts, n, rq->queue, 0);
		}
		if (dp->n_workers > 1)
			ng_worker_drain_redirect(w);
		drain_inject(w);
		ng_worker_flush(w);
		if (expire(w, got > 0) | expire_reass(w))
			chained = false;
		rte_rcu_qsbr_quiescent(dp->qsbr, w->id);
		w->stats.loops++;

		if (got > 0) {
			w->idle_count = 0;
			continue;
		}
		/* An idle loop's end is no start for the next loop's RX. */
		chained = false;
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
