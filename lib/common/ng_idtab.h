/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_IDTAB_H
#define NG_IDTAB_H

/**
 * @file
 * An index of ids by key for the control core: open addressing over the
 * process heap (not DPDK memory), 8 bytes a slot, growing as it fills. The
 * caller keeps its keys in its own records (a service's name, a route's
 * prefix) and gives a hash with every call and an equality function once, so
 * a record costs the index 16 to 32 bytes however long its key. Add, find and
 * delete are O(1) on average. Not for workers: it grows with realloc.
 */

#include <stdbool.h>
#include <stdint.h>

/** Is the record `id` the one with this key? */
typedef bool (*ng_idtab_eq_fn)(uint32_t id, const void *key, void *arg);

struct ng_idtab {
	uint64_t *slot;   /**< (hash << 32) | (id + 1); 0: free */
	uint32_t mask;    /**< slots - 1 */
	uint32_t n;
	ng_idtab_eq_fn eq;
	void *arg;
};

/** An empty index. @return 0 or -ENOMEM. */
int ng_idtab_init(struct ng_idtab *t, ng_idtab_eq_fn eq, void *arg);

/** Free the slots (not the records). */
void ng_idtab_fini(struct ng_idtab *t);

/** The id with key (hash h), or -1. */
int64_t ng_idtab_find(const struct ng_idtab *t, uint32_t h, const void *key);

/**
 * Add id under hash h; the caller has checked that its key is not there.
 * @return 0, or -ENOMEM (the index is unchanged).
 */
int ng_idtab_add(struct ng_idtab *t, uint32_t h, uint32_t id);

/** Remove id, added under hash h. @return 0, or -ENOENT. */
int ng_idtab_del(struct ng_idtab *t, uint32_t h, uint32_t id);

/** Bytes of the slots. */
uint64_t ng_idtab_bytes(const struct ng_idtab *t);

#endif
