/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Open addressing with linear probing and backward-shift delete; the table
 * doubles when it would pass half full, so probes stay short.
 */
#include <errno.h>
#include <stdlib.h>

#include "ng_idtab.h"

#define SLOTS_MIN 64u

static uint64_t
entry(uint32_t h, uint32_t id)
{
	return ((uint64_t)h << 32) | ((uint64_t)id + 1);
}

static uint32_t
entry_id(uint64_t e)
{
	return (uint32_t)e - 1;
}

static uint32_t
entry_hash(uint64_t e)
{
	return (uint32_t)(e >> 32);
}

static void
put(uint64_t *slot, uint32_t mask, uint64_t e)
{
	uint32_t i = entry_hash(e) & mask;

	while (slot[i] != 0)
		i = (i + 1) & mask;
	slot[i] = e;
}

int
ng_idtab_init(struct ng_idtab *t, ng_idtab_eq_fn eq, void *arg)
{
	t->slot = calloc(SLOTS_MIN, sizeof(*t->slot));
	t->mask = SLOTS_MIN - 1;
	t->n = 0;
	t->eq = eq;
	t->arg = arg;
	return t->slot == NULL ? -ENOMEM : 0;
}

void
ng_idtab_fini(struct ng_idtab *t)
{
	free(t->slot);
	t->slot = NULL;
	t->mask = 0;
	t->n = 0;
}

int64_t
ng_idtab_find(const struct ng_idtab *t, uint32_t h, const void *key)
{
	if (t->slot == NULL)
		return -1;
	for (uint32_t i = h & t->mask; t->slot[i] != 0; i = (i + 1) & t->mask) {
		uint64_t e = t->slot[i];

		if (entry_hash(e) == h && t->eq(entry_id(e), key, t->arg))
			return entry_id(e);
	}
	return -1;
}

int
ng_idtab_add(struct ng_idtab *t, uint32_t h, uint32_t id)
{
	if (2 * ((uint64_t)t->n + 1) > (uint64_t)t->mask + 1) {
		uint32_t slots = 2 * (t->mask + 1);
		uint64_t *n = slots == 0 ? NULL : calloc(slots, sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; i <= t->mask; i++)
			if (t->slot[i] != 0)
				put(n, slots - 1, t->slot[i]);
		free(t->slot);
		t->slot = n;
		t->mask = slots - 1;
	}
	put(t->slot, t->mask, entry(h, id));
	t->n++;
	return 0;
}

int
ng_idtab_del(struct ng_idtab *t, uint32_t h, uint32_t id)
{
	uint64_t want = entry(h, id);
	uint32_t i, j, home;

	if (t->slot == NULL)
		return -ENOENT;
	for (i = h & t->mask; t->slot[i] != want; i = (i + 1) & t->mask)
		if (t->slot[i] == 0)
			return -ENOENT;
	t->slot[i] = 0;
	t->n--;
	/* Move back the entries of the probe run after the hole whose home slot
	 * does not lie cyclically in (i, j]. */
	for (j = (i + 1) & t->mask; t->slot[j] != 0; j = (j + 1) & t->mask) {
		home = entry_hash(t->slot[j]) & t->mask;
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			t->slot[i] = t->slot[j];
			t->slot[j] = 0;
			i = j;
		}
	}
	return 0;
}

uint64_t
ng_idtab_bytes(const struct ng_idtab *t)
{
	return t->slot == NULL ? 0 : ((uint64_t)t->mask + 1) * sizeof(*t->slot);
}
