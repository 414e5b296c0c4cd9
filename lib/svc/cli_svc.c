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
#include "svc_priv.h"

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

static int
parse_u32(struct ng_cli_sess *s, const char *cmd, const char *what, const char *v, uint32_t min,
		uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < min || n > max || v[0] == '-') {
		ng_cli_error(s, "%s: %s \"%s\" is not a number in %u..%u", cmd, what, v, min, max);
		return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

/* "198.18.1.2:8080" */
static int
parse_ep(struct ng_cli_sess *s, const char *cmd, const char *v, struct ng_ip *ip, uint16_t *port)
{
	char buf[NG_IP_STRLEN];
	const char *colon = strrchr(v, ':');
	uint32_t p;

	if (colon == NULL || (size_t)(colon - v) >= sizeof(buf)) {
		ng_cli_error(s, "%s: \"%s\" is not ADDRESS:PORT", cmd, v);
		return -1;
	}
	memcpy(buf, v, (size_t)(colon - v));
	buf[colon - v] = '\0';
	if (ng_ip_parse(buf, ip) < 0) {
		ng_cli_error(s, "%s: \"%s\" is not an IP address", cmd, buf);
		return -1;
	}
	if (parse_u32(s, cmd, "port", colon + 1, 1, 65535, &p) < 0)
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

struct show_ctx {
	struct ng_cli_sess *s;
	cJSON *arr;
	const char *name;
	struct ng_ip vip;
	bool by_vip;
	unsigned int shown;
};

static struct svc_d *
find_d(const char *name)
{
	for (uint32_t i = 0; i < ng_svc.n_svcs; i++) {
		struct svc_d *d = ng_svc.svcs[i];

		if (d != NULL && !d->deleted && strcmp(d->spec.name, name) == 0)
			return d;
	}
	return NULL;
}

/* Connections and packets of one backend, over workers, in the current object. */
static void
backend_counters(const struct svc_d *d, const struct ng_backend *b, uint64_t *conns,
		uint64_t *pkts)
{
	const struct ng_svc_obj *o = d->obj;
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

static cJSON *
svc_json(const struct svc_d *d, bool detail)
{
	cJSON *o = cJSON_CreateObject(), *fes = cJSON_CreateArray(), *bes = cJSON_CreateArray();
	struct ng_svc_counters c = {0};
	char buf[96];

	ng_svc_counters(d->spec.name, &c);
	cJSON_AddStringToObject(o, "name", d->spec.name);
	cJSON_AddStringToObject(o, "protocol", proto_str(d->spec.proto));
	cJSON_AddStringToObject(o, "scheduler", ng_sched_name(d->spec.scheduler));
	cJSON_AddStringToObject(o, "mode", ng_fwd_mode_name(d->spec.mode));
	cJSON_AddStringToObject(o, "affinity", d->spec.affinity ? "client-ip" : "none");
	cJSON_AddStringToObject(o, "origin", d->spec.origin == NG_SVC_ORIGIN_K8S ? "kubernetes" :
			"local");
	cJSON_AddStringToObject(o, "when_empty", d->spec.empty_drop ? "drop" : "refuse");
	if (d->spec.affinity)
		cJSON_AddNumberToObject(o, "affinity_timeout", d->spec.affinity_timeout ?
				d->spec.affinity_timeout : NG_AFFINITY_TIMEOUT_DEFAULT);
	if (d->spec.n_src_ranges > 0) {
		cJSON *r = cJSON_AddArrayToObject(o, "source_ranges");

		for (unsigned int i = 0; i < d->spec.n_src_ranges; i++)
			cJSON_AddItemToArray(r, cJSON_CreateString(ng_prefix_fmt(
					&d->spec.src_ranges[i], buf, sizeof(buf))));
	}
	for (unsigned int i = 0; i < d->n_fes; i++) {
		ng_svc_frontend_fmt(&d->fes[i], d->spec.proto, buf, sizeof(buf));
		cJSON_AddItemToArray(fes, cJSON_CreateString(buf));
	}
	cJSON_AddItemToObject(o, "frontends", fes);
	for (unsigned int i = 0; i < d->n_bes; i++) {
		cJSON *b = cJSON_CreateObject();
		char a[NG_IP_STRLEN];
		uint64_t bc, bp;

		cJSON_AddStringToObject(b, "address", ng_ip_fmt(&d->bes[i].addr, a, sizeof(a)));
		cJSON_AddNumberToObject(b, "port", d->bes[i].port);
		cJSON_AddNumberToObject(b, "weight", d->bes[i].weight);
		if (detail) {
			backend_counters(d, &d->bes[i], &bc, &bp);
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
	if (detail && d->obj != NULL) {
		cJSON_AddNumberToObject(o, "table_size", d->obj->table_size);
		cJSON_AddNumberToObject(o, "usable_backends", d->obj->n_usable);
	}
	return o;
}

static bool
svc_has_vip(const struct svc_d *d, const struct ng_ip *vip)
{
	for (unsigned int i = 0; i < d->n_fes; i++)
		if (d->fes[i].addr.family != 0 && ng_ip_equal(&d->fes[i].addr, vip))
			return true;
	return false;
}

static int
cmd_show_services(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	struct ng_ip vip = {0};
	const char *filter = NULL;
	cJSON *arr = NULL;
	unsigned int n = 0;

	if (argc > 1) {
		ng_cli_error(s, "show services: unexpected argument \"%s\"", argv[1]);
		return -1;
	}
	if (argc == 1) {
		filter = argv[0];
		ng_ip_parse(filter, &vip);
	}
	if (filter != NULL) {
		bool any = false;

		for (uint32_t i = 0; i < ng_svc.n_svcs && !any; i++) {
			struct svc_d *d = ng_svc.svcs[i];

			any = d != NULL && !d->deleted && (vip.family ? svc_has_vip(d, &vip) :
					strcmp(d->spec.name, filter) == 0);
		}
		if (!any) {
			ng_cli_error(s, "show services: no service named or with VIP \"%s\"",
					filter);
			return -1;
		}
	}
	if (json)
		arr = cJSON_CreateArray();
	else
		ng_cli_printf(s, "%-32s %-5s %-8s %-8s %-28s %9s %10s %12s\n", "name", "proto",
				"sched", "mode", "frontends", "backends", "conns", "pkts");
	for (uint32_t i = 0; i < ng_svc.n_svcs; i++) {
		struct svc_d *d = ng_svc.svcs[i];
		struct ng_svc_counters c = {0};
		unsigned int usable = 0;
		char fe[96] = "-";

		if (d == NULL || d->deleted)
			continue;
		if (filter != NULL && (vip.family ? !svc_has_vip(d, &vip) :
				strcmp(d->spec.name, filter) != 0))
			continue;
		n++;
		if (json) {
			cJSON_AddItemToArray(arr, svc_json(d, false));
			continue;
		}
		ng_svc_counters(d->spec.name, &c);
		for (unsigned int b = 0; b < d->n_bes; b++)
			usable += d->bes[b].weight > 0;
		if (d->n_fes > 0)
			ng_svc_frontend_fmt(&d->fes[0], d->spec.proto, fe, sizeof(fe));
		if (d->n_fes > 1) {
			size_t l = strlen(fe);

			snprintf(fe + l, sizeof(fe) - l, " +%u", d->n_fes - 1);
		}
		ng_cli_printf(s, "%-32s %-5s %-8s %-8s %-28s %4u/%-4u %10" PRIu64 " %12" PRIu64 "\n",
				d->spec.name, proto_str(d->spec.proto), ng_sched_name(d->spec.scheduler),
				ng_fwd_mode_name(d->spec.mode), fe, usable, d->n_bes, c.conns, c.pkts);
	}
	if (json)
		return ng_cli_print_json(s, arr);
	ng_cli_printf(s, "%u services\n", n);
	return 0;
}

static int
cmd_show_service(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json;
	struct svc_d *d;
	char buf[96];

	/* Without a name it lists them all, as show services does. */
	if (argc == 0 || (argc == 1 && strcmp(argv[0], "json") == 0))
		return cmd_show_services(s, argc, argv);
	json = ng_cli_json(&argc, argv);
	if (argc != 1) {
		ng_cli_error(s, "show service: unexpected argument \"%s\"", argv[1]);
		return -1;
	}
	d = find_d(argv[0]);
	if (d == NULL) {
		ng_cli_error(s, "show service: no service \"%s\"", argv[0]);
		return -1;
	}
	if (json)
		return ng_cli_print_json(s, svc_json(d, true));
	{
		struct ng_svc_counters c = {0};

		ng_svc_counters(d->spec.name, &c);
		ng_cli_printf(s, "service %s\n  protocol %s, scheduler %s, mode %s, affinity %s",
				d->spec.name, proto_str(d->spec.proto), ng_sched_name(d->spec.scheduler),
				ng_fwd_mode_name(d->spec.mode), d->spec.affinity ? "client-ip" : "none");
		if (d->spec.affinity)
			ng_cli_printf(s, " (%u s)", d->spec.affinity_timeout ? d->spec.affinity_timeout :
					NG_AFFINITY_TIMEOUT_DEFAULT);
		ng_cli_printf(s, "\n  from %s; with no usable backend, new connections are %s",
				d->spec.origin == NG_SVC_ORIGIN_K8S ? "kubernetes" : "the config/CLI",
				d->spec.empty_drop ? "dropped" : "refused");
		for (unsigned int i = 0; i < d->spec.n_src_ranges; i++)
			ng_cli_printf(s, "%s%s", i == 0 ? "\n  source ranges (not enforced by the "
					"data path yet): " : ", ", ng_prefix_fmt(&d->spec.src_ranges[i],
					buf, sizeof(buf)));
		ng_cli_printf(s, "\n  conns %" PRIu64 ", packets %" PRIu64 ", bytes %" PRIu64
				", refused %" PRIu64 "\n", c.conns, c.pkts, c.bytes, c.refused);
		if (d->obj != NULL)
			ng_cli_printf(s, "  table %u slots, %u of %u backends usable\n",
					d->obj->table_size, d->obj->n_usable, d->obj->n_backends);
	}
	ng_cli_printf(s, "  frontends:\n");
	for (unsigned int i = 0; i < d->n_fes; i++) {
		ng_svc_frontend_fmt(&d->fes[i], d->spec.proto, buf, sizeof(buf));
		ng_cli_printf(s, "    %s\n", buf);
	}
	ng_cli_printf(s, "  backends:\n    %-24s %6s %10s %12s\n", "address", "weight", "conns",
			"packets");
	for (unsigned int i = 0; i < d->n_bes; i++) {
		char a[NG_IP_STRLEN], ep[NG_IP_STRLEN + 8];
		uint64_t bc, bp;

		backend_counters(d, &d->bes[i], &bc, &bp);
		snprintf(ep, sizeof(ep), "%s:%u", ng_ip_fmt(&d->bes[i].addr, a, sizeof(a)),
				d->bes[i].port);
		ng_cli_printf(s, "    %-24s %6u %10" PRIu64 " %12" PRIu64 "%s\n", ep,
				d->bes[i].weight, bc, bp, d->bes[i].weight == 0 ? "  (draining)" : "");
	}
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
		cJSON_AddNumberToObject(o, "build_us", ri.build_ns / 1e3);
		cJSON_AddNumberToObject(o, "publish_us", ri.publish_ns / 1e3);
		cJSON_AddNumberToObject(o, "grace_us", ri.grace_ns / 1e3);
		cJSON_AddNumberToObject(o, "commits", (double)ri.commits);
		cJSON_AddNumberToObject(o, "pending_free", (double)ri.pending_free);
		cJSON_AddBoolToObject(o, "dirty", ng_svc_dirty());
		cJSON_AddNumberToObject(o, "latency_samples", ri.latency_samples);
		cJSON_AddNumberToObject(o, "latency_p50_us", ri.latency_p50_ns / 1e3);
		cJSON_AddNumberToObject(o, "latency_p99_us", ri.latency_p99_ns / 1e3);
		cJSON_AddNumberToObject(o, "latency_max_us", ri.latency_max_ns / 1e3);
		return ng_cli_print_json(s, o);
	}
	ng_cli_printf(s, "generation %" PRIu64 "\n services %u, frontends %u, %" PRIu64 " bytes\n"
			" last build %.1f us, publish %.3f us, grace period %.1f us\n"
			" commits %" PRIu64 ", rulesets waiting for a grace period %" PRIu64 "%s\n",
			ri.generation, ri.services, ri.frontends, ri.bytes, ri.build_ns / 1e3,
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
		if (ng_prefix_parse(buf, &rbuf[n]) < 0 || rbuf[n].addr.family != AF_INET) {
			ng_cli_error(s, "%s: source range \"%s\" is not an IPv4 prefix A.B.C.D/N",
					cmd, buf);
			return -1;
		}
		rbuf[n] = ng_prefix_masked(&rbuf[n]);
		n++;
		p += len + (p[len] == ',');
	}
	sp->n_src_ranges = n;
	return 0;
}

static int
parse_spec_opts(struct ng_cli_sess *s, const char *cmd, int argc, char **argv,
		struct ng_svc_spec *sp, struct ng_prefix *rbuf)
{
	for (int i = 0; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL) {
			ng_cli_error(s, "%s: \"%s\" needs a value", cmd, k);
			return -1;
		}
		if (strcmp(k, "scheduler") == 0) {
			if (strcmp(v, "maglev") == 0)
				sp->scheduler = NG_SCHED_MAGLEV;
			else if (strcmp(v, "wrr") == 0)
				sp->scheduler = NG_SCHED_WRR;
			else if (strcmp(v, "random") == 0)
				sp->scheduler = NG_SCHED_RANDOM;
			else {
				ng_cli_error(s, "%s: scheduler \"%s\": maglev, wrr or random", cmd, v);
				return -1;
			}
		} else if (strcmp(k, "mode") == 0) {
			if (strcmp(v, "fullnat") == 0)
				sp->mode = NG_FWD_FULLNAT;
			else if (strcmp(v, "dnat") == 0)
				sp->mode = NG_FWD_DNAT;
			else {
				ng_cli_error(s, "%s: mode \"%s\": fullnat or dnat", cmd, v);
				return -1;
			}
		} else if (strcmp(k, "affinity") == 0) {
			if (strcmp(v, "client-ip") == 0)
				sp->affinity = true;
			else if (strcmp(v, "none") == 0)
				sp->affinity = false;
			else {
				ng_cli_error(s, "%s: affinity \"%s\": none or client-ip", cmd, v);
				return -1;
			}
		} else if (strcmp(k, "affinity-timeout") == 0) {
			if (parse_u32(s, cmd, k, v, 1, 86400, &sp->affinity_timeout) < 0)
				return -1;
		} else if (strcmp(k, "source-ranges") == 0) {
			if (parse_src_ranges(s, cmd, v, rbuf, sp) < 0)
				return -1;
		} else {
			ng_cli_error(s, "%s: unknown option \"%s\" (scheduler, mode, affinity, "
					"affinity-timeout, source-ranges)", cmd, k);
			return -1;
		}
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
				"[affinity client-ip] [affinity-timeout SEC] [source-ranges P,...]");
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
	struct svc_d *d;
	struct ng_svc_spec sp;
	struct ng_prefix rbuf[NG_MAX_SVC_SRC_RANGES];
	char err[NG_ERRBUF];

	if (argc < 3) {
		ng_cli_error(s, "service set: give NAME and options (scheduler, mode, affinity, "
				"affinity-timeout, source-ranges)");
		return -1;
	}
	d = find_d(argv[0]);
	if (d == NULL) {
		ng_cli_error(s, "service set: no service \"%s\"", argv[0]);
		return -1;
	}
	sp = d->spec;
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
	if (argc == 3 && strcmp(argv[1], "nodeport") == 0) {
		uint32_t p;

		if (parse_u32(s, cmd, "node port", argv[2], 1, 65535, &p) < 0)
			return -1;
		fe->port = (uint16_t)p;
		return 0;
	}
	if (argc != 2) {
		ng_cli_error(s, "%s: give NAME ADDRESS:PORT, or NAME nodeport PORT", cmd);
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
			(argc == 4 && parse_u32(s, "backend add", "weight", argv[3], 0, 10000,
			&weight) < 0))
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
	struct svc_d *d;
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
			parse_u32(s, "backend weight", "weight", argv[2], 0, 10000, &w) < 0)
		return -1;
	d = find_d(argv[0]);
	for (unsigned int i = 0; d != NULL && i < d->n_bes; i++)
		found |= d->bes[i].port == port && ng_ip_equal(&d->bes[i].addr, &ip);
	if (d != NULL && !found) {
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

/* lookup PROTO SRC:PORT VIP:PORT: the backend a new flow would get. */
static int
cmd_lookup(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	const struct ng_ruleset *rs = ng_svc.cur;
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
	if (src.family != AF_INET || dst.family != AF_INET) {
		ng_cli_error(s, "lookup: only IPv4 flows are served yet");
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
	h = ng_hash_flow4(src.v4, dst.v4, rte_cpu_to_be_16(sport), rte_cpu_to_be_16(dport), proto);
	b = o->n_usable == 0 ? NG_MAGLEV_NONE : o->table[h % o->table_size];
	if (json) {
		cJSON *r = cJSON_CreateObject();

		cJSON_AddStringToObject(r, "service", o->name);
		cJSON_AddStringToObject(r, "scheduler", ng_sched_name((enum ng_sched)o->sched));
		if (b == NG_MAGLEV_NONE) {
			cJSON_AddStringToObject(r, "verdict", "refused: no usable backend");
		} else {
			union ng_addr16 ba = o->backends[b].addr;
			struct ng_ip bip = {.family = AF_INET, .v4 = ba.v4};

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
		struct ng_ip bip = {.family = AF_INET, .v4 = o->backends[b].addr.v4};

		ng_cli_printf(s, "service %s (%s): backend %s:%u, slot %" PRIu64 " of %u%s\n",
				o->name, ng_sched_name((enum ng_sched)o->sched),
				ng_ip_fmt(&bip, a, sizeof(a)), rte_be_to_cpu_16(o->backends[b].port),
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
	"source-ranges", "maglev", "wrr", "random", "fullnat", "dnat", "client-ip", "none", NULL};

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

static const char *const *
names_complete(struct ng_cli_sess *s, int argc, char **argv)
{
	unsigned int n = 0;

	(void)s;
	(void)argv;
	if (argc > 0)
		return NULL;
	for (uint32_t i = 0; i < ng_svc.n_svcs && n < RTE_DIM(name_list) - 1; i++)
		if (ng_svc.svcs[i] != NULL && !ng_svc.svcs[i]->deleted)
			name_list[n++] = ng_svc.svcs[i]->spec.name;
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
	{"service add", "NAME tcp|udp [scheduler maglev|wrr|random] [mode fullnat|dnat] "
		"[affinity none|client-ip] [affinity-timeout SEC] [source-ranges P,...|none]",
		"create a service", cmd_service_add, opts_complete},
	{"service set", "NAME [scheduler S] [mode M] [affinity A] [affinity-timeout SEC] "
		"[source-ranges P,...|none]",
		"change a service's options", cmd_service_set, names_complete},
	{"service del", "NAME", "delete a service", cmd_service_del, names_complete},
	{"service frontend add", "NAME ADDRESS:PORT | NAME nodeport PORT",
		"add a VIP frontend or a NodePort", cmd_frontend_add, names_complete},
	{"service frontend del", "NAME ADDRESS:PORT | NAME nodeport PORT", "remove a frontend",
		cmd_frontend_del, names_complete},
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
