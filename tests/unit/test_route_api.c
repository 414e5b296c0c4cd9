/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the route control API (lib/route/route_api.c): the checks and
 * error sentences of static routes and neighbours, the choice of port and
 * source address, and applying a config's routes and neighbours as reload
 * does. On tests/lib's gateway: two net_null ports,
 *   p0  198.18.0.1/24, 2001:db8::1/64
 *   p1  198.18.1.1/24 and 198.18.1.129/25 (a more specific prefix inside),
 *       2001:db8:1::1/64 and 2001:db8:1:0:8000::1/65 (likewise)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "ng_test_frame6.h"
#include "ng_test_gw.h"
#include "pkt.h"
#include "port.h"
#include "route.h"
#include "route_dp.h"

static struct ng_test_gw gw;
static char err[NG_ERRBUF];

static const struct rte_ether_addr mac1 = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x01}};
static const struct rte_ether_addr mac2 = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x02}};

/* rc is want and err is exactly the sentence. */
static void
refused(int rc, int want, const char *sentence)
{
	if (rc != want || strcmp(err, sentence) != 0)
		fail_msg("got %d \"%s\", want %d \"%s\"", rc, err, want, sentence);
}

static void
ok(int rc)
{
	if (rc != 0)
		fail_msg("refused: %d \"%s\"", rc, err);
}

static int
route_add(const char *prefix, const char *via, const char *port)
{
	struct ng_prefix p = tb_prefix(prefix);
	struct ng_ip v = tb_addr(via);

	err[0] = '\0';
	return ng_route_add(&gw.rt, &p, &v, port, err, sizeof(err));
}

static int
route_del(const char *prefix)
{
	struct ng_prefix p = tb_prefix(prefix);

	err[0] = '\0';
	return ng_route_del(&gw.rt, &p, err, sizeof(err));
}

static int
neigh_add(const char *addr, const struct rte_ether_addr *mac, const char *port)
{
	struct ng_ip a = tb_addr(addr);

	err[0] = '\0';
	return ng_route_neigh_add(&gw.rt, &a, mac, port, err, sizeof(err));
}

static int
neigh_del(const char *addr, const char *port)
{
	struct ng_ip a = tb_addr(addr);

	err[0] = '\0';
	return ng_route_neigh_del(&gw.rt, &a, port, err, sizeof(err));
}

/* The route with exactly prefix is a static one via via, out port p, from src. */
static void
assert_static(const char *prefix, const char *via, unsigned int p, const char *src)
{
	struct ng_prefix q = tb_prefix(prefix);
	struct ng_route_info ri;
	struct ng_ip v = tb_addr(via), s = tb_addr(src);

	if (ng_fib_get(gw.rt.fib, &q, &ri) != 0)
		fail_msg("no route %s", prefix);
	assert_int_equal(ri.origin, NG_RT_STATIC);
	assert_int_equal(ri.type, NG_NH_GATEWAY);
	assert_int_equal(ri.port, gw.port_id[p]);
	assert_true(ng_ip_equal(&ri.gw, &v));
	if (!ng_ip_equal(&ri.src, &s)) {
		char a[NG_IP_STRLEN];

		fail_msg("route %s: source %s, want %s", prefix, ng_ip_fmt(&ri.src, a, sizeof(a)),
				src);
	}
}

static bool
has_route(const char *prefix)
{
	struct ng_prefix q = tb_prefix(prefix);
	struct ng_route_info ri;

	return ng_fib_get(gw.rt.fib, &q, &ri) == 0;
}

/* ---- snapshots: the whole FIB and neighbour table as text ---- */

struct snap {
	char text[8192];
	size_t len;
};

static int
snap_route(const struct ng_route_info *r, void *arg)
{
	struct snap *s = arg;
	char p[NG_IP_STRLEN + 4], g[NG_IP_STRLEN], src[NG_IP_STRLEN];

	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s %s %s %u %s\n",
			ng_prefix_fmt(&r->prefix, p, sizeof(p)), ng_route_origin_name(r->origin),
			ng_ip_fmt(&r->gw, g, sizeof(g)), r->port,
			ng_ip_fmt(&r->src, src, sizeof(src)));
	return 0;
}

static int
snap_neigh(const struct ng_neigh_info *n, void *arg)
{
	struct snap *s = arg;
	char a[NG_IP_STRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(mac, sizeof(mac), &n->mac);
	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s %u %s %d\n",
			ng_ip_fmt(&n->addr, a, sizeof(a)), n->port, mac, (int)n->state);
	return 0;
}

static void
snapshot(struct snap *s)
{
	memset(s, 0, sizeof(*s));
	ng_fib_walk(gw.rt.fib, snap_route, s);
	ng_neigh_walk(gw.rt.neigh, snap_neigh, s);
}

struct neigh_find {
	struct ng_ip addr;
	uint16_t port;
	struct ng_neigh_info found;
};

static int
neigh_find_cb(const struct ng_neigh_info *n, void *arg)
{
	struct neigh_find *x = arg;

	if (n->port == x->port && ng_ip_equal(&n->addr, &x->addr))
		x->found = *n;
	return 0;
}

/* The state of the neighbour addr on port index p; 0 when there is none. */
static enum ng_neigh_state
neigh_state(const char *addr, unsigned int p, struct rte_ether_addr *mac)
{
	struct neigh_find x = {.addr = tb_addr(addr), .port = gw.port_id[p]};

	ng_neigh_walk(gw.rt.neigh, neigh_find_cb, &x);
	if (mac != NULL)
		*mac = x.found.mac;
	return x.found.state;
}

/* A neighbour the gateway is learning: a packet waits for addr on p1. */
static void
learn_neighbour(const char *addr)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(gw.pool);
	struct ng_mbuf_priv *pv;

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, 60));
	pv = ng_mbuf_priv(m);
	memset(pv, 0, sizeof(*pv));
	pv->nexthop = tb_addr(addr);
	pv->out_port = gw.port_id[1];
	pv->kind = NG_CTL_RESOLVE;
	ng_neigh_resolve(gw.rt.neigh, m);
	assert_int_equal(neigh_state(addr, 1, NULL), NG_NEIGH_INCOMPLETE);
}

/* ---- set-up ---- */

static int
group_setup(void **state)
{
	static const struct ng_test_gw_opts o = {
		.name = "route_api", .n_ports = 2,
		.addrs = {"198.18.0.1/24,2001:db8::1/64",
			"198.18.1.1/24,198.18.1.129/25,2001:db8:1::1/64,2001:db8:1:0:8000::1/65"},
	};

	(void)state;
	return ng_test_gw_up(&gw, &o);
}

static int
group_teardown(void **state)
{
	(void)state;
	return ng_test_gw_down(&gw);
}

/* Every test starts from the ports' routes only, no neighbours, nothing queued. */
static int
test_setup(void **state)
{
	struct ng_conf c = gw.conf;

	(void)state;
	c.routes = NULL;
	c.n_routes = 0;
	c.neighbours = NULL;
	c.n_neighbours = 0;
	ok(ng_route_apply_conf(&gw.rt, &c, err, sizeof(err)));
	for (int i = 0; i < 4; i++) {
		struct ng_ip a = tb_addr("198.18.1.77"), a6 = tb_addr("2001:db8:1::77");

		ng_neigh_del(gw.rt.neigh, gw.port_id[1], &a);
		ng_neigh_del(gw.rt.neigh, gw.port_id[1], &a6);
	}
	ng_test_gw_release(&gw);
	return 0;
}

/* ---- routes ---- */

/* The port is the first whose connected prefix holds the next hop, or the one
 * named; the source, that port's address on the most specific such prefix. */
static void
route_port_and_source(void **state)
{
	(void)state;
	ok(route_add("198.19.0.0/16", "198.18.1.254", NULL));
	assert_static("198.19.0.0/16", "198.18.1.254", 1, "198.18.1.129");
	ok(route_add("198.20.0.0/16", "198.18.1.5", NULL));
	assert_static("198.20.0.0/16", "198.18.1.5", 1, "198.18.1.1");
	ok(route_add("198.21.0.0/16", "198.18.0.9", "p0"));
	assert_static("198.21.0.0/16", "198.18.0.9", 0, "198.18.0.1");
	/* Host bits are cleared; add replaces. */
	ok(route_add("198.19.7.7/16", "198.18.0.254", NULL));
	assert_static("198.19.0.0/16", "198.18.0.254", 0, "198.18.0.1");
	ok(route_add("0.0.0.0/0", "198.18.1.200", "p1"));
	assert_static("0.0.0.0/0", "198.18.1.200", 1, "198.18.1.129");
}

/* Refused with a sentence that names what is wrong, and nothing changes. */
static void
route_add_refused(void **state)
{
	struct ng_prefix p6 = tb_prefix("2001:db8::/32");
	struct ng_ip v = tb_addr("198.18.1.9"), v6 = tb_addr("2001:db8::1");
	struct snap before, after;

	(void)state;
	snapshot(&before);
	refused(route_add("198.19.0.0/16", "198.18.9.9", NULL), -EINVAL,
			"198.18.9.9 is not on a connected prefix");
	refused(route_add("198.19.0.0/16", "198.18.1.9", "p0"), -EINVAL,
			"198.18.1.9 is not on a connected prefix of port p0");
	refused(route_add("198.19.0.0/16", "198.18.1.9", "nosuch"), -EINVAL,
			"no port \"nosuch\"");
	refused(route_add("198.19.0.0/16", "198.18.1.129", NULL), -EINVAL,
			"198.18.1.129 is an address of this gateway, not a neighbour");
	refused(route_add("198.18.0.0/24", "198.18.1.9", NULL), -EEXIST,
			"198.18.0.0/24: a connected route has that prefix");
	refused(route_add("198.18.1.1/32", "198.18.0.9", NULL), -EEXIST,
			"198.18.1.1/32: a local route has that prefix");
	refused(ng_route_add(&gw.rt, &p6, &v, NULL, err, sizeof(err)), -EINVAL,
			"the next hop is not an IPv6 address like the prefix");
	p6 = tb_prefix("198.19.0.0/16");
	refused(ng_route_add(&gw.rt, &p6, &v6, NULL, err, sizeof(err)), -EINVAL,
			"the next hop is not an IPv4 address like the prefix");
	refused(route_add("2001:db8:9::/48", "2001:db8:5::9", NULL), -EINVAL,
			"2001:db8:5::9 is not on a connected prefix");
	refused(route_add("2001:db8:9::/48", "2001:db8:1::9", "p0"), -EINVAL,
			"2001:db8:1::9 is not on a connected prefix of port p0");
	refused(route_add("2001:db8:9::/48", "2001:db8:1::1", NULL), -EINVAL,
			"2001:db8:1::1 is an address of this gateway, not a neighbour");
	refused(route_add("2001:db8::/64", "2001:db8:1::9", NULL), -EEXIST,
			"2001:db8::/64: a connected route has that prefix");
	refused(route_add("2001:db8::1/128", "2001:db8:1::9", NULL), -EEXIST,
			"2001:db8::1/128: a local route has that prefix");
	snapshot(&after);
	assert_string_equal(after.text, before.text);
}

static void
route_del_static_only(void **state)
{
	(void)state;
	ok(route_add("198.19.0.0/16", "198.18.1.254", NULL));
	refused(route_del("198.18.0.0/24"), -EPERM,
			"198.18.0.0/24 is a connected route; only static routes can be deleted");
	refused(route_del("198.18.1.129/32"), -EPERM,
			"198.18.1.129/32 is a local route; only static routes can be deleted");
	refused(route_del("198.30.0.0/16"), -ENOENT, "no route 198.30.0.0/16");
	refused(route_del("198.19.0.0/17"), -ENOENT, "no route 198.19.0.0/17");
	ok(route_del("198.19.1.2/16")); /* host bits cleared */
	assert_false(has_route("198.19.0.0/16"));
	refused(route_del("198.19.0.0/16"), -ENOENT, "no route 198.19.0.0/16");
}

/* IPv6 routes: the same choice of port and source; the default route; delete. */
static void
route6_port_and_source(void **state)
{
	(void)state;
	ok(route_add("2001:db8:9::/48", "2001:db8:1:0:8000::fe", NULL));
	assert_static("2001:db8:9::/48", "2001:db8:1:0:8000::fe", 1, "2001:db8:1:0:8000::1");
	ok(route_add("2001:db8:a::/48", "2001:db8:1::5", NULL));
	assert_static("2001:db8:a::/48", "2001:db8:1::5", 1, "2001:db8:1::1");
	ok(route_add("::/0", "2001:db8::fe", "p0"));
	assert_static("::/0", "2001:db8::fe", 0, "2001:db8::1");
	/* Host bits are cleared; add replaces. */
	ok(route_add("2001:db8:9::1/48", "2001:db8::fe", NULL));
	assert_static("2001:db8:9::/48", "2001:db8::fe", 0, "2001:db8::1");
	/* The IPv4 routes are another table: 0.0.0.0/0 is not ::/0. */
	assert_false(has_route("0.0.0.0/0"));
	refused(route_del("2001:db8:1::/64"), -EPERM,
			"2001:db8:1::/64 is a connected route; only static routes can be deleted");
	refused(route_del("2001:db8:1::1/128"), -EPERM,
			"2001:db8:1::1/128 is a local route; only static routes can be deleted");
	refused(route_del("2001:db8:9::/49"), -ENOENT, "no route 2001:db8:9::/49");
	ok(route_del("2001:db8:9::/48"));
	ok(route_del("::/0"));
	assert_false(has_route("2001:db8:9::/48") || has_route("::/0"));
	assert_true(has_route("2001:db8:a::/48"));
	/* An add after a delete (its grace period: no worker is online here). */
	ok(route_add("2001:db8:9::/48", "2001:db8:1::5", NULL));
	assert_static("2001:db8:9::/48", "2001:db8:1::5", 1, "2001:db8:1::1");
}

/*
 * The connected /24 is found by its exact prefix, not by a lookup of its
 * address: a static /32 at the /24's first address does not hide it.
 */
static void
route_del_connected_under_host_route(void **state)
{
	(void)state;
	ok(route_add("198.18.0.0/32", "198.18.1.254", NULL));
	refused(route_del("198.18.0.0/24"), -EPERM,
			"198.18.0.0/24 is a connected route; only static routes can be deleted");
	assert_true(has_route("198.18.0.0/24"));
	ok(route_del("198.18.0.0/32"));
}

/* ---- neighbours ---- */

static void
neigh_add_del(void **state)
{
	struct rte_ether_addr got;

	(void)state;
	ok(neigh_add("198.18.1.2", &mac1, NULL));
	assert_int_equal(neigh_state("198.18.1.2", 1, &got), NG_NEIGH_STATIC);
	assert_true(rte_is_same_ether_addr(&got, &mac1));
	ok(neigh_add("198.18.1.2", &mac2, "p1")); /* replaces */
	assert_int_equal(neigh_state("198.18.1.2", 1, &got), NG_NEIGH_STATIC);
	assert_true(rte_is_same_ether_addr(&got, &mac2));
	refused(neigh_del("198.18.1.2", "p0"), -EINVAL,
			"198.18.1.2 is not on a connected prefix of port p0");
	ok(neigh_del("198.18.1.2", NULL));
	assert_int_equal(neigh_state("198.18.1.2", 1, NULL), 0);
	refused(neigh_del("198.18.1.2", NULL), -ENOENT, "no neighbour 198.18.1.2 on port p1");
	/* A learnt entry goes the same way. */
	learn_neighbour("198.18.1.77");
	ok(neigh_del("198.18.1.77", "p1"));
	assert_int_equal(neigh_state("198.18.1.77", 1, NULL), 0);
}

/* The one frame on any worker's inject ring (the control core's TX), taken off it. */
static void
take_injected(struct tb_frame *out)
{
	struct rte_mbuf *m = NULL;

	for (unsigned int i = 0; i < gw.n_workers && m == NULL; i++)
		if (rte_ring_dequeue(gw.dp->workers[i]->inject, (void **)&m) != 0)
			m = NULL;
	assert_non_null(m);
	tb_from_mbuf(out, m, 0);
	rte_pktmbuf_free(m);
}

/*
 * IPv6 neighbours: static ones as IPv4's; a learnt one is resolved with a
 * solicitation to its solicited-node address from the port's address on its
 * prefix, and an advertisement confirms it (its target link-layer option,
 * else the frame's source) and releases what waited.
 */
static void
neigh6_add_del_learn(void **state)
{
	static const struct rte_ether_addr nmac = {{0x02, 0x00, 0x00, 0x00, 0x06, 0x77}};
	uint8_t me[16], them[16], snm[16];
	struct rte_ether_addr got;
	struct tb_frame ns, na;
	struct rte_mbuf *m;

	(void)state;
	ok(neigh_add("2001:db8:1::2", &mac1, NULL));
	assert_int_equal(neigh_state("2001:db8:1::2", 1, &got), NG_NEIGH_STATIC);
	assert_true(rte_is_same_ether_addr(&got, &mac1));
	refused(neigh_add("2001:db8:1::1", &mac1, NULL), -EINVAL,
			"2001:db8:1::1 is an address of this gateway, not a neighbour");
	refused(neigh_add("2001:db8:7::1", &mac1, NULL), -EINVAL,
			"2001:db8:7::1 is not on a connected prefix");
	ok(neigh_del("2001:db8:1::2", "p1"));
	refused(neigh_del("2001:db8:1::2", NULL), -ENOENT,
			"no neighbour 2001:db8:1::2 on port p1");

	learn_neighbour("2001:db8:1::77");
	take_injected(&ns);
	tb_addr6("2001:db8:1::1", me);
	tb_addr6("2001:db8:1::77", them);
	tb_addr6("ff02::1:ff00:77", snm);
	tb_assert_addr6(tb_ip6_hdr(&ns)->src_addr, me);
	tb_assert_addr6(tb_ip6_hdr(&ns)->dst_addr, snm);
	assert_int_equal(tb_ip6_hdr(&ns)->proto, IPPROTO_ICMPV6);
	assert_int_equal(ns.b[ns.l2 + 40], 135);
	tb_assert_addr6(&ns.b[ns.l2 + 40 + 8], them);
	tb_check_l4_cksum6(&ns);

	/* An advertisement for another target teaches nothing. */
	tb_eth(&na, &gw.port_mac[1], &nmac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_na(&na, them, me, me, 0x60, &nmac);
	m = tb_mbuf(gw.pool, &na, gw.port_id[1]);
	m->l2_len = RTE_ETHER_HDR_LEN;
	ng_neigh_nd_input(gw.rt.neigh, m);
	assert_int_equal(neigh_state("2001:db8:1::77", 1, NULL), NG_NEIGH_INCOMPLETE);
	/* A bad checksum neither. */
	tb_eth(&na, &gw.port_mac[1], &nmac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_na(&na, them, me, them, 0x60, &nmac);
	na.b[na.l2 + 40 + 2] ^= 1;
	m = tb_mbuf(gw.pool, &na, gw.port_id[1]);
	m->l2_len = RTE_ETHER_HDR_LEN;
	ng_neigh_nd_input(gw.rt.neigh, m);
	assert_int_equal(neigh_state("2001:db8:1::77", 1, NULL), NG_NEIGH_INCOMPLETE);
	/* The answer, without a link-layer option: the frame's source is the MAC. */
	tb_eth(&na, &gw.port_mac[1], &nmac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_na(&na, them, me, them, 0x60, NULL);
	m = tb_mbuf(gw.pool, &na, gw.port_id[1]);
	m->l2_len = RTE_ETHER_HDR_LEN;
	ng_neigh_nd_input(gw.rt.neigh, m);
	assert_int_equal(neigh_state("2001:db8:1::77", 1, &got), NG_NEIGH_REACHABLE);
	assert_true(rte_is_same_ether_addr(&got, &nmac));
	/* The packet that waited went out to it. */
	take_injected(&ns);
	assert_memory_equal(ns.b, &nmac, RTE_ETHER_ADDR_LEN);
	ok(neigh_del("2001:db8:1::77", "p1"));
}

static void
neigh_add_refused(void **state)
{
	static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	static const struct rte_ether_addr mcast = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
	static const struct rte_ether_addr zero;
	struct ng_ip a6 = tb_addr("2001:db8::2");
	struct snap before, after;

	(void)state;
	snapshot(&before);
	refused(neigh_add("198.18.1.2", &bcast, NULL), -EINVAL,
			"\"ff:ff:ff:ff:ff:ff\" is not a unicast MAC aa:bb:cc:dd:ee:ff");
	refused(neigh_add("198.18.1.2", &mcast, NULL), -EINVAL,
			"\"01:00:5e:00:00:01\" is not a unicast MAC aa:bb:cc:dd:ee:ff");
	refused(neigh_add("198.18.1.2", &zero, NULL), -EINVAL,
			"\"00:00:00:00:00:00\" is not a unicast MAC aa:bb:cc:dd:ee:ff");
	refused(neigh_add("198.18.0.1", &mac1, NULL), -EINVAL,
			"198.18.0.1 is an address of this gateway, not a neighbour");
	refused(neigh_add("198.18.9.9", &mac1, NULL), -EINVAL,
			"198.18.9.9 is not on a connected prefix");
	refused(neigh_add("198.18.1.2", &mac1, "p2"), -EINVAL, "no port \"p2\"");
	refused(ng_route_neigh_add(&gw.rt, &a6, &bcast, NULL, err, sizeof(err)), -EINVAL,
			"\"ff:ff:ff:ff:ff:ff\" is not a unicast MAC aa:bb:cc:dd:ee:ff");
	snapshot(&after);
	assert_string_equal(after.text, before.text);
}

/* ---- a config's routes and neighbours ---- */

static struct ng_conf_route
conf_route(const char *prefix, const char *via, unsigned int port, int line)
{
	struct ng_conf_route r = {.prefix = tb_prefix(prefix), .via = tb_addr(via), .port = port,
			.line = line};

	return r;
}

static struct ng_conf_neigh
conf_neigh(const char *addr, const struct rte_ether_addr *mac, unsigned int port, int line)
{
	struct ng_conf_neigh n = {.addr = tb_addr(addr), .mac = *mac, .port = port, .line = line};

	return n;
}

/* A config with the gateway's ports and these routes and neighbours. */
static struct ng_conf
conf_with(struct ng_conf_route *r, unsigned int n_r, struct ng_conf_neigh *n, unsigned int n_n)
{
	struct ng_conf c = gw.conf;

	c.routes = r;
	c.n_routes = n_r;
	c.neighbours = n;
	c.n_neighbours = n_n;
	return c;
}

/*
 * The static routes and neighbours become exactly the config's: those from
 * the CLI or an older config go, changed ones are replaced, learnt
 * neighbours stay.
 */
static void
apply_conf_replaces(void **state)
{
	struct ng_conf_route ra[] = {
		conf_route("198.19.0.0/16", "198.18.1.254", 1, 10),
		conf_route("198.20.0.0/16", "198.18.0.254", 0, 11),
		conf_route("2001:db8:9::/48", "2001:db8:1::fe", 1, 12),
	};
	struct ng_conf_neigh na[] = {conf_neigh("198.18.1.254", &mac1, 1, 20),
		conf_neigh("2001:db8:1::fe", &mac2, 1, 21)};
	struct ng_conf_route rb[] = {conf_route("198.19.0.0/16", "198.18.1.5", 1, 10)};
	struct ng_conf_neigh nb[] = {conf_neigh("198.18.1.254", &mac2, 1, 20)};
	struct ng_conf a = conf_with(ra, RTE_DIM(ra), na, RTE_DIM(na));
	struct ng_conf b = conf_with(rb, RTE_DIM(rb), nb, RTE_DIM(nb));
	struct rte_ether_addr got;

	(void)state;
	ok(route_add("198.30.0.0/16", "198.18.0.30", NULL));  /* as from the CLI */
	ok(neigh_add("198.18.0.50", &mac1, NULL));
	learn_neighbour("198.18.1.77");

	ok(ng_route_apply_conf(&gw.rt, &a, err, sizeof(err)));
	assert_static("198.19.0.0/16", "198.18.1.254", 1, "198.18.1.129");
	assert_static("198.20.0.0/16", "198.18.0.254", 0, "198.18.0.1");
	assert_static("2001:db8:9::/48", "2001:db8:1::fe", 1, "2001:db8:1::1");
	assert_int_equal(neigh_state("2001:db8:1::fe", 1, NULL), NG_NEIGH_STATIC);
	assert_false(has_route("198.30.0.0/16"));
	assert_int_equal(neigh_state("198.18.0.50", 0, NULL), 0);
	assert_int_equal(neigh_state("198.18.1.254", 1, &got), NG_NEIGH_STATIC);
	assert_true(rte_is_same_ether_addr(&got, &mac1));
	assert_int_equal(neigh_state("198.18.1.77", 1, NULL), NG_NEIGH_INCOMPLETE);
	assert_true(has_route("198.18.0.0/24") && has_route("198.18.1.129/32"));

	ok(ng_route_apply_conf(&gw.rt, &b, err, sizeof(err)));
	assert_static("198.19.0.0/16", "198.18.1.5", 1, "198.18.1.1");
	assert_false(has_route("198.20.0.0/16"));
	assert_false(has_route("2001:db8:9::/48"));
	assert_int_equal(neigh_state("2001:db8:1::fe", 1, NULL), 0);
	assert_int_equal(neigh_state("198.18.1.254", 1, &got), NG_NEIGH_STATIC);
	assert_true(rte_is_same_ether_addr(&got, &mac2));
	assert_int_equal(neigh_state("198.18.1.77", 1, NULL), NG_NEIGH_INCOMPLETE);
}

/* A config refused names FILE:LINE and changes nothing, not even what it would remove. */
static void
apply_conf_refused(void **state)
{
	struct ng_conf_route r[] = {
		conf_route("198.19.0.0/16", "198.18.1.254", 1, 10),
		conf_route("198.20.0.0/16", "198.18.9.9", 0, 11),
	};
	struct ng_conf_neigh n[] = {
		conf_neigh("198.18.1.254", &mac1, 1, 20),
		conf_neigh("198.18.1.1", &mac1, 1, 21),
	};
	struct ng_conf c = conf_with(r, RTE_DIM(r), n, RTE_DIM(n));
	struct snap before, after;

	(void)state;
	ok(route_add("198.30.0.0/16", "198.18.0.30", NULL));
	ok(neigh_add("198.18.0.50", &mac1, NULL));
	snapshot(&before);
	refused(ng_route_check_conf(&gw.rt, &c, err, sizeof(err)), -EINVAL,
			"route_api.conf:11: 198.18.9.9 is not on a connected prefix of port p0");
	refused(ng_route_apply_conf(&gw.rt, &c, err, sizeof(err)), -EINVAL,
			"route_api.conf:11: 198.18.9.9 is not on a connected prefix of port p0");
	c.n_routes = 1;
	refused(ng_route_apply_conf(&gw.rt, &c, err, sizeof(err)), -EINVAL,
			"route_api.conf:21: 198.18.1.1 is an address of this gateway, not a "
			"neighbour");
	/* A port the running gateway does not have (a reload that renamed it). */
	c.n_neighbours = 1;
	snprintf(c.ports[1].name, sizeof(c.ports[1].name), "pods");
	refused(ng_route_apply_conf(&gw.rt, &c, err, sizeof(err)), -EINVAL,
			"route_api.conf:10: no port \"pods\"");
	snapshot(&after);
	assert_string_equal(after.text, before.text);
}

/* ---- VIP routes at scale ---- */

#define SCALE_VIPS 20000

static struct ng_prefix
scale_vip(unsigned int i)
{
	struct ng_prefix p = {.addr = {.family = AF_INET}, .len = 32};

	/* Over every /24 of 198.19.0.0/16, so each takes an LPM group. */
	p.addr.v4 = tb_ip(198, 19, (uint8_t)(i % 256), (uint8_t)(1 + i / 256));
	return p;
}

/*
 * The FIB ng_route_init() sized holds a VIP route (a /32 with a next hop of its
 * own, as lib/svc/publish.c adds them) for each of 20,000 VIP addresses beside
 * the ports' routes, finds each by the workers' lookup and by ng_fib_lookup(),
 * and is as it was once they are deleted. Before it was sized from the
 * frontend limit, VIP routes past the 5,124th were refused (ENOSPC): a
 * 10,000-service cluster had 5,251 VIPs the data path did not see.
 */
static void
vip_routes_at_scale(void **state)
{
	const struct ng_fib_dp *d = ng_fib_dp(gw.rt.fib);
	struct snap *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));
	struct ng_route_info ri;

	(void)state;
	assert_non_null(before);
	assert_non_null(after);
	snapshot(before);
	for (unsigned int i = 0; i < SCALE_VIPS; i++) {
		struct ng_prefix p = scale_vip(i);
		int rc = ng_fib_add(gw.rt.fib, &p, NG_RT_VIP, NG_NH_VIP, gw.port_id[0], NULL,
				&p.addr, true);

		if (rc != 0)
			fail_msg("VIP route %u of %u: %d", i + 1, SCALE_VIPS, rc);
	}
	for (unsigned int i = 0; i < SCALE_VIPS; i++) {
		struct ng_prefix p = scale_vip(i);
		const struct ng_nexthop *nh = ng_fib_lookup4_dp(d, p.addr.v4);

		assert_non_null(nh);
		assert_int_equal(nh->type, NG_NH_VIP);
		assert_int_equal(nh->src4, p.addr.v4);
		assert_int_equal(ng_fib_lookup(gw.rt.fib, &p.addr, &ri), 0);
		assert_int_equal(ri.origin, NG_RT_VIP);
		assert_int_equal(ri.prefix.len, 32);
		assert_int_equal(ri.prefix.addr.v4, p.addr.v4);
	}
	/* The ports' routes are still found beside them. */
	{
		struct ng_ip a = tb_addr("198.18.1.200");

		assert_int_equal(ng_fib_lookup(gw.rt.fib, &a, &ri), 0);
		assert_int_equal(ri.origin, NG_RT_CONNECTED);
		assert_int_equal(ri.prefix.len, 25);
	}
	for (unsigned int i = 0; i < SCALE_VIPS; i++) {
		struct ng_prefix p = scale_vip(i);

		assert_int_equal(ng_fib_del(gw.rt.fib, &p), 0);
	}
	ng_fib_reclaim(gw.rt.fib);
	snapshot(after);
	assert_string_equal(after->text, before->text);
	free(before);
	free(after);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(route_port_and_source, test_setup),
		cmocka_unit_test_setup(route_add_refused, test_setup),
		cmocka_unit_test_setup(route_del_static_only, test_setup),
		cmocka_unit_test_setup(route6_port_and_source, test_setup),
		cmocka_unit_test_setup(neigh6_add_del_learn, test_setup),
		cmocka_unit_test_setup(route_del_connected_under_host_route, test_setup),
		cmocka_unit_test_setup(neigh_add_del, test_setup),
		cmocka_unit_test_setup(neigh_add_refused, test_setup),
		cmocka_unit_test_setup(apply_conf_replaces, test_setup),
		cmocka_unit_test_setup(apply_conf_refused, test_setup),
		cmocka_unit_test_setup(vip_routes_at_scale, test_setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
