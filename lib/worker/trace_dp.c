/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's side of the packet trace: which packets of a burst to trace,
 * and what to write in their records as the dispatcher runs the stages. Only
 * traced bursts come here (see process_burst() in worker_dp.c).
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_string_fns.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "svc_dp.h"
#include "trace_dp.h"

void
ng_w_trace_apply(struct ng_worker *w)
{
	struct ng_w_trace *t = &w->tr;
	uint64_t req = __atomic_exchange_n(&t->req, 0, __ATOMIC_ACQ_REL);
	uint32_t n = (uint32_t)(req & NG_TRACE_REQ_N_MASK);
	uint32_t port1 = (uint32_t)(req >> NG_TRACE_REQ_PORT_SHIFT) & NG_TRACE_REQ_PORT_MASK;

	if (req == 0)
		return;
	if (req & NG_TRACE_REQ_CLEAR) {
		t->next = 0;
		__atomic_store_n(&t->left, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&t->lost, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&t->head, 0, __ATOMIC_RELEASE);
	}
	if (n > 0) {
		__atomic_store_n(&t->left, t->left + n, __ATOMIC_RELAXED);
		t->port = port1 != 0 ? (uint16_t)(port1 - 1) : UINT16_MAX;
	}
	__atomic_store_n(&t->ack, (uint32_t)(req >> NG_TRACE_REQ_GEN_SHIFT), __ATOMIC_RELEASE);
}

/* The TCP or UDP ports (and TCP flags) of the upper layer at p[off..len). */
static void
l4_capture(struct ng_trace_hdr *h, const uint8_t *p, uint32_t off, uint32_t len)
{
	if ((h->proto != IPPROTO_TCP && h->proto != IPPROTO_UDP) ||
			len < off + sizeof(struct rte_udp_hdr))
		return;
	if (h->proto == IPPROTO_TCP) {
		const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(p + off);

		if (len < off + sizeof(*th))
			return;
		h->tcp_flags = th->tcp_flags;
		h->sport = rte_be_to_cpu_16(th->src_port);
		h->dport = rte_be_to_cpu_16(th->dst_port);
	} else {
		const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)(p + off);

		h->sport = rte_be_to_cpu_16(uh->src_port);
		h->dport = rte_be_to_cpu_16(uh->dst_port);
	}
	h->have |= NG_TRACE_HAVE_L4;
}

/* The IPv4 header at p[off..len) and, unless a later fragment, its ports. */
static void
ip4_capture(struct ng_trace_hdr *h, const uint8_t *p, uint32_t off, uint32_t len)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + off);
	uint32_t ihl;

	if (len < off + sizeof(*ip))
		return;
	h->src.v4 = ip->src_addr;
	h->dst.v4 = ip->dst_addr;
	h->proto = ip->next_proto_id;
	h->ttl = ip->time_to_live;
	h->ip_len = rte_be_to_cpu_16(ip->total_length);
	h->have |= NG_TRACE_HAVE_IP4;
	ihl = (ip->version_ihl & 0x0f) * 4u;
	if (ihl >= sizeof(*ip) &&
			!(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)))
		l4_capture(h, p, off + ihl, len);
}

/*
 * The IPv6 fixed header at p[off..len) and the ports of a TCP or UDP header
 * right behind it (behind extension headers the record says the first
 * extension header in proto and has no ports: the trace does not walk them).
 */
static void
ip6_capture(struct ng_trace_hdr *h, const uint8_t *p, uint32_t off, uint32_t len)
{
	const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(p + off);

	if (len < off + sizeof(*ip6))
		return;
	memcpy(h->src.v6, ip6->src_addr, sizeof(h->src.v6));
	memcpy(h->dst.v6, ip6->dst_addr, sizeof(h->dst.v6));
	h->proto = ip6->proto;
	h->ttl = ip6->hop_limits;
	h->ip_len = (uint16_t)(sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len));
	h->have |= NG_TRACE_HAVE_IP6;
	l4_capture(h, p, off + (uint32_t)sizeof(*ip6), len);
}

/* The header fields of m's frame, parsed here (its l2/l3 lengths may be stale). */
static void
hdr_capture(struct ng_trace_hdr *h, const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)p;
	uint32_t len = rte_pktmbuf_data_len(m), off = sizeof(*eth);
	uint16_t type;

	memset(h, 0, sizeof(*h));
	if (len < off)
		return;
	h->dst_mac = eth->dst_addr;
	h->src_mac = eth->src_addr;
	h->have = NG_TRACE_HAVE_ETH;
	type = rte_be_to_cpu_16(eth->ether_type);
	if (type == RTE_ETHER_TYPE_VLAN && len >= off + sizeof(struct rte_vlan_hdr)) {
		const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(p + off);

		h->vlan = rte_be_to_cpu_16(vh->vlan_tci);
		h->have |= NG_TRACE_HAVE_VLAN;
		type = rte_be_to_cpu_16(vh->eth_proto);
		off += sizeof(*vh);
	}
	h->ether_type = type;
	if (type == RTE_ETHER_TYPE_IPV4)
		ip4_capture(h, p, off, len);
	else if (type == RTE_ETHER_TYPE_IPV6)
		ip6_capture(h, p, off, len);
}

static bool
is_marked(const struct ng_w_trace *t, uint16_t n_marked, const struct rte_mbuf *m)
{
	for (uint16_t i = 0; i < n_marked; i++)
		if (t->marked[i] == m)
			return true;
	return false;
}

/*
 * The next record of the buffer for m, traced from now on in this burst;
 * NULL (counted as lost) when the buffer or the burst's room is full.
 */
static struct ng_trace_rec *
rec_take(struct ng_w_trace *t, struct rte_mbuf *m)
{
	if (t->rec == NULL || t->next >= NG_TRACE_MAX || t->burst_n == NG_TRACE_BURST) {
		__atomic_store_n(&t->lost, t->lost + 1, __ATOMIC_RELAXED);
		return NULL;
	}
	t->burst_m[t->burst_n] = m;
	t->burst_rec[t->burst_n++] = (uint16_t)t->next;
	return &t->rec[t->next++];
}

void
ng_w_trace_begin(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n, uint16_t queue)
{
	struct ng_w_trace *t = &w->tr;
	uint16_t n_marked = t->n_marked;
	uint64_t now = rte_rdtsc();

	t->burst_n = 0;
	t->n_marked = 0;
	memset(w->graph->traced, 0, sizeof(w->graph->traced));
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		bool mark = is_marked(t, n_marked, m);
		struct ng_trace_rec *r;

		if (!mark) {
			if (t->left == 0 || (t->port != UINT16_MAX && m->port != t->port) ||
					t->burst_n == NG_TRACE_BURST)
				continue;
			__atomic_store_n(&t->left, t->left - 1, __ATOMIC_RELAXED);
		}
		r = rec_take(t, m);
		if (r == NULL)
			continue;
		memset(r, 0, sizeof(*r));
		r->tsc = now;
		r->port = m->port;
		r->queue = mark ? UINT16_MAX : queue;
		r->len = (uint16_t)rte_pktmbuf_pkt_len(m);
		r->from_worker = mark ? t->marked_from : -1;
		hdr_capture(&r->before, m);
	}
}

struct ng_trace_rec *
ng_w_trace_find(struct ng_worker *w, const struct rte_mbuf *m)
{
	const struct ng_w_trace *t = &w->tr;

	for (uint16_t i = 0; i < t->burst_n; i++)
		if (t->burst_m[i] == m)
			return &t->rec[t->burst_rec[i]];
	return NULL;
}

/* A traced packet entered the input of stage to (at v->pkts[j]). */
static void
on_edge(const struct ng_worker *w, struct ng_trace_rec *r, enum ng_stage to, struct ng_vec *v,
		uint16_t j)
{
	const struct rte_mbuf *m = v->pkts[j];
	uint64_t u = v->aux[j].u;

	switch (to) {
	case NG_STAGE_REPLY:
		r->reason = (uint16_t)u;
		return;
	case NG_STAGE_OUTPUT:
		r->verdict = NG_TRACE_TX;
		r->out = w->dp->port_ids[u]; /* the word is the port's index */
		break;
	case NG_STAGE_DROP:
		r->verdict = NG_TRACE_DROPPED;
		r->reason = (uint16_t)u;
		break;
	case NG_STAGE_TO_CONTROL:
		r->verdict = NG_TRACE_TO_CONTROL;
		r->out = (uint16_t)u;
		break;
	case NG_STAGE_REDIRECT_OUT:
		r->verdict = NG_TRACE_REDIRECTED;
		r->out = (uint16_t)u;
		v->aux[j].u = u | NG_W_AUX_TRACED; /* the owner traces it on */
		break;
	default:
		return;
	}
	hdr_capture(&r->after, m);
}

void
ng_w_trace_stage(struct ng_worker *w, enum ng_stage s)
{
	struct ng_w_graph *g = w->graph;
	const uint8_t *to;
	unsigned int ne = ng_stage_edges(s, &to);

	g->traced[s] = 0;
	if (w->tr.burst_n == 0)
		return;
	for (unsigned int e = 0; e < ne; e++) {
		struct ng_vec *v = &g->in[to[e]];

		for (uint16_t j = g->traced[to[e]]; j < v->n; j++) {
			struct ng_trace_rec *r = ng_w_trace_find(w, v->pkts[j]);

			if (r == NULL)
				continue;
			if (r->n_steps < NG_TRACE_STEPS) {
				r->steps[r->n_steps].stage = (uint8_t)s;
				r->steps[r->n_steps++].edge = (uint8_t)e;
			} else {
				r->truncated = 1;
			}
			on_edge(w, r, (enum ng_stage)to[e], v, j);
		}
		g->traced[to[e]] = v->n;
	}
}

void
ng_w_trace_end(struct ng_worker *w)
{
	__atomic_store_n(&w->tr.head, w->tr.next, __ATOMIC_RELEASE);
	w->tr.burst_n = 0;
}

void
ng_w_trace_marked(struct ng_worker *w, struct rte_mbuf **objs, uint16_t n, unsigned int from)
{
	struct ng_w_trace *t = &w->tr;

	t->n_marked = 0;
	t->marked_from = (int16_t)from;
	for (uint16_t i = 0; i < n; i++) {
		uintptr_t o = (uintptr_t)objs[i];

		if (!(o & 1))
			continue;
		objs[i] = ng_worker_redirect_mbuf(objs[i]);
		if (t->n_marked < NG_TRACE_BURST)
			t->marked[t->n_marked++] = objs[i];
		else
			__atomic_store_n(&t->lost, t->lost + 1, __ATOMIC_RELAXED);
	}
}

/* Whether the received headers b are c's client to frontend direction. */
static bool
is_orig(const struct ng_conn *c, const struct ng_trace_hdr *b)
{
	if (!(b->have & NG_TRACE_HAVE_L4) || rte_be_to_cpu_16(c->orig.sport) != b->sport)
		return false;
	if (c->orig.family == AF_INET6)
		return (b->have & NG_TRACE_HAVE_IP6) && memcmp(&c->orig.src, &b->src, 16) == 0 &&
				memcmp(&c->orig.dst, &b->dst, 16) == 0;
	return (b->have & NG_TRACE_HAVE_IP4) && c->orig.src.v4 == b->src.v4 &&
			c->orig.dst.v4 == b->dst.v4;
}

void
ng_w_trace_conn(struct ng_worker *w, struct ng_trace_rec *r, const struct ng_conn *c,
		bool created)
{
	const struct ng_trace_hdr *b = &r->before;
	const struct ng_svc_obj *svc;

	if (c == NULL)
		return;
	if (created)
		r->conn.how = NG_TRACE_CONN_NEW;
	else if (is_orig(c, b))
		r->conn.how = NG_TRACE_CONN_ORIG;
	else
		r->conn.how = NG_TRACE_CONN_REPLY;
	r->conn.state = c->state;
	r->conn.fullnat = (c->flags & NG_CT_F_FULLNAT) != 0;
	r->conn.family = c->orig.family;
	r->conn.backend = c->backend;
	r->conn.bport = rte_be_to_cpu_16(c->bport);
	r->conn.snat = c->snat;
	r->conn.lport = rte_be_to_cpu_16(c->lport);
	/* c->svc may be read only while checked against this burst's ruleset */
	svc = c->gen == (uint32_t)w->rs->gen ? c->svc : NULL;
	if (svc != NULL)
		rte_strscpy(r->conn.svc, svc->name, sizeof(r->conn.svc)); /* cut short if longer */
}

void
ng_w_trace_reply(struct ng_worker *w, const struct rte_mbuf *m, enum ng_trace_reply did)
{
	struct ng_trace_rec *r = ng_w_trace_find(w, m);

	if (r != NULL)
		r->reply = (uint8_t)did;
}

void
ng_w_trace_punt(struct ng_worker *w, struct rte_mbuf *const *pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct ng_trace_rec *r = ng_w_trace_find(w, pkts[i]);

		if (r == NULL)
			continue;
		r->verdict = NG_TRACE_TO_TWIN;
		r->out = pkts[i]->port;
		hdr_capture(&r->after, pkts[i]);
	}
}

void
ng_w_trace_copy(struct ng_worker *w, const struct rte_mbuf *m, struct rte_mbuf *c)
{
	const struct ng_trace_rec *r = ng_w_trace_find(w, m);
	struct ng_trace_rec *rc;

	if (r == NULL)
		return;
	rc = rec_take(&w->tr, c);
	if (rc == NULL)
		return;
	*rc = *r; /* received as m was, and the path so far */
	rc->copy = 1;
}

void
ng_w_trace_sink_drop(struct ng_worker *w, const struct rte_mbuf *m, enum ng_drop_reason reason)
{
	struct ng_trace_rec *r;

	if (w->tr.burst_n == 0)
		return;
	r = ng_w_trace_find(w, m);
	if (r != NULL) {
		r->verdict = NG_TRACE_DROPPED;
		r->reason = (uint16_t)reason;
	}
}
