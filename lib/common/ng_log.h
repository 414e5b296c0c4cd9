/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_LOG_H
#define NG_LOG_H

/**
 * @file
 * Logging: one DPDK log type per module, registered at start-up.
 *
 * Control-core code logs with NG_LOG(level, MODULE, fmt, ...). Data-path code
 * uses NG_DP_LOG, which compiles out unless NG_DP_DEBUG is defined.
 */

#include <rte_log.h>

/* X-macro of the module log types: one list, the enum and the names. */
#define NG_LOG_MODULES(X) \
	X(MAIN, "main") \
	X(CONF, "conf") \
	X(PORT, "port") \
	X(TWIN, "twin") \
	X(ROUTE, "route") \
	X(NEIGH, "neigh") \
	X(WORKER, "worker") \
	X(SVC, "svc") \
	X(CLI, "cli") \
	X(K8S, "k8s") \
	X(HTTP, "http") \
	X(HEALTH, "health") \
	X(BGP, "bgp")

enum ng_log_module {
#define NG_X(id, name) NG_LOGT_##id,
	NG_LOG_MODULES(NG_X)
#undef NG_X
	NG_LOGT_MAX
};

/** DPDK log type ids, filled by ng_log_init(). */
extern int ng_logtype[NG_LOGT_MAX];

/**
 * Register every module's log type ("nodegw.<module>") and set the level.
 * @param level RTE_LOG_* level applied to all nodegw log types.
 * @return 0, or -errno when DPDK refuses to register a type.
 */
int ng_log_init(uint32_t level);

/** Set the level of every nodegw log type. */
void ng_log_set_level(uint32_t level);

/**
 * Parse a level name (error, warning, notice, info, debug).
 * @return the RTE_LOG_* level, or -EINVAL.
 */
int ng_log_level_parse(const char *name);

/** Name of an RTE_LOG_* level, for show commands and messages. */
const char *ng_log_level_name(uint32_t level);

#define NG_LOG(lvl, mod, fmt, ...) \
	rte_log(RTE_LOG_##lvl, ng_logtype[NG_LOGT_##mod], "%s: " fmt "\n", #mod, ##__VA_ARGS__)

#ifdef NG_DP_DEBUG
#define NG_DP_LOG(lvl, mod, fmt, ...) NG_LOG(lvl, mod, fmt, ##__VA_ARGS__)
#else
#define NG_DP_LOG(lvl, mod, fmt, ...) do { } while (0)
#endif

#endif
