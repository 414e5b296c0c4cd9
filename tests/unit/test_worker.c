/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the control core's watch over the workers' loops (lib/worker:
 * ng_dp_watch, ng_dp_worker_watch) and of the debug stall
 * (ng_dp_worker_stall, ng_worker_stall_now), and the packet graph's rule for
 * edges (ng_worker_edge_refused). On tests/lib's gateway with two
 * worker structs that are never launched: the test moves their loop counters
 * itself and passes the watch its own TSC, so no timing of the host matters.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_cycles.h>

#include "ng_test_gw.h"
#include "worker.h"

static struct ng_test_gw gw;
static uint64_t ms_tsc; /* TSC cycles in a millisecond */

static int
group_setup(void **state)
{
	static const struct ng_test_gw_opts o = {
		.name = "worker", .n_ports = 1, .addrs = {"198.18.0.1/24"}, .n_workers = 2,
	};

	int rc;

	(void)state;
	rc = ng_test_gw_up(&gw, &o);
	ms_tsc = rte_get_tsc_hz() / 1000; /* known once EAL is up */
	return rc;
}

static int
group_teardown(void **state)
{
	(void)state;
	return ng_test_gw_down(&gw);
}

static int
reset(void **state)
{
	(void)state;
	memset(gw.dp->watch, 0, sizeof(gw.dp->watch));
	gw.dp->idle_sleep_us = 0;
	for (unsigned int i = 0; i < gw.n_workers; i++)
		gw.dp->workers[i]->stall_ms = 0;
	return 0;
}

static struct ng_dp_watch_info
info(unsigned int w, uint64_t now)
{
	struct ng_dp_watch_info wi;

	ng_dp_worker_watch(gw.dp, w, now, &wi);
	return wi;
}

/* A loop that stops moving is a stall once, after 100 ms; its end is timed. */
static void
stall_seen_counted_once_and_timed(void **state)
{
	uint64_t t0 = 1000 * ms_tsc;
	struct ng_dp_watch_info wi;

	(void)state;
	ng_dp_watch(gw.dp, t0);
	/* Worker 1 keeps looping throughout; worker 0 stops. */
	for (unsigned int k = 1; k <= 20; k++) {
		gw.dp->workers[1]->stats.loops++;
		ng_dp_watch(gw.dp, t0 + k * 10 * ms_tsc);
	}
	wi = info(0, t0 + 200 * ms_tsc);
	assert_true(wi.stalled);
	assert_int_equal(wi.stalls, 1);
	assert_int_equal(wi.stalled_ns / 1000000, 200);
	assert_int_equal(wi.last_ns, 0);
	wi = info(1, t0 + 200 * ms_tsc);
	assert_false(wi.stalled);
	assert_int_equal(wi.stalls, 0);

	/* Watching on while it stays stuck counts nothing more. */
	ng_dp_watch(gw.dp, t0 + 400 * ms_tsc);
	assert_int_equal(info(0, t0 + 400 * ms_tsc).stalls, 1);

	/* It loops again at 500 ms: the stall ended, 500 ms long. */
	gw.dp->workers[0]->stats.loops++;
	ng_dp_watch(gw.dp, t0 + 500 * ms_tsc);
	wi = info(0, t0 + 500 * ms_tsc);
	assert_false(wi.stalled);
	assert_int_equal(wi.stalled_ns, 0);
	assert_int_equal(wi.stalls, 1);
	assert_int_equal(wi.last_ns / 1000000, 500);
	assert_int_equal(wi.max_ns / 1000000, 500);

	/* A shorter second stall: counted, last is its length, max stays. */
	ng_dp_watch(gw.dp, t0 + 700 * ms_tsc);
	gw.dp->workers[0]->stats.loops++;
	ng_dp_watch(gw.dp, t0 + 701 * ms_tsc);
	wi = info(0, t0 + 701 * ms_tsc);
	assert_int_equal(wi.stalls, 2);
	assert_int_equal(wi.last_ns / 1000000, 201);
	assert_int_equal(wi.max_ns / 1000000, 500);
}

/* 100 ms without a loop is not yet a stall; a worker's idle sleep adds to the bound. */
static void
bound_is_100ms_plus_idle_sleep(void **state)
{
	uint64_t t0 = 5000 * ms_tsc;

	(void)state;
	ng_dp_watch(gw.dp, t0);
	ng_dp_watch(gw.dp, t0 + NG_WORKER_STALL_MS * ms_tsc);
	assert_false(info(0, t0 + NG_WORKER_STALL_MS * ms_tsc).stalled);

	reset(NULL);
	gw.dp->idle_sleep_us = 200000; /* 200 ms asleep is no stall */
	ng_dp_watch(gw.dp, t0);
	ng_dp_watch(gw.dp, t0 + 250 * ms_tsc);
	assert_false(info(0, t0 + 250 * ms_tsc).stalled);
	ng_dp_watch(gw.dp, t0 + 301 * ms_tsc);
	assert_true(info(0, t0 + 301 * ms_tsc).stalled);
}

/* The debug stall: bounds, one at a time, and the worker's side spins then clears it. */
static void
debug_stall(void **state)
{
	struct ng_worker *w0 = gw.dp->workers[0];
	uint64_t t;

	(void)state;
	assert_int_equal(ng_dp_worker_stall(gw.dp, 2, 10), -EINVAL);
	assert_int_equal(ng_dp_worker_stall(gw.dp, 0, 0), -EINVAL);
	assert_int_equal(ng_dp_worker_stall(gw.dp, 0, NG_WORKER_STALL_MAX_MS + 1), -EINVAL);
	assert_int_equal(w0->stall_ms, 0);

	assert_int_equal(ng_dp_worker_stall(gw.dp, 0, 30), 0);
	assert_int_equal(w0->stall_ms, 30);
	assert_int_equal(ng_dp_worker_stall(gw.dp, 0, 10), -EBUSY);
	assert_int_equal(w0->stall_ms, 30);
	assert_int_equal(gw.dp->workers[1]->stall_ms, 0);

	t = rte_get_tsc_cycles();
	ng_worker_stall_now(w0);
	assert_true(rte_get_tsc_cycles() - t >= 30 * ms_tsc);
	assert_int_equal(w0->stall_ms, 0);
	assert_int_equal(ng_dp_worker_stall(gw.dp, 0, NG_WORKER_STALL_MAX_MS), 0);
}

/*
 * The packet graph's rule for edges (ng_worker_edge_refused()): every edge of
 * ng_stats.h keeps it; an edge back, or into the IPv6 stages other than
 * parse's to ip6-parse and lb6, would break it.
 */
static void
graph_edges_keep_the_rule(void **state)
{
	unsigned int n_edges = 0;

	(void)state;
	for (unsigned int s = 0; s < NG_STAGE_MAX; s++) {
		const uint8_t *to;
		unsigned int ne = ng_stage_edges((enum ng_stage)s, &to);

		for (unsigned int e = 0; e < ne; e++, n_edges++)
			if (ng_worker_edge_refused((enum ng_stage)s, (enum ng_stage)to[e]) != NULL)
				fail_msg("edge %u of %s to %s refused: %s", e,
						ng_stage_name((enum ng_stage)s),
						ng_stage_name((enum ng_stage)to[e]),
						ng_worker_edge_refused((enum ng_stage)s,
						(enum ng_stage)to[e]));
	}
	assert_true(n_edges > 40);
	/* into the IPv6 stages: only by parse's ip6 and lb6 edges, among
	 * themselves, or from a stage they feed */
	assert_null(ng_worker_edge_refused(NG_STAGE_PARSE, NG_STAGE_IP6_PARSE));
	assert_null(ng_worker_edge_refused(NG_STAGE_PARSE, NG_STAGE_LB6));
	assert_null(ng_worker_edge_refused(NG_STAGE_IP6_PARSE, NG_STAGE_LB6));
	assert_null(ng_worker_edge_refused(NG_STAGE_LB6, NG_STAGE_FORWARD6));
	assert_null(ng_worker_edge_refused(NG_STAGE_IP6_PARSE, NG_STAGE_PUNT));
	assert_string_equal(ng_worker_edge_refused(NG_STAGE_PARSE, NG_STAGE_FORWARD6),
			"leads from outside the IPv6 stages into");
	assert_string_equal(ng_worker_edge_refused(NG_STAGE_PARSE, NG_STAGE_IP6_LOCAL),
			"leads from outside the IPv6 stages into");
	assert_non_null(ng_worker_edge_refused(NG_STAGE_LB, NG_STAGE_IP6_LOCAL));
	assert_non_null(ng_worker_edge_refused(NG_STAGE_REPLY, NG_STAGE_FORWARD6));
	assert_non_null(ng_worker_edge_refused(NG_STAGE_ICMP_ERR, NG_STAGE_IP6_PARSE));
	/* a stage of both families that ip6-parse feeds may hand IPv6 on */
	assert_null(ng_worker_edge_refused(NG_STAGE_ICMP_ERR, NG_STAGE_IP6_LOCAL));
	assert_null(ng_worker_edge_refused(NG_STAGE_ICMP_ERR, NG_STAGE_FORWARD6));
	/* forward only */
	assert_string_equal(ng_worker_edge_refused(NG_STAGE_FORWARD, NG_STAGE_LB),
			"leads back to");
	assert_non_null(ng_worker_edge_refused(NG_STAGE_LB, NG_STAGE_LB));
	assert_null(ng_worker_edge_refused(NG_STAGE_LB, NG_STAGE_FORWARD));
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(stall_seen_counted_once_and_timed, reset),
		cmocka_unit_test_setup(bound_is_100ms_plus_idle_sleep, reset),
		cmocka_unit_test_setup(debug_stall, reset),
		cmocka_unit_test(graph_edges_keep_the_rule),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
