/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API of routes and neighbours: the one place that checks a
 * static route or neighbour, picks its port and source address, and words
 * the error. The config loader (start and reload), the CLI and the tests go
 * through it; fib.c and neigh.c below it only store what it decided.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>

#include "conf.h"
#include "ng_err.h"
#include "port.h"
#include "route.h"

/* Routes added from the CLI beyond the config's limit. */
#define ROUTE_ROOM_EXTRA 1024

const char *
ng_route_origin_name(enum ng_route_origin o)
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

/* The address of port p on its most specific connected prefix holding a, or -1. */
static int
port_addr_for(const struct ng_port *p, const struct ng_ip *a)
{
	int best = -1;

	for (unsigned int j = 0; j < p->n_addrs; j++)
		if (ng_prefix_contains(&p->addrs[j], a) &&
				(best < 0 || p->addrs[j].len > p->addrs[best].len))
			best = (int)j;
	return best;
}

/*
 * The port a neighbour (or next hop) a is on: the one named, or the first
 * whose connected prefix holds a. *ai: the port's address toward a.
 */
static int
port_for(const struct ng_ip *a, const char *name, const struct ng_port **out, int *ai,
		char *err, size_t errlen)
{
	char s[NG_IP_STRLEN];

	ng_ip_fmt(a, s, sizeof(s));
	if (is_gateway_addr(a))
		return ng_err(err, errlen, -EINVAL, "%s is an address of this gateway, not a "
				"neighbour", s);
	if (name != NULL && ng_port_by_name(name) == NULL)
		return ng_err(err, errlen, -EINVAL, "no port \"%s\"", name);
	for (unsigned int i = 0; i < ng_port_count(); i++) {
		const struct ng_port *p = ng_port_get(i);

		if (name != NULL && strcmp(p->name, name) != 0)
			continue;
		*ai = port_addr_for(p, a);
		if (*ai >= 0) {
			*out = p;
			return 0;
		}
	}
	return ng_err(err, errlen, -EINVAL, "%s is not on a connected prefix%s%s", s,
			name != NULL ? " of port " : "", name != NULL ? name : "");
}

/* A static route may take a prefix no connected, local or VIP route holds. */
static int
prefix_free(const struct ng_fib *f, const struct ng_prefix *p, char *err, size_t errlen)
{
	struct ng_route_info ri;
	char s[NG_IP_STRLEN + 4];

	if (ng_fib_get(f, p, &ri) == 0 && ri.origin != NG_RT_STATIC)
		return ng_err(err, errlen, -EEXIST, "%s: a %s route has that prefix",
				ng_prefix_fmt(p, s, sizeof(s)), ng_route_origin_name(ri.origin));
	return 0;
}

/* Everything ng_route_add() checks: the prefix (masked into *m), next hop and port. */
static int
route_check(const struct ng_fib *f, const struct ng_prefix *prefix, const struct ng_ip *via,
		const char *port, struct ng_prefix *m, const struct ng_port **p, int *ai,
		char *err, size_t errlen)
{
	bool v4 = prefix->addr.family == AF_INET;

	if ((!v4 && prefix->addr.family != AF_INET6) || prefix->len > (v4 ? 32 : 128))
		return ng_err(err, errlen, -EINVAL, "the prefix is not an IPv4 or IPv6 prefix");
	if (via->family != prefix->addr.family)
		return ng_err(err, errlen, -EINVAL, "the next hop is not an %s address like the "
				"prefix", v4 ? "IPv4" : "IPv6");
	*m = ng_prefix_masked(prefix);
	if (port_for(via, port, p, ai, err, errlen) < 0)
		return -EINVAL;
	return prefix_free(f, m, err, errlen);
}

int
ng_route_add(struct ng_route_ctx *rt, const struct ng_prefix *prefix, const struct ng_ip *via,
		const char *port, char *err, size_t errlen)
{
	const struct ng_port *p;
	struct ng_prefix m;
	char s[NG_IP_STRLEN + 4];
	int ai, rc;

	rc = route_check(rt->fib, prefix, via, port, &m, &p, &ai, err, errlen);
	if (rc < 0)
		return rc;
	rc = ng_fib_add(rt->fib, &m, NG_RT_STATIC, NG_NH_GATEWAY, p->port_id, via,
			&p->addrs[ai].addr, true);
	ng_prefix_fmt(&m, s, sizeof(s));
	if (rc == -ENOSPC)
		return ng_err(err, errlen, rc, "%s: routing table full", s);
	if (rc == -EBUSY)
		return ng_err(err, errlen, rc, "%s: a worker has not reported quiescence for "
				"100 ms; try again", s);
	if (rc == -EEXIST)
		return ng_err(err, errlen, rc, "%s: a connected, local or VIP route has that "
				"prefix", s);
	if (rc < 0)
		return ng_err(err, errlen, rc, "%s: %s", s, strerror(-rc));
	return 0;
}

int
ng_route_del(struct ng_route_ctx *rt, const struct ng_prefix *prefix, char *err, size_t errlen)
{
	struct ng_prefix m = ng_prefix_masked(prefix);
	struct ng_route_info ri;
	char s[NG_IP_STRLEN + 4];

	ng_prefix_fmt(&m, s, sizeof(s));
	if (ng_fib_get(rt->fib, &m, &ri) < 0)
		return ng_err(err, errlen, -ENOENT, "no route %s", s);
	if (ri.origin != NG_RT_STATIC)
		return ng_err(err, errlen, -EPERM, "%s is a %s route; only static routes can be "
				"deleted", s, ng_route_origin_name(ri.origin));
	ng_fib_del(rt->fib, &m);
	return 0;
}

/* Everything ng_route_neigh_add() checks. */
static int
neigh_check(const struct ng_ip *addr, const struct rte_ether_addr *mac, const char *port,
		const struct ng_port **p, char *err, size_t errlen)
{
	int ai;

	if (addr->family != AF_INET && addr->family != AF_INET6)
		return ng_err(err, errlen, -EINVAL, "the address is not an IPv4 or IPv6 address");
	if (rte_is_zero_ether_addr(mac) || rte_is_multicast_ether_addr(mac))
		return ng_err(err, errlen, -EINVAL, "\"%02x:%02x:%02x:%02x:%02x:%02x\" is not a "
				"unicast MAC aa:bb:cc:dd:ee:ff", mac->addr_bytes[0],
				mac->addr_bytes[1], mac->addr_bytes[2], mac->addr_bytes[3],
				mac->addr_bytes[4], mac->addr_bytes[5]);
	return port_for(addr, port, p, &ai, err, errlen);
}

int
ng_route_neigh_add(struct ng_route_ctx *rt, const struct ng_ip *addr,
		const struct rte_ether_addr *mac, const char *port, char *err, size_t errlen)
{
	const struct ng_port *p;
	char s[NG_IP_STRLEN];
	int rc;

	rc = neigh_check(addr, mac, port, &p, err, errlen);
	if (rc < 0)
		return rc;
	rc = ng_neigh_add_static(rt->neigh, p->port_id, addr, mac);
	if (rc < 0)
		return ng_err(err, errlen, rc, "no room for neighbour %s: the neighbour table is "
				"full (arp.max_entries)", ng_ip_fmt(addr, s, sizeof(s)));
	return 0;
}

int
ng_route_neigh_del(struct ng_route_ctx *rt, const struct ng_ip *addr, const char *port,
		char *err, size_t errlen)
{
	const struct ng_port *p;
	char s[NG_IP_STRLEN];
	int ai;

	if (addr->family != AF_INET && addr->family != AF_INET6)
		return ng_err(err, errlen, -EINVAL, "the address is not an IPv4 or IPv6 address");
	if (port_for(addr, port, &p, &ai, err, errlen) < 0)
		return -EINVAL;
	if (ng_neigh_del(rt->neigh, p->port_id, addr) < 0)
		return ng_err(err, errlen, -ENOENT, "no neighbour %s on port %s",
				ng_ip_fmt(addr, s, sizeof(s)), p->name);
	return 0;
}

/* ---- a config's routes and neighbours ---- */

int
ng_route_check_conf(const struct ng_route_ctx *rt, const struct ng_conf *c, char *err,
		size_t errlen)
{
	char e[NG_ERRBUF];
	const struct ng_port *p;
	struct ng_prefix m;
	int ai, rc;

	for (unsigned int i = 0; i < c->n_routes; i++) {
		const struct ng_conf_route *r = &c->routes[i];

		rc = route_check(rt->fib, &r->prefix, &r->via, c->ports[r->port].name, &m, &p,
				&ai, e, sizeof(e));
		if (rc < 0)
			return ng_err(err, errlen, rc, "%s:%d: %s", c->file, r->line, e);
	}
	for (unsigned int i = 0; i < c->n_neighbours; i++) {
		const struct ng_conf_neigh *n = &c->neighbours[i];

		rc = neigh_check(&n->addr, &n->mac, c->ports[n->port].name, &p, e, sizeof(e));
		if (rc < 0)
			return ng_err(err, errlen, rc, "%s:%d: %s", c->file, n->line, e);
	}
	return 0;
}

/* What a reload removes: static routes and neighbours c does not have,
 * whether they came from an older config or from the CLI. */
struct stale {
	const struct ng_conf *c;
	struct ng_prefix *routes;
	unsigned int n_routes, max_routes;
	struct ng_neigh_info *neigh;
	unsigned int n_neigh, max_neigh;
};

static int
stale_route_cb(const struct ng_route_info *r, void *arg)
{
	struct stale *x = arg;

	if (r->origin != NG_RT_STATIC)
		return 0;
	for (unsigned int i = 0; i < x->c->n_routes; i++)
		if (x->c->routes[i].prefix.len == r->prefix.len &&
				ng_ip_equal(&x->c->routes[i].prefix.addr, &r->prefix.addr))
			return 0;
	if (x->n_routes < x->max_routes)
		x->routes[x->n_routes++] = r->prefix;
	return 0;
}

static int
stale_neigh_cb(const struct ng_neigh_info *n, void *arg)
{
	struct stale *x = arg;

	if (n->state != NG_NEIGH_STATIC)
		return 0;
	for (unsigned int i = 0; i < x->c->n_neighbours; i++) {
		const struct ng_conf_neigh *cn = &x->c->neighbours[i];
		const struct ng_port *p = ng_port_by_name(x->c->ports[cn->port].name);

		if (p != NULL && p->port_id == n->port && ng_ip_equal(&cn->addr, &n->addr))
			return 0;
	}
	if (x->n_neigh < x->max_neigh)
		x->neigh[x->n_neigh++] = *n;
	return 0;
}

static int
route_noop_cb(const struct ng_route_info *r, void *arg)
{
	(void)r;
	(void)arg;
	return 0;
}

static int
neigh_noop_cb(const struct ng_neigh_info *n, void *arg)
{
	(void)n;
	(void)arg;
	return 0;
}

/* Delete the static routes and neighbours c does not have. */
static int
remove_stale(struct ng_route_ctx *rt, const struct ng_conf *c)
{
	struct stale x = {.c = c};

	/* Collect first, then delete: a walk must not see the table change. */
	x.max_routes = ng_fib_walk(rt->fib, route_noop_cb, NULL);
	x.max_neigh = ng_neigh_walk(rt->neigh, neigh_noop_cb, NULL);
	x.routes = calloc(x.max_routes + 1, sizeof(*x.routes));
	x.neigh = calloc(x.max_neigh + 1, sizeof(*x.neigh));
	if (x.routes == NULL || x.neigh == NULL) {
		free(x.routes);
		free(x.neigh);
		return -ENOMEM;
	}
	ng_fib_walk(rt->fib, stale_route_cb, &x);
	ng_neigh_walk(rt->neigh, stale_neigh_cb, &x);
	for (unsigned int i = 0; i < x.n_routes; i++)
		ng_fib_del(rt->fib, &x.routes[i]);
	for (unsigned int i = 0; i < x.n_neigh; i++)
		ng_neigh_del(rt->neigh, x.neigh[i].port, &x.neigh[i].addr);
	free(x.routes);
	free(x.neigh);
	return 0;
}

int
ng_route_apply_conf(struct ng_route_ctx *rt, const struct ng_conf *c, char *err, size_t errlen)
{
	char e[NG_ERRBUF];
	int rc = ng_route_check_conf(rt, c, err, errlen);

	if (rc < 0)
		return rc;
	if (remove_stale(rt, c) < 0)
		return ng_err(err, errlen, -ENOMEM, "%s: out of memory applying routes and "
				"neighbours", c->file);
	for (unsigned int i = 0; i < c->n_routes; i++) {
		const struct ng_conf_route *r = &c->routes[i];

		rc = ng_route_add(rt, &r->prefix, &r->via, c->ports[r->port].name, e, sizeof(e));
		if (rc < 0)
			return ng_err(err, errlen, rc, "%s:%d: %s", c->file, r->line, e);
	}
	for (unsigned int i = 0; i < c->n_neighbours; i++) {
		const struct ng_conf_neigh *n = &c->neighbours[i];

		rc = ng_route_neigh_add(rt, &n->addr, &n->mac, c->ports[n->port].name, e,
				sizeof(e));
		if (rc < 0)
			return ng_err(err, errlen, rc, "%s:%d: %s", c->file, n->line, e);
	}
	return 0;
}

/* ---- creation ---- */

/*
 * The port's FullNAT source addresses (ports[].fullnat_addresses): a local /32
 * or /128 each, so the gateway answers ARP or ND for them and replies to them
 * reach the service stage (their owner is the worker of the destination port). One that
 * is also a port address has its route already.
 */
static int
add_fullnat_routes(struct ng_route_ctx *rt, const struct ng_conf *c, unsigned int i,
		const struct ng_port *p, char *err, size_t errlen)
{
	const struct ng_conf_port *cp = &c->ports[i];
	char s[NG_IP_STRLEN];
	int rc;

	for (unsigned int j = 0; j < cp->n_fullnat; j++) {
		struct ng_prefix host = {.addr = cp->fullnat[j],
				.len = cp->fullnat[j].family == AF_INET ? 32 : 128};

		rc = ng_fib_add(rt->fib, &host, NG_RT_LOCAL, NG_NH_LOCAL, p->port_id, NULL,
				&cp->fullnat[j], false);
		if (rc == -EEXIST && ng_conf_own_addr(c, &cp->fullnat[j]) == (int)i)
			continue;
		if (rc < 0)
			return ng_err(err, errlen, rc, "%s:%d: port \"%s\": FullNAT address %s: %s",
					c->file, cp->line, p->name,
					ng_ip_fmt(&cp->fullnat[j], s, sizeof(s)), rc == -EEXIST ?
					"another route has it" : strerror(-rc));
	}
	return 0;
}

/* Every port address: its connected route and a local /32; FullNAT addresses. */
static int
add_port_routes(struct ng_route_ctx *rt, const struct ng_conf *c, char *err, size_t errlen)
{
	char s[NG_IP_STRLEN + 4];
	int rc;

	for (unsigned int i = 0; i < ng_port_count(); i++) {
		const struct ng_port *p = ng_port_get(i);
		int line = i < c->n_ports ? c->ports[i].line : 0;

		for (unsigned int j = 0; j < p->n_addrs; j++) {
			struct ng_prefix host = {.addr = p->addrs[j].addr,
					.len = p->addrs[j].addr.family == AF_INET ? 32 : 128};

			ng_prefix_fmt(&p->addrs[j], s, sizeof(s));
			rc = ng_fib_add(rt->fib, &p->addrs[j], NG_RT_CONNECTED, NG_NH_CONNECTED,
					p->port_id, NULL, &p->addrs[j].addr, false);
			/* -EEXIST: another address of the port on the same prefix */
			if (rc < 0 && rc != -EEXIST)
				return ng_err(err, errlen, rc, "%s:%d: port \"%s\": connected "
						"route of %s: %s", c->file, line, p->name, s,
						strerror(-rc));
			rc = ng_fib_add(rt->fib, &host, NG_RT_LOCAL, NG_NH_LOCAL, p->port_id, NULL,
					&p->addrs[j].addr, false);
			if (rc < 0)
				return ng_err(err, errlen, rc, "%s:%d: port \"%s\": local address "
						"%s: %s", c->file, line, p->name, s, rc == -EEXIST ?
						"another port has it" : strerror(-rc));
		}
		if (i < c->n_ports) {
			rc = add_fullnat_routes(rt, c, i, p, err, errlen);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int
ng_route_init(struct ng_route_ctx *rt, const struct ng_route_params *p, char *err,
		size_t errlen)
{
	const struct ng_conf *c = p->conf;
	struct ng_neigh_params np = {0};
	/* Static routes, a VIP route per VIP address (at most one per frontend),
	 * and the ports' connected and local routes. */
	uint32_t max_routes = NG_MAX_ROUTES + ROUTE_ROOM_EXTRA + NG_MAX_FRONTENDS;
	int rc;

	memset(rt, 0, sizeof(*rt));
	for (unsigned int i = 0; i < ng_port_count(); i++)
		max_routes += 2 * ng_port_get(i)->n_addrs +
				(i < c->n_ports ? c->ports[i].n_fullnat : 0);
	rt->fib = ng_fib_create(max_routes, p->qsbr);
	if (rt->fib == NULL)
		return ng_err(err, errlen, -ENOMEM, "cannot create the FIB: %s",
				rte_strerror(rte_errno));
	rc = add_port_routes(rt, c, err, errlen);
	if (rc < 0) {
		ng_route_fini(rt);
		return rc;
	}
	np.max_entries = c->arp.max_entries;
	np.reachable_ms = c->arp.reachable_s * 1000;
	np.retry_ms = c->arp.retry_ms;
	np.retries = c->arp.retries;
	np.pending_max = c->arp.pending_max;
	/* Packets waiting for neighbours may hold an eighth of the pool, never all
	 * of it: a burst to addresses that do not answer must not stop every port. */
	if (p->pool != NULL)
		np.waiting_max = RTE_MAX(p->pool->size / NG_NEIGH_POOL_SHARE, c->arp.pending_max);
	np.qsbr = p->qsbr;
	np.pool = p->pool;
	np.fib = rt->fib;
	np.tx = p->tx;
	np.tx_arg = p->tx_arg;
	rt->neigh = ng_neigh_create(&np);
	if (rt->neigh == NULL) {
		ng_route_fini(rt);
		return ng_err(err, errlen, -ENOMEM, "cannot create the neighbour table: %s",
				rte_strerror(rte_errno));
	}
	return 0;
}

void
ng_route_fini(struct ng_route_ctx *rt)
{
	ng_neigh_free(rt->neigh);
	ng_fib_free(rt->fib);
	rt->neigh = NULL;
	rt->fib = NULL;
}
