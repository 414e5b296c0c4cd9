/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "pkt.h"

struct rte_mbuf *
ng_pkt_arp_request(struct rte_mempool *mp, const struct rte_ether_addr *smac, uint32_t sip,
		uint32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(smac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp = (struct rte_arp_hdr *)(eth + 1);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(smac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = sip;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = tip;
	m->l2_len = sizeof(*eth);
	return m;
}

struct rte_mbuf *
ng_pkt_icmp4_error(struct rte_mempool *mp, struct rte_mbuf *orig, uint8_t type, uint8_t code,
		uint32_t src_ip)
{
	const struct rte_ether_hdr *oeth = rte_pktmbuf_mtod(orig, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *oip;
	uint16_t l2 = orig->l2_len, quote, olen;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	struct rte_mbuf *m;
	uint8_t *p;

	olen = rte_pktmbuf_data_len(orig);
	if (olen < l2 + sizeof(*oip))
		return NULL;
	oip = rte_pktmbuf_mtod_offset(orig, const struct rte_ipv4_hdr *, l2);
	quote = (uint16_t)((oip->version_ihl & 0x0f) * 4 + 8);
	if (quote > olen - l2)
		quote = (uint16_t)(olen - l2);

	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l2 + sizeof(*ip) + sizeof(*icmp) +
			quote));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	/* Ethernet (and VLAN) header of the original, with the addresses swapped. */
	memcpy(p, oeth, l2);
	rte_ether_addr_copy(&oeth->src_addr, &((struct rte_ether_hdr *)p)->dst_addr);
	rte_ether_addr_copy(&oeth->dst_addr, &((struct rte_ether_hdr *)p)->src_addr);

	ip = (struct rte_ipv4_hdr *)(p + l2);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*icmp) + quote));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = src_ip;
	ip->dst_addr = oip->src_addr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);

	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = type;
	icmp->icmp_code = code;
	icmp->icmp_cksum = 0;
	icmp->icmp_ident = 0; /* "unused" word of time exceeded / unreachable */
	icmp->icmp_seq_nb = 0;
	memcpy((uint8_t *)(icmp + 1), oip, quote);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, sizeof(*icmp) + quote);

	m->l2_len = l2;
	m->l3_len = sizeof(*ip);
	m->port = orig->port;
	return m;
}
