/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_MAGLEV_H
#define NG_MAGLEV_H

/**
 * @file
 * Weighted Maglev consistent hashing (Eisenbud et al., NSDI 2016).
 *
 * The table size comes from a fixed ladder of primes (257, 521, 1031, ...,
 * 65537, roughly doubling): the smallest one at least NG_MAGLEV_FACTOR (200)
 * x the backend count, capped at 65537. Memory thus grows with the backends,
 * and two gateways with the same backends pick the same size. 200 rather
 * than 100: measured with this hash, removing 1 of N backends then moves at
 * most 1/N + 2% of the slots for N up to 100 (at 100 x it moved up to 1/N +
 * 5% for N = 20..100). Each backend's permutation comes from a deterministic hash of its
 * address and port, and backends are filled in the order given, so callers
 * pass them in a canonical order (sorted by address, then port) to get
 * identical tables on every gateway.
 *
 * Weights: in each filling round a backend earns credit equal to its weight
 * and places one slot per max-weight of credit, so slot shares follow the
 * weights. Weight 0 backends get no slots.
 */

#include <stdint.h>

#include "ng_addr.h"

#define NG_MAGLEV_FACTOR 200
#define NG_MAGLEV_MIN 257
#define NG_MAGLEV_MAX 65537
#define NG_MAGLEV_NONE UINT16_MAX

struct ng_maglev_backend {
	struct ng_ip addr;
	uint16_t port;
	uint32_t weight;
};

/** Table size for n backends (see the ladder above). */
uint32_t ng_maglev_size(uint32_t n_backends);

/**
 * Fill table[0..m-1] with backend indexes.
 * @param m a size from ng_maglev_size()
 * @return 0; -EINVAL when n is 0 or above 65534, or every weight is 0 (then
 *   the table is filled with NG_MAGLEV_NONE); -ENOMEM.
 */
int ng_maglev_build(const struct ng_maglev_backend *b, uint32_t n, uint16_t *table, uint32_t m);

/** Which instruction set the fill's tail uses (lib/lb/maglev.c: the tail's
 * rows). Every version builds the same tables. */
enum ng_maglev_impl {
	NG_MAGLEV_IMPL_AUTO,	/**< the best this CPU has (the default) */
	NG_MAGLEV_IMPL_SCALAR,	/**< plain C, any CPU */
	NG_MAGLEV_IMPL_AVX2,	/**< x86-64 with AVX2 */
	NG_MAGLEV_IMPL_AVX512,	/**< x86-64 with AVX-512BW */
};

/**
 * Force the version of the fill's tail, for tests and benchmarks (the
 * default is chosen from the CPU at the first fill). Not for use while
 * another thread fills.
 * @return 0; -ENOTSUP if this CPU (or build) lacks it; -EINVAL for an
 *   unknown value.
 */
int ng_maglev_set_impl(enum ng_maglev_impl impl);

/** The version of the fill's tail in use (never NG_MAGLEV_IMPL_AUTO). */
enum ng_maglev_impl ng_maglev_impl(void);

#endif
