/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "bgp" section: where BIRD's control socket is, the file of routes
 * nodegw writes for it, which addresses may be announced, and the timings of
 * a clean stop. doc/configuration.md lists the keys, doc/scale-out.md the
 * BIRD side.
 */
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "conf_priv.h"

static const char *const bgp_keys[] = {"bird_socket", "routes_file", "protocol", "interface",
	"announce", "service_cidrs", "stop_wait_ms", "timeout_ms", "retry_ms", NULL};

/* The words of the kinds (bgp.announce, show bgp), in enum ng_bgp_kind bit order. */
static const struct {
	const char *word;
	uint32_t kind;
} kinds[] = {
	{"loadbalancer", NG_BGP_KIND_LB},
	{"external", NG_BGP_KIND_EXTERNAL},
	{"config", NG_BGP_KIND_CONFIG},
	{"cluster", NG_BGP_KIND_CLUSTER},
};

const char *
ng_bgp_kind_name(uint32_t bit)
{
	for (size_t k = 0; k < RTE_DIM(kinds); k++)
		if (kinds[k].kind == bit)
			return kinds[k].word;
	return NULL;
}

static int
get_abs_path(struct ld *x, const config_setting_t *g, const char *key, char *dst, size_t len)
{
	const config_setting_t *where;
	int rc = get_strbuf(x, g, key, "bgp", dst, len, &where);

	if (rc > 0 && dst[0] != '/')
		return fail(x, where, "bgp: %s \"%s\" must be an absolute path", key, dst);
	return rc;
}

/* BIRD symbol: a letter or _, then letters, digits and _. */
static bool
bird_symbol_ok(const char *s)
{
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

static int
load_names(struct ld *x, const config_setting_t *g, struct ng_conf_bgp *b)
{
	const config_setting_t *where;
	int rc;

	if ((rc = get_abs_path(x, g, "bird_socket", b->bird_socket, sizeof(b->bird_socket))) < 0)
		return rc;
	if (strlen(b->bird_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return fail(x, config_setting_get_member(g, "bird_socket"), "bgp: bird_socket is "
			"longer than a unix socket path may be (%zu characters)",
			sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	if ((rc = get_abs_path(x, g, "routes_file", b->routes_file, sizeof(b->routes_file))) < 0)
		return rc;
	/* Room for the "4" and "6" suffixes. */
	if ((rc = get_strbuf(x, g, "protocol", "bgp", b->protocol, sizeof(b->protocol) - 1,
			&where)) < 0)
		return rc;
	if (rc > 0 && !bird_symbol_ok(b->protocol))
		return fail(x, where, "bgp: protocol \"%s\" is not a BIRD name (a letter or _, "
			"then letters, digits and _)", b->protocol);
	if ((rc = get_strbuf(x, g, "interface", "bgp", b->interface, sizeof(b->interface),
			&where)) < 0)
		return rc;
	if (rc > 0 && !name_ok(b->interface, sizeof(b->interface)))
		return fail(x, where, "bgp: interface \"%s\" must be 1..%zu characters of "
			"A-Z a-z 0-9 _ . -", b->interface, sizeof(b->interface) - 1);
	return 0;
}

static int
announce_one(struct ld *x, const config_setting_t *e, const char *v, struct ng_conf_bgp *b)
{
	for (size_t k = 0; k < RTE_DIM(kinds); k++) {
		if (strcmp(v, kinds[k].word) != 0)
			continue;
		if (kinds[k].kind == NG_BGP_KIND_CLUSTER)
			return fail(x, e, "bgp: announce: cluster IPs are announced as aggregates; "
				"list the service CIDR in bgp.service_cidrs instead");
		if (b->announce & kinds[k].kind)
			return fail(x, e, "bgp: announce names \"%s\" twice", v);
		b->announce |= kinds[k].kind;
		return 0;
	}
	return fail(x, e, "bgp: announce: unknown kind \"%s\" (loadbalancer, external, config)",
		v);
}

/* announce = ["loadbalancer", ...]: the kinds; absent keeps the default. */
static int
load_announce(struct ld *x, const config_setting_t *g, struct ng_conf_bgp *b)
{
	const config_setting_t *s = config_setting_get_member(g, "announce");
	int rc;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY)
		return fail(x, s, "bgp: announce must be an array of strings [\"loadbalancer\", "
			"...], not %s", type_name(s));
	b->announce = 0;
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail(x, e, "bgp: announce must hold strings, not %s", type_name(e));
		if ((rc = announce_one(x, e, config_setting_get_string(e), b)) < 0)
			return rc;
	}
	return 1;
}

/* Aggregates must not overlap: one would hide the other's withdrawal. */
static int
check_cidrs(struct ld *x, const config_setting_t *g, const struct ng_conf_bgp *b)
{
	char p1[NG_IP_STRLEN], p2[NG_IP_STRLEN];

	for (unsigned int i = 0; i < b->n_service_cidrs; i++)
		for (unsigned int j = 0; j < i; j++) {
			const struct ng_prefix *a = &b->service_cidrs[i], *o = &b->service_cidrs[j];

			if (ng_prefix_contains(o, &a->addr) || ng_prefix_contains(a, &o->addr))
				return fail(x, config_setting_get_member(g, "service_cidrs"),
					"bgp: service_cidrs: %s overlaps %s",
					ng_prefix_fmt(a, p1, sizeof(p1)),
					ng_prefix_fmt(o, p2, sizeof(p2)));
		}
	return 0;
}

int
load_bgp(struct ld *x, const config_setting_t *root)
{
	struct ng_conf_bgp *b = &x->c->bgp;
	const config_setting_t *g;
	int rc;

	if ((rc = get_group(x, root, "bgp", &g)) <= 0)
		return rc;
	b->enabled = true;
	b->line = setting_line(x, g);
	if ((rc = check_keys(x, g, "bgp", bgp_keys)) < 0 ||
			(rc = load_names(x, g, b)) < 0 ||
			(rc = load_announce(x, g, b)) < 0 ||
			(rc = load_prefix_list(x, g, "service_cidrs", "bgp", NG_BGP_CIDRS_MAX,
				false, b->service_cidrs, &b->n_service_cidrs, NULL)) < 0 ||
			(rc = check_cidrs(x, g, b)) < 0 ||
			(rc = get_u32(x, g, "stop_wait_ms", "bgp", 0, NG_BGP_STOP_WAIT_MAX,
				&b->stop_wait_ms)) < 0 ||
			(rc = get_u32(x, g, "timeout_ms", "bgp", NG_BGP_MS_MIN, NG_BGP_MS_MAX,
				&b->timeout_ms)) < 0 ||
			(rc = get_u32(x, g, "retry_ms", "bgp", NG_BGP_MS_MIN, NG_BGP_MS_MAX,
				&b->retry_ms)) < 0)
		return rc;
	if (b->announce == 0 && b->n_service_cidrs == 0)
		return fail(x, g, "bgp: nothing to announce: announce is empty and there are no "
			"service_cidrs");
	return 0;
}

void
bgp_defaults(struct ng_conf_bgp *b)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->bird_socket, sizeof(b->bird_socket), NG_BGP_SOCKET_DEF);
	snprintf(b->routes_file, sizeof(b->routes_file), NG_BGP_ROUTES_FILE_DEF);
	snprintf(b->protocol, sizeof(b->protocol), NG_BGP_PROTO_DEF);
	snprintf(b->interface, sizeof(b->interface), NG_BGP_IFACE_DEF);
	b->announce = NG_BGP_ANNOUNCE_DEF;
	b->stop_wait_ms = NG_BGP_STOP_WAIT_DEF;
	b->timeout_ms = NG_BGP_TIMEOUT_DEF;
	b->retry_ms = NG_BGP_RETRY_DEF;
}
