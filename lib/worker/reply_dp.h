/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_REPLY_DP_H
#define NG_REPLY_DP_H
/*
 * The reply stage's word: the drop reason the packet is counted under in the
 * low half; for NG_DROP_MTU, NG_DROP_ENCAP_MTU and NG_DROP_ENCAP6_MTU, the MTU that a
 * "fragmentation needed" tells (RFC 1191's next-hop MTU), or for IPv6 a
 * "packet too big" (RFC 4443 3.2), in the high half.
 */
#include <stdint.h>

#include "ng_stats.h"

static inline uint64_t
ng_reply_word(enum ng_drop_reason r, uint16_t mtu)
{
	return (uint64_t)mtu << 32 | (uint32_t)r;
}

static inline enum ng_drop_reason
ng_reply_reason(uint64_t word)
{
	return (enum ng_drop_reason)(uint32_t)word;
}

static inline uint16_t
ng_reply_mtu(uint64_t word)
{
	return (uint16_t)(word >> 32);
}

#endif
