/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_PKT6_H
#define NG_PKT6_H

/**
 * @file
 * IPv6 packet builders: ICMPv6 errors and echo replies (RFC 4443), neighbour
 * discovery (RFC 4861) and the TCP RST that refuses a connection. Workers call
 * them off the hot path (local traffic, refusals, errors); the control core
 * calls the ND builders to resolve neighbours.
 *
 * In-place builders take a packet parsed by ng_ip6_parse() (its info) and
 * turn it into the answer, dropping any extension headers of the original;
 * the others allocate from a pool. Every packet built carries a correct
 * ICMPv6 or TCP checksum over the IPv6 pseudo-header.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ng_stats.h"
#include "pkt6_dp.h"

/** Longest quote of an ICMPv6 error: the error fits the minimum MTU (RFC 4443 2.4(c)). */
#define NG_ICMP6_QUOTE_MAX (NG_IP6_MIN_MTU - sizeof(struct rte_ipv6_hdr) - 8)
/** Hop limit of the ICMPv6 errors, echo replies and RSTs nodegw sends. */
#define NG_IP6_HOP_LIMIT 64
/** Hop limit of every ND message (RFC 4861 7.1: receivers check it). */
#define NG_ND_HOP_LIMIT 255

/**
 * May an ICMPv6 error (type, code) be sent about orig (RFC 4443 2.4(e))? Not
 * about an ICMPv6 error or a redirect, a packet from the unspecified or a
 * multicast address, nor (except packet too big and parameter problem code
 * 2) a packet sent to an IPv6 or Ethernet multicast or broadcast address.
 * orig's IPv6 header starts at orig->l2_len; a malformed extension-header
 * chain does not forbid an error (it may be the error's subject).
 */
bool ng_icmp6_error_allowed(const struct rte_mbuf *orig, uint8_t type, uint8_t code);

/**
 * Build an ICMPv6 error (type, code) about the packet orig, whose IPv6 header
 * starts at orig->l2_len: destination unreachable (NG_ICMP6_UNREACH_NO_ROUTE,
 * _ADMIN, _PORT...), packet too big, time exceeded (hop limit), parameter
 * problem. The error quotes as much of orig's IPv6 packet (from its fixed
 * header, up to its payload length) as fits in 1280 bytes, comes from src
 * and smac, and goes back to orig's IPv6 and Ethernet source on the same port
 * (the reverse path), with orig's VLAN tag if any.
 * @param word the 32 bits after the checksum, host order: the MTU of a
 *   packet too big, the pointer of a parameter problem, else 0
 * @return the mbuf (l2_len, l3_len and port set), or NULL with rte_errno
 *   EINVAL (orig holds no IPv6 fixed header), EPERM (ng_icmp6_error_allowed()
 *   says no) or ENOBUFS (pool empty).
 */
struct rte_mbuf *ng_pkt_icmp6_error(struct rte_mempool *mp, struct rte_mbuf *orig,
		uint8_t type, uint8_t code, uint32_t word, const uint8_t src[16],
		const struct rte_ether_addr *smac);

/**
 * Turn an ICMPv6 echo request to us into its reply, in place: type 129, the
 * addresses swapped (src, when given, replaces the request's destination: a
 * reply to a multicast echo comes from a unicast address), hop limit 64,
 * extension headers dropped, identifier, sequence and data kept, the
 * checksum updated incrementally; Ethernet back to its source from smac.
 * @return NG_DROP_NONE, or why m must be dropped instead: NG_DROP_ICMP_MALFORMED
 *   (shorter than 8 bytes, a fragment), NG_DROP_ICMP_UNHANDLED (not an echo
 *   request), NG_DROP_ICMP6_CKSUM, NG_DROP_IP_SRC (from :: or a multicast
 *   address).
 */
enum ng_drop_reason ng_icmp6_echo_reply(struct rte_mbuf *m, const struct ng_ip6_info *info,
		const uint8_t src[16], const struct rte_ether_addr *smac);

/**
 * Turn a TCP segment that nobody will accept into the RST that refuses it
 * (RFC 9293 3.10.7.1, as a host with no listener answers), in place: a
 * segment with ACK gets RST with its ack as sequence, one without gets
 * RST|ACK acknowledging everything it carried (SYN and FIN count). The
 * addresses and ports are swapped, extension headers dropped, hop limit 64,
 * the checksum computed; Ethernet back to its source from smac.
 * @return 0, or -EINVAL (not a complete TCP header, a fragment, a RST, or
 *   from :: or a multicast address: nothing is sent).
 */
int ng_pkt_tcp6_rst(struct rte_mbuf *m, const struct ng_ip6_info *info,
		const struct rte_ether_addr *smac);

/* Neighbour advertisement flags (first byte after the checksum). */
#define NG_ND_NA_ROUTER 0x80
#define NG_ND_NA_SOLICITED 0x40
#define NG_ND_NA_OVERRIDE 0x20

/* ND option types (RFC 4861 4.6). */
#define NG_ND_OPT_SLLA 1 /**< source link-layer address */
#define NG_ND_OPT_TLLA 2 /**< target link-layer address */

/** A neighbour solicitation or advertisement, validated. */
struct ng_nd_msg {
	uint8_t type;       /**< NG_ICMP6_ND_NS or NG_ICMP6_ND_NA */
	uint8_t flags;      /**< NA: NG_ND_NA_*; NS: 0 */
	bool has_lladdr;    /**< the NS's source / the NA's target link-layer option came */
	uint8_t target[16];
	struct rte_ether_addr lladdr; /**< that option's address */
	uint8_t src[16];    /**< the packet's IPv6 source */
	uint8_t dst[16];    /**< the packet's IPv6 destination */
};

/**
 * Validate and read a neighbour solicitation or advertisement parsed by
 * ng_ip6_parse() (RFC 4861 7.1.1 and 7.1.2): hop limit 255, code 0, at least
 * 24 bytes, a valid checksum, a target that is not multicast, options of
 * non-zero length within the message, link-layer address options of length
 * 1 (Ethernet); a solicitation from :: goes to a solicited-node address and
 * has no source link-layer option; an advertisement to a multicast address is
 * not solicited, and comes from a unicast address. Not fragmented (RFC 6980),
 * not from a multicast address.
 * Options other than the link-layer address are skipped; of several
 * link-layer address options the first counts.
 * @return NG_DROP_NONE, NG_DROP_ICMP6_CKSUM or NG_DROP_ND_INVALID.
 */
enum ng_drop_reason ng_nd_parse(const struct rte_mbuf *m, const struct ng_ip6_info *info,
		struct ng_nd_msg *msg);

/**
 * Answer a neighbour solicitation for one of our addresses (ns, from
 * ng_nd_parse(), m the same packet) with the advertisement, in place (RFC
 * 4861 7.2.4): from the target address, with a target link-layer option of
 * mac and the flags given (NG_ND_NA_ROUTER, NG_ND_NA_OVERRIDE), solicited and
 * unicast to the solicitor (to its link-layer option's MAC, else the frame's
 * source); a solicitation from :: (duplicate address detection) is answered
 * to all nodes (ff02::1), not solicited. The VLAN tag is kept.
 * @return 0, or -ENOSPC (no room in m for the 32-byte advertisement).
 */
int ng_nd_na_reply(struct rte_mbuf *m, const struct ng_nd_msg *ns, uint8_t flags,
		const struct rte_ether_addr *mac);

/**
 * Build a neighbour advertisement for target (ours) from src and smac, with a
 * target link-layer option of smac. dst NULL: an unsolicited advertisement
 * to all nodes (ff02::1, 33:33:00:00:00:01; flags should not hold
 * NG_ND_NA_SOLICITED); else to dst at dmac.
 * @return the mbuf, or NULL with rte_errno EINVAL (dst without dmac, target
 *   multicast) or ENOBUFS.
 */
struct rte_mbuf *ng_nd_na_build(struct rte_mempool *mp, const struct rte_ether_addr *smac,
		const uint8_t src[16], const uint8_t target[16], uint8_t flags,
		const uint8_t dst[16], const struct rte_ether_addr *dmac);

/**
 * Build a neighbour solicitation for target from src and smac, with a source
 * link-layer option of smac (none when src is ::, duplicate address
 * detection). dmac NULL: multicast to target's solicited-node address and its
 * 33:33:ff:xx:xx:xx MAC (address resolution); else unicast to target at dmac
 * (reachability confirmation).
 * @return the mbuf, or NULL with rte_errno EINVAL (target multicast) or ENOBUFS.
 */
struct rte_mbuf *ng_nd_ns_build(struct rte_mempool *mp, const struct rte_ether_addr *smac,
		const uint8_t src[16], const uint8_t target[16], const struct rte_ether_addr *dmac);

#endif
