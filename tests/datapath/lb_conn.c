/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-stage fixtures: TCP and UDP conversations through a VIP (the
 * handshake, data both ways, FIN and RST, the connection states and
 * counters), UDP with and without checksums.
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
fx_tcp_syn(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 40000, VIP_WEB, 80, true);
	struct ng_svc_counters before, after;
	struct ng_conn *c;

	assert_int_equal(ng_svc_counters("web", &before), 0);
	flow_first(&fl, "SYN to web", RTE_TCP_SYN_FLAG, 8080);
	c = flow_conn(&fl);
	assert_state(c, NG_CT_SYN_SENT);
	assert_int_equal(c->pkts, 1);
	assert_false(c->flags & NG_CT_F_REPLIED);
	assert_int_equal(c->orig.proto, IPPROTO_TCP);
	assert_int_equal(ng_svc_counters("web", &after), 0);
	assert_int_equal(after.conns, before.conns + 1);
	assert_int_equal(after.pkts, before.pkts + 1);
	assert_int_equal(after.bytes, before.bytes + 40);
}

void
fx_tcp_handshake_data(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 40001, VIP_WEB, 80, true);
	struct ng_conn *c;

	flow_handshake(&fl, 8080);
	c = flow_conn(&fl);
	assert_true(c->flags & NG_CT_F_REPLIED);
	flow_c2s(&fl, "client data", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1001, 9001, 100);
	flow_s2c(&fl, "backend data", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 9001, 1101, 200);
	flow_c2s(&fl, "client ACK of the data", RTE_TCP_ACK_FLAG, 1101, 9201, 0);
	assert_ptr_equal(flow_conn(&fl), c);
	assert_state(c, NG_CT_ESTABLISHED);
	assert_int_equal(c->pkts, 6);
	assert_int_equal(c->bytes, 6 * 40 + 100 + 200);
}

void
fx_tcp_close(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 40100, VIP_WEB, 80, true);
	struct flow fr = flow_init(IPPROTO_TCP, CLIENT, 40101, VIP_WEB, 80, true);
	struct flow again;
	struct ng_conn *c;
	uint64_t deleted;
	struct tb_frame in;

	/* FIN from both sides: TIME_WAIT, and the last ACK still flows. */
	flow_handshake(&fl, 8080);
	c = flow_conn(&fl);
	flow_c2s(&fl, "client FIN", RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, 1001, 9001, 0);
	assert_state(c, NG_CT_FIN_WAIT);
	flow_s2c(&fl, "backend FIN", RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, 9001, 1002, 0);
	assert_state(c, NG_CT_TIME_WAIT);
	flow_c2s(&fl, "client last ACK", RTE_TCP_ACK_FLAG, 1002, 9002, 0);
	assert_state(c, NG_CT_TIME_WAIT);

	/* A new SYN on the TIME_WAIT tuple: a fresh connection, same Maglev choice. */
	deleted = gw.dp->workers[fl.wid]->ct->stats.deleted;
	again = flow_init(IPPROTO_TCP, CLIENT, 40100, VIP_WEB, 80, true);
	flow_first(&again, "SYN reusing the TIME_WAIT tuple", RTE_TCP_SYN_FLAG, 8080);
	assert_int_equal(again.be, fl.be);
	assert_int_equal(gw.dp->workers[fl.wid]->ct->stats.deleted, deleted + 1);
	c = flow_conn(&again);
	assert_state(c, NG_CT_SYN_SENT);
	assert_int_equal(c->pkts, 1);
	assert_int_equal(c->flags & (NG_CT_F_FIN_ORIG | NG_CT_F_FIN_REPLY | NG_CT_F_REPLIED), 0);
	if (again.lport != fl.lport) {
		bool rep;

		/* The old reply key went with the old entry. */
		assert_null(conn_lookup(fl.wid, IPPROTO_TCP, fl.be, fl.bport, fl.snat, fl.lport,
				&rep));
	}

	/* RST from the backend: CLOSE, forwarded; a new SYN reuses the tuple. */
	flow_handshake(&fr, 8080);
	c = flow_conn(&fr);
	flow_s2c(&fr, "backend RST", RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 9001, 1001, 0);
	assert_state(c, NG_CT_CLOSE);
	deleted = gw.dp->workers[fr.wid]->ct->stats.deleted;
	again = flow_init(IPPROTO_TCP, CLIENT, 40101, VIP_WEB, 80, true);
	flow_first(&again, "SYN reusing the CLOSE tuple", RTE_TCP_SYN_FLAG, 8080);
	assert_int_equal(gw.dp->workers[fr.wid]->ct->stats.deleted, deleted + 1);
	assert_state(flow_conn(&again), NG_CT_SYN_SENT);
	/* RST from the client then: CLOSE again. */
	flow_c2s(&again, "client RST", RTE_TCP_RST_FLAG, 1001, 0, 0);
	assert_state(flow_conn(&again), NG_CT_CLOSE);

	/* A RST with no connection opens none. */
	tcp4(&in, P0, CLIENT, 40102, VIP_WEB, 80, RTE_TCP_RST_FLAG, 5, 0, 0);
	step("RST without a connection", fl.wid, &in, DROP(TCP_RST_NO_CONN), NULL);
	{
		bool rep;

		assert_null(conn_lookup(fl.wid, IPPROTO_TCP, CLIENT, 40102, VIP_WEB, 80, &rep));
	}
}

void
fx_udp(void)
{
	struct flow fl = flow_init(IPPROTO_UDP, CLIENT, 50000, VIP_DNS, 53, true);
	struct flow nock = flow_init(IPPROTO_UDP, CLIENT, 50001, VIP_DNS, 53, true);
	struct ng_conn *c;

	/* With checksums: rewritten incrementally, valid both ways. */
	flow_first(&fl, "UDP query with checksum", 1, 5353);
	c = flow_conn(&fl);
	assert_state(c, NG_CT_UDP);
	flow_s2c(&fl, "UDP answer with checksum", 1, 0, 0, 120);
	flow_c2s(&fl, "second query, same flow", 1, 0, 0, 33);
	assert_ptr_equal(flow_conn(&fl), c);
	assert_true(c->flags & NG_CT_F_REPLIED);
	assert_int_equal(c->pkts, 3);

	/* Checksum 0 (none) stays 0 both ways. */
	flow_first(&nock, "UDP query without checksum", 0, 5353);
	flow_s2c(&nock, "UDP answer without checksum", 0, 0, 0, 64);
	assert_state(flow_conn(&nock), NG_CT_UDP);
}

/* The timeout c was given at its last packet, in seconds (the test clock is the TSC). */
static uint64_t
conn_timeout_s(const struct ng_conn *c)
{
	return (c->expire_tsc - c->last_tsc + rte_get_tsc_hz() / 2) / rte_get_tsc_hz();
}

/*
 * Issue 17, defect 4: a connection is confirmed once the backend answered and
 * the client sent again; until then its timeout is short (tcp_syn 30 s,
 * udp_unreplied 30 s) and the table counts it as evictable first.
 */
void
fx_unconfirmed(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 40700, VIP_WEB, 80, true);
	struct flow fu = flow_init(IPPROTO_UDP, CLIENT, 50700, VIP_DNS, 53, true);
	struct ng_ct *ct = gw.dp->workers[fl.wid]->ct;
	uint32_t n0 = ct->n_unconfirmed;
	struct ng_conn *c;

	flow_first(&fl, "client SYN", RTE_TCP_SYN_FLAG, 8080);
	c = flow_conn(&fl);
	assert_false(c->flags & NG_CT_F_CONFIRMED);
	assert_int_equal(ct->n_unconfirmed, n0 + 1);
	assert_int_equal(conn_timeout_s(c), 30);
	flow_s2c(&fl, "backend SYN-ACK", RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9000, 1001, 0);
	assert_true(c->flags & NG_CT_F_REPLIED);
	assert_false(c->flags & NG_CT_F_CONFIRMED); /* a SYN flood gets this far */
	assert_int_equal(conn_timeout_s(c), 30);
	flow_c2s(&fl, "client ACK", RTE_TCP_ACK_FLAG, 1001, 9001, 0);
	assert_state(c, NG_CT_ESTABLISHED);
	assert_true(c->flags & NG_CT_F_CONFIRMED);
	assert_int_equal(ct->n_unconfirmed, n0);
	assert_int_equal(conn_timeout_s(c), 900);

	flow_first(&fu, "UDP query", 1, 5353);
	c = flow_conn(&fu);
	ct = gw.dp->workers[fu.wid]->ct;
	n0 = ct->n_unconfirmed;
	assert_false(c->flags & NG_CT_F_CONFIRMED);
	assert_int_equal(conn_timeout_s(c), 30);
	flow_s2c(&fu, "UDP answer", 1, 0, 0, 64);
	assert_false(c->flags & NG_CT_F_CONFIRMED); /* one query, one answer: a DNS flood */
	assert_int_equal(conn_timeout_s(c), 30);
	flow_c2s(&fu, "UDP query after the answer", 1, 0, 0, 40);
	assert_true(c->flags & NG_CT_F_CONFIRMED);
	assert_int_equal(ct->n_unconfirmed, n0 - 1);
	assert_int_equal(conn_timeout_s(c), 300);
}

/*
 * FullNAT: TCP without SYN and without a connection (an ACK flood, a client
 * of an entry that expired) is refused with a RST and creates nothing. DNAT
 * picks such a packet up (ESTABLISHED, not confirmed, the SYN timeout) and
 * confirms it once the backend answered and the client went on.
 */
void
fx_no_pickup_fullnat(void)
{
	static const uint8_t no_syn[] = {
		RTE_TCP_ACK_FLAG, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
		RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0,
	};
	struct flow fd = flow_init(IPPROTO_TCP, CLIENT, 40801, VIP_DWEB, 80, false);
	uint64_t refused = svc_refused("web"), created[NWORKERS];
	struct tb_frame in, out;
	struct ng_conn *c;
	bool rep;

	for (unsigned int k = 0; k < NWORKERS; k++)
		created[k] = gw.dp->workers[k]->ct->stats.created;
	for (unsigned int i = 0; i < RTE_DIM(no_syn); i++) {
		uint16_t cport = (uint16_t)(40810 + i);
		unsigned int wid = own(cport);

		tcp4(&in, P0, CLIENT, cport, VIP_WEB, 80, no_syn[i], 77, 5, 10);
		step("FullNAT: TCP without SYN, no conn", wid, &in, REFUSE(P0, TCP_NO_CONN), &out);
		check_rst(&in, &out);
		assert_null(conn_lookup(wid, IPPROTO_TCP, CLIENT, cport, VIP_WEB, 80, &rep));
	}
	for (unsigned int k = 0; k < NWORKERS; k++)
		assert_int_equal(gw.dp->workers[k]->ct->stats.created, created[k]);
	assert_int_equal(svc_refused("web"), refused + RTE_DIM(no_syn));

	flow_first(&fd, "DNAT: ACK picked up mid-stream", RTE_TCP_ACK_FLAG, 8080);
	c = flow_conn(&fd);
	assert_state(c, NG_CT_ESTABLISHED);
	assert_false(c->flags & NG_CT_F_CONFIRMED);
	assert_int_equal(conn_timeout_s(c), 30);
	flow_s2c(&fd, "DNAT: the backend's ACK", RTE_TCP_ACK_FLAG, 9001, 1001, 0);
	assert_false(c->flags & NG_CT_F_CONFIRMED);
	flow_c2s(&fd, "DNAT: the client goes on", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1001, 9001,
			20);
	assert_true(c->flags & NG_CT_F_CONFIRMED);
	assert_int_equal(conn_timeout_s(c), 900);
}

/*
 * An expiry scan asked for more than the table (fuzz_datapath's control step
 * sweeps 2 x the table): one lap, each due entry freed once. Before, the
 * cursor came round to entries already in its batch and deleted them twice:
 * n_used wrapped below 0 and the free ring held an entry twice.
 */
void
fx_expire_lap(void)
{
	struct flow a = flow_init(IPPROTO_TCP, CLIENT, 40150, VIP_WEB, 80, true);
	struct flow b = flow_init(IPPROTO_TCP, CLIENT, cport_of(CLIENT, a.wid, 40151), VIP_WEB,
			80, true);
	struct ng_ct *ct = gw.dp->workers[a.wid]->ct;
	uint64_t later = rte_rdtsc() + 86400 * rte_get_tsc_hz();
	uint32_t used;

	flow_first(&a, "SYN a", RTE_TCP_SYN_FLAG, 8080);
	flow_first(&b, "SYN b", RTE_TCP_SYN_FLAG, 8080);
	used = ct->n_used;
	assert_in_range(used, 2, ct->cap);
	assert_int_equal(ng_ct_expire(ct, later, 2 * ct->cap + 1), used);
	assert_int_equal(ct->n_used, 0);
	assert_int_equal(ct->n_free, ct->cap);
	/* The table still hands out distinct entries: both flows anew. */
	flow_first(&a, "SYN a again", RTE_TCP_SYN_FLAG, 8080);
	flow_first(&b, "SYN b again", RTE_TCP_SYN_FLAG, 8080);
	assert_ptr_not_equal(flow_conn(&a), flow_conn(&b));
	assert_int_equal(ct->n_used, 2);
}

/*
 * A burst on a clock of its own (ng_worker_process_at(): fuzz_datapath's
 * simulated time): the conn it creates is stamped with that clock, and an
 * expiry scan at that clock finds it due exactly one SYN timeout later.
 */
void
fx_sim_clock(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 40160, VIP_WEB, 80, true);
	struct ng_worker *w = gw.dp->workers[fl.wid];
	uint64_t t = rte_rdtsc() + 1000 * rte_get_tsc_hz();
	struct tb_frame in;
	struct rte_mbuf *m;
	struct ng_conn *c;
	bool rep;

	flow_c2s_frame(&fl, &in, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	m = tb_mbuf(gw.pool, &in, gw.port_id[P0]);
	ng_worker_process_at(w, &m, 1, t);
	assert_int_equal(w->tx[P1].n, 1);
	ng_test_gw_release(&gw);
	c = conn_lookup(fl.wid, IPPROTO_TCP, CLIENT, 40160, VIP_WEB, 80, &rep);
	assert_non_null(c);
	assert_true(c->last_tsc == t);
	assert_true(c->expire_tsc > t);
	ng_ct_expire(w->ct, c->expire_tsc - 1, w->ct->cap);
	assert_ptr_equal(conn_lookup(fl.wid, IPPROTO_TCP, CLIENT, 40160, VIP_WEB, 80, &rep), c);
	ng_ct_expire(w->ct, c->expire_tsc, w->ct->cap);
	assert_null(conn_lookup(fl.wid, IPPROTO_TCP, CLIENT, 40160, VIP_WEB, 80, &rep));
}
