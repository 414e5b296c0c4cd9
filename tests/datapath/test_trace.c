/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's packet graph and its trace.
 *
 * Each test asks the workers for a trace (ng_trace_add(), as `trace add`
 * does), runs packets through a worker, and checks every step the record
 * holds: the stages and edges, the verdict, the connection and backend, the
 * headers as received and as sent; and that the packet really went where
 * the record says. One test checks the graph itself: a burst whose packets
 * take every edge runs each stage once.
 *
 * Set-up: two net_null ports, two worker structs on one EAL lcore, driven by
 * the test (never launched), FIB with connected and local routes, static
 * neighbours, one FullNAT service through the svc API. No root, no hugepages.
 *   p0  198.18.0.1/24  client 198.18.0.2, client2 (owned by the other worker)
 *   p1  198.18.1.1/24  backends 198.18.1.11, .12
 *   web tcp 198.19.0.10:80 -> backends :8080, FullNAT, Maglev
 * Every host's MAC is 02:00:00:00:<octet 3>:<octet 4>.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "conf.h"
#include "ct.h"
#include "ng_hash.h"
#include "ng_log.h"
#include "ng_stats.h"
#include "port.h"
#include "route.h"
#include "svc.h"
#include "trace.h"
#include "worker.h"

#define NPORTS 2
#define NWORKERS 2
#define LPORT_MIN 32768
#define LPORT_MAX 60999
#define N_BACKENDS 2

enum { P0, P1 };

static struct ng_conf conf;
static struct rte_mempool *pool;
static struct ng_dp *dp;
static struct ng_fib *fib;
static struct ng_neigh_table *neigh;
static bool svc_up;
static uint16_t port_id[NPORTS];
static struct rte_ether_addr port_mac[NPORTS];
static struct ng_ip node_addrs[NPORTS];
static unsigned int owner, other; /* CLIENT's owner worker, the other one */
static uint32_t client2;          /* a client the other worker owns */

#define HOST4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
		(uint32_t)(d))
#define IP(a, b, c, d) rte_cpu_to_be_32(HOST4(a, b, c, d))
#define GW0 IP(198, 18, 0, 1)
#define GW1 IP(198, 18, 1, 1)
#define CLIENT IP(198, 18, 0, 2)
#define VIP IP(198, 19, 0, 10)
#define BE(i) IP(198, 18, 1, 11 + (i))

static struct rte_ether_addr
mac_of(uint32_t addr)
{
	uint32_t h = rte_be_to_cpu_32(addr);
	struct rte_ether_addr m = {{0x02, 0x00, 0x00, 0x00, (uint8_t)(h >> 8), (uint8_t)h}};

	return m;
}

/* ---- frames ---- */

/*
 * An IPv4 frame from host src (its MAC) to port in's MAC: TCP (flags, no
 * payload), UDP (8 bytes of payload) or an ICMP echo request. Checksums valid.
 */
static struct rte_mbuf *
frame(uint8_t in, uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport, uint16_t dport,
		uint8_t flags, uint8_t ttl)
{
	uint16_t l4 = proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) :
			proto == IPPROTO_UDP ? sizeof(struct rte_udp_hdr) + 8 :
			sizeof(struct rte_icmp_hdr);
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	uint8_t *p;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*ip) + l4);
	assert_non_null(p);
	memset(p, 0, sizeof(*eth) + sizeof(*ip) + l4);
	eth = (struct rte_ether_hdr *)p;
	eth->dst_addr = port_mac[in];
	eth->src_addr = mac_of(src);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4));
	ip->time_to_live = ttl;
	ip->next_proto_id = proto;
	ip->src_addr = src;
	ip->dst_addr = dst;
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

		th->src_port = rte_cpu_to_be_16(sport);
		th->dst_port = rte_cpu_to_be_16(dport);
		th->sent_seq = rte_cpu_to_be_32(1000);
		th->data_off = (sizeof(*th) / 4) << 4;
		th->tcp_flags = flags;
		th->rx_win = rte_cpu_to_be_16(65535);
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	} else if (proto == IPPROTO_UDP) {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

		uh->src_port = rte_cpu_to_be_16(sport);
		uh->dst_port = rte_cpu_to_be_16(dport);
		uh->dgram_len = rte_cpu_to_be_16(l4);
		uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	} else {
		struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);

		ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
		ic->icmp_ident = rte_cpu_to_be_16(sport);
		ic->icmp_cksum = ~rte_raw_cksum(ic, sizeof(*ic));
	}
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	m->port = port_id[in];
	return m;
}

/* ---- running packets, reading records ---- */

/* Free what the workers queued; return how many frames that was. */
static unsigned int
release_all(void)
{
	unsigned int n = 0;
	void *obj;

	for (unsigned int i = 0; i < NWORKERS; i++) {
		struct ng_worker *w = dp->workers[i];

		for (unsigned int p = 0; p < NPORTS; p++) {
			n += w->tx[p].n;
			rte_pktmbuf_free_bulk(w->tx[p].pkts, w->tx[p].n);
			w->tx[p].n = 0;
		}
		for (unsigned int f = 0; f < NWORKERS; f++)
			while (w->redir_in[f] != NULL && rte_ring_dequeue(w->redir_in[f], &obj) == 0) {
				rte_pktmbuf_free(ng_worker_redirect_mbuf(obj));
				n++;
			}
	}
	while (rte_ring_dequeue(dp->ctl_ring, &obj) == 0) {
		rte_pktmbuf_free(obj);
		n++;
	}
	return n;
}

/* Worker wid receives one packet. */
static void
run(unsigned int wid, struct rte_mbuf *m)
{
	ng_worker_process(dp->workers[wid], &m, 1);
}

/* Worker wid's trace, expecting n records; the last one. */
static const struct ng_trace_rec *
last_rec(unsigned int wid, uint32_t n)
{
	struct ng_trace_view v;

	ng_trace_view(dp, wid, &v);
	assert_false(v.pending);
	assert_int_equal(v.n, n);
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

/* Header fields of a record: addresses (network order), ports, protocol, TTL. */
static void
check_hdr(const struct ng_trace_hdr *h, uint32_t src, uint16_t sport, uint32_t dst,
		uint16_t dport, uint8_t proto, uint8_t ttl)
{
	assert_true(h->have & NG_TRACE_HAVE_ETH);
	assert_true(h->have & NG_TRACE_HAVE_IP4);
	assert_int_equal(h->ether_type, RTE_ETHER_TYPE_IPV4);
	assert_int_equal(h->src, src);
	assert_int_equal(h->dst, dst);
	assert_int_equal(h->proto, proto);
	assert_int_equal(h->ttl, ttl);
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		assert_true(h->have & NG_TRACE_HAVE_L4);
		assert_int_equal(h->sport, sport);
		assert_int_equal(h->dport, dport);
	}
}

static void
check_macs(const struct ng_trace_hdr *h, struct rte_ether_addr src, struct rte_ether_addr dst)
{
	assert_true(rte_is_same_ether_addr(&h->src_mac, &src));
	assert_true(rte_is_same_ether_addr(&h->dst_mac, &dst));
}

/* A clean start: no trace, no records, no output, counters at zero. */
static int
test_setup(void **state)
{
	(void)state;
	ng_trace_clear(dp);
	for (unsigned int i = 0; i < NWORKERS; i++) {
		ng_worker_drain_redirect(dp->workers[i]); /* takes the clear */
		memset(&dp->workers[i]->stats, 0, sizeof(dp->workers[i]->stats));
	}
	release_all();
	return 0;
}

/* ---- the tests ---- */

/* A FullNAT SYN: parse -> lb -> ip4-forward -> output, a new connection. */
static void
trace_fullnat_syn(void **state)
{
	unsigned int in_use = rte_mempool_in_use_count(pool);
	const struct ng_trace_rec *r;
	struct ng_trace_view v;
	struct ng_conn *c;
	struct ng_flow_key k;
	bool rep;

	(void)state;
	assert_int_equal(ng_trace_add(dp, 1, -1), 0);
	run(owner, frame(P0, CLIENT, VIP, IPPROTO_TCP, 40000, 80, RTE_TCP_SYN_FLAG, 64));
	assert_int_equal(dp->workers[owner]->tx[P1].n, 1);
	r = last_rec(owner, 1);
	assert_int_equal(r->port, port_id[P0]);
	assert_int_equal(r->queue, 0);
	assert_int_equal(r->from_worker, -1);
	assert_int_equal(r->len, 14 + 20 + 20);
	STEPS(ST(PARSE, LB), ST(LB, FORWARD), ST(FORWARD, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->out, port_id[P1]);
	assert_int_equal(r->reason, NG_DROP_NONE);
	assert_int_equal(r->reply, NG_TRACE_REPLY_NONE);
	check_hdr(&r->before, CLIENT, 40000, VIP, 80, IPPROTO_TCP, 64);
	check_macs(&r->before, mac_of(CLIENT), port_mac[P0]);
	assert_int_equal(r->before.tcp_flags, RTE_TCP_SYN_FLAG);

	/* The connection it created, as the table has it. */
	memset(&k, 0, sizeof(k));
	k.src.v4 = CLIENT;
	k.dst.v4 = VIP;
	k.sport = rte_cpu_to_be_16(40000);
	k.dport = rte_cpu_to_be_16(80);
	k.proto = IPPROTO_TCP;
	k.family = AF_INET;
	c = ng_ct_lookup(dp->workers[owner]->ct, &k, &rep);
	assert_non_null(c);
	assert_int_equal(r->conn.how, NG_TRACE_CONN_NEW);
	assert_int_equal(r->conn.state, NG_CT_SYN_SENT);
	assert_int_equal(r->conn.fullnat, 1);
	assert_string_equal(r->conn.svc, "web");
	assert_int_equal(r->conn.backend.v4, c->backend.v4);
	assert_true(c->backend.v4 == BE(0) || c->backend.v4 == BE(1));
	assert_int_equal(r->conn.bport, 8080);
	assert_int_equal(r->conn.snat.v4, GW1);
	assert_int_equal(r->conn.lport, rte_be_to_cpu_16(c->lport));
	assert_true(r->conn.lport >= LPORT_MIN && r->conn.lport <= LPORT_MAX);
	assert_int_equal(r->conn.lport % NWORKERS, owner);

	/* As it left: FullNAT source to the backend, TTL down one, p1's MACs. */
	check_hdr(&r->after, GW1, r->conn.lport, c->backend.v4, 8080, IPPROTO_TCP, 63);
	check_macs(&r->after, port_mac[P1], mac_of(c->backend.v4));
	assert_int_equal(r->after.tcp_flags, RTE_TCP_SYN_FLAG);

	/* The other worker saw nothing and still has its one packet to trace. */
	ng_trace_view(dp, other, &v);
	assert_int_equal(v.n, 0);
	assert_int_equal(release_all(), 1);
	assert_int_equal(rte_mempool_in_use_count(pool), in_use);
}

/*
 * Refusals: a VIP port nobody serves (TCP: a RST sent; UDP: dropped, ICMP
 * port unreachable sent), and TCP to a gateway address with no NodePort,
 * which lb hands to local and local to reply: each stage once.
 */
static void
trace_refusals(void **state)
{
	unsigned int in_use = rte_mempool_in_use_count(pool);
	struct ng_worker *w = dp->workers[owner];
	const struct ng_trace_rec *r;

	(void)state;
	assert_int_equal(ng_trace_add(dp, 3, -1), 0);
	run(owner, frame(P0, CLIENT, VIP, IPPROTO_TCP, 40001, 81, RTE_TCP_SYN_FLAG, 64));
	assert_int_equal(w->tx[P0].n, 1);
	r = last_rec(owner, 1);
	STEPS(ST(PARSE, LB), ST(LB, REPLY), ST(REPLY, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->out, port_id[P0]);
	assert_int_equal(r->reason, NG_DROP_SVC_NO_FRONTEND);
	assert_int_equal(r->reply, NG_TRACE_REPLY_RST);
	assert_int_equal(r->conn.how, NG_TRACE_CONN_NONE);
	check_hdr(&r->before, CLIENT, 40001, VIP, 81, IPPROTO_TCP, 64);
	/* the RST, from the VIP back to the client's MAC */
	check_hdr(&r->after, VIP, 81, CLIENT, 40001, IPPROTO_TCP, 64);
	check_macs(&r->after, port_mac[P0], mac_of(CLIENT));
	assert_int_equal(r->after.tcp_flags, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_SVC_NO_FRONTEND], 1);

	run(owner, frame(P0, CLIENT, VIP, IPPROTO_UDP, 40002, 53, 0, 64));
	assert_int_equal(w->tx[P0].n, 2); /* the ICMP error */
	r = last_rec(owner, 2);
	STEPS(ST(PARSE, LB), ST(LB, REPLY), ST(REPLY, DROP));
	assert_int_equal(r->verdict, NG_TRACE_DROPPED);
	assert_int_equal(r->reason, NG_DROP_SVC_NO_FRONTEND);
	assert_int_equal(r->reply, NG_TRACE_REPLY_PORT_UNREACH);
	check_hdr(&r->after, CLIENT, 40002, VIP, 53, IPPROTO_UDP, 64);

	memset(&w->stats, 0, sizeof(w->stats));
	run(owner, frame(P0, CLIENT, GW0, IPPROTO_TCP, 40003, 12345, RTE_TCP_SYN_FLAG, 64));
	assert_int_equal(w->tx[P0].n, 3);
	r = last_rec(owner, 3);
	STEPS(ST(PARSE, LB), ST(LB, LOCAL), ST(LOCAL, REPLY), ST(REPLY, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->reason, NG_DROP_LOCAL_PROTO);
	assert_int_equal(r->reply, NG_TRACE_REPLY_RST);
	check_hdr(&r->after, GW0, 12345, CLIENT, 40003, IPPROTO_TCP, 64);
	for (unsigned int s = NG_STAGE_PARSE; s <= NG_STAGE_OUTPUT; s++)
		assert_int_equal(w->stats.stage[s].calls,
				s == NG_STAGE_FORWARD || s == NG_STAGE_PUNT ? 0 : 1);
	assert_int_equal(release_all(), 3);
	assert_int_equal(rte_mempool_in_use_count(pool), in_use);
}

/* Routed traffic: TCP through lb (no connection), ICMP straight to ip4-forward. */
static void
trace_forwarded(void **state)
{
	unsigned int in_use = rte_mempool_in_use_count(pool);
	const struct ng_trace_rec *r;

	(void)state;
	assert_int_equal(ng_trace_add(dp, 2, -1), 0);
	run(owner, frame(P0, CLIENT, BE(0), IPPROTO_TCP, 40004, 22, RTE_TCP_SYN_FLAG, 64));
	r = last_rec(owner, 1);
	STEPS(ST(PARSE, LB), ST(LB, FORWARD), ST(FORWARD, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->out, port_id[P1]);
	assert_int_equal(r->conn.how, NG_TRACE_CONN_NONE);
	check_hdr(&r->before, CLIENT, 40004, BE(0), 22, IPPROTO_TCP, 64);
	check_hdr(&r->after, CLIENT, 40004, BE(0), 22, IPPROTO_TCP, 63);
	check_macs(&r->after, port_mac[P1], mac_of(BE(0)));

	run(owner, frame(P0, CLIENT, BE(1), IPPROTO_ICMP, 7, 0, 0, 64));
	r = last_rec(owner, 2);
	STEPS(ST(PARSE, FORWARD), ST(FORWARD, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	check_hdr(&r->after, CLIENT, 0, BE(1), 0, IPPROTO_ICMP, 63);
	assert_false(r->after.have & NG_TRACE_HAVE_L4);
	assert_int_equal(dp->workers[owner]->tx[P1].n, 2);

	/* Both traced: the next packet is not recorded. */
	run(owner, frame(P0, CLIENT, BE(1), IPPROTO_ICMP, 8, 0, 0, 64));
	last_rec(owner, 2);
	assert_int_equal(release_all(), 3);
	assert_int_equal(rte_mempool_in_use_count(pool), in_use);
}

/* A TTL that runs out in ip4-forward: reply -> drop, ICMP time exceeded sent. */
static void
trace_ttl_expired(void **state)
{
	unsigned int in_use = rte_mempool_in_use_count(pool);
	const struct ng_trace_rec *r;

	(void)state;
	assert_int_equal(ng_trace_add(dp, 1, -1), 0);
	run(owner, frame(P0, CLIENT, BE(1), IPPROTO_ICMP, 9, 0, 0, 1));
	r = last_rec(owner, 1);
	STEPS(ST(PARSE, FORWARD), ST(FORWARD, REPLY), ST(REPLY, DROP));
	assert_int_equal(r->verdict, NG_TRACE_DROPPED);
	assert_int_equal(r->reason, NG_DROP_TTL_EXPIRED);
	assert_int_equal(r->reply, NG_TRACE_REPLY_TIME_EXCEEDED);
	assert_int_equal(dp->workers[owner]->tx[P0].n, 1);
	assert_int_equal(release_all(), 1);
	assert_int_equal(rte_mempool_in_use_count(pool), in_use);
}

/*
 * A SYN from a client the other worker owns: redirected, and traced on by
 * its owner (a record of its own, "from" the first worker), which creates
 * the connection. The owner's own budget is not spent on it.
 */
static void
trace_redirected(void **state)
{
	unsigned int in_use = rte_mempool_in_use_count(pool);
	const struct ng_trace_rec *r;
	struct ng_trace_view v;

	(void)state;
	assert_int_equal(ng_trace_add(dp, 1, -1), 0);
	run(owner, frame(P0, client2, VIP, IPPROTO_TCP, 40005, 80, RTE_TCP_SYN_FLAG, 64));
	r = last_rec(owner, 1);
	STEPS(ST(PARSE, LB), ST(LB, REDIRECT));
	assert_int_equal(r->verdict, NG_TRACE_REDIRECTED);
	assert_int_equal(r->out, other);
	check_hdr(&r->after, client2, 40005, VIP, 80, IPPROTO_TCP, 64);
	assert_int_equal(rte_ring_count(dp->workers[other]->redir_in[owner]), 1);

	assert_int_equal(ng_worker_drain_redirect(dp->workers[other]), 1);
	assert_int_equal(dp->workers[other]->tx[P1].n, 1);
	r = last_rec(other, 1);
	assert_int_equal(r->from_worker, owner);
	assert_int_equal(r->queue, UINT16_MAX);
	assert_int_equal(r->port, port_id[P0]);
	STEPS(ST(PARSE, LB), ST(LB, FORWARD), ST(FORWARD, OUTPUT));
	assert_int_equal(r->verdict, NG_TRACE_TX);
	assert_int_equal(r->conn.how, NG_TRACE_CONN_NEW);
	assert_int_equal(r->conn.lport % NWORKERS, other);
	check_hdr(&r->after, GW1, r->conn.lport, r->conn.backend.v4, 8080, IPPROTO_TCP, 63);
	ng_trace_view(dp, other, &v);
	assert_int_equal(v.left, 1);
	assert_int_equal(release_all(), 1);
	assert_int_equal(rte_mempool_in_use_count(pool), in_use);
}

/* trace add N port P: packets from other ports are neither traced nor counted. */
static void
trace_port_filter(void **state)
{
	unsigned int in_use = rte_mempool_in_use_count(pool);
	const struct ng_trace_rec *r;
	struct ng_trace_view v;

	(void)state;
	assert_int_equal(ng_trace_add(dp, 1, port_id[P1]), 0);
	run(owner, frame(P0, CLIENT, BE(1), IPPROTO_ICMP, 10, 0, 0, 64));
	ng_trace_view(dp, owner, &v);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.left, 1);
	run(owner, frame(P1, BE(0), GW1, IPPROTO_ICMP, 11, 0, 0, 64));
	r = last_rec(owner, 1);
	assert_int_equal(r->port, port_id[P1]);
	STEPS(ST(PARSE, LOCAL), ST(LOCAL, OUTPUT));
	check_hdr(&r->after, GW1, 0, BE(0), 0, IPPROTO_ICMP, 64); /* the echo reply */
	assert_int_equal(release_all(), 2);
	assert_int_equal(rte_mempool_in_use_count(pool), in_use);
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

	(void)state;
	assert_int_equal(ng_trace_add(dp, 0, -1), -EINVAL);
	assert_int_equal(ng_trace_add(dp, NG_TRACE_MAX + 1, -1), -EINVAL);
	assert_int_equal(ng_trace_add(dp, 1, -1), 0);
	assert_int_equal(ng_trace_add(dp, 2, -1), 0); /* merged into the pending one */
	ng_trace_view(dp, owner, &v);
	assert_true(v.pending);
	assert_false(v.clearing);
	run(owner, frame(P0, CLIENT, BE(1), IPPROTO_ICMP, 12, 0, 0, 64));
	ng_trace_view(dp, owner, &v);
	assert_false(v.pending);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.left, 2);
	ng_trace_clear(dp);
	ng_trace_view(dp, owner, &v);
	assert_true(v.clearing);
	assert_int_equal(v.n, 0);
	ng_worker_drain_redirect(dp->workers[owner]);
	ng_trace_view(dp, owner, &v);
	assert_false(v.pending);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.left, 0);
	run(owner, frame(P0, CLIENT, BE(1), IPPROTO_ICMP, 13, 0, 0, 64));
	last_rec(owner, 0);
	release_all();
}

/*
 * The graph: one burst whose packets take parse -> local, parse -> forward,
 * lb -> local -> reply, lb -> forward and lb -> reply runs each stage once
 * (local and ip4-forward are fed by two stages each), and every packet
 * leaves once.
 */
static void
graph_one_call_per_stage(void **state)
{
	unsigned int in_use = rte_mempool_in_use_count(pool);
	struct ng_worker *w = dp->workers[owner];
	struct rte_mbuf *m[5];
	static const struct {
		enum ng_stage s;
		uint64_t pkts;
	} want[] = {
		{NG_STAGE_PARSE, 5}, {NG_STAGE_LB, 3}, {NG_STAGE_LOCAL, 2}, {NG_STAGE_FORWARD, 2},
		{NG_STAGE_REPLY, 2}, {NG_STAGE_OUTPUT, 5}, {NG_STAGE_REDIRECT_OUT, 0},
		{NG_STAGE_TO_CONTROL, 0}, {NG_STAGE_DROP, 0},
	};

	(void)state;
	m[0] = frame(P0, CLIENT, GW0, IPPROTO_ICMP, 14, 0, 0, 64);
	m[1] = frame(P0, CLIENT, GW0, IPPROTO_TCP, 40006, 12345, RTE_TCP_SYN_FLAG, 64);
	m[2] = frame(P0, CLIENT, VIP, IPPROTO_TCP, 40007, 80, RTE_TCP_SYN_FLAG, 64);
	m[3] = frame(P0, CLIENT, BE(0), IPPROTO_ICMP, 15, 0, 0, 64);
	m[4] = frame(P0, CLIENT, VIP, IPPROTO_TCP, 40008, 81, RTE_TCP_SYN_FLAG, 64);
	ng_worker_process(w, m, 5);
	for (unsigned int i = 0; i < RTE_DIM(want); i++) {
		const struct ng_stage_stats *st = &w->stats.stage[want[i].s];

		if (st->calls != (want[i].pkts > 0 ? 1u : 0u) || st->pkts != want[i].pkts)
			fail_msg("%s: %" PRIu64 " calls, %" PRIu64 " packets; want %u, %" PRIu64,
					ng_stage_name(want[i].s), st->calls, st->pkts,
					want[i].pkts > 0 ? 1 : 0, want[i].pkts);
	}
	assert_int_equal(w->tx[P0].n, 3); /* echo reply, two RSTs */
	assert_int_equal(w->tx[P1].n, 2);
	assert_int_equal(release_all(), 5);
	assert_int_equal(rte_mempool_in_use_count(pool), in_use);
}

/* ---- set-up ---- */

static int
add_port_conf(unsigned int i, const char *name, const char *devargs, const char *addr)
{
	struct ng_conf_port *p = &conf.ports[i];

	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->devargs, sizeof(p->devargs), "%s", devargs);
	if (ng_prefix_parse(addr, &p->addrs[0]) != 0)
		return -1;
	p->n_addrs = 1;
	p->mtu = 1500;
	p->rx_queues = 1;
	p->rx_desc = 256;
	p->tx_desc = 256;
	return 0;
}

static int
add_neighbour(uint8_t port, uint32_t addr)
{
	struct ng_ip a = {.family = AF_INET, .v4 = addr};
	struct rte_ether_addr mac = mac_of(addr);

	return ng_neigh_add_static(neigh, port_id[port], &a, &mac);
}

static int
setup_routes(void)
{
	struct ng_neigh_params np = {0};

	fib = ng_fib_create(1024, dp->qsbr);
	if (fib == NULL)
		return -1;
	dp->fib = fib;
	for (unsigned int i = 0; i < ng_port_count(); i++) {
		const struct ng_port *p = ng_port_get(i);
		struct ng_prefix host = {.addr = p->addrs[0].addr, .len = 32};

		if (ng_fib_add(fib, &p->addrs[0], NG_RT_CONNECTED, NG_NH_CONNECTED, p->port_id,
				NULL, &p->addrs[0].addr, false) != 0 ||
				ng_fib_add(fib, &host, NG_RT_LOCAL, NG_NH_LOCAL, p->port_id, NULL,
				&p->addrs[0].addr, false) != 0)
			return -1;
	}
	np.max_entries = conf.arp.max_entries;
	np.reachable_ms = conf.arp.reachable_s * 1000;
	np.retry_ms = conf.arp.retry_ms;
	np.retries = conf.arp.retries;
	np.pending_max = conf.arp.pending_max;
	np.qsbr = dp->qsbr;
	np.pool = pool;
	np.fib = fib;
	np.tx = ng_dp_ctl_tx;
	np.tx_arg = dp;
	neigh = ng_neigh_create(&np);
	if (neigh == NULL)
		return -1;
	dp->neigh = neigh;
	if (add_neighbour(P0, CLIENT) != 0 || add_neighbour(P0, client2) != 0)
		return -1;
	for (unsigned int i = 0; i < N_BACKENDS; i++)
		if (add_neighbour(P1, BE(i)) != 0)
			return -1;
	return 0;
}

/* One FullNAT service: web tcp VIP:80 -> backends :8080. */
static int
setup_service(void)
{
	struct ng_svc_params p = {0};
	struct ng_svc_spec s;
	struct ng_frontend fe;
	char err[NG_ERRBUF] = "";
	int rc;

	for (unsigned int i = 0; i < NPORTS; i++)
		node_addrs[i] = conf.ports[i].addrs[0].addr;
	p.qsbr = dp->qsbr;
	p.publish = &dp->rs;
	p.fib = fib;
	p.n_workers = NWORKERS;
	p.timeouts = conf.conntrack.timeouts;
	p.lport_min = LPORT_MIN;
	p.lport_max = LPORT_MAX;
	p.node_addrs = node_addrs;
	p.n_node_addrs = NPORTS;
	p.vip_port = port_id[P0];
	if (ng_svc_init(&p) != 0)
		return -1;
	svc_up = true;
	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "web");
	s.proto = IPPROTO_TCP;
	s.scheduler = NG_SCHED_MAGLEV;
	s.mode = NG_FWD_FULLNAT;
	memset(&fe, 0, sizeof(fe));
	fe.addr.family = AF_INET;
	fe.addr.v4 = VIP;
	fe.port = 80;
	rc = ng_svc_add(&s, err, sizeof(err));
	if (rc == 0)
		rc = ng_svc_frontend_add("web", &fe, err, sizeof(err));
	for (unsigned int i = 0; rc == 0 && i < N_BACKENDS; i++) {
		struct ng_ip a = {.family = AF_INET, .v4 = BE(i)};

		rc = ng_svc_backend_set("web", &a, 8080, 1, err, sizeof(err));
	}
	if (rc == 0)
		rc = ng_svc_commit(err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "service web: %s\n", err);
	return rc;
}

static int
group_setup(void **state)
{
	char prefix[64], err[NG_ERRBUF];
	char *argv[] = {
		"test_trace", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--file-prefix", prefix, "--vdev", "net_null0", "--vdev", "net_null1", "-l", "0",
		"--log-level", "lib.*:error", NULL,
	};
	unsigned int lcores[NWORKERS];

	(void)state;
	snprintf(prefix, sizeof(prefix), "ng_test_trace_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (ng_log_init(RTE_LOG_WARNING) != 0)
		return -1;
	ng_conf_defaults(&conf);
	conf.mempool.mbufs = 2048;
	conf.conntrack.max_entries = 1024;
	if (add_port_conf(0, "p0", "net_null0", "198.18.0.1/24") != 0 ||
			add_port_conf(1, "p1", "net_null1", "198.18.1.1/24") != 0)
		return -1;
	conf.n_ports = NPORTS;
	for (unsigned int i = 0; i < NWORKERS; i++)
		lcores[i] = rte_get_main_lcore();
	dp = ng_dp_create(&conf, lcores, NWORKERS);
	pool = ng_port_pool_create(&conf, NWORKERS);
	if (dp == NULL || pool == NULL) {
		fprintf(stderr, "set-up: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	dp->pool = pool;
	if (ng_ports_init(&conf, NWORKERS, pool, err, sizeof(err)) != 0) {
		fprintf(stderr, "ng_ports_init: %s\n", err);
		return -1;
	}
	ng_dp_assign_queues(dp);
	for (unsigned int i = 0; i < NPORTS; i++) {
		port_id[i] = ng_port_get(i)->port_id;
		port_mac[i] = ng_port_get(i)->mac;
	}
	owner = (unsigned int)(ng_mix64(CLIENT) % NWORKERS);
	other = (owner + 1) % NWORKERS;
	for (uint8_t h = 3; h < 250 && client2 == 0; h++)
		if (ng_mix64(IP(198, 18, 0, h)) % NWORKERS == other)
			client2 = IP(198, 18, 0, h);
	if (client2 == 0 || setup_routes() != 0 || setup_service() != 0) {
		fprintf(stderr, "routes, neighbours or service set-up failed\n");
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (svc_up)
		ng_svc_fini();
	ng_neigh_free(neigh);
	ng_fib_free(fib);
	ng_dp_free(dp);
	ng_ports_fini();
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(trace_fullnat_syn, test_setup),
		cmocka_unit_test_setup(trace_refusals, test_setup),
		cmocka_unit_test_setup(trace_forwarded, test_setup),
		cmocka_unit_test_setup(trace_ttl_expired, test_setup),
		cmocka_unit_test_setup(trace_redirected, test_setup),
		cmocka_unit_test_setup(trace_port_filter, test_setup),
		cmocka_unit_test_setup(trace_requests, test_setup),
		cmocka_unit_test_setup(graph_one_call_per_stage, test_setup),
	};

	return cmocka_run_group_tests_name("packet graph and trace", tests, group_setup,
			group_teardown);
}
