/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_LPM4_H
#define NG_LPM4_H

/**
 * @file
 * IPv4 longest-prefix match, DIR-24-8 (the layout of DPDK's rte_lpm, written
 * without its linear scans): a first-level table of 2^24 entries indexed by
 * the address's top 24 bits, and groups of 256 entries for the /24 networks
 * that hold a route longer than /24. An entry is a 32-bit word: the next hop
 * (or, in a first-level entry with NG_LPM4_EXT, a group's index) in the low
 * 24 bits, NG_LPM4_VALID, NG_LPM4_EXT and the depth of the route it holds.
 *
 * The control core (one writer) keeps the rules in a hash on its heap, so an
 * add or a delete costs the entries it covers plus a hash lookup per prefix
 * length in use, never a scan of the rules; groups come from a free stack
 * and go back to it an RCU grace period after they stop being referenced.
 * Workers read without locks: every entry is written with one 32-bit atomic
 * store, and a group is complete before the first-level entry that points at
 * it is stored (release).
 */

#include <errno.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

struct rte_rcu_qsbr;

#define NG_LPM4_TBL24_ENTRIES (1u << 24) /**< first-level entries */
#define NG_LPM4_GROUP_ENTRIES 256u       /**< entries of a group */
#define NG_LPM4_NH_MASK 0x00ffffffu      /**< next hop or group index */
#define NG_LPM4_NH_MAX NG_LPM4_NH_MASK   /**< the largest next hop */
#define NG_LPM4_GROUPS_MAX (1u << 24)    /**< the most groups an LPM may have */
#define NG_LPM4_VALID (1u << 24)         /**< the entry holds a route */
#define NG_LPM4_EXT (1u << 25)           /**< first level: points at a group */
#define NG_LPM4_DEPTH_SHIFT 26           /**< depth of the route, bits 26-31 */

struct ng_lpm4_books;

/** An IPv4 LPM. Workers read tbl24 and tbl8 only (ng_lpm4_lookup()). */
struct ng_lpm4 {
	uint32_t *tbl8;               /**< groups of NG_LPM4_GROUP_ENTRIES entries */
	struct ng_lpm4_books *books;  /**< the control core's rules and free groups */
	uint32_t tbl24[NG_LPM4_TBL24_ENTRIES] __rte_cache_aligned;
};

/**
 * Create an empty LPM (the tables in DPDK memory, the books on the heap).
 * @param name names the RCU defer queue of its groups (unique per process)
 * @param max_rules routes it holds
 * @param n_groups groups for routes longer than /24, 1 to NG_LPM4_GROUPS_MAX
 * @param qsbr RCU variable the readers report to; NULL: no concurrent
 *   readers, a freed group is reused at once
 * @return the LPM, or NULL with rte_errno EINVAL or ENOMEM.
 */
struct ng_lpm4 *ng_lpm4_create(const char *name, uint32_t max_rules, uint32_t n_groups,
		struct rte_rcu_qsbr *qsbr);

/** Free an LPM; readers must have stopped using it. NULL is fine. */
void ng_lpm4_free(struct ng_lpm4 *l);

/**
 * Add a route, or give an existing one another next hop.
 * @param ip host order; bits past depth are ignored
 * @param depth 1 to 32
 * @param nh 0 to NG_LPM4_NH_MAX
 * @return 0, -EINVAL (bad depth or next hop), -ENOSPC (max_rules routes,
 *   or a route longer than /24 found no free group), -ENOMEM (the rule hash
 *   could not grow). On an error nothing changed.
 */
int ng_lpm4_add(struct ng_lpm4 *l, uint32_t ip, uint8_t depth, uint32_t nh);

/**
 * Delete a route: the addresses it held fall back to the longest remaining
 * route that covers them.
 * @return 0, -EINVAL (bad depth), -ENOENT (no such route).
 */
int ng_lpm4_delete(struct ng_lpm4 *l, uint32_t ip, uint8_t depth);

/** Return the groups whose grace period ended to the free stack. */
void ng_lpm4_reclaim(struct ng_lpm4 *l);

/** Groups in use or waiting for a grace period. */
uint32_t ng_lpm4_groups_used(const struct ng_lpm4 *l);

/** Routes held. */
uint32_t ng_lpm4_rules(const struct ng_lpm4 *l);

/**
 * Longest-prefix match (the shape of rte_lpm_lookup(): one first-level load,
 * a group load only for a /24 that holds a longer route).
 * @param ip host order
 * @return 0 with *nh set, or -ENOENT.
 */
static inline int
ng_lpm4_lookup(const struct ng_lpm4 *l, uint32_t ip, uint32_t *nh)
{
	uint32_t e = __atomic_load_n(&l->tbl24[ip >> 8], __ATOMIC_RELAXED);

	/* The group's address depends on e: no barrier needed to see it whole. */
	if (unlikely((e & (NG_LPM4_VALID | NG_LPM4_EXT)) == (NG_LPM4_VALID | NG_LPM4_EXT)))
		e = __atomic_load_n(&l->tbl8[(e & NG_LPM4_NH_MASK) * NG_LPM4_GROUP_ENTRIES +
				(ip & 0xff)], __ATOMIC_RELAXED);
	*nh = e & NG_LPM4_NH_MASK;
	return (e & NG_LPM4_VALID) != 0 ? 0 : -ENOENT;
}

#endif
