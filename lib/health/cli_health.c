/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `show health`: what /healthz and /livez answer and why, and every
 * healthCheckNodePort server with its local endpoints.
 */
#include <inttypes.h>

#include "health.h"
#include "ng_cli_util.h"

struct hc_ctx {
	struct ng_cli_sess *s;
	cJSON *arr;
};

static int
hc_cb(const struct ng_health_hc_info *hc, void *arg)
{
	struct hc_ctx *x = arg;

	if (x->arr != NULL) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "service", hc->key);
		cJSON_AddNumberToObject(o, "port", hc->port);
		cJSON_AddNumberToObject(o, "local_endpoints", hc->local_endpoints);
		cJSON_AddNumberToObject(o, "answered_200", (double)hc->answered[0]);
		cJSON_AddNumberToObject(o, "answered_503", (double)hc->answered[1]);
		cJSON_AddItemToArray(x->arr, o);
		return 0;
	}
	ng_cli_printf(x->s, "  %-40s port %5u  local endpoints %4u  answered 200 %" PRIu64
			", 503 %" PRIu64 "\n", hc->key, hc->port, hc->local_endpoints,
			hc->answered[0], hc->answered[1]);
	return 0;
}

static int
cmd_show_health(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	struct ng_health_status st;
	struct hc_ctx x = {.s = s};

	if (ng_cli_no_args(s, "show health", argc, argv) < 0)
		return -1;
	ng_health_status(&st);
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "healthy", st.healthy);
		cJSON_AddBoolToObject(o, "node_eligible", st.node_eligible);
		cJSON_AddBoolToObject(o, "syncing", st.syncing);
		cJSON_AddNumberToObject(o, "healthz", ng_health_ready(&st) ? 200 : 503);
		cJSON_AddNumberToObject(o, "livez", st.healthy ? 200 : 503);
		cJSON_AddStringToObject(o, "why", st.why);
		cJSON_AddNumberToObject(o, "last_updated_s", (double)st.last_updated_ns / 1e9);
		cJSON_AddNumberToObject(o, "healthz_200", (double)st.healthz[0]);
		cJSON_AddNumberToObject(o, "healthz_503", (double)st.healthz[1]);
		cJSON_AddNumberToObject(o, "livez_200", (double)st.livez[0]);
		cJSON_AddNumberToObject(o, "livez_503", (double)st.livez[1]);
		x.arr = cJSON_AddArrayToObject(o, "health_check_node_ports");
		ng_health_hc_walk(hc_cb, &x);
		return ng_cli_print_json(s, o);
	}
	ng_cli_printf(s, "data path %s, node %s: /healthz %d, /livez %d%s%s\n"
			"last publish %.3f s ago\n",
			!st.healthy ? "stale" : st.syncing ? "syncing" : "healthy",
			st.node_eligible ? "eligible" : "not eligible",
			ng_health_ready(&st) ? 200 : 503,
			st.healthy ? 200 : 503, st.why[0] ? "; " : "", st.why,
			(double)(st.now_ns - st.last_updated_ns) / 1e9);
	ng_cli_printf(s, "answered: /healthz 200 %" PRIu64 ", 503 %" PRIu64 "; /livez 200 %"
			PRIu64 ", 503 %" PRIu64 "\nhealthCheckNodePorts:\n", st.healthz[0],
			st.healthz[1], st.livez[0], st.livez[1]);
	ng_health_hc_walk(hc_cb, &x);
	return 0;
}

static const struct ng_cli_cmd health_cmds[] = {
	{"show health", "[json]", "what /healthz and /livez answer and why; healthCheckNodePort "
		"servers", cmd_show_health, NULL},
};

int
ng_health_cli_register(void)
{
	return ng_cli_register(health_cmds, RTE_DIM(health_cmds));
}
