/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-stage fixtures: frame variants (VLAN tag, Ethernet padding, IPv4
 * and TCP options) and malformed packets to a VIP.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lb_fixtures.h"
#include "reass_dp.h"

void
fx_frame_variants(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 40900, VIP_WEB, 80, true);
	struct tb_frame plain, in, out;
	const uint8_t *oopt;

	/* Tagged (VLAN 100, PCP 3): served, forwarded untagged. */
	flow_c2s_frame(&fl, &plain, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	in = plain;
	tb_vlan_tag(&in, 0x6064);
	step("tagged SYN to web", fl.wid, &in, TX(P1), &out);
	fl.be = tb_ip4_hdr(&out)->dst_addr;
	fl.bport = 8080;
	fl.snat = GW1;
	fl.lport = rte_be_to_cpu_16(((const uint16_t *)tb_l4(&out))[0]);
	assert_true(be_index(fl.be) >= 0);
	check_nat_fwd(&plain, &out, P1, GW1, fl.lport, fl.be, 8080);
	assert_state(flow_conn(&fl), NG_CT_SYN_SENT);

	/* Ethernet padding to 60 bytes: trimmed, then served. */
	flow_c2s_frame(&fl, &plain, RTE_TCP_ACK_FLAG, 1001, 9001, 0);
	in = plain;
	memset(&in.b[in.len], 0, 60 - in.len);
	in.len = 60;
	step("padded ACK of the flow", fl.wid, &in, TX(P1), &out);
	check_nat_fwd(&plain, &out, P1, GW1, fl.lport, fl.be, 8080);

	/* TCP options (a real SYN's): kept byte for byte, checksum still right. */
	fl = flow_init(IPPROTO_TCP, CLIENT, 40901, VIP_WEB, 80, true);
	flow_c2s_frame(&fl, &in, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	tb_tcp_syn_options(&in);
	step("SYN with TCP options", fl.wid, &in, TX(P1), &out);
	fl.be = tb_ip4_hdr(&out)->dst_addr;
	fl.lport = rte_be_to_cpu_16(((const uint16_t *)tb_l4(&out))[0]);
	check_nat_fwd(&in, &out, P1, GW1, fl.lport, fl.be, 8080);

	/* IPv4 options: kept, header checksum still right. */
	tcp4(&in, P0, CLIENT, 40902, VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	tb_ip_options(&in);
	step("SYN with IPv4 options", own(40902), &in, TX(P1), &out);
	oopt = (const uint8_t *)(tb_ip4_hdr(&out) + 1);
	assert_memory_equal(oopt, tb_ip4_hdr(&in) + 1, 4);
	check_nat_fwd(&in, &out, P1, GW1, rte_be_to_cpu_16(((const uint16_t *)tb_l4(&out))[0]),
			tb_ip4_hdr(&out)->dst_addr, 8080);

	/* Refusals of such segments: a plain 40-byte RST. */
	tcp4(&in, P0, CLIENT, 40903, VIP_EMPTY, 80, RTE_TCP_SYN_FLAG, 3000, 0, 0);
	tb_ip_options(&in);
	step("SYN with IPv4 options, no backend", own(40903), &in, REFUSE(P0, SVC_NO_BACKEND), &out);
	check_rst(&in, &out);
	tcp4(&in, P0, CLIENT, 40904, VIP_EMPTY, 80, RTE_TCP_SYN_FLAG, 3000, 0, 0);
	tb_tcp_syn_options(&in);
	step("SYN with TCP options, no backend", own(40904), &in, REFUSE(P0, SVC_NO_BACKEND), &out);
	check_rst(&in, &out);
	assert_int_equal(rte_be_to_cpu_32(((struct rte_tcp_hdr *)tb_l4(&out))->recv_ack), 3001);
}

void
fx_malformed(void)
{
	struct tb_frame in;
	bool rep;

	/* A fragment to a VIP: not served (no L4 header to trust), on any worker. */
	tcp4(&in, P0, CLIENT, 41000, VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1, 0, 0);
	tb_ip4_hdr(&in)->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	tb_set_ttl(&in, 64);
	/* 20 bytes of payload with more to come: not a multiple of 8, refused by ip4-reass
	 * on the worker that reassembles the datagram */
	step("first fragment to a VIP", ng_reass_owner(CLIENT, VIP_WEB,
			tb_ip4_hdr(&in)->packet_id, IPPROTO_TCP, NWORKERS), &in,
			DROP(FRAG_MALFORMED), NULL);
	/* Shorter than a TCP/UDP header. */
	tcp4(&in, P0, CLIENT, 41001, VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1, 0, 0);
	tb_ip4_hdr(&in)->total_length = rte_cpu_to_be_16(20 + 12);
	tb_set_ttl(&in, 64);
	in.len = L2 + 32;
	step("12 bytes of TCP to a VIP", own(41001), &in, DROP(L4_HEADER), NULL);
	udp4(&in, P0, CLIENT, 41002, VIP_DNS, 53, 0, true);
	tb_ip4_hdr(&in)->total_length = rte_cpu_to_be_16(20 + 6);
	tb_set_ttl(&in, 64);
	in.len = L2 + 26;
	step("6 bytes of UDP to a VIP", own(41002), &in, DROP(L4_HEADER), NULL);
	assert_null(conn_lookup(own(41001), IPPROTO_TCP, CLIENT, 41001, VIP_WEB, 80, &rep));
}

/*
 * BUG (reported): the service stage does not check the TCP data offset
 * (lib/worker/lb_dp.c ng_lb_process checks only total length >= ihl + 20).
 * A SYN with data offset 2 (8 bytes, below the minimum of 5 words) to "web"
 * is forwarded to a backend and creates a connection; to "empty" it is
 * answered with a RST whose ack is computed from the bogus length
 * (ng_lb_refuse: seg_len = tot - ihl - data_off * 4; with data offset 15 on
 * a 20-byte segment it wraps: ack = seq - 39). Expected (DESIGN: malformed
 * packets are counted and dropped): NG_DROP_L4_HEADER, no connection, no RST.
 */
void
fx_bad_tcp_data_offset(void)
{
	struct tb_frame in;
	bool rep;

	tcp4(&in, P0, CLIENT, 41300, VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1, 0, 0);
	((struct rte_tcp_hdr *)tb_l4(&in))->data_off = 0x20;
	step("SYN with data offset 2 to web", own(41300), &in, DROP(L4_HEADER), NULL);
	assert_null(conn_lookup(own(41300), IPPROTO_TCP, CLIENT, 41300, VIP_WEB, 80, &rep));
	tcp4(&in, P0, CLIENT, 41301, VIP_EMPTY, 80, RTE_TCP_SYN_FLAG, 1, 0, 0);
	((struct rte_tcp_hdr *)tb_l4(&in))->data_off = 0xf0;
	step("SYN with data offset 15 in a 20-byte segment to empty", own(41301), &in,
			DROP(L4_HEADER), NULL);
}
