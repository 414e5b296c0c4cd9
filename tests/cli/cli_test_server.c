/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test server for tests/cli/test_cli_server.py: the CLI library with a few
 * dummy commands, listening on 127.0.0.1 on a free port. Prints "PORT n" on
 * stdout, then serves until stdin closes or SIGTERM/SIGINT, and exits 0 after
 * ng_cli_fini() (so ASan's leak check covers the sessions).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ng_limits.h"
#include "ng_log.h"

#include "cli.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *const svc_names[] = {"web", "db", "dns", NULL};

static const char *const *
complete_svc(struct ng_cli_sess *s, int argc, char **argv)
{
	(void)s;
	(void)argv;
	return argc == 0 ? svc_names : NULL;
}

static int
show_services(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);

	if (argc > 1) {
		ng_cli_error(s, "show services: too many arguments, from \"%s\"", argv[1]);
		return -1;
	}
	if (json) {
		ng_cli_printf(s, "{\"services\": [\"web\", \"db\", \"dns\"]}\n");
		return 0;
	}
	for (int i = 0; svc_names[i] != NULL; i++)
		if (argc == 0 || strcmp(argv[0], svc_names[i]) == 0)
			ng_cli_printf(s, "service %s 198.18.0.%d:80\n", svc_names[i], i + 1);
	ng_cli_printf(s, "end of services\n");
	return 0;
}

static int
show_service(struct ng_cli_sess *s, int argc, char **argv)
{
	if (argc != 1) {
		ng_cli_error(s, "show service: expected NAME");
		return -1;
	}
	ng_cli_printf(s, "one service %s\n", argv[0]);
	return 0;
}

static int
show_stats(struct ng_cli_sess *s, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ng_cli_printf(s, "stats: rx 0 tx 0\n");
	return 0;
}

static int
service_restart(struct ng_cli_sess *s, int argc, char **argv)
{
	ng_cli_printf(s, "restarting %s\n", argc > 0 ? argv[0] : "everything");
	return 0;
}

static int
echo(struct ng_cli_sess *s, int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		ng_cli_printf(s, "[%s]", argv[i]);
	ng_cli_printf(s, "\n");
	return 0;
}

static int
big(struct ng_cli_sess *s, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	/* 1000 lines of 100 bytes (99 + "\n"; the "\r" added makes 101) */
	for (int i = 0; i < 1000; i++)
		ng_cli_printf(s, "big %04d %.*s\n", i, 90, "..............................."
			"..........................................................."
			"..........");
	ng_cli_printf(s, "end of big\n");
	return 0;
}

static int
huge(struct ng_cli_sess *s, int argc, char **argv)
{
	static char chunk[64 * 1024];

	(void)argc;
	(void)argv;
	/* At once, 1 MiB more than a session may have unsent (NG_CLI_OUT_MAX) */
	memset(chunk, 'h', sizeof(chunk) - 1);
	for (size_t i = 0; i < (NG_CLI_OUT_MAX >> 16) + 16; i++)
		ng_cli_printf(s, "%s", chunk);
	return 0;
}

static int
fail(struct ng_cli_sess *s, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ng_cli_error(s, "fail: this command always fails");
	return -1;
}

static const struct ng_cli_cmd cmds[] = {
	{"show services", "[NAME] [json]", "List services", show_services, complete_svc},
	{"show service", "NAME", "Show one service", show_service, complete_svc},
	{"show stats", NULL, "Show counters", show_stats, NULL},
	{"service restart", "[NAME]", "Restart a service", service_restart, complete_svc},
	{"echo", "[WORD...]", "Print the words, one [bracketed] group each", echo, NULL},
	{"big", NULL, "Print 100 KB", big, NULL},
	{"huge", NULL, "Print 1 MiB more than NG_CLI_OUT_MAX (the session is closed)", huge,
		NULL},
	{"fail", NULL, "Fail", fail, NULL},
};

int
main(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	char err[256];
	double max_ms = 0;
	int rc;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ng_log_init(RTE_LOG_NOTICE);
	rc = ng_cli_register(cmds, sizeof(cmds) / sizeof(cmds[0]));
	if (rc < 0) {
		fprintf(stderr, "register: %s\n", strerror(-rc));
		return 1;
	}
	rc = ng_cli_init("127.0.0.1", 0, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("PORT %u\n", ng_cli_port());
	fflush(stdout);
	while (!stop) {
		struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN};

		struct timespec t0, t1;
		double ms;

		/* a short wait, so that the time of a call is mostly the work done in it */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = ng_cli_poll(1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (rc > 0 && ms > max_ms)
			max_ms = ms;
		if (rc < 0) {
			fprintf(stderr, "ng_cli_poll: %s\n", strerror(-rc));
			break;
		}
		if (poll(&in, 1, 0) > 0) {
			char buf[256];

			if (read(STDIN_FILENO, buf, sizeof(buf)) <= 0)
				break;
		}
	}
	ng_cli_fini();
	/* how long one round of serving took at most (the others wait that long) */
	fprintf(stderr, "longest ng_cli_poll round: %.2f ms (up to 1 ms of it waiting)\n",
		max_ms);
	return rc < 0 ? 1 : 0;
}
