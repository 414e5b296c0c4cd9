/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the CLI command layer (ng_cli_exec_line) with its real command
 * handlers on a real control API: the tests' gateway (tests/lib/ng_test_gw.h)
 * on two net_null ports, set up as app/nodegw/main.c does (ports, data-path
 * context, routes and neighbours through the route control API, services)
 * but not launched, so that the worker commands (show workers, show conn, ...)
 * read idle workers. Registered: the worker, service, Kubernetes, HTTP,
 * health and route commands, as main.c registers them (its own, such as
 * reload, are not in a library).
 *
 * The input is up to 64 lines, each run as if typed in a session (output to
 * /dev/null). After each input the gateway goes back to its start through
 * the control APIs: every service deleted and committed, static routes and
 * neighbours removed.
 *
 * Properties: no crash, leak or sanitizer report; every line returns 0 or -1;
 * after the reset the ruleset is empty and the routes are those of the start.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz_common.h"
#include "health.h"
#include "http.h"
#include "k8s.h"
#include "ng_test_gw.h"
#include "port.h"
#include "route.h"
#include "svc.h"
#include "svc_dp.h"
#include "worker.h"

#define MAX_LINES 64
#define MAX_LINE 1024

static struct ng_test_gw gw;
static unsigned int start_routes; /* connected and local routes of the ports */
static char err[NG_ERRBUF];

/*
 * Take the gateway down at exit, before LeakSanitizer's check (atexit runs
 * handlers last-registered first). The FIB's control-side books are on the
 * heap but their pointers live in DPDK memory, which LSan does not scan: left
 * up, they are reported as leaks although nothing lost them.
 */
static void
gw_down_at_exit(void)
{
	ng_test_gw_down(&gw);
}

static int
count_cb(const struct ng_route_info *r, void *arg)
{
	(void)r;
	(void)arg;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct ng_test_gw_opts o = {
		.name = "fuzz_cli", .n_ports = 2, .addrs = {"198.18.0.1/24", "198.18.1.1/24"},
		.n_workers = 1, .mbufs = 2048, .ct_entries = 1024, .services = true,
	};

	(void)argc;
	(void)argv;
	if (ng_test_gw_up(&gw, &o) != 0) {
		fprintf(stderr, "fuzz_cli: the test gateway did not come up\n");
		exit(1);
	}
	fz_eal_ready();
	atexit(gw_down_at_exit);
	if (ng_worker_cli_register(gw.dp) < 0 || ng_svc_cli_register() < 0 ||
			ng_k8s_cli_register() < 0 || ng_http_cli_register() < 0 ||
			ng_health_cli_register() < 0 || ng_route_cli_register(&gw.rt) < 0) {
		fprintf(stderr, "fuzz_cli: CLI commands not registered\n");
		exit(1);
	}
	start_routes = ng_fib_walk(gw.rt.fib, count_cb, NULL);
	if (freopen("/dev/null", "w", stdout) == NULL) {
		perror("fuzz_cli: /dev/null");
		exit(1);
	}
	return 0;
}

/* What an input added, to remove it again. */
static struct {
	struct ng_prefix routes[MAX_LINES];
	unsigned int n_routes;
	struct ng_neigh_info neigh[MAX_LINES];
	unsigned int n_neigh;
	char svcs[MAX_LINES][NG_SVC_NAME_MAX];
	unsigned int n_svcs;
} added;

static int
route_cb(const struct ng_route_info *r, void *arg)
{
	(void)arg;
	if (r->origin == NG_RT_STATIC && added.n_routes < MAX_LINES)
		added.routes[added.n_routes++] = r->prefix;
	return 0;
}

static int
neigh_cb(const struct ng_neigh_info *n, void *arg)
{
	(void)arg;
	if (added.n_neigh < MAX_LINES)
		added.neigh[added.n_neigh++] = *n;
	return 0;
}

static int
svc_cb(const struct ng_svc_view *v, void *arg)
{
	(void)arg;
	FZ_ASSERT(added.n_svcs < MAX_LINES, "at most one service per line");
	snprintf(added.svcs[added.n_svcs++], NG_SVC_NAME_MAX, "%s", v->spec->name);
	return 0;
}

/* The name of the port with DPDK id port_id ("p<index>" in the test gateway). */
static const char *
port_name(uint16_t port_id)
{
	for (unsigned int i = 0; i < gw.n_ports; i++)
		if (gw.port_id[i] == port_id)
			return gw.conf.ports[i].name;
	FZ_ASSERT(0, "a neighbour on port %u, which the gateway does not have", port_id);
}

/* Back to the gateway as it started, through the control APIs. */
static void
reset(void)
{
	memset(&added, 0, sizeof(added));
	ng_svc_walk(svc_cb, NULL);
	for (unsigned int i = 0; i < added.n_svcs; i++)
		FZ_ASSERT(ng_svc_del(added.svcs[i], err, sizeof(err)) == 0, "del %s: %s",
			added.svcs[i], err);
	FZ_ASSERT(ng_svc_commit(err, sizeof(err)) == 0, "commit: %s", err);
	FZ_ASSERT(gw.dp->rs->n_fe == 0 && gw.dp->rs->n_svcs == 0, "empty ruleset after the reset");
	ng_fib_walk(gw.rt.fib, route_cb, NULL);
	for (unsigned int i = 0; i < added.n_routes; i++)
		FZ_ASSERT(ng_route_del(&gw.rt, &added.routes[i], err, sizeof(err)) == 0,
			"route del: %s", err);
	FZ_ASSERT(ng_fib_walk(gw.rt.fib, count_cb, NULL) == start_routes,
		"the routes of the start after the reset");
	ng_neigh_walk(gw.rt.neigh, neigh_cb, NULL);
	for (unsigned int i = 0; i < added.n_neigh; i++)
		FZ_ASSERT(ng_route_neigh_del(&gw.rt, &added.neigh[i].addr,
			port_name(added.neigh[i].port), err, sizeof(err)) == 0,
			"neighbour del: %s", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[MAX_LINE + 1];
	size_t off = 0;

	for (unsigned int k = 0; k < MAX_LINES && off < size; k++) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = (nl != NULL ? (size_t)(nl - data) : size) - off;
		int rc;

		memcpy(line, data + off, len < MAX_LINE ? len : MAX_LINE);
		line[len < MAX_LINE ? len : MAX_LINE] = '\0';
		off += len + 1;
		rc = ng_cli_exec_line(NULL, line);
		FZ_ASSERT(rc == 0 || rc == -1, "line %u returned %d", k, rc);
		/* Commits are the control loop's; a line may have left changes. */
		FZ_ASSERT(ng_svc_commit(err, sizeof(err)) == 0, "commit: %s", err);
	}
	fflush(stdout);
	reset();
	return 0;
}
