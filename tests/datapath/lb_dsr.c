/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-stage fixtures: direct server return (mode dsr). The client's
 * packet leaves unchanged inside an IPv4 header from the gateway's address
 * toward the backend (198.18.1.1) to the backend, through the ipip-encap
 * stage; the connection has no reply key, and a packet of a flow this
 * gateway never saw the start of goes to the backend the SYN would have.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lb_fixtures.h"

/*
 * out is in inside an IPv4 header from GW1 to a backend, sent on P1 to the
 * backend's MAC: the outer header's DSCP/ECN, identification and DF are the
 * inner one's, TTL 63 (64 less the gateway's hop), protocol 4, checksum
 * valid; the inner packet is byte for byte what the client sent (its TTL
 * too). Returns the backend.
 */
static uint32_t
check_ipip(struct tb_frame *in, struct tb_frame *out)
{
	const struct rte_ipv4_hdr *ih = tb_ip4_hdr(in), *oh = tb_ip4_hdr(out);
	uint16_t ilen = rte_be_to_cpu_16(ih->total_length);
	struct rte_ether_addr dmac;
	char a[16];

	if (be_index(oh->dst_addr) < 0)
		fail_msg("encapsulated to %s, not a backend", tb_ip_str(oh->dst_addr, a));
	dmac = mac_of(oh->dst_addr);
	check_eth(out, P1, &dmac);
	assert_int_equal(out->l2, L2);
	assert_int_equal(out->len, L2 + 20 + ilen);
	assert_int_equal(oh->version_ihl, 0x45);
	assert_int_equal(oh->type_of_service, ih->type_of_service);
	assert_int_equal(rte_be_to_cpu_16(oh->total_length), ilen + 20);
	assert_int_equal(oh->packet_id, ih->packet_id);
	assert_int_equal(oh->fragment_offset,
			ih->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG));
	assert_int_equal(oh->time_to_live, 63);
	assert_int_equal(oh->next_proto_id, IPPROTO_IPIP);
	tb_assert_addr(oh->src_addr, GW1);
	tb_check_ip_cksum(oh);
	assert_memory_equal(out->b + L2 + 20, (const uint8_t *)ih, ilen);
	return oh->dst_addr;
}

/* A client packet of fl on its owner: encapsulated; returns the backend. */
static uint32_t
dsr_c2s(const struct flow *fl, const char *what, uint8_t flags, uint32_t seq, uint32_t ack,
		uint16_t payload)
{
	struct tb_frame in, out;

	flow_c2s_frame(fl, &in, flags, seq, ack, payload);
	step(what, fl->wid, &in, TX(P1), &out);
	return check_ipip(&in, &out);
}

/* The conn of a DSR flow: one way, no reply key. */
static struct ng_conn *
dsr_conn(const struct flow *fl)
{
	struct ng_conn *c;
	bool rep = true;

	c = conn_lookup(fl->wid, fl->proto, fl->client, fl->cport, fl->fe, fl->feport, &rep);
	assert_non_null(c);
	assert_false(rep);
	assert_true(c->flags & NG_CT_F_ONEWAY);
	assert_false(c->flags & NG_CT_F_FULLNAT);
	assert_int_equal(c->backend.v4, fl->be);
	/* What a reply key would be: the backend to the client. Nothing has it. */
	assert_null(conn_lookup(fl->wid, fl->proto, fl->be, fl->feport, fl->client, fl->cport,
			&rep));
	return c;
}

void
fx_dsr_tcp(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 42000, VIP_DSR, 80, false);
	struct tb_frame in, out;
	struct ng_conn *c;

	fl.be = dsr_c2s(&fl, "SYN to a DSR VIP", RTE_TCP_SYN_FLAG, 1000, 0, 0);
	c = dsr_conn(&fl);
	assert_state(c, NG_CT_SYN_SENT);
	assert_false(c->flags & NG_CT_F_CONFIRMED);
	/* a retransmitted SYN is the client again, but no sign of an answer */
	assert_int_equal(dsr_c2s(&fl, "DSR SYN again", RTE_TCP_SYN_FLAG, 1000, 0, 0), fl.be);
	assert_false(c->flags & NG_CT_F_CONFIRMED);
	/* one way: the client's ACK is all the gateway sees of the handshake, and
	 * what confirms the conn (it answers a SYN-ACK the spoofer never gets) */
	assert_int_equal(dsr_c2s(&fl, "DSR ACK", RTE_TCP_ACK_FLAG, 1001, 9001, 0), fl.be);
	assert_state(c, NG_CT_ESTABLISHED);
	assert_true(c->flags & NG_CT_F_CONFIRMED);
	assert_int_equal(dsr_c2s(&fl, "DSR data", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1001,
			9001, 500), fl.be);
	assert_int_equal(c->pkts, 4);

	/* The backend's answer, were it to cross the gateway, is routed as it is:
	 * from the VIP to the client, nothing matched, nothing rewritten. */
	tcp4(&in, P1, VIP_DSR, 80, CLIENT, 42000, RTE_TCP_ACK_FLAG, 9001, 1501, 10);
	step("a DSR answer through the gateway: routed", owner, &in, TX(P0), &out);
	check_nat_fwd(&in, &out, P0, VIP_DSR, 80, CLIENT, 42000);
	assert_int_equal(c->pkts, 4);
	assert_false(c->flags & NG_CT_F_REPLIED);

	/* The client's FIN: FIN_WAIT (the backend's is never seen). */
	dsr_c2s(&fl, "DSR FIN", RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, 1501, 9011, 0);
	assert_state(c, NG_CT_FIN_WAIT);
}

/*
 * The gateway-change case: a flow whose SYN another gateway saw. Its next
 * packet reaches this one mid-stream and goes to the backend the SYN got,
 * with a conn ESTABLISHED at once.
 */
void
fx_dsr_midstream(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 42100, VIP_DSR, 80, false);
	struct ng_conn *c;
	uint32_t be;

	fl.be = dsr_c2s(&fl, "SYN to a DSR VIP", RTE_TCP_SYN_FLAG, 1000, 0, 0);
	/* as if this gateway had never seen it */
	ng_ct_delete(gw.dp->workers[fl.wid]->ct, dsr_conn(&fl));
	be = dsr_c2s(&fl, "DSR data mid-stream", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1001,
			9001, 100);
	tb_assert_addr(be, fl.be);
	c = dsr_conn(&fl);
	assert_state(c, NG_CT_ESTABLISHED);
	/* not confirmed by the packet that made it (an ACK flood's would stay so) */
	assert_false(c->flags & NG_CT_F_CONFIRMED);
	be = dsr_c2s(&fl, "DSR data mid-stream, next segment", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
			1101, 9001, 100);
	tb_assert_addr(be, fl.be);
	assert_true(c->flags & NG_CT_F_CONFIRMED);
}

/* UDP: encapsulated, its checksum (and a checksum of 0) untouched. */
void
fx_dsr_udp(void)
{
	struct flow fl = flow_init(IPPROTO_UDP, CLIENT, 42200, VIP_UDSR, 53, false);
	struct flow nock = flow_init(IPPROTO_UDP, CLIENT, 42201, VIP_UDSR, 53, false);
	struct ng_conn *c;

	fl.be = dsr_c2s(&fl, "UDP to a DSR VIP", 1, 0, 0, 40);
	c = dsr_conn(&fl);
	assert_state(c, NG_CT_UDP);
	assert_false(c->flags & NG_CT_F_CONFIRMED);
	/* the client's second datagram confirms the flow */
	assert_int_equal(dsr_c2s(&fl, "UDP again", 1, 0, 0, 60), fl.be);
	assert_true(c->flags & NG_CT_F_CONFIRMED);
	nock.be = dsr_c2s(&nock, "UDP without checksum to a DSR VIP", 0, 0, 0, 40);
	dsr_conn(&nock);
}

/*
 * The 20 bytes: a client packet that fits the backends' port's MTU (1500)
 * but not with the outer header is dropped and counted, no conn made; one
 * that fits with it goes. A VLAN-tagged one is encapsulated and leaves
 * untagged. The DSCP/ECN byte and DF follow the packet into the outer header.
 */
void
fx_dsr_mtu_frames(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 42300, VIP_DSR, 80, false);
	struct flow tag = flow_init(IPPROTO_TCP, CLIENT, 42301, VIP_DSR, 80, false);
	struct tb_frame in, out;
	bool rep;

	flow_c2s_frame(&fl, &in, RTE_TCP_ACK_FLAG, 1, 1, 1500 - 40 - 19);
	step("1481 + 20 bytes with DF: over the MTU, fragmentation needed", fl.wid, &in,
			REFUSE(P0, ENCAP_MTU), &out);
	flow_c2s_frame(&fl, &in, RTE_TCP_ACK_FLAG, 1, 1, 1500 - 40 - 20);
	tb_ip4_hdr(&in)->type_of_service = 0xb9; /* EF, ECT(1) */
	tb_ip4_hdr(&in)->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	tb_ip4_cksum(&in);
	step("1480 + 20 bytes: fits", fl.wid, &in, TX(P1), &out);
	check_ipip(&in, &out);
	assert_int_equal(tb_ip4_hdr(&out)->type_of_service, 0xb9);
	assert_non_null(conn_lookup(fl.wid, IPPROTO_TCP, CLIENT, 42300, VIP_DSR, 80, &rep));

	flow_c2s_frame(&tag, &in, RTE_TCP_SYN_FLAG, 1, 0, 0);
	tb_vlan_tag(&in, 0x6064);
	step("tagged SYN to a DSR VIP", tag.wid, &in, TX(P1), &out);
	{
		struct tb_frame plain;

		flow_c2s_frame(&tag, &plain, RTE_TCP_SYN_FLAG, 1, 0, 0);
		check_ipip(&plain, &out);
	}
}
