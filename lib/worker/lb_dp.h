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
#include <stdbool.h>
#include <stdint.h>

#include <rte_tcp.h>

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

/*
 * The service stage's passes over a burst, both families (doc/architecture.md,
 * "The service stage's passes"): pass 1 (per family: lb_classify, lb6's
 * classify) checks each packet, redirects it to its owner or builds its flow
 * key and hash; pass 2 (ng_lb_lookup) looks every key up in bulk and
 * prepares the new FullNAT connections; pass 3 (per family) handles each
 * packet in arrival order.
 */

/**
 * A new FullNAT connection prepared for a packet before the burst's packets
 * are handled one by one: its backend, and a source port whose reply key was
 * found free in one bulk lookup with the other new connections' keys, which
 * also brings the hash buckets the inserts will write into the cache.
 */
struct ng_lb_new {
	uint16_t b;       /**< backend index */
	uint16_t lport;   /**< network order; 0: none reserved */
	hash_sig_t rsig;  /**< hash of the reply key */
	uint32_t snat;    /**< index in the backend's snat_pool */
};

/* What pass 1 decided for a packet (0: it has a flow key). */
#define NG_LB_DONE UINT8_MAX /**< handed on (dropped, redirected to its owner) */
#define NG_LB_FRAG (UINT8_MAX - 1)
#define NG_LB_NEW (UINT8_MAX - 2) /**< pass 3: it created its connection (for the trace) */

/** A burst through the stage: what each pass leaves for the next. */
struct ng_lb_burst {
	uint16_t nk;                 /**< flow keys built by pass 1 */
	uint16_t n_pre;              /**< new connections prepared by pass 2 */
	uint32_t n_ins, n_del;       /**< ct->n_ins, n_del after pass 2 */
	uint8_t act[NG_W_BURST_MAX]; /**< by packet: 0, NG_LB_* */
	/* by key */
	struct ng_flow_key keys[NG_W_BURST_MAX];
	const struct ng_flow_key *kp[NG_W_BURST_MAX];
	hash_sig_t sigs[NG_W_BURST_MAX];
	struct ng_conn *conns[NG_W_BURST_MAX]; /**< pass 2's result; pass 3's for the trace */
	uint64_t reply[NG_W_BURST_MAX / 64];   /**< pass 2: the key is a reply key */
	int16_t pre_of[NG_W_BURST_MAX];        /**< its pre[] entry, or -1 */
	/** pass 2 looked the key's frontend up (a miss to a VIP or a gateway
	 * address): its service is svc[] (NULL: none), which pass 3 uses */
	uint64_t fe_known[NG_W_BURST_MAX / 64];
	struct ng_svc_obj *svc[NG_W_BURST_MAX];
	struct ng_lb_new pre[NG_W_BURST_MAX];
};

/**
 * Pass 2, for the b->nk keys pass 1 built (pkts[i] with b->act[i] == 0, in
 * order): look them all up in bulk calls; with misses, prepare the new
 * FullNAT connections to Maglev services and, on a full table, evict for them
 * in one batch.
 */
void ng_lb_lookup(struct ng_worker *w, const struct ng_ruleset *rs, struct rte_mbuf **pkts,
		const union ng_w_aux *aux, uint16_t n, struct ng_lb_burst *b);

/**
 * Pass 3: the connection of key ki (NULL: none) and its direction, looked up
 * again when a connection created or deleted earlier in the pass made pass
 * 2's result stale (ct->n_ins / n_del).
 */
static __rte_always_inline struct ng_conn *
ng_lb_burst_conn(struct ng_ct *ct, struct ng_lb_burst *b, uint16_t ki, bool *is_reply)
{
	struct ng_conn *c = b->conns[ki];

	*is_reply = (b->reply[ki / 64] >> (ki % 64)) & 1;
	if (unlikely(c == NULL ? ct->n_ins != b->n_ins : ct->n_del != b->n_del))
		c = b->conns[ki] = ng_ct_lookup_sig(ct, &b->keys[ki], b->sigs[ki], is_reply);
	return c;
}

/**
 * Pass 3, a packet with a connection c: a UDP flow whose backend was removed
 * moves at once, a new SYN (from the client) reuses a closed tuple; then c is
 * deleted. @return true when it was.
 */
static __rte_always_inline bool
ng_lb_conn_retire(struct ng_ct *ct, struct ng_conn *c, uint8_t proto, bool is_reply,
		uint8_t tcp_flags)
{
	if (likely(!((proto == IPPROTO_UDP && c->bidx == NG_CT_BIDX_NONE) ||
			(proto == IPPROTO_TCP && !is_reply &&
			(tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG &&
			(c->state == NG_CT_TIME_WAIT || c->state == NG_CT_CLOSE)))))
		return false;
	ct->stats.deleted++;
	ng_ct_delete(ct, c);
	return true;
}

/**
 * A fragment (no ports to look at), either family (lb's and lb6's edges have
 * the same indices): to a VIP dropped, to a gateway address to local, else
 * forwarded by its FIB result nh.
 */
void ng_lb_fragment(struct rte_mbuf *m, const struct ng_nexthop *nh, struct ng_vec *const *next);

/** For the packet trace (a traced burst only): each traced packet's connection, after pass 3. */
void ng_lb_trace(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n,
		const struct ng_lb_burst *b);

/**
 * A new connection to svc for key ki of a burst (key and hash in b, either
 * family): a backend (Maglev, WRR, random; affinity), a FullNAT source port
 * (the one pass 2 prepared for it, if any), the entry inserted under both
 * keys. @return the connection, or NULL when m was handed on by next
 * (refused: reply; dropped: a RST without connection, no source port, table
 * full).
 */
struct ng_conn *ng_lb_conn_new_burst(struct ng_worker *w, const struct ng_ruleset *rs,
		struct ng_svc_obj *svc, struct rte_mbuf *m, const struct ng_lb_burst *b, uint16_t ki,
		uint8_t tcp_flags, struct ng_vec *const *next);

/** May a new connection from k's source reach svc (its source ranges)? */
static __rte_always_inline bool
ng_lb_src_allowed(const struct ng_svc_obj *svc, const struct ng_flow_key *k)
{
	if (likely(!svc->src_check))
		return true;
	return k->family == AF_INET ? ng_svc_src_allowed4(svc, k->src.v4) :
			ng_svc_src_allowed6(svc, k->src.v6);
}

/**
 * Pass 3, a packet m without a connection (key ki of burst b), either
 * family: routed traffic goes on to forward, a gateway address without a
 * NodePort to local, a frontend nobody serves is refused; a frontend's
 * service (pass 2's, when it looked it up: b->fe_known) gets a new
 * connection (ng_lb_conn_new_burst()) unless the source is outside its
 * ranges (drop, silently: kube-proxy's behaviour, before anything else
 * answers) or the packet's ttl (TTL or hop limit) expires here (reply, about
 * the packet as it came, creating nothing). lb's edges are lb6's. Inline in
 * both stages' pass 3 (lb_miss(), miss6()).
 * @return the connection, or NULL when m was handed on by next.
 */
static __rte_always_inline struct ng_conn *
ng_lb_miss(struct ng_worker *w, const struct ng_ruleset *rs, struct rte_mbuf *m,
		const struct ng_nexthop *nh, struct ng_lb_burst *b, uint16_t ki, uint8_t ttl,
		uint8_t tcp_flags, struct ng_vec *const *next)
{
	const struct ng_flow_key *k = &b->keys[ki];
	struct ng_svc_obj *s;
	struct ng_conn *c;

	if (nh == NULL || (nh->type != NG_NH_VIP && nh->type != NG_NH_LOCAL)) {
		ng_w_next_nh(next[NG_LB_NEXT_FORWARD], m, nh);
		return NULL;
	}
	if (likely((b->fe_known[ki / 64] >> (ki % 64)) & 1)) {
		s = b->svc[ki];
	} else {
		struct ng_fe_key fk = {0};

		fk.addr = k->dst;
		fk.port = k->dport;
		fk.proto = k->proto;
		fk.family = k->family;
		s = ng_rs_lookup(rs, &fk);
	}
	if (s == NULL) {
		if (nh->type == NG_NH_VIP)
			ng_w_next(next[NG_LB_NEXT_REPLY], m, NG_DROP_SVC_NO_FRONTEND);
		else
			ng_w_next(next[NG_LB_NEXT_LOCAL], m, 0);
		return NULL;
	}
	if (unlikely(!ng_lb_src_allowed(s, k))) {
		s->wstats[w->id].src_dropped++;
		ng_w_next(next[NG_LB_NEXT_DROP], m, NG_DROP_SRC_RANGE);
		return NULL;
	}
	if (unlikely(ttl <= 1)) {
		ng_w_next(next[NG_LB_NEXT_REPLY], m, NG_DROP_TTL_EXPIRED);
		return NULL;
	}
	c = ng_lb_conn_new_burst(w, rs, s, m, b, ki, tcp_flags, next);
	/* to a gateway address (a NodePort): counted by port, so its packets
	 * still find it after the NodePort is gone (lb_dp.c) */
	if (c != NULL && nh->type == NG_NH_LOCAL)
		ng_ct_mark_local(w->ct, c);
	return c;
}

/**
 * A packet of a connection not confirmed yet (cold: an established flow is
 * confirmed after its first exchange): a reply marks it replied, a packet
 * from the client after that may confirm it (ng_ct_confirm(); a one-way
 * conn's second packet from the client does). first: this packet created c.
 */
void ng_lb_conn_unconfirmed(struct ng_ct *ct, struct ng_conn *c, bool is_reply, bool first);

/*
 * A packet of len bytes on c: its deadline and the counters (the service's
 * and its backend's when the connection has a service).
 */
static __rte_always_inline void
ng_lb_conn_touch(struct ng_worker *w, struct ng_conn *c, const struct ng_svc_obj *svc,
		uint32_t len)
{
	unsigned int ti = ng_ct_timeout_idx(c);
	uint64_t to = svc != NULL ? svc->to_tsc[ti] : w->dp->ct_to_tsc[ti];

	c->last_tsc = w->now;
	c->expire_tsc = w->now + to;
	c->pkts++;
	c->bytes += len;
	if (svc != NULL) {
		struct ng_svc_wstats *ws = &svc->wstats[w->id];

		ws->pkts++;
		ws->bytes += len;
		if (c->bidx != NG_CT_BIDX_NONE)
			svc->bstats[w->id * svc->n_backends + c->bidx].pkts++;
	}
}

/**
 * A packet of len bytes on c, whichever the family: the TCP state (proto
 * TCP, its flags), replied and confirmed (first: this packet created c),
 * its deadline and the counters. Inline: both service stages run it for
 * every packet of an established flow (out of line, a call lb6 paid and lb
 * did not).
 */
static __rte_always_inline void
ng_lb_conn_seen(struct ng_worker *w, struct ng_conn *c, const struct ng_svc_obj *svc,
		bool is_reply, bool first, uint8_t proto, uint8_t tcp_flags, uint32_t len)
{
	if (proto == IPPROTO_TCP)
		ng_ct_tcp_track(c, is_reply, tcp_flags);
	/* Not confirmed, and nothing here could confirm it (not a reply, no
	 * answer seen, not one-way: ng_ct_confirm() would return false): a flow
	 * whose backend has not answered, as every flow of bench.sh's est-1k.
	 * Tested inline, without the call and the spills around it (IPv6 est
	 * about 2 cycles a packet, IPv4 under 1: benchmarks.md, 2026-12-05 05:46). */
	if (unlikely(!(c->flags & NG_CT_F_CONFIRMED)) && (is_reply ||
			(c->flags & (NG_CT_F_REPLIED | NG_CT_F_ONEWAY))))
		ng_lb_conn_unconfirmed(w->ct, c, is_reply, first);
	ng_lb_conn_touch(w, c, svc, len);
}

/** ng_lb_conn_revalidate() for a connection checked at another generation. */
const struct ng_svc_obj *ng_lb_conn_revalidate_gen(const struct ng_ruleset *rs,
		struct ng_conn *c);

/**
 * Bring a connection's service view up to ruleset rs (the service looked up
 * again when rs is of another generation than c was checked at).
 * @return its service or NULL.
 */
static __rte_always_inline const struct ng_svc_obj *
ng_lb_conn_revalidate(const struct ng_ruleset *rs, struct ng_conn *c)
{
	if (likely(c->gen == (uint32_t)rs->gen))
		return c->svc;
	return ng_lb_conn_revalidate_gen(rs, c);
}

/**
 * The worker that owns an IPv4 TCP/UDP packet from src:sport to dst:dport
 * (network order) under the worker's current ruleset (w->rs).
 * @param nh the FIB result for dst (may be NULL)
 */
unsigned int ng_lb_owner4(const struct ng_worker *w, const struct ng_nexthop *nh, uint32_t src,
		uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto);

/**
 * Does a connection to port dport (network order) of one of the gateway's own
 * addresses live on any worker (a NodePort's, also after the NodePort was
 * removed: its TCP connections finish)? The worker that owns it may be
 * another, so every worker's count is read.
 */
static inline bool
ng_lb_local_port_used(const struct ng_worker *w, uint16_t dport)
{
	const struct ng_dp *dp = w->dp;

	for (unsigned int i = 0; i < dp->n_workers; i++)
		if (ng_ct_local_port_used(dp->workers[i]->ct, dport))
			return true;
	return false;
}

/**
 * Is an IPv4 TCP/UDP packet to dst:dport (network order) one for a gateway
 * address that no frontend takes (no NodePort, not a FullNAT reply port) and
 * no connection uses (ng_lb_local_port_used())?
 * Such a packet keeps no state, so it is served where it arrived, never
 * redirected (nothing about it may fill the redirect rings).
 * @param nh the FIB result for dst (may be NULL)
 */
bool ng_lb_local_no_frontend4(const struct ng_worker *w, const struct ng_nexthop *nh,
		uint32_t dst, uint16_t dport, uint8_t proto);

/** ng_lb_owner4() for IPv6 (lb6_dp.c's rule). */
unsigned int ng_lb_owner6(const struct ng_worker *w, const struct ng_nexthop *nh,
		const uint8_t src[16], const uint8_t dst[16], uint16_t sport, uint16_t dport,
		uint8_t proto);

/** ng_lb_local_no_frontend4() for IPv6. */
bool ng_lb_local_no_frontend6(const struct ng_worker *w, const struct ng_nexthop *nh,
		const uint8_t dst[16], uint16_t dport, uint8_t proto);

#endif
