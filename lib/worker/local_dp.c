/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

/*
 * The local stage: packets for the gateway's own addresses. ARP requests and
 * ICMP echo requests are answered in place; ARP replies go to the control
 * core (the neighbour table); TCP and UDP to a port nobody serves go to the
 * reply stage to be refused.
 */
#include "pkt_dp.h"
#include "worker_dp.h"

/* Answer an ARP request for one of our addresses in place; hand replies up. */
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
	if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY)) {
		ng_w_next(next[NG_LOCAL_NEXT_CONTROL], m, NG_CTL_ARP);
		return;
	}
	if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST)) {
		ng_w_next(next[NG_LOCAL_NEXT_DROP], m, NG_DROP_ARP_MALFORMED);
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

/* Answer an ICMP echo request in place. */
static void
local_icmp(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, struct ng_vec *const *next)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint16_t ihl = m->l3_len, tot = rte_be_to_cpu_16(ip->total_length);
	struct rte_icmp_hdr *icmp;
	uint16_t old, oldttl;
	uint32_t a;

	if (unlikely(tot < ihl + sizeof(struct rte_icmp_hdr))) {
		ng_w_next(next[NG_LOCAL_NEXT_DROP], m, NG_DROP_ICMP_MALFORMED);
		return;
	}
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		ng_w_next(next[NG_LOCAL_NEXT_DROP], m, NG_DROP_ICMP_UNHANDLED);
		return;
	}
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
}

void
ng_local_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	struct ng_vec *drop = next[NG_LOCAL_NEXT_DROP];

	(void)aux;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		uint16_t type = m->l2_len > sizeof(*eth) ?
				((const struct rte_vlan_hdr *)(eth + 1))->eth_proto : eth->ether_type;
		struct rte_ipv4_hdr *ip;

		if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
			local_arp(w, m, next);
			continue;
		}
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
		if (unlikely((ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG |
				RTE_IPV4_HDR_OFFSET_MASK)) != 0)) {
			ng_w_next(drop, m, NG_DROP_IP_FRAGMENT);
			continue;
		}
		if (ip->next_proto_id == IPPROTO_ICMP) {
			local_icmp(m, ip, next);
		} else if (ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP) {
			if (!ng_l4_valid(ip, m->l3_len, rte_be_to_cpu_16(ip->total_length)))
				ng_w_next(drop, m, NG_DROP_L4_HEADER);
			else
				ng_w_next(next[NG_LOCAL_NEXT_REPLY], m, NG_DROP_LOCAL_PROTO);
		} else {
			ng_w_next(drop, m, NG_DROP_LOCAL_PROTO);
		}
	}
}
