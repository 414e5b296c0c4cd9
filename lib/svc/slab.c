/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pools of same-size objects carved from slabs (slab_priv.h says why).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "slab_priv.h"

void
ng_slab_init(struct ng_slab *s, const char *name, size_t size, uint32_t per_slab)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->obj_size = RTE_ALIGN_CEIL(RTE_MAX(size, sizeof(void *)), RTE_CACHE_LINE_SIZE);
	s->per_slab = per_slab > 0 ? per_slab : 1;
}

/*
 * Fault a new slab's pages in at once: one system call instead of a page
 * fault for each page the compiler would touch first (the bench runs on
 * --no-huge memory; hugepages are populated already, and a kernel without
 * MADV_POPULATE_WRITE, 5.14, refuses it: the pages then fault as before).
 */
static void
populate(void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t a = RTE_ALIGN_CEIL((uintptr_t)p, 4096), e = RTE_ALIGN_FLOOR((uintptr_t)p + len, 4096);

	if (e > a)
		(void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)len;
#endif
}

static int
slab_grow(struct ng_slab *s)
{
	size_t len = s->obj_size * s->per_slab;
	uint8_t *slab;

	if (s->n_slabs == s->cap_slabs) {
		uint32_t c = s->cap_slabs ? 2 * s->cap_slabs : 16;
		void **sl = realloc(s->slabs, c * sizeof(*sl));

		if (sl == NULL)
			return -1;
		s->slabs = sl;
		s->cap_slabs = c;
	}
	slab = rte_malloc(s->name, len, RTE_CACHE_LINE_SIZE);
	if (slab == NULL)
		return -1;
	populate(slab, len);
	s->slabs[s->n_slabs++] = slab;
	/* Pushed from the end, so objects go out in address order. */
	for (uint32_t i = s->per_slab; i > 0; i--) {
		void *o = slab + (size_t)(i - 1) * s->obj_size;

		memcpy(o, &s->free, sizeof(void *));
		s->free = o;
	}
	return 0;
}

void *
ng_slab_get(struct ng_slab *s)
{
	void *o;

	if (s->free == NULL && slab_grow(s) < 0)
		return NULL;
	o = s->free;
	memcpy(&s->free, o, sizeof(void *));
	s->out++;
	return o;
}

void
ng_slab_put(struct ng_slab *s, void *obj)
{
	if (obj == NULL)
		return;
	memcpy(obj, &s->free, sizeof(void *));
	s->free = obj;
	if (--s->out > 0)
		return;
	for (uint32_t i = 0; i < s->n_slabs; i++)
		rte_free(s->slabs[i]);
	free(s->slabs);
	ng_slab_init(s, s->name, s->obj_size, s->per_slab);
}
