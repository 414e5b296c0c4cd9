/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_LB_DP_H
#define NG_LB_DP_H

/*
 * Private to the worker: what the service stage (lb_dp.c) lets other stages
 * use.
 *
 * Its connection code, which the IPv6 service stage (lb6_dp.c) calls too, so
 * that scheduling, affinity, FullNAT source ports, table-full handling and
 * counters are one piece of code for both families. Both stages' edges have
 * the same indices (NG_LB_EDGES and NG_LB6_EDGES list them in one order).
 *
 * The owner worker of a flow, by the rule its own packets follow
 * (doc/architecture.md, "Owner of a packet"): the icmp-err stage sends an
 * ICMP error to the owner of the connection its quote names.
 */
#include <assert.h>
#include <stdint.h>

#include "route_dp.h"
#include "svc_dp.h"
#include "worker.h"
#include "worker_dp.h"

static_assert((int)NG_LB6_NEXT_FORWARD == (int)NG_LB_NEXT_FORWARD &&
		(int)NG_LB6_NEXT_LOCAL == (int)NG_LB_NEXT_LOCAL &&
		(int)NG_LB6_NEXT_REPLY == (int)NG_LB_NEXT_REPLY &&
		(int)NG_LB6_NEXT_REDIRECT == (int)NG_LB_NEXT_REDIRECT &&
		(int)NG_LB6_NEXT_DROP == (int)NG_LB_NEXT_DROP &&
		(int)NG_LB6_NEXT_ENCAP == (int)NG_LB_NEXT_ENCAP,
		"lb and lb6 edges must have the same indices");

/**
 * A new connection to svc for a packet whose key k (hash ksig, either
 * family) has no entry: a backend (Maglev, WRR, random; affinity), a FullNAT
 * source port, the entry inserted under both keys.
 * @return the connection, or NULL when m was handed on by next (refused:
 *   reply; dropped: a RST without connection, no source port, table full).
 */
struct ng_conn *ng_lb_conn_new(struct ng_worker *w, const struct ng_ruleset *rs,
		struct ng_svc_obj *svc, struct rte_mbuf *m, const struct ng_flow_key *k,
		hash_sig_t ksig, uint8_t tcp_flags, struct ng_vec *const *next);

/** Bring a connection's service view up to ruleset rs; @return its service or NULL. */
const struct ng_svc_obj *ng_lb_conn_revalidate(const struct ng_ruleset *rs, struct ng_conn *c);

/**
 * A packet of connection c, not confirmed yet: a reply marks it replied, a
 * packet from the client may confirm it (ng_ct_confirm(); a one-way conn's
 * second packet from the client does). first: this packet created c.
 */
void ng_lb_conn_unconfirmed(struct ng_ct *ct, struct ng_conn *c, bool is_reply, bool first);

/** A packet of len bytes on c: its deadline, counters, the service's counters. */
void ng_lb_conn_touch(struct ng_worker *w, struct ng_conn *c, const struct ng_svc_obj *svc,
		uint32_t len);

/**
 * The worker that owns an IPv4 TCP/UDP packet from src:sport to dst:dport
 * (network order) under the worker's current ruleset (w->rs).
 * @param nh the FIB result for dst (may be NULL)
 */
unsigned int ng_lb_owner4(const struct ng_worker *w, const struct ng_nexthop *nh, uint32_t src,
		uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto);

#endif
