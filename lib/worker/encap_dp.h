/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_ENCAP_DP_H
#define NG_ENCAP_DP_H
/*
 * The ipip-encap stage's word: what the lb stage hands it with a DSR packet.
 * Both addresses in network order: the outer source (the gateway's address
 * toward the backend) in the high half, the outer destination (the backend)
 * in the low half.
 */
#include <stdint.h>

/** The outer header's overhead: what DSR costs of the path MTU. */
#define NG_ENCAP_OVERHEAD 20

/** The word for an outer header from src to dst (network order). */
static inline uint64_t
ng_encap_word(uint32_t src, uint32_t dst)
{
	return (uint64_t)src << 32 | dst;
}

static inline uint32_t
ng_encap_src(uint64_t word)
{
	return (uint32_t)(word >> 32);
}

static inline uint32_t
ng_encap_dst(uint64_t word)
{
	return (uint32_t)word;
}

#endif
