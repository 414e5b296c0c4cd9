/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CLI commands of routes and neighbours: thin parsers over fib.c and neigh.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ng_cli_util.h"
#include "port.h"
#include "route.h"

static struct ng_fib *fib;
static struct ng_neigh_table *neigh;

static const char *
origin_name(enum ng_route_origin o)
{
	switch (o) {
	case NG_RT_LOCAL:
		return "local";
	case NG_RT_CONNECTED:
		return "connected";
	case NG_RT_STATIC:
		return "static";
	case NG_RT_VIP:
		return "vip";
	}
	return "?";
}

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
		cJSON_AddStringToObject(o, "origin", origin_name(r->origin));
		if (r->type == NG_NH_GATEWAY)
			cJSON_AddStringToObject(o, "via", gw);
		cJSON_AddStringToObject(o, "port",
				r->type == NG_NH_VIP ? "-" : ng_port_name(r->port));
		cJSON_AddStringToObject(o, "source", src);
		cJSON_AddItemToArray(x->arr, o);
		return 0;
	}
	ng_cli_printf(x->s, "%-20s %-10s %-16s %-10s %s\n", p, origin_name(r->origin),
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
		ng_fib_walk(fib, route_cb, &x);
		return ng_cli_print_json(s, x.arr);
	}
	ng_cli_printf(s, "%-20s %-10s %-16s %-10s %s\n", "prefix", "origin", "via", "port",
			"source");
	ng_fib_walk(fib, route_cb, &x);
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
	ng_neigh_get_stats(neigh, &st);
	if (json) {
		cJSON *o = cJSON_CreateObject();

		x.arr = cJSON_AddArrayToObject(o, "neighbours");
		ng_neigh_walk(neigh, neigh_cb, &x);
		cJSON_AddNumberToObject(o, "arp_requests", (double)st.requests_sent);
		cJSON_AddNumberToObject(o, "arp_replies", (double)st.replies_seen);
		cJSON_AddNumberToObject(o, "resolved", (double)st.resolved);
		cJSON_AddNumberToObject(o, "failed", (double)st.failed);
		cJSON_AddNumberToObject(o, "queued_dropped", (double)st.pending_dropped);
		return ng_cli_print_json(s, o);
	}
	ng_cli_printf(s, "%-16s %-10s %-18s %-11s %9s %7s\n", "address", "port", "mac", "state",
			"age", "queued");
	ng_neigh_walk(neigh, neigh_cb, &x);
	ng_cli_printf(s, "%u neighbours; ARP requests %" PRIu64 ", replies %" PRIu64 ", failed %"
			PRIu64 ", queued packets dropped %" PRIu64 "\n", x.n, st.requests_sent,
			st.replies_seen, st.failed, st.pending_dropped);
	return 0;
}

/* The port whose connected prefix holds addr, or the one named. */
static int
port_for(struct ng_cli_sess *s, const char *cmd, const struct ng_ip *addr, const char *name,
		const struct ng_port **out)
{
	char a[NG_IP_STRLEN];

	*out = NULL;
	for (unsigned int i = 0; i < ng_port_count(); i++) {
		const struct ng_port *p = ng_port_get(i);

		if (name != NULL && strcmp(p->name, name) != 0)
			continue;
		for (unsigned int j = 0; j < p->n_addrs; j++)
			if (ng_prefix_contains(&p->addrs[j], addr)) {
				*out = p;
				return (int)j;
			}
		if (name != NULL)
			break;
	}
	if (name != NULL && ng_port_by_name(name) == NULL)
		ng_cli_error(s, "%s: no port \"%s\"", cmd, name);
	else
		ng_cli_error(s, "%s: %s is not on a connected prefix%s%s", cmd,
				ng_ip_fmt(addr, a, sizeof(a)), name ? " of port " : "",
				name ? name : "");
	return -1;
}

/* Is a one of the gateway's own addresses? */
static bool
is_gateway_addr(const struct ng_ip *a)
{
	for (unsigned int i = 0; i < ng_port_count(); i++)
		for (unsigned int j = 0; j < ng_port_get(i)->n_addrs; j++)
			if (ng_ip_equal(&ng_port_get(i)->addrs[j].addr, a))
				return true;
	return false;
}

static int
cmd_route_add(struct ng_cli_sess *s, int argc, char **argv)
{
	struct ng_prefix p;
	struct ng_ip via;
	const struct ng_port *port;
	int ai, rc;

	if (!((argc == 3 || argc == 5) && strcmp(argv[1], "via") == 0 &&
			(argc == 3 || strcmp(argv[3], "port") == 0))) {
		ng_cli_error(s, "route add: give PREFIX via NEXTHOP [port NAME]");
		return -1;
	}
	if (ng_prefix_parse(argv[0], &p) < 0 || p.addr.family != AF_INET) {
		ng_cli_error(s, "route add: \"%s\" is not an IPv4 prefix A.B.C.D/LEN", argv[0]);
		return -1;
	}
	if (ng_ip_parse(argv[2], &via) < 0 || via.family != AF_INET) {
		ng_cli_error(s, "route add: next hop \"%s\" is not an IPv4 address", argv[2]);
		return -1;
	}
	if (is_gateway_addr(&via)) {
		ng_cli_error(s, "route add: next hop %s is an address of this gateway, not a "
				"neighbour", argv[2]);
		return -1;
	}
	ai = port_for(s, "route add", &via, argc == 5 ? argv[4] : NULL, &port);
	if (ai < 0)
		return -1;
	p = ng_prefix_masked(&p);
	rc = ng_fib_add(fib, &p, NG_RT_STATIC, NG_NH_GATEWAY, port->port_id, &via,
			&port->addrs[ai].addr, true);
	if (rc < 0) {
		ng_cli_error(s, "route add: %s: %s", argv[0], rc == -ENOSPC ? "routing table full" :
				rc == -EEXIST ? "a connected, local or VIP route has that prefix" :
				strerror(-rc));
		return -1;
	}
	return 0;
}

static int
cmd_route_del(struct ng_cli_sess *s, int argc, char **argv)
{
	struct ng_prefix p;
	struct ng_route_info ri;

	if (argc != 1) {
		ng_cli_error(s, "route del: give PREFIX");
		return -1;
	}
	if (ng_prefix_parse(argv[0], &p) < 0 || p.addr.family != AF_INET) {
		ng_cli_error(s, "route del: \"%s\" is not an IPv4 prefix A.B.C.D/LEN", argv[0]);
		return -1;
	}
	p = ng_prefix_masked(&p);
	if (ng_fib_lookup(fib, &p.addr, &ri) == 0 && ri.prefix.len == p.len &&
			ri.origin != NG_RT_STATIC) {
		ng_cli_error(s, "route del: %s is a %s route; only static routes can be deleted",
				argv[0], origin_name(ri.origin));
		return -1;
	}
	if (ng_fib_del(fib, &p) < 0) {
		ng_cli_error(s, "route del: no route %s", argv[0]);
		return -1;
	}
	return 0;
}

static int
cmd_neigh_add(struct ng_cli_sess *s, int argc, char **argv)
{
	struct ng_ip a;
	struct rte_ether_addr mac;
	const struct ng_port *port;

	if (!(argc == 2 || (argc == 4 && strcmp(argv[2], "port") == 0))) {
		ng_cli_error(s, "neighbour add: give ADDRESS MAC [port NAME]");
		return -1;
	}
	if (ng_ip_parse(argv[0], &a) < 0 || a.family != AF_INET) {
		ng_cli_error(s, "neighbour add: \"%s\" is not an IPv4 address", argv[0]);
		return -1;
	}
	if (ng_mac_parse(argv[1], &mac) < 0 || rte_is_zero_ether_addr(&mac) ||
			rte_is_multicast_ether_addr(&mac)) {
		ng_cli_error(s, "neighbour add: \"%s\" is not a unicast MAC aa:bb:cc:dd:ee:ff",
				argv[1]);
		return -1;
	}
	if (is_gateway_addr(&a)) {
		ng_cli_error(s, "neighbour add: %s is an address of this gateway", argv[0]);
		return -1;
	}
	if (port_for(s, "neighbour add", &a, argc == 4 ? argv[3] : NULL, &port) < 0)
		return -1;
	if (ng_neigh_add_static(neigh, port->port_id, &a, &mac) < 0) {
		ng_cli_error(s, "neighbour add: neighbour table full");
		return -1;
	}
	return 0;
}

static int
cmd_neigh_del(struct ng_cli_sess *s, int argc, char **argv)
{
	struct ng_ip a;
	const struct ng_port *port;

	if (!(argc == 1 || (argc == 3 && strcmp(argv[1], "port") == 0))) {
		ng_cli_error(s, "neighbour del: give ADDRESS [port NAME]");
		return -1;
	}
	if (ng_ip_parse(argv[0], &a) < 0 || a.family != AF_INET) {
		ng_cli_error(s, "neighbour del: \"%s\" is not an IPv4 address", argv[0]);
		return -1;
	}
	if (port_for(s, "neighbour del", &a, argc == 3 ? argv[2] : NULL, &port) < 0)
		return -1;
	if (ng_neigh_del(neigh, port->port_id, &a) < 0) {
		ng_cli_error(s, "neighbour del: no neighbour %s on port %s", argv[0], port->name);
		return -1;
	}
	return 0;
}

static const struct ng_cli_cmd route_cmds[] = {
	{"show routes", "[json]", "the FIB: local, connected, static and VIP routes",
		cmd_show_routes, NULL},
	{"show neighbours", "[json]", "the neighbour (ARP) table and its counters", cmd_show_neigh,
		NULL},
	{"route add", "PREFIX via NEXTHOP [port NAME]", "add or replace a static route",
		cmd_route_add, NULL},
	{"route del", "PREFIX", "delete a static route", cmd_route_del, NULL},
	{"neighbour add", "ADDRESS MAC [port NAME]", "add a static neighbour (never ages)",
		cmd_neigh_add, NULL},
	{"neighbour del", "ADDRESS [port NAME]", "delete a neighbour entry", cmd_neigh_del, NULL},
};

int
ng_route_cli_register(struct ng_fib *f, struct ng_neigh_table *n)
{
	fib = f;
	neigh = n;
	return ng_cli_register(route_cmds, RTE_DIM(route_cmds));
}
