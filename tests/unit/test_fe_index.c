/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the frontend index (lib/svc/fe_index.c, svc_dp.h): commits on
 * copy-on-write chunks, read with ng_fe_lookup() as a worker reads them.
 *
 * Each test checks every key against a model after each commit, checks that a
 * published index never changes under a later commit, and ends with the DPDK
 * heap back where it started (rte_malloc memory is invisible to LSan). Also
 * the pool of slabs the chunks come from (slab_priv.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "fe_index_priv.h"
#include "slab_priv.h"

#define MAXK 40000

/* Stand-ins for service objects: only their addresses matter here. */
static struct ng_svc_obj objs[4];

/* The model: which key i maps to which object (NULL: absent). */
static struct ng_svc_obj *want[MAXK];

static struct ng_fe_key
key(uint32_t i)
{
	struct ng_fe_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.addr.v4 = rte_cpu_to_be_32(0xc6130000u + i); /* 198.19.0.0 + i */
	k.port = rte_cpu_to_be_16(80);
	k.proto = IPPROTO_TCP;
	return k;
}

static size_t
heap_allocated(void)
{
	size_t n = 0;

	for (unsigned int i = 0; i < rte_socket_count(); i++) {
		struct rte_malloc_socket_stats s;

		assert_int_equal(rte_malloc_get_socket_stats(rte_socket_id_by_idx((int)i), &s), 0);
		n += s.heap_allocsz_bytes;
	}
	return n;
}

/* Every key of [0, n) answers what the model says. */
static void
check(const struct ng_fe_index *x, uint32_t n)
{
	uint32_t held = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct ng_fe_key k = key(i);

		if (ng_fe_lookup(x, &k) != want[i])
			fail_msg("key %u: got %p, want %p", i, (void *)ng_fe_lookup(x, &k),
					(void *)want[i]);
		held += want[i] != NULL;
	}
	assert_int_equal(x->n, held);
}

/*
 * The published index and what to free with it: a commit's retire list is
 * freed (with the index it replaced) once the next commit is done, as the
 * grace period would.
 */
struct pub {
	struct ng_fe_index *cur;
	struct ng_fe_index *prev;
	struct ng_fe_chunk **retire;
	uint32_t n_retire;
};

static void
publish(struct pub *p, struct ng_fe_cow *c)
{
	if (p->prev != NULL)
		ng_fe_retire(p->prev, p->retire, p->n_retire);
	p->prev = p->cur;
	p->retire = c->retire;
	p->n_retire = c->n_retire;
	p->cur = c->x;
	memset(c, 0, sizeof(*c));
}

static void
pub_free(struct pub *p)
{
	if (p->prev != NULL)
		ng_fe_retire(p->prev, p->retire, p->n_retire);
	ng_fe_free(p->cur);
	memset(p, 0, sizeof(*p));
}

/* One commit: keys [a, b) get obj (NULL: removed, as their owner). */
static void
commit_range(struct pub *p, uint32_t a, uint32_t b, struct ng_svc_obj *obj,
		struct ng_fe_cow *out)
{
	uint32_t keys = p->cur != NULL ? p->cur->n : 0;

	for (uint32_t i = a; i < b; i++)
		keys += (obj != NULL && want[i] == NULL) - (obj == NULL && want[i] != NULL);
	assert_int_equal(ng_fe_begin(out, p->cur, keys), 0);
	for (uint32_t i = a; i < b; i++) {
		struct ng_fe_key k = key(i);

		if (obj != NULL)
			assert_int_equal(ng_fe_insert(out, &k, obj), 0);
		else if (want[i] != NULL)
			assert_int_equal(ng_fe_remove(out, &k, want[i]), 0);
		want[i] = obj;
	}
	ng_fe_finish(out);
}

/* Grow from nothing to 20,000 keys in commits of 1,000, then back down to
 * 100: every key right after every commit, the directory a power of two that
 * keeps the load at or under half, and nothing left on the heap. */
static void
grow_and_shrink(void **state)
{
	size_t heap0 = heap_allocated();
	struct pub p = {0};
	struct ng_fe_cow c;
	uint32_t rebuilds = 0;

	(void)state;
	memset(want, 0, sizeof(want));
	for (uint32_t n = 0; n < 20000; n += 1000) {
		commit_range(&p, n, n + 1000, &objs[0], &c);
		rebuilds += c.rebuilds;
		publish(&p, &c);
		check(p.cur, 20000);
		assert_true(p.cur->n <= (p.cur->mask + 1) * NG_FE_CHUNK_SLOTS / 2);
	}
	/* 20,000 keys: 65,536 slots; built at 1,000 keys, doubled at 2,000, 3,000,
	 * 5,000, 9,000 and 17,000 (a crowded chunk could add one) */
	assert_int_equal(p.cur->mask + 1, 256);
	assert_true(rebuilds >= 6 && rebuilds <= 7);
	for (uint32_t n = 20000; n > 100; n -= 1990) {
		commit_range(&p, n - 1990, n, NULL, &c);
		publish(&p, &c);
		check(p.cur, 20000);
	}
	assert_int_equal(p.cur->n, 100);
	assert_int_equal(p.cur->mask + 1, 1);
	pub_free(&p);
	assert_int_equal(heap_allocated(), heap0);
}

/*
 * One changed key costs the same at 1,000 and at 20,000 keys: the directory
 * (8 bytes a chunk) and one chunk. Every other chunk is the old index's own,
 * the replaced one is handed back, and the old index still answers as
 * before (workers may still read it).
 */
static void
one_change_copies_one_chunk(void **state)
{
	static const uint32_t sizes[] = {1000, 20000};
	size_t heap0 = heap_allocated();
	uint64_t copied[2];

	(void)state;
	for (unsigned int s = 0; s < RTE_DIM(sizes); s++) {
		uint32_t n = sizes[s], diff = 0, ci;
		struct pub p = {0};
		struct ng_fe_cow c;
		struct ng_fe_key k = key(n / 2);

		memset(want, 0, sizeof(want));
		commit_range(&p, 0, n, &objs[0], &c);
		publish(&p, &c);
		commit_range(&p, n / 2, n / 2 + 1, &objs[1], &c);
		assert_int_equal(c.rebuilds, 0);
		assert_int_equal(c.chunks_copied, 1);
		ci = (ng_fe_hash(&k) >> NG_FE_CHUNK_BITS) & c.x->mask;
		for (uint32_t i = 0; i <= c.x->mask; i++)
			diff += c.x->chunk[i] != p.cur->chunk[i];
		assert_int_equal(diff, 1);
		assert_int_equal(c.n_retire, 1);
		assert_ptr_equal(c.retire[0], p.cur->chunk[ci]);
		copied[s] = c.copied;
		assert_int_equal(c.copied, sizeof(struct ng_fe_index) +
				(c.x->mask + 1) * sizeof(void *) + sizeof(struct ng_fe_chunk));
		/* The published index is untouched: key n/2 still maps to objs[0]. */
		assert_ptr_equal(ng_fe_lookup(p.cur, &k), &objs[0]);
		publish(&p, &c);
		check(p.cur, n);
		assert_ptr_equal(ng_fe_lookup(p.prev, &k), &objs[0]);
		pub_free(&p);
	}
	print_message("one change copies %" PRIu64 " bytes at 1,000 keys, %" PRIu64
			" at 20,000 (a whole-table copy: %zu and %zu)\n", copied[0], copied[1],
			(size_t)2048 * sizeof(struct ng_fe_slot),
			(size_t)65536 * sizeof(struct ng_fe_slot));
	assert_true(copied[1] < copied[0] * 3 / 2);
	assert_true(copied[1] < 16384);
	assert_int_equal(heap_allocated(), heap0);
}

/* Random churn over 30,000 keys and 4 objects: inserts, takeovers, removals
 * by the owner and by a non-owner (ignored), 200 commits; each published
 * index checked after its commit, the one before it again after the next. */
static void
churn_against_model(void **state)
{
	static struct ng_svc_obj *before[MAXK];
	size_t heap0 = heap_allocated();
	struct pub p = {0};
	uint64_t seed = 0x6e67;

	(void)state;
	memset(want, 0, sizeof(want));
	for (int round = 0; round < 200; round++) {
		struct ng_fe_cow c;
		uint32_t ops = round == 0 ? 15000 : 1 + (uint32_t)(seed % 300);

		memcpy(before, want, sizeof(before));
		assert_int_equal(ng_fe_begin(&c, p.cur, p.cur != NULL ? p.cur->n + ops : ops), 0);
		for (uint32_t o = 0; o < ops; o++) {
			uint32_t i, op;
			struct ng_fe_key k;

			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			i = (uint32_t)(seed >> 33) % 30000;
			op = (uint32_t)(seed >> 20) % 4;
			k = key(i);
			if (op < 2) {
				assert_int_equal(ng_fe_insert(&c, &k, &objs[op + (round & 1) * 2]), 0);
				want[i] = &objs[op + (round & 1) * 2];
			} else if (op == 2 && want[i] != NULL) {
				assert_int_equal(ng_fe_remove(&c, &k, want[i]), 0);
				want[i] = NULL;
			} else {
				/* Not the owner: nothing happens. */
				assert_int_equal(ng_fe_remove(&c, &k, &objs[3 - (round & 1) * 2]), 0);
				if (want[i] == &objs[3 - (round & 1) * 2])
					want[i] = NULL;
			}
		}
		ng_fe_finish(&c);
		publish(&p, &c);
		check(p.cur, 30000);
		if (p.prev != NULL) {
			for (uint32_t i = 0; i < 30000; i++) {
				struct ng_fe_key k = key(i);

				if (ng_fe_lookup(p.prev, &k) != before[i])
					fail_msg("round %d: the previous index changed at key %u",
							round, i);
			}
		}
	}
	pub_free(&p);
	assert_int_equal(heap_allocated(), heap0);
}

/* Keys crowded into one chunk grow the index before it is half full; a
 * commit abandoned half-way leaves the published index and the heap as they
 * were. */
static void
skew_and_abort(void **state)
{
	size_t heap0 = heap_allocated();
	struct pub p = {0};
	struct ng_fe_cow c;
	uint32_t n = 0;

	(void)state;
	memset(want, 0, sizeof(want));
	assert_int_equal(ng_fe_begin(&c, NULL, 250), 0);
	assert_int_equal(c.x->mask + 1, 2);
	/* 240 keys of chunk 0 in a 2-chunk index: 3/4 is 192. */
	for (uint32_t i = 0; n < 240 && i < MAXK; i++) {
		struct ng_fe_key k = key(i);

		if ((ng_fe_hash(&k) >> NG_FE_CHUNK_BITS) & 1)
			continue;
		assert_int_equal(ng_fe_insert(&c, &k, &objs[0]), 0);
		want[i] = &objs[0];
		n++;
	}
	assert_int_equal(n, 240);
	assert_true(c.rebuilds >= 1);
	assert_true(c.x->mask + 1 >= 4);
	publish(&p, &c);
	check(p.cur, MAXK);

	/* Abandoned: the published index is as it was, nothing leaks. */
	assert_int_equal(ng_fe_begin(&c, p.cur, p.cur->n + 5000), 0); /* a rebuild */
	for (uint32_t i = 0; i < 100; i++) {
		struct ng_fe_key k = key(MAXK - 1 - i);

		assert_int_equal(ng_fe_insert(&c, &k, &objs[2]), 0);
	}
	ng_fe_abort(&c);
	check(p.cur, MAXK);
	assert_int_equal(ng_fe_begin(&c, p.cur, p.cur->n), 0); /* shares every chunk */
	for (uint32_t i = 0; i < 100; i++) {
		struct ng_fe_key k = key(MAXK - 1 - i);

		assert_int_equal(ng_fe_insert(&c, &k, &objs[2]), 0);
	}
	ng_fe_abort(&c);
	check(p.cur, MAXK);
	pub_free(&p);
	assert_int_equal(heap_allocated(), heap0);
}

/* ---- the pool of slabs the chunks (and lib/svc's service objects) come from ---- */

/* What the pools hold: the DPDK heap's bytes and the slabs mapped on their own. */
static size_t
held(void)
{
	return heap_allocated() + ng_slab_mapped_bytes();
}

/*
 * Objects come out cache-line aligned, distinct and whole (writing every byte
 * of each disturbs none of the others), a slab at a time; one given back is
 * the next handed out; the last one back returns every slab.
 */
static void
slab_pool(void **state)
{
	enum { N = 40000 };
	size_t held0 = held(), held1;
	struct ng_slab s;
	static uint8_t *o[N];
	uint8_t *again;

	(void)state;
	ng_slab_init(&s, "test_slab", 100, 5);
	assert_int_equal(s.obj_size, 128);
	for (unsigned int i = 0; i < N; i++) {
		o[i] = ng_slab_get(&s);
		assert_non_null(o[i]);
		assert_int_equal((uintptr_t)o[i] % RTE_CACHE_LINE_SIZE, 0);
		memset(o[i], (int)(i % 251) + 1, s.obj_size);
	}
	assert_int_equal(s.n_slabs, (N + s.per_slab - 1) / s.per_slab);
	assert_true(s.n_slabs >= 2);
	assert_int_equal(s.out, N);
	for (unsigned int i = 0; i < N; i++)
		for (size_t b = 0; b < s.obj_size; b++)
			if (o[i][b] != (uint8_t)(i % 251 + 1))
				fail_msg("object %u byte %zu: %u, want %u", i, b, o[i][b],
						i % 251 + 1);
	held1 = held();
	assert_true(held1 >= held0 + (size_t)s.n_slabs * s.per_slab * s.obj_size);
	ng_slab_put(&s, o[7]);
	ng_slab_put(&s, NULL);
	again = ng_slab_get(&s);
	assert_ptr_equal(again, o[7]);
	assert_int_equal(held(), held1);
	for (unsigned int i = 0; i < N; i++)
		ng_slab_put(&s, o[i]);
	assert_int_equal(s.out, 0);
	assert_int_equal(s.n_slabs, 0);
	assert_int_equal(held(), held0);
	/* Usable again after it emptied. */
	o[0] = ng_slab_get(&s);
	assert_non_null(o[0]);
	ng_slab_put(&s, o[0]);
	assert_int_equal(held(), held0);
}

/* The VmFlags line of the mapping of /proc/self/smaps that holds p ("" if none). */
static void
vm_flags(const void *p, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;

	out[0] = '\0';
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		uintptr_t lo, hi;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2 &&
				strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0)
			snprintf(out, len, "%s", line);
	}
	fclose(f);
}

/*
 * Without hugepages (this test's EAL runs --no-huge) a slab is a private
 * anonymous mapping of whole 2 MiB steps, aligned to 2 MiB and advised for
 * transparent huge pages ("hg" in its VmFlags), outside the DPDK heap; the
 * pool fills the step with objects.
 */
static void
slab_mapped_without_hugepages(void **state)
{
	size_t heap0 = heap_allocated(), mapped0 = ng_slab_mapped_bytes();
	struct ng_slab s;
	char flags[512];
	uint8_t *o;

	(void)state;
	assert_int_equal(rte_eal_has_hugepages(), 0);
	ng_slab_init(&s, "test_slab", 5000, 4);
	assert_true(s.mapped);
	assert_int_equal(s.per_slab, (2u << 20) / s.obj_size);
	o = ng_slab_get(&s);
	assert_non_null(o);
	assert_int_equal((uintptr_t)o % (2u << 20), 0);
	assert_int_equal(ng_slab_mapped_bytes(), mapped0 + (2u << 20));
	assert_int_equal(heap_allocated(), heap0);
	vm_flags(o, flags, sizeof(flags));
	if (strstr(flags, " hg") == NULL)
		fail_msg("slab at %p: no MADV_HUGEPAGE in \"%s\"", (void *)o, flags);
	ng_slab_put(&s, o);
	assert_int_equal(ng_slab_mapped_bytes(), mapped0);
	vm_flags(o, flags, sizeof(flags));
	assert_string_equal(flags, "");
}

static int
setup(void **state)
{
	static char prefix[64];
	char *argv[] = {
		"test_fe_index", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--file-prefix", prefix, "-l", "0", "--log-level", "lib.*:error", NULL,
	};

	(void)state;
	snprintf(prefix, sizeof(prefix), "ng-ut-fe-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grow_and_shrink),
		cmocka_unit_test(one_change_copies_one_chunk),
		cmocka_unit_test(churn_against_model),
		cmocka_unit_test(skew_and_abort),
		cmocka_unit_test(slab_pool),
		cmocka_unit_test(slab_mapped_without_hugepages),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
