/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ruleset compiler (control core).
 *
 * ng_rs_compile() builds ruleset N+1 from ruleset N and the services that
 * changed: the frontend index shares N's chunks and copies only those the
 * changed keys fall in (fe_index.c), and only the changed services get new
 * compiled objects. It reads what it is given and returns the new
 * ruleset with what it no longer holds; publishing it and freeing the old one
 * after a grace period is publish.c's job, and the service records are svc.c's.
 */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "fe_index_priv.h"
#include "slab_priv.h"
#include "svc_priv.h"

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

/* ---- the ruleset and its frontend index (fe_index.c) ---- */

void
ng_rs_free(struct ng_ruleset *rs)
{
	if (rs == NULL)
		return;
	ng_fe_free(rs->fe);
	rte_free(rs);
}

uint64_t
ng_rs_retire(struct ng_ruleset *rs, struct ng_fe_chunk **chunks, uint32_t n)
{
	uint64_t bytes = sizeof(*rs) + ng_fe_bytes(rs->fe) -
			(uint64_t)(rs->fe->mask + 1 - n) * sizeof(struct ng_fe_chunk);

	ng_fe_retire(rs->fe, chunks, n);
	rte_free(rs);
	return bytes;
}

uint64_t
ng_rs_bytes(const struct ng_ruleset *rs)
{
	return rs == NULL ? 0 : sizeof(*rs) + ng_fe_bytes(rs->fe);
}

uint64_t
ng_rs_new_bytes(const struct ng_ruleset *rs)
{
	return rs == NULL ? 0 : sizeof(*rs) + ng_fe_new_bytes(rs->fe);
}

/* ---- service objects ---- */

/*
 * Service objects come from pools of slabs by size class (512-byte steps up
 * to 64 KiB; bigger ones, services of hundreds of backends, from the DPDK
 * heap). The first sync compiles tens of thousands of objects of a few sizes
 * (3.5 KiB for 10 backends and one worker): one rte_zmalloc() each, with the
 * first touch of its pages, was 13% of the control core's CPU at 20,000
 * Services. A changed service's new object takes the place its old one left
 * in the same class.
 */
#define OBJ_CLASS_STEP 512
#define OBJ_CLASSES 128
#define OBJ_SLAB_BYTES (256 * 1024)

static struct ng_slab obj_pool[OBJ_CLASSES];

/* The pool for size bytes (rounded up to its class), or NULL: the heap. */
static struct ng_slab *
obj_class(size_t size)
{
	size_t c = (size + OBJ_CLASS_STEP - 1) / OBJ_CLASS_STEP;
	struct ng_slab *s;

	if (c == 0 || c > OBJ_CLASSES)
		return NULL;
	s = &obj_pool[c - 1];
	if (s->obj_size == 0)
		ng_slab_init(s, "ng_svc_obj", c * OBJ_CLASS_STEP,
				OBJ_SLAB_BYTES / (c * OBJ_CLASS_STEP));
	return s;
}

void
ng_rs_obj_free(struct ng_svc_obj *o)
{
	struct ng_slab *s;

	if (o == NULL)
		return;
	s = obj_class(o->bytes);
	if (s != NULL)
		ng_slab_put(s, o);
	else
		rte_free(o);
}

static int
backend_cmp(const void *a, const void *b)
{
	const struct ng_backend *x = a, *y = b;
	int c;

	if (x->addr.family != y->addr.family)
		return x->addr.family - y->addr.family;
	c = x->addr.family == AF_INET ? memcmp(&x->addr.v4, &y->addr.v4, 4) :
			memcmp(x->addr.v6, y->addr.v6, 16);
	if (c != 0)
		return c;
	return (int)x->port - (int)y->port;
}

/* Smooth weighted round robin: a sequence whose prefix shares follow the weights. */
static uint32_t
wrr_sequence(const struct ng_backend *b, uint32_t n, uint16_t *seq, uint32_t len)
{
	int64_t total = 0, *c;

	for (uint32_t i = 0; i < n; i++)
		total += b[i].weight;
	if (total == 0)
		return 0;
	c = calloc(n, sizeof(*c));
	if (c == NULL)
		return 0;
	for (uint32_t s = 0; s < len; s++) {
		uint32_t best = 0;

		for (uint32_t i = 0; i < n; i++) {
			c[i] += b[i].weight;
			if (c[i] > c[best])
				best = i;
		}
		c[best] -= total;
		seq[s] = (uint16_t)best;
	}
	free(c);
	return len;
}

static uint32_t
gcd(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static uint32_t
table_len(const struct ng_svc_spec *s, const struct ng_backend *b, uint32_t n)
{
	uint64_t sum = 0;
	uint32_t g = 0;

	if (s->scheduler == NG_SCHED_MAGLEV)
		return ng_maglev_size(n);
	for (uint32_t i = 0; i < n; i++) {
		sum += b[i].weight;
		g = gcd(g, b[i].weight);
	}
	if (sum == 0)
		return 1;
	sum /= g;
	/* Bound the work (length x backends) and the memory. */
	if (sum > 65536)
		sum = 65536;
	if (sum * n > (1u << 22))
		sum = RTE_MAX((uint64_t)n, (1u << 22) / n);
	return (uint32_t)sum;
}

/* The parts of an object the compiler writes and workers only read. */
struct obj_rw {
	struct ng_svc_backend *be;
	void *table;          /**< table_size entries of 1 or 2 bytes */
	struct ng_svc_src_range *src;
};

/* Bytes of a table of m entries for a service of n backends: 1-byte entries
 * and one byte of padding (ng_svc_entry()'s 16-bit load of the last one), or
 * 2-byte entries. */
static size_t
table_bytes(uint32_t n, uint32_t m)
{
	return n <= NG_SVC_TABLE8_MAX_BACKENDS ? (size_t)m + 1 : (size_t)m * sizeof(uint16_t);
}

/* One allocation: the object, backends, table, frontend keys, source ranges, counters. */
static struct ng_svc_obj *
obj_alloc(uint32_t n_be, uint32_t m, uint32_t n_fe, uint32_t n_src, uint32_t nw,
		struct obj_rw *rw)
{
	size_t off_be, off_tab, off_fe, off_src, off_ws, off_bs, size, tab = table_bytes(n_be, m);
	struct ng_slab *pool;
	struct ng_svc_obj *o;
	uint8_t *base;

	off_be = RTE_ALIGN(sizeof(*o), 16);
	off_tab = off_be + sizeof(struct ng_svc_backend) * n_be;
	off_fe = RTE_ALIGN(off_tab + tab, 16);
	off_src = RTE_ALIGN(off_fe + sizeof(struct ng_fe_key) * n_fe, 16);
	off_ws = RTE_ALIGN(off_src + sizeof(struct ng_svc_src_range) * n_src,
			RTE_CACHE_LINE_SIZE);
	off_bs = off_ws + sizeof(struct ng_svc_wstats) * nw;
	size = off_bs + sizeof(struct ng_svc_bstats) * nw * RTE_MAX(n_be, 1u);
	pool = obj_class(size);
	if (pool != NULL) {
		size = pool->obj_size;
		base = ng_slab_get(pool);
		if (base == NULL)
			return NULL;
		/* Not the table: obj_backends() writes all of it (the fill's
		 * memset or its narrowed copy, the WRR sequence, or zeros), so it
		 * is written once. */
		memset(base, 0, off_tab);
		memset(base + off_tab + tab, 0, size - off_tab - tab);
	} else {
		base = rte_zmalloc("ng_svc_obj", size, RTE_CACHE_LINE_SIZE);
		if (base == NULL)
			return NULL;
	}
	o = (struct ng_svc_obj *)base;
	rw->be = (struct ng_svc_backend *)(base + off_be);
	rw->table = base + off_tab;
	rw->src = (struct ng_svc_src_range *)(base + off_src);
	o->backends = rw->be;
	o->src_ranges = rw->src;
	o->table = rw->table;
	o->fe = (struct ng_fe_key *)(base + off_fe);
	o->wstats = (struct ng_svc_wstats *)(base + off_ws);
	o->bstats = (struct ng_svc_bstats *)(base + off_bs);
	o->bytes = size;
	o->n_workers = nw;
	o->table_size = m;
	o->table_shift = n_be <= NG_SVC_TABLE8_MAX_BACKENDS ? 0 : 1;
	o->table_mask = n_be <= NG_SVC_TABLE8_MAX_BACKENDS ? UINT8_MAX : UINT16_MAX;
	return o;
}

static void
obj_options(const struct ng_rs_env *env, const struct ng_svc_spec *sp, struct ng_svc_obj *o)
{
	uint64_t hz = rte_get_tsc_hz();

	o->proto = sp->proto;
	o->sched = (uint8_t)sp->scheduler;
	o->mode = (uint8_t)sp->mode;
	o->affinity = sp->affinity;
	o->empty_drop = sp->empty_drop;
	o->affinity_timeout_s = sp->affinity_timeout ? sp->affinity_timeout :
			NG_AFFINITY_TIMEOUT_DEFAULT;
	o->affinity_tsc = (uint64_t)o->affinity_timeout_s * hz;
	snprintf(o->name, sizeof(o->name), "%s", sp->name);
	for (unsigned int s = 0; s < NG_CT_TO_N; s++) {
		uint32_t sec = ng_ct_timeout_of(&sp->timeouts, s);

		if (sec == 0)
			sec = ng_ct_timeout_of(&env->timeouts, s);
		o->to_tsc[s] = (uint64_t)sec * hz;
	}
	o->to_tsc[NG_CT_AFFINITY] = o->affinity_tsc;
}

/* The lb stage tests src_check on every new connection: keep it on the line
 * (objects are cache-line aligned) that the new-connection path reads anyway. */
static_assert(offsetof(struct ng_svc_obj, src_check) < RTE_CACHE_LINE_SIZE,
		"src_check off the service object's first cache line");

/* The service's source ranges, in the data path's form (masked networks). */
static void
obj_src_ranges(const struct ng_svc_spec *sp, struct ng_svc_obj *o, const struct obj_rw *rw)
{
	for (unsigned int i = 0; i < sp->n_src_ranges; i++) {
		struct ng_prefix p = ng_prefix_masked(&sp->src_ranges[i]);
		struct ng_svc_src_range *r = &rw->src[i];

		r->family = p.addr.family;
		r->len = p.len;
		if (p.addr.family == AF_INET)
			r->addr.v4 = p.addr.v4;
		else
			memcpy(r->addr.v6, p.addr.v6, 16);
	}
	o->n_src_ranges = sp->n_src_ranges;
	o->src_check = sp->n_src_ranges > 0;
}

/* A service's family: its VIPs', else its NodePort's (svc.c resolves it),
 * else its backends', else IPv4. NodePorts answer on the gateway addresses of
 * that family. */
static uint8_t
view_family(const struct ng_svc_view *v)
{
	for (unsigned int i = 0; i < v->n_frontends; i++)
		if (v->frontends[i].addr.family != 0 || v->frontends[i].np_family != 0)
			return v->frontends[i].addr.family != 0 ? v->frontends[i].addr.family :
					v->frontends[i].np_family;
	return v->n_backends > 0 ? v->backends[0].addr.family : AF_INET;
}

/* The addresses a NodePort answers on. */
static const struct ng_ip *
nodeport_addrs(const struct ng_rs_env *env, unsigned int *n)
{
	if (env->nodeport_addrs == NULL) {
		*n = env->n_node_addrs;
		return env->node_addrs;
	}
	*n = env->n_nodeport_addrs;
	return env->nodeport_addrs;
}

/* a into the data path's 16 bytes: an IPv4 address in the first 4, the rest 0. */
static void
addr16(union ng_addr16 *d, const struct ng_ip *a)
{
	memset(d, 0, sizeof(*d));
	if (a->family == AF_INET)
		d->v4 = a->v4;
	else
		memcpy(d->v6, a->v6, sizeof(d->v6));
}

/*
 * A backend's FullNAT sources: the pool of the port its route leaves by (its
 * entries of the backend's family), or the route's source alone, or (without
 * a route) the first gateway address of the backend's family.
 */
static void
backend_snat(const struct ng_rs_env *env, const struct ng_ip *addr, struct ng_svc_backend *be)
{
	const struct ng_ip *src = NULL;
	struct ng_route_info ri;

	be->snat_pool = &be->snat;
	be->n_snat = 1;
	if (env->fib != NULL && ng_fib_lookup(env->fib, addr, &ri) == 0 &&
			ri.src.family == addr->family) {
		src = &ri.src;
		for (unsigned int p = 0; p < env->n_snat; p++)
			if (env->snat[p].port_id == ri.port && env->snat[p].family == addr->family &&
					env->snat[p].n > 0) {
				be->snat_pool = env->snat[p].addrs;
				be->n_snat = env->snat[p].n;
				be->snat = env->snat[p].addrs[0];
				return;
			}
	}
	for (unsigned int a = 0; src == NULL && a < env->n_node_addrs; a++)
		if (env->node_addrs[a].family == addr->family)
			src = &env->node_addrs[a];
	if (src != NULL)
		addr16(&be->snat, src);
}

/*
 * Each worker's FullNAT source cursor toward each backend starts at a random
 * (port, address): rte_rand() is seeded at every start, so a restarted
 * gateway (or a service compiled again) does not hand out the source ports
 * it handed out last time, in the same order, to a backend that may still
 * hold them in TIME_WAIT (a SYN there is dropped by PAWS, or answered with
 * the old connection's ACK: the client's connection times out).
 */
static void
obj_lport_start(const struct ng_rs_env *env, struct ng_svc_obj *o)
{
	uint32_t range = (uint32_t)env->lport_max - env->lport_min + 1;

	for (uint32_t w = 0; w < o->n_workers; w++)
		for (uint32_t b = 0; b < o->n_backends; b++) {
			struct ng_svc_bstats *bs = &o->bstats[w * o->n_backends + b];

			bs->lport_next = env->lport_min + (uint32_t)rte_rand_max(range);
			bs->snat_next = (uint32_t)rte_rand_max(o->backends[b].n_snat);
		}
}

/*
 * The scheduling table into t (table_size 2-byte entries): the Maglev fill or
 * the WRR/random sequence.
 */
static int
obj_table16(const struct ng_svc_spec *sp, const struct ng_backend *sorted, uint32_t n,
		const struct ng_svc_obj *o, uint16_t *t)
{
	struct ng_maglev_backend *mb;
	int rc;

	if (sp->scheduler != NG_SCHED_MAGLEV)
		return wrr_sequence(sorted, n, t, o->table_size) == 0 ? -ENOMEM : 0;
	mb = malloc(n * sizeof(*mb));
	if (mb == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		mb[i].addr = sorted[i].addr;
		mb[i].port = sorted[i].port;
		mb[i].weight = sorted[i].weight;
	}
	rc = ng_maglev_build(mb, n, t, o->table_size);
	free(mb);
	return rc;
}

/*
 * t8[i] = the low byte of t16[i], for i < m. In blocks of 16 with size_t
 * indexes, which gcc -O2 vectorizes: 0.16 us for 2,053 entries, against 0.64
 * one at a time (measured, doc/architecture.md "8-bit Maglev entries").
 */
static void
narrow8(uint8_t *restrict t8, const uint16_t *restrict t16, size_t m)
{
	size_t i = 0;

	for (; i + 16 <= m; i += 16)
		for (size_t j = 0; j < 16; j++)
			t8[i + j] = (uint8_t)t16[i + j];
	for (; i < m; i++)
		t8[i] = (uint8_t)t16[i];
}

/*
 * The scheduling table in the object's width. A 2-byte table is filled in
 * place; a 1-byte one (at most NG_SVC_TABLE8_MAX_BACKENDS backends, indexes
 * below 0xff) is filled in a scratch table of 2-byte entries, kept for the
 * next object (the control core compiles one at a time), and narrowed into
 * the object: the fill stays one piece of code, and the object's memory is
 * written once either way.
 */
static int
obj_table(const struct ng_svc_spec *sp, const struct ng_backend *sorted, uint32_t n,
		const struct ng_svc_obj *o, const struct obj_rw *rw)
{
	static uint16_t *scratch;
	static uint32_t scratch_len;
	uint8_t *t8 = rw->table;
	int rc;

	if (o->table_shift != 0)
		return obj_table16(sp, sorted, n, o, rw->table);
	if (scratch_len < o->table_size) {
		uint16_t *s = realloc(scratch, sizeof(*s) * o->table_size);

		if (s == NULL)
			return -ENOMEM;
		scratch = s;
		scratch_len = o->table_size;
	}
	rc = obj_table16(sp, sorted, n, o, scratch);
	narrow8(t8, scratch, o->table_size); /* NG_MAGLEV_NONE becomes 0xff */
	t8[o->table_size] = 0;
	return rc;
}

/* Backends in canonical order with their FullNAT source, and the scheduling table. */
static int
obj_backends(const struct ng_rs_env *env, const struct ng_svc_spec *sp,
		const struct ng_backend *sorted, uint32_t n, struct ng_svc_obj *o,
		const struct obj_rw *rw)
{
	struct ng_svc_backend *be = rw->be;

	for (uint32_t i = 0; i < n; i++) {
		be[i].family = sorted[i].addr.family;
		addr16(&be[i].addr, &sorted[i].addr);
		be[i].port = rte_cpu_to_be_16(sorted[i].port);
		be[i].weight = sorted[i].weight;
		o->n_usable += sorted[i].weight > 0;
		backend_snat(env, &sorted[i].addr, &be[i]);
	}
	if (o->n_usable == 0) {
		memset(rw->table, 0, table_bytes(n, o->table_size));
		return 0;
	}
	return obj_table(sp, sorted, n, o, rw);
}

/* Compile one service into a new immutable object. */
static struct ng_svc_obj *
obj_build(struct ng_rs_env *env, const struct ng_svc_view *v, uint32_t id, char *err,
		size_t errlen)
{
	const struct ng_svc_spec *sp = v->spec;
	uint32_t n = v->n_backends, n_fe = 0, m;
	unsigned int n_np, n_np_fam = 0;
	uint8_t fam = view_family(v);
	const struct ng_ip *np = nodeport_addrs(env, &n_np);
	struct ng_backend *sorted = NULL;
	struct ng_svc_obj *o = NULL;
	struct obj_rw rw;
	int rc = -ENOMEM;

	for (unsigned int a = 0; a < n_np; a++)
		n_np_fam += np[a].family == fam;
	for (unsigned int i = 0; i < v->n_frontends; i++)
		n_fe += v->frontends[i].addr.family == 0 ? n_np_fam : 1;
	if (n > 0) {
		sorted = malloc(n * sizeof(*sorted));
		if (sorted == NULL)
			goto fail;
		memcpy(sorted, v->backends, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), backend_cmp);
	}
	m = n > 0 ? table_len(sp, sorted, n) : 1;
	o = obj_alloc(n, m, n_fe, sp->n_src_ranges, env->n_workers, &rw);
	if (o == NULL)
		goto fail;
	o->uid = env->next_uid++;
	o->desired_id = id;
	o->n_backends = n;
	obj_options(env, sp, o);
	obj_src_ranges(sp, o, &rw);
	rc = obj_backends(env, sp, sorted, n, o, &rw);
	if (rc < 0)
		goto fail;
	obj_lport_start(env, o);
	free(sorted);
	/* VIP keys first, then NodePort keys (one per NodePort address). */
	for (unsigned int i = 0; i < v->n_frontends; i++)
		if (v->frontends[i].addr.family != 0)
			ng_svc_fe_key(&o->fe[o->n_fe++], &v->frontends[i].addr,
					v->frontends[i].port, sp->proto);
	for (unsigned int i = 0; i < v->n_frontends; i++)
		if (v->frontends[i].addr.family == 0)
			for (unsigned int a = 0; a < n_np; a++)
				if (np[a].family == fam)
					ng_svc_fe_key(&o->fe[o->n_fe++], &np[a],
							v->frontends[i].port, sp->proto);
	return o;
fail:
	free(sorted);
	ng_rs_obj_free(o);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "service \"%s\": out of memory compiling it", sp->name);
	else
		snprintf(err, errlen, "service \"%s\": Maglev table: %s", sp->name,
				strerror(-rc));
	return NULL;
}

/* ---- the ruleset ---- */

static bool
is_node_addr(const struct ng_rs_env *env, const struct ng_fe_key *k)
{
	for (unsigned int a = 0; a < env->n_node_addrs; a++)
		if (env->node_addrs[a].family == k->family && (k->family == AF_INET ?
				env->node_addrs[a].v4 == k->addr.v4 :
				memcmp(env->node_addrs[a].v6, k->addr.v6, 16) == 0))
			return true;
	return false;
}

/* The next ruleset: a header, and an index that shares old's chunks. */
static struct ng_ruleset *
rs_next(const struct ng_ruleset *old, uint32_t n_fe_est, struct ng_fe_cow *cow)
{
	struct ng_ruleset *rs = rte_zmalloc("ng_rs", sizeof(*rs), RTE_CACHE_LINE_SIZE);

	if (rs == NULL)
		return NULL;
	if (ng_fe_begin(cow, old != NULL ? old->fe : NULL, n_fe_est) < 0) {
		rte_free(rs);
		return NULL;
	}
	if (old != NULL) {
		rs->n_svcs = old->n_svcs;
		rs->n_dnat = old->n_dnat;
		rs->n_affinity = old->n_affinity;
		rs->n_dnat_affinity = old->n_dnat_affinity;
		rs->gen = old->gen + 1;
	}
	return rs;
}

/* Swap each change's old object for its new one in the index cow writes. */
static int
rs_patch(const struct ng_rs_env *env, struct ng_rs_change *ch, uint32_t n,
		struct ng_fe_cow *cow, struct ng_rs_build *out)
{
	struct ng_ruleset *rs = out->rs;

	for (uint32_t i = 0; i < n; i++) {
		struct ng_svc_obj *o = ch[i].old;

		if (o != NULL) {
			for (uint32_t k = 0; k < o->n_fe; k++) {
				if (ng_fe_remove(cow, &o->fe[k], o) < 0)
					return -ENOMEM;
				if (!is_node_addr(env, &o->fe[k]))
					out->vip_gone[out->n_vip_gone++] = o->fe[k];
			}
			rs->n_svcs--;
			rs->n_dnat -= o->mode == NG_FWD_DNAT;
			rs->n_affinity -= o->affinity != 0;
			rs->n_dnat_affinity -= o->affinity && o->mode == NG_FWD_DNAT;
			out->retire[out->n_retire++] = o;
		}
		o = ch[i].obj;
		if (o == NULL)
			continue;
		for (uint32_t k = 0; k < o->n_fe; k++) {
			if (ng_fe_insert(cow, &o->fe[k], o) < 0)
				return -ENOMEM;
			if (!is_node_addr(env, &o->fe[k]))
				out->vip_new[out->n_vip_new++] = o->fe[k];
		}
		rs->n_svcs++;
		rs->n_dnat += o->mode == NG_FWD_DNAT;
		rs->n_affinity += o->affinity != 0;
		rs->n_dnat_affinity += o->affinity && o->mode == NG_FWD_DNAT;
	}
	ng_fe_finish(cow);
	rs->fe = cow->x;
	rs->n_fe = cow->x->n;
	out->fe_retire = cow->retire;
	out->n_fe_retire = cow->n_retire;
	out->copied_bytes = cow->copied;
	out->chunks_copied = cow->chunks_copied;
	out->rebuilds = cow->rebuilds;
	return 0;
}

void
ng_rs_build_release(struct ng_rs_build *b)
{
	free(b->retire);
	free(b->vip_new);
	free(b->vip_gone);
	free(b->fe_retire);
	b->fe_retire = NULL;
	b->n_fe_retire = 0;
	b->retire = NULL;
	b->vip_new = NULL;
	b->vip_gone = NULL;
}

int
ng_rs_compile(struct ng_rs_env *env, const struct ng_ruleset *old, struct ng_rs_change *ch,
		uint32_t n, struct ng_rs_build *out, char *err, size_t errlen)
{
	uint32_t n_fe_new = 0, n_fe_old = 0, i;
	struct ng_fe_cow cow = {0};
	int64_t est;

	memset(out, 0, sizeof(*out));
	/* Compile first: a failure leaves nothing behind. */
	for (i = 0; i < n; i++) {
		ch[i].obj = NULL;
		if (ch[i].old != NULL)
			n_fe_old += ch[i].old->n_fe;
		if (ch[i].svc == NULL)
			continue;
		ch[i].obj = obj_build(env, ch[i].svc, ch[i].id, err, errlen);
		if (ch[i].obj == NULL)
			goto fail;
		n_fe_new += ch[i].obj->n_fe;
		out->obj_bytes += ch[i].obj->bytes;
	}
	est = (int64_t)(old != NULL ? old->n_fe : 0) + n_fe_new - n_fe_old;
	out->rs = rs_next(old, est > 0 ? (uint32_t)est : 0, &cow);
	out->retire = calloc(n + 1, sizeof(*out->retire));
	out->vip_new = calloc(n_fe_new + 1, sizeof(*out->vip_new));
	out->vip_gone = calloc(n_fe_old + 1, sizeof(*out->vip_gone));
	if (out->rs == NULL || out->retire == NULL || out->vip_new == NULL ||
			out->vip_gone == NULL || rs_patch(env, ch, n, &cow, out) < 0) {
		snprintf(err, errlen, "out of memory for the frontend index");
		goto fail;
	}
	out->rs->lport_min = env->lport_min;
	out->rs->lport_max = env->lport_max;
	return 0;
fail:
	/* The index's own chunks go; the old ruleset keeps every chunk it holds. */
	ng_fe_abort(&cow);
	out->fe_retire = NULL;
	rte_free(out->rs);
	ng_rs_build_release(out);
	for (uint32_t j = 0; j < n; j++) {
		ng_rs_obj_free(ch[j].obj);
		ch[j].obj = NULL;
	}
	memset(out, 0, sizeof(*out));
	return -ENOMEM;
}
