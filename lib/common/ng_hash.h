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

/** Bytes 0..7 of p as a big-endian number: the same value on every host. */
static inline uint64_t
ng_load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/** A network-order 16-bit value (as stored) as a number, on every host. */
static inline uint64_t
ng_be16_val(uint16_t be)
{
	const uint8_t *b = (const uint8_t *)&be;

	return (uint64_t)b[0] << 8 | b[1];
}

/**
 * Hash of an IPv6 address (16 bytes, network order), e.g. a client's to pick
 * its owner worker. Defined on the bytes, so hosts of either byte order agree.
 */
static inline uint64_t
ng_hash_addr6(const uint8_t a[16])
{
	return ng_mix64(ng_load_be64(a) ^ ng_mix64(ng_load_be64(a + 8) + 0x9e3779b97f4a7c15ull));
}

/**
 * Hash of an IPv6 client's end of a flow (address, port as stored: network
 * order), to spread flows over workers by their whole client end.
 */
static inline uint64_t
ng_hash_client6(const uint8_t a[16], uint16_t port)
{
	return ng_mix64(ng_hash_addr6(a) ^ (ng_be16_val(port) << 40 | 0x6e67666c6f77ull));
}

/**
 * Hash of an IPv6 flow (addresses as 16 bytes, ports as stored: network
 * order), for Maglev. Defined on the bytes of the flow, so it is the same on
 * every host and build. The two addresses are mixed independently (the
 * multiplier keeps a flow and its mirror apart), then with the ports: three
 * finalisers deep, like ng_hash_flow4()'s two.
 */
static inline uint64_t
ng_hash_flow6(const uint8_t src[16], const uint8_t dst[16], uint16_t sport, uint16_t dport,
		uint8_t proto)
{
	uint64_t a = ng_hash_addr6(src);
	uint64_t c = ng_hash_addr6(dst);
	uint64_t b = ng_be16_val(sport) << 32 | ng_be16_val(dport) << 16 | proto;

	return ng_mix64(a ^ (c * 0xc2b2ae3d27d4eb4full) ^ (b * 0x9e3779b97f4a7c15ull));
}

#endif
