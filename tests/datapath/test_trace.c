/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's packet graph and its trace.
 *
 * Each test asks the workers for a trace (ng_trace_add(), as `trace add`
 * does), runs packets through a worker, and checks every step the record
 * holds: the stages and edges, the verdict, the connection and backend, the
 * headers as received and as they left; and that the packet really went
 * where the record says (ng_test_gw_expect(): the frame sent, the drop
 * counted, the ring it is on, and nothing else), with the headers the record
 * has. One test checks the graph itself: bursts whose packets take every
 * edge run each stage once.
 *
 * The gateway is tests/lib's (ng_test_gw.h) in the service fixtures'
 * topology (lb_gw_up(), lb_fixtures.h: p0 198.18.0.1/24 with the clients,
 * p1 198.18.1.1/24 with the backends, two worker structs driven by the test)
 * with one service: web tcp 198.19.0.10:80 -> backends :8080, FullNAT.
 * Kernel twins (the punt stage) are switched on where a test needs them.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_icmp.h>
#include <rte_tcp.h>

#include "lb_fixtures.h"
#include "trace.h"

struct ng_test_gw gw;
unsigned int owner, other;
uint32_t client2;

/* Client port n (40000..) as a port of CLIENT's whose flows worker owner owns, one per n. */
#define CP(n) cport_of(CLIENT, owner, (uint16_t)(20000 + ((n) - 40000) * 16))

static const struct rte_ether_addr lldp_mac = {{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}};

/* ---- frames ---- */

/* An ICMP echo request src -> dst arriving on port. */
static void
echo_on(struct tb_frame *f, uint8_t port, uint32_t src, uint32_t dst)
{
	struct rte_ether_addr smac = mac_of(src);

	tb_eth(f, &gw.port_mac[port], &smac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	tb_icmp(f, src, dst, RTE_IP_ICMP_ECHO_REQUEST, 0, 8);
	f->port = port;
}

/* An LLDP frame from the client on p0 (an ethertype nodegw does not parse). */
static void
lldp(struct tb_frame *f)
{
	tb_eth(f, &lldp_mac, &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_LLDP);
	memset(&f->b[f->len], 0, 46);
	f->len = (uint16_t)(f->len + 46);
}

/*
 * Kernel twin on p0 whose bucket lets depth_frames frames through at once;
 * 0: none. A frame costs 10 s of credit: none comes back during a test.
 */
static void
twin_p0(unsigned int depth_frames)
{
	uint64_t cost = 10 * rte_get_tsc_hz();

	ng_test_gw_twin(&gw, P0, depth_frames != 0 ? cost : 0, cost * depth_frames);
}

/* ---- reading records ---- */

/* Worker wid's trace, expecting n records; the last one. */
static const struct ng_trace_rec *
last_rec(unsigned int wid, uint32_t n)
{
	struct ng_trace_view v;

	ng_trace_view(gw.dp, wid, &v);
	assert_false(v.pending);
	if (v.n != n)
		fail_msg("worker %u: %u records, want %u", wid, v.n, n);
	return n > 0 ? &v.rec[n - 1] : NULL;
}

/* The record's steps are exactly these (stage, edge) pairs. */
static void
check_steps(const struct ng_trace_rec *r, unsigned int n, const struct ng_trace_step *want)
{
	assert_int_equal(r->truncated, 0);
	if (r->n_steps != n)
		fail_msg("%u steps recorded, want %u (first: %s)", r->n_steps, n,
				r->n_steps > 0 ? ng_stage_name((enum ng_stage)r->steps[0].stage) : "-");
	for (unsigned int i = 0; i < n; i++) {
		if (r->steps[i].stage != want[i].stage || r->steps[i].edge != want[i].edge)
			fail_msg("step %u: %s edge %u, want %s edge %u", i,
					ng_stage_name((enum ng_stage)r->steps[i].stage), r->steps[i].edge,
					ng_stage_name((enum ng_stage)want[i].stage), want[i].edge);
	}
}

#define STEPS(...) \
	do { \
		const struct ng_trace_step want_[] = {__VA_ARGS__}; \
		check_steps(r, RTE_DIM(want_), want_); \
	} while (0)
#define ST(stage, edge) {NG_STAGE_##stage, NG_##stage##_NEXT_##edge}

/* The record's header fields are those of frame f (untagged), as far as f has them. */
static void
check_hdr(const struct ng_trace_hdr *h, struct tb_frame *f)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)f->b;
	uint16_t type = rte_be_to_cpu_16(eth->ether_type);
	const struct rte_ipv4_hdr *ip;
	const uint16_t *ports;

	assert_true(h->have & NG_TRACE_HAVE_ETH);
	assert_true(rte_is_same_ether_addr(&h->dst_mac, &eth->dst_addr));
	assert_true(rte_is_same_ether_addr(&h->src_mac, &eth->src_addr));
	assert_int_equal(h->ether_type, type);
	if (type != RTE_ETHER_TYPE_IPV4) {
		assert_false(h->have & NG_TRACE_HAVE_IP4);
		return;
	}
	ip = tb_ip4_hdr(f);
	assert_true(h->have & NG_TRACE_HAVE_IP4);
	tb_assert_addr(h->src.v4, ip->src_addr);
	tb_assert_addr(h->dst.v4, ip->dst_addr);
	assert_int_equal(h->proto, ip->next_proto_id);
	assert_int_equal(h->ttl, ip->time_to_live);
	assert_int_equal(h->ip_len, rte_be_to_cpu_16(ip->total_length));
	if (ip->next_proto_id != IPPROTO_TCP && ip->next_proto_id != IPPROTO_UDP) {
		assert_false(h->have & NG_TRACE_HAVE_L4);
		return;
	}
	ports = tb_l4(f);
	assert_true(h->have & NG_TRACE_HAVE_L4);
	assert_int_equal(h->sport, rte_be_to_cpu_16(ports[0]));
	assert_int_equal(h->dport, rte_be_to_cpu_16(ports[1]));
	if (ip->next_proto_id == IPPROTO_TCP)
		assert_int_equal(h->tcp_flags, ((const struct rte_tcp_hdr *)ports)->tcp_flags);
}

/* A clean start: no trace, no records, no twin, nothing queued, counters at zero. */
static int
test_setup(void **state)
{
	(void)state;
	ng_trace_clear(gw.dp);
	for (unsigned int i = 0; i < NWORKERS; i++)
		ng_worker_drain_redirect(gw.dp->workers[i]); /* takes the clear */
	ng_test_gw_reset(&gw);
	*state = (void *)(uintptr_t)ng_test_gw_in_use(&gw);
	return 0;
}

/* Nothing left anywhere, no mbuf leaked. */
static int
test_teardown(void **state)
{
	unsigned int left = ng_test_gw_release(&gw);

	ng_test_gw_reset(&gw);
	if (left != 0 || ng_test_gw_in_use(&gw) != (unsigned int)(uintptr_t)*state) {
		fprintf(stderr, "%u frames left queued, %u mbufs in use (want %u)\n", left,
				ng_test_gw_in_use(&gw), (unsigned int)(uintptr_t)*state);
		return -1;
	}
	return 0;
}

/* ---- the tests ---- */

/* A FullNAT SYN: parse -> lb -> ip4-forward -> output, a new connection. */
static void
trace_fullnat_syn(void **state)
{
	const struct ng_trace_rec *r;
	struct ng_trace_view v;
	struct tb_frame in, out;
	struct ng_conn *c;
	bool rep;

	(void)state;
	assert_int_equal(ng_trace_add(gw.dp, 1, -1), 0);
	tcp4(&in, P0, CLIENT, CP(40000), VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN to web", owner, &in, TX(P1), &out);
	r = last_rec(owner, 1);
	assert_int_equal(r->port, gw.port_id[P0]);
	assert_int_equal(r->queue, 0);
	assert_int_equal(r->from_worker, -1);
	assert_int_equal(r->len, in.len);
	assert_int_equal(r->copy, 0);
	STEPS(ST(PARSE, LB), ST(LB, FORWARD), ST(FORWARD, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->out, gw.port_id[P1]);
	assert_int_equal(r->reason, NG_DROP_NONE);
	assert_int_equal(r->reply, NG_TRACE_REPLY_NONE);
	check_hdr(&r->before, &in);

	/* The connection it created, as the table has it. */
	c = conn_lookup(owner, IPPROTO_TCP, CLIENT, CP(40000), VIP_WEB, 80, &rep);
	assert_non_null(c);
	assert_false(rep);
	assert_int_equal(r->conn.how, NG_TRACE_CONN_NEW);
	assert_int_equal(r->conn.state, NG_CT_SYN_SENT);
	assert_int_equal(r->conn.fullnat, 1);
	assert_string_equal(r->conn.svc, "web");
	assert_int_equal(r->conn.backend.v4, c->backend.v4);
	assert_true(be_index(c->backend.v4) >= 0);
	assert_int_equal(r->conn.bport, 8080);
	assert_int_equal(r->conn.snat.v4, GW1);
	assert_int_equal(r->conn.lport, rte_be_to_cpu_16(c->lport));
	assert_true(r->conn.lport >= LPORT_MIN && r->conn.lport <= LPORT_MAX);
	assert_int_equal(r->conn.lport % NWORKERS, owner);

	/* As it left: the frame sent, FullNAT source to the backend, TTL down one. */
	check_nat_fwd(&in, &out, P1, GW1, r->conn.lport, c->backend.v4, 8080);
	check_hdr(&r->after, &out);

	/* The other worker saw nothing and, once it takes the request, has its one to trace. */
	ng_worker_drain_redirect(gw.dp->workers[other]);
	ng_trace_view(gw.dp, other, &v);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.left, 1);
}

/*
 * Refusals: a VIP port nobody serves (TCP: a RST sent; UDP: dropped, ICMP
 * port unreachable sent), and TCP to a gateway address with no NodePort,
 * which lb hands to local and local to reply: each stage once.
 */
static void
trace_refusals(void **state)
{
	const struct ng_worker *w = gw.dp->workers[owner];
	const struct ng_trace_rec *r;
	struct tb_frame in, out;

	(void)state;
	assert_int_equal(ng_trace_add(gw.dp, 3, -1), 0);
	tcp4(&in, P0, CLIENT, CP(40001), VIP_WEB, 81, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN to web's port 81", owner, &in, REFUSE(P0, SVC_NO_FRONTEND), &out);
	check_rst(&in, &out);
	r = last_rec(owner, 1);
	STEPS(ST(PARSE, LB), ST(LB, REPLY), ST(REPLY, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->out, gw.port_id[P0]);
	assert_int_equal(r->reason, NG_DROP_SVC_NO_FRONTEND);
	assert_int_equal(r->reply, NG_TRACE_REPLY_RST);
	assert_int_equal(r->conn.how, NG_TRACE_CONN_NONE);
	check_hdr(&r->before, &in);
	check_hdr(&r->after, &out); /* the RST, from the VIP back to the client's MAC */

	udp4(&in, P0, CLIENT, CP(40002), VIP_WEB, 53, 8, true);
	step("UDP to web's port 53", owner, &in, REFUSE(P0, SVC_NO_FRONTEND), &out);
	check_port_unreachable(&in, &out, VIP_WEB);
	r = last_rec(owner, 2);
	STEPS(ST(PARSE, LB), ST(LB, REPLY), ST(REPLY, DROP));
	assert_int_equal(r->verdict, NG_TRACE_DROPPED);
	assert_int_equal(r->reason, NG_DROP_SVC_NO_FRONTEND);
	assert_int_equal(r->reply, NG_TRACE_REPLY_PORT_UNREACH);
	check_hdr(&r->after, &in);

	tcp4(&in, P0, CLIENT, CP(40003), GW0, 12345, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN to the gateway, no NodePort", owner, &in, REFUSE(P0, LOCAL_PROTO), &out);
	check_rst(&in, &out);
	r = last_rec(owner, 3);
	STEPS(ST(PARSE, LB), ST(LB, LOCAL), ST(LOCAL, REPLY), ST(REPLY, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->reason, NG_DROP_LOCAL_PROTO);
	assert_int_equal(r->reply, NG_TRACE_REPLY_RST);
	check_hdr(&r->after, &out);
	for (unsigned int s = NG_STAGE_PARSE; s <= NG_STAGE_OUTPUT; s++)
		assert_int_equal(w->stats.stage[s].calls,
				s == NG_STAGE_FORWARD || s == NG_STAGE_PUNT || s == NG_STAGE_ENCAP ||
				s == NG_STAGE_ENCAP6 ||
				s == NG_STAGE_IP6_PARSE || s == NG_STAGE_IP6_LOCAL || s == NG_STAGE_LB6 ||
				s == NG_STAGE_FORWARD6 || s == NG_STAGE_ICMP_ERR || s == NG_STAGE_REASS ||
				s == NG_STAGE_REASS6 ?
				0 : 1);
}

/*
 * A new connection from outside the service's source ranges: parse -> lb ->
 * drop, the reason src_range, no reply, no connection.
 */
static void
trace_src_range(void **state)
{
	static const char *const elsewhere[] = {"10.0.0.0/8"};
	const struct ng_trace_rec *r;
	struct tb_frame in;
	bool rep;

	(void)state;
	svc_src_ranges("web", elsewhere, RTE_DIM(elsewhere));
	assert_int_equal(ng_trace_add(gw.dp, 1, -1), 0);
	tcp4(&in, P0, CLIENT, CP(40020), VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN to web from outside its source ranges", owner, &in, DROP(SRC_RANGE), NULL);
	svc_src_ranges("web", NULL, 0);
	r = last_rec(owner, 1);
	STEPS(ST(PARSE, LB), ST(LB, DROP));
	assert_int_equal(r->verdict, NG_TRACE_DROPPED);
	assert_int_equal(r->reason, NG_DROP_SRC_RANGE);
	assert_int_equal(r->reply, NG_TRACE_REPLY_NONE);
	assert_int_equal(r->conn.how, NG_TRACE_CONN_NONE);
	check_hdr(&r->before, &in);
	check_hdr(&r->after, &in);
	assert_null(conn_lookup(owner, IPPROTO_TCP, CLIENT, CP(40020), VIP_WEB, 80, &rep));
}

/* Routed traffic: TCP through lb (no connection), ICMP straight to ip4-forward. */
static void
trace_forwarded(void **state)
{
	const struct ng_trace_rec *r;
	struct tb_frame in, out;

	(void)state;
	assert_int_equal(ng_trace_add(gw.dp, 2, -1), 0);
	tcp4(&in, P0, CLIENT, CP(40004), be_addr(0), 22, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN to a backend", owner, &in, TX(P1), &out);
	r = last_rec(owner, 1);
	STEPS(ST(PARSE, LB), ST(LB, FORWARD), ST(FORWARD, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->out, gw.port_id[P1]);
	assert_int_equal(r->conn.how, NG_TRACE_CONN_NONE);
	check_hdr(&r->before, &in);
	check_hdr(&r->after, &out);
	assert_int_equal(r->after.ttl, 63);

	icmp_echo4(&in, CLIENT, be_addr(1), 8);
	step("ping a backend", owner, &in, TX(P1), &out);
	r = last_rec(owner, 2);
	STEPS(ST(PARSE, FORWARD), ST(FORWARD, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	check_hdr(&r->after, &out);

	/* Both traced: the next packet is not recorded. */
	step("ping again", owner, &in, TX(P1), &out);
	last_rec(owner, 2);
}

/* A TTL that runs out in ip4-forward: reply -> drop, ICMP time exceeded sent. */
static void
trace_ttl_expired(void **state)
{
	const struct ng_trace_rec *r;
	struct tb_frame in, out;

	(void)state;
	assert_int_equal(ng_trace_add(gw.dp, 1, -1), 0);
	icmp_echo4(&in, CLIENT, be_addr(1), 8);
	tb_set_ttl(&in, 1);
	step("ping a backend with TTL 1", owner, &in, REFUSE(P0, TTL_EXPIRED), &out);
	check_time_exceeded(&in, &out, GW0);
	r = last_rec(owner, 1);
	STEPS(ST(PARSE, FORWARD), ST(FORWARD, REPLY), ST(REPLY, DROP));
	assert_int_equal(r->verdict, NG_TRACE_DROPPED);
	assert_int_equal(r->reason, NG_DROP_TTL_EXPIRED);
	assert_int_equal(r->reply, NG_TRACE_REPLY_TIME_EXCEEDED);
}

/*
 * A SYN of a flow the other worker owns: redirected, and traced on by
 * its owner (a record of its own, "from" the first worker), which creates
 * the connection. The owner's own budget is not spent on it.
 */
static void
trace_redirected(void **state)
{
	const struct ng_trace_rec *r;
	struct tb_frame in, out;
	struct ng_trace_view v;

	(void)state;
	assert_int_equal(ng_trace_add(gw.dp, 1, -1), 0);
	tcp4(&in, P0, CLIENT, cport_of(CLIENT, other, 40005), VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1000,
			0, 0);
	step("SYN of the other's on the wrong worker", owner, &in, REDIRECT(other), NULL);
	r = last_rec(owner, 1);
	STEPS(ST(PARSE, LB), ST(LB, REDIRECT));
	assert_int_equal(r->verdict, NG_TRACE_REDIRECTED);
	assert_int_equal(r->out, other);
	check_hdr(&r->after, &in);

	step_redirected("its owner takes it", owner, other, P0, TX(P1), &out);
	r = last_rec(other, 1);
	assert_int_equal(r->from_worker, owner);
	assert_int_equal(r->queue, UINT16_MAX);
	assert_int_equal(r->port, gw.port_id[P0]);
	STEPS(ST(PARSE, LB), ST(LB, FORWARD), ST(FORWARD, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->conn.how, NG_TRACE_CONN_NEW);
	assert_int_equal(r->conn.lport % NWORKERS, other);
	check_nat_fwd(&in, &out, P1, GW1, r->conn.lport, r->conn.backend.v4, 8080);
	check_hdr(&r->after, &out);
	ng_trace_view(gw.dp, other, &v);
	assert_int_equal(v.left, 1);
}

/* trace add N port P: packets from other ports are neither traced nor counted. */
static void
trace_port_filter(void **state)
{
	const struct ng_trace_rec *r;
	struct tb_frame in, out;
	struct ng_trace_view v;

	(void)state;
	assert_int_equal(ng_trace_add(gw.dp, 1, gw.port_id[P1]), 0);
	icmp_echo4(&in, CLIENT, be_addr(1), 8);
	step("ping a backend from p0", owner, &in, TX(P1), &out);
	ng_trace_view(gw.dp, owner, &v);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.left, 1);
	echo_on(&in, P1, be_addr(0), GW1);
	step("a backend pings the gateway", owner, &in, TX(P1), &out);
	tb_check_echo_reply(&in, &out);
	r = last_rec(owner, 1);
	assert_int_equal(r->port, gw.port_id[P1]);
	STEPS(ST(PARSE, LOCAL), ST(LOCAL, OUTPUT));
	check_hdr(&r->after, &out); /* the echo reply */
}

/*
 * The hand-over: a request is pending until the worker's next loop; a clear
 * hides the old records at once and empties the buffer when taken; bad
 * requests are refused.
 */
static void
trace_requests(void **state)
{
	struct ng_trace_view v;
	struct tb_frame in, out;

	(void)state;
	assert_int_equal(ng_trace_add(gw.dp, 0, -1), -EINVAL);
	assert_int_equal(ng_trace_add(gw.dp, NG_TRACE_MAX + 1, -1), -EINVAL);
	assert_int_equal(ng_trace_add(gw.dp, 1, -1), 0);
	assert_int_equal(ng_trace_add(gw.dp, 2, -1), 0); /* merged into the pending one */
	ng_trace_view(gw.dp, owner, &v);
	assert_true(v.pending);
	assert_false(v.clearing);
	icmp_echo4(&in, CLIENT, be_addr(1), 8);
	step("ping a backend", owner, &in, TX(P1), &out);
	ng_trace_view(gw.dp, owner, &v);
	assert_false(v.pending);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.left, 2);
	ng_trace_clear(gw.dp);
	ng_trace_view(gw.dp, owner, &v);
	assert_true(v.clearing);
	assert_int_equal(v.n, 0);
	ng_worker_drain_redirect(gw.dp->workers[owner]);
	ng_trace_view(gw.dp, owner, &v);
	assert_false(v.pending);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.left, 0);
	step("ping it again", owner, &in, TX(P1), &out);
	last_rec(owner, 0);
}

/*
 * Punted frames, with a kernel twin on p0: TCP to a gateway port nobody
 * serves (lb -> local -> punt) and an ethertype nodegw does not parse
 * (parse -> punt) end on the punt ring, "to the kernel twin"; as they left
 * is as they came. The frame on the ring is the one the record describes.
 */
static void
trace_punted(void **state)
{
	const struct ng_trace_rec *r;
	struct tb_frame in, out;

	(void)state;
	twin_p0(8);
	assert_int_equal(ng_trace_add(gw.dp, 2, -1), 0);
	tcp4(&in, P0, CLIENT, CP(40010), GW0, 22, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN to the gateway's port 22", owner, &in, PUNT, &out);
	assert_memory_equal(out.b, in.b, in.len);
	r = last_rec(owner, 1);
	STEPS(ST(PARSE, LB), ST(LB, LOCAL), ST(LOCAL, PUNT));
	assert_int_equal(r->verdict, NG_TRACE_TO_TWIN);
	assert_int_equal(r->out, gw.port_id[P0]);
	assert_int_equal(r->reason, NG_DROP_NONE);
	assert_int_equal(r->reply, NG_TRACE_REPLY_NONE);
	assert_int_equal(r->copy, 0);
	check_hdr(&r->before, &in);
	check_hdr(&r->after, &out);

	lldp(&in);
	step("LLDP", owner, &in, PUNT, &out);
	assert_memory_equal(out.b, in.b, in.len);
	r = last_rec(owner, 2);
	STEPS(ST(PARSE, PUNT));
	assert_int_equal(r->verdict, NG_TRACE_TO_TWIN);
	assert_int_equal(r->out, gw.port_id[P0]);
	check_hdr(&r->after, &out);
	assert_int_equal(r->after.ether_type, RTE_ETHER_TYPE_LLDP);
}

/*
 * An ARP request for the gateway with a kernel twin: nodegw answers it and
 * sends a copy to the twin. The copy gets a record of its own that starts as
 * the request's did (received the same, parse -> local) and ends on the punt
 * ring; the request's record ends with the answer sent.
 */
static void
trace_arp_copy(void **state)
{
	const struct ng_test_verdict both = {.tx = P0, .drop = NG_DROP_NONE, .ctl = 0,
		.redirect = -1, .punt = 1};
	const struct ng_trace_rec *r, *rc;
	struct tb_frame in, reply, copy;

	(void)state;
	twin_p0(8);
	assert_int_equal(ng_trace_add(gw.dp, 1, -1), 0);
	arp_request4(&in, CLIENT, GW0);
	ng_test_gw_rx(&gw, owner, &in);
	ng_test_gw_expect(&gw, "ARP request for the gateway", owner, P0, both);
	ng_test_gw_take(&gw, owner, P0, &reply);
	tb_check_arp_reply(&in, &reply, &gw.port_mac[P0]);
	ng_test_gw_take_punted(&gw, owner, &copy);
	assert_int_equal(copy.len, in.len);
	assert_memory_equal(copy.b, in.b, in.len);

	rc = last_rec(owner, 2); /* the request spent the one packet to trace, the copy none */
	r = rc - 1;
	STEPS(ST(PARSE, LOCAL), ST(LOCAL, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->copy, 0);
	check_hdr(&r->after, &reply);
	assert_int_equal(rc->copy, 1);
	assert_int_equal(rc->port, r->port);
	assert_int_equal(rc->queue, r->queue);
	assert_int_equal(rc->tsc, r->tsc);
	assert_memory_equal(&rc->before, &r->before, sizeof(r->before));
	r = rc;
	STEPS(ST(PARSE, LOCAL), ST(LOCAL, PUNT));
	assert_int_equal(r->verdict, NG_TRACE_TO_TWIN);
	assert_int_equal(r->out, gw.port_id[P0]);
	check_hdr(&r->after, &copy);
	assert_int_equal(r->after.ether_type, RTE_ETHER_TYPE_ARP);
}

/*
 * What the punt stage does not put on the ring leaves by its drop edge, and
 * the record says why: over the twin's rate (the bucket holds one frame), or
 * the ring full (the control core behind). The verdict the stage recorded
 * before the ring refused the frame is replaced.
 */
static void
trace_punt_dropped(void **state)
{
	const struct ng_worker *w = gw.dp->workers[owner];
	const struct ng_trace_rec *r;
	struct tb_frame in, out;
	unsigned int queued;

	(void)state;
	twin_p0(1);
	assert_int_equal(ng_trace_add(gw.dp, 3, -1), 0);
	tcp4(&in, P0, CLIENT, CP(40011), GW0, 22, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN to port 22, the bucket's one frame", owner, &in, PUNT, &out);
	step("SYN to port 22 again, over the rate", owner, &in, DROP(PUNT_RATELIMIT), NULL);
	assert_int_equal(w->stats.port[P0].punted, 0);
	r = last_rec(owner, 2);
	STEPS(ST(PARSE, LB), ST(LB, LOCAL), ST(LOCAL, PUNT), ST(PUNT, DROP));
	assert_int_equal(r->verdict, NG_TRACE_DROPPED);
	assert_int_equal(r->reason, NG_DROP_PUNT_RATELIMIT);
	check_hdr(&r->after, &in);

	twin_p0(8);
	queued = ng_test_gw_punt_fill(&gw, owner);
	ng_test_gw_rx(&gw, owner, &in);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_PUNT_FULL], 1);
	assert_int_equal(w->stats.port[P0].punted, 0);
	r = last_rec(owner, 3);
	STEPS(ST(PARSE, LB), ST(LB, LOCAL), ST(LOCAL, PUNT), ST(PUNT, DROP));
	assert_int_equal(r->verdict, NG_TRACE_DROPPED);
	assert_int_equal(r->reason, NG_DROP_PUNT_FULL);
	check_hdr(&r->after, &in);
	assert_int_equal(ng_test_gw_release(&gw), queued);
}

/* Worker owner takes one burst of the n frames f[]; each stage ran once with want[s] packets. */
static void
burst_check(const struct tb_frame *f, unsigned int n, const uint64_t want[NG_STAGE_MAX])
{
	struct ng_worker *w = gw.dp->workers[owner];
	struct rte_mbuf *m[8];

	assert_true(n <= RTE_DIM(m));
	for (unsigned int i = 0; i < n; i++)
		m[i] = tb_mbuf(gw.pool, &f[i], gw.port_id[f[i].port]);
	memset(&w->stats, 0, sizeof(w->stats));
	ng_worker_process(w, m, (uint16_t)n);
	for (unsigned int s = NG_STAGE_PARSE; s <= NG_STAGE_DROP; s++) {
		const struct ng_stage_stats *st = &w->stats.stage[s];

		if (st->calls != (want[s] > 0 ? 1u : 0u) || st->pkts != want[s])
			fail_msg("%s: %" PRIu64 " calls, %" PRIu64 " packets; want %u, %" PRIu64,
					ng_stage_name((enum ng_stage)s), st->calls, st->pkts,
					want[s] > 0 ? 1 : 0, want[s]);
	}
}

/*
 * The graph: one burst whose packets take parse -> local, parse -> forward,
 * lb -> local -> reply, lb -> forward and lb -> reply runs each stage once
 * (local and ip4-forward are fed by two stages each), and every packet
 * leaves once. With a kernel twin, one whose packets take parse -> punt,
 * lb -> local -> punt and local -> output with a copy to punt, and punt ->
 * drop: punt, fed by two stages, runs once too.
 */
static void
graph_one_call_per_stage(void **state)
{
	const struct ng_worker *w = gw.dp->workers[owner];
	struct tb_frame f[5];
	uint64_t want[NG_STAGE_MAX] = {
		[NG_STAGE_PARSE] = 5, [NG_STAGE_LB] = 3, [NG_STAGE_LOCAL] = 2,
		[NG_STAGE_FORWARD] = 2, [NG_STAGE_REPLY] = 2, [NG_STAGE_OUTPUT] = 5,
	};

	(void)state;
	icmp_echo4(&f[0], CLIENT, GW0, 8);
	tcp4(&f[1], P0, CLIENT, CP(40006), GW0, 12345, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	tcp4(&f[2], P0, CLIENT, CP(40007), VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	icmp_echo4(&f[3], CLIENT, be_addr(0), 8);
	tcp4(&f[4], P0, CLIENT, CP(40008), VIP_WEB, 81, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	burst_check(f, 5, want);
	assert_int_equal(w->tx[P0].n, 3); /* echo reply, two RSTs */
	assert_int_equal(w->tx[P1].n, 2);
	assert_int_equal(ng_test_gw_release(&gw), 5);

	/* With a twin whose bucket holds 3 frames: the 4th punted frame is dropped. */
	twin_p0(3);
	lldp(&f[0]);
	tcp4(&f[1], P0, CLIENT, CP(40009), GW0, 22, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	arp_request4(&f[2], CLIENT, GW0);
	tcp4(&f[3], P0, CLIENT, CP(40010), GW0, 23, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	icmp_echo4(&f[4], CLIENT, GW0, 8);
	memset(want, 0, sizeof(want));
	want[NG_STAGE_PARSE] = 5;
	want[NG_STAGE_LB] = 2;
	want[NG_STAGE_LOCAL] = 4;
	want[NG_STAGE_PUNT] = 4; /* LLDP, two SYNs, the ARP copy */
	want[NG_STAGE_OUTPUT] = 2; /* ARP and echo replies */
	want[NG_STAGE_DROP] = 1;
	burst_check(f, 5, want);
	assert_int_equal(rte_ring_count(w->punt), 3);
	assert_int_equal(w->stats.port[P0].punted, 3);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_PUNT_RATELIMIT], 1);
	assert_int_equal(w->tx[P0].n, 2);
	assert_int_equal(ng_test_gw_release(&gw), 5);
}

/*
 * ip4-forward queues its frames in the TX buffers itself when no stage before
 * it handed output anything in the burst (ng_w_out_direct()): output's
 * counters still count them, once per burst, but no cycles of output's own
 * (it made no pass); after local's echo reply, output makes its pass and the
 * frames leave in the order it always sent them.
 */
static void
graph_forward_queues_output(void **state)
{
	struct ng_worker *w = gw.dp->workers[owner];
	const struct ng_stage_stats *out = &w->stats.stage[NG_STAGE_OUTPUT];
	const struct ng_stage_stats *fwd = &w->stats.stage[NG_STAGE_FORWARD];
	struct tb_frame f[3];
	struct rte_mbuf *m[3];
	uint64_t want[NG_STAGE_MAX] = {
		[NG_STAGE_PARSE] = 2, [NG_STAGE_FORWARD] = 2, [NG_STAGE_OUTPUT] = 2,
	};

	(void)state;
	gw.dp->runtime_stats = true;
	icmp_echo4(&f[0], CLIENT, be_addr(0), 8);
	icmp_echo4(&f[1], CLIENT, be_addr(1), 8);
	burst_check(f, 2, want);
	assert_true(fwd->cycles > 0);
	assert_int_equal(out->cycles, 0); /* no pass of its own */
	assert_int_equal(w->tx[P1].n, 2);
	assert_false(w->out_direct);
	assert_int_equal(ng_test_gw_release(&gw), 2);

	/* An echo to the gateway first: output has local's reply when forward runs. */
	icmp_echo4(&f[0], CLIENT, GW0, 8);
	icmp_echo4(&f[1], CLIENT, be_addr(0), 8);
	icmp_echo4(&f[2], CLIENT, be_addr(1), 8);
	for (unsigned int i = 0; i < 3; i++)
		m[i] = tb_mbuf(gw.pool, &f[i], gw.port_id[f[i].port]);
	memset(&w->stats, 0, sizeof(w->stats));
	ng_worker_process(w, m, 3);
	gw.dp->runtime_stats = false;
	assert_int_equal(out->calls, 1);
	assert_int_equal(out->pkts, 3);
	assert_true(out->cycles > 0);
	assert_int_equal(w->tx[P0].n, 1);
	assert_int_equal(w->tx[P1].n, 2);
	assert_ptr_equal(w->tx[P1].pkts[0], m[1]);
	assert_ptr_equal(w->tx[P1].pkts[1], m[2]);
	assert_int_equal(ng_test_gw_release(&gw), 3);
}

/* A DSR SYN: parse -> lb -> ipip-encap -> ip4-forward -> output, out in IPv4-in-IPv4. */
static void
trace_dsr_syn(void **state)
{
	const struct ng_trace_rec *r;
	struct tb_frame in, out;

	(void)state;
	assert_int_equal(ng_trace_add(gw.dp, 1, -1), 0);
	tcp4(&in, P0, CLIENT, CP(40010), VIP_DSR, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN to dsr", owner, &in, TX(P1), &out);
	r = last_rec(owner, 1);
	STEPS(ST(PARSE, LB), ST(LB, ENCAP), ST(ENCAP, FORWARD), ST(FORWARD, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->out, gw.port_id[P1]);
	assert_int_equal(r->conn.how, NG_TRACE_CONN_NEW);
	check_hdr(&r->before, &in);
	assert_int_equal(r->after.proto, IPPROTO_IPIP);
	tb_assert_addr(r->after.src.v4, GW1);
	tb_assert_addr(r->after.dst.v4, r->conn.backend.v4);
}

/*
 * ICMP errors: one of a connection (parse -> icmp-err -> ip4-forward ->
 * output, translated for the client), one of none (parse -> icmp-err ->
 * drop), and DF over the egress MTU (... -> ip4-forward -> reply -> drop,
 * reply: fragmentation needed).
 */
static void
trace_icmp_err(void **state)
{
	const struct ng_trace_rec *r;
	struct tb_frame in, syn_out, err, out;

	(void)state;
	tcp4(&in, P0, CLIENT, CP(40012), VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN to web", owner, &in, TX(P1), &syn_out);
	assert_int_equal(ng_trace_add(gw.dp, 3, -1), 0);
	icmp_err_frame(&err, P1, tb_ip4_hdr(&syn_out)->dst_addr, GW1, 3, 4, 1400, &syn_out, 40);
	step("fragmentation needed from the backend", owner, &err, TX(P0), &out);
	r = last_rec(owner, 1);
	STEPS(ST(PARSE, ICMP_ERR), ST(ICMP_ERR, FORWARD), ST(FORWARD, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->out, gw.port_id[P0]);
	tb_assert_addr(r->after.src.v4, VIP_WEB);
	tb_assert_addr(r->after.dst.v4, CLIENT);

	icmp_err_frame(&err, P0, CLIENT, VIP_WEB, 3, 3, 0, &in, 40); /* quotes a packet to the VIP */
	step("an error of no connection", owner, &err, DROP(ICMP_ERR_UNRELATED), NULL);
	r = last_rec(owner, 2);
	STEPS(ST(PARSE, ICMP_ERR), ST(ICMP_ERR, DROP));
	assert_int_equal(r->reason, NG_DROP_ICMP_ERR_UNRELATED);

	tcp4(&in, P0, CLIENT, CP(40012), VIP_WEB, 80, RTE_TCP_ACK_FLAG, 1001, 1, 1500 - 40 + 1);
	step("1501 bytes with DF", owner, &in, REFUSE(P0, MTU), &out);
	r = last_rec(owner, 3);
	STEPS(ST(PARSE, LB), ST(LB, FORWARD), ST(FORWARD, REPLY), ST(REPLY, DROP));
	assert_int_equal(r->reason, NG_DROP_MTU);
	assert_int_equal(r->reply, NG_TRACE_REPLY_FRAG_NEEDED);
	tb_assert_addr(tb_ip4_hdr(&out)->src_addr, VIP_WEB);
}

/* ---- set-up ---- */

static int
group_setup(void **state)
{
	char err[NG_ERRBUF] = "";

	(void)state;
	if (lb_gw_up("trace") != 0 ||
			svc_make("web", IPPROTO_TCP, NG_FWD_FULLNAT, VIP_WEB, 80, 8080, N_BACKENDS) != 0 ||
			svc_make("dsr", IPPROTO_TCP, NG_FWD_DSR, VIP_DSR, 80, 80, N_BACKENDS) != 0)
		return -1;
	if (ng_svc_commit(err, sizeof(err)) != 0) {
		fprintf(stderr, "commit: %s\n", err);
		return -1;
	}
	return 0;
}

#define TRACE_TEST(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TRACE_TEST(trace_fullnat_syn),
		TRACE_TEST(trace_dsr_syn),
		TRACE_TEST(trace_icmp_err),
		TRACE_TEST(trace_refusals),
		TRACE_TEST(trace_src_range),
		TRACE_TEST(trace_forwarded),
		TRACE_TEST(trace_ttl_expired),
		TRACE_TEST(trace_redirected),
		TRACE_TEST(trace_port_filter),
		TRACE_TEST(trace_requests),
		TRACE_TEST(trace_punted),
		TRACE_TEST(trace_arp_copy),
		TRACE_TEST(trace_punt_dropped),
		TRACE_TEST(graph_one_call_per_stage),
		TRACE_TEST(graph_forward_queues_output),
	};

	return cmocka_run_group_tests_name("packet graph and trace", tests, group_setup,
			lb_gw_down);
}
