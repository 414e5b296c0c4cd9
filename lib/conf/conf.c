/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config file loader: libconfig text -> struct ng_conf, validated.
 *
 * Runs on the control core (or in `--check`) before EAL state exists; it
 * needs no DPDK runtime. Every failure fills the caller's buffer with
 * "FILE:LINE: message", the line being the offending setting's (or the
 * enclosing group's when a key is missing).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "conf_priv.h"

/*
 * Start of line l (1-based) of the text, or NULL. Indexes the lines once, so
 * that a file with many string settings is not rescanned for each.
 */
static const char *
line_start(struct ld *x, unsigned int l)
{
	if (x->line_off == NULL) {
		size_t n = 1, i = 0;

		for (const char *p = x->text; (p = strchr(p, '\n')) != NULL; p++)
			n++;
		x->line_off = malloc(n * sizeof(*x->line_off));
		if (x->line_off == NULL)
			return NULL; /* out of memory: lines are then reported unadjusted */
		x->line_off[i++] = 0;
		for (const char *p = x->text; (p = strchr(p, '\n')) != NULL; p++)
			x->line_off[i++] = (size_t)(p + 1 - x->text);
		x->n_lines = (unsigned int)n;
	}
	if (l == 0 || l > x->n_lines)
		return NULL;
	return x->text + x->line_off[l - 1];
}

/* Does line number l (1-based) of the text contain the quoted string val? */
static bool
line_has_string(struct ld *x, unsigned int l, const char *val)
{
	const char *p = line_start(x, l), *end, *q;
	size_t n = strlen(val);

	if (p == NULL)
		return false;
	end = strchr(p, '\n');
	if (end == NULL)
		end = p + strlen(p);
	for (q = p; q + n + 2 <= end; q++)
		if (q[0] == '"' && q[n + 1] == '"' && memcmp(q + 1, val, n) == 0)
			return true;
	return false;
}

/*
 * Line of setting s. libconfig dates a string element of an array or list by
 * the token after it (adjacent strings concatenate, so it must look ahead):
 * the last string of a multi-line array gets the line of the closing bracket.
 * Walk back from there to the line that holds the quoted value.
 */
unsigned int
setting_line(struct ld *x, const config_setting_t *s)
{
	unsigned int line = config_setting_source_line(s);
	const config_setting_t *parent = config_setting_parent(s);

	if (x->text == NULL || parent == NULL || config_setting_name(s) != NULL ||
			config_setting_type(s) != CONFIG_TYPE_STRING ||
			config_setting_source_file(s) != NULL)
		return line;
	for (unsigned int l = line; l >= config_setting_source_line(parent) && l > 0; l--)
		if (line_has_string(x, l, config_setting_get_string(s)))
			return l;
	return line;
}

/*
 * Fill the error buffer with "FILE:LINE: message" for setting s (or
 * "FILE: message" when there is no line) and return -EINVAL.
 */
int __attribute__((format(printf, 3, 4)))
fail(struct ld *x, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = x->path;
	unsigned int line = 0;
	char msg[NG_ERRBUF];
	va_list ap;

	if (s != NULL) {
		line = setting_line(x, s);
		if (config_setting_source_file(s) != NULL)
			file = config_setting_source_file(s);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(x->err, x->errlen, "%s:%u: %s", file, line, msg);
	else
		snprintf(x->err, x->errlen, "%s: %s", file, msg);
	return -EINVAL;
}

/* "what: " prefix for messages; what == "" for top-level keys. */
const char *
sep(const char *what)
{
	return what[0] != '\0' ? ": " : "";
}

const char *
type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "an unknown type";
	}
}

static bool
is_int(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_INT ||
		config_setting_type(s) == CONFIG_TYPE_INT64;
}

/* Reject any member of group g whose name is not in keys. */
int
check_keys(struct ld *x, const config_setting_t *g, const char *what, const char *const *keys)
{
	int n = config_setting_length(g);

	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned int)i);
		const char *name = config_setting_name(m);
		char known[256] = "";
		size_t off = 0;
		bool ok = false;

		for (const char *const *k = keys; *k != NULL; k++)
			if (name != NULL && strcmp(name, *k) == 0)
				ok = true;
		if (ok)
			continue;
		for (const char *const *k = keys; *k != NULL && off + 1 < sizeof(known); k++) {
			int w = snprintf(known + off, sizeof(known) - off, "%s%s",
				k == keys ? "" : ", ", *k);

			if (w < 0)
				break;
			off += (size_t)w;
		}
		return fail(x, m, "%s%sunknown key \"%s\" (known keys: %s)", what, sep(what),
			name != NULL ? name : "?", known);
	}
	return 0;
}

/*
 * Read integer key of group g into *dst when present.
 * @return 1 when set, 0 when absent, -EINVAL on a bad type or range.
 */
int
get_u32(struct ld *x, const config_setting_t *g, const char *key, const char *what,
	long long min, long long max, uint32_t *dst)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	long long v;

	if (s == NULL)
		return 0;
	if (!is_int(s))
		return fail(x, s, "%s%s%s must be an integer, not %s", what, sep(what), key,
			type_name(s));
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return fail(x, s, "%s%s%s %lld is out of range (%lld..%lld)", what, sep(what), key,
			v, min, max);
	*dst = (uint32_t)v;
	return 1;
}

/* Read boolean key of group g: 1 and *dst when present, 0 when absent, or -EINVAL. */
int
get_bool(struct ld *x, const config_setting_t *g, const char *key, const char *what, bool *dst)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return fail(x, s, "%s%s%s must be a boolean (true or false), not %s", what, sep(what),
			key, type_name(s));
	*dst = config_setting_get_bool(s) != 0;
	return 1;
}

/* Read string key of group g: 1 and *out when present, 0 when absent, or -EINVAL. */
int
get_str(struct ld *x, const config_setting_t *g, const char *key, const char *what,
	const char **out, const config_setting_t **where)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	*out = NULL;
	if (where != NULL)
		*where = s;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(x, s, "%s%s%s must be a string, not %s", what, sep(what), key,
			type_name(s));
	*out = config_setting_get_string(s);
	return 1;
}

/*
 * A string key into a fixed buffer: 1 when present (copied), 0 when absent;
 * an empty string or one longer than len - 1 is an error. where, when not
 * NULL, gets the setting.
 */
int
get_strbuf(struct ld *x, const config_setting_t *g, const char *key, const char *what,
	char *dst, size_t len, const config_setting_t **where)
{
	const config_setting_t *s;
	const char *v;
	int rc = get_str(x, g, key, what, &v, &s);

	if (where != NULL)
		*where = s;
	if (rc <= 0)
		return rc;
	if (v[0] == '\0')
		return fail(x, s, "%s%s%s must not be empty (leave it out for the default)", what,
			sep(what), key);
	if (strlen(v) >= len)
		return fail(x, s, "%s%s%s is longer than %zu characters", what, sep(what), key,
			len - 1);
	snprintf(dst, len, "%s", v);
	return 1;
}

int
missing(struct ld *x, const config_setting_t *g, const char *what, const char *key)
{
	return fail(x, g, "%s%smissing required key \"%s\"", what, sep(what), key);
}

/* Top-level section that must be a group; NULL in *out when absent. */
int
get_group(struct ld *x, const config_setting_t *root, const char *key,
	const config_setting_t **out)
{
	const config_setting_t *s = config_setting_get_member(root, key);

	*out = NULL;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return fail(x, s, "%s must be a group { ... }, not %s", key, type_name(s));
	*out = s;
	return 1;
}

/* Top-level section that must be a list of groups; NULL in *out when absent. */
int
get_list(struct ld *x, const config_setting_t *root, const char *key,
	const config_setting_t **out)
{
	const config_setting_t *s = config_setting_get_member(root, key);

	*out = NULL;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail(x, s, "%s must be a list ( { ... }, ... ), not %s", key, type_name(s));
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);

		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return fail(x, e, "%s: element #%d must be a group { ... }, not %s", key,
				i + 1, type_name(e));
	}
	*out = s;
	return 1;
}

bool
is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/*
 * Strict IPv4/IPv6 prefix syntax before ng_prefix_parse (which would take
 * "+24" or " 24" through strtol): ADDR "/" 1-3 digits.
 */
int
parse_prefix(const char *s, struct ng_prefix *p)
{
	const char *slash = strchr(s, '/');
	size_t nd;

	if (slash == NULL)
		return -EINVAL;
	nd = strlen(slash + 1);
	if (nd == 0 || nd > 3 || strspn(slash + 1, "0123456789") != nd)
		return -EINVAL;
	return ng_prefix_parse(s, p);
}

uint32_t
v4h(const struct ng_ip *ip)
{
	return rte_be_to_cpu_32(ip->v4);
}

/* Is mac "aa:bb:cc:dd:ee:ff", exactly? */
static bool
mac_syntax_ok(const char *s)
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* Parse an IPv4 or IPv6 address string. */
int
parse_ip(struct ld *x, const config_setting_t *s, const char *what, const char *key,
	const char *t, struct ng_ip *ip)
{
	int rc = ng_ip_parse(t, ip);

	if (rc == -EAFNOSUPPORT)
		return fail(x, s, "%s: %s %s is an IPv4-mapped IPv6 address; write the IPv4 "
			"address", what, key, t);
	if (rc < 0)
		return fail(x, s, "%s: %s \"%s\" is not an IPv4 or IPv6 address", what, key, t);
	return 0;
}

/* Parse an IPv4 address string (IPv6 refused with a clear message). */
int
parse_v4(struct ld *x, const config_setting_t *s, const char *what, const char *key,
	const char *role, const char *t, struct ng_ip *ip)
{
	if (ng_ip_parse(t, ip) < 0)
		return fail(x, s, "%s: %s \"%s\" is not an IPv4 address", what, key, t);
	if (ip->family != AF_INET)
		return fail(x, s, "%s: %s %s: IPv6 %s are not supported yet", what, key, t, role);
	return 0;
}

/*
 * Find the port of a next hop or neighbour address ip: the named port
 * (sport/pname) when given, else the first port whose connected prefix holds
 * ip. ip must not be one of the gateway's own addresses.
 */
static int
resolve_port(struct ld *x, const config_setting_t *sip, const config_setting_t *sport,
	const char *what, const char *role, const char *pname, const struct ng_ip *ip,
	unsigned int *out)
{
	const struct ng_conf *c = x->c;
	char abuf[NG_IP_STRLEN];
	int pi;

	ng_ip_fmt(ip, abuf, sizeof(abuf));
	pi = ng_conf_own_addr(c, ip);
	if (pi >= 0)
		return fail(x, sip, "%s: %s %s is an address of port \"%s\" (this gateway), "
			"not a neighbour", what, role, abuf, c->ports[pi].name);
	if (pname != NULL) {
		const struct ng_conf_port *p;
		bool on = false;

		pi = ng_conf_port_by_name(c, pname);
		if (pi < 0)
			return fail(x, sport, "%s: port \"%s\" does not exist", what, pname);
		p = &c->ports[pi];
		for (unsigned int j = 0; j < p->n_addrs; j++)
			if (ng_prefix_contains(&p->addrs[j], ip))
				on = true;
		if (!on)
			return fail(x, sip, "%s: %s %s is not on a connected prefix of port \"%s\"",
				what, role, abuf, pname);
	} else {
		pi = ng_conf_port_for(c, ip);
		if (pi < 0)
			return fail(x, sip, "%s: %s %s is not on any port's connected prefix", what,
				role, abuf);
	}
	*out = (unsigned int)pi;
	return 0;
}

static int
load_route(struct ld *x, const config_setting_t *g, unsigned int ri)
{
	struct ng_conf *c = x->c;
	struct ng_conf_route *r = &c->routes[ri];
	const config_setting_t *spfx, *svia, *sport;
	const char *tpfx, *tvia, *tport;
	char what[NG_IP_STRLEN + 16], buf[NG_IP_STRLEN + 4], mbuf[NG_IP_STRLEN + 4];
	struct ng_prefix p, m;
	int rc;

	snprintf(what, sizeof(what), "route #%u", ri + 1);
	r->line = config_setting_source_line(g);

	rc = get_str(x, g, "prefix", what, &tpfx, &spfx);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return missing(x, g, what, "prefix");
	if (parse_prefix(tpfx, &p) < 0)
		return fail(x, spfx, "%s: prefix \"%s\" is not a prefix (A.B.C.D/LEN or "
			"X:X::X/LEN)", what, tpfx);
	if (p.len > (p.addr.family == AF_INET ? 32 : 128))
		return fail(x, spfx, "%s: prefix %s: the length is at most %d", what, tpfx,
			p.addr.family == AF_INET ? 32 : 128);
	m = ng_prefix_masked(&p);
	if (!ng_ip_equal(&m.addr, &p.addr))
		return fail(x, spfx, "%s: prefix %s has host bits set; did you mean %s?", what,
			ng_prefix_fmt(&p, buf, sizeof(buf)), ng_prefix_fmt(&m, mbuf, sizeof(mbuf)));
	snprintf(what, sizeof(what), "route %s", ng_prefix_fmt(&m, buf, sizeof(buf)));

	rc = check_keys(x, g, what, route_keys);
	if (rc < 0)
		return rc;

	for (unsigned int i = 0; i < ri; i++)
		if (c->routes[i].prefix.len == m.len &&
				ng_ip_equal(&c->routes[i].prefix.addr, &m.addr))
			return fail(x, spfx, "%s: duplicate prefix (first defined on line %d)",
				what, c->routes[i].line);
	for (unsigned int i = 0; i < c->n_ports; i++)
		for (unsigned int j = 0; j < c->ports[i].n_addrs; j++) {
			struct ng_prefix cp = ng_prefix_masked(&c->ports[i].addrs[j]);

			if (cp.len == m.len && ng_ip_equal(&cp.addr, &m.addr))
				return fail(x, spfx, "%s: duplicates the connected prefix of port "
					"\"%s\"", what, c->ports[i].name);
		}

	rc = get_str(x, g, "via", what, &tvia, &svia);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return missing(x, g, what, "via");
	rc = parse_ip(x, svia, what, "via", tvia, &r->via);
	if (rc < 0)
		return rc;
	if (r->via.family != m.addr.family)
		return fail(x, svia, "%s: via %s is not an %s address like the prefix", what,
			tvia, m.addr.family == AF_INET ? "IPv4" : "IPv6");
	rc = get_str(x, g, "port", what, &tport, &sport);
	if (rc < 0)
		return rc;
	rc = resolve_port(x, svia, sport, what, "next hop", tport, &r->via, &r->port);
	if (rc < 0)
		return rc;
	r->prefix = m;
	return 0;
}

static int
load_neigh(struct ld *x, const config_setting_t *g, unsigned int ni)
{
	struct ng_conf *c = x->c;
	struct ng_conf_neigh *nb = &c->neighbours[ni];
	const config_setting_t *saddr, *smac, *sport;
	const char *taddr, *tmac, *tport;
	char what[NG_IP_STRLEN + 16], abuf[NG_IP_STRLEN];
	int rc;

	snprintf(what, sizeof(what), "neighbour #%u", ni + 1);
	nb->line = config_setting_source_line(g);

	rc = get_str(x, g, "address", what, &taddr, &saddr);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return missing(x, g, what, "address");
	rc = parse_ip(x, saddr, what, "address", taddr, &nb->addr);
	if (rc < 0)
		return rc;
	snprintf(what, sizeof(what), "neighbour %s", ng_ip_fmt(&nb->addr, abuf, sizeof(abuf)));

	rc = check_keys(x, g, what, neigh_keys);
	if (rc < 0)
		return rc;

	rc = get_str(x, g, "mac", what, &tmac, &smac);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return missing(x, g, what, "mac");
	if (!mac_syntax_ok(tmac) || ng_mac_parse(tmac, &nb->mac) < 0)
		return fail(x, smac, "%s: mac \"%s\" is not a MAC address (aa:bb:cc:dd:ee:ff)",
			what, tmac);
	if (rte_is_zero_ether_addr(&nb->mac))
		return fail(x, smac, "%s: mac %s is the zero address", what, tmac);
	if (rte_is_multicast_ether_addr(&nb->mac))
		return fail(x, smac, "%s: mac %s is a multicast or broadcast address", what, tmac);

	rc = get_str(x, g, "port", what, &tport, &sport);
	if (rc < 0)
		return rc;
	rc = resolve_port(x, saddr, sport, what, "address", tport, &nb->addr, &nb->port);
	if (rc < 0)
		return rc;

	for (unsigned int i = 0; i < ni; i++)
		if (c->neighbours[i].port == nb->port &&
				ng_ip_equal(&c->neighbours[i].addr, &nb->addr))
			return fail(x, saddr, "%s: duplicate neighbour on port \"%s\" (first "
				"defined on line %d)", what, c->ports[nb->port].name,
				c->neighbours[i].line);
	return 0;
}

static int
load_routes(struct ld *x, const config_setting_t *root)
{
	const config_setting_t *l;
	int rc, n;

	rc = get_list(x, root, "routes", &l);
	if (rc <= 0)
		return rc;
	n = config_setting_length(l);
	if (n > NG_MAX_ROUTES)
		return fail(x, l, "too many routes (%d; at most %d)", n, NG_MAX_ROUTES);
	if (n == 0)
		return 0;
	x->c->routes = calloc((unsigned int)n, sizeof(*x->c->routes));
	if (x->c->routes == NULL)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		rc = load_route(x, config_setting_get_elem(l, (unsigned int)i), (unsigned int)i);
		if (rc < 0)
			return rc;
		x->c->n_routes++;
	}
	return 0;
}

static int
load_neighbours(struct ld *x, const config_setting_t *root)
{
	const config_setting_t *l;
	int rc, n;

	rc = get_list(x, root, "neighbours", &l);
	if (rc <= 0)
		return rc;
	n = config_setting_length(l);
	if (n > NG_MAX_STATIC_NEIGH)
		return fail(x, l, "too many neighbours (%d; at most %d)", n, NG_MAX_STATIC_NEIGH);
	if (n == 0)
		return 0;
	x->c->neighbours = calloc((unsigned int)n, sizeof(*x->c->neighbours));
	if (x->c->neighbours == NULL)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		rc = load_neigh(x, config_setting_get_elem(l, (unsigned int)i), (unsigned int)i);
		if (rc < 0)
			return rc;
		x->c->n_neighbours++;
	}
	return 0;
}

/* ---- hash sets for duplicate detection ---- */

static int
load_lcores(struct ld *x, const config_setting_t *g)
{
	const config_setting_t *s = config_setting_get_member(g, "lcores");
	struct ng_conf *c = x->c;
	int n;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY)
		return fail(x, s, "workers: lcores must be an array of integers like [1, 2], "
			"not %s", type_name(s));
	n = config_setting_length(s);
	if (n > NG_MAX_WORKERS)
		return fail(x, s, "workers: too many lcores (%d; at most %d)", n, NG_MAX_WORKERS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		long long v;

		if (!is_int(e))
			return fail(x, e, "workers: lcores must be integers, not %s", type_name(e));
		v = config_setting_get_int64(e);
		if (v < 0 || v > NG_LCORE_ID_MAX)
			return fail(x, e, "workers: lcore %lld is out of range (0..%d)", v,
				NG_LCORE_ID_MAX);
		for (unsigned int j = 0; j < c->workers.n_lcores; j++)
			if (c->workers.lcores[j] == (unsigned int)v)
				return fail(x, e, "workers: lcore %lld is listed twice", v);
		c->workers.lcores[c->workers.n_lcores++] = (unsigned int)v;
	}
	return 0;
}

/* The reassembly group: knobs of each worker's reassembly table (both families). */
static int
load_reassembly(struct ld *x, const config_setting_t *root)
{
	const config_setting_t *g;
	int rc;

	if ((rc = get_group(x, root, "reassembly", &g)) < 0 || g == NULL)
		return rc;
	if ((rc = check_keys(x, g, "reassembly", reass_keys)) < 0 ||
			(rc = get_bool(x, g, "enabled", "reassembly", &x->c->reassembly.enabled)) < 0 ||
			(rc = get_u32(x, g, "max_datagrams", "reassembly", NG_REASS_DATAGRAMS_MIN,
				NG_REASS_DATAGRAMS_MAX, &x->c->reassembly.max_datagrams)) < 0 ||
			(rc = get_u32(x, g, "max_fragments", "reassembly", NG_REASS_FRAGS_MIN,
				NG_REASS_FRAGS_MAX, &x->c->reassembly.max_fragments)) < 0 ||
			(rc = get_u32(x, g, "max_held", "reassembly", NG_REASS_HELD_MIN,
				NG_REASS_HELD_MAX, &x->c->reassembly.max_held)) < 0 ||
			(rc = get_u32(x, g, "timeout_ms", "reassembly", NG_REASS_TIMEOUT_MS_MIN,
				NG_REASS_TIMEOUT_MS_MAX, &x->c->reassembly.timeout_ms)) < 0)
		return rc;
	if (x->c->reassembly.max_held < x->c->reassembly.max_fragments)
		return fail(x, config_setting_get_member(g, "max_held") != NULL ?
				config_setting_get_member(g, "max_held") : g,
				"reassembly: max_held %u is less than max_fragments %u (one datagram "
				"could never be held whole)", x->c->reassembly.max_held,
				x->c->reassembly.max_fragments);
	return 0;
}

static int
load_globals(struct ld *x, const config_setting_t *root)
{
	struct ng_conf *c = x->c;
	const config_setting_t *s, *g;
	const char *t;
	int rc;

	rc = get_str(x, root, "log_level", "", &t, &s);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		int lvl = ng_log_level_parse(t);

		if (lvl < 0)
			return fail(x, s, "log_level \"%s\" is not a level (error, warning, "
				"notice, info, debug)", t);
		c->log_level = (uint32_t)lvl;
	}

	s = config_setting_get_member(root, "forwarding");
	if (s != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return fail(x, s, "forwarding must be a boolean (true or false), not %s",
				type_name(s));
		c->forwarding = config_setting_get_bool(s) != 0;
	}

	if ((rc = get_group(x, root, "workers", &g)) < 0)
		return rc;
	if (g != NULL) {
		if ((rc = check_keys(x, g, "workers", workers_keys)) < 0 ||
				(rc = load_lcores(x, g)) < 0 ||
				(rc = get_u32(x, g, "burst", "workers", NG_BURST_MIN, NG_BURST_MAX,
					&c->workers.burst)) < 0 ||
				(rc = get_u32(x, g, "idle_sleep_us", "workers", 0,
					NG_IDLE_SLEEP_US_MAX,
					&c->workers.idle_sleep_us)) < 0 ||
				(rc = get_u32(x, g, "idle_polls", "workers", NG_IDLE_POLLS_MIN,
					NG_IDLE_POLLS_MAX,
					&c->workers.idle_polls)) < 0)
			return rc;
	}

	if ((rc = get_group(x, root, "mempool", &g)) < 0)
		return rc;
	if (g != NULL) {
		if ((rc = check_keys(x, g, "mempool", mempool_keys)) < 0 ||
				(rc = get_u32(x, g, "mbufs", "mempool", 0, NG_MBUFS_MAX,
					&c->mempool.mbufs)) < 0 ||
				(rc = get_u32(x, g, "cache", "mempool", 0, NG_MEMPOOL_CACHE_MAX,
					&c->mempool.cache)) < 0)
			return rc;
		if (c->mempool.mbufs != 0 && c->mempool.mbufs < NG_MBUFS_MIN)
			return fail(x, config_setting_get_member(g, "mbufs"),
				"mempool: mbufs %u is out of range (0 or %d..%d)",
				c->mempool.mbufs, NG_MBUFS_MIN, NG_MBUFS_MAX);
	}

	if ((rc = get_group(x, root, "arp", &g)) < 0)
		return rc;
	if (g != NULL) {
		if ((rc = check_keys(x, g, "arp", arp_keys)) < 0 ||
				(rc = get_u32(x, g, "reachable_s", "arp", NG_ARP_REACHABLE_S_MIN,
					NG_ARP_REACHABLE_S_MAX,
					&c->arp.reachable_s)) < 0 ||
				(rc = get_u32(x, g, "retry_ms", "arp", NG_ARP_RETRY_MS_MIN,
					NG_ARP_RETRY_MS_MAX,
					&c->arp.retry_ms)) < 0 ||
				(rc = get_u32(x, g, "retries", "arp", NG_ARP_RETRIES_MIN,
					NG_ARP_RETRIES_MAX,
					&c->arp.retries)) < 0 ||
				(rc = get_u32(x, g, "pending_max", "arp", 0, NG_ARP_PENDING_MAX,
					&c->arp.pending_max)) < 0 ||
				(rc = get_u32(x, g, "max_entries", "arp", NG_ARP_ENTRIES_MIN,
					NG_ARP_ENTRIES_MAX,
					&c->arp.max_entries)) < 0)
			return rc;
	}

	if ((rc = get_group(x, root, "icmp", &g)) < 0)
		return rc;
	if (g != NULL) {
		if ((rc = check_keys(x, g, "icmp", icmp_keys)) < 0 ||
				(rc = get_u32(x, g, "rate_pps", "icmp", 0, NG_ICMP_RATE_MAX,
					&c->icmp.rate_pps)) < 0 ||
				(rc = get_bool(x, g, "fragment", "icmp", &c->icmp.fragment)) < 0)
			return rc;
	}

	if ((rc = load_reassembly(x, root)) < 0)
		return rc;

	if ((rc = get_group(x, root, "cli", &g)) < 0)
		return rc;
	if (g != NULL) {
		const config_setting_t *where;
		const char *addr;
		struct ng_ip ip;
		uint32_t port = c->cli.port;

		if ((rc = check_keys(x, g, "cli", cli_keys)) < 0 ||
				(rc = get_str(x, g, "address", "cli", &addr, &where)) < 0 ||
				(rc = get_u32(x, g, "port", "cli", 0, NG_L4_PORT_MAX, &port)) < 0 ||
				(rc = get_u32(x, g, "idle_timeout_s", "cli", 0,
					NG_CLI_IDLE_TIMEOUT_MAX, &c->cli.idle_timeout_s)) < 0)
			return rc;
		if (addr != NULL) {
			if (ng_ip_parse(addr, &ip) < 0)
				return fail(x, where, "cli: address \"%s\" is not an IPv4 or IPv6 "
					"address", addr);
			snprintf(c->cli.address, sizeof(c->cli.address), "%s", addr);
		}
		c->cli.port = (uint16_t)port;
	}
	return load_conntrack_nat(x, root);
}

static int
load_root(struct ld *x, const config_setting_t *root)
{
	int rc;

	if ((rc = check_keys(x, root, "", root_keys)) < 0 ||
			(rc = load_globals(x, root)) < 0 ||
			(rc = load_ports(x, root)) < 0 ||
			(rc = load_routes(x, root)) < 0 ||
			(rc = load_neighbours(x, root)) < 0 ||
			(rc = load_services(x, root)) < 0 ||
			(rc = load_k8s(x, root)) < 0 ||
			(rc = load_probes(x, root)) < 0 ||
			(rc = load_bgp(x, root)) < 0)
		return rc;
	return 0;
}

/* The whole stream as a NUL-terminated string, or NULL with errno set. */
char *
read_all(FILE *f)
{
	size_t cap = 4096, len = 0, n;
	char *buf = malloc(cap), *nb;

	if (buf == NULL)
		return NULL;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

void
ng_conf_defaults(struct ng_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = DEF_LOG_LEVEL;
	c->forwarding = DEF_FORWARDING;
	c->workers.n_lcores = 0;
	c->workers.burst = DEF_BURST;
	c->workers.idle_sleep_us = DEF_IDLE_SLEEP_US;
	c->workers.idle_polls = DEF_IDLE_POLLS;
	c->mempool.mbufs = DEF_MBUFS;
	c->mempool.cache = DEF_CACHE;
	c->arp.reachable_s = DEF_REACHABLE_S;
	c->arp.retry_ms = DEF_RETRY_MS;
	c->arp.retries = DEF_RETRIES;
	c->arp.pending_max = DEF_PENDING_MAX;
	c->arp.max_entries = DEF_MAX_ENTRIES;
	c->icmp.rate_pps = DEF_ICMP_RATE;
	c->reassembly.enabled = true;
	c->reassembly.max_datagrams = DEF_REASS_DATAGRAMS;
	c->reassembly.max_fragments = DEF_REASS_FRAGS;
	c->reassembly.max_held = DEF_REASS_HELD;
	c->reassembly.timeout_ms = DEF_REASS_TIMEOUT_MS;
	c->icmp.fragment = DEF_ICMP_FRAGMENT;
	snprintf(c->cli.address, sizeof(c->cli.address), NG_CLI_ADDR_DEF);
	c->cli.port = NG_CLI_PORT_DEF;
	c->cli.idle_timeout_s = NG_CLI_IDLE_TIMEOUT_DEF;
	c->conntrack.max_entries = DEF_CT_MAX_ENTRIES;
	c->conntrack.timeouts = (struct ng_ct_timeouts){
		.tcp_syn = DEF_TO_TCP_SYN,
		.tcp_established = DEF_TO_TCP_ESTABLISHED,
		.tcp_fin = DEF_TO_TCP_FIN,
		.tcp_time_wait = DEF_TO_TCP_TIME_WAIT,
		.tcp_close = DEF_TO_TCP_CLOSE,
		.udp = DEF_TO_UDP,
		.udp_unreplied = DEF_TO_UDP_UNREPLIED,
	};
	c->nat.port_min = DEF_NAT_PORT_MIN;
	c->nat.port_max = DEF_NAT_PORT_MAX;
	c->services = NULL;
	c->n_services = 0;
	probes_defaults(c);
	c->k8s.watch_timeout_s = 300;
	c->k8s.page_size = 500;
	c->k8s.backoff_ms = 800;
	c->k8s.backoff_max_ms = 30000;
	c->k8s.token_reread_s = 60;
	bgp_defaults(&c->bgp);
}

struct ng_conf *
ng_conf_load(const char *path, char *err, size_t errlen)
{
	char localerr[NG_ERRBUF];
	struct ld x = {.path = path, .err = err, .errlen = errlen};
	struct ng_conf *c;
	struct stat st;
	char *text;
	config_t cfg;
	FILE *f;
	int rc;

	if (err == NULL || errlen == 0) {
		x.err = localerr;
		x.errlen = sizeof(localerr);
	}
	x.err[0] = '\0';
	if (path == NULL) {
		snprintf(x.err, x.errlen, "no config file given");
		errno = EINVAL;
		return NULL;
	}
	f = fopen(path, "r");
	if (f == NULL || fstat(fileno(f), &st) < 0 || S_ISDIR(st.st_mode)) {
		int e = f == NULL ? errno : S_ISDIR(st.st_mode) ? EISDIR : errno;

		if (f != NULL)
			fclose(f);
		snprintf(x.err, x.errlen, "%s: cannot read: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		fclose(f);
		snprintf(x.err, x.errlen, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	ng_conf_defaults(c);
	snprintf(c->file, sizeof(c->file), "%s", path);
	x.c = c;

	text = read_all(f);
	fclose(f);
	if (text == NULL) {
		int e = errno;

		ng_conf_free(c);
		snprintf(x.err, x.errlen, "%s: cannot read: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	x.text = text;

	config_init(&cfg);
	rc = conf_check_includes(&x, text);
	if (rc < 0) {
		if (rc == -ENOMEM)
			snprintf(x.err, x.errlen, "%s: out of memory", path);
	} else if (config_read_string(&cfg, text) != CONFIG_TRUE) {
		const char *file = config_error_file(&cfg) != NULL ? config_error_file(&cfg) : path;

		snprintf(x.err, x.errlen, "%s:%d: %s", file, config_error_line(&cfg),
			config_error_text(&cfg));
		rc = -EINVAL;
	} else {
		rc = load_root(&x, config_root_setting(&cfg));
		if (rc == -ENOMEM)
			snprintf(x.err, x.errlen, "%s: out of memory", path);
	}
	config_destroy(&cfg);
	free(text);
	ht_free(&x.names);
	ht_free(&x.frontends);
	free(x.line_off);
	if (rc < 0) {
		ng_conf_free(c);
		errno = -rc;
		return NULL;
	}
	return c;
}

void
ng_conf_free(struct ng_conf *c)
{
	if (c == NULL)
		return;
	free(c->routes);
	free(c->neighbours);
	for (unsigned int i = 0; i < c->n_services; i++) {
		free(c->services[i].vips);
		free(c->services[i].backends);
		free(c->services[i].src_ranges);
	}
	free(c->services);
	free(c);
}

int
ng_conf_port_for(const struct ng_conf *c, const struct ng_ip *ip)
{
	for (unsigned int i = 0; i < c->n_ports; i++)
		for (unsigned int j = 0; j < c->ports[i].n_addrs; j++)
			if (ng_prefix_contains(&c->ports[i].addrs[j], ip))
				return (int)i;
	return -1;
}

int
ng_conf_own_addr(const struct ng_conf *c, const struct ng_ip *ip)
{
	for (unsigned int i = 0; i < c->n_ports; i++) {
		const struct ng_conf_port *p = &c->ports[i];

		for (unsigned int j = 0; j < p->n_addrs; j++)
			if (ng_ip_equal(&p->addrs[j].addr, ip))
				return (int)i;
		for (unsigned int j = 0; j < p->n_fullnat; j++)
			if (ng_ip_equal(&p->fullnat[j], ip))
				return (int)i;
	}
	return -1;
}

int
ng_conf_port_by_name(const struct ng_conf *c, const char *name)
{
	if (name == NULL)
		return -1;
	for (unsigned int i = 0; i < c->n_ports; i++)
		if (strcmp(c->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}
