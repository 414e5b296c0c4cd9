/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-stage fixtures: rule changes under live connections. A removed
 * backend (TCP stays on it, UDP moves at once); a drained one (weight 0).
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lb_fixtures.h"

void
fx_backend_removed(void)
{
	struct flow t = flow_init(IPPROTO_TCP, CLIENT, 40700, VIP_RM, 80, true);
	struct flow u = flow_init(IPPROTO_UDP, CLIENT, 50700, VIP_URM, 53, true);
	struct flow late, nu;
	uint32_t gone;
	struct tb_frame in, out;
	struct ng_conn *c;

	/* TCP: the connection keeps its removed backend until it closes. */
	flow_handshake(&t, 8080);
	c = flow_conn(&t);
	backend_remove("rm", t.be, 8080);
	flow_c2s(&t, "TCP data after its backend was removed", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
			1001, 9001, 50);
	flow_s2c(&t, "TCP data from the removed backend", RTE_TCP_ACK_FLAG, 9001, 1051, 20);
	assert_ptr_equal(flow_conn(&t), c);
	assert_state(c, NG_CT_ESTABLISHED);
	/* New connections never get it. */
	for (uint16_t p = 0; p < 16; p++) {
		struct flow n = flow_init(IPPROTO_TCP, CLIENT, (uint16_t)(40710 + p), VIP_RM, 80,
				true);

		flow_first(&n, "new SYN after the removal", RTE_TCP_SYN_FLAG, 8080);
		assert_int_not_equal(n.be, t.be);
	}

	/* UDP: the next datagram moves to a live backend at once. */
	flow_first(&u, "UDP datagram", 1, 53);
	assert_state(flow_conn(&u), NG_CT_UDP);
	gone = u.be;
	backend_remove("urm", gone, 53);
	nu = flow_init(IPPROTO_UDP, CLIENT, 50700, VIP_URM, 53, true);
	flow_first(&nu, "UDP datagram after its backend was removed", 1, 53);
	assert_int_not_equal(nu.be, gone);
	assert_state(flow_conn(&nu), NG_CT_UDP);
	flow_s2c(&nu, "UDP answer from the new backend", 1, 0, 0, 10);
	/* A late answer from the removed backend is no longer translated. */
	late = u;
	flow_s2c_frame(&late, &in, 1, 0, 0, 10);
	/* The new conn's reply key differs in the backend address (source ports
	 * are handed out per backend, so the port itself may be the same). */
	assert_int_not_equal(late.be, nu.be);
	step("late UDP answer from the removed backend", late.wid, &in, REFUSE(P1, LOCAL_PROTO),
			&out);
	check_port_unreachable(&in, &out, GW1);
}

void
fx_backend_drained(void)
{
	enum { N = 24 };
	struct flow t = flow_init(IPPROTO_TCP, CLIENT, 40800, VIP_DRAIN, 80, true);
	unsigned int hits = 0;

	flow_handshake(&t, 8080);

	/* Before: some of N new flows pick t's backend; close them (RST: CLOSE). */
	for (uint16_t p = 0; p < N; p++) {
		struct flow n = flow_init(IPPROTO_TCP, CLIENT, (uint16_t)(40810 + p), VIP_DRAIN, 80,
				true);

		flow_first(&n, "SYN before draining", RTE_TCP_SYN_FLAG, 8080);
		hits += n.be == t.be;
		flow_c2s(&n, "RST before draining", RTE_TCP_RST_FLAG, 1001, 0, 0);
		assert_state(flow_conn(&n), NG_CT_CLOSE);
	}
	assert_true(hits > 0);

	backend_weight("drain", t.be, 8080, 0);
	/* The existing connection stays on the drained backend. */
	flow_c2s(&t, "data to the drained backend", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1001, 9001,
			10);
	flow_s2c(&t, "data from the drained backend", RTE_TCP_ACK_FLAG, 9001, 1011, 10);
	assert_state(flow_conn(&t), NG_CT_ESTABLISHED);
	/* The same N flows again, fresh: never the drained backend. */
	for (uint16_t p = 0; p < N; p++) {
		struct flow n = flow_init(IPPROTO_TCP, CLIENT, (uint16_t)(40810 + p), VIP_DRAIN, 80,
				true);

		flow_first(&n, "SYN after draining", RTE_TCP_SYN_FLAG, 8080);
		assert_int_not_equal(n.be, t.be);
		assert_state(flow_conn(&n), NG_CT_SYN_SENT);
	}
}
