/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/common/ng_idtab.c, the control core's index of ids by
 * key (the FIB's routes and next hops, the services' names): finds after
 * growth, deletes that keep colliding keys findable (backward shift across
 * the wrap), and a churn checked against a plain array.
 *
 * No EAL: plain functions.
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

#include <cmocka.h>

#include "ng_idtab.h"

#define N_KEYS 20000

/* Records: key[id] is the key of record id; 0 is no record. */
static uint32_t key[N_KEYS];
/* The test's hash: a chosen function of the key, so collisions can be made. */
static uint32_t (*hash_of)(uint32_t k);

static uint32_t
hash_mix(uint32_t k)
{
	return k * 2654435761u;
}

/* Every key in one of 4 home slots, so runs are long and wrap. */
static uint32_t
hash_clash(uint32_t k)
{
	return 60 + k % 4;
}

static bool
eq(uint32_t id, const void *k, void *arg)
{
	(void)arg;
	return key[id] == *(const uint32_t *)k;
}

static int64_t
find(const struct ng_idtab *t, uint32_t k)
{
	return ng_idtab_find(t, hash_of(k), &k);
}

static void
add(struct ng_idtab *t, uint32_t id, uint32_t k)
{
	assert_int_equal(find(t, k), -1);
	key[id] = k;
	assert_int_equal(ng_idtab_add(t, hash_of(k), id), 0);
}

static void
del(struct ng_idtab *t, uint32_t id)
{
	assert_int_equal(ng_idtab_del(t, hash_of(key[id]), id), 0);
	key[id] = 0;
}

/* Every record is found under its key, and the table counts them. */
static void
check_all(const struct ng_idtab *t)
{
	uint32_t n = 0;

	for (uint32_t id = 0; id < N_KEYS; id++) {
		if (key[id] == 0)
			continue;
		n++;
		if (find(t, key[id]) != id)
			fail_msg("key %u: found %lld, want %u", key[id], (long long)find(t, key[id]),
					id);
	}
	assert_int_equal(t->n, n);
	/* At most half full after growth. */
	assert_true(2 * (uint64_t)t->n <= (uint64_t)t->mask + 1);
}

static void
grows_and_finds(void **state)
{
	struct ng_idtab t;

	(void)state;
	memset(key, 0, sizeof(key));
	hash_of = hash_mix;
	assert_int_equal(ng_idtab_init(&t, eq, NULL), 0);
	assert_int_equal(find(&t, 7), -1);
	for (uint32_t id = 0; id < N_KEYS; id++)
		add(&t, id, 1000 + id);
	check_all(&t);
	assert_true(ng_idtab_bytes(&t) >= 2 * N_KEYS * sizeof(uint64_t));
	assert_int_equal(find(&t, 999), -1);
	/* Deleting a record that is not there changes nothing. */
	assert_int_equal(ng_idtab_del(&t, hash_of(999), 5), -ENOENT);
	assert_int_equal(ng_idtab_del(&t, hash_of(1005), 6), -ENOENT);
	check_all(&t);
	ng_idtab_fini(&t);
	assert_int_equal(find(&t, 1000), -1);
}

/* Deleting from the middle of long colliding runs that wrap past the end of
 * the table keeps every other key findable (the backward shift). */
static void
delete_in_colliding_runs(void **state)
{
	struct ng_idtab t;

	(void)state;
	memset(key, 0, sizeof(key));
	hash_of = hash_clash;
	assert_int_equal(ng_idtab_init(&t, eq, NULL), 0);
	for (uint32_t id = 0; id < 30; id++)
		add(&t, id, 1 + id);
	check_all(&t);
	for (uint32_t id = 0; id < 30; id += 3) {
		del(&t, id);
		check_all(&t);
	}
	for (uint32_t id = 30; id < 60; id++)
		add(&t, id, 1 + id);
	check_all(&t);
	ng_idtab_fini(&t);
}

/* A churn of adds and deletes against the array of records. */
static void
churn(void **state)
{
	struct ng_idtab t;
	uint32_t next = 1, rnd = 12345;

	(void)state;
	memset(key, 0, sizeof(key));
	hash_of = hash_mix;
	assert_int_equal(ng_idtab_init(&t, eq, NULL), 0);
	for (uint32_t step = 0; step < 200000; step++) {
		uint32_t id;

		rnd = rnd * 1103515245u + 12345u;
		id = (rnd >> 8) % N_KEYS;
		if (key[id] != 0)
			del(&t, id);
		else
			add(&t, id, next++);
	}
	check_all(&t);
	ng_idtab_fini(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grows_and_finds),
		cmocka_unit_test(delete_in_colliding_runs),
		cmocka_unit_test(churn),
	};

	return cmocka_run_group_tests_name("idtab", tests, NULL, NULL);
}
