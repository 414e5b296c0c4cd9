/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_IP4_FRAG_DP_H
#define NG_IP4_FRAG_DP_H
/*
 * IPv4 fragmentation for the egress MTU (ip4_frag_dp.c), on workers: no heap,
 * mbufs from the packet pool, every fragment one segment (any PMD sends it).
 */
#include <stdbool.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ng_stats.h"

/**
 * Split m, an IPv4 packet without DF longer than mtu (one segment, or a chain
 * with the headers in the first: a datagram reassembled here; l2_len and
 * l3_len set), into fragments of at most mtu bytes of IPv4 (RFC 791): m
 * becomes the first fragment in place; the others are new mbufs with m's L2
 * header, port and the same IPv4 header (identification, TTL; offset, MF,
 * length and checksum their own), written to out.
 * @param max the most new fragments out may take
 * @param n_out set to the number of new fragments
 * @return NG_DROP_NONE, or why m cannot be fragmented (m untouched):
 *   NG_DROP_FRAG_OPTIONS (IPv4 options: not copied), NG_DROP_FRAG_ROOM (more
 *   than max), NG_DROP_NO_MBUF (the pool is empty), NG_DROP_MTU (an MTU too
 *   small for 8 bytes of data), NG_DROP_FRAG_OUT (a chain whose first
 *   fragment does not fit its first segment).
 */
enum ng_drop_reason ng_ip4_fragment(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *pool,
		struct rte_mbuf **out, unsigned int max, unsigned int *n_out);

/* Helpers both families' fragmentation share (ip4_frag_dp.c, ip6_frag_dp.c). */

/** Copy len bytes of m (one segment or a chain) from offset off to dst. */
void ng_frag_copy(const struct rte_mbuf *m, uint32_t off, uint32_t len, void *dst);

/** Whether m's first len bytes fit its first segment (its data and tailroom). */
bool ng_frag_fits_first(const struct rte_mbuf *m, uint32_t len);

/**
 * Make m its first len bytes in one segment: a chain's bytes past the first
 * segment are copied into its tailroom (ng_frag_fits_first() said they fit)
 * and its other segments freed.
 */
void ng_frag_cut_first(struct rte_mbuf *m, uint32_t len);

#endif
