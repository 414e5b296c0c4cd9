/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config loader, second half: conntrack, nat and services (see conf.c).
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_priv.h"
#include "ng_hash.h"

static uint64_t
str_hash(const char *s)
{
	return ng_hash_bytes(s, strlen(s), 0);
}

/*
 * Entry with key, probing from its home slot (after == NULL) or from the
 * slot after a previous hit; NULL when there is none (left).
 */
static struct ht_ent *
ht_find(const struct ht *h, uint64_t key, const struct ht_ent *after)
{
	size_t mask = h->cap - 1, i;

	if (h->cap == 0)
		return NULL;
	i = after == NULL ? (size_t)ng_mix64(key) & mask : ((size_t)(after - h->e) + 1) & mask;
	for (; h->e[i].used; i = (i + 1) & mask)
		if (h->e[i].key == key)
			return &h->e[i];
	return NULL;
}

/* Add key (duplicates allowed); the table stays at most half full. */
static int
ht_add(struct ht *h, uint64_t key, uint32_t svc, int line)
{
	size_t i;

	if ((h->n + 1) * 2 > h->cap) {
		size_t cap = h->cap == 0 ? 64 : h->cap * 2;
		struct ht_ent *e = calloc(cap, sizeof(*e));

		if (e == NULL)
			return -ENOMEM;
		for (size_t j = 0; j < h->cap; j++) {
			if (!h->e[j].used)
				continue;
			for (i = (size_t)ng_mix64(h->e[j].key) & (cap - 1); e[i].used;
					i = (i + 1) & (cap - 1))
				;
			e[i] = h->e[j];
		}
		free(h->e);
		h->e = e;
		h->cap = cap;
	}
	for (i = (size_t)ng_mix64(key) & (h->cap - 1); h->e[i].used; i = (i + 1) & (h->cap - 1))
		;
	h->e[i] = (struct ht_ent){.key = key, .svc = svc, .line = line, .used = true};
	h->n++;
	return 0;
}

void
ht_free(struct ht *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}

/* ---- conntrack, nat and services ---- */

static const char *
proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : "?";
}

/*
 * The duplicate-detection key of an address: IPv4 itself, IPv6 a 62-bit hash
 * (bit 63 set: disjoint from IPv4 keys; a collision between two of a file's
 * addresses, about 1 in 10^9 at 100,000 of them, would report a duplicate
 * that is not one).
 */
static uint64_t
addr_key(const struct ng_ip *a)
{
	if (a->family == AF_INET)
		return v4h(a);
	return 1ULL << 63 | (ng_hash_addr6(a->v6) & ((1ULL << 62) - 1));
}

/* Key of frontend (vip, port, proto). */
static uint64_t
fe_key(const struct ng_ip *vip, uint16_t port, uint8_t proto)
{
	if (vip->family == AF_INET6)
		return addr_key(vip) ^ ((uint64_t)port << 8 | proto);
	return (uint64_t)v4h(vip) << 24 | (uint64_t)port << 8 | proto;
}

static const char *
fam_name(uint8_t family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* A service is one family: a VIP or backend a of another family than the service's. */
static int
family_mixed(struct ld *x, const config_setting_t *s, const char *what, const char *role,
	const char *abuf, const struct ng_conf_service *sv, const struct ng_ip *a)
{
	uint8_t f = sv->n_vips > 0 ? sv->vips[0].family :
		sv->n_backends > 0 ? sv->backends[0].addr.family : 0;

	if (sv->n_src_ranges > 0 && a->family != sv->src_ranges[0].addr.family)
		return fail(x, s, "%s: %s %s is %s, and source_ranges are %s prefixes (a service "
			"is one family: so are its ranges)", what, role, abuf, fam_name(a->family),
			fam_name(sv->src_ranges[0].addr.family));
	if (f == 0 || f == a->family)
		return 0;
	return fail(x, s, "%s: %s %s is %s, the service is %s (a service is one family: make "
		"one service per family)", what, role, abuf, fam_name(a->family), fam_name(f));
}

/* Key of node port (family, port, proto); disjoint from every fe_key. */
static uint64_t
np_key(uint8_t family, uint16_t port, uint8_t proto)
{
	return 1ULL << 62 | (uint64_t)(family == AF_INET6) << 24 | (uint64_t)port << 8 | proto;
}

uint8_t
ng_conf_svc_family(const struct ng_conf_service *sv)
{
	if (sv->n_vips > 0)
		return sv->vips[0].family;
	if (sv->n_backends > 0)
		return sv->backends[0].addr.family;
	return sv->n_src_ranges > 0 ? sv->src_ranges[0].addr.family : AF_INET;
}

/* A unicast address a service may use: IPv4, or IPv6 but link-local. */
static bool
unicast_ip(const struct ng_ip *ip)
{
	if (ip->family == AF_INET)
		return ng_ip4_is_unicast(ip);
	return ng_ip6_is_unicast(ip) && !(ip->v6[0] == 0xfe && (ip->v6[1] & 0xc0) == 0x80);
}

/* Is ip inside a connected prefix or a static route's prefix? */
static bool
routable(const struct ng_conf *c, const struct ng_ip *ip)
{
	if (ng_conf_port_for(c, ip) >= 0)
		return true;
	for (unsigned int i = 0; i < c->n_routes; i++)
		if (ng_prefix_contains(&c->routes[i].prefix, ip))
			return true;
	return false;
}

/*
 * Read string key of g that must be one of names (any case) into *out, the
 * index in names. 1 when set, 0 when absent, -EINVAL.
 */
static int
get_choice(struct ld *x, const config_setting_t *g, const char *key, const char *what,
	const char *const *names, unsigned int *out)
{
	const config_setting_t *s;
	char list[128] = "";
	size_t off = 0;
	const char *t;
	int rc;

	rc = get_str(x, g, key, what, &t, &s);
	if (rc <= 0)
		return rc;
	for (unsigned int i = 0; names[i] != NULL; i++)
		if (strcasecmp(t, names[i]) == 0) {
			*out = i;
			return 1;
		}
	for (unsigned int i = 0; names[i] != NULL && off + 1 < sizeof(list); i++) {
		int w = snprintf(list + off, sizeof(list) - off, "%s%s", i == 0 ? "" : ", ",
			names[i]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
	return fail(x, s, "%s%s%s \"%s\" is not one of %s", what, sep(what), key, t, list);
}

/* Names of enum ng_sched and enum ng_fwd_mode values, in enum order. */
static const char *const sched_names[] = {"maglev", "wrr", "random", NULL};
static const char *const mode_names[] = {"fullnat", "dnat", "dsr", NULL};
static const char *const affinity_names[] = {"none", "client-ip", NULL};

/*
 * Read the optional "timeouts" group of g into *t (absent keys untouched).
 * proto != 0: only the timeouts of that protocol are allowed.
 */
static int
load_timeouts(struct ld *x, const config_setting_t *g, const char *what, uint8_t proto,
	struct ng_ct_timeouts *t)
{
	const config_setting_t *s = config_setting_get_member(g, "timeouts");
	char w[NG_SVC_NAME_MAX + 64];
	int rc;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return fail(x, s, "%s: timeouts must be a group { ... }, not %s", what,
			type_name(s));
	snprintf(w, sizeof(w), "%s: timeouts", what);
	rc = check_keys(x, s, w, timeout_keys);
	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < NG_CT_TIMEOUT_FIELDS; i++) {
		const char *key = ng_ct_timeout_fields[i].key;
		uint32_t *dst = ng_ct_timeout_at(t, i);

		rc = get_u32(x, s, key, w, NG_TIMEOUT_MIN, NG_TIMEOUT_MAX, dst);
		if (rc < 0)
			return rc;
		if (rc > 0 && proto != 0 && proto != ng_ct_timeout_fields[i].proto)
			return fail(x, config_setting_get_member(s, key),
				"%s: %s does not apply to a %s service", w, key, proto_name(proto));
	}
	return 0;
}

int
load_conntrack_nat(struct ld *x, const config_setting_t *root)
{
	struct ng_conf *c = x->c;
	const config_setting_t *g;
	int rc;

	if ((rc = get_group(x, root, "conntrack", &g)) < 0)
		return rc;
	if (g != NULL) {
		if ((rc = check_keys(x, g, "conntrack", conntrack_keys)) < 0 ||
				(rc = get_u32(x, g, "max_entries", "conntrack", NG_CT_ENTRIES_MIN,
					NG_CT_ENTRIES_MAX, &c->conntrack.max_entries)) < 0 ||
				(rc = load_timeouts(x, g, "conntrack", 0,
					&c->conntrack.timeouts)) < 0)
			return rc;
	}

	if ((rc = get_group(x, root, "nat", &g)) < 0)
		return rc;
	if (g != NULL) {
		uint32_t lo = c->nat.port_min, hi = c->nat.port_max;
		const config_setting_t *blame;
		int smax;

		if ((rc = check_keys(x, g, "nat", nat_keys)) < 0 ||
				(rc = get_u32(x, g, "port_min", "nat", NG_NAT_PORT_LOW,
					NG_L4_PORT_MAX,
					&lo)) < 0 ||
				(rc = smax = get_u32(x, g, "port_max", "nat",
					NG_NAT_PORT_LOW, NG_L4_PORT_MAX,
					&hi)) < 0)
			return rc;
		/* the defaults are valid: a bad range has at least one key set */
		blame = config_setting_get_member(g, smax > 0 ? "port_max" : "port_min");
		if (lo >= hi)
			return fail(x, blame, "nat: port_min %u must be below port_max %u", lo, hi);
		if (hi - lo + 1 < NG_NAT_MIN_PORTS)
			return fail(x, blame, "nat: port_min..port_max (%u..%u) holds %u ports; at "
				"least %d are needed", lo, hi, hi - lo + 1, NG_NAT_MIN_PORTS);
		c->nat.port_min = (uint16_t)lo;
		c->nat.port_max = (uint16_t)hi;
	}
	return 0;
}

static bool
svc_name_ok(const char *s)
{
	return ng_svc_name_ok(s);
}

static int
too_many_frontends(struct ld *x, const config_setting_t *s, const char *what)
{
	return fail(x, s, "%s: too many frontends in all (at most %d: VIPs and node ports of "
		"every service)", what, NG_MAX_FRONTENDS);
}

static int
load_vips(struct ld *x, const config_setting_t *g, unsigned int si, const char *what)
{
	struct ng_conf *c = x->c;
	struct ng_conf_service *sv = &c->services[si];
	const config_setting_t *s = config_setting_get_member(g, "vips");
	char abuf[NG_IP_STRLEN];
	int n, rc;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY)
		return fail(x, s, "%s: vips must be an array of strings [\"A.B.C.D\", ...], "
			"not %s", what, type_name(s));
	n = config_setting_length(s);
	if (n == 0)
		return 0;
	if (n > NG_MAX_SVC_VIPS)
		return fail(x, s, "%s: too many vips (%d; at most %d)", what, n, NG_MAX_SVC_VIPS);
	sv->vips = calloc((unsigned int)n, sizeof(*sv->vips));
	if (sv->vips == NULL)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const struct ht_ent *hit;
		struct ng_ip ip;
		uint64_t key;
		int pi, line;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail(x, e, "%s: vips must be strings \"A.B.C.D\", not %s", what,
				type_name(e));
		rc = parse_ip(x, e, what, "vip", config_setting_get_string(e), &ip);
		if (rc < 0)
			return rc;
		ng_ip_fmt(&ip, abuf, sizeof(abuf));
		if (!unicast_ip(&ip))
			return fail(x, e, "%s: vip %s is not a unicast address", what, abuf);
		rc = family_mixed(x, e, what, "vip", abuf, sv, &ip);
		if (rc < 0)
			return rc;
		pi = ng_conf_own_addr(c, &ip);
		if (pi >= 0)
			return fail(x, e, "%s: vip %s is an address of port \"%s\"; use node_port "
				"to serve on port addresses", what, abuf, c->ports[pi].name);
		key = fe_key(&ip, sv->port, sv->proto);
		hit = ht_find(&x->frontends, key, NULL);
		if (hit != NULL && hit->svc == si)
			return fail(x, e, "%s: duplicate frontend %s:%u/%s (vip listed twice, "
				"first on line %d)", what, abuf, sv->port, proto_name(sv->proto),
				hit->line);
		if (hit != NULL)
			return fail(x, e, "%s: duplicate frontend %s:%u/%s (also in service \"%s\" "
				"at line %d)", what, abuf, sv->port, proto_name(sv->proto),
				c->services[hit->svc].name, hit->line);
		if (x->frontends.n >= NG_MAX_FRONTENDS)
			return too_many_frontends(x, e, what);
		line = (int)setting_line(x, e);
		rc = ht_add(&x->frontends, key, si, line);
		if (rc < 0)
			return rc;
		sv->vips[sv->n_vips++] = ip;
	}
	return 0;
}

static int
load_backend(struct ld *x, const config_setting_t *g, unsigned int si, unsigned int bi,
	const char *svwhat, struct ht *seen)
{
	struct ng_conf *c = x->c;
	struct ng_conf_service *sv = &c->services[si];
	struct ng_conf_backend *b = &sv->backends[bi];
	const config_setting_t *sa;
	char what[NG_SVC_NAME_MAX + 16 + 16 + NG_IP_STRLEN], abuf[NG_IP_STRLEN];
	const struct ht_ent *hit;
	const char *t;
	uint32_t v;
	uint64_t key;
	int rc, pi;

	snprintf(what, sizeof(what), "%s: backend #%u", svwhat, bi + 1);
	b->line = config_setting_source_line(g);
	b->weight = DEF_WEIGHT;

	rc = get_str(x, g, "address", what, &t, &sa);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return missing(x, g, what, "address");
	rc = parse_ip(x, sa, what, "address", t, &b->addr);
	if (rc < 0)
		return rc;
	ng_ip_fmt(&b->addr, abuf, sizeof(abuf));
	snprintf(what, sizeof(what), "%s: backend %s", svwhat, abuf);

	rc = check_keys(x, g, what, backend_keys);
	if (rc < 0)
		return rc;
	if (!unicast_ip(&b->addr))
		return fail(x, sa, "%s: backend %s is not a unicast address", svwhat, abuf);
	rc = family_mixed(x, sa, svwhat, "backend", abuf, sv, &b->addr);
	if (rc < 0)
		return rc;
	pi = ng_conf_own_addr(c, &b->addr);
	if (pi >= 0)
		return fail(x, sa, "%s: backend %s is an address of port \"%s\" (this gateway)",
			svwhat, abuf, c->ports[pi].name);
	if (!routable(c, &b->addr))
		return fail(x, sa, "%s: backend %s is in no connected or routed prefix", svwhat,
			abuf);

	v = sv->port;
	rc = get_u32(x, g, "port", what, NG_L4_PORT_MIN, NG_L4_PORT_MAX, &v);
	if (rc < 0)
		return rc;
	b->port = (uint16_t)v;
	rc = get_u32(x, g, "weight", what, 0, NG_WEIGHT_MAX, &b->weight);
	if (rc < 0)
		return rc;

	key = b->addr.family == AF_INET6 ? addr_key(&b->addr) ^ b->port :
		(uint64_t)v4h(&b->addr) << 16 | b->port;
	hit = ht_find(seen, key, NULL);
	if (hit != NULL)
		return fail(x, g, "%s: duplicate backend %s:%u (first defined on line %d)", svwhat,
			abuf, b->port, hit->line);
	return ht_add(seen, key, si, b->line);
}

static int
load_backends(struct ld *x, const config_setting_t *g, unsigned int si, const char *what)
{
	struct ng_conf_service *sv = &x->c->services[si];
	const config_setting_t *s = config_setting_get_member(g, "backends");
	struct ht seen = {0};
	int n, rc = 0;

	if (s == NULL)
		return 0;
	n = config_setting_length(s);
	if (config_setting_type(s) == CONFIG_TYPE_ARRAY && n == 0)
		return 0; /* "[]" reads as naturally as "()" */
	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail(x, s, "%s: backends must be a list ( { address = ...; port = ...; }, "
			"... ), not %s", what, type_name(s));
	if (n == 0)
		return 0;
	if (n > NG_MAX_SVC_BACKENDS)
		return fail(x, config_setting_get_elem(s, NG_MAX_SVC_BACKENDS),
			"%s: too many backends (%d; at most %d)", what, n, NG_MAX_SVC_BACKENDS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);

		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return fail(x, e, "%s: backends: element #%d must be a group { ... }, "
				"not %s", what, i + 1, type_name(e));
	}
	sv->backends = calloc((unsigned int)n, sizeof(*sv->backends));
	if (sv->backends == NULL)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		rc = load_backend(x, config_setting_get_elem(s, (unsigned int)i), si,
			(unsigned int)i, what, &seen);
		if (rc < 0)
			break;
		sv->n_backends++;
	}
	ht_free(&seen);
	return rc;
}

/* source_ranges: new connections only from these prefixes, of the service's family. */
static int
load_src_ranges(struct ld *x, const config_setting_t *g, struct ng_conf_service *sv,
	const char *what)
{
	struct ng_prefix *r = calloc(NG_MAX_SVC_SRC_RANGES, sizeof(*r));
	unsigned int n = 0;
	int rc;

	if (r == NULL)
		return -ENOMEM;
	rc = load_prefix_list(x, g, "source_ranges", what, NG_MAX_SVC_SRC_RANGES, false, r, &n,
			NULL);
	for (unsigned int i = 0; rc > 0 && i < n; i++) {
		uint8_t f = i > 0 ? r[0].addr.family : sv->n_vips > 0 ? sv->vips[0].family : 0;
		char a[NG_IP_STRLEN];

		if (f == 0 || r[i].addr.family == f)
			continue;
		ng_prefix_fmt(&r[i], a, sizeof(a));
		rc = fail(x, config_setting_get_elem(config_setting_get_member(g,
			"source_ranges"), i), "%s: source_ranges: %s is %s, the %s %s (a service "
			"is one family: so are its ranges)", what, a, fam_name(r[i].addr.family),
			i > 0 ? "first range is" : "service is", fam_name(f));
	}
	if (rc <= 0 || n == 0) {
		free(r);
		return rc < 0 ? rc : 0;
	}
	sv->src_ranges = r;
	sv->n_src_ranges = n;
	return 0;
}

/* node_port v of service si (snp: its setting), once the service's family is
 * known: one service per (family, port, protocol). */
static int
load_node_port(struct ld *x, const config_setting_t *snp, unsigned int si, uint16_t v,
	const char *what)
{
	struct ng_conf *c = x->c;
	struct ng_conf_service *sv = &c->services[si];
	uint8_t family = ng_conf_svc_family(sv);
	uint64_t key = np_key(family, v, sv->proto);
	const struct ht_ent *hit;
	int rc;

	if (v >= c->nat.port_min && v <= c->nat.port_max)
		return fail(x, snp, "%s: node_port %u lies in nat.port_min..port_max "
			"(%u..%u), where FullNAT source ports are allocated", what, v,
			c->nat.port_min, c->nat.port_max);
	hit = ht_find(&x->frontends, key, NULL);
	if (hit != NULL)
		return fail(x, snp, "%s: duplicate node_port %u/%s%s (also in service \"%s\" "
			"at line %d)", what, v, proto_name(sv->proto),
			family == AF_INET6 ? " on IPv6" : "", c->services[hit->svc].name,
			hit->line);
	if (x->frontends.n >= NG_MAX_FRONTENDS)
		return too_many_frontends(x, snp, what);
	rc = ht_add(&x->frontends, key, si, (int)setting_line(x, snp));
	if (rc < 0)
		return rc;
	sv->node_port = v;
	return 0;
}

static int
load_service(struct ld *x, const config_setting_t *g, unsigned int si)
{
	struct ng_conf *c = x->c;
	struct ng_conf_service *sv = &c->services[si];
	const config_setting_t *s, *snp;
	const struct ht_ent *hit;
	char what[NG_SVC_NAME_MAX + 16];
	unsigned int choice;
	const char *t;
	uint64_t h;
	uint32_t v;
	int rc;

	snprintf(what, sizeof(what), "service #%u", si + 1);
	sv->line = config_setting_source_line(g);
	sv->scheduler = NG_SCHED_MAGLEV;
	sv->mode = NG_FWD_FULLNAT;
	sv->affinity = false;
	sv->affinity_timeout = NG_AFFINITY_TIMEOUT_DEFAULT;

	rc = get_str(x, g, "name", what, &t, &s);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return missing(x, g, what, "name");
	if (!svc_name_ok(t))
		return fail(x, s, "%s: name \"%s\" must be 1..%d characters of "
			"A-Z a-z 0-9 _ . : / -", what, t, NG_SVC_NAME_MAX - 1);
	h = str_hash(t);
	for (hit = ht_find(&x->names, h, NULL); hit != NULL; hit = ht_find(&x->names, h, hit))
		if (strcmp(c->services[hit->svc].name, t) == 0)
			return fail(x, s, "%s: duplicate service name \"%s\" (first defined on "
				"line %d)", what, t, hit->line);
	snprintf(sv->name, sizeof(sv->name), "%s", t);
	rc = ht_add(&x->names, h, si, sv->line);
	if (rc < 0)
		return rc;
	snprintf(what, sizeof(what), "service \"%s\"", sv->name);

	rc = check_keys(x, g, what, service_keys);
	if (rc < 0)
		return rc;

	rc = get_str(x, g, "protocol", what, &t, &s);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return missing(x, g, what, "protocol");
	if (strcasecmp(t, "tcp") == 0)
		sv->proto = IPPROTO_TCP;
	else if (strcasecmp(t, "udp") == 0)
		sv->proto = IPPROTO_UDP;
	else if (strcasecmp(t, "sctp") == 0)
		return fail(x, s, "%s: protocol \"%s\": SCTP is not supported", what, t);
	else
		return fail(x, s, "%s: protocol \"%s\" is not one of tcp, udp", what, t);

	v = 0;
	rc = get_u32(x, g, "port", what, NG_L4_PORT_MIN, NG_L4_PORT_MAX, &v);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return missing(x, g, what, "port");
	sv->port = (uint16_t)v;

	choice = sv->scheduler;
	if ((rc = get_choice(x, g, "scheduler", what, sched_names, &choice)) < 0)
		return rc;
	sv->scheduler = (enum ng_sched)choice;
	choice = sv->mode;
	if ((rc = get_choice(x, g, "mode", what, mode_names, &choice)) < 0)
		return rc;
	sv->mode = (enum ng_fwd_mode)choice;
	choice = 0;
	if ((rc = get_choice(x, g, "affinity", what, affinity_names, &choice)) < 0)
		return rc;
	sv->affinity = choice == 1;
	rc = get_u32(x, g, "affinity_timeout", what, NG_AFFINITY_TIMEOUT_MIN,
		NG_AFFINITY_TIMEOUT_MAX,
		&sv->affinity_timeout);
	if (rc < 0)
		return rc;
	if (rc > 0 && !sv->affinity)
		return fail(x, config_setting_get_member(g, "affinity_timeout"),
			"%s: affinity_timeout needs affinity = \"client-ip\"", what);

	rc = load_timeouts(x, g, what, sv->proto, &sv->timeouts);
	if (rc < 0)
		return rc;

	rc = load_vips(x, g, si, what);
	if (rc < 0)
		return rc;
	rc = load_src_ranges(x, g, sv, what);
	if (rc < 0)
		return rc;

	v = 0;
	rc = get_u32(x, g, "node_port", what, NG_L4_PORT_MIN, NG_L4_PORT_MAX, &v);
	if (rc < 0)
		return rc;
	snp = rc > 0 ? config_setting_get_member(g, "node_port") : NULL;
	if (sv->n_vips == 0 && snp == NULL) {
		s = config_setting_get_member(g, "vips");
		return fail(x, s != NULL ? s : g, "%s: has no frontend: give vips or node_port",
			what);
	}
	/* the backends before the node port: they may give the service its family */
	rc = load_backends(x, g, si, what);
	if (rc < 0 || snp == NULL)
		return rc;
	return load_node_port(x, snp, si, (uint16_t)v, what);
}

/*
 * Backends of all services together, counted from the lengths of the lists
 * before any is read, so a file over the limit is refused at once.
 */
static int
check_backends_total(struct ld *x, const config_setting_t *l)
{
	unsigned long total = 0;

	for (int i = 0; i < config_setting_length(l); i++) {
		const config_setting_t *b = config_setting_get_member(
			config_setting_get_elem(l, (unsigned int)i), "backends");

		if (b == NULL || (config_setting_type(b) != CONFIG_TYPE_LIST &&
				config_setting_type(b) != CONFIG_TYPE_ARRAY))
			continue;
		total += (unsigned int)config_setting_length(b);
		if (total > NG_MAX_BACKENDS)
			return fail(x, b, "service #%d: too many backends in all (%lu up to this "
				"service; at most %d)", i + 1, total, NG_MAX_BACKENDS);
	}
	return 0;
}

int
load_services(struct ld *x, const config_setting_t *root)
{
	const config_setting_t *l;
	int rc, n;

	rc = get_list(x, root, "services", &l);
	if (rc <= 0)
		return rc;
	n = config_setting_length(l);
	if (n > NG_MAX_SERVICES)
		return fail(x, config_setting_get_elem(l, NG_MAX_SERVICES),
			"too many services (%d; at most %d)", n, NG_MAX_SERVICES);
	rc = check_backends_total(x, l);
	if (rc < 0)
		return rc;
	if (n == 0)
		return 0;
	x->c->services = calloc((unsigned int)n, sizeof(*x->c->services));
	if (x->c->services == NULL)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		/* counted before it loads, so ng_conf_free() frees a half-loaded one */
		x->c->n_services = (unsigned int)i + 1;
		rc = load_service(x, config_setting_get_elem(l, (unsigned int)i), (unsigned int)i);
		if (rc < 0)
			break;
	}
	ht_free(&x->names);
	ht_free(&x->frontends);
	return rc;
}

