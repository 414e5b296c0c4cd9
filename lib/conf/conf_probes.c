/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "probes" section (where /healthz, /livez, /metrics and the
 * healthCheckNodePort servers listen, and when the data path counts as
 * stale) and the top-level node_port_addresses list, with kube-proxy's
 * defaults: healthz 0.0.0.0:10256, metrics 127.0.0.1:10249, NodePorts on
 * every address.
 */
#include "conf_priv.h"

static const char *const probes_keys[] = {"healthz_bind_address", "metrics_bind_address",
	"health_check_address", "stale_after_ms", NULL};

#define DEF_HEALTHZ_PORT 10256
#define DEF_METRICS_PORT 10249
#define DEF_STALE_AFTER_MS 5000

void
probes_defaults(struct ng_conf *c)
{
	c->probes.healthz = (struct ng_conf_bind){.on = true, .addr = ng_ip4(0),
		.port = DEF_HEALTHZ_PORT};
	c->probes.metrics = (struct ng_conf_bind){.on = true, .addr = ng_ip4(0x7f000001),
		.port = DEF_METRICS_PORT};
	c->probes.health_check_addr = ng_ip4(0);
	c->probes.stale_after_ms = DEF_STALE_AFTER_MS;
}

/* "ADDR:PORT" or "[V6ADDR]:PORT" (the port is required); "" turns it off. */
static int
parse_bind(const char *t, struct ng_conf_bind *b)
{
	char host[NG_IP_STRLEN];
	const char *colon, *h = t;
	size_t hl;
	char *end;
	unsigned long port;

	if (t[0] == '\0') {
		*b = (struct ng_conf_bind){.on = false};
		return 0;
	}
	colon = strrchr(t, ':');
	if (colon == NULL || colon[1] == '\0')
		return -EINVAL;
	hl = (size_t)(colon - t);
	if (t[0] == '[') {
		if (hl < 2 || t[hl - 1] != ']')
			return -EINVAL;
		h = t + 1;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host) || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || port > NG_L4_PORT_MAX || ng_ip_parse(host, &b->addr) < 0)
		return -EINVAL;
	/* An IPv6 address goes in brackets, so that its last group is not the port. */
	if (b->addr.family == AF_INET6 && t[0] != '[')
		return -EINVAL;
	b->port = (uint16_t)port;
	b->on = true;
	return 0;
}

static int
get_bind(struct ld *x, const config_setting_t *g, const char *key, struct ng_conf_bind *b)
{
	const config_setting_t *where;
	const char *t;
	int rc = get_str(x, g, key, "probes", &t, &where);

	if (rc <= 0)
		return rc;
	if (parse_bind(t, b) < 0)
		return fail(x, where, "probes: %s \"%s\" is not ADDRESS:PORT (\"0.0.0.0:10256\", "
			"\"[::]:10256\"; port 0 picks a free one; \"\" turns it off)", key, t);
	return 1;
}

/*
 * A list of prefixes in an array of strings: g.key = ["198.18.0.0/24", ...];
 * with primary_ok, "primary" may stand among them. Stores masked prefixes.
 * @return 1 when present, 0 when absent, -EINVAL.
 */
int
load_prefix_list(struct ld *x, const config_setting_t *g, const char *key, const char *what,
	unsigned int max, bool primary_ok, struct ng_prefix *out, unsigned int *n_out,
	bool *primary)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	int n;

	*n_out = 0;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY)
		return fail(x, s, "%s%s%s must be an array of strings [\"A.B.C.D/N\", ...], not %s",
			what, sep(what), key, type_name(s));
	n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const char *t;
		struct ng_prefix p;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail(x, e, "%s%s%s: element #%d must be a string \"A.B.C.D/N\", not %s",
				what, sep(what), key, i + 1, type_name(e));
		t = config_setting_get_string(e);
		if (primary_ok && strcmp(t, "primary") == 0) {
			*primary = true;
			continue;
		}
		if (parse_prefix(t, &p) < 0)
			return fail(x, e, "%s%s%s: \"%s\" is not a prefix A.B.C.D/N%s", what, sep(what),
				key, t, primary_ok ? " or \"primary\"" : "");
		if (*n_out == max)
			return fail(x, e, "%s%s%s: more than %u prefixes", what, sep(what), key, max);
		p = ng_prefix_masked(&p);
		for (unsigned int j = 0; j < *n_out; j++)
			if (out[j].len == p.len && ng_ip_equal(&out[j].addr, &p.addr))
				return fail(x, e, "%s%s%s: \"%s\" is listed twice", what, sep(what), key,
					t);
		out[(*n_out)++] = p;
	}
	return 1;
}

/* The port addresses node_port_addresses selects; none is an error. */
static int
resolve_nodeport(struct ld *x, const config_setting_t *s)
{
	struct ng_conf_nodeport *np = &x->c->nodeport;
	const struct ng_conf *c = x->c;

	np->n_addrs = 0;
	for (unsigned int i = 0; i < c->n_ports; i++)
		for (unsigned int j = 0; j < c->ports[i].n_addrs; j++) {
			const struct ng_ip *a = &c->ports[i].addrs[j].addr;
			bool take = np->primary && i == 0 && j == 0;

			for (unsigned int k = 0; k < np->n_prefixes && !take; k++)
				take = ng_prefix_contains(&np->prefixes[k], a);
			if (take)
				np->addrs[np->n_addrs++] = *a;
		}
	if (np->n_addrs == 0)
		return fail(x, s, "node_port_addresses: no port address is in %s; NodePorts "
			"would answer nowhere", np->n_prefixes ? "these prefixes" : "the list");
	return 0;
}

int
load_probes(struct ld *x, const config_setting_t *root)
{
	struct ng_conf_probes *p = &x->c->probes;
	struct ng_conf_nodeport *np = &x->c->nodeport;
	const config_setting_t *g, *s;
	int rc;

	if ((rc = get_group(x, root, "probes", &g)) < 0)
		return rc;
	if (g != NULL) {
		const config_setting_t *where;
		const char *t;

		p->line = setting_line(x, g);
		if ((rc = check_keys(x, g, "probes", probes_keys)) < 0 ||
				(rc = get_bind(x, g, "healthz_bind_address", &p->healthz)) < 0 ||
				(rc = get_bind(x, g, "metrics_bind_address", &p->metrics)) < 0 ||
				(rc = get_u32(x, g, "stale_after_ms", "probes",
					NG_PROBES_STALE_AFTER_MS_MIN, NG_PROBES_STALE_AFTER_MS_MAX,
					&p->stale_after_ms)) < 0 ||
				(rc = get_str(x, g, "health_check_address", "probes", &t, &where)) < 0)
			return rc;
		if (t != NULL && ng_ip_parse(t, &p->health_check_addr) < 0)
			return fail(x, where, "probes: health_check_address \"%s\" is not an IPv4 or "
				"IPv6 address", t);
	}
	s = config_setting_get_member(root, "node_port_addresses");
	rc = load_prefix_list(x, root, "node_port_addresses", "", NG_MAX_NODEPORT_ADDRS, true,
			np->prefixes, &np->n_prefixes, &np->primary);
	if (rc <= 0)
		return rc;
	np->set = true;
	np->line = setting_line(x, s);
	return resolve_nodeport(x, s);
}
