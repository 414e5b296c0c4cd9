/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nodegw: EAL start-up, the module init/term table, the control loop and
 * shutdown. Everything else lives in lib/.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "cli.h"
#include "conf.h"
#include "health.h"
#include "http.h"
#include "metrics.h"
#include "ng_build.h"
#include "ng_cli_util.h"
#include "ng_exit.h"
#include "running_config.h"
#include "startup.h"
#include "ng_log.h"
#include "port.h"
#include "route.h"
#include "bgp.h"
#include "k8s.h"
#include "svc.h"
#include "twin.h"
#include "worker.h"

struct app {
	const char *conf_path;
	bool check;
	bool print_rbac;
	int log_level; /* -1: from the config */
	struct ng_conf *conf;
	unsigned int lcores[NG_MAX_WORKERS];
	unsigned int n_workers;
	struct rte_mempool *pool;
	struct ng_dp *dp;
	struct ng_route_ctx rt;
	struct ng_ip node_addrs[NG_MAX_PORTS * NG_MAX_PORT_ADDRS];
	unsigned int n_node_addrs;
	char err[NG_ERRBUF];
};

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t stop_signals; /* a second one stops at once */
static volatile sig_atomic_t reload_signal;

static void
on_hup(int sig)
{
	(void)sig;
	reload_signal = 1;
}

static void
on_signal(int sig)
{
	stop_signal = sig;
	stop_signals++;
}

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- -c FILE [--check] [--log-level LEVEL]\n"
		"       %s --check -c FILE\n"
		"       %s --print-rbac\n"
		"\n"
		"  -c, --config FILE   configuration file (libconfig syntax)\n"
		"      --check         validate the configuration and exit: 0 when valid,\n"
		"                      1 with FILE:LINE: message when not\n"
		"  -l, --log-level L   error|warning|notice|info|debug (overrides the file)\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"      --print-rbac    print the Kubernetes RBAC rules the watcher needs (JSON)\n"
		"\n"
		"Ports are opened from the config's devargs; no --vdev is needed.\n"
		"See doc/configuration.md.\n",
		prog, prog, prog);
}

/* Parse the application's own options (after "--"). */
static int
parse_app_args(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'k'},
		{"log-level", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"print-rbac", no_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:l:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			a->conf_path = optarg;
			break;
		case 'k':
			a->check = true;
			break;
		case 'l':
			a->log_level = ng_log_level_parse(optarg);
			if (a->log_level < 0) {
				fprintf(stderr, "nodegw: --log-level: unknown level '%s' "
					"(error, warning, notice, info, debug)\n", optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		case 'V':
			printf("nodegw %s (git %s)\n", NG_VERSION, ng_build_rev);
			exit(0);
		case 'R':
			a->print_rbac = true;
			break;
		case ':':
			fprintf(stderr, "nodegw: option '%s' needs a value\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "nodegw: unknown option '%s'\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nodegw: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (a->print_rbac)
		return 0;
	if (a->conf_path == NULL) {
		fprintf(stderr, "nodegw: no configuration file; give -c FILE\n");
		return -1;
	}
	return 0;
}

/* ---- init/term table ---- */

static int
step_rcu_workers(struct app *a)
{
	const struct ng_conf *c = a->conf;
	unsigned int lc;

	if (c->workers.n_lcores > 0) {
		for (unsigned int i = 0; i < c->workers.n_lcores; i++) {
			lc = c->workers.lcores[i];
			if (lc == rte_get_main_lcore() || !rte_lcore_is_enabled(lc)) {
				snprintf(a->err, sizeof(a->err), "%s: workers.lcores: lcore %u is %s; "
					"give EAL --lcores/-l that enable it", c->file, lc,
					lc == rte_get_main_lcore() ? "the main (control) lcore" :
					"not enabled in EAL");
				return -EINVAL;
			}
			a->lcores[a->n_workers++] = lc;
		}
	} else {
		RTE_LCORE_FOREACH_WORKER(lc) {
			if (a->n_workers < NG_MAX_WORKERS)
				a->lcores[a->n_workers++] = lc;
		}
	}
	if (a->n_workers == 0) {
		snprintf(a->err, sizeof(a->err), "no worker lcore: give EAL at least two lcores "
			"(e.g. -l 0,1); lcore %u is the control core", rte_get_main_lcore());
		return -EINVAL;
	}
	a->dp = ng_dp_create(c, a->lcores, a->n_workers);
	if (a->dp == NULL) {
		snprintf(a->err, sizeof(a->err), "data-path context: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

static void
term_rcu_workers(struct app *a)
{
	ng_dp_free(a->dp);
	a->dp = NULL;
}

static int
step_pool(struct app *a)
{
	a->pool = ng_port_pool_create(a->conf, a->n_workers);
	if (a->pool == NULL) {
		snprintf(a->err, sizeof(a->err), "cannot create the mbuf pool of %u mbufs: %s "
			"(more memory: EAL -m, or hugepages)",
			ng_port_pool_size(a->conf, a->n_workers), rte_strerror(rte_errno));
		return -ENOMEM;
	}
	a->dp->pool = a->pool;
	ng_port_pool_watch(a->pool, a->lcores, a->n_workers, a->conf->workers.burst);
	return 0;
}

static void
term_pool(struct app *a)
{
	ng_port_pool_watch(NULL, NULL, 0, 0);
	rte_mempool_free(a->pool);
	a->pool = NULL;
}

static int
step_ports(struct app *a)
{
	int rc = ng_ports_init(a->conf, (uint16_t)a->n_workers, a->pool, a->err, sizeof(a->err));

	if (rc == 0)
		ng_dp_assign_queues(a->dp);
	return rc;
}

static void
term_ports(struct app *a)
{
	(void)a;
	ng_ports_fini();
}

static int
step_twins(struct app *a)
{
	return ng_twin_init(a->conf, a->pool, a->err, sizeof(a->err));
}

static void
term_twins(struct app *a)
{
	(void)a;
	ng_twin_fini();
}

static int
step_routes(struct app *a)
{
	struct ng_route_params p = {
		.conf = a->conf, .qsbr = a->dp->qsbr, .pool = a->pool,
		.tx = ng_dp_ctl_tx, .tx_arg = a->dp,
	};
	int rc = ng_route_init(&a->rt, &p, a->err, sizeof(a->err));

	if (rc < 0)
		return rc;
	rc = ng_route_apply_conf(&a->rt, a->conf, a->err, sizeof(a->err));
	if (rc < 0) {
		ng_route_fini(&a->rt); /* a failing step unwinds only the ones before it */
		return rc;
	}
	a->dp->fib = a->rt.fib;
	a->dp->neigh = a->rt.neigh;
	return 0;
}

static void
term_routes(struct app *a)
{
	a->dp->fib = NULL;
	a->dp->neigh = NULL;
	ng_route_fini(&a->rt);
}

/*
 * Publish the first slice of the services now (a small file: all of them),
 * and leave the rest to the control loop's commit slices, so a large file
 * never holds up the CLI, the watcher and the probes for long.
 */
static int
first_slice(const char *what, char *err, size_t errlen)
{
	int rc = ng_svc_commit_slice(err, errlen);

	if (rc > 0)
		NG_LOG(NOTICE, MAIN, "%s: the rest of the ruleset is built in slices between "
			"turns of the control loop (show ruleset says syncing until done)", what);
	return rc < 0 ? rc : 0;
}

static int
step_services(struct app *a)
{
	const struct ng_conf *c = a->conf;
	struct ng_svc_params p = {0};
	uint16_t port_ids[NG_MAX_PORTS];
	int rc;

	for (unsigned int i = 0; i < c->n_ports; i++) {
		for (unsigned int j = 0; j < c->ports[i].n_addrs; j++)
			a->node_addrs[a->n_node_addrs++] = c->ports[i].addrs[j].addr;
		port_ids[i] = ng_port_get(i)->port_id;
	}
	ng_svc_params_snat(&p, c, port_ids);
	p.qsbr = a->dp->qsbr;
	p.publish = &a->dp->rs;
	p.fib = a->rt.fib;
	p.n_workers = a->n_workers;
	p.timeouts = c->conntrack.timeouts;
	p.lport_min = c->nat.port_min;
	p.lport_max = c->nat.port_max;
	p.node_addrs = a->node_addrs;
	p.n_node_addrs = a->n_node_addrs;
	if (c->nodeport.set) {
		p.nodeport_addrs = c->nodeport.addrs;
		p.n_nodeport_addrs = c->nodeport.n_addrs;
	}
	p.vip_port = ng_port_get(0)->port_id;
	rc = ng_svc_init(&p);
	if (rc < 0) {
		snprintf(a->err, sizeof(a->err), "services: %s", strerror(-rc));
		return rc;
	}
	rc = ng_svc_apply_conf(c, a->err, sizeof(a->err));
	if (rc == 0)
		rc = first_slice("services", a->err, sizeof(a->err));
	return rc;
}

static void
term_services(struct app *a)
{
	(void)a;
	ng_svc_fini();
}

static int
step_launch(struct app *a)
{
	int rc = ng_dp_launch(a->dp);

	if (rc < 0)
		snprintf(a->err, sizeof(a->err), "cannot launch workers: %s", strerror(-rc));
	return rc;
}

static void
print_summary(const struct ng_dp *dp)
{
	struct ng_worker_stats s;
	struct ng_neigh_stats ns;

	ng_dp_stats_sum(dp, &s);
	printf("nodegw: counters at exit\n");
	for (unsigned int i = 0; i < ng_port_count(); i++) {
		const struct ng_port *p = ng_port_get(i);
		const struct ng_port_stats *ps = &s.port[i];
		uint64_t drops = 0;

		for (int r = 1; r < NG_DROP_MAX; r++)
			drops += ps->drop[r];
		printf("  port %-12s rx %10" PRIu64 "  tx %10" PRIu64 "  drop %10" PRIu64 "\n",
			p->name, ps->rx, ps->tx, drops);
		for (int r = 1; r < NG_DROP_MAX; r++)
			if (ps->drop[r] != 0)
				printf("    %-46s %10" PRIu64 "\n", ng_drop_name((enum ng_drop_reason)r),
					ps->drop[r]);
	}
	for (unsigned int w = 0; w < dp->n_workers; w++) {
		const struct ng_worker_stats *ws = &dp->workers[w]->stats;
		uint64_t rx = 0, tx = 0;

		for (unsigned int i = 0; i < ng_port_count(); i++) {
			rx += ws->port[i].rx;
			tx += ws->port[i].tx;
		}
		printf("  worker %u (lcore %u) rx %" PRIu64 " tx %" PRIu64 " loops %" PRIu64
			" redirect-out %" PRIu64 " redirect-in %" PRIu64 " conns %u\n",
			w, dp->workers[w]->lcore, rx, tx, ws->loops, ws->redirect_tx,
			ws->redirect_rx, dp->workers[w]->ct->n_used);
	}
	if (dp->neigh != NULL) {
		ng_neigh_get_stats(dp->neigh, &ns);
		printf("  arp requests %" PRIu64 " replies %" PRIu64 " resolved %" PRIu64
			" failed %" PRIu64 " queued-dropped %" PRIu64 "\n", ns.requests_sent,
			ns.replies_seen, ns.resolved, ns.failed, ns.pending_dropped);
	}
}

static void
term_launch(struct app *a)
{
	ng_dp_stop(a->dp);
	/* Packets still queued for the control core go back to the pool. */
	ng_dp_ctl_poll(a->dp);
	print_summary(a->dp);
}

static int step_cli(struct app *a);
static void term_cli(struct app *a);
static int step_k8s(struct app *a);
static void term_k8s(struct app *a);
static int step_probes(struct app *a);
static void term_probes(struct app *a);
static int step_bgp(struct app *a);
static void term_bgp(struct app *a);

static const struct init_step {
	const char *name;
	int (*init)(struct app *a);
	void (*term)(struct app *a);
} steps[] = {
	{"workers", step_rcu_workers, term_rcu_workers},
	{"mempool", step_pool, term_pool},
	{"bgp", step_bgp, term_bgp}, /* before any twin: BIRD drops stale routes first */
	{"ports", step_ports, term_ports},
	{"kernel twins", step_twins, term_twins},
	{"routes", step_routes, term_routes},
	{"services", step_services, term_services},
	{"launch", step_launch, term_launch},
	{"cli", step_cli, term_cli},
	{"probes", step_probes, term_probes},
	{"kubernetes", step_k8s, term_k8s},
};

static void
unwind(struct app *a, int from)
{
	for (int i = from; i >= 0; i--)
		if (steps[i].term != NULL)
			steps[i].term(a);
}

static bool
ports_differ(const struct ng_conf *o, const struct ng_conf *c)
{
	if (o->n_ports != c->n_ports || o->workers.n_lcores != c->workers.n_lcores)
		return true;
	for (unsigned int i = 0; i < c->n_ports; i++) {
		const struct ng_conf_port *x = &o->ports[i], *y = &c->ports[i];

		if (strcmp(x->name, y->name) != 0 || strcmp(x->devargs, y->devargs) != 0 ||
				x->n_addrs != y->n_addrs || x->rx_queues != y->rx_queues ||
				x->mtu != y->mtu ||
				memcmp(x->addrs, y->addrs, sizeof(x->addrs[0]) * x->n_addrs) != 0 ||
				x->n_fullnat != y->n_fullnat ||
				memcmp(x->fullnat, y->fullnat, sizeof(x->fullnat[0]) * x->n_fullnat) != 0)
			return true;
		if (x->kernel.enabled != y->kernel.enabled || (x->kernel.enabled &&
				(strcmp(x->kernel.name, y->kernel.name) != 0 ||
				x->kernel.backend != y->kernel.backend ||
				x->kernel.addresses != y->kernel.addresses ||
				x->kernel.rate_pps != y->kernel.rate_pps ||
				x->kernel.burst != y->kernel.burst ||
				x->kernel.queue_size != y->kernel.queue_size)))
			return true;
	}
	return false;
}

/* SIGHUP and "reload": the new config replaces services, routes and neighbours, or
 * nothing. The file is parsed in a child process (ng_conf_load_isolated), so no
 * input can end or grow this one. Returns 0, or -1 with a->err naming the problem. */
static int
reload(struct app *a)
{
	struct ng_conf *c = ng_conf_load_isolated(a->conf_path, a->err, sizeof(a->err));
	char err[NG_ERRBUF];
	struct ng_conf_bgp bgp_run;

	if (ng_conf_helper_pid() < 0)
		NG_LOG(WARNING, MAIN, "reload: the config helper has stopped; the check "
			"forked the gateway itself");
	if (c == NULL) {
		NG_LOG(ERR, MAIN, "reload refused, running state kept: %s", a->err);
		return -1;
	}
	if (ports_differ(a->conf, c))
		NG_LOG(WARNING, MAIN, "reload: port, address, FullNAT address, kernel twin or worker changes in %s need a "
			"restart; applying services, routes and neighbours only", c->file);
	/* Routes are checked before anything changes, applied after the services. */
	if (ng_route_check_conf(&a->rt, c, err, sizeof(err)) < 0) {
		NG_LOG(ERR, MAIN, "reload refused, running state kept: %s", err);
		snprintf(a->err, sizeof(a->err), "%s", err);
		ng_conf_free(c);
		return -1;
	}
	if (ng_svc_apply_conf(c, err, sizeof(err)) < 0) {
		NG_LOG(ERR, MAIN, "reload refused, running state kept: %s", err);
		snprintf(a->err, sizeof(a->err), "%s", err);
		ng_svc_apply_conf(a->conf, NULL, 0);
		ng_svc_commit(NULL, 0);
		ng_conf_free(c);
		return -1;
	}
	if (ng_route_apply_conf(&a->rt, c, err, sizeof(err)) < 0)
		/* Only running out of room gets here: what fitted stays applied. */
		NG_LOG(ERR, MAIN, "reload: %s", err);
	if (first_slice("reload", err, sizeof(err)) < 0) {
		NG_LOG(ERR, MAIN, "reload: commit failed: %s", err);
		snprintf(a->err, sizeof(a->err), "%s", err);
		ng_conf_free(c);
		return -1;
	}
	if (a->log_level < 0)
		ng_log_set_level(c->log_level);
	/* Settings a reload does not apply stay as they run, so that
	 * show running-config tells what is in effect. */
	memcpy(c->ports, a->conf->ports, sizeof(c->ports));
	c->n_ports = a->conf->n_ports;
	c->workers = a->conf->workers;
	c->forwarding = a->conf->forwarding;
	c->mempool = a->conf->mempool;
	c->arp = a->conf->arp;
	c->icmp = a->conf->icmp;
	c->conntrack = a->conf->conntrack;
	c->nat = a->conf->nat;
	c->cli = a->conf->cli;
	c->k8s.line = a->conf->k8s.line;
	if (memcmp(&c->k8s, &a->conf->k8s, sizeof(c->k8s)) != 0)
		NG_LOG(WARNING, MAIN, "reload: kubernetes settings in %s apply at restart; "
			"the watcher runs on with its current ones", c->file);
	c->k8s = a->conf->k8s;
	if (memcmp(&c->probes, &a->conf->probes, sizeof(c->probes) - sizeof(c->probes.line)) != 0 ||
			memcmp(&c->nodeport, &a->conf->nodeport, sizeof(c->nodeport) -
			sizeof(c->nodeport.line)) != 0)
		NG_LOG(WARNING, MAIN, "reload: probes and node_port_addresses in %s apply at "
			"restart", c->file);
	c->probes = a->conf->probes;
	c->nodeport = a->conf->nodeport;
	bgp_run = a->conf->bgp;
	if (ng_bgp_reconf(&c->bgp, &bgp_run))
		NG_LOG(WARNING, MAIN, "reload: bgp settings in %s other than announce, "
			"service_cidrs and stop_wait_ms apply at restart", c->file);
	c->bgp = bgp_run;
	ng_conf_free(a->conf);
	a->conf = c;
	NG_LOG(NOTICE, MAIN, "reloaded %s: %u services, %u routes, %u neighbours", c->file,
		c->n_services, c->n_routes, c->n_neighbours);
	return 0;
}

/* ---- commands of the application itself ---- */

static struct app *the_app;

static int
cmd_reload(struct ng_cli_sess *s, int argc, char **argv)
{
	if (ng_cli_no_args(s, "reload", argc, argv) < 0)
		return -1;
	if (reload(the_app) < 0) {
		ng_cli_error(s, "reload refused, running state kept: %s", the_app->err);
		return -1;
	}
	ng_cli_printf(s, "reloaded %s\n", the_app->conf_path);
	return 0;
}

static int
cmd_log_level(struct ng_cli_sess *s, int argc, char **argv)
{
	int lvl;

	if (argc == 0) {
		lvl = rte_log_get_level(ng_logtype[NG_LOGT_MAIN]);
		ng_cli_printf(s, "log level %s\n", ng_log_level_name((uint32_t)lvl));
		return 0;
	}
	if (argc > 1) {
		ng_cli_error(s, "log level: unexpected argument \"%s\"", argv[1]);
		return -1;
	}
	lvl = ng_log_level_parse(argv[0]);
	if (lvl < 0) {
		ng_cli_error(s, "log level: \"%s\" is not one of error, warning, notice, info, "
			"debug", argv[0]);
		return -1;
	}
	ng_log_set_level((uint32_t)lvl);
	return 0;
}

static const char *const *
level_complete(struct ng_cli_sess *s, int argc, char **argv)
{
	static const char *const levels[] = {"error", "warning", "notice", "info", "debug", NULL};

	(void)s;
	(void)argv;
	return argc == 0 ? levels : NULL;
}

static int
cmd_running_config(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (ng_cli_no_args(s, "show running-config", argc, argv) < 0)
		return -1;
	f = open_memstream(&text, &len);
	if (f == NULL) {
		ng_cli_error(s, "show running-config: out of memory");
		return -1;
	}
	ng_running_config(f, the_app->conf, the_app->rt.fib, the_app->rt.neigh);
	fclose(f);
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "config", text);
		free(text);
		return ng_cli_print_json(s, o);
	}
	ng_cli_printf(s, "%s", text);
	free(text);
	return 0;
}

static int
cmd_memory(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	struct rte_malloc_socket_stats ms = {0};
	struct ng_port_pool_info pi;
	struct ng_ruleset_info ri;
	struct mallinfo2 mi = mallinfo2();
	unsigned long pages = 0, resident = 0;
	uint64_t ct = 0, rss, reass = 0;
	uint32_t reass_used = 0, reass_held = 0;
	FILE *f;

	if (ng_cli_no_args(s, "show memory", argc, argv) < 0)
		return -1;
	rte_malloc_get_socket_stats((int)rte_socket_id(), &ms);
	f = fopen("/proc/self/statm", "r");
	if (f != NULL) {
		if (fscanf(f, "%lu %lu", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	rss = (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
	for (unsigned int w = 0; w < the_app->dp->n_workers; w++)
		ct += ng_ct_mem_bytes(the_app->dp->workers[w]->ct->cap);
	ng_dp_reass_info(the_app->dp, &reass, &reass_used, &reass_held);
	ng_svc_ruleset_info(&ri);
	ng_port_pool_info(&pi);
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "heap_total", (double)ms.heap_totalsz_bytes);
		cJSON_AddNumberToObject(o, "heap_allocated", (double)ms.heap_allocsz_bytes);
		cJSON_AddNumberToObject(o, "heap_allocations", ms.alloc_count);
		cJSON_AddNumberToObject(o, "rss", (double)rss);
		cJSON_AddNumberToObject(o, "malloc_in_use", (double)mi.uordblks);
		cJSON_AddNumberToObject(o, "ruleset_bytes", (double)ri.bytes);
		cJSON_AddNumberToObject(o, "conntrack_bytes", (double)ct);
		cJSON_AddNumberToObject(o, "bytes_per_connection",
				(double)ng_ct_mem_bytes(1024) / 1024);
		cJSON_AddNumberToObject(o, "reassembly_bytes", (double)reass);
		cJSON_AddNumberToObject(o, "reassembly_datagrams", reass_used);
		cJSON_AddNumberToObject(o, "reassembly_fragments_held", reass_held);
		cJSON_AddNumberToObject(o, "mbufs", pi.size);
		cJSON_AddNumberToObject(o, "mbufs_in_use", pi.in_use);
		cJSON_AddNumberToObject(o, "mbufs_max_in_use", pi.max_in_use);
		cJSON_AddBoolToObject(o, "mbufs_exhausted", pi.exhausted);
		cJSON_AddNumberToObject(o, "mbufs_exhausted_events", (double)pi.exhausted_events);
		cJSON_AddNumberToObject(o, "mbufs_exhausted_ms", (double)pi.exhausted_ns / 1e6);
		return ng_cli_print_json(s, o);
	}
	ng_cli_printf(s, "DPDK heap: %" PRIu64 " of %" PRIu64 " bytes allocated (%u allocations)\n"
			"RSS: %" PRIu64 " bytes\nmalloc: %" PRIu64 " bytes in use\n"
			"ruleset and service objects: %" PRIu64 " bytes\n"
			"connection tables: %" PRIu64 " bytes (%" PRIu64 " per connection)\n",
			(uint64_t)ms.heap_allocsz_bytes, (uint64_t)ms.heap_totalsz_bytes,
			ms.alloc_count, rss, (uint64_t)mi.uordblks, ri.bytes, ct,
			ng_ct_mem_bytes(1024) / 1024);
	ng_cli_printf(s, "reassembly tables: %" PRIu64 " bytes (%u datagrams waiting, %u fragments "
			"held)\n", reass, reass_used, reass_held);
	ng_cli_printf(s, "mbufs: %u of %u in use (at most %u); exhausted %" PRIu64 " times, "
			"%.1f ms in all%s\n", pi.in_use, pi.size, pi.max_in_use,
			pi.exhausted_events, (double)pi.exhausted_ns / 1e6,
			pi.exhausted ? "; exhausted now" : "");
	return 0;
}

static const struct ng_cli_cmd app_cmds[] = {
	{"show memory", "[json]", "DPDK heap, RSS, ruleset and connection table sizes",
		cmd_memory, NULL},
	{"reload", NULL, "re-read the config file (as SIGHUP): services, routes, neighbours",
		cmd_reload, NULL},
	{"log level", "[error|warning|notice|info|debug]", "show or set the log level",
		cmd_log_level, level_complete},
	{"show running-config", "[json]", "the current state as a config file nodegw accepts",
		cmd_running_config, NULL},
};

static int
step_cli(struct app *a)
{
	const struct ng_conf *c = a->conf;
	int rc;

	the_app = a;
	if ((rc = ng_cli_register(app_cmds, RTE_DIM(app_cmds))) < 0 ||
			(rc = ng_worker_cli_register(a->dp)) < 0 ||
			(rc = ng_svc_cli_register()) < 0 ||
			(rc = ng_k8s_cli_register()) < 0 ||
			(rc = ng_http_cli_register()) < 0 ||
			(rc = ng_health_cli_register()) < 0 ||
			(rc = ng_bgp_cli_register()) < 0 ||
			(rc = ng_route_cli_register(&a->rt)) < 0 ||
			(rc = ng_startup_cli_register()) < 0) {
		snprintf(a->err, sizeof(a->err), "CLI commands: %s", strerror(-rc));
		return rc;
	}
	if (c->cli.port == 0) {
		NG_LOG(NOTICE, MAIN, "CLI off (cli.port = 0)");
		return 0;
	}
	ng_cli_set_idle_timeout(c->cli.idle_timeout_s); /* in range: the loader checked it */
	rc = ng_cli_init(c->cli.address, c->cli.port, a->err, sizeof(a->err));
	if (rc == 0)
		NG_LOG(NOTICE, MAIN, "CLI on %s port %u", c->cli.address, ng_cli_port());
	return rc;
}

static void
term_cli(struct app *a)
{
	(void)a;
	ng_cli_fini();
}

/* /healthz, /livez, /metrics; healthCheckNodePort servers come with the watcher. */
static int
step_probes(struct app *a)
{
	int rc = ng_health_init(&a->conf->probes, a->err, sizeof(a->err));

	if (rc == 0)
		rc = ng_metrics_init(&a->conf->probes, a->dp, a->err, sizeof(a->err));
	return rc;
}

static void
term_probes(struct app *a)
{
	(void)a;
	ng_metrics_fini();
	ng_health_fini();
	ng_http_fini();
}

static int
step_k8s(struct app *a)
{
	return ng_k8s_init(&a->conf->k8s, a->err, sizeof(a->err));
}

static void
term_k8s(struct app *a)
{
	(void)a;
	ng_k8s_fini();
}

static int
step_bgp(struct app *a)
{
	return ng_bgp_init(a->conf, a->err, sizeof(a->err));
}

static void
term_bgp(struct app *a)
{
	(void)a;
	ng_bgp_fini();
}

/* A stop signal withdraws the announcements first (forwarding goes on), then
 * waits bgp.stop_wait_ms; a second signal stops at once. */
static bool
stopping(void)
{
	static bool begun;

	if (stop_signal == 0)
		return false;
	if (!begun) {
		begun = true;
		ng_bgp_stop_begin();
	}
	return ng_bgp_stop_done() || stop_signals > 1;
}

/* The pool and the links; a link that came up has its neighbours resolved again. */
static void
port_poll(struct app *a)
{
	uint32_t up = ng_port_poll();

	for (unsigned int i = 0; up != 0; i++, up >>= 1)
		if (up & 1)
			ng_neigh_link_up(a->rt.neigh, ng_port_get(i)->port_id);
}

static void
control_loop(struct app *a)
{
	while (!stopping()) {
		unsigned int n = ng_dp_ctl_poll(a->dp), wait_ms, n_wake;
		struct pollfd wake[NG_CLI_WAKE_FDS];

		ng_dp_watch(a->dp, rte_get_tsc_cycles());
		if (reload_signal) {
			reload_signal = 0;
			reload(a);
		}
		port_poll(a);
		ng_k8s_poll();
		/* During a sync the watcher's slice and the commit's slice each take
		 * up to 10 ms: the CLI is served between them too. */
		if (ng_svc_syncing())
			ng_cli_poll(0);
		ng_svc_poll();
		ng_startup_poll();
		ng_http_poll(); /* epoll_wait(0) on every HTTP server at once */
		ng_bgp_poll();
		/* The CLI's poll() is the loop's only wait: at most 1 ms when idle, none
		 * while services wait for a commit or a young grace period or the
		 * watcher has work left; the watcher's sockets end it too. */
		wait_ms = n == 0 && !ng_k8s_busy() ? ng_svc_poll_wait_ms() : 0;
		n_wake = wait_ms > 0 ? ng_k8s_wake_fds(wake, NG_CLI_WAKE_FDS) : 0;
		if (ng_cli_poll_wake((int)wait_ms, wake, n_wake) == -EBADF && wait_ms > 0)
			rte_delay_us_sleep(1000 * wait_ms);
	}
	NG_LOG(NOTICE, MAIN, "signal %d: shutting down", (int)stop_signal);
}

static int
split_args(int argc, char **argv, int *eal_argc, int *app_first)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			*eal_argc = i;
			*app_first = i + 1;
			return 1;
		}
	/* No "--": a bare "nodegw --check -c F" or "nodegw --help" is all ours. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--check") == 0 || strcmp(argv[i], "--help") == 0 ||
				strcmp(argv[i], "--version") == 0 ||
				strcmp(argv[i], "--print-rbac") == 0) {
			*eal_argc = 1;
			*app_first = 1;
			return 0;
		}
	*eal_argc = argc;
	*app_first = argc;
	return 0;
}

int
main(int argc, char **argv)
{
	struct app a = {.log_level = -1};
	int eal_argc, app_first, i, rc;
	char **app_argv;

	ng_startup_begin();
	split_args(argc, argv, &eal_argc, &app_first);
	app_argv = calloc((size_t)(argc - app_first + 2), sizeof(char *));
	if (app_argv == NULL)
		return 1;
	app_argv[0] = argv[0];
	for (i = app_first; i < argc; i++)
		app_argv[i - app_first + 1] = argv[i];
	rc = parse_app_args(&a, argc - app_first + 1, app_argv);
	free(app_argv);
	if (rc < 0) {
		usage(stderr, argv[0]);
		return 2;
	}
	if (a.print_rbac)
		return ng_k8s_rbac_print(stdout) == 0 ? 0 : 1;

	/* The process that forks the config parsers for reloads: now, while this
	 * one is small and has no threads. */
	if (!a.check && (rc = ng_conf_helper_start()) < 0)
		fprintf(stderr, "nodegw: no config helper (%s): reloads fork the gateway\n",
			strerror(-rc));
	/* Validate before touching EAL, so --check needs no hugepages or root; in a
	 * child, as reload does, so a file that makes libconfig exit() is refused. */
	a.conf = ng_conf_load_isolated(a.conf_path, a.err, sizeof(a.err));
	if (a.conf == NULL) {
		fprintf(stderr, "%s\n", a.err);
		return 1;
	}
	if (a.check) {
		printf("%s: OK (%u ports, %u routes, %u neighbours)\n", a.conf_path,
			a.conf->n_ports, a.conf->n_routes, a.conf->n_neighbours);
		ng_conf_free(a.conf);
		return 0;
	}

	ng_startup_mark("config");
	if (rte_eal_init(eal_argc, argv) < 0) {
		fprintf(stderr, "nodegw: EAL init failed: %s\n", rte_strerror(rte_errno));
		ng_conf_free(a.conf);
		return 1;
	}
	ng_startup_mark("EAL");
	ng_log_init(a.log_level >= 0 ? (uint32_t)a.log_level : a.conf->log_level);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_hup);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < (int)RTE_DIM(steps); i++) {
		rc = steps[i].init(&a);
		if (rc < 0) {
			NG_LOG(ERR, MAIN, "start-up step '%s' failed: %s", steps[i].name,
				a.err[0] ? a.err : strerror(-rc));
			fprintf(stderr, "nodegw: %s\n", a.err[0] ? a.err : strerror(-rc));
			unwind(&a, i - 1);
			ng_conf_free(a.conf);
			rte_eal_cleanup();
			return 1;
		}
		ng_startup_mark(steps[i].name);
	}
	ng_startup_ready();
	NG_LOG(NOTICE, MAIN, "ready: %u ports, %u workers, config %s", ng_port_count(),
		a.n_workers, a.conf_path);

	control_loop(&a);

	/* Workers stop in the unwind; after it rte_eal_cleanup() releases the DPDK
	 * heap whole, so its large tables are not zeroed one by one (ng_exit.h). */
	ng_exit_begin();
	unwind(&a, (int)RTE_DIM(steps) - 1);
	ng_conf_free(a.conf);
	ng_conf_helper_stop();
	rte_eal_cleanup();
	printf("nodegw: stopped\n");
	fflush(stdout);
	return 0;
}
