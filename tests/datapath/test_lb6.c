/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv6 service stage (lb6) through the worker's graph: FullNAT and DNAT
 * services over IPv6, the connection both ways, a NodePort on the port's
 * IPv6 address, refusals, the hop limit, the wrong worker's redirect, source
 * ranges, the one-family rule of the service API and an IPv6 FullNAT pool.
 * Two worker structs driven by the test on tests/lib's gateway:
 *   p0  2001:db8::1/64    client 2001:db8::2 (static neighbour)
 *   p1  2001:db8:1::1/64  backends 2001:db8:1::10, 2001:db8:1::11 (static neighbours)
 *       fullnat_addresses 2001:db8:1::1, ::50, ::51
 *   web6  tcp [2001:db8:100::10]:80 -> :8080, FullNAT, Maglev; NodePort 30080
 *   web4  tcp NodePort 30080 (IPv4) -> 198.18.1.100:8080, FullNAT
 *   dns6  udp [2001:db8:100::53]:53 -> :53, DNAT
 *   none6 tcp [2001:db8:100::99]:80, no backend
 *   aff6  tcp [2001:db8:100::20]:80 -> :8080, FullNAT, ClientIP affinity
 *   dsr6  tcp [2001:db8:100::30]:80 -> :80, DSR (lb6 -> ip6ip6-encap)
 *   udsr6 udp [2001:db8:100::31]:53 -> :53, DSR
 * DSR over IPv6: the client's packet leaves unchanged inside an IPv6 header
 * (next header 41) from the gateway's address toward the backend; the
 * connection is one way; a flow never seen from its start goes to the backend
 * Maglev gives; over the MTU with the 40 bytes, packet too big with MTU - 40.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "ct.h"
#include "ng_hash.h"
#include "ng_test_frame6.h"
#include "ng_test_gw.h"
#include "reass_dp.h"
#include "svc.h"
#include "trace.h"

enum { P0, P1 };
#define NWORKERS 2
#define LPORT_MIN 40000
#define LPORT_MAX 40999
#define L2 ((uint16_t)sizeof(struct rte_ether_hdr))

static struct ng_test_gw gw;
static char err[NG_ERRBUF];

static const struct rte_ether_addr client_mac = {{0x02, 0x00, 0x00, 0x00, 0x16, 0x02}};
static const struct rte_ether_addr be_mac = {{0x02, 0x00, 0x00, 0x00, 0x16, 0x10}};

#define DB8 0x20, 0x01, 0x0d, 0xb8
static const uint8_t GW0[16] = {DB8, [15] = 1};
/* p1's FullNAT pool: its own address 2001:db8:1::1 and two more (IPv6 entries only) */
#define N_POOL6 3
static const uint8_t POOL6[N_POOL6][16] = {
	{DB8, 0, 1, [15] = 1}, {DB8, 0, 1, [15] = 0x50}, {DB8, 0, 1, [15] = 0x51},
};
/* p1's own IPv6 address, the route's source toward the backends (DSR's outer source) */
#define GW1 POOL6[0]
static const uint8_t CLIENT[16] = {DB8, [15] = 2};
static const uint8_t BE0[16] = {DB8, 0, 1, [15] = 0x10};
static const uint8_t BE1[16] = {DB8, 0, 1, [15] = 0x11};
static const uint8_t VIP_WEB[16] = {DB8, 0x01, 0x00, [15] = 0x10};
static const uint8_t VIP_DNS[16] = {DB8, 0x01, 0x00, [15] = 0x53};
static const uint8_t VIP_NONE[16] = {DB8, 0x01, 0x00, [15] = 0x99};
static const uint8_t VIP_AFF[16] = {DB8, 0x01, 0x00, [15] = 0x20};
#define BE4 RTE_BE32(0xc6120164)    /* 198.18.1.100, web4's backend */
#define CLIENT4 RTE_BE32(0xc6120002) /* 198.18.0.2 */
static const uint8_t VIP_DSR[16] = {DB8, 0x01, 0x00, [15] = 0x30};
static const uint8_t VIP_UDSR[16] = {DB8, 0x01, 0x00, [15] = 0x31};

static void
ok(int rc)
{
	if (rc != 0)
		fail_msg("control API: %d \"%s\"", rc, err);
}

static struct ng_ip
ip6(const uint8_t a[16])
{
	struct ng_ip ip = {.family = AF_INET6};

	memcpy(ip.v6, a, 16);
	return ip;
}

/* The owner of CLIENT's flow from port cport (host order): by its client end. */
static unsigned int
owner_of(uint16_t cport)
{
	return (unsigned int)(ng_hash_client6(CLIENT, rte_cpu_to_be_16(cport)) % NWORKERS);
}

static void
service_aff(const char *name, uint8_t proto, enum ng_fwd_mode mode, const uint8_t vip[16],
		uint16_t port, uint16_t bport, unsigned int n_be, bool affinity)
{
	struct ng_svc_spec s;
	struct ng_frontend fe = {.addr = ip6(vip), .port = port};

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	s.proto = proto;
	s.scheduler = NG_SCHED_MAGLEV;
	s.mode = mode;
	s.affinity = affinity;
	ok(ng_svc_add(&s, err, sizeof(err)));
	ok(ng_svc_frontend_add(name, &fe, err, sizeof(err)));
	for (unsigned int i = 0; i < n_be; i++) {
		struct ng_ip a = ip6(i == 0 ? BE0 : BE1);

		ok(ng_svc_backend_set(name, &a, bport, 1, err, sizeof(err)));
	}
}

static void
service(const char *name, uint8_t proto, enum ng_fwd_mode mode, const uint8_t vip[16],
		uint16_t port, uint16_t bport, unsigned int n_be)
{
	service_aff(name, proto, mode, vip, port, bport, n_be, false);
}

static int
group_setup(void **state)
{
	static const struct ng_test_gw_opts o = {
		.name = "lb6", .n_ports = 2,
		.addrs = {"198.18.0.1/24,2001:db8::1/64", "198.18.1.1/24,2001:db8:1::1/64"},
		.fullnat = {NULL, "2001:db8:1::1,2001:db8:1::50,2001:db8:1::51"},
		.n_workers = NWORKERS, .mem_mb = 512, .ct_entries = 4096, .services = true,
		.lport_min = LPORT_MIN, .lport_max = LPORT_MAX,
	};
	struct ng_frontend np = {.port = 30080};
	struct ng_ip c = ip6(CLIENT), b0 = ip6(BE0), b1 = ip6(BE1);
	struct ng_ip be4 = {.family = AF_INET, .v4 = BE4};

	(void)state;
	if (ng_test_gw_up(&gw, &o) != 0)
		return -1;
	if (ng_route_neigh_add(&gw.rt, &c, &client_mac, "p0", err, sizeof(err)) != 0 ||
			ng_route_neigh_add(&gw.rt, &b0, &be_mac, "p1", err, sizeof(err)) != 0 ||
			ng_route_neigh_add(&gw.rt, &b1, &be_mac, "p1", err, sizeof(err)) != 0 ||
			ng_route_neigh_add(&gw.rt, &be4, &be_mac, "p1", err, sizeof(err)) != 0) {
		fprintf(stderr, "neighbour: %s\n", err);
		return -1;
	}
	service("web6", IPPROTO_TCP, NG_FWD_FULLNAT, VIP_WEB, 80, 8080, 2);
	ok(ng_svc_frontend_add("web6", &np, err, sizeof(err)));
	/* web4: IPv4, the same node port (a dual-stack Service's other half) */
	ok(ng_svc_add(&(struct ng_svc_spec){.name = "web4", .proto = IPPROTO_TCP,
			.scheduler = NG_SCHED_MAGLEV, .mode = NG_FWD_FULLNAT}, err, sizeof(err)));
	ok(ng_svc_frontend_add("web4", &np, err, sizeof(err)));
	ok(ng_svc_backend_set("web4", &be4, 8080, 1, err, sizeof(err)));
	service("dns6", IPPROTO_UDP, NG_FWD_DNAT, VIP_DNS, 53, 53, 2);
	service("none6", IPPROTO_TCP, NG_FWD_FULLNAT, VIP_NONE, 80, 80, 0);
	service_aff("aff6", IPPROTO_TCP, NG_FWD_FULLNAT, VIP_AFF, 80, 8080, 2, true);
	service("dsr6", IPPROTO_TCP, NG_FWD_DSR, VIP_DSR, 80, 80, 2);
	service("udsr6", IPPROTO_UDP, NG_FWD_DSR, VIP_UDSR, 53, 53, 2);
	ok(ng_svc_commit(err, sizeof(err)));
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return ng_test_gw_down(&gw);
}

/* Worker wid receives f; the verdict is exactly v; out gets the frame sent. */
static void
step(const char *what, unsigned int wid, const struct tb_frame *f, struct ng_test_verdict v,
		struct tb_frame *out)
{
	ng_test_gw_rx(&gw, wid, f);
	ng_test_gw_expect(&gw, what, wid, f->port, v);
	if (v.tx >= 0)
		ng_test_gw_take(&gw, wid, (uint8_t)v.tx, out);
	if (v.punt != 0)
		ng_test_gw_take_punted(&gw, wid, out);
}

/* Index in POOL6 of a FullNAT source; fails when it is not one. */
static unsigned int
pool6_index(const uint8_t src[16])
{
	for (unsigned int i = 0; i < N_POOL6; i++)
		if (memcmp(src, POOL6[i], 16) == 0)
			return i;
	fail_msg("FullNAT source is not one of p1's pool");
	return N_POOL6;
}

static void
tcp_in(struct tb_frame *f, uint8_t port, const uint8_t src[16], uint16_t sport,
		const uint8_t dst[16], uint16_t dport, uint8_t flags)
{
	tb_eth(f, &gw.port_mac[port], port == P0 ? &client_mac : &be_mac, TB_NO_VLAN,
			RTE_ETHER_TYPE_IPV6);
	tb_tcp6(f, src, sport, dst, dport, flags, 1000, flags & RTE_TCP_ACK_FLAG ? 5000 : 0, 0);
	f->port = port;
}

static const struct rte_tcp_hdr *
tcp_of(struct tb_frame *f)
{
	return (const struct rte_tcp_hdr *)(tb_ip6_hdr(f) + 1);
}

/*
 * A FullNAT connection both ways: the SYN goes to a backend from the port's
 * address toward it and a source port of the owner's; the SYN-ACK comes back
 * to the client from the VIP; the client's ACK and FIN follow the SYN.
 */
static void
fullnat_flow(void **state)
{
	struct tb_frame in, out;
	uint8_t be[16], src[16];
	uint16_t lport;

	(void)state;
	ng_test_gw_reset(&gw);
	tcp_in(&in, P0, CLIENT, 50001, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	step("SYN to web6", owner_of(50001), &in, NG_TV_TX(P1), &out);
	memcpy(be, tb_ip6_hdr(&out)->dst_addr, 16);
	assert_true(memcmp(be, BE0, 16) == 0 || memcmp(be, BE1, 16) == 0);
	pool6_index(tb_ip6_hdr(&out)->src_addr);
	assert_int_equal(rte_be_to_cpu_16(tcp_of(&out)->dst_port), 8080);
	lport = rte_be_to_cpu_16(tcp_of(&out)->src_port);
	assert_in_range(lport, LPORT_MIN, LPORT_MAX);
	assert_int_equal(lport % NWORKERS, owner_of(50001));
	assert_int_equal(tb_ip6_hdr(&out)->hop_limits, 63);
	assert_memory_equal(out.b, &be_mac, RTE_ETHER_ADDR_LEN);
	tb_check_l4_cksum6(&out);

	memcpy(src, tb_ip6_hdr(&out)->src_addr, 16);
	tcp_in(&in, P1, be, 8080, src, lport, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	step("SYN-ACK from the backend", lport % NWORKERS, &in, NG_TV_TX(P0), &out);
	tb_assert_addr6(tb_ip6_hdr(&out)->src_addr, VIP_WEB);
	tb_assert_addr6(tb_ip6_hdr(&out)->dst_addr, CLIENT);
	assert_int_equal(rte_be_to_cpu_16(tcp_of(&out)->src_port), 80);
	assert_int_equal(rte_be_to_cpu_16(tcp_of(&out)->dst_port), 50001);
	assert_memory_equal(out.b, &client_mac, RTE_ETHER_ADDR_LEN);
	tb_check_l4_cksum6(&out);

	for (int i = 0; i < 2; i++) {
		tcp_in(&in, P0, CLIENT, 50001, VIP_WEB, 80, RTE_TCP_ACK_FLAG |
				(i == 1 ? RTE_TCP_FIN_FLAG : 0));
		step(i == 0 ? "ACK" : "FIN", owner_of(50001), &in, NG_TV_TX(P1), &out);
		tb_assert_addr6(tb_ip6_hdr(&out)->dst_addr, be);
		assert_int_equal(rte_be_to_cpu_16(tcp_of(&out)->src_port), lport);
		tb_check_l4_cksum6(&out);
	}
}

/* The wrong worker hands the SYN to the owner, which serves it. */
static void
redirect(void **state)
{
	unsigned int o = owner_of(50002), other = (o + 1) % NWORKERS;
	struct tb_frame in, out;

	(void)state;
	ng_test_gw_reset(&gw);
	tcp_in(&in, P0, CLIENT, 50002, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	step("SYN on the other worker", other, &in, NG_TV_REDIRECT(o), NULL);
	ng_test_gw_rx_redirected(&gw, other, o, P0);
	ng_test_gw_expect(&gw, "SYN on its owner", o, P0, NG_TV_TX(P1));
	ng_test_gw_take(&gw, o, P1, &out);
	pool6_index(tb_ip6_hdr(&out)->src_addr);
}

/* DNAT: the client's address is kept; the reply comes from the VIP. */
static void
dnat_udp(void **state)
{
	struct tb_frame in, out;
	uint8_t be[16];

	(void)state;
	ng_test_gw_reset(&gw);
	tb_eth(&in, &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_udp6(&in, CLIENT, 50003, VIP_DNS, 53, 24);
	step("UDP to dns6", owner_of(50003), &in, NG_TV_TX(P1), &out);
	memcpy(be, tb_ip6_hdr(&out)->dst_addr, 16);
	assert_true(memcmp(be, BE0, 16) == 0 || memcmp(be, BE1, 16) == 0);
	tb_assert_addr6(tb_ip6_hdr(&out)->src_addr, CLIENT);
	tb_check_l4_cksum6(&out);

	tb_eth(&in, &gw.port_mac[P1], &be_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_udp6(&in, be, 53, CLIENT, 50003, 40);
	in.port = P1;
	step("the answer", owner_of(50003), &in, NG_TV_TX(P0), &out);
	tb_assert_addr6(tb_ip6_hdr(&out)->src_addr, VIP_DNS);
	tb_assert_addr6(tb_ip6_hdr(&out)->dst_addr, CLIENT);
	assert_int_equal(rte_be_to_cpu_16(((const struct rte_udp_hdr *)
			(tb_ip6_hdr(&out) + 1))->src_port), 53);
	tb_check_l4_cksum6(&out);
}

/*
 * Node port 30080 per family: web6 holds it on the port's IPv6 address, web4
 * (IPv4) on its IPv4 one, so an IPv6 SYN reaches web6's backend and an IPv4
 * SYN web4's.
 */
static void
nodeport(void **state)
{
	struct tb_frame in, out;
	uint8_t be[16];

	(void)state;
	ng_test_gw_reset(&gw);
	tcp_in(&in, P0, CLIENT, 50004, GW0, 30080, RTE_TCP_SYN_FLAG);
	step("IPv6 SYN to the NodePort", owner_of(50004), &in, NG_TV_TX(P1), &out);
	assert_int_equal(rte_be_to_cpu_16(tcp_of(&out)->dst_port), 8080);
	memcpy(be, tb_ip6_hdr(&out)->dst_addr, 16);
	assert_true(memcmp(be, BE0, 16) == 0 || memcmp(be, BE1, 16) == 0);
	pool6_index(tb_ip6_hdr(&out)->src_addr);
	tb_check_l4_cksum6(&out);

	tb_eth(&in, &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_tcp(&in, CLIENT4, 50004, tb_ip(198, 18, 0, 1), 30080, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	in.port = P0;
	step("IPv4 SYN to the NodePort", ng_test_owner_flow4(CLIENT4, 50004, NWORKERS), &in,
			NG_TV_TX(P1), &out);
	assert_int_equal(tb_ip4_hdr(&out)->dst_addr, BE4);
	assert_int_equal(tb_ip4_hdr(&out)->src_addr, tb_ip(198, 18, 1, 1));
	tb_check_l4_cksum(&out);
}

/* Refusals: a port of the VIP nobody serves, a service without backends. */
static void
refusals(void **state)
{
	struct tb_frame in, out;

	(void)state;
	ng_test_gw_reset(&gw);
	tcp_in(&in, P0, CLIENT, 50005, VIP_WEB, 81, RTE_TCP_SYN_FLAG);
	step("SYN to port 81", owner_of(50005), &in, NG_TV_REFUSE(P0, SVC_NO_FRONTEND), &out);
	tb_check_rst6(&in, &out);
	tcp_in(&in, P0, CLIENT, 50006, VIP_NONE, 80, RTE_TCP_SYN_FLAG);
	step("SYN to none6", owner_of(50006), &in, NG_TV_REFUSE(P0, SVC_NO_BACKEND), &out);
	tb_check_rst6(&in, &out);
	tb_eth(&in, &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_udp6(&in, CLIENT, 50007, VIP_DNS, 54, 8);
	step("UDP to port 54", owner_of(50007), &in, NG_TV_REFUSE(P0, SVC_NO_FRONTEND), &out);
	tb_check_icmp6_error(&in, &out, 1, 4, 0, VIP_DNS);
	tcp_in(&in, P0, CLIENT, 50008, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	tb_set_hops(&in, 1);
	step("hop limit 1", owner_of(50008), &in, NG_TV_REFUSE(P0, TTL_EXPIRED), &out);
	tb_check_icmp6_error(&in, &out, 3, 0, 0, GW0);
	tb_eth(&in, &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_udp6(&in, CLIENT, 50009, VIP_DNS, 53, 8);
	memset(&in.b[in.l2 + 40 + 6], 0, 2);
	step("UDP without checksum", owner_of(50009), &in, NG_TV_DROP(UDP6_NO_CKSUM), NULL);
}

/*
 * ClientIP affinity over IPv6: every connection of one client to one backend,
 * all on the worker its address picks (whatever the client port).
 */
static void
affinity(void **state)
{
	unsigned int by_addr = (unsigned int)(ng_hash_addr6(CLIENT) % NWORKERS);
	struct tb_frame in, out;
	uint8_t first[16];

	(void)state;
	ng_test_gw_reset(&gw);
	for (uint16_t i = 0; i < 8; i++) {
		tcp_in(&in, P0, CLIENT, (uint16_t)(51000 + i * 7), VIP_AFF, 80, RTE_TCP_SYN_FLAG);
		step("SYN to aff6", by_addr, &in, NG_TV_TX(P1), &out);
		if (i == 0)
			memcpy(first, tb_ip6_hdr(&out)->dst_addr, 16);
		tb_assert_addr6(tb_ip6_hdr(&out)->dst_addr, first);
	}
}

/*
 * Flows of a service without affinity are owned by their whole client end
 * (lb_dp.c's rule): one client's connections from 32 ports are served on both
 * workers, each by the owner of its port, with a FullNAT port of that worker.
 */
static void
spread_by_port(void **state)
{
	unsigned int on[NWORKERS] = {0};
	struct tb_frame in, out;

	(void)state;
	ng_test_gw_reset(&gw);
	for (uint16_t p = 52000; p < 52032; p++) {
		unsigned int o = owner_of(p);

		tcp_in(&in, P0, CLIENT, p, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
		step("SYN to web6 from one client", o, &in, NG_TV_TX(P1), &out);
		assert_int_equal(rte_be_to_cpu_16(tcp_of(&out)->src_port) % NWORKERS, o);
		on[o]++;
	}
	for (unsigned int w = 0; w < NWORKERS; w++)
		assert_in_range(on[w], 4, 28);
}

/*
 * A port with a kernel twin: TCP to the gateway's IPv6 address that no
 * NodePort takes goes through lb6 and ip6-local to the kernel, not refused.
 */
static void
twin_local(void **state)
{
	unsigned int o = owner_of(50010);
	struct tb_frame in, out;

	(void)state;
	ng_test_gw_reset(&gw);
	tcp_in(&in, P0, CLIENT, 50010, GW0, 22, RTE_TCP_SYN_FLAG);
	step("SYN to the gateway, no twin", o, &in, NG_TV_REFUSE(P0, LOCAL_PROTO), &out);
	tb_check_rst6(&in, &out);
	ng_test_gw_twin(&gw, P0, 1, UINT64_C(1) << 40);
	step("SYN to the gateway, twin", o, &in, NG_TV_PUNT, &out);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.b, in.b, in.len);
	/* No frontend takes port 22: the other worker punts it itself (no state),
	 * rather than through the owner's redirect ring. */
	step("the same SYN on the other worker", (o + 1) % NWORKERS, &in, NG_TV_PUNT, &out);
	ng_test_gw_twin(&gw, P0, 0, 0);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.b, in.b, in.len);
}

/*
 * The FullNAT pool over IPv6 (p1's fullnat_addresses, IPv6 entries): 600
 * connections to web6 take their sources from all three, each pair once per
 * backend, the
 * port owned by the worker; a reply to a pool address other than p1's own
 * reaches the connection and goes back to the client; the gateway answers
 * neighbour solicitations for the pool. (web4's IPv4 backend keeps p1's IPv4
 * address: the pool has no IPv4 entry; see nodeport.)
 */
static void
pool6(void **state)
{
	/* a source pair is unique per backend (the reply key is backend -> source) */
	static uint8_t used[2][N_POOL6][LPORT_MAX - LPORT_MIN + 1];
	unsigned int per_addr[N_POOL6] = {0}, replied = 0;
	struct tb_frame in, out;

	(void)state;
	memset(used, 0, sizeof(used));
	ng_test_gw_reset(&gw);
	for (uint16_t i = 0; i < 600; i++) {
		uint16_t cport = (uint16_t)(20000 + i), lport;
		unsigned int wid = owner_of(cport), a;
		uint8_t be[16];

		tcp_in(&in, P0, CLIENT, cport, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
		step("SYN to web6", wid, &in, NG_TV_TX(P1), &out);
		a = pool6_index(tb_ip6_hdr(&out)->src_addr);
		lport = rte_be_to_cpu_16(tcp_of(&out)->src_port);
		assert_in_range(lport, LPORT_MIN, LPORT_MAX);
		assert_int_equal(lport % NWORKERS, wid);
		memcpy(be, tb_ip6_hdr(&out)->dst_addr, 16);
		if (used[memcmp(be, BE0, 16) != 0][a][lport - LPORT_MIN]++)
			fail_msg("SYN %u: source %u:%u handed out twice", i, a, lport);
		per_addr[a]++;
		if (a == 0 || replied++ > 0)
			continue;
		tcp_in(&in, P1, be, 8080, POOL6[a], lport, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
		step("SYN-ACK to a pool address", wid, &in, NG_TV_TX(P0), &out);
		tb_assert_addr6(tb_ip6_hdr(&out)->dst_addr, CLIENT);
		assert_int_equal(rte_be_to_cpu_16(tcp_of(&out)->dst_port), cport);
		tb_check_l4_cksum6(&out);
	}
	for (unsigned int a = 0; a < N_POOL6; a++)
		if (per_addr[a] < 100)
			fail_msg("pool address %u took %u of 600 connections", a, per_addr[a]);
	assert_int_equal(replied > 0, 1);
	for (unsigned int a = 1; a < N_POOL6; a++) {
		tb_eth(&in, &gw.port_mac[P1], &be_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
		tb_ns(&in, BE0, POOL6[a], POOL6[a], &be_mac);
		in.port = P1;
		step("NS for a pool address", 0, &in, NG_TV_TX(P1), &out);
		tb_check_na(&in, &out, 0xe0, &gw.port_mac[P1]);
	}
}

/* web6's spec with n source ranges r (none: n 0). */
static void
web6_ranges(const struct ng_prefix *r, unsigned int n)
{
	struct ng_svc_spec s;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "web6");
	s.proto = IPPROTO_TCP;
	s.scheduler = NG_SCHED_MAGLEV;
	s.mode = NG_FWD_FULLNAT;
	s.src_ranges = r;
	s.n_src_ranges = n;
	ok(ng_svc_update(&s, err, sizeof(err)));
	ok(ng_svc_commit(err, sizeof(err)));
}

/*
 * IPv6 source ranges, as lb checks IPv4's: a SYN from inside reaches a
 * backend; one from outside is dropped silently (src_range, no RST), and the
 * service counts it; an established connection is not checked again.
 */
static void
source_ranges6(void **state)
{
	static const uint8_t OUTSIDE[16] = {DB8, [13] = 1, [15] = 2};
	const struct ng_prefix r = {.addr = ip6(CLIENT), .len = 120};
	unsigned int o_out = (unsigned int)(ng_hash_client6(OUTSIDE, rte_cpu_to_be_16(50030)) %
			NWORKERS);
	struct ng_svc_counters c0, c1;
	struct tb_frame in, out;

	(void)state;
	ng_test_gw_reset(&gw);
	tcp_in(&in, P0, CLIENT, 50031, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	step("SYN before the ranges", owner_of(50031), &in, NG_TV_TX(P1), &out);
	ok(ng_svc_counters("web6", &c0));
	web6_ranges(&r, 1);
	tcp_in(&in, P0, OUTSIDE, 50030, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	step("SYN from outside the ranges", o_out, &in, NG_TV_DROP(SRC_RANGE), NULL);
	tcp_in(&in, P0, OUTSIDE, 50030, GW0, 30080, RTE_TCP_SYN_FLAG);
	step("to the NodePort from outside", o_out, &in, NG_TV_DROP(SRC_RANGE), NULL);
	tcp_in(&in, P0, CLIENT, 50032, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	step("SYN from inside the ranges", owner_of(50032), &in, NG_TV_TX(P1), &out);
	pool6_index(tb_ip6_hdr(&out)->src_addr);
	tcp_in(&in, P0, CLIENT, 50031, VIP_WEB, 80, RTE_TCP_ACK_FLAG);
	step("ACK of the older connection", owner_of(50031), &in, NG_TV_TX(P1), &out);
	ok(ng_svc_counters("web6", &c1));
	assert_int_equal(c1.src_dropped - c0.src_dropped, 2);
	web6_ranges(NULL, 0);
	tcp_in(&in, P0, OUTSIDE, 50033, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	step("SYN from anywhere once the ranges go",
			(unsigned int)(ng_hash_client6(OUTSIDE, rte_cpu_to_be_16(50033)) %
			NWORKERS), &in, NG_TV_TX(P1), &out);
}

/* CLIENT's connection from cport to vip:vport on worker o, or NULL. */
static struct ng_conn *
conn6(unsigned int o, uint8_t proto, uint16_t cport, const uint8_t vip[16], uint16_t vport)
{
	struct ng_flow_key k;
	bool rep;

	ng_ct_key6(&k, CLIENT, vip, rte_cpu_to_be_16(cport), rte_cpu_to_be_16(vport), proto);
	return ng_ct_lookup(gw.dp->workers[o]->ct, &k, &rep);
}

/*
 * An IPv6 connection is confirmed as an IPv4 one is (lb_dp.c's connection
 * code): not by the SYN or the backend's answer, but by the client's packet
 * after that answer; a confirmed entry gets the long timeouts and is not what
 * a full table evicts first.
 */
static void
confirmed(void **state)
{
	unsigned int o = owner_of(50020);
	struct tb_frame in, out;
	struct ng_conn *c;
	uint8_t be[16], src[16];
	uint16_t lport;

	(void)state;
	ng_test_gw_reset(&gw);
	tcp_in(&in, P0, CLIENT, 50020, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	step("SYN to web6", o, &in, NG_TV_TX(P1), &out);
	memcpy(be, tb_ip6_hdr(&out)->dst_addr, 16);
	memcpy(src, tb_ip6_hdr(&out)->src_addr, 16);
	lport = rte_be_to_cpu_16(tcp_of(&out)->src_port);
	c = conn6(o, IPPROTO_TCP, 50020, VIP_WEB, 80);
	assert_non_null(c);
	assert_int_equal(c->flags & (NG_CT_F_REPLIED | NG_CT_F_CONFIRMED), 0);
	tcp_in(&in, P1, be, 8080, src, lport, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	step("SYN-ACK", lport % NWORKERS, &in, NG_TV_TX(P0), &out);
	assert_int_equal(c->flags & (NG_CT_F_REPLIED | NG_CT_F_CONFIRMED), NG_CT_F_REPLIED);
	tcp_in(&in, P0, CLIENT, 50020, VIP_WEB, 80, RTE_TCP_ACK_FLAG);
	step("ACK", o, &in, NG_TV_TX(P1), &out);
	assert_int_equal(c->flags & NG_CT_F_CONFIRMED, NG_CT_F_CONFIRMED);
	assert_int_equal(c->state, NG_CT_ESTABLISHED);
}

/*
 * One burst on the owner through lb6's passes: two SYNs of one new flow (the
 * second finds the connection the first created: the bulk lookup's miss is
 * stale), a SYN of another flow, a UDP datagram, a SYN to a service without
 * backends. Each verdict is what it is alone, and the first flow has one
 * connection, one backend and one source port.
 */
static void
burst(void **state)
{
	unsigned int o = owner_of(50030);
	uint16_t pb = 50031, pc = 50032, pd = 50033;
	struct ng_worker *w = gw.dp->workers[o];
	struct tb_frame in[5];
	struct rte_mbuf *m[5], *t0, *t1;
	struct ng_conn *c;

	(void)state;
	while (owner_of(pb) != o)
		pb++;
	for (pc = (uint16_t)(pb + 1); owner_of(pc) != o; pc++)
		;
	for (pd = (uint16_t)(pc + 1); owner_of(pd) != o; pd++)
		;
	ng_test_gw_reset(&gw);
	tcp_in(&in[0], P0, CLIENT, 50030, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	tcp_in(&in[1], P0, CLIENT, 50030, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	tcp_in(&in[2], P0, CLIENT, pb, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	tb_eth(&in[3], &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_udp6(&in[3], CLIENT, pc, VIP_DNS, 53, 24);
	tcp_in(&in[4], P0, CLIENT, pd, VIP_NONE, 80, RTE_TCP_SYN_FLAG);
	for (unsigned int i = 0; i < 5; i++)
		m[i] = tb_mbuf(gw.pool, &in[i], gw.port_id[in[i].port]);
	ng_worker_process(w, m, 5);
	assert_int_equal(w->tx[P1].n, 4);
	assert_int_equal(w->tx[P0].n, 1); /* the RST */
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_SVC_NO_BACKEND], 1);
	assert_int_equal(w->stats.stage[NG_STAGE_LB6].pkts, 5);
	t0 = ng_test_gw_sent(&gw, o, P1);
	assert_non_null(t0);
	t1 = w->tx[P1].pkts[1];
	/* both copies of the first SYN: one backend, one source port */
	assert_memory_equal(rte_pktmbuf_mtod_offset(t0, struct rte_ipv6_hdr *, 14)->dst_addr,
			rte_pktmbuf_mtod_offset(t1, struct rte_ipv6_hdr *, 14)->dst_addr, 16);
	assert_int_equal(rte_pktmbuf_mtod_offset(t0, struct rte_tcp_hdr *, 54)->src_port,
			rte_pktmbuf_mtod_offset(t1, struct rte_tcp_hdr *, 54)->src_port);
	c = conn6(o, IPPROTO_TCP, 50030, VIP_WEB, 80);
	assert_non_null(c);
	assert_int_equal(c->lport, rte_pktmbuf_mtod_offset(t0, struct rte_tcp_hdr *, 54)->src_port);
	assert_int_equal(c->pkts, 2);
	assert_non_null(conn6(o, IPPROTO_TCP, pb, VIP_WEB, 80));
	assert_non_null(conn6(o, IPPROTO_UDP, pc, VIP_DNS, 53));
	assert_null(conn6(o, IPPROTO_TCP, pd, VIP_NONE, 80));
	assert_int_equal(ng_test_gw_release(&gw), 5);
}

/*
 * ip6-forward keeps the neighbours it found in the worker's cache, as
 * ip4-forward does; a neighbour's new MAC is what the next packet gets.
 */
static void
neigh_cache6(void **state)
{
	static const struct rte_ether_addr mac2 = {{0x02, 0x00, 0x00, 0x00, 0x16, 0x99}};
	unsigned int o = owner_of(50040);
	struct ng_worker *w = gw.dp->workers[o];
	struct tb_frame in, out;
	struct ng_ip b;
	unsigned int found = 0;
	uint8_t be[16];

	(void)state;
	ng_test_gw_reset(&gw);
	memset(w->neigh_cache6, 0, sizeof(w->neigh_cache6));
	tcp_in(&in, P0, CLIENT, 50040, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	step("SYN to web6", o, &in, NG_TV_TX(P1), &out);
	memcpy(be, tb_ip6_hdr(&out)->dst_addr, 16);
	assert_memory_equal(out.b, &be_mac, RTE_ETHER_ADDR_LEN);
	for (unsigned int i = 0; i < NG_W_NEIGH6_SLOTS; i++)
		if (w->neigh_cache6[i].word != NULL &&
				memcmp(w->neigh_cache6[i].via, be, 16) == 0)
			found++;
	assert_int_equal(found, 1);

	b = ip6(be);
	ok(ng_route_neigh_add(&gw.rt, &b, &mac2, "p1", err, sizeof(err)));
	tcp_in(&in, P0, CLIENT, 50040, VIP_WEB, 80, RTE_TCP_ACK_FLAG);
	step("ACK after the MAC changed", o, &in, NG_TV_TX(P1), &out);
	assert_memory_equal(out.b, &mac2, RTE_ETHER_ADDR_LEN);
	ok(ng_route_neigh_add(&gw.rt, &b, &be_mac, "p1", err, sizeof(err)));
	step("ACK after the MAC came back", o, &in, NG_TV_TX(P1), &out);
	assert_memory_equal(out.b, &be_mac, RTE_ETHER_ADDR_LEN);
}

/*
 * The workers keep the IPv6 FIB results they found (ip6-parse's and lb6's
 * lookups) while the FIB's IPv6 generation stays: a route added or deleted
 * is what the next packet follows. TCP to a routed destination goes through
 * ip6-parse, lb6 (no connection, not a frontend) and ip6-forward.
 */
static void
fib6_cache(void **state)
{
	static const uint8_t far[16] = {DB8, 0, 5, [15] = 1};
	struct ng_prefix net = {.addr = ip6(far), .len = 64};
	struct ng_ip via = ip6(BE0);
	/* routed, while there are DNAT services: owned by the destination's end */
	unsigned int o = (unsigned int)(ng_hash_client6(far, rte_cpu_to_be_16(80)) % NWORKERS);
	unsigned int found = 0;
	struct ng_worker *w = gw.dp->workers[o];
	struct tb_frame in, out;

	(void)state;
	ng_test_gw_reset(&gw);
	memset(w->fib6_cache, 0, sizeof(w->fib6_cache));
	tcp_in(&in, P0, CLIENT, 50050, far, 80, RTE_TCP_SYN_FLAG);
	step("no route", o, &in, NG_TV_DROP(NO_ROUTE), NULL);
	step("no route, again", o, &in, NG_TV_DROP(NO_ROUTE), NULL);
	for (unsigned int i = 0; i < NG_W_FIB6_SLOTS; i++)
		if (w->fib6_cache[i].used && memcmp(w->fib6_cache[i].dst, far, 16) == 0)
			found++;
	assert_int_equal(found, 1);
	ok(ng_route_add(&gw.rt, &net, &via, NULL, err, sizeof(err)));
	step("routed once the route is there", o, &in, NG_TV_TX(P1), &out);
	assert_memory_equal(out.b, &be_mac, RTE_ETHER_ADDR_LEN);
	tb_assert_addr6(tb_ip6_hdr(&out)->dst_addr, far);
	ok(ng_route_del(&gw.rt, &net, err, sizeof(err)));
	step("no route once it is deleted", o, &in, NG_TV_DROP(NO_ROUTE), NULL);
}

/* Put 8 bytes of extension header (next header: what the fixed header said) after f's IPv6 header. */
static void
ext_in(struct tb_frame *f, uint8_t type, const uint8_t ext[8])
{
	struct rte_ipv6_hdr *h = tb_ip6_hdr(f);
	uint8_t *l4 = (uint8_t *)(h + 1);
	uint16_t rest = (uint16_t)(f->len - (l4 - f->b));

	memmove(l4 + 8, l4, rest);
	memcpy(l4, ext, 8);
	l4[0] = h->proto;
	h->proto = type;
	h->payload_len = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(h->payload_len) + 8));
	f->len = (uint16_t)(f->len + 8);
}

/* Take f's 8-byte extension header out again (ext gets it). */
static void
ext_out(struct tb_frame *f, uint8_t ext[8])
{
	struct rte_ipv6_hdr *h = tb_ip6_hdr(f);
	uint8_t *l4 = (uint8_t *)(h + 1);
	uint16_t rest = (uint16_t)(f->len - (l4 - f->b) - 8);

	memcpy(ext, l4, 8);
	h->proto = ext[0];
	memmove(l4, l4 + 8, rest);
	h->payload_len = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(h->payload_len) - 8));
	f->len = (uint16_t)(f->len - 8);
}

/* The stages the last packet worker wid received went through: ip6-parse, lb6 (0 or 1). */
static void
stage_pkts(unsigned int wid, uint64_t ip6_parse, uint64_t lb6)
{
	const struct ng_worker *w = gw.dp->workers[wid];

	if (w->stats.stage[NG_STAGE_IP6_PARSE].pkts != ip6_parse ||
			w->stats.stage[NG_STAGE_LB6].pkts != lb6)
		fail_msg("ip6-parse %" PRIu64 " lb6 %" PRIu64 " packets, want %" PRIu64 " %" PRIu64,
				w->stats.stage[NG_STAGE_IP6_PARSE].pkts,
				w->stats.stage[NG_STAGE_LB6].pkts, ip6_parse, lb6);
}

/*
 * Plain TCP and UDP (no extension header, hop limit over 1, unicast
 * addresses) go from parse straight to lb6 (parse's lb6 edge, as the trace
 * shows); behind an extension header, with hop limit 1 or to a link-local
 * address they go through ip6-parse as before, with the same verdicts.
 */
static void
parse_to_lb6(void **state)
{
	static const uint8_t dstopts[8] = {0, 0, 1, 4}; /* PadN of 4 bytes */
	static const uint8_t ll[16] = {0xfe, 0x80, [15] = 1};
	unsigned int o = owner_of(50080);
	const struct ng_trace_rec *rec;
	struct ng_trace_view v;
	struct tb_frame in, out;

	(void)state;
	ng_test_gw_reset(&gw);
	tcp_in(&in, P0, CLIENT, 50080, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	step("SYN", o, &in, NG_TV_TX(P1), &out);
	stage_pkts(o, 0, 1);
	assert_int_equal(ng_trace_add(gw.dp, 1, -1), 0);
	tcp_in(&in, P0, CLIENT, 50080, VIP_WEB, 80, RTE_TCP_ACK_FLAG);
	step("ACK", o, &in, NG_TV_TX(P1), &out);
	stage_pkts(o, 0, 1);
	ng_trace_view(gw.dp, o, &v);
	assert_int_equal(v.n, 1);
	rec = &v.rec[0];
	assert_int_equal(rec->n_steps, 3);
	assert_int_equal(rec->steps[0].stage, NG_STAGE_PARSE);
	assert_int_equal(rec->steps[0].edge, NG_PARSE_NEXT_LB6);
	assert_int_equal(rec->steps[1].stage, NG_STAGE_LB6);
	assert_int_equal(rec->steps[1].edge, NG_LB6_NEXT_FORWARD);
	assert_int_equal(rec->steps[2].stage, NG_STAGE_FORWARD6);
	assert_int_equal(rec->steps[2].edge, NG_FORWARD6_NEXT_OUTPUT);
	/* the record's headers and connection, in IPv6 */
	assert_true(rec->before.have & NG_TRACE_HAVE_IP6);
	assert_false(rec->before.have & NG_TRACE_HAVE_IP4);
	tb_assert_addr6(rec->before.src.v6, CLIENT);
	tb_assert_addr6(rec->before.dst.v6, VIP_WEB);
	assert_int_equal(rec->before.sport, 50080);
	assert_int_equal(rec->before.dport, 80);
	assert_int_equal(rec->before.proto, IPPROTO_TCP);
	assert_int_equal(rec->before.tcp_flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(rec->before.ip_len, sizeof(struct rte_ipv6_hdr) +
			rte_be_to_cpu_16(tb_ip6_hdr(&in)->payload_len));
	assert_int_equal(rec->conn.how, NG_TRACE_CONN_ORIG);
	assert_int_equal(rec->conn.family, AF_INET6);
	tb_assert_addr6(rec->after.src.v6, tb_ip6_hdr(&out)->src_addr);
	tb_assert_addr6(rec->after.dst.v6, tb_ip6_hdr(&out)->dst_addr);
	tb_assert_addr6(rec->conn.backend.v6, tb_ip6_hdr(&out)->dst_addr);
	assert_int_equal(rec->after.ttl, tb_ip6_hdr(&in)->hop_limits - 1);
	ng_trace_clear(gw.dp);

	ext_in(&in, IPPROTO_DSTOPTS, dstopts);
	step("ACK behind destination options", o, &in, NG_TV_TX(P1), &out);
	stage_pkts(o, 1, 1);
	tcp_in(&in, P0, CLIENT, 50080, VIP_WEB, 80, RTE_TCP_ACK_FLAG);
	tb_set_hops(&in, 1);
	step("ACK with hop limit 1", o, &in, NG_TV_REFUSE(P0, TTL_EXPIRED), &out);
	stage_pkts(o, 1, 1);
	tcp_in(&in, P0, CLIENT, 50080, ll, 80, RTE_TCP_ACK_FLAG);
	step("ACK to a link-local address", o, &in, NG_TV_DROP(IPV6), NULL);
	stage_pkts(o, 1, 0);
	tb_eth(&in, &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_udp6(&in, CLIENT, 50080, VIP_DNS, 53, 8);
	step("UDP", o, &in, NG_TV_TX(P1), &out);
	stage_pkts(o, 0, 1);
	assert_int_equal(conn6(o, IPPROTO_TCP, 50080, VIP_WEB, 80)->pkts, 3);
}

/*
 * TCP behind an extension header: lb6 finds its ports where ip6-parse's walk
 * ended (l3_len 48), so the SYN creates the same connection a packet without
 * the header would, its ports and checksum are rewritten there, and the header
 * travels as it came; a fragment (fragment header, M set) to the VIP is
 * dropped. (Without extension headers lb6 reads the upper layer from the fixed
 * header alone.)
 */
static void
ext_headers6(void **state)
{
	static const uint8_t dstopts[8] = {0, 0, 1, 4}; /* PadN of 4 bytes */
	static const uint8_t frag[8] = {0, 0, 0, 1, 0, 0, 0x12, 0x34}; /* offset 0, M */
	unsigned int o = owner_of(50070);
	struct tb_frame in, out;
	uint8_t ext[8];

	(void)state;
	ng_test_gw_reset(&gw);
	tcp_in(&in, P0, CLIENT, 50070, VIP_WEB, 80, RTE_TCP_SYN_FLAG);
	ext_in(&in, IPPROTO_DSTOPTS, dstopts);
	step("SYN behind destination options", o, &in, NG_TV_TX(P1), &out);
	assert_int_equal(tb_ip6_hdr(&out)->proto, IPPROTO_DSTOPTS);
	ext_out(&out, ext);
	assert_int_equal(ext[0], IPPROTO_TCP);
	assert_memory_equal(ext + 1, dstopts + 1, 7);
	assert_int_equal(rte_be_to_cpu_16(tcp_of(&out)->dst_port), 8080);
	pool6_index(tb_ip6_hdr(&out)->src_addr);
	tb_check_l4_cksum6(&out);
	tcp_in(&in, P0, CLIENT, 50070, VIP_WEB, 80, RTE_TCP_ACK_FLAG);
	step("ACK without it", o, &in, NG_TV_TX(P1), &out);
	assert_int_equal(rte_be_to_cpu_16(tcp_of(&out)->dst_port), 8080);
	assert_int_equal(conn6(o, IPPROTO_TCP, 50070, VIP_WEB, 80)->pkts, 2);

	/* 24 bytes behind the fragment header: an M fragment carries a multiple of 8 */
	tb_eth(&in, &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_tcp6(&in, CLIENT, 50071, VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1000, 0, 4);
	in.port = P0;
	ext_in(&in, IPPROTO_FRAGMENT, frag);
	/* a fragment waits for its datagram in ip6-reass (test_frag6): nothing out,
	 * no connection from its first 24 bytes */
	{
		struct ng_worker *w = gw.dp->workers[owner_of(50071)];
		uint64_t held = w->reass->held;

		ng_test_gw_reset(&gw);
		ng_test_gw_rx(&gw, owner_of(50071), &in);
		assert_int_equal(w->reass->held, held + 1);
		assert_null(conn6(owner_of(50071), IPPROTO_TCP, 50071, VIP_WEB, 80));
	}
}

/* Index of dst's slot in worker w's IPv6 FIB cache, or -1. */
static int
fib6_slot(const struct ng_worker *w, const uint8_t dst[16])
{
	for (unsigned int i = 0; i < NG_W_FIB6_SLOTS; i++)
		if (w->fib6_cache[i].used && memcmp(w->fib6_cache[i].dst, dst, 16) == 0)
			return (int)i;
	return -1;
}

/* Index of next hop via's slot in worker w's IPv6 neighbour cache, or -1. */
static int
neigh6_slot(const struct ng_worker *w, const uint8_t via[16])
{
	for (unsigned int i = 0; i < NG_W_NEIGH6_SLOTS; i++)
		if (w->neigh_cache6[i].word != NULL && memcmp(w->neigh_cache6[i].via, via, 16) == 0)
			return (int)i;
	return -1;
}

/* The worker that owns routed TCP to dst:80 (while there are DNAT services). */
static unsigned int
owner_dst(const uint8_t dst[16])
{
	return (unsigned int)(ng_hash_client6(dst, rte_cpu_to_be_16(80)) % NWORKERS);
}

/* A TCP ACK from CLIENT to dst:80 (routed) on worker 0, which owns it: out on p1. */
static void
routed_to(const uint8_t dst[16])
{
	struct tb_frame in, out;

	tcp_in(&in, P0, CLIENT, 50060, dst, 80, RTE_TCP_ACK_FLAG);
	step("routed", 0, &in, NG_TV_TX(P1), &out);
	tb_assert_addr6(tb_ip6_hdr(&out)->dst_addr, dst);
}

/*
 * Addresses 2001:db8:<sub>::7:k owned by worker 0 (each with a static
 * neighbour on p1 when neigh is set; slot() finds an address's slot once a
 * packet went to it, fresh() empties the cache) until two share a set with
 * the first, a[0]: those are a[1] and a[2]. No address on the way evicts
 * a[0], as one in its slot of a direct-mapped cache would.
 */
static void
same_set(uint8_t sub, bool neigh, int (*slot)(const struct ng_worker *, const uint8_t *),
		void (*fresh)(struct ng_worker *), uint8_t a[3][16])
{
	struct ng_worker *w = gw.dp->workers[0];
	unsigned int found = 0;
	int set = -1;

	for (unsigned int k = 1; k < 4096 && found < 3; k++) {
		uint8_t d[16] = {DB8, 0, sub, [13] = 7, [14] = (uint8_t)(k >> 8), [15] = (uint8_t)k};
		struct ng_ip b = ip6(d);
		int s;

		if (owner_dst(d) != 0)
			continue;
		if (neigh)
			ok(ng_route_neigh_add(&gw.rt, &b, &be_mac, "p1", err, sizeof(err)));
		fresh(w);
		if (found > 0)
			routed_to(a[0]);
		routed_to(d);
		s = slot(w, d);
		assert_true(s >= 0);
		if (found > 0)
			assert_true(slot(w, a[0]) >= 0);
		if (set < 0)
			set = s / 2;
		if (s / 2 == set)
			memcpy(a[found++], d, 16);
		else if (neigh)
			ok(ng_route_neigh_del(&gw.rt, &b, "p1", err, sizeof(err)));
	}
	assert_int_equal(found, 3);
}

/* a[0] and a[1] stay cached side by side; a[2] takes the older one's way. */
static void
two_ways(int (*slot)(const struct ng_worker *, const uint8_t *),
		void (*fresh)(struct ng_worker *), uint8_t a[3][16])
{
	struct ng_worker *w = gw.dp->workers[0];

	fresh(w);
	routed_to(a[0]);
	routed_to(a[1]);
	routed_to(a[0]);
	routed_to(a[1]);
	assert_true(slot(w, a[0]) >= 0);
	assert_true(slot(w, a[1]) >= 0);
	routed_to(a[2]);
	assert_int_equal(slot(w, a[0]), -1);
	assert_true(slot(w, a[1]) >= 0);
	assert_true(slot(w, a[2]) >= 0);
}

static void
fib6_fresh(struct ng_worker *w)
{
	memset(w->fib6_cache, 0, sizeof(w->fib6_cache));
}

static void
neigh6_fresh(struct ng_worker *w)
{
	memset(w->neigh_cache6, 0, sizeof(w->neigh_cache6));
}

/*
 * The IPv6 FIB and neighbour caches are two-way set-associative: two
 * destinations (next hops) whose hash picks one set are both kept, so 64
 * backends and a VIP do not evict each other as they did from 64 direct-mapped
 * slots (bench.sh's est-1k-v6); a third one in the set replaces the one put
 * there first.
 */
static void
cache_ways6(void **state)
{
	static const uint8_t far[16] = {DB8, 0, 6};
	struct ng_prefix net = {.addr = ip6(far), .len = 64};
	struct ng_ip via = ip6(BE0);
	uint8_t a[3][16];

	(void)state;
	ng_test_gw_reset(&gw);
	ok(ng_route_add(&gw.rt, &net, &via, NULL, err, sizeof(err)));
	same_set(6, false, fib6_slot, fib6_fresh, a);
	two_ways(fib6_slot, fib6_fresh, a);
	ok(ng_route_del(&gw.rt, &net, err, sizeof(err)));
	/* on-link destinations on p1: each its own next hop */
	same_set(1, true, neigh6_slot, neigh6_fresh, a);
	two_ways(neigh6_slot, neigh6_fresh, a);
	for (unsigned int i = 0; i < 3; i++) {
		struct ng_ip b = ip6(a[i]);

		ok(ng_route_neigh_del(&gw.rt, &b, "p1", err, sizeof(err)));
	}
}

/*
 * A service is one family, in every mode (web6 FullNAT, dsr6 DSR: IPv6 DSR
 * carries no IPv4 inside); the sentence names the service.
 */
static void
one_family(void **state)
{
	static const char *const names[] = {"web6", "dsr6"};
	struct ng_ip v4 = {.family = AF_INET, .v4 = tb_ip(198, 18, 1, 20)};
	struct ng_frontend fe = {.addr = {.family = AF_INET, .v4 = tb_ip(198, 19, 0, 9)},
			.port = 80};
	char want[NG_ERRBUF];

	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(names); i++) {
		assert_int_equal(ng_svc_backend_set(names[i], &v4, 80, 1, err, sizeof(err)),
				-EINVAL);
		snprintf(want, sizeof(want), "service \"%s\": backend 198.18.1.20 is IPv4, the "
				"service is IPv6 (a service is one family: make one service per "
				"family)", names[i]);
		assert_string_equal(err, want);
		assert_int_equal(ng_svc_frontend_add(names[i], &fe, err, sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "service \"%s\": frontend 198.19.0.9:80/tcp is IPv4, "
				"the service is IPv6 (a service is one family: make one service per "
				"family)", names[i]);
		assert_string_equal(err, want);
	}
}

/*
 * Source ranges are IPv4 prefixes: an IPv6 service cannot have them. Nothing
 * changes on a refusal. (DSR over IPv6: the dsr_* tests below.)
 */
static void
v4_only_options(void **state)
{
	static const struct ng_prefix v4net = {.addr = {.family = AF_INET,
			.v4 = RTE_BE32(0xc6120000)}, .len = 16};
	struct ng_svc_spec s;

	(void)state;
	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "web6");
	s.proto = IPPROTO_TCP;
	s.scheduler = NG_SCHED_MAGLEV;
	s.mode = NG_FWD_FULLNAT;
	s.n_src_ranges = 1;
	s.src_ranges = &v4net;
	assert_int_equal(ng_svc_update(&s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "service \"web6\": source ranges are IPv4 prefixes and the "
			"service is IPv6 (a service is one family)");
	ok(ng_svc_commit(err, sizeof(err)));
}

/* A client frame on p0: TCP (flags, payload bytes) or, when udp, UDP. */
static void
dsr_client_in(struct tb_frame *f, bool udp, uint16_t cport, uint8_t flags, uint16_t payload)
{
	tb_eth(f, &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	if (udp)
		tb_udp6(f, CLIENT, cport, VIP_UDSR, 53, payload);
	else
		tb_tcp6(f, CLIENT, cport, VIP_DSR, 80, flags, 1000,
				flags & RTE_TCP_ACK_FLAG ? 5000 : 0, payload);
	f->port = P0;
}

/* The flow label the gateway gives the flow: its connection key's hash, folded. */
static uint32_t
dsr_flow_label(bool udp, uint16_t cport)
{
	struct ng_flow_key k;
	hash_sig_t sig = ng_ct_key6(&k, CLIENT, udp ? VIP_UDSR : VIP_DSR,
			rte_cpu_to_be_16(cport), rte_cpu_to_be_16(udp ? 53 : 80),
			udp ? IPPROTO_UDP : IPPROTO_TCP);

	return (sig ^ sig >> 20) & 0xfffff;
}

/*
 * out is in inside an IPv6 header from GW1 to a backend, sent on P1 to the
 * backend's MAC: version 6, the inner traffic class, the flow's label, the
 * payload length the inner packet's, next header 41, hop limit 63 (64 less the
 * gateway's hop); the inner packet is byte for byte what the client sent (its
 * hop limit and flow label too). Returns the backend's last byte.
 */
static uint8_t
check_ip6ip6(struct tb_frame *in, struct tb_frame *out, uint32_t label)
{
	const struct rte_ipv6_hdr *ih = tb_ip6_hdr(in), *oh = tb_ip6_hdr(out);
	uint16_t ilen = (uint16_t)(sizeof(*ih) + rte_be_to_cpu_16(ih->payload_len));
	uint32_t ivtc = rte_be_to_cpu_32(ih->vtc_flow), ovtc = rte_be_to_cpu_32(oh->vtc_flow);

	assert_memory_equal(out->b, &be_mac, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(out->b + RTE_ETHER_ADDR_LEN, &gw.port_mac[P1], RTE_ETHER_ADDR_LEN);
	assert_int_equal(out->port, P1);
	assert_int_equal(out->l2, L2);
	assert_int_equal(out->len, L2 + 40 + ilen);
	assert_int_equal(ovtc >> 28, 6);
	assert_int_equal((ovtc >> 20) & 0xff, (ivtc >> 20) & 0xff);
	assert_int_equal(ovtc & 0xfffff, label);
	assert_int_equal(rte_be_to_cpu_16(oh->payload_len), ilen);
	assert_int_equal(oh->proto, IPPROTO_IPV6);
	assert_int_equal(oh->hop_limits, 63);
	tb_assert_addr6(oh->src_addr, GW1);
	if (memcmp(oh->dst_addr, BE0, 16) != 0)
		tb_assert_addr6(oh->dst_addr, BE1);
	assert_memory_equal(out->b + L2 + 40, (const uint8_t *)ih, ilen);
	return oh->dst_addr[15];
}

/* A client packet of the flow from cport on its owner: encapsulated; returns the backend. */
static uint8_t
dsr_c2s(const char *what, bool udp, uint16_t cport, uint8_t flags, uint16_t payload)
{
	struct tb_frame in, out;

	dsr_client_in(&in, udp, cport, flags, payload);
	step(what, owner_of(cport), &in, NG_TV_TX(P1), &out);
	return check_ip6ip6(&in, &out, dsr_flow_label(udp, cport));
}

/* The conn of a DSR flow: one way, no reply key, to the backend be (last byte). */
static struct ng_conn *
dsr_conn(bool udp, uint16_t cport, uint8_t be)
{
	struct ng_ct *ct = gw.dp->workers[owner_of(cport)]->ct;
	uint8_t proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
	const uint8_t *vip = udp ? VIP_UDSR : VIP_DSR, *bea = be == BE0[15] ? BE0 : BE1;
	uint16_t vport = rte_cpu_to_be_16(udp ? 53 : 80), cp = rte_cpu_to_be_16(cport);
	struct ng_flow_key k;
	struct ng_conn *c;
	bool rep = true;

	ng_ct_key6(&k, CLIENT, vip, cp, vport, proto);
	c = ng_ct_lookup(ct, &k, &rep);
	assert_non_null(c);
	assert_false(rep);
	assert_true(c->flags & NG_CT_F_ONEWAY);
	assert_false(c->flags & NG_CT_F_FULLNAT);
	tb_assert_addr6(c->backend.v6, bea);
	/* What a reply key would be: the backend to the client. Nothing has it. */
	ng_ct_key6(&k, bea, CLIENT, vport, cp, proto);
	assert_null(ng_ct_lookup(ct, &k, &rep));
	return c;
}

static void
dsr_state_is(const struct ng_conn *c, enum ng_ct_state s)
{
	if (c->state != s)
		fail_msg("conn state %d, want %d", c->state, s);
}

/* SYN, the client's ACK, data and FIN: one way, confirmed by the ACK. */
static void
dsr_tcp_flow(void **state)
{
	struct tb_frame in, out;
	struct ng_conn *c;
	uint8_t be;

	(void)state;
	ng_test_gw_reset(&gw);
	be = dsr_c2s("SYN to a DSR VIP", false, 43000, RTE_TCP_SYN_FLAG, 0);
	c = dsr_conn(false, 43000, be);
	dsr_state_is(c, NG_CT_SYN_SENT);
	assert_false(c->flags & NG_CT_F_CONFIRMED);
	assert_int_equal(dsr_c2s("DSR SYN again", false, 43000, RTE_TCP_SYN_FLAG, 0), be);
	assert_false(c->flags & NG_CT_F_CONFIRMED);
	assert_int_equal(dsr_c2s("DSR ACK", false, 43000, RTE_TCP_ACK_FLAG, 0), be);
	dsr_state_is(c, NG_CT_ESTABLISHED);
	assert_true(c->flags & NG_CT_F_CONFIRMED);
	assert_int_equal(dsr_c2s("DSR data", false, 43000, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
			500), be);
	assert_int_equal(c->pkts, 4);

	/* The backend's answer, were it to cross the gateway, is routed as it is. */
	tb_eth(&in, &gw.port_mac[P1], &be_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_tcp6(&in, VIP_DSR, 80, CLIENT, 43000, RTE_TCP_ACK_FLAG, 9001, 1501, 10);
	in.port = P1;
	step("a DSR answer through the gateway: routed", owner_of(43000), &in, NG_TV_TX(P0),
			&out);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.b, &client_mac, RTE_ETHER_ADDR_LEN);
	assert_int_equal(tb_ip6_hdr(&out)->hop_limits, 63);
	assert_memory_equal(out.b + L2 + 8, in.b + L2 + 8, in.len - L2 - 8);
	assert_int_equal(c->pkts, 4);
	assert_false(c->flags & NG_CT_F_REPLIED);

	assert_int_equal(dsr_c2s("DSR FIN", false, 43000, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG,
			0), be);
	dsr_state_is(c, NG_CT_FIN_WAIT);
}

/* A flow whose SYN another gateway saw: picked up ESTABLISHED, same backend. */
static void
dsr_midstream(void **state)
{
	struct ng_conn *c;
	uint8_t be;

	(void)state;
	ng_test_gw_reset(&gw);
	be = dsr_c2s("SYN to a DSR VIP", false, 43100, RTE_TCP_SYN_FLAG, 0);
	ng_ct_delete(gw.dp->workers[owner_of(43100)]->ct, dsr_conn(false, 43100, be));
	assert_int_equal(dsr_c2s("DSR data mid-stream", false, 43100,
			RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 100), be);
	c = dsr_conn(false, 43100, be);
	dsr_state_is(c, NG_CT_ESTABLISHED);
	assert_false(c->flags & NG_CT_F_CONFIRMED);
	assert_int_equal(dsr_c2s("DSR data mid-stream, next segment", false, 43100,
			RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 100), be);
	assert_true(c->flags & NG_CT_F_CONFIRMED);
}

/* UDP: encapsulated, its checksum untouched; the second datagram confirms. */
static void
dsr_udp_flow(void **state)
{
	struct ng_conn *c;
	uint8_t be;

	(void)state;
	ng_test_gw_reset(&gw);
	be = dsr_c2s("UDP to a DSR VIP", true, 43200, 0, 40);
	c = dsr_conn(true, 43200, be);
	dsr_state_is(c, NG_CT_UDP);
	assert_false(c->flags & NG_CT_F_CONFIRMED);
	assert_int_equal(dsr_c2s("UDP again", true, 43200, 0, 60), be);
	assert_true(c->flags & NG_CT_F_CONFIRMED);
}

/*
 * The flow label is the flow's: the same for every packet of one flow (the
 * test's checks compare it with the key's hash), and flows of one client
 * spread over labels, which is what ECMP between gateway and backends hashes.
 */
static void
dsr_flow_labels(void **state)
{
	uint32_t seen[16];
	unsigned int n = 0;

	(void)state;
	ng_test_gw_reset(&gw);
	for (uint16_t p = 43300; p < 43316; p++) {
		uint32_t l = dsr_flow_label(false, p);
		bool dup = false;

		dsr_c2s("SYN to a DSR VIP", false, p, RTE_TCP_SYN_FLAG, 0);
		for (unsigned int i = 0; i < n; i++)
			dup |= seen[i] == l;
		if (!dup)
			seen[n++] = l;
	}
	assert_in_range(n, 15, 16);
}

/* The wrong worker hands the SYN to the owner, which encapsulates it. */
static void
dsr_redirect(void **state)
{
	unsigned int o = owner_of(43400), other = (o + 1) % NWORKERS;
	struct tb_frame in, out;

	(void)state;
	ng_test_gw_reset(&gw);
	dsr_client_in(&in, false, 43400, RTE_TCP_SYN_FLAG, 0);
	step("DSR SYN on the other worker", other, &in, NG_TV_REDIRECT(o), NULL);
	ng_test_gw_rx_redirected(&gw, other, o, P0);
	ng_test_gw_expect(&gw, "DSR SYN on its owner", o, P0, NG_TV_TX(P1));
	ng_test_gw_take(&gw, o, P1, &out);
	dsr_conn(false, 43400, check_ip6ip6(&in, &out, dsr_flow_label(false, 43400)));
}

/*
 * The 40 bytes: a packet that fits the backends' port's MTU (1500) but not
 * with the outer header gets "packet too big" with 1460 from the ingress
 * port's address, quoting it as it came; one of 1460 bytes goes, its traffic
 * class in the outer header.
 */
static void
dsr_too_big(void **state)
{
	struct tb_frame in, out;

	(void)state;
	ng_test_gw_reset(&gw);
	dsr_c2s("SYN to a DSR VIP", false, 43500, RTE_TCP_SYN_FLAG, 0);
	dsr_client_in(&in, false, 43500, RTE_TCP_ACK_FLAG, 1500 - 40 - 40 - 20 + 1);
	step("1461 + 40 bytes: packet too big", owner_of(43500), &in,
			NG_TV_REFUSE(P0, ENCAP6_MTU), &out);
	tb_check_icmp6_error(&in, &out, 2, 0, 1460, GW0);

	dsr_client_in(&in, false, 43500, RTE_TCP_ACK_FLAG, 1500 - 40 - 40 - 20);
	tb_ip6_hdr(&in)->vtc_flow |= rte_cpu_to_be_32(0xb9u << 20); /* EF, ECT(1) */
	step("1460 + 40 bytes: fits", owner_of(43500), &in, NG_TV_TX(P1), &out);
	check_ip6ip6(&in, &out, dsr_flow_label(false, 43500));
	assert_int_equal(out.len, L2 + 1500);
	assert_int_equal(rte_be_to_cpu_32(tb_ip6_hdr(&out)->vtc_flow) >> 20 & 0xff, 0xb9);
}

/*
 * An IPv6 FullNAT service set to mode dsr (the API the CLI, the config and
 * the watcher call): accepted, and its next connection is encapsulated.
 */
static void
dsr_from_fullnat(void **state)
{
	struct ng_frontend fe = {.addr = ip6(VIP_DSR), .port = 8080};
	struct ng_ip b0 = ip6(BE0);
	struct tb_frame in, out;
	struct ng_svc_spec s;

	(void)state;
	ng_test_gw_reset(&gw);
	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "flip6");
	s.proto = IPPROTO_TCP;
	s.scheduler = NG_SCHED_MAGLEV;
	s.mode = NG_FWD_FULLNAT;
	ok(ng_svc_add(&s, err, sizeof(err)));
	ok(ng_svc_frontend_add("flip6", &fe, err, sizeof(err)));
	ok(ng_svc_backend_set("flip6", &b0, 8080, 1, err, sizeof(err)));
	s.mode = NG_FWD_DSR;
	ok(ng_svc_update(&s, err, sizeof(err)));
	ok(ng_svc_commit(err, sizeof(err)));
	tb_eth(&in, &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_tcp6(&in, CLIENT, 43600, VIP_DSR, 8080, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	in.port = P0;
	step("SYN to the service now DSR", owner_of(43600), &in, NG_TV_TX(P1), &out);
	assert_int_equal(tb_ip6_hdr(&out)->proto, IPPROTO_IPV6);
	tb_assert_addr6(tb_ip6_hdr(&out)->dst_addr, BE0);
	assert_memory_equal(out.b + L2 + 40, in.b + L2, in.len - L2);
	ok(ng_svc_del("flip6", err, sizeof(err)));
	ok(ng_svc_commit(err, sizeof(err)));
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(fullnat_flow),
		cmocka_unit_test(redirect),
		cmocka_unit_test(dnat_udp),
		cmocka_unit_test(nodeport),
		cmocka_unit_test(refusals),
		cmocka_unit_test(affinity),
		cmocka_unit_test(spread_by_port),
		cmocka_unit_test(twin_local),
		cmocka_unit_test(confirmed),
		cmocka_unit_test(burst),
		cmocka_unit_test(neigh_cache6),
		cmocka_unit_test(fib6_cache),
		cmocka_unit_test(cache_ways6),
		cmocka_unit_test(ext_headers6),
		cmocka_unit_test(parse_to_lb6),
		cmocka_unit_test(source_ranges6),
		cmocka_unit_test(pool6),
		cmocka_unit_test(one_family),
		cmocka_unit_test(v4_only_options),
		cmocka_unit_test(dsr_tcp_flow),
		cmocka_unit_test(dsr_midstream),
		cmocka_unit_test(dsr_udp_flow),
		cmocka_unit_test(dsr_flow_labels),
		cmocka_unit_test(dsr_redirect),
		cmocka_unit_test(dsr_too_big),
		cmocka_unit_test(dsr_from_fullnat),
	};

	return cmocka_run_group_tests_name("lb6", tests, group_setup, group_teardown);
}
