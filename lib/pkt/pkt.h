/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_PKT_H
#define NG_PKT_H

/**
 * @file
 * Packet metadata and packet builders shared by workers and the control core.
 *
 * Every mbuf of nodegw's pool carries a struct ng_mbuf_priv in its private
 * area. Workers use it to hand a packet to another stage or core with what
 * they learnt about it (for example the next hop a packet waits on).
 */

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "ng_addr.h"

struct ng_mbuf_priv {
	struct ng_ip nexthop; /**< next hop awaiting resolution */
	uint16_t out_port;    /**< DPDK port id to send on */
	uint16_t in_port;     /**< DPDK port id it came from */
	uint8_t kind;         /**< enum ng_ctl_kind, for packets sent to the control core */
	uint8_t pad;
	/** An IPv6 datagram reassembled on this gateway (a chain): its largest
	 * fragment as received, IPv6 header included; ip6-forward sends it on as
	 * fragments no larger (lib/worker/reass_dp.c, ip6_frag_dp.c). */
	uint16_t frag_max;
};

/* ICMPv4 types DPDK 22.11 does not name. */
#define NG_ICMP_DEST_UNREACH 3
#define NG_ICMP_TIME_EXCEEDED 11

/** Size to pass to rte_pktmbuf_pool_create() as priv_size. */
#define NG_MBUF_PRIV_SIZE RTE_ALIGN(sizeof(struct ng_mbuf_priv), RTE_MBUF_PRIV_ALIGN)

static inline struct ng_mbuf_priv *
ng_mbuf_priv(struct rte_mbuf *m)
{
	return (struct ng_mbuf_priv *)rte_mbuf_to_priv(m);
}

/**
 * Build a broadcast ARP request "who has tip? tell sip" from smac.
 * @return the mbuf, or NULL when the pool is empty.
 */
struct rte_mbuf *ng_pkt_arp_request(struct rte_mempool *mp, const struct rte_ether_addr *smac,
		uint32_t sip, uint32_t tip);

/**
 * Build an ICMPv4 error (type, code) about the packet orig, whose IPv4 header
 * starts at l3 offset orig->l2_len. The error quotes the original IPv4 header
 * and 8 bytes of payload (RFC 792), comes from src_ip, and is addressed back
 * through the Ethernet source of orig on the same port (the reverse path).
 * The VLAN tag, if any, is kept.
 * @return the new mbuf, or NULL when the pool is empty or orig is too short.
 */
struct rte_mbuf *ng_pkt_icmp4_error(struct rte_mempool *mp, struct rte_mbuf *orig,
		uint8_t type, uint8_t code, uint32_t src_ip);

#endif
