/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "lpm4.h"
#include "ng_exit.h"
#include "ng_idtab.h"
#include "ng_log.h"

/*
 * Invariant: every entry holds the longest rule that covers its addresses
 * (0 when none), except a first-level entry with EXT, whose group's entries
 * do. A group exists exactly while its /24 holds a rule longer than /24
 * (long[g] counts them); its entries then hold depths 25-32 where such a
 * rule covers them and the /24's own longest rule of at most /24 elsewhere.
 */

struct lpm4_rule {
	uint32_t ip; /* masked, host order */
	uint32_t nh;
	uint8_t depth;
};

struct lpm4_key {
	uint32_t ip;
	uint32_t depth;
};

struct ng_lpm4_books {
	uint32_t max_rules;
	uint32_t n_rules;
	struct lpm4_rule *rules;  /* slots below hw were used; free ones on rule_free */
	uint32_t hw;
	uint32_t *rule_free;      /* a stack */
	uint32_t n_rule_free;
	struct ng_idtab idx;      /* (ip, depth) -> rule slot */
	uint32_t n_depth[33];     /* rules per depth */
	uint64_t depths;          /* bit d: some rule of depth d */
	uint32_t n_groups;
	uint32_t group_hw;        /* groups below it were handed out once */
	uint32_t *group_free;     /* a stack */
	uint32_t n_group_free;
	uint16_t *n_long;         /* rules longer than /24 in each group (at most 510) */
	struct rte_rcu_qsbr_dq *dq;
};

static inline uint32_t
depth_mask(unsigned int depth)
{
	return depth == 0 ? 0 : ~0u << (32 - depth);
}

static inline uint32_t
entry(uint32_t nh, unsigned int depth)
{
	return nh | NG_LPM4_VALID | (uint32_t)depth << NG_LPM4_DEPTH_SHIFT;
}

static inline unsigned int
entry_depth(uint32_t e)
{
	return e >> NG_LPM4_DEPTH_SHIFT;
}

static inline void
entry_store(uint32_t *p, uint32_t e)
{
	__atomic_store_n(p, e, __ATOMIC_RELAXED);
}

static uint32_t
rule_hash(uint32_t ip, unsigned int depth)
{
	return rte_hash_crc_8byte((uint64_t)depth << 32 | ip, 0x6e676c34);
}

static bool
rule_eq(uint32_t id, const void *key, void *arg)
{
	const struct lpm4_rule *r = &((const struct ng_lpm4_books *)arg)->rules[id];
	const struct lpm4_key *k = key;

	return r->ip == k->ip && r->depth == k->depth;
}

/* The slot of the rule (ip masked to depth), or -1. */
static int64_t
rule_find(const struct ng_lpm4_books *b, uint32_t ip, unsigned int depth)
{
	struct lpm4_key k = {.ip = ip, .depth = depth};

	return ng_idtab_find(&b->idx, rule_hash(ip, depth), &k);
}

static void
depth_count(struct ng_lpm4_books *b, unsigned int depth, int d)
{
	b->n_depth[depth] += (uint32_t)d; /* -1 wraps to a decrement */
	if (b->n_depth[depth] != 0)
		b->depths |= 1ull << depth;
	else
		b->depths &= ~(1ull << depth);
}

/* @return the new rule's slot, or -ENOSPC / -ENOMEM (nothing changed). */
static int64_t
rule_new(struct ng_lpm4_books *b, uint32_t ip, unsigned int depth, uint32_t nh)
{
	uint32_t i;

	if (b->n_rules >= b->max_rules)
		return -ENOSPC;
	i = b->n_rule_free > 0 ? b->rule_free[b->n_rule_free - 1] : b->hw;
	if (ng_idtab_add(&b->idx, rule_hash(ip, depth), i) < 0)
		return -ENOMEM;
	if (b->n_rule_free > 0)
		b->n_rule_free--;
	else
		b->hw++;
	b->rules[i] = (struct lpm4_rule){.ip = ip, .nh = nh, .depth = (uint8_t)depth};
	b->n_rules++;
	depth_count(b, depth, 1);
	return i;
}

static void
rule_del(struct ng_lpm4_books *b, uint32_t i)
{
	struct lpm4_rule *r = &b->rules[i];

	ng_idtab_del(&b->idx, rule_hash(r->ip, r->depth), i);
	depth_count(b, r->depth, -1);
	b->n_rules--;
	b->rule_free[b->n_rule_free++] = i;
}

/*
 * The entry of the longest rule shorter than depth that covers ip, or 0: a
 * hash probe per shorter depth in use, longest first.
 */
static uint32_t
cover(const struct ng_lpm4_books *b, uint32_t ip, unsigned int depth)
{
	uint64_t m = b->depths & ((1ull << depth) - 1) & ~1ull;

	while (m != 0) {
		unsigned int d = 63 - (unsigned int)__builtin_clzll(m);
		int64_t i = rule_find(b, ip & depth_mask(d), d);

		if (i >= 0)
			return entry(b->rules[i].nh, d);
		m &= ~(1ull << d);
	}
	return 0;
}

static void
groups_reclaimed(void *p, void *e, unsigned int n)
{
	struct ng_lpm4_books *b = p;

	for (unsigned int i = 0; i < n; i++)
		b->group_free[b->n_group_free++] = ((uint32_t *)e)[i];
}

void
ng_lpm4_reclaim(struct ng_lpm4 *l)
{
	if (l != NULL && l->books->dq != NULL)
		rte_rcu_qsbr_dq_reclaim(l->books->dq, l->books->n_groups, NULL, NULL, NULL);
}

/* A free group (the last freed, else the lowest never used), reclaiming those
 * whose grace period ended when there is none; -1 when none is free. */
static int64_t
group_take(struct ng_lpm4 *l)
{
	struct ng_lpm4_books *b = l->books;

	if (b->n_group_free == 0 && b->group_hw == b->n_groups)
		ng_lpm4_reclaim(l);
	if (b->n_group_free > 0)
		return b->group_free[--b->n_group_free];
	if (b->group_hw < b->n_groups)
		return b->group_hw++;
	return -1;
}

/* Readers may still be in group g: it is reused after a grace period. */
static void
group_put(struct ng_lpm4 *l, uint32_t g)
{
	struct ng_lpm4_books *b = l->books;

	if (b->dq == NULL) {
		b->group_free[b->n_group_free++] = g;
		return;
	}
	/* The queue holds every group: it cannot be full. */
	if (rte_rcu_qsbr_dq_enqueue(b->dq, &g) != 0)
		NG_LOG(WARNING, ROUTE, "LPM group defer queue refused group %u: left in use", g);
}

/* Write e over the n entries from p that hold no route or one of at most depth. */
static void
write_over(uint32_t *p, uint32_t n, unsigned int depth, uint32_t e)
{
	for (uint32_t i = 0; i < n; i++)
		if ((p[i] & NG_LPM4_VALID) == 0 || entry_depth(p[i]) <= depth)
			entry_store(&p[i], e);
}

/* Write e over the n entries from p that hold a route of exactly depth. */
static void
write_depth(uint32_t *p, uint32_t n, unsigned int depth, uint32_t e)
{
	for (uint32_t i = 0; i < n; i++)
		if ((p[i] & NG_LPM4_VALID) != 0 && entry_depth(p[i]) == depth)
			entry_store(&p[i], e);
}

static uint32_t *
group(const struct ng_lpm4 *l, uint32_t g)
{
	return &l->tbl8[(size_t)g * NG_LPM4_GROUP_ENTRIES];
}

struct ng_lpm4 *
ng_lpm4_create(const char *name, uint32_t max_rules, uint32_t n_groups,
		struct rte_rcu_qsbr *qsbr)
{
	struct ng_lpm4_books *b;
	struct ng_lpm4 *l;

	if (name == NULL || max_rules == 0 || n_groups == 0 || n_groups > NG_LPM4_GROUPS_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}
	l = rte_zmalloc("ng_lpm4", sizeof(*l), RTE_CACHE_LINE_SIZE);
	b = calloc(1, sizeof(*b));
	if (l == NULL || b == NULL) {
		rte_free(l);
		free(b);
		rte_errno = ENOMEM;
		return NULL;
	}
	l->books = b;
	b->max_rules = max_rules;
	b->n_groups = n_groups;
	/* Slots past the high-water marks are never read: the pages stay untouched. */
	b->rules = malloc(sizeof(*b->rules) * max_rules);
	b->rule_free = malloc(sizeof(*b->rule_free) * max_rules);
	b->group_free = malloc(sizeof(*b->group_free) * n_groups);
	b->n_long = calloc(n_groups, sizeof(*b->n_long));
	l->tbl8 = rte_zmalloc("ng_lpm4_tbl8", sizeof(*l->tbl8) * NG_LPM4_GROUP_ENTRIES * n_groups,
			RTE_CACHE_LINE_SIZE);
	if (b->rules == NULL || b->rule_free == NULL || b->group_free == NULL ||
			b->n_long == NULL || l->tbl8 == NULL || ng_idtab_init(&b->idx, rule_eq, b) < 0)
		goto fail;
	if (qsbr != NULL) {
		struct rte_rcu_qsbr_dq_parameters dqp = {0};

		dqp.name = name;
		dqp.size = n_groups;
		dqp.esize = sizeof(uint32_t);
		dqp.trigger_reclaim_limit = 1;
		dqp.max_reclaim_size = n_groups;
		dqp.free_fn = groups_reclaimed;
		dqp.p = b;
		dqp.v = qsbr;
		b->dq = rte_rcu_qsbr_dq_create(&dqp);
		if (b->dq == NULL)
			goto fail;
	}
	return l;
fail:
	ng_lpm4_free(l);
	rte_errno = ENOMEM;
	return NULL;
}

void
ng_lpm4_free(struct ng_lpm4 *l)
{
	struct ng_lpm4_books *b;

	if (l == NULL)
		return;
	b = l->books;
	/* The queue's callback writes group_free: it goes first. At exit the
	 * heap goes whole, and freeing would zero the 64 MiB tbl24. */
	if (b->dq != NULL && !ng_exiting())
		rte_rcu_qsbr_dq_delete(b->dq);
	ng_idtab_fini(&b->idx);
	free(b->rules);
	free(b->rule_free);
	free(b->group_free);
	free(b->n_long);
	free(b);
	if (ng_exiting())
		return;
	rte_free(l->tbl8);
	rte_free(l);
}

uint32_t
ng_lpm4_groups_used(const struct ng_lpm4 *l)
{
	return l->books->group_hw - l->books->n_group_free;
}

uint32_t
ng_lpm4_rules(const struct ng_lpm4 *l)
{
	return l->books->n_rules;
}

/* Write a rule of at most /24 into the first level and the groups under it. */
static void
add_short(struct ng_lpm4 *l, uint32_t ip, unsigned int depth, uint32_t e)
{
	uint32_t first = ip >> 8, end = first + (1u << (24 - depth));

	for (uint32_t i = first; i < end; i++) {
		uint32_t t = l->tbl24[i];

		if ((t & NG_LPM4_EXT) != 0)
			write_over(group(l, t & NG_LPM4_NH_MASK), NG_LPM4_GROUP_ENTRIES, depth, e);
		else if ((t & NG_LPM4_VALID) == 0 || entry_depth(t) <= depth)
			entry_store(&l->tbl24[i], e);
	}
}

int
ng_lpm4_add(struct ng_lpm4 *l, uint32_t ip, uint8_t depth, uint32_t nh)
{
	struct ng_lpm4_books *b;
	uint32_t e, t, *tbl;
	bool fresh;
	int64_t i, g;

	if (l == NULL || depth < 1 || depth > 32 || nh > NG_LPM4_NH_MAX)
		return -EINVAL;
	b = l->books;
	ip &= depth_mask(depth);
	e = entry(nh, depth);
	i = rule_find(b, ip, depth);
	fresh = i < 0;
	if (fresh) {
		i = rule_new(b, ip, depth, nh);
		if (i < 0)
			return (int)i;
	}
	b->rules[i].nh = nh;
	if (depth <= 24) {
		add_short(l, ip, depth, e);
		return 0;
	}
	t = l->tbl24[ip >> 8];
	if ((t & NG_LPM4_EXT) != 0) {
		g = t & NG_LPM4_NH_MASK;
		tbl = group(l, (uint32_t)g);
		write_over(&tbl[ip & 0xff], 1u << (32 - depth), depth, e);
	} else {
		/* No rule longer than /24 in this /24 yet (so this one is new). */
		g = group_take(l);
		if (g < 0) {
			rule_del(b, (uint32_t)i);
			return -ENOSPC;
		}
		/* Not visible yet: it takes the /24's entry, then the rule's range. */
		tbl = group(l, (uint32_t)g);
		for (uint32_t k = 0; k < NG_LPM4_GROUP_ENTRIES; k++)
			entry_store(&tbl[k], t);
		write_over(&tbl[ip & 0xff], 1u << (32 - depth), depth, e);
		__atomic_store_n(&l->tbl24[ip >> 8], (uint32_t)g | NG_LPM4_VALID | NG_LPM4_EXT,
				__ATOMIC_RELEASE);
	}
	if (fresh)
		b->n_long[g]++;
	return 0;
}

int
ng_lpm4_delete(struct ng_lpm4 *l, uint32_t ip, uint8_t depth)
{
	struct ng_lpm4_books *b;
	uint32_t sub, *tbl, g;
	int64_t i;

	if (l == NULL || depth < 1 || depth > 32)
		return -EINVAL;
	b = l->books;
	ip &= depth_mask(depth);
	i = rule_find(b, ip, depth);
	if (i < 0)
		return -ENOENT;
	rule_del(b, (uint32_t)i);
	/* What its addresses fall back to: the same for all of them, since a
	 * shorter rule that covers one covers the whole prefix. */
	sub = cover(b, ip, depth);
	if (depth <= 24) {
		uint32_t first = ip >> 8, end = first + (1u << (24 - depth));

		/* No group collapses: the rules longer than /24 stay. */
		for (uint32_t k = first; k < end; k++) {
			uint32_t t = l->tbl24[k];

			if ((t & NG_LPM4_EXT) != 0)
				write_depth(group(l, t & NG_LPM4_NH_MASK), NG_LPM4_GROUP_ENTRIES,
						depth, sub);
			else if ((t & NG_LPM4_VALID) != 0 && entry_depth(t) == depth)
				entry_store(&l->tbl24[k], sub);
		}
		return 0;
	}
	g = l->tbl24[ip >> 8] & NG_LPM4_NH_MASK;
	tbl = group(l, g);
	if (--b->n_long[g] > 0) {
		write_depth(&tbl[ip & 0xff], 1u << (32 - depth), depth, sub);
		return 0;
	}
	/* It was the /24's last rule longer than /24: sub is the /24's own entry
	 * (a rule of at most /24, or none). Readers may still be in the group. */
	__atomic_store_n(&l->tbl24[ip >> 8], sub, __ATOMIC_RELEASE);
	group_put(l, g);
	return 0;
}
