/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_IP4_FRAG_DP_H
#define NG_IP4_FRAG_DP_H
/*
 * IPv4 fragmentation for the egress MTU (ip4_frag_dp.c), on workers: no heap,
 * mbufs from the packet pool, every fragment one segment (any PMD sends it).
 */
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ng_stats.h"

/**
 * Split m, an IPv4 packet without DF longer than mtu (one segment, l2_len and
 * l3_len set), into fragments of at most mtu bytes of IPv4 (RFC 791): m
 * becomes the first fragment in place; the others are new mbufs with m's L2
 * header, port and the same IPv4 header (identification, TTL; offset, MF,
 * length and checksum their own), written to out.
 * @param max the most new fragments out may take
 * @param n_out set to the number of new fragments
 * @return NG_DROP_NONE, or why m cannot be fragmented (m untouched):
 *   NG_DROP_FRAG_OPTIONS (IPv4 options: not copied), NG_DROP_FRAG_ROOM (more
 *   than max), NG_DROP_NO_MBUF (the pool is empty), NG_DROP_MTU (an MTU too
 *   small for 8 bytes of data).
 */
enum ng_drop_reason ng_ip4_fragment(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *pool,
		struct rte_mbuf **out, unsigned int max, unsigned int *n_out);

#endif
