/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>

#include "ng_log.h"
#include "svc_priv.h"

struct svc_state ng_svc;

static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static const char *
proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : "?";
}

void
ng_svc_fe_key(struct ng_fe_key *k, const struct ng_ip *addr, uint16_t port, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	k->family = addr->family;
	if (addr->family == AF_INET)
		k->addr.v4 = addr->v4;
	else if (addr->family == AF_INET6)
		memcpy(k->addr.v6, addr->v6, 16);
	k->port = rte_cpu_to_be_16(port);
	k->proto = proto;
}

int
ng_svc_init(const struct ng_svc_params *p)
{
	struct rte_hash_parameters hp = {0};

	memset(&ng_svc, 0, sizeof(ng_svc));
	ng_svc.p = *p;
	if (ng_svc.p.coalesce_us == 0)
		ng_svc.p.coalesce_us = 1000;
	if (ng_svc.p.coalesce_max_us == 0)
		ng_svc.p.coalesce_max_us = 10000;
	ng_svc.next_uid = 1;

	hp.name = "ng_svc_names";
	hp.entries = 1 << 17;
	hp.key_len = NG_SVC_NAME_MAX;
	hp.hash_func = rte_hash_crc;
	hp.socket_id = SOCKET_ID_ANY;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	ng_svc.by_name = rte_hash_create(&hp);
	hp.name = "ng_svc_fes";
	hp.entries = 1 << 18;
	hp.key_len = sizeof(struct ng_fe_key);
	ng_svc.by_fe = rte_hash_create(&hp);
	hp.name = "ng_svc_vips";
	hp.entries = 1 << 17;
	hp.key_len = sizeof(struct ng_ip);
	ng_svc.vips = rte_hash_create(&hp);
	if (ng_svc.by_name == NULL || ng_svc.by_fe == NULL || ng_svc.vips == NULL) {
		ng_svc_fini();
		return -ENOMEM;
	}
	/* An empty ruleset, so workers never see NULL. */
	return ng_ruleset_commit(NULL, 0);
}

static void
svc_d_free(struct svc_d *d)
{
	if (d == NULL)
		return;
	free(d->fes);
	free(d->bes);
	free((void *)(uintptr_t)d->spec.src_ranges);
	free(d);
}

/** d's spec becomes s, with a copy of s's source ranges. */
static int
spec_set(struct svc_d *d, const struct ng_svc_spec *s)
{
	struct ng_prefix *r = NULL;

	if (s->n_src_ranges > 0) {
		r = malloc(s->n_src_ranges * sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		memcpy(r, s->src_ranges, s->n_src_ranges * sizeof(*r));
	}
	free((void *)(uintptr_t)d->spec.src_ranges);
	d->spec = *s;
	d->spec.src_ranges = r;
	return 0;
}

void
ng_svc_fini(void)
{
	ng_ruleset_fini();
	for (uint32_t i = 0; i < ng_svc.n_svcs; i++)
		svc_d_free(ng_svc.svcs[i]);
	free(ng_svc.svcs);
	free(ng_svc.dirty);
	rte_hash_free(ng_svc.by_name);
	rte_hash_free(ng_svc.by_fe);
	rte_hash_free(ng_svc.vips);
	memset(&ng_svc, 0, sizeof(ng_svc));
}

static struct svc_d *
find(const char *name)
{
	char key[NG_SVC_NAME_MAX] = {0};
	void *data;

	snprintf(key, sizeof(key), "%s", name);
	if (ng_svc.by_name == NULL || rte_hash_lookup_data(ng_svc.by_name, key, &data) < 0)
		return NULL;
	return ng_svc.svcs[(uintptr_t)data];
}

void
ng_svc_mark(struct svc_d *d)
{
	uint64_t now = rte_get_tsc_cycles();

	ng_svc.last_change_tsc = now;
	if (d->dirty)
		return;
	if (ng_svc.n_dirty == 0)
		ng_svc.first_dirty_tsc = now;
	if (ng_svc.n_dirty == ng_svc.cap_dirty) {
		uint32_t cap = ng_svc.cap_dirty ? ng_svc.cap_dirty * 2 : 64;
		uint32_t *n = realloc(ng_svc.dirty, cap * sizeof(*n));

		if (n == NULL) {
			/* Cannot track it: commit now instead. */
			ng_ruleset_commit(NULL, 0);
			if (ng_svc.n_dirty == ng_svc.cap_dirty)
				return;
		} else {
			ng_svc.dirty = n;
			ng_svc.cap_dirty = cap;
		}
	}
	d->dirty = true;
	ng_svc.dirty[ng_svc.n_dirty++] = d->id;
}

static int
check_spec(const struct ng_svc_spec *s, char *err, size_t errlen)
{
	size_t len = strnlen(s->name, sizeof(s->name));

	if (len == 0 || len >= sizeof(s->name) || !ng_svc_name_ok(s->name))
		return fail(err, errlen, -EINVAL, "service name \"%.*s\" must be 1..%d characters "
				"of A-Z a-z 0-9 _ . : / -", (int)len, s->name, NG_SVC_NAME_MAX - 1);
	if (s->proto != IPPROTO_TCP && s->proto != IPPROTO_UDP)
		return fail(err, errlen, -EINVAL, "service \"%s\": protocol must be tcp or udp",
				s->name);
	if (s->scheduler > NG_SCHED_RANDOM || s->mode > NG_FWD_DNAT)
		return fail(err, errlen, -EINVAL, "service \"%s\": bad scheduler or mode",
				s->name);
	if (s->affinity_timeout > 86400)
		return fail(err, errlen, -EINVAL, "service \"%s\": affinity timeout %u s "
				"exceeds 86400", s->name, s->affinity_timeout);
	if (s->n_src_ranges > NG_MAX_SVC_SRC_RANGES)
		return fail(err, errlen, -EINVAL, "service \"%s\": %u source ranges (at most %d)",
				s->name, s->n_src_ranges, NG_MAX_SVC_SRC_RANGES);
	for (unsigned int i = 0; i < s->n_src_ranges; i++)
		if (s->src_ranges[i].addr.family != AF_INET || s->src_ranges[i].len > 32)
			return fail(err, errlen, -EINVAL, "service \"%s\": source range #%u is "
					"not an IPv4 prefix (only IPv4 is served yet)", s->name, i + 1);
	return 0;
}

int
ng_svc_add(const struct ng_svc_spec *s, char *err, size_t errlen)
{
	char key[NG_SVC_NAME_MAX] = {0};
	struct svc_d *d;
	uint32_t id;
	int rc = check_spec(s, err, errlen);

	if (rc < 0)
		return rc;
	d = find(s->name);
	if (d != NULL && !d->deleted)
		return fail(err, errlen, -EEXIST, "service \"%s\" exists", s->name);
	if (d != NULL) {
		/* Deleted but not yet committed: bring it back with the new spec, empty. */
		if (spec_set(d, s) < 0)
			return fail(err, errlen, -ENOMEM, "out of memory");
		d->deleted = false;
		d->n_fes = 0;
		d->n_bes = 0;
		ng_svc.live++;
		ng_svc_mark(d);
		return 0;
	}
	for (id = 0; id < ng_svc.n_svcs; id++)
		if (ng_svc.svcs[id] == NULL)
			break;
	if (id == ng_svc.n_svcs) {
		if (ng_svc.n_svcs == ng_svc.cap_svcs) {
			uint32_t cap = ng_svc.cap_svcs ? ng_svc.cap_svcs * 2 : 64;
			struct svc_d **n = realloc(ng_svc.svcs, cap * sizeof(*n));

			if (n == NULL)
				return fail(err, errlen, -ENOMEM, "out of memory");
			ng_svc.svcs = n;
			ng_svc.cap_svcs = cap;
		}
		ng_svc.svcs[ng_svc.n_svcs++] = NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL || spec_set(d, s) < 0) {
		free(d);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	d->id = id;
	snprintf(key, sizeof(key), "%s", s->name);
	rc = rte_hash_add_key_data(ng_svc.by_name, key, (void *)(uintptr_t)id);
	if (rc < 0) {
		svc_d_free(d);
		return fail(err, errlen, rc, "service \"%s\": too many services", s->name);
	}
	ng_svc.svcs[id] = d;
	ng_svc.live++;
	ng_svc_mark(d);
	return 0;
}

bool
ng_svc_spec_equal(const struct ng_svc_spec *a, const struct ng_svc_spec *b)
{
	return a->proto == b->proto && a->scheduler == b->scheduler && a->mode == b->mode &&
			a->affinity == b->affinity && a->affinity_timeout == b->affinity_timeout &&
			a->empty_drop == b->empty_drop && a->origin == b->origin &&
			memcmp(&a->timeouts, &b->timeouts, sizeof(a->timeouts)) == 0 &&
			a->n_src_ranges == b->n_src_ranges && (a->n_src_ranges == 0 ||
			memcmp(a->src_ranges, b->src_ranges,
				a->n_src_ranges * sizeof(*a->src_ranges)) == 0);
}

int
ng_svc_update(const struct ng_svc_spec *s, char *err, size_t errlen)
{
	struct svc_d *d = find(s->name);
	int rc = check_spec(s, err, errlen);

	if (rc < 0)
		return rc;
	if (d == NULL || d->deleted)
		return fail(err, errlen, -ENOENT, "service \"%s\" does not exist", s->name);
	if (d->spec.proto != s->proto)
		return fail(err, errlen, -EINVAL, "service \"%s\": the protocol cannot change "
				"(delete and add it)", s->name);
	if (ng_svc_spec_equal(&d->spec, s))
		return 0;
	if (spec_set(d, s) < 0)
		return fail(err, errlen, -ENOMEM, "out of memory");
	ng_svc_mark(d);
	return 0;
}

static void
fe_unindex(struct svc_d *d, const struct ng_frontend *fe)
{
	struct ng_fe_key k;

	ng_svc_fe_key(&k, &fe->addr, fe->port, d->spec.proto);
	rte_hash_del_key(ng_svc.by_fe, &k);
}

int
ng_svc_del(const char *name, char *err, size_t errlen)
{
	struct svc_d *d = find(name);

	if (d == NULL || d->deleted)
		return fail(err, errlen, -ENOENT, "service \"%s\" does not exist", name);
	for (unsigned int i = 0; i < d->n_fes; i++)
		fe_unindex(d, &d->fes[i]);
	d->n_fes = 0;
	d->n_bes = 0;
	d->deleted = true;
	ng_svc.live--;
	ng_svc_mark(d);
	return 0;
}

static int
grow(void **arr, unsigned int *cap, unsigned int n, size_t elem)
{
	void *p;
	unsigned int c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 4;
	p = realloc(*arr, c * elem);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

static bool
fe_equal(const struct ng_frontend *a, const struct ng_frontend *b)
{
	return a->port == b->port && (a->addr.family == 0 ? b->addr.family == 0 :
			ng_ip_equal(&a->addr, &b->addr));
}

void
ng_svc_frontend_fmt(const struct ng_frontend *fe, uint8_t proto, char *buf, size_t len)
{
	char a[NG_IP_STRLEN];

	if (fe->addr.family == 0)
		snprintf(buf, len, "nodeport:%u/%s", fe->port, proto_name(proto));
	else
		snprintf(buf, len, "%s:%u/%s", ng_ip_fmt(&fe->addr, a, sizeof(a)), fe->port,
				proto_name(proto));
}

int
ng_svc_frontend_add(const char *name, const struct ng_frontend *fe, char *err, size_t errlen)
{
	struct svc_d *d = find(name);
	struct ng_fe_key k;
	char f[80];
	void *data;
	int rc;

	if (d == NULL || d->deleted)
		return fail(err, errlen, -ENOENT, "service \"%s\" does not exist", name);
	ng_svc_frontend_fmt(fe, d->spec.proto, f, sizeof(f));
	if (fe->port == 0)
		return fail(err, errlen, -EINVAL, "service \"%s\": frontend %s: port 0", name, f);
	if (fe->addr.family != 0 && fe->addr.family != AF_INET)
		return fail(err, errlen, -EINVAL, "service \"%s\": frontend %s: only IPv4 "
				"frontends are served yet", name, f);
	if (fe->addr.family != 0 && !ng_ip4_is_unicast(&fe->addr))
		return fail(err, errlen, -EINVAL, "service \"%s\": frontend %s is not a unicast "
				"address", name, f);
	if (fe->addr.family == 0 && fe->port >= ng_svc.p.lport_min &&
			fe->port <= ng_svc.p.lport_max)
		return fail(err, errlen, -EINVAL, "service \"%s\": %s lies in the FullNAT source "
				"port range %u..%u", name, f, ng_svc.p.lport_min, ng_svc.p.lport_max);
	for (unsigned int i = 0; i < ng_svc.p.n_node_addrs && fe->addr.family != 0; i++)
		if (ng_ip_equal(&ng_svc.p.node_addrs[i], &fe->addr))
			return fail(err, errlen, -EINVAL, "service \"%s\": frontend %s is a gateway "
					"address; use a NodePort", name, f);
	/* A service is one service port: every VIP on the same port, one NodePort. */
	for (unsigned int i = 0; i < d->n_fes; i++) {
		const struct ng_frontend *o = &d->fes[i];

		if (fe_equal(o, fe))
			return 0;
		if (fe->addr.family != 0 && o->addr.family != 0 && o->port != fe->port)
			return fail(err, errlen, -EINVAL, "service \"%s\": frontend %s: its VIPs "
					"use port %u; a service has one port (make another service)",
					name, f, o->port);
		if (fe->addr.family == 0 && o->addr.family == 0)
			return fail(err, errlen, -EINVAL, "service \"%s\": it has node port %u "
					"already; a service has one", name, o->port);
	}
	ng_svc_fe_key(&k, &fe->addr, fe->port, d->spec.proto);
	if (rte_hash_lookup_data(ng_svc.by_fe, &k, &data) >= 0) {
		struct svc_d *o = ng_svc.svcs[(uintptr_t)data];

		if (o == d)
			return 0;
		return fail(err, errlen, -EEXIST, "service \"%s\": frontend %s belongs to "
				"service \"%s\"", name, f, o->spec.name);
	}
	if (grow((void **)&d->fes, &d->cap_fes, d->n_fes, sizeof(*d->fes)) < 0)
		return fail(err, errlen, -ENOMEM, "out of memory");
	rc = rte_hash_add_key_data(ng_svc.by_fe, &k, (void *)(uintptr_t)d->id);
	if (rc < 0)
		return fail(err, errlen, rc, "service \"%s\": too many frontends", name);
	d->fes[d->n_fes++] = *fe;
	ng_svc_mark(d);
	return 0;
}

int
ng_svc_frontend_del(const char *name, const struct ng_frontend *fe, char *err, size_t errlen)
{
	struct svc_d *d = find(name);
	char f[80];

	if (d == NULL || d->deleted)
		return fail(err, errlen, -ENOENT, "service \"%s\" does not exist", name);
	for (unsigned int i = 0; i < d->n_fes; i++) {
		if (!fe_equal(&d->fes[i], fe))
			continue;
		fe_unindex(d, &d->fes[i]);
		d->fes[i] = d->fes[--d->n_fes];
		ng_svc_mark(d);
		return 0;
	}
	ng_svc_frontend_fmt(fe, d->spec.proto, f, sizeof(f));
	return fail(err, errlen, -ENOENT, "service \"%s\": no frontend %s", name, f);
}

int
ng_svc_backend_set(const char *name, const struct ng_ip *addr, uint16_t port, uint32_t weight,
		char *err, size_t errlen)
{
	struct svc_d *d = find(name);
	struct ng_route_info ri;
	char a[NG_IP_STRLEN];

	if (d == NULL || d->deleted)
		return fail(err, errlen, -ENOENT, "service \"%s\" does not exist", name);
	ng_ip_fmt(addr, a, sizeof(a));
	if (addr->family != AF_INET)
		return fail(err, errlen, -EINVAL, "service \"%s\": backend %s: only IPv4 backends "
				"are served yet", name, a);
	if (port == 0)
		return fail(err, errlen, -EINVAL, "service \"%s\": backend %s: port 0", name, a);
	if (!ng_ip4_is_unicast(addr))
		return fail(err, errlen, -EINVAL, "service \"%s\": backend %s is not a unicast "
				"address", name, a);
	for (unsigned int i = 0; i < ng_svc.p.n_node_addrs; i++)
		if (ng_ip_equal(&ng_svc.p.node_addrs[i], addr))
			return fail(err, errlen, -EINVAL, "service \"%s\": backend %s is an address "
					"of this gateway", name, a);
	if (weight > 10000)
		return fail(err, errlen, -EINVAL, "service \"%s\": backend %s:%u: weight %u "
				"exceeds 10000", name, a, port, weight);
	if (ng_svc.p.fib != NULL && ng_fib_lookup(ng_svc.p.fib, addr, &ri) != 0)
		return fail(err, errlen, -EHOSTUNREACH, "service \"%s\": backend %s is in no "
				"connected or routed prefix", name, a);
	for (unsigned int i = 0; i < d->n_bes; i++) {
		if (d->bes[i].port != port || !ng_ip_equal(&d->bes[i].addr, addr))
			continue;
		if (d->bes[i].weight != weight) {
			d->bes[i].weight = weight;
			ng_svc_mark(d);
		}
		return 0;
	}
	if (d->n_bes >= NG_MAGLEV_NONE - 1)
		return fail(err, errlen, -ENOSPC, "service \"%s\": too many backends", name);
	if (grow((void **)&d->bes, &d->cap_bes, d->n_bes, sizeof(*d->bes)) < 0)
		return fail(err, errlen, -ENOMEM, "out of memory");
	d->bes[d->n_bes].addr = *addr;
	d->bes[d->n_bes].port = port;
	d->bes[d->n_bes].weight = weight;
	d->n_bes++;
	ng_svc_mark(d);
	return 0;
}

int
ng_svc_backend_del(const char *name, const struct ng_ip *addr, uint16_t port, char *err,
		size_t errlen)
{
	struct svc_d *d = find(name);
	char a[NG_IP_STRLEN];

	if (d == NULL || d->deleted)
		return fail(err, errlen, -ENOENT, "service \"%s\" does not exist", name);
	for (unsigned int i = 0; i < d->n_bes; i++) {
		if (d->bes[i].port != port || !ng_ip_equal(&d->bes[i].addr, addr))
			continue;
		memmove(&d->bes[i], &d->bes[i + 1], (d->n_bes - i - 1) * sizeof(*d->bes));
		d->n_bes--;
		ng_svc_mark(d);
		return 0;
	}
	return fail(err, errlen, -ENOENT, "service \"%s\": no backend %s:%u", name,
			ng_ip_fmt(addr, a, sizeof(a)), port);
}

static void
spec_from_conf(const struct ng_conf_service *cs, struct ng_svc_spec *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", cs->name);
	s->proto = cs->proto;
	s->scheduler = cs->scheduler;
	s->mode = cs->mode;
	s->affinity = cs->affinity;
	s->affinity_timeout = cs->affinity_timeout;
	s->timeouts = cs->timeouts;
	s->src_ranges = cs->src_ranges;
	s->n_src_ranges = cs->n_src_ranges;
}

/* Does the desired service d already equal the config's cs? */
static bool
same_as_conf(const struct svc_d *d, const struct ng_conf_service *cs)
{
	struct ng_svc_spec s;
	unsigned int n_fe = cs->n_vips + (cs->node_port ? 1 : 0);

	spec_from_conf(cs, &s);
	if (!ng_svc_spec_equal(&d->spec, &s) || d->n_fes != n_fe || d->n_bes != cs->n_backends)
		return false;
	for (unsigned int i = 0; i < cs->n_vips; i++) {
		struct ng_frontend fe = {.addr = cs->vips[i], .port = cs->port};
		bool found = false;

		for (unsigned int j = 0; j < d->n_fes && !found; j++)
			found = fe_equal(&d->fes[j], &fe);
		if (!found)
			return false;
	}
	for (unsigned int i = 0; i < cs->n_backends; i++) {
		const struct ng_conf_backend *b = &cs->backends[i];
		bool found = false;

		for (unsigned int j = 0; j < d->n_bes && !found; j++)
			found = d->bes[j].port == b->port && d->bes[j].weight == b->weight &&
					ng_ip_equal(&d->bes[j].addr, &b->addr);
		if (!found)
			return false;
	}
	if (cs->node_port) {
		struct ng_frontend fe = {.port = cs->node_port};
		bool found = false;

		for (unsigned int j = 0; j < d->n_fes && !found; j++)
			found = fe_equal(&d->fes[j], &fe);
		if (!found)
			return false;
	}
	return true;
}

int
ng_svc_apply_conf(const struct ng_conf *c, char *err, size_t errlen)
{
	char e[NG_ERRBUF];
	int rc;

	/* Services the config no longer has, or has differently, go first so their
	 * frontends are free for whoever takes them over. */
	for (uint32_t i = 0; i < ng_svc.n_svcs; i++) {
		struct svc_d *d = ng_svc.svcs[i];
		const struct ng_conf_service *cs = NULL;

		if (d == NULL || d->deleted || d->spec.origin != NG_SVC_ORIGIN_LOCAL)
			continue;
		for (unsigned int j = 0; j < c->n_services && cs == NULL; j++)
			if (strcmp(c->services[j].name, d->spec.name) == 0)
				cs = &c->services[j];
		if (cs == NULL || !same_as_conf(d, cs))
			ng_svc_del(d->spec.name, NULL, 0);
	}
	for (unsigned int j = 0; j < c->n_services; j++) {
		const struct ng_conf_service *cs = &c->services[j];
		struct svc_d *d = find(cs->name);
		struct ng_svc_spec s;

		if (d != NULL && !d->deleted && d->spec.origin != NG_SVC_ORIGIN_LOCAL)
			return fail(err, errlen, -EEXIST, "%s:%d: service \"%s\": the name is "
					"taken by a Kubernetes service", c->file, cs->line, cs->name);
		if (d != NULL && !d->deleted)
			continue; /* unchanged */
		spec_from_conf(cs, &s);
		rc = ng_svc_add(&s, e, sizeof(e));
		for (unsigned int i = 0; rc == 0 && i < cs->n_vips; i++) {
			struct ng_frontend fe = {.addr = cs->vips[i], .port = cs->port};

			rc = ng_svc_frontend_add(cs->name, &fe, e, sizeof(e));
		}
		if (rc == 0 && cs->node_port) {
			struct ng_frontend fe = {.port = cs->node_port};

			rc = ng_svc_frontend_add(cs->name, &fe, e, sizeof(e));
		}
		for (unsigned int i = 0; rc == 0 && i < cs->n_backends; i++)
			rc = ng_svc_backend_set(cs->name, &cs->backends[i].addr,
					cs->backends[i].port, cs->backends[i].weight, e, sizeof(e));
		if (rc < 0)
			return fail(err, errlen, rc, "%s:%d: %s", c->file, cs->line, e);
	}
	return 0;
}

int
ng_svc_commit(char *err, size_t errlen)
{
	if (ng_svc.n_dirty == 0)
		return 0;
	return ng_ruleset_commit(err, errlen);
}

void
ng_svc_note_cause(uint64_t tsc)
{
	if (ng_svc.n_dirty == 0 || tsc == 0)
		return;
	ng_svc.cause_noted = true;
	if (tsc < ng_svc.first_dirty_tsc)
		ng_svc.first_dirty_tsc = tsc;
}

bool
ng_svc_dirty(void)
{
	return ng_svc.n_dirty > 0;
}

void
ng_svc_poll(void)
{
	if (ng_svc.n_dirty > 0) {
		uint64_t now = rte_get_tsc_cycles(), hz = rte_get_tsc_hz();

		if (now - ng_svc.last_change_tsc >= hz * ng_svc.p.coalesce_us / 1000000 ||
				now - ng_svc.first_dirty_tsc >= hz * ng_svc.p.coalesce_max_us / 1000000) {
			char err[NG_ERRBUF];

			if (ng_ruleset_commit(err, sizeof(err)) < 0)
				NG_LOG(ERR, SVC, "commit failed: %s", err);
		}
	}
	ng_ruleset_reclaim(false);
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
ng_svc_latency_clear(void)
{
	ng_svc.lat_n = 0;
	ng_svc.lat_pos = 0;
}

void
ng_svc_pending(uint64_t *dirty_since_tsc, uint64_t *grace_since_tsc, uint64_t *publish_tsc)
{
	*dirty_since_tsc = ng_svc.n_dirty > 0 ? ng_svc.first_dirty_tsc : 0;
	*grace_since_tsc = ng_ruleset_grace_since();
	*publish_tsc = ng_svc.info.publish_tsc;
}

void
ng_svc_ruleset_info(struct ng_ruleset_info *out)
{
	uint64_t sorted[RTE_DIM(ng_svc.lat_ns)];
	uint32_t n = ng_svc.lat_n;

	*out = ng_svc.info;
	ng_svc_pending(&out->dirty_since_tsc, &out->grace_since_tsc, &out->publish_tsc);
	out->latency_samples = n;
	if (n == 0)
		return;
	memcpy(sorted, ng_svc.lat_ns, n * sizeof(sorted[0]));
	qsort(sorted, n, sizeof(sorted[0]), u64_cmp);
	out->latency_p50_ns = sorted[(n - 1) / 2];
	out->latency_p99_ns = sorted[(uint32_t)((n - 1) * 0.99)];
	out->latency_max_ns = sorted[n - 1];
}

unsigned int
ng_svc_walk(int (*cb)(const struct ng_svc_view *v, void *arg), void *arg)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i < ng_svc.n_svcs; i++) {
		struct svc_d *d = ng_svc.svcs[i];
		struct ng_svc_view v;

		if (d == NULL || d->deleted)
			continue;
		v.spec = &d->spec;
		v.n_frontends = d->n_fes;
		v.frontends = d->fes;
		v.n_backends = d->n_bes;
		v.backends = d->bes;
		n++;
		if (cb(&v, arg) != 0)
			break;
	}
	return n;
}

int
ng_svc_counters(const char *name, struct ng_svc_counters *out)
{
	struct svc_d *d = find(name);

	if (d == NULL || d->deleted)
		return -ENOENT;
	*out = d->past;
	if (d->obj != NULL)
		for (uint32_t w = 0; w < d->obj->n_workers; w++) {
			const struct ng_svc_wstats *ws = &d->obj->wstats[w];

			out->conns += ws->conns;
			out->pkts += ws->pkts;
			out->bytes += ws->bytes;
			out->refused += ws->refused;
			out->no_lport += ws->no_lport;
		}
	return 0;
}

uint64_t
ng_svc_generation(void)
{
	return ng_svc.info.generation;
}
