/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ports list of the config file: each port's name, device, interface
 * addresses (unicast, not overlapping another port's prefix), MTU, queues and
 * descriptors, its FullNAT source address pool, and (conf_twin.c) its kernel
 * twin. Split from conf.c, which keeps the parser's helpers and the rest of
 * the file's groups.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libconfig.h>

#include "conf_priv.h"

/* The unicast checks of an IPv4 interface address p (text buf). */
static int
check_addr4(struct ld *x, const config_setting_t *s, const char *what, const struct ng_prefix *p,
	const char *buf)
{
	char nbuf[NG_IP_STRLEN + 4];
	uint32_t a = v4h(&p->addr);
	struct ng_prefix net = ng_prefix_masked(p);

	if (p->len == 0 || p->len > 32)
		return fail(x, s, "%s: address %s: prefix length must be 1..32", what, buf);
	if (a == 0 || (a >> 24) == 127 || (a >> 28) >= 0xe)
		return fail(x, s, "%s: address %s is not a unicast host address", what, buf);
	if (p->len <= 30) {
		uint32_t host = a & ~(~0u << (32 - p->len));

		if (host == 0)
			return fail(x, s, "%s: address %s is the network address of %s; "
				"use a host address", what, buf,
				ng_prefix_fmt(&net, nbuf, sizeof(nbuf)));
		if (host == ~(~0u << (32 - p->len)))
			return fail(x, s, "%s: address %s is the broadcast address of %s; "
				"use a host address", what, buf,
				ng_prefix_fmt(&net, nbuf, sizeof(nbuf)));
	}
	return 0;
}

/*
 * The unicast checks of an IPv6 interface address: not ::, ::1, multicast or
 * IPv4-mapped, not link-local (nodegw neither derives nor answers for
 * link-local addresses: its ND answers the configured ones), and not the
 * subnet-router anycast address of its prefix (RFC 4291 2.6.1).
 */
static int
check_addr6(struct ld *x, const config_setting_t *s, const char *what, const struct ng_prefix *p,
	const char *buf)
{
	char nbuf[NG_IP_STRLEN + 4];
	struct ng_prefix net = ng_prefix_masked(p);

	if (p->len == 0 || p->len > 128)
		return fail(x, s, "%s: address %s: prefix length must be 1..128", what, buf);
	if (!ng_ip6_is_unicast(&p->addr))
		return fail(x, s, "%s: address %s is not a unicast host address", what, buf);
	if (p->addr.v6[0] == 0xfe && (p->addr.v6[1] & 0xc0) == 0x80)
		return fail(x, s, "%s: address %s is link-local; give a global or unique-local "
			"address", what, buf);
	if (p->len < 127 && ng_ip_equal(&net.addr, &p->addr))
		return fail(x, s, "%s: address %s is the subnet-router anycast address of %s; "
			"use a host address", what, buf, ng_prefix_fmt(&net, nbuf, sizeof(nbuf)));
	return 0;
}

/*
 * Validate one interface address of port pi against the address itself,
 * the port's earlier addresses and every earlier port.
 */
static int
check_port_addr(struct ld *x, const config_setting_t *s, const char *what, unsigned int pi,
	const struct ng_prefix *p)
{
	const struct ng_conf *c = x->c;
	char buf[NG_IP_STRLEN + 4], nbuf[NG_IP_STRLEN + 4], abuf[NG_IP_STRLEN];
	int rc;

	ng_prefix_fmt(p, buf, sizeof(buf));
	rc = p->addr.family == AF_INET ? check_addr4(x, s, what, p, buf) :
		check_addr6(x, s, what, p, buf);
	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i <= pi; i++) {
		const struct ng_conf_port *q = &c->ports[i];

		for (unsigned int j = 0; j < q->n_fullnat; j++)
			if (ng_ip_equal(&q->fullnat[j], &p->addr))
				return fail(x, s, "%s: address %s is a FullNAT source address of "
					"port \"%s\"", what, buf, q->name);
		for (unsigned int j = 0; j < q->n_addrs; j++) {
			const struct ng_prefix *o = &q->addrs[j];
			const struct ng_prefix *shorter = o->len <= p->len ? o : p;
			const struct ng_prefix *longer = shorter == o ? p : o;

			if (ng_ip_equal(&o->addr, &p->addr)) {
				ng_ip_fmt(&p->addr, abuf, sizeof(abuf));
				if (i == pi)
					return fail(x, s, "%s: address %s is listed twice", what,
						abuf);
				return fail(x, s, "%s: address %s is already on port \"%s\"",
					what, abuf, q->name);
			}
			if (i != pi && ng_prefix_contains(shorter, &longer->addr))
				return fail(x, s, "%s: address %s overlaps %s on port \"%s\"; "
					"connected prefixes of two ports must not overlap", what,
					buf, ng_prefix_fmt(o, nbuf, sizeof(nbuf)), q->name);
		}
	}
	return 0;
}

static int
load_port_addrs(struct ld *x, const config_setting_t *g, const char *what, unsigned int pi)
{
	struct ng_conf_port *port = &x->c->ports[pi];
	const config_setting_t *s = config_setting_get_member(g, "addresses");
	int n;

	if (s == NULL)
		return missing(x, g, what, "addresses");
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY)
		return fail(x, s, "%s: addresses must be an array of strings "
			"[\"A.B.C.D/LEN\", \"X:X::X/LEN\", ...], not %s", what, type_name(s));
	n = config_setting_length(s);
	if (n == 0)
		return fail(x, s, "%s: addresses is empty; a port needs at least one address",
			what);
	if (n > NG_MAX_PORT_ADDRS)
		return fail(x, s, "%s: too many addresses (%d; at most %d)", what, n,
			NG_MAX_PORT_ADDRS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		struct ng_prefix p;
		const char *t;
		int rc;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail(x, e, "%s: addresses must be strings \"A.B.C.D/LEN\" or "
				"\"X:X::X/LEN\", not %s", what, type_name(e));
		t = config_setting_get_string(e);
		if (parse_prefix(t, &p) < 0)
			return fail(x, e, "%s: address \"%s\" is not an address with a prefix "
				"length (A.B.C.D/LEN or X:X::X/LEN)", what, t);
		rc = check_port_addr(x, e, what, pi, &p);
		if (rc < 0)
			return rc;
		port->addrs[port->n_addrs++] = p;
	}
	return 0;
}

/*
 * One FullNAT source address of port pi: a unicast host address on one of the
 * port's connected prefixes (backends there answer ARP for it; the gateway
 * answers), listed once, no other port's address. The port's own address may
 * be one of them.
 */
static int
check_fullnat_addr(struct ld *x, const config_setting_t *e, const char *what, unsigned int pi,
	const struct ng_ip *ip)
{
	const struct ng_conf_port *port = &x->c->ports[pi];
	char abuf[NG_IP_STRLEN];
	int o = ng_conf_own_addr(x->c, ip);
	bool on = false;

	ng_ip_fmt(ip, abuf, sizeof(abuf));
	if (ip->family == AF_INET ? !ng_ip4_is_unicast(ip) : !ng_ip6_is_unicast(ip) ||
			(ip->v6[0] == 0xfe && (ip->v6[1] & 0xc0) == 0x80))
		return fail(x, e, "%s: fullnat_addresses: %s is not a unicast address%s", what,
			abuf, ip->family == AF_INET6 ? " (nor may it be link-local)" : "");
	for (unsigned int j = 0; j < port->n_addrs; j++) {
		const struct ng_prefix *a = &port->addrs[j];
		struct ng_prefix net = {.addr = *ip, .len = a->len};

		if (a->addr.family != ip->family || !ng_prefix_contains(a, ip))
			continue;
		/* the network address (IPv6: the subnet-router anycast, RFC 4291
		 * 2.6.1), or an IPv4 broadcast */
		net = ng_prefix_masked(&net);
		if ((ip->family == AF_INET ? a->len <= 30 : a->len <= 126) &&
				(ng_ip_equal(&net.addr, ip) || (ip->family == AF_INET &&
				(v4h(ip) | ~(~0u << (32 - a->len))) == v4h(ip))))
			return fail(x, e, "%s: fullnat_addresses: %s is the network or broadcast "
				"address of its prefix; use a host address", what, abuf);
		on = true;
	}
	if (!on)
		return fail(x, e, "%s: fullnat_addresses: %s is not on a connected prefix of the "
			"port (its backends could not reach it)", what, abuf);
	for (unsigned int j = 0; j < port->n_fullnat; j++)
		if (ng_ip_equal(&port->fullnat[j], ip))
			return fail(x, e, "%s: fullnat_addresses: %s is listed twice", what, abuf);
	if (o >= 0 && (unsigned int)o != pi)
		return fail(x, e, "%s: fullnat_addresses: %s is already an address of port \"%s\"",
			what, abuf, x->c->ports[o].name);
	return 0;
}

/* ports[].fullnat_addresses: the port's FullNAT source address pool (optional). */
static int
load_port_fullnat(struct ld *x, const config_setting_t *g, const char *what, unsigned int pi)
{
	struct ng_conf_port *port = &x->c->ports[pi];
	const config_setting_t *s = config_setting_get_member(g, "fullnat_addresses");
	int n;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY)
		return fail(x, s, "%s: fullnat_addresses must be an array of strings "
			"[\"A.B.C.D\", \"X:X::X\", ...], not %s", what, type_name(s));
	n = config_setting_length(s);
	if (n > NG_MAX_FULLNAT_ADDRS)
		return fail(x, s, "%s: too many fullnat_addresses (%d; at most %d)", what, n,
			NG_MAX_FULLNAT_ADDRS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		struct ng_ip ip;
		const char *t;
		int rc;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail(x, e, "%s: fullnat_addresses must be strings \"A.B.C.D\" or "
				"\"X:X::X\", not %s", what, type_name(e));
		t = config_setting_get_string(e);
		rc = parse_ip(x, e, what, "fullnat_addresses", t, &ip);
		if (rc < 0)
			return rc;
		rc = check_fullnat_addr(x, e, what, pi, &ip);
		if (rc < 0)
			return rc;
		port->fullnat[port->n_fullnat++] = ip;
	}
	return 0;
}

/* 1..size-1 characters of A-Z a-z 0-9 _ . - (port and interface names). */
bool
name_ok(const char *s, size_t size)
{
	size_t n = strlen(s);

	if (n == 0 || n >= size)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
			return false;
	return true;
}

/* Length of the device name in devargs: everything before the first ','. */
static size_t
devname_len(const char *devargs)
{
	return strcspn(devargs, ",");
}

static int
load_port(struct ld *x, const config_setting_t *g, unsigned int pi)
{
	struct ng_conf *c = x->c;
	struct ng_conf_port *port = &c->ports[pi];
	const config_setting_t *sname, *sdev;
	const char *name, *dev;
	char what[NG_NAME_MAX + 16];
	uint32_t v;
	int rc;

	snprintf(what, sizeof(what), "port #%u", pi + 1);
	port->line = config_setting_source_line(g);
	port->mtu = DEF_MTU;
	port->rx_queues = DEF_RXQ;
	port->rx_desc = DEF_DESC;
	port->tx_desc = DEF_DESC;

	rc = get_str(x, g, "name", what, &name, &sname);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return missing(x, g, what, "name");
	if (!name_ok(name, NG_NAME_MAX))
		return fail(x, sname, "%s: name \"%s\" must be 1..%d characters of "
			"A-Z a-z 0-9 _ . -", what, name, NG_NAME_MAX - 1);
	for (unsigned int i = 0; i < pi; i++)
		if (strcmp(c->ports[i].name, name) == 0)
			return fail(x, sname, "%s: duplicate port name \"%s\" (first defined on "
				"line %d)", what, name, c->ports[i].line);
	snprintf(port->name, sizeof(port->name), "%s", name);
	snprintf(what, sizeof(what), "port \"%s\"", name);

	rc = check_keys(x, g, what, port_keys);
	if (rc < 0)
		return rc;

	rc = get_str(x, g, "devargs", what, &dev, &sdev);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return missing(x, g, what, "devargs");
	if (dev[0] == '\0' || devname_len(dev) == 0)
		return fail(x, sdev, "%s: devargs is empty; give a PCI address or a vdev like "
			"\"net_null0\"", what);
	if (strlen(dev) >= NG_DEVARGS_MAX)
		return fail(x, sdev, "%s: devargs is %zu characters long (at most %d)", what,
			strlen(dev), NG_DEVARGS_MAX - 1);
	for (unsigned int i = 0; i < pi; i++) {
		const char *o = c->ports[i].devargs;
		size_t n = devname_len(dev);

		if (devname_len(o) == n && strncmp(o, dev, n) == 0)
			return fail(x, sdev, "%s: device \"%.*s\" is already used by port \"%s\"",
				what, (int)n, dev, c->ports[i].name);
	}
	snprintf(port->devargs, sizeof(port->devargs), "%s", dev);

	rc = load_port_addrs(x, g, what, pi);
	if (rc < 0)
		return rc;

	v = port->mtu;
	if ((rc = get_u32(x, g, "mtu", what, NG_MTU_MIN, NG_MTU_MAX, &v)) < 0)
		return rc;
	port->mtu = (uint16_t)v;
	v = port->rx_queues;
	if ((rc = get_u32(x, g, "rx_queues", what, 1, NG_MAX_RXQ, &v)) < 0)
		return rc;
	port->rx_queues = (uint16_t)v;
	v = port->rx_desc;
	if ((rc = get_u32(x, g, "rx_desc", what, NG_DESC_MIN, NG_DESC_MAX, &v)) < 0)
		return rc;
	if (!is_pow2(v))
		return fail(x, config_setting_get_member(g, "rx_desc"),
			"%s: rx_desc %u is not a power of two", what, v);
	port->rx_desc = (uint16_t)v;
	v = port->tx_desc;
	if ((rc = get_u32(x, g, "tx_desc", what, NG_DESC_MIN, NG_DESC_MAX, &v)) < 0)
		return rc;
	if (!is_pow2(v))
		return fail(x, config_setting_get_member(g, "tx_desc"),
			"%s: tx_desc %u is not a power of two", what, v);
	port->tx_desc = (uint16_t)v;
	rc = load_port_fullnat(x, g, what, pi);
	if (rc < 0)
		return rc;
	return load_port_kernel(x, g, what, pi);
}

int
load_ports(struct ld *x, const config_setting_t *root)
{
	const config_setting_t *l;
	int rc, n;

	rc = get_list(x, root, "ports", &l);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return fail(x, NULL, "no ports: at least one port is required "
			"(ports = ( { name = ...; devargs = ...; addresses = [...]; } ))");
	n = config_setting_length(l);
	if (n == 0)
		return fail(x, l, "ports is empty: at least one port is required");
	if (n > NG_MAX_PORTS)
		return fail(x, config_setting_get_elem(l, NG_MAX_PORTS),
			"too many ports (%d; at most %d)", n, NG_MAX_PORTS);
	for (int i = 0; i < n; i++) {
		rc = load_port(x, config_setting_get_elem(l, (unsigned int)i), (unsigned int)i);
		if (rc < 0)
			return rc;
		x->c->n_ports++;
	}
	return 0;
}
