/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_TEST_FRAMES6_H
#define NG_TEST_FRAMES6_H

/*
 * Small IPv6 frame builders for the IPv6 unit tests (test_pkt6.c,
 * test_nat6.c; test_ct6.c and test_addr6.c use its addresses and random
 * numbers), and a reference checksum written from RFC 1071 byte by byte,
 * independent of the code under test. Frames are written big-endian into
 * plain byte arrays: nothing here uses the library's structs or helpers.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#define FRAME_MAX 4096

/* ---- deterministic random numbers (xorshift64*) ---- */

static uint64_t rng_state;

static inline void
rng_seed(uint64_t s)
{
	rng_state = s != 0 ? s : 0x9e3779b97f4a7c15ull;
}

static inline uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* ---- addresses ---- */

/* 2001:db8:<net>::<host> */
static inline void
a6(uint8_t out[16], uint16_t net, uint16_t host)
{
	memset(out, 0, 16);
	out[0] = 0x20;
	out[1] = 0x01;
	out[2] = 0x0d;
	out[3] = 0xb8;
	out[4] = (uint8_t)(net >> 8);
	out[5] = (uint8_t)net;
	out[14] = (uint8_t)(host >> 8);
	out[15] = (uint8_t)host;
}

static const uint8_t mac_gw[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t mac_cli[6] = {0x02, 0, 0, 0, 0, 0x0b};

/* ---- frames ---- */

struct frame {
	uint8_t b[FRAME_MAX];
	uint16_t len;
};

static inline void
put8(struct frame *f, uint8_t v)
{
	f->b[f->len++] = v;
}

static inline void
put16(struct frame *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static inline void
put32(struct frame *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static inline void
put_bytes(struct frame *f, const void *p, uint16_t n)
{
	memcpy(&f->b[f->len], p, n);
	f->len = (uint16_t)(f->len + n);
}

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Ethernet header; vlan >= 0 adds one 802.1Q tag with that TCI. */
static inline void
put_eth(struct frame *f, const uint8_t dst[6], const uint8_t src[6], int vlan, uint16_t type)
{
	put_bytes(f, dst, 6);
	put_bytes(f, src, 6);
	if (vlan >= 0) {
		put16(f, 0x8100);
		put16(f, (uint16_t)vlan);
	}
	put16(f, type);
}

/* IPv6 fixed header (payload length 0 until ip6_finish()); returns its offset. */
static inline uint16_t
put_ip6(struct frame *f, const uint8_t src[16], const uint8_t dst[16], uint8_t nh, uint8_t hops)
{
	uint16_t off = f->len;

	put32(f, 0x60000000u | 0x00012345u); /* a flow label, to see it is not read */
	put16(f, 0);
	put8(f, nh);
	put8(f, hops);
	put_bytes(f, src, 16);
	put_bytes(f, dst, 16);
	return off;
}

/* Payload length: everything after the fixed header at ip. */
static inline void
ip6_finish(struct frame *f, uint16_t ip)
{
	uint16_t plen = (uint16_t)(f->len - ip - 40);

	f->b[ip + 4] = (uint8_t)(plen >> 8);
	f->b[ip + 5] = (uint8_t)plen;
}

/* Hop-by-hop or destination options header of (len8 + 1) * 8 bytes, PadN filled. */
static inline void
put_opts(struct frame *f, uint8_t next, uint8_t len8)
{
	uint16_t n = (uint16_t)((len8 + 1) * 8);

	put8(f, next);
	put8(f, len8);
	put8(f, 1); /* PadN */
	put8(f, (uint8_t)(n - 4));
	memset(&f->b[f->len], 0, n - 4);
	f->len = (uint16_t)(f->len + n - 4);
}

/* Routing header (type 4) of (len8 + 1) * 8 bytes with segments left. */
static inline void
put_rh(struct frame *f, uint8_t next, uint8_t len8, uint8_t segleft)
{
	uint16_t n = (uint16_t)((len8 + 1) * 8);

	put8(f, next);
	put8(f, len8);
	put8(f, 4);
	put8(f, segleft);
	for (uint16_t i = 4; i < n; i++)
		put8(f, (uint8_t)i);
}

/* Fragment header: offset in bytes (a multiple of 8), M flag, identification. */
static inline void
put_frag(struct frame *f, uint8_t next, uint16_t offset, bool more, uint32_t id)
{
	put8(f, next);
	put8(f, 0);
	put16(f, (uint16_t)(offset | (more ? 1 : 0)));
	put32(f, id);
}

/* payload bytes 0, 1, 2, ... */
static inline void
put_payload(struct frame *f, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		put8(f, (uint8_t)(i * 7 + 3));
}

/* TCP header of doff 32-bit words (options NOP) and payload; checksum 0. */
static inline uint16_t
put_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		uint8_t flags, uint8_t doff, uint16_t payload)
{
	uint16_t off = f->len;

	put16(f, sport);
	put16(f, dport);
	put32(f, seq);
	put32(f, ack);
	put8(f, (uint8_t)(doff << 4));
	put8(f, flags);
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
	for (unsigned int i = 20; i < doff * 4u; i++)
		put8(f, 1);
	put_payload(f, payload);
	return off;
}

/* UDP header and payload; length set, checksum 0. */
static inline uint16_t
put_udp(struct frame *f, uint16_t sport, uint16_t dport, uint16_t payload)
{
	uint16_t off = f->len;

	put16(f, sport);
	put16(f, dport);
	put16(f, (uint16_t)(8 + payload));
	put16(f, 0);
	put_payload(f, payload);
	return off;
}

/* ICMPv6 header (type, code, checksum 0, 32-bit word) and payload. */
static inline uint16_t
put_icmp6(struct frame *f, uint8_t type, uint8_t code, uint32_t word, uint16_t payload)
{
	uint16_t off = f->len;

	put8(f, type);
	put8(f, code);
	put16(f, 0);
	put32(f, word);
	put_payload(f, payload);
	return off;
}

/* ---- the reference checksum (RFC 1071, 16-bit big-endian words) ---- */

static inline uint32_t
ref_sum(const uint8_t *p, uint32_t n, uint32_t s)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static inline uint16_t
ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Folded sum of the pseudo-header of the IPv6 packet at ip and of len bytes at l4. */
static inline uint16_t
ref_l4_sum(const uint8_t *ip, const uint8_t *l4, uint32_t len, uint8_t proto)
{
	uint32_t s = ref_sum(ip + 8, 32, 0);

	s += (len >> 16) + (len & 0xffff) + proto;
	return ref_fold(ref_sum(l4, len, s));
}

/* Where the checksum of an upper-layer header is. */
static inline uint16_t
ref_cksum_at(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2;
}

/* Compute and store the checksum of the message at l4 (to the end of the frame). */
static inline void
ref_fix_cksum(struct frame *f, uint16_t ip, uint16_t l4, uint8_t proto)
{
	uint16_t at = (uint16_t)(l4 + ref_cksum_at(proto)), c;

	f->b[at] = 0;
	f->b[at + 1] = 0;
	c = (uint16_t)~ref_l4_sum(&f->b[ip], &f->b[l4], (uint32_t)(f->len - l4), proto);
	if (c == 0 && proto == IPPROTO_UDP)
		c = 0xffff;
	f->b[at] = (uint8_t)(c >> 8);
	f->b[at + 1] = (uint8_t)c;
}

/* Is the checksum of the len-byte message at l4 of the IPv6 packet at ip right? */
static inline bool
ref_cksum_ok(const uint8_t *ip, const uint8_t *l4, uint32_t len, uint8_t proto)
{
	return ref_l4_sum(ip, l4, len, proto) == 0xffff;
}

#endif
