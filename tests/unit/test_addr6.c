/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the IPv6 side of lib/common: address and prefix parsing and
 * printing (ng_addr.h: RFC 5952 text, IPv4-mapped addresses refused, strict
 * prefix lengths) and the IPv6 flow hashes (ng_hash.h), which must give the
 * same value in every process and build so that gateways agree on Maglev.
 *
 * No EAL: everything here is plain functions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>

#include "frames6.h"
#include "ng_addr.h"
#include "ng_hash.h"

/* Known answers of the IPv6 hashes (see hash_known_answers). */
#define KAT_ADDR6 0x4c4c2d5833cfaf2eull
#define KAT_FLOW6_TCP 0xbac405f5f142e17bull
#define KAT_FLOW6_UDP 0xc357a39444855a9aull

static void
expect_text(const char *in, const char *want)
{
	char buf[NG_IP_STRLEN];
	struct ng_ip ip, again;

	if (ng_ip_parse(in, &ip) != 0)
		fail_msg("\"%s\" did not parse", in);
	assert_int_equal(ip.family, AF_INET6);
	ng_ip_fmt(&ip, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("\"%s\" printed as \"%s\", want \"%s\"", in, buf, want);
	/* the canonical text parses back to the same address */
	assert_int_equal(ng_ip_parse(buf, &again), 0);
	assert_true(ng_ip_equal(&ip, &again));
}

static void
canonical_text(void **state)
{
	(void)state;
	expect_text("2001:db8::1", "2001:db8::1");
	expect_text("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
	expect_text("2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1");
	expect_text("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
	expect_text("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
	expect_text("1:0:0:2:0:0:0:3", "1:0:0:2::3");
	expect_text("0:0:1:0:0:0:0:0", "0:0:1::");
	expect_text("::", "::");
	expect_text("::1", "::1");
	expect_text("1::", "1::");
	/* no dotted quad for addresses that are not IPv4-mapped */
	expect_text("::1:2", "::1:2");
	expect_text("::198.18.0.1", "::c612:1");
	expect_text("64:ff9b::198.18.0.1", "64:ff9b::c612:1");
	expect_text("fe80::1", "fe80::1");
	expect_text("ff02::1:ff00:2", "ff02::1:ff00:2");
	expect_text("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff",
			"2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
	expect_text("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
			"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/*
 * Random addresses with runs of zero groups: the text parses back to the
 * address, and equals glibc's inet_ntop() wherever glibc does not print a
 * dotted quad (its only departure from RFC 5952: addresses whose first five
 * groups are zero).
 */
static void
canonical_random(void **state)
{
	(void)state;
	rng_seed(5952);
	for (unsigned int n = 0; n < 20000; n++) {
		struct ng_ip ip = {.family = AF_INET6}, again;
		char buf[NG_IP_STRLEN], ref[INET6_ADDRSTRLEN];
		uint64_t r = rng();
		bool v4ish = true;

		for (int w = 0; w < 8; w++) {
			uint16_t v = (r >> w) & 1 ? 0 : (uint16_t)rng() >> (rng() % 16);

			ip.v6[2 * w] = (uint8_t)(v >> 8);
			ip.v6[2 * w + 1] = (uint8_t)v;
		}
		for (int i = 0; i < 10; i++)
			v4ish = v4ish && ip.v6[i] == 0;
		if (v4ish && ip.v6[10] == 0xff && ip.v6[11] == 0xff)
			continue; /* IPv4-mapped: its own test */
		ng_ip_fmt(&ip, buf, sizeof(buf));
		assert_true(strlen(buf) <= 39);
		assert_int_equal(ng_ip_parse(buf, &again), 0);
		assert_true(ng_ip_equal(&ip, &again));
		assert_null(strstr(strstr(buf, "::") != NULL ? strstr(buf, "::") + 1 : buf, "::"));
		if (!v4ish) {
			assert_non_null(inet_ntop(AF_INET6, ip.v6, ref, sizeof(ref)));
			if (strcmp(buf, ref) != 0)
				fail_msg("printed \"%s\", glibc \"%s\"", buf, ref);
		}
	}
}

static void
v4_mapped(void **state)
{
	struct ng_ip ip;
	struct ng_prefix p;
	char buf[NG_IP_STRLEN];

	(void)state;
	/* refused in text: write the IPv4 address */
	assert_int_equal(ng_ip_parse("::ffff:198.18.0.1", &ip), -EAFNOSUPPORT);
	assert_int_equal(ip.family, 0);
	assert_int_equal(ng_ip_parse("::FFFF:c612:1", &ip), -EAFNOSUPPORT);
	assert_int_equal(ng_prefix_parse("::ffff:0:0/96", &p), -EAFNOSUPPORT);
	assert_int_equal(p.addr.family, 0);
	/* ... but printed as RFC 5952 5 says when a packet carries one */
	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET6;
	ip.v6[10] = 0xff;
	ip.v6[11] = 0xff;
	ip.v6[12] = 198;
	ip.v6[13] = 18;
	ip.v6[15] = 1;
	assert_string_equal(ng_ip_fmt(&ip, buf, sizeof(buf)), "::ffff:198.18.0.1");
	assert_false(ng_ip6_is_unicast(&ip));
	/* neighbours of the mapped range are ordinary IPv6 addresses */
	assert_int_equal(ng_ip_parse("::fffe:198.18.0.1", &ip), 0);
	assert_int_equal(ng_ip_parse("::1:ffff:198.18.0.1", &ip), 0);
}

static void
bad_text(void **state)
{
	static const char *const bad[] = {
		"", "2001:db8::1::2", "2001:db8:::1", "12345::", "2001:db8::g", "1.2.3",
		" ::1", "::1 ", "2001:db8:0:0:0:0:0:0:1", ":", "2001:db8::1%eth0",
	};
	struct ng_ip ip;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ng_ip_parse(bad[i], &ip) != -EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_int_equal(ip.family, 0);
	}
	assert_int_equal(ng_ip_parse(NULL, &ip), -EINVAL);
}

static void
prefixes(void **state)
{
	static const struct {
		const char *in;
		int rc;
		uint8_t len;
		const char *masked;
	} cases[] = {
		{"2001:db8::/32", 0, 32, "2001:db8::/32"},
		{"2001:db8::1/128", 0, 128, "2001:db8::1/128"},
		{"::/0", 0, 0, "::/0"},
		{"2001:db8:1:2:3::1/52", 0, 52, "2001:db8:1::/52"},
		{"2001:db8::ffff/127", 0, 127, "2001:db8::fffe/127"},
		{"2001:db8:ffff::/33", 0, 33, "2001:db8:8000::/33"},
		{"198.18.0.1/024", 0, 24, "198.18.0.0/24"},
		{"2001:db8::/129", -EINVAL, 0, NULL},
		{"198.18.0.0/33", -EINVAL, 0, NULL},
		{"2001:db8::/+64", -EINVAL, 0, NULL},
		{"2001:db8::/ 64", -EINVAL, 0, NULL},
		{"2001:db8::/-1", -EINVAL, 0, NULL},
		{"2001:db8::/64x", -EINVAL, 0, NULL},
		{"2001:db8::/0064", -EINVAL, 0, NULL},
		{"2001:db8::/", -EINVAL, 0, NULL},
		{"2001:db8::", -EINVAL, 0, NULL},
		{"2001:db8::/64/1", -EINVAL, 0, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ng_prefix p, m;
		char buf[NG_IP_STRLEN + 8];
		int rc = ng_prefix_parse(cases[i].in, &p);

		if (rc != cases[i].rc)
			fail_msg("\"%s\": %d, want %d", cases[i].in, rc, cases[i].rc);
		if (rc != 0) {
			assert_int_equal(p.addr.family, 0);
			continue;
		}
		assert_int_equal(p.len, cases[i].len);
		m = ng_prefix_masked(&p);
		assert_string_equal(ng_prefix_fmt(&m, buf, sizeof(buf)), cases[i].masked);
		assert_true(ng_prefix_contains(&m, &p.addr));
	}
}

static void
contains_and_unicast(void **state)
{
	struct ng_prefix p;
	struct ng_ip ip;

	(void)state;
	assert_int_equal(ng_prefix_parse("2001:db8:1::/48", &p), 0);
	assert_int_equal(ng_ip_parse("2001:db8:1:ffff::1", &ip), 0);
	assert_true(ng_prefix_contains(&p, &ip));
	assert_int_equal(ng_ip_parse("2001:db8:2::1", &ip), 0);
	assert_false(ng_prefix_contains(&p, &ip));
	assert_int_equal(ng_ip_parse("198.18.0.1", &ip), 0);
	assert_false(ng_prefix_contains(&p, &ip));
	assert_false(ng_ip6_is_unicast(&ip));

	static const struct {
		const char *a;
		bool unicast;
	} u[] = {
		{"2001:db8::1", true}, {"fe80::1", true}, {"fd00::1", true},
		{"::", false}, {"::1", false}, {"ff02::1", false}, {"ff05::1:3", false},
	};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		assert_int_equal(ng_ip_parse(u[i].a, &ip), 0);
		if (ng_ip6_is_unicast(&ip) != u[i].unicast)
			fail_msg("%s: unicast %d", u[i].a, !u[i].unicast);
	}
}

/* ---- hashes ---- */

static void
addr(uint8_t out[16], const char *s)
{
	struct ng_ip ip;

	assert_int_equal(ng_ip_parse(s, &ip), 0);
	memcpy(out, ip.v6, 16);
}

/*
 * Known answers: the values every gateway, on every host and build, must
 * compute (Maglev placement and flow owners depend on them). A change of
 * the functions fails here, on purpose.
 */
static void
hash_known_answers(void **state)
{
	uint8_t s[16], d[16];

	(void)state;
	addr(s, "2001:db8::2");
	addr(d, "2001:db8:100::10");
	assert_int_equal(ng_hash_addr6(s), KAT_ADDR6);
	assert_int_equal(ng_hash_flow6(s, d, rte_cpu_to_be_16(40000), rte_cpu_to_be_16(443),
			IPPROTO_TCP), KAT_FLOW6_TCP);
	assert_int_equal(ng_hash_flow6(d, s, rte_cpu_to_be_16(443), rte_cpu_to_be_16(40000),
			IPPROTO_UDP), KAT_FLOW6_UDP);
}

/* The value depends on the bytes only, not on their alignment in memory. */
static void
hash_alignment(void **state)
{
	uint8_t buf[64];

	(void)state;
	rng_seed(64);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)rng();
	for (unsigned int off = 1; off < 16; off++) {
		uint8_t m[64];

		memcpy(m + off, buf, 32);
		assert_int_equal(ng_hash_addr6(m + off), ng_hash_addr6(buf));
		assert_int_equal(ng_hash_flow6(m + off, m + off + 16, 7, 9, 17),
				ng_hash_flow6(buf, buf + 16, 7, 9, 17));
	}
}

/* Every input bit changes the flow hash, and about half its bits. */
static void
hash_avalanche(void **state)
{
	uint8_t s[16], d[16];
	uint16_t sp = rte_cpu_to_be_16(40000), dp = rte_cpu_to_be_16(443);
	uint64_t h0, flips = 0;
	unsigned int n = 0;

	(void)state;
	addr(s, "2001:db8::2");
	addr(d, "2001:db8:100::10");
	h0 = ng_hash_flow6(s, d, sp, dp, IPPROTO_TCP);
	for (int bit = 0; bit < 128 + 128 + 16 + 16 + 8; bit++) {
		uint8_t s2[16], d2[16];
		uint16_t sp2 = sp, dp2 = dp;
		uint8_t proto = IPPROTO_TCP;
		uint64_t h;

		memcpy(s2, s, 16);
		memcpy(d2, d, 16);
		if (bit < 128)
			s2[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		else if (bit < 256)
			d2[(bit - 128) / 8] ^= (uint8_t)(1 << (bit % 8));
		else if (bit < 272)
			sp2 ^= (uint16_t)(1 << (bit - 256));
		else if (bit < 288)
			dp2 ^= (uint16_t)(1 << (bit - 272));
		else
			proto ^= (uint8_t)(1 << (bit - 288));
		h = ng_hash_flow6(s2, d2, sp2, dp2, proto);
		assert_int_not_equal(h, h0);
		flips += (uint64_t)__builtin_popcountll(h ^ h0);
		n++;
	}
	/* 32 of 64 bits on average */
	assert_in_range(flips / n, 28, 36);
	/* a flow and its mirror differ */
	assert_int_not_equal(ng_hash_flow6(d, s, dp, sp, IPPROTO_TCP), h0);
}

/* Clients of one /64, numbered in order, spread evenly over owners and slots. */
static void
hash_spread(void **state)
{
	enum { N = 1 << 16, B = 16 };
	unsigned int by_addr[B] = {0}, by_flow[B] = {0};
	uint8_t s[16], d[16];

	(void)state;
	addr(s, "2001:db8::");
	addr(d, "2001:db8:100::10");
	for (unsigned int i = 0; i < N; i++) {
		s[14] = (uint8_t)(i >> 8);
		s[15] = (uint8_t)i;
		by_addr[ng_hash_addr6(s) % B]++;
		by_flow[ng_hash_flow6(s, d, rte_cpu_to_be_16(40000), rte_cpu_to_be_16(443),
				IPPROTO_TCP) % B]++;
	}
	for (unsigned int b = 0; b < B; b++) {
		assert_in_range(by_addr[b], N / B * 95 / 100, N / B * 105 / 100);
		assert_in_range(by_flow[b], N / B * 95 / 100, N / B * 105 / 100);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(canonical_text),
		cmocka_unit_test(canonical_random),
		cmocka_unit_test(v4_mapped),
		cmocka_unit_test(bad_text),
		cmocka_unit_test(prefixes),
		cmocka_unit_test(contains_and_unicast),
		cmocka_unit_test(hash_known_answers),
		cmocka_unit_test(hash_alignment),
		cmocka_unit_test(hash_avalanche),
		cmocka_unit_test(hash_spread),
	};

	return cmocka_run_group_tests_name("addr6", tests, NULL, NULL);
}
