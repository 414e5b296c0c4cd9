/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interned names of EndpointSlice endpoints: nodeName and the topology
 * hints' zone and node names.
 *
 * A cluster has few nodes and zones but many endpoints: at 50,000 Services
 * x 10 endpoints the decoder copied a node name 500,000 times, a malloc()
 * and a free() each. One reference-counted copy per distinct name instead,
 * in an open-addressing table (linear probing, grown at half full, entries
 * deleted by shifting the cluster back), freed with its last reference.
 * Control core only: not thread-safe.
 */
#include <stdlib.h>
#include <string.h>

#include "k8s_obj.h"
#include "ng_hash.h"

struct iname {
	uint64_t hash;
	uint32_t refs;
	char s[];
};

static struct {
	struct iname **slot;
	uint32_t cap;	/* a power of two, or 0 */
	uint32_t n;
} it;

static uint64_t
name_hash(const char *s, size_t len)
{
	return ng_hash_bytes(s, len, 0x696e7465726e3031ull);
}

static int
grow(void)
{
	uint32_t cap = it.cap ? it.cap * 2 : 64;
	struct iname **slot = calloc(cap, sizeof(*slot));

	if (slot == NULL)
		return -1;
	for (uint32_t i = 0; i < it.cap; i++) {
		struct iname *e = it.slot[i];
		uint32_t k;

		if (e == NULL)
			continue;
		for (k = (uint32_t)e->hash & (cap - 1); slot[k] != NULL; k = (k + 1) & (cap - 1))
			;
		slot[k] = e;
	}
	free(it.slot);
	it.slot = slot;
	it.cap = cap;
	return 0;
}

const char *
ng_k8s_name_get(const char *s)
{
	size_t len = strlen(s);
	uint64_t h = name_hash(s, len);
	struct iname *e;
	uint32_t k;

	if ((it.n + 1) * 2 > it.cap && grow() < 0)
		return NULL;
	for (k = (uint32_t)h & (it.cap - 1); (e = it.slot[k]) != NULL; k = (k + 1) & (it.cap - 1))
		if (e->hash == h && strcmp(e->s, s) == 0) {
			e->refs++;
			return e->s;
		}
	e = malloc(sizeof(*e) + len + 1);
	if (e == NULL)
		return NULL;
	e->hash = h;
	e->refs = 1;
	memcpy(e->s, s, len + 1);
	it.slot[k] = e;
	it.n++;
	return e->s;
}

/* Empty slot k, moving back the entries of its cluster that probed past it. */
static void
remove_at(uint32_t k)
{
	uint32_t mask = it.cap - 1, j = k;

	it.slot[k] = NULL;
	for (;;) {
		uint32_t home;

		j = (j + 1) & mask;
		if (it.slot[j] == NULL)
			return;
		home = (uint32_t)it.slot[j]->hash & mask;
		/* the entry at j may move to k unless its home lies in (k, j] */
		if (((j - home) & mask) >= ((j - k) & mask)) {
			it.slot[k] = it.slot[j];
			it.slot[j] = NULL;
			k = j;
		}
	}
}

void
ng_k8s_name_put(const char *s)
{
	struct iname *e;
	uint32_t k;

	if (s == NULL)
		return;
	e = (struct iname *)(void *)(s - offsetof(struct iname, s));
	if (--e->refs != 0)
		return;
	for (k = (uint32_t)e->hash & (it.cap - 1); it.slot[k] != e; k = (k + 1) & (it.cap - 1))
		;
	remove_at(k);
	free(e);
	if (--it.n == 0) {
		free(it.slot);
		it.slot = NULL;
		it.cap = 0;
	}
}

uint32_t
ng_k8s_names(void)
{
	return it.n;
}
