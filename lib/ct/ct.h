/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_CT_H
#define NG_CT_H

/**
 * @file
 * Per-core connection tracking.
 *
 * Every worker owns one table of fixed capacity. A connection is found from
 * either direction: its original key (client -> frontend) and its reply key
 * (backend -> gateway source, or backend -> client in DNAT mode) both map to
 * the same entry. An entry holds everything it needs by value (backend and
 * NAT addresses), so it survives any rule change.
 *
 * Only the owning worker calls the data-path functions. Expiry is
 * incremental: ng_ct_expire() looks at a bounded number of entries per call.
 * When the table is full, an insert first reuses an expired entry, else evicts
 * the least recently active entry of a 64-entry sample, and counts it.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash.h>

#include "ng_types.h"

union ng_addr16 {
	uint32_t v4;
	uint8_t v6[16];
	uint64_t w[2];
};

/** A flow as seen on the wire: 40 bytes, zero padded. */
struct ng_flow_key {
	union ng_addr16 src;
	union ng_addr16 dst;
	uint16_t sport; /**< network order */
	uint16_t dport; /**< network order */
	uint8_t proto;
	uint8_t family;
	uint16_t pad;
};

/* An affinity record uses a key with this bit set in proto, and ports 0/frontend port. */
#define NG_CT_PROTO_AFFINITY 0x80

enum ng_ct_state {
	NG_CT_FREE = 0,
	NG_CT_SYN_SENT,
	NG_CT_SYN_RECV,
	NG_CT_ESTABLISHED,
	NG_CT_FIN_WAIT,
	NG_CT_TIME_WAIT,
	NG_CT_CLOSE,
	NG_CT_UDP,
	NG_CT_AFFINITY,
	NG_CT_NSTATES
};

#define NG_CT_F_FULLNAT   0x01 /**< source rewritten to snat:lport */
#define NG_CT_F_REPLIED   0x02 /**< a reply-direction packet was seen */
#define NG_CT_F_FIN_ORIG  0x04
#define NG_CT_F_FIN_REPLY 0x08

#define NG_CT_BIDX_NONE UINT16_MAX

/** One connection (or affinity record); two cache lines. */
struct ng_conn {
	struct ng_flow_key orig;  /**< client -> frontend */
	union ng_addr16 backend;
	union ng_addr16 snat;     /**< FullNAT source address */
	uint16_t bport;           /**< backend port, network order */
	uint16_t lport;           /**< FullNAT source port, network order */
	uint8_t state;            /**< enum ng_ct_state */
	uint8_t flags;            /**< NG_CT_F_* */
	uint16_t bidx;            /**< backend index in the service object svc_uid */
	uint32_t gen;             /**< ruleset generation the fields below were checked at */
	uint32_t svc_uid;         /**< service object the conn was checked against */
	uint64_t expire_tsc;
	uint64_t last_tsc;
	uint64_t pkts;
	uint64_t bytes;
	const void *svc;          /**< service object, valid while gen is current */
} __rte_aligned(64);

struct ng_ct_stats {
	uint64_t created;
	uint64_t expired;         /**< removed by the expiry scan */
	uint64_t reused_expired;  /**< table full: an expired entry was reused */
	uint64_t evicted;         /**< table full: a live entry was evicted */
	uint64_t insert_failed;   /**< the hash refused a key */
	uint64_t deleted;         /**< removed by the data path (rescheduled, reused tuple) */
};

struct ng_ct {
	struct rte_hash *h;   /**< key -> (index << 1 | is_reply) */
	struct ng_conn *conns;
	uint32_t cap;
	uint32_t n_used;
	uint32_t *free_idx;
	uint32_t n_free;
	uint32_t cursor;
	struct ng_ct_stats stats;
} __rte_cache_aligned;

/**
 * Create a table for one worker.
 * @param name unique name (for the hash)
 * @param cap connections it holds
 * @return the table, or NULL with rte_errno set.
 */
struct ng_ct *ng_ct_create(const char *name, uint32_t cap, int socket);

/** Free a table; its worker must have stopped. NULL is fine. */
void ng_ct_free(struct ng_ct *ct);

/** Bytes of memory a table of cap connections takes (entries, keys, index). */
uint64_t ng_ct_mem_bytes(uint32_t cap);

/** The key of the reply direction of c. */
static inline void
ng_ct_reply_key(const struct ng_conn *c, struct ng_flow_key *k)
{
	k->src = c->backend;
	k->sport = c->bport;
	if (c->flags & NG_CT_F_FULLNAT) {
		k->dst = c->snat;
		k->dport = c->lport;
	} else {
		k->dst = c->orig.src;
		k->dport = c->orig.sport;
	}
	k->proto = c->orig.proto;
	k->family = c->orig.family;
	k->pad = 0;
}

/**
 * Find the entry of a packet's key.
 * @return the entry or NULL; *is_reply tells the direction.
 */
static inline struct ng_conn *
ng_ct_lookup(struct ng_ct *ct, const struct ng_flow_key *k, bool *is_reply)
{
	void *data;

	if (rte_hash_lookup_data(ct->h, k, &data) < 0)
		return NULL;
	*is_reply = ((uintptr_t)data & 1) != 0;
	return &ct->conns[(uintptr_t)data >> 1];
}

/** Give back an entry from ng_ct_alloc() that was never inserted. */
static inline void
ng_ct_abort(struct ng_ct *ct, struct ng_conn *c)
{
	c->state = NG_CT_FREE;
	ct->free_idx[ct->n_free++] = (uint32_t)(c - ct->conns);
	ct->n_used--;
}

/**
 * Take a free entry, reclaiming an expired one or evicting when full.
 * The entry is zeroed; the caller fills it and calls ng_ct_insert() or
 * ng_ct_abort(). Never fails when cap > 0.
 */
struct ng_conn *ng_ct_alloc(struct ng_ct *ct, uint64_t now);

/**
 * Index the entry under its original key and (unless an affinity record) its
 * reply key.
 * @return 0, or -ENOSPC / -EEXIST (the entry is released again).
 */
int ng_ct_insert(struct ng_ct *ct, struct ng_conn *c);

/** Remove an entry and free it. */
void ng_ct_delete(struct ng_ct *ct, struct ng_conn *c);

/**
 * Expire up to budget entries from the scan cursor.
 * @return the number removed.
 */
unsigned int ng_ct_expire(struct ng_ct *ct, uint64_t now, unsigned int budget);

/** Is key k free to be used as a reply key (no entry has it)? */
static inline bool
ng_ct_key_free(struct ng_ct *ct, const struct ng_flow_key *k)
{
	return rte_hash_lookup(ct->h, k) < 0;
}

/**
 * Advance the TCP state of c for a packet with these TCP flags.
 * @return the new state.
 */
enum ng_ct_state ng_ct_tcp_update(struct ng_conn *c, bool is_reply, uint8_t tcp_flags);

/** Name of a state ("ESTABLISHED"). */
const char *ng_ct_state_name(enum ng_ct_state s);

/** Timeout (seconds) of a state under a set of timeouts. */
uint32_t ng_ct_state_timeout(const struct ng_ct_timeouts *t, enum ng_ct_state s);

#endif
