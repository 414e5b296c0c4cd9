/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_HASH_H
#define NG_HASH_H

/**
 * @file
 * Deterministic hashes: the same input gives the same value on every machine
 * and build, so two gateways agree on Maglev tables and flow placement.
 */

#include <stddef.h>
#include <stdint.h>

/** 64-bit finaliser (splitmix64). */
static inline uint64_t
ng_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/** FNV-1a over bytes, seeded, then mixed. */
static inline uint64_t
ng_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return ng_mix64(h);
}

/** Hash of an IPv4 flow (addresses and ports in network order). */
static inline uint64_t
ng_hash_flow4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto)
{
	uint64_t a = ((uint64_t)src << 32) | dst;
	uint64_t b = ((uint64_t)sport << 32) | ((uint64_t)dport << 16) | proto;

	return ng_mix64(ng_mix64(a) ^ (b * 0x9e3779b97f4a7c15ull));
}

#endif
