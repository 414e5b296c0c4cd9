/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The punt stage: frames for a port's kernel twin (lib/twin) leave the worker
 * here, through a token bucket per ingress port, onto the worker's punt ring,
 * which the control core drains into the twins. A flood is cut here, counted
 * (PUNT_RATELIMIT), and never reaches the control core or the kernel.
 */
#include <rte_ring.h>

#include "worker_dp.h"

#define MAX_BURST 256

void
ng_punt_process(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *ok[MAX_BURST];
	uint64_t t0 = ng_w_stage_begin(w);
	uint16_t k = 0, q;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct ng_port_dp *pd = &ng_port_dp[m->port];

		if (unlikely(!ng_tb_take(&w->punt_tb[pd->idx], w->now, pd->punt_cost,
				pd->punt_depth))) {
			ng_w_drop(w, m, NG_DROP_PUNT_RATELIMIT);
			continue;
		}
		ok[k++] = m;
	}
	q = (uint16_t)rte_ring_sp_enqueue_burst(w->punt, (void **)ok, k, NULL);
	for (uint16_t i = 0; i < q; i++)
		w->stats.port[ng_port_dp[ok[i]->port].idx].punted++;
	for (uint16_t i = q; i < k; i++)
		ng_w_drop(w, ok[i], NG_DROP_PUNT_FULL);
	ng_w_stage_end(w, NG_STAGE_PUNT, n, t0);
}
