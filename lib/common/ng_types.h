/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_TYPES_H
#define NG_TYPES_H

/**
 * @file
 * Small service types shared by the config loader, the control API and the
 * data path.
 */

#include <stdint.h>

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
};

/** Connection timeouts in seconds; 0 in a per-service set means "the global value". */
struct ng_ct_timeouts {
	uint32_t tcp_syn;         /**< default 30 */
	uint32_t tcp_established; /**< default 900 */
	uint32_t tcp_fin;         /**< default 120 */
	uint32_t tcp_time_wait;   /**< default 120 */
	uint32_t tcp_close;       /**< default 10 */
	uint32_t udp;             /**< default 300 */
};

#define NG_AFFINITY_TIMEOUT_DEFAULT 10800
/* Room for Kubernetes names: "namespace/service:port/ext" is at most 63 + 1 +
 * 63 + 1 + 15 + 4 characters. */
#define NG_SVC_NAME_MAX 192

const char *ng_sched_name(enum ng_sched s);
const char *ng_fwd_mode_name(enum ng_fwd_mode m);

#endif
