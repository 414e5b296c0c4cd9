/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Services from the config file (control core): bring the services of origin
 * "local" to what a config says, through the public service API only (the
 * records stay svc.c's). A service the config has differently is deleted and
 * added again whole, so a reload never leaves a half-applied service.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ng_err.h"
#include "svc.h"

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

static bool
has_frontend(const struct ng_svc_view *v, const struct ng_frontend *fe)
{
	for (unsigned int j = 0; j < v->n_frontends; j++)
		if (ng_svc_frontend_equal(&v->frontends[j], fe))
			return true;
	return false;
}

static bool
has_backend(const struct ng_svc_view *v, const struct ng_conf_backend *b)
{
	for (unsigned int j = 0; j < v->n_backends; j++)
		if (v->backends[j].port == b->port && v->backends[j].weight == b->weight &&
				ng_ip_equal(&v->backends[j].addr, &b->addr))
			return true;
	return false;
}

/* Does the live service v already equal the config's cs? */
static bool
same_as_conf(const struct ng_svc_view *v, const struct ng_conf_service *cs)
{
	struct ng_svc_spec s;
	unsigned int n_fe = cs->n_vips + (cs->node_port ? 1 : 0);

	spec_from_conf(cs, &s);
	if (!ng_svc_spec_equal(v->spec, &s) || v->n_frontends != n_fe ||
			v->n_backends != cs->n_backends)
		return false;
	for (unsigned int i = 0; i < cs->n_vips; i++) {
		struct ng_frontend fe = {.addr = cs->vips[i], .port = cs->port};

		if (!has_frontend(v, &fe))
			return false;
	}
	for (unsigned int i = 0; i < cs->n_backends; i++)
		if (!has_backend(v, &cs->backends[i]))
			return false;
	if (cs->node_port) {
		struct ng_frontend fe = {.port = cs->node_port,
			.np_family = ng_conf_svc_family(cs)};

		if (!has_frontend(v, &fe))
			return false;
	}
	return true;
}

static int
conf_name_cmp(const void *a, const void *b)
{
	const struct ng_conf_service *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* The service named name in sorted[n] (sorted by name), or NULL. */
static const struct ng_conf_service *
conf_find(const struct ng_conf_service **sorted, unsigned int n, const char *name)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		int c = strcmp(sorted[mid]->name, name);

		if (c == 0)
			return sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The names of the local services to drop, collected during the walk and
 * deleted after it (a delete during the walk could commit). */
struct drop_walk {
	const struct ng_conf_service **sorted;
	unsigned int n_sorted;
	char (*names)[NG_SVC_NAME_MAX];
	unsigned int n, cap;
	int rc;
};

static int
drop_cb(const struct ng_svc_view *v, void *arg)
{
	struct drop_walk *w = arg;
	const struct ng_conf_service *cs;

	if (v->spec->origin != NG_SVC_ORIGIN_LOCAL)
		return 0;
	cs = conf_find(w->sorted, w->n_sorted, v->spec->name);
	if (cs != NULL && same_as_conf(v, cs))
		return 0;
	if (w->n == w->cap) {
		unsigned int cap = w->cap ? w->cap * 2 : 64;
		void *p = realloc(w->names, cap * sizeof(*w->names));

		if (p == NULL) {
			w->rc = -ENOMEM;
			return 1;
		}
		w->names = p;
		w->cap = cap;
	}
	snprintf(w->names[w->n++], NG_SVC_NAME_MAX, "%s", v->spec->name);
	return 0;
}

/* Delete the local services that c no longer has, or has differently. */
static int
drop_changed(const struct ng_conf *c)
{
	struct drop_walk w = {.n_sorted = c->n_services};

	w.sorted = calloc(c->n_services + 1, sizeof(*w.sorted));
	if (w.sorted == NULL)
		return -ENOMEM;
	for (unsigned int j = 0; j < c->n_services; j++)
		w.sorted[j] = &c->services[j];
	qsort(w.sorted, c->n_services, sizeof(*w.sorted), conf_name_cmp);
	ng_svc_walk(drop_cb, &w);
	for (unsigned int i = 0; w.rc == 0 && i < w.n; i++)
		ng_svc_del(w.names[i], NULL, 0);
	free(w.names);
	free(w.sorted);
	return w.rc;
}

/* Add the config's service cs with its frontends and backends. */
static int
add_from_conf(const struct ng_conf_service *cs, char *err, size_t errlen)
{
	struct ng_svc_spec s;
	int rc;

	spec_from_conf(cs, &s);
	rc = ng_svc_add(&s, err, errlen);
	for (unsigned int i = 0; rc == 0 && i < cs->n_vips; i++) {
		struct ng_frontend fe = {.addr = cs->vips[i], .port = cs->port};

		rc = ng_svc_frontend_add(cs->name, &fe, err, errlen);
	}
	if (rc == 0 && cs->node_port) {
		struct ng_frontend fe = {.port = cs->node_port,
			.np_family = ng_conf_svc_family(cs)};

		rc = ng_svc_frontend_add(cs->name, &fe, err, errlen);
	}
	for (unsigned int i = 0; rc == 0 && i < cs->n_backends; i++)
		rc = ng_svc_backend_set(cs->name, &cs->backends[i].addr,
				cs->backends[i].port, cs->backends[i].weight, err, errlen);
	return rc;
}

int
ng_svc_apply_conf(const struct ng_conf *c, char *err, size_t errlen)
{
	char e[NG_ERRBUF];
	int rc;

	/* Services the config no longer has, or has differently, go first so their
	 * frontends are free for whoever takes them over. */
	if (drop_changed(c) < 0)
		return ng_err(err, errlen, -ENOMEM, "%s: out of memory", c->file);
	for (unsigned int j = 0; j < c->n_services; j++) {
		const struct ng_conf_service *cs = &c->services[j];
		struct ng_svc_view v;

		if (ng_svc_get(cs->name, &v) == 0) {
			if (v.spec->origin != NG_SVC_ORIGIN_LOCAL)
				return ng_err(err, errlen, -EEXIST, "%s:%d: service \"%s\": the "
						"name is taken by a Kubernetes service", c->file,
						cs->line, cs->name);
			continue; /* unchanged */
		}
		rc = add_from_conf(cs, e, sizeof(e));
		if (rc < 0)
			return ng_err(err, errlen, rc, "%s:%d: %s", c->file, cs->line, e);
	}
	return 0;
}
