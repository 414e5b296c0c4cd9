/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FullNAT sources and flow ownership (issue 17, defects 5 and 6), on the
 * service fixtures' topology (lb_fixtures.h) with two workers, a FullNAT
 * source pool on p1 and a range of 1,024 source ports (512 per worker and
 * address):
 *
 *   p0  198.18.0.1/24   clients; backend 198.18.0.50 (no pool on p0)
 *   p1  198.18.1.1/24   backends 198.18.1.11, .12, .13
 *       fullnat_addresses 198.18.1.100, .101, .102
 *
 * - The source port cursor starts at a random port, drawn with rte_rand()
 *   (seeded at each start): two compiles under one seed start alike, under
 *   two seeds apart, and many compiles spread over the range.
 * - One backend behind p1 takes three addresses' worth of source ports; one
 *   behind p0 (no pool) runs out after one address's worth. Replies to every
 *   pool address come back to the owner; the gateway answers ARP for them.
 * - One client address: a service without affinity spreads its flows over
 *   both workers by the client's port; an affinity service keeps them on the
 *   address's owner; DNAT replies reach the request's owner either way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_random.h>
#include <rte_tcp.h>

#include "lb_fixtures.h"
#include "svc_dp.h"

struct ng_test_gw gw;
unsigned int owner, other;
uint32_t client2;

#define PORT_MIN 40000
#define PORT_MAX 41023 /* 1,024 ports: 512 per worker */
#define POOL0 tb_ip(198, 18, 1, 100)
#define N_POOL 3
#define BE_P0 tb_ip(198, 18, 0, 50)
#define VIP_ONE tb_ip(198, 19, 0, 30)   /* fullnat, one backend behind p1 (pool) */
#define VIP_NOPOOL tb_ip(198, 19, 0, 31) /* fullnat, one backend behind p0 (no pool) */
#define VIP_AFF tb_ip(198, 19, 0, 32)   /* fullnat, ClientIP affinity */
#define VIP_DAFF tb_ip(198, 19, 0, 33)  /* dnat, ClientIP affinity */

static uint32_t
pool_addr(unsigned int i)
{
	return tb_ip(198, 18, 1, (uint8_t)(100 + i));
}

/* A service of one TCP VIP:80 to backends be[0..n) port 8080. */
static void
service(const char *name, enum ng_fwd_mode mode, bool affinity, uint32_t vip,
		const uint32_t *be, unsigned int n)
{
	struct ng_svc_spec s = {.proto = IPPROTO_TCP, .scheduler = NG_SCHED_MAGLEV, .mode = mode,
		.affinity = affinity};
	struct ng_frontend fe = {.addr = {.family = AF_INET, .v4 = vip}, .port = 80};
	char err[NG_ERRBUF] = "";

	snprintf(s.name, sizeof(s.name), "%s", name);
	svc_or_fail(ng_svc_add(&s, err, sizeof(err)), err);
	svc_or_fail(ng_svc_frontend_add(name, &fe, err, sizeof(err)), err);
	for (unsigned int i = 0; i < n; i++) {
		struct ng_ip a = {.family = AF_INET, .v4 = be[i]};

		svc_or_fail(ng_svc_backend_set(name, &a, 8080, 1, err, sizeof(err)), err);
	}
	svc_or_fail(ng_svc_commit(err, sizeof(err)), err);
}

static void
service_del(const char *name)
{
	char err[NG_ERRBUF] = "";

	svc_or_fail(ng_svc_del(name, err, sizeof(err)), err);
	svc_or_fail(ng_svc_commit(err, sizeof(err)), err);
}

/*
 * A SYN from CLIENT:cport to vip:80 received by worker 0, handed to its
 * owner want (over the redirect ring when that is worker 1). Returns the
 * worker that handled it; *out gets the frame it sent toward the backend
 * (want_drop: nothing sent, the drop counted instead).
 */
static unsigned int
syn_to(uint32_t vip, uint16_t cport, unsigned int want, struct tb_frame *out, bool want_drop)
{
	struct ng_test_verdict v = want_drop ? DROP(NAT_NO_PORT) : TX(P1);
	struct tb_frame in;

	tcp4(&in, P0, CLIENT, cport, vip, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	if (want == 0) {
		step("SYN on its owner", 0, &in, v, out);
		return 0;
	}
	step("SYN on the non-owner", 0, &in, REDIRECT(want), NULL);
	step_redirected("SYN handed to its owner", 0, want, P0, v, out);
	return want;
}

/*
 * The source port (host order) of the first SYN to a service compiled just
 * now with backend bi, from a client port of worker 0's never used before
 * (an existing connection would keep its port; a connection to the same
 * backend holding the drawn port would move the cursor on).
 */
static uint16_t
first_lport(const char *name, unsigned int bi)
{
	static uint16_t cport = 20000;
	const uint32_t be[1] = {be_addr(bi)};
	struct tb_frame out;
	uint16_t lport;

	while (owner_of_flow(CLIENT, ++cport) != 0)
		;
	service(name, NG_FWD_FULLNAT, false, VIP_ONE, be, 1);
	syn_to(VIP_ONE, cport, 0, &out, false);
	lport = rte_be_to_cpu_16(((const uint16_t *)tb_l4(&out))[0]);
	service_del(name);
	return lport;
}

/* Defect 5: the cursor starts at a random port, drawn anew at each start. */
static void
test_cursor_start(void **state)
{
	uint16_t a, b, c, lp[16], lo = UINT16_MAX, hi = 0;
	unsigned int distinct = 0;

	(void)state;
	rte_srand(1);
	a = first_lport("seeded", 0);
	rte_srand(1);
	b = first_lport("seeded", 1);
	rte_srand(2);
	c = first_lport("seeded", 2);
	assert_int_equal(a, b); /* the draw is the seed's: one seed, one start */
	assert_int_not_equal(a, c);
	for (unsigned int i = 0; i < RTE_DIM(lp); i++) {
		bool seen = false;

		lp[i] = first_lport("spread", i % N_BACKENDS);
		assert_in_range(lp[i], PORT_MIN, PORT_MAX);
		for (unsigned int j = 0; j < i; j++)
			seen |= lp[j] == lp[i];
		distinct += !seen;
		lo = RTE_MIN(lo, lp[i]);
		hi = RTE_MAX(hi, lp[i]);
	}
	/* A fixed start gives one port 16 times; random ones spread over the range. */
	if (distinct < 12 || hi - lo < (PORT_MAX - PORT_MIN) / 4)
		fail_msg("first ports of 16 compiles: %u distinct in %u..%u", distinct, lo, hi);
}

/* The backend's SYN-ACK to snat:lport on the non-owner: redirected, then back to the client. */
static void
reply_through(uint32_t snat, uint16_t lport, uint16_t cport, unsigned int wid)
{
	struct tb_frame in, out;

	tcp4(&in, P1, be_addr(0), 8080, snat, lport, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9000,
			1001, 0);
	step("SYN-ACK to a pool address on the non-owner", 1 - wid, &in, REDIRECT(wid), NULL);
	step_redirected("SYN-ACK to a pool address, owner", 1 - wid, wid, P1, TX(P0), &out);
	check_nat_fwd(&in, &out, P0, VIP_ONE, 80, CLIENT, cport);
}

/*
 * Defect 5: 1,300 connections to one backend (about 650 per worker, more
 * than one address's 512 ports) all get a source through the pool, unique,
 * on every pool address, each port owned by its worker; the same load to a
 * backend without a pool runs out of ports.
 */
static void
test_pool(void **state)
{
	static uint8_t used[N_POOL][PORT_MAX - PORT_MIN + 1];
	const uint32_t be1[1] = {be_addr(0)}, be0[1] = {BE_P0};
	unsigned int per_addr[N_POOL] = {0}, dropped = 0;

	(void)state;
	memset(used, 0, sizeof(used));
	service("one", NG_FWD_FULLNAT, false, VIP_ONE, be1, 1);
	for (uint16_t i = 0; i < 1300; i++) {
		uint16_t cport = (uint16_t)(10000 + i), lport;
		unsigned int wid = owner_of_flow(CLIENT, cport), a;
		struct tb_frame out;
		const struct rte_ipv4_hdr *oh;

		syn_to(VIP_ONE, cport, wid, &out, false);
		oh = tb_ip4_hdr(&out);
		lport = rte_be_to_cpu_16(((const uint16_t *)tb_l4(&out))[0]);
		a = rte_be_to_cpu_32(oh->src_addr) - rte_be_to_cpu_32(POOL0);
		if (a >= N_POOL)
			fail_msg("SYN %u: source %08x is not a pool address", i, oh->src_addr);
		assert_in_range(lport, PORT_MIN, PORT_MAX);
		assert_int_equal(lport % NWORKERS, wid);
		if (used[a][lport - PORT_MIN]++)
			fail_msg("SYN %u: source %u:%u handed out twice", i, a, lport);
		per_addr[a]++;
		if (i < 3 * N_POOL || a != 0)
			continue;
		reply_through(oh->src_addr, lport, cport, wid);
	}
	for (unsigned int a = 0; a < N_POOL; a++)
		if (per_addr[a] < 100)
			fail_msg("pool address %u took %u of 1300 connections", a, per_addr[a]);
	service_del("one");

	/* p0 has no pool: its one address has 512 ports per worker. */
	service("nopool", NG_FWD_FULLNAT, false, VIP_NOPOOL, be0, 1);
	for (uint16_t i = 0; i < 1300; i++) {
		uint16_t cport = (uint16_t)(10000 + i);
		unsigned int wid = owner_of_flow(CLIENT, cport);
		struct tb_frame in, out;

		tcp4(&in, P0, CLIENT, cport, VIP_NOPOOL, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
		if (wid != 0)
			step("SYN on the non-owner", 0, &in, REDIRECT(wid), NULL);
		if (wid != 0)
			ng_test_gw_rx_redirected(&gw, 0, wid, P0);
		else
			ng_test_gw_rx(&gw, 0, &in);
		if (gw.dp->workers[wid]->stats.port[P0].drop[NG_DROP_NAT_NO_PORT] == 1) {
			dropped++;
			continue;
		}
		ng_test_gw_expect(&gw, "SYN to the backend without a pool", wid, P0, TX(P0));
		ng_test_gw_take(&gw, wid, P0, &out);
		tb_assert_addr(tb_ip4_hdr(&out)->src_addr, GW0);
	}
	/* 1,300 connections, 2 x 512 ports: at least 276 dropped. */
	if (dropped < 1300 - 2 * 512)
		fail_msg("without a pool: %u of 1300 SYNs dropped for want of a port", dropped);
	service_del("nopool");
}

/* The gateway answers ARP for its FullNAT addresses (on p1). */
static void
test_pool_arp(void **state)
{
	struct tb_frame in, out;

	(void)state;
	for (unsigned int i = 0; i < N_POOL; i++) {
		const struct rte_arp_hdr *arp;

		arp_request4(&in, be_addr(0), pool_addr(i));
		in.port = P1;
		step("ARP request for a pool address", 0, &in, TX(P1), &out);
		arp = (const struct rte_arp_hdr *)(out.b + L2);
		assert_int_equal(arp->arp_opcode, rte_cpu_to_be_16(RTE_ARP_OP_REPLY));
		assert_int_equal(arp->arp_data.arp_sip, pool_addr(i));
		assert_memory_equal(&arp->arp_data.arp_sha, &gw.port_mac[P1], 6);
	}
}

/*
 * Defect 6: 1,000 connections from one client address to a service without
 * affinity: each worker owns 40-60% of them, none dropped; to an affinity
 * service, every one is the address's owner's.
 */
static void
test_spread(void **state)
{
	const uint32_t be[N_BACKENDS] = {be_addr(0), be_addr(1), be_addr(2)};
	unsigned int on[NWORKERS] = {0};

	(void)state;
	service("spread", NG_FWD_FULLNAT, false, VIP_ONE, be, N_BACKENDS);
	service("aff", NG_FWD_FULLNAT, true, VIP_AFF, be, N_BACKENDS);
	for (uint16_t i = 0; i < 1000; i++) {
		uint16_t cport = (uint16_t)(30000 + i);
		struct tb_frame out;

		on[syn_to(VIP_ONE, cport, owner_of_flow(CLIENT, cport), &out, false)]++;
	}
	if (on[0] < 400 || on[0] > 600)
		fail_msg("1000 flows of one client address: worker 0 owns %u, worker 1 %u", on[0],
				on[1]);
	for (unsigned int w = 0; w < NWORKERS; w++) {
		assert_int_equal(gw.dp->workers[w]->stats.port[P0].drop[NG_DROP_NAT_NO_PORT], 0);
		assert_int_equal(ng_test_gw_drops(&gw, w), 0);
	}
	for (uint16_t i = 0; i < 200; i++) {
		struct tb_frame out;

		syn_to(VIP_AFF, (uint16_t)(30000 + i), owner, &out, false);
	}
	service_del("spread");
	service_del("aff");
}

/* A DNAT conversation's SYN and the backend's SYN-ACK both on worker want. */
static void
dnat_pair(uint32_t vip, uint16_t cport, unsigned int want)
{
	struct tb_frame in, out;
	uint32_t be;

	syn_to(vip, cport, want, &out, false);
	be = tb_ip4_hdr(&out)->dst_addr;
	tcp4(&in, P1, be, 8080, CLIENT, cport, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9000, 1001, 0);
	if (want != 1) {
		step("DNAT SYN-ACK on the non-owner", 1, &in, REDIRECT(want), NULL);
		step_redirected("DNAT SYN-ACK handed over", 1, want, P1, TX(P0), &out);
	} else {
		step("DNAT SYN-ACK on the owner", 1, &in, TX(P0), &out);
	}
	check_nat_fwd(&in, &out, P0, vip, 80, CLIENT, cport);
}

/*
 * Defect 6, DNAT: a reply mirrors its request's client end, so DNAT flows
 * spread by it too; while a DNAT service has affinity, a reply cannot tell
 * its service, and every DNAT flow goes by the client address.
 */
static void
test_dnat_owner(void **state)
{
	const uint32_t be[N_BACKENDS] = {be_addr(0), be_addr(1), be_addr(2)};
	unsigned int on[NWORKERS] = {0};

	(void)state;
	service("dspread", NG_FWD_DNAT, false, VIP_DWEB, be, N_BACKENDS);
	for (uint16_t i = 0; i < 64; i++) {
		uint16_t cport = (uint16_t)(50000 + i);
		unsigned int wid = owner_of_flow(CLIENT, cport);

		on[wid]++;
		dnat_pair(VIP_DWEB, cport, wid);
	}
	assert_true(on[0] > 0 && on[1] > 0);
	service("daff", NG_FWD_DNAT, true, VIP_DAFF, be, N_BACKENDS);
	for (uint16_t i = 0; i < 16; i++) {
		dnat_pair(VIP_DWEB, (uint16_t)(51000 + i), owner);
		dnat_pair(VIP_DAFF, (uint16_t)(52000 + i), owner);
	}
	service_del("daff");
	service_del("dspread");
}

static int
teardown_each(void **state)
{
	(void)state;
	assert_int_equal(ng_test_gw_release(&gw), 0);
	return 0;
}

static int
group_setup(void **state)
{
	(void)state;
	if (lb_gw_up_with("fullnat", "198.18.1.100,198.18.1.101,198.18.1.102", PORT_MIN,
			PORT_MAX) != 0 || add_neighbour(P0, BE_P0) != 0)
		return -1;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_cursor_start, teardown_each),
		cmocka_unit_test_teardown(test_pool, teardown_each),
		cmocka_unit_test_teardown(test_pool_arp, teardown_each),
		cmocka_unit_test_teardown(test_spread, teardown_each),
		cmocka_unit_test_teardown(test_dnat_owner, teardown_each),
	};

	return cmocka_run_group_tests(tests, group_setup, lb_gw_down);
}
