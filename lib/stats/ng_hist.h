/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_HIST_H
#define NG_HIST_H

/**
 * @file
 * Duration histograms for the control core (commit times, change-to-data-path
 * latency), in the shape Prometheus exposes them: fixed upper bounds, a count
 * and a sum. The bounds are 10 us doubling up to about 10.5 s, so one layout
 * covers a microsecond commit and a stalled grace period alike. Not for the
 * data path: observing is a plain read-modify-write, one writer.
 */

#include <stdint.h>

#define NG_HIST_BUCKETS 21          /**< finite upper bounds; +Inf is count */
#define NG_HIST_FIRST_NS 10000ull   /**< the first bound: 10 us */

struct ng_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t bucket[NG_HIST_BUCKETS]; /**< observations <= bound i and > bound i-1 */
};

/** Upper bound of bucket i in nanoseconds. */
static inline uint64_t
ng_hist_bound_ns(unsigned int i)
{
	return NG_HIST_FIRST_NS << i;
}

/** Record one duration. */
static inline void
ng_hist_observe(struct ng_hist *h, uint64_t ns)
{
	unsigned int i = 0;

	while (i < NG_HIST_BUCKETS && ns > ng_hist_bound_ns(i))
		i++;
	if (i < NG_HIST_BUCKETS)
		h->bucket[i]++;
	h->count++;
	h->sum_ns += ns;
}

#endif
