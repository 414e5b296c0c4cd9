/* SPDX-License-Identifier: BSD-3-Clause */
/* The gateway under test: set-up as app/nodegw/main.c does it, verdicts, leak check. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "conf.h"
#include "ng_hash.h"
#include "ng_log.h"
#include "pkt.h"
#include "port.h"
#include "svc.h"
#include "ng_test_gw.h"

#define EAL_ARGS_MAX (16 + 2 * NG_TEST_GW_PORTS)

static size_t
heap_allocated(void)
{
	size_t n = 0;

	for (unsigned int i = 0; i < rte_socket_count(); i++) {
		struct rte_malloc_socket_stats s;

		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &s) == 0)
			n += s.heap_allocsz_bytes;
	}
	return n;
}

static int
eal_up(struct ng_test_gw *gw, const struct ng_test_gw_opts *o)
{
	char prefix[64], mem[16], vdev[NG_TEST_GW_PORTS][24];
	char *argv[EAL_ARGS_MAX];
	int argc = 0;

	snprintf(prefix, sizeof(prefix), "ng_test_%s_%d", o->name, (int)getpid());
	snprintf(mem, sizeof(mem), "%u", o->mem_mb ? o->mem_mb : 256);
	argv[argc++] = (char *)o->name;
	if (!o->huge)
		argv[argc++] = "--no-huge";
	argv[argc++] = "-m";
	argv[argc++] = mem;
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-shconf";
	argv[argc++] = "--file-prefix";
	argv[argc++] = prefix;
	for (unsigned int i = 0; i < o->n_ports; i++) {
		snprintf(vdev[i], sizeof(vdev[i]), "net_null%u", i);
		argv[argc++] = "--vdev";
		argv[argc++] = vdev[i];
	}
	argv[argc++] = "-l";
	argv[argc++] = "0";
	argv[argc++] = "--log-level";
	argv[argc++] = "lib.*:error";
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	gw->eal_up = true;
	return ng_log_init(RTE_LOG_WARNING) == 0 ? 0 : -1;
}

/* The config of the ports: p<i> on net_null<i> with o->addrs[i]. */
static int
conf_ports(struct ng_test_gw *gw, const struct ng_test_gw_opts *o)
{
	struct ng_conf *c = &gw->conf;

	for (unsigned int i = 0; i < o->n_ports; i++) {
		struct ng_conf_port *p = &c->ports[i];
		char addrs[256], *save = NULL;

		snprintf(p->name, sizeof(p->name), "p%u", i);
		snprintf(p->devargs, sizeof(p->devargs), "net_null%u", i);
		snprintf(addrs, sizeof(addrs), "%s", o->addrs[i] ? o->addrs[i] : "");
		for (char *a = strtok_r(addrs, ",", &save); a != NULL;
				a = strtok_r(NULL, ",", &save)) {
			if (p->n_addrs == NG_MAX_PORT_ADDRS ||
					ng_prefix_parse(a, &p->addrs[p->n_addrs]) != 0)
				return -1;
			gw->node_addrs[gw->n_node_addrs++] = p->addrs[p->n_addrs++].addr;
		}
		snprintf(addrs, sizeof(addrs), "%s", o->fullnat[i] ? o->fullnat[i] : "");
		for (char *a = strtok_r(addrs, ",", &save); a != NULL;
				a = strtok_r(NULL, ",", &save))
			if (p->n_fullnat == NG_MAX_FULLNAT_ADDRS ||
					ng_ip_parse(a, &p->fullnat[p->n_fullnat++]) != 0)
				return -1;
		p->mtu = 1500;
		p->rx_queues = 1;
		p->rx_desc = 256;
		p->tx_desc = 256;
		p->line = (int)i + 1;
	}
	c->n_ports = o->n_ports;
	return 0;
}

/* Pool and ports, then (the heap's baseline) the data-path context. */
static int
dp_up(struct ng_test_gw *gw)
{
	unsigned int lcores[NG_MAX_WORKERS];
	char err[NG_ERRBUF];

	gw->pool = ng_port_pool_create(&gw->conf, gw->n_workers);
	if (gw->pool == NULL) {
		fprintf(stderr, "pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (ng_ports_init(&gw->conf, (uint16_t)gw->n_workers, gw->pool, err, sizeof(err)) != 0) {
		fprintf(stderr, "ng_ports_init: %s\n", err);
		return -1;
	}
	gw->heap_base = heap_allocated();
	/* Worker structs on the one lcore: never launched, driven by the test. */
	for (unsigned int i = 0; i < gw->n_workers; i++)
		lcores[i] = rte_get_main_lcore();
	gw->dp = ng_dp_create(&gw->conf, lcores, gw->n_workers);
	if (gw->dp == NULL) {
		fprintf(stderr, "ng_dp_create: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	gw->dp->pool = gw->pool;
	ng_dp_assign_queues(gw->dp);
	if (ng_port_count() != gw->n_ports || gw->dp->n_ports != gw->n_ports)
		return -1;
	for (unsigned int i = 0; i < gw->n_ports; i++) {
		gw->port_id[i] = ng_port_get(i)->port_id;
		gw->port_mac[i] = ng_port_get(i)->mac;
	}
	return 0;
}

static int
routes_up(struct ng_test_gw *gw)
{
	struct ng_route_params p = {
		.conf = &gw->conf, .qsbr = gw->dp->qsbr, .pool = gw->pool,
		.tx = ng_dp_ctl_tx, .tx_arg = gw->dp,
	};
	char err[NG_ERRBUF];

	if (ng_route_init(&gw->rt, &p, err, sizeof(err)) != 0) {
		fprintf(stderr, "ng_route_init: %s\n", err);
		return -1;
	}
	gw->dp->fib = gw->rt.fib;
	gw->dp->neigh = gw->rt.neigh;
	return 0;
}

static int
svc_up(struct ng_test_gw *gw)
{
	struct ng_svc_params p = {0};

	ng_svc_params_snat(&p, &gw->conf, gw->port_id);
	p.qsbr = gw->dp->qsbr;
	p.publish = &gw->dp->rs;
	p.fib = gw->rt.fib;
	p.n_workers = gw->n_workers;
	p.timeouts = gw->conf.conntrack.timeouts;
	p.lport_min = gw->conf.nat.port_min;
	p.lport_max = gw->conf.nat.port_max;
	p.node_addrs = gw->node_addrs;
	p.n_node_addrs = gw->n_node_addrs;
	p.vip_port = gw->port_id[0];
	if (ng_svc_init(&p) != 0) {
		fprintf(stderr, "ng_svc_init failed\n");
		return -1;
	}
	gw->svc_up = true;
	return 0;
}

int
ng_test_gw_up(struct ng_test_gw *gw, const struct ng_test_gw_opts *o)
{
	memset(gw, 0, sizeof(*gw));
	if (o->n_ports == 0 || o->n_ports > NG_TEST_GW_PORTS)
		return -1;
	gw->n_ports = o->n_ports;
	gw->n_workers = o->n_workers ? o->n_workers : 1;
	if (eal_up(gw, o) != 0)
		return -1;
	ng_conf_defaults(&gw->conf);
	snprintf(gw->conf.file, sizeof(gw->conf.file), "%s.conf", o->name);
	gw->conf.mempool.mbufs = o->mbufs ? o->mbufs : 2048;
	if (o->ct_entries)
		gw->conf.conntrack.max_entries = o->ct_entries;
	if (o->lport_min)
		gw->conf.nat.port_min = o->lport_min;
	if (o->lport_max)
		gw->conf.nat.port_max = o->lport_max;
	if (conf_ports(gw, o) != 0) {
		fprintf(stderr, "bad port addresses\n");
		return -1;
	}
	if (dp_up(gw) != 0 || routes_up(gw) != 0)
		return -1;
	return o->services ? svc_up(gw) : 0;
}

int
ng_test_gw_down(struct ng_test_gw *gw)
{
	size_t heap = 0;
	int rc = 0;

	if (!gw->eal_up)
		return -1;
	if (gw->dp != NULL)
		ng_test_gw_release(gw);
	if (gw->svc_up)
		ng_svc_fini();
	ng_route_fini(&gw->rt);
	ng_dp_free(gw->dp); /* frees what the TX buffers and rings still hold */
	if (gw->heap_base != 0)
		heap = heap_allocated();
	if (heap > gw->heap_base) {
		fprintf(stderr, "leak: %zu bytes of DPDK heap still allocated\n",
				heap - gw->heap_base);
		rc = -1;
	}
	if (gw->pool != NULL && rte_mempool_in_use_count(gw->pool) != 0) {
		fprintf(stderr, "leak: %u mbufs not back in the pool\n",
				rte_mempool_in_use_count(gw->pool));
		rc = -1;
	}
	ng_ports_fini();
	rte_mempool_free(gw->pool);
	rte_eal_cleanup();
	memset(gw, 0, sizeof(*gw));
	return rc;
}

/* ---- packets ---- */

/* Free what ring r holds (a redirect ring's pointers may carry the trace mark). */
static unsigned int
drain(struct rte_ring *r)
{
	void *obj;
	unsigned int n = 0;

	while (r != NULL && rte_ring_dequeue(r, &obj) == 0) {
		rte_pktmbuf_free(ng_worker_redirect_mbuf(obj));
		n++;
	}
	return n;
}

unsigned int
ng_test_gw_release(struct ng_test_gw *gw)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < gw->n_workers; i++) {
		struct ng_worker *w = gw->dp->workers[i];

		for (unsigned int p = 0; p < gw->n_ports; p++) {
			n += w->tx[p].n;
			rte_pktmbuf_free_bulk(w->tx[p].pkts, w->tx[p].n);
			w->tx[p].n = 0;
		}
		for (unsigned int f = 0; f < gw->n_workers; f++)
			n += drain(w->redir_in[f]);
		n += drain(w->inject);
		n += drain(w->punt);
	}
	return n + drain(gw->dp->ctl_ring);
}

static void
stats_zero(struct ng_test_gw *gw)
{
	for (unsigned int i = 0; i < gw->n_workers; i++)
		memset(&gw->dp->workers[i]->stats, 0, sizeof(gw->dp->workers[i]->stats));
}

void
ng_test_gw_reset(struct ng_test_gw *gw)
{
	ng_test_gw_release(gw);
	stats_zero(gw);
	for (unsigned int p = 0; p < gw->n_ports; p++)
		ng_test_gw_twin(gw, p, 0, 0);
}

void
ng_test_gw_twin(struct ng_test_gw *gw, unsigned int p, uint64_t cost, uint64_t depth)
{
	struct ng_port_dp *pd = &ng_port_dp[gw->port_id[p]];

	pd->twin = cost != 0;
	pd->punt_cost = cost;
	pd->punt_depth = cost != 0 ? depth : 0;
	for (unsigned int i = 0; i < gw->n_workers; i++)
		memset(gw->dp->workers[i]->punt_tb, 0, sizeof(gw->dp->workers[i]->punt_tb));
}

unsigned int
ng_test_gw_punt_fill(struct ng_test_gw *gw, unsigned int wid)
{
	struct rte_ring *r = gw->dp->workers[wid]->punt;
	struct rte_mbuf *fill[64];
	unsigned int queued = 0;

	while (rte_ring_free_count(r) > 0) {
		unsigned int n = RTE_MIN(rte_ring_free_count(r), (unsigned int)RTE_DIM(fill));

		assert_int_equal(rte_pktmbuf_alloc_bulk(gw->pool, fill, n), 0);
		queued += rte_ring_enqueue_bulk(r, (void **)fill, n, NULL);
	}
	return queued;
}

void
ng_test_gw_take_punted(struct ng_test_gw *gw, unsigned int wid, struct tb_frame *out)
{
	struct rte_mbuf *m = NULL;

	assert_int_equal(rte_ring_dequeue(gw->dp->workers[wid]->punt, (void **)&m), 0);
	tb_from_mbuf(out, m, ng_port_dp[m->port].idx);
	rte_pktmbuf_free(m);
}

unsigned int
ng_test_gw_in_use(const struct ng_test_gw *gw)
{
	return rte_mempool_in_use_count(gw->pool);
}

void
ng_test_gw_rx(struct ng_test_gw *gw, unsigned int wid, const struct tb_frame *f)
{
	struct rte_mbuf *m;

	assert_true(wid < gw->n_workers && f->port < gw->n_ports);
	stats_zero(gw);
	m = tb_mbuf(gw->pool, f, gw->port_id[f->port]);
	ng_worker_process(gw->dp->workers[wid], &m, 1);
}

void
ng_test_gw_rx_redirected(struct ng_test_gw *gw, unsigned int from, unsigned int to,
		uint8_t in_port)
{
	struct ng_worker *w = gw->dp->workers[to];
	struct rte_ring *r = w->redir_in[from];
	void *obj = NULL;

	assert_non_null(r);
	assert_int_equal(rte_ring_count(r), 1);
	/* Look without taking: one thread, nobody else dequeues. */
	assert_int_equal(rte_ring_dequeue(r, &obj), 0);
	assert_int_equal(rte_ring_enqueue(r, obj), 0);
	assert_int_equal(ng_worker_redirect_mbuf(obj)->port, gw->port_id[in_port]);
	stats_zero(gw);
	assert_int_equal(ng_worker_drain_redirect(w), 1);
}

uint64_t
ng_test_gw_drops(const struct ng_test_gw *gw, unsigned int wid)
{
	uint64_t n = 0;

	for (unsigned int p = 0; p < gw->n_ports; p++)
		for (unsigned int r = 0; r < NG_DROP_MAX; r++)
			n += gw->dp->workers[wid]->stats.port[p].drop[r];
	return n;
}

const char *
ng_test_gw_drops_str(const struct ng_test_gw *gw, unsigned int wid, char *buf, size_t len)
{
	const struct ng_worker *w = gw->dp->workers[wid];
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int p = 0; p < gw->n_ports; p++)
		for (unsigned int r = 0; r < NG_DROP_MAX; r++)
			if (w->stats.port[p].drop[r] != 0 && off < len)
				off += (size_t)snprintf(buf + off, len - off, " p%u:%s=%" PRIu64, p,
						ng_drop_id((enum ng_drop_reason)r),
						w->stats.port[p].drop[r]);
	return off == 0 ? " none" : buf;
}

/* Worker i's share of the verdict: its drops, frames and redirect counter. */
static void
expect_worker(struct ng_test_gw *gw, const char *what, unsigned int i, unsigned int wid,
		uint8_t in_port, struct ng_test_verdict v)
{
	const struct ng_worker *w = gw->dp->workers[i];
	uint64_t want_drops = i == wid && v.drop != NG_DROP_NONE ? 1 : 0;
	char why[256];

	if (ng_test_gw_drops(gw, i) != want_drops || (want_drops != 0 &&
			w->stats.port[in_port].drop[v.drop] != 1))
		fail_msg("%s: worker %u: want drop %s on p%u, counted%s", what, i,
				want_drops ? ng_drop_id(v.drop) : "none", in_port,
				ng_test_gw_drops_str(gw, i, why, sizeof(why)));
	for (unsigned int p = 0; p < gw->n_ports; p++) {
		unsigned int want = i == wid && v.tx == (int)p ? 1 : 0;

		if (w->tx[p].n != want)
			fail_msg("%s: worker %u queued %u frame(s) on p%u, want %u (drops:%s)",
					what, i, w->tx[p].n, p, want,
					ng_test_gw_drops_str(gw, i, why, sizeof(why)));
	}
	if (rte_ring_count(w->punt) != (i == wid ? (unsigned int)v.punt : 0u))
		fail_msg("%s: worker %u's punt ring holds %u, want %u (drops:%s)", what, i,
				rte_ring_count(w->punt), i == wid ? v.punt : 0,
				ng_test_gw_drops_str(gw, i, why, sizeof(why)));
	assert_int_equal(w->stats.redirect_tx, i == wid && v.redirect >= 0 ? 1 : 0);
	for (unsigned int f = 0; f < gw->n_workers; f++) {
		unsigned int want = (int)i == v.redirect && f == wid ? 1 : 0, got;

		if (w->redir_in[f] == NULL)
			continue;
		got = rte_ring_count(w->redir_in[f]);
		if (got != want)
			fail_msg("%s: ring from worker %u to %u holds %u, want %u", what, f, i,
					got, want);
	}
}

void
ng_test_gw_expect(struct ng_test_gw *gw, const char *what, unsigned int wid, uint8_t in_port,
		struct ng_test_verdict v)
{
	unsigned int n;

	for (unsigned int i = 0; i < gw->n_workers; i++)
		expect_worker(gw, what, i, wid, in_port, v);
	n = rte_ring_count(gw->dp->ctl_ring);
	if (n != (v.ctl != 0 ? 1u : 0u))
		fail_msg("%s: %u packet(s) handed to the control core, want %u", what, n,
				v.ctl != 0 ? 1 : 0);
	if (v.ctl != 0)
		assert_int_equal(ng_mbuf_priv(ng_test_gw_to_ctl(gw))->kind, v.ctl);
}

struct rte_mbuf *
ng_test_gw_sent(struct ng_test_gw *gw, unsigned int wid, uint8_t p)
{
	const struct ng_worker *w = gw->dp->workers[wid];

	assert_true(w->tx[p].n > 0);
	return w->tx[p].pkts[0];
}

struct rte_mbuf *
ng_test_gw_to_ctl(struct ng_test_gw *gw)
{
	void *obj = NULL;

	/* Take it and put it back: one thread, nobody else dequeues. */
	assert_int_equal(rte_ring_dequeue(gw->dp->ctl_ring, &obj), 0);
	assert_int_equal(rte_ring_enqueue(gw->dp->ctl_ring, obj), 0);
	return obj;
}

void
ng_test_gw_take(struct ng_test_gw *gw, unsigned int wid, uint8_t p, struct tb_frame *out)
{
	struct ng_worker *w = gw->dp->workers[wid];
	struct rte_mbuf *m;

	assert_int_equal(w->tx[p].n, 1);
	m = w->tx[p].pkts[0];
	tb_from_mbuf(out, m, p);
	rte_pktmbuf_free(m);
	w->tx[p].n = 0;
}

void
ng_test_gw_check_reply_eth(const struct ng_test_gw *gw, const struct tb_frame *in,
		const struct tb_frame *out)
{
	const struct rte_ether_hdr *ie = (const struct rte_ether_hdr *)in->b;
	const struct rte_ether_hdr *oe = (const struct rte_ether_hdr *)out->b;

	assert_int_equal(out->port, in->port);
	assert_memory_equal(&oe->dst_addr, &ie->src_addr, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(&oe->src_addr, &gw->port_mac[in->port], RTE_ETHER_ADDR_LEN);
	assert_int_equal(out->l2, in->l2);
	assert_memory_equal(out->b + 12, in->b + 12, in->l2 - 12u);
}

void
ng_test_gw_step(struct ng_test_gw *gw, const char *what, unsigned int wid,
		const struct tb_frame *f, struct ng_test_verdict v, struct tb_frame *out)
{
	ng_test_gw_rx(gw, wid, f);
	ng_test_gw_expect(gw, what, wid, f->port, v);
	if (v.tx >= 0)
		ng_test_gw_take(gw, wid, (uint8_t)v.tx, out);
}

unsigned int
ng_test_owner_flow4(uint32_t client, uint16_t cport, unsigned int n)
{
	uint64_t port = rte_cpu_to_be_16(cport);

	return (unsigned int)(ng_mix64((port << 32 | client) ^ 0x6e67666c6f77ull) % n);
}
