/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_ICMP_ERR_DP_H
#define NG_ICMP_ERR_DP_H
/*
 * ICMP errors that belong to a connection (icmp_err_dp.c): the icmp-err
 * stage forwards those it receives, translated; the reply stage translates
 * the "fragmentation needed" it builds about a packet the service stage
 * rewrote. And the rule that no ICMP error answers another.
 */
#include <stdbool.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "pkt.h"
#include "worker.h"

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

#endif
