/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "ct.h"
#include "ng_exit.h"

#define EVICT_SAMPLE 64
/* How far the eviction sample looks on for an entry not confirmed, while the
 * table has some: bounded, so that a table full of confirmed entries but a
 * few far from the cursor costs each new connection at most this many reads
 * (one line each, prefetched ahead). */
#define EVICT_SCAN_MAX 1024
#define EXPIRE_AHEAD 8 /* entries the expiry scan prefetches ahead */
#define CT_MAX_CAP (1u << 30)
/* local_ports[]: a count for every port number */
#define LOCAL_PORTS_BYTES (65536 * sizeof(uint16_t))

_Static_assert(sizeof(struct ng_flow_key) == 40, "flow key is 40 bytes");
_Static_assert(sizeof(struct ng_conn) == 128, "a conn is two cache lines");
_Static_assert(sizeof(union ng_addr16) == 16 &&
		sizeof(((struct ng_conn *)0)->backend) == 16 &&
		sizeof(((struct ng_conn *)0)->snat) == 16,
		"an entry holds IPv6 backend and FullNAT addresses by value, for both families");
_Static_assert(offsetof(struct ng_flow_key, dst) == 16 && offsetof(struct ng_flow_key, sport) == 32 &&
		offsetof(struct ng_flow_key, dport) == 34 && offsetof(struct ng_flow_key, proto) == 36 &&
		offsetof(struct ng_flow_key, family) == 37, "ng_ct_key4() knows the key's layout");
_Static_assert(offsetof(struct ng_conn, state) / RTE_CACHE_LINE_SIZE ==
		offsetof(struct ng_conn, expire_tsc) / RTE_CACHE_LINE_SIZE,
		"the expiry scan reads one line of an entry");

_Static_assert(sizeof(struct ng_ct_bucket) == RTE_CACHE_LINE_SIZE, "a bucket is one line");
_Static_assert(CT_MAX_CAP <= UINT32_MAX / 2, "an entry reference is index << 1 | is_reply");

/*
 * Buckets for cap conns (two keys each): at least 25% headroom, rounded up to
 * a power of two. A cuckoo hash filled to its nominal size makes every insert
 * a long displacement search (rte_hash at exactly two slots per conn: 5,300
 * cycles per new connection in a SYN flood into a full table); at 80% or less,
 * an insert finds a free slot in one of its two buckets, or after moving one
 * key to its other bucket.
 */
static uint32_t
n_buckets(uint32_t cap)
{
	uint64_t slots = 2 * (uint64_t)cap + cap / 2;
	uint64_t n = (slots + NG_CT_BUCKET_SLOTS - 1) / NG_CT_BUCKET_SLOTS;

	return rte_align32pow2((uint32_t)RTE_MAX(n, (uint64_t)2));
}

struct ng_ct *
ng_ct_create(const char *name, uint32_t cap, int socket)
{
	struct ng_ct *ct;
	uint32_t nb;

	if (cap == 0 || cap > CT_MAX_CAP) {
		rte_errno = EINVAL;
		return NULL;
	}
	nb = n_buckets(cap);
	ct = rte_zmalloc_socket(name, sizeof(*ct), RTE_CACHE_LINE_SIZE, socket);
	if (ct == NULL)
		goto nomem;
	ct->cap = cap;
	ct->bmask = nb - 1;
	ct->bshift = 32 - (uint32_t)rte_log2_u32(nb);
	ct->conns = rte_zmalloc_socket(name, sizeof(*ct->conns) * cap, RTE_CACHE_LINE_SIZE,
			socket);
	ct->free_idx = rte_malloc_socket(name, sizeof(uint32_t) * cap, 0, socket);
	ct->bkt = rte_malloc_socket(name, sizeof(*ct->bkt) * nb, RTE_CACHE_LINE_SIZE, socket);
	ct->local_ports = rte_zmalloc_socket(name, LOCAL_PORTS_BYTES, RTE_CACHE_LINE_SIZE, socket);
	if (ct->conns == NULL || ct->free_idx == NULL || ct->bkt == NULL || ct->local_ports == NULL)
		goto nomem;
	/* all ones: every slot empty (NG_CT_REF_NONE) */
	memset(ct->bkt, 0xff, sizeof(*ct->bkt) * nb);
	for (uint32_t i = 0; i < cap; i++)
		ct->free_idx[i] = i;
	ct->n_free = cap;
	return ct;
nomem:
	ng_ct_free(ct);
	rte_errno = ENOMEM;
	return NULL;
}

void
ng_ct_free(struct ng_ct *ct)
{
	if (ct == NULL || ng_exiting()) /* at exit the heap goes whole (ng_exit.h) */
		return;
	rte_free(ct->bkt);
	rte_free(ct->local_ports);
	rte_free(ct->conns);
	rte_free(ct->free_idx);
	rte_free(ct);
}

uint64_t
ng_ct_mem_bytes(uint32_t cap)
{
	if (cap == 0)
		return 0;
	return (uint64_t)cap * (sizeof(struct ng_conn) + sizeof(uint32_t)) +
			(uint64_t)n_buckets(cap) * sizeof(struct ng_ct_bucket) + LOCAL_PORTS_BYTES;
}

/* Put (h, ref) in a free slot of bucket bi. */
static bool
bucket_put(struct ng_ct *ct, uint32_t bi, hash_sig_t h, uint32_t ref)
{
	struct ng_ct_bucket *b = &ct->bkt[bi];
	uint32_t m = ng_ct_match8(b->ref, NG_CT_REF_NONE);
	unsigned int i;

	if (m == 0)
		return false;
	i = (unsigned int)__builtin_ctz(m);
	b->sig[i] = h;
	b->ref[i] = ref;
	return true;
}

/*
 * Index ref under hash h: a free slot in its first bucket, else its second,
 * else move a key of one of them to that key's other bucket (one step of
 * cuckoo displacement; enough below 80% load). -ENOSPC when all are full.
 */
static int
key_add(struct ng_ct *ct, hash_sig_t h, uint32_t ref)
{
	uint32_t bi[2] = {ng_ct_b1(ct, h), ng_ct_b2(ct, h)};

	if (bucket_put(ct, bi[0], h, ref) || bucket_put(ct, bi[1], h, ref))
		goto added;
	for (unsigned int j = 0; j < 2; j++) {
		struct ng_ct_bucket *b = &ct->bkt[bi[j]];

		for (unsigned int i = 0; i < NG_CT_BUCKET_SLOTS; i++) {
			hash_sig_t s = b->sig[i];
			uint32_t o1 = ng_ct_b1(ct, s), o2 = ng_ct_b2(ct, s);
			uint32_t alt = o1 == bi[j] ? o2 : o1;

			if (alt == bi[j] || !bucket_put(ct, alt, s, b->ref[i]))
				continue;
			b->sig[i] = h;
			b->ref[i] = ref;
			goto added;
		}
	}
	return -ENOSPC;
added:
	ct->n_keys++;
	return 0;
}

/* Remove ref (indexed under hash h). */
static void
key_del(struct ng_ct *ct, hash_sig_t h, uint32_t ref)
{
	uint32_t bi[2] = {ng_ct_b1(ct, h), ng_ct_b2(ct, h)};

	for (unsigned int j = 0; j < 2; j++) {
		struct ng_ct_bucket *b = &ct->bkt[bi[j]];
		uint32_t m = ng_ct_match8(b->ref, ref);

		if (m != 0) {
			unsigned int i = (unsigned int)__builtin_ctz(m);

			b->ref[i] = NG_CT_REF_NONE;
			b->sig[i] = NG_CT_REF_NONE;
			ct->n_keys--;
			return;
		}
	}
}

static inline uint32_t
ref_of(const struct ng_ct *ct, const struct ng_conn *c, bool reply)
{
	return (uint32_t)(c - ct->conns) << 1 | (uint32_t)reply;
}

/* The hashes of c's keys: *rsig that of its reply key, if it has one (@return whether). */
static inline bool
key_sigs(const struct ng_conn *c, hash_sig_t *osig, hash_sig_t *rsig)
{
	struct ng_flow_key rk;

	*osig = ng_ct_hash(&c->orig);
	if (!ng_ct_has_reply_key(c))
		return false;
	ng_ct_reply_key(c, &rk);
	*rsig = ng_ct_hash(&rk);
	return true;
}

/* Remove c's keys (hashes osig and, when two, rsig) from the index (not the entry). */
static void
unindex_sig(struct ng_ct *ct, struct ng_conn *c, hash_sig_t osig, bool two, hash_sig_t rsig)
{
	key_del(ct, osig, ref_of(ct, c, false));
	if (two)
		key_del(ct, rsig, ref_of(ct, c, true));
	ct->n_del++;
}

/* Remove both keys of c from the index (not the entry). */
static void
unindex(struct ng_ct *ct, struct ng_conn *c)
{
	hash_sig_t osig, rsig = 0;
	bool two = key_sigs(c, &osig, &rsig);

	unindex_sig(ct, c, osig, two, rsig);
}

/* Free an entry that was in use: it goes to the tail of the free ring. */
static void
release(struct ng_ct *ct, struct ng_conn *c)
{
	uint32_t tail = ct->free_head + ct->n_free++;

	if (!(c->flags & NG_CT_F_CONFIRMED))
		ct->n_unconfirmed--;
	if (c->flags & NG_CT_F_LOCAL) {
		uint16_t *n = &ct->local_ports[c->orig.dport];

		if (*n != UINT16_MAX && *n != 0)
			__atomic_store_n(n, (uint16_t)(*n - 1), __ATOMIC_RELAXED);
	}
	c->state = NG_CT_FREE;
	ct->free_idx[tail >= ct->cap ? tail - ct->cap : tail] = (uint32_t)(c - ct->conns);
	ct->n_used--;
}

void
ng_ct_delete(struct ng_ct *ct, struct ng_conn *c)
{
	unindex(ct, c);
	release(ct, c);
}

/*
 * The entry to take when the table is full: an expired entry first, else the
 * first entry not confirmed (what a flood of SYNs, ACKs or UDP from spoofed
 * sources fills the table with; Linux conntrack's early drop takes them too)
 * or closed (TIME_WAIT, CLOSE: a connection that is over, which a new SYN
 * would replace anyway), else the least recently active of a sample from the
 * eviction cursor on.
 * Entries are taken from the free ring in the order they were freed, so the
 * first unconfirmed entry after the cursor is about the oldest: a new
 * connection keeps its entry for as long as possible to get confirmed. While
 * the table holds unconfirmed entries and the first EVICT_SAMPLE entries had
 * none, the sample looks on, up to EVICT_SCAN_MAX entries (or the whole table
 * if smaller), before it takes a confirmed entry. Counts the reason.
 */
static struct ng_conn *
pick_victim(struct ng_ct *ct, uint64_t now)
{
	struct ng_conn *c, *oldest = NULL;
	unsigned int limit = RTE_MIN((uint32_t)EVICT_SAMPLE, ct->cap);

	for (unsigned int i = 0; i < limit; i++) {
		uint32_t ahead = ct->evict_cursor + EXPIRE_AHEAD;

		/* both lines: the one read here (state, expire_tsc) and the key's,
		 * which the victim's delete hashes next */
		if (ahead < ct->cap) {
			rte_prefetch0(&ct->conns[ahead]);
			rte_prefetch0(&ct->conns[ahead].expire_tsc);
		}
		c = &ct->conns[ct->evict_cursor];
		ct->evict_cursor = ct->evict_cursor + 1 == ct->cap ? 0 : ct->evict_cursor + 1;
		if (i + 1 == limit && limit == EVICT_SAMPLE && ct->n_unconfirmed > 0)
			limit = RTE_MIN((uint32_t)EVICT_SCAN_MAX, ct->cap);
		if (c->state == NG_CT_FREE)
			continue;
		if (now >= c->expire_tsc) {
			oldest = c;
			break;
		}
		if (!(c->flags & NG_CT_F_CONFIRMED)) {
			ct->stats.early_dropped++;
			oldest = c;
			break;
		}
		if (c->state == NG_CT_TIME_WAIT || c->state == NG_CT_CLOSE) {
			ct->stats.evicted_closed++; /* a connection that is over */
			oldest = c;
			break;
		}
		if (oldest == NULL || c->last_tsc < oldest->last_tsc)
			oldest = c;
	}
	if (oldest == NULL)
		return NULL; /* only when no entry is in use */
	if (now >= oldest->expire_tsc)
		ct->stats.reused_expired++;
	else
		ct->stats.evicted++;
	return oldest;
}

/*
 * Zero an entry (two aligned lines) with eight 16-byte stores: memset() of
 * 128 bytes compiles to `rep stos` here, whose start-up cost was most of
 * ng_ct_alloc()'s in a SYN flood (perf_family syn).
 */
static inline void
conn_zero(struct ng_conn *c)
{
#if defined(RTE_ARCH_X86)
	__m128i z = _mm_setzero_si128();
	__m128i *p = (__m128i *)(void *)c;

	RTE_BUILD_BUG_ON(sizeof(*c) != 8 * sizeof(__m128i));
	_mm_store_si128(p + 0, z);
	_mm_store_si128(p + 1, z);
	_mm_store_si128(p + 2, z);
	_mm_store_si128(p + 3, z);
	_mm_store_si128(p + 4, z);
	_mm_store_si128(p + 5, z);
	_mm_store_si128(p + 6, z);
	_mm_store_si128(p + 7, z);
#else
	memset(c, 0, sizeof(*c));
#endif
}

struct ng_conn *
ng_ct_alloc(struct ng_ct *ct, uint64_t now)
{
	struct ng_conn *c;

	if (unlikely(ct->n_free == 0)) {
		c = pick_victim(ct, now);
		if (c == NULL)
			return NULL; /* cannot happen with cap > 0 */
		ng_ct_delete(ct, c);
	}
	c = &ct->conns[ct->free_idx[ct->free_head]];
	ct->free_head = ct->free_head + 1 == ct->cap ? 0 : ct->free_head + 1;
	ct->n_free--;
	ct->n_used++;
	conn_zero(c);
	return c;
}

static int
insert(struct ng_ct *ct, struct ng_conn *c, hash_sig_t osig, bool orig_free, hash_sig_t rsig,
		bool reply_free)
{
	struct ng_flow_key rk;
	bool two = ng_ct_has_reply_key(c);
	int rc;

	/* A key in use belongs to another entry: refuse, never replace. */
	if (two)
		ng_ct_reply_key(c, &rk);
	if ((!orig_free && !ng_ct_key_free_sig(ct, &c->orig, osig)) ||
			(two && !reply_free && !ng_ct_key_free_sig(ct, &rk, rsig)) ||
			(two && osig == rsig && ng_ct_key_cmp(&c->orig, &rk) == 0)) {
		rc = -EEXIST;
		goto fail;
	}
	rc = key_add(ct, osig, ref_of(ct, c, false));
	if (rc < 0)
		goto fail;
	if (two) {
		rc = key_add(ct, rsig, ref_of(ct, c, true));
		if (rc < 0) {
			key_del(ct, osig, ref_of(ct, c, false));
			goto fail;
		}
	}
	ct->n_ins++;
	ct->stats.created++;
	if (!(c->flags & NG_CT_F_CONFIRMED))
		ct->n_unconfirmed++;
	return 0;
fail:
	ct->stats.insert_failed++;
	ng_ct_abort(ct, c);
	return rc;
}

int
ng_ct_insert(struct ng_ct *ct, struct ng_conn *c)
{
	struct ng_flow_key rk;
	hash_sig_t rsig = 0;

	if (ng_ct_has_reply_key(c)) {
		ng_ct_reply_key(c, &rk);
		rsig = ng_ct_hash(&rk);
	}
	return insert(ct, c, ng_ct_hash(&c->orig), false, rsig, false);
}

int
ng_ct_insert_new(struct ng_ct *ct, struct ng_conn *c, hash_sig_t osig, hash_sig_t rsig,
		bool reply_free)
{
	return insert(ct, c, osig, true, rsig, reply_free);
}

/*
 * Delete the entries of dead[] (n <= EXPIRE_BATCH): their buckets are
 * prefetched first, so the deletes that follow do not each wait for memory.
 */
#define EXPIRE_BATCH 32

static void
delete_batch(struct ng_ct *ct, struct ng_conn **dead, unsigned int n)
{
	hash_sig_t osig[EXPIRE_BATCH], rsig[EXPIRE_BATCH];
	uint64_t two = 0;

	/* each key hashed once, for the prefetch and the delete */
	for (unsigned int i = 0; i < n; i++) {
		rsig[i] = 0;
		if (key_sigs(dead[i], &osig[i], &rsig[i])) {
			two |= 1ull << i;
			rte_prefetch0(&ct->bkt[ng_ct_b1(ct, rsig[i])]);
		}
		rte_prefetch0(&ct->bkt[ng_ct_b1(ct, osig[i])]);
	}
	for (unsigned int i = 0; i < n; i++) {
		unindex_sig(ct, dead[i], osig[i], (two >> i) & 1, rsig[i]);
		release(ct, dead[i]);
	}
}

void
ng_ct_reserve(struct ng_ct *ct, uint64_t now, unsigned int n)
{
	struct ng_conn *dead[EXPIRE_BATCH];
	unsigned int nd = 0;

	if (likely(ct->n_free >= n))
		return;
	n = RTE_MIN(n - ct->n_free, (unsigned int)EXPIRE_BATCH);
	while (nd < n) {
		struct ng_conn *c = pick_victim(ct, now);
		bool dup = false;

		if (c == NULL)
			break;
		/* a small table: the sample came round to an entry taken already */
		for (unsigned int j = 0; j < nd; j++)
			dup |= dead[j] == c;
		if (dup) {
			if (now >= c->expire_tsc)
				ct->stats.reused_expired--;
			else
				ct->stats.evicted--;
			if (!(c->flags & NG_CT_F_CONFIRMED) && now < c->expire_tsc)
				ct->stats.early_dropped--;
			else if ((c->state == NG_CT_TIME_WAIT || c->state == NG_CT_CLOSE) &&
					now < c->expire_tsc)
				ct->stats.evicted_closed--;
			break;
		}
		dead[nd++] = c;
	}
	delete_batch(ct, dead, nd);
}

unsigned int
ng_ct_expire(struct ng_ct *ct, uint64_t now, unsigned int budget)
{
	struct ng_conn *dead[EXPIRE_BATCH];
	unsigned int removed = 0, nd = 0;

	if (ct->n_used == 0)
		return 0;
	/*
	 * One lap at most: past it the cursor meets an entry of dead[] again, and
	 * a second delete of it broke the free ring and n_used (fuzz_datapath).
	 */
	budget = RTE_MIN(budget, ct->cap);
	for (unsigned int i = 0; i < budget; i++) {
		struct ng_conn *c = &ct->conns[ct->cursor];
		uint32_t ahead = ct->cursor + EXPIRE_AHEAD;

		/* state and expire_tsc are in the entry's second line */
		if (ahead < ct->cap)
			rte_prefetch0(&ct->conns[ahead].expire_tsc);
		ct->cursor = ct->cursor + 1 == ct->cap ? 0 : ct->cursor + 1;
		if (c->state != NG_CT_FREE && now >= c->expire_tsc) {
			dead[nd++] = c;
			if (nd == EXPIRE_BATCH) {
				delete_batch(ct, dead, nd);
				removed += nd;
				nd = 0;
			}
		}
	}
	if (nd > 0)
		delete_batch(ct, dead, nd);
	removed += nd;
	ct->stats.expired += removed;
	return removed;
}

enum ng_ct_state
ng_ct_tcp_update(struct ng_conn *c, bool is_reply, uint8_t f)
{
	enum ng_ct_state s = (enum ng_ct_state)c->state;

	if (s == NG_CT_CLOSE)
		return s; /* a reset connection stays closed until a new SYN replaces it */
	if (f & RTE_TCP_RST_FLAG) {
		s = NG_CT_CLOSE;
		goto out;
	}
	if (f & RTE_TCP_FIN_FLAG)
		c->flags |= is_reply ? NG_CT_F_FIN_REPLY : NG_CT_F_FIN_ORIG;
	switch (s) {
	case NG_CT_SYN_SENT:
		if (is_reply && (f & RTE_TCP_SYN_FLAG) && (f & RTE_TCP_ACK_FLAG))
			s = NG_CT_SYN_RECV;
		/* one way (DSR): the client's ACK after its SYN is all there is to see */
		else if ((c->flags & NG_CT_F_ONEWAY) && (f & RTE_TCP_ACK_FLAG) &&
				!(f & RTE_TCP_SYN_FLAG))
			s = NG_CT_ESTABLISHED;
		break;
	case NG_CT_SYN_RECV:
		if (!is_reply && (f & RTE_TCP_ACK_FLAG) && !(f & RTE_TCP_SYN_FLAG))
			s = NG_CT_ESTABLISHED;
		break;
	default:
		break;
	}
	if ((c->flags & (NG_CT_F_FIN_ORIG | NG_CT_F_FIN_REPLY)) ==
			(NG_CT_F_FIN_ORIG | NG_CT_F_FIN_REPLY))
		s = NG_CT_TIME_WAIT;
	else if (c->flags & (NG_CT_F_FIN_ORIG | NG_CT_F_FIN_REPLY))
		s = NG_CT_FIN_WAIT;
out:
	c->state = (uint8_t)s;
	return s;
}

const char *
ng_ct_state_name(enum ng_ct_state s)
{
	static const char *const names[NG_CT_NSTATES] = {
		[NG_CT_FREE] = "FREE", [NG_CT_SYN_SENT] = "SYN_SENT",
		[NG_CT_SYN_RECV] = "SYN_RECV", [NG_CT_ESTABLISHED] = "ESTABLISHED",
		[NG_CT_FIN_WAIT] = "FIN_WAIT", [NG_CT_TIME_WAIT] = "TIME_WAIT",
		[NG_CT_CLOSE] = "CLOSE", [NG_CT_UDP] = "UDP", [NG_CT_AFFINITY] = "AFFINITY",
	};
	return (unsigned int)s < NG_CT_NSTATES ? names[s] : "?";
}

uint32_t
ng_ct_timeout_of(const struct ng_ct_timeouts *t, unsigned int idx)
{
	if (idx == NG_CT_TO_UDP_UNREPLIED)
		return t->udp_unreplied;
	return ng_ct_state_timeout(t, (enum ng_ct_state)idx);
}

uint32_t
ng_ct_state_timeout(const struct ng_ct_timeouts *t, enum ng_ct_state s)
{
	switch (s) {
	case NG_CT_SYN_SENT:
	case NG_CT_SYN_RECV:
		return t->tcp_syn;
	case NG_CT_ESTABLISHED:
		return t->tcp_established;
	case NG_CT_FIN_WAIT:
		return t->tcp_fin;
	case NG_CT_TIME_WAIT:
		return t->tcp_time_wait;
	case NG_CT_CLOSE:
		return t->tcp_close;
	case NG_CT_UDP:
		return t->udp;
	default:
		return t->tcp_close;
	}
}
