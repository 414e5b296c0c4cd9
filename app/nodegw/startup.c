/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The start-up timeline (startup.h). Control core only.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "k8s.h"
#include "ng_cli_util.h"
#include "ng_log.h"
#include "startup.h"
#include "svc.h"

#define MAX_PIECES 24

static struct {
	double main_s;          /* CLOCK_MONOTONIC at ng_startup_begin() */
	double last_s, last_cpu_s;
	unsigned int n;
	struct {
		const char *what;
		double wall_s, cpu_s;
	} piece[MAX_PIECES];
	double ready_s;         /* 0: not yet */
	double synced_s;        /* publish of the first complete ruleset; 0: not yet */
	uint64_t synced_generation;
} S;

static double
clock_s(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void
ng_startup_begin(void)
{
	S.main_s = S.last_s = clock_s(CLOCK_MONOTONIC);
	S.last_cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID);
}

void
ng_startup_mark(const char *what)
{
	double now = clock_s(CLOCK_MONOTONIC), cpu = clock_s(CLOCK_THREAD_CPUTIME_ID);

	if (S.n < MAX_PIECES) {
		S.piece[S.n].what = what;
		S.piece[S.n].wall_s = now - S.last_s;
		S.piece[S.n].cpu_s = cpu - S.last_cpu_s;
		S.n++;
	}
	S.last_s = now;
	S.last_cpu_s = cpu;
}

void
ng_startup_ready(void)
{
	S.ready_s = clock_s(CLOCK_MONOTONIC);
}

void
ng_startup_poll(void)
{
	struct ng_k8s_info k;
	uint64_t dirty, grace, pub, now_tsc;
	double now;

	if (S.synced_s > 0 || S.ready_s == 0 || ng_svc_syncing() || ng_svc_dirty())
		return;
	ng_k8s_info(&k);
	if (k.enabled && !k.synced)
		return;
	ng_svc_pending(&dirty, &grace, &pub);
	now_tsc = rte_get_tsc_cycles();
	now = clock_s(CLOCK_MONOTONIC);
	/* The publish happened before this turn: back-date by the TSC. */
	S.synced_s = pub != 0 && pub <= now_tsc ?
			now - (double)(now_tsc - pub) / (double)rte_get_tsc_hz() : now;
	if (S.synced_s < S.ready_s)
		S.synced_s = S.ready_s; /* published during the start-up (a config file) */
	S.synced_generation = ng_svc_generation();
	NG_LOG(NOTICE, MAIN, "first complete ruleset published %.3f s after start "
		"(generation %" PRIu64 "%s)", S.synced_s - S.main_s, S.synced_generation,
		k.enabled ? ", Kubernetes lists applied" : "");
}

static int
cmd_show_startup(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);

	if (ng_cli_no_args(s, "show startup", argc, argv) < 0)
		return -1;
	if (json) {
		cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "pieces");

		cJSON_AddStringToObject(o, "clock", "monotonic");
		cJSON_AddNumberToObject(o, "main_s", S.main_s);
		for (unsigned int i = 0; i < S.n; i++) {
			cJSON *p = cJSON_CreateObject();

			cJSON_AddStringToObject(p, "name", S.piece[i].what);
			cJSON_AddNumberToObject(p, "wall_ms", S.piece[i].wall_s * 1e3);
			cJSON_AddNumberToObject(p, "cpu_ms", S.piece[i].cpu_s * 1e3);
			cJSON_AddItemToArray(a, p);
		}
		cJSON_AddNumberToObject(o, "ready_s", S.ready_s);
		if (S.synced_s > 0)
			cJSON_AddNumberToObject(o, "synced_s", S.synced_s);
		else
			cJSON_AddNullToObject(o, "synced_s");
		return ng_cli_print_json(s, o);
	}
	ng_cli_printf(s, "start-up, from main() (the dynamic loader's part before it is not "
			"seen here):\n");
	for (unsigned int i = 0; i < S.n; i++)
		ng_cli_printf(s, "  %-16s %8.1f ms (control thread CPU %.1f ms)\n", S.piece[i].what,
				S.piece[i].wall_s * 1e3, S.piece[i].cpu_s * 1e3);
	ng_cli_printf(s, "  ready after      %8.1f ms\n", (S.ready_s - S.main_s) * 1e3);
	if (S.synced_s > 0)
		ng_cli_printf(s, "first complete ruleset published after %.3f s (generation %"
				PRIu64 ")\n", S.synced_s - S.main_s, S.synced_generation);
	else
		ng_cli_printf(s, "first complete ruleset: not yet published (syncing)\n");
	return 0;
}

static const struct ng_cli_cmd cmds[] = {
	{"show startup", "[json]", "how long each piece of the start-up took, and when the "
		"first complete ruleset was published", cmd_show_startup, NULL},
};

int
ng_startup_cli_register(void)
{
	return ng_cli_register(cmds, RTE_DIM(cmds));
}
