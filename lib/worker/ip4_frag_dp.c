/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 fragmentation for the egress MTU. The first fragment is the packet
 * itself, cut short, so a traced packet stays traced and nothing is freed;
 * each other fragment is a copy of its share of the data behind a copy of
 * the headers, in one segment. DPDK's rte_ipv4_fragment_packet() makes
 * chains of indirect mbufs instead, which not every PMD can send.
 *
 * A datagram reassembled here (ip4-reass) is a chain: its data is read
 * across the segments, and the first fragment's share is gathered into the
 * first segment, whose other segments are then freed.
 */
#include <string.h>

#include <rte_ip.h>

#include "ip4_frag_dp.h"

void
ng_frag_copy(const struct rte_mbuf *m, uint32_t off, uint32_t len, void *dst)
{
	const void *p = rte_pktmbuf_read(m, off, len, dst);

	if (p != dst)
		memcpy(dst, p, len);
}

bool
ng_frag_fits_first(const struct rte_mbuf *m, uint32_t len)
{
	return len <= m->data_len || len - m->data_len <= rte_pktmbuf_tailroom(m);
}

void
ng_frag_cut_first(struct rte_mbuf *m, uint32_t len)
{
	if (m->nb_segs > 1) {
		if (len > m->data_len)
			ng_frag_copy(m, m->data_len, len - m->data_len,
					rte_pktmbuf_mtod_offset(m, uint8_t *, m->data_len));
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
}

enum ng_drop_reason
ng_ip4_fragment(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *pool,
		struct rte_mbuf **out, unsigned int max, unsigned int *n_out)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	uint16_t l2 = m->l2_len, ihl = m->l3_len, tot = rte_be_to_cpu_16(ip->total_length);
	uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
	uint16_t off0 = (uint16_t)(fo & RTE_IPV4_HDR_OFFSET_MASK), mf = fo & RTE_IPV4_HDR_MF_FLAG;
	uint16_t chunk = (uint16_t)((mtu - ihl) & ~7u), data = (uint16_t)(tot - ihl);
	unsigned int n;

	*n_out = 0;
	if (ihl != sizeof(*ip))
		return NG_DROP_FRAG_OPTIONS;
	if (mtu < ihl + 8)
		return NG_DROP_MTU;
	n = (data + chunk - 1u) / chunk - 1u; /* the new ones */
	if (n > max)
		return NG_DROP_FRAG_ROOM;
	if (!ng_frag_fits_first(m, (uint32_t)(l2 + ihl + chunk)))
		return NG_DROP_FRAG_OUT;
	if (rte_pktmbuf_alloc_bulk(pool, out, n) != 0)
		return NG_DROP_NO_MBUF;
	for (unsigned int k = 1; k <= n; k++) {
		struct rte_mbuf *f = out[k - 1];
		uint16_t len = (uint16_t)RTE_MIN((unsigned int)chunk, data - k * chunk);
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(f, (uint16_t)(l2 + ihl + len));
		struct rte_ipv4_hdr *fip = (struct rte_ipv4_hdr *)(p + l2);

		if (unlikely(p == NULL)) { /* the pool's mbufs are sized for the largest MTU */
			rte_pktmbuf_free_bulk(out, n);
			return NG_DROP_NO_MBUF;
		}
		memcpy(p, rte_pktmbuf_mtod(m, uint8_t *), l2 + ihl);
		ng_frag_copy(m, l2 + ihl + k * chunk, len, p + l2 + ihl);
		fip->total_length = rte_cpu_to_be_16((uint16_t)(ihl + len));
		fip->fragment_offset = rte_cpu_to_be_16((uint16_t)((off0 + k * chunk / 8) |
				(k < n ? RTE_IPV4_HDR_MF_FLAG : mf)));
		fip->hdr_checksum = 0;
		fip->hdr_checksum = rte_ipv4_cksum(fip);
		f->port = m->port;
		f->tx_offload = m->tx_offload;
	}
	ip->total_length = rte_cpu_to_be_16((uint16_t)(ihl + chunk));
	ip->fragment_offset = rte_cpu_to_be_16((uint16_t)(fo | RTE_IPV4_HDR_MF_FLAG));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	ng_frag_cut_first(m, (uint32_t)(l2 + ihl + chunk));
	*n_out = n;
	return NG_DROP_NONE;
}
