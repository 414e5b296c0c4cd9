/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "ng_exit.h"
#include "ng_idtab.h"
#include "ng_limits.h"
#include "ng_log.h"
#include "route_dp.h"

/*
 * The control core's books beside the LPM, every operation O(1): routes in
 * slots found by prefix through a hash and chained in insertion order (for
 * walks), next hops shared through a hash of what they hold, free slots of
 * both on stacks. A VIP route is a /32 with a next hop of its own (its source
 * is the VIP), so at 100,000 services both tables hold 100,000 entries: a
 * linear scan per add made a start quadratic. They live on the process heap:
 * only what the workers read (the LPM, the next hops) is in DPDK memory.
 */
#define NONE UINT32_MAX

/*
 * tbl8 groups of the IPv6 LPM (1 KiB each): a route costs one per byte of its
 * prefix past the first 24 bits that no other route shares, a /128 at most 13
 * (IPv6 VIPs in one /112 share all but the last two).
 */
#define FIB_TBL8_6 4096

struct fib_route {
	struct ng_prefix prefix;
	enum ng_route_origin origin;
	uint32_t nh;
	uint32_t prev, next; /* insertion order; NONE ends */
};

/* Hash key of a route: a masked prefix (an IPv4 address in the first 4 bytes). */
struct fib_rkey {
	uint8_t family;
	uint8_t len;
	uint8_t pad[2];
	uint8_t addr[16];
};

/* Hash key of a next hop: what makes two next hops the same one. */
struct fib_nkey {
	uint8_t type;
	uint8_t family;
	uint16_t port;
	uint32_t gw4;
	uint32_t src4;
	uint8_t gw6[16];
	uint8_t src6[16];
};

struct ng_fib {
	struct ng_fib_dp dp; /* first: workers cast to it */
	uint32_t max_nh;
	uint32_t max_routes;
	struct fib_route *routes;
	uint32_t n_routes;
	uint32_t head, tail;      /* insertion order */
	uint32_t *rt_free;        /* free route slots (a stack) */
	uint32_t n_rt_free;
	uint32_t *nh_free;        /* free next-hop slots (a stack); a slot waiting
	                           * for a grace period is on neither */
	uint32_t n_nh_free;
	struct ng_idtab rt_idx;   /* fib_rkey -> route slot */
	struct ng_idtab nh_idx;   /* fib_nkey -> next-hop slot, while refs > 0 */
	struct rte_rcu_qsbr_dq *nh_dq;
	struct rte_rcu_qsbr *qsbr;
	uint64_t lpm6_token;      /* grace period started by the last IPv6 delete */
	bool lpm6_deleted;        /* ... which an IPv6 add must wait for */
	/* Routes per prefix length ([0] IPv4 /0-/32, [1] IPv6 /0-/128) and a bit
	 * per length that has any: ng_fib_lookup() tries only those. */
	uint32_t n_len[2][129];
	uint64_t lens[2][3];
};

static uint32_t
key_hash(const void *k, uint32_t len)
{
	return rte_hash_crc(k, len, 0x6e676662);
}

static bool
rt_eq(uint32_t id, const void *key, void *arg)
{
	const struct fib_route *r = &((const struct ng_fib *)arg)->routes[id];
	const struct fib_rkey *k = key;

	return r->prefix.addr.family == k->family && r->prefix.len == k->len &&
			(k->family == AF_INET ? memcmp(&r->prefix.addr.v4, k->addr, 4) == 0 :
			memcmp(r->prefix.addr.v6, k->addr, 16) == 0);
}

static bool
nh_eq(uint32_t id, const void *key, void *arg)
{
	const struct ng_nexthop *nh = &((const struct ng_fib *)arg)->dp.nh[id];
	const struct fib_nkey *k = key;

	return nh->type == k->type && nh->family == k->family && nh->port == k->port &&
			nh->gw4 == k->gw4 && nh->src4 == k->src4 &&
			memcmp(nh->gw6, k->gw6, 16) == 0 && memcmp(nh->src6, k->src6, 16) == 0;
}

static void
nh_reclaimed(void *p, void *e, unsigned int n)
{
	struct ng_fib *f = p;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t idx = ((uint32_t *)e)[i];

		memset(&f->dp.nh[idx], 0, sizeof(f->dp.nh[idx]));
		f->nh_free[f->n_nh_free++] = idx;
	}
}

static int
dq_new(struct ng_fib *f, struct rte_rcu_qsbr *qsbr, unsigned int seq)
{
	struct rte_rcu_qsbr_dq_parameters dqp = {0};
	char name[RTE_RCU_QSBR_DQ_NAMESIZE];

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
	return f->nh_dq == NULL ? -ENOMEM : 0;
}

struct ng_fib *
ng_fib_create(uint32_t max_routes, struct rte_rcu_qsbr *qsbr)
{
	static unsigned int seq;
	uint32_t n_tbl8 = max_routes < 1024 ? 1024 : max_routes;
	struct rte_lpm6_config lc6 = {.max_rules = max_routes, .number_tbl8s = FIB_TBL8_6};
	char name[RTE_LPM6_NAMESIZE];
	struct ng_fib *f;

	if (max_routes == 0 || max_routes > NG_FIB_ROUTES_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}
	/* Every route longer than /24 may take a group of its own, up to the cap. */
	if (n_tbl8 > NG_FIB_TBL8_GROUPS)
		n_tbl8 = NG_FIB_TBL8_GROUPS;
	f = rte_zmalloc("ng_fib", sizeof(*f), RTE_CACHE_LINE_SIZE);
	if (f == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	seq++;
	f->max_routes = max_routes;
	f->dp.default4 = -1;
	f->dp.default6 = -1;
	f->qsbr = qsbr;
	f->max_nh = max_routes + 1;
	f->head = f->tail = NONE;
	/* The control core's books live on the process heap; DPDK memory holds
	 * what the workers read (the LPM and the next hops). */
	f->routes = calloc(max_routes, sizeof(*f->routes));
	f->rt_free = malloc(sizeof(*f->rt_free) * max_routes);
	f->nh_free = malloc(sizeof(*f->nh_free) * f->max_nh);
	f->dp.nh = rte_zmalloc("ng_fib_nh", sizeof(*f->dp.nh) * f->max_nh, RTE_CACHE_LINE_SIZE);
	snprintf(name, sizeof(name), "ng_l4_%u", seq);
	f->dp.lpm4 = ng_lpm4_create(name, max_routes, n_tbl8, qsbr);
	snprintf(name, sizeof(name), "ng_lpm6_%u", seq);
	f->dp.lpm6 = rte_lpm6_create(name, SOCKET_ID_ANY, &lc6);
	if (f->routes == NULL || f->rt_free == NULL || f->nh_free == NULL || f->dp.nh == NULL ||
			f->dp.lpm4 == NULL || f->dp.lpm6 == NULL || ng_idtab_init(&f->rt_idx, rt_eq, f) < 0 ||
			ng_idtab_init(&f->nh_idx, nh_eq, f) < 0)
		goto fail;
	/* Stacks that hand out the lowest slots first. */
	for (uint32_t i = 0; i < max_routes; i++)
		f->rt_free[i] = max_routes - 1 - i;
	f->n_rt_free = max_routes;
	for (uint32_t i = 0; i < f->max_nh; i++)
		f->nh_free[i] = f->max_nh - 1 - i;
	f->n_nh_free = f->max_nh;
	if (qsbr != NULL && dq_new(f, qsbr, seq) != 0)
		goto fail;
	return f;
fail:
	ng_fib_free(f);
	rte_errno = ENOMEM;
	return NULL;
}

void
ng_fib_free(struct ng_fib *f)
{
	if (f == NULL)
		return;
	/*
	 * Deleting the defer queue reclaims the next hops still waiting for a
	 * grace period, and its callback (nh_reclaimed) writes nh_free and
	 * dp.nh: before those go. At exit nothing is reclaimed (the heap goes
	 * whole, and nh_free with the process).
	 */
	if (f->nh_dq != NULL && !ng_exiting())
		rte_rcu_qsbr_dq_delete(f->nh_dq);
	ng_lpm4_free(f->dp.lpm4);
	ng_idtab_fini(&f->rt_idx);
	ng_idtab_fini(&f->nh_idx);
	free(f->routes);
	free(f->rt_free);
	free(f->nh_free);
	/* At exit the heap goes whole: freeing would zero each LPM's 64 MiB tbl24. */
	if (ng_exiting())
		return;
	rte_lpm6_free(f->dp.lpm6);
	rte_free(f->dp.nh);
	rte_free(f);
}

static struct fib_rkey
rkey(const struct ng_prefix *p)
{
	struct fib_rkey k = {.family = p->addr.family, .len = p->len};

	memcpy(k.addr, p->addr.family == AF_INET ? (const void *)&p->addr.v4 : p->addr.v6,
			p->addr.family == AF_INET ? 4 : 16);
	return k;
}

/* The slot of the route with exactly prefix p (masked), or -1. */
static int
route_find(const struct ng_fib *f, const struct ng_prefix *p)
{
	struct fib_rkey k = rkey(p);

	return (int)ng_idtab_find(&f->rt_idx, key_hash(&k, sizeof(k)), &k);
}

/* Count a route of prefix p in (d = 1) or out (d = -1) of the lengths in use. */
static void
len_count(struct ng_fib *f, const struct ng_prefix *p, int d)
{
	unsigned int fam = p->addr.family == AF_INET6, len = p->len;
	uint64_t bit = 1ull << (len & 63);

	f->n_len[fam][len] += (uint32_t)d; /* -1 wraps to a decrement */
	if (f->n_len[fam][len] != 0)
		f->lens[fam][len >> 6] |= bit;
	else
		f->lens[fam][len >> 6] &= ~bit;
}

/* The longest prefix length of at most len that a route of family fam (0 IPv4,
 * 1 IPv6) has, or -1. */
static int
len_prev(const struct ng_fib *f, unsigned int fam, int len)
{
	for (int w = len < 0 ? -1 : len >> 6; w >= 0; w--) {
		uint64_t m = f->lens[fam][w];

		if (w == len >> 6)
			m &= ~0ull >> (63 - (len & 63));
		if (m != 0)
			return w * 64 + 63 - __builtin_clzll(m);
	}
	return -1;
}

/* Put a new route in slot i. @return 0, or -ENOMEM (nothing changed). */
static int
route_link(struct ng_fib *f, uint32_t i, const struct ng_prefix *p,
		enum ng_route_origin origin, uint32_t nh)
{
	struct fib_rkey k = rkey(p);
	struct fib_route *r = &f->routes[i];

	if (ng_idtab_add(&f->rt_idx, key_hash(&k, sizeof(k)), i) < 0)
		return -ENOMEM;

	r->prefix = *p;
	r->origin = origin;
	r->nh = nh;
	r->prev = f->tail;
	r->next = NONE;
	if (f->tail != NONE)
		f->routes[f->tail].next = i;
	else
		f->head = i;
	f->tail = i;
	f->n_routes++;
	f->n_rt_free--;
	len_count(f, p, 1);
	return 0;
}

static void
route_unlink(struct ng_fib *f, uint32_t i)
{
	struct fib_route *r = &f->routes[i];
	struct fib_rkey k = rkey(&r->prefix);

	ng_idtab_del(&f->rt_idx, key_hash(&k, sizeof(k)), i);
	len_count(f, &r->prefix, -1);
	if (r->prev != NONE)
		f->routes[r->prev].next = r->next;
	else
		f->head = r->next;
	if (r->next != NONE)
		f->routes[r->next].prev = r->prev;
	else
		f->tail = r->prev;
	f->n_routes--;
	f->rt_free[f->n_rt_free++] = i;
}

static struct fib_nkey
nkey(const struct ng_nexthop *nh)
{
	struct fib_nkey k = {.type = nh->type, .family = nh->family, .port = nh->port,
			.gw4 = nh->gw4, .src4 = nh->src4};

	memcpy(k.gw6, nh->gw6, 16);
	memcpy(k.src6, nh->src6, 16);
	return k;
}

/* Share an identical next hop, or take a free slot. */
static int
nh_get(struct ng_fib *f, const struct ng_nexthop *want)
{
	struct fib_nkey k = nkey(want);
	uint32_t h = key_hash(&k, sizeof(k)), i;
	int64_t found = ng_idtab_find(&f->nh_idx, h, &k);

	if (found >= 0) {
		f->dp.nh[found].refs++;
		return (int)found;
	}
	if (f->n_nh_free == 0)
		ng_fib_reclaim(f);
	if (f->n_nh_free == 0)
		return -ENOSPC;
	i = f->nh_free[f->n_nh_free - 1];
	if (ng_idtab_add(&f->nh_idx, h, i) < 0)
		return -ENOMEM;
	f->n_nh_free--;
	f->dp.nh[i] = *want;
	f->dp.nh[i].refs = 1;
	/* The slot is complete before the LPM can point a worker at it. */
	rte_atomic_thread_fence(__ATOMIC_RELEASE);
	return (int)i;
}

static void
nh_put(struct ng_fib *f, uint32_t idx)
{
	struct ng_nexthop *nh = &f->dp.nh[idx];
	struct fib_nkey k;

	if (--nh->refs > 0)
		return;
	k = nkey(nh);
	/* Workers may still hold the index they got from the LPM. */
	if (f->nh_dq != NULL && rte_rcu_qsbr_dq_enqueue(f->nh_dq, &idx) != 0) {
		NG_LOG(WARNING, ROUTE, "next-hop defer queue full; slot %u left in use", idx);
		nh->refs = 1;
		return;
	}
	ng_idtab_del(&f->nh_idx, key_hash(&k, sizeof(k)), idx);
	if (f->nh_dq != NULL)
		return;
	memset(nh, 0, sizeof(*nh));
	f->nh_free[f->n_nh_free++] = idx;
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

/* IPv6 results changed: the workers' IPv6 FIB caches are stale (route_dp.h gen6). */
static inline void
gen6_move(struct ng_fib *f)
{
	__atomic_store_n(&f->dp.gen6, f->dp.gen6 + 1, __ATOMIC_RELEASE);
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
	int rc;

	if (p->len == 0) {
		__atomic_store_n(p->addr.family == AF_INET ? &f->dp.default4 : &f->dp.default6,
				(int32_t)nh, __ATOMIC_RELEASE);
		if (p->addr.family == AF_INET6)
			gen6_move(f);
		return 0;
	}
	if (p->addr.family == AF_INET)
		return ng_lpm4_add(f->dp.lpm4, rte_be_to_cpu_32(p->addr.v4), p->len, nh);
	if (f->lpm6_deleted) {
		uint64_t end = rte_get_tsc_cycles() + rte_get_tsc_hz() / 10;

		/* At most 100 ms: a worker that stopped reporting fails the add. */
		while (rte_rcu_qsbr_check(f->qsbr, f->lpm6_token, false) == 0)
			if (rte_get_tsc_cycles() > end)
				return -EBUSY;
		f->lpm6_deleted = false;
	}
	rc = rte_lpm6_add(f->dp.lpm6, p->addr.v6, p->len, nh);
	gen6_move(f);
	return rc;
}

static int
lpm_del(struct ng_fib *f, const struct ng_prefix *p)
{
	int rc;

	if (p->len == 0) {
		__atomic_store_n(p->addr.family == AF_INET ? &f->dp.default4 : &f->dp.default6,
				-1, __ATOMIC_RELEASE);
		if (p->addr.family == AF_INET6)
			gen6_move(f);
		return 0;
	}
	if (p->addr.family == AF_INET)
		return ng_lpm4_delete(f->dp.lpm4, rte_be_to_cpu_32(p->addr.v4), p->len);
	rc = rte_lpm6_delete(f->dp.lpm6, p->addr.v6, p->len);
	gen6_move(f);
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
		return rc;
	}
	if (existing >= 0) {
		uint32_t old = f->routes[existing].nh;

		f->routes[existing].nh = (uint32_t)nh;
		f->routes[existing].origin = origin;
		nh_put(f, old);
	} else if (route_link(f, f->rt_free[f->n_rt_free - 1], &p, origin, (uint32_t)nh) < 0) {
		lpm_del(f, &p);
		nh_put(f, (uint32_t)nh);
		return -ENOMEM;
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
	route_unlink(f, (uint32_t)i);
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

/* ng_fib_lookup() of an IPv6 destination: the LPM6's answer, then its route by prefix. */
static int
lookup6(const struct ng_fib *f, const struct ng_ip *dst, struct ng_route_info *out)
{
	const struct ng_nexthop *nh = ng_fib_lookup6_dp(&f->dp, dst->v6);

	if (nh == NULL)
		return -ENOENT;
	for (int len = len_prev(f, 1, 128); len >= 0; len = len_prev(f, 1, len - 1)) {
		struct ng_prefix p = {.addr = *dst, .len = (uint8_t)len};
		int i;

		p = ng_prefix_masked(&p);
		i = route_find(f, &p);
		if (i >= 0 && &f->dp.nh[f->routes[i].nh] == nh) {
			fill_info(f, &f->routes[i], out);
			return 0;
		}
	}
	return -ENOENT;
}

int
ng_fib_lookup(const struct ng_fib *f, const struct ng_ip *dst, struct ng_route_info *out)
{
	uint32_t idx;

	if (dst->family == AF_INET6)
		return lookup6(f, dst, out);
	if (dst->family != AF_INET)
		return -ENOENT;
	if (ng_lpm4_lookup(f->dp.lpm4, rte_be_to_cpu_32(dst->v4), &idx) != 0) {
		if (f->dp.default4 < 0)
			return -ENOENT;
		idx = (uint32_t)f->dp.default4;
	}
	/* Report the most specific configured route through that next hop: the
	 * LPM's own answer, found by prefix from /32 down, trying only the lengths
	 * some route has (a node's table has a handful: /32 VIPs, /24s, /0). */
	for (int len = len_prev(f, 0, 32); len >= 0; len = len_prev(f, 0, len - 1)) {
		uint32_t mask = len == 0 ? 0 : rte_cpu_to_be_32(~0u << (32 - len));
		struct ng_prefix p = {.addr = {.family = AF_INET, .v4 = dst->v4 & mask},
				.len = (uint8_t)len};
		int i = route_find(f, &p);

		if (i >= 0 && f->routes[i].nh == idx) {
			fill_info(f, &f->routes[i], out);
			return 0;
		}
	}
	return -ENOENT;
}

void
ng_fib_prefix_lens(const struct ng_fib *f, int family, uint64_t lens[3])
{
	if (family == AF_INET || family == AF_INET6)
		memcpy(lens, f->lens[family == AF_INET6], sizeof(f->lens[0]));
	else
		memset(lens, 0, sizeof(f->lens[0]));
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

	for (uint32_t i = f->head; i != NONE; i = f->routes[i].next) {
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
	if (f == NULL)
		return;
	if (f->nh_dq != NULL)
		rte_rcu_qsbr_dq_reclaim(f->nh_dq, f->max_nh, NULL, NULL, NULL);
	ng_lpm4_reclaim(f->dp.lpm4);
}
