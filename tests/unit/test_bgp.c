/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/bgp's pure parts (bgp_core.h): what is announced and why,
 * the routes file BIRD includes, the client of BIRD's control socket (against
 * a fake BIRD this test plays on a unix socket of its own), and the anchor
 * interface (in a network namespace of a child process; skipped without
 * root). No EAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "bgp_core.h"

/* ---- building services ---- */

#define MAX_FE 4
#define MAX_BE 4

struct tsvc {
	struct ng_svc_spec spec;
	struct ng_frontend fe[MAX_FE];
	struct ng_backend be[MAX_BE];
	struct ng_svc_view view;
};

static struct ng_ip
ip(const char *s)
{
	struct ng_ip a;

	assert_int_equal(ng_ip_parse(s, &a), 0);
	return a;
}

static struct ng_prefix
pfx(const char *s)
{
	struct ng_prefix p;

	assert_int_equal(ng_prefix_parse(s, &p), 0);
	return p;
}

/*
 * A service: vips is a space-separated list of addresses ("" none; "np" adds a
 * NodePort frontend), weights one backend per entry (-1 ends the list).
 */
static void
tsvc_make(struct tsvc *t, const char *name, enum ng_svc_origin origin, const char *vips,
		const int *weights)
{
	char buf[256], *save = NULL;
	unsigned int n = 0;

	memset(t, 0, sizeof(*t));
	snprintf(t->spec.name, sizeof(t->spec.name), "%s", name);
	t->spec.origin = origin;
	t->spec.proto = IPPROTO_TCP;
	snprintf(buf, sizeof(buf), "%s", vips);
	for (char *w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		assert_true(n < MAX_FE);
		if (strcmp(w, "np") == 0)
			t->fe[n++] = (struct ng_frontend){.port = 30080};
		else
			t->fe[n++] = (struct ng_frontend){.addr = ip(w), .port = 80};
	}
	t->view.n_frontends = n;
	n = 0;
	for (const int *w = weights; w != NULL && *w >= 0; w++) {
		assert_true(n < MAX_BE);
		t->be[n] = (struct ng_backend){.addr = ng_ip4(0xc6120a00 + n), .port = 8080,
			.weight = (uint32_t)*w};
		n++;
	}
	t->view.n_backends = n;
	t->view.spec = &t->spec;
	t->view.frontends = t->fe;
	t->view.backends = t->be;
}

static const int ONE[] = {1, -1};
static const int NONE[] = {-1};
static const int ZEROS[] = {0, 0, -1};
static const int MIXED[] = {0, 3, 1, -1};

static const struct ng_bgp_policy POL_DEF = {.announce = NG_BGP_KIND_LB |
	NG_BGP_KIND_EXTERNAL | NG_BGP_KIND_CONFIG};

/* Decide over n services; views are gathered from ts. */
static void
decide(const struct ng_bgp_policy *pol, struct tsvc *ts, unsigned int n, ng_bgp_kind_fn kind,
		void *arg, enum ng_bgp_drain drain, struct ng_bgp_table *out)
{
	struct ng_svc_view v[8];

	assert_true(n <= 8);
	for (unsigned int i = 0; i < n; i++)
		v[i] = ts[i].view;
	assert_int_equal(ng_bgp_decide(pol, v, n, kind, arg, drain, out), 0);
}

static const struct ng_bgp_vip *
find(const struct ng_bgp_table *t, const char *p)
{
	struct ng_prefix x = pfx(p);

	return ng_bgp_table_find(t, &x);
}

/* ---- the decision ---- */

static void
test_usable(void **state)
{
	struct ng_bgp_table t;
	struct tsvc s[4];
	const struct ng_bgp_vip *v;

	(void)state;
	tsvc_make(&s[0], "web", NG_SVC_ORIGIN_LOCAL, "198.19.0.10 198.19.0.11 np", MIXED);
	tsvc_make(&s[1], "empty", NG_SVC_ORIGIN_LOCAL, "198.19.0.12", NONE);
	tsvc_make(&s[2], "zero", NG_SVC_ORIGIN_LOCAL, "198.19.0.13", ZEROS);
	tsvc_make(&s[3], "nofe", NG_SVC_ORIGIN_LOCAL, "np", ONE);
	decide(&POL_DEF, s, 4, NULL, NULL, NG_BGP_DRAIN_NONE, &t);
	/* The NodePort frontends are no VIPs. */
	assert_int_equal(t.n, 4);
	assert_int_equal(t.n_announce, 2);
	v = find(&t, "198.19.0.10/32");
	assert_non_null(v);
	assert_true(v->announce);
	assert_int_equal(v->why, NG_BGP_WHY_USABLE);
	assert_int_equal(v->kind, NG_BGP_KIND_CONFIG);
	assert_string_equal(v->svc, "web");
	assert_int_equal(v->backends, 3);
	assert_int_equal(v->usable_backends, 2);
	assert_true(find(&t, "198.19.0.11/32")->announce);
	v = find(&t, "198.19.0.12/32");
	assert_false(v->announce);
	assert_int_equal(v->why, NG_BGP_WHY_NO_BACKEND);
	assert_string_equal(v->svc, "empty");
	v = find(&t, "198.19.0.13/32");
	assert_false(v->announce);
	assert_int_equal(v->why, NG_BGP_WHY_WEIGHT_ZERO);
	assert_int_equal(v->backends, 2);
	assert_int_equal(v->usable_backends, 0);
	/* Sorted by address. */
	for (unsigned int i = 1; i < t.n; i++)
		assert_true(ng_bgp_prefix_cmp(&t.v[i - 1].pfx, &t.v[i].pfx) < 0);
	ng_bgp_table_free(&t);
}

/* Several services on one address: any usable one announces it; else the most telling reason. */
static void
test_shared_vip(void **state)
{
	struct ng_bgp_table t;
	struct tsvc s[3];
	const struct ng_bgp_vip *v;

	(void)state;
	tsvc_make(&s[0], "a-none", NG_SVC_ORIGIN_LOCAL, "198.19.0.10", NONE);
	tsvc_make(&s[1], "b-zero", NG_SVC_ORIGIN_LOCAL, "198.19.0.10", ZEROS);
	tsvc_make(&s[2], "c-ok", NG_SVC_ORIGIN_LOCAL, "198.19.0.10", ONE);
	decide(&POL_DEF, s, 3, NULL, NULL, NG_BGP_DRAIN_NONE, &t);
	assert_int_equal(t.n, 1);
	v = &t.v[0];
	assert_true(v->announce);
	assert_string_equal(v->svc, "c-ok");
	assert_int_equal(v->n_svcs, 3);
	assert_int_equal(v->n_usable, 1);
	ng_bgp_table_free(&t);

	decide(&POL_DEF, s, 2, NULL, NULL, NG_BGP_DRAIN_NONE, &t);
	v = &t.v[0];
	assert_false(v->announce);
	assert_int_equal(v->why, NG_BGP_WHY_WEIGHT_ZERO);
	assert_string_equal(v->svc, "b-zero");
	ng_bgp_table_free(&t);

	/* One service with the address on two ports counts once. */
	tsvc_make(&s[0], "two-ports", NG_SVC_ORIGIN_LOCAL, "198.19.0.10 198.19.0.10", ONE);
	s[0].fe[1].port = 443;
	decide(&POL_DEF, s, 1, NULL, NULL, NG_BGP_DRAIN_NONE, &t);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.v[0].n_svcs, 1);
	ng_bgp_table_free(&t);
}

/* Kinds Kubernetes knows, by address. */
static uint32_t
kinds_of(const struct ng_ip *a, void *arg)
{
	char buf[NG_IP_STRLEN];

	(void)arg;
	ng_ip_fmt(a, buf, sizeof(buf));
	if (strcmp(buf, "198.19.1.1") == 0)
		return NG_BGP_KIND_LB;
	if (strcmp(buf, "198.19.1.2") == 0)
		return NG_BGP_KIND_EXTERNAL;
	if (strcmp(buf, "198.19.1.3") == 0)
		return NG_BGP_KIND_LB | NG_BGP_KIND_EXTERNAL;
	return 0;
}

static void
test_kinds(void **state)
{
	struct ng_bgp_policy pol = {.announce = NG_BGP_KIND_LB};
	struct ng_bgp_table t;
	struct tsvc s[4];
	const struct ng_bgp_vip *v;

	(void)state;
	tsvc_make(&s[0], "ns/web:http/ext", NG_SVC_ORIGIN_K8S,
		"198.19.1.1 198.19.1.2 198.19.1.3 np", ONE);
	tsvc_make(&s[1], "ns/web:http", NG_SVC_ORIGIN_K8S, "198.19.200.1", ONE);
	/* Unknown to the store: the name says external, or LB for /lb. */
	tsvc_make(&s[2], "ns/new:80/ext", NG_SVC_ORIGIN_K8S, "198.19.1.9", ONE);
	tsvc_make(&s[3], "ns/new:80/lb", NG_SVC_ORIGIN_K8S, "198.19.1.8", ONE);
	decide(&pol, s, 4, kinds_of, NULL, NG_BGP_DRAIN_NONE, &t);
	assert_true(find(&t, "198.19.1.8/32")->announce);
	assert_int_equal(find(&t, "198.19.1.8/32")->kind, NG_BGP_KIND_LB);
	/* The clusterIP is not listed, only counted. */
	assert_int_equal(t.n, 5);
	assert_int_equal(t.cluster_ips, 1);
	assert_null(find(&t, "198.19.200.1/32"));
	v = find(&t, "198.19.1.1/32");
	assert_true(v->announce);
	assert_int_equal(v->kind, NG_BGP_KIND_LB);
	v = find(&t, "198.19.1.2/32");
	assert_false(v->announce);
	assert_int_equal(v->why, NG_BGP_WHY_KIND_OFF);
	assert_int_equal(v->kind, NG_BGP_KIND_EXTERNAL);
	/* LB and external at once: announceable as an LB IP. */
	assert_true(find(&t, "198.19.1.3/32")->announce);
	v = find(&t, "198.19.1.9/32");
	assert_int_equal(v->kind, NG_BGP_KIND_EXTERNAL);
	assert_int_equal(v->why, NG_BGP_WHY_KIND_OFF);
	ng_bgp_table_free(&t);

	/* Config services are of kind config, whatever the store says. */
	tsvc_make(&s[3], "local", NG_SVC_ORIGIN_LOCAL, "198.19.1.2", ONE);
	pol.announce = NG_BGP_KIND_CONFIG;
	decide(&pol, &s[3], 1, kinds_of, NULL, NG_BGP_DRAIN_NONE, &t);
	assert_int_equal(t.v[0].kind, NG_BGP_KIND_CONFIG);
	assert_true(t.v[0].announce);
	ng_bgp_table_free(&t);
}

/* externalTrafficPolicy Local: endpoints only elsewhere (empty_drop) is withdrawn, and says so. */
static void
test_local_policy(void **state)
{
	struct ng_bgp_table t;
	struct tsvc s[2];

	(void)state;
	tsvc_make(&s[0], "ns/loc:80/ext", NG_SVC_ORIGIN_K8S, "198.19.2.1", NONE);
	s[0].spec.empty_drop = true;
	s[0].spec.mode = NG_FWD_DNAT;
	tsvc_make(&s[1], "ns/loc2:80/ext", NG_SVC_ORIGIN_K8S, "198.19.2.2", ONE);
	s[1].spec.mode = NG_FWD_DNAT;
	decide(&POL_DEF, s, 2, NULL, NULL, NG_BGP_DRAIN_NONE, &t);
	assert_false(find(&t, "198.19.2.1/32")->announce);
	assert_int_equal(find(&t, "198.19.2.1/32")->why, NG_BGP_WHY_LOCAL_ELSEWHERE);
	/* A local endpoint (the translation keeps only this node's): announced. */
	assert_true(find(&t, "198.19.2.2/32")->announce);
	ng_bgp_table_free(&t);
}

static void
test_drain(void **state)
{
	struct ng_prefix cidr = pfx("198.19.0.0/16");
	struct ng_bgp_policy pol = POL_DEF;
	struct ng_bgp_table t;
	struct tsvc s[1];

	(void)state;
	pol.cidrs = &cidr;
	pol.n_cidrs = 1;
	tsvc_make(&s[0], "web", NG_SVC_ORIGIN_LOCAL, "198.19.0.10", ONE);
	decide(&pol, s, 1, NULL, NULL, NG_BGP_DRAIN_CLI, &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.n_announce, 0);
	assert_int_equal(find(&t, "198.19.0.10/32")->why, NG_BGP_WHY_DRAINED);
	assert_int_equal(find(&t, "198.19.0.0/16")->why, NG_BGP_WHY_DRAINED);
	/* Drained or not, the service is still usable: show bgp says so. */
	assert_int_equal(find(&t, "198.19.0.10/32")->n_usable, 1);
	ng_bgp_table_free(&t);
	decide(&pol, s, 1, NULL, NULL, NG_BGP_DRAIN_STOP, &t);
	assert_int_equal(t.n_announce, 0);
	assert_int_equal(find(&t, "198.19.0.10/32")->why, NG_BGP_WHY_STOPPING);
	ng_bgp_table_free(&t);
}

static void
test_aggregates(void **state)
{
	struct ng_prefix cidrs[2] = {pfx("198.19.128.0/17"), pfx("2001:db8:5::/112")};
	struct ng_bgp_policy pol = {.announce = 0, .cidrs = cidrs, .n_cidrs = 2};
	struct ng_bgp_table t;
	struct tsvc s[4];
	const struct ng_bgp_vip *v;

	(void)state;
	tsvc_make(&s[0], "ns/a:80", NG_SVC_ORIGIN_K8S, "198.19.200.1", ONE);
	tsvc_make(&s[1], "ns/b:80", NG_SVC_ORIGIN_K8S, "198.19.200.2", NONE);
	tsvc_make(&s[2], "ns/c:80", NG_SVC_ORIGIN_K8S, "2001:db8:5::9", NONE);
	/* Outside every aggregate: counted, never announced. */
	tsvc_make(&s[3], "ns/d:80", NG_SVC_ORIGIN_K8S, "198.19.1.1", ONE);
	decide(&pol, s, 4, NULL, NULL, NG_BGP_DRAIN_NONE, &t);
	assert_int_equal(t.cluster_ips, 4);
	assert_int_equal(t.n, 2);
	v = find(&t, "198.19.128.0/17");
	assert_true(v->aggregate);
	assert_true(v->announce);
	assert_int_equal(v->n_svcs, 2);
	assert_int_equal(v->n_usable, 1);
	v = find(&t, "2001:db8:5::/112");
	assert_false(v->announce);
	assert_int_equal(v->why, NG_BGP_WHY_NO_BACKEND);
	/* IPv4 sorts before IPv6. */
	assert_int_equal(t.v[0].pfx.addr.family, AF_INET);
	ng_bgp_table_free(&t);

	/* The last usable clusterIP goes: the aggregate is withdrawn. */
	s[0].view.n_backends = 0;
	decide(&pol, s, 3, NULL, NULL, NG_BGP_DRAIN_NONE, &t);
	assert_int_equal(t.n_announce, 0);
	ng_bgp_table_free(&t);
}

static void
test_same_routes(void **state)
{
	struct ng_bgp_table a, b;
	struct tsvc s[2];

	(void)state;
	tsvc_make(&s[0], "web", NG_SVC_ORIGIN_LOCAL, "198.19.0.10", ONE);
	tsvc_make(&s[1], "api", NG_SVC_ORIGIN_LOCAL, "198.19.0.11", NONE);
	decide(&POL_DEF, s, 2, NULL, NULL, NG_BGP_DRAIN_NONE, &a);
	/* Another reason to withdraw the same prefix: the same routes. */
	s[1].be[0].weight = 0;
	s[1].view.n_backends = 1;
	decide(&POL_DEF, s, 2, NULL, NULL, NG_BGP_DRAIN_NONE, &b);
	assert_true(ng_bgp_table_same_routes(&a, &b));
	ng_bgp_table_free(&b);
	s[1].be[0].weight = 1;
	decide(&POL_DEF, s, 2, NULL, NULL, NG_BGP_DRAIN_NONE, &b);
	assert_false(ng_bgp_table_same_routes(&a, &b));
	ng_bgp_table_free(&b);
	/* The same count, other prefixes. */
	tsvc_make(&s[0], "web", NG_SVC_ORIGIN_LOCAL, "198.19.0.12", ONE);
	decide(&POL_DEF, s, 1, NULL, NULL, NG_BGP_DRAIN_NONE, &b);
	assert_int_equal(a.n_announce, b.n_announce);
	assert_false(ng_bgp_table_same_routes(&a, &b));
	ng_bgp_table_free(&b);
	ng_bgp_table_free(&a);
	memset(&b, 0, sizeof(b));
	assert_true(ng_bgp_table_same_routes(&a, &b));
	assert_null(ng_bgp_table_find(&a, &(struct ng_prefix){.addr = ip("198.19.0.10"),
		.len = 32}));
	assert_string_equal(ng_bgp_why_id(NG_BGP_WHY_LOCAL_ELSEWHERE), "local_elsewhere");
	assert_string_equal(ng_bgp_why_id(NG_BGP_WHY_MAX), "?");
}

static void
test_ipmap(void **state)
{
	struct ng_bgp_ipmap m = {0};

	(void)state;
	assert_int_equal(ng_bgp_ipmap_get(&m, &(struct ng_ip){.family = AF_INET}), 0);
	/* Past several grows. */
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(ng_bgp_ipmap_or(&m, &(struct ng_ip){.family = AF_INET,
			.v4 = i}, 1u << (i % 3)), 0);
	assert_int_equal(ng_bgp_ipmap_or(&m, &(struct ng_ip){.family = AF_INET, .v4 = 7}, 8), 0);
	assert_int_equal(m.n, 1000);
	assert_int_equal(ng_bgp_ipmap_get(&m, &(struct ng_ip){.family = AF_INET, .v4 = 7}),
		(1u << 1) | 8);
	assert_int_equal(ng_bgp_ipmap_get(&m, &(struct ng_ip){.family = AF_INET, .v4 = 999}),
		1u << 0);
	assert_int_equal(ng_bgp_ipmap_get(&m, &(struct ng_ip){.family = AF_INET, .v4 = 1000}),
		0);
	ng_bgp_ipmap_clear(&m);
	assert_null(m.e);
}

/* 65,536 services, a VIP and a backend each: every one decided, the time printed. */
static void
test_scale(void **state)
{
	enum { N = 65536 };
	struct ng_svc_spec *spec = calloc(N, sizeof(*spec));
	struct ng_frontend *fe = calloc(N, sizeof(*fe));
	struct ng_backend *be = calloc(N, sizeof(*be));
	struct ng_svc_view *v = calloc(N, sizeof(*v));
	struct ng_bgp_table t;
	struct timespec a, b;

	(void)state;
	assert_true(spec != NULL && fe != NULL && be != NULL && v != NULL);
	for (uint32_t i = 0; i < N; i++) {
		snprintf(spec[i].name, sizeof(spec[i].name), "s%u", i);
		fe[i] = (struct ng_frontend){.addr = ng_ip4(0xc6130000 + i), .port = 80};
		be[i] = (struct ng_backend){.addr = ng_ip4(0xc6120a00), .port = 80,
			.weight = i % 2};
		v[i] = (struct ng_svc_view){.spec = &spec[i], .n_frontends = 1, .frontends = &fe[i],
			.n_backends = 1, .backends = &be[i]};
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(ng_bgp_decide(&POL_DEF, v, N, NULL, NULL, NG_BGP_DRAIN_NONE, &t), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	print_message("decided %d services in %.1f ms\n", N,
		(double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
	assert_int_equal(t.n, N);
	assert_int_equal(t.n_announce, N / 2);
	ng_bgp_table_free(&t);
	free(spec);
	free(fe);
	free(be);
	free(v);
}

/* ---- the routes file ---- */

static void
test_routes_file(void **state)
{
	static const char want[] =
		"# Written by nodegw (bgp.routes_file) for BIRD's \"include\"; nodegw\n"
		"# rewrites it and asks BIRD to \"configure\" whenever what it announces\n"
		"# changes. Do not edit. 3 prefixes announced.\n"
		"protocol static gw4 {\n\tipv4;\n"
		"\troute 198.19.0.0/16 via \"vips0\";\n"
		"\troute 198.19.0.10/32 via \"vips0\";\n}\n"
		"protocol static gw6 {\n\tipv6;\n"
		"\troute 2001:db8::10/128 via \"vips0\";\n}\n";
	struct ng_prefix cidr = pfx("198.19.0.0/16");
	struct ng_bgp_policy pol = POL_DEF;
	char dir[] = "/tmp/test_bgp.XXXXXX", path[256], buf[1024], err[512];
	struct ng_bgp_table t;
	struct tsvc s[3];
	FILE *f;
	size_t n;

	(void)state;
	pol.cidrs = &cidr;
	pol.n_cidrs = 1;
	tsvc_make(&s[0], "web", NG_SVC_ORIGIN_LOCAL, "198.19.0.10", ONE);
	tsvc_make(&s[1], "down", NG_SVC_ORIGIN_LOCAL, "198.19.0.11", NONE);
	tsvc_make(&s[2], "v6", NG_SVC_ORIGIN_LOCAL, "2001:db8::10", ONE);
	decide(&pol, s, 3, NULL, NULL, NG_BGP_DRAIN_NONE, &t);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/routes.conf", dir);
	assert_int_equal(ng_bgp_routes_write(path, "gw", "vips0", &t, err, sizeof(err)), 3);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, want);
	/* Nothing left behind but the file. */
	snprintf(buf, sizeof(buf), "%s.tmp", path);
	assert_int_equal(access(buf, F_OK), -1);
	ng_bgp_table_free(&t);

	/* Drained: both protocols stay, with no route. */
	decide(&pol, s, 3, NULL, NULL, NG_BGP_DRAIN_CLI, &t);
	assert_int_equal(ng_bgp_routes_write(path, "gw", "vips0", &t, err, sizeof(err)), 0);
	ng_bgp_table_free(&t);
	unlink(path);

	/* A directory that is not there: the error names the file. */
	snprintf(path, sizeof(path), "%s/missing/routes.conf", dir);
	assert_int_equal(ng_bgp_routes_write(path, "gw", "vips0", &t, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing/routes.conf.tmp"));
	rmdir(dir);
}

/* ---- BIRD's protocol ---- */

static void
test_bird_line(void **state)
{
	const char *text;
	bool last;
	int code;

	(void)state;
	assert_int_equal(ng_bird_line("0001 BIRD 2.0.12 ready.", &code, &last, &text), 1);
	assert_int_equal(code, 1);
	assert_true(last);
	assert_string_equal(text, "BIRD 2.0.12 ready.");
	assert_int_equal(ng_bird_line("0002-Reading configuration from /etc/bird.conf", &code,
		&last, &text), 1);
	assert_int_equal(code, 2);
	assert_false(last);
	assert_int_equal(ng_bird_line(" nodegw4    Static", &code, &last, &text), 1);
	assert_int_equal(code, -1);
	assert_false(last);
	assert_string_equal(text, "nodegw4    Static");
	assert_int_equal(ng_bird_line("0000", &code, &last, &text), 1);
	assert_int_equal(code, 0);
	assert_true(last);
	assert_string_equal(text, "");
	assert_int_equal(ng_bird_line("8002 /x:1:2 Invalid prefix", &code, &last, &text), 1);
	assert_int_equal(code, 8002);
	assert_int_equal(ng_bird_line("HTTP/1.1 400", &code, &last, &text), 0);
	assert_int_equal(ng_bird_line("12345 x", &code, &last, &text), 0);
	assert_int_equal(ng_bird_line("", &code, &last, &text), 0);
	assert_true(ng_bird_code_ok(3));
	assert_true(ng_bird_code_ok(4));
	assert_false(ng_bird_code_ok(6));
	assert_false(ng_bird_code_ok(8002));
	assert_false(ng_bird_code_ok(9001));
}

/* A fake BIRD: a listening socket; the test accepts and writes what BIRD would. */
struct fake {
	char dir[64];
	char path[96];
	int lfd;
	int cfd;
};

static void
fake_start(struct fake *f)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_bird.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/bird.ctl", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	f->cfd = -1;
}

static void
fake_accept(struct fake *f)
{
	f->cfd = accept(f->lfd, NULL, NULL);
	assert_true(f->cfd >= 0);
}

static void
fake_say(struct fake *f, const char *text)
{
	assert_int_equal(write(f->cfd, text, strlen(text)), (ssize_t)strlen(text));
}

/* What the client sent, as a string. */
static void
fake_heard(struct fake *f, const char *want)
{
	char buf[256];
	ssize_t n = read(f->cfd, buf, sizeof(buf) - 1);

	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void
fake_stop(struct fake *f)
{
	if (f->cfd >= 0)
		close(f->cfd);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
}

/* Connect and greet: the client is READY. */
static void
bird_up(struct ng_bird *b, struct fake *f, uint64_t now)
{
	assert_int_equal(ng_bird_poll(b, now), NG_BIRD_EV_NONE);
	assert_int_equal(b->state, NG_BIRD_GREETING);
	fake_accept(f);
	/* The greeting comes in two pieces. */
	fake_say(f, "0001 BIRD 2.0");
	assert_int_equal(ng_bird_poll(b, now + 1), NG_BIRD_EV_NONE);
	fake_say(f, ".12 ready.\n");
	assert_int_equal(ng_bird_poll(b, now + 2), NG_BIRD_EV_UP);
	assert_int_equal(b->state, NG_BIRD_READY);
}

static void
test_bird_client(void **state)
{
	struct ng_bird b;
	struct fake f;

	(void)state;
	fake_start(&f);
	ng_bird_init(&b, f.path, 500, 1000);
	bird_up(&b, &f, 100);
	assert_int_equal(ng_bird_send(&b, "configure", 110), 0);
	assert_int_equal(ng_bird_send(&b, "configure", 110), -EAGAIN);
	fake_heard(&f, "configure\n");
	/* Continuation lines, a message BIRD sends unasked, then the final line. */
	fake_say(&f, "0002-Reading configuration from /etc/bird/bird.conf\n+async\n");
	assert_int_equal(ng_bird_poll(&b, 120), NG_BIRD_EV_NONE);
	fake_say(&f, "0003 Reconfigured\n");
	assert_int_equal(ng_bird_poll(&b, 125), NG_BIRD_EV_REPLY);
	assert_int_equal(b.code, 3);
	assert_string_equal(b.reply, "Reconfigured");
	assert_int_equal(b.rtt_ms, 15);
	assert_int_equal(b.replies_ok, 1);

	/* A table ends with code 0000: that is the final code, not the rows'. */
	assert_int_equal(ng_bird_send(&b, "show protocols gw4", 150), 0);
	fake_heard(&f, "show protocols gw4\n");
	fake_say(&f, "2002-Name       Proto      Table      State  Since         Info\n"
		"1002-gw4        Static     master4    up     14:36:23.753\n"
		" gw4b       Static     master4    up     14:36:23.753\n0000 \n");
	assert_int_equal(ng_bird_poll(&b, 151), NG_BIRD_EV_REPLY);
	assert_int_equal(b.code, 0);
	assert_true(ng_bird_code_ok(b.code));

	/* An error: the error lines are kept. */
	assert_int_equal(ng_bird_send(&b, "configure", 200), 0);
	fake_heard(&f, "configure\n");
	fake_say(&f, "0002-Reading configuration from x\n8002-/r.conf:3:9 Invalid prefix\n"
		" length 33\n8002 \n");
	assert_int_equal(ng_bird_poll(&b, 210), NG_BIRD_EV_REPLY);
	assert_int_equal(b.code, 8002);
	assert_false(ng_bird_code_ok(b.code));
	assert_non_null(strstr(b.reply, "/r.conf:3:9 Invalid prefix length 33"));
	assert_int_equal(b.replies_err, 1);

	/* No reply in time: lost, and the next connect waits retry_ms. */
	assert_int_equal(ng_bird_send(&b, "configure", 300), 0);
	assert_int_equal(ng_bird_poll(&b, 799), NG_BIRD_EV_NONE);
	assert_int_equal(ng_bird_poll(&b, 800), NG_BIRD_EV_LOST);
	assert_non_null(strstr(b.error, "no reply from BIRD within 500 ms"));
	assert_int_equal(b.state, NG_BIRD_DOWN);
	close(f.cfd);
	assert_int_equal(ng_bird_poll(&b, 1799), NG_BIRD_EV_NONE);
	bird_up(&b, &f, 1800);
	assert_int_equal(b.connects, 2);

	/* BIRD goes away while idle: noticed within a second. */
	close(f.cfd);
	f.cfd = -1;
	assert_int_equal(ng_bird_poll(&b, 2000), NG_BIRD_EV_NONE);
	assert_int_equal(ng_bird_poll(&b, 2802), NG_BIRD_EV_LOST);
	assert_non_null(strstr(b.error, "closed"));
	ng_bird_close(&b);
	fake_stop(&f);
}

static void
test_bird_failures(void **state)
{
	struct ng_bird b;
	struct fake f;

	(void)state;
	/* Nobody listens. */
	ng_bird_init(&b, "/tmp/test_bird_nonexistent/bird.ctl", 500, 1000);
	assert_int_equal(ng_bird_poll(&b, 0), NG_BIRD_EV_LOST);
	assert_non_null(strstr(b.error, "No such file"));
	assert_int_equal(ng_bird_poll(&b, 999), NG_BIRD_EV_NONE);
	assert_int_equal(ng_bird_poll(&b, 1000), NG_BIRD_EV_LOST);
	assert_int_equal(b.losses, 2);
	assert_int_equal(ng_bird_send(&b, "configure", 1000), -EAGAIN);

	/* Something else answers. */
	fake_start(&f);
	ng_bird_init(&b, f.path, 500, 1000);
	assert_int_equal(ng_bird_poll(&b, 0), NG_BIRD_EV_NONE);
	fake_accept(&f);
	fake_say(&f, "SSH-2.0-OpenSSH_9.2\n");
	assert_int_equal(ng_bird_poll(&b, 1), NG_BIRD_EV_LOST);
	assert_non_null(strstr(b.error, "not BIRD's protocol"));
	close(f.cfd);

	/* A greeting that never comes. */
	assert_int_equal(ng_bird_poll(&b, 1001), NG_BIRD_EV_NONE);
	fake_accept(&f);
	assert_int_equal(ng_bird_poll(&b, 1501), NG_BIRD_EV_LOST);
	assert_non_null(strstr(b.error, "no greeting"));
	close(f.cfd);

	/* A line that never ends. */
	assert_int_equal(ng_bird_poll(&b, 2501), NG_BIRD_EV_NONE);
	fake_accept(&f);
	{
		char longline[1024];

		memset(longline, 'x', sizeof(longline) - 1);
		longline[sizeof(longline) - 1] = '\0';
		memcpy(longline, "0001 ", 5);
		for (int i = 0; i < 5; i++)
			fake_say(&f, longline);
	}
	assert_int_equal(ng_bird_poll(&b, 2502), NG_BIRD_EV_LOST);
	assert_non_null(strstr(b.error, "longer than"));
	close(f.cfd);

	/* A reply nobody asked for. */
	assert_int_equal(ng_bird_poll(&b, 3502), NG_BIRD_EV_NONE);
	fake_accept(&f);
	fake_say(&f, "0001 BIRD ready.\n0003 Reconfigured\n");
	assert_int_equal(ng_bird_poll(&b, 3503), NG_BIRD_EV_UP);
	assert_int_equal(ng_bird_poll(&b, 4504), NG_BIRD_EV_LOST);
	assert_non_null(strstr(b.error, "unasked reply"));
	ng_bird_close(&b);
	fake_stop(&f);
	assert_string_equal(ng_bird_state_name(NG_BIRD_BUSY), "busy");
}

/* ---- the anchor ---- */

static int
if_up(const char *name)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM, 0), up;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	up = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
	if (s >= 0)
		close(s);
	return up;
}

/* In the child's own network namespace; the exit status is the failed step. */
static int
anchor_child(void)
{
	char err[256];
	int fd, fd2, i;

	if (unshare(CLONE_NEWNET) < 0)
		return 100;
	fd = ng_bgp_anchor_open("ngtest-vips", err, sizeof(err));
	if (fd < 0)
		return 1;
	if (if_nametoindex("ngtest-vips") == 0 || !if_up("ngtest-vips"))
		return 2;
	/* Taken: refused, and the message says so. */
	fd2 = ng_bgp_anchor_open("ngtest-vips", err, sizeof(err));
	if (fd2 != -EEXIST || strstr(err, "exists already") == NULL)
		return 3;
	/* Closing the descriptor removes the interface: what a crash does. */
	ng_bgp_anchor_close(fd);
	for (i = 0; i < 100 && if_nametoindex("ngtest-vips") != 0; i++)
		usleep(10000);
	return i == 100 ? 4 : 0;
}

static void
test_anchor(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		print_message("SKIP test_anchor: needs root and /dev/net/tun\n");
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(anchor_child());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 100) {
		print_message("SKIP test_anchor: unshare(CLONE_NEWNET) refused\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usable),
		cmocka_unit_test(test_shared_vip),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_local_policy),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_aggregates),
		cmocka_unit_test(test_same_routes),
		cmocka_unit_test(test_ipmap),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_routes_file),
		cmocka_unit_test(test_bird_line),
		cmocka_unit_test(test_bird_client),
		cmocka_unit_test(test_bird_failures),
		cmocka_unit_test(test_anchor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
