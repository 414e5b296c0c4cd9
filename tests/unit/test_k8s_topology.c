/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the Service API rules added for issue 12 (lib/k8s: k8s_obj.h):
 * topology hints and trafficDistribution (kube-proxy's topology.go, all or
 * nothing), loadBalancerSourceRanges, ipMode Proxy, healthCheckNodePort
 * counts, and the Node decoder (zone label, ToBeDeletedByClusterAutoscaler).
 *
 * The objects are `kubectl get -o json` output kept in
 * tests/unit/fixtures/k8s/ (found through $NG_SRCDIR); a case that needs a
 * variant edits the parsed object, so each case shows only what it changes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "k8s_obj.h"

static char err[512];

/* ---- fixtures ---- */

static cJSON *
load(const char *name)
{
	const char *src = getenv("NG_SRCDIR");
	char path[512], *text;
	long n;
	FILE *f;
	cJSON *o;

	snprintf(path, sizeof(path), "%s/tests/unit/fixtures/k8s/%s",
			src != NULL && src[0] != '\0' ? src : ".", name);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	o = cJSON_Parse(text);
	free(text);
	if (o == NULL)
		fail_msg("%s is not JSON", path);
	return o;
}

/* The member at a path of keys (a number string indexes an array). */
static cJSON *
at(cJSON *o, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k != NULL && o != NULL;
			k = strtok_r(NULL, ".", &save))
		o = k[0] >= '0' && k[0] <= '9' ? cJSON_GetArrayItem(o, atoi(k)) :
				cJSON_GetObjectItemCaseSensitive(o, k);
	if (o == NULL)
		fail_msg("no member %s in the fixture", path);
	return o;
}

/* Replace (or add) member key of the object at path with v. */
static void
put(cJSON *root, const char *path, const char *key, cJSON *v)
{
	cJSON *o = path[0] != '\0' ? at(root, path) : root;

	if (cJSON_GetObjectItemCaseSensitive(o, key) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
	else
		cJSON_AddItemToObject(o, key, v);
}

static void
svc_of(cJSON *o, struct ng_k8s_service *s)
{
	if (ng_k8s_service_decode(o, s, err, sizeof(err)) != 0)
		fail_msg("service decode: %s", err);
}

static void
slice_of(cJSON *o, struct ng_k8s_slice *s)
{
	if (ng_k8s_slice_decode(o, s, err, sizeof(err)) != 0)
		fail_msg("endpointslice decode: %s", err);
}

/* A Service and its slices, translated for a node. */
struct fix {
	cJSON *svc_json;
	cJSON *slice_json[2];
	unsigned int n_slices;
	struct ng_k8s_service svc;
	struct ng_k8s_slice slices[2];
	struct ng_k8s_xlate x;
};

static void
fix_init(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	f->svc_json = load("svc_lb_local.json");
	f->slice_json[0] = load("slice_zoned.json");
	f->n_slices = 1;
}

static void
fix_xlate(struct fix *f, const char *node, const char *zone)
{
	const struct ng_k8s_slice *sl[2];
	struct ng_k8s_node n = {.name = node, .zone = zone, .ipv4 = true};

	svc_of(f->svc_json, &f->svc);
	for (unsigned int i = 0; i < f->n_slices; i++) {
		slice_of(f->slice_json[i], &f->slices[i]);
		sl[i] = &f->slices[i];
	}
	if (ng_k8s_translate(&f->svc, sl, f->n_slices, &n, &f->x, err, sizeof(err)) != 0)
		fail_msg("translate: %s", err);
}

/* Free the decoded objects and the result, keep the JSON for another run. */
static void
fix_reset(struct fix *f)
{
	ng_k8s_xlate_free(&f->x);
	ng_k8s_service_free(&f->svc);
	for (unsigned int i = 0; i < f->n_slices; i++)
		ng_k8s_slice_free(&f->slices[i]);
}

static void
fix_free(struct fix *f)
{
	fix_reset(f);
	cJSON_Delete(f->svc_json);
	for (unsigned int i = 0; i < 2; i++)
		cJSON_Delete(f->slice_json[i]);
}

static const struct ng_k8s_want *
want(const struct ng_k8s_xlate *x, const char *name)
{
	for (unsigned int i = 0; i < x->n; i++)
		if (strcmp(x->want[i].spec.name, name) == 0)
			return &x->want[i];
	fail_msg("no nodegw service %s", name);
	return NULL;
}

static bool
has_want(const struct ng_k8s_xlate *x, const char *name)
{
	for (unsigned int i = 0; i < x->n; i++)
		if (strcmp(x->want[i].spec.name, name) == 0)
			return true;
	return false;
}

/* "198.18.200.1:443 nodeport:30443" (frontends) or "198.18.1.11:8443 ..." (backends). */
static const char *
eps(const struct ng_k8s_want *w, bool fe)
{
	static char buf[512];
	size_t k = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < (fe ? w->n_fe : w->n_be) && k < sizeof(buf) - 64; i++) {
		const struct ng_ip *a = fe ? &w->fe[i].addr : &w->be[i].addr;
		uint16_t port = fe ? w->fe[i].port : w->be[i].port;
		char t[NG_IP_STRLEN];

		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%s:%u", i ? " " : "",
				a->family == 0 ? "nodeport" : ng_ip_fmt(a, t, sizeof(t)), port);
	}
	return buf;
}

static const char *
backends(const struct ng_k8s_want *w)
{
	return eps(w, false);
}

static const char *
frontends(const struct ng_k8s_want *w)
{
	return eps(w, true);
}

static const char *
prefix(const struct ng_prefix *p)
{
	static char buf[NG_IP_STRLEN + 4];

	return ng_prefix_fmt(p, buf, sizeof(buf));
}

/* ---- decoders ---- */

static void
test_decode_service(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = load("svc_lb_local.json");
	char a[NG_IP_STRLEN];

	(void)state;
	svc_of(o, &s);
	assert_int_equal(s.hc_node_port, 31912);
	assert_int_equal(s.traffic_dist, NG_K8S_TD_PREFER_CLOSE);
	assert_int_equal(s.n_src_ranges, 3);
	assert_string_equal(prefix(&s.src_ranges[0]), "198.51.100.0/24");
	assert_string_equal(prefix(&s.src_ranges[1]), "203.0.113.7/32"); /* spaces trimmed */
	assert_string_equal(prefix(&s.src_ranges[2]), "2001:db8::/48");
	/* ipMode Proxy: the load balancer proxies to NodePorts; its IP is not ours. */
	assert_int_equal(s.n_lb_ips, 2);
	assert_string_equal(ng_ip_fmt(&s.lb_ips[0], a, sizeof(a)), "198.18.200.1");
	assert_string_equal(ng_ip_fmt(&s.lb_ips[1], a, sizeof(a)), "198.18.210.5");
	ng_k8s_service_free(&s);

	put(o, "spec", "trafficDistribution", cJSON_CreateString("PreferSameZone"));
	svc_of(o, &s);
	assert_int_equal(s.traffic_dist, NG_K8S_TD_PREFER_SAME_ZONE);
	ng_k8s_service_free(&s);
	put(o, "spec", "trafficDistribution", cJSON_CreateString("PreferSameNode"));
	svc_of(o, &s);
	assert_int_equal(s.traffic_dist, NG_K8S_TD_PREFER_SAME_NODE);
	ng_k8s_service_free(&s);
	/* A value from a later Kubernetes is ignored, as an older kube-proxy does. */
	put(o, "spec", "trafficDistribution", cJSON_CreateString("PreferSameRack"));
	svc_of(o, &s);
	assert_int_equal(s.traffic_dist, NG_K8S_TD_NONE);
	ng_k8s_service_free(&s);

	put(o, "spec", "loadBalancerSourceRanges", cJSON_Parse("[\"198.51.100.0/24\", "
			"\"10.0.0.0/33\"]"));
	assert_int_equal(ng_k8s_service_decode(o, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "service prod/shop: spec.loadBalancerSourceRanges[1]: "
			"\"10.0.0.0/33\" is not a CIDR");
	put(o, "spec", "loadBalancerSourceRanges", cJSON_CreateArray());
	put(o, "spec", "healthCheckNodePort", cJSON_CreateNumber(70000));
	assert_int_equal(ng_k8s_service_decode(o, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "service prod/shop: spec.healthCheckNodePort: 70000 is out of "
			"range 0..65535");
	cJSON_Delete(o);
}

static void
test_decode_hints(void **state)
{
	struct ng_k8s_slice s;
	cJSON *o = load("slice_zoned.json");

	(void)state;
	slice_of(o, &s);
	assert_int_equal(s.n_endpoints, 4);
	assert_int_equal(s.endpoints[3].hints->n_zones, 1);
	assert_string_equal(s.endpoints[3].hints->names[0], "zone-b");
	assert_int_equal(s.endpoints[3].hints->n_nodes, 1);
	assert_string_equal(s.endpoints[3].hints->names[1], "node-c");
	ng_k8s_slice_free(&s);

	put(o, "endpoints.0.hints", "forZones", cJSON_Parse("[{\"name\": \"zone-a\"}, "
			"{\"name\": \"zone-c\"}]"));
	cJSON_DeleteItemFromObject(at(o, "endpoints.1"), "hints");
	slice_of(o, &s);
	assert_int_equal(s.endpoints[0].hints->n_zones, 2);
	assert_string_equal(s.endpoints[0].hints->names[1], "zone-c");
	assert_null(s.endpoints[1].hints);
	ng_k8s_slice_free(&s);

	put(o, "endpoints.2.hints", "forZones", cJSON_Parse("[{\"zone\": \"zone-b\"}]"));
	assert_int_equal(ng_k8s_slice_decode(o, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "endpointslice prod/shop-x7k2p: endpoints[2].hints.forZones[0]."
			"name: missing");

	/* Empty lists hold nothing; forNodes' type is judged after forZones' names,
	 * and a slice refused half-way gives back the names it took. */
	put(o, "endpoints.2.hints", "forZones", cJSON_Parse("[]"));
	put(o, "endpoints.2.hints", "forNodes", cJSON_Parse("[]"));
	slice_of(o, &s);
	assert_null(s.endpoints[2].hints);
	ng_k8s_slice_free(&s);
	put(o, "endpoints.2.hints", "forZones", cJSON_Parse("[{\"name\": \"zone-q\"}]"));
	put(o, "endpoints.2.hints", "forNodes", cJSON_CreateString("node-q"));
	assert_int_equal(ng_k8s_slice_decode(o, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "endpointslice prod/shop-x7k2p: endpoints[2].hints.forNodes: "
			"not an array");
	assert_int_equal(ng_k8s_names(), 0);
	cJSON_Delete(o);
}

static void
test_decode_node(void **state)
{
	struct ng_k8s_node_obj n;
	cJSON *o = load("node_a.json");

	(void)state;
	assert_int_equal(ng_k8s_node_decode(o, &n, err, sizeof(err)), 0);
	assert_string_equal(n.name, "node-a");
	assert_string_equal(n.ns, "");
	assert_string_equal(n.rv, "771999");
	assert_string_equal(n.zone, "zone-a");
	assert_false(n.to_be_deleted);
	assert_false(n.deleting);
	ng_k8s_node_free(&n);
	assert_null(n.name);

	/* What the cluster autoscaler adds before it drains the node. */
	cJSON_AddItemToArray(at(o, "spec.taints"), cJSON_Parse("{\"effect\": \"NoSchedule\", "
			"\"key\": \"ToBeDeletedByClusterAutoscaler\", \"value\": \"1718093500\"}"));
	put(o, "metadata", "deletionTimestamp", cJSON_CreateString("2024-06-11T08:20:00Z"));
	cJSON_DeleteItemFromObject(at(o, "metadata.labels"), "topology.kubernetes.io/zone");
	assert_int_equal(ng_k8s_node_decode(o, &n, err, sizeof(err)), 0);
	assert_true(n.to_be_deleted);
	assert_true(n.deleting);
	assert_string_equal(n.zone, "");
	ng_k8s_node_free(&n);

	put(o, "spec", "taints", cJSON_CreateString("none"));
	assert_int_equal(ng_k8s_node_decode(o, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "node node-a: spec.taints: not an array");
	assert_null(n.name); /* a failed decode holds nothing */
	cJSON_Delete(o);
}

/* ---- translation ---- */

static void
test_ipmode_proxy(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f);
	put(f.svc_json, "spec", "loadBalancerSourceRanges", cJSON_CreateArray());
	fix_xlate(&f, "node-a", "zone-a");
	assert_false(has_want(&f.x, "prod/shop:https/lb"));
	/* 198.18.200.2 has ipMode Proxy: not served. */
	assert_string_equal(frontends(want(&f.x, "prod/shop:https/ext")),
			"198.18.200.1:443 198.18.210.5:443 nodeport:30443");
	fix_reset(&f);
	put(f.svc_json, "status.loadBalancer.ingress.0", "ipMode", cJSON_CreateString("Proxy"));
	fix_xlate(&f, "node-a", "zone-a");
	assert_string_equal(frontends(want(&f.x, "prod/shop:https/ext")),
			"198.18.210.5:443 nodeport:30443");
	fix_free(&f);
}

/* The internal service (Cluster policy) of the fixture for a node in a zone. */
static const char *
cluster_backends(struct fix *f, const char *node, const char *zone, enum ng_k8s_topo topo)
{
	static char buf[512];

	fix_xlate(f, node, zone);
	snprintf(buf, sizeof(buf), "%s", backends(want(&f->x, "prod/shop:https")));
	assert_int_equal(f->x.topo, topo);
	fix_reset(f);
	return buf;
}

static void
test_zone_hints(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f);
	/* Every endpoint hinted: the node's zone only. */
	assert_string_equal(cluster_backends(&f, "node-a", "zone-a", NG_K8S_TOPO_ZONE),
			"198.18.1.11:8443 198.18.1.12:8443");
	assert_string_equal(cluster_backends(&f, "node-x", "zone-b", NG_K8S_TOPO_ZONE),
			"198.18.1.13:8443 198.18.1.14:8443");
	/* No zone label, or a zone no endpoint is hinted for: every endpoint. */
	assert_string_equal(cluster_backends(&f, "node-x", "", NG_K8S_TOPO_NONE),
			"198.18.1.11:8443 198.18.1.12:8443 198.18.1.13:8443 198.18.1.14:8443");
	assert_string_equal(cluster_backends(&f, "node-x", "zone-c", NG_K8S_TOPO_NONE),
			"198.18.1.11:8443 198.18.1.12:8443 198.18.1.13:8443 198.18.1.14:8443");
	/* All or nothing: one ready endpoint without hints and every endpoint is used. */
	cJSON_DeleteItemFromObject(at(f.slice_json[0], "endpoints.3"), "hints");
	assert_string_equal(cluster_backends(&f, "node-a", "zone-a", NG_K8S_TOPO_NONE),
			"198.18.1.11:8443 198.18.1.12:8443 198.18.1.13:8443 198.18.1.14:8443");
	/* ...but only ready endpoints count: an unready one without hints does not. */
	put(f.slice_json[0], "endpoints.3.conditions", "ready", cJSON_CreateFalse());
	assert_string_equal(cluster_backends(&f, "node-a", "zone-a", NG_K8S_TOPO_ZONE),
			"198.18.1.11:8443 198.18.1.12:8443");
	fix_free(&f);
}

static void
test_node_hints(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f);
	/* PreferClose: forNodes hints are not asked for, the zone decides. */
	assert_string_equal(cluster_backends(&f, "node-c", "zone-b", NG_K8S_TOPO_ZONE),
			"198.18.1.13:8443 198.18.1.14:8443");
	put(f.svc_json, "spec", "trafficDistribution", cJSON_CreateString("PreferSameNode"));
	assert_string_equal(cluster_backends(&f, "node-c", "zone-b", NG_K8S_TOPO_NODE),
			"198.18.1.14:8443");
	assert_string_equal(cluster_backends(&f, "node-a", "zone-a", NG_K8S_TOPO_NODE),
			"198.18.1.11:8443 198.18.1.12:8443");
	/* No endpoint for this node: fall back to the zone hints. */
	assert_string_equal(cluster_backends(&f, "node-x", "zone-b", NG_K8S_TOPO_ZONE),
			"198.18.1.13:8443 198.18.1.14:8443");
	/* One endpoint without node hints: the zone hints still hold. */
	cJSON_DeleteItemFromObject(at(f.slice_json[0], "endpoints.0.hints"), "forNodes");
	assert_string_equal(cluster_backends(&f, "node-c", "zone-b", NG_K8S_TOPO_ZONE),
			"198.18.1.13:8443 198.18.1.14:8443");
	fix_free(&f);
}

static void
test_local_ignores_hints(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f);
	put(f.svc_json, "spec", "loadBalancerSourceRanges", cJSON_CreateArray());
	/* node-a sits in zone-b here: Cluster traffic follows the zone hints, Local
	 * traffic takes this node's endpoints whatever their hints say. */
	fix_xlate(&f, "node-a", "zone-b");
	assert_string_equal(backends(want(&f.x, "prod/shop:https")),
			"198.18.1.13:8443 198.18.1.14:8443");
	assert_string_equal(backends(want(&f.x, "prod/shop:https/ext")),
			"198.18.1.11:8443 198.18.1.12:8443");
	assert_int_equal(want(&f.x, "prod/shop:https/ext")->spec.mode, NG_FWD_DNAT);
	fix_free(&f);
}

static void
test_source_ranges(void **state)
{
	const struct ng_k8s_want *lb, *ext;
	struct fix f;

	(void)state;
	fix_init(&f);
	fix_xlate(&f, "node-a", "zone-a");
	assert_int_equal(f.x.n, 3);
	lb = want(&f.x, "prod/shop:https/lb");
	ext = want(&f.x, "prod/shop:https/ext");
	/* The LB IP moves to /lb with the IPv4 ranges; 198.18.210.5 is also an
	 * externalIP, which source ranges do not restrict: it stays in /ext. */
	assert_string_equal(frontends(lb), "198.18.200.1:443");
	assert_string_equal(frontends(ext), "198.18.210.5:443 nodeport:30443");
	assert_int_equal(lb->spec.n_src_ranges, 2);
	assert_string_equal(prefix(&lb->spec.src_ranges[0]), "198.51.100.0/24");
	assert_string_equal(prefix(&lb->spec.src_ranges[1]), "203.0.113.7/32");
	assert_int_equal(ext->spec.n_src_ranges, 0);
	assert_int_equal(want(&f.x, "prod/shop:https")->spec.n_src_ranges, 0);
	/* Same policy as /ext: Local, this node's endpoints, DNAT. */
	assert_true(lb->external);
	assert_int_equal(lb->spec.mode, NG_FWD_DNAT);
	assert_string_equal(backends(lb), "198.18.1.11:8443 198.18.1.12:8443");
	fix_reset(&f);
	/* Only ranges of a family nodegw does not serve: nothing is restricted. */
	put(f.svc_json, "spec", "loadBalancerSourceRanges", cJSON_Parse("[\"2001:db8::/48\"]"));
	fix_xlate(&f, "node-a", "zone-a");
	assert_false(has_want(&f.x, "prod/shop:https/lb"));
	assert_string_equal(frontends(want(&f.x, "prod/shop:https/ext")),
			"198.18.200.1:443 198.18.210.5:443 nodeport:30443");
	fix_free(&f);
}

static void
test_health_check_node_port(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f);
	fix_xlate(&f, "node-a", "zone-a");
	assert_int_equal(f.x.hc_node_port, 31912);
	assert_int_equal(f.x.hc_local_endpoints, 2);
	fix_reset(&f);
	fix_xlate(&f, "node-c", "zone-b");
	assert_int_equal(f.x.hc_local_endpoints, 1);
	fix_reset(&f);
	fix_xlate(&f, "node-x", "zone-b");
	assert_int_equal(f.x.hc_node_port, 31912);
	assert_int_equal(f.x.hc_local_endpoints, 0);
	fix_reset(&f);
	/* Terminating endpoints are not ready: not counted (the LB drains the node). The
	 * same address in a second slice counts once. */
	put(f.slice_json[0], "endpoints.1.conditions", "ready", cJSON_CreateFalse());
	put(f.slice_json[0], "endpoints.1.conditions", "terminating", cJSON_CreateTrue());
	f.slice_json[1] = cJSON_Duplicate(f.slice_json[0], true);
	put(f.slice_json[1], "metadata", "name", cJSON_CreateString("shop-y8l3q"));
	f.n_slices = 2;
	fix_xlate(&f, "node-a", "zone-a");
	assert_int_equal(f.x.hc_local_endpoints, 1);
	fix_reset(&f);
	/* Only LoadBalancer services with externalTrafficPolicy Local have one. */
	put(f.svc_json, "spec", "externalTrafficPolicy", cJSON_CreateString("Cluster"));
	fix_xlate(&f, "node-a", "zone-a");
	assert_int_equal(f.x.hc_node_port, 0);
	fix_reset(&f);
	put(f.svc_json, "spec", "externalTrafficPolicy", cJSON_CreateString("Local"));
	put(f.svc_json, "spec", "type", cJSON_CreateString("NodePort"));
	fix_xlate(&f, "node-a", "zone-a");
	assert_int_equal(f.x.hc_node_port, 0);
	fix_free(&f);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_service),
		cmocka_unit_test(test_decode_hints),
		cmocka_unit_test(test_decode_node),
		cmocka_unit_test(test_ipmode_proxy),
		cmocka_unit_test(test_zone_hints),
		cmocka_unit_test(test_node_hints),
		cmocka_unit_test(test_local_ignores_hints),
		cmocka_unit_test(test_source_ranges),
		cmocka_unit_test(test_health_check_node_port),
	};

	return cmocka_run_group_tests_name("k8s_topology", tests, NULL, NULL);
}
