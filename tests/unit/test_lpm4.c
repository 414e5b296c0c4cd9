/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/route/lpm4.c, the FIB's IPv4 DIR-24-8 LPM: thousands of
 * random adds, replaces and deletes (every depth 1-32, overlapping prefixes
 * packed into a few /24s so groups fill, collapse and grow again, the groups
 * and the rules run out) checked after every step against a plain list
 * searched for the longest match; the /24-/25 boundary; the errors; and a
 * collapsed group that is not reused before the readers' grace period.
 *
 * EAL runs with --no-huge (the first-level table is 64 MiB of DPDK memory).
 * NG_LPM4_SEED=n replays a random run; a failure prints its seed and step.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "lpm4.h"

/* ---- the reference: a plain list, longest match by scanning it ---- */

#define REF_MAX 512

struct ref_rule {
	uint32_t ip;
	uint8_t depth;
	uint32_t nh;
};

struct ref {
	struct ref_rule r[REF_MAX];
	unsigned int n;
};

static uint32_t
mask(unsigned int depth)
{
	return depth == 0 ? 0 : ~0u << (32 - depth);
}

static int
ref_find(const struct ref *ref, uint32_t ip, unsigned int depth)
{
	for (unsigned int i = 0; i < ref->n; i++)
		if (ref->r[i].depth == depth && ref->r[i].ip == (ip & mask(depth)))
			return (int)i;
	return -1;
}

/* @return the next hop, or -1. */
static int64_t
ref_lookup(const struct ref *ref, uint32_t ip)
{
	int best = -1;

	for (unsigned int i = 0; i < ref->n; i++)
		if ((ip & mask(ref->r[i].depth)) == ref->r[i].ip &&
				(best < 0 || ref->r[i].depth > ref->r[best].depth))
			best = (int)i;
	return best < 0 ? -1 : (int64_t)ref->r[best].nh;
}

/* /24 networks holding a rule longer than /24: the groups the LPM must hold. */
static unsigned int
ref_groups(const struct ref *ref)
{
	uint32_t seen[REF_MAX];
	unsigned int n = 0;

	for (unsigned int i = 0; i < ref->n; i++) {
		unsigned int j;

		if (ref->r[i].depth <= 24)
			continue;
		for (j = 0; j < n && seen[j] != ref->r[i].ip >> 8; j++)
			;
		if (j == n)
			seen[n++] = ref->r[i].ip >> 8;
	}
	return n;
}

static bool
ref_has_long(const struct ref *ref, uint32_t ip)
{
	for (unsigned int i = 0; i < ref->n; i++)
		if (ref->r[i].depth > 24 && ref->r[i].ip >> 8 == ip >> 8)
			return true;
	return false;
}

/* ---- checks ---- */

static uint64_t seed;
static unsigned int step;

static void
check_addr(const struct ng_lpm4 *l, const struct ref *ref, uint32_t ip)
{
	int64_t want = ref_lookup(ref, ip);
	uint32_t nh = UINT32_MAX;
	int rc = ng_lpm4_lookup(l, ip, &nh);
	int64_t got = rc == 0 ? (int64_t)nh : -1;

	if (got != want)
		print_error("seed %llu step %u: %u.%u.%u.%u gives %lld, the reference %lld\n",
				(unsigned long long)seed, step, ip >> 24, (ip >> 16) & 0xff,
				(ip >> 8) & 0xff, ip & 0xff, (long long)got, (long long)want);
	assert_int_equal(got, want);
	if (rc != 0)
		assert_int_equal(rc, -ENOENT);
}

/* The prefix's ends, the addresses either side, and its /24's ends and middle. */
static void
check_around(const struct ng_lpm4 *l, const struct ref *ref, uint32_t ip, unsigned int depth)
{
	uint32_t first = ip & mask(depth), last = first | ~mask(depth), net = first & mask(24);
	const uint32_t a[] = {first, last, first - 1, last + 1, net, net | 0x7f, net | 0x80,
		net | 0xff, net - 1, (net | 0xff) + 1, first + (last - first) / 2};

	for (unsigned int i = 0; i < RTE_DIM(a); i++)
		check_addr(l, ref, a[i]);
}

/* With RCU, collapsed groups wait: at least the groups the rules need are used. */
static void
check_counts(const struct ng_lpm4 *l, const struct ref *ref, bool rcu)
{
	assert_int_equal(ng_lpm4_rules(l), ref->n);
	if (rcu)
		assert_true(ng_lpm4_groups_used(l) >= ref_groups(ref));
	else
		assert_int_equal(ng_lpm4_groups_used(l), ref_groups(ref));
}

/* ---- random numbers (xorshift64*) ---- */

static uint64_t rng;

static uint32_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

/* ---- EAL ---- */

static int
group_setup(void **state)
{
	char prefix[64];
	char *argv[] = {
		"test_lpm4", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--file-prefix", prefix, "-l", "0", "--log-level", "lib.*:error", NULL,
	};

	(void)state;
	snprintf(prefix, sizeof(prefix), "ng_test_lpm4_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

static struct rte_rcu_qsbr *
qsbr_new(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *v = rte_zmalloc("test_qsbr", sz, RTE_CACHE_LINE_SIZE);

	assert_non_null(v);
	assert_int_equal(rte_rcu_qsbr_init(v, 1), 0);
	assert_int_equal(rte_rcu_qsbr_thread_register(v, 0), 0);
	return v;
}

static void
qsbr_free(struct rte_rcu_qsbr *v)
{
	assert_int_equal(rte_rcu_qsbr_thread_unregister(v, 0), 0);
	rte_free(v);
}

static uint32_t
ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

/* ---- the random run ---- */

#define RANDOM_STEPS 20000
#define RANDOM_GROUPS 12     /* fewer than the region's 16 /24s: they run out */
#define RANDOM_RULES 48      /* and so do the rules */
#define RCU_STEPS 5000
#define RCU_GROUPS 64        /* the region's 16 and what waits for a grace period */
#define RCU_EVERY 5          /* steps between the reader's quiescent states */
#define REGION 0x0a000000u   /* 10.0.0.0/20: 16 /24s */
#define REGION_BITS 12

/* A depth: mostly 16-32, where the region's rules overlap; 1-15 now and then
 * (a /1 rewrites 8 million first-level entries). */
static unsigned int
rnd_depth(void)
{
	uint32_t r = rnd() % 100;

	if (r < 3)
		return 1 + rnd() % 15;
	if (r < 40)
		return 25 + rnd() % 8; /* longer than /24: groups */
	return 16 + rnd() % 17;
}

static uint32_t
rnd_addr(void)
{
	if (rnd() % 16 == 0)
		return rnd();
	return REGION | (rnd() & ((1u << REGION_BITS) - 1));
}

/* One random change, checked against the reference; groups is what the LPM
 * has (0: more than the region can use).
 * @return 1 for an add refused for want of a group, 2 of a rule slot, else 0. */
static int
random_step(struct ng_lpm4 *l, struct ref *ref, unsigned int groups, uint32_t *ip,
		unsigned int *depth)
{
	uint32_t op = rnd() % 100;

	if (op < 35 && ref->n > 0) {
		/* delete one (each delete that removes a /24's last long rule collapses it) */
		unsigned int i = rnd() % ref->n;

		*ip = ref->r[i].ip;
		*depth = ref->r[i].depth;
		assert_int_equal(ng_lpm4_delete(l, *ip, (uint8_t)*depth), 0);
		ref->r[i] = ref->r[--ref->n];
	} else if (op < 45 && ref->n > 0) {
		/* replace one's next hop (the address given unmasked) */
		unsigned int i = rnd() % ref->n;
		uint32_t nh = rnd() & NG_LPM4_NH_MAX;

		*depth = ref->r[i].depth;
		*ip = ref->r[i].ip | (rnd() & ~mask(*depth));
		assert_int_equal(ng_lpm4_add(l, *ip, (uint8_t)*depth, nh), 0);
		ref->r[i].nh = nh;
	} else if (op < 48) {
		/* delete one that is not there */
		*depth = rnd_depth();
		*ip = rnd_addr();
		if (ref_find(ref, *ip, *depth) < 0)
			assert_int_equal(ng_lpm4_delete(l, *ip, (uint8_t)*depth), -ENOENT);
	} else {
		/* add one, unless it is there; predict the refusals */
		uint32_t nh = rnd() & NG_LPM4_NH_MAX;
		int want = 0;

		*depth = rnd_depth();
		*ip = rnd_addr();
		if (ref_find(ref, *ip, *depth) >= 0)
			return 0;
		if (ref->n == RANDOM_RULES)
			want = 2;
		else if (groups != 0 && *depth > 24 && !ref_has_long(ref, *ip) &&
				ref_groups(ref) == groups)
			want = 1;
		assert_int_equal(ng_lpm4_add(l, *ip, (uint8_t)*depth, nh), want ? -ENOSPC : 0);
		if (want == 0)
			ref->r[ref->n++] = (struct ref_rule){.ip = *ip & mask(*depth),
				.depth = (uint8_t)*depth, .nh = nh};
		return want;
	}
	return 0;
}

struct run_stats {
	unsigned int refused[3]; /* random_step()'s answers */
	unsigned int collapsed, max_groups, max_rules;
};

/* Random steps on l (groups: as random_step()), reader 0 of v (if any) online
 * and reporting every RCU_EVERY steps; then empty it. */
static void
run_random(struct ng_lpm4 *l, struct rte_rcu_qsbr *v, unsigned int groups, unsigned int steps,
		struct run_stats *st)
{
	static struct ref ref;
	const char *s = getenv("NG_LPM4_SEED");

	memset(&ref, 0, sizeof(ref));
	memset(st, 0, sizeof(*st));
	seed = s != NULL && *s != '\0' ? strtoull(s, NULL, 0) : 0x6e67334c504d34ull;
	rng = seed ^ 0x9e3779b97f4a7c15ull; /* never 0 for the seeds one types */
	if (v != NULL)
		rte_rcu_qsbr_thread_online(v, 0);
	for (step = 0; step < steps; step++) {
		unsigned int before = ref_groups(&ref), depth = 0;
		uint32_t ip = 0;

		st->refused[random_step(l, &ref, groups, &ip, &depth)]++;
		if (depth != 0)
			check_around(l, &ref, ip, depth);
		for (unsigned int i = 0; i < 24; i++)
			check_addr(l, &ref, rnd_addr());
		check_counts(l, &ref, v != NULL);
		if (ref_groups(&ref) < before)
			st->collapsed++;
		if (ref_groups(&ref) > st->max_groups)
			st->max_groups = ref_groups(&ref);
		if (ref.n > st->max_rules)
			st->max_rules = ref.n;
		/* now and then every address of the region */
		if (step % 500 == 499)
			for (uint32_t a = 0; a < 1u << REGION_BITS; a++)
				check_addr(l, &ref, REGION | a);
		if (v != NULL && step % RCU_EVERY == 0)
			rte_rcu_qsbr_quiescent(v, 0);
	}
	/* empty it: nothing left anywhere */
	while (ref.n > 0) {
		assert_int_equal(ng_lpm4_delete(l, ref.r[0].ip, ref.r[0].depth), 0);
		ref.r[0] = ref.r[--ref.n];
		check_counts(l, &ref, v != NULL);
	}
	for (uint32_t a = 0; a < 1u << REGION_BITS; a++)
		check_addr(l, &ref, REGION | a);
	for (unsigned int i = 0; i < 4096; i++)
		check_addr(l, &ref, rnd());
	if (v != NULL) {
		rte_rcu_qsbr_quiescent(v, 0);
		ng_lpm4_reclaim(l);
		assert_int_equal(ng_lpm4_groups_used(l), 0);
		rte_rcu_qsbr_thread_offline(v, 0);
	}
	print_message("seed %llu: %u collapses, at most %u groups and %u rules, %u adds refused "
			"for want of a group, %u of a rule\n", (unsigned long long)seed,
			st->collapsed, st->max_groups, st->max_rules, st->refused[1],
			st->refused[2]);
}

/* No readers: a collapsed group is free at once, and the groups run out. */
static void
lpm4_random(void **state)
{
	struct ng_lpm4 *l = ng_lpm4_create("t_rand", RANDOM_RULES, RANDOM_GROUPS, NULL);
	struct run_stats st;

	(void)state;
	assert_non_null(l);
	run_random(l, NULL, RANDOM_GROUPS, RANDOM_STEPS, &st);
	/* the run reached what it is for */
	assert_true(st.collapsed > 100);
	assert_int_equal(st.max_groups, RANDOM_GROUPS);
	assert_true(st.refused[1] > 0);
	assert_true(st.refused[2] > 0);
	ng_lpm4_free(l);
}

/* A reader: collapsed groups wait for its quiescent states, then come back. */
static void
lpm4_random_rcu(void **state)
{
	struct rte_rcu_qsbr *v = qsbr_new();
	struct ng_lpm4 *l = ng_lpm4_create("t_rand_rcu", RANDOM_RULES, RCU_GROUPS, v);
	struct run_stats st;

	(void)state;
	assert_non_null(l);
	run_random(l, v, 0, RCU_STEPS, &st);
	/* more collapses than groups: groups were handed out again */
	assert_true(st.collapsed > RCU_GROUPS);
	assert_int_equal(st.refused[1], 0);
	ng_lpm4_free(l);
	qsbr_free(v);
}

/* ---- fixed cases ---- */

static void
expect(const struct ng_lpm4 *l, uint32_t ip, int64_t want)
{
	uint32_t nh = UINT32_MAX;
	int rc = ng_lpm4_lookup(l, ip, &nh);

	if (want < 0) {
		assert_int_equal(rc, -ENOENT);
	} else {
		assert_int_equal(rc, 0);
		assert_int_equal(nh, want);
	}
}

/* A /24 and its two /25s; routes of at most /24 over a group; collapse and regrow. */
static void
lpm4_boundaries(void **state)
{
	struct ng_lpm4 *l = ng_lpm4_create("t_bound", 64, 4, NULL);
	uint32_t net = ip4(10, 1, 2, 0);

	(void)state;
	assert_non_null(l);
	assert_int_equal(ng_lpm4_add(l, net, 24, 1), 0);
	assert_int_equal(ng_lpm4_groups_used(l), 0);
	assert_int_equal(ng_lpm4_add(l, net | 0x80, 25, 2), 0);
	assert_int_equal(ng_lpm4_groups_used(l), 1);
	expect(l, net, 1);
	expect(l, net | 0x7f, 1);
	expect(l, net | 0x80, 2);
	expect(l, net | 0xff, 2);
	expect(l, net - 1, -1);
	expect(l, net + 256, -1);
	assert_int_equal(ng_lpm4_add(l, net, 25, 3), 0);
	expect(l, net, 3);
	expect(l, net | 0x7f, 3);
	expect(l, net | 0x80, 2);
	/* the /24 no longer shows through, but a replace of it is kept for later */
	assert_int_equal(ng_lpm4_add(l, net | 0x55, 24, 4), 0);
	expect(l, net | 0x7f, 3);
	assert_int_equal(ng_lpm4_delete(l, net | 0x80, 25), 0);
	expect(l, net | 0x80, 4);
	expect(l, net | 0x7f, 3);
	assert_int_equal(ng_lpm4_groups_used(l), 1);
	/* the last rule longer than /24 goes: the group collapses into the first level */
	assert_int_equal(ng_lpm4_delete(l, net, 25), 0);
	assert_int_equal(ng_lpm4_groups_used(l), 0);
	assert_int_equal(l->tbl24[net >> 8] & NG_LPM4_EXT, 0);
	expect(l, net, 4);
	expect(l, net | 0xff, 4);

	/* routes of at most /24 written into a group, replaced and deleted under it */
	assert_int_equal(ng_lpm4_delete(l, net, 24), 0);
	assert_int_equal(ng_lpm4_add(l, net | 7, 32, 1), 0);
	assert_int_equal(ng_lpm4_add(l, ip4(10, 1, 0, 0), 16, 2), 0);
	expect(l, net | 7, 1);
	expect(l, net | 8, 2);
	expect(l, ip4(10, 1, 3, 8), 2);
	assert_int_equal(ng_lpm4_add(l, ip4(10, 1, 0, 0), 16, 3), 0);
	expect(l, net | 8, 3);
	expect(l, ip4(10, 1, 3, 8), 3);
	assert_int_equal(ng_lpm4_add(l, net, 24, 4), 0);
	expect(l, net | 8, 4);
	expect(l, net | 7, 1);
	assert_int_equal(ng_lpm4_delete(l, net, 24), 0);
	expect(l, net | 8, 3);
	assert_int_equal(ng_lpm4_delete(l, ip4(10, 1, 0, 0), 16), 0);
	expect(l, net | 8, -1);
	expect(l, net | 7, 1);
	/* collapse to nothing, regrow in the same /24 */
	assert_int_equal(ng_lpm4_delete(l, net | 7, 32), 0);
	assert_int_equal(ng_lpm4_groups_used(l), 0);
	assert_int_equal(l->tbl24[net >> 8], 0);
	expect(l, net | 7, -1);
	assert_int_equal(ng_lpm4_add(l, net | 9, 31, 5), 0);
	expect(l, net | 8, 5);
	expect(l, net | 9, 5);
	expect(l, net | 7, -1);
	expect(l, net | 10, -1);
	assert_int_equal(ng_lpm4_delete(l, net | 8, 31), 0);

	/* the ends of the address space */
	assert_int_equal(ng_lpm4_add(l, ip4(128, 0, 0, 0), 1, 7), 0);
	expect(l, ip4(255, 255, 255, 255), 7);
	expect(l, ip4(128, 0, 0, 0), 7);
	expect(l, ip4(127, 255, 255, 255), -1);
	assert_int_equal(ng_lpm4_add(l, 0, 1, 8), 0);
	assert_int_equal(ng_lpm4_add(l, ip4(255, 255, 255, 255), 32, 9), 0);
	assert_int_equal(ng_lpm4_add(l, 0, 32, 10), 0);
	expect(l, 0, 10);
	expect(l, 1, 8);
	expect(l, ip4(127, 255, 255, 255), 8);
	expect(l, ip4(255, 255, 255, 255), 9);
	expect(l, ip4(255, 255, 255, 254), 7);
	assert_int_equal(ng_lpm4_delete(l, ip4(128, 0, 0, 0), 1), 0);
	expect(l, ip4(255, 255, 255, 254), -1);
	expect(l, ip4(255, 255, 255, 255), 9);
	assert_int_equal(ng_lpm4_delete(l, 0, 1), 0);
	expect(l, 1, -1);
	expect(l, 0, 10);
	assert_int_equal(ng_lpm4_rules(l), 2);
	assert_int_equal(ng_lpm4_groups_used(l), 2);
	ng_lpm4_free(l);
}

static void
lpm4_errors(void **state)
{
	struct ng_lpm4 *l;
	uint32_t a = ip4(10, 0, 0, 1), b = ip4(10, 0, 1, 1);

	(void)state;
	rte_errno = 0;
	assert_null(ng_lpm4_create("t_err", 0, 1, NULL));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(ng_lpm4_create("t_err", 1, 0, NULL));
	assert_null(ng_lpm4_create("t_err", 1, NG_LPM4_GROUPS_MAX + 1, NULL));
	assert_null(ng_lpm4_create(NULL, 1, 1, NULL));
	ng_lpm4_free(NULL);

	l = ng_lpm4_create("t_err", 3, 1, NULL);
	assert_non_null(l);
	assert_int_equal(ng_lpm4_add(l, a, 0, 1), -EINVAL);
	assert_int_equal(ng_lpm4_add(l, a, 33, 1), -EINVAL);
	assert_int_equal(ng_lpm4_add(l, a, 32, NG_LPM4_NH_MAX + 1), -EINVAL);
	assert_int_equal(ng_lpm4_add(NULL, a, 32, 1), -EINVAL);
	assert_int_equal(ng_lpm4_delete(l, a, 0), -EINVAL);
	assert_int_equal(ng_lpm4_delete(l, a, 33), -EINVAL);
	assert_int_equal(ng_lpm4_delete(l, a, 32), -ENOENT);
	assert_int_equal(ng_lpm4_rules(l), 0);

	assert_int_equal(ng_lpm4_add(l, a, 32, NG_LPM4_NH_MAX), 0);
	expect(l, a, NG_LPM4_NH_MAX);
	assert_int_equal(ng_lpm4_delete(l, a, 31), -ENOENT);
	/* one group: a second /24 with a long rule is refused, and nothing changed */
	assert_int_equal(ng_lpm4_add(l, b & mask(24), 24, 6), 0);
	assert_int_equal(ng_lpm4_add(l, b, 32, 2), -ENOSPC);
	assert_int_equal(ng_lpm4_rules(l), 2);
	expect(l, b, 6);
	assert_int_equal(ng_lpm4_delete(l, b, 32), -ENOENT);
	/* ... while the /24 that has the group takes more */
	assert_int_equal(ng_lpm4_add(l, a + 1, 32, 3), 0);
	/* three rules: a fourth is refused, a replace is not */
	assert_int_equal(ng_lpm4_add(l, ip4(10, 9, 0, 0), 16, 4), -ENOSPC);
	assert_int_equal(ng_lpm4_rules(l), 3);
	expect(l, ip4(10, 9, 0, 0), -1);
	assert_int_equal(ng_lpm4_add(l, a + 1, 32, 5), 0);
	expect(l, a + 1, 5);
	/* the group comes free when its /24's long rules go */
	assert_int_equal(ng_lpm4_delete(l, a, 32), 0);
	assert_int_equal(ng_lpm4_delete(l, a + 1, 32), 0);
	assert_int_equal(ng_lpm4_groups_used(l), 0);
	assert_int_equal(ng_lpm4_add(l, b, 32, 2), 0);
	expect(l, b, 2);
	expect(l, b + 1, 6);
	ng_lpm4_free(l);
}

/*
 * A collapsed group may still be read by a worker that loaded the first-level
 * entry before the collapse: it stays as it was, and is handed out again only
 * after the readers' next quiescent state.
 */
static void
lpm4_group_grace_period(void **state)
{
	struct rte_rcu_qsbr *v = qsbr_new();
	struct ng_lpm4 *l = ng_lpm4_create("t_grace", 16, 2, v);
	uint32_t a = ip4(10, 0, 0, 1), b = ip4(10, 0, 1, 1), c = ip4(10, 0, 2, 1);
	uint32_t saved[NG_LPM4_GROUP_ENTRIES], g;

	(void)state;
	assert_non_null(l);
	rte_rcu_qsbr_thread_online(v, 0);
	assert_int_equal(ng_lpm4_add(l, a & mask(24), 24, 1), 0);
	assert_int_equal(ng_lpm4_add(l, a, 32, 2), 0);
	assert_int_equal(ng_lpm4_add(l, b, 32, 3), 0);
	g = l->tbl24[a >> 8];
	assert_int_equal(g & (NG_LPM4_VALID | NG_LPM4_EXT), NG_LPM4_VALID | NG_LPM4_EXT);
	g &= NG_LPM4_NH_MASK;
	memcpy(saved, &l->tbl8[g * NG_LPM4_GROUP_ENTRIES], sizeof(saved));

	assert_int_equal(ng_lpm4_delete(l, a, 32), 0);
	assert_int_equal(l->tbl24[a >> 8] & NG_LPM4_EXT, 0);
	expect(l, a, 1);
	assert_int_equal(ng_lpm4_groups_used(l), 2);
	ng_lpm4_reclaim(l);
	assert_int_equal(ng_lpm4_add(l, c, 32, 4), -ENOSPC);
	assert_memory_equal(saved, &l->tbl8[g * NG_LPM4_GROUP_ENTRIES], sizeof(saved));
	expect(l, c, -1);

	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(ng_lpm4_add(l, c, 32, 4), 0);
	assert_int_equal(l->tbl24[c >> 8], g | NG_LPM4_VALID | NG_LPM4_EXT);
	expect(l, c, 4);
	expect(l, c + 1, -1);
	expect(l, a, 1);
	expect(l, b, 3);

	/* ng_lpm4_reclaim() frees what waited, without an add asking */
	assert_int_equal(ng_lpm4_delete(l, b, 32), 0);
	assert_int_equal(ng_lpm4_groups_used(l), 2);
	rte_rcu_qsbr_quiescent(v, 0);
	ng_lpm4_reclaim(l);
	assert_int_equal(ng_lpm4_groups_used(l), 1);
	rte_rcu_qsbr_thread_offline(v, 0);
	ng_lpm4_free(l);
	qsbr_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lpm4_boundaries),
		cmocka_unit_test(lpm4_errors),
		cmocka_unit_test(lpm4_group_grace_period),
		cmocka_unit_test(lpm4_random),
		cmocka_unit_test(lpm4_random_rcu),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
