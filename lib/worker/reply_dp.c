/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reply stage: answers for packets other stages refused or could not
 * deliver, as a host or router would. The word each packet brings is the drop
 * reason it is counted under:
 *   NG_DROP_TTL_EXPIRED  ICMP time exceeded from the ingress port's address;
 *   NG_DROP_MTU, NG_DROP_ENCAP_MTU
 *                        over the egress MTU with DF: ICMP "fragmentation
 *                        needed" with the MTU in the word's high half
 *                        (reply_dp.h), from the ingress port's address; when
 *                        the service stage had rewritten the packet, the
 *                        error is translated for the connection's other end
 *                        (ng_icmp_err_xlate4(): it quotes what that end sent);
 *   anything else        a refusal: TCP gets a RST built in place, UDP an
 *                        ICMP port unreachable.
 * IPv6 packets are answered by reply6_dp.c (which adds packet too big).
 * Replies go back out of the ingress port to the Ethernet source of the
 * packet (the reverse path). ICMP errors are limited to icmp.rate_pps per
 * worker (a token bucket); a RST is not. No ICMP error answers an ICMP error
 * or a fragment other than the first (RFC 1122 3.2.2).
 *
 * The stage runs late in the graph so that every stage before it (lb, local,
 * ip4-forward) can hand it packets.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "icmp_err_dp.h"
#include "pkt_dp.h"
#include "reply_dp.h"
#include "trace_dp.h"
#include "worker_dp.h"

/*
 * Token bucket: at most icmp_rate errors per second, bursts of the same size,
 * on the burst's clock (w->now: one rdtsc less, and a simulated clock moves it).
 */
bool
ng_w_icmp_allowed(struct ng_worker *w)
{
	uint64_t now = w->now, rate = w->dp->icmp_rate, hz = w->dp->tsc_hz;
	uint64_t add;

	if (rate == 0)
		return false;
	add = (now - w->icmp_last_tsc) * rate / hz;
	if (add > 0) {
		w->icmp_tokens = RTE_MIN(w->icmp_tokens + add, rate);
		w->icmp_last_tsc = now;
	}
	if (w->icmp_tokens == 0)
		return false;
	w->icmp_tokens--;
	return true;
}

/*
 * An ICMP error (type, code) about m from src_ip, out of m's ingress port;
 * m itself is dropped as reason. A "fragmentation needed" carries mtu and is
 * translated when m belongs to a connection.
 */
static enum ng_trace_reply
icmp_error(struct ng_worker *w, struct rte_mbuf *m, uint8_t type, uint8_t code, uint32_t src_ip,
		uint16_t mtu, enum ng_drop_reason reason, enum ng_drop_reason limited,
		struct ng_vec *const *next)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
			m->l2_len);
	struct rte_mbuf *e;

	if (!ng_icmp4_error_allowed(ip, m->l3_len)) {
		ng_w_next(next[NG_REPLY_NEXT_DROP], m, reason);
		return NG_TRACE_REPLY_NOT_ABOUT_ERROR;
	}
	if (!ng_w_icmp_allowed(w)) {
		ng_w_next(next[NG_REPLY_NEXT_DROP], m, limited);
		return NG_TRACE_REPLY_RATE_LIMITED;
	}
	e = ng_pkt_icmp4_error(w->dp->pool, m, type, code, src_ip);
	if (e == NULL) {
		/* a refusal stays counted as refused; a TTL expiry as a lost reply */
		ng_w_next(next[NG_REPLY_NEXT_DROP], m,
				reason == NG_DROP_TTL_EXPIRED ? NG_DROP_NO_MBUF : reason);
		return NG_TRACE_REPLY_NO_MBUF;
	}
	if (code == NG_ICMP_FRAG_NEEDED && type == NG_ICMP_DEST_UNREACH) {
		struct rte_icmp_hdr *ih = rte_pktmbuf_mtod_offset(e, struct rte_icmp_hdr *,
				e->l2_len + e->l3_len);

		ih->icmp_seq_nb = rte_cpu_to_be_16(mtu); /* RFC 1191's next-hop MTU */
		ih->icmp_cksum = ng_cksum_update16(ih->icmp_cksum, 0, ih->icmp_seq_nb);
		ng_icmp_err_xlate4(w, e);
	}
	rte_ether_addr_copy(&ng_port_dp[m->port].mac,
			&rte_pktmbuf_mtod(e, struct rte_ether_hdr *)->src_addr);
	ng_w_next_out(next[NG_REPLY_NEXT_OUTPUT], e, m->port);
	ng_w_next(next[NG_REPLY_NEXT_DROP], m, reason);
	if (type == NG_ICMP_TIME_EXCEEDED)
		return NG_TRACE_REPLY_TIME_EXCEEDED;
	return code == NG_ICMP_FRAG_NEEDED ? NG_TRACE_REPLY_FRAG_NEEDED :
			NG_TRACE_REPLY_PORT_UNREACH;
}

/* Answer a TCP segment with a RST built in place (RFC 793, "reset generation"). */
static enum ng_trace_reply
tcp_rst(struct ng_worker *w, struct rte_mbuf *m, enum ng_drop_reason reason,
		struct ng_vec *const *next)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	uint16_t ihl = m->l3_len;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)((uint8_t *)ip + ihl), t;
	uint32_t a, seg_len;

	if (th->tcp_flags & RTE_TCP_RST_FLAG) {
		ng_w_next(next[NG_REPLY_NEXT_DROP], m, reason);
		return NG_TRACE_REPLY_NOT_TO_RST;
	}
	/* Refused, and answered: counted here, as the packet itself leaves. */
	w->stats.port[ng_port_dp[m->port].idx].drop[reason]++;
	t = *th;
	seg_len = rte_be_to_cpu_16(ip->total_length) - ihl - ((t.data_off >> 4) * 4);
	if (t.tcp_flags & RTE_TCP_SYN_FLAG)
		seg_len++;
	if (t.tcp_flags & RTE_TCP_FIN_FLAG)
		seg_len++;
	th = (struct rte_tcp_hdr *)((uint8_t *)ip + sizeof(*ip));
	memset(th, 0, sizeof(*th));
	th->src_port = t.dst_port;
	th->dst_port = t.src_port;
	if (t.tcp_flags & RTE_TCP_ACK_FLAG) {
		th->sent_seq = t.recv_ack;
		th->tcp_flags = RTE_TCP_RST_FLAG;
	} else {
		th->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(t.sent_seq) + seg_len);
		th->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	th->data_off = (sizeof(*th) / 4) << 4;

	a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*th));
	ip->packet_id = 0;
	ip->fragment_offset = 0;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - m->l2_len - sizeof(*ip) -
			sizeof(*th)));
	m->l3_len = sizeof(*ip);

	eth->dst_addr = eth->src_addr;
	eth->src_addr = ng_port_dp[m->port].mac;
	ng_w_next_out(next[NG_REPLY_NEXT_OUTPUT], m, m->port);
	return NG_TRACE_REPLY_RST;
}

void
ng_reply_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum ng_drop_reason reason = ng_reply_reason(aux[i].u);
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
				const struct rte_ipv4_hdr *, m->l2_len);
		enum ng_trace_reply did;

		if (unlikely((ip->version_ihl >> 4) == 6))
			did = ng_w_reply6(w, m, aux[i].u, next);
		else if (reason == NG_DROP_TTL_EXPIRED)
			did = icmp_error(w, m, NG_ICMP_TIME_EXCEEDED, 0, ng_port_dp[m->port].ip4, 0,
					reason, NG_DROP_ICMP_RATELIMIT, next);
		else if (reason == NG_DROP_MTU || reason == NG_DROP_ENCAP_MTU)
			did = icmp_error(w, m, NG_ICMP_DEST_UNREACH, NG_ICMP_FRAG_NEEDED,
					ng_port_dp[m->port].ip4, ng_reply_mtu(aux[i].u), reason,
					NG_DROP_ICMP_RATELIMIT, next);
		else if (ip->next_proto_id == IPPROTO_TCP)
			did = tcp_rst(w, m, reason, next);
		else
			did = icmp_error(w, m, NG_ICMP_DEST_UNREACH, 3, ip->dst_addr, 0, reason,
					reason, next);
		if (unlikely(w->tr.burst_n != 0))
			ng_w_trace_reply(w, m, did);
	}
}
