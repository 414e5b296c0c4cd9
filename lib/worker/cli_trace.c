/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CLI commands of the packet trace: trace add N [port P], show trace [json],
 * clear trace. Records of every worker are shown in the order the workers
 * took the packets (TSC), each with its path through the stages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <rte_cycles.h>

#include "cli.h"
#include "ng_cli_util.h"
#include "port.h"
#include "trace.h"
#include "worker.h"

static struct ng_dp *dp;

/* The name of DPDK port id, as show ports has it. */
static const char *
port_name(uint16_t id, char *buf, size_t len)
{
	if (id < RTE_MAX_ETHPORTS && ng_port_dp[id].in_use && ng_port_dp[id].idx < ng_port_count())
		return ng_port_get(ng_port_dp[id].idx)->name;
	snprintf(buf, len, "port %u", id);
	return buf;
}

/* TCP flags as tcpdump writes them: S F R P U, "." for ACK. */
static const char *
tcp_flags(uint8_t f, char *buf)
{
	static const struct {
		uint8_t bit;
		char c;
	} fl[] = {{RTE_TCP_SYN_FLAG, 'S'}, {RTE_TCP_FIN_FLAG, 'F'}, {RTE_TCP_RST_FLAG, 'R'},
		{RTE_TCP_PSH_FLAG, 'P'}, {RTE_TCP_URG_FLAG, 'U'}, {RTE_TCP_ACK_FLAG, '.'}};
	size_t n = 0;

	for (size_t i = 0; i < RTE_DIM(fl); i++)
		if (f & fl[i].bit)
			buf[n++] = fl[i].c;
	buf[n] = '\0';
	return buf;
}

static const char *
proto_name(uint8_t p, char *buf, size_t len)
{
	if (p == IPPROTO_TCP)
		return "tcp";
	if (p == IPPROTO_UDP)
		return "udp";
	if (p == IPPROTO_ICMP)
		return "icmp";
	snprintf(buf, len, "proto %u", p);
	return buf;
}

/* Address a of family af (AF_INET or AF_INET6) into buf (INET6_ADDRSTRLEN). */
static const char *
addr_text(int af, const union ng_addr16 *a, char *buf)
{
	if (af == AF_INET6)
		return inet_ntop(AF_INET6, a->v6, buf, INET6_ADDRSTRLEN);
	return inet_ntop(AF_INET, &a->v4, buf, INET6_ADDRSTRLEN);
}

/* h's address a (its src or dst) in the family h has. */
static const char *
hdr_addr(const struct ng_trace_hdr *h, const union ng_addr16 *a, char *buf)
{
	return addr_text(h->have & NG_TRACE_HAVE_IP6 ? AF_INET6 : AF_INET, a, buf);
}

/* One line of headers: MACs, VLAN, addresses and ports, protocol, TTL. */
static void
hdr_text(const struct ng_trace_hdr *h, char *buf, size_t len)
{
	char dm[RTE_ETHER_ADDR_FMT_SIZE], sm[RTE_ETHER_ADDR_FMT_SIZE], a[INET6_ADDRSTRLEN],
			b[INET6_ADDRSTRLEN], pn[16], f[8];
	bool v6 = (h->have & NG_TRACE_HAVE_IP6) != 0;
	size_t o = 0;

	if (!(h->have & NG_TRACE_HAVE_ETH)) {
		snprintf(buf, len, "(shorter than an Ethernet header)");
		return;
	}
	rte_ether_format_addr(sm, sizeof(sm), &h->src_mac);
	rte_ether_format_addr(dm, sizeof(dm), &h->dst_mac);
	o += (size_t)snprintf(buf + o, len - o, "%s > %s", sm, dm);
	if ((h->have & NG_TRACE_HAVE_VLAN) && o < len)
		o += (size_t)snprintf(buf + o, len - o, " vlan %u", h->vlan & 0xfff);
	if (o >= len)
		return;
	if (!(h->have & (NG_TRACE_HAVE_IP4 | NG_TRACE_HAVE_IP6))) {
		if (h->ether_type == RTE_ETHER_TYPE_ARP)
			snprintf(buf + o, len - o, " arp");
		else
			snprintf(buf + o, len - o, " ethertype 0x%04x", h->ether_type);
		return;
	}
	hdr_addr(h, &h->src, a);
	hdr_addr(h, &h->dst, b);
	if (h->have & NG_TRACE_HAVE_L4)
		o += (size_t)snprintf(buf + o, len - o, v6 ? " [%s]:%u > [%s]:%u" : " %s:%u > %s:%u",
				a, h->sport, b, h->dport);
	else
		o += (size_t)snprintf(buf + o, len - o, " %s > %s", a, b);
	if (o >= len)
		return;
	o += (size_t)snprintf(buf + o, len - o, " %s", proto_name(h->proto, pn, sizeof(pn)));
	if (h->proto == IPPROTO_TCP && (h->have & NG_TRACE_HAVE_L4) && o < len)
		o += (size_t)snprintf(buf + o, len - o, " [%s]", tcp_flags(h->tcp_flags, f));
	if (o < len)
		snprintf(buf + o, len - o, v6 ? " hlim %u len %u" : " ttl %u len %u", h->ttl,
				h->ip_len);
}

static cJSON *
hdr_json(const struct ng_trace_hdr *h)
{
	cJSON *o = cJSON_CreateObject();
	char m[RTE_ETHER_ADDR_FMT_SIZE], a[INET6_ADDRSTRLEN], pn[16], f[8];

	if (!(h->have & NG_TRACE_HAVE_ETH))
		return o;
	rte_ether_format_addr(m, sizeof(m), &h->src_mac);
	cJSON_AddStringToObject(o, "src_mac", m);
	rte_ether_format_addr(m, sizeof(m), &h->dst_mac);
	cJSON_AddStringToObject(o, "dst_mac", m);
	if (h->have & NG_TRACE_HAVE_VLAN)
		cJSON_AddNumberToObject(o, "vlan", h->vlan & 0xfff);
	cJSON_AddNumberToObject(o, "ether_type", h->ether_type);
	if (!(h->have & (NG_TRACE_HAVE_IP4 | NG_TRACE_HAVE_IP6)))
		return o;
	cJSON_AddStringToObject(o, "src", hdr_addr(h, &h->src, a));
	cJSON_AddStringToObject(o, "dst", hdr_addr(h, &h->dst, a));
	cJSON_AddStringToObject(o, "proto", proto_name(h->proto, pn, sizeof(pn)));
	cJSON_AddNumberToObject(o, "ttl", h->ttl);
	cJSON_AddNumberToObject(o, "ip_len", h->ip_len);
	if (!(h->have & NG_TRACE_HAVE_L4))
		return o;
	cJSON_AddNumberToObject(o, "sport", h->sport);
	cJSON_AddNumberToObject(o, "dport", h->dport);
	if (h->proto == IPPROTO_TCP)
		cJSON_AddStringToObject(o, "tcp_flags", tcp_flags(h->tcp_flags, f));
	return o;
}

static const char *
edge_name(const struct ng_trace_step *st)
{
	const uint8_t *to;
	unsigned int ne = ng_stage_edges((enum ng_stage)st->stage, &to);

	return st->edge < ne ? ng_stage_name((enum ng_stage)to[st->edge]) : "?";
}

static const char *
ctl_kind_text(uint16_t kind)
{
	if (kind == NG_CTL_RESOLVE)
		return "to the control core: its next hop has no MAC yet (ARP or ND)";
	if (kind == NG_CTL_ARP)
		return "to the control core: an ARP reply for the neighbour table";
	if (kind == NG_CTL_ND)
		return "to the control core: a neighbour advertisement for the neighbour table";
	return "to the control core";
}

/* The verdict in words: "sent on p1", "dropped: no route (no_route)"... */
static void
verdict_text(const struct ng_trace_rec *r, char *buf, size_t len)
{
	enum ng_drop_reason reason = (enum ng_drop_reason)r->reason;
	char pb[16];
	size_t o = 0;

	switch (r->verdict) {
	case NG_TRACE_TX:
		o = (size_t)snprintf(buf, len, "sent on %s", port_name(r->out, pb, sizeof(pb)));
		break;
	case NG_TRACE_DROPPED:
		o = (size_t)snprintf(buf, len, "dropped: %s (%s)", ng_drop_name(reason),
				ng_drop_id(reason));
		reason = NG_DROP_NONE;
		break;
	case NG_TRACE_TO_CONTROL:
		o = (size_t)snprintf(buf, len, "%s", ctl_kind_text(r->out));
		break;
	case NG_TRACE_REDIRECTED:
		o = (size_t)snprintf(buf, len, "redirected to worker %u, its owner", r->out);
		break;
	case NG_TRACE_TO_TWIN:
		o = (size_t)snprintf(buf, len, "to the kernel twin of %s (punt ring)",
				port_name(r->out, pb, sizeof(pb)));
		break;
	default:
		o = (size_t)snprintf(buf, len, "no verdict recorded");
		break;
	}
	if (o < len && reason != NG_DROP_NONE)
		o += (size_t)snprintf(buf + o, len - o, "; counted as %s (%s)", ng_drop_name(reason),
				ng_drop_id(reason));
	if (o < len && r->reply != NG_TRACE_REPLY_NONE)
		snprintf(buf + o, len - o, "; reply: %s",
				ng_trace_reply_name((enum ng_trace_reply)r->reply));
}

static void
conn_text(const struct ng_trace_rec *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	bool v6 = r->conn.family == AF_INET6;
	size_t o;

	o = (size_t)snprintf(buf, len, v6 ? "connection %s %s, service %s, backend [%s]:%u" :
			"connection %s %s, service %s, backend %s:%u",
			ng_trace_conn_name((enum ng_trace_conn_how)r->conn.how),
			ng_ct_state_name((enum ng_ct_state)r->conn.state),
			r->conn.svc[0] != '\0' ? r->conn.svc : "(unknown)",
			addr_text(r->conn.family, &r->conn.backend, a), r->conn.bport);
	if (r->conn.fullnat && o < len)
		snprintf(buf + o, len - o, v6 ? ", FullNAT source [%s]:%u" : ", FullNAT source %s:%u",
				addr_text(r->conn.family, &r->conn.snat, b), r->conn.lport);
}

/* Time since the first record: microseconds below a millisecond. */
static const char *
since(uint64_t tsc, uint64_t t0, char *buf, size_t len)
{
	double us = (double)(tsc - t0) * 1e6 / (double)rte_get_tsc_hz();

	if (us < 1000)
		snprintf(buf, len, "+%.1f us", us);
	else
		snprintf(buf, len, "+%.3f ms", us / 1000);
	return buf;
}

/* One record: worker wid's, number k in the listing, t0 the first record's TSC. */
static void
rec_print(struct ng_cli_sess *s, const struct ng_trace_rec *r, unsigned int wid, unsigned int k,
		uint64_t t0)
{
	char line[256], pb[16], tb[32];

	if (r->from_worker >= 0)
		ng_cli_printf(s, "Packet %u: worker %u, redirected from worker %d (received on %s), "
				"%u bytes, %s\n", k, wid, r->from_worker,
				port_name(r->port, pb, sizeof(pb)), r->len, since(r->tsc, t0, tb, sizeof(tb)));
	else
		ng_cli_printf(s, "Packet %u: worker %u, %s queue %u, %u bytes, %s\n", k, wid,
				port_name(r->port, pb, sizeof(pb)), r->queue, r->len,
				since(r->tsc, t0, tb, sizeof(tb)));
	if (r->copy)
		ng_cli_printf(s, "  (a copy nodegw made, for the kernel twin, of the packet "
				"received with these headers)\n");
	hdr_text(&r->before, line, sizeof(line));
	ng_cli_printf(s, "  received  %s\n", line);
	for (unsigned int i = 0; i < r->n_steps; i++) {
		const struct ng_trace_step *st = &r->steps[i];

		ng_cli_printf(s, "  %-12s -> %s\n", ng_stage_name((enum ng_stage)st->stage),
				edge_name(st));
		if (st->stage == NG_STAGE_LB && r->conn.how != NG_TRACE_CONN_NONE) {
			conn_text(r, line, sizeof(line));
			ng_cli_printf(s, "                  %s\n", line);
		}
	}
	if (r->truncated)
		ng_cli_printf(s, "  (more steps than %u: the rest not recorded)\n", NG_TRACE_STEPS);
	verdict_text(r, line, sizeof(line));
	ng_cli_printf(s, "  verdict   %s\n", line);
	if (r->verdict != NG_TRACE_IN_FLIGHT) {
		hdr_text(&r->after, line, sizeof(line));
		ng_cli_printf(s, "  leaves    %s\n", line);
	}
}

static cJSON *
rec_json(const struct ng_trace_rec *r, unsigned int wid, uint64_t t0)
{
	cJSON *o = cJSON_CreateObject(), *steps = cJSON_CreateArray();
	char pb[16], a[INET6_ADDRSTRLEN];

	cJSON_AddNumberToObject(o, "worker", wid);
	cJSON_AddStringToObject(o, "port", port_name(r->port, pb, sizeof(pb)));
	if (r->from_worker >= 0)
		cJSON_AddNumberToObject(o, "from_worker", r->from_worker);
	else
		cJSON_AddNumberToObject(o, "queue", r->queue);
	cJSON_AddNumberToObject(o, "len", r->len);
	cJSON_AddBoolToObject(o, "copy", r->copy);
	cJSON_AddNumberToObject(o, "time_ms", (double)(r->tsc - t0) * 1e3 /
			(double)rte_get_tsc_hz());
	for (unsigned int i = 0; i < r->n_steps; i++) {
		cJSON *st = cJSON_CreateObject();

		cJSON_AddStringToObject(st, "stage", ng_stage_name((enum ng_stage)r->steps[i].stage));
		cJSON_AddStringToObject(st, "edge", edge_name(&r->steps[i]));
		cJSON_AddItemToArray(steps, st);
	}
	cJSON_AddItemToObject(o, "steps", steps);
	cJSON_AddBoolToObject(o, "truncated", r->truncated);
	cJSON_AddStringToObject(o, "verdict", ng_trace_verdict_name((enum ng_trace_verdict)r->verdict));
	if (r->verdict == NG_TRACE_TX)
		cJSON_AddStringToObject(o, "out_port", port_name(r->out, pb, sizeof(pb)));
	else if (r->verdict == NG_TRACE_TO_CONTROL)
		cJSON_AddStringToObject(o, "control", r->out == NG_CTL_ARP ? "arp" :
				r->out == NG_CTL_ND ? "nd" : "resolve");
	else if (r->verdict == NG_TRACE_REDIRECTED)
		cJSON_AddNumberToObject(o, "to_worker", r->out);
	else if (r->verdict == NG_TRACE_TO_TWIN)
		cJSON_AddStringToObject(o, "twin_port", port_name(r->out, pb, sizeof(pb)));
	if (r->reason != NG_DROP_NONE)
		cJSON_AddStringToObject(o, "reason", ng_drop_id((enum ng_drop_reason)r->reason));
	cJSON_AddStringToObject(o, "reply", ng_trace_reply_name((enum ng_trace_reply)r->reply));
	if (r->conn.how != NG_TRACE_CONN_NONE) {
		cJSON *c = cJSON_AddObjectToObject(o, "conn");

		cJSON_AddStringToObject(c, "how", ng_trace_conn_name((enum ng_trace_conn_how)r->conn.how));
		cJSON_AddStringToObject(c, "state", ng_ct_state_name((enum ng_ct_state)r->conn.state));
		cJSON_AddStringToObject(c, "service", r->conn.svc);
		cJSON_AddStringToObject(c, "backend", addr_text(r->conn.family, &r->conn.backend, a));
		cJSON_AddNumberToObject(c, "backend_port", r->conn.bport);
		if (r->conn.fullnat) {
			cJSON_AddStringToObject(c, "source",
					addr_text(r->conn.family, &r->conn.snat, a));
			cJSON_AddNumberToObject(c, "source_port", r->conn.lport);
		}
	}
	cJSON_AddItemToObject(o, "before", hdr_json(&r->before));
	if (r->verdict != NG_TRACE_IN_FLIGHT)
		cJSON_AddItemToObject(o, "after", hdr_json(&r->after));
	return o;
}

struct rec_ref {
	uint64_t tsc;
	const struct ng_trace_rec *r;
	unsigned int wid;
};

static int
ref_cmp(const void *a, const void *b)
{
	const struct rec_ref *x = a, *y = b;

	if (x->tsc != y->tsc)
		return x->tsc < y->tsc ? -1 : 1;
	if (x->wid != y->wid)
		return x->wid < y->wid ? -1 : 1;
	/* one burst's records share its TSC: keep the order they were made in */
	return x->r < y->r ? -1 : x->r > y->r;
}

/* Every worker's records in TSC order; *n gets their number. NULL when out of memory. */
static struct rec_ref *
collect(struct ng_trace_view *views, unsigned int *n)
{
	struct rec_ref *refs;
	unsigned int total = 0, k = 0;

	for (unsigned int w = 0; w < dp->n_workers; w++) {
		ng_trace_view(dp, w, &views[w]);
		total += views[w].n;
	}
	refs = calloc(total + 1, sizeof(*refs));
	if (refs == NULL)
		return NULL;
	for (unsigned int w = 0; w < dp->n_workers; w++)
		for (uint32_t i = 0; i < views[w].n; i++)
			refs[k++] = (struct rec_ref){views[w].rec[i].tsc, &views[w].rec[i], w};
	qsort(refs, total, sizeof(*refs), ref_cmp);
	*n = total;
	return refs;
}

static int
cmd_show_trace(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	struct ng_trace_view views[NG_MAX_WORKERS];
	struct rec_ref *refs;
	unsigned int n;
	cJSON *root, *ws, *pk;

	if (ng_cli_no_args(s, "show trace", argc, argv) < 0)
		return -1;
	refs = collect(views, &n);
	if (refs == NULL) {
		ng_cli_error(s, "show trace: out of memory");
		return -1;
	}
	if (!json) {
		for (unsigned int w = 0; w < dp->n_workers; w++)
			ng_cli_printf(s, "worker %u: %u recorded, %u left to trace, %u not recorded "
					"(buffer full)%s\n", w, views[w].n, views[w].left, views[w].lost,
					views[w].clearing ? ", clearing" : views[w].pending ?
					", request pending (taken at its next loop)" : "");
		for (unsigned int i = 0; i < n; i++)
			rec_print(s, refs[i].r, refs[i].wid, i + 1, refs[0].tsc);
		free(refs);
		return 0;
	}
	root = cJSON_CreateObject();
	ws = cJSON_AddArrayToObject(root, "workers");
	pk = cJSON_AddArrayToObject(root, "packets");
	for (unsigned int w = 0; w < dp->n_workers; w++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "worker", w);
		cJSON_AddNumberToObject(o, "recorded", views[w].n);
		cJSON_AddNumberToObject(o, "left", views[w].left);
		cJSON_AddNumberToObject(o, "lost", views[w].lost);
		cJSON_AddBoolToObject(o, "pending", views[w].pending);
		cJSON_AddItemToArray(ws, o);
	}
	for (unsigned int i = 0; i < n; i++)
		cJSON_AddItemToArray(pk, rec_json(refs[i].r, refs[i].wid, refs[0].tsc));
	free(refs);
	return ng_cli_print_json(s, root);
}

static int
cmd_trace_add(struct ng_cli_sess *s, int argc, char **argv)
{
	const struct ng_port *p = NULL;
	unsigned long n;
	char *end;
	int rc;

	if (argc != 1 && !(argc == 3 && strcmp(argv[1], "port") == 0)) {
		ng_cli_error(s, "trace add: N [port P]");
		return -1;
	}
	n = strtoul(argv[0], &end, 10);
	if (argv[0][0] < '0' || argv[0][0] > '9' || *end != '\0' || n == 0 || n > NG_TRACE_MAX) {
		ng_cli_error(s, "trace add: N \"%s\" is not a number from 1 to %u", argv[0],
				NG_TRACE_MAX);
		return -1;
	}
	if (argc == 3) {
		p = ng_port_by_name(argv[2]);
		if (p == NULL) {
			ng_cli_error(s, "trace add: no port \"%s\" (see show ports)", argv[2]);
			return -1;
		}
	}
	rc = ng_trace_add(dp, (unsigned int)n, p != NULL ? p->port_id : -1);
	if (rc < 0) {
		ng_cli_error(s, "trace add: %s", strerror(-rc));
		return -1;
	}
	ng_cli_printf(s, "tracing the next %lu packets each of %u worker(s) receives%s%s\n", n,
			dp->n_workers, p != NULL ? " on " : "", p != NULL ? p->name : "");
	return 0;
}

static int
cmd_clear_trace(struct ng_cli_sess *s, int argc, char **argv)
{
	if (ng_cli_no_args(s, "clear trace", argc, argv) < 0)
		return -1;
	ng_trace_clear(dp);
	return 0;
}

static const char *const trace_add_words[] = {"port", NULL};

static const char *const *
trace_add_complete(struct ng_cli_sess *s, int argc, char **argv)
{
	(void)s;
	(void)argc;
	(void)argv;
	return trace_add_words;
}

static const struct ng_cli_cmd trace_cmds[] = {
	{"trace add", "N [port P]", "record the path of the next N packets each worker receives "
		"(from port P): stages, edges, verdict, connection, headers", cmd_trace_add,
		trace_add_complete},
	{"show trace", "[json]", "the packets trace add recorded, in the order they came",
		cmd_show_trace, NULL},
	{"clear trace", NULL, "forget the recorded packets and stop tracing", cmd_clear_trace,
		NULL},
};

int
ng_trace_cli_register(struct ng_dp *d)
{
	dp = d;
	return ng_cli_register(trace_cmds, RTE_DIM(trace_cmds));
}
