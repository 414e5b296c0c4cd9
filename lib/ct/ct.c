/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "ct.h"

#define EVICT_SAMPLE 64
#define EXPIRE_AHEAD 8 /* entries the expiry scan prefetches ahead */

_Static_assert(sizeof(struct ng_flow_key) == 40, "flow key is 40 bytes");
_Static_assert(sizeof(struct ng_conn) == 128, "a conn is two cache lines");
_Static_assert(offsetof(struct ng_flow_key, dst) == 16 && offsetof(struct ng_flow_key, sport) == 32 &&
		offsetof(struct ng_flow_key, dport) == 34 && offsetof(struct ng_flow_key, proto) == 36 &&
		offsetof(struct ng_flow_key, family) == 37, "ng_ct_key4() knows the key's layout");
_Static_assert(offsetof(struct ng_conn, state) / RTE_CACHE_LINE_SIZE ==
		offsetof(struct ng_conn, expire_tsc) / RTE_CACHE_LINE_SIZE,
		"the expiry scan reads one line of an entry");

/*
 * Hash key slots for cap conns (two keys each): 25% headroom. A cuckoo hash
 * filled to its nominal size makes every insert a long displacement search:
 * at exactly two slots per conn, a SYN flood into a full 1M table cost 5,300
 * cycles per new connection in the lb stage; with 2.5 slots, 1,450.
 */
static uint64_t
key_slots(uint32_t cap)
{
	return 2 * (uint64_t)cap + cap / 2;
}

/* The hash table's view of ng_ct_hash() and ng_ct_key_cmp(). */
static uint32_t
ct_hash_fn(const void *key, uint32_t len __rte_unused, uint32_t init __rte_unused)
{
	return ng_ct_hash(key);
}

static int
ct_cmp_fn(const void *a, const void *b, size_t len __rte_unused)
{
	return ng_ct_key_cmp(a, b);
}

struct ng_ct *
ng_ct_create(const char *name, uint32_t cap, int socket)
{
	struct rte_hash_parameters hp = {0};
	struct ng_ct *ct;

	if (cap == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	ct = rte_zmalloc_socket("ng_ct", sizeof(*ct), RTE_CACHE_LINE_SIZE, socket);
	if (ct == NULL)
		goto nomem;
	ct->cap = cap;
	ct->conns = rte_zmalloc_socket("ng_ct_conns", sizeof(*ct->conns) * cap,
			RTE_CACHE_LINE_SIZE, socket);
	ct->free_idx = rte_malloc_socket("ng_ct_free", sizeof(uint32_t) * cap, 0, socket);
	hp.name = name;
	hp.entries = key_slots(cap);
	hp.key_len = sizeof(struct ng_flow_key);
	hp.hash_func = ct_hash_fn;
	hp.socket_id = socket;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	ct->h = rte_hash_create(&hp);
	if (ct->conns == NULL || ct->free_idx == NULL || ct->h == NULL)
		goto nomem;
	rte_hash_set_cmp_func(ct->h, ct_cmp_fn);
	for (uint32_t i = 0; i < cap; i++)
		ct->free_idx[i] = cap - 1 - i;
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
	if (ct == NULL)
		return;
	rte_hash_free(ct->h);
	rte_free(ct->conns);
	rte_free(ct->free_idx);
	rte_free(ct);
}

uint64_t
ng_ct_mem_bytes(uint32_t cap)
{
	/* Entry and free-list slot per conn; per hash key slot the key and a data
	 * pointer, plus an 8-byte bucket slot (signature and index), with the
	 * extendable bucket table doubling the bucket part. */
	return (uint64_t)cap * (sizeof(struct ng_conn) + sizeof(uint32_t)) +
			key_slots(cap) * (sizeof(struct ng_flow_key) + 8 + 2 * 8);
}

static void
release(struct ng_ct *ct, struct ng_conn *c)
{
	ng_ct_abort(ct, c);
}

void
ng_ct_delete(struct ng_ct *ct, struct ng_conn *c)
{
	struct ng_flow_key rk;

	rte_hash_del_key_with_hash(ct->h, &c->orig, ng_ct_hash(&c->orig));
	if (c->state != NG_CT_AFFINITY) {
		ng_ct_reply_key(c, &rk);
		rte_hash_del_key_with_hash(ct->h, &rk, ng_ct_hash(&rk));
	}
	ct->n_del++;
	release(ct, c);
}

struct ng_conn *
ng_ct_alloc(struct ng_ct *ct, uint64_t now)
{
	struct ng_conn *c, *oldest = NULL;

	if (likely(ct->n_free > 0)) {
		c = &ct->conns[ct->free_idx[--ct->n_free]];
		ct->n_used++;
		memset(c, 0, sizeof(*c));
		return c;
	}
	/*
	 * Full: an expired entry first, else a TCP connection the backend never
	 * answered (SYN_SENT: what a SYN flood fills the table with, and what
	 * Linux conntrack's early drop takes too), else the least recently
	 * active of the sample. Under a flood the first look usually finds one.
	 */
	for (unsigned int i = 0; i < EVICT_SAMPLE; i++) {
		uint32_t ahead = ct->cursor + EXPIRE_AHEAD;

		if (ahead < ct->cap)
			rte_prefetch0(&ct->conns[ahead].expire_tsc);
		c = &ct->conns[ct->cursor];
		ct->cursor = (ct->cursor + 1) % ct->cap;
		if (c->state == NG_CT_FREE)
			continue;
		if (now >= c->expire_tsc) {
			ct->stats.reused_expired++;
			oldest = c;
			break;
		}
		if (c->state == NG_CT_SYN_SENT) {
			ct->stats.early_dropped++;
			oldest = c;
			break;
		}
		if (oldest == NULL || c->last_tsc < oldest->last_tsc)
			oldest = c;
	}
	if (oldest == NULL)
		return NULL; /* cannot happen with cap > 0 */
	if (now < oldest->expire_tsc)
		ct->stats.evicted++;
	ng_ct_delete(ct, oldest);
	c = &ct->conns[ct->free_idx[--ct->n_free]];
	ct->n_used++;
	memset(c, 0, sizeof(*c));
	return c;
}

static int
insert(struct ng_ct *ct, struct ng_conn *c, hash_sig_t osig, bool orig_free, hash_sig_t rsig,
		bool reply_free)
{
	uintptr_t idx = (uintptr_t)(c - ct->conns);
	struct ng_flow_key rk;
	bool two = c->state != NG_CT_AFFINITY;
	int rc;

	/* rte_hash replaces the data of an existing key: refuse that instead. */
	if (two)
		ng_ct_reply_key(c, &rk);
	if ((!orig_free && !ng_ct_key_free_sig(ct, &c->orig, osig)) ||
			(two && !reply_free && !ng_ct_key_free_sig(ct, &rk, rsig))) {
		rc = -EEXIST;
		goto fail;
	}
	rc = rte_hash_add_key_with_hash_data(ct->h, &c->orig, osig, (void *)(idx << 1));
	if (rc < 0)
		goto fail;
	if (two) {
		rc = rte_hash_add_key_with_hash_data(ct->h, &rk, rsig, (void *)((idx << 1) | 1));
		if (rc < 0) {
			rte_hash_del_key_with_hash(ct->h, &c->orig, osig);
			goto fail;
		}
	}
	ct->n_ins++;
	ct->stats.created++;
	return 0;
fail:
	ct->stats.insert_failed++;
	release(ct, c);
	return rc;
}

int
ng_ct_insert(struct ng_ct *ct, struct ng_conn *c)
{
	struct ng_flow_key rk;
	hash_sig_t rsig = 0;

	if (c->state != NG_CT_AFFINITY) {
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
 * Delete the entries of dead[] (n <= EXPIRE_BATCH): one bulk lookup of their
 * keys first brings the hash buckets and key slots into the cache, so the
 * deletes that follow do not each wait for memory.
 */
#define EXPIRE_BATCH 32

static void
delete_batch(struct ng_ct *ct, struct ng_conn **dead, unsigned int n)
{
	struct ng_flow_key rk[EXPIRE_BATCH];
	const void *kp[2 * EXPIRE_BATCH];
	hash_sig_t sig[2 * EXPIRE_BATCH];
	int32_t pos[2 * EXPIRE_BATCH];
	unsigned int nk = 0, k = 0;

	for (unsigned int i = 0; i < n; i++) {
		kp[nk] = &dead[i]->orig;
		sig[nk++] = ng_ct_hash(&dead[i]->orig);
		if (dead[i]->state != NG_CT_AFFINITY) {
			ng_ct_reply_key(dead[i], &rk[i]);
			kp[nk] = &rk[i];
			sig[nk++] = ng_ct_hash(&rk[i]);
		}
	}
	for (unsigned int j = 0; j < nk; j += NG_CT_BULK_MAX)
		rte_hash_lookup_with_hash_bulk(ct->h, &kp[j], &sig[j],
				RTE_MIN(nk - j, (unsigned int)NG_CT_BULK_MAX), &pos[j]);
	for (unsigned int i = 0; i < n; i++) {
		rte_hash_del_key_with_hash(ct->h, kp[k], sig[k]);
		k++;
		if (dead[i]->state != NG_CT_AFFINITY) {
			rte_hash_del_key_with_hash(ct->h, kp[k], sig[k]);
			k++;
		}
		ct->n_del++;
		release(ct, dead[i]);
	}
}

unsigned int
ng_ct_expire(struct ng_ct *ct, uint64_t now, unsigned int budget)
{
	struct ng_conn *dead[EXPIRE_BATCH];
	unsigned int removed = 0, nd = 0;

	if (ct->n_used == 0)
		return 0;
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
