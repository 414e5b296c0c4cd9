/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which prefixes to announce, and why: a pure function of the services, the
 * kinds Kubernetes gives their addresses, the policy and the drain state.
 * Also the small address map it and the control code use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "bgp_core.h"
#include "ng_hash.h"

static const char *const why_ids[] = {
#define NG_X(id, js, text) js,
	NG_BGP_WHYS(NG_X)
#undef NG_X
};

static const char *const why_texts[] = {
#define NG_X(id, js, text) text,
	NG_BGP_WHYS(NG_X)
#undef NG_X
};

const char *
ng_bgp_why_id(enum ng_bgp_why w)
{
	return (unsigned int)w < NG_BGP_WHY_MAX ? why_ids[w] : "?";
}

const char *
ng_bgp_why_text(enum ng_bgp_why w)
{
	return (unsigned int)w < NG_BGP_WHY_MAX ? why_texts[w] : "?";
}

/* ---- the address map ---- */

static uint32_t
ip_hash(const struct ng_ip *ip)
{
	return (uint32_t)ng_hash_bytes(ip->family == AF_INET ? (const void *)&ip->v4 :
			(const void *)ip->v6, ip->family == AF_INET ? 4 : 16, ip->family);
}

static struct ng_bgp_ipmap_ent *
ipmap_slot(struct ng_bgp_ipmap_ent *e, uint32_t mask, const struct ng_ip *ip)
{
	for (uint32_t i = ip_hash(ip) & mask;; i = (i + 1) & mask)
		if (!e[i].used || ng_ip_equal(&e[i].ip, ip))
			return &e[i];
}

uint32_t
ng_bgp_ipmap_get(const struct ng_bgp_ipmap *m, const struct ng_ip *ip)
{
	const struct ng_bgp_ipmap_ent *s;

	if (m->e == NULL)
		return 0;
	s = ipmap_slot(m->e, m->mask, ip);
	return s->used ? s->val : 0;
}

static int
ipmap_grow(struct ng_bgp_ipmap *m)
{
	uint32_t cap = m->e == NULL ? 64 : (m->mask + 1) * 2;
	struct ng_bgp_ipmap_ent *e = calloc(cap, sizeof(*e));

	if (e == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; m->e != NULL && i <= m->mask; i++)
		if (m->e[i].used)
			*ipmap_slot(e, cap - 1, &m->e[i].ip) = m->e[i];
	free(m->e);
	m->e = e;
	m->mask = cap - 1;
	return 0;
}

int
ng_bgp_ipmap_reserve(struct ng_bgp_ipmap *m, uint32_t n)
{
	while (m->e == NULL || (uint64_t)n * 2 > (uint64_t)m->mask + 1)
		if (ipmap_grow(m) < 0)
			return -ENOMEM;
	return 0;
}

int
ng_bgp_ipmap_or(struct ng_bgp_ipmap *m, const struct ng_ip *ip, uint32_t bits)
{
	struct ng_bgp_ipmap_ent *s;

	/* At most half full, so a probe always ends. */
	if ((m->e == NULL || (m->n + 1) * 2 > m->mask + 1) && ipmap_grow(m) < 0)
		return -ENOMEM;
	s = ipmap_slot(m->e, m->mask, ip);
	if (!s->used) {
		s->used = 1;
		s->ip = *ip;
		s->val = 0;
		m->n++;
	}
	s->val |= bits;
	return 0;
}

void
ng_bgp_ipmap_clear(struct ng_bgp_ipmap *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* ---- the decision ---- */

int
ng_bgp_prefix_cmp(const struct ng_prefix *a, const struct ng_prefix *b)
{
	int c;

	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	if (a->addr.family == AF_INET) {
		uint32_t x = rte_be_to_cpu_32(a->addr.v4), y = rte_be_to_cpu_32(b->addr.v4);

		if (x != y)
			return x < y ? -1 : 1;
		return (a->len > b->len) - (a->len < b->len);
	}
	c = memcmp(a->addr.v6, b->addr.v6, 16);
	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

static int
vip_cmp(const void *x, const void *y)
{
	return ng_bgp_prefix_cmp(&((const struct ng_bgp_vip *)x)->pfx,
			&((const struct ng_bgp_vip *)y)->pfx);
}

/* A service's state: NG_BGP_WHY_USABLE or why not; *usable gets the count. */
static enum ng_bgp_why
svc_state(const struct ng_svc_view *v, uint32_t *usable)
{
	*usable = 0;
	for (unsigned int i = 0; i < v->n_backends; i++)
		if (v->backends[i].weight > 0)
			(*usable)++;
	if (*usable > 0)
		return NG_BGP_WHY_USABLE;
	if (v->spec->empty_drop)
		return NG_BGP_WHY_LOCAL_ELSEWHERE;
	return v->n_backends > 0 ? NG_BGP_WHY_WEIGHT_ZERO : NG_BGP_WHY_NO_BACKEND;
}

/* Of two reasons not to announce, the one that tells the operator more. */
static int
why_rank(enum ng_bgp_why w)
{
	switch (w) {
	case NG_BGP_WHY_LOCAL_ELSEWHERE:
		return 3;
	case NG_BGP_WHY_WEIGHT_ZERO:
		return 2;
	case NG_BGP_WHY_NO_BACKEND:
		return 1;
	default:
		return 0;
	}
}

static uint32_t
svc_kind(const struct ng_svc_view *v, const struct ng_ip *ip, ng_bgp_kind_fn kind, void *arg)
{
	size_t n = strlen(v->spec->name);
	uint32_t k;

	if (v->spec->origin != NG_SVC_ORIGIN_K8S)
		return NG_BGP_KIND_CONFIG;
	k = kind != NULL ? kind(ip, arg) : 0;
	if (k != 0)
		return k;
	/* Not in the store (yet): what the translation's name says. */
	if (n > 3 && strcmp(v->spec->name + n - 3, "/lb") == 0)
		return NG_BGP_KIND_LB;
	return n > 4 && strcmp(v->spec->name + n - 4, "/ext") == 0 ? NG_BGP_KIND_EXTERNAL :
			NG_BGP_KIND_CLUSTER;
}

/* Count what one service brings to its VIP's entry. */
static void
vip_note(struct ng_bgp_vip *e, const struct ng_svc_view *v, uint32_t kind, enum ng_bgp_why st,
		uint32_t usable)
{
	bool better;

	e->kind |= kind;
	e->n_svcs++;
	if (st == NG_BGP_WHY_USABLE)
		e->n_usable++;
	/* The first usable service names the VIP; until there is one, the
	 * not-usable service with the most telling reason. */
	if (st == NG_BGP_WHY_USABLE)
		better = e->n_usable == 1;
	else
		better = e->n_usable == 0 && (e->svc == NULL || why_rank(st) > why_rank(e->why));
	if (!better)
		return;
	e->why = st;
	e->svc = v->spec->name; /* the view's, until names_copy() */
	e->backends = v->n_backends;
	e->usable_backends = usable;
}

/* Pass 1: one entry per VIP address, counting its services. */
static int
collect(const struct ng_svc_view *views, unsigned int n_views, ng_bgp_kind_fn kind,
		void *kind_arg, struct ng_bgp_ipmap *idx, struct ng_bgp_vip **out,
		unsigned int *n_out)
{
	unsigned int cap = 0, n = 0;
	struct ng_bgp_vip *v;

	for (unsigned int i = 0; i < n_views; i++)
		cap += views[i].n_frontends;
	v = calloc(cap + 1, sizeof(*v));
	if (v == NULL || ng_bgp_ipmap_reserve(idx, cap) < 0) {
		free(v);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n_views; i++) {
		const struct ng_svc_view *sv = &views[i];
		uint32_t usable;
		enum ng_bgp_why st = svc_state(sv, &usable);

		for (unsigned int f = 0; f < sv->n_frontends; f++) {
			const struct ng_ip *ip = &sv->frontends[f].addr;
			uint32_t slot = ng_bgp_ipmap_get(idx, ip);
			bool seen = false;

			if (ip->family == 0)
				continue; /* a NodePort: the gateway's own addresses */
			/* One service with the address on two ports counts once. */
			for (unsigned int g = 0; g < f && !seen; g++)
				seen = ng_ip_equal(&sv->frontends[g].addr, ip);
			if (seen)
				continue;
			if (slot == 0) {
				if (ng_bgp_ipmap_or(idx, ip, n + 1) < 0) {
					free(v);
					return -ENOMEM;
				}
				slot = ++n;
				v[slot - 1].pfx.addr = *ip;
				v[slot - 1].pfx.len = ip->family == AF_INET ? 32 : 128;
			}
			vip_note(&v[slot - 1], sv, svc_kind(sv, ip, kind, kind_arg), st, usable);
		}
	}
	*out = v;
	*n_out = n;
	return 0;
}

/* The names the entries point at (the views') into one allocation of the table's. */
static int
names_copy(struct ng_bgp_table *t)
{
	size_t len = 1, off = 1;

	for (unsigned int i = 0; i < t->n; i++)
		if (t->v[i].svc != NULL)
			len += strlen(t->v[i].svc) + 1;
	t->names = malloc(len);
	if (t->names == NULL)
		return -ENOMEM;
	t->names[0] = '\0';
	for (unsigned int i = 0; i < t->n; i++) {
		const char *src = t->v[i].svc;

		if (src == NULL) {
			t->v[i].svc = t->names;
			continue;
		}
		t->v[i].svc = memcpy(t->names + off, src, strlen(src) + 1);
		off += strlen(src) + 1;
	}
	return 0;
}

static enum ng_bgp_why
drain_why(enum ng_bgp_drain d)
{
	return d == NG_BGP_DRAIN_STOP ? NG_BGP_WHY_STOPPING : NG_BGP_WHY_DRAINED;
}

/* Pass 2: keep the VIPs to list, decide each, add the aggregates. */
static int
finish(const struct ng_bgp_policy *pol, enum ng_bgp_drain drain, struct ng_bgp_vip *v,
		unsigned int n, struct ng_bgp_table *out)
{
	unsigned int k = 0;
	struct ng_bgp_vip *agg = calloc(pol->n_cidrs + 1, sizeof(*agg)), *all;

	if (agg == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		struct ng_bgp_vip *e = &v[i];
		bool eligible = (e->kind & pol->announce) != 0;

		for (unsigned int c = 0; c < pol->n_cidrs; c++)
			if (ng_prefix_contains(&pol->cidrs[c], &e->pfx.addr)) {
				agg[c].n_svcs++;
				agg[c].n_usable += e->n_usable > 0;
			}
		if (e->kind & NG_BGP_KIND_CLUSTER)
			out->cluster_ips++;
		if ((e->kind & ~(uint32_t)NG_BGP_KIND_CLUSTER) == 0)
			continue; /* a clusterIP alone: only aggregates announce it */
		if (!eligible)
			e->why = NG_BGP_WHY_KIND_OFF;
		else if (drain != NG_BGP_DRAIN_NONE)
			e->why = drain_why(drain);
		e->announce = e->why == NG_BGP_WHY_USABLE;
		v[k++] = *e;
	}
	for (unsigned int c = 0; c < pol->n_cidrs; c++) {
		agg[c].pfx = pol->cidrs[c];
		agg[c].aggregate = true;
		agg[c].why = drain != NG_BGP_DRAIN_NONE ? drain_why(drain) :
				agg[c].n_usable > 0 ? NG_BGP_WHY_USABLE : NG_BGP_WHY_NO_BACKEND;
		agg[c].announce = agg[c].why == NG_BGP_WHY_USABLE;
	}
	all = realloc(v, (k + pol->n_cidrs + 1) * sizeof(*v));
	if (all == NULL) {
		free(agg);
		return -ENOMEM;
	}
	memcpy(all + k, agg, pol->n_cidrs * sizeof(*agg));
	free(agg);
	out->v = all;
	out->n = k + pol->n_cidrs;
	if (names_copy(out) < 0)
		return -ENOMEM; /* the caller frees out->v */
	qsort(out->v, out->n, sizeof(*out->v), vip_cmp);
	for (unsigned int i = 0; i < out->n; i++)
		out->n_announce += out->v[i].announce;
	return 0;
}

int
ng_bgp_decide(const struct ng_bgp_policy *pol, const struct ng_svc_view *views,
		unsigned int n_views, ng_bgp_kind_fn kind, void *kind_arg,
		enum ng_bgp_drain drain, struct ng_bgp_table *out)
{
	struct ng_bgp_ipmap idx = {0};
	struct ng_bgp_vip *v = NULL;
	unsigned int n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = collect(views, n_views, kind, kind_arg, &idx, &v, &n);
	ng_bgp_ipmap_clear(&idx);
	if (rc == 0) {
		rc = finish(pol, drain, v, n, out);
		if (rc < 0 && out->v == NULL)
			free(v);
	}
	if (rc < 0)
		ng_bgp_table_free(out);
	return rc;
}

void
ng_bgp_table_free(struct ng_bgp_table *t)
{
	free(t->v);
	free(t->names);
	memset(t, 0, sizeof(*t));
}

const struct ng_bgp_vip *
ng_bgp_table_find(const struct ng_bgp_table *t, const struct ng_prefix *p)
{
	struct ng_bgp_vip key = {.pfx = *p};

	if (t->n == 0)
		return NULL;
	return bsearch(&key, t->v, t->n, sizeof(*t->v), vip_cmp);
}

bool
ng_bgp_table_same_routes(const struct ng_bgp_table *a, const struct ng_bgp_table *b)
{
	unsigned int i = 0, j = 0;

	if (a->n_announce != b->n_announce)
		return false;
	for (;;) {
		while (i < a->n && !a->v[i].announce)
			i++;
		while (j < b->n && !b->v[j].announce)
			j++;
		if (i == a->n || j == b->n)
			return i == a->n && j == b->n;
		if (ng_bgp_prefix_cmp(&a->v[i].pfx, &b->v[j].pfx) != 0)
			return false;
		i++;
		j++;
	}
}
