/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the CLI command layer (ng_cli_exec_line) with its real command
 * handlers on a real control API: a gateway on two net_null ports (ports,
 * data-path context, FIB with their connected and local routes, neighbour
 * table, services), set up as app/nodegw/main.c does but not launched, so
 * that the worker commands (show workers, show conn, ...) read idle workers.
 * Registered: the worker, service, Kubernetes and route commands (the ones of
 * app/nodegw, such as reload, are not in a library).
 *
 * The input is up to 64 lines, each run as if typed in a session (output to
 * /dev/null). After each input the gateway goes back to its start: every
 * service deleted and committed, static routes and neighbours removed.
 *
 * Properties: no crash, leak or sanitizer report; every line returns 0 or -1;
 * after the reset the ruleset is empty.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_mempool.h>

#include "cli.h"
#include "conf.h"
#include "fuzz_common.h"
#include "k8s.h"
#include "port.h"
#include "route.h"
#include "svc.h"
#include "svc_dp.h"
#include "worker.h"

#define MAX_LINES 64
#define MAX_LINE 1024

static const char conf_text[] =
	"workers = { idle_sleep_us = 100; };\n"
	"mempool = { mbufs = 2048; cache = 32; };\n"
	"conntrack = { max_entries = 1024; };\n"
	"arp = { max_entries = 64; };\n"
	"ports = (\n"
	"  { name = \"client\"; devargs = \"net_null0\"; addresses = [\"198.18.0.1/24\"];\n"
	"    rx_desc = 64; tx_desc = 64; },\n"
	"  { name = \"pods\"; devargs = \"net_null1\"; addresses = [\"198.18.1.1/24\"];\n"
	"    rx_desc = 64; tx_desc = 64; }\n"
	");\n";

static struct ng_dp *dp;
static struct ng_fib *fib;
static struct ng_neigh_table *neigh;
static struct ng_ip node_addrs[2];
static char err[NG_ERRBUF];

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "fuzz_cli: %s: %s\n", what, err[0] ? err : rte_strerror(rte_errno));
	exit(1);
}

static int
drop_tx(struct rte_mbuf *m, uint16_t port, void *arg)
{
	(void)port;
	(void)arg;
	rte_pktmbuf_free(m);
	return 0;
}

static struct ng_conf *
load_conf(void)
{
	char path[] = "/tmp/ng-fuzz-cli.XXXXXX";
	int fd = mkstemp(path);
	struct ng_conf *c;

	if (fd < 0 || write(fd, conf_text, sizeof(conf_text) - 1) != sizeof(conf_text) - 1)
		die("config file");
	close(fd);
	c = ng_conf_load(path, err, sizeof(err));
	unlink(path);
	if (c == NULL)
		die("config");
	return c;
}

/* Connected and local routes of the ports; the neighbour table; services. */
static void
gateway_routes(void)
{
	struct ng_neigh_params np = {.max_entries = 64, .reachable_ms = 300000, .retry_ms = 1000,
		.retries = 3, .pending_max = 4, .pool = dp->pool, .tx = drop_tx};

	fib = ng_fib_create(1024, NULL);
	if (fib == NULL)
		die("FIB");
	for (unsigned int i = 0; i < ng_port_count(); i++) {
		const struct ng_port *p = ng_port_get(i);

		for (unsigned int j = 0; j < p->n_addrs; j++) {
			struct ng_prefix host = {.addr = p->addrs[j].addr, .len = 32};

			if (ng_fib_add(fib, &p->addrs[j], NG_RT_CONNECTED, NG_NH_CONNECTED,
					p->port_id, NULL, &p->addrs[j].addr, false) < 0 ||
					ng_fib_add(fib, &host, NG_RT_LOCAL, NG_NH_LOCAL, p->port_id,
						NULL, &p->addrs[j].addr, false) < 0)
				die("port routes");
			node_addrs[i] = p->addrs[j].addr;
		}
	}
	np.fib = fib;
	neigh = ng_neigh_create(&np);
	if (neigh == NULL)
		die("neighbour table");
	dp->fib = fib;
	dp->neigh = neigh;
	if (fz_svc_init(&dp->rs, fib, node_addrs, 2) != 0)
		die("services");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned int lcore = 1;
	struct ng_conf *c;

	(void)argc;
	(void)argv;
	fz_eal_init("cli", 2);
	c = load_conf();
	dp = ng_dp_create(c, &lcore, 1);
	if (dp == NULL)
		die("data-path context");
	dp->pool = ng_port_pool_create(c, 1);
	if (dp->pool == NULL)
		die("mbuf pool");
	if (ng_ports_init(c, 1, dp->pool, err, sizeof(err)) < 0)
		die("ports");
	gateway_routes();
	if (ng_worker_cli_register(dp) < 0 || ng_svc_cli_register() < 0 ||
			ng_k8s_cli_register() < 0 || ng_route_cli_register(fib, neigh) < 0)
		die("CLI commands");
	ng_conf_free(c);
	if (freopen("/dev/null", "w", stdout) == NULL)
		die("stdout");
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

/* Back to the gateway as it started. */
static void
reset(void)
{
	memset(&added, 0, sizeof(added));
	ng_svc_walk(svc_cb, NULL);
	for (unsigned int i = 0; i < added.n_svcs; i++)
		FZ_ASSERT(ng_svc_del(added.svcs[i], err, sizeof(err)) == 0, "del %s: %s",
			added.svcs[i], err);
	FZ_ASSERT(ng_svc_commit(err, sizeof(err)) == 0, "commit: %s", err);
	FZ_ASSERT(dp->rs->n_fe == 0 && dp->rs->n_svcs == 0, "empty ruleset after the reset");
	ng_fib_walk(fib, route_cb, NULL);
	for (unsigned int i = 0; i < added.n_routes; i++)
		FZ_ASSERT(ng_fib_del(fib, &added.routes[i]) == 0, "route del");
	ng_neigh_walk(neigh, neigh_cb, NULL);
	for (unsigned int i = 0; i < added.n_neigh; i++)
		ng_neigh_del(neigh, added.neigh[i].port, &added.neigh[i].addr);
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
