/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "ng_log.h"
#include "pkt.h"
#include "port.h"
#include "twin.h"
#include "worker.h"
#include "reass_dp.h"
#include "worker_dp.h"

#define CTL_RING_SIZE 4096
#define INJECT_RING_SIZE 1024
#define REDIRECT_RING_SIZE 2048
#define PUNT_RING_SIZE 1024
#define CTL_POLL_MAX 256
#define TWIN_BURST 32
#define TWIN_POLL_MAX 256 /* frames per direction and poll */

struct ng_dp *
ng_dp_create(const struct ng_conf *c, const unsigned int *lcores, unsigned int n_workers)
{
	struct ng_dp *dp;
	size_t sz;
	char name[RTE_RING_NAMESIZE];

	if (n_workers == 0 || n_workers > NG_MAX_WORKERS) {
		rte_errno = EINVAL;
		return NULL;
	}
	dp = rte_zmalloc("ng_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (dp == NULL)
		goto nomem;
	dp->forwarding = c->forwarding;
	dp->runtime_stats = true;
	dp->burst = c->workers.burst;
	dp->idle_sleep_us = c->workers.idle_sleep_us;
	dp->idle_polls = c->workers.idle_polls;
	dp->icmp_rate = c->icmp.rate_pps;
	dp->fragment = c->icmp.fragment;
	dp->tsc_hz = rte_get_tsc_hz();
	dp->n_workers = n_workers;
	dp->ct_expire_budget = 32;
	for (unsigned int s = 0; s < NG_CT_TO_N; s++)
		dp->ct_to_tsc[s] = (uint64_t)ng_ct_timeout_of(&c->conntrack.timeouts, s) *
				dp->tsc_hz;

	sz = rte_rcu_qsbr_get_memsize(n_workers);
	dp->qsbr = rte_zmalloc("ng_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (dp->qsbr == NULL || rte_rcu_qsbr_init(dp->qsbr, n_workers) != 0)
		goto nomem;
	dp->ctl_ring = rte_ring_create("ng_ctl", CTL_RING_SIZE, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (dp->ctl_ring == NULL)
		goto nomem;
	for (unsigned int i = 0; i < n_workers; i++) {
		struct ng_worker *w = rte_zmalloc("ng_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);

		if (w == NULL)
			goto nomem;
		dp->workers[i] = w;
		w->dp = dp;
		w->id = i;
		w->lcore = lcores[i];
		w->txq = (uint16_t)i;
		w->icmp_tokens = dp->icmp_rate;
		w->icmp_last_tsc = rte_get_tsc_cycles();
		snprintf(name, sizeof(name), "ng_inject_%u", i);
		w->inject = rte_ring_create(name, INJECT_RING_SIZE, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->inject == NULL)
			goto nomem;
		snprintf(name, sizeof(name), "ng_punt_%u", i);
		w->punt = rte_ring_create(name, PUNT_RING_SIZE, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->punt == NULL)
			goto nomem;
		snprintf(name, sizeof(name), "ng_ct_%u", i);
		w->ct = ng_ct_create(name, c->conntrack.max_entries, SOCKET_ID_ANY);
		if (w->ct == NULL)
			goto nomem;
		w->graph = ng_w_graph_create((int)rte_lcore_to_socket_id(w->lcore));
		if (w->graph == NULL)
			goto nomem;
		if (c->reassembly.enabled) {
			w->reass = ng_reass_create(c, dp->tsc_hz,
					(int)rte_lcore_to_socket_id(w->lcore));
			if (w->reass == NULL)
				goto nomem;
		}
	}
	for (unsigned int to = 0; to < n_workers && n_workers > 1; to++) {
		for (unsigned int from = 0; from < n_workers; from++) {
			if (from == to)
				continue;
			snprintf(name, sizeof(name), "ng_redir_%u_%u", from, to);
			dp->workers[to]->redir_in[from] = rte_ring_create(name, REDIRECT_RING_SIZE,
					SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (dp->workers[to]->redir_in[from] == NULL)
				goto nomem;
		}
	}
	return dp;
nomem:
	ng_dp_free(dp);
	rte_errno = ENOMEM;
	return NULL;
}

void
ng_dp_free(struct ng_dp *dp)
{
	struct rte_mbuf *m;

	if (dp == NULL)
		return;
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		struct ng_worker *w = dp->workers[i];

		if (w == NULL)
			continue;
		if (w->inject != NULL) {
			while (rte_ring_dequeue(w->inject, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(w->inject);
		}
		if (w->punt != NULL) {
			while (rte_ring_dequeue(w->punt, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(w->punt);
		}
		for (unsigned int p = 0; p < NG_MAX_PORTS; p++)
			rte_pktmbuf_free_bulk(w->tx[p].pkts, w->tx[p].n);
		for (unsigned int f = 0; f < NG_MAX_WORKERS; f++) {
			void *obj;

			if (w->redir_in[f] == NULL)
				continue;
			while (rte_ring_dequeue(w->redir_in[f], &obj) == 0)
				rte_pktmbuf_free(ng_worker_redirect_mbuf(obj));
			rte_ring_free(w->redir_in[f]);
		}
		ng_ct_free(w->ct);
		ng_reass_free(w->reass);
		rte_free(w->graph);
	}
	ng_trace_free(dp);
	for (unsigned int i = 0; i < dp->n_workers; i++)
		rte_free(dp->workers[i]);
	if (dp->ctl_ring != NULL) {
		while (rte_ring_dequeue(dp->ctl_ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(dp->ctl_ring);
	}
	rte_free(dp->qsbr);
	rte_free(dp);
}

void
ng_dp_assign_queues(struct ng_dp *dp)
{
	unsigned int next = 0;

	dp->n_ports = (uint16_t)ng_port_count();
	for (unsigned int i = 0; i < dp->n_ports; i++) {
		const struct ng_port *p = ng_port_get(i);

		dp->port_ids[i] = p->port_id;
		for (uint16_t q = 0; q < p->nb_rxq; q++) {
			struct ng_worker *w = dp->workers[next++ % dp->n_workers];

			w->rxq[w->n_rxq].port_id = p->port_id;
			w->rxq[w->n_rxq].queue = q;
			w->rxq[w->n_rxq].port_idx = (uint8_t)i;
			w->n_rxq++;
		}
	}
}

int
ng_dp_launch(struct ng_dp *dp)
{
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		struct ng_worker *w = dp->workers[i];
		int rc = rte_eal_remote_launch(ng_worker_main, w, w->lcore);

		if (rc != 0) {
			NG_LOG(ERR, WORKER, "cannot launch worker %u on lcore %u: %s", i, w->lcore,
					strerror(-rc));
			ng_dp_stop(dp);
			return rc;
		}
	}
	return 0;
}

void
ng_dp_stop(struct ng_dp *dp)
{
	__atomic_store_n(&dp->stop, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < dp->n_workers; i++)
		if (rte_eal_get_lcore_state(dp->workers[i]->lcore) != WAIT)
			rte_eal_wait_lcore(dp->workers[i]->lcore);
}

int
ng_dp_ctl_tx(struct rte_mbuf *m, uint16_t port_id, void *arg)
{
	struct ng_dp *dp = arg;
	struct ng_worker *w;

	if (port_id >= RTE_MAX_ETHPORTS || !ng_port_dp[port_id].in_use) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	ng_mbuf_priv(m)->out_port = port_id;
	w = dp->workers[dp->inject_rr++ % dp->n_workers];
	if (rte_ring_sp_enqueue(w->inject, m) != 0) {
		dp->inject_full++;
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

/* Frames of the workers' punt rings to their ingress ports' twins, in order. */
static unsigned int
punt_to_kernel(struct ng_dp *dp)
{
	struct rte_mbuf *pkts[TWIN_BURST];
	unsigned int total = 0;

	for (unsigned int i = 0; i < dp->n_workers; i++) {
		struct rte_ring *r = dp->workers[i]->punt;
		unsigned int n, got = 0;

		while (got < TWIN_POLL_MAX &&
				(n = rte_ring_sc_dequeue_burst(r, (void **)pkts, TWIN_BURST, NULL)) > 0) {
			uint16_t first = 0;

			got += n;
			/* runs of one ingress port, so each twin sees its frames in order */
			for (uint16_t j = 1; j <= n; j++) {
				if (j < n && pkts[j]->port == pkts[first]->port)
					continue;
				ng_twin_to_kernel(ng_port_dp[pkts[first]->port].idx, &pkts[first],
						(uint16_t)(j - first));
				first = j;
			}
		}
		total += got;
	}
	dp->punt_rx += total;
	return total;
}

/*
 * What the kernel sent on the twins, out through their ports: each twin's
 * frames through one worker (port index mod workers), so that they leave in
 * the order the kernel sent them.
 */
static unsigned int
kernel_to_ports(struct ng_dp *dp)
{
	struct rte_mbuf *pkts[TWIN_BURST];
	unsigned int total = 0;

	for (unsigned int p = 0; p < dp->n_ports; p++) {
		struct ng_worker *w = dp->workers[p % dp->n_workers];
		unsigned int n, got = 0, q;

		if (!ng_twin_has(p))
			continue;
		while (got < TWIN_POLL_MAX &&
				(n = ng_twin_from_kernel(p, pkts, TWIN_BURST)) > 0) {
			got += n;
			for (unsigned int j = 0; j < n; j++)
				ng_mbuf_priv(pkts[j])->out_port = dp->port_ids[p];
			q = rte_ring_sp_enqueue_burst(w->inject, (void **)pkts, n, NULL);
			ng_twin_handed(p, q, n - q);
			if (q < n) {
				dp->inject_full += n - q;
				rte_pktmbuf_free_bulk(&pkts[q], n - q);
			}
		}
		total += got;
	}
	return total;
}

unsigned int
ng_dp_ctl_poll(struct ng_dp *dp)
{
	struct rte_mbuf *pkts[32];
	unsigned int total = 0, n;

	do {
		n = rte_ring_sc_dequeue_burst(dp->ctl_ring, (void **)pkts, RTE_DIM(pkts), NULL);
		for (unsigned int i = 0; i < n; i++) {
			uint8_t kind = ng_mbuf_priv(pkts[i])->kind;

			if (kind == NG_CTL_ARP)
				ng_neigh_arp_input(dp->neigh, pkts[i]);
			else if (kind == NG_CTL_ND)
				ng_neigh_nd_input(dp->neigh, pkts[i]);
			else
				ng_neigh_resolve(dp->neigh, pkts[i]);
		}
		total += n;
	} while (n > 0 && total < CTL_POLL_MAX);
	dp->ctl_rx += total;
	ng_neigh_poll(dp->neigh);
	ng_fib_reclaim(dp->fib);
	total += punt_to_kernel(dp) + kernel_to_ports(dp);
	ng_twin_poll();
	return total;
}

void
ng_dp_stats_sum(const struct ng_dp *dp, struct ng_worker_stats *out)
{
	struct ng_worker_stats one;

	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		ng_dp_worker_stats(dp, i, &one);
		ng_worker_stats_add(out, &one);
	}
}

/* Copy n 64-bit words the owner keeps writing, each loaded once. */
static void
load_words(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void
ng_dp_worker_stats(const struct ng_dp *dp, unsigned int w, struct ng_worker_stats *out)
{
	load_words((uint64_t *)out, (const uint64_t *)&dp->workers[w]->stats,
			sizeof(*out) / sizeof(uint64_t));
}

void
ng_dp_worker_ct(const struct ng_dp *dp, unsigned int w, struct ng_dp_ct_info *out)
{
	const struct ng_ct *ct = dp->workers[w]->ct;

	RTE_BUILD_BUG_ON(sizeof(out->stats) % sizeof(uint64_t) != 0);
	out->used = __atomic_load_n(&ct->n_used, __ATOMIC_RELAXED);
	out->capacity = ct->cap;
	load_words((uint64_t *)&out->stats, (const uint64_t *)&ct->stats,
			sizeof(out->stats) / sizeof(uint64_t));
}

/* ---- stalled workers ---- */

static uint64_t
tsc_to_ns(const struct ng_dp *dp, uint64_t cycles)
{
	return (uint64_t)((double)cycles * 1e9 / (double)dp->tsc_hz);
}

void
ng_dp_watch(struct ng_dp *dp, uint64_t now)
{
	uint64_t after = dp->tsc_hz / 1000 * NG_WORKER_STALL_MS +
			dp->tsc_hz / 1000000 * dp->idle_sleep_us;

	for (unsigned int i = 0; i < dp->n_workers; i++) {
		struct ng_worker_watch *x = &dp->watch[i];
		uint64_t loops = __atomic_load_n(&dp->workers[i]->stats.loops, __ATOMIC_RELAXED);

		if (x->seen_tsc == 0 || loops != x->loops) {
			if (x->stalled) {
				x->stalled = false;
				x->last_ns = tsc_to_ns(dp, now - x->seen_tsc);
				x->max_ns = RTE_MAX(x->max_ns, x->last_ns);
				NG_LOG(NOTICE, WORKER, "worker %u (lcore %u) resumed after a "
						"stall of %" PRIu64 " ms", i, dp->workers[i]->lcore,
						x->last_ns / 1000000);
			}
			x->loops = loops;
			x->seen_tsc = now;
		} else if (!x->stalled && now - x->seen_tsc > after) {
			x->stalled = true;
			x->stalls++;
			NG_LOG(WARNING, WORKER, "worker %u (lcore %u) stalled: no loop for %" PRIu64
					" ms; its queues wait and so do grace periods", i,
					dp->workers[i]->lcore,
					tsc_to_ns(dp, now - x->seen_tsc) / 1000000);
		}
	}
}

void
ng_dp_worker_watch(const struct ng_dp *dp, unsigned int w, uint64_t now,
		struct ng_dp_watch_info *out)
{
	const struct ng_worker_watch *x = &dp->watch[w];

	out->stalled = x->stalled;
	out->stalled_ns = x->stalled && now > x->seen_tsc ? tsc_to_ns(dp, now - x->seen_tsc) : 0;
	out->stalls = x->stalls;
	out->last_ns = x->last_ns;
	out->max_ns = x->max_ns;
}

int
ng_dp_worker_stall(struct ng_dp *dp, unsigned int w, uint32_t ms)
{
	uint32_t idle = 0;

	if (w >= dp->n_workers || ms == 0 || ms > NG_WORKER_STALL_MAX_MS)
		return -EINVAL;
	if (!__atomic_compare_exchange_n(&dp->workers[w]->stall_ms, &idle, ms, false,
			__ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return -EBUSY;
	NG_LOG(NOTICE, WORKER, "debug: worker %u (lcore %u) will stall for %u ms", w,
			dp->workers[w]->lcore, ms);
	return 0;
}

void
ng_worker_stall_now(struct ng_worker *w)
{
	uint32_t ms = __atomic_load_n(&w->stall_ms, __ATOMIC_ACQUIRE);

	/* Online and spinning: no quiescent state, no receive, no system call. */
	rte_delay_us_block(ms * 1000u);
	__atomic_store_n(&w->stall_ms, 0, __ATOMIC_RELEASE);
}

void
ng_dp_reass_info(const struct ng_dp *dp, uint64_t *bytes, uint32_t *datagrams, uint32_t *held)
{
	*bytes = 0;
	*datagrams = 0;
	*held = 0;
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		const struct ng_reass *r = dp->workers[i]->reass;

		if (r == NULL)
			continue;
		*bytes += r->mem_bytes;
		*datagrams += __atomic_load_n(&r->n_used, __ATOMIC_RELAXED);
		*held += __atomic_load_n(&r->held, __ATOMIC_RELAXED);
	}
}
