/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_ip.h>

/*
 * The ip4-forward stage: TTL, MTU, Ethernet rewrite and the next hop's MAC.
 * A packet goes out (output), to the reply stage (TTL expired; over the
 * egress MTU with DF: "fragmentation needed"), to the control core (its next
 * hop has no MAC yet) or is dropped. A packet without DF over the MTU is
 * fragmented (icmp.fragment, the default) or dropped; a datagram reassembled
 * here (ip4-reass: a chain of mbufs) always goes on as fragments.
 */
#include "ip4_frag_dp.h"
#include "pkt_dp.h"
#include "reply_dp.h"
#include "worker_dp.h"

/* Hand a packet whose next hop has no MAC yet to the control core. */
static __rte_noinline void
to_resolve(struct rte_mbuf *m, uint16_t port, uint32_t via, struct ng_vec *const *next)
{
	struct ng_mbuf_priv *pv = ng_mbuf_priv(m);

	memset(&pv->nexthop, 0, sizeof(pv->nexthop));
	pv->nexthop.family = AF_INET;
	pv->nexthop.v4 = via;
	pv->out_port = port;
	pv->in_port = m->port;
	ng_w_next(next[NG_FORWARD_NEXT_CONTROL], m, NG_CTL_RESOLVE);
}

#define NEIGH_BULK 32

/*
 * Write the neighbour key of (port, IPv4 addr) and return
 * rte_hash_crc(k, sizeof(*k), 0), the neighbour table's hash. The key is
 * built as three 8-byte words and hashed from them: reading back a key just
 * written field by field would stall on store forwarding.
 */
static inline hash_sig_t
neigh_key4(struct ng_neigh_key *k, uint16_t port, uint32_t addr)
{
	uint64_t w[3];

	RTE_BUILD_BUG_ON(sizeof(*k) != sizeof(w));
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	RTE_BUILD_BUG_ON(offsetof(struct ng_neigh_key, addr) != 0 ||
			offsetof(struct ng_ip, family) != 0 || offsetof(struct ng_ip, v4) != 4 ||
			offsetof(struct ng_neigh_key, port) != 20);
	w[0] = AF_INET | (uint64_t)addr << 32;
	w[1] = 0;
	w[2] = (uint64_t)port << 32;
	memcpy(k, w, sizeof(w));
#else
	memset(k, 0, sizeof(*k));
	k->addr.family = AF_INET;
	k->addr.v4 = addr;
	k->port = port;
	memcpy(w, k, sizeof(w));
#endif
	return rte_hash_crc_8byte(w[2], rte_hash_crc_8byte(w[1], rte_hash_crc_8byte(w[0], 0)));
}

/* The MAC packed in a neighbour word (byte 0 lowest) into an Ethernet header. */
static inline void
put_mac(struct rte_ether_addr *mac, uint64_t word)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	memcpy(mac, &word, RTE_ETHER_ADDR_LEN);
#else
	ng_neigh_word_to_mac(word, mac);
#endif
}

/* The neighbour cache slot of (port, IPv4 next hop). */
static inline struct ng_w_neigh_slot *
neigh_slot(struct ng_worker *w, uint16_t port, uint32_t via)
{
	RTE_BUILD_BUG_ON(NG_W_NEIGH_SLOTS != 256);
	return &w->neigh_cache[((via ^ port) * 0x9e3779b1u) >> 24];
}

#define NO_KEY UINT8_MAX

/*
 * Send m by its neighbour word (0: none found): out with the neighbour's MAC,
 * dropped when its resolution failed, else to the control core to resolve.
 * @return 1 when m went into the TX buffers directly (ng_w_out()), else 0.
 */
static __rte_always_inline uint16_t
neigh_send(struct ng_worker *w, struct rte_mbuf *m, uint64_t word, uint8_t pidx, uint16_t port,
		uint32_t via, bool direct, struct ng_vec *const *next)
{
	if (likely(word & NG_NEIGH_F_VALID)) {
		put_mac(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr, word);
		ng_w_out(w, next[NG_FORWARD_NEXT_OUTPUT], direct, m, pidx);
		return direct;
	}
	if (word & NG_NEIGH_F_FAILED)
		ng_w_next(next[NG_FORWARD_NEXT_DROP], m, NG_DROP_NEIGH_FAILED);
	else
		to_resolve(m, port, via, next);
	return 0;
}

/*
 * A packet over the egress MTU: with DF, to the reply stage for a
 * "fragmentation needed" with the MTU; without, fragmented into frags
 * (*nf of them so far, room for *room more) when icmp.fragment is on or m
 * is a datagram reassembled here (its sender let it be fragmented, and it
 * came in fragments), else dropped. @return true when m goes on (as the first
 * fragment).
 */
static __rte_noinline bool
too_big(struct ng_worker *w, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t mtu,
		struct rte_mbuf **frags, uint16_t *nf, uint16_t *room, struct ng_vec *const *next)
{
	enum ng_drop_reason r = NG_DROP_MTU;
	bool reassembled = m->nb_segs > 1;
	unsigned int k = 0;

	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) {
		ng_w_next(next[NG_FORWARD_NEXT_REPLY], m, ng_reply_word(NG_DROP_MTU, mtu));
		return false;
	}
	if (w->dp->fragment || reassembled)
		r = ng_ip4_fragment(m, mtu, w->dp->pool, frags + *nf, *room, &k);
	if (r != NG_DROP_NONE) {
		ng_w_next(next[NG_FORWARD_NEXT_DROP], m, r);
		return false;
	}
	if (reassembled) {
		w->stats.reass.refragmented++;
		w->stats.reass.fragments_out += k + 1;
	}
	*nf = (uint16_t)(*nf + k);
	*room = (uint16_t)(*room - k);
	return true;
}

/*
 * Check and rewrite each packet and find its neighbour in the worker's
 * neighbour cache: a hit is sent at once, unless a packet before it waits for
 * the table. The others take a second pass: their keys are looked up in bulk
 * calls (with their hashes, as the neighbour table computes them), what they
 * found is remembered, and each packet is sent in arrival order. A packet to
 * the same next hop as the packet before it (a gateway, one busy backend)
 * shares its key and lookup. An established flow's packets hit the cache:
 * one pass, none of the second pass's per-packet stores and loads.
 */
void
ng_ip4_forward_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	struct ng_vec *out_v = next[NG_FORWARD_NEXT_OUTPUT], *drop = next[NG_FORWARD_NEXT_DROP];
	const struct ng_neigh_dp *neigh = ng_neigh_dp(w->dp->neigh);
	uint32_t gen = __atomic_load_n(&neigh->gen, __ATOMIC_ACQUIRE);
	struct ng_neigh_key keys[NEIGH_BULK];
	const void *kp[NEIGH_BULK];
	hash_sig_t sigs[NEIGH_BULK];
	struct rte_mbuf *out[NEIGH_BULK];
	const uint64_t *words[NEIGH_BULK];
	uint32_t vias[NEIGH_BULK], kvia[NEIGH_BULK];
	uint16_t ports[NEIGH_BULK];
	uint8_t pidx[NEIGH_BULK];
	uint8_t kref[NEIGH_BULK];
	void *data[NEIGH_BULK];
	uint16_t i = 0, nf = 0, room, n_direct = 0;
	struct rte_mbuf *frags[NG_W_BURST_MAX];
	union ng_w_aux faux[NG_W_BURST_MAX];
	const bool direct = ng_w_out_direct(w, out_v);

	room = ng_w_frag_room(n, next, NG_FORWARD_NEXT_MAX);

	while (i < n) {
		uint16_t nk = 0, np = 0, last_port = UINT16_MAX;
		uint32_t last_via = 0;
		uint64_t hits = 0;

		for (; i < n && np < NEIGH_BULK; i++) {
			struct rte_mbuf *m = pkts[i];
			const struct ng_nexthop *nh = aux[i].nh;
			struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
					m->l2_len);
			const struct ng_w_neigh_slot *sl;
			const struct ng_port_dp *pd;
			struct rte_ether_hdr *eth;
			uint32_t via;

			if (unlikely(nh == NULL)) {
				ng_w_next(drop, m, NG_DROP_NO_ROUTE);
				continue;
			}
			if (unlikely(ip->time_to_live <= 1)) {
				ng_w_next(next[NG_FORWARD_NEXT_REPLY], m, NG_DROP_TTL_EXPIRED);
				continue;
			}
			pd = &ng_port_dp[nh->port];
			if (unlikely(rte_be_to_cpu_16(ip->total_length) > pd->mtu)) {
				uint16_t nf0 = nf;

				if (!too_big(w, m, ip, pd->mtu, frags, &nf, &room, next))
					continue;
				for (; nf0 < nf; nf0++)
					faux[nf0].nh = nh;
			}
			ng_ip4_ttl_dec(ip);
			if (unlikely(m->l2_len != sizeof(struct rte_ether_hdr)))
				ng_w_strip_vlan(m);
			eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
			eth->src_addr = pd->mac;
			eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

			via = nh->type == NG_NH_GATEWAY ? nh->gw4 : ip->dst_addr;
			sl = neigh_slot(w, nh->port, via);
			if (likely(sl->word != NULL && sl->via == via && sl->port == nh->port &&
					sl->gen == gen)) {
				/* nothing before it waits for the bulk lookup: send it
				 * now, in arrival order, without the second pass */
				if (likely(np == 0)) {
					n_direct += neigh_send(w, m, __atomic_load_n(sl->word,
							__ATOMIC_ACQUIRE), pd->idx, nh->port, via,
							direct, next);
					continue;
				}
				words[np] = sl->word;
				kref[np] = NO_KEY;
			} else {
				if (via != last_via || nh->port != last_port) {
					sigs[nk] = neigh_key4(&keys[nk], nh->port, via);
					kp[nk] = &keys[nk];
					kvia[nk] = via;
					nk++;
					last_via = via;
					last_port = nh->port;
				}
				words[np] = NULL;
				kref[np] = (uint8_t)(nk - 1);
			}
			vias[np] = via;
			ports[np] = nh->port;
			pidx[np] = pd->idx;
			out[np++] = m;
		}
		if (np == 0)
			break;
		if (nk > 0) {
			rte_hash_lookup_with_hash_bulk_data(neigh->hash, kp, sigs, nk, &hits, data);
			for (uint16_t x = 0; x < nk; x++) {
				struct ng_w_neigh_slot *sl;

				if (!(hits & (1ull << x)))
					continue;
				sl = neigh_slot(w, keys[x].port, kvia[x]);
				sl->via = kvia[x];
				sl->port = keys[x].port;
				sl->gen = gen;
				sl->word = data[x];
			}
		}
		for (uint16_t j = 0; j < np; j++) {
			struct rte_mbuf *m = out[j];
			const uint64_t *wp = words[j];
			uint64_t word = 0;

			if (wp == NULL && (hits & (1ull << kref[j])))
				wp = data[kref[j]];
			if (likely(wp != NULL))
				word = __atomic_load_n(wp, __ATOMIC_ACQUIRE);
			n_direct += neigh_send(w, m, word, pidx[j], ports[j], vias[j], direct, next);
		}
	}
	ng_w_out_count(w, n_direct);
	/* the other fragments, as packets of their own (they fit: no recursion past one) */
	if (unlikely(nf > 0))
		ng_ip4_forward_process(w, frags, faux, nf, next);
}
