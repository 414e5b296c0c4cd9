/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The watcher's paged list (lib/k8s/k8s_watch.c) through kwatch_feed(): no
 * network, the API server's responses come from the test. A list arrives in
 * pages chained by continue tokens, is decoded and merged into the store in
 * slices, and replaces the store only when its last page is in; a 410 Gone
 * on a continue request (the token expired) drops the pages held and lists
 * again from the start, without a back-off and without touching what the
 * store and the control API hold.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "k8s.h"
#include "ng_addr.h"
#include "k8s_fixtures.h"
#include "k8s_priv.h"
#include "svc.h"

static struct ng_ruleset *rs;
static struct ng_conf_k8s kconf = {
	.enabled = true,
	.server = "http://127.0.0.1:9", /* never contacted: nothing is performed */
	.node_name = "node-a",
	.watch_timeout_s = 300,
	.page_size = 2,
	.backoff_ms = 800,
	.backoff_max_ms = 30000,
	.token_reread_s = 60,
};

static const char EXPIRED[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
	"\"status\":\"Failure\",\"message\":\"The provided continue parameter is too old\","
	"\"reason\":\"Expired\",\"code\":410}";

/* A watch's 410 ERROR event: list again. */
static const char GONE[] = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
	"\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
	"\"too old resource version: 21 (40)\",\"reason\":\"Expired\",\"code\":410}}\n";

/* A ServiceList page: services svc-<first>.. (n of them), then rv and continue. */
static char *
services_page(unsigned int first, unsigned int n, const char *rv, const char *cont)
{
	cJSON *list = cJSON_CreateObject(), *meta = cJSON_CreateObject();
	cJSON *items = cJSON_CreateArray();
	char *text;

	cJSON_AddStringToObject(list, "kind", "ServiceList");
	cJSON_AddStringToObject(list, "apiVersion", "v1");
	cJSON_AddStringToObject(meta, "resourceVersion", rv);
	if (cont != NULL)
		cJSON_AddStringToObject(meta, "continue", cont);
	cJSON_AddItemToObject(list, "metadata", meta);
	for (unsigned int i = first; i < first + n; i++) {
		cJSON *o = web();
		char v[64];

		snprintf(v, sizeof(v), "'svc-%u'", i);
		SET(o, v, "metadata", "name");
		snprintf(v, sizeof(v), "'198.18.%u.%u'", 100 + i / 200, 10 + i % 200);
		SET(o, v, "spec", "clusterIP");
		SET(o, "[]", "spec", "clusterIPs");
		snprintf(v, sizeof(v), "'%u'", 100 + i);
		SET(o, v, "metadata", "resourceVersion");
		cJSON_AddItemToArray(items, o);
	}
	cJSON_AddItemToObject(list, "items", items);
	text = cJSON_PrintUnformatted(list);
	cJSON_Delete(list);
	assert_non_null(text);
	return text;
}

/* Feed one 200 page to res's current request (sliced or not). */
static void
feed_page(enum kres res, char *text, bool sliced)
{
	assert_int_equal(kwatch_feed(res, 200, text, strlen(text), 0, CURLE_OK, sliced), 0);
	free(text);
}

/* Only a Service's name tells whether the control API holds it. */
static bool
have(const char *name)
{
	char full[96];
	struct ng_svc_view v;

	snprintf(full, sizeof(full), "default/%s:http", name);
	return ng_svc_get(full, &v) == 0;
}

static void
slices_empty(void)
{
	static const char empty[] = "{\"kind\":\"EndpointSliceList\",\"apiVersion\":"
		"\"discovery.k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[]}";

	assert_int_equal(kwatch_feed(KRES_SLICES, 200, empty, strlen(empty), 0, CURLE_OK,
		false), 0);
	assert_true(ng_kw.r[KRES_SLICES].synced);
}

static void
test_paged_list(void **state)
{
	struct kreflector *r = &ng_kw.r[KRES_SERVICES];

	(void)state;
	slices_empty();
	feed_page(KRES_SERVICES, services_page(0, 2, "20", "tok-1"), false);
	/* The next page is asked for with the token; nothing is applied yet. */
	assert_string_equal(r->cont, "tok-1");
	assert_int_equal(r->state, KS_LISTING);
	assert_false(r->synced);
	assert_int_equal(r->pending.n, 2);
	assert_int_equal(kstore_count(KRES_SERVICES), 0);
	feed_page(KRES_SERVICES, services_page(2, 2, "20", "tok-2"), false);
	assert_string_equal(r->cont, "tok-2");
	assert_int_equal(r->pending.n, 4);
	feed_page(KRES_SERVICES, services_page(4, 1, "21", NULL), false);
	/* The last page: the list is in the store and applied, then a watch from its RV. */
	assert_true(r->synced);
	assert_string_equal(r->rv, "21");
	assert_string_equal(r->cont, "");
	assert_int_equal(r->state, KS_WATCHING);
	assert_int_equal(r->lists, 1);
	assert_int_equal(kstore_count(KRES_SERVICES), 5);
	assert_int_equal(kstore_applied(), 5);
	assert_true(have("svc-0") && have("svc-4"));
	assert_int_equal(ng_kw.pages, 4); /* 3 of services, 1 of slices */
	assert_int_equal(r->errors, 0);
}

static void
test_continue_expired_relists(void **state)
{
	struct kreflector *r = &ng_kw.r[KRES_SERVICES];

	(void)state;
	slices_empty();
	feed_page(KRES_SERVICES, services_page(0, 2, "20", "tok-1"), false);
	assert_int_equal(kwatch_feed(KRES_SERVICES, 410, EXPIRED, strlen(EXPIRED), 0, CURLE_OK,
		false), 0);
	/* The pages held are dropped; a new list from the start, at once. */
	assert_string_equal(r->cont, "");
	assert_int_equal(r->pending.n, 0);
	assert_int_equal(r->state, KS_LISTING);
	assert_int_equal(r->next_try_tsc, 0);
	assert_int_equal(r->errors, 0);
	assert_false(r->synced);
	feed_page(KRES_SERVICES, services_page(1, 2, "30", "tok-9"), false);
	feed_page(KRES_SERVICES, services_page(3, 1, "31", NULL), false);
	assert_true(r->synced);
	assert_string_equal(r->rv, "31");
	assert_int_equal(kstore_count(KRES_SERVICES), 3);
	assert_false(have("svc-0")); /* only on the expired list's first page */
	assert_true(have("svc-1") && have("svc-3"));
	assert_int_equal(r->lists, 1);
	assert_int_equal(r->relists, 0);
}

/* A relist (410 on the watch) whose continue token expires: the store and the
 * control API keep the last complete list until a new one is in. */
static void
test_relist_keeps_store_until_complete(void **state)
{
	struct kreflector *r = &ng_kw.r[KRES_SERVICES];

	(void)state;
	slices_empty();
	feed_page(KRES_SERVICES, services_page(0, 3, "21", NULL), false);
	assert_int_equal(kstore_applied(), 3);
	/* The watch gets a 410 ERROR event and ends: list again. */
	assert_int_equal(kwatch_feed(KRES_SERVICES, 200, GONE, strlen(GONE), 0, CURLE_OK,
		false), 0);
	assert_int_equal(r->state, KS_LISTING);
	feed_page(KRES_SERVICES, services_page(5, 2, "40", "tok-1"), false);
	assert_int_equal(kwatch_feed(KRES_SERVICES, 410, EXPIRED, strlen(EXPIRED), 0, CURLE_OK,
		false), 0);
	assert_int_equal(kstore_count(KRES_SERVICES), 3);
	assert_int_equal(kstore_applied(), 3);
	assert_true(have("svc-0") && !have("svc-5"));
	feed_page(KRES_SERVICES, services_page(5, 1, "41", NULL), false);
	assert_int_equal(kstore_count(KRES_SERVICES), 1);
	assert_int_equal(kstore_applied(), 1);
	assert_true(have("svc-5") && !have("svc-0"));
	assert_int_equal(r->relists, 1);
}

/* A page decoded and a list merged over many turns (a deadline already past
 * each turn) ends as the whole: every item once, none lost at a cut. */
static void
test_page_in_slices(void **state)
{
	struct kreflector *r = &ng_kw.r[KRES_SERVICES];

	(void)state;
	slices_empty();
	feed_page(KRES_SERVICES, services_page(0, 40, "20", "tok-1"), true);
	assert_int_equal(r->pending.n, 40);
	assert_true(ng_kw.page_slices >= 4); /* 8 items a turn at least */
	feed_page(KRES_SERVICES, services_page(40, 70, "21", NULL), true);
	assert_true(r->synced);
	assert_int_equal(kstore_count(KRES_SERVICES), 110);
	/* one_group applied one service of the sync; the rest as later turns would */
	assert_int_equal(kstore_applied(), 1);
	kstore_sync(&ng_kw.node, UINT64_MAX);
	assert_int_equal(kstore_applied(), 110);
	assert_true(have("svc-0") && have("svc-39") && have("svc-40") && have("svc-109"));
	/* A relist in slices: the walk that deletes what it lacks is cut too. */
	assert_int_equal(kwatch_feed(KRES_SERVICES, 200, GONE, strlen(GONE), 0, CURLE_OK,
		true), 0);
	/* 300 names: the store's map of them grows (in steps) during the merge */
	feed_page(KRES_SERVICES, services_page(50, 300, "40", NULL), true);
	kstore_sync(&ng_kw.node, UINT64_MAX);
	assert_int_equal(r->relists, 1);
	assert_false(r->pending.walking);
	assert_int_equal(r->pending.gen, 0);
	assert_int_equal(kstore_count(KRES_SERVICES), 300);
	assert_int_equal(kstore_applied(), 300);
	assert_true(!have("svc-0") && !have("svc-49") && have("svc-50") && have("svc-349"));
}

/* A failure in the middle of a list drops the pages held (ASan: no leak). */
static void
test_error_mid_list(void **state)
{
	struct kreflector *r = &ng_kw.r[KRES_SERVICES];

	(void)state;
	slices_empty();
	feed_page(KRES_SERVICES, services_page(0, 2, "20", "tok-1"), false);
	assert_int_equal(kwatch_feed(KRES_SERVICES, 500, "{}", 2, 0, CURLE_OK, false), 0);
	assert_int_equal(r->pending.n, 0);
	assert_null(r->page);
	assert_string_equal(r->cont, "");
	assert_int_equal(r->errors, 1);
	assert_true(r->next_try_tsc != 0);
	assert_int_equal(kstore_count(KRES_SERVICES), 0);
}

/* An item that is not JSON refuses the page, as a parse of the whole page
 * would; the items before it are not kept. */
static void
test_bad_item_refuses_page(void **state)
{
	struct kreflector *r = &ng_kw.r[KRES_SERVICES];
	char *text = services_page(0, 3, "20", NULL), *second, want[128];

	(void)state;
	slices_empty();
	second = strstr(strstr(text, "\"svc-1\""), "\"spec\":");
	assert_non_null(second);
	second[6] = ' '; /* "spec" {...}: the scan follows it, cJSON does not */
	assert_int_equal(kwatch_feed(KRES_SERVICES, 200, text, strlen(text), 0, CURLE_OK, false),
		0);
	assert_int_equal(r->errors, 1);
	snprintf(want, sizeof(want), "list: the response is not valid JSON (an item at byte %zu)",
		(size_t)(strstr(text, "},{") + 2 - text));
	free(text);
	assert_string_equal(r->last_error, want);
	assert_int_equal(r->pending.n, 0);
	assert_null(r->page);
	assert_false(r->synced);
	assert_int_equal(kstore_count(KRES_SERVICES), 0);
}

/* ---- setup ---- */

static int
group_setup(void **state)
{
	char prefix[64];
	char *argv[] = {
		"test_k8s_list", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--file-prefix", prefix, "-l", "0", "--log-level", "lib.*:error", NULL,
	};

	(void)state;
	snprintf(prefix, sizeof(prefix), "ng-ut-k8sl-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static void
count_cb(const char *key, void *val, void *arg)
{
	unsigned int *seen = arg;
	unsigned int i = (unsigned int)(uintptr_t)val - 1;

	(void)key;
	seen[i]++;
}

/*
 * The store's map grows without a rehash in one go: the put that doubles
 * the buckets moves only KMAP_MOVE_PER_PUT old ones, and while old buckets
 * are left every key is found, deleted and walked exactly once.
 */
static void
test_kmap_grows_in_steps(void **state)
{
	enum { N = 3000 };
	static unsigned int seen[N];
	struct kmap m = {0};
	char key[32];
	bool mid = false;

	(void)state;
	for (unsigned int i = 0; i < N; i++) {
		uint32_t buckets = m.mask + 1;

		snprintf(key, sizeof(key), "ns/svc-%u", i);
		assert_int_equal(kmap_put(&m, key, (void *)(uintptr_t)(i + 1)), 0);
		if (m.b != NULL && m.mask + 1 > buckets && buckets > 1) {
			/* This put doubled the buckets: only a few moved. */
			assert_non_null(m.old);
			assert_int_equal(m.old_mask + 1, buckets);
			assert_true(m.moved <= KMAP_MOVE_PER_PUT);
		}
		if (m.old != NULL && m.moved > m.old_mask / 2 && !mid) {
			/* Half moved: every key so far is there, and walked once. */
			mid = true;
			for (unsigned int j = 0; j <= i; j++) {
				snprintf(key, sizeof(key), "ns/svc-%u", j);
				assert_ptr_equal(kmap_get(&m, key), (void *)(uintptr_t)(j + 1));
			}
			snprintf(key, sizeof(key), "ns/svc-%u", 0);
			assert_ptr_equal(kmap_del(&m, key), (void *)(uintptr_t)1);
			assert_null(kmap_get(&m, key));
			assert_int_equal(kmap_put(&m, key, (void *)(uintptr_t)1), 0);
			memset(seen, 0, sizeof(seen));
			kmap_walk(&m, count_cb, seen);
			assert_null(m.old); /* a walk moves the rest first */
			for (unsigned int j = 0; j <= i; j++)
				assert_int_equal(seen[j], 1);
		}
	}
	assert_true(mid);
	assert_int_equal(m.n, N);
	for (unsigned int j = 0; j < N; j++) {
		snprintf(key, sizeof(key), "ns/svc-%u", j);
		assert_ptr_equal(kmap_get(&m, key), (void *)(uintptr_t)(j + 1));
	}
	kmap_free(&m);
	assert_null(m.b);
	assert_null(m.old);
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

static int
setup(void **state)
{
	static struct ng_ip node;
	struct ng_svc_params p = {
		.publish = &rs,
		.n_workers = 1,
		.timeouts = {.tcp_syn = 30, .tcp_established = 900, .tcp_fin = 120,
			.tcp_time_wait = 120, .tcp_close = 10, .udp = 300},
		.lport_min = 20000,
		.lport_max = 29999,
		.node_addrs = &node,
		.n_node_addrs = 1,
	};

	(void)state;
	node = ng_ip4(0xc6120001); /* 198.18.0.1 */
	if (ng_svc_init(&p) != 0)
		return -1;
	return ng_k8s_init(&kconf, err, sizeof(err)) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	ng_k8s_fini();
	ng_svc_fini();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paged_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_continue_expired_relists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relist_keeps_store_until_complete, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_page_in_slices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_mid_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_item_refuses_page, setup, teardown),
		cmocka_unit_test(test_kmap_grows_in_steps),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
