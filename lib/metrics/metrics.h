/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_METRICS_H
#define NG_METRICS_H

/**
 * @file
 * /metrics: nodegw's counters in the Prometheus text format (0.0.4), served
 * on probes.metrics (default 127.0.0.1:10249, kube-proxy's).
 *
 * Every value comes from the read functions the CLI's show commands use
 * (ng_dp_worker_stats(), ng_dp_worker_ct(), ng_svc_counters(),
 * ng_svc_ruleset_info(), ng_k8s_info(), ng_health_status(), ng_bgp_info(),
 * ng_http_walk()),
 * so `show ... json` and /metrics agree; /metrics reads the raw counters
 * (`clear stats` changes what the CLI shows, never a Prometheus counter).
 * doc/kubernetes.md lists the metrics and what each answers.
 */

#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "worker.h"

/**
 * Start the metrics server (when p->metrics is on).
 * @return 0, or a negative errno with err filled.
 */
int ng_metrics_init(const struct ng_conf_probes *p, const struct ng_dp *dp, char *err,
		size_t errlen);

/** Stop it. */
void ng_metrics_fini(void);

/** Write the whole exposition (what GET /metrics answers) to f. */
void ng_metrics_write(FILE *f);

#endif
