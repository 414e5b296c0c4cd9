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
 *
 * DSR (one-way connections), as icmp_err_dp.c does for IPv4: a client-side
 * error about a DSR reply (the backend sent it from the VIP) goes to the
 * backend unchanged, in IPv6-in-IPv6 like the flow's packets (the encap6
 * edge); a backend-side error about the tunnel (a router between gateway and
 * backend quotes the outer IPv6 header the gateway added, next header 41,
 * then the client's packet) goes to the client with the outer quoted header
 * taken off, from the VIP, and packet too big's MTU 40 bytes smaller.
 */
#include <string.h>

#include <rte_ip.h>

#include "ct.h"
#include "encap6_dp.h"
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
	struct rte_ipv6_hdr *outer; /**< a DSR tunnel's outer header, quoted first; or NULL */
	struct rte_ipv6_hdr *ip; /**< the quoted packet's fixed header */
	uint16_t l4_len;         /**< quoted bytes from its TCP/UDP header on (at least 8) */
	uint16_t *ports;
	uint8_t proto;
};

/*
 * The quoted IPv6 fixed header at p with rem bytes quoted from there.
 * @return NG_DROP_NONE, or why the error is dropped.
 */
static inline enum ng_drop_reason
quote6_ip(const uint8_t *p, uint16_t rem)
{
	if (rem < sizeof(struct rte_ipv6_hdr))
		return NG_DROP_ICMP_ERR_TRUNCATED;
	return (*p >> 4) == 6 ? NG_DROP_NONE : NG_DROP_ICMP_ERR_MALFORMED;
}

/*
 * Parse the quote of the ICMPv6 error of len bytes at icmp: a fixed header
 * (after a DSR tunnel's outer one: next header 41, no extension headers),
 * its extension headers, 8 bytes of TCP or UDP, not of a fragment.
 * @return NG_DROP_NONE with *q filled, or why the error is dropped.
 */
static enum ng_drop_reason
quote6_parse(uint8_t *icmp, uint16_t len, struct quote6 *q)
{
	struct ng_ip6_info qi;
	enum ng_drop_reason r;
	uint16_t plen, avail, rem;

	if (len < ICMP6_HDR)
		return NG_DROP_ICMP_ERR_TRUNCATED;
	q->icmp = icmp;
	q->icmp_len = len;
	q->outer = NULL;
	q->ip = (struct rte_ipv6_hdr *)(icmp + ICMP6_HDR);
	rem = (uint16_t)(len - ICMP6_HDR);
	if ((r = quote6_ip((const uint8_t *)q->ip, rem)) != NG_DROP_NONE)
		return r;
	if (q->ip->proto == IPPROTO_IPV6) {
		q->outer = q->ip;
		q->ip = q->outer + 1;
		rem = (uint16_t)(rem - sizeof(struct rte_ipv6_hdr));
		if ((r = quote6_ip((const uint8_t *)q->ip, rem)) != NG_DROP_NONE)
			return r;
	}
	/* the quoted payload: what the header says, as far as the quote holds it */
	plen = rte_be_to_cpu_16(q->ip->payload_len);
	avail = (uint16_t)RTE_MIN(plen, rem - sizeof(struct rte_ipv6_hdr));
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
 * The flow the quote names, as a packet of the connection carries it: the
 * reverse of the quote (a packet the gateway sent), or for a tunnel the
 * client's packet inside it as it is.
 */
struct qflow6 {
	const uint8_t *src, *dst;
	uint16_t sport, dport;
};

static inline void
quote6_flow(const struct quote6 *q, struct qflow6 *f)
{
	bool as_is = q->outer != NULL;

	f->src = as_is ? q->ip->src_addr : q->ip->dst_addr;
	f->dst = as_is ? q->ip->dst_addr : q->ip->src_addr;
	f->sport = q->ports[as_is ? 0 : 1];
	f->dport = q->ports[as_is ? 1 : 0];
}

/*
 * The connection of the quote in w's table, or NULL; *is_reply: the error
 * travels towards the client; *sig: the flow's hash (DSR's flow label). A
 * tunnel's quote must name a DSR connection to the backend the tunnel went
 * to.
 */
static struct ng_conn *
quote6_conn(struct ng_worker *w, const struct quote6 *q, bool *is_reply, uint32_t *sig)
{
	struct ng_flow_key k;
	struct ng_conn *c;
	struct qflow6 f;

	quote6_flow(q, &f);
	*sig = ng_ct_key6(&k, f.src, f.dst, f.sport, f.dport, q->proto);
	c = ng_ct_lookup(w->ct, &k, is_reply);
	if (c == NULL || c->state == NG_CT_AFFINITY)
		return NULL;
	if (q->outer != NULL) {
		if (*is_reply || !(c->flags & NG_CT_F_ONEWAY) ||
				!ng_ip6_addr_eq(c->backend.v6, q->outer->dst_addr))
			return NULL;
		*is_reply = true;
	}
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

/*
 * A backend-side error about a DSR tunnel, for the client: the quoted outer
 * header comes off (the packet shrinks by its 40 bytes), the outer addresses
 * become the VIP's to the client, packet too big tells the MTU the client's
 * packets have inside the tunnel (at least IPv6's 1,280, as Linux's ip6_tnl
 * tells); the ICMPv6 checksum is computed again.
 */
static void
xlate6_tunnel(struct rte_mbuf *m, struct rte_ipv6_hdr *ip, struct quote6 *q,
		const struct ng_conn *c)
{
	uint16_t rest = (uint16_t)(q->icmp_len - ((uint8_t *)q->ip - q->icmp)), ck;

	memmove(q->outer, q->ip, rest);
	q->ip = q->outer;
	q->outer = NULL;
	q->icmp_len = (uint16_t)(q->icmp_len - NG_ENCAP6_OVERHEAD);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->payload_len) -
			NG_ENCAP6_OVERHEAD));
	rte_pktmbuf_trim(m, NG_ENCAP6_OVERHEAD);
	if (q->icmp[0] == NG_ICMP6_PKT_TOO_BIG) {
		uint32_t mtu;

		memcpy(&mtu, q->icmp + 4, sizeof(mtu));
		mtu = rte_be_to_cpu_32(mtu);
		mtu = mtu > NG_IP6_MIN_MTU + NG_ENCAP6_OVERHEAD ? mtu - NG_ENCAP6_OVERHEAD :
				NG_IP6_MIN_MTU;
		mtu = rte_cpu_to_be_32(mtu);
		memcpy(q->icmp + 4, &mtu, sizeof(mtu));
	}
	memcpy(ip->src_addr, c->orig.dst.v6, 16);
	memcpy(ip->dst_addr, c->orig.src.v6, 16);
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
	uint32_t sig;

	/* built by ng_pkt_icmp6_error(): the message right after the fixed header */
	if (quote6_parse((uint8_t *)(ip + 1), rte_be_to_cpu_16(ip->payload_len), &q) !=
			NG_DROP_NONE || q.outer != NULL)
		return false;
	c = quote6_conn(w, &q, &is_reply, &sig);
	if (c == NULL || (c->flags & NG_CT_F_ONEWAY))
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
	uint32_t sig;

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
		/* the flow of the connection: the quote reversed, or a tunnel's inside */
		struct qflow6 f;
		const struct ng_nexthop *qnh;
		unsigned int o;

		quote6_flow(&q, &f);
		qnh = ng_fib_lookup6_dp(fib, f.dst);
		o = ng_lb_owner6(w, qnh, f.src, f.dst, f.sport, f.dport, q.proto);
		if (o != w->id && !ng_lb_local_no_frontend6(w, qnh, f.dst, f.dport, q.proto)) {
			ng_w_next(next[NG_ICMP_ERR_NEXT_REDIRECT], m, o);
			return;
		}
	}
	c = quote6_conn(w, &q, &is_reply, &sig);
	if (c == NULL) {
		unrelated6(w, m, nh, NG_DROP_ICMP_ERR_UNRELATED, next);
		return;
	}
	if (q.outer != NULL) {
		xlate6_tunnel(m, ip, &q, c);
	} else if (c->flags & NG_CT_F_ONEWAY) {
		/* to the DSR backend, in the tunnel, untouched */
		ng_w_next_encap6(w, next[NG_ICMP_ERR_NEXT_ENCAP6], m, c->snat.v6, c->backend.v6,
				sig);
		return;
	} else {
		xlate6(ip, &q, c, is_reply);
	}
	ng_w_next_nh(next[NG_ICMP_ERR_NEXT_FORWARD6], m, ng_fib_lookup6_dp(fib, ip->dst_addr));
}
