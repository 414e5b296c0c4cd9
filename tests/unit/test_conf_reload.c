/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of what makes a reload safe (lib/conf/conf_include.c and
 * conf_child.c): every @include must name a regular file, found with
 * libconfig's own scanner rules (a directory made libconfig call exit());
 * and ng_conf_load_isolated() parses in a child, returns exactly what
 * ng_conf_load() returns, and turns a child that dies, hangs or answers
 * garbage into a refusal, with the caller's heap unchanged.
 */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Before cmocka.h, whose fail() macro would rename the loader's fail(). */
#include "conf.h"
#include "conf_priv.h"

#include <cmocka.h>

#include <libconfig.h>
#include <rte_log.h>

#if defined(__SANITIZE_ADDRESS__)
#define NG_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NG_TEST_ASAN 1
#endif
#endif

/* Refused loads in test_refused_no_growth: the heap is measured only
 * without ASan, whose forks are slow; with it the loop only looks for errors. */
#ifdef NG_TEST_ASAN
#define N_REFUSED 20
#else
#define N_REFUSED 300
#endif

static char tmpdir[256];

/* One valid port, on lines 1-3. */
#define PORT1 \
	"ports = (\n" \
	"  { name = \"a\"; devargs = \"net_null0\"; addresses = [\"198.18.0.1/24\"]; }\n" \
	");\n"

/* tmpdir/name, into buf. */
static const char *
tpath(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
	return buf;
}

static void __attribute__((format(printf, 2, 3)))
put_file(const char *name, const char *fmt, ...)
{
	char path[512];
	FILE *f = fopen(tpath(path, sizeof(path), name), "w");
	va_list ap;

	assert_non_null(f);
	va_start(ap, fmt);
	assert_true(vfprintf(f, fmt, ap) >= 0);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

/*
 * Load tmpdir/name both ways and check both refuse it with the same errno and
 * a message that starts with want_prefix and contains want_msg.
 */
static void
expect_refused(const char *name, const char *want_prefix, const char *want_msg)
{
	char path[512], err[NG_ERRBUF] = "", err2[NG_ERRBUF] = "";
	struct ng_conf *c;
	int e;

	tpath(path, sizeof(path), name);
	errno = 0;
	c = ng_conf_load(path, err, sizeof(err));
	e = errno;
	if (c != NULL || strncmp(err, want_prefix, strlen(want_prefix)) != 0 ||
			strstr(err, want_msg) == NULL)
		fail_msg("%s: want \"%s...%s...\", got \"%s\"", name, want_prefix, want_msg, err);
	assert_int_equal(e, EINVAL);
	errno = 0;
	c = ng_conf_load_isolated(path, err2, sizeof(err2));
	assert_null(c);
	assert_int_equal(errno, e);
	assert_string_equal(err2, err);
}

/* ---- @include ---- */

/* A directory named by @include is refused with the @include's FILE:LINE
 * (before the fix, libconfig's scanner called exit(2) on it). */
static void
test_include_dir(void **state)
{
	char d[512], want[1100], msg[600];

	(void)state;
	tpath(d, sizeof(d), "inc.d");
	assert_int_equal(mkdir(d, 0700), 0);
	put_file("dir.conf", PORT1 "# the services\n@include \"%s\"\n", d);
	snprintf(want, sizeof(want), "%s/dir.conf:5: ", tmpdir);
	snprintf(msg, sizeof(msg), "@include \"%s\" is a directory; include files one by one",
		d);
	expect_refused("dir.conf", want, msg);

	/* nested: a regular file that includes the directory, indented */
	put_file("mid.conf", "log_level = \"info\";\n  \t@include \"%s\"\n", d);
	put_file("outer.conf", PORT1 "@include \"%s/mid.conf\"\n", tmpdir);
	snprintf(want, sizeof(want), "%s/mid.conf:2: ", tmpdir);
	expect_refused("outer.conf", want, msg);
	rmdir(d);
}

/* A FIFO, a missing file and a device are refused at once, naming the line. */
static void
test_include_not_regular(void **state)
{
	char fifo[512], want[600];
	struct timespec t0, t1;

	(void)state;
	tpath(fifo, sizeof(fifo), "inc.fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	put_file("fifo.conf", PORT1 "@include \"%s\"\n", fifo);
	snprintf(want, sizeof(want), "%s/fifo.conf:4: ", tmpdir);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_refused("fifo.conf", want, "inc.fifo\" is not a regular file");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5); /* not blocked opening it */
	unlink(fifo);

	put_file("missing.conf", PORT1 "\n\n@include \"%s/nope.conf\"\n", tmpdir);
	snprintf(want, sizeof(want), "%s/missing.conf:6: ", tmpdir);
	expect_refused("missing.conf", want, "nope.conf\": cannot read: No such file or directory");

	put_file("dev.conf", "@include \"/dev/zero\"\n" PORT1);
	snprintf(want, sizeof(want), "%s/dev.conf:1: ", tmpdir);
	expect_refused("dev.conf", want, "@include \"/dev/zero\" is not a regular file");
}

/*
 * The scan follows libconfig's scanner: an @include in a comment or a string,
 * or not at the start of a line, is no include; lines are counted through
 * multi-line strings and comments; escapes in the name are undone.
 */
static void
test_include_scanner_rules(void **state)
{
	char d[512], q[512], want[1100];

	(void)state;
	tpath(d, sizeof(d), "hid.d");
	assert_int_equal(mkdir(d, 0700), 0);
	tpath(q, sizeof(q), "q\"d");
	assert_int_equal(mkdir(q, 0700), 0);
	/* None of these is an include: the file fails later, on log_level. */
	put_file("hidden.conf", PORT1
		"/* a comment\n@include \"%s\"\n*/\n"
		"# @include \"%s\"\n"
		"// @include \"%s\"\n"
		"log_level = 1; @include \"%s\"\n"
		"log_level = \"x\n@include \\\"%s\\\"\";\n",
		d, d, d, d, d);
	snprintf(want, sizeof(want), "%s/hidden.conf:", tmpdir);
	expect_refused("hidden.conf", want, "syntax error");
	put_file("hidden2.conf", PORT1
		"/* a comment\n@include \"%s\"\n*/\n"
		"# @include \"%s\"\n"
		"// @include \"%s\"\n"
		"log_level = \"x\n@include \\\"%s\\\"\";\n",
		d, d, d, d);
	snprintf(want, sizeof(want), "%s/hidden2.conf:", tmpdir);
	expect_refused("hidden2.conf", want, "is not a level");

	/* A real include of a directory whose quote is escaped in the name, after
	 * a comment and a string over two lines each: refused on line 10. */
	put_file("escaped.conf", PORT1
		"/* a comment\n@include \"%s\"\n*/\n"
		"# x\n"
		"s = \"two\nlines\";\n"
		"@include \"%s/q\\\"d\"\n",
		d, tmpdir);
	snprintf(want, sizeof(want), "%s/escaped.conf:10: @include \"%s\" is a directory", tmpdir,
		q);
	expect_refused("escaped.conf", want, "");
	rmdir(d);
	rmdir(q);
}

/* Includes of regular files load; a self-include stops at libconfig's depth. */
static void
test_include_ok(void **state)
{
	char path[512], cwd[1024], err[NG_ERRBUF] = "";
	struct ng_conf *c;

	(void)state;
	put_file("svc.inc", "services = ( { name = \"web\"; protocol = \"tcp\"; port = 80; "
		"vips = [\"198.18.100.10\"]; } );\n");
	put_file("main.conf", PORT1 "@include \"%s/svc.inc\"\nlog_level = \"debug\";\n", tmpdir);
	c = ng_conf_load_isolated(tpath(path, sizeof(path), "main.conf"), err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->n_services, 1);
	assert_string_equal(c->services[0].name, "web");
	assert_int_equal(c->log_level, RTE_LOG_DEBUG);
	ng_conf_free(c);

	/* a relative name is opened from the working directory (libconfig 1.5) */
	put_file("rel.conf", PORT1 "@include \"svc.inc\"\n");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);
	c = ng_conf_load_isolated(tpath(path, sizeof(path), "rel.conf"), err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->n_services, 1);
	ng_conf_free(c);
	assert_int_equal(chdir(cwd), 0);

	put_file("self.conf", "@include \"%s/self.conf\"\n", tmpdir);
	expect_refused("self.conf", "", "include file nesting too deep");
}

/* ---- the child ---- */

/* a and b hold the same config (their arrays compared by content). */
static void
assert_conf_equal(const struct ng_conf *a, const struct ng_conf *b)
{
	struct ng_conf x = *a, y = *b;

	/* Every pointer the loader allocates is cleared before the structs are
	 * compared whole, so a new heap field shows up as the child's pointer. */
	x.routes = y.routes = NULL;
	x.neighbours = y.neighbours = NULL;
	x.services = y.services = NULL;
	assert_memory_equal(&x, &y, sizeof(x));
	if (a->n_routes > 0)
		assert_memory_equal(a->routes, b->routes, sizeof(*a->routes) * a->n_routes);
	if (a->n_neighbours > 0)
		assert_memory_equal(a->neighbours, b->neighbours,
			sizeof(*a->neighbours) * a->n_neighbours);
	for (unsigned int i = 0; i < a->n_services; i++) {
		struct ng_conf_service s = a->services[i], t = b->services[i];

		s.vips = t.vips = NULL;
		s.backends = t.backends = NULL;
		s.src_ranges = t.src_ranges = NULL;
		assert_memory_equal(&s, &t, sizeof(s));
		if (s.n_vips > 0)
			assert_memory_equal(a->services[i].vips, b->services[i].vips,
				sizeof(*s.vips) * s.n_vips);
		if (s.n_backends > 0)
			assert_memory_equal(a->services[i].backends, b->services[i].backends,
				sizeof(*s.backends) * s.n_backends);
		if (s.n_src_ranges > 0)
			assert_memory_equal(a->services[i].src_ranges, b->services[i].src_ranges,
				sizeof(*s.src_ranges) * s.n_src_ranges);
	}
}

static void
same_both_ways(const char *path)
{
	char err[NG_ERRBUF] = "";
	struct ng_conf *a = ng_conf_load(path, err, sizeof(err)), *b;

	if (a == NULL)
		fail_msg("%s: %s", path, err);
	b = ng_conf_load_isolated(path, err, sizeof(err));
	if (b == NULL)
		fail_msg("%s (isolated): %s", path, err);
	assert_conf_equal(a, b);
	ng_conf_free(a);
	ng_conf_free(b);
}

/* path loads the same in-process, in a child forked here, and through the helper. */
static void
same_three_ways(const char *path)
{
	same_both_ways(path);
	assert_int_equal(ng_conf_helper_start(), 0);
	same_both_ways(path);
	ng_conf_helper_stop();
}

/*
 * Every key of every section, none at its default (where it has one), so that
 * a field the child left out or sent wrong differs: services with source
 * ranges, ports with kernel twins, probes, node_port_addresses, cli's idle
 * timeout, the Kubernetes watcher with every setting.
 */
static const char every_key_conf[] =
	"log_level = \"debug\";\n"
	"forwarding = false;\n"
	"workers = { lcores = [1, 3]; burst = 64; idle_sleep_us = 50; idle_polls = 128; };\n"
	"mempool = { mbufs = 16384; cache = 128; };\n"
	"arp = { reachable_s = 60; retry_ms = 500; retries = 5; pending_max = 8; "
	"max_entries = 2048; };\n"
	"icmp = { rate_pps = 50; fragment = false; };\n"
	"reassembly = { enabled = false; max_datagrams = 512; max_fragments = 32; max_held = 2048; "
	"timeout_ms = 5000; };\n"
	"cli = { address = \"127.0.0.2\"; port = 8024; idle_timeout_s = 30; };\n"
	"ports = (\n"
	"  { name = \"up\"; devargs = \"net_null0\"; addresses = [\"198.18.0.1/24\", "
	"\"198.18.1.1/24\"]; mtu = 9000; rx_queues = 2; rx_desc = 512; tx_desc = 2048;\n"
	"    fullnat_addresses = [\"198.18.1.100\", \"198.18.1.101\"];\n"
	"    kernel = { name = \"ngw-up\"; backend = \"virtio_user\"; addresses = false; "
	"rate_pps = 2000; burst = 64; queue_size = 256; }; },\n"
	"  { name = \"pods\"; devargs = \"net_null1\"; addresses = [\"198.19.0.1/24\"];\n"
	"    kernel = { name = \"ngw-pods\"; backend = \"tap\"; }; }\n"
	");\n"
	"routes = ( { prefix = \"198.20.0.0/16\"; via = \"198.18.0.254\"; port = \"up\"; } );\n"
	"neighbours = ( { address = \"198.18.0.254\"; mac = \"02:00:00:00:00:fe\"; "
	"port = \"up\"; } );\n"
	"conntrack = { max_entries = 131072; timeouts = { tcp_syn = 20; tcp_established = 1800; "
	"tcp_fin = 60; tcp_time_wait = 60; tcp_close = 5; udp = 120; udp_unreplied = 12; }; };\n"
	"nat = { port_min = 40000; port_max = 61000; };\n"
	"services = (\n"
	"  { name = \"web\"; protocol = \"tcp\"; port = 80; vips = [\"198.18.100.10\", "
	"\"198.18.100.11\"]; node_port = 30080; scheduler = \"wrr\"; mode = \"dnat\";\n"
	"    affinity = \"client-ip\"; affinity_timeout = 600;\n"
	"    timeouts = { tcp_syn = 10; tcp_established = 3600; tcp_fin = 30; tcp_time_wait = 30; "
	"tcp_close = 3; };\n"
	"    backends = ( { address = \"198.19.0.10\"; port = 8080; weight = 3; },\n"
	"      { address = \"198.20.0.7\"; port = 8081; weight = 0; } );\n"
	"    source_ranges = [\"10.1.2.3/8\", \"192.0.2.0/24\", \"198.51.100.7/32\"]; },\n"
	"  { name = \"dns\"; protocol = \"udp\"; port = 53; vips = [\"198.18.100.53\"]; "
	"timeouts = { udp = 20; udp_unreplied = 9; };\n"
	"    backends = ( { address = \"198.19.0.53\"; port = 5353; } ); }\n"
	");\n"
	"kubernetes = { enabled = false; server = \"https://198.18.0.100:6443\"; "
	"token_file = \"/t\"; ca_file = \"/ca.crt\";\n"
	"  client_cert = \"/c.pem\"; client_key = \"/k.pem\"; insecure_skip_tls_verify = true; "
	"node_name = \"node-a\";\n"
	"  watch_timeout_s = 30; page_size = 50; backoff_ms = 100; backoff_max_ms = 2000; "
	"token_reread_s = 5; };\n"
	"probes = { healthz_bind_address = \"198.18.0.1:10257\"; metrics_bind_address = "
	"\"[::1]:0\";\n"
	"  health_check_address = \"198.19.0.1\"; stale_after_ms = 700; };\n"
	"node_port_addresses = [\"198.19.0.0/16\", \"primary\"];\n"
	"bgp = { bird_socket = \"/run/b.ctl\"; routes_file = \"/run/b-vips.conf\"; "
	"protocol = \"ngw\"; interface = \"ngw-vips\";\n"
	"  announce = [\"loadbalancer\", \"external\"]; service_cidrs = [\"198.19.128.0/17\"]; "
	"stop_wait_ms = 1500; timeout_ms = 900; retry_ms = 700; };\n";

/* Where every_key_conf has groups, as libconfig paths ("" is the root); a key
 * of the group may be in the second one instead (a service's timeouts for its
 * protocol only). */
static const char *const every_key_groups[][2] = {{""}, {"workers"}, {"mempool"}, {"arp"},
	{"icmp"}, {"reassembly"}, {"cli"}, {"ports.[0]"}, {"ports.[0].kernel"}, {"routes.[0]"},
	{"neighbours.[0]"}, {"conntrack"}, {"conntrack.timeouts"}, {"nat"}, {"services.[0]"},
	{"services.[0].timeouts", "services.[1].timeouts"}, {"services.[0].backends.[0]"},
	{"kubernetes"}, {"probes"}, {"bgp"}};

/*
 * Group where of the config at path (or group also, when not NULL) sets every
 * key the loader knows there: the loader, shown one unknown key in that group,
 * lists the known ones.
 */
static void
assert_every_key(const char *path, const char *where, const char *also)
{
	char probe[512], err[NG_ERRBUF] = "", *keys, *save = NULL;
	static const char intro[] = "unknown key \"zz_no_such_key\" (known keys: ";
	config_setting_t *g, *g2;
	struct ng_conf *c;
	const char *list;
	size_t n;
	config_t cfg;

	config_init(&cfg);
	assert_int_equal(config_read_file(&cfg, path), CONFIG_TRUE);
	g = where[0] != '\0' ? config_lookup(&cfg, where) : config_root_setting(&cfg);
	if (g == NULL || !config_setting_is_group(g))
		fail_msg("%s: no group %s", path, where);
	g2 = also != NULL ? config_lookup(&cfg, also) : NULL;
	assert_non_null(config_setting_add(g, "zz_no_such_key", CONFIG_TYPE_INT));
	assert_int_equal(config_write_file(&cfg, tpath(probe, sizeof(probe), "probe.conf")),
		CONFIG_TRUE);
	c = ng_conf_load(probe, err, sizeof(err));
	assert_null(c);
	list = strstr(err, intro);
	if (list == NULL)
		fail_msg("group \"%s\": the loader did not list its keys: %s", where, err);
	list += strlen(intro);
	n = strlen(list);
	/* check_keys() lists at most 255 characters; a full list could be cut. */
	if (n < 1 || list[n - 1] != ')' || n > 200)
		fail_msg("group \"%s\": list of keys cut or malformed: %s", where, list);
	keys = strndup(list, n - 1);
	assert_non_null(keys);
	for (char *k = strtok_r(keys, ", ", &save); k != NULL; k = strtok_r(NULL, ", ", &save))
		if (config_setting_get_member(g, k) == NULL &&
				(g2 == NULL || config_setting_get_member(g2, k) == NULL))
			fail_msg("group \"%s\": key %s is not in every_key_conf: add it, with a "
				"value other than its default", where, k);
	free(keys);
	config_destroy(&cfg);
}

/* The child sends back exactly what ng_conf_load() builds, arrays included,
 * for a config with every key, the configs of config/, and one far larger
 * than a pipe's buffer, forked directly and through the helper. */
static void
test_isolated_same(void **state)
{
	static const char *const shipped[] = {"example.conf", "demo.conf", "minimal.conf",
		"services.conf"};
	const char *src = getenv("NG_SRCDIR");
	char path[512];
	FILE *f;

	(void)state;
	put_file("every.conf", "%s", every_key_conf);
	tpath(path, sizeof(path), "every.conf");
	for (size_t i = 0; i < sizeof(every_key_groups) / sizeof(every_key_groups[0]); i++)
		assert_every_key(path, every_key_groups[i][0], every_key_groups[i][1]);
	same_three_ways(path);
	for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		snprintf(path, sizeof(path), "%s/config/%s", src != NULL ? src : ".", shipped[i]);
		same_three_ways(path);
	}

	f = fopen(tpath(path, sizeof(path), "big.conf"), "w");
	assert_non_null(f);
	fprintf(f, PORT1 "routes = ( { prefix = \"198.20.0.0/16\"; via = \"198.18.0.254\"; } );\n"
		"neighbours = ( { address = \"198.18.0.254\"; mac = \"02:00:00:00:00:fe\"; } );\n"
		"services = (\n");
	for (unsigned int i = 0; i < 300; i++) {
		fprintf(f, "{ name = \"s%u\"; protocol = \"tcp\"; port = 80; vips = [\"198.21.%u.%u\", "
			"\"198.22.%u.%u\"]; backends = (", i, i / 256, i % 256, i / 256, i % 256);
		for (unsigned int j = 0; j < 40; j++)
			fprintf(f, "%s{ address = \"198.20.%u.%u\"; port = %u; weight = %u; }",
				j ? ", " : "", j, i % 256, 8000 + j, j % 5);
		fprintf(f, "); }%s\n", i + 1 < 300 ? "," : "");
	}
	fprintf(f, ");\n");
	assert_int_equal(fclose(f), 0);
	same_three_ways(path);
}

/*
 * The stream read back whatever pieces the pipe delivers it in: the child's
 * stream for a config with every key, replayed 7 bytes a write.
 */
static void
test_stream_in_pieces(void **state)
{
	char path[512], err[NG_ERRBUF];
	size_t n = 0, cap = 1 << 20;
	char *buf = malloc(cap);
	struct ng_conf *a, *b;
	int p[2], q[2], cerr = 0, rc;
	ssize_t r;
	pid_t pid;

	(void)state;
	assert_non_null(buf);
	put_file("pieces.conf", "%s", every_key_conf);
	tpath(path, sizeof(path), "pieces.conf");
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		conf_child_run(p[1], path, ng_conf_load);
	}
	close(p[1]);
	while ((r = read(p[0], buf + n, cap - n)) > 0)
		n += (size_t)r;
	close(p[0]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_true(n > sizeof(struct ng_conf));

	assert_int_equal(pipe(q), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(q[0]);
		for (size_t i = 0; i < n; i += 7)
			if (write(q[1], buf + i, n - i < 7 ? n - i : 7) < 0)
				_exit(1);
		_exit(0);
	}
	close(q[1]);
	b = conf_child_get(q[0], conf_now_ms() + 10000, err, sizeof(err), &cerr, &rc);
	close(q[0]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	if (b == NULL)
		fail_msg("stream in pieces: rc %d", rc);
	a = ng_conf_load(path, err, sizeof(err));
	assert_non_null(a);
	assert_conf_equal(a, b);
	ng_conf_free(a);
	ng_conf_free(b);
	free(buf);
}

/* The helper's children now, from /proc: how many (up to max) into pids. */
static unsigned int
helper_children(pid_t helper, pid_t *pids, unsigned int max)
{
	char path[64];
	unsigned int n = 0;
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)helper, (int)helper);
	f = fopen(path, "r");
	assert_non_null(f);
	while (n < max && fscanf(f, "%d", &pid) == 1)
		pids[n++] = pid;
	fclose(f);
	return n;
}

/* Wait (at most 5 s) until the helper has exactly one child, its parser, and
 * that is not the one named old. */
static pid_t
helper_spare(pid_t helper, pid_t old)
{
	pid_t pids[8];

	for (int i = 0; i < 500; i++) {
		if (helper_children(helper, pids, 8) == 1 && pids[0] != old)
			return pids[0];
		usleep(10000);
	}
	fail_msg("the helper has no spare child (or more than one child)");
	return -1;
}

/* Wait (at most 5 s) until pid has died (a zombie its parent has not reaped). */
static void
wait_zombie(pid_t pid)
{
	char path[64], st[512];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		char *p = NULL;

		if (f != NULL) {
			p = fgets(st, sizeof(st), f);
			fclose(f);
		}
		p = p != NULL ? strrchr(st, ')') : NULL;
		if (f == NULL || (p != NULL && p[1] == ' ' && p[2] == 'Z'))
			return;
		usleep(10000);
	}
	fail_msg("pid %d did not die", (int)pid);
}

/*
 * The helper keeps its parser forked ahead of the requests; the parser stays
 * for the next load after a config, and is replaced after a refusal (libconfig
 * may leak on bad input); loads back to back, accepted and refused, are
 * answered right through one helper (each leaves the helper's report to be
 * read before the next); a parser that died is replaced.
 */
static void
test_helper_spare(void **state)
{
	char good[512], bad[512], err[NG_ERRBUF];
	struct ng_conf *c;
	pid_t helper, s1, s2;

	(void)state;
	put_file("spare.conf", PORT1);
	put_file("spare_bad.conf", PORT1 "routes = ( { prefix = ; } );\n");
	tpath(good, sizeof(good), "spare.conf");
	tpath(bad, sizeof(bad), "spare_bad.conf");
	assert_int_equal(ng_conf_helper_start(), 0);
	helper = ng_conf_helper_pid();
	s1 = helper_spare(helper, -1);
	c = ng_conf_load_isolated(good, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	ng_conf_free(c);
	s2 = helper_spare(helper, -1);
	assert_int_equal(s1, s2); /* it stays for the next */
	c = ng_conf_load_isolated(bad, err, sizeof(err));
	assert_null(c);
	s2 = helper_spare(helper, s1); /* a new one: s1 refused, ended, was reaped */
	assert_int_not_equal(s1, s2);
	assert_int_equal(kill(s1, 0), -1);

	for (int i = 0; i < 20; i++) {
		c = ng_conf_load_isolated(i % 2 ? bad : good, err, sizeof(err));
		if (i % 2 == 0 && c == NULL)
			fail_msg("load %d: %s", i, err);
		if (i % 2 == 1) {
			assert_null(c);
			assert_non_null(strstr(err, "spare_bad.conf:4"));
		}
		ng_conf_free(c);
		assert_int_equal(ng_conf_helper_pid(), helper);
	}

	/* Dead before its request (killed meanwhile, it would be a refusal that
	 * says so, as any child killed while parsing). */
	s1 = helper_spare(helper, -1);
	assert_int_equal(kill(s1, SIGKILL), 0);
	wait_zombie(s1);
	c = ng_conf_load_isolated(good, err, sizeof(err));
	if (c == NULL)
		fail_msg("after the spare was killed: %s", err);
	ng_conf_free(c);
	assert_int_equal(ng_conf_helper_pid(), helper);
	ng_conf_helper_stop();
}

static struct ng_conf *
load_exit2(const char *path, char *err, size_t errlen)
{
	(void)path;
	(void)err;
	(void)errlen;
	_exit(2); /* what flex's YY_FATAL_ERROR does, less the atexit handlers */
}

static struct ng_conf *
load_killed(const char *path, char *err, size_t errlen)
{
	(void)path;
	(void)err;
	(void)errlen;
	raise(SIGKILL);
	return NULL;
}

static struct ng_conf *
load_hang(const char *path, char *err, size_t errlen)
{
	(void)path;
	(void)err;
	(void)errlen;
	for (;;)
		pause();
	return NULL;
}

/* A config with the defaults, for the loaders below (they ignore their
 * arguments: what they return does not come from a file). */
static struct ng_conf *
conf_new(const char *path, char *err, size_t errlen)
{
	struct ng_conf *c = calloc(1, sizeof(*c));

	(void)path;
	(void)err;
	(void)errlen;
	if (c != NULL)
		ng_conf_defaults(c);
	return c;
}

/* A valid config whose counts are over the loader's limits. */
static struct ng_conf *
load_over_limits(const char *path, char *err, size_t errlen)
{
	struct ng_conf *c = conf_new(path, err, errlen);

	if (c == NULL)
		return NULL;
	c->n_routes = NG_MAX_ROUTES + 1;
	c->routes = calloc(c->n_routes, sizeof(*c->routes));
	return c->routes != NULL ? c : NULL;
}

/* A service with more source ranges than the loader takes. */
static struct ng_conf *
load_src_ranges_over(const char *path, char *err, size_t errlen)
{
	struct ng_conf *c = conf_new(path, err, errlen);
	struct ng_conf_service *s;

	if (c == NULL)
		return NULL;
	if ((c->services = s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	c->n_services = 1;
	s->n_src_ranges = NG_MAX_SVC_SRC_RANGES + 1;
	s->src_ranges = calloc(s->n_src_ranges, sizeof(*s->src_ranges));
	return s->src_ranges != NULL ? c : NULL;
}

/*
 * Services each within the loader's limits but over them all together: 65
 * services of NG_MAX_SVC_BACKENDS backends (over NG_MAX_BACKENDS), or 1025 of
 * NG_MAX_SVC_VIPS VIPs (over NG_MAX_FRONTENDS). They share one array.
 */
static bool totals_vips;

static struct ng_conf *
load_totals_over(const char *path, char *err, size_t errlen)
{
	unsigned int n = totals_vips ? NG_MAX_FRONTENDS / NG_MAX_SVC_VIPS + 1 :
		NG_MAX_BACKENDS / NG_MAX_SVC_BACKENDS + 1;
	struct ng_conf *c = conf_new(path, err, errlen);
	struct ng_conf_backend *b = calloc(NG_MAX_SVC_BACKENDS, sizeof(*b));
	struct ng_ip *v = calloc(NG_MAX_SVC_VIPS, sizeof(*v));

	if (c == NULL || b == NULL || v == NULL)
		return NULL;
	if ((c->services = calloc(n, sizeof(*c->services))) == NULL)
		return NULL;
	c->n_services = n;
	for (unsigned int i = 0; i < n; i++) {
		if (totals_vips) {
			c->services[i].vips = v;
			c->services[i].n_vips = NG_MAX_SVC_VIPS;
		} else {
			c->services[i].backends = b;
			c->services[i].n_backends = NG_MAX_SVC_BACKENDS;
		}
	}
	return c;
}

/* Counts inside the struct over the loader's limits: ports, their addresses,
 * node_port_addresses' prefixes and addresses, lcores (one each, by salt). */
static unsigned int inline_over;

static struct ng_conf *
load_inline_over(const char *path, char *err, size_t errlen)
{
	struct ng_conf *c = conf_new(path, err, errlen);

	if (c == NULL)
		return NULL;
	c->n_ports = 1;
	switch (inline_over) {
	case 0:
		c->n_ports = NG_MAX_PORTS + 1;
		break;
	case 1:
		c->ports[0].n_addrs = NG_MAX_PORT_ADDRS + 1;
		break;
	case 2:
		c->nodeport.n_prefixes = NG_MAX_NODEPORT_ADDRS + 1;
		break;
	case 3:
		c->nodeport.n_addrs = NG_MAX_PORTS * NG_MAX_PORT_ADDRS + 1;
		break;
	default:
		c->workers.n_lcores = NG_MAX_WORKERS + 1;
		break;
	}
	return c;
}

/* Load through the helper (started with load for this one call) or by a
 * child forked here. */
static struct ng_conf *
load_via(bool helper, conf_loader_fn load, unsigned int timeout_ms, char *err, size_t errlen)
{
	struct ng_conf *c;
	bool no_helper;
	int e;

	if (!helper)
		return conf_load_child("x.conf", load, timeout_ms, err, errlen);
	assert_int_equal(conf_helper_start(load), 0);
	c = conf_load_helper("x.conf", timeout_ms, err, errlen, &no_helper);
	e = errno;
	assert_false(no_helper);
	assert_true(ng_conf_helper_pid() > 0); /* a failing child leaves the helper be */
	ng_conf_helper_stop();
	errno = e;
	return c;
}

/* A child that exits, is killed, hangs or answers out of bounds is a refusal
 * that says so; the caller (and the helper) carry on. */
static void
child_failures(bool helper)
{
	char err[NG_ERRBUF];
	struct timespec t0, t1;
	struct ng_conf *c;

	errno = 0;
	c = load_via(helper, load_exit2, 5000, err, sizeof(err));
	assert_null(c);
	assert_int_equal(errno, ECHILD);
	assert_string_equal(err, "x.conf: refused: the parser exited with status 2 before it "
		"could report (libconfig exits on a read error)");

	errno = 0;
	c = load_via(helper, load_killed, 5000, err, sizeof(err));
	assert_null(c);
	assert_int_equal(errno, ECHILD);
	assert_non_null(strstr(err, "x.conf: refused: the parser died (signal 9, "));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	c = load_via(helper, load_hang, 300, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_null(c);
	assert_int_equal(errno, ETIMEDOUT);
	assert_string_equal(err, "x.conf: refused: the check did not finish within 300 ms (is "
		"it, or an @include, a FIFO or on a hung file system?)");
	assert_true(t1.tv_sec - t0.tv_sec < 3);

	for (inline_over = 0; inline_over < 9; inline_over++) {
		conf_loader_fn load = inline_over == 5 ? load_over_limits :
			inline_over == 6 ? load_src_ranges_over :
			inline_over >= 7 ? load_totals_over : load_inline_over;

		totals_vips = inline_over == 8;
		errno = 0;
		c = load_via(helper, load, 5000, err, sizeof(err));
		assert_null(c);
		assert_int_equal(errno, ECHILD);
		if (strcmp(err, "x.conf: refused: the parser's answer was malformed") != 0)
			fail_msg("case %u: %s", inline_over, err);
	}
}

static void
test_child_failures(void **state)
{
	(void)state;
	child_failures(false);
	/* no error buffer */
	errno = 0;
	assert_null(ng_conf_load_isolated(NULL, NULL, 0));
	assert_int_equal(errno, EINVAL);
}

static void
test_helper_failures(void **state)
{
	(void)state;
	child_failures(true);
}

/*
 * The helper ignores the signals meant for the gateway's process group, ends
 * when stopped, and when it is gone (killed) the next load forks the caller
 * instead and still works.
 */
static void
test_helper_lifecycle(void **state)
{
	char path[512], err[NG_ERRBUF];
	struct ng_conf *c;
	pid_t pid;

	(void)state;
	put_file("life.conf", PORT1);
	tpath(path, sizeof(path), "life.conf");
	assert_int_equal(ng_conf_helper_pid(), -1);
	assert_int_equal(ng_conf_helper_start(), 0);
	pid = ng_conf_helper_pid();
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGHUP), 0);
	assert_int_equal(kill(pid, SIGINT), 0);
	assert_int_equal(kill(pid, SIGTERM), 0);
	c = ng_conf_load_isolated(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	ng_conf_free(c);
	assert_int_equal(ng_conf_helper_pid(), pid);

	ng_conf_helper_stop();
	assert_int_equal(ng_conf_helper_pid(), -1);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);

	assert_int_equal(ng_conf_helper_start(), 0);
	pid = ng_conf_helper_pid();
	assert_int_equal(kill(pid, SIGKILL), 0);
	c = ng_conf_load_isolated(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->n_ports, 1);
	ng_conf_free(c);
	assert_int_equal(ng_conf_helper_pid(), -1);
	assert_int_equal(kill(pid, 0), -1); /* reaped, not a zombie */
}

/*
 * libconfig 1.5 leaks the string it holds when a syntax error follows it
 * (here 16 KB per load). Refused through the helper's children 300 times,
 * the caller's heap does not grow. (mallinfo2 counts glibc's heap; ASan has its own.)
 */
static void
test_refused_no_growth(void **state)
{
	char path[512], err[NG_ERRBUF];
	char *big = malloc(16384);
	size_t before, after;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 16383);
	big[16383] = '\0';
	put_file("leak.conf", PORT1 "log_level \"%s\";\n", big);
	free(big);
	tpath(path, sizeof(path), "leak.conf");
	assert_int_equal(ng_conf_helper_start(), 0);
	assert_null(ng_conf_load_isolated(path, err, sizeof(err))); /* warm up */
	assert_non_null(strstr(err, "leak.conf:4: syntax error"));
#ifndef NG_TEST_ASAN
	before = mallinfo2().uordblks;
#endif
	for (unsigned int i = 0; i < N_REFUSED; i++)
		assert_null(ng_conf_load_isolated(path, err, sizeof(err)));
	assert_true(ng_conf_helper_pid() > 0);
	ng_conf_helper_stop();
#ifndef NG_TEST_ASAN
	after = mallinfo2().uordblks;
	print_message("heap in use: %zu bytes before, %zu after %u refused loads\n", before,
		after, N_REFUSED);
	assert_true(after <= before + 4096);
#else
	(void)before;
	(void)after;
#endif
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_include_dir),
		cmocka_unit_test(test_include_not_regular),
		cmocka_unit_test(test_include_scanner_rules),
		cmocka_unit_test(test_include_ok),
		cmocka_unit_test(test_isolated_same),
		cmocka_unit_test(test_child_failures),
		cmocka_unit_test(test_helper_failures),
		cmocka_unit_test(test_helper_lifecycle),
		cmocka_unit_test(test_stream_in_pieces),
		cmocka_unit_test(test_helper_spare),
		cmocka_unit_test(test_refused_no_growth),
	};
	char cmd[600];
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "%s/ng_test_conf_reload.XXXXXX",
		getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = cmocka_run_group_tests_name("conf_reload", tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return rc;
}
