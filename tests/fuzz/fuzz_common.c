/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared set-up of the fuzz targets; see fuzz_common.h. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "ng_log.h"
#include "fuzz_common.h"

void
fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: property broken: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static char runtime_dir[512];

/* EAL makes a runtime directory per --file-prefix even with --no-shconf. */
static void
remove_runtime_dir(void)
{
	DIR *d = opendir(runtime_dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(runtime_dir);
}

void
fz_eal_init(const char *name, unsigned int n_lcores)
{
	char prefix[64], lcores[16];
	char *argv[] = {
		(char *)(uintptr_t)name, "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--no-telemetry", "--file-prefix", prefix, "-l", lcores,
		"--log-level", "*:error", NULL,
	};

	snprintf(prefix, sizeof(prefix), "ng-fuzz-%s-%d", name, (int)getpid());
	snprintf(lcores, sizeof(lcores), n_lcores > 1 ? "0-%u" : "0", n_lcores - 1);
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init: %s\n", name, rte_strerror(rte_errno));
		exit(1);
	}
	fz_eal_ready();
}

void
fz_eal_ready(void)
{
	FILE *null;

	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	atexit(remove_runtime_dir);
	/* Refusals are logged at ERR; a fuzzer makes millions of them. */
	ng_log_init(RTE_LOG_EMERG);
	null = fopen("/dev/null", "w");
	if (null != NULL)
		rte_openlog_stream(null);
}

int
fz_svc_init(struct ng_ruleset **rs, struct ng_fib *fib, const struct ng_ip *node_addrs,
	unsigned int n_node_addrs)
{
	static const struct ng_ct_timeouts tmo = {
		.tcp_syn = 30, .tcp_established = 900, .tcp_fin = 120,
		.tcp_time_wait = 120, .tcp_close = 10, .udp = 300,
	};
	struct ng_svc_params p = {
		.qsbr = NULL,
		.publish = rs,
		.fib = fib,
		.n_workers = 1,
		.timeouts = tmo,
		.lport_min = FZ_LPORT_MIN,
		.lport_max = FZ_LPORT_MAX,
		.node_addrs = node_addrs,
		.n_node_addrs = n_node_addrs,
	};

	return ng_svc_init(&p);
}
