/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sending a datagram on as IPv4 fragments when it is larger than the egress
 * MTU (a datagram reassembled by ip4-reass, after NAT). One function, so the
 * forwarding path's own fragmentation (packets without DF, issue 15 item 2)
 * can share it.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_ip_frag.h>

#include "worker_dp.h"

/* The most fragments one datagram becomes (65,535 bytes at an MTU of 576). */
#define FRAG_OUT_MAX 128

int
ng_ip4_frag_out(struct ng_worker *w, struct rte_mbuf *m, uint16_t mtu, uint8_t pidx)
{
	struct rte_mbuf *out[FRAG_OUT_MAX];
	struct rte_ether_hdr eth;
	uint16_t l2 = m->l2_len;
	int32_t n;

	if (l2 != sizeof(eth))
		return -EINVAL;
	memcpy(&eth, rte_pktmbuf_mtod(m, void *), sizeof(eth));
	rte_pktmbuf_adj(m, l2);
	n = rte_ipv4_fragment_packet(m, out, RTE_DIM(out), mtu, w->dp->pool, w->dp->pool);
	if (n < 0) {
		/* m unchanged but for its Ethernet header: put it back */
		rte_pktmbuf_prepend(m, l2);
		return n;
	}
	for (int32_t i = 0; i < n; i++) {
		struct rte_mbuf *f = out[i];
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(f, struct rte_ipv4_hdr *);
		void *p = rte_pktmbuf_prepend(f, sizeof(eth));

		if (unlikely(p == NULL)) {
			rte_pktmbuf_free_bulk(&out[i], (unsigned int)(n - i));
			w->stats.port[ng_port_dp[m->port].idx].drop[NG_DROP_FRAG_OUT] +=
					(uint64_t)(n - i);
			break;
		}
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		memcpy(p, &eth, sizeof(eth));
		f->l2_len = sizeof(eth);
		f->l3_len = (uint64_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4;
		f->port = m->port;
		ng_w_tx_idx(w, f, pidx);
	}
	w->stats.reass.refragmented++;
	w->stats.reass.fragments_out += (uint64_t)n;
	/* the fragments hold references to its data: this only drops ours */
	rte_pktmbuf_free(m);
	return n;
}
