/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pools of same-size objects carved from slabs (slab_priv.h says why).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#include "ng_mem.h"
#include "slab_priv.h"

/* Without hugepages, slabs are mapped in steps of a transparent huge page. */
#define SLAB_MAP_STEP (2u << 20)

static size_t mapped;	/* bytes of slabs mapped outside the DPDK heap, all pools */

void
ng_slab_init(struct ng_slab *s, const char *name, size_t size, uint32_t per_slab)
{
	size_t len;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->obj_size = RTE_ALIGN_CEIL(RTE_MAX(size, sizeof(void *)), RTE_CACHE_LINE_SIZE);
	s->per_slab = per_slab > 0 ? per_slab : 1;
	s->mapped = rte_eal_has_hugepages() == 0;
	if (s->mapped) {
		len = RTE_ALIGN_CEIL(s->obj_size * s->per_slab, SLAB_MAP_STEP);
		s->per_slab = (uint32_t)(len / s->obj_size);
	}
}

size_t
ng_slab_mapped_bytes(void)
{
	return mapped;
}

/*
 * A slab of len bytes (a multiple of SLAB_MAP_STEP) from a private anonymous
 * mapping aligned to SLAB_MAP_STEP, advised for transparent huge pages: the
 * populate then takes 2 MiB pages where the kernel has them (no page is
 * touched later for the first time: 256 MiB in 0.02 s against 0.47 s with
 * 4 KiB pages on the development VM, where the host backed the memory
 * already; where it did not, the cost moved into the kernel's clearing of
 * the huge pages: doc/architecture.md), and 4 KiB pages where it has not.
 */
static void *
slab_map(size_t len)
{
	size_t span = len + SLAB_MAP_STEP;
	uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *a;

	if (p == MAP_FAILED)
		return NULL;
	a = RTE_PTR_ALIGN_CEIL(p, SLAB_MAP_STEP);
	if (a > p)
		(void)munmap(p, (size_t)(a - p));
	if (p + span > a + len)
		(void)munmap(a + len, (size_t)(p + span - (a + len)));
#ifdef MADV_HUGEPAGE
	(void)madvise(a, len, MADV_HUGEPAGE);
#endif
	mapped += len;
	return a;
}

static void
slab_free(struct ng_slab *s, void *slab)
{
	size_t len = s->obj_size * s->per_slab;

	if (!s->mapped) {
		rte_free(slab);
		return;
	}
	len = RTE_ALIGN_CEIL(len, SLAB_MAP_STEP);
	(void)munmap(slab, len);
	mapped -= len;
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
	if (s->mapped)
		slab = slab_map(RTE_ALIGN_CEIL(len, SLAB_MAP_STEP));
	else
		slab = rte_malloc(s->name, len, RTE_CACHE_LINE_SIZE);
	if (slab == NULL)
		return -1;
	ng_mem_populate(slab, len);
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
		slab_free(s, s->slabs[i]);
	free(s->slabs);
	ng_slab_init(s, s->name, s->obj_size, s->per_slab);
}
