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
 * Print, as a JSON array of ClusterRole rules (apiGroups, resources, verbs),
 * what the watcher requests from the API server: one rule per row of the
 * table the reflectors are built from, so it is exactly the RBAC they need.
 * Needs no ng_k8s_init(). (`nodegw --print-rbac`.)
 * @return 0, or -ENOMEM or -EIO.
 */
int ng_k8s_rbac_print(FILE *f);

/** Register `show k8s`. Works (and says "disabled") without ng_k8s_init(). */
int ng_k8s_cli_register(void);

#endif
