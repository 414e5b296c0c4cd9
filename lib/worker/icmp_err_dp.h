/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_ICMP_ERR_DP_H
#define NG_ICMP_ERR_DP_H
/*
 * ICMP errors that belong to a connection (icmp_err_dp.c for IPv4 and the
 * stage, icmp6_err_dp.c for IPv6): the icmp-err stage forwards those it
 * receives, translated; the reply stage translates the "fragmentation
 * needed" or "packet too big" it builds about a packet the service stage
 * rewrote. And the rule that no ICMP error answers another.
 */
#include <stdbool.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "ct.h"
#include "nat_dp.h"
#include "pkt.h"
#include "worker.h"
#include "worker_dp.h"

#define NG_ICMP_PARAM_PROBLEM 12
/** Destination unreachable, code "fragmentation needed and DF set" (RFC 792, 1191). */
#define NG_ICMP_FRAG_NEEDED 4

/** Is this ICMP type an error (RFC 1122 3.2.2: unreachable, quench, redirect, time, parameter)? */
static inline bool
ng_icmp4_type_is_error(uint8_t type)
{
	return type == NG_ICMP_DEST_UNREACH || type == 4 || type == 5 ||
			type == NG_ICMP_TIME_EXCEEDED || type == NG_ICMP_PARAM_PROBLEM;
}

/**
 * May an ICMP error be sent about this IPv4 packet (l3 bytes at ip, header
 * length ihl, the packet's total length checked by parse)? Not about an ICMP
 * error, nor about a fragment other than the first (RFC 1122 3.2.2, RFC 1812
 * 4.3.2.7).
 */
static inline bool
ng_icmp4_error_allowed(const struct rte_ipv4_hdr *ip, uint16_t ihl)
{
	const uint8_t *l4 = (const uint8_t *)ip + ihl;

	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK))
		return false;
	return ip->next_proto_id != IPPROTO_ICMP ||
			rte_be_to_cpu_16(ip->total_length) < ihl + 1 || !ng_icmp4_type_is_error(l4[0]);
}

/**
 * Translate an ICMP error e (l2_len and l3_len set, the whole message in its
 * first segment) built on worker w about a packet the service stage had
 * rewritten: when its quote names a connection of w's table (NAT, not DSR),
 * the outer and quoted headers become what the other end of the connection
 * knows, as for an error the icmp-err stage forwards.
 * @return true when translated (e's outer destination changed), false when
 *   no connection matched (e is untouched).
 */
bool ng_icmp_err_xlate4(struct ng_worker *w, struct rte_mbuf *e);

/**
 * The same for an ICMPv6 error e (l2_len set, the fixed IPv6 header and the
 * message after it, in its first segment) about an IPv6 packet.
 * @return true when translated, false when no connection matched (e untouched).
 */
bool ng_icmp_err_xlate6(struct ng_worker *w, struct rte_mbuf *e);

/**
 * The icmp-err stage's work on one ICMPv6 error (icmp6_err_dp.c) that
 * ip6-parse handed it (nh: the FIB result for its destination; multi: hand
 * it to the connection's owner when that is another worker).
 */
void ng_icmp6_err_one(struct ng_worker *w, struct rte_mbuf *m, const struct ng_nexthop *nh,
		bool multi, struct ng_vec *const *next);

/** Is this ICMPv6 type an error the icmp-err stage relates to connections (RFC 4443 2.1)? */
static inline bool
ng_icmp6_err_type(uint8_t type)
{
	return type >= 1 && type <= 4; /* unreachable, packet too big, time, parameter */
}

/*
 * What a related error becomes for connection c (either family): the quoted
 * packet's addresses and ports (network order) and the outer addresses.
 * Towards the client (is_reply) the quote is the client's packet to the
 * frontend and the error comes from the frontend; towards the backend the
 * quote is the backend's packet to the FullNAT source (DNAT: the client) and
 * the error comes from the FullNAT source (DNAT: osrc NULL, the sender's
 * address is kept, as Linux does).
 */
struct ng_icmp_err_nat {
	const union ng_addr16 *qsrc, *qdst;
	uint16_t qsport, qdport;
	const union ng_addr16 *osrc, *odst;
};

static inline void
ng_icmp_err_nat_of(const struct ng_conn *c, bool is_reply, struct ng_icmp_err_nat *n)
{
	bool full = (c->flags & NG_CT_F_FULLNAT) != 0;

	if (is_reply) {
		n->qsrc = &c->orig.src;
		n->qsport = c->orig.sport;
		n->qdst = &c->orig.dst;
		n->qdport = c->orig.dport;
		n->osrc = &c->orig.dst;
		n->odst = &c->orig.src;
		return;
	}
	n->qsrc = &c->backend;
	n->qsport = c->bport;
	n->qdst = full ? &c->snat : &c->orig.src;
	n->qdport = full ? c->lport : c->orig.sport;
	n->osrc = full ? &c->snat : NULL;
	n->odst = &c->backend;
}

/*
 * The quoted TCP/UDP header at ports, l4_len bytes of it quoted (at least
 * the 8 with the ports): the ports become sport and dport (network order)
 * and, when the quote holds it, its checksum is patched by the addresses'
 * difference d plus the ports' (RFC 1624; a UDP checksum of 0 stays 0).
 */
static inline void
ng_icmp_err_l4_nat(uint16_t *ports, uint16_t l4_len, uint8_t proto, uint32_t d,
		uint16_t sport, uint16_t dport)
{
	uint16_t ckoff = (uint16_t)((uint8_t *)ng_l4_cksum_ptr(ports, proto) - (uint8_t *)ports);

	d += (uint16_t)~ports[0] + (uint32_t)sport + (uint16_t)~ports[1] + (uint32_t)dport;
	if (l4_len >= ckoff + sizeof(uint16_t)) {
		uint16_t ck, *p = (uint16_t *)((uint8_t *)ports + ckoff);

		memcpy(&ck, p, sizeof(ck));
		if (proto == IPPROTO_TCP || ck != 0) {
			ck = ng_cksum_apply(ck, d);
			if (proto == IPPROTO_UDP && ck == 0)
				ck = 0xffff;
			memcpy(p, &ck, sizeof(ck));
		}
	}
	ports[0] = sport;
	ports[1] = dport;
}

/*
 * An ICMP error of either family that no connection claims: the kernel
 * twin's (for a gateway address on a port with one), dropped as r (for a
 * gateway address or a VIP), else routed on as the parse stages would
 * (local and forward: the family's edges).
 */
static inline void
ng_icmp_err_unrelated(const struct ng_worker *w, struct rte_mbuf *m,
		const struct ng_nexthop *nh, enum ng_drop_reason r, unsigned int local,
		unsigned int forward, struct ng_vec *const *next)
{
	if (nh != NULL && nh->type == NG_NH_LOCAL && ng_port_dp[m->port].twin)
		ng_w_next(next[local], m, 0);
	else if (nh != NULL && (nh->type == NG_NH_LOCAL || nh->type == NG_NH_VIP))
		ng_w_next(next[NG_ICMP_ERR_NEXT_DROP], m, r);
	else if (unlikely(!w->dp->forwarding))
		ng_w_next(next[NG_ICMP_ERR_NEXT_DROP], m, NG_DROP_FWD_DISABLED);
	else
		ng_w_next_nh(next[forward], m, nh);
}

#endif
