/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /healthz, /livez and the healthCheckNodePort servers (see health.h), after
 * kube-proxy's pkg/proxy/healthcheck: the same status codes, headers and JSON
 * bodies, so load balancers and probes that pointed at kube-proxy need no
 * change.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "health.h"
#include "http.h"
#include "ng_log.h"
#include "svc.h"

#define KEY_MAX 320

struct hc {
	char key[KEY_MAX];        /**< "namespace/name" */
	uint16_t port;
	uint32_t local_endpoints;
	uint64_t answered[2];
	struct ng_http_server *srv;
};

static struct {
	bool init;
	struct ng_conf_probes conf;
	struct ng_http_server *srv;
	bool eligible;
	char not_eligible_why[96];
	uint64_t pending_since_tsc;
	uint64_t healthz[2], livez[2];
	uint64_t base_tsc, base_ns; /**< a TSC and the wall clock at the same moment */
	struct hc **hcs;
	unsigned int n_hcs, cap_hcs;
} H = {.eligible = true};

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The wall clock at TSC t. */
static uint64_t
tsc_wall_ns(uint64_t t)
{
	double d = ((double)t - (double)H.base_tsc) * 1e9 / (double)rte_get_tsc_hz();

	return (uint64_t)((double)H.base_ns + d);
}

/* How long since TSC t, in ms (0 for t == 0). */
static uint64_t
age_ms(uint64_t now, uint64_t t)
{
	return t == 0 || t > now ? 0 : (now - t) * 1000 / rte_get_tsc_hz();
}

void
ng_health_status(struct ng_health_status *out)
{
	uint64_t now = rte_get_tsc_cycles(), dirty, grace, pub, a;
	uint32_t bound = H.conf.stale_after_ms;

	memset(out, 0, sizeof(*out));
	ng_svc_pending(&dirty, &grace, &pub);
	out->healthy = true;
	out->syncing = ng_svc_syncing();
	if ((a = age_ms(now, dirty)) > bound && !out->syncing)
		snprintf(out->why, sizeof(out->why), "changes have waited %" PRIu64 " ms for a "
				"commit", a);
	else if ((a = age_ms(now, grace)) > bound)
		snprintf(out->why, sizeof(out->why), "a worker has not moved past the ruleset "
				"published %" PRIu64 " ms ago (stalled)", a);
	else if ((a = age_ms(now, H.pending_since_tsc)) > bound)
		snprintf(out->why, sizeof(out->why), "the Kubernetes watcher has not listed "
				"everything in %" PRIu64 " ms", a);
	out->healthy = out->why[0] == '\0';
	out->node_eligible = H.eligible;
	if (out->syncing && out->healthy)
		snprintf(out->why, sizeof(out->why), "syncing: the ruleset is being built in "
				"slices (show ruleset)");
	else if (!H.eligible && out->healthy)
		snprintf(out->why, sizeof(out->why), "%s", H.not_eligible_why);
	out->now_ns = wall_ns();
	out->last_updated_ns = pub != 0 ? tsc_wall_ns(pub) : H.base_ns;
	memcpy(out->healthz, H.healthz, sizeof(out->healthz));
	memcpy(out->livez, H.livez, sizeof(out->livez));
}

/* Go's time.Time String() in UTC: "2024-06-21 11:08:45.074765635 +0000 UTC". */
static void
go_time(uint64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char d[32];

	gmtime_r(&sec, &tm);
	strftime(d, sizeof(d), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09" PRIu64 " +0000 UTC", d, (uint64_t)(ns % 1000000000ull));
}

static void
nosniff(struct ng_http_reply *r, int i)
{
	r->content_type = "application/json";
	r->headers[i].name = "X-Content-Type-Options";
	snprintf(r->headers[i].value, sizeof(r->headers[i].value), "nosniff");
}

static void
healthz_handler(void *arg, const char *path, struct ng_http_reply *r)
{
	struct ng_health_status st;
	char upd[64], cur[64];
	bool livez = strcmp(path, "/livez") == 0, ok;

	(void)arg;
	if (!livez && strcmp(path, "/healthz") != 0) {
		r->status = 404;
		fprintf(r->body, "404 page not found: /healthz or /livez\n");
		return;
	}
	ng_health_status(&st);
	ok = st.healthy && (livez || ng_health_ready(&st));
	r->status = ok ? 200 : 503;
	(livez ? H.livez : H.healthz)[ok ? 0 : 1]++;
	nosniff(r, 0);
	go_time(st.last_updated_ns, upd, sizeof(upd));
	go_time(st.now_ns, cur, sizeof(cur));
	fprintf(r->body, "{\"lastUpdated\": \"%s\",\"currentTime\": \"%s\", "
			"\"nodeEligible\": %s%s}",
			upd, cur, st.node_eligible ? "true" : "false",
			st.syncing ? ", \"state\": \"syncing\"" : "");
}

int
ng_health_init(const struct ng_conf_probes *p, char *err, size_t errlen)
{
	H.conf = *p;
	H.eligible = true;
	H.base_tsc = rte_get_tsc_cycles();
	H.base_ns = wall_ns();
	H.init = true;
	if (!p->healthz.on)
		return 0;
	H.srv = ng_http_listen("healthz", &p->healthz.addr, p->healthz.port, healthz_handler,
			NULL, err, errlen);
	return H.srv != NULL ? 0 : -ENOMEM;
}

bool
ng_health_ready(const struct ng_health_status *s)
{
	return s->healthy && s->node_eligible && !s->syncing;
}

void
ng_health_set_node_eligible(bool eligible, const char *why)
{
	if (eligible != H.eligible)
		NG_LOG(NOTICE, HEALTH, "this node is %s for load balancers%s%s: /healthz answers %s",
			eligible ? "eligible again" : "not eligible", why != NULL ? ": " : "",
			why != NULL ? why : "", eligible ? "200 while healthy" : "503");
	H.eligible = eligible;
	snprintf(H.not_eligible_why, sizeof(H.not_eligible_why), "%s",
			eligible || why == NULL ? "" : why);
}

void
ng_health_set_pending(uint64_t since_tsc)
{
	H.pending_since_tsc = since_tsc;
}

/* ---- healthCheckNodePort ---- */

static void
hc_handler(void *arg, const char *path, struct ng_http_reply *r)
{
	struct hc *h = arg;
	struct ng_health_status st;
	const char *slash = strchr(h->key, '/');
	bool ok;

	(void)path;
	ng_health_status(&st);
	ok = h->local_endpoints > 0 && st.healthy;
	r->status = ok ? 200 : 503;
	h->answered[ok ? 0 : 1]++;
	nosniff(r, 0);
	r->headers[1].name = "X-Load-Balancing-Endpoint-Weight";
	snprintf(r->headers[1].value, sizeof(r->headers[1].value), "%u", h->local_endpoints);
	fprintf(r->body, "{\n\t\"service\": {\n\t\t\"namespace\": \"%.*s\",\n\t\t\"name\": \"%s\"\n"
			"\t},\n\t\"localEndpoints\": %u,\n\t\"serviceProxyHealthy\": %s\n}",
			(int)(slash - h->key), h->key, slash + 1, h->local_endpoints,
			st.healthy ? "true" : "false");
}

static struct hc *
hc_find(const char *key, unsigned int *idx)
{
	for (unsigned int i = 0; i < H.n_hcs; i++)
		if (strcmp(H.hcs[i]->key, key) == 0) {
			if (idx != NULL)
				*idx = i;
			return H.hcs[i];
		}
	return NULL;
}

/* "namespace/name" of DNS names: nothing a JSON string would need to escape. */
static bool
key_ok(const char *key)
{
	const char *slash = strchr(key, '/');
	size_t n = strlen(key);

	if (slash == NULL || slash == key || slash[1] == '\0' || n >= KEY_MAX)
		return false;
	return strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_/") ==
			n && strchr(slash + 1, '/') == NULL;
}

static int
hc_listen(struct hc *h)
{
	char name[NG_HTTP_NAME_MAX], err[NG_ERRBUF];

	snprintf(name, sizeof(name), "healthCheckNodePort %.64s", h->key);
	h->srv = ng_http_listen(name, &H.conf.health_check_addr, h->port, hc_handler, h, err,
			sizeof(err));
	if (h->srv == NULL)
		NG_LOG(ERR, HEALTH, "service %s: healthCheckNodePort %u: %s", h->key, h->port, err);
	return h->srv != NULL ? 0 : -ENOMEM;
}

int
ng_health_hc_set(const char *key, uint16_t port, uint32_t local_endpoints)
{
	struct hc *h;

	if (key == NULL || !key_ok(key) || port == 0)
		return -EINVAL;
	h = hc_find(key, NULL);
	if (h != NULL) {
		h->local_endpoints = local_endpoints;
		if (h->port == port && h->srv != NULL)
			return 0;
		ng_http_close(h->srv);
		h->srv = NULL;
		h->port = port;
		return hc_listen(h);
	}
	if (H.n_hcs == H.cap_hcs) {
		unsigned int cap = H.cap_hcs ? H.cap_hcs * 2 : 16;
		struct hc **v = realloc(H.hcs, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		H.hcs = v;
		H.cap_hcs = cap;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	snprintf(h->key, sizeof(h->key), "%s", key);
	h->port = port;
	h->local_endpoints = local_endpoints;
	H.hcs[H.n_hcs++] = h;
	return hc_listen(h);
}

void
ng_health_hc_del(const char *key)
{
	unsigned int i;
	struct hc *h = key != NULL ? hc_find(key, &i) : NULL;

	if (h == NULL)
		return;
	ng_http_close(h->srv);
	free(h);
	H.hcs[i] = H.hcs[--H.n_hcs];
}

void
ng_health_hc_walk(int (*cb)(const struct ng_health_hc_info *hc, void *arg), void *arg)
{
	for (unsigned int i = 0; i < H.n_hcs; i++) {
		const struct hc *h = H.hcs[i];
		struct ng_health_hc_info in = {.key = h->key, .port = h->port,
			.local_endpoints = h->local_endpoints};

		memcpy(in.answered, h->answered, sizeof(in.answered));
		if (cb(&in, arg) != 0)
			return;
	}
}

void
ng_health_fini(void)
{
	while (H.n_hcs > 0)
		ng_health_hc_del(H.hcs[H.n_hcs - 1]->key);
	free(H.hcs);
	ng_http_close(H.srv);
	memset(&H, 0, sizeof(H));
	H.eligible = true;
}
