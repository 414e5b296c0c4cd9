/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/cli: registration, word splitting, command matching
 * (prefixes, exact beats prefix, ambiguity, arguments), the wording of errors,
 * json, the telnet byte parser and the line editor (DPDK's rdline and the keys
 * around it) fed byte by byte (history, Tab, `?`, editing keys, line ends, long
 * lines), batch mode, output translation and limits, a fuzz run on fixed seeds,
 * real socket sessions, the idle timeout, `show cli` and a full session table.
 *
 * Sessions are in-memory (fd -1, see cli_priv.h): their output accumulates
 * and is read with cli_sess_output(). No EAL.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "cli.h"
#include "cli_priv.h"

#define NEGO "\xff\xfb\x01\xff\xfb\x03\xff\xfd\x03"
#define BANNER NEGO "nodegw CLI; type help or ?\r\nnodegw> "

/* ---- dummy commands: each records its name and arguments ---- */

static char called[8192];
static int ncalls;

static void
record(const char *name, int argc, char **argv)
{
	size_t o;

	ncalls++;
	snprintf(called, sizeof(called), "%s", name);
	for (int i = 0; i < argc; i++) {
		o = strlen(called);
		snprintf(called + o, sizeof(called) - o, "%s%s", i ? "|" : ":", argv[i]);
	}
	assert_null(argv[argc]);
}

#define DUMMY(fn, name) \
	static int fn(struct ng_cli_sess *s, int argc, char **argv) \
	{ \
		(void)s; \
		record(name, argc, argv); \
		return 0; \
	}

DUMMY(h_show_services, "show services")
DUMMY(h_show_service, "show service")
DUMMY(h_show_stats, "show stats")
DUMMY(h_service_add, "service add")
DUMMY(h_debug, "debug")
DUMMY(h_debug_stats, "debug stats")
DUMMY(h_set_log_level, "set log level")

static int
h_echo(struct ng_cli_sess *s, int argc, char **argv)
{
	record("echo", argc, argv);
	for (int i = 0; i < argc; i++)
		ng_cli_printf(s, "[%s]", argv[i]);
	ng_cli_printf(s, "\n");
	return 0;
}

static int
h_nonl(struct ng_cli_sess *s, int argc, char **argv)
{
	record("nonl", argc, argv);
	ng_cli_printf(s, "no line end");
	return 0;
}

static int
h_fail(struct ng_cli_sess *s, int argc, char **argv)
{
	record("fail", argc, argv);
	ng_cli_error(s, "fail: bad value \"%s\"", argc > 0 ? argv[0] : "");
	return -7;
}

static int
h_json(struct ng_cli_sess *s, int argc, char **argv)
{
	bool j = ng_cli_json(&argc, argv);

	record(j ? "json" : "text", argc, argv);
	(void)s;
	return 0;
}

static int
h_flood(struct ng_cli_sess *s, int argc, char **argv)
{
	char line[1024];

	record("flood", argc, argv);
	memset(line, 'f', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	for (size_t i = 0; i <= NG_CLI_OUT_MAX / (sizeof(line) - 1); i++) /* one line too many */
		ng_cli_printf(s, "%s", line);
	return 0;
}

static const char *const svc_names[] = {"web", "db", "dns", NULL};

static const char *const *
complete_svc(struct ng_cli_sess *s, int argc, char **argv)
{
	(void)s;
	(void)argv;
	return argc == 0 ? svc_names : NULL;
}

static const struct ng_cli_cmd cmds[] = {
	{"show services", "[NAME|VIP] [json]", "List services", h_show_services, complete_svc},
	{"show service", "NAME", "Show one service", h_show_service, complete_svc},
	{"show stats", NULL, "Show counters", h_show_stats, NULL},
	{"service add", "NAME VIP", "Add a service", h_service_add, NULL},
	{"debug", "[WHAT]", "Debug something", h_debug, NULL},
	{"debug stats", NULL, "Debug counters", h_debug_stats, NULL},
	{"set log level", "LEVEL", "Set the log level", h_set_log_level, NULL},
	{"echo", "[WORD...]", "Print words", h_echo, NULL},
	{"fail", NULL, "Always fails", h_fail, NULL},
	{"nonl", NULL, "Print without a line end", h_nonl, NULL},
	{"jsontest", "[json]", "json flag", h_json, NULL},
	{"flood", NULL, "Print 5 MiB", h_flood, NULL},
};

static int
setup(void **state)
{
	(void)state;
	called[0] = '\0';
	ncalls = 0;
	return ng_cli_register(cmds, sizeof(cmds) / sizeof(cmds[0]));
}

static int
teardown(void **state)
{
	(void)state;
	ng_cli_fini();
	return 0;
}

/* ---- helpers ---- */

static struct ng_cli_sess *
sess_new(void)
{
	struct ng_cli_sess *s = cli_sess_new(-1);
	size_t len;

	assert_non_null(s);
	assert_string_equal(cli_sess_output(s, &len), BANNER);
	cli_sess_output_clear(s);
	return s;
}

static void
feed(struct ng_cli_sess *s, const char *bytes, size_t n)
{
	/* byte by byte, as a slow client would send them */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(cli_feed(s, (const uint8_t *)bytes + i, 1), 1);
}

#define FEED(s, lit) feed((s), (lit), sizeof(lit) - 1)

/* Output so far, then forget it. Valid until the next output. */
static const char *
take(struct ng_cli_sess *s)
{
	static char copy[1 << 16];
	size_t len;
	const char *o = cli_sess_output(s, &len);

	assert_true(len < sizeof(copy));
	memcpy(copy, o, len + 1);
	cli_sess_output_clear(s);
	return copy;
}

static bool
ends_with(const char *str, const char *suffix)
{
	size_t a = strlen(str), b = strlen(suffix);

	if (a < b || strcmp(str + a - b, suffix) != 0) {
		print_message("\"%s\" does not end with \"%s\"\n", str, suffix);
		return false;
	}
	return true;
}

/* A session in character mode (client answered DO ECHO). */
static struct ng_cli_sess *
char_sess(void)
{
	struct ng_cli_sess *s = sess_new();

	FEED(s, "\xff\xfd\x01\xff\xfd\x03\xff\xfb\x03");
	assert_int_equal(s->mode, CLI_MODE_TELNET);
	assert_true(cli_char_mode(s));
	assert_string_equal(take(s), "");
	return s;
}

/* Run a line on an in-memory session, return its output. */
static const char *
run(const char *line, int *rc)
{
	static char copy[1 << 16];
	struct ng_cli_sess *s = sess_new();
	size_t len;
	const char *o;
	int r;

	r = ng_cli_exec_line(s, line);
	if (rc != NULL)
		*rc = r;
	o = cli_sess_output(s, &len);
	assert_true(len < sizeof(copy));
	memcpy(copy, o, len + 1);
	cli_sess_free(s);
	return copy;
}

static void
expect_call(const char *line, const char *want)
{
	int rc;

	const char *out;

	called[0] = '\0';
	out = run(line, &rc);
	if (rc != 0)
		print_message("\"%s\": %s", line, out);
	assert_int_equal(rc, 0);
	assert_string_equal(called, want);
}

/* ---- registration ---- */

static void
register_errors(void **state)
{
	static struct ng_cli_cmd many[NG_CLI_CMDS_MAX];
	struct ng_cli_cmd c = {"x", NULL, "h", h_echo, NULL};
	const char *bad[] = {
		"", " show", "show ", "show  x", "a?b", "x\"y", "tab\there",
		"abcdefghijklmnopqrstuvwxyz0123456", /* 33 characters */
		"a b c d e f g h i",                 /* 9 words */
	};
	struct ng_cli_cmd pair[2] = {
		{"new one", NULL, "h", h_echo, NULL},
		{"new one", NULL, "h", h_echo, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.path = bad[i];
		assert_int_equal(ng_cli_register(&c, 1), -EINVAL);
	}
	c.path = NULL;
	assert_int_equal(ng_cli_register(&c, 1), -EINVAL);
	c.path = "abcdefghijklmnopqrstuvwxyz012345"; /* 32: fine */
	assert_int_equal(ng_cli_register(&c, 1), 0);
	c.path = "x";
	c.handler = NULL;
	assert_int_equal(ng_cli_register(&c, 1), -EINVAL);
	assert_int_equal(ng_cli_register(cmds, 1), -EEXIST);
	c.path = "help";
	c.handler = h_echo;
	assert_int_equal(ng_cli_register(&c, 1), -EEXIST); /* built-in */
	/* a duplicate inside one array: nothing of it is registered */
	assert_int_equal(ng_cli_register(pair, 2), -EEXIST);
	assert_string_equal(run("new one", NULL), "% unknown command \"new\"; try help\r\n");
	assert_int_equal(ng_cli_register(many, NG_CLI_CMDS_MAX), -ENOSPC);
	assert_int_equal(ng_cli_register(NULL, 0), 0);
	assert_int_equal(ng_cli_register(NULL, 1), -EINVAL);
}

/* ---- splitting ---- */

static void
split_words(void **state)
{
	char buf[256];
	char *argv[NG_CLI_MAX_ARGS + 1];
	struct cli_split info;

	(void)state;
	assert_int_equal(cli_split_line("  a  b\tc ", buf, argv, NG_CLI_MAX_ARGS, &info), 0);
	assert_int_equal(info.argc, 3);
	assert_string_equal(argv[0], "a");
	assert_string_equal(argv[2], "c");
	assert_false(info.in_word);
	assert_int_equal(cli_split_line("x \"a b\" c\"d e\"f \"\"", buf, argv, 8, &info), 0);
	assert_int_equal(info.argc, 4);
	assert_string_equal(argv[1], "a b");
	assert_string_equal(argv[2], "cd ef");
	assert_string_equal(argv[3], "");
	assert_true(info.in_word);
	assert_false(info.in_quote);
	assert_int_equal(cli_split_line("x \"a b", buf, argv, 8, &info), 0);
	assert_true(info.in_quote);
	assert_string_equal(argv[1], "a b");
	assert_int_equal(cli_split_line("", buf, argv, 8, &info), 0);
	assert_int_equal(info.argc, 0);
	assert_null(argv[0]);
	assert_int_equal(cli_split_line("1 2 3 4", buf, argv, 3, &info), -E2BIG);
	assert_int_equal(info.argc, 3);
	assert_null(argv[3]);
}

/* ---- matching ---- */

static void
match_commands(void **state)
{
	(void)state;
	expect_call("show services", "show services");
	expect_call("sh services web json", "show services:web|json");
	expect_call("show service web", "show service:web");   /* exact beats prefix */
	expect_call("sho st", "show stats");
	expect_call("ser a n 1", "service add:n|1");
	expect_call("debug", "debug");
	expect_call("debug foo", "debug:foo");                  /* args of "debug" */
	expect_call("debug st", "debug stats");                 /* path word wins */
	expect_call("debug \"\"", "debug:");                    /* an empty word is an argument */
	expect_call("debug \"stats\"", "debug stats");
	expect_call("set l l debug", "set log level:debug");
	expect_call("  echo   a  \"b  c\"  ", "echo:a|b  c");
	expect_call("jsontest json", "json");
	expect_call("jsontest a json", "json:a");
	expect_call("jsontest json a", "text:json|a");
	expect_call("jsontest", "text");
}

static void
json_flag(void **state)
{
	char a[] = "a", j[] = "json", J[] = "JSON";
	char *argv[4] = {a, j, NULL, NULL};
	int argc = 2;

	(void)state;
	assert_true(ng_cli_json(&argc, argv));
	assert_int_equal(argc, 1);
	assert_null(argv[1]);
	assert_false(ng_cli_json(&argc, argv));
	assert_int_equal(argc, 1);
	argv[1] = J;
	argc = 2;
	assert_false(ng_cli_json(&argc, argv));
	argc = 0;
	assert_false(ng_cli_json(&argc, argv));
	assert_false(ng_cli_json(NULL, argv));
}

static void
error_wording(void **state)
{
	char big[200];
	int rc;

	(void)state;
	assert_string_equal(run("s", &rc),
		"% ambiguous command \"s\": service, set, show\r\n");
	assert_int_equal(rc, -1);
	/* A prefix of a word and its plural means the plural (the listing). */
	{
		char want[4096];

		snprintf(want, sizeof(want), "%s", run("show services", &rc));
		assert_string_equal(run("show serv", &rc), want);
		assert_int_equal(rc, 0);
		assert_true(strstr(want, "ambiguous") == NULL);
	}
	assert_string_equal(run("show s", &rc),
		"% ambiguous command \"show s\": service, services, stats\r\n");
	assert_string_equal(run("sh x", &rc), "% unknown command \"show x\"; try \"show ?\"\r\n");
	assert_int_equal(rc, -1);
	assert_string_equal(run("shw", &rc), "% unknown command \"shw\"; try help\r\n");
	assert_string_equal(run("set log", &rc),
		"% incomplete command \"set log\"; try \"set log ?\"\r\n");
	assert_string_equal(run("echo \"a", &rc), "% unterminated quote in \"echo\"\r\n");
	assert_int_equal(rc, -1);
	assert_string_equal(run("fail v", &rc), "% fail: bad value \"v\"\r\n");
	assert_int_equal(rc, -1); /* any negative handler result is -1 */
	assert_string_equal(run("quit now", &rc), "% quit: takes no arguments\r\n");
	/* bad bytes and long words are quoted safely */
	assert_string_equal(run("\x01\x7f\xff\"\\\"", &rc),
		"% unknown command \"\\x01\\x7f\\xff\\x5c\"; try help\r\n");
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_string_equal(run(big, &rc),
		"% unknown command \"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...\"; try help\r\n");
	/* too many words */
	{
		char line[NG_CLI_MAX_ARGS * 2 + 8] = "";

		for (int i = 0; i <= NG_CLI_MAX_ARGS; i++)
			strcat(line, "a ");
		assert_string_equal(run(line, &rc), "% too many words (max 64)\r\n");
		assert_int_equal(rc, -1);
	}
	/* empty lines do nothing */
	ncalls = 0;
	assert_string_equal(run("", &rc), "");
	assert_int_equal(rc, 0);
	assert_string_equal(run(" \t ", &rc), "");
	assert_int_equal(ncalls, 0);
	assert_int_equal(ng_cli_exec_line(NULL, NULL), 0);
}

static void
help_output(void **state)
{
	const char *o;

	(void)state;
	o = run("help", NULL);
	assert_non_null(strstr(o, "  show services [NAME|VIP] [json]  List services\r\n"));
	assert_non_null(strstr(o, "  quit                             Leave the CLI\r\n"));
	o = run("help sh", NULL);
	assert_non_null(strstr(o, "show stats"));
	assert_null(strstr(o, "echo"));
	assert_string_equal(run("help zz", NULL), "% help: no command starts with \"zz\"\r\n");
	/* ? at the end of a line */
	o = run("?", NULL);
	assert_non_null(strstr(o, "  show      (3 commands)\r\n"));
	assert_non_null(strstr(o, "  echo      Print words\r\n"));
	assert_string_equal(run("sh?", NULL), "  show  (3 commands)\r\n");
	assert_string_equal(run("show ?", NULL),
		"  service   Show one service\r\n"
		"  services  List services\r\n"
		"  stats     Show counters\r\n");
	assert_string_equal(run("show services ?", NULL),
		"  db\r\n  dns\r\n  web\r\n"
		"  show services [NAME|VIP] [json]  List services\r\n");
	assert_string_equal(run("show services w ?", NULL),
		"  show services [NAME|VIP] [json]  List services\r\n");
	assert_string_equal(run("show services w?", NULL),
		"  web\r\n  show services [NAME|VIP] [json]  List services\r\n");
	/* a command with arguments and sub-commands */
	assert_string_equal(run("debug ?", NULL),
		"  stats         Debug counters\r\n"
		"  debug [WHAT]  Debug something\r\n");
	assert_string_equal(run("sh x ?", NULL),
		"% unknown command \"show x\"; try \"show ?\"\r\n");
	assert_string_equal(run("sh x?", NULL), "% unknown command \"show x\"; try \"show ?\"\r\n");
	assert_string_equal(run("s?", NULL),
		"  service  (1 command)\r\n  set      (1 command)\r\n  show     (3 commands)\r\n");
	assert_string_equal(run("echo \"a?\"", NULL), "[a?]\r\n");
	assert_string_equal(run("zz?", NULL), "% unknown command \"zz\"; try help\r\n");
}

/* ---- telnet parser ---- */

static void
telnet_negotiation(void **state)
{
	struct ng_cli_sess *s = sess_new();

	(void)state;
	assert_int_equal(s->mode, CLI_MODE_NEW);
	FEED(s, "\xff\xfd\x01"); /* DO ECHO: answers our WILL, no reply */
	assert_int_equal(s->mode, CLI_MODE_TELNET);
	assert_true(cli_char_mode(s));
	assert_string_equal(take(s), "");
	FEED(s, "\xff\xfd\x01"); /* again: still no reply */
	assert_string_equal(take(s), "");
	FEED(s, "\xff\xfb\x1f"); /* WILL NAWS -> DONT NAWS, once */
	assert_string_equal(take(s), "\xff\xfe\x1f");
	FEED(s, "\xff\xfb\x1f");
	assert_string_equal(take(s), "");
	FEED(s, "\xff\xfd\x63"); /* DO 99 -> WONT 99 */
	assert_string_equal(take(s), "\xff\xfc\x63");
	FEED(s, "\xff\xfc\x63\xff\xfe\x63"); /* WONT/DONT of unknown: ignored */
	assert_string_equal(take(s), "");
	/* subnegotiation (with an escaped IAC inside) is skipped */
	FEED(s, "\xff\xfa\x1f\x00\x50\xff\xff\x00\x18\xff\xf0" "ab");
	assert_string_equal(take(s), "ab");
	/* NOP, GA, AYT: ignored; IAC IAC is a 0xff data byte (not printable: dropped) */
	FEED(s, "\xff\xf1\xff\xf9\xff\xf6\xff\xff" "c");
	assert_string_equal(take(s), "c");
	assert_string_equal(cli_edit_line(s), "abc");
	/* IAC EC erases, IAC EL kills the line */
	FEED(s, "\xff\xf7");
	assert_string_equal(cli_edit_line(s), "ab");
	FEED(s, "\xff\xf8");
	assert_string_equal(cli_edit_line(s), "");
	take(s);
	/* DONT ECHO: acknowledged, line mode; DO ECHO: accepted with WILL ECHO */
	FEED(s, "\xff\xfe\x01");
	assert_string_equal(take(s), "\xff\xfc\x01");
	assert_false(cli_char_mode(s));
	FEED(s, "xy");
	assert_string_equal(take(s), ""); /* no echo in line mode */
	FEED(s, "\xff\xfd\x01");
	assert_string_equal(take(s), "\xff\xfb\x01xy"); /* and the line is shown */
	assert_true(cli_char_mode(s));
	/* SGA both ways */
	FEED(s, "\xff\xfe\x03\xff\xfc\x03");
	assert_string_equal(take(s), "");
	FEED(s, "\xff\xfd\x03\xff\xfb\x03");
	assert_string_equal(take(s), "\xff\xfb\x03\xff\xfd\x03");
	/* IAC IP cancels the line */
	FEED(s, "\xff\xf4");
	assert_string_equal(take(s), "^C\r\nnodegw> ");
	/* output in telnet mode doubles 0xff */
	ng_cli_printf(s, "a\xff" "b\n");
	assert_string_equal(take(s), "a\xff\xff" "b\r\n");
	cli_sess_free(s);
}

static void
line_mode_client(void **state)
{
	struct ng_cli_sess *s = sess_new();

	(void)state;
	FEED(s, "echo a\r\n");
	assert_int_equal(s->mode, CLI_MODE_LINE);
	assert_string_equal(take(s), "[a]\r\nnodegw> "); /* no echo */
	/* telnet commands from a line-mode client are parsed and never answered */
	FEED(s, "\xff\xfd\x01\xff\xfb\x1f\xff\xfd\x63\xff\xfa\x01\xff\xf0");
	assert_string_equal(take(s), "");
	assert_false(cli_char_mode(s));
	/* control bytes and ESC dropped, Tab is a space, no escapes sent */
	FEED(s, "ec\x1bho\x01\tb\x7f\n");
	assert_string_equal(take(s), "[b]\r\nnodegw> ");
	/* trailing ? prints help */
	FEED(s, "show ?\n");
	assert_non_null(strstr(take(s), "  stats     Show counters\r\nnodegw> "));
	/* output is not doubled in line mode */
	ng_cli_printf(s, "\xff\n");
	assert_string_equal(take(s), "\xff\r\n");
	cli_sess_free(s);
}

static void
line_ends(void **state)
{
	struct ng_cli_sess *s = sess_new();

	(void)state;
	ncalls = 0;
	FEED(s, "echo 1\r\necho 2\r\0echo 3\necho 4\recho 5\r\r\n");
	assert_int_equal(ncalls, 5);
	assert_string_equal(take(s),
		"[1]\r\nnodegw> [2]\r\nnodegw> [3]\r\nnodegw> [4]\r\nnodegw> [5]\r\nnodegw> "
		"nodegw> ");
	/* CR and LF split over two reads */
	FEED(s, "echo 6\r");
	FEED(s, "\n");
	assert_int_equal(ncalls, 6);
	assert_string_equal(take(s), "[6]\r\nnodegw> ");
	/* output without a final line end: the prompt still starts a line */
	FEED(s, "nonl\n");
	assert_string_equal(take(s), "no line end\r\nnodegw> ");
	FEED(s, "jsontest\n"); /* no output: just the prompt */
	assert_string_equal(take(s), "nodegw> ");
	/* handler output: \n -> \r\n, \r\n kept */
	ng_cli_printf(s, "a\nb\r\nc");
	assert_string_equal(take(s), "a\r\nb\r\nc");
	cli_sess_free(s);
}

static void
long_lines(void **state)
{
	static char line[NG_CLI_LINE_MAX + 16];
	struct ng_cli_sess *s = sess_new();

	(void)state;
	memset(line, 'x', sizeof(line));
	feed(s, line, NG_CLI_LINE_MAX + 1);
	FEED(s, "\n");
	assert_string_equal(take(s), "% line too long (max 4096)\r\nnodegw> ");
	FEED(s, "echo ok\n");
	assert_string_equal(take(s), "[ok]\r\nnodegw> ");
	/* exactly 4096 bytes is fine */
	ncalls = 0;
	memcpy(line, "echo ", 5);
	feed(s, line, NG_CLI_LINE_MAX);
	FEED(s, "\n");
	assert_int_equal(ncalls, 1);
	assert_int_equal(strlen(called), 5 + NG_CLI_LINE_MAX - 5);
	take(s);
	/* the last unterminated line runs at EOF, without a prompt after it */
	FEED(s, "echo end");
	cli_eof(s);
	assert_string_equal(take(s), "[end]\r\n");
	assert_true(s->closing);
	cli_sess_free(s);

	/*
	 * character mode: rdline's line holds NG_CLI_EDIT_MAX bytes; typing stops
	 * echoing at the limit, the line is discarded
	 */
	s = char_sess();
	memset(line, 'y', sizeof(line));
	feed(s, line, NG_CLI_EDIT_MAX + 10);
	assert_int_equal(strlen(cli_edit_line(s)), NG_CLI_EDIT_MAX);
	assert_int_equal(strlen(take(s)), NG_CLI_EDIT_MAX);
	FEED(s, "\r\n");
	assert_string_equal(take(s), "\r\n% line too long (max 512)\r\nnodegw> ");
	assert_int_equal(cli_hist_count(s), 0);
	/* exactly NG_CLI_EDIT_MAX bytes is fine (checks DPDK's RDLINE_BUF_SIZE) */
	ncalls = 0;
	memcpy(line, "echo ", 5);
	feed(s, line, NG_CLI_EDIT_MAX);
	FEED(s, "\r\n");
	assert_int_equal(ncalls, 1);
	assert_int_equal(strlen(called), NG_CLI_EDIT_MAX);
	/* a line typed in line mode, longer than the editor's, is refused at Enter */
	cli_sess_free(s);
	s = sess_new();
	FEED(s, "\xff\xfe\x01");
	take(s);
	feed(s, line, NG_CLI_EDIT_MAX + 1);
	FEED(s, "\xff\xfd\x01");
	FEED(s, "\r\n");
	assert_true(ends_with(take(s), "\r\n% line too long (max 512)\r\nnodegw> "));
	cli_sess_free(s);
}

/* ---- line editor ---- */

static void
editor_keys(void **state)
{
	struct ng_cli_sess *s = char_sess();

	(void)state;
	FEED(s, "echo ab");
	assert_string_equal(take(s), "echo ab"); /* echo */
	/* rdline redraws with VT100 sequences: erase to the end of the line */
	FEED(s, "\x7f");
	assert_string_equal(take(s), "\b\x1b[0K");
	FEED(s, "\b" "c\r\n");
	assert_string_equal(take(s), "\b\x1b[0Kc\r\n[c]\r\nnodegw> ");
	/* left arrow, insert in the middle, home, end */
	FEED(s, "echo ac\x1b[Db\r");
	assert_string_equal(called, "echo:abc");
	take(s);
	FEED(s, "cho x\x01" "e\x05y\r\n");
	assert_string_equal(called, "echo:xy");
	FEED(s, "xecho 12\x1b[H\x1b[3~\x1b[F3\x1b[1~\x1b[4~4\r\n"); /* delete, home/end forms */
	assert_string_equal(called, "echo:1234");
	take(s);
	/* Ctrl-B / Ctrl-F, Ctrl-K, Ctrl-D deletes under the cursor */
	FEED(s, "echo abcd\x02\x02\x0b" "Z\x02\x04\x06\r\n");
	assert_string_equal(called, "echo:ab");
	/* Ctrl-W kills a word, Ctrl-U the line */
	FEED(s, "echo one two\x17three\r\n");
	assert_string_equal(called, "echo:one|three");
	FEED(s, "junk\x15" "echo u\r\n");
	assert_string_equal(called, "echo:u");
	take(s);
	/* Ctrl-C cancels */
	ncalls = 0;
	FEED(s, "echo no\x03");
	assert_string_equal(take(s), "echo no^C\r\nnodegw> ");
	FEED(s, "\r\n");
	assert_int_equal(ncalls, 0);
	assert_string_equal(take(s), "\r\nnodegw> ");
	/* Ctrl-L clears the screen and redraws, the cursor where it was */
	FEED(s, "ab\x0c");
	assert_string_equal(take(s), "ab\x1b[H\x1b[2Jnodegw> ab");
	FEED(s, "\x02\x0c");
	assert_string_equal(take(s), "\x1b[D\x1b[H\x1b[2Jnodegw> ab\b");
	/* Ctrl-Y puts back what Ctrl-K or Ctrl-U killed (rdline's kill buffer) */
	FEED(s, "\x15\x19");
	assert_string_equal(cli_edit_line(s), "ab");
	FEED(s, "\x15");
	take(s);
	/* unknown escapes and control bytes are ignored */
	FEED(s, "\x1b[99;5x\x1bZ\x1b[1;2;3;4;5;6;7;8;9;10;11z\x0f\x12" "e\x80\xfe" "cho q\r\n");
	assert_string_equal(called, "echo:q");
	take(s);
	/* Ctrl-D on an empty line leaves */
	FEED(s, "\x04");
	assert_true(s->closing);
	assert_string_equal(take(s), "\r\n");
	cli_sess_free(s);
}

static void
history(void **state)
{
	struct ng_cli_sess *s = char_sess();
	char line[128];
	unsigned int n;

	(void)state;
	FEED(s, "\x1b[A");
	assert_string_equal(take(s), "\a"); /* empty history: bell */
	FEED(s, "echo 1\r\necho 2\r\necho 2\r\n\r\n");
	assert_int_equal(cli_hist_count(s), 2); /* repeats and empty lines not kept */
	take(s);
	FEED(s, "par");  /* a new line, saved while browsing */
	FEED(s, "\x1b[A");
	assert_string_equal(cli_edit_line(s), "echo 2");
	FEED(s, "\x1bOA");
	assert_string_equal(cli_edit_line(s), "echo 1");
	take(s);
	FEED(s, "\x10"); /* Ctrl-P at the oldest: stays, bell */
	assert_string_equal(cli_edit_line(s), "echo 1");
	assert_string_equal(take(s), "\a");
	FEED(s, "\x1b[B");
	assert_string_equal(cli_edit_line(s), "echo 2");
	FEED(s, "\x0e");
	assert_string_equal(cli_edit_line(s), "par");
	take(s);
	FEED(s, "\x1bOB");
	assert_string_equal(cli_edit_line(s), "par");
	assert_string_equal(take(s), "\a");
	/* recall, then edit and run */
	FEED(s, "\x15\x1b[A\x7f" "9\r\n");
	assert_string_equal(called, "echo:9");
	/* the redraw goes to the start of the line and erases the rest of the longer one */
	FEED(s, "echo 123456\x1b[A");
	assert_true(ends_with(take(s), "echo 123456\x1bM\x1b" "Enodegw> echo 9\x1b[0K"));
	/* Ctrl-C while browsing: the line is dropped, the history is as it was */
	FEED(s, "\x03");
	assert_int_equal(cli_hist_count(s), 3);
	assert_string_equal(cli_hist_item(s, 0), "echo 9");
	/* bounded: the newest lines that fit in rdline's 8 KiB, the oldest dropped */
	for (int i = 0; i < 200; i++) {
		snprintf(line, sizeof(line), "echo h%03d %060d\r\n", i, i);
		feed(s, line, strlen(line));
	}
	n = cli_hist_count(s);
	assert_true(n >= 8192 / 71 - 1 && n < 8192 / 70);
	snprintf(line, sizeof(line), "echo h%03d %060d", 199, 199);
	assert_string_equal(cli_hist_item(s, 0), line);
	snprintf(line, sizeof(line), "echo h%03d %060d", 200 - n, 200 - n);
	assert_string_equal(cli_hist_item(s, n - 1), line);
	for (unsigned int i = 0; i < n + 2; i++)
		FEED(s, "\x1b[A");
	assert_string_equal(cli_edit_line(s), line);
	FEED(s, "\x03");
	cli_sess_free(s);
}

static void
tab_completion(void **state)
{
	struct ng_cli_sess *s = char_sess();

	(void)state;
	FEED(s, "sh\t");
	assert_string_equal(take(s), "show ");
	FEED(s, "serv\t");
	assert_string_equal(take(s), "service"); /* common prefix of service(s) */
	FEED(s, "\t");
	assert_string_equal(take(s), "\r\nservice   services\r\nnodegw> show service");
	FEED(s, "s\tw\t");
	assert_string_equal(take(s), "s web ");    /* an argument from complete() */
	assert_string_equal(cli_edit_line(s), "show services web ");
	FEED(s, "\r\n");
	assert_string_equal(called, "show services:web");
	take(s);
	FEED(s, "x\t");
	assert_string_equal(take(s), "x\a");       /* no candidate: bell */
	FEED(s, "\x15" "s\t");
	assert_true(ends_with(take(s), "\x1b[0Ks\r\nservice  set      show\r\nnodegw> s"));
	FEED(s, "\x15" "shw \t");
	assert_true(strstr(take(s), "\a") != NULL); /* error before: bell */
	FEED(s, "\x15" "echo \"a\t");
	assert_true(strstr(take(s), "\a") != NULL); /* quoted word: bell */
	/* the cursor in the middle completes the word before it */
	FEED(s, "\x15" "sh st\x01\x06\x06\t");
	assert_string_equal(cli_edit_line(s), "show  st");
	FEED(s, "\x15" "debug \t");
	assert_string_equal(cli_edit_line(s), "debug stats ");
	cli_sess_free(s);
}

static void
question_mark(void **state)
{
	struct ng_cli_sess *s = char_sess();

	(void)state;
	FEED(s, "show ?");
	assert_string_equal(take(s),
		"show ?\r\n"
		"  service   Show one service\r\n"
		"  services  List services\r\n"
		"  stats     Show counters\r\n"
		"nodegw> show ");
	assert_string_equal(cli_edit_line(s), "show "); /* the ? is not inserted */
	FEED(s, "st?");
	assert_string_equal(take(s), "st?\r\n  stats  Show counters\r\nnodegw> show st");
	/* cursor in the middle: help for the text before it; redraw puts it back */
	FEED(s, "\x02\x02?");
	assert_string_equal(take(s),
		"\x1b[D\x1b[D?\r\n  service   Show one service\r\n  services  List services\r\n"
		"  stats     Show counters\r\nnodegw> show st\b\b");
	FEED(s, "\x15?");
	assert_non_null(strstr(take(s), "  set       (1 command)\r\n"));
	FEED(s, "echo \"?\"\r\n"); /* inside quotes it is typed */
	assert_string_equal(called, "echo:?");
	cli_sess_free(s);
}

/* ---- output limits ---- */

static void
output_limit(void **state)
{
	struct ng_cli_sess *s = sess_new();
	size_t len;

	(void)state;
	FEED(s, "flood\n");
	assert_true(s->dead);
	cli_sess_output(s, &len);
	assert_int_equal(len, 0);
	ng_cli_printf(s, "more"); /* dropped */
	cli_sess_output(s, &len);
	assert_int_equal(len, 0);
	cli_sess_free(s);
	/* long printf goes through the heap path */
	s = sess_new();
	{
		static char big[3000];

		memset(big, 'b', sizeof(big) - 1);
		ng_cli_printf(s, "%s", big);
		assert_int_equal(strlen(take(s)), sizeof(big) - 1);
		ng_cli_error(s, "%s\n", big);
		assert_int_equal(strlen(take(s)), sizeof(big) - 1 + 4);
	}
	cli_sess_free(s);
}

/* ---- fuzz ---- */

static uint64_t rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint8_t
fuzz_byte(void)
{
	static const char interesting[] = "\xff\xfd\xfb\xfa\xf0\xfe\xfc\x01\x03\x1b[OAB~?\t\r\n\0"
					  "\"\x7f\x08\x15\x17\x03\x04\x0c\x10\x0e\x01\x05 sh"
					  "ow serv echo debug json stats set log level";

	if (rng() % 3 == 0)
		return (uint8_t)rng();
	return (uint8_t)interesting[rng() % (sizeof(interesting) - 1)];
}

static void
fuzz(void **state)
{
	char line[600];
	uint8_t buf[512];
	struct ng_cli_sess *s = NULL;

	(void)state;
	rng_state = 0x5eed1234abcdull;
	for (int i = 0; i < 20000; i++) {
		size_t n = rng() % sizeof(line);

		for (size_t k = 0; k < n; k++) {
			line[k] = (char)fuzz_byte();
			if (line[k] == '\0')
				line[k] = ' ';
		}
		line[n] = '\0';
		if (strncmp(line, "fl", 2) == 0)
			line[0] = 'x'; /* not the 5 MiB command every time */
		run(line, NULL);
	}
	for (int i = 0; i < 3000; i++) {
		size_t n = rng() % sizeof(buf);

		if (s == NULL || s->closing || s->dead || cli_out_pending(s) > (1u << 20)) {
			cli_sess_free(s);
			s = sess_new();
			if (rng() % 2)
				FEED(s, "\xff\xfd\x01"); /* character mode half of the time */
		}
		for (size_t k = 0; k < n; k++)
			buf[k] = fuzz_byte();
		if (rng() % 2) {
			assert_int_equal(cli_feed(s, buf, n), n);
		} else {
			for (size_t k = 0; k < n; k++)
				cli_feed(s, buf + k, 1);
		}
		assert_true(s->len <= NG_CLI_LINE_MAX);
		assert_true(strlen(cli_edit_line(s)) <= NG_CLI_LINE_MAX);
		if (cli_char_mode(s))
			assert_true(strlen(cli_edit_line(s)) <= NG_CLI_EDIT_MAX);
		if (rng() % 4 == 0)
			cli_sess_output_clear(s);
	}
	cli_sess_free(s);
}

/* ---- the server on a real socket ---- */

/*
 * Serve and read into buf until it holds want (want NULL: until the peer
 * closes; a reset counts), for rounds of 5 ms at most. @return 0, or -1.
 */
static int
read_from(int fd, char *buf, size_t cap, size_t *len, const char *want, int rounds)
{
	for (int i = 0; i < rounds && (want == NULL || strstr(buf, want) == NULL); i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		ng_cli_poll(5);
		if (poll(&p, 1, 5) <= 0)
			continue;
		r = recv(fd, buf + *len, cap - 1 - *len, 0);
		if (r <= 0)
			return want == NULL ? 0 : -1;
		*len += (size_t)r;
		buf[*len] = '\0';
	}
	return want != NULL && strstr(buf, want) != NULL ? 0 : -1;
}

static int
read_until(int fd, char *buf, size_t cap, size_t *len, const char *want)
{
	return read_from(fd, buf, cap, len, want, 200);
}

static void
server_socket(void **state)
{
	char err[256] = "";
	char buf[8192] = "";
	size_t len = 0;
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd, busy_port;

	(void)state;
	assert_int_equal(ng_cli_poll(0), -EBADF);
	assert_int_equal(ng_cli_port(), 0);
	assert_int_equal(ng_cli_init("nonsense", 0, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
		"bad CLI address \"nonsense\": expected an IPv4 or IPv6 address");
	assert_int_equal(ng_cli_init("127.0.0.1", 0, err, sizeof(err)), 0);
	assert_int_not_equal(ng_cli_port(), 0);
	assert_int_equal(ng_cli_init("127.0.0.1", 0, err, sizeof(err)), -EALREADY);
	assert_int_equal(ng_cli_poll(0), 0);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	a.sin_port = htons(ng_cli_port());
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(read_until(fd, buf, sizeof(buf), &len, "nodegw> "), 0);
	assert_memory_equal(buf, BANNER, sizeof(BANNER) - 1);
	assert_int_equal(send(fd, "echo hi\n", 8, 0), 8);
	assert_int_equal(read_until(fd, buf, sizeof(buf), &len, "[hi]\r\nnodegw> "), 0);
	assert_int_equal(send(fd, "quit\n", 5, 0), 5);
	for (int i = 0; i < 100; i++) {
		ssize_t r;

		ng_cli_poll(5);
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == 0)
			break;
		assert_true(i < 99);
	}
	close(fd);

	/*
	 * one session more than the limit, while every session has typed
	 * something lately: told so and closed
	 */
	{
		static int fds[NG_CLI_MAX_SESS + 1];
		char msg[64] = "";
		size_t mlen = 0;

		for (int i = 0; i < NG_CLI_MAX_SESS; i++) {
			fds[i] = socket(AF_INET, SOCK_STREAM, 0);
			assert_true(fds[i] >= 0);
			assert_int_equal(connect(fds[i], (struct sockaddr *)&a, sizeof(a)), 0);
			assert_int_equal(send(fds[i], "\n", 1, 0), 1);
			if (i % 8 == 7)
				ng_cli_poll(1); /* accept in order */
		}
		for (int i = 0; i < 20; i++)
			ng_cli_poll(5);
		fds[NG_CLI_MAX_SESS] = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(fds[NG_CLI_MAX_SESS], (struct sockaddr *)&a, sizeof(a)),
			0);
		assert_int_equal(read_until(fds[NG_CLI_MAX_SESS], msg, sizeof(msg), &mlen,
					 "% too many CLI sessions\r\n"),
			0);
		for (int i = 0; i <= NG_CLI_MAX_SESS; i++)
			close(fds[i]);
	}

	/* a port in use */
	busy_port = ng_cli_port();
	ng_cli_fini();
	fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_port = 0;
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	{
		socklen_t sl = sizeof(a);

		assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
	}
	assert_int_equal(ng_cli_init("127.0.0.1", ntohs(a.sin_port), err, sizeof(err)),
		-EADDRINUSE);
	assert_non_null(strstr(err, "Address already in use"));
	close(fd);
	(void)busy_port;
	assert_int_equal(ng_cli_init("::1", 0, err, sizeof(err)) == 0 ||
			ng_cli_init("127.0.0.2", 0, err, sizeof(err)) == 0,
		1);
	ng_cli_fini();
	assert_int_equal(ng_cli_port(), 0);
}

/* ---- nobody can lock the operator out ---- */

static const char *show_cli(int fd);

static int
connect_cli(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_port = htons(ng_cli_port());
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Read until the peer closes (a reset counts). @return 0, or -1 when it stays open. */
static int
read_eof(int fd, char *buf, size_t cap, size_t *len)
{
	return read_from(fd, buf, cap, len, NULL, 400);
}

/*
 * Issue 17, defect 3: whoever holds every session slot with idle connections
 * must not keep the operator out. The table is filled with connections that
 * never type (the oldest of all has typed a command); one more client still
 * gets a working session, the untyped session idle longest is the one closed,
 * and the one that typed is kept.
 */
static void
lockout(void **state)
{
	static int fds[NG_CLI_MAX_SESS];
	char err[256] = "";
	char buf[8192] = "";
	size_t len = 0;
	int op;

	(void)state;
	assert_int_equal(ng_cli_init("127.0.0.1", 0, err, sizeof(err)), 0);
	/* the first session types a command: it is the oldest, but it typed */
	fds[0] = connect_cli();
	assert_int_equal(read_until(fds[0], buf, sizeof(buf), &len, "nodegw> "), 0);
	assert_int_equal(send(fds[0], "echo typed\n", 11, 0), 11);
	assert_int_equal(read_until(fds[0], buf, sizeof(buf), &len, "[typed]\r\nnodegw> "), 0);
	/* the others connect and never type; fds[1] is the one idle longest */
	for (int i = 1; i < NG_CLI_MAX_SESS; i++) {
		fds[i] = connect_cli();
		ng_cli_poll(1); /* accepted in this order */
		if (i == 1)
			usleep(20 * 1000);
	}
	for (int i = 0; i < 40; i++)
		ng_cli_poll(5);
	/* the operator: a working session, not "too many CLI sessions" */
	op = connect_cli();
	len = 0;
	buf[0] = '\0';
	if (read_until(op, buf, sizeof(buf), &len, "nodegw> ") != 0)
		print_message("the operator got \"%s\"\n", buf);
	assert_null(strstr(buf, "too many CLI sessions"));
	assert_non_null(strstr(buf, "nodegw> "));
	assert_int_equal(send(op, "echo operator\n", 14, 0), 14);
	assert_int_equal(read_until(op, buf, sizeof(buf), &len, "[operator]\r\nnodegw> "), 0);
	/* the untyped session idle longest was told why and closed */
	len = 0;
	buf[0] = '\0';
	assert_int_equal(read_eof(fds[1], buf, sizeof(buf), &len), 0);
	assert_non_null(strstr(buf, "% CLI full: closing this session, idle longest without "
				    "typing anything\r\n"));
	/* the session that typed is still served */
	len = 0;
	buf[0] = '\0';
	assert_int_equal(send(fds[0], "echo still\n", 11, 0), 11);
	assert_int_equal(read_until(fds[0], buf, sizeof(buf), &len, "[still]\r\nnodegw> "), 0);
	assert_non_null(strstr(show_cli(op), "\"closed_for_room\":1,\"refused\":0,"));
	for (int i = 0; i < NG_CLI_MAX_SESS; i++)
		close(fds[i]);
	close(op);
	ng_cli_fini();
}

/* Send a line and read up to want. */
static void
say(int fd, const char *line, const char *want)
{
	char buf[8192] = "";
	size_t len = 0;

	assert_int_equal(send(fd, line, strlen(line), 0), (ssize_t)strlen(line));
	if (read_until(fd, buf, sizeof(buf), &len, want) != 0)
		print_message("after \"%s\": \"%s\" without \"%s\"\n", line, buf, want);
	assert_non_null(strstr(buf, want));
}

/* Ask `show cli json` on fd: the raw reply. */
static const char *
show_cli(int fd)
{
	static char buf[16384];
	size_t len = 0;

	buf[0] = '\0';
	assert_int_equal(send(fd, "show cli json\n", 14, 0), 14);
	assert_int_equal(read_until(fd, buf, sizeof(buf), &len, "}\r\nnodegw> "), 0);
	return buf;
}

/* A session that sends nothing for the idle timeout is told so and closed. */
static void
idle_timeout(void **state)
{
	char err[256] = "";
	char buf[8192] = "";
	size_t len = 0;
	uint64_t t0, waited;
	int quiet, busy;

	(void)state;
	assert_int_equal(ng_cli_idle_timeout(), NG_CLI_IDLE_TIMEOUT_DEF);
	assert_int_equal(ng_cli_set_idle_timeout(NG_CLI_IDLE_TIMEOUT_MAX + 1), -EINVAL);
	assert_int_equal(ng_cli_idle_timeout(), NG_CLI_IDLE_TIMEOUT_DEF);
	assert_int_equal(ng_cli_set_idle_timeout(1), 0);
	assert_int_equal(ng_cli_init("127.0.0.1", 0, err, sizeof(err)), 0);
	t0 = cli_now_ms();
	quiet = connect_cli();
	busy = connect_cli();
	assert_int_equal(read_until(quiet, buf, sizeof(buf), &len, "nodegw> "), 0);
	say(busy, "echo b\n", "[b]\r\nnodegw> ");
	/* busy types every 200 ms and stays; quiet says nothing and goes */
	len = 0;
	buf[0] = '\0';
	for (int i = 0; i < 15; i++) {
		say(busy, "echo b\n", "[b]\r\nnodegw> ");
		if (read_eof(quiet, buf, sizeof(buf), &len) == 0) /* polls 400 x 5 ms at most */
			break;
	}
	waited = cli_now_ms() - t0;
	assert_non_null(strstr(buf,
		"\r\n% idle for 1 s (cli.idle_timeout_s): closing the session\r\n"));
	assert_true(waited >= 1000 && waited < 4000);
	close(quiet); /* the server closes its side on our EOF */
	for (int i = 0; i < 10; i++)
		ng_cli_poll(2);
	/* show cli: the timeout, the one left, the one timed out */
	assert_non_null(strstr(show_cli(busy), "\"idle_timeout_s\":1,"));
	assert_non_null(strstr(show_cli(busy), "\"timed_out\":1,"));
	assert_null(strstr(show_cli(busy), "},{")); /* one session */
	/* 0 turns it off */
	assert_int_equal(ng_cli_set_idle_timeout(0), 0);
	assert_non_null(strstr(show_cli(busy), "\"idle_timeout_s\":0,"));
	close(busy);
	ng_cli_fini();
	assert_int_equal(ng_cli_idle_timeout(), NG_CLI_IDLE_TIMEOUT_DEF);
}

/* show cli: every session with its client, mode, age, idle time; this one marked. */
static void
show_cli_sessions(void **state)
{
	char err[256] = "";
	char buf[8192] = "";
	char want[256];
	size_t len = 0;
	struct sockaddr_in me;
	socklen_t sl = sizeof(me);
	int a, b;

	(void)state;
	assert_int_equal(ng_cli_init("127.0.0.1", 0, err, sizeof(err)), 0);
	a = connect_cli();
	assert_int_equal(read_until(a, buf, sizeof(buf), &len, "nodegw> "), 0);
	b = connect_cli();
	len = 0;
	buf[0] = '\0';
	assert_int_equal(read_until(b, buf, sizeof(buf), &len, "nodegw> "), 0);
	usleep(1100 * 1000); /* both idle for a second */
	say(a, "show cli\n", "nodegw> ");
	len = 0;
	buf[0] = '\0';
	assert_int_equal(send(a, "show cli\n", 9, 0), 9);
	assert_int_equal(read_until(a, buf, sizeof(buf), &len, "\r\nnodegw> "), 0);
	assert_non_null(strstr(buf, "sessions 2 of 128; idle timeout 600 s; closed for room 0, "
				    "refused 0, timed out 0\r\n"));
	assert_non_null(strstr(buf, "    id  client"));
	assert_non_null(strstr(buf, "age_s    idle_s  typed     lines\r\n"));
	assert_int_equal(getsockname(a, (struct sockaddr *)&me, &sl), 0);
	snprintf(want, sizeof(want), "     1  127.0.0.1:%-5u  line", ntohs(me.sin_port));
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, "yes         2  (this session)\r\n"));
	/* b: silent, so its idle time is its age; it never typed */
	assert_non_null(strstr(buf, "new                 1         1     no         0\r\n"));
	/* json */
	assert_non_null(strstr(show_cli(a), "\"max_sessions\":128,"));
	assert_non_null(strstr(show_cli(a), "\"id\":1,"));
	assert_non_null(strstr(show_cli(a), "\"mode\":\"line\",\"age_s\":1,"));
	assert_non_null(strstr(show_cli(a), "\"typed\":false,\"lines\":0,\"self\":false}"));
	assert_non_null(strstr(show_cli(a), "\"lines\":7,\"self\":true}"));
	say(a, "show cli extra\n", "% show cli: unexpected argument \"extra\"\r\n");
	close(a);
	close(b);
	ng_cli_fini();
}

/* Batch mode: no banner or prompt, LF line ends, each reply ends in NUL, status, LF. */
static void
batch_mode(void **state)
{
	static char line[NG_CLI_LINE_MAX + 16];
	struct ng_cli_sess *s = sess_new();
	size_t len;
	const char *o;

	(void)state;
	FEED(s, NG_CLI_BATCH_REQUEST "\n");
	o = cli_sess_output(s, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(o, "\0" "0\n", 3);
	cli_sess_output_clear(s);
	FEED(s, "echo a \"b c\"\r\n");
	o = cli_sess_output(s, &len);
	assert_int_equal(len, 12);
	assert_memory_equal(o, "[a][b c]\n\0" "0\n", 12);
	cli_sess_output_clear(s);
	FEED(s, "fail v\n");
	o = cli_sess_output(s, &len);
	assert_memory_equal(o, "% fail: bad value \"v\"\n\0" "1\n", len);
	assert_int_equal(len, 25);
	cli_sess_output_clear(s);
	FEED(s, "nonl\n"); /* the status starts a line */
	o = cli_sess_output(s, &len);
	assert_int_equal(len, 15);
	assert_memory_equal(o, "no line end\n\0" "0\n", 15);
	cli_sess_output_clear(s);
	FEED(s, "\n"); /* an empty line: a reply of its own */
	o = cli_sess_output(s, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(o, "\0" "0\n", 3);
	cli_sess_output_clear(s);
	FEED(s, "show ?\n");
	o = cli_sess_output(s, &len);
	assert_true(len > 3 && memcmp(o + len - 3, "\0" "0\n", 3) == 0);
	assert_non_null(strstr(o, "  stats     Show counters\n"));
	assert_null(strstr(o, "\r"));
	cli_sess_output_clear(s);
	/* a NUL in a command's output is dropped, so it can only end a reply */
	ng_cli_printf(s, "x%cy\n", 0);
	o = cli_sess_output(s, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(o, "xy\n", 3);
	cli_sess_output_clear(s);
	/* 0xff is data, not telnet */
	FEED(s, "echo \xff\n");
	o = cli_sess_output(s, &len);
	assert_memory_equal(o, "[\xff]\n\0" "0\n", len);
	cli_sess_output_clear(s);
	memset(line, 'x', sizeof(line));
	feed(s, line, NG_CLI_LINE_MAX + 1);
	FEED(s, "\n");
	o = cli_sess_output(s, &len);
	assert_memory_equal(o, "% line too long (max 4096)\n\0" "1\n", len);
	cli_sess_output_clear(s);
	/* quit: its status, then the session closes */
	FEED(s, "quit\necho no\n");
	o = cli_sess_output(s, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(o, "\0" "0\n", 3);
	assert_true(s->closing);
	assert_int_equal(ncalls, 4); /* echo, fail, nonl, echo */
	cli_sess_free(s);
	/* only as the first line: later it is an unknown command */
	s = sess_new();
	FEED(s, "echo 1\n" NG_CLI_BATCH_REQUEST "\n");
	assert_string_equal(take(s), "[1]\r\nnodegw> % unknown command \"@batch\"; try help\r\n"
				     "nodegw> ");
	cli_sess_free(s);
}

/* Serve and receive exactly n bytes (binary: batch replies hold NUL), no more. */
static void
recv_bytes(int fd, char *buf, size_t n)
{
	size_t len = 0;

	for (int i = 0; i < 200 && len < n; i++) {
		ssize_t r;

		ng_cli_poll(5);
		r = recv(fd, buf + len, n - len, MSG_DONTWAIT);
		if (r > 0)
			len += (size_t)r;
	}
	assert_int_equal(len, n);
	ng_cli_poll(20);
	assert_int_equal(recv(fd, buf + n, 1, MSG_DONTWAIT), -1); /* nothing more */
}

/*
 * A client that speaks first gets no telnet byte: line mode, greeted at its
 * first line end; its first line may ask for batch mode, then it gets nothing
 * but framed replies.
 */
static void
first_line_sockets(void **state)
{
	char err[256] = "";
	char buf[8192] = "";
	size_t len = 0;
	int fd;

	(void)state;
	assert_int_equal(ng_cli_init("127.0.0.1", 0, err, sizeof(err)), 0);
	fd = connect_cli();
	assert_int_equal(send(fd, "echo hi\n", 8, 0), 8);
	assert_int_equal(read_until(fd, buf, sizeof(buf), &len, "[hi]\r\nnodegw> "), 0);
	assert_string_equal(buf, "nodegw CLI; type help or ?\r\nnodegw> [hi]\r\nnodegw> ");
	close(fd);
	fd = connect_cli();
	len = 0;
	buf[0] = '\0';
	assert_int_equal(send(fd, "@batch\necho a\nfail\n", 19, 0), 19);
	{
		static const char want[] = "\0" "0\n[a]\n\0" "0\n% fail: bad value \"\"\n\0" "1\n";

		recv_bytes(fd, buf, sizeof(want) - 1);
		assert_memory_equal(buf, want, sizeof(want) - 1);
	}
	close(fd);
	/* slow to ask (greeted as a silent client first): the request still counts */
	fd = connect_cli();
	len = 0;
	buf[0] = '\0';
	assert_int_equal(read_until(fd, buf, sizeof(buf), &len, "nodegw> "), 0);
	assert_memory_equal(buf, BANNER, sizeof(BANNER) - 1);
	len = 0;
	assert_int_equal(send(fd, "@batch\necho b\n", 14, 0), 14);
	recv_bytes(fd, buf, 10);
	assert_memory_equal(buf, "\0" "0\n[b]\n\0" "0\n", 10);
	close(fd);
	ng_cli_fini();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(register_errors),
		T(split_words),
		T(match_commands),
		T(json_flag),
		T(error_wording),
		T(help_output),
		T(telnet_negotiation),
		T(line_mode_client),
		T(line_ends),
		T(long_lines),
		T(editor_keys),
		T(history),
		T(tab_completion),
		T(question_mark),
		T(output_limit),
		T(fuzz),
		T(server_socket),
		T(lockout),
		T(idle_timeout),
		T(show_cli_sessions),
		T(batch_mode),
		T(first_line_sockets),
#undef T
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
