/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the control core's watch over the ports and the mbuf pool
 * (lib/port: ng_port_poll, ng_port_pool_info): pool exhaustion is seen,
 * counted once per episode and timed, and ends when buffers come back; link
 * downs and ups are counted. On tests/lib's gateway: two net_null ports, a
 * pool of 2,048 mbufs, one worker on the test's own lcore.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include "ng_test_gw.h"
#include "pkt.h"
#include "port.h"

#define BURST 32

static struct ng_test_gw gw;

static int
group_setup(void **state)
{
	static const struct ng_test_gw_opts o = {
		.name = "port", .n_ports = 2, .addrs = {"198.18.0.1/24", "198.18.1.1/24"},
	};
	unsigned int lcore = rte_lcore_id();
	int rc;

	(void)state;
	rc = ng_test_gw_up(&gw, &o);
	if (rc == 0)
		ng_port_pool_watch(gw.pool, &lcore, 1, BURST);
	return rc;
}

static int
group_teardown(void **state)
{
	(void)state;
	ng_port_pool_watch(NULL, NULL, 0, 0);
	return ng_test_gw_down(&gw);
}

/* Take mbufs until fewer than `left` remain anywhere this lcore can reach. */
static unsigned int
take_until(struct rte_mbuf **held, unsigned int cap, unsigned int left)
{
	unsigned int n = 0;

	while (n < cap && rte_mempool_avail_count(gw.pool) > left) {
		held[n] = rte_pktmbuf_alloc(gw.pool);
		if (held[n] == NULL)
			break;
		n++;
	}
	return n;
}

static void
pool_exhaustion_counted_once_and_timed(void **state)
{
	static struct rte_mbuf *held[4096];
	struct ng_port_pool_info a, b, c, d;
	unsigned int n;

	(void)state;
	ng_port_pool_info(&a);
	assert_int_equal(a.size, gw.pool->size);
	assert_int_equal(a.burst, BURST);
	assert_false(a.exhausted);
	assert_int_equal(a.exhausted_events, 0);

	/* One burst and a little more at hand: not exhausted yet. */
	n = take_until(held, RTE_DIM(held), BURST + 8);
	ng_port_pool_info(&b);
	assert_false(b.exhausted);
	assert_int_equal(b.exhausted_events, 0);
	assert_true(b.in_use >= n);

	/* Less than a burst: exhausted, once, however often it is sampled. */
	n += take_until(held + n, RTE_DIM(held) - n, BURST - 1);
	ng_port_pool_info(&c);
	ng_port_poll();
	rte_delay_us_sleep(2000);
	ng_port_pool_info(&c);
	assert_true(c.exhausted);
	assert_int_equal(c.exhausted_events, 1);
	assert_true(c.in_use >= gw.pool->size - BURST);
	assert_true(c.max_in_use >= c.in_use);
	assert_true(c.exhausted_ns >= 1000000); /* the 2 ms above, counted while it lasts */

	/* A few back is not enough to end it (twice a burst is). */
	rte_pktmbuf_free_bulk(held + n - BURST, BURST);
	n -= BURST;
	ng_port_pool_info(&d);
	assert_true(d.exhausted);
	assert_int_equal(d.exhausted_events, 1);

	rte_pktmbuf_free_bulk(held, n);
	ng_port_pool_info(&d);
	assert_false(d.exhausted);
	assert_int_equal(d.exhausted_events, 1);
	assert_true(d.exhausted_ns >= c.exhausted_ns);
	assert_int_equal(d.in_use, ng_test_gw_in_use(&gw));
	assert_true(d.max_in_use >= c.in_use);

	/* A second episode is a second event. */
	n = take_until(held, RTE_DIM(held), BURST / 2);
	ng_port_pool_info(&c);
	assert_true(c.exhausted);
	assert_int_equal(c.exhausted_events, 2);
	rte_pktmbuf_free_bulk(held, n);
	ng_port_pool_info(&c);
	assert_false(c.exhausted);
}

/*
 * ng_port_pool_create() puts every mbuf in one memzone of its own (faulted in
 * at once before the mbufs were written), and the mbufs are what
 * rte_pktmbuf_pool_create() would have made: data room, private area, pool.
 */
static void
pool_in_one_memzone_of_its_own(void **state)
{
	const struct rte_memzone *mz = rte_memzone_lookup("ng_pkts_objs");
	struct rte_mbuf *m;

	(void)state;
	assert_non_null(mz);
	assert_int_equal(gw.pool->nb_mem_chunks, 1);
	assert_int_equal(gw.pool->populated_size, gw.pool->size);
	assert_ptr_equal(STAILQ_FIRST(&gw.pool->mem_list)->addr, mz->addr);
	m = rte_pktmbuf_alloc(gw.pool);
	assert_non_null(m);
	assert_true((uintptr_t)m >= (uintptr_t)mz->addr &&
			(uintptr_t)m < (uintptr_t)mz->addr + mz->len);
	assert_ptr_equal(m->pool, gw.pool);
	assert_int_equal(rte_pktmbuf_priv_size(gw.pool), NG_MBUF_PRIV_SIZE);
	assert_true(rte_pktmbuf_data_room_size(gw.pool) >= RTE_MBUF_DEFAULT_BUF_SIZE);
	assert_int_equal(rte_pktmbuf_headroom(m), RTE_PKTMBUF_HEADROOM);
	rte_pktmbuf_free(m);
}

/* ng_port_poll() looks at links every 100 ms: poll until it has looked. */
static void
poll_links(void)
{
	uint64_t end = rte_get_tsc_cycles() + rte_get_tsc_hz() / 4;

	while (rte_get_tsc_cycles() < end) {
		ng_port_poll();
		rte_delay_us_sleep(5000);
	}
}

static void
link_changes_counted(void **state)
{
	const struct ng_port *p0 = ng_port_get(0), *p1 = ng_port_get(1);

	(void)state;
	poll_links();
	assert_true(p0->link_up);
	assert_true(p1->link_up);
	assert_int_equal(p0->link_changes, 0);

	/* net_null has no link of its own: a stopped port reports it down. */
	assert_int_equal(rte_eth_dev_stop(p0->port_id), 0);
	poll_links();
	assert_false(p0->link_up);
	assert_int_equal(p0->link_changes, 1);
	assert_true(p0->link_change_tsc > 0);
	assert_true(p1->link_up);
	assert_int_equal(p1->link_changes, 0);

	/* Polling on without a change counts nothing more. */
	poll_links();
	assert_int_equal(p0->link_changes, 1);

	assert_int_equal(rte_eth_dev_start(p0->port_id), 0);
	poll_links();
	assert_true(p0->link_up);
	assert_int_equal(p0->link_changes, 2);
	assert_int_equal(p1->link_changes, 0);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(pool_in_one_memzone_of_its_own),
		cmocka_unit_test(pool_exhaustion_counted_once_and_timed),
		cmocka_unit_test(link_changes_counted),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
