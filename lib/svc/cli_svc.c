/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CLI commands of services: thin parsers over the control API in svc.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ng_cli_util.h"
#include "ng_hash.h"
#include "svc.h"
#include "svc_dp.h"

/* The per-service timeout options, one per field of struct ng_ct_timeouts. */
#define TIMEOUT_OPTS "tcp-syn-timeout, tcp-established-timeout, tcp-fin-timeout, " \
	"tcp-time-wait-timeout, tcp-close-timeout, udp-timeout, udp-unreplied-timeout"
_Static_assert(NG_CT_TIMEOUT_FIELDS == 7, "TIMEOUT_OPTS and svc_opts name every timeout");

static const char *
proto_str(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : "udp";
}

static int
parse_proto(struct ng_cli_sess *s, const char *cmd, const char *v, uint8_t *out)
{
	if (strcasecmp(v, "tcp") == 0)
		*out = IPPROTO_TCP;
	else if (strcasecmp(v, "udp") == 0)
		*out = IPPROTO_UDP;
	else {
		ng_cli_error(s, "%s: protocol \"%s\": tcp or udp", cmd, v);
		return -1;
	}
	return 0;
}

/* "198.18.1.2:8080", "[2001:db8::2]:8080" */
static int
parse_ep(struct ng_cli_sess *s, const char *cmd, const char *v, struct ng_ip *ip, uint16_t *port)
{
	char buf[NG_IP_STRLEN];
	const char *colon = strrchr(v, ':'), *a = v;
	size_t alen;
	uint32_t p;

	if (colon == NULL || (size_t)(colon - v) >= sizeof(buf)) {
		ng_cli_error(s, "%s: \"%s\" is not ADDRESS:PORT", cmd, v);
		return -1;
	}
	alen = (size_t)(colon - v);
	/* An IPv6 address goes in brackets, so that its last group is not the port. */
	if (v[0] == '[') {
		if (alen < 2 || colon[-1] != ']') {
			ng_cli_error(s, "%s: \"%s\" is not [IPV6]:PORT", cmd, v);
			return -1;
		}
		a = v + 1;
		alen -= 2;
	} else if (memchr(v, ':', alen) != NULL) {
		ng_cli_error(s, "%s: \"%s\": write an IPv6 address in brackets, [IPV6]:PORT", cmd,
				v);
		return -1;
	}
	memcpy(buf, a, alen);
	buf[alen] = '\0';
	if (ng_ip_parse(buf, ip) < 0) {
		ng_cli_error(s, "%s: \"%s\" is not an IP address", cmd, buf);
		return -1;
	}
	if (ng_cli_parse_u32(s, cmd, "port", colon + 1, NG_L4_PORT_MIN, NG_L4_PORT_MAX, &p) < 0)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static int
report(struct ng_cli_sess *s, const char *cmd, int rc, const char *err)
{
	if (rc < 0) {
		ng_cli_error(s, "%s: %s", cmd, err);
		return -1;
	}
	return 0;
}

/* ---- show ---- */

/* Connections and packets of one backend, over workers, in the current object. */
static void
backend_counters(const struct ng_svc_view *v, const struct ng_backend *b, uint64_t *conns,
		uint64_t *pkts)
{
	const struct ng_svc_obj *o = v->obj;
	union ng_addr16 a = {0};
	uint16_t i;

	*conns = 0;
	*pkts = 0;
	if (o == NULL)
		return;
	a.v4 = b->addr.v4;
	i = ng_svc_find_backend(o, &a, rte_cpu_to_be_16(b->port));
	if (i == NG_CT_BIDX_NONE)
		return;
	for (uint32_t w = 0; w < o->n_workers; w++) {
		*conns += o->bstats[w * o->n_backends + i].conns;
		*pkts += o->bstats[w * o->n_backends + i].pkts;
	}
}

static uint32_t
affinity_timeout(const struct ng_svc_spec *sp)
{
	return sp->affinity_timeout ? sp->affinity_timeout : NG_AFFINITY_TIMEOUT_DEFAULT;
}

/* The service's own timeouts (those not 0) as an object, or NULL when it has none. */
static cJSON *
timeouts_json(const struct ng_svc_spec *sp)
{
	cJSON *o = NULL;

	for (unsigned int i = 0; i < NG_CT_TIMEOUT_FIELDS; i++) {
		uint32_t v = ng_ct_timeout_get(&sp->timeouts, i);

		if (v == 0)
			continue;
		if (o == NULL)
			o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, ng_ct_timeout_fields[i].key, v);
	}
	return o;
}

static cJSON *
svc_json(const struct ng_svc_view *v, bool detail)
{
	const struct ng_svc_spec *sp = v->spec;
	cJSON *o = cJSON_CreateObject(), *fes = cJSON_CreateArray(), *bes = cJSON_CreateArray();
	cJSON *tmo = detail ? timeouts_json(sp) : NULL;
	struct ng_svc_counters c = {0};
	char buf[96];

	ng_svc_counters(sp->name, &c);
	cJSON_AddStringToObject(o, "name", sp->name);
	cJSON_AddStringToObject(o, "protocol", proto_str(sp->proto));
	cJSON_AddStringToObject(o, "scheduler", ng_sched_name(sp->scheduler));
	cJSON_AddStringToObject(o, "mode", ng_fwd_mode_name(sp->mode));
	cJSON_AddStringToObject(o, "affinity", sp->affinity ? "client-ip" : "none");
	cJSON_AddStringToObject(o, "origin", sp->origin == NG_SVC_ORIGIN_K8S ? "kubernetes" :
			"local");
	cJSON_AddStringToObject(o, "when_empty", sp->empty_drop ? "drop" : "refuse");
	if (sp->affinity)
		cJSON_AddNumberToObject(o, "affinity_timeout", affinity_timeout(sp));
	if (tmo != NULL)
		cJSON_AddItemToObject(o, "timeouts", tmo);
	if (sp->n_src_ranges > 0) {
		cJSON *r = cJSON_AddArrayToObject(o, "source_ranges");

		for (unsigned int i = 0; i < sp->n_src_ranges; i++)
			cJSON_AddItemToArray(r, cJSON_CreateString(ng_prefix_fmt(
					&sp->src_ranges[i], buf, sizeof(buf))));
	}
	for (unsigned int i = 0; i < v->n_frontends; i++) {
		ng_svc_frontend_fmt(&v->frontends[i], sp->proto, buf, sizeof(buf));
		cJSON_AddItemToArray(fes, cJSON_CreateString(buf));
	}
	cJSON_AddItemToObject(o, "frontends", fes);
	for (unsigned int i = 0; i < v->n_backends; i++) {
		const struct ng_backend *be = &v->backends[i];
		cJSON *b = cJSON_CreateObject();
		char a[NG_IP_STRLEN];
		uint64_t bc, bp;

		cJSON_AddStringToObject(b, "address", ng_ip_fmt(&be->addr, a, sizeof(a)));
		cJSON_AddNumberToObject(b, "port", be->port);
		cJSON_AddNumberToObject(b, "weight", be->weight);
		if (detail) {
			backend_counters(v, be, &bc, &bp);
			cJSON_AddNumberToObject(b, "conns", (double)bc);
			cJSON_AddNumberToObject(b, "pkts", (double)bp);
		}
		cJSON_AddItemToArray(bes, b);
	}
	cJSON_AddItemToObject(o, "backends", bes);
	cJSON_AddNumberToObject(o, "conns", (double)c.conns);
	cJSON_AddNumberToObject(o, "pkts", (double)c.pkts);
	cJSON_AddNumberToObject(o, "bytes", (double)c.bytes);
	cJSON_AddNumberToObject(o, "refused", (double)c.refused);
	cJSON_AddNumberToObject(o, "source_range_drops", (double)c.src_dropped);
	if (detail && v->obj != NULL) {
		cJSON_AddNumberToObject(o, "table_size", v->obj->table_size);
		cJSON_AddNumberToObject(o, "usable_backends", v->obj->n_usable);
	}
	return o;
}

/* show services [NAME|VIP]: which services, and where they go. */
struct show_ctx {
	struct ng_cli_sess *s;
	const char *name;  /* NULL: every service */
	struct ng_ip vip;  /* family 0: name is not a VIP */
	cJSON *arr;        /* json form */
	unsigned int n;    /* services shown */
};

static bool
show_match(const struct show_ctx *x, const struct ng_svc_view *v)
{
	if (x->name == NULL)
		return true;
	if (x->vip.family == 0)
		return strcmp(v->spec->name, x->name) == 0;
	for (unsigned int i = 0; i < v->n_frontends; i++)
		if (v->frontends[i].addr.family != 0 && ng_ip_equal(&v->frontends[i].addr, &x->vip))
			return true;
	return false;
}

static int
any_cb(const struct ng_svc_view *v, void *arg)
{
	struct show_ctx *x = arg;

	x->n += show_match(x, v);
	return x->n > 0;
}

static int
show_row_cb(const struct ng_svc_view *v, void *arg)
{
	struct show_ctx *x = arg;
	const struct ng_svc_spec *sp = v->spec;
	struct ng_svc_counters c = {0};
	unsigned int usable = 0;
	char fe[96] = "-";

	if (!show_match(x, v))
		return 0;
	x->n++;
	if (x->arr != NULL) {
		cJSON_AddItemToArray(x->arr, svc_json(v, false));
		return 0;
	}
	ng_svc_counters(sp->name, &c);
	for (unsigned int b = 0; b < v->n_backends; b++)
		usable += v->backends[b].weight > 0;
	if (v->n_frontends > 0)
		ng_svc_frontend_fmt(&v->frontends[0], sp->proto, fe, sizeof(fe));
	if (v->n_frontends > 1) {
		size_t l = strlen(fe);

		snprintf(fe + l, sizeof(fe) - l, " +%u", v->n_frontends - 1);
	}
	ng_cli_printf(x->s, "%-32s %-5s %-8s %-8s %-28s %4u/%-4u %10" PRIu64 " %12" PRIu64 "\n",
			sp->name, proto_str(sp->proto), ng_sched_name(sp->scheduler),
			ng_fwd_mode_name(sp->mode), fe, usable, v->n_backends, c.conns, c.pkts);
	return 0;
}

static int
cmd_show_services(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv), one = false;
	struct show_ctx x = {.s = s};
	struct ng_svc_view v;

	if (argc > 1) {
		ng_cli_error(s, "show services: unexpected argument \"%s\"", argv[1]);
		return -1;
	}
	if (argc == 1) {
		x.name = argv[0];
		ng_ip_parse(x.name, &x.vip);
		/* A name is looked up; only a VIP has to visit the services. */
		if (x.vip.family == 0)
			one = ng_svc_get(x.name, &v) == 0;
		else
			ng_svc_walk(any_cb, &x);
		if (!one && x.n == 0) {
			ng_cli_error(s, "show services: no service named or with VIP \"%s\"",
					x.name);
			return -1;
		}
		x.n = 0;
	}
	if (json)
		x.arr = cJSON_CreateArray();
	else
		ng_cli_printf(s, "%-32s %-5s %-8s %-8s %-28s %9s %10s %12s\n", "name", "proto",
				"sched", "mode", "frontends", "backends", "conns", "pkts");
	if (one)
		show_row_cb(&v, &x);
	else
		ng_svc_walk(show_row_cb, &x);
	if (json)
		return ng_cli_print_json(s, x.arr);
	ng_cli_printf(s, "%u services\n", x.n);
	return 0;
}

static void
show_service_text(struct ng_cli_sess *s, const struct ng_svc_view *v)
{
	const struct ng_svc_spec *sp = v->spec;
	struct ng_svc_counters c = {0};
	const char *sep = "  own timeouts:";
	char buf[96];

	ng_svc_counters(sp->name, &c);
	ng_cli_printf(s, "service %s\n  protocol %s, scheduler %s, mode %s, affinity %s",
			sp->name, proto_str(sp->proto), ng_sched_name(sp->scheduler),
			ng_fwd_mode_name(sp->mode), sp->affinity ? "client-ip" : "none");
	if (sp->affinity)
		ng_cli_printf(s, " (%u s)", affinity_timeout(sp));
	ng_cli_printf(s, "\n  from %s; with no usable backend, new connections are %s",
			sp->origin == NG_SVC_ORIGIN_K8S ? "kubernetes" : "the config/CLI",
			sp->empty_drop ? "dropped" : "refused");
	for (unsigned int i = 0; i < sp->n_src_ranges; i++)
		ng_cli_printf(s, "%s%s", i == 0 ? "\n  source ranges: " : ", ",
				ng_prefix_fmt(&sp->src_ranges[i], buf, sizeof(buf)));
	if (sp->n_src_ranges > 0 || c.src_dropped > 0)
		ng_cli_printf(s, "\n  new connections from outside the source ranges dropped: %"
				PRIu64, c.src_dropped);
	ng_cli_printf(s, "\n  conns %" PRIu64 ", packets %" PRIu64 ", bytes %" PRIu64
			", refused %" PRIu64 "\n", c.conns, c.pkts, c.bytes, c.refused);
	if (v->obj != NULL)
		ng_cli_printf(s, "  table %u slots, %u of %u backends usable\n",
				v->obj->table_size, v->obj->n_usable, v->obj->n_backends);
	for (unsigned int i = 0; i < NG_CT_TIMEOUT_FIELDS; i++) {
		uint32_t sec = ng_ct_timeout_get(&sp->timeouts, i);

		if (sec == 0)
			continue;
		ng_cli_printf(s, "%s %s %u s", sep, ng_ct_timeout_fields[i].key, sec);
		sep = ",";
	}
	if (sep[0] == ',')
		ng_cli_printf(s, "\n");
	ng_cli_printf(s, "  frontends:\n");
	for (unsigned int i = 0; i < v->n_frontends; i++) {
		ng_svc_frontend_fmt(&v->frontends[i], sp->proto, buf, sizeof(buf));
		ng_cli_printf(s, "    %s\n", buf);
	}
	ng_cli_printf(s, "  backends:\n    %-24s %6s %10s %12s\n", "address", "weight", "conns",
			"packets");
	for (unsigned int i = 0; i < v->n_backends; i++) {
		const struct ng_backend *be = &v->backends[i];
		char a[NG_IP_STRLEN], ep[NG_IP_STRLEN + 8];
		uint64_t bc, bp;

		backend_counters(v, be, &bc, &bp);
		snprintf(ep, sizeof(ep), be->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u",
				ng_ip_fmt(&be->addr, a, sizeof(a)), be->port);
		ng_cli_printf(s, "    %-24s %6u %10" PRIu64 " %12" PRIu64 "%s\n", ep, be->weight,
				bc, bp, be->weight == 0 ? "  (draining)" : "");
	}
}

static int
cmd_show_service(struct ng_cli_sess *s, int argc, char **argv)
{
	struct ng_svc_view v;
	bool json;

	/* Without a name it lists them all, as show services does. */
	if (argc == 0 || (argc == 1 && strcmp(argv[0], "json") == 0))
		return cmd_show_services(s, argc, argv);
	json = ng_cli_json(&argc, argv);
	if (argc != 1) {
		ng_cli_error(s, "show service: unexpected argument \"%s\"", argv[1]);
		return -1;
	}
	if (ng_svc_get(argv[0], &v) < 0) {
		ng_cli_error(s, "show service: no service \"%s\"", argv[0]);
		return -1;
	}
	if (json)
		return ng_cli_print_json(s, svc_json(&v, true));
	show_service_text(s, &v);
	return 0;
}

static int
cmd_show_ruleset(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	struct ng_ruleset_info ri;

	if (ng_cli_no_args(s, "show ruleset", argc, argv) < 0)
		return -1;
	ng_svc_ruleset_info(&ri);
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "generation", (double)ri.generation);
		cJSON_AddNumberToObject(o, "services", ri.services);
		cJSON_AddNumberToObject(o, "frontends", ri.frontends);
		cJSON_AddNumberToObject(o, "bytes", (double)ri.bytes);
		cJSON_AddNumberToObject(o, "index_bytes", (double)ri.index_bytes);
		cJSON_AddNumberToObject(o, "copied_bytes", (double)ri.copied_bytes);
		cJSON_AddNumberToObject(o, "copied_chunks", ri.copied_chunks);
		cJSON_AddNumberToObject(o, "index_rebuilds", (double)ri.index_rebuilds);
		cJSON_AddNumberToObject(o, "build_us", ri.build_ns / 1e3);
		cJSON_AddNumberToObject(o, "publish_us", ri.publish_ns / 1e3);
		cJSON_AddNumberToObject(o, "grace_us", ri.grace_ns / 1e3);
		cJSON_AddNumberToObject(o, "commits", (double)ri.commits);
		cJSON_AddNumberToObject(o, "pending_free", (double)ri.pending_free);
		cJSON_AddNumberToObject(o, "longest_slice_ms", ri.slice_max_ns / 1e6);
		cJSON_AddNumberToObject(o, "longest_slice_cpu_ms", ri.slice_max_cpu_ns / 1e6);
		cJSON_AddBoolToObject(o, "dirty", ng_svc_dirty());
		cJSON_AddStringToObject(o, "state", ng_svc_syncing() ? "syncing" : "synced");
		cJSON_AddNumberToObject(o, "latency_samples", ri.latency_samples);
		cJSON_AddNumberToObject(o, "latency_p50_us", ri.latency_p50_ns / 1e3);
		cJSON_AddNumberToObject(o, "latency_p99_us", ri.latency_p99_ns / 1e3);
		cJSON_AddNumberToObject(o, "latency_max_us", ri.latency_max_ns / 1e3);
		return ng_cli_print_json(s, o);
	}
	ng_cli_printf(s, "generation %" PRIu64 "%s\n services %u, frontends %u, %" PRIu64 " bytes\n"
			" frontend index %" PRIu64 " bytes; the last commit copied %" PRIu64
			" bytes (%u chunks); resized %" PRIu64 " times\n"
			" last build %.1f us, publish %.3f us, grace period %.1f us\n"
			" commits %" PRIu64 ", rulesets waiting for a grace period %" PRIu64 "%s\n",
			ri.generation,
			ng_svc_syncing() ? " (syncing: built in slices, more to come)" : "",
			ri.services, ri.frontends, ri.bytes, ri.index_bytes,
			ri.copied_bytes, ri.copied_chunks, ri.index_rebuilds, ri.build_ns / 1e3,
			ri.publish_ns / 1e3, ri.grace_ns / 1e3, ri.commits, ri.pending_free,
			ng_svc_dirty() ? "\n changes pending commit" : "");
	if (ri.latency_samples > 0)
		ng_cli_printf(s, " change to data path (last %u commits): p50 %.1f us, p99 %.1f us, "
				"max %.1f us\n", ri.latency_samples, ri.latency_p50_ns / 1e3,
				ri.latency_p99_ns / 1e3, ri.latency_max_ns / 1e3);
	return 0;
}

static int
cmd_clear_ruleset(struct ng_cli_sess *s, int argc, char **argv)
{
	if (ng_cli_no_args(s, "clear ruleset", argc, argv) < 0)
		return -1;
	ng_svc_latency_clear();
	return 0;
}

/* ---- changes ---- */

/* "198.18.0.0/24,10.0.0.0/8" or "none" into rbuf (NG_MAX_SVC_SRC_RANGES entries). */
static int
parse_src_ranges(struct ng_cli_sess *s, const char *cmd, const char *v, struct ng_prefix *rbuf,
		struct ng_svc_spec *sp)
{
	char buf[NG_IP_STRLEN + 4];
	unsigned int n = 0;
	const char *p = v;

	sp->src_ranges = rbuf;
	sp->n_src_ranges = 0;
	if (strcmp(v, "none") == 0)
		return 0;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(buf)) {
			ng_cli_error(s, "%s: source-ranges \"%s\": give PREFIX[,PREFIX...] or none",
					cmd, v);
			return -1;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (n == NG_MAX_SVC_SRC_RANGES) {
			ng_cli_error(s, "%s: more than %d source ranges", cmd, NG_MAX_SVC_SRC_RANGES);
			return -1;
		}
		if (ng_prefix_parse(buf, &rbuf[n]) < 0) {
			ng_cli_error(s, "%s: source range \"%s\" is not a prefix A.B.C.D/N or "
					"X:X::X/N", cmd, buf);
			return -1;
		}
		rbuf[n] = ng_prefix_masked(&rbuf[n]);
		n++;
		p += len + (p[len] == ',');
	}
	sp->n_src_ranges = n;
	return 0;
}

/* CLI option of timeout field i: "tcp_time_wait" -> "tcp-time-wait-timeout". */
static const char *
timeout_opt(unsigned int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s-timeout", ng_ct_timeout_fields[i].key);
	for (char *c = buf; *c != '\0'; c++)
		if (*c == '_')
			*c = '-';
	return buf;
}

/* k is a timeout option: set the field (0: the global value). 1 when it was one. */
static int
parse_timeout_opt(struct ng_cli_sess *s, const char *cmd, const char *k, const char *v,
		struct ng_svc_spec *sp)
{
	char opt[32];

	for (unsigned int i = 0; i < NG_CT_TIMEOUT_FIELDS; i++) {
		if (strcmp(k, timeout_opt(i, opt, sizeof(opt))) != 0)
			continue;
		if (ng_cli_parse_u32(s, cmd, k, v, 0, NG_TIMEOUT_MAX,
				ng_ct_timeout_at(&sp->timeouts, i)) < 0)
			return -1;
		return 1;
	}
	return 0;
}

/* v is one of names (enum order) into *out, else an error ending in "alts". */
static int
parse_choice(struct ng_cli_sess *s, const char *cmd, const char *k, const char *v,
		const char *const *names, const char *alts, unsigned int *out)
{
	for (unsigned int i = 0; names[i] != NULL; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	ng_cli_error(s, "%s: %s \"%s\": %s", cmd, k, v, alts);
	return -1;
}

static int
parse_spec_opt(struct ng_cli_sess *s, const char *cmd, const char *k, const char *v,
		struct ng_svc_spec *sp, struct ng_prefix *rbuf)
{
	static const char *const scheds[] = {"maglev", "wrr", "random", NULL};
	static const char *const modes[] = {"fullnat", "dnat", "dsr", NULL};
	static const char *const affinities[] = {"none", "client-ip", NULL};
	unsigned int c;
	int rc;

	if (strcmp(k, "scheduler") == 0) {
		rc = parse_choice(s, cmd, k, v, scheds, "maglev, wrr or random", &c);
		sp->scheduler = rc == 0 ? (enum ng_sched)c : sp->scheduler;
	} else if (strcmp(k, "mode") == 0) {
		rc = parse_choice(s, cmd, k, v, modes, "fullnat, dnat or dsr", &c);
		sp->mode = rc == 0 ? (enum ng_fwd_mode)c : sp->mode;
	} else if (strcmp(k, "affinity") == 0) {
		rc = parse_choice(s, cmd, k, v, affinities, "none or client-ip", &c);
		sp->affinity = rc == 0 ? c == 1 : sp->affinity;
	} else if (strcmp(k, "affinity-timeout") == 0) {
		rc = ng_cli_parse_u32(s, cmd, k, v, NG_AFFINITY_TIMEOUT_MIN,
				NG_AFFINITY_TIMEOUT_MAX, &sp->affinity_timeout);
	} else if (strcmp(k, "source-ranges") == 0) {
		rc = parse_src_ranges(s, cmd, v, rbuf, sp);
	} else {
		rc = parse_timeout_opt(s, cmd, k, v, sp);
		if (rc == 0) {
			ng_cli_error(s, "%s: unknown option \"%s\" (scheduler, mode, affinity, "
					"affinity-timeout, source-ranges, " TIMEOUT_OPTS ")", cmd, k);
			rc = -1;
		}
	}
	return rc < 0 ? -1 : 0;
}

static int
parse_spec_opts(struct ng_cli_sess *s, const char *cmd, int argc, char **argv,
		struct ng_svc_spec *sp, struct ng_prefix *rbuf)
{
	for (int i = 0; i < argc; i += 2) {
		if (i + 1 == argc) {
			ng_cli_error(s, "%s: \"%s\" needs a value", cmd, argv[i]);
			return -1;
		}
		if (parse_spec_opt(s, cmd, argv[i], argv[i + 1], sp, rbuf) < 0)
			return -1;
	}
	return 0;
}

static int
cmd_service_add(struct ng_cli_sess *s, int argc, char **argv)
{
	struct ng_svc_spec sp = {0};
	struct ng_prefix rbuf[NG_MAX_SVC_SRC_RANGES];
	char err[NG_ERRBUF];

	if (argc < 2) {
		ng_cli_error(s, "service add: give NAME tcp|udp [scheduler S] [mode M] "
				"[affinity client-ip] [affinity-timeout SEC] [source-ranges P,...] "
				"[STATE-timeout SEC]");
		return -1;
	}
	if (strlen(argv[0]) >= sizeof(sp.name)) {
		ng_cli_error(s, "service add: name longer than %zu characters", sizeof(sp.name) - 1);
		return -1;
	}
	snprintf(sp.name, sizeof(sp.name), "%s", argv[0]);
	if (parse_proto(s, "service add", argv[1], &sp.proto) < 0 ||
			parse_spec_opts(s, "service add", argc - 2, argv + 2, &sp, rbuf) < 0)
		return -1;
	return report(s, "service add", ng_svc_add(&sp, err, sizeof(err)), err);
}

static int
cmd_service_set(struct ng_cli_sess *s, int argc, char **argv)
{
	struct ng_svc_view v;
	struct ng_svc_spec sp;
	struct ng_prefix rbuf[NG_MAX_SVC_SRC_RANGES];
	char err[NG_ERRBUF];

	if (argc < 3) {
		ng_cli_error(s, "service set: give NAME and options (scheduler, mode, affinity, "
				"affinity-timeout, source-ranges)");
		return -1;
	}
	if (ng_svc_get(argv[0], &v) < 0) {
		ng_cli_error(s, "service set: no service \"%s\"", argv[0]);
		return -1;
	}
	sp = *v.spec;
	if (parse_spec_opts(s, "service set", argc - 1, argv + 1, &sp, rbuf) < 0)
		return -1;
	return report(s, "service set", ng_svc_update(&sp, err, sizeof(err)), err);
}

static int
cmd_service_del(struct ng_cli_sess *s, int argc, char **argv)
{
	char err[NG_ERRBUF];

	if (argc != 1) {
		ng_cli_error(s, "service del: give one service name");
		return -1;
	}
	return report(s, "service del", ng_svc_del(argv[0], err, sizeof(err)), err);
}

static int
parse_frontend(struct ng_cli_sess *s, const char *cmd, int argc, char **argv,
		struct ng_frontend *fe)
{
	memset(fe, 0, sizeof(*fe));
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "nodeport") == 0) {
		uint32_t p;

		if (ng_cli_parse_u32(s, cmd, "node port", argv[2], NG_L4_PORT_MIN, NG_L4_PORT_MAX,
				&p) < 0)
			return -1;
		fe->port = (uint16_t)p;
		/* without a family: the service's (svc.h) */
		if (argc == 4 && strcmp(argv[3], "ipv4") == 0)
			fe->np_family = AF_INET;
		else if (argc == 4 && strcmp(argv[3], "ipv6") == 0)
			fe->np_family = AF_INET6;
		else if (argc == 4) {
			ng_cli_error(s, "%s: node port family \"%s\": give ipv4 or ipv6", cmd,
					argv[3]);
			return -1;
		}
		return 0;
	}
	if (argc != 2) {
		ng_cli_error(s, "%s: give NAME ADDRESS:PORT, or NAME nodeport PORT [ipv4|ipv6]",
				cmd);
		return -1;
	}
	return parse_ep(s, cmd, argv[1], &fe->addr, &fe->port);
}

static int
cmd_frontend_add(struct ng_cli_sess *s, int argc, char **argv)
{
	struct ng_frontend fe;
	char err[NG_ERRBUF];

	if (parse_frontend(s, "service frontend add", argc, argv, &fe) < 0)
		return -1;
	return report(s, "service frontend add", ng_svc_frontend_add(argv[0], &fe, err, sizeof(err)), err);
}

static int
cmd_frontend_del(struct ng_cli_sess *s, int argc, char **argv)
{
	struct ng_frontend fe;
	char err[NG_ERRBUF];

	if (parse_frontend(s, "service frontend del", argc, argv, &fe) < 0)
		return -1;
	return report(s, "service frontend del", ng_svc_frontend_del(argv[0], &fe, err, sizeof(err)), err);
}

static int
cmd_backend_add(struct ng_cli_sess *s, int argc, char **argv)
{
	struct ng_ip ip;
	uint16_t port;
	uint32_t weight = 1;
	char err[NG_ERRBUF];

	if (argc != 2 && !(argc == 4 && strcmp(argv[2], "weight") == 0)) {
		ng_cli_error(s, "backend add: give SERVICE ADDRESS:PORT [weight W]");
		return -1;
	}
	if (parse_ep(s, "backend add", argv[1], &ip, &port) < 0 ||
			(argc == 4 && ng_cli_parse_u32(s, "backend add", "weight", argv[3], 0,
			NG_WEIGHT_MAX, &weight) < 0))
		return -1;
	return report(s, "backend add", ng_svc_backend_set(argv[0], &ip, port, weight, err, sizeof(err)), err);
}

static int
cmd_backend_del(struct ng_cli_sess *s, int argc, char **argv)
{
	struct ng_ip ip;
	uint16_t port;
	char err[NG_ERRBUF];

	if (argc != 2) {
		ng_cli_error(s, "backend del: give SERVICE ADDRESS:PORT");
		return -1;
	}
	if (parse_ep(s, "backend del", argv[1], &ip, &port) < 0)
		return -1;
	return report(s, "backend del", ng_svc_backend_del(argv[0], &ip, port, err, sizeof(err)), err);
}

static int
cmd_backend_weight(struct ng_cli_sess *s, int argc, char **argv)
{
	struct ng_svc_view v;
	bool known;
	struct ng_ip ip;
	uint16_t port;
	uint32_t w;
	char err[NG_ERRBUF];
	bool found = false;

	if (argc != 3) {
		ng_cli_error(s, "backend weight: give SERVICE ADDRESS:PORT WEIGHT");
		return -1;
	}
	if (parse_ep(s, "backend weight", argv[1], &ip, &port) < 0 ||
			ng_cli_parse_u32(s, "backend weight", "weight", argv[2], 0, NG_WEIGHT_MAX,
				&w) < 0)
		return -1;
	known = ng_svc_get(argv[0], &v) == 0;
	for (unsigned int i = 0; known && i < v.n_backends; i++)
		found |= v.backends[i].port == port && ng_ip_equal(&v.backends[i].addr, &ip);
	if (known && !found) {
		ng_cli_error(s, "backend weight: service \"%s\" has no backend %s", argv[0], argv[1]);
		return -1;
	}
	return report(s, "backend weight", ng_svc_backend_set(argv[0], &ip, port, w, err, sizeof(err)), err);
}

static int
cmd_commit(struct ng_cli_sess *s, int argc, char **argv)
{
	char err[NG_ERRBUF];

	if (ng_cli_no_args(s, "commit", argc, argv) < 0)
		return -1;
	return report(s, "commit", ng_svc_commit(err, sizeof(err)), err);
}

/* A compiled backend's address as an ng_ip. */
static struct ng_ip
backend_ip(const struct ng_svc_backend *be)
{
	struct ng_ip ip = {.family = be->family};

	if (be->family == AF_INET6)
		memcpy(ip.v6, be->addr.v6, sizeof(ip.v6));
	else
		ip.v4 = be->addr.v4;
	return ip;
}

/* lookup PROTO SRC:PORT VIP:PORT: the backend a new flow would get. */
static int
cmd_lookup(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	const struct ng_ruleset *rs = ng_svc_ruleset();
	struct ng_ip src, dst;
	uint16_t sport, dport, b;
	uint8_t proto;
	struct ng_fe_key k;
	const struct ng_svc_obj *o;
	uint64_t h;
	char a[NG_IP_STRLEN];

	if (argc != 3) {
		ng_cli_error(s, "lookup: give tcp|udp CLIENT:PORT FRONTEND:PORT");
		return -1;
	}
	if (parse_proto(s, "lookup", argv[0], &proto) < 0 ||
			parse_ep(s, "lookup", argv[1], &src, &sport) < 0 ||
			parse_ep(s, "lookup", argv[2], &dst, &dport) < 0)
		return -1;
	if (src.family != dst.family) {
		ng_cli_error(s, "lookup: %s and %s are not one family", argv[1], argv[2]);
		return -1;
	}
	ng_svc_fe_key(&k, &dst, dport, proto);
	o = rs != NULL ? ng_rs_lookup(rs, &k) : NULL;
	if (o == NULL) {
		if (json) {
			cJSON *r = cJSON_CreateObject();

			cJSON_AddStringToObject(r, "verdict", "no frontend");
			return ng_cli_print_json(s, r);
		}
		ng_cli_printf(s, "no service has frontend %s/%s: refused if it is a VIP, else "
				"routed\n", argv[2], proto_str(proto));
		return 0;
	}
	/* the data path's hashes (lb_dp.c's conn_new) */
	if (src.family == AF_INET6)
		h = ng_hash_flow6(src.v6, dst.v6, rte_cpu_to_be_16(sport),
				rte_cpu_to_be_16(dport), proto);
	else
		h = ng_hash_flow4(src.v4, dst.v4, rte_cpu_to_be_16(sport),
				rte_cpu_to_be_16(dport), proto);
	b = o->n_usable == 0 ? NG_MAGLEV_NONE :
			ng_svc_entry(o, (uint32_t)(h % o->table_size));
	if (json) {
		cJSON *r = cJSON_CreateObject();

		cJSON_AddStringToObject(r, "service", o->name);
		cJSON_AddStringToObject(r, "scheduler", ng_sched_name((enum ng_sched)o->sched));
		if (b == NG_MAGLEV_NONE) {
			cJSON_AddStringToObject(r, "verdict", "refused: no usable backend");
		} else {
			struct ng_ip bip = backend_ip(&o->backends[b]);

			cJSON_AddStringToObject(r, "verdict", "backend");
			cJSON_AddStringToObject(r, "backend", ng_ip_fmt(&bip, a, sizeof(a)));
			cJSON_AddNumberToObject(r, "port", rte_be_to_cpu_16(o->backends[b].port));
			cJSON_AddNumberToObject(r, "slot", (double)(h % o->table_size));
		}
		return ng_cli_print_json(s, r);
	}
	if (b == NG_MAGLEV_NONE) {
		ng_cli_printf(s, "service %s: no usable backend: refused\n", o->name);
		return 0;
	}
	{
		struct ng_ip bip = backend_ip(&o->backends[b]);
		bool v6 = bip.family == AF_INET6;

		ng_cli_printf(s, "service %s (%s): backend %s%s%s:%u, slot %" PRIu64 " of %u%s\n",
				o->name, ng_sched_name((enum ng_sched)o->sched), v6 ? "[" : "",
				ng_ip_fmt(&bip, a, sizeof(a)), v6 ? "]" : "",
				rte_be_to_cpu_16(o->backends[b].port),
				h % o->table_size, o->table_size,
				o->sched == NG_SCHED_MAGLEV ? "" :
				" (wrr/random: the slot a worker uses depends on its position)");
		if (o->affinity)
			ng_cli_printf(s, "  client-ip affinity: a client with a live affinity entry "
					"keeps its backend\n");
	}
	return 0;
}

static const char *const svc_opts[] = {"scheduler", "mode", "affinity", "affinity-timeout",
	"source-ranges", "tcp-syn-timeout", "tcp-established-timeout", "tcp-fin-timeout",
	"tcp-time-wait-timeout", "tcp-close-timeout", "udp-timeout", "udp-unreplied-timeout",
	"maglev", "wrr", "random",
	"fullnat", "dnat", "dsr", "client-ip", "none", NULL};

static const char *const *
opts_complete(struct ng_cli_sess *s, int argc, char **argv)
{
	static const char *const protos[] = {"tcp", "udp", NULL};

	(void)s;
	(void)argv;
	return argc == 1 ? protos : svc_opts;
}

/* Service names for Tab and ?, refreshed per call. */
static const char *name_list[257];

static int
name_cb(const struct ng_svc_view *v, void *arg)
{
	unsigned int *n = arg;

	name_list[(*n)++] = v->spec->name;
	return *n == RTE_DIM(name_list) - 1;
}

static const char *const *
names_complete(struct ng_cli_sess *s, int argc, char **argv)
{
	unsigned int n = 0;

	(void)s;
	(void)argv;
	if (argc > 0)
		return NULL;
	ng_svc_walk(name_cb, &n);
	name_list[n] = NULL;
	return name_list;
}

static const struct ng_cli_cmd svc_cmds[] = {
	{"show services", "[NAME|VIP] [json]", "services: frontends, backends, counters",
		cmd_show_services, names_complete},
	{"show service", "[NAME] [json]", "one service: frontends, backends with weights, "
		"connections and packets", cmd_show_service, names_complete},
	{"show ruleset", "[json]", "the published ruleset: generation, size, build/publish/grace "
		"times", cmd_show_ruleset, NULL},
	{"clear ruleset", NULL, "forget the change-to-data-path latency samples of show ruleset",
		cmd_clear_ruleset, NULL},
	{"service add", "NAME tcp|udp [scheduler maglev|wrr|random] [mode fullnat|dnat|dsr] "
		"[affinity none|client-ip] [affinity-timeout SEC] [source-ranges P,...|none] "
		"[STATE-timeout SEC]",
		"create a service; STATE-timeout: its own " TIMEOUT_OPTS " (0: the global one)",
		cmd_service_add, opts_complete},
	{"service set", "NAME [scheduler S] [mode M] [affinity A] [affinity-timeout SEC] "
		"[source-ranges P,...|none] [STATE-timeout SEC]", "change a service's options",
		cmd_service_set, names_complete},
	{"service del", "NAME", "delete a service", cmd_service_del, names_complete},
	{"service frontend add", "NAME ADDRESS:PORT | NAME nodeport PORT [ipv4|ipv6]",
		"add a VIP frontend or a NodePort", cmd_frontend_add, names_complete},
	{"service frontend del", "NAME ADDRESS:PORT | NAME nodeport PORT [ipv4|ipv6]",
		"remove a frontend", cmd_frontend_del, names_complete},
	{"backend add", "SERVICE ADDRESS:PORT [weight W]", "add a backend (or set its weight)",
		cmd_backend_add, names_complete},
	{"backend del", "SERVICE ADDRESS:PORT", "remove a backend; its TCP connections finish, "
		"its UDP flows move", cmd_backend_del, names_complete},
	{"backend weight", "SERVICE ADDRESS:PORT WEIGHT", "set a backend's weight (0 drains it)",
		cmd_backend_weight, names_complete},
	{"commit", NULL, "publish pending service changes now (they publish by themselves "
		"within 10 ms)", cmd_commit, NULL},
	{"lookup", "tcp|udp CLIENT:PORT FRONTEND:PORT [json]", "which backend a new flow would "
		"get, without sending a packet", cmd_lookup, NULL},
};

int
ng_svc_cli_register(void)
{
	return ng_cli_register(svc_cmds, RTE_DIM(svc_cmds));
}
