/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_WORKER_DP_H
#define NG_WORKER_DP_H

/*
 * Private to the worker data path: the packet graph (stages, their edges,
 * the bursts between them), TX buffering, stage accounting.
 *
 * A stage takes a burst and hands each packet on by one of its edges
 * (lib/stats/ng_stats.h lists them): it appends the packet, with one word of
 * metadata, to the input burst of the next stage. It never calls another
 * stage, transmits, frees or enqueues a packet itself (but punt, which puts
 * what it lets through on the punt ring and records that for the trace): the
 * dispatcher (worker_dp.c) runs every stage once per burst in the fixed order
 * of NG_STAGES, the sinks last (output to the TX buffers, redirect-out,
 * to-control, drop). So every packet's path is visible to the dispatcher,
 * which is what the packet trace records.
 */

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "pkt.h"
#include "port.h"
#include "route_dp.h"
#include "worker.h"

/** The most packets a burst through the graph holds (RX bursts are at most this). */
#define NG_W_BURST_MAX 256

/**
 * The word a packet carries along an edge, by the next stage:
 *   lb, lb6, icmp-err,
 *   ip4-forward, ip6-forward: the FIB result for the destination
 *                    (nh, may be NULL);
 *   ip6-reass:       the FIB result for the destination (nh, may be NULL);
 *   ip6-parse, ip6-local: nothing (0);
 *   ip6ip6-encap:    the index of the packet's outer addresses in the
 *                    graph's encap6[] (u; encap6_dp.h);
 *   reply:           the drop reason it is counted under (u, low 32 bits);
 *                    for NG_DROP_MTU, NG_DROP_ENCAP_MTU and NG_DROP_ENCAP6_MTU the MTU
 *                    that "fragmentation needed" (IPv4) or "packet too big"
 *                    (IPv6) tells, in the high 32 bits (reply_dp.h);
 *   punt:            nothing (0);
 *   output:          the index of the port to send on (u; ng_w_next_out());
 *   redirect-out:    the owner worker (u), NG_W_AUX_TRACED when traced;
 *   to-control:      enum ng_ctl_kind (u);
 *   drop:            the drop reason (u).
 */
union ng_w_aux {
	const struct ng_nexthop *nh;
	uint64_t u;
};

/** Redirect-out: the packet is traced; the mark travels with it over the ring. */
#define NG_W_AUX_TRACED (UINT64_C(1) << 32)

/**
 * A burst waiting for a stage. Cache-line aligned, which makes it 65 lines
 * long: the counts the dispatcher tests (and the first packets) of the
 * stages' bursts fall in different L1 sets. Packed (4,104 bytes, 8 past a
 * page) they shared two or three sets, as many lines as the sets have ways.
 */
struct ng_vec {
	uint16_t n;
	struct rte_mbuf *pkts[NG_W_BURST_MAX];
	union ng_w_aux aux[NG_W_BURST_MAX];
} __rte_cache_aligned;

/**
 * What one word cannot carry to ip6ip6-encap: the outer header's addresses
 * and flow label of a DSR packet (encap6_dp.h), in a slot of the graph's.
 */
struct ng_encap6_slot {
	uint8_t src[16];   /**< the gateway's IPv6 address toward the backend */
	uint8_t dst[16];   /**< the backend */
	uint32_t flow;     /**< the flow label (20 bits), from the flow's hash */
};

/** A worker's graph: each stage's input burst, and each edge's next burst. */
struct ng_w_graph {
	struct ng_vec in[NG_STAGE_MAX];
	struct ng_vec *next[NG_STAGE_MAX][NG_STAGE_EDGES_MAX];
	uint16_t traced[NG_STAGE_MAX]; /**< trace: entries of in[] already attributed */
	/** ip6ip6-encap's input's outer addresses: slot i for entry i of in[ENCAP6] */
	struct ng_encap6_slot encap6[NG_W_BURST_MAX];
};

/**
 * A stage: handle pkts[0..n) (aux[i] is pkts[i]'s word; NULL for parse) and
 * append each packet to next[edge], edge from the stage's NG_<STAGE>_NEXT_*.
 */
typedef void ng_stage_fn(struct ng_worker *w, struct rte_mbuf **pkts,
		const union ng_w_aux *aux, uint16_t n, struct ng_vec *const *next);

/** Hand m on by an edge, with its word. */
static __rte_always_inline void
ng_w_next(struct ng_vec *v, struct rte_mbuf *m, uint64_t u)
{
	v->pkts[v->n] = m;
	v->aux[v->n].u = u;
	v->n++;
}

/** Hand m on by an edge to a stage that takes a next hop. */
static __rte_always_inline void
ng_w_next_nh(struct ng_vec *v, struct rte_mbuf *m, const struct ng_nexthop *nh)
{
	v->pkts[v->n] = m;
	v->aux[v->n].nh = nh;
	v->n++;
}

/** Remove the 802.1Q tag before forwarding: egress ports are untagged. */
static inline void
ng_w_strip_vlan(struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	memmove(p + RTE_VLAN_HLEN, p, 2 * RTE_ETHER_ADDR_LEN);
	rte_pktmbuf_adj(m, RTE_VLAN_HLEN);
	m->l2_len = sizeof(struct rte_ether_hdr);
}

/**
 * Make room for an outer L3 header of len bytes (a tunnel's) between m's L2
 * header (l2_len bytes, moved into the headroom) and its L3 header; l3_len
 * becomes len. @return where the outer header goes, or NULL without headroom.
 */
static inline void *
ng_w_push_l3(struct rte_mbuf *m, uint16_t len)
{
	uint8_t *old = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *now = (uint8_t *)rte_pktmbuf_prepend(m, len);

	if (unlikely(now == NULL))
		return NULL;
	memmove(now, old, m->l2_len);
	m->l3_len = len;
	return now + m->l2_len;
}

/** Hand m on to the output sink, to be sent on DPDK port port_id. */
static __rte_always_inline void
ng_w_next_out(struct ng_vec *v, struct rte_mbuf *m, uint16_t port_id)
{
	ng_w_next(v, m, ng_port_dp[port_id].idx);
}

/* The stages (one file each), in the order the dispatcher runs them. */
ng_stage_fn ng_parse_process;       /* parse_dp.c: parse and classify */
ng_stage_fn ng_reass_process;       /* reass_dp.c: IPv4 reassembly */
ng_stage_fn ng_ip6_parse_process;   /* ip6_dp.c: IPv6 header chain, classify */
ng_stage_fn ng_reass6_process;      /* reass_dp.c: IPv6 reassembly */
ng_stage_fn ng_lb_process;          /* lb_dp.c: conntrack, scheduling, NAT */
ng_stage_fn ng_lb6_process;         /* lb6_dp.c: the same for IPv6 */
ng_stage_fn ng_icmp_err_process;    /* icmp_err_dp.c: ICMP errors of a connection */
ng_stage_fn ng_encap_process;       /* encap_dp.c: IPv4-in-IPv4 for DSR */
ng_stage_fn ng_encap6_process;      /* encap6_dp.c: IPv6-in-IPv6 for DSR */
ng_stage_fn ng_local_process;       /* local_dp.c: ARP, ICMP echo, what is the kernel's */
ng_stage_fn ng_ip6_local_process;   /* local6_dp.c: ND, ICMPv6 echo, what is the kernel's */
ng_stage_fn ng_ip4_forward_process; /* ip4_dp.c: TTL, MTU, neighbour */
ng_stage_fn ng_ip6_forward_process; /* ip6_dp.c: hop limit, MTU, neighbour */
ng_stage_fn ng_reply_process;       /* reply_dp.c: RST, ICMP errors */
ng_stage_fn ng_punt_process;        /* punt_dp.c: to the kernel twin, rate-limited */

/**
 * A frame a parse stage would drop as r (IPv6 link-local or multicast not for
 * nodegw, another ethertype, multicast or broadcast IPv4) on a port with a
 * kernel twin: the kernel's, when it is addressed to the port (its MAC, or
 * multicast and broadcast). parse_dp.c.
 */
bool ng_w_for_twin(const struct rte_mbuf *m, const struct ng_port_dp *pd,
		enum ng_drop_reason r);

/**
 * The ICMP errors' token bucket of a worker (icmp.rate_pps, IPv4 and IPv6
 * together). reply_dp.c.
 * @return true when an error may be sent now (a token was taken).
 */
bool ng_w_icmp_allowed(struct ng_worker *w);

/**
 * The reply stage's answer to an IPv6 packet (reply6_dp.c): time exceeded,
 * packet too big, a RST or port unreachable, by the reason in its word
 * (reply_dp.h).
 */
enum ng_trace_reply ng_w_reply6(struct ng_worker *w, struct rte_mbuf *m, uint64_t word,
		struct ng_vec *const *next);

/* Drop m as r (by drop), or punt it (by punt) when it is for the port's kernel twin. */
static inline void
ng_w_not_ours(struct rte_mbuf *m, const struct ng_port_dp *pd, enum ng_drop_reason r,
		struct ng_vec *punt, struct ng_vec *drop)
{
	if (pd->twin && ng_w_for_twin(m, pd, r))
		ng_w_next(punt, m, 0);
	else
		ng_w_next(drop, m, r);
}

/**
 * Hand a copy of m (ARP or ND for a gateway address) to the punt stage for
 * the ingress port's kernel twin; the original is answered in place. A
 * traced original's copy is traced too. local_dp.c.
 */
void ng_w_punt_copy(struct ng_worker *w, struct rte_mbuf *m, struct ng_vec *punt);

/**
 * Fragments are packets a forward stage adds to its n: room for them in
 * whichever of its n_edges next bursts takes them all.
 */
static inline uint16_t
ng_w_frag_room(uint16_t n, struct ng_vec *const *next, unsigned int n_edges)
{
	uint16_t most = 0;

	for (unsigned int e = 0; e < n_edges; e++)
		most = RTE_MAX(most, next[e]->n);
	return (uint16_t)(n + most >= NG_W_BURST_MAX ? 0 : NG_W_BURST_MAX - n - most);
}

/** Allocate a worker's graph and wire each edge to its next stage's input. */
struct ng_w_graph *ng_w_graph_create(int socket);

/*
 * Drops outside the graph (a full ring or TX queue, after the graph handed
 * the packet on): count on the ingress port and free.
 */
static inline void
ng_w_drop(struct ng_worker *w, struct rte_mbuf *m, enum ng_drop_reason r)
{
	w->stats.port[ng_port_dp[m->port].idx].drop[r]++;
	rte_pktmbuf_free(m);
}

void ng_w_tx_flush_port(struct ng_worker *w, uint8_t pidx);

/** Queue m for transmission on the port of index pidx. */
static inline void
ng_w_tx_idx(struct ng_worker *w, struct rte_mbuf *m, uint8_t pidx)
{
	if (unlikely(w->tx[pidx].n == NG_TX_BUF))
		ng_w_tx_flush_port(w, pidx);
	w->tx[pidx].pkts[w->tx[pidx].n++] = m;
}

/**
 * May a stage that hands packets on by its output edge (out) queue them in
 * the TX buffers itself for the rest of this call (ng_w_out())? Yes when no
 * earlier stage handed output anything in this burst (so the frames leave in
 * the order the output stage would send them) and no packet is traced (the
 * trace records the edge). One test per call; the output stage's counters
 * still count these packets (ng_w_out_count()). ip4-forward does this: the
 * output stage's pass over an est burst, and its edge stores, cost about
 * 2 cycles a packet (doc/architecture.md, "Output without a pass of its own").
 */
static inline bool
ng_w_out_direct(const struct ng_worker *w, const struct ng_vec *out)
{
	return out->n == 0 && w->tr.burst_n == 0;
}

/** Hand m on to port index pidx: into its TX buffer when direct, else by the output edge. */
static __rte_always_inline void
ng_w_out(struct ng_worker *w, struct ng_vec *out, bool direct, struct rte_mbuf *m,
		uint8_t pidx)
{
	if (direct)
		ng_w_tx_idx(w, m, pidx);
	else
		ng_w_next(out, m, pidx);
}

/** Count k packets a stage queued itself (ng_w_out()) as the output stage's. */
static inline void
ng_w_out_count(struct ng_worker *w, uint16_t k)
{
	if (k == 0)
		return;
	w->stats.stage[NG_STAGE_OUTPUT].pkts += k;
	w->out_direct = true;
}

/** Queue m for transmission on DPDK port out. */
static inline void
ng_w_tx(struct ng_worker *w, struct rte_mbuf *m, uint16_t out)
{
	ng_w_tx_idx(w, m, ng_port_dp[out].idx);
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

/* Is slot sl of the IPv6 FIB cache destination d's, at generation gen? */
static __rte_always_inline bool
ng_w_fib6_hit(const struct ng_w_fib6_slot *sl, uint32_t gen, const uint64_t d[2])
{
	return sl->used && sl->gen == gen && ((sl->dst[0] ^ d[0]) | (sl->dst[1] ^ d[1])) == 0;
}

/**
 * A miss in set (two slots) of the IPv6 FIB cache: an LPM6 lookup of dst,
 * whose result goes into way 0 after way 0 moved to way 1. ip6_dp.c.
 */
const struct ng_nexthop *ng_w_fib6_miss(struct ng_w_fib6_slot *set,
		const struct ng_fib_dp *fib, uint32_t gen, const uint8_t dst[16]);

/**
 * The FIB result for IPv6 destination dst: from the worker's IPv6 FIB cache
 * while the FIB's IPv6 generation is gen (read once per burst: @see
 * ng_w_fib6_gen()), else an LPM6 lookup (up to 14 levels for a /128), whose
 * result goes into the cache. The cache is two-way set-associative (a set is
 * one cache line): a VIP, a client or a backend seen again costs a compare or
 * two; 128 destinations fit when the hash spreads them over the 64 sets.
 */
static __rte_always_inline const struct ng_nexthop *
ng_w_fib_lookup6(struct ng_worker *w, const struct ng_fib_dp *fib, uint32_t gen,
		const uint8_t dst[16])
{
	struct ng_w_fib6_slot *set;
	uint64_t d[2];

	RTE_BUILD_BUG_ON(NG_W_FIB6_SLOTS != 2 * 64);
	memcpy(d, dst, sizeof(d));
	set = &w->fib6_cache[2 * (((d[1] ^ d[0]) * 0x9e3779b97f4a7c15ull) >> 58)];
	if (likely(ng_w_fib6_hit(&set[0], gen, d)))
		return set[0].nh;
	if (likely(ng_w_fib6_hit(&set[1], gen, d)))
		return set[1].nh;
	return ng_w_fib6_miss(set, fib, gen, dst);
}

/** The FIB's IPv6 generation, for ng_w_fib_lookup6() in one burst. */
static inline uint32_t
ng_w_fib6_gen(const struct ng_fib_dp *fib)
{
	return __atomic_load_n(&fib->gen6, __ATOMIC_ACQUIRE);
}

#endif
