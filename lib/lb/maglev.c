/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "ng_hash.h"

static const uint32_t ladder[] = {
	257, 521, 1031, 2053, 4099, 8209, 16411, 32771, 65537,
};

uint32_t
ng_maglev_size(uint32_t n_backends)
{
	uint64_t want = (uint64_t)n_backends * NG_MAGLEV_FACTOR;

	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++)
		if (ladder[i] >= want)
			return ladder[i];
	return NG_MAGLEV_MAX;
}

static void
backend_key(const struct ng_maglev_backend *b, uint8_t key[19])
{
	memset(key, 0, 19);
	key[0] = b->addr.family;
	if (b->addr.family == AF_INET)
		memcpy(key + 1, &b->addr.v4, 4);
	else
		memcpy(key + 1, b->addr.v6, 16);
	key[17] = (uint8_t)(b->port >> 8);
	key[18] = (uint8_t)b->port;
}

/*
 * The fill. Each backend walks its permutation (offset, then + skip mod m)
 * and, in turn, takes the first free slot on its walk. While many slots are
 * free a walk finds one in a few steps; the last ones cost a walk of about
 * m / free steps each (most of the probes of a whole fill go to the last few
 * percent). So once at most MAGLEV_TAIL slots are free (and the table is
 * shared by at least MAGLEV_TAIL_MIN_N backends: with fewer the walks rarely
 * meet and probing stays cheaper, measured), the slot a walk
 * would reach first is computed instead: from the walk's position p, free
 * slot f lies ((f - p) * skip^-1) mod m steps ahead (m is prime), and the
 * walk stops at the free slot with the fewest steps. Same slot, same table,
 * without the probes.
 */
#define MAGLEV_TAIL 32
#define MAGLEV_TAIL_MIN_N 8

struct walk {
	uint32_t pos;	/* next slot to try */
	uint32_t skip;	/* 1..m-1 */
	uint32_t inv;	/* skip^-1 mod m, for the tail */
	uint32_t weight;
	uint64_t credit;
};

struct fill {
	uint16_t *table;
	uint32_t m;
	uint32_t filled;
	uint32_t n_free;	/* entries of free_slots, in the tail */
	bool tail;		/* the free slots are listed and the inverses known */
	bool probe_only;	/* m is not prime: no inverses, probe to the end */
	double inv_m;
	uint32_t free_slots[MAGLEV_TAIL];
};

static inline uint32_t
step(uint32_t pos, uint32_t skip, uint32_t m)
{
	pos += skip;	/* both < m <= 65537: no overflow */
	return pos >= m ? pos - m : pos;
}

/* a^-1 mod m (extended Euclid); 0 when a and m are not coprime. */
static uint32_t
inverse_mod(uint32_t a, uint32_t m)
{
	int64_t t = 0, nt = 1, r = m, nr = a;

	while (nr != 0) {
		int64_t q = r / nr, x;

		x = t - q * nt;
		t = nt;
		nt = x;
		x = r - q * nr;
		r = nr;
		nr = x;
	}
	if (r != 1)
		return 0;
	return (uint32_t)(t < 0 ? t + m : t);
}

/* x mod m for x < 2^34 (a product of two values below m): the quotient from
 * a double is off by at most one. */
static inline uint32_t
mod_small(uint64_t x, uint32_t m, double inv_m)
{
	int64_t r = (int64_t)x - (int64_t)((double)x * inv_m) * m;

	if (r < 0)
		r += m;
	else if (r >= m)
		r -= m;
	return (uint32_t)r;
}

/* Enter the tail: list the free slots, and each walk's inverse step. False
 * (stay with probing) if a step has no inverse, i.e. m is not prime. */
static bool
tail_begin(struct fill *f, struct walk *w, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		w[i].inv = inverse_mod(w[i].skip, f->m);
		if (w[i].inv == 0)
			return false;
	}
	f->n_free = 0;
	for (uint32_t s = 0; s < f->m; s++)
		if (f->table[s] == NG_MAGLEV_NONE)
			f->free_slots[f->n_free++] = s;
	f->inv_m = 1.0 / f->m;
	f->tail = true;
	return true;
}

/* The free slot walk w reaches first, taken off the list. */
static uint32_t
tail_take(struct fill *f, const struct walk *w)
{
	uint32_t best = 0, best_d = UINT32_MAX, s;

	for (uint32_t k = 0; k < f->n_free; k++) {
		uint32_t ahead = f->free_slots[k] + f->m - w->pos;
		uint32_t d = mod_small((uint64_t)(ahead >= f->m ? ahead - f->m : ahead) * w->inv,
				f->m, f->inv_m);

		if (d < best_d) {
			best_d = d;
			best = k;
		}
	}
	s = f->free_slots[best];
	f->free_slots[best] = f->free_slots[--f->n_free];
	return s;
}

/*
 * Four walks at once. Slots are only ever filled, so a walk may skip the
 * occupied slots ahead of it at any time: its next free slot stays the same.
 * Before backends i..i+3 take their turns, their walks skip ahead together
 * in one loop with no branch but the loop's own (the four chains of loads
 * overlap, and the loop's exit is missed once for four walks rather than
 * once for each). The walk whose slot an earlier one of the four takes
 * probes on from there in place(). Same slots as probing one at a time.
 * With m prime (the ladder's sizes, which the whole fill assumes) every walk
 * passes every slot, so while slots are free each of the four meets one,
 * whether or not its backend places again (weight 0).
 *
 * The four positions step on whatever the slots hold, and each walk records
 * the first free slot it passed: a position that stopped on a free slot
 * would make the next address wait for the load and compare of the last
 * (about 9 cycles an iteration); stepping regardless leaves an add and a
 * compare on the chain, and the loads overlap: 12% off a 10-backend fill.
 */
#define MAGLEV_GROUP 4

static inline void
note_free(const uint16_t *t, uint32_t p, uint32_t *first, uint32_t *found)
{
	*first = *found ? *first : p;
	*found |= t[p] == NG_MAGLEV_NONE;
}

static void
skip_taken4(const uint16_t *t, struct walk *w, uint32_t m)
{
	uint32_t p0 = w[0].pos, p1 = w[1].pos, p2 = w[2].pos, p3 = w[3].pos;
	uint32_t f0 = p0, f1 = p1, f2 = p2, f3 = p3;
	uint32_t d0 = 0, d1 = 0, d2 = 0, d3 = 0;
	const uint32_t s0 = w[0].skip, s1 = w[1].skip, s2 = w[2].skip, s3 = w[3].skip;

	for (;;) {
		note_free(t, p0, &f0, &d0);
		note_free(t, p1, &f1, &d1);
		note_free(t, p2, &f2, &d2);
		note_free(t, p3, &f3, &d3);
		if ((d0 & d1 & d2 & d3) != 0)
			break;
		p0 = step(p0, s0, m);
		p1 = step(p1, s1, m);
		p2 = step(p2, s2, m);
		p3 = step(p3, s3, m);
	}
	w[0].pos = f0;
	w[1].pos = f1;
	w[2].pos = f2;
	w[3].pos = f3;
}

/* Backend i takes the next free slot on its walk. */
static inline void
place(struct fill *f, struct walk *w, uint32_t n, uint32_t i)
{
	uint16_t *t = f->table;
	uint32_t p = w[i].pos, skip = w[i].skip, m = f->m;

	if (!f->tail && !f->probe_only && m - f->filled <= MAGLEV_TAIL)
		f->probe_only = !tail_begin(f, w, n);
	if (f->tail) {
		p = tail_take(f, &w[i]);
	} else {
		while (t[p] != NG_MAGLEV_NONE)
			p = step(p, skip, m);
	}
	t[p] = (uint16_t)i;
	w[i].pos = step(p, skip, m);
	f->filled++;
}

int
ng_maglev_build(const struct ng_maglev_backend *b, uint32_t n, uint16_t *table, uint32_t m)
{
	struct fill f = {.table = table, .m = m, .probe_only = n < MAGLEV_TAIL_MIN_N};
	uint32_t maxw = 0;
	struct walk *w;

	/* NG_MAGLEV_NONE is all ones. */
	memset(table, 0xff, (size_t)m * sizeof(*table));
	if (n == 0 || n >= NG_MAGLEV_NONE || m < 2)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (b[i].weight > maxw)
			maxw = b[i].weight;
	if (maxw == 0)
		return -EINVAL;

	w = calloc(n, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t key[19];

		backend_key(&b[i], key);
		w[i].pos = (uint32_t)(ng_hash_bytes(key, sizeof(key), 0x4d61676c65763031ull) % m);
		w[i].skip = (uint32_t)(ng_hash_bytes(key, sizeof(key), 0x536b697070657231ull) %
				(m - 1) + 1);
		w[i].weight = b[i].weight;
	}
	while (f.filled < m) {
		for (uint32_t i = 0; i < n && f.filled < m; i++) {
			if (i % MAGLEV_GROUP == 0 && i + MAGLEV_GROUP <= n && !f.tail &&
					m - f.filled > MAGLEV_TAIL + MAGLEV_GROUP)
				skip_taken4(table, &w[i], m);
			w[i].credit += w[i].weight;
			while (w[i].credit >= maxw && f.filled < m) {
				w[i].credit -= maxw;
				place(&f, w, n, i);
			}
		}
	}
	free(w);
	return 0;
}
