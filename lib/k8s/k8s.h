/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_K8S_H
#define NG_K8S_H

/**
 * @file
 * The Kubernetes watcher (control core only): lists and watches Services and
 * EndpointSlices like client-go's reflector, keeps the last good copy of
 * every object, and turns them into nodegw services through the control API
 * (lib/svc) with kube-proxy's semantics. libcurl's multi interface runs on
 * the control loop: ng_k8s_poll() never blocks.
 *
 * Whatever the API server does (errors, drops, stalls, restarts), the data
 * path keeps forwarding with the last state the watcher applied.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>

#include "conf.h"

/**
 * Start watching. Reads the token and checks the files now, so a bad
 * setting fails start-up with a message naming it; the API server itself
 * need not be reachable.
 * @return 0 or a negative errno.
 */
int ng_k8s_init(const struct ng_conf_k8s *c, char *err, size_t errlen);

/** Stop: close connections and free the object store. Applied services stay. */
void ng_k8s_fini(void);

/** Control loop hook: drive transfers, apply changed objects. */
void ng_k8s_poll(void);

/**
 * True while the watcher has work left for the next turn of the loop (a list
 * page's items to decode, a list to merge into its store, groups to apply):
 * the loop should not wait for I/O before it calls ng_k8s_poll() again.
 */
bool ng_k8s_busy(void);

/**
 * The sockets of the watcher's transfers, with the events libcurl waits for,
 * into out (at most max): the control loop's wait ends when one is ready, so
 * a watch event or a list page is read as it arrives, not at the end of the
 * loop's idle millisecond. @return how many (0 without ng_k8s_init()).
 */
unsigned int ng_k8s_wake_fds(struct pollfd *out, unsigned int max);

/**
 * Print, as a JSON array of ClusterRole rules (apiGroups, resources, verbs),
 * what the watcher requests from the API server: one rule per row of the
 * table the reflectors are built from, so it is exactly the RBAC they need.
 * Needs no ng_k8s_init(). (`nodegw --print-rbac`.)
 * @return 0, or -ENOMEM or -EIO.
 */
int ng_k8s_rbac_print(FILE *f);

/**
 * Call cb for every clusterIP (NG_BGP_KIND_CLUSTER), externalIP
 * (NG_BGP_KIND_EXTERNAL) and load-balancer ingress IP (NG_BGP_KIND_LB) of the
 * Services the watcher holds: what lib/bgp announces depends on it. Nothing
 * without ng_k8s_init().
 */
void ng_k8s_ip_walk(void (*cb)(const struct ng_ip *ip, uint32_t kinds, void *arg), void *arg);

/** Register `show k8s`. Works (and says "disabled") without ng_k8s_init(). */
int ng_k8s_cli_register(void);

/** One resource the watcher lists and watches, as `show k8s` and /metrics see it. */
struct ng_k8s_res_info {
	const char *name;      /**< "services", "endpointslices", "nodes" */
	const char *state;     /**< "idle", "backing-off", "listing", "watching" */
	bool synced;           /**< a list has completed */
	uint32_t objects;
	uint64_t events;       /**< watch events, bookmarks excluded */
	uint64_t lists, relists, watches, stalls, errors, decode_errors;
};

#define NG_K8S_RES_MAX 3

struct ng_k8s_info {
	bool enabled;
	bool synced;           /**< Services and EndpointSlices applied at least once */
	unsigned int n_res;
	struct ng_k8s_res_info res[NG_K8S_RES_MAX];
	uint32_t services;     /**< nodegw services the watcher holds */
	uint64_t syncs;
	uint64_t apply_errors;
	/** Services with a Local policy and no endpoint on this node: [0] internal, [1] external. */
	uint32_t no_local[2];
};

/** Read the watcher's state (all zero when it is off). */
void ng_k8s_info(struct ng_k8s_info *out);

#endif
