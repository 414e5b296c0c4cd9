/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_HEALTH_H
#define NG_HEALTH_H

/**
 * @file
 * kube-proxy's probes (KEP-3836) and healthCheckNodePort servers, on the
 * control core (HTTP through lib/http).
 *
 * The data path is *healthy* unless one of these has lasted longer than
 * probes.stale_after_ms:
 *  - changes wait for a commit (the control API's desired state is ahead of
 *    the published ruleset: a failing commit);
 *  - a published ruleset waits for its grace period (a worker has not passed
 *    a quiescent state since: it is stalled, and may run an old ruleset);
 *  - a front end has changes it has not handed over yet (the Kubernetes
 *    watcher before its first complete sync).
 * `/livez` answers 200 while healthy, 503 otherwise. `/healthz` answers 200
 * while healthy and this node is eligible (its Node object has no
 * ToBeDeletedByClusterAutoscaler taint and no deletionTimestamp), else 503.
 * Both send kube-proxy's body: {"lastUpdated": T, "currentTime": T,
 * "nodeEligible": B}, where lastUpdated is the last publish of a ruleset.
 *
 * A healthCheckNodePort server (one per LoadBalancer Service with
 * externalTrafficPolicy Local) answers any path with 200 while the service has
 * a ready endpoint on this node and the data path is healthy, 503 otherwise,
 * with kube-proxy's body {"service": {"namespace", "name"}, "localEndpoints",
 * "serviceProxyHealthy"} and the X-Load-Balancing-Endpoint-Weight header.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/**
 * Start the /healthz and /livez server (when probes.healthz is on).
 * healthCheckNodePort servers listen on probes.health_check_addr.
 * @return 0, or a negative errno with err filled.
 */
int ng_health_init(const struct ng_conf_probes *p, char *err, size_t errlen);

/** Close every server. */
void ng_health_fini(void);

/** This node's eligibility as its Node object says (default: eligible). */
void ng_health_set_node_eligible(bool eligible, const char *why);

/**
 * Changes a front end holds and has not given to the control API yet, since
 * TSC since_tsc (0: none). The Kubernetes watcher says so until its first sync.
 */
void ng_health_set_pending(uint64_t since_tsc);

/** What /healthz and /livez answer now, and their counters. */
struct ng_health_status {
	bool healthy;          /**< /livez */
	bool node_eligible;
	/** The ruleset is being built in slices (ng_svc_syncing()): /healthz answers
	 * 503, /livez does not change (a long first sync must not get the process
	 * restarted). */
	bool syncing;
	char why[160];         /**< why not healthy, not eligible or syncing; "" */
	uint64_t last_updated_ns; /**< wall clock (UNIX epoch) of the last publish */
	uint64_t now_ns;          /**< wall clock now */
	uint64_t healthz[2];   /**< answered: [0] 200, [1] 503 */
	uint64_t livez[2];
};

void ng_health_status(struct ng_health_status *out);

/** What /healthz answers 200 for: healthy, eligible and not syncing. */
bool ng_health_ready(const struct ng_health_status *s);

/**
 * Serve the healthCheckNodePort of service key ("namespace/name") on port,
 * with local_endpoints ready endpoints on this node. Calling again updates
 * the count, or moves the server when the port changed.
 * @return 0, or a negative errno (-EINVAL bad key or port 0, -ENOMEM).
 */
int ng_health_hc_set(const char *key, uint16_t port, uint32_t local_endpoints);

/** Stop serving the healthCheckNodePort of key (no effect when none). */
void ng_health_hc_del(const char *key);

/** One healthCheckNodePort server, for show health and /metrics. */
struct ng_health_hc_info {
	const char *key;          /**< "namespace/name" */
	uint16_t port;
	uint32_t local_endpoints;
	uint64_t answered[2];     /**< [0] 200, [1] 503 */
};

/** Call cb for each healthCheckNodePort server; stops when cb returns non-zero. */
void ng_health_hc_walk(int (*cb)(const struct ng_health_hc_info *hc, void *arg), void *arg);

/** Register `show health`. */
int ng_health_cli_register(void);

#endif
