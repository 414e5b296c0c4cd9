/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-path packet fixtures, Katran style: each fixture is
 *   {name, description, input frame, ingress port, expected verdict, output check}
 * where the verdict is any of: a frame sent on port X, a drop reason R counted
 * on the ingress port (also for a packet refused with a reply, such as a TCP
 * RST or an ICMP error), the packet handed to the control core with kind K,
 * the frame (or a copy) on the worker's punt ring for the kernel twin of p0
 * (fixtures marked "twin" run with one on p0; the frame must be unchanged).
 *
 * The gateway is tests/lib's (ng_test_gw.h: the set-up app/nodegw/main.c
 * does, on two net_null ports and one EAL lcore), its static routes and
 * neighbours added through the route control API. The test calls
 * ng_worker_process() directly and inspects the worker's TX buffers,
 * counters and the control ring without flushing. No root, no hugepages.
 *
 * Topology (port index: address, MAC of the DPDK port):
 *   p0  198.18.0.1/24   client 198.18.0.2 (MAC 02:00:00:00:00:02)
 *   p1  198.18.1.1/24   host 198.18.1.2 (static neighbour 02:00:00:00:01:02)
 *                       router 198.18.1.254 (static neighbour 02:00:00:00:01:fe)
 *                       198.19.0.0/16 via 198.18.1.254
 *                       198.18.1.3 has no neighbour entry
 *
 * The ports have IPv6 addresses too (2001:db8::1/64, 2001:db8:1::1/64); the
 * IPv6 fixtures' frames and checks are in fixtures6.c (fixtures6.h has their
 * topology).
 *
 * Every fixture also checks that no mbuf leaked. A last test runs every
 * fixture in one burst and checks the summed verdicts.
 */
#include <errno.h>
#include <inttypes.h>
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
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "fixtures6.h"
#include "ng_stats.h"
#include "ng_test_frame.h"
#include "ng_test_gw.h"
#include "pkt.h"
#include "route.h"
#include "worker.h"

#define NPORTS 2

/* ---- the gateway under test ---- */

struct ng_test_gw gw; /* fixtures6.c's too */
static struct ng_worker *w;

static const struct rte_ether_addr client_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
static const struct rte_ether_addr host_mac = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x02}};
static const struct rte_ether_addr router_mac = {{0x02, 0x00, 0x00, 0x00, 0x01, 0xfe}};
static const struct rte_ether_addr stranger_mac = {{0x02, 0x00, 0x00, 0x00, 0x09, 0x99}};
static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

#define GW0 tb_ip(198, 18, 0, 1)
#define GW1 tb_ip(198, 18, 1, 1)
#define CLIENT tb_ip(198, 18, 0, 2)
#define HOST tb_ip(198, 18, 1, 2)
#define ROUTER tb_ip(198, 18, 1, 254)
#define UNRESOLVED tb_ip(198, 18, 1, 3)
#define REMOTE tb_ip(198, 19, 7, 7)
#define UNROUTED tb_ip(198, 18, 200, 1)

/* ---- input builders ---- */

static const struct rte_ether_addr zero_mac;

static void
in_arp_request_gw(struct tb_frame *f)
{
	tb_eth(f, &bcast, &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_ARP);
	tb_arp(f, RTE_ARP_OP_REQUEST, &client_mac, CLIENT, &zero_mac, GW0);
}

static void
in_arp_request_gw_vlan(struct tb_frame *f)
{
	tb_eth(f, &bcast, &client_mac, 100, RTE_ETHER_TYPE_ARP);
	tb_arp(f, RTE_ARP_OP_REQUEST, &client_mac, CLIENT, &zero_mac, GW0);
}

static void
in_arp_request_other(struct tb_frame *f)
{
	tb_eth(f, &bcast, &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_ARP);
	tb_arp(f, RTE_ARP_OP_REQUEST, &client_mac, CLIENT, &zero_mac, tb_ip(198, 18, 0, 77));
}

static void
in_arp_reply_to_us(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_ARP);
	tb_arp(f, RTE_ARP_OP_REPLY, &client_mac, CLIENT, &gw.port_mac[0], GW0);
}

static void
in_arp_bad_hlen(struct tb_frame *f)
{
	in_arp_request_gw(f);
	((struct rte_arp_hdr *)&f->b[f->l2])->arp_hlen = 8;
}

static void
in_echo_gw(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_icmp(f, CLIENT, GW0, RTE_IP_ICMP_ECHO_REQUEST, 0, 56);
}

static void
in_echo_gw_vlan(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, 0x2042, RTE_ETHER_TYPE_IPV4);
	tb_icmp(f, CLIENT, GW0, RTE_IP_ICMP_ECHO_REQUEST, 0, 56);
}

static void
in_echo_other_port_addr(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_icmp(f, CLIENT, GW1, RTE_IP_ICMP_ECHO_REQUEST, 0, 8);
}

static void
in_echo_odd_length(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_icmp(f, CLIENT, GW0, RTE_IP_ICMP_ECHO_REQUEST, 0, 33);
}

static void
in_icmp_timestamp_gw(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_icmp(f, CLIENT, GW0, 13, 0, 12);
}

static void
in_icmp_short_gw(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, GW0, IPPROTO_ICMP, 64, 4);
	f->b[f->l2 + 20] = RTE_IP_ICMP_ECHO_REQUEST;
}

static void
in_fragment_gw(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_icmp(f, CLIENT, GW0, RTE_IP_ICMP_ECHO_REQUEST, 0, 56);
	tb_ip4_hdr(f)->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	tb_ip4_cksum(f);
}

static void
in_tcp_syn_gw(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_tcp(f, CLIENT, 40000, GW0, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
}

static void
in_tcp_data_gw_vlan(struct tb_frame *f)
{
	/* ACK with 100 bytes of data, tagged. */
	tb_eth(f, &gw.port_mac[0], &client_mac, 5, RTE_ETHER_TYPE_IPV4);
	tb_tcp(f, CLIENT, 40000, GW0, 80, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 5000, 0x12345678,
			100);
}

static void
in_tcp_fin_gw(struct tb_frame *f)
{
	/* FIN without ACK, 10 bytes of data: the RST acknowledges seq + 11. */
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_tcp(f, CLIENT, 40000, GW0, 80, RTE_TCP_FIN_FLAG, 7000, 0, 10);
}

static void
in_tcp_rst_gw(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_tcp(f, CLIENT, 40000, GW0, 80, RTE_TCP_RST_FLAG, 1, 0, 0);
}

static void
in_tcp_short_gw(struct tb_frame *f)
{
	/* 12 bytes of TCP: less than a header. */
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, GW0, IPPROTO_TCP, 64, 12);
}

static void
in_gre_gw(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, GW0, IPPROTO_GRE, 64, 24);
}

static void
in_udp_gw(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *h = tb_ip4(f, CLIENT, GW1, IPPROTO_UDP, 64, 8);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(h + 1);

	/* A well-formed UDP header (length 8, no checksum): malformed ones are dropped. */
	u->src_port = rte_cpu_to_be_16(40000);
	u->dst_port = rte_cpu_to_be_16(9);
	u->dgram_len = rte_cpu_to_be_16(8);
	u->dgram_cksum = 0;
}

static void
in_echo_reply_gw(struct tb_frame *f)
{
	/* the answer to a ping the kernel twin sent */
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_icmp(f, CLIENT, GW0, RTE_IP_ICMP_ECHO_REPLY, 0, 56);
}

static void
in_ospf_hello(struct tb_frame *f)
{
	static const struct rte_ether_addr allspf = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x05}};

	tb_eth(f, &allspf, &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, tb_ip(224, 0, 0, 5), 89, 1, 44);
}

static void
in_ipv6_other_mac(struct tb_frame *f)
{
	tb_eth(f, &stranger_mac, &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	memset(&f->b[f->len], 0, 48);
	f->b[f->len] = 0x60;
	f->len = (uint16_t)(f->len + 48);
}

static void
in_routed_host(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, HOST, IPPROTO_UDP, 64, 100);
}

static void
in_routed_host_vlan(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, 7, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, HOST, IPPROTO_UDP, 64, 100);
}

static void
in_routed_ttl2(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, HOST, IPPROTO_TCP, 2, 20);
}

static void
in_routed_padded(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, HOST, IPPROTO_UDP, 64, 8);
	memset(&f->b[f->len], 0, 60 - f->len);
	f->len = 60;
}

static void
in_routed_gateway(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, REMOTE, IPPROTO_UDP, 64, 30);
}

static void
in_routed_unresolved(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, UNRESOLVED, IPPROTO_UDP, 64, 30);
}

static void
in_routed_reverse(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[1], &host_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, HOST, CLIENT, IPPROTO_UDP, 64, 30);
}

static void
in_ttl1(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, HOST, IPPROTO_UDP, 1, 100);
}

static void
in_ttl0(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, REMOTE, IPPROTO_TCP, 0, 20);
}

static void
in_ttl1_vlan(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, 0x0123, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, HOST, IPPROTO_UDP, 1, 4);
}

static void
in_no_route(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, UNROUTED, IPPROTO_UDP, 64, 8);
}

static void
in_not_for_us(struct tb_frame *f)
{
	tb_eth(f, &stranger_mac, &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, HOST, IPPROTO_UDP, 64, 8);
}

static void
in_not_for_us_other_port_mac(struct tb_frame *f)
{
	/* Our MAC, but port 1's, arriving on port 0. */
	tb_eth(f, &gw.port_mac[1], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, HOST, IPPROTO_UDP, 64, 8);
}

static void
in_bcast_transit(struct tb_frame *f)
{
	tb_eth(f, &bcast, &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, HOST, IPPROTO_UDP, 64, 8);
}

static void
in_truncated(struct tb_frame *f)
{
	in_routed_host(f);
	f->len = 30;
}

static void
in_total_length_too_big(struct tb_frame *f)
{
	in_routed_host(f);
	tb_ip4_hdr(f)->total_length = rte_cpu_to_be_16(200);
	tb_ip4_cksum(f);
}

static void
in_bad_cksum(struct tb_frame *f)
{
	in_routed_host(f);
	tb_ip4_hdr(f)->hdr_checksum ^= 0x0101;
}

static void
in_bad_version(struct tb_frame *f)
{
	in_routed_host(f);
	tb_ip4_hdr(f)->version_ihl = 0x55;
	tb_ip4_cksum(f);
}

/* IPv6, all zero but the version: hop-by-hop options with payload length 0 (a jumbogram). */
static void
in_ipv6(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	memset(&f->b[f->len], 0, 48);
	f->b[f->len] = 0x60;
	f->len = (uint16_t)(f->len + 48);
}

static void
in_lldp(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_LLDP);
	memset(&f->b[f->len], 0, 46);
	f->len = (uint16_t)(f->len + 46);
}

static void
in_vlan_nested(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, 10, RTE_ETHER_TYPE_VLAN);
	tb_put16(f, 20);
	tb_put16(f, RTE_ETHER_TYPE_IPV4);
	f->l2 = f->len;
	tb_ip4(f, CLIENT, HOST, IPPROTO_UDP, 64, 8);
}

static void
in_mtu_exceeded(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, HOST, IPPROTO_UDP, 64, 1501 - 20);
}

static void
in_mtu_exact(struct tb_frame *f)
{
	tb_eth(f, &gw.port_mac[0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_ip4(f, CLIENT, HOST, IPPROTO_UDP, 64, 1500 - 20);
}

/* ---- output checks ---- */

enum { P0, P1 };

/* in: the input frame; out: what the gateway sent (or handed up). */
typedef void (*check_fn)(const struct tb_frame *in, struct rte_mbuf *out);

/* The ARP reply from port 0, back to the client (tag kept). */
static void
check_arp_reply(const struct tb_frame *in, struct rte_mbuf *out)
{
	struct tb_frame o;

	tb_from_mbuf(&o, out, P0);
	ng_test_gw_check_reply_eth(&gw, in, &o);
	tb_check_arp_reply(in, &o, &gw.port_mac[0]);
	assert_memory_equal(&((const struct rte_ether_hdr *)o.b)->dst_addr, &client_mac,
			RTE_ETHER_ADDR_LEN);
}

static void
check_arp_up(const struct tb_frame *in, struct rte_mbuf *out)
{
	/* Handed up untouched, for the neighbour table. */
	assert_int_equal(rte_pktmbuf_data_len(out), in->len);
	assert_memory_equal(rte_pktmbuf_mtod(out, const uint8_t *), in->b, in->len);
	assert_int_equal(out->port, gw.port_id[0]);
	assert_int_equal(out->l2_len, in->l2);
}

/* The echo reply back to the client out port 0 (tag kept). */
static void
check_echo_reply(const struct tb_frame *in, struct rte_mbuf *out)
{
	struct tb_frame o;

	tb_from_mbuf(&o, out, P0);
	ng_test_gw_check_reply_eth(&gw, in, &o);
	tb_check_echo_reply(in, &o);
}

/* Forwarded to dst_mac on port 1: TTL - 1, untagged, the rest unchanged. */
static void
check_forwarded_to(const struct tb_frame *in, struct rte_mbuf *out,
		const struct rte_ether_addr *dst_mac)
{
	const uint8_t *p = rte_pktmbuf_mtod(out, const uint8_t *);
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)p;
	const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_ipv4_hdr *ih = (const struct rte_ipv4_hdr *)(in->b + in->l2);
	uint16_t tot = rte_be_to_cpu_16(ih->total_length);
	struct rte_ipv4_hdr want;

	assert_int_equal(out->nb_segs, 1);
	assert_int_equal(rte_pktmbuf_data_len(out), 14 + tot);
	assert_int_equal(rte_pktmbuf_pkt_len(out), 14 + tot);
	assert_memory_equal(&eth->dst_addr, dst_mac, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(&eth->src_addr, &gw.port_mac[1], RTE_ETHER_ADDR_LEN);
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_IPV4);
	assert_int_equal(h->time_to_live, ih->time_to_live - 1);
	tb_check_ip_cksum(h);
	/* Only the TTL and the checksum changed. */
	memcpy(&want, ih, sizeof(want));
	want.time_to_live = h->time_to_live;
	want.hdr_checksum = h->hdr_checksum;
	assert_memory_equal(h, &want, sizeof(want));
	assert_memory_equal(h + 1, ih + 1, tot - 20u);
}

static void
check_to_host(const struct tb_frame *in, struct rte_mbuf *out)
{
	check_forwarded_to(in, out, &host_mac);
}

static void
check_to_router(const struct tb_frame *in, struct rte_mbuf *out)
{
	check_forwarded_to(in, out, &router_mac);
}

static void
check_to_client(const struct tb_frame *in, struct rte_mbuf *out)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(out, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)(eth + 1);

	/* Port 1 -> port 0; the client has no neighbour entry: see the fixture. */
	(void)in;
	assert_memory_equal(&eth->src_addr, &gw.port_mac[0], RTE_ETHER_ADDR_LEN);
	assert_int_equal(h->time_to_live, 63);
	tb_check_ip_cksum(h);
}

static void
check_resolve(const struct tb_frame *in, struct rte_mbuf *out)
{
	const struct ng_mbuf_priv *pv = ng_mbuf_priv(out);
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(out, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_ipv4_hdr *ih = (const struct rte_ipv4_hdr *)(in->b + in->l2);

	assert_int_equal(pv->kind, NG_CTL_RESOLVE);
	assert_int_equal(pv->nexthop.family, AF_INET);
	assert_int_equal(pv->nexthop.v4, UNRESOLVED);
	assert_int_equal(pv->out_port, gw.port_id[1]);
	assert_int_equal(pv->in_port, gw.port_id[0]);
	/* Ready to send but for the destination MAC. */
	assert_memory_equal(&eth->src_addr, &gw.port_mac[1], RTE_ETHER_ADDR_LEN);
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_IPV4);
	assert_int_equal(h->time_to_live, ih->time_to_live - 1);
	tb_check_ip_cksum(h);
}

/* An ICMP error about in, from src, back to the client out port 0 (tag kept). */
static void
check_icmp_error(const struct tb_frame *in, struct rte_mbuf *out, uint8_t type, uint8_t code,
		uint32_t src)
{
	struct tb_frame o;

	tb_from_mbuf(&o, out, P0);
	ng_test_gw_check_reply_eth(&gw, in, &o);
	tb_check_icmp_error(in, &o, type, code, src);
	assert_int_equal(tb_ip4_hdr(&o)->dst_addr, CLIENT);
}

static void
check_time_exceeded(const struct tb_frame *in, struct rte_mbuf *out)
{
	check_icmp_error(in, out, NG_ICMP_TIME_EXCEEDED, 0, GW0);
}

/* "Fragmentation needed" with the egress MTU 1500, from port 0's address. */
static void
check_frag_needed(const struct tb_frame *in, struct rte_mbuf *out)
{
	struct tb_frame o;

	tb_from_mbuf(&o, out, P0);
	ng_test_gw_check_reply_eth(&gw, in, &o);
	tb_check_icmp_error_mtu(in, &o, NG_ICMP_DEST_UNREACH, 4, GW0, 1500);
	assert_int_equal(tb_ip4_hdr(&o)->dst_addr, CLIENT);
}

static void
check_port_unreachable(const struct tb_frame *in, struct rte_mbuf *out)
{
	/* From the address that was asked (port 1's), back out port 0. */
	check_icmp_error(in, out, NG_ICMP_DEST_UNREACH, 3, GW1);
}

/* A TCP RST in answer to the input segment, back to the client out port 0 (tag kept). */
static void
check_tcp_rst(const struct tb_frame *in, struct rte_mbuf *out)
{
	struct tb_frame o;

	tb_from_mbuf(&o, out, P0);
	ng_test_gw_check_reply_eth(&gw, in, &o);
	tb_check_rst(in, &o);
}

/* ---- the fixture table ---- */

struct fixture {
	const char *name;
	const char *desc;
	void (*build)(struct tb_frame *f);
	uint8_t in;                  /* ingress port index */
	int tx;                      /* port index of the one output frame; -1: none */
	enum ng_drop_reason drop;    /* counted on the ingress port; NONE: no drop */
	int ctl;                     /* enum ng_ctl_kind on the control ring; 0: none */
	check_fn check;              /* on the output frame, or the control-ring packet */
	bool forwarding_off;
	bool twin;                   /* p0 has a kernel twin */
	int punt;                    /* frames on the punt ring (the input, unchanged) */
	/*
	 * Set on a fixture that shows a bug reported to the lead: it skips
	 * unless NG_TEST_SHOW_BUGS is set (then it fails while the bug is there).
	 */
	const char *known_bug;
};

#define TX(p) .tx = (p), .drop = NG_DROP_NONE, .ctl = 0
#define DROP(r) .tx = -1, .drop = NG_DROP_##r, .ctl = 0
#define CTL(k) .tx = -1, .drop = NG_DROP_NONE, .ctl = (k)
/* With a kernel twin on p0: only on the punt ring. */
#define PUNT .tx = -1, .drop = NG_DROP_NONE, .ctl = 0, .punt = 1, .twin = true

static const struct fixture fixtures[] = {
	/* ARP */
	{"arp_request_gw", "ARP request for the gateway's address: reply on the same port",
		in_arp_request_gw, P0, TX(P0), .check = check_arp_reply},
	{"arp_request_gw_vlan", "ARP request in VLAN 100: the reply keeps the tag",
		in_arp_request_gw_vlan, P0, TX(P0), .check = check_arp_reply},
	{"arp_request_other", "ARP request for another address: dropped",
		in_arp_request_other, P0, DROP(ARP_NOT_OURS)},
	{"arp_reply_to_us", "ARP reply to the gateway: handed to the control core",
		in_arp_reply_to_us, P0, CTL(NG_CTL_ARP), .check = check_arp_up},
	{"arp_bad_hlen", "ARP with hardware length 8: malformed",
		in_arp_bad_hlen, P0, DROP(ARP_MALFORMED)},
	/* Local: ICMP and other protocols to the gateway's addresses */
	{"echo_gw", "ICMP echo to the gateway: echo reply, addresses swapped, TTL 64",
		in_echo_gw, P0, TX(P0), .check = check_echo_reply},
	{"echo_gw_vlan", "ICMP echo in VLAN 42 (PCP 1): the reply keeps the tag",
		in_echo_gw_vlan, P0, TX(P0), .check = check_echo_reply},
	{"echo_gw_odd_length", "ICMP echo with an odd payload length: checksum still right",
		in_echo_odd_length, P0, TX(P0), .check = check_echo_reply},
	{"echo_other_port_addr", "ICMP echo to port 1's address arriving on port 0",
		in_echo_other_port_addr, P0, TX(P0), .check = check_echo_reply},
	{"echo_gw_fwd_off", "ICMP echo to the gateway with forwarding disabled: answered",
		in_echo_gw, P0, TX(P0), .check = check_echo_reply, .forwarding_off = true},
	{"icmp_timestamp_gw", "ICMP timestamp request to the gateway: not handled",
		in_icmp_timestamp_gw, P0, DROP(ICMP_UNHANDLED)},
	{"icmp_short_gw", "ICMP to the gateway with 4 bytes of ICMP: malformed",
		in_icmp_short_gw, P0, DROP(ICMP_MALFORMED)},
	{"fragment_gw", "IPv4 fragment to the gateway: dropped",
		in_fragment_gw, P0, DROP(IP_FRAGMENT)},
	{"tcp_syn_gw", "TCP SYN to the gateway's address: no listener, RST+ACK",
		in_tcp_syn_gw, P0, .tx = P0, .drop = NG_DROP_LOCAL_PROTO, .check = check_tcp_rst},
	{"tcp_data_gw_vlan", "tagged TCP ACK+data to the gateway: RST with seq = ack, tag kept",
		in_tcp_data_gw_vlan, P0, .tx = P0, .drop = NG_DROP_LOCAL_PROTO,
		.check = check_tcp_rst},
	{"tcp_fin_gw", "TCP FIN+data without ACK to the gateway: RST acks data and FIN",
		in_tcp_fin_gw, P0, .tx = P0, .drop = NG_DROP_LOCAL_PROTO, .check = check_tcp_rst},
	{"tcp_rst_gw", "TCP RST to the gateway: no answer to a RST",
		in_tcp_rst_gw, P0, DROP(LOCAL_PROTO)},
	{"tcp_short_gw", "TCP to the gateway shorter than a TCP header: dropped",
		in_tcp_short_gw, P0, DROP(L4_HEADER)},
	{"udp_gw", "UDP to port 1's address: no listener, ICMP port unreachable",
		in_udp_gw, P0, .tx = P0, .drop = NG_DROP_LOCAL_PROTO,
		.check = check_port_unreachable},
	{"gre_gw", "GRE to the gateway's address: not handled",
		in_gre_gw, P0, DROP(LOCAL_PROTO)},
	/* Forwarding */
	{"routed_host", "to a host on port 1 with a static neighbour: forwarded",
		in_routed_host, P0, TX(P1), .check = check_to_host},
	{"routed_host_vlan", "tagged on ingress: forwarded untagged",
		in_routed_host_vlan, P0, TX(P1), .check = check_to_host},
	{"routed_ttl2", "TTL 2: forwarded with TTL 1",
		in_routed_ttl2, P0, TX(P1), .check = check_to_host},
	{"routed_padded", "Ethernet padding: trimmed before forwarding",
		in_routed_padded, P0, TX(P1), .check = check_to_host},
	{"routed_gateway", "to 198.19.0.0/16: forwarded to the router's MAC",
		in_routed_gateway, P0, TX(P1), .check = check_to_router},
	{"routed_mtu_exact", "total length 1500 = egress MTU: forwarded",
		in_mtu_exact, P0, TX(P1), .check = check_to_host},
	{"routed_unresolved", "next hop without a neighbour entry: to the control core",
		in_routed_unresolved, P0, CTL(NG_CTL_RESOLVE), .check = check_resolve},
	{"routed_reverse_unresolved", "port 1 to the client (no entry): to the control core",
		in_routed_reverse, P1, CTL(NG_CTL_RESOLVE), .check = check_to_client},
	{"ttl1", "TTL 1: ICMP time exceeded back out the ingress port, original dropped",
		in_ttl1, P0, .tx = P0, .drop = NG_DROP_TTL_EXPIRED, .check = check_time_exceeded},
	{"ttl0", "TTL 0: ICMP time exceeded, original dropped",
		in_ttl0, P0, .tx = P0, .drop = NG_DROP_TTL_EXPIRED, .check = check_time_exceeded},
	{"ttl1_vlan", "TTL 1 in VLAN 291 with a short payload: the error keeps the tag",
		in_ttl1_vlan, P0, .tx = P0, .drop = NG_DROP_TTL_EXPIRED,
		.check = check_time_exceeded},
	{"no_route", "destination without a route: dropped",
		in_no_route, P0, DROP(NO_ROUTE)},
	{"fwd_disabled", "transit packet with forwarding disabled: dropped",
		in_routed_host, P0, DROP(FWD_DISABLED), .forwarding_off = true},
	{"mtu_exceeded", "total length 1501 > egress MTU 1500 with DF: fragmentation needed "
		"(MTU 1500) back out the ingress port, original dropped",
		in_mtu_exceeded, P0, .tx = P0, .drop = NG_DROP_MTU, .check = check_frag_needed},
	/* Parse and L2 */
	{"not_for_us", "destination MAC of another host: dropped",
		in_not_for_us, P0, DROP(NOT_FOR_US)},
	{"not_for_us_other_port", "port 1's MAC arriving on port 0: dropped",
		in_not_for_us_other_port_mac, P0, DROP(NOT_FOR_US)},
	/*
	 * BUG (reported): an IPv4 packet received as a link-layer broadcast is
	 * routed (lib/worker/worker_dp.c accepts a broadcast destination MAC for
	 * every packet, not only ARP). RFC 1812 5.3.4: a router must not forward
	 * link-layer broadcasts; it should be dropped (NOT_FOR_US or its own reason).
	 */
	{"bcast_transit", "IPv4 to a host on port 1 sent to the broadcast MAC: not forwarded",
		in_bcast_transit, P0, DROP(NOT_FOR_US),
},
	{"truncated", "30-byte IPv4 frame: truncated",
		in_truncated, P0, DROP(TRUNCATED)},
	{"total_length_too_big", "IPv4 total length beyond the frame: truncated",
		in_total_length_too_big, P0, DROP(TRUNCATED)},
	{"bad_ip_cksum", "bad IPv4 header checksum: dropped",
		in_bad_cksum, P0, DROP(IP_CKSUM)},
	{"bad_ip_version", "IP version 5 in an IPv4 frame: malformed header",
		in_bad_version, P0, DROP(IP_HEADER)},
	{"ipv6_jumbogram", "IPv6 hop-by-hop header with payload length 0 (jumbogram): malformed",
		in_ipv6, P0, DROP(IP6_EXT)},
	{"lldp", "LLDP: unsupported ethertype",
		in_lldp, P0, DROP(ETHERTYPE)},
	{"vlan_nested", "two 802.1Q tags: dropped",
		in_vlan_nested, P0, DROP(VLAN_NESTED)},
	/* p0 with a kernel twin: what nodegw does not consume goes there, the rest as before */
	{"twin_tcp_syn_gw", "twin: TCP SYN to the gateway (no NodePort): to the kernel, no RST",
		in_tcp_syn_gw, P0, PUNT},
	{"twin_tcp_data_vlan", "twin: tagged TCP data to the gateway: to the kernel, tag kept",
		in_tcp_data_gw_vlan, P0, PUNT},
	{"twin_udp_gw", "twin: UDP to port 1's address arriving on p0: to p0's kernel twin",
		in_udp_gw, P0, PUNT},
	{"twin_gre_gw", "twin: GRE to the gateway: to the kernel",
		in_gre_gw, P0, PUNT},
	{"twin_fragment_gw", "twin: a fragment to the gateway: to the kernel (it reassembles)",
		in_fragment_gw, P0, PUNT},
	{"twin_icmp_timestamp", "twin: ICMP timestamp to the gateway: to the kernel",
		in_icmp_timestamp_gw, P0, PUNT},
	{"twin_echo_reply", "twin: ICMP echo reply to the gateway (the kernel's ping): to it",
		in_echo_reply_gw, P0, PUNT},
	{"twin_ospf_hello", "twin: OSPF hello to 224.0.0.5 (multicast MAC): to the kernel",
		in_ospf_hello, P0, PUNT},
	{"twin_ipv6_jumbogram", "twin: malformed IPv6: dropped, not the kernel's either",
		in_ipv6, P0, DROP(IP6_EXT), .twin = true},
	{"twin_lldp", "twin: LLDP: to the kernel",
		in_lldp, P0, PUNT},
	{"twin_arp_request", "twin: ARP request for the gateway: answered, and a copy to the kernel",
		in_arp_request_gw, P0, TX(P0), .check = check_arp_reply, .twin = true, .punt = 1},
	{"twin_arp_request_vlan", "twin: tagged ARP request: answered tagged, copy to the kernel",
		in_arp_request_gw_vlan, P0, TX(P0), .check = check_arp_reply, .twin = true,
		.punt = 1},
	{"twin_arp_reply", "twin: ARP reply to the gateway: to the control core, and a copy",
		in_arp_reply_to_us, P0, CTL(NG_CTL_ARP), .check = check_arp_up, .twin = true,
		.punt = 1},
	{"twin_echo_gw", "twin: ICMP echo to the gateway: nodegw answers, the kernel sees nothing",
		in_echo_gw, P0, TX(P0), .check = check_echo_reply, .twin = true},
	{"twin_routed_host", "twin: transit traffic is forwarded, not punted",
		in_routed_host, P0, TX(P1), .check = check_to_host, .twin = true},
	{"twin_arp_other", "twin: ARP for another address: dropped, no copy",
		in_arp_request_other, P0, DROP(ARP_NOT_OURS), .twin = true},
	{"twin_not_for_us", "twin: unicast to another MAC: dropped",
		in_not_for_us, P0, DROP(NOT_FOR_US), .twin = true},
	{"twin_ipv6_other_mac", "twin: IPv6 to another host's MAC: dropped",
		in_ipv6_other_mac, P0, DROP(NOT_FOR_US), .twin = true},
	/* IPv6 (fixtures6.c): neighbour discovery */
	{"nd_ns_gw", "NS for the gateway's IPv6 address: solicited NA to the solicitor",
		in6_ns_gw, P0, TX(P0), .check = check6_na},
	{"nd_ns_gw_vlan", "NS in VLAN 100: the NA keeps the tag",
		in6_ns_gw_vlan, P0, TX(P0), .check = check6_na},
	{"nd_ns_unicast", "unicast NS (reachability confirmation): answered",
		in6_ns_unicast, P0, TX(P0), .check = check6_na},
	{"nd_ns_dad", "NS from :: (duplicate address detection): NA to all nodes",
		in6_ns_dad, P0, TX(P0), .check = check6_na_dad},
	{"nd_ns_other", "NS for an address that is not ours: dropped",
		in6_ns_other, P0, DROP(ND_NOT_OURS)},
	{"nd_ns_hops64", "NS with hop limit 64 (not from the link): invalid",
		in6_ns_hops64, P0, DROP(ND_INVALID)},
	{"nd_na", "NA to the gateway: to the control core (neighbour table)",
		in6_na_to_gw, P1, CTL(NG_CTL_ND), .check = check6_nd_up},
	/* IPv6: local */
	{"echo6_gw", "ICMPv6 echo to the gateway: echo reply, hop limit 64",
		in6_echo_gw, P0, TX(P0), .check = check6_echo_reply},
	{"echo6_gw_vlan", "ICMPv6 echo in VLAN 42: the reply keeps the tag",
		in6_echo_gw_vlan, P0, TX(P0), .check = check6_echo_reply},
	{"echo6_other_port_addr", "ICMPv6 echo to port 1's address arriving on port 0",
		in6_echo_other_port, P0, TX(P0), .check = check6_echo_reply},
	{"echo6_gw_fwd_off", "ICMPv6 echo to the gateway with forwarding disabled: answered",
		in6_echo_gw, P0, TX(P0), .check = check6_echo_reply, .forwarding_off = true},
	{"echo6_mcast", "ICMPv6 echo to all nodes: not answered",
		in6_echo_mcast, P0, DROP(ICMP_UNHANDLED)},
	{"tcp6_syn_gw", "TCP SYN to the gateway's IPv6 address: no listener, RST+ACK",
		in6_tcp_syn_gw, P0, .tx = P0, .drop = NG_DROP_LOCAL_PROTO, .check = check6_rst},
	{"tcp6_rst_gw", "TCP RST to the gateway: no answer to a RST",
		in6_tcp_rst_gw, P0, DROP(LOCAL_PROTO)},
	{"udp6_gw", "UDP to port 1's IPv6 address: ICMPv6 port unreachable from it",
		in6_udp_gw, P0, .tx = P0, .drop = NG_DROP_LOCAL_PROTO,
		.check = check6_port_unreachable},
	{"udp6_no_cksum_gw", "UDP over IPv6 without a checksum: dropped",
		in6_udp_no_cksum_gw, P0, DROP(UDP6_NO_CKSUM)},
	{"frag6_gw", "IPv6 fragment to the gateway: dropped",
		in6_frag_gw, P0, DROP(IP6_LOCAL_FRAG)},
	/* IPv6: forwarding */
	{"routed6_host", "IPv6 to a host on port 1 with a static neighbour: forwarded",
		in6_routed_host, P0, TX(P1), .check = check6_to_host},
	{"routed6_host_vlan", "IPv6 tagged on ingress: forwarded untagged",
		in6_routed_host_vlan, P0, TX(P1), .check = check6_to_host},
	{"routed6_gateway", "IPv6 to 2001:db8:99::/48: forwarded to the router's MAC",
		in6_routed_gateway, P0, TX(P1), .check = check6_to_router},
	{"routed6_mtu_exact", "IPv6 packet of 1500 bytes = egress MTU: forwarded",
		in6_routed_mtu_exact, P0, TX(P1), .check = check6_to_host},
	{"routed6_unresolved", "IPv6 next hop without a neighbour entry: to the control core",
		in6_routed_unresolved, P0, CTL(NG_CTL_RESOLVE), .check = check6_resolve},
	{"hop1", "hop limit 1: ICMPv6 time exceeded back out the ingress port",
		in6_hop1, P0, .tx = P0, .drop = NG_DROP_TTL_EXPIRED, .check = check6_time_exceeded},
	{"hop0", "hop limit 0: ICMPv6 time exceeded",
		in6_hop0, P0, .tx = P0, .drop = NG_DROP_TTL_EXPIRED, .check = check6_time_exceeded},
	{"hop1_icmp6_error", "hop limit 1 on an ICMPv6 error: no error about an error",
		in6_hop1_icmp_error, P0, DROP(TTL_EXPIRED)},
	{"too_big6", "IPv6 packet of 1501 bytes > egress MTU: ICMPv6 packet too big, MTU 1500",
		in6_too_big, P0, .tx = P0, .drop = NG_DROP_MTU, .check = check6_too_big},
	{"no_route6", "IPv6 destination without a route: dropped",
		in6_no_route, P0, DROP(NO_ROUTE)},
	{"fwd_disabled6", "IPv6 transit with forwarding disabled: dropped",
		in6_routed_host, P0, DROP(FWD_DISABLED), .forwarding_off = true},
	/* IPv6: parse */
	{"rs6", "router solicitation to all routers: not nodegw's",
		in6_rs, P0, DROP(IPV6)},
	{"link_local6", "to a link-local address: never forwarded",
		in6_link_local, P0, DROP(IPV6)},
	{"src_mcast6", "from a multicast address: martian",
		in6_src_mcast, P0, DROP(IP_SRC)},
	{"src_unspec6", "from :: to a host: martian",
		in6_src_unspec, P0, DROP(IP_SRC)},
	{"hbh_late6", "hop-by-hop options after destination options: malformed chain",
		in6_hbh_late, P0, DROP(IP6_EXT)},
	{"not_for_us6", "IPv6 to another host's MAC: dropped",
		in6_other_mac, P0, DROP(NOT_FOR_US)},
	{"truncated6", "IPv6 frame shorter than its payload length: dropped",
		in6_truncated, P0, DROP(TRUNCATED)},
	/* IPv6 with a kernel twin on p0 */
	{"twin6_tcp_syn_gw", "twin: IPv6 TCP SYN to the gateway: to the kernel, no RST",
		in6_tcp_syn_gw, P0, PUNT},
	{"twin6_udp_gw", "twin: IPv6 UDP to a gateway address: to the kernel",
		in6_udp_gw, P0, PUNT},
	{"twin6_ns_gw", "twin: NS for the gateway: answered, and a copy to the kernel",
		in6_ns_gw, P0, TX(P0), .check = check6_na, .twin = true, .punt = 1},
	{"twin6_ns_other", "twin: NS for an address nodegw does not own: the kernel's",
		in6_ns_other, P0, PUNT},
	{"twin6_rs", "twin: router solicitation: to the kernel",
		in6_rs, P0, PUNT},
	{"twin6_link_local", "twin: to a link-local address: to the kernel",
		in6_link_local, P0, PUNT},
	{"twin6_no_route", "twin: IPv6 to an address without a route: to the kernel",
		in6_no_route, P0, PUNT},
	{"twin6_echo_gw", "twin: ICMPv6 echo to the gateway: nodegw answers",
		in6_echo_gw, P0, TX(P0), .check = check6_echo_reply, .twin = true},
	{"twin6_routed_host", "twin: IPv6 transit is forwarded, not punted",
		in6_routed_host, P0, TX(P1), .check = check6_to_host, .twin = true},
	{"twin6_hop1", "twin: hop limit 1 in transit: time exceeded, as without a twin",
		in6_hop1, P0, .tx = P0, .drop = NG_DROP_TTL_EXPIRED, .check = check6_time_exceeded,
		.twin = true},
	{"twin_tcp_short", "twin: TCP shorter than its header: dropped, not punted",
		in_tcp_short_gw, P0, DROP(L4_HEADER), .twin = true},
	{"twin_icmp_short", "twin: malformed ICMP to the gateway: dropped",
		in_icmp_short_gw, P0, DROP(ICMP_MALFORMED), .twin = true},
	{"twin_ttl1", "twin: TTL 1 in transit: time exceeded, as without a twin",
		in_ttl1, P0, .tx = P0, .drop = NG_DROP_TTL_EXPIRED, .check = check_time_exceeded,
		.twin = true},
};

#define N_FIXTURES RTE_DIM(fixtures)

/* ---- set-up ---- */

/* The route control API, or the test fails with its sentence. */
static void
api_ok(int rc, const char *err)
{
	if (rc != 0)
		fail_msg("route API: %d (%s)", rc, err);
}

static void
neighbour(const char *addr, const struct rte_ether_addr *mac)
{
	char err[NG_ERRBUF] = "";
	struct ng_ip a;

	assert_int_equal(ng_ip_parse(addr, &a), 0);
	api_ok(ng_route_neigh_add(&gw.rt, &a, mac, "p1", err, sizeof(err)), err);
}

static int
group_setup(void **state)
{
	static const struct ng_test_gw_opts o = {
		.name = "fixtures", .n_ports = NPORTS,
		.addrs = {"198.18.0.1/24,2001:db8::1/64", "198.18.1.1/24,2001:db8:1::1/64"},
	};
	char err[NG_ERRBUF] = "";
	struct ng_prefix net;
	struct ng_ip via;

	(void)state;
	if (ng_test_gw_up(&gw, &o) != 0)
		return -1;
	w = gw.dp->workers[0];
	if (ng_prefix_parse("198.19.0.0/16", &net) != 0 || ng_ip_parse("198.18.1.254", &via) != 0 ||
			ng_route_add(&gw.rt, &net, &via, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "route: %s\n", err);
		return -1;
	}
	neighbour("198.18.1.2", &host_mac);
	neighbour("198.18.1.254", &router_mac);
	return fixtures6_setup();
}

static int
group_teardown(void **state)
{
	(void)state;
	return ng_test_gw_down(&gw);
}

/* ---- running fixtures ---- */

/* A clean worker: no output left by a failed fixture, counters at zero. */
static void
reset_worker(void)
{
	ng_test_gw_reset(&gw);
	gw.dp->forwarding = true;
}

static void
run_fixture(void **state)
{
	const struct fixture *fx = *state;
	struct rte_mbuf *out = NULL;
	unsigned int in_use;
	struct tb_frame in;

	if (getenv("NG_TEST_VERBOSE") != NULL)
		print_message("%s: %s\n", fx->name, fx->desc);
	if (fx->known_bug != NULL && getenv("NG_TEST_SHOW_BUGS") == NULL) {
		print_message("%s: skipped, known bug: %s\n", fx->name, fx->known_bug);
		skip();
	}
	fx->build(&in);
	in.port = fx->in;
	reset_worker();
	in_use = ng_test_gw_in_use(&gw);
	gw.dp->forwarding = !fx->forwarding_off;
	if (fx->twin)
		ng_test_gw_twin(&gw, P0, 1, UINT64_C(1) << 40); /* no limit to speak of */
	ng_test_gw_rx(&gw, 0, &in);
	ng_test_gw_twin(&gw, P0, 0, 0);
	gw.dp->forwarding = true;

	/* Exactly the verdict: one drop on the ingress port, one frame, one packet up. */
	ng_test_gw_expect(&gw, fx->name, 0, fx->in, (struct ng_test_verdict){.tx = fx->tx,
			.drop = fx->drop, .ctl = fx->ctl, .redirect = -1, .punt = fx->punt});
	if (fx->tx >= 0)
		out = ng_test_gw_sent(&gw, 0, (uint8_t)fx->tx);
	if (fx->ctl != 0)
		out = ng_test_gw_to_ctl(&gw);
	if (fx->check != NULL) {
		assert_non_null(out);
		fx->check(&in, out);
	}
	/* The kernel twin gets the frame as it came (ARP: a copy, taken before the answer). */
	assert_int_equal(w->stats.port[fx->in].punted, fx->punt);
	if (fx->punt != 0) {
		struct tb_frame k;

		assert_int_equal(w->stats.stage[NG_STAGE_PUNT].pkts, 1);
		ng_test_gw_take_punted(&gw, 0, &k);
		assert_int_equal(k.port, fx->in);
		assert_int_equal(k.len, in.len);
		assert_memory_equal(k.b, in.b, in.len);
	}
	ng_test_gw_release(&gw);
	/* Nothing leaked, nothing freed twice. */
	assert_int_equal(ng_test_gw_in_use(&gw), in_use);
}

/*
 * Every fixture that runs with forwarding on, in one burst: the verdicts add
 * up (this runs the stages' loops over mixed bursts, prefetches included).
 */
static void
all_fixtures_one_burst(void **state)
{
	struct rte_mbuf *pkts[N_FIXTURES];
	uint64_t want_drop[NPORTS][NG_DROP_MAX] = {{0}};
	unsigned int want_tx[NPORTS] = {0}, want_ctl = 0, n = 0, in_use;
	struct tb_frame in;

	(void)state;
	reset_worker();
	in_use = ng_test_gw_in_use(&gw);
	for (unsigned int i = 0; i < N_FIXTURES; i++) {
		const struct fixture *fx = &fixtures[i];

		if (fx->forwarding_off || fx->known_bug != NULL || fx->twin)
			continue;
		fx->build(&in);
		pkts[n++] = tb_mbuf(gw.pool, &in, gw.port_id[fx->in]);
		if (fx->tx >= 0)
			want_tx[fx->tx]++;
		if (fx->drop != NG_DROP_NONE)
			want_drop[fx->in][fx->drop]++;
		if (fx->ctl != 0)
			want_ctl++;
	}
	ng_worker_process(w, pkts, (uint16_t)n);
	for (unsigned int p = 0; p < NPORTS; p++) {
		assert_int_equal(w->tx[p].n, want_tx[p]);
		for (unsigned int r = 0; r < NG_DROP_MAX; r++)
			if (w->stats.port[p].drop[r] != want_drop[p][r])
				fail_msg("p%u drop %s: %" PRIu64 ", want %" PRIu64, p,
						ng_drop_id((enum ng_drop_reason)r),
						w->stats.port[p].drop[r], want_drop[p][r]);
	}
	assert_int_equal(rte_ring_count(gw.dp->ctl_ring), want_ctl);
	assert_int_equal(w->stats.stage[NG_STAGE_PARSE].pkts, n);
	ng_test_gw_release(&gw);
	assert_int_equal(ng_test_gw_in_use(&gw), in_use);
}

/* n copies of a frame to the gateway's TCP port (no NodePort) in one burst. */
static void
punt_burst(unsigned int n)
{
	struct rte_mbuf *pkts[64];
	struct tb_frame in;

	assert_true(n <= RTE_DIM(pkts));
	in_tcp_syn_gw(&in);
	for (unsigned int i = 0; i < n; i++)
		pkts[i] = tb_mbuf(gw.pool, &in, gw.port_id[P0]);
	ng_worker_process(w, pkts, (uint16_t)n);
}

/*
 * The punt stage's token bucket: a burst beyond its depth is cut and counted
 * (PUNT_RATELIMIT); credit comes back with time, up to the depth again.
 */
static void
punt_rate_limit(void **state)
{
	uint64_t cost = rte_get_tsc_hz() / 1000; /* 1000 frames/s, burst 4 */
	unsigned int in_use;

	(void)state;
	reset_worker();
	in_use = ng_test_gw_in_use(&gw);
	ng_test_gw_twin(&gw, P0, cost, 4 * cost);
	punt_burst(10);
	assert_int_equal(rte_ring_count(w->punt), 4);
	assert_int_equal(w->stats.port[P0].punted, 4);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_PUNT_RATELIMIT], 6);
	assert_int_equal(w->stats.stage[NG_STAGE_PUNT].pkts, 10);
	assert_int_equal(w->tx[P0].n, 0); /* no RST either */
	/* 2 ms later (more on a busy machine): two frames' worth of credit, at most the depth */
	rte_delay_us_block(2000);
	punt_burst(10);
	assert_in_range(rte_ring_count(w->punt), 4 + 2, 4 + 4);
	/* 20 ms later: the bucket is full again, but no fuller than its depth */
	rte_delay_us_block(20000);
	ng_test_gw_release(&gw);
	punt_burst(10);
	assert_int_equal(rte_ring_count(w->punt), 4);
	reset_worker();
	assert_int_equal(ng_test_gw_in_use(&gw), in_use);
}

/* A full punt ring (the control core behind): frames are dropped and counted. */
static void
punt_ring_full(void **state)
{
	unsigned int in_use, queued;

	(void)state;
	reset_worker();
	in_use = ng_test_gw_in_use(&gw);
	ng_test_gw_twin(&gw, P0, 1, UINT64_C(1) << 40);
	queued = ng_test_gw_punt_fill(&gw, 0);
	punt_burst(3);
	assert_int_equal(rte_ring_count(w->punt), queued);
	assert_int_equal(w->stats.port[P0].punted, 0);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_PUNT_FULL], 3);
	reset_worker();
	assert_int_equal(ng_test_gw_in_use(&gw), in_use);
}

/* Forward one packet to HOST; return the destination MAC it left with, or
 * say it went to the control core (*to_ctl). */
static void
send_to_host(struct rte_ether_addr *dmac, bool *to_ctl)
{
	struct tb_frame in;

	in_routed_host(&in);
	reset_worker();
	ng_test_gw_rx(&gw, 0, &in);
	*to_ctl = rte_ring_count(gw.dp->ctl_ring) == 1;
	if (w->tx[1].n == 1)
		*dmac = rte_pktmbuf_mtod(w->tx[1].pkts[0], struct rte_ether_hdr *)->dst_addr;
	else
		memset(dmac, 0, sizeof(*dmac));
	ng_test_gw_release(&gw);
}

/* A packet to HOST leaves on port 1 with destination MAC want (NULL: it goes
 * to the control core instead). */
static void
expect_host_mac(const struct rte_ether_addr *want)
{
	struct rte_ether_addr got;
	bool ctl;

	send_to_host(&got, &ctl);
	assert_int_equal(ctl, want == NULL);
	if (want != NULL)
		assert_true(rte_is_same_ether_addr(&got, want));
	else
		assert_true(rte_is_zero_ether_addr(&got));
}

/*
 * The worker's neighbour cache follows the table: a new MAC of the same entry
 * at once; a deleted entry sends packets to the control core (never to the
 * old MAC); a re-added one is used with its new MAC. Each state is checked
 * twice: the second packet finds the neighbour in the cache.
 */
static void
neighbour_changes(void **state)
{
	static const struct rte_ether_addr mac2 = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x22}};
	static const struct rte_ether_addr mac3 = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x33}};
	const struct rte_ether_addr *steps[] = {&host_mac, &mac2, NULL, &mac3, &host_mac};
	char err[NG_ERRBUF] = "";
	struct ng_ip a;

	(void)state;
	assert_int_equal(ng_ip_parse("198.18.1.2", &a), 0);
	for (size_t i = 0; i < RTE_DIM(steps); i++) {
		if (steps[i] == NULL)
			api_ok(ng_route_neigh_del(&gw.rt, &a, "p1", err, sizeof(err)), err);
		else if (i > 0)
			neighbour("198.18.1.2", steps[i]);
		expect_host_mac(steps[i]);
		expect_host_mac(steps[i]);
	}
}

/* One frame of a mixed burst and where it must go (tx_mac: its MAC on p1). */
struct burst_step {
	void (*build)(struct tb_frame *f);
	uint32_t dst;                         /* the IPv4 destination, as sent */
	const struct rte_ether_addr *tx_mac;  /* NULL: not forwarded on p1 */
};

/*
 * Run steps as one burst: the frames forwarded on p1 leave in arrival order,
 * each to its own next hop's MAC; want_p0 frames leave on p0 and the rest
 * are dropped for NO_ROUTE.
 */
static void
run_mixed_burst(const struct burst_step *steps, unsigned int n, unsigned int want_p0)
{
	struct rte_mbuf *pkts[16];
	unsigned int k = 0, dropped = 0;
	struct tb_frame in;

	assert_true(n <= RTE_DIM(pkts));
	for (unsigned int i = 0; i < n; i++) {
		steps[i].build(&in);
		pkts[i] = tb_mbuf(gw.pool, &in, gw.port_id[P0]);
		dropped += steps[i].tx_mac == NULL && steps[i].dst == UNROUTED;
	}
	ng_worker_process(w, pkts, (uint16_t)n);
	assert_int_equal(w->tx[P0].n, want_p0);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_NO_ROUTE], dropped);
	for (unsigned int i = 0; i < n; i++) {
		const struct rte_ether_hdr *eth;
		const struct rte_ipv4_hdr *ip;

		if (steps[i].tx_mac == NULL)
			continue;
		assert_true(k < w->tx[P1].n);
		eth = rte_pktmbuf_mtod(w->tx[P1].pkts[k], const struct rte_ether_hdr *);
		ip = (const struct rte_ipv4_hdr *)(eth + 1);
		if (ip->dst_addr != steps[i].dst || !rte_is_same_ether_addr(&eth->dst_addr,
				steps[i].tx_mac))
			fail_msg("frame %u of the burst: p1's frame %u went to %08x, want %08x",
					i, k, rte_be_to_cpu_32(ip->dst_addr),
					rte_be_to_cpu_32(steps[i].dst));
		k++;
	}
	assert_int_equal(w->tx[P1].n, k);
}

/*
 * Mixed bursts keep each packet's own route and neighbour and the arrival
 * order: parse reuses the route of the packet before when the destination is
 * the same (so one that changes must be looked up again), and ip4-forward
 * sends a neighbour-cache hit at once only when no packet before it waits for
 * the neighbour table (HOST's entry is re-added: the cache misses it, while
 * the router's is cached by the first burst). Once with ip4-forward filling
 * the TX buffers itself, once by the output edge (an echo reply before it).
 */
static void
mixed_burst_order(void **state)
{
	const struct burst_step warm[] = {{in_routed_gateway, REMOTE, &router_mac}};
	const struct burst_step direct[] = {
		{in_routed_host, HOST, &host_mac}, {in_routed_gateway, REMOTE, &router_mac},
		{in_routed_gateway, REMOTE, &router_mac}, {in_routed_host, HOST, &host_mac},
		{in_no_route, UNROUTED, NULL}, {in_routed_gateway, REMOTE, &router_mac},
		{in_routed_host, HOST, &host_mac},
	};
	const struct burst_step by_edge[] = {
		{in_echo_gw, GW0, NULL}, {in_routed_host, HOST, &host_mac},
		{in_routed_gateway, REMOTE, &router_mac}, {in_no_route, UNROUTED, NULL},
		{in_routed_host, HOST, &host_mac},
	};
	const struct { const struct burst_step *s; unsigned int n, p0; } runs[] = {
		{direct, RTE_DIM(direct), 0}, {by_edge, RTE_DIM(by_edge), 1},
	};
	char err[NG_ERRBUF] = "";
	unsigned int in_use;
	struct ng_ip a;

	(void)state;
	assert_int_equal(ng_ip_parse("198.18.1.2", &a), 0);
	for (size_t r = 0; r < RTE_DIM(runs); r++) {
		reset_worker();
		in_use = ng_test_gw_in_use(&gw);
		api_ok(ng_route_neigh_del(&gw.rt, &a, "p1", err, sizeof(err)), err);
		neighbour("198.18.1.2", &host_mac);
		run_mixed_burst(warm, RTE_DIM(warm), 0);
		reset_worker();
		run_mixed_burst(runs[r].s, runs[r].n, runs[r].p0);
		reset_worker();
		assert_int_equal(ng_test_gw_in_use(&gw), in_use);
	}
}

/*
 * The TX flush counts what the port took: frames and bytes (summed before the
 * PMD owns the frames: net_null frees them inside rte_eth_tx_burst()).
 */
static void
flush_counts(void **state)
{
	void (*const build[])(struct tb_frame *f) = {in_routed_host, in_routed_gateway,
			in_mtu_exact};
	struct rte_mbuf *pkts[RTE_DIM(build)];
	uint64_t bytes = 0;
	unsigned int in_use;
	struct tb_frame in;

	(void)state;
	reset_worker();
	in_use = ng_test_gw_in_use(&gw);
	for (unsigned int i = 0; i < RTE_DIM(build); i++) {
		build[i](&in);
		pkts[i] = tb_mbuf(gw.pool, &in, gw.port_id[P0]);
		bytes += in.len;
	}
	ng_worker_process(w, pkts, RTE_DIM(pkts));
	assert_int_equal(w->tx[P1].n, RTE_DIM(pkts));
	ng_worker_flush(w);
	assert_int_equal(w->tx[P1].n, 0);
	assert_int_equal(w->stats.port[P1].tx, RTE_DIM(pkts));
	assert_int_equal(w->stats.port[P1].tx_bytes, bytes);
	assert_int_equal(w->stats.port[P1].drop[NG_DROP_TX_FULL], 0);
	assert_int_equal(w->stats.stage[NG_STAGE_TX].pkts, RTE_DIM(pkts));
	assert_int_equal(ng_test_gw_in_use(&gw), in_use);
}

int
main(void)
{
	/* the tests after the fixtures, in order */
	static const struct CMUnitTest more[] = {
		cmocka_unit_test(all_fixtures_one_burst),
		cmocka_unit_test(neighbour_changes),
		cmocka_unit_test(punt_rate_limit),
		cmocka_unit_test(punt_ring_full),
		cmocka_unit_test(mixed_burst_order),
		cmocka_unit_test(flush_counts),
	};
	struct CMUnitTest tests[N_FIXTURES + RTE_DIM(more)];

	for (unsigned int i = 0; i < N_FIXTURES; i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = fixtures[i].name;
		tests[i].test_func = run_fixture;
		tests[i].initial_state = (void *)(uintptr_t)&fixtures[i];
	}
	memcpy(&tests[N_FIXTURES], more, sizeof(more));
	return _cmocka_run_group_tests("datapath fixtures", tests, RTE_DIM(tests), group_setup,
			group_teardown);
}
