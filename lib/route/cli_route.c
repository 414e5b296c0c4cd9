/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CLI commands of routes and neighbours: thin parsers over the control API
 * (route_api.c), and the show commands over the FIB and neighbour walks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ng_cli_util.h"
#include "port.h"
#include "route.h"

static struct ng_route_ctx *rt;

struct walk_ctx {
	struct ng_cli_sess *s;
	cJSON *arr;
	unsigned int n;
};

static int
route_cb(const struct ng_route_info *r, void *arg)
{
	struct walk_ctx *x = arg;
	char p[NG_IP_STRLEN + 4], gw[NG_IP_STRLEN], src[NG_IP_STRLEN];

	ng_prefix_fmt(&r->prefix, p, sizeof(p));
	ng_ip_fmt(&r->gw, gw, sizeof(gw));
	ng_ip_fmt(&r->src, src, sizeof(src));
	x->n++;
	if (x->arr != NULL) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "prefix", p);
		cJSON_AddStringToObject(o, "origin", ng_route_origin_name(r->origin));
		if (r->type == NG_NH_GATEWAY)
			cJSON_AddStringToObject(o, "via", gw);
		cJSON_AddStringToObject(o, "port",
				r->type == NG_NH_VIP ? "-" : ng_port_name(r->port));
		cJSON_AddStringToObject(o, "source", src);
		cJSON_AddItemToArray(x->arr, o);
		return 0;
	}
	ng_cli_printf(x->s, "%-20s %-10s %-16s %-10s %s\n", p, ng_route_origin_name(r->origin),
			r->type == NG_NH_GATEWAY ? gw : "-",
			r->type == NG_NH_VIP ? "-" : ng_port_name(r->port), src);
	return 0;
}

static int
cmd_show_routes(struct ng_cli_sess *s, int argc, char **argv)
{
	struct walk_ctx x = {.s = s};
	bool json = ng_cli_json(&argc, argv);

	if (ng_cli_no_args(s, "show routes", argc, argv) < 0)
		return -1;
	if (json) {
		x.arr = cJSON_CreateArray();
		ng_fib_walk(rt->fib, route_cb, &x);
		return ng_cli_print_json(s, x.arr);
	}
	ng_cli_printf(s, "%-20s %-10s %-16s %-10s %s\n", "prefix", "origin", "via", "port",
			"source");
	ng_fib_walk(rt->fib, route_cb, &x);
	ng_cli_printf(s, "%u routes\n", x.n);
	return 0;
}

static const char *
state_name(enum ng_neigh_state st)
{
	switch (st) {
	case NG_NEIGH_INCOMPLETE:
		return "incomplete";
	case NG_NEIGH_REACHABLE:
		return "reachable";
	case NG_NEIGH_PROBE:
		return "probe";
	case NG_NEIGH_FAILED:
		return "failed";
	case NG_NEIGH_STATIC:
		return "static";
	}
	return "?";
}

static int
neigh_cb(const struct ng_neigh_info *n, void *arg)
{
	struct walk_ctx *x = arg;
	char a[NG_IP_STRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE];
	bool known = n->state != NG_NEIGH_INCOMPLETE && n->state != NG_NEIGH_FAILED;

	ng_ip_fmt(&n->addr, a, sizeof(a));
	rte_ether_format_addr(mac, sizeof(mac), &n->mac);
	x->n++;
	if (x->arr != NULL) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "address", a);
		cJSON_AddStringToObject(o, "port", ng_port_name(n->port));
		cJSON_AddStringToObject(o, "mac", known ? mac : "");
		cJSON_AddStringToObject(o, "state", state_name(n->state));
		cJSON_AddNumberToObject(o, "age_ms", n->age_ms);
		cJSON_AddNumberToObject(o, "pending", n->pending);
		cJSON_AddItemToArray(x->arr, o);
		return 0;
	}
	ng_cli_printf(x->s, "%-16s %-10s %-18s %-11s %8.1fs %7u\n", a, ng_port_name(n->port),
			known ? mac : "-", state_name(n->state), n->age_ms / 1000.0, n->pending);
	return 0;
}

static int
cmd_show_neigh(struct ng_cli_sess *s, int argc, char **argv)
{
	struct walk_ctx x = {.s = s};
	bool json = ng_cli_json(&argc, argv);
	struct ng_neigh_stats st;

	if (ng_cli_no_args(s, "show neighbours", argc, argv) < 0)
		return -1;
	ng_neigh_get_stats(rt->neigh, &st);
	if (json) {
		cJSON *o = cJSON_CreateObject();

		x.arr = cJSON_AddArrayToObject(o, "neighbours");
		ng_neigh_walk(rt->neigh, neigh_cb, &x);
		cJSON_AddNumberToObject(o, "arp_requests", (double)st.requests_sent);
		cJSON_AddNumberToObject(o, "arp_replies", (double)st.replies_seen);
		cJSON_AddNumberToObject(o, "resolved", (double)st.resolved);
		cJSON_AddNumberToObject(o, "failed", (double)st.failed);
		cJSON_AddNumberToObject(o, "queued_dropped", (double)st.pending_dropped);
		cJSON_AddNumberToObject(o, "queued", st.waiting);
		cJSON_AddNumberToObject(o, "queued_max", st.waiting_max);
		cJSON_AddNumberToObject(o, "queued_dropped_all_full", (double)st.waiting_full);
		return ng_cli_print_json(s, o);
	}
	ng_cli_printf(s, "%-16s %-10s %-18s %-11s %9s %7s\n", "address", "port", "mac", "state",
			"age", "queued");
	ng_neigh_walk(rt->neigh, neigh_cb, &x);
	ng_cli_printf(s, "%u neighbours; ARP requests %" PRIu64 ", replies %" PRIu64 ", failed %"
			PRIu64 ", queued packets dropped %" PRIu64 "\n", x.n, st.requests_sent,
			st.replies_seen, st.failed, st.pending_dropped);
	ng_cli_printf(s, "packets waiting %u of %u at most (all entries), dropped for want of "
			"room %" PRIu64 "\n", st.waiting, st.waiting_max, st.waiting_full);
	return 0;
}

static int
cmd_route_add(struct ng_cli_sess *s, int argc, char **argv)
{
	char err[NG_ERRBUF];
	struct ng_prefix p;
	struct ng_ip via;

	if (!((argc == 3 || argc == 5) && strcmp(argv[1], "via") == 0 &&
			(argc == 3 || strcmp(argv[3], "port") == 0))) {
		ng_cli_error(s, "route add: give PREFIX via NEXTHOP [port NAME]");
		return -1;
	}
	if (ng_prefix_parse(argv[0], &p) < 0) {
		ng_cli_error(s, "route add: \"%s\" is not a prefix A.B.C.D/LEN or X:X::X/LEN",
				argv[0]);
		return -1;
	}
	if (ng_ip_parse(argv[2], &via) < 0) {
		ng_cli_error(s, "route add: next hop \"%s\" is not an IPv4 or IPv6 address",
				argv[2]);
		return -1;
	}
	if (ng_route_add(rt, &p, &via, argc == 5 ? argv[4] : NULL, err, sizeof(err)) < 0) {
		ng_cli_error(s, "route add: %s", err);
		return -1;
	}
	return 0;
}

static int
cmd_route_del(struct ng_cli_sess *s, int argc, char **argv)
{
	char err[NG_ERRBUF];
	struct ng_prefix p;

	if (argc != 1) {
		ng_cli_error(s, "route del: give PREFIX");
		return -1;
	}
	if (ng_prefix_parse(argv[0], &p) < 0) {
		ng_cli_error(s, "route del: \"%s\" is not a prefix A.B.C.D/LEN or X:X::X/LEN",
				argv[0]);
		return -1;
	}
	if (ng_route_del(rt, &p, err, sizeof(err)) < 0) {
		ng_cli_error(s, "route del: %s", err);
		return -1;
	}
	return 0;
}

static int
cmd_neigh_add(struct ng_cli_sess *s, int argc, char **argv)
{
	char err[NG_ERRBUF];
	struct rte_ether_addr mac;
	struct ng_ip a;

	if (!(argc == 2 || (argc == 4 && strcmp(argv[2], "port") == 0))) {
		ng_cli_error(s, "neighbour add: give ADDRESS MAC [port NAME]");
		return -1;
	}
	if (ng_ip_parse(argv[0], &a) < 0) {
		ng_cli_error(s, "neighbour add: \"%s\" is not an IPv4 or IPv6 address", argv[0]);
		return -1;
	}
	if (ng_mac_parse(argv[1], &mac) < 0) {
		ng_cli_error(s, "neighbour add: \"%s\" is not a unicast MAC aa:bb:cc:dd:ee:ff",
				argv[1]);
		return -1;
	}
	if (ng_route_neigh_add(rt, &a, &mac, argc == 4 ? argv[3] : NULL, err, sizeof(err)) < 0) {
		ng_cli_error(s, "neighbour add: %s", err);
		return -1;
	}
	return 0;
}

static int
cmd_neigh_del(struct ng_cli_sess *s, int argc, char **argv)
{
	char err[NG_ERRBUF];
	struct ng_ip a;

	if (!(argc == 1 || (argc == 3 && strcmp(argv[1], "port") == 0))) {
		ng_cli_error(s, "neighbour del: give ADDRESS [port NAME]");
		return -1;
	}
	if (ng_ip_parse(argv[0], &a) < 0) {
		ng_cli_error(s, "neighbour del: \"%s\" is not an IPv4 or IPv6 address", argv[0]);
		return -1;
	}
	if (ng_route_neigh_del(rt, &a, argc == 3 ? argv[2] : NULL, err, sizeof(err)) < 0) {
		ng_cli_error(s, "neighbour del: %s", err);
		return -1;
	}
	return 0;
}

static const struct ng_cli_cmd route_cmds[] = {
	{"show routes", "[json]", "the FIB: local, connected, static and VIP routes",
		cmd_show_routes, NULL},
	{"show neighbours", "[json]", "the neighbour table (ARP and ND) and its counters", cmd_show_neigh,
		NULL},
	{"route add", "PREFIX via NEXTHOP [port NAME]", "add or replace a static route",
		cmd_route_add, NULL},
	{"route del", "PREFIX", "delete a static route", cmd_route_del, NULL},
	{"neighbour add", "ADDRESS MAC [port NAME]", "add a static neighbour (never ages)",
		cmd_neigh_add, NULL},
	{"neighbour del", "ADDRESS [port NAME]", "delete a neighbour entry", cmd_neigh_del, NULL},
};

int
ng_route_cli_register(struct ng_route_ctx *ctx)
{
	rt = ctx;
	return ng_cli_register(route_cmds, RTE_DIM(route_cmds));
}
