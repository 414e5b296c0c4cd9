/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the IPv6 NAT rewrite (lib/pkt/nat_dp.h, ng_nat6) and the IPv6
 * checksum helpers (lib/pkt/pkt6_dp.h).
 *
 * Every rewrite test builds a packet (Ethernet, IPv6, any number of
 * destination options headers, TCP with or without options or UDP, payload
 * of any length, odd lengths included), checksums it in full with the
 * reference of frames6.h, rewrites it with ng_nat6(), and compares the whole
 * frame byte for byte with the same packet given the new addresses and ports
 * and checksummed in full. So the test checks the checksum, the rewritten
 * fields and that nothing else changed.
 *
 * UDP over IPv6 (RFC 8200 8.1): a checksum is mandatory; a computed 0 is sent
 * as 0xffff. A UDP checksum of 0 never reaches ng_nat6() (ng_l4_check6()
 * drops it, see test_pkt6.c).
 *
 * No EAL: ng_nat6 and the checksum helpers are pure functions on buffers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "frames6.h"
#include "nat_dp.h"
#include "pkt6_dp.h"

#define RANDOM_PACKETS 6000
#define PAYLOAD_MAX 1400

/* What a packet is made of; ports in host order. */
struct spec6 {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t n_opts;   /**< destination options headers before L4 */
	uint8_t tcp_doff; /**< TCP header words */
	uint16_t payload;
};

/* A frame from s (payload bytes from frames6.h), checksummed. Returns the L4 offset. */
static uint16_t
build(struct frame *f, const struct spec6 *s)
{
	uint16_t ip, l4;

	f->len = 0;
	put_eth(f, mac_gw, mac_cli, -1, 0x86dd);
	ip = put_ip6(f, s->src, s->dst, s->n_opts > 0 ? IPPROTO_DSTOPTS : s->proto, 64);
	for (unsigned int i = 0; i < s->n_opts; i++)
		put_opts(f, i + 1 < s->n_opts ? IPPROTO_DSTOPTS : s->proto, (uint8_t)i);
	if (s->proto == IPPROTO_TCP)
		l4 = put_tcp(f, s->sport, s->dport, 0x01020304, 0x0a0b0c0d, 0x18, s->tcp_doff,
				s->payload);
	else
		l4 = put_udp(f, s->sport, s->dport, s->payload);
	ip6_finish(f, ip);
	ref_fix_cksum(f, ip, l4, s->proto);
	return l4;
}

/* Rewrite frame f (built from a) to b's addresses and ports with ng_nat6(). */
static void
nat(struct frame *f, uint16_t l4, const struct spec6 *a, const struct spec6 *b)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)&f->b[14];

	ng_nat6(ip, &f->b[l4], a->proto, b->src, rte_cpu_to_be_16(b->sport), b->dst,
			rte_cpu_to_be_16(b->dport));
}

/* Rewriting a's packet to b's fields gives b's packet, byte for byte. */
static void
check_rewrite(const struct spec6 *a, const struct spec6 *b)
{
	struct frame fa, fb;
	uint16_t l4 = build(&fa, a);

	build(&fb, b);
	nat(&fa, l4, a, b);
	assert_int_equal(fa.len, fb.len);
	if (memcmp(fa.b, fb.b, fa.len) != 0) {
		uint16_t at = (uint16_t)(l4 + ref_cksum_at(a->proto));

		fail_msg("%s, payload %u: checksum %04x, want %04x",
				a->proto == IPPROTO_TCP ? "TCP" : "UDP", a->payload,
				get16(&fa.b[at]), get16(&fb.b[at]));
	}
}

static void
spec_base(struct spec6 *s, uint8_t proto)
{
	memset(s, 0, sizeof(*s));
	a6(s->src, 0, 2);
	a6(s->dst, 0x100, 0x10);
	s->sport = 40000;
	s->dport = 80;
	s->proto = proto;
	s->tcp_doff = 5;
	s->payload = 100;
}

/* FullNAT both ways and DNAT, TCP and UDP, with and without options headers. */
static void
fullnat_and_dnat(void **state)
{
	(void)state;
	for (int proto = 0; proto < 2; proto++) {
		for (uint8_t n_opts = 0; n_opts < 3; n_opts++) {
			struct spec6 a, b;

			spec_base(&a, proto ? IPPROTO_UDP : IPPROTO_TCP);
			a.n_opts = n_opts;
			/* client -> VIP becomes gateway:lport -> backend */
			b = a;
			a6(b.src, 0, 1);
			a6(b.dst, 0x200, 0x22);
			b.sport = 33001;
			b.dport = 8080;
			check_rewrite(&a, &b);
			/* and the reply back */
			check_rewrite(&b, &a);
			/* DNAT: only the destination */
			b = a;
			a6(b.dst, 0x200, 0x22);
			b.dport = 8080;
			check_rewrite(&a, &b);
			check_rewrite(&b, &a);
		}
	}
}

static uint16_t zero_sum_word(const struct spec6 *b);
static void set_word(struct frame *f, uint16_t l4, const struct spec6 *s, uint16_t w);

/* A rewrite to the same values leaves the packet as it was. */
static void
rewrite_to_same_values(void **state)
{
	(void)state;
	for (int proto = 0; proto < 2; proto++) {
		struct spec6 a;
		struct frame f, g;
		uint16_t l4;

		spec_base(&a, proto ? IPPROTO_UDP : IPPROTO_TCP);
		l4 = build(&f, &a);
		g = f;
		nat(&f, l4, &a, &a);
		assert_memory_equal(f.b, g.b, f.len);
	}
	/* also a TCP checksum carried as 0xffff, the other zero: valid, and kept */
	{
		struct spec6 a;
		struct frame f, g;
		uint16_t l4, at;

		spec_base(&a, IPPROTO_TCP);
		l4 = build(&f, &a);
		set_word(&f, l4, &a, zero_sum_word(&a));
		at = (uint16_t)(l4 + ref_cksum_at(IPPROTO_TCP));
		assert_int_equal(get16(&f.b[at]), 0);
		f.b[at] = 0xff;
		f.b[at + 1] = 0xff;
		assert_true(ref_cksum_ok(&f.b[14], &f.b[l4], (uint32_t)(f.len - l4), IPPROTO_TCP));
		g = f;
		nat(&f, l4, &a, &a);
		assert_memory_equal(f.b, g.b, f.len);
	}
}

/* Swapping the packet's own addresses (pointers into its header). */
static void
swap_in_place(void **state)
{
	(void)state;
	for (int proto = 0; proto < 2; proto++) {
		struct spec6 a, b;
		struct frame fa, fb;
		struct rte_ipv6_hdr *ip;
		uint16_t l4;

		spec_base(&a, proto ? IPPROTO_UDP : IPPROTO_TCP);
		b = a;
		memcpy(b.src, a.dst, 16);
		memcpy(b.dst, a.src, 16);
		b.sport = a.dport;
		b.dport = a.sport;
		l4 = build(&fa, &a);
		build(&fb, &b);
		ip = (struct rte_ipv6_hdr *)&fa.b[14];
		ng_nat6(ip, &fa.b[l4], a.proto, ip->dst_addr, rte_cpu_to_be_16(b.sport),
				ip->src_addr, rte_cpu_to_be_16(b.dport));
		assert_memory_equal(fa.b, fb.b, fa.len);
	}
}

/* Ones' complement addition of 16-bit values. */
static uint16_t
oc_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/*
 * Make b's packet sum to 0xffff with its checksum field zero (so the
 * checksum computes to 0) by choosing payload bytes 0 and 1, and give a's
 * packet the same payload. Returns the payload word's value.
 */
static uint16_t
zero_sum_word(const struct spec6 *b)
{
	struct frame f;
	uint16_t l4 = build(&f, b), at = (uint16_t)(l4 + ref_cksum_at(b->proto));
	uint16_t data = (uint16_t)(l4 + (b->proto == IPPROTO_TCP ? b->tcp_doff * 4 : 8));
	uint16_t w, s;

	f.b[at] = 0;
	f.b[at + 1] = 0;
	s = ref_l4_sum(&f.b[14], &f.b[l4], (uint32_t)(f.len - l4), b->proto);
	w = get16(&f.b[data]);
	/* adding 0xffff - s (ones' complement) to the sum makes it 0xffff */
	return oc_add(w, (uint16_t)(0xffff - s));
}

static void
set_word(struct frame *f, uint16_t l4, const struct spec6 *s, uint16_t w)
{
	uint16_t data = (uint16_t)(l4 + (s->proto == IPPROTO_TCP ? s->tcp_doff * 4 : 8));

	f->b[data] = (uint8_t)(w >> 8);
	f->b[data + 1] = (uint8_t)w;
	ref_fix_cksum(f, 14, l4, s->proto);
}

/*
 * A rewrite whose checksum computes to 0: UDP sends 0xffff (0 would mean "no
 * checksum"), TCP sends 0, as the full computation does.
 */
static void
rewrite_computes_to_zero(void **state)
{
	(void)state;
	for (int proto = 0; proto < 2; proto++) {
		struct spec6 a, b;
		struct frame fa, fb;
		uint16_t la, lb, w, at;

		spec_base(&a, proto ? IPPROTO_UDP : IPPROTO_TCP);
		b = a;
		a6(b.src, 0, 1);
		a6(b.dst, 0x200, 0x22);
		b.sport = 33001;
		w = zero_sum_word(&b);
		la = build(&fa, &a);
		set_word(&fa, la, &a, w);
		lb = build(&fb, &b);
		set_word(&fb, lb, &b, w);
		at = (uint16_t)(lb + ref_cksum_at(b.proto));
		assert_int_equal(get16(&fb.b[at]), proto ? 0xffff : 0);
		nat(&fa, la, &a, &b);
		assert_memory_equal(fa.b, fb.b, fa.len);
		/* and back: from a packet whose checksum field is 0xffff (UDP) or 0 */
		nat(&fa, la, &b, &a);
		build(&fb, &a);
		set_word(&fb, la, &a, w);
		assert_memory_equal(fa.b, fb.b, fa.len);
	}
}

/* A random address: fully random, or near base (same /64, one word, ...). */
static void
rand_addr(uint8_t out[16], const uint8_t base[16])
{
	switch (rng() % 5) {
	case 0: /* the same */
		memcpy(out, base, 16);
		break;
	case 1: /* one 16-bit word changed */
		memcpy(out, base, 16);
		out[2 * (rng() % 8) + (rng() % 2)] ^= (uint8_t)(1 + rng() % 255);
		break;
	case 2: /* same /64 */
		memcpy(out, base, 8);
		for (int i = 8; i < 16; i++)
			out[i] = (uint8_t)rng();
		break;
	case 3: /* words that cancel out: two words swapped */
		memcpy(out, base, 16);
		out[14] = base[12];
		out[15] = base[13];
		out[12] = base[14];
		out[13] = base[15];
		break;
	default:
		for (int i = 0; i < 16; i++)
			out[i] = (uint8_t)rng();
		break;
	}
}

static void
random_spec(struct spec6 *s)
{
	for (int i = 0; i < 16; i++) {
		s->src[i] = (uint8_t)rng();
		s->dst[i] = (uint8_t)rng();
	}
	if (rng() % 4 == 0) /* all-zero and all-ones words */
		memset(s->src + 8, rng() % 2 ? 0xff : 0, 8);
	s->sport = (uint16_t)rng();
	s->dport = (uint16_t)rng();
	s->proto = rng() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
	s->n_opts = (uint8_t)(rng() % 4 == 0 ? 1 + rng() % 3 : 0);
	s->tcp_doff = (uint8_t)(5 + rng() % 11);
	s->payload = (uint16_t)(rng() % 3 == 0 ? rng() % 8 : rng() % (PAYLOAD_MAX + 1));
}

/*
 * Thousands of random packets, rewritten to random addresses and ports: the
 * incremental checksum always equals the full recomputation.
 */
static void
random_rewrites(void **state)
{
	unsigned int changed = 0;

	(void)state;
	rng_seed(0x1624);
	for (unsigned int n = 0; n < RANDOM_PACKETS; n++) {
		struct spec6 a, b;

		random_spec(&a);
		b = a;
		rand_addr(b.src, a.src);
		rand_addr(b.dst, a.dst);
		if (rng() % 2)
			b.sport = (uint16_t)rng();
		if (rng() % 2)
			b.dport = (uint16_t)rng();
		check_rewrite(&a, &b);
		changed += memcmp(&a, &b, sizeof(a)) != 0;
	}
	assert_true(changed > RANDOM_PACKETS * 9 / 10);
}

/*
 * The full checksum helpers against the reference and, for packets without
 * extension headers, against DPDK's rte_ipv6_udptcp_cksum().
 */
static void
full_checksums(void **state)
{
	(void)state;
	rng_seed(8200);
	for (unsigned int n = 0; n < RANDOM_PACKETS / 4; n++) {
		struct spec6 s;
		struct frame f;
		struct rte_ipv6_hdr *ip;
		uint16_t l4, at, want;
		uint32_t len;

		random_spec(&s);
		l4 = build(&f, &s);
		ip = (struct rte_ipv6_hdr *)&f.b[14];
		at = (uint16_t)(l4 + ref_cksum_at(s.proto));
		len = (uint32_t)(f.len - l4);
		assert_true(ng_ip6_l4_cksum_ok(ip, &f.b[l4], len, s.proto));
		want = get16(&f.b[at]);
		f.b[at] = 0;
		f.b[at + 1] = 0;
		assert_int_equal(rte_be_to_cpu_16(ng_ip6_l4_cksum(ip, &f.b[l4], len, s.proto)),
				want);
		if (s.n_opts == 0) {
			uint16_t d = rte_ipv6_udptcp_cksum(ip, &f.b[l4]);

			assert_int_equal(rte_be_to_cpu_16(d), want);
		}
		/* a changed byte is caught */
		f.b[at] = (uint8_t)(want >> 8);
		f.b[at + 1] = (uint8_t)want;
		f.b[l4 + len - 1 - rng() % len] ^= (uint8_t)(1 + rng() % 255);
		assert_false(ng_ip6_l4_cksum_ok(ip, &f.b[l4], len, s.proto));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fullnat_and_dnat),
		cmocka_unit_test(rewrite_to_same_values),
		cmocka_unit_test(swap_in_place),
		cmocka_unit_test(rewrite_computes_to_zero),
		cmocka_unit_test(random_rewrites),
		cmocka_unit_test(full_checksums),
	};

	return cmocka_run_group_tests_name("nat6", tests, NULL, NULL);
}
