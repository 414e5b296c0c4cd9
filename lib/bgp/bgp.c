/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The announcement controller on the control loop: decide again when the
 * services change (or drain does), write the routes file and ask BIRD to read
 * it, one request at a time, and keep what BIRD confirmed for `show bgp`.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "bgp_priv.h"
#include "k8s.h"
#include "ng_log.h"
#include "svc.h"

struct bgp_state ng_bgp = {.anchor_fd = -1};

/*
 * Decide again after a commit, but not more often than this: deciding over
 * 65,536 services takes tens of milliseconds, and a burst of commits needs one
 * decision, not one each.
 */
#define BGP_DECIDE_MIN_MS 100
/* ...and at least this often: Kubernetes may change an address's kind alone. */
#define BGP_REDECIDE_MS 5000

uint64_t
bgp_now_ms(void)
{
	return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000);
}

static int
pfx_cmp(const void *a, const void *b)
{
	return ng_bgp_prefix_cmp(a, b);
}

bool
bgp_done_has(const struct ng_prefix *p)
{
	return ng_bgp.n_done > 0 &&
			bsearch(p, ng_bgp.done, ng_bgp.n_done, sizeof(*p), pfx_cmp) != NULL;
}

void
bgp_gone_walk(void (*cb)(const struct ng_prefix *p, void *arg), void *arg)
{
	for (unsigned int i = 0; i < ng_bgp.n_done; i++)
		if (ng_bgp_table_find(&ng_bgp.want, &ng_bgp.done[i]) == NULL)
			cb(&ng_bgp.done[i], arg);
}

static void
gone_count(const struct ng_prefix *p, void *arg)
{
	(void)p;
	((uint32_t *)arg)[NG_BGP_WHY_NO_BACKEND]++;
}

void
ng_bgp_info(struct ng_bgp_info *out)
{
	const struct ng_bird *b = &ng_bgp.bird;

	memset(out, 0, sizeof(*out));
	if (!ng_bgp.enabled)
		return;
	out->enabled = true;
	out->drain = ng_bgp.drain;
	out->bird_connected = b->state == NG_BIRD_READY || b->state == NG_BIRD_BUSY;
	out->in_sync = ng_bgp.done_known && !ng_bgp.need_send && b->state == NG_BIRD_READY;
	out->announce = ng_bgp.want.n_announce;
	out->confirmed = ng_bgp.n_done;
	for (unsigned int i = 0; i < ng_bgp.want.n; i++)
		if ((unsigned int)ng_bgp.want.v[i].why < NG_BGP_WHY_MAX)
			out->by_why[ng_bgp.want.v[i].why]++;
	bgp_gone_walk(gone_count, out->by_why);
	out->last_latency_ms = ng_bgp.last_latency_ms;
	out->decisions = ng_bgp.decisions;
	out->configures = ng_bgp.configures;
	out->configure_errors = ng_bgp.configure_errors;
	out->connects = b->connects;
	out->losses = b->losses;
}

/* An error for show bgp and the log; the same one again is logged once a minute. */
static void __attribute__((format(printf, 1, 2)))
set_error(const char *fmt, ...)
{
	char msg[sizeof(ng_bgp.last_error)];
	uint64_t now = bgp_now_ms();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, ng_bgp.last_error) != 0 || now - ng_bgp.last_error_logged >= 60000) {
		NG_LOG(ERR, BGP, "%s", msg);
		ng_bgp.last_error_logged = now;
	}
	memcpy(ng_bgp.last_error, msg, sizeof(msg));
	ng_bgp.last_error_at = now;
}

/* ---- deciding ---- */

struct views {
	struct ng_svc_view *v;
	unsigned int n, cap;
	bool nomem;
};

static int
view_cb(const struct ng_svc_view *v, void *arg)
{
	struct views *w = arg;

	if (w->n == w->cap) {
		unsigned int cap = w->cap == 0 ? 256 : w->cap * 2;
		struct ng_svc_view *nv = realloc(w->v, cap * sizeof(*nv));

		if (nv == NULL) {
			w->nomem = true;
			return 1;
		}
		w->v = nv;
		w->cap = cap;
	}
	w->v[w->n++] = *v;
	return 0;
}

static void
kind_cb(const struct ng_ip *ip, uint32_t kinds, void *arg)
{
	ng_bgp_ipmap_or(arg, ip, kinds);
}

static uint32_t
kind_of(const struct ng_ip *ip, void *arg)
{
	return ng_bgp_ipmap_get(arg, ip);
}

/* Log what starts or stops being announced. */
static void
log_changes(const struct ng_bgp_table *old, const struct ng_bgp_table *nw)
{
	char buf[NG_IP_STRLEN];

	for (unsigned int i = 0; i < nw->n; i++) {
		const struct ng_bgp_vip *v = &nw->v[i];
		const struct ng_bgp_vip *o = ng_bgp_table_find(old, &v->pfx);

		if (v->announce != (o != NULL && o->announce))
			NG_LOG(INFO, BGP, "%s %s: %s%s%s", v->announce ? "announce" : "withdraw",
				ng_prefix_fmt(&v->pfx, buf, sizeof(buf)), v->svc,
				v->svc[0] != '\0' ? ": " : "", ng_bgp_why_text(v->why));
	}
	for (unsigned int i = 0; i < old->n; i++)
		if (old->v[i].announce && ng_bgp_table_find(nw, &old->v[i].pfx) == NULL)
			NG_LOG(INFO, BGP, "withdraw %s: no service has it any more",
				ng_prefix_fmt(&old->v[i].pfx, buf, sizeof(buf)));
}

static void
decide(uint64_t now)
{
	struct ng_bgp_policy pol = {
		.announce = ng_bgp.conf.announce,
		.cidrs = ng_bgp.conf.service_cidrs,
		.n_cidrs = ng_bgp.conf.n_service_cidrs,
	};
	struct ng_bgp_ipmap kinds = {0};
	struct ng_bgp_table t;
	struct views w = {0};
	int rc;

	ng_bgp.decided_gen = ng_svc_generation();
	ng_bgp.decided_at = now;
	ng_svc_walk(view_cb, &w);
	ng_k8s_ip_walk(kind_cb, &kinds);
	rc = w.nomem ? -ENOMEM : ng_bgp_decide(&pol, w.v, w.n, kind_of, &kinds, ng_bgp.drain, &t);
	free(w.v);
	ng_bgp_ipmap_clear(&kinds);
	if (rc < 0) {
		/* Keep the last decision; the next poll tries again. */
		set_error("bgp: out of memory deciding what to announce");
		ng_bgp.decided_gen = 0;
		return;
	}
	ng_bgp.decisions++;
	if (!ng_bgp_table_same_routes(&ng_bgp.want, &t)) {
		log_changes(&ng_bgp.want, &t);
		ng_bgp.changed_at = now;
		ng_bgp.need_send = true;
	}
	ng_bgp_table_free(&ng_bgp.want);
	ng_bgp.want = t;
}

/* ---- telling BIRD ---- */

/* The prefixes of want to announce, sorted (want is). NULL with n 0 for none. */
static int
want_prefixes(struct ng_prefix **out, unsigned int *n)
{
	struct ng_prefix *p = NULL;
	unsigned int k = 0;

	if (ng_bgp.want.n_announce > 0) {
		p = malloc(ng_bgp.want.n_announce * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		for (unsigned int i = 0; i < ng_bgp.want.n; i++)
			if (ng_bgp.want.v[i].announce)
				p[k++] = ng_bgp.want.v[i].pfx;
	}
	*out = p;
	*n = k;
	return 0;
}

static void
send_configure(uint64_t now)
{
	const struct ng_conf_bgp *c = &ng_bgp.conf;
	struct ng_prefix *p;
	unsigned int n;
	char err[NG_ERRBUF];
	int rc;

	if (want_prefixes(&p, &n) < 0)
		return; /* need_send stays: the next poll tries again */
	rc = ng_bgp_routes_write(c->routes_file, c->protocol, c->interface, &ng_bgp.want, err,
			sizeof(err));
	if (rc < 0) {
		set_error("%s", err);
		free(p);
		ng_bgp.bird.retry_at = now + c->retry_ms;
		return;
	}
	if (ng_bird_send(&ng_bgp.bird, "configure", now) < 0) {
		set_error("bgp: BIRD %s: %s", c->bird_socket, ng_bgp.bird.error);
		free(p);
		return;
	}
	free(ng_bgp.sent);
	ng_bgp.sent = p;
	ng_bgp.n_sent = n;
	ng_bgp.sent_changed_at = ng_bgp.changed_at;
	ng_bgp.need_send = false;
}

/*
 * The anchor comes up once BIRD has read a file of this run and includes it:
 * routes a previous nodegw left in BIRD's config never go live, and a BIRD
 * that refuses our file announces nothing of ours (it fails closed).
 */
static void
anchor_up(void)
{
	char err[NG_ERRBUF];
	int fd;

	if (ng_bgp.anchor_fd >= 0)
		return;
	fd = ng_bgp_anchor_open(ng_bgp.conf.interface, err, sizeof(err));
	if (fd < 0) {
		set_error("%s", err);
		ng_bgp.need_send = true; /* try again after retry_ms */
		ng_bgp.bird.retry_at = bgp_now_ms() + ng_bgp.conf.retry_ms;
		return;
	}
	ng_bgp.anchor_fd = fd;
	NG_LOG(NOTICE, BGP, "BIRD includes %s: interface %s up, announcements live",
		ng_bgp.conf.routes_file, ng_bgp.conf.interface);
}

/* BIRD read the file: does its config include it (is there a protocol PROTO4)? */
static void
send_check(uint64_t now)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "show protocols %s4", ng_bgp.conf.protocol);
	if (ng_bird_send(&ng_bgp.bird, cmd, now) < 0) {
		set_error("bgp: BIRD %s: %s", ng_bgp.conf.bird_socket, ng_bgp.bird.error);
		return;
	}
	ng_bgp.checking = true;
}

static void
refused(uint64_t now, const char *what)
{
	struct ng_bird *b = &ng_bgp.bird;

	ng_bgp.configure_errors++;
	ng_bgp.refusals++;
	set_error("bgp: BIRD %s (%04d): %s", what, b->code, b->reply);
	ng_bgp.need_send = true;
	/* Not at once: the same file would be refused again. Until the operator
	 * fixes BIRD's config, back off to 32 times retry_ms. */
	b->retry_at = now + ((uint64_t)ng_bgp.conf.retry_ms << RTE_MIN(ng_bgp.refusals - 1, 5u));
}

static void
on_reply(uint64_t now)
{
	struct ng_bird *b = &ng_bgp.bird;

	if (!ng_bgp.checking) {
		if (!ng_bird_code_ok(b->code)) {
			refused(now, "refused \"configure\"");
			return;
		}
		ng_bgp.configures++;
		send_check(now);
		return;
	}
	ng_bgp.checking = false;
	if (!ng_bird_code_ok(b->code)) {
		/* BIRD announces nothing of ours: it does not include the file. */
		free(ng_bgp.done);
		ng_bgp.done = NULL;
		ng_bgp.n_done = 0;
		ng_bgp.done_known = false;
		refused(now, "has no protocol of nodegw's: does its config include "
			"bgp.routes_file?");
		return;
	}
	free(ng_bgp.done);
	ng_bgp.done = ng_bgp.sent;
	ng_bgp.n_done = ng_bgp.n_sent;
	ng_bgp.sent = NULL;
	ng_bgp.n_sent = 0;
	ng_bgp.done_known = true;
	ng_bgp.refusals = 0;
	ng_bgp.last_latency_ms = (uint32_t)(now - ng_bgp.sent_changed_at);
	NG_LOG(DEBUG, BGP, "BIRD announces %u routes, %u ms after the change", ng_bgp.n_done,
		ng_bgp.last_latency_ms);
	anchor_up();
}

static void
talk(uint64_t now)
{
	struct ng_bird *b = &ng_bgp.bird;
	bool was_up = b->state == NG_BIRD_READY || b->state == NG_BIRD_BUSY;

	switch (ng_bird_poll(b, now)) {
	case NG_BIRD_EV_UP:
		NG_LOG(NOTICE, BGP, "connected to BIRD at %s", ng_bgp.conf.bird_socket);
		ng_bgp.need_send = true; /* BIRD may have restarted: say it again */
		break;
	case NG_BIRD_EV_REPLY:
		on_reply(now);
		break;
	case NG_BIRD_EV_LOST:
		ng_bgp.checking = false;
		/* Once per outage, not at every retry. */
		if (was_up || b->losses == 1)
			set_error("bgp: BIRD %s: %s; retrying every %u ms", ng_bgp.conf.bird_socket,
				b->error, ng_bgp.conf.retry_ms);
		ng_bgp.need_send = true;
		break;
	case NG_BIRD_EV_NONE:
		break;
	}
	if (ng_bgp.need_send && b->state == NG_BIRD_READY && now >= b->retry_at)
		send_configure(now);
}

/* A clean stop: is the withdrawal over (confirmed, or BIRD cannot say)? */
static void
stop_check(uint64_t now)
{
	const struct ng_bird *b = &ng_bgp.bird;

	if (ng_bgp.stop_at == 0 || ng_bgp.withdrawn_at != 0)
		return;
	if ((ng_bgp.done_known && ng_bgp.n_done == 0 && !ng_bgp.need_send &&
			b->state != NG_BIRD_BUSY) || b->state == NG_BIRD_DOWN ||
			ng_bgp.last_error_at >= ng_bgp.stop_at ||
			now - ng_bgp.stop_at > 2ull * ng_bgp.conf.timeout_ms) {
		ng_bgp.withdrawn_at = now;
		NG_LOG(NOTICE, BGP, "stopping: %s after %" PRIu64 " ms; waiting %u ms",
			ng_bgp.n_done == 0 && ng_bgp.done_known ? "BIRD withdrew every route" :
			"BIRD could not confirm the withdrawal", now - ng_bgp.stop_at,
			ng_bgp.stop_wait ? ng_bgp.conf.stop_wait_ms : 0);
	}
}

void
ng_bgp_poll(void)
{
	uint64_t now;

	if (!ng_bgp.enabled)
		return;
	now = bgp_now_ms();
	if ((ng_svc_generation() != ng_bgp.decided_gen &&
			now - ng_bgp.decided_at >= BGP_DECIDE_MIN_MS) ||
			now - ng_bgp.decided_at >= BGP_REDECIDE_MS)
		decide(now);
	talk(now);
	stop_check(now);
}

/* ---- start, stop, drain ---- */

/* At start: BIRD reads an empty file before the anchor exists (bounded wait). */
static void
clear_stale(void)
{
	struct ng_bird *b = &ng_bgp.bird;
	uint64_t end = bgp_now_ms() + ng_bgp.conf.timeout_ms;
	bool asked = false;

	ng_bgp.need_send = false;
	while (bgp_now_ms() < end) {
		uint64_t now = bgp_now_ms();
		enum ng_bird_event ev = ng_bird_poll(b, now);

		if (ev == NG_BIRD_EV_UP && !asked) {
			asked = true;
			send_configure(now);
		} else if (ev == NG_BIRD_EV_REPLY) {
			on_reply(now);
			return;
		} else if (ev == NG_BIRD_EV_LOST) {
			break;
		}
		if (b->fd >= 0)
			poll(&(struct pollfd){.fd = b->fd, .events = POLLIN}, 1, 1);
	}
	NG_LOG(WARNING, BGP, "BIRD at %s did not read the routes file at start (%s); nodegw "
		"keeps trying every %u ms", ng_bgp.conf.bird_socket,
		b->error[0] != '\0' ? b->error : "no answer", ng_bgp.conf.retry_ms);
	ng_bird_close(b);
	b->retry_at = bgp_now_ms() + ng_bgp.conf.retry_ms;
}

int
ng_bgp_init(const struct ng_conf *c, char *err, size_t errlen)
{
	char why[NG_ERRBUF];
	int rc;

	ng_bgp_fini();
	if (!c->bgp.enabled)
		return 0;
	ng_bgp.conf = c->bgp;
	snprintf(ng_bgp.conf_file, sizeof(ng_bgp.conf_file), "%s", c->file);
	ng_bird_init(&ng_bgp.bird, c->bgp.bird_socket, c->bgp.timeout_ms, c->bgp.retry_ms);
	rc = ng_bgp_anchor_free(c->bgp.interface, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "%s:%d: %s", c->file, c->bgp.line, why);
		return rc;
	}
	rc = ng_bgp_routes_write(c->bgp.routes_file, c->bgp.protocol, c->bgp.interface,
			&ng_bgp.want, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "%s:%d: %s", c->file, c->bgp.line, why);
		return rc;
	}
	ng_bgp.changed_at = bgp_now_ms();
	clear_stale();
	ng_bgp.enabled = true;
	NG_LOG(NOTICE, BGP, "announcing through BIRD at %s: routes in %s via %s",
		c->bgp.bird_socket, c->bgp.routes_file, c->bgp.interface);
	return 0;
}

void
ng_bgp_fini(void)
{
	ng_bgp_anchor_close(ng_bgp.anchor_fd);
	ng_bird_close(&ng_bgp.bird);
	ng_bgp_table_free(&ng_bgp.want);
	free(ng_bgp.sent);
	free(ng_bgp.done);
	memset(&ng_bgp, 0, sizeof(ng_bgp));
	ng_bgp.anchor_fd = -1;
	ng_bgp.bird.fd = -1;
}

int
ng_bgp_drain(bool on)
{
	if (!ng_bgp.enabled)
		return -ENOTSUP;
	if (ng_bgp.drain == NG_BGP_DRAIN_STOP)
		return on ? -EALREADY : -EBUSY;
	if (on == (ng_bgp.drain != NG_BGP_DRAIN_NONE))
		return -EALREADY;
	ng_bgp.drain = on ? NG_BGP_DRAIN_CLI : NG_BGP_DRAIN_NONE;
	ng_bgp.drain_at = bgp_now_ms();
	NG_LOG(NOTICE, BGP, "%s", on ? "drain: withdrawing every announcement" :
		"undrain: announcing what is usable again");
	decide(ng_bgp.drain_at);
	talk(ng_bgp.drain_at);
	return 0;
}

void
ng_bgp_stop_begin(void)
{
	if (!ng_bgp.enabled || ng_bgp.stop_at != 0)
		return;
	ng_bgp.drain = NG_BGP_DRAIN_STOP;
	ng_bgp.stop_at = bgp_now_ms();
	/* Waiting is for the routers to move traffic away: only if BIRD had routes. */
	ng_bgp.stop_wait = !ng_bgp.done_known || ng_bgp.n_done > 0;
	ng_bgp.drain_at = ng_bgp.stop_at;
	NG_LOG(NOTICE, BGP, "stopping: withdrawing every announcement first");
	decide(ng_bgp.stop_at);
	talk(ng_bgp.stop_at);
	stop_check(ng_bgp.stop_at);
}

bool
ng_bgp_stop_done(void)
{
	if (!ng_bgp.enabled)
		return true;
	return ng_bgp.withdrawn_at != 0 && bgp_now_ms() >= ng_bgp.withdrawn_at +
			(ng_bgp.stop_wait ? ng_bgp.conf.stop_wait_ms : 0);
}

bool
ng_bgp_reconf(const struct ng_conf_bgp *nw, struct ng_conf_bgp *run)
{
	struct ng_conf_bgp a;

	if (!ng_bgp.enabled || !run->enabled)
		return nw->enabled != run->enabled;
	run->announce = nw->announce;
	memcpy(run->service_cidrs, nw->service_cidrs, sizeof(nw->service_cidrs));
	run->n_service_cidrs = nw->n_service_cidrs;
	run->stop_wait_ms = nw->stop_wait_ms;
	ng_bgp.conf.announce = run->announce;
	memcpy(ng_bgp.conf.service_cidrs, run->service_cidrs, sizeof(run->service_cidrs));
	ng_bgp.conf.n_service_cidrs = run->n_service_cidrs;
	ng_bgp.conf.stop_wait_ms = run->stop_wait_ms;
	decide(bgp_now_ms());
	/* What is left to differ needs a restart. */
	a = *nw;
	a.line = run->line;
	return memcmp(&a, run, sizeof(a)) != 0;
}
