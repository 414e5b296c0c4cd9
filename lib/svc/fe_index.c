/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The frontend index, writer's side (control core): copy-on-write chunks
 * under a directory (fe_index_priv.h says how a commit uses it, svc_dp.h
 * has the layout and the lookup, doc/architecture.md why).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "fe_index_priv.h"
#include "slab_priv.h"

/*
 * Chunks come from a pool of slabs (slab_priv.h). A commit of the first sync
 * copies hundreds of 10 KiB chunks and frees as many a grace period later;
 * from the DPDK heap (rte_malloc walks its free lists, and the holes they
 * left between service objects grew them), at 60,000 services that made the
 * sync's control-core CPU grow faster than the table.
 */
#define SLAB_CHUNKS 64

static struct ng_slab pool;

static struct ng_fe_chunk *
chunk_alloc(void)
{
	if (pool.obj_size == 0)
		ng_slab_init(&pool, "ng_fe_chunks", sizeof(struct ng_fe_chunk), SLAB_CHUNKS);
	return ng_slab_get(&pool);
}

static void
chunk_free(struct ng_fe_chunk *c)
{
	ng_slab_put(&pool, c);
}

#define SLOT_MASK (NG_FE_CHUNK_SLOTS - 1)
/* A chunk never holds more: probes stay short and always meet a free slot. */
#define FILL_MAX (NG_FE_CHUNK_SLOTS * 3 / 4)

/* Chunks for keys at half load at most. */
static uint32_t
dir_size(uint32_t keys)
{
	uint32_t d = 1;

	while ((uint64_t)d * NG_FE_CHUNK_SLOTS / 2 < keys)
		d <<= 1;
	return d;
}

static uint64_t
dir_bytes(uint32_t chunks)
{
	return sizeof(struct ng_fe_index) + (uint64_t)chunks * sizeof(struct ng_fe_chunk *);
}

static struct ng_fe_index *
dir_alloc(uint32_t chunks, uint64_t gen)
{
	struct ng_fe_index *x = rte_malloc("ng_fe_dir", dir_bytes(chunks), RTE_CACHE_LINE_SIZE);

	if (x == NULL)
		return NULL;
	x->gen = gen;
	x->mask = chunks - 1;
	x->n = 0;
	return x;
}

/* Slot of k in chunk c, or -1. */
static int
slot_find(const struct ng_fe_chunk *c, uint32_t h, const struct ng_fe_key *k)
{
	for (uint32_t i = h & SLOT_MASK;; i = (i + 1) & SLOT_MASK) {
		if (!c->slot[i].used)
			return -1;
		if (ng_fe_key_eq(&c->slot[i].key, k))
			return (int)i;
	}
}

/* Put a key that c lacks into its first free slot. */
static void
slot_put(struct ng_fe_chunk *c, uint32_t h, const struct ng_fe_key *k, struct ng_svc_obj *svc)
{
	uint32_t i = h & SLOT_MASK;

	while (c->slot[i].used)
		i = (i + 1) & SLOT_MASK;
	c->slot[i].key = *k;
	c->slot[i].svc = svc;
	c->slot[i].used = 1;
	c->n++;
}

static int
retire_push(struct ng_fe_cow *c, struct ng_fe_chunk *k)
{
	if (c->n_retire == c->cap_retire) {
		uint32_t cap = c->cap_retire ? c->cap_retire * 2 : 16;
		struct ng_fe_chunk **r = realloc(c->retire, cap * sizeof(*r));

		if (r == NULL)
			return -ENOMEM;
		c->retire = r;
		c->cap_retire = cap;
	}
	c->retire[c->n_retire++] = k;
	return 0;
}

/* Free the chunks x made itself (generation gen) and x; NULL is fine. */
static void
drop_own(struct ng_fe_index *x, uint64_t gen)
{
	if (x == NULL)
		return;
	for (uint32_t i = 0; i <= x->mask; i++)
		if (x->chunk[i] != NULL && x->chunk[i]->gen == gen)
			chunk_free(x->chunk[i]);
	rte_free(x);
}

/*
 * A new index of `chunks` chunks (generation gen) holding every key of src
 * (NULL: none). NULL with *rc = -ENOMEM, or -EAGAIN when a chunk would pass
 * FILL_MAX (the caller tries a larger directory).
 */
static struct ng_fe_index *
build(const struct ng_fe_index *src, uint32_t chunks, uint64_t gen, int *rc)
{
	struct ng_fe_index *x = dir_alloc(chunks, gen);

	*rc = -ENOMEM;
	if (x == NULL)
		return NULL;
	memset(x->chunk, 0, chunks * sizeof(x->chunk[0]));
	for (uint32_t i = 0; i < chunks; i++) {
		x->chunk[i] = chunk_alloc();
		if (x->chunk[i] == NULL)
			goto fail;
		memset(x->chunk[i], 0, sizeof(struct ng_fe_chunk));
		x->chunk[i]->gen = gen;
	}
	for (uint32_t i = 0; src != NULL && i <= src->mask; i++) {
		const struct ng_fe_chunk *s = src->chunk[i];

		for (uint32_t j = 0; j < NG_FE_CHUNK_SLOTS; j++) {
			uint32_t h;
			struct ng_fe_chunk *t;

			if (!s->slot[j].used)
				continue;
			h = ng_fe_hash(&s->slot[j].key);
			t = x->chunk[(h >> NG_FE_CHUNK_BITS) & x->mask];
			if (t->n >= FILL_MAX) {
				*rc = -EAGAIN;
				goto fail;
			}
			slot_put(t, h, &s->slot[j].key, s->slot[j].svc);
			x->n++;
		}
	}
	*rc = 0;
	return x;
fail:
	drop_own(x, gen);
	return NULL;
}

/*
 * Replace c->x (or, with from_old, start) by a rebuild of `from` into at least
 * `chunks` chunks. The chunks of c->x that the commit made are freed; those it
 * shared with the old index are retired.
 */
static int
rebuild(struct ng_fe_cow *c, const struct ng_fe_index *from, uint32_t chunks, uint64_t gen)
{
	struct ng_fe_index *n;
	int rc;

	/* Room to retire every chunk of the old index, so nothing fails half-way. */
	while (c->old != NULL && c->cap_retire < c->old->mask + 1) {
		struct ng_fe_chunk **r = realloc(c->retire,
				(c->old->mask + 1) * sizeof(*r));

		if (r == NULL)
			return -ENOMEM;
		c->retire = r;
		c->cap_retire = c->old->mask + 1;
	}
	do {
		n = build(from, chunks, gen, &rc);
		chunks <<= 1;
	} while (n == NULL && rc == -EAGAIN && chunks != 0);
	if (n == NULL)
		return rc;
	c->copied += ng_fe_bytes(n);
	c->rebuilds++;
	/* What n replaces: the chunks of the old index that c->x still shares
	 * (all of them when there is no c->x yet), and c->x itself. */
	if (c->old != NULL && (c->x == NULL || c->shares_old))
		for (uint32_t i = 0; i <= c->old->mask; i++) {
			struct ng_fe_chunk *k = c->old->chunk[i];

			if (c->x == NULL || c->x->chunk[i] == k)
				c->retire[c->n_retire++] = k;
		}
	drop_own(c->x, gen);
	c->x = n;
	c->shares_old = false;
	return 0;
}

int
ng_fe_begin(struct ng_fe_cow *c, const struct ng_fe_index *old, uint32_t keys)
{
	uint64_t gen = old != NULL ? old->gen + 1 : 1;
	uint32_t want = dir_size(keys), have;
	int rc;

	memset(c, 0, sizeof(*c));
	c->old = old;
	if (old == NULL)
		return rebuild(c, NULL, want, gen);
	have = old->mask + 1;
	if (want > have) {
		rc = rebuild(c, old, want, gen);
		if (rc < 0)
			ng_fe_abort(c);
		return rc;
	}
	c->x = dir_alloc(have, gen);
	if (c->x == NULL)
		return -ENOMEM;
	memcpy(c->x->chunk, old->chunk, have * sizeof(old->chunk[0]));
	c->x->n = old->n;
	c->shares_old = true;
	c->copied = dir_bytes(have);
	return 0;
}

void
ng_fe_finish(struct ng_fe_cow *c)
{
	uint32_t have = c->x->mask + 1, want = dir_size(c->x->n);

	/* Shrink once the keys fill an eighth of the slots or less (growing is at
	 * a half: a size in between never flips back and forth). Only memory is
	 * at stake, so running short of it leaves the index as it is. */
	if (have > 1 && want * 4 <= have)
		(void)rebuild(c, c->x, want, c->x->gen);
}

/* Chunk i of c->x, writable: a copy of the shared one the first time. */
static struct ng_fe_chunk *
chunk_w(struct ng_fe_cow *c, uint32_t i)
{
	struct ng_fe_chunk *k = c->x->chunk[i], *w;

	if (k->gen == c->x->gen)
		return k;
	w = chunk_alloc();
	if (w == NULL || retire_push(c, k) < 0) {
		chunk_free(w);
		return NULL;
	}
	memcpy(w, k, sizeof(*w));
	w->gen = c->x->gen;
	c->x->chunk[i] = w;
	c->copied += sizeof(*w);
	c->chunks_copied++;
	return w;
}

int
ng_fe_insert(struct ng_fe_cow *c, const struct ng_fe_key *k, struct ng_svc_obj *svc)
{
	uint32_t h = ng_fe_hash(k), ci;
	struct ng_fe_chunk *w;
	int i, rc;

	for (;;) {
		ci = (h >> NG_FE_CHUNK_BITS) & c->x->mask;
		i = slot_find(c->x->chunk[ci], h, k);
		if (i >= 0 || c->x->chunk[ci]->n < FILL_MAX)
			break;
		/* Skewed: this chunk is 3/4 full before the index is half full. */
		rc = rebuild(c, c->x, 2 * (c->x->mask + 1), c->x->gen);
		if (rc < 0)
			return rc;
	}
	if (i >= 0 && c->x->chunk[ci]->slot[i].svc == svc)
		return 0;
	w = chunk_w(c, ci);
	if (w == NULL)
		return -ENOMEM;
	if (i >= 0) {
		w->slot[i].svc = svc;
		return 0;
	}
	slot_put(w, h, k, svc);
	c->x->n++;
	return 0;
}

int
ng_fe_remove(struct ng_fe_cow *c, const struct ng_fe_key *k, const struct ng_svc_obj *owner)
{
	uint32_t h = ng_fe_hash(k), ci = (h >> NG_FE_CHUNK_BITS) & c->x->mask, i, j, home;
	int at = slot_find(c->x->chunk[ci], h, k);
	struct ng_fe_chunk *w;

	if (at < 0 || c->x->chunk[ci]->slot[at].svc != owner)
		return 0; /* gone, or taken over by another service in this commit */
	w = chunk_w(c, ci);
	if (w == NULL)
		return -ENOMEM;
	i = (uint32_t)at;
	w->slot[i].used = 0;
	w->n--;
	c->x->n--;
	/* Backward-shift delete: move back the entries of the probe run after the
	 * hole whose home slot does not lie cyclically in (i, j]. */
	for (j = (i + 1) & SLOT_MASK; w->slot[j].used; j = (j + 1) & SLOT_MASK) {
		home = ng_fe_hash(&w->slot[j].key) & SLOT_MASK;
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			w->slot[i] = w->slot[j];
			w->slot[j].used = 0;
			i = j;
		}
	}
	return 0;
}

void
ng_fe_abort(struct ng_fe_cow *c)
{
	/* The retired chunks are the old index's: it keeps them. */
	if (c->x != NULL)
		drop_own(c->x, c->x->gen);
	free(c->retire);
	memset(c, 0, sizeof(*c));
}

void
ng_fe_retire(struct ng_fe_index *x, struct ng_fe_chunk **retire, uint32_t n_retire)
{
	for (uint32_t i = 0; i < n_retire; i++)
		chunk_free(retire[i]);
	free(retire);
	rte_free(x);
}

void
ng_fe_free(struct ng_fe_index *x)
{
	if (x == NULL)
		return;
	for (uint32_t i = 0; i <= x->mask; i++)
		chunk_free(x->chunk[i]);
	rte_free(x);
}

uint64_t
ng_fe_bytes(const struct ng_fe_index *x)
{
	return x == NULL ? 0 : dir_bytes(x->mask + 1) +
			(uint64_t)(x->mask + 1) * sizeof(struct ng_fe_chunk);
}

uint64_t
ng_fe_new_bytes(const struct ng_fe_index *x)
{
	uint64_t b;

	if (x == NULL)
		return 0;
	b = dir_bytes(x->mask + 1);
	for (uint32_t i = 0; i <= x->mask; i++)
		b += x->chunk[i]->gen == x->gen ? sizeof(struct ng_fe_chunk) : 0;
	return b;
}
