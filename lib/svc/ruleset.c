/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ruleset compile and publish (control core).
 *
 * A commit builds a new ruleset from the previous one: the frontend index is
 * copied and patched for the services that changed, and only those services
 * get new compiled objects. The new ruleset is published with one pointer
 * store; the old one and the objects it alone referenced are freed after an
 * RCU grace period, which the control loop checks without blocking.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "ng_log.h"
#include "svc_priv.h"

struct retired {
	struct retired *next;
	struct ng_ruleset *rs;
	struct ng_svc_obj **objs;
	uint32_t n_objs;
	uint64_t token;
	uint64_t start_tsc;
	uint64_t change_tsc; /* first change this commit carried; 0 for none */
	bool cause;          /* the change came with a noted cause (a watch event) */
};

static uint64_t
tsc_to_ns(uint64_t t)
{
	return t * 1000000000ull / rte_get_tsc_hz();
}

/* ---- frontend index: open addressing, linear probing, backward-shift delete ---- */

static void
fe_insert(struct ng_ruleset *rs, const struct ng_fe_key *k, struct ng_svc_obj *svc)
{
	uint32_t i;

	for (i = ng_fe_hash(k) & rs->fe_mask;; i = (i + 1) & rs->fe_mask) {
		struct ng_fe_slot *s = &rs->fe[i];

		if (!s->used) {
			s->key = *k;
			s->svc = svc;
			s->used = 1;
			rs->n_fe++;
			return;
		}
		if (ng_fe_key_eq(&s->key, k)) {
			s->svc = svc;
			return;
		}
	}
}

static void
fe_remove(struct ng_ruleset *rs, const struct ng_fe_key *k, const struct ng_svc_obj *owner)
{
	uint32_t i, j, h;

	if (rs->n_fe == 0)
		return;
	for (i = ng_fe_hash(k) & rs->fe_mask;; i = (i + 1) & rs->fe_mask) {
		if (!rs->fe[i].used)
			return;
		if (ng_fe_key_eq(&rs->fe[i].key, k))
			break;
	}
	if (rs->fe[i].svc != owner)
		return; /* taken over by another service in this commit */
	rs->fe[i].used = 0;
	rs->n_fe--;
	/* Shift back the entries of the probe run that follow the hole. */
	for (j = (i + 1) & rs->fe_mask; rs->fe[j].used; j = (j + 1) & rs->fe_mask) {
		h = ng_fe_hash(&rs->fe[j].key) & rs->fe_mask;
		/* Can slot j's entry move to the hole at i? Only if i lies cyclically in [h, j). */
		if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
			rs->fe[i] = rs->fe[j];
			rs->fe[j].used = 0;
			i = j;
		}
	}
}

static struct ng_ruleset *
rs_alloc(uint32_t slots)
{
	struct ng_ruleset *rs = rte_zmalloc("ng_rs", sizeof(*rs), RTE_CACHE_LINE_SIZE);

	if (rs == NULL)
		return NULL;
	rs->fe = rte_zmalloc("ng_rs_fe", sizeof(*rs->fe) * slots, RTE_CACHE_LINE_SIZE);
	if (rs->fe == NULL) {
		rte_free(rs);
		return NULL;
	}
	rs->fe_mask = slots - 1;
	return rs;
}

static void
rs_free(struct ng_ruleset *rs)
{
	if (rs == NULL)
		return;
	rte_free(rs->fe);
	rte_free(rs);
}

/* ---- service objects ---- */

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

static void
obj_free(struct ng_svc_obj *o)
{
	if (o == NULL)
		return;
	ng_svc.info.bytes -= o->bytes;
	rte_free(o);
}

/** The addresses a NodePort answers on. */
static const struct ng_ip *
nodeport_addrs(const struct ng_svc_params *p, unsigned int *n)
{
	if (p->nodeport_addrs == NULL) {
		*n = p->n_node_addrs;
		return p->node_addrs;
	}
	*n = p->n_nodeport_addrs;
	return p->nodeport_addrs;
}

static struct ng_svc_obj *
obj_build(struct svc_d *d, char *err, size_t errlen)
{
	const struct ng_svc_params *p = &ng_svc.p;
	uint32_t n = d->n_bes, nw = p->n_workers, n_fe = 0, m, usable = 0;
	unsigned int n_np;
	const struct ng_ip *np = nodeport_addrs(p, &n_np);
	struct ng_backend *sorted = NULL;
	struct ng_svc_obj *o;
	struct ng_svc_backend *be;
	uint16_t *table;
	size_t off_be, off_tab, off_fe, off_ws, off_bs, size;
	uint64_t hz = rte_get_tsc_hz();
	uint8_t *base;

	for (unsigned int i = 0; i < d->n_fes; i++)
		n_fe += d->fes[i].addr.family == 0 ? n_np : 1;
	if (n > 0) {
		sorted = malloc(n * sizeof(*sorted));
		if (sorted == NULL)
			goto nomem;
		memcpy(sorted, d->bes, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), backend_cmp);
	}
	for (uint32_t i = 0; i < n; i++)
		usable += sorted[i].weight > 0;
	m = n > 0 ? table_len(&d->spec, sorted, n) : 1;

	off_be = RTE_ALIGN(sizeof(*o), 16);
	off_tab = off_be + sizeof(*be) * n;
	off_fe = RTE_ALIGN(off_tab + sizeof(uint16_t) * m, 16);
	off_ws = RTE_ALIGN(off_fe + sizeof(struct ng_fe_key) * n_fe, RTE_CACHE_LINE_SIZE);
	off_bs = off_ws + sizeof(struct ng_svc_wstats) * nw;
	size = off_bs + sizeof(struct ng_svc_bstats) * nw * RTE_MAX(n, 1u);
	base = rte_zmalloc("ng_svc_obj", size, RTE_CACHE_LINE_SIZE);
	if (base == NULL)
		goto nomem;
	o = (struct ng_svc_obj *)base;
	be = (struct ng_svc_backend *)(base + off_be);
	table = (uint16_t *)(base + off_tab);
	o->fe = (struct ng_fe_key *)(base + off_fe);
	o->wstats = (struct ng_svc_wstats *)(base + off_ws);
	o->bstats = (struct ng_svc_bstats *)(base + off_bs);
	o->backends = be;
	o->table = table;
	o->bytes = size;
	ng_svc.info.bytes += size;
	o->uid = ng_svc.next_uid++;
	o->proto = d->spec.proto;
	o->sched = (uint8_t)d->spec.scheduler;
	o->mode = (uint8_t)d->spec.mode;
	o->affinity = d->spec.affinity;
	o->empty_drop = d->spec.empty_drop;
	o->affinity_timeout_s = d->spec.affinity_timeout ? d->spec.affinity_timeout :
			NG_AFFINITY_TIMEOUT_DEFAULT;
	o->affinity_tsc = (uint64_t)o->affinity_timeout_s * hz;
	o->n_backends = n;
	o->n_usable = usable;
	o->table_size = m;
	o->n_workers = nw;
	o->desired_id = d->id;
	snprintf(o->name, sizeof(o->name), "%s", d->spec.name);
	for (int s = 0; s < NG_CT_NSTATES; s++) {
		uint32_t sec = ng_ct_state_timeout(&d->spec.timeouts, (enum ng_ct_state)s);

		if (sec == 0)
			sec = ng_ct_state_timeout(&p->timeouts, (enum ng_ct_state)s);
		o->to_tsc[s] = (uint64_t)sec * hz;
	}
	o->to_tsc[NG_CT_AFFINITY] = o->affinity_tsc;

	for (uint32_t i = 0; i < n; i++) {
		struct ng_route_info ri;

		be[i].family = sorted[i].addr.family;
		be[i].addr.v4 = sorted[i].addr.v4;
		be[i].port = rte_cpu_to_be_16(sorted[i].port);
		be[i].weight = sorted[i].weight;
		if (p->fib != NULL && ng_fib_lookup(p->fib, &sorted[i].addr, &ri) == 0 &&
				ri.src.family == AF_INET)
			be[i].snat.v4 = ri.src.v4;
		else if (p->n_node_addrs > 0)
			be[i].snat.v4 = p->node_addrs[0].v4;
	}
	if (usable > 0) {
		if (d->spec.scheduler == NG_SCHED_MAGLEV) {
			struct ng_maglev_backend *mb = malloc(n * sizeof(*mb));
			int rc;

			if (mb == NULL) {
				obj_free(o);
				goto nomem;
			}
			for (uint32_t i = 0; i < n; i++) {
				mb[i].addr = sorted[i].addr;
				mb[i].port = sorted[i].port;
				mb[i].weight = sorted[i].weight;
			}
			rc = ng_maglev_build(mb, n, table, m);
			free(mb);
			if (rc < 0) {
				obj_free(o);
				free(sorted);
				snprintf(err, errlen, "service \"%s\": Maglev table: %s",
						d->spec.name, strerror(-rc));
				return NULL;
			}
		} else if (wrr_sequence(sorted, n, table, m) == 0) {
			obj_free(o);
			goto nomem;
		}
	}
	/* VIP keys first, then NodePort keys (one per gateway address). */
	for (unsigned int i = 0; i < d->n_fes; i++)
		if (d->fes[i].addr.family != 0)
			ng_svc_fe_key(&o->fe[o->n_fe++], &d->fes[i].addr, d->fes[i].port,
					d->spec.proto);
	for (unsigned int i = 0; i < d->n_fes; i++)
		if (d->fes[i].addr.family == 0)
			for (unsigned int a = 0; a < n_np; a++)
				ng_svc_fe_key(&o->fe[o->n_fe++], &np[a], d->fes[i].port,
						d->spec.proto);
	free(sorted);
	return o;
nomem:
	free(sorted);
	snprintf(err, errlen, "service \"%s\": out of memory compiling it", d->spec.name);
	return NULL;
}

static bool
is_node_addr(const struct ng_fe_key *k)
{
	for (unsigned int a = 0; a < ng_svc.p.n_node_addrs; a++)
		if (ng_svc.p.node_addrs[a].v4 == k->addr.v4 && k->family == AF_INET)
			return true;
	return false;
}

/* VIP reference counts: routes appear with the first user and go with the last. */
static int
vip_ref(const struct ng_fe_key *k, int delta)
{
	struct ng_ip ip = {.family = AF_INET, .v4 = k->addr.v4};
	void *data;
	intptr_t n = 0;

	if (rte_hash_lookup_data(ng_svc.vips, &ip, &data) >= 0)
		n = (intptr_t)data;
	n += delta;
	if (n <= 0) {
		rte_hash_del_key(ng_svc.vips, &ip);
		return 0;
	}
	rte_hash_add_key_data(ng_svc.vips, &ip, (void *)n);
	return (int)n;
}

static void
vip_route(const struct ng_fe_key *k, bool add)
{
	struct ng_prefix pfx = {.addr = {.family = AF_INET, .v4 = k->addr.v4}, .len = 32};
	char a[NG_IP_STRLEN];
	int rc;

	if (ng_svc.p.fib == NULL)
		return;
	if (add)
		rc = ng_fib_add(ng_svc.p.fib, &pfx, NG_RT_VIP, NG_NH_VIP, ng_svc.p.vip_port, NULL,
				&pfx.addr, true);
	else
		rc = ng_fib_del(ng_svc.p.fib, &pfx);
	if (rc < 0)
		NG_LOG(WARNING, SVC, "VIP route %s %s: %s", add ? "add" : "del",
				ng_ip_fmt(&pfx.addr, a, sizeof(a)), strerror(-rc));
}

int
ng_ruleset_commit(char *err, size_t errlen)
{
	struct ng_ruleset *old = ng_svc.cur, *rs;
	struct ng_svc_obj **retired_objs = NULL, **fresh = NULL;
	struct ng_fe_key *vip_add = NULL, *vip_del = NULL;
	uint32_t n_ret = 0, n_vip_add = 0, n_vip_del = 0, n_fe_est = old ? old->n_fe : 0, slots = 64;
	uint64_t t0 = rte_get_tsc_cycles(), t1;
	/* For the latency figure: when the oldest change of this commit was made. */
	uint64_t change_tsc = ng_svc.n_dirty > 0 ? ng_svc.first_dirty_tsc : 0;
	bool cause = ng_svc.n_dirty > 0 && ng_svc.cause_noted;
	char ebuf[NG_ERRBUF];
	struct retired *r;
	int rc = 0;

	if (err == NULL) {
		err = ebuf;
		errlen = sizeof(ebuf);
	}
	if (ng_svc.n_dirty > 0) {
		retired_objs = calloc(ng_svc.n_dirty, sizeof(*retired_objs));
		fresh = calloc(ng_svc.n_dirty, sizeof(*fresh));
		if (retired_objs == NULL || fresh == NULL) {
			rc = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	/* Compile first: a failure leaves the running ruleset untouched. */
	for (uint32_t i = 0; i < ng_svc.n_dirty; i++) {
		struct svc_d *d = ng_svc.svcs[ng_svc.dirty[i]];

		if (d == NULL || d->deleted)
			continue;
		fresh[i] = obj_build(d, err, errlen);
		if (fresh[i] == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		n_fe_est += fresh[i]->n_fe;
	}
	while (slots < 2 * n_fe_est)
		slots <<= 1;
	if (old != NULL && old->fe_mask + 1 >= slots)
		slots = old->fe_mask + 1;
	rs = rs_alloc(slots);
	if (rs == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory for the frontend index");
		goto out;
	}
	if (old != NULL) {
		if (old->fe_mask == rs->fe_mask) {
			memcpy(rs->fe, old->fe, sizeof(*rs->fe) * slots);
			rs->n_fe = old->n_fe;
		} else {
			for (uint32_t i = 0; i <= old->fe_mask; i++)
				if (old->fe[i].used)
					fe_insert(rs, &old->fe[i].key, old->fe[i].svc);
		}
		rs->n_svcs = old->n_svcs;
		rs->n_dnat = old->n_dnat;
		rs->gen = old->gen + 1;
	}
	rs->lport_min = ng_svc.p.lport_min;
	rs->lport_max = ng_svc.p.lport_max;
	vip_add = calloc(n_fe_est + 1, sizeof(*vip_add));
	vip_del = calloc((old ? old->n_fe : 0) + 1, sizeof(*vip_del));
	if (vip_add == NULL || vip_del == NULL) {
		rs_free(rs);
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}

	for (uint32_t i = 0; i < ng_svc.n_dirty; i++) {
		struct svc_d *d = ng_svc.svcs[ng_svc.dirty[i]];
		struct ng_svc_obj *o;

		if (d == NULL)
			continue;
		o = d->obj;
		if (o != NULL) {
			for (uint32_t k = 0; k < o->n_fe; k++) {
				fe_remove(rs, &o->fe[k], o);
				if (!is_node_addr(&o->fe[k]) && vip_ref(&o->fe[k], -1) == 0)
					vip_del[n_vip_del++] = o->fe[k];
			}
			rs->n_svcs--;
			rs->n_dnat -= o->mode == NG_FWD_DNAT;
			retired_objs[n_ret++] = o;
			d->obj = NULL;
		}
		if (d->deleted) {
			char key[NG_SVC_NAME_MAX] = {0};

			snprintf(key, sizeof(key), "%s", d->spec.name);
			rte_hash_del_key(ng_svc.by_name, key);
			ng_svc.svcs[d->id] = NULL;
			free(d->fes);
			free(d->bes);
			free(d);
			continue;
		}
		o = fresh[i];
		fresh[i] = NULL;
		for (uint32_t k = 0; k < o->n_fe; k++) {
			fe_insert(rs, &o->fe[k], o);
			if (!is_node_addr(&o->fe[k]) && vip_ref(&o->fe[k], 1) == 1)
				vip_add[n_vip_add++] = o->fe[k];
		}
		rs->n_svcs++;
		rs->n_dnat += o->mode == NG_FWD_DNAT;
		d->obj = o;
		d->dirty = false;
	}
	ng_svc.n_dirty = 0;
	ng_svc.cause_noted = false;

	t1 = rte_get_tsc_cycles();
	__atomic_store_n(ng_svc.p.publish, rs, __ATOMIC_RELEASE);
	ng_svc.cur = rs;
	/* VIP routes change after the publish: a VIP that moved between services in
	 * this commit never loses its route. */
	for (uint32_t i = 0; i < n_vip_del; i++)
		if (vip_ref(&vip_del[i], 0) == 0)
			vip_route(&vip_del[i], false);
	for (uint32_t i = 0; i < n_vip_add; i++)
		if (vip_ref(&vip_add[i], 0) > 0)
			vip_route(&vip_add[i], true);
	ng_svc.info.generation = rs->gen;
	ng_svc.info.services = rs->n_svcs;
	ng_svc.info.frontends = rs->n_fe;
	ng_svc.info.build_ns = tsc_to_ns(t1 - t0);
	ng_svc.info.publish_ns = tsc_to_ns(rte_get_tsc_cycles() - t1);
	ng_svc.info.publish_tsc = t1;
	ng_hist_observe(&ng_svc.info.commit_hist, ng_svc.info.build_ns + ng_svc.info.publish_ns);
	ng_svc.info.commits++;
	ng_svc.info.bytes += sizeof(*rs) + sizeof(*rs->fe) * (rs->fe_mask + 1);
	if (old != NULL || n_ret > 0) {
		r = calloc(1, sizeof(*r));
		if (r == NULL) {
			/* Cannot defer: wait for the grace period here. */
			if (ng_svc.p.qsbr != NULL)
				rte_rcu_qsbr_synchronize(ng_svc.p.qsbr, RTE_QSBR_THRID_INVALID);
			rs_free(old);
			for (uint32_t i = 0; i < n_ret; i++)
				obj_free(retired_objs[i]);
		} else {
			r->rs = old;
			r->objs = retired_objs;
			r->n_objs = n_ret;
			retired_objs = NULL;
			r->start_tsc = rte_get_tsc_cycles();
			r->change_tsc = change_tsc;
			r->cause = cause;
			r->token = ng_svc.p.qsbr != NULL ? rte_rcu_qsbr_start(ng_svc.p.qsbr) : 0;
			if (ng_svc.retired_tail != NULL)
				ng_svc.retired_tail->next = r;
			else
				ng_svc.retired = r;
			ng_svc.retired_tail = r;
			ng_svc.info.pending_free++;
		}
	}
out:
	if (fresh != NULL)
		for (uint32_t i = 0; i < ng_svc.n_dirty; i++)
			obj_free(fresh[i]);
	free(fresh);
	free(retired_objs);
	free(vip_add);
	free(vip_del);
	ng_ruleset_reclaim(false);
	return rc;
}

static void
retire_counters(struct ng_svc_obj *o)
{
	struct svc_d *d = o->desired_id < ng_svc.n_svcs ? ng_svc.svcs[o->desired_id] : NULL;

	if (d == NULL || strcmp(d->spec.name, o->name) != 0)
		return;
	for (uint32_t w = 0; w < o->n_workers; w++) {
		d->past.conns += o->wstats[w].conns;
		d->past.pkts += o->wstats[w].pkts;
		d->past.bytes += o->wstats[w].bytes;
		d->past.refused += o->wstats[w].refused;
		d->past.no_lport += o->wstats[w].no_lport;
	}
}

uint64_t
ng_ruleset_grace_since(void)
{
	return ng_svc.retired != NULL ? ng_svc.retired->start_tsc : 0;
}

void
ng_ruleset_reclaim(bool wait)
{
	while (ng_svc.retired != NULL) {
		struct retired *r = ng_svc.retired;

		if (ng_svc.p.qsbr != NULL &&
				rte_rcu_qsbr_check(ng_svc.p.qsbr, r->token, wait) != 1)
			return;
		ng_svc.info.grace_ns = tsc_to_ns(rte_get_tsc_cycles() - r->start_tsc);
		if (r->change_tsc != 0) {
			uint64_t lat = tsc_to_ns(rte_get_tsc_cycles() - r->change_tsc);

			ng_hist_observe(&ng_svc.info.latency_hist, lat);
			if (r->cause)
				ng_hist_observe(&ng_svc.info.cause_hist, lat);
			ng_svc.lat_ns[ng_svc.lat_pos] = lat;
			ng_svc.lat_pos = (ng_svc.lat_pos + 1) % RTE_DIM(ng_svc.lat_ns);
			if (ng_svc.lat_n < RTE_DIM(ng_svc.lat_ns))
				ng_svc.lat_n++;
		}
		if (r->rs != NULL)
			ng_svc.info.bytes -= sizeof(*r->rs) + sizeof(*r->rs->fe) *
					(r->rs->fe_mask + 1);
		rs_free(r->rs);
		for (uint32_t i = 0; i < r->n_objs; i++) {
			retire_counters(r->objs[i]);
			obj_free(r->objs[i]);
		}
		free(r->objs);
		ng_svc.retired = r->next;
		if (ng_svc.retired == NULL)
			ng_svc.retired_tail = NULL;
		free(r);
		ng_svc.info.pending_free--;
	}
}

void
ng_ruleset_fini(void)
{
	ng_ruleset_reclaim(true);
	if (ng_svc.p.publish != NULL)
		__atomic_store_n(ng_svc.p.publish, NULL, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < ng_svc.n_svcs; i++) {
		struct svc_d *d = ng_svc.svcs[i];

		if (d != NULL && d->obj != NULL) {
			obj_free(d->obj);
			d->obj = NULL;
		}
	}
	rs_free(ng_svc.cur);
	ng_svc.cur = NULL;
}
