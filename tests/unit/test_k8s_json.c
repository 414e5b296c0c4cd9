/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the Kubernetes JSON decoders (lib/k8s/k8s_json.c through
 * k8s_obj.h): Services, EndpointSlices, list metadata and watch events.
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

/* ---- decoder helpers ---- */

/** A service that must fail with exactly msg, leaving the output zeroed; deletes o. */
static void
svc_bad(cJSON *o, int rc, const char *msg)
{
	static const struct ng_k8s_service zero;
	struct ng_k8s_service s;

	memset(&s, 0x5a, sizeof(s));
	err[0] = '\0';
	assert_int_equal(ng_k8s_service_decode(o, &s, err, sizeof(err)), rc);
	assert_string_equal(err, msg);
	assert_memory_equal(&s, &zero, sizeof(s));
	ng_k8s_service_free(&s);
	cJSON_Delete(o);
}

static void
slice_bad(cJSON *o, const char *msg)
{
	static const struct ng_k8s_slice zero;
	struct ng_k8s_slice s;

	memset(&s, 0x5a, sizeof(s));
	err[0] = '\0';
	assert_int_equal(ng_k8s_slice_decode(o, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
	assert_memory_equal(&s, &zero, sizeof(s));
	ng_k8s_slice_free(&s);
	cJSON_Delete(o);
}

static void
assert_ip(const struct ng_ip *a, const char *s)
{
	char buf[NG_IP_STRLEN];

	assert_string_equal(ng_ip_fmt(a, buf, sizeof(buf)), s);
}



/* ======== Service decoder ======== */

static void
test_svc_basic(void **state)
{
	struct ng_k8s_service s;

	(void)state;
	svc_ok(web(), &s);
	assert_string_equal(s.ns, "default");
	assert_string_equal(s.name, "web");
	assert_string_equal(s.rv, "48213");
	assert_null(s.skip);
	assert_int_equal(s.type, NG_K8S_CLUSTER_IP);
	assert_int_equal(s.n_cluster_ips, 1);
	assert_ip(&s.cluster_ips[0], "198.18.100.10");
	assert_int_equal(s.n_external_ips, 0);
	assert_int_equal(s.n_lb_ips, 0);
	assert_int_equal(s.n_ports, 1);
	assert_string_equal(s.ports[0].name, "http");
	assert_int_equal(s.ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s.ports[0].port, 80);
	assert_int_equal(s.ports[0].node_port, 0);
	assert_false(s.affinity);
	assert_int_equal(s.affinity_timeout, 10800);
	assert_false(s.etp_local);
	assert_false(s.itp_local);
	ng_k8s_service_free(&s);
}

static void
test_svc_type_default(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, NULL, "spec", "type");
	svc_ok(o, &s);
	assert_int_equal(s.type, NG_K8S_CLUSTER_IP);
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "'NodePort'", "spec", "type");
	svc_ok(o, &s);
	assert_int_equal(s.type, NG_K8S_NODE_PORT);
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "'Balanced'", "spec", "type");
	svc_bad(o, -EINVAL, "service default/web: spec.type: unknown value \"Balanced\"");
}

static void
test_svc_headless_none(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "'None'", "spec", "clusterIP");
	SET(o, "['None']", "spec", "clusterIPs");
	svc_ok(o, &s);
	assert_string_equal(s.skip, "headless");
	assert_int_equal(s.n_cluster_ips, 0);
	ng_k8s_service_free(&s);
}

static void
test_svc_headless_empty(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "''", "spec", "clusterIP");
	SET(o, NULL, "spec", "clusterIPs");
	svc_ok(o, &s);
	assert_string_equal(s.skip, "headless");
	ng_k8s_service_free(&s);

	o = web();
	SET(o, NULL, "spec", "clusterIP");
	SET(o, NULL, "spec", "clusterIPs");
	svc_ok(o, &s);
	assert_string_equal(s.skip, "headless");
	ng_k8s_service_free(&s);
}

static void
test_svc_external_name(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "'ExternalName'", "spec", "type");
	SET(o, "'db.example.com'", "spec", "externalName");
	SET(o, NULL, "spec", "clusterIP");
	SET(o, NULL, "spec", "clusterIPs");
	svc_ok(o, &s);
	assert_int_equal(s.type, NG_K8S_EXTERNAL_NAME);
	assert_string_equal(s.skip, "type ExternalName");
	ng_k8s_service_free(&s);
}

static void
test_svc_label_proxy_name(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "'cilium'", "metadata", "labels", "service.kubernetes.io/service-proxy-name");
	svc_ok(o, &s);
	assert_string_equal(s.skip, "label service.kubernetes.io/service-proxy-name");
	ng_k8s_service_free(&s);
}

static void
test_svc_label_headless(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "''", "metadata", "labels", "service.kubernetes.io/headless");
	svc_ok(o, &s);
	assert_string_equal(s.skip, "label service.kubernetes.io/headless");
	assert_int_equal(s.n_cluster_ips, 1);
	ng_k8s_service_free(&s);
}

static void
test_svc_cluster_ips_over_cluster_ip(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	/* clusterIPs wins when present... */
	SET(o, "['198.18.100.11', '2001:db8:100::11']", "spec", "clusterIPs");
	SET(o, "'198.18.100.11'", "spec", "clusterIP");
	SET(o, "'PreferDualStack'", "spec", "ipFamilyPolicy");
	svc_ok(o, &s);
	assert_int_equal(s.n_cluster_ips, 2);
	assert_ip(&s.cluster_ips[0], "198.18.100.11");
	assert_ip(&s.cluster_ips[1], "2001:db8:100::11");
	assert_null(s.skip);
	ng_k8s_service_free(&s);

	/* ...clusterIP alone serves (objects from before dual-stack) */
	o = web();
	SET(o, NULL, "spec", "clusterIPs");
	SET(o, "'198.18.100.12'", "spec", "clusterIP");
	svc_ok(o, &s);
	assert_int_equal(s.n_cluster_ips, 1);
	assert_ip(&s.cluster_ips[0], "198.18.100.12");
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "['198.18.100.11', '198.18.100.12']", "spec", "clusterIPs");
	svc_bad(o, -EINVAL, "service default/web: spec.clusterIPs: two addresses of the same "
		"family");
	o = web();
	SET(o, "['198.18.100.11', '2001:db8::1', '198.18.100.12']", "spec", "clusterIPs");
	svc_bad(o, -EINVAL, "service default/web: spec.clusterIPs: more than 2 addresses");
}

static void
test_svc_external_ips(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "['198.18.200.1', '2001:db8:200::1']", "spec", "externalIPs");
	svc_ok(o, &s);
	assert_int_equal(s.n_external_ips, 2);
	assert_ip(&s.external_ips[0], "198.18.200.1");
	assert_ip(&s.external_ips[1], "2001:db8:200::1");
	ng_k8s_service_free(&s);
}

static void
test_svc_lb_ingress(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web_lb();

	(void)state;
	SET(o, "[{'ip': '198.18.200.1', 'ipMode': 'VIP'}, {'hostname': 'lb-1.example.com'},"
		"{'ip': '198.18.200.9', 'ipMode': 'Proxy'},"
		"{'ip': '2001:db8:200::1', 'ports': [{'port': 80, 'protocol': 'TCP'}]}]",
		"status", "loadBalancer", "ingress");
	svc_ok(o, &s);
	assert_int_equal(s.type, NG_K8S_LOAD_BALANCER);
	/* hostname-only and ipMode Proxy entries are not ours */
	assert_int_equal(s.n_lb_ips, 2);
	assert_ip(&s.lb_ips[0], "198.18.200.1");
	assert_ip(&s.lb_ips[1], "2001:db8:200::1");
	assert_int_equal(s.ports[0].node_port, 30080);
	ng_k8s_service_free(&s);
}

static void
test_svc_protocols(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "[{'name': 'a', 'port': 80}, {'name': 'b', 'port': 53, 'protocol': 'UDP'},"
		"{'name': 'c', 'port': 3868, 'protocol': 'SCTP'}, {'name': 'd', 'port': 81,"
		" 'protocol': null}]", "spec", "ports");
	svc_ok(o, &s);
	assert_int_equal(s.n_ports, 4);
	assert_int_equal(s.ports[0].proto, IPPROTO_TCP); /* absent: TCP */
	assert_int_equal(s.ports[1].proto, IPPROTO_UDP);
	assert_int_equal(s.ports[2].proto, IPPROTO_SCTP);
	assert_int_equal(s.ports[3].proto, IPPROTO_TCP); /* null: TCP */
	ng_k8s_service_free(&s);
}

static void
test_svc_unknown_protocol(void **state)
{
	cJSON *o = web();

	(void)state;
	SET(o, "[{'name': 'http', 'port': 80}, {'name': 'ping', 'port': 7, 'protocol': 'ICMP'}]",
		"spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[1].protocol: unknown protocol "
		"\"ICMP\"");
}

static void
test_svc_port_numbers(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "[{'port': 65535, 'nodePort': 32767}]", "spec", "ports");
	svc_ok(o, &s);
	assert_string_equal(s.ports[0].name, "");
	assert_int_equal(s.ports[0].port, 65535);
	assert_int_equal(s.ports[0].node_port, 32767);
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "[{'port': 0}]", "spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[0].port: 0 is out of range 1..65535");
	o = web();
	SET(o, "[{'port': 65536}]", "spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[0].port: 65536 is out of range "
		"1..65535");
	o = web();
	SET(o, "[{'port': 80.5}]", "spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[0].port: 80.5 is not an integer");
	o = web();
	SET(o, "[{'name': 'http', 'targetPort': 8080}]", "spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[0].port: missing");
	o = web();
	SET(o, "[{'port': 80, 'nodePort': -1}]", "spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[0].nodePort: -1 is out of range "
		"0..65535");
	o = web();
	SET(o, "[{'name': 'a-very-long-port-name', 'port': 80}]", "spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[0].name: longer than 15 characters");
}

static void
test_svc_affinity_default(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "'ClientIP'", "spec", "sessionAffinity");
	svc_ok(o, &s);
	assert_true(s.affinity);
	assert_int_equal(s.affinity_timeout, 10800);
	ng_k8s_service_free(&s);
}

static void
test_svc_affinity_timeout(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "'ClientIP'", "spec", "sessionAffinity");
	SET(o, "{'clientIP': {'timeoutSeconds': 600}}", "spec", "sessionAffinityConfig");
	svc_ok(o, &s);
	assert_true(s.affinity);
	assert_int_equal(s.affinity_timeout, 600);
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "'ClientIP'", "spec", "sessionAffinity");
	SET(o, "{'clientIP': {'timeoutSeconds': 86401}}", "spec", "sessionAffinityConfig");
	svc_bad(o, -EINVAL, "service default/web: spec.sessionAffinityConfig.clientIP."
		"timeoutSeconds: 86401 is out of range 1..86400");
	o = web();
	SET(o, "{'clientIP': {'timeoutSeconds': 0}}", "spec", "sessionAffinityConfig");
	svc_bad(o, -EINVAL, "service default/web: spec.sessionAffinityConfig.clientIP."
		"timeoutSeconds: 0 is out of range 1..86400");
	o = web();
	SET(o, "'Cookie'", "spec", "sessionAffinity");
	svc_bad(o, -EINVAL, "service default/web: spec.sessionAffinity: unknown value "
		"\"Cookie\"");
}

static void
test_svc_traffic_policies(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web_lb();

	(void)state;
	SET(o, "'Local'", "spec", "externalTrafficPolicy");
	SET(o, "32000", "spec", "healthCheckNodePort");
	svc_ok(o, &s);
	assert_true(s.etp_local);
	assert_false(s.itp_local);
	ng_k8s_service_free(&s);

	o = web_lb();
	SET(o, "'OnlyLocal'", "spec", "externalTrafficPolicy"); /* before 1.14 */
	svc_ok(o, &s);
	assert_true(s.etp_local);
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "'Local'", "spec", "internalTrafficPolicy");
	svc_ok(o, &s);
	assert_false(s.etp_local);
	assert_true(s.itp_local);
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "'Nearby'", "spec", "internalTrafficPolicy");
	svc_bad(o, -EINVAL, "service default/web: spec.internalTrafficPolicy: unknown value "
		"\"Nearby\"");
}

static void
test_svc_bad_address(void **state)
{
	cJSON *o = web();

	(void)state;
	SET(o, "['198.18.200.1', '198.18.200.2', '1.2.3']", "spec", "externalIPs");
	svc_bad(o, -EINVAL, "service default/web: spec.externalIPs[2]: \"1.2.3\" is not an IP "
		"address");
	o = web();
	SET(o, "'198.18.100.300'", "spec", "clusterIP");
	SET(o, NULL, "spec", "clusterIPs");
	svc_bad(o, -EINVAL, "service default/web: spec.clusterIP: \"198.18.100.300\" is not an "
		"IP address");
	o = web();
	SET(o, "['fe80::1%eth0']", "spec", "clusterIPs");
	svc_bad(o, -EINVAL, "service default/web: spec.clusterIPs[0]: \"fe80::1%eth0\" is not an "
		"IP address");
	o = web_lb();
	SET(o, "[{'ip': 'lb.example.com'}]", "status", "loadBalancer", "ingress");
	svc_bad(o, -EINVAL, "service default/web: status.loadBalancer.ingress[0].ip: "
		"\"lb.example.com\" is not an IP address");
}

static void
test_svc_wrong_types(void **state)
{
	static const struct {
		const char *value, *k1, *k2, *msg;
	} cases[] = {
		{"[{'name': 'http', 'port': '80'}]", "spec", "ports",
			"service default/web: spec.ports[0].port: not a number"},
		{"'198.18.200.1'", "spec", "externalIPs",
			"service default/web: spec.externalIPs: not an array"},
		{"[198]", "spec", "clusterIPs",
			"service default/web: spec.clusterIPs[0]: not a string"},
		{"['a', 'b']", "spec", "ports",
			"service default/web: spec.ports[0]: not an object"},
		{"'app=web'", "metadata", "labels",
			"service default/web: metadata.labels: not an object"},
		{"true", "spec", "type", "service default/web: spec.type: not a string"},
		{"[]", "spec", NULL, "service default/web: spec: not an object"},
		{"42", "metadata", "name", "service: metadata.name: not a string"},
		{"{'loadBalancer': []}", "status", NULL,
			"service default/web: status.loadBalancer: not an object"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *o = web();

		if (cases[i].k2 != NULL)
			SET(o, cases[i].value, cases[i].k1, cases[i].k2);
		else
			SET(o, cases[i].value, cases[i].k1);
		svc_bad(o, -EINVAL, cases[i].msg);
	}
	svc_bad(parse("['not', 'an', 'object']"), -EINVAL, "service: not a JSON object");
	svc_bad(parse("{'kind': 'Service', 'metadata': {'namespace': 'default'}}"), -EINVAL,
		"service: metadata.name: missing");
}

static void
test_svc_unknown_and_null_fields(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	/* Fields of later API versions are ignored; null is the same as absent. */
	SET(o, "{'trafficDistribution': 'PreferClose', 'x': [1, {'y': null}]}", "spec",
		"futureThing");
	SET(o, "'PreferClose'", "spec", "trafficDistribution");
	SET(o, "null", "spec", "externalIPs");
	SET(o, "null", "spec", "sessionAffinityConfig");
	SET(o, "null", "status");
	SET(o, "null", "metadata", "labels");
	svc_ok(o, &s);
	assert_null(s.skip);
	assert_int_equal(s.n_external_ips, 0);
	assert_int_equal(s.affinity_timeout, 10800);
	ng_k8s_service_free(&s);
}

static void
test_svc_error_frees(void **state)
{
	cJSON *o = web();

	(void)state;
	/* Fails after externalIPs, ports and lb ingress arrays were allocated: LSan checks. */
	SET(o, "['198.18.200.1', '198.18.200.2']", "spec", "externalIPs");
	SET(o, "{'loadBalancer': {'ingress': [{'ip': '198.18.200.3'}, {'ip': 'x'}]}}", "status");
	svc_bad(o, -EINVAL, "service default/web: status.loadBalancer.ingress[1].ip: \"x\" is "
		"not an IP address");
}

static void
test_svc_error_quotes_safely(void **state)
{
	cJSON *o = web();

	(void)state;
	SET(o, "['198.18.200.1\\n\\'x']", "spec", "externalIPs");
	svc_bad(o, -EINVAL, "service default/web: spec.externalIPs[0]: \"198.18.200.1??x\" is "
		"not an IP address");
}

/* ======== EndpointSlice decoder ======== */

static void
test_slice_basic(void **state)
{
	struct ng_k8s_slice s;

	(void)state;
	slice_ok(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-a", READY) "," EP("198.19.1.11", "node-b",
			TERM_SERVING)), &s);
	assert_string_equal(s.ns, "default");
	assert_string_equal(s.name, "web-x7k2p");
	assert_string_equal(s.rv, "48230");
	assert_string_equal(s.service, "web");
	assert_int_equal(s.family, AF_INET);
	assert_int_equal(s.n_ports, 1);
	assert_string_equal(s.ports[0].name, "http");
	assert_int_equal(s.ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s.ports[0].port, 8080);
	assert_int_equal(s.n_endpoints, 2);
	assert_ip(&s.endpoints[0].addr, "198.19.1.10");
	assert_true(s.endpoints[0].ready);
	assert_true(s.endpoints[0].serving);
	assert_false(s.endpoints[0].terminating);
	assert_string_equal(s.endpoints[0].node, "node-a");
	assert_ip(&s.endpoints[1].addr, "198.19.1.11");
	assert_false(s.endpoints[1].ready);
	assert_true(s.endpoints[1].serving);
	assert_true(s.endpoints[1].terminating);
	assert_string_equal(s.endpoints[1].node, "node-b");
	ng_k8s_slice_free(&s);
}

/* Node names are shared, not copied: two slices naming node-a hold one copy,
 * and it goes with the last of them. */
static void
test_slice_node_names_shared(void **state)
{
	struct ng_k8s_slice a, b;
	uint32_t base = ng_k8s_names();

	(void)state;
	slice_ok(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-a", READY) "," EP("198.19.1.11", "node-b",
			READY)), &a);
	slice_ok(slice_json("web-q9z1m", "IPv4", PORT_HTTP,
			EP("198.19.1.12", "node-a", READY)), &b);
	assert_ptr_equal(a.endpoints[0].node, b.endpoints[0].node);
	assert_ptr_not_equal(a.endpoints[0].node, a.endpoints[1].node);
	assert_int_equal(ng_k8s_names(), base + 2);
	ng_k8s_slice_free(&a);
	assert_int_equal(ng_k8s_names(), base + 1);
	assert_string_equal(b.endpoints[0].node, "node-a");
	ng_k8s_slice_free(&b);
	assert_int_equal(ng_k8s_names(), base);
}

/* The table through growth and deletions in a scrambled order: every name
 * keeps one copy while referenced and is found again after its neighbours
 * in the table are deleted. */
static void
test_name_table(void **state)
{
	enum { N = 3000 };
	const char **p = calloc(N, sizeof(*p));
	unsigned int *order = calloc(N, sizeof(*order));
	uint32_t base = ng_k8s_names();
	char buf[32];

	(void)state;
	assert_non_null(p);
	assert_non_null(order);
	for (unsigned int i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "node-%u", i);
		p[i] = ng_k8s_name_get(buf);
		assert_non_null(p[i]);
		assert_string_equal(p[i], buf);
		order[i] = i;
	}
	assert_int_equal(ng_k8s_names(), base + N);
	for (unsigned int i = N - 1; i > 0; i--) {
		unsigned int j = (i * 2654435761u) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (unsigned int k = 0; k < N; k++) {
		unsigned int i = order[k];

		snprintf(buf, sizeof(buf), "node-%u", i);
		assert_ptr_equal(ng_k8s_name_get(buf), p[i]); /* a second reference */
		ng_k8s_name_put(p[i]);
		ng_k8s_name_put(p[i]);
		for (unsigned int m = k + 1; m < N && m < k + 8; m++) {
			snprintf(buf, sizeof(buf), "node-%u", order[m]);
			assert_ptr_equal(ng_k8s_name_get(buf), p[order[m]]);
			ng_k8s_name_put(p[order[m]]);
		}
		assert_int_equal(ng_k8s_names(), base + N - k - 1);
	}
	ng_k8s_name_put(NULL);
	free(order);
	free(p);
}

static void
test_slice_ipv6(void **state)
{
	struct ng_k8s_slice s;

	(void)state;
	slice_ok(slice_json("web-v6abc", "IPv6", PORT_HTTP,
			EP("2001:db8:1::10", "node-a", READY)), &s);
	assert_int_equal(s.family, AF_INET6);
	assert_ip(&s.endpoints[0].addr, "2001:db8:1::10");
	ng_k8s_slice_free(&s);
}

static void
test_slice_fqdn(void **state)
{
	struct ng_k8s_slice s;

	(void)state;
	slice_ok(slice_json("web-fqdn1", "FQDN", PORT_HTTP,
			EP("db-1.example.com", "node-a", READY)), &s);
	assert_int_equal(s.family, 0);
	assert_int_equal(s.n_endpoints, 0);
	assert_null(s.endpoints);
	ng_k8s_slice_free(&s);
}

static void
test_slice_port_nil(void **state)
{
	struct ng_k8s_slice s;

	(void)state;
	slice_ok(slice_json("web-x7k2p", "IPv4",
			"{'name': null, 'port': null, 'protocol': null}, {'port': 9090}", ""),
			&s);
	assert_int_equal(s.n_ports, 2);
	assert_string_equal(s.ports[0].name, "");
	assert_int_equal(s.ports[0].port, 0);
	assert_int_equal(s.ports[0].proto, IPPROTO_TCP);
	assert_string_equal(s.ports[1].name, "");
	assert_int_equal(s.ports[1].port, 9090);
	assert_int_equal(s.n_endpoints, 0);
	ng_k8s_slice_free(&s);
}

static void
test_slice_nil_conditions(void **state)
{
	struct ng_k8s_slice s;

	(void)state;
	slice_ok(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			"{'addresses': ['198.19.1.10']},"
			"{'addresses': ['198.19.1.11'], 'conditions': {}},"
			"{'addresses': ['198.19.1.12'], 'conditions': {'ready': null,"
			" 'serving': null, 'terminating': null}, 'nodeName': null},"
			"{'addresses': ['198.19.1.13'], 'conditions': {'ready': false}}"), &s);
	assert_int_equal(s.n_endpoints, 4);
	for (unsigned int i = 0; i < 3; i++) {
		assert_true(s.endpoints[i].ready);
		assert_true(s.endpoints[i].serving);
		assert_false(s.endpoints[i].terminating);
		assert_null(s.endpoints[i].node);
	}
	assert_false(s.endpoints[3].ready);
	assert_true(s.endpoints[3].serving); /* nil serving is true, whatever ready says */
	ng_k8s_slice_free(&s);
}

static void
test_slice_errors(void **state)
{
	cJSON *o;

	(void)state;
	slice_bad(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-a", READY) ", {'addresses': [], 'nodeName':"
			" 'node-b'}"),
		"endpointslice default/web-x7k2p: endpoints[1].addresses: empty");
	slice_bad(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-a", READY) "," EP("198.19.1.300", "node-b", READY)),
		"endpointslice default/web-x7k2p: endpoints[1].addresses[0]: \"198.19.1.300\" is "
		"not an IPv4 address");
	slice_bad(slice_json("web-x7k2p", "IPv4", PORT_HTTP, EP("2001:db8::1", "node-a", READY)),
		"endpointslice default/web-x7k2p: endpoints[0].addresses[0]: \"2001:db8::1\" is "
		"not an IPv4 address");
	slice_bad(slice_json("web-x7k2p", "IPv6", PORT_HTTP, EP("198.19.1.1", "node-a", READY)),
		"endpointslice default/web-x7k2p: endpoints[0].addresses[0]: \"198.19.1.1\" is "
		"not an IPv6 address");
	slice_bad(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			"{'addresses': ['198.19.1.10'], 'conditions': {'ready': 'true'}}"),
		"endpointslice default/web-x7k2p: endpoints[0].conditions.ready: not a boolean");
	slice_bad(slice_json("web-x7k2p", "IPv4", "{'name': 'http', 'port': 8080,"
			" 'protocol': 'QUIC'}", ""),
		"endpointslice default/web-x7k2p: ports[0].protocol: unknown protocol \"QUIC\"");
	slice_bad(slice_json("web-x7k2p", "AppleTalk", PORT_HTTP, ""),
		"endpointslice default/web-x7k2p: addressType: unknown value \"AppleTalk\"");
	o = slice_json("web-x7k2p", "IPv4", PORT_HTTP, "");
	SET(o, NULL, "addressType");
	slice_bad(o, "endpointslice default/web-x7k2p: addressType: missing");
	/* an index of two digits in the path */
	slice_bad(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-a", READY) "," EP("198.19.1.11", "node-a", READY) ","
			EP("198.19.1.12", "node-a", READY) "," EP("198.19.1.13", "node-a", READY) ","
			EP("198.19.1.14", "node-a", READY) "," EP("198.19.1.15", "node-a", READY) ","
			EP("198.19.1.16", "node-a", READY) "," EP("198.19.1.17", "node-a", READY) ","
			EP("198.19.1.18", "node-a", READY) "," EP("198.19.1.19", "node-a", READY) ","
			EP("198.19.1.20", "node-a", READY) "," EP("198.19.1.21", "node-a", READY) ","
			EP("198.19.1.256", "node-a", READY)),
		"endpointslice default/web-x7k2p: endpoints[12].addresses[0]: \"198.19.1.256\" is "
		"not an IPv4 address");
	/* fails after nodeName copies were made: LSan checks */
	slice_bad(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-a", READY) "," EP("198.19.1.11", "node-b", READY)
			", {'addresses': ['198.19.1.12'], 'nodeName': 7}"),
		"endpointslice default/web-x7k2p: endpoints[2].nodeName: not a string");
}

static void
test_slice_no_service_label(void **state)
{
	struct ng_k8s_slice s;
	cJSON *o = slice_json("custom-1", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-a", READY));

	(void)state;
	SET(o, NULL, "metadata", "labels", "kubernetes.io/service-name");
	slice_ok(o, &s);
	assert_string_equal(s.service, "");
	ng_k8s_slice_free(&s);
}

/* ======== metadata, lists, events ======== */

static void
test_meta_decode(void **state)
{
	char ns[NG_K8S_NS_MAX], name[NG_K8S_NAME_MAX], rv[NG_K8S_RV_MAX];
	cJSON *o = web();

	(void)state;
	assert_int_equal(ng_k8s_meta_decode(o, ns, name, rv, err, sizeof(err)), 0);
	assert_string_equal(ns, "default");
	assert_string_equal(name, "web");
	assert_string_equal(rv, "48213");
	cJSON_Delete(o);

	o = parse("{'kind': 'Service', 'metadata': {'resourceVersion': '5'}}");
	assert_int_equal(ng_k8s_meta_decode(o, ns, name, rv, err, sizeof(err)), 0);
	assert_string_equal(ns, "");
	assert_string_equal(name, "");
	assert_string_equal(rv, "5");
	cJSON_Delete(o);

	o = parse("{'metadata': {'name': 'web', 'resourceVersion': 48213}}");
	assert_int_equal(ng_k8s_meta_decode(o, ns, name, rv, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "object web: metadata.resourceVersion: not a string");
	cJSON_Delete(o);
}

/* kubectl get svc -o json (a page): items have no kind or apiVersion. */
static char *
list_text(const char *meta)
{
	cJSON *item = web();
	char *text, *it;

	cJSON_DeleteItemFromObjectCaseSensitive(item, "kind");
	cJSON_DeleteItemFromObjectCaseSensitive(item, "apiVersion");
	it = cJSON_PrintUnformatted(item);
	cJSON_Delete(item);
	assert_true(asprintf(&text, "{\"apiVersion\":\"v1\",\"items\":[%s,%s],"
			"\"kind\":\"ServiceList\",\"metadata\":%s}", it, it, meta) > 0);
	free(it);
	return text;
}

static void
test_list_continue(void **state)
{
	char *text = list_text("{\"continue\":\"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDgyMTMsInN"
			"0YXJ0IjoiZGVmYXVsdC93ZWJcdTAwMDAifQ\",\"remainingItemCount\":3,"
			"\"resourceVersion\":\"48213\"}");
	cJSON *root = cJSON_Parse(text);
	const char *rv, *cont;
	const cJSON *items, *it;
	unsigned int n = 0;

	(void)state;
	assert_non_null(root);
	assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)), 0);
	assert_string_equal(rv, "48213");
	assert_string_equal(cont, "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDgyMTMsInN0YXJ0IjoiZGVm"
			"YXVsdC93ZWJcdTAwMDAifQ");
	cJSON_ArrayForEach(it, items) {
		struct ng_k8s_service s;

		assert_int_equal(ng_k8s_service_decode(it, &s, err, sizeof(err)), 0);
		assert_string_equal(s.name, "web");
		ng_k8s_service_free(&s);
		n++;
	}
	assert_int_equal(n, 2);
	cJSON_Delete(root);
	free(text);
}

static void
test_list_no_continue(void **state)
{
	static const char *const metas[] = {
		"{\"resourceVersion\":\"48213\"}",
		"{\"continue\":\"\",\"resourceVersion\":\"48213\"}",
	};
	const char *rv, *cont;
	const cJSON *items;
	cJSON *root;

	(void)state;
	for (unsigned int i = 0; i < 2; i++) {
		char *text = list_text(metas[i]);

		root = cJSON_Parse(text);
		assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)),
				0);
		assert_string_equal(rv, "48213");
		assert_string_equal(cont, "");
		assert_int_equal(cJSON_GetArraySize(items), 2);
		cJSON_Delete(root);
		free(text);
	}
	/* empty lists: [] and null */
	root = parse("{'apiVersion': 'v1', 'items': [], 'kind': 'ServiceList', "
			"'metadata': {'resourceVersion': '7'}}");
	assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)), 0);
	assert_int_equal(cJSON_GetArraySize(items), 0);
	cJSON_Delete(root);
	root = parse("{'items': null, 'kind': 'EndpointSliceList', 'metadata': "
			"{'resourceVersion': '7'}}");
	assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)), 0);
	assert_non_null(items);
	assert_int_equal(cJSON_GetArraySize(items), 0);
	cJSON_Delete(root);
}

static void
test_list_errors(void **state)
{
	const char *rv, *cont;
	const cJSON *items;
	cJSON *root;

	(void)state;
	/* A Status is not an empty list. */
	root = parse("{'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure',"
			" 'message': 'services is forbidden', 'reason': 'Forbidden', 'code': 403}");
	assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)),
			-EINVAL);
	assert_string_equal(err, "list: items: missing");
	cJSON_Delete(root);
	root = parse("{'items': {}, 'metadata': {'resourceVersion': '7'}}");
	assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)),
			-EINVAL);
	assert_string_equal(err, "list: items: not an array");
	cJSON_Delete(root);
	root = parse("{'items': [], 'metadata': {'continue': 5}}");
	assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)),
			-EINVAL);
	assert_string_equal(err, "list: metadata.continue: not a string");
	cJSON_Delete(root);
}

static void
event_ok(const char *text, struct ng_k8s_event *ev, cJSON **root)
{
	int rc;

	*root = cJSON_Parse(text);
	assert_non_null(*root);
	rc = ng_k8s_event_decode(*root, ev, err, sizeof(err));
	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
}

static void
event_type_case(const char *type, enum ng_k8s_ev_type want, const char *rv)
{
	char *text = event_text(type, rv, false);
	struct ng_k8s_event ev;
	char quoted[16];
	cJSON *root;

	event_ok(text, &ev, &root);
	assert_int_equal(ev.type, want);
	snprintf(quoted, sizeof(quoted), "%.*s", (int)strlen(rv) - 2, rv + 1);
	assert_string_equal(ev.rv, quoted);
	assert_ptr_equal(ev.object, cJSON_GetObjectItemCaseSensitive(root, "object"));
	assert_int_equal(ev.code, 0);
	cJSON_Delete(root);
	free(text);
}

static void
test_event_added(void **state)
{
	(void)state;
	event_type_case("ADDED", NG_K8S_EV_ADDED, "'48213'");
}

static void
test_event_modified(void **state)
{
	(void)state;
	event_type_case("MODIFIED", NG_K8S_EV_MODIFIED, "'48220'");
}

static void
test_event_deleted(void **state)
{
	(void)state;
	event_type_case("DELETED", NG_K8S_EV_DELETED, "'48299'");
}

static void
test_event_bookmark(void **state)
{
	struct ng_k8s_event ev;
	cJSON *root;
	char *text = jq("{'type':'BOOKMARK','object':{'kind':'Service','apiVersion':'v1',"
			"'metadata':{'resourceVersion':'49017','creationTimestamp':null,"
			"'annotations':{'k8s.io/initial-events-end':'true'}},'spec':{},"
			"'status':{'loadBalancer':{}}}}");

	(void)state;
	event_ok(text, &ev, &root);
	assert_int_equal(ev.type, NG_K8S_EV_BOOKMARK);
	assert_string_equal(ev.rv, "49017");
	cJSON_Delete(root);
	free(text);
}

static void
test_event_error_expired(void **state)
{
	struct ng_k8s_event ev;
	cJSON *root;
	char *text = jq("{'type':'ERROR','object':{'kind':'Status','apiVersion':'v1',"
			"'metadata':{},'status':'Failure','message':'too old resource version: "
			"48213 (49102)','reason':'Expired','code':410}}");

	(void)state;
	event_ok(text, &ev, &root);
	assert_int_equal(ev.type, NG_K8S_EV_ERROR);
	assert_int_equal(ev.code, 410);
	assert_string_equal(ev.reason, "Expired");
	assert_string_equal(ev.message, "too old resource version: 48213 (49102)");
	assert_string_equal(ev.rv, "");
	cJSON_Delete(root);
	free(text);
}

static void
test_event_error_gone(void **state)
{
	struct ng_k8s_event ev;
	cJSON *root;
	char *text = jq("{'type':'ERROR','object':{'kind':'Status','apiVersion':'v1',"
			"'metadata':{},'status':'Failure','message':'The resourceVersion for the "
			"provided watch is too old.','reason':'Gone','code':410}}");

	(void)state;
	event_ok(text, &ev, &root);
	assert_int_equal(ev.type, NG_K8S_EV_ERROR);
	assert_int_equal(ev.code, 410);
	assert_string_equal(ev.reason, "Gone");
	assert_string_equal(ev.message, "The resourceVersion for the provided watch is too old.");
	cJSON_Delete(root);
	free(text);
}

static void
test_event_error_long_message(void **state)
{
	char msg[600], *text;
	struct ng_k8s_event ev;
	cJSON *root;

	(void)state;
	memset(msg, 'm', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	assert_true(asprintf(&text, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
			"\"reason\":\"InternalErrorWithAVeryLongReasonIndeed\",\"message\":\"%s\","
			"\"code\":500}}", msg) > 0);
	event_ok(text, &ev, &root);
	assert_int_equal(ev.code, 500);
	assert_int_equal(strlen(ev.message), sizeof(ev.message) - 1);
	assert_int_equal(strlen(ev.reason), sizeof(ev.reason) - 1);
	cJSON_Delete(root);
	free(text);
}

static void
test_event_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"{'type':'RESYNC','object':{'metadata':{}}}",
			"watch event: type: unknown event type \"RESYNC\""},
		{"{'object':{'metadata':{}}}", "watch event: type: missing"},
		{"{'type':'ADDED'}", "watch event: object: missing"},
		{"{'type':'ADDED','object':[]}", "watch event: object: not an object"},
		{"{'type':1,'object':{}}", "watch event: type: not a string"},
		{"{'type':'ERROR','object':{'code':'410'}}",
			"watch event: object.code: not a number"},
		{"[]", "watch event: not a JSON object"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ng_k8s_event ev;
		cJSON *root = parse(cases[i].text);

		assert_int_equal(ng_k8s_event_decode(root, &ev, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].msg);
		cJSON_Delete(root);
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_svc_basic),
	cmocka_unit_test(test_svc_type_default),
	cmocka_unit_test(test_svc_headless_none),
	cmocka_unit_test(test_svc_headless_empty),
	cmocka_unit_test(test_svc_external_name),
	cmocka_unit_test(test_svc_label_proxy_name),
	cmocka_unit_test(test_svc_label_headless),
	cmocka_unit_test(test_svc_cluster_ips_over_cluster_ip),
	cmocka_unit_test(test_svc_external_ips),
	cmocka_unit_test(test_svc_lb_ingress),
	cmocka_unit_test(test_svc_protocols),
	cmocka_unit_test(test_svc_unknown_protocol),
	cmocka_unit_test(test_svc_port_numbers),
	cmocka_unit_test(test_svc_affinity_default),
	cmocka_unit_test(test_svc_affinity_timeout),
	cmocka_unit_test(test_svc_traffic_policies),
	cmocka_unit_test(test_svc_bad_address),
	cmocka_unit_test(test_svc_wrong_types),
	cmocka_unit_test(test_svc_unknown_and_null_fields),
	cmocka_unit_test(test_svc_error_frees),
	cmocka_unit_test(test_svc_error_quotes_safely),
	cmocka_unit_test(test_slice_basic),
	cmocka_unit_test(test_slice_node_names_shared),
	cmocka_unit_test(test_name_table),
	cmocka_unit_test(test_slice_ipv6),
	cmocka_unit_test(test_slice_fqdn),
	cmocka_unit_test(test_slice_port_nil),
	cmocka_unit_test(test_slice_nil_conditions),
	cmocka_unit_test(test_slice_errors),
	cmocka_unit_test(test_slice_no_service_label),
	cmocka_unit_test(test_meta_decode),
	cmocka_unit_test(test_list_continue),
	cmocka_unit_test(test_list_no_continue),
	cmocka_unit_test(test_list_errors),
	cmocka_unit_test(test_event_added),
	cmocka_unit_test(test_event_modified),
	cmocka_unit_test(test_event_deleted),
	cmocka_unit_test(test_event_bookmark),
	cmocka_unit_test(test_event_error_expired),
	cmocka_unit_test(test_event_error_gone),
	cmocka_unit_test(test_event_error_long_message),
	cmocka_unit_test(test_event_errors),
};

int
main(void)
{
	return cmocka_run_group_tests(tests, NULL, NULL);
}
