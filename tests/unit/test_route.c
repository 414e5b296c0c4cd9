/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/route: the FIB (control lookups and the data-path LPM
 * read, next-hop sharing and reclaim with and without RCU) and the neighbour
 * table (ARP requests, pending queues, replies, static entries, retries,
 * ageing, walks).
 *
 * EAL runs with --no-huge, no shared config and one net_null port, whose MAC
 * the neighbour table reads for the ARP requests it sends. No root needed.
 * Neighbour timers use a 10 ms retry interval; waits are bounded loops.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "ng_log.h"
#include "pkt.h"
#include "route.h"
#include "route_dp.h"
#include "ng_test_frame.h"

#define RETRY_MS 10
#define RETRIES 3
#define PENDING_MAX 4
#define REACHABLE_MS 200
#define WAIT_MAX_MS 3000
#define TX_MAX 64

static struct rte_mempool *pool;
static uint16_t port;              /* net_null0 */
static struct rte_ether_addr port_mac;

static const struct rte_ether_addr nmac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
static const struct rte_ether_addr nmac2 = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x03}};
static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct rte_ether_addr zero_mac;

/* ---- addresses ---- */

static struct ng_ip
a4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct ng_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET;
	ip.v4 = tb_ip(a, b, c, d);
	return ip;
}

static struct ng_prefix
pfx(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len)
{
	struct ng_prefix p;

	memset(&p, 0, sizeof(p));
	p.addr = a4(a, b, c, d);
	p.len = len;
	return p;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ---- group setup ---- */

static int
group_setup(void **state)
{
	char prefix[64];
	char *argv[] = {
		"test_route", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--file-prefix", prefix, "--vdev", "net_null0", "-l", "0",
		"--log-level", "lib.*:error", NULL,
	};

	(void)state;
	snprintf(prefix, sizeof(prefix), "ng_test_route_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (ng_log_init(RTE_LOG_ERR) != 0)
		return -1;
	if (rte_eth_dev_get_port_by_name("net_null0", &port) != 0 ||
			rte_eth_macaddr_get(port, &port_mac) != 0) {
		fprintf(stderr, "no net_null0 port\n");
		return -1;
	}
	pool = rte_pktmbuf_pool_create("test_route", 1023, 0, NG_MBUF_PRIV_SIZE,
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

/* ================================================================ FIB */

static void
check_nh_dp(const struct ng_fib *f, uint32_t dst, enum ng_nh_type type, uint16_t p,
		uint32_t gw4, uint32_t src4)
{
	const struct ng_nexthop *nh = ng_fib_lookup4_dp(ng_fib_dp(f), dst);

	assert_non_null(nh);
	assert_int_equal(nh->type, type);
	assert_int_equal(nh->port, p);
	assert_int_equal(nh->gw4, gw4);
	assert_int_equal(nh->src4, src4);
}

static void
check_route(const struct ng_fib *f, struct ng_ip dst, const struct ng_prefix *want,
		enum ng_nh_type type, enum ng_route_origin origin, uint16_t p, uint32_t gw4,
		uint32_t src4)
{
	struct ng_route_info ri;

	memset(&ri, 0xa5, sizeof(ri));
	assert_int_equal(ng_fib_lookup(f, &dst, &ri), 0);
	assert_int_equal(ri.prefix.addr.family, AF_INET);
	assert_int_equal(ri.prefix.addr.v4, want->addr.v4);
	assert_int_equal(ri.prefix.len, want->len);
	assert_int_equal(ri.type, type);
	assert_int_equal(ri.origin, origin);
	assert_int_equal(ri.port, p);
	if (type == NG_NH_GATEWAY) {
		assert_int_equal(ri.gw.family, AF_INET);
		assert_int_equal(ri.gw.v4, gw4);
	} else {
		assert_int_equal(ri.gw.family, 0);
	}
	if (src4 != 0) {
		assert_int_equal(ri.src.family, AF_INET);
		assert_int_equal(ri.src.v4, src4);
	} else {
		assert_int_equal(ri.src.family, 0);
	}
	check_nh_dp(f, dst.v4, type, p, gw4, src4);
}

static void
check_no_route(const struct ng_fib *f, struct ng_ip dst)
{
	struct ng_route_info ri;

	assert_int_equal(ng_fib_lookup(f, &dst, &ri), -ENOENT);
	assert_null(ng_fib_lookup4_dp(ng_fib_dp(f), dst.v4));
}

static void
fib_create_invalid(void **state)
{
	(void)state;
	rte_errno = 0;
	assert_null(ng_fib_create(0, NULL));
	assert_int_equal(rte_errno, EINVAL);
	ng_fib_free(NULL);
}

static void
fib_add_lookup(void **state)
{
	struct ng_fib *f = ng_fib_create(16, NULL);
	struct ng_prefix conn = pfx(198, 18, 0, 1, 24), local = pfx(198, 18, 0, 1, 32);
	struct ng_prefix net = pfx(198, 19, 0, 0, 16), wide = pfx(128, 0, 0, 0, 1);
	struct ng_ip src = a4(198, 18, 0, 1), gw = a4(198, 18, 0, 254), gw2 = a4(198, 18, 0, 253);

	(void)state;
	assert_non_null(f);
	/* Empty FIB. */
	check_no_route(f, a4(198, 18, 0, 7));

	assert_int_equal(ng_fib_add(f, &conn, NG_RT_CONNECTED, NG_NH_CONNECTED, 3, NULL, &src,
			false), 0);
	assert_int_equal(ng_fib_add(f, &local, NG_RT_LOCAL, NG_NH_LOCAL, 3, NULL, &src, false), 0);
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 3, &gw, &src, false), 0);

	/* Connected: the interface address's host bits are masked off. */
	conn = pfx(198, 18, 0, 0, 24);
	check_route(f, a4(198, 18, 0, 7), &conn, NG_NH_CONNECTED, NG_RT_CONNECTED, 3, 0,
			src.v4);
	check_route(f, a4(198, 18, 0, 0), &conn, NG_NH_CONNECTED, NG_RT_CONNECTED, 3, 0,
			src.v4);
	check_route(f, a4(198, 18, 0, 255), &conn, NG_NH_CONNECTED, NG_RT_CONNECTED, 3, 0,
			src.v4);
	/* Local beats connected. */
	check_route(f, a4(198, 18, 0, 1), &local, NG_NH_LOCAL, NG_RT_LOCAL, 3, 0, src.v4);
	/* Gateway. */
	check_route(f, a4(198, 19, 200, 3), &net, NG_NH_GATEWAY, NG_RT_STATIC, 3, gw.v4,
			src.v4);
	check_no_route(f, a4(198, 20, 0, 1));
	check_no_route(f, a4(198, 18, 1, 0));
	/* Not IPv4: the control lookup says no route. */
	{
		struct ng_ip v6;
		struct ng_route_info ri;

		memset(&v6, 0, sizeof(v6));
		v6.family = AF_INET6;
		v6.v6[0] = 0x20;
		v6.v6[1] = 0x01;
		assert_int_equal(ng_fib_lookup(f, &v6, &ri), -ENOENT);
	}

	/* A wide route catches the rest; a route without a source has none. */
	assert_int_equal(ng_fib_add(f, &wide, NG_RT_STATIC, NG_NH_GATEWAY, 4, &gw2, NULL, false),
			0);
	check_route(f, a4(198, 20, 0, 1), &wide, NG_NH_GATEWAY, NG_RT_STATIC, 4, gw2.v4, 0);
	check_route(f, a4(255, 255, 255, 255), &wide, NG_NH_GATEWAY, NG_RT_STATIC, 4, gw2.v4, 0);
	check_route(f, a4(198, 19, 1, 1), &net, NG_NH_GATEWAY, NG_RT_STATIC, 3, gw.v4, src.v4);
	check_route(f, a4(198, 18, 0, 1), &local, NG_NH_LOCAL, NG_RT_LOCAL, 3, 0, src.v4);
	check_no_route(f, a4(127, 0, 0, 1));
	ng_fib_free(f);
}

/*
 * BUG (reported to the lead): the default route 0.0.0.0/0 cannot be added.
 * ng_fib_add() (lib/route/fib.c:203) passes depth 0 to rte_lpm_add(), which
 * accepts only depths 1..32 and returns -EINVAL. The config loader accepts
 * "0.0.0.0/0" (doc/configuration.md calls it the default route), so a config
 * with a default route fails at start-up in step_routes with "route: Invalid
 * argument".
 */
static void
fib_default_route(void **state)
{
	struct ng_fib *f;
	struct ng_prefix dflt = pfx(0, 0, 0, 0, 0), net = pfx(198, 19, 0, 0, 16);
	struct ng_ip src = a4(198, 18, 0, 1), gw = a4(198, 18, 0, 254), gw2 = a4(198, 18, 0, 253);

	(void)state;
	f = ng_fib_create(8, NULL);
	assert_non_null(f);
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	assert_int_equal(ng_fib_add(f, &dflt, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw2, &src, false),
			0);
	check_route(f, a4(198, 19, 1, 1), &net, NG_NH_GATEWAY, NG_RT_STATIC, 1, gw.v4, src.v4);
	check_route(f, a4(198, 20, 0, 1), &dflt, NG_NH_GATEWAY, NG_RT_STATIC, 2, gw2.v4, src.v4);
	check_route(f, a4(1, 2, 3, 4), &dflt, NG_NH_GATEWAY, NG_RT_STATIC, 2, gw2.v4, src.v4);
	check_route(f, a4(255, 255, 255, 255), &dflt, NG_NH_GATEWAY, NG_RT_STATIC, 2, gw2.v4,
			src.v4);
	assert_int_equal(ng_fib_del(f, &dflt), 0);
	check_no_route(f, a4(198, 20, 0, 1));
	ng_fib_free(f);
}

/* Longest prefix wins at every level, through both lookups. */
static void
fib_longest_prefix(void **state)
{
	struct ng_fib *f = ng_fib_create(64, NULL);
	struct ng_ip src = a4(198, 18, 0, 1);
	struct ng_prefix p[33];

	(void)state;
	assert_non_null(f);
	/* 198.18.255.255/len for every len, each via its own gateway 198.18.0.(len+2). */
	for (uint8_t len = 1; len <= 32; len++) {
		struct ng_ip gw = a4(198, 18, 0, (uint8_t)(len + 2));

		p[len] = pfx(198, 18, 255, 255, len);
		assert_int_equal(ng_fib_add(f, &p[len], NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src,
				false), 0);
		p[len] = ng_prefix_masked(&p[len]);
	}
	/*
	 * 198.18.255.255 with bit (32 - len) flipped leaves every prefix longer
	 * than len - 1... i.e. it matches exactly the prefixes of length < len.
	 */
	for (uint8_t len = 2; len <= 32; len++) {
		uint32_t h = TB_HOST4(198, 18, 255, 255) ^ (1u << (32 - len));
		struct ng_ip dst = a4(0, 0, 0, 0);

		dst.v4 = rte_cpu_to_be_32(h);
		check_route(f, dst, &p[len - 1], NG_NH_GATEWAY, NG_RT_STATIC, 1,
				tb_ip(198, 18, 0, (uint8_t)(len + 1)), src.v4);
	}
	check_route(f, a4(198, 18, 255, 255), &p[32], NG_NH_GATEWAY, NG_RT_STATIC, 1,
			tb_ip(198, 18, 0, 34), src.v4);
	/* Below 128.0.0.0 nothing matches (the /1 is 128.0.0.0/1). */
	check_no_route(f, a4(127, 255, 255, 255));

	/* Delete from the most specific down: each lookup falls back one level. */
	for (uint8_t len = 32; len >= 2; len--) {
		assert_int_equal(ng_fib_del(f, &p[len]), 0);
		check_route(f, a4(198, 18, 255, 255), &p[len - 1], NG_NH_GATEWAY, NG_RT_STATIC, 1,
				tb_ip(198, 18, 0, (uint8_t)(len + 1)), src.v4);
	}
	assert_int_equal(ng_fib_del(f, &p[1]), 0);
	check_no_route(f, a4(198, 18, 255, 255));
	ng_fib_free(f);
}

static void
fib_replace(void **state)
{
	struct ng_fib *f = ng_fib_create(8, NULL);
	struct ng_prefix net = pfx(198, 19, 0, 0, 16);
	struct ng_ip src = a4(198, 18, 0, 1), gw = a4(198, 18, 0, 254), gw2 = a4(198, 18, 0, 253);

	(void)state;
	assert_non_null(f);
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	/* Without replace: EEXIST, the route is unchanged. */
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw2, &src, false),
			-EEXIST);
	check_route(f, a4(198, 19, 3, 4), &net, NG_NH_GATEWAY, NG_RT_STATIC, 1, gw.v4, src.v4);
	/* Also when spelled with host bits. */
	{
		struct ng_prefix spelled = pfx(198, 19, 7, 7, 16);

		assert_int_equal(ng_fib_add(f, &spelled, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw2,
				&src, false), -EEXIST);
	}
	/* With replace: the new next hop, the same single route. */
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw2, &src, true), 0);
	check_route(f, a4(198, 19, 3, 4), &net, NG_NH_GATEWAY, NG_RT_STATIC, 2, gw2.v4, src.v4);
	/* Replace with the very same next hop. */
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw2, &src, true), 0);
	check_route(f, a4(198, 19, 3, 4), &net, NG_NH_GATEWAY, NG_RT_STATIC, 2, gw2.v4, src.v4);
	/* Replace only replaces a route of the same origin: a static route never takes
	 * over a connected one, nor the other way round. */
	assert_int_equal(ng_fib_add(f, &net, NG_RT_CONNECTED, NG_NH_CONNECTED, 5, NULL, &src,
			true), -EEXIST);
	check_route(f, a4(198, 19, 3, 4), &net, NG_NH_GATEWAY, NG_RT_STATIC, 2, gw2.v4, src.v4);
	ng_fib_free(f);
}

static void
fib_delete(void **state)
{
	struct ng_fib *f = ng_fib_create(8, NULL);
	struct ng_prefix wide = pfx(198, 19, 0, 0, 16), narrow = pfx(198, 19, 5, 0, 24);
	struct ng_ip src = a4(198, 18, 0, 1), gw = a4(198, 18, 0, 254), gw2 = a4(198, 18, 0, 253);

	(void)state;
	assert_non_null(f);
	assert_int_equal(ng_fib_add(f, &wide, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false),
			0);
	assert_int_equal(ng_fib_add(f, &narrow, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw2, &src,
			false), 0);
	check_route(f, a4(198, 19, 5, 9), &narrow, NG_NH_GATEWAY, NG_RT_STATIC, 1, gw2.v4, src.v4);
	assert_int_equal(ng_fib_del(f, &narrow), 0);
	check_route(f, a4(198, 19, 5, 9), &wide, NG_NH_GATEWAY, NG_RT_STATIC, 1, gw.v4, src.v4);
	assert_int_equal(ng_fib_del(f, &narrow), -ENOENT);
	/* Delete by a spelling with host bits. */
	{
		struct ng_prefix spelled = pfx(198, 19, 200, 1, 16);

		assert_int_equal(ng_fib_del(f, &spelled), 0);
	}
	check_no_route(f, a4(198, 19, 5, 9));
	assert_int_equal(ng_fib_del(f, &wide), -ENOENT);
	/* A prefix that was never there, and one of another length. */
	{
		struct ng_prefix other = pfx(198, 19, 0, 0, 15);

		assert_int_equal(ng_fib_add(f, &wide, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src,
				false), 0);
		assert_int_equal(ng_fib_del(f, &other), -ENOENT);
		check_route(f, a4(198, 19, 5, 9), &wide, NG_NH_GATEWAY, NG_RT_STATIC, 1, gw.v4,
				src.v4);
	}
	ng_fib_free(f);
}

static void
fib_errors(void **state)
{
	struct ng_fib *f = ng_fib_create(2, NULL);
	struct ng_prefix net = pfx(198, 19, 0, 0, 16), host = pfx(198, 18, 0, 1, 32);
	struct ng_ip src = a4(198, 18, 0, 1), gw = a4(198, 18, 0, 254);
	struct ng_prefix v6, bad_len = pfx(198, 19, 0, 0, 33), unset = pfx(0, 0, 0, 0, 8);
	struct ng_ip gw_v6, gw_unset;

	(void)state;
	assert_non_null(f);
	memset(&v6, 0, sizeof(v6));
	v6.addr.family = AF_INET6;
	v6.len = 64;
	unset.addr.family = 0;
	memset(&gw_v6, 0, sizeof(gw_v6));
	gw_v6.family = AF_INET6;
	memset(&gw_unset, 0, sizeof(gw_unset));

	assert_int_equal(ng_fib_add(NULL, &net, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false),
			-EINVAL);
	assert_int_equal(ng_fib_add(f, NULL, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false),
			-EINVAL);
	assert_int_equal(ng_fib_add(f, &v6, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false),
			-EINVAL);
	assert_int_equal(ng_fib_add(f, &unset, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false),
			-EINVAL);
	assert_int_equal(ng_fib_add(f, &bad_len, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src,
			false), -EINVAL);
	/* LOCAL must be a /32. */
	assert_int_equal(ng_fib_add(f, &net, NG_RT_LOCAL, NG_NH_LOCAL, 1, NULL, &src, false),
			-EINVAL);
	/* GATEWAY needs an IPv4 gateway. */
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 1, NULL, &src, false),
			-EINVAL);
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw_v6, &src,
			false), -EINVAL);
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw_unset, &src,
			false), -EINVAL);
	/* None of that added anything. */
	check_no_route(f, a4(198, 19, 0, 1));
	check_no_route(f, a4(198, 18, 0, 1));

	/* Full: two routes fit, a third does not; replacing still works. */
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	assert_int_equal(ng_fib_add(f, &host, NG_RT_LOCAL, NG_NH_LOCAL, 1, NULL, &src, false), 0);
	{
		struct ng_prefix third = pfx(198, 20, 0, 0, 16);

		assert_int_equal(ng_fib_add(f, &third, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src,
				false), -ENOSPC);
		check_no_route(f, a4(198, 20, 0, 1));
	}
	{
		struct ng_ip gw2 = a4(198, 18, 0, 9);

		assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw2, &src,
				true), 0);
		check_route(f, a4(198, 19, 0, 1), &net, NG_NH_GATEWAY, NG_RT_STATIC, 2, gw2.v4,
				src.v4);
		/* And again, many times: the spare next-hop slot keeps being recycled. */
		for (uint8_t i = 10; i < 60; i++) {
			gw2 = a4(198, 18, 0, i);
			assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw2,
					&src, true), 0);
			check_nh_dp(f, tb_ip(198, 19, 0, 1), NG_NH_GATEWAY, 2, gw2.v4, src.v4);
		}
	}
	assert_int_equal(ng_fib_del(f, &v6), -ENOENT);
	ng_fib_free(f);
}

/*
 * BUG (reported to the lead): ng_fib_add() accepts a next-hop type outside
 * enum ng_nh_type (lib/route/fib.c:175-221 never checks `type`). The header
 * promises -EINVAL for bad arguments. With type 0 the next-hop slot it fills
 * still looks free (type == 0) to nh_get(), so the next route's next hop
 * overwrites it and both routes then share one slot with wrong reference
 * counts.
 */
static void
fib_bad_type_rejected(void **state)
{
	struct ng_fib *f;
	struct ng_prefix a = pfx(198, 19, 1, 0, 24), b = pfx(198, 19, 2, 0, 24);
	struct ng_ip src = a4(198, 18, 0, 1), gw = a4(198, 18, 0, 254);

	(void)state;
	f = ng_fib_create(8, NULL);
	assert_non_null(f);
	assert_int_equal(ng_fib_add(f, &a, NG_RT_STATIC, (enum ng_nh_type)0, 1, NULL, &src,
			false), -EINVAL);
	assert_int_equal(ng_fib_add(f, &a, NG_RT_STATIC, (enum ng_nh_type)99, 1, NULL, &src,
			false), -EINVAL);
	/* Whatever happened above, another route must keep its own next hop. */
	assert_int_equal(ng_fib_add(f, &b, NG_RT_STATIC, NG_NH_GATEWAY, 7, &gw, &src, false), 0);
	check_nh_dp(f, tb_ip(198, 19, 2, 1), NG_NH_GATEWAY, 7, gw.v4, src.v4);
	ng_fib_free(f);
}

static int
nh_index(const struct ng_fib *f, uint32_t dst)
{
	const struct ng_fib_dp *d = ng_fib_dp(f);
	const struct ng_nexthop *nh = ng_fib_lookup4_dp(d, dst);

	assert_non_null(nh);
	return (int)(nh - d->nh);
}

static void
fib_nexthop_sharing(void **state)
{
	struct ng_fib *f = ng_fib_create(3, NULL);
	const struct ng_fib_dp *d;
	struct ng_prefix a = pfx(198, 19, 1, 0, 24), b = pfx(198, 19, 2, 0, 24);
	struct ng_prefix c = pfx(198, 19, 3, 0, 24);
	struct ng_ip src = a4(198, 18, 0, 1), gw = a4(198, 18, 0, 254), gw2 = a4(198, 18, 0, 253);
	int ia, ib, ic;

	(void)state;
	assert_non_null(f);
	d = ng_fib_dp(f);
	/* Two routes via the same gateway share one next hop; another gets its own. */
	assert_int_equal(ng_fib_add(f, &a, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	assert_int_equal(ng_fib_add(f, &b, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	assert_int_equal(ng_fib_add(f, &c, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw2, &src, false), 0);
	ia = nh_index(f, tb_ip(198, 19, 1, 1));
	ib = nh_index(f, tb_ip(198, 19, 2, 1));
	ic = nh_index(f, tb_ip(198, 19, 3, 1));
	assert_int_equal(ia, ib);
	assert_int_not_equal(ia, ic);
	assert_int_equal(d->nh[ia].refs, 2);
	assert_int_equal(d->nh[ic].refs, 1);
	/* Same gateway on another port, or another source: not shared. */
	{
		struct ng_fib *g = ng_fib_create(4, NULL);
		struct ng_ip src2 = a4(198, 18, 0, 2);

		assert_non_null(g);
		assert_int_equal(ng_fib_add(g, &a, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src,
				false), 0);
		assert_int_equal(ng_fib_add(g, &b, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw, &src,
				false), 0);
		assert_int_equal(ng_fib_add(g, &c, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src2,
				false), 0);
		assert_int_not_equal(nh_index(g, tb_ip(198, 19, 1, 1)),
				nh_index(g, tb_ip(198, 19, 2, 1)));
		assert_int_not_equal(nh_index(g, tb_ip(198, 19, 1, 1)),
				nh_index(g, tb_ip(198, 19, 3, 1)));
		ng_fib_free(g);
	}

	/* Deleting one user keeps the shared next hop for the other. */
	assert_int_equal(ng_fib_del(f, &a), 0);
	assert_int_equal(nh_index(f, tb_ip(198, 19, 2, 1)), ib);
	assert_int_equal(d->nh[ib].refs, 1);
	check_nh_dp(f, tb_ip(198, 19, 2, 1), NG_NH_GATEWAY, 1, gw.v4, src.v4);
	/* Deleting the last user frees the slot at once (no RCU). */
	assert_int_equal(ng_fib_del(f, &b), 0);
	assert_int_equal(d->nh[ib].type, 0);
	assert_int_equal(d->nh[ib].refs, 0);
	/* The freed slot is reused by a new next hop. */
	{
		struct ng_ip gw3 = a4(198, 18, 0, 252);

		assert_int_equal(ng_fib_add(f, &a, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw3, &src,
				false), 0);
		assert_int_equal(nh_index(f, tb_ip(198, 19, 1, 1)), ib);
		check_nh_dp(f, tb_ip(198, 19, 1, 1), NG_NH_GATEWAY, 1, gw3.v4, src.v4);
	}
	/* Churn: far more distinct next hops over time than slots. */
	for (unsigned int i = 0; i < 200; i++) {
		struct ng_ip g = a4(198, 18, (uint8_t)(1 + i / 250), (uint8_t)(1 + i % 250));

		assert_int_equal(ng_fib_add(f, &b, NG_RT_STATIC, NG_NH_GATEWAY, 1, &g, &src, false),
				0);
		check_nh_dp(f, tb_ip(198, 19, 2, 1), NG_NH_GATEWAY, 1, g.v4, src.v4);
		assert_int_equal(ng_fib_del(f, &b), 0);
	}
	check_nh_dp(f, tb_ip(198, 19, 3, 1), NG_NH_GATEWAY, 1, gw2.v4, src.v4);
	ng_fib_free(f);
}

/* The IPv6 address s. */
static struct ng_ip
a6(const char *s)
{
	return tb_addr(s);
}

/* The next hop a worker finds for IPv6 dst is of type, port, gateway gw (or none). */
static void
check_nh6_dp(const struct ng_fib *f, const char *dst, enum ng_nh_type type, uint16_t p,
		const char *gw)
{
	struct ng_ip d = a6(dst);
	const struct ng_nexthop *nh = ng_fib_lookup6_dp(ng_fib_dp(f), d.v6);

	if (type == 0) {
		assert_null(nh);
		return;
	}
	assert_non_null(nh);
	assert_int_equal(nh->type, type);
	assert_int_equal(nh->family, AF_INET6);
	assert_int_equal(nh->port, p);
	if (gw != NULL)
		assert_memory_equal(nh->gw6, a6(gw).v6, 16);
}

/*
 * IPv6 routes beside IPv4 ones: connected, local /128, gateway and the
 * default ::/0 (which rte_lpm6 cannot hold), longest prefix first, exact
 * get, delete; an IPv4 route does not answer IPv6 lookups, nor the reverse.
 */
static void
fib6_add_lookup(void **state)
{
	struct ng_fib *f = ng_fib_create(16, NULL);
	struct ng_prefix conn = tb_prefix("2001:db8:1::/64"), loc = tb_prefix("2001:db8:1::1/128");
	struct ng_prefix wide = tb_prefix("2001:db8::/32"), dflt = tb_prefix("::/0");
	struct ng_prefix v4d = tb_prefix("0.0.0.0/0"), bad = tb_prefix("2001:db8:1::/64");
	struct ng_ip src = a6("2001:db8:1::1"), gw = a6("2001:db8:1::fe"), gw4 = a4(198, 18, 0, 9);
	struct ng_ip src4 = a4(198, 18, 0, 1);
	struct ng_route_info ri;

	(void)state;
	assert_non_null(f);
	assert_int_equal(ng_fib_add(f, &conn, NG_RT_CONNECTED, NG_NH_CONNECTED, 1, NULL, &src,
			false), 0);
	assert_int_equal(ng_fib_add(f, &loc, NG_RT_LOCAL, NG_NH_LOCAL, 1, NULL, &src, false), 0);
	/* a LOCAL or VIP route is a /128; a gateway of the other family is refused */
	assert_int_equal(ng_fib_add(f, &conn, NG_RT_LOCAL, NG_NH_LOCAL, 1, NULL, &src, false),
			-EINVAL);
	assert_int_equal(ng_fib_add(f, &wide, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw4, &src, false),
			-EINVAL);
	bad.len = 129;
	assert_int_equal(ng_fib_add(f, &bad, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false),
			-EINVAL);
	check_nh6_dp(f, "2001:db8:2::1", 0, 0, NULL);
	assert_int_equal(ng_fib_add(f, &wide, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw, &src, false), 0);
	assert_int_equal(ng_fib_add(f, &v4d, NG_RT_STATIC, NG_NH_GATEWAY, 3, &gw4, &src4, false), 0);
	check_nh6_dp(f, "2001:db8:1::1", NG_NH_LOCAL, 1, NULL);
	check_nh6_dp(f, "2001:db8:1::5", NG_NH_CONNECTED, 1, NULL);
	check_nh6_dp(f, "2001:db8:77::5", NG_NH_GATEWAY, 2, "2001:db8:1::fe");
	check_nh6_dp(f, "2001:db9::5", 0, 0, NULL); /* 0.0.0.0/0 is not for IPv6 */
	assert_int_equal(ng_fib_add(f, &dflt, NG_RT_STATIC, NG_NH_GATEWAY, 3, &gw, &src, false), 0);
	check_nh6_dp(f, "2001:db9::5", NG_NH_GATEWAY, 3, "2001:db8:1::fe");
	assert_int_equal(ng_fib_lookup4_dp(ng_fib_dp(f), tb_ip(10, 0, 0, 1))->family, AF_INET);
	/* the control core's view: most specific route, gateway and source */
	assert_int_equal(ng_fib_lookup(f, &(struct ng_ip){0}, &ri), -ENOENT);
	{
		struct ng_ip d = a6("2001:db8:77::5");

		assert_int_equal(ng_fib_lookup(f, &d, &ri), 0);
	}
	assert_int_equal(ri.prefix.len, 32);
	assert_int_equal(ri.origin, NG_RT_STATIC);
	assert_true(ng_ip_equal(&ri.gw, &gw));
	assert_true(ng_ip_equal(&ri.src, &src));
	assert_int_equal(ng_fib_get(f, &conn, &ri), 0);
	assert_int_equal(ri.type, NG_NH_CONNECTED);
	assert_int_equal(ri.gw.family, 0);
	/* delete: the /32 and the default go, the connected /64 stays */
	assert_int_equal(ng_fib_del(f, &wide), 0);
	assert_int_equal(ng_fib_del(f, &wide), -ENOENT);
	assert_int_equal(ng_fib_del(f, &dflt), 0);
	check_nh6_dp(f, "2001:db8:77::5", 0, 0, NULL);
	check_nh6_dp(f, "2001:db8:1::5", NG_NH_CONNECTED, 1, NULL);
	assert_int_equal(ng_fib_get(f, &v4d, &ri), 0); /* IPv4's default untouched */
	assert_int_equal(ri.port, 3);
	ng_fib_free(f);
}

/* The lengths of the IPv4 routes, or of the IPv6 ones: bit len of a 3-word map. */
static void
check_lens(const struct ng_fib *f, int family, const int *want, unsigned int n)
{
	uint64_t got[3], exp[3] = {0, 0, 0};

	for (unsigned int i = 0; i < n; i++)
		exp[want[i] >> 6] |= 1ull << (want[i] & 63);
	ng_fib_prefix_lens(f, family, got);
	assert_int_equal(got[0], exp[0]);
	assert_int_equal(got[1], exp[1]);
	assert_int_equal(got[2], exp[2]);
}

/*
 * ng_fib_lookup() tries only the prefix lengths some route has: the map follows
 * adds, replaces and deletes (a length stays while a route of it is left), and
 * the lookups answer as the walk over every length did, IPv6 lengths on both
 * sides of a 64-bit word included.
 */
static void
fib_prefix_lens(void **state)
{
	struct ng_fib *f = ng_fib_create(32, NULL);
	struct ng_prefix conn = pfx(198, 18, 0, 0, 24), vip1 = pfx(198, 18, 0, 10, 32);
	struct ng_prefix vip2 = pfx(198, 18, 0, 11, 32), net = pfx(198, 19, 0, 0, 16);
	struct ng_prefix dflt = pfx(0, 0, 0, 0, 0), odd = pfx(198, 19, 128, 0, 17);
	struct ng_prefix h6 = tb_prefix("2001:db8:1::7/128"), n64 = tb_prefix("2001:db8:1::/64");
	struct ng_prefix n63 = tb_prefix("2001:db8::/63"), d6 = tb_prefix("::/0");
	struct ng_ip src = a4(198, 18, 0, 1), gw = a4(198, 18, 0, 254), gw2 = a4(198, 18, 0, 253);
	struct ng_ip src6 = a6("2001:db8:1::1"), gw6 = a6("2001:db8:1::fe");
	struct ng_route_info ri;
	struct ng_ip d;

	(void)state;
	assert_non_null(f);
	check_lens(f, AF_INET, NULL, 0);
	check_lens(f, AF_INET6, NULL, 0);
	check_lens(f, AF_UNSPEC, NULL, 0);
	assert_int_equal(ng_fib_add(f, &conn, NG_RT_CONNECTED, NG_NH_CONNECTED, 1, NULL, &src,
			false), 0);
	assert_int_equal(ng_fib_add(f, &vip1, NG_RT_VIP, NG_NH_VIP, 1, NULL, &src, false), 0);
	assert_int_equal(ng_fib_add(f, &vip2, NG_RT_VIP, NG_NH_VIP, 1, NULL, &src, false), 0);
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	assert_int_equal(ng_fib_add(f, &dflt, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw2, &src, false),
			0);
	check_lens(f, AF_INET, (const int[]){0, 16, 24, 32}, 4);
	check_lens(f, AF_INET6, NULL, 0);
	check_route(f, a4(198, 19, 200, 1), &net, NG_NH_GATEWAY, NG_RT_STATIC, 1, gw.v4, src.v4);
	check_route(f, a4(9, 9, 9, 9), &dflt, NG_NH_GATEWAY, NG_RT_STATIC, 2, gw2.v4, src.v4);
	/* A replace keeps the count: one delete clears the length. */
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw2, &src, true), 0);
	check_lens(f, AF_INET, (const int[]){0, 16, 24, 32}, 4);
	assert_int_equal(ng_fib_add(f, &odd, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	check_route(f, a4(198, 19, 200, 1), &odd, NG_NH_GATEWAY, NG_RT_STATIC, 1, gw.v4, src.v4);
	check_route(f, a4(198, 19, 1, 1), &net, NG_NH_GATEWAY, NG_RT_STATIC, 2, gw2.v4, src.v4);
	assert_int_equal(ng_fib_del(f, &net), 0);
	check_lens(f, AF_INET, (const int[]){0, 17, 24, 32}, 4);
	check_route(f, a4(198, 19, 1, 1), &dflt, NG_NH_GATEWAY, NG_RT_STATIC, 2, gw2.v4, src.v4);
	/* /32 stays while one VIP route is left. */
	assert_int_equal(ng_fib_del(f, &vip1), 0);
	check_lens(f, AF_INET, (const int[]){0, 17, 24, 32}, 4);
	check_route(f, a4(198, 18, 0, 10), &conn, NG_NH_CONNECTED, NG_RT_CONNECTED, 1, 0, src.v4);
	check_route(f, a4(198, 18, 0, 11), &vip2, NG_NH_VIP, NG_RT_VIP, 1, 0, src.v4);
	assert_int_equal(ng_fib_del(f, &vip2), 0);
	assert_int_equal(ng_fib_del(f, &dflt), 0);
	check_lens(f, AF_INET, (const int[]){17, 24}, 2);
	check_no_route(f, a4(9, 9, 9, 9));

	/* IPv6: /128 in the third word, /64 in the second, /63 and /0 in the first. */
	assert_int_equal(ng_fib_add(f, &h6, NG_RT_VIP, NG_NH_VIP, 1, NULL, &src6, false), 0);
	assert_int_equal(ng_fib_add(f, &n64, NG_RT_CONNECTED, NG_NH_CONNECTED, 1, NULL, &src6,
			false), 0);
	assert_int_equal(ng_fib_add(f, &n63, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw6, &src6, false),
			0);
	assert_int_equal(ng_fib_add(f, &d6, NG_RT_STATIC, NG_NH_GATEWAY, 3, &gw6, &src6, false), 0);
	check_lens(f, AF_INET6, (const int[]){0, 63, 64, 128}, 4);
	check_lens(f, AF_INET, (const int[]){17, 24}, 2);
	d = a6("2001:db8:1::7");
	assert_int_equal(ng_fib_lookup(f, &d, &ri), 0);
	assert_int_equal(ri.prefix.len, 128);
	d = a6("2001:db8:1::8");
	assert_int_equal(ng_fib_lookup(f, &d, &ri), 0);
	assert_int_equal(ri.prefix.len, 64);
	d = a6("2001:db8:0:1::8");
	assert_int_equal(ng_fib_lookup(f, &d, &ri), 0);
	assert_int_equal(ri.prefix.len, 63);
	assert_int_equal(ri.port, 2);
	assert_int_equal(ng_fib_del(f, &n64), 0);
	check_lens(f, AF_INET6, (const int[]){0, 63, 128}, 3);
	d = a6("2001:db8:1::8");
	assert_int_equal(ng_fib_lookup(f, &d, &ri), 0);
	assert_int_equal(ri.prefix.len, 0);
	assert_int_equal(ri.port, 3);
	ng_fib_free(f);
}

/* An RCU variable with one reader thread, registered. */
static struct rte_rcu_qsbr *
qsbr_new(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *v = rte_zmalloc("test_qsbr", sz, RTE_CACHE_LINE_SIZE);

	assert_non_null(v);
	assert_int_equal(rte_rcu_qsbr_init(v, 1), 0);
	assert_int_equal(rte_rcu_qsbr_thread_register(v, 0), 0);
	return v;
}

/*
 * rte_lpm6 frees a deleted route's tbl8 groups at once, so an IPv6 add after
 * an IPv6 delete waits for the grace period the delete started: with a
 * reader online that never reports, it gives up after 100 ms (-EBUSY) and
 * changes nothing; once the reader reports, it goes through. IPv4 adds never
 * wait (the IPv4 LPM reclaims its groups through RCU itself).
 */
static void
fib6_add_waits_grace_period(void **state)
{
	struct rte_rcu_qsbr *v = qsbr_new();
	struct ng_fib *f = ng_fib_create(8, v);
	struct ng_prefix a = tb_prefix("2001:db8:a::/48"), b = tb_prefix("2001:db8:b::/48");
	struct ng_prefix c4 = pfx(198, 19, 1, 0, 24);
	struct ng_ip src = a6("2001:db8:1::1"), gw = a6("2001:db8:1::fe");
	struct ng_ip src4 = a4(198, 18, 0, 1), gw4 = a4(198, 18, 0, 254);
	uint64_t t0;

	(void)state;
	assert_non_null(f);
	/* offline reader: no wait */
	assert_int_equal(ng_fib_add(f, &a, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	assert_int_equal(ng_fib_del(f, &a), 0);
	assert_int_equal(ng_fib_add(f, &a, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	rte_rcu_qsbr_thread_online(v, 0);
	assert_int_equal(ng_fib_del(f, &a), 0);
	assert_int_equal(ng_fib_add(f, &c4, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw4, &src4, false),
			0);
	t0 = rte_get_tsc_cycles();
	assert_int_equal(ng_fib_add(f, &b, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false),
			-EBUSY);
	assert_true(rte_get_tsc_cycles() - t0 >= rte_get_tsc_hz() / 10);
	check_nh6_dp(f, "2001:db8:b::1", 0, 0, NULL);
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(ng_fib_add(f, &b, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	check_nh6_dp(f, "2001:db8:b::1", NG_NH_GATEWAY, 1, "2001:db8:1::fe");
	/* nothing deleted since: the next add does not wait */
	assert_int_equal(ng_fib_add(f, &a, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	rte_rcu_qsbr_thread_offline(v, 0);
	ng_fib_free(f);
	assert_int_equal(rte_rcu_qsbr_thread_unregister(v, 0), 0);
	rte_free(v);
}

static void
fib_reclaim_qsbr(void **state)
{
	struct rte_rcu_qsbr *v = qsbr_new();
	struct ng_fib *f = ng_fib_create(2, v);
	const struct ng_fib_dp *d;
	struct ng_prefix a = pfx(198, 19, 1, 0, 24), b = pfx(198, 19, 2, 0, 24);
	struct ng_prefix host = pfx(198, 18, 0, 1, 32);
	struct ng_ip src = a4(198, 18, 0, 1), gw = a4(198, 18, 0, 254);
	int ia;

	(void)state;
	assert_non_null(f);
	d = ng_fib_dp(f);

	/* Reader registered but offline: grace periods end at once. */
	for (unsigned int i = 0; i < 100; i++) {
		struct ng_ip g = a4(198, 18, 1, (uint8_t)(1 + i));

		assert_int_equal(ng_fib_add(f, &a, NG_RT_STATIC, NG_NH_GATEWAY, 1, &g, &src, false),
				0);
		assert_int_equal(ng_fib_add(f, &host, NG_RT_LOCAL, NG_NH_LOCAL, 1, NULL, &src,
				false), 0);
		check_nh_dp(f, tb_ip(198, 19, 1, 1), NG_NH_GATEWAY, 1, g.v4, src.v4);
		check_nh_dp(f, src.v4, NG_NH_LOCAL, 1, 0, src.v4);
		assert_int_equal(ng_fib_del(f, &a), 0);
		assert_int_equal(ng_fib_del(f, &host), 0);
		check_no_route(f, a4(198, 19, 1, 1));
	}
	ng_fib_reclaim(f);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(d->nh[i].type, 0);

	/*
	 * Reader online: a deleted next hop stays intact (a worker may hold its
	 * index) until the reader reports a quiescent state.
	 */
	rte_rcu_qsbr_thread_online(v, 0);
	assert_int_equal(ng_fib_add(f, &a, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	ia = nh_index(f, tb_ip(198, 19, 1, 1));
	assert_int_equal(ng_fib_del(f, &a), 0);
	ng_fib_reclaim(f);
	assert_int_equal(d->nh[ia].type, NG_NH_GATEWAY);
	assert_int_equal(d->nh[ia].gw4, gw.v4);
	/* Meanwhile new routes use other slots. */
	{
		struct ng_ip g2 = a4(198, 18, 0, 9);

		assert_int_equal(ng_fib_add(f, &b, NG_RT_STATIC, NG_NH_GATEWAY, 1, &g2, &src, false),
				0);
		assert_int_not_equal(nh_index(f, tb_ip(198, 19, 2, 1)), ia);
		assert_int_equal(d->nh[ia].gw4, gw.v4);
	}
	rte_rcu_qsbr_quiescent(v, 0);
	ng_fib_reclaim(f);
	assert_int_equal(d->nh[ia].type, 0);
	check_nh_dp(f, tb_ip(198, 19, 2, 1), NG_NH_GATEWAY, 1, tb_ip(198, 18, 0, 9), src.v4);

	rte_rcu_qsbr_thread_offline(v, 0);
	ng_fib_free(f);
	assert_int_equal(rte_rcu_qsbr_thread_unregister(v, 0), 0);
	rte_free(v);
}

struct walk_log {
	unsigned int n;
	unsigned int stop_after;
	struct ng_route_info r[16];
};

static int
walk_cb(const struct ng_route_info *r, void *arg)
{
	struct walk_log *w = arg;

	if (w->n < RTE_DIM(w->r))
		w->r[w->n] = *r;
	w->n++;
	return w->stop_after != 0 && w->n >= w->stop_after;
}

static const struct ng_route_info *
walk_find(const struct walk_log *w, const struct ng_prefix *p)
{
	for (unsigned int i = 0; i < w->n && i < RTE_DIM(w->r); i++)
		if (w->r[i].prefix.len == p->len && w->r[i].prefix.addr.v4 == p->addr.v4)
			return &w->r[i];
	return NULL;
}

static void
fib_walk(void **state)
{
	struct ng_fib *f = ng_fib_create(8, NULL);
	struct ng_prefix conn = pfx(198, 18, 0, 0, 24), local = pfx(198, 18, 0, 1, 32);
	struct ng_prefix net = pfx(198, 19, 0, 0, 16);
	struct ng_ip src = a4(198, 18, 0, 1), gw = a4(198, 18, 0, 254);
	struct walk_log w = {0};
	const struct ng_route_info *r;

	(void)state;
	assert_non_null(f);
	assert_int_equal(ng_fib_walk(f, walk_cb, &w), 0);
	assert_int_equal(w.n, 0);
	assert_int_equal(ng_fib_add(f, &conn, NG_RT_CONNECTED, NG_NH_CONNECTED, 1, NULL, &src,
			false), 0);
	assert_int_equal(ng_fib_add(f, &local, NG_RT_LOCAL, NG_NH_LOCAL, 1, NULL, &src, false), 0);
	assert_int_equal(ng_fib_add(f, &net, NG_RT_STATIC, NG_NH_GATEWAY, 2, &gw, &src, false), 0);

	assert_int_equal(ng_fib_walk(f, walk_cb, &w), 3);
	assert_int_equal(w.n, 3);
	/* Insertion order, every field. */
	assert_int_equal(w.r[0].prefix.addr.v4, conn.addr.v4);
	assert_int_equal(w.r[1].prefix.addr.v4, local.addr.v4);
	assert_int_equal(w.r[2].prefix.addr.v4, net.addr.v4);
	r = walk_find(&w, &conn);
	assert_non_null(r);
	assert_int_equal(r->type, NG_NH_CONNECTED);
	assert_int_equal(r->origin, NG_RT_CONNECTED);
	assert_int_equal(r->port, 1);
	assert_int_equal(r->src.v4, src.v4);
	r = walk_find(&w, &local);
	assert_non_null(r);
	assert_int_equal(r->type, NG_NH_LOCAL);
	assert_int_equal(r->origin, NG_RT_LOCAL);
	r = walk_find(&w, &net);
	assert_non_null(r);
	assert_int_equal(r->type, NG_NH_GATEWAY);
	assert_int_equal(r->origin, NG_RT_STATIC);
	assert_int_equal(r->port, 2);
	assert_int_equal(r->gw.family, AF_INET);
	assert_int_equal(r->gw.v4, gw.v4);

	/* The callback stops the walk. */
	memset(&w, 0, sizeof(w));
	w.stop_after = 2;
	assert_int_equal(ng_fib_walk(f, walk_cb, &w), 2);
	assert_int_equal(w.n, 2);

	/* After a delete: the remaining routes, each once. */
	assert_int_equal(ng_fib_del(f, &conn), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(ng_fib_walk(f, walk_cb, &w), 2);
	assert_non_null(walk_find(&w, &local));
	assert_non_null(walk_find(&w, &net));
	assert_null(walk_find(&w, &conn));
	ng_fib_free(f);
}

/*
 * BUG (reported to the lead): route.h says ng_fib_walk() visits routes "in
 * insertion order", but ng_fib_del() (lib/route/fib.c:235) moves the last
 * route into the deleted one's place, so after a delete the order changes:
 * add A, B, C, delete A, walk gives C, B instead of B, C. 
 * until the code or the header is fixed; remove that call then.
 */
static void
fib_walk_order_after_delete(void **state)
{
	struct ng_fib *f;
	struct ng_prefix a = pfx(198, 19, 1, 0, 24), b = pfx(198, 19, 2, 0, 24);
	struct ng_prefix c = pfx(198, 19, 3, 0, 24);
	struct ng_ip src = a4(198, 18, 0, 1), gw = a4(198, 18, 0, 254);
	struct walk_log w = {0};

	(void)state;
	f = ng_fib_create(8, NULL);
	assert_non_null(f);
	assert_int_equal(ng_fib_add(f, &a, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	assert_int_equal(ng_fib_add(f, &b, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	assert_int_equal(ng_fib_add(f, &c, NG_RT_STATIC, NG_NH_GATEWAY, 1, &gw, &src, false), 0);
	assert_int_equal(ng_fib_del(f, &a), 0);
	assert_int_equal(ng_fib_walk(f, walk_cb, &w), 2);
	assert_int_equal(w.r[0].prefix.addr.v4, b.addr.v4);
	assert_int_equal(w.r[1].prefix.addr.v4, c.addr.v4);
	ng_fib_free(f);
}

/* ========================================================== neighbours */

struct txrec {
	unsigned int n;
	bool fail;
	struct rte_mbuf *m[TX_MAX];
	uint16_t port[TX_MAX];
};

/* The table's TX: record what it sends. Like ng_dp_ctl_tx, always consumes m. */
static int
rec_tx(struct rte_mbuf *m, uint16_t p, void *arg)
{
	struct txrec *r = arg;

	if (r->fail || r->n == TX_MAX) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	r->m[r->n] = m;
	r->port[r->n] = p;
	r->n++;
	return 0;
}

static void
rec_clear(struct txrec *r)
{
	for (unsigned int i = 0; i < r->n; i++)
		rte_pktmbuf_free(r->m[i]);
	r->n = 0;
}

struct nctx {
	struct ng_fib *fib;
	struct ng_neigh_table *t;
	struct rte_rcu_qsbr *qsbr;
	struct txrec tx;
	struct ng_neigh_params p;
};

static struct nctx ctx;

static const struct ng_neigh_dp *
ndp(void)
{
	return ng_neigh_dp(ctx.t);
}

static void
default_params(struct ng_neigh_params *p)
{
	memset(p, 0, sizeof(*p));
	p->max_entries = 16;
	p->reachable_ms = REACHABLE_MS;
	p->retry_ms = RETRY_MS;
	p->retries = RETRIES;
	p->pending_max = PENDING_MAX;
	p->qsbr = NULL;
	p->pool = pool;
	p->fib = ctx.fib;
	p->tx = rec_tx;
	p->tx_arg = &ctx.tx;
}

/* (Re)create the table with params p (pool, fib and tx filled in). */
static void
neigh_make(struct ng_neigh_params *p)
{
	ng_neigh_free(ctx.t);
	p->pool = pool;
	p->fib = ctx.fib;
	p->tx = rec_tx;
	p->tx_arg = &ctx.tx;
	ctx.p = *p;
	ctx.t = ng_neigh_create(p);
	assert_non_null(ctx.t);
}

static int
neigh_setup(void **state)
{
	struct ng_prefix conn = pfx(198, 18, 0, 1, 24), local = pfx(198, 18, 0, 1, 32);
	struct ng_ip src = a4(198, 18, 0, 1);
	struct ng_neigh_params p;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	ctx.fib = ng_fib_create(16, NULL);
	if (ctx.fib == NULL)
		return -1;
	if (ng_fib_add(ctx.fib, &conn, NG_RT_CONNECTED, NG_NH_CONNECTED, port, NULL, &src,
			false) != 0 ||
			ng_fib_add(ctx.fib, &local, NG_RT_LOCAL, NG_NH_LOCAL, port, NULL, &src,
			false) != 0)
		return -1;
	default_params(&p);
	ctx.p = p;
	ctx.t = ng_neigh_create(&p);
	return ctx.t == NULL ? -1 : 0;
}

static int
neigh_teardown(void **state)
{
	(void)state;
	rec_clear(&ctx.tx);
	ng_neigh_free(ctx.t);
	ng_fib_free(ctx.fib);
	if (ctx.qsbr != NULL) {
		rte_rcu_qsbr_thread_unregister(ctx.qsbr, 0);
		rte_free(ctx.qsbr);
	}
	memset(&ctx, 0, sizeof(ctx));
	/* Every mbuf the table held or sent came back. */
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	return 0;
}

static struct ng_neigh_stats
nstats(void)
{
	struct ng_neigh_stats s;

	memset(&s, 0xa5, sizeof(s));
	ng_neigh_get_stats(ctx.t, &s);
	return s;
}

/*
 * A packet a worker could not send: Ethernet + IPv4 to dst, marked with seq
 * in its first payload byte, its next hop in the private area.
 */
static struct rte_mbuf *
waiting_pkt(struct ng_ip nexthop, uint16_t out_port, uint8_t seq)
{
	struct ng_mbuf_priv *pv;
	struct rte_mbuf *m;
	struct tb_frame f;

	tb_eth(&f, &zero_mac, &port_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(&f, tb_ip(198, 18, 1, 2), nexthop.v4, IPPROTO_UDP, 63, 8);
	f.b[f.l2 + sizeof(struct rte_ipv4_hdr)] = seq;
	m = tb_mbuf(pool, &f, 0);
	m->l2_len = sizeof(struct rte_ether_hdr);
	pv = ng_mbuf_priv(m);
	memset(pv, 0, sizeof(*pv));
	pv->nexthop = nexthop;
	pv->out_port = out_port;
	pv->in_port = 9;
	pv->kind = 1; /* NG_CTL_RESOLVE */
	return m;
}

static uint8_t
pkt_seq(const struct rte_mbuf *m)
{
	return *rte_pktmbuf_mtod_offset(m, const uint8_t *,
			sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr));
}

/* An ARP frame as a worker hands it up: m->port and m->l2_len set. */
static struct rte_mbuf *
arp_pkt(uint16_t op, const struct rte_ether_addr *sha, struct ng_ip sip, uint32_t tip,
		uint16_t in_port)
{
	struct rte_mbuf *m;
	struct tb_frame f;

	tb_eth(&f, &port_mac, sha, TB_NO_VLAN, RTE_ETHER_TYPE_ARP);
	tb_arp(&f, op, sha, sip.v4, &port_mac, tip);
	m = tb_mbuf(pool, &f, in_port);
	m->l2_len = sizeof(struct rte_ether_hdr);
	return m;
}

static struct rte_mbuf *
arp_reply(const struct rte_ether_addr *sha, struct ng_ip sip)
{
	return arp_pkt(RTE_ARP_OP_REPLY, sha, sip, tb_ip(198, 18, 0, 1), port);
}

static void
check_arp_request(const struct rte_mbuf *m, uint16_t on_port, uint16_t want_port,
		struct ng_ip target)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(eth + 1);

	assert_int_equal(on_port, want_port);
	assert_int_equal(rte_pktmbuf_data_len(m), 42);
	assert_memory_equal(&eth->dst_addr, &bcast, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(&eth->src_addr, &port_mac, RTE_ETHER_ADDR_LEN);
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_ARP);
	assert_int_equal(rte_be_to_cpu_16(a->arp_hardware), RTE_ARP_HRD_ETHER);
	assert_int_equal(rte_be_to_cpu_16(a->arp_protocol), RTE_ETHER_TYPE_IPV4);
	assert_int_equal(a->arp_hlen, 6);
	assert_int_equal(a->arp_plen, 4);
	assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REQUEST);
	assert_memory_equal(&a->arp_data.arp_sha, &port_mac, RTE_ETHER_ADDR_LEN);
	assert_int_equal(a->arp_data.arp_sip, tb_ip(198, 18, 0, 1));
	assert_memory_equal(&a->arp_data.arp_tha, &zero_mac, RTE_ETHER_ADDR_LEN);
	assert_int_equal(a->arp_data.arp_tip, target.v4);
}

static void
check_released(const struct rte_mbuf *m, uint16_t on_port, const struct rte_ether_addr *mac,
		uint8_t seq)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	assert_int_equal(on_port, port);
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_IPV4);
	assert_memory_equal(&eth->dst_addr, mac, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(&eth->src_addr, &port_mac, RTE_ETHER_ADDR_LEN);
	assert_int_equal(pkt_seq(m), seq);
}

struct nwalk {
	unsigned int n;
	unsigned int stop_after;
	struct ng_neigh_info e[32];
};

static int
nwalk_cb(const struct ng_neigh_info *n, void *arg)
{
	struct nwalk *w = arg;

	if (w->n < RTE_DIM(w->e))
		w->e[w->n] = *n;
	w->n++;
	return w->stop_after != 0 && w->n >= w->stop_after;
}

/* The walk's view of one neighbour; fails the test when absent. */
static struct ng_neigh_info
neigh_info(struct ng_ip addr)
{
	struct nwalk w;

	memset(&w, 0, sizeof(w));
	ng_neigh_walk(ctx.t, nwalk_cb, &w);
	for (unsigned int i = 0; i < w.n && i < RTE_DIM(w.e); i++)
		if (w.e[i].addr.family == AF_INET && w.e[i].addr.v4 == addr.v4 &&
				w.e[i].port == port)
			return w.e[i];
	fail_msg("neighbour %08x not in the table", rte_be_to_cpu_32(addr.v4));
	return w.e[0];
}

static unsigned int
neigh_count(void)
{
	struct nwalk w;

	unsigned int visited;

	memset(&w, 0, sizeof(w));
	visited = ng_neigh_walk(ctx.t, nwalk_cb, &w);
	assert_int_equal(visited, w.n);
	return w.n;
}

static uint64_t
mac_word(const struct rte_ether_addr *mac)
{
	return ng_neigh_mac_to_word(mac) | NG_NEIGH_F_VALID;
}

static void
neigh_resolve_unknown(void **state)
{
	struct ng_ip nh = a4(198, 18, 0, 2);
	struct ng_neigh_stats s;
	struct ng_neigh_info ni;

	(void)state;
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), 0);
	ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 1));
	/* One ARP request, for the next hop, from our address and MAC on its port. */
	assert_int_equal(ctx.tx.n, 1);
	check_arp_request(ctx.tx.m[0], ctx.tx.port[0], port, nh);
	s = nstats();
	assert_int_equal(s.requests_sent, 1);
	assert_int_equal(s.pending_dropped, 0);
	/* An INCOMPLETE entry holding the packet; workers still see nothing usable. */
	ni = neigh_info(nh);
	assert_int_equal(ni.state, NG_NEIGH_INCOMPLETE);
	assert_int_equal(ni.pending, 1);
	assert_int_equal(ni.probes, 1);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), 0);

	/* A second packet waits too, without another request. */
	ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 2));
	assert_int_equal(ctx.tx.n, 1);
	assert_int_equal(neigh_info(nh).pending, 2);
	assert_int_equal(nstats().requests_sent, 1);
	assert_int_equal(neigh_count(), 1);
	/* Two packets held plus the request: three mbufs out of the pool. */
	assert_int_equal(rte_mempool_in_use_count(pool), 3);
}

static void
neigh_pending_max(void **state)
{
	struct ng_ip nh = a4(198, 18, 0, 2);

	(void)state;
	for (uint8_t i = 0; i < PENDING_MAX + 3; i++)
		ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, i));
	assert_int_equal(neigh_info(nh).pending, PENDING_MAX);
	assert_int_equal(nstats().pending_dropped, 3);
	assert_int_equal(nstats().requests_sent, 1);
	/* The excess went back to the pool. */
	assert_int_equal(rte_mempool_in_use_count(pool), PENDING_MAX + 1);

	/* pending_max 0: nothing is held, but resolution still starts. */
	{
		struct ng_neigh_params p;

		rec_clear(&ctx.tx);
		default_params(&p);
		p.pending_max = 0;
		neigh_make(&p);
		assert_int_equal(rte_mempool_in_use_count(pool), 0);
		ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 1));
		assert_int_equal(nstats().pending_dropped, 1);
		assert_int_equal(nstats().requests_sent, 1);
		assert_int_equal(neigh_info(nh).state, NG_NEIGH_INCOMPLETE);
		assert_int_equal(neigh_info(nh).pending, 0);
	}
}

static void
neigh_reply_resolves(void **state)
{
	struct ng_ip nh = a4(198, 18, 0, 2);
	struct ng_neigh_stats s;
	struct ng_neigh_info ni;

	(void)state;
	for (uint8_t i = 1; i <= 3; i++)
		ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, i));
	assert_int_equal(ctx.tx.n, 1);
	rec_clear(&ctx.tx);

	ng_neigh_arp_input(ctx.t, arp_reply(&nmac, nh));
	/* Workers now see the MAC. */
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), mac_word(&nmac));
	{
		struct rte_ether_addr got;

		ng_neigh_word_to_mac(ng_neigh_lookup4_dp(ndp(), port, nh.v4), &got);
		assert_memory_equal(&got, &nmac, RTE_ETHER_ADDR_LEN);
	}
	/* Not on another port. */
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), (uint16_t)(port + 1), nh.v4), 0);
	/* The waiting packets left, in order, to the neighbour's MAC. */
	assert_int_equal(ctx.tx.n, 3);
	for (unsigned int i = 0; i < 3; i++)
		check_released(ctx.tx.m[i], ctx.tx.port[i], &nmac, (uint8_t)(i + 1));
	s = nstats();
	assert_int_equal(s.replies_seen, 1);
	assert_int_equal(s.resolved, 1);
	assert_int_equal(s.pending_dropped, 0);
	ni = neigh_info(nh);
	assert_int_equal(ni.state, NG_NEIGH_REACHABLE);
	assert_int_equal(ni.pending, 0);
	assert_int_equal(ni.probes, 0);
	assert_memory_equal(&ni.mac, &nmac, RTE_ETHER_ADDR_LEN);
	assert_in_range(ni.age_ms, 0, WAIT_MAX_MS);
	rec_clear(&ctx.tx);

	/* A packet handed up after resolution (a race with the worker) goes at once. */
	ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 7));
	assert_int_equal(ctx.tx.n, 1);
	check_released(ctx.tx.m[0], ctx.tx.port[0], &nmac, 7);
	rec_clear(&ctx.tx);

	/* A later reply with a new MAC updates the entry (the neighbour moved). */
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac2, nh));
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), mac_word(&nmac2));
	assert_int_equal(nstats().replies_seen, 2);
	assert_int_equal(nstats().resolved, 1);
	assert_int_equal(ctx.tx.n, 0);
}

static void
neigh_reply_ignored(void **state)
{
	struct ng_ip nh = a4(198, 18, 0, 2), other = a4(198, 18, 0, 3);
	struct rte_ether_addr mcast = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
	struct rte_mbuf *m;

	(void)state;
	ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 1));
	rec_clear(&ctx.tx);

	/* From a sender nobody asked about: no entry is created. */
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac, other));
	assert_int_equal(neigh_count(), 1);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, other.v4), 0);
	/* A request, not a reply. */
	ng_neigh_arp_input(ctx.t, arp_pkt(RTE_ARP_OP_REQUEST, &nmac, nh, tb_ip(198, 18, 0, 1),
			port));
	/* A reply on another port. */
	ng_neigh_arp_input(ctx.t, arp_pkt(RTE_ARP_OP_REPLY, &nmac, nh, tb_ip(198, 18, 0, 1),
			(uint16_t)(port + 1)));
	/* A reply claiming a multicast or zero MAC. */
	ng_neigh_arp_input(ctx.t, arp_reply(&mcast, nh));
	ng_neigh_arp_input(ctx.t, arp_reply(&zero_mac, nh));
	/* Too short to hold an ARP header. */
	m = arp_reply(&nmac, nh);
	rte_pktmbuf_trim(m, 1);
	ng_neigh_arp_input(ctx.t, m);

	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), 0);
	assert_int_equal(neigh_info(nh).state, NG_NEIGH_INCOMPLETE);
	assert_int_equal(neigh_info(nh).pending, 1);
	assert_int_equal(nstats().resolved, 0);
	assert_int_equal(ctx.tx.n, 0);
	/* All those frames were consumed: only the waiting packet is out. */
	assert_int_equal(rte_mempool_in_use_count(pool), 1);
}

static void
neigh_static(void **state)
{
	struct ng_ip nh = a4(198, 18, 0, 5), v6;
	struct rte_ether_addr mcast = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
	struct ng_neigh_info ni;

	(void)state;
	memset(&v6, 0, sizeof(v6)); /* no family: neither IPv4 nor IPv6 */
	assert_int_equal(ng_neigh_add_static(ctx.t, port, &nh, &zero_mac), -EINVAL);
	assert_int_equal(ng_neigh_add_static(ctx.t, port, &nh, &mcast), -EINVAL);
	assert_int_equal(ng_neigh_add_static(ctx.t, port, &nh, &bcast), -EINVAL);
	assert_int_equal(ng_neigh_add_static(ctx.t, port, &nh, NULL), -EINVAL);
	assert_int_equal(ng_neigh_add_static(ctx.t, port, NULL, &nmac), -EINVAL);
	assert_int_equal(ng_neigh_add_static(ctx.t, port, &v6, &nmac), -EINVAL);
	assert_int_equal(neigh_count(), 0);

	assert_int_equal(ng_neigh_add_static(ctx.t, port, &nh, &nmac), 0);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), mac_word(&nmac));
	ni = neigh_info(nh);
	assert_int_equal(ni.state, NG_NEIGH_STATIC);
	assert_memory_equal(&ni.mac, &nmac, RTE_ETHER_ADDR_LEN);
	assert_int_equal(ctx.tx.n, 0);

	/* Never ages, never probed. */
	sleep_ms(REACHABLE_MS + 50);
	for (int i = 0; i < 5; i++) {
		ng_neigh_poll(ctx.t);
		sleep_ms(RETRY_MS);
	}
	assert_int_equal(neigh_info(nh).state, NG_NEIGH_STATIC);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), mac_word(&nmac));
	assert_int_equal(ctx.tx.n, 0);
	assert_int_equal(nstats().requests_sent, 0);

	/* ARP replies do not override it. */
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac2, nh));
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), mac_word(&nmac));
	/* Adding it again replaces the MAC. */
	assert_int_equal(ng_neigh_add_static(ctx.t, port, &nh, &nmac2), 0);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), mac_word(&nmac2));
	assert_int_equal(neigh_count(), 1);

	/* A static entry over an unresolved one releases its waiting packets. */
	{
		struct ng_ip nh2 = a4(198, 18, 0, 6);

		ng_neigh_resolve(ctx.t, waiting_pkt(nh2, port, 4));
		ng_neigh_resolve(ctx.t, waiting_pkt(nh2, port, 5));
		assert_int_equal(ctx.tx.n, 1); /* the ARP request */
		rec_clear(&ctx.tx);
		assert_int_equal(ng_neigh_add_static(ctx.t, port, &nh2, &nmac), 0);
		assert_int_equal(ctx.tx.n, 2);
		check_released(ctx.tx.m[0], ctx.tx.port[0], &nmac, 4);
		check_released(ctx.tx.m[1], ctx.tx.port[1], &nmac, 5);
		assert_int_equal(neigh_info(nh2).state, NG_NEIGH_STATIC);
	}
}

static void
neigh_delete(void **state)
{
	struct ng_ip nh = a4(198, 18, 0, 5), nh2 = a4(198, 18, 0, 6);

	(void)state;
	assert_int_equal(ng_neigh_del(ctx.t, port, &nh), -ENOENT);
	assert_int_equal(ng_neigh_add_static(ctx.t, port, &nh, &nmac), 0);
	assert_int_equal(ng_neigh_del(ctx.t, (uint16_t)(port + 1), &nh), -ENOENT);
	assert_int_equal(ng_neigh_del(ctx.t, port, &nh), 0);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), 0);
	assert_int_equal(neigh_count(), 0);
	assert_int_equal(ng_neigh_del(ctx.t, port, &nh), -ENOENT);

	/* Deleting an unresolved entry frees its waiting packets. */
	ng_neigh_resolve(ctx.t, waiting_pkt(nh2, port, 1));
	ng_neigh_resolve(ctx.t, waiting_pkt(nh2, port, 2));
	rec_clear(&ctx.tx);
	assert_int_equal(rte_mempool_in_use_count(pool), 2);
	assert_int_equal(ng_neigh_del(ctx.t, port, &nh2), 0);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	assert_int_equal(nstats().pending_dropped, 2);
	assert_int_equal(neigh_count(), 0);

	/* The address can be learnt again afterwards. */
	ng_neigh_resolve(ctx.t, waiting_pkt(nh2, port, 3));
	assert_int_equal(ctx.tx.n, 1);
	check_arp_request(ctx.tx.m[0], ctx.tx.port[0], port, nh2);
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac2, nh2));
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh2.v4), mac_word(&nmac2));
	/* Many add/delete rounds: slots and hash keys come back. */
	for (unsigned int i = 0; i < 100; i++) {
		struct ng_ip a = a4(198, 18, 0, (uint8_t)(10 + i));

		assert_int_equal(ng_neigh_add_static(ctx.t, port, &a, &nmac), 0);
		assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, a.v4), mac_word(&nmac));
		assert_int_equal(ng_neigh_del(ctx.t, port, &a), 0);
	}
	assert_int_equal(neigh_count(), 1);
}

/* Poll until the entry for addr is in state want (or the wait runs out). */
static void
poll_until_state(struct ng_ip addr, enum ng_neigh_state want, unsigned int max_ms)
{
	uint64_t end = rte_get_tsc_cycles() + rte_get_tsc_hz() * max_ms / 1000;

	while (neigh_info(addr).state != want && rte_get_tsc_cycles() < end) {
		sleep_ms(1);
		ng_neigh_poll(ctx.t);
		assert_in_range(nstats().requests_sent, 0, RETRIES * 2);
	}
	assert_int_equal(neigh_info(addr).state, want);
}

static void
neigh_retries_then_fail(void **state)
{
	struct ng_ip nh = a4(198, 18, 0, 9);
	struct ng_neigh_stats s;
	uint64_t t0 = rte_get_tsc_cycles(), elapsed_ms;

	(void)state;
	ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 1));
	ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 2));
	/* An immediate poll sends nothing more: the retry interval has not passed. */
	ng_neigh_poll(ctx.t);
	if ((rte_get_tsc_cycles() - t0) * 1000 / rte_get_tsc_hz() < RETRY_MS)
		assert_int_equal(nstats().requests_sent, 1);

	poll_until_state(nh, NG_NEIGH_FAILED, WAIT_MAX_MS);
	elapsed_ms = (rte_get_tsc_cycles() - t0) * 1000 / rte_get_tsc_hz();
	/* Exactly `retries` requests, spaced by retry_ms, then failure. */
	s = nstats();
	assert_int_equal(s.requests_sent, RETRIES);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.pending_dropped, 2);
	assert_in_range(elapsed_ms, (uint64_t)RETRY_MS * RETRIES, WAIT_MAX_MS);
	assert_int_equal(ctx.tx.n, RETRIES);
	for (unsigned int i = 0; i < ctx.tx.n; i++)
		check_arp_request(ctx.tx.m[i], ctx.tx.port[i], port, nh);
	/* Workers see the failure and drop. */
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), NG_NEIGH_F_FAILED);
	assert_int_equal(neigh_info(nh).pending, 0);
	/* While failed, new packets are dropped without new requests. */
	ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 3));
	assert_int_equal(nstats().pending_dropped, 3);
	assert_int_equal(nstats().requests_sent, RETRIES);
	assert_int_equal(rte_mempool_in_use_count(pool), RETRIES);

	/* After holding the failure for a while the entry is forgotten. */
	{
		uint64_t end = rte_get_tsc_cycles() + rte_get_tsc_hz() * WAIT_MAX_MS / 1000;

		while (neigh_count() > 0 && rte_get_tsc_cycles() < end) {
			sleep_ms(2);
			ng_neigh_poll(ctx.t);
		}
	}
	assert_int_equal(neigh_count(), 0);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), 0);
	assert_int_equal(nstats().requests_sent, RETRIES);
	/* A late reply to a failed-and-forgotten entry is ignored. */
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac, nh));
	assert_int_equal(neigh_count(), 0);
}

static void
neigh_reply_after_fail(void **state)
{
	struct ng_ip nh = a4(198, 18, 0, 9);

	(void)state;
	ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 1));
	poll_until_state(nh, NG_NEIGH_FAILED, WAIT_MAX_MS);
	/* A reply while still failed revives the entry. */
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac, nh));
	assert_int_equal(neigh_info(nh).state, NG_NEIGH_REACHABLE);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), mac_word(&nmac));
	assert_int_equal(nstats().resolved, 1);
}

/* All entries together hold at most waiting_max packets; what does not fit is dropped. */
static void
neigh_waiting_limit(void **state)
{
	struct ng_ip a = a4(198, 18, 0, 40), b = a4(198, 18, 0, 41);
	struct ng_neigh_params p;
	struct ng_neigh_stats s;

	(void)state;
	default_params(&p);
	p.waiting_max = PENDING_MAX + 1;
	neigh_make(&p);
	for (uint8_t i = 0; i < PENDING_MAX; i++)
		ng_neigh_resolve(ctx.t, waiting_pkt(a, port, i));
	for (uint8_t i = 0; i < 3; i++)
		ng_neigh_resolve(ctx.t, waiting_pkt(b, port, (uint8_t)(10 + i)));
	s = nstats();
	assert_int_equal(s.waiting, PENDING_MAX + 1);
	assert_int_equal(s.waiting_max, PENDING_MAX + 1);
	assert_int_equal(s.waiting_full, 2);
	assert_int_equal(s.pending_dropped, 2);
	assert_int_equal(neigh_info(b).pending, 1);
	/* A reply releases a's packets: room again. */
	rec_clear(&ctx.tx);
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac, a));
	assert_int_equal(ctx.tx.n, PENDING_MAX);
	assert_int_equal(nstats().waiting, 1);
	ng_neigh_resolve(ctx.t, waiting_pkt(b, port, 20));
	assert_int_equal(neigh_info(b).pending, 2);
	assert_int_equal(nstats().waiting, 2);
	/* A failed entry gives its packets back too. */
	poll_until_state(b, NG_NEIGH_FAILED, WAIT_MAX_MS);
	assert_int_equal(nstats().waiting, 0);

	/* 0, or more than every queue holds: every queue may fill. */
	default_params(&p);
	neigh_make(&p);
	assert_int_equal(nstats().waiting_max, p.max_entries * PENDING_MAX);
	p.waiting_max = UINT32_MAX;
	neigh_make(&p);
	assert_int_equal(nstats().waiting_max, p.max_entries * PENDING_MAX);
}

/* A link up asks every learnt entry of its port again; other ports' stay. */
static void
neigh_link_up_asks_again(void **state)
{
	struct ng_ip failed = a4(198, 18, 0, 30), reach = a4(198, 18, 0, 31);
	struct ng_ip stat = a4(198, 18, 0, 32), other = a4(198, 18, 0, 33);
	struct ng_neigh_stats s0;
	struct nwalk w;
	unsigned int other_probes = 0;

	(void)state;
	ng_neigh_resolve(ctx.t, waiting_pkt(failed, port, 1));
	poll_until_state(failed, NG_NEIGH_FAILED, WAIT_MAX_MS);
	ng_neigh_resolve(ctx.t, waiting_pkt(reach, port, 2));
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac, reach));
	assert_int_equal(neigh_info(reach).state, NG_NEIGH_REACHABLE);
	assert_int_equal(ng_neigh_add_static(ctx.t, port, &stat, &nmac2), 0);
	ng_neigh_resolve(ctx.t, waiting_pkt(other, port + 1, 3));
	memset(&w, 0, sizeof(w));
	ng_neigh_walk(ctx.t, nwalk_cb, &w);
	for (unsigned int i = 0; i < w.n; i++)
		if (w.e[i].port == port + 1)
			other_probes = w.e[i].probes;
	rec_clear(&ctx.tx);
	s0 = nstats();

	assert_int_equal(ng_neigh_link_up(ctx.t, port), 2);
	/* One request each at once, on the port. */
	assert_int_equal(ctx.tx.n, 2);
	for (unsigned int i = 0; i < ctx.tx.n; i++)
		check_arp_request(ctx.tx.m[i], ctx.tx.port[i], port,
				i == 0 ? failed : reach);
	/* The failed entry resolves again: workers hand its packets up, which wait. */
	assert_int_equal(neigh_info(failed).state, NG_NEIGH_INCOMPLETE);
	assert_int_equal(neigh_info(failed).probes, 1);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, failed.v4), 0);
	ng_neigh_resolve(ctx.t, waiting_pkt(failed, port, 4));
	assert_int_equal(neigh_info(failed).pending, 1);
	assert_int_equal(nstats().pending_dropped, s0.pending_dropped);
	/* The reachable one is probed and keeps its MAC meanwhile. */
	assert_int_equal(neigh_info(reach).state, NG_NEIGH_PROBE);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, reach.v4), mac_word(&nmac));
	/* Static entries and other ports are left alone. */
	assert_int_equal(neigh_info(stat).state, NG_NEIGH_STATIC);
	memset(&w, 0, sizeof(w));
	ng_neigh_walk(ctx.t, nwalk_cb, &w);
	for (unsigned int i = 0; i < w.n; i++)
		if (w.e[i].port == port + 1)
			assert_int_equal(w.e[i].probes, other_probes);

	/* The second request comes a retry later, for both. */
	sleep_ms(RETRY_MS + 2);
	ng_neigh_poll(ctx.t);
	assert_int_equal(ctx.tx.n, 4);
	rec_clear(&ctx.tx);
	/* An answer releases what waited. */
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac2, failed));
	assert_int_equal(neigh_info(failed).state, NG_NEIGH_REACHABLE);
	assert_int_equal(ctx.tx.n, 1);
	check_released(ctx.tx.m[0], ctx.tx.port[0], &nmac2, 4);
}

static void
neigh_reachable_to_probe(void **state)
{
	struct ng_ip nh = a4(198, 18, 0, 11);
	uint64_t t0;

	(void)state;
	ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 1));
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac, nh));
	t0 = rte_get_tsc_cycles();
	assert_int_equal(neigh_info(nh).state, NG_NEIGH_REACHABLE);
	rec_clear(&ctx.tx);
	/* Polls within reachable_ms leave it alone. */
	ng_neigh_poll(ctx.t);
	if ((rte_get_tsc_cycles() - t0) * 1000 / rte_get_tsc_hz() < REACHABLE_MS) {
		assert_int_equal(neigh_info(nh).state, NG_NEIGH_REACHABLE);
		assert_int_equal(ctx.tx.n, 0);
	}

	poll_until_state(nh, NG_NEIGH_PROBE, REACHABLE_MS + WAIT_MAX_MS);
	assert_in_range((rte_get_tsc_cycles() - t0) * 1000 / rte_get_tsc_hz(), REACHABLE_MS,
			REACHABLE_MS + WAIT_MAX_MS);
	/* One probe (an ARP request) went out; the old MAC stays in use meanwhile. */
	assert_int_equal(ctx.tx.n, 1);
	check_arp_request(ctx.tx.m[0], ctx.tx.port[0], port, nh);
	assert_int_equal(neigh_info(nh).probes, 1);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), mac_word(&nmac));
	rec_clear(&ctx.tx);
	/* A packet arriving now is sent at once. */
	ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 2));
	assert_int_equal(ctx.tx.n, 1);
	check_released(ctx.tx.m[0], ctx.tx.port[0], &nmac, 2);
	rec_clear(&ctx.tx);

	/* The reply confirms it again. */
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac, nh));
	assert_int_equal(neigh_info(nh).state, NG_NEIGH_REACHABLE);
	assert_int_equal(neigh_info(nh).probes, 0);

	/* Next time nobody answers the probes: the entry fails. */
	poll_until_state(nh, NG_NEIGH_PROBE, REACHABLE_MS + WAIT_MAX_MS);
	poll_until_state(nh, NG_NEIGH_FAILED, WAIT_MAX_MS);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, nh.v4), NG_NEIGH_F_FAILED);
	assert_int_equal(ctx.tx.n, RETRIES);
	assert_int_equal(nstats().failed, 1);
}

static void
neigh_walk_states(void **state)
{
	struct ng_ip inc = a4(198, 18, 0, 20), reach = a4(198, 18, 0, 21);
	struct ng_ip stat = a4(198, 18, 0, 22);
	unsigned int by_state[NG_NEIGH_STATIC + 1] = {0};
	struct nwalk w;

	(void)state;
	ng_neigh_resolve(ctx.t, waiting_pkt(inc, port, 1));
	ng_neigh_resolve(ctx.t, waiting_pkt(reach, port, 2));
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac, reach));
	assert_int_equal(ng_neigh_add_static(ctx.t, port, &stat, &nmac2), 0);

	memset(&w, 0, sizeof(w));
	assert_int_equal(ng_neigh_walk(ctx.t, nwalk_cb, &w), 3);
	assert_int_equal(w.n, 3);
	for (unsigned int i = 0; i < w.n; i++) {
		assert_in_range(w.e[i].state, NG_NEIGH_INCOMPLETE, NG_NEIGH_STATIC);
		assert_int_equal(w.e[i].port, port);
		by_state[w.e[i].state]++;
	}
	assert_int_equal(by_state[NG_NEIGH_INCOMPLETE], 1);
	assert_int_equal(by_state[NG_NEIGH_REACHABLE], 1);
	assert_int_equal(by_state[NG_NEIGH_STATIC], 1);
	assert_int_equal(neigh_info(inc).state, NG_NEIGH_INCOMPLETE);
	assert_int_equal(neigh_info(inc).pending, 1);
	{
		struct ng_neigh_info r = neigh_info(reach), s = neigh_info(stat);

		assert_int_equal(r.state, NG_NEIGH_REACHABLE);
		assert_memory_equal(&r.mac, &nmac, RTE_ETHER_ADDR_LEN);
		assert_int_equal(s.state, NG_NEIGH_STATIC);
		assert_memory_equal(&s.mac, &nmac2, RTE_ETHER_ADDR_LEN);
	}

	/* The callback stops the walk. */
	memset(&w, 0, sizeof(w));
	w.stop_after = 1;
	assert_int_equal(ng_neigh_walk(ctx.t, nwalk_cb, &w), 1);
	assert_int_equal(w.n, 1);
}

static void
neigh_table_full(void **state)
{
	struct ng_neigh_params p;

	(void)state;
	default_params(&p);
	p.max_entries = 8;
	neigh_make(&p);
	for (uint8_t i = 0; i < 8; i++) {
		struct ng_ip a = a4(198, 18, 0, (uint8_t)(100 + i));

		assert_int_equal(ng_neigh_add_static(ctx.t, port, &a, &nmac), 0);
	}
	{
		struct ng_ip a = a4(198, 18, 0, 200);

		assert_int_equal(ng_neigh_add_static(ctx.t, port, &a, &nmac), -ENOSPC);
		ng_neigh_resolve(ctx.t, waiting_pkt(a, port, 1));
		assert_int_equal(nstats().pending_dropped, 1);
		assert_int_equal(nstats().table_full, 2);
		assert_int_equal(ctx.tx.n, 0);
		assert_int_equal(neigh_count(), 8);
		/* Freeing one makes room. */
		{
			struct ng_ip old = a4(198, 18, 0, 100);

			assert_int_equal(ng_neigh_del(ctx.t, port, &old), 0);
		}
		assert_int_equal(ng_neigh_add_static(ctx.t, port, &a, &nmac), 0);
		assert_int_equal(neigh_count(), 8);
	}
}

/* With a real RCU variable (one registered reader, offline), entries are recycled. */
static void
neigh_with_qsbr(void **state)
{
	struct ng_neigh_params p;

	(void)state;
	ctx.qsbr = qsbr_new();
	default_params(&p);
	p.max_entries = 8;
	p.qsbr = ctx.qsbr;
	neigh_make(&p);
	for (unsigned int i = 0; i < 100; i++) {
		struct ng_ip a = a4(198, 18, 0, (uint8_t)(10 + i));

		ng_neigh_resolve(ctx.t, waiting_pkt(a, port, (uint8_t)i));
		assert_int_equal(ctx.tx.n, 1);
		check_arp_request(ctx.tx.m[0], ctx.tx.port[0], port, a);
		rec_clear(&ctx.tx);
		ng_neigh_arp_input(ctx.t, arp_reply(&nmac, a));
		assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, a.v4), mac_word(&nmac));
		assert_int_equal(ctx.tx.n, 1);
		check_released(ctx.tx.m[0], ctx.tx.port[0], &nmac, (uint8_t)i);
		rec_clear(&ctx.tx);
		assert_int_equal(ng_neigh_del(ctx.t, port, &a), 0);
		assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, a.v4), 0);
		ng_neigh_poll(ctx.t);
	}
	assert_int_equal(nstats().table_full, 0);

	/* With the reader online, a deleted entry's slot is held until it reports. */
	rte_rcu_qsbr_thread_online(ctx.qsbr, 0);
	for (uint8_t i = 0; i < 8; i++) {
		struct ng_ip a = a4(198, 18, 1, i);

		assert_int_equal(ng_neigh_add_static(ctx.t, port, &a, &nmac), 0);
	}
	{
		struct ng_ip a = a4(198, 18, 1, 0), b = a4(198, 18, 1, 100);

		assert_int_equal(ng_neigh_del(ctx.t, port, &a), 0);
		ng_neigh_poll(ctx.t);
		assert_int_equal(ng_neigh_add_static(ctx.t, port, &b, &nmac), -ENOSPC);
		rte_rcu_qsbr_quiescent(ctx.qsbr, 0);
		assert_int_equal(ng_neigh_add_static(ctx.t, port, &b, &nmac), 0);
		assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, b.v4), mac_word(&nmac));
	}
	rte_rcu_qsbr_thread_offline(ctx.qsbr, 0);
	/* Free the table now, while the reader is offline. */
	ng_neigh_free(ctx.t);
	ctx.t = NULL;
}

/* A TX that refuses: requests are not counted as sent and nothing leaks. */
static void
neigh_tx_refused(void **state)
{
	struct ng_ip nh = a4(198, 18, 0, 30);

	(void)state;
	ctx.tx.fail = true;
	ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 1));
	assert_int_equal(nstats().requests_sent, 0);
	assert_int_equal(neigh_info(nh).state, NG_NEIGH_INCOMPLETE);
	assert_int_equal(neigh_info(nh).pending, 1);
	ng_neigh_arp_input(ctx.t, arp_reply(&nmac, nh));
	/* Resolved, but the held packet could not be sent: counted as dropped. */
	assert_int_equal(neigh_info(nh).state, NG_NEIGH_REACHABLE);
	assert_int_equal(nstats().pending_dropped, 1);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	ctx.tx.fail = false;
}

/* No route toward the next hop: no source address, so no request; the entry waits. */
static void
neigh_no_source(void **state)
{
	struct ng_ip nh = a4(198, 19, 0, 1);

	(void)state;
	ng_neigh_resolve(ctx.t, waiting_pkt(nh, port, 1));
	assert_int_equal(ctx.tx.n, 0);
	assert_int_equal(nstats().requests_sent, 0);
	assert_int_equal(neigh_info(nh).state, NG_NEIGH_INCOMPLETE);
	/* It still fails after `retries` rounds. */
	poll_until_state(nh, NG_NEIGH_FAILED, WAIT_MAX_MS);
	assert_int_equal(ctx.tx.n, 0);
	assert_int_equal(nstats().pending_dropped, 1);
}

/*
 * BUG (reported to the lead): the neighbour table hashes the whole struct
 * ng_ip (lib/route/neigh.c:161 entry_find and :185 entry_new copy *addr into
 * the key), so an IPv4 address whose unused union bytes (v6[4..15]) are not
 * zero is a different key from the same address built by the data path
 * (route_dp.h ng_neigh_lookup4_dp builds a clean key) or by ARP input.
 * ng_ip_equal() calls such addresses equal. A static neighbour added from
 * such an ng_ip is never found by workers, and ng_neigh_del() with a clean
 * address returns -ENOENT.
 */
static void
neigh_key_ignores_unused_bytes(void **state)
{
	struct ng_ip dirty, clean = a4(198, 18, 0, 40);

	(void)state;
	memset(&dirty, 0xee, sizeof(dirty));
	dirty.family = AF_INET;
	dirty.v4 = clean.v4;
	assert_int_equal(ng_ip_equal(&dirty, &clean), 1);
	assert_int_equal(ng_neigh_add_static(ctx.t, port, &dirty, &nmac), 0);
	assert_int_equal(ng_neigh_lookup4_dp(ndp(), port, clean.v4), mac_word(&nmac));
	assert_int_equal(ng_neigh_del(ctx.t, port, &clean), 0);
	assert_int_equal(neigh_count(), 0);
}

#define NEIGH_TEST(f) cmocka_unit_test_setup_teardown(f, neigh_setup, neigh_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fib_create_invalid),
		cmocka_unit_test(fib_add_lookup),
		cmocka_unit_test(fib_default_route),
		cmocka_unit_test(fib_longest_prefix),
		cmocka_unit_test(fib_prefix_lens),
		cmocka_unit_test(fib_replace),
		cmocka_unit_test(fib_delete),
		cmocka_unit_test(fib_errors),
		cmocka_unit_test(fib_bad_type_rejected),
		cmocka_unit_test(fib_nexthop_sharing),
		cmocka_unit_test(fib_reclaim_qsbr),
		cmocka_unit_test(fib_walk),
		cmocka_unit_test(fib6_add_lookup),
		cmocka_unit_test(fib6_add_waits_grace_period),
		cmocka_unit_test(fib_walk_order_after_delete),
		NEIGH_TEST(neigh_resolve_unknown),
		NEIGH_TEST(neigh_pending_max),
		NEIGH_TEST(neigh_reply_resolves),
		NEIGH_TEST(neigh_reply_ignored),
		NEIGH_TEST(neigh_static),
		NEIGH_TEST(neigh_delete),
		NEIGH_TEST(neigh_retries_then_fail),
		NEIGH_TEST(neigh_reply_after_fail),
		NEIGH_TEST(neigh_link_up_asks_again),
		NEIGH_TEST(neigh_waiting_limit),
		NEIGH_TEST(neigh_reachable_to_probe),
		NEIGH_TEST(neigh_walk_states),
		NEIGH_TEST(neigh_table_full),
		NEIGH_TEST(neigh_with_qsbr),
		NEIGH_TEST(neigh_tx_refused),
		NEIGH_TEST(neigh_no_source),
		NEIGH_TEST(neigh_key_ignores_unused_bytes),
	};

	return cmocka_run_group_tests_name("route", tests, group_setup, group_teardown);
}
