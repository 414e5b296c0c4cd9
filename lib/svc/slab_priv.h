/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_SVC_SLAB_PRIV_H
#define NG_SVC_SLAB_PRIV_H

/**
 * @file
 * Pools of same-size objects in DPDK memory, carved from slabs (control core
 * only; lib/svc private).
 *
 * The compiler allocates and frees tens of thousands of objects during a
 * sync (frontend index chunks, service objects). One rte_malloc() each walks
 * the DPDK heap's free lists, which the holes of freed objects lengthen, and
 * first touches each object's pages one fault at a time; a pool takes a slab
 * of objects at once, with its pages populated in one madvise() call where
 * the kernel can, and reuses what comes back. Slabs go back to the heap when
 * the pool's last object does (shutdown, or a table emptied).
 *
 * Where the EAL runs without hugepages (--no-huge: the DPDK heap is then a
 * shared memfd of 4 KiB pages, which transparent huge pages do not serve),
 * slabs are private anonymous mappings of whole 2 MiB steps instead, advised
 * for transparent huge pages (per_slab grows to fill the step): the first
 * touch of a service object's pages was the largest cost of a sync after
 * Maglev's fills. With hugepages nothing changes: the heap is populated
 * already and stays on hugepages.
 */

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

struct ng_slab {
	const char *name;   /* rte_malloc() type */
	size_t obj_size;    /* a multiple of RTE_CACHE_LINE_SIZE */
	uint32_t per_slab;
	bool mapped;        /* slabs from mmap() (no hugepages), not rte_malloc() */
	void *free;         /* free objects, linked through their first bytes */
	void **slabs;       /* [cap_slabs] */
	uint32_t n_slabs, cap_slabs;
	uint64_t out;       /* objects handed out */
};

/**
 * An empty pool of objects of size bytes (rounded up to a cache line), per_slab a slab
 * (more where slabs are mapped: as many as fill the slab's 2 MiB steps). Call after
 * rte_eal_init().
 */
void ng_slab_init(struct ng_slab *s, const char *name, size_t size, uint32_t per_slab);

/**
 * An object, cache-line aligned, contents undefined.
 * @return NULL when a slab cannot be had (out of memory).
 */
void *ng_slab_get(struct ng_slab *s);

/** Give obj back (NULL: nothing); the last one back frees every slab. */
void ng_slab_put(struct ng_slab *s, void *obj);

/** Bytes of the slabs of all pools held in mappings of their own (not the DPDK heap). */
size_t ng_slab_mapped_bytes(void);

#endif
