/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the translation of a Service and its EndpointSlices into
 * nodegw services (lib/k8s/k8s_xlate.c through k8s_obj.h), as kube-proxy would.
 * Pure functions: no EAL, no I/O. Fixtures and helpers: k8s_fixtures.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "k8s_fixtures.h"

static const struct ng_k8s_node node_a = {.name = "node-a", .ipv4 = true};
static const struct ng_k8s_node node_a6 = {.name = "node-a", .ipv6 = true};
static const struct ng_k8s_node node_a46 = {.name = "node-a", .ipv4 = true, .ipv6 = true};

/* ---- translation fixture ---- */

#define MAX_SLICES 4

struct xfix {
	struct ng_k8s_service svc;
	struct ng_k8s_slice sl[MAX_SLICES];
	const struct ng_k8s_slice *p[MAX_SLICES];
	unsigned int n;
	struct ng_k8s_xlate x;
};

static void
fix_slice(struct xfix *f, const char *name, const char *type, const char *ports,
		const char *eps)
{
	assert_true(f->n < MAX_SLICES);
	slice_ok(slice_json(name, type, ports, eps), &f->sl[f->n]);
	f->p[f->n] = &f->sl[f->n];
	f->n++;
}

/** Translate; every name must be a valid nodegw service name. */
static void
fix_xlate(struct xfix *f, const struct ng_k8s_node *node)
{
	int rc;

	ng_k8s_xlate_free(&f->x);
	rc = ng_k8s_translate(&f->svc, f->p, f->n, node, &f->x, err, sizeof(err));
	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	for (unsigned int i = 0; i < f->x.n; i++) {
		assert_true(ng_svc_name_ok(f->x.want[i].spec.name));
		for (unsigned int j = 0; j < f->x.want[i].n_be; j++)
			assert_int_equal(f->x.want[i].be[j].weight, 1);
	}
}

static void
fix_free(struct xfix *f)
{
	ng_k8s_xlate_free(&f->x);
	ng_k8s_service_free(&f->svc);
	for (unsigned int i = 0; i < f->n; i++)
		ng_k8s_slice_free(&f->sl[i]);
}

/** The names of the wants, space-separated. */
static const char *
names(const struct ng_k8s_xlate *x)
{
	static char buf[1024];
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < x->n; i++)
		o += snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? " " : "", x->want[i].spec.name);
	return buf;
}

static const struct ng_k8s_want *
find(const struct ng_k8s_xlate *x, const char *name)
{
	for (unsigned int i = 0; i < x->n; i++)
		if (strcmp(x->want[i].spec.name, name) == 0)
			return &x->want[i];
	print_error("no service %s in [%s]\n", name, names(x));
	fail();
	return NULL;
}

static size_t
addr_port(char *buf, size_t len, const struct ng_ip *a, uint16_t port)
{
	char s[NG_IP_STRLEN];

	if (a->family == 0)
		return snprintf(buf, len, "nodeport:%u", port);
	ng_ip_fmt(a, s, sizeof(s));
	return snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", s, port);
}

/** "198.18.100.10:80 nodeport:30080" (an IPv6 NodePort: "nodeport6:30080") */
static const char *
fe_list(const struct ng_k8s_want *w)
{
	static char buf[1024];
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < w->n_fe; i++) {
		o += snprintf(buf + o, sizeof(buf) - o, "%s", i ? " " : "");
		if (w->fe[i].addr.family == 0 && w->fe[i].np_family == AF_INET6)
			o += snprintf(buf + o, sizeof(buf) - o, "nodeport6:%u", w->fe[i].port);
		else
			o += addr_port(buf + o, sizeof(buf) - o, &w->fe[i].addr, w->fe[i].port);
	}
	return buf;
}

/** "198.19.1.10:8080 198.19.1.11:8080" */
static const char *
be_list(const struct ng_k8s_want *w)
{
	static char buf[1024];
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < w->n_be; i++) {
		o += snprintf(buf + o, sizeof(buf) - o, "%s", i ? " " : "");
		o += addr_port(buf + o, sizeof(buf) - o, &w->be[i].addr, w->be[i].port);
	}
	return buf;
}


/* ======== translation ======== */

static void
test_xlate_basic(void **state)
{
	static const struct ng_ct_timeouts zero_tmo;
	struct xfix f = {0};
	const struct ng_k8s_want *w;

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-x7k2p", "IPv4", PORT_HTTP,
			EP("198.19.1.11", "node-b", READY) ","
			EP("198.19.1.10", "node-a", READY) ","
			EP("198.19.1.12", "node-b", NOT_READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http");
	w = find(&f.x, "default/web:http");
	assert_int_equal(w->spec.origin, NG_SVC_ORIGIN_K8S);
	assert_int_equal(w->spec.proto, IPPROTO_TCP);
	assert_int_equal(w->spec.scheduler, NG_SCHED_MAGLEV);
	assert_int_equal(w->spec.mode, NG_FWD_FULLNAT);
	assert_false(w->spec.affinity);
	assert_int_equal(w->spec.affinity_timeout, 0);
	assert_memory_equal(&w->spec.timeouts, &zero_tmo, sizeof(zero_tmo));
	assert_false(w->spec.empty_drop);
	assert_string_equal(fe_list(w), "198.18.100.10:80");
	assert_string_equal(be_list(w), "198.19.1.10:8080 198.19.1.11:8080");
	assert_int_equal(f.x.sctp_ports, 0);
	fix_free(&f);
}

static void
test_xlate_skipped(void **state)
{
	static const char *const variants[] = {"headless", "externalname", "label"};

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		struct xfix f = {0};
		cJSON *o = web();

		if (i == 0) {
			SET(o, "'None'", "spec", "clusterIP");
			SET(o, "['None']", "spec", "clusterIPs");
		} else if (i == 1) {
			SET(o, "'ExternalName'", "spec", "type");
		} else {
			SET(o, "'other'", "metadata", "labels",
				"service.kubernetes.io/service-proxy-name");
		}
		svc_ok(o, &f.svc);
		assert_non_null(f.svc.skip);
		fix_slice(&f, "web-x7k2p", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-a", READY));
		fix_xlate(&f, &node_a);
		if (f.x.n != 0)
			print_error("%s: %s\n", variants[i], names(&f.x));
		assert_int_equal(f.x.n, 0);
		assert_null(f.x.want);
		fix_free(&f);
	}
}

static void
test_xlate_unnamed_port(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "[{'port': 80, 'protocol': 'TCP', 'targetPort': 8080}]", "spec", "ports");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-x7k2p", "IPv4", "{'name': '', 'port': 8080, 'protocol': 'TCP'}",
			EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:80");
	assert_string_equal(be_list(find(&f.x, "default/web:80")), "198.19.1.10:8080");
	fix_free(&f);
}

static void
test_xlate_port_mapping(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	cJSON *o = web();

	(void)state;
	/* TCP and UDP on the same number; ports map by (name, protocol), not number */
	SET(o, "[{'name': 'dns', 'port': 53, 'protocol': 'UDP', 'targetPort': 5353},"
		"{'name': 'dns-tcp', 'port': 53, 'protocol': 'TCP', 'targetPort': 5354},"
		"{'name': 'metrics', 'port': 9153, 'protocol': 'TCP', 'targetPort': 9153}]",
		"spec", "ports");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-x7k2p", "IPv4",
			"{'name': 'dns-tcp', 'port': 5354, 'protocol': 'TCP'},"
			"{'name': 'dns', 'port': 9999, 'protocol': 'TCP'},"
			"{'name': 'dns', 'port': 5353, 'protocol': 'UDP'},"
			"{'name': 'metrics', 'port': 9153, 'protocol': 'UDP'}",
			EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:dns default/web:dns-tcp default/web:metrics");
	w = find(&f.x, "default/web:dns");
	assert_int_equal(w->spec.proto, IPPROTO_UDP);
	assert_string_equal(fe_list(w), "198.18.100.10:53");
	assert_string_equal(be_list(w), "198.19.1.10:5353");
	w = find(&f.x, "default/web:dns-tcp");
	assert_int_equal(w->spec.proto, IPPROTO_TCP);
	assert_string_equal(fe_list(w), "198.18.100.10:53");
	assert_string_equal(be_list(w), "198.19.1.10:5354");
	/* metrics/TCP has no TCP port in the slice */
	w = find(&f.x, "default/web:metrics");
	assert_int_equal(w->n_be, 0);
	assert_false(w->spec.empty_drop);
	fix_free(&f);
}

static void
test_xlate_duplicate_port_names(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "[{'name': 'dns', 'port': 53, 'protocol': 'UDP'},"
		"{'name': 'dns', 'port': 53, 'protocol': 'TCP'}]", "spec", "ports");
	svc_ok(o, &f.svc);
	assert_int_equal(ng_k8s_translate(&f.svc, f.p, f.n, &node_a, &f.x, err, sizeof(err)),
			-EINVAL);
	assert_string_equal(err, "service default/web: spec.ports[0] and spec.ports[1] have the "
		"same name");
	assert_int_equal(f.x.n, 0);
	assert_null(f.x.want);
	fix_free(&f);
}

static void
test_xlate_slice_port_nil(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", "{'name': 'http', 'port': null, 'protocol': 'TCP'}",
			EP("198.19.1.10", "node-a", READY));
	fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP, EP("198.19.1.20", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.20:8080");
	fix_free(&f);
}

static void
test_xlate_merge_slices(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.30", "node-b", READY) "," EP("198.19.1.10", "node-a", READY));
	fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP,
			EP("198.19.1.20", "node-c", READY) "," EP("198.19.1.10", "node-a", READY));
	/* the same IP on another port is another backend */
	fix_slice(&f, "web-ccccc", "IPv4", "{'name': 'http', 'port': 8081, 'protocol': 'TCP'}",
			EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http")),
			"198.19.1.10:8080 198.19.1.10:8081 198.19.1.20:8080 198.19.1.30:8080");
	fix_free(&f);
}

static void
test_xlate_dup_prefers_non_terminating(void **state)
{
	(void)state;
	/*
	 * 198.19.1.10 is ready in one slice and terminating in the other. Keeping
	 * the terminating copy would leave no ready endpoint, and the fallback
	 * would bring in 198.19.1.11 too.
	 */
	for (int order = 0; order < 2; order++) {
		struct xfix f = {0};
		const char *a = EP("198.19.1.10", "node-a", TERM_SERVING) ","
				EP("198.19.1.11", "node-b", TERM_SERVING);
		const char *b = EP("198.19.1.10", "node-a", READY);

		svc_ok(web(), &f.svc);
		fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP, order ? b : a);
		fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP, order ? a : b);
		fix_xlate(&f, &node_a);
		assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.10:8080");
		fix_free(&f);
	}
}

static void
test_xlate_dup_keeps_first(void **state)
{
	(void)state;
	/* Two equal copies on different nodes (a pod moving): the first slice's wins. */
	for (int order = 0; order < 2; order++) {
		struct xfix f = {0};
		const struct ng_k8s_want *w;
		cJSON *o = web();
		const char *here = EP("198.19.1.10", "node-a", READY);
		const char *there = EP("198.19.1.10", "node-b", READY);

		SET(o, "'Local'", "spec", "internalTrafficPolicy");
		svc_ok(o, &f.svc);
		fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP, order ? here : there);
		fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP, order ? there : here);
		fix_xlate(&f, &node_a);
		w = find(&f.x, "default/web:http");
		assert_string_equal(be_list(w), order ? "198.19.1.10:8080" : "");
		assert_int_equal(w->spec.empty_drop, !order);
		fix_free(&f);
	}
}

static void
test_xlate_nil_conditions(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			"{'addresses': ['198.19.1.10']},"
			"{'addresses': ['198.19.1.11'], 'conditions': {'ready': null}},"
			EP("198.19.1.12", "node-b", TERM_SERVING));
	fix_xlate(&f, &node_a);
	/* nil ready is ready: .12 (terminating) is not needed */
	assert_string_equal(be_list(find(&f.x, "default/web:http")),
			"198.19.1.10:8080 198.19.1.11:8080");
	fix_free(&f);
}

static void
test_xlate_ready_over_terminating(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-b", TERM_SERVING) "," EP("198.19.1.11", "node-b",
			READY) "," EP("198.19.1.12", "node-c", NOT_READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.11:8080");
	fix_free(&f);
}

static void
test_xlate_fallback_serving_terminating(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.12", "node-b", TERM_SERVING) "," EP("198.19.1.10", "node-b",
			TERM_SERVING) "," EP("198.19.1.11", "node-c", NOT_READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http")),
			"198.19.1.10:8080 198.19.1.12:8080");
	fix_free(&f);
}

static void
test_xlate_terminating_not_serving(void **state)
{
	struct xfix f = {0}, g = {0};
	const struct ng_k8s_want *w;

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-b", TERM_DOWN) "," EP("198.19.1.11", "node-b",
			TERM_SERVING));
	fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP, EP("198.19.1.20", "node-b", TERM_DOWN));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.11:8080");
	fix_free(&f);

	/* nothing serving at all: no backends, refuse */
	svc_ok(web(), &g.svc);
	fix_slice(&g, "web-bbbbb", "IPv4", PORT_HTTP, EP("198.19.1.20", "node-b", TERM_DOWN));
	fix_xlate(&g, &node_a);
	w = find(&g.x, "default/web:http");
	assert_int_equal(w->n_be, 0);
	assert_false(w->spec.empty_drop);
	fix_free(&g);
}

/* The annotation nodegw.io/mode: dsr makes every frontend of the service DSR,
 * Local policy or not; an unknown value refuses the object, naming it. */
static void
test_xlate_dsr_annotation(void **state)
{
	struct xfix f = {0};
	struct ng_k8s_service bad;
	cJSON *o = web_lb();

	(void)state;
	SET(o, "'dsr'", "metadata", "annotations", "nodegw.io/mode");
	SET(o, "'Local'", "spec", "externalTrafficPolicy");
	svc_ok(o, &f.svc);
	assert_true(f.svc.dsr);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.11", "node-b", READY) "," EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http default/web:http/ext");
	assert_int_equal(find(&f.x, "default/web:http")->spec.mode, NG_FWD_DSR);
	assert_int_equal(find(&f.x, "default/web:http/ext")->spec.mode, NG_FWD_DSR);
	fix_free(&f);

	o = web_lb();
	SET(o, "'fullnat'", "metadata", "annotations", "nodegw.io/mode");
	svc_ok(o, &bad);
	assert_false(bad.dsr);
	ng_k8s_service_free(&bad);
	o = web_lb();
	SET(o, "'bypass'", "metadata", "annotations", "nodegw.io/mode");
	assert_int_equal(ng_k8s_service_decode(o, &bad, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "service default/web: metadata.annotations.nodegw.io/mode: "
			"unknown value \"bypass\"");
	cJSON_Delete(o);
}

static void
test_xlate_etp_local(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	cJSON *o = web_lb();

	(void)state;
	SET(o, "'Local'", "spec", "externalTrafficPolicy");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.11", "node-b", READY) "," EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http default/web:http/ext");
	/* the cluster IP keeps Cluster policy */
	w = find(&f.x, "default/web:http");
	assert_int_equal(w->spec.mode, NG_FWD_FULLNAT);
	assert_string_equal(be_list(w), "198.19.1.10:8080 198.19.1.11:8080");
	w = find(&f.x, "default/web:http/ext");
	assert_int_equal(w->spec.mode, NG_FWD_DNAT);
	assert_string_equal(fe_list(w), "198.18.200.1:80 nodeport:30080");
	assert_string_equal(be_list(w), "198.19.1.10:8080");
	assert_false(w->spec.empty_drop);
	fix_free(&f);
}

static void
test_xlate_etp_local_remote_only(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	cJSON *o = web_lb();

	(void)state;
	SET(o, "'Local'", "spec", "externalTrafficPolicy");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP, EP("198.19.1.11", "node-b", READY));
	fix_xlate(&f, &node_a);
	w = find(&f.x, "default/web:http/ext");
	assert_int_equal(w->spec.mode, NG_FWD_DNAT);
	assert_int_equal(w->n_be, 0);
	assert_true(w->spec.empty_drop);
	w = find(&f.x, "default/web:http");
	assert_string_equal(be_list(w), "198.19.1.11:8080");
	assert_false(w->spec.empty_drop);
	fix_free(&f);
}

static void
test_xlate_local_fallback(void **state)
{
	struct xfix f = {0};
	cJSON *o = web_lb();

	(void)state;
	/* Local falls back on its own: a local terminating pod beats a remote ready one. */
	SET(o, "'Local'", "spec", "externalTrafficPolicy");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-a", TERM_SERVING) "," EP("198.19.1.11", "node-b",
			READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http/ext")), "198.19.1.10:8080");
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.11:8080");
	fix_free(&f);
}

static void
test_xlate_itp_local(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	cJSON *o = web();

	(void)state;
	SET(o, "'Local'", "spec", "internalTrafficPolicy");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.11", "node-b", READY) "," EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	w = find(&f.x, "default/web:http");
	assert_int_equal(w->spec.mode, NG_FWD_DNAT);
	assert_string_equal(be_list(w), "198.19.1.10:8080");
	assert_false(w->spec.empty_drop);

	/* only remote endpoints: drop */
	fix_xlate(&f, &(struct ng_k8s_node){.name = "node-c", .ipv4 = true});
	w = find(&f.x, "default/web:http");
	assert_int_equal(w->n_be, 0);
	assert_true(w->spec.empty_drop);

	/* a node without a name has no local endpoints */
	fix_xlate(&f, &(struct ng_k8s_node){.name = NULL, .ipv4 = true});
	w = find(&f.x, "default/web:http");
	assert_int_equal(w->n_be, 0);
	assert_true(w->spec.empty_drop);
	fix_free(&f);
}

static void
test_xlate_no_endpoints(void **state)
{
	struct xfix f = {0};
	cJSON *o = web_lb();

	(void)state;
	SET(o, "'Local'", "spec", "externalTrafficPolicy");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a); /* no slices */
	assert_int_equal(f.x.n, 2);
	for (unsigned int i = 0; i < f.x.n; i++) {
		assert_int_equal(f.x.want[i].n_be, 0);
		assert_null(f.x.want[i].be);
		assert_false(f.x.want[i].spec.empty_drop);
	}
	/* a slice with no endpoints is the same */
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP, "");
	fix_xlate(&f, &node_a);
	for (unsigned int i = 0; i < f.x.n; i++) {
		assert_int_equal(f.x.want[i].n_be, 0);
		assert_false(f.x.want[i].spec.empty_drop);
	}
	fix_free(&f);
}

static void
test_xlate_affinity(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	cJSON *o = web();

	(void)state;
	SET(o, "'ClientIP'", "spec", "sessionAffinity");
	SET(o, "{'clientIP': {'timeoutSeconds': 10800}}", "spec", "sessionAffinityConfig");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	w = find(&f.x, "default/web:http");
	assert_true(w->spec.affinity);
	assert_int_equal(w->spec.affinity_timeout, 10800);
	ng_k8s_service_free(&f.svc);

	o = web();
	SET(o, "'ClientIP'", "spec", "sessionAffinity");
	SET(o, "{'clientIP': {'timeoutSeconds': 600}}", "spec", "sessionAffinityConfig");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	w = find(&f.x, "default/web:http");
	assert_true(w->spec.affinity);
	assert_int_equal(w->spec.affinity_timeout, 600);
	fix_free(&f);
}

static void
test_xlate_sctp(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "[{'name': 'diameter', 'port': 3868, 'protocol': 'SCTP'},"
		"{'name': 'http', 'port': 80, 'protocol': 'TCP'},"
		"{'name': 'm3ua', 'port': 2905, 'protocol': 'SCTP'}]", "spec", "ports");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4",
			PORT_HTTP ", {'name': 'diameter', 'port': 3868, 'protocol': 'SCTP'}",
			EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http");
	assert_int_equal(f.x.sctp_ports, 2);
	fix_free(&f);
}

static void
test_xlate_fqdn_slice_ignored(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-fqdn1", "FQDN", PORT_HTTP, EP("web-1.example.com", "node-a", READY));
	fix_xlate(&f, &node_a46);
	assert_int_equal(find(&f.x, "default/web:http")->n_be, 0);
	fix_free(&f);
}

static void
test_xlate_ipv6_slice_ignored(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-v4aaa", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-a", READY));
	fix_slice(&f, "web-v6aaa", "IPv6", PORT_HTTP, EP("2001:db8:1::10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.10:8080");
	fix_free(&f);
}

/*
 * A dual-stack Service is one nodegw service per family: "ns/name:P" with
 * the IPv4 clusterIP and IPv4 endpoints, "ns/name:P/v6" with the IPv6 ones
 * (ipFamilies' order does not matter); a node serving one family gets that
 * half alone.
 */
static void
test_xlate_dual_stack(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "['2001:db8:100::10', '198.18.100.10']", "spec", "clusterIPs");
	SET(o, "'2001:db8:100::10'", "spec", "clusterIP");
	SET(o, "['IPv6', 'IPv4']", "spec", "ipFamilies");
	SET(o, "'RequireDualStack'", "spec", "ipFamilyPolicy");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-v6aaa", "IPv6", PORT_HTTP, EP("2001:db8:1::10", "node-a", READY));
	fix_slice(&f, "web-v4aaa", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-a", READY));

	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http");
	assert_string_equal(fe_list(find(&f.x, "default/web:http")), "198.18.100.10:80");
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.10:8080");

	fix_xlate(&f, &node_a6);
	assert_string_equal(names(&f.x), "default/web:http/v6");
	assert_string_equal(fe_list(find(&f.x, "default/web:http/v6")), "[2001:db8:100::10]:80");
	assert_string_equal(be_list(find(&f.x, "default/web:http/v6")), "[2001:db8:1::10]:8080");

	fix_xlate(&f, &node_a46);
	assert_string_equal(names(&f.x), "default/web:http default/web:http/v6");
	assert_string_equal(fe_list(find(&f.x, "default/web:http")), "198.18.100.10:80");
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.10:8080");
	assert_string_equal(fe_list(find(&f.x, "default/web:http/v6")), "[2001:db8:100::10]:80");
	assert_string_equal(be_list(find(&f.x, "default/web:http/v6")), "[2001:db8:1::10]:8080");
	fix_free(&f);
}

/*
 * A dual-stack LoadBalancer: externalIPs and LB ingress IPs go to the half of
 * their family; each half has the NodePort on its family (node ports are per
 * family). A single-stack IPv6 one has it on IPv6.
 */
static void
test_xlate_dual_stack_lb(void **state)
{
	struct xfix f = {0};
	cJSON *o = web_lb();

	(void)state;
	SET(o, "['198.18.100.10', '2001:db8:100::10']", "spec", "clusterIPs");
	SET(o, "['IPv4', 'IPv6']", "spec", "ipFamilies");
	SET(o, "'PreferDualStack'", "spec", "ipFamilyPolicy");
	SET(o, "['2001:db8:200::1', '198.18.200.2']", "spec", "externalIPs");
	SET(o, "[{'ip': '198.18.200.1'}, {'ip': '2001:db8:200::5'}]", "status", "loadBalancer",
		"ingress");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-v6aaa", "IPv6", PORT_HTTP, EP("2001:db8:1::10", "node-b", READY));
	fix_slice(&f, "web-v4aaa", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-b", READY));
	fix_xlate(&f, &node_a46);
	assert_string_equal(names(&f.x), "default/web:http default/web:http/ext "
			"default/web:http/v6 default/web:http/ext/v6");
	assert_string_equal(fe_list(find(&f.x, "default/web:http/ext")),
			"198.18.200.1:80 198.18.200.2:80 nodeport:30080");
	assert_string_equal(be_list(find(&f.x, "default/web:http/ext")), "198.19.1.10:8080");
	assert_string_equal(fe_list(find(&f.x, "default/web:http/ext/v6")),
			"[2001:db8:200::1]:80 [2001:db8:200::5]:80 nodeport6:30080");
	assert_string_equal(be_list(find(&f.x, "default/web:http/ext/v6")),
			"[2001:db8:1::10]:8080");
	fix_free(&f);

	memset(&f, 0, sizeof(f));
	o = web_lb();
	SET(o, "['2001:db8:100::10']", "spec", "clusterIPs");
	SET(o, "'2001:db8:100::10'", "spec", "clusterIP");
	SET(o, "['IPv6']", "spec", "ipFamilies");
	SET(o, "[{'ip': '2001:db8:200::5'}]", "status", "loadBalancer", "ingress");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-v6aaa", "IPv6", PORT_HTTP, EP("2001:db8:1::10", "node-b", READY));
	fix_xlate(&f, &node_a46);
	assert_string_equal(names(&f.x), "default/web:http/v6 default/web:http/ext/v6");
	assert_string_equal(fe_list(find(&f.x, "default/web:http/ext/v6")),
			"[2001:db8:200::5]:80 nodeport6:30080");
	fix_free(&f);
}

/*
 * A dual-stack NodePort Service: both halves have the node port, each on its
 * family, the IPv6 one in /ext/v6 even without an IPv6 endpoint (it refuses
 * then, as kube-proxy's IPv6 proxier does).
 */
static void
test_xlate_dual_stack_nodeport(void **state)
{
	struct xfix f = {0};
	cJSON *o = web_lb();

	(void)state;
	SET(o, "['198.18.100.10', '2001:db8:100::10']", "spec", "clusterIPs");
	SET(o, "'NodePort'", "spec", "type");
	SET(o, "[]", "status", "loadBalancer", "ingress");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-v4aaa", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-b", READY));
	fix_xlate(&f, &node_a46);
	assert_string_equal(names(&f.x), "default/web:http default/web:http/ext "
			"default/web:http/v6 default/web:http/ext/v6");
	assert_string_equal(fe_list(find(&f.x, "default/web:http/ext")), "nodeport:30080");
	assert_string_equal(be_list(find(&f.x, "default/web:http/ext")), "198.19.1.10:8080");
	assert_string_equal(fe_list(find(&f.x, "default/web:http/ext/v6")), "nodeport6:30080");
	assert_int_equal(find(&f.x, "default/web:http/ext/v6")->n_be, 0);
	assert_int_equal(find(&f.x, "default/web:http/v6")->n_be, 0);
	fix_free(&f);
}

/*
 * nodegw.io/mode dsr on a dual-stack Service: both halves in DSR (IPv4-in-IPv4
 * and IPv6-in-IPv6), each with the endpoints of its family; an IPv6-only node
 * serves the IPv6 half in DSR.
 */
static void
test_xlate_dsr_dual_stack(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "['198.18.100.10', '2001:db8:100::10']", "spec", "clusterIPs");
	SET(o, "['IPv4', 'IPv6']", "spec", "ipFamilies");
	SET(o, "'RequireDualStack'", "spec", "ipFamilyPolicy");
	SET(o, "'dsr'", "metadata", "annotations", "nodegw.io/mode");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-v6aaa", "IPv6", PORT_HTTP, EP("2001:db8:1::10", "node-a", READY));
	fix_slice(&f, "web-v4aaa", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-a", READY));

	fix_xlate(&f, &node_a46);
	assert_string_equal(names(&f.x), "default/web:http default/web:http/v6");
	assert_int_equal(find(&f.x, "default/web:http")->spec.mode, NG_FWD_DSR);
	assert_int_equal(find(&f.x, "default/web:http/v6")->spec.mode, NG_FWD_DSR);
	assert_string_equal(fe_list(find(&f.x, "default/web:http/v6")), "[2001:db8:100::10]:80");
	assert_string_equal(be_list(find(&f.x, "default/web:http/v6")), "[2001:db8:1::10]:8080");

	fix_xlate(&f, &node_a6);
	assert_string_equal(names(&f.x), "default/web:http/v6");
	assert_int_equal(find(&f.x, "default/web:http/v6")->spec.mode, NG_FWD_DSR);
	fix_free(&f);
}

/*
 * loadBalancerSourceRanges of a dual-stack Service: each half's /lb gets the
 * ranges of its family (kube-proxy's per-family proxiers); a half whose family
 * has no range is not restricted (its LB IPs stay in /ext).
 */
static void
test_xlate_dual_stack_ranges(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	char buf[NG_IP_STRLEN + 4];
	cJSON *o = web_lb();

	(void)state;
	SET(o, "['198.18.100.10', '2001:db8:100::10']", "spec", "clusterIPs");
	SET(o, "[{'ip': '198.18.200.1'}, {'ip': '2001:db8:200::5'}]", "status", "loadBalancer",
		"ingress");
	SET(o, "['2001:db8:7::/48', '198.51.100.0/24', '2001:db8:9::/64']", "spec",
		"loadBalancerSourceRanges");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-v6aaa", "IPv6", PORT_HTTP, EP("2001:db8:1::10", "node-b", READY));
	fix_slice(&f, "web-v4aaa", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-b", READY));
	fix_xlate(&f, &node_a46);
	w = find(&f.x, "default/web:http/lb");
	assert_string_equal(fe_list(w), "198.18.200.1:80");
	assert_int_equal(w->spec.n_src_ranges, 1);
	assert_string_equal(ng_prefix_fmt(&w->spec.src_ranges[0], buf, sizeof(buf)),
			"198.51.100.0/24");
	w = find(&f.x, "default/web:http/lb/v6");
	assert_string_equal(fe_list(w), "[2001:db8:200::5]:80");
	assert_string_equal(be_list(w), "[2001:db8:1::10]:8080");
	assert_int_equal(w->spec.n_src_ranges, 2);
	assert_string_equal(ng_prefix_fmt(&w->spec.src_ranges[0], buf, sizeof(buf)),
			"2001:db8:7::/48");
	assert_string_equal(ng_prefix_fmt(&w->spec.src_ranges[1], buf, sizeof(buf)),
			"2001:db8:9::/64");
	fix_free(&f);

	/* IPv4 ranges alone: the IPv6 LB IP is not restricted */
	memset(&f, 0, sizeof(f));
	o = web_lb();
	SET(o, "['198.18.100.10', '2001:db8:100::10']", "spec", "clusterIPs");
	SET(o, "[{'ip': '198.18.200.1'}, {'ip': '2001:db8:200::5'}]", "status", "loadBalancer",
		"ingress");
	SET(o, "['198.51.100.0/24']", "spec", "loadBalancerSourceRanges");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a46);
	assert_null(strstr(names(&f.x), "/lb/v6"));
	assert_int_equal(find(&f.x, "default/web:http/lb")->spec.n_src_ranges, 1);
	assert_string_equal(fe_list(find(&f.x, "default/web:http/ext/v6")),
			"[2001:db8:200::5]:80 nodeport6:30080");
	fix_free(&f);
}

static void
test_xlate_no_served_family(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "['2001:db8:100::10']", "spec", "clusterIPs");
	SET(o, "'2001:db8:100::10'", "spec", "clusterIP");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-v6aaa", "IPv6", PORT_HTTP, EP("2001:db8:1::10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_int_equal(f.x.n, 0);
	fix_free(&f);
}

static void
test_xlate_external_ips(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	cJSON *o = web();

	(void)state;
	SET(o, "['198.18.200.2', '2001:db8:200::1', '198.18.200.1', '198.18.200.2']", "spec",
		"externalIPs");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-b", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http default/web:http/ext");
	w = find(&f.x, "default/web:http/ext");
	/* sorted, the duplicate once, IPv6 not served; ClusterIP type: no NodePort */
	assert_string_equal(fe_list(w), "198.18.200.1:80 198.18.200.2:80");
	assert_string_equal(be_list(w), "198.19.1.10:8080");
	assert_int_equal(w->spec.mode, NG_FWD_FULLNAT);
	fix_free(&f);
}

static void
test_xlate_lb_ips(void **state)
{
	struct xfix f = {0};
	cJSON *o = web_lb();

	(void)state;
	SET(o, "[{'hostname': 'lb-1.example.com'}, {'ip': '198.18.200.5'},"
		"{'ip': '198.18.200.4'}]", "status", "loadBalancer", "ingress");
	SET(o, "['198.18.200.5']", "spec", "externalIPs");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	assert_string_equal(fe_list(find(&f.x, "default/web:http/ext")),
			"198.18.200.4:80 198.18.200.5:80 nodeport:30080");
	fix_free(&f);
}

static void
test_xlate_nodeport(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "'NodePort'", "spec", "type");
	SET(o, "[{'name': 'http', 'nodePort': 30080, 'port': 80, 'protocol': 'TCP'}]", "spec",
		"ports");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http default/web:http/ext");
	assert_string_equal(fe_list(find(&f.x, "default/web:http/ext")), "nodeport:30080");
	ng_k8s_service_free(&f.svc);

	/* a nodePort on a ClusterIP service is not exposed */
	o = web();
	SET(o, "[{'name': 'http', 'nodePort': 30080, 'port': 80, 'protocol': 'TCP'}]", "spec",
		"ports");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http");

	/* LoadBalancer without NodePorts (allocateLoadBalancerNodePorts false), no ingress yet */
	ng_k8s_service_free(&f.svc);
	o = web_lb();
	SET(o, "[{'name': 'http', 'port': 80, 'protocol': 'TCP'}]", "spec", "ports");
	SET(o, "{}", "status", "loadBalancer");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http");
	fix_free(&f);
}

static void
test_xlate_names(void **state)
{
	char ns[64], name[254], json[600], want[512];
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	/* the longest Kubernetes names fit: 63 + 63 + 15 */
	memset(ns, 'n', 63);
	ns[63] = '\0';
	memset(name, 's', 63);
	name[63] = '\0';
	snprintf(json, sizeof(json), "'%s'", ns);
	SET(o, json, "metadata", "namespace");
	snprintf(json, sizeof(json), "'%s'", name);
	SET(o, json, "metadata", "name");
	SET(o, "'LoadBalancer'", "spec", "type");
	SET(o, "[{'name': 'abcdefghijklmno', 'nodePort': 30080, 'port': 80}]", "spec", "ports");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	snprintf(want, sizeof(want), "%s/%s:abcdefghijklmno/ext", ns, name);
	assert_non_null(find(&f.x, want));
	ng_k8s_service_free(&f.svc);

	/* a name no Service may have (253 characters) is refused, not cut */
	memset(name, 's', 253);
	name[253] = '\0';
	o = web();
	snprintf(json, sizeof(json), "'%s'", name);
	SET(o, json, "metadata", "name");
	svc_ok(o, &f.svc);
	ng_k8s_xlate_free(&f.x);
	assert_int_equal(ng_k8s_translate(&f.svc, f.p, f.n, &node_a, &f.x, err, sizeof(err)),
			-EINVAL);
	assert_non_null(strstr(err, ": port http: the nodegw service name would be 266 "
			"characters (at most 191)"));
	assert_int_equal(f.x.n, 0);
	ng_k8s_service_free(&f.svc);

	/* "default/NAME:http" fits in 191 characters but ".../ext" does not */
	name[176] = '\0';
	o = web_lb();
	snprintf(json, sizeof(json), "'%s'", name);
	SET(o, json, "metadata", "name");
	svc_ok(o, &f.svc);
	assert_int_equal(ng_k8s_translate(&f.svc, f.p, f.n, &node_a, &f.x, err, sizeof(err)),
			-EINVAL);
	assert_non_null(strstr(err, ": port http: the nodegw service name would be 193 "
			"characters (at most 191)"));
	assert_int_equal(f.x.n, 0);
	assert_null(f.x.want);
	fix_free(&f);
}

static void
test_xlate_deterministic(void **state)
{
	char first[2][1024];

	(void)state;
	/* slices and endpoints in any order give the same output */
	for (int order = 0; order < 2; order++) {
		struct xfix f = {0};
		const struct ng_k8s_want *w;
		cJSON *o = web_lb();

		SET(o, "['198.18.200.9', '198.18.200.3']", "spec", "externalIPs");
		svc_ok(o, &f.svc);
		if (order == 0) {
			fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
					EP("198.19.1.30", "node-b", READY) ","
					EP("198.19.1.4", "node-a", READY));
			fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP,
					EP("198.19.1.200", "node-c", READY));
		} else {
			fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP,
					EP("198.19.1.200", "node-c", READY));
			fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
					EP("198.19.1.4", "node-a", READY) ","
					EP("198.19.1.30", "node-b", READY));
		}
		fix_xlate(&f, &node_a);
		w = find(&f.x, "default/web:http/ext");
		assert_string_equal(be_list(w), "198.19.1.4:8080 198.19.1.30:8080 "
				"198.19.1.200:8080");
		snprintf(first[order], sizeof(first[order]), "%s | %s", fe_list(w), be_list(w));
		fix_free(&f);
	}
	assert_string_equal(first[0], first[1]);
	assert_non_null(strstr(first[0], "198.18.200.1:80 198.18.200.3:80 198.18.200.9:80 "
			"nodeport:30080"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_xlate_basic),
	cmocka_unit_test(test_xlate_skipped),
	cmocka_unit_test(test_xlate_unnamed_port),
	cmocka_unit_test(test_xlate_port_mapping),
	cmocka_unit_test(test_xlate_duplicate_port_names),
	cmocka_unit_test(test_xlate_slice_port_nil),
	cmocka_unit_test(test_xlate_merge_slices),
	cmocka_unit_test(test_xlate_dup_prefers_non_terminating),
	cmocka_unit_test(test_xlate_dup_keeps_first),
	cmocka_unit_test(test_xlate_nil_conditions),
	cmocka_unit_test(test_xlate_ready_over_terminating),
	cmocka_unit_test(test_xlate_fallback_serving_terminating),
	cmocka_unit_test(test_xlate_terminating_not_serving),
	cmocka_unit_test(test_xlate_dsr_annotation),
	cmocka_unit_test(test_xlate_etp_local),
	cmocka_unit_test(test_xlate_etp_local_remote_only),
	cmocka_unit_test(test_xlate_local_fallback),
	cmocka_unit_test(test_xlate_itp_local),
	cmocka_unit_test(test_xlate_no_endpoints),
	cmocka_unit_test(test_xlate_affinity),
	cmocka_unit_test(test_xlate_sctp),
	cmocka_unit_test(test_xlate_fqdn_slice_ignored),
	cmocka_unit_test(test_xlate_ipv6_slice_ignored),
	cmocka_unit_test(test_xlate_dual_stack),
	cmocka_unit_test(test_xlate_dual_stack_lb),
	cmocka_unit_test(test_xlate_dual_stack_nodeport),
	cmocka_unit_test(test_xlate_dsr_dual_stack),
	cmocka_unit_test(test_xlate_dual_stack_ranges),
	cmocka_unit_test(test_xlate_no_served_family),
	cmocka_unit_test(test_xlate_external_ips),
	cmocka_unit_test(test_xlate_lb_ips),
	cmocka_unit_test(test_xlate_nodeport),
	cmocka_unit_test(test_xlate_names),
	cmocka_unit_test(test_xlate_deterministic),
};

int
main(void)
{
	return cmocka_run_group_tests(tests, NULL, NULL);
}
