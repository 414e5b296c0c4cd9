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
 * The index is the table's own: a bucketed cuckoo hash of 64-byte buckets,
 * each holding eight (32-bit hash, entry reference) pairs. A key lives in one
 * of two buckets chosen by its hash; the key itself is not stored, it is
 * compared against the entry (the original key is in the entry, the reply key
 * is derived from it). So a hit reads one bucket line and the entry the caller
 * needs anyway, and a connection costs its entry, two 8-byte slots and the
 * buckets' headroom (ng_ct_mem_bytes()).
 *
 * Only the owning worker calls the data-path functions. Expiry is
 * incremental: ng_ct_expire() looks at a bounded number of entries per call.
 * When the table is full, an insert first reuses an expired entry, else evicts
 * the oldest entry not yet confirmed (NG_CT_F_CONFIRMED: what a flood fills the
 * table with) or closed (TIME_WAIT, CLOSE), else the least recently active
 * confirmed entry of a sample, and counts it.
 */

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_hash.h> /* hash_sig_t */
#include <rte_hash_crc.h>
#include <rte_prefetch.h>
#if defined(RTE_ARCH_X86)
#include <emmintrin.h>
#endif

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
/**
 * Confirmed: the backend answered and the client sent again after that
 * (TCP: the handshake completed, or a mid-stream pickup the backend
 * acknowledged; UDP: a reply, then another datagram from the client), as
 * Linux conntrack's ASSURED. A packet from a spoofed source cannot confirm
 * anything: its sender never sees the reply. A one-way (DSR) connection,
 * whose replies the gateway never sees, is confirmed by the client's second
 * packet instead (ng_ct_confirm()). Entries without it have short timeouts
 * (ng_ct_timeout_idx()) and are evicted before any confirmed one.
 */
#define NG_CT_F_CONFIRMED 0x10
#define NG_CT_F_ONEWAY    0x20 /**< DSR: replies bypass the gateway; no reply key indexed */
/** To one of the gateway's own addresses (a NodePort): counted in the table's
 * local_ports[] while it lives (ng_ct_mark_local()). */
#define NG_CT_F_LOCAL     0x40

/* the sum equals the union only if no two flags share a bit */
static_assert((NG_CT_F_FULLNAT + NG_CT_F_REPLIED + NG_CT_F_FIN_ORIG + NG_CT_F_FIN_REPLY +
		NG_CT_F_CONFIRMED + NG_CT_F_ONEWAY + NG_CT_F_LOCAL) ==
		(NG_CT_F_FULLNAT | NG_CT_F_REPLIED | NG_CT_F_FIN_ORIG | NG_CT_F_FIN_REPLY |
		NG_CT_F_CONFIRMED | NG_CT_F_ONEWAY | NG_CT_F_LOCAL), "two NG_CT_F_* flags share a bit");

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
	uint64_t evicted;         /**< table full: a live entry was evicted (early drops too) */
	uint64_t early_dropped;   /**< ...of which entries not confirmed (NG_CT_F_CONFIRMED) */
	uint64_t evicted_closed;  /**< ...of which closed confirmed ones (TIME_WAIT, CLOSE) */
	uint64_t insert_failed;   /**< the hash refused a key */
	uint64_t deleted;         /**< removed by the data path (rescheduled, reused tuple) */
};

/** Slots in a bucket of the index. */
#define NG_CT_BUCKET_SLOTS 8
/** An empty slot's reference. */
#define NG_CT_REF_NONE UINT32_MAX

/** One cache line of the index: eight keys' hashes and entry references
 * (entry index << 1 | is_reply). */
struct ng_ct_bucket {
	uint32_t sig[NG_CT_BUCKET_SLOTS];
	uint32_t ref[NG_CT_BUCKET_SLOTS];
} __rte_aligned(64);

struct ng_ct {
	struct ng_ct_bucket *bkt; /**< the index: n_bkt buckets, a power of two */
	uint32_t bmask;           /**< n_bkt - 1 */
	uint32_t bshift;          /**< 32 - log2(n_bkt): the alternative bucket's shift */
	struct ng_conn *conns;
	uint32_t cap;
	uint32_t n_used;
	/** Free entries, a FIFO ring: entries are reused in the order they were
	 * freed, so allocation order keeps following the expiry / eviction
	 * cursor, and so does each backend's FullNAT port cursor (a stack, after
	 * an idle table expired in cursor order, handed the entries out in the
	 * opposite order: the next entries evicted were the newest, and their
	 * backends' next ports were still in use). */
	uint32_t *free_idx;
	uint32_t free_head;
	uint32_t n_free;
	uint32_t cursor;          /**< the expiry scan's next entry */
	/** The eviction sample's next entry. Its own cursor: with entries taken
	 * from the free ring in the order they were freed, the entries after the
	 * last one evicted are the oldest (the expiry scan's position says
	 * nothing about age). */
	uint32_t evict_cursor;
	uint32_t n_keys;          /**< keys in the index */
	/** Entries in the index without NG_CT_F_CONFIRMED (connections and
	 * affinity records): while there are any, a full table evicts one of
	 * them, looking further than the usual sample for it. */
	uint32_t n_unconfirmed;
	/** Bumped on every key added / removed: a lookup result taken before is
	 * stale for a miss (n_ins moved) or a hit (n_del moved). */
	uint32_t n_ins;
	uint32_t n_del;
	/** ng_ct_lookup_bulk(): the last call found more than a quarter of its
	 * keys' hashes missing from their first bucket (new flows: a SYN flood),
	 * so this one prefetches every key's second bucket with its first. Else
	 * (established flows, whose keys sit in their first bucket in all but a
	 * full table) only the first, and a second one when it is needed: half
	 * the prefetches, which stalled the est path (about 8 cycles a packet). */
	bool bulk_both;
	/** Connections to the gateway's own addresses (NG_CT_F_LOCAL) by
	 * destination port (the index is the port in network order), saturating
	 * at UINT16_MAX (then kept for good). Written by the table's worker, read
	 * by every worker (relaxed atomics): a packet to a gateway port that no
	 * frontend takes and no connection uses keeps no state and goes to the
	 * local stage without a connection lookup (lb_dp.c). */
	uint16_t *local_ports;
	struct ng_ct_stats stats;
} __rte_cache_aligned;

/** Count c, a connection to one of the gateway's own addresses, in local_ports[]. */
static inline void
ng_ct_mark_local(struct ng_ct *ct, struct ng_conn *c)
{
	uint16_t *n = &ct->local_ports[c->orig.dport];

	c->flags |= NG_CT_F_LOCAL;
	if (*n != UINT16_MAX)
		__atomic_store_n(n, (uint16_t)(*n + 1), __ATOMIC_RELAXED);
}

/** Does a connection of ct use port dport (network order) of a gateway address? */
static inline bool
ng_ct_local_port_used(const struct ng_ct *ct, uint16_t dport)
{
	return __atomic_load_n(&ct->local_ports[dport], __ATOMIC_RELAXED) != 0;
}

/** Most keys one ng_ct_lookup_bulk() call takes. */
#define NG_CT_BULK_MAX 32

/**
 * Create a table for one worker.
 * @param name unique name (for the hash)
 * @param cap connections it holds
 * @return the table, or NULL with rte_errno set.
 */
struct ng_ct *ng_ct_create(const char *name, uint32_t cap, int socket);

/** Free a table; its worker must have stopped. NULL is fine. */
void ng_ct_free(struct ng_ct *ct);

/**
 * Bytes of memory a table of cap connections takes (entries, keys, index).
 * The same for IPv4 and IPv6: an entry holds 16-byte addresses for both
 * families, and the index stores no keys.
 */
uint64_t ng_ct_mem_bytes(uint32_t cap);

/** Is c indexed under a reply key too (not an affinity record, not a DSR conn)? */
static inline bool
ng_ct_has_reply_key(const struct ng_conn *c)
{
	return c->state != NG_CT_AFFINITY && !(c->flags & NG_CT_F_ONEWAY);
}

/** The key of the reply direction of c. */
static inline void
ng_ct_reply_key(const struct ng_conn *c, struct ng_flow_key *k)
{
	const union ng_addr16 *dst;
	uint16_t dport;

	if (c->flags & NG_CT_F_FULLNAT) {
		dst = &c->snat;
		dport = c->lport;
	} else {
		dst = &c->orig.src;
		dport = c->orig.sport;
	}
	k->src = c->backend;
	k->dst = *dst;
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	{
		/* the last word in one store: read back whole by the hash */
		uint64_t w4 = (uint64_t)c->bport | (uint64_t)dport << 16 |
				(uint64_t)c->orig.proto << 32 | (uint64_t)c->orig.family << 40;

		memcpy((uint8_t *)k + offsetof(struct ng_flow_key, sport), &w4, sizeof(w4));
	}
#else
	k->sport = c->bport;
	k->dport = dport;
	k->proto = c->orig.proto;
	k->family = c->orig.family;
	k->pad = 0;
#endif
}

/*
 * CRC32 of an IPv4 key's words 0, 2 and 4: its words 1 and 3 (the upper 12
 * bytes of its two address fields, past the IPv4 addresses) are zero in every
 * IPv4 key, so they add nothing to the hash but two CRC steps to its chain of
 * dependent instructions (pass 1 of the service stage hashes every packet's
 * key: doc/benchmarks.md, 2026-12-05 07:00).
 */
static inline hash_sig_t
ng_ct_hash4_words(uint64_t w0, uint64_t w2, uint64_t w4)
{
	return rte_hash_crc_8byte(w4, rte_hash_crc_8byte(w2, rte_hash_crc_8byte(w0, 0x6e67)));
}

/** CRC32 of a key's five 8-byte words (an IPv4 key's three: ng_ct_hash4_words()). */
static inline hash_sig_t
ng_ct_hash_words(const uint64_t w[5], uint8_t family)
{
	uint32_t h = 0x6e67;

	if (family == AF_INET)
		return ng_ct_hash4_words(w[0], w[2], w[4]);
	h = rte_hash_crc_8byte(w[0], h);
	h = rte_hash_crc_8byte(w[1], h);
	h = rte_hash_crc_8byte(w[2], h);
	h = rte_hash_crc_8byte(w[3], h);
	return rte_hash_crc_8byte(w[4], h);
}

/**
 * The table's hash of a key (CRC32 over its five 8-byte words; an IPv4 key's
 * three that can be non-zero): it picks the key's two buckets and is what a
 * bucket slot holds. Callers that hash a key once pass the value to the
 * *_sig functions.
 */
static inline hash_sig_t
ng_ct_hash(const struct ng_flow_key *k)
{
	uint64_t w[5];

	/* memcpy, not a cast: the key was just written through its fields */
	memcpy(w, k, sizeof(w));
	return ng_ct_hash_words(w, k->family);
}

/**
 * Write the key of an IPv4 flow (addresses and ports in network order) and
 * return its hash (ng_ct_hash()). The key is built as five 8-byte words and
 * hashed from them: reading back a key just written field by field would
 * stall on store forwarding.
 */
static inline hash_sig_t
ng_ct_key4(struct ng_flow_key *k, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		uint8_t proto)
{
	uint64_t w[5];

#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	w[0] = src;
	w[1] = 0;
	w[2] = dst;
	w[3] = 0;
	w[4] = (uint64_t)sport | (uint64_t)dport << 16 | (uint64_t)proto << 32 |
			(uint64_t)AF_INET << 40;
	memcpy(k, w, sizeof(w));
#else
	memset(k, 0, sizeof(*k));
	k->src.v4 = src;
	k->dst.v4 = dst;
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
	k->family = AF_INET;
	memcpy(w, k, sizeof(w));
#endif
	return ng_ct_hash4_words(w[0], w[2], w[4]);
}

/**
 * ng_ct_key4() for an IPv6 flow: the addresses fill the key's 16-byte
 * fields, so an IPv6 key differs from every IPv4 key (family) and from every
 * other IPv6 flow in the same five words the table compares and hashes.
 */
static inline hash_sig_t
ng_ct_key6(struct ng_flow_key *k, const uint8_t src[16], const uint8_t dst[16], uint16_t sport,
		uint16_t dport, uint8_t proto)
{
	uint64_t w[5];

	memcpy(&w[0], src, 16);
	memcpy(&w[2], dst, 16);
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	w[4] = (uint64_t)sport | (uint64_t)dport << 16 | (uint64_t)proto << 32 |
			(uint64_t)AF_INET6 << 40;
	memcpy(k, w, sizeof(w));
#else
	memcpy(k, w, 32);
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
	k->family = AF_INET6;
	k->pad = 0;
	memcpy(w, k, sizeof(w));
#endif
	return ng_ct_hash_words(w, AF_INET6);
}

/** Equality of two flow keys (0 if equal, as memcmp). */
static inline int
ng_ct_key_cmp(const struct ng_flow_key *a, const struct ng_flow_key *b)
{
	uint64_t x[5], y[5];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
			(x[4] ^ y[4])) != 0;
}

/** The first bucket of a key with hash h. */
static inline uint32_t
ng_ct_b1(const struct ng_ct *ct, hash_sig_t h)
{
	return h & ct->bmask;
}

/** The second bucket of a key with hash h (the top bits of a multiplicative
 * hash of h: independent of the first bucket's low bits). */
static inline uint32_t
ng_ct_b2(const struct ng_ct *ct, hash_sig_t h)
{
	return (h * 0x9e3779b1u) >> ct->bshift;
}

/** Bit i set where v[i] == x, for the eight words of a bucket half-line pair. */
static inline uint32_t
ng_ct_match8(const uint32_t *v, uint32_t x)
{
#if defined(RTE_ARCH_X86)
	__m128i s = _mm_set1_epi32((int)x);
	__m128i a = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)v), s);
	__m128i b = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(v + 4)), s);

	return (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(a)) |
			(uint32_t)_mm_movemask_ps(_mm_castsi128_ps(b)) << 4;
#else
	uint32_t m = 0;

	for (unsigned int i = 0; i < NG_CT_BUCKET_SLOTS; i++)
		m |= (uint32_t)(v[i] == x) << i;
	return m;
#endif
}

/** Is k the key of c in the direction reply tells? */
static inline bool
ng_ct_conn_has_key(const struct ng_conn *c, bool reply, const struct ng_flow_key *k)
{
	struct ng_flow_key rk;

	if (!reply)
		return ng_ct_key_cmp(&c->orig, k) == 0;
	if (!ng_ct_has_reply_key(c))
		return false;
	ng_ct_reply_key(c, &rk);
	return ng_ct_key_cmp(&rk, k) == 0;
}

/** The reference of k (hash h) in bucket b, or NG_CT_REF_NONE. */
static inline uint32_t
ng_ct_bucket_find(const struct ng_ct *ct, const struct ng_ct_bucket *b,
		const struct ng_flow_key *k, hash_sig_t h)
{
	uint32_t m = ng_ct_match8(b->sig, h);

	while (m != 0) {
		unsigned int i = (unsigned int)__builtin_ctz(m);
		uint32_t r = b->ref[i];

		m &= m - 1;
		if (r != NG_CT_REF_NONE && ng_ct_conn_has_key(&ct->conns[r >> 1], r & 1, k))
			return r;
	}
	return NG_CT_REF_NONE;
}

/** The reference of k (hash h) in the index, or NG_CT_REF_NONE. */
static inline uint32_t
ng_ct_find(const struct ng_ct *ct, const struct ng_flow_key *k, hash_sig_t h)
{
	uint32_t b1 = ng_ct_b1(ct, h), b2 = ng_ct_b2(ct, h);
	uint32_t r = ng_ct_bucket_find(ct, &ct->bkt[b1], k, h);

	if (r == NG_CT_REF_NONE && b2 != b1)
		r = ng_ct_bucket_find(ct, &ct->bkt[b2], k, h);
	return r;
}

/** ng_ct_lookup() with the key's hash already computed (ng_ct_hash()). */
static inline struct ng_conn *
ng_ct_lookup_sig(struct ng_ct *ct, const struct ng_flow_key *k, hash_sig_t sig,
		bool *is_reply)
{
	uint32_t r = ng_ct_find(ct, k, sig);

	if (r == NG_CT_REF_NONE)
		return NULL;
	*is_reply = (r & 1) != 0;
	return &ct->conns[r >> 1];
}

/**
 * Find the entry of a packet's key.
 * @return the entry or NULL; *is_reply tells the direction.
 */
static inline struct ng_conn *
ng_ct_lookup(struct ng_ct *ct, const struct ng_flow_key *k, bool *is_reply)
{
	return ng_ct_lookup_sig(ct, k, ng_ct_hash(k), is_reply);
}

/*
 * ng_ct_lookup_bulk(): key i's candidate in bucket b, whose slots m match its
 * hash: the entry in the first of them, prefetched (both lines), or none
 * when that slot is empty (then bit i of *full: the key is searched in full).
 */
static inline uint32_t
ng_ct_bulk_cand(const struct ng_ct *ct, const struct ng_ct_bucket *b, uint32_t m,
		unsigned int i, uint64_t *full)
{
	uint32_t r = b->ref[__builtin_ctz(m)];

	if (r != NG_CT_REF_NONE) {
		const struct ng_conn *c = &ct->conns[r >> 1];

		rte_prefetch0(c);
		rte_prefetch0((const uint8_t *)c + RTE_CACHE_LINE_SIZE);
	} else {
		*full |= 1ull << i; /* an empty slot's sig equals the hash */
	}
	return r;
}

/**
 * Look up n keys at once (n <= NG_CT_BULK_MAX), with their hashes, in three
 * passes: prefetch the first bucket of every key (and the second, after a
 * call whose keys mostly needed it: ct->bulk_both); find each key's first
 * candidate by hash, in its first bucket, else in its second (prefetched as
 * soon as the first is read, and read after all the first ones), and
 * prefetch its entry; compare the keys with their entries (a
 * key whose candidate differs, a 1 in 2^32 chance, is searched in full; a
 * key whose hash no slot of its buckets has is absent without more reads).
 * The entries found are in the cache, or on their way, when this returns.
 * @param conns out: the entry of each key, or NULL
 * @param reply out: bit i set when key i is the reply direction
 * @return the number of keys found.
 */
static inline unsigned int
ng_ct_lookup_bulk(struct ng_ct *ct, const struct ng_flow_key **keys, const hash_sig_t *sigs,
		unsigned int n, struct ng_conn **conns, uint64_t *reply)
{
	uint32_t cand[NG_CT_BULK_MAX];
	uint64_t rep = 0, full = 0; /* full: keys to search in full */
	uint64_t second = 0;        /* keys whose first bucket has not their hash */
	unsigned int found = 0;

	for (unsigned int i = 0; i < n; i++) {
		rte_prefetch0(&ct->bkt[ng_ct_b1(ct, sigs[i])]);
		if (ct->bulk_both)
			rte_prefetch0(&ct->bkt[ng_ct_b2(ct, sigs[i])]);
	}
	/* the second bucket of a key whose first has not its hash: prefetched
	 * now if not yet (ct->bulk_both), read after all the first ones */
	for (unsigned int i = 0; i < n; i++) {
		const struct ng_ct_bucket *b = &ct->bkt[ng_ct_b1(ct, sigs[i])];
		uint32_t m = ng_ct_match8(b->sig, sigs[i]);

		cand[i] = NG_CT_REF_NONE;
		if (m == 0) {
			second |= 1ull << i;
			if (!ct->bulk_both)
				rte_prefetch0(&ct->bkt[ng_ct_b2(ct, sigs[i])]);
			continue;
		}
		cand[i] = ng_ct_bulk_cand(ct, b, m, i, &full);
	}
	for (uint64_t s = second; s != 0; s &= s - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(s);
		const struct ng_ct_bucket *b = &ct->bkt[ng_ct_b2(ct, sigs[i])];
		uint32_t m = ng_ct_match8(b->sig, sigs[i]);

		if (m != 0)
			cand[i] = ng_ct_bulk_cand(ct, b, m, i, &full);
	}
	ct->bulk_both = 4 * (unsigned int)__builtin_popcountll(second) > n;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t r = cand[i];

		/* no slot of either bucket has the hash: absent, no second search
		 * (a new connection's key, and its reply key, are such keys) */
		if ((r == NG_CT_REF_NONE && ((full >> i) & 1)) || (r != NG_CT_REF_NONE &&
				unlikely(!ng_ct_conn_has_key(&ct->conns[r >> 1], r & 1, keys[i]))))
			r = ng_ct_find(ct, keys[i], sigs[i]);
		if (r == NG_CT_REF_NONE) {
			conns[i] = NULL;
			continue;
		}
		conns[i] = &ct->conns[r >> 1];
		rep |= (uint64_t)(r & 1) << i;
		found++;
	}
	*reply = rep;
	return found;
}

/**
 * Which of n keys (n <= NG_CT_BULK_MAX) are in the table: bit i of the
 * result set when key i is. The same passes as ng_ct_lookup_bulk(); it also
 * brings the keys' buckets into the cache for inserts that follow.
 */
static inline uint64_t
ng_ct_present_bulk(struct ng_ct *ct, const struct ng_flow_key **keys, const hash_sig_t *sigs,
		unsigned int n)
{
	struct ng_conn *conns[NG_CT_BULK_MAX];
	uint64_t rep, hits = 0;

	ng_ct_lookup_bulk(ct, keys, sigs, n, conns, &rep);
	for (unsigned int i = 0; i < n; i++)
		hits |= (uint64_t)(conns[i] != NULL) << i;
	return hits;
}

/** Give back an entry from ng_ct_alloc() that was never inserted. */
static inline void
ng_ct_abort(struct ng_ct *ct, struct ng_conn *c)
{
	/* back at the head: the next ng_ct_alloc() takes it again */
	c->state = NG_CT_FREE;
	ct->free_head = ct->free_head == 0 ? ct->cap - 1 : ct->free_head - 1;
	ct->free_idx[ct->free_head] = (uint32_t)(c - ct->conns);
	ct->n_free++;
	ct->n_used--;
}

/**
 * Take a free entry, reclaiming an expired one or evicting when full.
 * The entry is zeroed; the caller fills it and calls ng_ct_insert() or
 * ng_ct_abort(). Never fails when cap > 0.
 */
struct ng_conn *ng_ct_alloc(struct ng_ct *ct, uint64_t now);

/**
 * Make sure the next n ng_ct_alloc() calls (n <= 32) find free entries: when
 * the table is full, take the entries ng_ct_alloc() would, in one batch whose
 * index buckets are fetched together (one at a time, each delete waits for
 * memory twice). Moves n_del when it takes any.
 */
void ng_ct_reserve(struct ng_ct *ct, uint64_t now, unsigned int n);

/**
 * Bring the entries the next n ng_ct_alloc() calls take (at most the free
 * ones) into the cache for writing, both lines each: a new connection's
 * entry is zeroed and filled, and a store to a cold line stalled the SYN
 * path (perf_family syn). Call it a while before the allocations, after
 * ng_ct_reserve().
 */
static inline void
ng_ct_prefetch_alloc(const struct ng_ct *ct, unsigned int n)
{
	uint32_t h = ct->free_head;

	n = RTE_MIN(n, ct->n_free);
	for (unsigned int i = 0; i < n; i++) {
		const struct ng_conn *c = &ct->conns[ct->free_idx[h]];

		rte_prefetch0_write(c);
		rte_prefetch0_write((const uint8_t *)c + RTE_CACHE_LINE_SIZE);
		h = h + 1 == ct->cap ? 0 : h + 1;
	}
}

/**
 * Index the entry under its original key and (unless an affinity record) its
 * reply key.
 * @return 0, or -ENOSPC / -EEXIST (the entry is released again).
 */
int ng_ct_insert(struct ng_ct *ct, struct ng_conn *c);

/**
 * ng_ct_insert() for a caller that just found the original key absent (and
 * nothing was inserted since): the original key is not looked up again.
 * @param osig ng_ct_hash(&c->orig)
 * @param rsig ng_ct_hash() of the reply key
 * @param reply_free the caller also found the reply key absent
 * @return 0, or -ENOSPC / -EEXIST (the entry is released again).
 */
int ng_ct_insert_new(struct ng_ct *ct, struct ng_conn *c, hash_sig_t osig, hash_sig_t rsig,
		bool reply_free);

/** Remove an entry and free it. */
void ng_ct_delete(struct ng_ct *ct, struct ng_conn *c);

/**
 * Expire what is due among the next budget entries from the scan cursor (at
 * most the whole table: one lap).
 * @return the number removed.
 */
unsigned int ng_ct_expire(struct ng_ct *ct, uint64_t now, unsigned int budget);

/** Is key k free to be used as a reply key (no entry has it)? */
static inline bool
ng_ct_key_free(struct ng_ct *ct, const struct ng_flow_key *k)
{
	return ng_ct_find(ct, k, ng_ct_hash(k)) == NG_CT_REF_NONE;
}

/** ng_ct_key_free() with the key's hash already computed. */
static inline bool
ng_ct_key_free_sig(struct ng_ct *ct, const struct ng_flow_key *k, hash_sig_t sig)
{
	return ng_ct_find(ct, k, sig) == NG_CT_REF_NONE;
}

/**
 * Advance the TCP state of c for a packet with these TCP flags.
 * @return the new state.
 */
enum ng_ct_state ng_ct_tcp_update(struct ng_conn *c, bool is_reply, uint8_t tcp_flags);

/**
 * ng_ct_tcp_update() where it can change something: an ESTABLISHED
 * connection that saw no FIN stays so for a packet without SYN, FIN or RST,
 * and that is decided here without a call.
 */
static inline void
ng_ct_tcp_track(struct ng_conn *c, bool is_reply, uint8_t tcp_flags)
{
	/* 0x07: FIN, SYN, RST */
	if (likely(c->state == NG_CT_ESTABLISHED && (tcp_flags & 0x07) == 0 &&
			(c->flags & (NG_CT_F_FIN_ORIG | NG_CT_F_FIN_REPLY)) == 0))
		return;
	ng_ct_tcp_update(c, is_reply, tcp_flags);
}

/**
 * Mark c confirmed (NG_CT_F_CONFIRMED) once it is: call it for a packet from
 * the client (not a reply) of an indexed entry that is not confirmed yet. A
 * TCP connection is confirmed when it is ESTABLISHED (after tracking this
 * packet) and the backend has answered; a UDP flow when the backend has
 * answered. A one-way connection (NG_CT_F_ONEWAY, DSR) never sees an
 * answer: the client's second packet stands for it (TCP: its ACK, or the
 * segment after a mid-stream pickup, ESTABLISHED after tracking; UDP: its
 * next datagram), since a spoofed flood from random ports rarely repeats a
 * flow.
 * @param first this packet created c (it cannot confirm it).
 * @return true when c is confirmed now.
 */
static inline bool
ng_ct_confirm(struct ng_ct *ct, struct ng_conn *c, bool first)
{
	bool answered = (c->flags & NG_CT_F_REPLIED) ||
			(!first && (c->flags & NG_CT_F_ONEWAY)); /* one way: the client again */

	if (!answered || (c->orig.proto == IPPROTO_TCP && c->state != NG_CT_ESTABLISHED))
		return false;
	c->flags |= NG_CT_F_CONFIRMED;
	ct->n_unconfirmed--;
	return true;
}

/** Index of a timeout table (to_tsc[NG_CT_TO_N]) beyond the states: a UDP
 * flow not yet confirmed. */
#define NG_CT_TO_UDP_UNREPLIED NG_CT_NSTATES
/** Entries of a timeout table: one per state, and NG_CT_TO_UDP_UNREPLIED. */
#define NG_CT_TO_N (NG_CT_NSTATES + 1)

/**
 * Which timeout applies to c: its state's once it is confirmed; before, a
 * short one (an unconfirmed UDP flow NG_CT_TO_UDP_UNREPLIED, an unconfirmed
 * ESTABLISHED TCP entry, a mid-stream pickup, the SYN timeout).
 */
static inline unsigned int
ng_ct_timeout_idx(const struct ng_conn *c)
{
	if (likely(c->flags & NG_CT_F_CONFIRMED))
		return c->state;
	if (c->state == NG_CT_UDP)
		return NG_CT_TO_UDP_UNREPLIED;
	if (c->state == NG_CT_ESTABLISHED)
		return NG_CT_SYN_SENT;
	return c->state;
}

/** Name of a state ("ESTABLISHED"). */
const char *ng_ct_state_name(enum ng_ct_state s);

/** Timeout (seconds) of a state under a set of timeouts. */
uint32_t ng_ct_state_timeout(const struct ng_ct_timeouts *t, enum ng_ct_state s);

/** Timeout (seconds) of an index of a timeout table (a state, or
 * NG_CT_TO_UDP_UNREPLIED) under a set of timeouts. */
uint32_t ng_ct_timeout_of(const struct ng_ct_timeouts *t, unsigned int idx);

#endif
