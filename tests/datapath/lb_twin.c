/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-stage fixtures with kernel twins on both ports (lib/twin): traffic
 * to a gateway address that no connection and no NodePort takes goes to the
 * kernel, on the flow's owner; NodePort, VIP and FullNAT reply traffic never
 * does (ng_test_gw_expect() checks every punt ring at every step), and
 * refusals for VIPs stay refusals.
 */
#include <string.h>

#include <rte_tcp.h>

#include "lb_fixtures.h"

/* The frame punted is the frame that came in. */
static void
check_same(const struct tb_frame *in, const struct tb_frame *out)
{
	assert_int_equal(out->port, in->port);
	assert_int_equal(out->len, in->len);
	assert_memory_equal(out->b, in->b, in->len);
}

/* Kernel twins on both ports, their buckets as good as unlimited, or none. */
static void
twins(bool on)
{
	for (unsigned int p = 0; p < NPORTS; p++)
		ng_test_gw_twin(&gw, p, on ? 1 : 0, UINT64_C(1) << 40);
}

void
fx_twin(void)
{
	struct flow np = flow_init(IPPROTO_TCP, CLIENT, 40800, GW0, NODE_PORT, true);
	struct flow web = flow_init(IPPROTO_TCP, CLIENT, 40801, VIP_WEB, 80, true);
	struct flow dns = flow_init(IPPROTO_UDP, CLIENT, 50800, VIP_DNS, 53, true);
	struct tb_frame in, out;

	twins(true);
	flow_handshake(&np, 8080);
	flow_s2c(&np, "NodePort data from the backend", RTE_TCP_ACK_FLAG, 9001, 1001, 64);
	flow_handshake(&web, 8080);
	flow_first(&dns, "UDP to a VIP", 1, 5353);
	flow_s2c(&dns, "UDP reply", 1, 0, 0, 20);

	/* SSH to the gateway: the kernel's, on the client's owner */
	tcp4(&in, P0, CLIENT, 40802, GW0, 22, RTE_TCP_SYN_FLAG, 10, 0, 0);
	step("SYN to the gateway's port 22", own(40802), &in, PUNT, &out);
	check_same(&in, &out);
	/* No frontend takes port 22: the worker that received it punts it itself
	 * (it keeps no state), rather than filling the owner's redirect ring. */
	step("the same SYN on the other worker", 1 - own(40802), &in, PUNT, &out);
	check_same(&in, &out);
	/* UDP to the other port's address, and a FullNAT-range port with no connection */
	udp4(&in, P0, CLIENT, 50801, GW1, 161, 10, true);
	step("UDP to port 1's address", own(50801), &in, PUNT, &out);
	check_same(&in, &out);
	tcp4(&in, P1, be_addr(0), 8080, GW1, (uint16_t)(60000 + owner), RTE_TCP_ACK_FLAG, 1, 1, 0);
	step("a backend's segment for no connection", owner, &in, PUNT, &out);
	check_same(&in, &out);

	/* service addresses are never the kernel's */
	tcp4(&in, P0, CLIENT, 40803, VIP_WEB, 81, RTE_TCP_SYN_FLAG, 4242, 0, 0);
	step("SYN to web's VIP, port 81", own(40803), &in, REFUSE(P0, SVC_NO_FRONTEND), &out);
	check_rst(&in, &out);
	tcp4(&in, P0, CLIENT, 40804, VIP_EMPTY, 80, RTE_TCP_SYN_FLAG, 77, 0, 0);
	step("SYN to a service without backends", own(40804), &in, REFUSE(P0, SVC_NO_BACKEND), &out);
	check_rst(&in, &out);
	icmp_echo4(&in, CLIENT, VIP_WEB, 8);
	step("ICMP echo to a VIP: nodegw answers", owner, &in, TX(P0), &out);
	icmp_echo4(&in, CLIENT, GW0, 8);
	step("ICMP echo to the gateway: nodegw answers", owner, &in, TX(P0), &out);
	twins(false);
}
