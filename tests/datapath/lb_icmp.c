/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP errors of a connection (the icmp-err stage) and packets over the
 * egress MTU (ip4-forward, ipip-encap, the reply stage).
 *
 * The quotes are real: a packet goes through the gateway, and the error
 * quotes the frame the gateway sent. The translated quote must then equal,
 * byte for byte, the packet the receiving end sent, TTL less one, whose
 * checksums the frame builder computed in full: so every incremental update
 * (quoted IPv4 header, quoted TCP/UDP checksum, outer headers) is checked
 * against a full recomputation.
 */
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "lb_fixtures.h"
#include "port.h"
#include "worker.h"

#define ICMP_UNREACH 3
#define ICMP_TIME 11
#define ICMP_PARAM 12
#define FRAG_NEEDED 4
#define ROUTER0 tb_ip(198, 18, 0, 254) /* a router on the clients' side */

/*
 * out is an error of (type, code, mtu) from src to dst, sent on port to
 * dst's MAC with TTL ttl, quoting qlen bytes equal to want's IPv4 packet
 * (TTL wttl); every checksum computed again from scratch here.
 */
static void
check_err(struct tb_frame *out, uint8_t port, uint32_t src, uint32_t dst, uint8_t ttl,
		uint8_t type, uint8_t code, uint16_t mtu, struct tb_frame *want, uint8_t wttl,
		uint16_t qlen)
{
	const struct rte_ipv4_hdr *oh = tb_ip4_hdr(out);
	const struct rte_icmp_hdr *ic = tb_l4(out);
	struct rte_ether_addr dmac = mac_of(dst);

	check_eth(out, port, &dmac);
	assert_int_equal(rte_be_to_cpu_16(oh->total_length), 20 + 8 + qlen);
	assert_int_equal(out->len, out->l2 + 20 + 8 + qlen);
	tb_assert_addr(oh->src_addr, src);
	tb_assert_addr(oh->dst_addr, dst);
	assert_int_equal(oh->time_to_live, ttl);
	tb_check_ip_cksum(oh);
	assert_int_equal(ic->icmp_type, type);
	assert_int_equal(ic->icmp_code, code);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_seq_nb), mtu);
	assert_int_equal(rte_raw_cksum(ic, 8u + qlen), 0xffff);
	tb_set_ttl(want, wttl);
	assert_memory_equal(ic + 1, &want->b[want->l2], qlen);
}

/* Connections in the owner's table (errors must never create one). */
static uint32_t
conns(unsigned int wid)
{
	return gw.dp->workers[wid]->ct->n_used;
}

static const struct {
	uint8_t type, code;
	uint16_t mtu;
} err_types[] = {
	{ICMP_UNREACH, FRAG_NEEDED, 1400}, /* fragmentation needed */
	{ICMP_UNREACH, 1, 0},              /* host unreachable */
	{ICMP_UNREACH, 3, 0},              /* port unreachable */
	{ICMP_TIME, 0, 0},                 /* TTL exceeded in transit */
	{ICMP_PARAM, 0, 0},                /* parameter problem */
};

/*
 * A FullNAT TCP connection: each error type, from the client's side about
 * the gateway's reply (to the backend, from the FullNAT source, quoting the
 * backend's segment to that source) and from the backend's side about the
 * gateway's segment to the backend (to the client, from the VIP, quoting the
 * client's segment to the VIP). Whole quotes (TCP checksum inside) and
 * 8-byte ones; an error on the other worker goes to the owner first.
 */
void
fx_icmp_err_fullnat(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, cport_of(CLIENT, owner, 43000), VIP_WEB, 80,
			true);
	struct tb_frame syn, syn_out, sa, sa_out, in, out;
	uint32_t n0;

	flow_first(&fl, "SYN to web", RTE_TCP_SYN_FLAG, 8080);
	flow_c2s_frame(&fl, &syn, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	/* what the gateway sent the backend: the SYN again is the same segment */
	step("the SYN again", fl.wid, &syn, TX(P1), &syn_out);
	flow_s2c_frame(&fl, &sa, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9000, 1001, 100);
	step("SYN-ACK with data", fl.wid, &sa, TX(P0), &sa_out);
	n0 = conns(fl.wid);

	for (unsigned int t = 0; t < RTE_DIM(err_types); t++) {
		uint8_t ty = err_types[t].type, co = err_types[t].code;
		uint16_t mtu = err_types[t].mtu;

		/* 8 bytes of TCP (no checksum quoted), then the whole segment */
		for (uint16_t q = 28; q <= 140; q = (uint16_t)(q == 28 ? 140 : 141)) {
			uint16_t qs = (uint16_t)RTE_MIN(q, syn_out.len - syn_out.l2);

			/* client side: the router before the client, about the reply */
			icmp_err_frame(&in, P0, ROUTER0, VIP_WEB, ty, co, mtu, &sa_out, q);
			step("error about the reply, client side", fl.wid, &in, TX(P1), &out);
			check_err(&out, P1, GW1, fl.be, 63, ty, co, mtu, &sa, 63, q);
			/* backend side: the backend about the gateway's SYN */
			icmp_err_frame(&in, P1, fl.be, GW1, ty, co, mtu, &syn_out, qs);
			step("error about the SYN, backend side", fl.wid, &in, TX(P0), &out);
			check_err(&out, P0, VIP_WEB, CLIENT, 63, ty, co, mtu, &syn, 63, qs);
		}
	}
	/* on the other worker: handed to the owner, served there */
	icmp_err_frame(&in, P1, fl.be, GW1, ICMP_UNREACH, FRAG_NEEDED, 1280, &syn_out, 40);
	step("error on the non-owner", other, &in, REDIRECT(owner), NULL);
	step_redirected("error handed to the owner", other, owner, P1, TX(P0), &out);
	check_err(&out, P0, VIP_WEB, CLIENT, 63, ICMP_UNREACH, FRAG_NEEDED, 1280, &syn, 63, 40);
	assert_int_equal(conns(fl.wid), n0);
}

/*
 * DNAT: the client's address is kept. A client-side error goes to the
 * backend from the router that sent it; a backend-side error, addressed to
 * the client (transit), goes to the client from the VIP. UDP: the quoted
 * checksum is patched (and one of 0 stays 0).
 */
void
fx_icmp_err_dnat_udp(void)
{
	struct flow dn = flow_init(IPPROTO_TCP, CLIENT, cport_of(CLIENT, owner, 43100), VIP_DWEB,
			80, false);
	struct flow ud[2] = {
		flow_init(IPPROTO_UDP, CLIENT, cport_of(CLIENT, owner, 43200), VIP_DNS, 53, true),
		flow_init(IPPROTO_UDP, CLIENT, cport_of(CLIENT, owner, 43250), VIP_DNS, 53, true),
	};
	struct tb_frame c2s, c2s_out, s2c, s2c_out, in, out;

	flow_first(&dn, "SYN to dweb", RTE_TCP_SYN_FLAG, 8080);
	flow_c2s_frame(&dn, &c2s, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("the SYN again", dn.wid, &c2s, TX(P1), &c2s_out);
	flow_s2c_frame(&dn, &s2c, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9000, 1001, 0);
	step("SYN-ACK", dn.wid, &s2c, TX(P0), &s2c_out);

	icmp_err_frame(&in, P0, ROUTER0, VIP_DWEB, ICMP_UNREACH, FRAG_NEEDED, 1300, &s2c_out, 40);
	step("DNAT: error about the reply, client side", dn.wid, &in, TX(P1), &out);
	check_err(&out, P1, ROUTER0, dn.be, 63, ICMP_UNREACH, FRAG_NEEDED, 1300, &s2c, 63, 40);
	icmp_err_frame(&in, P1, dn.be, CLIENT, ICMP_TIME, 0, 0, &c2s_out, 40);
	step("DNAT: error about the SYN, backend side, to the client", dn.wid, &in, TX(P0),
			&out);
	check_err(&out, P0, VIP_DWEB, CLIENT, 63, ICMP_TIME, 0, 0, &c2s, 63, 40);

	/* with a UDP checksum (patched in the quote), and without (stays 0) */
	for (int ck = 1; ck >= 0; ck--) {
		struct flow *u = &ud[ck];

		flow_first(u, "UDP to dns", (uint8_t)ck, 5353);
		flow_c2s_frame(u, &c2s, (uint8_t)ck, 0, 0, 40);
		step("the datagram again", u->wid, &c2s, TX(P1), &c2s_out);
		icmp_err_frame(&in, P1, u->be, GW1, ICMP_UNREACH, 3, 0, &c2s_out, 28);
		step("UDP: port unreachable from the backend", u->wid, &in, TX(P0), &out);
		check_err(&out, P0, VIP_DNS, CLIENT, 63, ICMP_UNREACH, 3, 0, &c2s, 63, 28);
		if (ck == 0)
			assert_int_equal(((const uint16_t *)tb_l4(&out))[4 + 10 + 3], 0);
	}
}

/*
 * Errors that name no connection, or cannot: dropped and counted, creating
 * nothing; none of them is answered.
 */
void
fx_icmp_err_unrelated(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, cport_of(CLIENT, owner, 43300), VIP_WEB, 80,
			true);
	struct tb_frame syn, syn_out, in;
	struct rte_icmp_hdr *ic;
	uint32_t n0;

	flow_first(&fl, "SYN to web", RTE_TCP_SYN_FLAG, 8080);
	flow_c2s_frame(&fl, &syn, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("the SYN again", fl.wid, &syn, TX(P1), &syn_out);
	n0 = conns(fl.wid);

	/* a reply of no connection (another client port) */
	tcp4(&syn, P0, VIP_WEB, 80, CLIENT, 1, RTE_TCP_ACK_FLAG, 1, 1, 0);
	icmp_err_frame(&in, P0, ROUTER0, VIP_WEB, ICMP_UNREACH, FRAG_NEEDED, 1400, &syn, 40);
	step("no connection, to the VIP", own(1), &in, DROP(ICMP_ERR_UNRELATED), NULL);
	/* the quote of another protocol */
	tb_eth(&syn, &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_icmp(&syn, VIP_WEB, CLIENT, RTE_IP_ICMP_ECHO_REPLY, 0, 8);
	icmp_err_frame(&in, P0, ROUTER0, VIP_WEB, ICMP_TIME, 0, 0, &syn, 36);
	step("an echo reply quoted", owner, &in, DROP(ICMP_ERR_UNRELATED), NULL);
	/* truncated: the ports cut off */
	icmp_err_frame(&in, P1, fl.be, GW1, ICMP_UNREACH, FRAG_NEEDED, 1400, &syn_out, 27);
	step("7 bytes of TCP", fl.wid, &in, DROP(ICMP_ERR_TRUNCATED), NULL);
	icmp_err_frame(&in, P1, fl.be, GW1, ICMP_UNREACH, FRAG_NEEDED, 1400, &syn_out, 19);
	step("19 bytes of IPv4", fl.wid, &in, DROP(ICMP_ERR_TRUNCATED), NULL);
	/* malformed: a bad ICMP checksum, a quoted header that is not IPv4 */
	icmp_err_frame(&in, P1, fl.be, GW1, ICMP_UNREACH, FRAG_NEEDED, 1400, &syn_out, 40);
	ic = tb_l4(&in);
	ic->icmp_cksum ^= 0x0100;
	step("bad ICMP checksum", fl.wid, &in, DROP(ICMP_ERR_MALFORMED), NULL);
	icmp_err_frame(&in, P1, fl.be, GW1, ICMP_UNREACH, FRAG_NEEDED, 1400, &syn_out, 40);
	ic = tb_l4(&in);
	((uint8_t *)(ic + 1))[0] = 0x65;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, 48);
	step("quoted IPv6 version", fl.wid, &in, DROP(ICMP_ERR_MALFORMED), NULL);
	/* an error quoting a later fragment: no ports */
	icmp_err_frame(&in, P1, fl.be, GW1, ICMP_UNREACH, FRAG_NEEDED, 1400, &syn_out, 40);
	ic = tb_l4(&in);
	((struct rte_ipv4_hdr *)(ic + 1))->fragment_offset = rte_cpu_to_be_16(100);
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, 48);
	step("quoting a later fragment", fl.wid, &in, DROP(ICMP_ERR_UNRELATED), NULL);
	assert_int_equal(conns(fl.wid), n0);

	/* An error in transit with TTL 1: no time exceeded about an ICMP error. */
	tcp4(&syn, P0, CLIENT, 5, tb_ip(198, 18, 1, 77), 6, RTE_TCP_ACK_FLAG, 1, 1, 0);
	icmp_err_frame(&in, P0, CLIENT, be_addr(0), ICMP_UNREACH, 3, 0, &syn, 40);
	tb_set_ttl(&in, 1);
	step("an ICMP error in transit, TTL 1: no error back", own(5), &in, DROP(TTL_EXPIRED),
			NULL);
}

/*
 * DSR: a client-side error about a reply (the backend sent it to the client
 * from the VIP) goes to the backend in the tunnel, untouched; a backend-side
 * error about the tunnel goes to the client, the outer quoted header taken
 * off, "fragmentation needed" 20 bytes smaller.
 */
void
fx_icmp_err_dsr(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, cport_of(CLIENT, owner, 43400), VIP_DSR, 80,
			false);
	struct tb_frame syn, enc, rep, in, out;
	const struct rte_ipv4_hdr *oh;

	flow_c2s_frame(&fl, &syn, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN to dsr", fl.wid, &syn, TX(P1), &enc);
	fl.be = tb_ip4_hdr(&enc)->dst_addr;

	tcp4(&rep, P0, VIP_DSR, 80, CLIENT, fl.cport, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9, 1001,
			0);
	icmp_err_frame(&in, P0, ROUTER0, VIP_DSR, ICMP_UNREACH, FRAG_NEEDED, 1400, &rep, 40);
	step("DSR: error about the backend's reply", fl.wid, &in, TX(P1), &out);
	oh = tb_ip4_hdr(&out);
	assert_int_equal(oh->next_proto_id, IPPROTO_IPIP);
	tb_assert_addr(oh->src_addr, GW1);
	tb_assert_addr(oh->dst_addr, fl.be);
	tb_check_ip_cksum(oh);
	assert_memory_equal(oh + 1, &in.b[in.l2], in.len - in.l2);

	icmp_err_frame(&in, P1, tb_ip(198, 18, 1, 250), GW1, ICMP_UNREACH, FRAG_NEEDED, 1400, &enc,
			60);
	step("DSR: error about the tunnel", fl.wid, &in, TX(P0), &out);
	check_err(&out, P0, VIP_DSR, CLIENT, 63, ICMP_UNREACH, FRAG_NEEDED, 1380, &syn, 64, 40);
	/* only the outer header and 4 bytes of the client's: truncated */
	icmp_err_frame(&in, P1, tb_ip(198, 18, 1, 250), GW1, ICMP_UNREACH, FRAG_NEEDED, 1400, &enc,
			44);
	step("DSR: tunnel error, inner ports cut off", fl.wid, &in, DROP(ICMP_ERR_TRUNCATED), NULL);
}

/*
 * Over the egress MTU with DF: "fragmentation needed" with the MTU, back
 * out of the ingress port, translated for the connection (a FullNAT client
 * sees the VIP quote its own segment; a backend its own); DSR tells the MTU
 * less the tunnel's 20 bytes.
 */
void
fx_mtu_frag_needed(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, cport_of(CLIENT, owner, 43500), VIP_WEB, 80,
			true);
	struct flow ds = flow_init(IPPROTO_TCP, CLIENT, cport_of(CLIENT, owner, 43600), VIP_DSR, 80,
			false);
	struct tb_frame in, out;

	flow_first(&fl, "SYN to web", RTE_TCP_SYN_FLAG, 8080);
	flow_c2s_frame(&fl, &in, RTE_TCP_ACK_FLAG, 1001, 1, 1500 - 40 + 1);
	step("1501 bytes with DF from the client", fl.wid, &in, REFUSE(P0, MTU), &out);
	check_err(&out, P0, VIP_WEB, CLIENT, 64, ICMP_UNREACH, FRAG_NEEDED, 1500, &in, 64, 28);
	flow_s2c_frame(&fl, &in, RTE_TCP_ACK_FLAG, 9001, 1001, 1500 - 40 + 1);
	step("1501 bytes with DF from the backend", fl.wid, &in, REFUSE(P1, MTU), &out);
	check_err(&out, P1, GW1, fl.be, 64, ICMP_UNREACH, FRAG_NEEDED, 1500, &in, 64, 28);

	flow_c2s_frame(&ds, &in, RTE_TCP_SYN_FLAG, 1000, 0, 1500 - 40 - 19);
	step("DSR: 1481 + 20 bytes with DF", ds.wid, &in, REFUSE(P0, ENCAP_MTU), &out);
	check_err(&out, P0, GW0, CLIENT, 64, ICMP_UNREACH, FRAG_NEEDED, 1480, &in, 64, 28);
}

/* The fragments worker wid queued on port index p (n of them), copied into f[] and freed. */
static void
take_all(unsigned int wid, uint8_t p, struct tb_frame *f, unsigned int n)
{
	struct ng_worker *w = gw.dp->workers[wid];

	assert_int_equal(w->tx[p].n, n);
	for (unsigned int i = 0; i < n; i++) {
		tb_from_mbuf(&f[i], w->tx[p].pkts[i], p);
		rte_pktmbuf_free(w->tx[p].pkts[i]);
	}
	w->tx[p].n = 0;
}

/*
 * Over the egress MTU without DF: fragmented (RFC 791), each fragment at
 * most the MTU, the data the same; with icmp.fragment off, dropped. A DSR
 * packet without DF is encapsulated without DF and its outer packet
 * fragmented.
 */
void
fx_mtu_fragment(void)
{
	uint32_t host = be_addr(0);
	unsigned int wid = owner_of_flow(host, 9999), n_out = 0;
	struct flow ds = flow_init(IPPROTO_UDP, CLIENT, cport_of(CLIENT, owner, 43700), VIP_UDSR,
			53, false);
	struct tb_frame in, f[4];
	struct rte_ipv4_hdr *ih;
	uint16_t off = 0;
	uint64_t drops;

	/* 1528 bytes to a link of MTU 576: 552 + 552 + 404 bytes of data */
	udp4(&in, P0, CLIENT, 4000, host, 9999, 1500, true);
	ih = tb_ip4_hdr(&in);
	ih->fragment_offset = 0;
	tb_ip4_cksum(&in);
	drops = ng_test_gw_drops(&gw, wid);
	ng_port_dp[gw.port_id[P1]].mtu = 576;
	ng_test_gw_rx(&gw, wid, &in);
	take_all(wid, P1, f, 3);
	assert_int_equal(ng_test_gw_drops(&gw, wid), drops);
	for (unsigned int i = 0; i < 3; i++) {
		const struct rte_ipv4_hdr *h = tb_ip4_hdr(&f[i]);
		uint16_t len = (uint16_t)(rte_be_to_cpu_16(h->total_length) - 20);
		uint16_t fo = rte_be_to_cpu_16(h->fragment_offset);
		struct rte_ether_addr dmac = mac_of(host);

		check_eth(&f[i], P1, &dmac);
		assert_true(rte_be_to_cpu_16(h->total_length) <= 576);
		assert_int_equal(f[i].len, f[i].l2 + 20 + len);
		assert_int_equal(h->time_to_live, 63);
		assert_int_equal(h->packet_id, ih->packet_id);
		tb_check_ip_cksum(h);
		assert_int_equal((fo & RTE_IPV4_HDR_OFFSET_MASK) * 8, off);
		assert_int_equal(!!(fo & RTE_IPV4_HDR_MF_FLAG), i < 2);
		assert_int_equal(len % 8 == 0 || i == 2, true);
		assert_memory_equal(h + 1, (const uint8_t *)(ih + 1) + off, len);
		off = (uint16_t)(off + len);
		n_out++;
	}
	assert_int_equal(off, 1508);
	assert_int_equal(n_out, 3);

	gw.dp->fragment = false;
	step("icmp.fragment off: dropped", wid, &in, DROP(MTU), NULL);
	gw.dp->fragment = true;
	ng_port_dp[gw.port_id[P1]].mtu = 1500;

	/* DSR, no DF: the outer packet (1520 + 20) in two fragments */
	flow_c2s_frame(&ds, &in, 1, 0, 0, 1500 - 28 + 20);
	ih = tb_ip4_hdr(&in);
	ih->fragment_offset = 0;
	tb_ip4_cksum(&in);
	ng_test_gw_rx(&gw, ds.wid, &in);
	take_all(ds.wid, P1, f, 2);
	assert_int_equal(tb_ip4_hdr(&f[0])->next_proto_id, IPPROTO_IPIP);
	assert_int_equal(rte_be_to_cpu_16(tb_ip4_hdr(&f[0])->total_length), 1500);
	assert_int_equal(rte_be_to_cpu_16(tb_ip4_hdr(&f[1])->total_length), 20 + 1540 - 20 - 1480);
	/* the inner packet from its start, unchanged, across the two */
	assert_memory_equal(tb_ip4_hdr(&f[0]) + 1, ih, 1480);
	assert_memory_equal(tb_ip4_hdr(&f[1]) + 1, (const uint8_t *)ih + 1480, 1520 - 1480);
}
