/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_LB_DP_H
#define NG_LB_DP_H
/*
 * What the service stage (lb_dp.c) lets other stages know: the owner worker
 * of a flow, by the rule its own packets follow (doc/architecture.md, "Owner
 * of a packet"). The icmp-err stage sends an ICMP error to the owner of the
 * connection its quote names.
 */
#include <stdint.h>

#include "route_dp.h"
#include "worker.h"

/**
 * The worker that owns an IPv4 TCP/UDP packet from src:sport to dst:dport
 * (network order) under the worker's current ruleset (w->rs).
 * @param nh the FIB result for dst (may be NULL)
 */
unsigned int ng_lb_owner4(const struct ng_worker *w, const struct ng_nexthop *nh, uint32_t src,
		uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto);

#endif
