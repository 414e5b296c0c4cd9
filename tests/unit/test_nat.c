/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the IPv4 NAT rewrite (lib/pkt/nat_dp.h, ng_nat4) and its
 * incremental checksum updates.
 *
 * Every test builds a packet in a plain array (Ethernet, IPv4 with or without
 * options, TCP with or without options or UDP, payload of any length, odd
 * lengths included), computes its checksums in full, rewrites it with
 * ng_nat4(), and compares the whole packet byte for byte with the same packet
 * built directly with the new addresses and ports and checksummed in full
 * (rte_ipv4_cksum and rte_ipv4_udptcp_cksum with the field zeroed). So the
 * test checks the checksums, the rewritten fields and that nothing else
 * changed.
 *
 * UDP rules (RFC 768): a checksum of 0 means "none" and stays 0 after any
 * rewrite; a computed checksum of 0 is sent as 0xffff.
 *
 * No EAL: ng_nat4 and the rte_ip.h checksum functions are pure functions on
 * buffers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "nat_dp.h"
#include "pkt_dp.h"

#define RANDOM_PACKETS 4000
#define PAYLOAD_MAX 1460
#define BUF_SIZE 2048

/* ---- deterministic random numbers (xorshift64*) ---- */

/* An IPv4 address in host order. (RTE_IPV4 shifts a signed int into the sign
 * bit for a first byte >= 128, which UBSan reports.) */
static uint32_t
host4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	return (a & 0xff) << 24 | (b & 0xff) << 16 | (c & 0xff) << 8 | (d & 0xff);
}

static uint64_t rng_state;

static void
rng_seed(uint64_t s)
{
	rng_state = s != 0 ? s : 0x9e3779b97f4a7c15ull;
}

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* ---- packets ---- */

/* What a packet is made of; addresses and ports in network order. */
struct pkt_spec {
	uint8_t proto;      /**< IPPROTO_TCP or IPPROTO_UDP */
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t ihl;        /**< 5..15 words */
	uint8_t doff;       /**< TCP data offset, 5..15 words */
	uint16_t payload;   /**< bytes */
	uint64_t seed;      /**< fills options, payload and the other header fields */
	bool udp_no_cksum;  /**< UDP sent with checksum 0 */
};

struct pkt {
	alignas(64) uint8_t b[BUF_SIZE];
	size_t len;
	size_t l3, l4;      /**< offsets */
	uint8_t proto;
};

static struct rte_ipv4_hdr *
ip_of(struct pkt *p)
{
	return (struct rte_ipv4_hdr *)(p->b + p->l3);
}

static void *
l4_of(struct pkt *p)
{
	return p->b + p->l4;
}

static uint16_t
l4_cksum(struct pkt *p)
{
	uint16_t v;

	memcpy(&v, ng_l4_cksum_ptr(l4_of(p), p->proto), sizeof(v));
	return v;
}

static void
set_l4_cksum(struct pkt *p, uint16_t v)
{
	memcpy(ng_l4_cksum_ptr(l4_of(p), p->proto), &v, sizeof(v));
}

/* The checksums recomputed in full (field zeroed), without touching the packet. */
static uint16_t
full_ip_cksum(struct pkt *p)
{
	struct rte_ipv4_hdr *ip = ip_of(p);
	uint16_t save = ip->hdr_checksum, c;

	ip->hdr_checksum = 0;
	c = rte_ipv4_cksum(ip);
	ip->hdr_checksum = save;
	return c;
}

static uint16_t
full_l4_cksum(struct pkt *p)
{
	uint16_t save = l4_cksum(p), c;

	set_l4_cksum(p, 0);
	c = rte_ipv4_udptcp_cksum(ip_of(p), l4_of(p));
	set_l4_cksum(p, save);
	return c;
}

/* Fill both checksums in full; a UDP packet marked "no checksum" keeps 0. */
static void
checksum_full(struct pkt *p, bool udp_no_cksum)
{
	ip_of(p)->hdr_checksum = full_ip_cksum(p);
	set_l4_cksum(p, p->proto == IPPROTO_UDP && udp_no_cksum ? 0 : full_l4_cksum(p));
}

static void
build(struct pkt *p, const struct pkt_spec *s)
{
	uint64_t saved = rng_state;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	size_t l4hdr = s->proto == IPPROTO_TCP ? (size_t)s->doff * 4 : sizeof(struct rte_udp_hdr);
	size_t iplen = (size_t)s->ihl * 4;

	assert_in_range(s->ihl, 5, 15);
	assert_true(s->proto == IPPROTO_UDP || (s->doff >= 5 && s->doff <= 15));
	memset(p, 0, sizeof(*p));
	p->proto = s->proto;
	p->l3 = sizeof(*eth);
	p->l4 = p->l3 + iplen;
	p->len = p->l4 + l4hdr + s->payload;
	assert_true(p->len <= sizeof(p->b));

	rng_seed(s->seed);
	/* Everything random first (options, payload, other fields), then the
	 * fields that matter on top. */
	for (size_t i = 0; i < p->len; i++)
		p->b[i] = (uint8_t)rng();
	eth = (struct rte_ether_hdr *)p->b;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = ip_of(p);
	ip->version_ihl = (uint8_t)(0x40 | s->ihl);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(p->len - p->l3));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = (uint8_t)(1 + rng() % 255);
	ip->next_proto_id = s->proto;
	ip->src_addr = s->src;
	ip->dst_addr = s->dst;
	if (s->proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = l4_of(p);

		t->src_port = s->sport;
		t->dst_port = s->dport;
		t->data_off = (uint8_t)(s->doff << 4);
	} else {
		struct rte_udp_hdr *u = l4_of(p);

		u->src_port = s->sport;
		u->dst_port = s->dport;
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*u) + s->payload));
	}
	checksum_full(p, s->udp_no_cksum);
	rng_state = saved;
}

/* Both checksums of p agree with a full recomputation (UDP 0 = none). */
static void
assert_cksums_valid(struct pkt *p)
{
	assert_int_equal(ip_of(p)->hdr_checksum, full_ip_cksum(p));
	assert_int_equal(rte_ipv4_cksum(ip_of(p)), 0); /* raw sum 0xffff */
	if (p->proto == IPPROTO_UDP && l4_cksum(p) == 0)
		return;
	assert_int_equal(l4_cksum(p), full_l4_cksum(p));
	assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip_of(p), l4_of(p)), 0);
}

/*
 * Rewrite a copy of p to (src, sport, dst, dport) with ng_nat4() and compare
 * it with p built for those values and checksummed in full. Returns the
 * resulting L4 checksum.
 */
static uint16_t
nat_and_check(const struct pkt *orig, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	static struct pkt got, want;
	bool udp_none = orig->proto == IPPROTO_UDP && l4_cksum((struct pkt *)orig) == 0;
	uint16_t *ports;

	memcpy(&got, orig, sizeof(got));
	ng_nat4(ip_of(&got), l4_of(&got), got.proto, src, sport, dst, dport);

	memcpy(&want, orig, sizeof(want));
	ip_of(&want)->src_addr = src;
	ip_of(&want)->dst_addr = dst;
	ports = l4_of(&want);
	ports[0] = sport;
	ports[1] = dport;
	checksum_full(&want, udp_none);

	assert_int_equal(ip_of(&got)->src_addr, src);
	assert_int_equal(ip_of(&got)->dst_addr, dst);
	ports = l4_of(&got);
	assert_int_equal(ports[0], sport);
	assert_int_equal(ports[1], dport);
	assert_int_equal(ip_of(&got)->hdr_checksum, ip_of(&want)->hdr_checksum);
	assert_int_equal(l4_cksum(&got), l4_cksum(&want));
	if (udp_none)
		assert_int_equal(l4_cksum(&got), 0);
	assert_memory_equal(got.b, want.b, orig->len);
	assert_cksums_valid(&got);
	return l4_cksum(&got);
}

static uint32_t
a4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return rte_cpu_to_be_32(host4(a, b, c, d));
}

static uint16_t
p16(uint16_t host)
{
	return rte_cpu_to_be_16(host);
}

/* ---- named fixtures ---- */

/* A client's TCP SYN to a VIP, rewritten FullNAT-style (all four fields). */
static void
tcp_syn_fullnat(void **state)
{
	struct pkt p;
	struct pkt_spec s = {
		.proto = IPPROTO_TCP, .src = a4(198, 18, 0, 100), .dst = a4(198, 19, 0, 10),
		.sport = p16(51234), .dport = p16(80), .ihl = 5, .doff = 10, .payload = 0,
		.seed = 1,
	};

	(void)state;
	build(&p, &s);
	assert_cksums_valid(&p);
	nat_and_check(&p, a4(198, 18, 1, 1), p16(32768), a4(198, 18, 1, 2), p16(8080));
	/* The reply direction back (backend -> gateway becomes VIP -> client). */
	s.src = a4(198, 18, 1, 2);
	s.sport = p16(8080);
	s.dst = a4(198, 18, 1, 1);
	s.dport = p16(32768);
	build(&p, &s);
	nat_and_check(&p, a4(198, 19, 0, 10), p16(80), a4(198, 18, 0, 100), p16(51234));
}

/* DNAT: destination address and port only. Odd payload lengths 1..7. */
static void
tcp_dnat_odd_payloads(void **state)
{
	(void)state;
	for (uint16_t len = 1; len <= 7; len++) {
		struct pkt p;
		struct pkt_spec s = {
			.proto = IPPROTO_TCP, .src = a4(198, 18, 0, 100), .dst = a4(198, 19, 0, 10),
			.sport = p16(40000), .dport = p16(80), .ihl = 5, .doff = 5, .payload = len,
			.seed = 100 + len,
		};

		build(&p, &s);
		nat_and_check(&p, s.src, s.sport, a4(198, 18, 1, 3), p16(8080));
	}
}

/* Source only, destination only, ports only, addresses only. */
static void
tcp_single_fields(void **state)
{
	struct pkt p;
	struct pkt_spec s = {
		.proto = IPPROTO_TCP, .src = a4(198, 18, 0, 7), .dst = a4(198, 19, 0, 20),
		.sport = p16(1234), .dport = p16(443), .ihl = 7, .doff = 8, .payload = 517,
		.seed = 2,
	};

	(void)state;
	build(&p, &s);
	nat_and_check(&p, a4(198, 18, 5, 5), s.sport, s.dst, s.dport);   /* src addr */
	nat_and_check(&p, s.src, s.sport, a4(198, 18, 6, 6), s.dport);   /* dst addr */
	nat_and_check(&p, s.src, p16(60999), s.dst, s.dport);            /* src port */
	nat_and_check(&p, s.src, s.sport, s.dst, p16(8443));             /* dst port */
	nat_and_check(&p, s.src, p16(1), s.dst, p16(65535));             /* both ports */
	nat_and_check(&p, a4(198, 18, 9, 9), s.sport, a4(198, 18, 8, 8), s.dport); /* addrs */
}

/* No field changes: the packet stays byte for byte the same. */
static void
rewrite_to_same_values(void **state)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP};

	(void)state;
	for (size_t i = 0; i < RTE_DIM(protos); i++) {
		struct pkt p, q;
		struct pkt_spec s = {
			.proto = protos[i], .src = a4(198, 18, 0, 1), .dst = a4(198, 18, 0, 2),
			.sport = p16(5000), .dport = p16(53), .ihl = 5, .doff = 5, .payload = 31,
			.seed = 3,
		};

		build(&p, &s);
		memcpy(&q, &p, sizeof(q));
		ng_nat4(ip_of(&q), l4_of(&q), q.proto, s.src, s.sport, s.dst, s.dport);
		assert_memory_equal(q.b, p.b, p.len);
	}
}

/* A DNS-like UDP query and reply, odd lengths, both NAT styles. */
static void
udp_dns(void **state)
{
	struct pkt p;
	struct pkt_spec s = {
		.proto = IPPROTO_UDP, .src = a4(198, 18, 0, 100), .dst = a4(198, 19, 0, 53),
		.sport = p16(33333), .dport = p16(53), .ihl = 5, .payload = 33, .seed = 4,
	};

	(void)state;
	build(&p, &s);
	assert_int_not_equal(l4_cksum(&p), 0);
	nat_and_check(&p, s.src, s.sport, a4(198, 18, 1, 10), p16(53));      /* DNAT */
	nat_and_check(&p, a4(198, 18, 1, 1), p16(40001), a4(198, 18, 1, 10), p16(53));
	s.payload = 0; /* an empty datagram */
	build(&p, &s);
	nat_and_check(&p, a4(198, 18, 1, 1), p16(40001), a4(198, 18, 1, 10), p16(5353));
	s.payload = 1;
	build(&p, &s);
	nat_and_check(&p, a4(198, 18, 1, 1), p16(40001), a4(198, 18, 1, 10), p16(5353));
}

/* A UDP datagram sent without a checksum (0) keeps 0 through every rewrite. */
static void
udp_no_checksum_stays_zero(void **state)
{
	struct pkt p;
	struct pkt_spec s = {
		.proto = IPPROTO_UDP, .src = a4(198, 18, 0, 100), .dst = a4(198, 19, 0, 53),
		.sport = p16(33333), .dport = p16(53), .ihl = 6, .payload = 101, .seed = 5,
		.udp_no_cksum = true,
	};

	(void)state;
	build(&p, &s);
	assert_int_equal(l4_cksum(&p), 0);
	assert_int_equal(nat_and_check(&p, a4(198, 18, 1, 1), p16(40001), a4(198, 18, 1, 10),
			p16(53)), 0);
	assert_int_equal(nat_and_check(&p, s.src, s.sport, a4(198, 18, 1, 10), s.dport), 0);
	assert_int_equal(nat_and_check(&p, s.src, p16(1), s.dst, p16(2)), 0);
}

/*
 * Tune one payload word of a packet so that its L4 checksum, computed in
 * full, is 0 (one's complement sum 0xffff): the checksum computed with the
 * word zeroed is placed in the word. After that the full computation gives 0
 * (TCP) or 0xffff (UDP, RFC 768).
 */
static void
make_cksum_zero(struct pkt *p, size_t payload_off)
{
	uint8_t *w = p->b + p->l4 + payload_off;
	uint16_t c;

	assert_int_equal(payload_off % 2, 0);
	memset(w, 0, 2);
	set_l4_cksum(p, 0);
	c = rte_ipv4_udptcp_cksum(ip_of(p), l4_of(p));
	memcpy(w, &c, 2);
	set_l4_cksum(p, full_l4_cksum(p));
}

/*
 * UDP whose rewritten checksum computes to 0: built with the post-NAT fields
 * tuned to sum to 0xffff, then turned back into the pre-NAT packet. The
 * rewrite must send 0xffff (not 0, which would mean "no checksum").
 */
static void
udp_rewrite_computes_to_zero(void **state)
{
	struct pkt p;
	struct pkt_spec s = {
		.proto = IPPROTO_UDP, .src = a4(198, 18, 1, 1), .dst = a4(198, 18, 1, 10),
		.sport = p16(40001), .dport = p16(53), .ihl = 5, .payload = 40, .seed = 6,
	};
	uint32_t osrc = a4(198, 18, 0, 100), odst = a4(198, 19, 0, 53);
	uint16_t osport = p16(33333), odport = p16(53);
	uint16_t *ports;

	(void)state;
	/* Several payloads and rewrite kinds, each tuned for its own result. */
	for (unsigned int kind = 0; kind < 4; kind++) {
		uint32_t src = kind == 1 ? osrc : s.src, dst = kind == 2 ? odst : s.dst;
		uint16_t sport = kind == 3 ? osport : s.sport;

		s.seed = 60 + kind;
		s.payload = (uint16_t)(40 + 7 * kind); /* odd and even */
		build(&p, &s);
		ip_of(&p)->src_addr = src;
		ip_of(&p)->dst_addr = dst;
		ports = l4_of(&p);
		ports[0] = sport;
		checksum_full(&p, false);
		make_cksum_zero(&p, sizeof(struct rte_udp_hdr) + 2);
		/* Post-NAT packet: its full checksum computes to 0 and is sent as 0xffff. */
		assert_int_equal(l4_cksum(&p), 0xffff);
		assert_cksums_valid(&p);
		/* Back to the pre-NAT fields. */
		ip_of(&p)->src_addr = osrc;
		ip_of(&p)->dst_addr = odst;
		ports[0] = osport;
		ports[1] = odport;
		checksum_full(&p, false);
		assert_int_not_equal(l4_cksum(&p), 0xffff);
		assert_int_equal(nat_and_check(&p, src, sport, dst, odport), 0xffff);
	}
}

/* UDP whose original checksum is 0xffff (computed 0) rewritten to another value. */
static void
udp_original_ffff(void **state)
{
	struct pkt p;
	struct pkt_spec s = {
		.proto = IPPROTO_UDP, .src = a4(198, 18, 0, 100), .dst = a4(198, 19, 0, 53),
		.sport = p16(33333), .dport = p16(53), .ihl = 5, .payload = 21, .seed = 7,
	};

	(void)state;
	build(&p, &s);
	make_cksum_zero(&p, sizeof(struct rte_udp_hdr) + 4);
	assert_int_equal(l4_cksum(&p), 0xffff);
	assert_int_not_equal(nat_and_check(&p, a4(198, 18, 1, 1), p16(40001),
			a4(198, 18, 1, 10), p16(53)), 0);
	/* Rewrites whose words cancel to 0 change: 0xffff <-> 0x0000 port values. */
	build(&p, &s);
	make_cksum_zero(&p, sizeof(struct rte_udp_hdr) + 4);
	nat_and_check(&p, s.src, p16(0xffff), s.dst, s.dport);
	s.sport = p16(0xffff);
	build(&p, &s);
	make_cksum_zero(&p, sizeof(struct rte_udp_hdr) + 4);
	nat_and_check(&p, s.src, 0, s.dst, s.dport);
}

/* TCP whose rewritten checksum computes to 0 (TCP sends 0, unlike UDP). */
static void
tcp_rewrite_computes_to_zero(void **state)
{
	struct pkt p;
	struct pkt_spec s = {
		.proto = IPPROTO_TCP, .src = a4(198, 18, 1, 1), .dst = a4(198, 18, 1, 2),
		.sport = p16(32768), .dport = p16(8080), .ihl = 5, .doff = 5, .payload = 64,
		.seed = 8,
	};
	uint16_t *ports;

	(void)state;
	build(&p, &s);
	make_cksum_zero(&p, sizeof(struct rte_tcp_hdr));
	assert_int_equal(l4_cksum(&p), 0);
	assert_cksums_valid(&p);
	ip_of(&p)->src_addr = a4(198, 18, 0, 100);
	ip_of(&p)->dst_addr = a4(198, 19, 0, 10);
	ports = l4_of(&p);
	ports[0] = p16(51234);
	ports[1] = p16(80);
	checksum_full(&p, false);
	assert_int_not_equal(l4_cksum(&p), 0);
	assert_int_equal(nat_and_check(&p, s.src, s.sport, s.dst, s.dport), 0);
}

/* IPv4 header checksum rewritten to 0: the raw sum must stay valid. */
static void
ip_header_extremes(void **state)
{
	struct pkt p;
	struct pkt_spec s = {
		.proto = IPPROTO_TCP, .src = 0, .dst = 0xffffffff, .sport = 0, .dport = 0xffff,
		.ihl = 15, .doff = 15, .payload = 3, .seed = 9,
	};

	(void)state;
	build(&p, &s);
	nat_and_check(&p, 0xffffffff, 0xffff, 0, 0);
	nat_and_check(&p, 0, 0, 0xffffffff, 0xffff);
	nat_and_check(&p, ~s.src, 0x0100, ~s.dst, 0x0001);
	s.proto = IPPROTO_UDP;
	build(&p, &s);
	nat_and_check(&p, 0xffffffff, 0xffff, 0, 0);
	nat_and_check(&p, 0x00ff00ff, 0xff00, 0xff00ff00, 0x00ff);
}

/* The L4 checksum pointer: TCP at offset 16, UDP at offset 6. */
static void
l4_cksum_ptr_offsets(void **state)
{
	uint8_t l4[20];

	(void)state;
	assert_ptr_equal(ng_l4_cksum_ptr(l4, IPPROTO_TCP), l4 + 16);
	assert_ptr_equal(ng_l4_cksum_ptr(l4, IPPROTO_UDP), l4 + 6);
}

/* ---- random packets and rewrites ---- */

enum rewrite {
	RW_SRC,      /* source address */
	RW_DST,      /* destination address */
	RW_BOTH,     /* both addresses */
	RW_PORTS,    /* both ports */
	RW_DNAT,     /* destination address and port */
	RW_FULLNAT,  /* all four */
	RW_SAME,     /* the same values */
	RW_N
};

static uint32_t
rand_addr(void)
{
	switch (rng() % 8) {
	case 0:
		return 0;
	case 1:
		return 0xffffffff;
	case 2:
		return a4(198, 18 + rng() % 2, (uint8_t)rng(), (uint8_t)rng());
	default:
		return (uint32_t)rng();
	}
}

static uint16_t
rand_port(void)
{
	switch (rng() % 8) {
	case 0:
		return 0;
	case 1:
		return 0xffff;
	default:
		return (uint16_t)rng();
	}
}

static void
random_rewrites(void **state)
{
	unsigned int done[2][RW_N] = {{0}};
	unsigned int odd = 0, udp_none = 0, special = 0;

	(void)state;
	rng_seed(0x6e617434ull);
	for (unsigned int n = 0; n < RANDOM_PACKETS; n++) {
		struct pkt p;
		struct pkt_spec s;
		enum rewrite rw;
		uint32_t src, dst;
		uint16_t sport, dport;

		/* One field at a time: the order of rng() calls fixes the sequence. */
		memset(&s, 0, sizeof(s));
		s.proto = rng() & 1 ? IPPROTO_TCP : IPPROTO_UDP;
		s.src = rand_addr();
		s.dst = rand_addr();
		s.sport = rand_port();
		s.dport = rand_port();
		s.ihl = (uint8_t)(rng() % 4 == 0 ? 6 + rng() % 10 : 5);
		s.doff = (uint8_t)(5 + rng() % 11);
		s.seed = rng();
		/* Lengths: mostly small, some up to a full segment, odd ones often. */
		s.payload = (uint16_t)(rng() % 2 ? rng() % 64 : rng() % (PAYLOAD_MAX + 1));
		s.udp_no_cksum = s.proto == IPPROTO_UDP && rng() % 8 == 0;
		rw = (enum rewrite)(rng() % RW_N);
		src = s.src;
		dst = s.dst;
		sport = s.sport;
		dport = s.dport;
		build(&p, &s);
		assert_cksums_valid(&p);
		/* Some packets start from the special checksum (0 for TCP, 0xffff for UDP). */
		if (n % 16 == 0 && s.payload >= 2 && !s.udp_no_cksum) {
			make_cksum_zero(&p, s.proto == IPPROTO_TCP ? (size_t)s.doff * 4 :
					sizeof(struct rte_udp_hdr));
			assert_int_equal(l4_cksum(&p), s.proto == IPPROTO_TCP ? 0 : 0xffff);
			special++;
		}
		switch (rw) {
		case RW_SRC:
			src = rand_addr();
			break;
		case RW_DST:
			dst = rand_addr();
			break;
		case RW_BOTH:
			src = rand_addr();
			dst = rand_addr();
			break;
		case RW_PORTS:
			sport = rand_port();
			dport = rand_port();
			break;
		case RW_DNAT:
			dst = rand_addr();
			dport = rand_port();
			break;
		case RW_FULLNAT:
			src = rand_addr();
			sport = rand_port();
			dst = rand_addr();
			dport = rand_port();
			break;
		default:
			break;
		}
		nat_and_check(&p, src, sport, dst, dport);
		done[s.proto == IPPROTO_TCP][rw]++;
		odd += (p.len - p.l4) % 2;
		udp_none += s.udp_no_cksum;
	}
	/* The mix covered every kind for both protocols. */
	for (int t = 0; t < 2; t++)
		for (int k = 0; k < RW_N; k++)
			assert_in_range(done[t][k], 100, RANDOM_PACKETS);
	assert_in_range(odd, RANDOM_PACKETS / 4, RANDOM_PACKETS);
	assert_in_range(udp_none, 50, RANDOM_PACKETS);
	assert_in_range(special, 100, RANDOM_PACKETS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(l4_cksum_ptr_offsets),
		cmocka_unit_test(tcp_syn_fullnat),
		cmocka_unit_test(tcp_dnat_odd_payloads),
		cmocka_unit_test(tcp_single_fields),
		cmocka_unit_test(rewrite_to_same_values),
		cmocka_unit_test(udp_dns),
		cmocka_unit_test(udp_no_checksum_stays_zero),
		cmocka_unit_test(udp_rewrite_computes_to_zero),
		cmocka_unit_test(udp_original_ffff),
		cmocka_unit_test(tcp_rewrite_computes_to_zero),
		cmocka_unit_test(ip_header_extremes),
		cmocka_unit_test(random_rewrites),
	};

	return cmocka_run_group_tests_name("nat", tests, NULL, NULL);
}
