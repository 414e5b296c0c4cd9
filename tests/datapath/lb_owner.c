/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-stage fixtures: flow ownership. Packets on the wrong worker go
 * over the redirect ring; DNAT replies; NodePorts on every gateway address;
 * FullNAT source ports; a mixed burst.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lb_fixtures.h"

void
fx_redirect(void)
{
	/* Two flows of one client address, one for each worker (by the client port). */
	uint16_t p1 = cport_of(CLIENT, owner, 40400), p2 = cport_of(CLIENT, other, 40400);
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, p1, VIP_WEB, 80, true);
	struct flow f2 = flow_init(IPPROTO_TCP, CLIENT, p2, VIP_WEB, 80, true);
	struct tb_frame in;
	struct ng_conn *c;
	bool rep;

	/* The SYN on the wrong worker goes to the owner's ring from it, untouched. */
	flow_c2s_frame(&fl, &in, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN on the non-owner", other, &in, REDIRECT(owner), NULL);
	assert_null(conn_lookup(other, IPPROTO_TCP, CLIENT, p1, VIP_WEB, 80, &rep));
	assert_null(conn_lookup(owner, IPPROTO_TCP, CLIENT, p1, VIP_WEB, 80, &rep));
	{
		struct rte_mbuf *m = NULL;

		assert_int_equal(rte_ring_dequeue(gw.dp->workers[owner]->redir_in[other],
				(void **)&m), 0);
		assert_int_equal(rte_pktmbuf_pkt_len(m), in.len);
		assert_memory_equal(rte_pktmbuf_mtod(m, const void *), in.b, in.len);
		assert_int_equal(rte_ring_enqueue(gw.dp->workers[owner]->redir_in[other], m), 0);
	}
	flow_first_on(&fl, "SYN handed to the owner", RTE_TCP_SYN_FLAG, 8080, true);
	c = flow_conn(&fl);
	assert_state(c, NG_CT_SYN_SENT);

	/* The backend's reply on the wrong worker: to the owner of its lport. */
	flow_s2c_frame(&fl, &in, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9000, 1001, 0);
	step("SYN-ACK on the non-owner", other, &in, REDIRECT(fl.lport % NWORKERS), NULL);
	{
		struct tb_frame out;

		step_redirected("SYN-ACK handed to the owner", other, owner, P1, TX(P0), &out);
		check_nat_fwd(&in, &out, P0, VIP_WEB, 80, CLIENT, p1);
	}
	assert_state(c, NG_CT_SYN_RECV);

	/* The same client's flow the other worker owns: mirrored, its lport is the other's. */
	assert_int_equal(f2.wid, other);
	flow_c2s_frame(&f2, &in, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("second flow's SYN on its non-owner", owner, &in, REDIRECT(other), NULL);
	flow_first_on(&f2, "second flow's SYN handed over", RTE_TCP_SYN_FLAG, 8080, true);
	assert_int_equal(f2.lport % NWORKERS, other);
	assert_state(flow_conn(&f2), NG_CT_SYN_SENT);
	flow_s2c(&f2, "second flow's SYN-ACK on its owner", RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG,
			9000, 1001, 0);
}

void
fx_dnat(void)
{
	uint16_t cp = cport_of(CLIENT, owner, 40500);
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, cp, VIP_DWEB, 80, false);
	struct tb_frame in;
	struct ng_conn *c;

	flow_first(&fl, "SYN to dweb (DNAT)", RTE_TCP_SYN_FLAG, 8080);
	c = flow_conn(&fl);
	assert_state(c, NG_CT_SYN_SENT);
	assert_int_equal(c->lport, 0);

	/* The reply, to the client itself, belongs to the owner of hash(client, port):
	 * its destination mirrors the request's source. */
	flow_s2c_frame(&fl, &in, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9000, 1001, 0);
	step("DNAT SYN-ACK on the non-owner", other, &in, REDIRECT(owner), NULL);
	{
		struct tb_frame out;

		step_redirected("DNAT SYN-ACK handed to the owner", other, owner, P1, TX(P0), &out);
		check_nat_fwd(&in, &out, P0, VIP_DWEB, 80, CLIENT, cp);
	}
	assert_state(c, NG_CT_SYN_RECV);
	flow_c2s(&fl, "DNAT ACK", RTE_TCP_ACK_FLAG, 1001, 9001, 0);
	flow_s2c(&fl, "DNAT data from the backend", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 9001,
			1001, 300);
	assert_state(c, NG_CT_ESTABLISHED);
}

void
fx_nodeport(void)
{
	struct flow f0 = flow_init(IPPROTO_TCP, CLIENT, 40600, GW0, NODE_PORT, true);
	struct flow f1 = flow_init(IPPROTO_TCP, CLIENT, 40601, GW1, NODE_PORT, true);
	struct tb_frame in, out;

	flow_handshake(&f0, 8080);
	flow_s2c(&f0, "NodePort data from the backend", RTE_TCP_ACK_FLAG, 9001, 1001, 64);
	/* The NodePort on the other gateway address too. */
	flow_handshake(&f1, 8080);

	/* Another port of the gateway address: no listener. */
	tcp4(&in, P0, CLIENT, 40602, GW0, NODE_PORT + 1, RTE_TCP_SYN_FLAG, 10, 0, 0);
	step("SYN to a gateway port without NodePort", own(40602), &in, REFUSE(P0, LOCAL_PROTO), &out);
	check_rst(&in, &out);
}

/* Five packets in one burst on the owner: each verdict as alone. */
void
fx_burst(void)
{
	/* Client ports of the owner's, but the third packet's, the other's. */
	uint16_t pa = cport_of(CLIENT, owner, 41100), pb = cport_of(CLIENT, owner, pa + 1);
	uint16_t pc = cport_of(CLIENT, other, 41100), pd = cport_of(CLIENT, owner, pb + 1);
	uint16_t pf = cport_of(CLIENT, owner, pd + 1);
	struct flow a = flow_init(IPPROTO_TCP, CLIENT, pa, VIP_WEB, 80, true);
	struct flow b = flow_init(IPPROTO_UDP, CLIENT, pb, VIP_DNS, 53, true);
	struct tb_frame in[6];
	struct rte_mbuf *m[6];
	struct ng_worker *w = gw.dp->workers[owner];
	bool rep;

	flow_c2s_frame(&a, &in[0], RTE_TCP_SYN_FLAG, 1000, 0, 0);
	flow_c2s_frame(&b, &in[1], 1, 0, 0, 20);
	tcp4(&in[2], P0, CLIENT, pc, VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1, 0, 0);
	tcp4(&in[3], P0, CLIENT, pd, VIP_EMPTY, 80, RTE_TCP_SYN_FLAG, 1, 0, 0);
	icmp_echo4(&in[4], CLIENT, VIP_WEB, 8);
	udp4(&in[5], P0, CLIENT, pf, VIP_WEB, 443, 8, true);
	ng_test_gw_reset(&gw);
	for (unsigned int i = 0; i < 6; i++)
		m[i] = tb_mbuf(gw.pool, &in[i], gw.port_id[in[i].port]);
	ng_worker_process(w, m, 6);
	/* SYN and datagram to p1; RST, echo reply and port unreachable to p0. */
	assert_int_equal(w->tx[P1].n, 2);
	assert_int_equal(w->tx[P0].n, 3);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_SVC_NO_BACKEND], 1);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_SVC_NO_FRONTEND], 1);
	assert_int_equal(ng_test_gw_drops(&gw, owner), 2);
	assert_int_equal(w->stats.redirect_tx, 1);
	assert_int_equal(rte_ring_count(gw.dp->workers[other]->redir_in[owner]), 1);
	assert_int_equal(w->stats.stage[NG_STAGE_LB].pkts, 5);
	assert_int_equal(w->stats.stage[NG_STAGE_PARSE].pkts, 6);
	assert_non_null(conn_lookup(owner, IPPROTO_TCP, CLIENT, pa, VIP_WEB, 80, &rep));
	assert_non_null(conn_lookup(owner, IPPROTO_UDP, CLIENT, pb, VIP_DNS, 53, &rep));
	assert_null(conn_lookup(owner, IPPROTO_TCP, CLIENT, pc, VIP_WEB, 80, &rep));
	assert_int_equal(ng_test_gw_release(&gw), 6);
}

/*
 * One burst of established packets with routed ones between them (TCP
 * segments to a backend's address, which no service takes): pass 3 counts
 * the forward edge in a register, while the miss path hands its packets to
 * the same edge itself. Every packet leaves by port 1, in the order it came,
 * none lost or doubled.
 */
void
fx_burst_forward(void)
{
	/* routed traffic, while a DNAT service has affinity: owned by destination
	 * address; the flows' client ports chosen to be that worker's */
	unsigned int wr = owner_of_client(be_addr(0));
	uint16_t pa = cport_of(CLIENT, wr, 43300), pb = cport_of(CLIENT, wr, pa + 1);
	struct flow a = flow_init(IPPROTO_TCP, CLIENT, pa, VIP_WEB, 80, true);
	struct flow b = flow_init(IPPROTO_TCP, CLIENT, pb, VIP_WEB, 80, true);
	struct ng_worker *w = gw.dp->workers[wr];
	struct tb_frame in[6];
	struct rte_mbuf *m[6];

	flow_handshake(&a, 8080);
	flow_handshake(&b, 8080);
	flow_c2s_frame(&a, &in[0], RTE_TCP_ACK_FLAG, 1001, 9001, 10);
	tcp4(&in[1], P0, CLIENT, 41999, be_addr(0), 9000, RTE_TCP_ACK_FLAG, 1, 1, 10);
	flow_c2s_frame(&b, &in[2], RTE_TCP_ACK_FLAG, 1001, 9001, 20);
	tcp4(&in[3], P0, CLIENT, 41999, be_addr(0), 9000, RTE_TCP_ACK_FLAG, 11, 1, 10);
	tcp4(&in[4], P0, CLIENT, 41998, be_addr(0), 9000, RTE_TCP_ACK_FLAG, 1, 1, 10);
	flow_c2s_frame(&a, &in[5], RTE_TCP_ACK_FLAG, 1011, 9001, 10);
	ng_test_gw_reset(&gw);
	for (unsigned int i = 0; i < 6; i++)
		m[i] = tb_mbuf(gw.pool, &in[i], gw.port_id[in[i].port]);
	ng_worker_process(w, m, 6);
	assert_int_equal(w->stats.redirect_tx, 0);
	assert_int_equal(w->tx[P1].n, 6);
	for (unsigned int i = 0; i < 6; i++)
		assert_ptr_equal(w->tx[P1].pkts[i], m[i]);
	assert_int_equal(w->stats.stage[NG_STAGE_LB].pkts, 6);
	assert_int_equal(ng_test_gw_drops(&gw, wr), 0);
	assert_int_equal(ng_test_gw_release(&gw), 6);
}

/*
 * A run of FullNAT source ports in use towards one backend, longer than the
 * tries one allocation makes: the backend's port cursor jumps out of it, so a
 * new connection to that backend still gets a port, outside the run.
 */
#define LPORT_RUN 200

void
fx_lport_run_in_use(void)
{
	struct flow f0 = flow_init(IPPROTO_TCP, CLIENT, 40800, VIP_WEB, 80, true);
	uint64_t now = rte_rdtsc();
	bool ours[LPORT_RUN + 1] = {false};
	unsigned int got = 0;
	struct ng_ct *ct;
	struct ng_conn *c;
	int rc;

	flow_first(&f0, "SYN to web", RTE_TCP_SYN_FLAG, 8080);
	ct = gw.dp->workers[f0.wid]->ct;
	/* the next LPORT_RUN ports of this worker towards f0's backend: taken */
	for (uint32_t i = 1; i <= LPORT_RUN; i++) {
		c = ng_ct_alloc(ct, now);
		assert_non_null(c);
		ng_ct_key4(&c->orig, tb_ip(198, 18, 9, 1), tb_ip(198, 19, 0, 99), rte_cpu_to_be_16(
				(uint16_t)(1000 + i)), rte_cpu_to_be_16(80), IPPROTO_TCP);
		c->backend.v4 = f0.be;
		c->bport = rte_cpu_to_be_16(8080);
		c->snat.v4 = f0.snat;
		c->lport = rte_cpu_to_be_16((uint16_t)(f0.lport + i * NWORKERS));
		c->flags = NG_CT_F_FULLNAT;
		c->state = NG_CT_ESTABLISHED;
		c->last_tsc = now;
		c->expire_tsc = now + 3600 * rte_get_tsc_hz();
		/* -EEXIST: an earlier fixture's conn has the port (a cursor that
		 * jumped): in use all the same */
		rc = ng_ct_insert(ct, c);
		if (rc != -EEXIST)
			assert_int_equal(rc, 0);
		ours[i] = rc == 0;
	}
	for (uint16_t p = 1; p <= 64 && got < 4; p++) {
		struct flow n = flow_init(IPPROTO_TCP, CLIENT, (uint16_t)(40800 + p), VIP_WEB, 80,
				true);

		flow_first(&n, "SYN to web while a run of ports is in use", RTE_TCP_SYN_FLAG, 8080);
		/* the run is f0's worker's: a flow another worker owns (owner by
		 * the whole client end) takes that worker's ports */
		if (n.be != f0.be || n.wid != f0.wid)
			continue;
		got++;
		if (n.lport > f0.lport && n.lport <= f0.lport + LPORT_RUN * NWORKERS)
			fail_msg("port %u is in the run in use (%u..%u)", n.lport,
					f0.lport + NWORKERS, f0.lport + LPORT_RUN * NWORKERS);
	}
	assert_true(got > 0);
	/* the run goes again, so that later fixtures see the table as before */
	for (uint32_t i = 1; i <= LPORT_RUN; i++) {
		bool rep;

		if (!ours[i])
			continue;
		c = conn_lookup(f0.wid, IPPROTO_TCP, tb_ip(198, 18, 9, 1), (uint16_t)(1000 + i),
				tb_ip(198, 19, 0, 99), 80, &rep);
		assert_non_null(c);
		ng_ct_delete(ct, c);
	}
}

/*
 * A NodePort removed while a connection uses it: the connection finishes
 * (served on its owner, handed to the owner from the other worker), and once
 * it is gone the port is the gateway's own again: its packets go to the
 * local stage where they arrive, without a connection lookup or a redirect.
 */
void
fx_nodeport_gone(void)
{
	uint16_t np = NODE_PORT + 7, cp = cport_of(CLIENT, owner, 40700);
	struct flow f = flow_init(IPPROTO_TCP, CLIENT, cp, GW0, np, true);
	struct tb_frame in, out;
	char err[NG_ERRBUF] = "";
	struct ng_ct *ct;
	struct ng_conn *c;

	assert_int_equal(svc_make("npgone", IPPROTO_TCP, NG_FWD_FULLNAT, 0, np, 8080, N_BACKENDS),
			0);
	svc_or_fail(ng_svc_commit(err, sizeof(err)), err);
	flow_handshake(&f, 8080);
	c = flow_conn(&f);
	ct = gw.dp->workers[f.wid]->ct;
	assert_true(c->flags & NG_CT_F_LOCAL);
	assert_true(ng_ct_local_port_used(ct, rte_cpu_to_be_16(np)));

	svc_or_fail(ng_svc_del("npgone", err, sizeof(err)), err);
	svc_or_fail(ng_svc_commit(err, sizeof(err)), err);
	flow_c2s(&f, "data after the NodePort went: still to its backend", RTE_TCP_ACK_FLAG, 1001,
			9001, 100);
	flow_s2c(&f, "the backend's answer: back to the client", RTE_TCP_ACK_FLAG, 9001, 1101, 64);
	flow_c2s_frame(&f, &in, RTE_TCP_ACK_FLAG, 1101, 9065, 0);
	step("its segment on the other worker: to the owner", 1 - f.wid, &in, REDIRECT(f.wid),
			NULL);
	step_redirected("handed to the owner: to the backend", 1 - f.wid, f.wid, P0, TX(P1), &out);

	/* The connection gone: the port is nobody's; where a packet arrives it
	 * goes to the local stage (no twin here: a RST). */
	ng_ct_delete(ct, c);
	assert_false(ng_ct_local_port_used(ct, rte_cpu_to_be_16(np)));
	step("a segment after the connection went, on the other worker", 1 - f.wid, &in,
			REFUSE(P0, LOCAL_PROTO), &out);
	check_rst(&in, &out);
	step("the same on the owner", f.wid, &in, REFUSE(P0, LOCAL_PROTO), &out);
	check_rst(&in, &out);
}
