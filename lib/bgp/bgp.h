/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_BGP_H
#define NG_BGP_H

/**
 * @file
 * VIP announcements (control core only): nodegw decides, BIRD 2 speaks.
 *
 * From the services (lib/svc), the kinds Kubernetes gives their addresses
 * (lib/k8s) and the config's bgp section, nodegw decides which VIP prefixes
 * should be announced (bgp_core.h has the rules), writes them as static
 * routes into a file BIRD's config includes, and asks BIRD over its control
 * socket to read its config again. The routes' next hop is an interface
 * nodegw holds (the anchor), so a nodegw that dies takes its announcements
 * with it. `drain` withdraws everything while forwarding goes on; a clean stop
 * drains, waits bgp.stop_wait_ms, then lets the process stop.
 * doc/scale-out.md is the operator's side, doc/architecture.md the reasons.
 */

#include <stdbool.h>
#include <stddef.h>

#include "bgp_core.h"
#include "conf.h"

/** What `show bgp` and /metrics report: ng_bgp_info(). */
struct ng_bgp_info {
	bool enabled;            /**< the config has a bgp section */
	enum ng_bgp_drain drain; /**< drain command, clean stop, or none */
	bool bird_connected;     /**< connected to BIRD's socket and greeted */
	bool in_sync;            /**< BIRD confirmed the latest decision, nothing pending */
	uint32_t announce;       /**< prefixes nodegw wants announced */
	uint32_t confirmed;      /**< prefixes BIRD confirmed it announces */
	/** Prefixes `show bgp` lists, by reason (a confirmed route no service holds
	 * any more counts as NG_BGP_WHY_NO_BACKEND until BIRD withdrew it). */
	uint32_t by_why[NG_BGP_WHY_MAX];
	uint32_t last_latency_ms; /**< last change of what to announce to BIRD's confirmation */
	uint64_t decisions;       /**< decisions made (at most every 100 ms, and every 5 s) */
	uint64_t configures;      /**< "configure" BIRD accepted */
	uint64_t configure_errors; /**< "configure" or the include check BIRD refused */
	uint64_t connects;        /**< connections to BIRD's socket */
	uint64_t losses;          /**< connections lost (closed, refused, timed out) */
};

/**
 * Start: without a bgp section, nothing (every other call is then a no-op and
 * ng_bgp_stop_done() is true). Otherwise write an empty routes file, ask BIRD
 * to read it (waiting at most bgp.timeout_ms for it; a BIRD that is not there
 * yet is only logged), so routes a previous nodegw left in the file are gone
 * before the anchor comes up, then create the anchor interface.
 * @param err "FILE:LINE: bgp: ..." on failure
 * @return 0, or a negative errno (the routes file cannot be written, the
 *   anchor cannot be made).
 */
int ng_bgp_init(const struct ng_conf *c, char *err, size_t errlen);

/** Close the anchor (BIRD withdraws what went through it) and the socket. */
void ng_bgp_fini(void);

/** Control loop hook: decide again when services changed, talk to BIRD. Never blocks. */
void ng_bgp_poll(void);

/**
 * Drain (on) or undrain: withdraw every announcement, or announce again
 * what is usable. Forwarding is not touched.
 * @return 0, -EALREADY when already in that state, -ENOTSUP without a bgp
 *   section, -EBUSY to undrain while stopping.
 */
int ng_bgp_drain(bool on);

/**
 * A clean stop begins: withdraw everything. ng_bgp_stop_done() turns true
 * bgp.stop_wait_ms after BIRD confirmed the withdrawal (or failed to:
 * unreachable, refused, no answer within bgp.timeout_ms).
 */
void ng_bgp_stop_begin(void);

/** May the process stop now? */
bool ng_bgp_stop_done(void);

/**
 * A reload: the decision's settings (announce, service_cidrs, stop_wait_ms)
 * of nw apply at once, and are copied into run, the settings that run (the
 * others apply at restart).
 * @return true when other bgp settings of nw differ from run.
 */
bool ng_bgp_reconf(const struct ng_conf_bgp *nw, struct ng_conf_bgp *run);

/** Fill out; without a bgp section everything is 0 (enabled false). */
void ng_bgp_info(struct ng_bgp_info *out);

/** Register `show bgp`, `drain` and `undrain`. Works without ng_bgp_init(). */
int ng_bgp_cli_register(void);

#endif
