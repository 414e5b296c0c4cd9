/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_TYPES_H
#define NG_TYPES_H

/**
 * @file
 * Small service types shared by the config loader, the control API and the
 * data path.
 */

#include <stddef.h>
#include <stdint.h>

#include "ng_limits.h"

/** How a service picks a backend for a new connection. */
enum ng_sched {
	NG_SCHED_MAGLEV = 0, /**< consistent hashing (default) */
	NG_SCHED_WRR,        /**< weighted round robin, per worker */
	NG_SCHED_RANDOM,     /**< weighted random */
};

/** How a service rewrites packets. */
enum ng_fwd_mode {
	NG_FWD_FULLNAT = 0, /**< source becomes a gateway address and port (default) */
	NG_FWD_DNAT,        /**< client address kept; backends route replies via the gateway */
	NG_FWD_DSR,         /**< IPv4-in-IPv4 to the backend, which replies to the client itself */
};

/** Connection timeouts in seconds; 0 in a per-service set means "the global value". */
struct ng_ct_timeouts {
	uint32_t tcp_syn;         /**< default 30 */
	uint32_t tcp_established; /**< default 900 */
	uint32_t tcp_fin;         /**< default 120 */
	uint32_t tcp_time_wait;   /**< default 120 */
	uint32_t tcp_close;       /**< default 10 */
	uint32_t udp;             /**< default 300 */
	/** default 30: a UDP flow until it is confirmed (the backend answered and
	 * the client sent again), as Linux's nf_conntrack_udp_timeout */
	uint32_t udp_unreplied;
};

/** One field of struct ng_ct_timeouts: its config key and the protocol it applies to. */
struct ng_ct_timeout_field {
	const char *key;  /**< "tcp_syn", ..., "udp" (config keys, struct field names) */
	size_t off;       /**< offset in struct ng_ct_timeouts */
	uint8_t proto;    /**< IPPROTO_TCP or IPPROTO_UDP */
};

#define NG_CT_TIMEOUT_FIELDS 7
/** Every field of struct ng_ct_timeouts, in declaration order. */
extern const struct ng_ct_timeout_field ng_ct_timeout_fields[NG_CT_TIMEOUT_FIELDS];

/** Field i of t (see ng_ct_timeout_fields), to set. */
static inline uint32_t *
ng_ct_timeout_at(struct ng_ct_timeouts *t, unsigned int i)
{
	return (uint32_t *)(void *)((char *)t + ng_ct_timeout_fields[i].off);
}

/** The value of field i of t. */
static inline uint32_t
ng_ct_timeout_get(const struct ng_ct_timeouts *t, unsigned int i)
{
	return *(const uint32_t *)(const void *)((const char *)t + ng_ct_timeout_fields[i].off);
}

#define NG_AFFINITY_TIMEOUT_DEFAULT 10800

const char *ng_sched_name(enum ng_sched s);
const char *ng_fwd_mode_name(enum ng_fwd_mode m);

#endif
