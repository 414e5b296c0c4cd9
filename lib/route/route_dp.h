/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_ROUTE_DP_H
#define NG_ROUTE_DP_H

/**
 * @file
 * Lock-free data-path reads of the FIB and the neighbour table.
 * Only workers registered with the RCU variable may call these.
 */

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_lpm6.h>

#include "lpm4.h"
#include "route.h"

/**
 * One next hop; immutable while any route points at it. IPv4 and IPv6 routes
 * share the array: an IPv4 next hop uses the first 16 bytes (what the IPv4
 * forward path reads), an IPv6 one the addresses after them.
 */
struct ng_nexthop {
	uint8_t type;    /**< enum ng_nh_type; 0 for a free slot */
	uint8_t family;  /**< AF_INET or AF_INET6: of the routes that use it */
	uint16_t port;   /**< DPDK port id */
	uint32_t gw4;    /**< next hop IPv4, network order (GATEWAY) */
	uint32_t src4;   /**< our IPv4 on that port, network order */
	uint32_t refs;   /**< control core only */
	uint8_t gw6[16]; /**< next hop IPv6 (GATEWAY) */
	uint8_t src6[16]; /**< our IPv6 on that port */
};

struct ng_fib_dp {
	struct ng_lpm4 *lpm4;
	struct ng_nexthop *nh;
	int32_t default4; /**< next hop of 0.0.0.0/0 (the LPM has no depth 0), or -1 */
	int32_t default6; /**< next hop of ::/0 (neither has rte_lpm6), or -1 */
	struct rte_lpm6 *lpm6;
	/** Moved (release) after every change of an IPv6 lookup's result (an IPv6
	 * route added, replaced or deleted, ::/0 set or cleared): a worker may keep
	 * an IPv6 result it found while gen6 stays what it was (next hops are
	 * reclaimed only after a grace period). */
	uint32_t gen6;
};

/** Workers see the FIB through this; the control core owns the rest. */
static inline const struct ng_fib_dp *
ng_fib_dp(const struct ng_fib *f)
{
	return (const struct ng_fib_dp *)f;
}

/** Longest-prefix match; NULL when no route. dst in network order. */
static inline const struct ng_nexthop *
ng_fib_lookup4_dp(const struct ng_fib_dp *f, uint32_t dst)
{
	uint32_t idx;
	int32_t d;

	if (likely(ng_lpm4_lookup(f->lpm4, rte_be_to_cpu_32(dst), &idx) == 0))
		return &f->nh[idx];
	d = __atomic_load_n(&f->default4, __ATOMIC_ACQUIRE);
	return d >= 0 ? &f->nh[d] : NULL;
}

/** Longest-prefix match of an IPv6 destination; NULL when no route. */
static inline const struct ng_nexthop *
ng_fib_lookup6_dp(const struct ng_fib_dp *f, const uint8_t dst[16])
{
	uint32_t idx;
	int32_t d;

	if (rte_lpm6_lookup(f->lpm6, dst, &idx) == 0)
		return &f->nh[idx];
	d = __atomic_load_n(&f->default6, __ATOMIC_ACQUIRE);
	return d >= 0 ? &f->nh[d] : NULL;
}

/** Hash key of a neighbour. */
struct ng_neigh_key {
	struct ng_ip addr;
	uint16_t port;
	uint16_t pad;
};

#define NG_NEIGH_F_VALID  (1ull << 48) /**< MAC usable */
#define NG_NEIGH_F_FAILED (1ull << 49) /**< unresolved; drop, don't queue */
#define NG_NEIGH_MAC_MASK ((1ull << 48) - 1)

struct ng_neigh_dp {
	struct rte_hash *hash;
	/** Moved (release) before an entry leaves the table: a worker may keep
	 * an entry pointer it found while gen stays what it was (the entry is
	 * freed only after the workers' next quiescent state). */
	uint32_t gen;
};

static inline const struct ng_neigh_dp *
ng_neigh_dp(const struct ng_neigh_table *t)
{
	return (const struct ng_neigh_dp *)t;
}

/**
 * Look up the MAC of IPv4 next hop addr on port.
 * @return the entry's word: NG_NEIGH_F_VALID set with the MAC in the low 48
 *   bits (byte 0 of the MAC in the lowest byte), NG_NEIGH_F_FAILED, or 0
 *   when unknown or still resolving.
 */
/** The hash key of (port, addr): unused address bytes are always zero. */
static inline void
ng_neigh_key_make(struct ng_neigh_key *k, uint16_t port, const struct ng_ip *addr)
{
	memset(k, 0, sizeof(*k));
	k->addr.family = addr->family;
	if (addr->family == AF_INET)
		k->addr.v4 = addr->v4;
	else
		memcpy(k->addr.v6, addr->v6, sizeof(k->addr.v6));
	k->port = port;
}

static inline uint64_t
ng_neigh_lookup4_dp(const struct ng_neigh_dp *t, uint16_t port, uint32_t addr)
{
	struct ng_neigh_key k = {.addr = {.family = AF_INET, .v4 = addr}, .port = port};
	void *data;

	if (rte_hash_lookup_data(t->hash, &k, &data) < 0)
		return 0;
	return __atomic_load_n((uint64_t *)data, __ATOMIC_ACQUIRE);
}

/** Write the MAC packed in an entry word into an Ethernet address. */
static inline void
ng_neigh_word_to_mac(uint64_t w, struct rte_ether_addr *mac)
{
	for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = (uint8_t)(w >> (8 * i));
}

static inline uint64_t
ng_neigh_mac_to_word(const struct rte_ether_addr *mac)
{
	uint64_t w = 0;

	for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		w |= (uint64_t)mac->addr_bytes[i] << (8 * i);
	return w;
}

#endif
