/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The punt stage: frames for a port's kernel twin (lib/twin) leave the worker
 * here, through a token bucket per ingress port, onto the worker's punt ring,
 * which the control core drains into the twins. A flood is cut here, counted
 * (PUNT_RATELIMIT), and never reaches the control core or the kernel.
 *
 * Its producers are parse (what nodegw does not parse, addressed to a port
 * with a twin) and local (what nodegw does not consume for a gateway address,
 * and copies of ARP). It is a sink for what it puts on the ring; the rest,
 * over the rate or not fitting the ring, leaves by its drop edge. It runs
 * after reply, the last stage that allocates mbufs: once a frame is on the
 * ring the control core may free it, and the trace tells the packets of a
 * burst apart by their mbuf's address, which must not come back in the same
 * burst as a new packet.
 */
#include <rte_ring.h>

#include "trace_dp.h"
#include "worker_dp.h"

void
ng_punt_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	struct ng_vec *drop = next[NG_PUNT_NEXT_DROP];
	struct rte_mbuf *ok[NG_W_BURST_MAX];
	uint16_t k = 0, q;

	(void)aux;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct ng_port_dp *pd = &ng_port_dp[m->port];

		if (unlikely(!ng_tb_take(&w->punt_tb[pd->idx], w->now, pd->punt_cost,
				pd->punt_depth))) {
			ng_w_next(drop, m, NG_DROP_PUNT_RATELIMIT);
			continue;
		}
		ok[k++] = m;
	}
	/* the control core may take a frame as soon as it is on the ring */
	if (unlikely(w->tr.burst_n != 0))
		ng_w_trace_punt(w, ok, k);
	q = (uint16_t)rte_ring_sp_enqueue_burst(w->punt, (void **)ok, k, NULL);
	for (uint16_t i = 0; i < q; i++)
		w->stats.port[ng_port_dp[ok[i]->port].idx].punted++;
	for (uint16_t i = q; i < k; i++)
		ng_w_next(drop, ok[i], NG_DROP_PUNT_FULL);
}
