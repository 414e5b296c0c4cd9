/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_TRACE_DP_H
#define NG_TRACE_DP_H

/*
 * The worker's side of the packet trace (trace.h). Everything here but
 * ng_w_trace_poll() runs only in a traced burst, or on a cold path that
 * checks w->tr.burst_n first.
 */

#include "worker_dp.h"

/** Take a pending request (cold). */
void ng_w_trace_apply(struct ng_worker *w);

/** Once per loop: a request from the control core? */
static inline void
ng_w_trace_poll(struct ng_worker *w)
{
	if (unlikely(__atomic_load_n(&w->tr.req, __ATOMIC_RELAXED) != 0))
		ng_w_trace_apply(w);
}

/**
 * Start a traced burst (received on RX queue queue): pick the packets to
 * trace, start their records with the headers as received.
 */
void ng_w_trace_begin(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n, uint16_t queue);

/** After stage s: record the edge each traced packet it handed on took. */
void ng_w_trace_stage(struct ng_worker *w, enum ng_stage s);

/** End a traced burst: publish its records. */
void ng_w_trace_end(struct ng_worker *w);

/**
 * A burst from worker from's redirect ring holds marked pointers: unmark them
 * in objs[] and remember the packets, to trace them in the next burst.
 */
void ng_w_trace_marked(struct ng_worker *w, struct rte_mbuf **objs, uint16_t n,
		unsigned int from);

/** The record of m in the current burst, or NULL. */
struct ng_trace_rec *ng_w_trace_find(struct ng_worker *w, const struct rte_mbuf *m);

/** The service stage's word on a traced packet: its connection (NULL: none). */
void ng_w_trace_conn(struct ng_worker *w, struct ng_trace_rec *r, const struct ng_conn *c,
		bool created);

/** The reply stage's word on a packet: what it sent (if m is traced). */
void ng_w_trace_reply(struct ng_worker *w, const struct rte_mbuf *m, enum ng_trace_reply did);

/**
 * The punt stage is about to put pkts[0..n) on the punt ring, where the
 * control core may take them at once: record their verdict now (one the ring
 * does not take leaves by the drop edge, whose verdict replaces it).
 */
void ng_w_trace_punt(struct ng_worker *w, struct rte_mbuf *const *pkts, uint16_t n);

/** A stage made c, a copy of m: if m is traced, trace c too, from where m is. */
void ng_w_trace_copy(struct ng_worker *w, const struct rte_mbuf *m, struct rte_mbuf *c);

/** A sink could not take m (a full ring): it is dropped as r (if m is traced). */
void ng_w_trace_sink_drop(struct ng_worker *w, const struct rte_mbuf *m, enum ng_drop_reason r);

#endif
