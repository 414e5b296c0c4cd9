/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv6 service stage: connection tracking, scheduling and NAT for TCP
 * and UDP over IPv6, what lb_dp.c does for IPv4, in its passes over the
 * burst (lb_dp.h): classify (owner, flow key and hash), one bulk lookup of
 * every key with the new FullNAT connections prepared (ng_lb_lookup(), the
 * IPv4 stage's), then each packet in arrival order. The connection table,
 * the services, scheduling, affinity and FullNAT source ports are IPv4's
 * (lb_dp.h): an IPv6 connection is an entry of the same table under a key of
 * the IPv6 family.
 *
 * parse (plain TCP and UDP) and ip6-parse (the rest) hand it TCP and UDP
 * while there are services or tracked connections, with the LPM6 result for
 * the destination. Ownership, as for
 * IPv4: to a VIP or a NodePort, hash(client address, port) % workers, or
 * hash(client address) for services with affinity (and DNAT ones while some
 * DNAT service has affinity); to a gateway address in the FullNAT port range,
 * port % workers; else, while there are DNAT services, the same hash of the
 * destination (the client). A packet this stage does not serve goes on to
 * ip6-local (a gateway address, no NodePort) or
 * ip6-forward (routed); refusals and an expired hop limit to reply. A DSR
 * connection's packet is not rewritten: it goes to ip6ip6-encap with its
 * outer addresses (encap6_dp.h), and the connection has no reply direction.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "encap6_dp.h"
#include "lb_dp.h"
#include "nat_dp.h"
#include "ng_hash.h"
#include "pkt6_dp.h"

/*
 * Owner of a packet from a client to a frontend, lb_dp.c's rule: by the
 * client address when its service keeps a client on one worker (ClientIP
 * affinity) or is DNAT while DNAT replies are routed by address; else by the
 * whole client end (address and port).
 */
static inline unsigned int
owner6_of_client(const struct ng_ruleset *rs, const struct rte_ipv6_hdr *ip,
		const uint16_t *ports, uint8_t proto, unsigned int n)
{
	if (unlikely(rs->n_affinity > 0)) {
		struct ng_fe_key fk = {0};
		const struct ng_svc_obj *svc;

		memcpy(fk.addr.v6, ip->dst_addr, 16);
		fk.port = ports[1];
		fk.proto = proto;
		fk.family = AF_INET6;
		svc = ng_rs_lookup(rs, &fk);
		if (svc != NULL && (svc->affinity ||
				(svc->mode == NG_FWD_DNAT && rs->n_dnat_affinity > 0)))
			return (unsigned int)(ng_hash_addr6(ip->src_addr) % n);
	}
	return (unsigned int)(ng_hash_client6(ip->src_addr, ports[0]) % n);
}

static inline unsigned int
owner6(const struct ng_worker *w, const struct ng_ruleset *rs, const struct ng_nexthop *nh,
		const struct rte_ipv6_hdr *ip, const uint16_t *ports, uint8_t proto)
{
	unsigned int n = w->dp->n_workers;

	if (nh != NULL && nh->type == NG_NH_LOCAL) {
		uint16_t p = rte_be_to_cpu_16(ports[1]);

		if (p >= rs->lport_min && p <= rs->lport_max)
			return p % n;
		return owner6_of_client(rs, ip, ports, proto, n);
	}
	if (nh != NULL && nh->type == NG_NH_VIP)
		return owner6_of_client(rs, ip, ports, proto, n);
	if (rs->n_dnat > 0)
		return (unsigned int)((rs->n_dnat_affinity > 0 ? ng_hash_addr6(ip->dst_addr) :
				ng_hash_client6(ip->dst_addr, ports[1])) % n);
	return w->id;
}

/* lb_dp.c's local_no_frontend() for IPv6: a packet to a gateway address that
 * no frontend takes and no connection uses goes to ip6-local where it arrived. */
static inline bool
local6_no_frontend(const struct ng_worker *w, const struct ng_ruleset *rs,
		const struct ng_nexthop *nh, const struct rte_ipv6_hdr *ip, const uint16_t *ports,
		uint8_t proto)
{
	struct ng_fe_key fk = {0};
	uint16_t p;

	if (likely(nh == NULL || nh->type != NG_NH_LOCAL))
		return false;
	p = rte_be_to_cpu_16(ports[1]);
	if (p >= rs->lport_min && p <= rs->lport_max)
		return false;
	if (ng_lb_local_port_used(w, ports[1]))
		return false;
	memcpy(fk.addr.v6, ip->dst_addr, 16);
	fk.port = ports[1];
	fk.proto = proto;
	fk.family = AF_INET6;
	return ng_rs_lookup(rs, &fk) == NULL;
}

/* owner6() and local6_no_frontend() for a flow given by its parts (icmp6_err_dp.c) */
unsigned int
ng_lb_owner6(const struct ng_worker *w, const struct ng_nexthop *nh, const uint8_t src[16],
		const uint8_t dst[16], uint16_t sport, uint16_t dport, uint8_t proto)
{
	struct rte_ipv6_hdr ip = {.proto = proto};
	const uint16_t ports[2] = {sport, dport};

	memcpy(ip.src_addr, src, 16);
	memcpy(ip.dst_addr, dst, 16);
	return owner6(w, w->rs, nh, &ip, ports, proto);
}

bool
ng_lb_local_no_frontend6(const struct ng_worker *w, const struct ng_nexthop *nh,
		const uint8_t dst[16], uint16_t dport, uint8_t proto)
{
	struct rte_ipv6_hdr ip = {.proto = proto};
	const uint16_t ports[2] = {0, dport};

	memcpy(ip.dst_addr, dst, 16);
	return local6_no_frontend(w, w->rs, nh, &ip, ports, proto);
}

/* Rewrite for the connection: to the backend, or back to the client. */
static inline void
nat6(struct rte_ipv6_hdr *ip, uint16_t *ports, uint8_t proto, const struct ng_conn *c,
		bool is_reply)
{
	if (likely(!is_reply)) {
		/* (ng_nat6() copies the addresses first: a source may be the packet's own) */
		if (c->flags & NG_CT_F_FULLNAT)
			ng_nat6(ip, ports, proto, c->snat.v6, c->lport, c->backend.v6, c->bport);
		else
			ng_nat6(ip, ports, proto, ip->src_addr, ports[0], c->backend.v6, c->bport);
	} else {
		ng_nat6(ip, ports, proto, c->orig.dst.v6, c->orig.dport, c->orig.src.v6,
				c->orig.sport);
	}
}

/*
 * A packet without a connection: the miss path of both families
 * (ng_lb_miss()), with the packet's hop limit.
 */
static inline struct ng_conn *
miss6(struct ng_worker *w, const struct ng_ruleset *rs, struct rte_mbuf *m,
		const struct rte_ipv6_hdr *ip, const struct ng_nexthop *nh,
		struct ng_lb_burst *b, uint16_t ki, uint8_t flags, struct ng_vec *const *next)
{
	return ng_lb_miss(w, rs, m, nh, b, ki, ip->hop_limits, flags, next);
}

/*
 * Pass 3 for one TCP or UDP packet owned by this worker (packet index i, key
 * index ki): an established flow is tracked and rewritten; a miss goes to
 * miss6().
 */
static __rte_always_inline void
lb6_one(struct ng_worker *w, const struct ng_ruleset *rs, const struct ng_fib_dp *fib,
		uint32_t gen6, struct rte_mbuf *m, const struct ng_nexthop *nh,
		struct ng_lb_burst *b, uint16_t i, uint16_t ki, struct ng_vec *const *next)
{
	struct ng_ct *ct = w->ct;
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, m->l2_len);
	uint16_t *ports = (uint16_t *)((uint8_t *)ip + m->l3_len);
	uint8_t proto = b->keys[ki].proto, flags = 0;
	const struct ng_svc_obj *svc = NULL;
	bool is_reply, first = false;
	struct ng_conn *c;

	if (proto == IPPROTO_TCP)
		flags = ((struct rte_tcp_hdr *)ports)->tcp_flags;
	c = ng_lb_burst_conn(ct, b, ki, &is_reply);
	if (likely(c != NULL)) {
		if (unlikely(ip->hop_limits <= 1)) {
			ng_w_next(next[NG_LB6_NEXT_REPLY], m, NG_DROP_TTL_EXPIRED);
			return;
		}
		svc = ng_lb_conn_revalidate(rs, c);
		if (unlikely(ng_lb_conn_retire(ct, c, proto, is_reply, flags)))
			c = NULL;
	}
	if (unlikely(c == NULL)) {
		c = b->conns[ki] = miss6(w, rs, m, ip, nh, b, ki, flags, next);
		if (c == NULL)
			return;
		b->act[i] = NG_LB_NEW;
		svc = c->svc;
		is_reply = false;
		first = true;
	}
	ng_lb_conn_seen(w, c, svc, is_reply, first, proto, flags,
			(uint32_t)sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len));
	if (unlikely(c->flags & NG_CT_F_ONEWAY)) {
		/* DSR: the packet as it came, to the backend in IPv6-in-IPv6 */
		ng_w_next_encap6(w, next[NG_LB6_NEXT_ENCAP], m, c->snat.v6, c->backend.v6,
				b->sigs[ki]);
		return;
	}
	nat6(ip, ports, proto, c, is_reply);
	ng_w_next_nh(next[NG_LB6_NEXT_FORWARD], m, ng_w_fib_lookup6(w, fib, gen6,
			ip->dst_addr));
}

/*
 * The upper layer of a packet parse or ip6-parse handed on (ng_ip6_parse()
 * parsed the header chain, set m->l3_len and trimmed the padding): without
 * extension headers (l3_len 40, the established flows' case) the fixed
 * header's next header and payload length say it all; a chain is walked
 * again.
 * @return false when the chain does not parse (it did in ip6-parse).
 */
static __rte_always_inline bool
lb6_upper(struct rte_mbuf *m, const struct rte_ipv6_hdr *ip, struct ng_ip6_info *info)
{
	if (likely(m->l3_len == sizeof(*ip))) {
		info->l3_len = sizeof(*ip);
		info->l4_len = rte_be_to_cpu_16(ip->payload_len);
		info->proto = ip->proto;
		info->flags = 0;
		return true;
	}
	return ng_ip6_parse(m, info) == NG_DROP_NONE;
}

/*
 * Pass 1: check each packet's upper layer (lb6_upper()), hand it to its owner
 * if that is another worker, build its flow key and hash.
 */
static inline void
lb6_classify(struct ng_worker *w, const struct ng_ruleset *rs, struct rte_mbuf **pkts,
		const union ng_w_aux *aux, uint16_t n, struct ng_lb_burst *b,
		struct ng_vec *const *next)
{
	bool multi = w->dp->n_workers > 1 && !w->in_redirect;
	uint16_t nk = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct ng_nexthop *nh = aux[i].nh;
		const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m,
				const struct rte_ipv6_hdr *, m->l2_len);
		const uint16_t *ports;
		struct ng_ip6_info info;
		enum ng_drop_reason r;

		if (unlikely(!lb6_upper(m, ip, &info))) {
			ng_w_next(next[NG_LB6_NEXT_DROP], m, NG_DROP_IP6_HEADER);
			b->act[i] = NG_LB_DONE;
			continue;
		}
		if (unlikely(ng_ip6_is_fragment(&info))) {
			b->act[i] = NG_LB_FRAG;
			continue;
		}
		r = ng_l4_check6(ip, &info);
		if (unlikely(r != NG_DROP_NONE)) {
			ng_w_next(next[NG_LB6_NEXT_DROP], m, r);
			b->act[i] = NG_LB_DONE;
			continue;
		}
		ports = (const uint16_t *)((const uint8_t *)ip + info.l3_len);
		if (unlikely(local6_no_frontend(w, rs, nh, ip, ports, info.proto))) {
			ng_w_next(next[NG_LB6_NEXT_LOCAL], m, 0);
			b->act[i] = NG_LB_DONE;
			continue;
		}
		/* a chain is a datagram just reassembled: its owner is not known yet */
		if (multi || unlikely(m->nb_segs > 1 && w->dp->n_workers > 1)) {
			unsigned int o = owner6(w, rs, nh, ip, ports, info.proto);

			if (o != w->id) {
				ng_w_next(next[NG_LB6_NEXT_REDIRECT], m, o);
				b->act[i] = NG_LB_DONE;
				continue;
			}
		}
		b->sigs[nk] = ng_ct_key6(&b->keys[nk], ip->src_addr, ip->dst_addr, ports[0],
				ports[1], info.proto);
		b->kp[nk] = &b->keys[nk];
		b->act[i] = 0;
		nk++;
	}
	b->nk = nk;
}

/* Pass 3: each packet in arrival order. */
static inline void
lb6_apply(struct ng_worker *w, const struct ng_ruleset *rs, struct rte_mbuf **pkts,
		const union ng_w_aux *aux, uint16_t n, struct ng_lb_burst *b,
		struct ng_vec *const *next)
{
	const struct ng_fib_dp *fib = ng_fib_dp(w->dp->fib);
	uint32_t gen6 = ng_w_fib6_gen(fib);
	uint16_t ki = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (unlikely(b->act[i] != 0)) {
			if (b->act[i] == NG_LB_FRAG)
				ng_lb_fragment(pkts[i], aux[i].nh, next); /* lb's edges are lb6's */
			continue;
		}
		lb6_one(w, rs, fib, gen6, pkts[i], aux[i].nh, b, i, ki, next);
		ki++;
	}
}

/*
 * The stage: lb_dp.c's three passes over the burst (lb6_classify,
 * ng_lb_lookup, lb6_apply). aux[i].nh is the LPM6 result for pkts[i]'s
 * destination.
 */
void
ng_lb6_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	const struct ng_ruleset *rs = w->rs;
	struct ng_lb_burst b;

	lb6_classify(w, rs, pkts, aux, n, &b, next);
	ng_lb_lookup(w, rs, pkts, aux, n, &b);
	lb6_apply(w, rs, pkts, aux, n, &b, next);
	if (unlikely(w->tr.burst_n != 0))
		ng_lb_trace(w, pkts, n, &b);
}
