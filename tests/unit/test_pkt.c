/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/pkt: the data-path parser (ng_pkt_parse), the incremental
 * checksum helpers, and the ARP request / ICMP error builders.
 *
 * EAL runs with --no-huge and no shared config, so the test needs neither
 * root nor hugepages and can run beside other tests.
 *
 * Frames that test the parser's bounds are placed in heap buffers of exactly
 * the frame's length (attached to an mbuf as an external buffer), so that
 * under ASan any read past the end of the frame fails the test instead of
 * reading the rest of an mbuf's data room.
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

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "pkt.h"
#include "pkt_dp.h"
#include "ng_test_frame.h"

#define GARBAGE_FRAMES 5000
#define CKSUM_ROUNDS 20000

static struct rte_mempool *pool;

static const struct rte_ether_addr mac_a = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}};
static const struct rte_ether_addr mac_b = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b}};

/* ---- deterministic random numbers (xorshift64*) ---- */

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

/* ---- frames (tests/lib/ng_test_frame.h) ---- */

/* A UDP-ish IPv4 frame with 8 payload bytes: 14 + 20 + 8 = 42 bytes. */
static void
frame_ip4(struct tb_frame *f, int vlan)
{
	tb_eth(f, &mac_a, &mac_b, vlan, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, tb_ip(198, 18, 0, 2), tb_ip(198, 18, 1, 2), IPPROTO_UDP, 64, 8);
}

static void
frame_arp(struct tb_frame *f, int vlan)
{
	static const struct rte_ether_addr zero;

	tb_eth(f, &mac_a, &mac_b, vlan, RTE_ETHER_TYPE_ARP);
	tb_arp(f, RTE_ARP_OP_REQUEST, &mac_b, tb_ip(198, 18, 0, 2), &zero, tb_ip(198, 18, 0, 1));
}

/* The header checksum after a change, when the header fits in the frame. */
static void
frame_fix_cksum(struct tb_frame *f)
{
	struct rte_ipv4_hdr *h = tb_ip4_hdr(f);
	uint16_t hl = (uint16_t)((h->version_ihl & 0x0f) * 4);

	h->hdr_checksum = 0;
	/* rte_ipv4_cksum reads ihl words: only when they fit in the frame. */
	if (hl >= sizeof(*h) && f->l2 + hl <= f->len)
		h->hdr_checksum = rte_ipv4_cksum(h);
}

/* ---- mbufs ---- */

/* A one-segment mbuf from the pool holding a copy of len bytes. */
static struct rte_mbuf *
mbuf_from(const uint8_t *bytes, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, len);
	assert_non_null(p);
	memcpy(p, bytes, len);
	return m;
}

static enum ng_drop_reason
parse_exact(const uint8_t *bytes, uint16_t len, enum ng_l3 *l3)
{
	struct rte_mbuf *m = ng_test_mbuf_exact(pool, bytes, len);
	enum ng_drop_reason r = ng_pkt_parse(m, l3, true);

	rte_pktmbuf_free(m);
	return r;
}

/* ---- group setup ---- */

static int
group_setup(void **state)
{
	char prefix[64];
	char *argv[] = {
		"test_pkt", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
		"--file-prefix", prefix, "-l", "0", "--log-level", "lib.*:error", NULL,
	};

	(void)state;
	snprintf(prefix, sizeof(prefix), "ng_test_pkt_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	pool = rte_pktmbuf_pool_create("test_pkt", 1023, 0, NG_MBUF_PRIV_SIZE,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
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

/* ---- ng_pkt_parse ---- */

static void
parse_ip4_ok(void **state)
{
	struct tb_frame f;
	struct rte_mbuf *m;
	enum ng_l3 l3 = 0;

	(void)state;
	frame_ip4(&f, -1);
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_NONE);
	assert_int_equal(l3, NG_L3_IPV4);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(rte_pktmbuf_data_len(m), 42);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 42);
	rte_pktmbuf_free(m);
}

static void
parse_ip4_options(void **state)
{
	struct tb_frame f;
	struct rte_mbuf *m;
	enum ng_l3 l3 = 0;

	(void)state;
	tb_eth(&f, &mac_a, &mac_b, -1, RTE_ETHER_TYPE_IPV4);
	tb_ip4_ihl(&f, tb_ip(198, 18, 0, 2), tb_ip(198, 18, 1, 2), IPPROTO_UDP, 64, 8, 15);
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_NONE);
	assert_int_equal(l3, NG_L3_IPV4);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 60);
	assert_int_equal(rte_pktmbuf_data_len(m), 14 + 60 + 8);
	rte_pktmbuf_free(m);
}

static void
parse_vlan_ok(void **state)
{
	struct tb_frame f;
	struct rte_mbuf *m;
	enum ng_l3 l3 = 0;

	(void)state;
	frame_ip4(&f, 0x0064);
	assert_int_equal(f.len, 46);
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_NONE);
	assert_int_equal(l3, NG_L3_IPV4);
	assert_int_equal(m->l2_len, 18);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(rte_pktmbuf_data_len(m), 46);
	rte_pktmbuf_free(m);

	/* VLAN 0 (priority tag only) is still one tag. */
	frame_ip4(&f, 0xe000);
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_NONE);
	assert_int_equal(m->l2_len, 18);
	rte_pktmbuf_free(m);
}

static void
parse_vlan_nested(void **state)
{
	static const uint16_t inner[] = {RTE_ETHER_TYPE_VLAN, RTE_ETHER_TYPE_QINQ};
	enum ng_l3 l3 = 0;

	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(inner); i++) {
		struct tb_frame f;

		/* 802.1Q tag whose inner type is another tag, then IPv4. */
		tb_eth(&f, &mac_a, &mac_b, 10, inner[i]);
		tb_put16(&f, 20);
		tb_put16(&f, RTE_ETHER_TYPE_IPV4);
		tb_ip4_ihl(&f, tb_ip(198, 18, 0, 2), tb_ip(198, 18, 1, 2), IPPROTO_UDP, 64, 8, 5);
		assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_VLAN_NESTED);
		/* Even with nothing after the second tag's type. */
		assert_int_equal(parse_exact(f.b, 18, &l3), NG_DROP_VLAN_NESTED);
	}
	{
		/*
		 * An 802.1ad S-tag outside (0x88a8): the parser does not know it as a
		 * tag at all; it is dropped as an unsupported ethertype.
		 */
		struct tb_frame f;

		tb_eth(&f, &mac_a, &mac_b, -1, RTE_ETHER_TYPE_QINQ);
		tb_put16(&f, 10);
		tb_put16(&f, RTE_ETHER_TYPE_VLAN);
		tb_put16(&f, 20);
		tb_put16(&f, RTE_ETHER_TYPE_IPV4);
		tb_ip4_ihl(&f, tb_ip(198, 18, 0, 2), tb_ip(198, 18, 1, 2), IPPROTO_UDP, 64, 8, 5);
		assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_ETHERTYPE);
	}
}

/* Every prefix of a good frame is dropped as truncated, and never read past. */
static void
parse_truncated_every_length(void **state)
{
	struct tb_frame f;
	enum ng_l3 l3;

	(void)state;
	for (int kind = 0; kind < 4; kind++) {
		switch (kind) {
		case 0:
			frame_ip4(&f, -1);
			break;
		case 1:
			frame_ip4(&f, 7);
			break;
		case 2:
			frame_arp(&f, -1);
			break;
		default:
			frame_arp(&f, 7);
			break;
		}
		for (uint16_t len = 0; len < f.len; len++) {
			enum ng_drop_reason r = parse_exact(f.b, len, &l3);

			if (r != NG_DROP_TRUNCATED)
				fail_msg("frame kind %d cut to %u of %u bytes: got %s, want %s",
						kind, len, f.len, ng_drop_id(r),
						ng_drop_id(NG_DROP_TRUNCATED));
			assert_int_equal(r, NG_DROP_TRUNCATED);
		}
		l3 = 0;
		assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_NONE);
		assert_int_equal(l3, kind < 2 ? NG_L3_IPV4 : NG_L3_ARP);
	}
}

/* Cut an IPv4 frame with options: every length still gives a reason, never a crash. */
static void
parse_truncated_options(void **state)
{
	struct tb_frame f;
	enum ng_l3 l3;

	(void)state;
	tb_eth(&f, &mac_a, &mac_b, -1, RTE_ETHER_TYPE_IPV4);
	tb_ip4_ihl(&f, tb_ip(198, 18, 0, 2), tb_ip(198, 18, 1, 2), IPPROTO_TCP, 64, 20, 6);
	for (uint16_t len = 0; len < f.len; len++)
		assert_int_equal(parse_exact(f.b, len, &l3), NG_DROP_TRUNCATED);
	assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_NONE);
}

static void
parse_bad_ip_headers(void **state)
{
	struct tb_frame f;
	struct rte_ipv4_hdr *h;
	enum ng_l3 l3;

	(void)state;
	/* IP version 6 inside an IPv4 ethertype. */
	frame_ip4(&f, -1);
	h = tb_ip4_hdr(&f);
	h->version_ihl = 0x65;
	frame_fix_cksum(&f);
	assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_IP_HEADER);

	/* Version 0. */
	frame_ip4(&f, -1);
	tb_ip4_hdr(&f)->version_ihl = 0x05;
	assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_IP_HEADER);

	/* ihl < 5, every value. */
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		frame_ip4(&f, -1);
		tb_ip4_hdr(&f)->version_ihl = (uint8_t)(0x40 | ihl);
		assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_IP_HEADER);
	}

	/* total_length smaller than the header. */
	for (uint16_t tot = 0; tot < 20; tot++) {
		frame_ip4(&f, -1);
		h = tb_ip4_hdr(&f);
		h->total_length = rte_cpu_to_be_16(tot);
		frame_fix_cksum(&f);
		assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_IP_HEADER);
	}
	/* ihl 6 with total_length 20..23: shorter than ihl. */
	tb_eth(&f, &mac_a, &mac_b, -1, RTE_ETHER_TYPE_IPV4);
	tb_ip4_ihl(&f, tb_ip(198, 18, 0, 2), tb_ip(198, 18, 1, 2), IPPROTO_UDP, 64, 8, 6);
	h = tb_ip4_hdr(&f);
	h->total_length = rte_cpu_to_be_16(23);
	frame_fix_cksum(&f);
	assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_IP_HEADER);

	/* total_length larger than the frame: truncated. */
	frame_ip4(&f, -1);
	h = tb_ip4_hdr(&f);
	h->total_length = rte_cpu_to_be_16(29);
	frame_fix_cksum(&f);
	assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_TRUNCATED);
	h->total_length = rte_cpu_to_be_16(0xffff);
	frame_fix_cksum(&f);
	assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_TRUNCATED);
	/* ihl claims 60 bytes of header in a 42-byte frame. */
	frame_ip4(&f, -1);
	h = tb_ip4_hdr(&f);
	h->version_ihl = 0x4f;
	h->total_length = rte_cpu_to_be_16(60);
	assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_TRUNCATED);
}

static void
parse_bad_cksum(void **state)
{
	struct tb_frame f;
	struct rte_mbuf *m;
	enum ng_l3 l3 = 0;

	(void)state;
	frame_ip4(&f, -1);
	tb_ip4_hdr(&f)->hdr_checksum ^= rte_cpu_to_be_16(0x0100);
	assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_IP_CKSUM);

	/* Not verified when the caller says so. */
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	assert_int_equal(ng_pkt_parse(m, &l3, false), NG_DROP_NONE);
	assert_int_equal(l3, NG_L3_IPV4);
	rte_pktmbuf_free(m);

	/* The PMD's verdict wins over software: GOOD skips the check... */
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_NONE);
	rte_pktmbuf_free(m);

	/* ...and BAD drops a header whose checksum is in fact right. */
	frame_ip4(&f, -1);
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_IP_CKSUM);
	rte_pktmbuf_free(m);

	/* A bad checksum behind a VLAN tag. */
	frame_ip4(&f, 5);
	tb_ip4_hdr(&f)->hdr_checksum ^= 1;
	assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_IP_CKSUM);
}

static void
parse_padding_trimmed(void **state)
{
	struct tb_frame f;
	struct rte_mbuf *m;
	enum ng_l3 l3 = 0;

	(void)state;
	frame_ip4(&f, -1);
	memset(&f.b[f.len], 0xee, 60 - f.len); /* minimum Ethernet frame */
	f.len = 60;
	m = mbuf_from(f.b, f.len);
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_NONE);
	assert_int_equal(l3, NG_L3_IPV4);
	assert_int_equal(rte_pktmbuf_data_len(m), 42);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 42);
	rte_pktmbuf_free(m);

	/* Same behind a tag. */
	frame_ip4(&f, 3);
	memset(&f.b[f.len], 0, 64 - f.len);
	f.len = 64;
	m = mbuf_from(f.b, f.len);
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_NONE);
	assert_int_equal(rte_pktmbuf_data_len(m), 46);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 46);
	rte_pktmbuf_free(m);
}

static void
parse_arp(void **state)
{
	struct tb_frame f;
	struct rte_mbuf *m;
	enum ng_l3 l3 = 0;

	(void)state;
	frame_arp(&f, -1);
	assert_int_equal(f.len, 42);
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_NONE);
	assert_int_equal(l3, NG_L3_ARP);
	assert_int_equal(m->l2_len, 14);
	rte_pktmbuf_free(m);

	frame_arp(&f, 9);
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	l3 = 0;
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_NONE);
	assert_int_equal(l3, NG_L3_ARP);
	assert_int_equal(m->l2_len, 18);
	rte_pktmbuf_free(m);

	/* ARP with Ethernet padding is accepted (and left as is). */
	frame_arp(&f, -1);
	memset(&f.b[f.len], 0, 60 - f.len);
	f.len = 60;
	m = ng_test_mbuf_exact(pool, f.b, f.len);
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_NONE);
	assert_int_equal(l3, NG_L3_ARP);
	assert_int_equal(rte_pktmbuf_data_len(m), 60);
	rte_pktmbuf_free(m);
}

static void
parse_ipv6_and_unknown(void **state)
{
	struct tb_frame f;
	enum ng_l3 l3 = 0;

	(void)state;
	tb_eth(&f, &mac_a, &mac_b, -1, RTE_ETHER_TYPE_IPV6);
	memset(&f.b[f.len], 0x60, 40);
	f.len = (uint16_t)(f.len + 40);
	assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_IPV6);
	assert_int_equal(l3, NG_L3_IPV6);

	tb_eth(&f, &mac_a, &mac_b, 4, RTE_ETHER_TYPE_IPV6);
	l3 = 0;
	assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_IPV6);
	assert_int_equal(l3, NG_L3_IPV6);

	static const uint16_t types[] = {RTE_ETHER_TYPE_LLDP, RTE_ETHER_TYPE_MPLS, 0x0000, 0x05dc,
			0xffff, RTE_ETHER_TYPE_QINQ1, RTE_ETHER_TYPE_RARP};
	for (unsigned int i = 0; i < RTE_DIM(types); i++) {
		tb_eth(&f, &mac_a, &mac_b, -1, types[i]);
		memset(&f.b[f.len], 0, 46);
		f.len = (uint16_t)(f.len + 46);
		assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_ETHERTYPE);
		tb_eth(&f, &mac_a, &mac_b, 1, types[i]);
		assert_int_equal(parse_exact(f.b, f.len, &l3), NG_DROP_ETHERTYPE);
	}
}

static void
parse_multi_segment(void **state)
{
	struct tb_frame f;
	struct rte_mbuf *m, *tail;
	enum ng_l3 l3 = 0;

	(void)state;
	frame_ip4(&f, -1);
	m = mbuf_from(f.b, 34);
	tail = mbuf_from(&f.b[34], (uint16_t)(f.len - 34));
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	assert_int_equal(m->nb_segs, 2);
	assert_int_equal(rte_pktmbuf_pkt_len(m), f.len);
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_TRUNCATED);
	rte_pktmbuf_free(m);

	/* Even when the first segment holds the whole frame. */
	m = mbuf_from(f.b, f.len);
	tail = mbuf_from(f.b, 4);
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_TRUNCATED);
	rte_pktmbuf_free(m);

	/* A datagram reassembled here: exactly its length, 20 bytes of L4 in the first. */
	tb_eth(&f, &mac_a, &mac_b, -1, RTE_ETHER_TYPE_IPV4);
	tb_ip4(&f, tb_ip(198, 18, 0, 2), tb_ip(198, 18, 1, 2), IPPROTO_UDP, 64, 64);
	m = mbuf_from(f.b, 54);
	tail = mbuf_from(&f.b[54], (uint16_t)(f.len - 54));
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_NONE);
	assert_int_equal(l3, NG_L3_IPV4);
	rte_pktmbuf_free(m);
}

/*
 * Random frames: mostly garbage, some with a plausible Ethernet type and IPv4
 * first byte so the deeper checks run. Never a crash, never a read past the
 * frame (ASan), always a valid result; accepted frames are consistent.
 */
static void
parse_random_garbage(void **state)
{
	static const uint16_t types[] = {RTE_ETHER_TYPE_IPV4, RTE_ETHER_TYPE_VLAN,
			RTE_ETHER_TYPE_ARP, RTE_ETHER_TYPE_IPV6, RTE_ETHER_TYPE_QINQ};
	static const uintmax_t l2_ok[] = {14, 18}, l3_ok[] = {NG_L3_IPV4, NG_L3_ARP};
	unsigned int accepted = 0, seen[NG_DROP_MAX] = {0};
	uint8_t buf[256];

	(void)state;
	rng_seed(0x6e6f64656777ull);
	for (unsigned int n = 0; n < GARBAGE_FRAMES; n++) {
		uint16_t len = (uint16_t)(rng() % sizeof(buf));
		uint64_t shape = rng();
		struct rte_mbuf *m;
		enum ng_drop_reason r;
		enum ng_l3 l3 = 0;
		uint16_t l2 = 14;

		for (uint16_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rng();
		if ((shape & 3) != 0 && len >= 14) {
			uint16_t t = types[(shape >> 2) % RTE_DIM(types)];

			buf[12] = (uint8_t)(t >> 8);
			buf[13] = (uint8_t)t;
			if (t == RTE_ETHER_TYPE_VLAN && len >= 18 && (shape & 0x100)) {
				buf[16] = 0x08;
				buf[17] = 0x00;
				l2 = 18;
			} else if (t == RTE_ETHER_TYPE_VLAN && len >= 18 && (shape >> 50) % 4 == 0) {
				buf[16] = 0x81; /* a second tag */
				buf[17] = 0x00;
			}
		}
		if ((shape & 0x200) && len >= l2 + 20) {
			struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)&buf[l2];
			uint16_t ihl = (uint16_t)(5 + (shape >> 12) % 3);

			h->version_ihl = (uint8_t)(0x40 | ihl);
			if ((shape & 0x400) && len >= l2 + ihl * 4) {
				h->total_length = rte_cpu_to_be_16((uint16_t)(ihl * 4 +
						(shape >> 16) % (len - l2 - ihl * 4 + 1)));
				h->hdr_checksum = 0;
				h->hdr_checksum = rte_ipv4_cksum(h);
				if (shape & 0x1000)
					h->hdr_checksum ^= (uint16_t)(1u << (shape >> 40) % 16);
			}
		}
		m = ng_test_mbuf_exact(pool, buf, len);
		r = ng_pkt_parse(m, &l3, (shape & 0x800) == 0);
		assert_in_range(r, NG_DROP_NONE, NG_DROP_MAX - 1);
		seen[r]++;
		if (r == NG_DROP_NONE) {
			accepted++;
			assert_in_set(m->l2_len, l2_ok, RTE_DIM(l2_ok));
			assert_in_set(l3, l3_ok, RTE_DIM(l3_ok));
			if (l3 == NG_L3_IPV4) {
				const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod_offset(m,
						const struct rte_ipv4_hdr *, m->l2_len);

				assert_int_equal(m->l3_len, (h->version_ihl & 0x0f) * 4);
				assert_int_equal(rte_pktmbuf_data_len(m),
						m->l2_len + rte_be_to_cpu_16(h->total_length));
			} else {
				assert_in_range(rte_pktmbuf_data_len(m), m->l2_len + 28u, sizeof(buf));
			}
		}
		rte_pktmbuf_free(m);
	}
	/* The generator reaches the interesting outcomes. */
	assert_in_range(accepted, 50, GARBAGE_FRAMES);
	assert_in_range(seen[NG_DROP_TRUNCATED], 50, GARBAGE_FRAMES);
	assert_in_range(seen[NG_DROP_ETHERTYPE], 50, GARBAGE_FRAMES);
	assert_in_range(seen[NG_DROP_IP_HEADER], 10, GARBAGE_FRAMES);
	assert_in_range(seen[NG_DROP_IP_CKSUM], 10, GARBAGE_FRAMES);
	assert_in_range(seen[NG_DROP_IPV6], 10, GARBAGE_FRAMES);
	assert_in_range(seen[NG_DROP_VLAN_NESTED], 1, GARBAGE_FRAMES);
}

/* ---- checksums ---- */

static void
random_ip_header(struct rte_ipv4_hdr *h)
{
	uint8_t *p = (uint8_t *)h;

	for (size_t i = 0; i < sizeof(*h); i++)
		p[i] = (uint8_t)rng();
	h->version_ihl = 0x45;
	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
}

static uint16_t
full_cksum(const struct rte_ipv4_hdr *h)
{
	struct rte_ipv4_hdr c = *h;

	c.hdr_checksum = 0;
	return rte_ipv4_cksum(&c);
}

static uint16_t
get16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
cksum_update16_matches_full(void **state)
{
	(void)state;
	rng_seed(16);
	for (unsigned int n = 0; n < CKSUM_ROUNDS; n++) {
		struct rte_ipv4_hdr h;
		unsigned int w = (unsigned int)(rng() % 10);
		uint16_t old, new_, inc;
		uint8_t *p = (uint8_t *)&h;

		random_ip_header(&h);
		if (w == 5) /* the checksum word itself */
			w = 4;
		old = get16(p + 2 * w);
		new_ = (uint16_t)rng();
		if (n % 97 == 0)
			new_ = old; /* no change */
		if (n % 89 == 0)
			new_ = (uint16_t)~old;
		memcpy(p + 2 * w, &new_, sizeof(new_));
		if (w == 0)
			h.version_ihl = 0x45; /* keep the length readable */
		new_ = get16(p + 2 * w);
		inc = ng_cksum_update16(h.hdr_checksum, old, new_);
		assert_int_equal(inc, full_cksum(&h));
		h.hdr_checksum = inc;
		assert_int_equal(rte_raw_cksum(&h, sizeof(h)), 0xffff);
	}
}

static void
cksum_update32_matches_full(void **state)
{
	(void)state;
	rng_seed(32);
	for (unsigned int n = 0; n < CKSUM_ROUNDS; n++) {
		struct rte_ipv4_hdr h;
		uint32_t old, new_;
		uint16_t inc;
		bool dst = rng() & 1;

		random_ip_header(&h);
		old = dst ? h.dst_addr : h.src_addr;
		new_ = (uint32_t)rng();
		if (n % 101 == 0)
			new_ = ~old;
		if (dst)
			h.dst_addr = new_;
		else
			h.src_addr = new_;
		inc = ng_cksum_update32(h.hdr_checksum, old, new_);
		assert_int_equal(inc, full_cksum(&h));
	}
	/* Two changes in a row (address and port-like rewrites in NAT). */
	for (unsigned int n = 0; n < CKSUM_ROUNDS / 4; n++) {
		struct rte_ipv4_hdr h;
		uint32_t os, od;

		random_ip_header(&h);
		os = h.src_addr;
		od = h.dst_addr;
		h.src_addr = (uint32_t)rng();
		h.dst_addr = (uint32_t)rng();
		h.hdr_checksum = ng_cksum_update32(h.hdr_checksum, os, h.src_addr);
		h.hdr_checksum = ng_cksum_update32(h.hdr_checksum, od, h.dst_addr);
		assert_int_equal(h.hdr_checksum, full_cksum(&h));
	}
}

static void
ttl_dec_matches_full(void **state)
{
	(void)state;
	rng_seed(64);
	for (unsigned int n = 0; n < CKSUM_ROUNDS; n++) {
		struct rte_ipv4_hdr h;
		uint8_t ttl;

		random_ip_header(&h);
		h.time_to_live = (uint8_t)(2 + rng() % 254);
		if (n < 254)
			h.time_to_live = (uint8_t)(n + 2); /* every TTL at least once */
		h.hdr_checksum = full_cksum(&h);
		ttl = h.time_to_live;
		ng_ip4_ttl_dec(&h);
		assert_int_equal(h.time_to_live, ttl - 1);
		assert_int_equal(h.hdr_checksum, full_cksum(&h));
	}
	/* A chain of decrements from 255 to 1 stays right. */
	{
		struct rte_ipv4_hdr h;

		random_ip_header(&h);
		h.time_to_live = 255;
		h.hdr_checksum = full_cksum(&h);
		while (h.time_to_live > 1) {
			ng_ip4_ttl_dec(&h);
			assert_int_equal(h.hdr_checksum, full_cksum(&h));
		}
		assert_int_equal(h.time_to_live, 1);
	}
}

/* ---- builders ---- */

static void
arp_request_built(void **state)
{
	static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	static const struct rte_ether_addr zero;
	struct rte_mbuf *m;
	const struct rte_ether_hdr *eth;
	const struct rte_arp_hdr *a;
	enum ng_l3 l3 = 0;

	(void)state;
	m = ng_pkt_arp_request(pool, &mac_a, tb_ip(198, 18, 0, 1), tb_ip(198, 18, 0, 77));
	assert_non_null(m);
	assert_int_equal(rte_pktmbuf_data_len(m), 42);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 42);
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(m->l2_len, 14);
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	assert_memory_equal(&eth->dst_addr, &bcast, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(&eth->src_addr, &mac_a, RTE_ETHER_ADDR_LEN);
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_ARP);
	a = (const struct rte_arp_hdr *)(eth + 1);
	assert_int_equal(rte_be_to_cpu_16(a->arp_hardware), RTE_ARP_HRD_ETHER);
	assert_int_equal(rte_be_to_cpu_16(a->arp_protocol), RTE_ETHER_TYPE_IPV4);
	assert_int_equal(a->arp_hlen, 6);
	assert_int_equal(a->arp_plen, 4);
	assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REQUEST);
	assert_memory_equal(&a->arp_data.arp_sha, &mac_a, RTE_ETHER_ADDR_LEN);
	assert_int_equal(a->arp_data.arp_sip, tb_ip(198, 18, 0, 1));
	assert_memory_equal(&a->arp_data.arp_tha, &zero, RTE_ETHER_ADDR_LEN);
	assert_int_equal(a->arp_data.arp_tip, tb_ip(198, 18, 0, 77));
	/* Our own parser accepts it. */
	assert_int_equal(ng_pkt_parse(m, &l3, true), NG_DROP_NONE);
	assert_int_equal(l3, NG_L3_ARP);
	rte_pktmbuf_free(m);
}

/* Check an ICMP error built from the frame orig (l2 bytes of L2 header). */
static void
check_icmp_error(const struct tb_frame *orig, uint16_t l2, struct rte_mbuf *e, uint8_t type,
		uint8_t code, uint32_t src)
{
	const struct rte_ether_hdr *oeth = (const struct rte_ether_hdr *)orig->b;
	const struct rte_ether_hdr *eth;
	struct rte_mbuf *copy;
	enum ng_l3 l3 = 0;
	struct tb_frame out;

	assert_int_equal(orig->l2, l2);
	tb_from_mbuf(&out, e, 0);
	assert_int_equal(out.l2, l2);
	assert_int_equal(e->l2_len, l2);
	assert_int_equal(e->l3_len, 20);
	/* Back where it came from: Ethernet addresses swapped, tag kept. */
	eth = (const struct rte_ether_hdr *)out.b;
	assert_memory_equal(&eth->dst_addr, &oeth->src_addr, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(&eth->src_addr, &oeth->dst_addr, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(out.b + 12, orig->b + 12, l2 - 12u);
	/* IPv4 and ICMP: type, code, unused word, checksums, the quote. */
	tb_check_icmp_error(orig, &out, type, code, src);
	/* Our own parser accepts it. */
	copy = mbuf_from(out.b, out.len);
	assert_int_equal(ng_pkt_parse(copy, &l3, true), NG_DROP_NONE);
	assert_int_equal(l3, NG_L3_IPV4);
	assert_int_equal(rte_pktmbuf_data_len(copy), out.len);
	rte_pktmbuf_free(copy);
}

static struct rte_mbuf *
icmp_error_of(const struct tb_frame *f, uint16_t l2, uint16_t port)
{
	struct rte_mbuf *o = ng_test_mbuf_exact(pool, f->b, f->len), *e;

	o->l2_len = l2;
	o->port = port;
	e = ng_pkt_icmp4_error(pool, o, NG_ICMP_TIME_EXCEEDED, 0, tb_ip(198, 18, 0, 1));
	if (e != NULL)
		assert_int_equal(e->port, port);
	rte_pktmbuf_free(o);
	return e;
}

static void
icmp_error_built(void **state)
{
	struct tb_frame f;
	struct rte_mbuf *e;

	(void)state;
	/* Plain: quotes the 20-byte header and 8 of the 100 payload bytes. */
	tb_eth(&f, &mac_a, &mac_b, -1, RTE_ETHER_TYPE_IPV4);
	tb_ip4_ihl(&f, tb_ip(198, 18, 0, 2), tb_ip(198, 18, 1, 2), IPPROTO_UDP, 1, 100, 5);
	e = icmp_error_of(&f, 14, 3);
	assert_non_null(e);
	assert_int_equal(rte_pktmbuf_data_len(e), 14 + 20 + 8 + 28);
	check_icmp_error(&f, 14, e, NG_ICMP_TIME_EXCEEDED, 0, tb_ip(198, 18, 0, 1));
	rte_pktmbuf_free(e);

	/* VLAN tagged: the tag is kept. */
	tb_eth(&f, &mac_a, &mac_b, 0x2123, RTE_ETHER_TYPE_IPV4);
	tb_ip4_ihl(&f, tb_ip(198, 18, 0, 3), tb_ip(198, 18, 1, 2), IPPROTO_TCP, 1, 40, 5);
	e = icmp_error_of(&f, 18, 1);
	assert_non_null(e);
	assert_int_equal(rte_pktmbuf_data_len(e), 18 + 20 + 8 + 28);
	check_icmp_error(&f, 18, e, NG_ICMP_TIME_EXCEEDED, 0, tb_ip(198, 18, 0, 1));
	rte_pktmbuf_free(e);

	/* IP options: the whole header is quoted, plus 8 bytes. */
	tb_eth(&f, &mac_a, &mac_b, -1, RTE_ETHER_TYPE_IPV4);
	tb_ip4_ihl(&f, tb_ip(198, 18, 0, 4), tb_ip(198, 18, 1, 2), IPPROTO_UDP, 0, 30, 8);
	e = icmp_error_of(&f, 14, 0);
	assert_non_null(e);
	assert_int_equal(rte_pktmbuf_data_len(e), 14 + 20 + 8 + 32 + 8);
	check_icmp_error(&f, 14, e, NG_ICMP_TIME_EXCEEDED, 0, tb_ip(198, 18, 0, 1));
	rte_pktmbuf_free(e);

	/* Less than 8 bytes of payload: quotes what there is. */
	tb_eth(&f, &mac_a, &mac_b, -1, RTE_ETHER_TYPE_IPV4);
	tb_ip4_ihl(&f, tb_ip(198, 18, 0, 5), tb_ip(198, 18, 1, 2), IPPROTO_UDP, 1, 3, 5);
	e = icmp_error_of(&f, 14, 0);
	assert_non_null(e);
	assert_int_equal(rte_pktmbuf_data_len(e), 14 + 20 + 8 + 23);
	check_icmp_error(&f, 14, e, NG_ICMP_TIME_EXCEEDED, 0, tb_ip(198, 18, 0, 1));
	rte_pktmbuf_free(e);

	/* An odd quote length still checksums right (other type and code). */
	{
		struct rte_mbuf *o = ng_test_mbuf_exact(pool, f.b, f.len);

		o->l2_len = 14;
		e = ng_pkt_icmp4_error(pool, o, NG_ICMP_DEST_UNREACH, 4, tb_ip(198, 18, 0, 9));
		assert_non_null(e);
		check_icmp_error(&f, 14, e, NG_ICMP_DEST_UNREACH, 4, tb_ip(198, 18, 0, 9));
		rte_pktmbuf_free(e);
		rte_pktmbuf_free(o);
	}

	/* Too short to hold an IPv4 header: no error built. */
	f.len = 14 + 19;
	e = icmp_error_of(&f, 14, 0);
	assert_null(e);
}

static void
builders_pool_empty(void **state)
{
	struct rte_mempool *tiny = rte_pktmbuf_pool_create("test_pkt_tiny", 1, 0,
			NG_MBUF_PRIV_SIZE, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	struct rte_mbuf *hold, *o;
	struct tb_frame f;

	(void)state;
	assert_non_null(tiny);
	hold = rte_pktmbuf_alloc(tiny);
	assert_non_null(hold);
	assert_null(ng_pkt_arp_request(tiny, &mac_a, tb_ip(198, 18, 0, 1), tb_ip(198, 18, 0, 2)));
	frame_ip4(&f, -1);
	o = mbuf_from(f.b, f.len);
	o->l2_len = 14;
	assert_null(ng_pkt_icmp4_error(tiny, o, NG_ICMP_TIME_EXCEEDED, 0, tb_ip(198, 18, 0, 1)));
	rte_pktmbuf_free(o);
	rte_pktmbuf_free(hold);
	assert_int_equal(rte_mempool_in_use_count(tiny), 0);
	rte_mempool_free(tiny);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(parse_ip4_ok, test_teardown),
		cmocka_unit_test_teardown(parse_ip4_options, test_teardown),
		cmocka_unit_test_teardown(parse_vlan_ok, test_teardown),
		cmocka_unit_test_teardown(parse_vlan_nested, test_teardown),
		cmocka_unit_test_teardown(parse_truncated_every_length, test_teardown),
		cmocka_unit_test_teardown(parse_truncated_options, test_teardown),
		cmocka_unit_test_teardown(parse_bad_ip_headers, test_teardown),
		cmocka_unit_test_teardown(parse_bad_cksum, test_teardown),
		cmocka_unit_test_teardown(parse_padding_trimmed, test_teardown),
		cmocka_unit_test_teardown(parse_arp, test_teardown),
		cmocka_unit_test_teardown(parse_ipv6_and_unknown, test_teardown),
		cmocka_unit_test_teardown(parse_multi_segment, test_teardown),
		cmocka_unit_test_teardown(parse_random_garbage, test_teardown),
		cmocka_unit_test_teardown(cksum_update16_matches_full, test_teardown),
		cmocka_unit_test_teardown(cksum_update32_matches_full, test_teardown),
		cmocka_unit_test_teardown(ttl_dec_matches_full, test_teardown),
		cmocka_unit_test_teardown(arp_request_built, test_teardown),
		cmocka_unit_test_teardown(icmp_error_built, test_teardown),
		cmocka_unit_test_teardown(builders_pool_empty, test_teardown),
	};

	return cmocka_run_group_tests_name("pkt", tests, group_setup, group_teardown);
}
