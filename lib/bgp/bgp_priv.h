/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_BGP_PRIV_H
#define NG_BGP_PRIV_H

/* Private to lib/bgp: the controller's state (bgp.c) that `show bgp` (cli_bgp.c) reads. */

#include <stdbool.h>
#include <stdint.h>

#include "bgp.h"
#include "bgp_core.h"

struct bgp_state {
	bool enabled;
	struct ng_conf_bgp conf;
	char conf_file[256];
	struct ng_bird bird;
	int anchor_fd;
	enum ng_bgp_drain drain;
	uint64_t drain_at;          /**< ms, when the drain began */
	struct ng_bgp_table want;   /**< the latest decision */
	uint64_t decided_gen;       /**< the ruleset generation it was made from */
	uint64_t decided_at;        /**< ms */
	uint64_t changed_at;        /**< ms, when what to announce last changed */
	bool need_send;             /**< BIRD has not been asked for want yet */
	bool checking;              /**< the request out is "show protocols", after "configure" */
	/* What BIRD was asked for (in flight) and what it confirmed: sorted prefixes. */
	struct ng_prefix *sent, *done;
	unsigned int n_sent, n_done;
	bool done_known;            /**< BIRD confirmed at least once */
	uint64_t sent_changed_at;   /**< changed_at of what is in flight */
	uint32_t last_latency_ms;   /**< change to BIRD's confirmation, last one */
	uint64_t decisions, configures, configure_errors;
	char last_error[256];
	uint64_t last_error_at;     /**< ms; 0 none */
	uint64_t last_error_logged; /**< ms */
	uint32_t refusals;          /**< BIRD refused in a row: the retry backs off */
	uint64_t stop_at;           /**< ms, when a clean stop began; 0 none */
	uint64_t withdrawn_at;      /**< ms, when the stop's withdrawal ended (or failed) */
	bool stop_wait;             /**< BIRD had (or may have had) routes: wait stop_wait_ms */
};

extern struct bgp_state ng_bgp;

/** Milliseconds of the TSC clock. */
uint64_t bgp_now_ms(void);

/** Did BIRD confirm prefix p? */
bool bgp_done_has(const struct ng_prefix *p);

/** Call cb for every confirmed prefix no service holds any more (being withdrawn). */
void bgp_gone_walk(void (*cb)(const struct ng_prefix *p, void *arg), void *arg);

#endif
