/* SPDX-License-Identifier: BSD-3-Clause */
/* `show k8s`: the watcher's connection state, resourceVersions and counters. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <rte_common.h>
#include <rte_cycles.h>

#include "cli.h"
#include "k8s.h"
#include "k8s_priv.h"
#include "ng_cli_util.h"
#include "svc.h"

static const char *
state_name(const struct kreflector *r)
{
	switch (r->state) {
	case KS_LISTING:
		return "listing";
	case KS_WATCHING:
		return "watching";
	case KS_IDLE:
		break;
	}
	return r->next_try_tsc > rte_get_tsc_cycles() ? "backing-off" : "idle";
}

void
ng_k8s_info(struct ng_k8s_info *out)
{
	RTE_BUILD_BUG_ON(KRES_N > NG_K8S_RES_MAX);
	memset(out, 0, sizeof(*out));
	out->enabled = ng_kw.enabled;
	if (!ng_kw.enabled)
		return;
	out->synced = ng_kw.first_sync_tsc != 0;
	out->n_res = KRES_N;
	for (int i = 0; i < KRES_N; i++) {
		const struct kreflector *r = &ng_kw.r[i];

		out->res[i] = (struct ng_k8s_res_info){
			.name = r->name, .state = state_name(r), .synced = r->synced,
			.objects = kstore_count(r->res), .events = r->events - r->bookmarks,
			.lists = r->lists, .relists = r->relists, .watches = r->watches,
			.stalls = r->stalls, .errors = r->errors, .decode_errors = r->decode_errors,
		};
	}
	out->services = kstore_applied();
	out->syncs = ng_kw.syncs;
	out->apply_errors = kstore_apply_errors();
	kstore_no_local(out->no_local);
}

/* Seconds since tsc, or -1 for never. */
static double
ago(uint64_t tsc)
{
	return tsc == 0 ? -1 : (double)(rte_get_tsc_cycles() - tsc) / (double)rte_get_tsc_hz();
}

static void
fmt_ago(char *buf, size_t len, uint64_t tsc)
{
	if (tsc == 0)
		snprintf(buf, len, "never");
	else
		snprintf(buf, len, "%.1f s ago", ago(tsc));
}

static cJSON *
res_json(const struct kreflector *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "state", state_name(r));
	cJSON_AddBoolToObject(o, "synced", r->synced);
	cJSON_AddStringToObject(o, "resource_version", r->rv);
	cJSON_AddNumberToObject(o, "objects", kstore_count(r->res));
	cJSON_AddNumberToObject(o, "events", (double)r->events);
	cJSON_AddNumberToObject(o, "bookmarks", (double)r->bookmarks);
	cJSON_AddNumberToObject(o, "lists", (double)r->lists);
	cJSON_AddNumberToObject(o, "relists", (double)r->relists);
	cJSON_AddNumberToObject(o, "watches", (double)r->watches);
	cJSON_AddNumberToObject(o, "stalls", (double)r->stalls);
	cJSON_AddNumberToObject(o, "errors", (double)r->errors);
	cJSON_AddNumberToObject(o, "decode_errors", (double)r->decode_errors);
	cJSON_AddNumberToObject(o, "since_sync_s", ago(r->last_sync_tsc));
	cJSON_AddStringToObject(o, "last_error", r->last_error);
	cJSON_AddNumberToObject(o, "last_error_age_s", ago(r->last_error_tsc));
	return o;
}

static int
show_json(struct ng_cli_sess *s)
{
	cJSON *o = cJSON_CreateObject();
	char buf[256];

	cJSON_AddBoolToObject(o, "enabled", ng_kw.enabled);
	if (ng_kw.enabled) {
		struct ng_ruleset_info ri;

		cJSON_AddStringToObject(o, "server", ng_kw.server);
		cJSON_AddStringToObject(o, "node", ng_kw.node_name);
		cJSON_AddBoolToObject(o, "token", ng_kw.auth_header != NULL);
		cJSON_AddNumberToObject(o, "token_reads", (double)ng_kw.token_reads);
		cJSON_AddBoolToObject(o, "tls_verify", !ng_kw.conf.insecure);
		for (int i = 0; i < KRES_N; i++)
			cJSON_AddItemToObject(o, ng_kw.r[i].name, res_json(&ng_kw.r[i]));
		cJSON_AddNumberToObject(o, "nodegw_services", kstore_applied());
		cJSON_AddNumberToObject(o, "syncs", (double)ng_kw.syncs);
		cJSON_AddNumberToObject(o, "sync_slices", (double)ng_kw.sync_slices);
		cJSON_AddNumberToObject(o, "pending_groups", kstore_pending());
		cJSON_AddNumberToObject(o, "list_pages", (double)ng_kw.pages);
		cJSON_AddNumberToObject(o, "list_page_slices", (double)ng_kw.page_slices);
		cJSON_AddNumberToObject(o, "longest_poll_ms", ng_kw.step.max_ns / 1e6);
		cJSON_AddNumberToObject(o, "longest_poll_cpu_ms", ng_kw.step.max_cpu_ns / 1e6);
		cJSON_AddNumberToObject(o, "initial_sync_ms", ng_kw.first_sync_tsc == 0 ? -1 :
			(double)(ng_kw.first_sync_tsc - ng_kw.start_tsc) * 1e3 /
			(double)rte_get_tsc_hz());
		cJSON_AddNumberToObject(o, "apply_errors", (double)kstore_apply_errors());
		kstore_last_error(buf, sizeof(buf));
		cJSON_AddStringToObject(o, "last_apply_error", buf);
		ng_svc_ruleset_info(&ri);
		cJSON_AddNumberToObject(o, "commit_latency_p50_us", ri.latency_p50_ns / 1e3);
		cJSON_AddNumberToObject(o, "commit_latency_p99_us", ri.latency_p99_ns / 1e3);
		cJSON_AddNumberToObject(o, "commit_latency_samples", ri.latency_samples);
	}
	return ng_cli_print_json(s, o);
}

static int
cmd_show_k8s(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	struct ng_ruleset_info ri;
	char buf[256], a1[32], a2[32];

	if (ng_cli_no_args(s, "show k8s", argc, argv) < 0)
		return -1;
	if (json)
		return show_json(s);
	if (!ng_kw.enabled) {
		ng_cli_printf(s, "kubernetes: off (the config has no kubernetes section, or "
			"enabled = false)\n");
		return 0;
	}
	ng_cli_printf(s, "kubernetes %s, node \"%s\", %s, TLS %s\n", ng_kw.server,
		ng_kw.node_name, ng_kw.auth_header != NULL ? "bearer token" : "no token",
		ng_kw.conf.insecure ? "NOT VERIFIED" : "verified");
	ng_cli_printf(s, "  %-15s %-11s %-12s %7s %8s %7s %6s %6s  %s\n", "resource", "state",
		"rv", "objects", "events", "relists", "stalls", "errors", "last sync");
	for (int i = 0; i < KRES_N; i++) {
		const struct kreflector *r = &ng_kw.r[i];

		fmt_ago(a1, sizeof(a1), r->last_sync_tsc);
		ng_cli_printf(s, "  %-15s %-11s %-12s %7u %8" PRIu64 " %7" PRIu64 " %6" PRIu64
			" %6" PRIu64 "  %s\n", r->name, state_name(r), r->rv[0] ? r->rv : "-",
			kstore_count(r->res), r->events, r->relists, r->stalls, r->errors, a1);
	}
	for (int i = 0; i < KRES_N; i++) {
		const struct kreflector *r = &ng_kw.r[i];

		if (r->last_error[0] == '\0')
			continue;
		fmt_ago(a2, sizeof(a2), r->last_error_tsc);
		ng_cli_printf(s, "  last error (%s, %s): %s\n", r->name, a2, r->last_error);
	}
	kstore_last_error(buf, sizeof(buf));
	ng_cli_printf(s, "  nodegw services from kubernetes: %u, syncs %" PRIu64
		", apply errors %" PRIu64 "%s%s\n", kstore_applied(), ng_kw.syncs,
		kstore_apply_errors(), buf[0] ? "; last: " : "", buf);
	if (kstore_pending() > 0 || ng_kw.sync_slices > 0)
		ng_cli_printf(s, "  %s%u services (namespace/name) waiting to be applied; "
			"%" PRIu64 " turns of the loop stopped at %u ms with some left\n",
			kstore_pending() > 0 ? "syncing: " : "", kstore_pending(),
			ng_kw.sync_slices, K8S_SLICE_MS);
	ng_cli_printf(s, "  longest turn of the watcher: %.1f ms (%.1f ms of CPU); list pages %"
		PRIu64 ", %" PRIu64 " of them decoded over more than one turn\n",
		ng_kw.step.max_ns / 1e6, ng_kw.step.max_cpu_ns / 1e6, ng_kw.pages,
		ng_kw.page_slices);
	ng_svc_ruleset_info(&ri);
	if (ri.latency_samples > 0)
		ng_cli_printf(s, "  event to data path (last %u commits): p50 %.1f us, p99 %.1f us\n",
			ri.latency_samples, ri.latency_p50_ns / 1e3, ri.latency_p99_ns / 1e3);
	return 0;
}

static const struct ng_cli_cmd k8s_cmds[] = {
	{"show k8s", "[json]", "the Kubernetes watcher: connection state, resourceVersions, "
		"events, relists, errors, objects", cmd_show_k8s, NULL},
};

int
ng_k8s_cli_register(void)
{
	return ng_cli_register(k8s_cmds, RTE_DIM(k8s_cmds));
}
