/* SPDX-License-Identifier: BSD-3-Clause */
/* `show bgp`, `drain`, `undrain`: thin front ends over bgp.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <rte_common.h>

#include "bgp_priv.h"
#include "cli.h"
#include "ng_cli_util.h"

static const char *
state_of(const struct ng_bgp_vip *v)
{
	bool done = bgp_done_has(&v->pfx);

	if (v->announce)
		return done ? "announced" : "announcing";
	return done ? "withdrawing" : "withdrawn";
}

static const char *
drain_name(void)
{
	switch (ng_bgp.drain) {
	case NG_BGP_DRAIN_CLI:
		return "drained";
	case NG_BGP_DRAIN_STOP:
		return "stopping";
	case NG_BGP_DRAIN_NONE:
		break;
	}
	return "off";
}

static void
kinds_fmt(uint32_t kind, bool aggregate, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	if (aggregate) {
		snprintf(buf, len, "aggregate");
		return;
	}
	for (uint32_t bit = 1; bit & NG_BGP_KIND_ALL; bit <<= 1)
		if ((kind & bit) && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
					ng_bgp_kind_name(bit));
}

/* "web: a service on it has a usable backend (2 of 3 backends)" and the like. */
static void
why_fmt(const struct ng_bgp_vip *v, char *buf, size_t len)
{
	if (v->aggregate) {
		snprintf(buf, len, "%s (%u of %u VIPs in it usable)", ng_bgp_why_text(v->why),
			v->n_usable, v->n_svcs);
		return;
	}
	snprintf(buf, len, "%s: %s (%u of %u backends usable; %u of %u services on it)", v->svc,
		ng_bgp_why_text(v->why), v->usable_backends, v->backends, v->n_usable, v->n_svcs);
}

static void
kinds_json(cJSON *a, uint32_t kind)
{
	for (uint32_t bit = 1; bit & NG_BGP_KIND_ALL; bit <<= 1)
		if (kind & bit)
			cJSON_AddItemToArray(a, cJSON_CreateString(ng_bgp_kind_name(bit)));
}

static double
age_s(uint64_t at_ms)
{
	return at_ms == 0 ? -1 : (double)(bgp_now_ms() - at_ms) / 1e3;
}

static cJSON *
vip_json(const struct ng_bgp_vip *v)
{
	cJSON *o = cJSON_CreateObject();
	char buf[NG_IP_STRLEN + 8];

	cJSON_AddStringToObject(o, "prefix", ng_prefix_fmt(&v->pfx, buf, sizeof(buf)));
	kinds_json(cJSON_AddArrayToObject(o, "kind"), v->kind);
	cJSON_AddStringToObject(o, "state", state_of(v));
	cJSON_AddBoolToObject(o, "announce", v->announce);
	cJSON_AddBoolToObject(o, "confirmed", bgp_done_has(&v->pfx));
	cJSON_AddBoolToObject(o, "aggregate", v->aggregate);
	cJSON_AddStringToObject(o, "why", ng_bgp_why_id(v->why));
	cJSON_AddStringToObject(o, "service", v->svc);
	cJSON_AddNumberToObject(o, "services", v->n_svcs);
	cJSON_AddNumberToObject(o, "usable", v->n_usable);
	cJSON_AddNumberToObject(o, "backends", v->backends);
	cJSON_AddNumberToObject(o, "usable_backends", v->usable_backends);
	return o;
}

static void
gone_json(const struct ng_prefix *p, void *arg)
{
	struct ng_bgp_vip v = {.pfx = *p, .why = NG_BGP_WHY_NO_BACKEND, .svc = "(none)"};

	cJSON_AddItemToArray(arg, vip_json(&v));
}

static int
show_json(struct ng_cli_sess *s)
{
	const struct ng_bird *b = &ng_bgp.bird;
	cJSON *o = cJSON_CreateObject(), *a, *pf;
	struct ng_bgp_info info;
	char buf[NG_IP_STRLEN];

	cJSON_AddBoolToObject(o, "enabled", ng_bgp.enabled);
	if (!ng_bgp.enabled)
		return ng_cli_print_json(s, o);
	ng_bgp_info(&info);
	cJSON_AddStringToObject(o, "bird_socket", ng_bgp.conf.bird_socket);
	cJSON_AddStringToObject(o, "bird_state", ng_bird_state_name(b->state));
	cJSON_AddStringToObject(o, "routes_file", ng_bgp.conf.routes_file);
	cJSON_AddStringToObject(o, "protocol", ng_bgp.conf.protocol);
	cJSON_AddStringToObject(o, "interface", ng_bgp.conf.interface);
	a = cJSON_AddArrayToObject(o, "announce_kinds");
	kinds_json(a, ng_bgp.conf.announce);
	a = cJSON_AddArrayToObject(o, "service_cidrs");
	for (unsigned int i = 0; i < ng_bgp.conf.n_service_cidrs; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(ng_prefix_fmt(
				&ng_bgp.conf.service_cidrs[i], buf, sizeof(buf))));
	cJSON_AddStringToObject(o, "drain", drain_name());
	cJSON_AddNumberToObject(o, "drain_age_s", ng_bgp.drain == NG_BGP_DRAIN_NONE ? -1 :
			age_s(ng_bgp.drain_at));
	cJSON_AddNumberToObject(o, "announced", ng_bgp.want.n_announce);
	cJSON_AddNumberToObject(o, "confirmed", ng_bgp.n_done);
	cJSON_AddBoolToObject(o, "in_sync", info.in_sync);
	cJSON_AddNumberToObject(o, "cluster_ips", ng_bgp.want.cluster_ips);
	cJSON_AddNumberToObject(o, "last_latency_ms", ng_bgp.last_latency_ms);
	cJSON_AddNumberToObject(o, "bird_rtt_ms", b->rtt_ms);
	cJSON_AddNumberToObject(o, "decisions", (double)ng_bgp.decisions);
	cJSON_AddNumberToObject(o, "configures", (double)ng_bgp.configures);
	cJSON_AddNumberToObject(o, "configure_errors", (double)ng_bgp.configure_errors);
	cJSON_AddNumberToObject(o, "connects", (double)b->connects);
	cJSON_AddNumberToObject(o, "losses", (double)b->losses);
	cJSON_AddStringToObject(o, "last_error", ng_bgp.last_error);
	cJSON_AddNumberToObject(o, "last_error_age_s", age_s(ng_bgp.last_error_at));
	pf = cJSON_AddArrayToObject(o, "prefixes");
	for (unsigned int i = 0; i < ng_bgp.want.n; i++)
		cJSON_AddItemToArray(pf, vip_json(&ng_bgp.want.v[i]));
	bgp_gone_walk(gone_json, pf);
	return ng_cli_print_json(s, o);
}

static void
row(struct ng_cli_sess *s, const char *pfx, const char *state, const char *kind, const char *why)
{
	ng_cli_printf(s, "%-20s %-12s %-22s %s\n", pfx, state, kind, why);
}

static void
gone_text(const struct ng_prefix *p, void *arg)
{
	char buf[NG_IP_STRLEN];

	row(arg, ng_prefix_fmt(p, buf, sizeof(buf)), "withdrawing", "-",
		"no service has it any more");
}

static void
show_header(struct ng_cli_sess *s)
{
	const struct ng_conf_bgp *c = &ng_bgp.conf;
	const struct ng_bird *b = &ng_bgp.bird;
	char kinds[64], buf[NG_IP_STRLEN];

	ng_cli_printf(s, "BIRD %s: %s; routes file %s (protocols %s4, %s6), next hop %s\n",
		c->bird_socket, ng_bird_state_name(b->state), c->routes_file, c->protocol,
		c->protocol, c->interface);
	kinds_fmt(c->announce, false, kinds, sizeof(kinds));
	ng_cli_printf(s, "announce: %s", kinds[0] != '\0' ? kinds : "(no kind)");
	for (unsigned int i = 0; i < c->n_service_cidrs; i++)
		ng_cli_printf(s, "%s%s", i == 0 ? "; aggregates " : ", ",
			ng_prefix_fmt(&c->service_cidrs[i], buf, sizeof(buf)));
	ng_cli_printf(s, "\ndrain: %s", drain_name());
	if (ng_bgp.drain != NG_BGP_DRAIN_NONE)
		ng_cli_printf(s, " (%.1f s ago)", age_s(ng_bgp.drain_at));
	ng_cli_printf(s, "\n%u prefixes to announce, %u confirmed by BIRD%s; last change "
		"reached BIRD in %u ms\n", ng_bgp.want.n_announce, ng_bgp.n_done,
		ng_bgp.need_send || b->state == NG_BIRD_BUSY ? " (an update is pending)" : "",
		ng_bgp.last_latency_ms);
	ng_cli_printf(s, "configures %" PRIu64 " (%" PRIu64 " refused), decisions %" PRIu64
		", BIRD connects %" PRIu64 ", losses %" PRIu64 "; clusterIPs %u (aggregates "
		"only)\n", ng_bgp.configures, ng_bgp.configure_errors, ng_bgp.decisions,
		b->connects, b->losses, ng_bgp.want.cluster_ips);
	if (ng_bgp.last_error_at != 0)
		ng_cli_printf(s, "last error (%.1f s ago): %s\n", age_s(ng_bgp.last_error_at),
			ng_bgp.last_error);
}

static int
cmd_show_bgp(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	char pfx[NG_IP_STRLEN], kind[64], why[NG_SVC_NAME_MAX + 128];

	if (ng_cli_no_args(s, "show bgp", argc, argv) < 0)
		return -1;
	if (json)
		return show_json(s);
	if (!ng_bgp.enabled) {
		ng_cli_printf(s, "bgp: off (the config has no bgp section): nothing is "
			"announced\n");
		return 0;
	}
	show_header(s);
	row(s, "prefix", "state", "kind", "why");
	for (unsigned int i = 0; i < ng_bgp.want.n; i++) {
		const struct ng_bgp_vip *v = &ng_bgp.want.v[i];

		kinds_fmt(v->kind, v->aggregate, kind, sizeof(kind));
		why_fmt(v, why, sizeof(why));
		row(s, ng_prefix_fmt(&v->pfx, pfx, sizeof(pfx)), state_of(v), kind, why);
	}
	bgp_gone_walk(gone_text, s);
	return 0;
}

static int
drain_cmd(struct ng_cli_sess *s, const char *cmd, bool on, int argc, char **argv)
{
	int rc;

	if (ng_cli_no_args(s, cmd, argc, argv) < 0)
		return -1;
	rc = ng_bgp_drain(on);
	switch (rc) {
	case 0:
		ng_cli_printf(s, "%s: %u prefixes to announce now; BIRD confirms on its own "
			"(show bgp)\n", cmd, ng_bgp.want.n_announce);
		return 0;
	case -ENOTSUP:
		ng_cli_error(s, "%s: the config has no bgp section: nothing is announced", cmd);
		break;
	case -EALREADY:
		ng_cli_error(s, "%s: already %s", cmd, on ? "drained" : "not drained");
		break;
	case -EBUSY:
		ng_cli_error(s, "%s: nodegw is stopping; its announcements stay withdrawn", cmd);
		break;
	default:
		ng_cli_error(s, "%s: %s", cmd, strerror(-rc));
		break;
	}
	return -1;
}

static int
cmd_drain(struct ng_cli_sess *s, int argc, char **argv)
{
	return drain_cmd(s, "drain", true, argc, argv);
}

static int
cmd_undrain(struct ng_cli_sess *s, int argc, char **argv)
{
	return drain_cmd(s, "undrain", false, argc, argv);
}

static const struct ng_cli_cmd bgp_cmds[] = {
	{"show bgp", "[json]", "announced VIP prefixes: state, kind and why; BIRD's connection",
		cmd_show_bgp, NULL},
	{"drain", NULL, "withdraw every BGP announcement (forwarding goes on)", cmd_drain, NULL},
	{"undrain", NULL, "announce usable VIPs again after drain", cmd_undrain, NULL},
};

int
ng_bgp_cli_register(void)
{
	return ng_cli_register(bgp_cmds, RTE_DIM(bgp_cmds));
}
