/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "ng_log.h"
#include "route_dp.h"

/*
 * tbl8 groups of the IPv6 LPM (1 KiB each): a route costs one per byte of its
 * prefix past the first 24 bits that no other route shares, a /128 at most 13.
 */
#define FIB_TBL8_6 4096

struct fib_route {
	struct ng_prefix prefix;
	enum ng_route_origin origin;
	uint32_t nh;
};

struct ng_fib {
	struct ng_fib_dp dp; /* first: workers cast to it */
	uint32_t max_nh;
	uint32_t max_routes;
	struct fib_route *routes;
	uint32_t n_routes;
	struct rte_rcu_qsbr_dq *nh_dq;
	uint8_t *nh_pending; /* slot waits for a grace period */
	struct rte_rcu_qsbr *qsbr;
	uint64_t lpm6_token; /* grace period started by the last IPv6 delete */
	bool lpm6_deleted;   /* ... which an IPv6 add must wait for */
};

static void
nh_reclaimed(void *p, void *e, unsigned int n)
{
	struct ng_fib *f = p;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t idx = ((uint32_t *)e)[i];

		memset(&f->dp.nh[idx], 0, sizeof(f->dp.nh[idx]));
		f->nh_pending[idx] = 0;
	}
}

struct ng_fib *
ng_fib_create(uint32_t max_routes, struct rte_rcu_qsbr *qsbr)
{
	static unsigned int seq;
	struct rte_lpm_config lc = {.max_rules = max_routes, .number_tbl8s = 1024};
	struct rte_lpm_rcu_config rc = {.v = qsbr, .mode = RTE_LPM_QSBR_MODE_DQ};
	struct rte_lpm6_config lc6 = {.max_rules = max_routes, .number_tbl8s = FIB_TBL8_6};
	struct rte_rcu_qsbr_dq_parameters dqp = {0};
	char name[RTE_RCU_QSBR_DQ_NAMESIZE];
	struct ng_fib *f;

	if (max_routes == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	f = rte_zmalloc("ng_fib", sizeof(*f), RTE_CACHE_LINE_SIZE);
	if (f == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	f->max_routes = max_routes;
	f->dp.default4 = -1;
	f->dp.default6 = -1;
	f->qsbr = qsbr;
	f->max_nh = max_routes + 1;
	f->routes = rte_zmalloc("ng_fib_routes", sizeof(*f->routes) * max_routes, 0);
	f->dp.nh = rte_zmalloc("ng_fib_nh", sizeof(*f->dp.nh) * f->max_nh, RTE_CACHE_LINE_SIZE);
	f->nh_pending = rte_zmalloc("ng_fib_nhp", f->max_nh, 0);
	snprintf(name, sizeof(name), "ng_lpm4_%u", seq);
	f->dp.lpm4 = rte_lpm_create(name, SOCKET_ID_ANY, &lc);
	snprintf(name, sizeof(name), "ng_lpm6_%u", seq);
	f->dp.lpm6 = rte_lpm6_create(name, SOCKET_ID_ANY, &lc6);
	if (f->routes == NULL || f->dp.nh == NULL || f->nh_pending == NULL || f->dp.lpm4 == NULL ||
			f->dp.lpm6 == NULL)
		goto fail;
	if (qsbr != NULL) {
		if (rte_lpm_rcu_qsbr_add(f->dp.lpm4, &rc) != 0)
			goto fail;
		snprintf(name, sizeof(name), "ng_nh_%u", seq);
		dqp.name = name;
		dqp.size = f->max_nh;
		dqp.esize = sizeof(uint32_t);
		dqp.trigger_reclaim_limit = 1;
		dqp.max_reclaim_size = f->max_nh;
		dqp.free_fn = nh_reclaimed;
		dqp.p = f;
		dqp.v = qsbr;
		f->nh_dq = rte_rcu_qsbr_dq_create(&dqp);
		if (f->nh_dq == NULL)
			goto fail;
	}
	seq++;
	return f;
fail:
	seq++;
	ng_fib_free(f);
	rte_errno = ENOMEM;
	return NULL;
}

void
ng_fib_free(struct ng_fib *f)
{
	if (f == NULL)
		return;
	if (f->nh_dq != NULL)
		rte_rcu_qsbr_dq_delete(f->nh_dq);
	rte_lpm_free(f->dp.lpm4);
	rte_lpm6_free(f->dp.lpm6);
	rte_free(f->routes);
	rte_free(f->dp.nh);
	rte_free(f->nh_pending);
	rte_free(f);
}

static int
route_find(const struct ng_fib *f, const struct ng_prefix *p)
{
	for (uint32_t i = 0; i < f->n_routes; i++)
		if (f->routes[i].prefix.len == p->len &&
				ng_ip_equal(&f->routes[i].prefix.addr, &p->addr))
			return (int)i;
	return -1;
}

/* Find an identical next hop to share, or a free slot. */
static int
nh_get(struct ng_fib *f, const struct ng_nexthop *want)
{
	int free_slot = -1;

	for (uint32_t i = 0; i < f->max_nh; i++) {
		struct ng_nexthop *nh = &f->dp.nh[i];

		if (nh->type == 0) {
			if (free_slot < 0 && !f->nh_pending[i])
				free_slot = (int)i;
			continue;
		}
		if (nh->refs > 0 && nh->type == want->type && nh->family == want->family &&
				nh->port == want->port && nh->gw4 == want->gw4 &&
				nh->src4 == want->src4 && memcmp(nh->gw6, want->gw6, 16) == 0 &&
				memcmp(nh->src6, want->src6, 16) == 0) {
			nh->refs++;
			return (int)i;
		}
	}
	if (free_slot < 0) {
		ng_fib_reclaim(f);
		for (uint32_t i = 0; i < f->max_nh; i++)
			if (f->dp.nh[i].type == 0 && !f->nh_pending[i]) {
				free_slot = (int)i;
				break;
			}
		if (free_slot < 0)
			return -ENOSPC;
	}
	f->dp.nh[free_slot] = *want;
	f->dp.nh[free_slot].refs = 1;
	/* The slot is complete before the LPM can point a worker at it. */
	rte_atomic_thread_fence(__ATOMIC_RELEASE);
	return free_slot;
}

static void
nh_put(struct ng_fib *f, uint32_t idx)
{
	struct ng_nexthop *nh = &f->dp.nh[idx];

	if (--nh->refs > 0)
		return;
	/* Workers may still hold the index they got from the LPM. */
	if (f->nh_dq != NULL) {
		f->nh_pending[idx] = 1;
		if (rte_rcu_qsbr_dq_enqueue(f->nh_dq, &idx) == 0)
			return;
		NG_LOG(WARNING, ROUTE, "next-hop defer queue full; slot %u left in use", idx);
		nh->refs = 1;
		return;
	}
	memset(nh, 0, sizeof(*nh));
}

/* The next hop a route wants: its type, port, gateway and source address. */
static int
nh_want(const struct ng_prefix *prefix, enum ng_nh_type type, uint16_t port,
		const struct ng_ip *gw, const struct ng_ip *src, struct ng_nexthop *want)
{
	int fam = prefix->addr.family, host = fam == AF_INET ? 32 : 128;

	memset(want, 0, sizeof(*want));
	if ((fam != AF_INET && fam != AF_INET6) || prefix->len > host)
		return -EINVAL;
	if ((type == NG_NH_LOCAL || type == NG_NH_VIP) && prefix->len != host)
		return -EINVAL;
	if (type != NG_NH_LOCAL && type != NG_NH_CONNECTED && type != NG_NH_GATEWAY &&
			type != NG_NH_VIP)
		return -EINVAL;
	want->type = (uint8_t)type;
	want->family = (uint8_t)fam;
	want->port = port;
	if (type == NG_NH_GATEWAY) {
		if (gw == NULL || gw->family != fam)
			return -EINVAL;
		if (fam == AF_INET)
			want->gw4 = gw->v4;
		else
			memcpy(want->gw6, gw->v6, 16);
	}
	if (src != NULL && src->family == fam) {
		if (fam == AF_INET)
			want->src4 = src->v4;
		else
			memcpy(want->src6, src->v6, 16);
	}
	return 0;
}

/*
 * Point prefix p at next hop nh in the LPM of its family (a default route
 * beside it: neither LPM has depth 0). rte_lpm6 (DPDK 22.11) has no RCU
 * reclamation: a delete frees its tbl8 groups at once, and an add could reuse
 * one a worker is still reading. So an IPv6 add first waits for the grace
 * period the last IPv6 delete started (workers report every loop: a few
 * microseconds; it never waits when nothing was deleted since; -EBUSY after
 * 100 ms).
 */
static int
lpm_add(struct ng_fib *f, const struct ng_prefix *p, uint32_t nh)
{
	if (p->len == 0) {
		__atomic_store_n(p->addr.family == AF_INET ? &f->dp.default4 : &f->dp.default6,
				(int32_t)nh, __ATOMIC_RELEASE);
		return 0;
	}
	if (p->addr.family == AF_INET)
		return rte_lpm_add(f->dp.lpm4, rte_be_to_cpu_32(p->addr.v4), p->len, nh);
	if (f->lpm6_deleted) {
		uint64_t end = rte_get_tsc_cycles() + rte_get_tsc_hz() / 10;

		/* At most 100 ms: a worker that stopped reporting fails the add. */
		while (rte_rcu_qsbr_check(f->qsbr, f->lpm6_token, false) == 0)
			if (rte_get_tsc_cycles() > end)
				return -EBUSY;
		f->lpm6_deleted = false;
	}
	return rte_lpm6_add(f->dp.lpm6, p->addr.v6, p->len, nh);
}

static int
lpm_del(struct ng_fib *f, const struct ng_prefix *p)
{
	int rc;

	if (p->len == 0) {
		__atomic_store_n(p->addr.family == AF_INET ? &f->dp.default4 : &f->dp.default6,
				-1, __ATOMIC_RELEASE);
		return 0;
	}
	if (p->addr.family == AF_INET)
		return rte_lpm_delete(f->dp.lpm4, rte_be_to_cpu_32(p->addr.v4), p->len);
	rc = rte_lpm6_delete(f->dp.lpm6, p->addr.v6, p->len);
	if (rc == 0 && f->qsbr != NULL) {
		f->lpm6_token = rte_rcu_qsbr_start(f->qsbr);
		f->lpm6_deleted = true;
	}
	return rc;
}

int
ng_fib_add(struct ng_fib *f, const struct ng_prefix *prefix, enum ng_route_origin origin,
		enum ng_nh_type type, uint16_t port, const struct ng_ip *gw, const struct ng_ip *src,
		bool replace)
{
	struct ng_prefix p;
	struct ng_nexthop want;
	int existing, nh, rc;

	if (f == NULL || prefix == NULL || nh_want(prefix, type, port, gw, src, &want) < 0)
		return -EINVAL;
	p = ng_prefix_masked(prefix);
	existing = route_find(f, &p);
	if (existing >= 0 && (!replace || f->routes[existing].origin != origin))
		return -EEXIST; /* a static route never takes over a connected, local or VIP one */
	if (existing < 0 && f->n_routes >= f->max_routes)
		return -ENOSPC;
	nh = nh_get(f, &want);
	if (nh < 0)
		return nh;
	rc = lpm_add(f, &p, (uint32_t)nh);
	if (rc < 0) {
		nh_put(f, (uint32_t)nh);
		return rc == -ENOSPC ? -ENOSPC : rc;
	}
	if (existing >= 0) {
		uint32_t old = f->routes[existing].nh;

		f->routes[existing].nh = (uint32_t)nh;
		f->routes[existing].origin = origin;
		nh_put(f, old);
	} else {
		f->routes[f->n_routes].prefix = p;
		f->routes[f->n_routes].origin = origin;
		f->routes[f->n_routes].nh = (uint32_t)nh;
		f->n_routes++;
	}
	return 0;
}

int
ng_fib_del(struct ng_fib *f, const struct ng_prefix *prefix)
{
	struct ng_prefix p = ng_prefix_masked(prefix);
	int i = route_find(f, &p);
	uint32_t nh;

	if (i < 0)
		return -ENOENT;
	nh = f->routes[i].nh;
	if (lpm_del(f, &p) < 0)
		return -ENOENT;
	/* Keep insertion order for walks. */
	memmove(&f->routes[i], &f->routes[i + 1], (f->n_routes - (uint32_t)i - 1) *
			sizeof(f->routes[0]));
	f->n_routes--;
	nh_put(f, nh);
	return 0;
}

static void
fill_info(const struct ng_fib *f, const struct fib_route *r, struct ng_route_info *out)
{
	const struct ng_nexthop *nh = &f->dp.nh[r->nh];

	memset(out, 0, sizeof(*out));
	out->prefix = r->prefix;
	out->origin = r->origin;
	out->type = (enum ng_nh_type)nh->type;
	out->port = nh->port;
	if (nh->family == AF_INET6) {
		static const uint8_t zero[16];

		if (nh->type == NG_NH_GATEWAY) {
			out->gw.family = AF_INET6;
			memcpy(out->gw.v6, nh->gw6, 16);
		}
		if (memcmp(nh->src6, zero, 16) != 0) {
			out->src.family = AF_INET6;
			memcpy(out->src.v6, nh->src6, 16);
		}
		return;
	}
	if (nh->type == NG_NH_GATEWAY) {
		out->gw.family = AF_INET;
		out->gw.v4 = nh->gw4;
	}
	if (nh->src4 != 0) {
		out->src.family = AF_INET;
		out->src.v4 = nh->src4;
	}
}

int
ng_fib_lookup(const struct ng_fib *f, const struct ng_ip *dst, struct ng_route_info *out)
{
	uint32_t idx;
	int best = -1;

	if (dst->family == AF_INET6) {
		const struct ng_nexthop *nh = ng_fib_lookup6_dp(&f->dp, dst->v6);

		if (nh == NULL)
			return -ENOENT;
		idx = (uint32_t)(nh - f->dp.nh);
	} else if (dst->family != AF_INET) {
		return -ENOENT;
	} else if (rte_lpm_lookup(f->dp.lpm4, rte_be_to_cpu_32(dst->v4), &idx) != 0) {
		if (f->dp.default4 < 0)
			return -ENOENT;
		idx = (uint32_t)f->dp.default4;
	}
	/* Report the most specific configured route through that next hop. */
	for (uint32_t i = 0; i < f->n_routes; i++) {
		if (f->routes[i].nh != idx || !ng_prefix_contains(&f->routes[i].prefix, dst))
			continue;
		if (best < 0 || f->routes[i].prefix.len > f->routes[best].prefix.len)
			best = (int)i;
	}
	if (best < 0)
		return -ENOENT;
	fill_info(f, &f->routes[best], out);
	return 0;
}

int
ng_fib_get(const struct ng_fib *f, const struct ng_prefix *prefix, struct ng_route_info *out)
{
	struct ng_prefix p;
	int i;

	if ((prefix->addr.family != AF_INET || prefix->len > 32) &&
			(prefix->addr.family != AF_INET6 || prefix->len > 128))
		return -ENOENT;
	p = ng_prefix_masked(prefix);
	i = route_find(f, &p);
	if (i < 0)
		return -ENOENT;
	fill_info(f, &f->routes[i], out);
	return 0;
}

unsigned int
ng_fib_walk(const struct ng_fib *f, int (*cb)(const struct ng_route_info *r, void *arg),
		void *arg)
{
	struct ng_route_info info;
	unsigned int n = 0;

	for (uint32_t i = 0; i < f->n_routes; i++) {
		fill_info(f, &f->routes[i], &info);
		n++;
		if (cb(&info, arg) != 0)
			break;
	}
	return n;
}

void
ng_fib_reclaim(struct ng_fib *f)
{
	if (f != NULL && f->nh_dq != NULL)
		rte_rcu_qsbr_dq_reclaim(f->nh_dq, f->max_nh, NULL, NULL, NULL);
}
