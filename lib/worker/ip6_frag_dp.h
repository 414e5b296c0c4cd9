/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_IP6_FRAG_DP_H
#define NG_IP6_FRAG_DP_H
/*
 * IPv6 fragmentation of a datagram reassembled here (ip6_frag_dp.c), on
 * workers: no heap, mbufs from the packet pool, every fragment one segment.
 * IPv6 routers never fragment (RFC 8200 5): only what came in fragments goes
 * out in fragments, no larger than the largest that came (ip6-forward).
 */
#include "ip4_frag_dp.h"

/**
 * Split m, an IPv6 datagram (a chain with its headers in the first segment,
 * or one segment; l2_len and l3_len set) into fragments of at most size
 * bytes of IPv6 (RFC 8200 4.5): the per-fragment headers (the fixed header,
 * hop-by-hop options and a routing header, with what precedes it), a
 * fragment header with identification id, then the data. m becomes the first
 * fragment in place; the others are new mbufs with m's L2 header and port,
 * written to out. A datagram that fits size leaves whole, in one segment.
 * @param id the identification, network order
 * @param max the most new fragments out may take
 * @param n_out set to the number of new fragments
 * @return NG_DROP_NONE, or why m cannot be fragmented (m untouched):
 *   NG_DROP_FRAG_ROOM (more than max), NG_DROP_NO_MBUF (the pool is empty, or
 *   no headroom), NG_DROP_MTU (a size too small for 8 bytes of data),
 *   NG_DROP_FRAG_OUT (the first fragment does not fit the first segment).
 */
enum ng_drop_reason ng_ip6_fragment(struct rte_mbuf *m, uint16_t size, uint32_t id,
		struct rte_mempool *pool, struct rte_mbuf **out, unsigned int max,
		unsigned int *n_out);

#endif
