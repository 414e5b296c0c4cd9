/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-stage fixtures: what the gateway answers itself. Refusals (no
 * backend, no frontend) as a host with no listener would; ICMP echo and ARP
 * for VIPs; TTL expiry on the way to and from a backend.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lb_fixtures.h"

void
fx_no_backend(void)
{
	uint64_t tcp_refused = svc_refused("empty"), udp_refused = svc_refused("uempty");
	struct tb_frame in, out;
	bool rep;

	tcp4(&in, P0, CLIENT, 40200, VIP_EMPTY, 80, RTE_TCP_SYN_FLAG, 77777, 0, 0);
	step("SYN to a service without backends", own(40200), &in, REFUSE(P0, SVC_NO_BACKEND), &out);
	check_rst(&in, &out);
	assert_int_equal(rte_be_to_cpu_32(((struct rte_tcp_hdr *)tb_l4(&out))->recv_ack), 77778);
	assert_null(conn_lookup(own(40200), IPPROTO_TCP, CLIENT, 40200, VIP_EMPTY, 80, &rep));

	tcp4(&in, P0, CLIENT, 40201, VIP_EMPTY, 80, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 500,
			0xabcdef01, 30);
	step("data segment to a service without backends", own(40201), &in,
			REFUSE(P0, SVC_NO_BACKEND), &out);
	check_rst(&in, &out);
	assert_int_equal(rte_be_to_cpu_32(((struct rte_tcp_hdr *)tb_l4(&out))->sent_seq),
			0xabcdef01);
	assert_int_equal(svc_refused("empty"), tcp_refused + 2);

	udp4(&in, P0, CLIENT, 50200, VIP_EMPTY, 53, 40, true);
	step("UDP to a service without backends", own(50200), &in, REFUSE(P0, SVC_NO_BACKEND), &out);
	check_port_unreachable(&in, &out, VIP_EMPTY);
	assert_int_equal(svc_refused("uempty"), udp_refused + 1);
	assert_null(conn_lookup(own(50200), IPPROTO_UDP, CLIENT, 50200, VIP_EMPTY, 53, &rep));
}

void
fx_no_frontend(void)
{
	struct tb_frame in, out;

	tcp4(&in, P0, CLIENT, 40300, VIP_WEB, 81, RTE_TCP_SYN_FLAG, 4242, 0, 0);
	step("SYN to web's VIP, port 81", own(40300), &in, REFUSE(P0, SVC_NO_FRONTEND), &out);
	check_rst(&in, &out);

	udp4(&in, P0, CLIENT, 50300, VIP_WEB, 53, 12, true);
	step("UDP to web's VIP (a TCP service)", own(50300), &in, REFUSE(P0, SVC_NO_FRONTEND), &out);
	check_port_unreachable(&in, &out, VIP_WEB);
}

void
fx_vip_icmp_arp(void)
{
	struct tb_frame in, out;

	for (unsigned int wid = 0; wid < NWORKERS; wid++) {
		icmp_echo4(&in, CLIENT, VIP_WEB, 56);
		step("ICMP echo to a VIP", wid, &in, TX(P0), &out);
		check_eth(&out, P0, &client_mac);
		tb_check_echo_reply(&in, &out); /* from the VIP */
	}
	for (unsigned int wid = 0; wid < NWORKERS; wid++) {
		arp_request4(&in, CLIENT, VIP_DNS);
		step("ARP request for a VIP", wid, &in, TX(P0), &out);
		check_eth(&out, P0, &client_mac);
		assert_int_equal(((const struct rte_ether_hdr *)out.b)->ether_type,
				rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP));
		tb_check_arp_reply(&in, &out, &gw.port_mac[P0]); /* VIP_DNS is at our MAC */
	}
}

/*
 * BUG (reported): a packet to a VIP with TTL 1 is translated by the service
 * stage before the forward stage finds the TTL expired (lib/worker/lb_dp.c
 * ng_lb_process NATs, then lib/worker/ip4_dp.c ttl_expired builds the ICMP
 * error from the rewritten packet). The time exceeded goes to the FullNAT
 * source 198.18.1.1 (the gateway itself) quoting 198.18.1.1:lport ->
 * backend:8080, out p0 to the client's MAC; and a SYN_SENT conn is left for a
 * packet that was dropped. Expected: the error goes to the client and quotes
 * what it sent, and no connection is created. Same for a backend's reply with
 * TTL 1: the error goes to the VIP (quoting VIP:80 -> client), out p1;
 * expected: to the backend, quoting backend:8080 -> 198.18.1.1:lport.
 */
void
fx_ttl_expired_vip(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 41200, VIP_WEB, 80, true);
	struct tb_frame in, out;
	bool rep;

	flow_c2s_frame(&fl, &in, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	tb_set_ttl(&in, 1);
	step("SYN with TTL 1 to a VIP", fl.wid, &in, REFUSE(P0, TTL_EXPIRED), &out);
	check_time_exceeded(&in, &out, GW0);
	assert_null(conn_lookup(own(41200), IPPROTO_TCP, CLIENT, 41200, VIP_WEB, 80, &rep));

	fl.cport = 41201;
	fl.wid = own(41201);
	flow_first(&fl, "SYN", RTE_TCP_SYN_FLAG, 8080);
	flow_s2c_frame(&fl, &in, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9000, 1001, 0);
	tb_set_ttl(&in, 1);
	step("backend SYN-ACK with TTL 1", fl.wid, &in, REFUSE(P1, TTL_EXPIRED), &out);
	check_time_exceeded(&in, &out, GW1);
}
