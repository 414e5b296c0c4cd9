/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_SVC_PRIV_H
#define NG_SVC_PRIV_H

/* Shared between svc.c (desired state) and ruleset.c (compile and publish). */

#include <rte_hash.h>

#include "svc.h"
#include "svc_dp.h"

struct svc_d {
	struct ng_svc_spec spec;
	struct ng_frontend *fes;
	unsigned int n_fes, cap_fes;
	struct ng_backend *bes;
	unsigned int n_bes, cap_bes;
	struct ng_svc_obj *obj;   /**< compiled object in the current ruleset, or NULL */
	struct ng_svc_counters past; /**< counters of retired objects */
	uint32_t id;              /**< index in svcs[] */
	bool dirty;
	bool deleted;             /**< delete at next commit */
};

struct svc_state {
	struct ng_svc_params p;
	struct svc_d **svcs;      /**< by id; NULL slots are free */
	uint32_t n_svcs, cap_svcs;
	uint32_t live;            /**< not deleted */
	struct rte_hash *by_name; /**< name -> id */
	struct rte_hash *by_fe;   /**< desired frontend key -> id, for duplicate checks */
	uint32_t *dirty;          /**< ids changed since the last commit */
	uint32_t n_dirty, cap_dirty;
	uint64_t first_dirty_tsc, last_change_tsc;
	bool cause_noted;         /**< ng_svc_note_cause() since the last commit */
	struct ng_ruleset *cur;
	uint32_t next_uid;
	struct ng_ruleset_info info;
	struct retired *retired;  /**< waiting for grace periods, oldest first */
	struct retired *retired_tail;
	struct rte_hash *vips;    /**< VIP address -> reference count (as data) */
	/** Change-to-data-path latency of recent commits, ns (ring). */
	uint64_t lat_ns[1024];
	uint32_t lat_n, lat_pos;
};

extern struct svc_state ng_svc;

/** Frontend key of a desired frontend (NodePort: addr must be given). */
void ng_svc_fe_key(struct ng_fe_key *k, const struct ng_ip *addr, uint16_t port, uint8_t proto);

/** Compile dirty services, publish a new ruleset. */
int ng_ruleset_commit(char *err, size_t errlen);

/** Free rulesets and objects whose grace period is over. */
void ng_ruleset_reclaim(bool wait);

/** Start of the oldest grace period still running (TSC), or 0. */
uint64_t ng_ruleset_grace_since(void);

/** Free the current ruleset (shutdown). */
void ng_ruleset_fini(void);

/** Mark a service dirty. */
void ng_svc_mark(struct svc_d *d);

#endif
