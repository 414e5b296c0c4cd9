/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_TWIN_PRIV_H
#define NG_TWIN_PRIV_H

/* Private to lib/twin: the rtnetlink side (twin_nl.c). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#include "ng_addr.h"

/** What the kernel side of a new twin gets. */
struct ng_twin_nl_req {
	const char *ifname;
	const struct rte_ether_addr *mac;
	uint16_t mtu;
	bool carrier;
	const struct ng_prefix *addrs; /**< given to the interface; NULL with n_addrs 0 */
	unsigned int n_addrs;
};

/**
 * Set the interface r->ifname up with r's MAC, MTU and carrier, and add
 * r's addresses (one that is there already is fine).
 * @return 0 and *ifindex, or a negative errno with err filled.
 */
int ng_twin_nl_setup(const struct ng_twin_nl_req *r, int *ifindex, char *err, size_t errlen);

/** Set interface ifindex's carrier. @return 0, or a negative errno with err filled. */
int ng_twin_nl_carrier(int ifindex, bool up, char *err, size_t errlen);

#endif
