/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-stage fixtures: source ranges (loadBalancerSourceRanges). A new
 * connection from a client inside a service's ranges is served; one from
 * outside is dropped without an answer (no RST, no ICMP) and counted under
 * src_range on the ingress port and per service. A service without ranges
 * serves everyone. Changing the ranges does not cut established connections.
 *
 * CLIENT (198.18.0.2) is inside the ranges set here, client2 (198.18.0.x)
 * outside. Neither service has affinity: each flow is dropped by the worker
 * that owns it by its client end (owner_of_flow()).
 */
#include <rte_tcp.h>

#include "lb_fixtures.h"

static const char *const inside[] = {"10.0.0.0/8", "198.18.0.2/32"};

void
fx_src_ranges_tcp(void)
{
	static const char *const only_10[] = {"10.0.0.0/8"};
	static const char *const any[] = {"0.0.0.0/0"};
	struct flow in_fl = flow_init(IPPROTO_TCP, CLIENT, 42000, VIP_RWEB, 80, true);
	struct flow web = flow_init(IPPROTO_TCP, client2, 42001, VIP_WEB, 80, true);
	struct flow late = flow_init(IPPROTO_TCP, client2, 42003, VIP_RWEB, 80, true);
	struct flow again;
	unsigned int o2 = owner_of_flow(client2, 42002);
	uint64_t dropped;
	struct tb_frame in;
	bool rep;

	svc_src_ranges("rweb", inside, RTE_DIM(inside));
	dropped = svc_src_dropped("rweb");

	flow_handshake(&in_fl, 8080);
	assert_int_equal(svc_src_dropped("rweb"), dropped);

	tcp4(&in, P0, client2, 42002, VIP_RWEB, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN from outside the source ranges", o2, &in, DROP(SRC_RANGE), NULL);
	assert_null(conn_lookup(o2, IPPROTO_TCP, client2, 42002, VIP_RWEB, 80, &rep));
	tcp4(&in, P0, client2, 42002, VIP_RWEB, 80, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1001,
			5000, 20);
	step("data from outside, no connection (no mid-stream pick-up)", o2, &in,
			DROP(SRC_RANGE), NULL);
	assert_null(conn_lookup(o2, IPPROTO_TCP, client2, 42002, VIP_RWEB, 80, &rep));
	assert_int_equal(svc_src_dropped("rweb"), dropped + 2);

	/* A service without ranges: the same client is served. */
	flow_first(&web, "SYN from the same client to a service without ranges",
			RTE_TCP_SYN_FLAG, 8080);
	assert_int_equal(svc_src_dropped("web"), 0);

	/* CLIENT leaves the ranges: its established connection keeps flowing,
	 * its new ones are dropped. */
	svc_src_ranges("rweb", only_10, RTE_DIM(only_10));
	flow_c2s(&in_fl, "data of a connection established before the change",
			RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1001, 9001, 40);
	flow_s2c(&in_fl, "its answer", RTE_TCP_ACK_FLAG, 9001, 1041, 10);
	tcp4(&in, P0, CLIENT, 42004, VIP_RWEB, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("new SYN from the client the change left outside", own(42004), &in,
			DROP(SRC_RANGE), NULL);
	assert_int_equal(svc_src_dropped("rweb"), dropped + 3);

	/* 0.0.0.0/0 lets everyone in; so does removing the ranges. */
	svc_src_ranges("rweb", any, RTE_DIM(any));
	flow_first(&late, "SYN from client2 with 0.0.0.0/0", RTE_TCP_SYN_FLAG, 8080);
	svc_src_ranges("rweb", NULL, 0);
	again = flow_init(IPPROTO_TCP, CLIENT, 42005, VIP_RWEB, 80, true);
	flow_first(&again, "SYN once the ranges are gone", RTE_TCP_SYN_FLAG, 8080);
	assert_int_equal(svc_src_dropped("rweb"), dropped + 3);
}

void
fx_src_ranges_udp(void)
{
	struct flow in_fl = flow_init(IPPROTO_UDP, CLIENT, 52000, VIP_RDNS, 53, true);
	struct flow dns = flow_init(IPPROTO_UDP, client2, 52001, VIP_DNS, 53, true);
	unsigned int o2 = owner_of_flow(client2, 52002);
	uint64_t dropped, refused;
	struct tb_frame in;
	bool rep;

	svc_src_ranges("rdns", inside, RTE_DIM(inside));
	dropped = svc_src_dropped("rdns");
	refused = svc_refused("rdns");

	flow_first(&in_fl, "UDP from inside the source ranges", 1, 5353);
	flow_s2c(&in_fl, "its answer", 1, 0, 0, 12);

	udp4(&in, P0, client2, 52002, VIP_RDNS, 53, 40, true);
	step("UDP from outside: no ICMP port unreachable", o2, &in, DROP(SRC_RANGE), NULL);
	assert_null(conn_lookup(o2, IPPROTO_UDP, client2, 52002, VIP_RDNS, 53, &rep));
	assert_int_equal(svc_src_dropped("rdns"), dropped + 1);
	assert_int_equal(svc_refused("rdns"), refused);

	flow_first(&dns, "UDP from the same client to a service without ranges", 1, 5353);
	assert_int_equal(svc_src_dropped("dns"), 0);
	svc_src_ranges("rdns", NULL, 0);
}
