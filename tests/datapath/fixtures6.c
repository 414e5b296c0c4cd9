/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv6 data-path fixtures' frames and checks (fixtures6.h has the
 * topology); test_fixtures.c's table lists them with their verdicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "fixtures6.h"
#include "pkt.h"
#include "route.h"
#include "worker.h"

static const struct rte_ether_addr client6_mac = {{0x02, 0x00, 0x00, 0x00, 0x06, 0x02}};
static const struct rte_ether_addr host6_mac = {{0x02, 0x00, 0x00, 0x00, 0x06, 0x12}};
static const struct rte_ether_addr router6_mac = {{0x02, 0x00, 0x00, 0x00, 0x06, 0xfe}};
static const struct rte_ether_addr stranger6_mac = {{0x02, 0x00, 0x00, 0x00, 0x06, 0x99}};

#define DB8 0x20, 0x01, 0x0d, 0xb8
static const uint8_t GW0[16] = {DB8, [15] = 1};
static const uint8_t GW1[16] = {DB8, 0, 1, [15] = 1};
static const uint8_t CLIENT[16] = {DB8, [15] = 2};
static const uint8_t HOST[16] = {DB8, 0, 1, [15] = 2};
static const uint8_t UNRESOLVED[16] = {DB8, 0, 1, [15] = 3};
static const uint8_t REMOTE[16] = {DB8, 0, 0x99, [15] = 5};
static const uint8_t UNROUTED[16] = {0x20, 0x01, 0x0d, 0xb9, [15] = 1};
static const uint8_t OTHER[16] = {DB8, [15] = 0x77};
static const uint8_t SNM_GW0[16] = {0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 1};
static const uint8_t SNM_OTHER[16] = {0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 0x77};
static const uint8_t ALL_NODES[16] = {0xff, 0x02, [15] = 1};
static const uint8_t ALL_ROUTERS[16] = {0xff, 0x02, [15] = 2};
static const uint8_t LL_CLIENT[16] = {0xfe, 0x80, [15] = 2};
static const uint8_t LL_GW[16] = {0xfe, 0x80, [15] = 1};
static const uint8_t UNSPEC[16];

enum { P0, P1 };

int
fixtures6_setup(void)
{
	static const struct {
		const char *addr;
		const struct rte_ether_addr *mac;
	} nb[] = {{"2001:db8:1::2", &host6_mac}, {"2001:db8:1::fe", &router6_mac}};
	char err[NG_ERRBUF] = "";
	struct ng_prefix net = tb_prefix("2001:db8:99::/48");
	struct ng_ip via = tb_addr("2001:db8:1::fe");

	if (ng_route_add(&gw.rt, &net, &via, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "IPv6 route: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < RTE_DIM(nb); i++) {
		struct ng_ip a = tb_addr(nb[i].addr);

		if (ng_route_neigh_add(&gw.rt, &a, nb[i].mac, "p1", err, sizeof(err)) != 0) {
			fprintf(stderr, "IPv6 neighbour: %s\n", err);
			return -1;
		}
	}
	return 0;
}

/* ---- frames ---- */

/* 33:33 and the low 32 bits of a multicast group (RFC 2464 7). */
static struct rte_ether_addr
mcast_mac(const uint8_t group[16])
{
	struct rte_ether_addr m = {{0x33, 0x33, group[12], group[13], group[14], group[15]}};

	return m;
}

static void
eth6(struct tb_frame *f, const struct rte_ether_addr *dst, int vlan)
{
	tb_eth(f, dst, &client6_mac, vlan, RTE_ETHER_TYPE_IPV6);
}

void
in6_ns_gw(struct tb_frame *f)
{
	struct rte_ether_addr d = mcast_mac(SNM_GW0);

	eth6(f, &d, TB_NO_VLAN);
	tb_ns(f, CLIENT, SNM_GW0, GW0, &client6_mac);
}

void
in6_ns_gw_vlan(struct tb_frame *f)
{
	struct rte_ether_addr d = mcast_mac(SNM_GW0);

	eth6(f, &d, 100);
	tb_ns(f, CLIENT, SNM_GW0, GW0, &client6_mac);
}

void
in6_ns_unicast(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_ns(f, CLIENT, GW0, GW0, &client6_mac);
}

void
in6_ns_dad(struct tb_frame *f)
{
	struct rte_ether_addr d = mcast_mac(SNM_GW0);

	eth6(f, &d, TB_NO_VLAN);
	tb_ns(f, UNSPEC, SNM_GW0, GW0, NULL);
}

void
in6_ns_other(struct tb_frame *f)
{
	struct rte_ether_addr d = mcast_mac(SNM_OTHER);

	eth6(f, &d, TB_NO_VLAN);
	tb_ns(f, CLIENT, SNM_OTHER, OTHER, &client6_mac);
}

void
in6_ns_hops64(struct tb_frame *f)
{
	in6_ns_gw(f);
	tb_set_hops(f, 64);
}

void
in6_na_to_gw(struct tb_frame *f)
{
	static const struct rte_ether_addr unres_mac = {{0x02, 0x00, 0x00, 0x00, 0x06, 0x13}};

	tb_eth(f, &gw.port_mac[P1], &unres_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_na(f, UNRESOLVED, GW1, UNRESOLVED, 0x60, &unres_mac);
	f->port = P1;
}

void
in6_echo_gw(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_icmp6(f, CLIENT, GW0, 128, 0, 0x1d1d0007, 41);
}

void
in6_echo_gw_vlan(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], 42);
	tb_icmp6(f, CLIENT, GW0, 128, 0, 0x1d1d0008, 56);
}

void
in6_echo_other_port(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_icmp6(f, CLIENT, GW1, 128, 0, 0x1d1d0009, 8);
}

void
in6_echo_mcast(struct tb_frame *f)
{
	struct rte_ether_addr d = mcast_mac(ALL_NODES);

	eth6(f, &d, TB_NO_VLAN);
	tb_icmp6(f, CLIENT, ALL_NODES, 128, 0, 0x1d1d000a, 8);
}

void
in6_tcp_syn_gw(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_tcp6(f, CLIENT, 40000, GW0, 22, RTE_TCP_SYN_FLAG, 1000, 0, 0);
}

void
in6_tcp_rst_gw(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_tcp6(f, CLIENT, 40000, GW0, 22, RTE_TCP_RST_FLAG, 1000, 0, 0);
}

void
in6_udp_gw(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_udp6(f, CLIENT, 40000, GW1, 53, 20);
}

void
in6_udp_no_cksum_gw(struct tb_frame *f)
{
	in6_udp_gw(f);
	memset(&f->b[f->l2 + 40 + 6], 0, 2);
}

void
in6_frag_gw(struct tb_frame *f)
{
	uint8_t *p;

	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_ip6(f, CLIENT, GW0, IPPROTO_FRAGMENT, 64, 8 + 8 + 16);
	p = &f->b[f->l2 + 40];
	p[0] = IPPROTO_UDP;
	p[1] = 0;
	p[2] = 0;
	p[3] = 1; /* offset 0, M */
	/* a UDP header (ports 40000 -> 53, length of the whole datagram) */
	p[8] = 0x9c;
	p[9] = 0x40;
	p[11] = 53;
	p[13] = 100;
}

void
in6_routed_host(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_udp6(f, CLIENT, 40000, HOST, 53, 30);
}

void
in6_routed_host_vlan(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], 7);
	tb_udp6(f, CLIENT, 40000, HOST, 53, 30);
}

void
in6_routed_gateway(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_tcp6(f, CLIENT, 40000, REMOTE, 443, RTE_TCP_SYN_FLAG, 7, 0, 0);
}

void
in6_routed_mtu_exact(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_udp6(f, CLIENT, 40000, HOST, 53, 1500 - 40 - 8);
}

void
in6_routed_unresolved(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_udp6(f, CLIENT, 40000, UNRESOLVED, 53, 10);
}

void
in6_hop1(struct tb_frame *f)
{
	in6_routed_host(f);
	tb_set_hops(f, 1);
}

void
in6_hop0(struct tb_frame *f)
{
	in6_routed_gateway(f);
	tb_set_hops(f, 0);
}

void
in6_too_big(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_udp6(f, CLIENT, 40000, HOST, 53, 1500 - 40 - 8 + 1);
}

/* An ICMPv6 error in transit with hop limit 1: no error about an error (RFC 4443 2.4(e)). */
void
in6_hop1_icmp_error(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_icmp6(f, CLIENT, HOST, 1, 4, 0, 48);
	tb_set_hops(f, 1);
}

void
in6_no_route(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_udp6(f, CLIENT, 40000, UNROUTED, 53, 10);
}

void
in6_rs(struct tb_frame *f)
{
	struct rte_ether_addr d = mcast_mac(ALL_ROUTERS);

	eth6(f, &d, TB_NO_VLAN);
	tb_icmp6(f, LL_CLIENT, ALL_ROUTERS, 133, 0, 0, 0);
	tb_set_hops(f, 255);
	tb_l4_cksum6(f);
}

void
in6_link_local(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_udp6(f, LL_CLIENT, 546, LL_GW, 547, 10);
}

void
in6_src_mcast(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_udp6(f, ALL_NODES, 40000, HOST, 53, 10);
}

void
in6_src_unspec(struct tb_frame *f)
{
	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_udp6(f, UNSPEC, 40000, HOST, 53, 10);
}

/* Destination options, then hop-by-hop options (only allowed first), then UDP. */
void
in6_hbh_late(struct tb_frame *f)
{
	uint8_t *p;

	eth6(f, &gw.port_mac[P0], TB_NO_VLAN);
	tb_ip6(f, CLIENT, HOST, IPPROTO_DSTOPTS, 64, 8 + 8 + 8);
	p = &f->b[f->l2 + 40];
	memset(p, 0, 24);
	p[0] = IPPROTO_HOPOPTS;
	p[2] = 1; /* PadN of 4 */
	p[3] = 4;
	p[8] = IPPROTO_UDP;
	p[10] = 1;
	p[11] = 4;
	p[16] = 0x9c; /* UDP 40000 -> 53, length 8 */
	p[17] = 0x40;
	p[19] = 53;
	p[21] = 8;
}

void
in6_other_mac(struct tb_frame *f)
{
	eth6(f, &stranger6_mac, TB_NO_VLAN);
	tb_udp6(f, CLIENT, 40000, HOST, 53, 10);
}

void
in6_truncated(struct tb_frame *f)
{
	in6_routed_host(f);
	f->len = (uint16_t)(f->l2 + 40 + 4);
}

/* ---- checks ---- */

static void
take(struct tb_frame *o, struct rte_mbuf *out, uint8_t port)
{
	tb_from_mbuf(o, out, port);
}

void
check6_na(const struct tb_frame *in, struct rte_mbuf *out)
{
	struct tb_frame o;

	take(&o, out, P0);
	ng_test_gw_check_reply_eth(&gw, in, &o);
	/* solicited, router and override, from the port's MAC */
	tb_check_na(in, &o, 0xe0, &gw.port_mac[P0]);
}

void
check6_na_dad(const struct tb_frame *in, struct rte_mbuf *out)
{
	const struct rte_ether_addr all_nodes_mac = mcast_mac(ALL_NODES);
	const struct rte_ipv6_hdr *h;
	struct tb_frame o;

	(void)in;
	take(&o, out, P0);
	h = tb_ip6_hdr(&o);
	/* to all nodes, not solicited (RFC 4861 7.2.4) */
	assert_memory_equal(o.b, &all_nodes_mac, RTE_ETHER_ADDR_LEN);
	tb_assert_addr6(h->src_addr, GW0);
	tb_assert_addr6(h->dst_addr, ALL_NODES);
	assert_int_equal(h->hop_limits, 255);
	assert_int_equal(o.b[o.l2 + 40], 136);
	assert_int_equal(o.b[o.l2 + 40 + 4], 0xa0);
	tb_check_l4_cksum6(&o);
}

void
check6_nd_up(const struct tb_frame *in, struct rte_mbuf *out)
{
	/* handed up untouched, for the neighbour table */
	assert_int_equal(rte_pktmbuf_data_len(out), in->len);
	assert_memory_equal(rte_pktmbuf_mtod(out, const uint8_t *), in->b, in->len);
	assert_int_equal(out->port, gw.port_id[P1]);
	assert_int_equal(out->l2_len, in->l2);
}

void
check6_echo_reply(const struct tb_frame *in, struct rte_mbuf *out)
{
	struct tb_frame o;

	take(&o, out, P0);
	ng_test_gw_check_reply_eth(&gw, in, &o);
	tb_check_echo6_reply(in, &o);
}

void
check6_rst(const struct tb_frame *in, struct rte_mbuf *out)
{
	struct tb_frame o;

	take(&o, out, P0);
	ng_test_gw_check_reply_eth(&gw, in, &o);
	tb_check_rst6(in, &o);
}

void
check6_port_unreachable(const struct tb_frame *in, struct rte_mbuf *out)
{
	struct tb_frame o;

	take(&o, out, P0);
	ng_test_gw_check_reply_eth(&gw, in, &o);
	/* from the address it was sent to */
	tb_check_icmp6_error(in, &o, 1, 4, 0, GW1);
}

/* Forwarded to dst_mac on port 1: hop limit - 1, untagged, the rest unchanged. */
static void
check6_forwarded_to(const struct tb_frame *in, struct rte_mbuf *out,
		const struct rte_ether_addr *dst_mac)
{
	const uint8_t *p = rte_pktmbuf_mtod(out, const uint8_t *);
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)p;
	const struct rte_ipv6_hdr *h = (const struct rte_ipv6_hdr *)(eth + 1);
	const struct rte_ipv6_hdr *ih = (const struct rte_ipv6_hdr *)&in->b[in->l2];
	uint16_t ilen = (uint16_t)(in->len - in->l2);

	assert_int_equal(rte_pktmbuf_data_len(out), sizeof(*eth) + ilen);
	assert_memory_equal(&eth->dst_addr, dst_mac, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(&eth->src_addr, &gw.port_mac[P1], RTE_ETHER_ADDR_LEN);
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_IPV6);
	assert_int_equal(h->hop_limits, ih->hop_limits - 1);
	/* the fixed header before the hop limit, and everything after it */
	assert_memory_equal(h, ih, offsetof(struct rte_ipv6_hdr, hop_limits));
	assert_memory_equal(h->src_addr, ih->src_addr, ilen - offsetof(struct rte_ipv6_hdr,
			src_addr));
}

void
check6_to_host(const struct tb_frame *in, struct rte_mbuf *out)
{
	check6_forwarded_to(in, out, &host6_mac);
}

void
check6_to_router(const struct tb_frame *in, struct rte_mbuf *out)
{
	check6_forwarded_to(in, out, &router6_mac);
}

void
check6_resolve(const struct tb_frame *in, struct rte_mbuf *out)
{
	const struct ng_mbuf_priv *pv = ng_mbuf_priv(out);
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(out, const struct rte_ether_hdr *);
	const struct rte_ipv6_hdr *h = (const struct rte_ipv6_hdr *)(eth + 1);
	const struct rte_ipv6_hdr *ih = (const struct rte_ipv6_hdr *)&in->b[in->l2];

	assert_int_equal(pv->kind, NG_CTL_RESOLVE);
	assert_int_equal(pv->nexthop.family, AF_INET6);
	tb_assert_addr6(pv->nexthop.v6, UNRESOLVED);
	assert_int_equal(pv->out_port, gw.port_id[P1]);
	assert_int_equal(pv->in_port, gw.port_id[P0]);
	/* ready to send but for the destination MAC */
	assert_memory_equal(&eth->src_addr, &gw.port_mac[P1], RTE_ETHER_ADDR_LEN);
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_IPV6);
	assert_int_equal(h->hop_limits, ih->hop_limits - 1);
}

void
check6_time_exceeded(const struct tb_frame *in, struct rte_mbuf *out)
{
	struct tb_frame o;

	take(&o, out, P0);
	ng_test_gw_check_reply_eth(&gw, in, &o);
	/* from the ingress port's address; the original quoted as received */
	tb_check_icmp6_error(in, &o, 3, 0, 0, GW0);
}

void
check6_too_big(const struct tb_frame *in, struct rte_mbuf *out)
{
	struct tb_frame o;

	take(&o, out, P0);
	ng_test_gw_check_reply_eth(&gw, in, &o);
	/* the egress port's MTU; the quote cut to fit 1280 bytes */
	tb_check_icmp6_error(in, &o, 2, 0, 1500, GW0);
	assert_int_equal(o.len - o.l2, 1280);
}
