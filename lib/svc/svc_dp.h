/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_SVC_DP_H
#define NG_SVC_DP_H

/**
 * @file
 * The ruleset as workers see it.
 *
 * A ruleset is immutable once published: a generation number and a frontend
 * index (a directory of open-addressing chunks, shared between consecutive
 * rulesets where no commit changed them) from (address, port, protocol) to a
 * compiled service object. Service objects are immutable too and are shared
 * between consecutive rulesets when their service did not change; a changed
 * service gets a new object. Old rulesets and objects are freed after an RCU
 * grace period. The only memory in them that workers write is their own
 * per-worker counter slots.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_random.h>

#include "ct.h"
#include "maglev.h"
#include "ng_types.h"

/** Frontend key: 20 bytes, zero padded. */
struct ng_fe_key {
	union ng_addr16 addr;
	uint16_t port; /**< network order */
	uint8_t proto;
	uint8_t family;
};

struct ng_svc_backend {
	union ng_addr16 addr;
	union ng_addr16 snat; /**< the route's source toward this backend */
	uint16_t port;        /**< network order */
	uint8_t family;
	uint8_t pad;
	uint32_t weight;
	/** FullNAT sources toward this backend: the pool of the port that reaches
	 * it (ports[].fullnat_addresses), or &snat alone. Never empty. */
	uint32_t n_snat;
	const union ng_addr16 *snat_pool;
};

/** A source range of a service: a masked network. */
struct ng_svc_src_range {
	union ng_addr16 addr;
	uint8_t family;
	uint8_t len;          /**< prefix length */
	uint8_t pad[2];
};

/** Per-worker service counters (one cache line per worker). */
struct ng_svc_wstats {
	uint64_t conns;
	uint64_t pkts;
	uint64_t bytes;
	uint64_t refused;
	uint64_t no_lport;
	uint64_t src_dropped; /**< new connections from outside the source ranges */
	uint32_t wrr_pos;
} __rte_cache_aligned;

/** Per-worker per-backend counters, and the worker's FullNAT source cursor. */
struct ng_svc_bstats {
	uint64_t conns;
	uint64_t pkts;
	/** Next FullNAT source port to try towards this backend (host order).
	 * One cursor per backend: with the table evicting and expiring in about
	 * the order it allocated, the port after the last one given out to a
	 * backend is the one that backend was given longest ago, so the first
	 * try is nearly always free, however full the table. The compiler
	 * starts it at a random port (rte_rand(), seeded at each start), so a
	 * restarted gateway does not hand out the ports its previous instance
	 * just used, whose TIME_WAIT sockets the backend still holds. */
	uint32_t lport_next;
	/** Index in the backend's snat_pool of the address lport_next goes
	 * with: each port is handed out with every address in turn before the
	 * cursor moves to the next port (random start too). */
	uint32_t snat_next;
};

struct ng_svc_obj {
	uint32_t uid;         /**< unique per object, never reused */
	uint8_t proto;
	uint8_t sched;        /**< enum ng_sched */
	uint8_t mode;         /**< enum ng_fwd_mode */
	uint8_t affinity;
	uint8_t empty_drop;   /**< no usable backend: drop, not refuse */
	/** n_src_ranges > 0: new connections are checked against src_ranges.
	 * On the object's first cache line, which the new-connection path reads
	 * anyway: a service without ranges costs this one test. */
	uint8_t src_check;
	uint32_t affinity_timeout_s;
	uint32_t n_backends;
	uint32_t n_usable;    /**< backends with weight > 0 */
	uint32_t table_size;
	/** The table's entries are 1 byte (services of at most
	 * NG_SVC_TABLE8_MAX_BACKENDS backends: shift 0, mask 0xff) or 2 bytes
	 * (shift 1, mask 0xffff): ng_svc_entry(). */
	uint16_t table_mask;
	uint8_t table_shift;
	uint64_t to_tsc[NG_CT_TO_N]; /**< timeout per ng_ct_timeout_idx(), TSC cycles */
	uint64_t affinity_tsc;
	const struct ng_svc_backend *backends;
	/** Maglev table, or WRR/random sequence: table_size entries of backend
	 * indexes, read with ng_svc_entry() (an 8-bit table has one byte of
	 * padding after it) */
	const void *table;
	/**
	 * Source ranges (loadBalancerSourceRanges): new connections only from
	 * these; none: from anywhere. Compiled with the service so a change of
	 * them is a new object. Only new connections are checked (lb stage, on a
	 * connection-table miss): established ones keep flowing after a change.
	 */
	const struct ng_svc_src_range *src_ranges;
	uint32_t n_src_ranges;
	struct ng_svc_wstats *wstats;  /**< [n_workers] */
	struct ng_svc_bstats *bstats;  /**< [n_workers][n_backends] */
	uint32_t n_workers;
	/* Control core only. */
	uint32_t desired_id;
	uint32_t n_fe;
	struct ng_fe_key *fe; /**< the frontend keys this object is indexed under */
	uint64_t bytes;       /**< memory held */
	char name[NG_SVC_NAME_MAX];
};

struct ng_fe_slot {
	struct ng_fe_key key;
	uint32_t used;
	struct ng_svc_obj *svc;
};

static inline uint32_t
ng_fe_hash(const struct ng_fe_key *k)
{
	return rte_hash_crc(k, sizeof(*k), 0x6e67);
}

static inline bool
ng_fe_key_eq(const struct ng_fe_key *a, const struct ng_fe_key *b)
{
	return a->addr.w[0] == b->addr.w[0] && a->addr.w[1] == b->addr.w[1] &&
			a->port == b->port && a->proto == b->proto && a->family == b->family;
}

/* ---- the frontend index: two levels, chunks shared between rulesets ---- */

#define NG_FE_CHUNK_BITS 8
/** Slots of a chunk: 256 of 40 bytes (10 KiB). */
#define NG_FE_CHUNK_SLOTS (1u << NG_FE_CHUNK_BITS)

/**
 * A chunk of the frontend index: a small open-addressing table with linear
 * probing that wraps inside the chunk, never more than 3/4 full. Consecutive
 * indexes share the chunks no commit changed; a commit writes a copy of a
 * chunk it changes (copy-on-write). Workers read only slot[].
 */
struct ng_fe_chunk {
	uint64_t gen;      /**< generation of the index that made it (control core) */
	uint32_t n;        /**< keys held (control core) */
	struct ng_fe_slot slot[NG_FE_CHUNK_SLOTS] __rte_cache_aligned;
};

/**
 * The frontend index: a directory of chunks. A key's chunk is chosen by the
 * bits of its hash above NG_FE_CHUNK_BITS, its first slot by the bits below.
 * Immutable once published, like the ruleset that holds it.
 */
struct ng_fe_index {
	uint64_t gen;      /**< one per commit (control core) */
	uint32_t mask;     /**< chunks - 1 (a power of two) */
	uint32_t n;        /**< keys */
	struct ng_fe_chunk *chunk[]; /**< [mask + 1] */
};

/** Find the service of a frontend in an index, or NULL. */
static inline struct ng_svc_obj *
ng_fe_lookup(const struct ng_fe_index *x, const struct ng_fe_key *k)
{
	uint32_t h = ng_fe_hash(k), i;
	const struct ng_fe_chunk *c = x->chunk[(h >> NG_FE_CHUNK_BITS) & x->mask];

	for (i = h & (NG_FE_CHUNK_SLOTS - 1);; i = (i + 1) & (NG_FE_CHUNK_SLOTS - 1)) {
		const struct ng_fe_slot *s = &c->slot[i];

		if (!s->used)
			return NULL;
		if (ng_fe_key_eq(&s->key, k))
			return s->svc;
	}
}

struct ng_ruleset {
	uint64_t gen;
	uint32_t n_fe;
	uint32_t n_svcs;
	/** The frontend index: chunks it shares with the ruleset before it are
	 * freed with whichever ruleset first stops holding them. */
	struct ng_fe_index *fe;
	uint32_t n_dnat;      /**< services in DNAT mode: replies need owner routing */
	uint32_t n_affinity;  /**< services with ClientIP affinity: owner by client address */
	uint32_t n_dnat_affinity; /**< of them in DNAT mode: every DNAT owner by address */
	uint16_t lport_min;   /**< FullNAT source ports, host order */
	uint16_t lport_max;
};

/** Find the service of a frontend, or NULL. */
static inline struct ng_svc_obj *
ng_rs_lookup(const struct ng_ruleset *rs, const struct ng_fe_key *k)
{
	return ng_fe_lookup(rs->fe, k);
}

/**
 * Services of at most this many backends keep 1-byte table entries: backend
 * indexes 0..253, and 0xff free for NG_MAGLEV_NONE (narrowed), as 2-byte
 * tables keep 0xffff. At 10 backends the table is 2,053 bytes, not 4,106: a
 * compiled object of 3.5 KiB, not 5.5 (doc/architecture.md, "8-bit Maglev
 * entries").
 */
#define NG_SVC_TABLE8_MAX_BACKENDS 254

/* ng_svc_entry() reads an 8-bit entry as the low byte of a 16-bit load. */
_Static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN, "ng_svc_entry() assumes little endian");

/** Address of entry slot of s's table (for a prefetch). */
static inline const void *
ng_svc_entry_addr(const struct ng_svc_obj *s, uint32_t slot)
{
	return (const uint8_t *)s->table + ((size_t)slot << s->table_shift);
}

/**
 * Entry slot (< table_size) of s's table, whatever its width: one 16-bit load
 * at byte offset slot << table_shift, masked to the entry's width (no branch).
 */
static inline uint16_t
ng_svc_entry(const struct ng_svc_obj *s, uint32_t slot)
{
	uint16_t v;

	memcpy(&v, ng_svc_entry_addr(s, slot), sizeof(v));
	return v & s->table_mask;
}

/**
 * Pick a backend for a new flow.
 * @param flow_hash deterministic hash of the flow (ng_hash_flow4)
 * @param wid the calling worker
 * @return a backend index, or NG_MAGLEV_NONE when none is usable.
 */
static inline uint16_t
ng_svc_pick(const struct ng_svc_obj *s, uint64_t flow_hash, unsigned int wid)
{
	if (unlikely(s->n_usable == 0))
		return NG_MAGLEV_NONE;
	switch (s->sched) {
	case NG_SCHED_WRR: {
		uint32_t p = s->wstats[wid].wrr_pos++;

		return ng_svc_entry(s, p % s->table_size);
	}
	case NG_SCHED_RANDOM:
		return ng_svc_entry(s, (uint32_t)(rte_rand() % s->table_size));
	default:
		return ng_svc_entry(s, (uint32_t)(flow_hash % s->table_size));
	}
}

/**
 * May a new connection from IPv4 address src (network order) reach s? True
 * when s has no source ranges (callers test s->src_check first, so that
 * services without ranges pay one test) or src lies in one of them. Linear:
 * at most NG_MAX_SVC_SRC_RANGES, and only on a restricted service's new
 * connections.
 */
static inline bool
ng_svc_src_allowed4(const struct ng_svc_obj *s, rte_be32_t src)
{
	uint32_t a = rte_be_to_cpu_32(src);

	if (s->n_src_ranges == 0)
		return true;
	for (uint32_t i = 0; i < s->n_src_ranges; i++) {
		const struct ng_svc_src_range *r = &s->src_ranges[i];
		uint32_t mask = r->len == 0 ? 0 : UINT32_MAX << (32 - r->len);

		if (r->family == AF_INET && (a & mask) == rte_be_to_cpu_32(r->addr.v4))
			return true;
	}
	return false;
}

/**
 * ng_svc_src_allowed4() for an IPv6 source src (16 bytes, network order): the
 * whole bytes of each prefix compared, then the partial byte under its mask.
 */
static inline bool
ng_svc_src_allowed6(const struct ng_svc_obj *s, const uint8_t *src)
{
	for (uint32_t i = 0; i < s->n_src_ranges; i++) {
		const struct ng_svc_src_range *r = &s->src_ranges[i];
		unsigned int full = r->len / 8, rest = r->len % 8;

		if (r->family != AF_INET6 || memcmp(src, r->addr.v6, full) != 0)
			continue;
		if (rest == 0 ||
				((src[full] ^ r->addr.v6[full]) & (uint8_t)(0xff << (8 - rest))) == 0)
			return true;
	}
	return s->n_src_ranges == 0;
}

/** Index of backend (addr, port) in s, or NG_CT_BIDX_NONE. Linear: small n. */
static inline uint16_t
ng_svc_find_backend(const struct ng_svc_obj *s, const union ng_addr16 *addr, uint16_t port)
{
	for (uint32_t i = 0; i < s->n_backends; i++)
		if (s->backends[i].port == port && s->backends[i].addr.w[0] == addr->w[0] &&
				s->backends[i].addr.w[1] == addr->w[1])
			return (uint16_t)i;
	return NG_CT_BIDX_NONE;
}

#endif
