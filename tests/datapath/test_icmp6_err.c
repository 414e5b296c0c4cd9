/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMPv6 errors of a connection (the icmp-err stage's IPv6 half,
 * icmp6_err_dp.c) and the packet too big the gateway sends about a NATed
 * packet (reply6_dp.c), through the worker's graph on tests/lib's gateway:
 *   p0  2001:db8::1/64    client 2001:db8::2, router 2001:db8::fe
 *   p1  2001:db8:1::1/64  backend 2001:db8:1::10, router 2001:db8:1::fe
 *   web6   tcp [2001:db8:100::10]:80 -> :8080, FullNAT
 *   dweb6  tcp [2001:db8:100::14]:80 -> :8080, DNAT
 *   dns6   udp [2001:db8:100::53]:53 -> :53, DNAT
 *   dsr6   tcp [2001:db8:100::30]:80 -> :80, DSR (IPv6-in-IPv6 from 2001:db8:1::1)
 *
 * The quotes are real: a packet goes through the gateway and the error
 * quotes the frame the gateway sent. The translated quote must equal, byte
 * for byte, the packet the receiving end sent (hop limit as the gateway left
 * it), whose checksums the frame builder computed from scratch; the ICMPv6
 * checksum is computed again here over the new pseudo-header. So every
 * incremental update is checked against a full recomputation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "ng_hash.h"
#include "ng_test_frame6.h"
#include "ng_test_gw.h"
#include "port.h"
#include "svc.h"
#include "worker.h"

enum { P0, P1 };
#define NWORKERS 2
#define LPORT_MIN 40000
#define LPORT_MAX 40999

#define UNREACH 1
#define TOO_BIG 2
#define TIME 3
#define PARAM 4

static struct ng_test_gw gw;
static char err[NG_ERRBUF];

/* The hosts: each one's address (filled by group_setup()), its port and MAC. */
static uint8_t GW0[16], GW1[16], CLIENT[16], ROUTER0[16], ROUTER1[16], BE[16];
static uint8_t VIP_WEB[16], VIP_DWEB[16], VIP_DNS[16], VIP_DSR[16];
static const struct rte_ether_addr client_mac = {{0x02, 0, 0, 0x06, 0, 0x02}};
static const struct rte_ether_addr be_mac = {{0x02, 0, 0, 0x06, 1, 0x10}};
static const struct rte_ether_addr r0_mac = {{0x02, 0, 0, 0x06, 0, 0xfe}};
static const struct rte_ether_addr r1_mac = {{0x02, 0, 0, 0x06, 1, 0xfe}};
static const struct {
	const char *s;
	uint8_t *a;
	const struct rte_ether_addr *mac; /* a neighbour's (on port p0 or p1) */
	const char *port;
} hosts[] = {
	{"2001:db8::1", GW0, NULL, NULL}, {"2001:db8:1::1", GW1, NULL, NULL},
	{"2001:db8:100::10", VIP_WEB, NULL, NULL}, {"2001:db8:100::14", VIP_DWEB, NULL, NULL},
	{"2001:db8:100::53", VIP_DNS, NULL, NULL}, {"2001:db8:100::30", VIP_DSR, NULL, NULL},
	{"2001:db8::2", CLIENT, &client_mac, "p0"}, {"2001:db8::fe", ROUTER0, &r0_mac, "p0"},
	{"2001:db8:1::10", BE, &be_mac, "p1"}, {"2001:db8:1::fe", ROUTER1, &r1_mac, "p1"},
};

/* The owner of CLIENT's flow from port cport (host order): by its client end. */
static unsigned int
owner_of(uint16_t cport)
{
	return (unsigned int)(ng_hash_client6(CLIENT, rte_cpu_to_be_16(cport)) % NWORKERS);
}

/* The first client port from `from` whose flows worker wid owns. */
static uint16_t
cport_on(unsigned int wid, uint16_t from)
{
	while (owner_of(from) != wid)
		from++;
	return from;
}

/* A one-backend service (BE:bport) on vip:port; 0 or the control API's error. */
static int
service(const char *name, uint8_t proto, enum ng_fwd_mode mode, const char *vip,
		uint16_t port, uint16_t bport)
{
	struct ng_svc_spec s = {.proto = proto, .scheduler = NG_SCHED_MAGLEV, .mode = mode};
	struct ng_frontend fe = {.addr = tb_addr(vip), .port = port};
	struct ng_ip b = tb_addr("2001:db8:1::10");
	int rc;

	snprintf(s.name, sizeof(s.name), "%s", name);
	rc = ng_svc_add(&s, err, sizeof(err));
	if (rc == 0)
		rc = ng_svc_frontend_add(name, &fe, err, sizeof(err));
	return rc != 0 ? rc : ng_svc_backend_set(name, &b, bport, 1, err, sizeof(err));
}

static int
group_setup(void **state)
{
	static const struct ng_test_gw_opts o = {
		.name = "icmp6err", .n_ports = 2,
		.addrs = {"198.18.0.1/24,2001:db8::1/64", "198.18.1.1/24,2001:db8:1::1/64"},
		.n_workers = NWORKERS, .mem_mb = 512, .ct_entries = 4096, .services = true,
		.lport_min = LPORT_MIN, .lport_max = LPORT_MAX,
	};

	(void)state;
	if (ng_test_gw_up(&gw, &o) != 0)
		return -1;
	for (unsigned int i = 0; i < RTE_DIM(hosts); i++) {
		struct ng_ip a = tb_addr(hosts[i].s);

		memcpy(hosts[i].a, a.v6, 16);
		if (hosts[i].mac != NULL && ng_route_neigh_add(&gw.rt, &a, hosts[i].mac,
				hosts[i].port, err, sizeof(err)) != 0) {
			fprintf(stderr, "neighbour %s: %s\n", hosts[i].s, err);
			return -1;
		}
	}
	if (service("web6", IPPROTO_TCP, NG_FWD_FULLNAT, "2001:db8:100::10", 80, 8080) != 0 ||
			service("dweb6", IPPROTO_TCP, NG_FWD_DNAT, "2001:db8:100::14", 80, 8080) != 0 ||
			service("dns6", IPPROTO_UDP, NG_FWD_DNAT, "2001:db8:100::53", 53, 53) != 0 ||
			service("dsr6", IPPROTO_TCP, NG_FWD_DSR, "2001:db8:100::30", 80, 80) != 0 ||
			ng_svc_commit(err, sizeof(err)) != 0) {
		fprintf(stderr, "services: %s\n", err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return ng_test_gw_down(&gw);
}

#define step(what, wid, f, v, out) ng_test_gw_step(&gw, what, wid, f, v, out)

static const struct rte_ether_addr *
mac_of_port(uint8_t port)
{
	return port == P0 ? &client_mac : &be_mac;
}

static void
tcp_in(struct tb_frame *f, uint8_t port, const uint8_t src[16], uint16_t sport,
		const uint8_t dst[16], uint16_t dport, uint8_t flags, uint16_t payload)
{
	tb_eth(f, &gw.port_mac[port], mac_of_port(port), TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_tcp6(f, src, sport, dst, dport, flags, 1000, flags & RTE_TCP_ACK_FLAG ? 5000 : 0,
			payload);
	f->port = port;
}

/*
 * f: an ICMPv6 error (type, code, word) from src to dst arriving on port,
 * quoting the first qlen bytes of about's IPv6 packet; checksum right.
 */
static void
err6_frame(struct tb_frame *f, uint8_t port, const uint8_t src[16], const uint8_t dst[16],
		uint8_t type, uint8_t code, uint32_t word, const struct tb_frame *about,
		uint16_t qlen)
{
	tb_eth(f, &gw.port_mac[port], port == P0 ? &r0_mac : &r1_mac, TB_NO_VLAN,
			RTE_ETHER_TYPE_IPV6);
	tb_icmp6(f, src, dst, type, code, word, qlen);
	memcpy(&f->b[f->l2 + 40 + 8], &about->b[about->l2], qlen);
	tb_l4_cksum6(f);
	f->port = port;
}

/* The ICMPv6 message of f (no extension headers). */
static uint8_t *
icmp_of(struct tb_frame *f)
{
	return (uint8_t *)(tb_ip6_hdr(f) + 1);
}

/*
 * out is an error (type, code, word) from src to dst, sent on port to
 * dmac with hop limit hops, quoting qlen bytes equal to want's IPv6 packet
 * (hop limit whops); its ICMPv6 checksum computed again from scratch.
 */
static void
check_err6(struct tb_frame *out, uint8_t port, const struct rte_ether_addr *dmac,
		const uint8_t src[16], const uint8_t dst[16], uint8_t hops, uint8_t type,
		uint8_t code, uint32_t word, struct tb_frame *want, uint8_t whops, uint16_t qlen)
{
	const struct rte_ipv6_hdr *oh = tb_ip6_hdr(out);
	const uint8_t *ic = icmp_of(out);
	uint32_t w;

	assert_int_equal(out->port, port);
	assert_memory_equal(out->b, dmac, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(out->b + RTE_ETHER_ADDR_LEN, &gw.port_mac[port], RTE_ETHER_ADDR_LEN);
	assert_int_equal(oh->proto, IPPROTO_ICMPV6);
	assert_int_equal(rte_be_to_cpu_16(oh->payload_len), 8 + qlen);
	assert_int_equal(out->len, out->l2 + 40 + 8 + qlen);
	tb_assert_addr6(oh->src_addr, src);
	tb_assert_addr6(oh->dst_addr, dst);
	assert_int_equal(oh->hop_limits, hops);
	assert_int_equal(ic[0], type);
	assert_int_equal(ic[1], code);
	memcpy(&w, ic + 4, 4);
	assert_int_equal(rte_be_to_cpu_32(w), word);
	tb_check_l4_cksum6(out);
	tb_set_hops(want, whops);
	assert_memory_equal(ic + 8, &want->b[want->l2], qlen);
}

static uint32_t
conns(unsigned int wid)
{
	return gw.dp->workers[wid]->ct->n_used;
}

static const struct {
	uint8_t type, code;
	uint32_t word;
} err_types[] = {
	{TOO_BIG, 0, 1280},  /* packet too big */
	{UNREACH, 3, 0},     /* address unreachable */
	{UNREACH, 4, 0},     /* port unreachable */
	{TIME, 0, 0},        /* hop limit exceeded in transit */
	{PARAM, 1, 40},      /* unrecognized next header, pointer into the quote */
};

/* A FullNAT connection: sets *syn (the client's), *syn_out (as sent to the backend),
 * *sa (the backend's SYN-ACK), *sa_out (as sent to the client); returns its owner. */
static unsigned int
fullnat_conn(uint16_t cport, struct tb_frame *syn, struct tb_frame *syn_out,
		struct tb_frame *sa, struct tb_frame *sa_out, uint16_t *lport)
{
	unsigned int wid = owner_of(cport);

	tcp_in(syn, P0, CLIENT, cport, VIP_WEB, 80, RTE_TCP_SYN_FLAG, 0);
	step("SYN to web6", wid, syn, NG_TV_TX(P1), syn_out);
	tb_assert_addr6(tb_ip6_hdr(syn_out)->src_addr, GW1);
	*lport = rte_be_to_cpu_16(((const struct rte_tcp_hdr *)(tb_ip6_hdr(syn_out) + 1))->src_port);
	tcp_in(sa, P1, BE, 8080, GW1, *lport, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 100);
	step("SYN-ACK with data", wid, sa, NG_TV_TX(P0), sa_out);
	return wid;
}

/*
 * FullNAT TCP: each error type from the client's side about the gateway's
 * reply (to the backend, from the FullNAT source, quoting the backend's
 * segment) and from the backend's side about the gateway's SYN (to the
 * client, from the VIP, quoting the client's SYN). Quotes of 8 bytes of TCP
 * (no checksum) and whole ones; on the other worker, to the owner first.
 */
static void
fullnat_types(void **state)
{
	struct tb_frame syn, syn_out, sa, sa_out, in, out;
	uint16_t lport, cport = cport_on(0, 51000);
	unsigned int wid;
	uint32_t n0;

	(void)state;
	ng_test_gw_reset(&gw);
	wid = fullnat_conn(cport, &syn, &syn_out, &sa, &sa_out, &lport);
	n0 = conns(wid);
	for (unsigned int t = 0; t < RTE_DIM(err_types); t++) {
		uint8_t ty = err_types[t].type, co = err_types[t].code;
		uint32_t wd = err_types[t].word;

		for (uint16_t q = 48; q <= 160; q = (uint16_t)(q == 48 ? 160 : 161)) {
			uint16_t qa = (uint16_t)RTE_MIN(q, sa_out.len - sa_out.l2);
			uint16_t qs = (uint16_t)RTE_MIN(q, syn_out.len - syn_out.l2);

			err6_frame(&in, P0, ROUTER0, VIP_WEB, ty, co, wd, &sa_out, qa);
			step("error about the reply, client side", wid, &in, NG_TV_TX(P1), &out);
			check_err6(&out, P1, &be_mac, GW1, BE, 63, ty, co, wd, &sa, 63, qa);
			err6_frame(&in, P1, BE, GW1, ty, co, wd, &syn_out, qs);
			step("error about the SYN, backend side", wid, &in, NG_TV_TX(P0), &out);
			check_err6(&out, P0, &client_mac, VIP_WEB, CLIENT, 63, ty, co, wd, &syn, 63,
					qs);
		}
	}
	err6_frame(&in, P1, ROUTER1, GW1, TOO_BIG, 0, 1280, &syn_out, 60);
	step("error on the non-owner", 1 - wid, &in, NG_TV_REDIRECT(wid), NULL);
	ng_test_gw_rx_redirected(&gw, 1 - wid, wid, P1);
	ng_test_gw_expect(&gw, "error handed to the owner", wid, P1, NG_TV_TX(P0));
	ng_test_gw_take(&gw, wid, P0, &out);
	check_err6(&out, P0, &client_mac, VIP_WEB, CLIENT, 63, TOO_BIG, 0, 1280, &syn, 63, 60);
	assert_int_equal(conns(wid), n0);
}

/*
 * DNAT: the client's address is kept. A client-side error goes to the
 * backend from the router that sent it; a backend-side error, addressed to
 * the client (transit), goes to the client from the VIP. UDP: the quoted
 * checksum patched.
 */
static void
dnat_udp(void **state)
{
	uint16_t cport = cport_on(1, 52000);
	unsigned int wid = owner_of(cport);
	struct tb_frame c2s, c2s_out, s2c, s2c_out, in, out;

	(void)state;
	ng_test_gw_reset(&gw);
	tcp_in(&c2s, P0, CLIENT, cport, VIP_DWEB, 80, RTE_TCP_SYN_FLAG, 0);
	step("SYN to dweb6", wid, &c2s, NG_TV_TX(P1), &c2s_out);
	tb_assert_addr6(tb_ip6_hdr(&c2s_out)->src_addr, CLIENT);
	tcp_in(&s2c, P1, BE, 8080, CLIENT, cport, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0);
	step("SYN-ACK", wid, &s2c, NG_TV_TX(P0), &s2c_out);

	err6_frame(&in, P0, ROUTER0, VIP_DWEB, TOO_BIG, 0, 1300, &s2c_out, 60);
	step("DNAT: error about the reply, client side", wid, &in, NG_TV_TX(P1), &out);
	check_err6(&out, P1, &be_mac, ROUTER0, BE, 63, TOO_BIG, 0, 1300, &s2c, 63, 60);
	err6_frame(&in, P1, ROUTER1, CLIENT, TIME, 0, 0, &c2s_out, 60);
	step("DNAT: error about the SYN, backend side, to the client", wid, &in, NG_TV_TX(P0),
			&out);
	check_err6(&out, P0, &client_mac, VIP_DWEB, CLIENT, 63, TIME, 0, 0, &c2s, 63, 60);

	tb_eth(&c2s, &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_udp6(&c2s, CLIENT, cport, VIP_DNS, 53, 40);
	c2s.port = P0;
	step("UDP to dns6", wid, &c2s, NG_TV_TX(P1), &c2s_out);
	err6_frame(&in, P1, BE, CLIENT, UNREACH, 4, 0, &c2s_out, 88);
	step("UDP: port unreachable from the backend", wid, &in, NG_TV_TX(P0), &out);
	check_err6(&out, P0, &client_mac, VIP_DNS, CLIENT, 63, UNREACH, 4, 0, &c2s, 63, 88);
}

/* Set in's quote byte at off (from the quoted IPv6 header) to v; checksum again. */
static void
poke_quote(struct tb_frame *in, uint16_t off, uint8_t v)
{
	icmp_of(in)[8 + off] = v;
	tb_l4_cksum6(in);
}

/*
 * Errors that name no connection or cannot: dropped and counted, creating
 * nothing, none answered; a forged error about a gateway port no frontend
 * takes is judged where it arrived, not redirected.
 */
static void
unrelated(void **state)
{
	uint16_t cport = cport_on(0, 53000), lport;
	struct tb_frame syn, syn_out, sa, sa_out, in, about;
	unsigned int wid;
	uint32_t n0;
	uint8_t *ic;

	(void)state;
	ng_test_gw_reset(&gw);
	wid = fullnat_conn(cport, &syn, &syn_out, &sa, &sa_out, &lport);
	n0 = conns(wid);

	tcp_in(&about, P0, VIP_WEB, 80, CLIENT, (uint16_t)(cport + 2), RTE_TCP_ACK_FLAG, 0);
	err6_frame(&in, P0, ROUTER0, VIP_WEB, TOO_BIG, 0, 1280, &about, 60);
	step("no connection, to the VIP", owner_of((uint16_t)(cport + 2)), &in,
			NG_TV_DROP(ICMP_ERR_UNRELATED), NULL);
	tb_eth(&about, &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_icmp6(&about, VIP_WEB, CLIENT, 129, 0, 0, 8);
	err6_frame(&in, P0, ROUTER0, VIP_WEB, TIME, 0, 0, &about, 56);
	step("an echo reply quoted", wid, &in, NG_TV_DROP(ICMP_ERR_UNRELATED), NULL);

	err6_frame(&in, P1, BE, GW1, UNREACH, 4, 0, &syn_out, 47);
	step("7 bytes of TCP", wid, &in, NG_TV_DROP(ICMP_ERR_TRUNCATED), NULL);
	err6_frame(&in, P1, BE, GW1, UNREACH, 4, 0, &syn_out, 39);
	step("39 bytes of IPv6", wid, &in, NG_TV_DROP(ICMP_ERR_TRUNCATED), NULL);

	err6_frame(&in, P1, BE, GW1, UNREACH, 4, 0, &syn_out, 60);
	ic = icmp_of(&in);
	ic[2] ^= 0x01;
	step("bad ICMPv6 checksum", wid, &in, NG_TV_DROP(ICMP_ERR_MALFORMED), NULL);
	err6_frame(&in, P1, BE, GW1, UNREACH, 4, 0, &syn_out, 60);
	poke_quote(&in, 0, 0x45);
	step("quoted IPv4 version", wid, &in, NG_TV_DROP(ICMP_ERR_MALFORMED), NULL);
	/* a quoted fragment header (next header 44, then 8 bytes): not of a connection */
	err6_frame(&in, P1, BE, GW1, UNREACH, 4, 0, &syn_out, 60);
	poke_quote(&in, 6, IPPROTO_FRAGMENT);
	step("quoting a fragment", wid, &in, NG_TV_DROP(ICMP_ERR_UNRELATED), NULL);
	assert_int_equal(conns(wid), n0);

	/* forged: about GW0:22 to a client port the other worker would own */
	tcp_in(&about, P0, GW0, 22, CLIENT, cport_on(1 - wid, 54000), RTE_TCP_ACK_FLAG, 0);
	err6_frame(&in, P0, CLIENT, GW0, UNREACH, 4, 0, &about, 60);
	step("forged error about GW0:22, not redirected", wid, &in,
			NG_TV_DROP(ICMP_ERR_UNRELATED), NULL);

	/* in transit with hop limit 1: no time exceeded about an ICMPv6 error */
	err6_frame(&in, P1, BE, CLIENT, UNREACH, 4, 0, &syn_out, 60);
	tb_set_hops(&in, 1);
	step("an error of the connection, hop limit 1: no error back", wid, &in,
			NG_TV_DROP(TTL_EXPIRED), NULL);
	assert_int_equal(conns(wid), n0);
}

/*
 * Over the egress MTU: the gateway's packet too big, translated for the
 * connection: a backend is told about its own segment, from the FullNAT
 * source; a client about its own, from the VIP.
 */
static void
too_big_reply(void **state)
{
	uint16_t cport = cport_on(1, 55000), lport;
	struct tb_frame syn, syn_out, sa, sa_out, in, out;
	unsigned int wid;

	(void)state;
	ng_test_gw_reset(&gw);
	wid = fullnat_conn(cport, &syn, &syn_out, &sa, &sa_out, &lport);
	ng_port_dp[gw.port_id[P0]].mtu = 1280;
	tcp_in(&in, P1, BE, 8080, GW1, lport, RTE_TCP_ACK_FLAG, 1300);
	step("1360 bytes from the backend to a 1280 link", wid, &in, NG_TV_REFUSE(P1, MTU), &out);
	tcp_in(&sa, P1, BE, 8080, GW1, lport, RTE_TCP_ACK_FLAG, 1300);
	check_err6(&out, P1, &be_mac, GW1, BE, 64, TOO_BIG, 0, 1280, &sa, 64, 1232);
	ng_port_dp[gw.port_id[P0]].mtu = 1500;

	ng_port_dp[gw.port_id[P1]].mtu = 1280;
	tcp_in(&in, P0, CLIENT, cport, VIP_WEB, 80, RTE_TCP_ACK_FLAG, 1300);
	step("1360 bytes from the client to a 1280 link", wid, &in, NG_TV_REFUSE(P0, MTU), &out);
	tcp_in(&syn, P0, CLIENT, cport, VIP_WEB, 80, RTE_TCP_ACK_FLAG, 1300);
	check_err6(&out, P0, &client_mac, VIP_WEB, CLIENT, 64, TOO_BIG, 0, 1280, &syn, 64,
			1232);
	ng_port_dp[gw.port_id[P1]].mtu = 1500;
}

/*
 * IPv6 DSR: a client-side error about the backend's reply (from the VIP)
 * goes to the backend unchanged, in IPv6-in-IPv6 like the flow's packets; a
 * router between gateway and backend quotes the tunnel (the outer header
 * the gateway added, then the client's SYN): the client gets the error
 * without the outer quoted header, from the VIP, packet too big's MTU less
 * 40 (at least 1280); a tunnel quote naming another backend is unrelated.
 */
static void
dsr(void **state)
{
	uint16_t cport = cport_on(0, 56000);
	unsigned int wid = owner_of(cport);
	struct tb_frame syn, syn_out, reply, in, out, inner;
	uint32_t n_conns;

	(void)state;
	ng_test_gw_reset(&gw);
	tcp_in(&syn, P0, CLIENT, cport, VIP_DSR, 80, RTE_TCP_SYN_FLAG, 0);
	step("SYN to dsr6", wid, &syn, NG_TV_TX(P1), &syn_out);
	n_conns = conns(wid);
	assert_int_equal(tb_ip6_hdr(&syn_out)->proto, IPPROTO_IPV6);
	tb_assert_addr6(tb_ip6_hdr(&syn_out)->dst_addr, BE);

	/* the backend's SYN-ACK went to the client from the VIP; a router there errs */
	tcp_in(&reply, P0, VIP_DSR, 80, CLIENT, cport, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 100);
	err6_frame(&in, P0, ROUTER0, VIP_DSR, TOO_BIG, 0, 1300, &reply, 100);
	step("DSR: error about the reply, client side", wid, &in, NG_TV_TX(P1), &out);
	assert_int_equal(tb_ip6_hdr(&out)->proto, IPPROTO_IPV6);
	tb_assert_addr6(tb_ip6_hdr(&out)->src_addr, GW1);
	tb_assert_addr6(tb_ip6_hdr(&out)->dst_addr, BE);
	assert_int_equal(out.len, in.len + 40);
	assert_memory_equal(&out.b[out.l2 + 40], &in.b[in.l2], in.len - in.l2);

	/* a router between gateway and backend: packet too big about the tunnel */
	err6_frame(&in, P1, ROUTER1, GW1, TOO_BIG, 0, 1400, &syn_out, 40 + 40 + 20);
	step("DSR: packet too big about the tunnel", wid, &in, NG_TV_TX(P0), &out);
	check_err6(&out, P0, &client_mac, VIP_DSR, CLIENT, 63, TOO_BIG, 0, 1360, &syn, 64,
			40 + 20);
	err6_frame(&in, P1, ROUTER1, GW1, TOO_BIG, 0, 1300, &syn_out, 40 + 40 + 20);
	step("DSR: 1300 less 40 is below IPv6's minimum", wid, &in, NG_TV_TX(P0), &out);
	check_err6(&out, P0, &client_mac, VIP_DSR, CLIENT, 63, TOO_BIG, 0, 1280, &syn, 64,
			40 + 20);
	err6_frame(&in, P1, ROUTER1, GW1, UNREACH, 3, 0, &syn_out, 40 + 40 + 20);
	step("DSR: unreachable about the tunnel", wid, &in, NG_TV_TX(P0), &out);
	check_err6(&out, P0, &client_mac, VIP_DSR, CLIENT, 63, UNREACH, 3, 0, &syn, 64, 40 + 20);

	/* the same quote with another tunnel end: no connection went there */
	inner = syn_out;
	tb_ip6_hdr(&inner)->dst_addr[15] ^= 1;
	err6_frame(&in, P1, ROUTER1, GW1, TOO_BIG, 0, 1400, &inner, 40 + 40 + 20);
	step("DSR: a tunnel to another backend", wid, &in, NG_TV_DROP(ICMP_ERR_UNRELATED), &out);
	assert_int_equal(conns(wid), n_conns); /* errors create no connection */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fullnat_types),
		cmocka_unit_test(dnat_udp),
		cmocka_unit_test(unrelated),
		cmocka_unit_test(too_big_reply),
		cmocka_unit_test(dsr),
	};

	return cmocka_run_group_tests_name("icmp6_err", tests, group_setup, group_teardown);
}
