/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The icmp-err stage's IPv6 half: ICMPv6 errors (RFC 4443 2.1: destination
 * unreachable, packet too big, time exceeded, parameter problem) that belong
 * to a connection, by icmp_err_dp.c's rules for IPv4.
 *
 * ip6-parse hands the stage ICMPv6 errors that are not fragments while the
 * service stage runs. The message's checksum (over the outer pseudo-header)
 * and the quote are checked (a quoted IPv6 header, its extension headers and
 * 8 bytes of TCP/UDP: ICMP_ERR_MALFORMED, ICMP_ERR_TRUNCATED); the quote is a
 * packet the gateway sent, so its reverse is an IPv6 key of the connection
 * table (ng_ct_key6()), of either direction: the original key (the error came
 * from the client's side, it goes to the backend) or the reply key (from the
 * backend's side, to the client). The owner worker gets it first (lb6's rule,
 * ng_lb_owner6()), unless the reversed quote is a flow to a gateway port no
 * frontend takes, which no connection can be (judged where it arrived: a
 * forged error cannot fill a redirect ring). The owner translates it as the
 * connection's NAT requires (ng_icmp_err_nat_of(), shared with IPv4): the
 * quoted addresses and ports, the quoted TCP/UDP checksum when quoted
 * (incrementally), the outer addresses, and the ICMPv6 checksum computed
 * again over the new pseudo-header. ip6-forward routes it and takes one off
 * its hop limit.
 *
 * Parameter problem is related too, as Linux's conntrack relates it: its
 * pointer is an offset into the quote, and NAT changes no length, so it stays
 * true. Packet too big keeps its MTU: NAT adds no bytes.
 * An error about a one-way (IPv6 DSR) connection is unrelated here: this
 * stage has no edge to ip6ip6-encap yet (doc/architecture.md, ICMP errors).
 */
#include <string.h>

#include <rte_ip.h>

#include "ct.h"
#include "icmp_err_dp.h"
#include "lb_dp.h"
#include "nat_dp.h"
#include "pkt6_dp.h"
#include "worker_dp.h"

/* ICMPv6's header: type, code, checksum, 4 bytes (MTU, pointer, unused). */
#define ICMP6_HDR 8

/* What an ICMPv6 error quotes. */
struct quote6 {
	uint8_t *icmp;           /**< the ICMPv6 message */
	uint16_t icmp_len;
	struct rte_ipv6_hdr *ip; /**< the quoted packet's fixed header */
	uint16_t l4_len;         /**< quoted bytes from its TCP/UDP header on (at least 8) */
	uint16_t *ports;
	uint8_t proto;
};

/*
 * Parse the quote of the ICMPv6 error of len bytes at icmp: a fixed header,
 * its extension headers, 8 bytes of TCP or UDP, not of a fragment.
 * @return NG_DROP_NONE with *q filled, or why the error is dropped.
 */
static enum ng_drop_reason
quote6_parse(uint8_t *icmp, uint16_t len, struct quote6 *q)
{
	struct ng_ip6_info qi;
	uint16_t plen, avail;

	if (len < ICMP6_HDR + sizeof(struct rte_ipv6_hdr))
		return NG_DROP_ICMP_ERR_TRUNCATED;
	q->icmp = icmp;
	q->icmp_len = len;
	q->ip = (struct rte_ipv6_hdr *)(icmp + ICMP6_HDR);
	if ((*(const uint8_t *)q->ip >> 4) != 6)
		return NG_DROP_ICMP_ERR_MALFORMED;
	/* the quoted payload: what the header says, as far as the quote holds it */
	plen = rte_be_to_cpu_16(q->ip->payload_len);
	avail = (uint16_t)RTE_MIN(plen, len - ICMP6_HDR - sizeof(struct rte_ipv6_hdr));
	if (!ng_ip6_is_ext(q->ip->proto)) {
		qi.l3_len = sizeof(struct rte_ipv6_hdr);
		qi.proto = q->ip->proto;
		qi.flags = 0;
	} else if (ng_ip6_ext_walk(q->ip, avail, &qi) != NG_DROP_NONE) {
		return avail < plen ? NG_DROP_ICMP_ERR_TRUNCATED : NG_DROP_ICMP_ERR_MALFORMED;
	}
	/* the gateway sends no fragments of a connection; a later one has no ports */
	if (ng_ip6_is_fragment(&qi) || (qi.proto != IPPROTO_TCP && qi.proto != IPPROTO_UDP))
		return NG_DROP_ICMP_ERR_UNRELATED;
	if (sizeof(struct rte_ipv6_hdr) + avail < qi.l3_len + 8u)
		return NG_DROP_ICMP_ERR_TRUNCATED;
	q->proto = qi.proto;
	q->l4_len = (uint16_t)(sizeof(struct rte_ipv6_hdr) + avail - qi.l3_len);
	q->ports = (uint16_t *)((uint8_t *)q->ip + qi.l3_len);
	return NG_DROP_NONE;
}

/*
 * The connection (NAT, not DSR) of the quote in w's table, or NULL;
 * *is_reply: the error travels towards the client.
 */
static struct ng_conn *
quote6_conn(struct ng_worker *w, const struct quote6 *q, bool *is_reply)
{
	struct ng_flow_key k;
	struct ng_conn *c;

	ng_ct_key6(&k, q->ip->dst_addr, q->ip->src_addr, q->ports[1], q->ports[0], q->proto);
	c = ng_ct_lookup(w->ct, &k, is_reply);
	if (c == NULL || c->state == NG_CT_AFFINITY || (c->flags & NG_CT_F_ONEWAY))
		return NULL;
	return c;
}

/*
 * Translate the error (outer header ip, quote q) for connection c: the quote
 * becomes the packet the receiving end sent, the outer addresses the ones
 * that end knows the connection by; the ICMPv6 checksum computed in full.
 */
static void
xlate6(struct rte_ipv6_hdr *ip, const struct quote6 *q, const struct ng_conn *c,
		bool is_reply)
{
	struct rte_ipv6_hdr *qip = q->ip;
	struct ng_icmp_err_nat n;
	uint16_t ck;
	uint32_t d = 0;

	ng_icmp_err_nat_of(c, is_reply, &n);
	if (!ng_ip6_addr_eq(qip->src_addr, n.qsrc->v6))
		d += ng_cksum_delta128(qip->src_addr, n.qsrc->v6);
	if (!ng_ip6_addr_eq(qip->dst_addr, n.qdst->v6))
		d += ng_cksum_delta128(qip->dst_addr, n.qdst->v6);
	memcpy(qip->src_addr, n.qsrc->v6, 16);
	memcpy(qip->dst_addr, n.qdst->v6, 16);
	ng_icmp_err_l4_nat(q->ports, q->l4_len, q->proto, d, n.qsport, n.qdport);
	if (n.osrc != NULL)
		memcpy(ip->src_addr, n.osrc->v6, 16);
	memcpy(ip->dst_addr, n.odst->v6, 16);
	memset(q->icmp + 2, 0, sizeof(ck));
	ck = ng_ip6_l4_cksum(ip, q->icmp, q->icmp_len, IPPROTO_ICMPV6);
	memcpy(q->icmp + 2, &ck, sizeof(ck));
}

bool
ng_icmp_err_xlate6(struct ng_worker *w, struct rte_mbuf *e)
{
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(e, struct rte_ipv6_hdr *, e->l2_len);
	struct ng_conn *c;
	struct quote6 q;
	bool is_reply;

	/* built by ng_pkt_icmp6_error(): the message right after the fixed header */
	if (quote6_parse((uint8_t *)(ip + 1), rte_be_to_cpu_16(ip->payload_len), &q) !=
			NG_DROP_NONE)
		return false;
	c = quote6_conn(w, &q, &is_reply);
	if (c == NULL)
		return false;
	xlate6(ip, &q, c, is_reply);
	return true;
}

/* An error no connection claims (ng_icmp_err_unrelated(), IPv6's edges). */
static inline void
unrelated6(const struct ng_worker *w, struct rte_mbuf *m, const struct ng_nexthop *nh,
		enum ng_drop_reason r, struct ng_vec *const *next)
{
	ng_icmp_err_unrelated(w, m, nh, r, NG_ICMP_ERR_NEXT_LOCAL6, NG_ICMP_ERR_NEXT_FORWARD6,
			next);
}

void
ng_icmp6_err_one(struct ng_worker *w, struct rte_mbuf *m, const struct ng_nexthop *nh,
		bool multi, struct ng_vec *const *next)
{
	const struct ng_fib_dp *fib = ng_fib_dp(w->dp->fib);
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, m->l2_len);
	struct ng_ip6_info info;
	enum ng_drop_reason r;
	struct ng_conn *c;
	struct quote6 q;
	bool is_reply;

	/* ip6-parse parsed it: this reads the chain's result again */
	if (ng_ip6_parse(m, &info) != NG_DROP_NONE) {
		ng_w_next(next[NG_ICMP_ERR_NEXT_DROP], m, NG_DROP_IP6_HEADER);
		return;
	}
	r = ng_ip6_l4_cksum_ok(ip, (uint8_t *)ip + info.l3_len, info.l4_len, IPPROTO_ICMPV6) ?
			quote6_parse((uint8_t *)ip + info.l3_len, info.l4_len, &q) :
			NG_DROP_ICMP_ERR_MALFORMED;
	if (r != NG_DROP_NONE) {
		unrelated6(w, m, nh, r, next);
		return;
	}
	if (multi) {
		/* the flow of the connection: the quote reversed */
		const struct ng_nexthop *qnh = ng_fib_lookup6_dp(fib, q.ip->src_addr);
		unsigned int o = ng_lb_owner6(w, qnh, q.ip->dst_addr, q.ip->src_addr, q.ports[1],
				q.ports[0], q.proto);

		if (o != w->id && !ng_lb_local_no_frontend6(w, qnh, q.ip->src_addr, q.ports[0],
				q.proto)) {
			ng_w_next(next[NG_ICMP_ERR_NEXT_REDIRECT], m, o);
			return;
		}
	}
	c = quote6_conn(w, &q, &is_reply);
	if (c == NULL) {
		unrelated6(w, m, nh, NG_DROP_ICMP_ERR_UNRELATED, next);
		return;
	}
	xlate6(ip, &q, c, is_reply);
	ng_w_next_nh(next[NG_ICMP_ERR_NEXT_FORWARD6], m, ng_fib_lookup6_dp(fib, ip->dst_addr));
}
