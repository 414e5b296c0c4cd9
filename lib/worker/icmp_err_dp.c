/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The icmp-err stage: ICMP errors (destination unreachable, "fragmentation
 * needed" among them, time exceeded, parameter problem) that belong to a
 * connection, as Linux's conntrack treats RELATED errors.
 *
 * parse hands it the IPv4 ICMP packets (not fragments) while the service
 * stage runs. Anything but an error goes on as parse would have sent it
 * (local for a gateway address or a VIP, else ip4-forward). An error is
 * checked (ICMP checksum, a quoted IPv4 header with the TCP/UDP ports), and
 * its quote names the connection: the quote is a packet the gateway sent, so
 * its reverse is a key of the connection table, in either direction:
 *
 *   from the client's side (the error is about a reply, VIP -> client): the
 *     reverse is the original key; the error goes to the backend;
 *   from the backend's side (about a packet the gateway sent the backend,
 *     FullNAT source or client -> backend): the reverse is the reply key;
 *     the error goes to the client.
 *
 * The error goes to the connection's owner first (the redirect edge), by the
 * rule the connection's packets follow. There it is translated as the
 * connection's NAT requires (the idea of Linux's nf_nat_icmp_reply_translation):
 * the quote becomes the packet the receiving end sent (addresses and ports,
 * the quoted IPv4 header checksum, and the quoted TCP/UDP checksum when the
 * quote holds it, each patched incrementally, RFC 1624); the outer
 * destination becomes that end, the outer source the address that end knows
 * the connection by (the FullNAT source towards a backend, the VIP towards a
 * client; a DNAT connection keeps the router's address towards the backend);
 * the outer IPv4 and ICMP checksums are computed again. The translated error
 * goes to ip4-forward, which takes one off its TTL.
 *
 * DSR: a client-side error about a DSR connection's reply (which the backend
 * sent the client directly, from the VIP) goes to its backend unchanged, in
 * IPv4-in-IPv4 like the flow's packets (the encap edge); a backend-side error
 * about the tunnel (its quote is the outer IPv4 header the gateway added,
 * then the client's packet) goes to the client with the outer quoted header
 * taken off and "fragmentation needed"'s MTU 20 bytes smaller.
 *
 * An error whose quote names no connection is the kernel's when it came for a
 * gateway address on a port with a kernel twin (its own connections: BGP, the
 * kubelet), routed on when it is transit traffic, and otherwise dropped as
 * ICMP_ERR_UNRELATED. Errors never create connections, and nothing here
 * answers one (the reply stage refuses to answer ICMP errors too).
 */
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "ct.h"
#include "encap_dp.h"
#include "icmp_err_dp.h"
#include "lb_dp.h"
#include "nat_dp.h"
#include "worker_dp.h"

/* Not an ICMP error: hand it on as parse would (a value no drop reason takes). */
#define NOT_ERROR NG_DROP_MAX

/* What an ICMP error quotes. */
struct quote {
	struct rte_icmp_hdr *icmp;
	uint16_t icmp_len;          /**< the ICMP message's bytes */
	struct rte_ipv4_hdr *ip;    /**< the quoted TCP/UDP packet's header (IPIP: the inner one) */
	uint16_t ihl;
	uint16_t l4_len;            /**< quoted bytes from its TCP/UDP header on (at least 8) */
	uint16_t *ports;
	struct rte_ipv4_hdr *outer; /**< IPIP: the quoted outer header; else NULL */
};

/*
 * Check a quoted IPv4 header of len bytes: a whole header, then 8 bytes, of
 * a first fragment. @return NG_DROP_NONE or why not.
 */
static enum ng_drop_reason
quote_ip(const struct rte_ipv4_hdr *q, uint16_t len, uint16_t *ihl)
{
	if (len < sizeof(*q))
		return NG_DROP_ICMP_ERR_TRUNCATED;
	*ihl = (uint16_t)((q->version_ihl & 0x0f) * 4);
	if ((q->version_ihl >> 4) != 4 || *ihl < sizeof(*q))
		return NG_DROP_ICMP_ERR_MALFORMED;
	if (len < *ihl + 8)
		return NG_DROP_ICMP_ERR_TRUNCATED;
	/* a later fragment has no ports to find its flow by */
	if (q->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK))
		return NG_DROP_ICMP_ERR_UNRELATED;
	return NG_DROP_NONE;
}

/*
 * Parse the ICMP message of an IPv4 packet (ip, header length ihl).
 * @return NOT_ERROR, NG_DROP_NONE with *q filled, or why the error is dropped.
 */
static enum ng_drop_reason
quote_parse(struct rte_ipv4_hdr *ip, uint16_t ihl, struct quote *q)
{
	uint16_t len = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - ihl), qlen, qihl;
	enum ng_drop_reason r;
	uint8_t *p;

	q->icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (len < sizeof(struct rte_icmp_hdr) || (q->icmp->icmp_type != NG_ICMP_DEST_UNREACH &&
			q->icmp->icmp_type != NG_ICMP_TIME_EXCEEDED &&
			q->icmp->icmp_type != NG_ICMP_PARAM_PROBLEM))
		return NOT_ERROR;
	if (rte_raw_cksum(q->icmp, len) != 0xffff)
		return NG_DROP_ICMP_ERR_MALFORMED;
	q->icmp_len = len;
	p = (uint8_t *)(q->icmp + 1);
	qlen = (uint16_t)(len - sizeof(struct rte_icmp_hdr));
	r = quote_ip((const struct rte_ipv4_hdr *)p, qlen, &qihl);
	if (r != NG_DROP_NONE)
		return r;
	q->outer = NULL;
	if (((struct rte_ipv4_hdr *)p)->next_proto_id == IPPROTO_IPIP) {
		q->outer = (struct rte_ipv4_hdr *)p;
		p += qihl;
		qlen = (uint16_t)(qlen - qihl);
		r = quote_ip((const struct rte_ipv4_hdr *)p, qlen, &qihl);
		if (r != NG_DROP_NONE)
			return r;
	}
	q->ip = (struct rte_ipv4_hdr *)p;
	q->ihl = qihl;
	if (q->ip->next_proto_id != IPPROTO_TCP && q->ip->next_proto_id != IPPROTO_UDP)
		return NG_DROP_ICMP_ERR_UNRELATED;
	q->l4_len = (uint16_t)(qlen - qihl);
	q->ports = (uint16_t *)(p + qihl);
	return NG_DROP_NONE;
}

/*
 * The flow the quote names, as a packet of the connection would carry it:
 * the reverse of the quote (the quote is a packet the gateway sent), or for
 * a tunnel the client's packet inside it as it is.
 */
struct qflow {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
};

static inline void
quote_flow(const struct quote *q, struct qflow *f)
{
	f->proto = q->ip->next_proto_id;
	if (q->outer != NULL) {
		f->src = q->ip->src_addr;
		f->dst = q->ip->dst_addr;
		f->sport = q->ports[0];
		f->dport = q->ports[1];
	} else {
		f->src = q->ip->dst_addr;
		f->dst = q->ip->src_addr;
		f->sport = q->ports[1];
		f->dport = q->ports[0];
	}
}

/*
 * The connection of the quote in w's table, or NULL; *is_reply: the error
 * travels towards the client. A tunnel's quote must name a DSR connection to
 * the backend the tunnel went to.
 */
static struct ng_conn *
quote_conn(struct ng_worker *w, const struct quote *q, const struct qflow *f, bool *is_reply)
{
	struct ng_flow_key k;
	struct ng_conn *c;

	ng_ct_key4(&k, f->src, f->dst, f->sport, f->dport, f->proto);
	c = ng_ct_lookup(w->ct, &k, is_reply);
	if (c == NULL || c->state == NG_CT_AFFINITY)
		return NULL;
	if (q->outer != NULL) {
		if (*is_reply || !(c->flags & NG_CT_F_ONEWAY) ||
				c->backend.v4 != q->outer->dst_addr)
			return NULL;
		*is_reply = true;
	}
	return c;
}

/*
 * Rewrite the quoted packet's addresses and ports (network order), patching
 * its IPv4 header checksum and, when the quote holds it, its TCP/UDP
 * checksum (a UDP checksum of 0 stays 0).
 */
static void
quote_nat(const struct quote *q, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	struct rte_ipv4_hdr *ip = q->ip;
	uint16_t *ports = q->ports;
	uint32_t d3 = 0, d4;
	uint8_t proto = ip->next_proto_id;
	uint16_t ckoff = proto == IPPROTO_TCP ? offsetof(struct rte_tcp_hdr, cksum) :
			offsetof(struct rte_udp_hdr, dgram_cksum);

	if (ip->src_addr != src)
		d3 += ng_cksum_delta32(ip->src_addr, src);
	if (ip->dst_addr != dst)
		d3 += ng_cksum_delta32(ip->dst_addr, dst);
	d4 = d3 + (uint16_t)~ports[0] + (uint32_t)sport + (uint16_t)~ports[1] + (uint32_t)dport;
	ip->hdr_checksum = ng_cksum_apply(ip->hdr_checksum, d3);
	ip->src_addr = src;
	ip->dst_addr = dst;
	if (q->l4_len >= ckoff + sizeof(uint16_t)) {
		uint16_t ck, *p = (uint16_t *)((uint8_t *)ports + ckoff);

		memcpy(&ck, p, sizeof(ck));
		if (proto == IPPROTO_TCP || ck != 0) {
			ck = ng_cksum_apply(ck, d4);
			if (proto == IPPROTO_UDP && ck == 0)
				ck = 0xffff;
			memcpy(p, &ck, sizeof(ck));
		}
	}
	ports[0] = sport;
	ports[1] = dport;
}

/* The outer addresses of ip and both checksums of the error, computed again. */
static void
outer_set(struct rte_ipv4_hdr *ip, const struct quote *q, uint32_t src, uint32_t dst)
{
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	q->icmp->icmp_cksum = 0;
	q->icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(q->icmp, q->icmp_len);
}

/*
 * Translate an error (not DSR) for connection c: towards the client
 * (is_reply) its quote becomes the client's packet to the frontend, else
 * the backend's packet to the FullNAT source or the client.
 */
static void
xlate_nat(struct rte_ipv4_hdr *ip, const struct quote *q, const struct ng_conn *c,
		bool is_reply)
{
	bool full = (c->flags & NG_CT_F_FULLNAT) != 0;

	if (is_reply) {
		quote_nat(q, c->orig.src.v4, c->orig.sport, c->orig.dst.v4, c->orig.dport);
		outer_set(ip, q, c->orig.dst.v4, c->orig.src.v4);
		return;
	}
	quote_nat(q, c->backend.v4, c->bport, full ? c->snat.v4 : c->orig.src.v4,
			full ? c->lport : c->orig.sport);
	outer_set(ip, q, full ? c->snat.v4 : ip->src_addr, c->backend.v4);
}

/*
 * A backend-side error about a DSR tunnel, for the client: the quoted outer
 * header comes off (the packet shrinks by its length), the outer addresses
 * become the VIP's to the client, "fragmentation needed" tells the MTU the
 * client's packets have inside the tunnel.
 */
static void
xlate_tunnel(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, struct quote *q,
		const struct ng_conn *c)
{
	uint16_t cut = (uint16_t)((uint8_t *)q->ip - (uint8_t *)q->outer);
	uint16_t rest = (uint16_t)(q->icmp_len - ((uint8_t *)q->ip - (uint8_t *)q->icmp));

	memmove(q->outer, q->ip, rest);
	q->ip = q->outer;
	q->ports = (uint16_t *)((uint8_t *)q->ip + q->ihl);
	q->outer = NULL;
	q->icmp_len = (uint16_t)(q->icmp_len - cut);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->total_length) - cut));
	rte_pktmbuf_trim(m, cut);
	if (q->icmp->icmp_type == NG_ICMP_DEST_UNREACH &&
			q->icmp->icmp_code == NG_ICMP_FRAG_NEEDED) {
		uint16_t mtu = rte_be_to_cpu_16(q->icmp->icmp_seq_nb);

		/* 0: a router before RFC 1191, which the client's plateau table handles */
		if (mtu > NG_ENCAP_OVERHEAD + 68)
			q->icmp->icmp_seq_nb = rte_cpu_to_be_16(mtu - NG_ENCAP_OVERHEAD);
	}
	outer_set(ip, q, c->orig.dst.v4, c->orig.src.v4);
}

bool
ng_icmp_err_xlate4(struct ng_worker *w, struct rte_mbuf *e)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(e, struct rte_ipv4_hdr *, e->l2_len);
	struct quote q;
	struct qflow f;
	struct ng_conn *c;
	bool is_reply;

	if (quote_parse(ip, e->l3_len, &q) != NG_DROP_NONE || q.outer != NULL)
		return false;
	quote_flow(&q, &f);
	c = quote_conn(w, &q, &f, &is_reply);
	if (c == NULL || (c->flags & NG_CT_F_ONEWAY))
		return false;
	xlate_nat(ip, &q, c, is_reply);
	return true;
}

/* Not an error of ours: on as parse would have sent it. */
static inline void
pass_on(const struct ng_worker *w, struct rte_mbuf *m, const struct ng_nexthop *nh,
		struct ng_vec *const *next)
{
	if (nh != NULL && (nh->type == NG_NH_LOCAL || nh->type == NG_NH_VIP))
		ng_w_next(next[NG_ICMP_ERR_NEXT_LOCAL], m, 0);
	else if (unlikely(!w->dp->forwarding))
		ng_w_next(next[NG_ICMP_ERR_NEXT_DROP], m, NG_DROP_FWD_DISABLED);
	else
		ng_w_next_nh(next[NG_ICMP_ERR_NEXT_FORWARD], m, nh);
}

/*
 * An error no connection claims: the kernel twin's (for a gateway address
 * on a port with one), routed (transit), or dropped.
 */
static inline void
unrelated(const struct ng_worker *w, struct rte_mbuf *m, const struct ng_nexthop *nh,
		enum ng_drop_reason r, struct ng_vec *const *next)
{
	if (nh != NULL && nh->type == NG_NH_LOCAL && ng_port_dp[m->port].twin)
		ng_w_next(next[NG_ICMP_ERR_NEXT_LOCAL], m, 0);
	else if (nh != NULL && (nh->type == NG_NH_LOCAL || nh->type == NG_NH_VIP))
		ng_w_next(next[NG_ICMP_ERR_NEXT_DROP], m, r);
	else
		pass_on(w, m, nh, next);
}

/* One ICMP packet (aux: the FIB result for its destination). */
static inline void
icmp_err_one(struct ng_worker *w, const struct ng_fib_dp *fib, struct rte_mbuf *m,
		const struct ng_nexthop *nh, bool multi, struct ng_vec *const *next)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	enum ng_drop_reason r;
	struct ng_conn *c;
	struct quote q;
	struct qflow f;
	bool is_reply;

	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG |
			RTE_IPV4_HDR_OFFSET_MASK)) {
		pass_on(w, m, nh, next);
		return;
	}
	r = quote_parse(ip, m->l3_len, &q);
	if (r == NOT_ERROR) {
		pass_on(w, m, nh, next);
		return;
	}
	if (r != NG_DROP_NONE) {
		unrelated(w, m, nh, r, next);
		return;
	}
	quote_flow(&q, &f);
	if (multi) {
		unsigned int o = ng_lb_owner4(w, ng_fib_lookup4_dp(fib, f.dst), f.src, f.dst,
				f.sport, f.dport, f.proto);

		if (o != w->id) {
			ng_w_next(next[NG_ICMP_ERR_NEXT_REDIRECT], m, o);
			return;
		}
	}
	c = quote_conn(w, &q, &f, &is_reply);
	if (c == NULL) {
		unrelated(w, m, nh, NG_DROP_ICMP_ERR_UNRELATED, next);
		return;
	}
	if (q.outer != NULL)
		xlate_tunnel(m, ip, &q, c);
	else if (c->flags & NG_CT_F_ONEWAY) {
		/* to the DSR backend, in the tunnel, untouched */
		ng_w_next(next[NG_ICMP_ERR_NEXT_ENCAP], m, ng_encap_word(c->snat.v4,
				c->backend.v4));
		return;
	} else {
		xlate_nat(ip, &q, c, is_reply);
	}
	ng_w_next_nh(next[NG_ICMP_ERR_NEXT_FORWARD], m, ng_fib_lookup4_dp(fib, ip->dst_addr));
}

void
ng_icmp_err_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	const struct ng_fib_dp *fib = ng_fib_dp(w->dp->fib);
	bool multi = w->dp->n_workers > 1 && !w->in_redirect;

	for (uint16_t i = 0; i < n; i++)
		icmp_err_one(w, fib, pkts[i], aux[i].nh, multi, next);
}
