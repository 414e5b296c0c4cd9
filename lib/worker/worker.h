/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_WORKER_H
#define NG_WORKER_H

/**
 * @file
 * Workers: poll-mode lcores that run the data path, and the control core's
 * side of them (queue assignment, launch, stop, the control rings, counters).
 *
 * Each worker owns its RX queues, one TX queue on every port (queue id =
 * worker id), its TX buffers and its counters. Packets a worker cannot finish
 * (unresolved next hops, ARP replies) go to the control core over one
 * multi-producer ring; packets the control core sends (ARP requests, packets
 * released after resolution, what the kernel twins send) reach a worker's TX
 * over that worker's inject ring. Frames for a port's kernel twin leave over
 * the worker's punt ring. Workers report RCU quiescence once per loop.
 */

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "conf.h"
#include "ng_stats.h"
#include "ct.h"
#include "route.h"
#include "trace.h"

#define NG_TX_BUF 64
#define NG_MAX_WORKER_RXQ (NG_MAX_PORTS * NG_MAX_RXQ)

/** Why a packet went to the control core. */
enum ng_ctl_kind {
	NG_CTL_RESOLVE = 1, /**< waits for its next hop's MAC */
	NG_CTL_ARP,         /**< an ARP reply to learn from */
	NG_CTL_ND,          /**< a neighbour advertisement to learn from */
};

struct ng_rxq_ref {
	uint16_t port_id;
	uint16_t queue;
	uint8_t port_idx;
};

struct ng_dp;
struct ng_ruleset;
struct ng_w_graph;
struct ng_reass;

/**
 * A neighbour the forward stage looked up before: (port, IPv4 next hop) ->
 * the neighbour entry's word. Good while the table's generation is still gen
 * (the control core moves it before an entry leaves the table, and frees the
 * entry only after every worker's next quiescent state).
 */
struct ng_w_neigh_slot {
	uint32_t via;            /**< network order */
	uint16_t port;
	uint16_t pad;
	uint32_t gen;
	const uint64_t *word;    /**< NULL: empty */
};

/** Slots of a worker's neighbour cache (direct-mapped). */
#define NG_W_NEIGH_SLOTS 256

/** The same for an IPv6 next hop (ip6-forward). */
struct ng_w_neigh6_slot {
	uint8_t via[16];
	uint16_t port;
	uint16_t pad;
	uint32_t gen;
	const uint64_t *word;    /**< NULL: empty */
};

/**
 * Slots of a worker's IPv6 neighbour cache: 64 sets of 2 (two-way
 * set-associative, a set one cache line; a miss moves way 0 to way 1).
 * Direct-mapped, 64 slots let 64 backends' next hops evict each other.
 */
#define NG_W_NEIGH6_SLOTS 128

/**
 * An IPv6 destination the worker looked up in the FIB before -> its next hop
 * (NULL: no route). Good while the FIB's gen6 is still gen (route_dp.h).
 */
struct ng_w_fib6_slot {
	uint64_t dst[2];
	uint32_t gen;
	uint32_t used;           /**< 0: empty */
	const struct ng_nexthop *nh;
};

/** Slots of a worker's IPv6 FIB cache: 64 sets of 2, as the neighbour cache's. */
#define NG_W_FIB6_SLOTS 128

static_assert(2 * sizeof(struct ng_w_neigh6_slot) == RTE_CACHE_LINE_SIZE &&
		2 * sizeof(struct ng_w_fib6_slot) == RTE_CACHE_LINE_SIZE,
		"a set of the IPv6 caches is one cache line");

/**
 * A token bucket kept in TSC cycles of credit: it gains one cycle per cycle
 * up to a depth, and a packet takes its cost (TSC Hz / rate) - no division on
 * the data path.
 */
struct ng_tb {
	uint64_t credit;
	uint64_t last; /**< TSC of the last refill */
};

struct ng_worker {
	/* Set up by the control core before launch, then read-only. */
	struct ng_dp *dp;
	unsigned int id;
	unsigned int lcore;
	uint16_t txq;
	unsigned int n_rxq;
	struct ng_rxq_ref rxq[NG_MAX_WORKER_RXQ];
	struct rte_ring *inject; /**< control -> this worker, SP/SC */
	struct rte_ring *punt;   /**< this worker -> control, for the kernel twins, SP/SC */
	struct rte_ring *redir_in[NG_MAX_WORKERS]; /**< from worker i to this one, SP/SC */
	struct ng_ct *ct;        /**< this worker's connections */
	struct ng_w_graph *graph; /**< the bursts between its stages (worker_dp.h) */
	struct ng_reass *reass;  /**< its reassembly table, both families (reass_dp.h); NULL: off */
	uint32_t frag6_id;       /**< the last IPv6 identification it sent fragments under */
	/** Debug (ng_dp_worker_stall()): busy-wait this many ms once; the worker clears it. */
	uint32_t stall_ms;

	/* Owned by the worker. */
	struct {
		uint16_t n;
		struct rte_mbuf *pkts[NG_TX_BUF];
	} tx[NG_MAX_PORTS]; /**< by port index */
	uint64_t icmp_tokens;
	uint64_t icmp_last_tsc;
	struct ng_tb punt_tb[NG_MAX_PORTS]; /**< exception path, by ingress port index */
	uint32_t idle_count;
	bool in_redirect;        /**< processing packets another worker handed over */
	/** ip4-forward queued packets in tx[] itself in this burst (ng_w_out_direct()) */
	bool out_direct;
	bool rt_cycles;          /**< dp->runtime_stats, read once per loop */
	uint64_t now;            /**< TSC at the start of the current burst */
	const struct ng_ruleset *rs; /**< the ruleset of the current burst */
	uint64_t stage_tsc;      /**< TSC at the end of the last stage (runtime stats) */
	uint64_t expire_tsc;     /**< next connection expiry scan while busy */
	uint64_t expire_ivl;     /**< TSC cycles between expiry scans while busy */
	struct ng_worker_stats stats;
	struct ng_w_neigh_slot neigh_cache[NG_W_NEIGH_SLOTS];
	struct ng_w_neigh6_slot neigh_cache6[NG_W_NEIGH6_SLOTS] __rte_cache_aligned;
	struct ng_w_fib6_slot fib6_cache[NG_W_FIB6_SLOTS] __rte_cache_aligned;
	struct ng_w_trace tr;    /**< packet trace (trace.h) */
} __rte_cache_aligned;

/** Shared data-path context; read-only for workers once they run. */

struct ng_dp {
	struct ng_ruleset *rs;     /**< published by the svc module under RCU */
	struct ng_fib *fib;
	struct ng_neigh_table *neigh;
	struct rte_mempool *pool;
	struct rte_ring *ctl_ring; /**< workers -> control, MP/SC */
	struct rte_rcu_qsbr *qsbr;
	bool forwarding;
	bool runtime_stats;  /**< count cycles per stage (CLI: runtime cycles on|off) */
	uint32_t burst;
	uint32_t idle_sleep_us;
	uint32_t idle_polls;
	uint32_t icmp_rate;  /**< ICMP errors per second per worker */
	bool fragment;       /**< fragment packets without DF over the egress MTU (else drop) */
	uint64_t tsc_hz;
	uint64_t ct_to_tsc[NG_CT_TO_N]; /**< global timeouts, for conns of gone services */
	uint32_t ct_expire_budget; /**< entries the expiry scan looks at per loop */
	uint16_t n_ports;
	uint16_t port_ids[NG_MAX_PORTS]; /**< port index -> DPDK port id */
	unsigned int n_workers;
	struct ng_worker *workers[NG_MAX_WORKERS];
	unsigned int inject_rr;
	volatile int stop;
	/** Control-side counters of the control rings. */
	uint64_t ctl_rx;
	uint64_t inject_full;
	uint64_t punt_rx;    /**< frames taken from the punt rings */
	/** What the control core saw of each worker's loop (ng_dp_watch()). */
	struct ng_worker_watch {
		uint64_t loops;      /**< the worker's loop count when last seen moving */
		uint64_t seen_tsc;   /**< when that was; 0: not watched yet */
		uint64_t stalls;     /**< stalls seen since the start */
		uint64_t last_ns;    /**< how long the last ended stall lasted */
		uint64_t max_ns;     /**< the longest ended stall */
		bool stalled;
	} watch[NG_MAX_WORKERS];
};

/** A worker is stalled when its loop has not moved for this long (plus its idle sleep). */
#define NG_WORKER_STALL_MS 100
/** The longest stall ng_dp_worker_stall() makes. */
#define NG_WORKER_STALL_MAX_MS 10000

/**
 * Create the data-path context: RCU variable, control rings and worker
 * structs, with RX queues spread over workers round-robin.
 *
 * @param lcores EAL lcore of each worker
 * @param fib, neigh, pool shared objects (may be set later, before launch)
 * @return the context, or NULL with rte_errno set.
 */
struct ng_dp *ng_dp_create(const struct ng_conf *c, const unsigned int *lcores,
		unsigned int n_workers);

/** Free the context; workers must be stopped. NULL is fine. */
void ng_dp_free(struct ng_dp *dp);

/**
 * Assign every RX queue of the opened ports to workers, round-robin.
 * Call after ng_ports_init().
 */
void ng_dp_assign_queues(struct ng_dp *dp);

/**
 * Launch every worker on its lcore.
 * @return 0, or a negative errno (workers launched so far are stopped).
 */
int ng_dp_launch(struct ng_dp *dp);

/** Ask workers to stop and wait for them. */
void ng_dp_stop(struct ng_dp *dp);

/**
 * Control-core work: drain the workers' ring into the neighbour table,
 * run neighbour timers and reclaim memory, and move the exception path's
 * frames (punt rings -> kernel twins -> inject rings). Bounded; call every
 * loop.
 * @return the number of packets taken from the rings and the twins.
 */
unsigned int ng_dp_ctl_poll(struct ng_dp *dp);

/**
 * Send a fully built frame from the control core through a worker's TX.
 * Always consumes m.
 * @return 0, or -ENOBUFS when the worker's inject ring is full.
 */
int ng_dp_ctl_tx(struct rte_mbuf *m, uint16_t port_id, void *dp);

/** Sum every worker's counters into out. */
void ng_dp_stats_sum(const struct ng_dp *dp, struct ng_worker_stats *out);

/**
 * One worker's counters as they are now, for readers on the control core
 * (the CLI, /metrics): each 64-bit counter is loaded once, never torn; a
 * counter may be one burst old.
 */
void ng_dp_worker_stats(const struct ng_dp *dp, unsigned int w, struct ng_worker_stats *out);

/** One worker's connection table as readers see it. */
struct ng_dp_ct_info {
	uint32_t used;
	uint32_t capacity;
	struct ng_ct_stats stats;
};

/** Read worker w's connection table counters. */
void ng_dp_worker_ct(const struct ng_dp *dp, unsigned int w, struct ng_dp_ct_info *out);

/**
 * The reassembly tables of all workers: *bytes they take, *datagrams waiting
 * in them and *held fragments (a racy read of the workers' gauges).
 */
void ng_dp_reass_info(const struct ng_dp *dp, uint64_t *bytes, uint32_t *datagrams,
		uint32_t *held);

/**
 * Watch the workers' loops from the control core; call every control loop once
 * the workers run. A worker whose loop count has not moved for
 * NG_WORKER_STALL_MS plus workers.idle_sleep_us is *stalled* (stuck in a
 * packet, or not scheduled by the host): that is logged (warning) and
 * counted, and its end is logged with its length. A stalled worker also holds
 * up every grace period (it reports no quiescent state), which the svc
 * module's pending rulesets and /healthz show.
 * @param now_tsc the TSC now (rte_get_tsc_cycles(); tests pass their own)
 */
void ng_dp_watch(struct ng_dp *dp, uint64_t now_tsc);

/** One worker as ng_dp_watch() saw it. */
struct ng_dp_watch_info {
	bool stalled;        /**< stalled now */
	uint64_t stalled_ns; /**< how long the current stall has lasted (0: none) */
	uint64_t stalls;     /**< stalls seen since the start, the current one included */
	uint64_t last_ns;    /**< length of the last ended stall (0: none) */
	uint64_t max_ns;     /**< the longest ended stall */
};

/** Read what ng_dp_watch() saw of worker w, as of now_tsc. */
void ng_dp_worker_watch(const struct ng_dp *dp, unsigned int w, uint64_t now_tsc,
		struct ng_dp_watch_info *out);

/**
 * Debug: make worker w busy-wait ms milliseconds once, at the start of its
 * next loop, without reporting quiescence, as a worker stuck on a packet
 * would (CLI: debug worker stall). It receives nothing meanwhile.
 * @return 0; -EINVAL for no such worker or ms not in 1..NG_WORKER_STALL_MAX_MS;
 *   -EBUSY while an earlier stall has not ended.
 */
int ng_dp_worker_stall(struct ng_dp *dp, unsigned int w, uint32_t ms);

/** The worker's side of ng_dp_worker_stall(): runs on worker w, cold. */
void ng_worker_stall_now(struct ng_worker *w);

/** Register the CLI commands of ports, workers, counters, runtime, connections and the trace. */
int ng_worker_cli_register(struct ng_dp *dp);

/** Worker lcore entry point (rte_lcore_function_t); arg is a struct ng_worker. */
int ng_worker_main(void *arg);

/**
 * Run a burst received on RX queue 0 through the worker's stages, leaving
 * output in its TX buffers, the redirect rings and the control ring, and
 * apply a pending trace request first. Exposed for fixture tests.
 */
void ng_worker_process(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n);

/**
 * ng_worker_process() on a simulated clock: the bursts' time (w->now, which
 * connection timeouts, affinity, the punt and ICMP token buckets read) is now,
 * in TSC cycles, instead of the TSC. For the data-path fuzzer and tests that
 * move time; 0 reads the TSC. The worker loop never passes a clock.
 */
void ng_worker_process_at(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now);

/**
 * Take what other workers handed this one over the redirect rings and run it
 * through the stages, as the worker loop does. Exposed for fixture tests.
 * @return the number of packets taken.
 */
unsigned int ng_worker_drain_redirect(struct ng_worker *w);

/** ng_worker_drain_redirect() on a simulated clock (ng_worker_process_at()). */
unsigned int ng_worker_drain_redirect_at(struct ng_worker *w, uint64_t now);

/**
 * The mbuf of an object taken from a redirect ring (the trace marks the
 * pointer): for whoever drains the rings outside the worker loop.
 */
static inline struct rte_mbuf *
ng_worker_redirect_mbuf(void *obj)
{
	return (struct rte_mbuf *)((uintptr_t)obj & ~(uintptr_t)1);
}

/** Transmit whatever the worker's TX buffers hold. */
void ng_worker_flush(struct ng_worker *w);

/**
 * The packet graph's rule for an edge from stage from to stage to (the edge
 * lists of lib/stats/ng_stats.h must keep it; ng_w_graph_create() refuses a
 * graph that does not): it leads forward in NG_STAGES, so each stage runs
 * once per burst; and it enters the IPv6 stages (ip6-parse, lb6, ip6-local,
 * ip6-forward) only by parse's ip6 edge or from another IPv6 stage, so a
 * burst without IPv6 skips them all on one test.
 * @return NULL when the edge keeps the rule, else why not, as words to put
 *   between the two stages' names ("leads back to").
 */
const char *ng_worker_edge_refused(enum ng_stage from, enum ng_stage to);

#endif
