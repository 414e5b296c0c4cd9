/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

/*
 * The local stage: packets for the gateway's own addresses. ARP requests and
 * ICMP echo requests are answered in place; ARP replies go to the control
 * core (the neighbour table). On a port with a kernel twin, what nodegw does
 * not consume for a gateway address (TCP and UDP no NodePort took, other
 * ICMP, fragments, other protocols) goes to the punt stage, and ARP for a
 * gateway address is copied there too; elsewhere TCP and UDP to a port nobody
 * serves go to the reply stage to be refused, and the rest is dropped.
 */
#include "pkt_dp.h"
#include "trace_dp.h"
#include "worker_dp.h"

/*
 * A copy of ARP (or ND, local6_dp.c) for a gateway address for the ingress
 * port's kernel twin, so that the kernel's neighbour table stays right too
 * (nodegw answers the requests). A copy, not a clone: the original is
 * answered in place. A traced original's copy is traced too.
 */
__rte_noinline void
ng_w_punt_copy(struct ng_worker *w, struct rte_mbuf *m, struct ng_vec *punt)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, w->dp->pool, 0, UINT32_MAX);

	if (unlikely(c == NULL)) {
		w->stats.port[ng_port_dp[m->port].idx].drop[NG_DROP_NO_MBUF]++;
		return;
	}
	if (unlikely(w->tr.burst_n != 0))
		ng_w_trace_copy(w, m, c);
	ng_w_next(punt, c, 0);
}

/*
 * Answer an ARP request for one of our addresses in place; hand replies up.
 * On a port with a kernel twin, ARP for a gateway address (not a VIP) is
 * copied to the punt stage too.
 */
static void
local_arp(struct ng_worker *w, struct rte_mbuf *m, struct ng_vec *const *next)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, m->l2_len);
	const struct ng_port_dp *pd = &ng_port_dp[m->port];
	const struct ng_nexthop *nh;
	uint32_t tip;

	if (unlikely(arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
			arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
			arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4)) {
		ng_w_next(next[NG_LOCAL_NEXT_DROP], m, NG_DROP_ARP_MALFORMED);
		return;
	}
	tip = arp->arp_data.arp_tip;
	nh = ng_fib_lookup4_dp(ng_fib_dp(w->dp->fib), tip);
	if (nh == NULL || (nh->type != NG_NH_LOCAL && nh->type != NG_NH_VIP)) {
		ng_w_next(next[NG_LOCAL_NEXT_DROP], m, NG_DROP_ARP_NOT_OURS);
		return;
	}
	if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REPLY) &&
			arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST)) {
		ng_w_next(next[NG_LOCAL_NEXT_DROP], m, NG_DROP_ARP_MALFORMED);
		return;
	}
	if (pd->twin && nh->type == NG_NH_LOCAL)
		ng_w_punt_copy(w, m, next[NG_LOCAL_NEXT_PUNT]);
	if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY)) {
		ng_w_next(next[NG_LOCAL_NEXT_CONTROL], m, NG_CTL_ARP);
		return;
	}
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	arp->arp_data.arp_sha = pd->mac;
	arp->arp_data.arp_sip = tip;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = pd->mac;
	ng_w_next_out(next[NG_LOCAL_NEXT_OUTPUT], m, m->port);
}

/*
 * Answer an ICMP echo request in place.
 * @return NG_DROP_NONE when answered (m handed on), else why not (m untouched).
 */
static enum ng_drop_reason
local_icmp(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, struct ng_vec *const *next)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint16_t ihl = m->l3_len, tot = rte_be_to_cpu_16(ip->total_length);
	struct rte_icmp_hdr *icmp;
	uint16_t old, oldttl;
	uint32_t a;

	if (unlikely(tot < ihl + sizeof(struct rte_icmp_hdr)))
		return NG_DROP_ICMP_MALFORMED;
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return NG_DROP_ICMP_UNHANDLED;
	old = *(uint16_t *)icmp; /* type and code */
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = ng_cksum_update16(icmp->icmp_cksum, old, *(uint16_t *)icmp);

	/* Swapping the addresses leaves the header sum unchanged; the TTL does not. */
	a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	oldttl = *(uint16_t *)&ip->time_to_live;
	ip->time_to_live = 64;
	ip->hdr_checksum = ng_cksum_update16(ip->hdr_checksum, oldttl,
			*(uint16_t *)&ip->time_to_live);

	eth->dst_addr = eth->src_addr;
	eth->src_addr = ng_port_dp[m->port].mac;
	ng_w_next_out(next[NG_LOCAL_NEXT_OUTPUT], m, m->port);
	return NG_DROP_NONE;
}

/*
 * Is an IPv4 packet that nodegw does not consume the kernel's: it came in on
 * a port with a kernel twin, for a gateway address (not a VIP: service
 * addresses never reach the kernel)?
 */
static inline bool
to_kernel(const struct ng_worker *w, const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	const struct ng_nexthop *nh;

	if (!ng_port_dp[m->port].twin)
		return false;
	nh = ng_fib_lookup4_dp(ng_fib_dp(w->dp->fib), ip->dst_addr);
	return nh != NULL && nh->type == NG_NH_LOCAL;
}

/*
 * IPv4 to a gateway address or a VIP: ICMP echo is answered here; on a port
 * with a kernel twin, the rest of what goes to a gateway address goes on to
 * the punt stage; elsewhere TCP and UDP are refused (the reply stage) and the
 * rest dropped.
 */
static void
local_ip4(struct ng_worker *w, struct rte_mbuf *m, struct ng_vec *const *next)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	bool l4 = ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP;
	enum ng_drop_reason r = NG_DROP_LOCAL_PROTO;

	if (unlikely((ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG |
			RTE_IPV4_HDR_OFFSET_MASK)) != 0)) {
		r = NG_DROP_IP_FRAGMENT;
		l4 = false;
	} else if (ip->next_proto_id == IPPROTO_ICMP) {
		r = local_icmp(m, ip, next);
		if (r == NG_DROP_NONE)
			return;
	} else if (l4 && !ng_l4_valid(ip, m->l3_len, rte_be_to_cpu_16(ip->total_length))) {
		ng_w_next(next[NG_LOCAL_NEXT_DROP], m, NG_DROP_L4_HEADER);
		return;
	}
	/* Not consumed here: the kernel's, unless malformed. */
	if (r != NG_DROP_ICMP_MALFORMED && to_kernel(w, m, ip))
		ng_w_next(next[NG_LOCAL_NEXT_PUNT], m, 0);
	else if (l4)
		ng_w_next(next[NG_LOCAL_NEXT_REPLY], m, r);
	else
		ng_w_next(next[NG_LOCAL_NEXT_DROP], m, r);
}

void
ng_local_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	(void)aux;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		uint16_t type = m->l2_len > sizeof(*eth) ?
				((const struct rte_vlan_hdr *)(eth + 1))->eth_proto : eth->ether_type;

		if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
			local_arp(w, m, next);
		else
			local_ip4(w, m, next);
	}
}
