/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv6 stages of the forwarding path:
 *
 * ip6-parse takes from the parse stage the IPv6 that parse does not hand
 * straight to lb6 (plain TCP and UDP: parse_dp.c's ip6_direct(), which
 * decides as this stage would): checks the fixed header and
 * walks the extension headers (pkt6_dp.h), checks the Ethernet destination
 * (the port's MAC, or an IPv6 multicast MAC), and classifies by one LPM6
 * lookup (the worker's IPv6 FIB cache first): TCP and UDP go to lb6 while
 * there are services or tracked connections (their fragments to ip6-reass
 * first, as parse's IPv4 ones go to ip4-reass), and so do ICMPv6 errors to
 * icmp-err (icmp6_err_dp.c), else a gateway address or a VIP goes to
 * ip6-local, the rest to ip6-forward. Multicast to the solicited-node or
 * all-nodes groups carrying
 * ICMPv6 (neighbour discovery) goes to ip6-local too. What nodegw does not
 * serve (link-local destinations, other multicast, and, on a port with a
 * kernel twin, destinations with no route: the kernel's own addresses) goes
 * to the punt stage on a port with a kernel twin, else is dropped.
 *
 * ip6-forward: hop limit (time exceeded), the egress MTU (packet too big:
 * IPv6 routers never fragment), the Ethernet rewrite and the next hop's MAC
 * from the worker's neighbour cache or the neighbour table; a next hop
 * without one goes to the control core, which resolves it with neighbour
 * solicitations.
 */
#include <string.h>

#include <rte_ip.h>

#include "icmp_err_dp.h"
#include "ip6_frag_dp.h"
#include "pkt6_dp.h"
#include "reass_dp.h"
#include "reply_dp.h"
#include "svc_dp.h"
#include "worker_dp.h"

/* Drop m as r, or punt it when it is for the port's kernel twin. */
static inline void
not_ours6(struct rte_mbuf *m, const struct ng_port_dp *pd, enum ng_drop_reason r,
		struct ng_vec *const *next)
{
	ng_w_not_ours(m, pd, r, next[NG_IP6_PARSE_NEXT_PUNT], next[NG_IP6_PARSE_NEXT_DROP]);
}

/* ff02::1 (all nodes) or ff02::1:ffXX:XXXX (solicited node): where ND goes. */
static inline bool
nd_group(const uint8_t a[16])
{
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};

	return ng_ip6_is_solicited_node(a) || memcmp(a, all_nodes, 16) == 0;
}

/*
 * Multicast or link-local destinations: ND to ip6-local, the rest the
 * kernel's (a port with a twin) or dropped. Never forwarded.
 */
static __rte_noinline void
scoped_dst(struct rte_mbuf *m, const struct rte_ipv6_hdr *ip, uint8_t proto,
		const struct ng_port_dp *pd, struct ng_vec *const *next)
{
	if (ng_ip6_is_mcast(ip->dst_addr) && nd_group(ip->dst_addr) && proto == IPPROTO_ICMPV6)
		ng_w_next(next[NG_IP6_PARSE_NEXT_LOCAL], m, 0);
	else
		not_ours6(m, pd, NG_DROP_IPV6, next);
}

void
ng_ip6_parse_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	const struct ng_fib_dp *fib = ng_fib_dp(w->dp->fib);
	const struct ng_ruleset *rs = w->rs;
	/* The service stage runs when there are services or tracked connections. */
	bool lb_on = rs != NULL && (rs->n_fe > 0 || w->ct->n_used > 0);
	uint32_t gen6 = ng_w_fib6_gen(fib);

	(void)aux;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct ng_port_dp *pd = &ng_port_dp[m->port];
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		const struct rte_ipv6_hdr *ip;
		const struct ng_nexthop *nh;
		struct ng_ip6_info info;
		enum ng_drop_reason r;

		/* the port's MAC, or 33:33:xx (IPv6 multicast, RFC 2464 7) */
		if (unlikely(!rte_is_same_ether_addr(&eth->dst_addr, &pd->mac) &&
				(eth->dst_addr.addr_bytes[0] != 0x33 ||
				eth->dst_addr.addr_bytes[1] != 0x33))) {
			not_ours6(m, pd, NG_DROP_NOT_FOR_US, next);
			continue;
		}
		r = ng_ip6_parse(m, &info);
		if (unlikely(r != NG_DROP_NONE)) {
			ng_w_next(next[NG_IP6_PARSE_NEXT_DROP], m, r);
			continue;
		}
		ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, m->l2_len);
		/* a multicast source never; :: only for ND (duplicate address detection) */
		if (unlikely(ng_ip6_is_mcast(ip->src_addr) || (ng_ip6_is_unspec(ip->src_addr) &&
				!ng_ip6_is_mcast(ip->dst_addr)))) {
			ng_w_next(next[NG_IP6_PARSE_NEXT_DROP], m, NG_DROP_IP_SRC);
			continue;
		}
		if (unlikely(ng_ip6_is_mcast(ip->dst_addr) || ng_ip6_is_link_local(ip->dst_addr))) {
			scoped_dst(m, ip, info.proto, pd, next);
			continue;
		}
		nh = ng_w_fib_lookup6(w, fib, gen6, ip->dst_addr);
		/* No route on a port with a twin: an address the kernel has and nodegw not. */
		if (nh == NULL && pd->twin) {
			ng_w_next(next[NG_IP6_PARSE_NEXT_PUNT], m, 0);
			continue;
		}
		if (lb_on && (info.proto == IPPROTO_TCP || info.proto == IPPROTO_UDP)) {
			if (unlikely(ng_ip6_is_fragment(&info)) && ng_reass_wants(w, rs, nh))
				ng_w_next_nh(next[NG_IP6_PARSE_NEXT_REASS], m, nh);
			else
				ng_w_next_nh(next[NG_IP6_PARSE_NEXT_LB], m, nh);
			continue;
		}
		/* ICMPv6 errors may belong to a connection (icmp6_err_dp.c) */
		if (lb_on && info.proto == IPPROTO_ICMPV6 && !ng_ip6_is_fragment(&info) &&
				info.l4_len > 0 &&
				ng_icmp6_err_type(((const uint8_t *)ip)[info.l3_len])) {
			ng_w_next_nh(next[NG_IP6_PARSE_NEXT_ICMP_ERR], m, nh);
			continue;
		}
		if (nh != NULL && (nh->type == NG_NH_LOCAL || nh->type == NG_NH_VIP)) {
			ng_w_next(next[NG_IP6_PARSE_NEXT_LOCAL], m, 0);
			continue;
		}
		if (unlikely(!w->dp->forwarding)) {
			ng_w_next(next[NG_IP6_PARSE_NEXT_DROP], m, NG_DROP_FWD_DISABLED);
			continue;
		}
		ng_w_next_nh(next[NG_IP6_PARSE_NEXT_FORWARD], m, nh);
	}
}

/* Hand a packet whose IPv6 next hop has no MAC yet to the control core. */
static __rte_noinline void
to_resolve6(struct rte_mbuf *m, uint16_t port, const uint8_t via[16],
		struct ng_vec *const *next)
{
	struct ng_mbuf_priv *pv = ng_mbuf_priv(m);

	memset(&pv->nexthop, 0, sizeof(pv->nexthop));
	pv->nexthop.family = AF_INET6;
	memcpy(pv->nexthop.v6, via, 16);
	pv->out_port = port;
	pv->in_port = m->port;
	ng_w_next(next[NG_FORWARD6_NEXT_CONTROL], m, NG_CTL_RESOLVE);
}

__rte_noinline const struct ng_nexthop *
ng_w_fib6_miss(struct ng_w_fib6_slot *set, const struct ng_fib_dp *fib, uint32_t gen,
		const uint8_t dst[16])
{
	set[1] = set[0];
	set[0].nh = ng_fib_lookup6_dp(fib, dst);
	memcpy(set[0].dst, dst, sizeof(set[0].dst));
	set[0].gen = gen;
	set[0].used = 1;
	return set[0].nh;
}

/* The neighbour cache set of (port, IPv6 next hop): by the low 64 bits. */
static inline struct ng_w_neigh6_slot *
neigh6_set(struct ng_worker *w, uint16_t port, const uint8_t via[16])
{
	uint64_t lo;

	RTE_BUILD_BUG_ON(NG_W_NEIGH6_SLOTS != 2 * 64);
	memcpy(&lo, via + 8, sizeof(lo));
	return &w->neigh_cache6[2 * (((lo ^ port) * 0x9e3779b97f4a7c15ull) >> 58)];
}

static __rte_always_inline bool
neigh6_hit(const struct ng_w_neigh6_slot *sl, uint32_t gen, uint16_t port, const uint8_t via[16])
{
	return sl->word != NULL && sl->gen == gen && sl->port == port &&
			ng_ip6_addr_eq(sl->via, via);
}

/* A miss in the neighbour cache: the table, and the entry found into way 0. */
static __rte_noinline uint64_t
neigh6_miss(struct ng_w_neigh6_slot *set, const struct ng_neigh_dp *t, uint32_t gen,
		uint16_t port, const uint8_t via[16])
{
	struct ng_neigh_key k;
	void *data;

	memset(&k, 0, sizeof(k));
	k.addr.family = AF_INET6;
	memcpy(k.addr.v6, via, 16);
	k.port = port;
	if (rte_hash_lookup_data(t->hash, &k, &data) < 0)
		return 0;
	set[1] = set[0];
	memcpy(set[0].via, via, 16);
	set[0].port = port;
	set[0].gen = gen;
	set[0].word = data;
	return __atomic_load_n((uint64_t *)data, __ATOMIC_ACQUIRE);
}

/*
 * The neighbour word of (port, IPv6 next hop): 0 when unknown. From the
 * worker's neighbour cache (two-way set-associative, as the FIB cache) while
 * the table's generation is gen (as ip4-forward's: the control core moves it
 * before an entry leaves the table), else from the table, and the entry found
 * goes into the cache.
 */
static inline uint64_t
neigh_word6(struct ng_worker *w, const struct ng_neigh_dp *t, uint32_t gen, uint16_t port,
		const uint8_t via[16])
{
	struct ng_w_neigh6_slot *set = neigh6_set(w, port, via);

	if (likely(neigh6_hit(&set[0], gen, port, via)))
		return __atomic_load_n(set[0].word, __ATOMIC_ACQUIRE);
	if (likely(neigh6_hit(&set[1], gen, port, via)))
		return __atomic_load_n(set[1].word, __ATOMIC_ACQUIRE);
	return neigh6_miss(set, t, gen, port, via);
}

/*
 * A datagram reassembled here (a chain) goes on as fragments no larger than
 * the largest that came (RFC 8200 5: routers do not fragment, so the gateway
 * keeps the sender's choice, as Linux's nf_defrag_ipv6 does), under a new
 * identification of the worker's (FullNAT sources are shared by many
 * clients); if those are over the egress MTU, packet too big with the MTU.
 * The new fragments go to frags (*nf so far, room for *room more).
 * @return true when m goes on (as the first fragment).
 */
static __rte_noinline bool
refragment6(struct ng_worker *w, struct rte_mbuf *m, uint16_t mtu, struct rte_mbuf **frags,
		uint16_t *nf, uint16_t *room, struct ng_vec *const *next)
{
	uint16_t size = ng_mbuf_priv(m)->frag_max;
	enum ng_drop_reason r;
	unsigned int k = 0;
	uint32_t id;

	if (size > mtu || size == 0) {
		ng_w_next(next[NG_FORWARD6_NEXT_REPLY], m, ng_reply_word(NG_DROP_MTU, mtu));
		return false;
	}
	id = rte_cpu_to_be_32(w->id << 24 | (++w->frag6_id & 0xffffff));
	r = ng_ip6_fragment(m, size, id, w->dp->pool, frags + *nf, *room, &k);
	if (r != NG_DROP_NONE) {
		ng_w_next(next[NG_FORWARD6_NEXT_DROP], m, r);
		return false;
	}
	w->stats.reass.refragmented++;
	w->stats.reass.fragments_out += k + 1;
	*nf = (uint16_t)(*nf + k);
	*room = (uint16_t)(*room - k);
	return true;
}

void
ng_ip6_forward_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	const struct ng_neigh_dp *neigh = ng_neigh_dp(w->dp->neigh);
	uint32_t gen = __atomic_load_n(&neigh->gen, __ATOMIC_ACQUIRE);
	struct ng_vec *drop = next[NG_FORWARD6_NEXT_DROP];
	struct rte_mbuf *frags[NG_W_BURST_MAX];
	union ng_w_aux faux[NG_W_BURST_MAX];
	uint16_t nf = 0, room = ng_w_frag_room(n, next, NG_FORWARD6_NEXT_MAX);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct ng_nexthop *nh = aux[i].nh;
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *,
				m->l2_len);
		const struct ng_port_dp *pd;
		struct rte_ether_hdr *eth;
		const uint8_t *via;
		uint64_t word;

		if (unlikely(nh == NULL)) {
			ng_w_next(drop, m, NG_DROP_NO_ROUTE);
			continue;
		}
		if (unlikely(ip->hop_limits <= 1)) {
			ng_w_next(next[NG_FORWARD6_NEXT_REPLY], m, NG_DROP_TTL_EXPIRED);
			continue;
		}
		pd = &ng_port_dp[nh->port];
		if (unlikely(m->nb_segs > 1)) {
			uint16_t nf0 = nf;

			if (!refragment6(w, m, pd->mtu, frags, &nf, &room, next))
				continue;
			for (; nf0 < nf; nf0++)
				faux[nf0].nh = nh;
			ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, m->l2_len);
		} else if (unlikely(sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len) > pd->mtu)) {
			ng_w_next(next[NG_FORWARD6_NEXT_REPLY], m,
					ng_reply_word(NG_DROP_MTU, pd->mtu));
			continue;
		}
		ip->hop_limits--;
		if (unlikely(m->l2_len != sizeof(struct rte_ether_hdr)))
			ng_w_strip_vlan(m);
		eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		eth->src_addr = pd->mac;
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		via = nh->type == NG_NH_GATEWAY ? nh->gw6 : ip->dst_addr;
		word = neigh_word6(w, neigh, gen, nh->port, via);
		if (likely(word & NG_NEIGH_F_VALID)) {
			ng_neigh_word_to_mac(word, &eth->dst_addr);
			ng_w_next(next[NG_FORWARD6_NEXT_OUTPUT], m, pd->idx);
		} else if (word & NG_NEIGH_F_FAILED) {
			ng_w_next(drop, m, NG_DROP_NEIGH_FAILED);
		} else {
			to_resolve6(m, nh->port, via, next);
		}
	}
	/* the other fragments, as packets of their own (they fit: no recursion past one) */
	if (unlikely(nf > 0))
		ng_ip6_forward_process(w, frags, faux, nf, next);
}
