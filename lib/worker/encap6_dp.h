/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_ENCAP6_DP_H
#define NG_ENCAP6_DP_H
/*
 * What the lb6 stage hands ip6ip6-encap with a DSR packet. Two IPv6
 * addresses do not fit an edge's word: the producer writes them, with the
 * flow label, into the graph's slot of the packet's position in the stage's
 * input (struct ng_encap6_slot, worker_dp.h), and the word is that index.
 * The stage's input holds at most NG_W_BURST_MAX packets and is emptied once
 * per burst, so the slots are too.
 */
#include <string.h>

#include <rte_mbuf.h>

#include "worker.h"
#include "worker_dp.h"

/** The outer header's overhead: what IPv6 DSR costs of the path MTU. */
#define NG_ENCAP6_OVERHEAD 40

/** The outer hop limit, as IPv4-in-IPv4 sets its TTL (ip6-forward takes one off). */
#define NG_ENCAP6_HOPS 64

/**
 * Hand m to ip6ip6-encap by edge v (a stage's edge to it) of worker w, for
 * an outer header from src (the gateway's address toward the backend) to dst
 * (the backend) with the flow label of the flow's hash sig.
 */
static inline void
ng_w_next_encap6(struct ng_worker *w, struct ng_vec *v, struct rte_mbuf *m,
		const uint8_t src[16], const uint8_t dst[16], uint32_t sig)
{
	struct ng_encap6_slot *s = &w->graph->encap6[v->n];

	memcpy(s->src, src, 16);
	memcpy(s->dst, dst, 16);
	/* fold the 32-bit hash into 20 bits: the same label for every packet */
	s->flow = (sig ^ sig >> 20) & 0xfffff;
	ng_w_next(v, m, v->n);
}

#endif
