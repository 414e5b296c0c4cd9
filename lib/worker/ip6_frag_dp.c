/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 fragmentation of a datagram reassembled here, as ip4_frag_dp.c does
 * IPv4's: the first fragment is the datagram itself, cut short (its first
 * segment gathers its share of the chain) with a fragment header inserted;
 * each other fragment is a copy of the per-fragment headers, a fragment
 * header and its share of the data, in one segment.
 */
#include <stddef.h>
#include <string.h>

#include <rte_ip.h>

#include "ip6_frag_dp.h"
#include "pkt6_dp.h"

/*
 * The per-fragment headers of the IPv6 packet at ip (RFC 8200 4.5: up to
 * the routing header if there is one, else the hop-by-hop options), within
 * its l3_len bytes of headers. *field: the offset of the next-header field
 * that names what follows them. @return their length.
 */
static uint16_t
unfrag_len(const uint8_t *ip, uint16_t l3_len, uint16_t *field)
{
	uint16_t off = sizeof(struct rte_ipv6_hdr), u = off;
	uint8_t nh = ip[offsetof(struct rte_ipv6_hdr, proto)];

	*field = offsetof(struct rte_ipv6_hdr, proto);
	while (off < l3_len && ng_ip6_is_ext(nh) && nh != IPPROTO_FRAGMENT) {
		uint16_t hl = (uint16_t)((ip[off + 1] + 1) * 8);

		if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING) {
			*field = off;
			u = (uint16_t)(off + hl);
		}
		nh = ip[off];
		off = (uint16_t)(off + hl);
	}
	return u;
}

/* Write the fragment header at p: next header nh, offset off (bytes), M, id. */
static inline void
frag_hdr(uint8_t *p, uint8_t nh, uint32_t off, bool more, uint32_t id)
{
	struct rte_ipv6_fragment_ext *fh = (struct rte_ipv6_fragment_ext *)p;

	fh->next_header = nh;
	fh->reserved = 0;
	fh->frag_data = rte_cpu_to_be_16((uint16_t)(off | (more ? RTE_IPV6_EHDR_MF_MASK : 0)));
	fh->id = id;
}

enum ng_drop_reason
ng_ip6_fragment(struct rte_mbuf *m, uint16_t size, uint32_t id, struct rte_mempool *pool,
		struct rte_mbuf **out, unsigned int max, unsigned int *n_out)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len), *p;
	uint16_t l2 = m->l2_len, field, u = unfrag_len(ip, m->l3_len, &field);
	uint32_t tot = sizeof(struct rte_ipv6_hdr) +
			rte_be_to_cpu_16(((struct rte_ipv6_hdr *)ip)->payload_len);
	uint32_t data = tot - u, chunk;
	uint8_t nh = ip[field];
	unsigned int n;

	*n_out = 0;
	if (tot <= size) {
		if (!ng_frag_fits_first(m, l2 + tot))
			return NG_DROP_FRAG_OUT;
		ng_frag_cut_first(m, l2 + tot);
		return NG_DROP_NONE;
	}
	if (size < u + 8u + 8u)
		return NG_DROP_MTU;
	chunk = (size - u - 8u) & ~7u;
	n = (data + chunk - 1u) / chunk - 1u; /* the new ones */
	if (n > max)
		return NG_DROP_FRAG_ROOM;
	if (!ng_frag_fits_first(m, l2 + u + chunk))
		return NG_DROP_FRAG_OUT;
	if (rte_pktmbuf_headroom(m) < 8)
		return NG_DROP_NO_MBUF;
	if (rte_pktmbuf_alloc_bulk(pool, out, n) != 0)
		return NG_DROP_NO_MBUF;
	for (unsigned int k = 1; k <= n; k++) {
		struct rte_mbuf *f = out[k - 1];
		uint32_t len = RTE_MIN(chunk, data - k * chunk);

		p = (uint8_t *)rte_pktmbuf_append(f, (uint16_t)(l2 + u + 8 + len));
		if (unlikely(p == NULL)) { /* the pool's mbufs are sized for the largest MTU */
			rte_pktmbuf_free_bulk(out, n);
			return NG_DROP_NO_MBUF;
		}
		memcpy(p, rte_pktmbuf_mtod(m, uint8_t *), (size_t)l2 + u);
		p[l2 + field] = IPPROTO_FRAGMENT;
		((struct rte_ipv6_hdr *)(p + l2))->payload_len =
				rte_cpu_to_be_16((uint16_t)(u - sizeof(struct rte_ipv6_hdr) + 8 + len));
		frag_hdr(p + l2 + u, nh, k * chunk, k < n, id);
		ng_frag_copy(m, l2 + u + k * chunk, len, p + l2 + u + 8);
		f->port = m->port;
		f->tx_offload = rte_mbuf_tx_offload(l2, u + 8u, 0, 0, 0, 0, 0);
	}
	ng_frag_cut_first(m, l2 + u + chunk);
	p = (uint8_t *)rte_pktmbuf_prepend(m, 8);
	memmove(p, p + 8, (size_t)l2 + u);
	p[l2 + field] = IPPROTO_FRAGMENT;
	((struct rte_ipv6_hdr *)(p + l2))->payload_len =
			rte_cpu_to_be_16((uint16_t)(u - sizeof(struct rte_ipv6_hdr) + 8 + chunk));
	frag_hdr(p + l2 + u, nh, 0, true, id);
	m->l3_len = (uint16_t)(u + 8);
	*n_out = n;
	return NG_DROP_NONE;
}
