/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The watcher's object store: the last good copy of every Service and
 * EndpointSlice, grouped by service ("ns/name"), and the diff of what a
 * group translates to against what the control API holds.
 *
 * Objects change the store at once; kstore_sync() later translates the groups
 * they touched and applies the difference through ng_svc_*, a group at a
 * time, for as long as the control loop gives it (a slice): a sync of 50,000
 * groups (the first one, a relist after an outage) spreads over many turns of
 * the loop, which serves the CLI and the probes between them. Each group is
 * applied whole, so every commit holds whole services.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "health.h"
#include "k8s_priv.h"
#include "ng_hash.h"
#include "ng_log.h"
#include "svc.h"

/* The decoders behind the ops: their first argument is the JSON object. */
static int
svc_decode_op(const cJSON *o, void *out, char *err, size_t errlen)
{
	return ng_k8s_service_decode(o, out, err, errlen);
}

static int
slice_decode_op(const cJSON *o, void *out, char *err, size_t errlen)
{
	return ng_k8s_slice_decode(o, out, err, errlen);
}

static int
node_decode_op(const cJSON *o, void *out, char *err, size_t errlen)
{
	return ng_k8s_node_decode(o, out, err, errlen);
}

static void
svc_free_op(void *o)
{
	ng_k8s_service_free(o);
}

static void
slice_free_op(void *o)
{
	ng_k8s_slice_free(o);
}

static void
node_free_op(void *o)
{
	ng_k8s_node_free(o);
}

const struct kres_ops kres_ops[KRES_N] = {
	[KRES_SERVICES] = {sizeof(struct ng_k8s_service), svc_decode_op, svc_free_op},
	/* A slice is decoded into the struct kslice the store keeps (it starts
	 * with the slice): no second allocation and copy when it is stored. */
	[KRES_SLICES] = {sizeof(struct kslice), slice_decode_op, slice_free_op},
	[KRES_NODES] = {sizeof(struct ng_k8s_node_obj), node_decode_op, node_free_op},
};

/* Every object (and struct kslice, whose s comes first) starts with a struct kmeta. */
#define KMETA_CHECK(t) \
	static_assert(offsetof(t, ns) == offsetof(struct kmeta, ns) && \
		offsetof(t, name) == offsetof(struct kmeta, name) && \
		offsetof(t, rv) == offsetof(struct kmeta, rv), #t " starts with ns, name, rv")
KMETA_CHECK(struct ng_k8s_service);
KMETA_CHECK(struct ng_k8s_slice);
KMETA_CHECK(struct ng_k8s_node_obj);
static_assert(offsetof(struct kslice, s) == 0, "struct kslice starts with the slice");

static struct {
	struct kmap groups;            /**< "ns/name" -> struct kgroup */
	struct kmap objs[KRES_N];      /**< "ns/name" -> ng_k8s_service / struct kslice */
	struct kgroup **dirty;
	unsigned int dirty_at, n_dirty, cap_dirty; /**< dirty[dirty_at..n_dirty) wait */
	uint32_t list_gen[KRES_N];     /**< the last list merge's mark */
	uint32_t applied;              /**< nodegw services held */
	uint32_t no_local[2];          /**< Local policy, no endpoint here: internal, external */
	uint64_t apply_errors;
	char last_error[256];
} st;

/* ---- kmap ---- */

static uint64_t
kmap_hash(const char *key)
{
	return ng_hash_bytes(key, strlen(key), 0x6b38736d6170ULL);
}

/* The bucket that holds (or will hold) the keys of hash h. */
static struct kmap_ent **
kmap_slot(const struct kmap *m, uint64_t h)
{
	if (m->old != NULL && (h & m->old_mask) >= m->moved)
		return &m->old[h & m->old_mask];
	return &m->b[h & m->mask];
}

/* Move up to nb old buckets to the new ones; 0 when none is left. */
static int
kmap_move(struct kmap *m, uint32_t nb)
{
	for (; m->old != NULL && nb > 0; nb--) {
		for (struct kmap_ent *e = m->old[m->moved], *nx; e != NULL; e = nx) {
			nx = e->next;
			e->next = m->b[e->hash & m->mask];
			m->b[e->hash & m->mask] = e;
		}
		m->old[m->moved] = NULL;
		if (m->moved++ == m->old_mask) {
			free(m->old);
			m->old = NULL;
			m->old_mask = 0;
			m->moved = 0;
		}
	}
	return m->old != NULL;
}

/* Move old buckets until TSC until_tsc (256 at least); 1: some are left. */
static int
kmap_move_step(struct kmap *m, uint64_t until_tsc)
{
	while (kmap_move(m, 256) != 0)
		if (rte_get_tsc_cycles() >= until_tsc)
			return 1;
	return 0;
}

static struct kmap_ent *
kmap_ent_get(const struct kmap *m, const char *key)
{
	uint64_t h = kmap_hash(key);

	if (m->b == NULL)
		return NULL;
	for (struct kmap_ent *e = *kmap_slot(m, h); e != NULL; e = e->next)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

void *
kmap_get(const struct kmap *m, const char *key)
{
	const struct kmap_ent *e = kmap_ent_get(m, key);

	return e != NULL ? e->val : NULL;
}

/* Twice the buckets; the entries move later, a few buckets per put. */
static int
kmap_grow(struct kmap *m)
{
	uint32_t n = m->b == NULL ? 256 : (m->mask + 1) * 2;
	struct kmap_ent **b;

	/* Growth comes after at least as many puts as there are old buckets,
	 * which move KMAP_MOVE_PER_PUT at a time: none is left here. */
	kmap_move(m, UINT32_MAX);
	b = calloc(n, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	m->old = m->b;
	m->old_mask = m->mask;
	m->moved = 0;
	m->b = b;
	m->mask = n - 1;
	return 0;
}

int
kmap_put(struct kmap *m, const char *key, void *val)
{
	uint64_t h = kmap_hash(key);
	size_t kl = strlen(key) + 1;
	struct kmap_ent *e, **slot;

	e = kmap_ent_get(m, key);
	if (e != NULL) {
		e->val = val;
		return 0;
	}
	if ((m->b == NULL || m->n >= m->mask + 1) && kmap_grow(m) < 0)
		return -ENOMEM;
	kmap_move(m, KMAP_MOVE_PER_PUT);
	e = malloc(sizeof(*e) + kl);
	if (e == NULL)
		return -ENOMEM;
	e->hash = h;
	e->val = val;
	e->mark = 0;
	memcpy(e->key, key, kl);
	slot = kmap_slot(m, h);
	e->next = *slot;
	*slot = e;
	m->n++;
	return 0;
}

/* Moves no bucket, so a walk's callback may delete. */
void *
kmap_del(struct kmap *m, const char *key)
{
	uint64_t h = kmap_hash(key);

	if (m->b == NULL)
		return NULL;
	for (struct kmap_ent **pp = kmap_slot(m, h); *pp != NULL; pp = &(*pp)->next) {
		struct kmap_ent *e = *pp;

		if (e->hash == h && strcmp(e->key, key) == 0) {
			void *v = e->val;

			*pp = e->next;
			free(e);
			m->n--;
			return v;
		}
	}
	return NULL;
}

/* kmap_walk() from bucket *at until TSC until_tsc (64 buckets at least);
 * 1: buckets are left, *at is where to go on (cb must not add to m). The
 * old buckets are moved first, in steps too. */
static int
kmap_walk_step(struct kmap *m, uint32_t *at,
		void (*cb)(const char *key, void *val, void *arg), void *arg, uint64_t until_tsc)
{
	if (kmap_move_step(m, until_tsc) != 0)
		return 1;
	for (uint32_t i = *at; m->b != NULL && i <= m->mask; i++) {
		for (struct kmap_ent *e = m->b[i], *nx; e != NULL; e = nx) {
			nx = e->next; /* cb may delete e */
			cb(e->key, e->val, arg);
		}
		if (((i + 1) & 63) == 0 && i < m->mask && rte_get_tsc_cycles() >= until_tsc) {
			*at = i + 1;
			return 1;
		}
	}
	*at = 0;
	return 0;
}

void
kmap_walk(struct kmap *m, void (*cb)(const char *key, void *val, void *arg), void *arg)
{
	uint32_t at = 0;

	kmap_walk_step(m, &at, cb, arg, UINT64_MAX);
}

void
kmap_free(struct kmap *m)
{
	kmap_move(m, UINT32_MAX);
	for (uint32_t i = 0; m->b != NULL && i <= m->mask; i++)
		for (struct kmap_ent *e = m->b[i], *nx; e != NULL; e = nx) {
			nx = e->next;
			free(e);
		}
	free(m->b);
	memset(m, 0, sizeof(*m));
}

/* ---- groups ---- */

static void
key_of(char *buf, size_t len, const char *ns, const char *name)
{
	snprintf(buf, len, "%s/%s", ns, name);
}

static void
mark(struct kgroup *g)
{
	if (g->dirty)
		return;
	if (st.n_dirty == st.cap_dirty && st.dirty_at > 0) {
		/* Full: drop the synced ones first (once per fill, not per sync turn). */
		st.n_dirty -= st.dirty_at;
		memmove(st.dirty, st.dirty + st.dirty_at, st.n_dirty * sizeof(*st.dirty));
		st.dirty_at = 0;
	}
	if (st.n_dirty == st.cap_dirty) {
		unsigned int cap = st.cap_dirty ? st.cap_dirty * 2 : 256;
		struct kgroup **d = realloc(st.dirty, cap * sizeof(*d));

		if (d == NULL) {
			NG_LOG(ERR, K8S, "out of memory marking %s for sync", g->key);
			return;
		}
		st.dirty = d;
		st.cap_dirty = cap;
	}
	st.dirty[st.n_dirty++] = g;
	g->dirty = true;
}

static struct kgroup *
group_get(const char *ns, const char *name)
{
	char key[NG_K8S_NS_MAX + NG_K8S_NAME_MAX + 1];
	struct kgroup *g;
	size_t kl;

	key_of(key, sizeof(key), ns, name);
	g = kmap_get(&st.groups, key);
	if (g != NULL)
		return g;
	kl = strlen(key) + 1;
	g = calloc(1, sizeof(*g) + kl);
	if (g == NULL)
		return NULL;
	memcpy(g->key, key, kl);
	if (kmap_put(&st.groups, key, g) < 0) {
		free(g);
		return NULL;
	}
	return g;
}

static void
group_unlink_slice(struct kgroup *g, const struct kslice *ks)
{
	for (unsigned int i = 0; i < g->n_slices; i++)
		if (g->slices[i] == ks) {
			g->slices[i] = g->slices[--g->n_slices];
			break;
		}
	mark(g);
}

static int
group_link_slice(struct kgroup *g, struct kslice *ks)
{
	if (g->n_slices == g->cap_slices) {
		unsigned int cap = g->cap_slices ? g->cap_slices * 2 : 2;
		struct kslice **s = realloc(g->slices, cap * sizeof(*s));

		if (s == NULL)
			return -ENOMEM;
		g->slices = s;
		g->cap_slices = cap;
	}
	g->slices[g->n_slices++] = ks;
	ks->g = g;
	mark(g);
	return 0;
}

/* ---- objects ---- */

static void
obj_free(enum kres r, void *obj)
{
	if (obj == NULL)
		return;
	kres_ops[r].free(obj); /* a kslice starts with its slice */
	free(obj);
}

static void
mark_all_cb(const char *key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	mark(val);
}

/*
 * This node's Node object changed (or went): its zone picks topology hints,
 * its taints and deletion say whether load balancers should use it.
 */
static void
node_update(void)
{
	char key[NG_K8S_NS_MAX + NG_K8S_NAME_MAX + 1], why[96] = "";
	const struct ng_k8s_node_obj *n;

	key_of(key, sizeof(key), "", ng_kw.node_name);
	n = kmap_get(&st.objs[KRES_NODES], key);
	if (n != NULL && strcmp(n->zone, ng_kw.zone) != 0) {
		NG_LOG(NOTICE, K8S, "node %s: zone \"%s\" (was \"%s\"): topology hints follow",
			ng_kw.node_name, n->zone, ng_kw.zone);
		snprintf(ng_kw.zone, sizeof(ng_kw.zone), "%s", n->zone);
		kmap_walk(&st.groups, mark_all_cb, NULL);
	}
	if (n != NULL && n->to_be_deleted)
		snprintf(why, sizeof(why), "node %.40s has the taint ToBeDeletedByClusterAutoscaler",
			ng_kw.node_name);
	else if (n != NULL && n->deleting)
		snprintf(why, sizeof(why), "node %.60s is being deleted", ng_kw.node_name);
	ng_health_set_node_eligible(why[0] == '\0', why[0] ? why : NULL);
}

static void
node_upsert(struct ng_k8s_node_obj *n)
{
	char key[NG_K8S_NS_MAX + NG_K8S_NAME_MAX + 1];
	void *old;

	key_of(key, sizeof(key), "", n->name);
	old = kmap_get(&st.objs[KRES_NODES], key);
	if (kmap_put(&st.objs[KRES_NODES], key, n) < 0) {
		NG_LOG(ERR, K8S, "node %s: out of memory", n->name);
		obj_free(KRES_NODES, n);
		return;
	}
	obj_free(KRES_NODES, old);
	node_update();
}

static void
svc_upsert(struct ng_k8s_service *s)
{
	char key[NG_K8S_NS_MAX + NG_K8S_NAME_MAX + 1];
	struct kgroup *g = group_get(s->ns, s->name);
	struct ng_k8s_service *old;

	if (g == NULL) {
		NG_LOG(ERR, K8S, "service %s/%s: out of memory", s->ns, s->name);
		obj_free(KRES_SERVICES, s);
		return;
	}
	key_of(key, sizeof(key), s->ns, s->name);
	old = kmap_get(&st.objs[KRES_SERVICES], key);
	if (kmap_put(&st.objs[KRES_SERVICES], key, s) < 0) {
		NG_LOG(ERR, K8S, "service %s: out of memory", key);
		obj_free(KRES_SERVICES, s);
		return;
	}
	g->svc = s;
	mark(g);
	obj_free(KRES_SERVICES, old);
}

static void
slice_upsert(struct ng_k8s_slice *s)
{
	char key[NG_K8S_NS_MAX + NG_K8S_NAME_MAX + 1];
	struct kslice *old, *ks = (struct kslice *)s; /* decoded into the store's struct */
	struct kgroup *g = NULL;

	key_of(key, sizeof(key), s->ns, s->name);
	if (s->service[0] != '\0' && (g = group_get(s->ns, s->service)) == NULL) {
		NG_LOG(ERR, K8S, "endpointslice %s: out of memory", key);
		obj_free(KRES_SLICES, ks);
		return;
	}
	old = kmap_get(&st.objs[KRES_SLICES], key);
	if (kmap_put(&st.objs[KRES_SLICES], key, ks) < 0) {
		NG_LOG(ERR, K8S, "endpointslice %s: out of memory", key);
		obj_free(KRES_SLICES, ks);
		return;
	}
	if (old != NULL && old->g != NULL)
		group_unlink_slice(old->g, old);
	if (g != NULL && group_link_slice(g, ks) < 0)
		NG_LOG(ERR, K8S, "endpointslice %s: out of memory", key);
	obj_free(KRES_SLICES, old);
}

void
kstore_upsert(enum kres r, void *obj)
{
	if (r == KRES_SERVICES)
		svc_upsert(obj);
	else if (r == KRES_SLICES)
		slice_upsert(obj);
	else
		node_upsert(obj);
}

void
kstore_delete(enum kres r, const char *ns, const char *name)
{
	char key[NG_K8S_NS_MAX + NG_K8S_NAME_MAX + 1];
	void *old;

	key_of(key, sizeof(key), ns, name);
	old = kmap_del(&st.objs[r], key);
	if (old == NULL)
		return;
	if (r == KRES_SERVICES) {
		struct kgroup *g = kmap_get(&st.groups, key);

		if (g != NULL) {
			g->svc = NULL;
			mark(g);
		}
	} else if (r == KRES_SLICES && ((struct kslice *)old)->g != NULL) {
		group_unlink_slice(((struct kslice *)old)->g, old);
	}
	obj_free(r, old);
	if (r == KRES_NODES)
		node_update();
}

struct stale_arg {
	enum kres r;
	uint32_t gen;
	struct kmap *keep;
};

static void
stale_cb(const char *key, void *val, void *arg)
{
	struct stale_arg *a = arg;
	char ns[NG_K8S_NS_MAX + NG_K8S_NAME_MAX + 1], *slash;

	(void)val;
	if (kmap_ent_get(&st.objs[a->r], key)->mark == a->gen || kmap_get(a->keep, key) != NULL)
		return;
	snprintf(ns, sizeof(ns), "%s", key);
	slash = strchr(ns, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	kstore_delete(a->r, ns, slash + 1);
}

/* Merge one object of a list into the store (ownership passes). */
static void
replace_one(enum kres r, struct klist *l, void *obj)
{
	const struct kmeta *m = obj, *cur;
	char key[NG_K8S_NS_MAX + NG_K8S_NAME_MAX + 1];
	struct kmap_ent *e;

	key_of(key, sizeof(key), m->ns, m->name);
	e = kmap_ent_get(&st.objs[r], key);
	cur = e != NULL ? e->val : NULL;
	if (cur != NULL && m->rv[0] != '\0' && strcmp(cur->rv, m->rv) == 0) {
		/* Unchanged since we last saw it. */
		kres_ops[r].free(obj);
		free(obj);
	} else {
		kstore_upsert(r, obj);
		e = kmap_ent_get(&st.objs[r], key);
	}
	/* Returned by this list: the walk at its end keeps it (and keeps the old
	 * copy where the new one could not be stored, as before). */
	if (e != NULL)
		e->mark = l->gen;
}

int
kstore_replace_step(enum kres r, struct klist *l, uint64_t until_tsc)
{
	struct stale_arg a = {.r = r, .keep = &l->keep};

	/* A mark per merge on the store's entries instead of a map of the names
	 * the list returned: that map took an allocation per object, and freeing
	 * 100,000 of them at the list's end held up a turn by 12-44 ms of CPU.
	 * 0 is no merge's. */
	if (l->gen == 0) {
		if (++st.list_gen[r] == 0)
			st.list_gen[r] = 1;
		l->gen = st.list_gen[r];
	}
	a.gen = l->gen;
	while (!l->walking && l->next < l->n) {
		void *obj = l->objs[l->next];

		l->objs[l->next++] = NULL;
		replace_one(r, l, obj);
		/* The clock every 32 objects: a merge of 60,000 took tens of ms. */
		if ((l->next & 31) == 0 && l->next < l->n && rte_get_tsc_cycles() >= until_tsc)
			return 1;
	}
	/* What the list did not return is gone: a walk of the store, in slices
	 * too (nothing adds to it meanwhile: the reflector is not watching). */
	if (!l->walking) {
		l->walking = true;
		l->walk = 0;
	}
	if (kmap_walk_step(&st.objs[r], &l->walk, stale_cb, &a, until_tsc) != 0)
		return 1;
	l->walking = false;
	l->n = 0;
	l->next = 0;
	l->gen = 0;
	kmap_free(&l->keep);
	return 0;
}

void
kstore_replace(enum kres r, struct klist *l)
{
	kstore_replace_step(r, l, UINT64_MAX);
}

int
klist_push(struct klist *l, void *obj)
{
	if (l->n == l->cap) {
		unsigned int cap = l->cap ? l->cap * 2 : 512;
		void **o = realloc(l->objs, cap * sizeof(*o));

		if (o == NULL)
			return -ENOMEM;
		l->objs = o;
		l->cap = cap;
	}
	l->objs[l->n++] = obj;
	return 0;
}

void
klist_keep(enum kres r, struct klist *l, const char *ns, const char *name)
{
	char key[NG_K8S_NS_MAX + NG_K8S_NAME_MAX + 1];

	(void)r;
	key_of(key, sizeof(key), ns, name);
	if (kmap_put(&l->keep, key, (void *)1) < 0)
		NG_LOG(ERR, K8S, "%s: out of memory", key);
}

void
klist_free(enum kres r, struct klist *l)
{
	/* Those before next are the store's now. */
	for (unsigned int i = l->next; i < l->n; i++) {
		kres_ops[r].free(l->objs[i]);
		free(l->objs[i]);
	}
	free(l->objs);
	kmap_free(&l->keep);
	memset(l, 0, sizeof(*l));
}

/* ---- applying a group ---- */

static void
apply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
apply_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st.last_error, sizeof(st.last_error), fmt, ap);
	va_end(ap);
	st.apply_errors++;
	NG_LOG(ERR, K8S, "%s", st.last_error);
}

static const struct ng_k8s_want *
want_find(const struct ng_k8s_xlate *x, const char *name)
{
	for (unsigned int i = 0; i < x->n; i++)
		if (strcmp(x->want[i].spec.name, name) == 0)
			return &x->want[i];
	return NULL;
}

static bool
fe_in(const struct ng_k8s_want *w, const struct ng_frontend *fe)
{
	for (unsigned int i = 0; w != NULL && i < w->n_fe; i++)
		if (w->fe[i].port == fe->port && w->fe[i].addr.family == fe->addr.family &&
				(fe->addr.family == 0 ? w->fe[i].np_family == fe->np_family :
				ng_ip_equal(&w->fe[i].addr, &fe->addr)))
			return true;
	return false;
}

static bool
be_in(const struct ng_k8s_want *w, const struct ng_backend *be)
{
	for (unsigned int i = 0; w != NULL && i < w->n_be; i++)
		if (w->be[i].port == be->port && ng_ip_equal(&w->be[i].addr, &be->addr))
			return true;
	return false;
}

/*
 * Bring nodegw service w (NULL: delete) to want n, given it holds old (NULL:
 * does not exist). Frontends that cannot be added (taken by another service)
 * are logged and left out of what is recorded as applied, so a later change
 * retries them. Returns 1 when something changed.
 */
static int
apply_one(struct kgroup *g, const struct ng_k8s_want *old, struct ng_k8s_want *n)
{
	char err[NG_ERRBUF], fe_txt[96];
	unsigned int k;
	int changed = 0;

	if (n == NULL) {
		if (ng_svc_del(old->spec.name, err, sizeof(err)) < 0)
			apply_error("%s: %s", g->key, err);
		st.applied--;
		return 1;
	}
	if (old != NULL && old->spec.proto != n->spec.proto) {
		ng_svc_del(old->spec.name, NULL, 0);
		st.applied--;
		old = NULL;
	}
	if (old == NULL) {
		if (ng_svc_add(&n->spec, err, sizeof(err)) < 0) {
			apply_error("service %s: %s", g->key, err);
			n->n_fe = 0;
			n->n_be = 0;
			n->spec.name[0] = '\0'; /* not applied */
			return 0;
		}
		st.applied++;
		changed = 1;
	} else if (!ng_svc_spec_equal(&old->spec, &n->spec)) {
		if (ng_svc_update(&n->spec, err, sizeof(err)) < 0)
			apply_error("service %s: %s", g->key, err);
		changed = 1;
	}
	/* Frontends: drop the old ones first so a moved address is free. */
	for (unsigned int i = 0; old != NULL && i < old->n_fe; i++)
		if (!fe_in(n, &old->fe[i])) {
			ng_svc_frontend_del(n->spec.name, &old->fe[i], NULL, 0);
			changed = 1;
		}
	k = 0;
	for (unsigned int i = 0; i < n->n_fe; i++) {
		if (!fe_in(old, &n->fe[i])) {
			if (ng_svc_frontend_add(n->spec.name, &n->fe[i], err, sizeof(err)) < 0) {
				ng_svc_frontend_fmt(&n->fe[i], n->spec.proto, fe_txt, sizeof(fe_txt));
				apply_error("service %s: frontend %s: %s", g->key, fe_txt, err);
				continue;
			}
			changed = 1;
		}
		n->fe[k++] = n->fe[i];
	}
	n->n_fe = k;
	for (unsigned int i = 0; old != NULL && i < old->n_be; i++)
		if (!be_in(n, &old->be[i])) {
			ng_svc_backend_del(n->spec.name, &old->be[i].addr, old->be[i].port, NULL, 0);
			changed = 1;
		}
	k = 0;
	for (unsigned int i = 0; i < n->n_be; i++) {
		if (!be_in(old, &n->be[i])) {
			if (ng_svc_backend_set(n->spec.name, &n->be[i].addr, n->be[i].port,
					n->be[i].weight, err, sizeof(err)) < 0) {
				apply_error("service %s: %s", g->key, err);
				continue;
			}
			changed = 1;
		}
		n->be[k++] = n->be[i];
	}
	n->n_be = k;
	return changed;
}

/* Count (sign 1) or uncount (-1) x's services with Local policy and no endpoint here. */
static void
no_local_count(const struct ng_k8s_xlate *x, int sign)
{
	for (unsigned int i = 0; i < x->n; i++)
		if (x->want[i].spec.empty_drop && x->want[i].spec.name[0] != '\0')
			st.no_local[x->want[i].external] += (uint32_t)sign;
}

/* The group's healthCheckNodePort server follows what it applied. */
static void
hc_sync(struct kgroup *g)
{
	int rc;

	if (g->applied.hc_node_port == 0) {
		if (g->hc_port != 0)
			ng_health_hc_del(g->key);
		g->hc_port = 0;
		return;
	}
	rc = ng_health_hc_set(g->key, g->applied.hc_node_port, g->applied.hc_local_endpoints);
	if (rc < 0)
		apply_error("service %s: healthCheckNodePort %u: %s", g->key,
			g->applied.hc_node_port, strerror(-rc));
	g->hc_port = rc == 0 ? g->applied.hc_node_port : 0;
}

static void
group_free(struct kgroup *g)
{
	ng_k8s_xlate_free(&g->applied);
	free(g->slices);
	free(g);
}

static unsigned int
group_sync(struct kgroup *g, const struct ng_k8s_node *node)
{
	const struct ng_k8s_slice *sl[g->n_slices ? g->n_slices : 1];
	struct ng_k8s_xlate x = {0};
	char err[NG_ERRBUF];
	unsigned int changed = 0;

	g->dirty = false;
	for (unsigned int i = 0; i < g->n_slices; i++)
		sl[i] = &g->slices[i]->s;
	if (g->svc != NULL) {
		if (ng_k8s_translate(g->svc, sl, g->n_slices, node, &x, err, sizeof(err)) < 0) {
			/* Keep what is applied: the last good state. */
			if (!g->error_logged)
				apply_error("service %s: %s; keeping its last good state", g->key, err);
			g->error_logged = true;
			ng_k8s_xlate_free(&x);
			return 0;
		}
		g->error_logged = false;
		if (x.sctp_ports > 0 && !g->sctp_logged)
			NG_LOG(NOTICE, K8S, "service %s: %u SCTP port%s ignored (nodegw serves TCP "
				"and UDP)", g->key, x.sctp_ports, x.sctp_ports == 1 ? "" : "s");
		g->sctp_logged = x.sctp_ports > 0;
		if (g->svc->skip != NULL)
			NG_LOG(DEBUG, K8S, "service %s: skipped (%s)", g->key, g->svc->skip);
	}
	for (unsigned int i = 0; i < g->applied.n; i++)
		if (g->applied.want[i].spec.name[0] != '\0' &&
				want_find(&x, g->applied.want[i].spec.name) == NULL)
			changed += apply_one(g, &g->applied.want[i], NULL);
	for (unsigned int i = 0; i < x.n; i++)
		changed += apply_one(g, want_find(&g->applied, x.want[i].spec.name), &x.want[i]);
	no_local_count(&g->applied, -1);
	no_local_count(&x, 1);
	ng_k8s_xlate_free(&g->applied);
	g->applied = x;
	hc_sync(g);
	if (g->svc == NULL && g->n_slices == 0) {
		kmap_del(&st.groups, g->key);
		group_free(g);
	}
	return changed;
}

unsigned int
kstore_sync(const struct ng_k8s_node *node, uint64_t until_tsc)
{
	unsigned int changed = 0;

	/* The groups left stay where they are: moving them down every turn
	 * copied the whole list of a 100,000-group sync hundreds of times. */
	while (st.dirty_at < st.n_dirty) {
		changed += group_sync(st.dirty[st.dirty_at++], node);
		if (rte_get_tsc_cycles() >= until_tsc)
			break;
	}
	if (st.dirty_at == st.n_dirty)
		st.dirty_at = st.n_dirty = 0;
	return changed;
}

unsigned int
kstore_pending(void)
{
	return st.n_dirty - st.dirty_at;
}

uint32_t
kstore_count(enum kres r)
{
	return st.objs[r].n;
}

uint32_t
kstore_applied(void)
{
	return st.applied;
}

void
kstore_no_local(uint32_t out[2])
{
	out[0] = st.no_local[0];
	out[1] = st.no_local[1];
}

uint64_t
kstore_apply_errors(void)
{
	return st.apply_errors;
}

void
kstore_last_error(char *buf, size_t len)
{
	snprintf(buf, len, "%s", st.last_error);
}

struct ip_walk {
	void (*cb)(const struct ng_ip *ip, uint32_t kinds, void *arg);
	void *arg;
};

static void
ip_walk_cb(const char *key, void *val, void *arg)
{
	const struct ng_k8s_service *s = val;
	const struct ip_walk *w = arg;

	(void)key;
	for (unsigned int i = 0; i < s->n_cluster_ips; i++)
		w->cb(&s->cluster_ips[i], NG_BGP_KIND_CLUSTER, w->arg);
	for (unsigned int i = 0; i < s->n_external_ips; i++)
		w->cb(&s->external_ips[i], NG_BGP_KIND_EXTERNAL, w->arg);
	for (unsigned int i = 0; i < s->n_lb_ips; i++)
		w->cb(&s->lb_ips[i], NG_BGP_KIND_LB, w->arg);
}

void
ng_k8s_ip_walk(void (*cb)(const struct ng_ip *ip, uint32_t kinds, void *arg), void *arg)
{
	struct ip_walk w = {.cb = cb, .arg = arg};

	kmap_walk(&st.objs[KRES_SERVICES], ip_walk_cb, &w);
}

int
kstore_init(void)
{
	memset(&st, 0, sizeof(st));
	return 0;
}

static void
free_obj_cb(const char *key, void *val, void *arg)
{
	(void)key;
	obj_free(*(enum kres *)arg, val);
}

static void
free_group_cb(const char *key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	group_free(val);
}

void
kstore_fini(void)
{
	for (enum kres r = 0; r < KRES_N; r++) {
		kmap_walk(&st.objs[r], free_obj_cb, &r);
		kmap_free(&st.objs[r]);
	}
	kmap_walk(&st.groups, free_group_cb, NULL);
	kmap_free(&st.groups);
	free(st.dirty);
	memset(&st, 0, sizeof(st));
}
