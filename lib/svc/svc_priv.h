/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_SVC_PRIV_H
#define NG_SVC_PRIV_H

/*
 * Inside lib/svc: three parts, each calling only the ones after it.
 *
 *   svc.c      the control API: the service records and their name and
 *              frontend tables, the set of changed services, coalescing.
 *              A commit hands the changed services to
 *   ruleset.c  the compiler: old ruleset + changed services -> a new ruleset,
 *              the new service objects, the objects to retire and the VIP
 *              keys that came and went. It only reads what it is given.
 *              svc.c hands the result to
 *   publish.c  the pointer swap, VIP routes, the RCU retire queue, the
 *              figures of show ruleset.
 *
 * ruleset.c and publish.c know nothing of how svc.c keeps services; svc.c
 * alone frees its records, and folds the counters of an object publish.c
 * retires (the callback of ng_pub_init()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "svc.h"
#include "svc_dp.h"

/* ---- ruleset.c: the compiler ---- */

/** A port's FullNAT source pool of one family, in the data path's form. */
struct ng_rs_snat {
	uint16_t port_id;
	uint8_t family;     /**< AF_INET or AF_INET6: a port's pool is one per family */
	uint16_t n;
	union ng_addr16 addrs[NG_MAX_FULLNAT_ADDRS];
};

/** What the compiler needs of the gateway. */
struct ng_rs_env {
	struct ng_fib *fib;             /**< FullNAT sources; NULL: the first node address */
	unsigned int n_workers;
	struct ng_ct_timeouts timeouts; /**< global */
	uint16_t lport_min, lport_max;
	const struct ng_ip *node_addrs; /**< the gateway's addresses: never VIPs */
	unsigned int n_node_addrs;
	/** The addresses NodePorts answer on (node_port_addresses): a subset of
	 * node_addrs; NULL: all of node_addrs. */
	const struct ng_ip *nodeport_addrs;
	unsigned int n_nodeport_addrs;
	/** FullNAT source pools by port and family; objects point into them, so
	 * they live as long as the service module. */
	const struct ng_rs_snat *snat;
	unsigned int n_snat;
	uint32_t next_uid;              /**< uid of the next object; never reused */
};

/** One changed service. */
struct ng_rs_change {
	uint32_t id;                   /**< the caller's handle, kept as obj->desired_id */
	const struct ng_svc_view *svc; /**< its desired state; NULL: the service is gone */
	struct ng_svc_obj *old;        /**< its object in the old ruleset, or NULL */
	struct ng_svc_obj *obj;        /**< out: its new object; NULL when it is gone */
};

/** A compiled ruleset, not yet published, and what it replaces. */
struct ng_rs_build {
	struct ng_ruleset *rs;
	uint64_t obj_bytes;           /**< memory of the new objects */
	struct ng_svc_obj **retire;   /**< old objects the new ruleset no longer holds */
	uint32_t n_retire;
	struct ng_fe_key *vip_new;    /**< VIP keys of the new objects (no gateway address) */
	uint32_t n_vip_new;
	struct ng_fe_key *vip_gone;   /**< VIP keys of the retired objects */
	uint32_t n_vip_gone;
	/** Chunks of the old ruleset's frontend index the new one no longer
	 * holds: freed with the old ruleset (ng_rs_retire). malloc'd. */
	struct ng_fe_chunk **fe_retire;
	uint32_t n_fe_retire;
	uint64_t copied_bytes;        /**< frontend index bytes the commit copied */
	uint32_t chunks_copied;       /**< chunks of it copied on write */
	uint32_t rebuilds;            /**< whole-index rebuilds (the directory resized) */
};

/**
 * Build the ruleset that follows old (NULL: the first) for n changed services.
 * The old ruleset and the changes' old objects are only read: they stay valid
 * for the workers until a grace period after the publish.
 * @return 0 with out and every ch[i].obj filled; or -ENOMEM (err names the
 *   service), nothing allocated, ch[i].obj NULL.
 */
int ng_rs_compile(struct ng_rs_env *env, const struct ng_ruleset *old, struct ng_rs_change *ch,
		uint32_t n, struct ng_rs_build *out, char *err, size_t errlen);

/** Free a build's arrays (not its ruleset nor any object). */
void ng_rs_build_release(struct ng_rs_build *b);

/** Memory of a ruleset itself (its frontend index), without the objects. */
uint64_t ng_rs_bytes(const struct ng_ruleset *rs);

/** The part of ng_rs_bytes() the ruleset's commit allocated (not shared with
 * the ruleset before it). */
uint64_t ng_rs_new_bytes(const struct ng_ruleset *rs);

/** Free a ruleset and its whole index (the last one, or one never published). */
void ng_rs_free(struct ng_ruleset *rs);

/**
 * Free a ruleset a newer one replaced, after its grace period: its header,
 * its index's directory and the chunks the newer one's commit handed back
 * (chunks, n: its build's fe_retire, which this takes); the other chunks live
 * on in the newer index.
 * @return the bytes freed.
 */
uint64_t ng_rs_retire(struct ng_ruleset *rs, struct ng_fe_chunk **chunks, uint32_t n);

void ng_rs_obj_free(struct ng_svc_obj *o);

/* ---- publish.c: publish, VIP routes, retire after grace periods ---- */

struct ng_pub_params {
	struct rte_rcu_qsbr *qsbr;     /**< NULL: free at once (tests) */
	struct ng_ruleset **publish;   /**< where workers load the ruleset from */
	struct ng_fib *fib;            /**< VIP routes; NULL: none */
	uint16_t vip_port;
	/** Called for every retired object once no worker can see it, right
	 * before it is freed (svc.c folds its counters into the service). */
	void (*retired)(const struct ng_svc_obj *o);
};

/** @return 0 or -ENOMEM. */
int ng_pub_init(const struct ng_pub_params *p);

/** Wait for every grace period, free what waits and the current ruleset (not
 * its objects: their owner frees them) and stop publishing. */
void ng_pub_fini(void);

/**
 * Publish b->rs: store the pointer (release), then change VIP routes (a VIP
 * gets its route once a published ruleset has it and loses it once none
 * has), then queue the old ruleset and b->retire for freeing after a grace
 * period. Takes b->rs and b->retire; the caller releases b afterwards.
 * @param build_start_tsc when the compile began (show ruleset's build time)
 * @param change_tsc the oldest change the ruleset carries (0: none), for the
 *   publish latency figures
 * @param cause the changes came with a noted cause (ng_svc_note_cause()): the
 *   latency also counts in the cause histogram
 */
void ng_pub_publish(struct ng_rs_build *b, uint64_t build_start_tsc, uint64_t change_tsc,
		bool cause);

/** Free what waits for a grace period that is over (wait: wait for them all). */
void ng_pub_reclaim(bool wait);

/**
 * The publish side of ng_svc_pending(): the TSC of the publish of the oldest
 * ruleset still waiting for its grace period (0: none) and of the last
 * publish (0: none yet).
 */
void ng_pub_pending(uint64_t *grace_since_tsc, uint64_t *publish_tsc);

/** The figures of show ruleset that publish.c keeps (all but dirty_since_tsc). */
void ng_pub_info(struct ng_ruleset_info *out);

/** The generation of the published ruleset (ng_svc_generation()). */
uint64_t ng_pub_generation(void);

#endif
