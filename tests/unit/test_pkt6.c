/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/pkt's IPv6 pieces: the parser and its extension-header
 * walk (ng_ip6_parse, ng_ip6_ext_walk), the upper-layer checks, the ICMPv6
 * error and echo builders, the TCP RST over IPv6, and neighbour discovery.
 *
 * EAL runs with --no-huge and no shared config, so the test needs neither
 * root nor hugepages. Frames that test the parser's bounds are placed in heap
 * buffers of exactly the frame's length (attached to an mbuf as an external
 * buffer), so that under ASan any read past the end of the frame fails the
 * test. Every checksum is verified with the reference in frames6.h, which
 * shares no code with the library.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "frames6.h"
#include "pkt.h"
#include "pkt6.h"
#include "pkt6_dp.h"
#include "pkt_dp.h"
#include "ng_test_frame.h"

#define RANDOM_CHAINS 20000

static struct rte_mempool *pool;
static uint8_t cli[16], gw[16], vip[16];
static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};

/* ---- mbufs ---- */

/* A one-segment mbuf from the pool holding a copy of len bytes (tailroom left). */
static struct rte_mbuf *
mbuf_from(const uint8_t *bytes, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, len);
	assert_non_null(p);
	memcpy(p, bytes, len);
	m->port = 3;
	return m;
}

/* ng_pkt_parse() (which measures L2 and reports IPv6), then ng_ip6_parse(). */
static enum ng_drop_reason
parse6(struct rte_mbuf *m, struct ng_ip6_info *info)
{
	enum ng_l3 l3 = 0;
	enum ng_drop_reason r = ng_pkt_parse(m, &l3, true);

	if (r != NG_DROP_IPV6)
		return r;
	assert_int_equal(l3, NG_L3_IPV6);
	return ng_ip6_parse(m, info);
}

/* parse6() of an exact copy of len bytes; info filled. */
static enum ng_drop_reason
parse_exact(const uint8_t *bytes, uint16_t len, struct ng_ip6_info *info)
{
	struct rte_mbuf *m = ng_test_mbuf_exact(pool, bytes, len);
	enum ng_drop_reason r;

	memset(info, 0xee, sizeof(*info));
	r = parse6(m, info);
	rte_pktmbuf_free(m);
	return r;
}

static void
expect_parse(const struct frame *f, enum ng_drop_reason want, struct ng_ip6_info *info)
{
	enum ng_drop_reason r = parse_exact(f->b, f->len, info);

	if (r != want)
		fail_msg("parse of %u bytes: got %s, want %s", f->len, ng_drop_id(r),
				ng_drop_id(want));
}

/* A drop, and the parameter problem (code, pointer) that answers it. */
static void
expect_drop_pp(const struct frame *f, enum ng_drop_reason want, uint8_t code, uint16_t ptr)
{
	struct ng_ip6_info info;

	expect_parse(f, want, &info);
	assert_int_equal(info.pp_code, code);
	if (code != NG_IP6_PP_NONE)
		assert_int_equal(info.pp_ptr, ptr);
}

/* Ethernet from the client to the gateway and an IPv6 header client -> VIP. */
static uint16_t
start6(struct frame *f, int vlan, uint8_t nh)
{
	f->len = 0;
	put_eth(f, mac_gw, mac_cli, vlan, RTE_ETHER_TYPE_IPV6);
	return put_ip6(f, cli, vip, nh, 64);
}

/* ---- group setup ---- */

static int
group_setup(void **state)
{
	char prefix[64];
	char *argv[] = {
		"test_pkt6", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
		"--file-prefix", prefix, "-l", "0", "--log-level", "lib.*:error", NULL,
	};

	(void)state;
	snprintf(prefix, sizeof(prefix), "ng_test_pkt6_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	pool = rte_pktmbuf_pool_create("test_pkt6", 1023, 0, NG_MBUF_PRIV_SIZE,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	a6(cli, 0, 2);
	a6(gw, 0, 1);
	a6(vip, 0x100, 0x10);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	pool = NULL;
	rte_eal_cleanup();
	return 0;
}

/* Every test must give back every mbuf it took. */
static int
test_teardown(void **state)
{
	(void)state;
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	return 0;
}

/* ---- ng_ip6_parse: good packets ---- */

static void
parse_plain(void **state)
{
	struct ng_ip6_info info;
	struct rte_mbuf *m;
	struct frame f;
	uint16_t ip;

	(void)state;
	/* TCP with options and 10 bytes of data */
	ip = start6(&f, -1, IPPROTO_TCP);
	put_tcp(&f, 40000, 80, 1, 0, 0x02, 6, 10);
	ip6_finish(&f, ip);
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	assert_int_equal(parse6(m, &info), NG_DROP_NONE);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 40);
	assert_int_equal(info.l3_len, 40);
	assert_int_equal(info.l4_len, 34);
	assert_int_equal(info.proto, IPPROTO_TCP);
	assert_int_equal(info.flags, 0);
	assert_int_equal(info.n_ext, 0);
	assert_false(ng_ip6_is_fragment(&info));
	rte_pktmbuf_free(m);

	/* UDP behind a VLAN tag, with 10 bytes of Ethernet padding: trimmed */
	ip = start6(&f, 100, IPPROTO_UDP);
	put_udp(&f, 5353, 53, 4);
	ip6_finish(&f, ip);
	memset(&f.b[f.len], 0, 10);
	f.len = (uint16_t)(f.len + 10);
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	assert_int_equal(parse6(m, &info), NG_DROP_NONE);
	assert_int_equal(m->l2_len, 18);
	assert_int_equal(m->l3_len, 40);
	assert_int_equal(info.l4_len, 12);
	assert_int_equal(rte_pktmbuf_data_len(m), 18 + 40 + 12);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 18 + 40 + 12);
	rte_pktmbuf_free(m);

	/* No next header, no payload */
	ip = start6(&f, -1, IPPROTO_NONE);
	ip6_finish(&f, ip);
	expect_parse(&f, NG_DROP_NONE, &info);
	assert_int_equal(info.proto, IPPROTO_NONE);
	assert_int_equal(info.l4_len, 0);
}

static void
parse_ext_chain(void **state)
{
	static const uint8_t ends[] = {IPPROTO_AH, IPPROTO_ESP, IPPROTO_NONE, 253};
	struct ng_ip6_info info;
	struct rte_mbuf *m;
	struct frame f;
	uint16_t ip;

	(void)state;
	/* HBH (8) -> DO (16) -> RH, segments left 0 (24) -> DO (8) -> TCP */
	ip = start6(&f, -1, IPPROTO_HOPOPTS);
	put_opts(&f, IPPROTO_DSTOPTS, 0);
	put_opts(&f, IPPROTO_ROUTING, 1);
	put_rh(&f, IPPROTO_DSTOPTS, 2, 0);
	put_opts(&f, IPPROTO_TCP, 0);
	put_tcp(&f, 40000, 80, 1, 0, 0x02, 5, 3);
	ip6_finish(&f, ip);
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	assert_int_equal(parse6(m, &info), NG_DROP_NONE);
	assert_int_equal(info.l3_len, 40 + 8 + 16 + 24 + 8);
	assert_int_equal(m->l3_len, info.l3_len);
	assert_int_equal(info.l4_len, 23);
	assert_int_equal(info.proto, IPPROTO_TCP);
	assert_int_equal(info.n_ext, 4);
	assert_int_equal(info.flags, 0);
	assert_int_equal(ng_l4_check6(rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14),
			&info), NG_DROP_NONE);
	rte_pktmbuf_free(m);

	/* The same with segments left 3: flagged, and where */
	f.b[ip + 40 + 8 + 16 + 3] = 3;
	expect_parse(&f, NG_DROP_NONE, &info);
	assert_int_equal(info.flags, NG_IP6_F_RH);
	assert_int_equal(info.rh_off, 40 + 8 + 16);

	/* AH, ESP, "no next header" and the unknown end the walk: the upper layer */
	for (unsigned int i = 0; i < RTE_DIM(ends); i++) {
		ip = start6(&f, -1, IPPROTO_DSTOPTS);
		put_opts(&f, ends[i], 0);
		put_payload(&f, 24);
		ip6_finish(&f, ip);
		expect_parse(&f, NG_DROP_NONE, &info);
		assert_int_equal(info.proto, ends[i]);
		assert_int_equal(info.l3_len, 48);
		assert_int_equal(info.l4_len, 24);
		assert_int_equal(info.n_ext, 1);
	}
}

/* NG_IP6_EXT_MAX headers pass, one more does not; so for the byte bound. */
static void
parse_bounds(void **state)
{
	struct ng_ip6_info info;
	struct frame f;
	uint16_t ip;

	(void)state;
	for (unsigned int n = NG_IP6_EXT_MAX; n <= NG_IP6_EXT_MAX + 1; n++) {
		ip = start6(&f, -1, IPPROTO_DSTOPTS);
		for (unsigned int i = 0; i < n; i++)
			put_opts(&f, i + 1 < n ? IPPROTO_DSTOPTS : IPPROTO_UDP, 0);
		put_udp(&f, 1, 2, 0);
		ip6_finish(&f, ip);
		expect_parse(&f, n <= NG_IP6_EXT_MAX ? NG_DROP_NONE : NG_DROP_IP6_EXT_LIMIT, &info);
		if (n <= NG_IP6_EXT_MAX) {
			assert_int_equal(info.n_ext, n);
			assert_int_equal(info.l3_len, 40 + 8 * n);
		}
	}
	/* One options header ending exactly at 504 bytes passes; 8 more do not. */
	for (unsigned int len8 = 57; len8 <= 58; len8++) {
		ip = start6(&f, -1, IPPROTO_DSTOPTS);
		put_opts(&f, IPPROTO_UDP, (uint8_t)len8);
		put_udp(&f, 1, 2, 0);
		ip6_finish(&f, ip);
		expect_parse(&f, len8 == 57 ? NG_DROP_NONE : NG_DROP_IP6_EXT_LIMIT, &info);
		if (len8 == 57)
			assert_int_equal(info.l3_len, NG_IP6_L3_MAX);
	}
	/* The longest header there is (2048 bytes) */
	ip = start6(&f, -1, IPPROTO_HOPOPTS);
	put_opts(&f, IPPROTO_UDP, 255);
	put_udp(&f, 1, 2, 0);
	ip6_finish(&f, ip);
	expect_parse(&f, NG_DROP_IP6_EXT_LIMIT, &info);
}

static void
parse_hostile(void **state)
{
	struct ng_ip6_info info;
	struct frame f;
	uint16_t ip;

	(void)state;
	/* Hop-by-hop options after another header: parameter problem code 1 at
	 * the next-header field that named it */
	ip = start6(&f, -1, IPPROTO_DSTOPTS);
	put_opts(&f, IPPROTO_HOPOPTS, 0);
	put_opts(&f, IPPROTO_UDP, 0);
	put_udp(&f, 1, 2, 0);
	ip6_finish(&f, ip);
	expect_drop_pp(&f, NG_DROP_IP6_EXT, NG_ICMP6_PP_NEXT_HDR, 40);
	/* ... also a second one right after the first */
	ip = start6(&f, -1, IPPROTO_HOPOPTS);
	put_opts(&f, IPPROTO_HOPOPTS, 0);
	put_opts(&f, IPPROTO_UDP, 0);
	put_udp(&f, 1, 2, 0);
	ip6_finish(&f, ip);
	expect_parse(&f, NG_DROP_IP6_EXT, &info);

	/* A header that runs past the payload length (the frame goes on) */
	ip = start6(&f, -1, IPPROTO_DSTOPTS);
	put_opts(&f, IPPROTO_UDP, 3);
	f.b[ip + 4] = 0;
	f.b[ip + 5] = 16;
	expect_drop_pp(&f, NG_DROP_IP6_EXT, NG_IP6_PP_NONE, 0);

	/* A jumbogram: payload length 0, hop-by-hop with the jumbo option */
	ip = start6(&f, -1, IPPROTO_HOPOPTS);
	put8(&f, IPPROTO_UDP);
	put8(&f, 0);
	put8(&f, 0xc2);
	put8(&f, 4);
	put32(&f, 70000);
	put_udp(&f, 1, 2, 0);
	expect_parse(&f, NG_DROP_IP6_EXT, &info);

	/* A "loop": routing and options headers naming each other on and on */
	ip = start6(&f, -1, IPPROTO_ROUTING);
	for (unsigned int i = 0; i < 20; i++) {
		if (i % 2 == 0)
			put_rh(&f, IPPROTO_DSTOPTS, 0, 0);
		else
			put_opts(&f, IPPROTO_ROUTING, 0);
	}
	ip6_finish(&f, ip);
	expect_parse(&f, NG_DROP_IP6_EXT_LIMIT, &info);

	/* Version 4 under the IPv6 ethertype; frames shorter than their header
	 * or their payload length */
	ip = start6(&f, -1, IPPROTO_UDP);
	put_udp(&f, 1, 2, 0);
	ip6_finish(&f, ip);
	f.b[ip] = 0x45;
	expect_parse(&f, NG_DROP_IP6_HEADER, &info);
	f.b[ip] = 0x60;
	f.b[ip + 5]++;
	expect_parse(&f, NG_DROP_TRUNCATED, &info);
	f.len = (uint16_t)(ip + 39);
	expect_parse(&f, NG_DROP_TRUNCATED, &info);
}

static void
parse_fragments(void **state)
{
	struct ng_ip6_info info;
	struct frame f;
	uint16_t ip;

	(void)state;
	/* First fragment: UDP header inside, 24 bytes (a multiple of 8) */
	ip = start6(&f, -1, IPPROTO_FRAGMENT);
	put_frag(&f, IPPROTO_UDP, 0, true, 0xdeadbeef);
	put_udp(&f, 1, 2, 8);
	ip6_finish(&f, ip);
	expect_parse(&f, NG_DROP_NONE, &info);
	assert_int_equal(info.flags, NG_IP6_F_FRAG | NG_IP6_F_MF);
	assert_true(ng_ip6_is_fragment(&info));
	assert_int_equal(info.frag_off, 0);
	assert_int_equal(info.unfrag_len, 40);
	assert_int_equal(info.frag_id, rte_cpu_to_be_32(0xdeadbeef));
	assert_int_equal(info.proto, IPPROTO_UDP);
	assert_int_equal(info.l3_len, 48);
	assert_int_equal(info.l4_len, 16);

	/* A later fragment behind a destination options header: no L4 header */
	ip = start6(&f, -1, IPPROTO_DSTOPTS);
	put_opts(&f, IPPROTO_FRAGMENT, 0);
	put_frag(&f, IPPROTO_TCP, 1448, false, 7);
	put_payload(&f, 100);
	ip6_finish(&f, ip);
	expect_parse(&f, NG_DROP_NONE, &info);
	assert_int_equal(info.flags, NG_IP6_F_FRAG | NG_IP6_F_LATER);
	assert_true(ng_ip6_is_fragment(&info));
	assert_int_equal(info.frag_off, 1448);
	assert_int_equal(info.unfrag_len, 48);
	assert_int_equal(info.proto, IPPROTO_TCP);
	assert_int_equal(info.l3_len, 56);
	assert_int_equal(info.l4_len, 100);
	assert_int_equal(info.n_ext, 2);

	/* A later fragment whose data reads like an options header: not walked */
	ip = start6(&f, -1, IPPROTO_FRAGMENT);
	put_frag(&f, IPPROTO_DSTOPTS, 8, true, 7);
	put_opts(&f, IPPROTO_TCP, 0);
	put_payload(&f, 8);
	ip6_finish(&f, ip);
	expect_parse(&f, NG_DROP_NONE, &info);
	assert_int_equal(info.flags, NG_IP6_F_FRAG | NG_IP6_F_MF | NG_IP6_F_LATER);
	assert_int_equal(info.proto, IPPROTO_DSTOPTS);
	assert_int_equal(info.l3_len, 48);
	assert_int_equal(info.l4_len, 16);
	assert_int_equal(info.n_ext, 1);

	/* An atomic fragment (offset 0, no M: RFC 6946) is a whole packet */
	ip = start6(&f, -1, IPPROTO_FRAGMENT);
	put_frag(&f, IPPROTO_TCP, 0, false, 9);
	put_tcp(&f, 1, 2, 3, 4, 0x10, 5, 1);
	ip6_finish(&f, ip);
	expect_parse(&f, NG_DROP_NONE, &info);
	assert_int_equal(info.flags, NG_IP6_F_FRAG);
	assert_false(ng_ip6_is_fragment(&info));
	assert_int_equal(info.proto, IPPROTO_TCP);

	/* M set and a payload that is not a multiple of 8 (RFC 8200 4.5):
	 * parameter problem code 0 at the payload length */
	ip = start6(&f, -1, IPPROTO_FRAGMENT);
	put_frag(&f, IPPROTO_UDP, 0, true, 1);
	put_udp(&f, 1, 2, 5);
	ip6_finish(&f, ip);
	expect_drop_pp(&f, NG_DROP_IP6_FRAG, NG_ICMP6_PP_HEADER, 4);

	/* Reassembly past 65,535 bytes: code 0 at the fragment offset. 65512 + 16
	 * fits; behind an 8-byte options header it does not. */
	ip = start6(&f, -1, IPPROTO_FRAGMENT);
	put_frag(&f, IPPROTO_UDP, 65512, false, 1);
	put_payload(&f, 16);
	ip6_finish(&f, ip);
	expect_parse(&f, NG_DROP_NONE, &info);
	ip = start6(&f, -1, IPPROTO_DSTOPTS);
	put_opts(&f, IPPROTO_FRAGMENT, 0);
	put_frag(&f, IPPROTO_UDP, 65512, false, 1);
	put_payload(&f, 16);
	ip6_finish(&f, ip);
	expect_drop_pp(&f, NG_DROP_IP6_FRAG, NG_ICMP6_PP_HEADER, 48 + 2);

	/* A first fragment without the whole TCP header (RFC 7112): code 3 */
	ip = start6(&f, -1, IPPROTO_FRAGMENT);
	put_frag(&f, IPPROTO_TCP, 0, true, 1);
	put_payload(&f, 8);
	ip6_finish(&f, ip);
	expect_drop_pp(&f, NG_DROP_IP6_FRAG_CHAIN, NG_ICMP6_PP_CHAIN, 0);
	/* ... or without a whole extension header */
	ip = start6(&f, -1, IPPROTO_FRAGMENT);
	put_frag(&f, IPPROTO_DSTOPTS, 0, true, 1);
	put_opts(&f, IPPROTO_UDP, 1);
	f.len = (uint16_t)(f.len - 8);
	ip6_finish(&f, ip);
	expect_parse(&f, NG_DROP_IP6_FRAG_CHAIN, &info);
	/* ... with the whole TCP header it passes */
	ip = start6(&f, -1, IPPROTO_FRAGMENT);
	put_frag(&f, IPPROTO_TCP, 0, true, 1);
	put_tcp(&f, 1, 2, 3, 4, 0x02, 5, 4);
	ip6_finish(&f, ip);
	expect_parse(&f, NG_DROP_NONE, &info);

	/* Two fragment headers */
	ip = start6(&f, -1, IPPROTO_FRAGMENT);
	put_frag(&f, IPPROTO_FRAGMENT, 0, true, 1);
	put_frag(&f, IPPROTO_UDP, 0, true, 1);
	put_udp(&f, 1, 2, 0);
	ip6_finish(&f, ip);
	expect_parse(&f, NG_DROP_IP6_EXT, &info);
}

/* ---- truncation ---- */

/* The frames the truncation tests cut. */
static void
chain_frame(struct frame *f, int kind)
{
	uint16_t ip;

	switch (kind) {
	case 0: /* plain TCP */
		ip = start6(f, -1, IPPROTO_TCP);
		put_tcp(f, 1, 2, 3, 4, 0x18, 5, 7);
		break;
	case 1: /* HBH, DO, RH, DO, UDP behind a VLAN tag */
		ip = start6(f, 5, IPPROTO_HOPOPTS);
		put_opts(f, IPPROTO_DSTOPTS, 1);
		put_opts(f, IPPROTO_ROUTING, 0);
		put_rh(f, IPPROTO_DSTOPTS, 2, 1);
		put_opts(f, IPPROTO_UDP, 0);
		put_udp(f, 1, 2, 9);
		break;
	default: /* DO, first fragment, DO, TCP */
		ip = start6(f, -1, IPPROTO_DSTOPTS);
		put_opts(f, IPPROTO_FRAGMENT, 0);
		put_frag(f, IPPROTO_DSTOPTS, 0, true, 1);
		put_opts(f, IPPROTO_TCP, 0);
		put_tcp(f, 1, 2, 3, 4, 0x02, 5, 4); /* 48 bytes: a multiple of 8 */
		break;
	}
	ip6_finish(f, ip);
}

/* Every prefix of a good frame is dropped as truncated, and never read past. */
static void
parse_truncated_every_length(void **state)
{
	struct ng_ip6_info info;
	struct frame f;

	(void)state;
	for (int kind = 0; kind < 3; kind++) {
		chain_frame(&f, kind);
		for (uint16_t len = 0; len < f.len; len++) {
			enum ng_drop_reason r = parse_exact(f.b, len, &info);

			if (r != NG_DROP_TRUNCATED)
				fail_msg("frame %d cut to %u of %u bytes: got %s", kind, len, f.len,
						ng_drop_id(r));
		}
		expect_parse(&f, NG_DROP_NONE, &info);
	}
}

/*
 * The packet itself cut short: every payload length from 0 to the real one,
 * the frame ending there. The verdict is what the chain allows at that
 * length, computed here from the headers' ends.
 */
static void
parse_truncated_payload(void **state)
{
	/* header ends (from the IPv6 header) of the chains of chain_frame() */
	static const uint16_t ends[3][6] = {
		{40},
		{40, 56, 64, 88, 96},
		{40, 48, 56, 64},
	};
	static const uint8_t n_ends[3] = {1, 5, 4};
	static const uint16_t upper[3] = {20, 8, 20};
	struct ng_ip6_info info;
	struct frame f;

	(void)state;
	for (int kind = 0; kind < 3; kind++) {
		uint16_t l2, l3;

		chain_frame(&f, kind);
		l2 = kind == 1 ? 18 : 14;
		l3 = ends[kind][n_ends[kind] - 1];
		for (uint16_t plen = 0; l2 + 40 + plen <= f.len; plen++) {
			struct frame g = f;
			uint16_t end = (uint16_t)(40 + plen);
			enum ng_drop_reason want, r;

			g.len = (uint16_t)(l2 + end);
			g.b[l2 + 4] = (uint8_t)(plen >> 8);
			g.b[l2 + 5] = (uint8_t)plen;
			if (kind == 2 && end < 56)
				want = NG_DROP_IP6_EXT;  /* before the fragment header's end */
			else if (kind == 2 && plen % 8 != 0)
				want = NG_DROP_IP6_FRAG; /* M fragment, odd length */
			else if (kind == 2 && end < l3 + upper[kind])
				want = NG_DROP_IP6_FRAG_CHAIN;
			else if (end < l3)
				want = NG_DROP_IP6_EXT;
			else
				want = NG_DROP_NONE;
			r = parse_exact(g.b, g.len, &info);
			if (r != want)
				fail_msg("chain %d, payload length %u: got %s, want %s", kind, plen,
						ng_drop_id(r), ng_drop_id(want));
			if (r == NG_DROP_NONE) {
				assert_int_equal(info.l3_len, l3);
				assert_int_equal(info.l4_len, end - l3);
			}
		}
	}
}

/*
 * Random chains: random next-header values (mostly extension headers),
 * lengths, payload lengths and cuts. Whatever the verdict, nothing is read
 * past the frame (ASan), and an accepted packet's facts are consistent.
 */
static void
parse_random_chains(void **state)
{
	static const uint8_t nhs[] = {IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT,
			IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_TCP, IPPROTO_UDP,
			IPPROTO_ICMPV6, IPPROTO_AH, IPPROTO_NONE};
	unsigned int seen[NG_DROP_MAX] = {0};
	struct ng_ip6_info info;
	struct frame f;

	(void)state;
	rng_seed(6);
	for (unsigned int n = 0; n < RANDOM_CHAINS; n++) {
		unsigned int nhdr = (unsigned int)(rng() % 11);
		uint16_t ip = start6(&f, rng() % 4 == 0 ? 9 : -1, nhs[rng() % RTE_DIM(nhs)]);
		uint8_t nh = f.b[ip + 6];
		struct rte_mbuf *m;
		enum ng_drop_reason r;

		for (unsigned int i = 0; i < nhdr && ng_ip6_is_ext(nh); i++) {
			uint8_t next = nhs[rng() % RTE_DIM(nhs)];

			if (nh == IPPROTO_FRAGMENT)
				put_frag(&f, next,
						(uint16_t)(rng() % 4 == 0 ? (rng() & 0xfff8) : 0),
						rng() % 2, (uint32_t)rng());
			else if (nh == IPPROTO_ROUTING)
				put_rh(&f, next, (uint8_t)(rng() % 6), (uint8_t)(rng() % 3));
			else if (f.len < 1000 && rng() % 8 == 0)
				put_opts(&f, next, (uint8_t)(rng() % 80));
			else
				put_opts(&f, next, (uint8_t)(rng() % 4));
			nh = next;
		}
		put_payload(&f, (uint16_t)(rng() % 64));
		ip6_finish(&f, ip);
		if (rng() % 3 == 0) { /* payload length off by a little */
			uint16_t plen = get16(&f.b[ip + 4]);

			plen = (uint16_t)(plen + (rng() % 33) - 16);
			f.b[ip + 4] = (uint8_t)(plen >> 8);
			f.b[ip + 5] = (uint8_t)plen;
		}
		if (rng() % 4 == 0)
			f.len = (uint16_t)(rng() % (f.len + 1u));
		m = ng_test_mbuf_exact(pool, f.b, f.len);
		r = parse6(m, &info);
		assert_in_range(r, NG_DROP_NONE, NG_DROP_MAX - 1);
		seen[r]++;
		if (r == NG_DROP_NONE) {
			uint16_t plen = get16(&f.b[ip + 4]);

			assert_true(info.l3_len <= NG_IP6_L3_MAX);
			assert_int_equal(info.l3_len % 8, 0);
			assert_int_equal(info.l3_len + info.l4_len, 40 + plen);
			assert_true(info.n_ext <= NG_IP6_EXT_MAX);
			assert_int_equal(m->l3_len, info.l3_len);
			assert_int_equal(rte_pktmbuf_data_len(m), ip + 40 + plen);
			assert_false(ng_ip6_is_ext(info.proto) && !(info.flags & NG_IP6_F_LATER));
		}
		rte_pktmbuf_free(m);
	}
	/* the generator reaches the verdicts that matter */
	assert_true(seen[NG_DROP_NONE] > RANDOM_CHAINS / 10);
	assert_true(seen[NG_DROP_IP6_EXT] > 0);
	assert_true(seen[NG_DROP_IP6_EXT_LIMIT] > 0);
	assert_true(seen[NG_DROP_IP6_FRAG] > 0);
	assert_true(seen[NG_DROP_IP6_FRAG_CHAIN] > 0);
	assert_true(seen[NG_DROP_TRUNCATED] > 0);
}

static void
l4_checks(void **state)
{
	struct ng_ip6_info info;
	struct rte_mbuf *m;
	struct frame f;
	uint16_t ip, l4;

	(void)state;
	for (int c = 0; c < 6; c++) {
		enum ng_drop_reason want = NG_DROP_L4_HEADER;

		ip = start6(&f, -1, c < 3 ? IPPROTO_TCP : IPPROTO_UDP);
		l4 = c < 3 ? put_tcp(&f, 1, 2, 3, 4, 0x10, 5, 0) : put_udp(&f, 1, 2, 4);
		switch (c) {
		case 0: /* whole TCP header */
			want = NG_DROP_NONE;
			break;
		case 1: /* data offset past the segment */
			f.b[l4 + 12] = 6 << 4;
			break;
		case 2: /* data offset under 5 words */
			f.b[l4 + 12] = 4 << 4;
			break;
		case 3: /* UDP with a checksum */
			ref_fix_cksum(&f, ip, l4, IPPROTO_UDP);
			want = NG_DROP_NONE;
			break;
		case 4: /* UDP checksum 0: invalid over IPv6 */
			want = NG_DROP_UDP6_NO_CKSUM;
			break;
		default: /* UDP length past the payload */
			f.b[l4 + 5] = 13;
			f.b[l4 + 7] = 1;
			break;
		}
		ip6_finish(&f, ip);
		m = ng_test_mbuf_exact(pool, f.b, f.len);
		assert_int_equal(parse6(m, &info), NG_DROP_NONE);
		assert_int_equal(ng_l4_check6(rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14),
				&info), want);
		rte_pktmbuf_free(m);
	}
	/* a TCP header cut short by the payload length */
	ip = start6(&f, -1, IPPROTO_TCP);
	put_payload(&f, 19);
	ip6_finish(&f, ip);
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	assert_int_equal(parse6(m, &info), NG_DROP_NONE);
	assert_int_equal(ng_l4_check6(rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14), &info),
			NG_DROP_L4_HEADER);
	rte_pktmbuf_free(m);
}

/* ---- ICMPv6 errors ---- */

/* A UDP packet (payload bytes) from the client to the VIP, checksummed. */
static uint16_t
udp_frame(struct frame *f, int vlan, uint16_t payload)
{
	uint16_t ip = start6(f, vlan, IPPROTO_UDP);
	uint16_t l4 = put_udp(f, 40000, 53, payload);

	ip6_finish(f, ip);
	ref_fix_cksum(f, ip, l4, IPPROTO_UDP);
	return ip;
}

/* Check an ICMPv6 error e about the frame o (IPv6 header at oip). */
static void
check_error(struct rte_mbuf *e, const struct frame *o, uint16_t oip, uint8_t type, uint8_t code,
		uint32_t word)
{
	const uint8_t *p = rte_pktmbuf_mtod(e, const uint8_t *);
	uint16_t olen = (uint16_t)(40 + get16(&o->b[oip + 4]));
	uint16_t quote = RTE_MIN(olen, (uint16_t)1232);
	const uint8_t *ip = p + oip, *icmp = ip + 40;

	assert_int_equal(e->l2_len, oip);
	assert_int_equal(e->l3_len, 40);
	assert_int_equal(e->port, 3);
	assert_int_equal(rte_pktmbuf_data_len(e), oip + 48 + quote);
	assert_true(rte_pktmbuf_data_len(e) - oip <= NG_IP6_MIN_MTU);
	/* back to the sender, from the gateway, VLAN tag kept */
	assert_memory_equal(p, mac_cli, 6);
	assert_memory_equal(p + 6, mac_gw, 6);
	assert_memory_equal(p + 12, o->b + 12, oip - 12);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(get16(ip + 4), 8 + quote);
	assert_int_equal(ip[6], IPPROTO_ICMPV6);
	assert_int_equal(ip[7], 64);
	assert_memory_equal(ip + 8, gw, 16);
	assert_memory_equal(ip + 24, cli, 16);
	assert_int_equal(icmp[0], type);
	assert_int_equal(icmp[1], code);
	assert_int_equal(get32(icmp + 4), word);
	assert_memory_equal(icmp + 8, o->b + oip, quote);
	assert_true(ref_cksum_ok(ip, icmp, 8u + quote, IPPROTO_ICMPV6));
}

static void
icmp6_errors(void **state)
{
	static const struct {
		uint8_t type, code;
		uint32_t word;
	} errs[] = {
		{NG_ICMP6_DST_UNREACH, NG_ICMP6_UNREACH_PORT, 0},
		{NG_ICMP6_DST_UNREACH, NG_ICMP6_UNREACH_NO_ROUTE, 0},
		{NG_ICMP6_DST_UNREACH, NG_ICMP6_UNREACH_ADMIN, 0},
		{NG_ICMP6_TIME_EXCEEDED, NG_ICMP6_TIME_HOP_LIMIT, 0},
		{NG_ICMP6_PKT_TOO_BIG, 0, 1400},
		{NG_ICMP6_PARAM_PROB, NG_ICMP6_PP_NEXT_HDR, 40},
	};
	/* payloads: small, exactly the quote limit, over it (1500-byte packet) */
	static const uint16_t sizes[] = {20, 1232 - 48, 1460 - 8};
	const struct rte_ether_addr *smac = (const struct rte_ether_addr *)mac_gw;

	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(errs); i++) {
		for (unsigned int s = 0; s < RTE_DIM(sizes); s++) {
			struct frame f;
			uint16_t ip = udp_frame(&f, s == 1 ? 42 : -1, sizes[s]);
			struct rte_mbuf *o = mbuf_from(f.b, f.len), *e;
			struct ng_ip6_info info;

			assert_int_equal(parse6(o, &info), NG_DROP_NONE);
			e = ng_pkt_icmp6_error(pool, o, errs[i].type, errs[i].code,
					errs[i].word, gw, smac);
			assert_non_null(e);
			check_error(e, &f, ip, errs[i].type, errs[i].code, errs[i].word);
			/* what nodegw sends, it parses */
			assert_int_equal(parse6(e, &info), NG_DROP_NONE);
			assert_int_equal(info.proto, IPPROTO_ICMPV6);
			rte_pktmbuf_free(e);
			rte_pktmbuf_free(o);
		}
	}
}

/* A frame is sent back through icmp6_error only when RFC 4443 2.4(e) allows. */
static int
error_errno(const struct frame *f, uint16_t l2, uint8_t type, uint8_t code)
{
	struct rte_mbuf *o = mbuf_from(f->b, f->len), *e;
	int err = 0;

	o->l2_len = l2;
	rte_errno = 0;
	e = ng_pkt_icmp6_error(pool, o, type, code, 0, gw, (const struct rte_ether_addr *)mac_gw);
	if (e == NULL)
		err = rte_errno;
	assert_int_equal(ng_icmp6_error_allowed(o, type, code), e != NULL);
	rte_pktmbuf_free(e);
	rte_pktmbuf_free(o);
	return err;
}

static void
icmp6_errors_refused(void **state)
{
	static const uint8_t mcast_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	static const uint8_t mcast[16] = {0xff, 0x02, [15] = 1};
	static const uint8_t unspec[16];
	struct frame f, g;
	uint16_t ip;

	(void)state;
	/* about an ICMPv6 error, also behind an options header */
	ip = start6(&f, -1, IPPROTO_ICMPV6);
	put_icmp6(&f, NG_ICMP6_DST_UNREACH, 4, 0, 48);
	ip6_finish(&f, ip);
	assert_int_equal(error_errno(&f, 14, NG_ICMP6_DST_UNREACH, 1), EPERM);
	ip = start6(&f, -1, IPPROTO_DSTOPTS);
	put_opts(&f, IPPROTO_ICMPV6, 0);
	put_icmp6(&f, NG_ICMP6_PKT_TOO_BIG, 0, 1280, 48);
	ip6_finish(&f, ip);
	assert_int_equal(error_errno(&f, 14, NG_ICMP6_DST_UNREACH, 1), EPERM);
	/* about a redirect */
	ip = start6(&f, -1, IPPROTO_ICMPV6);
	put_icmp6(&f, NG_ICMP6_REDIRECT, 0, 0, 32);
	ip6_finish(&f, ip);
	assert_int_equal(error_errno(&f, 14, NG_ICMP6_TIME_EXCEEDED, 0), EPERM);
	/* about an echo request (informational): allowed */
	f.b[ip + 40] = NG_ICMP6_ECHO_REQUEST;
	assert_int_equal(error_errno(&f, 14, NG_ICMP6_TIME_EXCEEDED, 0), 0);
	/* about a later fragment of anything: its "ICMPv6 type" is data */
	ip = start6(&f, -1, IPPROTO_FRAGMENT);
	put_frag(&f, IPPROTO_ICMPV6, 8, false, 1);
	put_icmp6(&f, NG_ICMP6_DST_UNREACH, 0, 0, 0);
	ip6_finish(&f, ip);
	assert_int_equal(error_errno(&f, 14, NG_ICMP6_TIME_EXCEEDED, 0), 0);
	/* about a malformed chain (the error's subject): allowed */
	ip = start6(&f, -1, IPPROTO_DSTOPTS);
	put_opts(&f, IPPROTO_HOPOPTS, 0);
	put_opts(&f, IPPROTO_ICMPV6, 0);
	put_icmp6(&f, NG_ICMP6_DST_UNREACH, 0, 0, 0);
	ip6_finish(&f, ip);
	assert_int_equal(error_errno(&f, 14, NG_ICMP6_PARAM_PROB, 1), 0);

	/* from :: or a multicast source: never */
	ip = udp_frame(&f, -1, 8);
	g = f;
	memcpy(&g.b[ip + 8], unspec, 16);
	assert_int_equal(error_errno(&g, 14, NG_ICMP6_DST_UNREACH, 4), EPERM);
	memcpy(&g.b[ip + 8], mcast, 16);
	assert_int_equal(error_errno(&g, 14, NG_ICMP6_PKT_TOO_BIG, 0), EPERM);
	/* to a multicast address or MAC: only packet too big and parameter
	 * problem code 2 */
	g = f;
	memcpy(&g.b[ip + 24], mcast, 16);
	assert_int_equal(error_errno(&g, 14, NG_ICMP6_DST_UNREACH, 4), EPERM);
	assert_int_equal(error_errno(&g, 14, NG_ICMP6_PARAM_PROB, 1), EPERM);
	assert_int_equal(error_errno(&g, 14, NG_ICMP6_PKT_TOO_BIG, 0), 0);
	assert_int_equal(error_errno(&g, 14, NG_ICMP6_PARAM_PROB, NG_ICMP6_PP_OPTION), 0);
	g = f;
	memcpy(g.b, mcast_mac, 6);
	assert_int_equal(error_errno(&g, 14, NG_ICMP6_TIME_EXCEEDED, 0), EPERM);
	memset(g.b, 0xff, 6);
	assert_int_equal(error_errno(&g, 14, NG_ICMP6_DST_UNREACH, 0), EPERM);
	assert_int_equal(error_errno(&g, 14, NG_ICMP6_PKT_TOO_BIG, 0), 0);

	/* not IPv6: version 4, or shorter than the fixed header */
	g = f;
	g.b[ip] = 0x45;
	assert_int_equal(error_errno(&g, 14, NG_ICMP6_DST_UNREACH, 4), EINVAL);
	g = f;
	g.len = (uint16_t)(ip + 39);
	assert_int_equal(error_errno(&g, 14, NG_ICMP6_DST_UNREACH, 4), EINVAL);

	/* the quote stops at the payload length, not at the frame's padding */
	g = f;
	memset(&g.b[g.len], 0, 30);
	g.len = (uint16_t)(g.len + 30);
	{
		struct rte_mbuf *o = mbuf_from(g.b, g.len), *e;

		o->l2_len = 14;
		e = ng_pkt_icmp6_error(pool, o, NG_ICMP6_DST_UNREACH, 4, 0, gw,
				(const struct rte_ether_addr *)mac_gw);
		assert_non_null(e);
		check_error(e, &f, ip, NG_ICMP6_DST_UNREACH, 4, 0);
		rte_pktmbuf_free(e);
		rte_pktmbuf_free(o);
	}
}

/* An empty pool: ENOBUFS, nothing leaked. */
static void
icmp6_error_no_mbuf(void **state)
{
	struct rte_mempool *tiny = rte_pktmbuf_pool_create("test_pkt6_tiny", 1, 0,
			NG_MBUF_PRIV_SIZE, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	struct rte_mbuf *hold, *o;
	struct frame f;

	(void)state;
	assert_non_null(tiny);
	hold = rte_pktmbuf_alloc(tiny);
	assert_non_null(hold);
	udp_frame(&f, -1, 8);
	o = mbuf_from(f.b, f.len);
	o->l2_len = 14;
	rte_errno = 0;
	assert_null(ng_pkt_icmp6_error(tiny, o, NG_ICMP6_DST_UNREACH, 4, 0, gw,
			(const struct rte_ether_addr *)mac_gw));
	assert_int_equal(rte_errno, ENOBUFS);
	assert_null(ng_nd_ns_build(tiny, (const struct rte_ether_addr *)mac_gw, gw, cli, NULL));
	assert_int_equal(rte_errno, ENOBUFS);
	rte_pktmbuf_free(o);
	rte_pktmbuf_free(hold);
	rte_mempool_free(tiny);
}

/* ---- echo ---- */

/* An echo request client -> dst (hbh: with HBH and DO headers), 56 bytes of data. */
static uint16_t
echo_frame(struct frame *f, const uint8_t dst[16], bool hbh)
{
	uint16_t ip, l4;

	f->len = 0;
	put_eth(f, mac_gw, mac_cli, -1, RTE_ETHER_TYPE_IPV6);
	ip = put_ip6(f, cli, dst, hbh ? IPPROTO_HOPOPTS : IPPROTO_ICMPV6, 61);
	if (hbh) {
		put_opts(f, IPPROTO_DSTOPTS, 0);
		put_opts(f, IPPROTO_ICMPV6, 1);
	}
	l4 = put_icmp6(f, NG_ICMP6_ECHO_REQUEST, 0, 0x12340007, 56);
	ip6_finish(f, ip);
	ref_fix_cksum(f, ip, l4, IPPROTO_ICMPV6);
	return l4;
}

static void
check_echo_reply(struct rte_mbuf *m, const struct frame *req, uint16_t req_l4,
		const uint8_t src[16])
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *), *ip = p + 14, *icmp = ip + 40;

	assert_int_equal(rte_pktmbuf_data_len(m), 14 + 40 + 64);
	assert_int_equal(m->l3_len, 40);
	assert_memory_equal(p, mac_cli, 6);
	assert_memory_equal(p + 6, mac_gw, 6);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(get16(ip + 4), 64);
	assert_int_equal(ip[6], IPPROTO_ICMPV6);
	assert_int_equal(ip[7], 64);
	assert_memory_equal(ip + 8, src, 16);
	assert_memory_equal(ip + 24, cli, 16);
	assert_int_equal(icmp[0], NG_ICMP6_ECHO_REPLY);
	assert_int_equal(icmp[1], 0);
	/* identifier, sequence and data as they came */
	assert_memory_equal(icmp + 4, &req->b[req_l4 + 4], 60);
	assert_true(ref_cksum_ok(ip, icmp, 64, IPPROTO_ICMPV6));
}

static void
echo_reply(void **state)
{
	const struct rte_ether_addr *smac = (const struct rte_ether_addr *)mac_gw;
	struct ng_ip6_info info;
	struct rte_mbuf *m;
	struct frame f, g;
	uint16_t l4;

	(void)state;
	for (int hbh = 0; hbh < 2; hbh++) {
		l4 = echo_frame(&f, gw, hbh);
		m = mbuf_from(f.b, f.len);
		assert_int_equal(parse6(m, &info), NG_DROP_NONE);
		assert_int_equal(ng_icmp6_echo_reply(m, &info, NULL, smac), NG_DROP_NONE);
		check_echo_reply(m, &f, l4, gw);
		rte_pktmbuf_free(m);
	}
	/* to all nodes: answered from the unicast address given */
	l4 = echo_frame(&f, all_nodes, false);
	m = mbuf_from(f.b, f.len);
	assert_int_equal(parse6(m, &info), NG_DROP_NONE);
	assert_int_equal(ng_icmp6_echo_reply(m, &info, vip, smac), NG_DROP_NONE);
	check_echo_reply(m, &f, l4, vip);
	rte_pktmbuf_free(m);

	/* refused, the packet left as it was */
	for (int c = 0; c < 5; c++) {
		enum ng_drop_reason want;

		l4 = echo_frame(&f, gw, false);
		g = f;
		switch (c) {
		case 0:
			g.b[l4 + 20] ^= 1;
			want = NG_DROP_ICMP6_CKSUM;
			break;
		case 1:
			g.b[l4] = NG_ICMP6_ECHO_REPLY;
			want = NG_DROP_ICMP_UNHANDLED;
			break;
		case 2:
			g.b[l4 + 1] = 1;
			want = NG_DROP_ICMP_UNHANDLED;
			break;
		case 3: /* 4 bytes of ICMPv6 */
			g.len = (uint16_t)(l4 + 4);
			ip6_finish(&g, 14);
			want = NG_DROP_ICMP_MALFORMED;
			break;
		default: /* from a multicast address (checksum made right for it) */
			g.b[14 + 8] = 0xff;
			ref_fix_cksum(&g, 14, l4, IPPROTO_ICMPV6);
			want = NG_DROP_IP_SRC;
			break;
		}
		m = mbuf_from(g.b, g.len);
		assert_int_equal(parse6(m, &info), NG_DROP_NONE);
		assert_int_equal(ng_icmp6_echo_reply(m, &info, NULL, smac), want);
		assert_int_equal(rte_pktmbuf_data_len(m), g.len);
		assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), g.b, g.len);
		rte_pktmbuf_free(m);
	}
}

/* ---- TCP RST ---- */

static void
tcp6_rst(void **state)
{
	const struct rte_ether_addr *smac = (const struct rte_ether_addr *)mac_gw;
	static const struct {
		uint8_t flags;
		uint16_t data;
		bool ext;
		uint8_t want_flags;
		uint32_t want_seq, want_ack;
	} cases[] = {
		/* SYN: RST|ACK acknowledging the SYN */
		{0x02, 0, false, 0x14, 0, 1001},
		/* SYN with data and FIN, behind extension headers */
		{0x03, 10, true, 0x14, 0, 1012},
		/* ACK with data: RST with its ack as sequence */
		{0x18, 100, false, 0x04, 5000, 0},
		{0x10, 0, true, 0x04, 5000, 0},
	};
	struct ng_ip6_info info;
	struct frame f;

	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
		uint16_t ip = start6(&f, -1, cases[i].ext ? IPPROTO_HOPOPTS : IPPROTO_TCP);
		struct rte_mbuf *m;
		const uint8_t *p, *th;

		if (cases[i].ext) {
			put_opts(&f, IPPROTO_DSTOPTS, 0);
			put_opts(&f, IPPROTO_TCP, 2);
		}
		put_tcp(&f, 40000, 80, 1000, 5000, cases[i].flags, 7, cases[i].data);
		ip6_finish(&f, ip);
		m = mbuf_from(f.b, f.len);
		assert_int_equal(parse6(m, &info), NG_DROP_NONE);
		assert_int_equal(ng_pkt_tcp6_rst(m, &info, smac), 0);
		assert_int_equal(rte_pktmbuf_data_len(m), 14 + 40 + 20);
		assert_int_equal(m->l3_len, 40);
		p = rte_pktmbuf_mtod(m, const uint8_t *);
		th = p + 54;
		assert_memory_equal(p, mac_cli, 6);
		assert_memory_equal(p + 6, mac_gw, 6);
		assert_int_equal(get16(p + 18), 20);
		assert_int_equal(p[20], IPPROTO_TCP);
		assert_int_equal(p[21], 64);
		assert_memory_equal(p + 22, vip, 16);
		assert_memory_equal(p + 38, cli, 16);
		assert_int_equal(get16(th), 80);
		assert_int_equal(get16(th + 2), 40000);
		assert_int_equal(get32(th + 4), cases[i].want_seq);
		assert_int_equal(get32(th + 8), cases[i].want_ack);
		assert_int_equal(th[12], 5 << 4);
		assert_int_equal(th[13], cases[i].want_flags);
		assert_true(ref_cksum_ok(p + 14, th, 20, IPPROTO_TCP));
		rte_pktmbuf_free(m);
	}
	/* never for a RST, a fragment or a multicast source */
	for (int c = 0; c < 3; c++) {
		struct rte_mbuf *m;
		uint16_t ip;

		ip = start6(&f, -1, c == 1 ? IPPROTO_FRAGMENT : IPPROTO_TCP);
		if (c == 1)
			put_frag(&f, IPPROTO_TCP, 0, true, 1);
		put_tcp(&f, 40000, 80, 1, 2, c == 0 ? 0x04 : 0x02, 5, c == 1 ? 4 : 0);
		ip6_finish(&f, ip);
		if (c == 2)
			f.b[ip + 8] = 0xff;
		m = mbuf_from(f.b, f.len);
		assert_int_equal(parse6(m, &info), NG_DROP_NONE);
		assert_int_equal(ng_pkt_tcp6_rst(m, &info, smac), -EINVAL);
		assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), f.b, f.len);
		rte_pktmbuf_free(m);
	}
}

/* ---- neighbour discovery ---- */

/*
 * An ND message: NS or NA (flags) for target from src to dst, hop limit
 * hops, with a link-layer option (opt type, length in units of 8) unless opt
 * is 0. Returns the ICMPv6 offset.
 */
static uint16_t
nd_frame(struct frame *f, uint8_t type, uint8_t flags, const uint8_t src[16],
		const uint8_t dst[16], const uint8_t target[16], uint8_t hops, uint8_t opt,
		uint8_t opt_len)
{
	uint16_t ip, l4;

	f->len = 0;
	put_eth(f, mac_gw, mac_cli, -1, RTE_ETHER_TYPE_IPV6);
	ip = put_ip6(f, src, dst, IPPROTO_ICMPV6, hops);
	l4 = put_icmp6(f, type, 0, (uint32_t)flags << 24, 0);
	put_bytes(f, target, 16);
	if (opt != 0) {
		put8(f, opt);
		put8(f, opt_len);
		put_bytes(f, mac_cli, 6);
		for (unsigned int i = 8; i < opt_len * 8u; i++)
			put8(f, 0);
	}
	ip6_finish(f, ip);
	ref_fix_cksum(f, ip, l4, IPPROTO_ICMPV6);
	return l4;
}

static enum ng_drop_reason
nd_parse_frame(const struct frame *f, struct ng_nd_msg *msg)
{
	struct rte_mbuf *m = ng_test_mbuf_exact(pool, f->b, f->len);
	struct ng_ip6_info info;
	enum ng_drop_reason r = parse6(m, &info);

	if (r == NG_DROP_NONE)
		r = ng_nd_parse(m, &info, msg);
	rte_pktmbuf_free(m);
	return r;
}

static void
nd_parse_valid(void **state)
{
	struct ng_nd_msg msg;
	uint8_t sn[16];
	static const uint8_t unspec[16];
	struct frame f;
	uint16_t l4;

	(void)state;
	/* NS with a source link-layer option, to the solicited-node address */
	ng_ip6_solicited_node(gw, sn);
	nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, gw, 255, NG_ND_OPT_SLLA, 1);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_NONE);
	assert_int_equal(msg.type, NG_ICMP6_ND_NS);
	assert_int_equal(msg.flags, 0);
	assert_memory_equal(msg.target, gw, 16);
	assert_memory_equal(msg.src, cli, 16);
	assert_memory_equal(msg.dst, sn, 16);
	assert_true(msg.has_lladdr);
	assert_memory_equal(&msg.lladdr, mac_cli, 6);
	/* NS for reachability (unicast, no option) */
	nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, gw, gw, 255, 0, 0);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_NONE);
	assert_false(msg.has_lladdr);
	/* NS for duplicate address detection: from ::, no option */
	nd_frame(&f, NG_ICMP6_ND_NS, 0, unspec, sn, gw, 255, 0, 0);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_NONE);
	/* Unknown options are skipped; of two link-layer options the first counts */
	l4 = nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, gw, 255, 14, 1);
	put8(&f, NG_ND_OPT_SLLA);
	put8(&f, 1);
	put_bytes(&f, mac_gw, 6);
	put8(&f, NG_ND_OPT_SLLA);
	put8(&f, 1);
	put_bytes(&f, mac_cli, 6);
	ip6_finish(&f, 14);
	ref_fix_cksum(&f, 14, l4, IPPROTO_ICMPV6);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_NONE);
	assert_memory_equal(&msg.lladdr, mac_gw, 6);
	/* NA, solicited, with its target link-layer option */
	nd_frame(&f, NG_ICMP6_ND_NA, NG_ND_NA_SOLICITED | NG_ND_NA_OVERRIDE | NG_ND_NA_ROUTER,
			cli, gw, cli, 255, NG_ND_OPT_TLLA, 1);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_NONE);
	assert_int_equal(msg.type, NG_ICMP6_ND_NA);
	assert_int_equal(msg.flags, NG_ND_NA_SOLICITED | NG_ND_NA_OVERRIDE | NG_ND_NA_ROUTER);
	assert_true(msg.has_lladdr);
	/* unsolicited NA to all nodes */
	nd_frame(&f, NG_ICMP6_ND_NA, NG_ND_NA_OVERRIDE, cli, all_nodes, cli, 255,
			NG_ND_OPT_TLLA, 1);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_NONE);
	assert_int_equal(msg.flags, NG_ND_NA_OVERRIDE);
}

static void
nd_parse_invalid(void **state)
{
	static const uint8_t unspec[16];
	static const uint8_t mcast[16] = {0xff, 0x02, [15] = 2};
	struct ng_nd_msg msg;
	uint8_t sn[16];
	struct frame f;
	uint16_t l4;

	(void)state;
	ng_ip6_solicited_node(gw, sn);
	/* hop limit not 255 (from off link) */
	nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, gw, 254, NG_ND_OPT_SLLA, 1);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	/* code 1 */
	l4 = nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, gw, 255, NG_ND_OPT_SLLA, 1);
	f.b[l4 + 1] = 1;
	ref_fix_cksum(&f, 14, l4, IPPROTO_ICMPV6);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	/* bad checksum */
	l4 = nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, gw, 255, NG_ND_OPT_SLLA, 1);
	f.b[l4 + 2] ^= 0x40;
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ICMP6_CKSUM);
	/* shorter than 24 bytes */
	l4 = nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, gw, 255, 0, 0);
	f.len = (uint16_t)(f.len - 4);
	ip6_finish(&f, 14);
	ref_fix_cksum(&f, 14, l4, IPPROTO_ICMPV6);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	/* multicast target */
	nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, mcast, 255, NG_ND_OPT_SLLA, 1);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	/* an option of length 0 (of a known type or not), one past the end, a
	 * link-layer option of length 2 */
	nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, gw, 255, NG_ND_OPT_SLLA, 0);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, gw, 255, 14, 0);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	l4 = nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, gw, 255, NG_ND_OPT_SLLA, 1);
	f.b[l4 + 24] = 14;
	f.b[l4 + 25] = 2;
	ref_fix_cksum(&f, 14, l4, IPPROTO_ICMPV6);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, gw, 255, NG_ND_OPT_SLLA, 2);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	/* an odd byte after the options: an option header cut short */
	l4 = nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, gw, 255, NG_ND_OPT_SLLA, 1);
	put8(&f, 14);
	ip6_finish(&f, 14);
	ref_fix_cksum(&f, 14, l4, IPPROTO_ICMPV6);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	/* duplicate address detection: with a source option, or not to a
	 * solicited-node address */
	nd_frame(&f, NG_ICMP6_ND_NS, 0, unspec, sn, gw, 255, NG_ND_OPT_SLLA, 1);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	nd_frame(&f, NG_ICMP6_ND_NS, 0, unspec, gw, gw, 255, 0, 0);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	/* from a multicast address */
	nd_frame(&f, NG_ICMP6_ND_NS, 0, mcast, sn, gw, 255, 0, 0);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	/* solicited NA to a multicast address; NA from :: */
	nd_frame(&f, NG_ICMP6_ND_NA, NG_ND_NA_SOLICITED, cli, all_nodes, cli, 255,
			NG_ND_OPT_TLLA, 1);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	nd_frame(&f, NG_ICMP6_ND_NA, 0, unspec, all_nodes, cli, 255, NG_ND_OPT_TLLA, 1);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	/* not NS or NA */
	nd_frame(&f, NG_ICMP6_REDIRECT, 0, cli, gw, gw, 255, 0, 0);
	assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	/* fragmented, even as an atomic fragment (RFC 6980) */
	{
		uint16_t ip = start6(&f, -1, IPPROTO_FRAGMENT);

		memcpy(&f.b[ip + 8], cli, 16);
		memcpy(&f.b[ip + 24], sn, 16);
		f.b[ip + 7] = 255;
		put_frag(&f, IPPROTO_ICMPV6, 0, false, 1);
		l4 = put_icmp6(&f, NG_ICMP6_ND_NS, 0, 0, 0);
		put_bytes(&f, gw, 16);
		ip6_finish(&f, ip);
		ref_fix_cksum(&f, ip, l4, IPPROTO_ICMPV6);
		assert_int_equal(nd_parse_frame(&f, &msg), NG_DROP_ND_INVALID);
	}
}

/* Check an ND message m built by the library, and parse it back. */
static void
check_nd(struct rte_mbuf *m, uint8_t type, const uint8_t dmac[6], const uint8_t src[16],
		const uint8_t dst[16], const uint8_t target[16], uint8_t flags, bool opt,
		struct ng_nd_msg *msg)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t l2 = m->l2_len, len = opt ? 32 : 24;
	const uint8_t *ip = p + l2, *icmp = ip + 40;
	struct ng_ip6_info info;

	assert_int_equal(rte_pktmbuf_data_len(m), l2 + 40 + len);
	assert_memory_equal(p, dmac, 6);
	assert_memory_equal(p + 6, mac_gw, 6);
	assert_int_equal(get16(p + l2 - 2), RTE_ETHER_TYPE_IPV6);
	assert_int_equal(ip[0], 0x60);
	assert_int_equal(get16(ip + 4), len);
	assert_int_equal(ip[6], IPPROTO_ICMPV6);
	assert_int_equal(ip[7], 255);
	assert_memory_equal(ip + 8, src, 16);
	assert_memory_equal(ip + 24, dst, 16);
	assert_int_equal(icmp[0], type);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(icmp[4], flags);
	assert_memory_equal(icmp + 8, target, 16);
	if (opt) {
		assert_int_equal(icmp[24],
				type == NG_ICMP6_ND_NS ? NG_ND_OPT_SLLA : NG_ND_OPT_TLLA);
		assert_int_equal(icmp[25], 1);
		assert_memory_equal(icmp + 26, mac_gw, 6);
	}
	assert_true(ref_cksum_ok(ip, icmp, len, IPPROTO_ICMPV6));
	/* and it is a valid ND message */
	assert_int_equal(parse6(m, &info), NG_DROP_NONE);
	assert_int_equal(ng_nd_parse(m, &info, msg), NG_DROP_NONE);
	assert_int_equal(msg->has_lladdr, opt);
}

static void
nd_build(void **state)
{
	const struct rte_ether_addr *smac = (const struct rte_ether_addr *)mac_gw;
	static const uint8_t unspec[16];
	static const uint8_t an_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	uint8_t sn[16], sn_mac[6];
	struct ng_nd_msg msg;
	struct rte_mbuf *m;

	(void)state;
	/* address resolution: to the solicited-node group and its MAC */
	ng_ip6_solicited_node(cli, sn);
	assert_memory_equal(sn, ((const uint8_t[16]){0xff, 0x02, [11] = 1, 0xff, 0, 0, 2}), 16);
	ng_ip6_mcast_mac(sn, (struct rte_ether_addr *)sn_mac);
	assert_memory_equal(sn_mac, ((const uint8_t[6]){0x33, 0x33, 0xff, 0, 0, 2}), 6);
	assert_true(ng_ip6_is_solicited_node(sn));
	assert_false(ng_ip6_is_solicited_node(cli));
	m = ng_nd_ns_build(pool, smac, gw, cli, NULL);
	assert_non_null(m);
	check_nd(m, NG_ICMP6_ND_NS, sn_mac, gw, sn, cli, 0, true, &msg);
	assert_memory_equal(&msg.lladdr, mac_gw, 6);
	rte_pktmbuf_free(m);
	/* reachability: unicast to the target's MAC */
	m = ng_nd_ns_build(pool, smac, gw, cli, (const struct rte_ether_addr *)mac_cli);
	assert_non_null(m);
	check_nd(m, NG_ICMP6_ND_NS, mac_cli, gw, cli, cli, 0, true, &msg);
	rte_pktmbuf_free(m);
	/* duplicate address detection: from ::, no option */
	m = ng_nd_ns_build(pool, smac, unspec, gw, NULL);
	assert_non_null(m);
	ng_ip6_solicited_node(gw, sn);
	ng_ip6_mcast_mac(sn, (struct rte_ether_addr *)sn_mac);
	check_nd(m, NG_ICMP6_ND_NS, sn_mac, unspec, sn, gw, 0, false, &msg);
	rte_pktmbuf_free(m);
	/* unsolicited NA to all nodes */
	m = ng_nd_na_build(pool, smac, vip, vip, NG_ND_NA_ROUTER | NG_ND_NA_OVERRIDE, NULL, NULL);
	assert_non_null(m);
	check_nd(m, NG_ICMP6_ND_NA, an_mac, vip, all_nodes, vip,
			NG_ND_NA_ROUTER | NG_ND_NA_OVERRIDE, true, &msg);
	rte_pktmbuf_free(m);
	/* NA to one node */
	m = ng_nd_na_build(pool, smac, gw, gw, NG_ND_NA_SOLICITED, cli,
			(const struct rte_ether_addr *)mac_cli);
	assert_non_null(m);
	check_nd(m, NG_ICMP6_ND_NA, mac_cli, gw, cli, gw, NG_ND_NA_SOLICITED, true, &msg);
	rte_pktmbuf_free(m);
	/* refused: a multicast target, a destination without a MAC */
	rte_errno = 0;
	assert_null(ng_nd_ns_build(pool, smac, gw, all_nodes, NULL));
	assert_int_equal(rte_errno, EINVAL);
	rte_errno = 0;
	assert_null(ng_nd_na_build(pool, smac, gw, gw, 0, cli, NULL));
	assert_int_equal(rte_errno, EINVAL);
	rte_errno = 0;
	assert_null(ng_nd_na_build(pool, smac, gw, all_nodes, 0, NULL, NULL));
	assert_int_equal(rte_errno, EINVAL);
}

static void
nd_na_reply(void **state)
{
	const struct rte_ether_addr *smac = (const struct rte_ether_addr *)mac_gw;
	static const uint8_t unspec[16];
	static const uint8_t an_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	static const uint8_t other_mac[6] = {0x02, 0, 0, 0, 0, 0x77};
	struct ng_nd_msg ns, na;
	struct ng_ip6_info info;
	struct rte_mbuf *m;
	uint8_t sn[16];
	struct frame f;

	(void)state;
	ng_ip6_solicited_node(vip, sn);
	/* NS with a source option (another MAC than the frame's): NA to it */
	nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, sn, vip, 255, NG_ND_OPT_SLLA, 1);
	memcpy(&f.b[f.len - 6], other_mac, 6);
	ref_fix_cksum(&f, 14, 54, IPPROTO_ICMPV6);
	m = mbuf_from(f.b, f.len);
	assert_int_equal(parse6(m, &info), NG_DROP_NONE);
	assert_int_equal(ng_nd_parse(m, &info, &ns), NG_DROP_NONE);
	assert_int_equal(ng_nd_na_reply(m, &ns, NG_ND_NA_ROUTER | NG_ND_NA_OVERRIDE |
			NG_ND_NA_SOLICITED, smac), 0);
	check_nd(m, NG_ICMP6_ND_NA, other_mac, vip, cli, vip,
			NG_ND_NA_ROUTER | NG_ND_NA_OVERRIDE | NG_ND_NA_SOLICITED, true, &na);
	rte_pktmbuf_free(m);
	/* unicast NS without option (24 bytes, grows to 32), behind a VLAN tag:
	 * NA to the frame's source, tag kept */
	f.len = 0;
	put_eth(&f, mac_gw, mac_cli, 77, RTE_ETHER_TYPE_IPV6);
	{
		uint16_t ip = put_ip6(&f, cli, vip, IPPROTO_ICMPV6, 255);
		uint16_t l4 = put_icmp6(&f, NG_ICMP6_ND_NS, 0, 0, 0);

		put_bytes(&f, vip, 16);
		ip6_finish(&f, ip);
		ref_fix_cksum(&f, ip, l4, IPPROTO_ICMPV6);
	}
	m = mbuf_from(f.b, f.len);
	assert_int_equal(parse6(m, &info), NG_DROP_NONE);
	assert_int_equal(ng_nd_parse(m, &info, &ns), NG_DROP_NONE);
	assert_int_equal(ng_nd_na_reply(m, &ns, NG_ND_NA_OVERRIDE, smac), 0);
	assert_int_equal(m->l2_len, 18);
	assert_int_equal(get16(rte_pktmbuf_mtod(m, uint8_t *) + 14), 77);
	check_nd(m, NG_ICMP6_ND_NA, mac_cli, vip, cli, vip,
			NG_ND_NA_OVERRIDE | NG_ND_NA_SOLICITED, true, &na);
	rte_pktmbuf_free(m);
	/* duplicate address detection: to all nodes, not solicited */
	nd_frame(&f, NG_ICMP6_ND_NS, 0, unspec, sn, vip, 255, 0, 0);
	m = mbuf_from(f.b, f.len);
	assert_int_equal(parse6(m, &info), NG_DROP_NONE);
	assert_int_equal(ng_nd_parse(m, &info, &ns), NG_DROP_NONE);
	assert_int_equal(ng_nd_na_reply(m, &ns, NG_ND_NA_OVERRIDE | NG_ND_NA_SOLICITED, smac), 0);
	check_nd(m, NG_ICMP6_ND_NA, an_mac, vip, all_nodes, vip, NG_ND_NA_OVERRIDE, true, &na);
	rte_pktmbuf_free(m);
	/* no room to grow (a buffer of exactly the 24-byte NS): -ENOSPC */
	nd_frame(&f, NG_ICMP6_ND_NS, 0, cli, vip, vip, 255, 0, 0);
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	assert_int_equal(parse6(m, &info), NG_DROP_NONE);
	assert_int_equal(ng_nd_parse(m, &info, &ns), NG_DROP_NONE);
	assert_int_equal(ng_nd_na_reply(m, &ns, 0, smac), -ENOSPC);
	rte_pktmbuf_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(parse_plain, test_teardown),
		cmocka_unit_test_teardown(parse_ext_chain, test_teardown),
		cmocka_unit_test_teardown(parse_bounds, test_teardown),
		cmocka_unit_test_teardown(parse_hostile, test_teardown),
		cmocka_unit_test_teardown(parse_fragments, test_teardown),
		cmocka_unit_test_teardown(parse_truncated_every_length, test_teardown),
		cmocka_unit_test_teardown(parse_truncated_payload, test_teardown),
		cmocka_unit_test_teardown(parse_random_chains, test_teardown),
		cmocka_unit_test_teardown(l4_checks, test_teardown),
		cmocka_unit_test_teardown(icmp6_errors, test_teardown),
		cmocka_unit_test_teardown(icmp6_errors_refused, test_teardown),
		cmocka_unit_test_teardown(icmp6_error_no_mbuf, test_teardown),
		cmocka_unit_test_teardown(echo_reply, test_teardown),
		cmocka_unit_test_teardown(tcp6_rst, test_teardown),
		cmocka_unit_test_teardown(nd_parse_valid, test_teardown),
		cmocka_unit_test_teardown(nd_parse_invalid, test_teardown),
		cmocka_unit_test_teardown(nd_build, test_teardown),
		cmocka_unit_test_teardown(nd_na_reply, test_teardown),
	};

	return cmocka_run_group_tests_name("pkt6", tests, group_setup, group_teardown);
}
