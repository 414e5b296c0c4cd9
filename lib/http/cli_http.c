/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `show http`: every HTTP server of the control core (probes, metrics,
 * healthCheckNodePort), whether it listens, its connections and answers.
 */
#include <inttypes.h>

#include "http.h"
#include "ng_cli_util.h"

struct show_ctx {
	struct ng_cli_sess *s;
	cJSON *arr;
};

static int
show_cb(const struct ng_http_info *in, void *arg)
{
	struct show_ctx *x = arg;
	char a[NG_IP_STRLEN];

	ng_ip_fmt(&in->addr, a, sizeof(a));
	if (x->arr != NULL) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", in->name);
		cJSON_AddStringToObject(o, "address", a);
		cJSON_AddNumberToObject(o, "port", in->port);
		cJSON_AddBoolToObject(o, "listening", in->listening);
		cJSON_AddStringToObject(o, "error", in->error);
		cJSON_AddNumberToObject(o, "connections", in->connections);
		cJSON_AddNumberToObject(o, "accepted", (double)in->accepted);
		cJSON_AddNumberToObject(o, "answered_2xx", (double)in->requests[2]);
		cJSON_AddNumberToObject(o, "answered_4xx", (double)in->requests[4]);
		cJSON_AddNumberToObject(o, "answered_5xx", (double)in->requests[5]);
		cJSON_AddNumberToObject(o, "aborted", (double)in->aborted);
		cJSON_AddItemToArray(x->arr, o);
		return 0;
	}
	ng_cli_printf(x->s, "%-28s %-16s %5u %-9s %5u %10" PRIu64 " %10" PRIu64 " %8" PRIu64
			" %8" PRIu64 " %8" PRIu64 "%s%s\n", in->name, a, in->port,
			in->listening ? "listening" : "retrying", in->connections, in->accepted,
			in->requests[2], in->requests[4], in->requests[5], in->aborted,
			in->listening ? "" : "  ", in->error);
	return 0;
}

static int
cmd_show_http(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	struct show_ctx x = {.s = s};

	if (ng_cli_no_args(s, "show http", argc, argv) < 0)
		return -1;
	if (json) {
		x.arr = cJSON_CreateArray();
		ng_http_walk(show_cb, &x);
		return ng_cli_print_json(s, x.arr);
	}
	ng_cli_printf(s, "%-28s %-16s %5s %-9s %5s %10s %10s %8s %8s %8s\n", "server", "address",
			"port", "state", "conns", "accepted", "2xx", "4xx", "5xx", "aborted");
	ng_http_walk(show_cb, &x);
	return 0;
}

static const struct ng_cli_cmd http_cmds[] = {
	{"show http", "[json]", "HTTP servers (probes, metrics, healthCheckNodePorts): state, "
		"connections, answers", cmd_show_http, NULL},
};

int
ng_http_cli_register(void)
{
	return ng_cli_register(http_cmds, RTE_DIM(http_cmds));
}
