/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_FE_INDEX_PRIV_H
#define NG_FE_INDEX_PRIV_H

/*
 * The writer's side of the frontend index (control core; svc_dp.h has the
 * layout and the workers' lookup).
 *
 * A commit makes the index that follows the published one: it copies the
 * directory (8 bytes per chunk) and then only the chunks its keys fall in, the
 * first time it writes each (copy-on-write); every other chunk is shared with
 * the published index. What the commit copies or rebuilds is counted, so the
 * cost of a commit can be shown and tested: it follows the keys that changed,
 * not the keys there are. The chunks of the old index the new one no longer
 * holds are handed back, to be freed with the old index after its grace
 * period. Indexes retire in the order they were published, so a chunk needs
 * no reference count: the first index that does not hold it retires it.
 */

#include <stdbool.h>
#include <stdint.h>

#include "svc_dp.h"

/** One commit's work on the index. */
struct ng_fe_cow {
	const struct ng_fe_index *old; /**< the published index (only read); NULL: none */
	struct ng_fe_index *x;         /**< the index being written */
	struct ng_fe_chunk **retire;   /**< chunks of old that x does not hold */
	uint32_t n_retire, cap_retire;
	uint64_t copied;               /**< bytes copied: directory, chunks, rebuilds */
	uint32_t chunks_copied;        /**< chunks copied on write */
	uint32_t rebuilds;             /**< whole-index rebuilds (a new directory size) */
	bool shares_old;               /**< x is old's directory copied (same size) */
};

/**
 * Start the index that follows old (NULL: the first one) for a commit after
 * which it will hold about `keys` keys: a copy of old's directory sharing
 * every chunk, or, when `keys` is over half of old's slots, old rebuilt into
 * a larger directory.
 * @return 0, or -ENOMEM with nothing allocated.
 */
int ng_fe_begin(struct ng_fe_cow *c, const struct ng_fe_index *old, uint32_t keys);

/**
 * Map k to svc: a new key, or a key another service held. Grows the index
 * (rebuild) if k's chunk would pass 3/4 full.
 * @return 0, or -ENOMEM (the commit must be abandoned: ng_fe_abort()).
 */
int ng_fe_insert(struct ng_fe_cow *c, const struct ng_fe_key *k, struct ng_svc_obj *svc);

/**
 * Remove k if owner holds it (another service may have taken it over in the
 * same commit).
 * @return 0, or -ENOMEM (the commit must be abandoned: ng_fe_abort()).
 */
int ng_fe_remove(struct ng_fe_cow *c, const struct ng_fe_key *k,
		const struct ng_svc_obj *owner);

/** The commit's changes are all in: shrink the index if its keys fill an
 * eighth of its slots or less (best effort: short of memory, it stays). */
void ng_fe_finish(struct ng_fe_cow *c);

/** Abandon the commit: free what it made; the old index is untouched. */
void ng_fe_abort(struct ng_fe_cow *c);

/**
 * Free an index that a newer one replaced, after its grace period: its
 * directory and the chunks its successor's commit handed back in `retire`.
 * Takes the retire array (malloc'd; may be NULL).
 */
void ng_fe_retire(struct ng_fe_index *x, struct ng_fe_chunk **retire, uint32_t n_retire);

/** Free the last index with every chunk it holds (shutdown, or never published). */
void ng_fe_free(struct ng_fe_index *x);

/** Memory of an index: directory and chunks. */
uint64_t ng_fe_bytes(const struct ng_fe_index *x);

/** Memory a commit made: its directory and its own chunks (not the shared ones). */
uint64_t ng_fe_new_bytes(const struct ng_fe_index *x);

#endif
